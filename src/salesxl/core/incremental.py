"""The batch's incremental check: each returned template's unchanged cards take their findings
from one check of the master, instead of being validated again in every file.

Most rows of a returned template are exactly the rows it was issued with, and a one-row rule
(required cells, options, identifiers, amounts, dates, coordinates) gives the same findings for
the same values wherever the row stands.  So a batch validates the master's 客户档案 once
(:func:`master_check`: its one-row findings keyed by customer, and a hash of each card's typed
values), and a worker validates in each template only the rows that differ from the issued
snapshot (and rows the reader could not read cleanly) — plus, over the whole template, the
rules that compare rows (:data:`~salesxl.core.validation.CROSS_ROW_CODES`: duplicate IDs and
codes, possible duplicates), which a changed row can affect anywhere in the file.  The other
rows are left :class:`Pending`; :func:`complete` gives them the master's findings of the same
customers, moved to the template's rows and columns.  The feedback is then what a full check of
the file gives (a property test holds the two equal).

That holds only when a pending row's values are the master's values now.  When they are not —
the office changed the card since the template was issued, the customer moved, the master
holds the ID twice or could not read the card cleanly, the columns differ — :func:`complete`
returns None and the batch checks that file in full.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from pandas.core.util.hashing import combine_hash_arrays  # type: ignore[import-untyped]

from salesxl.core.findings import Code, Finding
from salesxl.core.schema import CUSTOMERS, SHEETS
from salesxl.core.tables import ROW, ROW_GROUP_SHIFT, Book, Table
from salesxl.core.templates import CARD_FIELDS
from salesxl.core.validation import (
    CROSS_ROW_CODES,
    CROSS_ROW_FIELDS,
    cross_row_keys,
    customer_cross_row,
    validate_book,
)

_CODE_ORDER = {c: i for i, c in enumerate(Code)}
_SHEET_ORDER = {name: i for i, name in enumerate(SHEETS)}
#: Card fields a blank cell of which can be a finding (required, or required unless …): a
#: template may have a card column the master lacks only when it is none of these.
_BLANK_MATTERS = frozenset(f.name for f in CUSTOMERS.fields if f.required or f.required_unless)


@dataclass
class Pending:
    """The rows of one returned template left for :func:`complete` (picklable, small)."""

    rows: list[tuple[str, int]] = field(default_factory=list)
    """(客户编号, Excel row) of each card returned exactly as issued."""
    hashes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    """:func:`row_hashes` of those rows' typed values (业务员 as the template's salesperson)."""
    layout: tuple[tuple[str, str, str], ...] = ()
    """(field, column letter, dtype) of each card column the template has."""
    head: int = 0
    """How many of the template's findings are the reader's (they come first)."""
    changed: pd.DataFrame | None = None
    """The rows checked on their own (changed, new, unreadable): their :data:`CROSS_ROW_FIELDS`
    and Excel row, for the cross-row rules :func:`complete_all` runs over the whole file."""


def column_hashes(frame: pd.DataFrame, fields: Sequence[str]) -> dict[str, np.ndarray]:
    """One 64-bit hash per row of each of ``fields``' typed values."""
    return {n: pd.util.hash_pandas_object(frame[n], index=False).to_numpy(dtype=np.uint64) for n in fields}


def combined(hashes: Sequence[np.ndarray], rows: int) -> np.ndarray:
    """Column hashes (:func:`column_hashes`) combined into one per row, as pandas hashes a frame."""
    if not hashes:
        return np.zeros(rows, dtype=np.uint64)
    return combine_hash_arrays(iter(hashes), len(hashes))


def row_hashes(frame: pd.DataFrame, fields: Sequence[str]) -> np.ndarray:
    """One 64-bit hash per row of the typed values of ``fields`` (the same values, the same
    dtypes: the same hash, in a template as in the master)."""
    if not len(frame):
        return np.zeros(0, dtype=np.uint64)
    by_column = column_hashes(frame, fields)
    return combined([by_column[n] for n in fields], len(frame))


def layout_of(t: Table) -> tuple[tuple[str, str, str], ...]:
    """(field, letter, dtype) of each card column ``t`` has."""
    return tuple((n, t.letters[n], str(t.frame[n].dtype)) for n in CARD_FIELDS if t.has(n))


