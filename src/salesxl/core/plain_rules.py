"""The per-cell rules in plain Python: the one text of each rule the vectorised core and xlwings Lite share.

salesxl applies its rules to whole columns (Arrow, NumPy); xlwings Lite runs in the browser and
cannot install salesxl, so it applies them one cell at a time.  This module holds what both need:
the regular expressions that say how an amount, a number and a date may be typed (spec §1;
:mod:`salesxl.core.cells` compiles the very same strings into its Arrow kernels), the default
aging buckets and level shares (spec §3; :class:`salesxl.core.settings.Settings` starts from them),
the aging bucket labels, the ledger's netting (spec §3: which receipt types are debits or credits,
how a 销售 line's direction is read, receivable and prepaid from the net), and the scalar forms —
:func:`fen`, :func:`day`, :func:`levels`, :func:`line_fen` — that Lite calls.  The netting rules are
written with plain operators only, so the very same functions run on a number (Lite) and
elementwise on a NumPy column (:mod:`salesxl.core.ledger`), with no per-row Python there.  It imports only the standard library, so :mod:`salesxl.excel.lite` inlines its source
verbatim into Lite's ``main.py``: change a rule here and both change; ``tests/test_lite.py`` holds
the scalar forms to the vectorised ones on the same inputs.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from fractions import Fraction
from typing import Any

#: Characters trimmed from text: ASCII white space, no-break space, ideographic space.
TRIM_CHARS = " \t\r\n\u00a0\u3000"

#: A plain number as text.
NUMBER_PATTERN = r"^[+-]?(\d+\.?\d*|\.\d+)$"
#: Digits plain or grouped by commas in threes, with a point as the decimal mark.
DIGITS_PATTERN = r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d*)?|\.\d+)"
# An amount as typed (after NFKC folding): an optional sign, a yuan mark before (``¥``, ``RMB``,
# ``CNY``) or after (``元``, ``RMB``, ``CNY``), a ``万``/``亿`` multiplier, and digits that are
# either plain or grouped by commas in threes with a point as the decimal mark.  Nothing else:
# another currency's mark (``$``, ``US$``, ``€``, ``HK$``, ``£``, ``USD`` …) or a comma used as the
# decimal mark (``12 345,67``, ``1.234,50``, ``12,5``) does not match and is ``bad-type`` — a
# guess would put a wrong figure in the ledger without a word (spec §1, v1.1).
AMOUNT_PATTERN = (
    r"(?i)^(?P<s1>[+-]?)\s*(?:¥|rmb|cny)?\s*(?P<s2>[+-]?)" + DIGITS_PATTERN
    + r"\s*(?P<unit>[万亿]?)\s*(?:元|rmb|cny)?$"
)
#: A quantity: plain or comma-grouped digits, by the same rule as amounts.
GROUPED_NUMBER_PATTERN = r"^(?P<s1>[+-]?)(?P<s2>)" + DIGITS_PATTERN + r"(?P<unit>)$"
#: A date typed as text: ``2026-03-05``, ``2026/3/5``, ``2026.3.5``, ``2026年3月5日``, with an
#: optional time.
YMD_PATTERN = (
    r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
#: A date typed as eight digits: ``20260305``.
COMPACT_PATTERN = r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"
#: A month: ``2026-03``, ``2026年3月``.
YM_PATTERN = r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*月?$"
#: An Excel serial day number as text.
SERIAL_PATTERN = r"^\d{1,7}(\.\d+)?$"
#: Excel's last day, 9999-12-31, as a serial number.
MAX_SERIAL = 2958465
#: Amounts of this many yuan or more are not read (beyond exact double arithmetic in fen).
MAX_ABS_YUAN = 1e13

#: Default aging buckets (spec §3): inclusive upper bounds in days.
DEFAULT_AGING_BUCKETS = (30, 60, 90, 180, 365)
#: Default level shares (spec §3): A below 80 %, B below 95 % of the cumulative share before.
DEFAULT_LEVEL_A_SHARE = "0.80"
DEFAULT_LEVEL_B_SHARE = "0.95"

_AMOUNT_RE = re.compile(AMOUNT_PATTERN, re.ASCII)
_DATE_RES = (re.compile(YMD_PATTERN), re.compile(COMPACT_PATTERN))
_SERIAL_RE = re.compile(SERIAL_PATTERN)


def half_up(x: float) -> int:
    """A double rounded half-up (away from zero) to a whole number, after snapping the binary
    noise below the 4th decimal (1234.565 × 100 is 123456.49999999999 → 123457).  The snap is
    NumPy's ``round(·, 4)`` spelled out (scale, round half to even, unscale), so that this gives
    :func:`salesxl.core.money.floats_to_fen`'s answer to the last fen even near 10^13 元."""
    r = math.floor(round(abs(x) * 10000.0) / 10000.0 + 0.5)
    return -r if x < 0 else r


