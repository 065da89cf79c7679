"""回款预测 · payment behaviour and the collections forecast (issue 19, items 4–5).

**Payment behaviour** (付款习惯).  How many days after the due date a customer pays, read off the
ledger's own allocations — the FIFO offset of spec §3 (:func:`salesxl.core.ledger.prepare` and
:func:`salesxl.core.ledger.allocate`, the very pieces behind ``salesxl offset``'s 核销明细), not a
second reckoning.  An allocation counts when

* its credit is a payment (回款) or a prepayment (预收) — a return (退货) sends goods back, it
  pays nothing;
* its debit is a sales item (销售) — a refund (退款) has no payment terms;
* the credit is dated on or after the debit: a prepayment made before the goods existed says
  nothing about how the customer pays an invoice (it is applied when the sale comes, and the
  open items a forecast is about are by definition not prepaid);
* the credit is dated in the last :data:`BEHAVIOUR_MONTHS` (12) calendar months: after D − 12
  months and on or before D (the level's window convention).

For each such piece, days late = the credit's 日期 − the debit's 到期日 (negative: paid before
due).  A customer's **average days late** is the amount-weighted mean of those days over its
pieces: Σ(fen × days) / Σ fen.  Its **shift** is that mean rounded half up to whole days
(exact integer arithmetic).  A customer with no counted piece takes the company's shift (the
same mean over every customer's pieces), and 0 when the company has none either; ``basis``
says which (``own`` / ``company`` / ``none``).

**Forecast.**  Every open item of the ledger as of D (what remains of a debit, Σ = receivable)
is expected at its 到期日 + its customer's shift.  An item whose expected date E is already past
(E ≤ D) is expected "as late again": at D + (D − E), at least D + 1 — a customer already k days
later than its habit tends to take about as long again (on the demo company this halves the
first week's error against putting every such item in the first week, see the backtest) —
except **doubtful** items (存疑): those overdue more than 参数
``停发逾期天数`` (default 90, the stop-shipment threshold) days, which are not expected within
the horizon at all and are listed apart.  The periods: the next :data:`WEEKS` (8) ISO weeks —
the first is the week holding D + 1, counted from D + 1, when at least four of its days are left
(ISO's own Thursday rule), else those one to three days join the following ISO week, so the
first week has 4 to 10 days and is never a lone weekend — and the next :data:`MONTHS` (3)
calendar months, likewise counted from D + 1; what falls after them is ``later``.  For each
view, Σ periods + later + doubtful = Σ open items = the ledger's receivable.  Money is exact
int64 fen; a period's customers are listed with their amounts, largest first.

What it does not include: sales made after D (their collections are not yet receivable), and
prepayments for future orders; the backtest (:mod:`salesxl.core.forecast_backtest`) measures
what that leaves out.  Pure: no file I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from salesxl.core import ledger
from salesxl.core.findings import Finding
from salesxl.core.tables import Book

__all__ = [
    "BEHAVIOUR_MONTHS", "FORECAST_SHEETS", "FORECAST_REQUIRES", "MONTHS", "WEEKS", "CollectionsForecast",
    "Periods", "behaviour_window_start", "forecast", "forecast_from_input", "iso_week_label", "payment_behaviour",
    "shift_days",
]

#: The window of the payment behaviour, in calendar months before D.
BEHAVIOUR_MONTHS = 12
#: Horizons of the forecast.
WEEKS = 8
MONTHS = 3
#: What the forecast reads (the ledger's sheets without 发货: it ships nothing).
FORECAST_SHEETS = ("客户档案", "销售", "收款", "参数")
FORECAST_REQUIRES = ("客户档案", "销售", "收款")

_EPOCH = np.datetime64("1970-01-01", "D")
_PAYING = (ledger.PREPAYMENT, ledger.PAYMENT)


def _day_number(day: date) -> int:
    return int((np.datetime64(day, "D") - _EPOCH).astype(np.int64))


def _date(day: int) -> date:
    return date(1970, 1, 1) + timedelta(days=int(day))


def behaviour_window_start(as_of: date, months: int = BEHAVIOUR_MONTHS) -> date:
    """The window's bound: credits dated *after* this day (and on or before ``as_of``) count."""
    return (pd.Timestamp(as_of) - pd.DateOffset(months=months)).date()


