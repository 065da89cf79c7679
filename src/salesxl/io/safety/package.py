"""The package-level checks: sniffing the format, the zip, bounded inflating, XML probing, what a workbook is.

Looks at a file's raw bytes, never its extension: renamed CSV/HTML/.xls/.xlsb files and
password-protected (OLE) workbooks are named; the zip central directory is checked against
:data:`~salesxl.io.safety.limits.SAFETY_LIMITS` (member count, zip bombs); a member is inflated
in bounded pieces with its CRC-32 checked (:func:`iter_member`, :func:`read_member`, with
Intel ISA-L when installed); XML parts are probed for DTDs and entities and parsed with
defusedxml; and :func:`workbook_part` decides what a workbook is (the target of
``_rels/.rels``; Strict Open XML named) for the reader and every writer alike.
"""

from __future__ import annotations

import codecs
import posixpath
import re
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
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO, Literal
from urllib.parse import unquote
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
import olefile
from defusedxml import DefusedXmlException

from salesxl.errors import UnreadableWorkbook
from salesxl.io.safety.limits import (
    SAFETY_LIMITS,
    SAVE_AS_EN,
    SAVE_AS_ZH,
    KiB,
    MiB,
    clean_text,
    damaged_file,
    size_text,
    unreadable_file,
    unreadable_os_error,
)

# --------------------------------------------------------------------------------------------
# Sniffing
# --------------------------------------------------------------------------------------------

ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
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
SNIFF_BYTES = 8 * KiB


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


