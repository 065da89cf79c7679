"""The "out" columns of a user's own sheet (客户档案's 片区, 路线, 拜访顺序 …) written in place.

``salesxl classify`` must put its answers into the customer sheet the user keeps typing into, and
spec §4 allows it to change nothing else there.  So, as :mod:`salesxl.io.marking` does for marks,
the package is patched rather than re-saved: the sheet's XML is streamed through the marker's
:class:`~salesxl.io.ooxml.sheet.SheetPatcher` (which skips, byte for byte, every row without work)
and only the cells of the patched columns are rewritten.  Shared strings, other sheets, cached
formula results, data validation, conditional formats, merged cells… all stay as they are.

What a patch does to the sheet:

* A cell it writes becomes an inline string (text: never a formula, whatever it starts with) or
  a number — ``int``; ``amount`` (int fen written as the exact decimal ``fen/100``, so 12.30 元
  is ``12.3`` and not a binary near-miss); ``number`` (a float, by ``repr``); ``date`` (an Excel
  serial number: Excel and every reader show a date only for a number with a date format, so a
  date written as text would sort and filter as text).  Its ``s`` (format, fill) stays so
  validation marks and the user's formats survive; an old formula or value goes.  A date cell
  without any style (a new row, a column without ``<col>`` style) takes the style of the same
  column in the nearest row above that the patcher saw, else a ``yyyy-mm-dd`` format added to
  the styles.  A ``str`` given to a typed column is written as text, verbatim: a value the
  contract could not type stays what the user typed.  ``None`` empties the cell, keeping a styled empty
  cell (so the column's look stays) and dropping an unstyled one.
* A column the sheet lacks is appended right of the last used header cell (further right when
  the dimension says there is data without a header there: the patch never overwrites a value
  it was not asked to write), with the header text in a cell formatted like the last existing
  header, a ``<col>`` width that fits, and a wider ``<dimension>``.  An Excel Table (ListObject)
  whose header is that row and which ends right there is widened over the new columns, with
  one ``<tableColumn>`` each, so Excel opens it without "repair" and the reader (which reads a
  Table by its own range) finds the columns on the next run.  When the patch names a Table, the
  new columns go right after it, so they must be free there; if not, the write is refused.
* Replacing a formula drops ``calcChain.xml`` (a chain naming a cell without formula makes
  Excel repair the file; it rebuilds a missing one silently).  The first cell of a shared
  formula is only replaced together with every cell sharing it (they hold no formula text of
  their own); otherwise the write is refused and nothing is written.

A cell that already holds its value is left byte for byte, however it is stored (an inline
string, or a shared string once Excel re-saved the file): a re-run with the same values sees
its own columns through the reader's :attr:`~salesxl.core.tables.Table.letters`, changes no
cell, and leaves the sheet part identical (then raw-copied like any other part).
"""

from __future__ import annotations

import html
import re
import zipfile
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Literal, cast

from lxml import etree

from salesxl.core.cells import excel_serial
from salesxl.errors import BadArguments, SalesxlError, UnreadableWorkbook
from salesxl.io.marking import Marker
from salesxl.io.ooxml import package as ooxml_package
from salesxl.io.ooxml.package import DeflateSink
from salesxl.io.ooxml.rels import NS_R, RT_CALC_CHAIN, Rels, parse_xml, qname, serialize_xml
from salesxl.io.ooxml.sheet import (
    CELL_R_RE,
    CUSTOM_FORMAT_RE,
    ROW_R_RE,
    S_ATTR_RE,
    SHEETDATA_RE,
    Malformed,
    SheetEntry,
    SheetPatcher,
)
from salesxl.io.ooxml.styles import Styles, with_attrs
from salesxl.io.ooxml.text import (
    BAD_XML_CHARS,
    MAX_COL,
    MAX_ROW,
    MAX_TEXT,
    col_index,
    col_letters,
    display_width,
    normalize_name,
    ooxml_text,
)
from salesxl.io.safety import is_date1904

__all__ = ["ColumnPatch", "PatchResult", "SheetPatch", "TableInfo", "locate_sheet", "patch_sheet", "sheet_tables"]

RT_TABLE = NS_R + "/table"
RT_SHARED_STRINGS = NS_R + "/sharedStrings"
_MAX_WIDTH = 50
_REF_RE = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)")
_KINDS = ("text", "int", "date", "number", "amount", "datetime")
_DATE_FORMAT = "yyyy-mm-dd"
_DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"


@dataclass(frozen=True)
class ColumnPatch:
    """One column to write: where it is (or that it is missing) and the values by Excel row."""

    header: str
    """Header written when the sheet lacks the column (canonical Chinese, e.g. ``客户等级``)."""
    letter: str | None
    """The column's Excel letter when the sheet has it (``Table.letters``); None appends it."""
    kind: Literal["text", "int", "date", "number", "amount", "datetime"]
    """``text``; ``int``; ``amount`` (values: int fen); ``number`` (float); ``date`` (a
    ``date``/``datetime``/ISO text, written as an Excel serial number); ``datetime`` (a date and
    time, shown as yyyy-mm-dd hh:mm:ss)."""
    values: Mapping[int, object]
    """Excel row → value; None (or NaN) empties the cell; rows not mentioned stay untouched."""

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise BadArguments(f"未知的列类型：{self.kind}", f"Unknown column kind: {self.kind}")
        if self.letter is not None and col_index(self.letter) is None:
            raise BadArguments(f"列字母无效：{self.letter!r}", f"Invalid column letter: {self.letter!r}")
        if self.letter is None and not self.header.strip():
            raise BadArguments("新增列须有表头", "An appended column needs a header")


@dataclass(frozen=True)
class SheetPatch:
    """Columns to write into one sheet of the user's workbook."""

    sheet: str
    """As found by the reader (``Table.sheet``): a worksheet name or an Excel Table's name."""
    header_row: int
    """Excel row of the header (``Table.header_row``); values go below it."""
    columns: Sequence[ColumnPatch]


