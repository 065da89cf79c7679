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
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from salesxl.core.findings import Code, Finding, FindingCounts, Severity
from salesxl.core.incremental import Pending, incremental_tables, with_cross_row
from salesxl.core.money import decimal_to_fen
from salesxl.core.schema import CUSTOMERS, VISITS, FieldType
from salesxl.core.tables import ROW, ROW_GROUP_SHIFT, Book, Table
from salesxl.core.templates import (
    CARD_FIELDS,
    EDITABLE_FIELDS,
    VISIT_FIELDS,
    LayoutProblem,
    TemplateMeta,
)
from salesxl.core.validation import company_key, phone_key, validate_book

Text = str | None
"""A cell's canonical text (:func:`salesxl.core.templates.canonical_text`); None is blank."""

#: 变更记录 field names of the records that are not a card field.
NEW_CUSTOMER_FIELD = "新建客户"
VISIT_LOG_FIELD = "拜访"
#: Default ID pattern when the master has no IDs to continue.
DEFAULT_ID_PREFIX = "KH"
DEFAULT_ID_WIDTH = 5


# --------------------------------------------------------------------------------------------
# Canonical text of whole columns


def canonical_column(values: pd.Series, kind: FieldType) -> list[Text]:
    """A typed column (as the reader returns it) → canonical text per row.

    Vectorised twin of :func:`salesxl.core.templates.canonical_text` (which the tests hold it
    equal to): a batch turns millions of cells into text, one Python call per cell is too slow.
    """
    if kind is FieldType.AMOUNT:
        return _fen_texts(values.astype("Int64"))
    if kind is FieldType.DATE:
        days = pd.to_datetime(values, errors="coerce").dt.strftime("%Y-%m-%d")
        return [None if not isinstance(v, str) else v for v in days.tolist()]
    if kind in (FieldType.NUMBER, FieldType.INTEGER):
        return _by_distinct(pd.to_numeric(values, errors="coerce").astype("float64"), _number_text)
    arr = pc.utf8_trim_whitespace(pc.cast(pa.array(values.astype("string").array), pa.large_string()))
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, arr.type), arr).to_pylist()


def canonical_columns(frame: pd.DataFrame, names: Sequence[str], kinds: Mapping[str, FieldType]) -> dict[str, list[Text]]:
    """:func:`canonical_column` of several columns of one frame: the text columns go through
    Arrow as one array (a template's 500-row columns cost more in per-call overhead than in
    work, and a batch does this for every file)."""
    out: dict[str, list[Text]] = {}
    text = [n for n in names if kinds[n] not in _NON_TEXT]
    for n in names:
        if kinds[n] in _NON_TEXT:
            out[n] = canonical_column(frame[n], kinds[n])
    if text:
        chunks: list[pa.Array] = []
        for n in text:
            a = pa.array(frame[n].astype("string").array)
            chunks += a.chunks if isinstance(a, pa.ChunkedArray) else [a]
        arr = pc.utf8_trim_whitespace(pa.chunked_array([pc.cast(c, pa.large_string()) for c in chunks],
                                                       type=pa.large_string()))
        flat = pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.large_string()), arr).to_pylist()
        k = len(frame)
        for j, n in enumerate(text):
            out[n] = flat[j * k: (j + 1) * k]
    return {n: out[n] for n in names}


_NON_TEXT = frozenset({FieldType.AMOUNT, FieldType.DATE, FieldType.NUMBER, FieldType.INTEGER})


def _fen_texts(fen: pd.Series) -> list[Text]:
    """:func:`~salesxl.core.money.fen_to_str` of a whole column of int fen, in Arrow (integer
    arithmetic, so exact): a master's amounts are mostly distinct, one Python call each is slow."""
    arr = pa.array(fen.to_numpy(dtype="int64", na_value=0), pa.int64(), mask=fen.isna().to_numpy())
    whole = pc.abs(arr)
    yuan = pc.divide(whole, 100)  # integer division
    cents = pc.utf8_lpad(pc.cast(pc.subtract(whole, pc.multiply(yuan, 100)), pa.string()), 2, "0")
    sign = pc.if_else(pc.less(arr, 0), "-", "")
    return pc.binary_join_element_wise(sign, pc.cast(yuan, pa.string()), ".", cents, "").to_pylist()


