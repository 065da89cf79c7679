"""The office workbook ``销售管理.xlsm``: the contract's sheets, a 控制台 with buttons, the macros.

``salesxl template office`` builds it on demand; it is never committed.  What it holds:

* the contract's sheets (:data:`salesxl.core.schema.SHEETS`), empty, each header an Excel
  Table named like its sheet, so a sheet renamed by a user is still found by its Table;
  dropdowns for the enums, a Chinese input message on every header and column, number
  formats (``#,##0.00`` amounts, ``yyyy-mm-dd`` dates, ``@`` for code columns so that a
  客户编号 ``00123`` or an 18-digit 统一社会信用代码 is never turned into a number), frozen
  headers; 参数 holds the defaults of :class:`~salesxl.core.settings.Settings` and 信用政策 the
  default terms, so the office edits values instead of typing names;
* 控制台 (the first sheet): one button per action, each assigned to its own VBA Sub, and the
  named cells the actions read (:data:`NAMES`);
* ``xlwings.conf``: xlwings' standalone settings sheet (keys from A1 down, values in B), with
  ``UDF Modules`` set and the interpreter left for the user;
* the VBA project, written by :mod:`salesxl.excel.vba` from our committed ``vba/*.bas`` and the
  VBA that the *installed* xlwings package ships (``xlwings.bas``, and the ``Dictionary`` class
  that it needs on macOS), so the buttons' ``RunPython`` always matches the xlwings that runs
  the Python side.  Nothing of xlwings is imported: its files are only read.

The bytes are reproducible: XlsxWriter dates every zip entry 1980-01-01 when it works in
memory, the document's created time is fixed, and the VBA project has no timestamps or random
ids.  The same sources therefore give the same file, which the tests check.
"""

from __future__ import annotations

import importlib.util
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.utility import quote_sheetname
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from salesxl import __version__
from salesxl.core.classification import DEFAULT_TERMS
from salesxl.core.schema import SHEETS, TYPE_LABEL, Field, FieldType, SheetSchema, requirement_text
from salesxl.core.settings import Settings
from salesxl.errors import BadArguments, SalesxlError
from salesxl.excel import vba
from salesxl.io import files

__all__ = [
    "BUTTONS",
    "NAMES",
    "XlwingsMissing",
    "build_office_workbook",
    "office_vba_modules",
    "office_workbook_bytes",
    "our_vba_sources",
]

#: Where our own VBA sources live (committed, ASCII, one module per ``.bas``).
VBA_DIR = Path(__file__).with_name("vba")

CONSOLE = "控制台"
XLWINGS_CONF = "xlwings.conf"