def reject_non_zip(name: str, path: Path, head: bytes) -> UnreadableWorkbook:
    """Explain what a file that is not a zip archive actually is."""
    if head.startswith(_OLE_MAGIC):
        return _ole_problem(name, path)
    for magic, zh, en in _OTHER_MAGICS:
        if head.startswith(magic):
            return unreadable_file(name, f"是{zh}，不是 Excel 工作簿", f"it is {en}, not an Excel workbook")
    text = _text_head(head)
    if text.startswith("<"):
        if "urn:schemas-microsoft-com:office:spreadsheet" in text or "excel.sheet" in text:
            return unreadable_file(
                name,
                f"是 Excel 2003 XML 表格（SpreadsheetML），不是 .xlsx；{SAVE_AS_ZH}",
                f"it is an Excel 2003 XML spreadsheet (SpreadsheetML), not .xlsx; {SAVE_AS_EN}",
            )
        if any(tag in text for tag in ("<html", "<!doctype html", "<table", "<head", "<body")):
            return unreadable_file(
                name,
                f"是网页（HTML）文件，不是 .xlsx 工作簿（常见于系统导出的“假 Excel”）；{SAVE_AS_ZH}",
                "it is an HTML (web page) file, not an .xlsx workbook (often what a system "
                f"'exports to Excel'); {SAVE_AS_EN}",
            )
        if text.startswith("<?xml"):
            return unreadable_file(
                name,
                "是 XML 文件，不是 .xlsx 工作簿",
                "it is an XML file, not an .xlsx workbook",
            )
    if _decodes_as_text(head):
        return unreadable_file(
            name,
            "是文本/CSV 文件，不是 Excel 工作簿；请用 Excel 打开后另存为 .xlsx 再试",
            f"it is a text/CSV file, not a workbook; {SAVE_AS_EN}",
        )
    return unreadable_file(
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
        return damaged_file(name, "Office 97-2003 复合文件结构无法解析", "its OLE compound file cannot be read")
    if "encryptedpackage" in streams or "encryptioninfo" in streams:
        return unreadable_file(
            name,
            "工作簿已加密/设置了打开密码；请在 Excel 中打开，"
            "在“文件 → 信息 → 保护工作簿 → 用密码进行加密”中清空密码，保存后重试",
            "the workbook is password-protected (encrypted); open it in Excel, clear the "
            "password under File > Info > Protect Workbook > Encrypt with Password, save and "
            "try again",
        )
    if "worddocument" in streams:
        return unreadable_file(
            name, "是 Word 97-2003 文档（.doc），不是 Excel 工作簿",
            "it is a Word 97-2003 document (.doc), not an Excel workbook",
        )
    if "powerpoint document" in streams:
        return unreadable_file(
            name, "是 PowerPoint 97-2003 演示文稿（.ppt），不是 Excel 工作簿",
            "it is a PowerPoint 97-2003 presentation (.ppt), not an Excel workbook",
        )
    return unreadable_file(
        name,
        f"是 Excel 97-2003 格式（.xls）的文件，不支持；{SAVE_AS_ZH}",
        f"it is an Excel 97-2003 .xls file, which is not supported; {SAVE_AS_EN}",
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


def open_zip(name: str, path: Path, file_size: int) -> zipfile.ZipFile:
    limits = SAFETY_LIMITS
    try:
        with path.open("rb") as fh:
            shape = _central_directory_shape(fh, file_size)
    except OSError as exc:
        raise unreadable_os_error(name, exc) from exc
    if shape is not None:
        entries, cd_size = shape
        if entries > limits.max_members:
            raise _too_many_members(name, entries)
        if cd_size > limits.max_central_directory_bytes:
            raise unreadable_file(
                name,
                f"压缩包目录有 {size_text(cd_size)}，不像正常的工作簿，已拒绝读取",
                f"the zip central directory is {size_text(cd_size)}; that is not a normal "
                "workbook, refused",
            )
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, struct.error,
            NotImplementedError) as exc:
        raise damaged_file(name, "压缩包结构不完整，可能在下载或传输时被截断", "its zip structure is "
                       "incomplete or corrupt, perhaps truncated in transfer") from exc
    except OSError as exc:
        raise unreadable_os_error(name, exc) from exc
    return zf


def _too_many_members(name: str, count: int) -> UnreadableWorkbook:
    limit = SAFETY_LIMITS.max_members
    return unreadable_file(
        name,
        f"压缩包内有 {count:,} 个条目，超过上限 {limit:,}，不像正常的工作簿，已拒绝读取",
        f"the archive has {count:,} entries (limit {limit:,}); that is not a normal "
        "workbook, refused",
    )


def check_zip_bomb(name: str, infos: list[zipfile.ZipInfo]) -> None:
    """Judge every member by its central directory entry, before anything is inflated."""
    limits = SAFETY_LIMITS
    if len(infos) > limits.max_members:
        raise _too_many_members(name, len(infos))
    total = 0
    seen: set[str] = set()
    for info in infos:
        member = clean_text(info.filename)
        key = info.filename.replace("\\", "/").lower()
        if key in seen:
            # zipfile keeps the last entry of a name, other readers the first: two different
            # parts could be checked and parsed.  OPC forbids it anyway.
            raise damaged_file(name, f"压缩包中「{member}」出现了两次", f"zip member '{member}' "
                           "appears twice")
        seen.add(key)
        if info.flag_bits & 0x1:
            raise unreadable_file(
                name,
                "压缩包条目被 zip 密码加密（这不是 Excel 的加密方式），无法读取",
                "its zip entries are zip-password encrypted (not Excel's own encryption) and "
                "cannot be read",
            )
        size = info.file_size
        total += size
        if size > limits.max_member_bytes:
            raise _bomb(name, f"压缩包中「{member}」声明解压后有 {size_text(size)}，超过单项上限 "
                        f"{size_text(limits.max_member_bytes)}",
                        f"zip member '{member}' declares {size_text(size)} uncompressed, over "
                        f"the {size_text(limits.max_member_bytes)} limit per member")
        ratio = size / max(info.compress_size, 1)
        if size > limits.ratio_min_bytes and ratio > limits.max_ratio:
            raise _bomb(name, f"压缩包中「{member}」压缩比高达 {ratio:,.0f}:1（解压后 "
                        f"{size_text(size)}），正常表格在 5–20:1 左右",
                        f"zip member '{member}' has a compression ratio of {ratio:,.0f}:1 "
                        f"({size_text(size)} uncompressed); real sheets compress 5-20:1")
    if total > limits.max_total_bytes:
        raise _bomb(name, f"所有条目解压后共 {size_text(total)}，超过上限 "
                    f"{size_text(limits.max_total_bytes)}",
                    f"all members together declare {size_text(total)} uncompressed, over "
                    f"the {size_text(limits.max_total_bytes)} limit")


def _bomb(name: str, zh: str, en: str) -> UnreadableWorkbook:
    return unreadable_file(
        name,
        f"疑似“压缩炸弹”：{zh}；已拒绝读取",
        f"this looks like a zip bomb: {en}; refused",
    )


def _classify_zip(name: str, members: Mapping[str, str], read: Callable[[str], bytes]
                  ) -> UnreadableWorkbook:
    """A zip that has no spreadsheet workbook part: say which format it is instead."""
    by_lower = members
    if any(key.endswith("workbook.bin") for key in by_lower):
        return unreadable_file(
            name,
            f"是 Excel 二进制工作簿（.xlsb），不支持；{SAVE_AS_ZH}",
            f"it is an Excel binary workbook (.xlsb), which is not supported; {SAVE_AS_EN}",
        )
    if "mimetype" in by_lower:
        try:
            mimetype = read(by_lower["mimetype"])[:256]
        except (UnreadableWorkbook, KeyError):
            mimetype = b""
        if b"opendocument" in mimetype.lower():
            if b"spreadsheet" in mimetype.lower():
                return unreadable_file(
                    name,
                    f"是 OpenDocument 表格（.ods，WPS/LibreOffice 格式），不支持；{SAVE_AS_ZH}",
                    "it is an OpenDocument spreadsheet (.ods), which is not supported; "
                    "save it as .xlsx and try again",
                )
            return unreadable_file(
                name,
                "是 OpenDocument 文档（.odt/.odp），不是 Excel 工作簿",
                "it is an OpenDocument document (.odt/.odp), not an Excel workbook",
            )
    if any(key.startswith("word/") for key in by_lower):
        return unreadable_file(name, "是 Word 文档（.docx），不是 Excel 工作簿",
                    "it is a Word document (.docx), not an Excel workbook")
    if any(key.startswith("ppt/") for key in by_lower):
        return unreadable_file(name, "是 PowerPoint 演示文稿（.pptx），不是 Excel 工作簿",
                    "it is a PowerPoint presentation (.pptx), not an Excel workbook")
    if "_rels/.rels" not in by_lower and any(k.endswith("workbook.xml") for k in by_lower):
        return damaged_file(name, "缺少包关系部件 _rels/.rels", "the package relationships part "
                        "_rels/.rels is missing")
    return unreadable_file(
        name,
        "是 zip 压缩包，但不是 Excel 工作簿（找不到工作簿部件）",
        "it is a zip archive but not an Excel workbook (it has no workbook part)",
    )


# --------------------------------------------------------------------------------------------
# Inflating one member, bounded
# --------------------------------------------------------------------------------------------

_READ_BYTES = 128 * KiB  # small input reads: fewer unconsumed_tail copies


def iter_member(
    name: str, zf: zipfile.ZipFile, info: zipfile.ZipInfo, chunk: int
) -> Iterator[bytes]:
    """Inflate one member in pieces of at most ``chunk`` bytes, never past its declared size.

    zipfile silently truncates at the declared size; here a stream that keeps going is an
    error, because another reader (calamine's zip crate) might inflate all of it.  Only
    stored and deflated members exist in real workbooks; anything else is refused.  A member
    read to its end must match its CRC-32: calamine does not check it, so a damaged part
    (a flipped bit in a fuzzed file) would otherwise be read as if it were what was saved.
    """
    member = clean_text(info.filename)
    declared = info.file_size
    limit = min(declared, SAFETY_LIMITS.max_member_bytes)
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise damaged_file(name, f"「{member}」使用了不支持的压缩方式 {info.compress_type}",
                       f"member '{member}' uses unsupported compression method "
                       f"{info.compress_type}")
    fp = zf.fp
    if fp is None:  # pragma: no cover - the archive is open for the whole call
        raise damaged_file(name, "压缩包已关闭", "the archive is closed")
    try:
        fp.seek(info.header_offset)
        header = fp.read(30)
        if len(header) != 30 or header[:4] != b"PK\x03\x04":
            raise damaged_file(name, f"「{member}」的文件头无效", f"bad local header for '{member}'")
        method, = struct.unpack("<H", header[8:10])
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        if method != info.compress_type:
            raise damaged_file(name, f"「{member}」的压缩方式前后不一致",
                           f"member '{member}' has inconsistent compression methods")
        fp.seek(info.header_offset + 30 + name_len + extra_len)
        remaining = info.compress_size
        produced = 0
        crc = 0
        if info.compress_type == zipfile.ZIP_STORED:
            if info.compress_size != declared:
                raise damaged_file(name, f"「{member}」的大小前后不一致",
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
        raise damaged_file(name, f"「{member}」的压缩数据无法解开", f"the compressed data of "
                       f"'{member}' is invalid") from exc
    except OSError as exc:
        raise damaged_file(name, f"读取「{member}」时出错", f"reading '{member}' failed") from exc
    if not inflater.eof:
        raise _truncated(name, member)
    if produced != declared:
        raise _lying_size(name, member, declared)


def bad_crc(name: str, member: str) -> UnreadableWorkbook:
    """The refusal of a file one of whose parts fails its CRC-32 (readers and writers alike)."""
    member = clean_text(member)
    return damaged_file(name, f"「{member}」的 CRC-32 校验值不符，数据已损坏", f"part '{member}' "
                    "fails its CRC-32 check; its data is corrupt")


def _truncated(name: str, member: str) -> UnreadableWorkbook:
    return damaged_file(name, f"「{member}」的数据不完整，文件可能被截断", f"the data of '{member}' "
                    "is incomplete; the file may be truncated")


def _lying_size(name: str, member: str, declared: int) -> UnreadableWorkbook:
    return unreadable_file(
        name,
        f"压缩包中「{member}」解压后的大小与声明的 {declared:,} 字节不符，文件已损坏或被篡改，"
        "已拒绝读取",
        f"zip member '{member}' does not inflate to its declared {declared:,} bytes; the file "
        "is damaged or has been tampered with, refused",
    )


def read_member(
    name: str, zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, *, whole: bool
) -> bytes:
    """The first ``limit`` bytes of a member, or (``whole``) all of it, refusing bigger ones."""
    if whole and info.file_size > limit:
        member = clean_text(info.filename)
        raise unreadable_file(
            name,
            f"「{member}」有 {size_text(info.file_size)}，超过上限 {size_text(limit)}，"
            "不像正常的工作簿",
            f"part '{member}' is {size_text(info.file_size)}, over the "
            f"{size_text(limit)} limit; that is not a normal workbook",
        )
    parts: list[bytes] = []
    got = 0
    for data in iter_member(name, zf, info, min(limit, 4 * MiB)):
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
DECLARED_ENCODING = re.compile(rb"""\A<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
ASCII_COMPATIBLE = re.compile(r"(?i)^(utf-?8|us-ascii|ascii|iso-?8859-\d+|latin-?1|"
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


def probe_xml(name: str, member: str, head: bytes, whole_member: bool) -> None:
    """Refuse DTDs (billion laughs, XXE) by looking only at the first bytes of a part.

    A DTD can only sit in the prolog, before the root element.  So besides searching the
    window for ``<!DOCTYPE``/``<!ENTITY`` we insist that the root element starts inside it:
    a prolog padded past the window with comments is refused rather than inflated further.
    """
    text = _xml_head_text(head)
    lowered = text.lower()
    if b"<!doctype" in lowered or b"<!entity" in lowered:
        raise unreadable_file(
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
        raise unreadable_file(
            name,
            f"「{member}」的 XML 开头异常（前 {len(head) // KiB} KB 内没有根元素），已拒绝读取",
            f"part '{member}' has an abnormal XML prolog (no root element within the first "
            f"{len(head) // KiB} KB); refused",
        )


def parse_xml(name: str, member: str, data: bytes) -> Element:
    try:
        return SafeET.fromstring(data, forbid_dtd=True)
    except (DefusedXmlException, ParseError, ValueError) as exc:
        raise damaged_file(name, f"「{member}」不是有效的 XML", f"part '{member}' is not valid XML") from exc


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def xml_attr(elem: Element, local_name: str, ns_suffix: str | None = None) -> str | None:
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


def relationships(
    name: str, zf: zipfile.ZipFile, by_lower: dict[str, str], part: str
) -> list[tuple[str, str, str]]:
    """(Id, Type, resolved member) of the internal relationships of ``part``."""
    rels_member = by_lower.get(_rels_part(part).lower())
    if rels_member is None:
        return []
    root = parse_xml(
        name, rels_member,
        read_member(name, zf, zf.getinfo(rels_member), SAFETY_LIMITS.max_part_bytes, whole=True),
    )
    out = []
    for rel in root.iter():
        if local_name(rel.tag) != "Relationship":
            continue
        if (rel.get("TargetMode") or "").lower() == "external":
            continue
        rid, rtype, target = rel.get("Id"), rel.get("Type"), rel.get("Target")
        if rid and rtype and target:
            out.append((rid, rtype, _resolve_target(part, target)))
    return out


def workbook_kind(name: str, zf: zipfile.ZipFile, by_lower: dict[str, str], main: str
                   ) -> Literal["xlsx", "xlsm"]:
    """xlsm when the main part's content type is macro-enabled; the extension is ignored."""
    ct_member = by_lower.get("[content_types].xml")
    if ct_member is None:
        # Excel would refuse it; calamine does not need it.  Judge by the VBA project.
        return "xlsm" if "xl/vbaproject.bin" in by_lower else "xlsx"
    root = parse_xml(
        name, ct_member,
        read_member(name, zf, zf.getinfo(ct_member), SAFETY_LIMITS.max_part_bytes, whole=True),
    )
    content_type = None
    default_xml = None
    for elem in root.iter():
        tag = local_name(elem.tag)
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
    root = parse_xml(name, clean_text(rels), read(rels))
    if local_name(root.tag) != "Relationships":
        raise damaged_file(name, "_rels/.rels 不是关系部件", "_rels/.rels is not a relationships part")
    target = None
    for rel in root.iter():
        rtype = rel.get("Type") or ""
        if local_name(rel.tag) != "Relationship" or not rtype.endswith("/officeDocument"):
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
        raise damaged_file(name, f"工作簿部件「{clean_text(target)}」不存在", f"the workbook part "
                       f"'{clean_text(target)}' is missing")
    data = read(member)
    if _STRICT_ROOT.search(_xml_head_text(data[:4096])):
        raise _strict(name)
    return member, data


def _strict(name: str) -> UnreadableWorkbook:
    return unreadable_file(
        name,
        "是 Strict Open XML 格式的工作簿，暂不支持；请在 Excel 中“另存为”普通的 Excel 工作簿（.xlsx）后重试",
        "it is a Strict Open XML workbook, which is not supported; save it in Excel as a "
        "regular Excel Workbook (.xlsx) and try again",
    )
