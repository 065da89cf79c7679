"""Validate benchmark: ``salesxl validate --json`` against the reader, and writing the marks
against openpyxl's own load and save, side by side in one run.

    python bench/bench_validate.py [--book workbooks/demo-scale.xlsx] [--repeat 3]
                                   [--skip-openpyxl] [--profile]

Builds the scale book first if it is missing (``salesxl demo --scale``).  Every measurement runs
in a fresh Python process, timed from outside (wall clock, interpreter start-up included, as a
user waits for it) with the child's peak memory (ru_maxrss from ``wait4``); the runs are
interleaved and the median is reported, because this machine is noisy and only ratios measured
in the same run mean anything.

* ``read``: :func:`salesxl.io.reading.read_book` of the whole book (every contract sheet).
* ``validate --json``: the real command, ``salesxl validate BOOK --as-of 2026-10-31 --json``,
  its JSON going to /dev/null.
* ``write_marks``: :func:`salesxl.io.marking.write_marks` of the book's findings to a new file.
  The scale book is valid, so when it has fewer than ``--findings`` cell findings (default
  1,000) the rest are planted: findings on existing cells of the big 销售 sheet, evenly spread
  from its first to its last row, so the whole sheet has to be streamed and rewritten.  The
  findings are computed once, before the timed runs, and handed to each child as JSON.
* ``openpyxl load+save``: ``openpyxl.load_workbook(BOOK)`` then ``save(out)`` of the same file,
  the naive way to write marks.  It takes minutes and gigabytes, so it runs once.

Targets (issue 3): validate --json ≤ 1.5 × read; write_marks ≤ 1.0 × openpyxl load+save.
``--profile`` also runs the validation once under cProfile and prints the top entries.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _scale import ensure_scale_book

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2026-10-31"

READ = """
import sys
from salesxl.io.reading import read_book
book = read_book(sys.argv[1])
assert sum(len(t) for t in book.tables.values()) > 0
"""

CLI = "from salesxl.cli import main; main()"

MARK = """
import json, sys
from pathlib import Path
from salesxl.core.findings import Finding
from salesxl.io.marking import write_marks
book, found, out = sys.argv[1:4]
findings = [Finding.model_validate(f) for f in json.loads(Path(found).read_text())]
result = write_marks(Path(book), findings, out=Path(out))
assert result.marked_cells > 0, result
"""

OPENPYXL = """
import sys
import openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
wb.save(sys.argv[2])
"""

# Computes the findings once (reader + every rule), tops them up with planted ones, writes JSON.
PREPARE = """
import datetime, json, sys
import numpy as np
import pandas as pd
from pathlib import Path
from salesxl.api import order_findings
from salesxl.core.findings import Code, Finding
from salesxl.core.validation import validate_book
from salesxl.io.reading import read_book

book_path, out, wanted, as_of = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
book = read_book(book_path, require=("客户档案",))
real = order_findings(book.findings + validate_book(book, as_of=datetime.date.fromisoformat(as_of)), book)
on_cells = sum(1 for f in real if f.row is not None and f.column is not None)
planted = []
sales = book.table("销售")
if on_cells < wanted and sales is not None and len(sales):
    frame = sales.frame
    picks = np.unique(np.linspace(0, len(frame) - 1, wanted - on_cells).round().astype(int))
    kinds = [  # (field, code): plausible findings on cells every sales line has
        ("金额", Code.AMOUNT_MISMATCH),
        ("客户编号", Code.UNKNOWN_CUSTOMER),
        ("日期", Code.DATE_ORDER),
        ("数量", Code.OUT_OF_RANGE),
    ]
    kinds = [(f, c) for f, c in kinds if sales.has(f)]
    for i, pos in enumerate(picks):
        field, code = kinds[i % len(kinds)]
        value = frame[field].iloc[pos]
        planted.append(Finding(
            sheet=sales.sheet, row=int(frame["_row"].iloc[pos]), column=sales.letter(field),
            field=field, value=None if pd.isna(value) else str(value), code=code,
            params={"reason": "基准测试埋入", "reason_en": "planted by the benchmark"},
        ))
findings = order_findings(real + planted, book)
Path(out).write_text(json.dumps([f.model_dump(mode="json") for f in findings], ensure_ascii=False))
print(json.dumps({"real": len(real), "real_on_cells": on_cells, "planted": len(planted),
                  "rows": {n: len(t) for n, t in book.tables.items()}}))
