"""Writing files: nothing lost, ever (issue 13, items 8–13).

Real processes, real files: two writers on one book made deterministic by a test hook that
stops a process (SIGSTOP) at its complete temporary file; a SIGKILL halfway through the backup;
a full disk on a small tmpfs; a read-only file system (a tmpfs remounted read-only); a folder
without write permission (root without CAP_DAC_OVERRIDE, via setpriv); ``--out`` at a folder,
an existing file, a wrong extension and the book itself; a symbolic link; every owner-file form.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from salesxl import api
from salesxl.errors import BadArguments, SalesxlError, UnreadableWorkbook, WriteFailed
from salesxl.io import files
from salesxl.io.marking import write_marks

SRC = str(Path(__file__).resolve().parents[1] / "src")


def salesxl(*args: str, env: dict[str, str] | None = None, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*prefix, sys.executable, "-c", "from salesxl.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=300, env=_env(env))


def start(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", "from salesxl.cli import main; main()", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(env))


def _env(extra: dict[str, str] | None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    env.pop(files.STOP_ENV, None)
    env.update(extra or {})
    return env


def wait_stopped(proc: subprocess.Popen[str]) -> None:
    """Block until ``proc`` has stopped itself (the SIGSTOP test hook) — no timing involved."""
    _, status = os.waitpid(proc.pid, os.WUNTRACED)
    assert os.WIFSTOPPED(status), f"the process ended instead of stopping: {proc.communicate()}"


def ledger_book(path: Path) -> Path:
    """A small book every command can run on: cards, sales, receipts, salespeople."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "客户档案"
    ws.append(["客户编号", "客户名称", "客户性质", "业务员", "信用额度", "账期天数", "省份", "城市"])
    ws.append(["C1", "甲公司", "一般公司", "张三", 1000, 30, "浙江", "杭州"])
    ws.append(["C2", "乙", "个人", "张三", "一万", 30, "浙江", "宁波"])  # a finding to mark
    sales = wb.create_sheet("销售")
    sales.append(["日期", "单号", "客户编号", "产品", "数量", "单价", "金额"])
    sales.append(["2026-09-01", "XS1", "C1", "钢材", 10, 100, 1000])
    sales.append(["2026-10-20", "XS2", "C2", "钢材", 1, 500.5, 500.5])
    receipts = wb.create_sheet("收款")
    receipts.append(["日期", "单号", "客户编号", "金额", "类型"])
    receipts.append(["2026-08-01", "SK1", "C1", 300, "预收"])
    people = wb.create_sheet("业务员")
    people.append(["业务员", "片区"])
    people.append(["张三", "华东"])
    wb.save(path)
    return path


def sheetnames(path: Path) -> set[str]:
    return set(openpyxl.load_workbook(path, read_only=True).sheetnames)


