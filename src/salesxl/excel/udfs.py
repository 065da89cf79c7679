"""``SALESXL_*`` worksheet functions for desktop Excel (xlwings UDFs, Windows).

This module is only the Excel face: the ``@xw.func``/``@xw.arg``/``@xw.ret`` decorators, which
tell xlwings how to pass each argument and how to return the answer, around the pure,
vectorised logic in :mod:`salesxl.core.worksheet_functions` (which never imports xlwings and
is what the tests exercise in depth).  Point the workbook's ``xlwings.conf`` sheet (or the
xlwings ribbon's *UDF Modules*) at ``salesxl.excel.udfs`` and click *Import Python UDFs*.

Every range argument is declared ``ndim=2``, so a single cell, a row, a column and a block all
arrive as a list of lists and the answer keeps the range's orientation (a column in, a column
out).  Answers are lists of lists of ``bool``/``float``/``str``/``None``: on Excel 365/2021 a
formula in one cell spills them as a native dynamic array.  xlwings' own documentation says
not to use ``@xw.ret(expand="table")`` where native dynamic arrays exist, so it is off by
default; for Excel 2016/2019, which have none, set the environment variable
``SALESXL_UDF_EXPAND=table`` for the UDF server to get xlwings' legacy auto-resizing arrays
instead (or select the output range and enter the formula with Ctrl+Shift+Enter).

Nothing here raises into Excel: a problem is a ``#错误: …`` string in the cell.

Verified on Linux: the decorators' metadata (via xlwings' real ``udfs.xlfunc`` decorators) and
each function through xlwings' own conversion pipeline (``xlwings.conversion.read``/``write``
with these options).  Needs Windows Excel: the COM UDF server itself, the generated VBA
wrappers, and how a spilled array looks.
"""

from __future__ import annotations

import os
from typing import Any

import xlwings as xw

from salesxl.core import worksheet_functions as wf

__all__ = [
    "SALESXL_AGING",
    "SALESXL_AMOUNT",
    "SALESXL_BALANCE",
    "SALESXL_LEVEL",
    "SALESXL_PHONE_VALID",
    "SALESXL_STOCK",
    "SALESXL_PRICE",
    "SALESXL_USCC_VALID",
]

#: Category shown in Excel's function wizard.
CATEGORY = "salesxl"

#: Options of every range argument: always a list of lists, whatever the range's shape.
RANGE = {"ndim": 2}

#: Options of every answer: native dynamic arrays unless legacy expansion is asked for.
ANSWER: dict[str, Any] = {"expand": "table"} if os.environ.get("SALESXL_UDF_EXPAND") == "table" else {}


@xw.func(category=CATEGORY)
@xw.arg("values", doc="要检查的单元格或区域（统一社会信用代码）", **RANGE)
@xw.ret(**ANSWER)
def SALESXL_USCC_VALID(values: Any) -> Any:
    """统一社会信用代码是否有效（18 位，校验码符合 GB 32100-2015）：每个单元格返回 TRUE/FALSE，空单元格返回空。"""
    return wf.uscc_valid(values)


@xw.func(category=CATEGORY)
@xw.arg("values", doc="要检查的单元格或区域（联系电话）", **RANGE)
@xw.ret(**ANSWER)
def SALESXL_PHONE_VALID(values: Any) -> Any:
    """联系电话是否有效（手机、带区号的座机及分机、400/800）：每个单元格返回 TRUE/FALSE，空单元格返回空。"""
    return wf.phone_valid(values)


@xw.func(category=CATEGORY)
@xw.arg("values", doc="金额单元格或区域，可含 1.2万、¥1,234、1,234.50 等写法", **RANGE)
@xw.ret(**ANSWER)
def SALESXL_AMOUNT(values: Any) -> Any:
    """把金额（1.2万、¥1,234、1,234.50、数字）换算为元，精确到分；无法识别时返回 #错误。"""
    return wf.amount(values)


