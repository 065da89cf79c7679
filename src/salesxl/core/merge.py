"""Folding returned salesperson templates into the master archive: the exact rules, no file I/O.

``salesxl batch`` (:mod:`salesxl.batch`) reads each returned template in a worker process and
turns it into a :class:`Returned` (:func:`returned_from_book`: the template's rows as canonical
text, its validation findings, which fields the salesperson changed); the main process then
folds every :class:`Returned` into the master's state (:class:`MasterState`, built by
:func:`master_state` from the master's typed tables) with :func:`merge`.  Both halves are pure
functions of typed tables, so the rules below are tested without a single workbook.

Rules, per returned template (files in the order of their issue time, then file name):

* **Damaged templates.**  A template whose layout differs from the one issued (a sheet
  missing, a header deleted, renamed or moved: :func:`salesxl.core.templates.layout_problems`)
  is not merged at all — not one field, customer or visit — and the salesperson is told what
  differs and to use the issued file.  Read by header name, such a file is silently wrong: with
  客户编号 gone every card reads as a new customer, with 地址 renamed every address edit is lost.
* **Changed card fields.**  A field is changed when the returned canonical text
  (:func:`salesxl.core.templates.canonical_text`) differs from the issued snapshot.  Only
  :data:`~salesxl.core.templates.EDITABLE_FIELDS` can change; a changed 业务员 or an edited
  客户编号 is rejected.  A change is applied unless the master's current value differs from the
  issued one (the office changed it after issue) — then it is a **conflict**: the master keeps
  its value and the salesperson is told both values.  Two exceptions keep this exact rather
  than noisy: a returned value equal to the master's current value is no change at all, and a
  current value that this very issue (same template id) put there in an earlier batch or file
  — the salesperson returned a corrected copy — is superseded, not a conflict (变更记录 says
  who set it).  Fields are judged one by one: the other fields of the row still apply.
* **Whose customer.**  Only rows with something to do are judged: a card returned exactly as
  issued is skipped (not sent back by the worker at all).  A row whose customer the master now
  assigns to someone else (reassigned since issue), an ID that is not in the master, an ID the
  master holds twice, or an ID that was not in the issued template is rejected as a whole.
* **Rows with errors.**  A row is rejected with its findings when a field it changes (for a
  new customer: any field) has a validation error, or a change makes a field required that is
  blank (客户性质 changed from 个人 with no 统一社会信用代码); errors in untouched fields
  (inherited from the master) are reported but do not block the row.  The template states the
  same rule (:func:`salesxl.core.templates.new_customer_rule`, from the same schema).
* **New customers.**  A row with a blank 客户编号 and a 客户名称 is a new customer: it gets the
  next ID of the master's pattern (``KH00400`` → ``KH00401``, :func:`next_ids`) and the
  template's salesperson.  A row with a blank 客户编号 and no 客户名称 is rejected.  A new
  customer whose 统一社会信用代码, or whose name *and* phone, match a card already in the
  master (or created earlier in the batch) is rejected as already archived; one whose name
  matches a customer created from the same issue (a corrected copy sent again) is already
  recorded.  Either way a re-exported file cannot create it twice.
* **Visits** are appended to 拜访 with 业务员 forced to the template's salesperson (and a blank
  客户名称 filled from the card).  A visit naming a customer that is not the salesperson's in the
  master is rejected; a visit with only a 客户名称 that is one of the template's new customers
  gets the new ID; a visit identical to one already in the master is skipped as already
  recorded (a re-export applies nothing twice).

Every applied change is a :class:`LogRow` of 变更记录 (time, source file, salesperson,
customer, field, old, new, template id, batch): one per changed field, one per new customer
(field ``新建客户``), one per visit (field ``拜访``).

Where things live: this module holds the rules above (:func:`merge`, the outcomes it returns,
and the cell values written back into the master); the returned template's side is
:mod:`salesxl.core.returned`, the master's side :mod:`salesxl.core.master_state`, and the
canonical text and identity keys both compare with :mod:`salesxl.core.merge_keys`.  The names
of those modules are re-exported here, so ``from salesxl.core.merge import Returned`` works.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from salesxl.core.findings import Code, Finding, FindingCounts
from salesxl.core.master_state import (
    CONDITION_OF,
    KEY_FIELDS,
    CardColumns,
    IdAllocator,
    MasterState,
    master_state,
    next_ids,
)
from salesxl.core.merge_keys import (
    DEFAULT_ID_PREFIX,
    DEFAULT_ID_WIDTH,
    NEW_CUSTOMER_FIELD,
    VISIT_LOG_FIELD,
    Text,
    canonical_column,
    canonical_columns,
    card_kind,
    uscc_key,
    visit_key,
    visit_kind,
)
from salesxl.core.money import decimal_to_fen
from salesxl.core.returned import (
    Card,
    Returned,
    ReturnedBook,
    Visit,
    returned_from_book,
    returned_from_books,
)
from salesxl.core.schema import FieldType
from salesxl.core.templates import CARD_FIELDS, EDITABLE_FIELDS, VISIT_FIELDS, LayoutProblem

__all__ = [
    "DEFAULT_ID_PREFIX",
    "DEFAULT_ID_WIDTH",
    "NEW_CUSTOMER_FIELD",
    "REASONS",
    "VISIT_LOG_FIELD",
    "Card",
    "CardColumns",
    "Change",
    "Conflict",
    "FileMerge",
    "IdAllocator",
    "LogRow",
    "MasterState",
    "MergeResult",
    "Rejection",
    "Returned",
    "ReturnedBook",
    "Text",
    "Visit",
    "canonical_column",
    "canonical_columns",
    "cell_kind",
    "cell_value",
    "master_state",
    "merge",
    "next_ids",
    "returned_from_book",
    "returned_from_books",
    "visit_key",
]


# --------------------------------------------------------------------------------------------
# Outcomes


#: Why a row or field was not applied: code → (Chinese, English) message templates.
REASONS: dict[str, tuple[str, str]] = {
    "unknown-id": ("客户编号 {id} 不在客户档案中，未采纳", "Customer ID {id} is not in the archive; not applied"),
    "duplicated-id": ("客户编号 {id} 在客户档案中重复，须由公司先更正，未采纳",
                      "Customer ID {id} appears twice in the archive; the office must fix it first; not applied"),
    "not-issued": ("客户 {id} 不在发给你的模板中（客户编号被改动？），未采纳",
                   "Customer {id} was not in the template issued to you (was the ID edited?); not applied"),
    "reassigned": ("客户 {id} 在模板发放后已改由「{owner}」负责，未采纳",
                   "Customer {id} was reassigned to {owner} after the template was issued; not applied"),
    "not-yours": ("客户 {id} 由「{owner}」负责，不是你的客户，未采纳",
                  "Customer {id} belongs to {owner}, not to you; not applied"),
    "locked-field": ("「{field}」由公司分配，不能在模板中修改（你改为「{value}」），未采纳",
                     "'{field}' is assigned by the office and cannot be changed in the template (you wrote '{value}'); not applied"),
    "row-errors": ("此行有错误，整行未采纳：{messages}", "This row has errors and was not applied: {messages}"),
    "no-name": ("新客户须填写客户名称（客户编号留空由公司分配），此行未采纳",
                "A new customer needs a Customer Name (leave the ID blank: the office assigns it); not applied"),
    "already-archived": ("该新客户已在客户档案中（{id}，{how}相同），未重复建档",
                         "This new customer is already in the archive ({id}, same {how_en}); not created again"),
    "visit-unknown": ("拜访的客户编号 {id} 不在客户档案中，未采纳",
                      "The visited Customer ID {id} is not in the archive; not applied"),
    "visit-not-yours": ("拜访的客户 {id} 由「{owner}」负责，不是你的客户，未采纳",
                        "The visited customer {id} belongs to {owner}, not to you; not applied"),
}


@dataclass(frozen=True)
class Rejection:
    """A row, or one field of a row, that was not applied, and why."""

    sheet: str
    row: int
    customer_id: Text
    field: str | None
    value: Text
    code: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)  # ``field`` is an attribute here
    findings: tuple[Finding, ...] = ()

    def message(self, lang: str = "zh") -> str:
        zh, en = REASONS[self.code]
        params = dict(self.params)
        params.setdefault("id", self.customer_id or "")
        params.setdefault("field", self.field or "")
        params.setdefault("value", self.value or "")
        if self.findings:
            params["messages"] = "；".join(f.message(lang) for f in self.findings) if lang != "en" else \
                "; ".join(f.message(lang) for f in self.findings)
        return (en if lang == "en" else zh).format(**params)


@dataclass(frozen=True)
class Change:
    """A field applied to the master (or a whole new card, or a visit)."""

    row: int
    customer_id: Text
    field: str
    old: Text
    new: Text


@dataclass(frozen=True)
class Conflict:
    """A field both the salesperson and the office changed since issue: the master's value stays."""

    row: int
    customer_id: str
    field: str
    issued: Text
    returned: Text
    current: Text

    def message(self, lang: str = "zh") -> str:
        if lang == "en":
            return (f"'{self.field}' was changed in the archive after the template was issued "
                    f"(now '{self.current or ''}'); your '{self.returned or ''}' was not applied")
        return f"模板发放后档案中的「{self.field}」已改为「{self.current or ''}」，你填写的「{self.returned or ''}」未采纳"


