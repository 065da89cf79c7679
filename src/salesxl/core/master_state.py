"""The master archive's state as the merge sees it: :class:`MasterState`, and new customer IDs.

:func:`master_state` builds, from the master's typed 客户档案 and 拜访 tables and its 变更记录,
the canonical text of every card (column-wise, :class:`CardColumns`), who set each field in
which issue, the visits already recorded and the lookups that find a customer by credit code
or by name and phone; :class:`IdAllocator` (:func:`next_ids`) continues the master's ID
pattern (``KH00400`` → ``KH00401``).  Pure: typed tables in, state out.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from salesxl.core.merge_keys import (
    CARD_KINDS,
    DEFAULT_ID_PREFIX,
    DEFAULT_ID_WIDTH,
    NEW_CUSTOMER_FIELD,
    VISIT_KINDS,
    Text,
    canonical_column,
    canonical_columns,
    company_name_keys,
    name_phone_keys,
    uscc_key,
    uscc_keys,
)
from salesxl.core.schema import CUSTOMERS
from salesxl.core.tables import ROW, Book
from salesxl.core.templates import CARD_FIELDS, VISIT_FIELDS

# --------------------------------------------------------------------------------------------
# The master's state


#: Conditionally required field → the field its condition reads (统一社会信用代码 → 客户性质): a
#: change to 客户性质 that leaves the USCC required and blank is a change with an error.
CONDITION_OF = {f.name: f.required_unless[0] for f in CUSTOMERS.fields if f.required_unless}

#: Fields a new customer is compared on (the lookups are refreshed when one of them changes).
KEY_FIELDS = frozenset({"客户名称", "联系电话", "统一社会信用代码"})


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
            column = canonical_column(self._frame[name], CARD_KINDS[name]) if self._frame is not None else []
            column += [card.get(name) for card in self._added]
            self._text[name] = column
        return column

    def __len__(self) -> int:
        return (0 if self._frame is None else len(self._frame)) + len(self._added)

    def fill(self, names: Sequence[str]) -> None:
        """Turn several fields into text in one pass (:func:`canonical_columns`)."""
        todo = [n for n in names if n not in self._text]
        if todo and self._frame is not None and not self._added:
            self._text.update(canonical_columns(self._frame, todo, CARD_KINDS))

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
        key = uscc_key(self.get(cid, "统一社会信用代码"))
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


def _index(state: MasterState, cids: Sequence[str], usccs: Sequence[Text], names: Sequence[Text] | pd.Series,
           phones: Sequence[Text] | pd.Series) -> None:
    """Add the cards to the lookups; a key already held keeps its first card."""
    for lookup, keys in ((state.uscc, uscc_keys(usccs)), (state.name_phone, name_phone_keys(names, phones))):
        first: dict[Any, str] = dict(zip(reversed(keys), reversed(cids), strict=True))  # the first card wins
        first.pop(None, None)
        if lookup:
            for key, cid in first.items():
                lookup.setdefault(key, cid)
        else:
            lookup.update(first)


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
        columns = list(canonical_columns(visits_t.frame, VISIT_FIELDS, VISIT_KINDS).values())
        state.visits = set(zip(*columns, strict=True)) if columns and len(visits_t) else set()
    made = []
    for cid, name, template_id, new in history:
        state.history[(cid, name)] = (template_id, new)
        if name == NEW_CUSTOMER_FIELD:
            made.append((template_id, new, cid))
    keys = company_name_keys(pd.Series([m[1] for m in made], dtype="string"))
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