def incremental_tables(tables: Mapping[str, Table], read_findings: Sequence[Finding], same: np.ndarray,
                       groups: np.ndarray, ids: Sequence[str | None], n: int
                       ) -> tuple[dict[str, Table], list[Pending | None]]:
    """The tables to validate (客户档案 cut down to the rows that need their own check) and, per
    template of the stacked 客户档案 (``groups``), its :class:`Pending` rows.

    ``same`` marks the rows returned exactly as issued; of those, a row the reader reported a
    problem on is checked anyway (an unreadable cell reads as blank, which the master's check
    of the issued value would not know)."""
    cards = tables["客户档案"]
    frame = cards.frame
    rows = frame[ROW].to_numpy(dtype=np.int64)
    flagged = {f.row for f in read_findings if f.sheet == cards.sheet and f.row is not None}
    keep = same & ~np.isin(rows, np.fromiter(flagged, dtype=np.int64, count=len(flagged)))
    layout = layout_of(cards)
    # Every row hashed, then the kept ones taken: cheaper than taking 40 columns first.
    hashes = row_hashes(frame, [n for n, _, _ in layout])[keep]
    pending: list[Pending | None] = [Pending(layout=layout) for _ in range(n)]
    mask = (1 << ROW_GROUP_SHIFT) - 1
    at = np.flatnonzero(keep)
    for i in at.tolist():
        p = pending[int(groups[i])]
        assert p is not None
        p.rows.append((str(ids[i]), int(rows[i] & mask)))
    cross = [n for n in CROSS_ROW_FIELDS if cards.has(n)]
    other = frame.loc[~keep, cross].assign(**{ROW: rows[~keep] & mask})
    other_groups = groups[~keep]
    for g, p in enumerate(pending):
        assert p is not None
        p.hashes = hashes[groups[at] == g]
        p.changed = other.loc[other_groups == g].reset_index(drop=True)
    checked = dict(tables)
    checked["客户档案"] = Table(cards.schema, cards.sheet, cards.header_row, dict(cards.letters),
                            frame.loc[~keep].reset_index(drop=True))
    return checked, pending


def without_cross_row(found: Sequence[Finding], sheet: str) -> list[Finding]:
    """Validation findings of the cut-down tables without their cross-row 客户档案 findings
    (:func:`complete_all` finds those over the whole file)."""
    return [f for f in found if not (f.sheet == sheet and f.code in CROSS_ROW_CODES)]


def _ordered(found: list[Finding], sheets: Mapping[str, int]) -> list[Finding]:
    """Sheet by sheet (contract order), then by row, column and code (stable)."""
    return sorted(found, key=lambda f: (sheets.get(f.sheet, _SHEET_ORDER.get(f.sheet, -1)), f.row or 0,
                                        _column_number(f.column), _CODE_ORDER[f.code]))


def _column_number(letters: str | None) -> int:
    out = 0
    for ch in letters or "":
        out = out * 26 + ord(ch) - 64
    return out


