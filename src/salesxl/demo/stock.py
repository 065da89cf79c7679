"""The demo company's warehouses (issue 17): stock cards (库存) and a stock count (盘点).

Three warehouses — the ones the demo already ships from by zone (杭州总仓, 宁波仓, 苏州仓).
Every batch a 发货 row ships is a card of its warehouse: received on the batch's date (its 批号
says it: ``B20250312-02``), as a 期初 row on the day before the demo starts when it is older,
with a little more than it ships so cards keep a balance; then one 出库 row per 发货 row (same
date, 单号 = 发货单号, product, spec, batch, quantity, warehouse), so the cards reconcile with
the shipments the demo already has.  One batch received at the end is still 待检 (quarantine).
结存 is written on most rows, as a storekeeper does.  A count (盘点) of 杭州总仓 on the last day
lists every batch with stock there.

Planted in the small demo (:data:`STOCK_PLANTS`): a written 结存 off by one unit
(``balance-mismatch``), a batch shipped while still 待检 and released later (``quality-hold``),
an issue whose 单号 is no shipment (``unmatched-issue``), and three count variances
(``count-variance``, warnings).  The benchmark book gets about a million card movements (each
card received in several deliveries) and no planted problems.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from salesxl.demo.layout import END_DAY, START_DAY, SheetLayout
from salesxl.demo.parts import DemoCompany
from salesxl.demo.reference import PRODUCTS
from salesxl.demo.writer import Column, DemoWriter

__all__ = ["COUNT_LAYOUT", "COUNT_WAREHOUSE", "STOCK_LAYOUT", "STOCK_PLANTS", "SCALE_MOVEMENTS", "add_stock"]

ISSUE = 17
STOCK_LAYOUT = SheetLayout("库存", "库存", ("仓库货卡（2024.11–2026.10）",), 0)
COUNT_LAYOUT = SheetLayout("盘点", "盘点", ("杭州总仓 月末盘点 2026-10-31",), 0)
COUNT_WAREHOUSE = "杭州总仓"
#: The benchmark book's card movements (about).
SCALE_MOVEMENTS = 1_000_000
#: Index of the 发货 row whose batch is shipped while 待检, and the 库存/盘点 rows planted.
_HOLD_SHIPMENT = 120
_QUARANTINE_BATCH = "B20261026-09"

#: The planted stock problems of the last planted build: (canonical sheet, Excel row, field,
#: code), filled in by :func:`add_stock` (the rows depend on the generated shipments).
STOCK_PLANTS: list[tuple[str, int, str, str]] = []


def _batch_day(batch: str) -> int:
    y, m, d = int(batch[1:5]), int(batch[5:7]), int(batch[7:9])
    return int((np.datetime64(f"{y:04d}-{m:02d}-{d:02d}") - np.datetime64("1970-01-01")).astype(int))


def add_stock(company: DemoCompany, writer: DemoWriter) -> None:
    """Add the 库存 and 盘点 sheets (a :data:`~salesxl.demo.parts.DemoPart`)."""
    rng = company.rng(ISSUE)
    ship = company.shipments.reset_index(drop=True)
    has_batch = ship["batch"].map(lambda b: isinstance(b, str)).to_numpy()
    ships = ship[has_batch]
    step10 = np.array([pr.step10 for pr in PRODUCTS])
    key = ships["warehouse"].astype(str) + "|" + ships["item"].astype(str) + "|" + ships["batch"].astype(str)
    card_code, card_keys = pd.factorize(key)
    n_cards = len(card_keys)
    issued = np.bincount(card_code, weights=ships["qty10"].to_numpy(dtype=np.float64), minlength=n_cards)
    first = pd.Series(np.arange(len(ships))).groupby(card_code).first().to_numpy()
    c_wh = ships["warehouse"].to_numpy()[first]
    c_item = ships["item"].to_numpy()[first].astype(np.int64)
    c_batch = ships["batch"].to_numpy()[first]
    c_day = np.array([_batch_day(b) for b in c_batch.tolist()], dtype=np.int64)
    leftover = rng.integers(0, 4, n_cards) * step10[c_item] * np.where(rng.random(n_cards) < 0.5, 0, 1)
    total = issued.astype(np.int64) + leftover
    # deliveries per card: one in the small demo; the benchmark book fills up to SCALE_MOVEMENTS
    if company.plant or company.counts.sales_lines < 100_000:
        parts = np.ones(n_cards, dtype=np.int64)
    else:
        mean = max((SCALE_MOVEMENTS - len(ships)) / max(n_cards, 1), 1.0)
        parts = np.clip(rng.poisson(mean - 1, n_cards) + 1, 1, 12)
    units = total // step10[c_item]
    parts = np.maximum(np.minimum(parts, units), 1)
    rec_card = np.repeat(np.arange(n_cards), parts)
    cuts = rng.random(len(rec_card))
    share = cuts / np.bincount(rec_card, weights=cuts, minlength=n_cards)[rec_card]
    rec_units = np.floor(share * units[rec_card]).astype(np.int64)
    fix = units - np.bincount(rec_card, weights=rec_units, minlength=n_cards).astype(np.int64)
    firsts = np.r_[0, np.cumsum(parts)[:-1]]
    rec_units[firsts] += fix
    keep = rec_units > 0
    rec_card, rec_units = rec_card[keep], rec_units[keep]
    rec_day = c_day[rec_card] + np.where(rng.random(len(rec_card)) < 0.3, 1, 0)
    rec_day = np.where(c_day[rec_card] < START_DAY, START_DAY - 1, rec_day)
    opening = rec_day < START_DAY
    receipts = pd.DataFrame({
        "day": rec_day, "card": rec_card, "kind": np.where(opening, "期初", "入库"),
        "qty10": rec_units * step10[c_item[rec_card]], "doc": None, "quality": "合格", "order": 0,
    })
    issues = pd.DataFrame({
        "day": ships["day"].to_numpy(dtype=np.int64), "card": card_code, "kind": "出库",
        "qty10": ships["qty10"].to_numpy(dtype=np.int64), "doc": ships["no"].to_numpy(), "quality": None,
        "order": 1,
    })
    rows = pd.concat([receipts, issues], ignore_index=True)
    extra: list[dict[str, Any]] = []
    # A batch received at the end of the demo, still in quarantine (not shipped).
    q_wh, q_item = "宁波仓", 0
    keys = list(card_keys) + [f"{q_wh}|{q_item}|{_QUARANTINE_BATCH}"]
    c_wh = np.append(c_wh.astype(object), q_wh)
    c_item = np.append(c_item, q_item)
    c_batch = np.append(c_batch.astype(object), _QUARANTINE_BATCH)
    extra.append({"day": END_DAY - 5, "card": len(keys) - 1, "kind": "入库", "qty10": 50 * step10[q_item],
                  "doc": None, "quality": "待检", "order": 0})
    plants: dict[str, int] = {}
    if company.plant:
        # quality-hold: the batch of one shipment arrives 待检 and is released three days after it ships
        # (a batch only one warehouse holds, received after the demo starts: quality is per batch)
        batch_key = pd.Series(c_item[:n_cards].astype(str)) + "|" + pd.Series(c_batch[:n_cards].astype(str))
        alone = ~batch_key.duplicated(keep=False).to_numpy() & (c_day >= START_DAY)
        pick = next(i for i in range(_HOLD_SHIPMENT, len(ships)) if alone[card_code[i]])
        hold_card = int(card_code[pick])
        rows.loc[(rows["card"] == hold_card) & (rows["order"] == 0), "quality"] = "待检"
        ship_day = int(issues.loc[issues["card"] == hold_card, "day"].max())
        extra.append({"day": ship_day + 3, "card": hold_card, "kind": "入库", "qty10": step10[c_item[hold_card]],
                      "doc": None, "quality": "合格", "order": 0})
        plants["hold_ship"] = int(np.flatnonzero(has_batch)[pick])
        # unmatched-issue: one unit issued on a note that is no shipment, from a card with stock left
        spare = np.flatnonzero((leftover > 0) & (c_day[: n_cards] > START_DAY))
        spare_card = int(spare[len(spare) // 2])
        last = int(rows.loc[rows["card"] == spare_card, "day"].max())
        extra.append({"day": min(last + 1, END_DAY), "card": spare_card, "kind": "出库",
                      "qty10": step10[c_item[spare_card]], "doc": "FH-退货待查", "quality": None, "order": 2})
        plants["spare_card"] = spare_card
    rows = pd.concat([rows, pd.DataFrame(extra)], ignore_index=True)
    rows = rows.sort_values(["day", "order", "card"], kind="stable", ignore_index=True)
    sign = np.where(rows["kind"].to_numpy() == "出库", -1, 1)
    balance = (rows["qty10"].to_numpy(dtype=np.int64) * sign)
    balance = pd.Series(balance).groupby(rows["card"].to_numpy()).cumsum().to_numpy()
    written = np.where(rng.random(len(rows)) < 0.75, balance, np.iinfo(np.int64).min)
    if company.plant:
        # balance-mismatch: one written 结存 a unit off
        at = int(np.flatnonzero(written != np.iinfo(np.int64).min)[len(rows) // 3])
        written[at] += step10[c_item[int(rows["card"].iat[at])]]
        plants["mismatch_row"] = at
        plants["issue_row"] = int(np.flatnonzero(rows["doc"].to_numpy() == "FH-退货待查")[0])
    _write_stock(writer, rng, rows, written, c_wh, c_item, c_batch)
    count = _count(writer, rng, rows, balance, c_wh, c_item, c_batch, company.plant)
    if company.plant:
        from salesxl.demo.layout import LAYOUTS

        STOCK_PLANTS.clear()
        STOCK_PLANTS.extend([
            ("库存", STOCK_LAYOUT.excel_row(plants["mismatch_row"]), "结存", "balance-mismatch"),
            ("库存", STOCK_LAYOUT.excel_row(plants["issue_row"]), "单号", "unmatched-issue"),
            ("发货", LAYOUTS["发货"].excel_row(plants["hold_ship"]), "批号", "quality-hold"),
            *[("盘点", COUNT_LAYOUT.excel_row(i), "实盘数量", "count-variance") for i in count],
        ])


def _qty(q10: np.ndarray) -> list[Any]:
    return [q // 10 if q % 10 == 0 else q / 10 for q in q10.tolist()]


def _write_stock(writer: DemoWriter, rng: np.random.Generator, rows: pd.DataFrame, written: np.ndarray,
                 c_wh: np.ndarray, c_item: np.ndarray, c_batch: np.ndarray) -> None:
    card = rows["card"].to_numpy()
    item = c_item[card]
    none = np.iinfo(np.int64).min
    columns: list[Column] = [
        writer.dates(rows["day"].to_numpy(), rng=rng, text_rate=0.2),
        (c_wh[card].tolist(), None),
        ([PRODUCTS[k].name for k in item.tolist()], None),
        ([PRODUCTS[k].spec for k in item.tolist()], None),
        (c_batch[card].tolist(), None),
        (rows["kind"].tolist(), None),
        (_qty(rows["qty10"].to_numpy()), None),
        ([d if isinstance(d, str) else None for d in rows["doc"].tolist()], None),
        ([None if w == none else (w // 10 if w % 10 == 0 else w / 10) for w in written.tolist()], None),
        ([q if isinstance(q, str) else None for q in rows["quality"].tolist()], None),
    ]
    headers = ["日期", "仓库", "产品", "规格", "批号", "类型", "数量", "单号", "结存", "质量状态"]
    writer.add_sheet(STOCK_LAYOUT, headers, columns, [12, 10, 12, 12, 15, 6, 8, 17, 8, 8])


def _count(writer: DemoWriter, rng: np.random.Generator, rows: pd.DataFrame, balance: np.ndarray,
           c_wh: np.ndarray, c_item: np.ndarray, c_batch: np.ndarray, plant: bool) -> list[int]:
    """盘点 of :data:`COUNT_WAREHOUSE` on the last day; returns the data rows planted off."""
    last = pd.Series(balance).groupby(rows["card"].to_numpy()).last()
    cards = [int(c) for c, b in last.items() if b != 0 and c_wh[int(c)] == COUNT_WAREHOUSE]
    cards.sort(key=lambda c: (PRODUCTS[int(c_item[c])].name, PRODUCTS[int(c_item[c])].spec, str(c_batch[c])))
    counted = np.array([int(last[c]) for c in cards], dtype=np.int64)
    off: list[int] = []
    if plant and len(cards) > 10:
        for i, units in zip((3, len(cards) // 2, len(cards) - 2), (1, -1, -2), strict=True):
            counted[i] = max(counted[i] + units * PRODUCTS[int(c_item[cards[i]])].step10, 0)
            off.append(i)
    day = np.full(len(cards), END_DAY, dtype=np.int64)
    columns: list[Column] = [
        writer.dates(day, rng=rng, text_rate=0.0),
        ([COUNT_WAREHOUSE] * len(cards), None),
        ([PRODUCTS[int(c_item[c])].name for c in cards], None),
        ([PRODUCTS[int(c_item[c])].spec for c in cards], None),
        ([str(c_batch[c]) for c in cards], None),
        (_qty(counted), None),
    ]
    writer.add_sheet(COUNT_LAYOUT, ["日期", "仓库", "产品", "规格", "批号", "实盘数量"], columns,
                     [12, 10, 12, 12, 15, 10])
    return off
