"""Reading returned templates in worker processes: in parallel, bounded, and crash-proof.

A returned file is untrusted: the safety checks (:mod:`salesxl.io.safety`) stop the hostile
files we know of, but a parser can still run out of memory or abort the process on a file
nobody foresaw.  So each file is read in a worker process of a
:class:`~concurrent.futures.ProcessPoolExecutor`, and the batch survives whatever one file does:

* **Memory.**  The worker initializer sets ``RLIMIT_AS`` (address space, default
  :data:`DEFAULT_MEMORY_MB`; reading one template needs ~1.5 GB of *address space*, mostly
  thread stacks and allocator arenas, but ~150 MB resident).  A Python allocation beyond it
  raises ``MemoryError`` (the file is reported, the worker lives); a native allocation failure
  aborts the worker — see below.
* **Time.**  Each file gets ``timeout`` seconds from the moment a worker picks it up (workers
  report ``(file, pid)`` when they start one): an interval timer inside the worker interrupts
  Python code, and the main process SIGKILLs a worker that overruns by :data:`KILL_GRACE`
  seconds (at most; stuck in native code).
* **Crashes.**  A worker that dies (SIGKILL, abort, the OOM killer) breaks the pool: every file
  in flight then fails with ``BrokenProcessPool``, innocent or not.  The pool is recreated and
  those files are retried **one at a time** in a single-worker pool; a file that kills its
  worker again, alone, is the culprit and is reported as such; the others are read normally.
  At most :data:`QUEUE_DEPTH` tasks per worker are in flight, so a crash costs few retries.
* **Tasks of a few files.**  A task is up to :data:`FILES_PER_TASK` files: the worker reads each
  (each with its own timer; it reports which file it is on, so a hang is pinned on that file),
  then checks them together in one vectorised pass
  (:func:`salesxl.core.merge.returned_from_books`) — for a 500-row template the per-call
  overhead of pandas, Arrow and the validation rules is most of the cost, and one pass over
  eight templates costs about what two separate ones do.  If the joint pass fails, each file
  is checked alone, so only the file at fault fails.

Workers are forked from a ``forkserver`` (preloaded with salesxl's readers, so starting one is
cheap and it inherits no threads or big memory from the main process), ignore Ctrl-C (the main
process handles it) and are recycled every :data:`TASKS_PER_CHILD` files to bound memory
growth.  (As with any forkserver or spawn pool, a script calling the batch needs an
``if __name__ == "__main__":`` guard.)  Without POSIX (Windows) the pool is spawned, there is no
address-space limit and no in-worker timer: a file that overruns is still killed from outside.

Test hooks: ``faults`` (from ``SALESXL_BATCH_FAULT="kill:NAME,memory:NAME,hang:NAME,check:NAME"``)
make the worker SIGKILL itself, allocate past its limit, hang, or fail the check when it reads a
file whose name contains NAME — the only way to test the recovery paths deterministically.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import multiprocessing as mp
import os
import queue
import signal
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from datetime import date
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any

from salesxl.core.grid import column_letter
from salesxl.core.merge import Returned, ReturnedBook, returned_from_books
from salesxl.core.tables import Book
from salesxl.core.templates import (
    META_SHEET,
    SNAPSHOT_HEADER_ROW,
    LayoutProblem,
    NotATemplate,
    SeenSheet,
    TemplateMeta,
    layout_problems,
    parse_meta,
)
from salesxl.errors import SalesxlError, UnreadableWorkbook
from salesxl.io.reading import locate_sheets, read_book
from salesxl.io.safety import WorkbookInfo, inspect_workbook, scan_sheet

try:
    import resource
except ImportError:  # pragma: no cover - Windows: no address-space limit
    resource = None  # type: ignore[assignment]

from salesxl.batch.forms import load_customer_form  # noqa: E402
from salesxl.batch.rows import find_part, read_raw
from salesxl.core.customer_form import ReturnedForm, is_customer_form  # noqa: E402
from salesxl.limits import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT  # noqa: E402 - shown by the CLI without importing this

KILL_GRACE = 5.0
TASKS_PER_CHILD = 200
#: Tasks in flight per worker: enough that a worker never waits for the main process (busy
#: reading the master meanwhile) to hand it the next one.
QUEUE_DEPTH = 3
#: Files per task at most: a worker reads them, then checks them in one vectorised pass.
FILES_PER_TASK = 8
#: A template holds one salesperson's customers: more rows than this is not a template.
MAX_TEMPLATE_ROWS = 50_000
#: Sheets whose XML is larger than this are scanned for their row count before parsing.
_SCAN_FIRST_BYTES = 8 << 20
_SIGKILL = getattr(signal, "SIGKILL", signal.SIGTERM)
_MAX_META_BYTES = 64 << 20


@dataclass(frozen=True)
class Job:
    """One file to read."""

    path: Path
    sha256: str


@dataclass(frozen=True)
class Failure:
    """Why a file could not be read: ``kind`` and a one-line message in zh and en."""

    kind: str
    """``unreadable`` · ``not-a-template`` · ``too-large`` · ``memory`` · ``timeout`` ·
    ``crashed`` · ``error``."""
    zh: str
    en: str

    def message(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh


@dataclass(frozen=True)
class ReadOnly:
    """What the ``read`` mode returns: the file was read, nothing else was done (benchmark)."""

    rows: int


Outcome = Returned | ReadOnly | Failure | ReturnedForm


# --------------------------------------------------------------------------------------------
# In the worker


def load_template(path: Path, sha256: str, *, max_rows: int = MAX_TEMPLATE_ROWS) -> ReturnedBook | ReturnedForm:
    """Read one returned template: its meta sheet, 客户档案 and 拜访, typed, not yet checked, and
    how its layout differs from the issued one (:attr:`ReturnedBook.damage`).

    Raises :class:`UnreadableWorkbook` for a file that is not a workbook or is hostile, and
    :class:`NotATemplate` for a workbook that is not a salesxl template (or far too large for one).
    """
    info = inspect_workbook(path)
    part = find_part(info, META_SHEET)
    if part is None:
        raise NotATemplate("no meta sheet")
    if part.size > _MAX_META_BYTES:
        raise NotATemplate("meta sheet too large")
    rows = read_raw(path, info, part).rows
    if is_customer_form(rows):  # a customer's own form (issue 19): its answers go to 待审核
        return load_customer_form(path, sha256, info, rows)
    meta = parse_meta(rows)
    recorded = next((r[1] for r in rows[:SNAPSHOT_HEADER_ROW - 1] if len(r) > 1 and r[0] == "模板编号"), None)
    located = locate_sheets(info)
    for name in ("客户档案", "拜访"):
        if name in located and located[name][0].size > _SCAN_FIRST_BYTES:
            scan = scan_sheet(path, info, located[name][0])
            if scan.max_row > max_rows + 100:
                raise _TooLarge(name, scan.max_row)
    book = read_book(path, sheets=("客户档案", "拜访"), require=("客户档案",))
    for name, table in book.tables.items():
        if len(table) > max_rows:
            raise _TooLarge(name, len(table))
    return ReturnedBook(book, meta, path.name, sha256, recorded, tuple(check_layout(path, info, meta, book)))


def check_layout(path: Path, info: WorkbookInfo, meta: TemplateMeta, book: Book) -> list[LayoutProblem]:
    """How the returned file's layout differs from the one issued
    (:func:`salesxl.core.templates.layout_problems`), from what the reader already found; only
    when a header is missing is its header row read again, to say what became of it."""
    seen: dict[str, SeenSheet] = {}
    for sheet in meta.layout:
        table = next((t for t in book.tables.values() if t.sheet.strip().casefold() == sheet.name.strip().casefold()),
                     None)
        if sheet.headers and table is not None:
            seen[sheet.name] = SeenSheet(table.header_row, dict(table.letters))
    names = [p.name for p in info.sheets]
    problems = layout_problems(meta.layout, names, seen)
    lost = {p.sheet for p in problems if p.kind == "missing-column"}
    if not lost:
        return problems
    for name in lost:
        part = find_part(info, name)
        row = seen[name].header_row
        if part is None or row is None:
            continue
        rows = read_raw(path, info, part).rows
        cells = rows[row - 1] if len(rows) >= row else []
        seen[name] = replace(seen[name], texts={column_letter(j): c.strip() for j, c in enumerate(cells)
                                                if c is not None and c.strip()})
    return layout_problems(meta.layout, names, seen)


def read_template(path: Path, sha256: str, *, as_of: date, max_rows: int = MAX_TEMPLATE_ROWS) -> Returned:
    """:func:`load_template`, checked and compared with the issued snapshot
    (:func:`salesxl.core.merge.returned_from_book`)."""
    loaded = load_template(path, sha256, max_rows=max_rows)
    if isinstance(loaded, ReturnedForm):
        raise NotATemplate("a customer form, not a salesperson template")
    return returned_from_books([loaded], as_of=as_of)[0]


class _TooLarge(Exception):
    def __init__(self, sheet: str, rows: int) -> None:
        super().__init__(sheet, rows)
        self.sheet, self.rows = sheet, rows


class _Timeout(Exception):
    pass


_STATE: dict[str, Any] = {}


def _init_worker(memory_bytes: int | None, faults: Mapping[str, str], started: Any) -> None:
    """Worker initializer: memory limit, Ctrl-C left to the main process, hooks and channel."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.freeze()  # the preloaded modules' objects: never garbage, no need to walk them again
    if memory_bytes and resource is not None:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = memory_bytes if hard == resource.RLIM_INFINITY else min(memory_bytes, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    _STATE.update(faults=dict(faults), started=started, memory=memory_bytes)


def _on_alarm(signum: int, frame: Any) -> None:
    raise _Timeout


def _task(token: int, jobs: Sequence[Job], as_of: date, max_rows: int, mode: str,
          timeout: float) -> list[Outcome]:
    """Read a few files, then check them together (:func:`returned_from_books`: one vectorised
    pass costs little more than one file's).  Every failure becomes that file's :class:`Failure`;
    the worker tells the main process which file it is on, so a file that hangs is known."""
    started = _STATE.get("started")
    pid = os.getpid()
    outcomes: list[Outcome | None] = [None] * len(jobs)
    loaded: dict[int, ReturnedBook] = {}
    for k, job in enumerate(jobs):
        if started is not None:
            started.put((token, k, pid))
        outcome = _guarded(job.path.name, timeout, functools.partial(_load, job, max_rows, mode))
        if isinstance(outcome, ReturnedBook):
            loaded[k] = outcome
        else:
            outcomes[k] = outcome
    if loaded:
        if started is not None:
            started.put((token, len(jobs), pid))  # checking: no single file to blame for a hang
        order = sorted(loaded)
        together = _guarded(", ".join(jobs[k].path.name for k in order), timeout,
                            lambda: _check([loaded[k] for k in order], as_of, mode))
        if isinstance(together, list):
            for k, r in zip(order, together, strict=True):
                outcomes[k] = r
        else:  # something in one of them: check each alone, so only that file fails
            for k in order:
                one = _guarded(jobs[k].path.name, timeout, functools.partial(_check_one, loaded[k], as_of, mode))
                outcomes[k] = one
    return [o if o is not None else Failure("error", "未读取", "not read") for o in outcomes]


def _check(books: list[ReturnedBook], as_of: date, mode: str = "merge") -> list[Returned]:
    bad = (_STATE.get("faults") or {}).get("check")
    if bad and any(bad in b.file for b in books):  # test hook: a check that fails on this file
        raise RuntimeError(f"check failed ({bad})")
    return returned_from_books(books, as_of=as_of, incremental=mode == "incremental")


def _check_one(book: ReturnedBook, as_of: date, mode: str = "merge") -> Returned:
    """One file checked alone (when a joint check failed, so only the guilty file fails)."""
    return _check([book], as_of, mode)[0]


def _load(job: Job, max_rows: int, mode: str) -> ReturnedBook | ReturnedForm | ReadOnly:
    _fault(job.path.name)
    loaded = load_template(job.path, job.sha256, max_rows=max_rows)
    if mode == "read":
        return ReadOnly(sum(len(t) for t in loaded.book.tables.values()))
    return loaded


def _guarded(name: str, timeout: float, work: Callable[[], Any]) -> Any:
    """``work()`` under the interval timer; any failure as the :class:`Failure` for ``name``."""
    timer = hasattr(signal, "setitimer")  # POSIX; elsewhere only the main process's kill applies
    if timer:
        previous = signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        return work()
    except _Timeout:
        return timed_out(name, timeout)
    except NotATemplate as exc:
        return Failure("not-a-template",
                       f"「{name}」不是 salesxl 发给业务员的模板（{exc}），未处理",
                       f"'{name}' is not a salesperson template issued by salesxl ({exc}); skipped")
    except _TooLarge as exc:
        return Failure("too-large",
                       f"「{name}」的「{exc.sheet}」有 {exc.rows:,} 行，远超一位业务员的模板，未处理",
                       f"Sheet '{exc.sheet}' of '{name}' has {exc.rows:,} rows, far more than a salesperson template; skipped")
    except UnreadableWorkbook as exc:
        return Failure("unreadable", exc.zh, exc.en)
    except SalesxlError as exc:
        return Failure("error", exc.zh, exc.en)
    except MemoryError:
        return out_of_memory(name)
    except Exception as exc:  # noqa: BLE001 - one file's surprise must not stop the batch
        detail = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
        return Failure("error", f"读取「{name}」时出错：{detail}", f"Error while reading '{name}': {detail}")
    finally:
        if timer:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


def _fault(name: str) -> None:
    """Test hooks (see the module documentation)."""
    faults = _STATE.get("faults") or {}
    if faults.get("kill") and faults["kill"] in name:
        os.kill(os.getpid(), _SIGKILL)
    if faults.get("memory") and faults["memory"] in name:
        limit = _STATE.get("memory") or (1 << 30)
        blob = bytearray(limit + (256 << 20))  # beyond the limit: MemoryError if it is enforced
        del blob
    if faults.get("hang") and faults["hang"] in name:
        while True:  # a parser stuck in native code: the interval timer cannot interrupt it
            if hasattr(signal, "setitimer"):
                signal.setitimer(signal.ITIMER_REAL, 0)
            time.sleep(1)


def parse_faults(text: str | None) -> dict[str, str]:
    """``"kill:A,memory:B"`` → ``{"kill": "A", "memory": "B"}`` (the test hooks)."""
    out: dict[str, str] = {}
    for item in (text or "").split(","):
        kind, _, name = item.partition(":")
        if kind.strip() in ("kill", "memory", "hang", "check") and name.strip():
            out[kind.strip()] = name.strip()
    return out


def timed_out(name: str, timeout: float) -> Failure:
    return Failure("timeout", f"读取「{name}」超过 {timeout:g} 秒，已中止，未处理",
                   f"Reading '{name}' took more than {timeout:g} s and was stopped; skipped")


def out_of_memory(name: str) -> Failure:
    return Failure("memory", f"读取「{name}」所需内存超过上限，未处理",
                   f"Reading '{name}' needed more memory than allowed; skipped")


def crashed(name: str) -> Failure:
    return Failure("crashed", f"读取「{name}」时工作进程异常退出（内存耗尽或解析器崩溃），未处理",
                   f"The worker reading '{name}' died (out of memory or a parser crash); skipped")


# --------------------------------------------------------------------------------------------
# In the main process


_CONTEXT: Any = None


def mp_context() -> Any:
    """A forkserver context preloaded with the readers and the feedback writer (spawn where
    there is no forkserver)."""
    global _CONTEXT
    if _CONTEXT is None:
        try:
            ctx: BaseContext = mp.get_context("forkserver")
            ctx.set_forkserver_preload(["salesxl.batch.workers", "salesxl.batch.feedback"])
        except ValueError:  # pragma: no cover - Windows
            ctx = mp.get_context("spawn")
        _CONTEXT = ctx
    return _CONTEXT


Progress = Callable[[str, int, int], None]


def read_all(
    jobs: Sequence[Job],
    *,
    as_of: date,
    workers: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    memory_mb: int | None = DEFAULT_MEMORY_MB,
    max_rows: int = MAX_TEMPLATE_ROWS,
    mode: str = "merge",
    faults: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    label: str = "读取",
) -> dict[Path, Outcome]:
    """Read every job in worker processes; returns each path's :class:`Returned` (or
    :class:`ReadOnly` in ``read`` mode) or :class:`Failure`.  Never raises for a file."""
    n_workers = max(1, min(workers or os.cpu_count() or 1, len(jobs) or 1))
    results: dict[Path, Outcome] = {}
    total = len(jobs)

    def report(done: Path, outcome: Outcome) -> None:
        results[done] = outcome
        if progress:
            progress(label, len(results), total)

    runner = _Runner(as_of, timeout, memory_mb, max_rows, mode, dict(faults or {}))
    # A few files per task, so each worker checks them in one pass; not so many that a
    # worker is left idle at the end or a crash costs many retries.
    per_task = max(1, min(FILES_PER_TASK, len(jobs) // (n_workers * QUEUE_DEPTH)))
    suspects = runner.run(list(jobs), n_workers, report, per_task)
    if suspects:  # in flight when a worker died: one at a time, so the culprit shows itself
        for job in suspects:
            again = runner.run([job], 1, report, 1)
            if again:
                report(job.path, crashed(job.path.name))
    return results


class _Runner:
    """One pass over a list of jobs with at most ``workers`` tasks in flight."""

    def __init__(self, as_of: date, timeout: float, memory_mb: int | None, max_rows: int, mode: str,
                 faults: dict[str, str]) -> None:
        self.as_of, self.timeout, self.max_rows, self.mode = as_of, timeout, max_rows, mode
        self.memory = memory_mb << 20 if memory_mb else None
        self.faults = faults
        self.token = 0
        self.grace = min(KILL_GRACE, max(1.0, timeout / 2))  # for the worker's own timer to fire first

    def _pool(self, workers: int, started: Any) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=workers, mp_context=mp_context(), initializer=_init_worker,
            initargs=(self.memory, self.faults, started), max_tasks_per_child=TASKS_PER_CHILD,
        )

    def run(self, jobs: list[Job], workers: int, report: Callable[[Path, Outcome], None],
            per_task: int) -> list[Job]:
        """Read ``jobs``, ``per_task`` files a task; returns the files whose task was in flight
        when a worker died (to retry), except a file that overran its time (timed out)."""
        ctx = mp_context()
        started = ctx.Queue()
        pending = deque(jobs[i:i + per_task] for i in range(0, len(jobs), per_task))
        inflight: dict[Future[list[Outcome]], tuple[int, list[Job], float]] = {}
        running: dict[int, tuple[int, int, float]] = {}  # token → (pid, file index, start time)
        killed: dict[int, int] = {}  # token → index of the file that overran
        suspects: list[Job] = []

        def lost(token: int, chunk: list[Job]) -> None:
            """A task whose worker died: the file it overran timed out, the others are retried."""
            hung = killed.get(token, -1)
            for k, job in enumerate(chunk):
                if k == hung:
                    report(job.path, timed_out(job.path.name, self.timeout))
                else:
                    suspects.append(job)

        pool = self._pool(workers, started)
        try:
            while pending or inflight:
                while pending and len(inflight) < workers * QUEUE_DEPTH:
                    chunk = pending.popleft()
                    self.token += 1
                    try:
                        future = pool.submit(_task, self.token, chunk, self.as_of, self.max_rows, self.mode,
                                             self.timeout)
                    except BrokenProcessPool:
                        pending.appendleft(chunk)
                        pool = self._restart(pool, workers, started)
                        continue
                    inflight[future] = (self.token, chunk, time.monotonic())
                done, _ = wait(list(inflight), timeout=0.25, return_when=FIRST_COMPLETED)
                _drain(started, running)
                broken = False
                for future in done:
                    token, chunk, _ = inflight.pop(future)
                    running.pop(token, None)
                    try:
                        outcomes = future.result()
                    except BrokenProcessPool:
                        broken = True
                        lost(token, chunk)
                        continue
                    except Exception as exc:  # noqa: BLE001 - e.g. a result that failed to unpickle
                        outcomes = [Failure("error", f"读取「{job.path.name}」时出错：{exc}",
                                            f"Error while reading '{job.path.name}': {exc}") for job in chunk]
                    for job, outcome in zip(chunk, outcomes, strict=True):
                        report(job.path, outcome)
                if broken:
                    for token, chunk, _ in list(inflight.values()):
                        lost(token, chunk)
                    inflight.clear()
                    running.clear()
                    pool = self._restart(pool, workers, started)
                    continue
                now = time.monotonic()
                for token, chunk, _submitted in inflight.values():
                    if token in killed or token not in running:
                        continue
                    pid, index, start = running[token]
                    if now - start > self.timeout * (1 if index < len(chunk) else len(chunk)) + self.grace:
                        killed[token] = index
                        with contextlib.suppress(OSError):
                            os.kill(pid, _SIGKILL)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            started.close()
            started.join_thread()
        return suspects

    def _restart(self, pool: ProcessPoolExecutor, workers: int, started: Any) -> ProcessPoolExecutor:
        pool.shutdown(wait=True, cancel_futures=True)
        return self._pool(workers, started)


def _drain(started: Any, running: dict[int, tuple[int, int, float]]) -> None:
    """Note which worker (pid) is on which file of which task, since when."""
    while True:
        try:
            token, index, pid = started.get_nowait()
        except (queue.Empty, OSError, ValueError):
            return
        running[token] = (pid, index, time.monotonic())