"""

PROFILE = """
import cProfile, datetime, pstats, sys
from salesxl import api
day = datetime.date.fromisoformat(sys.argv[2])
profiler = cProfile.Profile()
profiler.enable()
report = api.validate(sys.argv[1], as_of=day)
doc = report.to_json()
profiler.disable()
stats = pstats.Stats(profiler, stream=sys.stdout).strip_dirs()
print(f"findings: {len(report.findings)}")
stats.sort_stats("cumulative").print_stats(30)
stats.sort_stats("tottime").print_stats(20)
"""


def run_child(argv: list[str], ok: tuple[int, ...] = (0,)) -> tuple[float, float]:
    """(wall seconds, peak MiB) of one child process; its stdout goes to /dev/null."""
    with open(os.devnull, "wb") as sink:
        t0 = time.perf_counter()
        child = subprocess.Popen(argv, stdout=sink, stderr=subprocess.PIPE)
        assert child.stderr is not None
        err = child.stderr.read().decode(errors="replace")  # drain before waiting (no deadlock)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if code not in ok:
        raise SystemExit(f"{argv[1:5]} failed ({code}): {err.strip()[-800:]}")
    return wall, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--book", type=Path, default=ROOT / "workbooks" / "demo-scale.xlsx")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--findings", type=int, default=1000, help="cell findings to mark (planted on 销售 if the book has fewer)")
    parser.add_argument("--skip-openpyxl", action="store_true", help="openpyxl load+save takes minutes")
    parser.add_argument("--profile", action="store_true", help="also profile one validation with cProfile")
    args = parser.parse_args()
    ensure_scale_book(args.book)
    book = str(args.book)
    size = args.book.stat().st_size / 2**20
    py = sys.executable

    with tempfile.TemporaryDirectory(prefix="bench-validate-") as tmp:
        found = Path(tmp) / "findings.json"
        t0 = time.perf_counter()
        prep = subprocess.run(
            [py, "-c", PREPARE, book, str(found), str(args.findings), AS_OF],
            capture_output=True, text=True, check=True,
        )
        info = json.loads(prep.stdout)
        print(
            f"book: {args.book} ({size:.1f} MiB), rows: "
            + ", ".join(f"{n} {r:,}" for n, r in info["rows"].items())
            + f"\nfindings: {info['real']:,} found ({info['real_on_cells']:,} on cells)"
            + f" + {info['planted']:,} planted on 销售 for write_marks"
            + f" (prepared in {time.perf_counter() - t0:.0f} s)"
        )
        marked = str(Path(tmp) / "marked.xlsx")
        saved = str(Path(tmp) / "openpyxl.xlsx")
        commands: dict[str, tuple[list[str], tuple[int, ...]]] = {
            "read": ([py, "-c", READ, book], (0,)),
            "validate --json": ([py, "-c", CLI, "validate", book, "--as-of", AS_OF, "--json"], (0, 1)),
            "write_marks": ([py, "-c", MARK, book, str(found), marked], (0,)),
            "openpyxl load+save": ([py, "-c", OPENPYXL, book, saved], (0,)),
        }
        if args.skip_openpyxl:
            del commands["openpyxl load+save"]
        runs: dict[str, list[tuple[float, float]]] = {n: [] for n in commands}
        for i in range(args.repeat):
            for name, (argv, ok) in commands.items():
                if name == "openpyxl load+save" and i > 0:
                    continue  # minutes per run; once is enough for a ≤ 1.0 comparison
                runs[name].append(run_child(argv, ok))
                print(f"  run {i + 1} {name}: {runs[name][-1][0]:.2f} s", file=sys.stderr)
        out_size = Path(marked).stat().st_size / 2**20
        if args.profile:
            print("\ncProfile of api.validate + to_json (one run, in-process times):")
            done = subprocess.run([py, "-c", PROFILE, book, AS_OF], capture_output=True, text=True, check=True)
            print(done.stdout)

    result = {
        n: {"seconds": statistics.median(s for s, _ in r), "peak_mib": max(m for _, m in r), "runs": len(r)}
        for n, r in runs.items()
    }
    print("\n| step | median s | peak MiB | runs |\n|---|---:|---:|---:|")
    for n, r in result.items():
        print(f"| {n} | {r['seconds']:.2f} | {r['peak_mib']:.0f} | {r['runs']} |")
    print(f"\nmarked file: {out_size:.1f} MiB (input {size:.1f} MiB)")
    read, check = result["read"]["seconds"], result["validate --json"]["seconds"]
    print(f"validate --json / read = {check / read:.2f} (target ≤ 1.5)")
    ratios = {"validate_json_over_read": check / read}
    if "openpyxl load+save" in result:
        mark, naive = result["write_marks"]["seconds"], result["openpyxl load+save"]["seconds"]
        print(f"write_marks / openpyxl load+save = {mark / naive:.3f} (target ≤ 1.0)")
        ratios["marks_over_openpyxl"] = mark / naive
    try:
        load = os.getloadavg()
        print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} CPUs)")
    except OSError:
        load = None
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "validate.json").write_text(
        json.dumps({"book": book, "findings": info, "results": result, "ratios": ratios, "loadavg": load}, indent=2)
    )


if __name__ == "__main__":
    main()
