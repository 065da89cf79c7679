"""月报 · the monthly summary as a workbook a manager is glad to open (issue 6).

:func:`write_report` lays a :class:`~salesxl.core.summary.MonthlySummary` out on eight sheets:

* 概览 — highlights, the KPIs with month-on-month and year-on-year change, the 12-month trend
  of sales and collections (table and chart); above them, in red, the summary's caveats (what
  the figures do not include, e.g. returned files a batch could not merge);
* 等级构成 · 产品构成 · 区域构成 — the month's sales by customer level (and the status mix), by
  product (and spec), by province (and city), each with shares and a 合计 row equal to the
  month's sales, and a chart;
* 信用分析 — aging of the receivable (table and bars), the credit-grade mix, the 20 largest
  overdue customers with their days and salesperson;
* 业务员业绩 — sales against target, collections against 回款目标, commission, visits, new
  customers, ranked, attainment coloured;
* 费用分析 — expenses by salesperson and category against 费用预算, over-budget flagged, and by
  category;
* 客户动态 — the new, reactivated and lost customers with names;
* 回款预测 — the collections expected in the next 8 weeks and 3 months
  (:mod:`salesxl.io.forecast_report`), when the summary carries its forecast.

Report conventions: amounts are numbers (fen / 100, the nearest double, as Excel stores a typed
amount) with ``#,##0.00``, shares ``0.0%``; every text, including the user's names, is written
with ``write_string`` so nothing a user typed can become a formula; headers are frozen; each
sheet prints on A4 landscape, one page wide, page numbers in the footer, and the header row of the
table that runs over several pages (产品构成's specs, 区域构成's cities, 信用分析's overdue
customers …) repeated on each page it continues on.  Chart axes in 元 switch to 万元 when the
figures reach 十万: the chart plots a hidden helper column holding the 万 values (a number
format cannot divide by 10,000 the same way in Excel and LibreOffice).  The file is written to a temporary name beside the target and then renamed, so a
failure never leaves half a report behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from salesxl.core.classification import LEVEL_NAMES
from salesxl.core.summary import GRADE_NAMES, MOVEMENT_NAMES, MonthlySummary, change, ratio4
from salesxl.io.price_report import price_highlights, write_price_sheet
from salesxl.io.print_sheets import write_xlsx

__all__ = ["SHEETS", "UNASSIGNED", "write_report"]

#: The report's sheets, in order.
SHEETS = ("概览", "等级构成", "产品构成", "区域构成", "信用分析", "业务员业绩", "费用分析", "客户动态", "回款预测")
#: How the group without a salesperson is shown.
UNASSIGNED = "（未指定）"

AMOUNT = "#,##0.00"
COUNT = "#,##0"
SHARE = "0.0%"
FONT = "Microsoft YaHei"
#: KPI key → +1 when a rise is good news, −1 when bad, 0 neutral (colours of the change cells).
GOOD_WHEN = {
    "sales": 1, "collections": 1, "receivable": 0, "prepaid": 0, "overdue": -1, "new_customers": 1,
    "lost_customers": -1, "reactivated_customers": 1, "buying_customers": 1, "visits": 1, "expenses": 0,
}
_CHART_COLOURS = ["#2F5597", "#ED7D31", "#70AD47", "#FFC000", "#5B9BD5", "#A5A5A5", "#264478", "#9E480E"]


class _Fmt:
    """Every cell format of the report (XlsxWriter wants them created once per workbook)."""

    def __init__(self, wb: Workbook) -> None:
        base = {"font_name": FONT, "font_size": 10, "valign": "vcenter"}
        cell = {**base, "border": 1, "border_color": "#BFBFBF"}
        total = {**cell, "bold": True, "bg_color": "#F2F2F2", "top": 2, "top_color": "#7F7F7F"}

        def add(*bases: dict[str, Any], **kw: Any) -> Any:
            merged: dict[str, Any] = {}
            for b in bases:
                merged.update(b)
            return wb.add_format(merged | kw)

        self.title = add(base, bold=True, font_size=16, font_color="#1F3864", align="left")
        self.subtitle = add(base, font_color="#595959")
        self.section = add(base, bold=True, font_size=12, font_color="#1F3864", bottom=2, bottom_color="#2F5597")
        self.note = add(base, font_size=9, font_color="#7F7F7F", italic=True, valign="top")
        self.bullet = add(base, font_size=11)
        self.head = add(cell, bold=True, font_color="#FFFFFF", bg_color="#2F5597", align="center",
                        text_wrap=True, border_color="#FFFFFF")
        self.text = add(cell)
        self.center = add(cell, align="center")
        self.money = add(cell, num_format=AMOUNT)
        self.count = add(cell, num_format=COUNT)
        self.share = add(cell, num_format=SHARE)
        self.rate = add(cell, num_format="0.0##%")
        self.qty = add(cell, num_format="#,##0.###")
        self.date = add(cell, num_format="yyyy-mm-dd", align="center")
        self.month = add(cell, num_format="yyyy-mm", align="center")
        self.money_change = add(cell, num_format="+#,##0.00;-#,##0.00;0.00")
        self.count_change = add(cell, num_format="+#,##0;-#,##0;0")
        self.pct_change = add(cell, num_format="+0.0%;-0.0%;0.0%")
        self.dash = add(cell, align="center", font_color="#A6A6A6")
        self.total_text = add(total)
        self.total_money = add(total, num_format=AMOUNT)
        self.total_count = add(total, num_format=COUNT)
        self.total_share = add(total, num_format=SHARE)
        self.total_qty = add(total, num_format="#,##0.###")
        self.flag = add(cell, bold=True, font_color="#C00000", align="center")
        self.caveat = add(base, bold=True, font_size=12, font_color="#C00000", text_wrap=True)
        # Conditional formats (dxf): fills a manager reads at a glance.
        self.good = add(bg_color="#C6EFCE", font_color="#006100")
        self.warn = add(bg_color="#FFEB9C", font_color="#9C5700")
        self.bad = add(bg_color="#FFC7CE", font_color="#9C0006")


#: Column kinds → (format attribute, total-row format attribute).
_KINDS = {
    "text": ("text", "total_text"), "center": ("center", "total_text"), "money": ("money", "total_money"),
    "count": ("count", "total_count"), "share": ("share", "total_share"), "rate": ("rate", "total_text"),
    "qty": ("qty", "total_qty"), "date": ("date", "total_text"), "month": ("month", "total_text"),
}


def _money(fen: Any) -> float:
    """fen → 元 as the nearest double (int / int is correctly rounded)."""
    return int(fen) / 100


def _blank(v: Any) -> bool:
    return v is None or (not isinstance(v, str) and pd.isna(v))


def _put(ws: Worksheet, r: int, c: int, value: Any, kind: str, fmt: Any) -> None:
    """One cell: amounts as numbers, texts always as strings (never a formula), dates as dates."""
    if _blank(value) or value == "":
        ws.write_blank(r, c, None, fmt)
    elif kind == "text" or isinstance(value, str):
        ws.write_string(r, c, str(value), fmt)
    elif kind == "money":
        ws.write_number(r, c, _money(value), fmt)
    elif kind in ("date", "month"):
        ws.write_datetime(r, c, pd.Timestamp(value).to_pydatetime(), fmt)
    else:
        ws.write_number(r, c, float(value), fmt)


class _Sheet:
    """A report sheet with a row cursor: a title block, sections, tables, notes and charts."""

    def __init__(self, wb: Workbook, fmt: _Fmt, name: str, summary: MonthlySummary, widths: Sequence[float]) -> None:
        self.wb, self.fmt, self.name, self.summary = wb, fmt, name, summary
        self.ws = wb.add_worksheet(name)
        self.width = len(widths)
        for c, w in enumerate(widths):
            self.ws.set_column(c, c, w)
        self.ws.hide_gridlines(2)
        self.row = 0
        self.helper = _HELPER_COL  # the next free hidden helper column (万 values of charts)

    def title(self, text: str) -> None:
        s = self.summary
        company = f"{s.company} " if s.company else ""
        self.ws.set_row(0, 28)
        self.ws.write_string(0, 0, f"{company}{s.report_title} · {text}", self.fmt.title)
        self.ws.write_string(
            1, 0, f"统计期间：{s.month.isoformat()} 至 {s.as_of.isoformat()}　　余额截至 {s.as_of.isoformat()}"
            "　　金额单位：人民币元", self.fmt.subtitle)
        self.row = 3

    def section(self, text: str, span: int | None = None) -> None:
        span = span or self.width
        self.ws.set_row(self.row, 20)
        for c in range(span):
            self.ws.write_blank(self.row, c, None, self.fmt.section)
        self.ws.write_string(self.row, 0, text, self.fmt.section)
        self.row += 1

    def note(self, text: str, span: int | None = None, height: float | None = None) -> None:
        span = span or self.width
        self.merged(self.row, span, text, self.fmt.note)
        if height:
            self.ws.set_row(self.row, height)
        self.row += 1

    def merged(self, row: int, span: int, text: str, fmt: Any) -> None:
        """``text`` across columns 0..span−1 of ``row``, always as a string (``merge_range``
        alone would guess the type, and a text starting with ``=`` would become a formula)."""
        if span > 1:
            self.ws.merge_range(row, 0, row, span - 1, "", fmt)
        self.ws.write_string(row, 0, text, fmt)

    def table(self, headers: Sequence[str], kinds: Sequence[str], rows: Sequence[Sequence[Any]],
              total: Sequence[Any] | None = None, col: int = 0, gap: bool = True) -> tuple[int, int, int]:
        """Header, rows and an optional 合计 row from the cursor (then a blank row, with ``gap``);
        returns (header row, first data row, last data row) — last is first − 1 without rows."""
        head = self.row
        self.ws.set_row(head, 30)
        for c, h in enumerate(headers):
            self.ws.write_string(head, col + c, h, self.fmt.head)
        r = head + 1
        for values in rows:
            for c, (v, kind) in enumerate(zip(values, kinds, strict=True)):
                _put(self.ws, r, col + c, v, kind, getattr(self.fmt, _KINDS[kind][0]))
            r += 1
        last = r - 1
        if total is not None:
            for c, (v, kind) in enumerate(zip(total, kinds, strict=True)):
                _put(self.ws, r, col + c, v, kind, getattr(self.fmt, _KINDS[kind][1]))
            r += 1
        self.row = r + 1 if gap else r
        return head, head + 1, last

    def chart(self, chart: Any, row: int, col: int, width: int = 520, height: int = 300, legend: bool = True) -> None:
        chart.set_size({"width": width, "height": height})
        chart.set_legend({"position": "bottom", "font": {"name": FONT, "size": 9}} if legend else {"none": True})
        chart.set_chartarea({"border": {"none": True}})
        self.ws.insert_chart(row, col, chart, {"object_position": 1})

    def new_chart(self, kind: str, title: str, subtype: str | None = None) -> Any:
        opts = {"type": kind} | ({"subtype": subtype} if subtype else {})
        chart = self.wb.add_chart(opts)
        chart.set_title({"name": title, "name_font": {"name": FONT, "size": 11, "bold": True}})
        return chart

    def ref(self, first: int, last: int, col: int) -> list[Any]:
        return [self.name, first, col, last, col]

    def money_series(self, first: int, col: int, fen: Sequence[Any], large: bool) -> list[Any]:
        """The chart range of the amounts ``fen`` shown in rows ``first``… of ``col``: that
        column itself (元), or — ``large`` — a hidden helper column holding them in 万元."""
        if not large:
            return self.ref(first, first + len(fen) - 1, col)
        c = self.helper
        self.helper += 1
        self.ws.set_column(c, c, 10, None, {"hidden": True})
        for i, v in enumerate(fen):
            if not _blank(v):
                self.ws.write_number(first + i, c, int(v) / 1_000_000)  # fen → 万元
        return self.ref(first, first + len(fen) - 1, c)

    def finish(self, repeat_to: int, freeze_row: int | None = None, last_col: int | None = None,
               one_page: bool = False, repeat_from: int = 0) -> None:
        """Print setup (A4 landscape, one page wide — or wholly on one page —, rows
        ``repeat_from``..``repeat_to`` on every page they have reached: Excel and LibreOffice
        repeat rows below the top only on the pages after them) and frozen panes above
        ``freeze_row``."""
        ws = self.ws
        ws.set_paper(9)
        ws.set_landscape()
        ws.fit_to_pages(1, 1 if one_page else 0)
        ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        ws.repeat_rows(repeat_from, repeat_to)
        s = self.summary
        ws.set_header(f"&L&8 {s.company}&R&8 {s.report_title} · {self.name}", margin=0.3)
        ws.set_footer("&C&8 第 &P 页，共 &N 页", margin=0.3)
        ws.print_area(0, 0, max(self.row - 1, 1), (last_col if last_col is not None else self.width - 1))
        if freeze_row is not None:
            ws.freeze_panes(freeze_row, 0)


#: The first helper column (hidden, beyond every print area) of the 万 values charts plot.
_HELPER_COL = 40
#: From this amount (fen: 十万元) on, a chart's axis counts in 万元.
_WAN_FROM = 10_000_000


def _large(*amounts: Sequence[Any]) -> bool:
    """Whether a chart of these fen amounts reads better in 万元."""
    return max((abs(int(v)) for seq in amounts for v in seq if not _blank(v)), default=0) >= _WAN_FROM


def _money_axis(large: bool, *, whole: bool = True, **options: Any) -> dict[str, Any]:
    """A value axis in 元 or 万元 (the unit as the axis title; ``whole=False``: 万 with a decimal,
    for bars of a few 万 each)."""
    return {"num_format": "#,##0" if whole or not large else "#,##0.0",
            "name": "万元" if large else "元", "name_font": {"name": FONT, "size": 8, "bold": False},
            "num_font": {"name": FONT, "size": 8},
            "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}, **options}


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


def _label(name: Any) -> str:
    return UNASSIGNED if _blank(name) else str(name)


def _pie_ok(values: Sequence[int]) -> bool:
    return any(v > 0 for v in values) and all(v >= 0 for v in values)


# ---------------------------------------------------------------------------------------------
# Sheets


def _overview(wb: Workbook, fmt: _Fmt, s: MonthlySummary) -> None:
    sh = _Sheet(wb, fmt, "概览", s, [18, 17, 17, 17, 16, 17, 17, 10])
    sh.title("概览")
    ws = sh.ws
    for text in s.caveats:  # what the figures do not include: first, in red, before any figure
        sh.merged(sh.row, sh.width, text, fmt.caveat)
        ws.set_row(sh.row, 34 if len(text) > 60 else 20)
        sh.row += 1
    if s.caveats:
        sh.row += 1
    kpi = {r.key: r for r in s.kpis.itertuples(index=False)}
    people = s.salespeople
    target = sum(int(v) for v in people["target"] if not _blank(v))
    coll_target = sum(int(v) for v in people["collection_target"] if not _blank(v))
    sh.section("本月要点" if s.period is None else "本期要点")
    mom, yoy = change(s.sales, int(kpi["sales"].previous)), change(s.sales, int(kpi["sales"].year_ago))
    lines = [
        f"销售额 {_money(s.sales):,.2f} 元" + (f"，环比 {mom:+.1%}" if mom is not None else "")
        + (f"，同比 {yoy:+.1%}" if yoy is not None else "")
        + (f"；销售目标完成率 {ratio4(s.sales, target):.1%}" if target else "") + "。",
        f"回款额 {_money(s.collections):,.2f} 元" + (f"，回款目标完成率 {ratio4(s.collections, coll_target):.1%}"
                                                   if coll_target else "") + "。",
        f"月末应收余额 {_money(s.receivable):,.2f} 元，其中逾期 {_money(s.overdue):,.2f} 元"
        + (f"（占 {s.overdue / s.receivable:.1%}）" if s.receivable else "") + f"；预收余额 {_money(s.prepaid):,.2f} 元。",
        f"新客户 {s.new_customers} 个，回流客户 {s.reactivated_customers} 个，流失客户 {s.lost_customers} 个；"
        f"成交客户 {s.buying_customers} 个，拜访 {s.visits} 次。",
    ]
    lines += price_highlights(s.prices)
    for text in lines:
        sh.merged(sh.row, sh.width, "• " + text, fmt.bullet)
        ws.set_row(sh.row, 18)
        sh.row += 1
    sh.row += 1

    sh.section("关键指标")
    head = sh.row
    heads = ("指标", "本月", "上月", "环比增减", "环比", "去年同月", "同比增减", "同比")
    if s.period is not None:  # 季报 / 年报: against the period before and the same period a year ago
        heads = ("指标", "本期", "上期", "环比增减", "环比", "去年同期", "同比增减", "同比")
    for c, h in enumerate(heads):
        ws.write_string(head, c, h, fmt.head)
    ws.set_row(head, 24)
    r = head + 1
    for row in s.kpis.itertuples(index=False):
        money = row.kind == "fen"
        value_fmt, diff_fmt = (fmt.money, fmt.money_change) if money else (fmt.count, fmt.count_change)
        ws.write_string(r, 0, str(row.label), fmt.text)
        cur, prev, year = int(row.current), int(row.previous), int(row.year_ago)
        for c, v in ((1, cur), (2, prev), (5, year)):
            ws.write_number(r, c, _money(v) if money else v, value_fmt)
        for c, base in ((3, prev), (6, year)):
            ws.write_number(r, c, _money(cur - base) if money else cur - base, diff_fmt)
            pct = change(cur, base)
            if pct is None:
                ws.write_string(r, c + 1, "—", fmt.dash)
            else:
                ws.write_number(r, c + 1, pct, fmt.pct_change)
        good = GOOD_WHEN.get(str(row.key), 0)
        if good:
            for c in (4, 7):
                cell = xlsxwriter.utility.xl_rowcol_to_cell(r, c)
                up, down = (fmt.good, fmt.bad) if good > 0 else (fmt.bad, fmt.good)
                ws.conditional_format(r, c, r, c, {"type": "formula", "criteria": f"=AND(ISNUMBER({cell}),{cell}>0)",
                                                   "format": up})
                ws.conditional_format(r, c, r, c, {"type": "formula", "criteria": f"=AND(ISNUMBER({cell}),{cell}<0)",
                                                   "format": down})
        r += 1
    sh.row = r
    n = s.settings_note
    sh.note(f"新客户：首次交易在本月；流失客户：上月末为新客户或现有客户、本月末最近一次销售已超过 {n.get('活跃天数', 365)} 天；"
            "回流客户：上月末为流失客户、本月又有销售。余额、逾期为月末数；环比对上月、同比对去年同月。", height=28)
    sh.row += 1

    if s.period is not None:  # v1.1 季报 / 年报: the period's months against their targets
        _period_trend(sh, s)
        sh.finish(repeat_to=1, freeze_row=3, last_col=12, one_page=True)
        return
    sh.section("近12个月趋势")
    t = s.trend
    rows = [[m, a, b, c, d] for m, a, b, c, d in
            zip(t["month"], t["sales"], t["collections"], t["receivable"], t["sales_last_year"], strict=True)]
    total = ["合计", int(t["sales"].sum()), int(t["collections"].sum()), None, int(t["sales_last_year"].sum())]
    head, first, last = sh.table(("月份", "销售额", "回款额", "月末应收余额", "上年同月销售额"),
                                 ("month", "money", "money", "money", "money"), rows, total)
    if any(int(v) for v in t["sales"]) or any(int(v) for v in t["collections"]):
        large = _large(t["sales"], t["collections"], t["sales_last_year"])
        chart = sh.new_chart("column", "近12个月销售额与回款额")
        for col, key, name, colour in ((1, "sales", "销售额", _CHART_COLOURS[0]),
                                       (2, "collections", "回款额", _CHART_COLOURS[1])):
            chart.add_series({"name": name, "categories": sh.ref(first, last, 0),
                              "values": sh.money_series(first, col, list(t[key]), large),
                              "fill": {"color": colour}, "gap": 80})
        line = sh.new_chart("line", "")
        line.add_series({"name": "上年同月销售额", "categories": sh.ref(first, last, 0),
                         "values": sh.money_series(first, 4, list(t["sales_last_year"]), large),
                         "line": {"color": "#7F7F7F", "dash_type": "dash"}, "marker": {"type": "circle", "size": 4}})
        chart.combine(line)
        chart.show_hidden_data()
        chart.set_x_axis({"num_format": "yyyy-mm", "num_font": {"name": FONT, "size": 8}})
        chart.set_y_axis(_money_axis(large))
        sh.chart(chart, head, 5, width=600, height=300)
        sh.row = max(sh.row, head + 16)
    sh.finish(repeat_to=1, freeze_row=3, last_col=12, one_page=True)  # the chart reaches column M


def _period_trend(sh: _Sheet, s: MonthlySummary) -> None:
    """季报 / 年报: each month of the period, sales against the team's monthly target (the
    months' own 目标 rows), collections and month-end receivable; a column chart of sales with
    the targets as a line."""
    sh.section("本期各月销售与目标")
    t = s.trend
    rows = [[m, a, g, ratio4(int(a), None if _blank(g) else int(g)), b, c] for m, a, g, b, c in
            zip(t["month"], t["sales"], t["target"], t["collections"], t["receivable"], strict=True)]
    targets = [int(g) for g in t["target"] if not _blank(g)]
    total = ["合计", int(t["sales"].sum()), sum(targets) if targets else None, None, int(t["collections"].sum()), None]
    head, first, last = sh.table(("月份", "销售额", "销售目标", "完成率", "回款额", "月末应收余额"),
                                 ("month", "money", "money", "share", "money", "money"), rows, total)
    large = _large(t["sales"], targets)
    chart = sh.new_chart("column", "本期各月销售额与目标")
    chart.add_series({"name": "销售额", "categories": sh.ref(first, last, 0),
                      "values": sh.money_series(first, 1, list(t["sales"]), large),
                      "fill": {"color": _CHART_COLOURS[0]}, "gap": 80})
    line = sh.new_chart("line", "")
    line.add_series({"name": "销售目标", "categories": sh.ref(first, last, 0),
                     "values": sh.money_series(first, 2, list(t["target"]), large),
                     "line": {"color": "#C00000", "dash_type": "dash"}, "marker": {"type": "diamond", "size": 6}})
    chart.combine(line)
    chart.show_hidden_data()
    chart.set_x_axis({"num_format": "yyyy-mm", "num_font": {"name": FONT, "size": 8}})
    chart.set_y_axis(_money_axis(large))
    sh.chart(chart, head, 6 if len(t) <= 3 else 6, width=560, height=300)
    sh.row = max(sh.row, head + 16)
    if len(s.sub_targets):
        sh.section("细分目标（按产品、省份）")
        rows = [[r.salesperson, r.product, r.region, r.target, r.sales, r.attainment]
                for r in s.sub_targets.itertuples(index=False)]
        sh.table(("业务员", "产品", "省份", "目标", "销售额", "完成率"),
                 ("text", "text", "text", "money", "money", "share"), rows)


def _levels(wb: Workbook, fmt: _Fmt, s: MonthlySummary) -> None:
    sh = _Sheet(wb, fmt, "等级构成", s, [8, 12, 11, 10, 14, 17, 10])
    sh.title("客户等级构成")
    sh.section("本月销售按客户等级（截至月末的等级）")
    lv = s.levels
    cards = int(lv["customers"].sum())
    rows = [[r.level, r.name, int(r.customers), _share(int(r.customers), cards), int(r.buyers), int(r.sales),
             _share(int(r.sales), s.sales)] for r in lv.itertuples(index=False)]
    total = ["合计", "", cards, 1.0 if cards else None, s.buying_customers, s.sales, 1.0 if s.sales else None]
    head, first, last = sh.table(("等级", "名称", "客户数", "客户占比", "本月成交客户数", "本月销售额", "销售占比"),
                                 ("center", "text", "count", "share", "count", "money", "share"), rows, total,
                                 gap=False)
    if s.unknown_customer_sales:
        sh.note(f"注：C 类含客户编号不在客户档案中的销售 {_money(s.unknown_customer_sales):,.2f} 元（请运行校验处理）。")
    note_months = s.settings_note.get("等级统计月数", 12)
    sh.note(f"等级按截至月末近 {note_months} 个月的净销售额排序累计：A 主要客户（前 80%）、B 一般客户（前 95%）、C 零散客户。")
    sh.row += 1
    values = [int(v) for v in lv["sales"]]
    if _pie_ok(values):
        chart = sh.new_chart("pie", "本月销售额按客户等级")
        chart.add_series({"categories": sh.ref(first, last, 1), "values": sh.ref(first, last, 5),
                          "data_labels": {"percentage": True, "category": True, "separator": "\n",
                                          "font": {"name": FONT, "size": 9}},
                          "points": [{"fill": {"color": c}} for c in _CHART_COLOURS[:3]]})
        sh.chart(chart, head, 8, width=420, height=280)

    sh.section("客户状态（截至月末）")
    stt = s.statuses
    total_c = int(stt["customers"].sum())
    rows = [[r.name, int(r.customers), _share(int(r.customers), total_c)] for r in stt.itertuples(index=False)]
    sh.table(("客户状态", "客户数", "占比"), ("text", "count", "share"), rows, ["合计", total_c, 1.0 if total_c else None],
             col=1)
    sh.row = max(sh.row, head + 16)
    sh.finish(repeat_to=1, freeze_row=3, last_col=13)


def _composition(sh: _Sheet, key_headers: Sequence[str], keys: list[list[Any]], buyers: Sequence[int],
                 sales: Sequence[int], chart_title: str) -> int:
    """A ranked composition table (keys, buyers, sales, share, 合计 = the month's sales) with a bar chart."""
    s = sh.summary
    rows = [[i + 1, *k, int(b), int(v), _share(int(v), s.sales)]
            for i, (k, b, v) in enumerate(zip(keys, buyers, sales, strict=True))]
    blanks = [""] * len(key_headers)
    # A customer buying several products counts once in the total: distinct buyers of the month.
    total = ["合计", *blanks, s.buying_customers, s.sales, 1.0 if s.sales else None]
    kinds = ("center", *(["text"] * len(key_headers)), "count", "money", "share")
    head, first, last = sh.table(("排名", *key_headers, "成交客户数", "销售额", "占比"), kinds, rows, total)
    shown = min(last, first + 14)  # the top 15 read well as bars
    if last >= first and any(int(v) for v in sales):
        top = list(sales)[: shown - first + 1]
        large = _large(top)
        chart = sh.new_chart("bar", chart_title)
        chart.add_series({"name": "销售额", "categories": sh.ref(first, shown, 1),
                          "values": sh.money_series(first, len(key_headers) + 2, top, large),
                          "fill": {"color": _CHART_COLOURS[0]}, "gap": 60})
        chart.show_hidden_data()
        # Largest on top; "crossing: max" keeps the value axis at the bottom.
        chart.set_y_axis({"reverse": True, "crossing": "max", "num_font": {"name": FONT, "size": 9}})
        chart.set_x_axis(_money_axis(large, whole=False))
        sh.chart(chart, head, len(key_headers) + 5, width=520, height=max(260, 22 * (shown - first + 1) + 80),
                 legend=False)
    return head


def _products(wb: Workbook, fmt: _Fmt, s: MonthlySummary) -> None:
    sh = _Sheet(wb, fmt, "产品构成", s, [7, 18, 14, 17, 17, 9])
    sh.title("产品构成")
    sh.section("本月销售按产品", span=5)
    p = s.products
    head = _composition(sh, ["产品"], [[v] for v in p["product"]], list(p["buyers"]), list(p["sales"]),
                        "本月销售额前15产品")
    sh.section("本月销售按产品和规格", span=6)
    ps = s.product_specs
    rows = [[i + 1, r.product, r.spec, float(r.qty), int(r.sales), _share(int(r.sales), s.sales)]
            for i, r in enumerate(ps.itertuples(index=False))]
    detail = sh.table(("序号", "产品", "规格", "数量", "销售额", "占比"), ("center", "text", "text", "qty", "money", "share"),
                      rows, ["合计", "", "", None, s.sales, 1.0 if s.sales else None])[0]
    # the specs run over pages: their header on each page they continue on
    sh.finish(repeat_from=detail, repeat_to=detail, freeze_row=head + 1, last_col=13)


def _regions(wb: Workbook, fmt: _Fmt, s: MonthlySummary) -> None:
    sh = _Sheet(wb, fmt, "区域构成", s, [7, 14, 14, 17, 17, 9])
    sh.title("区域构成")
    sh.section("本月销售按省份（客户档案的省份）", span=5)
    g = s.regions
    head = _composition(sh, ["省份"], [[v] for v in g["province"]], list(g["buyers"]), list(g["sales"]),
                        "本月销售额按省份")
    inferred = int(g["buyers_from_uscc"].sum()) if "buyers_from_uscc" in g.columns else 0
    if inferred:
        sh.note(f"注：省份按全称归并（「浙江」计入浙江省）；{inferred} 个成交客户的省份在客户档案中为空，"
                "由统一社会信用代码第 3–8 位（行政区划代码）推断。", span=6, height=30)
    sh.section("本月销售按省份和城市", span=6)
    c = s.cities
    rows = [[i + 1, r.province, r.city, int(r.buyers), int(r.sales), _share(int(r.sales), s.sales)]
            for i, r in enumerate(c.itertuples(index=False))]
    detail = sh.table(("序号", "省份", "城市", "成交客户数", "销售额", "占比"),
                      ("center", "text", "text", "count", "money", "share"), rows,
                      ["合计", "", "", s.buying_customers, s.sales, 1.0 if s.sales else None])[0]
    sh.finish(repeat_from=detail, repeat_to=detail, freeze_row=head + 1, last_col=13)


def _credit(wb: Workbook, fmt: _Fmt, s: MonthlySummary) -> None:
    sh = _Sheet(wb, fmt, "信用分析", s, [7, 14, 28, 12, 16, 16, 14, 10])
    sh.title("信用分析")
    ws = sh.ws
    sh.section("应收账龄（按开票日期，月末未收部分）")
    ag = s.aging
    rows = [[f"{b} 天", int(a), _share(int(a), s.receivable), int(n)]
            for b, a, n in zip(ag["bucket"], ag["amount"], ag["customers"], strict=True)]
    head, first, last = sh.table(("账龄", "应收金额", "占比", "有未收款的客户数"), ("text", "money", "share", "count"),
                                 rows, ["合计", s.receivable, 1.0 if s.receivable else None, None], col=1)
    if any(int(v) for v in ag["amount"]):
        large = _large(ag["amount"])
        chart = sh.new_chart("column", "应收账龄分布")
        chart.show_hidden_data()
        chart.add_series({"name": "应收金额", "categories": sh.ref(first, last, 1),
                          "values": sh.money_series(first, 2, list(ag["amount"]), large),
                          "points": [{"fill": {"color": c}} for c in
                                     ("#70AD47", "#A9D18E", "#FFC000", "#ED7D31", "#C00000", "#7F0000")],
                          "gap": 50})
        chart.set_y_axis(_money_axis(large))
        sh.chart(chart, head - 1, 5, width=460, height=250, legend=False)
    sh.row = max(sh.row, head + 6)

    sh.section("信用等级分布（按最长逾期天数）")
    mix = s.credit_mix
    rows = [[g if not _blank(g) else "—", GRADE_NAMES[None if _blank(g) else g], int(n), int(rec), int(od)]
            for g, n, rec, od in zip(mix["grade"], mix["customers"], mix["receivable"], mix["overdue"], strict=True)]
    sh.table(("信用等级", "说明", "客户数", "应收余额", "逾期金额"), ("center", "text", "count", "money", "money"), rows,
             ["合计", "", int(mix["customers"].sum()), int(mix["receivable"].sum()), int(mix["overdue"].sum())],
             col=1)

    sh.section(f"逾期金额前 {len(s.overdue_top) or 20} 名客户")
    top = s.overdue_top
    rows = [[i + 1, r.customer_id, r.customer_name, _label(r.salesperson), int(r.receivable), int(r.overdue),
             int(r.max_overdue_days), r.grade] for i, r in enumerate(top.itertuples(index=False))]
    head, first, last = sh.table(
        ("排名", "客户编号", "客户名称", "业务员", "应收余额", "逾期金额", "最长逾期天数", "信用等级"),
        ("center", "text", "text", "text", "money", "money", "count", "center"), rows,
        ["合计", "", "", "", int(top["receivable"].sum()), int(top["overdue"].sum()), None, ""])
    if last >= first:
        ws.conditional_format(first, 5, last, 5, {"type": "data_bar", "bar_color": "#F4B183", "bar_solid": True})
        ws.conditional_format(first, 6, last, 6, {"type": "cell", "criteria": ">", "value": 90, "format": fmt.bad})
        ws.conditional_format(first, 6, last, 6, {"type": "cell", "criteria": "between", "minimum": 31,
                                                  "maximum": 90, "format": fmt.warn})
    else:
        sh.note("本月末没有逾期款项。")
    sh.finish(repeat_from=head, repeat_to=head, freeze_row=3, last_col=11)


def _salespeople(wb: Workbook, fmt: _Fmt, s: MonthlySummary) -> None:
    sh = _Sheet(wb, fmt, "业务员业绩", s, [6, 12, 16, 16, 9, 16, 16, 9, 9, 14, 9, 9])
    sh.title("业务员业绩")
    ws = sh.ws
    p = s.salespeople
    # Ranked by sales; the unassigned group (no rank) last.
    p = p.iloc[sorted(range(len(p)), key=lambda i: (_blank(p["salesperson"].iat[i]), -int(p["sales"].iat[i]), i))]
    rows = []
    rank = 0
    for r in p.itertuples(index=False):
        unassigned = _blank(r.salesperson)
        rank += 0 if unassigned else 1
        rows.append([None if unassigned else rank, _label(r.salesperson), int(r.sales), r.target, r.attainment,
                     int(r.collections), r.collection_target, r.collection_attainment,
                     None if r.rate is None else float(r.rate), int(r.commission), int(r.visits),
                     int(r.new_customers)])

    def tsum(col: str) -> int | None:
        vals = [int(v) for v in p[col] if not _blank(v)]
        return sum(vals) if vals else None

    target, coll_target = tsum("target"), tsum("collection_target")
    total = ["合计", "", s.sales, target, ratio4(s.sales, target), s.collections, coll_target,
             ratio4(s.collections, coll_target), None, int(p["commission"].sum()) if len(p) else 0,
             int(p["visits"].sum()) if len(p) else 0, int(p["new_customers"].sum()) if len(p) else 0]
    kinds = ("center", "text", "money", "money", "share", "money", "money", "share", "rate", "money", "count", "count")
    head, first, last = sh.table(("排名", "业务员", "销售额", "销售目标", "完成率", "回款额", "回款目标", "回款完成率",
                                  "提成比例", "提成", "拜访次数", "新客户数"), kinds, rows, total)
    if last >= first:
        for col in (4, 7):
            cell = xlsxwriter.utility.xl_rowcol_to_cell(first, col, row_abs=False, col_abs=True)
            for rule, f in ((f"{cell}>=1", fmt.good), (f"AND({cell}>=0.8,{cell}<1)", fmt.warn), (f"{cell}<0.8", fmt.bad)):
                ws.conditional_format(first, col, last + 1, col, {
                    "type": "formula", "criteria": f"=AND(ISNUMBER({cell}),{rule})", "format": f})
        ws.conditional_format(first, 2, last, 2, {"type": "data_bar", "bar_color": "#9DC3E6", "bar_solid": True})
    sh.note("完成率 = 销售额 / 销售目标，无目标（或目标为 0）时留空；回款按客户档案的业务员归属；提成 = 回款额 × 提成比例"
            "（四舍五入到分，未设提成比例为 0）；销售额按销售行的业务员，未填时按客户的业务员。", height=28)
    named = [i for i, r in enumerate(rows) if r[0] is not None]
    if named and any(int(r[2]) for r in rows):
        end = first + named[-1]
        shown_rows = rows[: end - first + 1]
        large = _large([r[2] for r in shown_rows], [r[3] for r in shown_rows])
        chart = sh.new_chart("column", "销售额与销售目标")
        chart.add_series({"name": "销售额", "categories": sh.ref(first, end, 1),
                          "values": sh.money_series(first, 2, [r[2] for r in shown_rows], large),
                          "fill": {"color": _CHART_COLOURS[0]}})
        chart.add_series({"name": "销售目标", "categories": sh.ref(first, end, 1),
                          "values": sh.money_series(first, 3, [r[3] for r in shown_rows], large),
                          "fill": {"color": "#BDD7EE"}})
        chart.show_hidden_data()
        chart.set_y_axis(_money_axis(large))
        chart.set_x_axis({"num_font": {"name": FONT, "size": 8, "rotation": -45 if len(named) > 12 else 0}})
        sh.chart(chart, sh.row, 0, width=min(1400, max(640, 34 * len(named) + 160)), height=300)
        sh.row += 16
    sh.finish(repeat_to=head, freeze_row=head + 1)


def _expenses(wb: Workbook, fmt: _Fmt, s: MonthlySummary) -> None:
    cats = [str(c) for c in s.expense_categories["category"]]
    widths = [12, *([12] * len(cats)), 14, 14, 14, 9, 9]
    sh = _Sheet(wb, fmt, "费用分析", s, widths)
    sh.title("费用分析")
    ws = sh.ws
    sh.section("本月费用按业务员和类别（对照费用预算）")
    p = s.salespeople
    matrix: dict[Any, dict[str, int]] = {}
    for r in s.expenses_by.itertuples(index=False):
        matrix.setdefault(None if _blank(r.salesperson) else r.salesperson, {})[str(r.category)] = int(r.amount)
    rows = []
    for r in p.itertuples(index=False):
        name = None if _blank(r.salesperson) else r.salesperson
        spent, budget = int(r.expenses), r.expense_budget
        if spent == 0 and _blank(budget) and name not in matrix:
            continue
        by = matrix.get(name, {})
        left = None if _blank(budget) else int(budget) - spent
        over = left is not None and left < 0
        rows.append([_label(name), *(by.get(c, 0) for c in cats), spent, budget, left,
                     None if _blank(budget) or int(budget) == 0 else spent / int(budget), "超预算" if over else ""])
    budgets = [int(b) for b in p["expense_budget"] if not _blank(b)]
    budget_total = sum(budgets) if budgets else None
    cat_total = dict(zip(cats, (int(v) for v in s.expense_categories["amount"]), strict=True))
    total = ["合计", *(cat_total[c] for c in cats), s.expenses, budget_total,
             None if budget_total is None else budget_total - s.expenses,
             None if not budget_total else s.expenses / budget_total,
             "超预算" if budget_total is not None and s.expenses > budget_total else ""]
    kinds = ("text", *(["money"] * len(cats)), "money", "money", "money", "share", "center")
    head, first, last = sh.table(("业务员", *cats, "费用合计", "费用预算", "预算余额", "使用率", "状态"), kinds, rows, total)
    k = len(cats)
    flag_col = k + 5
    if last + 1 >= first:
        spent = xlsxwriter.utility.xl_rowcol_to_cell(first, k + 1, col_abs=True)
        budget = xlsxwriter.utility.xl_rowcol_to_cell(first, k + 2, col_abs=True)
        ws.conditional_format(first, 0, last + 1, flag_col, {
            "type": "formula", "criteria": f"=AND(ISNUMBER({budget}),{spent}>{budget})", "format": fmt.bad})
    sh.note("预算为「目标」表本月的费用预算；费用合计超过预算的行标为「超预算」。未填业务员的费用列为" + UNASSIGNED + "。")
    sh.row += 1
    sh.section("本月费用按类别", span=min(4, sh.width))
    ec = s.expense_categories
    rows = [[str(c), int(a), _share(int(a), s.expenses)] for c, a in zip(ec["category"], ec["amount"], strict=True)]
    head2, first2, last2 = sh.table(("类别", "金额", "占比"), ("text", "money", "share"), rows,
                                    ["合计", s.expenses, 1.0 if s.expenses else None])
    values = [int(v) for v in ec["amount"]]
    if last2 >= first2 and _pie_ok(values):
        chart = sh.new_chart("pie", "本月费用按类别")
        chart.add_series({"categories": sh.ref(first2, last2, 0), "values": sh.ref(first2, last2, 1),
                          "data_labels": {"percentage": True, "category": True, "separator": "\n",
                                          "font": {"name": FONT, "size": 9}},
                          "points": [{"fill": {"color": c}} for c in _CHART_COLOURS[: len(values)]]})
        sh.chart(chart, head2, 4, width=400, height=260)
        sh.row = max(sh.row, head2 + 14)
    sh.finish(repeat_to=head, freeze_row=head + 1)


def _movements(wb: Workbook, fmt: _Fmt, s: MonthlySummary) -> None:
    sh = _Sheet(wb, fmt, "客户动态", s, [10, 12, 28, 10, 10, 10, 8, 12, 12, 12, 15, 16])
    sh.title("客户动态")
    mv = s.movements
    counts = mv["kind"].value_counts()
    n = s.settings_note
    sh.note(
        "　".join(f"{label} {int(counts.get(k, 0))} 个" for k, label in MOVEMENT_NAMES.items())
        + f"。新客户：首次交易在本月；回流客户：上月末为流失客户、本月又有销售；流失客户：上月末为新客户或现有客户、"
        f"本月末最近一次销售已超过 {n.get('活跃天数', 365)} 天。", height=30)
    rows = [[MOVEMENT_NAMES[str(r.kind)], r.customer_id, r.customer_name, _label(r.salesperson), r.province, r.city,
             LEVEL_NAMES.get(str(r.level), str(r.level)), r.first_trade, r.previous_sale, r.last_sale,
             int(r.month_sales), int(r.net_sales_12m)] for r in mv.itertuples(index=False)]
    head, first, last = sh.table(
        ("变动", "客户编号", "客户名称", "业务员", "省份", "城市", "客户等级", "首次交易日期", "上次购买（上月末前）",
         "最近销售日期", "本月销售额", "近12个月销售额"),
        ("center", "text", "text", "text", "text", "text", "center", "date", "date", "date", "money", "money"), rows)
    if last >= first:
        sh.ws.autofilter(head, 0, last, 11)
        kind = xlsxwriter.utility.xl_rowcol_to_cell(first, 0, col_abs=True)
        for label, f in (("新客户", fmt.good), ("回流客户", fmt.warn), ("流失客户", fmt.bad)):
            sh.ws.conditional_format(first, 0, last, 0, {"type": "formula", "criteria": f'={kind}="{label}"',
                                                         "format": f})
    else:
        sh.note("本月没有新客户、回流客户或流失客户。")
    sh.finish(repeat_to=head, freeze_row=head + 1)


# ---------------------------------------------------------------------------------------------


def write_report(summary: MonthlySummary, path: str | Path) -> Path:
    """Write the 月报 workbook to ``path`` (replaced when it exists) and return it."""
    def fill(wb: Workbook) -> None:
        fmt = _Fmt(wb)
        for build in (_overview, _levels, _products, _regions, _credit, _salespeople, _expenses, _movements):
            build(wb, fmt, summary)
        if summary.forecast is not None:  # 回款预测 (issue 19): its own module lays it out
            from salesxl.io.forecast_report import add_forecast_sheet

            add_forecast_sheet(wb, summary.forecast, company=summary.company, top=5)
        if summary.stock_review is not None:  # 库存核对 (issue 17), when the book keeps stock cards
            from salesxl.io.stock_report import write_stock_review

            write_stock_review(wb, summary.stock_review, company=summary.company)
        if summary.prices is not None:  # v1.1: the month's 价格分析 (salesxl.io.price_report)
            write_price_sheet(wb, summary.prices, company=summary.company)
        created = datetime.combine(summary.as_of, datetime.min.time())
        wb.set_properties({"title": summary.report_title,
                           "company": summary.company, "author": "salesxl", "created": created})
        wb.worksheets()[0].activate()

    return write_xlsx(path, fill)
