"""Validation marks written into the user's own workbook — by patching its package, not re-saving it.

:func:`write_marks` gives every offending cell a light red (error) or light yellow (warning) fill
and a comment with the message, and adds a sheet ``校验结果`` listing every finding with a link
to its cell.  A user's workbook is precious, so nothing else in it may change.

Technique
---------
An ``.xlsx``/``.xlsm`` is a zip of XML parts.  Loading it with openpyxl and saving it again would
drop cached formula values (every ``<v>`` of a formula is emptied until Excel recalculates), and
charts, images, shapes, pivot tables, form controls... .  So the package is patched directly:

* Every zip member that does not have to change is copied as its *compressed bytes*, untouched
  (a raw copy: no decompression, byte-identical content, CRC and all).  That covers other
  sheets, shared strings, the VBA project, tables, drawings, printer settings, everything.
* A marked sheet's XML is streamed in 1 MiB chunks through a small byte-level scanner that only
  looks at ``<row>`` start tags until it reaches a row with work to do; that row (a few KB at
  most) is rewritten in memory: only the ``s="…"`` attribute of a marked ``<c>`` changes, and a
  missing ``<c r=… s=…/>`` (or ``<row>``) is inserted in order.  Everything else — values,
  cached ``<v>`` results, formulas, data validation, conditional formatting, merged cells,
  protection — passes through byte for byte.  After the last row with work, the scanner only
  searches for ``</sheetData>``; the small tail of the sheet (after ``</sheetData>``) gets a
  ``<legacyDrawing>`` element when comments need one.  Cost: one decompression and one
  compression of each marked sheet; memory stays at a few MB whatever the sheet size.
* ``xl/styles.xml``: for each (original cell format, severity) one ``<xf>`` is cloned from the
  cell's own format with only the fill replaced, so number formats, fonts, borders, alignment
  and protection survive.  An identical existing ``<xf>``/``<fill>`` is reused, so re-runs do not
  grow the file.  These few styles stay in the workbook after the marks are removed (unused).
* Comments: the sheet's ``xl/commentsN.xml`` and legacy VML drawing (what Excel needs to show a
  comment) are patched as text: our comments carry the author ``salesxl``; our VML note shapes
  are appended to an existing drawing (form-control buttons in it stay byte-identical).  If the
  user already has a comment on a marked cell, our message is put in front of it (the original
  comment is kept in the record and restored later).  A threaded (Excel 365) comment is never
  touched: such a cell gets the fill only.
* The results sheet is a new worksheet part with inline strings (text, never formulas), frozen
  header, autofilter, widths, and one internal hyperlink per row.
* A record — a custom XML part (``customXml/itemN.xml``, namespace ``urn:salesxl:marks:1``,
  which Excel keeps when it saves) — stores, per marked cell, its original ``s`` attribute,
  whether the cell/row existed, the style we set, the description of those styles (to detect a
  renumbering by another program), and the original text of any user comment we prefixed.

Re-running first undoes what the record describes (cells whose style is still ours get their
original style back, cells and rows we created go away, our comments and note shapes go, the
user's comments are restored, the old ``校验结果`` sheet is removed — only one salesxl wrote,
recognised by its mark (:mod:`salesxl.io.owned`): a user's own sheet of that name is kept and
the findings go to ``校验结果(2)``) and then writes the new marks.  The undo is exact, so the same findings twice give byte-identical files, and a clean run
(no findings) gives back the original sheet XML, comments and drawings byte for byte; the
``校验结果`` sheet is *removed* on a clean run rather than left saying "no problems".  Zip entry
times are copied from the input (new parts get 1980-01-01), so output is fully deterministic.

When another program saved the workbook in between (Excel, WPS, LibreOffice renumber styles,
rewrite comments, drop authors, move the record), marks are still recognised by content: a cell
named in the record whose format still carries one of our two fills gets its recorded original
fill back (keeping whatever else the user changed), and a comment whose text is exactly what we
wrote (whitespace ignored) is ours.  Without a record (a program dropped it) only comments by
``salesxl`` and the old ``校验结果`` sheet can be recognised; old fills then stay.

Choices: a finding without a cell (missing sheet; missing column, which only names the header
row) marks no cell; it is listed in ``校验结果`` (linked to column A of that row when the sheet
exists).  Several findings on one cell give one comment with one line per message, red if any is
an error.  A cell whose fill the user changed after marking is left as it is.

Writing (all of it through :mod:`salesxl.io.files`): under the book's lock, ``out=`` writes a
new file (a folder gets a named file inside it; an existing file only with ``force``, after a
backup; never the book itself); ``in_place=True`` refuses a workbook that is open (naming who
has it, from ``~$name`` or ``.~lock.name#``), writes to a copy ``<stem>.校验结果<suffix>`` when
the workbook holds charts, pictures, shapes, pivot tables and other parts a rewriting tool could
lose (see :attr:`MarkResult.copied_because`), and otherwise keeps a timestamped backup and
atomically replaces the real (link-resolved) file, keeping its mode — only if it is still the
file that was read.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import html
import json
import posixpath
import re
import shutil
import struct
import sys
import tempfile
import types
import unicodedata
import urllib.parse
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any, cast

from lxml import etree

from salesxl.core.findings import SEVERITY_LABEL, Finding, Severity
from salesxl.errors import BadArguments, SalesxlError, UnreadableWorkbook
from salesxl.io import files, owned, printing
from salesxl.io.safety import bad_crc, member_key, workbook_part

__all__ = ["RESULTS_SHEET", "MarkResult", "safe_csv_cell", "write_marks"]

RESULTS_SHEET = "校验结果"
AUTHOR = "salesxl"

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
NS_MARKS = "urn:salesxl:marks:1"
NS_DS = "http://schemas.openxmlformats.org/officeDocument/2006/customXml"
NS_STRICT = "http://purl.oclc.org/ooxml/spreadsheetml/main"

RT_OFFICE_DOC = NS_R + "/officeDocument"
RT_WORKSHEET = NS_R + "/worksheet"
RT_STYLES = NS_R + "/styles"
RT_COMMENTS = NS_R + "/comments"
RT_VML = NS_R + "/vmlDrawing"
RT_CUSTOM_XML = NS_R + "/customXml"
RT_CUSTOM_XML_PROPS = NS_R + "/customXmlProps"
RT_CALC_CHAIN = NS_R + "/calcChain"

CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
CT_CUSTOM_XML_PROPS = "application/vnd.openxmlformats-officedocument.customXmlProperties+xml"
CT_XML = "application/xml"

#: Fills: Excel's own "light red fill" and "yellow fill" of conditional formatting.
FILL_RGB = {Severity.ERROR: "FFFFC7CE", Severity.WARNING: "FFFFEB9C"}
LINK_RGB = "FF0563C1"
_RECORD_GUID = "{5A1E5C3D-2B7F-4C1A-9E6B-0D5A1E5C3D01}"

_MAX_ROW = 1_048_576
_MAX_COL = 16_384
_MAX_TEXT = 32_767
_CHUNK = 1 << 20
_SMALL_PART_LIMIT = 512 << 20  # parts read whole (styles, comments, rels…); sheets are streamed
_NEW_ENTRY_TIME = (1980, 1, 1, 0, 0, 0)

_HEADERS = {
    "zh": ("工作表", "行", "列", "字段", "值", "级别", "代码", "说明"),
    "en": ("Sheet", "Row", "Column", "Field", "Value", "Severity", "Code", "Message"),
}


# --------------------------------------------------------------------------------------------
# Public API


@dataclass
class MarkResult:
    """What :func:`write_marks` did."""

    written: Path
    """The file actually written (the requested target, or the copy beside it)."""
    copied_because: str | None
    """``None``, or why the marks went to another file than the requested one (Chinese)."""
    marked_cells: int
    """How many cells got a fill (each with a comment unless the cell has a threaded comment)."""
    backup: Path | None
    """The timestamped backup made before an in-place write."""
    copied_because_en: str | None = None
    """The same reason in English."""
    results_sheet: str | None = None
    """The name the findings sheet was written under (None when there were no findings):
    ``校验结果``, or ``校验结果(2)`` … when the workbook has a 校验结果 of its own."""
    renamed: dict[str, str] = field(default_factory=dict)
    """Result name → the free name used, for each user's own sheet kept (see :mod:`salesxl.io.owned`)."""

    def reason(self, lang: str = "zh") -> str | None:
        """:attr:`copied_because` in ``lang``."""
        return self.copied_because_en if lang == "en" else self.copied_because

    def kept_note(self, lang: str = "zh") -> str | None:
        """Which of the user's own sheets were kept and where the results went instead."""
        return owned.kept_note(self.renamed, lang)


def safe_csv_cell(value: str) -> str:
    """``value`` made safe for a CSV cell: a leading ``= + - @`` tab or CR gets a ``'`` prefix.

    Spreadsheet programs run such a cell as a formula when they open the CSV (CSV injection).
    """
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


def write_marks(
    book: Path,
    findings: Sequence[Finding],
    *,
    out: Path | str | None = None,
    in_place: bool = False,
    lang: str = "zh",
    force: bool = False,
) -> MarkResult:
    """Mark ``findings`` in a copy of ``book`` (``out=``) or in ``book`` itself (``in_place=True``).

    Previous marks are replaced; with no findings, previous marks are removed.  See the module
    documentation for what is (and is not) changed.  ``out`` may be a folder (the copy is named
    after the book inside it); an existing file there is replaced only with ``force`` (after a
    backup), and never the book itself.  Raises :class:`BadArguments` for a wrong call,
    :class:`UnreadableWorkbook` for a missing, unsupported, broken or open workbook and
    :class:`~salesxl.errors.WriteFailed` when the file cannot be written (nothing is lost).
    """
    book, in_place = _check_call(book, out, in_place)
    lang = "en" if lang == "en" else "zh"
    findings = list(findings)
    with files.book_lock(book) as lock:
        files.remove_stale_temps(lock.path)  # what a killed earlier write of this book left
        with _Package(book) as pkg:
            target, copied_zh, copied_en = _resolve_target(
                pkg, book, out, in_place, copy_tag="校验结果", what_zh="标记", what_en="the marks", force=force
            )
            marker = _Marker(pkg, lang)
            marked = marker.run(findings)
            name = marker.results_name if findings else None
            renamed = {RESULTS_SHEET: name} if name is not None and name != RESULTS_SHEET else {}

            if in_place and target == book and not pkg.dirty:
                # the file already is exactly this
                return MarkResult(book, None, marked, None, results_sheet=name, renamed=renamed)
            # in place, a copy beside the book is salesxl's own, rewritten each run: no backup
            backup = _save(pkg, book, target, lock, force=force or in_place, keep_replaced=not in_place)
    return MarkResult(target, copied_zh, marked, backup, copied_en, results_sheet=name, renamed=renamed)


def _check_call(book: Path | str, out: Path | str | None, in_place: bool) -> tuple[Path, bool]:
    """Exactly one of ``out`` / ``in_place``; the book exists and is an .xlsx/.xlsm.  In place,
    the book is its real (link-resolved) file: the write replaces that, the link stays."""
    if in_place == (out is not None):
        raise BadArguments(
            "请指定输出文件或原地写入，二者选其一",
            "Give exactly one of an output file (out=) or in_place=True",
        )
    book = Path(book)
    _check_book(book)
    return (files.real_path(book) if in_place else book), in_place


