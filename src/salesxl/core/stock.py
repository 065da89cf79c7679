"""货卡与盘点 · stock cards and counts (spec §2 库存 and 盘点, §3 "Stock"), vectorised.

A stock card (货卡) is the run of 库存 rows with one (仓库, 产品, 规格, 批号).  Every rule here
is a few whole-column operations, because the scale book holds a million card movements:

* each card is one integer (the four texts factorised together), each movement a signed
  quantity in **integer thousandths** (the spec fixes quantities to 0.001, so nothing is ever
  compared as a float), and the running balance is one cumulative sum over the movements
  sorted by (card, 日期, row), less the sum before each card's first movement;
* "the balance at the end of day d" is a binary search (``searchsorted``) of ``card·2³² + day``
  in that same order, which answers a whole 盘点 sheet, every card as of D or one cell of
  ``SALESXL_STOCK`` alike;
* a batch's quality on a date is the same search over the 期初/入库 rows carrying a 质量状态,
  keyed by (产品, 规格, 批号) only — the spec says "any warehouse";
* shipments and issues are matched by totals per (单号, 产品, 规格, 批号, warehouse group),
  with ``bincount``.

:func:`stock_checks` gives the findings (wired into validation), :func:`stock` the balances and
count variances of ``salesxl stock``, :func:`release_holds` the batches on hold behind each line
of 发货放行, :func:`book_balance` the worksheet function's answer.  Nothing here reads a file.

Where the spec is silent: a 期初/入库 row with a blank 质量状态 states no status (the batch keeps
the one of its previous row); the stock rules run only when 库存 holds at least one row (an
empty 库存 sheet, as the office template has, is a book that keeps no cards); ``unmatched-issue``
needs a 发货 sheet to compare with; a 发货 row that names no 仓库 is matched by issues from any
warehouse no other row of that shipment, product, spec and batch names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from salesxl.core.findings import Code, Finding
from salesxl.core.schema import SHEETS
from salesxl.core.tables import ROW, Book, Table

#: Quantities are exact to 0.001 (spec §3): held as integer thousandths.
QTY_SCALE = 1000
OPENING, RECEIPT, ISSUE, ADJUST = "期初", "入库", "出库", "调整"
RELEASED = "合格"
QUALITY_EN = {"合格": "Released", "待检": "Quarantine", "不合格": "Rejected"}
GAIN, LOSS = "盘盈", "盘亏"
_DAY_BITS = 32
_DAY_BIAS = 1 << 30  # days since 1970 shifted to stay positive inside the low 32 bits

__all__ = [
    "GAIN", "LOSS", "QTY_SCALE", "Cards", "StockResult", "book_balance", "milli", "milli_to_decimal",
    "milli_text", "release_holds", "stock", "stock_checks", "unit_costs",
]


# ---------------------------------------------------------------------------------------------
# Quantities


def milli(values: Any) -> tuple[np.ndarray, np.ndarray]:
    """Float quantities → (int64 thousandths, readable mask).  ×1000 then rounded to the
    nearest integer: a cell's binary noise (0.1 + 0.2) is far below half a thousandth."""
    x = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(x) & (np.abs(x) < 1e12)
    return np.rint(np.where(ok, x, 0.0) * QTY_SCALE).astype(np.int64), ok


def milli_to_decimal(m: int) -> Decimal:
    """``12500`` → ``Decimal("12.5")``; ``3000`` → ``Decimal("3")`` (no trailing zeros)."""
    return Decimal(milli_text(m))


def milli_text(m: int) -> str:
    """``12500`` → ``"12.5"``, ``-3000`` → ``"-3"``: a quantity as a person writes it."""
    sign = "-" if m < 0 else ""
    whole, frac = divmod(abs(int(m)), QTY_SCALE)
    tail = f"{frac:03d}".rstrip("0")
    return f"{sign}{whole}" + (f".{tail}" if tail else "")


# ---------------------------------------------------------------------------------------------
# Keys shared across sheets


def _blank(s: pd.Series) -> np.ndarray:
    return s.isna().to_numpy(dtype=bool)


