"""The 月报's 库存核对 sheet (issue 17): written into the report workbook by
:func:`salesxl.io.report.write_report` when the book keeps stock cards.

Three titled tables on one A4-landscape sheet: the month's movements per 仓库 × 产品 (期初结存,
入库, 出库, 调整, 期末结存, with a 合计 per warehouse), the month's count variances, and the open
stock anomalies (at most :data:`ANOMALY_ROWS` of them listed, the count said).
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from xlsxwriter.workbook import Workbook

from salesxl.core.stock_review import StockReview

__all__ = ["ANOMALY_ROWS", "SHEET_NAME", "write_stock_review"]

SHEET_NAME = "库存核对"
ANOMALY_ROWS = 200
_FONT = "等线"


def _float(q: Any) -> float:
    return float(q)


def write_stock_review(wb: Workbook, review: StockReview, *, company: str = "") -> None:
    """Add the 库存核对 sheet to the report workbook ``wb``."""
    ws = wb.add_worksheet(SHEET_NAME)
    base = {"font_name": _FONT, "font_size": 10, "valign": "vcenter"}
    cell = {**base, "border": 1, "border_color": "#BFBFBF"}
    title = wb.add_format({**base, "bold": True, "font_size": 16, "font_color": "#1F3864"})
    sub = wb.add_format({**base, "font_color": "#595959"})
    section = wb.add_format({**base, "bold": True, "font_size": 12, "font_color": "#1F3864", "bottom": 2,
                             "bottom_color": "#2F5597"})
    head = wb.add_format({**cell, "bold": True, "font_color": "#FFFFFF", "bg_color": "#2F5597", "align": "center",
                          "text_wrap": True})
    text = wb.add_format(cell)
    qty = wb.add_format({**cell, "num_format": "#,##0.###"})
    date_f = wb.add_format({**cell, "num_format": "yyyy-mm-dd", "align": "center"})
    total_t = wb.add_format({**cell, "bold": True, "bg_color": "#F2F2F2"})
    total_q = wb.add_format({**cell, "bold": True, "bg_color": "#F2F2F2", "num_format": "#,##0.###"})
    bad = wb.add_format({**cell, "font_color": "#C00000"})
    widths = [12, 16, 12, 12, 12, 12, 12, 10, 60]
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
    ws.hide_gridlines(2)
    m = review.month
    ws.write_string(0, 0, f"{company + ' ' if company else ''}{m.year}年{m.month}月销售月报 · 库存核对", title)
    ws.write_string(1, 0, f"统计期间：{m.isoformat()} 至 {review.as_of.isoformat()}　　数量单位：各产品自身的计量单位", sub)
    r = 3

    def sec(label: str) -> None:
        nonlocal r
        for c in range(len(widths)):
            ws.write_blank(r, c, None, section)
        ws.write_string(r, 0, label, section)
        r += 1

    def header(cols: list[str]) -> int:
        nonlocal r
        for c, h in enumerate(cols):
            ws.write_string(r, c, h, head)
        r += 1
        return r - 1

    sec("一、本月收发存（按仓库、产品）")
    header(["仓库", "产品", "期初结存", "本月入库", "本月出库", "本月调整", "期末结存"])
    mv = review.movements
    last_wh = None
    sums = [0.0] * 5
    cols = ("opening", "receipts", "issues", "adjustments", "closing")

    def subtotal() -> None:
        nonlocal r
        ws.write_string(r, 0, f"{last_wh} 合计", total_t)
        ws.write_blank(r, 1, None, total_t)
        for i, v in enumerate(sums):
            ws.write_number(r, 2 + i, v, total_q)
        r += 1

    for row in mv.itertuples(index=False):
        if last_wh is not None and row.warehouse != last_wh:
            subtotal()
            sums = [0.0] * 5
        ws.write_string(r, 0, str(row.warehouse), text)
        ws.write_string(r, 1, str(row.product), text)
        for i, name in enumerate(cols):
            v = _float(getattr(row, name))
            ws.write_number(r, 2 + i, v, qty)
            sums[i] += v
        last_wh = row.warehouse
        r += 1
    if last_wh is not None:
        subtotal()
    else:
        ws.write_string(r, 0, "本月没有收发，也没有结存。", text)
        r += 1
    r += 1

    sec("二、本月盘点差异")
    v = review.variances
    if len(v):
        header(["盘点日期", "仓库", "产品", "规格", "批号", "账面数量", "实盘数量", "差异", "盘盈/盘亏"])
        for row in v.itertuples(index=False):
            ws.write_datetime(r, 0, datetime.combine(row.date, time()), date_f)
            for c, val in enumerate((row.warehouse, row.product, row.spec, row.batch), start=1):
                ws.write_string(r, c, "" if val is None or val != val else str(val), text)
            for c, val in enumerate((row.book, row.counted, row.variance), start=5):
                ws.write_number(r, c, _float(val), qty)
            ws.write_string(r, 8, str(row.kind), bad if row.kind == "盘亏" else text)
            r += 1
    else:
        ws.write_string(r, 0, "本月没有盘点差异。", text)
        r += 1
    r += 1

    sec(f"三、未解决的库存异常（共 {len(review.anomalies)} 条）")
    if review.anomalies:
        from salesxl.core.findings import CODE_TITLES

        header(["工作表", "行", "列", "类型", "", "", "", "", "说明"])
        for f in review.anomalies[:ANOMALY_ROWS]:
            ws.write_string(r, 0, f.sheet, text)
            ws.write_number(r, 1, f.row or 0, text)
            ws.write_string(r, 2, f.column or "", text)
            ws.merge_range(r, 3, r, 7, "", text)
            ws.write_string(r, 3, CODE_TITLES[f.code][0], bad)
            ws.write_string(r, 8, f.message(), text)
            r += 1
        if len(review.anomalies) > ANOMALY_ROWS:
            ws.write_string(r, 0, f"……另有 {len(review.anomalies) - ANOMALY_ROWS} 条，请用 salesxl validate 查看全部。", sub)
            r += 1
    else:
        ws.write_string(r, 0, "没有库存异常。", text)
        r += 1
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.repeat_rows(0, 1)
    ws.set_header(f"&L&8 {company}&R&8 {m.year}年{m.month}月销售月报 · {SHEET_NAME}", margin=0.3)
    ws.set_footer("&C&8 第 &P 页，共 &N 页", margin=0.3)
    ws.print_area(0, 0, max(r - 1, 1), len(widths) - 1)
