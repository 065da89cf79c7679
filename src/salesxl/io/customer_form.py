"""The customer's own form (客户信息表): one customer's basic data, for that customer to check and
complete (the contract is :mod:`salesxl.core.customer_form`).

One printable, protected ``.xlsx`` (no macros: it goes to another company, which should open it
without a security prompt) with a sheet 客户信息表 laid out as a paper form — 项目 · 内容 · 填写说明,
one row per question in two sections, the answers pre-filled with what the archive holds and the
only unlocked cells — plus the very hidden record of what was issued.  Excel checks each answer as
it is typed (dates, whole numbers, amounts ≥ 0, the 18 characters of a credit code, the size
dropdown).  A4 portrait, one page wide, with a signature line for the customer.

Only that customer's own values of :data:`~salesxl.core.customer_form.FORM_FIELDS` are written:
no other customer's anything, no internal field (level, grade, terms, notes, assessments), not
even in document properties (neutral: 客户信息表 and the company name).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from salesxl.core.customer_form import FORM_FIELDS, FORM_SECTIONS, FormMeta, meta_rows
from salesxl.core.schema import CUSTOMERS, FieldType
from salesxl.core.tables import Book
from salesxl.core.templates import META_SHEET, canonical_text
from salesxl.errors import BadArguments
from salesxl.io import files
from salesxl.io.print_sheets import write_xlsx

__all__ = ["FORM_SHEET", "customer_form_name", "form_customers", "write_customer_form", "write_customer_forms"]

FORM_SHEET = "客户信息表"
#: 0-based rows: title, greeting, reference line, header; questions start below.
TITLE, GREETING, REFERENCE, HEADER = 0, 1, 2, 3
_DATE_MIN = date(1900, 1, 1)


def customer_form_name(customer_id: str, name: str | None = None) -> str:
    """``客户信息表-KH00001-某某公司.xlsx`` (characters a file name cannot hold become ``_``)."""
    stem = "-".join(p for p in ("客户信息表", customer_id, name or "") if p)
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", stem).strip(" .")[:120] + ".xlsx"


def form_customers(book: Book) -> pd.DataFrame:
    """Every card with a 客户编号 (its first card), in sheet order: the customers a form can go to."""
    table = book.table("客户档案")
    if table is None:
        raise BadArguments("工作簿中没有「客户档案」工作表，无法生成客户信息表",
                           "The workbook has no 客户档案 sheet; no customer form can be made")
    frame = table.frame
    ids = frame["客户编号"].astype("string").str.strip()
    keep = ids.notna() & ~ids.duplicated(keep="first")
    return frame[keep.to_numpy(dtype=bool)].assign(客户编号=ids[keep]).reset_index(drop=True)


def _card(book: Book, customer_id: str) -> dict[str, Any]:
    cards = form_customers(book)
    hit = cards[cards["客户编号"] == customer_id.strip()]
    if hit.empty:
        raise BadArguments(f"客户档案中没有客户编号「{customer_id}」", f"No customer '{customer_id}' in 客户档案")
    return hit.iloc[0].to_dict()


def write_customer_form(book: Book, customer_id: str, out: Path, *, issued_at: datetime, master_name: str,
                        answers: dict[str, Any] | None = None) -> Path:
    """Write the 客户信息表 of ``customer_id`` (a card of ``book``) to ``out`` (``.xlsx``),
    atomically.  ``answers`` (field → value) fill the form as a customer would, over the issued
    values it records (the demo's returned form).  Raises :class:`~salesxl.errors.BadArguments`
    for an unknown customer or an ``out`` that is not ``.xlsx``."""
    out = Path(out)
    if out.suffix.lower() != ".xlsx":
        raise BadArguments(f"客户信息表只能保存为 .xlsx 文件：{out}", f"a customer form is an .xlsx file: {out}")
    card = _card(book, customer_id)
    company = book.settings.company_name or ""

    def fill(wb: Workbook) -> None:
        ws = wb.add_worksheet(FORM_SHEET)
        cells = _form_sheet(wb, ws, {**card, **(answers or {})}, company, issued_at.date())
        meta = FormMeta(str(card["客户编号"]), issued_at, master_name,
                        {f: (canonical_text(card.get(f), f), cells[f]) for f in FORM_FIELDS})
        meta_ws = wb.add_worksheet(META_SHEET)
        for r, row in enumerate(meta_rows(meta)):
            for c, value in enumerate(row):
                if value is not None:
                    meta_ws.write_string(r, c, str(value))
        meta_ws.protect()
        meta_ws.very_hidden()
        wb.set_properties({"title": FORM_SHEET, "author": company, "company": company,
                           "created": issued_at.replace(tzinfo=None)})
        ws.activate()

    return write_xlsx(out, fill, options={"strings_to_urls": False})


def write_customer_forms(book: Book, out_dir: Path, *, issued_at: datetime, master_name: str,
                         force: bool = True) -> list[Path]:
    """One form per customer of ``book`` as ``out_dir/客户信息表-<编号>-<名称>.xlsx``; without
    ``force`` a form already there is refused before any is written."""
    cards = form_customers(book)
    names = cards["客户名称"].astype(object).where(cards["客户名称"].notna(), None).tolist()
    ids = cards["客户编号"].tolist()
    targets = [Path(out_dir) / customer_form_name(cid, name) for cid, name in zip(ids, names, strict=True)]
    files.replace_all(targets, force=force)
    return [write_customer_form(book, cid, target, issued_at=issued_at, master_name=master_name)
            for cid, target in zip(ids, targets, strict=True)]


def _value(value: Any, kind: FieldType) -> Any:
    """A card value as the cell holds it: 元 for fen, a datetime for a date, numbers as numbers."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if kind is FieldType.AMOUNT:
        return int(value) / 100
    if kind is FieldType.DATE:
        return pd.Timestamp(value).to_pydatetime().replace(tzinfo=None)
    if kind in (FieldType.INTEGER, FieldType.NUMBER):
        return float(value)
    return str(value)


def _form_sheet(wb: xlsxwriter.Workbook, ws: Worksheet, card: dict[str, Any], company: str, issued: date
                ) -> dict[str, str]:
    """Draw the form; returns field → the cell (``B6``) of its answer."""
    border = {"border": 1, "border_color": "#808080", "valign": "vcenter", "text_wrap": True}
    title = wb.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"})
    para = wb.add_format({"text_wrap": True, "valign": "top"})
    head = wb.add_format({**border, "bold": True, "bg_color": "#DDEBF7", "align": "center"})
    section = wb.add_format({**border, "bold": True, "bg_color": "#F2F2F2"})
    label = wb.add_format({**border, "bold": True})
    hint = wb.add_format({**border, "font_color": "#595959", "font_size": 9})
    answer = {
        FieldType.TEXT: wb.add_format({**border, "locked": False, "num_format": "@"}),
        FieldType.AMOUNT: wb.add_format({**border, "locked": False, "num_format": "#,##0.00"}),
        FieldType.DATE: wb.add_format({**border, "locked": False, "num_format": "yyyy-mm-dd", "align": "left"}),
        FieldType.INTEGER: wb.add_format({**border, "locked": False, "num_format": "0", "align": "left"}),
    }
    ws.set_column(0, 0, 20)
    ws.set_column(1, 1, 46)
    ws.set_column(2, 2, 34)
    ws.merge_range(TITLE, 0, TITLE, 2, f"{company + ' · ' if company else ''}客户信息表", title)
    ws.set_row(TITLE, 30)
    ws.merge_range(GREETING, 0, GREETING, 2,
                   "尊敬的客户：为了更好地为贵单位服务，请核对并补充下列信息（白色格子可以填写），填好后保存，"
                   "把文件交回我公司业务员或发回我公司。不清楚的可以留空。我们会核对后再更新档案，谢谢配合！", para)
    ws.set_row(GREETING, 48)
    ws.merge_range(REFERENCE, 0, REFERENCE, 2, f"客户编号：{card['客户编号']}　　发放日期：{issued.isoformat()}", para)
    for c, text in enumerate(("项目", "内容", "填写说明")):
        ws.write_string(HEADER, c, text, head)
    row = HEADER + 1
    cells: dict[str, str] = {}
    for heading, questions in FORM_SECTIONS:
        ws.merge_range(row, 0, row, 2, heading, section)
        row += 1
        for name, text, how in questions:
            kind = CUSTOMERS.field(name).type
            fmt = answer.get(kind, answer[FieldType.TEXT])
            ws.write_string(row, 0, text, label)
            value = _value(card.get(name), kind)
            if value is None:
                ws.write_blank(row, 1, None, fmt)
            elif isinstance(value, datetime):
                ws.write_datetime(row, 1, value, fmt)
            elif isinstance(value, float):
                ws.write_number(row, 1, value, fmt)
            else:
                ws.write_string(row, 1, value, fmt)
            ws.write_string(row, 2, how, hint)
            _check(ws, row, name, issued)
            ws.set_row(row, 30 if name in ("地址", "经营理念", "经营方针", "经营特点", "经营现状") else 20)
            cells[name] = f"B{row + 1}"
            row += 1
    row += 1
    ws.merge_range(row, 0, row, 2, "填表人：＿＿＿＿＿＿　　联系电话：＿＿＿＿＿＿　　日期：＿＿＿＿年＿＿月＿＿日　　（单位盖章）",
                   para)
    ws.set_row(row, 36)
    ws.print_area(0, 0, row, 2)
    ws.set_paper(9)
    ws.set_portrait()
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.5, right=0.5, top=0.7, bottom=0.6)
    ws.center_horizontally()
    ws.set_footer("&C第 &P 页，共 &N 页")
    ws.protect("", {"format_columns": True, "format_rows": True})
    return cells


