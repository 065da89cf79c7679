"""Reader benchmark: salesxl's typed reader against bare readers, side by side in one run.

    python bench/bench_read.py [--book workbooks/demo-scale.xlsx] [--repeat 3] [--skip-pandas]

Builds the scale book first if it is missing (``salesxl demo --scale``).  Every measurement runs
in a fresh Python process, so each gets a cold parser and its own peak memory (ru_maxrss of the
child); the runs are interleaved and the median is reported, because this machine is noisy and
only ratios measured in the same run mean anything.  All readers read the same sheets: the
contract sheets salesxl finds in the book.

Targets (issue 2): salesxl ≤ 1.5 × the fastest bare read (fastexcel or python-calamine) and
≥ 10 × faster than ``pandas.read_excel(engine="openpyxl")``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

from _scale import ensure_scale_book

ROOT = Path(__file__).resolve().parent.parent

# Each snippet reads SHEETS (a list of sheet names) from BOOK and prints nothing.
READERS: dict[str, str] = {
    "salesxl": """
from salesxl.io.reading import read_book
book = read_book(BOOK)
assert sum(len(t) for t in book.tables.values()) > 0
""",
    "fastexcel": """
import fastexcel
r = fastexcel.read_excel(BOOK)
for s in SHEETS:
    r.load_sheet(s, header_row=None).to_arrow()
""",
    "python-calamine": """
from python_calamine import CalamineWorkbook
wb = CalamineWorkbook.from_path(BOOK)
for s in SHEETS:
    wb.get_sheet_by_name(s).to_python()
""",
    "pandas+openpyxl": """
import pandas as pd
pd.read_excel(BOOK, sheet_name=SHEETS, engine="openpyxl", header=None)
""",
}

CHILD = """
import resource, sys, time
BOOK, SHEETS = sys.argv[1], sys.argv[2:]
t0 = time.perf_counter()
{body}
elapsed = time.perf_counter() - t0
print(elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def measure(name: str, book: Path, sheets: list[str]) -> tuple[float, float]:
    """(seconds, peak MiB) of one read in a fresh interpreter."""
    code = CHILD.format(body=READERS[name])
    done = subprocess.run(
        [sys.executable, "-c", code, str(book), *sheets], capture_output=True, text=True, check=True
    )
    seconds, kib = done.stdout.split()
    return float(seconds), int(kib) / 1024


def contract_sheets(book: Path) -> list[str]:
    from salesxl.io.reading import locate_sheets
    from salesxl.io.safety import inspect_workbook

    located = locate_sheets(inspect_workbook(book))
    return [part.name for part, table in located.values() if table is None]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--book", type=Path, default=ROOT / "workbooks" / "demo-scale.xlsx")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-pandas", action="store_true", help="pandas+openpyxl takes minutes")
    args = parser.parse_args()
    ensure_scale_book(args.book)
    sheets = contract_sheets(args.book)
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(args.book))
    rows = {m.name: None for m in wb.sheets_metadata}
    size = args.book.stat().st_size / 2**20
    print(f"book: {args.book} ({size:.1f} MiB), sheets: {', '.join(sheets)} ({len(rows)} in the book)")

    names = [n for n in READERS if not (args.skip_pandas and n == "pandas+openpyxl")]
    runs: dict[str, list[tuple[float, float]]] = {n: [] for n in names}
    for i in range(args.repeat):
        for name in names:
            if name == "pandas+openpyxl" and i > 0:
                continue  # minutes per run; once is enough for a ≥10× comparison
            runs[name].append(measure(name, args.book, sheets))
            print(f"  run {i + 1} {name}: {runs[name][-1][0]:.2f} s", file=sys.stderr)

    result = {
        n: {"seconds": statistics.median(s for s, _ in r), "peak_mib": max(m for _, m in r), "runs": len(r)}
        for n, r in runs.items()
    }
    bare = min(result["fastexcel"]["seconds"], result["python-calamine"]["seconds"])
    ours = result["salesxl"]["seconds"]
    print("\n| reader | median s | peak MiB | runs |\n|---|---:|---:|---:|")
    for n, r in result.items():
        print(f"| {n} | {r['seconds']:.2f} | {r['peak_mib']:.0f} | {r['runs']} |")
    print(f"\nsalesxl / fastest bare read = {ours / bare:.2f} (target ≤ 1.5)")
    if "pandas+openpyxl" in result:
        print(f"pandas+openpyxl / salesxl = {result['pandas+openpyxl']['seconds'] / ours:.1f} (target ≥ 10)")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "read.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
