"""How a cell is read (spec §1): whole columns of raw cell text in, typed columns out.

The reader hands every cell over as text (the spreadsheet library renders numbers, dates and
strings alike), so one parser per type serves typed cells and the text people type into
them: ``1,234.50``, ``￥1234.5``, ``1.2万``, ``１２３４``, ``2026年3月5日``, ``20260305``,
an Excel serial ``46086`` (in the book's 1900 or 1904 date system).  Everything is vectorised with Arrow compute and NumPy over the
whole column; a column with few distinct values (dates, enums) is parsed once per distinct
value.  A cell that cannot be read is not an exception: it comes back as null with its
position set in the ``bad`` mask, and the reader turns the mask into ``bad-type`` findings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from salesxl.core.money import floats_to_fen
from salesxl.core.periods import PERIOD_KEY, period_text
from salesxl.core.plain_rules import (
    AMOUNT_PATTERN,
    COMPACT_PATTERN,
    GROUPED_NUMBER_PATTERN,
    MAX_SERIAL,
    NUMBER_PATTERN,
    SERIAL_PATTERN,
    TRIM_CHARS,
    YM_PATTERN,
    YMD_PATTERN,
)
from salesxl.core.schema import Field, FieldType

# The patterns are the plain rules' (salesxl.core.plain_rules, shared with xlwings Lite).
_NUMBER = NUMBER_PATTERN
_YMD = YMD_PATTERN
_COMPACT = COMPACT_PATTERN
_YM = YM_PATTERN
_SERIAL = SERIAL_PATTERN
# Excel's day 0 is 1899-12-31 but it counts a 1900-02-29 that never was (serial 60); from
# serial 61 on the effective epoch is 1899-12-30.
_EPOCH_EARLY = np.datetime64("1899-12-31", "D")
_EPOCH = np.datetime64("1899-12-30", "D")
_MAX_SERIAL = MAX_SERIAL  # 9999-12-31
# A workbook saved with the 1904 date system (``<workbookPr date1904="1"/>``, Excel for Mac's
# old default) counts from 1904-01-01 = 0, with no phantom leap day: the same serial is 1,462
# days later than in the 1900 system.
_EPOCH_1904 = np.datetime64("1904-01-01", "D")
_MAX_SERIAL_1904 = 2957003  # 9999-12-31


@dataclass
class Column:
    """A typed column and where its cells could not be read."""

    values: pd.Series
    bad: np.ndarray  # bool, True where a non-blank cell could not be read
    extra: dict[str, pd.Series] = field(default_factory=dict)
    """Companion columns the table also gets (a period's key, :data:`PERIOD_KEY`)."""


def as_array(raw: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One contiguous string array (the reader may hand over chunks)."""
    if isinstance(raw, pa.ChunkedArray):
        raw = raw.combine_chunks() if raw.num_chunks != 1 else raw.chunk(0)
    if not pa.types.is_string(raw.type) and not pa.types.is_large_string(raw.type):
        raw = pc.cast(raw, pa.string())
    return raw


def trim(raw: pa.Array) -> pa.Array:
    """Trim half- and full-width spaces; an empty string becomes null (blank)."""
    t = pc.utf8_trim(raw, characters=TRIM_CHARS)
    return pc.if_else(pc.equal(t, ""), pa.scalar(None, pa.string()), t)


def _bool(mask: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Arrow boolean → NumPy bool with nulls as False."""
    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)


def _fold(text: pa.Array) -> pa.Array:
    """NFKC-fold numerals typed on a Chinese keyboard: ``１２３４．５`` → ``1234.5``, ``￥`` → ``¥``."""
    return pc.utf8_normalize(text, "NFKC")


def _to_float(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Plain numeric text → (float64 values, ok mask); anything else is not ok."""
    ok = _bool(pc.match_substring_regex(text, _NUMBER))
    cleaned = pc.if_else(pa.array(ok), text, pa.scalar(None, pa.string()))
    values = pc.cast(cleaned, pa.float64()).to_numpy(zero_copy_only=False)
    return np.nan_to_num(values, nan=0.0), ok


def _numeric(text: pa.Array, clean: Callable[[pa.Array], tuple[pa.Array, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """(float64 values, ok) for trimmed text; blank is not ok.

    Fast path: a column of plain numbers (what a spreadsheet's numeric cells render as) casts
    in one Arrow call.  Only when that fails are the cells that are not plain numbers folded
    and cleaned by ``clean`` (which returns the cleaned text and a scale factor per cell).
    """
    present = _bool(pc.is_valid(text))
    try:
        values = pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False)
        return np.nan_to_num(values, nan=0.0), present & np.isfinite(values)
    except pa.ArrowInvalid:
        pass
    plain = _bool(pc.match_substring_regex(text, _NUMBER))
    values = np.zeros(len(text))
    ok = plain.copy()
    if plain.any():
        values[plain] = pc.cast(text.filter(pa.array(plain)), pa.float64()).to_numpy(zero_copy_only=False)
    other = np.flatnonzero(present & ~plain)
    if len(other):
        cleaned, scale = clean(_fold(text.take(pa.array(other))))
        v, k = _to_float(cleaned)
        values[other] = v * scale
        ok[other] = k
    return values, ok


# An amount as typed: see :data:`salesxl.core.plain_rules.AMOUNT_PATTERN` (spec §1, v1.1).
_AMOUNT = AMOUNT_PATTERN
_GROUPED_NUMBER = GROUPED_NUMBER_PATTERN


def _match_number(text: pa.Array, pattern: str) -> tuple[pa.Array, np.ndarray]:
    """Text matching ``pattern`` (groups ``s1``/``s2`` sign, ``num``, ``unit``) → (plain numeric
    text, scale factor); text that does not match comes back null, which the caller's
    :func:`_to_float` reports as not ok.  Two signs (``-¥-5``) are not a number."""
    ok = _bool(pc.match_substring_regex(text, pattern))
    parts = pc.extract_regex(pc.if_else(pa.array(ok), text, pa.scalar("0", pa.string())), pattern)
    s1, s2 = pc.struct_field(parts, "s1"), pc.struct_field(parts, "s2")
    ok &= ~(_bool(pc.not_equal(s1, "")) & _bool(pc.not_equal(s2, "")))
    num = pc.replace_substring(pc.struct_field(parts, "num"), ",", "")
    plain = pc.binary_join_element_wise(s1, s2, num, "")
    unit = pc.struct_field(parts, "unit")
    scale = np.where(_bool(pc.equal(unit, "万")), 1e4, 1.0)
    scale = np.where(_bool(pc.equal(unit, "亿")), 1e8, scale)
    return pc.if_else(pa.array(ok), plain, pa.scalar(None, pa.string())), scale


def _clean_amount(text: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """A typed amount → plain numeric text and its ``万``/``亿`` scale (see :data:`_AMOUNT`)."""
    return _match_number(text, _AMOUNT)


def _clean_number(text: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """A typed quantity: plain or comma-grouped digits, by the same rule as amounts."""
    return _match_number(text, _GROUPED_NUMBER)


def parse_text(t: pa.Array) -> Column:
    return Column(pd.Series(t.to_pandas(), dtype="string"), np.zeros(len(t), dtype=bool))


def parse_amount(t: pa.Array) -> Column:
    """Amounts → int64 fen (nullable).  ``¥``/``￥``/``元``/``RMB``/``CNY`` marks, thousands
    separators, full-width digits and a ``万``/``亿`` suffix are accepted; another currency's
    mark and a decimal comma are not (see :data:`_AMOUNT`)."""
    present = _bool(pc.is_valid(t))
    values, ok = _numeric(t, _clean_amount)
    fen, in_range = floats_to_fen(values)
    ok &= in_range
    mask = ~ok  # null where unreadable or blank
    return Column(pd.Series(pd.arrays.IntegerArray(np.where(ok, fen, 0), mask)), present & ~ok)


def parse_number(t: pa.Array, *, integer: bool = False) -> Column:
    """Quantities and coordinates → float64 (NaN blank); with ``integer``, whole numbers → Int64."""
    present = _bool(pc.is_valid(t))
    values, ok = _numeric(t, _clean_number)
    ok &= np.isfinite(values)
    values = np.where(ok, values, 0.0)
    if integer:
        ok &= np.isclose(values, np.round(values), rtol=0, atol=1e-9) & (np.abs(values) < 2**53)
        ints = np.round(np.where(ok, values, 0.0)).astype(np.int64)
        return Column(pd.Series(pd.arrays.IntegerArray(np.where(ok, ints, 0), ~ok)), present & ~ok)
    return Column(pd.Series(np.where(ok, values, np.nan)), present & ~ok)


def parse_rate(t: pa.Array) -> Column:
    """Rates: ``0.03`` or ``3%`` → 0.03 (float64)."""
    present = _bool(pc.is_valid(t))
    s = pc.replace_substring_regex(_fold(t), r"\s", "")
    pct = _bool(pc.ends_with(s, "%"))
    values, ok = _to_float(pc.replace_substring_regex(s, r"%$", ""))
    values = np.where(pct, values / 100.0, values)
    return Column(pd.Series(np.where(ok, values, np.nan)), present & ~ok)


def _dictionary(raw: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """(distinct values, index of each row into them; -1 for blank)."""
    enc = pc.dictionary_encode(raw)
    idx = enc.indices.to_numpy(zero_copy_only=False)
    idx = np.where(np.asarray(enc.is_valid()), np.nan_to_num(idx, nan=-1), -1).astype(np.int64)
    return enc.dictionary, idx


def _ymd_days(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Calendar parts → (datetime64[D], valid).  Rejects 2026-02-30, month 13, year 0."""
    valid = (y >= 1) & (m >= 1) & (m <= 12) & (d >= 1)
    months = np.where(valid, (y - 1970) * 12 + (m - 1), 0).astype("timedelta64[M]")
    start = (np.datetime64("1970-01", "M") + months).astype("datetime64[D]")
    length = ((np.datetime64("1970-01", "M") + months + 1).astype("datetime64[D]") - start).astype(int)
    valid &= d <= length
    return start + np.where(valid, d - 1, 0).astype("timedelta64[D]"), valid


def _int_group(parts: pa.StructArray, name: str) -> np.ndarray:
    col = pc.struct_field(parts, name)
    return np.nan_to_num(pc.cast(col, pa.int64()).to_numpy(zero_copy_only=False), nan=0).astype(np.int64)


def serial_days(serial: np.ndarray, *, date1904: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Whole Excel serial numbers → (datetime64[D], valid) in the book's date system.

    The one place a serial becomes a date: a date cell in a built-in format the reader leaves
    as a number (the Chinese formats 27–36 and 50–58) and a plain number in a date column both
    come through here, so a 1904-system book reads right whatever the cell's format.
    """
    serial = np.asarray(serial, dtype=np.int64)
    if date1904:
        valid = (serial >= 0) & (serial <= _MAX_SERIAL_1904)
        epoch = np.full(len(serial), _EPOCH_1904)
    else:
        valid = (serial >= 1) & (serial <= _MAX_SERIAL) & (serial != 60)
        epoch = np.where(serial < 60, _EPOCH_EARLY, _EPOCH)
    return epoch + np.where(valid, serial, 0).astype("timedelta64[D]"), valid


def excel_serial(moment: date | datetime, *, date1904: bool = False) -> float:
    """A date or date-time → its Excel serial number in the book's date system.

    The inverse of :func:`serial_days`, and the one place a date becomes a serial: a date
    written into a 1904-system book (Excel for Mac's old default) must count from 1904-01-01,
    or it shows four years and a day late.  In the 1900 system Excel counts a 1900-02-29 that
    never was, so a day before March 1900 is one less.  Raises ValueError for a day the book's
    system cannot show (before 1900-01-01, or before 1904-01-01 in a 1904 book).
    """
    if isinstance(moment, datetime):
        moment = moment.replace(tzinfo=None)
    else:
        moment = datetime(moment.year, moment.month, moment.day)
    epoch = datetime(1904, 1, 1) if date1904 else datetime(1899, 12, 30)
    delta = moment - epoch
    serial = delta.days + delta.seconds / 86400 + delta.microseconds / 86400e6
    if not date1904 and serial < 61:
        serial -= 1
    if serial < (0 if date1904 else 1):
        raise ValueError(moment)
    return serial


def _parse_dates(distinct: pa.Array, *, month: bool = False, date1904: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Distinct date texts → (datetime64[D], ok).  Tries each accepted form in turn."""
    s = _fold(distinct)
    n = len(s)
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    ok = np.zeros(n, dtype=bool)
    patterns = (_YMD, _COMPACT) + ((_YM,) if month else ())
    for pattern in patterns:
        hit = _bool(pc.match_substring_regex(s, pattern)) & ~ok
        if not hit.any():
            continue
        parts = pc.extract_regex(pc.if_else(pa.array(hit), s, pa.scalar("", pa.string())), pattern)
        y, m = _int_group(parts, "y"), _int_group(parts, "m")
        d = _int_group(parts, "d") if "(?P<d>" in pattern else np.ones(n, dtype=np.int64)
        days, valid = _ymd_days(y, m, d)
        take = hit & valid
        out[take] = days[take]
        ok |= take
    serial_hit = _bool(pc.match_substring_regex(s, _SERIAL)) & ~ok
    if serial_hit.any():
        serial = np.floor(pc.cast(pc.if_else(pa.array(serial_hit), s, "0"), pa.float64()).to_numpy(zero_copy_only=False)).astype(np.int64)
        days, valid = serial_days(serial, date1904=date1904)
        valid &= serial_hit
        out[valid] = days[valid]
        ok |= valid
    if month:
        out = out.astype("datetime64[M]").astype("datetime64[D]")
    return out, ok


def parse_date(t: pa.Array, *, month: bool = False, date1904: bool = False) -> Column:
    """Dates → datetime64[s] at midnight (NaT blank); a time part is dropped.

    With ``month``, also ``2026-10`` / ``2026年10月``, and every date is moved to the first day
    of its month.  ``date1904``: the workbook uses the 1904 date system, so serial numbers
    count from 1904-01-01 (see :func:`serial_days`).
    """
    distinct, idx = _dictionary(t)
    days, ok = _parse_dates(distinct, month=month, date1904=date1904)
    has = idx >= 0
    row_ok = np.zeros(len(idx), dtype=bool)
    row_ok[has] = ok[idx[has]]
    values = np.full(len(idx), np.datetime64("NaT"), dtype="datetime64[D]")
    values[row_ok] = days[idx[row_ok]]
    return Column(pd.Series(values.astype("datetime64[s]")), has & ~row_ok)


def parse_period(t: pa.Array, *, date1904: bool = False) -> Column:
    """Months, quarters and years (目标.月份, v1.1) → the period's first day, with each row's
    period key (``2026-10``, ``2026Q4``, ``2026``) in the companion column :data:`PERIOD_KEY`.

    Quarter and year forms are tried first, so a bare ``2026`` is a year and never the Excel
    serial 2026; what is left is read as :func:`parse_date` reads a month.
    """
    distinct, idx = _dictionary(t)
    texts = distinct.to_pylist()
    found = [period_text(v) for v in texts]
    days, ok = _parse_dates(distinct, month=True, date1904=date1904)
    keys = np.empty(len(texts), dtype=object)
    for i, p in enumerate(found):
        if p is not None:
            days[i] = np.datetime64(p.first_day, "D")
            ok[i] = True
            keys[i] = p.key
        elif ok[i]:
            keys[i] = str(days[i].astype("datetime64[M]"))
    has = idx >= 0
    row_ok = np.zeros(len(idx), dtype=bool)
    row_ok[has] = ok[idx[has]]
    values = np.full(len(idx), np.datetime64("NaT"), dtype="datetime64[D]")
    values[row_ok] = days[idx[row_ok]]
    row_keys = np.full(len(idx), None, dtype=object)
    row_keys[row_ok] = keys[idx[row_ok]]
    return Column(pd.Series(values.astype("datetime64[s]")), has & ~row_ok,
                  {PERIOD_KEY: pd.Series(row_keys, dtype=object)})


def parse_enum(t: pa.Array, field: Field) -> Column:
    """Enum text → canonical Chinese value; English is matched case-insensitively.

    An unknown value is kept as typed (it is the validator's ``bad-enum``, not a type error).
    """
    lookup = {}
    for zh, en in field.enum:
        lookup[zh.lower()] = zh
        lookup[en.lower()] = zh
    distinct, idx = _dictionary(t)
    mapped = [lookup.get(str(v).lower(), v) for v in distinct.to_pylist()]
    # Blank rows point at a null appended after the distinct values.
    table = pa.array([*mapped, None], pa.string())
    values = table.take(pa.array(np.where(idx >= 0, idx, len(mapped))))
    return Column(pd.Series(values.to_pandas(), dtype="string"), np.zeros(len(t), dtype=bool))


def parse_column(
    raw: pa.Array | pa.ChunkedArray, field: Field, *, trimmed: bool = False, date1904: bool = False
) -> Column:
    """Read one column of cell text as ``field``'s type (``trimmed``: already through :func:`trim`;
    ``date1904``: the workbook's date system is 1904, for serial numbers in date columns)."""
    raw = as_array(raw) if trimmed else trim(as_array(raw))
    match field.type:
        case FieldType.AMOUNT:
            return parse_amount(raw)
        case FieldType.DATE:
            return parse_date(raw, date1904=date1904)
        case FieldType.MONTH:
            return parse_date(raw, month=True, date1904=date1904)
        case FieldType.PERIOD:
            return parse_period(raw, date1904=date1904)
        case FieldType.NUMBER:
            return parse_number(raw)
        case FieldType.INTEGER:
            return parse_number(raw, integer=True)
        case FieldType.RATE:
            return parse_rate(raw)
        case FieldType.ENUM:
            return parse_enum(raw, field)
        case _:
            return parse_text(raw)


def empty_column(field: Field, n: int) -> pd.Series:
    """An all-blank column of ``field``'s type, for an optional column the sheet lacks."""
    return parse_column(pa.nulls(n, pa.string()), field).values
