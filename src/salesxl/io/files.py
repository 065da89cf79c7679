"""Safe file writing: how every file salesxl writes reaches the disk, and who else holds a book.

A sales office keeps a year's work in one workbook, so a write must never lose anything: not
the book (a crash, a full disk, a kill at any moment), not another command's result written at
the same time, not a file the user happened to name as the output.  Everything salesxl writes
— marked workbooks, result sheets, the 月报, statements, templates, the office ``.xlsm``, route
maps, the batch's master, feedback and report — goes through this module:

* :func:`atomic_write` — the one way to write a file: a temporary ``.<name>.XXXXXXXX.tmp``
  beside the target, flushed and fsync'ed, renamed over the target (atomic on POSIX and NTFS),
  then the folder fsync'ed so the rename itself survives a power cut.  The target keeps its
  permissions; a new file gets the user's normal mode (``0666 & ~umask``, e.g. ``0644``), not
  ``mkstemp``'s private ``0600`` that a colleague on a shared folder could not open.  On any
  failure the temporary file is removed: nothing truncated is left behind.
* :func:`book_lock` — a cross-platform lock (the ``filelock`` package: ``flock`` on POSIX,
  ``LockFileEx`` on Windows, where the office works) on a workbook, held from the moment a
  command reads it until its result has replaced it, so two commands writing one book are
  serialised and both results end up in it.  It records the book's fingerprint (size,
  ``mtime_ns``, CRC-32 of every byte) when taken; :meth:`BookLock.check_unchanged` refuses to replace a
  book some other program (which knows nothing of our lock) saved meanwhile.
* :func:`backup` — ``BOOK.备份-YYYYmmdd-HHMMSS.xlsx``, itself written to a temporary name and
  renamed only when complete, so a full disk or a kill never leaves a short backup that looks
  whole; :func:`remove_stale_temps` clears what a killed run left, under the book's lock.
* :func:`owner_of` — the one reader of Excel/WPS (``~$BOOK.xlsx``) and LibreOffice
  (``.~lock.BOOK.xlsx#``) owner files, naming the person who has the book open.
* :func:`write_error` — a failed write as one line the user can act on: disk full, permission
  denied and read-only folder each have their own (Chinese, or English).
* :func:`resolve_out` — what ``--out`` may name: never the book itself, never an existing file
  without ``force`` (and then with a backup), a folder gets a sensibly named file inside it.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import shutil
import signal
import stat
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO

from filelock import FileLock, Timeout

try:  # ISA-L's CRC-32: the same checksum as zlib's, several times faster
    from isal.isal_zlib import crc32 as _crc32
except ImportError:  # pragma: no cover - isal has wheels for the usual platforms
    from zlib import crc32 as _crc32

from salesxl.errors import BadArguments, SalesxlError, UnreadableWorkbook, WriteFailed

__all__ = [
    "BookLock",
    "Owner",
    "atomic_write",
    "backup",
    "book_lock",
    "fsync_dir",
    "new_file_mode",
    "new_file_target",
    "replace_all",
    "write_lock",
    "owner_files",
    "owner_of",
    "real_path",
    "refuse_open",
    "remove_stale_temps",
    "replace_existing",
    "resolve_out",
    "sha256_of",
    "write_error",
]

_CHUNK = 1 << 20
#: How long a command waits for another salesxl command writing the same book.
LOCK_TIMEOUT = 600.0
#: Test hook: ``SALESXL_TEST_STOP=replace`` stops the process (SIGSTOP) once its temporary
#: file is complete, just before the rename; ``=backup`` halfway through copying the backup.
#: The tests use it to make races and kills deterministic; it is inert on Windows.
STOP_ENV = "SALESXL_TEST_STOP"
BACKUP_MARK = ".备份-"


def _test_stop(point: str) -> None:
    if os.environ.get(STOP_ENV) == point and hasattr(signal, "SIGSTOP"):
        os.kill(os.getpid(), signal.SIGSTOP)


# --------------------------------------------------------------------------------------------
# Errors


def write_error(exc: OSError, path: Path) -> WriteFailed:
    """``exc`` (raised writing ``path``) as one line: disk full, no permission, read-only
    folder each get their own, anything else names the system's reason."""
    code = exc.errno
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return WriteFailed(
            f"磁盘空间不足，无法写入 {path}；原有文件未改动，请腾出空间后重试",
            f"Disk full: cannot write {path}; existing files are unchanged — free some space and try again",
        )
    if code == errno.EROFS:
        return WriteFailed(
            f"{path.parent} 在只读的磁盘或共享上，无法写入 {path.name}；请换一个输出位置",
            f"Read-only file system: cannot write {path.name} in {path.parent}; choose another place",
        )
    if code in (errno.EACCES, errno.EPERM):
        return WriteFailed(
            f"没有写入权限，无法写入 {path}；请检查文件夹的权限或换一个输出位置（文件是否在其他程序中打开？）",
            f"Permission denied: cannot write {path}; check the folder's permissions or choose another place "
            "(is the file open in another program?)",
        )
    reason = exc.strerror or str(exc)
    return WriteFailed(f"无法写入 {path}：{reason}", f"Cannot write {path}: {reason}")


