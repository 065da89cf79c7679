"""价格分析 · the price analysis as a workbook (issue 16, spec v1.1 §3 "Prices").

:func:`write_price_report` lays a :class:`~salesxl.core.prices.PriceAnalysis` out for the head of
sales: 价格分析 (the period's totals, the 产品 × 客户等级 table and a chart of the average price
against the list price by level), 季节分析 (产品 × quarter), 低于标准价 (the lines furthest below
list, with salesperson and customer), 业务员 (discount and margin per salesperson) and 产品毛利
(margin by product, with its chart).  :func:`write_price_sheet` writes the one-sheet version the
monthly report (:mod:`salesxl.io.report`) adds for its month.

Conventions as in the 月报: amounts are numbers (fen / 100) formatted ``#,##0.00``, rates
``0.00%``, unknown figures left blank; every text is written with ``write_string`` (a product
named ``=1+1`` stays text); A4 landscape, one page wide, the header row repeated, the title in
the page header (:func:`salesxl.io.printing.print_title`) and page numbers in the footer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from salesxl.core.prices import PriceAnalysis, group_measures
from salesxl.io.print_sheets import write_xlsx
from salesxl.io.printing import landscape, print_title

__all__ = ["GROUP_HEADERS", "QUOTE_SHEET", "SHEETS", "price_highlights", "write_quote_sheet", "report_name", "write_price_report", "write_price_sheet"]

#: The workbook's sheets, in order.
SHEETS = ("价格分析", "季节分析", "低于标准价", "业务员", "产品毛利")
AMOUNT, RATE, QTY = "#,##0.00", "0.00%", "#,##0.###"
FONT = "Microsoft YaHei"
#: The measure columns of every group table: (header, measure key, kind).
GROUP_HEADERS: tuple[tuple[str, str, str], ...] = (
    ("数量", "qty", "qty"), ("销售额", "revenue", "fen"), ("平均单价", "average_price", "fen"),
    ("平均标准价", "average_list", "fen"), ("标准价销售额", "list_revenue", "fen"), ("折让额", "discount", "fen"),
    ("折让率", "discount_rate", "rate"), ("成本", "cost", "fen"), ("毛利", "margin", "fen"),
    ("毛利率", "margin_rate", "rate"),
)
LEVEL_TEXT = {"A": "A 主要客户", "B": "B 一般客户", "C": "C 零散客户"}


def report_name(first: date, last: date) -> str:
    """``价格分析-2026-01-01-2026-12-31.xlsx``: the default file name."""
    return f"价格分析-{first.isoformat()}-{last.isoformat()}.xlsx"


class _Formats:
    def __init__(self, wb: Workbook) -> None:
        base = {"font_name": FONT, "font_size": 10}
        self.text = wb.add_format(base)
        self.head = wb.add_format({**base, "bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                   "align": "center", "valign": "vcenter"})
        self.title = wb.add_format({**base, "bold": True, "font_size": 14})
        self.note = wb.add_format({**base, "italic": True, "font_color": "#595959"})
        self.cell = {k: wb.add_format({**base, "num_format": f, "border": 1})
                     for k, f in (("fen", AMOUNT), ("rate", RATE), ("qty", QTY), ("text", "@"), ("int", "0"))}
        self.low = wb.add_format({**base, "num_format": RATE, "border": 1, "font_color": "#C00000"})


def _value(v: Any) -> Any:
    """None for every kind of blank (None, NA, NaN, NaT), else the value."""
    return None if v is None or (not isinstance(v, str | list | tuple) and bool(pd.isna(v))) else v


def _put(ws: Worksheet, r: int, c: int, v: Any, kind: str, fmt: _Formats) -> None:
    v = _value(v)
    style = fmt.cell[kind]
    if v is None:
        ws.write_blank(r, c, None, style)
    elif kind == "fen":
        ws.write_number(r, c, int(v) / 100, style)
    elif kind in ("rate", "qty", "int"):
        ws.write_number(r, c, float(v), style)
    else:
        ws.write_string(r, c, str(v), style)


def _with_average_list(groups: pd.DataFrame) -> pd.DataFrame:
    """Adds 平均标准价 = list revenue / qty (half-up to the fen) for the chart against list."""
    def avg(r: pd.Series) -> Any:
        lr, q = _value(r["list_revenue"]), float(r["qty"])
        if lr is None or q <= 0:
            return None
        return int((2 * int(lr) * 1000 + round(q * 1000)) // (2 * round(q * 1000)))
    out = groups.copy()
    out["average_list"] = [avg(r) for _, r in groups.iterrows()] if len(groups) else []
    return out


def _group_table(ws: Worksheet, fmt: _Formats, row: int, keys: Sequence[tuple[str, str]],
                 groups: pd.DataFrame) -> tuple[int, int]:
    """A header row and one row per group; returns (header row, next free row)."""
    groups = _with_average_list(groups)
    heads = [h for h, _ in keys] + [h for h, _, _ in GROUP_HEADERS]
    for c, h in enumerate(heads):
        ws.write_string(row, c, h, fmt.head)
    r = row + 1
    for rec in groups.to_dict("records"):
        for c, (_, key) in enumerate(keys):
            v = rec[key]
            _put(ws, r, c, LEVEL_TEXT.get(v, v) if key == "level" else (v if _value(v) is not None else "（未指定）"),
                 "text", fmt)
        for c, (_, key, kind) in enumerate(GROUP_HEADERS, start=len(keys)):
            _put(ws, r, c, rec[key], kind, fmt)
        r += 1
    return row, r


def _print(ws: Worksheet, title: str, widths: Sequence[float], header_row: int) -> None:
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
    ws.set_paper(9)
    if landscape(widths):
        ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(header_row)
    ws.set_margins(left=0.4, right=0.4, top=0.7, bottom=0.6)
    ws.set_header(f'&C&"-,Bold"&12{title.replace("&", "&&")}')
    ws.set_footer("&C第 &P 页，共 &N 页")
    ws.center_horizontally()


def _period(a: PriceAnalysis) -> str:
    return f"{a.date_from.isoformat()} 至 {a.date_to.isoformat()}"


def _totals(ws: Worksheet, fmt: _Formats, row: int, a: PriceAnalysis) -> int:
    t = a.total
    pairs = [("销售额", t.get("revenue"), "fen"), ("标准价销售额", t.get("list_revenue"), "fen"),
             ("折让额", t.get("discount"), "fen"), ("折让率", t.get("discount_rate"), "rate"),
             ("毛利", t.get("margin"), "fen"), ("毛利率", t.get("margin_rate"), "rate")]
    for c, (h, v, kind) in enumerate(pairs):
        ws.write_string(row, c * 2 % 12, h, fmt.head)
        _put(ws, row, c * 2 % 12 + 1, v, kind, fmt)
    return row + 2


def _level_chart(wb: Workbook, ws: Worksheet, name: str, first: int, last: int, anchor: str) -> None:
    """Average price against the average list price, per 产品 × 客户等级 (clustered columns)."""
    if last <= first:
        return
    chart = wb.add_chart({"type": "column"})
    for col, label, colour in ((4, "平均单价", "#2F5597"), (5, "平均标准价", "#ED7D31")):
        chart.add_series({
            "name": label, "categories": [name, first, 0, last - 1, 1], "values": [name, first, col, last - 1, col],
            "fill": {"color": colour},
        })
    chart.set_title({"name": "平均单价与标准价（按产品 × 客户等级）", "name_font": {"size": 11}})
    chart.set_y_axis({"num_format": "#,##0", "name": "元"})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 760, "height": 300})
    ws.insert_chart(anchor, chart)


def price_highlights(a: PriceAnalysis | None) -> list[str]:
    """The 月报 概览 line: the month's discount rate and margin rate (none without a 价目表)."""
    if a is None:
        return []
    t = a.total

    def rate(v: Any) -> str:
        return "—" if _value(v) is None else f"{float(v):.2%}"

    below = int((a.lines["check"] == "below-floor").sum()) if len(a.lines) else 0
    return [f"价格：折让率 {rate(t.get('discount_rate'))}，毛利率 {rate(t.get('margin_rate'))}"
            f"；低于最低价的销售 {below} 笔（详见「价格分析」）。"]