@dataclass
class PatchResult:
    """What :func:`patch_sheet` did."""

    sheet: str
    """The worksheet written (the Table's sheet when a Table was named)."""
    cells: int = 0
    """Cells given a new value (headers of appended columns included).  A cell that already
    holds its value — however another program stored it — is left as it is and not counted,
    so a re-run with the same values reports 0."""
    letters: dict[str, str] = field(default_factory=dict)
    """Header → Excel letter of every patched column, appended ones included."""
    added: list[str] = field(default_factory=list)
    """Headers of the columns appended (as written: a Table may need a unique name)."""
    table: str | None = None
    """The Excel Table widened over the appended columns, if any."""


# --------------------------------------------------------------------------------------------
# Entry point (called by salesxl.io.results inside its single package write)


def patch_sheet(writer: Marker, patch: SheetPatch) -> PatchResult:
    """Write ``patch`` into its sheet of the package ``writer`` is building.

    Only the sheet part (and, when columns are appended, its Table part; when a formula is
    replaced, the calculation chain) changes; the caller saves workbook, rels and content types.
    Raises :class:`BadArguments` for a patch that does not fit the workbook, and
    :class:`SalesxlError` when writing would damage the sheet (a shared formula only partly
    overwritten, no room beside a Table).
    """
    sheet, named_table = locate_sheet(writer, patch.sheet)
    assert sheet.part is not None
    if not isinstance(patch.header_row, int) or not 1 <= patch.header_row < MAX_ROW:
        raise BadArguments(f"表头行无效：{patch.header_row}", f"Invalid header row: {patch.header_row}")
    _check_columns(patch)
    if not patch.columns:  # nothing to write (e.g. a sheet without cards): leave the sheet be
        return PatchResult(sheet=sheet.name)
    tables = sheet_tables(writer, sheet)
    target = next((t for t in tables if t.part == named_table), None)
    n_new = sum(1 for c in patch.columns if c.letter is None)
    min_start = 0
    shared = _SharedStrings(writer)
    for _ in range(3):  # a conflict found while streaming moves the new columns once more
        sink = DeflateSink()
        try:
            with writer.pkg.open(sheet.part) as src:
                ahead = _ReadAhead(src, patch.header_row)
                start = _first_free(writer, sheet, patch, ahead, target, n_new, min_start)
                extend = _table_to_extend(tables, target, patch.header_row, start) if n_new else None
                plan = _Plan.build(patch, start, ahead, extend)
                head = _patch_head(ahead.data[: ahead.sheet_data], ahead.p, plan)
                patcher = _CellPatcher(plan, writer.styles, shared, date1904=is_date1904(writer.wb))
                patcher.run(cast(IO[bytes], _Chained(head + ahead.data[ahead.sheet_data:], src)), sink)
        except _Conflict as exc:
            sink.close()
            if target is not None:
                raise _no_room(patch.sheet, exc.col) from None
            found = _content_columns(writer, sheet.part, exc.col, patch.header_row)
            min_start = max(found, default=exc.col) + 1
            continue
        except (Malformed, zipfile.BadZipFile, zlib.error, EOFError) as exc:
            sink.close()
            raise UnreadableWorkbook(
                f"工作表「{sheet.name}」的内容无法解析，未写入",
                f"Sheet '{sheet.name}' could not be parsed; nothing was written",
            ) from exc
        except BaseException:
            sink.close()
            raise
        break
    else:  # pragma: no cover - the scan finds every conflicting cell
        raise _no_room(patch.sheet, min_start)
    if patcher.changed or head != ahead.data[: ahead.sheet_data]:
        writer.pkg.put_stream(sheet.part, sink.finish())
    else:
        sink.close()
    if extend is not None:
        _extend_table(writer, extend, plan)
    if patcher.formulas:
        _drop_calc_chain(writer)
    return PatchResult(
        sheet=sheet.name,
        cells=patcher.cells,
        letters={c.header: c.letters.decode() for c in plan.cols},
        added=[c.header for c in plan.cols if c.appended],
        table=extend.name if extend is not None else None,
    )


def _check_columns(patch: SheetPatch) -> None:
    """Refuse a patch that would write one column twice or above its header."""
    letters = [c.letter.strip().upper() for c in patch.columns if c.letter is not None]
    headers = [normalize_name(c.header) for c in patch.columns]
    if len(set(letters)) != len(letters) or len(set(headers)) != len(headers):
        raise BadArguments("同一列不能写入两次", "The same column is written twice")
    for c in patch.columns:
        bad = [r for r in c.values if not patch.header_row < r <= MAX_ROW]
        if bad:
            raise BadArguments(
                f"列 {c.header} 的行号 {bad[0]} 不在表头行 {patch.header_row} 之下",
                f"Row {bad[0]} of column {c.header} is not below the header row {patch.header_row}",
            )


def _no_room(sheet: str, col: int) -> SalesxlError:
    letters = col_letters(col)
    return SalesxlError(
        f"「{sheet}」右侧的 {letters} 列已有内容，无法在表格末尾新增列；请在表格右侧留出空列后再运行",
        f"Column {letters} right of '{sheet}' holds data, so no column can be added to the table; "
        "leave empty columns to its right and run again",
    )


# --------------------------------------------------------------------------------------------
# Where: the sheet, its Tables, the first free column


@dataclass
class TableInfo:
    """An Excel Table on a sheet: its part, parsed root, name, 1-based corners, header row."""

    part: str
    root: etree._Element
    name: str
    c1: int
    r1: int
    c2: int
    r2: int
    has_header: bool


def locate_sheet(writer: Marker, name: str) -> tuple[SheetEntry, str | None]:
    """The worksheet named ``name`` — or holding the Excel Table of that name — and the Table's
    part.  A sheet wins over a Table of the same name, as in the reader."""
    sheets = [s for s in writer.sheets() if s.is_worksheet and s.part is not None]
    key = normalize_name(name)
    for same in (lambda s: s.name == name, lambda s: normalize_name(s.name) == key):
        for s in sheets:
            if same(s):
                return s, None
    for s in sheets:
        for t in sheet_tables(writer, s):
            if normalize_name(t.name) == key:
                return s, t.part
    raise BadArguments(f"工作簿中找不到工作表或表格「{name}」", f"No sheet or table '{name}' in the workbook")


