"""预收冲应收 · the ledger (spec §3): balances, FIFO offset, open items, aging, action, release.

Per customer, debit items (positive sales lines, refunds) and credit items (prepayments,
payments, returns) are put in the spec's order (date, doc no, row) and the credits are applied
first-in-first-out to the oldest open debit.  Laid end to end, each list covers an interval of
the amount axis (its cumulative sums); a credit pays a debit exactly where their intervals
overlap.  So the whole offset is an interval merge: all customers' stretches are placed one
after another on a single axis, the end points of both lists are merged once, and every gap
between two neighbouring points is one allocation row (:func:`allocate`).  No Python loop
touches a row or a customer: a book of a million sales lines is offset in a couple of seconds
(the allocation itself in a fifth of one); :func:`offset_reference` is the plain per-customer Decimal loop, kept as the oracle the
tests and the benchmark hold the vectorised code to.

The long result tables hold their ids, doc nos and labels as pandas categoricals (one small
integer per row), which :mod:`salesxl.io.json_documents` reuses to write the spec §5 document.

Money is int64 fen end to end.  Rows the validator already reports as unusable (no readable
date, amount or customer id) are left out rather than guessed; an id missing from 客户档案 still
gets its ledger line (credit limit 0, terms 30 days).  The customers listed are the universe of
:mod:`salesxl.core.customers` (every card, and every ID typed on a 销售 or 收款 row).  Nothing here reads or writes a file.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from salesxl.core import cells
from salesxl.core import customers as customers_mod
from salesxl.core.findings import Finding
from salesxl.core.money import half_up_fen
from salesxl.core.plain_rules import RECEIPT_DIRECTION, line_direction, receivable_prepaid
from salesxl.core.schema import SHEETS
from salesxl.core.settings import Settings
from salesxl.core.stock import release_holds
from salesxl.core.tables import ROW, Book, day_numbers, fen_values
from salesxl.errors import SalesxlError

# Item kinds; the sheet each comes from breaks ties between a sales and a receipts row.
SALE, REFUND, PREPAYMENT, PAYMENT, RETURN = range(5)
KINDS = ("销售", "退款", "预收", "回款", "退货")
#: The sheet of each kind (0 销售, 1 收款).
_KIND_SHEET_NO = np.array([0, 1, 1, 1, 0], dtype=np.int64)
#: Whether a receipt kind is a debit: read from :data:`~salesxl.core.plain_rules.RECEIPT_DIRECTION`.
_RECEIPT_DEBIT = np.array([RECEIPT_DIRECTION.get(k, 0) > 0 for k in KINDS])

ACTION_PREPAID = "待发货或退款"
ACTION_STOP = "停止发货并催收"
ACTION_OVER_LIMIT = "超信用额度"
ACTION_COLLECT = "催收"
ACTION_OK = "正常"
RELEASE, HOLD = "放行", "暂停"
#: Actions under which an unshipped line may go out (spec §3 发货放行).
RELEASED_ACTIONS = (ACTION_OK, ACTION_COLLECT, ACTION_PREPAID)

DEFAULT_TERMS_DAYS = 30
#: Relative tolerance when comparing float quantities (shipped against sold).
QTY_TOL = 1e-9
#: The merged amount axis (Σ of all items) must stay far inside int64.
_AXIS_LIMIT = 2**62
_EPOCH = np.datetime64("1970-01-01", "D")


# ---------------------------------------------------------------------------------------------
# Result


@dataclass
class LedgerResult:
    """The ledger as of ``as_of``: four tables, money as int64 fen.

    ``customers`` (one row per customer of the universe — every card, and every ID typed only on
    销售/收款, :mod:`salesxl.core.customers` — in 客户编号 order): customer_id, customer_name,
    salesperson, known (on 客户档案), debits, credits, net, receivable, prepaid, overdue, one
    column per aging bucket label (``0-30`` … ``>365``), credit_limit, available_credit,
    terms_days, max_overdue_days, action.

    ``open_items`` (what remains of each debit, per customer in FIFO order): customer_id,
    doc_no, kind (销售/退款), sheet, row, date, due_date, amount (the item), open (unpaid part),
    age_days, bucket, overdue_days.

    ``allocations`` (核销明细, the audit trail): customer_id, credit_doc, credit_kind
    (预收/回款/退货), credit_sheet, credit_row, credit_date, debit_doc, debit_kind, debit_sheet,
    debit_row, debit_date, amount.

    ``release`` (发货放行, in 销售 row order): row, date, doc_no, product, spec, customer_id,
    qty, shipped, unshipped, action, decision (放行/暂停), quality_hold (the batches the 发货
    sheet names for the line whose 质量状态 as of the date is not 合格, ``P1（待检）``; None).

    Text columns of the three long tables are categoricals (compare them with ``==`` as usual).
    ``findings`` are the reader's (and, on request, the validator's) findings when the result
    came from a file via :func:`salesxl.api.offset`, for the CLI's exit status; the ledger
    itself never adds any.
    """

    as_of: date
    labels: list[str]
    customers: pd.DataFrame
    open_items: pd.DataFrame
    allocations: pd.DataFrame
    release: pd.DataFrame
    findings: list[Finding] = field(default_factory=list)
    path: str | None = None
    company: str = ""
    """参数 公司名称 of the book (the printed title of the result sheets), set by :func:`salesxl.api.offset`."""

    def customer(self, customer_id: str) -> pd.Series:
        """One customer's balance line (KeyError when the customer is not listed)."""
        hit = self.customers.index[self.customers["customer_id"] == customer_id]
        if len(hit) == 0:
            raise KeyError(customer_id)
        return self.customers.loc[hit[0]]


# ---------------------------------------------------------------------------------------------
# Items