@dataclass
class MasterCheck:
    """The master's 客户档案 checked once per batch: what :func:`complete` needs (picklable)."""

    sheet: str
    findings: dict[str, list[Finding]]
    """客户编号 → the one-row findings on its card (the master's rows and columns)."""
    positions: dict[str, int]
    """客户编号 → its row position in ``frame``, for every ID the master holds once and read
    cleanly (the others are never inherited)."""
    frame: pd.DataFrame
    """The master's card columns, typed (the reader's absent columns are all blank)."""
    present: frozenset[str] = frozenset()
    """The card columns the master has."""
    hashes: dict[tuple[tuple[str, str], ...], np.ndarray] = field(default_factory=dict)
    """Row hashes per template layout ((field, dtype) …), made on first use."""
    columns: dict[str, np.ndarray] = field(default_factory=dict)
    """:func:`column_hashes` of every card column, made while the workers read the templates:
    a template layout's row hashes are then only combined."""
    keys: pd.DataFrame | None = None
    """:func:`~salesxl.core.validation.cross_row_keys` of every card (row for row with
    ``frame``): an unchanged card's keys are not made again in each template."""

    lookup: tuple[pd.Index, np.ndarray] | None = None
    """:attr:`positions` as an index and positions (:meth:`locate`), made on first use."""
    shared: np.ndarray | None = None
    """Per card: one of its cross-row keys (客户编号, or :attr:`keys`' uscc, name, phone) is
    another card's too, anywhere in the master.  Two unchanged cards of one template can only
    be a cross-row finding when both are shared."""
    key_cards: dict[str, pd.DataFrame] = field(default_factory=dict)
    """Per cross-row key (:data:`KEY_COLUMNS`): ``key`` and ``pos`` (position in ``frame``) of
    every card that has one: which master cards a changed row's key is shared with."""

    def locate(self, ids: Sequence[str]) -> np.ndarray:
        """The position in ``frame`` of each of ``ids`` (:attr:`positions`), -1 when none."""
        if self.lookup is None:
            self.lookup = (pd.Index(list(self.positions)), np.fromiter(self.positions.values(), dtype=np.int64))
        index, values = self.lookup
        found = index.get_indexer(ids)
        return np.where(found >= 0, values[found], -1)

    def hashes_for(self, layout: tuple[tuple[str, str], ...]) -> np.ndarray | None:
        """:func:`row_hashes` of every master card over ``layout``'s fields; None when the
        master's columns are not of those dtypes."""
        if layout not in self.hashes:
            names = [n for n, _ in layout]
            if any(n not in self.frame or str(self.frame[n].dtype) != d for n, d in layout):
                return None
            missing = [n for n in names if n not in self.columns]
            self.columns.update(column_hashes(self.frame, missing))
            self.hashes[layout] = combined([self.columns[n] for n in names], len(self.frame))
        return self.hashes[layout]


def master_check(book: Book, *, as_of: date) -> MasterCheck:
    """Validate the master's 客户档案 once (as of the batch's date): its one-row findings by
    customer, and which customers a template may inherit them for."""
    cards = book["客户档案"]
    only = Book(book.path, tables={"客户档案": cards}, settings=book.settings,
                findings=[f for f in book.findings if f.sheet == cards.sheet])
    frame = cards.frame.sort_values(ROW, kind="stable").reset_index(drop=True)
    excel_rows = frame[ROW].to_numpy(dtype=np.int64)
    ids = frame["客户编号"]
    texts = ids.astype(object).where(ids.notna(), None).tolist()
    at_row = dict(zip(excel_rows.tolist(), texts, strict=True))
    findings: dict[str, list[Finding]] = {}
    for f in validate_book(only, as_of=as_of):
        if f.row is None or f.code in CROSS_ROW_CODES:
            continue
        cid = at_row.get(f.row)
        if cid is not None:
            findings.setdefault(cid, []).append(f)
    unread = {f.row for f in only.findings if f.row is not None}
    once = ~ids.duplicated(keep=False).to_numpy() & ids.notna().to_numpy() & ~np.isin(
        excel_rows, np.fromiter(unread, dtype=np.int64, count=len(unread)))
    positions = {texts[i]: i for i in np.flatnonzero(once).tolist()}
    columns = [n for n in CARD_FIELDS if n in frame]
    check = MasterCheck(cards.sheet, findings, positions, frame[columns],
                        frozenset(n for n in CARD_FIELDS if cards.has(n)),
                        keys=cross_row_keys(Table(cards.schema, cards.sheet, cards.header_row,
                                                  dict(cards.letters), frame)))
    # Hash every column now, off the batch's main path (while the workers read the templates),
    # and index the cross-row keys.
    check.columns = column_hashes(frame, columns)
    assert check.keys is not None
    shared = np.zeros(len(frame), dtype=bool)
    for name, values in _key_columns(frame["客户编号"], check.keys).items():
        shared |= (values.notna() & values.duplicated(keep=False)).to_numpy(dtype=bool)
        held = values.notna().to_numpy(dtype=bool)
        check.key_cards[name] = pd.DataFrame({"key": values[held].reset_index(drop=True), "pos": np.flatnonzero(held)})
    check.shared = shared
    return check


