"""The demo's workbook writer: :class:`DemoWriter`, one XlsxWriter workbook written row by row.

Owns how clean data becomes messy cells (mixed date forms, money typed as text) and how a
sheet is laid out (titles, header, empty rows, autofilter, frozen panes, Excel Tables), in
XlsxWriter's ``constant_memory`` mode so the million-row benchmark book streams.  A new demo
part adds a whole sheet with :meth:`DemoWriter.add_sheet` or extra columns on an existing sheet
with :meth:`DemoWriter.add_column` (see :mod:`salesxl.demo.parts`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NamedTuple

import numpy as np
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from salesxl.demo.cells import amount_text, days_to_ymd
from salesxl.demo.layout import (
    COMPANY_NAME,
    CREATED,
    EXCEL_EPOCH_OFFSET,
    LAYOUTS,
    PROGRESS_EVERY,
    ProgressCallback,
    SheetLayout,
)

# --------------------------------------------------------------------------------------------
# Writing: one workbook, constant_memory, cells written row by row in order.
# --------------------------------------------------------------------------------------------


class Formula(NamedTuple):
    """A formula cell and the value Excel would have cached for it."""

    text: str
    value: float


class _FastWorksheet(Worksheet):
    """A worksheet that skips xlsxwriter's future-function rewriting for plain products.

    xlsxwriter runs ~30 regex substitutions over every formula to add ``_xlfn.`` prefixes to
    new Excel functions; for ``=H5*I5`` none can apply, and on a million rows they are a third
    of the write time.  Anything else still goes through the full preparation.
    """

    def _prepare_formula(self, formula: str, expand_future_functions: bool = False) -> str:
        if formula.startswith("=") and "(" not in formula:
            return formula[1:]
        return super()._prepare_formula(formula, expand_future_functions)


class _InMemoryWorksheet(Worksheet):
    """A worksheet kept in memory inside a ``constant_memory`` workbook.

    xlsxwriter refuses ``add_table()`` in constant_memory mode, but the 业务员 sheet is meant
    to be an Excel Table; it is tiny, so it opts out of row streaming (and its strings go to
    the shared-string table like in any ordinary workbook).
    """

    def _initialize(self, init_data: dict[str, Any]) -> None:
        super()._initialize({**init_data, "constant_memory": False})

    def _opt_close(self) -> None:  # nothing was streamed to a temp file
        pass

    def _opt_reopen(self) -> None:
        pass


@dataclass
class _Formats:
    """Every cell format the demo uses, created once per workbook."""

    title: Format
    note: Format
    header: Format
    date: Format
    date_cn: Format
    date_31: Format
    datetime: Format
    month: Format
    month_cn: Format
    money: Format
    price: Format
    coord: Format

    @classmethod
    def create(cls, wb: xlsxwriter.Workbook) -> _Formats:
        return cls(
            title=wb.add_format({"bold": True, "font_size": 14, "align": "center"}),
            note=wb.add_format({"italic": True, "font_color": "#666666"}),
            header=wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1}),
            date=wb.add_format({"num_format": "yyyy-mm-dd"}),
            date_cn=wb.add_format({"num_format": 'yyyy"年"m"月"d"日"'}),
            date_31=wb.add_format({"num_format": 31}),
            datetime=wb.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
            month=wb.add_format({"num_format": "yyyy-mm"}),
            month_cn=wb.add_format({"num_format": 'yyyy"年"m"月"'}),
            money=wb.add_format({"num_format": "#,##0.00"}),
            price=wb.add_format({"num_format": "0.00"}),
            coord=wb.add_format({"num_format": "0.000000"}),
        )


# A column to write: its values (str, number, Formula or None = blank) and either one format
# for the whole column or one per row.
Column = tuple[Sequence[Any], Any]


class ExtraColumn(NamedTuple):
    """A column a demo part adds at the right of a standard sheet (:meth:`DemoWriter.add_column`)."""

    header: str
    column: Column
    width: float

# Date styles and how often each appears: mostly real date cells, some with a Chinese format,
# a few typed as text in one of the ways the contract accepts.
_DATE_STYLE_P = np.array([0.82, 0.05, 0.05, 0.02, 0.02, 0.013, 0.013, 0.014])


class DemoWriter:
    """The workbook being written, with helpers that turn clean data into messy cells."""

    def __init__(
        self, path: Path | IO[bytes], rng: np.random.Generator, progress: ProgressCallback | None
    ) -> None:
        self.wb = xlsxwriter.Workbook(
            str(path) if isinstance(path, Path) else path,
            {
                "constant_memory": True,
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
            },
        )
        self.wb.set_properties(
            {
                "title": f"{COMPANY_NAME}销售台账（演示）",
                "author": "salesxl demo",
                "company": COMPANY_NAME,
                "created": CREATED,
            }
        )
        self.fmt = _Formats.create(self.wb)
        self.rng = rng
        self.progress = progress
        self._extra_columns: dict[str, list[ExtraColumn]] = {}
        self._extra_sheets: list[tuple[SheetLayout, Sequence[str], Sequence[Column], Sequence[float]]] = []
        self._extra_rows: dict[str, list[dict[str, tuple[Any, Any]]]] = {}

    # -- hooks for the demo's parts (salesxl.demo.parts) --------------------------------------

    def add_column(self, sheet: str, header: str, column: Column, width: float = 12) -> None:
        """Add a column at the right of the standard sheet ``sheet`` (canonical name, e.g. ``销售``).

        ``column`` is ``(values, format)`` like every column here: one value per row of the
        generated table the sheet is written from (:class:`~salesxl.demo.parts.DemoCompany`'s
        ``sales``, ``customers.table``…, in their order), ``None`` for a blank cell, and one
        format for the whole column or a list of one per row.  Must be called before the sheet is
        written (parts run before every standard sheet); the other columns stay byte for byte.
        """
        if sheet not in LAYOUTS or sheet in ("业务员",):
            raise ValueError(f"no standard sheet {sheet!r} to add a column to")
        self._extra_columns.setdefault(sheet, []).append(ExtraColumn(header, column, width))

    def add_sheet(
        self,
        layout: SheetLayout,
        headers: Sequence[str],
        columns: Sequence[Column],
        widths: Sequence[float],
    ) -> None:
        """Add a whole sheet, written after the standard sheets in the order parts add them.

        Same arguments as :meth:`sheet` (a :class:`~salesxl.demo.layout.SheetLayout` says the
        sheet's name, title rows and empty-row period).  Deferred, so a part may call it before
        the standard sheets are written without changing their order.
        """
        self._extra_sheets.append((layout, headers, columns, widths))

    def add_rows(self, sheet: str, rows: Sequence[dict[str, tuple[Any, Any]]]) -> None:
        """Append rows below the data of the standard sheet ``sheet`` (canonical name, e.g. 目标):
        each row maps a header as written (a standard one or a part's added column) to ``(value,
        format)``; a header it leaves out is blank.  The standard rows stay byte for byte."""
        if sheet not in LAYOUTS:
            raise ValueError(f"no standard sheet {sheet!r} to add rows to")
        self._extra_rows.setdefault(sheet, []).extend(rows)

    def format(self, properties: dict[str, Any]) -> Format:
        """A cell format of this workbook (``{"num_format": "0.00"}``…) for a part's columns."""
        return self.wb.add_format(properties)

    # -- cells ----------------------------------------------------------------------------

    def dates(
        self,
        days: np.ndarray,
        present: np.ndarray | None = None,
        text_rate: float = 1.0,
        rng: np.random.Generator | None = None,
    ) -> Column:
        """Date cells in the mixed forms real sheets have (``present`` False leaves blanks).

        ``rng`` defaults to the writer's own generator; a demo part passes its own so the
        standard sheets' cells do not change.
        """
        rng = self.rng if rng is None else rng
        n = len(days)
        p = _DATE_STYLE_P.copy()
        p[3:] *= text_rate
        p[0] += 1 - p.sum()
        style = rng.choice(len(p), n, p=p)
        y, m, d = days_to_ymd(days)
        serial = (np.asarray(days, dtype=np.float64) + EXCEL_EPOCH_OFFSET).tolist()
        cell_formats = (self.fmt.date, self.fmt.date_cn, self.fmt.date_31)
        values: list[Any] = serial
        formats: list[Format | None] = [cell_formats[s] if s < 3 else None for s in style.tolist()]
        for i in np.flatnonzero(style >= 3).tolist():
            values[i] = _date_text(int(style[i]), int(y[i]), int(m[i]), int(d[i]))
        if present is not None:
            for i in np.flatnonzero(~present).tolist():
                values[i] = None
        return values, formats

    def amounts(
        self,
        fen: np.ndarray,
        text_rate: float = 0.05,
        present: np.ndarray | None = None,
        rng: np.random.Generator | None = None,
    ) -> Column:
        """Money cells: numbers with ``#,##0.00``, a few typed as text (``¥1,234.50``, ``1.2万``…).

        ``rng`` as in :meth:`dates`.
        """
        rng = self.rng if rng is None else rng
        n = len(fen)
        values: list[Any] = (np.asarray(fen, dtype=np.float64) / 100).tolist()
        formats: list[Format | None] = [self.fmt.money] * n
        text = np.flatnonzero((rng.random(n) < text_rate) & (np.asarray(fen) > 0))
        kinds = rng.integers(0, 6, len(text))
        for i, kind in zip(text.tolist(), kinds.tolist(), strict=True):
            values[i] = amount_text(int(fen[i]), kind)
            formats[i] = None
        if present is not None:
            for i in np.flatnonzero(~present).tolist():
                values[i] = None
        return values, formats

    # -- sheets ---------------------------------------------------------------------------

    def sheet(
        self,
        layout: SheetLayout,
        headers: Sequence[str],
        columns: Sequence[Column],
        widths: Sequence[float],
    ) -> None:
        """Write one sheet: titles, header, then the data rows with their empty rows.

        Columns the parts added to this sheet (:meth:`add_column`) go at the right.
        """
        extra = self._extra_columns.pop(layout.canonical, [])
        if extra:
            n_rows = len(columns[0][0])
            for e in extra:
                if len(e.column[0]) != n_rows:
                    raise ValueError(f"{layout.canonical} column {e.header}: {len(e.column[0])} values for {n_rows} rows")
            headers = [*headers, *(e.header for e in extra)]
            columns = [*columns, *(e.column for e in extra)]
            widths = [*widths, *(e.width for e in extra)]
        ws = self.wb.add_worksheet(layout.sheet, worksheet_class=_FastWorksheet)
        ncols = len(headers)
        for c, width in enumerate(widths):
            ws.set_column(c, c, width)
        for r, title in enumerate(layout.titles):
            if title and r == 0:
                ws.merge_range(0, 0, 0, ncols - 1, title, self.fmt.title)
            elif title:
                ws.write_string(r, 0, title, self.fmt.note)
        header_row = layout.header_row - 1
        for c, h in enumerate(headers):
            ws.write_string(header_row, c, h, self.fmt.header)
        ws.freeze_panes(header_row + 1, 0)
        n = len(columns[0][0])
        rows = (layout.excel_rows(n) - 1).tolist()
        appended = self._extra_rows.pop(layout.canonical, [])
        last = rows[-1] if n else header_row
        if n or appended:
            ws.autofilter(header_row, 0, last + len(appended), ncols - 1)
        self._rows(ws, layout.canonical, rows, columns)
        for k, added in enumerate(appended, start=1):  # rows a part appended (add_rows), in order
            for c, h in enumerate(headers):
                if h in added and added[h][0] is not None:
                    value, fmt = added[h]
                    if isinstance(value, str):
                        ws.write_string(last + k, c, value, fmt)
                    else:
                        ws.write_number(last + k, c, value, fmt)

    def _rows(self, ws: Worksheet, stage: str, rows: list[int], columns: Sequence[Column]) -> None:
        """The hot loop: every data cell of a sheet, in row order (constant_memory needs that)."""
        plan = [
            (c, values, fm if isinstance(fm, list) else None, None if isinstance(fm, list) else fm)
            for c, (values, fm) in enumerate(columns)
        ]
        write_string, write_number, write_formula = (
            ws.write_string,
            ws.write_number,
            ws.write_formula,
        )
        n = len(rows)
        report = self.progress
        for i, r in enumerate(rows):
            for c, values, per_row, fixed in plan:
                v = values[i]
                if v is None:
                    continue
                f = per_row[i] if per_row is not None else fixed
                kind = type(v)
                if kind is str:
                    write_string(r, c, v, f)
                elif kind is Formula:
                    write_formula(r, c, v.text, f, v.value)
                else:
                    write_number(r, c, v, f)
            if report is not None and i % PROGRESS_EVERY == 0:
                report(stage, i, n)
        if report is not None:
            report(stage, n, n)

    def table_sheet(
        self,
        layout: SheetLayout,
        table_name: str,
        columns: list[dict[str, Any]],
        rows: list[list[Any]],
        widths: Sequence[float],
    ) -> None:
        """A small sheet written as an Excel Table (ListObject) starting at A1."""
        ws = self.wb.add_worksheet(layout.sheet, worksheet_class=_InMemoryWorksheet)
        for c, width in enumerate(widths):
            ws.set_column(c, c, width)
        ws.add_table(
            0,
            0,
            len(rows),
            len(columns) - 1,
            {"name": table_name, "style": "Table Style Medium 2", "data": rows, "columns": columns},
        )
        if self.progress is not None:
            self.progress(layout.canonical, len(rows), len(rows))

    def close(self) -> None:
        """Write the sheets the parts added, then save the workbook."""
        for layout, headers, columns, widths in self._extra_sheets:
            self.sheet(layout, headers, columns, widths)
        self._extra_sheets.clear()
        if self._extra_columns:
            raise ValueError(f"columns added to sheets never written: {sorted(self._extra_columns)}")
        if self.progress is not None:
            self.progress("保存", 0, 1)
        self.wb.close()
        if self.progress is not None:
            self.progress("保存", 1, 1)


def _date_text(style: int, y: int, m: int, d: int) -> str:
    """A date typed as text: ``2026-03-05``, ``2026/3/5``, ``2026.3.5``, ``2026年3月5日``, ``20260305``."""
    if style == 3:
        return f"{y}-{m:02d}-{d:02d}"
    if style == 4:
        return f"{y}/{m}/{d}"
    if style == 5:
        return f"{y}.{m}.{d}"
    if style == 6:
        return f"{y}年{m}月{d}日"
    return f"{y}{m:02d}{d:02d}"