def _is(s: pd.Series, value: str) -> np.ndarray:
    """``s == value`` as a bool array (blank: False), compared in Arrow, never row by row."""
    return np.asarray(s.eq(value).fillna(False).to_numpy(dtype=bool, na_value=False), dtype=bool)


def _kind_sign(s: pd.Series) -> np.ndarray:
    """+1 for 期初/入库/调整, −1 for 出库, 0 for anything else (blank, unknown)."""
    return (_is(s, OPENING) | _is(s, RECEIPT) | _is(s, ADJUST)).astype(np.int64) - _is(s, ISSUE).astype(np.int64)


def joint_codes(parts: list[list[pd.Series]], optional: frozenset[int] = frozenset()) -> list[np.ndarray]:
    """Dense integer keys of several text columns, consistent across tables.

    ``parts[i]`` holds the i-th key column of every table; the result holds each table's key
    (-1 where a non-optional part is blank).  Optional parts (规格) treat blank as a value.
    """
    sizes = [len(s) for s in parts[0]]
    total = sum(sizes)
    key = np.zeros(total, dtype=np.int64)
    bad = np.zeros(total, dtype=bool)
    for i, columns in enumerate(parts):
        both = pd.concat([c.astype("string") for c in columns], ignore_index=True)
        if i in optional:
            both = both.fillna("")
        code = pd.factorize(both, use_na_sentinel=True)[0].astype(np.int64)
        bad |= code < 0
        width = int(code.max(initial=0)) + 2
        key = pd.factorize(key * width + code + 1)[0].astype(np.int64)
    out = np.full(total, -1, dtype=np.int64)
    out[~bad] = pd.factorize(key[~bad])[0]
    bounds = np.cumsum([0, *sizes])
    return [out[bounds[i]: bounds[i + 1]] for i in range(len(sizes))]


