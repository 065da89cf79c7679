"""The collections forecast measured against what was actually collected (issue 19, item 5).

For each origin D (e.g. every month end of a year), :func:`backtest` forecasts as of D
(:func:`salesxl.core.forecast.forecast_from_input`) and compares each period of each view with
the collections actually booked in it — spec §3 "Monthly summary": Σ prepayments and payments
− Σ refunds dated in the period — read from the same book's later rows.

Per horizon (week 1 … 8, month 1 … 3), over the origins:

* **MAPE** = mean over origins with actual > 0 of |forecast − actual| / actual;
* **WAPE** = Σ |forecast − actual| / Σ actual (the large periods weigh more);
* **bias** = Σ forecast / Σ actual − 1 (negative: the forecast falls short).

The forecast only knows the receivable open at D; the actual collections also include payments
for goods sold after D and prepayments for future orders, so a negative bias that grows with the
horizon is expected and is part of the honest figure.  ``baseline`` rows do the same with every
item expected at its due date (no payment behaviour), to show what the behaviour adds.  Pure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from salesxl.core import ledger
from salesxl.core.forecast import MONTHS, WEEKS, forecast_from_input
from salesxl.core.tables import Book

__all__ = ["Backtest", "actual_collections", "backtest", "error_table", "month_ends"]

_EPOCH = np.datetime64("1970-01-01", "D")


@dataclass
class Backtest:
    """``rows``: origin, view (week / month), horizon (1-based), period, start, end, forecast,
    baseline, actual (fen).  ``errors``: view, horizon, origins, mape, wape, bias and the
    baseline's mape_baseline, wape_baseline, bias_baseline (ratios; None where undefined)."""

    rows: pd.DataFrame
    errors: pd.DataFrame


def month_ends(first: date, count: int) -> list[date]:
    """The last days of ``count`` months from ``first``'s month."""
    start = pd.Timestamp(first.replace(day=1))
    return [(start + pd.DateOffset(months=k + 1) - pd.Timedelta(days=1)).date() for k in range(count)]


def actual_collections(inp: ledger.LedgerInput) -> tuple[np.ndarray, np.ndarray]:
    """(day number, signed fen) of every collection in the prepared book: prepayments and
    payments add, refunds subtract (spec §3 collections)."""
    c, d = inp.credits, inp.debits
    pay = np.isin(c.kind, (ledger.PREPAYMENT, ledger.PAYMENT))
    refund = d.kind == ledger.REFUND
    return (np.concatenate([c.day[pay], d.day[refund]]),
            np.concatenate([c.amount[pay], -d.amount[refund]]))


def _between(days: np.ndarray, fen: np.ndarray, start: pd.Series, end: pd.Series) -> np.ndarray:
    """Σ fen of the days within each [start, end] (inclusive), exact."""
    order = np.argsort(days, kind="stable")
    days, cum = days[order], np.concatenate([[0], np.cumsum(fen[order])])
    lo = (np.asarray(start, dtype="datetime64[D]") - _EPOCH).astype(np.int64)
    hi = (np.asarray(end, dtype="datetime64[D]") - _EPOCH).astype(np.int64)
    return cum[np.searchsorted(days, hi, side="right")] - cum[np.searchsorted(days, lo, side="left")]


def backtest(book: Book, origins: Iterable[date], *, weeks: int = WEEKS, months: int = MONTHS,
             doubtful_after: int | None = None) -> Backtest:
    """Forecast as of each origin and compare with the collections booked afterwards.

    The book is cut into ledger items once (as of the last day any period reaches); each
    forecast drops the items dated after its origin."""
    origins = sorted(origins)
    last = (pd.Timestamp(origins[-1]) + pd.DateOffset(months=months + 1)).date()
    inp = ledger.prepare(book, last)
    days, fen = actual_collections(inp)
    parts = []
    for origin in origins:
        fc = forecast_from_input(inp, origin, weeks=weeks, months=months, doubtful_after=doubtful_after)
        base = forecast_from_input(inp, origin, weeks=weeks, months=months, doubtful_after=doubtful_after,
                                   use_behaviour=False)
        for view, ours, theirs in (("week", fc.weeks, base.weeks), ("month", fc.months, base.months)):
            t = ours.table
            parts.append(pd.DataFrame({
                "origin": origin, "view": view, "horizon": np.arange(1, len(t) + 1), "period": t["period"],
                "start": t["start"], "end": t["end"], "forecast": t["amount"].to_numpy(),
                "baseline": theirs.table["amount"].to_numpy(), "actual": _between(days, fen, t["start"], t["end"]),
            }))
    rows = pd.concat(parts, ignore_index=True)
    return Backtest(rows, error_table(rows))


def _ratios(f: np.ndarray, a: np.ndarray) -> tuple[float | None, float | None, float | None]:
    positive = a > 0
    mape = float(np.mean(np.abs(f[positive] - a[positive]) / a[positive])) if positive.any() else None
    total = int(a.sum())
    wape = float(np.abs(f - a).sum() / total) if total > 0 else None
    bias = float(f.sum() / total - 1) if total > 0 else None
    return mape, wape, bias


def error_table(rows: pd.DataFrame) -> pd.DataFrame:
    """MAPE, WAPE and bias per (view, horizon), of the forecast and of the due-date baseline."""
    out = []
    for (view, horizon), g in rows.groupby(["view", "horizon"], sort=False):
        a = g["actual"].to_numpy(dtype=np.int64)
        mape, wape, bias = _ratios(g["forecast"].to_numpy(dtype=np.int64), a)
        mb, wb, bb = _ratios(g["baseline"].to_numpy(dtype=np.int64), a)
        out.append({"view": view, "horizon": int(horizon), "origins": len(g), "mape": mape, "wape": wape,
                    "bias": bias, "mape_baseline": mb, "wape_baseline": wb, "bias_baseline": bb})
    return pd.DataFrame(out)
