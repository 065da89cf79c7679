"""The salesperson template contract: what a template holds, and how the office reads it back.

The office hands each salesperson a workbook of their own customers (``salesxl template
salesperson``, :mod:`salesxl.io.templates`) and later folds the returned files into the master
archive (``salesxl batch``, :mod:`salesxl.batch`).  Both sides meet here, so the two can never
disagree about which fields a salesperson may change or how the issued values are recorded:

* the template's 客户档案 has the columns :data:`CARD_FIELDS` (客户编号 and 业务员 locked, the
  :data:`EDITABLE_FIELDS` open), one row per own customer, then :data:`NEW_ROWS` blank rows for
  new customers (客户编号 left blank: the office assigns fresh IDs);
* its 拜访 sheet has :data:`VISIT_FIELDS`, empty, to fill;
* a very hidden sheet :data:`META_SHEET` records what the template was issued from
  (:class:`TemplateMeta`): key/value rows, then from row :data:`SNAPSHOT_HEADER_ROW` a table of
  the issued values of every card, as canonical text (:func:`canonical_text`).  A change is a
  returned value that differs from the issued one; a conflict is a field that both the
  salesperson and the office changed since issue;
* the key 版式 records the issued layout (:data:`LAYOUT`: each sheet, its header row and
  headers).  A returned file whose layout differs (:func:`layout_problems`: a sheet missing, a
  header deleted, renamed or moved) is damaged and is not merged at all — read by header name,
  a deleted 客户编号 would turn every card into a new customer, a renamed 地址 would drop every
  address edit.  Templates issued before the key existed have the layout the writer still
  draws, :data:`LAYOUT`;
* a new customer needs :data:`NEW_CUSTOMER_REQUIRED` and the conditionally required fields of
  the contract (统一社会信用代码 unless 个人): :func:`new_customer_rule` says it in words for the
  template's instructions, the same schema rule that validation enforces.

Canonical text makes "changed" exact and independent of how Excel stores a cell: amounts as
``"1234.50"``, dates ``"2026-03-05"``, whole numbers without ``.0``, other numbers by ``repr``
rounded to 6 decimals, text trimmed, blank as None.  Nothing here reads or writes a file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd

from salesxl.core.grid import column_letter
from salesxl.core.money import fen_to_str
from salesxl.core.schema import CARD_GROUPS, CUSTOMERS, FieldType, requirement_text

TEMPLATE_VERSION = 1
#: The very hidden sheet that records what a template was issued from.
META_SHEET = "_salesxl"
#: Fields of a card a salesperson may change (everything else is the office's).
EDITABLE_FIELDS: tuple[str, ...] = (
    "客户名称", "客户性质", "统一社会信用代码", "法定代表人", "负责人", "经营经理", "联系电话", "地址",
    "省份", "城市", "区县", "行业", "组织类型", "资产规模", "成立日期", "纬度", "经度", "备注",
    # v1.1: the card's other three content groups, where the information came from and when
    *(f for group in list(CARD_GROUPS.values())[1:] for f in group), "信息来源", "更新日期",
)
#: Columns of the template's 客户档案, in order (客户编号 and 业务员 are locked).
CARD_FIELDS: tuple[str, ...] = ("客户编号", "业务员", *EDITABLE_FIELDS)
#: Columns of the template's 拜访 sheet.
VISIT_FIELDS: tuple[str, ...] = ("日期", "业务员", "客户编号", "客户名称", "方式", "内容", "下次计划")
#: Blank rows offered for new customers below the salesperson's own.
NEW_ROWS = 30
#: Key/value rows start at row 1 (``键 | 值``); the snapshot table's header is on this row.
SNAPSHOT_HEADER_ROW = 10
#: The template's instruction sheet.
HELP_SHEET = "说明"
#: Rows (1-based) of the headers of 客户档案 (below a title row) and 拜访.
CARD_HEADER_ROW = 2
VISIT_HEADER_ROW = 1
#: What a new customer's row must hold besides the conditionally required fields: the
#: contract's required card fields that a salesperson fills (客户编号 and 业务员 are the office's).
NEW_CUSTOMER_REQUIRED: tuple[str, ...] = tuple(f for f in EDITABLE_FIELDS if CUSTOMERS.field(f).required)
#: Editable fields required unless another field holds given values (统一社会信用代码 unless 个人).
CONDITIONAL_FIELDS: tuple[str, ...] = tuple(f for f in EDITABLE_FIELDS if CUSTOMERS.field(f).required_unless)


def new_customer_rule(lang: str = "zh") -> str:
    """What a new customer's row must hold, in words, from the contract's schema (the batch
    rejects a row without 客户名称, and validation any other blank this names)."""
    if lang == "en":
        return ("fill in at least " + " and ".join(CUSTOMERS.field(f).english for f in NEW_CUSTOMER_REQUIRED)
                + "".join(f"; {requirement_text(CUSTOMERS, f, 'en')}" for f in CONDITIONAL_FIELDS))
    return ("至少填写" + "和".join(NEW_CUSTOMER_REQUIRED)
            + "".join(f"；{requirement_text(CUSTOMERS, f)}" for f in CONDITIONAL_FIELDS))


@dataclass(frozen=True)
class SheetLayout:
    """One sheet of a template as issued: its name and, for a data sheet, the row of its header
    and the headers from column A on."""

    name: str
    header_row: int | None = None
    headers: tuple[str, ...] = ()


#: The layout the template writer draws (and every template issued before 版式 was recorded has).
LAYOUT: tuple[SheetLayout, ...] = (
    SheetLayout("客户档案", CARD_HEADER_ROW, CARD_FIELDS),
    SheetLayout("拜访", VISIT_HEADER_ROW, VISIT_FIELDS),
    SheetLayout(HELP_SHEET),
)

#: Meta keys as written in the sheet (Chinese) → TemplateMeta attribute.
META_KEYS = {
    "模板版本": "version",
    "模板编号": "template_id",
    "业务员": "salesperson",
    "发放时间": "issued_at",
    "母版": "master_name",
    "母版客户数": "master_customers",
    "版式": "layout",
}


def canonical_text(value: Any, field_name: str) -> str | None:
    """A typed value of ``客户档案.field_name`` (as the reader returns it) → canonical text."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    kind = CUSTOMERS.field(field_name).type
    if kind is FieldType.AMOUNT:
        return fen_to_str(int(value))
    if kind is FieldType.DATE:
        return pd.Timestamp(value).date().isoformat()
    if kind in (FieldType.NUMBER, FieldType.INTEGER):
        number = float(value)
        if number.is_integer():
            return str(int(number))
        return repr(round(number, 6))
    text = str(value).strip()
    return text or None