def shift_days(weighted: np.ndarray, paid: np.ndarray) -> np.ndarray:
    """Σ(fen × days) / Σ fen rounded half up to whole days, exactly (0 where nothing was paid).

    ``floor((2w + p) / 2p)``: integer floor division rounds a half toward +∞, for early (negative)
    and late payers alike."""
    w, p = np.asarray(weighted, dtype=np.int64), np.asarray(paid, dtype=np.int64)
    safe = np.where(p > 0, p, 1)
    return np.where(p > 0, (2 * w + safe) // (2 * safe), 0)


@dataclass
class Periods:
    """One view of the forecast (weeks or months).

    ``table``: period (``2026-W45`` / ``2026-11``), start, end (dates; the first starts at D + 1),
    amount (fen), customers (how many) — one row per period, in order.  ``customers``: period,
    customer_id, customer_name, salesperson, amount, items — who makes up each period, largest
    first.  ``later``: fen expected after the last period.
    """

    table: pd.DataFrame
    customers: pd.DataFrame
    later: int

    def customers_of(self, period: str) -> pd.DataFrame:
        return self.customers[self.customers["period"] == period]


@dataclass
class CollectionsForecast:
    """The collections forecast as of ``as_of`` (money int64 fen).

    ``behaviour``: one row per customer of the ledger's universe (客户编号 order): customer_id,
    customer_name, salesperson, paid (fen of counted allocations in the window), avg_days_late
    (float, NaN without history), shift (whole days applied), basis (own / company / none),
    receivable (Σ open items).  ``items``: the open items — customer_id, doc_no, kind, row, date,
    due_date, open, overdue_days, expected (date), doubtful (bool).  ``weeks``/``months``: the
    two views (:class:`Periods`); ``doubtful``: fen of the doubtful items; ``company_days``:
    the company's average days late (None without history), ``company_shift`` its rounding.
    """

    as_of: date
    window_start: date
    doubtful_after: int
    company_days: float | None
    company_shift: int
    behaviour: pd.DataFrame
    items: pd.DataFrame
    weeks: Periods
    months: Periods
    doubtful: int
    findings: list[Finding] = field(default_factory=list)
    path: str | None = None
    company: str = ""
    written: Any = None
    """Where the forecast workbook went, when it was written (a :class:`pathlib.Path`)."""

    @property
    def open_total(self) -> int:
        return int(self.items["open"].sum())

    def doubtful_customers(self) -> pd.DataFrame:
        """customer_id, customer_name, amount, items, max_overdue_days of the doubtful items."""
        d = self.items[self.items["doubtful"]]
        if d.empty:
            return pd.DataFrame({"customer_id": [], "customer_name": [], "amount": [], "items": [],
                                 "max_overdue_days": []})
        g = d.groupby("customer_id", sort=False, observed=True).agg(
            customer_name=("customer_name", "first"), amount=("open", "sum"), items=("open", "size"),
            max_overdue_days=("overdue_days", "max")).reset_index()
        return g.sort_values(["amount", "customer_id"], ascending=[False, True], kind="stable").reset_index(drop=True)


def iso_week_label(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _texts(arr: pa.Array, codes: np.ndarray) -> np.ndarray:
    """Per-code texts (nulls as None) taken at ``codes``."""
    values = np.array(arr.to_pylist(), dtype=object)
    return values[codes] if len(codes) else np.array([], dtype=object)


def _behaviour(d: ledger.Items, c: ledger.Items, n: int, dj: np.ndarray, cj: np.ndarray, amount: np.ndarray,
               start: int, cut: int) -> tuple[np.ndarray, np.ndarray]:
    """(paid fen, Σ fen × days late) per customer code over the counted allocation pieces
    (debit item ``dj``, credit item ``cj``, ``amount`` fen each)."""
    c_day = c.day[cj]
    use = ((d.kind[dj] == ledger.SALE) & np.isin(c.kind[cj], _PAYING) & (c_day >= d.day[dj])
           & (c_day > start) & (c_day <= cut))
    cust, fen = d.cust[dj][use], amount[use]
    late = c_day[use] - d.due[dj][use]
    return ledger.group_sums(cust, fen, n), ledger.group_sums(cust, fen * late, n)


def forecast_from_input(inp: ledger.LedgerInput, as_of: date, *, weeks: int = WEEKS, months: int = MONTHS,
                        doubtful_after: int | None = None, use_behaviour: bool = True) -> CollectionsForecast:
    """The forecast as of ``as_of`` from a book already cut into ledger items (``inp`` prepared
    as of ``as_of`` or later: items dated after ``as_of`` are left out here, so a backtest
    prepares once and forecasts at many dates).

    ``doubtful_after``: overdue days beyond which an item is doubtful (default 参数
    停发逾期天数); ``use_behaviour=False`` expects every item at its due date (the backtest's
    baseline)."""
    cut = _day_number(as_of)
    n = inp.n_customers
    doubtful_after = inp.settings.stop_shipment_days if doubtful_after is None else int(doubtful_after)
    d = inp.debits.take(np.flatnonzero(inp.debits.day <= cut))
    c = inp.credits.take(np.flatnonzero(inp.credits.day <= cut))
    d_order, c_order = d.order(), c.order()
    d_cust, d_amount = d.cust[d_order], d.amount[d_order]
    di, ci, amount = ledger.allocate(d_cust, d_amount, c.cust[c_order], c.amount[c_order], n)
    open_fen = d_amount - ledger.paid_part(d_cust, d_amount, ledger.group_sums(c.cust, c.amount, n))

    start = behaviour_window_start(as_of)
    paid, weighted = _behaviour(d, c, n, d_order[di], c_order[ci], amount, _day_number(start), cut)
    own = paid > 0
    total_paid, total_weighted = int(paid.sum()), int(weighted.sum())
    company_shift = int(shift_days(np.array([total_weighted]), np.array([total_paid]))[0])
    shift = np.where(own, shift_days(weighted, paid), company_shift if total_paid else 0)
    if not use_behaviour:
        shift = np.zeros(n, dtype=np.int64)
    basis = np.where(own, "own", "company" if total_paid else "none")

    at = np.flatnonzero(open_fen > 0)
    o = d.take(d_order[at])
    left = open_fen[at]
    overdue = np.maximum(cut - o.due, 0)
    doubtful = overdue > doubtful_after
    expected = o.due + shift[o.cust]
    # Past its expected date: as late again as it already is (at least the next day).
    effective = np.where(expected <= cut, cut + np.maximum(cut - expected, 1), expected)

    names, reps = _texts(inp.names, np.arange(n)), _texts(inp.salespeople, np.arange(n))
    ids = np.array(inp.ids.to_pylist(), dtype=object)
    receivable = ledger.group_sums(o.cust, left, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        avg = np.where(own, np.round(weighted / np.where(own, paid, 1), 1), np.nan)
    behaviour = pd.DataFrame({
        "customer_id": ids, "customer_name": names, "salesperson": reps, "paid": paid,
        "avg_days_late": avg.astype(np.float64), "shift": shift.astype(np.int64), "basis": basis,
        "receivable": receivable,
    })
    items = pd.DataFrame({
        "customer_id": ids[o.cust] if len(o) else np.array([], dtype=object),
        "customer_name": names[o.cust] if len(o) else np.array([], dtype=object),
        "doc_no": _doc_texts(inp.docs, o.doc),
        "kind": np.array(ledger.KINDS, dtype=object)[o.kind],
        "row": o.row,
        "date": _as_dates(o.day),
        "due_date": _as_dates(o.due),
        "open": left,
        "overdue_days": overdue,
        "expected": _as_dates(effective),
        "doubtful": doubtful,
    })
    first = cut + 1
    weekday = (first + 3) % 7  # Monday 0 (1970-01-01 was a Thursday)
    # The first week is D + 1's ISO week when at least four of its days are left (ISO's own
    # Thursday rule), else those days join the next ISO week: it has 4 to 10 days.
    week0 = first - weekday + (7 if weekday >= 4 else 0)
    week_of = np.where(doubtful, -1, np.maximum((effective - week0) // 7, 0))
    month_first = _months(np.array([first]))[0]
    month_of = np.where(doubtful, -1, _months(effective) - month_first)
    week_bounds = [(first if k == 0 else week0 + 7 * k, week0 + 7 * k + 6) for k in range(weeks)]
    week_labels = [iso_week_label(_date(week0 + 7 * k)) for k in range(weeks)]
    month_bounds, month_labels = [], []
    for k in range(months):
        m = np.datetime64(int(month_first + k), "M")
        lo = int((m.astype("datetime64[D]") - _EPOCH).astype(np.int64))
        hi = int(((m + 1).astype("datetime64[D]") - _EPOCH).astype(np.int64)) - 1
        month_bounds.append((max(lo, first), hi))
        month_labels.append(str(m))
    return CollectionsForecast(
        as_of=as_of, window_start=start, doubtful_after=doubtful_after,
        company_days=round(total_weighted / total_paid, 1) if total_paid else None,
        company_shift=company_shift if total_paid else 0,
        behaviour=behaviour, items=items,
        weeks=_periods(week_of, weeks, week_labels, week_bounds, o.cust, left, ids, names, reps),
        months=_periods(month_of, months, month_labels, month_bounds, o.cust, left, ids, names, reps),
        doubtful=int(left[doubtful].sum()),
    )


def _doc_texts(docs: pa.Array, codes: np.ndarray) -> np.ndarray:
    """The doc nos of the open items only (a book has a million distinct ones), None for blank."""
    taken = docs.take(pa.array(np.maximum(codes, 0), mask=codes < 0)) if len(docs) else pa.nulls(len(codes))
    return np.array(taken.to_pylist(), dtype=object)


def _as_dates(days: np.ndarray) -> np.ndarray:
    return (np.asarray(days, dtype=np.int64).astype("timedelta64[D]") + _EPOCH).astype("datetime64[s]")


def _months(days: np.ndarray) -> np.ndarray:
    """Month number (months since 1970-01) of each day number."""
    return (np.asarray(days, dtype=np.int64).astype("timedelta64[D]") + _EPOCH).astype("datetime64[M]").astype(np.int64)


def _periods(period: np.ndarray, k: int, labels: list[str], bounds: list[tuple[int, int]], cust: np.ndarray,
             fen: np.ndarray, ids: np.ndarray, names: np.ndarray, reps: np.ndarray) -> Periods:
    """Sum the items per period and per (period, customer); ``period`` −1 = doubtful, ≥ k later."""
    inside = (period >= 0) & (period < k)
    later = int(fen[(period >= k)].sum())
    n = len(ids)
    p, cu, f = period[inside], cust[inside], fen[inside]
    amount = ledger.group_sums(p, f, k)
    key = p * max(n, 1) + cu
    uniq, inverse = np.unique(key, return_inverse=True)
    sums = ledger.group_sums(inverse, f, len(uniq))
    counts = np.bincount(inverse, minlength=len(uniq)).astype(np.int64)
    up, uc = uniq // max(n, 1), uniq % max(n, 1)
    order = np.lexsort((ids[uc].astype(str) if len(uc) else uc, -sums, up))
    up, uc, sums, counts = up[order], uc[order], sums[order], counts[order]
    label_arr = np.array(labels, dtype=object)
    customers = pd.DataFrame({
        "period": label_arr[up] if len(up) else np.array([], dtype=object),
        "customer_id": ids[uc] if len(uc) else np.array([], dtype=object),
        "customer_name": names[uc] if len(uc) else np.array([], dtype=object),
        "salesperson": reps[uc] if len(uc) else np.array([], dtype=object),
        "amount": sums, "items": counts,
    })
    table = pd.DataFrame({
        "period": labels,
        "start": _as_dates(np.array([b[0] for b in bounds], dtype=np.int64)),
        "end": _as_dates(np.array([b[1] for b in bounds], dtype=np.int64)),
        "amount": amount,
        "customers": np.bincount(up, minlength=k).astype(np.int64) if len(up) else np.zeros(k, dtype=np.int64),
    })
    return Periods(table, customers, later)


def forecast(book: Book, *, as_of: date, weeks: int = WEEKS, months: int = MONTHS,
             doubtful_after: int | None = None) -> CollectionsForecast:
    """回款预测 of ``book`` as of ``as_of`` (see the module's docstring for the method)."""
    result = forecast_from_input(ledger.prepare(book, as_of), as_of, weeks=weeks, months=months,
                                 doubtful_after=doubtful_after)
    result.path = book.path
    result.company = book.settings.company_name or ""
    return result


def payment_behaviour(book: Book, *, as_of: date) -> pd.DataFrame:
    """Each customer's payment behaviour as of ``as_of``: :attr:`CollectionsForecast.behaviour`."""
    return forecast(book, as_of=as_of).behaviour


def summary_line(fc: CollectionsForecast) -> dict[str, Any]:
    """The headline figures (for a console or a report's note)."""
    return {"open": fc.open_total, "weeks": int(fc.weeks.table["amount"].sum()),
            "months": int(fc.months.table["amount"].sum()), "doubtful": fc.doubtful}
