"""What ``salesxl cards`` writes: the 档案完整度 sheet (spec v1.1, issue 19).

One result sheet (:mod:`salesxl.io.results`: replaced on a re-run, printable on A4 with its
title, header row repeated), one table that a sales manager filters by 业务员 or 类别:

* ``汇总`` rows — per salesperson (and first ``全部``, the whole office), per customer status:
  how many cards and their average completeness, how many are below target or stale;
* ``待完善`` rows — each current or new customer whose card is below 参数 档案完整度目标,
  least complete first, with the missing columns named group by group;
* ``未更新`` rows — each current customer's card whose 更新日期 is blank or older than 参数
  档案更新天数 days, never-updated first, then the oldest.

Completeness is a number (0.84) with two decimals shown; the exact value is in the cell.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from salesxl.core.cards import CardsResult, missing_text
from salesxl.core.classification import STATUS_NAMES
from salesxl.io.printing import print_title
from salesxl.io.results import Column, ResultSheet

CARDS_SHEET = "档案完整度"
ALL = "全部"
SUMMARY, INCOMPLETE, STALE = "汇总", "待完善", "未更新"

COLUMNS = (
    Column("业务员"), Column("类别"), Column("客户状态"), Column("客户编号"), Column("客户名称"),
    Column("卡片数", "int"), Column("平均完整度", "number"), Column("低于目标", "int"), Column("未更新", "int"),
    Column("完整度", "number"), Column("缺少的栏目", width=60), Column("更新日期", "date"), Column("未更新天数", "int"),
)


def _value(v: Any) -> Any:
    return None if v is None or (not isinstance(v, (list, dict)) and pd.isna(v)) else v


def cards_rows(result: CardsResult) -> list[list[Any]]:
    """The sheet's rows (see the module documentation)."""
    c = result.cards
    rows: list[list[Any]] = []
    people = sorted({p for p in c["salesperson"].tolist() if p}) + ([""] if c["salesperson"].isna().any() else [])

    def totals(who: str, part: pd.DataFrame) -> None:
        for status, name in STATUS_NAMES.items():
            s = part[part["status"] == status]
            if s.empty:
                continue
            rows.append([who, SUMMARY, name, None, None, len(s), round(float(s["completeness"].mean()), 4),
                         int(s["incomplete"].sum()), int(s["stale"].sum()), None, None, None, None])

    totals(ALL, c)
    for person in people:
        who = person or "（未分配）"
        mine = c[c["salesperson"].fillna("") == person]
        totals(who, mine)
        low = mine[mine["incomplete"]].sort_values(["completeness", "row"], kind="stable")
        for r in low.itertuples(index=False):
            rows.append([who, INCOMPLETE, r.status_name, r.customer_id, _value(r.customer_name), None, None, None,
                         None, float(r.completeness), missing_text(r.missing), _value(r.updated),
                         _value(r.days_since_update)])
        old = mine[mine["stale"]]
        old = old.assign(_never=old["days_since_update"].isna()).sort_values(
            ["_never", "days_since_update", "row"], ascending=[False, False, True], kind="stable")
        for r in old.itertuples(index=False):
            rows.append([who, STALE, r.status_name, r.customer_id, _value(r.customer_name), None, None, None, None,
                         float(r.completeness), None, _value(r.updated), _value(r.days_since_update)])
    for row in rows:
        if row[11] is not None:
            row[11] = pd.Timestamp(row[11]).date()
        if row[12] is not None:
            row[12] = int(row[12])
    return rows


def cards_sheet(result: CardsResult, company: str | None = None) -> ResultSheet:
    """The 档案完整度 result sheet of ``result``; ``company`` goes into the printed title."""
    target = f"目标 {float(result.target):.0%}，{result.stale_days} 天未更新为过期"
    return ResultSheet(CARDS_SHEET, COLUMNS, cards_rows(result),
                       title=print_title(f"{CARDS_SHEET}（{target}）", result.as_of, company))
