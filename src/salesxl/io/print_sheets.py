"""Printable XlsxWriter sheets for the v1.1 workbooks (合同执行, 周报): a title block, tables
with 合计 rows, native charts and the print setup every salesxl sheet shares.

The 月报 (:mod:`salesxl.io.report`) has its own richer layout; the contract and weekly workbooks
need the same conventions with less: amounts are numbers (fen / 100) formatted ``#,##0.00``,
every text is written with ``write_string`` (a user's ``=…`` never becomes a formula), A4, one
page wide (landscape when the columns are wider than a portrait page,
:func:`salesxl.io.printing.landscape`), the title in the page header
(:func:`salesxl.io.printing.print_title`), the table header repeated on every page and page
numbers in the footer.  :func:`save` builds the workbook in memory and writes it atomically.

:func:`write_xlsx` is that one write for every new workbook salesxl makes (月报, 回款预测,
价格分析, 客户报告, 盘点表, the templates and customer forms).  Not :mod:`salesxl.io.printing`:
that module writes the print setup as raw XML for sheets put into the user's own workbook.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter
from xlsxwriter.workbook import Workbook

from salesxl.io import files
from salesxl.io.printing import landscape

__all__ = ["FONT", "Formats", "PrintSheet", "save", "write_xlsx"]

FONT = "Microsoft YaHei"
COLOURS = ["#2F5597", "#ED7D31", "#70AD47", "#FFC000", "#5B9BD5", "#A5A5A5"]


class Formats:
    """The cell formats of one workbook (XlsxWriter wants each created once)."""

    def __init__(self, wb: Workbook) -> None:
        base = {"font_name": FONT, "font_size": 10, "valign": "vcenter"}
        cell = {**base, "border": 1, "border_color": "#BFBFBF"}
        total = {**cell, "bold": True, "bg_color": "#F2F2F2"}
        self.title = wb.add_format({**base, "bold": True, "font_size": 15, "font_color": "#1F3864"})
        self.subtitle = wb.add_format({**base, "font_color": "#595959"})
        self.section = wb.add_format({**base, "bold": True, "font_size": 12, "font_color": "#1F3864",
                                      "bottom": 2, "bottom_color": "#2F5597"})
        self.head = wb.add_format({**cell, "bold": True, "font_color": "#FFFFFF", "bg_color": "#2F5597",
                                   "align": "center", "text_wrap": True, "border_color": "#FFFFFF"})
        self.kinds = {
            "text": wb.add_format(cell), "center": wb.add_format({**cell, "align": "center"}),
            "money": wb.add_format({**cell, "num_format": "#,##0.00"}),
            "count": wb.add_format({**cell, "num_format": "#,##0"}),
            "rate": wb.add_format({**cell, "num_format": "0.0%"}),
            "date": wb.add_format({**cell, "num_format": "yyyy-mm-dd", "align": "center"}),
            "flag": wb.add_format({**cell, "bold": True, "font_color": "#C00000", "align": "center"}),
        }
        self.totals = {
            "text": wb.add_format(total), "center": wb.add_format({**total, "align": "center"}),
            "money": wb.add_format({**total, "num_format": "#,##0.00"}),
            "count": wb.add_format({**total, "num_format": "#,##0"}),
            "rate": wb.add_format({**total, "num_format": "0.0%"}),
            "date": wb.add_format(total), "flag": wb.add_format(total),
        }


def _blank(v: Any) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v)


class PrintSheet:
    """One sheet with a row cursor: :meth:`title`, :meth:`section`, :meth:`table`, :meth:`chart`,
    then :meth:`finish` for the print setup."""

    def __init__(self, wb: Workbook, fmt: Formats, name: str, widths: Sequence[float], header: str) -> None:
        self.wb, self.fmt, self.name, self.header = wb, fmt, name, header
        self.ws = wb.add_worksheet(name)
        self.widths = list(widths)
        for c, w in enumerate(widths):
            self.ws.set_column(c, c, w)
        self.ws.hide_gridlines(2)
        self.row = 0
        self.repeat: tuple[int, int] | None = None

    def title(self, text: str, subtitle: str = "") -> None:
        self.ws.set_row(0, 26)
        self.ws.write_string(0, 0, text, self.fmt.title)
        if subtitle:
            self.ws.write_string(1, 0, subtitle, self.fmt.subtitle)
        self.row = 3

    def section(self, text: str) -> None:
        for c in range(len(self.widths)):
            self.ws.write_blank(self.row, c, None, self.fmt.section)
        self.ws.write_string(self.row, 0, text, self.fmt.section)
        self.row += 1

    def line(self, text: str) -> None:
        self.ws.write_string(self.row, 0, text, self.fmt.subtitle)
        self.row += 1

    def put(self, r: int, c: int, value: Any, kind: str, fmt: Any) -> None:
        """One cell: amounts (fen) as numbers in 元, texts as strings, dates as dates."""
        ws = self.ws
        if _blank(value) or value == "":
            ws.write_blank(r, c, None, fmt)
        elif kind == "text" or isinstance(value, str):
            ws.write_string(r, c, str(value), fmt)
        elif kind == "money":
            ws.write_number(r, c, int(value) / 100, fmt)
        elif kind == "date":
            ws.write_datetime(r, c, pd.Timestamp(value).to_pydatetime(), fmt)
        else:
            ws.write_number(r, c, float(value), fmt)

    def table(self, headers: Sequence[str], kinds: Sequence[str], rows: Sequence[Sequence[Any]],
              total: Sequence[Any] | None = None, *, repeat: bool = False,
              spans: Sequence[int] | None = None) -> tuple[int, int, int]:
        """Header, rows and an optional 合计 row from the cursor, then a blank row; returns
        (header row, first data row, last data row).  ``repeat``: this header is the one
        repeated on every printed page.  ``spans``: how many sheet columns each field takes
        (merged cells; a long text under narrow columns)."""
        widths = list(spans) if spans is not None else [1] * len(headers)
        starts = [sum(widths[:i]) for i in range(len(widths))]
        head = self.row
        self.ws.set_row(head, 30)

        def cell(r: int, i: int, value: Any, kind: str, fmt: Any) -> None:
            c = starts[i]
            if widths[i] > 1:
                self.ws.merge_range(r, c, r, c + widths[i] - 1, "", fmt)
            self.put(r, c, value, kind, fmt)

        for i, h in enumerate(headers):
            cell(head, i, h, "text", self.fmt.head)
        r = head + 1
        for values in rows:
            for i, (v, kind) in enumerate(zip(values, kinds, strict=True)):
                cell(r, i, v, kind, self.fmt.kinds[kind])
            r += 1
        last = r - 1
        if total is not None:
            for i, (v, kind) in enumerate(zip(total, kinds, strict=True)):
                cell(r, i, v, kind, self.fmt.totals[kind])
            r += 1
        if repeat:
            self.repeat = (head, head)
        self.row = r + 1
        return head, head + 1, last

    def chart(self, kind: str, title: str, series: Sequence[dict[str, Any]], row: int, col: int, *,
              width: int = 520, height: int = 280, y_format: str = "#,##0", combine: Any = None) -> Any:
        """A native chart of ``series`` (XlsxWriter series dicts) placed at (row, col)."""
        chart = self.wb.add_chart({"type": kind})
        chart.set_title({"name": title, "name_font": {"name": FONT, "size": 11, "bold": True}})
        for i, s in enumerate(series):
            opts = dict(s)
            if kind in ("column", "bar"):
                opts.setdefault("fill", {"color": COLOURS[i % len(COLOURS)]})
            chart.add_series(opts)
        chart.set_y_axis({"num_format": y_format, "num_font": {"name": FONT, "size": 8},
                          "major_gridlines": {"visible": True, "line": {"color": "#E0E0E0"}}})
        chart.set_x_axis({"num_font": {"name": FONT, "size": 8}})
        chart.set_legend({"position": "bottom", "font": {"name": FONT, "size": 9}})
        chart.set_size({"width": width, "height": height})
        if combine is not None:
            chart.combine(combine)
        self.ws.insert_chart(row, col, chart, {"object_position": 1})
        return chart

    def ref(self, first: int, last: int, col: int) -> list[Any]:
        return [self.name, first, col, last, col]

    def finish(self, freeze_row: int | None = None) -> None:
        """A4, one page wide (landscape when wide), the header row repeated, title and page
        numbers in the header and footer."""
        ws = self.ws
        ws.set_paper(9)
        if landscape(self.widths):
            ws.set_landscape()
        else:
            ws.set_portrait()
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.4, right=0.4, top=0.7, bottom=0.6)
        if self.repeat is not None:
            ws.repeat_rows(*self.repeat)
        ws.set_header(f"&C&\"-,Bold\"&11 {self.header.replace('&', '&&')}", margin=0.3)
        ws.set_footer("&C&8 第 &P 页，共 &N 页", margin=0.3)
        ws.print_area(0, 0, max(self.row - 1, 1), len(self.widths) - 1)
        if freeze_row is not None:
            ws.freeze_panes(freeze_row, 0)


def write_xlsx(path: str | Path, build: Callable[[Workbook], None], *,
               options: dict[str, Any] | None = None) -> Path:
    """The one way salesxl writes a NEW XlsxWriter workbook: make ``path``'s folder, let
    ``build`` fill a workbook held in memory (its sheets and its own ``set_properties``), then
    write the bytes with :func:`salesxl.io.files.write_bytes` (temp file beside it, fsync, rename).

    In memory, so a full disk or a failing ``build`` can only fail the one atomic write: a reader
    never sees half a report, and an existing file is never left truncated.  ``options`` are
    XlsxWriter's constructor options besides ``in_memory`` (the templates and forms pass
    ``strings_to_urls=False``: a user's text stays text).  Returns ``path``.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise files.write_error(exc, path) from exc
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True, **(options or {})})
    try:
        build(wb)
    finally:
        wb.close()
    return files.write_bytes(path, buffer.getvalue())


def save(path: str | Path, build: Callable[[Workbook, Formats], None], *, title: str, company: str,
         created: datetime) -> Path:
    """:func:`write_xlsx` with this module's :class:`Formats`, the document properties and the
    first sheet active (the contract and weekly workbooks)."""
    def fill(wb: Workbook) -> None:
        build(wb, Formats(wb))
        wb.set_properties({"title": title, "company": company, "author": "salesxl", "created": created})
        if wb.worksheets():
            wb.worksheets()[0].activate()

    return write_xlsx(path, fill)