def _resolve_target(
    pkg: _Package, book: Path, out: Path | str | None, in_place: bool, *, copy_tag: str, what_zh: str,
    what_en: str, force: bool = False,
) -> tuple[Path, str | None, str | None]:
    """Where a write really goes, and why (zh, en) when that is not where it was asked to.

    In place, a workbook holding parts other tools lose (charts, pictures, pivots …) is not
    rewritten: the write goes to ``<stem>.<copy_tag><suffix>`` beside it.  To ``out`` (see
    :func:`salesxl.io.files.resolve_out`: a folder gets ``<stem>.<copy_tag><suffix>`` inside
    it, the book itself is refused), the extension follows the content (a macro workbook must
    stay ``.xlsm``) and an existing file is refused without ``force``.  Open targets are refused.
    """
    copied_zh = copied_en = None
    macro = _is_macro_enabled(pkg)
    if in_place:
        files.refuse_open(book)
        target = book
        kinds = _risky_kinds(pkg)
        if kinds:
            target = book.with_name(f"{book.stem}.{copy_tag}{book.suffix}")
            copied_zh = (
                f"工作簿含有{'、'.join(k[0] for k in kinds)}，用其他工具改写原文件可能丢失这些内容；"
                f"为免丢失，原文件未改动，{what_zh}已写入副本 {target.name}"
            )
            copied_en = (
                f"The workbook contains {', '.join(k[1] for k in kinds)}, which rewriting it "
                f"could lose; the original was left untouched and {what_en} were written to "
                f"a copy, {target.name}"
            )
    else:
        assert out is not None
        wanted = ".xlsm" if macro else ".xlsx"
        target = files.resolve_out(out, book=book, default_name=f"{book.stem}.{copy_tag}{wanted}")
        if target.suffix.lower() != wanted:
            asked = target
            target = files.resolve_out(target.with_suffix(wanted), book=book, default_name=target.name)
            copied_zh = (
                f"{'含宏的工作簿须保存为 .xlsm' if macro else '不含宏的工作簿须保存为 .xlsx'}，"
                f"{what_zh}已写入 {target.name}（而非 {asked.name}）"
            )
            copied_en = (
                f"A {'macro-enabled workbook must be saved as .xlsm' if macro else 'workbook without macros must be saved as .xlsx'}; "
                f"{what_en} were written to {target.name} instead of {asked.name}"
            )
        if (target.exists() or target.is_symlink()) and not force:
            files.replace_existing(target, force=False)  # raises: says --force
    if target != book:
        files.refuse_open(target)
    return target, copied_zh, copied_en


def _save(pkg: _Package, book: Path, target: Path, lock: files.BookLock, *, force: bool = False,
          keep_replaced: bool = True) -> Path | None:
    """Write the package to ``target`` atomically.  In place: back the book up first, and
    replace it only if it is still the file read under ``lock``; the backup is returned.  To
    another file: an existing one is replaced only with ``force`` (backed up first, unless not
    ``keep_replaced``: a file salesxl itself rewrites each run), and its backup is returned."""
    write: Callable[[IO[bytes]], None] = pkg.write_to if pkg.dirty else (lambda fp: _copy_file(book, fp))
    if target == book:
        lock.check_unchanged()
        backup = files.backup(book) if pkg.dirty else None
        try:
            with files.atomic_write(book, before_replace=lock.check_unchanged) as fp:
                write(fp)
        except BaseException:
            if backup is not None:
                backup.unlink(missing_ok=True)  # the book is intact: its copy is not needed
            raise
        lock.refresh()
        return backup
    with files.book_lock(target) as out_lock:
        files.remove_stale_temps(out_lock.path)
        backup = files.replace_existing(target, force=force, keep=keep_replaced)
        with files.atomic_write(target) as fp:
            write(fp)
    return backup


# --------------------------------------------------------------------------------------------
# Files: the book's checks (writing itself is salesxl.io.files)


def _check_book(book: Path) -> None:
    if not book.is_file():
        raise UnreadableWorkbook(f"找不到工作簿：{book}", f"Workbook not found: {book}")
    suffix = book.suffix.lower()
    if suffix not in (".xlsx", ".xlsm"):
        raise UnreadableWorkbook(
            f"不支持 {suffix or '无扩展名'} 格式：只能在 .xlsx / .xlsm 工作簿中写入标记（{book.name}）",
            f"Unsupported format {suffix or '(no extension)'}: marks can only be written into .xlsx/.xlsm workbooks ({book.name})",
        )


def _copy_file(src: Path, fp: IO[bytes]) -> None:
    with open(src, "rb") as s:
        shutil.copyfileobj(s, fp, _CHUNK)


# --------------------------------------------------------------------------------------------
# The package: a zip read lazily, written back with raw copies of untouched members


# A module either way (isal's stub also declares ``error`` an instance, not an exception class).
_deflate_lib: types.ModuleType
try:  # ISA-L's deflate: the same raw DEFLATE stream format, about 4× faster than zlib
    from isal import isal_zlib as _deflate_lib

    # ISA-L level 2: on a 163 MB customer sheet 0.15 s against level 3's 0.42 s (and zlib 6's
    # ~1.5 s), for a part 2 % larger than level 3's (26 % larger than zlib 6's); the time went
    # into every patched sheet of every write, the bytes only into the file's size.
    _DEFLATE_LEVEL = 2
except ImportError:  # pragma: no cover - isal has wheels for the usual platforms
    _deflate_lib = zlib
    _DEFLATE_LEVEL = 6
_inflate_lib = _deflate_lib


class _DeflateSink:
    """A file-like target that deflates what it is given into a spooled temp file.

    A big customer sheet is 100+ MB of XML: re-compressing it with zlib level 6 was most of a
    batch's master write, so ISA-L is used when present (deterministic, so a re-run writes the
    same bytes).  ISA-L's output depends on how the input is cut into calls (zlib's does
    not), so input is fed to it in fixed blocks: the bytes written never depend on the
    chunking of the stream that produced them.
    """

    _BLOCK = 1 << 18

    def __init__(self) -> None:
        self.tmp = tempfile.SpooledTemporaryFile(max_size=32 << 20)  # noqa: SIM115
        self._co = _deflate_lib.compressobj(_DEFLATE_LEVEL, _deflate_lib.DEFLATED, -15)
        self._buf = bytearray()
        self.crc = 0
        self.size = 0
        self.csize = 0

    def write(self, data: bytes | memoryview) -> None:
        """Deflate ``data`` (bytes, or a view of a caller's buffer): whole blocks straight
        from it, without a copy; only a partial block is kept until a later write fills it."""
        if not data:
            return
        self.crc = _deflate_lib.crc32(data, self.crc)
        self.size += len(data)
        block, buf = self._BLOCK, self._buf
        with memoryview(data) as view:
            at = 0
            if buf:
                at = min(block - len(buf), len(view))
                buf += view[:at]
                if len(buf) < block:
                    return
                self.tmp.write(self._co.compress(buf))
                buf.clear()
            whole = at + (len(view) - at) // block * block
            for i in range(at, whole, block):
                self.tmp.write(self._co.compress(view[i: i + block]))
            buf += view[whole:]

    def finish(self) -> _DeflateSink:
        if self._buf:
            self.tmp.write(self._co.compress(bytes(self._buf)))
            self._buf.clear()
        self.tmp.write(self._co.flush())
        self.csize = self.tmp.tell()
        return self

    def chunks(self) -> Iterator[bytes]:
        self.tmp.seek(0)
        while chunk := self.tmp.read(_CHUNK):
            yield chunk

    def close(self) -> None:
        self.tmp.close()