@dataclass
class Items:
    """Debit or credit items as parallel NumPy arrays (one entry per item, amounts > 0)."""

    cust: np.ndarray  # customer code: index into the sorted distinct customer ids
    day: np.ndarray  # days since 1970-01-01
    doc: np.ndarray  # doc-no code: index into the sorted distinct doc nos, -1 when blank
    row: np.ndarray  # Excel row in its sheet
    kind: np.ndarray  # index into KINDS
    amount: np.ndarray  # fen, > 0
    due: np.ndarray  # due day (debits); the item's own day for credits

    def __len__(self) -> int:
        return len(self.amount)

    def take(self, idx: np.ndarray) -> Items:
        return Items(*(getattr(self, f)[idx] for f in _ITEM_FIELDS))

    @staticmethod
    def concat(parts: Iterable[Items]) -> Items:
        parts = list(parts)
        return Items(*(np.concatenate([getattr(p, f) for p in parts]) for f in _ITEM_FIELDS))

    def order(self) -> np.ndarray:
        """Permutation into FIFO order: customer, then (date, doc no, row), then sheet."""
        return np.lexsort((_KIND_SHEET_NO[self.kind], self.row, self.doc, self.day, self.cust))


_ITEM_FIELDS = ("cust", "day", "doc", "row", "kind", "amount", "due")


@dataclass
class LedgerInput:
    """Everything the offset needs from a book, already typed and coded."""

    as_of: date
    settings: Settings
    ids: pa.Array  # distinct customer ids in sort order; codes index into it
    docs: pa.Array  # distinct doc nos in sort order
    known: np.ndarray  # bool per code: on 客户档案
    limit: np.ndarray  # 信用额度 fen per code (blank → 0)
    terms: np.ndarray  # 账期天数 per code (blank or unknown → 30)
    names: pa.Array  # 客户名称 per code (null when unknown)
    salespeople: pa.Array  # 业务员 per code
    debits: Items
    credits: Items
    sales_cust: np.ndarray  # customer code of every 销售 row (-1 blank)
    sales_doc: np.ndarray  # doc-no code of every 销售 row (-1 blank)

    @property
    def n_customers(self) -> int:
        return len(self.ids)

    @cached_property
    def id_type(self) -> pd.CategoricalDtype:
        return category_type(self.ids)

    @cached_property
    def doc_type(self) -> pd.CategoricalDtype:
        return category_type(self.docs)


def frame(book: Book, name: str) -> pd.DataFrame:
    """The sheet's frame, or an empty one with every field when the book lacks the sheet."""
    table = book.table(name)
    if table is not None:
        return table.frame
    data = {ROW: np.zeros(0, dtype=np.int64)}
    data.update({f.name: cells.empty_column(f, 0) for f in SHEETS[name].fields})
    return pd.DataFrame(data)


