"""Bound every untrusted workbook *before* a real parser touches it.

The readers (calamine via python-calamine / fastexcel, openpyxl) trust the file: calamine
allocates one dense grid over the bounding box of all cells, so a 5 KB file with values in
``A1`` and ``XFD1048576`` asks for ~17 billion cells and *aborts the whole process* (a Rust
allocation failure cannot be caught).  Zip bombs, XML entity bombs, renamed CSV/HTML/.xls
files and password-protected workbooks all end in a traceback or worse.  This module looks
at the raw bytes first and turns every such file into one clear :class:`UnreadableWorkbook`
line, in Chinese and English, naming the file and saying what to do.

Two entry points, so that the cheap part runs once and the expensive part only per sheet:

* :func:`inspect_workbook` sniffs the format from the bytes (never the extension), checks the
  zip central directory against :data:`SAFETY_LIMITS`, probes the first 64 KiB of every XML
  part for ``<!DOCTYPE``/``<!ENTITY`` and parses the small package parts with defusedxml.  It
  never inflates a big worksheet; it inflates the other XML parts once to check their CRC.
* :func:`workbook_part` decides what a workbook is (the target of ``_rels/.rels``; Strict Open
  XML, ``.xlsb`` and a damaged package are named) for the reader and for every writer alike.
  Every part read whole has its CRC-32 checked (calamine does not), and the writers check the
  parts they copy, so a damaged file is refused, never read or copied as if it were sound.
* :func:`scan_sheet` stream-inflates *one* worksheet part and finds its real used range (and
  the formulas without a cached value), rejecting absurd ranges.  It runs on every sheet of
  every read, so it is written for speed: one compiled ``re`` search per chunk verifies that
  every cell is written the way spreadsheet programs write cells (``<c r="B7" s="1">``),
  lies within the bounds seen so far and, if it holds a formula, has a cached value.  Only
  what that search reports is looked at in Python; chunks written differently (prefixed
  elements, other attribute orders, cells without ``r``) take slower but exact walks.

The rules mirror how calamine positions cells (measured against python-calamine 0.9): a
cell's ``r`` attribute wins; a cell without ``r`` follows the previous cell of its row; a row
without ``r`` follows the previous row; element prefixes (``<x:c>``) and lower-case
references are accepted by calamine and therefore by this scan.
"""

from __future__ import annotations

import codecs
import posixpath
import re
import stat
import struct
import types
import zipfile
import zlib

try:  # Intel ISA-L inflates ~4× faster than zlib: the scan's floor is inflating the sheet
    # A module either way (isal's stub declares ``error`` an instance, not an exception class).
    _inflate_lib: types.ModuleType
    from isal import isal_zlib as _inflate_lib
except ImportError:  # pragma: no cover - isal has wheels for the usual platforms
    _inflate_lib = zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Literal
from urllib.parse import unquote
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
import olefile
from defusedxml import DefusedXmlException

from salesxl.errors import UnreadableWorkbook

__all__ = [
    "SAFETY_LIMITS",
    "SafetyLimits",
    "SheetPart",
    "SheetScan",
    "WorkbookInfo",
    "bad_crc",
    "inspect_workbook",
    "member_key",
    "scan_sheet",
    "workbook_part",
]

_KiB = 1024
_MiB = 1024 * _KiB
_GiB = 1024 * _MiB


@dataclass(frozen=True)
class SafetyLimits:
    """The numbers behind every refusal, in one place so tests and docs can quote them.

    The zip limits are checked against the central directory *before* anything is inflated,
    and again while inflating (declared sizes can lie).  The cell limits protect calamine's
    dense grid: ``max_row * max_col`` cells of ~32 bytes each.
    """

    max_member_bytes: int = 2 * _GiB
    """A single zip member may not declare (or inflate to) more than this."""
    max_total_bytes: int = 4 * _GiB
    """The declared uncompressed sizes of all members together."""
    max_ratio: int = 200
    """Compression ratio (uncompressed / compressed) above which a big member is a bomb."""
    ratio_min_bytes: int = 32 * _MiB
    """The ratio rule only applies to members larger than this (tiny parts compress wildly)."""
    max_members: int = 10_000
    """Members in the archive; a real workbook has tens, rarely hundreds."""
    max_central_directory_bytes: int = 64 * _MiB
    """Size of the zip central directory itself (checked before zipfile parses it)."""
    xml_probe_bytes: int = 64 * _KiB
    """How much of each XML part is inflated to look for DOCTYPE / ENTITY declarations."""
    max_part_bytes: int = 64 * _MiB
    """Package parts parsed whole with defusedxml (content types, workbook, rels, tables)."""
    max_cells: int = 50_000_000
    """``max_row * max_col`` above this is rejected outright (~1.6 GB for calamine's grid)."""
    sparse_min_cells: int = 2_000_000
    """Below this area a sheet is never "too sparse"."""
    sparse_factor: int = 64
    """Reject when area > ``sparse_factor`` × (xml bytes / ``min_cell_xml_bytes``)."""
    min_cell_xml_bytes: int = 8
    """Fewest XML bytes a stored cell can take (``<c r="A1"/>`` is 11)."""
    scan_chunk_bytes: int = 4 * _MiB
    """Inflate granularity of :func:`scan_sheet`."""


SAFETY_LIMITS = SafetyLimits()

# --------------------------------------------------------------------------------------------
# Public result types
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetPart:
    """One worksheet as declared in ``xl/workbook.xml`` and resolved through its rels."""

    name: str
    """Sheet name exactly as in ``xl/workbook.xml``."""
    part: str
    """Zip member path, e.g. ``"xl/worksheets/sheet1.xml"``."""
    tables: tuple[str, ...]
    """``displayName`` (or ``name``) of each Excel Table (ListObject) on the sheet."""
    table_refs: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    """(table name, its ``ref`` such as ``"C5:E7"``): where each table sits on the sheet."""
    size: int = field(default=0, compare=False)
    """Declared uncompressed size of the part in bytes (the reader starts big sheets first)."""

    def table_top_row(self, table: str) -> int | None:
        """Excel row of ``table``'s header row (the first row of its ``ref``), or None."""
        ref = dict(self.table_refs).get(table)
        match = re.match(r"\$?[A-Za-z]{1,3}\$?(\d+)", ref or "")
        return int(match.group(1)) if match else None