def sheet_tables(writer: Marker, sheet: SheetEntry) -> list[TableInfo]:
    """The Excel Tables on ``sheet`` (its table parts, read through the relationships)."""
    assert sheet.part is not None
    out = []
    for _, part in Rels(writer.pkg, sheet.part).of_type(RT_TABLE):
        real = writer.pkg.actual(part)
        if real is None:
            continue
        root = parse_xml(writer.pkg.read(real), real)
        bounds = _bounds(root.get("ref", ""))
        if bounds is None:
            continue
        out.append(TableInfo(real, root, root.get("displayName") or root.get("name") or "", *bounds,
                              has_header=root.get("headerRowCount", "1") != "0"))
    return out


def _bounds(ref: str) -> tuple[int, int, int, int] | None:
    """``"B2:F9"`` → (2, 2, 6, 9): first col, first row, last col, last row."""
    ends = [_REF_RE.fullmatch(p.strip()) for p in ref.split(":")]
    if not 1 <= len(ends) <= 2 or not all(ends):
        return None
    cols = [col_index(m.group(1)) or 0 for m in ends if m]
    rows = [int(m.group(2)) for m in ends if m]
    return cols[0], rows[0], cols[-1], rows[-1]


def _first_free(writer: Marker, sheet: SheetEntry, patch: SheetPatch, ahead: _ReadAhead,
                target: TableInfo | None, n_new: int, min_start: int) -> int:
    """The column where appended columns start.

    Beside a named Table: right after it (the reader only sees the Table's range), and those
    columns must be empty.  On a sheet: right of the last header holding a value, and right of
    any value further right below the header (the dimension tells whether to look), so that no
    value the user typed is overwritten.
    """
    if not n_new:
        return 0
    if target is not None:
        start = target.c2 + 1
        taken = [c for c in ahead.header_content() if start <= c < start + n_new]
        if not taken and _may_hold(ahead.dimension, start):
            taken = [c for c in _content_columns(writer, sheet.part or "", start, target.r1)
                     if c < start + n_new]
        if taken:
            raise _no_room(patch.sheet, taken[0])
        return start
    start = max(ahead.header_content(), default=0) + 1
    start = max(start, min_start)
    if _may_hold(ahead.dimension, start):
        start = max([start - 1, *_content_columns(writer, sheet.part or "", start, patch.header_row)]) + 1
    return start


def _may_hold(dimension: tuple[int, int, int, int] | None, col: int) -> bool:
    """Whether the sheet's stated used range reaches column ``col`` (no dimension: maybe)."""
    return dimension is None or dimension[2] >= col


def _table_to_extend(tables: list[TableInfo], target: TableInfo | None, header_row: int,
                     start: int) -> TableInfo | None:
    for t in [target] if target is not None else tables:
        if t is not None and t.has_header and t.r1 == header_row and t.c2 == start - 1:
            return t
    return None


def _letters_from(n: int) -> bytes:
    """A regex for column letters naming column ``n`` or any column right of it."""
    letters = col_letters(n)
    k = len(letters)
    alts = [letters]
    for i, ch in enumerate(letters):
        if ch != "Z":
            alts.append(letters[:i] + f"[{chr(ord(ch) + 1)}-Z]" + "[A-Z]" * (k - i - 1))
    if k < 3:
        alts.append(f"[A-Z]{{{k + 1},3}}")
    return ("(?:" + "|".join(alts) + ")").encode()


def _content_columns(writer: Marker, part: str, min_col: int, min_row: int) -> set[int]:
    """Columns ≥ ``min_col`` holding a non-empty cell in a row ≥ ``min_row``: one scan of the
    sheet with a regex that only stops at such cells (rare: this only runs when needed)."""
    cell = re.compile(
        rb"<(?:[A-Za-z_][\w.\-]*:)?c(?=\s)[^>]*?\sr\s*=\s*[\"']\$?(" + _letters_from(min_col)
        + rb")\$?(\d+)[\"'][^>]*>", re.I,
    )
    found: set[int] = set()
    rest = b""
    with writer.pkg.open(part) as src:
        while True:
            chunk = src.read(ooxml_package.CHUNK)
            buf = rest + chunk
            cut = buf.rfind(b"<") if chunk else len(buf)
            for m in cell.finditer(buf, 0, max(cut, 0)):
                if not m.group(0).endswith(b"/>") and int(m.group(2)) >= min_row:
                    found.add(col_index(m.group(1).decode()) or 0)
            if not chunk:
                return found
            rest = buf[cut:] if cut >= 0 else b""


# --------------------------------------------------------------------------------------------
# Reading ahead: the sheet's head and its header row, before streaming starts


class _ReadAhead:
    """The start of a sheet part, read until its header row is complete.

    The head (``<dimension>``, ``<cols>``) comes before the rows, so what it must say (how wide
    the sheet now is) has to be known before the first byte is streamed out; the header row is
    near the top, so this costs one chunk in practice.
    """

    def __init__(self, src: IO[bytes], header_row: int) -> None:
        self.src = src
        self.data = b""
        self.eof = False
        while True:
            m = SHEETDATA_RE.search(self.data)
            if m is not None and self.data.find(b">", m.end()) >= 0:
                break
            self._more("no sheetData")
        self.p = m.group(1) or b""
        self.sheet_data = m.start()
        dm = re.search(rb"<" + re.escape(self.p) + rb"""dimension\s[^>]*?\bref\s*=\s*["']([^"']*)["']""",
                       self.data[: m.start()])
        self.dimension = _bounds(dm.group(1).decode("ascii", "replace")) if dm else None
        self.header: list[tuple[int, bytes | None, bool]] = []  # (col, s, holds a value)
        self._find_header(self.data.find(b">", m.end()) + 1, header_row)

    def _more(self, what: str) -> None:
        if self.eof:
            raise Malformed(what)
        chunk = self.src.read(ooxml_package.CHUNK)
        self.eof = not chunk
        self.data += chunk

    def _find_header(self, pos: int, header_row: int) -> None:
        if self.data[pos - 2: pos] == b"/>":
            return  # <sheetData/>
        p = re.escape(self.p)
        row_re = re.compile(rb"<" + p + rb"row(?=[\s/>])|</" + p + rb"sheetData\s*>")
        end_row = b"</" + self.p + b"row>"
        last = 0
        while True:
            m = row_re.search(self.data, pos)
            tag_end = self.data.find(b">", m.end()) if m else -1
            if m is None or tag_end < 0:
                self._more("unterminated sheetData")
                continue
            if self.data[m.start() + 1] == 0x2F:  # </sheetData>
                return
            rm = ROW_R_RE.search(self.data, m.end(), tag_end)
            n = int(rm.group(1)) if rm else last + 1
            last = n
            if n > header_row:
                return
            if self.data[tag_end - 1] == 0x2F:
                pos = tag_end + 1
                continue
            e = self.data.find(end_row, tag_end)
            if e < 0:
                self._more("unterminated row")
                continue
            if n == header_row:
                self.header = _cells(self.data[tag_end + 1: e], self.p)
                return
            pos = e + len(end_row)

    def header_content(self) -> list[int]:
        return [c for c, _, full in self.header if full]