# --------------------------------------------------------------------------------------------
# Modes, paths, fsync


_umask_lock = threading.Lock()


def new_file_mode() -> int:
    """The mode a file the user creates gets (``0666 & ~umask``, e.g. ``0644``)."""
    with _umask_lock:  # reading the umask means setting it: keep other threads out meanwhile
        umask = os.umask(0o022)
        os.umask(umask)
    return 0o666 & ~umask


def real_path(path: str | os.PathLike[str]) -> Path:
    """``path`` with symbolic links resolved: a write through a link writes the real file
    (the link stays a link) and finds the lock and owner files beside the real book."""
    return Path(os.path.realpath(path))


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX; Windows has no directory handles to sync)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _fsync_file(fp: IO[bytes]) -> None:
    fp.flush()
    os.fsync(fp.fileno())


# --------------------------------------------------------------------------------------------
# The one atomic write


@contextlib.contextmanager
def atomic_write(
    target: str | os.PathLike[str],
    *,
    mode: int | None = None,
    before_replace: Callable[[], object] | None = None,
) -> Iterator[IO[bytes]]:
    """Yield a binary file whose content replaces ``target`` when the block ends normally.

    The file is a temporary ``.<name>.XXXXXXXX.tmp`` beside the (link-resolved) target; it is
    flushed and fsync'ed, given ``mode`` (default: the target's own mode, or
    :func:`new_file_mode` for a new file), checked by ``before_replace`` (which may raise to
    refuse), renamed over the target and the folder fsync'ed.  On any error the temporary file
    is removed and the target is untouched; an :class:`OSError` becomes :class:`WriteFailed`.
    """
    target = Path(target)
    if target.is_symlink():
        target = real_path(target)
    if mode is None:
        try:
            mode = stat.S_IMODE(target.stat().st_mode)
        except OSError:
            mode = new_file_mode()
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise write_error(exc, target) from exc
    tmp = Path(tmp_name)
    done = False
    try:
        with os.fdopen(fd, "wb") as fp:
            yield fp
            _fsync_file(fp)
        os.chmod(tmp, mode)
        _test_stop("replace")
        if before_replace is not None:
            before_replace()
        os.replace(tmp, target)
        done = True
    except OSError as exc:
        raise write_error(exc, target) from exc
    except Exception as exc:  # XlsxWriter wraps a failed write: FileCreateError(OSError(...))
        if exc.args and isinstance(exc.args[0], OSError):
            raise write_error(exc.args[0], target) from exc
        raise
    finally:
        if not done:
            with contextlib.suppress(OSError):
                tmp.unlink()
    fsync_dir(target.parent)


def write_bytes(target: str | os.PathLike[str], data: bytes, *, mode: int | None = None) -> Path:
    """:func:`atomic_write` of ``data``; returns the path written (links resolved)."""
    target = Path(target)
    with atomic_write(target, mode=mode) as fp:
        fp.write(data)
    return real_path(target) if target.is_symlink() else target


_TEMP_RE = re.compile(r"^\..+\.[A-Za-z0-9_]{8}(?:\.[A-Za-z]{3,4})?\.tmp$")


def is_temp(name: str) -> bool:
    """Whether ``name`` is the temporary file of an atomic write (this module's, or the
    ``.<stem>.XXXXXXXX[.xlsx].tmp`` of earlier versions)."""
    return bool(_TEMP_RE.match(name))


def remove_stale_temps(path: Path) -> list[Path]:
    """Delete the temporary files a killed write of ``path`` left beside it (its own
    ``.<name>.XXXXXXXX.tmp`` and the ``.<stem>.XXXXXXXX.tmp`` of earlier versions).

    Call only while holding :func:`book_lock` of ``path``: every writer of those names does.
    """
    pattern = re.compile(
        rf"^\.(?:{re.escape(path.name)}|{re.escape(path.stem)})\.[A-Za-z0-9_]{{8}}(?:\.xlsx)?\.tmp$"
    )
    removed = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(path.parent):
            if pattern.match(entry.name) and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed


# --------------------------------------------------------------------------------------------
# Backup


def backup(book: Path) -> Path:
    """Copy ``book`` to ``<stem>.备份-YYYYmmdd-HHMMSS<suffix>`` beside it and return that path.

    The copy goes to a temporary file first (fsync'ed, mode and times kept) and takes its name
    only when complete, without replacing an earlier backup; a failed copy leaves nothing.
    """
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    fd, tmp_name = _mkstemp_for(book)
    tmp = Path(tmp_name)
    done = False
    try:
        with os.fdopen(fd, "wb") as fp, open(book, "rb") as src:
            half = os.fstat(src.fileno()).st_size // 2
            copied = 0
            while chunk := src.read(_CHUNK if copied >= half else max(1, min(_CHUNK, half - copied))):
                fp.write(chunk)
                copied += len(chunk)
                if copied == half:
                    fp.flush()
                    _test_stop("backup")
            _fsync_file(fp)
        shutil.copystat(book, tmp)
        n = 1
        while True:
            name = f"{book.stem}{BACKUP_MARK}{stamp}{'' if n == 1 else f'-{n}'}{book.suffix}"
            target = book.with_name(name)
            if _rename_new(tmp, target):
                break
            n += 1
        done = True
    except OSError as exc:
        raise write_error(exc, book.with_name(f"{book.stem}{BACKUP_MARK}{stamp}{book.suffix}")) from exc
    finally:
        if not done:
            with contextlib.suppress(OSError):
                tmp.unlink()
    fsync_dir(book.parent)
    return target


def _mkstemp_for(path: Path) -> tuple[int, str]:
    try:
        return tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise write_error(exc, path) from exc


def _rename_new(src: Path, dst: Path) -> bool:
    """Rename ``src`` to ``dst`` unless ``dst`` exists (False then)."""
    try:
        os.link(src, dst)
    except FileExistsError:
        return False
    except OSError:  # a file system without hard links: a checked rename is the best there is
        if dst.exists():
            return False
        os.replace(src, dst)
        return True
    os.unlink(src)
    return True


# --------------------------------------------------------------------------------------------
# The book lock and the fingerprint


@dataclass(frozen=True)
class Fingerprint:
    """What a book was when it was read: size, modification time (ns) and a checksum of every
    byte.  The checksum is CRC-32 by ISA-L (~3.6 GB/s here, SHA-256 0.3 GB/s: it runs twice
    per in-place write of books of 100+ MB): it catches another program's save, which is all
    it is for — no one forges a workbook to slip past it."""

    size: int
    mtime_ns: int
    crc32: int

    @classmethod
    def of(cls, path: Path) -> Fingerprint | None:
        try:
            st = path.stat()
            return cls(st.st_size, st.st_mtime_ns, crc32_of(path))
        except OSError:
            return None


def crc32_of(path: Path) -> int:
    """The file's CRC-32, read in 1 MiB chunks."""
    crc = 0
    with open(path, "rb") as fp:
        while chunk := fp.read(_CHUNK):
            crc = _crc32(chunk, crc)
    return crc