@dataclass(frozen=True)
class SheetScan:
    """What :func:`scan_sheet` learned from the raw worksheet XML."""

    max_row: int
    """Largest 1-based row number holding a ``<c>`` element (0 if none).

    Exact whenever rows come in ascending order, as every spreadsheet program writes them.
    In a file with rows out of order it may be lower than the true maximum; the absurd-range
    verdict never relies on it alone (it uses an upper bound, rescanning exactly if needed).
    """
    max_col: int
    """Largest 1-based column index holding a ``<c>`` element (0 if none)."""
    uncached_formulas: tuple[tuple[int, int], ...]
    """(row, col), 1-based, of formula cells without a cached value, in document order."""


@dataclass(frozen=True)
class WorkbookInfo:
    """A workbook that passed :func:`inspect_workbook`; its sheets still need :func:`scan_sheet`."""

    path: Path
    kind: Literal["xlsx", "xlsm"]
    """From ``[Content_Types].xml`` (macro-enabled main part ⇒ ``"xlsm"``), not the extension."""
    sheets: tuple[SheetPart, ...]
    """Worksheets in workbook order; chartsheets, dialog and macro sheets are left out."""
    date1904: bool = False
    """The workbook counts serial dates from 1904 (``<workbookPr date1904="1"/>``)."""
    skipped: tuple[str, ...] = ()
    """Sheets declared with no part (``r:id=""``: Excel 4 macro and VBA module sheets)."""
    main: str = "xl/workbook.xml"
    """:func:`member_key` of the workbook part (the target of ``_rels/.rels``)."""


# --------------------------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def _clean(text: str) -> str:
    """Names go into one-line messages: no newlines or other control characters."""
    return _CONTROL.sub(" ", text).strip()


def _fail(name: str, zh: str, en: str) -> UnreadableWorkbook:
    return UnreadableWorkbook(f"无法读取「{name}」：{zh}", f"Cannot read '{name}': {en}")


def _size_text(n: int) -> str:
    if n >= _GiB:
        return f"{n / _GiB:.1f} GiB"
    if n >= _MiB:
        return f"{n / _MiB:.1f} MiB"
    return f"{max(1, round(n / _KiB))} KB"


def _damaged(name: str, zh_detail: str, en_detail: str) -> UnreadableWorkbook:
    return _fail(
        name,
        f"文件已损坏（{zh_detail}）；请重新获取文件，或在 Excel 中打开修复后另存为 .xlsx 再试",
        f"the file is damaged ({en_detail}); get a fresh copy, or open it in Excel to repair "
        "it, save it as .xlsx and try again",
    )


_SAVE_AS_ZH = "请在 Excel 中另存为 .xlsx 后重试"
_SAVE_AS_EN = "open it in Excel, save it as .xlsx and try again"


# --------------------------------------------------------------------------------------------
# Sniffing
# --------------------------------------------------------------------------------------------

_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OTHER_MAGICS: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF", "PDF 文件", "a PDF file"),
    (b"\x89PNG", "PNG 图片", "a PNG image"),
    (b"\xff\xd8\xff", "JPEG 图片", "a JPEG image"),
    (b"GIF8", "GIF 图片", "a GIF image"),
    (b"Rar!", "RAR 压缩包", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "7z 压缩包", "a 7z archive"),
    (b"\x1f\x8b", "gzip 压缩包", "a gzip archive"),
    (b"{\\rtf", "RTF 文档", "an RTF document"),
)
_TEXT_CONTROL_OK = frozenset(b"\t\n\r\f\v\x1a")
_SNIFF_BYTES = 8 * _KiB


def _decodes_as_text(head: bytes) -> bool:
    """True for text a person could have typed (UTF-8, GBK, UTF-16 with a BOM)."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = head.decode("utf-16")
        except UnicodeDecodeError:
            text = codecs.getincrementaldecoder("utf-16")().decode(head[: len(head) & ~1])
        return not any(ord(ch) < 32 and ord(ch) not in _TEXT_CONTROL_OK for ch in text)
    if b"\x00" in head:
        return False
    if any(b < 32 and b not in _TEXT_CONTROL_OK for b in head):
        return False
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        return True
    return False


def _text_head(head: bytes) -> str:
    """The head as lower-case text with BOM and leading whitespace removed (best effort)."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = head.decode("utf-16", errors="ignore")
    else:
        text = head.decode("utf-8", errors="ignore")
    return text.lstrip("\ufeff \t\r\n").lower()