def _walk(body: bytes, p: bytes) -> Iterator[tuple[int, int, int, int, bool]]:
    """(start, start tag end, end, column, has ``r``) of each cell of one row's XML; a cell
    without ``r`` is the one after the previous cell, as Excel reads it."""
    cell_re = re.compile(rb"<" + re.escape(p) + rb"c(?=[\s/>])")
    end_cell = b"</" + p + b"c>"
    pos = last = 0
    while (m := cell_re.search(body, pos)) is not None:
        te = body.find(b">", m.end())
        if te < 0:
            raise Malformed("cell tag")
        pos = _cell_end(body, te, end_cell)
        rm = CELL_R_RE.search(body, m.start(), te + 1)
        last = (col_index(rm.group(1).decode()) or 0) if rm else last + 1
        yield m.start(), te, pos, last, rm is not None


def _cells(body: bytes, p: bytes) -> list[tuple[int, bytes | None, bool]]:
    """(column, ``s`` attribute, holds a value) of each cell of one row's XML."""
    return [(col, _s_of(body[cs: te + 1]), ce > te + 1 + len(p) + 4) for cs, te, ce, col, _ in _walk(body, p)]


def _cell_end(body: bytes, te: int, end_cell: bytes) -> int:
    """Where the cell whose start tag ends at ``te`` ends."""
    if body[te - 1] == 0x2F:
        return te + 1
    ce = body.find(end_cell, te)
    if ce < 0:
        raise Malformed("cell")
    return ce + len(end_cell)


def _s_of(tag: bytes) -> bytes | None:
    """The ``s`` attribute of a start tag."""
    return _attr(tag, b"s", S_ATTR_RE)


def _attr(tag: bytes, name: bytes, pattern: re.Pattern[bytes] | None = None) -> bytes | None:
    """Attribute ``name`` of a start tag: the usual `` name="…"`` found without a regex."""
    key = b" " + name + b'="'
    i = tag.find(key)
    if i >= 0:
        return tag[i + len(key): tag.find(b'"', i + len(key))]
    m = (pattern or re.compile(rb"\s" + name + rb"""\s*=\s*(?:"([^"]*)"|'([^']*)')""")).search(tag)
    if m is None:
        return None
    return m.group(1) if m.group(1) is not None else m.group(2)


class _Chained:
    """``head`` then the rest of ``src``: what the marker's stream reads after we read ahead."""

    def __init__(self, head: bytes, src: IO[bytes]) -> None:
        self.head = head
        self.src = src

    def read(self, n: int = -1) -> bytes:
        if not self.head:
            return self.src.read(n)
        if n is None or n < 0:
            data, self.head = self.head + self.src.read(), b""
            return data
        data, self.head = self.head[:n], self.head[n:]
        return data


# --------------------------------------------------------------------------------------------
# What: the plan of cells, and the head that goes with it


@dataclass
class _Col:
    index: int
    letters: bytes
    kind: str
    values: Mapping[int, object]
    header: str
    appended: bool


@dataclass
class _Plan:
    cols: list[_Col]  # in column order
    header_row: int
    header_style: bytes | None
    rows: list[int]
    last_row: int  # the lowest row that gets a value (0: none)
    widths: dict[int, float]  # appended column → width

    @classmethod
    def build(cls, patch: SheetPatch, start: int, ahead: _ReadAhead, table: TableInfo | None) -> _Plan:
        taken = set()
        if table is not None:
            taken = {normalize_name(el.get("name", "")) for el in table.root.iter(qname("tableColumn"))}
        cols = []
        at = start
        for c in patch.columns:
            if c.letter is not None:
                index = col_index(c.letter) or 0
                cols.append(_Col(index, col_letters(index).encode(), c.kind, c.values, c.header, False))
                continue
            header = _unique(c.header.strip(), taken)
            taken.add(normalize_name(header))
            cols.append(_Col(at, col_letters(at).encode(), c.kind, c.values, header, True))
            at += 1
        if at > MAX_COL + 1:
            raise BadArguments("新增列超出 Excel 的列数上限", "The appended columns go past Excel's last column")
        cols.sort(key=lambda c: c.index)
        full = [i for i, _, has in ahead.header if has and i < start]
        style = next((s for i, s, _ in ahead.header if full and i == full[-1]), None)
        rows: set[int] = set()
        last_row = 0
        for col in cols:
            rows.update(col.values)
            last_row = max([last_row, *(r for r, v in col.values.items() if not _blank(v))])
        appended = [c for c in cols if c.appended]
        if appended:
            rows.add(patch.header_row)
            last_row = max(last_row, patch.header_row)
        widths = {c.index: _width(c) for c in appended}
        dim = ahead.dimension
        if dim is not None and any(c.kind == "date" for c in cols) and patch.header_row < dim[3] < max(rows, default=0):
            rows.add(dim[3])  # seen, not written: its date cells' style serves the new rows below
        return cls(cols, patch.header_row, style, sorted(rows), last_row, widths)


def _unique(header: str, taken: set[str]) -> str:
    """``header``, numbered when a Table already has a column of that name (Excel needs
    unique names, compared case-insensitively)."""
    name, n = header, 2
    while normalize_name(name) in taken:
        name, n = f"{header}{n}", n + 1
    return name


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, float) and v != v) or (v.__class__.__name__ == "NaTType")


