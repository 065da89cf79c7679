"""Card completeness benchmark: ``salesxl cards --json`` against the bare read, side by side.

    python bench/bench_cards.py [--book workbooks/demo-scale.xlsx] [--repeat 3]

Builds the scale book first if it is missing (``salesxl demo --scale``: 50,000 customers with
the four content groups filled, 1,000,000 sales lines).  Each command runs in a fresh Python
process, timed from outside (wall clock, interpreter start-up included) with its peak memory;
runs are interleaved and the median reported (this machine is noisy: only ratios measured
together mean anything).

* ``read (all sheets)`` — :func:`read_book` on the whole book (the issue's yardstick);
* ``read (card sheets)`` — the reader on 客户档案, 销售 and 参数 only (what completeness and
  status need);
* ``cards --json`` — the whole command: that read, completeness, gaps, status, staleness and
  the spec §5 document printed (phases of the library path reported separately).

Target (issue 19): ``cards --json`` ≤ 1.5 × the reader's time.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from _scale import DEFAULT_BOOK, ROOT, ensure_scale_book, median_phases, medians, run_interleaved
from bench_offset import READ_ALL

CARD_SHEETS = ("客户档案", "销售", "参数")
READ_CARDS = f"from salesxl.io.reading import read_book; read_book({{book!r}}, sheets={CARD_SHEETS!r})"
CARDS_LIBRARY = """
import datetime, json, sys, time
t0 = time.perf_counter()
from salesxl.core.cards import card_completeness
from salesxl.io.json_documents import cards_json_text
from salesxl.io.reading import read_book
t1 = time.perf_counter()
book = read_book({book!r}, sheets={sheets!r})
t2 = time.perf_counter()
result = card_completeness(book, as_of=datetime.date.fromisoformat({as_of!r}))
t3 = time.perf_counter()
text = cards_json_text(result)
t4 = time.perf_counter()
assert len(result.cards) > 0 and text.startswith("{{")
phases = {{"import": t1 - t0, "read": t2 - t1, "cards": t3 - t2, "json": t4 - t3}}
print("PHASES", json.dumps(phases), file=sys.stderr)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--book", type=Path, default=DEFAULT_BOOK)
    parser.add_argument("--as-of", default=None, help="default: the demo's last day")
    parser.add_argument("--repeat", type=int, default=3, help="process runs of each command")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "cards.json")
    args = parser.parse_args()
    from salesxl.demo import DEMO_END

    as_of = args.as_of or DEMO_END.isoformat()
    ensure_scale_book(args.book)
    book = str(args.book)
    print(f"book: {args.book} ({args.book.stat().st_size / 2**20:.1f} MiB), as of {as_of}")
    commands = {
        "read (all sheets)": [sys.executable, "-c", READ_ALL.format(book=book)],
        "read (card sheets)": [sys.executable, "-c", READ_CARDS.format(book=book)],
        "cards (library phases)": [sys.executable, "-c", CARDS_LIBRARY.format(book=book, as_of=as_of,
                                                                            sheets=CARD_SHEETS)],
        "cards --json": [sys.executable, "-c", "from salesxl.cli import main; main()", "cards", book, "--as-of",
                         as_of, "--json"],
    }
    runs = run_interleaved(commands, args.repeat)
    result = medians(runs)
    phases = median_phases(runs["cards (library phases)"])
    cards, read_all = result["cards --json"]["seconds"], result["read (all sheets)"]["seconds"]
    read_cards = result["read (card sheets)"]["seconds"]
    print(f"\ncards --json / read (all sheets)  = {cards / read_all:.2f} (target ≤ 1.5)")
    print(f"cards --json / read (card sheets) = {cards / read_cards:.2f}")
    print("cards phases (median s): " + ", ".join(f"{k} {v:.2f}" for k, v in phases.items()))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"book": book, "as_of": as_of, "processes": result, "phases": phases}, indent=2))


if __name__ == "__main__":
    main()
