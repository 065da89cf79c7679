"""The stock result sheets (库存结存, 盘点差异) and the blind count sheet (盘点表).

库存结存 and 盘点差异 are ordinary result sheets (:class:`~salesxl.io.results.ResultSheet`):
written into the user's book by :func:`~salesxl.io.results.write_result_sheets` with its
guarantees (atomic, backup for in-place, salesxl's own sheets replaced, a user's sheet of the
same name kept, nothing else touched).  Quantities are numbers (General format, exact to 0.001,
written from :class:`~decimal.Decimal`), money ``#,##0.00``.

The blind count sheet (盲盘) is a new workbook for the warehouse staff, written with XlsxWriter:
one sheet named 盘点 whose header row is exactly 盘点's (日期, 仓库, 产品, 规格, 批号, 实盘数量), so
filled rows paste straight into the office's 盘点 sheet (or the file itself is read as one);
no book quantity appears anywhere in the file.  The signature lines are in the printed footer,
not in cells, so nothing below the table is ever read as a count.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from salesxl.core.schema import COUNTS
from salesxl.core.stock import QTY_SCALE, StockResult, unit_costs, variance_value
from salesxl.core.tables import Book
from salesxl.io import printing
from salesxl.io.results import Column, ResultSheet

__all__ = ["COUNT_SHEET_NAME", "STOCK_SHEETS", "count_sheet_rows", "stock_sheets", "write_count_sheet"]

#: The result sheets of ``salesxl stock`` (written in this order).
STOCK_SHEETS = ("库存结存", "盘点差异")
COUNT_SHEET_NAME = "盘点"


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, float) and pd.isna(v))


def _balance_rows(b: pd.DataFrame) -> Iterator[list[Any]]:
    """Cards in 仓库/产品/规格/批号 order, a 小计 after each product of a warehouse and a 合计
    after each warehouse (quantities of one product add up; a warehouse total is of pieces).
    Sums are exact (thousandths), written as the nearest double."""
    last_wh = last_prod = None
    prod_sum = wh_sum = 0
    for w, p, s, bt, m, ql in zip(*(b[c].tolist() for c in ("warehouse", "product", "spec", "batch", "qty_milli",
                                                             "quality")), strict=True):
        if last_prod is not None and (w, p) != (last_wh, last_prod):
            yield [last_wh, f"{last_prod} 小计", None, None, prod_sum / QTY_SCALE, None]
            prod_sum = 0
        if last_wh is not None and w != last_wh:
            yield [f"{last_wh} 合计", None, None, None, wh_sum / QTY_SCALE, None]
            wh_sum = 0
        yield [w, p, None if _blank(s) else s, bt, m / QTY_SCALE, None if _blank(ql) else ql]
        prod_sum += m
        wh_sum += m
        last_wh, last_prod = w, p
    if last_prod is not None:
        yield [last_wh, f"{last_prod} 小计", None, None, prod_sum / QTY_SCALE, None]
        yield [f"{last_wh} 合计", None, None, None, wh_sum / QTY_SCALE, None]


def stock_sheets(result: StockResult, book: Book | None = None) -> list[ResultSheet]:
    """库存结存 and 盘点差异 for ``result``; ``book`` gives the 价目表 成本价 that values each
    variance (blank where the price list has none)."""
    bal_cols = [Column("仓库"), Column("产品"), Column("规格"), Column("批号"), Column("结存数量", "int"),
                Column("质量状态")]
    costs = unit_costs(book) if book is not None else {}
    v = result.variances
    var_cols = [
        Column("盘点日期", "date"), Column("仓库"), Column("产品"), Column("规格"), Column("批号"),
        Column("账面数量", "int"), Column("实盘数量", "int"), Column("差异数量", "int"), Column("盘盈/盘亏"),
        Column("成本价", "amount"), Column("差异金额", "amount"), Column("盘点表行号", "int"),
    ]
    var_rows = []
    for r, d, w, p, s, bt, bk, c, x, k in zip(v["row"], v["date"], v["warehouse"], v["product"], v["spec"],
                                             v["batch"], v["book"], v["counted"], v["variance"], v["kind"],
                                             strict=True):
        spec = None if _blank(s) else str(s)
        cost = costs.get((str(p), spec or ""), costs.get((str(p), "")))
        var_rows.append([d, w, p, spec, bt, bk, c, x, k, cost, variance_value(x, cost), int(r)])
    sheets = [
        ResultSheet(STOCK_SHEETS[0], bal_cols, list(_balance_rows(result.balances))),
        ResultSheet(STOCK_SHEETS[1], var_cols, var_rows),
    ]
    for sheet in sheets:
        sheet.title = printing.print_title(sheet.name, result.as_of, result.company or None)
    return sheets


# ---------------------------------------------------------------------------------------------
# The blind count sheet


def count_sheet_rows(result: StockResult, warehouse: str) -> list[tuple[str, str | None, str]]:
    """(产品, 规格, 批号) of every batch with a book balance ≠ 0 in ``warehouse`` as of the
    result's date, by product, spec and batch."""
    b = result.balances
    here = b[(b["warehouse"] == warehouse) & (b["qty"] != 0)]
    rows = [(str(p), None if _blank(s) else str(s), str(bt)) for p, s, bt in
            zip(here["product"], here["spec"], here["batch"], strict=True)]
    return sorted(rows, key=lambda r: (r[0], r[1] or "", r[2]))


