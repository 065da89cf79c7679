"""Salesperson templates: a workbook of one salesperson's own customers to update and return.

``salesxl template salesperson`` hands each salesperson an ``.xlsx`` (no macros, so Excel and WPS
open it without a security prompt) that the office later folds back into the master archive
(``salesxl batch``).  The layout is the contract of :mod:`salesxl.core.templates`; this module only
draws it with XlsxWriter, so that Excel itself keeps the data clean while it is typed:

* **客户档案** — a title row, the header :data:`~salesxl.core.templates.CARD_FIELDS` on row 2 (the
  contract's own headers: the office reads the returned file with
  :func:`salesxl.io.reading.read_book` like any workbook), one row per own card in master order,
  then :data:`~salesxl.core.templates.NEW_ROWS` rows for new customers (客户编号 blank and open,
  业务员 prefilled).  A returned new-customer row is therefore one whose 客户编号 is blank and
  that holds something besides 业务员; an untouched new row reads as 业务员 alone.
* **拜访** — the header :data:`~salesxl.core.templates.VISIT_FIELDS`, empty.
* **说明** — what to fill, what not to touch, how to add a customer, where to send the file.
* **_salesxl** (very hidden) — exactly :func:`~salesxl.core.templates.meta_rows`, every cell a
  string, so the batch can tell what the salesperson changed and what the office changed.

Everything the salesperson must not change (headers, 客户编号 and 业务员 of issued cards, the
instructions) is locked by sheet protection without a password — protection here guards against
slips, not against people, and a password the office forgets is worse than none.  Input is
checked by Excel-native data validation (dropdowns, date and number ranges, text length) with
Chinese input messages; code columns are text cells (``@``) so Excel never turns ``0571…`` or an
18-digit credit code into a number and drops digits.

Confidentiality (the seed's rule): only the salesperson's own cards are ever written — in cells,
in the hidden sheet, in validation lists (the visit sheet's 客户编号 list is a range of this
workbook's own 客户档案), in document properties (neutral: 客户档案模板 and the company name).
No defined names are created.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from salesxl.core.prices import quotable
from salesxl.core.schema import CUSTOMERS, FieldType, requirement_text
from salesxl.core.tables import Book
from salesxl.core.templates import (
    CARD_FIELDS,
    CARD_HEADER_ROW,
    CONDITIONAL_FIELDS,
    EDITABLE_FIELDS,
    LAYOUT,
    META_SHEET,
    NEW_CUSTOMER_REQUIRED,
    NEW_ROWS,
    VISIT_FIELDS,
    VISIT_HEADER_ROW,
    TemplateMeta,
    canonical_text,
    meta_rows,
    new_customer_rule,
)
from salesxl.core.validation import LAT_RANGE, LON_RANGE
from salesxl.errors import BadArguments
from salesxl.io import files
from salesxl.io.price_report import write_quote_sheet
from salesxl.io.print_sheets import write_xlsx
from salesxl.io.template_contracts import write_contracts_sheet

__all__ = [
    "DATE_MIN",
    "column_letter",
    "VISIT_METHODS",
    "VISIT_ROWS",
    "known_salespeople",
    "own_cards",
    "template_file_name",
    "template_meta",
    "write_salesperson_template",
    "write_salesperson_templates",
]

#: Empty rows of the 拜访 sheet that carry validation (the columns stay open below them).
VISIT_ROWS = 200
#: 拜访.方式 dropdown.
VISIT_METHODS = ("上门", "电话", "微信", "会议", "其他")
#: Earliest date accepted for 成立日期 (Excel's own first date).
DATE_MIN = date(1900, 1, 1)
#: 0-based rows of 客户档案: title, header, first card (the header where the contract puts it).
TITLE_ROW, HEADER_ROW, FIRST_ROW = 0, CARD_HEADER_ROW - 1, CARD_HEADER_ROW
#: 0-based header row of 拜访.
VISIT_HEADER = VISIT_HEADER_ROW - 1
#: Columns holding codes: text cells, so Excel keeps every digit and leading zero.
CODE_FIELDS = ("客户编号", "统一社会信用代码", "联系电话")
AMOUNT_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
COORD_FORMAT = "0.000000"

_WIDTHS = {
    "客户编号": 12, "业务员": 9, "客户名称": 30, "客户性质": 11, "统一社会信用代码": 21, "法定代表人": 11,
    "负责人": 9, "经营经理": 9, "联系电话": 17, "地址": 36, "省份": 9, "城市": 9, "区县": 9, "行业": 12,
    "组织类型": 13, "资产规模": 17, "成立日期": 12, "纬度": 11, "经度": 11, "备注": 30,
}
_VISIT_WIDTHS = {"日期": 12, "业务员": 9, "客户编号": 12, "客户名称": 30, "方式": 8, "内容": 44, "下次计划": 30}

#: Input messages (title ≤ 32 characters, message ≤ 255, Excel's limits).  Examples are generic on
#: purpose: a realistic example could be some other salesperson's customer.
_CARD_HELP: dict[str, tuple[str, str]] = {
    "客户名称": ("客户名称", "填写营业执照上的全称，不要用简称。"),
    "客户性质": ("客户性质", "从下拉列表选择：" + "、".join(CUSTOMERS.field("客户性质").enum_values) + "。"),
    "统一社会信用代码": ("统一社会信用代码", "18 位，由数字和大写字母组成，照营业执照填写。"),
    "法定代表人": ("法定代表人", "营业执照上的法定代表人姓名。"),
    "负责人": ("负责人", "客户方的业务负责人姓名。"),
    "经营经理": ("经营经理", "客户方的经营经理姓名。"),
    "联系电话": ("联系电话", "手机 11 位，或座机写成「区号-号码」，可带分机；按文本保存，开头的 0 不会丢。"),
    "地址": ("地址", "详细地址：省市区县、街道、门牌号。"),
    "省份": ("省份", "如「浙江省」「上海市」。"),
    "城市": ("城市", "如「杭州市」。"),
    "区县": ("区县", "如「西湖区」。"),
    "行业": ("行业", "客户所在行业。"),
    "组织类型": ("组织类型", "如 有限责任公司、股份有限公司、事业单位。"),
    "资产规模": ("资产规模（元）", "单位：元，填数字，不小于 0。"),
    "纬度": ("纬度", f"十进制度数，{LAT_RANGE[0]}～{LAT_RANGE[1]}（中国境内）；与经度同时填写或同时留空。"),
    "经度": ("经度", f"十进制度数，{LON_RANGE[0]}～{LON_RANGE[1]}（中国境内）；与纬度同时填写或同时留空。"),
    "备注": ("备注", "其他需要告诉办公室的情况。"),
    # v1.1: the card's other three content groups
    "服务区域": ("服务区域", "客户的业务覆盖哪些地区。"),
    "销售队伍": ("销售队伍（人）", "客户的销售人员人数，填不小于 0 的整数。"),
    "发展潜力": ("发展潜力", "你的判断，从下拉列表选择：高、中、低。"),
    "经营理念": ("经营理念", "客户老板或管理层做生意的想法。"),
    "经营方针": ("经营方针", "客户当前的经营方向和重点。"),
    "公司规模": ("公司规模", "从下拉列表选择：大型、中型、小型、微型。"),
    "经营特点": ("经营特点", "客户在经营上的特色。"),
    "主要竞争对手": ("主要竞争对手", "与我们争夺这个客户、或与客户竞争的主要企业。"),
    "合作态度": ("合作态度", "你的判断，从下拉列表选择：积极、一般、消极。"),
    "人员素质": ("人员素质", "客户管理层和业务人员的素质。"),
    "经营现状": ("经营现状", "客户目前的经营情况。"),
    "存在问题": ("存在问题", "与客户往来中存在的问题。"),
    "应对计划": ("应对计划", "针对这些问题打算怎么做。"),
    "信誉评价": ("信誉评价", "你的判断，从下拉列表选择：好、中、差。"),
    "信息来源": ("信息来源", "这次更新的信息从哪里来：业务员、客户填写、调查机构。"),
    "更新日期": ("更新日期", "更新这张卡片的日期，如 2026-11-05；改了档案内容请填当天。"),
}


def _card_help(name: str) -> tuple[str, str]:
    """A card column's input message: whether it must be filled (the contract's rule, from the
    schema, as validation enforces it), then how to fill it, then the fields it makes required."""
    title, text = _CARD_HELP[name]
    if name in NEW_CUSTOMER_REQUIRED:
        text = "必填。" + text
    elif name in CONDITIONAL_FIELDS:
        text = requirement_text(CUSTOMERS, name) + "。" + text
    for other in CONDITIONAL_FIELDS:
        rule = CUSTOMERS.field(other).required_unless
        if rule is not None and rule[0] == name:
            text += requirement_text(CUSTOMERS, other) + "。"
    return title, text


@dataclass(frozen=True)
class _Formats:
    title: Format
    header: Format
    locked_text: Format
    text: Format
    code: Format
    money: Format
    date: Format
    coord: Format
    para: Format
    para_bold: Format
    missing: Format


def _formats(wb: xlsxwriter.Workbook) -> _Formats:
    """Locked cells grey, editable cells white; ``locked: False`` is what opens a cell."""
    open_ = {"locked": False, "border": 1, "border_color": "#BFBFBF", "valign": "vcenter"}
    return _Formats(
        title=wb.add_format({"bold": True, "font_size": 14, "valign": "vcenter"}),
        header=wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "align": "center",
                              "valign": "vcenter", "text_wrap": True, "locked": True}),
        locked_text=wb.add_format({"num_format": "@", "bg_color": "#F2F2F2", "border": 1,
                                   "border_color": "#BFBFBF", "valign": "vcenter", "locked": True}),
        text=wb.add_format(open_),
        code=wb.add_format({**open_, "num_format": "@"}),
        money=wb.add_format({**open_, "num_format": AMOUNT_FORMAT}),
        date=wb.add_format({**open_, "num_format": DATE_FORMAT, "align": "center"}),
        coord=wb.add_format({**open_, "num_format": COORD_FORMAT}),
        para=wb.add_format({"text_wrap": True, "valign": "top", "locked": True}),
        para_bold=wb.add_format({"bold": True, "font_size": 12, "valign": "top", "locked": True}),
        missing=wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"}),  # a conditional format
    )


# --------------------------------------------------------------------------------------------
# What goes in


def _name(value: Any) -> str:
    """A salesperson as compared: trimmed of half- and full-width spaces (as the reader trims)."""
    return str(value).strip(" \t\r\n\u3000") if value is not None and not pd.isna(value) else ""


def known_salespeople(book: Book) -> list[str]:
    """Salespeople of the book: the 业务员 sheet first, then any other 业务员 on a card."""
    names: list[str] = []
    for sheet in ("业务员", "客户档案"):
        table = book.table(sheet)
        if table is not None:
            names += _owners(table.frame).unique().tolist()
    return [n for n in dict.fromkeys(names) if n]


def _owners(frame: pd.DataFrame) -> pd.Series:
    """The 业务员 column trimmed, blank as "" (vectorised: ``--all`` scans it once per person)."""
    return frame["业务员"].astype("string").str.strip(" \t\r\n\u3000").fillna("")


def own_cards(book: Book, salesperson: str) -> pd.DataFrame:
    """The salesperson's cards (CARD_FIELDS columns, master order, missing values as None).

    A card without a 客户编号, or repeating an ID already taken, is left out: the batch keys every
    change by 客户编号, so such a row could not be returned safely (validation reports it).
    """
    table = book.table("客户档案")
    if table is None:
        return pd.DataFrame(columns=list(CARD_FIELDS))
    frame = table.frame
    mine = frame[(_owners(frame) == salesperson).to_numpy()]
    cards = mine[list(CARD_FIELDS)].astype(object)
    cards = cards.where(cards.notna(), None)
    seen: set[str] = set()
    keep = []
    for cid in (_name(v) for v in cards["客户编号"].tolist()):
        keep.append(bool(cid) and cid not in seen)
        seen.add(cid)
    return cards[keep].reset_index(drop=True)


def _own_levels(book: Book, salesperson: str) -> list[Any]:
    """The 客户等级 of the salesperson's cards (what classify wrote; None where blank)."""
    frame = book["客户档案"].frame
    return frame.loc[(_owners(frame) == salesperson).to_numpy(), "客户等级"].tolist() or [None]


