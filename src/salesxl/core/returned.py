"""What a returned salesperson template holds, built in a batch worker process: :class:`Returned`.

:func:`returned_from_book` (one template) and :func:`returned_from_books` (many of the same
layout, validated in one stacked pass) turn a template's typed tables into its changed cards
(:class:`Card`), its visits (:class:`Visit`), its layout problems and its validation findings,
as canonical text, ready to be pickled back to the main process and merged
(:func:`salesxl.core.merge.merge`).  Pure: typed tables in, data out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from salesxl.core.findings import Code, Finding, FindingCounts, Severity
from salesxl.core.incremental import (
    MasterCheck,
    Pending,
    complete_all,
    incremental_tables,
    without_cross_row,
)
from salesxl.core.merge_keys import (
    CARD_KINDS,
    VISIT_KINDS,
    Text,
    canonical_column,
    canonical_columns,
    company_name_keys,
    name_phone_keys,
)
from salesxl.core.schema import FieldType
from salesxl.core.tables import ROW, ROW_GROUP_SHIFT, Book, Table
from salesxl.core.templates import (
    CARD_FIELDS,
    EDITABLE_FIELDS,
    VISIT_FIELDS,
    LayoutProblem,
    TemplateMeta,
)
from salesxl.core.validation import validate_book

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
        columns = canonical_columns(t.frame, present, CARD_KINDS)
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
        found_all = without_cross_row(found_all, tables["客户档案"].sheet)
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
        name_keys = company_name_keys(pd.Series(names_sent, dtype="string"))
        pairs = name_phone_keys(names_sent, phones_sent)
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
        columns = canonical_columns(t.frame, present, VISIT_KINDS)
        names = company_name_keys(t.frame["客户名称"])
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


def complete_returned(items: Sequence[Returned], check: MasterCheck) -> list[bool]:
    """Finish the incremental check of ``items`` (:func:`~salesxl.core.incremental.complete_all`:
    the master's findings of their unchanged cards, the cross-row rules over each whole file)
    and give their cards the errors found there; False for a file whose pending cards are not
    the master's now (it must be checked in full; it is left as it was)."""
    todo = [r for r in items if r.pending is not None]
    done = complete_all([(r.findings, r.pending, r.card_sheet) for r in todo if r.pending is not None], check)
    ok = {id(r): found is not None for r, found in zip(todo, done, strict=True)}
    for r, found in zip(todo, done, strict=True):
        if found is None:
            continue
        r.findings, r.pending = found, None
        errors = _errors_at([found], r.card_sheet)[0]
        r.cards = [c if tuple(errors.get(c.row, ())) == c.errors else replace(c, errors=tuple(errors.get(c.row, ())))
                   for c in r.cards]
    return [ok.get(id(r), True) for r in items]


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
