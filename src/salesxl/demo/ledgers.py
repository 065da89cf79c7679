"""The demo company's ledgers: sales, returns, receipts, shipments, visits, expenses, targets.

Generates the rows of every transaction sheet from the company (:mod:`salesxl.demo.company`):
seasonal sales with growth and concentrated customers, about 3% returns, receipts that mostly
follow the customers' terms (some late, a few never), prepayment before shipment, shipments
trailing the sales, visit logs, expense claims and monthly targets; plus the planted ledger
mistakes and the customers' credit limits sized on what they buy.  Money in integer fen.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from salesxl.demo.cells import day_number, days_to_ymd
from salesxl.demo.company import Customers, NameMaker
from salesxl.demo.layout import END_DAY, PLANT_INDEX, START_DAY, UNKNOWN_CUSTOMER_ID, DemoCounts
from salesxl.demo.reference import CITIES, PRODUCTS, WAREHOUSE_OF_ZONE, ZONES

_MONTH_FACTOR = np.array([0.9, 0.55, 1.1, 1.05, 1.05, 1.1, 0.9, 0.9, 1.05, 0.85, 1.1, 1.25])
_WEEKDAY_FACTOR = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.35, 0.1])  # Monday first
_HOLIDAYS = (
    (date(2025, 1, 27), date(2025, 2, 5)),
    (date(2026, 2, 14), date(2026, 2, 23)),
    (date(2025, 10, 1), date(2025, 10, 7)),
    (date(2026, 10, 1), date(2026, 10, 7)),
)


def _day_probabilities() -> tuple[np.ndarray, np.ndarray]:
    """Every day of the window and how likely an order is on it: season, weekday, growth."""
    days = np.arange(START_DAY, END_DAY + 1)
    _, month, _ = days_to_ymd(days)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday
    w = _MONTH_FACTOR[month - 1] * _WEEKDAY_FACTOR[weekday] * (1 + 0.12 * (days - START_DAY) / 365)
    for lo, hi in _HOLIDAYS:
        w[(days >= day_number(lo)) & (days <= day_number(hi))] *= 0.05
    return days, w / w.sum()


def _assign_customers(
    rng: np.random.Generator, doc_days: np.ndarray, customers: Customers
) -> np.ndarray:
    """A customer for each order date, by weight, among those active on that date."""
    t = customers.table
    buyers = customers.buyers
    p = t["weight"].to_numpy()[buyers]
    p = p / p.sum()
    start = t["active_start"].to_numpy()
    end = t["active_end"].to_numpy()
    out = np.full(len(doc_days), -1, dtype=np.int64)
    todo = np.arange(len(doc_days))
    for _ in range(40):
        if not len(todo):
            break
        pick = buyers[rng.choice(len(buyers), len(todo), p=p)]
        ok = (start[pick] <= doc_days[todo]) & (doc_days[todo] <= end[pick])
        out[todo[ok]] = pick[ok]
        todo = todo[~ok]
    if len(todo):  # very late or very early dates with few active customers: any active one
        always = buyers[(start[buyers] <= START_DAY) & (end[buyers] >= END_DAY)]
        out[todo] = always[rng.integers(0, len(always), len(todo))]
    return out


def _doc_numbers(prefix: str, days: np.ndarray) -> list[str]:
    """``XS20260305-0003``: a prefix, the date and the document's sequence that day.

    ``days`` must be sorted; the sequence restarts every day.
    """
    y, m, d = days_to_ymd(days)
    change = np.r_[True, days[1:] != days[:-1]]
    starts = np.flatnonzero(change)
    seq = np.arange(len(days)) - np.repeat(starts, np.diff(np.r_[starts, len(days)])) + 1
    return [
        f"{prefix}{yy}{mm:02d}{dd:02d}-{s:04d}"
        for yy, mm, dd, s in zip(y.tolist(), m.tolist(), d.tolist(), seq.tolist(), strict=True)
    ]


def _distinct_items(rng: np.random.Generator, doc: np.ndarray, p: np.ndarray) -> np.ndarray:
    """An item per line, by popularity, never the same item twice in one document."""
    items = rng.choice(len(p), len(doc), p=p)
    for _ in range(50):
        dup = pd.DataFrame({"doc": doc, "item": items}).duplicated().to_numpy()
        if not dup.any():
            return items
        items[dup] = rng.choice(len(p), int(dup.sum()), p=p)
    dup = pd.DataFrame({"doc": doc, "item": items}).duplicated().to_numpy()
    while dup.any():  # deterministic fallback: step to the next item
        items[dup] = (items[dup] + 1) % len(p)
        dup = pd.DataFrame({"doc": doc, "item": items}).duplicated().to_numpy()
    return items


def gen_sales(rng: np.random.Generator, counts: DemoCounts, customers: Customers) -> pd.DataFrame:
    """Sales lines: documents of 1–5 lines, seasonal and concentrated, plus ~3% returns."""
    n_returns = round(counts.sales_lines * 0.03)
    n_positive = counts.sales_lines - n_returns
    sizes = rng.choice(np.arange(1, 6), n_positive, p=[0.35, 0.25, 0.18, 0.12, 0.10])
    cut = int(np.searchsorted(np.cumsum(sizes), n_positive))
    sizes = sizes[: cut + 1]
    sizes[-1] -= int(sizes.sum()) - n_positive
    days, p_day = _day_probabilities()
    doc_days = np.sort(rng.choice(days, len(sizes), p=p_day))
    doc_cust = _assign_customers(rng, doc_days, customers)
    doc_no = np.array(_doc_numbers("XS", doc_days), dtype=object)

    doc = np.repeat(np.arange(len(sizes)), sizes)
    pop = np.array([pr.popularity for pr in PRODUCTS])
    items = _distinct_items(rng, doc, pop / pop.sum())
    cust = doc_cust[doc]
    line_days = doc_days[doc]
    t = customers.table
    size_factor = (t["weight"].to_numpy()[cust]) ** 0.35
    typical = np.array([pr.typical_qty for pr in PRODUCTS])[items]
    raw = rng.lognormal(np.log(typical * size_factor), 0.6)
    step10 = np.array([pr.step10 for pr in PRODUCTS])[items]
    roundish = (raw > 20) & (rng.random(len(raw)) < 0.6)
    raw = np.where(roundish, np.round(raw / 5) * 5, raw)
    qty10 = np.maximum(np.round(raw * 10 / step10), 1).astype(np.int64) * step10

    list_price = np.array([pr.price_fen for pr in PRODUCTS])[items]
    price = (
        list_price
        * t["discount"].to_numpy()[cust]
        * np.where(line_days >= day_number(date(2026, 1, 1)), 1.03, 1.0)
    )
    price_fen = np.round(price).astype(np.int64)
    price_fen = np.where(step10 == 5, 2 * np.round(price / 2), price_fen).astype(np.int64)
    sales = pd.DataFrame(
        {
            "day": line_days,
            "doc": doc_no[doc],
            "cust": cust,
            "item": items,
            "qty10": qty10,
            "price_fen": price_fen,
            "is_return": False,
            "orig_doc": None,
        }
    )
    returns = _gen_returns(rng, sales, n_returns)
    sales = pd.concat([sales, returns], ignore_index=True)
    sales = sales.sort_values(["day", "doc"], kind="stable", ignore_index=True)
    exact = sales["qty10"] * sales["price_fen"]
    if bool((exact % 10 != 0).any()):
        raise AssertionError("every line's amount must be a whole number of fen")
    sales["amount_fen"] = exact // 10
    sales["cust_id"] = t["id"].to_numpy()[sales["cust"].to_numpy()]
    return sales


def _gen_returns(rng: np.random.Generator, sales: pd.DataFrame, n_returns: int) -> pd.DataFrame:
    """Return lines: part of an earlier line, same customer, product and price, 1–8 weeks later.

    Returns are only taken from lines after the first three weeks, so that the first rows of
    the sheet (where the planted problems sit) are all ordinary sales.
    """
    eligible = np.flatnonzero(
        (sales["day"].to_numpy() >= START_DAY + 20) & (sales["day"].to_numpy() <= END_DAY - 7)
    )
    picked = np.sort(rng.choice(eligible, min(n_returns, len(eligible)), replace=False))
    orig = sales.iloc[picked]
    back = orig["day"].to_numpy() + rng.integers(7, 60, len(picked))
    back = np.minimum(back, END_DAY)
    step10 = np.array([pr.step10 for pr in PRODUCTS])[orig["item"].to_numpy()]
    units = orig["qty10"].to_numpy() // step10
    returned = np.minimum(
        units, np.maximum(1, np.round(units * rng.uniform(0.05, 0.6, len(picked))))
    ).astype(np.int64)
    returns = pd.DataFrame(
        {
            "day": back,
            "doc": None,
            "cust": orig["cust"].to_numpy(),
            "item": orig["item"].to_numpy(),
            "qty10": -returned * step10,
            "price_fen": orig["price_fen"].to_numpy(),
            "is_return": True,
            "orig_doc": orig["doc"].to_numpy(),
        }
    ).sort_values("day", kind="stable", ignore_index=True)
    # One return document per original document and return date.
    key = returns["orig_doc"].astype(str) + "|" + returns["day"].astype(str)
    first = ~key.duplicated()
    doc_days = returns["day"].to_numpy()[first.to_numpy()]
    numbers = np.array(_doc_numbers("TH", doc_days), dtype=object)
    returns["doc"] = numbers[np.cumsum(first.to_numpy()) - 1]
    return returns


def plant_sales(sales: pd.DataFrame) -> pd.DataFrame:
    """Make room for the planted unknown-customer line and shape the bad-type line.

    The unknown customer's line is its own document at a fixed row; if a document straddles
    that row, its later lines are dropped (with any returns of them) so none is split.
    """
    at = PLANT_INDEX["unknown-customer"]
    if bool(sales["is_return"].iloc[: at + 1].any()):
        raise AssertionError("planted rows must precede the first return")
    straddling = sales["doc"].iat[at]
    if sales["doc"].iat[at - 1] != straddling:
        straddling = None  # a document starts right there: nothing to drop
    drop = sales.index[(sales.index >= at) & (sales["doc"] == straddling)]
    dropped_docs = {straddling} if len(drop) else set()
    sales = sales.drop(drop)
    sales = sales[~(sales["is_return"] & sales["orig_doc"].isin(dropped_docs))]
    planted = sales.iloc[at - 1].copy()
    day_docs = sales["doc"][sales["day"] == planted["day"]]
    planted["doc"] = f"{day_docs.max()[:-4]}{int(day_docs.max()[-4:]) + 1:04d}"
    planted["cust"] = -1
    planted["cust_id"] = UNKNOWN_CUSTOMER_ID
    breaker = next(k for k, pr in enumerate(PRODUCTS) if pr.name == "空气开关")
    planted["item"] = breaker
    planted["qty10"] = 200  # 20 breakers at list price
    planted["price_fen"] = PRODUCTS[breaker].price_fen
    planted["amount_fen"] = 20 * PRODUCTS[breaker].price_fen
    sales = pd.concat([sales.iloc[:at], planted.to_frame().T, sales.iloc[at:]], ignore_index=True)
    sales = sales.astype(
        {
            "day": np.int64,
            "cust": np.int64,
            "item": np.int64,
            "qty10": np.int64,
            "price_fen": np.int64,
            "amount_fen": np.int64,
            "is_return": bool,
        }
    )

    # "一千二": the line's true amount is 1,200.00 — a quantity and price that give it.
    bad = PLANT_INDEX["bad-type"]
    list_price = PRODUCTS[int(sales["item"].iat[bad])].price_fen
    qty = min(
        (q for q in range(1, 601) if 120_000 % q == 0), key=lambda q: abs(120_000 // q - list_price)
    )
    sales.loc[bad, ["qty10", "price_fen", "amount_fen"]] = [qty * 10, 120_000 // qty, 120_000]
    return sales


def gen_receipts(
    rng: np.random.Generator, sales: pd.DataFrame, customers: Customers, target: int | None
) -> pd.DataFrame:
    """Receipts: prepayments before the goods, payments after them, refunds of returns."""
    t = customers.table
    known = sales[sales["cust"] >= 0]
    pos = known[~known["is_return"]]
    docs = pos.groupby("doc", sort=True).agg(
        day=("day", "first"), cust=("cust", "first"), total=("amount_fen", "sum")
    )
    ret = (
        known[known["is_return"]]
        .groupby("orig_doc")
        .agg(ret=("amount_fen", "sum"), ret_day=("day", "min"))
    )
    docs = docs.join(ret, how="left")
    docs["ret"] = -docs["ret"].fillna(0).astype(np.int64)
    docs["ret_day"] = docs["ret_day"].fillna(END_DAY + 1).astype(np.int64)
    docs = docs.sort_values(["day"], kind="stable")
    n = len(docs)
    cust = docs["cust"].to_numpy()
    day = docs["day"].to_numpy()
    total = docs["total"].to_numpy()
    ret_amt = docs["ret"].to_numpy()
    ret_day = docs["ret_day"].to_numpy()
    prepay = t["prepay"].to_numpy()[cust]
    habit = t["habit"].to_numpy()[cust]
    terms = t["terms_eff"].to_numpy()[cust]

    rows: list[pd.DataFrame] = []
    # Prepayment customers pay before the goods leave, often rounded up to whole hundreds.
    pre_day = np.maximum(START_DAY, day - rng.integers(0, 8, n))
    rounded_up = -(-total // 10_000) * 10_000
    pre_amt = np.where(rng.random(n) < 0.6, rounded_up, total)
    # Some credit customers put down a deposit on a large order.
    deposit = ~prepay & (total >= 2_000_000) & (rng.random(n) < 0.2)
    dep_amt = np.round(total * 0.3 / 10_000).astype(np.int64) * 10_000
    rows.append(_receipt_rows(cust[prepay], pre_day[prepay], pre_amt[prepay], "预收"))
    rows.append(_receipt_rows(cust[deposit], pre_day[deposit], dep_amt[deposit], "预收"))

    # Credit customers pay around the due date; slow ones late; troubled ones stop paying.
    delay = np.select(
        [habit == 0, habit == 1],
        [rng.integers(-25, 4, n) * terms // 30, rng.integers(5, 75, n)],
        rng.integers(15, 100, n),
    )
    pay_day = np.maximum(day + 1, day + terms + delay)
    stopped = (habit == 2) & (day >= t["trouble_day"].to_numpy()[cust])
    due_amt = total - np.where(deposit, dep_amt, 0)
    returned_first = ret_day < pay_day
    due_amt = due_amt - np.where(returned_first, ret_amt, 0)
    pays = ~prepay & ~stopped & (due_amt > 0)

    # Goods returned after they were paid for: half the time the money goes back.
    refund = (ret_amt > 0) & (prepay | (~returned_first & ~stopped)) & (rng.random(n) < 0.5)
    ref_day = ret_day + rng.integers(3, 16, n)
    refund &= ref_day <= END_DAY
    rows.append(_receipt_rows(cust[refund], ref_day[refund], ret_amt[refund], "退款"))

    # The benchmark book aims at ``target`` rows: payments make up what the rest leaves.
    instalments = 1.3
    if target is not None:
        others = sum(int((r["day"] <= END_DAY).sum()) for r in rows)
        in_window = max(float((pay_day[pays] <= END_DAY).mean()), 0.5) * int(pays.sum())
        per_doc = (target - others) / max(in_window, 1.0)
        big = max(float((due_amt[pays] >= _SPLIT_FROM).mean()), 0.1)  # only these are split
        instalments = min(max(1 + (per_doc - 1) / big, 1.0), 4.0)
    rows.append(_split_payments(rng, cust[pays], pay_day[pays], due_amt[pays], instalments))

    receipts = pd.concat(rows, ignore_index=True)
    receipts = receipts[(receipts["day"] <= END_DAY) & (receipts["fen"] > 0)]
    receipts = receipts.sort_values(
        ["day", "kind", "cust", "fen"], kind="stable", ignore_index=True
    )
    prefix = np.where(receipts["kind"] == "退款", "TK", "SK")
    numbers = np.empty(len(receipts), dtype=object)
    for p in ("SK", "TK"):
        mask = prefix == p
        numbers[mask] = _doc_numbers(p, receipts["day"].to_numpy()[mask])
    receipts["no"] = numbers
    receipts["cust_id"] = t["id"].to_numpy()[receipts["cust"].to_numpy()]
    receipts["method"] = _payment_methods(
        rng, receipts["fen"].to_numpy(), receipts["kind"].to_numpy()
    )
    return receipts


def _receipt_rows(cust: np.ndarray, day: np.ndarray, fen: np.ndarray, kind: str) -> pd.DataFrame:
    return pd.DataFrame(
        {"day": day.astype(np.int64), "cust": cust, "fen": fen.astype(np.int64), "kind": kind}
    )


_SPLIT_FROM = 100_000  # fen: smaller amounts are paid in one go


def _split_payments(
    rng: np.random.Generator,
    cust: np.ndarray,
    day: np.ndarray,
    fen: np.ndarray,
    instalments: float,
) -> pd.DataFrame:
    """Payments of what each document owes, in one to four instalments a few weeks apart.

    ``instalments`` is the mean number of payments per document (about, since small amounts
    are always paid at once and the tail is cut at four).
    """
    k = 1 + np.minimum(rng.poisson(instalments - 1, len(fen)), 3)
    k = np.where(fen < _SPLIT_FROM, 1, k)
    group, share = _split(rng, fen, k, quantum=100)  # instalments in whole yuan, bar the last
    gap = rng.integers(7, 31, len(group))
    first = np.r_[True, group[1:] != group[:-1]]
    gap[first] = 0
    cum = np.cumsum(gap)
    offset = cum - np.repeat(cum[first], k)
    return _receipt_rows(cust[group], day[group] + offset, share, "回款")


def _split(
    rng: np.random.Generator, total: np.ndarray, parts: np.ndarray, quantum: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Split each ``total[i]`` into ``parts[i]`` random shares that add up to it exactly.

    Returns the owner (index into ``total``) of each share and the share; cut points are
    rounded down to ``quantum``, so a share can be 0 but the sum is never more or less than
    the total (no shipment can exceed its line, no payment its document).
    """
    group = np.repeat(np.arange(len(total)), parts)
    w = rng.random(len(group)) + 0.5
    cum_w = np.cumsum(w)
    first = np.r_[True, group[1:] != group[:-1]]
    base = np.repeat(cum_w[first] - w[first], parts)
    frac = (cum_w - base) / np.bincount(group, w)[group]
    cut = np.floor(total[group] * frac / quantum).astype(np.int64) * quantum
    last = np.r_[group[1:] != group[:-1], True]
    cut = np.where(last, total[group], np.minimum(cut, total[group]))
    prev = np.r_[0, cut[:-1]]
    share = cut - np.where(first, 0, prev)
    return group, share


