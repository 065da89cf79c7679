"""The contract workbook (``salesxl contracts``, v1.1): 合同执行 and 合同统计.

* 合同执行 — every contract signed on or before D: amount, executed, remaining, execution rate,
  status and the flag (即将到期 / 已逾期) in red, with a 合计 row; printable (A4 landscape, one
  page wide, the header row on every page).
* 合同统计 — the contracts signed in the 12 months up to D, counted and added up by month (a
  native column chart of the amounts with the counts as a line), by salesperson, by 省份 and
  by customer level.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from xlsxwriter.workbook import Workbook

from salesxl.core.contracts import FLAG_NAMES, ContractReport, contract_statistics
from salesxl.io.print_sheets import Formats, PrintSheet, save
from salesxl.io.printing import print_title

__all__ = ["CONTRACT_REPORT_SHEETS", "contract_report_name", "statistics_window", "write_contract_report"]

CONTRACT_REPORT_SHEETS = ("合同执行", "合同统计")
_LEVELS = {"A": "A 主要客户", "B": "B 一般客户", "C": "C 零散客户"}


def contract_report_name(as_of: date) -> str:
    """``合同执行-2026-10-31.xlsx``: the workbook's default file name."""
    return f"合同执行-{as_of.isoformat()}.xlsx"


def statistics_window(as_of: date) -> tuple[date, date]:
    """The statistics' period: the 12 calendar months up to D's month, up to D."""
    index = as_of.year * 12 + as_of.month - 1 - 11
    return date(index // 12, index % 12 + 1, 1), as_of


def _execution(wb: Workbook, fmt: Formats, r: ContractReport, company: str) -> None:
    c = r.contracts
    sh = PrintSheet(wb, fmt, "合同执行", [14, 11, 20, 9, 11, 11, 11, 14, 14, 14, 8, 8, 9],
                    print_title("合同执行", r.as_of, company))
    counts = r.counts()
    sh.title(f"{company + ' ' if company else ''}合同执行情况",
             f"截至 {r.as_of.isoformat()}　共 {counts['contracts']} 份合同，即将到期 {counts['expiring']} 份"
             f"（{r.notice_days} 天内），已逾期 {counts['overdue']} 份，超合同执行 {counts['over']} 份　金额单位：元")
    rows = [
        [no, cust, name, sp, signed, start, end, amount, executed, remaining, rate, status, FLAG_NAMES.get(flag, "")]
        for no, cust, name, sp, signed, start, end, amount, executed, remaining, rate, status, flag in zip(
            c["contract_no"], c["customer_id"], c["customer_name"], c["salesperson"], c["signed"], c["start"],
            c["end"], c["amount"], c["executed"], c["remaining"], c["execution_rate"], c["status_zh"], c["flag"],
            strict=True)
    ]
    amount, executed = int(c["amount"].sum()), int(c["executed"].sum())
    total = ["合计", None, None, None, None, None, None, amount, executed, amount - executed,
             executed / amount if amount else None, None, None]
    kinds = ["text", "text", "text", "text", "date", "date", "date", "money", "money", "money", "rate", "center",
             "flag"]
    sh.table(("合同编号", "客户编号", "客户名称", "业务员", "签订日期", "开始日期", "结束日期", "合同金额", "已执行",
              "剩余", "执行率", "状态", "提醒"), kinds, rows, total, repeat=True)
    sh.finish(freeze_row=4)


def _statistics(wb: Workbook, fmt: Formats, r: ContractReport, company: str) -> None:
    first, last = statistics_window(r.as_of)
    stats = contract_statistics(r.contracts, first, last)
    sh = PrintSheet(wb, fmt, "合同统计", [18, 12, 18, 14, 14, 14],
                    print_title("合同签订统计", r.as_of, company))
    sh.title(f"{company + ' ' if company else ''}合同签订统计",
             f"签订日期 {first.isoformat()} 至 {last.isoformat()}　金额单位：元")
    heads = {"month": "月份", "salesperson": "业务员", "province": "省份", "level": "客户等级"}
    titles = {"month": "按月份", "salesperson": "按业务员", "province": "按省份", "level": "按客户等级"}
    for key in ("month", "salesperson", "province", "level"):
        t = stats[key]
        sh.section(titles[key])
        labels = [(_LEVELS.get(k, k) if key == "level" else k) for k in t["key"]]
        rows = [[k, int(n), int(a)] for k, n, a in zip(labels, t["count"], t["amount"], strict=True)]
        head, lo, hi = sh.table((heads[key], "份数", "合同金额"), ("text", "count", "money"), rows,
                                ["合计", int(t["count"].sum()), int(t["amount"].sum())])
        if key == "month" and hi >= lo:  # the chart below the month table, across the page
            line = wb.add_chart({"type": "line"})
            line.add_series({"name": "份数", "categories": sh.ref(lo, hi, 0), "values": sh.ref(lo, hi, 1),
                             "y2_axis": True, "marker": {"type": "circle", "size": 4},
                             "line": {"color": "#ED7D31"}})
            sh.chart("column", "每月签订合同金额与份数",
                     [{"name": "合同金额", "categories": sh.ref(lo, hi, 0), "values": sh.ref(lo, hi, 2), "gap": 60}],
                     sh.row, 0, width=620, height=280, combine=line)
            sh.row += 16
    sh.finish()


def write_contract_report(report: ContractReport, path: str | Path, *, company: str = "") -> Path:
    """Write the contract workbook (合同执行, 合同统计) to ``path`` and return it."""

    def build(wb: Workbook, fmt: Formats) -> None:
        _execution(wb, fmt, report, company)
        _statistics(wb, fmt, report, company)

    return save(path, build, title="合同执行", company=company,
                created=datetime.combine(report.as_of, datetime.min.time()))