def _typed(kind: str, value: object, *, date1904: bool = False) -> tuple[str, float]:
    """(``<v>`` text, value as a float) of a date, amount or number — exact, and the same
    text for the same value so a re-run changes nothing."""
    if kind == "amount":
        if isinstance(value, bool) or not isinstance(value, int):
            raise BadArguments(f"金额应为整数分：{value!r}", f"An amount must be whole fen: {value!r}")
        sign, fen = ("-" if value < 0 else ""), abs(value)
        yuan, cents = divmod(fen, 100)
        shown = f"{sign}{yuan}" + (f".{cents:02d}".rstrip("0") if cents else "")
        return shown, value / 100
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value in (float("inf"), float("-inf")):
            raise BadArguments(f"不是数字：{value!r}", f"Not a number: {value!r}")
        number = float(value)
        return (str(int(number)) if number.is_integer() else repr(number)), number
    if isinstance(value, datetime):
        moment = value.replace(tzinfo=None)
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        raise BadArguments(f"不是日期：{value!r}", f"Not a date: {value!r}")
    try:
        serial = excel_serial(moment, date1904=date1904)
    except ValueError:
        first = 1904 if date1904 else 1900
        raise BadArguments(f"Excel 无法表示 {first} 年之前的日期：{value!r}",
                           f"Excel cannot show dates before {first}: {value!r}") from None
    return (str(int(serial)) if float(serial).is_integer() else repr(serial)), serial


def _date_xf(styles: Styles, code: str = _DATE_FORMAT) -> int:
    """The cell format ``code`` (``yyyy-mm-dd``; the workbook's default font and fill), found or added."""
    sec = styles._section("numFmts")
    ids = [int(el.get("numFmtId", "0")) for el in sec.findall(qname("numFmt")) if el.get("numFmtId", "").isdigit()]
    fid = next((el.get("numFmtId") for el in sec.findall(qname("numFmt")) if el.get("formatCode") == code), None)
    if fid is None:
        fid = str(max([163, *ids]) + 1)
        el = sec.makeelement(qname("numFmt"), {"numFmtId": fid, "formatCode": code})
        sec.append(el)
        sec.set("count", str(len(sec.findall(qname("numFmt")))))
        styles.dirty = True
    return styles._find_or_add("cellXfs", with_attrs(styles._base_xf(0), numFmtId=fid, applyNumberFormat="1"))


def _width(col: _Col) -> float:
    """A width fitting the header and the values (CJK counts double), within reason."""
    shown = {str(v) for v in col.values.values() if not _blank(v)}
    widest = max([display_width(col.header), *(display_width(s) for s in shown)])
    return float(min(max(widest + 2, 8), _MAX_WIDTH))


def _patch_head(head: bytes, p: bytes, plan: _Plan) -> bytes:
    """The sheet's head with a ``<dimension>`` covering what is written and ``<col>`` widths for
    the appended columns (where no ``<col>`` covers them yet); otherwise the same bytes."""
    written = [c.index for c in plan.cols if c.appended or any(not _blank(v) for v in c.values.values())]
    dm = re.search(rb"(<" + re.escape(p) + rb"""dimension\s[^>]*?\bref\s*=\s*["'])([^"']*)(["'])""", head)
    if dm is not None and written and plan.last_row:
        old = _bounds(dm.group(2).decode("ascii", "replace"))
        if old is not None:
            c1, r1, c2, r2 = old
            new = (min(c1, *written), min(r1, plan.header_row), max(c2, *written), max(r2, plan.last_row))
            if new != old:
                ref = f"{col_letters(new[0])}{new[1]}:{col_letters(new[2])}{new[3]}".encode()
                head = head[: dm.start(2)] + ref + head[dm.end(2):]
    if not plan.widths:
        return head
    esc = re.escape(p)
    block = re.search(rb"<" + esc + rb"cols(?=[\s>/])[^>]*?(/?)>", head)
    spans = []
    if block is not None and not block.group(1):
        close = head.find(b"</" + p + b"cols", block.end())
        for m in re.finditer(rb"<" + esc + rb"col(?=[\s/>])[^>]*>", head[block.end(): close]):
            lo = re.search(rb"""\smin\s*=\s*["'](\d+)""", m.group(0))
            hi = re.search(rb"""\smax\s*=\s*["'](\d+)""", m.group(0))
            if lo and hi:
                spans.append((int(lo.group(1)), int(hi.group(1)), block.end() + m.start()))
    inserts: list[tuple[int, bytes]] = []
    for col, width in sorted(plan.widths.items()):
        if any(lo <= col <= hi for lo, hi, _ in spans):
            continue
        el = b"<" + p + f'col min="{col}" max="{col}" width="{width:g}" customWidth="1"/>'.encode()
        later = [at for lo, _, at in spans if lo > col]
        if block is None or block.group(1):
            inserts.append((-1, el))
        else:
            inserts.append((min(later) if later else head.find(b"</" + p + b"cols", block.end()), el))
    if not inserts:
        return head
    if block is None or block.group(1):  # no <cols> (or an empty <cols/>): a new one
        fresh = b"<" + p + b"cols>" + b"".join(el for _, el in inserts) + b"</" + p + b"cols>"
        if block is not None:
            return head[: block.start()] + fresh + head[block.end():]
        return head + fresh  # <cols> comes right before <sheetData>
    for at, el in sorted(inserts, key=lambda x: x[0], reverse=True):
        head = head[:at] + el + head[at:]
    return head


# --------------------------------------------------------------------------------------------
# How: the cells, row by row, on the marker's streaming patcher


class _Conflict(Exception):
    """An appended column would overwrite a value already in the sheet."""

    def __init__(self, col: int) -> None:
        super().__init__(col)
        self.col = col


#: A value as written: (``t`` attribute, cell content, the value as text or int).
_Enc = tuple[bytes, bytes, str | int | float]
#: (column, encoded value or None for an empty cell, forced ``s``) of one cell to write.
_Job = tuple[_Col, _Enc | None, bytes | None]


def _same_tail(tail: bytes, *_: object) -> bytes:
    return tail