def _payment_methods(rng: np.random.Generator, fen: np.ndarray, kind: np.ndarray) -> list[str]:
    roll = rng.random(len(fen))
    method = np.full(len(fen), "银行转账", dtype=object)
    method[(fen >= 5_000_000) & (roll < 0.5)] = "承兑汇票"
    method[(fen < 500_000) & (roll < 0.2)] = "现金"
    method[(fen < 2_000_000) & (roll >= 0.2) & (roll < 0.35)] = "微信"
    method[kind == "退款"] = "银行转账"
    return method.tolist()


def gen_shipments(
    rng: np.random.Generator, sales: pd.DataFrame, customers: Customers, target: int | None
) -> pd.DataFrame:
    """Shipments of each sold line, sometimes in parts; recent lines partly not yet shipped.

    With a ``target`` (benchmark book) only the most recent lines are registered, as if the
    shipment log had been started part-way through: enough of them to reach about ``target``.
    """
    lines = sales[(sales["cust"] >= 0) & ~sales["is_return"]]
    if target is not None and len(lines) * 1.17 > target:
        lines = lines.iloc[len(lines) - int(target / 1.17) :]
    n = len(lines)
    step10 = np.array([pr.step10 for pr in PRODUCTS])[lines["item"].to_numpy()]
    units = lines["qty10"].to_numpy() // step10
    parts = np.minimum(rng.choice(np.arange(1, 4), n, p=[0.86, 0.11, 0.03]), units)
    group, share = _split(rng, units, parts)
    ok = share > 0  # a part left empty by rounding is simply not a shipment
    first = np.r_[True, group[1:] != group[:-1]]
    gap = np.where(
        first, rng.choice(np.array([0, 0, 1, 1, 2, 3]), len(group)), rng.integers(2, 16, len(group))
    )
    backorder = rng.random(n) < 0.04
    gap = gap + np.where(first & backorder[group], rng.integers(15, 46, len(group)), 0)
    cum = np.cumsum(gap)
    offset = cum - np.repeat(cum[first], parts)
    day = lines["day"].to_numpy()[group] + offset
    keep = ok & (day <= END_DAY)
    src = lines.iloc[group[keep]]
    ship = pd.DataFrame(
        {
            "day": day[keep],
            "doc": src["doc"].to_numpy(),
            "cust": src["cust"].to_numpy(),
            "cust_id": src["cust_id"].to_numpy(),
            "item": src["item"].to_numpy(),
            "qty10": share[keep] * step10[group[keep]],
        }
    ).sort_values(["day", "doc"], kind="stable", ignore_index=True)
    key = ship["doc"] + "|" + ship["day"].astype(str)
    first_of_shipment = ~key.duplicated()
    numbers = np.array(
        _doc_numbers("FH", ship["day"].to_numpy()[first_of_shipment.to_numpy()]), dtype=object
    )
    ship["no"] = numbers[np.cumsum(first_of_shipment.to_numpy()) - 1]
    batch_day = ship["day"].to_numpy() - rng.integers(2, 31, len(ship))
    y, m, d = days_to_ymd(batch_day)
    seq = rng.integers(1, 4, len(ship))
    ship["batch"] = [
        f"B{a}{b:02d}{c:02d}-{s:02d}"
        for a, b, c, s in zip(y.tolist(), m.tolist(), d.tolist(), seq.tolist(), strict=True)
    ]
    zone_of_rep = customers.table["rep_idx"].to_numpy()[ship["cust"].to_numpy()]
    zones = np.array(ZONES, dtype=object)[zone_of_rep % len(ZONES)]
    ship["warehouse"] = [WAREHOUSE_OF_ZONE[z] for z in zones.tolist()]
    ship["handler"] = np.array(("郑强", "何军", "吴斌"), dtype=object)[
        rng.integers(0, 3, len(ship))
    ]
    return ship


