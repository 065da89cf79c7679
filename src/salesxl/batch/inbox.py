"""The inbox and the files around the master: what to read, what to leave alone, who holds a lock.

Three things a batch must never get wrong about files it did not write:

* **Owner files.**  Excel and WPS put ``~$name`` beside an open workbook (``~$`` replacing the
  name's first two characters when the name is long), LibreOffice ``.~lock.name#``.  The
  inbox scan skips them (they are not workbooks), and a master with one is not written.  Excel's
  owner file holds who opened it (a length-prefixed ANSI name at byte 0, the UTF-16 name at byte
  54), LibreOffice's a CSV line ``full name,user,host,time,url``; :func:`owner_of` reads both so
  the batch can say *who* has the master open.
* **Our own leftovers.**  An atomic write goes through ``.<stem>.XXXXXXXX.tmp`` in the target's
  folder (:func:`salesxl.io.marking._write_atomically`); a killed process leaves one behind.
  The scan skips them, and :func:`remove_stale_temps` clears those of the master and of the
  output folder — only while holding the batch lock, so never under a running batch.
* **Content, not names.**  Each file is known by its SHA-256 (:func:`sha256_of`): the master's
  批处理记录 lists the hashes already applied, so a file renamed, copied or dropped in twice is
  still applied once.

:func:`batch_lock` keeps two batches off one master at the same time (``fcntl.flock`` on a
hidden lock file beside it; the kernel releases it when the process dies, even by SIGKILL).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from salesxl.errors import BadArguments
from salesxl.io.marking import _lock_files

try:  # POSIX; on Windows two batches on one master are not prevented (documented)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

#: A temporary file of an atomic write: ``.<stem>.<8 random characters>[.xlsx].tmp``.
_TEMP_RE = re.compile(r"^\..+\.[A-Za-z0-9_]{8}(?:\.[A-Za-z]{3,4})?\.tmp$")
_BACKUP_MARK = ".备份-"


@dataclass(frozen=True)
class Owner:
    """Who holds a workbook open, as its owner (lock) file says."""

    lock_file: Path
    program: str
    """``Excel/WPS`` or ``LibreOffice``."""
    user: str | None
    host: str | None = None

    def describe(self, lang: str = "zh") -> str:
        """``张伟（Excel/WPS，锁文件 ~$销售管理.xlsx）`` — for one-line messages."""
        who = self.user or ("未知用户" if lang != "en" else "an unknown user")
        where = f"@{self.host}" if self.host else ""
        if lang == "en":
            return f"{who}{where} ({self.program}, owner file {self.lock_file.name})"
        return f"{who}{where}（{self.program}，锁文件 {self.lock_file.name}）"


def owner_files(path: Path) -> list[Path]:
    """Every owner-file name Excel, WPS or LibreOffice may create for ``path``."""
    names = list(_lock_files(path))
    if len(path.name) > 2:
        names.append(path.with_name("~$" + path.name[2:]))
    return list(dict.fromkeys(names))


def owner_of(path: Path) -> Owner | None:
    """The owner of ``path`` when one of its owner files exists, else None."""
    for lock in owner_files(path):
        try:
            data = lock.read_bytes()[:4096]
        except FileNotFoundError:
            continue
        except OSError:
            data = b""
        if lock.name.startswith(".~lock."):
            return _libreoffice_owner(lock, data)
        return Owner(lock, "Excel/WPS", _excel_user(data))
    return None


def _excel_user(data: bytes) -> str | None:
    """The user name in an Excel/WPS ``~$`` owner file: UTF-16 at byte 54 when present, else the
    length-prefixed ANSI name at byte 0 (GBK on Chinese Windows)."""
    if len(data) >= 56:
        n = int.from_bytes(data[54:56], "little")
        if 0 < n <= 255 and len(data) >= 56 + 2 * n:
            with contextlib.suppress(UnicodeDecodeError):
                name = data[56: 56 + 2 * n].decode("utf-16-le").strip("\x00 ")
                if name:
                    return name
    if data:
        n = data[0]
        raw = data[1: 1 + n]
        for encoding in ("utf-8", "gbk"):
            with contextlib.suppress(UnicodeDecodeError):
                name = raw.decode(encoding).strip("\x00 ")
                return name or None
    return None


def _libreoffice_owner(lock: Path, data: bytes) -> Owner:
    text = data.decode("utf-8", "replace").strip().rstrip(";")
    fields = [f.strip() for f in text.split(",")]
    user = next((f for f in fields[:2] if f), None)
    host = fields[2] if len(fields) > 2 and fields[2] else None
    return Owner(lock, "LibreOffice", user, host)


def sha256_of(path: Path) -> str:
    """The file's SHA-256, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fp:
        while chunk := fp.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