@dataclass(frozen=True)
class TemplateMeta:
    """What a salesperson template was issued from."""

    salesperson: str
    issued_at: datetime
    master_name: str
    snapshot: Mapping[str, Mapping[str, str | None]] = field(default_factory=dict)
    """客户编号 → field → issued canonical text, for every card in the template."""
    version: int = TEMPLATE_VERSION
    master_customers: int = 0
    layout: tuple[SheetLayout, ...] = LAYOUT
    """The sheets and headers as issued (not part of :attr:`template_id`, which predates it)."""

    @property
    def template_id(self) -> str:
        """A fingerprint of the issue (who, when, what): the same issue gives the same id."""
        doc = json.dumps([self.version, self.salesperson, self.issued_at.isoformat(), self.master_name,
                          {k: dict(v) for k, v in sorted(self.snapshot.items())}],
                         ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(doc.encode()).hexdigest()[:16]


def meta_rows(meta: TemplateMeta) -> list[list[Any]]:
    """The META_SHEET's rows (row 1 first): key/value block, blank rows, then the snapshot."""
    values = {
        "version": meta.version, "template_id": meta.template_id, "salesperson": meta.salesperson,
        "issued_at": meta.issued_at.isoformat(timespec="seconds"), "master_name": meta.master_name,
        "master_customers": meta.master_customers, "layout": layout_text(meta.layout),
    }
    rows: list[list[Any]] = [["键", "值"]]
    rows += [[key, values[attr]] for key, attr in META_KEYS.items()]
    rows += [[] for _ in range(SNAPSHOT_HEADER_ROW - 1 - len(rows))]
    rows.append(list(CARD_FIELDS))
    for cid, fields in meta.snapshot.items():
        rows.append([cid, *[fields.get(f) for f in CARD_FIELDS[1:]]])
    return rows


class NotATemplate(ValueError):
    """The workbook is not a salesxl salesperson template (or one of an unknown version)."""


def parse_meta(rows: Sequence[Sequence[Any]]) -> TemplateMeta:
    """META_SHEET rows (as any reader returns them: row 1 first, cells as str/float/None) → meta.

    Raises :class:`NotATemplate` when the block is missing or malformed.
    """
    kv: dict[str, Any] = {}
    for row in rows[: SNAPSHOT_HEADER_ROW - 1]:
        if len(row) >= 2 and isinstance(row[0], str) and row[0].strip() in META_KEYS:
            kv[META_KEYS[row[0].strip()]] = row[1]
    try:
        version = int(float(kv["version"]))
        issued = datetime.fromisoformat(str(kv["issued_at"]))
        salesperson = str(kv["salesperson"]).strip()
    except (KeyError, TypeError, ValueError) as exc:
        raise NotATemplate("not a salesxl template: no readable 模板版本/发放时间/业务员") from exc
    if version != TEMPLATE_VERSION:
        raise NotATemplate(f"template version {version} is not supported (expected {TEMPLATE_VERSION})")
    header = [str(c).strip() if c is not None else "" for c in (rows[SNAPSHOT_HEADER_ROW - 1]
                                                                if len(rows) >= SNAPSHOT_HEADER_ROW else [])]
    while header and not header[-1]:
        header.pop()
    # The snapshot's own header says which fields it holds: a template issued before the card's
    # four groups (v1.1) has fewer columns, and its missing fields read as not issued.
    if not header or header[0] != CARD_FIELDS[0] or any(h not in CARD_FIELDS for h in header) \
            or len(set(header)) != len(header):
        raise NotATemplate("not a salesxl template: the issued snapshot's header is missing")
    width = len(header)
    snapshot: dict[str, dict[str, str | None]] = {}
    for row in rows[SNAPSHOT_HEADER_ROW:]:
        cells = list(row[:width]) + [None] * (width - len(row))
        cid = _cell_text(cells[0])
        if cid is None:
            continue
        snapshot[cid] = {f: _cell_text(v) for f, v in zip(header[1:], cells[1:], strict=True)}
    master_customers = kv.get("master_customers")
    return TemplateMeta(
        salesperson=salesperson, issued_at=issued, master_name=str(kv.get("master_name") or ""),
        snapshot=snapshot, version=version,
        master_customers=int(float(master_customers)) if master_customers not in (None, "") else 0,
        layout=parse_layout(kv.get("layout")),
    )


def layout_text(layout: Sequence[SheetLayout]) -> str:
    """The 版式 cell: ``[[sheet, header row, [headers…]], …]`` as JSON."""
    return json.dumps([[s.name, s.header_row, list(s.headers)] for s in layout], ensure_ascii=False,
                      separators=(",", ":"))


def parse_layout(text: Any) -> tuple[SheetLayout, ...]:
    """:func:`layout_text` back; a template issued before 版式 was recorded has :data:`LAYOUT`.

    Raises :class:`NotATemplate` for a 版式 cell that is not the writer's (the meta sheet is
    very hidden and protected: such a file was not made by salesxl, or was tampered with).
    """
    if text is None or (isinstance(text, str) and not text.strip()):
        return LAYOUT
    try:
        items = json.loads(str(text))
        return tuple(SheetLayout(str(name), None if row is None else int(row), tuple(str(h) for h in headers))
                     for name, row, headers in items)
    except (TypeError, ValueError) as exc:
        raise NotATemplate("the issued layout (版式) cannot be read") from exc


def _cell_text(v: Any) -> str | None:
    """A snapshot cell back to canonical text (written as text; a reader may hand back a float)."""
    if v is None or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (datetime, date)):
        return v.isoformat()[:10]
    text = str(v).strip()
    return text or None