def _reject_non_zip(name: str, path: Path, head: bytes) -> UnreadableWorkbook:
    """Explain what a file that is not a zip archive actually is."""
    if head.startswith(_OLE_MAGIC):
        return _ole_problem(name, path)
    for magic, zh, en in _OTHER_MAGICS:
        if head.startswith(magic):
            return _fail(name, f"是{zh}，不是 Excel 工作簿", f"it is {en}, not an Excel workbook")
    text = _text_head(head)
    if text.startswith("<"):
        if "urn:schemas-microsoft-com:office:spreadsheet" in text or "excel.sheet" in text:
            return _fail(
                name,
                f"是 Excel 2003 XML 表格（SpreadsheetML），不是 .xlsx；{_SAVE_AS_ZH}",
                f"it is an Excel 2003 XML spreadsheet (SpreadsheetML), not .xlsx; {_SAVE_AS_EN}",
            )
        if any(tag in text for tag in ("<html", "<!doctype html", "<table", "<head", "<body")):
            return _fail(
                name,
                f"是网页（HTML）文件，不是 .xlsx 工作簿（常见于系统导出的“假 Excel”）；{_SAVE_AS_ZH}",
                "it is an HTML (web page) file, not an .xlsx workbook (often what a system "
                f"'exports to Excel'); {_SAVE_AS_EN}",
            )
        if text.startswith("<?xml"):
            return _fail(
                name,
                "是 XML 文件，不是 .xlsx 工作簿",
                "it is an XML file, not an .xlsx workbook",
            )
    if _decodes_as_text(head):
        return _fail(
            name,
            "是文本/CSV 文件，不是 Excel 工作簿；请用 Excel 打开后另存为 .xlsx 再试",
            f"it is a text/CSV file, not a workbook; {_SAVE_AS_EN}",
        )
    return _fail(
        name,
        "不是 Excel 工作簿（无法识别的文件格式），请确认选对了文件",
        "it is not an Excel workbook (unrecognised file format); check that this is the "
        "right file",
    )


def _ole_problem(name: str, path: Path) -> UnreadableWorkbook:
    """An OLE2 compound file: an encrypted OOXML package, a legacy .xls, or something else."""
    try:
        with olefile.OleFileIO(str(path)) as ole:
            streams = {"/".join(entry).lower() for entry in ole.listdir(streams=True)}
    except Exception:  # olefile raises assorted errors on a damaged compound file
        return _damaged(name, "Office 97-2003 复合文件结构无法解析", "its OLE compound file cannot be read")
    if "encryptedpackage" in streams or "encryptioninfo" in streams:
        return _fail(
            name,
            "工作簿已加密/设置了打开密码；请在 Excel 中打开，"
            "在“文件 → 信息 → 保护工作簿 → 用密码进行加密”中清空密码，保存后重试",
            "the workbook is password-protected (encrypted); open it in Excel, clear the "
            "password under File > Info > Protect Workbook > Encrypt with Password, save and "
            "try again",
        )
    if "worddocument" in streams:
        return _fail(
            name, "是 Word 97-2003 文档（.doc），不是 Excel 工作簿",
            "it is a Word 97-2003 document (.doc), not an Excel workbook",
        )
    if "powerpoint document" in streams:
        return _fail(
            name, "是 PowerPoint 97-2003 演示文稿（.ppt），不是 Excel 工作簿",
            "it is a PowerPoint 97-2003 presentation (.ppt), not an Excel workbook",
        )
    return _fail(
        name,
        f"是 Excel 97-2003 格式（.xls）的文件，不支持；{_SAVE_AS_ZH}",
        f"it is an Excel 97-2003 .xls file, which is not supported; {_SAVE_AS_EN}",
    )


# --------------------------------------------------------------------------------------------
# Zip level
# --------------------------------------------------------------------------------------------


def _central_directory_shape(fh: BinaryIO, file_size: int) -> tuple[int, int] | None:
    """(entries, central directory bytes) from the end record, before zipfile reads it all.

    zipfile materialises every central directory entry, so a forged archive with millions of
    entries would cost gigabytes before any limit could be checked.  ``None`` when no end
    record is found (zipfile will then report the archive as corrupt).
    """
    tail_len = min(file_size, 22 + 65_535)
    fh.seek(file_size - tail_len)
    tail = fh.read(tail_len)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        return None
    entries, cd_size = struct.unpack("<HI", tail[at + 10 : at + 16])
    if entries == 0xFFFF or cd_size == 0xFFFFFFFF:
        loc = at - 20
        if loc >= 0 and tail[loc : loc + 4] == b"PK\x06\x07":
            (eocd64_offset,) = struct.unpack("<Q", tail[loc + 8 : loc + 16])
            if eocd64_offset + 56 <= file_size:
                fh.seek(eocd64_offset)
                rec = fh.read(56)
                if rec[:4] == b"PK\x06\x06":
                    entries, cd_size = struct.unpack("<QQ", rec[32:48])
    return entries, cd_size


def _open_zip(name: str, path: Path, file_size: int) -> zipfile.ZipFile:
    limits = SAFETY_LIMITS
    try:
        with path.open("rb") as fh:
            shape = _central_directory_shape(fh, file_size)
    except OSError as exc:
        raise _unreadable(name, exc) from exc
    if shape is not None:
        entries, cd_size = shape
        if entries > limits.max_members:
            raise _too_many_members(name, entries)
        if cd_size > limits.max_central_directory_bytes:
            raise _fail(
                name,
                f"压缩包目录有 {_size_text(cd_size)}，不像正常的工作簿，已拒绝读取",
                f"the zip central directory is {_size_text(cd_size)}; that is not a normal "
                "workbook, refused",
            )
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, struct.error,
            NotImplementedError) as exc:
        raise _damaged(name, "压缩包结构不完整，可能在下载或传输时被截断", "its zip structure is "
                       "incomplete or corrupt, perhaps truncated in transfer") from exc
    except OSError as exc:
        raise _unreadable(name, exc) from exc
    return zf


def _too_many_members(name: str, count: int) -> UnreadableWorkbook:
    limit = SAFETY_LIMITS.max_members
    return _fail(
        name,
        f"压缩包内有 {count:,} 个条目，超过上限 {limit:,}，不像正常的工作簿，已拒绝读取",
        f"the archive has {count:,} entries (limit {limit:,}); that is not a normal "
        "workbook, refused",
    )