class _CellPatcher(SheetPatcher):
    """The marker's sheet streamer, setting cell values instead of cell styles.

    The streamer finds the rows with work (a fast byte search per row) and hands each one to
    :meth:`_patch_row`; a row the sheet lacks comes from :meth:`_new_row`.  A row's cells are
    usually found by one search each for ``<c r="G5"``; rows written oddly (cells without
    ``r``, other attribute orders) go through a full parse of the row.
    """

    def __init__(self, plan: _Plan, styles: Styles, shared: _SharedStrings | None = None, *,
                 date1904: bool = False) -> None:
        super().__init__(dict.fromkeys(plan.rows, {}), styles, _same_tail)
        self.plan = plan
        self.date1904 = date1904  # the book's date system, for the serials of date cells
        self.cells = 0
        self.formulas = False
        self._encoded: dict[tuple[str, type, object], _Enc | None] = {}
        self._spans: dict[tuple[bytes, int, int], bytes] = {}
        self._formula_re = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?f(?=[\s/>])[^>]*>")
        self._value_re = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?v>([^<]*)<")
        self.shared = shared
        self._date_cols = [c for c in plan.cols if c.kind == "date"]
        self._above: dict[int, bytes] = {}  # date column → its style in the last row seen
        self._date_xf: bytes | None = None
        self._datetime_xf: bytes | None = None

    # -- what goes into a row -------------------------------------------------------------

    def _jobs(self, n: int) -> list[_Job]:
        """(column, encoded value or None for blank, forced style) for row ``n``, in order."""
        jobs = []
        for c in self.plan.cols:
            if c.appended and n == self.plan.header_row:
                jobs.append((c, self._encode("text", c.header), self.plan.header_style))
            elif n in c.values:
                jobs.append((c, self._encode(c.kind, c.values[n]), None))
        return jobs

    def _encode(self, kind: str, value: object) -> _Enc | None:
        """(``t`` attribute, cell content) of a value, or None for an empty cell."""
        key = (kind, type(value), value)
        try:
            return self._encoded[key]
        except KeyError:
            pass
        except TypeError:  # an unhashable value: encode it every time
            return self._encode_new(kind, value)
        out = self._encoded[key] = self._encode_new(kind, value)
        return out

    def _encode_new(self, kind: str, value: object) -> _Enc | None:
        p = self.p
        if _blank(value):
            return None
        if kind == "int":
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                raise BadArguments(f"不是整数：{value!r}", f"Not a whole number: {value!r}")
            try:
                number = float(value) if not isinstance(value, int) else value
            except ValueError:
                raise BadArguments(f"不是整数：{value!r}", f"Not a whole number: {value!r}") from None
            if isinstance(number, float):
                if not number.is_integer():
                    raise BadArguments(f"不是整数：{value!r}", f"Not a whole number: {value!r}")
                number = int(number)
            return b"", b"<" + p + b"v>" + str(number).encode() + b"</" + p + b"v>", number
        if kind != "text" and not isinstance(value, str):
            shown, exact = _typed(kind, value, date1904=self.date1904)
            return b"", b"<" + p + b"v>" + shown.encode() + b"</" + p + b"v>", exact
        text = BAD_XML_CHARS.sub("", str(value))
        if not text:
            return None
        return (b' t="inlineStr"', b"<" + p + b"is><" + p + b't xml:space="preserve">' + ooxml_text(text)
                + b"</" + p + b"t></" + p + b"is>", text[:MAX_TEXT])

    def _date_style(self, col: _Col, s: bytes | None) -> bytes | None:
        """The style of a date cell: its own, else the column's nearest above, else yyyy-mm-dd
        (a serial number without a date format would show as a bare number).  A date-time
        cell always gets yyyy-mm-dd hh:mm:ss (the rows above may hold older text)."""
        if col.kind == "datetime":
            if self._datetime_xf is None:
                self._datetime_xf = str(_date_xf(self.styles, _DATETIME_FORMAT)).encode()
            return self._datetime_xf
        if col.kind != "date" or s is not None:
            return s
        above = self._above.get(col.index)
        if above is not None:
            return above
        if self._date_xf is None:
            self._date_xf = str(_date_xf(self.styles)).encode()
        return self._date_xf

    def _see(self, text: bytes, n: int) -> None:
        """Remember the style of each date column's cell in row ``n`` (for the rows below)."""
        row = str(n).encode()
        for col in self._date_cols:
            i = text.find(b"<" + self.p + b'c r="' + col.letters + row + b'"')
            if i >= 0:
                s = _s_of(text[i: text.find(b">", i) + 1])
                if s is not None and s != b"0":
                    self._above[col.index] = s

    def _cell(self, ref: bytes, s: bytes | None, enc: _Enc | None) -> bytes:
        p = self.p
        style = b' s="' + s + b'"' if s is not None else b""
        if enc is None:
            return b"<" + p + b'c r="' + ref + b'"' + style + b"/>" if s is not None else b""
        return b"<" + p + b'c r="' + ref + b'"' + style + enc[0] + b">" + enc[1] + b"</" + p + b"c>"

    def _fresh(self, n: int, col: _Col, enc: _Enc | None, forced: bytes | None,
               row_style: int | None) -> bytes:
        """A cell the row does not have yet, formatted like its row or column would make it."""
        if enc is None:
            return b""
        style = forced
        if style is None:
            base = row_style if row_style is not None else self._col_style(col.index)
            style = str(base).encode() if base else None
            if enc[1].startswith(b"<" + self.p + b"v>"):
                style = self._date_style(col, style)
        self.cells += 1
        return self._cell(col.letters + str(n).encode(), style, enc)

    def _replace(self, n: int, col: _Col, enc: _Enc | None, forced: bytes | None,
                 old: bytes, tag: bytes) -> bytes:
        """An existing cell with its new value, keeping its ``s``."""
        style = forced if forced is not None else _s_of(tag)
        if enc is not None and (style is None or col.kind == "datetime") and enc[1].startswith(b"<" + self.p + b"v>"):
            style = self._date_style(col, style)
        new = self._cell(col.letters + str(n).encode(), style, enc)
        if new == old:  # a re-run: the cell already says exactly this
            return old
        content = old[len(tag): len(old) - (0 if tag.endswith(b"/>") else len(self.p) + 4)]
        fm = self._formula_re.search(content) if content else None
        if fm is None and (style is None or style == _s_of(tag)) and self._holds(tag, content, enc):
            return old  # the same value, written otherwise (e.g. a shared string after Excel saved)
        if content and n != self.plan.header_row and col.appended:
            raise _Conflict(col.index)
        if fm is not None:
            self.formulas = True
            self._check_shared(fm.group(0), col)
        self.cells += 1
        return new

    def _holds(self, tag: bytes, content: bytes, enc: _Enc | None) -> bool:
        """Whether a cell without formula already holds the value ``enc`` stands for."""
        if enc is None or not content:
            return enc is None and not content
        kind = _attr(tag, b"t") or b"n"
        if isinstance(enc[2], (int, float)):
            v = self._value_re.search(content)
            try:
                return kind == b"n" and v is not None and float(v.group(1)) == enc[2]
            except ValueError:
                return False
        if kind == b"inlineStr":
            return _plain_text(content) == enc[2]
        if kind == b"s" and self.shared is not None:
            v = self._value_re.search(content)
            index = int(v.group(1)) if v is not None and v.group(1).strip().isdigit() else -1
            return self.shared.text(index) == enc[2]
        return False

    def _check_shared(self, ftag: bytes, col: _Col) -> None:
        """A shared formula's master may only go when every cell sharing it goes too: the
        others hold no formula text of their own, and Excel would repair them away."""
        if not re.search(rb"""\st\s*=\s*["']shared["']""", ftag):
            return
        rm = re.search(rb"""\sref\s*=\s*["']([^"']+)["']""", ftag)
        bounds = _bounds(rm.group(1).decode("ascii", "replace")) if rm else None
        if bounds is None:
            return
        c1, r1, c2, r2 = bounds
        by_index = {c.index: c for c in self.plan.cols}
        for index in range(c1, c2 + 1):
            c = by_index.get(index)
            if c is None or any(r not in c.values for r in range(r1, r2 + 1)):
                ref = rm.group(1).decode("ascii", "replace") if rm else ""
                raise SalesxlError(
                    f"{col.letters.decode()} 列含共享公式（{ref}），本次只改写其中一部分单元格；"
                    "请先把这些公式转为数值后再运行",
                    f"Column {col.letters.decode()} holds a shared formula ({ref}) that would only "
                    "be partly overwritten; convert those formulas to values and run again",
                )

    # -- rows -------------------------------------------------------------------------------

    def _new_row(self, n: int) -> bytes:
        cells = b"".join(self._fresh(n, c, enc, forced, None) for c, enc, forced in self._jobs(n))
        if not cells:
            return b""
        return b"<" + self.p + b'row r="' + str(n).encode() + b'">' + cells + b"</" + self.p + b"row>"

    def _patch_row(self, text: bytes, n: int) -> bytes:
        jobs = self._jobs(n)
        if self._date_cols:
            self._see(text, n)
        if not jobs:
            return text
        p = self.p
        tag_end = text.find(b">")
        start_tag = text[: tag_end + 1]
        self_closing = start_tag.endswith(b"/>")
        end_tag = b"</" + p + b"row>"
        body = b"" if self_closing else text[tag_end + 1: len(text) - len(end_tag)]
        row_style = None
        if CUSTOM_FORMAT_RE.search(start_tag):
            s = _s_of(start_tag)
            row_style = int(s) if s is not None and s.isdigit() else None
        new_body = self._quick(body, n, jobs, row_style)
        if new_body is None:
            new_body = self._thorough(body, n, jobs, row_style)
        if new_body == body:
            return text
        if self_closing:
            start_tag = start_tag[:-2].rstrip() + b">"
        cols = [c.index for c, enc, _ in jobs if enc is not None]
        if cols and b"spans" in start_tag:
            start_tag = self._widen_spans(start_tag, min(cols), max(cols))
        return start_tag + new_body + end_tag

    def _widen_spans(self, tag: bytes, lo: int, hi: int) -> bytes:
        """A row tag whose optional ``spans`` hint covers the columns written (rows mostly
        share one ``spans`` value, so each answer is remembered)."""
        m = _SPANS_RE.search(tag)
        if m is None:
            return tag
        key = (m.group(2), lo, hi)
        new = self._spans.get(key)
        if new is None:
            new = self._spans[key] = _spans_over(m.group(2), lo, hi)
        return tag if new == m.group(2) else tag[: m.start(2)] + new + tag[m.end(2):]

    def _quick(self, body: bytes, n: int, jobs: list[_Job], row_style: int | None) -> bytes | None:
        """The row's new cells when each is found by ``<c r="REF"`` or belongs after the last
        cell; None when the row needs :meth:`_thorough`."""
        p = self.p
        open_c = b"<" + p + b'c r="'
        end_c = b"</" + p + b"c>"
        pieces = []
        cur = 0
        end = len(body)
        row = str(n).encode()
        for col, enc, forced in jobs:
            if cur == end:  # past the row's last cell: the rest are new cells
                pieces.append(self._fresh(n, col, enc, forced, row_style))
                continue
            i = body.find(open_c + col.letters + row + b'"', cur)
            if i < 0:
                last = _last_col(body, cur, p)
                if last is None or last >= col.index:
                    return None
                pieces.append(body[cur:])
                cur = end
                pieces.append(self._fresh(n, col, enc, forced, row_style))
                continue
            te = body.find(b">", i)
            if te < 0:
                raise Malformed("cell tag")
            ce = _cell_end(body, te, end_c)
            pieces.append(body[cur:i])
            pieces.append(self._replace(n, col, enc, forced, body[i:ce], body[i: te + 1]))
            cur = ce
        pieces.append(body[cur:])
        return b"".join(pieces)

    def _thorough(self, body: bytes, n: int, jobs: list[_Job], row_style: int | None) -> bytes:
        """The row's new cells by walking every cell (positions without ``r`` counted); cells
        without ``r`` get one, so inserting a cell cannot shift them."""
        p = self.p
        todo = list(jobs)
        pieces = []
        cur = 0
        row = str(n).encode()
        for cs, te, ce, col, named in _walk(body, p):
            tag = body[cs: te + 1]
            while todo and todo[0][0].index < col:
                c, enc, forced = todo.pop(0)
                pieces += [body[cur:cs], self._fresh(n, c, enc, forced, row_style)]
                cur = cs
            if todo and todo[0][0].index == col:
                c, enc, forced = todo.pop(0)
                pieces += [body[cur:cs], self._replace(n, c, enc, forced, body[cs:ce], tag)]
                cur = ce
            elif not named:
                at = len(p) + 2
                pieces += [body[cur:cs], tag[:at] + b' r="' + col_letters(col).encode() + row + b'"' + tag[at:],
                           body[te + 1: ce]]
                cur = ce
        pieces.append(body[cur:])
        pieces += [self._fresh(n, c, enc, forced, row_style) for c, enc, forced in todo]
        return b"".join(pieces)