def _days(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    values = np.asarray(pd.to_datetime(s), dtype="datetime64[s]")
    ok = ~np.isnat(values)
    return np.where(ok, values.astype("datetime64[D]").astype(np.int64), 0), ok


def _day(d: date | pd.Timestamp) -> int:
    return int(np.datetime64(pd.Timestamp(d).date(), "D").astype(np.int64))


def _composite(code: np.ndarray, day: np.ndarray) -> np.ndarray:
    return (code.astype(np.int64) << _DAY_BITS) | (day.astype(np.int64) + _DAY_BIAS)


def _empty(name: str) -> pd.DataFrame:
    return pd.DataFrame({ROW: np.zeros(0, np.int64), **{f.name: pd.Series([], dtype=object)
                                                       for f in SHEETS[name].fields}})


# ---------------------------------------------------------------------------------------------
# The cards


@dataclass
class Cards:
    """库存's usable movements in (card, 日期, row) order, with their running balances.

    A movement is usable when its date, 仓库, 产品, 批号, 类型 and 数量 were read.  ``pos`` is
    the movement's position in the 库存 frame; ``keys`` names each card (仓库, 产品, 规格 with
    blank as None, 批号) and ``batch`` gives each card's batch (产品, 规格, 批号) code.
    """

    frame: pd.DataFrame
    card: np.ndarray
    day: np.ndarray
    delta: np.ndarray
    balance: np.ndarray
    pos: np.ndarray
    keys: pd.DataFrame
    n_cards: int

    @classmethod
    def of(cls, frame: pd.DataFrame, card_code: np.ndarray) -> Cards:
        day, day_ok = _days(frame["日期"])
        qty, qty_ok = milli(frame["数量"].to_numpy(dtype=np.float64, na_value=np.nan))
        sign = _kind_sign(frame["类型"])
        use = np.flatnonzero(day_ok & qty_ok & (card_code >= 0) & (sign != 0))
        rows = frame[ROW].to_numpy(dtype=np.int64)
        use = use[np.lexsort((rows[use], day[use], card_code[use]))]
        card, delta = card_code[use], qty[use] * sign[use]
        running = np.cumsum(delta)
        first = np.ones(len(use), dtype=bool)
        first[1:] = card[1:] != card[:-1]
        start = np.maximum.accumulate(np.where(first, np.arange(len(use)), 0)) if len(use) else first.astype(np.int64)
        before = (running - delta)[start] if len(use) else running
        n = int(card_code.max(initial=-1)) + 1
        valid = np.flatnonzero(card_code >= 0)
        codes, at = np.unique(card_code[valid], return_index=True)
        first = np.zeros(n, dtype=np.int64)
        first[codes] = valid[at]  # every code 0..n-1 occurs (they are dense)
        keys = pd.DataFrame({k: _objects(frame[c], first) for k, c in
                             (("warehouse", "仓库"), ("product", "产品"), ("spec", "规格"), ("batch", "批号"))},
                            dtype=object)
        return cls(frame, card, day[use], delta, running - before, use, keys, n)

    def balance_at(self, card: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Each card's balance at the end of the given day (0 before its first movement or for
        card -1), in thousandths."""
        sorted_key = _composite(self.card, self.day)
        want = _composite(np.maximum(card, 0), day)
        at = np.searchsorted(sorted_key, want, side="right") - 1
        safe = np.maximum(at, 0)
        hit = (at >= 0) & (card >= 0)
        if len(self.card):
            hit &= self.card[safe] == card
        else:
            hit &= False
        return np.where(hit, self.balance[safe] if len(self.card) else 0, 0)


class Quality:
    """A batch's 质量状态 on any date: its latest 期初/入库 row with a status, on or before it."""

    def __init__(self, frame: pd.DataFrame, batch_code: np.ndarray) -> None:
        day, ok = _days(frame["日期"])
        has = frame["质量状态"].notna().to_numpy(dtype=bool)
        use = np.flatnonzero(ok & has & (batch_code >= 0) & (_is(frame["类型"], OPENING) | _is(frame["类型"], RECEIPT)))
        rows = frame[ROW].to_numpy(dtype=np.int64)
        use = use[np.lexsort((rows[use], day[use], batch_code[use]))]
        self.batch, self.day = batch_code[use], day[use]
        self.status = np.asarray(frame["质量状态"].iloc[use].astype(object).tolist(), dtype=object)

    def on(self, batch: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Each batch's status on each day (object array; None: no status)."""
        out = np.full(len(batch), None, dtype=object)
        if len(self.batch) == 0 or len(batch) == 0:
            return out
        at = np.searchsorted(_composite(self.batch, self.day), _composite(np.maximum(batch, 0), day), side="right") - 1
        safe = np.maximum(at, 0)
        hit = (at >= 0) & (batch >= 0) & (self.batch[safe] == batch)
        out[hit] = self.status[safe[hit]]
        return out


# ---------------------------------------------------------------------------------------------
# Findings


def _emit(t: Table, name: str, idx: np.ndarray, code: Code, params: Mapping[str, Any] | None = None) -> list[Finding]:
    """One finding per position ``idx`` of ``t`` at column ``name``; a param is a scalar or a
    list aligned with ``idx``."""
    letter = t.letter(name)
    if letter is None or len(idx) == 0:
        return []
    rows = t.frame[ROW].to_numpy()[idx].tolist()
    kind = t.schema.field(name).type.value
    raw = t.frame[name].iloc[idx].astype(object).tolist()
    values = [None if _none(v) else (_num(v) if kind == "number" else str(v)) for v in raw]
    out = []
    for i, (row, value) in enumerate(zip(rows, values, strict=True)):
        p = {k: (v[i] if isinstance(v, list) else v) for k, v in (params or {}).items()}
        out.append(Finding(sheet=t.sheet, row=int(row), column=letter, field=name, value=value, code=code, params=p))
    return out


def _none(v: Any) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))


def _num(v: Any) -> str:
    text = f"{float(v):.15g}"
    return "0" if text == "-0" else text


def _mask_idx(mask: np.ndarray) -> np.ndarray:
    return np.flatnonzero(np.asarray(mask, dtype=bool))


