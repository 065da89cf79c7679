"""Shared by the benchmarks: the scale book, built once on demand."""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BOOK = ROOT / "workbooks" / "demo-scale.xlsx"


def ensure_scale_book(book: Path) -> Path:
    """``book``, building the demo company at benchmark size there first if it is missing."""
    if not book.exists():
        from salesxl.demo import build_demo

        print(f"building {book} …", file=sys.stderr)
        t0 = time.perf_counter()
        built = build_demo(book.parent, scale=True)
        if built != book:
            built.rename(book)
        print(f"built in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return book


# ---------------------------------------------------------------------------------------------
# Child processes, timed from outside, interleaved, summarised by their median

Run = tuple[float, float, dict[str, float]]


def run_child(argv: list[str]) -> Run:
    """(wall seconds, peak MiB, phases it reported) of one child process; its stdout goes to
    /dev/null, its stderr to a file (a pipe left unread could stall it).  A child reports its
    phases on stderr as one line ``PHASES {json}``."""
    import json
    import os
    import subprocess
    import tempfile

    with open(os.devnull, "wb") as sink, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        child = subprocess.Popen(argv, stdout=sink, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - t0
        code = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read().decode(errors="replace")
    if code not in (0, 1):  # 1: done, the book has errors
        raise SystemExit(f"{argv[:4]} failed ({code}): {text.strip()[-500:]}")
    phases = next((json.loads(line[7:]) for line in text.splitlines() if line.startswith("PHASES ")), {})
    return wall, usage.ru_maxrss / 1024, phases


def run_interleaved(commands: dict[str, list[str]], repeat: int, once: tuple[str, ...] = ()
                    ) -> dict[str, list[Run]]:
    """Each command ``repeat`` times (those in ``once`` only in the first round), interleaved so
    that a noisy neighbour slows every command alike; progress on stderr."""
    runs: dict[str, list[Run]] = {k: [] for k in commands}
    for i in range(repeat):
        for name, argv in commands.items():
            if i > 0 and name in once:
                continue
            runs[name].append(run_child(argv))
            wall, _, phases = runs[name][-1]
            detail = ", ".join(f"{k} {v:.2f}" for k, v in phases.items())
            print(f"  run {i + 1} {name}: {wall:.2f} s" + (f" ({detail})" if detail else ""), file=sys.stderr)
    return runs


def medians(runs: dict[str, list[Run]]) -> dict[str, dict[str, float]]:
    """Median seconds, peak MiB and run count per command; printed as a Markdown table."""
    import statistics

    result = {
        k: {"seconds": statistics.median(s for s, _, _ in r), "peak_mib": max(m for _, m, _ in r), "runs": len(r)}
        for k, r in runs.items()
    }
    print("\n| process | median s | peak MiB | runs |\n|---|---:|---:|---:|")
    for name, r in result.items():
        print(f"| {name} | {r['seconds']:.2f} | {r['peak_mib']:.0f} | {r['runs']:.0f} |")
    return result


def median_phases(runs: list[Run]) -> dict[str, float]:
    """The median of each phase the runs reported (empty when none did)."""
    import statistics

    reported = [p for _, _, p in runs if p]
    return {k: statistics.median(p[k] for p in reported) for k in reported[0]} if reported else {}
