"""The workbook open in Excel as a :class:`~salesxl.excel.gateway.WorkbookGateway`, via xlwings.

A button runs while its workbook is open in Excel, so the workbook file on disk is Excel's:
rewriting it behind Excel's back would be overwritten at the next save, or worse.  This
gateway therefore only talks to the open book through xlwings — ``range.value`` reads and
writes, ``range.color``, notes, ``number_format``, ``sheets.add``/``delete``, defined names,
``app.alert`` — and never saves; the user saves as usual (and can undo by closing without
saving).  No xlwings PRO feature is used.

It is a thin translation; the decisions are the core's:

* Reading: each contract sheet (found by the reader's own :func:`~salesxl.io.reading.locate_sheets`,
  Excel Tables included) is fetched in one ``value`` call and handed to the same
  :func:`~salesxl.core.grid.tabulate` as a file, via :func:`~salesxl.excel.gateway.grid_from_values`.
  Error cells are read as their text (``#N/A``), so they are reported rather than read as blank.
* Marks: as :mod:`salesxl.io.marking` does for files — a light red (error) or yellow (warning)
  fill and a note with the messages on each cell, and a 校验结果 sheet.  What each marked cell
  looked like before (fill, note) is kept on a hidden sheet ``salesxl.marks``, so the next run
  first puts those back (only where the fill is still ours) and a clean run leaves no trace.
* Result sheets are replaced whole; text is written with Excel's leading apostrophe, so a
  value such as ``=A1`` or ``001`` stays text, amounts as numbers formatted ``#,##0.00``.
* Out columns (:class:`~salesxl.io.columns.SheetPatch`) are written cell block by cell block
  over the rows they name; other cells are not touched.

What is verified on Linux (tests/test_gateway.py): the value conversion (grids built from the
2-D lists xlwings returns: floats for integers, ``datetime`` dates, ``None``, error strings)
against the file reader, and this class's call sequence against a small in-memory stand-in for
the few xlwings objects it uses.  What needs Windows Excel: that real Excel accepts these calls
as the stand-in does (colors, notes, apostrophe-prefixed text, table resizing, message box).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from salesxl.core.findings import SEVERITY_LABEL, Code, Finding, Severity
from salesxl.core.grid import RawGrid, tabulate
from salesxl.core.money import fen_to_decimal
from salesxl.core.schema import SHEETS, normalize_sheet_name
from salesxl.core.tables import Book
from salesxl.excel.gateway import STATUS_NAME, grid_from_values
from salesxl.io import owned
from salesxl.io.columns import SheetPatch
from salesxl.io.marking import RESULTS_SHEET
from salesxl.io.reading import locate_sheets, read_settings
from salesxl.io.results import (
    AMOUNT_FORMAT,
    COORDINATE_FORMAT,
    DATE_FORMAT,
    DATETIME_FORMAT,
    NUMBER_FORMAT,
    ResultSheet,
)
from salesxl.io.safety import SheetPart, WorkbookInfo

__all__ = ["MARKS_SHEET", "STATUS_NAME", "XlwingsGateway"]

log = logging.getLogger(__name__)

#: Hidden sheet recording what the marks replaced (sheet, cell, original fill, original note,
#: the note we wrote), so a re-run can undo them.
MARKS_SHEET = "salesxl.marks"

#: The file marker's fills (Excel's "light red" and "yellow" conditional-format fills).
FILL = {Severity.ERROR: (255, 199, 206), Severity.WARNING: (255, 235, 156)}
_HEADERS = ("工作表", "行", "列", "字段", "值", "级别", "代码", "说明")


def text_value(value: Any) -> str | None:
    """A user's string as a cell value that Excel keeps as text: a leading apostrophe stops
    ``=A1`` becoming a formula and ``001`` a number (Excel does not store the apostrophe)."""
    if value is None:
        return None
    s = str(value)
    return "'" + s if s else None


def _hex(color: tuple[int, int, int] | None) -> str:
    return "" if color is None else "#{:02X}{:02X}{:02X}".format(*color)


def _rgb(text: Any) -> tuple[int, int, int] | None:
    s = str(text or "").lstrip("#")
    if len(s) != 6:
        return None
    return int(s[0:2], 16), int(s[2:4], 16), int(s[4:6], 16)


class XlwingsGateway:
    """``book`` (an ``xlwings.Book``, normally ``xlwings.Book.caller()``) as a gateway."""

    def __init__(self, book: Any) -> None:
        self.book = book
        self._table_sheet: dict[str, str] = {}  # Excel Table name → its worksheet

    # -- reading -------------------------------------------------------------------------------

    @property
    def label(self) -> str:
        return str(self.book.name)

    def output_folder(self) -> Path:
        """The workbook's folder; the home folder for an unsaved or cloud (URL) workbook."""
        try:
            folder = Path(str(self.book.fullname)).parent
            if folder.is_dir() and str(folder) not in ("", "."):
                return folder
        except (OSError, ValueError):
            pass
        return Path.home()

    def _sheet(self, name: str) -> Any:
        return self.book.sheets[self._table_sheet.get(name, name)]

    def _info(self) -> WorkbookInfo:
        parts = []
        for sheet in self.book.sheets:
            tables = [(t.name, t.range.address.replace("$", "")) for t in sheet.tables]
            for t, _ in tables:
                self._table_sheet[t] = sheet.name
            parts.append(SheetPart(sheet.name, "", tuple(t for t, _ in tables), tuple(tables)))
        return WorkbookInfo(Path(self.label), "xlsm", tuple(parts))

    def _grid(self, sheet_name: str, table: str | None) -> RawGrid:
        sheet = self.book.sheets[sheet_name]
        if table is not None:
            rng = sheet.tables[table].range
            values = rng.options(ndim=2, err_to_str=True).value
            return grid_from_values(values[1:], first_row=rng.row + 1, first_col=rng.column, headers=values[0])
        rng = sheet.used_range
        values = rng.options(ndim=2, err_to_str=True).value
        return grid_from_values(values, first_row=rng.row, first_col=rng.column)

    def read_book(self, *, sheets: Iterable[str] | None = None, require: Iterable[str] = ()) -> Book:
        """As :func:`salesxl.io.reading.read_book`, from the open book's values."""
        located = locate_sheets(self._info())
        wanted = list(SHEETS) if sheets is None else [s for s in SHEETS if s in set(sheets)]
        book = Book(self.label)
        for name in require:
            if name not in located:
                book.findings.append(Finding(sheet=name, field=name, code=Code.MISSING_SHEET,
                                             params={"english": SHEETS[name].english}))
        for name in wanted:
            if name not in located:
                continue
            part, table = located[name]
            tab, found = tabulate(SHEETS[name], table or part.name, self._grid(part.name, table))
            book.tables[name] = tab
            book.findings.extend(found)
        if "参数" in book.tables:
            book.settings, found = read_settings(book.tables["参数"])
            book.findings.extend(found)
        return book

    def read_name(self, name: str) -> Any:
        """The named cell's value (``datetime``, float, str or None); None when missing."""
        try:
            names = self.book.names
            if not names.contains(name):
                return None
            rng = names(name).refers_to_range
            value = rng.options(ndim=2).value
            return value[0][0] if value else None
        except Exception:  # noqa: BLE001 - a name pointing nowhere (#REF!) is a missing parameter
            return None

    # -- writing -------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _quiet(self) -> Iterator[None]:
        """Screen updating off while many cells change (much faster, no flicker)."""
        app = self.book.app
        before = app.screen_updating
        app.screen_updating = False
        try:
            yield
        finally:
            app.screen_updating = before

    def _find_sheet(self, name: str) -> Any | None:
        key = normalize_sheet_name(name)
        for sheet in self.book.sheets:
            if normalize_sheet_name(sheet.name) == key:
                return sheet
        return None

    def _replace_sheet(self, name: str) -> Any:
        """A fresh, empty sheet ``name`` at the end (an old one of that name is deleted)."""
        old = self._find_sheet(name)
        if old is not None:
            old.delete()
        sheets = self.book.sheets
        return sheets.add(name, after=sheets[len(sheets) - 1])

    def _claim(self, name: str, headers: Sequence[Sequence[str]], *, replace: bool = True) -> str:
        """Remove salesxl's earlier sheets of the result ``name`` (as :func:`salesxl.io.owned.claim`
        does in a file: marked by a defined name, or — from before the mark — headed by exactly
        ``headers``); returns the name to write under (a free one beside a user's own sheet)."""
        if replace:
            marks: dict[str | None, list[Any]] = {}
            for n in list(self.book.names):
                if owned.is_mark(str(n.name)):
                    ref = owned.sheet_of(str(n.refers_to))
                    marks.setdefault(ref.casefold() if ref else None, []).append(n)
            present = {s.name.casefold() for s in self.book.sheets}
            for sheet in list(self.book.sheets):
                if sheet.name.casefold() in marks and owned.is_result_of(name, sheet.name):
                    for n in marks.pop(sheet.name.casefold()):
                        n.delete()
                    sheet.delete()
            for key in [k for k in marks if k is None or k not in present]:
                for n in marks.pop(key):
                    n.delete()  # the mark of a sheet that is gone
            same = next((s for s in self.book.sheets if s.name.casefold() == name.casefold()), None)
            if same is not None:
                rows = same.used_range.options(ndim=2).value or [[]]
                first = list(rows[0])
                while first and first[-1] is None:
                    first.pop()
                if any(first == list(h) for h in headers):
                    same.delete()
        return owned.free_name(name, [s.name for s in self.book.sheets])

    def _add_result(self, name: str, *, mark: bool = True) -> Any:
        """A new sheet ``name`` at the end, marked as salesxl's result."""
        sheets = self.book.sheets
        sheet = sheets.add(name, after=sheets[len(sheets) - 1])
        if mark:
            taken = {str(n.name).rsplit("!", 1)[-1].casefold() for n in self.book.names}
            k = 1
            while f"{owned.MARK_PREFIX}{k}".casefold() in taken:
                k += 1
            self.book.names.add(f"{owned.MARK_PREFIX}{k}", "='" + name.replace("'", "''") + "'!$A$1")
        return sheet

    def _undo_marks(self) -> None:
        """Put back what the previous run's marks replaced, where the fill is still ours."""
        record = self._find_sheet(MARKS_SHEET)
        if record is None:
            return
        rows = record.used_range.options(ndim=2).value or []
        ours = {_hex(c) for c in FILL.values()}
        by_key = {normalize_sheet_name(s.name): s for s in self.book.sheets}
        for row in rows[1:]:
            sheet_name, address, fill, note, wrote = (list(row) + [None] * 5)[:5]
            sheet = by_key.get(normalize_sheet_name(str(sheet_name or "")))
            if sheet is None or not address:
                continue
            cell = sheet.range(str(address))
            if _hex(cell.color) in ours:
                cell.color = _rgb(fill)
            current = cell.note
            if current is not None and wrote and str(current.text).startswith(str(wrote)):
                if note:
                    current.text = str(note)
                else:
                    current.delete()
        record.delete()

    def write_marks(self, findings: Sequence[Finding], as_of: date | None = None) -> int:
        """Fill and note each offending cell, list every finding on 校验结果 (replacing earlier
        marks; a clean run removes them and the 校验结果 sheet).  ``as_of`` is not used: the live
        sheet carries no printed page header (Excel prints what the user set up)."""
        by_key = {normalize_sheet_name(s.name): s for s in self.book.sheets}
        cells: dict[tuple[str, str, int], tuple[Severity, list[str]]] = {}
        for f in findings:
            sheet_name = self._table_sheet.get(f.sheet, f.sheet)
            if f.row is None or not f.column or normalize_sheet_name(sheet_name) not in by_key:
                continue
            key = (sheet_name, f.column, f.row)
            sev, lines = cells.get(key, (Severity.WARNING, []))
            cells[key] = (Severity.ERROR if Severity.ERROR in (sev, f.severity) else Severity.WARNING,
                          [*lines, f.message("zh")])
        with self._quiet():
            self._undo_marks()
            results = self._claim(RESULTS_SHEET, [_HEADERS])  # a user's own 校验结果 stays
            if not findings:
                return 0
            record: list[list[Any]] = [["工作表", "单元格", "原填充", "原批注", "salesxl批注"]]
            for (sheet_name, column, row), (sev, lines) in cells.items():
                sheet = by_key[normalize_sheet_name(sheet_name)]
                cell = sheet.range(f"{column}{row}")
                ours = "\n".join(lines)
                note = cell.note
                original = None if note is None else str(note.text)
                record.append([text_value(sheet.name), f"{column}{row}", _hex(cell.color),
                               text_value(original), text_value(ours)])
                cell.color = FILL[sev]
                if note is None:
                    _add_note(cell, ours)
                else:
                    note.text = f"{ours}\n——\n{original}"
            marks = self._replace_sheet(MARKS_SHEET)
            marks.range("A1").value = record
            marks.visible = False
            self._write_findings(findings, results)
        if results != RESULTS_SHEET:
            self.report(str(owned.kept_note({RESULTS_SHEET: results})))
        return len(cells)

    def _write_findings(self, findings: Sequence[Finding], name: str = RESULTS_SHEET) -> None:
        labels = SEVERITY_LABEL["zh"]
        sheet = self._add_result(name)
        rows: list[list[Any]] = [list(_HEADERS)]
        for f in findings:
            rows.append([text_value(f.sheet), f.row, text_value(f.column), text_value(f.field), text_value(f.value),
                         labels[f.severity.value], f.code.value, text_value(f.message("zh"))])
        sheet.range("A1").value = rows
        sheet.range("A1").resize(1, len(_HEADERS)).font.bold = True
        sheet.autofit("c")

    def write_sheets(
        self,
        sheets: Sequence[ResultSheet],
        *,
        patch: SheetPatch | None = None,
        add_if_missing: Sequence[ResultSheet] = (),
    ) -> list[str]:
        """Add ``add_if_missing`` sheets the book lacks, replace ``sheets``, write ``patch``."""
        written = []
        with self._quiet():
            for s in add_if_missing:
                if self._find_sheet(s.name) is None:
                    self._fill(self._replace_sheet(s.name), s)
            renamed = {}
            for s in sheets:  # only salesxl's own sheets are replaced (see _claim)
                name = self._claim(s.name, [[c.header for c in s.columns]], replace=s.owned)
                self._fill(self._add_result(name, mark=s.owned), s)
                written.append(name)
                if name != s.name:
                    renamed[s.name] = name
            if patch is not None:
                self._patch(patch)
        if renamed:
            self.report(str(owned.kept_note(renamed)))
        return written

    def _fill(self, sheet: Any, result: ResultSheet) -> None:
        """One result sheet: header row, then the rows in one ``value`` call, formats by kind."""
        cols = list(result.columns)
        rows: list[list[Any]] = [[text_value(c.header) for c in cols]]
        for values in result.rows:
            rows.append([_cell(c.kind, v) for c, v in zip(cols, values, strict=True)])
        n = len(rows)
        for j, c in enumerate(cols, start=1):
            fmt = {"amount": AMOUNT_FORMAT, "date": DATE_FORMAT, "number": NUMBER_FORMAT,
                   "datetime": DATETIME_FORMAT, "coordinate": COORDINATE_FORMAT}.get(c.kind)
            if fmt and n > 1:
                sheet.range((2, j), (n, j)).number_format = fmt
        sheet.range("A1").value = rows
        sheet.range("A1").resize(1, len(cols)).font.bold = True
        sheet.autofit("c")

    def _patch(self, patch: SheetPatch) -> None:
        """Write the out columns: existing columns by letter, missing ones appended after the
        last used column (header in the header row); an Excel Table named by the patch is
        widened over appended columns."""
        sheet = self._sheet(patch.sheet)
        table = sheet.tables[patch.sheet] if patch.sheet in self._table_sheet else None
        last = sheet.used_range.last_cell.column
        appended = False
        for col in patch.columns:
            if col.letter is not None:
                index = sheet.range(f"{col.letter}1").column
            else:
                last += 1
                index = last
                sheet.range((patch.header_row, index)).value = text_value(col.header)
                appended = True
            for start, values in _runs(col.values):
                block = [[text_value(v) if col.kind == "text" else _int(v)] for v in values]
                sheet.range((start, index)).value = block
        if table is not None and appended:
            top = table.range
            table.resize(sheet.range((top.row, top.column), (top.last_cell.row, last)))

    # -- status --------------------------------------------------------------------------------

    def report(self, message: str, *, error: bool = False) -> None:
        """Write the message (with the time) to the ``salesxl_status`` cell and, for an error,
        show it in a message box.  Never raises: the button's outcome must not hide behind a
        failing status line."""
        stamp = datetime.now().strftime("%Y-%m-%d %H:%M")
        try:
            names = self.book.names
            if names.contains(STATUS_NAME):
                names(STATUS_NAME).refers_to_range.value = text_value(f"{stamp} {message}")
        except Exception:  # noqa: BLE001
            log.warning("salesxl: cannot write the status cell: %s", message)
        if error:
            try:
                self.book.app.alert(message, title="salesxl", mode="critical")
            except Exception:  # noqa: BLE001
                log.error("salesxl: %s", message)