def stock_checks(tables: Mapping[str, Table], model: StockModel | None = None) -> dict[str, list[Finding]]:
    """Every stock finding (spec §3 "Stock", §4) by canonical sheet (库存, 发货, 盘点): the
    sheets' own column rules, ``balance-mismatch``, ``negative-stock``, ``unmatched-shipment``,
    ``unmatched-issue``, ``quality-hold`` and ``count-variance``.  Nothing when 库存 is absent
    or empty (see the module notes)."""
    out: dict[str, list[Finding]] = {}
    stock_t, count_t, ship_t = tables.get("库存"), tables.get("盘点"), tables.get("发货")
    if count_t is not None and count_t.has("实盘数量"):
        neg = (count_t.frame["实盘数量"] < 0).fillna(False).to_numpy(dtype=bool)
        out.setdefault("盘点", []).extend(_emit(count_t, "实盘数量", _mask_idx(neg), Code.OUT_OF_RANGE, {
            "reason": "实盘数量不能为负数", "reason_en": "a counted quantity must not be negative"}))
    if stock_t is None or len(stock_t) == 0:
        return out
    ships = ship_t.frame if ship_t is not None else None
    counts = count_t.frame if count_t is not None else None
    if model is None or model.stock is not stock_t.frame or (ships is not None and model.ships is not ships) \
            or (counts is not None and model.counts is not counts):
        model = StockModel(stock_t.frame, ships, counts)
    found = out.setdefault("库存", [])
    found += _column_rules(stock_t)
    found += _balance_mismatch(stock_t, model.cards)
    found += _negative(stock_t, model.cards)
    if ship_t is not None:
        found += _unmatched_issue(stock_t, ship_t)
        out.setdefault("发货", []).extend(_unmatched_shipment(ship_t, stock_t, model) + _quality_hold(ship_t, model))
    if count_t is not None:
        out.setdefault("盘点", []).extend(_count_variance(count_t, model))
    return out


class StockModel:
    """The cards and batch qualities of one book, with the keys of 发货 and 盘点 rows into them."""

    def __init__(self, stock: pd.DataFrame, ships: pd.DataFrame | None = None,
                 counts: pd.DataFrame | None = None) -> None:
        ships = ships if ships is not None else _empty("发货")
        counts = counts if counts is not None else _empty("盘点")
        cols = ("仓库", "产品", "规格", "批号")
        card_codes = joint_codes([[stock[c], counts[c]] for c in cols], optional=frozenset({2}))
        batch_codes = joint_codes([[stock[c], ships[c]] for c in cols[1:]], optional=frozenset({1}))
        self.stock, self.ships, self.counts = stock, ships, counts
        self.card_code, self.count_card = card_codes
        self.batch_code, self.ship_batch = batch_codes
        self.quality = Quality(stock, self.batch_code)

    @cached_property
    def cards(self) -> Cards:
        """The running balances (not needed for quality alone: 发货放行 asks only for that)."""
        return Cards.of(self.stock, self.card_code)


def _column_rules(t: Table) -> list[Finding]:
    f = t.frame
    kind = f["类型"]
    out: list[Finding] = []
    issue = _is(kind, ISSUE)
    if t.has("数量"):
        qty, ok = milli(f["数量"].to_numpy(dtype=np.float64, na_value=np.nan))
        adjust = _is(kind, ADJUST)
        plain = _is(kind, OPENING) | _is(kind, RECEIPT) | issue
        out += _emit(t, "数量", _mask_idx(ok & plain & (qty <= 0)), Code.OUT_OF_RANGE, {
            "reason": "数量须大于 0（只有调整可填负数）",
            "reason_en": "it must be greater than 0 (only an adjustment may be negative)"})
        out += _emit(t, "数量", _mask_idx(ok & adjust & (qty == 0)), Code.OUT_OF_RANGE, {
            "reason": "调整数量不能为 0（减少请填负数）",
            "reason_en": "an adjustment must not be 0 (a decrease is negative)"})
    if issue.any():
        hint = {"hint": "：出库须填写所发货的发货单号", "hint_en": "; an issue needs the shipment number it issues goods for"}
        if t.has("单号"):
            out += _emit(t, "单号", _mask_idx(issue & _blank(f["单号"])), Code.MISSING_VALUE, hint)
        else:
            out.append(Finding(sheet=t.sheet, field="单号", code=Code.MISSING_COLUMN,
                               params={"english": SHEETS["库存"].field("单号").english}))
    return out


