"""客户细分 · customer classification (spec §3): level, status, credit grade and its terms.

Three questions a sales office asks about every card in 客户档案:

* **Level (客户等级)** — how much does the customer buy?  Net sales over the last
  ``等级统计月数`` months, Pareto-ranked: the customers that make up the first 80 % of the total
  are A 主要客户, the next 15 % B 一般客户, the rest C 零散客户 (:func:`levels`).
* **Status (客户状态)** — where is the customer in its life?  潜在 (never traded), 新 (first
  trade within ``新客户天数``), 现有 (bought within ``活跃天数``), 流失 (otherwise)
  (:func:`statuses`).
* **Credit grade (信用等级)** — does the customer pay on time?  By the largest overdue days of
  its open items in the ledger: A none, B ≤ 30, C ≤ 90, D beyond (:func:`credit_grades`).  Each
  grade suggests trading terms through the 信用政策 table the office edits in the workbook
  (:class:`CreditPolicy`): a credit limit of so many months of average monthly sales, payment
  days, and whether goods go only against prepayment.

Zones and routes are :mod:`salesxl.core.routes`; :func:`classify` puts everything together.

Everything is vectorised over whole columns: a million sales lines are one pass of NumPy, so
level and status cost a small fraction of reading the workbook.  Money is int64 fen; the share
thresholds are compared as exact fractions (``before × q < p × total``), never as floats.

Where the spec leaves room, the choices here:

* the customers are the universe of :mod:`salesxl.core.customers`: every card, then every
  客户编号 found only on 销售/收款 rows (``known`` False, the validator's ``unknown-customer``),
  so classify lists the same customers as offset and the 月报.  Such a customer is level C
  (the level total and the Pareto ranking are over the cards' customers, negative ones
  included, which is what makes "no positive total" possible), its status follows its sales,
  its credit grade its overdue days; it has no zone, route or card row and nothing is written
  for it into 客户档案;
* a 销售 line is a sale or a return by the sign of its 数量, as in the ledger
  (:func:`salesxl.core.ledger.sale_directions`); "positive sales line" means a sale;
* a customer appears once, by its first card (a repeated 客户编号 is the validator's
  ``duplicate-id``); cards without a 客户编号 are not classified.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from salesxl.core import customers as customers_mod
from salesxl.core import ledger, routes
from salesxl.core.customers import GRADES, credit_grades
from salesxl.core.findings import Finding
from salesxl.core.identifiers import card_provinces
from salesxl.core.money import fen_to_str
from salesxl.core.settings import Settings
from salesxl.core.tables import ROW, Book, Table

# ---------------------------------------------------------------------------------------------
# Labels

#: Level code (spec §5 JSON) → the value written into 客户档案.
LEVEL_NAMES = {"A": "主要客户", "B": "一般客户", "C": "零散客户"}
#: Status code (spec §5 JSON) → the value written into 客户档案.
STATUS_NAMES = {"prospect": "潜在客户", "new": "新客户", "current": "现有客户", "past": "流失客户"}

_EPOCH = np.datetime64("1970-01-01", "D")


# ---------------------------------------------------------------------------------------------
# 信用政策: the terms each grade suggests


@dataclass(frozen=True)
class GradeTerms:
    """The trading terms a credit grade suggests."""

    grade: str
    months: Decimal
    """Credit limit as this many months of the customer's average monthly net sales."""
    terms_days: int
    """Payment terms (账期天数)."""
    prepayment: bool
    """Goods go only against prepayment (款到发货)."""
    note: str = ""

    def limit_fen(self, avg_monthly_fen: Fraction) -> int:
        """The suggested credit limit in fen: months × average monthly sales, rounded half-up to
        whole 百元 (:data:`LIMIT_UNIT_FEN`), never negative.  A limit is agreed in round figures;
        2,724,163.46 reads as a computation, not a limit a manager would sign."""
        exact = max(Fraction(self.months) * avg_monthly_fen, Fraction(0))
        return _half_up(exact / LIMIT_UNIT_FEN) * LIMIT_UNIT_FEN


#: Suggested credit limits are rounded to this many fen: 百元 (100 yuan).
LIMIT_UNIT_FEN = 10_000


