"""回款预测 as printable sheets (XlsxWriter): the forecast workbook and the 月报's sheet.

:func:`add_forecast_sheet` lays a :class:`~salesxl.core.forecast.CollectionsForecast` out on one
sheet of a workbook being written — the monthly report (:mod:`salesxl.io.report`) calls it with
``top`` customers per period — : the method in one note, the 8 weeks and the 3 months (period,
dates, expected amount, customers, the largest of them by name), a native column chart of the
weeks, the doubtful items and the largest customers of every period.  :func:`write_forecast`
writes the standalone workbook: that sheet with every customer of every period, plus
付款习惯 (each customer's payment behaviour and receivable).

Conventions as in the other reports: amounts are numbers with ``#,##0.00``; user texts are
always written as strings; A4, one page wide, the title in the page header
(:func:`salesxl.io.printing.print_title`), page numbers in the footer, table headers repeated.
The file is built in memory and written atomically.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from salesxl.core.forecast import CollectionsForecast, Periods
from salesxl.io.print_sheets import write_xlsx
from salesxl.io.printing import landscape, print_title

__all__ = ["SHEET", "BEHAVIOUR_SHEET", "add_forecast_sheet", "forecast_file_name", "write_forecast"]

SHEET = "回款预测"
BEHAVIOUR_SHEET = "付款习惯"
FONT = "Microsoft YaHei"
AMOUNT = "#,##0.00"
BASIS_NAMES = {"own": "本客户", "company": "公司平均", "none": "无记录（按到期日）"}


def forecast_file_name(fc: CollectionsForecast) -> str:
    return f"回款预测-{fc.as_of.isoformat()}.xlsx"


class Formats:
    """The cell formats of a forecast sheet (created once per workbook)."""

    def __init__(self, wb: Workbook) -> None:
        base = {"font_name": FONT, "font_size": 10, "valign": "vcenter"}
        cell = {**base, "border": 1, "border_color": "#BFBFBF"}
        total = {**cell, "bold": True, "bg_color": "#F2F2F2"}
        self.title = wb.add_format({**base, "bold": True, "font_size": 16, "font_color": "#1F3864"})
        self.subtitle = wb.add_format({**base, "font_color": "#595959"})
        self.section = wb.add_format({**base, "bold": True, "font_size": 12, "font_color": "#1F3864", "bottom": 2,
                                      "bottom_color": "#2F5597"})
        self.note = wb.add_format({**base, "font_size": 9, "font_color": "#7F7F7F", "italic": True, "text_wrap": True,
                                   "valign": "top"})
        self.head = wb.add_format({**cell, "bold": True, "font_color": "#FFFFFF", "bg_color": "#2F5597",
                                   "align": "center", "text_wrap": True, "border_color": "#FFFFFF"})
        self.text = wb.add_format(cell)
        self.wrap = wb.add_format({**cell, "text_wrap": True})
        self.center = wb.add_format({**cell, "align": "center"})
        self.money = wb.add_format({**cell, "num_format": AMOUNT})
        self.count = wb.add_format({**cell, "num_format": "#,##0"})
        self.days = wb.add_format({**cell, "num_format": "0.0"})
        self.date = wb.add_format({**cell, "num_format": "yyyy-mm-dd", "align": "center"})
        self.total_text = wb.add_format(total)
        self.total_money = wb.add_format({**total, "num_format": AMOUNT})


def _yuan(fen: Any) -> float:
    return int(fen) / 100


def _text(ws: Worksheet, r: int, c: int, value: Any, fmt: Any) -> None:
    if value is None or (not isinstance(value, str) and pd.isna(value)) or value == "":
        ws.write_blank(r, c, None, fmt)
    else:
        ws.write_string(r, c, str(value), fmt)


def _date(ws: Worksheet, r: int, c: int, value: Any, fmt: Any) -> None:
    ws.write_datetime(r, c, pd.Timestamp(value).to_pydatetime(), fmt)


def _names(view: Periods, period: str, shown: int = 3) -> str:
    """The largest customers of a period, by name, with their amounts."""
    g = view.customers_of(period)
    parts = [f"{n if isinstance(n, str) and n else i} {_yuan(a):,.0f}"
             for i, n, a in zip(g["customer_id"][:shown], g["customer_name"][:shown], g["amount"][:shown],
                                strict=True)]
    more = len(g) - shown
    return "、".join(parts) + (f" 等 {len(g)} 个" if more > 0 else "")


def _periods_table(ws: Worksheet, f: Formats, r: int, view: Periods, head: str, later_label: str,
                   doubtful: int) -> tuple[int, int, int]:
    """Period, start, end, amount, customers, the largest customers; later and doubtful rows and
    the total.  Returns (first data row, last data row, next free row)."""
    for c, h in enumerate((head, "起", "止", "预计回款（元）", "客户数", "主要客户（元）")):
        ws.write_string(r, c, h, f.head)
    first = r + 1
    r = first
    t = view.table
    for rec in t.itertuples(index=False):
        ws.write_string(r, 0, str(rec.period), f.center)
        _date(ws, r, 1, rec.start, f.date)
        _date(ws, r, 2, rec.end, f.date)
        ws.write_number(r, 3, _yuan(rec.amount), f.money)
        ws.write_number(r, 4, int(rec.customers), f.count)
        _text(ws, r, 5, _names(view, str(rec.period)), f.wrap)
        ws.set_row(r, 27)  # two lines of names (a wrapped cell's height is not fitted on opening)
        r += 1
    last = r - 1
    for label, amount in ((later_label, view.later), ("存疑（逾期过久，不计入预测）", doubtful)):
        ws.merge_range(r, 0, r, 2, "", f.text)
        ws.write_string(r, 0, label, f.text)
        ws.write_number(r, 3, _yuan(amount), f.money)
        ws.write_blank(r, 4, None, f.text)
        ws.write_blank(r, 5, None, f.text)
        r += 1
    ws.merge_range(r, 0, r, 2, "", f.total_text)
    ws.write_string(r, 0, "合计（= 应收余额）", f.total_text)
    ws.write_number(r, 3, _yuan(int(t["amount"].sum()) + view.later + doubtful), f.total_money)
    ws.write_blank(r, 4, None, f.total_text)
    ws.write_blank(r, 5, None, f.total_text)
    return first, last, r + 2


def method_note(fc: CollectionsForecast) -> str:
    company = (f"公司平均 {fc.company_days:+.1f} 天（取整 {fc.company_shift:+d} 天）" if fc.company_days is not None
               else "公司无付款记录，按到期日")
    return (f"方法：每笔未收款项按「到期日 + 该客户平均付款迟延天数」预计回款。迟延天数 = 近12个月（{fc.window_start.isoformat()} "
            f"之后）每笔回款/预收核销到销售单的金额加权平均（收款日期 − 到期日，提前为负；预收早于销售日期的不计）；"
            f"无记录的客户按{company}。预计日期已过的款项按「再迟延同样天数」顺延；逾期超过 {fc.doubtful_after} 天的列为存疑，"
            "不计入各期。未包含截止日之后新发生销售的回款和新的预收款。")


def add_forecast_sheet(wb: Workbook, fc: CollectionsForecast, *, name: str = SHEET, top: int | None = 10,
                       formats: Formats | None = None, company: str | None = None) -> Worksheet:
    """The 回款预测 sheet of ``fc`` added to ``wb``; ``top`` customers per period in the detail
    (None: all of them)."""
    f = formats or Formats(wb)
    company = fc.company if company is None else company
    ws = wb.add_worksheet(name)
    ws.hide_gridlines(2)
    widths = (12, 12, 12, 16, 8, 60)
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
    ws.set_row(0, 28)
    ws.write_string(0, 0, f"{company + ' ' if company else ''}回款预测", f.title)
    ws.write_string(1, 0, f"截至 {fc.as_of.isoformat()}　应收余额 {_yuan(fc.open_total):,.2f} 元　金额单位：人民币元",
                    f.subtitle)
    ws.merge_range(2, 0, 2, 5, "", f.note)
    ws.write_string(2, 0, method_note(fc), f.note)
    ws.set_row(2, 54)
    r = 4
    ws.merge_range(r, 0, r, 5, "", f.section)
    ws.write_string(r, 0, f"未来 {len(fc.weeks.table)} 周（ISO 周）", f.section)
    first, last, r = _periods_table(ws, f, r + 1, fc.weeks, "周次", "8 周之后", fc.doubtful)
    if int(fc.weeks.table["amount"].sum()) > 0:
        chart = wb.add_chart({"type": "column"})
        chart.add_series({"name": "预计回款", "categories": [name, first, 0, last, 0],
                          "values": [name, first, 3, last, 3], "fill": {"color": "#2F5597"}, "gap": 60})
        chart.set_title({"name": "未来各周预计回款（元）", "name_font": {"name": FONT, "size": 11, "bold": True}})
        chart.set_legend({"none": True})
        chart.set_y_axis({"num_format": "#,##0", "num_font": {"name": FONT, "size": 8},
                          "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
        chart.set_x_axis({"num_font": {"name": FONT, "size": 8}})
        chart.set_size({"width": 640, "height": 240})
        chart.set_chartarea({"border": {"none": True}})
        ws.insert_chart(r, 0, chart, {"object_position": 1})
        r += 13
    ws.merge_range(r, 0, r, 5, "", f.section)
    ws.write_string(r, 0, f"未来 {len(fc.months.table)} 个月", f.section)
    _, _, r = _periods_table(ws, f, r + 1, fc.months, "月份", "3 个月之后", fc.doubtful)

    doubt = fc.doubtful_customers()
    if len(doubt):
        ws.merge_range(r, 0, r, 5, "", f.section)
        ws.write_string(r, 0, f"存疑款项（逾期超过 {fc.doubtful_after} 天）", f.section)
        r += 1
        for c, h in enumerate(("客户编号", "客户名称", "", "存疑金额（元）", "笔数", "最长逾期天数")):
            ws.write_string(r, c, h, f.head)
        ws.merge_range(r, 1, r, 2, "客户名称", f.head)
        r += 1
        for rec in doubt.head(top or len(doubt)).itertuples(index=False):
            _text(ws, r, 0, rec.customer_id, f.text)
            ws.merge_range(r, 1, r, 2, "", f.text)
            _text(ws, r, 1, rec.customer_name, f.text)
            ws.write_number(r, 3, _yuan(rec.amount), f.money)
            ws.write_number(r, 4, int(rec.items), f.count)
            ws.write_number(r, 5, int(rec.max_overdue_days), f.count)
            r += 1
        r += 1

    ws.merge_range(r, 0, r, 5, "", f.section)
    ws.write_string(r, 0, "各期客户明细" + (f"（每期前 {top} 名）" if top else ""), f.section)
    r += 1
    detail = r
    for c, h in enumerate(("期间", "客户编号", "客户名称", "预计回款（元）", "笔数", "业务员")):
        ws.write_string(r, c, h, f.head)
    r += 1
    for view in (fc.weeks, fc.months):
        g = view.customers
        if top:
            g = g.groupby("period", sort=False).head(top)
        for rec in g.itertuples(index=False):
            ws.write_string(r, 0, str(rec.period), f.center)
            _text(ws, r, 1, rec.customer_id, f.text)
            _text(ws, r, 2, rec.customer_name, f.text)
            ws.write_number(r, 3, _yuan(rec.amount), f.money)
            ws.write_number(r, 4, int(rec.items), f.count)
            _text(ws, r, 5, rec.salesperson, f.text)
            r += 1
    _print_setup(ws, print_title("回款预测", fc.as_of, company or None), r, repeat=detail,
                 wide=landscape(widths))
    ws.freeze_panes(4, 0)
    return ws


def _print_setup(ws: Worksheet, title: str, rows: int, *, repeat: int | None, cols: int = 6,
                 wide: bool = False) -> None:
    ws.set_paper(9)
    if wide:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.7, bottom=0.6)
    ws.set_header(f"&C&\"-,Bold\"&11{title.replace('&', '&&')}", margin=0.3)
    ws.set_footer("&C&8第 &P 页，共 &N 页", margin=0.3)
    ws.print_area(0, 0, max(rows - 1, 1), cols - 1)
    if repeat is not None:
        ws.repeat_rows(repeat)


def _behaviour_sheet(wb: Workbook, f: Formats, fc: CollectionsForecast, company: str) -> None:
    ws = wb.add_worksheet(BEHAVIOUR_SHEET)
    heads = ("客户编号", "客户名称", "业务员", "应收余额（元）", "近12个月核销回款（元）", "平均迟延天数", "采用天数", "依据")
    widths = (12, 28, 10, 16, 18, 12, 10, 16)
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
    for c, h in enumerate(heads):
        ws.write_string(0, c, h, f.head)
    b = fc.behaviour
    b = b[(b["receivable"] > 0) | (b["paid"] > 0)]
    r = 1
    for rec in b.itertuples(index=False):
        _text(ws, r, 0, rec.customer_id, f.text)
        _text(ws, r, 1, rec.customer_name, f.text)
        _text(ws, r, 2, rec.salesperson, f.text)
        ws.write_number(r, 3, _yuan(rec.receivable), f.money)
        ws.write_number(r, 4, _yuan(rec.paid), f.money)
        if pd.isna(rec.avg_days_late):
            ws.write_blank(r, 5, None, f.days)
        else:
            ws.write_number(r, 5, float(rec.avg_days_late), f.days)
        ws.write_number(r, 6, int(rec.shift), f.count)
        ws.write_string(r, 7, BASIS_NAMES.get(str(rec.basis), str(rec.basis)), f.center)
        r += 1
    if r > 1:
        ws.autofilter(0, 0, r - 1, len(heads) - 1)
    ws.freeze_panes(1, 2)
    _print_setup(ws, print_title("付款习惯", fc.as_of, company or None), r + 1, repeat=0, cols=len(heads),
                 wide=landscape(widths))


def write_forecast(fc: CollectionsForecast, path: str | Path) -> Path:
    """The forecast workbook (回款预测 with every customer of every period, and 付款习惯) at
    ``path``, written atomically; returns the path."""
    def fill(wb: Workbook) -> None:
        f = Formats(wb)
        add_forecast_sheet(wb, fc, top=None, formats=f)
        _behaviour_sheet(wb, f, fc, fc.company)
        wb.set_properties({"title": f"回款预测 {fc.as_of.isoformat()}", "company": fc.company, "author": "salesxl",
                           "created": datetime.combine(fc.as_of, datetime.min.time())})

    return write_xlsx(path, fill)