def _balance_mismatch(t: Table, cards: Cards) -> list[Finding]:
    if not t.has("结存"):
        return []
    written, ok = milli(t.frame["结存"].to_numpy(dtype=np.float64, na_value=np.nan))
    bad = ok[cards.pos] & (written[cards.pos] != cards.balance)
    order = np.argsort(cards.pos[bad], kind="stable")
    idx = cards.pos[bad][order]
    return _emit(t, "结存", idx, Code.BALANCE_MISMATCH,
                 {"expected": [milli_text(v) for v in cards.balance[bad][order].tolist()]})


def _negative(t: Table, cards: Cards) -> list[Finding]:
    """A movement that lowers the balance and leaves it below 0."""
    bad = (cards.delta < 0) & (cards.balance < 0)
    order = np.argsort(cards.pos[bad], kind="stable")
    idx = cards.pos[bad][order]
    kinds = t.frame["类型"].iloc[idx].astype(object).tolist()
    return _emit(t, "数量", idx, Code.NEGATIVE_STOCK, {
        "kind": kinds, "kind_en": ["issue" if k == ISSUE else "adjustment" for k in kinds],
        "balance": [milli_text(v) for v in cards.balance[bad][order].tolist()],
    })


def _objects(s: pd.Series, idx: np.ndarray) -> list[Any]:
    """The values at positions ``idx`` as Python objects, None for blank."""
    return s.iloc[idx].to_numpy(dtype=object, na_value=None).tolist()


def _texts(s: pd.Series) -> pd.Series:
    return s.astype("string")


def _unmatched_issue(stock_t: Table, ship_t: Table) -> list[Finding]:
    f = stock_t.frame
    if not (stock_t.has("单号") and ship_t.has("发货单号")):
        return []
    issue = _is(f["类型"], ISSUE) & ~_blank(f["单号"])
    known = _texts(f["单号"]).isin(_texts(ship_t.frame["发货单号"]).dropna().unique()).to_numpy(dtype=bool)
    return _emit(stock_t, "单号", _mask_idx(issue & ~known), Code.UNMATCHED_ISSUE)


