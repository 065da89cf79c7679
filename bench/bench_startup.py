"""Start-up benchmark: what a person waits for before salesxl does anything, and a button's
whole round trip.

    python bench/bench_startup.py [--repeat 5] [--out-json bench/results/startup.json]

Every measurement is a fresh Python process timed from outside (wall clock, interpreter start-up
included, as a person waits for it, and the CPU seconds it used: on a loaded machine the wall
clock waits for other processes, the CPU time does not), interleaved with the others, medians
reported:

* ``salesxl --version`` and ``salesxl --help``, ``salesxl validate --help``: the command line
  imports click and rich only; pandas, pyarrow and the readers load when a command needs them
  (target: under 0.3 s each);
* ``import salesxl.excel.buttons``: what every Excel button click pays before its work, since
  xlwings' ``RunPython`` starts a fresh Python per click;
* a button's round trip on the demo company (400 customers, two years): a fresh Python runs the
  校验, 冲销 and 分类 buttons' logic (:mod:`salesxl.excel.buttons`) end to end through the
  :class:`~salesxl.excel.gateway.FileGateway` — read the book, compute, write the results into a
  new copy — which is exactly what the .xlsm's buttons run, minus Excel's own COM calls.

Figures from this machine's run go in the README; ``python -X importtime -c "import
salesxl.cli"`` shows where the remaining import time goes.
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

ROOT = Path(__file__).resolve().parent.parent

BUTTON = """
import tempfile
from pathlib import Path
from salesxl.demo import DEMO_END
from salesxl.excel import buttons
from salesxl.excel.gateway import FileGateway
out = Path(tempfile.mkdtemp()) / "out.xlsx"
buttons.run_{name}(FileGateway({book!r}, out=out), as_of=DEMO_END)
"""


def run_child(argv: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one child process; output discarded, failure fatal."""
    with open(os.devnull, "wb") as sink, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        child = subprocess.Popen(argv, stdout=sink, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - t0
        if os.waitstatus_to_exitcode(status) != 0:
            err.seek(0)
            raise SystemExit(f"{argv[:4]} failed: {err.read().decode(errors='replace')[-500:]}")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out-json", type=Path, default=ROOT / "bench" / "results" / "startup.json")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        # built in a child: this process stays small and imports nothing of salesxl
        book = str(Path(tmp) / "demo" / "demo.xlsx")
        subprocess.run([sys.executable, "-c", f"from salesxl.demo import build_demo; build_demo({str(Path(tmp) / 'demo')!r})"],
                       check=True)
        cli = [sys.executable, "-c", "from salesxl.cli import main; main()"]
        commands = {
            "salesxl --version": [*cli, "--version"],
            "salesxl --help": [*cli, "--help"],
            "salesxl validate --help": [*cli, "validate", "--help"],
            "import salesxl.excel.buttons": [sys.executable, "-c", "import salesxl.excel.buttons"],
            **{f"button {label} (round trip)": [sys.executable, "-c", BUTTON.format(name=name, book=book)]
               for label, name in (("校验", "validate"), ("冲销", "offset"), ("分类", "classify"))},
        }
        runs: dict[str, list[tuple[float, float]]] = {k: [] for k in commands}
        for i in range(args.repeat):
            for name, argv in commands.items():
                runs[name].append(run_child(argv))
                print(f"  run {i + 1} {name}: {runs[name][-1][0]:.2f} s", file=sys.stderr)
    result = {k: {"seconds": statistics.median(w for w, _ in r), "cpu_seconds": statistics.median(c for _, c in r),
                  "runs": len(r)} for k, r in runs.items()}
    print("\n| process | median wall s | median CPU s | runs |\n|---|---:|---:|---:|")
    for name, r in result.items():
        print(f"| {name} | {r['seconds']:.2f} | {r['cpu_seconds']:.2f} | {r['runs']} |")
    args.out_json.parent.mkdir(parents=True, exist_ok=True)
    args.out_json.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    slow = [k for k in ("salesxl --version", "salesxl --help", "salesxl validate --help")
            if result[k]["seconds"] >= 0.3]
    print(f"\ntarget --help/--version < 0.3 s: {'met' if not slow else 'missed (wall) by ' + ', '.join(slow)}")


if __name__ == "__main__":
    main()
