"""Monthly summary benchmark: ``salesxl summary --json`` (and with the 月报 workbook written)
against the reader, side by side in one run.

    python bench/bench_summary.py [--book workbooks/demo-scale.xlsx] [--month 2026-10] [--repeat 1]

Builds the scale book first if it is missing (``salesxl demo --scale``).  Each command runs in a
fresh Python process, timed from outside (wall clock, interpreter start-up included, as a user
waits for it) with the child's peak memory from ``wait4``; the runs are interleaved and the
median is reported, because this machine is shared and noisy and only ratios measured in the
same run mean anything (the load average is recorded before and after).  A last child runs the
same work through the library and reports the time of each phase (read, summary, JSON, report).

Target (issue 6): the summary ≤ 1.5 × the reader's time (all sheets).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from _scale import DEFAULT_BOOK, ensure_scale_book, medians, run_child, run_interleaved

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-c", "from salesxl.cli import main; main()"]

READ_ALL = "from salesxl.io.reading import read_book; read_book({book!r})"
READ_SUMMARY = ("from salesxl.core.summary import SUMMARY_SHEETS; from salesxl.io.reading import read_book; "
                "read_book({book!r}, sheets=SUMMARY_SHEETS)")
# What ``salesxl summary --json --out`` does, with the time of each phase on stderr.
PHASES = """
import json, sys, time
t0 = time.perf_counter()
from salesxl.core.summary import SUMMARY_REQUIRES, SUMMARY_SHEETS, monthly_summary, parse_month
from salesxl.io.reading import read_book
from salesxl.io.report import write_report
t1 = time.perf_counter()
book = read_book({book!r}, sheets=SUMMARY_SHEETS, require=SUMMARY_REQUIRES)
t2 = time.perf_counter()
result = monthly_summary(book, parse_month({month!r}))
t3 = time.perf_counter()
sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False))
t4 = time.perf_counter()
write_report(result, {out!r})
t5 = time.perf_counter()
phases = {{"import": t1 - t0, "read": t2 - t1, "summary": t3 - t2, "json": t4 - t3, "report": t5 - t4}}
print("PHASES", json.dumps(phases), file=sys.stderr)
"""


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--book", type=Path, default=DEFAULT_BOOK)
    parser.add_argument("--month", default="2026-10", help="default: the demo's last month")
    parser.add_argument("--repeat", type=int, default=1, help="process runs of each command")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "summary.json")
    args = parser.parse_args()
    ensure_scale_book(args.book)
    size = args.book.stat().st_size / 2**20
    load_before = load()
    print(f"book: {args.book} ({size:.1f} MiB), month {args.month}; load average {load_before} "
          f"on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="salesxl-bench-") as tmp:
        report = str(Path(tmp) / f"月报-{args.month}.xlsx")
        commands = {
            "read (all sheets)": [sys.executable, "-c", READ_ALL.format(book=str(args.book))],
            "read (summary sheets)": [sys.executable, "-c", READ_SUMMARY.format(book=str(args.book))],
            "summary --json": [*CLI, "summary", str(args.book), "--month", args.month, "--json"],
            "summary --json --out": [*CLI, "summary", str(args.book), "--month", args.month, "--json",
                                     "--out", report],
        }
        runs = run_interleaved(commands, args.repeat)
        print("  phases (library) …", file=sys.stderr)
        _, _, phases = run_child([sys.executable, "-c", PHASES.format(book=str(args.book), month=args.month,
                                                                     out=report)])
    load_after = load()
    result = medians(runs)
    read_all = result["read (all sheets)"]["seconds"]
    read_used = result["read (summary sheets)"]["seconds"]
    ratios = {}
    for name in ("summary --json", "summary --json --out"):
        s = result[name]["seconds"]
        ratios[name] = {"vs_read_all": s / read_all, "vs_read_summary_sheets": s / read_used}
        print(f"\n{name} / read (all sheets)     = {s / read_all:.2f} (target ≤ 1.5)")
        print(f"{name} / read (summary sheets) = {s / read_used:.2f} (the same sheets read)")
    if phases:
        print("\nphases (one library run, s): " + ", ".join(f"{k} {v:.2f}" for k, v in phases.items()))
    print(f"load average before {load_before}, after {load_after}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "book": str(args.book), "month": args.month, "processes": result, "ratios": ratios, "phases": phases,
        "load_average": {"before": load_before, "after": load_after}, "cpus": os.cpu_count(),
    }, indent=2))


if __name__ == "__main__":
    main()
