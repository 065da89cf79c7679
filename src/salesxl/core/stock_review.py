"""库存核对 · the month's stock review for the 月报 (issue 17): movements per warehouse, count
variances and the open stock anomalies, from the same cards as :mod:`salesxl.core.stock`.

Per 仓库 × 产品 the month's opening balance (end of the day before the month), receipts
(期初 and 入库 rows dated in the month), issues (出库), adjustments (调整, signed) and closing
balance (end of the month's last day): opening + receipts − issues + adjustments = closing, in
exact thousandths.  The variances are the 盘点 rows dated in the month that differ from the book;
the anomalies are every stock finding of the book as it stands (:func:`stock_checks`), the
count variances excepted (they have their own table).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from salesxl.core.findings import Code, Finding
from salesxl.core.stock import StockModel, milli_to_decimal, stock, stock_checks
from salesxl.core.tables import Book

__all__ = ["StockReview", "stock_review"]


@dataclass
class StockReview:
    """``movements``: warehouse, product, opening, receipts, issues, adjustments, closing
    (Decimal).  ``variances``: as :attr:`salesxl.core.stock.StockResult.variances`, for the
    month.  ``anomalies``: the open stock findings (count variances left out)."""

    month: date
    as_of: date
    movements: pd.DataFrame
    variances: pd.DataFrame
    anomalies: list[Finding] = field(default_factory=list)


def stock_review(book: Book, month: date, as_of: date) -> StockReview | None:
    """The review of ``month`` (its first day) up to ``as_of`` (its last day); None when the
    book keeps no stock cards (no 库存 rows)."""
    t = book.table("库存")
    if t is None or len(t) == 0:
        return None
    model = StockModel(t.frame)
    cards = model.cards
    n = cards.n_cards
    start = int(np.datetime64(month, "D").astype(np.int64))
    end = int(np.datetime64(as_of, "D").astype(np.int64))
    every = np.arange(n, dtype=np.int64)
    opening = cards.balance_at(every, np.full(n, start - 1, dtype=np.int64))
    closing = cards.balance_at(every, np.full(n, end, dtype=np.int64))
    inside = (cards.day >= start) & (cards.day <= end)
    kind = t.frame["类型"].to_numpy(dtype=object, na_value=None)[cards.pos]

    def moved(which: tuple[str, ...]) -> np.ndarray:
        mask = inside & np.isin(kind, which)
        return np.bincount(cards.card[mask], weights=cards.delta[mask], minlength=n).astype(np.int64)

    per_card = cards.keys[["warehouse", "product"]].assign(
        opening=opening, receipts=moved(("期初", "入库")), issues=-moved(("出库",)),
        adjustments=moved(("调整",)), closing=closing)
    grouped = per_card.groupby(["warehouse", "product"], sort=True, dropna=False).sum().reset_index()
    grouped = grouped[(grouped[["opening", "receipts", "issues", "adjustments", "closing"]] != 0).any(axis=1)]
    for col in ("opening", "receipts", "issues", "adjustments", "closing"):
        grouped[col] = [milli_to_decimal(int(v)) for v in grouped[col].tolist()]
    whole = stock(book, as_of=as_of).variances
    variances = whole[[month <= d <= as_of for d in whole["date"]]].reset_index(drop=True)
    anomalies = sorted((f for items in stock_checks(book.tables).values() for f in items
                        if f.code is not Code.COUNT_VARIANCE), key=lambda f: (f.sheet, f.row or 0, f.column or ""))
    return StockReview(month, as_of, grouped.reset_index(drop=True), variances, anomalies)
