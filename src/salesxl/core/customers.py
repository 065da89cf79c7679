"""The customer universe: which customers a book has, defined once for every command.

A book names customers in three places: the cards of 客户档案, and the 客户编号 of 销售 and 收款
rows.  An ID typed on a sale or a receipt but missing from 客户档案 (the validator's
``unknown-customer``) is still money owed or paid: the ledger must carry it, or the balances
would not add up.  So the universe is **every card's 客户编号, plus every ID that appears only in
the ledger sheets** — the latter marked ``known = False`` and shown as 档案外客户 ("not on file").
offset, classify, the 月报 and the statements all count this same set, which is what lets one
book give one number of customers everywhere.

How a customer that is only in the ledger is treated (it has no card, so no level window of its
own, no zone, no address):

* its balance, aging and action are the ledger's, like any customer's (credit limit 0, terms
  :data:`salesxl.core.ledger.DEFAULT_TERMS_DAYS`);
* its level is C 零散客户: the Pareto ranking (spec §3) is over the customers of 客户档案, so a
  mistyped ID cannot push a real customer from A to B;
* its status follows its sales (spec §3 needs only dates), and its credit grade its overdue days,
  through :func:`credit_grades`, the one function both classify and the 月报's 信用分析 use;
* it has no zone and no route (there is no address to visit).

Nothing here reads a file.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: How a customer that is only in the ledger is labelled (zh, en).
NOT_ON_FILE = ("档案外客户", "not on file")
GRADES = ("A", "B", "C", "D")
#: Upper bounds (inclusive) of the largest overdue days for grades A, B, C; beyond is D.
GRADE_BOUNDS = (0, 30, 90)


def not_on_file(lang: str = "zh") -> str:
    """The label of a customer missing from 客户档案, in ``lang``."""
    return NOT_ON_FILE[1] if lang == "en" else NOT_ON_FILE[0]


def sorted_codes(arrays: list[pa.Array]) -> tuple[pa.Array, list[np.ndarray]]:
    """Distinct values of ``arrays`` in code-point order, and each array's codes (-1 blank).

    Codes compare like the strings, so sorting by code is sorting by 客户编号 or 单号.
    """
    sizes = [len(a) for a in arrays]
    enc = pc.dictionary_encode(pa.concat_arrays(arrays))
    dictionary = enc.dictionary
    idx = pc.fill_null(enc.indices, -1).to_numpy().astype(np.int64)
    order = pc.sort_indices(dictionary).to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    codes = np.where(idx >= 0, rank[np.maximum(idx, 0)] if len(rank) else -1, -1)
    return dictionary.take(pa.array(order)), np.split(codes, np.cumsum(sizes)[:-1])


@dataclass(frozen=True)
class Universe:
    """Every customer of a book: ``ids`` in code-point order, ``known`` (on 客户档案) per id, and
    the codes (index into ``ids``, -1 blank) of each card, 销售 row and 收款 row."""

    ids: pa.Array
    known: np.ndarray
    card_codes: np.ndarray
    sales_codes: np.ndarray
    receipt_codes: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def ledger_only(self) -> list[str]:
        """The IDs not on 客户档案, in code-point order."""
        return [str(v) for v in self.ids.filter(pa.array(~self.known)).to_pylist()]


def universe(cards: pa.Array, sales: pa.Array, receipts: pa.Array) -> Universe:
    """The universe from the 客户编号 columns of 客户档案, 销售 and 收款 (large_string arrays,
    null for blank)."""
    ids, (card_c, sale_c, rec_c) = sorted_codes([cards, sales, receipts])
    known = np.zeros(len(ids), dtype=bool)
    known[card_c[card_c >= 0]] = True
    return Universe(ids, known, card_c, sale_c, rec_c)


def credit_grades(max_overdue_days: np.ndarray, prospect: np.ndarray) -> np.ndarray:
    """Credit grade per customer (spec §3): A no overdue, B ≤ 30 days, C ≤ 90, D beyond; None
    for prospects.  The only place a grade is computed: classify and the 月报 both call it."""
    days = np.asarray(max_overdue_days, dtype=np.int64)
    grade = np.array(GRADES, dtype=object)[np.searchsorted(np.asarray(GRADE_BOUNDS), days, side="left")]
    grade[np.asarray(prospect, dtype=bool)] = None
    return grade
