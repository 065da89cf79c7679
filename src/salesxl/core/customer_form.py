"""The customer's own form (客户信息表): what it holds, what it records, and how its answers
become rows for the office to review.  No file I/O here.

A customer archive is gathered three ways: by salespeople on visits, by a form the customer fills
in, and by an investigation agency.  The form (``salesxl template customer``,
:mod:`salesxl.io.customer_form`) is handed to one customer, pre-filled with that customer's own
basic data, and comes back through ``salesxl batch``.  Customers may withhold or inflate figures,
so nothing they write is applied directly: every answer that differs from the archive becomes a
row of the master's 待审核 sheet, the office marks it 同意 or 驳回, and ``salesxl review`` applies
the approved ones (信息来源 = 客户填写) with a 变更记录 row each.

**What the form asks** (:data:`FORM_FIELDS`) — only what a customer can answer about itself:
its name, registration and contacts, address, industry, organisation type, assets, founding
date; its service area, sales force, size, philosophy, policies, traits and current operations.

**What it never holds** (:data:`INTERNAL_FIELDS`): the office's classification and terms
(客户性质, 客户等级, 客户状态, 信用等级, 信用额度, 账期天数), its own records (首次交易日期, 业务员,
片区, 路线, 拜访顺序, 纬度, 经度, 备注, 信息来源, 更新日期) and the salesperson's assessments
(发展潜力, 主要竞争对手, 合作态度, 人员素质, 存在问题, 应对计划, 信誉评价) — neither their
values nor their names.  客户编号 is shown as the form's reference number.  No other customer's
data is ever written (a test reads every part of the file).

The form records in a very hidden sheet (:data:`~salesxl.core.templates.META_SHEET`, like the
salesperson template) its kind (:data:`FORM_KIND`), the customer, the issue time and, per field,
the issued value and the cell the answer is in, so the batch can tell the form apart from a
salesperson's template and read the answers wherever the layout put them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from salesxl.core.findings import Finding
from salesxl.core.schema import CUSTOMERS
from salesxl.core.templates import SNAPSHOT_HEADER_ROW

#: The meta key that says what a workbook is, and its value for the customer's form.
KIND_KEY = "表单类型"
FORM_KIND = "客户信息表"
FORM_VERSION = 1

#: (section, ((field, label on the form, how to fill it), …)), in the form's order.  The labels
#: are the words a customer's clerk uses, not the archive's column names.
FORM_SECTIONS: tuple[tuple[str, tuple[tuple[str, str, str], ...]], ...] = (
    ("一、基本情况", (
        ("客户名称", "单位名称", "营业执照上的全称"),
        ("统一社会信用代码", "统一社会信用代码", "18 位，照营业执照填写"),
        ("法定代表人", "法定代表人", ""),
        ("负责人", "业务负责人", "与我公司往来的负责人"),
        ("经营经理", "经营经理", ""),
        ("联系电话", "联系电话", "手机 11 位，或「区号-号码」"),
        ("地址", "详细地址", "省市区县、街道、门牌号"),
        ("省份", "省份", "如 浙江省"),
        ("城市", "城市", "如 杭州市"),
        ("区县", "区县", "如 西湖区"),
        ("行业", "所属行业", ""),
        ("组织类型", "单位类型", "如 有限责任公司、股份有限公司、个体工商户"),
        ("资产规模", "资产总额（元）", "填数字，单位：元"),
        ("成立日期", "成立日期", "如 2010-05-20"),
    )),
    ("二、经营情况", (
        ("服务区域", "业务覆盖地区", "贵单位的业务覆盖哪些地区"),
        ("销售队伍", "销售人员（人）", "填整数"),
        ("公司规模", "企业规模", "从下拉列表选择：大型、中型、小型、微型"),
        ("经营理念", "经营理念", ""),
        ("经营方针", "经营方针", "当前的经营方向和重点"),
        ("经营特点", "经营特点", "经营上的特色"),
        ("经营现状", "目前经营情况", ""),
    )),
)
#: The fields the customer answers, in the form's order.
FORM_FIELDS: tuple[str, ...] = tuple(f for _, rows in FORM_SECTIONS for f, _, _ in rows)
#: The form's label of each field.
FORM_LABELS: dict[str, str] = {f: label for _, rows in FORM_SECTIONS for f, label, _ in rows}
#: Every other field of a card: never on the form, by value or by name (客户编号 aside, shown as
#: the form's reference number).
INTERNAL_FIELDS: tuple[str, ...] = tuple(f.name for f in CUSTOMERS.fields
                                         if f.name not in FORM_FIELDS and f.name != "客户编号")

#: Meta keys as written (Chinese) → :class:`FormMeta` attribute.
META_KEYS = {
    KIND_KEY: "kind",
    "表单版本": "version",
    "表单编号": "form_id",
    "客户编号": "customer_id",
    "发放时间": "issued_at",
    "母版": "master_name",
}
#: The snapshot table's header (row :data:`SNAPSHOT_HEADER_ROW` of the meta sheet).
SNAPSHOT_HEADER = ("字段", "发放时的值", "单元格")


class NotAForm(ValueError):
    """The workbook says it is a customer form, but its record cannot be read."""


@dataclass(frozen=True)
class FormMeta:
    """What a customer form was issued from: the customer, when, and per field the issued
    canonical text and the cell (``B7``) its answer is in."""

    customer_id: str
    issued_at: datetime
    master_name: str
    fields: Mapping[str, tuple[str | None, str]] = field(default_factory=dict)
    version: int = FORM_VERSION

    @property
    def form_id(self) -> str:
        """A fingerprint of the issue (the same issue gives the same id)."""
        doc = json.dumps([FORM_KIND, self.version, self.customer_id, self.issued_at.isoformat(), self.master_name,
                          {k: list(v) for k, v in sorted(self.fields.items())}], ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(doc.encode()).hexdigest()[:16]


def is_customer_form(rows: Sequence[Sequence[Any]]) -> bool:
    """Whether meta-sheet rows (row 1 first) are a customer form's (not a salesperson template's)."""
    for row in rows[: SNAPSHOT_HEADER_ROW - 1]:
        if len(row) >= 2 and isinstance(row[0], str) and row[0].strip() == KIND_KEY:
            return str(row[1] or "").strip() == FORM_KIND
    return False


def meta_rows(meta: FormMeta) -> list[list[Any]]:
    """The meta sheet's rows: key/value block, blank rows, then field | issued value | cell."""
    values = {"kind": FORM_KIND, "version": meta.version, "form_id": meta.form_id, "customer_id": meta.customer_id,
              "issued_at": meta.issued_at.isoformat(timespec="seconds"), "master_name": meta.master_name}
    rows: list[list[Any]] = [["键", "值"]]
    rows += [[key, values[attr]] for key, attr in META_KEYS.items()]
    rows += [[] for _ in range(SNAPSHOT_HEADER_ROW - 1 - len(rows))]
    rows.append(list(SNAPSHOT_HEADER))
    for name in FORM_FIELDS:
        if name in meta.fields:
            issued, cell = meta.fields[name]
            rows.append([name, issued, cell])
    return rows


