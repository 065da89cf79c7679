"""我的合同: a salesperson template's read-only sheet of their own contracts (issue 18, v1.1).

A salesperson in the field should see what is left to deliver on each of their contracts: the
template (:mod:`salesxl.io.templates`) gets one more sheet, written here, listing the master's
contracts whose 业务员 (blank = the customer's) is theirs, with the execution as of the issue
date (:func:`salesxl.core.contracts.contract_report`).  The sheet is locked by sheet protection
(no password, as the template's other locked parts) and never read back: the batch reads only
the template's 客户档案 and 拜访, and 我的合同 is no contract sheet name, so a returned template
cannot change the master's contracts.  Confidentiality as the rest of the template: only the
salesperson's own contracts are written.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from xlsxwriter.workbook import Workbook

from salesxl.core.contracts import FLAG_NAMES, contract_report
from salesxl.core.tables import Book

__all__ = ["CONTRACTS_SHEET", "own_contracts", "write_contracts_sheet"]

#: The template's contracts sheet (not a contract sheet name, so never read as 合同).
CONTRACTS_SHEET = "我的合同"
_HEADERS = ("合同编号", "客户编号", "客户名称", "签订日期", "结束日期", "合同金额", "已执行", "剩余", "执行率",
            "状态", "提醒")
_WIDTHS = (14, 11, 20, 11, 11, 13, 13, 13, 8, 8, 9)


def own_contracts(book: Book, salesperson: str, as_of: date) -> pd.DataFrame:
    """The contracts of ``salesperson`` with their execution as of ``as_of`` (empty without a
    合同 sheet)."""
    if book.table("合同") is None:
        return pd.DataFrame()
    rep = contract_report(book, as_of, levels=pd.Series(dtype=object))
    c = rep.contracts
    return c[c["salesperson"] == salesperson].reset_index(drop=True)


def write_contracts_sheet(wb: Workbook, book: Book, salesperson: str, as_of: date) -> bool:
    """Add the locked 我的合同 sheet to ``wb`` when the salesperson has contracts; whether it did."""
    rows = own_contracts(book, salesperson, as_of)
    if rows.empty:
        return False
    ws = wb.add_worksheet(CONTRACTS_SHEET)
    base = {"border": 1, "border_color": "#BFBFBF", "valign": "vcenter", "locked": True, "bg_color": "#F2F2F2"}
    head = wb.add_format({**base, "bold": True, "bg_color": "#DDEBF7", "align": "center", "text_wrap": True})
    text = wb.add_format({**base, "num_format": "@"})
    money = wb.add_format({**base, "num_format": "#,##0.00"})
    day = wb.add_format({**base, "num_format": "yyyy-mm-dd", "align": "center"})
    rate = wb.add_format({**base, "num_format": "0.0%"})
    flag = wb.add_format({**base, "bold": True, "font_color": "#C00000", "align": "center"})
    title = wb.add_format({"bold": True, "font_size": 14, "locked": True})
    for c, w in enumerate(_WIDTHS):
        ws.set_column(c, c, w)
    ws.write_string(0, 0, f"{salesperson} 的合同执行情况（截至 {as_of.isoformat()}，只读）", title)
    for c, h in enumerate(_HEADERS):
        ws.write_string(1, c, h, head)
    for i, r in enumerate(rows.to_dict("records"), start=2):
        for c, key in enumerate(("contract_no", "customer_id", "customer_name")):
            value = r[key]
            if value is None or (isinstance(value, float) and value != value):
                ws.write_blank(i, c, None, text)
            else:
                ws.write_string(i, c, str(value), text)
        for c, key in ((3, "signed"), (4, "end")):
            if pd.isna(r[key]):
                ws.write_blank(i, c, None, day)
            else:
                ws.write_datetime(i, c, pd.Timestamp(r[key]).to_pydatetime(), day)
        for c, key in ((5, "amount"), (6, "executed"), (7, "remaining")):
            ws.write_number(i, c, int(r[key]) / 100, money)
        if r["execution_rate"] is None or pd.isna(r["execution_rate"]):
            ws.write_blank(i, 8, None, rate)
        else:
            ws.write_number(i, 8, float(r["execution_rate"]), rate)
        ws.write_string(i, 9, str(r["status_zh"]), text)
        ws.write_string(i, 10, FLAG_NAMES.get(r["flag"], ""), flag)
    ws.freeze_panes(2, 0)
    ws.repeat_rows(1)
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.set_header('&C&"-,Bold"&12' + f"{salesperson} 的合同".replace("&", "&&"))
    ws.set_footer("&C第 &P 页，共 &N 页")
    ws.protect("", {"format_columns": True, "format_rows": True})
    return True