# --------------------------------------------------------------------------------------------
# The returned layout against the issued one


@dataclass(frozen=True)
class SeenSheet:
    """A data sheet of a returned template as the reader saw it."""

    header_row: int | None
    """The row its header was found on (None: no header)."""
    letters: Mapping[str, str]
    """Header → the column letter it was read from."""
    texts: Mapping[str, str] = field(default_factory=dict)
    """Column letter → the header row's text there (read only when a header is missing, to say
    whether it was renamed, cleared or its column deleted)."""


#: Kinds of :class:`LayoutProblem`.
LAYOUT_KINDS = ("missing-sheet", "no-header", "header-row", "missing-column", "renamed-header", "blank-header",
                "moved-column")


@dataclass(frozen=True)
class LayoutProblem:
    """One way a returned template's layout differs from the issued one."""

    sheet: str
    kind: str
    """One of :data:`LAYOUT_KINDS`."""
    column: str | None = None
    """The issued header concerned (columns only)."""
    row: int | None = None
    """The issued header row."""
    letter: str | None = None
    """The issued column letter of ``column``."""
    found: str | None = None
    """What is there now: the text at the issued place of a renamed header, the letter a moved
    column is in, the row the header was found on."""

    def message(self, lang: str = "zh") -> str:
        s, c, at = self.sheet, self.column, f"{self.letter}{self.row}"
        if lang == "en":
            return {
                "missing-sheet": f"sheet '{s}' is missing (deleted or renamed)",
                "no-header": f"sheet '{s}' has lost its header (row {self.row})",
                "header-row": f"the header of '{s}' should be on row {self.row} and is on row {self.found} "
                              "(rows inserted or deleted)",
                "missing-column": f"column '{c}' of '{s}' (column {self.letter} when issued) is missing "
                                  "(deleted or renamed)",
                "renamed-header": f"header '{c}' of '{s}' ({at}) was renamed to '{self.found}'",
                "blank-header": f"header '{c}' of '{s}' ({at}) was deleted",
                "moved-column": f"column '{c}' of '{s}' was column {self.letter} when issued and is now "
                                f"column {self.found} (columns inserted, deleted or moved)",
            }[self.kind]
        return {
            "missing-sheet": f"工作表「{s}」不见了（被删除或改名）",
            "no-header": f"「{s}」第 {self.row} 行的表头不见了",
            "header-row": f"「{s}」的表头应在第 {self.row} 行，现在在第 {self.found} 行（插入或删除了行）",
            "missing-column": f"「{s}」缺少「{c}」列（发放时在 {self.letter} 列，被删除或改名）",
            "renamed-header": f"「{s}」{at} 的表头「{c}」被改成了「{self.found}」",
            "blank-header": f"「{s}」{at} 的表头「{c}」被删除了",
            "moved-column": f"「{s}」的「{c}」列发放时在 {self.letter} 列，现在在 {self.found} 列（插入、删除或移动了列）",
        }[self.kind]


