"""Stock benchmark (issue 17): ``salesxl stock --json`` against the bare read of the sheets it
needs, side by side in one run.

    python bench/bench_stock.py [--book workbooks/demo-scale.xlsx] [--repeat 3]

Builds the scale book first if it is missing (``salesxl demo --scale``: about a million card
movements on 库存).  Each command runs in a fresh Python process, timed from outside (wall
clock, start-up included) with its peak memory, interleaved, median reported (_scale.py).  The
bare read is :func:`salesxl.io.reading.read_book` of the sheets ``salesxl stock`` reads
(库存, 盘点, 参数).  The stock process reports its phases (import, read, balances, the stock
checks, JSON) on stderr.

Target (issue 17): stock --json ≤ 1.5 × the bare read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from _scale import DEFAULT_BOOK, ensure_scale_book, median_phases, medians, run_interleaved

ROOT = Path(__file__).resolve().parent.parent

READ = ("from salesxl.api import STOCK_SHEETS_READ, STOCK_REQUIRES; from salesxl.io.reading import read_book; "
        "read_book({book!r}, sheets=STOCK_SHEETS_READ, require=STOCK_REQUIRES)")
STOCK = """
import datetime, json, sys, time
t0 = time.perf_counter()
from salesxl.api import STOCK_SHEETS_READ, STOCK_REQUIRES
from salesxl.core.stock import stock, stock_checks
from salesxl.io.reading import read_book
from salesxl.io.stock_json import write_stock_json
t1 = time.perf_counter()
book = read_book({book!r}, sheets=STOCK_SHEETS_READ, require=STOCK_REQUIRES)
t2 = time.perf_counter()
result = stock(book, as_of=datetime.date.fromisoformat({as_of!r}))
t3 = time.perf_counter()
found = stock_checks(book.tables, result.model)
t4 = time.perf_counter()
write_stock_json(result, sys.stdout.buffer)
sys.stdout.flush()
t5 = time.perf_counter()
phases = {{"import": t1 - t0, "read": t2 - t1, "balances": t3 - t2, "checks": t4 - t3, "json": t5 - t4}}
print("PHASES", json.dumps(phases), file=sys.stderr)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--book", type=Path, default=DEFAULT_BOOK)
    parser.add_argument("--as-of", default="2026-10-31")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--library", action="store_true",
                        help="time the library calls with phases instead of the real CLI")
    args = parser.parse_args()
    book = ensure_scale_book(args.book)
    cli = [sys.executable, "-c", "from salesxl.cli import main; main()", "stock", str(book), "--as-of", args.as_of,
           "--json"]
    commands = {
        "read": [sys.executable, "-c", READ.format(book=str(book))],
        "stock --json": cli,
        "stock (library, phases)": [sys.executable, "-c", STOCK.format(book=str(book), as_of=args.as_of)],
    }
    runs = run_interleaved(commands, args.repeat)
    result = medians(runs)
    ratio = result["stock --json"]["seconds"] / result["read"]["seconds"]
    phases = median_phases(runs["stock (library, phases)"])
    print(f"\nstock --json / read = {ratio:.2f} (target ≤ 1.5)")
    print("phases (median s): " + ", ".join(f"{k} {v:.2f}" for k, v in phases.items()))
    print(json.dumps({"ratio": round(ratio, 3), "medians": result, "phases": phases}, ensure_ascii=False))


if __name__ == "__main__":
    main()
