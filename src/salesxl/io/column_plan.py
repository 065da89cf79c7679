"""Planning a column patch before the sheet streams: its head, header row and plan of cells.

:class:`ReadAhead` reads the sheet's head and header row (where each patched column is, or
where a missing one goes) before streaming starts; :class:`PatchPlan` holds, per column, the
cells to write with their typed values (:func:`typed_cell`: text, int, exact amount, number,
date serial) and the header, ``<col>`` width and ``<dimension>`` changes to the sheet's head
(:func:`patch_head`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO

from salesxl.core.cells import excel_serial
from salesxl.errors import BadArguments
from salesxl.io.column_types import DATE_FORMAT, MAX_WIDTH, SheetPatch, TableInfo, ref_bounds
from salesxl.io.ooxml import package as ooxml_package
from salesxl.io.ooxml.rels import qname
from salesxl.io.ooxml.sheet import CELL_R_RE, ROW_R_RE, S_ATTR_RE, SHEETDATA_RE, Malformed
from salesxl.io.ooxml.styles import Styles, with_attrs
from salesxl.io.ooxml.text import MAX_COL, col_index, col_letters, display_width, normalize_name

# --------------------------------------------------------------------------------------------
# Reading ahead: the sheet's head and its header row, before streaming starts


class ReadAhead:
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
        self.dimension = ref_bounds(dm.group(1).decode("ascii", "replace")) if dm else None
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


def walk_cells(body: bytes, p: bytes) -> Iterator[tuple[int, int, int, int, bool]]:
    """(start, start tag end, end, column, has ``r``) of each cell of one row's XML; a cell
    without ``r`` is the one after the previous cell, as Excel reads it."""
    cell_re = re.compile(rb"<" + re.escape(p) + rb"c(?=[\s/>])")
    end_cell = b"</" + p + b"c>"
    pos = last = 0
    while (m := cell_re.search(body, pos)) is not None:
        te = body.find(b">", m.end())
        if te < 0:
            raise Malformed("cell tag")
        pos = cell_end(body, te, end_cell)
        rm = CELL_R_RE.search(body, m.start(), te + 1)
        last = (col_index(rm.group(1).decode()) or 0) if rm else last + 1
        yield m.start(), te, pos, last, rm is not None


def _cells(body: bytes, p: bytes) -> list[tuple[int, bytes | None, bool]]:
    """(column, ``s`` attribute, holds a value) of each cell of one row's XML."""
    return [(col, s_of(body[cs: te + 1]), ce > te + 1 + len(p) + 4) for cs, te, ce, col, _ in walk_cells(body, p)]


def cell_end(body: bytes, te: int, end_cell: bytes) -> int:
    """Where the cell whose start tag ends at ``te`` ends."""
    if body[te - 1] == 0x2F:
        return te + 1
    ce = body.find(end_cell, te)
    if ce < 0:
        raise Malformed("cell")
    return ce + len(end_cell)


def s_of(tag: bytes) -> bytes | None:
    """The ``s`` attribute of a start tag."""
    return tag_attr(tag, b"s", S_ATTR_RE)


def tag_attr(tag: bytes, name: bytes, pattern: re.Pattern[bytes] | None = None) -> bytes | None:
    """Attribute ``name`` of a start tag: the usual `` name="…"`` found without a regex."""
    key = b" " + name + b'="'
    i = tag.find(key)
    if i >= 0:
        return tag[i + len(key): tag.find(b'"', i + len(key))]
    m = (pattern or re.compile(rb"\s" + name + rb"""\s*=\s*(?:"([^"]*)"|'([^']*)')""")).search(tag)
    if m is None:
        return None
    return m.group(1) if m.group(1) is not None else m.group(2)


class Chained:
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
class PlannedColumn:
    index: int
    letters: bytes
    kind: str
    values: Mapping[int, object]
    header: str
    appended: bool


@dataclass
class PatchPlan:
    cols: list[PlannedColumn]  # in column order
    header_row: int
    header_style: bytes | None
    rows: list[int]
    last_row: int  # the lowest row that gets a value (0: none)
    widths: dict[int, float]  # appended column → width

    @classmethod
    def build(cls, patch: SheetPatch, start: int, ahead: ReadAhead, table: TableInfo | None) -> PatchPlan:
        taken = set()
        if table is not None:
            taken = {normalize_name(el.get("name", "")) for el in table.root.iter(qname("tableColumn"))}
        cols = []
        at = start
        for c in patch.columns:
            if c.letter is not None:
                index = col_index(c.letter) or 0
                cols.append(PlannedColumn(index, col_letters(index).encode(), c.kind, c.values, c.header, False))
                continue
            header = _unique(c.header.strip(), taken)
            taken.add(normalize_name(header))
            cols.append(PlannedColumn(at, col_letters(at).encode(), c.kind, c.values, header, True))
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
            last_row = max([last_row, *(r for r, v in col.values.items() if not is_blank(v))])
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


def is_blank(v: object) -> bool:
    return v is None or (isinstance(v, float) and v != v) or (v.__class__.__name__ == "NaTType")


def typed_cell(kind: str, value: object, *, date1904: bool = False) -> tuple[str, float]:
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


def date_xf(styles: Styles, code: str = DATE_FORMAT) -> int:
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


def _width(col: PlannedColumn) -> float:
    """A width fitting the header and the values (CJK counts double), within reason."""
    shown = {str(v) for v in col.values.values() if not is_blank(v)}
    widest = max([display_width(col.header), *(display_width(s) for s in shown)])
    return float(min(max(widest + 2, 8), MAX_WIDTH))


def patch_head(head: bytes, p: bytes, plan: PatchPlan) -> bytes:
    """The sheet's head with a ``<dimension>`` covering what is written and ``<col>`` widths for
    the appended columns (where no ``<col>`` covers them yet); otherwise the same bytes."""
    written = [c.index for c in plan.cols if c.appended or any(not is_blank(v) for v in c.values.values())]
    dm = re.search(rb"(<" + re.escape(p) + rb"""dimension\s[^>]*?\bref\s*=\s*["'])([^"']*)(["'])""", head)
    if dm is not None and written and plan.last_row:
        old = ref_bounds(dm.group(2).decode("ascii", "replace"))
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
