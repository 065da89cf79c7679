"""The batch merge's common language: canonical text of whole columns and the keys that recognise a card or visit.

A returned template and the master are compared as canonical text (:data:`Text`, the same
text :func:`salesxl.core.templates.canonical_text` gives one cell), built here for whole
columns at once; a customer is recognised again by its unified social credit code or by its
normalised name and phone (the same normalisation as validation's possible-duplicate rule), a
visit by the tuple of its fields.  Shared by :mod:`salesxl.core.returned`,
:mod:`salesxl.core.master_state` and :mod:`salesxl.core.merge`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from salesxl.core.schema import CUSTOMERS, VISITS, FieldType
from salesxl.core.templates import CARD_FIELDS, VISIT_FIELDS
from salesxl.core.validation import company_key, phone_key

Text = str | None
"""A cell's canonical text (:func:`salesxl.core.templates.canonical_text`); None is blank."""

#: 变更记录 field names of the records that are not a card field.
NEW_CUSTOMER_FIELD = "新建客户"
VISIT_LOG_FIELD = "拜访"
#: Default ID pattern when the master has no IDs to continue.
DEFAULT_ID_PREFIX = "KH"
DEFAULT_ID_WIDTH = 5


# --------------------------------------------------------------------------------------------
# Canonical text of whole columns


def canonical_column(values: pd.Series, kind: FieldType) -> list[Text]:
    """A typed column (as the reader returns it) → canonical text per row.

    Vectorised twin of :func:`salesxl.core.templates.canonical_text` (which the tests hold it
    equal to): a batch turns millions of cells into text, one Python call per cell is too slow.
    """
    if kind is FieldType.AMOUNT:
        return _fen_texts(values.astype("Int64"))
    if kind is FieldType.DATE:
        days = pd.to_datetime(values, errors="coerce").dt.strftime("%Y-%m-%d")
        return [None if not isinstance(v, str) else v for v in days.tolist()]
    if kind in (FieldType.NUMBER, FieldType.INTEGER):
        return _by_distinct(pd.to_numeric(values, errors="coerce").astype("float64"), _number_text)
    arr = pc.utf8_trim_whitespace(pc.cast(pa.array(values.astype("string").array), pa.large_string()))
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, arr.type), arr).to_pylist()


def canonical_columns(frame: pd.DataFrame, names: Sequence[str], kinds: Mapping[str, FieldType]) -> dict[str, list[Text]]:
    """:func:`canonical_column` of several columns of one frame: the text columns go through
    Arrow as one array (a template's 500-row columns cost more in per-call overhead than in
    work, and a batch does this for every file)."""
    out: dict[str, list[Text]] = {}
    text = [n for n in names if kinds[n] not in _NON_TEXT]
    for n in names:
        if kinds[n] in _NON_TEXT:
            out[n] = canonical_column(frame[n], kinds[n])
    if text:
        chunks: list[pa.Array] = []
        for n in text:
            a = pa.array(frame[n].astype("string").array)
            chunks += a.chunks if isinstance(a, pa.ChunkedArray) else [a]
        arr = pc.utf8_trim_whitespace(pa.chunked_array([pc.cast(c, pa.large_string()) for c in chunks],
                                                       type=pa.large_string()))
        flat = pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.large_string()), arr).to_pylist()
        k = len(frame)
        for j, n in enumerate(text):
            out[n] = flat[j * k: (j + 1) * k]
    return {n: out[n] for n in names}


_NON_TEXT = frozenset({FieldType.AMOUNT, FieldType.DATE, FieldType.NUMBER, FieldType.INTEGER})


def _fen_texts(fen: pd.Series) -> list[Text]:
    """:func:`~salesxl.core.money.fen_to_str` of a whole column of int fen, in Arrow (integer
    arithmetic, so exact): a master's amounts are mostly distinct, one Python call each is slow."""
    arr = pa.array(fen.to_numpy(dtype="int64", na_value=0), pa.int64(), mask=fen.isna().to_numpy())
    whole = pc.abs(arr)
    yuan = pc.divide(whole, 100)  # integer division
    cents = pc.utf8_lpad(pc.cast(pc.subtract(whole, pc.multiply(yuan, 100)), pa.string()), 2, "0")
    sign = pc.if_else(pc.less(arr, 0), "-", "")
    return pc.binary_join_element_wise(sign, pc.cast(yuan, pa.string()), ".", cents, "").to_pylist()


def _number_text(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(round(v, 6))


def _by_distinct(values: pd.Series, text: Any) -> list[Text]:
    """``text`` of each distinct non-blank value, spread back over the column: a master's
    amounts and coordinates repeat a lot, and the exact Python formatting (``round``, ``repr``)
    then runs once per distinct value instead of once per cell."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    texts = np.array([text(v) for v in uniques.tolist()] + [None], dtype=object)
    return texts[codes].tolist()  # code -1 (blank) → the final None


def card_kind(name: str) -> FieldType:
    return CUSTOMERS.field(name).type


def visit_kind(name: str) -> FieldType:
    return VISITS.field(name).type


CARD_KINDS = {n: CUSTOMERS.field(n).type for n in CARD_FIELDS}
VISIT_KINDS = {n: VISITS.field(n).type for n in VISIT_FIELDS}


def uscc_key(v: Text) -> str | None:
    if not v:
        return None
    return re.sub(r"\s+", "", v).upper() or None


def uscc_keys(usccs: Sequence[Text]) -> list[str | None]:
    """:func:`uscc_key` of a whole column: plain ASCII letters and digits (nearly every
    code) upper-cased in one Arrow pass, anything else (spaces, full-width) one by one."""
    arr = pa.array(list(usccs), pa.large_string())
    out: list[str | None] = pc.ascii_upper(arr).to_pylist()
    simple = pc.match_substring_regex(arr, r"^[0-9A-Za-z]+$").fill_null(True)
    for k in np.flatnonzero(~simple.to_numpy(zero_copy_only=False)).tolist():
        out[k] = uscc_key(usccs[k])
    return out


def name_phone_keys(names: Sequence[Text] | pd.Series, phones: Sequence[Text] | pd.Series) -> list[tuple[str, str] | None]:
    """(normalised name, normalised phone) per card (one vectorised pass), None where either is
    blank; the same normalisation as validation's possible-duplicate rule."""
    nk = company_key(names if isinstance(names, pd.Series) else pd.Series(list(names), dtype="string"))
    pk = phone_key(phones if isinstance(phones, pd.Series) else pd.Series(list(phones), dtype="string"))
    out: list[tuple[str, str] | None] = list(zip(nk.tolist(), pk.tolist(), strict=True))
    for k in np.flatnonzero(~(nk.notna().to_numpy(dtype=bool) & pk.notna().to_numpy(dtype=bool))).tolist():
        out[k] = None  # pairs built in C, the few blanks patched after
    return out


def company_name_keys(names: pd.Series) -> list[str | None]:
    return [k if isinstance(k, str) and k else None for k in company_key(names.astype("string")).tolist()]


def visit_key(values: Mapping[str, Text]) -> tuple[Text, ...]:
    """A visit as the tuple that recognises it again."""
    return tuple(values.get(n) for n in VISIT_FIELDS)