def _number_text(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(round(v, 6))


def _by_distinct(values: pd.Series, text: Any) -> list[Text]:
    """``text`` of each distinct non-blank value, spread back over the column: a master's
    amounts and coordinates repeat a lot, and the exact Python formatting (``round``, ``repr``)
    then runs once per distinct value instead of once per cell."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    texts = np.array([text(v) for v in uniques.tolist()] + [None], dtype=object)
    return texts[codes].tolist()  # code -1 (blank) → the final None


def _card_kind(name: str) -> FieldType:
    return CUSTOMERS.field(name).type


def _visit_kind(name: str) -> FieldType:
    return VISITS.field(name).type


_CARD_KINDS = {n: CUSTOMERS.field(n).type for n in CARD_FIELDS}
_VISIT_KINDS = {n: VISITS.field(n).type for n in VISIT_FIELDS}


# --------------------------------------------------------------------------------------------
# What a returned template holds (built in a worker process, pickled back)


@dataclass(frozen=True)
class Card:
    """One filled row of a returned template's 客户档案."""

    row: int
    customer_id: Text
    values: dict[str, Text]
    """Canonical text of each card field the template has (absent columns are left out, so a
    deleted column never reads as "cleared")."""
    errors: tuple[Finding, ...] = ()
    """Error findings on this row's cells."""
    name_key: str | None = None
    """客户名称 normalised as for duplicates (computed in the worker, vectorised)."""
    np_key: tuple[str, str] | None = None
    """(normalised 客户名称, normalised 联系电话) as returned, None when either is blank."""
    changed: tuple[str, ...] | None = None
    """The editable fields that differ from the issued card (None: no issued card)."""


@dataclass(frozen=True)
class Visit:
    """One filled row of a returned template's 拜访."""

    row: int
    values: dict[str, Text]
    errors: tuple[Finding, ...] = ()
    name_key: str | None = None
    """客户名称 normalised (to find a new customer of the same template by name)."""


@dataclass
class Returned(FindingCounts):
    """One returned template, read and checked, independent of the master (picklable)."""

    file: str
    """The file's name (as shown in reports and 变更记录)."""
    sha256: str
    meta: TemplateMeta
    """What the template was issued from; its snapshot is cut down to the cards sent along."""
    template_id: str = ""
    """:attr:`TemplateMeta.template_id` of the issue (computed on the full snapshot)."""
    cards: list[Card] = field(default_factory=list)
    """The rows with something to do: new customers, changed cards, IDs that were not issued.
    A card returned exactly as issued is left out (nothing to apply, nothing to reject)."""
    unchanged: int = 0
    """Issued cards returned exactly as issued."""
    visits: list[Visit] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    """Every reader and validation finding of the template, for the feedback."""
    card_sheet: str = "客户档案"
    visit_sheet: str = "拜访"
    damage: list[LayoutProblem] = field(default_factory=list)
    """How the layout differs from the one issued: when any, nothing else was read (no cards,
    visits or findings) and nothing is merged."""
    pending: Pending | None = None
    """Checked incrementally (:mod:`salesxl.core.incremental`): the rows returned as issued, whose
    one-row findings :func:`~salesxl.core.incremental.complete` takes from the master's check;
    None when ``findings`` is already the full check."""


def _filled(frame: pd.DataFrame, fields: Sequence[str], ignore: str) -> np.ndarray:
    """Rows holding a value in any of ``fields`` other than ``ignore`` (a template's spare
    rows come with 业务员 prefilled and are not records)."""
    names = [n for n in fields if n != ignore and n in frame]
    if not names:
        return np.zeros(len(frame), dtype=bool)
    return frame[names].notna().to_numpy(dtype=bool).any(axis=1)


@dataclass(frozen=True)
class ReturnedBook:
    """A returned template as read (typed tables and meta sheet), before it is checked."""

    book: Book
    meta: TemplateMeta
    file: str
    sha256: str
    template_id: str | None = None
    """模板编号 as the meta sheet records it (None: computed from the snapshot)."""
    damage: tuple[LayoutProblem, ...] = ()
    """How its layout differs from the issued one (:func:`~salesxl.core.templates.layout_problems`)."""


def returned_from_book(book: Book, meta: TemplateMeta, *, file: str, sha256: str, as_of: date,
                       template_id: str | None = None) -> Returned:
    """Turn the typed tables of a returned template into a :class:`Returned`.

    ``template_id`` is the id the meta sheet records (模板编号); without it, it is computed
    from the snapshot (:attr:`TemplateMeta.template_id`, the same value for an untouched file).

    Spare rows (nothing but the prefilled 业务员) are dropped; 业务员 is set to the template's
    salesperson before validation (the office assigns it; a changed one is judged against the
    snapshot in :func:`merge`); a new customer's blank 客户编号 is not a ``missing-value``.
    """
    return returned_from_books([ReturnedBook(book, meta, file, sha256, template_id)], as_of=as_of)[0]


def returned_from_books(books: Sequence[ReturnedBook], *, as_of: date, incremental: bool = False) -> list[Returned]:
    """:func:`returned_from_book` of several templates in one vectorised pass.

    A template's few hundred rows cost far more in per-call overhead (pandas, Arrow, the
    validation rules) than in work, so a batch worker checks a handful of files together: their
    tables are stacked, each template a row group of its own
    (:data:`~salesxl.core.tables.ROW_GROUP_SHIFT`, so no rule compares rows of two
    templates), validated and turned into text once, then cut apart again.  Each result is
    exactly what the template alone gives.  Templates whose sheets differ in shape (sheet
    names, columns) go in separate passes.

    ``incremental``: the one-row rules of 客户档案 run only over the rows that differ from the
    issued snapshot; the others are left :attr:`Returned.pending` for
    :func:`salesxl.core.incremental.complete` (the master's findings of the same cards).
    """
    shapes: dict[tuple[Any, ...], list[int]] = {}
    done: dict[int, Returned] = {}
    for i, b in enumerate(books):
        if b.damage:  # not merged at all: nothing to check or compare
            done[i] = Returned(file=b.file, sha256=b.sha256, meta=replace(b.meta, snapshot={}),
                               template_id=b.template_id or b.meta.template_id, damage=list(b.damage))
        else:
            shapes.setdefault(_shape(b.book), []).append(i)
    for idx in shapes.values():
        done.update(zip(idx, _returned_alike([books[i] for i in idx], as_of, incremental), strict=True))
    return [done[i] for i in range(len(books))]


def _shape(book: Book) -> tuple[Any, ...]:
    """What templates must share to be stacked: each sheet's name, letters and column types."""
    key: list[Any] = [book.path if book.settings is None else repr(book.settings)]
    for name in ("客户档案", "拜访"):
        t = book.table(name)
        key.append(None if t is None else (t.sheet, t.header_row, tuple(sorted(t.letters.items())),
                                           tuple(map(str, t.frame.dtypes.items()))))
    return tuple(key)


_ROW_MASK = (1 << ROW_GROUP_SHIFT) - 1


def _stacked(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """The frames one under the other, each one's ROW in its own group."""
    if len(frames) == 1:
        return frames[0]
    frame = pd.concat(frames, ignore_index=True)
    groups = np.repeat(np.arange(len(frames), dtype=np.int64) << ROW_GROUP_SHIFT, [len(f) for f in frames])
    return frame.assign(**{ROW: frame[ROW].to_numpy(dtype=np.int64) + groups})


def _in_group(f: Finding, group: int) -> Finding:
    """A finding of the stacked tables moved to ``group``'s own rows (or into it)."""
    if group == 0 and (f.row or 0) <= _ROW_MASK and not f.params.get("first_row"):
        return f
    update: dict[str, Any] = {"row": None if f.row is None else (f.row & _ROW_MASK) | (group << ROW_GROUP_SHIFT)}
    first = f.params.get("first_row")
    if isinstance(first, int):
        update["params"] = {**f.params, "first_row": (first & _ROW_MASK) | (group << ROW_GROUP_SHIFT)}
    return f.model_copy(update=update)


def _bounds(groups: np.ndarray, n: int) -> list[tuple[int, int]]:
    """(start, stop) of each group's rows in a stacked frame (its rows are contiguous)."""
    ends = np.cumsum(np.bincount(groups, minlength=n)).tolist()
    return list(zip([0, *ends[:-1]], ends, strict=True))


def _returned_alike(items: Sequence[ReturnedBook], as_of: date, incremental: bool = False) -> list[Returned]:
    """:func:`returned_from_books` of templates of one shape."""
    n = len(items)
    people = np.array([it.meta.salesperson for it in items], dtype=object)
    first = items[0].book
    tables: dict[str, Table] = {}
    cards_t, visits_t = first.table("客户档案"), first.table("拜访")
    changed_owner: dict[int, Text] = {}
    card_groups = visit_groups = np.zeros(0, dtype=np.int64)
    if cards_t is not None:
        whole = _stacked([it.book.tables["客户档案"].frame for it in items])
        frame = whole.loc[_filled(whole, CARD_FIELDS, "业务员")].reset_index(drop=True)
        card_groups = frame[ROW].to_numpy(dtype=np.int64) >> ROW_GROUP_SHIFT
        if "业务员" in frame and cards_t.has("业务员"):
            owners = canonical_column(frame["业务员"], FieldType.TEXT)
            changed_owner = dict(zip(frame[ROW].tolist(), owners, strict=True))
        frame = frame.assign(业务员=pd.array(people[card_groups], dtype="string"))
        tables["客户档案"] = Table(cards_t.schema, cards_t.sheet, cards_t.header_row, dict(cards_t.letters), frame)
    if visits_t is not None:
        whole = _stacked([it.book.tables["拜访"].frame for it in items])
        frame = whole.loc[_filled(whole, VISIT_FIELDS, "业务员")].reset_index(drop=True)
        visit_groups = frame[ROW].to_numpy(dtype=np.int64) >> ROW_GROUP_SHIFT
        frame = frame.assign(业务员=pd.array(people[visit_groups], dtype="string"))
        tables["拜访"] = Table(visits_t.schema, visits_t.sheet, visits_t.header_row, dict(visits_t.letters), frame)
    read_findings = [_in_group(f, g) for g, it in enumerate(items) for f in it.book.findings if f.row is not None]

    new_rows: list[set[int]] = [set() for _ in range(n)]
    same = np.zeros(0, dtype=bool)  # per card row: returned exactly as issued
    if cards_t is not None:
        t = tables["客户档案"]
        present = [name for name in CARD_FIELDS if t.has(name)]
        columns = canonical_columns(t.frame, present, _CARD_KINDS)
        if "业务员" in columns:  # what the salesperson returned, not what validation saw
            columns["业务员"] = [changed_owner.get(r) for r in t.frame[ROW].tolist()]
        ids = columns.get("客户编号") or canonical_column(t.frame["客户编号"], FieldType.TEXT)
        excel_rows = (t.frame[ROW].to_numpy(dtype=np.int64) & _ROW_MASK).tolist()
        for g, i in zip(card_groups.tolist(), range(len(t)), strict=True):
            if ids[i] is None:
                new_rows[g].add(excel_rows[i])
        compared = [name for name in present if name != "客户编号"]
        # Rows as tuples (built in C), compared whole with the issued values: one comparison
        # per row rather than one Python step per cell.
        returned_rows = list(zip(*[columns[name] for name in compared], strict=True)) if compared \
            else [()] * len(t)
        same = np.zeros(len(t), dtype=bool)
        for g, (lo, hi) in enumerate(_bounds(card_groups, n)):
            snapshot = items[g].meta.snapshot
            for i in range(lo, hi):
                issued = snapshot.get(ids[i] or "")
                same[i] = issued is not None and returned_rows[i] == tuple(map(issued.get, compared))

    pending: list[Pending | None] = [None] * n
    if incremental and cards_t is not None:
        checked, pending = incremental_tables(tables, read_findings, same, card_groups, ids, n)
    else:
        checked = tables
    validated: list[list[Finding]] = [[] for _ in range(n)]
    found_all = validate_book(Book(first.path, tables=checked, settings=first.settings, findings=read_findings),
                              as_of=as_of)
    if checked is not tables:
        found_all = with_cross_row(found_all, tables["客户档案"])
    for f in found_all:
        if f.row is None:  # about a whole sheet or column: the same in every template of this shape
            for found in validated:
                found.append(f)
        else:
            g = f.row >> ROW_GROUP_SHIFT
            validated[g].append(_in_group(f, 0) if g else f)
    findings: list[list[Finding]] = []
    for g, it in enumerate(items):
        parts = [list(it.book.findings), validated[g]]
        for k, found in enumerate(parts):
            # A new customer's blank 客户编号 is not missing; the template's 客户档案 holds only the
            # salesperson's own cards, so a visit's unknown-customer means "not one of yours",
            # which merge() says precisely (whose it is, or that none is).
            if cards_t is not None:
                found = [f for f in found if not (f.sheet == cards_t.sheet and f.field == "客户编号"
                                                  and f.code is Code.MISSING_VALUE and f.row in new_rows[g])]
            if visits_t is not None:
                found = [f for f in found if not (f.sheet == visits_t.sheet and f.code is Code.UNKNOWN_CUSTOMER)]
            parts[k] = found
        p = pending[g]
        if p is not None:
            p.head = len(parts[0])
        findings.append(parts[0] + parts[1])

    cards_out: list[list[Card]] = [[] for _ in range(n)]
    unchanged = [0] * n
    sent_ids: list[set[Text]] = [set() for _ in range(n)]
    if cards_t is not None:
        send: list[tuple[int, int]] = []  # (group, position)
        for g, (lo, hi) in enumerate(_bounds(card_groups, n)):
            for i in range(lo, hi):
                if same[i]:
                    unchanged[g] += 1
                else:
                    send.append((g, i))
        blank = [None] * len(send)
        names_sent = [columns["客户名称"][i] for _, i in send] if "客户名称" in columns else blank
        phones_sent = [columns["联系电话"][i] for _, i in send] if "联系电话" in columns else blank
        name_keys = _name_keys(pd.Series(names_sent, dtype="string"))
        pairs = _keys(names_sent, phones_sent)
        sheet = t.sheet
        errors = _errors_at(findings, sheet)
        editable = [name for name in EDITABLE_FIELDS if name in present]
        for k, (g, i) in enumerate(send):
            row = excel_rows[i]
            values = {name: columns[name][i] for name in present}
            issued = items[g].meta.snapshot.get(values.get("客户编号") or "")
            changed = None if issued is None else tuple(n for n in editable if values[n] != issued.get(n))
            cards_out[g].append(Card(row, values.get("客户编号"), values, tuple(errors[g].get(row, ())),
                                     name_keys[k], pairs[k], changed))
            sent_ids[g].add(values.get("客户编号"))

    visits_out: list[list[Visit]] = [[] for _ in range(n)]
    if visits_t is not None:
        t = tables["拜访"]
        present = [name for name in VISIT_FIELDS if t.has(name)]
        columns = canonical_columns(t.frame, present, _VISIT_KINDS)
        names = _name_keys(t.frame["客户名称"])
        excel_rows = (t.frame[ROW].to_numpy(dtype=np.int64) & _ROW_MASK).tolist()
        errors = _errors_at(findings, t.sheet)
        for g, (lo, hi) in enumerate(_bounds(visit_groups, n)):
            for i in range(lo, hi):
                values = {name: columns[name][i] for name in present}
                values["业务员"] = items[g].meta.salesperson
                row = excel_rows[i]
                visits_out[g].append(Visit(row, values, tuple(errors[g].get(row, ())), names[i]))

    results = []
    for g, it in enumerate(items):
        r = Returned(file=it.file, sha256=it.sha256, meta=it.meta, template_id=it.template_id or it.meta.template_id,
                     cards=cards_out[g], unchanged=unchanged[g], visits=visits_out[g], findings=findings[g],
                     pending=pending[g])
        if cards_t is not None:
            r.card_sheet = cards_t.sheet
            r.meta = replace(it.meta, snapshot={k: v for k, v in it.meta.snapshot.items() if k in sent_ids[g]})
        if visits_t is not None:
            r.visit_sheet = visits_t.sheet
        results.append(r)
    return results


def _errors_at(validated: Sequence[Sequence[Finding]], sheet: str) -> list[dict[int, list[Finding]]]:
    """Per template: Excel row → its error findings on ``sheet``."""
    out: list[dict[int, list[Finding]]] = []
    for found in validated:
        at: dict[int, list[Finding]] = {}
        for f in found:
            if f.row is not None and f.sheet == sheet and f.severity is Severity.ERROR:
                at.setdefault(f.row, []).append(f)
        out.append(at)
    return out


# --------------------------------------------------------------------------------------------
# The master's state


#: Conditionally required field → the field its condition reads (统一社会信用代码 → 客户性质): a
#: change to 客户性质 that leaves the USCC required and blank is a change with an error.
_CONDITION_OF = {f.name: f.required_unless[0] for f in CUSTOMERS.fields if f.required_unless}

#: Fields a new customer is compared on (the lookups are refreshed when one of them changes).
_KEY_FIELDS = frozenset({"客户名称", "联系电话", "统一社会信用代码"})


class CardColumns:
    """CARD_FIELDS → canonical text of every card by position, each field turned into text the
    first time it is asked for.

    A batch reads a handful of a master's fields (the owner, the fields salespeople changed,
    the keys new customers are compared on); text for all of 150,000 cards × 21 fields would
    be most of the cost of the state.  Cards added by the merge are appended to every field.
    """

    def __init__(self, frame: pd.DataFrame | None = None) -> None:
        self._frame = frame
        self._text: dict[str, list[Text]] = {}
        self._added: list[dict[str, Text]] = []

    def __getitem__(self, name: str) -> list[Text]:
        column = self._text.get(name)
        if column is None:
            column = canonical_column(self._frame[name], _CARD_KINDS[name]) if self._frame is not None else []
            column += [card.get(name) for card in self._added]
            self._text[name] = column
        return column

    def __len__(self) -> int:
        return (0 if self._frame is None else len(self._frame)) + len(self._added)

    def fill(self, names: Sequence[str]) -> None:
        """Turn several fields into text in one pass (:func:`canonical_columns`)."""
        todo = [n for n in names if n not in self._text]
        if todo and self._frame is not None and not self._added:
            self._text.update(canonical_columns(self._frame, todo, _CARD_KINDS))

    def append(self, values: Mapping[str, Text]) -> None:
        card = {n: values.get(n) for n in CARD_FIELDS}
        self._added.append(card)
        for name, column in self._text.items():
            column.append(card[name])


@dataclass
class MasterState:
    """What merging needs to know about the master: its cards, visits and change history.

    Cards are kept column-wise (a master of 150,000 cards is never turned into 150,000 dicts)
    and changed in place by :func:`merge`, so later files see earlier ones.
    """

    columns: CardColumns
    """CARD_FIELDS → canonical text of every card, by position (new cards appended)."""
    index: dict[str, int]
    """客户编号 → position, for every ID held by exactly one card."""
    rows: dict[str, int]
    """客户编号 → its Excel row on 客户档案 (existing cards only)."""
    duplicated: set[str] = field(default_factory=set)
    """IDs held by more than one card (nobody may change those until the office fixes them)."""
    ids: set[str] = field(default_factory=set)
    """Every ID in use (duplicated ones included)."""
    uscc: dict[str, str] = field(default_factory=dict)
    """Normalised 统一社会信用代码 → 客户编号 (first card wins)."""
    name_phone: dict[tuple[str, str], str] = field(default_factory=dict)
    """(normalised name, normalised phone) → 客户编号 (first card wins)."""
    visits: set[tuple[Text, ...]] = field(default_factory=set)
    """Every visit already on 拜访, as a tuple of VISIT_FIELDS' canonical text."""
    history: dict[tuple[str, str], tuple[str, Text]] = field(default_factory=dict)
    """(客户编号, field) → (template id, new value) of the latest 变更记录 row for it."""
    stale: set[str] = field(default_factory=set)
    """Cards whose name, phone or USCC changed since the lookups were built."""
    created: dict[tuple[str, str], str] = field(default_factory=dict)
    """(template id, normalised 客户名称) → 客户编号 of every new customer created from that issue."""
    allocator: IdAllocator | None = None
    """Fresh IDs (learned from the master's IDs when the state is built, off the merge's path)."""

    def has(self, cid: str) -> bool:
        return cid in self.index

    def get(self, cid: str, name: str) -> Text:
        return self.columns[name][self.index[cid]]

    def set(self, cid: str, name: str, value: Text) -> None:
        self.columns[name][self.index[cid]] = value

    def add(self, cid: str, values: Mapping[str, Text], np_key: tuple[str, str] | None) -> None:
        """A new card, findable at once (``np_key`` computed by the worker)."""
        self.index[cid] = len(self.columns)
        self.columns.append(values)
        self.ids.add(cid)
        self.reindex(cid, np_key)

    def reindex(self, cid: str, np_key: tuple[str, str] | None) -> None:
        """Make a changed card findable by its USCC, and by name and phone when ``np_key`` is
        known to match its current name and phone (else it is recomputed lazily)."""
        key = _uscc_key(self.get(cid, "统一社会信用代码"))
        if key is not None:
            self.uscc.setdefault(key, cid)
        if np_key is not None:
            self.name_phone.setdefault(np_key, cid)
        elif self.get(cid, "客户名称") and self.get(cid, "联系电话"):
            self.stale.add(cid)

    def lookups(self) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
        """The USCC and name+phone lookups, refreshed for the cards changed meanwhile."""
        if self.stale:
            cids = sorted(self.stale)
            self.stale.clear()
            _index(self, cids, [self.get(c, "统一社会信用代码") for c in cids],
                   [self.get(c, "客户名称") for c in cids], [self.get(c, "联系电话") for c in cids])
        return self.uscc, self.name_phone


def _uscc_key(v: Text) -> str | None:
    if not v:
        return None
    return re.sub(r"\s+", "", v).upper() or None


def _uscc_keys(usccs: Sequence[Text]) -> list[str | None]:
    """:func:`_uscc_key` of a whole column: plain ASCII letters and digits (nearly every
    code) upper-cased in one Arrow pass, anything else (spaces, full-width) one by one."""
    arr = pa.array(list(usccs), pa.large_string())
    out: list[str | None] = pc.ascii_upper(arr).to_pylist()
    simple = pc.match_substring_regex(arr, r"^[0-9A-Za-z]+$").fill_null(True)
    for k in np.flatnonzero(~simple.to_numpy(zero_copy_only=False)).tolist():
        out[k] = _uscc_key(usccs[k])
    return out


def _keys(names: Sequence[Text] | pd.Series, phones: Sequence[Text] | pd.Series) -> list[tuple[str, str] | None]:
    """(normalised name, normalised phone) per card (one vectorised pass), None where either is
    blank; the same normalisation as validation's possible-duplicate rule."""
    nk = company_key(names if isinstance(names, pd.Series) else pd.Series(list(names), dtype="string"))
    pk = phone_key(phones if isinstance(phones, pd.Series) else pd.Series(list(phones), dtype="string"))
    out: list[tuple[str, str] | None] = list(zip(nk.tolist(), pk.tolist(), strict=True))
    for k in np.flatnonzero(~(nk.notna().to_numpy(dtype=bool) & pk.notna().to_numpy(dtype=bool))).tolist():
        out[k] = None  # pairs built in C, the few blanks patched after
    return out


def _name_keys(names: pd.Series) -> list[str | None]:
    return [k if isinstance(k, str) and k else None for k in company_key(names.astype("string")).tolist()]


def _index(state: MasterState, cids: Sequence[str], usccs: Sequence[Text], names: Sequence[Text] | pd.Series,
           phones: Sequence[Text] | pd.Series) -> None:
    """Add the cards to the lookups; a key already held keeps its first card."""
    for lookup, keys in ((state.uscc, _uscc_keys(usccs)), (state.name_phone, _keys(names, phones))):
        first: dict[Any, str] = dict(zip(reversed(keys), reversed(cids), strict=True))  # the first card wins
        first.pop(None, None)
        if lookup:
            for key, cid in first.items():
                lookup.setdefault(key, cid)
        else:
            lookup.update(first)


def visit_key(values: Mapping[str, Text]) -> tuple[Text, ...]:
    """A visit as the tuple that recognises it again."""
    return tuple(values.get(n) for n in VISIT_FIELDS)


def master_state(book: Book, history: Iterable[tuple[str, str, str, Text]] = ()) -> MasterState:
    """The master's :class:`MasterState` from its typed tables (客户档案, 拜访) and the rows of its
    变更记录 as ``(customer_id, field, template_id, new_value)`` in the order written."""
    cards_t = book.table("客户档案")
    state = MasterState(columns=CardColumns(), index={}, rows={})
    if cards_t is not None:
        frame = cards_t.frame
        state.columns = CardColumns(frame)
        state.columns.fill(["客户编号", "业务员", "统一社会信用代码"])
        ids = state.columns["客户编号"]
        counts = Counter(cid for cid in ids if cid is not None)
        state.ids = set(counts)
        state.duplicated = {i for i, n in counts.items() if n > 1}
        kept = [(k, cid) for k, cid in enumerate(ids) if cid is not None and cid not in state.duplicated]
        keep, kept_ids = [k for k, _ in kept], [cid for _, cid in kept]
        state.index = dict(zip(kept_ids, keep, strict=True))
        state.rows = dict(zip(kept_ids, frame[ROW].to_numpy(dtype=np.int64)[keep].tolist(), strict=True))
        uscc = state.columns["统一社会信用代码"]
        # Names and phones straight from the typed frame: their keys ignore the spaces that
        # canonical text trims, and most of a master's names are never needed as text.
        _index(state, kept_ids, [uscc[k] for k in keep], frame["客户名称"].iloc[keep], frame["联系电话"].iloc[keep])
    visits_t = book.table("拜访")
    if visits_t is not None:
        columns = list(canonical_columns(visits_t.frame, VISIT_FIELDS, _VISIT_KINDS).values())
        state.visits = set(zip(*columns, strict=True)) if columns and len(visits_t) else set()
    made = []
    for cid, name, template_id, new in history:
        state.history[(cid, name)] = (template_id, new)
        if name == NEW_CUSTOMER_FIELD:
            made.append((template_id, new, cid))
    keys = _name_keys(pd.Series([m[1] for m in made], dtype="string"))
    for (template_id, _, cid), key in zip(made, keys, strict=True):
        if key is not None:
            state.created.setdefault((template_id, key), cid)
    state.allocator = IdAllocator(state.ids)
    return state


# --------------------------------------------------------------------------------------------
# New IDs


_ID_RE = re.compile(r"^(.*?)(\d+)$")


class IdAllocator:
    """Fresh IDs continuing the master's dominant pattern (prefix + zero-padded number).

    The pattern is the most common (prefix, digit count) among the existing IDs; numbering
    continues after the largest number with that prefix, skipping any ID already taken.
    Without a numbered ID the pattern is ``KH`` + 5 digits.  Learned once per merge.
    """

    def __init__(self, existing: Iterable[str]) -> None:
        self.taken = existing if isinstance(existing, set) else set(existing)
        patterns: Counter[tuple[str, int]] = Counter()
        largest: dict[str, int] = {}
        for cid in self.taken:
            m = _ID_RE.match(cid)
            if m is None:
                continue
            prefix, digits = m.group(1), m.group(2)
            patterns[(prefix, len(digits))] += 1
            largest[prefix] = max(largest.get(prefix, 0), int(digits))
        if patterns:
            (self.prefix, self.width), _ = max(patterns.items(), key=lambda kv: (kv[1], kv[0][1], kv[0][0]))
        else:
            self.prefix, self.width = DEFAULT_ID_PREFIX, DEFAULT_ID_WIDTH
        self.number = largest.get(self.prefix, 0)

    def next(self) -> str:
        while True:
            self.number += 1
            cid = f"{self.prefix}{self.number:0{self.width}d}"
            if cid not in self.taken:
                self.taken.add(cid)
                return cid


def next_ids(existing: Iterable[str], n: int) -> list[str]:
    """``n`` fresh IDs after ``existing`` (see :class:`IdAllocator`)."""
    ids = IdAllocator(set(existing))
    return [ids.next() for _ in range(n)]


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
               or (f.code is Code.MISSING_VALUE and _CONDITION_OF.get(f.field or "") in changed)]
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
        if _KEY_FIELDS.intersection(self.result.updates.get(cid, ())):
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
        uscc = _uscc_key(card.values.get("统一社会信用代码"))
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
    kind = _visit_kind(name) if visit else _card_kind(name)
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
    kind = _visit_kind(name) if visit else _card_kind(name)
    return {FieldType.AMOUNT: "amount", FieldType.DATE: "date", FieldType.INTEGER: "number",
            FieldType.NUMBER: "number"}.get(kind, "text")