#: The keys the cross-row rules compare: 客户编号 as typed, and :func:`cross_row_keys`' three.
KEY_COLUMNS = ("客户编号", "uscc", "name", "phone")


def _key_columns(ids: pd.Series, keys: pd.DataFrame) -> dict[str, pd.Series]:
    """:data:`KEY_COLUMNS` of rows with these IDs and :func:`cross_row_keys` (positional)."""
    out = {"客户编号": ids.astype("string").reset_index(drop=True)}
    out.update({n: keys[n].astype("string").reset_index(drop=True) for n in KEY_COLUMNS[1:]})
    return out


def complete(findings: Sequence[Finding], pending: Pending, check: MasterCheck, sheet: str) -> list[Finding] | None:
    """``findings`` (a template's, checked incrementally) with the master's one-row findings of
    its pending cards, at the template's rows and columns, and the cross-row findings of the
    whole file; None when a pending card is not the master's card now (the file must be
    checked in full).  :func:`complete_all` of one file."""
    return complete_all([(findings, pending, sheet)], check)[0]


def complete_all(items: Sequence[tuple[Sequence[Finding], Pending, str]], check: MasterCheck
                 ) -> list[list[Finding] | None]:
    """:func:`complete` of many files at once: the cross-row rules run in one vectorised pass
    over all of them (each file its own group), on the master's keys of the unchanged cards
    and fresh keys of the changed rows only."""
    out: list[list[Finding] | None] = []
    inherited: list[list[Finding]] = []
    # Every file's unchanged cards located in the master in one lookup.
    counts = [len(p.rows) for _, p, _ in items]
    located = np.split(check.locate([cid for _, p, _ in items for cid, _ in p.rows]), np.cumsum(counts)[:-1]) \
        if items else []
    for (findings, pending, sheet), at in zip(items, located, strict=True):
        got = _inherited(pending, check, sheet, at)
        inherited.append(got or [])
        out.append(None if got is None else list(findings))
    live = [i for i, o in enumerate(out) if o is not None]
    cross = _cross_rows([items[i][1] for i in live], check, [located[i] for i in live])
    for i, extra in zip(live, cross, strict=True):
        findings, pending, sheet = items[i]
        letters = {n: letter for n, letter, _ in pending.layout}
        moved = [f.model_copy(update={"sheet": sheet, "column": letters[f.field or ""]}) for f in extra]
        added = inherited[i] + moved
        if not added:
            continue
        head, rest = list(findings[:pending.head]), findings[pending.head:]
        cards = [f for f in rest if f.sheet == sheet]
        out[i] = head + _ordered(cards + added, {sheet: 0}) + [f for f in rest if f.sheet != sheet]
    return out


def _inherited(pending: Pending, check: MasterCheck, sheet: str, at: np.ndarray) -> list[Finding] | None:
    """The master's one-row findings of ``pending``'s cards (at positions ``at`` of the master)
    at the template's rows and columns; None when a pending card is not the master's card now."""
    letters = {n: letter for n, letter, _ in pending.layout}
    # A card column the master lacks reads as blank there: fine, unless a blank can be a finding.
    if not check.present <= set(letters) or (set(letters) - check.present) & _BLANK_MATTERS:
        return None
    hashes = check.hashes_for(tuple((n, d) for n, _, d in pending.layout))
    if hashes is None or check.keys is None or pending.changed is None:
        return None
    if (at < 0).any() or (hashes[at] != pending.hashes).any():
        return None
    inherited: list[Finding] = []
    for cid, row in pending.rows:
        for f in check.findings.get(cid, ()):
            letter = letters.get(f.field or "")
            if letter is not None:
                inherited.append(f.model_copy(update={"sheet": sheet, "row": row, "column": letter}))
    return inherited


