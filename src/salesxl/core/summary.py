"""月度汇总 · the monthly summary (spec §3 "Monthly summary", §5 ``summary``).

A sales office reports every month to its management: what was sold and collected, what is owed
and how late, who the customers are (level, region, product), how each salesperson did against
target, and what it cost.  :func:`monthly_summary` computes all of it for month M as of D, M's
last day; :mod:`salesxl.io.report` lays it out as the 月报 workbook and :meth:`MonthlySummary.to_json`
gives the spec §5 document.

Everything is computed over whole columns, once.  The book's rows are coded by the ledger
(:func:`salesxl.core.ledger.prepare`, as of D) and three kinds of per-customer matrix are built
in one pass each, with a column per calendar month around M:

* net ledger balance at every month end (Σ debits − Σ credits, cumulated over the months), which
  gives receivable and prepaid at any month end without a FIFO offset;
* the last sale up to every month end, which gives each customer's status (spec §3) at any month
  end, hence who was lost or came back;
* sales and collections per month (totals), for the 12-month trend and the comparisons.

Overdue needs the FIFO open amount of every debit, which is one cumulative sum per cut-off date
(:func:`salesxl.core.ledger.paid_part` on the items dated up to it), done for D, the previous
month end and the month end a year earlier.  Money is int64 fen throughout; the shares and
ratios shown are the only floats, and attainment is rounded half-up to 4 decimals from exact
integers.

Where the spec is silent, the choices here:

* A sales line counts when the ledger counts it: a readable date, a 客户编号 and an amount
  (金额, else 数量 × 单价), signed by its 数量 (:func:`salesxl.core.ledger.sale_directions`).
  A line whose customer is not on 客户档案 (the validator's ``unknown-customer``) still counts in
  the month's sales; its level is C and its region ``未填省份``, so every composition table adds
  up to the month's sales.
* Collections are per the ledger's receipts: 预收 and 回款 add, 退款 subtracts; by salesperson
  they go to the customer's 业务员 (spec).  Lines and receipts without a salesperson are grouped
  under ``None`` (the report's "（未指定）").
* The customers are the universe of :mod:`salesxl.core.customers` (every card, and every ID
  found only on 销售/收款 rows), the same set offset and classify list: 等级构成, the status
  counts, 客户动态 and the credit-grade mix all count it, so their totals agree.  An ID not on
  客户档案 is level C (the Pareto ranking is over the cards), its status follows its sales.
* Status changes between the previous month end and D:
  **lost (流失)** = 新客户 or 现有客户 then, 流失客户 now (the customer's last sale has just passed
  ``活跃天数``); **reactivated (回流)** = 流失客户 then, 现有客户 now (it bought again in M).
  A prospect's first trade is a **new customer** (spec: first trade in M).
* The credit-grade mix covers every customer (one missing from 客户档案 is graded by its
  overdue days too, by the same :func:`salesxl.core.customers.credit_grades` as classify), so it
  adds up to the receivable; prospects have no grade.
* Buyers (成交客户) are customers with a sale line (not only a return) in the month.
* 目标 and 业务员: the first row of a (month, salesperson) or a salesperson counts (a repeat is the
  validator's ``duplicate-id``).  A salesperson without 提成比例 earns no commission (0.00).
  Attainment is null without a target and for a zero target.
* The salespeople listed are those of the 业务员 sheet (in its order, even without activity),
  then anyone else with a sale, collection, visit, expense or target in M (by name), then the
  unassigned group.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from salesxl.core import ledger
from salesxl.core.classification import LEVEL_NAMES, STATUS_NAMES, levels, statuses
from salesxl.core.customers import credit_grades, not_on_file
from salesxl.core.findings import Finding
from salesxl.core.identifiers import card_provinces
from salesxl.core.money import fen_to_str
from salesxl.core.periods import Period
from salesxl.core.plans import read_plan, sub_target_frame
from salesxl.core.tables import ROW, Book, day_numbers
from salesxl.errors import BadArguments

__all__ = [
    "GRADE_NAMES",
    "MOVEMENT_NAMES",
    "NO_PRODUCT",
    "NO_PROVINCE",
    "SUMMARY_REQUIRES",
    "SUMMARY_SHEETS",
    "MonthlySummary",
    "monthly_summary",
    "parse_month",
    "report_name",
]

#: The sheets a summary reads (every contract sheet but 发货 and 信用政策, which it never uses).
SUMMARY_SHEETS = ("客户档案", "销售", "收款", "拜访", "费用", "目标", "业务员", "参数", "价目表")
#: Without these the month's figures would be silently wrong: a missing one is a finding.
SUMMARY_REQUIRES = ("客户档案", "销售", "收款")

NO_PROVINCE = "未填省份"
NO_PRODUCT = "未填产品"
NO_CITY = "未填城市"
NO_CATEGORY = "未填类别"
#: Movement code → label (客户动态).
MOVEMENT_NAMES = {"new": "新客户", "reactivated": "回流客户", "lost": "流失客户"}
#: Credit grade → meaning (信用分析); ``None`` is a prospect, which has no grade.
GRADE_NAMES = {"A": "无逾期", "B": "逾期≤30天", "C": "逾期31–90天", "D": "逾期>90天", None: "潜在客户（无交易）"}

Progress = Callable[[str, int, int], None]
_EPOCH = np.datetime64("1970-01-01", "D")
_STEPS = 6


# ---------------------------------------------------------------------------------------------
# Months


def parse_month(text: str | date) -> date:
    """``"2026-10"`` (also ``2026/10``, ``2026年10月``, or a date in the month) → 2026-10-01;
    anything else is a bad argument (the CLI's exit 2)."""
    if isinstance(text, date):
        return text.replace(day=1)
    raw = str(text).strip()
    parts = raw.replace("年", "-").replace("月", "").replace("/", "-").replace(".", "-").split("-")
    try:
        if len(parts) not in (2, 3) or not all(p.strip().isdigit() for p in parts):
            raise ValueError(raw)
        year, month = int(parts[0]), int(parts[1])
        day = date(year, month, int(parts[2]) if len(parts) == 3 else 1)
        if year < 1900:
            raise ValueError(raw)
    except ValueError:
        raise BadArguments(
            f"--month 的月份「{raw}」无效，应为 YYYY-MM，如 2026-10",
            f"--month '{raw}' is not a month; use YYYY-MM, e.g. 2026-10",
        ) from None
    return day.replace(day=1)


def report_name(month: date) -> str:
    """The report's default file name, ``月报-2026-10.xlsx``."""
    return f"月报-{month:%Y-%m}.xlsx"


def _index(month: date) -> int:
    """Months since 1970-01 (the NumPy ``datetime64[M]`` number)."""
    return (month.year - 1970) * 12 + month.month - 1


def _first_day(index: int) -> date:
    return date(1970 + index // 12, index % 12 + 1, 1)


def _last_day(index: int) -> date:
    return _first_day(index + 1) - timedelta(days=1)


def _day_number(day: date) -> int:
    return int((np.datetime64(day, "D") - _EPOCH).astype(np.int64))



def _months_of(days: np.ndarray) -> np.ndarray:
    """Day numbers → month numbers (months since 1970-01)."""
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


# ---------------------------------------------------------------------------------------------
# Small exact helpers


def ratio4(num: int, den: int | None) -> float | None:
    """num / den rounded half-up to 4 decimals, from the exact integers; None without a
    (non-zero) denominator — a missing or zero target gives no attainment, not an error."""
    if den is None or den == 0:
        return None
    q = (Decimal(int(num)) / Decimal(int(den))).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    return float(q)


def change(current: int, previous: int) -> float | None:
    """Relative change against ``previous`` (None when that is zero: no meaningful ratio)."""
    return None if previous == 0 else (current - previous) / abs(previous)


def rate_decimal(value: Any) -> Decimal | None:
    """A 提成比例 as the reader hands it (float64, NaN blank) → the Decimal the user typed."""
    if value is None or pd.isna(value):
        return None
    return Decimal(repr(float(value)))


def commission_fen(collections: int, rate: Decimal | None) -> int:
    """collections × rate, half-up to the fen (away from zero for a negative month)."""
    if rate is None:
        return 0
    return int((Decimal(int(collections)) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _text(s: pd.Series) -> pa.Array:
    arr = pa.array(s, from_pandas=True, type=pa.large_string()) if len(s) else pa.array([], pa.large_string())
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _objects(values: pa.Array | pd.Series) -> np.ndarray:
    """Texts → an object array with None for blank (pandas' NA does not survive comparisons)."""
    items = values.to_pylist() if isinstance(values, pa.Array) else values.astype(object).tolist()
    out = np.empty(len(items), dtype=object)
    out[:] = [None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else v for v in items]
    return out


def _group(keys: np.ndarray, values: np.ndarray) -> dict[Any, int]:
    """Exact int64 Σ values per key (None a key like any other), keys in first-seen order."""
    if len(keys) == 0:
        return {}
    codes, uniques = pd.factorize(pd.Series(keys, dtype=object), use_na_sentinel=True)
    sums = ledger.group_sums(np.where(codes < 0, len(uniques), codes), np.asarray(values, dtype=np.int64),
                             len(uniques) + 1)
    out: dict[Any, int] = {u: int(v) for u, v in zip(uniques.tolist(), sums[:-1].tolist(), strict=True)}
    if (codes < 0).any():
        out[None] = int(sums[-1])
    return out


def _count_distinct(keys: np.ndarray, members: np.ndarray) -> dict[Any, int]:
    """How many distinct ``members`` each key has (0 keys are simply absent)."""
    if len(keys) == 0:
        return {}
    pairs = pd.DataFrame({"k": pd.Series(keys, dtype=object), "m": members}).drop_duplicates()
    return _group(pairs["k"].to_numpy(dtype=object), np.ones(len(pairs), dtype=np.int64))


def _order(d: dict[Any, int]) -> list[Any]:
    """Keys by amount descending, then name (None last): the order composition tables read in."""
    return sorted(d, key=lambda k: (k is None, -d[k], "" if k is None else str(k)))


# ---------------------------------------------------------------------------------------------
# Result


@dataclass
class MonthlySummary:
    """The monthly summary of month ``month`` as of ``as_of`` (its last day); money int64 fen.

    Headline figures are attributes; the report's tables are frames (English column names):

    * ``kpis``: key, label, kind (``fen``/``count``), current, previous (month M−1), year_ago
      (M−12) — sales, collections, receivable, prepaid, overdue, new / lost / reactivated /
      buying customers, visits, expenses;
    * ``trend``: month (first day), sales, collections, receivable (month end), sales_last_year —
      the 12 months up to M;
    * ``levels`` (level, name, customers, buyers, sales), ``statuses`` (status, name, customers);
    * ``products`` (product, buyers, sales), ``product_specs`` (product, spec, qty, sales),
      ``regions`` (province, buyers, sales, buyers_from_uscc: buyers whose blank 省份 was
      filled from their USCC's division code), ``cities`` (province, city, buyers, sales) — each
      adds up to ``sales``;
    * ``salespeople``: salesperson (None = unassigned), on_roster, sales, target, attainment,
      collections, collection_target, collection_attainment, rate, commission, visits,
      new_customers, expenses, expense_budget;
    * ``expenses_by``: salesperson, category, amount (M's 费用); ``expense_categories``: category,
      amount;
    * ``aging`` (bucket, amount, customers), ``credit_mix`` (grade, customers, receivable,
      overdue), ``overdue_top`` (the 20 largest overdue: customer_id, customer_name, salesperson,
      receivable, overdue, max_overdue_days, grade);
    * ``movements`` (客户动态): kind (new/reactivated/lost), customer_id, customer_name, salesperson,
      province, city, level, first_trade, previous_sale, last_sale, month_sales, net_sales_12m.
    """

    month: date
    as_of: date
    company: str
    labels: list[str]
    sales: int
    collections: int
    receivable: int
    prepaid: int
    overdue: int
    new_customers: int
    lost_customers: int
    reactivated_customers: int
    buying_customers: int
    visits: int
    expenses: int
    unknown_customer_sales: int
    """Part of ``sales`` on 客户编号 not in 客户档案 (counted as level C, region 未填省份)."""
    kpis: pd.DataFrame
    trend: pd.DataFrame
    levels: pd.DataFrame
    statuses: pd.DataFrame
    products: pd.DataFrame
    product_specs: pd.DataFrame
    regions: pd.DataFrame
    cities: pd.DataFrame
    salespeople: pd.DataFrame
    expenses_by: pd.DataFrame
    expense_categories: pd.DataFrame
    aging: pd.DataFrame
    credit_mix: pd.DataFrame
    overdue_top: pd.DataFrame
    movements: pd.DataFrame
    sub_targets: pd.DataFrame = field(default_factory=pd.DataFrame)
    """v1.1 细分目标 of the period: salesperson, product, region, target, sales, attainment."""
    period: Period | None = None
    """v1.1: the quarter or year summarised (None for a month, the 月报 as before)."""
    settings_note: dict[str, int] = field(default_factory=dict)
    """The thresholds behind the definitions (新客户天数, 活跃天数, 等级统计月数) for the report."""
    findings: list[Finding] = field(default_factory=list)
    path: str | None = None
    written: Path | None = None
    """Where the report workbook was written, when it was."""
    prices: Any = None
    """The month's :class:`~salesxl.core.prices.PriceAnalysis` when the book has a 价目表 (v1.1)."""
    caveats: list[str] = field(default_factory=list)
    stock_review: Any = None
    """库存核对 (:class:`salesxl.core.stock_review.StockReview`) when the book keeps stock cards."""
    """Warnings the report shows in red at the top of its first page (概览): what its figures do
    not include — e.g. the batch could not update the master, so returned files are missing."""
    forecast: Any = None
    """The 回款预测 as of ``as_of`` (:class:`salesxl.core.forecast.CollectionsForecast`), set by
    whoever writes the report workbook (it adds a 回款预测 sheet); None otherwise."""

    @property
    def month_text(self) -> str:
        """``2026-10``, or the period's key (``2026Q4``, ``2026``) for a quarter or year."""
        return self.period.key if self.period is not None else f"{self.month:%Y-%m}"

    @property
    def report_title(self) -> str:
        """``2026年10月销售月报``, ``2026年第4季度销售季报``, ``2026年销售年报``."""
        if self.period is None:
            return f"{self.month.year}年{self.month.month}月销售月报"
        return f"{self.period.label}销售{'季报' if self.period.kind == 'quarter' else '年报'}"

    def by_level(self) -> dict[str, int]:
        return {str(r.level): int(r.sales) for r in self.levels.itertuples(index=False)}

    def by_product(self) -> dict[str, int]:
        return {str(r.product): int(r.sales) for r in self.products.itertuples(index=False)}

    def by_region(self) -> dict[str, int]:
        return {str(r.province): int(r.sales) for r in self.regions.itertuples(index=False)}

    def to_json(self) -> dict[str, Any]:
        """The spec §5 ``summary`` document: amounts as ``"1234.50"``, attainment a number (4
        decimals) or null, new_customers an integer."""

        def fen(v: Any) -> str | None:
            return None if v is None or pd.isna(v) else fen_to_str(int(v))

        people = []
        for r in self.salespeople.itertuples(index=False):
            people.append({
                "salesperson": r.salesperson,
                "sales": fen(r.sales),
                "target": fen(r.target),
                "attainment": None if r.attainment is None or pd.isna(r.attainment) else float(r.attainment),
                "collections": fen(r.collections),
                "commission": fen(r.commission),
                "expenses": fen(r.expenses),
                "expense_budget": fen(r.expense_budget),
            })
        return {
            ("month" if self.period is None else "period"): self.month_text,
            "sales": fen_to_str(self.sales),
            "collections": fen_to_str(self.collections),
            "receivable": fen_to_str(self.receivable),
            "prepaid": fen_to_str(self.prepaid),
            "new_customers": int(self.new_customers),
            "by_level": {k: fen_to_str(v) for k, v in self.by_level().items()},
            "by_product": {k: fen_to_str(v) for k, v in self.by_product().items()},
            "by_region": {k: fen_to_str(v) for k, v in self.by_region().items()},
            "by_salesperson": people,
        }


# ---------------------------------------------------------------------------------------------
# The ledger at several month ends


@dataclass
class _Position:
    """Per customer code, as of one cut-off day."""

    receivable: np.ndarray
    prepaid: np.ndarray
    overdue: np.ndarray
    aging: np.ndarray | None = None  # (customers, buckets), only for D
    worst: np.ndarray | None = None  # largest overdue days of an open item, only for D


def _position(inp: ledger.LedgerInput, d_order: np.ndarray, cut: int, full: bool) -> _Position:
    """Receivable, prepaid and overdue as of day ``cut`` (and, with ``full``, the aging buckets
    and largest overdue days) from the ledger's items, FIFO as spec §3: the debits dated up to
    the cut, in FIFO order, are paid by the customer's credits up to the cut from the oldest on.
    """
    n, d, c = inp.n_customers, inp.debits, inp.credits
    sel = d_order[d.day[d_order] <= cut]  # still in FIFO order
    c_in = c.day <= cut
    credit = ledger.group_sums(c.cust[c_in], c.amount[c_in], n)
    d_cust, d_amount = d.cust[sel], d.amount[sel]
    net = ledger.group_sums(d_cust, d_amount, n) - credit
    open_fen = d_amount - ledger.paid_part(d_cust, d_amount, credit)
    late = np.maximum(cut - d.due[sel], 0)
    overdue = ledger.group_sums(d_cust, np.where(late > 0, open_fen, 0), n)
    pos = _Position(np.maximum(net, 0), np.maximum(-net, 0), overdue)
    if full:
        is_open = open_fen > 0
        bounds = np.asarray(inp.settings.aging_buckets)
        bucket = np.searchsorted(bounds, cut - d.day[sel][is_open], side="left")
        aging = np.zeros((n, len(bounds) + 1), dtype=np.int64)
        np.add.at(aging, (d_cust[is_open], bucket), open_fen[is_open])
        worst = np.zeros(n, dtype=np.int64)
        np.maximum.at(worst, d_cust[is_open], late[is_open])
        pos.aging, pos.worst = aging, worst
    return pos


def _from_ledger(result: ledger.LedgerResult, ids: pa.Array, labels: list[str]) -> _Position:
    """The as-of-D position taken from a ledger the caller already computed."""
    lc = result.customers
    at = pc.fill_null(pc.index_in(_text(lc["customer_id"]), value_set=ids), -1).to_numpy().astype(np.int64)
    n = len(ids)

    def spread(col: str) -> np.ndarray:
        out = np.zeros(n, dtype=np.int64)
        out[at[at >= 0]] = lc[col].to_numpy(dtype=np.int64)[at >= 0]
        return out

    aging = np.stack([spread(label) for label in labels], axis=1) if labels else np.zeros((n, 0), np.int64)
    return _Position(spread("receivable"), spread("prepaid"), spread("overdue"), aging, spread("max_overdue_days"))


# ---------------------------------------------------------------------------------------------
# The summary


def _monthly(code: np.ndarray, month: np.ndarray, values: np.ndarray, n: int, first: int, last: int,
             how: str = "sum") -> np.ndarray:
    """(n, last − first + 2) matrix: column 0 everything before month ``first``, column k month
    ``first + k − 1``; months after ``last`` are left out.  ``how``: ``sum`` or ``max`` (−1 empty)."""
    width = last - first + 2
    keep = month <= last
    col = np.clip(month[keep] - first + 1, 0, None)
    flat = code[keep] * width + col
    if how == "sum":
        out = np.zeros(n * width, dtype=np.int64)
        np.add.at(out, flat, values[keep])
    else:
        out = np.full(n * width, -1, dtype=np.int64)
        np.maximum.at(out, flat, values[keep])
    return out.reshape(n, width)


def _customers(book: Book, inp: ledger.LedgerInput) -> pd.DataFrame:
    """Per customer code (the ledger's sorted ids): known (on 客户档案), name, salesperson,
    province, city, typed first trade (day number, −1 none), by the customer's first card."""
    n = inp.n_customers
    cards = ledger.frame(book, "客户档案")
    if not cards[ROW].is_monotonic_increasing:
        cards = cards.sort_values(ROW, kind="stable").reset_index(drop=True)
    code = pc.fill_null(pc.index_in(_text(cards["客户编号"]), value_set=inp.ids), -1).to_numpy().astype(np.int64)
    present = np.flatnonzero(code >= 0)
    first = present[np.unique(code[present], return_index=True)[1]]
    at = code[first]
    province = np.full(n, None, dtype=object)
    province_source = np.full(n, None, dtype=object)
    city = np.full(n, None, dtype=object)
    names, sources = card_provinces(cards.iloc[first])
    province[at] = _objects(names)
    province_source[at] = _objects(sources)
    city[at] = _objects(cards["城市"].iloc[first])
    typed, typed_ok = day_numbers(cards["首次交易日期"].iloc[first])
    typed_first = np.full(n, -1, dtype=np.int64)
    typed_first[at] = np.where(typed_ok, typed, -1)
    return pd.DataFrame({
        "customer_id": _objects(inp.ids),
        "known": inp.known,
        # A customer only in 销售/收款 is shown as such in 客户动态 and the overdue list.
        "customer_name": np.where(inp.known, _objects(inp.names), not_on_file()),
        "salesperson": _objects(inp.salespeople),
        "province": province,
        "province_source": province_source,
        "city": city,
        "typed_first": typed_first,
    })


def monthly_summary(book: Book, month: date | Period, *, ledger_result: ledger.LedgerResult | None = None,
                    progress: Progress | None = None) -> MonthlySummary:
    """The summary of ``month`` (any day in it; D = its last day) per spec §3.

    v1.1: ``month`` may be a quarter or year :class:`~salesxl.core.periods.Period`; every figure
    is then over its months with D its last day, "previous" is the period before and "a year
    ago" the same period a year earlier, targets follow the parts rule (spec §3 "Plans") and the
    trend is the period's months against their targets.

    ``ledger_result``: the ledger as of D when the caller already has it (its balances, aging
    and overdue days are then used for D); otherwise they are computed here from the ledger's
    items, which skips the allocation and shipment tables a summary does not show.
    Raises :class:`~salesxl.errors.BadArguments` when the book has no 销售 sheet.
    """

    def step(stage: str, i: int) -> None:
        if progress is not None:
            progress(stage, i, _STEPS)

    if book.table("销售") is None:  # an all-zero 月报 would read as a month without sales
        raise BadArguments("工作簿中没有「销售」工作表，无法生成月报",
                           "The workbook has no 销售 (Sales) sheet; no monthly report can be made")
    st = book.settings
    period = month if isinstance(month, Period) and month.kind != "month" else None
    if isinstance(month, Period):
        month = month.first_day
    m0 = _index(month.replace(day=1))  # the period's first month; m its last
    span = period.length if period is not None else 1
    m = m0 + span - 1
    month = _first_day(m0)
    as_of = _last_day(m)
    cut = _day_number(as_of)
    labels = st.bucket_labels()

    step("汇总 台账", 0)
    inp = ledger.prepare(book, as_of)
    n = inp.n_customers
    cust = _customers(book, inp)
    known = cust["known"].to_numpy()
    d, c = inp.debits, inp.credits
    d_order = d.order()
    if ledger_result is not None:
        if ledger_result.as_of != as_of:
            raise ValueError(f"ledger_result is as of {ledger_result.as_of}, the summary needs {as_of}")
        pos = _from_ledger(ledger_result, inp.ids, labels)
    else:
        pos = _position(inp, d_order, cut, full=True)
    prev_pos = _position(inp, d_order, _day_number(_last_day(m0 - 1)), full=False)
    year_pos = _position(inp, d_order, _day_number(_last_day(m - 12)), full=False)

    # Net balance at every month end from M−12 to M (receivable trend).
    first_col = m - 12
    items_code = np.concatenate([d.cust, c.cust])
    items_month = _months_of(np.concatenate([d.day, c.day]))
    signed = np.concatenate([d.amount, -c.amount])
    net_by_end = np.cumsum(_monthly(items_code, items_month, signed, n, first_col, m), axis=1)[:, 1:]
    receivable_by_end = np.maximum(net_by_end, 0).sum(axis=0)

    # Collections per month: prepayments and payments less refunds (the ledger's receipts).
    pay = np.isin(c.kind, (ledger.PREPAYMENT, ledger.PAYMENT))
    refund = d.kind == ledger.REFUND
    coll_code = np.concatenate([c.cust[pay], d.cust[refund]])
    coll_day = np.concatenate([c.day[pay], d.day[refund]])
    coll_fen = np.concatenate([c.amount[pay], -d.amount[refund]])
    coll_month = _months_of(coll_day)

    step("汇总 销售", 1)
    sales = ledger.frame(book, "销售")
    line_code = inp.sales_cust
    day, day_ok = day_numbers(sales["日期"])
    amount, has, sign = ledger.sale_directions(sales)
    value = sign * np.abs(amount)
    line_month = _months_of(day)
    counted = day_ok & (day <= cut) & (line_code >= 0) & has
    # Sales per month over the 24 months up to M (trend and last year's).
    window = counted & (line_month > m - 24)
    sales_by_month = ledger.group_sums(line_month[window] - (m - 23), value[window], 24)
    coll_window = coll_month > m - 24
    coll_by_month = ledger.group_sums(coll_month[coll_window] - (m - 23), coll_fen[coll_window], 24)

    # Level as of D (spec §3), on the customers of 客户档案 only.
    start = pd.Timestamp(as_of) - pd.DateOffset(months=st.level_months)
    in_level = counted & (day > _day_number(start.date()))
    net_12m = ledger.group_sums(line_code[in_level], value[in_level], n)
    level = np.full(n, "C", dtype=object)
    known_at = np.flatnonzero(known)
    level[known_at] = levels(net_12m[known_at], np.arange(len(known_at)), st.level_a_share, st.level_b_share)

    # First trade and the last sale up to every month end from M−13 to M (statuses).
    is_sale = day_ok & (day <= cut) & (line_code >= 0) & (sign > 0) & ((amount != 0) | ~has)
    first_sale = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first_sale, line_code[is_sale], day[is_sale])
    first_sale[first_sale == np.iinfo(np.int64).max] = -1
    typed = cust["typed_first"].to_numpy()
    base = m0 - 13  # statuses are needed from the month before a year-ago period on
    last_by_end = np.maximum.accumulate(
        _monthly(line_code[is_sale], line_month[is_sale], day[is_sale], n, base, m, how="max"), axis=1
    )[:, 1:]

    def status_at(k: int) -> np.ndarray:
        """Spec §3 status of every customer at the end of month k (M−13 … M)."""
        end = _last_day(k)
        c_end = _day_number(end)
        t = np.where((typed >= 0) & (typed <= c_end), typed, -1)
        f = np.where((first_sale >= 0) & (first_sale <= c_end), first_sale, -1)
        both = np.where(t < 0, f, np.where(f < 0, t, np.minimum(t, f)))
        return statuses(both, last_by_end[:, k - base], end, st.new_customer_days, st.active_days)

    # Each period (this one, the one before, a year ago) is (its first month, its last month).
    periods = ((m0, m), (m0 - span, m0 - 1), (m0 - 12, m - 12))
    status = {k: status_at(k) for k in sorted({k for a, b in periods for k in (a - 1, b)})}
    active = ("new", "current")

    def lost(k: int, a: int | None = None) -> np.ndarray:
        before = status[(k if a is None else a) - 1]
        return np.isin(before, active) & (status[k] == "past")

    def back(k: int, a: int | None = None) -> np.ndarray:
        return (status[(k if a is None else a) - 1] == "past") & (status[k] == "current")

    trade = np.where(typed < 0, first_sale, np.where(first_sale < 0, typed, np.minimum(typed, first_sale)))
    trade_month = np.where(trade >= 0, _months_of(np.maximum(trade, 0)), -1)

    def new(k: int, a: int | None = None) -> np.ndarray:
        return (trade_month >= (k if a is None else a)) & (trade_month <= k)

    # This month's lines.
    step("汇总 构成", 2)
    idx = np.flatnonzero(counted & (line_month >= m0) & (line_month <= m))
    m_code, m_value = line_code[idx], value[idx]
    m_sale = sign[idx] > 0  # a buyer (成交客户) has a sale in M, not only a return
    total_sales = int(m_value.sum())
    m_level = level[m_code]
    m_known = known[m_code]
    unknown_sales = int(m_value[~m_known].sum())
    by_level = _group(m_level, m_value)
    buyers_level = _count_distinct(m_level[m_sale], m_code[m_sale])
    everyone = np.ones(n, dtype=np.int64)  # the universe: cards and IDs only in 销售/收款
    level_cards = _group(level, everyone)
    level_frame = pd.DataFrame({
        "level": list(LEVEL_NAMES),
        "name": list(LEVEL_NAMES.values()),
        "customers": [level_cards.get(k, 0) for k in LEVEL_NAMES],
        "buyers": [buyers_level.get(k, 0) for k in LEVEL_NAMES],
        "sales": np.array([by_level.get(k, 0) for k in LEVEL_NAMES], dtype=np.int64),
    })
    status_counts = _group(status[m], everyone)
    status_frame = pd.DataFrame({
        "status": list(STATUS_NAMES),
        "name": list(STATUS_NAMES.values()),
        "customers": [status_counts.get(k, 0) for k in STATUS_NAMES],
    })

    product = _objects(sales["产品"].iloc[idx])
    product[pd.isna(product)] = NO_PRODUCT
    spec = _objects(sales["规格"].iloc[idx])
    qty = sales["数量"].to_numpy(dtype=np.float64, na_value=np.nan)[idx]
    by_product = _group(product, m_value)
    buyers_product = _count_distinct(product[m_sale], m_code[m_sale])
    products = pd.DataFrame({
        "product": _order(by_product),
        "buyers": [buyers_product.get(k, 0) for k in _order(by_product)],
        "sales": np.array([by_product[k] for k in _order(by_product)], dtype=np.int64),
    })
    ps = pd.DataFrame({"product": product, "spec": spec, "qty": np.nan_to_num(qty), "sales": m_value})
    product_specs = (
        ps.groupby(["product", "spec"], dropna=False, sort=False).agg(qty=("qty", "sum"), sales=("sales", "sum"))
        .reset_index()
    )
    rank = {p: i for i, p in enumerate(products["product"])}
    product_specs["_r"] = product_specs["product"].map(rank)
    product_specs = product_specs.sort_values(["_r", "sales"], ascending=[True, False], kind="stable")
    product_specs = product_specs.drop(columns="_r").reset_index(drop=True)
    product_specs["spec"] = _objects(product_specs["spec"])

    province = cust["province"].to_numpy()[m_code].copy()
    province[pd.isna(province)] = NO_PROVINCE
    city = cust["city"].to_numpy()[m_code].copy()
    city[pd.isna(city)] = NO_CITY
    by_region = _group(province, m_value)
    buyers_region = _count_distinct(province[m_sale], m_code[m_sale])
    inferred = (cust["province_source"].to_numpy()[m_code] == "uscc")[m_sale]
    buyers_inferred = _count_distinct(province[m_sale][inferred], m_code[m_sale][inferred])
    regions = pd.DataFrame({
        "province": _order(by_region),
        "buyers": [buyers_region.get(k, 0) for k in _order(by_region)],
        "sales": np.array([by_region[k] for k in _order(by_region)], dtype=np.int64),
        "buyers_from_uscc": [buyers_inferred.get(k, 0) for k in _order(by_region)],
    })
    pc_key = np.array([f"{p}\x00{q}" for p, q in zip(province, city, strict=True)], dtype=object)
    by_city = _group(pc_key, m_value)
    buyers_city = _count_distinct(pc_key[m_sale], m_code[m_sale])
    rank = {p: i for i, p in enumerate(regions["province"])}
    city_keys = sorted(by_city, key=lambda k: (rank[k.split("\x00")[0]], -by_city[k], k))
    cities = pd.DataFrame({
        "province": [k.split("\x00")[0] for k in city_keys],
        "city": [k.split("\x00")[1] for k in city_keys],
        "buyers": [buyers_city.get(k, 0) for k in city_keys],
        "sales": np.array([by_city[k] for k in city_keys], dtype=np.int64),
    })

    # Salespeople.
    step("汇总 业务员", 3)
    cust_sp = cust["salesperson"].to_numpy()
    line_sp = _objects(sales["业务员"].iloc[idx])
    line_sp = np.where(pd.isna(line_sp), cust_sp[m_code], line_sp)
    sp_sales = _group(line_sp, m_value)
    in_m = (coll_month >= m0) & (coll_month <= m)
    sp_coll = _group(cust_sp[coll_code[in_m]], coll_fen[in_m])
    total_coll = int(coll_fen[in_m].sum())
    new_m = new(m, m0)
    sp_new = _group(cust_sp[new_m], np.ones(int(new_m.sum()), dtype=np.int64))

    visits = ledger.frame(book, "拜访")
    v_day, v_ok = day_numbers(visits["日期"])
    v_month = np.where(v_ok, _months_of(v_day), -1)
    v_in = (v_month >= m0) & (v_month <= m)
    sp_visits = _group(_objects(visits["业务员"][v_in]), np.ones(int(v_in.sum()), dtype=np.int64))

    spend = ledger.frame(book, "费用")
    e_day, e_ok = day_numbers(spend["日期"])
    e_month = np.where(e_ok, _months_of(e_day), -1)
    e_fen = spend["金额"].to_numpy(dtype=np.int64, na_value=0)
    e_in = (e_month >= m0) & (e_month <= m)
    e_sp = _objects(spend["业务员"][e_in])
    e_cat = _objects(spend["类别"][e_in])
    e_cat[pd.isna(e_cat)] = NO_CATEGORY
    sp_spend = _group(e_sp, e_fen[e_in])
    by_cat = _group(e_cat, e_fen[e_in])
    expense_categories = pd.DataFrame({
        "category": _order(by_cat), "amount": np.array([by_cat[k] for k in _order(by_cat)], dtype=np.int64),
    })
    pair = pd.DataFrame({"salesperson": e_sp, "category": e_cat, "amount": e_fen[e_in]})
    expenses_by = (pair.groupby(["salesperson", "category"], dropna=False, sort=False)["amount"].sum()
                   .reset_index())
    expenses_by["salesperson"] = _objects(expenses_by["salesperson"])

    # 目标 by the parts rule (spec §3 "Plans"): only the salesperson's totals, not 细分目标.
    plan = read_plan(ledger.frame(book, "目标"))
    the_period = period or Period.month(month.year, month.month)
    target_of = {c: plan.salesperson_targets(the_period, c) for c in ("销售目标", "回款目标", "费用预算")}
    sub_targets = sub_target_frame(plan, the_period, line_sp, _objects(sales["产品"].iloc[idx]),
                                   cust["province"].to_numpy()[m_code], m_value)

    roster_frame = ledger.frame(book, "业务员")
    roster_frame = roster_frame[roster_frame["业务员"].notna()].sort_values(ROW, kind="stable")
    roster_frame = roster_frame.drop_duplicates("业务员")
    rates = {str(p): rate_decimal(r) for p, r in zip(roster_frame["业务员"], roster_frame["提成比例"], strict=True)}
    names: list[Any] = list(rates)
    others = set().union(sp_sales, sp_coll, sp_visits, sp_spend, *target_of.values(), sp_new) - set(names) - {None}
    names += sorted(others, key=str)
    if any(None in g for g in (sp_sales, sp_coll, sp_visits, sp_spend, sp_new)):
        names.append(None)

    def target(name: Any, col: str) -> int | None:
        return target_of[col].get(name) if name is not None else None

    people = []
    for name in names:
        s, col_ = sp_sales.get(name, 0), sp_coll.get(name, 0)
        t, ct = target(name, "销售目标"), target(name, "回款目标")
        rate = rates.get(name) if name is not None else None
        people.append({
            "salesperson": name, "on_roster": name in rates, "sales": s, "target": t,
            "attainment": ratio4(s, t), "collections": col_, "collection_target": ct,
            "collection_attainment": ratio4(col_, ct), "rate": rate, "commission": commission_fen(col_, rate),
            "visits": sp_visits.get(name, 0), "new_customers": sp_new.get(name, 0),
            "expenses": sp_spend.get(name, 0), "expense_budget": target(name, "费用预算"),
        })
    columns = ("salesperson", "on_roster", "sales", "target", "attainment", "collections", "collection_target",
               "collection_attainment", "rate", "commission", "visits", "new_customers", "expenses",
               "expense_budget")
    # Object columns: a missing target stays None and an amount stays an exact int (not NaN/float).
    salespeople = pd.DataFrame({k: pd.Series([p[k] for p in people], dtype=object) for k in columns})

    # Credit: aging, grades, overdue top 20 as of D.
    step("汇总 信用", 4)
    assert pos.aging is not None and pos.worst is not None
    aging = pd.DataFrame({
        "bucket": labels,
        "amount": pos.aging.sum(axis=0).astype(np.int64),
        "customers": (pos.aging > 0).sum(axis=0).astype(np.int64),
    })
    prospect = status[m] == "prospect"
    grade = credit_grades(pos.worst, prospect)
    # Every customer with a balance line, so the mix adds up to the receivable: a 客户编号 missing
    # from 客户档案 is graded by its overdue days like the others.
    grade_key = np.where(pd.isna(grade), "", grade).astype(str)
    mix_rows = []
    for g in (*"ABCD", None):
        hit = np.flatnonzero(grade_key == (g or ""))
        mix_rows.append({"grade": g, "customers": len(hit), "receivable": int(pos.receivable[hit].sum()),
                         "overdue": int(pos.overdue[hit].sum())})
    credit_mix = pd.DataFrame(mix_rows)
    late = np.flatnonzero(pos.overdue > 0)
    late = late[np.lexsort((late, -pos.worst[late], -pos.overdue[late]))][:20]
    overdue_top = pd.DataFrame({
        "customer_id": cust["customer_id"].to_numpy()[late],
        "customer_name": cust["customer_name"].to_numpy()[late],
        "salesperson": cust_sp[late],
        "receivable": pos.receivable[late],
        "overdue": pos.overdue[late],
        "max_overdue_days": pos.worst[late],
        "grade": grade[late],
    })

    # Customer movements in M.
    step("汇总 客户动态", 5)
    month_sales = ledger.group_sums(m_code, m_value, n)
    prev_last = last_by_end[:, (m0 - 1) - base]
    moves = []
    for kind, mask in (("new", new_m), ("reactivated", back(m, m0)), ("lost", lost(m, m0))):
        at = np.flatnonzero(mask)
        at = at[np.lexsort((at, -net_12m[at], -month_sales[at]))]
        moves.append(pd.DataFrame({
            "kind": kind,
            "customer_id": cust["customer_id"].to_numpy()[at],
            "customer_name": cust["customer_name"].to_numpy()[at],
            "salesperson": cust_sp[at],
            "province": cust["province"].to_numpy()[at],
            "city": cust["city"].to_numpy()[at],
            "level": level[at],
            "first_trade": _dates(trade[at]),
            "previous_sale": _dates(prev_last[at]),
            "last_sale": _dates(last_by_end[at, -1]),
            "month_sales": month_sales[at],
            "net_sales_12m": net_12m[at],
        }))
    movements = pd.concat(moves, ignore_index=True)

    # The KPIs this period, the one before and a year ago (a month: this month, last month, M−12).
    def monthly_total(arr: np.ndarray, k: int, a: int | None = None) -> int:
        return sum(int(arr[j - (m - 23)]) for j in range(k if a is None else a, k + 1) if j > m - 24)

    def buyers(k: int, a: int) -> int:
        sel = counted & (line_month >= a) & (line_month <= k) & (sign > 0)
        return len(np.unique(line_code[sel]))

    def month_count(months: np.ndarray, k: int, a: int) -> int:
        return int(((months >= a) & (months <= k)).sum())

    def month_fen(months: np.ndarray, fen: np.ndarray, k: int, a: int) -> int:
        return int(fen[(months >= a) & (months <= k)].sum())

    kpi_rows = [
        ("sales", "销售额", "fen", [monthly_total(sales_by_month, b, a) for a, b in periods]),
        ("collections", "回款额", "fen", [monthly_total(coll_by_month, b, a) for a, b in periods]),
        ("receivable", "应收余额（月末）", "fen", [int(p.receivable.sum()) for p in (pos, prev_pos, year_pos)]),
        ("prepaid", "预收余额（月末）", "fen", [int(p.prepaid.sum()) for p in (pos, prev_pos, year_pos)]),
        ("overdue", "逾期金额（月末）", "fen", [int(p.overdue.sum()) for p in (pos, prev_pos, year_pos)]),
        ("new_customers", "新客户数", "count", [int(new(b, a).sum()) for a, b in periods]),
        ("lost_customers", "流失客户数", "count", [int(lost(b, a).sum()) for a, b in periods]),
        ("reactivated_customers", "回流客户数", "count", [int(back(b, a).sum()) for a, b in periods]),
        ("buying_customers", "成交客户数", "count", [buyers(b, a) for a, b in periods]),
        ("visits", "拜访次数", "count", [month_count(v_month, b, a) for a, b in periods]),
        ("expenses", "费用", "fen", [month_fen(e_month, e_fen, b, a) for a, b in periods]),
    ]
    kpis = pd.DataFrame([
        {"key": key, "label": label, "kind": kind, "current": v[0], "previous": v[1], "year_ago": v[2]}
        for key, label, kind, v in kpi_rows
    ])
    kpi = dict(zip(kpis["key"], kpis["current"], strict=True))
    # The trend: the 12 months up to M, or a quarter's / year's own months (v1.1, with targets).
    trend_months = list(range(m - 11, m + 1)) if period is None else list(range(m0, m + 1))
    month_targets = [plan.salesperson_targets(Period.month(_first_day(k).year, _first_day(k).month))
                     for k in trend_months]
    team_target = [sum(t.values()) if t else None for t in month_targets]
    trend = pd.DataFrame({
        "month": [_first_day(k) for k in trend_months],
        "sales": [monthly_total(sales_by_month, k) for k in trend_months],
        "collections": [monthly_total(coll_by_month, k) for k in trend_months],
        "receivable": [int(receivable_by_end[k - first_col]) for k in trend_months],
        "sales_last_year": [monthly_total(sales_by_month, k - 12) for k in trend_months],
        "target": pd.Series(team_target, dtype=object),
    })
    step("汇总", _STEPS)
    return MonthlySummary(
        month=month, as_of=as_of, company=st.company_name, labels=labels,
        sales=total_sales, collections=total_coll,
        receivable=int(pos.receivable.sum()), prepaid=int(pos.prepaid.sum()), overdue=int(pos.overdue.sum()),
        new_customers=int(kpi["new_customers"]), lost_customers=int(kpi["lost_customers"]),
        reactivated_customers=int(kpi["reactivated_customers"]), buying_customers=int(kpi["buying_customers"]),
        visits=int(kpi["visits"]), expenses=int(kpi["expenses"]), unknown_customer_sales=unknown_sales,
        kpis=kpis, trend=trend, levels=level_frame, statuses=status_frame, products=products,
        product_specs=product_specs, regions=regions, cities=cities, salespeople=salespeople,
        expenses_by=expenses_by, expense_categories=expense_categories, aging=aging, credit_mix=credit_mix,
        overdue_top=overdue_top, movements=movements, sub_targets=sub_targets, period=period,
        settings_note={"新客户天数": st.new_customer_days, "活跃天数": st.active_days,
                       "等级统计月数": st.level_months},
        path=book.path,
    )


def _dates(days: np.ndarray) -> np.ndarray:
    """Day numbers (−1 none) → datetime64[s] with NaT."""
    out = (np.maximum(days, 0).astype("timedelta64[D]") + _EPOCH).astype("datetime64[s]")
    out[np.asarray(days) < 0] = np.datetime64("NaT")
    return out
