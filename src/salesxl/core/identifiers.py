"""Identifier checks over whole columns: credit codes, resident IDs, phone numbers, provinces.

Two kinds of identifier carry most of the damage a typo can do in a customer archive:

* the 统一社会信用代码 (USCC, GB 32100-2015), which invoices, contracts and tax filings key on,
  and which has a check character precisely so that a mistyped code can be caught at entry;
* the 联系电话, which the duplicate detector compares and the salespeople dial.

The rules themselves live in :mod:`salesxl.core.idrules` (standard library and ``phonenumbers``
only, so that the xlwings Lite template can inline them); this module applies the *same* tables
and regular expressions to a :class:`pandas.Series` at once, in Arrow's RE2 engine and NumPy,
because validation runs on sheets of 100,000 rows where a Python call per cell would dominate
the run time (libphonenumber per cell is 30× slower).  The scalar functions are re-exported;
the tests hold both shapes to the same answer on every input.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from salesxl.core import idrules
from salesxl.core.idrules import (
    USCC_CHARSET,
    USCC_WEIGHTS,
    is_valid_phone,
    is_valid_resident_id,
    is_valid_uscc,
    normalize_identifier,
    normalize_province,
    uscc_check_char,
    uscc_problem,
)

__all__ = [
    "PROVINCE_SOURCES",
    "USCC_CHARSET",
    "USCC_WEIGHTS",
    "is_valid_phone",
    "is_valid_resident_id",
    "is_valid_uscc",
    "normalize_identifier",
    "normalize_province",
    "card_provinces",
    "normalized_provinces",
    "normalized_uscc",
    "phone_keys",
    "uscc_check_char",
    "uscc_problem",
    "valid_phone_mask",
    "valid_resident_id_mask",
    "valid_uscc_mask",
]

# Lookup table from an ASCII byte to its USCC value, for the vectorised check.  Bytes outside
# the charset never reach it (the shape regex filters them out first).
_USCC_LUT = np.zeros(256, dtype=np.int64)
for _i, _ch in enumerate(USCC_CHARSET):
    _USCC_LUT[ord(_ch)] = _i
_USCC_WEIGHT_ARRAY = np.array(USCC_WEIGHTS, dtype=np.int64)
_RIC_WEIGHT_ARRAY = np.array(idrules.RESIDENT_ID_WEIGHTS, dtype=np.int64)
_RIC_CHECK_LUT = np.frombuffer(idrules.RESIDENT_ID_CHECK.encode("ascii"), dtype=np.uint8)


def _text_array(values: pd.Series, *, phones: bool = False) -> pa.Array:
    """``values`` as one Arrow ``large_string`` array; cells that are not text are null (for
    ``phones``, integral numbers become their digits, as :func:`idrules.phone_text` says)."""
    if phones and not _is_text_dtype(values.dtype):
        items = [idrules.phone_text(v) for v in values.tolist()]
    elif _is_text_dtype(values.dtype):
        items = values.astype(object).where(values.notna(), None).tolist()
    else:
        items = [v if isinstance(v, str) else None for v in values.tolist()]
    return pa.array(items, pa.large_string())


def _is_text_dtype(dtype: Any) -> bool:
    """Whether a Series of ``dtype`` can only hold strings (and NA), so needs no per-cell look."""
    return isinstance(dtype, pd.StringDtype) or (
        pd.api.types.is_string_dtype(dtype) and not pd.api.types.is_object_dtype(dtype)
    )


def _fullmatch(arr: pa.Array, pattern: str) -> np.ndarray:
    """Python's ``re.fullmatch`` of ``pattern`` over a column, in RE2 (null → False)."""
    return np.asarray(pc.match_substring_regex(arr, f"^(?:{pattern})$").fill_null(False)
                      .to_numpy(zero_copy_only=False), dtype=bool)


def _sub(arr: pa.Array, pattern: str, replacement: str) -> pa.Array:
    """Python's ``re.sub`` over a column (the patterns of :mod:`idrules` mean the same in both)."""
    return pc.replace_substring_regex(arr, pattern, replacement)


def _identifier_text(arr: pa.Array) -> pa.Array:
    """:func:`idrules.uscc_text` over a column: NFKC, edge whitespace gone, upper case.

    (ASCII upper case: a non-ASCII letter left after NFKC fails every shape check anyway.)
    """
    return pc.ascii_upper(_sub(pc.utf8_normalize(arr, "NFKC"), idrules.EDGE_SPACE, ""))


