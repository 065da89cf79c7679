"""Price benchmark (issue 16): ``salesxl validate --json`` with the price checks, and ``salesxl
prices --json`` for a year, each against the bare read, side by side in one run.

    python bench/bench_prices.py [--book workbooks/demo-scale.xlsx] [--from 2025-11-01]
                                 [--to 2026-10-31] [--repeat 1]

Builds the scale book first if it is missing (``salesxl demo --scale``: a million sales lines
and a 5,000-row 价目表).  Each command runs in a fresh Python process, timed from outside (wall
clock, interpreter start-up included) with the child's peak memory; the runs are interleaved and
the median is reported, because this machine is shared and only ratios of the same run mean
anything.  A last child runs the same work through the library and reports its phases (read,
the price checks inside validation, the analysis, the JSON).

* ``read (all sheets)``: :func:`salesxl.io.reading.read_book` of every contract sheet — what
  ``validate`` reads.
* ``read (price sheets)``: the sheets ``salesxl prices`` reads (客户档案, 销售, 价目表, 参数).
* ``validate --json``: the real command, every rule including the price checks.
* ``prices --json``: the real command over the year.

Targets (issue 16): validate --json ≤ 1.5 × read (all sheets); prices --json ≤ 1.5 × read
(price sheets).
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
AS_OF = "2026-10-31"

READ_ALL = "from salesxl.io.reading import read_book; read_book({book!r})"
READ_PRICES = ("from salesxl.api import PRICES_SHEETS; from salesxl.io.reading import read_book; "
               "read_book({book!r}, sheets=PRICES_SHEETS)")
PHASES = """
import io, json, sys, time, datetime as dt
t0 = time.perf_counter()
from salesxl.api import PRICES_SHEETS
from salesxl.core import prices
from salesxl.io.json_documents import write_prices_json
from salesxl.io.reading import read_book
t1 = time.perf_counter()
book = read_book({book!r}, sheets=PRICES_SHEETS)
t2 = time.perf_counter()
found = prices.price_findings(book, as_of=dt.date.fromisoformat({as_of!r}))
t3 = time.perf_counter()
result = prices.analyse(book, dt.date.fromisoformat({first!r}), dt.date.fromisoformat({last!r}))
t4 = time.perf_counter()
sink = io.BytesIO()
write_prices_json(result, sink)
t5 = time.perf_counter()
phases = {{"import": t1 - t0, "read": t2 - t1, "price checks": t3 - t2, "analysis": t4 - t3, "json": t5 - t4,
          "lines": float(len(result.lines)), "findings": float(sum(map(len, found.values())))}}
print("PHASES", json.dumps(phases), file=sys.stderr)
"""


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--book", type=Path, default=DEFAULT_BOOK)
    parser.add_argument("--from", dest="first", default="2025-11-01")
    parser.add_argument("--to", dest="last", default=AS_OF)
    parser.add_argument("--repeat", type=int, default=1, help="process runs of each command")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "prices.json")
    args = parser.parse_args()
    ensure_scale_book(args.book)
    book = str(args.book)
    load_before = load()
    print(f"book: {book} ({args.book.stat().st_size / 2**20:.1f} MiB), {args.first} … {args.last}; "
          f"load average {load_before} on {os.cpu_count()} CPUs")
    commands = {
        "read (all sheets)": [sys.executable, "-c", READ_ALL.format(book=book)],
        "read (price sheets)": [sys.executable, "-c", READ_PRICES.format(book=book)],
        "validate --json": [*CLI, "validate", book, "--as-of", AS_OF, "--json"],
        "prices --json": [*CLI, "prices", book, "--from", args.first, "--to", args.last, "--json"],
    }
    runs = run_interleaved(commands, args.repeat)
    print("  phases (library) …", file=sys.stderr)
    _, _, phases = run_child([sys.executable, "-c", PHASES.format(book=book, as_of=AS_OF, first=args.first,
                                                                 last=args.last)])
    load_after = load()
    result = medians(runs)
    ratios = {
        "validate/read_all": result["validate --json"]["seconds"] / result["read (all sheets)"]["seconds"],
        "prices/read_price_sheets": result["prices --json"]["seconds"] / result["read (price sheets)"]["seconds"],
        "prices/read_all": result["prices --json"]["seconds"] / result["read (all sheets)"]["seconds"],
    }
    for name, ratio in ratios.items():
        print(f"{name} = {ratio:.2f} (target ≤ 1.5)")
    if phases:
        print("phases (one library run): " + ", ".join(f"{k} {v:.2f}" for k, v in phases.items()))
    print(f"load average before {load_before}, after {load_after}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "book": book, "from": args.first, "to": args.last, "processes": result, "ratios": ratios,
        "phases": phases, "load_average": {"before": load_before, "after": load_after}, "cpus": os.cpu_count(),
    }, indent=2))


if __name__ == "__main__":
    main()
