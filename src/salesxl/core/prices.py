"""价格水平控制 (spec v1.1 §3 "Prices"): the price list, the price of every sale, the analysis.

The head of sales sets price levels per customer level and season in 价目表; this module finds,
for each positive 销售 line, the one price-list row that applies ("most specific wins"), checks
the line's unit price against it (``no-price``, ``below-floor``, ``price-deviation``), checks the
price list itself (``duplicate-price``, ``date-order``, ``out-of-range``), and sums the lines of
a period per 产品 × 客户等级, 产品 × quarter and salesperson.

Everything runs over whole columns: the scale book has a million sales lines and a 5,000-row
price list.  Lines are reduced to their distinct (product, spec, level, day) keys, and each key
is merged only with the price rows of *exactly* its key or one of its three blank-widened keys
(spec → blank, level → blank), so the merge is the number of keys times the handful of periods
a product has, never lines × price list.  The ranking is one sort.

Comparisons are exact: a unit price is a fraction N / D of fen (D = 1 for a typed 单价; for
金额 / 数量 it is 金额 × 1000 / (数量 × 1000)), compared by cross-multiplying integers, never
rounded first.  The customer's level comes from :func:`salesxl.core.classification.levels`
through :func:`~salesxl.core.classification.classify_levels_statuses` — the classify rule itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from salesxl.core.findings import Code, Finding
from salesxl.core.money import fen_to_str
from salesxl.core.tables import ROW, ROW_GROUP_SHIFT, Book, Table, day_numbers, fen_values

#: The checks a line can get (spec §5 ``check``).
OK, NO_PRICE, BELOW_FLOOR, DEVIATION = "ok", "no-price", "below-floor", "price-deviation"
CHECKS = (OK, NO_PRICE, BELOW_FLOOR, DEVIATION)
LEVELS = ("A", "B", "C")
_NO_DAY = np.iinfo(np.int64).min // 4  # an open 开始日期
_END_DAY = np.iinfo(np.int64).max // 4  # an open 结束日期
_EPOCH = np.datetime64("1970-01-01", "D")
_SAFE = 2**62


# ---------------------------------------------------------------------------------------------
# Small exact helpers




def _wide(*arrays: np.ndarray, bound: float) -> tuple[np.ndarray, ...]:
    """The arrays as int64 when products up to ``bound`` fit, else as Python ints (exact)."""
    if bound < _SAFE:
        return tuple(np.asarray(a, dtype=np.int64) for a in arrays)
    return tuple(np.asarray(a, dtype=np.int64).astype(object) for a in arrays)


def _half_up_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """round(num / den) half-up (away from zero), den > 0, exactly."""
    mag = (2 * np.abs(num) + den) // (2 * den)
    return np.where(num < 0, -mag, mag)


def _milli(qty: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(数量 × 1000 as int64, exact) — quantities are typed to at most 3 decimals."""
    scaled = np.round(np.nan_to_num(qty) * 1000.0)
    exact = np.abs(scaled / 1000.0 - np.nan_to_num(qty)) <= 1e-9 * np.maximum(1.0, np.abs(np.nan_to_num(qty)))
    return scaled.astype(np.int64), exact


def rate4(num: int, den: int) -> float | None:
    """num / den rounded half-up to 4 decimals (spec: rates rounded when shown); None for 0."""
    if den == 0:
        return None
    scaled = int(_half_up_ratio(np.array([num * 10000], dtype=object), np.array([den], dtype=object))[0])
    return scaled / 10000


# ---------------------------------------------------------------------------------------------
# The price list


