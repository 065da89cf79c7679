"""Money is integer fen (0.01 元) from the reader to the cell written.

Binary floats only ever appear at the very edge, where a spreadsheet hands us a double; they are
turned into fen once, here, with the rounding the spec fixes (half-up to 0.01), and never come
back.  Excel itself shows a double to 15 significant digits, so a cell displaying 1.005 or
1234.565 holds a double a hair below the half-fen; users expect 1.01 and 1234.57, like Excel's
own ROUND.  :func:`floats_to_fen` therefore snaps float noise away before rounding half-up.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from salesxl.core.plain_rules import MAX_ABS_YUAN

# MAX_ABS_YUAN, the largest amount read exactly (10^13 元): doubles hold 15–16 significant
# digits, so beyond it a cell's value cannot be trusted to the fen; such a cell is unreadable.

_CENT = Decimal("0.01")


def floats_to_fen(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Round doubles (元) half-up (away from zero) to whole fen.

    Returns ``(fen int64, ok bool)``; ``ok`` is False for NaN, infinities and magnitudes beyond
    :data:`MAX_ABS_YUAN`.  The product ×100 is first rounded to 4 decimals, which removes the
    binary noise of both the stored double and the multiplication (1234.565 × 100 is
    123456.49999999999) without touching any real digit of an amount below 10^13 元.
    """
    x = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(x) & (np.abs(x) < MAX_ABS_YUAN)
    cents = np.round(np.abs(np.where(ok, x, 0.0)) * 100.0, 4)
    fen = np.floor(cents + 0.5).astype(np.int64)
    return np.where(x < 0, -fen, fen), ok


def half_up_fen(values: np.ndarray) -> np.ndarray:
    """Round fen-valued doubles (e.g. quantity × unit price in fen) half-up to whole fen."""
    y = np.asarray(values, dtype=np.float64)
    r = np.floor(np.round(np.abs(y), 4) + 0.5).astype(np.int64)
    return np.where(y < 0, -r, r)


def fen_to_str(fen: int) -> str:
    """``123450`` → ``"1234.50"``: the JSON form of an amount (spec §5)."""
    sign = "-" if fen < 0 else ""
    q, r = divmod(abs(int(fen)), 100)
    return f"{sign}{q}.{r:02d}"


def fen_to_display(fen: int) -> str:
    """``272416346`` → ``"2,724,163.46"``: an amount as people read it (thousands grouped, two
    decimals), exactly — every amount salesxl prints on the console goes through here."""
    sign = "-" if fen < 0 else ""
    q, r = divmod(abs(int(fen)), 100)
    return f"{sign}{q:,}.{r:02d}"


def fen_to_decimal(fen: int) -> Decimal:
    """Exact Decimal 元 for a fen amount (what is written to a cell or shown)."""
    return Decimal(int(fen)).scaleb(-2)


def decimal_to_fen(amount: Decimal | int | str) -> int:
    """Exact 元 → fen, half-up; for amounts that arrive as Decimal or text in the API."""
    return int((Decimal(amount).quantize(_CENT, rounding=ROUND_HALF_UP) * 100).to_integral_value())