@dataclass
class FileMerge(FindingCounts):
    """What merging one returned template did."""

    file: str
    sha256: str
    salesperson: str
    template_id: str
    issued_at: datetime
    changes: list[Change] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    new_customers: list[Change] = field(default_factory=list)
    """One per new card: ``customer_id`` the fresh ID, ``new`` its 客户名称."""
    visits: list[Change] = field(default_factory=list)
    already: int = 0
    """Visits (and unchanged rows) skipped because the master already holds them."""
    findings: list[Finding] = field(default_factory=list)
    card_sheet: str = "客户档案"
    visit_sheet: str = "拜访"
    damage: list[LayoutProblem] = field(default_factory=list)
    """The template's layout differs from the one issued: nothing of it was merged."""

    @property
    def applied(self) -> int:
        """Fields changed + new customers + visits: what this file wrote into the master."""
        return len(self.changes) + len(self.new_customers) + len(self.visits)


@dataclass(frozen=True)
class LogRow:
    """One row of 变更记录."""

    time: str
    file: str
    salesperson: str
    customer_id: Text
    field: str
    old: Text
    new: Text
    template_id: str
    batch: str


@dataclass
class MergeResult:
    """Every file's outcome, and what to write into the master (all of it, or nothing)."""

    files: list[FileMerge]
    updates: dict[str, dict[str, Text]] = field(default_factory=dict)
    """客户编号 → field → new canonical text, for existing cards."""
    new_cards: list[dict[str, Text]] = field(default_factory=list)
    """Whole new cards (客户编号, 业务员 and the fields given), in the order created."""
    new_visits: list[dict[str, Text]] = field(default_factory=list)
    log: list[LogRow] = field(default_factory=list)

    @property
    def writes(self) -> bool:
        """Whether anything changes in the master's data (the batch record aside)."""
        return bool(self.updates or self.new_cards or self.new_visits)