@dataclass
class PriceList:
    """价目表 in row order, with integer keys: what selection and the checks need.

    ``frame`` keeps the sheet's own columns; ``start``/``end`` are day numbers with open ends at
    ±infinity; ``usable`` rows can apply (product and 标准价 given, period not reversed).
    """

    table: Table
    frame: pd.DataFrame
    start: np.ndarray
    end: np.ndarray
    dated: np.ndarray
    usable: np.ndarray

    @classmethod
    def of(cls, table: Table) -> PriceList:
        f = table.frame
        if not f[ROW].is_monotonic_increasing:
            f = f.sort_values(ROW, kind="stable").reset_index(drop=True)
        start, has_start = day_numbers(f["开始日期"])
        end, has_end = day_numbers(f["结束日期"])
        start = np.where(has_start, start, _NO_DAY)
        end = np.where(has_end, end, _END_DAY)
        level = f["客户等级"]
        good_level = level.isna().to_numpy() | level.isin(LEVELS).to_numpy()
        usable = (f["产品"].notna().to_numpy() & f["标准价"].notna().to_numpy() & (start <= end) & good_level)
        return cls(table, f, start, end, has_start | has_end, usable)

    def column(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        return fen_values(self.frame[name])


def price_list_findings(table: Table) -> list[Finding]:
    """价目表's own rules (spec §2): ``date-order`` (结束日期 before 开始日期), ``out-of-range``
    (标准价 ≤ 0, 最低价 > 标准价, 成本价 < 0) and ``duplicate-price`` (two rows the tie-breaks
    cannot tell apart: same 产品, 规格, 客户等级, 开始日期 and dated-ness), on the later row."""
    pl = PriceList.of(table)
    f = pl.frame
    out: list[Finding] = []
    start, has_start = day_numbers(f["开始日期"])
    end, has_end = day_numbers(f["结束日期"])
    reversed_ = has_start & has_end & (end < start)
    out += _emit(pl, "结束日期", reversed_, Code.DATE_ORDER, lambda i: {
        "reason": f"早于开始日期 {_day_text(start[i])}",
        "reason_en": f"it is before the start date {_day_text(start[i])}",
    })
    listed, has_list = pl.column("标准价")
    out += _emit(pl, "标准价", has_list & (listed <= 0), Code.OUT_OF_RANGE, lambda i: {
        "reason": "标准价须大于 0", "reason_en": "the list price must be greater than 0"})
    floor, has_floor = pl.column("最低价")
    out += _emit(pl, "最低价", has_floor & has_list & (listed > 0) & (floor > listed), Code.OUT_OF_RANGE, lambda i: {
        "reason": f"最低价不能高于标准价 {fen_to_str(int(listed[i]))}",
        "reason_en": f"the floor price must not exceed the list price {fen_to_str(int(listed[i]))}"})
    cost, has_cost = pl.column("成本价")
    out += _emit(pl, "成本价", has_cost & (cost < 0), Code.OUT_OF_RANGE, lambda i: {
        "reason": "不能为负数", "reason_en": "it must not be negative"})
    keys = pd.DataFrame({
        "g": f[ROW].to_numpy(dtype=np.int64) >> ROW_GROUP_SHIFT,
        "p": f["产品"], "s": f["规格"].fillna(""), "l": f["客户等级"].fillna(""),
        "start": np.where(has_start, start, _NO_DAY), "dated": pl.dated,
    })
    valid = f["产品"].notna().to_numpy() & ~reversed_
    dup = np.zeros(len(f), dtype=bool)
    first = np.zeros(len(f), dtype=np.int64)
    if valid.any():
        sub = keys[valid]
        dup[valid] = sub.duplicated(keep="first").to_numpy()
        first[valid] = sub.assign(r=f[ROW].to_numpy()[valid]).groupby(list(sub.columns), sort=False)["r"] \
            .transform("min").to_numpy()
    out += _emit(pl, "产品", dup, Code.DUPLICATE_PRICE, lambda i: {
        "first_row": int(first[i]) & ((1 << ROW_GROUP_SHIFT) - 1)})
    return out


def _day_text(day: Any) -> str:
    return str(_EPOCH + np.timedelta64(int(day), "D"))


def _emit(pl: PriceList | Table, name: str, mask: np.ndarray, code: Code,
          params: Any) -> list[Finding]:
    """One finding per True row at column ``name`` of the sheet (none if it lacks the column)."""
    table = pl.table if isinstance(pl, PriceList) else pl
    frame = pl.frame
    letter = table.letter(name)
    idx = np.flatnonzero(mask)
    if letter is None or len(idx) == 0:
        return []
    rows = frame[ROW].to_numpy(dtype=np.int64)
    values = frame[name]
    out = []
    for i in idx.tolist():
        v = values.iloc[i]
        text = None if v is pd.NA or v is None else (fen_to_str(int(v)) if isinstance(v, int | np.integer)
                                                     else _cell_text(v))
        out.append(Finding(sheet=table.sheet, row=int(rows[i]), column=letter, field=name, value=text,
                           code=code, params=params(i)))
    return out


def _cell_text(v: Any) -> str:
    if isinstance(v, pd.Timestamp | np.datetime64):
        return pd.Timestamp(v).strftime("%Y-%m-%d")
    return str(v)


# ---------------------------------------------------------------------------------------------
# Selection: most specific wins


def select_rows(product: pd.Series, spec: pd.Series, level: pd.Series, day: np.ndarray,
                group: np.ndarray, pl: PriceList) -> np.ndarray:
    """For each line, the position in ``pl.frame`` of its price row, -1 for none.

    A row applies when its 产品 is the line's, its 规格 the line's or blank, its 客户等级 the
    line's or blank, and its period holds ``day``.  Among those: a 规格 beats a blank one, then a
    客户等级 beats a blank one, then a dated row an undated one, then the later 开始日期; rows
    still equal go to the topmost (they are ``duplicate-price``).  ``level`` blank means the
    level is unknown: only blank-level rows apply.
    """
    n = len(product)
    out = np.full(n, -1, dtype=np.int64)
    use = np.flatnonzero(pl.usable)
    if n == 0 or len(use) == 0:
        return out
    pf = pl.frame.iloc[use]
    # One code space for each text column over lines and price rows; blank = -1.
    prod_l, prod_p = _codes(product, pf["产品"], group, pf[ROW].to_numpy(dtype=np.int64) >> ROW_GROUP_SHIFT)
    spec_l, spec_p = _codes(spec, pf["规格"])
    lev_l, lev_p = _codes(level, pf["客户等级"])
    key = pd.DataFrame({"prod": prod_l, "spec": spec_l, "lev": lev_l, "day": day})
    has = (prod_l >= 0)
    keys, inverse = _distinct(key[has])
    k_prod, k_spec, k_lev, k_day = (keys[c].to_numpy(dtype=np.int64) for c in ("prod", "spec", "lev", "day"))
    ok = (prod_p >= 0) & (spec_p >= -1) & (lev_p >= -1)  # a -2 code is a value no line has
    spec_w = int(max(spec_l.max(initial=-1), spec_p.max(initial=-1))) + 2
    lev_w = int(max(lev_l.max(initial=-1), lev_p.max(initial=-1))) + 2

    def combined(prod: np.ndarray, spec_: np.ndarray, lev: np.ndarray) -> np.ndarray:
        return (prod * spec_w + spec_ + 1) * lev_w + lev + 1

    # Price rows sorted by (exact key, rank): dated first, later start, topmost — so the first
    # row of a key that holds a day is that key's winner.
    r_key = combined(prod_p, spec_p, lev_p)[ok]
    r_start, r_end, r_dated, r_pos = pl.start[use][ok], pl.end[use][ok], pl.dated[use][ok], use[ok]
    order = np.lexsort((r_pos, -r_start, ~r_dated, r_key))
    r_key, r_start, r_end, r_pos = r_key[order], r_start[order], r_end[order], r_pos[order]
    chosen = np.full(len(keys), -1, dtype=np.int64)
    # Most specific first: (spec, level), (spec, blank), (blank, level), (blank, blank); a key
    # goes to the next combination only while it has no row.
    for by_spec, by_level in ((True, True), (True, False), (False, True), (False, False)):
        todo = np.flatnonzero((chosen < 0) & ((k_spec >= 0) | ~by_spec) & ((k_lev >= 0) | ~by_level))
        if len(todo) == 0 or len(r_key) == 0:
            continue
        want = combined(k_prod[todo], k_spec[todo] if by_spec else np.full(len(todo), -1),
                        k_lev[todo] if by_level else np.full(len(todo), -1))
        lo = np.searchsorted(r_key, want, side="left")
        hi = np.searchsorted(r_key, want, side="right")
        count = hi - lo
        if count.sum() == 0:
            continue
        owner = np.repeat(np.arange(len(todo)), count)  # candidate → its key (in todo order)
        row = np.repeat(lo - np.cumsum(count) + count, count) + np.arange(int(count.sum()))
        holds = (r_start[row] <= k_day[todo][owner]) & (k_day[todo][owner] <= r_end[row])
        owner, row = owner[holds], row[holds]
        first = np.unique(owner, return_index=True)[1]  # candidates are in rank order per key
        chosen[todo[owner[first]]] = r_pos[row[first]]
    out[has] = chosen[inverse]
    return out


def _codes(lines: pd.Series, rows: pd.Series, line_group: np.ndarray | None = None,
           row_group: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Shared integer codes of a text column of the lines and of the price rows: -1 blank, and
    -2 for a row value no line has (it can match nothing).  The lines are hashed once in their
    own (Arrow) dtype; the few price rows are looked up in the result.  With groups, equal
    texts of different groups (batch templates) get different codes."""
    line_codes, uniques = pd.factorize(lines, use_na_sentinel=True)
    line_codes = np.asarray(line_codes, dtype=np.int64)
    row_codes = np.asarray(pd.Index(uniques, dtype=object).get_indexer(rows.astype(object)), dtype=np.int64)
    row_codes = np.where((row_codes < 0) & rows.notna().to_numpy(), -2, row_codes)
    if line_group is not None and row_group is not None and (line_group.any() or row_group.any()):
        width = int(max(line_group.max(initial=0), row_group.max(initial=0))) + 1
        both = np.concatenate([line_codes * width + line_group, row_codes * width + row_group])
        real = np.concatenate([line_codes, row_codes]) >= 0
        dense = np.where(real, pd.factorize(np.where(real, both, 0))[0], np.concatenate([line_codes, row_codes]))
        return dense[: len(lines)], dense[len(lines):]
    return line_codes, row_codes


def _distinct(key: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The distinct rows of ``key`` numbered ``k``, and each row's ``k``."""
    if len(key) == 0:
        codes = np.zeros(0, dtype=np.int64)
    else:  # one mixed-radix int64 key (codes are small), hashed once
        combined = np.zeros(len(key), dtype=np.int64)
        bound = 1
        for name in key.columns:
            col = key[name].to_numpy(dtype=np.int64)
            low = int(col.min())
            width = int(col.max()) - low + 1
            bound *= width
            combined = combined * width + (col - low)
        codes = (pd.factorize(combined)[0] if bound < _SAFE
                 else pd.MultiIndex.from_frame(key).factorize()[0]).astype(np.int64)
    first = np.unique(codes, return_index=True)[1]
    keys = key.iloc[first].reset_index(drop=True)
    return keys.assign(k=np.arange(len(keys))), codes


# ---------------------------------------------------------------------------------------------
# The lines and their checks


@dataclass
class PricedLines:
    """The positive 销售 lines that were price-checked, one row per line (sales frame order).

    Columns: ``i`` (position in the 销售 frame), ``sheet_row``, ``product``, ``spec``,
    ``customer_id``, ``level`` (A/B/C or blank), ``day``, ``qty``, ``qty_milli``, ``revenue`` (fen),
    ``unit_price`` (fen, half-up; <NA> without one), ``list_price``/``floor_price``/``cost``
    (fen or <NA>), ``deviation_e4`` ((unit − 标准价)/标准价 × 10⁴ half-up, or <NA>), ``check``,
    ``price_row`` (价目表 row or <NA>), ``field`` (where a finding is marked).
    """

    frame: pd.DataFrame
    limit: Fraction


def customer_levels(book: Book, as_of: date) -> pd.Series:
    """客户编号 → level (A/B/C) as of ``as_of``, by classify's own rule (spec §3 Level)."""
    from salesxl.core.classification import classify_levels_statuses  # routes load lazily

    table = classify_levels_statuses(book, as_of)
    return pd.Series(table["level"].to_numpy(dtype=object), index=table["customer_id"].astype(object))


def price_lines(book: Book, as_of: date, *, period: tuple[date, date] | None = None,
                levels: pd.Series | None = None) -> PricedLines:
    """Select and check every positive 销售 line (in ``period`` when given; lines without a date
    or product are not checked).  Levels are as of ``as_of``."""
    sales = book.table("销售")
    plt = book.table("价目表")
    limit = Fraction(book.settings.price_deviation)
    if sales is None or plt is None:
        return PricedLines(pd.DataFrame(), limit)
    f = sales.frame
    qty = f["数量"].to_numpy(dtype=np.float64, na_value=np.nan)
    day, has_day = day_numbers(f["日期"])
    mask = (qty > 0) & has_day & f["产品"].notna().to_numpy()
    if period is not None:
        lo = int((np.datetime64(period[0], "D") - _EPOCH).astype(np.int64))
        hi = int((np.datetime64(period[1], "D") - _EPOCH).astype(np.int64))
        mask &= (day >= lo) & (day <= hi)
    idx = np.flatnonzero(mask)
    used = [ROW, "产品", "规格", "客户编号", "业务员", "单价", "金额"]
    sub = f[used].iloc[idx] if len(idx) < len(f) else f[used]
    if levels is None:
        levels = customer_levels(book, as_of)
    # Each distinct 客户编号 looked up once (hashing the Arrow column, not a million objects).
    cust_codes, cust_ids = pd.factorize(sub["客户编号"], use_na_sentinel=True)
    at = np.asarray(pd.Index(levels.index).get_indexer(pd.Index(cust_ids, dtype=object)), dtype=np.int64)
    known = levels.to_numpy(dtype=object)
    per_id = np.full(len(at) + 1, None, dtype=object)  # the last slot is code -1 (blank id): no level
    if len(known):
        per_id[:-1] = np.where(at >= 0, known[np.maximum(at, 0)], None)
    level_s = pd.Series(per_id[np.asarray(cust_codes)], dtype=object)
    pl = PriceList.of(plt)
    group = sub[ROW].to_numpy(dtype=np.int64) >> ROW_GROUP_SHIFT
    pos = select_rows(sub["产品"].reset_index(drop=True), sub["规格"].reset_index(drop=True), level_s,
                      day[idx], group, pl)
    return PricedLines(_checked(sub, idx, qty[idx], day[idx], level_s, pos, pl, limit), limit)


def _checked(sub: pd.DataFrame, idx: np.ndarray, qty: np.ndarray, day: np.ndarray, level: pd.Series,
             pos: np.ndarray, pl: PriceList, limit: Fraction) -> pd.DataFrame:
    n = len(sub)
    price, has_price = fen_values(sub["单价"])
    amount, has_amount = fen_values(sub["金额"])
    qm, exact = _milli(qty)
    priced = pos >= 0
    at = np.maximum(pos, 0)

    def from_list(name: str) -> tuple[np.ndarray, np.ndarray]:
        v, ok = pl.column(name)
        if len(v) == 0:
            return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
        return np.where(priced, v[at], 0), priced & ok[at]

    lst, _ = from_list("标准价")
    flo, has_floor = from_list("最低价")
    cost, has_cost = from_list("成本价")
    # Unit price = N / D fen: 单价 (D = 1), else 金额 × 1000 / (数量 × 1000).
    by_amount = ~has_price & has_amount
    has_unit = has_price | by_amount
    big = float(max(np.abs(amount).max(initial=0), np.abs(price).max(initial=0), 1)) * 1000
    bound = big * float(max(qm.max(initial=1), 1)) * float(max(lst.max(initial=1), flo.max(initial=1), 1)) \
        * 20000 * max(limit.numerator, limit.denominator, 1)
    num = np.where(by_amount, amount * 1000, price)
    den = np.where(by_amount, np.maximum(qm, 1), 1)
    num, den, lst_w, flo_w = _wide(num, den, lst, flo, bound=bound)
    inexact = np.flatnonzero(by_amount & ~exact)
    if len(inexact):  # 数量 with more than 3 decimals: the float's exact value
        num, den, lst_w, flo_w = (a.astype(object) for a in (num, den, lst_w, flo_w))
        for i in inexact.tolist():
            q = Fraction(float(qty[i]))
            num[i], den[i] = int(amount[i]) * q.denominator, q.numerator
    check = np.full(n, OK, dtype=object)
    check[~priced] = NO_PRICE
    ld = lst_w * den
    below = priced & has_unit & has_floor & (num < flo_w * den)
    diff = num - ld
    deviates = priced & has_unit & (lst > 0) & (np.abs(diff) * limit.denominator > limit.numerator * ld) & ~below
    check[below] = BELOW_FLOOR
    check[deviates] = DEVIATION
    can_dev = priced & has_unit & (lst > 0)
    dev = np.where(can_dev, _half_up_ratio(np.where(can_dev, diff * 10000, 0), np.where(can_dev, ld, 1)), 0)
    unit = _half_up_ratio(num, den)
    revenue = np.where(has_amount, amount, np.where(has_price, _half_up_ratio(price * qm, np.full(n, 1000)), 0))
    rows = sub[ROW].to_numpy(dtype=np.int64)
    price_rows = pl.frame[ROW].to_numpy(dtype=np.int64)

    def nullable(values: np.ndarray, ok: np.ndarray) -> pd.Series:
        return pd.Series(pd.array(np.where(ok, values, 0).astype(np.int64), dtype="Int64")).where(ok, pd.NA)

    return pd.DataFrame({
        "i": idx,
        "sheet_row": rows & ((1 << ROW_GROUP_SHIFT) - 1),
        "row": rows,
        "product": sub["产品"].array,
        "spec": sub["规格"].array,
        "customer_id": sub["客户编号"].array,
        "salesperson": sub["业务员"].array,
        "level": level.to_numpy(dtype=object),
        "day": day,
        "qty": qty,
        "qty_milli": qm,
        "revenue": np.asarray(revenue, dtype=np.int64),
        "unit_price": nullable(np.asarray(unit).astype(np.int64), has_unit),
        "list_price": nullable(lst, priced),
        "floor_price": nullable(flo, has_floor),
        "cost": nullable(cost, has_cost),
        "deviation_e4": nullable(np.asarray(dev).astype(np.int64), can_dev),
        "check": check,
        "price_row": nullable(np.where(priced, price_rows[at] if len(price_rows) else 0, 0)
                              & ((1 << ROW_GROUP_SHIFT) - 1), priced),
        "field": np.where(has_price, "单价", "金额"),
    })


def price_findings(book: Book, *, as_of: date) -> dict[str, list[Finding]]:
    """Every price finding of ``book`` (spec §3 Prices), by canonical sheet: 价目表's own rules
    and, when 价目表 exists, one finding at most per positive 销售 line."""
    plt = book.table("价目表")
    if plt is None:
        return {}
    out: dict[str, list[Finding]] = {"价目表": price_list_findings(plt)}
    sales = book.table("销售")
    if sales is None or not sales.has("产品"):
        return out
    lines = price_lines(book, as_of).frame
    out["销售"] = line_findings(sales, lines, Fraction(book.settings.price_deviation))
    return out


def line_findings(sales: Table, lines: pd.DataFrame, limit: Fraction) -> list[Finding]:
    """The findings of the checked lines that are not ``ok``, at the cells spec §4 names."""
    bad = lines[lines["check"] != OK] if len(lines) else lines
    out: list[Finding] = []
    limit_text = _percent(float(limit))
    for r in bad.itertuples(index=False):
        spec = "" if pd.isna(r.spec) else str(r.spec)
        if r.check == NO_PRICE:
            where, value = "产品", r.product
            params: dict[str, Any] = {
                "product": r.product, "spec": f"（{spec}）" if spec else "", "spec_en": f" ({spec})" if spec else "",
                "level": "—" if pd.isna(r.level) else r.level, "date": _day_text(r.day),
            }
        else:
            where = r.field if sales.has(r.field) else "金额"
            value = None
            params = {
                "unit_price": fen_to_str(int(r.unit_price)), "list_price": fen_to_str(int(r.list_price)),
                "floor": fen_to_str(int(r.floor_price)) if r.floor_price is not pd.NA else "",
                "deviation": _percent(int(r.deviation_e4) / 10000), "limit": limit_text,
                "price_row": int(r.price_row),
            }
        letter = sales.letter(where)
        if letter is None:
            continue
        if value is None:
            cell = sales.frame[where].iloc[int(r.i)]
            value = None if cell is pd.NA else fen_to_str(int(cell))
        out.append(Finding(sheet=sales.sheet, row=int(r.row), column=letter, field=where, value=value,
                           code=Code(r.check), params=params))
    return out


def _percent(x: float) -> str:
    return f"{x * 100:+.2f}%".replace("+", "") if x >= 0 else f"{x * 100:.2f}%"


# ---------------------------------------------------------------------------------------------
# The analysis


MEASURES = ("qty", "revenue", "average_price", "list_revenue", "discount", "discount_rate", "cost", "margin",
            "margin_rate")


def group_measures(lines: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Spec §3's price analysis per ``keys``: qty, revenue, average price (half-up to the fen),
    list revenue, discount and its rate over the priced lines, cost, margin and its rate over the
    lines whose 成本价 is known.  Money is int fen (<NA> where unknown), rates floats (4 dp)."""
    cols = [*keys, *MEASURES]
    if len(lines) == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    priced = lines["list_price"].notna().to_numpy()
    costed = lines["cost"].notna().to_numpy()
    qm = lines["qty_milli"].to_numpy(dtype=np.int64)
    rev = lines["revenue"].to_numpy(dtype=np.int64)
    lst = lines["list_price"].fillna(0).to_numpy(dtype=np.int64)
    cst = lines["cost"].fillna(0).to_numpy(dtype=np.int64)
    bound = float(np.abs(qm).max(initial=0)) * float(max(lst.max(initial=0), cst.max(initial=0), 1)) * len(lines)
    qm, rev, lst, cst = _wide(qm, rev, lst, cst, bound=max(bound, float(np.abs(rev).sum())))
    work = lines[keys].copy()
    for k in keys:
        work[k] = work[k].fillna("")
    work = work.assign(
        qm=qm, rev=rev, list_m=np.where(priced, qm * lst, 0), rev_p=np.where(priced, rev, 0),
        cost_m=np.where(costed, qm * cst, 0), rev_c=np.where(costed, rev, 0),
        n_p=priced.astype(np.int64), n_c=costed.astype(np.int64),
    )
    sums = work.groupby(keys, sort=True, dropna=False).agg(
        {c: "sum" for c in ("qm", "rev", "list_m", "rev_p", "cost_m", "rev_c", "n_p", "n_c")}).reset_index()
    records = []
    for r in sums.to_dict("records"):
        q, revenue = int(r["qm"]), int(r["rev"])
        rec: dict[str, Any] = {k: (r[k] if r[k] != "" else None) for k in keys}
        rec["qty"] = q / 1000
        rec["revenue"] = revenue
        rec["average_price"] = int(_half_up_ratio(np.array([revenue * 1000], dtype=object),
                                                  np.array([q], dtype=object))[0]) if q > 0 else None
        if r["n_p"]:
            list_rev = int(_half_up_ratio(np.array([int(r["list_m"])], dtype=object), np.array([1000], dtype=object))[0])
            rec["list_revenue"], rec["discount"] = list_rev, list_rev - int(r["rev_p"])
            rec["discount_rate"] = rate4(rec["discount"], list_rev)
        else:
            rec["list_revenue"] = rec["discount"] = rec["discount_rate"] = None
        if r["n_c"]:
            cost = int(_half_up_ratio(np.array([int(r["cost_m"])], dtype=object), np.array([1000], dtype=object))[0])
            rec["cost"], rec["margin"] = cost, int(r["rev_c"]) - cost
            rec["margin_rate"] = rate4(rec["margin"], int(r["rev_c"]))
        else:
            rec["cost"] = rec["margin"] = rec["margin_rate"] = None
        records.append(rec)
    return pd.DataFrame.from_records(records, columns=cols)


@dataclass
class PriceAnalysis:
    """``salesxl prices`` over [``date_from``, ``date_to``] with levels as of ``date_to``."""

    date_from: date
    date_to: date
    lines: pd.DataFrame
    by_product_level: pd.DataFrame
    by_product_quarter: pd.DataFrame
    below_list: pd.DataFrame
    by_salesperson: pd.DataFrame
    total: dict[str, Any]
    findings: list[Finding] = field(default_factory=list)
    written: Any = None  # the 价格分析 workbook's path, when one was written

    @property
    def errors(self) -> int:
        return int((self.lines["check"] == BELOW_FLOOR).sum()) if len(self.lines) else 0


#: How many lines the "furthest below list" table shows.
BELOW_LIST_COUNT = 20


def analyse(book: Book, date_from: date, date_to: date) -> PriceAnalysis:
    """The price analysis of spec §3 over a period: the checked lines, per 产品 × 客户等级, per
    产品 × quarter, the lines furthest below list (with salesperson and customer), and discount
    and margin per salesperson (the line's 业务员, else the customer's)."""
    lines = price_lines(book, date_to, period=(date_from, date_to)).frame
    if len(lines):
        lines = lines.assign(salesperson=_salespeople(book, lines), customer_name=_names(book, lines))
        days = lines["day"].to_numpy().astype("datetime64[D]")
        years = days.astype("datetime64[Y]").astype(np.int64) + 1970
        months = days.astype("datetime64[M]").astype(np.int64) % 12
        lines = lines.assign(quarter=pd.Series(years.astype(str), dtype=object) + "Q"
                             + pd.Series((months // 3 + 1).astype(str), dtype=object))
    else:
        lines = lines.assign(**{c: pd.Series(dtype=object) for c in ("salesperson", "customer_name", "quarter")})
    below = lines[lines["deviation_e4"].notna()] if len(lines) else lines
    if len(below):
        below = below[below["deviation_e4"] < 0].sort_values(["deviation_e4", "sheet_row"], kind="stable")
    total = group_measures(lines.assign(all=""), ["all"]).drop(columns="all")
    total_rec = total.iloc[0].to_dict() if len(total) else dict.fromkeys(MEASURES)
    return PriceAnalysis(
        date_from, date_to, lines,
        by_product_level=group_measures(lines, ["product", "level"]),
        by_product_quarter=group_measures(lines, ["product", "quarter"]),
        below_list=below.head(BELOW_LIST_COUNT).reset_index(drop=True),
        by_salesperson=group_measures(lines, ["salesperson"]),
        total=total_rec,
    )


def _salespeople(book: Book, lines: pd.DataFrame) -> np.ndarray:
    """The line's 业务员, else the customer's (spec §3 Monthly summary)."""
    own = lines["salesperson"].to_numpy(dtype=object)
    cards = book.table("客户档案")
    if cards is None:
        return own
    by_id = cards.frame.drop_duplicates("客户编号").set_index("客户编号")["业务员"]
    theirs = by_id.reindex(lines["customer_id"].astype(object)).to_numpy(dtype=object, na_value=None)
    return np.where(pd.isna(own), theirs, own)


def _names(book: Book, lines: pd.DataFrame) -> np.ndarray:
    cards = book.table("客户档案")
    if cards is None:
        return np.full(len(lines), None, dtype=object)
    by_id = cards.frame.drop_duplicates("客户编号").set_index("客户编号")["客户名称"]
    return by_id.reindex(lines["customer_id"].astype(object)).to_numpy(dtype=object, na_value=None)


def quote(pl: PriceList, product: str, spec: str | None, level: str | None, day: date) -> tuple[int, int | None] | None:
    """(标准价, 最低价) in fen for one quote, or None without a price row: the worksheet
    function's core (the same selection as the checks)."""
    lev = {"主要客户": "A", "一般客户": "B", "零散客户": "C"}.get(str(level or "").strip(), str(level or "").strip())
    d = int((np.datetime64(day, "D") - _EPOCH).astype(np.int64))
    pos = select_rows(pd.Series([product], dtype=object), pd.Series([spec or None], dtype=object),
                      pd.Series([lev.upper() or None], dtype=object), np.array([d]), np.zeros(1, dtype=np.int64), pl)
    if pos[0] < 0:
        return None
    listed, _ = pl.column("标准价")
    floor, has_floor = pl.column("最低价")
    return int(listed[pos[0]]), (int(floor[pos[0]]) if has_floor[pos[0]] else None)


#: What a salesperson may see of 价目表: never 成本价 (spec §2: confidential).
QUOTE_COLUMNS = ("产品", "规格", "客户等级", "开始日期", "结束日期", "标准价", "最低价")
_LEVEL_OF_CARD = {"主要客户": "A", "一般客户": "B", "零散客户": "C", "A": "A", "B": "B", "C": "C"}


def quotable(table: Table, card_levels: list[Any], issued: date) -> pd.DataFrame:
    """The price-list rows a salesperson may quote from ``issued`` on: those for a level of
    their customers (``card_levels``: their cards' 客户等级; a card without one opens every
    level) or for every level, not ended before ``issued``, in sheet order — and only
    :data:`QUOTE_COLUMNS`, so 成本价 cannot leak into their template."""
    pl = PriceList.of(table)
    levels = {_LEVEL_OF_CARD.get(str(v).strip()) if v is not None and not pd.isna(v) else None
              for v in card_levels}
    level = pl.frame["客户等级"]
    if None in levels:
        wanted = np.ones(len(level), dtype=bool)
    else:
        wanted = level.isna().to_numpy() | level.isin(sorted(x for x in levels if x)).to_numpy()
    cut = int((np.datetime64(issued, "D") - _EPOCH).astype(np.int64))
    keep = pl.usable & wanted & (pl.end >= cut)
    return pl.frame.loc[keep, list(QUOTE_COLUMNS)].reset_index(drop=True)


__all__ = [
    "BELOW_FLOOR", "BELOW_LIST_COUNT", "CHECKS", "DEVIATION", "LEVELS", "MEASURES", "NO_PRICE", "OK",
    "QUOTE_COLUMNS", "PriceAnalysis", "PriceList", "PricedLines", "quotable", "analyse", "customer_levels", "group_measures", "line_findings",
    "price_findings", "price_lines", "price_list_findings", "quote", "rate4", "select_rows",
]