_XML_ESCAPE_RE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescape(text: str) -> str:
    """OOXML text as shown: ``_xHHHH_`` escapes decoded (what :func:`ooxml_text` encodes)."""
    return _XML_ESCAPE_RE.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


_RPH_RE = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?rPh\b.*?</(?:[A-Za-z_][\w.\-]*:)?rPh\s*>", re.S)
_TEXT_RE = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?t(?:\s[^>]*)?>(.*?)</(?:[A-Za-z_][\w.\-]*:)?t\s*>", re.S)


def _plain_text(content: bytes) -> str:
    """The text of an inline or shared string (runs joined, phonetic guides left out)."""
    if b"rPh" in content:
        content = _RPH_RE.sub(b"", content)
    text = b"".join(_TEXT_RE.findall(content)).decode("utf-8", "replace")
    return _unescape(html.unescape(text) if "&" in text else text)


class _SharedStrings:
    """The workbook's shared strings, read (once, lazily) only when a cell to be written holds
    one: then an unchanged value keeps its cell exactly as it is.  Items are split with one
    regex pass and decoded only when asked for (a big table holds 100,000s of them)."""

    _SI_RE = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?si(?:\s[^>]*)?(?:/>|>(.*?)</(?:[A-Za-z_][\w.\-]*:)?si\s*>)", re.S)

    def __init__(self, writer: Marker) -> None:
        self.writer = writer
        self._items: list[bytes] | None = None
        self._texts: dict[int, str | None] = {}  # a column's old values share a few items

    def text(self, i: int) -> str | None:
        """The text of item ``i`` (None if there is no such item)."""
        try:
            return self._texts[i]
        except KeyError:
            pass
        if self._items is None:
            found = [part for _, part in self.writer.wb_rels.of_type(RT_SHARED_STRINGS)
                     if self.writer.pkg.has(part)]
            data = self.writer.pkg.read(found[0]) if found else b""
            self._items = [m.group(1) or b"" for m in self._SI_RE.finditer(data)]
        text = self._texts[i] = _plain_text(self._items[i]) if 0 <= i < len(self._items) else None
        return text


