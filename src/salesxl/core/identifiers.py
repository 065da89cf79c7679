"""Check the identifiers people type into a customer card: credit codes and phone numbers.

Two kinds of identifier carry most of the damage a typo can do in a customer archive:

* the 统一社会信用代码 (USCC, GB 32100-2015), which invoices, contracts and tax filings key on,
  and which has a check character precisely so that a mistyped code can be caught at entry;
* the 联系电话, which the duplicate detector compares and the salespeople dial.

Everything here is pure (no I/O) and comes in two shapes: a scalar function for one value, used
in tests and in messages, and a vectorised ``*_mask`` over a :class:`pandas.Series`, used by
validation on sheets of 100,000 rows where a Python loop per cell would dominate the run time.
Both shapes agree on every input; the tests hold them to that.

Both normalise before checking, because a cell typed on a Chinese keyboard often holds
full-width characters (``９１３５…``, ``０５７１－８８１２３４５６``) or stray full-width spaces
that look identical on screen: NFKC folds those to their ASCII forms first.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "USCC_CHARSET",
    "USCC_WEIGHTS",
    "is_valid_phone",
    "is_valid_uscc",
    "normalize_identifier",
    "normalized_uscc",
    "uscc_check_char",
    "valid_phone_mask",
    "valid_uscc_mask",
]

#: The 31 characters a USCC may use, in the order that gives each its value (0..30).
#: I, O, S, V and Z are left out so that they cannot be confused with 1, 0, 5, U and 2.
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

#: Weights of positions 1..17 (3**(i-1) mod 31), as fixed by GB 32100-2015.
USCC_WEIGHTS: tuple[int, ...] = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

_USCC_VALUE = {ch: i for i, ch in enumerate(USCC_CHARSET)}
_USCC_SHAPE = re.compile(r"[0-9A-HJ-NP-RTUW-Y]{18}")
_USCC_SHAPE_TEXT = _USCC_SHAPE.pattern

# Lookup table from an ASCII byte to its USCC value, for the vectorised check.  Bytes outside
# the charset never reach it (the shape regex filters them out first).
_USCC_LUT = np.zeros(256, dtype=np.int64)
for _ch, _value in _USCC_VALUE.items():
    _USCC_LUT[ord(_ch)] = _value
_USCC_WEIGHT_ARRAY = np.array(USCC_WEIGHTS, dtype=np.int64)

# Phones.  Mobile and 400/800 numbers are checked on a compact copy with spaces and dashes
# removed, because people group their digits in every imaginable way (``138 1234 5678``,
# ``138-1234-5678``, ``400-820-1234``).  A landline keeps its separator: without it
# ``01012345678`` could be area 010 + 8 digits or area 0101 + 7 digits, and the contract
# writes landlines as ``0AA(A)-NNNNNNN(N)``.  ``[0-9]`` rather than ``\d`` so that digits of
# other scripts (which ``\d`` matches in Python) are not taken for phone digits.
_MOBILE = r"(?:\+?86)?1[3-9][0-9]{9}"
_SERVICE = r"[48]00[0-9]{7}"
_COMPACT_PHONE = re.compile(rf"(?:{_MOBILE}|{_SERVICE})")
_LANDLINE = re.compile(
    r"(?:0[0-9]{2,3}(?:[ \t]*-[ \t]*|[ \t]+)[0-9]{7,8}"
    r"(?:[ \t]*(?:-|转|分机|[Ee][Xx][Tt]\.?|[Xx]|#)[ \t]*[0-9]{1,6})?)"
)
_SEPARATORS = re.compile(r"[\s\-]")


def normalize_identifier(value: str) -> str:
    """Fold a typed identifier to the form the checks compare.

    NFKC turns full-width digits, letters, dashes and the ideographic space into ASCII; the
    surrounding whitespace is then dropped because it is invisible in a cell and never part of
    the identifier.
    """
    return unicodedata.normalize("NFKC", value).strip()


def uscc_check_char(first17: str) -> str:
    """The check character (position 18) of a USCC whose first 17 characters are ``first17``.

    GB 32100-2015: with ``v(c)`` the index of ``c`` in :data:`USCC_CHARSET`, the check
    character is ``USCC_CHARSET[(31 - Σ v(cᵢ)·wᵢ mod 31) mod 31]``.  Raises ``ValueError`` for
    a body that is not exactly 17 characters from the charset, since no check character exists
    for it.
    """
    if len(first17) != 17:
        raise ValueError(f"a USCC body has 17 characters, got {len(first17)}: {first17!r}")
    try:
        total = sum(_USCC_VALUE[ch] * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    except KeyError as exc:
        raise ValueError(
            f"{exc.args[0]!r} is not a USCC character (I, O, S, V, Z are not)"
        ) from exc
    return USCC_CHARSET[(31 - total % 31) % 31]


def is_valid_uscc(s: Any) -> bool:
    """Whether ``s`` is a well-formed USCC with a correct check character.

    Full-width forms and surrounding spaces are normalised away, and lower case is accepted:
    the code's alphabet has one case only, so ``91350100m000100y43`` can only mean the
    upper-case code.  Anything that is not a ``str`` (a number, ``None``) is not a USCC: an
    18-digit code stored as a number has already lost digits to Excel's 15-digit precision.
    """
    if not isinstance(s, str):
        return False
    code = normalize_identifier(s).upper()
    if not _USCC_SHAPE.fullmatch(code):
        return False
    return uscc_check_char(code[:17]) == code[17]


def _is_text_dtype(dtype: Any) -> bool:
    """Whether a Series of ``dtype`` can only hold strings (and NA), so needs no per-cell look."""
    return isinstance(dtype, pd.StringDtype) or (
        pd.api.types.is_string_dtype(dtype) and not pd.api.types.is_object_dtype(dtype)
    )


def _as_text_series(values: pd.Series) -> pd.Series:
    """``values`` as a Python-backed string Series; non-strings (numbers, NA) become NA.

    The Python backend is chosen on purpose: it gives :mod:`re` semantics to the ``.str``
    regex methods whatever pandas' default string storage is.
    """
    dtype = pd.StringDtype("python")
    if _is_text_dtype(values.dtype):
        return values.astype(dtype)
    is_str = np.fromiter((isinstance(v, str) for v in values), dtype=bool, count=len(values))
    return values.where(is_str, None).astype(object).astype(dtype)


def _plain_split(text: pd.Series) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """``text`` (from :func:`_as_text_series`) as Arrow, with masks of its printable-ASCII
    cells and of its other non-blank cells.

    On printable ASCII (nearly every cell) NFKC changes nothing, ``strip`` removes only spaces
    and Arrow's RE2 matches exactly as Python's ``re`` does (no ``\\n``, and ``\\s`` and ``\\d``
    mean the same there), so those cells are checked in Arrow, a column at a time; the rest
    go through the Python string methods, which define the rules.
    """
    arr = pa.array(text.to_numpy(dtype=object, na_value=None), pa.large_string())
    plain = pc.match_substring_regex(arr, r"^[\x20-\x7e]*$").fill_null(False).to_numpy(zero_copy_only=False)
    other = ~plain & text.notna().to_numpy(dtype=bool)
    return arr, np.asarray(plain, dtype=bool), other


def _fullmatch(arr: pa.Array, pattern: str) -> np.ndarray:
    """Python's ``fullmatch`` of ``pattern`` on printable-ASCII cells, in Arrow (NA → False)."""
    return np.asarray(pc.match_substring_regex(arr, f"^(?:{pattern})$").fill_null(False)
                      .to_numpy(zero_copy_only=False), dtype=bool)