def _unmatched_shipment(ship_t: Table, stock_t: Table, model: StockModel) -> list[Finding]:
    """Shipped against issued per (单号, 产品, 规格, 批号, warehouse group), see the module notes."""
    ships, stock = ship_t.frame, stock_t.frame
    if not ship_t.has("发货单号"):
        return []
    is_issue = _is(stock["类型"], ISSUE)
    ship_wh = ships["仓库"].astype("string")
    key4 = joint_codes([[ships["发货单号"], stock["单号"]], [ships["产品"], stock["产品"]],
                        [ships["规格"], stock["规格"]], [ships["批号"], stock["批号"]]], optional=frozenset({2}))
    s_key, i_key = key4
    wh = joint_codes([[ship_wh, stock["仓库"]]])
    s_wh, i_wh = wh
    s_qty, s_ok = milli(ships["数量"].to_numpy(dtype=np.float64, na_value=np.nan))
    i_qty, i_ok = milli(stock["数量"].to_numpy(dtype=np.float64, na_value=np.nan))
    s_use = (s_key >= 0) & s_ok
    i_use = (i_key >= 0) & i_ok & is_issue
    # Warehouses named by a shipment row of each key4: an issue there belongs to that group,
    # any other issue to the key's "no warehouse named" group (-1).
    named = pd.MultiIndex.from_arrays([s_key[s_use & (s_wh >= 0)], s_wh[s_use & (s_wh >= 0)]]).unique()
    issue_named = pd.MultiIndex.from_arrays([i_key, i_wh]).isin(named)
    i_group_wh = np.where(issue_named, i_wh, -1)
    width = int(max(s_wh.max(initial=-1), i_wh.max(initial=-1))) + 2
    g_ship, g_issue = np.split(pd.factorize(np.concatenate([s_key * width + s_wh + 1,
                                                             i_key * width + i_group_wh + 1]))[0], [len(s_key)])
    n = int(max(g_ship.max(initial=-1), g_issue.max(initial=-1))) + 1
    shipped = np.bincount(g_ship[s_use], weights=s_qty[s_use], minlength=n).astype(np.int64)
    issued = np.bincount(g_issue[i_use], weights=i_qty[i_use], minlength=n).astype(np.int64)
    rows_in = np.bincount(g_ship[s_use], minlength=n)
    bad = s_use & (shipped[g_ship] != issued[g_ship])
    idx = _mask_idx(bad)
    reasons_zh, reasons_en = [], []
    for i in idx.tolist():
        k = int(g_ship[i])
        got, want, many = int(issued[k]), int(shipped[k]), int(rows_in[k]) > 1
        where = f"在仓库「{ships['仓库'].iat[i]}」" if s_wh[i] >= 0 else ""
        where_en = f" in warehouse '{ships['仓库'].iat[i]}'" if s_wh[i] >= 0 else ""
        total = f"本单此批次共发货 {milli_text(want)}" if many else f"发货数量 {milli_text(want)}"
        total_en = f"{milli_text(want)} shipped on this shipment and batch" if many else f"{milli_text(want)} shipped"
        if got == 0:
            reasons_zh.append(f"货卡{where}没有单号为此发货单、产品规格批号相同的出库（{total}）")
            reasons_en.append(f"no issue{where_en} with this number, product, spec and batch ({total_en})")
        else:
            reasons_zh.append(f"货卡{where}的出库合计 {milli_text(got)}，与{total}不符")
            reasons_en.append(f"the issues{where_en} add up to {milli_text(got)}, not the {total_en}")
    return _emit(ship_t, "发货单号", idx, Code.UNMATCHED_SHIPMENT, {"reason": reasons_zh, "reason_en": reasons_en})


def _quality_hold(ship_t: Table, model: StockModel) -> list[Finding]:
    ships = ship_t.frame
    if not ship_t.has("批号"):
        return []
    day, ok = _days(ships["日期"])
    status = model.quality.on(np.where(ok, model.ship_batch, -1), day)
    held = np.array([s is not None and s != RELEASED for s in status], dtype=bool) if len(status) else np.zeros(0, bool)
    idx = _mask_idx(held)
    dates = [pd.Timestamp(ships["日期"].iat[i]).strftime("%Y-%m-%d") for i in idx.tolist()]
    q = [str(status[i]) for i in idx.tolist()]
    return _emit(ship_t, "批号", idx, Code.QUALITY_HOLD,
                 {"date": dates, "quality": q, "quality_en": [QUALITY_EN.get(s, s) for s in q]})


def _count_variance(count_t: Table, model: StockModel) -> list[Finding]:
    v = _variances(model, count_t.frame)
    idx = v["pos"].to_numpy(dtype=np.int64)
    var = v["variance_milli"].to_numpy(dtype=np.int64)
    return _emit(count_t, "实盘数量", idx, Code.COUNT_VARIANCE, {
        "book": [milli_text(b) for b in v["book_milli"].tolist()],
        "variance": [("+" if x > 0 else "") + milli_text(x) for x in var.tolist()],
        "kind": [GAIN if x > 0 else LOSS for x in var.tolist()],
        "kind_en": ["count gain" if x > 0 else "count loss" for x in var.tolist()],
    })


def _variances(model: StockModel, counts: pd.DataFrame, until: int | None = None) -> pd.DataFrame:
    """Counted rows with a variance ≠ 0 (dated on or before ``until`` when given), in row order:
    pos, book_milli, counted_milli, variance_milli."""
    day, ok = _days(counts["日期"])
    counted, c_ok = milli(counts["实盘数量"].to_numpy(dtype=np.float64, na_value=np.nan))
    use = ok & c_ok & (model.count_card >= 0) & (counted >= 0)
    if until is not None:
        use &= day <= until
    book = model.cards.balance_at(np.where(use, model.count_card, -1), day)
    var = counted - book
    pos = np.flatnonzero(use & (var != 0))
    order = np.argsort(counts[ROW].to_numpy()[pos], kind="stable")
    pos = pos[order]
    return pd.DataFrame({"pos": pos, "book_milli": book[pos], "counted_milli": counted[pos], "variance_milli": var[pos]})


