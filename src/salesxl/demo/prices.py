"""The demo company's 价目表 (issue 16): level prices, the 2026 price rise, a summer promotion,
floor prices and costs, designed around the prices the demo already sells at.

The demo's sales price of a line is the product's catalogue price × the customer's discount
(1.0, or 0.85–0.98) × 1.03 from 2026-01-01.  The price list therefore has, per product and spec
and per level, an undated row (A 0.93, B 0.935, C 0.94 of the catalogue price) and a row dated
from 2026-01-01 at 1.03 times that: every existing sale lies within ±10 % of its list price and
above its floor (0.83, or 0.80 during the promotion), so the ordinary lines are all ``ok``.
The summer promotion (2026-06-01 … 08-31) lists three dearer products 1 % lower, per level.

The small demo (``plant``) adds a few price problems *through the price list*, never by changing
a sale: a special price entered for one day that puts one existing line below its floor
(``below-floor``) and another far under list (``price-deviation``); a product whose 2026 prices
leave out one day with one sale (``no-price``); a row typed twice (``duplicate-price``); and two
rows of a new, unsold product with 最低价 above 标准价 (``out-of-range``) and a reversed period
(``date-order``).  The benchmark book's list has :attr:`~salesxl.demo.layout.DemoCounts.price_rows`
rows: the same prices split into short periods, plus catalogue items nobody bought.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from salesxl.demo.cells import day_number
from salesxl.demo.layout import COMPANY_NAME, DEMO_END, DEMO_START, SheetLayout
from salesxl.demo.parts import DemoCompany
from salesxl.demo.reference import PRODUCTS
from salesxl.demo.writer import Column, DemoWriter

ISSUE = 16
LEVEL_FACTORS = {"A": 0.93, "B": 0.935, "C": 0.94}
LEVEL_NAMES = {"A": "主要客户", "B": "一般客户", "C": "零散客户"}
FLOOR, PROMO_FLOOR, COST, RISE, PROMO = 0.83, 0.80, 0.70, 1.03, 0.99
RISE_DAY = day_number(date(2026, 1, 1))
PROMO_DAYS = (day_number(date(2026, 6, 1)), day_number(date(2026, 8, 31)))
PROMO_PRODUCTS = ("防水涂料", "潜水泵", "LED面板灯")
#: The month whose lines the planted special prices pick from (after the promotion).
PLANT_MONTH = (day_number(date(2026, 9, 1)), day_number(date(2026, 9, 30)))
LAYOUT = SheetLayout("价目表", "价目表", (f"{COMPANY_NAME}价目表", "2026年1月1日起统一调价 3%；夏季促销 6月1日至8月31日"))
HEADERS = ["产品", "规格", "客户等级", "开始日期", "结束日期", "标准价", "最低价", "成本价", "备注"]
WIDTHS = [12, 16, 10, 12, 12, 11, 11, 11, 22]
#: The small demo's planted price findings, by code: where they are (sheet, what).
PRICE_PROBLEMS = ("below-floor", "price-deviation", "no-price", "duplicate-price", "out-of-range", "date-order")


def _row(item: int, level: str | None, start: int | None, end: int | None, list_fen: int, floor_fen: int | None,
         cost_fen: int | None, note: str | None = None, *, product: str | None = None,
         spec: str | None = None) -> dict[str, Any]:
    pr = PRODUCTS[item] if item >= 0 else None
    return {"产品": product or (pr.name if pr else None), "规格": spec or (pr.spec if pr else None),
            "客户等级": level, "开始日期": start, "结束日期": end, "标准价": list_fen, "最低价": floor_fen,
            "成本价": cost_fen, "备注": note}


def _fen(x: float) -> int:
    return int(np.floor(x + 0.5))


def _periods(item: int, level: str, start: int | None, end: int | None, rise: bool, note: str | None
             ) -> dict[str, Any]:
    base = PRODUCTS[item].price_fen * (RISE if rise else 1.0)
    return _row(item, level, start, end, _fen(base * LEVEL_FACTORS[level]), _fen(base * FLOOR),
                _fen(PRODUCTS[item].price_fen * COST), note)


def price_rows(company: DemoCompany) -> list[dict[str, Any]]:
    """The 价目表 rows, in sheet order (days as day numbers, money as fen)."""
    rows: list[dict[str, Any]] = []
    planted = _planted_lines(company) if company.plant else {}
    gap_item = planted["no-price"][0] if planted else -1
    gap_day = planted["no-price"][1] if planted else -1
    target = company.counts.price_rows
    per_key = max(1, (target - 10) // (len(PRODUCTS) * 3)) if target else 0
    for item in range(len(PRODUCTS)):
        for level in LEVEL_FACTORS:
            if per_key > 1:  # the benchmark list: the same prices in short periods
                rows += _split(item, level, per_key)
            elif item == gap_item:  # no undated row, and 2026 without the gap day
                rows.append(_periods(item, level, day_number(DEMO_START), RISE_DAY - 1, False, None))
                rows.append(_periods(item, level, RISE_DAY, gap_day - 1, True, "2026年调价"))
                rows.append(_periods(item, level, gap_day + 1, None, True, "2026年调价"))
            else:
                rows.append(_periods(item, level, None, None, False, None))
                rows.append(_periods(item, level, RISE_DAY, None, True, "2026年调价"))
            if PRODUCTS[item].name in PROMO_PRODUCTS:
                base = PRODUCTS[item].price_fen * RISE
                rows.append(_row(item, level, *PROMO_DAYS, _fen(base * LEVEL_FACTORS[level] * PROMO),
                                 _fen(base * PROMO_FLOOR), _fen(PRODUCTS[item].price_fen * COST), "夏季促销"))
    if planted:
        for code, factor, floor_of_price, note in (("below-floor", 1.06, 1.02, "特价（录入有误）"),
                                                    ("price-deviation", 1.20, 0.90, "特价调整")):
            item, day, price = planted[code]
            for level in LEVEL_FACTORS:
                rows.append(_row(item, level, day, day, _fen(price * factor), _fen(price * floor_of_price),
                                 _fen(PRODUCTS[item].price_fen * COST), note))
        rows.append(dict(rows[1]))  # a row typed twice
        rows.append(_row(-1, None, None, None, 98000, 99000, 70000, "新品", product="不锈钢球阀", spec="DN80"))
        rows.append(_row(-1, None, day_number(date(2026, 12, 1)), day_number(date(2026, 11, 30)), 128000, 105000,
                         90000, "新品（待定）", product="不锈钢球阀", spec="DN100"))
    while target and len(rows) < target:  # catalogue items nobody bought in this book
        n = len(rows)
        rows.append(_row(-1, None, None, None, 1000 + 37 * n, 850 + 31 * n, 700 + 26 * n, None,
                         product=f"备品{n:05d}", spec="标准"))
    return rows


def _split(item: int, level: str, per_key: int) -> list[dict[str, Any]]:
    """``per_key`` dated periods covering the two years, split at the 2026 rise."""
    first, rise, last = day_number(DEMO_START), RISE_DAY, day_number(DEMO_END)
    before = max(1, per_key * (rise - first) // (last - first + 1))
    out = []
    for lo, hi, k, up in ((first, rise - 1, before, False), (rise, last, per_key - before, True)):
        bounds = np.linspace(lo, hi + 1, max(k, 1) + 1).astype(np.int64)
        for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
            out.append(_periods(item, level, a, (b - 1) if b - 1 < last else None, up, None))
    return out


def _planted_lines(company: DemoCompany) -> dict[str, tuple[int, int, int]]:
    """Three ordinary September lines, each the only sale of its product and spec that day,
    of three different dearer products outside the promotion: (item, day, unit price fen)."""
    s = company.sales
    sold = s[~s["is_return"].to_numpy()]
    per_day = sold.groupby(["item", "day"])["day"].transform("size").to_numpy()
    price = np.array([pr.price_fen for pr in PRODUCTS])[sold["item"].to_numpy()]
    promo = np.isin(sold["item"].to_numpy(), [k for k, pr in enumerate(PRODUCTS) if pr.name in PROMO_PRODUCTS])
    day = sold["day"].to_numpy()
    ok = (per_day == 1) & (price >= 5000) & ~promo & (day >= PLANT_MONTH[0]) & (day <= PLANT_MONTH[1])
    chosen: dict[str, tuple[int, int, int]] = {}
    used: set[int] = set()
    for i in np.flatnonzero(ok).tolist():
        item = int(sold["item"].iat[i])
        if item in used:
            continue
        used.add(item)
        chosen[PRICE_PROBLEMS[len(chosen)]] = (item, int(day[i]), int(sold["price_fen"].iat[i]))
        if len(chosen) == 3:
            return chosen
    raise AssertionError("the demo has too few September lines to plant the price problems")


def _texts(s: pd.Series) -> list[str | None]:
    return [None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in s.tolist()]


def add_prices(company: DemoCompany, writer: DemoWriter) -> None:
    """The demo's part: the 价目表 sheet (after the standard sheets)."""
    rng = company.rng(ISSUE)
    frame = pd.DataFrame(price_rows(company))
    n = len(frame)
    level = _texts(frame["客户等级"])
    long_name = rng.random(n) < 0.2  # some offices write the level's name
    shown = [None if v is None else (LEVEL_NAMES[v] if named else v) for v, named in zip(level, long_name, strict=True)]
    columns: list[Column] = [(_texts(frame["产品"]), None), (_texts(frame["规格"]), None), (shown, None)]
    for name in ("开始日期", "结束日期"):
        present = frame[name].notna().to_numpy()
        days = frame[name].fillna(0).to_numpy(dtype=np.int64)
        columns.append(writer.dates(days, present, text_rate=0.0, rng=rng))
    for name in ("标准价", "最低价", "成本价"):
        present = frame[name].notna().to_numpy()
        columns.append(writer.amounts(frame[name].fillna(0).to_numpy(dtype=np.int64), 0.0, present, rng=rng))
    columns.append((_texts(frame["备注"]), None))
    writer.add_sheet(LAYOUT, HEADERS, columns, WIDTHS)