def write_price_sheet(wb: Workbook, a: PriceAnalysis, *, name: str = "价格分析", company: str = "") -> Worksheet:
    """The one-sheet analysis: totals, 产品 × 客户等级 with its chart, and per salesperson.  The
    monthly report adds it for its month; the 价格分析 workbook opens with it."""
    fmt = _Formats(wb)
    ws = wb.add_worksheet(name)
    ws.write_string(0, 0, f"价格分析　{_period(a)}", fmt.title)
    ws.write_string(1, 0, f"客户等级按 {a.date_to.isoformat()} 计；退货不计入；未找到价格行的销售只计入数量和销售额。",
                    fmt.note)
    row = _totals(ws, fmt, 3, a)
    ws.write_string(row, 0, "按产品 × 客户等级", fmt.title)
    head, end = _group_table(ws, fmt, row + 1, [("产品", "product"), ("客户等级", "level")], a.by_product_level)
    ws.freeze_panes(head + 1, 0)
    _level_chart(wb, ws, name, head + 1, end, f"A{end + 3}")
    row = end + (20 if end > head + 1 else 2)
    ws.write_string(row, 0, "按业务员", fmt.title)
    _group_table(ws, fmt, row + 1, [("业务员", "salesperson")], a.by_salesperson)
    _print(ws, print_title("价格分析", a.date_to, company or None), [14, 12] + [13] * len(GROUP_HEADERS), head)
    return ws