def write_count_sheet(result: StockResult, warehouse: str, target: Path, *, company: str = "") -> int:
    """Write the blind count sheet of ``warehouse`` to ``target`` (one atomic write); returns
    the number of batches listed."""
    from xlsxwriter.workbook import Workbook

    from salesxl.io.print_sheets import write_xlsx

    rows = count_sheet_rows(result, warehouse)
    day: date = result.as_of

    def fill(wb: Workbook) -> None:
        ws = wb.add_worksheet(COUNT_SHEET_NAME)
        title = wb.add_format({"bold": True, "font_size": 14})
        note = wb.add_format({"font_size": 9, "font_color": "#555555", "text_wrap": True, "valign": "top"})
        head = wb.add_format({"bold": True, "border": 1, "bg_color": "#DDEBF7", "align": "center"})
        cell = wb.add_format({"border": 1})
        day_fmt = wb.add_format({"border": 1, "num_format": "yyyy-mm-dd"})
        entry = wb.add_format({"border": 2, "bg_color": "#FFFDE7", "num_format": "0.###"})
        headers = [f.name for f in COUNTS.fields]
        who = f"{company}　" if company else ""
        ws.write(0, 0, f"{who}盘点表　仓库：{warehouse}　盘点日期：{day.isoformat()}", title)
        ws.merge_range(1, 0, 1, 5, "", note)
        ws.write_string(1, 0, f"共 {len(rows)} 个批次。请逐批清点实物，在「实盘数量」栏填写实际数量（没有实物填 0）；"
                              "本表不列账面数量（盲盘）。填好的行可直接粘贴到工作簿的「盘点」表。", note)
        ws.set_row(1, 30)
        ws.set_default_row(20)  # room to write a figure by hand
        for c, h in enumerate(headers):
            ws.write_string(2, c, h, head)
        for i, (p, s, bt) in enumerate(rows, start=3):
            ws.write_datetime(i, 0, pd.Timestamp(day).to_pydatetime(), day_fmt)
            ws.write_string(i, 1, warehouse, cell)
            ws.write_string(i, 2, p, cell)
            if s is None:
                ws.write_blank(i, 3, None, cell)
            else:
                ws.write_string(i, 3, s, cell)
            ws.write_string(i, 4, bt, cell)
            ws.write_blank(i, 5, None, entry)
        widths = [12, 12, max([8, *(len(r[0]) * 2 + 2 for r in rows)]), 12,
                  max([10, *(len(r[2]) + 4 for r in rows)]), 14]
        for c, w in enumerate(widths):
            ws.set_column(c, c, min(w, 40))
        if rows:
            ws.data_validation(3, 5, 2 + len(rows), 5, {
                "validate": "decimal", "criteria": ">=", "value": 0,
                "input_title": "实盘数量", "input_message": "填写清点到的实际数量（≥ 0）",
                "error_message": "实盘数量须为不小于 0 的数字"})
        ws.freeze_panes(3, 0)
        ws.set_paper(9)
        ws.set_portrait()
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(2)
        ws.set_margins(left=0.5, right=0.5, top=0.8, bottom=1.1)
        ws.set_header(f"&C&11盘点表　{warehouse}　{day.isoformat()}", margin=0.3)
        ws.set_footer("&L&10盘点人：__________　复核人：__________　仓库主管：__________　日期：__________"
                      "&R&9第 &P 页，共 &N 页", margin=0.4)
        wb.set_properties({"title": f"盘点表 {warehouse} {day.isoformat()}", "author": "salesxl"})

    write_xlsx(target, fill)
    return len(rows)
