""":func:`scan_sheet`: stream-inflate one worksheet and find its real used range, fast.

Runs on every sheet of every read, so it is written for speed: one compiled ``re`` search per
chunk verifies that every cell is written the way spreadsheet programs write cells
(``<c r="B7" s="1">``), lies within the bounds seen so far and, if it holds a formula, has a
cached value; only what that search reports is looked at in Python, and chunks written
differently (prefixed elements, other attribute orders, cells without ``r``) take slower but
exact walks.  It rejects absurd ranges (the dense grid calamine would allocate) and lists the
formulas without a cached value.
"""

from __future__ import annotations

import codecs
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from salesxl.errors import UnreadableWorkbook
from salesxl.io.safety.limits import (
    SAFETY_LIMITS,
    SAVE_AS_EN,
    SAVE_AS_ZH,
    MiB,
    SheetPart,
    SheetScan,
    WorkbookInfo,
    clean_text,
    damaged_file,
    size_text,
    unreadable_file,
    unreadable_os_error,
)
from salesxl.io.safety.package import (
    ASCII_COMPATIBLE,
    DECLARED_ENCODING,
    check_zip_bomb,
    iter_member,
    open_zip,
    probe_xml,
)

# --------------------------------------------------------------------------------------------
# scan_sheet
# --------------------------------------------------------------------------------------------
#
# Fast path.  One compiled search per chunk finds the first ``<c`` that is NOT a cell written
# the way Excel / xlsxwriter / openpyxl / LibreOffice write cells:
#
#     <c r="REF"[ s|t="x"][ s|t="x"]  then  "/>"  or  ">" + (a child other than <f> |
#                                                     a formula followed by a non-empty <v>)
#
# with REF inside the column/row bounds seen so far.  Everything such a cell could do to
# calamine's grid is captured by its REF; the fixed attribute grammar rules out a second
# ``r`` attribute (calamine takes the last one).  Whatever the search reports is looked at
# in Python: a wider/higher cell raises the bounds, an uncached formula is recorded.  A chunk
# with many such cells, prefixed elements (``<x:c>``, invisible to the search) or cells
# without ``r`` goes to the bulk walk (every cell has an explicit r: one findall) or, failing
# that, the sequential walk (positions of r-less cells depend on their neighbours).

_MAX_CARRY = 1 * MiB
_MAX_FLAGGED = 256  # cells per chunk the fast path examines one by one before going bulk
_NAME = rb"(?:[A-Za-z_][\w.\-]*:)?"
_ATTRS = rb"((?:[^>\"']++|\"[^\"]*+\"|'[^']*+')*+)"
# Start tags of rows and cells (any prefix), end tags of rows; quote-aware attributes.
_EXACT_TAG = re.compile(rb"<(?:(/)" + _NAME + rb"row\s*>|" + _NAME + rb"(row|c)(?=[\s/>])"
                        + _ATTRS + rb">)")