def _season(wb: Workbook, a: PriceAnalysis) -> None:
    fmt = _Formats(wb)
    ws = wb.add_worksheet("季节分析")
    ws.write_string(0, 0, f"按产品 × 季度　{_period(a)}", fmt.title)
    head, _ = _group_table(ws, fmt, 2, [("产品", "product"), ("季度", "quarter")], a.by_product_quarter)
    ws.freeze_panes(head + 1, 0)
    _print(ws, print_title("季节分析", a.date_to), [14, 10] + [13] * len(GROUP_HEADERS), head)


BELOW_HEADERS = (("行号", "sheet_row", "int"), ("日期", "date", "text"), ("产品", "product", "text"),
                 ("规格", "spec", "text"), ("客户编号", "customer_id", "text"), ("客户名称", "customer_name", "text"),
                 ("客户等级", "level", "text"), ("业务员", "salesperson", "text"), ("数量", "qty", "qty"),
                 ("单价", "unit_price", "fen"), ("标准价", "list_price", "fen"), ("最低价", "floor_price", "fen"),
                 ("偏离", "deviation", "rate"), ("检查", "check", "text"))
CHECK_TEXT = {"ok": "正常", "no-price": "无价格", "below-floor": "低于最低价", "price-deviation": "偏离标准价"}


def _below(wb: Workbook, a: PriceAnalysis) -> None:
    fmt = _Formats(wb)
    ws = wb.add_worksheet("低于标准价")
    ws.write_string(0, 0, f"低于标准价最多的 {len(a.below_list)} 笔销售　{_period(a)}", fmt.title)
    for c, (h, _, _) in enumerate(BELOW_HEADERS):
        ws.write_string(2, c, h, fmt.head)
    for r, rec in enumerate(a.below_list.to_dict("records"), start=3):
        rec = dict(rec, date=pd.Timestamp(date(1970, 1, 1)) + pd.Timedelta(days=int(rec["day"])),
                   deviation=None if _value(rec["deviation_e4"]) is None else int(rec["deviation_e4"]) / 10000,
                   check=CHECK_TEXT.get(rec["check"], rec["check"]))
        rec["date"] = rec["date"].strftime("%Y-%m-%d")
        for c, (_, key, kind) in enumerate(BELOW_HEADERS):
            _put(ws, r, c, rec[key], kind, fmt)
    ws.freeze_panes(3, 0)
    _print(ws, print_title("低于标准价", a.date_to), [7, 11, 12, 9, 10, 16, 9, 9, 9, 11, 11, 11, 9, 11], 2)