def plant_shipments(ship: pd.DataFrame, sales: pd.DataFrame) -> pd.DataFrame:
    """Over-ship one line (a single shipment of more than was sold); drop one batch number."""
    at = PLANT_INDEX["over-shipment"]
    row = ship.iloc[at].copy()
    same = (ship["doc"] == row["doc"]) & (ship["item"] == row["item"])
    rest = ship[~same]
    sold = sales.loc[(sales["doc"] == row["doc"]) & (sales["item"] == row["item"]), "qty10"].sum()
    row["qty10"] = int(sold) + 2 * PRODUCTS[int(row["item"])].step10
    ship = pd.concat([rest.iloc[:at], row.to_frame().T, rest.iloc[at:]], ignore_index=True)
    ship = ship.astype({"day": np.int64, "cust": np.int64, "item": np.int64, "qty10": np.int64})
    ship.loc[PLANT_INDEX["missing-value"], "batch"] = None
    return ship


def gen_visits(
    rng: np.random.Generator,
    n: int,
    customers: Customers,
    salespeople: pd.DataFrame,
    names: NameMaker,
) -> pd.DataFrame:
    """Visits by the salespeople: mostly their customers, some prospects (named only)."""
    t = customers.table
    days = np.arange(START_DAY, END_DAY + 1)
    workdays = days[(days + 3) % 7 < 5]
    day = np.sort(rng.choice(workdays, n))
    buyers = customers.buyers
    p = t["weight"].to_numpy()[buyers] ** 0.5
    cust = buyers[rng.choice(len(buyers), n, p=p / p.sum())]
    prospects = np.flatnonzero(t["life"].to_numpy() == 0)
    roll = rng.random(n)
    to_prospect = (roll < 0.10) & (len(prospects) > 0)
    if len(prospects):
        cust = np.where(to_prospect, prospects[rng.integers(0, len(prospects), n)], cust)
    new_name = roll > 0.96
    rep = t["rep"].to_numpy()[cust].copy()
    rep[new_name] = salespeople["name"].to_numpy()[
        rng.integers(0, len(salespeople), int(new_name.sum()))
    ]
    cities = rng.integers(0, len(CITIES), n)
    product = rng.integers(0, len(PRODUCTS), n)
    month = days_to_ymd(day)[1]
    template = rng.integers(0, 8, n)
    next_roll = rng.random(n)
    ids: list[str | None] = []
    cust_names: list[str | None] = []
    notes: list[str] = []
    for i in range(n):
        pname = PRODUCTS[product[i]].name
        if new_name[i]:
            ids.append(None)
            cust_names.append(names.company(CITIES[cities[i]], "有限公司"))
            notes.append(f"初次拜访，介绍公司{pname}等产品")
        else:
            ids.append(t["id"].iat[cust[i]])
            cust_names.append(t["name"].iat[cust[i]] if next_roll[i] < 0.6 else None)
            notes.append(_visit_note(int(template[i]), pname, int(month[i]), bool(to_prospect[i])))
    return pd.DataFrame(
        {
            "day": day,
            "rep": rep,
            "cust_id": ids,
            "cust_name": cust_names,
            "method": rng.choice(
                np.array(["上门", "电话", "微信"], dtype=object), n, p=[0.55, 0.3, 0.15]
            ),
            "note": notes,
            "next": [_NEXT_STEPS[int(r * len(_NEXT_STEPS))] for r in next_roll.tolist()],
        }
    )


