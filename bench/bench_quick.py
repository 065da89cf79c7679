"""Small speed checks that used to be assertions in the test suite, where a loaded machine
failed them (issue 14, point 15): speed belongs here, the tests keep what is computed.

    python bench/bench_quick.py [--repeat 3]

* the small demo company built (``build_demo``; target < 10 s);
* each ``SALESXL_*`` worksheet function on 100,000 rows in one call (target < 1 s each: a
  recalculation must not freeze Excel);
* the seeded 300-customer clustered zone of tests/test_routes.py routed by ``solve_zone``
  (target < 1 s; its distance stays a test);
* the rules of spec §2 on a synthetic book of 200,000 sales lines and 20,000 customers
  (``validate_book``; target < 5 s; the scale book's full command: bench/bench_validate.py).

Best of ``--repeat`` in this process (these are in-process calls, not start-up); a target
missed is printed, not raised: on a noisy machine read the figures, not a verdict.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
N = 100_000


def best(repeat: int, func: Callable[[], Any]) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()
        times.append(time.perf_counter() - t0)
    return min(times)


def udf_inputs() -> dict[str, tuple[Callable[..., Any], tuple[Any, ...]]]:
    import numpy as np

    from salesxl.core import worksheet_functions as wf

    rng = np.random.default_rng(2026)
    yuan = (rng.integers(0, 10_000_000, N) / 100).tolist()
    amounts = [[v] for v in yuan]
    texts = [[f"¥{v:,.2f}" if i % 3 else f"{v / 10000:.6f}万"] for i, v in enumerate(yuan)]
    codes = [["91350100M000100Y43" if i % 2 else "91350100M000100Y44"] for i in range(N)]
    phones = [[13812345678.0 if i % 2 else "0571-88123456"] for i in range(N)]
    start = dt.datetime(2024, 1, 1)
    dates = [[start + dt.timedelta(days=i % 900)] if i % 2 else [45292.0 + i % 900] for i in range(N)]
    ids = [[f"KH{i:06d}"] for i in range(N)]
    sales = [["日期", "单号", "客户编号", "产品", "数量", "金额"]] + [
        [dates[i][0], f"S{i}", ids[i % 5000][0], "钢丝绳", 1.0, yuan[i]] for i in range(N)]
    as_of = dt.datetime(2026, 10, 31)
    return {
        "SALESXL_AMOUNT numbers": (wf.amount, (amounts,)),
        "SALESXL_AMOUNT text": (wf.amount, (texts,)),
        "SALESXL_USCC_VALID": (wf.uscc_valid, (codes,)),
        "SALESXL_PHONE_VALID": (wf.phone_valid, (phones,)),
        "SALESXL_LEVEL": (wf.level, (amounts, ids)),
        "SALESXL_AGING": (wf.aging, (dates, amounts, as_of)),
        "SALESXL_BALANCE (5,000 customers)": (wf.balance, (ids[:5000], sales, None, as_of)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "tests"))  # the tests' seeded instances, not a copy of them

    from salesxl.core.routes import solve_zone
    from salesxl.core.validation import validate_book
    from salesxl.demo import build_demo
    from test_routes import clustered  # type: ignore[import-not-found]
    from test_validation import AS_OF, synthetic_book  # type: ignore[import-not-found]

    rows: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        rows.append(("build_demo (small)", best(args.repeat, lambda: build_demo(Path(tmp), seed=2026)), 10.0))
    for label, (func, fargs) in udf_inputs().items():
        rows.append((f"{label}, {N:,} rows", best(args.repeat, lambda f=func, a=fargs: f(*a)), 1.0))
    lat, lon = clustered(300, 2024)
    rows.append(("solve_zone, 300 clustered customers", best(args.repeat, lambda: solve_zone(lat, lon, 8)), 1.0))
    book = synthetic_book(200_000, 20_000)
    rows.append(("validate_book, 200,000 sales lines", best(args.repeat, lambda: validate_book(book, as_of=AS_OF)), 5.0))

    print("\n| check | best s | target s | |\n|---|---:|---:|---|")
    for label, seconds, target in rows:
        print(f"| {label} | {seconds:.2f} | < {target:g} | {'ok' if seconds < target else 'MISSED'} |")


if __name__ == "__main__":
    main()