def _half_up(value: Fraction) -> int:
    """A non-negative fraction of fen rounded half-up to a whole fen, exactly."""
    return int((2 * value.numerator + value.denominator) // (2 * value.denominator))


#: The default 信用政策, written into a workbook that lacks one.
DEFAULT_TERMS: tuple[GradeTerms, ...] = (
    GradeTerms("A", Decimal(3), 60, False, "无逾期：额度为月均销售的 3 倍，账期 60 天"),
    GradeTerms("B", Decimal(2), 30, False, "最长逾期不超过 30 天：额度为月均销售的 2 倍，账期 30 天"),
    GradeTerms("C", Decimal(1), 15, False, "最长逾期 31–90 天：额度收紧为 1 个月销售，账期 15 天"),
    GradeTerms("D", Decimal(0), 0, True, "逾期超过 90 天：不给信用额度，款到发货"),
)


@dataclass(frozen=True)
class CreditPolicy:
    """Grade → terms.  ``from_book``: read from the workbook's 信用政策 sheet (which salesxl then
    leaves alone); otherwise the defaults, which salesxl writes as that sheet."""

    terms: dict[str, GradeTerms]
    from_book: bool = False

    def __getitem__(self, grade: str) -> GradeTerms:
        return self.terms[grade]


def default_policy() -> CreditPolicy:
    return CreditPolicy({t.grade: t for t in DEFAULT_TERMS})


def read_policy(table: Table | None) -> CreditPolicy:
    """The 信用政策 table as typed by the office.

    The first row of a grade counts (a repeat is the validator's ``duplicate-id``); a blank or
    unreadable cell keeps that grade's default, and so does a grade the table lacks, so a
    half-filled table still gives terms for every grade.  Unknown grades are ignored (the
    validator reports them as ``bad-enum``).
    """
    if table is None:
        return default_policy()
    defaults = default_policy().terms
    terms: dict[str, GradeTerms] = {}
    frame = table.frame
    for grade, months, days, prepay, note in zip(
        frame["信用等级"], frame["额度月数"], frame["账期天数"], frame["需预付款"], frame["说明"],
        strict=True,
    ):
        if pd.isna(grade) or grade not in defaults or grade in terms:
            continue
        base = defaults[grade]
        terms[grade] = GradeTerms(
            grade,
            _months(months, base.months),
            int(days) if not pd.isna(days) and int(days) >= 0 else base.terms_days,
            (prepay == "是") if prepay in ("是", "否") else base.prepayment,
            "" if pd.isna(note) else str(note),
        )
    for grade, base in defaults.items():
        terms.setdefault(grade, base)
    return CreditPolicy({g: terms[g] for g in GRADES}, from_book=True)


def _months(value: Any, default: Decimal) -> Decimal:
    """A 额度月数 cell (float64 from the reader) → an exact Decimal, as Excel shows it."""
    if pd.isna(value) or value < 0:
        return default
    try:
        return Decimal(repr(round(float(value), 6))).normalize()
    except InvalidOperation:
        return default


# ---------------------------------------------------------------------------------------------
# The pure rules, over arrays


def levels(net: np.ndarray, id_rank: np.ndarray, a_share: Decimal, b_share: Decimal) -> np.ndarray:
    """Level code (``"A"``/``"B"``/``"C"``) per customer from its net sales in fen.

    Customers are sorted by net sales descending, ties by 客户编号 ascending (``id_rank``: the
    rank of each id in code-point order).  ``share_before`` = Σ net sales of the customers
    before it / Σ of all: A when below ``a_share``, B below ``b_share``, else C; net ≤ 0 is C,
    and with no positive total every customer is C.  The comparison is exact integer arithmetic.
    """
    n = len(net)
    out = np.full(n, "C", dtype=object)
    net = np.asarray(net, dtype=np.int64)
    total = int(net.sum(dtype=np.int64)) if n else 0
    if n == 0 or total <= 0:
        return out
    order = np.lexsort((np.asarray(id_rank), -net))
    ranked = net[order]
    before = np.concatenate(([0], np.cumsum(ranked)[:-1]))
    fa, fb = Fraction(a_share), Fraction(b_share)
    scale = max(fa.denominator, fa.numerator, fb.denominator, fb.numerator, 1)
    bound = max(int(np.abs(before).max(initial=0)), abs(total))
    if bound * scale >= 2**62:  # beyond int64: exact Python integers (never a real book)
        before = before.astype(object)
    is_a = before * fa.denominator < fa.numerator * total
    is_b = before * fb.denominator < fb.numerator * total
    ranked_level = np.where(is_a, "A", np.where(is_b, "B", "C")).astype(object)
    ranked_level[ranked <= 0] = "C"
    out[order] = ranked_level
    return out


def statuses(first_trade: np.ndarray, last_sale: np.ndarray, as_of: date,
             new_days: int, active_days: int) -> np.ndarray:
    """Status code per customer from day numbers (days since 1970-01-01; -1 for none).

    ``first_trade`` is already the earlier of 首次交易日期 and the first sale, on or before the
    as-of date; ``last_sale`` the last sale on or before it.
    """
    cut = int((np.datetime64(as_of, "D") - _EPOCH).astype(np.int64))
    has_first = first_trade >= 0
    new = has_first & (cut - first_trade < new_days)
    current = (last_sale >= 0) & (cut - last_sale < active_days)
    return np.select(
        [~has_first, new, current], ["prospect", "new", "current"], "past"
    ).astype(object)


# ---------------------------------------------------------------------------------------------
# From a book


@dataclass
class Classification:
    """The classification of every customer as of ``as_of``.

    ``customers`` has one row per distinct 客户编号 of 客户档案, in sheet order, then one per ID
    found only in 销售/收款 (code-point order): customer_id, customer_name, salesperson, known
    (on 客户档案), row (Excel row of its first card, -1 when not on file), net_sales (fen, in the level
    window), level, status (spec §5 codes), first_trade and last_sale (dates or NaT),
    max_overdue_days, credit_grade (None for prospects), avg_monthly_sales (fen),
    suggested_limit (fen), suggested_terms (days), prepayment (bool), credit_limit and
    terms_days (as typed, blank → 0 / 30), province (the official name, or the typed text when
    it names no province; filled from the USCC when blank) with province_source (a key of
    :data:`salesxl.core.identifiers.PROVINCE_SOURCES`), zone, and — when routes were planned — route, stop,
    leg_km, route_km.  ``cards`` maps every card row (duplicates included) to its customer's
    position in ``customers``.
    """

    as_of: date
    settings: Settings
    policy: CreditPolicy
    customers: pd.DataFrame
    cards: pd.DataFrame
    findings: list[Finding] = field(default_factory=list)
    path: str | None = None
    book: Book | None = field(default=None, repr=False)
    """The book classified (kept so a writer can find the 客户档案 sheet as read)."""

    def to_json(self) -> dict[str, Any]:
        """The spec §5 ``classify`` document (amounts as strings with two decimals)."""
        c = self.customers
        has_routes = "route" in c.columns
        rows = []
        for i in range(len(c)):
            rec = c.iloc[i]
            grade = rec["credit_grade"]
            rows.append({
                "customer_id": rec["customer_id"],
                "net_sales": fen_to_str(int(rec["net_sales"])),
                "level": rec["level"],
                "status": rec["status"],
                "credit_grade": None if grade is None or pd.isna(grade) else grade,
                "zone": None if pd.isna(rec["zone"]) else rec["zone"],  # none for a customer not on file
                "route": rec["route"] if has_routes and not pd.isna(rec["route"]) else None,
                "stop": int(rec["stop"]) if has_routes and not pd.isna(rec["stop"]) else None,
            })
        return {"as_of": self.as_of.isoformat(), "customers": rows}


def _text(s: pd.Series) -> pa.Array:
    arr = pa.array(s, from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr.cast(pa.large_string())


def _index_in(values: pa.Array, value_set: pa.Array) -> np.ndarray:
    """Position of each value in ``value_set`` (a hash lookup), -1 where absent or blank."""
    return pc.fill_null(pc.index_in(values, value_set=value_set), -1).to_numpy().astype(np.int64)


def _day_numbers(s: pd.Series) -> np.ndarray:
    """Dates → days since 1970-01-01, -1 where blank."""
    values = np.asarray(pd.to_datetime(s), dtype="datetime64[s]")
    bad = np.isnat(values)
    days = values.astype("datetime64[D]").astype(np.int64)
    return np.where(bad, -1, days)


def customer_cards(cards: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The distinct customers of 客户档案 by their first card, and each card's customer index
    (-1 for a card without 客户编号)."""
    ids = cards["客户编号"]
    present = ids.notna().to_numpy(dtype=bool)
    codes = np.full(len(cards), -1, dtype=np.int64)
    if present.any():
        factor, _ = pd.factorize(ids[present], sort=False)
        codes[present] = factor
    first = np.unique(codes[present], return_index=True)[1] if present.any() else np.zeros(0, int)
    first_rows = np.flatnonzero(present)[first]
    return cards.iloc[first_rows].reset_index(drop=True), codes


def sales_by_customer(sales: pd.DataFrame, ids: pa.Array, as_of: date, level_months: int
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per customer (``ids`` order): net sales in the level window (fen), first and last sale
    (day numbers, -1 none), all on or before ``as_of``."""
    n = len(ids)
    code = _index_in(_text(sales["客户编号"]), ids)
    day = _day_numbers(sales["日期"])
    amount, has, sign = ledger.sale_directions(sales)
    cut = int((np.datetime64(as_of, "D") - _EPOCH).astype(np.int64))
    start: date = (pd.Timestamp(as_of) - pd.DateOffset(months=level_months)).date()
    start_day = int((np.datetime64(start, "D") - _EPOCH).astype(np.int64))
    usable = (code >= 0) & (day >= 0) & (day <= cut)
    in_window = usable & has & (day > start_day)
    net = ledger.group_sums(code[in_window], (sign * np.abs(amount))[in_window], n)
    sale = usable & (sign > 0) & ((amount != 0) | ~has)
    first = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    last = np.full(n, -1, dtype=np.int64)
    np.minimum.at(first, code[sale], day[sale])
    np.maximum.at(last, code[sale], day[sale])
    first[first == np.iinfo(np.int64).max] = -1
    return net, first, last


def classify_levels_statuses(book: Book, as_of: date) -> pd.DataFrame:
    """Level and status of every customer of the universe (the fast part: no ledger, no routes)."""
    cards_frame = ledger.frame(book, "客户档案")
    if not cards_frame[ROW].is_monotonic_increasing:
        cards_frame = cards_frame.sort_values(ROW, kind="stable")
    custs, _ = customer_cards(cards_frame)
    out = _levels_statuses(book, custs, as_of)
    every = customers_mod.universe(_text(cards_frame["客户编号"]), _text(ledger.frame(book, "销售")["客户编号"]),
                                   _text(ledger.frame(book, "收款")["客户编号"]))
    extra = every.ids.filter(pa.array(~every.known))
    if len(extra) == 0:
        return out
    st = book.settings
    net, first_sale, last_sale = sales_by_customer(ledger.frame(book, "销售"), extra, as_of, st.level_months)
    return pd.concat([out, pd.DataFrame({
        "customer_id": pd.Series(extra.to_pandas(), dtype="string"), "net_sales": net,
        "level": np.full(len(extra), "C", dtype=object),
        "status": statuses(first_sale, last_sale, as_of, st.new_customer_days, st.active_days),
        "first_trade": _dates(first_sale), "last_sale": _dates(last_sale),
    })], ignore_index=True)


def _levels_statuses(book: Book, custs: pd.DataFrame, as_of: date) -> pd.DataFrame:
    st = book.settings
    ids = _text(custs["客户编号"])
    net, first_sale, last_sale = sales_by_customer(ledger.frame(book, "销售"), ids, as_of, st.level_months)
    typed_first = _day_numbers(custs["首次交易日期"])
    cut = int((np.datetime64(as_of, "D") - _EPOCH).astype(np.int64))
    typed_first = np.where(typed_first > cut, -1, typed_first)
    both = np.where(typed_first < 0, first_sale, np.where(first_sale < 0, typed_first,
                                                         np.minimum(typed_first, first_sale)))
    return pd.DataFrame({
        "customer_id": pd.Series(ids.to_pandas(), dtype="string"),
        "net_sales": net,
        "level": levels(net, _code_point_rank(ids), st.level_a_share, st.level_b_share),
        "status": statuses(both, last_sale, as_of, st.new_customer_days, st.active_days),
        "first_trade": _dates(both),
        "last_sale": _dates(last_sale),
    })


def _code_point_rank(ids: pa.Array) -> np.ndarray:
    """Rank of each id in code-point (binary) order, as 客户编号 ascending is meant."""
    order = pc.sort_indices(ids).to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank


def _dates(days: np.ndarray) -> pd.Series:
    values = (days.astype("datetime64[D]")).astype("datetime64[s]")
    values[days < 0] = np.datetime64("NaT")
    return pd.Series(values)


Progress = Callable[[str, int, int], None]


def classify(book: Book, *, as_of: date, ledger_result: ledger.LedgerResult | None = None,
             plan_routes: bool = True, progress: Progress | None = None) -> Classification:
    """Level, status, credit grade with suggested terms, zone and route of every customer of
    ``book`` as of ``as_of`` (spec §3).

    ``ledger_result``: the ledger as of the same date when the caller already has it (the credit
    grade needs each customer's largest overdue days); otherwise it is computed here.
    ``plan_routes=False`` skips the routing (zone is always given).
    """
    st = book.settings
    cards_frame = ledger.frame(book, "客户档案")
    if not cards_frame[ROW].is_monotonic_increasing:
        cards_frame = cards_frame.sort_values(ROW, kind="stable").reset_index(drop=True)
    custs, card_codes = customer_cards(cards_frame)
    out = _levels_statuses(book, custs, as_of)
    out.insert(1, "customer_name", custs["客户名称"].astype("string").to_numpy())
    out.insert(2, "salesperson", custs["业务员"].astype("string").to_numpy())
    out.insert(3, "row", custs[ROW].to_numpy(dtype=np.int64))

    # Credit grade and the terms it suggests.
    if ledger_result is None:
        ledger_result = ledger.offset(book, as_of=as_of)
    lc = ledger_result.customers
    at = _index_in(_text(out["customer_id"]), _text(lc["customer_id"]))
    worst = np.where(at >= 0, lc["max_overdue_days"].to_numpy(dtype=np.int64)[np.maximum(at, 0)], 0)
    out["max_overdue_days"] = worst
    prospect = (out["status"] == "prospect").to_numpy()
    out["credit_grade"] = pd.array(credit_grades(worst, prospect), dtype="string")
    policy = read_policy(book.table("信用政策"))
    _suggest_terms(out, custs, policy, st.level_months)

    # Zone and route.
    zones = _salesperson_zones(book.table("业务员"))
    province, province_source = card_provinces(custs)
    out["province"] = province.to_numpy()
    out["province_source"] = province_source.to_numpy()
    out["zone"] = routes.assign_zones(custs["片区"], custs["业务员"], province, custs["城市"], zones
                                      ).astype("string").to_numpy()
    if plan_routes:
        plan = routes.plan_routes(pd.DataFrame({
            "customer_id": out["customer_id"].astype(object).to_numpy(),
            "zone": out["zone"].astype(object).to_numpy(),
            "lat": custs["纬度"].to_numpy(dtype=np.float64, na_value=np.nan),
            "lon": custs["经度"].to_numpy(dtype=np.float64, na_value=np.nan),
            "district": custs["区县"].astype(object).to_numpy(),
            "address": custs["地址"].astype(object).to_numpy(),
        }), st.route_capacity, progress=progress)
        for col in ("route", "stop", "leg_km", "route_km"):
            out[col] = plan[col].to_numpy()
        out["address"] = custs["地址"].astype("string").to_numpy()
        out["district"] = custs["区县"].astype("string").to_numpy()
        out["lat"] = custs["纬度"].to_numpy(dtype=np.float64, na_value=np.nan)
        out["lon"] = custs["经度"].to_numpy(dtype=np.float64, na_value=np.nan)
    out.insert(3, "known", True)
    out = _with_ledger_only(out, book, lc, policy, as_of, plan_routes)
    cards = pd.DataFrame({"row": cards_frame[ROW].to_numpy(dtype=np.int64), "customer": card_codes})
    return Classification(as_of, st, policy, out, cards, path=book.path, book=book)


def _with_ledger_only(out: pd.DataFrame, book: Book, lc: pd.DataFrame, policy: CreditPolicy, as_of: date,
                      planned: bool) -> pd.DataFrame:
    """``out`` with a row for every customer of the ledger that has no card (see the module's
    notes): level C, status by its sales, grade by its overdue days, no zone or route."""
    extra = lc.loc[~lc["known"].to_numpy(dtype=bool), ["customer_id", "max_overdue_days"]]
    if extra.empty:
        return out
    st = book.settings
    ids = _text(extra["customer_id"])
    net, first_sale, last_sale = sales_by_customer(ledger.frame(book, "销售"), ids, as_of, st.level_months)
    status = statuses(first_sale, last_sale, as_of, st.new_customer_days, st.active_days)
    worst = extra["max_overdue_days"].to_numpy(dtype=np.int64)
    add = pd.DataFrame({
        "customer_id": pd.Series(ids.to_pandas(), dtype="string"),
        "customer_name": pd.Series([None] * len(extra), dtype="string"),
        "salesperson": pd.Series([None] * len(extra), dtype="string"),
        "known": False,
        "row": np.full(len(extra), -1, dtype=np.int64),
        "net_sales": net,
        "level": np.full(len(extra), "C", dtype=object),
        "status": status,
        "first_trade": _dates(first_sale),
        "last_sale": _dates(last_sale),
        "max_overdue_days": worst,
        "credit_grade": pd.array(credit_grades(worst, status == "prospect"), dtype="string"),
    })
    no_card = pd.DataFrame({"信用额度": pd.array([None] * len(extra), dtype="Int64"),
                            "账期天数": pd.array([None] * len(extra), dtype="Int64")})
    _suggest_terms(add, no_card, policy, st.level_months)
    for col in ("province", "province_source"):
        add[col] = None
    add["zone"] = pd.Series([None] * len(extra), dtype="string")
    if planned:
        for col in ("route", "stop", "leg_km", "route_km", "lat", "lon"):
            add[col] = np.nan
        for col in ("address", "district"):
            add[col] = pd.Series([None] * len(extra), dtype="string")
    add = add[[c for c in out.columns]]
    return pd.concat([out, add], ignore_index=True)


def _salesperson_zones(table: Table | None) -> dict[str, str]:
    """业务员 → 片区 from the 业务员 sheet (the first row of a name counts)."""
    if table is None:
        return {}
    zones: dict[str, str] = {}
    for name, zone in zip(table.frame["业务员"], table.frame["片区"], strict=True):
        if not pd.isna(name) and not pd.isna(zone):
            zones.setdefault(str(name), str(zone))
    return zones


def _suggest_terms(out: pd.DataFrame, custs: pd.DataFrame, policy: CreditPolicy, months: int) -> None:
    """Average monthly net sales, and the limit, terms and prepayment the grade suggests."""
    net = out["net_sales"].to_numpy(dtype=np.int64)
    avg = [Fraction(max(int(v), 0), months) for v in net]
    grades = out["credit_grade"].tolist()
    limit: list[Any] = []
    days: list[Any] = []
    prepay: list[Any] = []
    for g, a in zip(grades, avg, strict=True):
        if g is None or pd.isna(g):
            limit.append(pd.NA)
            days.append(pd.NA)
            prepay.append(pd.NA)
            continue
        t = policy[g]
        limit.append(t.limit_fen(a))
        days.append(t.terms_days)
        prepay.append(t.prepayment)
    out["avg_monthly_sales"] = [_half_up(a) for a in avg]
    out["suggested_limit"] = pd.array(limit, dtype="Int64")
    out["suggested_terms"] = pd.array(days, dtype="Int64")
    out["prepayment"] = pd.array(prepay, dtype="boolean")
    out["credit_limit"] = custs["信用额度"].to_numpy(dtype=np.int64, na_value=0)
    terms = custs["账期天数"]
    out["terms_days"] = terms.to_numpy(dtype=np.int64, na_value=ledger.DEFAULT_TERMS_DAYS)
