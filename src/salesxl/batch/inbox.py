"""The inbox and the files around the master: what to read, what to leave alone, who holds a lock.

Three things a batch must never get wrong about files it did not write:

* **Owner files.**  Excel and WPS put ``~$name`` beside an open workbook (``~$`` replacing the
  name's first two characters when the name is long), LibreOffice ``.~lock.name#``.  The
  inbox scan skips them (they are not workbooks), and a master with one is not written.  Excel's
  owner file holds who opened it (a length-prefixed ANSI name at byte 0, the UTF-16 name at byte
  54), LibreOffice's a CSV line ``full name,user,host,time,url``; :func:`owner_of` (the one
  reader, :mod:`salesxl.io.files`, shared with every command) reads both so the batch can say
  *who* has the master open.
* **Our own leftovers.**  An atomic write goes through ``.<stem>.XXXXXXXX.tmp`` in the target's
  folder (:func:`salesxl.io.files.atomic_write`); a killed process leaves one behind.
  The scan skips them, and :func:`remove_stale_temps` clears those of the master and of the
  output folder — only while holding the batch lock, so never under a running batch.
* **Content, not names.**  Each file is known by its SHA-256 (:func:`sha256_of`): the master's
  批处理记录 lists the hashes already applied, so a file renamed, copied or dropped in twice is
  still applied once.

:func:`batch_lock` keeps two batches off one master at the same time (an OS lock on a hidden
file beside it, the lock library :func:`salesxl.io.files.book_lock` uses; the kernel releases it
when the process dies, even by SIGKILL).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from salesxl.errors import BadArguments
from salesxl.io.files import Owner, is_temp, owner_files, owner_of, sha256_of

__all__ = [
    "Ignored", "Owner", "batch_lock", "is_temp", "owner_files", "owner_of", "remove_stale_temps", "scan_inbox",
    "sha256_of",
]

_BACKUP_MARK = ".备份-"


@dataclass(frozen=True)
class Ignored:
    """A file in the inbox that is not read, and why (zh, en)."""

    path: Path
    zh: str
    en: str

    def reason(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh


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

    Raises :class:`BadArguments` at once when another batch holds it.  The same lock library
    and settings as :func:`salesxl.io.files.book_lock` (an OS lock the kernel drops when the
    process dies, even by SIGKILL; no soft fallback a killed run would leave behind; POSIX and
    Windows), but not that lock itself, for three reasons:

    * a second batch must be refused at once (it would apply the same inbox again), while
      ``book_lock`` waits up to ten minutes for a short write to finish;
    * a batch holds its lock for minutes across reading every inbox file; holding ``book_lock``
      that long would make every other command writing the master wait, then fail, although
      the batch only touches the master in its last step (which does take ``book_lock``);
    * ``book_lock`` fingerprints the master when taken; the batch's own write takes it then.

    Where no lock file can be made (read-only folder) the batch runs without one, as
    ``book_lock`` does; the file otherwise stays (removing a locked file races with the next taker).
    """
    lock = master.with_name(f".{master.name}.salesxl-batch.lock")
    held: FileLock | None = FileLock(lock, timeout=0, is_singleton=False, fallback_to_soft=False)
    try:
        assert held is not None
        held.acquire()
    except Timeout:
        raise BadArguments(
            f"另一个批处理正在处理母版 {master.name}，请等它结束后再运行",
            f"Another batch is running on {master.name}; wait for it to finish",
        ) from None
    except OSError:
        held = None
    try:
        yield lock
    finally:
        if held is not None:
            held.release()