def normalized_uscc(values: pd.Series) -> pd.Series:
    """Each valid USCC of ``values`` as it is compared (NFKC, stripped, upper case), NA where
    the cell is not a valid USCC: the key the duplicate check uses, and the mask's source.

    The shape is checked with one regex over the column; the weighted sums of the survivors
    are then one matrix product over their bytes, so 100,000 codes take milliseconds.
    """
    text = _as_text_series(values)
    arr, plain, other = _plain_split(text)
    codes = np.full(len(text), None, dtype=object)
    if plain.any():
        codes[plain] = pc.ascii_upper(pc.ascii_trim(arr.filter(pa.array(plain)), " ")).to_numpy(zero_copy_only=False)
    if other.any():
        codes[other] = text[other].str.normalize("NFKC").str.strip().str.upper().to_numpy(dtype=object)
    shaped = _fullmatch(pa.array(codes, pa.large_string()), _USCC_SHAPE_TEXT)
    valid = np.zeros(len(text), dtype=bool)
    if shaped.any():
        raw = np.frombuffer("".join(codes[shaped]).encode("ascii"), dtype=np.uint8).reshape(-1, 18)
        digits = _USCC_LUT[raw]
        total = digits[:, :17] @ _USCC_WEIGHT_ARRAY
        valid[shaped] = (31 - total % 31) % 31 == digits[:, 17]
    codes[~valid] = None
    return pd.Series(codes, index=values.index, name=values.name, dtype="string")


