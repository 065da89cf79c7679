"""The demo's contracts and plans (issue 18, v1.1): a 合同 sheet, a 合同编号 column on 销售, and
quarter and year targets with product and region sub-targets appended to 目标.

* Contracts: one for about every fifth buying customer in the small demo (100,000 in the
  benchmark book, two per customer there), signed in the first or the second year of the data;
  most of the customer's sales lines dated in the contract's period carry its 合同编号 (the
  column is added; no existing cell changes).  The amount is set 5–60 % above what those lines
  add up to, so most contracts still have something to deliver on 2026-10-31; those that ended
  before are mostly 已完成 (the rest, still 执行中 with goods owed, are ``overdue``), and a few
  end within 30 days (``expiring``).  The small demo has exactly one over-executed contract (its
  amount below its sales: an ``over-contract`` warning), and it is listed in
  :data:`OVER_CONTRACT_ROW`.
* Plans: per salesperson a 2026Q4 row (3 × the October target: the quarter's own row, its
  months being incomplete), a 2026 row equal to its quarters (Q1–Q3 from the months, Q4 from the
  quarter row: no ``plan-mismatch``), and two 2026Q4 sub-targets: the salesperson's best product
  of 2026 and their best province.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from salesxl.demo.layout import END_DAY, START_DAY, SheetLayout
from salesxl.demo.parts import DemoCompany
from salesxl.demo.reference import CITIES, PRODUCTS
from salesxl.demo.writer import DemoWriter

__all__ = ["CONTRACTS_LAYOUT", "ISSUE", "OVER_CONTRACT_ROW", "add_contracts", "add_plans"]

ISSUE = 18
CONTRACTS_LAYOUT = SheetLayout("合同", "合同", ("合同台账（截至 2026年10月31日）",), 0)
#: The small demo's over-executed contract: its data row (0-based) on 合同.
OVER_CONTRACT_INDEX = 3
#: Its Excel row (the header is on row 2).
OVER_CONTRACT_ROW = CONTRACTS_LAYOUT.excel_row(OVER_CONTRACT_INDEX)
SCALE_CONTRACTS = 100_000


def _contract_table(company: DemoCompany, rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
    """The contracts (customer index, days, amount, status) and each sales line's contract
    (index, −1 none)."""
    buyers = company.customers.buyers
    scale = company.counts.sales_lines >= 1_000_000
    n = SCALE_CONTRACTS if scale else max(24, len(buyers) // 5)
    if n <= len(buyers):
        cust = np.sort(rng.choice(buyers, n, replace=False))
        nth = np.zeros(n, dtype=np.int64)
    else:  # two (or more) per customer: the k-th one a year later
        cust = np.sort(rng.choice(buyers, n, replace=True))
        first = np.r_[True, cust[1:] != cust[:-1]]
        starts = np.flatnonzero(first)
        nth = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))
    span = END_DAY - START_DAY
    signed = START_DAY + np.minimum(nth, 1) * (span // 2) + rng.integers(0, span // 2 - 60, n)
    start = signed + rng.integers(0, 15, n)
    length = rng.integers(120, 420, n)
    end = start + length
    # A few end within the 30 days after the demo's last day (expiring).
    soon = rng.random(n) < 0.08
    end = np.where(soon, END_DAY + rng.integers(1, 30, n), end)
    end = np.maximum(end, start + 30)

    # Link the customer's lines dated in the period: first contract whose period holds the day.
    sales = company.sales
    s_cust = sales["cust"].to_numpy()
    s_day = sales["day"].to_numpy()
    link = np.full(len(sales), -1, dtype=np.int64)
    order = np.argsort(cust, kind="stable")
    for k in range(int(nth.max()) + 1 if n else 0):
        pick = order[nth[order] == k]
        by_cust = np.full(len(company.customers.table), -1, dtype=np.int64)
        by_cust[cust[pick]] = pick
        c = np.where(s_cust >= 0, by_cust[np.maximum(s_cust, 0)], -1)
        hold = (c >= 0) & (link < 0)
        hold &= (s_day >= start[np.maximum(c, 0)]) & (s_day <= end[np.maximum(c, 0)])
        link = np.where(hold, c, link)
    link = np.where(rng.random(len(sales)) < 0.8, link, -1)  # not every line names its contract

    fen = sales["amount_fen"].to_numpy()
    executed = np.zeros(n, dtype=np.int64)
    np.add.at(executed, link[link >= 0], fen[link >= 0])
    factor = rng.uniform(1.05, 1.6, n)
    amount = np.maximum(np.ceil(np.maximum(executed, 0) * factor / 100_000) * 100_000, 1_000_000).astype(np.int64)
    if company.plant and n > OVER_CONTRACT_INDEX:
        i = OVER_CONTRACT_INDEX
        if executed[i] <= 100_000:  # make sure it has sales to exceed
            amount[i] = 1_000_000
            hit = np.flatnonzero((s_cust == cust[i]) & (link < 0))[:3]
            link[hit] = i
            executed[i] = int(fen[link == i].sum())
        amount[i] = max(100, int(executed[i] * 0.85) // 100 * 100)
    status = np.full(n, "执行中", dtype=object)
    ended = end < END_DAY
    roll = rng.random(n)
    status[ended & (roll < 0.8)] = "已完成"
    status[roll > 0.97] = "已终止"
    if company.plant:
        status[OVER_CONTRACT_INDEX] = "执行中"
    table = pd.DataFrame({"cust": cust, "signed": signed, "start": start, "end": end, "amount": amount,
                          "status": status})
    return table, link


def add_contracts(company: DemoCompany, w: DemoWriter) -> None:
    """The 合同 sheet and the 合同编号 column of 销售."""
    rng = company.rng(ISSUE)
    table, link = _contract_table(company, rng)
    t = company.customers.table
    n = len(table)
    years = (np.datetime64("1970-01-01", "D") + table["signed"].to_numpy().astype("timedelta64[D]")).astype(
        "datetime64[Y]").astype(int) + 1970
    numbers = [f"HT{y}{i + 1:06d}" for i, y in enumerate(years.tolist())]
    cust = table["cust"].to_numpy()
    reps = t["rep"].to_numpy()[cust]
    rep_shown = [r if keep else None for r, keep in zip(reps.tolist(), (rng.random(n) < 0.5).tolist(), strict=True)]
    headers = ["合同编号", "签订日期", "客户编号", "客户名称", "业务员", "合同金额（元）", "开始日期", "结束日期", "状态"]
    columns = [
        (numbers, None),
        w.dates(table["signed"].to_numpy(), rng=rng, text_rate=0.3),
        (t["id"].to_numpy()[cust].tolist(), None),
        (t["name"].to_numpy()[cust].tolist(), None),
        (rep_shown, None),
        w.amounts(table["amount"].to_numpy(), rng=rng, text_rate=0.02),
        w.dates(table["start"].to_numpy(), rng=rng, text_rate=0.3),
        w.dates(table["end"].to_numpy(), rng=rng, text_rate=0.3),
        ([None if s == "执行中" and r < 0.5 else s for s, r in
          zip(table["status"].tolist(), rng.random(n).tolist(), strict=True)], None),
    ]
    w.add_sheet(CONTRACTS_LAYOUT, headers, columns, [16, 12, 11, 26, 9, 15, 12, 12, 8])
    values = np.asarray(numbers, dtype=object)
    w.add_column("销售", "合同编号", ([values[k] if k >= 0 else None for k in link.tolist()], None), 16)


def add_plans(company: DemoCompany, w: DemoWriter) -> None:
    """2026Q4 and 2026 targets per salesperson, and two 2026Q4 sub-targets each, appended to 目标."""
    targets = company.targets
    t = company.customers.table
    sales = company.sales
    rows: list[dict[str, Any]] = []
    money = w.fmt.money
    day0 = (np.datetime64("2026-01-01") - np.datetime64("1970-01-01")).astype(int)
    this_year = (sales["day"].to_numpy() >= day0) & (sales["cust"].to_numpy() >= 0)
    s = sales[this_year]
    rep = t["rep"].to_numpy()[s["cust"].to_numpy()]
    province = np.asarray([CITIES[k].province for k in t["city_idx"].to_numpy()[s["cust"].to_numpy()].tolist()])
    product = np.asarray([PRODUCTS[k].name for k in s["item"].tolist()])
    fen = s["amount_fen"].to_numpy()
    for name in company.salespeople["name"].tolist():
        mine = targets[targets["rep"] == name]
        y26 = mine[mine["year"] == 2026]
        oct_ = y26[y26["month"] == 10]
        if oct_.empty:
            continue
        q4 = {c: int(oct_[c].iloc[0]) * 3 for c in ("sales_fen", "collect_fen", "budget_fen")}
        q13 = y26[y26["month"] <= 9]
        year = {c: int(q13[c].sum()) + q4[c] for c in q4}
        for period, amounts in (("2026Q4", q4), ("2026", year)):
            rows.append({"月份": (period, None), "业务员": (name, None),
                         "销售目标（元）": (amounts["sales_fen"] / 100, money),
                         "回款目标（元）": (amounts["collect_fen"] / 100, money),
                         "费用预算（元）": (amounts["budget_fen"] / 100, money)})
        here = rep == name
        if not here.any():
            continue
        by_product = pd.Series(fen[here]).groupby(product[here]).sum()
        by_province = pd.Series(fen[here]).groupby(province[here]).sum()
        top_p, top_r = str(by_product.idxmax()), str(by_province.idxmax())
        share_p = by_product.max() / max(fen[here].sum(), 1)
        share_r = by_province.max() / max(fen[here].sum(), 1)
        for header, value, share in (("产品", top_p, share_p), ("省份", top_r, share_r)):
            target = round(q4["sales_fen"] * min(float(share), 1.0) / 1_000_000) * 10_000
            rows.append({"月份": ("2026年第4季度", None), "业务员": (name, None),
                         "销售目标（元）": (float(max(target, 10_000)), money), header: (value, None)})
    n = len(targets)
    w.add_column("目标", "产品", ([None] * n, None), 14)
    w.add_column("目标", "省份", ([None] * n, None), 10)
    w.add_rows("目标", rows)

