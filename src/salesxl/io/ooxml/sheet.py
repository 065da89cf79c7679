"""The streaming sheet-XML patcher: cells rewritten while the sheet passes through.

Owns :class:`SheetPatcher`, the base of every sheet edit (marks, result sheets, column
patches): it streams a worksheet part, skips byte for byte every row without work, and lets a
subclass rewrite the cells and rows it is given; with it the byte-level regexes of rows, cells
and attributes, :class:`Malformed` (a sheet it cannot patch safely) and :class:`SheetEntry`
(a sheet as the workbook part lists it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from salesxl.core.findings import Severity
from salesxl.io.ooxml import package as ooxml_package
from salesxl.io.ooxml.package import DeflateSink
from salesxl.io.ooxml.rels import NS_R
from salesxl.io.ooxml.styles import Styles
from salesxl.io.ooxml.text import col_index, col_letters

__all__ = [
    "CELL_R_RE", "CUSTOM_FORMAT_RE", "CellRec", "Malformed", "PatchTask", "ROW_R_RE",
    "SHEETDATA_RE", "S_ATTR_RE", "SheetEntry", "SheetPatcher", "tail_insert_at",
]

# The record of what we changed, kept in the workbook as a custom XML part


@dataclass
class CellRec:
    row: int
    col: int
    m: int  # the style index we set
    eff: int  # the cell's original effective style index (what the mark was cloned from)
    o: str | None  # the original s attribute (None: there was none)
    e: bool = True  # the cell existed
    nr: bool = False  # we created its row
    sc: bool = False  # its row was an empty <row …/>

# --------------------------------------------------------------------------------------------
# Sheet XML: the streaming patcher

SHEETDATA_RE = re.compile(rb"<([A-Za-z_][\w.\-]*:)?sheetData(?=[\s/>])")
ROW_R_RE = re.compile(rb"""\sr\s*=\s*["'](\d+)["']""")
CELL_R_RE = re.compile(rb"""\sr\s*=\s*["']\$?([A-Za-z]{1,3})\$?(\d+)["']""")
S_ATTR_RE = re.compile(rb"""\ss\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ATTR_NAME_RE = re.compile(rb"""\s([\w:.\-]+)\s*=\s*(?:"[^"]*"|'[^']*')""")
CUSTOM_FORMAT_RE = re.compile(rb"""\scustomFormat\s*=\s*["'](1|true)["']""")


class Malformed(Exception):
    """The sheet XML is not what the scanner expects: leave the sheet untouched."""


@dataclass
class PatchTask:
    severity: Severity | None = None  # a new mark, or None: restore only
    prev: CellRec | None = None  # what a previous run did to this cell


class _Stream:
    def __init__(self, src: IO[bytes], dst: DeflateSink) -> None:
        self.src = src
        self.dst = dst
        self.buf = b""
        self.pos = 0  # written up to here
        self.scan = 0  # searched up to here
        self.eof = False
        self.gen = 0  # bumped whenever the buffer changes

    def more(self) -> None:
        chunk = self.src.read(ooxml_package.CHUNK)
        if not chunk:
            self.eof = True
            return
        if self.pos:  # what was written goes; the rest and the new chunk in one copy
            self.buf = self.buf[self.pos:] + chunk if self.pos < len(self.buf) else chunk
            self.scan = max(self.scan - self.pos, 0)
            self.pos = 0
        else:
            self.buf += chunk
        self.gen += 1

    def flush_to(self, upto: int) -> None:
        if upto > self.pos:
            with memoryview(self.buf) as view:
                self.dst.write(view[self.pos:upto])  # deflated from the buffer, not a copy of it
            self.pos = upto

    def write(self, data: bytes) -> None:
        self.dst.write(data)


class SheetPatcher:
    """Stream one worksheet part, changing only the cells in ``tasks``."""

    def __init__(self, tasks: dict[int, dict[int, PatchTask]], styles: Styles,
                 on_tail: Callable[[bytes, int, bytes, bytes | None], bytes]) -> None:
        self.tasks = tasks
        self.styles = styles
        self.on_tail = on_tail
        self.records: list[CellRec] = []
        self.marked = 0
        self.changed = False
        self.p = b""
        self.cols: list[tuple[int, int, int]] = []
        self._row_size = 0  # bytes of a row, averaged over the rows patched so far (0: none yet)

    def run(self, src: IO[bytes], dst: DeflateSink) -> None:
        s = _Stream(src, dst)
        s.more()
        if s.buf[:2] in (b"\xff\xfe", b"\xfe\xff"):
            raise Malformed("UTF-16")
        while True:
            m = SHEETDATA_RE.search(s.buf)
            if m:
                end = s.buf.find(b">", m.end())
                if end >= 0:
                    break
            if s.eof:
                raise Malformed("no sheetData")
            s.more()
        p = m.group(1) or b""
        self.p = p
        head = s.buf[: end + 1]
        rm = re.search(rb'xmlns:([A-Za-z_][\w.\-]*)\s*=\s*["\']' + re.escape(NS_R.encode()) + rb'["\']', head)
        r_prefix = rm.group(1) if rm else None
        self.cols = _parse_cols(head[: m.start()], p)
        pending = sorted(self.tasks)
        if head.endswith(b"/>"):  # <sheetData/>
            rows = b"".join(self._new_row(n) for n in pending)
            s.flush_to(m.start())
            if rows:
                s.write(b"<" + p + b"sheetData>" + rows + b"</" + p + b"sheetData>")
                self.changed = True
            else:
                s.write(s.buf[m.start(): end + 1])
            s.pos = s.scan = end + 1
            tail_start = s.pos
            offset = 0
        else:
            s.scan = end + 1
            self._rows(s, pending)
            end_re = re.compile(rb"</" + re.escape(p) + rb"sheetData\s*>")
            while True:
                em = end_re.search(s.buf, s.scan)
                if em:
                    break
                if s.eof:
                    raise Malformed("no </sheetData>")
                s.scan = max(s.scan, len(s.buf) - 64)
                s.flush_to(s.scan)
                s.more()
            s.flush_to(em.start())
            tail_start = em.start()
            offset = em.end() - em.start()
        tail = s.buf[tail_start:] + s.src.read()
        new_tail = self.on_tail(tail, offset, p, r_prefix)
        if new_tail != tail:
            self.changed = True
        s.write(new_tail)

    def _rows(self, s: _Stream, pending: list[int]) -> None:
        p = re.escape(self.p)
        row_re = re.compile(rb"<" + p + rb"row(?=[\s/>])|</" + p + rb"sheetData\s*>")
        end_row = b"</" + self.p + b"row>"
        idx = 0
        last = 0
        jumped: tuple[int, int] | None = None
        while idx < len(pending):
            buf = s.buf
            if jumped != (idx, s.gen):  # once per target and buffer: skip rows we need not see
                jumped = (idx, s.gen)
                s.scan = self._jump(buf, s.scan, pending[idx])
            m = row_re.search(buf, s.scan)
            if m is None:
                if s.eof:
                    raise Malformed("unterminated sheetData")
                s.scan = max(s.scan, len(buf) - 64)
                s.flush_to(s.scan)
                s.more()
                continue
            start = m.start()
            if buf[start + 1] == 0x2F:  # "</sheetData>": the rest are new rows at the end
                s.flush_to(start)
                rows = b"".join(self._new_row(n) for n in pending[idx:])
                if rows:
                    s.write(rows)
                    self.changed = True
                s.scan = start
                return
            tag_end = buf.find(b">", m.end())
            if tag_end < 0:
                if s.eof:
                    raise Malformed("unterminated row tag")
                s.flush_to(start)
                s.more()
                continue
            rm = ROW_R_RE.search(buf, m.end(), tag_end)
            n = int(rm.group(1)) if rm else last + 1
            while idx < len(pending) and pending[idx] < n:
                row = self._new_row(pending[idx])
                if row:
                    s.flush_to(start)
                    s.write(row)
                    self.changed = True
                idx += 1
            if idx < len(pending) and pending[idx] == n:
                if buf[tag_end - 1] == 0x2F:
                    stop = tag_end + 1
                else:
                    e = buf.find(end_row, tag_end)
                    if e < 0:
                        if s.eof:
                            raise Malformed("unterminated row")
                        s.flush_to(start)
                        s.more()
                        continue
                    stop = e + len(end_row)
                s.flush_to(start)
                old = buf[start:stop]
                self._row_size = (3 * self._row_size + len(old)) // 4 if self._row_size else len(old)
                new = self._patch_row(old, n)
                if new != old:
                    self.changed = True
                s.write(new)
                s.pos = s.scan = stop
                idx += 1
            else:
                s.scan = tag_end + 1
            last = n

    def _jump(self, buf: bytes, scan: int, target: int) -> int:
        """A row start at or after ``scan`` from which to go on looking for row ``target``.

        Rows are in ascending order, so the usual ``<row r="target"`` tag can be found with one
        fast byte search, and a buffer whose last row is numbered below ``target`` can be skipped
        whole.  Anything unusual (no ``r``, other attribute order) just falls back to ``scan``.
        """
        opening = b"<" + self.p + b"row"
        near = self._near(buf, scan, target, opening + b' r="')
        if near is not None:
            return near
        j = buf.find(opening + b' r="' + str(target).encode() + b'"', scan)
        if j >= 0:
            return j
        k = len(buf)
        while True:
            k = buf.rfind(opening, scan, k)
            if k <= scan:
                return scan
            if buf[k + len(opening): k + len(opening) + 1] in (b" ", b"\t", b"\r", b"\n", b"/", b">"):
                break
        e = buf.find(b">", k)
        rm = ROW_R_RE.search(buf, k, e) if e >= 0 else None
        if rm is not None and int(rm.group(1)) < target:
            return k
        return scan

    def _near(self, buf: bytes, scan: int, target: int, head: bytes) -> int | None:
        """Where row ``target`` starts, looked for where the size of the rows seen so far puts
        it (a sheet's rows are much alike), or None.

        Searching the bytes is what streaming a big sheet costs besides inflating and
        deflating it: starting next to the row and searching back or on from there reads a
        row or two instead of every row since the last one patched.  None (search from
        ``scan``) when the row at ``scan`` has no plain ``r``, the guess falls outside the
        buffer, or the row is not where it should be.
        """
        first = _row_number_at(buf, scan, head) if self._row_size else None
        if first is None or first >= target:
            return None
        guess = scan + (target - first) * self._row_size + self._row_size // 2
        if guess >= len(buf):
            return None
        k = buf.rfind(head, scan, guess)
        at = _row_number_at(buf, k, head) if k >= 0 else None
        if at is None:
            return None
        if at == target:
            return k
        needle = head + str(target).encode() + b'"'
        j = buf.find(needle, k) if at < target else buf.rfind(needle, scan, k)
        return j if j >= 0 else None

    # -- one row -------------------------------------------------------------------------

    def _col_style(self, col: int) -> int:
        for lo, hi, style in self.cols:
            if lo <= col <= hi:
                return style
        return 0

    def _new_cell(self, row: int, col: int, severity: Severity, eff: int, *, nr: bool, sc: bool) -> bytes:
        m = self.styles.mark_xf(eff, severity)
        self.styles.note(m, eff)
        self.records.append(CellRec(row, col, m, eff, None, e=False, nr=nr, sc=sc))
        self.marked += 1
        return b"<" + self.p + b'c r="' + f"{col_letters(col)}{row}".encode() + b'" s="' + str(m).encode() + b'"/>'

    def _new_row(self, n: int) -> bytes:
        cells = [(c, t) for c, t in sorted(self.tasks[n].items()) if t.severity is not None]
        if not cells:
            return b""
        body = b"".join(
            self._new_cell(n, c, t.severity, self._col_style(c), nr=True, sc=False)  # type: ignore[arg-type]
            for c, t in cells
        )
        return b"<" + self.p + b'row r="' + str(n).encode() + b'">' + body + b"</" + self.p + b"row>"

    def _patch_row(self, text: bytes, n: int) -> bytes:
        p = self.p
        tasks = self.tasks[n]
        tag_end = text.find(b">")
        start_tag = text[: tag_end + 1]
        end_tag = b"</" + p + b"row>"
        self_closing = start_tag.endswith(b"/>")
        body = b"" if self_closing else text[tag_end + 1: len(text) - len(end_tag)]
        prevs = [t.prev for t in tasks.values() if t.prev is not None]
        row_created = any(pv.nr for pv in prevs)
        row_sc = self_closing or any(pv.sc for pv in prevs)
        row_style = None
        if CUSTOM_FORMAT_RE.search(start_tag):
            sm = S_ATTR_RE.search(start_tag)
            value = (sm.group(1) or sm.group(2) or b"") if sm else b""
            if value.isdigit():
                row_style = int(value)

        cell_re = re.compile(rb"<" + re.escape(p) + rb"c(?=[\s/>])")
        end_cell = b"</" + p + b"c>"
        pieces: list[bytes] = []
        cur = 0
        pos = 0
        last_col = 0
        seen: set[int] = set()
        inserts = [c for c, t in sorted(tasks.items()) if t.severity is not None]

        def new(col: int) -> bytes:
            eff = row_style if row_style is not None else self._col_style(col)
            return self._new_cell(n, col, tasks[col].severity, eff, nr=row_created, sc=row_sc)  # type: ignore[arg-type]

        while True:
            m = cell_re.search(body, pos)
            if m is None:
                break
            cs = m.start()
            te = body.find(b">", m.end())
            if te < 0:
                raise Malformed("cell tag")
            ctag = body[cs: te + 1]
            if ctag.endswith(b"/>"):
                ce = te + 1
            else:
                ce = body.find(end_cell, te)
                if ce < 0:
                    raise Malformed("cell")
                ce += len(end_cell)
            rm = CELL_R_RE.search(ctag)
            col = (col_index(rm.group(1).decode()) or 0) if rm else last_col + 1
            last_col = col
            pos = ce
            while inserts and inserts[0] < col:
                c = inserts.pop(0)
                if c not in seen:
                    pieces.append(body[cur:cs])
                    cur = cs
                    pieces.append(new(c))
            if inserts and inserts[0] == col:
                inserts.pop(0)
            if col in tasks:
                seen.add(col)
                pieces.append(body[cur:cs])
                pieces.append(self._patch_cell(ctag, body[cs:ce], n, col, tasks[col]))
                cur = ce
        pieces.append(body[cur:])
        for c in inserts:
            if c not in seen:
                pieces.append(new(c))
        new_body = b"".join(pieces)

        if cell_re.search(new_body) is None:
            attrs = [a.group(1) for a in _ATTR_NAME_RE.finditer(start_tag)]
            if row_created and attrs == [b"r"]:
                return b""
            if row_sc:
                return start_tag if self_closing else start_tag[:-1] + b"/>"
        if self_closing:
            start_tag = start_tag[:-2] + b">"
        return start_tag + new_body + end_tag

    def _patch_cell(self, ctag: bytes, ctext: bytes, n: int, col: int, task: PatchTask) -> bytes:
        sm = S_ATTR_RE.search(ctag)
        cur = (sm.group(1) if sm.group(1) is not None else sm.group(2)).decode() if sm else None
        pv = task.prev
        styles = self.styles
        base: str | None
        if pv is not None and cur is not None and cur.isdigit() and int(cur) == styles.resolve(pv.m):
            # still exactly our mark: the original s attribute comes back as it was
            base = pv.o
            if base is not None and base.isdigit():
                resolved = styles.resolve(int(base))
                base = str(resolved if resolved is not None else styles.unmark(int(cur), int(base)))
            existed, nr, sc = pv.e, pv.nr, pv.sc
            eff = styles.resolve(pv.eff)
            if eff is None:
                eff = styles.unmark(int(cur), pv.eff)
        elif pv is not None and cur is not None and cur.isdigit() and styles.has_mark_fill(int(cur)):
            # our fill, but the format was renumbered or changed since (another program saved
            # the workbook, or the user changed the font): keep the format, put the fill back
            eff = styles.unmark(int(cur), pv.eff)
            base = str(eff)
            existed, nr, sc = pv.e, pv.nr, pv.sc
        else:
            base, existed, nr, sc = cur, True, False, False
            eff = int(cur) if cur is not None and cur.isdigit() else 0
        rest = ctext[len(ctag):]
        if task.severity is not None:
            m = styles.mark_xf(eff, task.severity)
            styles.note(m, eff)
            if base is not None and base.isdigit():
                styles.note(int(base))
            self.records.append(CellRec(n, col, m, eff, base, e=existed, nr=nr, sc=sc))
            self.marked += 1
            return _set_s(ctag, str(m), self.p) + rest
        if not existed:
            names = [a.group(1) for a in _ATTR_NAME_RE.finditer(ctag)]
            if not rest and set(names) <= {b"r", b"s"}:
                return b""  # the empty cell we created
            return _set_s(ctag, str(eff) if eff else None, self.p) + rest
        return _set_s(ctag, base, self.p) + rest


def _row_number_at(buf: bytes, at: int, head: bytes) -> int | None:
    """The number of the row whose tag starts at ``at`` with ``head`` (``<row r="``), if so."""
    if not buf.startswith(head, at):
        return None
    start = at + len(head)
    end = buf.find(b'"', start, start + 8)
    digits = buf[start:end] if end > start else b""
    return int(digits) if digits.isdigit() else None


def _set_s(tag: bytes, value: str | None, p: bytes) -> bytes:
    """``tag`` with its ``s`` attribute set to ``value`` (removed for None), reversibly."""
    m = S_ATTR_RE.search(tag)
    if value is None:
        return tag if m is None else tag[: m.start()] + tag[m.end():]
    raw = value.encode()
    if m is not None:
        g = 1 if m.group(1) is not None else 2
        return tag[: m.start(g)] + raw + tag[m.end(g):]
    rm = CELL_R_RE.search(tag)
    at = rm.end() if rm else len(p) + 2
    return tag[:at] + b' s="' + raw + b'"' + tag[at:]


def _parse_cols(head: bytes, p: bytes) -> list[tuple[int, int, int]]:
    cols = []
    for m in re.finditer(rb"<" + re.escape(p) + rb"col(?=[\s/>])[^>]*>", head):
        tag = m.group(0)

        def attr(name: bytes, tag: bytes = tag) -> int | None:
            a = re.search(rb"\s" + name + rb"""\s*=\s*["'](\d+)["']""", tag)
            return int(a.group(1)) if a else None

        lo, hi, style = attr(b"min"), attr(b"max"), attr(b"style")
        if lo and hi and style:
            cols.append((lo, hi, style))
    return cols


_TAIL_AFTER_LEGACY = {b"legacyDrawingHF", b"drawingHF", b"picture", b"oleObjects", b"controls",
                      b"webPublishItems", b"tableParts", b"extLst", b"AlternateContent"}
_TAG_RE = re.compile(rb"<(/?)(?:[A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")


def tail_insert_at(tail: bytes, offset: int) -> int:
    """Where ``<legacyDrawing>`` goes among the worksheet's children after ``</sheetData>``."""
    depth = 0
    i = offset
    while True:
        j = tail.find(b"<", i)
        if j < 0:
            return len(tail)
        if tail.startswith(b"<!--", j):
            i = tail.find(b"-->", j) + 3
            if i < 3:
                return len(tail)
            continue
        if tail.startswith(b"<?", j) or tail.startswith(b"<!", j):
            i = tail.find(b">", j) + 1
            if i <= 0:
                return len(tail)
            continue
        k = tail.find(b">", j)
        if k < 0:
            return len(tail)
        m = _TAG_RE.match(tail, j)
        if m is None:
            i = k + 1
            continue
        if m.group(1):  # an end tag
            depth -= 1
            if depth < 0:
                return j  # </worksheet>
        else:
            if depth == 0 and m.group(2) in _TAIL_AFTER_LEGACY:
                return j
            if tail[k - 1] != 0x2F:
                depth += 1
        i = k + 1


@dataclass
class SheetEntry:
    name: str
    sheet_id: str
    rid: str
    part: str | None
    is_worksheet: bool