def template_meta(book: Book, salesperson: str, cards: pd.DataFrame, *, issued_at: datetime,
                  master_name: str) -> TemplateMeta:
    """The issue record: every card's CARD_FIELDS as canonical text, keyed by 客户编号."""
    snapshot = {
        str(rec["客户编号"]).strip(): {f: canonical_text(rec[f], f) for f in CARD_FIELDS[1:]}
        for rec in cards.to_dict("records")
    }
    table = book.table("客户档案")
    total = 0 if table is None else int(table.frame["客户编号"].notna().sum())
    return TemplateMeta(salesperson=salesperson, issued_at=issued_at, master_name=master_name,
                        snapshot=snapshot, master_customers=total)


# --------------------------------------------------------------------------------------------
# Writing


def template_file_name(salesperson: str) -> str:
    """``张伟.xlsx``; characters no file system accepts become ``_``."""
    safe = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", salesperson).strip(" .") or "业务员"
    return f"{safe}.xlsx"


def write_salesperson_template(book: Book, salesperson: str, out: Path, *, issued_at: datetime,
                               master_name: str) -> Path:
    """Write ``salesperson``'s template of ``book`` (as read by ``read_book``) to ``out``.

    ``issued_at`` is recorded in the hidden sheet and bounds the date validation (a company is
    not founded after the template was issued); ``master_name`` is the master's file name.  The
    file is built in memory and written atomically (:func:`salesxl.io.files.atomic_write`), so a
    reader never sees half a template.  Raises :class:`~salesxl.errors.BadArguments` for an unknown
    salesperson (the message lists the known ones) or an ``out`` that is not an ``.xlsx``.
    """
    out = Path(out)
    who = _name(salesperson)
    known = known_salespeople(book)
    if who not in known:
        listed = "、".join(known) or "（无）"
        raise BadArguments(f"找不到业务员「{who}」；工作簿中的业务员：{listed}",
                           f"no salesperson '{who}'; the workbook has: {', '.join(known) or '(none)'}")
    if out.suffix.lower() != ".xlsx":
        raise BadArguments(f"业务员模板只能保存为 .xlsx 文件：{out}", f"a salesperson template is an .xlsx file: {out}")
    cards = own_cards(book, who)
    meta = template_meta(book, who, cards, issued_at=issued_at, master_name=master_name)
    company = book.settings.company_name or ""

    def fill(wb: Workbook) -> None:
        fmt = _formats(wb)
        cards_ws, visits_ws, help_ws = (wb.add_worksheet(sheet.name) for sheet in LAYOUT)  # as recorded
        meta_ws = wb.add_worksheet(META_SHEET)
        _cards_sheet(cards_ws, fmt, who, cards, issued_at.date())
        _visits_sheet(visits_ws, fmt, who, len(cards), issued_at.date())
        _help_sheet(help_ws, fmt, who, len(cards), issued_at.date(), company)
        _meta_sheet(meta_ws, meta)
        if book.table("价目表") is not None:  # v1.1: the prices they may quote, never 成本价
            write_quote_sheet(wb, quotable(book["价目表"], _own_levels(book, who), issued_at.date()),
                              issued=issued_at.date())
        write_contracts_sheet(wb, book, who, issued_at.date())  # v1.1: 我的合同, read-only (issue 18)
        # Neutral properties: nothing about customers, and a fixed date so the same issue
        # gives the same file.
        wb.set_properties({"title": "客户档案模板", "author": company, "company": company,
                           "created": issued_at.replace(tzinfo=None)})
        cards_ws.activate()

    # No URL or number guessing: every user string is written as the string it is.
    return write_xlsx(out, fill, options={"strings_to_urls": False})


