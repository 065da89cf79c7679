"""Collections forecast benchmark: ``salesxl forecast --json`` against the reader, side by side.

    python bench/bench_forecast.py [--book workbooks/demo-scale.xlsx] [--as-of 2026-10-31] [--repeat 1]

Builds the scale book first if it is missing (``salesxl demo --scale``).  Each command runs in a
fresh Python process, timed from outside (wall clock, interpreter start-up included) with the
child's peak memory from ``wait4``; the runs are interleaved and the median reported, because
only ratios measured in the same run mean anything on a shared machine.  A last child does the
same work through the library and reports each phase (read, forecast, JSON).

Target (issue 19, item 7): forecast --json ≤ 1.5 × the reader's time (all sheets; the ratio to
reading only the forecast's sheets is printed too).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from _scale import DEFAULT_BOOK, ensure_scale_book, medians, run_child, run_interleaved

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-c", "from salesxl.cli import main; main()"]
READ_ALL = "from salesxl.io.reading import read_book; read_book({book!r})"
READ_USED = ("from salesxl.core.forecast import FORECAST_SHEETS; from salesxl.io.reading import read_book; "
             "read_book({book!r}, sheets=FORECAST_SHEETS)")
PHASES = """
import datetime, json, sys, time
t0 = time.perf_counter()
from salesxl.core.forecast import FORECAST_REQUIRES, FORECAST_SHEETS, forecast
from salesxl.io.forecast_documents import forecast_document
from salesxl.io.reading import read_book
t1 = time.perf_counter()
book = read_book({book!r}, sheets=FORECAST_SHEETS, require=FORECAST_REQUIRES)
t2 = time.perf_counter()
result = forecast(book, as_of=datetime.date.fromisoformat({as_of!r}))
t3 = time.perf_counter()
sys.stdout.write(json.dumps(forecast_document(result), ensure_ascii=False, indent=2))
t4 = time.perf_counter()
phases = {{"import": t1 - t0, "read": t2 - t1, "forecast": t3 - t2, "json": t4 - t3}}
print("PHASES", json.dumps(phases), file=sys.stderr)
"""


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--book", type=Path, default=DEFAULT_BOOK)
    parser.add_argument("--as-of", default="2026-10-31", help="default: the demo's last day")
    parser.add_argument("--repeat", type=int, default=1, help="process runs of each command")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "forecast.json")
    args = parser.parse_args()
    ensure_scale_book(args.book)
    size = args.book.stat().st_size / 2**20
    load_before = load()
    print(f"book: {args.book} ({size:.1f} MiB), as of {args.as_of}; load average {load_before} "
          f"on {os.cpu_count()} CPUs")
    commands = {
        "read (all sheets)": [sys.executable, "-c", READ_ALL.format(book=str(args.book))],
        "read (forecast sheets)": [sys.executable, "-c", READ_USED.format(book=str(args.book))],
        "forecast --json": [*CLI, "forecast", str(args.book), "--as-of", args.as_of, "--json"],
    }
    runs = run_interleaved(commands, args.repeat)
    print("  phases (library) …", file=sys.stderr)
    _, _, phases = run_child([sys.executable, "-c", PHASES.format(book=str(args.book), as_of=args.as_of)])
    load_after = load()
    result = medians(runs)
    s = result["forecast --json"]["seconds"]
    ratios = {"vs_read_all": s / result["read (all sheets)"]["seconds"],
              "vs_read_forecast_sheets": s / result["read (forecast sheets)"]["seconds"]}
    print(f"\nforecast --json / read (all sheets)      = {ratios['vs_read_all']:.2f} (target ≤ 1.5)")
    print(f"forecast --json / read (forecast sheets) = {ratios['vs_read_forecast_sheets']:.2f}")
    if phases:
        print("\nphases (one library run, s): " + ", ".join(f"{k} {v:.2f}" for k, v in phases.items()))
    print(f"load average before {load_before}, after {load_after}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "book": str(args.book), "as_of": args.as_of, "processes": result, "ratios": ratios, "phases": phases,
        "load_average": {"before": load_before, "after": load_after}, "cpus": os.cpu_count(),
    }, indent=2))


if __name__ == "__main__":
    main()