def _codes(arr: pa.Array, shaped: np.ndarray) -> np.ndarray:
    """The 18 ASCII bytes of each ``shaped`` code as a (k, 18) uint8 matrix."""
    kept = arr.filter(pa.array(shaped)).to_pylist()
    return np.frombuffer("".join(kept).encode("ascii"), dtype=np.uint8).reshape(-1, 18)


def normalized_uscc(values: pd.Series) -> pd.Series:
    """Each valid USCC of ``values`` as it is compared (NFKC, stripped, upper case), NA where
    the cell is not a valid USCC: the key the duplicate check uses, and the mask's source.

    The shape (authority, category, division, charset) is one regex over the column; the
    weighted sums of the survivors are one matrix product over their bytes.
    """
    arr = _identifier_text(_text_array(values))
    shaped = _fullmatch(arr, idrules.USCC_SHAPE)
    valid = np.zeros(len(arr), dtype=bool)
    if shaped.any():
        digits = _USCC_LUT[_codes(arr, shaped)]
        total = digits[:, :17] @ _USCC_WEIGHT_ARRAY
        valid[shaped] = (31 - total % 31) % 31 == digits[:, 17]
    codes = np.asarray(arr.to_numpy(zero_copy_only=False), dtype=object)
    codes[~valid] = None
    return pd.Series(codes, index=values.index, name=values.name, dtype="string")


def valid_uscc_mask(values: pd.Series) -> pd.Series:
    """Vectorised :func:`is_valid_uscc`: a boolean Series aligned with ``values`` (NA → False)."""
    valid = normalized_uscc(values).notna().to_numpy(dtype=bool)
    return pd.Series(valid, index=values.index, name=values.name, dtype=bool)


def normalized_resident_id(values: pd.Series) -> pd.Series:
    """Each valid resident ID number of ``values`` (NFKC, stripped, upper case), NA elsewhere:
    :func:`is_valid_resident_id` over a column (shape by regex, birth date and check digit in
    NumPy)."""
    arr = _identifier_text(_text_array(values))
    shaped = _fullmatch(arr, idrules.RESIDENT_ID_SHAPE)
    valid = np.zeros(len(arr), dtype=bool)
    if shaped.any():
        raw = _codes(arr, shaped)
        digits = raw[:, :17].astype(np.int64) - ord("0")
        check = _RIC_CHECK_LUT[(digits @ _RIC_WEIGHT_ARRAY) % 11] == raw[:, 17]
        y = digits[:, 6:10] @ np.array([1000, 100, 10, 1])
        m = digits[:, 10:12] @ np.array([10, 1])
        d = digits[:, 12:14] @ np.array([10, 1])
        leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
        month_days = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[np.clip(m, 0, 12)]
        month_days = month_days + ((m == 2) & leap)
        valid[shaped] = check & (y >= 1) & (m >= 1) & (m <= 12) & (d >= 1) & (d <= month_days)
    codes = np.asarray(arr.to_numpy(zero_copy_only=False), dtype=object)
    codes[~valid] = None
    return pd.Series(codes, index=values.index, name=values.name, dtype="string")


def valid_resident_id_mask(values: pd.Series) -> pd.Series:
    """Vectorised :func:`is_valid_resident_id` (NA → False)."""
    valid = normalized_resident_id(values).notna().to_numpy(dtype=bool)
    return pd.Series(valid, index=values.index, name=values.name, dtype=bool)


# Phones ------------------------------------------------------------------------------------


def _where(arr: pa.Array, mask: np.ndarray, f: Any) -> pa.Array:
    """``arr`` with ``f`` applied to the rows of ``mask`` only (most cells need no such step)."""
    if not mask.any():
        return arr
    return pc.replace_with_mask(arr, pa.array(mask), f(arr.filter(pa.array(mask))))