def _check_zip_bomb(name: str, infos: list[zipfile.ZipInfo]) -> None:
    """Judge every member by its central directory entry, before anything is inflated."""
    limits = SAFETY_LIMITS
    if len(infos) > limits.max_members:
        raise _too_many_members(name, len(infos))
    total = 0
    seen: set[str] = set()
    for info in infos:
        member = _clean(info.filename)
        key = info.filename.replace("\\", "/").lower()
        if key in seen:
            # zipfile keeps the last entry of a name, other readers the first: two different
            # parts could be checked and parsed.  OPC forbids it anyway.
            raise _damaged(name, f"压缩包中「{member}」出现了两次", f"zip member '{member}' "
                           "appears twice")
        seen.add(key)
        if info.flag_bits & 0x1:
            raise _fail(
                name,
                "压缩包条目被 zip 密码加密（这不是 Excel 的加密方式），无法读取",
                "its zip entries are zip-password encrypted (not Excel's own encryption) and "
                "cannot be read",
            )
        size = info.file_size
        total += size
        if size > limits.max_member_bytes:
            raise _bomb(name, f"压缩包中「{member}」声明解压后有 {_size_text(size)}，超过单项上限 "
                        f"{_size_text(limits.max_member_bytes)}",
                        f"zip member '{member}' declares {_size_text(size)} uncompressed, over "
                        f"the {_size_text(limits.max_member_bytes)} limit per member")
        ratio = size / max(info.compress_size, 1)
        if size > limits.ratio_min_bytes and ratio > limits.max_ratio:
            raise _bomb(name, f"压缩包中「{member}」压缩比高达 {ratio:,.0f}:1（解压后 "
                        f"{_size_text(size)}），正常表格在 5–20:1 左右",
                        f"zip member '{member}' has a compression ratio of {ratio:,.0f}:1 "
                        f"({_size_text(size)} uncompressed); real sheets compress 5-20:1")
    if total > limits.max_total_bytes:
        raise _bomb(name, f"所有条目解压后共 {_size_text(total)}，超过上限 "
                    f"{_size_text(limits.max_total_bytes)}",
                    f"all members together declare {_size_text(total)} uncompressed, over "
                    f"the {_size_text(limits.max_total_bytes)} limit")


def _bomb(name: str, zh: str, en: str) -> UnreadableWorkbook:
    return _fail(
        name,
        f"疑似“压缩炸弹”：{zh}；已拒绝读取",
        f"this looks like a zip bomb: {en}; refused",
    )


def _classify_zip(name: str, members: Mapping[str, str], read: Callable[[str], bytes]
                  ) -> UnreadableWorkbook:
    """A zip that has no spreadsheet workbook part: say which format it is instead."""
    by_lower = members
    if any(key.endswith("workbook.bin") for key in by_lower):
        return _fail(
            name,
            f"是 Excel 二进制工作簿（.xlsb），不支持；{_SAVE_AS_ZH}",
            f"it is an Excel binary workbook (.xlsb), which is not supported; {_SAVE_AS_EN}",
        )
    if "mimetype" in by_lower:
        try:
            mimetype = read(by_lower["mimetype"])[:256]
        except (UnreadableWorkbook, KeyError):
            mimetype = b""
        if b"opendocument" in mimetype.lower():
            if b"spreadsheet" in mimetype.lower():
                return _fail(
                    name,
                    f"是 OpenDocument 表格（.ods，WPS/LibreOffice 格式），不支持；{_SAVE_AS_ZH}",
                    "it is an OpenDocument spreadsheet (.ods), which is not supported; "
                    "save it as .xlsx and try again",
                )
            return _fail(
                name,
                "是 OpenDocument 文档（.odt/.odp），不是 Excel 工作簿",
                "it is an OpenDocument document (.odt/.odp), not an Excel workbook",
            )
    if any(key.startswith("word/") for key in by_lower):
        return _fail(name, "是 Word 文档（.docx），不是 Excel 工作簿",
                    "it is a Word document (.docx), not an Excel workbook")
    if any(key.startswith("ppt/") for key in by_lower):
        return _fail(name, "是 PowerPoint 演示文稿（.pptx），不是 Excel 工作簿",
                    "it is a PowerPoint presentation (.pptx), not an Excel workbook")
    if "_rels/.rels" not in by_lower and any(k.endswith("workbook.xml") for k in by_lower):
        return _damaged(name, "缺少包关系部件 _rels/.rels", "the package relationships part "
                        "_rels/.rels is missing")
    return _fail(
        name,
        "是 zip 压缩包，但不是 Excel 工作簿（找不到工作簿部件）",
        "it is a zip archive but not an Excel workbook (it has no workbook part)",
    )


# --------------------------------------------------------------------------------------------
# Inflating one member, bounded
# --------------------------------------------------------------------------------------------

_READ_BYTES = 128 * _KiB  # small input reads: fewer unconsumed_tail copies