def listing(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def one_line_error(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr and "内部错误" not in done.stderr, done.stderr
    for word in words:
        assert word in lines[0], lines[0]


@pytest.fixture
def umask022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


# --------------------------------------------------------------------------------------------
# The atomic write itself


def test_atomic_write_modes_links_and_failures(tmp_path: Path, umask022: None) -> None:
    new = files.write_bytes(tmp_path / "new.txt", b"a")
    assert stat.S_IMODE(new.stat().st_mode) == 0o644 and files.new_file_mode() == 0o644
    kept = tmp_path / "kept.txt"
    kept.write_bytes(b"old")
    kept.chmod(0o640)
    files.write_bytes(kept, b"new")
    assert kept.read_bytes() == b"new" and stat.S_IMODE(kept.stat().st_mode) == 0o640
    # through a link: the real file is written, the link stays a link
    real = tmp_path / "real.txt"
    real.write_bytes(b"r")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    files.write_bytes(link, b"via link")
    assert link.is_symlink() and real.read_bytes() == b"via link"
    # a failure inside the block: the target is untouched and no temporary file is left
    before = listing(tmp_path)
    with pytest.raises(RuntimeError), files.atomic_write(kept) as fp:
        fp.write(b"half")
        raise RuntimeError
    assert kept.read_bytes() == b"new" and listing(tmp_path) == before
    # a refusal just before the rename, likewise
    with pytest.raises(SalesxlError), files.atomic_write(kept, before_replace=_refuse) as fp:
        fp.write(b"whole")
    assert kept.read_bytes() == b"new" and listing(tmp_path) == before


def _refuse() -> None:
    raise SalesxlError("不写", "no")


@pytest.mark.parametrize(("code", "zh", "en"), [
    (errno.ENOSPC, "磁盘空间不足", "Disk full"),
    (errno.EACCES, "没有写入权限", "Permission denied"),
    (errno.EPERM, "没有写入权限", "Permission denied"),
    (errno.EROFS, "只读", "Read-only file system"),
])
def test_each_write_error_has_its_own_line(code: int, zh: str, en: str) -> None:
    exc = files.write_error(OSError(code, os.strerror(code)), Path("/x/月报.xlsx"))
    assert isinstance(exc, WriteFailed)
    assert zh in exc.message("zh") and en in exc.message("en") and "\n" not in exc.message("zh")


def test_every_output_gets_the_users_mode(tmp_path: Path, umask022: None) -> None:
    """Marked copies, result sheets, classify, 月报, statements, templates, route map, office
    workbook: all 0644 under umask 022 (mkstemp's 0600 used to leak through)."""
    from salesxl.io.route_map import write_route_map

    book = ledger_book(tmp_path / "book.xlsx")
    book.chmod(0o600)  # a copy's mode is the user's normal one, not the book's
    out = tmp_path / "out"
    out.mkdir()
    written = [
        api.validate(book, as_of=_day(), out=out / "v.xlsx").marks.written,  # type: ignore[union-attr]
        api.offset_to_book(book, as_of=_day(), out=out / "o.xlsx")[1].written,
    ]
    result, w = api.classify_to_book(book, as_of=_day(), out=out / "c.xlsx")
    written.append(w.written)
    written.append(write_route_map(result.customers, out / "map.svg", min_customers=1))
    s = api.summary(book, month="2026-10", out=out)
    assert s.written is not None
    written.append(s.written)
    written += api.statements(book, as_of=_day(), out_dir=out / "stm")
    written.append(api.salesperson_template(book, salesperson="张三", out=out / "t.xlsx"))
    with contextlib.suppress(ImportError):
        from salesxl.excel.office import build_office_workbook

        written.append(build_office_workbook(out / "office.xlsm"))
    for path in written:
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path
    assert not [p for p in out.rglob("*.tmp")]


def _day():  # type: ignore[no-untyped-def]
    from datetime import date

    return date(2026, 10, 31)


# --------------------------------------------------------------------------------------------
# Two writers on one book (item 8)


def test_two_in_place_writers_both_end_in_the_book(tmp_path: Path) -> None:
    """validate --in-place stops at its complete temporary file (holding the book's lock);
    offset --in-place starts meanwhile and has to wait; both results end in the book."""
    book = ledger_book(tmp_path / "book.xlsx")
    a = start("validate", str(book), "--as-of", "2026-10-31", "--in-place", env={files.STOP_ENV: "replace"})
    wait_stopped(a)
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".book.xlsx.") and p.name.endswith(".tmp")]
    b = start("offset", str(book), "--as-of", "2026-10-31", "--in-place")
    os.kill(a.pid, signal.SIGCONT)
    out_a, err_a = a.communicate(timeout=300)
    out_b, err_b = b.communicate(timeout=300)
    assert a.returncode in (0, 1) and b.returncode in (0, 1), (err_a, err_b)
    assert "已损坏" not in err_a + err_b
    assert {"校验结果", "往来余额"} <= sheetnames(book)
    assert len(list(tmp_path.glob("book.备份-*.xlsx"))) == 2
    assert not [p for p in tmp_path.iterdir() if p.name.endswith((".tmp", ".lock"))]


