"""Backtest of the collections forecast on the demo company (issue 19, item 5).

    python bench/backtest_forecast.py [--book workbooks/demo.xlsx] [--months 12]

Forecasts as of each month end of the demo company's first year (2024-11-30 … 2025-10-31) and
compares every period of both views (8 ISO weeks, 3 months) with the collections actually booked
in it (spec §3: prepayments + payments − refunds), using
:func:`salesxl.core.forecast_backtest.backtest`.  Prints, per horizon, MAPE (mean over the origins
of |forecast − actual| / actual), WAPE (Σ|F − A| / ΣA) and the total bias (ΣF / ΣA − 1), for the
forecast and for the due-date baseline (every item expected at its 到期日, no payment
behaviour).  Builds the demo company in a temporary folder when no book is given.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--book", type=Path, default=None)
    parser.add_argument("--months", type=int, default=12, help="origins: this many month ends from the start")
    args = parser.parse_args()
    from salesxl.core.forecast import FORECAST_SHEETS
    from salesxl.core.forecast_backtest import backtest, month_ends
    from salesxl.demo import DEMO_START, build_demo
    from salesxl.io.reading import read_book

    with tempfile.TemporaryDirectory() as tmp:
        path = args.book or build_demo(Path(tmp) / "demo")
        book = read_book(path, sheets=FORECAST_SHEETS)
        origins = month_ends(DEMO_START, args.months)
        bt = backtest(book, origins)
    rows = bt.rows
    print(f"origins: {origins[0]} … {origins[-1]} ({len(origins)} month ends)\n")
    print("| view | horizon | Σ forecast | Σ actual | MAPE | WAPE | bias | baseline MAPE | baseline bias |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")

    def pct(v: float | None) -> str:
        return "—" if v is None or v != v else f"{v:.0%}"

    def signed(v: float | None) -> str:
        return "—" if v is None or v != v else f"{v:+.0%}"

    for e in bt.errors.itertuples(index=False):
        g = rows[(rows["view"] == e.view) & (rows["horizon"] == e.horizon)]
        print(f"| {e.view} | {e.horizon} | {int(g['forecast'].sum()) / 100:,.0f} | {int(g['actual'].sum()) / 100:,.0f} "
              f"| {pct(e.mape)} | {pct(e.wape)} | {signed(e.bias)} | {pct(e.mape_baseline)} | {signed(e.bias_baseline)} |")


if __name__ == "__main__":
    main()