def sha256_of(path: Path) -> str:
    """The file's SHA-256, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fp:
        while chunk := fp.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


@dataclass
class BookLock:
    """The lock on one book held by this process (see :func:`book_lock`)."""

    path: Path
    """The real (link-resolved) book."""
    fingerprint: Fingerprint | None
    depth: int = 1
    _lock: FileLock | None = field(default=None, repr=False)

    def check_unchanged(self) -> None:
        """Raise :class:`SalesxlError` when the book is not the one read under this lock."""
        if self.fingerprint is None:
            return
        try:
            st = self.path.stat()
            same = (st.st_size == self.fingerprint.size and st.st_mtime_ns == self.fingerprint.mtime_ns
                    and crc32_of(self.path) == self.fingerprint.crc32)
        except OSError:
            same = False
        if not same:
            raise SalesxlError(
                f"工作簿 {self.path.name} 在读取之后被其他程序修改过，为免覆盖未写入（两边的内容都保留）；请重新运行",
                f"The workbook {self.path.name} was changed by another program after it was read; nothing was "
                "written (both versions are kept) — run the command again",
            )

    def refresh(self) -> None:
        """Take the fingerprint again (after this process itself replaced the book)."""
        self.fingerprint = Fingerprint.of(self.path)


_held: dict[Path, BookLock] = {}
_held_guard = threading.RLock()


def lock_file_of(book: Path) -> Path:
    """The hidden file :func:`book_lock` locks: ``.<name>.salesxl.lock`` beside the book."""
    return book.with_name(f".{book.name}.salesxl.lock")


@contextlib.contextmanager
def book_lock(book: str | os.PathLike[str], *, timeout: float = LOCK_TIMEOUT) -> Iterator[BookLock]:
    """Hold the salesxl lock of ``book`` (re-entrant within this process).

    Another salesxl command writing the book is waited for (up to ``timeout`` seconds, then a
    one-line refusal).  Where no lock file can be created (read-only folder, no permission,
    no locking on the file system) the command runs without one.  The
    lock file is removed while still held (a waiter notices and retries on a fresh file), so
    no clutter stays beside the book.
    """
    real = real_path(book)
    with _held_guard:
        held = _held.get(real)
        if held is not None:
            held.depth += 1
    if held is not None:
        try:
            yield held
        finally:
            with _held_guard:
                held.depth -= 1
        return
    lock_path = lock_file_of(real)
    # No soft (file-exists) fallback: a killed process would leave it behind for every next run.
    flock: FileLock | None = FileLock(lock_path, timeout=timeout, is_singleton=False, fallback_to_soft=False)
    try:
        assert flock is not None
        flock.acquire()
    except Timeout:
        raise SalesxlError(
            f"另一个 salesxl 命令正在写入 {real.name}，等待 {timeout:.0f} 秒后仍未结束；请稍后再试",
            f"Another salesxl command is writing {real.name} and did not finish within {timeout:.0f} s; try later",
        ) from None
    except OSError:
        # No lock file can be made (read-only or full folder, a file system without locks): a
        # read-only folder lets no one replace the book either, and elsewhere the fingerprint
        # check still refuses to overwrite another's save; the write reports its own error.
        flock = None
    held = BookLock(real, Fingerprint.of(real), _lock=flock)
    with _held_guard:
        _held[real] = held
    try:
        yield held
    finally:
        with _held_guard:
            _held.pop(real, None)
        if flock is not None:
            if os.name != "nt":  # Windows removes it on release; POSIX: unlink while held
                with contextlib.suppress(OSError):
                    os.unlink(lock_path)
            flock.release()


def held_lock(book: Path) -> BookLock | None:
    """The lock this process holds on ``book``, if any."""
    with _held_guard:
        return _held.get(real_path(book))


# --------------------------------------------------------------------------------------------
# Owner files: who has the book open


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
    """Every owner-file name Excel, WPS or LibreOffice may create for ``path``: ``~$name``
    (``~$`` replacing the first two characters of a long name) and ``.~lock.name#``."""
    names = [path.with_name("~$" + path.name), path.with_name(".~lock." + path.name + "#")]
    if len(path.name) > 2:
        names.append(path.with_name("~$" + path.name[2:]))
    return list(dict.fromkeys(names))


def owner_of(path: Path) -> Owner | None:
    """The owner of ``path`` (link resolved) when one of its owner files exists, else None."""
    for lock in owner_files(real_path(path)):
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


def refuse_open(path: Path) -> None:
    """Raise :class:`UnreadableWorkbook` naming who has ``path`` open, if anyone has."""
    owner = owner_of(path)
    if owner is not None:
        raise UnreadableWorkbook(
            f"工作簿 {path.name} 正被 {owner.describe('zh')} 打开，请先关闭再写入",
            f"Workbook {path.name} is open by {owner.describe('en')}; close it and try again",
        )


def _excel_user(data: bytes) -> str | None:
    """The user name in an Excel/WPS ``~$`` owner file: UTF-16 at byte 54 when present, else the
    length-prefixed 8-bit name at byte 0 (GBK on Chinese Windows)."""
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
    """LibreOffice's ``.~lock.name#``: one CSV line ``full name,user,host,time,url;``."""
    text = data.decode("utf-8", "replace").strip().rstrip(";")
    fields = [f.strip() for f in text.split(",")]
    user = next((f for f in fields[:2] if f), None)
    host = fields[2] if len(fields) > 2 and fields[2] else None
    return Owner(lock, "LibreOffice", user, host)


# --------------------------------------------------------------------------------------------
# --out


