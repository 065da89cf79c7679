"""Small helpers that turn clean integers into what real cells hold: dates, money, padded text.

Days are integers since 1970-01-01 and money is integer fen throughout the demo; these
functions convert them to year/month/day arrays and to the text forms people type
(``¥1,234.50``, ``1.2万``, full-width digits), always from the integer, never from a float.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd

from salesxl.demo.layout import EPOCH

# --------------------------------------------------------------------------------------------
# Small helpers: dates, money, text.
# --------------------------------------------------------------------------------------------


def days_to_ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day arrays of days since 1970-01-01 (vectorised)."""
    dt = np.asarray(days, dtype="int64").astype("datetime64[D]")
    months = dt.astype("datetime64[M]")
    year = months.astype("int64") // 12 + 1970
    month = months.astype("int64") % 12 + 1
    day = (dt - months.astype("datetime64[D]")).astype("int64") + 1
    return year, month, day


def day_number(d: date) -> int:
    return (d - EPOCH).days


def _yuan_text(fen: int, thousands: bool = True) -> str:
    """``1,234.50`` (or ``1234.50``) from integer fen: exact, never through a float."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{yuan:,}.{cents:02d}" if thousands else f"{sign}{yuan}.{cents:02d}"


def _wan_text(fen: int) -> str | None:
    """``1.2万`` for 12,000.00, when the amount is whole hundreds of yuan (so exact); else None."""
    if fen <= 0 or fen % 10_000:
        return None
    hundreds = fen // 10_000  # amount in hundreds of yuan; 万 = 100 hundreds
    whole, frac = divmod(hundreds, 100)
    return f"{whole}万" if frac == 0 else f"{whole}.{frac:02d}".rstrip("0") + "万"


_FULL_WIDTH = str.maketrans("0123456789,", "０１２３４５６７８９，")


def amount_text(fen: int, kind: int) -> str:
    """One of the text forms people type an amount in; ``kind`` picks which."""
    if kind == 0:
        return _yuan_text(fen)
    if kind == 1:
        return "¥" + _yuan_text(fen)
    if kind == 2:
        return "￥" + _yuan_text(fen, thousands=False)
    if kind == 3:
        return _yuan_text(fen, thousands=False).translate(_FULL_WIDTH)
    if kind == 4:
        return _wan_text(fen) or _yuan_text(fen)
    return _yuan_text(fen, thousands=False) + "元"


def _pad(text: str, kind: int) -> str:
    """Surround ``text`` with the invisible spaces that creep into typed cells."""
    return ("　" + text, text + "　", " " + text + " ", "　" + text + " ")[kind % 4]


def padded(
    rng: np.random.Generator, values: Sequence[str | None], rate: float
) -> list[str | None]:
    """``values`` with a small share padded by half- and full-width spaces."""
    out = list(values)
    hits = np.flatnonzero(rng.random(len(out)) < rate)
    kinds = rng.integers(0, 4, len(hits))
    for i, kind in zip(hits.tolist(), kinds.tolist(), strict=True):
        value = out[i]
        if value:
            out[i] = _pad(value, kind)
    return out


def texts(values: pd.Series) -> list[str | None]:
    """A text column as a list for writing, missing values (NaN, None, NA) as ``None``.

    pandas stores ``None`` in a string column as NaN; written as is, that would be a number.
    """
    return [v if isinstance(v, str) else None for v in values.tolist()]