def _check(ws: Worksheet, row: int, name: str, issued: date) -> None:
    """Excel's own check of one answer, with a plain-words message."""
    col = 1
    if name == "成立日期":
        ws.data_validation(row, col, row, col, {
            "validate": "date", "criteria": "between", "minimum": datetime(1900, 3, 1),
            "maximum": datetime(issued.year, issued.month, issued.day),
            "error_title": "成立日期", "error_message": "请输入日期，如 2010-05-20。"})
    elif name == "资产规模":
        ws.data_validation(row, col, row, col, {"validate": "decimal", "criteria": ">=", "value": 0,
                                                "error_title": "资产总额", "error_message": "请输入不小于 0 的数字（单位：元）。"})
    elif name == "销售队伍":
        ws.data_validation(row, col, row, col, {"validate": "integer", "criteria": ">=", "value": 0,
                                                "error_title": "销售人员", "error_message": "请输入人数（整数）。"})
    elif name == "统一社会信用代码":
        ws.data_validation(row, col, row, col, {"validate": "length", "criteria": "==", "value": 18,
                                                "error_title": "统一社会信用代码", "error_message": "统一社会信用代码为 18 位。"})
    elif name == "公司规模":
        ws.data_validation(row, col, row, col, {"validate": "list", "source": list(CUSTOMERS.field(name).enum_values),
                                                "error_title": "企业规模", "error_message": "请从下拉列表中选择。"})
