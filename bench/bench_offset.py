"""Offset benchmark: ``salesxl offset --json`` against the reader, and the vectorised FIFO
allocation against the plain per-customer Decimal loop, side by side in one run.

    python bench/bench_offset.py [--book workbooks/demo-scale.xlsx] [--repeat 1] [--skip-loop]

Builds the scale book first if it is missing (``salesxl demo --scale``).  The reader and the
whole offset command each run in a fresh Python process, timed from outside (wall clock,
interpreter start-up included, as a user waits for it) with the child's peak memory from
``wait4``; the runs are interleaved and the median is reported, because this machine is noisy
and only ratios measured in the same run mean anything.  The offset command is the real CLI
when it has an ``offset`` subcommand, otherwise the same work through the library (read, offset,
the JSON document to /dev/null).  The allocation step is then timed in this process on the
book's debit and credit items (as :func:`salesxl.core.ledger.prepare` cuts them): order +
interval merge (NumPy) against the obvious Python — group per customer with Decimal amounts,
sort, two-pointer walk — and the two are checked to give the same allocations.

Targets (issue 4): offset --json ≤ 1.5 × the reader's time; the loop / vectorised allocation
≥ 20.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

from _scale import ensure_scale_book, median_phases, medians, run_interleaved

ROOT = Path(__file__).resolve().parent.parent
LEDGER_SHEETS = ("客户档案", "销售", "收款", "发货", "参数")

READ_ALL = "from salesxl.io.reading import read_book; read_book({book!r})"
READ_LEDGER = f"from salesxl.io.reading import read_book; read_book({{book!r}}, sheets={LEDGER_SHEETS!r})"
# What ``api.offset`` + ``--json`` do, with the time of each phase reported on stderr.
OFFSET_LIBRARY = """
import datetime, json, sys, time
t0 = time.perf_counter()
from salesxl import api
from salesxl.core import ledger
from salesxl.io.json_documents import write_offset_json
from salesxl.io.reading import read_book
t1 = time.perf_counter()
book = read_book({book!r}, sheets=api.OFFSET_SHEETS, require=api.OFFSET_REQUIRES)
t2 = time.perf_counter()
result = ledger.offset(book, as_of=datetime.date.fromisoformat({as_of!r}))
t3 = time.perf_counter()
write_offset_json(result, sys.stdout.buffer)
sys.stdout.flush()
t4 = time.perf_counter()
phases = {{"import": t1 - t0, "read": t2 - t1, "offset": t3 - t2, "json": t4 - t3}}
print("PHASES", json.dumps(phases), file=sys.stderr)
"""


def cli_has_offset() -> bool:
    done = subprocess.run([sys.executable, "-c", "from salesxl.cli import main; main()", "offset", "--help"],
                          capture_output=True, text=True)
    return done.returncode == 0 and "offset" in done.stdout.lower()


def offset_argv(book: Path, as_of: str, use_cli: bool) -> list[str]:
    if use_cli:
        return [sys.executable, "-c", "from salesxl.cli import main; main()", "offset", str(book),
                "--as-of", as_of, "--json"]
    return [sys.executable, "-c", OFFSET_LIBRARY.format(book=str(book), as_of=as_of)]


def allocation_step(book_path: Path, as_of: str, skip_loop: bool) -> dict[str, float]:
    """:func:`allocate_items` (order + interval merge) against :func:`allocate_items_reference`
    (group per customer with Decimal, sort, walk) on the same items of the book."""
    import datetime

    from salesxl.core import ledger
    from salesxl.io.reading import read_book

    book = read_book(book_path, sheets=LEDGER_SHEETS)
    inp = ledger.prepare(book, datetime.date.fromisoformat(as_of))
    debits, credits, n = inp.debits, inp.credits, inp.n_customers
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        di, ci, amount = ledger.allocate_items(debits, credits, n)
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    ledger.allocate_items(debits, credits, n)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    out = {"items": float(len(debits) + len(credits)), "allocations": float(len(amount)),
           "vectorised_s": statistics.median(times), "vectorised_peak_mib": peak}
    if skip_loop:
        return out
    t0 = time.perf_counter()
    rows = ledger.allocate_items_reference(debits, credits)
    out["loop_s"] = time.perf_counter() - t0
    got = list(zip(di.tolist(), ci.tolist(), amount.tolist(), strict=True))
    if got != [(d, c, int(a * 100)) for d, c, a in rows]:
        raise SystemExit("vectorised allocation differs from the reference loop")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--book", type=Path, default=ROOT / "workbooks" / "demo-scale.xlsx")
    parser.add_argument("--as-of", default=None, help="default: the demo's last day")
    parser.add_argument("--repeat", type=int, default=1, help="process runs of each command")
    parser.add_argument("--skip-loop", action="store_true", help="skip the Decimal loop baseline")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "offset.json")
    args = parser.parse_args()
    from salesxl.demo import DEMO_END

    as_of = args.as_of or DEMO_END.isoformat()
    ensure_scale_book(args.book)
    use_cli = cli_has_offset()
    size = args.book.stat().st_size / 2**20
    print(f"book: {args.book} ({size:.1f} MiB), as of {as_of}; offset via "
          f"{'the CLI (salesxl offset --json)' if use_cli else 'the library (CLI has no offset yet)'}")

    commands = {
        "read (all sheets)": [sys.executable, "-c", READ_ALL.format(book=str(args.book))],
        "read (ledger sheets)": [sys.executable, "-c", READ_LEDGER.format(book=str(args.book))],
        "offset --json": offset_argv(args.book, as_of, use_cli),
    }
    runs = run_interleaved(commands, args.repeat)
    result = medians(runs)
    phases = median_phases(runs["offset --json"])
    print("  allocation step …", file=sys.stderr)
    step = allocation_step(args.book, as_of, args.skip_loop)

    offset_s = result["offset --json"]["seconds"]
    read_all, read_ledger = result["read (all sheets)"]["seconds"], result["read (ledger sheets)"]["seconds"]
    print(f"\noffset --json / read (all sheets)    = {offset_s / read_all:.2f} (target ≤ 1.5)")
    print(f"offset --json / read (ledger sheets) = {offset_s / read_ledger:.2f} (the same sheets read)")
    if phases:
        print("offset --json phases (median s): " + ", ".join(f"{k} {v:.2f}" for k, v in phases.items()))
    print(f"\nallocation step: {step['items']:.0f} items → {step['allocations']:.0f} allocation rows")
    print(f"  vectorised (order + interval merge): {step['vectorised_s']:.3f} s (median of 3), "
          f"peak {step['vectorised_peak_mib']:.0f} MiB (tracemalloc)")
    if "loop_s" in step:
        print(f"  per-customer Decimal loop (group, sort, walk): {step['loop_s']:.3f} s (same allocations: yes)")
        print(f"  loop / vectorised = {step['loop_s'] / step['vectorised_s']:.0f} (target ≥ 20)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"book": str(args.book), "as_of": as_of, "cli": use_cli,
                                    "processes": result, "phases": phases,
                                    "allocation": step}, indent=2))


if __name__ == "__main__":
    main()
