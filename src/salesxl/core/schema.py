"""The workbook contract (spec §2) as data: sheets, their fields, types and header aliases.

Everything that needs to know "which column is 金额" asks this module, so a header alias or a
new column is added in one place.  Field names are the canonical Chinese headers; they are also
the column names of the typed tables the reader returns.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum


class FieldType(StrEnum):
    TEXT = "text"
    AMOUNT = "amount"  # 元, exact to the fen; stored as int64 fen
    DATE = "date"  # stored as datetime64[s] at midnight
    INTEGER = "integer"
    NUMBER = "number"  # quantities, coordinates: float64
    RATE = "rate"  # 0–1 or "3%": float64 ratio, exact decimal kept as text for money use
    MONTH = "month"  # stored as the first day of the month (datetime64[s])
    # v1.1: a month, quarter or year (core/periods.py): the first day of the period, plus its
    # key (``2026-10``, ``2026Q4``, ``2026``) in the companion column ``_period``.
    PERIOD = "period"
    ENUM = "enum"  # text mapped to the canonical Chinese value when recognised


#: Type names in messages ("cannot read X as …").
TYPE_LABEL = {
    FieldType.TEXT: ("文本", "text"),
    FieldType.AMOUNT: ("金额", "an amount"),
    FieldType.DATE: ("日期", "a date"),
    FieldType.INTEGER: ("整数", "a whole number"),
    FieldType.NUMBER: ("数字", "a number"),
    FieldType.RATE: ("比例（如 0.03 或 3%）", "a rate (0.03 or 3%)"),
    FieldType.MONTH: ("月份（如 2026-10）", "a month (2026-10)"),
    FieldType.PERIOD: ("月份、季度或年份（如 2026-10、2026Q4、2026）", "a month, quarter or year (2026-10, 2026Q4, 2026)"),
    FieldType.ENUM: ("选项", "an option"),
}


@dataclass(frozen=True)
class Field:
    """One column of a sheet.  ``enum`` maps each accepted spelling to the canonical value."""

    name: str
    english: str
    type: FieldType = FieldType.TEXT
    required: bool = False
    out: bool = False
    enum: tuple[tuple[str, str], ...] = ()
    aliases: tuple[str, ...] = ()
    required_unless: tuple[str, tuple[str, ...]] | None = None
    """``(other field, values)``: required except on a row whose other field holds one of the
    values (统一社会信用代码 is required unless 客户性质 is 个人).  Validation, the office workbook
    and the salesperson template all read the rule from here."""

    @property
    def enum_values(self) -> tuple[str, ...]:
        """Canonical (Chinese) values, in contract order."""
        return tuple(dict.fromkeys(zh for zh, _ in self.enum))


@dataclass(frozen=True)
class SheetSchema:
    name: str
    english: str
    fields: tuple[Field, ...]
    aliases: tuple[str, ...] = ()
    by_name: dict[str, Field] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {f.name: f for f in self.fields})

    def field(self, name: str) -> Field:
        return self.by_name[name]


def requirement_text(sheet: SheetSchema, name: str, lang: str = "zh") -> str:
    """A conditionally required field's rule in words (its :attr:`Field.required_unless`):
    ``除客户性质为「个人」外，都须填写统一社会信用代码`` / ``USCC is required unless Nature is
    Individual`` — one sentence for validation messages, input messages and instructions."""
    f = sheet.field(name)
    if f.required_unless is None:
        return ("必填" if f.required else "选填") if lang != "en" else ("required" if f.required else "optional")
    other, values = f.required_unless
    if lang == "en":
        english: dict[str, str] = {}
        for zh, en in sheet.field(other).enum:
            english.setdefault(zh, en)
        shown = " or ".join(english.get(v, v) for v in values)
        return f"{f.english} is required unless {sheet.field(other).english} is {shown}"
    return f"除{other}为「{'」「'.join(values)}」外，都须填写{name}"


def _enum(*pairs: str) -> tuple[tuple[str, str], ...]:
    """``("政府机构", "Government", …)`` → pairs of (canonical Chinese, English)."""
    return tuple(zip(pairs[::2], pairs[1::2], strict=True))


F = Field
T = FieldType

NATURE = _enum(
    "政府机构", "Government", "特殊公司", "Special Company", "一般公司", "General Company",
    "个人", "Individual", "合作伙伴", "Partner",
)  # fmt: skip
RECEIPT_TYPE = _enum("预收", "Prepayment", "回款", "Payment", "退款", "Refund")
LEVEL = _enum("主要客户", "A", "一般客户", "B", "零散客户", "C")
STATUS = _enum("潜在客户", "Prospect", "新客户", "New", "现有客户", "Current", "流失客户", "Past")
GRADE = _enum("A", "A", "B", "B", "C", "C", "D", "D")
#: 价目表's 客户等级: the level letter, or the level's name (spec §2 价目表).
PRICE_LEVEL = _enum("A", "A", "B", "B", "C", "C", "A", "主要客户", "B", "一般客户", "C", "零散客户")
STOCK_TYPE = _enum("期初", "Opening", "入库", "Receipt", "出库", "Issue", "调整", "Adjustment")
QUALITY = _enum("合格", "Released", "待检", "Quarantine", "不合格", "Rejected")
CONTRACT_STATUS = _enum("执行中", "Active", "已完成", "Completed", "已终止", "Terminated")
POTENTIAL = _enum("高", "High", "中", "Medium", "低", "Low")
COMPANY_SIZE = _enum("大型", "Large", "中型", "Medium", "小型", "Small", "微型", "Micro")
ATTITUDE = _enum("积极", "Positive", "一般", "Neutral", "消极", "Negative")
REPUTATION = _enum("好", "Good", "中", "Fair", "差", "Poor")
INFO_SOURCE = _enum("业务员", "Salesperson", "客户填写", "Customer Form", "调查机构", "Agency")
YES_NO = _enum("是", "Yes", "否", "No", "是", "Y", "否", "N", "是", "True", "否", "False")

CUSTOMERS = SheetSchema(
    "客户档案",
    "Customers",
    (
        F("客户编号", "Customer ID", required=True),
        F("客户名称", "Customer Name", required=True),
        F("客户性质", "Nature", T.ENUM, required=True, enum=NATURE),
        F("统一社会信用代码", "USCC", aliases=("信用代码", "社会信用代码"), required_unless=("客户性质", ("个人",))),
        F("法定代表人", "Legal Representative", aliases=("法人", "法人代表")),
        F("负责人", "Owner"),
        F("经营经理", "Manager"),
        F("联系电话", "Phone", aliases=("电话", "手机", "Telephone", "Mobile")),
        F("地址", "Address"),
        F("省份", "Province", aliases=("省",)),
        F("城市", "City", aliases=("市",)),
        F("区县", "District"),
        F("行业", "Industry"),
        F("组织类型", "Organization Type"),
        F("资产规模", "Assets", T.AMOUNT),
        F("成立日期", "Founded", T.DATE),
        F("首次交易日期", "First Trade Date", T.DATE),
        F("业务员", "Salesperson", required=True, aliases=("销售员", "Sales Rep")),
        F("信用额度", "Credit Limit", T.AMOUNT),
        F("账期天数", "Payment Terms (days)", T.INTEGER, aliases=("账期", "Payment Terms")),
        F("纬度", "Latitude", T.NUMBER, aliases=("lat",)),
        F("经度", "Longitude", T.NUMBER, aliases=("lon", "lng")),
        F("片区", "Zone"),
        F("路线", "Route", out=True),
        F("拜访顺序", "Stop", T.INTEGER, out=True),
        F("客户等级", "Level", T.ENUM, out=True, enum=LEVEL),
        F("客户状态", "Status", T.ENUM, out=True, enum=STATUS),
        F("信用等级", "Credit Grade", T.ENUM, out=True, enum=GRADE),
        F("备注", "Notes"),
        # The card's other three content groups (v1.1; CARD_GROUPS below), its source and date.
        F("服务区域", "Service Area"),
        F("销售队伍", "Sales Force", T.INTEGER),
        F("发展潜力", "Potential", T.ENUM, enum=POTENTIAL),
        F("经营理念", "Philosophy"),
        F("经营方针", "Policies"),
        F("公司规模", "Size", T.ENUM, enum=COMPANY_SIZE),
        F("经营特点", "Traits"),
        F("主要竞争对手", "Competitors"),
        F("合作态度", "Attitude", T.ENUM, enum=ATTITUDE),
        F("人员素质", "Staff Quality"),
        F("经营现状", "Operations"),
        F("存在问题", "Problems"),
        F("应对计划", "Plan"),
        F("信誉评价", "Reputation", T.ENUM, enum=REPUTATION),
        F("信息来源", "Source", T.ENUM, enum=INFO_SOURCE),
        F("更新日期", "Last Updated", T.DATE),
    ),
)

#: The customer card's four content groups (spec §2 "The card's four content groups"), each
#: with its columns in the order of the spec's table: 25 columns, the denominator of a card's
#: completeness (档案完整度).
CARD_GROUPS: dict[str, tuple[str, ...]] = {
    "基本信息": ("客户名称", "地址", "联系电话", "负责人", "经营经理", "法定代表人", "成立日期",
             "首次交易日期", "组织类型", "行业", "资产规模"),
    "客户特征": ("服务区域", "销售队伍", "发展潜力", "经营理念", "经营方针", "公司规模", "经营特点"),
    "业务状况": ("主要竞争对手", "合作态度", "人员素质"),
    "交易活动": ("经营现状", "存在问题", "应对计划", "信誉评价"),
}

SALES = SheetSchema(
    "销售",
    "Sales",
    (
        F("日期", "Date", T.DATE, required=True),
        F("单号", "Doc No", required=True, aliases=("单据号", "Document No")),
        F("客户编号", "Customer ID", required=True),
        F("产品", "Product", required=True, aliases=("产品名称",)),
        F("规格", "Spec"),
        F("数量", "Qty", T.NUMBER, required=True, aliases=("Quantity",)),
        F("单价", "Unit Price", T.AMOUNT, aliases=("Price",)),
        F("金额", "Amount", T.AMOUNT),
        F("业务员", "Salesperson", aliases=("销售员", "Sales Rep")),
        F("到期日", "Due Date", T.DATE),
        F("合同编号", "Contract No", aliases=("合同号",)),  # v1.1: 合同
    ),
    aliases=("销售明细", "销售台账"),
)

RECEIPTS = SheetSchema(
    "收款",
    "Receipts",
    (
        F("日期", "Date", T.DATE, required=True),
        F("单号", "Doc No", required=True, aliases=("单据号", "Document No")),
        F("客户编号", "Customer ID", required=True),
        F("金额", "Amount", T.AMOUNT, required=True),
        F("类型", "Type", T.ENUM, required=True, enum=RECEIPT_TYPE),
        F("方式", "Method"),
    ),
    aliases=("收款明细",),
)

SHIPMENTS = SheetSchema(
    "发货",
    "Shipments",
    (
        F("日期", "Date", T.DATE, required=True),
        F("发货单号", "Shipment No", required=True),
        F("销售单号", "Doc No", required=True, aliases=("Sales Doc No",)),
        F("客户编号", "Customer ID", required=True),
        F("产品", "Product", required=True, aliases=("产品名称",)),
        F("规格", "Spec"),
        F("批号", "Batch No", required=True, aliases=("批次号", "Batch")),
        F("数量", "Qty", T.NUMBER, required=True, aliases=("Quantity",)),
        F("仓库", "Warehouse"),
    ),
    aliases=("发货明细",),
)

VISITS = SheetSchema(
    "拜访",
    "Visits",
    (
        F("日期", "Date", T.DATE, required=True),
        F("业务员", "Salesperson", required=True, aliases=("销售员", "Sales Rep")),
        F("客户编号", "Customer ID"),
        F("客户名称", "Customer Name"),
        F("方式", "Method"),
        F("内容", "Notes", aliases=("拜访内容",)),
        F("下次计划", "Next Step"),
    ),
    aliases=("拜访记录",),
)

EXPENSES = SheetSchema(
    "费用",
    "Expenses",
    (
        F("日期", "Date", T.DATE, required=True),
        F("业务员", "Salesperson", aliases=("销售员", "Sales Rep")),
        F("类别", "Category", required=True),
        F("金额", "Amount", T.AMOUNT, required=True),
        F("说明", "Description"),
    ),
    aliases=("费用明细",),
)

TARGETS = SheetSchema(
    "目标",
    "Targets",
    (
        F("月份", "Month", T.PERIOD, required=True, aliases=("期间", "Period")),
        F("业务员", "Salesperson", required=True, aliases=("销售员", "Sales Rep")),
        F("销售目标", "Sales Target", T.AMOUNT),
        F("回款目标", "Collection Target", T.AMOUNT),
        F("费用预算", "Expense Budget", T.AMOUNT),
        # v1.1: a row with either filled is a sub-target (细分目标), not part of the total.
        F("产品", "Product", aliases=("产品名称",)),
        F("省份", "Region", aliases=("省", "Province")),
    ),
)

SALESPEOPLE = SheetSchema(
    "业务员",
    "Salespeople",
    (
        F("业务员", "Salesperson", required=True, aliases=("销售员", "姓名", "Sales Rep")),
        F("片区", "Zone"),
        F("提成比例", "Commission Rate", T.RATE, aliases=("提成",)),
    ),
)

#: 信用政策: the terms each credit grade suggests (spec §3 "Credit grade").  salesxl writes the
#: default table when a workbook lacks it; after that the sales office edits it and salesxl only
#: reads it.
CREDIT_POLICY = SheetSchema(
    "信用政策",
    "Credit Policy",
    (
        F("信用等级", "Credit Grade", T.ENUM, required=True, enum=GRADE, aliases=("等级", "Grade")),
        F("额度月数", "Limit Months", T.NUMBER,
          aliases=("信用额度月数", "额度(月均销售月数)", "Credit Limit Months", "Limit (months of sales)")),
        F("账期天数", "Payment Terms (days)", T.INTEGER, aliases=("账期", "Payment Terms")),
        F("需预付款", "Prepayment Required", T.ENUM, enum=YES_NO,
          aliases=("预付款", "款到发货", "Prepayment")),
        F("说明", "Notes", aliases=("备注",)),
    ),
)

SETTINGS = SheetSchema(
    "参数",
    "Settings",
    (F("名称", "Name", required=True, aliases=("参数",)), F("值", "Value", required=True)),
)

PRICES = SheetSchema(
    "价目表",
    "Price List",
    (
        F("产品", "Product", required=True, aliases=("产品名称",)),
        F("规格", "Spec"),
        F("客户等级", "Level", T.ENUM, enum=PRICE_LEVEL, aliases=("等级",)),
        F("开始日期", "From", T.DATE, aliases=("起始日期",)),
        F("结束日期", "To", T.DATE, aliases=("截止日期",)),
        F("标准价", "List Price", T.AMOUNT, required=True, aliases=("标准单价",)),
        F("最低价", "Floor Price", T.AMOUNT, aliases=("最低单价", "底价")),
        F("成本价", "Unit Cost", T.AMOUNT, aliases=("成本", "单位成本")),
    ),
    aliases=("价格表",),
)

STOCK = SheetSchema(
    "库存",
    "Stock Card",
    (
        F("日期", "Date", T.DATE, required=True),
        F("仓库", "Warehouse", required=True),
        F("产品", "Product", required=True, aliases=("产品名称",)),
        F("规格", "Spec"),
        F("批号", "Batch No", required=True, aliases=("批次号", "Batch")),
        F("类型", "Type", T.ENUM, required=True, enum=STOCK_TYPE),
        F("数量", "Qty", T.NUMBER, required=True, aliases=("Quantity",)),
        F("单号", "Doc No", aliases=("单据号", "Document No")),
        F("结存", "Balance", T.NUMBER),
        F("质量状态", "Quality", T.ENUM, enum=QUALITY),
    ),
    aliases=("货卡",),
)

COUNTS = SheetSchema(
    "盘点",
    "Stock Count",
    (
        F("日期", "Date", T.DATE, required=True),
        F("仓库", "Warehouse", required=True),
        F("产品", "Product", required=True, aliases=("产品名称",)),
        F("规格", "Spec"),
        F("批号", "Batch No", required=True, aliases=("批次号", "Batch")),
        F("实盘数量", "Counted Qty", T.NUMBER, required=True, aliases=("盘点数量",)),
    ),
)

CONTRACTS = SheetSchema(
    "合同",
    "Contracts",
    (
        F("合同编号", "Contract No", required=True, aliases=("合同号",)),
        F("签订日期", "Signed", T.DATE, required=True),
        F("客户编号", "Customer ID", required=True),
        F("业务员", "Salesperson", aliases=("销售员", "Sales Rep")),
        F("合同金额", "Amount", T.AMOUNT, required=True),
        F("开始日期", "Start", T.DATE),
        F("结束日期", "End", T.DATE),
        F("状态", "Status", T.ENUM, enum=CONTRACT_STATUS),
    ),
)

#: All sheets of the contract, in the order they are read and reported.
SHEETS: dict[str, SheetSchema] = {
    s.name: s
    for s in (CUSTOMERS, SALES, RECEIPTS, SHIPMENTS, VISITS, EXPENSES, TARGETS, SALESPEOPLE,
              CREDIT_POLICY, SETTINGS, PRICES, STOCK, COUNTS, CONTRACTS)
}

_BRACKET_UNIT = re.compile(r"\([^()]*\)$")
_SPACES = re.compile(r"\s+")


def normalize_label(text: str) -> str:
    """Header/sheet-name key: full→half width, lower case, no spaces, no trailing ``(unit)``.

    ``金额（元）``, ``金额(元)`` and ``Amount (CNY)`` all reduce to the key of ``金额`` /
    ``Amount``; NFKC folds full-width letters, digits, brackets and the ideographic space.
    """
    key = unicodedata.normalize("NFKC", str(text)).strip().lower()
    key = _SPACES.sub("", key)
    stripped = _BRACKET_UNIT.sub("", key)
    return stripped or key


def header_keys(sheet: SheetSchema) -> dict[str, str]:
    """Normalised header spelling → canonical field name for ``sheet``."""
    keys: dict[str, str] = {}
    for f in sheet.fields:
        for spelling in (f.name, f.english, *f.aliases):
            keys.setdefault(normalize_label(spelling), f.name)
    return keys


def normalize_sheet_name(name: str) -> str:
    """Sheet-name key: surrounding half/full-width spaces ignored, English case-insensitive.

    Stricter than :func:`normalize_label` on purpose: a user's ``客户档案(旧)`` copy must not be
    mistaken for the live ``客户档案`` sheet.
    """
    return unicodedata.normalize("NFKC", str(name)).strip().lower()


def sheet_keys() -> dict[str, str]:
    """Normalised sheet name (Chinese, English, aliases) → canonical sheet name."""
    keys: dict[str, str] = {}
    for s in SHEETS.values():
        for spelling in (s.name, s.english, *s.aliases):
            keys.setdefault(normalize_sheet_name(spelling), s.name)
    return keys