def parse_meta(rows: Sequence[Sequence[Any]]) -> FormMeta:
    """A customer form's meta rows → :class:`FormMeta`; :class:`NotAForm` when unreadable."""
    kv: dict[str, Any] = {}
    for row in rows[: SNAPSHOT_HEADER_ROW - 1]:
        if len(row) >= 2 and isinstance(row[0], str) and row[0].strip() in META_KEYS:
            kv[META_KEYS[row[0].strip()]] = row[1]
    try:
        version = int(float(kv["version"]))
        issued = datetime.fromisoformat(str(kv["issued_at"]))
        customer = str(kv["customer_id"]).strip()
    except (KeyError, TypeError, ValueError) as exc:
        raise NotAForm("客户信息表的发放记录不完整") from exc
    if version != FORM_VERSION or not customer:
        raise NotAForm(f"客户信息表版本 {version} 不受支持")
    fields: dict[str, tuple[str | None, str]] = {}
    for row in rows[SNAPSHOT_HEADER_ROW:]:
        cells = [*row, None, None, None][:3]
        name, issued_text, cell = (None if c is None else str(c).strip() for c in cells)
        if name in FORM_FIELDS and cell:
            fields[name] = (issued_text or None, cell)
    if not fields:
        raise NotAForm("客户信息表的发放记录中没有字段")
    return FormMeta(customer, issued, str(kv.get("master_name") or ""), fields, version)