# ---------------------------------------------------------------------------------------------
# salesxl stock


@dataclass
class StockResult:
    """``salesxl stock`` as of ``as_of`` (spec §5).

    ``balances`` (one row per card with a movement on or before D, by 仓库, 产品, 规格, 批号):
    warehouse, product, spec (None blank), batch, qty (float: the nearest double to the exact
    decimal, which prints as it), quality (合格/待检/不合格, None when the batch has no status),
    qty_milli (the exact quantity in thousandths, int64).  Variances hold exact Decimals.  ``variances`` (the 盘点 rows dated on or before D whose count differs
    from the book, in row order): row, date, warehouse, product, spec, batch, book, counted,
    variance, kind (盘盈/盘亏).  ``findings``: the reader's, then the stock rules' findings on the
    sheets read (for the exit status and the human summary).
    """

    as_of: date
    balances: pd.DataFrame
    variances: pd.DataFrame
    findings: list[Finding] = field(default_factory=list)
    company: str = ""
    book: Book | None = None
    """The book read (its 价目表 values the 盘点差异 rows), set by :func:`salesxl.api.stock`."""
    model: StockModel | None = None
    """The cards the figures came from (:func:`stock_checks` reuses them)."""


_BAL_COLUMNS = ["warehouse", "product", "spec", "batch", "qty", "quality", "qty_milli"]
_VAR_COLUMNS = ["row", "date", "warehouse", "product", "spec", "batch", "book", "counted", "variance", "kind"]


def stock(book: Book, *, as_of: date) -> StockResult:
    """Balances per card and count variances of ``book`` as of ``as_of`` (spec §3 "Stock").
    ``result.model`` holds the cards, for :func:`stock_checks` to reuse."""
    stock_t, count_t = book.table("库存"), book.table("盘点")
    stock_f = stock_t.frame if stock_t is not None else _empty("库存")
    counts = count_t.frame if count_t is not None else _empty("盘点")
    model = StockModel(stock_f, None, counts)
    cut = _day(as_of)
    cards = model.cards
    n = cards.n_cards
    all_cards = np.arange(n, dtype=np.int64)
    seen = np.zeros(n, dtype=bool)
    seen[cards.card[cards.day <= cut]] = True
    qty = cards.balance_at(all_cards, np.full(n, cut, dtype=np.int64))
    batch_of_card = np.full(n, -1, dtype=np.int64)
    batch_of_card[model.card_code[model.card_code >= 0]] = model.batch_code[model.card_code >= 0]
    quality = model.quality.on(batch_of_card, np.full(n, cut, dtype=np.int64))
    bal = model.cards.keys.assign(qty=qty / QTY_SCALE, qty_milli=qty, quality=quality)
    bal = bal[seen]
    order = np.lexsort([pd.factorize(bal[c].fillna(""), sort=True)[0] for c in ("batch", "spec", "product", "warehouse")])
    balances = bal.iloc[order].reset_index(drop=True)[_BAL_COLUMNS]
    v = _variances(model, counts, until=cut)
    pos = v["pos"].to_numpy(dtype=np.int64)
    variances = pd.DataFrame({
        "row": counts[ROW].to_numpy(dtype=np.int64)[pos],
        "date": [pd.Timestamp(x).date() for x in counts["日期"].to_numpy()[pos]],
        "warehouse": _objects(counts["仓库"], pos),
        "product": _objects(counts["产品"], pos),
        "spec": _objects(counts["规格"], pos),
        "batch": _objects(counts["批号"], pos),
        "book": [milli_to_decimal(x) for x in v["book_milli"].tolist()],
        "counted": [milli_to_decimal(x) for x in v["counted_milli"].tolist()],
        "variance": [milli_to_decimal(x) for x in v["variance_milli"].tolist()],
        "kind": [GAIN if x > 0 else LOSS for x in v["variance_milli"].tolist()],
    }, columns=_VAR_COLUMNS)
    return StockResult(as_of, balances, variances, model=model)