def _text(s: pd.Series) -> pa.Array:
    """A text column as one Arrow large_string array, nulls for blanks."""
    arr = pa.array(s, from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr if arr.type == pa.large_string() else arr.cast(pa.large_string())




def _sorted_codes(arrays: list[pa.Array]) -> tuple[pa.Array, list[np.ndarray]]:
    """Distinct values in code-point order and each array's codes (:func:`customers.sorted_codes`)."""
    return customers_mod.sorted_codes(arrays)


def _per_code(values: pa.Array, codes: np.ndarray, n: int) -> pa.Array:
    """``values`` (one per row) placed at its row's code; null where no row has the code."""
    at = np.full(n, -1, dtype=np.int64)
    at[codes] = np.arange(len(codes))
    return values.take(pa.array(at, mask=at < 0))


def prepare(book: Book, as_of: date) -> LedgerInput:
    """Code the customers and doc nos of a book and cut its rows into debit and credit items."""
    cards, sales, receipts = frame(book, "客户档案"), frame(book, "销售"), frame(book, "收款")
    if not cards[ROW].is_monotonic_increasing:  # the first card of an id is the topmost
        cards = cards.sort_values(ROW, kind="stable")
    every = customers_mod.universe(_text(cards["客户编号"]), _text(sales["客户编号"]), _text(receipts["客户编号"]))
    ids, card_c, sale_c, rec_c = every.ids, every.card_codes, every.sales_codes, every.receipt_codes
    docs, (sale_d, rec_d) = _sorted_codes([_text(sales["单号"]), _text(receipts["单号"])])
    n = len(ids)
    cards_at = card_c >= 0
    first = np.unique(card_c[cards_at], return_index=True)[1]
    card_rows = np.flatnonzero(cards_at)[first]
    card_codes = card_c[card_rows]
    known = np.zeros(n, dtype=bool)
    known[card_codes] = True
    limit = np.zeros(n, dtype=np.int64)
    limit[card_codes] = fen_values(cards["信用额度"])[0][card_rows]
    terms_v, terms_ok = fen_values(cards["账期天数"])
    terms = np.full(n, DEFAULT_TERMS_DAYS, dtype=np.int64)
    terms[card_codes] = np.where(terms_ok, terms_v, DEFAULT_TERMS_DAYS)[card_rows]
    take = pa.array(card_rows)
    names = _per_code(_text(cards["客户名称"]).take(take), card_codes, n)
    reps = _per_code(_text(cards["业务员"]).take(take), card_codes, n)
    cut = int((np.datetime64(as_of, "D") - _EPOCH).astype(np.int64))
    s_debit, s_credit = _sales_items(sales, sale_c, sale_d, terms, cut)
    r_debit, r_credit = _receipt_items(receipts, rec_c, rec_d, cut)
    return LedgerInput(
        as_of, book.settings, ids, docs, known, limit, terms, names, reps,
        Items.concat([s_debit, r_debit]), Items.concat([s_credit, r_credit]), sale_c, sale_d,
    )


def sale_amounts(sales: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Signed fen of each 销售 line and whether it has one: 金额, else 数量 × 单价 half-up."""
    amount, has = fen_values(sales["金额"])
    price, has_price = fen_values(sales["单价"])
    qty = sales["数量"].to_numpy(dtype=np.float64, na_value=np.nan)
    can = ~has & has_price & ~np.isnan(qty)
    if can.any():
        amount = amount.copy()
        amount[can] = half_up_fen(qty[can] * price[can].astype(np.float64))
    return amount, has | can


def sale_directions(sales: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(fen, has an amount, direction) of each 销售 line: +1 a sale, -1 a return, 0 neither.

    The direction is the sign of 数量 (spec: negative = return), so a return typed with a
    positive 金额 still counts as a return; without a usable 数量 the sign of 金额 decides.
    The ledger, the customer level and the status all read a line the same way through this.
    """
    amount, has = sale_amounts(sales)
    qty = sales["数量"].to_numpy(dtype=np.float64, na_value=np.nan)
    return amount, has, line_direction(qty, amount).astype(np.int64, copy=False)


def _sales_items(sales: pd.DataFrame, cust: np.ndarray, doc: np.ndarray, terms: np.ndarray,
                 cut: int) -> tuple[Items, Items]:
    """Positive lines are debits, returns credits by absolute amount (see :func:`sale_directions`)."""
    day, day_ok = day_numbers(sales["日期"])
    amount, has, sign = sale_directions(sales)
    use = day_ok & (day <= cut) & (cust >= 0) & has & (amount != 0)
    due_day, due_ok = day_numbers(sales["到期日"])
    due = np.where(due_ok, due_day, day + terms[np.maximum(cust, 0)])
    rows = sales[ROW].to_numpy(dtype=np.int64)
    mag = np.abs(amount)

    def items(mask: np.ndarray, kind: int, due_of: np.ndarray) -> Items:
        i = np.flatnonzero(mask)
        return Items(cust[i], day[i], doc[i], rows[i], np.full(len(i), kind), mag[i], due_of[i])

    return items(use & (sign > 0), SALE, due), items(use & (sign < 0), RETURN, day)


def _receipt_items(receipts: pd.DataFrame, cust: np.ndarray, doc: np.ndarray,
                   cut: int) -> tuple[Items, Items]:
    """Refunds are debits due on their own date; prepayments and payments are credits.

    A receipt whose 金额 is not above 0 or whose 类型 is unknown is an error the validator
    reports; it is left out rather than given a direction by guess.
    """
    day, day_ok = day_numbers(receipts["日期"])
    amount, has = fen_values(receipts["金额"])
    kinds = receipts["类型"].astype("string").fillna("")
    kind = np.select(
        [(kinds == KINDS[k]).to_numpy(dtype=bool) for k in (REFUND, PREPAYMENT, PAYMENT)],
        [REFUND, PREPAYMENT, PAYMENT], -1,
    )
    use = day_ok & (day <= cut) & (cust >= 0) & has & (amount > 0) & (kind >= 0)
    rows = receipts[ROW].to_numpy(dtype=np.int64)

    def items(mask: np.ndarray) -> Items:
        i = np.flatnonzero(mask)
        return Items(cust[i], day[i], doc[i], rows[i], kind[i].astype(np.int64), amount[i], day[i])

    debit = _RECEIPT_DEBIT[kind]  # kind -1 (unknown) is outside ``use``
    return items(use & debit), items(use & ~debit)


# ---------------------------------------------------------------------------------------------
# The offset


def group_sums(codes: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Exact int64 Σ ``values`` per code (``np.bincount`` would go through float64)."""
    out = np.zeros(n, dtype=np.int64)
    np.add.at(out, codes, values)
    return out


def _running(cust: np.ndarray, amount: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For items grouped by customer: (global running sum, Σ per customer, Σ of the customers
    before each), all exact int64, from one cumsum."""
    running = np.cumsum(amount)
    ends = np.searchsorted(cust, np.arange(n), side="right")
    upto = np.concatenate(([0], running))[ends]  # Σ of customers 0..k
    total = np.diff(upto, prepend=0)
    return running, total, upto - total


def allocate(d_cust: np.ndarray, d_amount: np.ndarray, c_cust: np.ndarray, c_amount: np.ndarray,
             n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """FIFO offset of items already in :meth:`Items.order`: (debit index, credit index, fen).

    Customer k owns the stretch ``[base_k, base_k + M_k)`` of one shared axis, M_k = min(ΣD_k,
    ΣC_k) being what gets offset; its debits, laid end to end from base_k, and its credits
    likewise, each end at a point of the stretch (capped at its end where the longer list runs
    past it).  Credit j pays debit i exactly on the intersection of their intervals, so the
    merged, de-duplicated end points cut the axis into the allocation rows, in FIFO order; the
    debit of the piece starting at point p is the first whose end lies beyond p, i.e. the count
    of debit ends ≤ p, read off a running count along the merge (likewise the credit).
    """
    empty = np.zeros(0, dtype=np.int64)
    if len(d_amount) == 0 or len(c_amount) == 0:
        return empty, empty.copy(), empty.copy()
    d_run, d_total, d_before = _running(d_cust, d_amount, n)
    c_run, c_total, c_before = _running(c_cust, c_amount, n)
    offset_total = np.minimum(d_total, c_total)
    base = np.cumsum(offset_total) - offset_total
    stop = base + offset_total
    d_end = _capped_ends(d_run, d_before, d_cust, base, stop)
    c_end = _capped_ends(c_run, c_before, c_cust, base, stop)
    # Merge the two sorted lists by position (a credit goes after debits ending at the same point).
    size = len(d_end) + len(c_end)
    c_at = np.searchsorted(d_end, c_end, side="right") + np.arange(len(c_end))
    is_credit = np.zeros(size, dtype=bool)
    is_credit[c_at] = True
    merged = np.empty(size, dtype=np.int64)
    merged[c_at] = c_end
    merged[~is_credit] = d_end
    # At the last copy of each distinct point: how many credit and debit ends are ≤ it.
    last = np.flatnonzero(np.r_[merged[1:] != merged[:-1], True])
    points = merged[last]
    credits_upto = np.cumsum(is_credit)[last]
    debits_upto = last + 1 - credits_upto
    if points[0] != 0:  # the axis starts at 0, with nothing ended yet
        points = np.r_[0, points]
        credits_upto, debits_upto = np.r_[0, credits_upto], np.r_[0, debits_upto]
    return debits_upto[:-1], credits_upto[:-1], np.diff(points)


def _capped_ends(running: np.ndarray, before: np.ndarray, cust: np.ndarray, base: np.ndarray,
                 stop: np.ndarray) -> np.ndarray:
    """Where each item of one list ends on the shared axis, capped at its customer's stretch
    (computed in place of ``running``)."""
    np.add(running, (base - before)[cust], out=running)
    return np.minimum(running, stop[cust], out=running)


def allocate_items(debits: Items, credits: Items, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The allocation step from unordered items: (debit item, credit item, fen) per piece, item
    numbers being positions in the given arrays.  Order + interval merge; what the benchmark
    times against :func:`allocate_items_reference`."""
    d_order, c_order = debits.order(), credits.order()
    di, ci, amount = allocate(debits.cust[d_order], debits.amount[d_order],
                              credits.cust[c_order], credits.amount[c_order], n)
    return d_order[di], c_order[ci], amount


def paid_part(d_cust: np.ndarray, d_amount: np.ndarray, credit_total: np.ndarray) -> np.ndarray:
    """How much of each (ordered) debit the customer's credits cover, FIFO: total credit minus
    what earlier debits of the customer took, clipped to the item."""
    running, _, before = _running(d_cust, d_amount, len(credit_total))
    start = running - d_amount - before[d_cust]
    return np.clip(credit_total[d_cust] - start, 0, d_amount)


def offset(book: Book, *, as_of: date) -> LedgerResult:
    """The ledger of ``book`` as of ``as_of`` (spec §3 预收冲应收), vectorised."""
    inp = prepare(book, as_of)
    n, d, c = inp.n_customers, inp.debits, inp.credits
    _check_range(d, c)
    # Only customer and amount are needed in FIFO order; the other fields are gathered later
    # for the rows that are shown (open items, allocations).
    d_order, c_order = d.order(), c.order()
    d_cust, d_amount = d.cust[d_order], d.amount[d_order]
    di, ci, amount = allocate(d_cust, d_amount, c.cust[c_order], c.amount[c_order], n)
    open_fen = d_amount - paid_part(d_cust, d_amount, group_sums(c.cust, c.amount, n))
    is_open = np.flatnonzero(open_fen > 0)
    cut = int((np.datetime64(as_of, "D") - _EPOCH).astype(np.int64))
    open_items, code, bucket = _open_items(inp, d.take(d_order[is_open]), open_fen[is_open], cut)
    customers = _customers(inp, d, c, open_items, code, bucket)
    release, _ = _release(book, inp, customers, cut)
    # the batches 发货 names for each line that are not 合格 (库存), None for the others
    release["quality_hold"] = pd.Series(release_holds(book, release, as_of), index=release.index, dtype=object)
    # Every customer of the universe (cards, plus IDs only in 销售/收款), even one whose rows were
    # all unusable: offset, classify and the 月报 count the same customers.
    return LedgerResult(
        as_of, inp.settings.bucket_labels(), customers, open_items,
        _allocations(inp, d.take(d_order[di]), c.take(c_order[ci]), amount), release, path=book.path,
    )


def _check_range(d: Items, c: Items) -> None:
    """Refuse totals an int64 fen axis cannot hold exactly (10^16 元 and more: never a real
    book, but silent wrap-around would be worse than a clear message)."""
    total = sum(int(x.amount.sum(dtype=np.float64)) for x in (d, c))
    if total >= _AXIS_LIMIT // 2:
        raise SalesxlError(
            "账目金额合计过大（超过 10^16 元），无法精确核销；请检查金额列是否填错",
            "The ledger's amounts add up to more than 10^16 yuan and cannot be offset exactly; "
            "check the amount columns",
        )


def _dates(days: np.ndarray) -> np.ndarray:
    return (days.astype("timedelta64[D]") + _EPOCH).astype("datetime64[s]")


def _str(arr: pa.Array) -> pd.Series:
    return pd.Series(pd.arrays.ArrowStringArray(arr.cast(pa.large_string())))


def category_type(values: pa.Array | Iterable[str]) -> pd.CategoricalDtype:
    """A categorical type over distinct texts (kept in the order given).

    The long tables repeat a few ids, doc nos and labels over millions of rows; as categoricals
    they cost one small integer per row, and the JSON writer (:mod:`salesxl.io.json_documents`) reuses their codes unhashed.
    """
    if not isinstance(values, pa.Array):
        values = pa.array(list(values), pa.large_string())
    return pd.CategoricalDtype(pd.Index(pd.arrays.ArrowStringArray(values.cast(pa.large_string()))))


def _cat(dtype: pd.CategoricalDtype, codes: np.ndarray) -> pd.Series:
    """Codes (-1 blank) → a categorical column of ``dtype``."""
    return pd.Series(pd.Categorical.from_codes(np.asarray(codes, dtype=np.int64), dtype=dtype))


KIND_TYPE = category_type(KINDS)
SHEET_TYPE = category_type(("销售", "收款"))
ACTION_TYPE = category_type((ACTION_PREPAID, ACTION_STOP, ACTION_OVER_LIMIT, ACTION_COLLECT, ACTION_OK))
DECISION_TYPE = category_type((RELEASE, HOLD))


def _open_items(inp: LedgerInput, o: Items, open_fen: np.ndarray,
                cut: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """What remains of the open debits ``o`` (in FIFO order, ``open_fen`` each): age, bucket
    (inclusive upper bounds), overdue days.

    Also returns each open item's customer code and bucket index, for the per-customer sums.
    """
    age = cut - o.day
    bucket = np.searchsorted(np.asarray(inp.settings.aging_buckets), age, side="left")
    labels = inp.settings.bucket_labels()
    frame = pd.DataFrame({
        "customer_id": _cat(inp.id_type, o.cust),
        "doc_no": _cat(inp.doc_type, o.doc),
        "kind": _cat(KIND_TYPE, o.kind),
        "sheet": _cat(SHEET_TYPE, _KIND_SHEET_NO[o.kind]),
        "row": o.row,
        "date": _dates(o.day),
        "due_date": _dates(o.due),
        "amount": o.amount,
        "open": open_fen,
        "age_days": age,
        "bucket": _cat(category_type(labels), bucket),
        "overdue_days": np.maximum(cut - o.due, 0),
    })
    return frame, o.cust, bucket


def _customers(inp: LedgerInput, d: Items, c: Items, open_items: pd.DataFrame, code: np.ndarray,
               bucket: np.ndarray) -> pd.DataFrame:
    """One balance line per customer code, with aging, available credit and the action."""
    n = inp.n_customers
    labels = inp.settings.bucket_labels()
    debits, credits = group_sums(d.cust, d.amount, n), group_sums(c.cust, c.amount, n)
    net = debits - credits
    left = open_items["open"].to_numpy()
    late = open_items["overdue_days"].to_numpy()
    aging = np.zeros((n, len(labels)), dtype=np.int64)
    np.add.at(aging, (code, bucket), left)
    overdue = group_sums(code, np.where(late > 0, left, 0), n)
    worst = np.zeros(n, dtype=np.int64)
    np.maximum.at(worst, code, late)
    receivable, prepaid = receivable_prepaid(net)
    action = np.select(
        [prepaid > 0, worst > inp.settings.stop_shipment_days, net > inp.limit, overdue > 0],
        [ACTION_PREPAID, ACTION_STOP, ACTION_OVER_LIMIT, ACTION_COLLECT], ACTION_OK,
    )
    frame = pd.DataFrame({
        "customer_id": _str(inp.ids),
        "customer_name": _str(inp.names),
        "salesperson": _str(inp.salespeople),
        "known": inp.known,
        "debits": debits, "credits": credits, "net": net,
        "receivable": receivable, "prepaid": prepaid, "overdue": overdue,
    })
    for j, label in enumerate(labels):
        frame[label] = aging[:, j]
    frame["credit_limit"] = inp.limit
    frame["available_credit"] = inp.limit - net
    frame["terms_days"] = inp.terms
    frame["max_overdue_days"] = worst
    frame["action"] = _str(pa.array(action.astype(object), pa.large_string()))
    return frame


def _allocations(inp: LedgerInput, dd: Items, cd: Items, amount: np.ndarray) -> pd.DataFrame:
    """核销明细: one row per piece of a credit applied to a debit (``dd``/``cd`` the items of
    each piece)."""
    return pd.DataFrame({
        "customer_id": _cat(inp.id_type, dd.cust),
        "credit_doc": _cat(inp.doc_type, cd.doc),
        "credit_kind": _cat(KIND_TYPE, cd.kind),
        "credit_sheet": _cat(SHEET_TYPE, _KIND_SHEET_NO[cd.kind]),
        "credit_row": cd.row,
        "credit_date": _dates(cd.day),
        "debit_doc": _cat(inp.doc_type, dd.doc),
        "debit_kind": _cat(KIND_TYPE, dd.kind),
        "debit_sheet": _cat(SHEET_TYPE, _KIND_SHEET_NO[dd.kind]),
        "debit_row": dd.row,
        "debit_date": _dates(dd.day),
        "amount": np.asarray(amount, dtype=np.int64),
    })


# ---------------------------------------------------------------------------------------------
# Shipment release


def _line_keys(sales: pd.DataFrame, ships: pd.DataFrame
               ) -> tuple[np.ndarray, np.ndarray, dict[str, tuple[pa.Array, np.ndarray]]]:
    """Integer (单号/销售单号, 产品, 规格) keys for sales lines and shipments, -1 when the doc
    or product is blank; a blank 规格 matches a blank 规格 (as the validator does).

    Also hands back, for 产品 and 规格, the distinct texts and each sales line's code into them
    (-1 blank), so the release table need not hash them again.
    """
    n = len(sales)
    key = np.zeros(n + len(ships), dtype=np.int64)
    blank = np.zeros(len(key), dtype=bool)
    texts: dict[str, tuple[pa.Array, np.ndarray]] = {}
    for s_col, f_col in (("单号", "销售单号"), ("产品", "产品"), ("规格", "规格")):
        both = pa.concat_arrays([_text(sales[s_col]), _text(ships[f_col])])
        if s_col == "规格":
            both = pc.fill_null(both, "")
        enc = pc.dictionary_encode(both)
        code = pc.fill_null(enc.indices, -1).to_numpy().astype(np.int64)
        blank |= code < 0
        key = pd.factorize(key * (len(enc.dictionary) + 1) + code + 1)[0].astype(np.int64)
        empty = np.flatnonzero(pc.equal(enc.dictionary, "").to_numpy(zero_copy_only=False))
        texts[s_col] = (enc.dictionary, np.where(np.isin(code[:n], empty), -1, code[:n]))
    key[blank] = -1
    return key[:n], key[n:], texts


def _release(book: Book, inp: LedgerInput, customers: pd.DataFrame,
             cut: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Every positive sales line (as of the date) not yet fully shipped, released or held,
    and its customer code.

    Shipped quantity per key (dated on or before the date) fills the key's lines in row order.
    """
    sales, ships = frame(book, "销售"), frame(book, "发货")
    s_key, f_key, texts = _line_keys(sales, ships)
    day, day_ok = day_numbers(sales["日期"])
    qty = sales["数量"].to_numpy(dtype=np.float64, na_value=np.nan)
    rows = sales[ROW].to_numpy(dtype=np.int64)
    line = np.flatnonzero(day_ok & (day <= cut) & (inp.sales_cust >= 0) & (np.nan_to_num(qty) > 0))
    f_day, f_ok = day_numbers(ships["日期"])
    f_qty = ships["数量"].to_numpy(dtype=np.float64, na_value=np.nan)
    f_use = f_ok & (f_day <= cut) & (f_key >= 0) & (np.nan_to_num(f_qty) > 0)
    size = int(max(s_key.max(initial=-1), f_key.max(initial=-1))) + 1
    shipped_total = np.bincount(f_key[f_use], weights=f_qty[f_use], minlength=size)
    line = line[np.lexsort((rows[line], s_key[line]))]
    k, q = s_key[line], qty[line]
    before = pd.Series(q).groupby(k).cumsum().to_numpy() - q
    got = np.where(k >= 0, shipped_total[np.maximum(k, 0)] if size else 0.0, 0.0)
    shipped = np.clip(got - before, 0.0, q)
    unshipped = q - shipped
    pending = unshipped > QTY_TOL * np.maximum(1.0, q)
    line, shipped, unshipped = line[pending], shipped[pending], unshipped[pending]
    order = np.argsort(rows[line], kind="stable")
    line, shipped, unshipped = line[order], shipped[order], unshipped[order]
    code = inp.sales_cust[line]
    action = pd.Categorical(customers["action"], dtype=ACTION_TYPE).codes.astype(np.int64)[code]
    released = np.isin(action, [ACTION_TYPE.categories.get_loc(a) for a in RELEASED_ACTIONS])
    product, spec = texts["产品"], texts["规格"]
    return pd.DataFrame({
        "row": rows[line],
        "date": _dates(day[line]),
        "doc_no": _cat(inp.doc_type, inp.sales_doc[line]),
        "product": _cat(category_type(product[0]), product[1][line]),
        "spec": _cat(category_type(spec[0]), spec[1][line]),
        "customer_id": _cat(inp.id_type, code),
        "qty": qty[line],
        "shipped": shipped,
        "unshipped": unshipped,
        "action": _cat(ACTION_TYPE, action),
        "decision": _cat(DECISION_TYPE, np.where(released, 0, 1)),
    }), code


# ---------------------------------------------------------------------------------------------
# Reference: the plain per-customer Decimal loop (test oracle, benchmark baseline)


_CENT = Decimal("0.01")
Key = tuple[int, Any, int, int]  # (date, doc no or its code, row, sheet)


def fifo(debits: list[tuple[Key, Decimal, Any]], credits: list[tuple[Key, Decimal, Any]]
         ) -> tuple[list[tuple[Any, Any, Decimal]], list[Decimal]]:
    """One customer's FIFO offset the obvious way: (allocations, open amount per debit).

    Both lists are sorted by key here; each credit pays the oldest debit still open.
    """
    debits, credits = sorted(debits, key=lambda t: t[0]), sorted(credits, key=lambda t: t[0])
    left = [amount for _, amount, _ in debits]
    out: list[tuple[Any, Any, Decimal]] = []
    i = 0
    for _, amount, cid in credits:
        while amount > 0 and i < len(debits):
            take = min(amount, left[i])
            out.append((debits[i][2], cid, take))
            amount -= take
            left[i] -= take
            if left[i] == 0:
                i += 1
    return out, left


def allocate_reference(debits: dict[Any, list[tuple[Key, Decimal, Any]]],
                       credits: dict[Any, list[tuple[Key, Decimal, Any]]]) -> list[tuple[Any, Any, Any, Decimal]]:
    """:func:`fifo` customer by customer: (customer, debit id, credit id, amount) rows."""
    out: list[tuple[Any, Any, Any, Decimal]] = []
    for cust in sorted(debits.keys() | credits.keys()):
        allocs, _ = fifo(debits.get(cust, []), credits.get(cust, []))
        out.extend((cust, d, c, a) for d, c, a in allocs)
    return out


def allocate_items_reference(debits: Items, credits: Items) -> list[tuple[int, int, Decimal]]:
    """The allocation step the obvious way, from the same items as :func:`allocate_items`:
    group them per customer with Decimal 元 amounts, sort each list, walk (the baseline)."""

    def grouped(items: Items) -> dict[int, list[tuple[Key, Decimal, int]]]:
        by: dict[int, list[tuple[Key, Decimal, int]]] = defaultdict(list)
        fields = (items.cust, items.day, items.doc, items.row, _KIND_SHEET_NO[items.kind], items.amount)
        for i, (cust, day, doc, row, sheet, fen) in enumerate(zip(*(f.tolist() for f in fields), strict=True)):
            by[cust].append(((day, doc, row, sheet), Decimal(fen) / 100, i))
        return by

    return [(d, c, amount) for _, d, c, amount in allocate_reference(grouped(debits), grouped(credits))]


def _py(frame: pd.DataFrame, name: str) -> list[Any]:
    """A column as Python values with None for blanks."""
    s = frame[name]
    return [None if v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v) else v
            for v in s.astype(object).tolist()]


def _day(v: Any) -> date | None:
    return None if v is None else pd.Timestamp(v).date()


def offset_reference(book: Book, *, as_of: date) -> LedgerResult:
    """The same ledger computed row by row in Python with Decimal money: the oracle."""
    settings = book.settings
    cards_f, sales_f, rec_f, ship_f = (frame(book, n) for n in ("客户档案", "销售", "收款", "发货"))
    cards: dict[str, dict[str, Any]] = {}
    for r in sorted(zip(*(_py(cards_f, c) for c in (ROW, "客户编号", "客户名称", "业务员", "信用额度", "账期天数")),
                        strict=True)):
        _, cid, name, rep, limit, terms = r
        if cid is not None and cid not in cards:
            cards[cid] = {"name": name, "rep": rep,
                          "limit": Decimal(int(limit)) / 100 if limit is not None else Decimal(0),
                          "terms": int(terms) if terms is not None else DEFAULT_TERMS_DAYS}
    debits: dict[str, list] = defaultdict(list)
    credits: dict[str, list] = defaultdict(list)
    info: dict[Any, dict[str, Any]] = {}

    def terms_of(cid: str) -> int:
        return cards[cid]["terms"] if cid in cards else DEFAULT_TERMS_DAYS

    cols = (ROW, "日期", "单号", "客户编号", "数量", "单价", "金额", "到期日")
    for row, day, doc, cid, qty, price, amount, due in zip(*(_py(sales_f, c) for c in cols), strict=True):
        day = _day(day)
        if day is None or day > as_of or cid is None:
            continue
        if amount is not None:
            value = Decimal(int(amount)) / 100
        elif qty is not None and price is not None:
            value = (Decimal(repr(float(qty))) * Decimal(int(price))).quantize(Decimal(1), ROUND_HALF_UP) / 100
        else:
            continue
        sign = (1 if qty > 0 else -1) if qty is not None and qty != 0 else (1 if value > 0 else -1)
        if value == 0:
            continue
        key = (day.toordinal(), doc or "", int(row), 0)
        ident = ("销售", int(row))
        if sign > 0:
            due_day = _day(due) or day + timedelta(days=terms_of(cid))
            debits[cid].append((key, abs(value), ident))
            info[ident] = {"doc": doc, "kind": "销售", "row": int(row), "day": day, "due": due_day}
        else:
            credits[cid].append((key, abs(value), ident))
            info[ident] = {"doc": doc, "kind": "退货", "row": int(row), "day": day}
    for row, day, doc, cid, amount, kind in zip(*(_py(rec_f, c) for c in (ROW, "日期", "单号", "客户编号", "金额", "类型")),
                                                strict=True):
        day = _day(day)
        if day is None or day > as_of or cid is None or amount is None or amount <= 0:
            continue
        if kind not in ("预收", "回款", "退款"):
            continue
        key, ident = (day.toordinal(), doc or "", int(row), 1), ("收款", int(row))
        info[ident] = {"doc": doc, "kind": kind, "row": int(row), "day": day, "due": day}
        (debits if kind == "退款" else credits)[cid].append((key, Decimal(int(amount)) / 100, ident))

    labels = settings.bucket_labels()
    bounds = settings.aging_buckets
    cust_rows, open_rows, alloc_rows = [], [], []
    actions: dict[str, str] = {}
    release_rows = _release_reference(sales_f, ship_f, as_of)
    # The customer universe (:mod:`salesxl.core.customers`): every card, and every 客户编号 typed
    # on a 销售 or 收款 row, whether or not the row could be counted.
    everyone = (set(cards) | {c for c in _py(sales_f, "客户编号") if c is not None}
                | {c for c in _py(rec_f, "客户编号") if c is not None})
    for cid in sorted(everyone):
        ds, cs = debits.get(cid, []), credits.get(cid, [])
        allocs, left = fifo(ds, cs)
        for d_id, c_id, amount in allocs:
            dinf, cinf = info[d_id], info[c_id]
            alloc_rows.append({"customer_id": cid, "credit_doc": cinf["doc"], "credit_kind": cinf["kind"],
                               "credit_row": cinf["row"], "credit_date": cinf["day"], "debit_doc": dinf["doc"],
                               "debit_kind": dinf["kind"], "debit_row": dinf["row"], "debit_date": dinf["day"],
                               "amount": amount})
        total_d = sum((a for _, a, _ in ds), Decimal(0))
        total_c = sum((a for _, a, _ in cs), Decimal(0))
        net = total_d - total_c
        aging = dict.fromkeys(labels, Decimal(0))
        overdue, worst = Decimal(0), 0
        for (_, _, d_id), rest in zip(sorted(ds, key=lambda t: t[0]), left, strict=True):
            if rest == 0:
                continue
            dinf = info[d_id]
            age = (as_of - dinf["day"]).days
            late = max((as_of - dinf["due"]).days, 0)
            label = next((lab for lab, b in zip(labels, bounds, strict=False) if age <= b), labels[-1])
            aging[label] += rest
            if late > 0:
                overdue += rest
            worst = max(worst, late)
            open_rows.append({"customer_id": cid, "doc_no": dinf["doc"], "kind": dinf["kind"], "row": dinf["row"],
                              "date": dinf["day"], "due_date": dinf["due"], "open": rest, "age_days": age,
                              "bucket": label, "overdue_days": late})
        card = cards.get(cid, {"name": None, "rep": None, "limit": Decimal(0), "terms": DEFAULT_TERMS_DAYS})
        prepaid = max(-net, Decimal(0))
        if prepaid > 0:
            action = ACTION_PREPAID
        elif worst > settings.stop_shipment_days:
            action = ACTION_STOP
        elif net > card["limit"]:
            action = ACTION_OVER_LIMIT
        elif overdue > 0:
            action = ACTION_COLLECT
        else:
            action = ACTION_OK
        actions[cid] = action
        cust_rows.append({"customer_id": cid, "debits": total_d, "credits": total_c, "net": net,
                          "receivable": max(net, Decimal(0)), "prepaid": prepaid, "overdue": overdue,
                          **aging, "credit_limit": card["limit"], "available_credit": card["limit"] - net,
                          "max_overdue_days": worst, "action": action})
    for rel in release_rows:
        rel["action"] = actions[rel["customer_id"]]
        rel["decision"] = RELEASE if rel["action"] in RELEASED_ACTIONS else HOLD
    money = ["debits", "credits", "net", "receivable", "prepaid", "overdue", *labels, "credit_limit",
             "available_credit"]
    return LedgerResult(
        as_of, labels,
        _reference_frame(cust_rows, ["customer_id", *money, "max_overdue_days", "action"], money),
        _reference_frame(open_rows, ["customer_id", "doc_no", "kind", "row", "date", "due_date", "open",
                                     "age_days", "bucket", "overdue_days"], ["open"]),
        _reference_frame(alloc_rows, ["customer_id", "credit_doc", "credit_kind", "credit_row", "credit_date",
                                      "debit_doc", "debit_kind", "debit_row", "debit_date", "amount"], ["amount"]),
        pd.DataFrame(release_rows, columns=["row", "doc_no", "product", "spec", "customer_id", "qty",
                                            "shipped", "unshipped", "action", "decision"]),
        path=book.path,
    )


def _release_reference(sales_f: pd.DataFrame, ship_f: pd.DataFrame, as_of: date) -> list[dict[str, Any]]:
    """Unshipped positive lines, shipped quantity per key filling its lines in row order."""
    shipped: dict[tuple, float] = defaultdict(float)
    for day, doc, prod, spec, qty in zip(*(_py(ship_f, c) for c in ("日期", "销售单号", "产品", "规格", "数量")),
                                         strict=True):
        day = _day(day)
        if day is not None and day <= as_of and doc is not None and prod is not None and qty is not None and qty > 0:
            shipped[(doc, prod, spec or "")] += qty
    cols = (ROW, "日期", "单号", "客户编号", "产品", "规格", "数量")
    lines = sorted(zip(*(_py(sales_f, c) for c in cols), strict=True))
    used: dict[tuple, float] = defaultdict(float)
    out = []
    for row, day, doc, cid, prod, spec, qty in lines:
        day = _day(day)
        if day is None or day > as_of or cid is None or qty is None or qty <= 0:
            continue
        key = (doc, prod, spec or "")
        have = shipped.get(key, 0.0) if doc is not None and prod is not None else 0.0
        got = min(max(have - used[key], 0.0), qty)
        used[key] += qty
        if qty - got > QTY_TOL * max(1.0, qty):
            out.append({"row": int(row), "doc_no": doc, "product": prod, "spec": spec, "customer_id": cid,
                        "qty": qty, "shipped": got, "unshipped": qty - got})
    return out


def _reference_frame(rows: list[dict[str, Any]], columns: list[str], money: list[str]) -> pd.DataFrame:
    """Reference rows → a frame with Decimal 元 turned into int64 fen, like :func:`offset`'s."""
    frame = pd.DataFrame(rows, columns=columns)
    for name in money:
        frame[name] = np.array([int(v * 100) for v in frame[name]], dtype=np.int64)
    return frame


# ---------------------------------------------------------------------------------------------
# What the reader's errors did to the figures


#: Fields whose unreadable value leaves a row out of the ledger (no date, customer or amount).
_ROW_LOST = {("销售", "日期"), ("销售", "客户编号"), ("收款", "日期"), ("收款", "客户编号"), ("收款", "金额")}


def reading_note(findings: Iterable[Finding], lang: str = "zh",
                 see: tuple[str, str] = ("运行 salesxl validate 逐条查看", "see salesxl validate for each")) -> str | None:
    """One line saying what the reader's errors did to the figures, or None without errors.

    An unreadable cell is read as blank, and what a blank means depends on the field: a 销售
    line without 金额 is counted as 数量 × 单价 (:func:`sale_amounts`) — not "left out" — while a
    row without a readable date, customer or receipt amount is left out, and any other field is
    simply blank.  Saying which happened is what lets a user trust the totals printed above it.
    ``see``: where to look next (zh, en); the Excel buttons point at their 校验 button.
    """
    from salesxl.core.schema import normalize_sheet_name, sheet_keys

    keys = sheet_keys()
    errors = [f for f in findings if f.severity.value == "error"]
    if not errors:
        return None
    price = lost = blank = missing = 0
    for f in errors:
        sheet = keys.get(normalize_sheet_name(f.sheet), f.sheet)
        if f.code in ("missing-sheet", "missing-column"):
            missing += 1
        elif sheet == "销售" and f.field == "金额":
            price += 1
        elif (sheet, f.field) in _ROW_LOST:
            lost += 1
        else:
            blank += 1
    zh = lang != "en"
    parts = []
    if price:
        parts.append(f"{price} 处销售金额无法识别，该行按 数量 × 单价 计入（没有数量或单价的行未计入）" if zh
                     else f"{price} unreadable sales amounts: those lines count as quantity × unit price "
                     "(lines without both are not counted)")
    if lost:
        parts.append(f"{lost} 处日期、客户编号或收款金额无法识别，这些行未计入" if zh
                     else f"{lost} unreadable dates, customer IDs or receipt amounts: those rows are not counted")
    if blank:
        parts.append(f"{blank} 处其他值无法识别，按空白处理" if zh else f"{blank} other unreadable values, read as blank")
    if missing:
        parts.append(f"{missing} 处缺少工作表或列，按空表处理" if zh
                     else f"{missing} missing sheets or columns, read as empty")
    if zh:
        return f"读取时发现 {len(errors)} 个错误：{'；'.join(parts)}。{see[0]}"
    return f"{len(errors)} reading errors: {'; '.join(parts)}. {see[1][:1].upper()}{see[1][1:]}"