_NEXT_STEPS = (
    "下周电话回访",
    "月底前对账",
    "寄送报价单",
    "安排样品",
    "等待客户答复",
    None,
    "季度末再拜访",
    None,
)


def _visit_note(template: int, product: str, month: int, prospect: bool) -> str:
    if prospect:
        return f"了解采购需求，推荐{product}"
    return (
        f"介绍新品{product}",
        f"对账并催收{month}月货款",
        "了解新项目采购需求",
        f"送{product}样品",
        f"处理{product}退货",
        "商谈年度框架协议",
        f"{product}到货延迟，客户投诉处理",
        f"签订{month}月订单",
    )[template]


_EXPENSE_CATEGORIES = ("差旅", "招待", "通讯", "样品", "会务")


def gen_expenses(rng: np.random.Generator, n: int, salespeople: pd.DataFrame) -> pd.DataFrame:
    """Expense claims by salesperson and category, in whole yuan or fen."""
    days = np.arange(START_DAY, END_DAY + 1)
    day = np.sort(rng.choice(days[(days + 3) % 7 < 5], n))
    category = rng.choice(len(_EXPENSE_CATEGORIES), n, p=[0.35, 0.25, 0.12, 0.18, 0.10])
    median = np.array([80_000, 120_000, 15_000, 50_000, 600_000])[category]
    fen = np.maximum(np.round(rng.lognormal(np.log(median), 0.6)), 1000).astype(np.int64)
    fen = np.where(category == 2, fen // 1000 * 1000, fen)  # phone bills: whole ten yuan
    rep = salespeople["name"].to_numpy()[rng.integers(0, len(salespeople), n)].astype(object)
    rep[rng.random(n) < 0.02] = None  # office-level expense, nobody's
    city = rng.integers(0, len(CITIES), n)
    product = rng.integers(0, len(PRODUCTS), n)
    month = days_to_ymd(day)[1]
    text = []
    for c, ci, pi, m in zip(
        category.tolist(), city.tolist(), product.tolist(), month.tolist(), strict=True
    ):
        city_name = CITIES[ci].city
        text.append(
            (
                f"{city_name}出差交通住宿",
                f"招待{city_name}客户",
                f"{m}月话费",
                f"{PRODUCTS[pi].name}样品",
                f"{city_name}五金机电展会务费",
            )[c]
        )
    status = rng.choice(np.array(["已报销", "已报销", "已报销", "审批中"], dtype=object), n)
    return pd.DataFrame(
        {
            "day": day,
            "rep": rep,
            "category": np.array(_EXPENSE_CATEGORIES, dtype=object)[category],
            "fen": fen,
            "text": text,
            "status": status,
        }
    )


def gen_targets(
    rng: np.random.Generator, sales: pd.DataFrame, customers: Customers, salespeople: pd.DataFrame
) -> pd.DataFrame:
    """Monthly targets per salesperson, set a little above what each actually sold."""
    t = customers.table
    known = sales[sales["cust"] >= 0]
    year, month, _ = days_to_ymd(known["day"].to_numpy())
    actual = (
        pd.DataFrame(
            {
                "rep": t["rep_idx"].to_numpy()[known["cust"].to_numpy()],
                "ym": year * 100 + month,
                "fen": known["amount_fen"].to_numpy(),
            }
        )
        .groupby(["ym", "rep"])["fen"]
        .sum()
    )
    months = [
        (y, m)
        for y in (2024, 2025, 2026)
        for m in range(1, 13)
        if (2024, 11) <= (y, m) <= (2026, 10)
    ]
    rows = []
    for y, m in months:
        for r in range(len(salespeople)):
            got = int(actual.get((y * 100 + m, r), 0))
            sales_target = max(
                50_000_00, round(got * rng.uniform(0.95, 1.2) / 1_000_000) * 1_000_000
            )
            rows.append(
                (
                    y,
                    m,
                    salespeople["name"].iat[r],
                    sales_target,
                    round(sales_target * 0.9 / 1_000_000) * 1_000_000,
                    max(2_000_00, round(sales_target * 0.02 / 100_000) * 100_000),
                )
            )
    return pd.DataFrame(
        rows, columns=["year", "month", "rep", "sales_fen", "collect_fen", "budget_fen"]
    )


def set_credit_and_first_trade(
    rng: np.random.Generator, customers: Customers, sales: pd.DataFrame, plant: bool
) -> None:
    """Credit limits sized on what each customer buys; first-trade dates of new customers.

    A new customer's first trade is its first sale; a long-standing one's lies before the
    window.  Credit is about one and a half terms' worth of purchases, so a few customers run
    over it; prepayment-only customers have none (blank, meaning 0).
    """
    t = customers.table
    positive = sales[(sales["cust"] >= 0) & ~sales["is_return"]]
    first_sale = positive.groupby("cust")["day"].min()
    monthly = positive.groupby("cust")["amount_fen"].sum() / 24
    new = (t["life"] == 2).to_numpy()
    fs = first_sale.reindex(range(len(t))).to_numpy()
    has_first = ~np.isnan(fs)
    ft = t["first_trade"].to_numpy().copy()
    ft[new & has_first] = fs[new & has_first].astype(np.int64)
    t["first_trade"] = ft
    founded = t["founded"].to_numpy()
    t["founded"] = np.where((founded >= 0) & (ft >= 0), np.minimum(founded, ft - 60), founded)
    if plant:  # founded after its first trade: reported on 首次交易日期
        i = PLANT_INDEX["date-order"]
        t.loc[i, "founded"] = int(t.loc[i, "first_trade"]) + 150
    m = monthly.reindex(range(len(t))).fillna(0).to_numpy()
    credit = (
        np.ceil(
            m * (t["terms_eff"].to_numpy() / 30 + 0.5) * rng.uniform(0.9, 1.8, len(t)) / 1_000_000
        )
        * 1_000_000
    )
    credit = np.maximum(credit, 2_000_000)
    t["credit_fen"] = np.where(t["prepay"].to_numpy(), -1, credit).astype(np.int64)


