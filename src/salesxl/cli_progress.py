"""Progress people can see, on a terminal and off one.

Every long job reports ``progress(stage, done, total)``: sheets read of N, customers or zones
done, files of the batch, rows of the demo.  On a terminal that becomes a bar (rich, drawn on
stderr and wiped when done).  Off a terminal — the batch on a server runs from scripts, with
stderr going to a log — a bar would be noise, so a plain line goes to stderr instead, at most
every few seconds::

    salesxl: 批处理 · 读取 12/40 · 8 秒

and once more at the end if any was written.  Nothing is written for work that ends within the
interval, so a quick command's stderr stays empty (a failed one keeps its single line).  A
line also comes while no report arrives (the rules of a large book run without counting), so
a log shows the job is alive.  The interval is ``SALESXL_PROGRESS_SECONDS`` (default 5; ``0``
reports every step, ``off`` nothing).

Light on purpose: importing this module imports neither rich's progress nor pandas, so
``salesxl --help`` stays fast (:mod:`salesxl.cli` imports it at start).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

#: Environment variable: seconds between progress lines off a terminal (``off``: none).
INTERVAL_ENV = "SALESXL_PROGRESS_SECONDS"
DEFAULT_INTERVAL = 5.0

ProgressCallback = Callable[[str, int, int], None]


def interval_seconds() -> float | None:
    """The interval asked for by :data:`INTERVAL_ENV`; None for ``off``.  A value that is not a
    number falls back to the default: a typo in a log setting should not stop a batch."""
    text = os.environ.get(INTERVAL_ENV, "").strip().lower()
    if text in ("off", "none", "no", "false"):
        return None
    try:
        value = float(text) if text else DEFAULT_INTERVAL
    except ValueError:
        return DEFAULT_INTERVAL
    return value if value >= 0 else DEFAULT_INTERVAL


def _count(n: int) -> str:
    return f"{n:,}"


class LineProgress:
    """Progress as plain lines on ``stream``, at most one per ``interval`` seconds, plus a
    heartbeat while the work reports nothing.  Use as a context manager (the heartbeat thread
    runs inside it); the instance is the ``progress(stage, done, total)`` callback."""

    def __init__(self, label: str, *, stream: TextIO | None = None, interval: float = DEFAULT_INTERVAL,
                 lang: str = "zh", clock: Callable[[], float] = time.monotonic) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self.zh = lang != "en"
        self.clock = clock
        self.started = self.last = clock()
        self.stage = ""
        self.done = 0
        self.total = 0
        self.lines = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        with self._lock:
            changed = stage != self.stage
            self.stage, self.done, self.total = stage, done, total
            now = self.clock()
            # a new stage is worth a line once the job has shown it is a long one
            if now - self.last >= self.interval or (changed and now - self.started >= self.interval):
                self._write(now)

    def _write(self, now: float, end: bool = False) -> None:
        parts = [self.label] if self.label else []
        if end:
            parts.append("完成" if self.zh else "done")
        else:
            count = (f"{_count(self.done)}/{_count(self.total)}" if self.total
                     else _count(self.done) if self.done else "")
            step = f"{self.stage} {count}".strip()
            if step:
                parts.append(step)
        seconds = int(now - self.started)
        parts.append(f"{seconds} 秒" if self.zh else f"{seconds} s")
        try:
            self.stream.write("salesxl: " + " · ".join(parts) + "\n")
            self.stream.flush()
        except (OSError, ValueError):  # a closed log must not stop the work
            return
        self.last = now
        self.lines += 1

    def _heartbeat(self) -> None:
        while not self._stop.wait(max(self.interval, 0.05)):
            with self._lock:
                now = self.clock()
                if now - self.last >= self.interval:
                    self._write(now)

    def __enter__(self) -> LineProgress:
        if self.interval > 0:
            self._beat = threading.Thread(target=self._heartbeat, name="salesxl-progress", daemon=True)
            self._beat.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._beat is not None:
            self._beat.join()
        with self._lock:
            if self.lines and exc[0] is None:
                self._write(self.clock(), end=True)


@contextmanager
def progress_reporter(label: str, *, console: Any, lang: str = "zh") -> Iterator[ProgressCallback]:
    """A ``progress(stage, done, total)`` callback for the work inside: a rich bar on
    ``console`` when it is a terminal, else :class:`LineProgress` lines on its stream."""
    if console.is_terminal:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        with Progress(
            TextColumn("{task.description}", style="bold", markup=False),  # a stage may name a user's sheet
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task(label, total=None)

            def update(stage: str, done: int, total: int) -> None:
                bar.update(task, description=f"{label} {stage}".strip(), completed=done, total=total or None)

            yield update
        return
    interval = interval_seconds()
    if interval is None:
        yield lambda stage, done, total: None
        return
    with LineProgress(label, stream=console.file, interval=interval, lang=lang) as lines:
        yield lines
