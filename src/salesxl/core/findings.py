"""Findings: problems found in a workbook, as data.

A workbook with a hundred mistakes should produce a hundred findings in one run, each pointing
at the cell a user has to fix, not stop at the first one.  So nothing here raises: readers and
validators *return* lists of :class:`Finding`, much like beancount's error list or a
frictionless report.  A finding stores its code and parameters; the message is rendered in
Chinese (default) or English only when shown, so one run can feed both languages.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import StrEnum
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Code(StrEnum):
    """Every finding code of spec §4, and nothing else."""

    MISSING_SHEET = "missing-sheet"
    MISSING_COLUMN = "missing-column"
    MISSING_VALUE = "missing-value"
    BAD_TYPE = "bad-type"
    BAD_ENUM = "bad-enum"
    BAD_USCC = "bad-uscc"
    BAD_PHONE = "bad-phone"
    DUPLICATE_ID = "duplicate-id"
    DUPLICATE_DOC = "duplicate-doc"
    POSSIBLE_DUPLICATE = "possible-duplicate"
    UNKNOWN_CUSTOMER = "unknown-customer"
    UNKNOWN_SALESPERSON = "unknown-salesperson"
    UNKNOWN_DOC = "unknown-doc"
    DATE_ORDER = "date-order"
    AMOUNT_MISMATCH = "amount-mismatch"
    OUT_OF_RANGE = "out-of-range"
    SHIPMENT_MISMATCH = "shipment-mismatch"
    OVER_SHIPMENT = "over-shipment"
    NO_CACHED_VALUE = "no-cached-value"
    # v1.1: prices, stock, contracts, plans
    DUPLICATE_PRICE = "duplicate-price"
    NO_PRICE = "no-price"
    BELOW_FLOOR = "below-floor"
    PRICE_DEVIATION = "price-deviation"
    BALANCE_MISMATCH = "balance-mismatch"
    NEGATIVE_STOCK = "negative-stock"
    UNMATCHED_SHIPMENT = "unmatched-shipment"
    UNMATCHED_ISSUE = "unmatched-issue"
    QUALITY_HOLD = "quality-hold"
    COUNT_VARIANCE = "count-variance"
    UNKNOWN_CONTRACT = "unknown-contract"
    CONTRACT_MISMATCH = "contract-mismatch"
    OVER_CONTRACT = "over-contract"
    PLAN_MISMATCH = "plan-mismatch"


#: Codes that are warnings; every other code is an error.
WARNING_CODES = frozenset({
    Code.POSSIBLE_DUPLICATE, Code.NO_PRICE, Code.PRICE_DEVIATION, Code.COUNT_VARIANCE,
    Code.OVER_CONTRACT, Code.PLAN_MISMATCH,
})

SEVERITY_LABEL = {"zh": {"error": "错误", "warning": "警告"}, "en": {"error": "error", "warning": "warning"}}

#: What each code means, in a few words (zh, en): what a salesperson sees where a code would be
#: (the feedback workbook's 问题类型), the code itself at most in brackets after it.
CODE_TITLES: dict[Code, tuple[str, str]] = {
    Code.MISSING_SHEET: ("缺少工作表", "Missing sheet"),
    Code.MISSING_COLUMN: ("缺少必填列", "Missing column"),
    Code.MISSING_VALUE: ("必填项为空", "Required value missing"),
    Code.BAD_TYPE: ("值无法识别", "Unreadable value"),
    Code.BAD_ENUM: ("不是有效选项", "Not a valid option"),
    Code.BAD_USCC: ("统一社会信用代码有误", "Invalid USCC"),
    Code.BAD_PHONE: ("联系电话有误", "Invalid phone number"),
    Code.DUPLICATE_ID: ("编号重复", "Duplicate ID"),
    Code.DUPLICATE_DOC: ("单号重复", "Duplicate document number"),
    Code.POSSIBLE_DUPLICATE: ("可能是同一客户", "Possibly the same customer"),
    Code.UNKNOWN_CUSTOMER: ("客户编号不在客户档案中", "Unknown customer"),
    Code.UNKNOWN_SALESPERSON: ("业务员不在业务员表中", "Unknown salesperson"),
    Code.UNKNOWN_DOC: ("销售单号不存在", "Unknown sales document"),
    Code.DATE_ORDER: ("日期先后有误", "Dates out of order"),
    Code.AMOUNT_MISMATCH: ("金额与数量×单价不符", "Amount differs from quantity × price"),
    Code.OUT_OF_RANGE: ("超出允许范围", "Out of range"),
    Code.SHIPMENT_MISMATCH: ("发货与销售单不符", "Shipment does not match the sale"),
    Code.OVER_SHIPMENT: ("超量发货", "Over-shipment"),
    Code.NO_CACHED_VALUE: ("公式没有计算结果", "Formula without a cached value"),
    Code.DUPLICATE_PRICE: ("价目表重复", "Duplicate price row"),
    Code.NO_PRICE: ("价目表中没有价格", "No price on the price list"),
    Code.BELOW_FLOOR: ("低于最低价", "Below the floor price"),
    Code.PRICE_DEVIATION: ("偏离标准价", "Price deviates from list"),
    Code.BALANCE_MISMATCH: ("货卡结存不符", "Stock card balance differs"),
    Code.NEGATIVE_STOCK: ("库存为负", "Negative stock"),
    Code.UNMATCHED_SHIPMENT: ("发货没有对应出库", "Shipment without matching issue"),
    Code.UNMATCHED_ISSUE: ("出库没有对应发货", "Issue without a shipment"),
    Code.QUALITY_HOLD: ("批次未放行", "Batch on quality hold"),
    Code.COUNT_VARIANCE: ("盘点有差异", "Stock count variance"),
    Code.UNKNOWN_CONTRACT: ("合同编号不存在", "Unknown contract"),
    Code.CONTRACT_MISMATCH: ("合同不属于该客户", "Contract of another customer"),
    Code.OVER_CONTRACT: ("超合同金额", "Over the contract amount"),
    Code.PLAN_MISMATCH: ("计划与分解不符", "Plan differs from its breakdown"),
}


def code_title(code: Code, lang: str = "zh") -> str:
    """``统一社会信用代码有误（bad-uscc）``: the meaning of ``code``, the code in brackets."""
    zh, en = CODE_TITLES[code]
    return f"{en} ({code.value})" if lang == "en" else f"{zh}（{code.value}）"


# Message templates.  ``{field}``, ``{value}`` and the finding's params are available.  The
# Chinese is written for a sales administrator: say what is wrong and what to do.
MESSAGES: dict[Code, tuple[str, str]] = {
    Code.MISSING_SHEET: (
        "缺少工作表「{field}」（也可用英文名 {english}）",
        "Sheet '{field}' ({english}) is missing",
    ),
    Code.MISSING_COLUMN: (
        "工作表缺少必填列「{field}」（也可用英文表头 {english}）",
        "Required column '{field}' ({english}) is missing",
    ),
    Code.MISSING_VALUE: (
        "「{field}」是必填项，不能为空{hint}",
        "'{field_en}' is required and must not be blank{hint_en}",
    ),
    Code.BAD_TYPE: (
        "「{field}」的值「{value}」无法识别为{expected}",
        "'{field_en}': cannot read '{value}' as {expected_en}",
    ),
    Code.BAD_ENUM: (
        "「{field}」的值「{value}」不是有效选项，请改为以下之一：{allowed}",
        "'{field_en}': '{value}' is not a valid option; use one of: {allowed_en}",
    ),
    Code.BAD_USCC: (
        "统一社会信用代码「{value}」无效：{reason}",
        "USCC '{value}' is invalid: {reason_en}",
    ),
    Code.BAD_PHONE: (
        "联系电话「{value}」不是有效的号码：应为已分配号段的 11 位手机号（可带 +86）、区号存在且本地号码"
        "位数正确的座机（如 010-62345678、0571-88123456，可带分机）或 400/800 电话",
        "Phone '{value}' is not a valid number: use an 11-digit mobile on an allocated prefix "
        "(optionally +86), a landline with a real area code and the right number of digits for it "
        "(010-62345678, 0571-88123456, optionally with an extension) or a 400/800 number",
    ),
    Code.DUPLICATE_ID: (
        "「{field}」{value}{scope}与第 {first_row} 行重复，须唯一：请修改或删除重复的行",
        "'{field_en}' {value}{scope_en} duplicates row {first_row}; it must be unique, so change "
        "or delete the repeated row",
    ),
    Code.DUPLICATE_DOC: (
        "「{field}」{value} 与第 {first_row} 行重复，每笔单据（收款、合同）的编号须唯一：请修改编号或删除重复的行",
        "'{field_en}' {value} duplicates row {first_row}; each receipt or contract needs its own "
        "number, so change it or delete the repeated row",
    ),
    Code.POSSIBLE_DUPLICATE: (
        "可能与第 {first_row} 行（客户编号 {other_id}）是同一客户：{reason}。"
        "如是同一客户请合并为一张客户卡，否则可忽略此提示",
        "Possibly the same customer as row {first_row} (Customer ID {other_id}): {reason_en}. "
        "Merge the two cards if so; otherwise ignore this warning",
    ),
    Code.UNKNOWN_CUSTOMER: (
        "客户编号 {value} 不在客户档案中：请更正编号，或先在客户档案中建档",
        "Customer ID {value} is not on the Customers sheet: correct it, or add the customer "
        "there first",
    ),
    Code.UNKNOWN_SALESPERSON: (
        "业务员「{value}」不在业务员表中：请核对姓名，或在业务员表中添加此人",
        "Salesperson '{value}' is not on the Salespeople sheet: check the name, or add them there",
    ),
    Code.UNKNOWN_DOC: (
        "销售单号 {value} 在销售表中不存在：请核对单号",
        "Sales document {value} is not on the Sales sheet: check the number",
    ),
    Code.DATE_ORDER: (
        "「{field}」{value} {reason}：请核对日期",
        "'{field_en}' {value}: {reason_en}; please check the date",
    ),
    Code.AMOUNT_MISMATCH: (
        "金额 {value} 与 数量×单价 = {expected} 不符（相差 {diff}）：请核对数量、单价或金额",
        "Amount {value} differs from Qty × Unit Price = {expected} (by {diff}): check the "
        "quantity, unit price or amount",
    ),
    Code.OUT_OF_RANGE: (
        "「{field}」的值 {value} 不在允许范围内：{reason}",
        "'{field_en}' {value} is out of range: {reason_en}",
    ),
    Code.SHIPMENT_MISMATCH: (
        "发货与销售单 {doc} 不符：{reason}。请核对销售单号、客户编号、产品和规格",
        "Shipment does not match sales document {doc}: {reason_en}. Check the doc number, "
        "customer, product and spec",
    ),
    Code.OVER_SHIPMENT: (
        "超量发货：销售单 {doc} 的「{product}」{spec}累计发货 {shipped}，超过销售数量 {sold}",
        "Over-shipment: {shipped} of '{product}'{spec_en} shipped in total on sales document "
        "{doc}, more than the {sold} sold",
    ),
    Code.NO_CACHED_VALUE: (
        "公式 没有计算结果（缓存值），请在 Excel 中打开并保存后重试",
        "Formula has no cached value: open and save the workbook in Excel, then retry",
    ),
    # v1.1.  The params named here are what the checks supply; see each rule's module.
    Code.DUPLICATE_PRICE: (
        "与价目表第 {first_row} 行的产品、规格、客户等级和期间相同，无法确定适用哪一行：请删除或修改其中一行",
        "Same product, spec, level and period as price-list row {first_row}: it is ambiguous "
        "which applies, so delete or change one of them",
    ),
    Code.NO_PRICE: (
        "价目表中没有「{product}」{spec}适用于客户等级 {level} 在 {date} 的价格：请补充价目表或核对产品名称",
        "No price-list row for '{product}'{spec_en} at level {level} on {date}: add one or check "
        "the product name",
    ),
    Code.BELOW_FLOOR: (
        "单价 {unit_price} 低于最低价 {floor}（价目表第 {price_row} 行）：请核对价格或走特价审批",
        "Unit price {unit_price} is below the floor price {floor} (price-list row {price_row}): check "
        "the price or get a special-price approval",
    ),
    Code.PRICE_DEVIATION: (
        "单价 {unit_price} 偏离标准价 {list_price} 达 {deviation}，超过允许的 {limit}（价目表第 {price_row} 行）",
        "Unit price {unit_price} deviates from the list price {list_price} by {deviation}, more "
        "than the {limit} allowed (price-list row {price_row})",
    ),
    Code.BALANCE_MISMATCH: (
        "货卡结存 {value} 与按收发计算的结存 {expected} 不符：请核对本行及之前的收发记录",
        "Written balance {value} differs from the running balance {expected}: check this and "
        "the earlier movements of the card",
    ),
    Code.NEGATIVE_STOCK: (
        "本次{kind} {value} 后结存为 {balance}，库存不能为负：请核对数量或补记入库",
        "After this {kind_en} of {value} the balance is {balance}; stock cannot go below zero: "
        "check the quantity or record the missing receipt",
    ),
    Code.UNMATCHED_SHIPMENT: (
        "发货单 {value} 没有对应的出库记录：{reason}",
        "Shipment {value} is not matched by issues on the stock card: {reason_en}",
    ),
    Code.UNMATCHED_ISSUE: (
        "出库单号 {value} 不是任何一张发货单的发货单号：请核对单号",
        "Issue doc no {value} is no shipment's number: check it",
    ),
    Code.QUALITY_HOLD: (
        "批号 {value} 在 {date} 的质量状态为「{quality}」，不能发货：请待检验合格放行后再发",
        "Batch {value} is '{quality_en}' on {date} and may not ship: wait until it is released",
    ),
    Code.COUNT_VARIANCE: (
        "实盘数量 {value} 与账面 {book} 相差 {variance}（{kind}）：请复盘并查明原因",
        "Counted {value} differs from the book quantity {book} by {variance} ({kind_en}): "
        "recount and find the cause",
    ),
    Code.UNKNOWN_CONTRACT: (
        "合同编号 {value} 不在合同表中：请核对编号，或先在合同表中登记",
        "Contract {value} is not on the Contracts sheet: check it, or register the contract first",
    ),
    Code.CONTRACT_MISMATCH: (
        "合同 {value} 属于客户 {owner}，不是本行的客户 {customer}：请核对合同编号或客户编号",
        "Contract {value} belongs to customer {owner}, not to this line's customer {customer}: "
        "check the contract or the customer",
    ),
    Code.OVER_CONTRACT: (
        "合同 {contract} 已执行 {executed}，超过合同金额 {value}：请核对销售单或补签合同",
        "Contract {contract}: {executed} executed, more than its amount {value}; check the sales "
        "lines or sign an amendment",
    ),
    Code.PLAN_MISMATCH: (
        "{period} 的销售目标 {value} 与其分解（{parts}）合计 {total} 不符：请调整计划或分解",
        "The {period} sales target {value} differs from its parts ({parts}) totalling {total}: "
        "adjust the plan or its breakdown",
    ),
}


@lru_cache(maxsize=256)
def _english_field(name: str | None) -> str:
    """The English header of a canonical field name (``客户编号`` → ``Customer ID``)."""
    from salesxl.core.schema import SHEETS  # schema is data only; imported late to stay light

    for sheet in SHEETS.values():
        if name in sheet.by_name:
            return sheet.by_name[name].english
        if name == sheet.name:
            return sheet.english
    return name or ""


class _Default(dict):
    """Leaves unknown placeholders visible instead of raising while formatting a message."""

    def __missing__(self, key: str) -> str:
        return ""


class Finding(BaseModel):
    """One problem at one place in a workbook.

    ``row`` is Excel's 1-based row number and ``column`` the Excel letter, exactly as the user
    sees them (``None`` for a whole missing sheet or column).  ``field`` is the canonical
    Chinese header.  ``value`` is the cell's text as read.
    """

    model_config = ConfigDict(frozen=True)

    sheet: str
    row: int | None = None
    column: str | None = None
    field: str | None = None
    value: str | None = None
    code: Code
    params: dict[str, Any] = {}

    @property
    def severity(self) -> Severity:
        return Severity.WARNING if self.code in WARNING_CODES else Severity.ERROR

    def message(self, lang: str = "zh") -> str:
        """The message for a user, in Chinese (``zh``) or English (``en``)."""
        zh, en = MESSAGES[self.code]
        values = _Default(self.params)
        values.setdefault("field", self.field or "")
        values.setdefault("field_en", _english_field(self.field))
        values.setdefault("value", self.value if self.value is not None else "")
        return (en if lang == "en" else zh).format_map(values)

    def to_json(self, lang: str = "zh") -> dict[str, Any]:
        """The finding as spec §5's JSON object."""
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "field": self.field,
            "value": self.value,
            "severity": self.severity.value,
            "code": self.code.value,
            "message": self.message(lang),
        }


def count(findings: Iterable[Finding]) -> tuple[int, int]:
    """(errors, warnings) among ``findings``."""
    errors = warnings = 0
    for f in findings:
        if f.severity is Severity.ERROR:
            errors += 1
        else:
            warnings += 1
    return errors, warnings


class FindingCounts:
    """``errors`` and ``warnings`` of the ``findings`` a result holds (validation reports,
    returned templates, merged files: one definition of what counts as which)."""

    findings: Sequence[Finding]

    @property
    def errors(self) -> int:
        return count(self.findings)[0]

    @property
    def warnings(self) -> int:
        return count(self.findings)[1]