def fen(value: Any) -> int | None:
    """An amount cell as int fen; None when it cannot be read.  A number is rounded half-up to
    the fen (1.005 → 1.01, as Excel's ROUND); text may carry ``¥ ￥ 元 RMB CNY``, thousands
    separators in threes, full-width digits and a ``万``/``亿`` suffix (:data:`AMOUNT_PATTERN`)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        m = _AMOUNT_RE.fullmatch(unicodedata.normalize("NFKC", value).strip(TRIM_CHARS))
        if m is None or (m["s1"] and m["s2"]):
            return None
        scale = {"万": 1e4, "亿": 1e8}.get(m["unit"], 1.0)
        value = float(m["s1"] + m["s2"] + m["num"].replace(",", "")) * scale
    if not isinstance(value, (int, float)) or not math.isfinite(value) or abs(value) >= MAX_ABS_YUAN:
        return None
    return half_up(float(value) * 100.0)


def day(value: Any) -> dt.date | None:
    """A date cell (datetime), an Excel serial number (Lite's form) or date text → a date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        s = unicodedata.normalize("NFKC", value).strip(TRIM_CHARS)
        m = _DATE_RES[0].fullmatch(s) or _DATE_RES[1].fullmatch(s)
        if m:
            try:
                return dt.date(int(m["y"]), int(m["m"]), int(m["d"]))
            except ValueError:
                return None
        if not _SERIAL_RE.fullmatch(s):
            return None
        value = float(s)
    if isinstance(value, (int, float)) and value == value:
        serial = int(value // 1)
        if serial < 1 or serial > MAX_SERIAL or serial == 60:  # Excel's phantom 1900-02-29
            return None
        return dt.date(1899, 12, 31 if serial < 60 else 30) + dt.timedelta(days=serial)
    return None


def levels(net: list[int], rank: list[Any], a_share: Fraction, b_share: Fraction) -> list[str]:
    """A/B/C per customer from net sales in fen (spec §3, the rule of
    :func:`salesxl.core.classification.levels`): ranked by net descending, ties by ``rank``;
    A while the share before it is below ``a_share``, B below ``b_share``; net ≤ 0 is C."""
    total = sum(net)
    out = ["C"] * len(net)
    if total <= 0:
        return out
    before = 0
    for i in sorted(range(len(net)), key=lambda k: (-net[k], rank[k])):
        if net[i] > 0:
            share = Fraction(before, total)
            out[i] = "A" if share < a_share else "B" if share < b_share else "C"
        before += net[i]
    return out


def bucket_labels(bounds: tuple[int, ...] | list[int]) -> list[str]:
    """``["0-30", "31-60", …, ">365"]``: the aging bucket keys of spec §5 for these bounds."""
    labels, low = [], 0
    for high in bounds:
        labels.append(f"{low}-{high}")
        low = high + 1
    return [*labels, f">{bounds[-1]}"]


# ---------------------------------------------------------------------------------------------
# The ledger's netting (spec §3 预收冲应收): what is a debit, what a credit, what is left


#: 收款 类型 → +1 a debit (a refund adds to what the customer owes) or −1 a credit (a prepayment
#: or a payment takes from it).  :mod:`salesxl.core.ledger` splits its receipt items by this
#: table, and Lite's balance nets by it; its keys are the contract's options (schema.py).
RECEIPT_DIRECTION = {"退款": 1, "预收": -1, "回款": -1}


def signum(x: Any) -> Any:
    """+1, −1 or 0 (NaN too) of a number — or elementwise of a NumPy array, by the same
    operators (no NumPy needed here)."""
    return (x > 0) * 1 - (x < 0) * 1


def line_direction(qty: Any, amount: Any) -> Any:
    """A 销售 line's direction: +1 a sale (a debit), −1 a return (a credit), 0 neither.

    The sign of 数量 decides (spec §3: a negative quantity is a return, even one typed with a
    positive 金额); without a usable 数量 (blank as NaN, or 0) the sign of the line's amount
    does.  Numbers or NumPy arrays alike (:func:`salesxl.core.ledger.sale_directions`)."""
    by_qty = signum(qty)
    return by_qty + (by_qty == 0) * signum(amount)


def receivable_prepaid(net: Any) -> tuple[Any, Any]:
    """(receivable, prepaid) from net = Σ debits − Σ credits in fen: max(net, 0) is what the
    customer owes, max(−net, 0) what they paid ahead.  Ints or NumPy arrays alike."""
    return net * (net > 0), -net * (net < 0)


def line_fen(amount: int | None, qty: float | None, price: int | None) -> int | None:
    """A 销售 line's fen: its 金额, else 数量 × 单价 rounded half-up (the scalar form of
    :func:`salesxl.core.ledger.sale_amounts`); None when it has neither."""
    if amount is not None:
        return amount
    if price is None or qty is None or qty != qty:
        return None
    return half_up(qty * price)
