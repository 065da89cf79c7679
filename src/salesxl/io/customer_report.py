"""客户业务报告 as a printable workbook (XlsxWriter): one customer's dossier on one or two A4 pages.

:func:`write_customer_report` lays a :class:`~salesxl.core.customer_report.Dossier` out on one
sheet, top to bottom: the card's four groups (label / value pairs, two to a row; a blank value
printed as a dash so a missing field shows); level, status and credit grade with the terms the
grade suggests; the 12 months' sales by month (table and a native column chart) and by
product; receivable, overdue, prepaid and available credit with the aging and the open
documents; payment behaviour and the next three months' expected collections; the latest
visits with their next steps; contracts with their execution.

A4 portrait, one page wide (the 8 columns add up to a portrait page), page header with the title
(:func:`salesxl.io.printing.print_title`), page numbers in the footer.  Amounts are numbers
(``#,##0.00``); every user text is written as a string.  Built in memory, written atomically.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from salesxl.core.classification import LEVEL_NAMES, STATUS_NAMES
from salesxl.core.customer_report import Dossier
from salesxl.io.print_sheets import write_xlsx
from salesxl.io.printing import landscape, print_title

__all__ = ["SHEET", "report_file_name", "write_customer_report"]

SHEET = "客户业务报告"
FONT = "Microsoft YaHei"
AMOUNT = "#,##0.00"
WIDTHS = (10, 13, 10, 13, 10, 13, 10, 13)  # 92: a portrait A4 page
#: Rows of the longer lists (the report stays on one or two pages).
SHOWN = 8
GRADE_TEXT = {"A": "A（无逾期）", "B": "B（逾期≤30天）", "C": "C（逾期31–90天）", "D": "D（逾期>90天）"}
BASIS_TEXT = {"own": "本客户近12个月记录", "company": "无记录，按公司平均", "none": "无记录，按到期日"}


def report_file_name(customer_id: str) -> str:
    safe = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", customer_id).strip(" .") or "客户"
    return f"客户报告_{safe}.xlsx"


def _blank(v: Any) -> bool:
    return v is None or (not isinstance(v, str) and pd.isna(v)) or v == ""


class _Writer:
    """A sheet with a row cursor and the report's formats."""

    def __init__(self, wb: xlsxwriter.Workbook, d: Dossier) -> None:
        self.wb, self.d = wb, d
        self.ws: Worksheet = wb.add_worksheet(SHEET)
        self.ws.hide_gridlines(2)
        for c, w in enumerate(WIDTHS):
            self.ws.set_column(c, c, w)
        base = {"font_name": FONT, "font_size": 9, "valign": "vcenter"}
        cell = {**base, "border": 1, "border_color": "#BFBFBF"}
        add = wb.add_format
        self.title = add({**base, "bold": True, "font_size": 15, "font_color": "#1F3864"})
        self.subtitle = add({**base, "font_color": "#595959"})
        self.section_format = add({**base, "bold": True, "font_size": 11, "font_color": "#1F3864", "bottom": 2,
                            "bottom_color": "#2F5597"})
        self.group = add({**cell, "bold": True, "bg_color": "#DDEBF7"})
        self.label = add({**cell, "bg_color": "#F2F2F2", "font_color": "#404040"})
        self.value = add({**cell, "text_wrap": True})
        self.missing = add({**cell, "font_color": "#A6A6A6", "align": "center"})
        self.head = add({**cell, "bold": True, "font_color": "#FFFFFF", "bg_color": "#2F5597", "align": "center",
                         "text_wrap": True, "border_color": "#FFFFFF"})
        self.text = add(cell)
        self.wrap = add({**cell, "text_wrap": True, "valign": "top"})
        self.center = add({**cell, "align": "center"})
        self.money = add({**cell, "num_format": AMOUNT})
        self.money_bad = add({**cell, "num_format": AMOUNT, "font_color": "#C00000", "bold": True})
        self.count = add({**cell, "num_format": "#,##0"})
        self.qty = add({**cell, "num_format": "#,##0.###"})
        self.share = add({**cell, "num_format": "0.0%"})
        self.date = add({**cell, "num_format": "yyyy-mm-dd", "align": "center"})
        self.month = add({**cell, "num_format": "yyyy-mm", "align": "center"})
        self.note_format = add({**base, "font_size": 8, "italic": True, "font_color": "#7F7F7F", "text_wrap": True,
                         "valign": "top"})
        self.row = 0

    # -- pieces ---------------------------------------------------------------------------------

    def put(self, r: int, c: int, value: Any, kind: str, last: int | None = None) -> None:
        """A value cell (``last``: merged up to that column); blank shows a dash."""
        ws = self.ws
        if last is not None and last > c:
            ws.merge_range(r, c, r, last, "", self.value)
        if _blank(value):
            ws.write_string(r, c, "—", self.missing)
        elif kind == "amount":
            ws.write_number(r, c, int(value) / 100, self.money)
        elif kind == "date":
            ws.write_datetime(r, c, pd.Timestamp(value).to_pydatetime(), self.date)
        elif kind == "integer":
            ws.write_number(r, c, float(value), self.count)
        else:
            ws.write_string(r, c, str(value), self.value)

    def section(self, text: str) -> None:
        self.row += 1
        self.ws.merge_range(self.row, 0, self.row, 7, "", self.section_format)
        self.ws.write_string(self.row, 0, text, self.section_format)
        self.ws.set_row(self.row, 18)
        self.row += 1

    def pairs(self, items: list[tuple[str, Any, str]], group: str | None = None) -> None:
        """label / value pairs, two to a row (label 1 column, value 3 merged)."""
        ws = self.ws
        if group:
            ws.merge_range(self.row, 0, self.row, 7, "", self.group)
            ws.write_string(self.row, 0, group, self.group)
            self.row += 1
        for i in range(0, len(items), 2):
            for j, (label, value, kind) in enumerate(items[i:i + 2]):
                c = 4 * j
                ws.write_string(self.row, c, label, self.label)
                self.put(self.row, c + 1, value, kind, last=c + 3)
            if len(items[i:i + 2]) == 1:
                ws.merge_range(self.row, 4, self.row, 7, "", self.text)
            long = max(len(str(v)) for _, v, _ in items[i:i + 2] if v is not None) if any(
                v is not None for _, v, _ in items[i:i + 2]) else 0
            if long > 24:
                ws.set_row(self.row, 12 * (1 + long // 24))
            self.row += 1

    def table(self, heads: list[tuple[str, int, int]], rows: list[list[tuple[Any, Any]]]) -> tuple[int, int]:
        """Header cells (text, first col, last col) and rows of (value, format) per header;
        returns (first data row, last data row)."""
        ws = self.ws
        for text, c0, c1 in heads:
            if c1 > c0:
                ws.merge_range(self.row, c0, self.row, c1, "", self.head)
            ws.write_string(self.row, c0, text, self.head)
        self.row += 1
        first = self.row
        for values in rows:
            for (_, c0, c1), (value, fmt) in zip(heads, values, strict=True):
                if c1 > c0:
                    ws.merge_range(self.row, c0, self.row, c1, "", fmt)
                if _blank(value):
                    ws.write_blank(self.row, c0, None, fmt)
                elif isinstance(value, str):
                    ws.write_string(self.row, c0, value, fmt)
                elif isinstance(value, (pd.Timestamp, datetime)) or hasattr(value, "dtype") and "datetime" in str(
                        getattr(value, "dtype", "")):
                    ws.write_datetime(self.row, c0, pd.Timestamp(value).to_pydatetime(), fmt)
                else:
                    ws.write_number(self.row, c0, float(value), fmt)
            self.row += 1
        return first, self.row - 1

    def note(self, text: str, height: float = 14) -> None:
        self.ws.merge_range(self.row, 0, self.row, 7, "", self.note_format)
        self.ws.write_string(self.row, 0, text, self.note_format)
        self.ws.set_row(self.row, height)
        self.row += 1


def _yuan(fen: Any) -> float:
    return int(fen) / 100


def _ts(v: Any) -> Any:
    return None if _blank(v) else pd.Timestamp(v)


def _build(w: _Writer) -> None:
    d, ws = w.d, w.ws
    who = d.name or d.customer_id
    ws.set_row(0, 24)
    ws.write_string(0, 0, f"客户业务报告 · {who}", w.title)
    ws.write_string(1, 0, f"客户编号 {d.customer_id}　业务员 {d.salesperson or '—'}　截至 {d.as_of.isoformat()}"
                    f"　{d.company}　金额单位：人民币元", w.subtitle)
    w.row = 2
    if not d.known:
        w.note("该客户编号不在客户档案中（只出现在销售或收款中），档案卡为空。")

    w.section("一、客户档案卡")
    for group, items in d.card.items():
        w.pairs(items, group=group if group != "其他" else "档案信息")
    if d.completeness is not None:
        gaps = "；".join(f"{g}：{'、'.join(cols)}" for g, cols in d.completeness.get("missing", {}).items() if cols)
        stale = "；档案超过更新期限未更新" if d.completeness.get("stale") else ""
        w.note(f"档案完整度 {d.completeness.get('completeness', 0):.0%}" + (f"，待补充 — {gaps}" if gaps else "")
               + stale, height=26 if len(gaps) > 60 else 14)

    w.section("二、客户分类与信用")
    c = d.classes
    prepay = c.get("prepayment")
    terms = ("预收款（先款后货）" if prepay else f"信用额度 {_yuan(c.get('suggested_limit') or 0):,.2f} 元，账期 "
             f"{c.get('suggested_terms') or 0} 天") if c.get("credit_grade") else "—"
    w.pairs([
        ("客户等级", f"{c['level']} {LEVEL_NAMES.get(str(c['level']), '')}", "text"),
        ("客户状态", STATUS_NAMES.get(str(c["status"]), str(c["status"])), "text"),
        ("信用等级", GRADE_TEXT.get(str(c.get("credit_grade")), c.get("credit_grade")), "text"),
        ("建议条件", terms, "text"),
        ("信用额度", c.get("credit_limit"), "amount"),
        ("账期天数", c.get("terms_days"), "integer"),
        ("近12个月净销售额", c.get("net_sales"), "amount"),
        ("处理建议", d.balance["action"], "text"),
    ])

    w.section("三、近12个月销售")
    top = w.row
    m = d.months
    rows = [[(pd.Timestamp(r.month), w.month), (_yuan(r.amount), w.money)] for r in m.itertuples(index=False)]
    first, last = w.table([("月份", 0, 0), ("销售额", 1, 2)], [[rows[i][0], rows[i][1]] for i in range(len(rows))])
    ws.write_string(w.row, 0, "合计", w.group)
    ws.merge_range(w.row, 1, w.row, 2, "", w.group)
    ws.write_number(w.row, 1, _yuan(int(m["amount"].sum())), w.money)
    w.row += 1
    if any(int(v) for v in m["amount"]):
        chart = w.wb.add_chart({"type": "column"})
        chart.add_series({"name": "销售额", "categories": [SHEET, first, 0, last, 0],
                          "values": [SHEET, first, 1, last, 1], "fill": {"color": "#2F5597"}, "gap": 60})
        chart.set_title({"name": "近12个月销售额（元）", "name_font": {"name": FONT, "size": 10, "bold": True}})
        chart.set_legend({"none": True})
        chart.set_x_axis({"num_format": "yyyy-mm", "num_font": {"name": FONT, "size": 7, "rotation": -45}})
        chart.set_y_axis({"num_format": "#,##0", "num_font": {"name": FONT, "size": 7},
                          "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
        chart.set_size({"width": 420, "height": 250})
        chart.set_chartarea({"border": {"none": True}})
        ws.insert_chart(top, 3, chart, {"x_offset": 10, "y_offset": 2, "object_position": 1})
    w.row += 1
    p = d.products
    total = int(p["amount"].sum()) if len(p) else 0
    shown = p.head(SHOWN)
    rows = [[(str(r.product), w.text), (float(r.qty), w.qty), (_yuan(r.amount), w.money),
             (None if total == 0 else int(r.amount) / total, w.share)] for r in shown.itertuples(index=False)]
    if rows:
        w.table([("产品", 0, 2), ("数量", 3, 4), ("销售额", 5, 6), ("占比", 7, 7)], rows)
        if len(p) > len(shown):
            w.note(f"另有 {len(p) - len(shown)} 个产品，合计 {_yuan(total - int(shown['amount'].sum())):,.2f} 元。")
    else:
        w.note("近12个月没有销售。")

    w.section("四、应收、逾期与账龄")
    b = d.balance
    w.pairs([
        ("应收余额", b["receivable"], "amount"), ("逾期金额", b["overdue"], "amount"),
        ("预收余额", b["prepaid"], "amount"), ("可用信用额度", b["available_credit"], "amount"),
        ("最长逾期天数", b["max_overdue_days"], "integer"), ("处理建议", b["action"], "text"),
    ])
    w.row += 1
    heads = [(f"{lab} 天", i, i) for i, (lab, _) in enumerate(d.aging)] + [("合计", len(d.aging), len(d.aging))]
    w.table(heads, [[(_yuan(v), w.money) for _, v in d.aging] + [(_yuan(sum(v for _, v in d.aging)), w.money)]])
    oi = d.open_items
    if len(oi):
        w.row += 1
        rows = [[(str(r.doc_no) if not _blank(r.doc_no) else "", w.text), (_ts(r.date), w.date),
                 (_ts(r.due_date), w.date), (_yuan(r.open), w.money_bad if r.overdue_days > 0 else w.money),
                 (int(r.overdue_days), w.count)] for r in oi.head(SHOWN).itertuples(index=False)]
        w.table([("未收单据", 0, 1), ("日期", 2, 2), ("到期日", 3, 3), ("未收金额", 4, 5), ("逾期天数", 6, 7)], rows)
        if len(oi) > SHOWN:
            w.note(f"另有 {len(oi) - SHOWN} 张未收单据（按逾期天数排序，见 salesxl offset 的账龄明细）。")

    w.section("五、付款习惯与预计回款")
    h = d.behaviour
    avg = h.get("avg_days_late")
    company = h.get("company_days")
    w.pairs([
        ("近12个月核销回款", h.get("paid", 0), "amount"),
        ("平均付款迟延", "—" if avg is None else f"{avg:+.1f} 天（{'晚于' if avg > 0 else '早于或等于'}到期日）", "text"),
        ("预测采用", f"{h.get('shift', 0):+d} 天（{BASIS_TEXT.get(str(h.get('basis')), '')}）", "text"),
        ("公司平均迟延", "—" if company is None else f"{company:+.1f} 天", "text"),
    ])
    w.note("平均付款迟延 = 近12个月每笔回款/预收核销到销售单的金额加权平均（收款日期 − 到期日）；预收早于销售日期的不计。")
    e = d.expected
    heads = [(str(pp), 2 * i, 2 * i + 1) for i, pp in enumerate(e["period"])]
    w.table([("预计回款 " + h0, c0, c1) for h0, c0, c1 in heads], [[(_yuan(a), w.money) for a in e["amount"]]])

    w.section("六、拜访记录与下一步")
    v = d.visits
    if len(v):
        rows = [[(_ts(r.date), w.date), (r.salesperson, w.text), (r.method, w.text), (r.notes, w.wrap),
                 (r.next_step, w.wrap)] for r in v.head(6).itertuples(index=False)]
        w.table([("日期", 0, 0), ("业务员", 1, 1), ("方式", 2, 2), ("内容", 3, 5), ("下次计划", 6, 7)], rows)
        if d.visit_count > len(rows):
            w.note(f"共 {d.visit_count} 次拜访，此处列出最近 {len(rows)} 次。")
    else:
        w.note("没有拜访记录。")

    w.section("七、合同执行")
    k = d.contracts
    if len(k):
        rows = [[(r.contract_no, w.text), (_ts(r.signed), w.date), (_ts(r.end), w.date),
                 (None if _blank(r.amount) else _yuan(r.amount), w.money), (_yuan(r.executed), w.money),
                 (None if r.remaining is None else _yuan(r.remaining), w.money), (r.rate, w.share),
                 (r.status + {"expiring": "·将到期", "overdue": "·已逾期"}.get(str(r.flag), ""), w.center)]
                for r in k.itertuples(index=False)]
        w.table([("合同编号", 0, 0), ("签订日期", 1, 1), ("结束日期", 2, 2), ("合同金额", 3, 3), ("已执行", 4, 4),
                 ("未执行", 5, 5), ("执行率", 6, 6), ("状态", 7, 7)], rows)
        w.note("已执行 = 截至日前带该合同编号的销售金额合计（含退货）。")
    else:
        w.note("没有合同。")


def write_customer_report(d: Dossier, path: str | Path) -> Path:
    """The report workbook of dossier ``d`` at ``path`` (atomic); returns the path."""
    def fill(wb: Workbook) -> None:
        w = _Writer(wb, d)
        _build(w)
        ws = w.ws
        ws.set_paper(9)
        if landscape(WIDTHS):
            ws.set_landscape()
        else:
            ws.set_portrait()
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.4, right=0.4, top=0.7, bottom=0.6)
        title = print_title("客户业务报告", d.as_of, d.name or d.customer_id).replace("&", "&&")
        ws.set_header(f"&C&\"-,Bold\"&10{title}", margin=0.3)
        ws.set_footer("&C&8第 &P 页，共 &N 页", margin=0.3)
        ws.print_area(0, 0, w.row, 7)
        ws.center_horizontally()
        wb.set_properties({"title": f"客户业务报告 {d.customer_id}", "company": d.company, "author": "salesxl",
                           "created": datetime.combine(d.as_of, datetime.min.time())})

    return write_xlsx(path, fill)