def cell_position(ref: str) -> tuple[int, int]:
    """``B7`` → (row index 6, column index 1), 0-based."""
    letters = "".join(ch for ch in ref if ch.isalpha()).upper()
    digits = "".join(ch for ch in ref if ch.isdigit())
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch) - 64
    if not letters or not digits:
        raise NotAForm(f"单元格地址无效：{ref}")
    return int(digits) - 1, col - 1


# --------------------------------------------------------------------------------------------
# A returned form and its rows for review


@dataclass
class ReturnedForm:
    """A returned customer form as the batch's worker read it (picklable)."""

    file: str
    sha256: str
    meta: FormMeta
    sheet: str
    values: dict[str, str | None]
    """Field → the answer's canonical text (:func:`salesxl.core.templates.canonical_text`)."""
    findings: list[Finding] = field(default_factory=list)
    """The reader's and validation's findings, at the form's own cells."""
    book: Any = None
    """The answers as a one-card 客户档案 (the reader's typed table), for validation."""

    @property
    def form_id(self) -> str:
        return self.meta.form_id

    def changed(self) -> list[str]:
        """The fields whose answer differs from the value issued, in the form's order."""
        return [f for f in FORM_FIELDS if f in self.values and self.values[f] != self.meta.fields.get(f, (None,))[0]]


#: Columns of the master's 待审核 sheet, in order.  审核 is the office's (同意 / 驳回);
#: 状态 and 处理时间 are written by ``salesxl review``.
REVIEW_COLUMNS: tuple[str, ...] = ("客户编号", "客户名称", "字段", "原值", "新值", "来源文件", "日期", "审核", "状态",
                                   "处理时间", "表单编号")
REVIEW_SHEET = "待审核"
APPROVE, REJECT = "同意", "驳回"
#: 状态 of a row that ``salesxl review`` has dealt with for good.
APPLIED, DISMISSED = "已采纳", "已驳回"
#: What 信息来源 says on a card after an approved change, and the 变更记录 业务员 of such a change.
SOURCE = "客户填写"
REVIEWER = "（客户填写，办公室审核）"


@dataclass(frozen=True)
class ReviewRow:
    """One answer for the office to review."""

    customer_id: str
    customer_name: str | None
    field: str
    old: str | None
    new: str | None
    file: str
    day: date
    form_id: str

    def cells(self) -> list[Any]:
        """The row's values in :data:`REVIEW_COLUMNS` order (审核, 状态, 处理时间 blank)."""
        return [self.customer_id, self.customer_name, self.field, self.old, self.new, self.file, self.day,
                None, None, None, self.form_id]


def review_rows(form: ReturnedForm, current: Mapping[str, str | None], *, day: date,
                errors: Sequence[Finding] = ()) -> tuple[list[ReviewRow], list[tuple[str, str | None, Finding]]]:
    """The rows a returned form adds to 待审核: every field the customer changed (against the
    value issued) whose answer is not what the archive already holds (``current``: field →
    canonical text now).  A change with an error finding (``errors``) is not queued: it comes
    back as ``(field, answer, finding)`` to report instead."""
    rows: list[ReviewRow] = []
    bad: list[tuple[str, str | None, Finding]] = []
    by_field: dict[str, Finding] = {}
    for f in errors:
        if f.field is not None:
            by_field.setdefault(f.field, f)
    name = current.get("客户名称")
    for fld in form.changed():
        new = form.values.get(fld)
        if fld in by_field:
            bad.append((fld, new, by_field[fld]))
            continue
        if new == current.get(fld):
            continue  # the archive already says so
        rows.append(ReviewRow(form.meta.customer_id, name, fld, current.get(fld), new, form.file, day, form.form_id))
    return rows, bad
