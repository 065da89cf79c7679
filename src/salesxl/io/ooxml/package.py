"""The zip package of a workbook: members read lazily and written back.

Owns :class:`Package` (an .xlsx/.xlsm opened as a zip: members read whole or streamed, with
their CRCs checked; untouched members copied back raw, changed ones deflated anew), the
streaming deflate sink :class:`DeflateSink` (ISA-L when installed, zlib otherwise: the same raw
DEFLATE format), the inflating reader and the zip writer.  It knows nothing of sheets or
styles: those are :mod:`salesxl.io.ooxml.sheet` and :mod:`salesxl.io.ooxml.styles`.
"""

from __future__ import annotations

import struct
import sys
import tempfile
import types
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, cast

from salesxl.errors import SalesxlError, UnreadableWorkbook
from salesxl.io.safety import bad_crc, member_key

__all__ = [
    "CHUNK", "DeflateSink", "Package", "inflate_lib",
]

CHUNK = 1 << 20
_SMALL_PART_LIMIT = 512 << 20  # parts read whole (styles, comments, rels…); sheets are streamed
_NEW_ENTRY_TIME = (1980, 1, 1, 0, 0, 0)
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
inflate_lib = _deflate_lib


class DeflateSink:
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

    def finish(self) -> DeflateSink:
        if self._buf:
            self.tmp.write(self._co.compress(bytes(self._buf)))
            self._buf.clear()
        self.tmp.write(self._co.flush())
        self.csize = self.tmp.tell()
        return self

    def chunks(self) -> Iterator[bytes]:
        self.tmp.seek(0)
        while chunk := self.tmp.read(CHUNK):
            yield chunk

    def close(self) -> None:
        self.tmp.close()


class Package:
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
        self.streamed: dict[str, DeflateSink] = {}
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
                        while member.read(CHUNK):
                            pass
                else:
                    with self.zf.open(info) as member:
                        while member.read(CHUNK):
                            pass
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
                raise bad_crc(self.path.name, info.filename) from exc

    def __enter__(self) -> Package:
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

    def put_stream(self, name: str, sink: DeflateSink) -> None:
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
        self.inflater = inflate_lib.decompressobj(-15)
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
        except inflate_lib.error as exc:
            raise zlib.error(str(exc)) from exc
        self.crc = inflate_lib.crc32(data, self.crc)
        self.size += len(data)
        if self.done:
            self.crc = inflate_lib.crc32(self.rest, self.crc)
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
        chunk = fp.read(min(left, CHUNK))
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