_ATTR_PAIR = re.compile(rb"([^\s=/>\"']+)\s*=\s*(?:\"([^\"]*+)\"|'([^']*+)')")
_R_DQ = re.compile(rb'(?:^|\s)(?:[A-Za-z_][\w.\-]*:)?r\s*=\s*"([^"]*+)"')
_T_DQ = re.compile(rb'(?:^|\s)t\s*=\s*"([^"]*+)"')
_NOT_FORMULA = (b"<v", b"<i", b"</")
# Bulk walk for chunks whose cells all carry r but are not written canonically (prefixed
# elements as from the OpenXML SDK, other attribute orders): one findall instead of a loop.
_ANY_CELL = re.compile(rb"<" + _NAME + rb"c(?=[\s/>])")
_OTHER_ATTR = rb"""(?:\s++(?!(?:[A-Za-z_][\w.\-]*:)?r\s*=)[^\s=>/"']++\s*=\s*"[^"]*+")*+"""
_BULK_CELL = re.compile(
    rb"<" + _NAME + rb"c(?=[\s/>])" + _OTHER_ATTR
    + rb'\s++(?:[A-Za-z_][\w.\-]*:)?r\s*=\s*"\$?([A-Za-z]{1,12})\$?([0-9]{1,15})"'
    + _OTHER_ATTR + rb"\s*/?>"
)
_BULK_UNCACHED = re.compile(
    rb"<" + _NAME + rb"f(?=[\s/>])[^>]*+(?:(?<=/)>|>[^<]*+</" + _NAME + rb"f\s*>)\s*+"
    rb"(<" + _NAME + rb"v(?:\s[^>]*+|/)?(?:(?<=/)>|>\s*+</" + _NAME + rb"v\s*>))?\s*+</"
    + _NAME + rb"c\s*>"
)
_REF = re.compile(rb"\$?([A-Za-z]{1,12})\$?([0-9]{1,15})")
_CANON_LAST = re.compile(rb'<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"')
_PREFIXED = re.compile(rb":(?:c|row)(?=[\s/>])")
_NAME_CHARS = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
_TAG_END_BYTES = (b" ", b"\t", b"\r", b"\n", b"/", b">")
_F_START = re.compile(rb"\s*+<" + _NAME + rb"f(?=[\s/>])" + _ATTRS + rb">")
_F_END = re.compile(rb"</" + _NAME + rb"f\s*>")
_AFTER_F = re.compile(rb"\s*+<" + _NAME + rb"(v|is)(?=[\s/>])" + _ATTRS + rb">")
_V_EMPTY_END = re.compile(rb"\s*+</" + _NAME + rb"v\s*>")
_CELL_BODY = (  # after the start tag's ">": an element other than <f>, or a cached formula
    rb"(?:<[^f]|<f(?:\s[^>/]*+)?(?:/>|>[^<]*+</f>)<v>[^<])"
)
_ST_ATTR = rb' [st]="[0-9a-zA-Z]++"'
_FAST_TAIL = (
    rb'"(?:>' + _CELL_BODY + rb"|" + _ST_ATTR + rb"(?:>" + _CELL_BODY + rb"|" + _ST_ATTR
    + rb"(?:>" + _CELL_BODY + rb"|/>)|/>)|/>)"
)


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ch - 64)
    return n


def _col_letters(n: int) -> str:
    out = ""
    while n > 0:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out or "A"


def _cols_le(max_col: int) -> str:
    """Regex for upper-case column letters naming a column <= ``max_col``."""
    letters = _col_letters(max(max_col, 1))
    n = len(letters)
    alts = [f"[A-Z]{{1,{n - 1}}}"] if n > 1 else []
    for i in range(n - 1):
        if letters[i] > "A":
            alts.append(f"{letters[:i]}[A-{chr(ord(letters[i]) - 1)}][A-Z]{{{n - i - 1}}}")
    alts.append(f"{letters[:-1]}[A-{letters[-1]}]")
    return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"


def _rows_le(row: int, precise: bool) -> tuple[str, int]:
    """(regex, bound) for row numbers up to ``bound`` >= ``row``.

    The cheap form only caps the digit count (bound < 10 × row); the precise form is exact
    (bound == row).  Whatever the bound lets through is treated as possibly present, so the
    choice only decides how tight the verdict can be, never whether it is safe.
    """
    digits = str(max(row, 1))
    d = len(digits)
    if not precise:
        return f"[1-9][0-9]{{0,{d - 1}}}+", 10**d - 1
    alts = []
    for i in range(d - 1, -1, -1):  # longest shared prefix first: the usual case in a chunk
        low = 1 if i == 0 else 0
        if int(digits[i]) > low:
            alts.append(f"{digits[:i]}[{low}-{int(digits[i]) - 1}]" + (f"[0-9]{{{d - i - 1}}}"
                                                                       if i < d - 1 else ""))
    alts.insert(0, digits)
    if d > 1:
        alts.append(f"[1-9][0-9]{{0,{d - 2}}}")
    return "(?:" + "|".join(alts) + ")", int(digits)


_FAST_CACHE: dict[tuple[int, int, bool], tuple[re.Pattern[bytes], int]] = {}


def _fast_pattern(max_col: int, row: int, precise: bool) -> tuple[re.Pattern[bytes], int]:
    rows_re, bound = _rows_le(row, precise)
    key = (max_col, bound, precise)
    hit = _FAST_CACHE.get(key)
    if hit is None:
        if len(_FAST_CACHE) > 256:
            _FAST_CACHE.clear()
        source = (rb'<c(?! r="' + _cols_le(max_col).encode() + rows_re.encode() + _FAST_TAIL
                  + rb"|[^\s/>])")
        hit = (re.compile(source), bound)
        _FAST_CACHE[key] = hit
    return hit