def book_balance(book: Book, warehouse: str, product: str, spec: str | None, batch: str, day: date) -> Decimal:
    """The book balance of one card at the end of ``day`` (0 for a card without movements)."""
    stock_t = book.table("库存")
    if stock_t is None:
        return Decimal(0)
    probe = pd.DataFrame({"仓库": [warehouse], "产品": [product], "规格": [spec or None], "批号": [batch]})
    counts = _empty("盘点")
    model = StockModel(stock_t.frame, None, pd.concat([counts, probe], ignore_index=True))
    return milli_to_decimal(int(model.cards.balance_at(model.count_card[-1:], np.array([_day(day)]))[0]))


# ---------------------------------------------------------------------------------------------
# 发货放行: batches on quality hold behind an unshipped line


def release_holds(book: Book, release: pd.DataFrame, as_of: date) -> list[str | None]:
    """For each line of 发货放行 (``doc_no``, ``product``, ``spec``), the batches the 发货 sheet
    names for it whose quality as of ``as_of`` is not 合格, as ``P1（待检）、P2（不合格）``; None
    when none (or when the book keeps no stock cards or names no batch)."""
    stock_t, ship_t = book.table("库存"), book.table("发货")
    out: list[str | None] = [None] * len(release)
    if stock_t is None or ship_t is None or len(stock_t) == 0 or len(release) == 0:
        return out
    model = StockModel(stock_t.frame, ship_t.frame, None)
    ships = ship_t.frame
    status = model.quality.on(model.ship_batch, np.full(len(ships), _day(as_of), dtype=np.int64))
    held = np.flatnonzero(np.array([s is not None and s != RELEASED for s in status], dtype=bool))
    if len(held) == 0:
        return out
    listed: dict[tuple[Any, Any, Any], dict[str, None]] = {}
    doc, prod, spec, batch = (_objects(ships[c], held) for c in ("销售单号", "产品", "规格", "批号"))
    for j, i in enumerate(held.tolist()):
        listed.setdefault((doc[j], prod[j], spec[j] or ""), {})[f"{batch[j]}（{status[i]}）"] = None
    for j, (d, p, s) in enumerate(zip(release["doc_no"].astype(object), release["product"].astype(object),
                                      release["spec"].astype(object), strict=True)):
        hit = listed.get((d, p, s if isinstance(s, str) else ""))
        if hit:
            out[j] = "、".join(hit)
    return out


# ---------------------------------------------------------------------------------------------
# 成本价 (the 价目表's unit cost, for the value of a variance)


def unit_costs(book: Book) -> dict[tuple[str, str], int]:
    """(产品, 规格 or "") → 成本价 in fen from the 价目表 rows with a blank 客户等级 and no
    period: a product's cost regardless of customer or season.  A row with a 规格 beats a blank
    one (looked up by the caller); among equal rows the first counts.

    Issue 16's price lookup (core/prices.py) was not available on this branch; this is the
    narrow rule the 盘点差异 value needs.
    """
    t = book.table("价目表")
    if t is None or not t.has("成本价"):
        return {}
    f = t.frame
    use = f["成本价"].notna() & f["产品"].notna() & f["客户等级"].isna() & f["开始日期"].isna() & f["结束日期"].isna()
    out: dict[tuple[str, str], int] = {}
    for p, s, c in zip(f.loc[use, "产品"], f.loc[use, "规格"].fillna(""), f.loc[use, "成本价"], strict=True):
        out.setdefault((str(p), str(s)), int(c))
    return out


def variance_value(variance: Decimal, cost_fen: int | None) -> int | None:
    """variance × 成本价 in fen, half-up; None without a cost."""
    if cost_fen is None:
        return None
    return int((variance * cost_fen).quantize(Decimal(1), rounding=ROUND_HALF_UP))
