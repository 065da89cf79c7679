"""What ``salesxl classify`` writes into a workbook (spec §2 out columns, §4).

* The out columns of 客户档案 — 片区 (only where the card leaves it blank), 路线, 拜访顺序,
  客户等级, 客户状态, 信用等级 — patched in place by :mod:`salesxl.io.columns`; no other cell
  of the sheet changes, and a missing out column is appended after the last header.
* 路线 (replaced on every run): each zone's routes, stop by stop, with the distance from the
  previous stop and the route's total, in kilometres; 省份 is the official name the zones
  use, and 省份来源 says when it is not the typed text (规范为全称, 由信用代码推断).
* 信用建议 (replaced on every run): each graded customer's suggested terms beside the ones on
  its card, with a hint where they differ.
* 信用政策 (written only when the workbook lacks it): the default grade → terms table, which the
  office then edits and salesxl only reads.

Level and status are written as their Chinese names (主要客户, 新客户 …), the canonical values
the reader maps back, so classifying a classified workbook reads the same values it wrote.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from salesxl.core.classification import DEFAULT_TERMS, LEVEL_NAMES, STATUS_NAMES, Classification
from salesxl.core.customers import not_on_file
from salesxl.core.identifiers import PROVINCE_SOURCES
from salesxl.core.tables import ROW, Table
from salesxl.io.columns import ColumnPatch, SheetPatch
from salesxl.io.printing import print_title
from salesxl.io.results import Column, ResultSheet

ROUTES_SHEET = "路线"
SUGGESTIONS_SHEET = "信用建议"
POLICY_SHEET = "信用政策"


def _blank(v: Any) -> bool:
    """None, NaN, <NA> or NaT (every value here is a scalar)."""
    return bool(pd.isna(v))


def customer_patch(result: Classification, table: Table) -> SheetPatch:
    """The out-column values of every card of 客户档案 (``table`` as read)."""
    c = result.customers
    frame = table.frame
    card_of = dict(zip(result.cards["row"].tolist(), result.cards["customer"].tolist(), strict=True))
    has_routes = "route" in c.columns
    zone = c["zone"].tolist()
    level = [LEVEL_NAMES[v] for v in c["level"]]
    status = [STATUS_NAMES[v] for v in c["status"]]
    grade = [None if _blank(v) else str(v) for v in c["credit_grade"]]
    route = [None if _blank(v) else str(v) for v in c["route"]] if has_routes else None
    stop = [None if _blank(v) else int(v) for v in c["stop"]] if has_routes else None
    typed_zone = dict(zip(frame[ROW].tolist(), frame["片区"].tolist(), strict=True))

    values: dict[str, dict[int, Any]] = {k: {} for k in ("片区", "路线", "拜访顺序", "客户等级", "客户状态", "信用等级")}
    for row, i in card_of.items():
        if i < 0:  # no 客户编号: nothing to classify; clear what an earlier run wrote
            for k in ("路线", "拜访顺序", "客户等级", "客户状态", "信用等级"):
                values[k][row] = None
            continue
        if _blank(typed_zone.get(row)):
            values["片区"][row] = zone[i]
        values["客户等级"][row] = level[i]
        values["客户状态"][row] = status[i]
        values["信用等级"][row] = grade[i]
        if route is not None and stop is not None:
            values["路线"][row] = route[i]
            values["拜访顺序"][row] = stop[i]
    if route is None:
        del values["路线"], values["拜访顺序"]
    columns = [
        ColumnPatch(name, table.letter(name), "int" if name == "拜访顺序" else "text", v)
        for name, v in values.items()
        if v or table.has(name)
    ]
    assert table.header_row is not None
    return SheetPatch(table.sheet, table.header_row, columns)


def routes_sheet(result: Classification) -> ResultSheet:
    """路线: every route stop by stop, zone by zone."""
    c = result.customers
    c = c[c["known"]].copy() if "known" in c.columns else c.copy()  # a customer not on file has no route
    c["_order"] = range(len(c))
    c = c.sort_values(["zone", "route", "stop", "_order"], kind="stable")
    columns = [
        Column("片区"), Column("路线"), Column("拜访顺序", "int"), Column("客户编号"), Column("客户名称"),
        Column("省份"), Column("省份来源"), Column("区县"), Column("地址"), Column("纬度", "coordinate"), Column("经度", "coordinate"),
        Column("距上一站(公里)", "number"), Column("路线全程(公里)", "number"),
    ]
    rows = [
        [_text(r.zone), _text(r.route), None if _blank(r.stop) else int(r.stop), _text(r.customer_id),
         _text(r.customer_name), _text(r.province), _province_source(r.province_source), _text(r.district), _text(r.address), _num(r.lat), _num(r.lon),
         _num(r.leg_km), _num(r.route_km)]
        for r in c.itertuples(index=False)
    ]
    return ResultSheet(ROUTES_SHEET, columns, rows, title=_title(ROUTES_SHEET, result))


def _title(what: str, result: Classification) -> str:
    """The printed title: the sheet, the as-of date, the company (参数 公司名称)."""
    company = result.book.settings.company_name if result.book is not None else None
    return print_title(what, result.as_of, company)


def _province_source(key: Any) -> str | None:
    """Where a 省份 shown comes from, in words (blank when typed as the official name)."""
    if _blank(key) or key == "typed":
        return None
    return PROVINCE_SOURCES[str(key)][0]


def suggestions_sheet(result: Classification) -> ResultSheet:
    """信用建议: suggested terms of each graded customer against its card."""
    c = result.customers
    columns = [
        Column("客户编号"), Column("客户名称"), Column("业务员"), Column("客户等级"), Column("客户状态"),
        Column("信用等级"), Column("最长逾期天数", "int"), Column("月均销售", "amount"),
        Column("建议信用额度", "amount"), Column("现信用额度", "amount"), Column("建议账期天数", "int"),
        Column("现账期天数", "int"), Column("需预付款"), Column("提示"),
    ]
    rows = []
    for r in c.itertuples(index=False):
        if _blank(r.credit_grade):
            continue
        limit, terms = int(r.suggested_limit), int(r.suggested_terms)
        hints = []
        if r.credit_limit > limit:
            hints.append("现额度高于建议")
        elif r.credit_limit < limit:
            hints.append("可提高额度")
        if r.terms_days > terms:
            hints.append("账期长于建议")
        elif r.terms_days < terms:
            hints.append("可延长账期")
        if bool(r.prepayment):
            hints.insert(0, "款到发货")
        rows.append([
            _text(r.customer_id), _text(r.customer_name) if r.known else not_on_file(), _text(r.salesperson),
            LEVEL_NAMES[r.level],
            STATUS_NAMES[r.status], str(r.credit_grade), int(r.max_overdue_days), int(r.avg_monthly_sales),
            limit, int(r.credit_limit), terms, int(r.terms_days), "是" if bool(r.prepayment) else "否",
            "；".join(hints) or "一致",
        ])
    return ResultSheet(SUGGESTIONS_SHEET, columns, rows, title=_title(SUGGESTIONS_SHEET, result))


def policy_sheet() -> ResultSheet:
    """信用政策 with the default terms (written only when the workbook has none)."""
    # 额度月数 is a count of months: 3, not 3.00 (an office may still type 1.5: the column has no format)
    columns = [Column("信用等级", width=10), Column("额度月数", "int", width=10), Column("账期天数", "int", width=10),
               Column("需预付款", width=10), Column("说明", width=56)]
    rows = [[t.grade, t.months if t.months != t.months.to_integral_value() else int(t.months), t.terms_days,
             "是" if t.prepayment else "否", t.note] for t in DEFAULT_TERMS]
    return ResultSheet(POLICY_SHEET, columns, rows, tab_color="FF7F6000")


def _text(v: Any) -> str | None:
    return None if _blank(v) else str(v)


def _num(v: Any) -> float | None:
    return None if _blank(v) else round(float(v), 6)