def _starts(arr: pa.Array, prefixes: tuple[str, ...]) -> np.ndarray:
    """Whether each text starts with one of ``prefixes`` (null → False)."""
    out = np.zeros(len(arr), dtype=bool)
    for p in prefixes:
        out |= np.asarray(pc.starts_with(arr, p).fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
    return out


def _national_numbers(main: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """:func:`idrules.national_number` over a column: (numbers, usable mask)."""
    has_bracket = np.asarray(pc.match_substring(main, "(").fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
    main = _where(main, has_bracket, lambda a: _sub(a, idrules.PHONE_BRACKETS, r"\1"))
    compact = main
    for ch in idrules.PHONE_SEPARATOR_CHARS:  # PHONE_SEPARATORS, as literal replacements (faster)
        compact = pc.replace_substring(compact, ch, "")
    shaped = _fullmatch(compact, idrules.PHONE_COMPACT)
    strip = idrules.PHONE_NATIONAL_PREFIX
    zero = np.asarray(pc.starts_with(compact, "0").fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
    number = _where(compact, zero, lambda a: pc.utf8_slice_codeunits(a, 1))  # PHONE_NATIONAL_PREFIX
    # A prefix (+, 00, 86) is rare: the full rule runs on those rows only.
    prefixed = shaped & _starts(compact, ("+", "00", "86"))
    usable = shaped.copy()
    if prefixed.any():
        sub = compact.filter(pa.array(prefixed))
        intl = _fullmatch(sub, idrules.PHONE_INTERNATIONAL[1:] + ".*")
        plus = _fullmatch(sub, r"\+.*")
        bare = _fullmatch(sub, idrules.PHONE_BARE_CC[1:] + ".*")
        n_intl = _sub(_sub(sub, idrules.PHONE_INTERNATIONAL, ""), strip, "")
        rest = _sub(_sub(sub, idrules.PHONE_BARE_CC, ""), strip, "")
        length = pc.utf8_length(sub).to_numpy(zero_copy_only=False)
        use_rest = bare & ((~_fullmatch(sub, idrules.PHONE_GENERAL) & _fullmatch(rest, idrules.PHONE_GENERAL))
                           | (length > idrules.PHONE_MAX_NATIONAL))
        chosen = pc.if_else(pa.array(intl), n_intl, pc.if_else(pa.array(use_rest), rest, _sub(sub, strip, "")))
        number = pc.replace_with_mask(number, pa.array(prefixed), chosen)
        usable[prefixed] = intl | ~plus
    return number, usable


def _phone_types(main: pa.Array) -> tuple[np.ndarray, np.ndarray, pa.Array]:
    """(valid, valid and of a type an extension may follow, national number) per cleaned phone
    text without extension: :func:`idrules.national_number` then :func:`idrules.phone_type`, a
    column at a time."""
    number, usable = _national_numbers(main)
    n_len = pc.utf8_length(number).fill_null(0).to_numpy(zero_copy_only=False)
    general = usable & np.isin(n_len, idrules.PHONE_GENERAL_LENGTHS)
    general[general] = _fullmatch(number.filter(pa.array(general)), idrules.PHONE_GENERAL)
    valid = np.zeros(len(main), dtype=bool)
    ext_ok = np.zeros(len(main), dtype=bool)
    for name, pattern, lengths in idrules.PHONE_TYPES:
        todo = general & ~valid & np.isin(n_len, lengths)
        if not todo.any():
            continue
        hit = np.zeros(len(main), dtype=bool)
        hit[todo] = _fullmatch(number.filter(pa.array(todo)), pattern)
        valid |= hit
        if name in idrules.PHONE_EXTENSION_TYPES:
            ext_ok |= hit
    return valid, ext_ok, number


def _phones(values: pd.Series, *, keys_too: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """(valid, key) per cell: the steps of :func:`idrules.is_valid_phone` over the whole column,
    and (with ``keys_too``) for a valid phone the number it dials (national number, then ``x``
    and the extension), None elsewhere."""
    arr = _text_array(values, phones=True)
    plain = pc.and_(pc.string_is_ascii(arr), pc.ascii_is_printable(arr)).fill_null(True)
    other = ~np.asarray(plain.to_numpy(zero_copy_only=False), dtype=bool)
    text = _where(arr, other, lambda a: _sub(_sub(pc.utf8_normalize(a, "NFKC"), idrules.PHONE_DASHES, "-"),
                                             idrules.PHONE_SPACES, " "))
    ok, _, number = _phone_types(text)
    keys = np.asarray(number.to_numpy(zero_copy_only=False), dtype=object) if keys_too else None
    if keys is not None:
        keys[~ok] = None
    rest = ~ok & np.asarray(text.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    if rest.any():
        parts = pc.extract_regex(text.filter(pa.array(rest)), f"^(?:{idrules.PHONE_EXTENSION})$")
        split = np.asarray(parts.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
        if split.any():
            found = parts.filter(pa.array(split))
            _, with_ext, main_number = _phone_types(pc.struct_field(found, "main"))
            at = np.flatnonzero(rest)[split]
            ok[at] = with_ext
            if keys is not None:
                ext = pc.struct_field(found, "ext").to_numpy(zero_copy_only=False)
                joined = np.asarray(main_number.to_numpy(zero_copy_only=False), dtype=object) + "x" + ext
                keys[at[with_ext]] = joined[with_ext]
    return ok, keys


def valid_phone_mask(values: pd.Series) -> pd.Series:
    """Vectorised :func:`is_valid_phone`: a boolean Series aligned with ``values`` (NA → False).

    Clean-up and separators in Arrow, libphonenumber's CN patterns in RE2, so 100,000 phones
    take a fraction of a second.  Printable ASCII (nearly every cell) is left as it is by NFKC
    and the dash and space folding, so those steps run on the other cells only.
    """
    return pd.Series(_phones(values, keys_too=False)[0], index=values.index, name=values.name, dtype=bool)


def phone_keys(values: pd.Series) -> pd.Series:
    """The number each valid phone dials (national number, ``x`` and the extension if any), NA
    for an invalid one: ``010-62345678``, ``(010)62345678`` and ``+86 10 6234 5678`` share the
    key ``1062345678`` — what the duplicate checks compare."""
    return pd.Series(_phones(values)[1], index=values.index, name=values.name, dtype="string")


# Provinces ---------------------------------------------------------------------------------

#: Where a customer's province comes from (the core customer tables' ``province_source``).
PROVINCE_SOURCES = {
    "typed": ("档案填写", "as typed"),
    "normalized": ("规范为全称", "normalised to the official name"),
    "uscc": ("由信用代码推断", "from the USCC's division code"),
    "unrecognized": ("未能识别，按原文", "not recognised, kept as typed"),
}


def normalized_provinces(province: pd.Series, uscc: pd.Series | None = None) -> tuple[pd.Series, pd.Series]:
    """(province, source) per row: the official name of each typed 省份 (spec §2), or the
    province of the USCC's division code where 省份 is blank; text that names no province is
    kept as typed.  ``source`` is a key of :data:`PROVINCE_SOURCES` (NA where there is nothing).

    The cell itself is never rewritten: this is what zones, 区域构成 and ``by_region`` count by.
    One :func:`normalize_province` call per distinct value (a column has a few dozen).
    """
    n = len(province)
    text = np.asarray(province.astype(object).where(province.notna(), None).to_numpy(dtype=object), dtype=object)
    blank = np.array([not (isinstance(v, str) and v.strip()) for v in text.tolist()], dtype=bool)
    names = np.full(n, None, dtype=object)
    source = np.full(n, None, dtype=object)
    codes, uniques = pd.factorize(pd.Series(text, dtype=object), use_na_sentinel=True)
    official = [normalize_province(v) if isinstance(v, str) else None for v in uniques.tolist()]
    for k, (raw, name) in enumerate(zip(uniques.tolist(), official, strict=True)):
        at = (codes == k) & ~blank
        if not at.any():
            continue
        names[at] = name if name is not None else raw
        source[at] = "unrecognized" if name is None else "typed" if name == raw else "normalized"
    if uscc is not None and blank.any():
        keys = normalized_uscc(uscc.iloc[np.flatnonzero(blank)])
        inferred = [None if pd.isna(k) else idrules.province_of_division(str(k)[2:8]) for k in keys.tolist()]
        at = np.flatnonzero(blank)
        for i, name in zip(at.tolist(), inferred, strict=True):
            if name is not None:
                names[i], source[i] = name, "uscc"
    return (pd.Series(names, index=province.index, name=province.name, dtype="string"),
            pd.Series(source, index=province.index, name="province_source", dtype="string"))


def card_provinces(cards: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """:func:`normalized_provinces` of 客户档案 cards (its 省份 and 统一社会信用代码 columns): the
    one place every figure that counts by 省份 (zones, 区域构成, ``by_region``) takes it from."""
    if "省份" not in cards.columns:
        empty = pd.Series([None] * len(cards), index=cards.index, dtype="string")
        return empty, empty.rename("province_source")
    uscc = cards["统一社会信用代码"] if "统一社会信用代码" in cards.columns else None
    return normalized_provinces(cards["省份"], uscc)
