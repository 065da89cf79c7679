"""The 周报 workbook (``salesxl weekly``): a team page, then one printable sheet per salesperson.

* 团队 — one line per salesperson (visits, customers and prospects visited, contracts signed,
  sales, collections, the month's target, the week's share of it and the month to date) with a
  team 合计, and a native chart of the week's sales per salesperson;
* one sheet per salesperson — the same figures, the week's visits, the contracts signed and
  the next steps due in the following week.

Each sheet prints on A4, one page wide, with the title in the page header.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

from xlsxwriter.workbook import Workbook

from salesxl.core.weekly import WeeklyReport
from salesxl.io.print_sheets import Formats, PrintSheet, save
from salesxl.io.printing import print_title

__all__ = ["TEAM_SHEET", "weekly_report_name", "write_weekly_report"]

TEAM_SHEET = "团队"
_BAD = re.compile(r"[\[\]:*?/\\]")


def weekly_report_name(week: str) -> str:
    """``周报-2026-W44.xlsx``."""
    return f"周报-{week}.xlsx"


def _sheet_name(name: Any, taken: set[str]) -> str:
    """A salesperson's name as a sheet name: Excel's forbidden characters replaced, ≤ 31
    characters, unique (case-insensitive)."""
    base = _BAD.sub("_", str(name or "（未指定）")).strip("'")[:31] or "业务员"
    found, i = base, 2
    while found.lower() in taken:
        found = f"{base[:28]}({i})"
        i += 1
    taken.add(found.lower())
    return found


_HEADS = ("业务员", "拜访次数", "拜访客户数", "拜访潜在客户", "签订合同", "合同金额", "本周销售额", "本周回款额",
          "本月目标", "本周占目标", "本月累计完成")
_KINDS = ("text", "count", "count", "count", "count", "money", "money", "money", "money", "rate", "rate")


def _line(name: Any, r: dict[str, Any]) -> list[Any]:
    return [name, r["visits"], r["customers_visited"], r["prospects_visited"], r["contracts_signed"],
            r["contract_amount"], r["sales"], r["collections"], r["month_target"], r["week_share"],
            r["month_to_date"]]


def _subtitle(rep: WeeklyReport) -> str:
    return (f"{rep.monday.isoformat()}（周一）至 {rep.sunday.isoformat()}（周日）　本月：{rep.month:%Y-%m}"
            "　金额单位：元")


def _team(wb: Workbook, fmt: Formats, rep: WeeklyReport) -> None:
    sh = PrintSheet(wb, fmt, TEAM_SHEET, [12, 10, 9, 9, 8, 12, 12, 12, 12, 9, 10],
                    print_title(f"销售周报 {rep.week}", None, rep.company))
    sh.title(f"{rep.company + ' ' if rep.company else ''}销售周报 {rep.week} · 团队", _subtitle(rep))
    rows = [_line(r["salesperson"] or "（未指定）", r) for r in rep.people.to_dict("records")]
    head, lo, hi = sh.table(_HEADS, _KINDS, rows, _line("合计", rep.team()), repeat=True)
    if hi >= lo:
        sh.chart("bar", "本周销售额与回款额（按业务员）",
                 [{"name": "本周销售额", "categories": sh.ref(lo, hi, 0), "values": sh.ref(lo, hi, 6)},
                  {"name": "本周回款额", "categories": sh.ref(lo, hi, 0), "values": sh.ref(lo, hi, 7)}],
                 sh.row, 0, width=640, height=max(220, 40 * (hi - lo + 1) + 100), y_format="#,##0")
        sh.row += max(12, 2 * (hi - lo + 1) + 6)
    steps = rep.next_steps
    sh.section("下周待办（拜访记录的下次计划）")
    sh.table(("业务员", "拜访日期", "客户", "下次计划", "计划日期"), ("text", "date", "text", "text", "date"),
             [[s["salesperson"], s["visit_date"], s["customer_name"] or s["customer"], s["next_step"], s["due"]]
              for s in steps.to_dict("records")], spans=(1, 1, 3, 4, 2))
    sh.finish(freeze_row=4)


def _person(wb: Workbook, fmt: Formats, rep: WeeklyReport, r: dict[str, Any], name: str) -> None:
    who = r["salesperson"]
    sh = PrintSheet(wb, fmt, name, [11, 10, 16, 8, 20, 20, 9],
                    print_title(f"销售周报 {rep.week}", None, str(who or "（未指定）")))
    sh.title(f"销售周报 {rep.week} · {who or '（未指定）'}", _subtitle(rep))
    sh.section("本周业绩")
    kpis = [("拜访次数", r["visits"], "count"), ("拜访客户数", r["customers_visited"], "count"),
            ("拜访潜在客户数", r["prospects_visited"], "count"), ("签订合同份数", r["contracts_signed"], "count"),
            ("签订合同金额", r["contract_amount"], "money"), ("本周销售额", r["sales"], "money"),
            ("本周回款额", r["collections"], "money"), ("本月销售目标", r["month_target"], "money"),
            ("本周销售占本月目标", r["week_share"], "rate"), ("本月累计销售", r["month_sales"], "money"),
            ("本月累计完成率", r["month_to_date"], "rate")]
    for label, value, kind in kpis:
        sh.ws.write_string(sh.row, 0, label, fmt.kinds["text"])
        sh.ws.write_blank(sh.row, 1, None, fmt.kinds["text"])
        sh.put(sh.row, 2, value, kind, fmt.kinds[kind])
        sh.row += 1
    sh.row += 1
    sh.section("本周拜访")
    mine = rep.visits[rep.visits["salesperson"] == who]
    sh.table(("日期", "客户编号", "客户名称", "潜在客户", "拜访内容", "下次计划", "方式"),
             ("date", "text", "text", "center", "text", "text", "text"),
             [[v["date"], v["customer_id"], v["customer_name"], "是" if v["prospect"] else "", v["notes"],
               v["next_step"], v["method"]] for v in mine.to_dict("records")])
    signed = rep.contracts[rep.contracts["salesperson"] == who]
    if len(signed):
        sh.section("本周签订合同")
        sh.table(("签订日期", "合同编号", "客户编号", "合同金额"), ("date", "text", "text", "money"),
                 [[c["signed"], c["contract_no"], c["customer_id"], c["amount"]] for c in signed.to_dict("records")],
                 spans=(1, 1, 3, 2))
    steps = rep.next_steps[rep.next_steps["salesperson"] == who]
    sh.section("下周待办")
    sh.table(("拜访日期", "客户", "客户名称", "下次计划", "计划日期"), ("date", "text", "text", "text", "date"),
             [[s["visit_date"], s["customer"], s["customer_name"], s["next_step"], s["due"]]
              for s in steps.to_dict("records")], spans=(1, 1, 2, 2, 1))
    sh.finish()


def write_weekly_report(rep: WeeklyReport, path: str | Path) -> Path:
    """Write the 周报 workbook (团队, then one sheet per salesperson) to ``path``."""

    def build(wb: Workbook, fmt: Formats) -> None:
        _team(wb, fmt, rep)
        taken = {TEAM_SHEET.lower()}
        for r in rep.people.to_dict("records"):
            _person(wb, fmt, rep, r, _sheet_name(r["salesperson"], taken))

    return save(path, build, title=f"销售周报 {rep.week}", company=rep.company,
                created=datetime.combine(rep.sunday, datetime.min.time()))