def _people(wb: Workbook, a: PriceAnalysis) -> None:
    fmt = _Formats(wb)
    ws = wb.add_worksheet("业务员")
    ws.write_string(0, 0, f"折让与毛利（按业务员）　{_period(a)}", fmt.title)
    head, _ = _group_table(ws, fmt, 2, [("业务员", "salesperson")], a.by_salesperson)
    _print(ws, print_title("业务员折让与毛利", a.date_to), [12] + [13] * len(GROUP_HEADERS), head)


def _products(wb: Workbook, a: PriceAnalysis) -> None:
    fmt = _Formats(wb)
    ws = wb.add_worksheet("产品毛利")
    ws.write_string(0, 0, f"毛利（按产品）　{_period(a)}", fmt.title)
    groups = group_measures(a.lines, ["product"])
    head, end = _group_table(ws, fmt, 2, [("产品", "product")], groups)
    if end > head + 1:
        chart = wb.add_chart({"type": "bar"})
        chart.add_series({"name": "毛利", "categories": ["产品毛利", head + 1, 0, end - 1, 0],
                          "values": ["产品毛利", head + 1, 9, end - 1, 9], "fill": {"color": "#70AD47"}})
        chart.add_series({"name": "折让额", "categories": ["产品毛利", head + 1, 0, end - 1, 0],
                          "values": ["产品毛利", head + 1, 6, end - 1, 6], "fill": {"color": "#ED7D31"}})
        chart.set_title({"name": "毛利与折让（按产品）", "name_font": {"size": 11}})
        chart.set_x_axis({"num_format": "#,##0", "name": "元"})
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": 760, "height": max(260, 28 * (end - head) + 80)})
        ws.insert_chart(f"A{end + 3}", chart)
    _print(ws, print_title("产品毛利", a.date_to), [14] + [13] * len(GROUP_HEADERS), head)


def write_price_report(a: PriceAnalysis, path: str | Path, *, company: str = "") -> Path:
    """Write the 价格分析 workbook to ``path`` (atomically; replaced when it exists)."""
    def fill(wb: Workbook) -> None:
        write_price_sheet(wb, a, company=company)
        for build in (_season, _below, _people, _products):
            build(wb, a)
        wb.set_properties({"title": f"价格分析 {_period(a)}", "author": "salesxl",
                           "created": datetime.combine(a.date_to, datetime.min.time())})
        wb.worksheets()[0].activate()

    return write_xlsx(path, fill)


#: The salesperson template's read-only price sheet (not named 价目表: a returned template is
#: never read as the office's price list).
QUOTE_SHEET = "可报价格"


def write_quote_sheet(wb: Workbook, rows: pd.DataFrame, *, issued: date) -> Worksheet:
    """The prices a salesperson may quote (:func:`salesxl.core.prices.quotable`): 产品, 规格,
    客户等级, period, 标准价, 最低价 — the frame's columns only, so 成本价 is never written —
    locked against slips like the template's other fixed cells."""
    from salesxl.core.prices import QUOTE_COLUMNS

    fmt = _Formats(wb)
    ws = wb.add_worksheet(QUOTE_SHEET)
    ws.write_string(0, 0, f"可报价格（{issued.isoformat()} 起有效；低于最低价须走特价审批）", fmt.title)
    for c, h in enumerate(QUOTE_COLUMNS):
        ws.write_string(1, c, h, fmt.head)
    for r, rec in enumerate(rows[list(QUOTE_COLUMNS)].to_dict("records"), start=2):
        for c, key in enumerate(QUOTE_COLUMNS):
            v = _value(rec[key])
            if key in ("标准价", "最低价"):
                _put(ws, r, c, v, "fen", fmt)
            elif key in ("开始日期", "结束日期"):
                _put(ws, r, c, None if v is None else pd.Timestamp(v).strftime("%Y-%m-%d"), "text", fmt)
            else:
                shown = (LEVEL_TEXT.get(v, v) if v else "全部") if key == "客户等级" else v
                _put(ws, r, c, shown, "text", fmt)
    ws.freeze_panes(2, 0)
    ws.protect("", {"autofilter": True, "sort": False})
    _print(ws, print_title(QUOTE_SHEET, None), [16, 12, 12, 12, 12, 12, 12], 1)
    return ws
