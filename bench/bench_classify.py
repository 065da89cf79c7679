"""Classify benchmark: level and status against the reader, side by side in one run.

    python bench/bench_classify.py [--book workbooks/demo-scale.xlsx] [--repeat 3]

Builds the scale book first if it is missing (``salesxl demo --scale``: 50,000 customers,
1,000,000 sales lines).  Each command runs in a fresh Python process, timed from outside (wall
clock, interpreter start-up included) with its peak memory; runs are interleaved and the median
is reported, because this machine is noisy and only ratios measured together mean anything.

* ``read (all sheets)`` — :func:`read_book` on the whole book;
* ``read (level sheets)`` — the reader on 客户档案, 销售 and 参数 only (what level and status
  need);
* ``level + status`` — that same read, then
  :func:`salesxl.core.classification.classify_levels_statuses`;
* ``classify --json`` — the whole command: also 收款 / 业务员 / 信用政策, the ledger for the
  credit grade, zones and routes of all 50,000 customers, and the JSON document.

Target (issue 5): level and status ≤ 1.2 × the reader's time on the same file.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from _scale import DEFAULT_BOOK, ROOT, ensure_scale_book, median_phases, medians, run_interleaved
from bench_offset import READ_ALL

LEVEL_SHEETS = ("客户档案", "销售", "参数")
READ_LEVEL = f"from salesxl.io.reading import read_book; read_book({{book!r}}, sheets={LEVEL_SHEETS!r})"
LEVEL_STATUS = """
import datetime, json, sys, time
t0 = time.perf_counter()
from salesxl.core.classification import classify_levels_statuses
from salesxl.io.reading import read_book
t1 = time.perf_counter()
book = read_book({book!r}, sheets={sheets!r})
t2 = time.perf_counter()
frame = classify_levels_statuses(book, datetime.date.fromisoformat({as_of!r}))
t3 = time.perf_counter()
assert len(frame) > 0
phases = {{"import": t1 - t0, "read": t2 - t1, "level+status": t3 - t2}}
print("PHASES", json.dumps(phases), file=sys.stderr)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--book", type=Path, default=DEFAULT_BOOK)
    parser.add_argument("--as-of", default=None, help="default: the demo's last day")
    parser.add_argument("--repeat", type=int, default=3, help="process runs of each command")
    parser.add_argument("--skip-classify", action="store_true", help="skip the whole classify command")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "classify.json")
    args = parser.parse_args()
    from salesxl.demo import DEMO_END

    as_of = args.as_of or DEMO_END.isoformat()
    ensure_scale_book(args.book)
    book = str(args.book)
    print(f"book: {args.book} ({args.book.stat().st_size / 2**20:.1f} MiB), as of {as_of}")
    commands = {
        "read (all sheets)": [sys.executable, "-c", READ_ALL.format(book=book)],
        "read (level sheets)": [sys.executable, "-c", READ_LEVEL.format(book=book)],
        "level + status": [sys.executable, "-c", LEVEL_STATUS.format(book=book, as_of=as_of, sheets=LEVEL_SHEETS)],
    }
    if not args.skip_classify:
        commands["classify --json"] = [sys.executable, "-c", "from salesxl.cli import main; main()",
                                       "classify", book, "--as-of", as_of, "--json"]
    runs = run_interleaved(commands, args.repeat, once=("classify --json",))
    result = medians(runs)
    phases = median_phases(runs["level + status"])
    ls = result["level + status"]["seconds"]
    read_all, read_level = result["read (all sheets)"]["seconds"], result["read (level sheets)"]["seconds"]
    print(f"\nlevel + status / read (level sheets) = {ls / read_level:.2f} (target ≤ 1.2; the same sheets read)")
    print(f"level + status / read (all sheets)   = {ls / read_all:.2f}")
    print("level + status phases (median s): " + ", ".join(f"{k} {v:.2f}" for k, v in phases.items()))
    if "classify --json" in result:
        print(f"classify --json (ledger, grades, routes of every customer) / read (all sheets) = "
              f"{result['classify --json']['seconds'] / read_all:.2f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"book": book, "as_of": as_of, "processes": result, "phases": phases}, indent=2))


if __name__ == "__main__":
    main()