def resolve_out(
    out: str | os.PathLike[str],
    *,
    book: Path | None = None,
    default_name: str,
    create: bool = False,
) -> Path:
    """Where ``--out`` really writes.

    An existing folder, or a path ending in a separator, gets ``default_name`` inside it (a
    missing folder is refused, or made with ``create``; never written beside).  A path naming
    ``book`` itself is refused: ``--out`` promises the book stays as it is.  The suffix is not
    checked here (callers correct or refuse it); see :func:`replace_existing` for an existing file.
    """
    text = os.fspath(out)
    target = Path(text)
    folder = text.endswith(("/", os.sep)) or target.is_dir()
    if create:
        try:
            (target if folder else target.parent).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise write_error(exc, target) from exc
    if folder:
        if not target.is_dir():
            raise BadArguments(f"输出文件夹不存在：{target}", f"Output folder does not exist: {target}")
        target = target / default_name
    if book is not None and _same_file(book, target):
        raise BadArguments(
            f"--out 不能是原工作簿本身（{target.name}，--out 保证原文件不变）；要写回原文件请用 --in-place",
            f"--out cannot be the workbook itself ({target.name}; --out leaves it unchanged); use --in-place to write into it",
        )
    if not target.parent.is_dir():
        raise BadArguments(f"输出文件夹不存在：{target.parent}", f"Output folder does not exist: {target.parent}")
    return target


def new_file_target(
    out: str | os.PathLike[str],
    *,
    book: Path,
    default_name: str,
    force: bool,
    what: tuple[str, str] | None = None,
) -> Path:
    """Where a command that writes a NEW workbook (月报, 回款预测, 价格分析, 盘点表, 模板 …) writes,
    checked before the book is read so a bad ``--out`` costs nothing.

    :func:`resolve_out` (a folder gets ``default_name``, made if missing; never the book), then
    the ``.xlsx`` suffix when ``what`` names the file (``("月报", "report")``: the one-line message
    in both languages; ``None`` where the writer checks it), then an existing file is refused
    unless ``force``.  The caller calls ``replace_existing(target, force=True)`` just before it
    writes, so a forced file is backed up only once the new one is ready to go.
    """
    target = resolve_out(out, book=book, default_name=default_name, create=True)
    if what is not None and target.suffix.lower() != ".xlsx":
        raise BadArguments(f"{what[0]}只能保存为 .xlsx 文件：{target}", f"the {what[1]} is an .xlsx file: {target}")
    if not force:
        replace_existing(target, force=False)  # refuses an existing file, saying --force
    return target


def replace_existing(target: Path, *, force: bool, keep: bool = True) -> Path | None:
    """Before writing ``target``: refuse an existing file unless ``force``; with ``force``
    (and ``keep``) back it up first and return the backup.  An open file is refused."""
    if not target.exists() and not target.is_symlink():
        return None
    if target.is_dir():
        raise BadArguments(f"{target} 是文件夹，不能作为输出文件", f"{target} is a folder, not an output file")
    if not force:
        raise BadArguments(
            f"{target} 已存在，未覆盖；换一个文件名，或加 --force 覆盖（会先备份原文件）",
            f"{target} exists and was not replaced; choose another name or add --force (it is backed up first)",
        )
    refuse_open(target)
    return backup(real_path(target)) if keep else None


def write_lock(
    book: str | os.PathLike[str], out: str | os.PathLike[str] | None, in_place: bool
) -> contextlib.AbstractContextManager[object]:
    """The book's lock for a command that writes into (a copy of) it, held from the read to the
    write: another salesxl command writing the book waits, so both results end up in it.  No
    lock when the command writes nothing (neither ``out`` nor ``in_place``) or there is no file."""
    if (out is None and not in_place) or not Path(book).is_file():
        return contextlib.nullcontext()
    return book_lock(book)


def replace_all(targets: Iterable[Path], *, force: bool) -> None:
    """Before a command writes many files into a folder (one per customer, one per
    salesperson): without ``force`` the first that exists is refused, in the one line
    :func:`replace_existing` gives, before any is written; with ``force`` each existing one is
    backed up first.  The same rule as a single ``--out`` file, so a re-run never silently
    replaces a statement or template someone already edited."""
    for target in targets:  # nothing is written here, so a refusal comes before any file is
        replace_existing(target, force=force)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return real_path(a) == real_path(b) or (b.exists() and os.path.samefile(a, b))
    except OSError:
        return False