def _iter_member(
    name: str, zf: zipfile.ZipFile, info: zipfile.ZipInfo, chunk: int
) -> Iterator[bytes]:
    """Inflate one member in pieces of at most ``chunk`` bytes, never past its declared size.

    zipfile silently truncates at the declared size; here a stream that keeps going is an
    error, because another reader (calamine's zip crate) might inflate all of it.  Only
    stored and deflated members exist in real workbooks; anything else is refused.  A member
    read to its end must match its CRC-32: calamine does not check it, so a damaged part
    (a flipped bit in a fuzzed file) would otherwise be read as if it were what was saved.
    """
    member = _clean(info.filename)
    declared = info.file_size
    limit = min(declared, SAFETY_LIMITS.max_member_bytes)
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise _damaged(name, f"「{member}」使用了不支持的压缩方式 {info.compress_type}",
                       f"member '{member}' uses unsupported compression method "
                       f"{info.compress_type}")
    fp = zf.fp
    if fp is None:  # pragma: no cover - the archive is open for the whole call
        raise _damaged(name, "压缩包已关闭", "the archive is closed")
    try:
        fp.seek(info.header_offset)
        header = fp.read(30)
        if len(header) != 30 or header[:4] != b"PK\x03\x04":
            raise _damaged(name, f"「{member}」的文件头无效", f"bad local header for '{member}'")
        method, = struct.unpack("<H", header[8:10])
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        if method != info.compress_type:
            raise _damaged(name, f"「{member}」的压缩方式前后不一致",
                           f"member '{member}' has inconsistent compression methods")
        fp.seek(info.header_offset + 30 + name_len + extra_len)
        remaining = info.compress_size
        produced = 0
        crc = 0
        if info.compress_type == zipfile.ZIP_STORED:
            if info.compress_size != declared:
                raise _damaged(name, f"「{member}」的大小前后不一致",
                               f"member '{member}' has inconsistent sizes")
            while remaining > 0:
                data = fp.read(min(chunk, remaining))
                if not data:
                    raise _truncated(name, member)
                remaining -= len(data)
                crc = _inflate_lib.crc32(data, crc)
                if remaining == 0 and crc != info.CRC:
                    raise bad_crc(name, member)
                yield data
            return
        inflater = _inflate_lib.decompressobj(-15)
        while True:
            if inflater.unconsumed_tail:
                data = inflater.unconsumed_tail
            elif remaining > 0:
                data = fp.read(min(_READ_BYTES, remaining))
                if not data:
                    raise _truncated(name, member)
                remaining -= len(data)
            else:
                break
            out = inflater.decompress(data, min(chunk, limit - produced + 1))
            produced += len(out)
            if produced > limit:
                raise _lying_size(name, member, declared)
            crc = _inflate_lib.crc32(out, crc)
            if inflater.eof and produced == declared and crc != info.CRC:
                raise bad_crc(name, member)  # before the last piece is used
            if out:
                yield out
            if inflater.eof:
                break
    except (zlib.error, _inflate_lib.error) as exc:
        raise _damaged(name, f"「{member}」的压缩数据无法解开", f"the compressed data of "
                       f"'{member}' is invalid") from exc
    except OSError as exc:
        raise _damaged(name, f"读取「{member}」时出错", f"reading '{member}' failed") from exc
    if not inflater.eof:
        raise _truncated(name, member)
    if produced != declared:
        raise _lying_size(name, member, declared)


def bad_crc(name: str, member: str) -> UnreadableWorkbook:
    """The refusal of a file one of whose parts fails its CRC-32 (readers and writers alike)."""
    member = _clean(member)
    return _damaged(name, f"「{member}」的 CRC-32 校验值不符，数据已损坏", f"part '{member}' "
                    "fails its CRC-32 check; its data is corrupt")


def _truncated(name: str, member: str) -> UnreadableWorkbook:
    return _damaged(name, f"「{member}」的数据不完整，文件可能被截断", f"the data of '{member}' "
                    "is incomplete; the file may be truncated")


def _lying_size(name: str, member: str, declared: int) -> UnreadableWorkbook:
    return _fail(
        name,
        f"压缩包中「{member}」解压后的大小与声明的 {declared:,} 字节不符，文件已损坏或被篡改，"
        "已拒绝读取",
        f"zip member '{member}' does not inflate to its declared {declared:,} bytes; the file "
        "is damaged or has been tampered with, refused",
    )


def _read_member(
    name: str, zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, *, whole: bool
) -> bytes:
    """The first ``limit`` bytes of a member, or (``whole``) all of it, refusing bigger ones."""
    if whole and info.file_size > limit:
        member = _clean(info.filename)
        raise _fail(
            name,
            f"「{member}」有 {_size_text(info.file_size)}，超过上限 {_size_text(limit)}，"
            "不像正常的工作簿",
            f"part '{member}' is {_size_text(info.file_size)}, over the "
            f"{_size_text(limit)} limit; that is not a normal workbook",
        )
    parts: list[bytes] = []
    got = 0
    for data in _iter_member(name, zf, info, min(limit, 4 * _MiB)):
        parts.append(data)
        got += len(data)
        if got >= limit and not whole:
            break
    return b"".join(parts)[:limit]


# --------------------------------------------------------------------------------------------
# XML probing and parsing
# --------------------------------------------------------------------------------------------