_Mode = Literal["auto", "precise", "exact"]
"""auto: coarse row bounds where they cannot matter; precise: exact row bounds everywhere;
exact: the sequential walk for every chunk (cells without r after fast chunks need it)."""


class _NeedExact(Exception):
    """Internal: the fast path cannot vouch for this chunk; walk it tag by tag."""


class _RescanExact(Exception):
    """Internal: the fast result is ambiguous or lacks context; redo the sheet exactly."""


@dataclass
class _State:
    max_row: int = 0
    """Largest row of a cell actually seen."""
    row_bound: int = 0
    """Largest row the fast path could not rule out (>= max_row)."""
    max_col: int = 0
    cur_row: int | None = 0
    """Row of the current/last <row> element; None when the fast path lost track of it."""
    prev_col: int | None = 0
    """Column of the previous cell in the current row; None when unknown."""
    in_row: bool = False


class _SheetScanner:
    """Feeds the chunks of one worksheet through the fast or the exact walk."""

    def __init__(self, name: str, sheet: str, xml_bytes: int, mode: _Mode) -> None:
        self.name = name
        self.sheet = sheet
        self.mode = mode
        self.state = _State()
        self.uncached: list[tuple[int, int]] = []
        limits = SAFETY_LIMITS
        # Largest area the coarse row bound may imply without risking a false verdict.
        self.easy_area = min(
            limits.max_cells // 2,
            max(limits.sparse_min_cells,
                limits.sparse_factor * (xml_bytes // limits.min_cell_xml_bytes)) // 2,
        )

    # -- helpers ---------------------------------------------------------------------------

    def _bad(self, what_zh: str, what_en: str) -> UnreadableWorkbook:
        return damaged_file(self.name, f"工作表「{self.sheet}」{what_zh}",
                        f"sheet '{self.sheet}' {what_en}")

    def _bad_ref(self, ref: bytes) -> UnreadableWorkbook:
        shown = clean_text(ref[:40].decode("utf-8", errors="replace"))
        return self._bad(f"中的单元格引用「{shown}」无效", f"has an invalid cell reference '{shown}'")

    def _attrs(self, attrs: bytes) -> tuple[bytes | None, bytes | None]:
        """(r, t) of a start tag; two ``r`` attributes are refused (calamine takes the last)."""
        if b"'" not in attrs:
            # Only double-quoted values: ` r="` cannot hide inside one, so a plain search works.
            r = None
            if b"r" in attrs:
                rs = _R_DQ.findall(attrs)
                if len(rs) > 1:
                    raise self._bad("中有重复的 r 属性", "has a cell or row with two r attributes")
                r = rs[0] if rs else None
            tm = _T_DQ.search(attrs) if b"t" in attrs else None
            return r, (tm.group(1) if tm is not None else None)
        r = t = None
        seen_r = False
        for m in _ATTR_PAIR.finditer(attrs):
            key = m.group(1)
            local = key[key.rfind(b":") + 1:]
            value = m.group(2) if m.group(2) is not None else m.group(3)
            if local == b"r":
                if seen_r:
                    raise self._bad("中有重复的 r 属性", "has a cell or row with two r attributes")
                seen_r = True
                r = value
            elif key == b"t":
                t = value
        return r, t

    def _parse_ref(self, ref: bytes) -> tuple[int, int]:
        m = _REF.fullmatch(ref.strip())
        if m is None or int(m.group(2)) == 0:
            raise self._bad_ref(ref)
        return int(m.group(2)), _col_number(m.group(1))

    @staticmethod
    def _formula_uncached(buf: bytes, pos: int, t: bytes | None) -> bool:
        """Whether the cell content at ``pos`` starts with a formula that has no cached value."""
        if buf[pos:pos + 2] in _NOT_FORMULA:
            return False
        fm = _F_START.match(buf, pos)
        if fm is None:
            return False
        if fm.group(1).endswith(b"/"):
            after = fm.end()
        else:
            lt = buf.find(b"<", fm.end())
            fe = _F_END.match(buf, lt) if lt >= 0 else None
            if fe is None:
                return False  # malformed; the parser will complain
            after = fe.end()
        nxt = _AFTER_F.match(buf, after)
        if nxt is None:
            return True  # nothing after the formula: no <v>
        if nxt.group(1) == b"is":
            return False  # inline string result
        empty = nxt.group(2).endswith(b"/") or _V_EMPTY_END.match(buf, nxt.end()) is not None
        # Excel stores a formula whose result is "" as t="str" with an empty <v>.
        return empty and t != b"str"

    # -- per chunk -------------------------------------------------------------------------

    def feed(self, buf: bytes, start: int, cut: int) -> None:
        """Account for every cell whose start tag begins in ``buf[start:cut]``."""
        if self.mode != "exact":
            try:
                self._fast(buf, start, cut)
                return
            except _NeedExact:
                pass
            try:
                self._bulk(buf, start, cut)
                return
            except _NeedExact:
                st = self.state
                if st.cur_row is None or st.prev_col is None:
                    raise _RescanExact from None
        self._exact(buf, start, cut)

    def _bulk(self, buf: bytes, start: int, cut: int) -> None:
        """All cells of the chunk carry an explicit r, so positions need no row context."""
        refs = _BULK_CELL.findall(buf, start, cut)
        if len(refs) != len(_ANY_CELL.findall(buf, start, cut)):
            raise _NeedExact  # a cell without r, a duplicate r, or an unusual tag
        st = self.state
        uncached: list[tuple[int, int]] = []
        for m in _BULK_UNCACHED.finditer(buf, start, cut):
            j = buf.rfind(b"<", start, m.start())
            cell = _EXACT_TAG.match(buf, j) if j >= 0 else None
            if cell is None or cell.group(2) != b"c":
                raise _NeedExact
            r, t = self._attrs(cell.group(3))
            if r is None:
                raise _NeedExact
            if m.group(1) is not None and t == b"str":
                continue  # an empty string result
            uncached.append(self._parse_ref(r))
        if refs:
            rows = [int(digits) for _letters, digits in refs]
            if min(rows) == 0:
                raise _NeedExact
            st.max_row = max(st.max_row, max(rows))
            st.row_bound = max(st.row_bound, st.max_row)
            st.max_col = max(st.max_col, max(_col_number(x) for x in {x for x, _d in refs}))
        self.uncached.extend(uncached)
        # The row context is not tracked here; a later chunk that needs it rescans.
        st.cur_row = st.prev_col = None

    def _has_prefixed_cells(self, buf: bytes, start: int, cut: int) -> bool:
        if buf.find(b":", start, cut) < 0:
            return False
        for m in _PREFIXED.finditer(buf, start, cut):
            j = m.start()
            k = j
            while k > 0 and buf[k - 1] in _NAME_CHARS:
                k -= 1
            if k < j and (buf[k - 1:k] == b"<" or buf[k - 2:k] == b"</"):
                return True
        return False

    def _fast(self, buf: bytes, start: int, cut: int) -> None:
        st = self.state
        if self._has_prefixed_cells(buf, start, cut):
            raise _NeedExact
        max_col = st.max_col
        top_row = 0
        last = buf.rfind(b'<c r="', start, cut)
        if last >= 0:
            lm = _CANON_LAST.match(buf, last)
            if lm is not None:
                top_row = int(lm.group(2))
                max_col = max(max_col, _col_number(lm.group(1)))
        precise = self.mode == "precise" or (
            (10 ** len(str(max(top_row, 1))) - 1) * max(max_col, 1) > self.easy_area)
        pattern, bound = _fast_pattern(max_col, top_row, precise)
        uncached: list[tuple[int, int]] = []
        last_cell = (-1, 0, 0)  # (start, row, col) of the last cell handled in Python
        handled = 0
        pos = start
        while True:
            m = pattern.search(buf, pos)
            if m is None or m.start() >= cut:
                break
            s = m.start()
            if buf[s + 2:s + 3] not in _TAG_END_BYTES:  # <col>, <color>, <cfRule>, ...
                pos = s + 2
                continue
            handled += 1
            if handled > _MAX_FLAGGED:
                raise _NeedExact  # many unusual cells: the bulk walk is faster
            tag = _EXACT_TAG.match(buf, s)
            if tag is None:
                raise _NeedExact
            r, t = self._attrs(tag.group(3))
            if r is None:
                raise _NeedExact  # position depends on the neighbours
            row, col = self._parse_ref(r)
            last_cell = (s, row, col)
            if col > max_col or row > bound:
                max_col = max(max_col, col)
                top_row = max(top_row, row)
                precise = precise or (
                    (10 ** len(str(top_row)) - 1) * max_col > self.easy_area)
                pattern, bound = _fast_pattern(max_col, top_row, precise)
            elif row > top_row:
                top_row = row
            if not tag.group(3).endswith(b"/") and self._formula_uncached(buf, tag.end(), t):
                uncached.append((row, col))
            pos = tag.end()
        # Commit.
        st.max_col = max_col
        st.max_row = max(st.max_row, top_row)
        st.row_bound = max(st.row_bound, bound if top_row else 0, top_row)
        self.uncached.extend(uncached)
        self._fast_context(buf, start, cut, last, last_cell)

    def _fast_context(self, buf: bytes, start: int, cut: int, last: int,
                      handled: tuple[int, int, int]) -> None:
        """Row context at ``cut`` for a following exact chunk; None where unknown."""
        st = self.state
        cell_start, cell_col = -1, 0  # type: tuple[int, int | None]
        if handled[0] >= last:
            cell_start, cell_col = handled[0], handled[2]
        elif last >= 0:
            lm = _CANON_LAST.match(buf, last)
            # A last cell the canonical pattern cannot read (a lower-case or four-letter column)
            # leaves the column unknown: a following chunk that needs it rescans exactly.
            cell_start, cell_col = last, (_col_number(lm.group(1)) if lm is not None else None)
        row_start = buf.rfind(b"<row", start, cut)
        while row_start >= 0 and buf[row_start + 4:row_start + 5] not in _TAG_END_BYTES:
            row_start = buf.rfind(b"<row", start, row_start)
        if row_start >= 0:
            tag = _EXACT_TAG.match(buf, row_start)
            r = self._attrs(tag.group(3))[0] if tag is not None else None
            st.cur_row = int(r) if r is not None and r.strip().isdigit() and int(r) > 0 else None
            if row_start > cell_start:
                st.prev_col = 0
                st.in_row = (tag is not None and not tag.group(3).endswith(b"/")
                             and buf.find(b"</row", tag.end(), cut) < 0)
                return
        if cell_start >= 0:
            st.prev_col = cell_col
            st.in_row = buf.find(b"</row", cell_start, cut) < 0
        elif buf.find(b"</row", start, cut) >= 0:
            st.in_row = False

    def _exact(self, buf: bytes, start: int, cut: int) -> None:
        st = self.state
        cur_row = st.cur_row or 0
        prev_col = st.prev_col or 0
        in_row = st.in_row
        max_row = st.max_row
        max_col = st.max_col
        uncached = self.uncached
        for m in _EXACT_TAG.finditer(buf, start, cut):
            if m.group(1):  # </row>
                in_row = False
                continue
            attrs = m.group(3)
            r, t = self._attrs(attrs)
            if m.group(2) == b"row":
                if r is not None:
                    value = r.strip()
                    if not value.isdigit() or int(value) == 0:
                        raise self._bad_ref(r)
                    cur_row = int(value)
                else:
                    cur_row += 1
                prev_col = 0
                in_row = not attrs.endswith(b"/")
                continue
            if r is not None:
                row, col = self._parse_ref(r)
            else:
                # calamine: a cell without r sits in its row element's row, right of the
                # previous cell; outside any row it lands on the next row.
                row = max(cur_row if in_row else cur_row + 1, 1)
                col = prev_col + 1
            prev_col = col
            if row > max_row:
                max_row = row
            if col > max_col:
                max_col = col
            if not attrs.endswith(b"/") and self._formula_uncached(buf, m.end(), t):
                uncached.append((row, col))
        st.cur_row = cur_row
        st.prev_col = prev_col
        st.in_row = in_row
        st.max_row = max_row
        st.row_bound = max(st.row_bound, max_row)
        st.max_col = max_col


def _prefixed_cell_start(buf: bytes, colon: int) -> int:
    """Start of the ``<P:c`` tag whose ``:c`` is at ``colon``, or -1 if it is not one."""
    if buf[colon + 2:colon + 3] not in _TAG_END_BYTES:
        return -1
    k = colon
    while k > 0 and buf[k - 1] in _NAME_CHARS:
        k -= 1
    return k - 1 if k < colon and buf[k - 1:k] == b"<" else -1


def _cut_point(buf: bytes, start: int) -> int | None:
    """Where to split a chunk so that every cell keeps its start tag and formula together.

    The cut is the last ``<c`` (a cell, or a harmless ``<col``/``<color``) in the last MiB,
    or, in a document with prefixed elements only, the last ``<P:c``; the tail from there is
    carried into the next chunk.  ``None``: no cell starts after ``start`` yet, carry all of
    it.  ``len(buf)``: the last MiB holds no cell start (long text, the end of the sheet).
    """
    lo = max(start + 1, len(buf) - _MAX_CARRY)
    cut = buf.rfind(b"<c", lo)
    if cut < 0:  # only then pay for looking at prefixed tags
        colon = buf.rfind(b":c", lo)
        while colon >= 0:
            k = _prefixed_cell_start(buf, colon)
            if k >= lo:
                cut = k
                break
            colon = buf.rfind(b":c", lo, colon)
    if cut >= lo:
        return cut
    return None if len(buf) - start < _MAX_CARRY else len(buf)


def _first_cell_start(buf: bytes) -> int:
    """Position of the first ``<c`` in ``buf`` (failing that, of a ``<P:c``; -1 if none).

    Any ``<c`` ends a seam safely: whatever cell starts before it also ends before it.
    """
    first = buf.find(b"<c")
    if first >= 0:
        return first
    colon = buf.find(b":c")
    while colon >= 0:
        k = _prefixed_cell_start(buf, colon)
        if k >= 0:
            return k
        colon = buf.find(b":c", colon + 1)
    return -1


def _area_problem(max_row: int, max_col: int, xml_bytes: int) -> str | None:
    """Why calamine's dense grid for this used range would be absurd, or None.

    "sparse" (the XML is far too small to hold a range that big: stray far-away cells) is
    reported in preference to "cells" (simply too big), because it names the likely cause.
    """
    limits = SAFETY_LIMITS
    area = max_row * max_col
    if area > limits.sparse_min_cells and area > limits.sparse_factor * (
        xml_bytes // limits.min_cell_xml_bytes
    ):
        return "sparse"
    if area > limits.max_cells:
        return "cells"
    return None


def scan_sheet(path: str | Path, info: WorkbookInfo, sheet: SheetPart) -> SheetScan:
    """Stream-inflate one worksheet part, find its real used range, refuse absurd ones.

    Must run before calamine/fastexcel open the sheet: they allocate ``max_row * max_col``
    cells up front.  ``<dimension>`` is ignored (it can lie).  Costs about one inflate plus
    one fast regex pass; chunks not written the way spreadsheet programs write cells are
    walked tag by tag, and a result the fast bounds cannot settle is recomputed exactly.
    """
    p = Path(path)
    name = clean_text(p.name or str(info.path))
    sheet_name = clean_text(sheet.name)
    try:
        file_size = p.stat().st_size
    except OSError as exc:
        raise unreadable_os_error(name, exc) from exc
    zf = open_zip(name, p, file_size)
    with zf:
        try:
            zinfo = zf.getinfo(sheet.part)
        except KeyError as exc:
            raise damaged_file(name, f"工作表「{sheet_name}」对应的「{clean_text(sheet.part)}」不存在",
                           f"the part '{clean_text(sheet.part)}' of sheet '{sheet_name}' is "
                           "missing") from exc
        check_zip_bomb(name, [zinfo])
        xml_bytes = zinfo.file_size
        try:
            scanner = _scan_member(name, sheet_name, zf, zinfo, "auto")
            st = scanner.state
            if (_area_problem(st.row_bound, st.max_col, xml_bytes) is not None
                    and _area_problem(st.max_row, st.max_col, xml_bytes) is None):
                # Only the coarse row bound objects: settle it with exact bounds.
                scanner = _scan_member(name, sheet_name, zf, zinfo, "precise")
                st = scanner.state
        except _RescanExact:
            scanner = _scan_member(name, sheet_name, zf, zinfo, "exact")
            st = scanner.state
    problem = _area_problem(st.max_row, st.max_col, xml_bytes)
    if problem is not None:
        raise _absurd_range(name, sheet_name, st.max_row, st.max_col, file_size, problem)
    return SheetScan(st.max_row, st.max_col, tuple(scanner.uncached))


def _scan_member(
    name: str, sheet_name: str, zf: zipfile.ZipFile, zinfo: zipfile.ZipInfo, mode: _Mode
) -> _SheetScanner:
    chunks = iter_member(name, zf, zinfo, SAFETY_LIMITS.scan_chunk_bytes)
    return _scan_chunks(name, sheet_name, clean_text(zinfo.filename), chunks, zinfo.file_size, mode)


def _scan_chunks(
    name: str, sheet_name: str, member: str, chunks: Iterable[bytes], xml_bytes: int,
    mode: _Mode,
) -> _SheetScanner:
    """Run the worksheet XML, in arbitrary pieces, through a :class:`_SheetScanner`."""
    scanner = _SheetScanner(name, sheet_name, xml_bytes, mode)
    carry = b""
    first = True
    for chunk in chunks:
        if first:
            first = False
            _check_sheet_head(name, sheet_name, member, chunk, xml_bytes)
        start = 0
        if carry:
            # Finish the carried cell with the head of this chunk (up to its first "<c")
            # instead of copying the whole chunk behind the carry.
            seam_end = _first_cell_start(chunk)
            if seam_end < 0:
                chunk, carry = carry + chunk, b""
            else:
                seam = carry + chunk[:seam_end]
                scanner.feed(seam, 0, len(seam))
                start, carry = seam_end, b""
        cut = _cut_point(chunk, start)
        if cut is None:
            carry = chunk[start:]
            continue
        if cut == len(chunk) and chunk.rfind(b"<", start) > chunk.rfind(b">", start):
            raise damaged_file(name, f"工作表「{sheet_name}」中有异常巨大的 XML 标签",
                           f"sheet '{sheet_name}' has an absurdly long XML tag")
        scanner.feed(chunk, start, cut)
        carry = chunk[cut:]
    if carry:
        scanner.feed(carry, 0, len(carry))
    return scanner


def _check_sheet_head(name: str, sheet: str, member: str, head: bytes, size: int) -> None:
    """The scan reads bytes as ASCII-compatible XML; refuse anything it could misread."""
    probe = head[: SAFETY_LIMITS.xml_probe_bytes]
    # inspect_workbook judged the prolog on a full window; a short first chunk cannot.
    probe_xml(name, member, probe, size <= len(probe) or len(probe) < SAFETY_LIMITS.xml_probe_bytes)
    declared = DECLARED_ENCODING.match(probe)
    utf16 = probe.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, b"<\x00", b"\x00<"))
    if utf16 or (declared is not None
                 and not ASCII_COMPATIBLE.match(declared.group(1).decode("ascii"))):
        raise unreadable_file(
            name,
            f"工作表「{sheet}」的 XML 使用了不支持的字符编码；{SAVE_AS_ZH}",
            f"sheet '{sheet}' is stored in an unsupported XML character encoding; "
            f"{SAVE_AS_EN}",
        )


