"""Contracts and plans benchmark (issue 18): ``salesxl contracts --json`` and ``salesxl summary
--year --json`` against the reader, side by side in one run.

    python bench/bench_contracts.py [--book workbooks/demo-scale.xlsx] [--as-of 2026-10-31]
                                    [--year 2026] [--repeat 1]

Builds the scale book first if it is missing (``salesxl demo --scale``: 100,000 contracts, a
million sales lines).  Each command runs in a fresh Python process, timed from outside (wall
clock, interpreter start-up included), interleaved, the median reported (see ``_scale.py``); a
last child runs the contracts through the library and reports each phase.

Target (issue 18): each ≤ 1.5 × the reader's time (all sheets).
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
READ_CONTRACTS = ("from salesxl.core.contracts import CONTRACT_SHEETS; from salesxl.io.reading import read_book; "
                  "read_book({book!r}, sheets=CONTRACT_SHEETS)")
PHASES = """
import json, sys, time, datetime
t0 = time.perf_counter()
from salesxl.core.contracts import CONTRACT_SHEETS, contract_report
from salesxl.io.reading import read_book
t1 = time.perf_counter()
book = read_book({book!r}, sheets=CONTRACT_SHEETS)
t2 = time.perf_counter()
result = contract_report(book, datetime.date.fromisoformat({as_of!r}))
t3 = time.perf_counter()
sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False))
t4 = time.perf_counter()
print("PHASES", json.dumps({{"import": t1 - t0, "read": t2 - t1, "contracts": t3 - t2, "json": t4 - t3}}),
      file=sys.stderr)
"""


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--book", type=Path, default=DEFAULT_BOOK)
    parser.add_argument("--as-of", default="2026-10-31", help="default: the demo's last day")
    parser.add_argument("--year", default="2026")
    parser.add_argument("--repeat", type=int, default=1, help="process runs of each command")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "contracts.json")
    args = parser.parse_args()
    ensure_scale_book(args.book)
    size = args.book.stat().st_size / 2**20
    load_before = load()
    print(f"book: {args.book} ({size:.1f} MiB), as of {args.as_of}, year {args.year}; load average "
          f"{load_before} on {os.cpu_count()} CPUs")
    book = str(args.book)
    commands = {
        "read (all sheets)": [sys.executable, "-c", READ_ALL.format(book=book)],
        "read (contract sheets)": [sys.executable, "-c", READ_CONTRACTS.format(book=book)],
        "contracts --json": [*CLI, "contracts", book, "--as-of", args.as_of, "--json"],
        "summary --year --json": [*CLI, "summary", book, "--year", args.year, "--json"],
    }
    runs = run_interleaved(commands, args.repeat)
    print("  phases (library) …", file=sys.stderr)
    _, _, phases = run_child([sys.executable, "-c", PHASES.format(book=book, as_of=args.as_of)])
    load_after = load()
    result = medians(runs)
    read_all = result["read (all sheets)"]["seconds"]
    ratios = {}
    for name in ("contracts --json", "summary --year --json"):
        s = result[name]["seconds"]
        ratios[name] = s / read_all
        print(f"\n{name} / read (all sheets) = {s / read_all:.2f} (target ≤ 1.5)")
    if phases:
        print("\nphases (one library run, s): " + ", ".join(f"{k} {v:.2f}" for k, v in phases.items()))
    print(f"load average before {load_before}, after {load_after}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "book": book, "as_of": args.as_of, "year": args.year, "processes": result, "ratios": ratios,
        "phases": phases, "load_average": {"before": load_before, "after": load_after}, "cpus": os.cpu_count(),
    }, indent=2))


if __name__ == "__main__":
    main()
