"""Writing a column patch's cells, row by row, on the marker's streaming sheet patcher.

:class:`CellPatcher` (a :class:`~salesxl.io.ooxml.sheet.SheetPatcher`) rewrites only the cells
of the patched columns as rows stream past: inline strings or numbers, keeping each cell's
style, leaving a cell that already holds its value byte for byte (:class:`SharedStrings` reads
a shared string's text to tell), refusing a shared formula it cannot replace whole
(:class:`PatchConflict`), and widening row ``spans``.
"""

from __future__ import annotations

import html
import re

from salesxl.errors import BadArguments, SalesxlError
from salesxl.io.column_plan import (
    PatchPlan,
    PlannedColumn,
    cell_end,
    date_xf,
    is_blank,
    s_of,
    tag_attr,
    typed_cell,
    walk_cells,
)
from salesxl.io.column_types import DATETIME_FORMAT, RT_SHARED_STRINGS, ref_bounds
from salesxl.io.marking import Marker
from salesxl.io.ooxml.sheet import CELL_R_RE, CUSTOM_FORMAT_RE, Malformed, SheetPatcher
from salesxl.io.ooxml.styles import Styles
from salesxl.io.ooxml.text import BAD_XML_CHARS, MAX_TEXT, col_index, col_letters, ooxml_text

# --------------------------------------------------------------------------------------------
# How: the cells, row by row, on the marker's streaming patcher


class PatchConflict(Exception):
    """An appended column would overwrite a value already in the sheet."""

    def __init__(self, col: int) -> None:
        super().__init__(col)
        self.col = col


#: A value as written: (``t`` attribute, cell content, the value as text or int).
_Enc = tuple[bytes, bytes, str | int | float]
#: (column, encoded value or None for an empty cell, forced ``s``) of one cell to write.
_Job = tuple[PlannedColumn, _Enc | None, bytes | None]


def _same_tail(tail: bytes, *_: object) -> bytes:
    return tail


class CellPatcher(SheetPatcher):
    """The marker's sheet streamer, setting cell values instead of cell styles.

    The streamer finds the rows with work (a fast byte search per row) and hands each one to
    :meth:`_patch_row`; a row the sheet lacks comes from :meth:`_new_row`.  A row's cells are
    usually found by one search each for ``<c r="G5"``; rows written oddly (cells without
    ``r``, other attribute orders) go through a full parse of the row.
    """

    def __init__(self, plan: PatchPlan, styles: Styles, shared: SharedStrings | None = None, *,
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
        if is_blank(value):
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
            shown, exact = typed_cell(kind, value, date1904=self.date1904)
            return b"", b"<" + p + b"v>" + shown.encode() + b"</" + p + b"v>", exact
        text = BAD_XML_CHARS.sub("", str(value))
        if not text:
            return None
        return (b' t="inlineStr"', b"<" + p + b"is><" + p + b't xml:space="preserve">' + ooxml_text(text)
                + b"</" + p + b"t></" + p + b"is>", text[:MAX_TEXT])

    def _date_style(self, col: PlannedColumn, s: bytes | None) -> bytes | None:
        """The style of a date cell: its own, else the column's nearest above, else yyyy-mm-dd
        (a serial number without a date format would show as a bare number).  A date-time
        cell always gets yyyy-mm-dd hh:mm:ss (the rows above may hold older text)."""
        if col.kind == "datetime":
            if self._datetime_xf is None:
                self._datetime_xf = str(date_xf(self.styles, DATETIME_FORMAT)).encode()
            return self._datetime_xf
        if col.kind != "date" or s is not None:
            return s
        above = self._above.get(col.index)
        if above is not None:
            return above
        if self._date_xf is None:
            self._date_xf = str(date_xf(self.styles)).encode()
        return self._date_xf

    def _see(self, text: bytes, n: int) -> None:
        """Remember the style of each date column's cell in row ``n`` (for the rows below)."""
        row = str(n).encode()
        for col in self._date_cols:
            i = text.find(b"<" + self.p + b'c r="' + col.letters + row + b'"')
            if i >= 0:
                s = s_of(text[i: text.find(b">", i) + 1])
                if s is not None and s != b"0":
                    self._above[col.index] = s

    def _cell(self, ref: bytes, s: bytes | None, enc: _Enc | None) -> bytes:
        p = self.p
        style = b' s="' + s + b'"' if s is not None else b""
        if enc is None:
            return b"<" + p + b'c r="' + ref + b'"' + style + b"/>" if s is not None else b""
        return b"<" + p + b'c r="' + ref + b'"' + style + enc[0] + b">" + enc[1] + b"</" + p + b"c>"

    def _fresh(self, n: int, col: PlannedColumn, enc: _Enc | None, forced: bytes | None,
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

    def _replace(self, n: int, col: PlannedColumn, enc: _Enc | None, forced: bytes | None,
                 old: bytes, tag: bytes) -> bytes:
        """An existing cell with its new value, keeping its ``s``."""
        style = forced if forced is not None else s_of(tag)
        if enc is not None and (style is None or col.kind == "datetime") and enc[1].startswith(b"<" + self.p + b"v>"):
            style = self._date_style(col, style)
        new = self._cell(col.letters + str(n).encode(), style, enc)
        if new == old:  # a re-run: the cell already says exactly this
            return old
        content = old[len(tag): len(old) - (0 if tag.endswith(b"/>") else len(self.p) + 4)]
        fm = self._formula_re.search(content) if content else None
        if fm is None and (style is None or style == s_of(tag)) and self._holds(tag, content, enc):
            return old  # the same value, written otherwise (e.g. a shared string after Excel saved)
        if content and n != self.plan.header_row and col.appended:
            raise PatchConflict(col.index)
        if fm is not None:
            self.formulas = True
            self._check_shared(fm.group(0), col)
        self.cells += 1
        return new

    def _holds(self, tag: bytes, content: bytes, enc: _Enc | None) -> bool:
        """Whether a cell without formula already holds the value ``enc`` stands for."""
        if enc is None or not content:
            return enc is None and not content
        kind = tag_attr(tag, b"t") or b"n"
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

    def _check_shared(self, ftag: bytes, col: PlannedColumn) -> None:
        """A shared formula's master may only go when every cell sharing it goes too: the
        others hold no formula text of their own, and Excel would repair them away."""
        if not re.search(rb"""\st\s*=\s*["']shared["']""", ftag):
            return
        rm = re.search(rb"""\sref\s*=\s*["']([^"']+)["']""", ftag)
        bounds = ref_bounds(rm.group(1).decode("ascii", "replace")) if rm else None
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
            s = s_of(start_tag)
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
            ce = cell_end(body, te, end_c)
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
        for cs, te, ce, col, named in walk_cells(body, p):
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


class SharedStrings:
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