def _cell(kind: str, v: Any) -> Any:
    """A result value as the cell value Excel should get (see :class:`ResultSheet`)."""
    if v is None or (isinstance(v, float) and v != v):
        return None
    try:
        if v != v:  # pandas NA/NaT
            return None
    except (TypeError, ValueError):
        if str(v) in ("<NA>", "NaT"):
            return None
    if kind == "amount":
        return float(fen_to_decimal(int(v)))
    if kind == "date":
        d = pd.Timestamp(v)
        return datetime(d.year, d.month, d.day)
    if kind == "datetime":
        t = pd.Timestamp(v)
        return datetime(t.year, t.month, t.day, t.hour, t.minute, t.second)
    if kind == "coordinate":
        return round(float(v), 6)
    if kind == "int":  # "a plain number": whole counts, but shipped quantities may be 39.5
        return int(v) if float(v).is_integer() else float(v)
    if kind == "number":
        return float(v)
    return text_value(v)


def _add_note(cell: Any, text: str) -> None:
    """A new note; xlwings before ``Range.add_note`` existed gets the COM call behind it."""
    add = getattr(cell, "add_note", None)
    if add is not None:
        add(text)
    else:  # pragma: no cover - older xlwings on Windows
        cell.api.AddComment(text)


def _int(v: Any) -> int | None:
    return None if v is None or v != v else int(v)


def _runs(values: Any) -> Iterator[tuple[int, list[Any]]]:
    """``{row: value}`` → (first row, values) for each run of consecutive rows."""
    rows = sorted(values)
    i = 0
    while i < len(rows):
        j = i
        while j + 1 < len(rows) and rows[j + 1] == rows[j] + 1:
            j += 1
        yield rows[i], [values[r] for r in rows[i:j + 1]]
        i = j + 1