def _cross_rows(pendings: Sequence[Pending], check: MasterCheck, located: Sequence[np.ndarray]
                ) -> list[list[Finding]]:
    """The cross-row findings of each file (at placeholder sheet and columns), files with the
    same cross-row columns in one pass; ``located``: each file's unchanged cards in the master."""
    out: list[list[Finding]] = [[] for _ in pendings]
    shapes: dict[tuple[str, ...], list[int]] = {}
    for i, p in enumerate(pendings):
        assert p.changed is not None
        shapes.setdefault(tuple(n for n in CROSS_ROW_FIELDS if n in p.changed), []).append(i)
    for fields, members in shapes.items():
        for f in _cross_rows_alike(fields, [pendings[i] for i in members], check, [located[i] for i in members]):
            g = (f.row or 0) >> ROW_GROUP_SHIFT
            out[members[g]].append(_ungrouped(f))
    return out


_MASK = (1 << ROW_GROUP_SHIFT) - 1


def _ungrouped(f: Finding) -> Finding:
    update: dict[str, object] = {"row": (f.row or 0) & _MASK}
    first = f.params.get("first_row")
    if isinstance(first, int):
        update["params"] = {**f.params, "first_row": first & _MASK}
    return f.model_copy(update=update)


def _cross_rows_alike(fields: tuple[str, ...], pendings: Sequence[Pending], check: MasterCheck,
                      located: Sequence[np.ndarray]) -> list[Finding]:
    """:func:`~salesxl.core.validation.customer_cross_row` of files of one shape, stacked.

    A cross-row finding needs two rows of one file with a key in common (the rules group rows
    by key; a row that shares no key takes no part).  So of the unchanged cards only those go
    in whose key another master card has too (:attr:`MasterCheck.shared`: two unchanged cards
    of a file sharing a key are two master cards sharing it), or whose key a changed row of the
    same file has; the changed rows all go in.  The findings are those of the whole files."""
    assert check.keys is not None and check.shared is not None
    changed = pd.concat([p.changed.assign(**{ROW: p.changed[ROW].to_numpy(dtype=np.int64) | (g << ROW_GROUP_SHIFT)})
                         for g, p in enumerate(pendings) if p.changed is not None], ignore_index=True)
    letters = {n: n for n in fields}  # placeholders: each file's own letters are put back after
    fresh = cross_row_keys(Table(CUSTOMERS, "", 1, letters, changed))
    groups = np.repeat(np.arange(len(pendings), dtype=np.int64), [len(at) for at in located])
    at = np.concatenate(located) if located else np.zeros(0, dtype=np.int64)
    rows = np.fromiter((row for p in pendings for _, row in p.rows), dtype=np.int64, count=len(at))
    keep = check.shared[at] | _shares_with_changed(changed, fresh, check, at, groups, len(pendings))
    at, groups, rows = at[keep], groups[keep], rows[keep]
    kept = check.frame.iloc[at].reindex(columns=list(fields)).assign(**{ROW: rows | (groups << ROW_GROUP_SHIFT)})
    frame = pd.concat([kept.reset_index(drop=True), changed], ignore_index=True)
    keys = pd.concat([check.keys.iloc[at].reset_index(drop=True), fresh.reset_index(drop=True)], ignore_index=True)
    return customer_cross_row(Table(CUSTOMERS, "", 1, letters, frame), keys)


def _shares_with_changed(changed: pd.DataFrame, fresh: pd.DataFrame, check: MasterCheck, at: np.ndarray,
                         groups: np.ndarray, files: int) -> np.ndarray:
    """Per unchanged card (master position ``at`` in file ``groups``): one of its keys is a key
    of a changed row of the same file."""
    if not len(changed) or not len(at):
        return np.zeros(len(at), dtype=bool)
    ids = changed["客户编号"] if "客户编号" in changed else pd.Series(pd.NA, index=changed.index, dtype="string")
    changed_groups = changed[ROW].to_numpy(dtype=np.int64) >> ROW_GROUP_SHIFT
    hits: list[np.ndarray] = []
    for name, values in _key_columns(ids, fresh).items():
        asked = pd.DataFrame({"key": values, "group": changed_groups}).dropna()
        if len(asked):
            # Every master card holding a changed row's key, with the changed row's file.
            both = asked.merge(check.key_cards[name], on="key", how="inner")
            hits.append(both["pos"].to_numpy(dtype=np.int64) * files + both["group"].to_numpy(dtype=np.int64))
    if not hits:
        return np.zeros(len(at), dtype=bool)
    return np.isin(at * files + groups, np.concatenate(hits))