def valid_uscc_mask(values: pd.Series) -> pd.Series:
    """Vectorised :func:`is_valid_uscc`: a boolean Series aligned with ``values`` (NA → False)."""
    valid = normalized_uscc(values).notna().to_numpy(dtype=bool)
    return pd.Series(valid, index=values.index, name=values.name, dtype=bool)


def _phone_text(value: Any) -> str | None:
    """The text of a phone cell, or ``None`` when it cannot be a phone.

    A mobile number typed into a cell without a leading apostrophe is stored by Excel as a
    number (13812345678); it is still the customer's phone, so integral numbers count as their
    digits.  (A landline stored that way has lost its leading 0 and fails the check anyway.)
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)) and np.isfinite(value) and float(value).is_integer():
        return str(int(value))
    return None


def is_valid_phone(s: Any) -> bool:
    """Whether ``s`` is a mainland phone number in one of the forms the contract allows.

    Mobile ``1[3-9]`` + 9 digits (optionally ``+86``/``86``, any spaces or dashes), landline
    ``0AA(A)-NNNNNNN(N)`` with an optional extension (``-123``, ``转123``, ``分机123``,
    ``ext123``, ``#123``), or a 400/800 service number (``400-123-4567``, ``4001234567``).
    """
    text = _phone_text(s)
    if text is None:
        return False
    text = normalize_identifier(text)
    if _COMPACT_PHONE.fullmatch(_SEPARATORS.sub("", text)):
        return True
    return _LANDLINE.fullmatch(text) is not None


def valid_phone_mask(values: pd.Series) -> pd.Series:
    """Vectorised :func:`is_valid_phone`: a boolean Series aligned with ``values`` (NA → False)."""
    if not _is_text_dtype(values.dtype):
        values = values.map(_phone_text, na_action="ignore")
    text = _as_text_series(values)
    arr, plain, other = _plain_split(text)
    ok = np.zeros(len(text), dtype=bool)
    if plain.any():  # see _plain_split: spaces are the only whitespace here
        sub = pc.ascii_trim(arr.filter(pa.array(plain)), " ")
        compact = pc.replace_substring_regex(sub, r"[ \-]", "")
        ok[plain] = _fullmatch(compact, _COMPACT_PHONE.pattern) | _fullmatch(sub, _LANDLINE.pattern)
    if other.any():
        rest = text[other].str.normalize("NFKC").str.strip()
        compact_rest = rest.str.replace(_SEPARATORS.pattern, "", regex=True)
        ok[other] = (compact_rest.str.fullmatch(_COMPACT_PHONE.pattern).fillna(False).to_numpy(dtype=bool)
                     | rest.str.fullmatch(_LANDLINE.pattern).fillna(False).to_numpy(dtype=bool))
    return pd.Series(ok, index=values.index, name=values.name, dtype=bool)