@xw.func(category=CATEGORY)
@xw.arg("net_sales", doc="每个客户的净销售额（一行一个客户）", **RANGE)
@xw.arg("ids", doc="可选：对应的客户编号，净销售额相同时按编号排序", **RANGE)
@xw.arg("a_share", doc="可选：A类累计占比，默认 0.80")
@xw.arg("b_share", doc="可选：B类累计占比，默认 0.95")
@xw.ret(**ANSWER)
def SALESXL_LEVEL(net_sales: Any, ids: Any = None, a_share: Any = None, b_share: Any = None) -> Any:
    """客户等级 A/B/C：按净销售额帕累托排序，累计占比前 80% 为 A、至 95% 为 B、其余为 C。"""
    return wf.level(net_sales, ids, a_share, b_share)


@xw.func(category=CATEGORY)
@xw.arg("dates", doc="单据日期区域", **RANGE)
@xw.arg("amounts", doc="对应的未清金额区域", **RANGE)
@xw.arg("as_of", doc="截止日期")
@xw.arg("buckets", doc="可选：账龄分段，如 \"30,60,90,180,365\"")
@xw.ret(**ANSWER)
def SALESXL_AGING(dates: Any, amounts: Any, as_of: Any, buckets: Any = None) -> Any:
    """账龄分段（0-30、31-60 … >365）：截止日期减单据日期的天数落在哪一段；金额为空或不为正、日期晚于截止日的行返回空。"""
    return wf.aging(dates, amounts, as_of, buckets)


@xw.func(category=CATEGORY)
@xw.arg("customer_id", doc="客户编号（单元格或一列）", **RANGE)
@xw.arg("sales", doc="销售明细区域，第一行为表头", **RANGE)
@xw.arg("receipts", doc="收款明细区域，第一行为表头（可留空）", **RANGE)
@xw.arg("as_of", doc="可选：截止日期，默认今天")
@xw.ret(**ANSWER)
def SALESXL_BALANCE(customer_id: Any, sales: Any, receipts: Any = None, as_of: Any = None) -> Any:
    """客户的应收余额和预收余额（两列，元）：按预收冲应收规则，由销售与收款区域计算。"""
    return wf.balance(customer_id, sales, receipts, as_of)


@xw.func(category=CATEGORY)
@xw.arg("warehouse", doc="仓库（单元格或一列）", **RANGE)
@xw.arg("product", doc="产品（单元格或一列）", **RANGE)
@xw.arg("spec", doc="规格（单元格或一列，可为空）", **RANGE)
@xw.arg("batch", doc="批号（单元格或一列）", **RANGE)
@xw.arg("date", doc="可选：日期，默认今天（该日结束时的结存）")
@xw.arg("cards", doc="库存（货卡）区域，第一行为表头", **RANGE)
@xw.ret(**ANSWER)
def SALESXL_STOCK(warehouse: Any, product: Any, spec: Any, batch: Any, date: Any = None, cards: Any = None) -> Any:
    """货卡账面结存：该仓库、产品、规格、批号在该日结束时的结存数量（期初、入库加，出库减，调整按正负）。"""
    return wf.stock_balance(warehouse, product, spec, batch, date, cards)

@xw.func(category=CATEGORY)
@xw.arg("product", doc="产品（单元格或一列）", **RANGE)
@xw.arg("spec", doc="规格（可留空；一个单元格或每个产品一个）", **RANGE)
@xw.arg("level", doc="客户等级 A/B/C 或 主要客户/一般客户/零散客户（可留空）", **RANGE)
@xw.arg("day", doc="报价日期（一个单元格或每个产品一个）", **RANGE)
@xw.arg("price_list", doc="可选：价目表区域（第一行为表头）；留空时读本工作簿的「价目表」工作表", **RANGE)
@xw.arg("caller", doc="调用的单元格（由 Excel 自动传入，无需填写）")
@xw.ret(**ANSWER)
def SALESXL_PRICE(product: Any, spec: Any, level: Any, day: Any, price_list: Any = None, caller: Any = None) -> Any:
    """适用的标准价和最低价（两列，元）：按价目表"最具体者优先"的规则（规格、客户等级、期间），与校验所用规则相同。"""
    if price_list is None and caller is not None:
        try:
            price_list = caller.sheet.book.sheets["价目表"].used_range.options(ndim=2).value
        except Exception:  # noqa: BLE001 - no such sheet: the function says so in the cell
            return [[wf.ERROR_PREFIX + "请给出价目表区域，或在本工作簿中建立「价目表」工作表", None]]
    return wf.price(product, spec, level, day, price_list)