@dataclass(frozen=True)
class Ignored:
    """A file in the inbox that is not read, and why (zh, en)."""

    path: Path
    zh: str
    en: str

    def reason(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh


def is_temp(name: str) -> bool:
    """Whether ``name`` is the temporary file of an atomic write."""
    return bool(_TEMP_RE.match(name))


def scan_inbox(inbox: Path, *, master: Path, out: Path | None = None) -> tuple[list[Path], list[Ignored]]:
    """The files of ``inbox`` to read (sorted by name) and those left alone with the reason.

    Every regular file is read (a wrong format is then *reported* by the reader), except owner
    files, temporary files, other hidden files, folders, the master itself and its backups.
    """
    if not inbox.is_dir():
        raise BadArguments(f"收件文件夹不存在：{inbox}", f"Inbox folder not found: {inbox}")
    todo: list[Path] = []
    ignored: list[Ignored] = []
    master_r = master.resolve()
    out_r = out.resolve() if out is not None else None
    for path in sorted(inbox.iterdir(), key=lambda p: p.name):
        name = path.name
        if path.is_dir():
            if out_r is None or path.resolve() != out_r:
                ignored.append(Ignored(path, "文件夹，不读取", "a folder, not read"))
            continue
        if not path.is_file():
            continue
        if name.startswith("~$") or (name.startswith(".~lock.") and name.endswith("#")):
            ignored.append(Ignored(path, "Excel/WPS/LibreOffice 的锁文件（有人正打开对应的工作簿）",
                                   "an Excel/WPS/LibreOffice owner file (someone has the workbook open)"))
        elif is_temp(name):
            ignored.append(Ignored(path, "salesxl 写文件时的临时文件", "a salesxl temporary file"))
        elif name.startswith("."):
            ignored.append(Ignored(path, "隐藏文件", "a hidden file"))
        elif path.resolve() == master_r:
            ignored.append(Ignored(path, "这是母版本身", "this is the master itself"))
        elif name.startswith(master.stem + _BACKUP_MARK):
            ignored.append(Ignored(path, "母版的备份", "a backup of the master"))
        else:
            todo.append(path)
    return todo, ignored


def remove_stale_temps(*folders_and_stems: tuple[Path, str | None]) -> list[Path]:
    """Delete leftover temp files of atomic writes: in each ``(folder, stem)``, those of the
    file ``stem`` (``None``: every salesxl temp file in the folder).  Call under the batch lock."""
    removed = []
    for folder, stem in folders_and_stems:
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            name = path.name
            if not is_temp(name) or (stem is not None and not name.startswith(f".{stem}.")):
                continue
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    return removed


@contextlib.contextmanager
def batch_lock(master: Path) -> Iterator[Path]:
    """Hold the batch lock of ``master`` (a hidden ``.<name>.salesxl-batch.lock`` beside it).

    Raises :class:`BadArguments` when another batch holds it.  The file stays (removing a
    flock'ed file races with the next taker); the kernel drops the lock when the process ends.
    """
    lock = master.with_name(f".{master.name}.salesxl-batch.lock")
    if fcntl is None:  # pragma: no cover - Windows
        yield lock
        return
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise BadArguments(
                f"另一个批处理正在处理母版 {master.name}，请等它结束后再运行",
                f"Another batch is running on {master.name}; wait for it to finish",
            ) from None
        yield lock
    finally:
        os.close(fd)
