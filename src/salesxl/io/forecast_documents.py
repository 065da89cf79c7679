"""The ``salesxl forecast --json`` document, serialised at the edge from the core's result.

Shape (amounts as strings with two decimals, dates ``YYYY-MM-DD``, spec §5 conventions)::

    {"as_of", "open_total",
     "method": {"window_start", "company_days_late" (number or null), "company_shift",
                "doubtful_after_days"},
     "weeks":  [{"week": "2026-W45", "start", "end", "amount",
                 "customers": [{"customer_id", "customer_name", "amount", "items"}]}],
     "months": [{"month": "2026-11", "start", "end", "amount", "customers": [...]}],
     "later": {"after_weeks", "after_months"},
     "doubtful": {"amount", "customers": [{"customer_id", "customer_name", "amount", "items",
                                           "max_overdue_days"}]},
     "customers": [{"customer_id", "customer_name", "receivable", "paid_12m",
                    "avg_days_late" (number or null), "shift_days", "basis"}]}

A period's customers are largest first; ``customers`` lists those with a receivable or a
counted payment, in 客户编号 order; ``basis`` is ``own``, ``company`` or ``none``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from salesxl.core.forecast import CollectionsForecast, Periods
from salesxl.core.money import fen_to_str

__all__ = ["forecast_document"]


def _day(v: Any) -> str:
    return pd.Timestamp(v).date().isoformat()


def _text(v: Any) -> str | None:
    return None if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)


def _periods(view: Periods, key: str) -> list[dict[str, Any]]:
    by: dict[str, list[dict[str, Any]]] = {}
    c = view.customers
    for period, cid, name, amount, items in zip(c["period"], c["customer_id"], c["customer_name"], c["amount"],
                                                c["items"], strict=True):
        by.setdefault(period, []).append({"customer_id": _text(cid), "customer_name": _text(name),
                                          "amount": fen_to_str(int(amount)), "items": int(items)})
    return [{key: str(r.period), "start": _day(r.start), "end": _day(r.end), "amount": fen_to_str(int(r.amount)),
             "customers": by.get(str(r.period), [])} for r in view.table.itertuples(index=False)]


def forecast_document(fc: CollectionsForecast) -> dict[str, Any]:
    """The ``forecast`` JSON document of ``fc`` (see the module's docstring)."""
    b = fc.behaviour
    b = b[(b["receivable"] > 0) | (b["paid"] > 0)]
    doubt = fc.doubtful_customers()
    return {
        "as_of": fc.as_of.isoformat(),
        "open_total": fen_to_str(fc.open_total),
        "method": {"window_start": fc.window_start.isoformat(), "company_days_late": fc.company_days,
                   "company_shift": fc.company_shift, "doubtful_after_days": fc.doubtful_after},
        "weeks": _periods(fc.weeks, "week"),
        "months": _periods(fc.months, "month"),
        "later": {"after_weeks": fen_to_str(fc.weeks.later), "after_months": fen_to_str(fc.months.later)},
        "doubtful": {"amount": fen_to_str(fc.doubtful), "customers": [
            {"customer_id": _text(r.customer_id), "customer_name": _text(r.customer_name),
             "amount": fen_to_str(int(r.amount)), "items": int(r.items), "max_overdue_days": int(r.max_overdue_days)}
            for r in doubt.itertuples(index=False)]},
        "customers": [
            {"customer_id": _text(cid), "customer_name": _text(name), "receivable": fen_to_str(int(rec)),
             "paid_12m": fen_to_str(int(paid)), "avg_days_late": None if pd.isna(avg) else float(avg),
             "shift_days": int(shift), "basis": str(basis)}
            for cid, name, rec, paid, avg, shift, basis in zip(
                b["customer_id"], b["customer_name"], b["receivable"], b["paid"], b["avg_days_late"], b["shift"],
                b["basis"], strict=True)],
    }