def _last_col(body: bytes, start: int, p: bytes) -> int | None:
    """Column of the row's last cell after ``start``: 0 when there is none, None when the cell
    has no ``r`` (its position needs counting)."""
    opening = b"<" + p + b"c"
    k = len(body)
    while True:
        k = body.rfind(opening, start, k)
        if k < 0:
            return 0
        if body[k + len(opening): k + len(opening) + 1] in (b" ", b"\t", b"\r", b"\n", b"/", b">"):
            break
    te = body.find(b">", k)
    rm = CELL_R_RE.search(body, k, te) if te >= 0 else None
    return (col_index(rm.group(1).decode()) or None) if rm else None


_SPANS_RE = re.compile(rb"""(\sspans\s*=\s*["'])([\d:\s]*)(["'])""")


def _spans_over(spans: bytes, lo: int, hi: int) -> bytes:
    """``spans`` ("1:7", or a list of such ranges) made to cover columns ``lo``..``hi``."""
    try:
        ranges = [tuple(int(x) for x in part.split(b":")) for part in spans.split()]
    except ValueError:
        return spans
    if not ranges or any(len(r) != 2 for r in ranges):
        return spans
    first, last = min(r[0] for r in ranges), max(r[1] for r in ranges)
    if any(r[0] <= lo and hi <= r[1] for r in ranges):
        return spans
    return f"{min(first, lo)}:{max(last, hi)}".encode()


# --------------------------------------------------------------------------------------------
# Around the sheet: its Table, the calculation chain


def _extend_table(writer: Marker, table: TableInfo, plan: _Plan) -> None:
    """Widen ``table`` over the appended columns (ref, autoFilter, one tableColumn each)."""
    added = [c for c in plan.cols if c.appended]
    last = max(c.index for c in added)
    root = table.root
    root.set("ref", f"{col_letters(table.c1)}{table.r1}:{col_letters(last)}{table.r2}")
    af = root.find(qname("autoFilter"))
    if af is not None:
        bounds = _bounds(af.get("ref", ""))
        if bounds is not None:
            af.set("ref", f"{col_letters(bounds[0])}{bounds[1]}:{col_letters(last)}{bounds[3]}")
    columns = root.find(qname("tableColumns"))
    if columns is None:
        raise UnreadableWorkbook(f"表格「{table.name}」已损坏（没有列）", f"Table '{table.name}' is damaged (no columns)")
    ids = [int(el.get("id", "0")) for el in columns.findall(qname("tableColumn")) if el.get("id", "").isdigit()]
    next_id = max(ids, default=0) + 1
    for i, c in enumerate(added):
        el = columns.makeelement(qname("tableColumn"), {"id": str(next_id + i), "name": c.header})
        columns.append(el)
    columns.set("count", str(len(columns.findall(qname("tableColumn")))))
    writer.pkg.put(table.part, serialize_xml(root))


def _drop_calc_chain(writer: Marker) -> None:
    """Excel rebuilds a missing calculation chain; one naming a formula we removed needs repair."""
    for rid, part in writer.wb_rels.of_type(RT_CALC_CHAIN):
        writer.pkg.delete(part)
        writer.ct.remove_override(part)
        writer.wb_rels.remove(rid)