def write_salesperson_templates(book: Book, out_dir: Path, *, issued_at: datetime, master_name: str,
                                salespeople: Iterable[str] | None = None, force: bool = True) -> list[Path]:
    """One template per salesperson (default: every known one) as ``out_dir/<业务员>.xlsx``;
    without ``force`` a template already there is refused before any is written."""
    names = list(salespeople) if salespeople is not None else known_salespeople(book)
    targets = [Path(out_dir) / template_file_name(_name(n)) for n in names]
    files.replace_all(targets, force=force)
    return [write_salesperson_template(book, n, target, issued_at=issued_at, master_name=master_name)
            for n, target in zip(names, targets, strict=True)]


def _excel_value(value: Any, kind: FieldType) -> Any:
    """A typed value → what the cell holds: 元 for fen, a datetime for a date, else as is."""
    if kind is FieldType.AMOUNT:
        return float(Decimal(int(value)).scaleb(-2))  # the double Excel stores for a typed amount
    if kind is FieldType.DATE:
        return pd.Timestamp(value).to_pydatetime().replace(tzinfo=None)
    if kind in (FieldType.NUMBER, FieldType.INTEGER):
        return float(value)
    return str(value)


def _cards_sheet(ws: Worksheet, fmt: _Formats, who: str, cards: pd.DataFrame, issued: date) -> None:
    n = len(cards)
    last = FIRST_ROW + n + NEW_ROWS - 1
    ws.merge_range(TITLE_ROW, 0, TITLE_ROW, len(CARD_FIELDS) - 1,
                   f"{who} · 客户档案（{issued.isoformat()} 发放）　灰色格子不能修改，填写前请先看「说明」工作表", fmt.title)
    ws.set_row(TITLE_ROW, 26)
    ws.set_row(HEADER_ROW, 30)
    for col, name in enumerate(CARD_FIELDS):
        ws.write_string(HEADER_ROW, col, name, fmt.header)
        ws.set_column(col, col, _WIDTHS.get(name, 12))
    kinds = [CUSTOMERS.field(f).type for f in CARD_FIELDS]
    cell_fmt = {FieldType.AMOUNT: fmt.money, FieldType.DATE: fmt.date, FieldType.NUMBER: fmt.coord}
    formats = [fmt.code if f in CODE_FIELDS else cell_fmt.get(k, fmt.text) for f, k in zip(CARD_FIELDS, kinds, strict=True)]
    for i, rec in enumerate(cards.to_dict("records")):
        row = FIRST_ROW + i
        for col, (name, kind) in enumerate(zip(CARD_FIELDS, kinds, strict=True)):
            cell = fmt.locked_text if name not in EDITABLE_FIELDS else formats[col]
            _write(ws, row, col, rec[name], kind, cell)
    for row in range(FIRST_ROW + n, last + 1):  # new customers: open cells, 业务员 given
        for col, name in enumerate(CARD_FIELDS):
            if name == "业务员":
                ws.write_string(row, col, who, fmt.locked_text)
            else:
                ws.write_blank(row, col, None, formats[col])
    _card_validation(ws, n, last, issued)
    _required_marks(ws, fmt, last)
    ws.freeze_panes(FIRST_ROW, 2)
    # A4 landscape, one page wide; the header row and 客户编号/客户名称 on every printed page
    _print_setup(ws, f"{who} · 客户档案　{issued.isoformat()} 发放", landscape=True)
    ws.repeat_rows(HEADER_ROW)
    ws.repeat_columns(0, 1)
    ws.print_area(TITLE_ROW, 0, last, len(CARD_FIELDS) - 1)
    ws.protect("", {"format_columns": True, "format_rows": True})