def _absurd_range(
    name: str, sheet: str, max_row: int, max_col: int, file_size: int, problem: str
) -> UnreadableWorkbook:
    limits = SAFETY_LIMITS
    ref = f"A1:{_col_letters(max_col)}{max_row}"
    area = max_row * max_col
    fix_zh = ("可能是在很远的单元格里误输入了内容或设置了格式；请在 Excel 中按 Ctrl+End 找到最后一个"
              "单元格，删除多余的行和列后保存再试")
    fix_en = ("probably stray content or formatting in a far-away cell; in Excel press Ctrl+End "
              "to find it, delete the extra rows and columns, save and try again")
    if problem == "sparse":
        return unreadable_file(
            name,
            f"工作表「{sheet}」的已用区域 {ref} 大得不合理（文件只有 {size_text(file_size)}，"
            f"却跨 {area:,} 个单元格），{fix_zh}",
            f"sheet '{sheet}' has an absurd used range {ref} (the file is only "
            f"{size_text(file_size)} but the range spans {area:,} cells); {fix_en}",
        )
    return unreadable_file(
        name,
        f"工作表「{sheet}」的已用区域 {ref} 大得不合理（共 {area:,} 个单元格，上限 "
        f"{limits.max_cells:,}），{fix_zh}",
        f"sheet '{sheet}' has an absurd used range {ref} ({area:,} cells; the limit is "
        f"{limits.max_cells:,}); {fix_en}",
    )