def test_a_book_saved_meanwhile_by_another_program_is_not_replaced(tmp_path: Path) -> None:
    """Stopped at its temporary file, the command finds the book saved by another program
    (which knows nothing of salesxl's lock): it refuses with one line, both versions kept."""
    book = ledger_book(tmp_path / "book.xlsx")
    a = start("offset", str(book), "--as-of", "2026-10-31", "--in-place", env={files.STOP_ENV: "replace"})
    wait_stopped(a)
    other = tmp_path / "other.xlsx"
    wb = openpyxl.load_workbook(book)
    wb.create_sheet("同事的表")
    wb.save(other)
    os.replace(other, book)  # what Excel's own save does
    saved = book.read_bytes()
    os.kill(a.pid, signal.SIGCONT)
    _, err = a.communicate(timeout=300)
    done = subprocess.CompletedProcess(a.args, a.returncode, "", err)
    one_line_error(done, "被其他程序修改过")
    assert book.read_bytes() == saved and "往来余额" not in sheetnames(book)
    assert not list(tmp_path.glob("book.备份-*")) and not list(tmp_path.glob(".*.tmp"))


def test_the_lock_is_reentrant_and_leaves_no_file(tmp_path: Path) -> None:
    book = ledger_book(tmp_path / "book.xlsx")
    with files.book_lock(book) as outer, files.book_lock(tmp_path / "." / "book.xlsx") as inner:
        assert outer is inner and files.lock_file_of(book).exists()
        inner.check_unchanged()
    assert not files.lock_file_of(book).exists()


# --------------------------------------------------------------------------------------------
# The backup (item 9)


def test_a_kill_during_the_backup_leaves_no_backup_and_the_next_run_cleans_up(tmp_path: Path) -> None:
    book = ledger_book(tmp_path / "book.xlsx")
    original = book.read_bytes()
    a = start("validate", str(book), "--as-of", "2026-10-31", "--in-place", env={files.STOP_ENV: "backup"})
    wait_stopped(a)
    (temp,) = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert temp.name.startswith(".book.xlsx.") and 0 < temp.stat().st_size < len(original)
    a.kill()
    a.communicate(timeout=60)
    assert not list(tmp_path.glob("book.备份-*")) and book.read_bytes() == original
    done = salesxl("validate", str(book), "--as-of", "2026-10-31", "--in-place")
    assert done.returncode in (0, 1), done.stderr
    assert not temp.exists() and not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    (backup,) = tmp_path.glob("book.备份-*.xlsx")
    assert backup.read_bytes() == original


def test_a_failed_backup_copy_leaves_nothing(tmp_path: Path) -> None:
    ledger_book(tmp_path / "book.xlsx")  # a folder with a book; the missing one fails mid-backup
    before = listing(tmp_path)
    with pytest.raises(WriteFailed):
        files.backup(tmp_path / "missing.xlsx")
    assert listing(tmp_path) == before


# --------------------------------------------------------------------------------------------
# --out (item 10)


def test_out_at_a_folder_writes_inside_it(tmp_path: Path) -> None:
    book = ledger_book(tmp_path / "book.xlsx")
    folder = tmp_path / "对账"
    folder.mkdir()
    mine = tmp_path / "对账.xlsx"
    mine.write_bytes(b"the user's own file")
    done = salesxl("offset", str(book), "--as-of", "2026-10-31", "--out", str(folder) + "/")
    assert done.returncode in (0, 1), done.stderr
    assert mine.read_bytes() == b"the user's own file"
    assert "往来余额" in sheetnames(folder / "book.往来结果.xlsx")
    # a path ending in a separator that is no folder: refused, nothing written beside it
    done = salesxl("validate", str(book), "--out", str(tmp_path / "nope") + os.sep)
    one_line_error(done, "输出文件夹不存在")
    assert not (tmp_path / "nope.xlsx").exists()


def test_out_never_replaces_another_file_without_force(tmp_path: Path) -> None:
    book = ledger_book(tmp_path / "book.xlsx")
    theirs = tmp_path / "x.xlsx"
    theirs.write_bytes(b"precious")
    for out in ("x.xlsx", "x.xls"):  # the wrong extension is corrected to x.xlsx: same file
        done = salesxl("validate", str(book), "--out", str(tmp_path / out))
        one_line_error(done, "已存在", "--force")
        assert theirs.read_bytes() == b"precious"
    done = salesxl("summary", str(book), "--month", "2026-10", "--out", str(theirs))
    one_line_error(done, "--force")
    done = salesxl("validate", str(book), "--out", str(theirs), "--force")
    assert done.returncode in (0, 1), done.stderr
    assert "校验结果" in sheetnames(theirs)
    (kept,) = tmp_path.glob("x.备份-*.xlsx")
    assert kept.read_bytes() == b"precious"