_PROLOG = re.compile(rb"(?:\s+|<\?.*?\?>|<!--.*?-->)*", re.S)
_ROOT_START = re.compile(rb"<[A-Za-z_]")
_DECLARED_ENCODING = re.compile(rb"""\A<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_ASCII_COMPATIBLE = re.compile(r"(?i)^(utf-?8|us-ascii|ascii|iso-?8859-\d+|latin-?1|"
                               r"windows-125\d|cp125\d|gb2312|gbk|gb18030|big5|shift_jis|"
                               r"euc-\w+)$")


def _xml_head_text(head: bytes) -> bytes:
    """The probe window as ASCII-compatible bytes (UTF-16 parts are transcoded)."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return head.decode("utf-16", errors="ignore").encode("utf-8")
    if head.startswith(b"<\x00"):
        return head.decode("utf-16-le", errors="ignore").encode("utf-8")
    if head.startswith(b"\x00<"):
        return head.decode("utf-16-be", errors="ignore").encode("utf-8")
    return head


def _probe_xml(name: str, member: str, head: bytes, whole_member: bool) -> None:
    """Refuse DTDs (billion laughs, XXE) by looking only at the first bytes of a part.

    A DTD can only sit in the prolog, before the root element.  So besides searching the
    window for ``<!DOCTYPE``/``<!ENTITY`` we insist that the root element starts inside it:
    a prolog padded past the window with comments is refused rather than inflated further.
    """
    text = _xml_head_text(head)
    lowered = text.lower()
    if b"<!doctype" in lowered or b"<!entity" in lowered:
        raise _fail(
            name,
            f"「{member}」包含 XML 实体/文档类型声明（<!DOCTYPE、<!ENTITY），可能是恶意文件"
            "（“billion laughs”/XXE 攻击）；正常的 Excel 文件不会包含这些内容，已拒绝读取",
            f"part '{member}' contains an XML DOCTYPE/ENTITY declaration, which real Excel "
            "files never have (possible billion-laughs/XXE attack); refused",
        )
    if whole_member:
        return
    start = 3 if text.startswith(codecs.BOM_UTF8) else 0
    end = _PROLOG.match(text, start)
    if end is None or _ROOT_START.match(text, end.end()) is None:
        raise _fail(
            name,
            f"「{member}」的 XML 开头异常（前 {len(head) // _KiB} KB 内没有根元素），已拒绝读取",
            f"part '{member}' has an abnormal XML prolog (no root element within the first "
            f"{len(head) // _KiB} KB); refused",
        )


def _parse_xml(name: str, member: str, data: bytes) -> Element:
    try:
        return SafeET.fromstring(data, forbid_dtd=True)
    except (DefusedXmlException, ParseError, ValueError) as exc:
        raise _damaged(name, f"「{member}」不是有效的 XML", f"part '{member}' is not valid XML") from exc


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attr(elem: Element, local_name: str, ns_suffix: str | None = None) -> str | None:
    """Attribute by local name; with ``ns_suffix`` only a namespaced one whose URI ends so."""
    for key, value in elem.attrib.items():
        if key.startswith("{"):
            ns, _, local = key[1:].partition("}")
            if local == local_name and ns_suffix is not None and ns.endswith(ns_suffix):
                return value
        elif key == local_name and ns_suffix is None:
            return value
    return None


def _resolve_target(source_part: str, target: str) -> str:
    """Zip member named by a relationship target of ``source_part`` (relative or absolute)."""
    target = unquote(target.replace("\\", "/"))
    if target.startswith("/"):
        joined = target.lstrip("/")
    else:
        joined = posixpath.join(posixpath.dirname(source_part), target)
    return posixpath.normpath(joined).lstrip("/")


def _rels_part(part: str) -> str:
    return posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")


def _relationships(
    name: str, zf: zipfile.ZipFile, by_lower: dict[str, str], part: str
) -> list[tuple[str, str, str]]:
    """(Id, Type, resolved member) of the internal relationships of ``part``."""
    rels_member = by_lower.get(_rels_part(part).lower())
    if rels_member is None:
        return []
    root = _parse_xml(
        name, rels_member,
        _read_member(name, zf, zf.getinfo(rels_member), SAFETY_LIMITS.max_part_bytes, whole=True),
    )
    out = []
    for rel in root.iter():
        if _local(rel.tag) != "Relationship":
            continue
        if (rel.get("TargetMode") or "").lower() == "external":
            continue
        rid, rtype, target = rel.get("Id"), rel.get("Type"), rel.get("Target")
        if rid and rtype and target:
            out.append((rid, rtype, _resolve_target(part, target)))
    return out


def _workbook_kind(name: str, zf: zipfile.ZipFile, by_lower: dict[str, str], main: str
                   ) -> Literal["xlsx", "xlsm"]:
    """xlsm when the main part's content type is macro-enabled; the extension is ignored."""
    ct_member = by_lower.get("[content_types].xml")
    if ct_member is None:
        # Excel would refuse it; calamine does not need it.  Judge by the VBA project.
        return "xlsm" if "xl/vbaproject.bin" in by_lower else "xlsx"
    root = _parse_xml(
        name, ct_member,
        _read_member(name, zf, zf.getinfo(ct_member), SAFETY_LIMITS.max_part_bytes, whole=True),
    )
    content_type = None
    default_xml = None
    for elem in root.iter():
        tag = _local(elem.tag)
        if tag == "Override" and (elem.get("PartName") or "").lstrip("/").lower() == main.lower():
            content_type = elem.get("ContentType")
        elif tag == "Default" and (elem.get("Extension") or "").lower() == "xml":
            default_xml = elem.get("ContentType")
    content_type = content_type or default_xml or ""
    return "xlsm" if "macroenabled" in content_type.lower() else "xlsx"


# --------------------------------------------------------------------------------------------
# What a workbook is: one decision for reading and writing
# --------------------------------------------------------------------------------------------

_STRICT_NS = "http://purl.oclc.org/ooxml/"
_STRICT_ROOT = re.compile(rb"""<(?:[A-Za-z_][\w.\-]*:)?workbook\b[^>]*?xmlns(?::[\w.\-]+)?\s*=\s*["']"""
                          rb"http://purl\.oclc\.org/ooxml/spreadsheetml/main")


def member_key(member: str) -> str:
    """How a zip member is looked up: ``/`` separators and case-insensitive, as Excel does.

    Some producers (a Chinese attendance-system export, PHP libraries on Windows) write
    ``xl\\worksheets\\sheet1.xml``; Excel and calamine read those, so salesxl does too.
    """
    return member.replace("\\", "/").lower()


def workbook_part(name: str, members: Mapping[str, str], read: Callable[[str], bytes]) -> tuple[str, bytes]:
    """The workbook part of a package and its bytes; :class:`UnreadableWorkbook` if there is none.

    The one place that decides what a workbook is, used by the reader
    (:func:`inspect_workbook`) and by the writers (:mod:`salesxl.io.marking`'s package), so no
    command reads a file another refuses or refuses it with a different reason.  As OPC says,
    the part is the target of the package's ``officeDocument`` relationship in ``_rels/.rels``
    (not necessarily ``xl/workbook.xml``); an unreadable ``_rels/.rels`` is a damaged file;
    a Strict Open XML workbook gets its own message (neither reader nor writer speaks it);
    ``.xlsb``, OpenDocument and other Office files are named.

    ``name`` is the file name for messages, ``members`` maps :func:`member_key` to the actual
    member name, ``read`` returns a member's bytes (bounded and CRC-checked by the caller).
    """
    rels = members.get("_rels/.rels")
    if rels is None:
        raise _classify_zip(name, members, read)
    root = _parse_xml(name, _clean(rels), read(rels))
    if _local(root.tag) != "Relationships":
        raise _damaged(name, "_rels/.rels 不是关系部件", "_rels/.rels is not a relationships part")
    target = None
    for rel in root.iter():
        rtype = rel.get("Type") or ""
        if _local(rel.tag) != "Relationship" or not rtype.endswith("/officeDocument"):
            continue
        if (rel.get("TargetMode") or "").lower() == "external":
            continue
        if rtype.startswith(_STRICT_NS):
            raise _strict(name)
        target = _resolve_target("", rel.get("Target") or "")
        break
    if target is None:
        raise _classify_zip(name, members, read)
    key = target.lower()
    if key.endswith(".bin") or key.startswith(("word/", "ppt/")):
        raise _classify_zip(name, {key: target} | dict(members), read)
    member = members.get(key)
    if member is None:
        raise _damaged(name, f"工作簿部件「{_clean(target)}」不存在", f"the workbook part "
                       f"'{_clean(target)}' is missing")
    data = read(member)
    if _STRICT_ROOT.search(_xml_head_text(data[:4096])):
        raise _strict(name)
    return member, data


def _strict(name: str) -> UnreadableWorkbook:
    return _fail(
        name,
        "是 Strict Open XML 格式的工作簿，暂不支持；请在 Excel 中“另存为”普通的 Excel 工作簿（.xlsx）后重试",
        "it is a Strict Open XML workbook, which is not supported; save it in Excel as a "
        "regular Excel Workbook (.xlsx) and try again",
    )


# --------------------------------------------------------------------------------------------
# inspect_workbook
# --------------------------------------------------------------------------------------------


def is_date1904(workbook_root: Any) -> bool:
    """Whether a parsed ``workbook.xml`` root (ElementTree or lxml) counts dates from 1904.

    Only the root's own ``workbookPr`` counts: Excel also writes an ``x15:workbookPr`` deep in
    ``extLst``, which says nothing about dates."""
    return any(_local(str(child.tag)) == "workbookPr"
               and (child.get("date1904") or "").strip().lower() in ("1", "true")
               for child in workbook_root)


def _unreadable(name: str, exc: OSError) -> UnreadableWorkbook:
    if isinstance(exc, PermissionError):
        return _fail(name, "没有读取该文件的权限", "permission denied")
    reason = _clean(exc.strerror or exc.__class__.__name__)
    return _fail(name, f"文件无法打开（{reason}）", f"the file cannot be opened ({reason})")


def inspect_workbook(path: str | Path) -> WorkbookInfo:
    """Check a file cheaply and list its worksheets; raise :class:`UnreadableWorkbook` if bad.

    Order matters: the format is sniffed from the first bytes (a CSV renamed ``.xlsx`` must
    not reach a zip reader), the zip is judged from its central directory before anything is
    inflated, and every XML part is probed for entity declarations before any XML parser sees
    it.  Worksheets themselves are not inflated here; see :func:`scan_sheet`.
    """
    p = Path(path)
    name = _clean(p.name or str(p))
    try:
        st = p.stat()
    except FileNotFoundError as exc:
        raise _fail(name, "文件不存在，请检查路径", "file not found; check the path") from exc
    except OSError as exc:
        raise _unreadable(name, exc) from exc
    if stat.S_ISDIR(st.st_mode):
        raise _fail(name, "这是一个文件夹，不是文件", "it is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise _fail(name, "不是普通文件（可能是设备或管道）", "it is not a regular file")
    try:
        with p.open("rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except OSError as exc:
        raise _unreadable(name, exc) from exc
    if not head:
        raise _fail(name, "文件是空的（0 字节）", "the file is empty (0 bytes)")
    if not head.startswith(_ZIP_MAGICS):
        raise _reject_non_zip(name, p, head)

    zf = _open_zip(name, p, st.st_size)
    with zf:
        infos = zf.infolist()
        _check_zip_bomb(name, infos)
        by_lower = {member_key(info.filename): info.filename for info in infos}

        probe = SAFETY_LIMITS.xml_probe_bytes
        for info in infos:
            lower = info.filename.lower()
            if lower.endswith((".xml", ".rels", ".vml")) and not info.is_dir():
                head_bytes = _read_member(name, zf, info, probe, whole=False)
                _probe_xml(name, _clean(info.filename), head_bytes, info.file_size <= probe)

        def read(member: str) -> bytes:
            return _read_member(name, zf, zf.getinfo(member), SAFETY_LIMITS.max_part_bytes, whole=True)

        main_member, main_xml = workbook_part(name, by_lower, read)
        main = member_key(main_member)  # relationships resolve against the normalised name
        kind = _workbook_kind(name, zf, by_lower, main)
        wb_root = _parse_xml(name, _clean(main_member), main_xml)
        if _local(wb_root.tag) != "workbook":
            raise _damaged(name, f"「{_clean(main_member)}」不是工作簿部件",
                           f"'{_clean(main_member)}' is not a workbook part")
        rels = {rid: (rtype, target) for rid, rtype, target in
                _relationships(name, zf, by_lower, main)}
        date1904 = is_date1904(wb_root)
        sheets: list[SheetPart] = []
        skipped: list[str] = []
        for elem in wb_root.iter():
            if _local(elem.tag) != "sheet":
                continue
            sheet_name = elem.get("name") or ""
            rid = _attr(elem, "id", "relationships")
            if not rid:
                # Excel 4 macro sheets and VBA module sheets kept by old files have no part
                # (r:id=""): nothing to read there, and the rest of the book is fine.
                skipped.append(sheet_name)
                continue
            if rid not in rels:
                raise _damaged(name, f"工作表「{_clean(sheet_name)}」缺少关系定义",
                               f"sheet '{_clean(sheet_name)}' has no relationship")
            rtype, target = rels[rid]
            if not rtype.endswith("/worksheet"):
                continue  # chartsheet, dialogsheet, macro sheet
            member = by_lower.get(target.lower())
            if member is None:
                raise _damaged(name, f"工作表「{_clean(sheet_name)}」对应的「{_clean(target)}」"
                               "不存在", f"the part '{_clean(target)}' of sheet "
                               f"'{_clean(sheet_name)}' is missing")
            sheet_info = zf.getinfo(member)
            if not member.lower().endswith(".xml"):  # not probed above
                _probe_xml(name, _clean(member),
                           _read_member(name, zf, sheet_info, probe, whole=False),
                           sheet_info.file_size <= probe)
            tables = _sheet_tables(name, zf, by_lower, member_key(member))
            sheets.append(SheetPart(sheet_name, member, tuple(t for t, _ in tables), tables,
                                    sheet_info.file_size))
        _check_crcs(name, zf, infos, {s.part for s in sheets})
    return WorkbookInfo(path=p, kind=kind, sheets=tuple(sheets), date1904=date1904,
                        skipped=tuple(skipped), main=main)


def _check_crcs(name: str, zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], sheets: set[str]) -> None:
    """Inflate every XML part not yet read whole and check its CRC-32.

    The parts the readers parse besides worksheets (shared strings, styles, tables,
    relationships) and the drawings, charts and comments every writer copies are XML, and
    small next to the sheets; worksheets are checked by :func:`scan_sheet` as they are read.
    Pictures and other binary parts are checked by the writers, which copy them.
    """
    probe = SAFETY_LIMITS.xml_probe_bytes
    for info in infos:
        if info.is_dir() or info.filename in sheets or info.file_size < probe:
            continue  # smaller parts were read whole, CRC included, by the probe
        if info.filename.lower().endswith((".xml", ".rels", ".vml")):
            for _ in _iter_member(name, zf, info, SAFETY_LIMITS.scan_chunk_bytes):
                pass


def _sheet_tables(
    name: str, zf: zipfile.ZipFile, by_lower: dict[str, str], sheet_member: str
) -> tuple[tuple[str, str], ...]:
    """(name, ref) of the Excel Tables (ListObjects) a sheet's rels point to."""
    names: list[tuple[str, str]] = []
    for _rid, rtype, target in _relationships(name, zf, by_lower, sheet_member):
        if not rtype.endswith("/table"):
            continue
        member = by_lower.get(target.lower())
        if member is None:
            continue  # a dangling table relationship; the sheet itself is still readable
        info = zf.getinfo(member)
        data = _read_member(name, zf, info, SAFETY_LIMITS.max_part_bytes, whole=True)
        _probe_xml(name, _clean(member), data[: SAFETY_LIMITS.xml_probe_bytes], True)
        root = _parse_xml(name, member, data)
        table_name = root.get("displayName") or root.get("name")
        if table_name:
            names.append((table_name, root.get("ref") or ""))
    return tuple(names)


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

_MAX_CARRY = 1 * _MiB
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
        return _damaged(self.name, f"工作表「{self.sheet}」{what_zh}",
                        f"sheet '{self.sheet}' {what_en}")

    def _bad_ref(self, ref: bytes) -> UnreadableWorkbook:
        shown = _clean(ref[:40].decode("utf-8", errors="replace"))
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
    name = _clean(p.name or str(info.path))
    sheet_name = _clean(sheet.name)
    try:
        file_size = p.stat().st_size
    except OSError as exc:
        raise _unreadable(name, exc) from exc
    zf = _open_zip(name, p, file_size)
    with zf:
        try:
            zinfo = zf.getinfo(sheet.part)
        except KeyError as exc:
            raise _damaged(name, f"工作表「{sheet_name}」对应的「{_clean(sheet.part)}」不存在",
                           f"the part '{_clean(sheet.part)}' of sheet '{sheet_name}' is "
                           "missing") from exc
        _check_zip_bomb(name, [zinfo])
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
    chunks = _iter_member(name, zf, zinfo, SAFETY_LIMITS.scan_chunk_bytes)
    return _scan_chunks(name, sheet_name, _clean(zinfo.filename), chunks, zinfo.file_size, mode)


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
            raise _damaged(name, f"工作表「{sheet_name}」中有异常巨大的 XML 标签",
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
    _probe_xml(name, member, probe, size <= len(probe) or len(probe) < SAFETY_LIMITS.xml_probe_bytes)
    declared = _DECLARED_ENCODING.match(probe)
    utf16 = probe.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, b"<\x00", b"\x00<"))
    if utf16 or (declared is not None
                 and not _ASCII_COMPATIBLE.match(declared.group(1).decode("ascii"))):
        raise _fail(
            name,
            f"工作表「{sheet}」的 XML 使用了不支持的字符编码；{_SAVE_AS_ZH}",
            f"sheet '{sheet}' is stored in an unsupported XML character encoding; "
            f"{_SAVE_AS_EN}",
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
        return _fail(
            name,
            f"工作表「{sheet}」的已用区域 {ref} 大得不合理（文件只有 {_size_text(file_size)}，"
            f"却跨 {area:,} 个单元格），{fix_zh}",
            f"sheet '{sheet}' has an absurd used range {ref} (the file is only "
            f"{_size_text(file_size)} but the range spans {area:,} cells); {fix_en}",
        )
    return _fail(
        name,
        f"工作表「{sheet}」的已用区域 {ref} 大得不合理（共 {area:,} 个单元格，上限 "
        f"{limits.max_cells:,}），{fix_zh}",
        f"sheet '{sheet}' has an absurd used range {ref} ({area:,} cells; the limit is "
        f"{limits.max_cells:,}); {fix_en}",
    )