# --------------------------------------------------------------------------------------------
# Merging


def merge(returned: Sequence[Returned], state: MasterState, *, time: datetime, batch: str) -> MergeResult:
    """Fold ``returned`` into ``state`` (mutated) by the rules of the module documentation."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    result = MergeResult(files=[])
    if state.allocator is None:
        state.allocator = IdAllocator(state.ids)
    ids = state.allocator
    for r in sorted(returned, key=lambda r: (r.meta.issued_at, r.file)):
        result.files.append(_Merger(r, state, result, ids, stamp, batch).run())
    return result


class _Merger:
    """One returned template folded into the state."""

    def __init__(self, r: Returned, state: MasterState, result: MergeResult, ids: IdAllocator, stamp: str,
                 batch: str) -> None:
        self.r, self.state, self.result, self.ids = r, state, result, ids
        self.me = r.meta.salesperson
        self.tid = r.template_id or r.meta.template_id
        self.stamp, self.batch = stamp, batch
        self.fm = FileMerge(r.file, r.sha256, self.me, self.tid, r.meta.issued_at, findings=list(r.findings),
                            card_sheet=r.card_sheet, visit_sheet=r.visit_sheet)
        self.created: dict[str, str] = {}  # name key of a new customer → its new ID (for visits)

    def log(self, cid: Text, name: str, old: Text, new: Text) -> None:
        self.result.log.append(LogRow(self.stamp, self.r.file, self.me, cid, name, old, new, self.tid, self.batch))

    def reject(self, sheet: str, row: int, cid: Text, code: str, name: str | None = None, value: Text = None,
               findings: Sequence[Finding] = (), **params: Any) -> None:
        if name is None:  # a whole row: name what it was rejected on (the fields in error, else its ID)
            fields = list(dict.fromkeys(f.field for f in findings if f.field))
            if fields:
                name = "、".join(fields)
                values = [v for v in dict.fromkeys(f.value for f in findings if f.field) if v]
                value = "、".join(values) or None
            elif code == "no-name":
                name = "客户名称"
            else:
                name, value = "客户编号", cid
        self.fm.rejections.append(Rejection(sheet, row, cid, name, value, code, params, tuple(findings)))

    def run(self) -> FileMerge:
        if self.r.damage:
            self.fm.damage = list(self.r.damage)
            return self.fm
        for card in self.r.cards:
            if card.customer_id is None:
                self.new_card(card)
            else:
                self.existing_card(card)
        for visit in self.r.visits:
            self.visit(visit)
        return self.fm

    def existing_card(self, card: Card) -> None:
        state, r, cid, sheet = self.state, self.r, card.customer_id, self.r.card_sheet
        assert cid is not None
        if cid in state.duplicated:
            return self.reject(sheet, card.row, cid, "duplicated-id")
        if not state.has(cid):
            return self.reject(sheet, card.row, cid, "unknown-id")
        issued = r.meta.snapshot.get(cid)
        owner = state.get(cid, "业务员")
        if owner != self.me:
            return self.reject(sheet, card.row, cid, "reassigned" if issued is not None else "not-yours",
                               owner=owner or "?")
        if issued is None:
            return self.reject(sheet, card.row, cid, "not-issued")
        if "业务员" in card.values and card.values["业务员"] != issued.get("业务员"):
            self.reject(sheet, card.row, cid, "locked-field", "业务员", card.values["业务员"])
        changed = card.changed if card.changed is not None else \
            [n for n in EDITABLE_FIELDS if n in card.values and card.values[n] != issued.get(n)]
        if not changed:
            return None
        bad = [f for f in card.errors if f.field in changed
               or (f.code is Code.MISSING_VALUE and CONDITION_OF.get(f.field or "") in changed)]
        if bad:
            return self.reject(sheet, card.row, cid, "row-errors", findings=bad)
        for name in changed:
            new, now = card.values[name], state.get(cid, name)
            if new == now:
                continue  # the archive already says so (a re-export, or the office did the same)
            if now != issued.get(name) and state.history.get((cid, name)) != (self.tid, now):
                self.fm.conflicts.append(Conflict(card.row, cid, name, issued.get(name), new, now))
                continue
            self.fm.changes.append(Change(card.row, cid, name, now, new))
            self.log(cid, name, now, new)
            state.set(cid, name, new)
            state.history[(cid, name)] = (self.tid, new)
            self.result.updates.setdefault(cid, {})[name] = new
        if KEY_FIELDS.intersection(self.result.updates.get(cid, ())):
            same = all(state.get(cid, n) == card.values.get(n) for n in ("客户名称", "联系电话"))
            state.reindex(cid, card.np_key if same else None)
        return None

    def new_card(self, card: Card) -> None:
        state, sheet = self.state, self.r.card_sheet
        name = card.values.get("客户名称")
        if not name:
            return self.reject(sheet, card.row, None, "no-name")
        if card.errors:
            return self.reject(sheet, card.row, None, "row-errors", "客户名称", name, findings=card.errors)
        if card.name_key is not None and (self.tid, card.name_key) in state.created:
            self.fm.already += 1  # created from this very issue before (a corrected copy sent again)
            return None
        by_uscc, by_name_phone = state.lookups()
        uscc = uscc_key(card.values.get("统一社会信用代码"))
        np_key = card.np_key
        for found, how, how_en in ((by_uscc.get(uscc) if uscc else None, "统一社会信用代码", "USCC"),
                                   (by_name_phone.get(np_key) if np_key else None, "客户名称和联系电话", "name and phone")):
            if found is None:
                continue
            return self.reject(sheet, card.row, None, "already-archived", "客户名称", name, id=found, how=how,
                               how_en=how_en)
        cid = self.ids.next()
        values: dict[str, Text] = {n: card.values.get(n) for n in EDITABLE_FIELDS}
        values["客户编号"] = cid
        values["业务员"] = self.me
        state.add(cid, values, np_key)
        state.history[(cid, NEW_CUSTOMER_FIELD)] = (self.tid, name)
        self.result.new_cards.append({n: values.get(n) for n in CARD_FIELDS})
        if card.name_key is not None:
            self.created.setdefault(card.name_key, cid)
            state.created.setdefault((self.tid, card.name_key), cid)
        self.fm.new_customers.append(Change(card.row, cid, NEW_CUSTOMER_FIELD, None, name))
        self.log(cid, NEW_CUSTOMER_FIELD, None, name)
        return None

    def visit(self, visit: Visit) -> None:
        state, sheet = self.state, self.r.visit_sheet
        values = dict(visit.values)
        cid = values.get("客户编号")
        if cid is None and visit.name_key is not None:
            cid = self.created.get(visit.name_key) or state.created.get((self.tid, visit.name_key))
            values["客户编号"] = cid
        if visit.errors:
            return self.reject(sheet, visit.row, cid, "row-errors", findings=visit.errors)
        if cid is not None:
            if cid not in state.ids:
                return self.reject(sheet, visit.row, cid, "visit-unknown")
            owner = state.get(cid, "业务员") if state.has(cid) else None
            if owner != self.me:
                return self.reject(sheet, visit.row, cid, "visit-not-yours", owner=owner or "?")
            if not values.get("客户名称"):
                values["客户名称"] = state.get(cid, "客户名称")  # as the office's own visit rows have it
        values = {n: values.get(n) for n in VISIT_FIELDS}
        key = visit_key(values)
        if key in state.visits:
            self.fm.already += 1
            return None
        state.visits.add(key)
        self.result.new_visits.append(values)
        summary = " ".join(v for v in (values.get("日期"), values.get("方式"), values.get("内容")) if v) or None
        self.fm.visits.append(Change(visit.row, cid, VISIT_LOG_FIELD, None, summary))
        self.log(cid, VISIT_LOG_FIELD, None, summary)
        return None


# --------------------------------------------------------------------------------------------
# Cell values written into the master


def cell_value(name: str, text: Text, *, visit: bool = False) -> str | int | float | date | None:
    """The value to write into a master cell for a field's canonical text, typed by the contract.

    Dates become ``date`` (written as Excel serial numbers with a date format), amounts int
    fen, numbers and integers numbers: written as text, Excel would show text where the user
    had a date or a number, and sorting, sums and filters would break.  Text the contract
    cannot type (it passed validation only as a warning) stays the user's text.  The reader
    reads each back to the same canonical text.
    """
    if text is None:
        return None
    kind = visit_kind(name) if visit else card_kind(name)
    try:
        if kind is FieldType.AMOUNT:
            return decimal_to_fen(text)
        if kind is FieldType.DATE:
            return date.fromisoformat(text)
        if kind in (FieldType.INTEGER, FieldType.NUMBER):
            number = float(text)
            if number != number or number in (float("inf"), float("-inf")):
                return text
            return int(text) if text.lstrip("-").isdigit() else number
    except (ValueError, ArithmeticError):
        return text
    return text


def cell_kind(name: str, *, visit: bool = False) -> str:
    """The :class:`~salesxl.io.columns.ColumnPatch` kind of a field's master column."""
    kind = visit_kind(name) if visit else card_kind(name)
    return {FieldType.AMOUNT: "amount", FieldType.DATE: "date", FieldType.INTEGER: "number",
            FieldType.NUMBER: "number"}.get(kind, "text")