#: The document's creation time, fixed so that two builds give the same bytes.
CREATED = datetime(2026, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Button:
    """One button of 控制台: its caption, the VBA Sub it runs and what it does."""

    caption: str
    macro: str
    entry: str  # salesxl.excel.buttons.<entry>(), for the record; the Sub holds the call
    description: str


BUTTONS: tuple[Button, ...] = (
    Button("校验", "Salesxl_Validate", "validate",
           "检查各工作表的必填项、编号、统一社会信用代码、电话、日期和金额；出错的单元格标色并加批注，问题列在「校验结果」。"),
    Button("分类", "Salesxl_Classify", "classify",
           "按截止日期计算客户等级、客户状态、信用等级、片区和拜访路线，填入「客户档案」。"),
    Button("冲销", "Salesxl_Offset", "offset",
           "预收冲应收：写出往来余额、账龄明细、核销明细和发货放行。"),
    Button("月报", "Salesxl_Summary", "summary",
           "生成「月份」的月度汇总：销售、回款、应收、新客户、按等级/产品/地区/业务员的构成。"),
    Button("对账单", "Salesxl_Statements", "statements",
           "为有往来的客户生成截至截止日期的对账单。"),
    Button("库存核对", "Salesxl_Stock", "stock",
           "货卡与盘点：按截止日期写出库存结存（各仓库、产品、批次的结存和质量状态）和盘点差异；与发货的核对见「校验」。"),
    Button("价格检查", "Salesxl_Prices", "prices",
           "按价目表检查「月份」每笔销售的价格（无价格、低于最低价、偏离标准价），生成价格分析工作簿（折让与毛利）。"),
    Button("合同执行", "Salesxl_Contracts", "contracts",
           "按截止日期统计各合同的已执行、剩余金额和执行率，标出即将到期和已逾期的合同；生成合同执行工作簿。"),
    Button("周报", "Salesxl_Weekly", "weekly",
           "截止日期所在周（留空为上周）每位业务员的拜访、签订合同、销售、回款、本月目标进度和下周待办；生成周报工作簿。"),
    Button("档案完整度", "Salesxl_Cards", "cards",
           "按截止日期检查每张客户档案卡填写的完整度、缺少的栏目和是否久未更新，写出「档案完整度」工作表。"),
    Button("回款预测", "Salesxl_Forecast", "forecast",
           "按各客户的付款习惯，预计截止日期后 8 周、3 个月每期的回款额及构成客户；生成回款预测工作簿。"),
    Button("导入函数", "Salesxl_ImportFunctions", "",
           "导入 salesxl 的工作表函数（SALESXL_AMOUNT 等，仅 Windows；需在信任中心勾选「信任对 VBA 工程对象模型的访问」）。"),
)

#: Named cells of 控制台 that the entry points read and write: name → (label, cell).  The
#: names are :mod:`salesxl.excel.gateway`'s ``AS_OF_NAME``, ``MONTH_NAME`` and ``STATUS_NAME``
#: (spelled out here so that building needs nothing of the gateway).
NAMES: dict[str, tuple[str, str]] = {
    "salesxl_as_of": ("截止日期", "C4"),
    "salesxl_month": ("月份", "C5"),
    "salesxl_status": ("运行状态", "C6"),
}

#: Text columns that hold codes: stored as text (``@``) so Excel keeps leading zeros and all
#: 18 characters of a USCC instead of turning them into a rounded number.
CODE_FIELDS = frozenset({"客户编号", "统一社会信用代码", "联系电话", "单号", "发货单号", "销售单号", "批号"})

#: One hint per (sheet, field) or field, appended to the column's input message.
HINTS: dict[tuple[str, str] | str, str] = {
    ("客户档案", "客户编号"): "每个客户唯一；按文本保存，开头的 0 不会丢。",
    "客户编号": "须是「客户档案」中已有的客户编号。",
    "统一社会信用代码": "18 位，末位校验码须正确（GB 32100-2015）；不可重复。",
    "联系电话": "手机 11 位（可带 +86），座机如 010-12345678（可带分机），或 400/800 号码。",
    ("客户档案", "业务员"): "须列在「业务员」工作表中。",
    "资产规模": "不小于 0。",
    "成立日期": "不晚于截止日期。",
    "首次交易日期": "不早于成立日期，不晚于截止日期。",
    "信用额度": "不小于 0；留空为 0（只能预付款）。",
    ("客户档案", "账期天数"): "不小于 0；留空为 30 天。",
    "纬度": "中国境内（3.8–53.6）；与经度都填或都不填。",
    "经度": "中国境内（73.5–135.1）；与纬度都填或都不填。",
    "片区": "留空时按业务员的片区，再按省份+城市。",
    ("销售", "单号"): "同一张单可占多行。",
    ("销售", "数量"): "不能为 0；负数表示退货。",
    ("销售", "金额"): "留空 = 数量 × 单价；填写时须与之相差不超过 0.01。",
    ("销售", "业务员"): "留空 = 客户的业务员。",
    "到期日": "留空 = 日期 + 客户的账期天数。",
    ("收款", "单号"): "每张收款单唯一。",
    ("收款", "金额"): "大于 0；退款也填正数，类型选「退款」。",
    ("发货", "销售单号"): "须是「销售」中的单号；产品、规格须与该单一致，累计发货不超过销售数量。",
    ("拜访", "客户编号"): "老客户填客户编号；潜在客户可只填客户名称。",
    ("目标", "月份"): "如 2026-10、2026Q4（季度）或 2026（年度）。",
    "提成比例": "0 到 1 之间，如 3% 或 0.03。",
    ("信用政策", "额度月数"): "信用额度 = 月均销售 × 该月数。",
    ("信用政策", "需预付款"): "是：款到发货。",
    ("参数", "名称"): "参数名称，见各行；公司名称、开户行、账号等用于对账单和催款函，留空则函中留出横线手填。",
    ("参数", "值"): "留空或删除该行则使用默认值。",
}

#: What each setting means, for the 说明 column of 参数 (ignored when read).
SETTING_NOTES: dict[str, str] = {
    "aging_buckets": "账龄分段的上限天数（含），逗号分隔：0–30、31–60、…、>365",
    "stop_shipment_days": "有应收逾期超过这么多天的客户，建议停止发货并催收",
    "level_months": "客户等级按截止日前这么多个月的净销售计算",
    "level_a_share": "按销售额从大到小累计，累计占比低于此值的为 A 类（主要客户）",
    "level_b_share": "累计占比低于此值的为 B 类（一般客户），其余为 C 类",
    "new_customer_days": "首次交易距截止日不足这么多天的为新客户",
    "active_days": "最近一次销售距截止日不足这么多天的为现有客户，否则为流失客户",
    "route_capacity": "每条拜访路线最多的客户数",
    "company_name": "公司全称，用于对账单、催款函和报表抬头",
    "bank_name": "收款账户的开户行，印在催款函上（如 中国工商银行上海浦东支行）",
    "bank_account": "收款账号，请以文本填写（超过 15 位的数字 Excel 会丢掉末几位）",
    "account_name": "收款账户户名；留空则用公司名称",
    "contact_person": "对账、催款的联系人",
    "contact_phone": "联系人的电话",
    "company_address": "公司地址，印在对账单和催款函上",
    "payment_days": "催款函的付款期限：函件日期（截止日）后这么多天",
    "reply_days": "对账单的回复期限：对账截止日后这么多天，逾期未回复视为无误",
}

_WIDTHS = {"统一社会信用代码": 22, "地址": 32, "客户名称": 24, "备注": 28, "内容": 36, "说明": 48,
           "下次计划": 24, "联系电话": 16}


class XlwingsMissing(SalesxlError):
    """The xlwings package (whose VBA the workbook embeds) is not installed."""


# --------------------------------------------------------------------------------------
# VBA
# --------------------------------------------------------------------------------------


def our_vba_sources() -> dict[str, str]:
    """Our committed ``.bas`` files: file name → text, in name order."""
    return {p.name: p.read_text(encoding="ascii") for p in sorted(VBA_DIR.glob("*.bas"))}


def xlwings_vba_dir() -> Path:
    """The installed xlwings package's directory, found without importing xlwings.

    Importing it would start its platform machinery (pywin32/appscript); the builder only
    needs two text files that the wheel ships.
    """
    spec = importlib.util.find_spec("xlwings")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        folder = Path(location)
        if (folder / "xlwings.bas").is_file():
            return folder
    raise XlwingsMissing(
        "需要 xlwings 才能生成带按钮的工作簿（其中的 VBA 取自已安装的 xlwings）：pip install 'salesxl[excel]'",
        "building the office workbook needs xlwings (its VBA comes from the installed package): "
        "pip install 'salesxl[excel]'",
    )


def office_vba_modules(sheet_codenames: Sequence[str]) -> list[vba.Module]:
    """The workbook's modules: ThisWorkbook, one per sheet, ours, xlwings and its Dictionary.

    ``Dictionary`` is the class xlwings' module uses on macOS instead of Scripting.Dictionary
    (xlwings' own standalone quickstart workbook carries it too); without it the project would
    not compile on a Mac.
    """
    folder = xlwings_vba_dir()
    modules = [vba.document_module("ThisWorkbook", vba.WORKBOOK_BASE)]
    modules += [vba.document_module(name) for name in sheet_codenames]
    modules += [vba.standard_module(text) for text in our_vba_sources().values()]
    modules.append(vba.standard_module(_read_text(folder / "xlwings.bas")))
    dictionary = folder / "addin" / "Dictionary.cls"
    if dictionary.is_file():
        modules.append(vba.class_module(_read_text(dictionary)))
    return modules


def _read_text(path: Path) -> str:
    return path.read_bytes().decode("cp1252")


# --------------------------------------------------------------------------------------
# The workbook
# --------------------------------------------------------------------------------------


class _Formats:
    """The few cell formats the workbook uses, made once."""

    def __init__(self, wb: Workbook) -> None:
        base = {"font_name": "等线", "font_size": 11, "valign": "vcenter"}
        self.text = wb.add_format({**base, "num_format": "@"})
        self.general = wb.add_format(base)
        self.amount = wb.add_format({**base, "num_format": "#,##0.00"})
        self.date = wb.add_format({**base, "num_format": "yyyy-mm-dd"})
        self.integer = wb.add_format({**base, "num_format": "0"})
        self.rate = wb.add_format({**base, "num_format": "0.00%"})
        self.coord = wb.add_format({**base, "num_format": "0.000000"})
        self.title = wb.add_format({**base, "bold": True, "font_size": 16})
        self.label = wb.add_format({**base, "bold": True, "align": "right"})
        self.input = wb.add_format({**base, "bg_color": "#FFF2CC", "border": 1, "num_format": "yyyy-mm-dd"})
        self.input_text = wb.add_format({**base, "bg_color": "#FFF2CC", "border": 1, "num_format": "@"})
        self.status = wb.add_format({**base, "border": 1, "num_format": "@"})
        self.note = wb.add_format({**base, "font_color": "#404040"})  # long lines overflow right
        self.heading = wb.add_format({**base, "bold": True, "font_size": 12})

    def for_field(self, f: Field) -> Any:
        if f.name in CODE_FIELDS:
            return self.text
        if f.name in ("纬度", "经度"):
            return self.coord
        return {
            FieldType.TEXT: self.text,
            FieldType.ENUM: self.text,
            FieldType.MONTH: self.text,  # "2026-10" stays as typed instead of becoming a date
            FieldType.PERIOD: self.text,  # "2026Q4", "2026" too
            FieldType.AMOUNT: self.amount,
            FieldType.DATE: self.date,
            FieldType.INTEGER: self.integer,
            FieldType.RATE: self.rate,
            FieldType.NUMBER: self.general,
        }[f.type]


def _message(sheet: SheetSchema, f: Field) -> str:
    """The Chinese input message of a column: required or not, the type, the rule."""
    if f.out:
        head = "由 salesxl 填写（也可手工填写）。"
    elif f.required:
        head = "必填。"
    elif f.required_unless:
        head = requirement_text(sheet, f.name) + "。"  # the contract's rule, as validation applies it
    else:
        head = "选填。"
    if f.type is FieldType.ENUM:
        kind = "从下拉列表选择：" + "、".join(f.enum_values) + "。"
    elif f.type is FieldType.AMOUNT:
        kind = "金额（元），如 1234.50、¥1,234 或 1.2万。"
    elif f.type is FieldType.DATE:
        kind = "日期，如 2026-03-05。"
    else:
        kind = TYPE_LABEL[f.type][0] + "。"
    hint = HINTS.get((sheet.name, f.name)) or HINTS.get(f.name, "")
    text = head + kind + hint
    assert len(text) <= 255, (sheet.name, f.name)
    return text


def _title(f: Field) -> str:
    title = f"{f.name} {f.english}"
    return title if len(title) <= 32 else f.name


def _width(f: Field) -> float:
    if f.name in _WIDTHS:
        return _WIDTHS[f.name]
    if f.type in (FieldType.DATE, FieldType.AMOUNT):
        return 14
    return max(10, 2 * len(f.name) + 4)


def _settings_rows() -> list[list[Any]]:
    """参数: one row per setting with a default (名称 = its Chinese title, 值 = the default).

    The company's details (公司名称, 开户行, 账号…) have an empty default: their rows are there
    with a blank 值 for the office to fill in (a blank one is no finding; the letters leave a
    line for it).
    """
    rows: list[list[Any]] = []
    defaults = Settings()
    for name, info in Settings.model_fields.items():
        value = getattr(defaults, name)
        if isinstance(value, tuple):
            value = ",".join(str(v) for v in value)
        elif isinstance(value, Decimal):
            value = float(value)
        if value in ("", None):
            value = None  # a company detail: a blank cell to fill in
        rows.append([info.title or name, value, SETTING_NOTES.get(name, "")])
    return rows


def _policy_rows() -> list[list[Any]]:
    return [
        [t.grade, float(t.months), t.terms_days, "是" if t.prepayment else "否", t.note]
        for t in DEFAULT_TERMS
    ]


def _contract_sheet(wb: Workbook, fmt: _Formats, sheet: SheetSchema, codename: str) -> Worksheet:
    """One contract sheet: an Excel Table over the header (and any default rows)."""
    ws = wb.add_worksheet(sheet.name)
    ws.set_vba_name(codename)
    fields = list(sheet.fields)
    rows: list[list[Any]] = []
    extra: list[str] = []
    if sheet.name == "参数":
        rows, extra = _settings_rows(), ["说明"]
    elif sheet.name == "信用政策":
        rows = _policy_rows()
    headers = [f.name for f in fields] + extra
    formats = [fmt.for_field(f) for f in fields] + [fmt.text] * len(extra)
    if sheet.name == "参数":
        formats[1] = fmt.general  # values of every kind: numbers stay numbers
    last_row = max(len(rows), 1)  # an empty Table still has one (blank) data row
    ws.add_table(0, 0, last_row, len(headers) - 1, {
        "name": sheet.name,
        "style": "Table Style Medium 2",
        "columns": [{"header": h, "format": f} for h, f in zip(headers, formats, strict=True)],
        **({"data": rows} if rows else {}),
    })
    if sheet.name == "参数":  # text values (账龄分段 "30,60,90,180,365") kept as text when edited:
        for r, row in enumerate(rows, start=1):  # Excel would read "30,600" as 30600
            if isinstance(row[1], str):
                ws.write_string(r, 1, row[1], fmt.text)
            elif row[1] is None:  # the company's details: 账号 and phones typed as text, all digits kept
                ws.write_blank(r, 1, None, fmt.text)
    for col, f in enumerate(fields):
        ws.set_column(col, col, _width(f), formats[col])
        message = {"input_title": _title(f), "input_message": _message(sheet, f)}
        ws.data_validation(0, col, 0, col, {"validate": "any", **message})
        if f.type is FieldType.ENUM:
            values = list(f.enum_values)
            ws.data_validation(1, col, 1048575, col, {
                "validate": "list", "source": values, **message,
                "error_type": "warning", "error_title": f.name,
                "error_message": "不在列表中：请从下拉列表选择（" + "、".join(values) + "）。"
                                 "英文写法也能识别；点「是」保留。",
            })
        else:
            ws.data_validation(1, col, 1048575, col, {"validate": "any", **message})
    for i, _ in enumerate(extra):
        col = len(fields) + i
        ws.set_column(col, col, _WIDTHS.get(headers[col], 20), fmt.text)
    ws.freeze_panes(1, 0)
    ws.set_landscape()
    ws.set_paper(9)
    ws.repeat_rows(0)
    return ws


def _console(wb: Workbook, fmt: _Formats) -> Worksheet:
    """控制台: the parameters the actions read, their status, one button per action."""
    ws = wb.add_worksheet(CONSOLE)
    ws.set_vba_name("Sheet1")
    ws.hide_gridlines(2)
    ws.set_column("A:A", 2)
    ws.set_column("B:B", 14)
    ws.set_column("C:C", 22)
    ws.set_column("D:D", 100)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.write("B1", "销售管理 · 控制台", fmt.title)
    ws.write("B2", "填好截止日期（月报和价格检查还要月份），点按钮运行；结果写回本工作簿或保存在它旁边。首次使用见下方说明。", fmt.note)
    quoted = quote_sheetname(CONSOLE)
    notes = {
        "salesxl_as_of": "各按钮计算到这一天（含），如 2026-10-31；留空为今天。周报取这一天所在的周（留空为上周）。",
        "salesxl_month": "月报和价格检查的月份，如 2026-10；留空为上个月。",
        "salesxl_status": "salesxl 在这里写上次运行的结果。",
    }
    for name, (label, cell) in NAMES.items():
        row = int(cell[1:]) - 1
        ws.write(row, 1, label, fmt.label)
        if name == "salesxl_as_of":
            ws.write_blank(cell, None, fmt.input)
            ws.data_validation(cell, {
                "validate": "date", "criteria": "between",
                "minimum": datetime(1990, 1, 1), "maximum": datetime(2099, 12, 31),
                "input_title": "截止日期", "input_message": notes[name],
                "error_title": "截止日期", "error_message": "请填写日期，如 2026-10-31；或留空表示今天。",
            })
        elif name == "salesxl_month":
            ws.write_blank(cell, None, fmt.input_text)
            ws.data_validation(cell, {"validate": "any", "input_title": "月份", "input_message": notes[name]})
        else:
            ws.write_string(cell, "尚未运行", fmt.status)
        ws.write(row, 3, notes[name], fmt.note)
        wb.define_name(name, f"={quoted}!${cell[0]}${cell[1:]}")

    first = 8  # 0-based row of the first button
    ws.write(first - 1, 1, "操作", fmt.heading)
    for i, button in enumerate(BUTTONS):
        row = first + 2 * i
        ws.set_row(row, 30)
        ws.insert_button(row, 1, {
            "macro": button.macro, "caption": button.caption,
            "width": 150, "height": 36, "x_offset": 4, "y_offset": 2,
        })
        ws.write(row, 3, button.description, fmt.note)
    row = first + 2 * len(BUTTONS) + 1
    ws.write(row, 1, "首次使用", fmt.heading)
    wheel = f"salesxl-{__version__}-py3-none-any.whl"
    # Each step ends with how to see that it worked: the office PC has no one to ask.
    steps = (
        "1. 安装 Python 3.11 或以上：从 python.org 下载 Windows 安装程序，安装时勾选「Add python.exe to PATH」。"
        "检查：在「命令提示符」中输入 py --version，显示 Python 3.11 或更高版本。",
        f"2. 安装 salesxl：在随本工作簿拿到的 {wheel} 所在文件夹打开「命令提示符」，输入 "
        f"py -m pip install \"{wheel}[excel]\"（需联网，会一并装上 xlwings 等）。"
        f"检查：输入 py -m salesxl --version，显示 salesxl {__version__}。",
        "3. 填写 Python 路径：输入 py -c \"import sys; print(sys.executable)\"，把显示的路径中的 python.exe 换成 "
        "pythonw.exe（运行时不弹黑窗口），填在「xlwings.conf」工作表 Interpreter_Win 右边（Mac 为 Interpreter_Mac）；"
        "留空则用 PATH 中的 python。不需要 xlwings addin install：本工作簿自带 xlwings 的宏。",
        "4. 打开本文件时点「启用内容」。若 Excel 提示已阻止来自互联网的宏：关闭文件，右键 > 属性 > 勾选「解除锁定」。"
        "检查：点「校验」按钮，控制台上显示「校验完成（截至 …）」。",
        "5. 数据填在各工作表的表格里（表头不要改名）；按钮运行时 Excel 须保持本文件打开，结果由 Excel 保存。",
    )
    for i, step in enumerate(steps, start=1):
        ws.write_string(row + i, 1, step, fmt.note)
    ws.activate()
    return ws


def _xlwings_conf(wb: Workbook, fmt: _Formats, codename: str) -> Worksheet:
    """xlwings' standalone settings sheet, laid out as xlwings' own quickstart writes it.

    xlwings reads keys from A1 down to the first blank cell (case-insensitive) and their
    values from column B; a key present with a blank value counts as set.  So only keys whose
    blank means "use the default" are listed blank — ``Interpreter_Win``/``Interpreter_Mac``
    (blank: fall back to ``python`` on the PATH), never the legacy ``Interpreter``, whose blank
    would stop that fallback.  Notes go below a blank row, where xlwings stops reading.
    """
    ws = wb.add_worksheet(XLWINGS_CONF)
    ws.set_vba_name(codename)
    ws.set_column("A:A", 18, fmt.text)
    ws.set_column("B:B", 60, fmt.text)
    settings: list[tuple[str, Any]] = [
        ("Interpreter_Win", None),
        ("Interpreter_Mac", None),
        ("PYTHONPATH", None),
        ("Conda Path", None),
        ("Conda Env", None),
        ("UDF Modules", "salesxl.excel.udfs"),
        ("Debug UDFs", False),
        ("Use UDF Server", False),
        ("Show Console", False),
    ]
    for row, (key, value) in enumerate(settings):
        ws.write_string(row, 0, key, fmt.text)
        if isinstance(value, bool):
            ws.write_boolean(row, 1, value)
        elif value is not None:
            ws.write_string(row, 1, value, fmt.text)
    notes = (
        "说明（xlwings 只读取 A1 起连续的设置行，下面的说明不影响设置）：",
        "Interpreter_Win：Windows 上 Python 的完整路径，如 C:\\Users\\张三\\AppData\\Local\\Programs\\Python\\Python312\\pythonw.exe；留空则用 PATH 中的 python。",
        "Interpreter_Mac：Mac 上 Python 的完整路径，如 /usr/local/bin/python3。",
        "PYTHONPATH：salesxl 不在该 Python 的环境中时，填其源码目录（多个用分号隔开）。",
        "Conda Path / Conda Env：用 conda 环境时，填 conda 安装目录和环境名，并把 Interpreter_Win 留空。",
        "UDF Modules：工作表函数所在的 Python 模块，保持 salesxl.excel.udfs。",
        "这些设置优先于用户目录下的 .xlwings\\xlwings.conf 和本文件所在目录的 xlwings.conf；删除某行则使用那里的设置或默认值。",
    )
    for i, note in enumerate(notes):
        ws.write_string(len(settings) + 1 + i, 0, note, fmt.heading if i == 0 else fmt.note)
    return ws


def office_workbook_bytes() -> bytes:
    """The complete ``.xlsm`` as bytes (the same bytes for the same sources)."""
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False,
                                      "strings_to_formulas": False, "strings_to_urls": False})
    wb.set_properties({
        "title": "销售管理", "subject": "salesxl 办公室工作簿", "author": "salesxl",
        "company": "", "comments": "由 salesxl template office 生成", "created": CREATED,
    })
    wb.set_vba_name("ThisWorkbook")
    wb.set_size(1600, 1000)
    fmt = _Formats(wb)
    _console(wb, fmt)
    codenames = ["Sheet1"]
    for i, sheet in enumerate(SHEETS.values(), start=2):
        codenames.append(f"Sheet{i}")
        _contract_sheet(wb, fmt, sheet, codenames[-1])
    codenames.append(f"Sheet{len(codenames) + 1}")
    _xlwings_conf(wb, fmt, codenames[-1])
    project = vba.build_vba_project(office_vba_modules(codenames))
    wb.add_vba_project(io.BytesIO(project), is_stream=True)
    wb.close()
    return buffer.getvalue()


def build_office_workbook(out: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Write the office workbook to ``out`` (``.xlsm``) and return its path.

    An existing file is kept unless ``force`` (and then backed up first): it may be the office's
    live workbook, full of a year's data, and a template must never replace it by accident.  The file is written
    next to its target and moved into place, so a failed build leaves nothing half-written.
    """
    path = Path(out)
    if path.suffix.lower() != ".xlsm":
        raise BadArguments(
            f"输出文件「{path.name}」应以 .xlsm 结尾（带按钮的工作簿含宏）",
            f"the output '{path.name}' must end in .xlsm (the workbook holds macros)",
        )
    if path.exists() and not force:
        raise BadArguments(
            f"「{path}」已存在，未覆盖；换一个文件名，或加 --force 覆盖",
            f"'{path}' exists and was not replaced; choose another name or add --force",
        )
    files.refuse_open(path)
    data = office_workbook_bytes()
    if path.exists():
        files.replace_existing(path, force=True)  # forced: the old file is backed up first
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise files.write_error(exc, path) from exc
    files.write_bytes(path, data)  # an existing file keeps its mode, a new one gets the user's
    return path

