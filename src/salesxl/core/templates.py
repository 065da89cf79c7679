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
  salesperson and the office changed since issue.

Canonical text makes "changed" exact and independent of how Excel stores a cell: amounts as
``"1234.50"``, dates ``"2026-03-05"``, whole numbers without ``.0``, other numbers by ``repr``
rounded to 6 decimals, text trimmed, blank as None.  Nothing here reads or writes a file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd

from salesxl.core.money import fen_to_str
from salesxl.core.schema import CUSTOMERS, FieldType

TEMPLATE_VERSION = 1
#: The very hidden sheet that records what a template was issued from.
META_SHEET = "_salesxl"
#: Fields of a card a salesperson may change (everything else is the office's).
EDITABLE_FIELDS: tuple[str, ...] = (
    "客户名称", "客户性质", "统一社会信用代码", "法定代表人", "负责人", "经营经理", "联系电话", "地址",
    "省份", "城市", "区县", "行业", "组织类型", "资产规模", "成立日期", "纬度", "经度", "备注",
)
#: Columns of the template's 客户档案, in order (客户编号 and 业务员 are locked).
CARD_FIELDS: tuple[str, ...] = ("客户编号", "业务员", *EDITABLE_FIELDS)
#: Columns of the template's 拜访 sheet.
VISIT_FIELDS: tuple[str, ...] = ("日期", "业务员", "客户编号", "客户名称", "方式", "内容", "下次计划")
#: Blank rows offered for new customers below the salesperson's own.
NEW_ROWS = 30
#: Key/value rows start at row 1 (``键 | 值``); the snapshot table's header is on this row.
SNAPSHOT_HEADER_ROW = 10

#: Meta keys as written in the sheet (Chinese) → TemplateMeta attribute.
META_KEYS = {
    "模板版本": "version",
    "模板编号": "template_id",
    "业务员": "salesperson",
    "发放时间": "issued_at",
    "母版": "master_name",
    "母版客户数": "master_customers",
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
        "master_customers": meta.master_customers,
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
    if header[: len(CARD_FIELDS)] != list(CARD_FIELDS):
        raise NotATemplate("not a salesxl template: the issued snapshot's header is missing")
    snapshot: dict[str, dict[str, str | None]] = {}
    for row in rows[SNAPSHOT_HEADER_ROW:]:
        cells = list(row) + [None] * (len(CARD_FIELDS) - len(row))
        cid = _cell_text(cells[0])
        if cid is None:
            continue
        snapshot[cid] = {f: _cell_text(v) for f, v in zip(CARD_FIELDS[1:], cells[1:len(CARD_FIELDS)], strict=True)}
    master_customers = kv.get("master_customers")
    return TemplateMeta(
        salesperson=salesperson, issued_at=issued, master_name=str(kv.get("master_name") or ""),
        snapshot=snapshot, version=version,
        master_customers=int(float(master_customers)) if master_customers not in (None, "") else 0,
    )


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