def test_out_naming_the_book_itself_is_refused(tmp_path: Path) -> None:
    book = ledger_book(tmp_path / "book.xlsx")
    original = book.read_bytes()
    link = tmp_path / "link.xlsx"
    link.symlink_to(book)
    for out in (book, link, tmp_path / "." / "book.xlsx"):
        with pytest.raises(BadArguments, match="原工作簿本身"):
            write_marks(book, [], out=out, force=True)
        with pytest.raises(BadArguments):
            api.summary(book, month="2026-10", out=out, force=True)
    assert book.read_bytes() == original


# --------------------------------------------------------------------------------------------
# Links and owner files (items 11, 12)


def test_in_place_through_a_link_writes_the_real_book(tmp_path: Path) -> None:
    real_dir = tmp_path / "share"
    real_dir.mkdir()
    book = ledger_book(real_dir / "book.xlsx")
    link = tmp_path / "link.xlsx"
    link.symlink_to(book)
    done = salesxl("offset", str(link), "--as-of", "2026-10-31", "--in-place")
    assert done.returncode in (0, 1), done.stderr
    assert link.is_symlink() and "往来余额" in sheetnames(book)
    assert list(real_dir.glob("book.备份-*.xlsx")) and not list(tmp_path.glob("*.备份-*"))
    # an owner file beside the real book (not beside the link) is seen
    (real_dir / ".~lock.book.xlsx#").write_text("王芳,wangf,PC-12,07.12.2026 09:00,file:///x;", encoding="utf-8")
    done = salesxl("validate", str(link), "--in-place")
    one_line_error(done, "王芳")


def _excel_owner_file(name: str, *, utf16: bool) -> bytes:
    """An Excel ``~$`` owner file: the 8-bit name (length-prefixed) at 0, the UTF-16 at 54."""
    ansi = name.encode("gbk")
    data = bytes([len(ansi)]) + ansi
    data = data.ljust(54, b" ")
    if utf16:
        data += len(name).to_bytes(2, "little") + name.encode("utf-16-le")
    return data.ljust(165, b"\x00")


@pytest.mark.parametrize(("lock_name", "content", "user"), [
    ("~$book.xlsx", _excel_owner_file("张伟", utf16=True), "张伟"),
    ("~$book.xlsx", _excel_owner_file("李娜", utf16=False)[:40], "李娜"),
    ("~$ok.xlsx", _excel_owner_file("Zhao Lei", utf16=True), "Zhao Lei"),  # a long name: ~$ + name[2:]
    (".~lock.book.xlsx#", "陈静,chenj,OFFICE-PC,07.12.2026 10:11,file:///C:/x;".encode(), "陈静"),
])
def test_each_owner_file_names_its_user(tmp_path: Path, lock_name: str, content: bytes, user: str) -> None:
    book = ledger_book(tmp_path / "book.xlsx")
    (tmp_path / lock_name).write_bytes(content)
    owner = files.owner_of(book)
    assert owner is not None and owner.user == user
    with pytest.raises(UnreadableWorkbook, match=user):
        api.offset_to_book(book, as_of=_day(), in_place=True)
    # the batch reads the same owner files through the same reader
    from salesxl.batch import inbox

    assert inbox.owner_of is files.owner_of


# --------------------------------------------------------------------------------------------
# Full disk, read-only, no permission (item 13)