class _Package:
    """The workbook's zip: parts read on demand; changes kept aside until :meth:`write_to`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            with open(path, "rb") as fp:
                head = fp.read(8)
            if head.startswith(b"\xd0\xcf\x11\xe0"):
                raise UnreadableWorkbook(
                    f"{path.name} 是加密（设有打开密码）的工作簿或旧版 .xls 文件，无法写入标记",
                    f"{path.name} is a password-protected workbook or an old .xls file; cannot write marks",
                ) from exc
            raise UnreadableWorkbook(
                f"{path.name} 不是有效的 .xlsx/.xlsm 工作簿（文件损坏？）",
                f"{path.name} is not a valid .xlsx/.xlsm workbook (damaged file?)",
            ) from exc
        self.infos = self.zf.infolist()
        self._input = {i.filename: i for i in self.infos}
        # Looked up as Excel does: case-insensitive, "\\" read as "/" (safety.member_key).
        self._lower = {member_key(i.filename): i.filename for i in self.infos}
        self._check_crcs()
        self.changed: dict[str, bytes] = {}
        self.streamed: dict[str, _DeflateSink] = {}
        self.deleted: set[str] = set()
        self.added: list[str] = []

    def _check_crcs(self) -> None:
        """Inflate every part once and check its CRC-32 before anything is written: a damaged
        part (a fuzzed or half-copied file) is refused, never copied into a marked copy or
        back into the book.  ISA-L makes this a small cost next to the read itself."""
        for info in self.infos:
            if info.is_dir():
                continue
            try:
                if info.compress_type == zipfile.ZIP_DEFLATED and not info.flag_bits & 1:
                    with _Inflating(self.path, info) as member:
                        while member.read(_CHUNK):
                            pass
                else:
                    with self.zf.open(info) as member:
                        while member.read(_CHUNK):
                            pass
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
                raise bad_crc(self.path.name, info.filename) from exc

    def __enter__(self) -> _Package:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for sink in self.streamed.values():
            sink.close()
        self.zf.close()

    @property
    def dirty(self) -> bool:
        return bool(self.changed or self.streamed or self.deleted)

    def actual(self, name: str) -> str | None:
        """The live part called ``name`` (part names are case-insensitive), or None."""
        real = self._lower.get(member_key(name))
        if real is None or real in self.deleted:
            return None
        return real

    def has(self, name: str) -> bool:
        return self.actual(name) is not None

    def names(self) -> list[str]:
        return [n for n in self._lower.values() if n not in self.deleted]

    def read(self, name: str) -> bytes:
        real = self.actual(name)
        if real is None:
            raise KeyError(name)
        if real in self.changed:
            return self.changed[real]
        if real in self.streamed:
            raise KeyError(name)  # never needed: streamed parts are written, not re-read
        info = self._input[real]
        if info.file_size > _SMALL_PART_LIMIT:
            raise UnreadableWorkbook(
                f"{self.path.name} 的部件 {real} 过大，无法处理", f"Part {real} of {self.path.name} is too large"
            )
        try:
            return self.zf.read(info)
        except (zipfile.BadZipFile, zlib.error, OSError, NotImplementedError) as exc:
            raise UnreadableWorkbook(
                f"{self.path.name} 已损坏：无法读取 {real}", f"{self.path.name} is damaged: cannot read {real}"
            ) from exc

    def open(self, name: str) -> IO[bytes]:
        """A part of the original package to stream (deflated parts inflated by ISA-L)."""
        real = self.actual(name)
        if real is None or real in self.changed or real in self.streamed:
            raise KeyError(name)
        info = self._input[real]
        if info.compress_type == zipfile.ZIP_DEFLATED and not info.flag_bits & 1:
            return cast(IO[bytes], _Inflating(self.path, info))
        return self.zf.open(info)

    def _claim(self, name: str) -> str:
        real = self._lower.get(member_key(name))
        if real is None:
            real = name
            self._lower[member_key(name)] = name
            self.added.append(name)
        self.deleted.discard(real)
        self.changed.pop(real, None)
        old = self.streamed.pop(real, None)
        if old is not None:
            old.close()
        return real

    def put(self, name: str, data: bytes) -> None:
        real = self._claim(name)
        if real in self._input and real not in self.streamed:
            info = self._input[real]
            if info.file_size == len(data) and zlib.crc32(data) == info.CRC:
                return  # unchanged: keep the raw copy
        self.changed[real] = data

    def put_stream(self, name: str, sink: _DeflateSink) -> None:
        real = self._claim(name)
        info = self._input.get(real)
        if info is not None and info.file_size == sink.size and sink.crc == info.CRC:
            sink.close()  # unchanged: keep the raw copy
            return
        self.streamed[real] = sink

    def delete(self, name: str) -> None:
        real = self.actual(name)
        if real is None:
            return
        self.changed.pop(real, None)
        old = self.streamed.pop(real, None)
        if old is not None:
            old.close()
        if real in self._input:
            self.deleted.add(real)
        else:
            self.added.remove(real)
            del self._lower[member_key(real)]

    def unique(self, pattern: str) -> str:
        """The first ``pattern.format(n)``, n = 1, 2, … that is not a live part."""
        n = 1
        while self.has(pattern.format(n)):
            n += 1
        return pattern.format(n)

    # -- writing ---------------------------------------------------------------------------

    def write_to(self, fp: IO[bytes]) -> None:
        out = _ZipOut(fp)
        with open(self.path, "rb") as src:
            for info in self.infos:
                name = info.filename
                if name in self.deleted:
                    continue
                meta = (name, info.date_time, info.create_system, info.external_attr, info.internal_attr)
                if name in self.changed:
                    out.add(*meta, *_deflate(self.changed[name]))
                elif name in self.streamed:
                    s = self.streamed[name]
                    out.add(*meta, zipfile.ZIP_DEFLATED, s.crc, s.csize, s.size, s.chunks())
                elif info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) and not info.flag_bits & 1:
                    out.add(*meta, info.compress_type, info.CRC, info.compress_size, info.file_size,
                            _raw_chunks(src, info, self.path))
                else:  # an exotic compression method: recompress
                    out.add(*meta, *_deflate(self.zf.read(info)))
            for name in self.added:
                meta = (name, _NEW_ENTRY_TIME, 0, 0, 0)
                if name in self.changed:
                    out.add(*meta, *_deflate(self.changed[name]))
                else:
                    s = self.streamed[name]
                    out.add(*meta, zipfile.ZIP_DEFLATED, s.crc, s.csize, s.size, s.chunks())
        out.close()


class _Inflating:
    """One deflated member of the zip, read as ``zipfile``'s member file is (the size and
    CRC-32 checked at the end, :class:`zipfile.BadZipFile` when they do not match), but
    inflated and checksummed by ISA-L: streaming a big sheet through a patcher is mostly
    inflating and deflating it, and ISA-L inflates ~1.5× and checksums ~5× faster than zlib.
    A damaged stream raises :class:`zlib.error`, like zipfile's.
    """

    _RAW = 1 << 17  # compressed bytes per step: ~1 MiB of sheet XML, about what callers read

    def __init__(self, path: Path, info: zipfile.ZipInfo) -> None:
        self.info = info
        self.fp = open(path, "rb")  # noqa: SIM115 - closed by close()/__exit__
        try:
            self.fp.seek(info.header_offset)
            head = self.fp.read(30)
            if len(head) < 30 or head[:4] != b"PK\x03\x04":
                raise zipfile.BadZipFile(f"bad local header of {info.filename}")
            name_len, extra_len = struct.unpack("<HH", head[26:30])
            self.fp.seek(info.header_offset + 30 + name_len + extra_len)
        except BaseException:
            self.fp.close()
            raise
        self.left = info.compress_size
        self.inflater = _inflate_lib.decompressobj(-15)
        self.rest = b""  # what the final flush gave beyond the read that asked for it
        self.crc = 0
        self.size = 0
        self.done = False

    def read(self, n: int | None = -1) -> bytes:
        """Up to ``n`` bytes (all that is left for None or a negative ``n``); b"" at the end.
        Each piece is inflated straight to the size asked for, so nothing is copied twice."""
        want = sys.maxsize if n is None or n < 0 else n
        pieces = []
        have = 0
        while have < want and (self.rest or not self.done):
            if self.rest:
                data, self.rest = self.rest[: want - have], self.rest[want - have:]
            else:
                data = self._inflate(want - have)
            pieces.append(data)
            have += len(data)
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    def _inflate(self, limit: int) -> bytes:
        src = self.inflater.unconsumed_tail
        if not src and self.left:
            src = self.fp.read(min(self.left, self._RAW))
            if not src:
                raise EOFError(f"{self.info.filename} is truncated")
            self.left -= len(src)
        try:
            if src:
                data = self.inflater.decompress(src, limit if limit < 1 << 30 else 0)
            else:
                self.rest = self.inflater.flush()
                data, self.rest = self.rest[:limit], self.rest[limit:]
                self.done = True
        except _inflate_lib.error as exc:
            raise zlib.error(str(exc)) from exc
        self.crc = _inflate_lib.crc32(data, self.crc)
        self.size += len(data)
        if self.done:
            self.crc = _inflate_lib.crc32(self.rest, self.crc)
            self.size += len(self.rest)
            if not self.inflater.eof:
                raise EOFError(f"{self.info.filename} ended before its end-of-stream marker")
            if self.size != self.info.file_size or self.crc != self.info.CRC:
                raise zipfile.BadZipFile(f"Bad CRC-32 or size for {self.info.filename}")
        return data

    def close(self) -> None:
        self.fp.close()

    def __enter__(self) -> _Inflating:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _deflate(data: bytes) -> tuple[int, int, int, int, list[bytes]]:
    co = zlib.compressobj(6, zlib.DEFLATED, -15)
    comp = co.compress(data) + co.flush()
    return zipfile.ZIP_DEFLATED, zlib.crc32(data), len(comp), len(data), [comp]


def _raw_chunks(fp: IO[bytes], info: zipfile.ZipInfo, path: Path) -> Iterator[bytes]:
    """The compressed bytes of one member, exactly as stored."""
    fp.seek(info.header_offset)
    head = fp.read(30)
    if len(head) < 30 or head[:4] != b"PK\x03\x04":
        raise UnreadableWorkbook(f"{path.name} 已损坏（zip 结构错误）", f"{path.name} is damaged (bad zip structure)")
    name_len, extra_len = struct.unpack("<HH", head[26:30])
    fp.seek(info.header_offset + 30 + name_len + extra_len)
    left = info.compress_size
    while left:
        chunk = fp.read(min(left, _CHUNK))
        if not chunk:
            raise UnreadableWorkbook(f"{path.name} 已损坏（数据截断）", f"{path.name} is damaged (truncated)")
        left -= len(chunk)
        yield chunk


class _ZipOut:
    """A minimal zip writer (no zip64: an Excel package stays far below 4 GiB)."""

    def __init__(self, fp: IO[bytes]) -> None:
        self.fp = fp
        self.base = fp.tell()
        self.central: list[bytes] = []

    def add(self, name: str, date_time: tuple[int, ...], create_system: int, external_attr: int,
            internal_attr: int, method: int, crc: int, csize: int, usize: int,
            chunks: Iterable[bytes]) -> None:
        offset = self.fp.tell() - self.base
        if max(offset, csize, usize) >= 0xFFFFFFFF:
            raise SalesxlError("工作簿超过 4 GB，无法写入", "The workbook exceeds 4 GB and cannot be written")
        raw = name.encode("utf-8")
        flags = 0 if name.isascii() else 0x800
        y, mo, d, h, mi, s = date_time
        if y < 1980:
            y, mo, d, h, mi, s = _NEW_ENTRY_TIME
        dos_time = (h << 11) | (mi << 5) | (s // 2)
        dos_date = ((y - 1980) << 9) | (mo << 5) | d
        need = 20 if method == zipfile.ZIP_DEFLATED else 10
        self.fp.write(struct.pack("<I5H3I2H", 0x04034B50, need, flags, method, dos_time, dos_date,
                                  crc, csize, usize, len(raw), 0) + raw)
        written = 0
        for chunk in chunks:
            self.fp.write(chunk)
            written += len(chunk)
        if written != csize:
            raise SalesxlError(f"写入 {name} 时出错", f"Internal error while writing {name}")
        self.central.append(struct.pack(
            "<I6H3I5H2I", 0x02014B50, (create_system << 8) | 20, need, flags, method, dos_time,
            dos_date, crc, csize, usize, len(raw), 0, 0, 0, internal_attr & 0xFFFF,
            external_attr & 0xFFFFFFFF, offset) + raw)

    def close(self) -> None:
        start = self.fp.tell() - self.base
        for entry in self.central:
            self.fp.write(entry)
        size = self.fp.tell() - self.base - start
        if len(self.central) > 0xFFFF or start >= 0xFFFFFFFF:
            raise SalesxlError("工作簿部件过多，无法写入", "The workbook has too many parts to be written")
        self.fp.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(self.central),
                                  len(self.central), size, start, 0))


# --------------------------------------------------------------------------------------------
# Small XML parts: relationships, content types (lxml, they are tiny)

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)


def _q(local: str, ns: str = NS_MAIN) -> str:
    return f"{{{ns}}}{local}"


def _parse(data: bytes, name: str) -> etree._Element:
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise UnreadableWorkbook(f"工作簿已损坏：{name} 不是有效的 XML", f"Damaged workbook: {name} is not valid XML") from exc


def _serialize(root: etree._Element) -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + etree.tostring(
        root, encoding="UTF-8", xml_declaration=False
    )


def _rels_name(part: str) -> str:
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def _resolve(source: str, target: str) -> str:
    target = urllib.parse.unquote(target)
    if target.startswith("/"):
        return target.lstrip("/")
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(source), target))
    while resolved.startswith("../"):  # nothing is above the package root
        resolved = resolved[3:]
    return resolved


class _Rels:
    """The relationships of one part (``source`` "" is the package itself)."""

    def __init__(self, pkg: _Package, source: str) -> None:
        self.pkg = pkg
        self.source = source
        self.name = "_rels/.rels" if source == "" else _rels_name(source)
        if pkg.has(self.name):
            self.root = _parse(pkg.read(self.name), self.name)
        else:
            self.root = etree.Element(_q("Relationships", NS_PKG_REL), nsmap={None: NS_PKG_REL})
        self.dirty = False

    def all(self) -> list[etree._Element]:
        return [el for el in self.root if el.tag == _q("Relationship", NS_PKG_REL)]

    def target(self, rid: str | None) -> str | None:
        for el in self.all():
            if el.get("Id") == rid:
                if el.get("TargetMode") == "External":
                    return None
                return _resolve(self.source, el.get("Target", ""))
        return None

    def of_type(self, rel_type: str) -> list[tuple[str, str]]:
        return [
            (el.get("Id", ""), _resolve(self.source, el.get("Target", "")))
            for el in self.all()
            if el.get("Type") == rel_type and el.get("TargetMode") != "External"
        ]

    def add(self, rel_type: str, part: str) -> str:
        ids = {el.get("Id") for el in self.all()}
        n = 1
        while f"rId{n}" in ids:
            n += 1
        rid = f"rId{n}"
        base = posixpath.dirname(self.source)
        target = posixpath.relpath(part, base) if base else part
        el = etree.SubElement(self.root, _q("Relationship", NS_PKG_REL))
        el.set("Id", rid)
        el.set("Type", rel_type)
        el.set("Target", target)
        self.dirty = True
        return rid

    def remove(self, rid: str) -> None:
        for el in self.all():
            if el.get("Id") == rid:
                self.root.remove(el)
                self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        if self.all():
            self.pkg.put(self.name, _serialize(self.root))
        else:
            self.pkg.delete(self.name)
        self.dirty = False


class _ContentTypes:
    NAME = "[Content_Types].xml"

    def __init__(self, pkg: _Package) -> None:
        self.pkg = pkg
        if not pkg.has(self.NAME):
            raise UnreadableWorkbook(
                f"{pkg.path.name} 不是有效的 .xlsx/.xlsm 工作簿（缺少 [Content_Types].xml）",
                f"{pkg.path.name} is not a valid .xlsx/.xlsm workbook (no [Content_Types].xml)",
            )
        self.root = _parse(pkg.read(self.NAME), self.NAME)
        self.dirty = False

    def _overrides(self) -> list[etree._Element]:
        return [el for el in self.root if el.tag == _q("Override", NS_CT)]

    def _defaults(self) -> list[etree._Element]:
        return [el for el in self.root if el.tag == _q("Default", NS_CT)]

    def override(self, part: str) -> str | None:
        want = "/" + part.lower()
        for el in self._overrides():
            if el.get("PartName", "").lower() == want:
                return el.get("ContentType")
        return None

    def content_type(self, part: str) -> str | None:
        found = self.override(part)
        if found is not None:
            return found
        ext = posixpath.splitext(part)[1].lstrip(".").lower()
        return self.default(ext)

    def default(self, ext: str) -> str | None:
        for el in self._defaults():
            if el.get("Extension", "").lower() == ext:
                return el.get("ContentType")
        return None

    def set_override(self, part: str, content_type: str) -> None:
        self.remove_override(part)
        el = etree.SubElement(self.root, _q("Override", NS_CT))
        el.set("PartName", "/" + part)
        el.set("ContentType", content_type)
        self.dirty = True

    def remove_override(self, part: str) -> None:
        want = "/" + part.lower()
        for el in self._overrides():
            if el.get("PartName", "").lower() == want:
                self.root.remove(el)
                self.dirty = True

    def add_default(self, ext: str, content_type: str) -> None:
        el = etree.Element(_q("Default", NS_CT))
        el.set("Extension", ext)
        el.set("ContentType", content_type)
        defaults = self._defaults()
        if defaults:
            defaults[-1].addnext(el)
        else:
            self.root.insert(0, el)
        self.dirty = True

    def remove_default(self, ext: str) -> None:
        for el in self._defaults():
            if el.get("Extension", "").lower() == ext:
                self.root.remove(el)
                self.dirty = True

    def save(self) -> None:
        if self.dirty:
            self.pkg.put(self.NAME, _serialize(self.root))
            self.dirty = False


def _is_macro_enabled(pkg: _Package) -> bool:
    ct = _ContentTypes(pkg)
    return any("macroenabled" in (el.get("ContentType") or "").lower() for el in ct._overrides())


# --------------------------------------------------------------------------------------------
# Risky parts: what a rewriting tool such as openpyxl would lose

_KINDS = {
    "chart": ("图表", "charts"),
    "picture": ("图片", "pictures"),
    "shape": ("形状/文本框", "shapes or text boxes"),
    "pivot": ("数据透视表", "pivot tables"),
    "slicer": ("切片器/日程表", "slicers or timelines"),
    "embedding": ("嵌入对象", "embedded objects"),
    "activex": ("ActiveX 控件", "ActiveX controls"),
    "threaded": ("新式批注（对话）", "threaded comments"),
    "model": ("数据模型", "a data model"),
    "query": ("外部数据查询", "external data queries"),
}
_NS_XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
_NS_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"


def _risky_kinds(pkg: _Package) -> list[tuple[str, str]]:
    ct = _ContentTypes(pkg)
    found: set[str] = set()
    for name in pkg.names():
        low = name.lower()
        ctype = (ct.content_type(name) or "").lower()
        if low.startswith(("docprops/", "customxml/", "_rels/")) or low.endswith(".rels"):
            continue
        if low.startswith("xl/charts/") or "chart" in ctype:
            found.add("chart")
        elif low.startswith("xl/media/") or ctype.startswith("image/"):
            found.add("picture")
        elif "pivot" in low or "pivot" in ctype:
            found.add("pivot")
        elif "slicer" in low or "timeline" in low:
            found.add("slicer")
        elif low.startswith("xl/embeddings/"):
            found.add("embedding")
        elif low.startswith("xl/activex/"):
            found.add("activex")
        elif "threadedcomment" in low or low.startswith("xl/persons/"):
            found.add("threaded")
        elif low.startswith("xl/model/"):
            found.add("model")
        elif "querytable" in low:
            found.add("query")
        elif ctype == "application/vnd.openxmlformats-officedocument.drawing+xml":
            found |= _drawing_kinds(pkg, name)
    return [_KINDS[k] for k in _KINDS if k in found]


def _drawing_kinds(pkg: _Package, name: str) -> set[str]:
    """Pictures, charts and shapes in a DrawingML part; form-control stand-ins do not count."""
    try:
        root = _parse(pkg.read(name), name)
    except UnreadableWorkbook:
        return {"shape"}
    kinds: set[str] = set()
    for el in root.iter():
        if not isinstance(el.tag, str) or not el.tag.startswith(f"{{{_NS_XDR}}}"):
            continue
        local = etree.QName(el).localname
        if local not in ("pic", "sp", "grpSp", "cxnSp", "graphicFrame", "contentPart"):
            continue
        # Excel writes form controls (buttons…) as VML plus a shape inside mc:AlternateContent.
        if any(a.tag == _q("AlternateContent", _NS_MC) for a in el.iterancestors()):
            continue
        kinds.add({"pic": "picture", "graphicFrame": "chart"}.get(local, "shape"))
    return kinds


# --------------------------------------------------------------------------------------------
# Text helpers

_BAD_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_ESCAPED_CHAR = re.compile(r"_(x[0-9A-Fa-f]{4}_)")


#: Anything :func:`_ooxml_str` changes in a text node: most text has none of it.
_NEEDS_ESCAPE = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]|_x[0-9A-Fa-f]{4}_")


def _ooxml_text(value: str, *, attr: bool = False) -> bytes:
    """``value`` escaped for an OOXML text node (or attribute), never interpreted."""
    return _ooxml_str(value, attr=attr).encode("utf-8")


def _ooxml_str(value: str, *, attr: bool = False) -> str:
    """:func:`_ooxml_text` before encoding (for callers that encode whole rows at once); text
    that needs no escape is returned as it is, after a single regex search."""
    if not attr and len(value) <= _MAX_TEXT and _NEEDS_ESCAPE.search(value) is None:
        return value
    value = value[:_MAX_TEXT]
    value = _ESCAPED_CHAR.sub(r"_x005F_\1", value)
    value = _BAD_XML_CHARS.sub(lambda m: f"_x{ord(m.group()):04X}_", value)
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if attr:
        value = value.replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")
    return value.replace("\r", "&#13;")


@functools.lru_cache(maxsize=4096)  # a sheet patcher asks for the same few letters per row
def _col_index(letters: str) -> int | None:
    """``"AB"`` → 28; None for anything that is not a column of a worksheet."""
    letters = letters.strip().upper()
    if not re.fullmatch(r"[A-Z]{1,3}", letters):
        return None
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n if n <= _MAX_COL else None


def _col_letters(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


class _CharWidths(dict[str, int]):
    """Character → display width (2 for East Asian wide and full-width, else 1), looked up in
    ``unicodedata`` once per distinct character."""

    def __missing__(self, ch: str) -> int:
        width = self[ch] = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        return width


_CHAR_WIDTHS = _CharWidths()


def _display_width(text: str) -> int:
    """Columns ``text`` takes on screen (CJK counts double): what column widths are fitted to.

    Result sheets measure every cell they write, so this is on a hot path: ASCII text is its
    length, other text one dict lookup per character.
    """
    if text.isascii():
        return len(text)
    return sum(map(_CHAR_WIDTHS.__getitem__, text))


def _sheet_ref(name: str, row: int, col: int) -> str:
    return "'" + name.replace("'", "''") + "'!" + _col_letters(col) + str(row)


def _normalize_name(name: str) -> str:
    return unicodedata.normalize("NFKC", name).strip().casefold()


# --------------------------------------------------------------------------------------------
# Styles

_Spec = tuple[str, tuple[tuple[str, str], ...], tuple[Any, ...]]


def _spec(el: etree._Element) -> _Spec:
    """A comparable description of a style element (main-namespace content, no extLst)."""
    attrs = tuple(sorted((k, v) for k, v in el.attrib.items() if not k.startswith("{")))
    kids = tuple(
        _spec(c)
        for c in el
        if isinstance(c.tag, str) and c.tag.startswith(f"{{{NS_MAIN}}}") and etree.QName(c).localname != "extLst"
    )
    return (etree.QName(el).localname, attrs, kids)


def _spec_from_json(data: Any) -> _Spec:
    name, attrs, kids = data
    return (name, tuple((k, v) for k, v in attrs), tuple(_spec_from_json(k) for k in kids))


def _build(parent: etree._Element, spec: _Spec) -> etree._Element:
    el = etree.SubElement(parent, _q(spec[0]))
    for k, v in spec[1]:
        el.set(k, v)
    for kid in spec[2]:
        _build(el, kid)
    return el


def _with_attrs(spec: _Spec, **changes: str) -> _Spec:
    attrs = dict(spec[1])
    attrs.update(changes)
    return (spec[0], tuple(sorted(attrs.items())), spec[2])


_STYLE_ORDER = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles",
                "dxfs", "tableStyles", "colors", "extLst")
_MINIMAL_STYLES = (
    f'<styleSheet xmlns="{NS_MAIN}"><fonts count="1"><font><sz val="11"/><name val="Calibri"/>'
    '</font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill>'
    '<patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/>'
    '<top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" '
    'fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="1"><xf numFmtId="0" '
    'fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs><cellStyles count="1"><cellStyle '
    'name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
).encode()


class _Styles:
    """``xl/styles.xml``: find-or-append cell formats; nothing existing is changed or removed."""

    def __init__(self, pkg: _Package, wb_rels: _Rels, ct: _ContentTypes) -> None:
        self.pkg = pkg
        found = [(rid, part) for rid, part in wb_rels.of_type(RT_STYLES) if pkg.has(part)]
        if found:
            self.part = found[0][1]
            self.root = _parse(pkg.read(self.part), self.part)
            self.created = False
        else:  # a package without styles (some generators): the minimal one, added if used
            self.part = "xl/styles.xml" if not pkg.has("xl/styles.xml") else pkg.unique("xl/styles{}.xml")
            self.root = etree.fromstring(_MINIMAL_STYLES, _PARSER)
            self.created = True
        self.ct = ct
        self.wb_rels = wb_rels
        self.dirty = False
        self._lists: dict[str, list[_Spec]] = {}
        self._index: dict[str, dict[_Spec, int]] = {}
        self._cache: dict[tuple[int, Severity], int] = {}
        self.recorded: dict[int, _Spec] = {}
        self.recorded_fills: dict[int, _Spec] = {}
        self.used: dict[int, _Spec] = {}
        self.used_fills: dict[int, _Spec] = {}

    def _section(self, name: str) -> etree._Element:
        el = self.root.find(_q(name))
        if el is not None:
            return el
        el = etree.Element(_q(name))
        later = set(_STYLE_ORDER[_STYLE_ORDER.index(name) + 1:])
        for i, child in enumerate(self.root):
            if isinstance(child.tag, str) and etree.QName(child).localname in later:
                self.root.insert(i, el)
                break
        else:
            self.root.append(el)
        defaults = {
            "fonts": ("font", (), (("sz", (("val", "11"),), ()), ("name", (("val", "Calibri"),), ()))),
            "fills": None,
            "cellXfs": ("xf", (("borderId", "0"), ("fillId", "0"), ("fontId", "0"), ("numFmtId", "0")), ()),
        }
        if name == "fills":
            _build(el, ("fill", (), (("patternFill", (("patternType", "none"),), ()),)))
            _build(el, ("fill", (), (("patternFill", (("patternType", "gray125"),), ()),)))
        elif defaults.get(name):
            _build(el, defaults[name])  # type: ignore[arg-type]
        self._lists.pop(name, None)
        self._index.pop(name, None)
        self.dirty = True
        return el

    def _items(self, section: str) -> list[_Spec]:
        if section not in self._lists:
            child = {"cellXfs": "xf", "fills": "fill", "fonts": "font"}[section]
            sec = self.root.find(_q(section))
            self._lists[section] = [] if sec is None else [_spec(el) for el in sec.findall(_q(child))]
        return self._lists[section]

    def _find_or_add(self, section: str, spec: _Spec) -> int:
        if self.root.find(_q(section)) is None:
            self._section(section)
        items = self._items(section)
        index = self._index.get(section)
        if index is None:
            index = {}
            for i, s in enumerate(items):
                index.setdefault(s, i)
            self._index[section] = index
        if spec in index:
            return index[spec]
        sec = self._section(section)
        _build(sec, spec)
        items.append(spec)
        index[spec] = len(items) - 1
        sec.set("count", str(len(items)))
        self.dirty = True
        return len(items) - 1

    def xf_spec(self, i: int) -> _Spec | None:
        items = self._items("cellXfs")
        return items[i] if 0 <= i < len(items) else None

    def _base_xf(self, i: int) -> _Spec:
        spec = self.xf_spec(i) or self.xf_spec(0)
        if spec is None:
            return ("xf", (("borderId", "0"), ("fillId", "0"), ("fontId", "0"), ("numFmtId", "0")), ())
        return spec

    def fill(self, severity: Severity) -> int:
        pattern = ("patternFill", (("patternType", "solid"),), (
            ("fgColor", (("rgb", FILL_RGB[severity]),), ()),
            ("bgColor", (("indexed", "64"),), ()),
        ))
        return self._find_or_add("fills", ("fill", (), (pattern,)))

    def mark_xf(self, base: int, severity: Severity) -> int:
        """The cell format ``base`` with the fill of ``severity``."""
        key = (base, severity)
        if key not in self._cache:
            fill = self.fill(severity)
            spec = _with_attrs(self._base_xf(base), fillId=str(fill), applyFill="1")
            self._cache[key] = self._find_or_add("cellXfs", spec)
        return self._cache[key]

    def font(self, kind: str) -> int:
        fonts = self._items("fonts")
        base = fonts[0] if fonts else ("font", (), (("sz", (("val", "11"),), ()),))
        kids = [k for k in base[2] if k[0] not in ("b", "u", "color")]
        if kind == "bold":
            kids.insert(0, ("b", (), ()))
        else:
            kids.insert(0, ("u", (), ()))
            at = next((i for i, k in enumerate(kids) if k[0] in ("name", "family", "charset", "scheme")), len(kids))
            kids.insert(at, ("color", (("rgb", LINK_RGB),), ()))
        return self._find_or_add("fonts", ("font", base[1], tuple(kids)))

    def results_xf(self, kind: str) -> int:
        """Formats of the results sheet: header, link, text, error, warning."""
        base = self._base_xf(0)
        if kind == "header":
            spec = _with_attrs(base, fontId=str(self.font("bold")), applyFont="1")
        elif kind == "link":
            spec = _with_attrs(base, fontId=str(self.font("link")), applyFont="1", quotePrefix="1")
        elif kind in ("error", "warning"):
            fill = self.fill(Severity(kind))
            spec = _with_attrs(base, fillId=str(fill), applyFill="1", quotePrefix="1")
        else:
            spec = _with_attrs(base, quotePrefix="1")
        return self._find_or_add("cellXfs", spec)

    def resolve(self, i: int) -> int | None:
        """Index ``i`` as recorded in a previous run, as it is now (None if it vanished)."""
        spec = self.recorded.get(i)
        if spec is None or self.xf_spec(i) == spec:
            return i
        for j, s in enumerate(self._items("cellXfs")):
            if s == spec:
                return j
        return None

    def _fill_of(self, xf: _Spec) -> _Spec | None:
        fill_id = dict(xf[1]).get("fillId", "0")
        fills = self._items("fills")
        return fills[int(fill_id)] if fill_id.isdigit() and int(fill_id) < len(fills) else None

    def has_mark_fill(self, i: int) -> bool:
        """Does format ``i`` carry one of our fills (whatever its index after a re-save)?"""
        xf = self.xf_spec(i)
        fill = self._fill_of(xf) if xf is not None else None
        if fill is None or not fill[2] or fill[2][0][0] != "patternFill":
            return False
        pattern = fill[2][0]
        if dict(pattern[1]).get("patternType") != "solid":
            return False
        colors = [dict(k[1]).get("rgb", "").upper() for k in pattern[2] if k[0] == "fgColor"]
        return bool(colors) and colors[0] in FILL_RGB.values()

    def unmark(self, i: int, original: int) -> int:
        """Format ``i`` (ours, perhaps rewritten by another program) with the original fill back."""
        xf = self.xf_spec(i) or self._base_xf(0)
        fill = self.recorded_fills.get(original) or ("fill", (), (("patternFill", (("patternType", "none"),), ()),))
        attrs = dict(xf[1])
        attrs["fillId"] = str(self._find_or_add("fills", fill))
        apply = dict(self.recorded.get(original, ("xf", (), ()))[1]).get("applyFill")
        if apply is None:
            attrs.pop("applyFill", None)
        else:
            attrs["applyFill"] = apply
        return self._find_or_add("cellXfs", (xf[0], tuple(sorted(attrs.items())), xf[2]))

    def note(self, *indexes: int) -> None:
        for i in indexes:
            spec = self.xf_spec(i)
            if spec is not None:
                self.used[i] = spec
                fill = self._fill_of(spec)
                if fill is not None:
                    self.used_fills[i] = fill

    def save(self) -> None:
        if self.dirty:
            self.pkg.put(self.part, _serialize(self.root))
            if self.created:
                self.wb_rels.add(RT_STYLES, self.part)
                self.ct.set_override(self.part, CT_STYLES)


# --------------------------------------------------------------------------------------------
# The record of what we changed, kept in the workbook as a custom XML part


@dataclass
class _CellRec:
    row: int
    col: int
    m: int  # the style index we set
    eff: int  # the cell's original effective style index (what the mark was cloned from)
    o: str | None  # the original s attribute (None: there was none)
    e: bool = True  # the cell existed
    nr: bool = False  # we created its row
    sc: bool = False  # its row was an empty <row …/>


@dataclass
class _NoteRec:
    """A comment we wrote: recognised later by its exact bytes or, after another program
    re-saved the workbook, by its text."""

    text: str  # hash of our text (whitespace-normalised)
    orig: bytes | None = None  # the user's comment we put our message in front of
    block: str | None = None  # hash of the merged comment's exact bytes
    merged: str | None = None  # hash of the merged comment's text


@dataclass
class _SheetRec:
    sheet_id: str
    name: str
    cells: list[_CellRec] = field(default_factory=list)
    notes: dict[str, _NoteRec] = field(default_factory=dict)
    shapetype: bool = False  # we added the note shape type to an existing VML drawing


@dataclass
class _Record:
    sheets: dict[str, _SheetRec] = field(default_factory=dict)
    xfs: dict[int, _Spec] = field(default_factory=dict)
    fills: dict[int, _Spec] = field(default_factory=dict)  # the fill of each recorded xf
    vml_default: bool = False
    results: bool = False

    def to_xml(self) -> bytes:
        root = etree.Element(_q("marks", NS_MARKS), nsmap={None: NS_MARKS})
        root.set("version", "1")
        if self.vml_default:
            root.set("vmlDefault", "1")
        if self.results:
            etree.SubElement(root, _q("results", NS_MARKS)).set("name", RESULTS_SHEET)
        for i in sorted(self.xfs):
            el = etree.SubElement(root, _q("xf", NS_MARKS))
            el.set("i", str(i))
            el.set("spec", json.dumps(self.xfs[i], ensure_ascii=False, separators=(",", ":")))
            if i in self.fills:
                el.set("fill", json.dumps(self.fills[i], ensure_ascii=False, separators=(",", ":")))
        for sid in sorted(self.sheets, key=lambda s: int(s) if s.isdigit() else 0):
            srec = self.sheets[sid]
            sel = etree.SubElement(root, _q("sheet", NS_MARKS))
            sel.set("sheetId", sid)
            sel.set("name", srec.name)
            if srec.shapetype:
                sel.set("shapetype", "1")
            for c in sorted(srec.cells, key=lambda c: (c.row, c.col)):
                el = etree.SubElement(sel, _q("c", NS_MARKS))
                el.set("r", _col_letters(c.col) + str(c.row))
                el.set("m", str(c.m))
                el.set("eff", str(c.eff))
                if c.o is not None:
                    el.set("o", c.o)
                if not c.e:
                    el.set("e", "0")
                if c.nr:
                    el.set("nr", "1")
                if c.sc:
                    el.set("sc", "1")
            for ref in sorted(srec.notes, key=_ref_key):
                note = srec.notes[ref]
                el = etree.SubElement(sel, _q("comment", NS_MARKS))
                el.set("r", ref)
                el.set("text", note.text)
                if note.orig is not None:
                    el.set("orig", base64.b64encode(note.orig).decode("ascii"))
                    el.set("block", note.block or "")
                    el.set("merged", note.merged or "")
        return _serialize(root)

    @classmethod
    def from_xml(cls, root: etree._Element) -> _Record:
        rec = cls(vml_default=root.get("vmlDefault") == "1")
        rec.results = root.find(_q("results", NS_MARKS)) is not None
        for el in root.findall(_q("xf", NS_MARKS)):
            with contextlib.suppress(ValueError, TypeError, KeyError):
                rec.xfs[int(el.get("i", ""))] = _spec_from_json(json.loads(el.get("spec", "")))
                if el.get("fill"):
                    rec.fills[int(el.get("i", ""))] = _spec_from_json(json.loads(el.get("fill", "")))
        for sel in root.findall(_q("sheet", NS_MARKS)):
            srec = _SheetRec(sel.get("sheetId", ""), sel.get("name", ""), shapetype=sel.get("shapetype") == "1")
            for el in sel.findall(_q("c", NS_MARKS)):
                m = re.fullmatch(r"([A-Z]{1,3})(\d+)", el.get("r", ""))
                col = _col_index(m.group(1)) if m else None
                try:
                    if m and col:
                        srec.cells.append(_CellRec(
                            int(m.group(2)), col, int(el.get("m", "")), int(el.get("eff", "0")),
                            el.get("o"), el.get("e") != "0", el.get("nr") == "1", el.get("sc") == "1",
                        ))
                except ValueError:
                    continue
            for el in sel.findall(_q("comment", NS_MARKS)):
                with contextlib.suppress(ValueError):
                    orig = base64.b64decode(el.get("orig", "")) if el.get("orig") is not None else None
                    srec.notes[el.get("r", "")] = _NoteRec(el.get("text", ""), orig, el.get("block"), el.get("merged"))
            rec.sheets[srec.sheet_id] = srec
        return rec


def _ref_key(ref: str) -> tuple[int, int]:
    m = re.fullmatch(r"\$?([A-Za-z]{1,3})\$?(\d+)", ref)
    if not m:
        return (0, 0)
    return (int(m.group(2)), _col_index(m.group(1)) or 0)


# --------------------------------------------------------------------------------------------
# Sheet XML: the streaming patcher

_SHEETDATA_RE = re.compile(rb"<([A-Za-z_][\w.\-]*:)?sheetData(?=[\s/>])")
_ROW_R_RE = re.compile(rb"""\sr\s*=\s*["'](\d+)["']""")
_CELL_R_RE = re.compile(rb"""\sr\s*=\s*["']\$?([A-Za-z]{1,3})\$?(\d+)["']""")
_S_ATTR_RE = re.compile(rb"""\ss\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ATTR_NAME_RE = re.compile(rb"""\s([\w:.\-]+)\s*=\s*(?:"[^"]*"|'[^']*')""")
_CUSTOM_FORMAT_RE = re.compile(rb"""\scustomFormat\s*=\s*["'](1|true)["']""")


class _Malformed(Exception):
    """The sheet XML is not what the scanner expects: leave the sheet untouched."""


@dataclass
class _Task:
    severity: Severity | None = None  # a new mark, or None: restore only
    prev: _CellRec | None = None  # what a previous run did to this cell


class _Stream:
    def __init__(self, src: IO[bytes], dst: _DeflateSink) -> None:
        self.src = src
        self.dst = dst
        self.buf = b""
        self.pos = 0  # written up to here
        self.scan = 0  # searched up to here
        self.eof = False
        self.gen = 0  # bumped whenever the buffer changes

    def more(self) -> None:
        chunk = self.src.read(_CHUNK)
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


class _SheetPatcher:
    """Stream one worksheet part, changing only the cells in ``tasks``."""

    def __init__(self, tasks: dict[int, dict[int, _Task]], styles: _Styles,
                 on_tail: Callable[[bytes, int, bytes, bytes | None], bytes]) -> None:
        self.tasks = tasks
        self.styles = styles
        self.on_tail = on_tail
        self.records: list[_CellRec] = []
        self.marked = 0
        self.changed = False
        self.p = b""
        self.cols: list[tuple[int, int, int]] = []
        self._row_size = 0  # bytes of a row, averaged over the rows patched so far (0: none yet)

    def run(self, src: IO[bytes], dst: _DeflateSink) -> None:
        s = _Stream(src, dst)
        s.more()
        if s.buf[:2] in (b"\xff\xfe", b"\xfe\xff"):
            raise _Malformed("UTF-16")
        while True:
            m = _SHEETDATA_RE.search(s.buf)
            if m:
                end = s.buf.find(b">", m.end())
                if end >= 0:
                    break
            if s.eof:
                raise _Malformed("no sheetData")
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
                    raise _Malformed("no </sheetData>")
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
                    raise _Malformed("unterminated sheetData")
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
                    raise _Malformed("unterminated row tag")
                s.flush_to(start)
                s.more()
                continue
            rm = _ROW_R_RE.search(buf, m.end(), tag_end)
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
                            raise _Malformed("unterminated row")
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
        rm = _ROW_R_RE.search(buf, k, e) if e >= 0 else None
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
        self.records.append(_CellRec(row, col, m, eff, None, e=False, nr=nr, sc=sc))
        self.marked += 1
        return b"<" + self.p + b'c r="' + f"{_col_letters(col)}{row}".encode() + b'" s="' + str(m).encode() + b'"/>'

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
        if _CUSTOM_FORMAT_RE.search(start_tag):
            sm = _S_ATTR_RE.search(start_tag)
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
                raise _Malformed("cell tag")
            ctag = body[cs: te + 1]
            if ctag.endswith(b"/>"):
                ce = te + 1
            else:
                ce = body.find(end_cell, te)
                if ce < 0:
                    raise _Malformed("cell")
                ce += len(end_cell)
            rm = _CELL_R_RE.search(ctag)
            col = (_col_index(rm.group(1).decode()) or 0) if rm else last_col + 1
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

    def _patch_cell(self, ctag: bytes, ctext: bytes, n: int, col: int, task: _Task) -> bytes:
        sm = _S_ATTR_RE.search(ctag)
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
            self.records.append(_CellRec(n, col, m, eff, base, e=existed, nr=nr, sc=sc))
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
    m = _S_ATTR_RE.search(tag)
    if value is None:
        return tag if m is None else tag[: m.start()] + tag[m.end():]
    raw = value.encode()
    if m is not None:
        g = 1 if m.group(1) is not None else 2
        return tag[: m.start(g)] + raw + tag[m.end(g):]
    rm = _CELL_R_RE.search(tag)
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


def _tail_insert_at(tail: bytes, offset: int) -> int:
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


# --------------------------------------------------------------------------------------------
# Comments (xl/commentsN.xml) and their VML drawing, patched as text so that undo is exact


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _Comments:
    def __init__(self, data: bytes) -> None:
        m = re.search(rb"<([A-Za-z_][\w.\-]*:)?comments(?=[\s>/])", data)
        if m is None:
            raise _Malformed("comments")
        self.p = m.group(1) or b""
        self.data = data
        p = re.escape(self.p)
        self._authors_re = re.compile(rb"<" + p + rb"authors\s*(?:/>|>(.*?)</" + p + rb"authors\s*>)", re.S)
        self._author_re = re.compile(rb"<" + p + rb"author\s*(?:/>|>(.*?)</" + p + rb"author\s*>)", re.S)
        self._comment_re = re.compile(rb"<" + p + rb"comment(?=[\s>/])[^>]*?(?:/>|>.*?</" + p + rb"comment\s*>)", re.S)
        self._list_re = re.compile(rb"<" + p + rb"commentList\s*(/?)>")

    def authors(self) -> tuple[int, list[re.Match[bytes]]]:
        m = self._authors_re.search(self.data)
        if m is None:
            return -1, []
        if m.group(1) is None:
            return m.start(), []
        start = m.start(1)
        return start, [a for a in self._author_re.finditer(self.data, start, m.end(1))]

    def author_names(self) -> list[str]:
        _, found = self.authors()
        return [html.unescape((a.group(1) or b"").decode("utf-8", "replace")) for a in found]

    def comments(self) -> list[tuple[re.Match[bytes], str, int]]:
        out = []
        for m in self._comment_re.finditer(self.data):
            tag = m.group(0)[: m.group(0).find(b">") + 1]
            ref = re.search(rb"""\sref\s*=\s*["']([^"']*)["']""", tag)
            aid = re.search(rb"""\sauthorId\s*=\s*["'](\d+)["']""", tag)
            out.append((m, ref.group(1).decode() if ref else "", int(aid.group(1)) if aid else -1))
        return out

    def remove_ours(self, notes: dict[str, _NoteRec]) -> set[str]:
        """Drop our comments and restore the user comments we prefixed; returns the cells
        whose comment (and note shape) went away."""
        names = self.author_names()
        ours = {i for i, n in enumerate(names) if n == AUTHOR}
        removed: set[str] = set()
        pieces = []
        cur = 0
        for m, ref, aid in self.comments():
            block = m.group(0)
            note = notes.get(ref)
            text = _sha(_comment_text(block, self.p).encode())
            if note is not None and note.orig is not None:
                if note.orig.startswith(b"<" + self.p + b"comment") and (
                    _sha(block) == note.block or text == note.merged
                ):
                    pieces.append(self.data[cur: m.start()])
                    pieces.append(note.orig)
                    cur = m.end()
            elif aid in ours or (note is not None and text == note.text):
                pieces.append(self.data[cur: m.start()])
                cur = m.end()
                removed.add(ref)
        pieces.append(self.data[cur:])
        self.data = b"".join(pieces)
        tag_re = re.compile(rb"<" + re.escape(self.p) + rb"comment(?=[\s>/])[^>]*>")
        for i in sorted(ours, reverse=True):
            _, found = self.authors()
            self.data = self.data[: found[i].start()] + self.data[found[i].end():]
            self.data = tag_re.sub(lambda m: _shift_author(m.group(0), i), self.data)  # noqa: B023 - called before i moves on
        return removed

    def empty(self) -> bool:
        return not self.comments()

    def add(self, notes: dict[str, str], written: dict[str, _NoteRec]) -> list[str]:
        """Add our comments; prefix existing user comments.  Returns refs that need a shape."""
        p = self.p
        names = self.author_names()
        if AUTHOR in names:
            aid = names.index(AUTHOR)
        else:
            aid = len(names)
            ours = b"<" + p + b"author>" + AUTHOR.encode() + b"</" + p + b"author>"
            m = self._authors_re.search(self.data)
            if m is None:
                root = re.search(rb"<" + re.escape(p) + rb"comments[^>]*>", self.data)
                assert root is not None
                at = root.end()
                self.data = (self.data[:at] + b"<" + p + b"authors>" + ours + b"</" + p + b"authors>"
                             + self.data[at:])
            elif m.group(1) is None:
                self.data = (self.data[: m.start()] + b"<" + p + b"authors>" + ours + b"</" + p
                             + b"authors>" + self.data[m.end():])
            else:
                self.data = self.data[: m.end(1)] + ours + self.data[m.end(1):]
        existing = {ref: (m, a) for m, ref, a in self.comments()}
        shapes: list[str] = []
        new_blocks: list[bytes] = []
        replacements: list[tuple[int, int, bytes]] = []
        for ref in sorted(notes, key=_ref_key):
            text = _ooxml_text(notes[ref])
            if ref in existing:
                m, a = existing[ref]
                if 0 <= a < len(names) and names[a].startswith("tc="):
                    continue  # a threaded comment: Excel keeps its text elsewhere; leave it alone
                block = _merge_comment(m.group(0), text, p)
                written[ref] = _NoteRec(_sha(_plain(text).encode()), m.group(0), _sha(block), _sha(_comment_text(block, p).encode()))
                replacements.append((m.start(), m.end(), block))
            else:
                new_blocks.append(
                    b"<" + p + b'comment ref="' + ref.encode() + b'" authorId="' + str(aid).encode()
                    + b'" shapeId="0"><' + p + b"text><" + p + b't xml:space="preserve">' + text
                    + b"</" + p + b"t></" + p + b"text></" + p + b"comment>"
                )
                written[ref] = _NoteRec(_sha(_plain(text).encode()))
                shapes.append(ref)
        for start, end, block in sorted(replacements, reverse=True):
            self.data = self.data[:start] + block + self.data[end:]
        if new_blocks:
            blocks = b"".join(new_blocks)
            m = self._list_re.search(self.data)
            if m is None:
                at = self.data.rfind(b"</" + p + b"comments")
                self.data = (self.data[:at] + b"<" + p + b"commentList>" + blocks + b"</" + p
                             + b"commentList>" + self.data[at:])
            elif m.group(1):
                self.data = (self.data[: m.start()] + b"<" + p + b"commentList>" + blocks + b"</" + p
                             + b"commentList>" + self.data[m.end():])
            else:
                at = self.data.find(b"</" + p + b"commentList", m.end())
                self.data = self.data[:at] + blocks + self.data[at:]
        return shapes

    @staticmethod
    def new() -> _Comments:
        return _Comments(
            b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<comments xmlns="'
            + NS_MAIN.encode() + b'"><authors></authors><commentList></commentList></comments>'
        )


def _plain(escaped: bytes) -> str:
    """Text as any program shows it, without whitespace: how we recognise our own comments
    (another program may split it into runs, re-wrap it or change line breaks)."""
    return "".join(html.unescape(escaped.decode("utf-8", "replace")).split())


def _comment_text(block: bytes, p: bytes) -> str:
    t = re.compile(rb"<" + re.escape(p) + rb"t(?:\s[^>]*)?>(.*?)</" + re.escape(p) + rb"t\s*>", re.S)
    return _plain(b"".join(t.findall(block)))


def _shift_author(tag: bytes, removed: int) -> bytes:
    """A comment start tag with its authorId renumbered after author ``removed`` went away."""

    def shift(m: re.Match[bytes]) -> bytes:
        n = int(m.group(2))
        return m.group(1) + (str(n - 1).encode() if n > removed else m.group(2))

    return re.sub(rb"""(\sauthorId\s*=\s*["'])(\d+)""", shift, tag)


def _merge_comment(block: bytes, text: bytes, p: bytes) -> bytes:
    """A user's comment with our message in front (as a bold run)."""
    run = (b"<" + p + b"r><" + p + b"rPr><" + p + b"b/><" + p + b'sz val="9"/></' + p + b"rPr><" + p
           + b't xml:space="preserve">' + text + b"\n</" + p + b"t></" + p + b"r>")
    m = re.search(rb"<" + re.escape(p) + rb"text\s*(/?)>", block)
    if m is None:
        return block
    if m.group(1):
        return block[: m.start()] + b"<" + p + b"text>" + run + b"</" + p + b"text>" + block[m.end():]
    at = m.end()
    rest = block[at:]
    t = re.match(rb"\s*(<" + re.escape(p) + rb"t(?=[\s>/])[^>]*?(?:/>|>.*?</" + re.escape(p) + rb"t\s*>))", rest, re.S)
    if t:  # a plain <t>: it must become a run once runs follow it
        rest = rest[: t.start(1)] + b"<" + p + b"r>" + t.group(1) + b"</" + p + b"r>" + rest[t.end(1):]
    return block[:at] + run + rest


_SHAPE_RE = re.compile(rb"<v:shape(?=[\s>]).*?</v:shape\s*>", re.S)
_NOTE_SHAPETYPE = (
    b'<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe">'
    b'<v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
)
_VML_NS = {
    b"v": b"urn:schemas-microsoft-com:vml",
    b"o": b"urn:schemas-microsoft-com:office:office",
    b"x": b"urn:schemas-microsoft-com:office:excel",
}


def _note_cell(block: bytes) -> tuple[int, int] | None:
    if not re.search(rb"""ObjectType\s*=\s*["']Note["']""", block):
        return None
    r = re.search(rb"<x:Row>\s*(\d+)\s*</x:Row>", block)
    c = re.search(rb"<x:Column>\s*(\d+)\s*</x:Column>", block)
    if not r or not c:
        return None
    return int(r.group(1)), int(c.group(1))


def _vml_remove_notes(data: bytes, cells: set[tuple[int, int]]) -> tuple[bytes, int]:
    removed = 0

    def drop(m: re.Match[bytes]) -> bytes:
        nonlocal removed
        if _note_cell(m.group(0)) in cells:
            removed += 1
            return b""
        return m.group(0)

    return _SHAPE_RE.sub(drop, data), removed


def _note_shape(shape_id: int, row0: int, col0: int, z: int, decl: bytes = b"") -> bytes:
    anchor = f"{col0 + 1}, 15, {max(row0 - 1, 0)}, 10, {col0 + 4}, 15, {row0 + 4}, 4"
    return (
        f'<v:shape id="_x0000_s{shape_id}" type="#_x0000_t202"{decl.decode()}'
        f' style="position:absolute;margin-left:59.25pt;margin-top:1.5pt;width:180pt;height:72pt;'
        f'z-index:{z};visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto">'
        '<v:fill color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/>'
        '<v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto">'
        '<div style="text-align:left"></div></v:textbox><x:ClientData ObjectType="Note">'
        f"<x:MoveWithCells/><x:SizeWithCells/><x:Anchor>{anchor}</x:Anchor>"
        f"<x:AutoFill>False</x:AutoFill><x:Row>{row0}</x:Row><x:Column>{col0}</x:Column>"
        "</x:ClientData></v:shape>"
    ).encode()


def _vml_add_notes(data: bytes, cells: list[tuple[int, int]]) -> tuple[bytes, bool]:
    """Our note shapes appended to an existing drawing; True if we added the note shape type."""
    end = data.rfind(b"</xml>")
    if end < 0:
        raise _Malformed("vml")
    root = re.search(rb"<xml\b[^>]*>", data)
    root_tag = root.group(0) if root else b""
    decl = b"".join(
        b" xmlns:" + k + b'="' + v + b'"' for k, v in _VML_NS.items() if b"xmlns:" + k + b"=" not in root_tag
    )
    ids = [int(i) for i in re.findall(rb"_x0000_s(\d+)", data)]
    idmap = re.search(rb"""<o:idmap\b[^>]*\bdata\s*=\s*["'](\d+)""", data)
    next_id = max(ids + [int(idmap.group(1)) * 1024 if idmap else 1024]) + 1
    z = len(_SHAPE_RE.findall(data)) + 1
    shapes = b"".join(_note_shape(next_id + i, r, c, z + i, decl) for i, (r, c) in enumerate(cells))
    added_type = False
    if b'"_x0000_t202"' not in data and b"'_x0000_t202'" not in data:
        shapetype = _NOTE_SHAPETYPE
        if decl:
            shapetype = shapetype.replace(b"<v:shapetype ", b"<v:shapetype" + decl + b" ", 1)
        first = re.search(rb"<v:shape(?=[\s>])", data)
        at = first.start() if first else end
        data = data[:at] + shapetype + data[at:]
        end += len(shapetype)
        added_type = True
    return data[:end] + shapes + data[end:], added_type


def _vml_remove_shapetype(data: bytes) -> bytes:
    if b"#_x0000_t202" in data:
        return data
    for candidate in (_NOTE_SHAPETYPE, _NOTE_SHAPETYPE.replace(
            b"<v:shapetype ", b"<v:shapetype" + b"".join(b" xmlns:" + k + b'="' + v + b'"' for k, v in _VML_NS.items()) + b" ", 1)):
        if candidate in data:
            return data.replace(candidate, b"", 1)
    return data


def _vml_new(cells: list[tuple[int, int]], block: int) -> bytes:
    last = block * 1024 + len(cells)
    blocks = ",".join(str(b) for b in range(block, last // 1024 + 1))
    shapes = b"".join(_note_shape(block * 1024 + 1 + i, r, c, i + 1) for i, (r, c) in enumerate(cells))
    return (
        b'<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"'
        b' xmlns:x="urn:schemas-microsoft-com:office:excel">'
        b'<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="' + blocks.encode() + b'"/></o:shapelayout>'
        + _NOTE_SHAPETYPE + shapes + b"</xml>"
    )


# --------------------------------------------------------------------------------------------
# The marker: undo the previous run, then mark


@dataclass
class _Sheet:
    name: str
    sheet_id: str
    rid: str
    part: str | None
    is_worksheet: bool


@dataclass
class _Mark:
    severity: Severity = Severity.WARNING
    messages: list[str] = field(default_factory=list)

    def add(self, severity: Severity, message: str) -> None:
        if severity is Severity.ERROR:
            self.severity = Severity.ERROR
        if message not in self.messages:
            self.messages.append(message)


class _Marker:
    def __init__(self, pkg: _Package, lang: str) -> None:
        self.pkg = pkg
        self.lang = lang
        self.ct = _ContentTypes(pkg)
        # The same decision as the reader's (safety.workbook_part): what one command reads,
        # every command reads; what one refuses, every command refuses, for the same reason.
        member, data = workbook_part(pkg.path.name, pkg._lower, pkg.read)
        self.root_rels = _Rels(pkg, "")
        self.wb_part = member.replace("\\", "/")
        self.wb = _parse(data, self.wb_part)
        if self.wb.tag != _q("workbook"):
            raise UnreadableWorkbook(
                f"{pkg.path.name} 不是 Excel 工作簿", f"{pkg.path.name} is not an Excel workbook"
            )
        self.wb_rels = _Rels(pkg, self.wb_part)
        self.wb_dirty = False
        self.styles = _Styles(pkg, self.wb_rels, self.ct)
        self.vml_default = False
        self.results_name = RESULTS_SHEET

    # -- workbook structure ---------------------------------------------------------------

    def sheets(self) -> list[_Sheet]:
        out: list[_Sheet] = []
        container = self.wb.find(_q("sheets"))
        if container is None:
            return out
        for el in container.findall(_q("sheet")):
            rid = el.get(_q("id", NS_R), "")
            part = self.wb_rels.target(rid)
            rel_type = next((r.get("Type") for r in self.wb_rels.all() if r.get("Id") == rid), "")
            out.append(_Sheet(el.get("name", ""), el.get("sheetId", ""), rid,
                              part if part and self.pkg.has(part) else None, rel_type == RT_WORKSHEET))
        return out

    def _take_record(self) -> _Record:
        """Read the record of the previous run and remove it (a new one is written at the end).

        Excel keeps it related from the workbook; LibreOffice moves it to the package root.
        """
        found = _Record()
        candidates = [n for n in self.pkg.names() if re.fullmatch(r"customXml/item\d*\.xml", n, re.I)]
        for part in sorted(candidates):
            try:
                root = etree.fromstring(self.pkg.read(part), _PARSER)
            except etree.XMLSyntaxError:
                continue
            if root.tag != _q("marks", NS_MARKS):
                continue
            found = _Record.from_xml(root)
            item_rels = _Rels(self.pkg, part)
            for _, props in item_rels.of_type(RT_CUSTOM_XML_PROPS):
                self.pkg.delete(props)
                self.ct.remove_override(props)
            self.pkg.delete(item_rels.name)
            self.pkg.delete(part)
            self.ct.remove_override(part)
            for rels in (self.wb_rels, self.root_rels):
                for rid, target in rels.of_type(RT_CUSTOM_XML):
                    if target.lower() == part.lower():
                        rels.remove(rid)
        self.styles.recorded = found.xfs
        self.styles.recorded_fills = found.fills
        self.vml_default = found.vml_default
        return found

    def _save_record(self, rec: _Record) -> None:
        if not (rec.sheets or rec.vml_default):
            return
        rec.xfs = dict(self.styles.used)
        rec.fills = dict(self.styles.used_fills)
        item = self.pkg.unique("customXml/item{}.xml")
        n = item[len("customXml/item"): -len(".xml")]
        props = f"customXml/itemProps{n}.xml"
        self.pkg.put(item, rec.to_xml())
        self.pkg.put(props, (
            '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
            f'<ds:datastoreItem ds:itemID="{_RECORD_GUID}" xmlns:ds="{NS_DS}"><ds:schemaRefs>'
            f'<ds:schemaRef ds:uri="{NS_MARKS}"/></ds:schemaRefs></ds:datastoreItem>'
        ).encode())
        item_rels = _Rels(self.pkg, item)
        item_rels.add(RT_CUSTOM_XML_PROPS, props)
        item_rels.save()
        self.ct.set_override(item, CT_XML)
        self.ct.set_override(props, CT_CUSTOM_XML_PROPS)
        self.wb_rels.add(RT_CUSTOM_XML, item)

    def _remove_results_sheets(self, name: str = RESULTS_SHEET) -> None:
        container = self.wb.find(_q("sheets"))
        if container is None:
            return
        while True:
            els = container.findall(_q("sheet"))
            hit = next((i for i, el in enumerate(els) if el.get("name") == name), None)
            if hit is None:
                return
            el = els[hit]
            rid = el.get(_q("id", NS_R), "")
            sid = el.get("sheetId", "")
            part = self.wb_rels.target(rid)
            container.remove(el)
            self.wb_rels.remove(rid)
            if part and self.pkg.has(part):
                sheet_rels = _Rels(self.pkg, part)
                for r in sheet_rels.all():
                    target = sheet_rels.target(r.get("Id"))
                    if target:
                        self.pkg.delete(target)
                        self.ct.remove_override(target)
                self.pkg.delete(sheet_rels.name)
                self.pkg.delete(part)
                self.ct.remove_override(part)
            self._after_sheet_removed(hit, sid, len(els) - 1)
            self.wb_dirty = True

    def _after_sheet_removed(self, index: int, sheet_id: str, remaining: int) -> None:
        names = self.wb.find(_q("definedNames"))
        if names is not None:
            for dn in list(names):
                local = dn.get("localSheetId")
                if local is None or not local.isdigit():
                    continue
                if int(local) == index:
                    names.remove(dn)
                elif int(local) > index:
                    dn.set("localSheetId", str(int(local) - 1))
            if len(names) == 0:
                self.wb.remove(names)
        views = self.wb.find(_q("bookViews"))
        if views is not None:
            for view in views:
                for attr in ("activeTab", "firstSheet"):
                    value = view.get(attr)
                    if value is None or not value.isdigit():
                        continue
                    v = int(value)
                    if v > index or v >= remaining:
                        view.set(attr, str(max(v - 1, 0)))
        for rid, part in self.wb_rels.of_type(RT_CALC_CHAIN):
            if self.pkg.has(part) and f'i="{sheet_id}"'.encode() in self.pkg.read(part):
                # Excel rebuilds a missing calculation chain; a stale one makes it repair the file.
                self.pkg.delete(part)
                self.ct.remove_override(part)
                self.wb_rels.remove(rid)

    # -- run ------------------------------------------------------------------------------

    def run(self, findings: list[Finding]) -> int:
        old = self._take_record()
        # only a 校验结果 salesxl wrote goes; a user's own stays and ours takes a free name
        self.results_name = owned.claim(self, RESULTS_SHEET, _HEADERS.values())
        sheets = self.sheets()
        exact = {s.name: s for s in sheets}
        loose: dict[str, _Sheet] = {}
        for s in sheets:
            loose.setdefault(_normalize_name(s.name), s)

        def locate(name: str) -> _Sheet | None:
            return exact.get(name) or loose.get(_normalize_name(name))

        marks: dict[str, dict[tuple[int, int], _Mark]] = {}
        for f in findings:
            sh = locate(f.sheet)
            if sh is None or not sh.is_worksheet or f.row is None or not f.column:
                continue
            col = _col_index(f.column)
            if col is None or not 1 <= f.row <= _MAX_ROW:
                continue
            marks.setdefault(sh.sheet_id, {}).setdefault((f.row, col), _Mark()).add(
                f.severity, f.message(self.lang)
            )

        new = _Record()
        marked = 0
        for sh in sheets:
            if not sh.is_worksheet or sh.part is None:
                continue
            prev = old.sheets.get(sh.sheet_id)
            todo = marks.get(sh.sheet_id, {})
            if not (todo or prev or self._has_our_comments(sh)):
                continue
            marked += self._mark_sheet(sh, todo, prev, new)
        if findings:
            self._add_results_sheet(findings, locate)
            owned.mark(self, self.results_name)
            new.results = True

        # A "vml" content type we added is dropped once no VML drawing is left.
        if self.vml_default and not any(n.lower().endswith(".vml") for n in self.pkg.names()):
            self.ct.remove_default("vml")
            self.vml_default = False
        new.vml_default = self.vml_default
        self.styles.save()
        self._save_record(new)
        if self.wb_dirty:
            self.pkg.put(self.wb_part, _serialize(self.wb))
        self.wb_rels.save()
        self.root_rels.save()
        self.ct.save()
        return marked

    def _has_our_comments(self, sh: _Sheet) -> bool:
        assert sh.part is not None
        rels = _Rels(self.pkg, sh.part)
        return any(
            self.pkg.has(part) and b">" + AUTHOR.encode() + b"<" in self.pkg.read(part)
            for _, part in rels.of_type(RT_COMMENTS)
        )

    def _mark_sheet(self, sh: _Sheet, todo: dict[tuple[int, int], _Mark], prev: _SheetRec | None,
                    new: _Record) -> int:
        assert sh.part is not None
        tasks: dict[int, dict[int, _Task]] = {}
        for (r, c), mk in todo.items():
            tasks.setdefault(r, {})[c] = _Task(severity=mk.severity)
        if prev is not None:
            for cell in prev.cells:
                tasks.setdefault(cell.row, {}).setdefault(cell.col, _Task()).prev = cell
        notes = {f"{_col_letters(c)}{r}": "\n".join(mk.messages) for (r, c), mk in todo.items()}
        srec = _SheetRec(sh.sheet_id, sh.name)
        rels = _Rels(self.pkg, sh.part)

        def on_tail(tail: bytes, offset: int, p: bytes, r_prefix: bytes | None) -> bytes:
            return self._comments(rels, tail, offset, p, r_prefix, notes, prev, srec)

        patcher = _SheetPatcher(tasks, self.styles, on_tail)
        sink = _DeflateSink()
        try:
            with self.pkg.open(sh.part) as src:
                patcher.run(src, sink)
        except (_Malformed, zipfile.BadZipFile, zlib.error, EOFError):
            sink.close()
            return 0  # a sheet we cannot read safely is left exactly as it is
        if patcher.changed:
            self.pkg.put_stream(sh.part, sink.finish())
        else:
            sink.close()
        rels.save()
        srec.cells = patcher.records
        if srec.cells or srec.notes or srec.shapetype:
            new.sheets[sh.sheet_id] = srec
        return patcher.marked

    def _comments(self, rels: _Rels, tail: bytes, offset: int, p: bytes, r_prefix: bytes | None,
                  notes: dict[str, str], prev: _SheetRec | None, srec: _SheetRec) -> bytes:
        """Undo and redo the comments of one sheet; returns the sheet's new tail.

        Called by the sheet patcher once the whole sheet has streamed without a problem.
        """
        pkg, ct = self.pkg, self.ct
        ld = re.search(rb"<" + re.escape(p) + rb"legacyDrawing(?=[\s/>])[^>]*?(?:/>|>.*?</"
                       + re.escape(p) + rb"legacyDrawing\s*>)", tail[offset:], re.S)
        ld_rid = None
        if ld:
            rm = re.search(rb"""\s[\w.\-]+:id\s*=\s*["']([^"']*)["']""", ld.group(0))
            ld_rid = rm.group(1).decode() if rm else None
        target = rels.target(ld_rid) if ld_rid else None
        vml_part = pkg.actual(target) if target else None
        vml = pkg.read(vml_part) if vml_part else None
        broken_link = ld is not None and (vml is None or b"</xml>" not in vml)
        found = [(rid, part) for rid, part in rels.of_type(RT_COMMENTS) if pkg.has(part)]
        com_rid, com_part = found[0] if found else (None, None)
        doc = _Comments(pkg.read(com_part)) if com_part else None

        # 1. undo the previous run
        removed: set[str] = set()
        if doc is not None and com_part is not None and com_rid is not None:
            removed = doc.remove_ours(prev.notes if prev else {})
            if removed and doc.empty():
                pkg.delete(com_part)
                ct.remove_override(com_part)
                rels.remove(com_rid)
                doc = com_part = None
        if vml is not None and vml_part is not None and removed:
            cells = {(_ref_key(r)[0] - 1, _ref_key(r)[1] - 1) for r in removed}
            vml, n_removed = _vml_remove_notes(vml, cells)
            if n_removed and _SHAPE_RE.search(vml) is None and ld is not None and ld_rid:
                pkg.delete(vml_part)
                rels.remove(ld_rid)
                tail = tail[: ld.start() + offset] + tail[ld.end() + offset:]
                vml = vml_part = None
            elif prev is not None and prev.shapetype:
                vml = _vml_remove_shapetype(vml)

        # 2. the new comments (none if the sheet's drawing link is broken: it would need a second)
        if notes and not broken_link:
            if doc is None:
                doc = _Comments.new()
                com_part = pkg.unique("xl/comments{}.xml")
                ct.set_override(com_part, CT_COMMENTS)
                rels.add(RT_COMMENTS, com_part)
            shapes = doc.add(notes, srec.notes)
            cells_new = [(_ref_key(r)[0] - 1, _ref_key(r)[1] - 1) for r in shapes]
            if cells_new and vml is not None:
                vml, added = _vml_add_notes(vml, cells_new)
                srec.shapetype = added or bool(prev and prev.shapetype and _NOTE_SHAPETYPE in vml)
            elif cells_new:
                used = [0]
                for name in pkg.names():
                    if name.lower().endswith(".vml"):
                        for m in re.finditer(rb"""<o:idmap\b[^>]*\bdata\s*=\s*["']([\d,\s]*)""", pkg.read(name)):
                            used += [int(x) for x in re.findall(rb"\d+", m.group(1))]
                vml_part = pkg.unique("xl/drawings/vmlDrawing{}.vml")
                vml = _vml_new(cells_new, max(used) + 1)
                rid = rels.add(RT_VML, vml_part)
                if ct.default("vml") is None:
                    ct.add_default("vml", CT_VML)
                    self.vml_default = True
                if r_prefix:
                    element = b"<" + p + b"legacyDrawing " + r_prefix + b':id="' + rid.encode() + b'"/>'
                else:
                    element = (b"<" + p + b'legacyDrawing xmlns:r="' + NS_R.encode() + b'" r:id="'
                               + rid.encode() + b'"/>')
                at = _tail_insert_at(tail, offset)
                tail = tail[:at] + element + tail[at:]

        # 3. store (put() keeps the original bytes when nothing changed)
        if doc is not None and com_part is not None:
            pkg.put(com_part, doc.data)
        if vml is not None and vml_part is not None:
            pkg.put(vml_part, vml)
        return tail

    # -- the results sheet ------------------------------------------------------------------

    def _add_results_sheet(self, findings: list[Finding], locate: Callable[[str], _Sheet | None]) -> None:
        container = self.wb.find(_q("sheets"))
        if container is None:
            container = etree.SubElement(self.wb, _q("sheets"))
        ids = [int(el.get("sheetId", "0")) for el in container.findall(_q("sheet")) if el.get("sheetId", "").isdigit()]
        part = self.pkg.unique("xl/worksheets/sheet{}.xml")
        sink = _DeflateSink()
        what = "Findings" if self.lang == "en" else RESULTS_SHEET
        title = printing.print_title(what, date.today(), lang=self.lang)
        _write_results(sink, findings, self.lang, locate, self.styles, title)
        self.pkg.put_stream(part, sink.finish())
        rid = self.wb_rels.add(RT_WORKSHEET, part)
        el = etree.SubElement(container, _q("sheet"))
        el.set("name", self.results_name)
        el.set("sheetId", str(max(ids, default=0) + 1))
        el.set(_q("id", NS_R), rid)
        self.ct.set_override(part, CT_WORKSHEET)
        printing.set_print_titles(self.wb, self.results_name, len(container.findall(_q("sheet"))) - 1)
        self.wb_dirty = True


def _write_results(sink: _DeflateSink, findings: list[Finding], lang: str,
                   locate: Callable[[str], _Sheet | None], styles: _Styles, title: str = RESULTS_SHEET) -> None:
    headers = _HEADERS[lang]
    labels = SEVERITY_LABEL[lang]
    xf = {k: styles.results_xf(k) for k in ("header", "link", "text", "error", "warning")}

    def row_of(f: Finding) -> tuple[list[str | int | None], tuple[str, str] | None]:
        sh = locate(f.sheet)
        target = None
        if sh is not None and sh.is_worksheet:
            col = (_col_index(f.column) if f.column else None) or 1
            row = f.row if f.row is not None and 1 <= f.row <= _MAX_ROW else 1
            target = (_sheet_ref(sh.name, row, col), f"{sh.name}!{_col_letters(col)}{row}")
        values: list[str | int | None] = [
            f.sheet, f.row, f.column, f.field, f.value, labels[f.severity.value], f.code.value, f.message(lang),
        ]
        return values, target

    widths = [_display_width(h) for h in headers]
    for f in findings:
        values, _ = row_of(f)
        for i, v in enumerate(values):
            if v is not None:
                widths[i] = max(widths[i], _display_width(str(v)))
    limits = (40, 10, 8, 24, 40, 10, 22, 90)
    widths = [min(max(w + 2, 6), lim) for w, lim in zip(widths, limits, strict=True)]
    last = len(findings) + 1
    sink.write(
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<worksheet xmlns="' + NS_MAIN.encode() + b'" xmlns:r="' + NS_R.encode() + b'">'
        + printing.sheet_pr("FFC00000")
        + b'<dimension ref="A1:H' + str(last).encode() + b'"/>'
        b'<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
        b'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A2" '
        b'sqref="A2"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/><cols>'
        + b"".join(
            f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'.encode() for i, w in enumerate(widths, 1)
        )
        + b"</cols><sheetData>"
    )

    def text_cell(ref: str, value: str, style: int) -> bytes:
        return (f'<c r="{ref}" s="{style}" t="inlineStr"><is><t xml:space="preserve">'.encode()
                + _ooxml_text(value) + b"</t></is></c>")

    sink.write(b'<row r="1">' + b"".join(
        text_cell(f"{_col_letters(i)}1", h, xf["header"]) for i, h in enumerate(headers, 1)
    ) + b"</row>")
    links: list[bytes] = []
    for n, f in enumerate(findings, 2):
        values, target = row_of(f)
        cells = []
        for i, v in enumerate(values, 1):
            ref = f"{_col_letters(i)}{n}"
            if v is None or v == "":
                continue
            if isinstance(v, int):
                cells.append(f'<c r="{ref}"><v>{v}</v></c>'.encode())
                continue
            style = xf["text"]
            if i == 1 and target:
                style = xf["link"]
            elif i == 6:
                style = xf[f.severity.value]
            cells.append(text_cell(ref, v, style))
        sink.write(f'<row r="{n}">'.encode() + b"".join(cells) + b"</row>")
        if target:
            links.append(b'<hyperlink ref="A' + str(n).encode() + b'" location="' + _ooxml_text(target[0], attr=True)
                         + b'" display="' + _ooxml_text(target[1], attr=True) + b'"/>')
    sink.write(b'</sheetData><autoFilter ref="A1:H' + str(last).encode() + b'"/>')
    if links:
        sink.write(b"<hyperlinks>")
        for i in range(0, len(links), 1000):
            sink.write(b"".join(links[i: i + 1000]))
        sink.write(b"</hyperlinks>")
    sink.write(printing.tail(title, wide=printing.landscape(widths), lang=lang, file_name=True) + b"</worksheet>")