def _write(ws: Worksheet, row: int, col: int, value: Any, kind: FieldType, cell_format: Format) -> None:
    """One card value: strings always as strings (never a formula or a number), numbers as numbers."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        ws.write_blank(row, col, None, cell_format)
        return
    shown = _excel_value(value, kind)
    if isinstance(shown, datetime):
        if shown.date() < DATE_MIN:  # before Excel's calendar: keep the date as text, still readable
            ws.write_string(row, col, shown.date().isoformat(), cell_format)
        else:
            ws.write_datetime(row, col, shown, cell_format)
    elif isinstance(shown, float):
        ws.write_number(row, col, shown, cell_format)
    else:
        ws.write_string(row, col, shown, cell_format)


def _help(title: str, message: str) -> dict[str, Any]:
    return {"input_title": title[:32], "input_message": message[:255]}


def _stop(title: str, message: str) -> dict[str, Any]:
    return {"error_type": "stop", "error_title": title[:32], "error_message": message[:255]}


def _serial(day: date) -> int:
    """Excel's 1900-system serial number of ``day`` (XlsxWriter's own conversion gives
    1900-01-01 as 0, a day Excel does not have, and needs both bounds as datetimes)."""
    if day < date(1900, 3, 1):  # before Excel's phantom 1900-02-29
        return (day - date(1899, 12, 31)).days
    return (day - date(1899, 12, 30)).days


def _card_validation(ws: Worksheet, n: int, last: int, issued: date) -> None:
    """Excel-native checks over every card row (issued and new) of 客户档案."""
    col = {f: i for i, f in enumerate(CARD_FIELDS)}
    first_new = FIRST_ROW + n

    def column(name: str, options: dict[str, Any]) -> None:
        ws.data_validation(FIRST_ROW, col[name], last, col[name], options)

    if n:
        ws.data_validation(FIRST_ROW, col["客户编号"], first_new - 1, col["客户编号"],
                           {"validate": "any", **_help("客户编号", "客户编号由办公室管理，不能修改。")})
        ws.data_validation(FIRST_ROW, col["业务员"], first_new - 1, col["业务员"],
                           {"validate": "any", **_help("业务员", "业务员由办公室分配，不能修改；客户需要换人请告诉办公室。")})
    ws.data_validation(first_new, col["客户编号"], last, col["客户编号"],
                       {"validate": "any", **_help("新客户", "新客户的客户编号请留空，办公室收回后统一编号。")})
    column("客户性质", {"validate": "list", "source": list(CUSTOMERS.field("客户性质").enum_values),
                    **_help(*_card_help("客户性质")), **_stop("客户性质", "请从下拉列表中选择。")})
    column("统一社会信用代码", {"validate": "length", "criteria": "==", "value": 18,
                        **_help(*_card_help("统一社会信用代码")),
                        **_stop("统一社会信用代码", "统一社会信用代码应为 18 位。")})
    column("资产规模", {"validate": "decimal", "criteria": ">=", "value": 0,
                    **_help(*_card_help("资产规模")), **_stop("资产规模", "资产规模应为不小于 0 的数字（单位：元）。")})
    column("成立日期", {"validate": "date", "criteria": "between",
                    "minimum": _serial(DATE_MIN), "maximum": _serial(issued),
                    **_help("成立日期", f"日期，如 2010-05-20；不晚于 {issued.isoformat()}。"),
                    **_stop("成立日期", f"请输入 {DATE_MIN.isoformat()} 至 {issued.isoformat()} 之间的日期。")})
    for name, (lo, hi) in (("纬度", LAT_RANGE), ("经度", LON_RANGE)):
        column(name, {"validate": "decimal", "criteria": "between", "minimum": lo, "maximum": hi,
                      **_help(*_card_help(name)), **_stop(name, f"{name}应在 {lo}～{hi} 之间（中国境内）。")})
    column("销售队伍", {"validate": "integer", "criteria": ">=", "value": 0,
                    **_help(*_card_help("销售队伍")), **_stop("销售队伍", "销售队伍应为不小于 0 的整数（人数）。")})
    column("更新日期", {"validate": "date", "criteria": "between",
                    "minimum": _serial(DATE_MIN), "maximum": _serial(issued),
                    **_help(*_card_help("更新日期")),
                    **_stop("更新日期", f"请输入 {DATE_MIN.isoformat()} 至 {issued.isoformat()} 之间的日期。")})
    done = {"客户性质", "统一社会信用代码", "资产规模", "成立日期", "纬度", "经度", "销售队伍", "更新日期"}
    for name in EDITABLE_FIELDS:
        options = CUSTOMERS.field(name).enum_values
        if options and name not in done:  # the card's group options (发展潜力, 公司规模 …)
            column(name, {"validate": "list", "source": list(options), **_help(*_card_help(name)),
                          **_stop(name, "请从下拉列表中选择。")})
        elif name not in done:
            column(name, {"validate": "any", **_help(*_card_help(name))})


def _required_marks(ws: Worksheet, fmt: _Formats, last: int) -> None:
    """Red where a card lacks what the contract requires, as validation (and so the batch) will
    judge it: a required field blank in a row that holds anything, and a conditionally required
    one blank in such a row unless its exemption holds (统一社会信用代码 unless 客户性质 is 个人).
    Data validation cannot say this — Excel never validates a cell nobody typed in."""
    col = {f: xl_col_to_name(i) for i, f in enumerate(CARD_FIELDS)}
    r = FIRST_ROW + 1  # the formulas are written for the first row; Excel shifts them down
    editable = f"${col[EDITABLE_FIELDS[0]]}{r}:${col[EDITABLE_FIELDS[-1]]}{r}"
    for name in NEW_CUSTOMER_REQUIRED:
        c = CARD_FIELDS.index(name)
        ws.conditional_format(FIRST_ROW, c, last, c, {
            "type": "formula", "criteria": f"=AND(COUNTA({editable})>0,LEN(TRIM({col[name]}{r}))=0)",
            "format": fmt.missing})
    for name in CONDITIONAL_FIELDS:
        rule = CUSTOMERS.field(name).required_unless
        assert rule is not None
        other, exempt = rule
        c = CARD_FIELDS.index(name)
        unless = ",".join(f'${col[other]}{r}<>"{v}"' for v in exempt)
        ws.conditional_format(FIRST_ROW, c, last, c, {
            "type": "formula", "criteria": f"=AND(COUNTA({editable})>0,{unless},LEN(TRIM({col[name]}{r}))=0)",
            "format": fmt.missing})


def _visits_sheet(ws: Worksheet, fmt: _Formats, who: str, n_cards: int, issued: date) -> None:
    """An empty 拜访 sheet: the header locked, every column below it open and validated."""
    col = {f: i for i, f in enumerate(VISIT_FIELDS)}
    column_fmt = {"日期": fmt.date, "客户编号": fmt.code}
    for name, c in col.items():
        ws.write_string(VISIT_HEADER, c, name, fmt.header)
        ws.set_column(c, c, _VISIT_WIDTHS.get(name, 12), column_fmt.get(name, fmt.text))
    ws.set_row(0, 22)
    first, last = 1, VISIT_ROWS

    def column(name: str, options: dict[str, Any]) -> None:
        ws.data_validation(first, col[name], last, col[name], options)

    lo, hi = issued - timedelta(days=366), issued + timedelta(days=366)
    column("日期", {"validate": "date", "criteria": "between",
                  "minimum": _serial(lo), "maximum": _serial(hi),
                  **_help("拜访日期", "拜访当天的日期，如 2026-11-05。"),
                  **_stop("拜访日期", f"请输入 {lo.isoformat()} 至 {hi.isoformat()} 之间的日期。")})
    column("业务员", {"validate": "list", "source": [who],
                   **_help("业务员", f"选择「{who}」。"), **_stop("业务员", f"这份模板只能填写「{who}」的拜访。")})
    if n_cards:
        ids = f"='客户档案'!$A${FIRST_ROW + 1}:$A${FIRST_ROW + n_cards}"  # this file's own IDs only
        column("客户编号", {"validate": "list", "source": ids,
                        **_help("客户编号", "从下拉列表选择你的客户；新客户（还没有编号）留空，填客户名称。"),
                        **_stop("客户编号", "只能选择「客户档案」中你的客户编号；新客户请留空并填写客户名称。")})
    else:
        column("客户编号", {"validate": "any", **_help("客户编号", "新客户（还没有编号）留空，填客户名称。")})
    column("客户名称", {"validate": "any",
                    **_help("客户名称", "已有客户可只选客户编号；新客户（还没有编号）填写客户全称。")})
    column("方式", {"validate": "list", "source": list(VISIT_METHODS),
                  **_help("拜访方式", "从下拉列表选择：" + "、".join(VISIT_METHODS) + "。"),
                  **_stop("拜访方式", "请从下拉列表中选择。")})
    column("内容", {"validate": "any", **_help("拜访内容", "谈了什么、客户的需求和问题。")})
    column("下次计划", {"validate": "any", **_help("下次计划", "下一步打算做什么、什么时候再联系。")})
    ws.freeze_panes(1, 0)
    # printable as a blank form: the header on every page, the first rows ruled (column borders)
    _print_setup(ws, f"{who} · 拜访记录　{issued.isoformat()} 发放", landscape=True)
    ws.repeat_rows(VISIT_HEADER)
    ws.print_area(0, 0, _PRINTED_VISIT_ROWS, len(VISIT_FIELDS) - 1)
    ws.protect("", {"format_columns": True, "format_rows": True})


#: Rows of the blank 拜访 sheet printed as a form to fill by hand (one page).
_PRINTED_VISIT_ROWS = 30


def _print_setup(ws: Worksheet, title: str, *, landscape: bool) -> None:
    """A4, one page wide (as many pages down as needed), the title in the page header and page
    numbers in the footer — what every sheet salesxl writes prints with (see
    :mod:`salesxl.io.printing` for the result sheets)."""
    ws.set_paper(9)
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.7, bottom=0.6)
    ws.center_horizontally()
    ws.set_header('&C&"-,Bold"&12' + title.replace("&", "&&"))
    ws.set_footer("&C第 &P 页，共 &N 页")


def _help_sheet(ws: Worksheet, fmt: _Formats, who: str, n_cards: int, issued: date, company: str) -> None:
    lines = [
        (f"{company + ' · ' if company else ''}客户档案模板 · 填写说明", True),
        (f"业务员：{who}　发放日期：{issued.isoformat()}　客户数：{n_cards}", False),
        ("这份文件只包含你自己负责的客户。请更新「客户档案」、填写「拜访」，完成后把文件原样交回办公室。", False),
        ("一、客户档案", True),
        ("· 白色格子可以修改：把客户名称、电话、地址等改成最新的情况；不清楚的留空，不要乱填。", False),
        ("· 灰色格子（表头、客户编号、业务员）不能修改；客户需要换业务员或删除，请直接告诉办公室。", False),
        ("· 客户性质从下拉列表选；统一社会信用代码 18 位，" + requirement_text(CUSTOMERS, "统一社会信用代码")
         + "；资产规模填数字（单位：元）；日期写成 2010-05-20 这样。", False),
        ("· 必须填写而还空着的格子显示为红色，请补上：新客户缺了这些整行不会被采纳，已有客户改了这一行也不会被采纳。", False),
        ("· 客户编号、统一社会信用代码、联系电话按文本保存，开头的 0 和后面的位数都不会丢，直接输入即可。", False),
        ("· 鼠标停在格子上会显示填写提示；输入不合规时 Excel 会提醒，请改正后再继续。", False),
        ("· 右边的客户特征、业务状况、交易活动各栏（服务区域、发展潜力、合作态度、信誉评价等）是客户档案卡的内容，"
         "拜访时了解到就填上；更新了档案内容，请把信息来源和更新日期也填上。", False),
        ("二、新增客户", True),
        (f"· 在已有客户下方的空行（共 {NEW_ROWS} 行）填写新客户：客户编号留空，办公室收回后统一编号；"
         + new_customer_rule() + "。", False),
        ("· 空行用完了还有新客户，请联系办公室再要一份模板。", False),
        ("三、拜访", True),
        ("· 每次拜访写一行：日期、业务员、客户编号（从下拉列表选）、方式、内容、下次计划。", False),
        ("· 拜访还没有编号的新客户时，客户编号留空，在客户名称里写客户全称。", False),
        ("四、交回", True),
        ("· 请用 Excel 或 WPS 保存为 .xlsx，不要改文件格式；不要删除、插入、移动或改名工作表、列和表头，"
         "也不要删除表头上方的行：版式与发放时不同的文件整份不会被合并，要在原模板上重新填写。", False),
        ("· 不要从其他文件整行粘贴：粘贴会绕过下拉和校验。", False),
        ("· 填好后把文件交回（发给）办公室。办公室合并时会核对你的修改；办公室在此期间也改过的内容，以办公室为准，"
         "并会告诉你。", False),
    ]
    ws.set_column(0, 0, 110)
    for row, (text, bold) in enumerate(lines):
        ws.write_string(row, 0, text, fmt.para_bold if bold else fmt.para)
        if not bold and len(text) > 55:
            ws.set_row(row, 30)
    _print_setup(ws, f"{who} · 填写说明　{issued.isoformat()} 发放", landscape=False)
    ws.protect("", {"format_columns": True, "format_rows": True})


def _meta_sheet(ws: Worksheet, meta: TemplateMeta) -> None:
    """The issue record, every cell a string (the batch compares canonical text with text)."""
    for r, row in enumerate(meta_rows(meta)):
        for c, value in enumerate(row):
            if value is not None:
                ws.write_string(r, c, str(value))
    ws.protect()
    ws.very_hidden()


def column_letter(field_name: str) -> str:
    """Excel letter of a CARD_FIELDS column of the template's 客户档案 (for tests and the batch)."""
    return xl_col_to_name(CARD_FIELDS.index(field_name))