def _mount_tmpfs(where: Path, size: str) -> bool:
    if not sys.platform.startswith("linux") or os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True)
    return done.returncode == 0


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 512 KiB tmpfs (mounting needs root: skipped otherwise)."""
    where = tmp_path / "disk"
    if not _mount_tmpfs(where, "512k"):
        pytest.skip("cannot mount a tmpfs here (needs root on Linux)")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _fill(folder: Path) -> None:
    """Fill the file system to the last byte (unbuffered writes until ENOSPC)."""
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        for size in (1 << 16, 4096, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * size)
    finally:
        os.close(fd)


COMMANDS = [
    ("validate-out", ["validate", "{book}", "--out", "{d}/v.xlsx"]),
    ("validate-in-place", ["validate", "{book}", "--in-place"]),
    ("offset-out", ["offset", "{book}", "--as-of", "2026-10-31", "--out", "{d}/o.xlsx"]),
    ("offset-in-place", ["offset", "{book}", "--as-of", "2026-10-31", "--in-place"]),
    ("classify-out", ["classify", "{book}", "--as-of", "2026-10-31", "--out", "{d}/c.xlsx"]),
    ("classify-map", ["classify", "{book}", "--as-of", "2026-10-31", "--map", "{d}/map.svg"]),
    ("summary", ["summary", "{book}", "--month", "2026-10", "--out", "{d}/月报.xlsx"]),
    ("statement", ["statement", "{book}", "--as-of", "2026-10-31", "--out", "{d}/stm"]),
    ("template-salesperson", ["template", "salesperson", "--from", "{book}", "--salesperson", "张三",
                              "--out", "{d}/t.xlsx"]),
    ("template-office", ["template", "office", "--out", "{d}/office.xlsm"]),
]


#: One of each kind of writer: a package patched in place and to a copy, an XlsxWriter report,
#: a folder of statements, a built .xlsm (a full disk runs them all).
SOME = ("validate-in-place", "offset-out", "summary", "statement", "template-office")


def _run_all(book: Path, d: Path, check: str, lang_en: str, prefix: tuple[str, ...] = (),
             only: tuple[str, ...] | None = None) -> None:
    """Every writing command (or those named in ``only``) into ``d``: exit 2, one line saying
    ``check``, no traceback, and nothing left behind (the book unchanged)."""
    original = book.read_bytes()
    before = listing(d)
    for name, argv in COMMANDS:
        if only is not None and name not in only:
            continue
        args = [a.format(book=book, d=d) for a in argv]
        if name == "template-office":
            try:
                import xlwings  # noqa: F401
            except ImportError:
                continue
        done = salesxl(*args, prefix=prefix)
        assert done.returncode == 2, (name, done.stdout, done.stderr)
        one_line_error(done, check)
        assert book.read_bytes() == original, name
        assert listing(d) == before, (name, listing(d) ^ before)
        if name == "offset-out":  # English too
            done = salesxl(*args, "--lang", "en", prefix=prefix)
            one_line_error(done, lang_en)


def test_a_full_disk_gives_one_line_for_every_command(small_disk: Path) -> None:
    book = ledger_book(small_disk / "book.xlsx")
    _fill(small_disk)
    _run_all(book, small_disk, "磁盘空间不足", "Disk full")


def test_a_read_only_file_system(tmp_path: Path) -> None:
    where = tmp_path / "ro"
    if not _mount_tmpfs(where, "4m"):
        pytest.skip("cannot mount a tmpfs here (needs root on Linux)")
    try:
        book = ledger_book(where / "book.xlsx")
        subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True)
        _run_all(book, where, "只读", "Read-only", only=SOME)
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_a_folder_without_write_permission(tmp_path: Path) -> None:
    """chmod 0555 — run as root without CAP_DAC_OVERRIDE (root ignores permission bits; the
    interpreter lives under /root, which an unprivileged user cannot reach)."""
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        if os.geteuid() == 0:
            pytest.skip("setpriv is needed to drop root's permission override")
        prefix: tuple[str, ...] = ()
    else:
        prefix = (setpriv, "--bounding-set=-dac_override,-dac_read_search")
    folder = tmp_path / "ro"
    folder.mkdir()
    book = ledger_book(folder / "book.xlsx")
    folder.chmod(0o555)
    try:
        _run_all(book, folder, "没有写入权限", "Permission denied", prefix, only=SOME)
    finally:
        folder.chmod(0o755)