def _sheet_key(name: str) -> str:
    return name.strip().casefold()  # Excel's own sheet-name comparison ignores case


def layout_problems(layout: Sequence[SheetLayout], sheets: Iterable[str],
                    seen: Mapping[str, SeenSheet]) -> list[LayoutProblem]:
    """How a returned template differs from the ``layout`` it was issued with: every issued
    sheet must be there (``sheets``: the workbook's sheet names), and every issued header on its
    issued row and in its issued column (``seen``: issued sheet name → what the reader found).

    A column the reader still reads as the same field in the same place passes (headers match as
    the reader matches them); extra columns to the right and extra sheets are left alone.  When a
    column is missing, the columns it pushed aside are not listed too: the deletion is the cause.
    """
    present = {_sheet_key(n) for n in sheets}
    out: list[LayoutProblem] = []
    for sheet in layout:
        if _sheet_key(sheet.name) not in present:
            out.append(LayoutProblem(sheet.name, "missing-sheet"))
            continue
        if not sheet.headers:
            continue
        got = seen.get(sheet.name)
        if got is None or got.header_row is None:
            out.append(LayoutProblem(sheet.name, "no-header", row=sheet.header_row))
            continue
        if got.header_row != sheet.header_row:
            out.append(LayoutProblem(sheet.name, "header-row", row=sheet.header_row, found=str(got.header_row)))
        missing, moved = [], []
        for j, header in enumerate(sheet.headers):
            letter = column_letter(j)
            now = got.letters.get(header)
            if now is None:
                text = got.texts.get(letter)
                kind = ("missing-column" if not got.texts or text in sheet.headers  # a neighbour moved in
                        else "blank-header" if text is None else "renamed-header")
                missing.append(LayoutProblem(sheet.name, kind, header, sheet.header_row, letter,
                                             text if kind == "renamed-header" else None))
            elif now != letter:
                moved.append(LayoutProblem(sheet.name, "moved-column", header, sheet.header_row, letter, now))
        out += missing or moved
    return out


#: Problems named one by one in a file's one-line message (the feedback lists them all).
_SHOWN = 3


def layout_message(problems: Sequence[LayoutProblem], issued_at: datetime, lang: str = "zh") -> str:
    """A damaged template's one-line verdict: what differs, nothing merged, use the issued file."""
    shown = [p.message(lang) for p in problems[:_SHOWN]]
    more = len(problems) - len(shown)
    day = issued_at.date().isoformat()
    if lang == "en":
        return ("The file is damaged (its layout differs from the template issued) and nothing in it was merged: "
                + "; ".join(shown) + (f"; and {more} more" if more > 0 else "") + ". Fill in the template issued "
                f"to you on {day} and send it again, without deleting, inserting, moving or renaming sheets, "
                "columns or headers")
    return ("文件已损坏（版式与发放时不同），整份未合并：" + "；".join(shown) + (f"；另有 {more} 处" if more > 0 else "")
            + f"。请在 {day} 发给你的原模板上填写后重新交回，不要删除、插入、移动或改名工作表、列和表头")
