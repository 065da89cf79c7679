"""Validation (spec §2 and §4): every rule of the workbook contract, over whole columns.

The reader has already said what it could not read (``missing-sheet``, ``missing-column``,
``bad-type``, ``no-cached-value``); this module checks what it did read: blanks in required
columns, options, identifiers, duplicates, references between sheets, dates, amounts and
shipped quantities.  Each rule is a vectorised mask over a column of a :class:`Table`; Python
only loops over the rows that actually have a problem, to build their :class:`Finding`.  A rule
about a column the sheet lacks is skipped, and a cell the reader could not read (blank in the
frame, already reported) is never reported again as blank.

Identifiers (客户编号, 单号, 业务员 names) are compared exactly as typed after the reader's
trim, the same way the ledger and reports join them, so a reference accepted here is a
reference that the figures will use.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from salesxl.core.card_rules import enum_params, hint_params, uscc_reason
from salesxl.core.contracts import contract_findings, sales_contract_findings
from salesxl.core.findings import Code, Finding
from salesxl.core.identifiers import (
    normalized_resident_id,
    normalized_uscc,
    phone_keys,
)
from salesxl.core.money import fen_to_str, half_up_fen
from salesxl.core.periods import period_keys
from salesxl.core.plans import plan_findings
from salesxl.core.prices import price_findings
from salesxl.core.schema import SHEETS, FieldType, requirement_text
from salesxl.core.settings import may_be_blank, setting_field
from salesxl.core.stock import stock_checks
from salesxl.core.tables import ROW, ROW_GROUP_SHIFT, Book, Table

#: China's bounding box for 纬度/经度 (spec §2), inclusive.
LAT_RANGE = (3.8, 53.6)
LON_RANGE = (73.5, 135.1)

#: 客户性质 value for which 统一社会信用代码 is optional.
INDIVIDUAL = "个人"

#: Reader codes whose cell reads as blank in the frame: such a cell is not "missing" again.
_UNREAD_CODES = frozenset({Code.BAD_TYPE, Code.NO_CACHED_VALUE})
_CODE_ORDER = {c: i for i, c in enumerate(Code)}

#: Per-row parameter values: an array aligned with the table's rows (scalars apply to all).
Params = Mapping[str, object]


# ---------------------------------------------------------------------------------------------
# Entry point


def validate_book(book: Book, *, as_of: date) -> list[Finding]:
    """Every validation finding of ``book`` as of ``as_of``, in contract sheet order, then by
    row, column and code.  The reader's own findings (``book.findings``) are not repeated."""
    ctx = _Context.of(book, as_of)
    extra = price_findings(book, as_of=as_of)  # v1.1 prices: 价目表's rules, checks on 销售
    found: list[Finding] = []
    stock = stock_checks(ctx.tables)  # 库存, 发货 and 盘点 together (spec §3 "Stock")
    for name in SHEETS:
        table = ctx.tables.get(name)
        if table is None:
            continue
        sheet_findings = _required(table, ctx) + _enums(table)
        check = _CHECKS.get(name)
        if check is not None:
            sheet_findings += check(table, ctx)
        sheet_findings += stock.get(name, [])
        sheet_findings += extra.get(name, [])
        sheet_findings.sort(key=_order)
        found += sheet_findings
    return found


@dataclass
class _Context:
    """What the rules of one sheet need to know about the others."""

    as_of: pd.Timestamp
    tables: dict[str, Table]
    unread: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    customers: pa.Array | None = None  # known 客户编号; None when 客户档案 was not read
    salespeople: pa.Array | None = None  # names on 业务员; None when that sheet is absent

    @classmethod
    def of(cls, book: Book, as_of: date) -> _Context:
        tables = {name: _by_row(t) for name, t in book.tables.items()}
        unread: dict[tuple[str, str], list[int]] = {}
        for f in book.findings:
            if f.code in _UNREAD_CODES and f.row is not None and f.field is not None:
                unread.setdefault((f.sheet, f.field), []).append(f.row)
        return cls(
            as_of=pd.Timestamp(as_of),
            tables=tables,
            unread={k: np.asarray(v, dtype=np.int64) for k, v in unread.items()},
            customers=_known(tables.get("客户档案"), "客户编号"),
            salespeople=_known(tables.get("业务员"), "业务员"),
        )

    def unread_mask(self, t: Table, name: str) -> np.ndarray:
        """True where the reader could not read ``name`` (the frame holds a blank there)."""
        rows = self.unread.get((t.sheet, name))
        if rows is None:
            return np.zeros(len(t), dtype=bool)
        return np.isin(t.frame[ROW].to_numpy(), rows)

    def blank(self, t: Table, name: str) -> np.ndarray:
        """True where ``name`` is really blank: empty in the frame and not an unread cell."""
        return t.frame[name].isna().to_numpy() & ~self.unread_mask(t, name)


def _by_row(t: Table) -> Table:
    """The table with its rows in Excel order ("the first occurrence" is the topmost row)."""
    if t.frame[ROW].is_monotonic_increasing:
        return t
    frame = t.frame.sort_values(ROW, kind="stable").reset_index(drop=True)
    return replace(t, frame=frame)


def _known(t: Table | None, name: str) -> pa.Array | None:
    """The distinct non-blank values of a column, as an Arrow value set; None without it."""
    if t is None or not t.has(name):
        return None
    return _value_set(t.frame[name])


def _arrow(s: pd.Series) -> pa.Array:
    """A text column as one Arrow large_string array (nulls for blanks)."""
    arr = pa.array(s.astype("string"), from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr.cast(pa.large_string())


def _value_set(s: pd.Series) -> pa.Array:
    return pc.unique(_arrow(s).drop_null())


def _unknown(s: pd.Series, known: pa.Array) -> np.ndarray:
    """True where ``s`` holds a value that is not in ``known`` (blank is not unknown).

    Arrow's hash lookup: pandas' ``isin`` on Arrow strings walks the value set in Python.
    """
    arr = _arrow(s)
    found = pc.is_in(arr, value_set=known)
    return np.asarray(pc.and_(pc.is_valid(arr), pc.invert(found)).to_numpy(zero_copy_only=False), dtype=bool)


def _order(f: Finding) -> tuple[int, int, int]:
    return (f.row or 0, _column_number(f.column), _CODE_ORDER[f.code])


def _column_number(letters: str | None) -> int:
    n = 0
    for ch in letters or "":
        n = n * 26 + ord(ch) - 64
    return n


# ---------------------------------------------------------------------------------------------
# Building findings


def _emit(t: Table, name: str, mask: np.ndarray | pd.Series, code: Code, params: Params | None = None) -> list[Finding]:
    """One finding per True row of ``mask`` at column ``name`` (none if the sheet lacks it).

    Each value of ``params`` is either a scalar or an array aligned with the table's rows.
    """
    letter = t.letter(name)
    idx = np.flatnonzero(np.asarray(mask, dtype=bool))
    if letter is None or len(idx) == 0:
        return []
    rows = t.frame[ROW].to_numpy()[idx].tolist()
    values = _texts(t, name, idx)
    fixed: dict[str, object] = {}
    varying: dict[str, list[object]] = {}
    for key, value in (params or {}).items():
        if isinstance(value, np.ndarray | pd.Series):
            varying[key] = _py(np.asarray(value, dtype=object)[idx])
        else:
            fixed[key] = value
    out = []
    for i, (row, value) in enumerate(zip(rows, values, strict=True)):
        p = dict(fixed)
        for key, column in varying.items():
            p[key] = column[i]
        out.append(Finding(sheet=t.sheet, row=row, column=letter, field=name, value=value,
                           code=code, params=p))
    return out


def _py(values: np.ndarray) -> list[object]:
    """Plain Python values for JSON: numpy scalars unwrapped, NA/NaN as empty text."""
    out: list[object] = []
    for v in values.tolist():
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            out.append("")
        elif isinstance(v, np.generic):
            out.append(v.item())
        else:
            out.append(v)
    return out


def _texts(t: Table, name: str, idx: np.ndarray) -> list[str | None]:
    """The cells at positions ``idx`` of column ``name`` as the user reads them."""
    kind = t.schema.field(name).type
    series = t.frame[name].iloc[idx]
    if kind is FieldType.AMOUNT:
        return [None if v is pd.NA else fen_to_str(v) for v in series.tolist()]
    if kind is FieldType.PERIOD:  # 2026-10, 2026Q4, 2026 as the reader keyed them
        return [None if k is None else str(k) for k in period_keys(t.frame, name)[idx].tolist()]
    if kind in (FieldType.DATE, FieldType.MONTH):
        return [_date_text(v, month=kind is FieldType.MONTH) for v in series.tolist()]
    if kind in (FieldType.NUMBER, FieldType.RATE):
        return [None if np.isnan(v) else num_text(v) for v in series.to_numpy(dtype=float)]
    return [None if v is pd.NA else str(v) for v in series.tolist()]  # text, enum, integer


def num_text(x: float) -> str:
    """A quantity or coordinate as a person writes it: ``3``, ``1.5``, ``0.3`` (no float noise)."""
    text = f"{float(x):.15g}"
    return "0" if text == "-0" else text


def _date_text(v: object, *, month: bool = False) -> str | None:
    if v is None or v is pd.NaT or v is pd.NA:
        return None
    ts = pd.Timestamp(v)
    return ts.strftime("%Y-%m" if month else "%Y-%m-%d")


# ---------------------------------------------------------------------------------------------
# Rules for every sheet


def _required(t: Table, ctx: _Context) -> list[Finding]:
    """``missing-value`` for blank cells of required (``*``) columns the sheet has.

    参数 has no required cells in the contract (its rows are optional overrides); see
    :func:`_settings` for the blanks reported there.
    """
    out: list[Finding] = []
    if t.schema.name == "参数":
        return out
    for f in t.schema.fields:
        if f.required and t.has(f.name):
            out += _emit(t, f.name, ctx.blank(t, f.name), Code.MISSING_VALUE)
    return out


def _enums(t: Table) -> list[Finding]:
    """``bad-enum`` for an option the contract does not know (the reader kept it as typed)."""
    out: list[Finding] = []
    for f in t.schema.fields:
        if f.type is not FieldType.ENUM or not t.has(f.name):
            continue
        s = t.frame[f.name]
        bad = s.notna() & ~s.isin(f.enum_values)
        out += _emit(t, f.name, bad, Code.BAD_ENUM, enum_params(f.enum))
    return out


def _duplicates(t: Table, keys: list[str], report: str, code: Code, params: Params | None = None,
                *, key_frame: pd.DataFrame | None = None) -> list[Finding]:
    """``code`` on every row after the first with the same non-blank ``keys``, at ``report``.

    ``key_frame`` replaces the compared values (e.g. normalised codes); the finding still shows
    the cell as typed.
    """
    if not all(t.has(k) for k in keys):
        return []
    frame = t.frame[keys] if key_frame is None else key_frame
    valid = frame.notna().all(axis=1).to_numpy()
    group = _group(t)
    if group is not None:  # rows of different templates are never duplicates of each other
        frame = frame.assign(**{_GROUP: group})
    dup = frame.duplicated(keep="first").to_numpy() & valid
    if not dup.any():
        return []
    first = np.zeros(len(t), dtype=np.int64)
    by = [*keys, _GROUP] if group is not None else keys
    grouped = frame.loc[valid].assign(**{ROW: t.frame[ROW]}).groupby(by, sort=False)[ROW]
    first[valid] = grouped.transform("min").to_numpy()
    return _emit(t, report, dup, code, {**(params or {}), "first_row": first})


_GROUP = "_group"


def _group(t: Table) -> np.ndarray | None:
    """Each row's group (:data:`~salesxl.core.tables.ROW_GROUP_SHIFT`), None when all are 0."""
    group = t.frame[ROW].to_numpy(dtype=np.int64) >> ROW_GROUP_SHIFT
    return group if group.any() else None


def _salesperson(t: Table, ctx: _Context, name: str = "业务员") -> list[Finding]:
    """``unknown-salesperson`` when a given 业务员 is not on the 业务员 sheet (if there is one)."""
    if ctx.salespeople is None or not t.has(name):
        return []
    s = t.frame[name]
    return _emit(t, name, _unknown(s, ctx.salespeople), Code.UNKNOWN_SALESPERSON)


def _customer_ref(t: Table, ctx: _Context, name: str = "客户编号") -> list[Finding]:
    """``unknown-customer`` when a given 客户编号 is not on 客户档案 (if it was read)."""
    if ctx.customers is None or not t.has(name):
        return []
    s = t.frame[name]
    return _emit(t, name, _unknown(s, ctx.customers), Code.UNKNOWN_CUSTOMER)


def _negative(t: Table, name: str) -> list[Finding]:
    """``out-of-range`` for a negative amount or count."""
    if not t.has(name):
        return []
    bad = (t.frame[name] < 0).fillna(False).to_numpy(dtype=bool)
    return _emit(t, name, bad, Code.OUT_OF_RANGE,
                 {"reason": "不能为负数", "reason_en": "it must not be negative"})


def _after(t: Table, name: str, limit: pd.Timestamp) -> list[Finding]:
    """``date-order`` for a date later than the as-of date."""
    if not t.has(name):
        return []
    bad = (t.frame[name] > limit).fillna(False).to_numpy(dtype=bool)
    text = limit.strftime("%Y-%m-%d")
    return _emit(t, name, bad, Code.DATE_ORDER, {
        "reason": f"晚于校验日期 {text}，不能是将来的日期",
        "reason_en": f"it is after the as-of date {text}; it cannot be in the future",
    })


def _before(t: Table, name: str, other: str, label: str, label_en: str) -> list[Finding]:
    """``date-order`` for a date earlier than the date in column ``other`` of the same row."""
    if not (t.has(name) and t.has(other)):
        return []
    bad = (t.frame[name] < t.frame[other]).fillna(False).to_numpy(dtype=bool)
    if not bad.any():
        return []
    limits = _texts(t, other, np.flatnonzero(bad))
    return _emit(t, name, bad, Code.DATE_ORDER, {
        "reason": _at(bad, [f"早于{label} {d}" for d in limits]),
        "reason_en": _at(bad, [f"it is before the {label_en} {d}" for d in limits]),
    })


def _at(mask: np.ndarray, values: list[object]) -> np.ndarray:
    """A row-aligned parameter array holding ``values`` at the True positions of ``mask``."""
    out = np.empty(len(mask), dtype=object)
    out[np.flatnonzero(mask)] = values
    return out


# ---------------------------------------------------------------------------------------------
# 客户档案


def _customers(t: Table, ctx: _Context) -> list[Finding]:
    # The number each phone dials: its validity and the duplicate key, from one parse.
    dialled = phone_keys(t.frame["联系电话"]) if t.has("联系电话") else None
    return (
        _duplicates(t, ["客户编号"], "客户编号", Code.DUPLICATE_ID)
        + _uscc(t, ctx)
        + _phone(t, dialled)
        + _negative(t, "资产规模")
        + _negative(t, "信用额度")
        + _negative(t, "账期天数")
        + _after(t, "成立日期", ctx.as_of)
        + _after(t, "首次交易日期", ctx.as_of)
        + _negative(t, "销售队伍")  # v1.1: the card's four groups
        + _after(t, "更新日期", ctx.as_of)
        + _before(t, "首次交易日期", "成立日期", "成立日期", "founding date")
        + _coordinates(t, ctx)
        + _salesperson(t, ctx)
        + _possible_duplicates(t, dialled)
    )


def _uscc(t: Table, ctx: _Context) -> list[Finding]:
    """统一社会信用代码: required unless 个人, valid per GB 32100-2015 (a 个人 customer may give a
    valid resident ID number instead), unique."""
    name = "统一社会信用代码"
    if not t.has(name):
        return []
    s = t.frame[name]
    rule = t.schema.field(name).required_unless
    assert rule is not None  # the contract: "required unless 个人" (salesxl.core.schema)
    other, exempt = rule
    individual = t.frame[other].isin(exempt).fillna(False).to_numpy(dtype=bool)
    missing = ctx.blank(t, name) & ~individual
    out = _emit(t, name, missing, Code.MISSING_VALUE,
                hint_params(requirement_text(t.schema, name), requirement_text(t.schema, name, "en")))
    key = _uscc_key(t, individual)
    valid = key.notna().to_numpy(dtype=bool)
    bad = s.notna().to_numpy() & ~valid
    if bad.any():
        at = np.flatnonzero(bad)
        why = [uscc_reason(str(v), individual=bool(i)) or {}
               for v, i in zip(s.iloc[at].tolist(), individual[at].tolist(), strict=True)]
        out += _emit(t, name, bad, Code.BAD_USCC, {
            key: _at(bad, [w.get(key, "") for w in why]) for key in ("reason", "reason_en")})
    # Only valid codes are compared: placeholders such as 无 or / are bad-uscc, not duplicates.
    return out + _duplicates(t, [name], name, Code.DUPLICATE_ID, key_frame=key.to_frame(name))


def _uscc_key(t: Table, individual: np.ndarray) -> pd.Series:
    """The compared form of each 统一社会信用代码 (a 个人's valid resident ID instead); NA when invalid."""
    s = t.frame["统一社会信用代码"]
    key = normalized_uscc(s)
    if individual.any():
        key = key.where(key.notna() | ~individual, normalized_resident_id(s))
    return key


#: 客户档案's rules that compare rows with each other (the rest look at one row alone).
CROSS_ROW_CODES = frozenset({Code.DUPLICATE_ID, Code.POSSIBLE_DUPLICATE})


#: The columns :func:`customer_cross_row` reads (besides the Excel row).
CROSS_ROW_FIELDS = ("客户编号", "统一社会信用代码", "客户性质", "客户名称", "联系电话")


def cross_row_keys(t: Table) -> pd.DataFrame:
    """Per row of ``t`` (in its order), the compared forms the cross-row rules use: ``uscc``
    (:func:`_uscc_key`), ``name`` (:func:`company_key`), ``phone`` (:func:`phone_key`); NA where
    blank, invalid or the column is absent.  Each is a function of the row's own cells, so a
    card has the same keys in the master as in a template: the batch computes the master's once
    and only the changed rows' per template (:mod:`salesxl.core.incremental`)."""
    f = t.frame
    na = pd.Series(pd.NA, index=f.index, dtype="string")
    uscc = na
    name = "统一社会信用代码"
    if t.has(name):
        rule = t.schema.field(name).required_unless
        assert rule is not None
        individual = f[rule[0]].isin(rule[1]).fillna(False).to_numpy(dtype=bool)
        uscc = _uscc_key(t, individual).astype("string")
    return pd.DataFrame({
        "uscc": uscc,
        "name": company_key(f["客户名称"]) if t.has("客户名称") else na,
        "phone": phone_key(f["联系电话"]) if t.has("联系电话") else na,
    }, index=f.index)


def customer_cross_row(t: Table, keys: pd.DataFrame | None = None) -> list[Finding]:
    """Only the 客户档案 rules that compare rows (:data:`CROSS_ROW_CODES`: duplicate IDs and codes,
    possible duplicates), exactly as :func:`validate_book` finds them.  The batch's incremental
    check (:mod:`salesxl.core.incremental`) runs these over a whole returned template and the
    one-row rules only over the rows the salesperson changed.  ``keys``: :func:`cross_row_keys`
    of ``t`` (row for row) when the caller has them already."""
    if keys is None:
        keys = cross_row_keys(t)
    if not t.frame[ROW].is_monotonic_increasing:
        order = np.argsort(t.frame[ROW].to_numpy(), kind="stable")
        t = replace(t, frame=t.frame.iloc[order].reset_index(drop=True))
        keys = keys.iloc[order]
    keys = keys.reset_index(drop=True)
    out = _duplicates(t, ["客户编号"], "客户编号", Code.DUPLICATE_ID)
    name = "统一社会信用代码"
    if t.has(name):
        out += _duplicates(t, [name], name, Code.DUPLICATE_ID, key_frame=keys[["uscc"]].rename(columns={"uscc": name}))
    return out + _possible_duplicates(t, names=keys["name"], phones=keys["phone"])


def _phone(t: Table, dialled: pd.Series | None) -> list[Finding]:
    name = "联系电话"
    if not t.has(name) or dialled is None:
        return []
    s = t.frame[name]
    bad = s.notna().to_numpy() & dialled.isna().to_numpy(dtype=bool)
    return _emit(t, name, bad, Code.BAD_PHONE)


def _coordinates(t: Table, ctx: _Context) -> list[Finding]:
    """纬度/经度 inside China's box, and both or neither."""
    out: list[Finding] = []
    pairs = (("纬度", LAT_RANGE, "经度", "latitude"), ("经度", LON_RANGE, "纬度", "longitude"))
    for name, (low, high), partner, english in pairs:
        if not t.has(name):
            continue
        x = t.frame[name].to_numpy(dtype=float)
        present = ~np.isnan(x)
        outside = present & ((x < low) | (x > high))
        out += _emit(t, name, outside, Code.OUT_OF_RANGE, {
            "reason": f"应在 {num_text(low)} 到 {num_text(high)} 之间（中国境内）",
            "reason_en": f"a {english} in China is between {num_text(low)} and {num_text(high)}",
        })
        alone = present & ctx.blank(t, partner) if t.has(partner) else present
        out += _emit(t, name, alone, Code.OUT_OF_RANGE, {
            "reason": f"缺少{partner}：纬度和经度须同时填写或同时留空",
            "reason_en": f"{partner} is blank; give both latitude and longitude, or neither",
        })
    return out


# Possible duplicates ----------------------------------------------------------------------------

_NAME_SUFFIX = r"(股份有限公司|有限责任公司|有限公司|公司)$"
_NAME_NOISE = r"[\s()\[\]{}<>【】〔〕〈〉《》「」『』\"'“”‘’·.,，、]"


def company_key(names: pd.Series) -> pd.Series:
    """Customer names normalised for duplicate detection: NFKC (full→half width), lower case,
    no spaces, brackets or punctuation, without a trailing 有限公司/有限责任公司/股份有限公司/公司.
    ``深圳市（华强）电子有限公司`` and ``深圳市华强电子`` share a key.  Blank when nothing is left."""
    text = pc.utf8_lower(pc.utf8_normalize(_arrow(names), "NFKC"))
    text = pc.replace_substring_regex(text, _NAME_NOISE, "")
    text = pc.replace_substring_regex(text, _NAME_SUFFIX, "")
    # Positional values (a Series here would be re-aligned on ``names``' index labels).
    keys = pd.Series(text.to_numpy(zero_copy_only=False), index=names.index, dtype="string")
    return keys.where(keys.str.len() > 0)


def phone_key(phones: pd.Series, dialled: pd.Series | None = None) -> pd.Series:
    """The number a phone dials, whatever its notation (:func:`identifiers.phone_keys`:
    ``010-62345678``, ``(010)62345678`` and ``+86 10 6234 5678`` are one key); an invalid phone
    as its digits, without a ``+86``/``0086`` prefix on a mobile.  Blank when fewer than seven
    digits are left (too short to mean anything).  ``dialled``: ``phone_keys(phones)`` when the
    caller has it already."""
    digits = pc.replace_substring_regex(pc.utf8_normalize(_arrow(phones), "NFKC"), r"\D", "")
    digits = pc.replace_substring_regex(digits, r"^(?:0086|86)(1\d{10})$", r"\1")
    keys = pd.Series(digits.to_numpy(zero_copy_only=False), index=phones.index, dtype="string")
    keys = keys.where(keys.str.len() >= 7)
    if dialled is None:
        dialled = phone_keys(phones)
    return dialled.where(dialled.notna(), keys)


def _earlier_other(keys: pd.Series, ids: pd.Series, group: np.ndarray | None = None) -> np.ndarray:
    """For each row, the position of the earliest earlier row with the same key and a different
    ID (-1 when none): the first row of its group if the IDs differ, else the group's first row
    with another ID if that one comes earlier.  Rows are in Excel order; a blank ID differs from
    every other.
    """
    ref = np.full(len(keys), -1, dtype=np.int64)
    if group is not None:  # the same key in two templates is two keys
        keys = keys.where(keys.isna(), pd.Series(group, index=keys.index).astype("string") + "\x00" + keys)
    shared = (keys.notna() & keys.duplicated(keep=False)).to_numpy(dtype=bool)
    if not shared.any():
        return ref
    pos = np.flatnonzero(shared)
    ident = pd.factorize(ids.iloc[pos], use_na_sentinel=True)[0].astype(np.int64)
    ident = np.where(ident < 0, -1 - pos, ident)  # each blank ID is an ID of its own
    df = pd.DataFrame({"g": pd.factorize(keys.iloc[pos])[0], "pos": pos, "id": ident})
    by_key = df.groupby("g", sort=False)
    first_pos = by_key["pos"].transform("first").to_numpy()
    differs = (df["id"] != by_key["id"].transform("first")).to_numpy()
    other = df["g"].map(df.loc[differs].groupby("g")["pos"].min()).to_numpy(dtype=float)
    earlier_other = ~np.isnan(other) & (other < pos)
    ref[pos] = np.where(differs, first_pos, np.where(earlier_other, np.nan_to_num(other), -1))
    return ref


def _possible_duplicates(t: Table, dialled: pd.Series | None = None, *, names: pd.Series | None = None,
                         phones: pd.Series | None = None) -> list[Finding]:
    """``possible-duplicate`` (warning) on the later of two rows with different IDs that share a
    phone number or a normalised name.  When both match the same earlier row, one warning (at
    客户名称); otherwise one per match, at the cell that matched."""
    f = t.frame
    none = np.full(len(t), -1, dtype=np.int64)
    ids = f["客户编号"]
    group = _group(t)
    # ``names``/``phones``: the keys already made (:func:`cross_row_keys`), row for row.
    if t.has("客户名称"):
        by_name = _earlier_other(company_key(f["客户名称"]) if names is None else names, ids, group)
    else:
        by_name = none
    if t.has("联系电话"):
        by_phone = _earlier_other(phone_key(f["联系电话"], dialled) if phones is None else phones, ids, group)
    else:
        by_phone = none
    both = (by_name >= 0) & (by_name == by_phone)
    rows = f[ROW].to_numpy()
    id_text = ids.to_numpy(dtype=object, na_value="")

    def params(ref: np.ndarray, mask: np.ndarray, zh: np.ndarray, en: np.ndarray) -> dict[str, object]:
        at = ref[mask]
        return {"first_row": _at(mask, rows[at].tolist()), "other_id": _at(mask, id_text[at].tolist()),
                "reason": _at(mask, zh[mask].tolist()), "reason_en": _at(mask, en[mask].tolist())}

    name_mask = by_name >= 0
    phone_mask = (by_phone >= 0) & ~both
    name_zh = np.where(both, "客户名称和联系电话都相同", "客户名称相同")
    name_en = np.where(both, "the same name and phone number", "the same customer name")
    phone_zh = np.full(len(t), "联系电话相同", dtype=object)
    phone_en = np.full(len(t), "the same phone number", dtype=object)
    return (_emit(t, "客户名称", name_mask, Code.POSSIBLE_DUPLICATE, params(by_name, name_mask, name_zh, name_en))
            + _emit(t, "联系电话", phone_mask, Code.POSSIBLE_DUPLICATE,
                    params(by_phone, phone_mask, phone_zh, phone_en)))


# ---------------------------------------------------------------------------------------------
# 销售 · 收款


def _sales(t: Table, ctx: _Context) -> list[Finding]:
    f = t.frame
    out = _customer_ref(t, ctx) + _salesperson(t, ctx)
    if t.has("数量"):
        zero = (f["数量"] == 0).to_numpy(dtype=bool)
        out += _emit(t, "数量", zero, Code.OUT_OF_RANGE, {
            "reason": "不能为 0（退货请填负数）",
            "reason_en": "it must not be 0 (a return is a negative quantity)",
        })
    out += _amount_mismatch(t)
    out += _before(t, "到期日", "日期", "日期", "sale date")
    return out + sales_contract_findings(t, ctx.tables.get("合同"))  # v1.1: 合同编号


def _amount_mismatch(t: Table) -> list[Finding]:
    """金额 must equal 数量 × 单价 within 0.01 元 (the product rounded half-up to the fen)."""
    if not all(t.has(n) for n in ("金额", "单价", "数量")):
        return []
    f = t.frame
    qty = f["数量"].to_numpy(dtype=float)
    price = f["单价"].to_numpy(dtype=float, na_value=np.nan)
    amount = f["金额"].to_numpy(dtype=float, na_value=np.nan)
    usable = ~(np.isnan(qty) | np.isnan(price) | np.isnan(amount)) & (qty != 0)  # 0 is out-of-range
    expected = half_up_fen(np.where(usable, qty * np.where(usable, price, 0.0), 0.0))
    actual = np.where(usable, amount, 0.0).astype(np.int64)
    diff = actual - expected
    bad = usable & (np.abs(diff) > 1)
    if not bad.any():
        return []
    shown_expected = np.empty(len(t), dtype=object)
    shown_diff = np.empty(len(t), dtype=object)
    for i in np.flatnonzero(bad):
        shown_expected[i] = fen_to_str(int(expected[i]))
        shown_diff[i] = fen_to_str(int(diff[i]))
    return _emit(t, "金额", bad, Code.AMOUNT_MISMATCH, {"expected": shown_expected, "diff": shown_diff})


def _receipts(t: Table, ctx: _Context) -> list[Finding]:
    out = _duplicates(t, ["单号"], "单号", Code.DUPLICATE_DOC)
    if t.has("金额"):
        bad = (t.frame["金额"] <= 0).fillna(False).to_numpy(dtype=bool)
        out += _emit(t, "金额", bad, Code.OUT_OF_RANGE, {
            "reason": "收款金额须大于 0（退款请选类型“退款”，金额仍填正数）",
            "reason_en": "it must be greater than 0 (for a refund choose type Refund and keep the amount positive)",
        })
    return out + _customer_ref(t, ctx)


# ---------------------------------------------------------------------------------------------
# 发货


_BLANK_SPEC = ""
_SHIP_COLUMNS = {"doc": "销售单号", "customer": "客户编号", "product": "产品", "spec": "规格"}
_SALE_COLUMNS = {"doc": "单号", "customer": "客户编号", "product": "产品", "spec": "规格"}


def _shipments(t: Table, ctx: _Context) -> list[Finding]:
    out = _customer_ref(t, ctx)
    if t.has("数量"):
        bad = (t.frame["数量"] <= 0).to_numpy(dtype=bool)
        out += _emit(t, "数量", bad, Code.OUT_OF_RANGE, {
            "reason": "发货数量须大于 0", "reason_en": "a shipped quantity must be greater than 0",
        })
    sales = ctx.tables.get("销售")
    if sales is None or not sales.has("单号") or not t.has("销售单号"):
        return out
    known = ~_unknown(t.frame["销售单号"], _value_set(sales.frame["单号"]))
    out += _emit(t, "销售单号", t.frame["销售单号"].notna().to_numpy() & ~known, Code.UNKNOWN_DOC)
    keys = _LineKeys(t.frame, sales.frame)
    out += _shipment_mismatch(t, sales, keys, known)
    return out + _over_shipment(t, sales, keys)


class _LineKeys:
    """Integer keys for (doc, customer, product, spec) prefixes, shared by 发货 and 销售.

    Each text column is factorised once over both sheets; a prefix key is a dense integer, so
    matching 300,000 shipments against 1,000,000 sales lines is integer hashing, not string
    merging.  A blank 规格 is a value of its own (blank matches blank); any other blank part
    makes the key -1 (no key).
    """

    def __init__(self, ship: pd.DataFrame, sales: pd.DataFrame) -> None:
        self.n_ship = len(ship)
        self.codes: dict[str, np.ndarray] = {}
        for part in _SHIP_COLUMNS:
            both = pd.concat([ship[_SHIP_COLUMNS[part]], sales[_SALE_COLUMNS[part]]], ignore_index=True)
            if part == "spec":
                both = both.fillna(_BLANK_SPEC)
            self.codes[part] = pd.factorize(both, use_na_sentinel=True)[0].astype(np.int64)

    def prefix(self, *parts: str) -> tuple[np.ndarray, np.ndarray]:
        """(shipment keys, sales keys) of the given parts, -1 where a part is blank."""
        key = np.zeros(len(self.codes["doc"]), dtype=np.int64)
        bound = 1  # key < bound
        blank = np.zeros(len(key), dtype=bool)
        for part in parts:
            code = self.codes[part]
            width = int(code.max(initial=0)) + 2
            if bound * width >= 2**62:  # keep the mixed-radix key inside int64
                key = pd.factorize(key)[0].astype(np.int64)
                bound = int(key.max(initial=0)) + 1
            blank |= code < 0
            key = key * width + code + 1
            bound *= width
        # Dense keys (0..n-1): the mixed-radix key can reach hundreds of millions, and callers
        # size bincount arrays by the largest key.
        dense = np.full(len(key), -1, dtype=np.int64)
        dense[~blank] = pd.factorize(key[~blank])[0]
        return dense[: self.n_ship], dense[self.n_ship:]


def _matched(ship_keys: np.ndarray, sale_keys: np.ndarray) -> np.ndarray:
    return pd.Series(ship_keys).isin(sale_keys[sale_keys >= 0]).to_numpy() & (ship_keys >= 0)


def _shipment_mismatch(t: Table, sales: Table, keys: _LineKeys, known: np.ndarray) -> list[Finding]:
    """``shipment-mismatch``: the doc exists but no line of it has this customer, product, spec.

    Reported at the first column that does not match (客户编号, then 产品, then 规格).
    """
    f = t.frame
    checkable = known & f["客户编号"].notna().to_numpy() & f["产品"].notna().to_numpy()
    if not checkable.any():
        return []
    cust_ok = _matched(*keys.prefix("doc", "customer"))
    prod_ok = _matched(*keys.prefix("doc", "customer", "product"))
    spec_ok = _matched(*keys.prefix("doc", "customer", "product", "spec"))
    bad_cust = checkable & ~cust_ok
    bad_prod = checkable & cust_ok & ~prod_ok
    bad_spec = checkable & prod_ok & ~spec_ok
    bad = bad_cust | bad_prod | bad_spec
    if not bad.any():
        return []
    reasons = _mismatch_reasons(t, sales, bad, bad_cust, bad_prod)
    params = {
        "doc": f["销售单号"].to_numpy(dtype=object),
        "reason": _at(bad, [zh for zh, _ in reasons]),
        "reason_en": _at(bad, [en for _, en in reasons]),
    }
    return (
        _emit(t, "客户编号", bad_cust, Code.SHIPMENT_MISMATCH, params)
        + _emit(t, "产品", bad_prod, Code.SHIPMENT_MISMATCH, params)
        + _emit(t, "规格" if t.has("规格") else "产品", bad_spec, Code.SHIPMENT_MISMATCH, params)
    )


def _mismatch_reasons(t: Table, sales: Table, bad: np.ndarray, bad_cust: np.ndarray,
                      bad_prod: np.ndarray) -> list[tuple[str, str]]:
    """What the sales document has instead, for each mismatched shipment (zh, en)."""
    idx = np.flatnonzero(bad)
    f = t.frame
    doc, cust, prod = (f[c].to_numpy(dtype=object, na_value=None)[idx] for c in ("销售单号", "客户编号", "产品"))
    spec = f["规格"].fillna(_BLANK_SPEC).to_numpy(dtype=object)[idx]
    bad_spec = bad & ~bad_cust & ~bad_prod

    def listing(kind: np.ndarray, parts: int) -> dict[object, str]:
        """Values of sales column ``parts`` per key of the first ``parts`` columns, for the
        documents of the ``kind`` rows only."""
        if not kind.any():
            return {}
        docs = _value_set(f["销售单号"].iloc[np.flatnonzero(kind)])
        rows = ~_unknown(sales.frame["单号"], docs) & sales.frame["单号"].notna().to_numpy()
        cols = [sales.frame[c].to_numpy(dtype=object, na_value=None)[rows] for c in ("单号", "客户编号", "产品")]
        cols.append(sales.frame["规格"].fillna(_BLANK_SPEC).to_numpy(dtype=object)[rows])
        keys = cols[0] if parts == 1 else zip(*cols[:parts], strict=True)
        return _listing(zip(keys, cols[parts], strict=True))

    by_doc, by_doc_cust, by_line = listing(bad_cust, 1), listing(bad_prod, 2), listing(bad_spec, 3)
    reasons = []
    for i in range(len(idx)):
        if bad_cust[idx[i]]:
            have = by_doc.get(doc[i], "")
            reasons.append((f"该单的客户是 {have}，不是 {cust[i]}", f"its customer is {have}, not {cust[i]}"))
        elif bad_prod[idx[i]]:
            have = by_doc_cust.get((doc[i], cust[i]), "")
            reasons.append((f"该单没有产品「{prod[i]}」（单上的产品：{have}）",
                            f"it has no product '{prod[i]}' (its products: {have})"))
        else:
            have = by_line.get((doc[i], cust[i], prod[i]), "")
            zh_spec, en_spec = spec[i] or "（空）", spec[i] or "(blank)"
            reasons.append((f"该单的产品「{prod[i]}」没有规格「{zh_spec}」（单上的规格：{have}）",
                            f"its product '{prod[i]}' has no spec '{en_spec}' (its specs: {have})"))
    return reasons


def _listing(pairs: Iterable[tuple[object, object]], limit: int = 10) -> dict[object, str]:
    """key → its distinct values (first ``limit``, in sheet order), joined for a message."""
    seen: dict[object, dict[object, None]] = {}
    for key, value in pairs:
        if value is not None and not (isinstance(key, tuple) and None in key) and key is not None:
            seen.setdefault(key, {})[value] = None
    out = {}
    for key, values in seen.items():
        texts = [str(v) or "（空）" for v in list(values)[:limit]]
        out[key] = "、".join(texts) + ("…" if len(values) > limit else "")
    return out


def _over_shipment(t: Table, sales: Table, keys: _LineKeys) -> list[Finding]:
    """``over-shipment``: the running total shipped per (doc, product, spec), in date order
    (then row), exceeds the quantity sold.  Reported on the shipment that first takes it over
    and on every later shipment of that key while the total stays over (a row shipping nothing
    is ``out-of-range`` instead)."""
    if not (t.has("数量") and sales.has("数量")):
        return []
    ship_key, sale_key = keys.prefix("doc", "product", "spec")
    size = int(max(ship_key.max(initial=-1), sale_key.max(initial=-1))) + 1
    has = sale_key >= 0
    sold = np.bincount(sale_key[has], weights=sales.frame["数量"].fillna(0.0).to_numpy(dtype=float)[has],
                       minlength=size)
    lines = np.bincount(sale_key[has], minlength=size + 1) > 0  # +1: never empty
    use = np.flatnonzero((ship_key >= 0) & lines[np.maximum(ship_key, 0)])
    if len(use) == 0:
        return []
    qty = t.frame["数量"].fillna(0.0).to_numpy(dtype=float)
    dates = t.frame["日期"].to_numpy().astype("datetime64[s]").astype(np.int64)
    dates = np.where(t.frame["日期"].isna().to_numpy(), np.iinfo(np.int64).max, dates)
    rows = t.frame[ROW].to_numpy()
    use = use[np.lexsort((rows[use], dates[use], ship_key[use]))]
    shipped = pd.Series(qty[use]).groupby(ship_key[use]).cumsum().to_numpy()
    limit = sold[ship_key[use]]
    over = (shipped > limit + 1e-9 * np.maximum(1.0, np.abs(limit))) & (qty[use] > 0)
    if not over.any():
        return []
    pos = use[over]
    mask = np.zeros(len(t), dtype=bool)
    mask[pos] = True
    spec = t.frame["规格"].to_numpy(dtype=object, na_value=None)
    return _emit(t, "数量", mask, Code.OVER_SHIPMENT, {
        "doc": t.frame["销售单号"].to_numpy(dtype=object),
        "product": t.frame["产品"].to_numpy(dtype=object),
        "spec": _at(mask, [f"（{spec[p]}）" if spec[p] else "" for p in np.sort(pos)]),
        "spec_en": _at(mask, [f" ({spec[p]})" if spec[p] else "" for p in np.sort(pos)]),
        "shipped": _at(mask, [num_text(x) for x in shipped[over][np.argsort(pos)]]),
        "sold": _at(mask, [num_text(x) for x in limit[over][np.argsort(pos)]]),
    })


# ---------------------------------------------------------------------------------------------
# 拜访 · 费用 · 目标 · 业务员


def _visits(t: Table, ctx: _Context) -> list[Finding]:
    out = _customer_ref(t, ctx) + _salesperson(t, ctx)
    where = next((n for n in ("客户编号", "客户名称") if t.has(n)), None)
    if where is None:
        return out
    neither = ctx.blank(t, "客户编号") & ctx.blank(t, "客户名称")
    return out + _emit(t, where, neither, Code.MISSING_VALUE, {
        "hint": "：请填写客户编号，潜在客户可只填客户名称",
        "hint_en": "; give the Customer ID, or the Customer Name for a prospect",
    })


def _expenses(t: Table, ctx: _Context) -> list[Finding]:
    return _salesperson(t, ctx)


def _targets(t: Table, ctx: _Context) -> list[Finding]:
    out = _salesperson(t, ctx)
    if t.has("月份"):
        # v1.1: one row per (period, 业务员, 产品, 省份); a sub-target is no repeat of the total.
        keys = period_keys(t.frame)
        months = [k or "" for k in keys.tolist()]
        sub = [" ".join(str(v) for v in (p, r) if v is not None and v is not pd.NA)
               for p, r in zip(t.frame["产品"].tolist(), t.frame["省份"].tolist(), strict=True)]
        scope = [f"{m}{'（' + s + '）' if s else ''}" for m, s in zip(months, sub, strict=True)]
        key_frame = pd.DataFrame({
            "月份": pd.Series([None if k is None else f"{k}\x00{s}" for k, s in zip(keys.tolist(), sub, strict=True)],
                            dtype=object),
            "业务员": t.frame["业务员"]})
        out += _duplicates(t, ["月份", "业务员"], "业务员", Code.DUPLICATE_ID, {
            "scope": np.array([f"在 {m} 的目标" for m in scope], dtype=object),
            "scope_en": np.array([f" target for {m}" for m in scope], dtype=object),
        }, key_frame=key_frame)
    for name in ("销售目标", "回款目标", "费用预算"):
        out += _negative(t, name)
    return out + plan_findings(t)  # v1.1: plan-mismatch


def _contracts(t: Table, ctx: _Context) -> list[Finding]:
    """合同 (v1.1): unique 合同编号, known customer and salesperson, 合同金额 > 0, End not before
    Start; ``over-contract`` is :func:`salesxl.core.contracts.contract_findings`."""
    out = _duplicates(t, ["合同编号"], "合同编号", Code.DUPLICATE_DOC) + _customer_ref(t, ctx) + _salesperson(t, ctx)
    if t.has("合同金额"):
        out += _emit(t, "合同金额", (t.frame["合同金额"] <= 0).fillna(False).to_numpy(dtype=bool), Code.OUT_OF_RANGE,
                     {"reason": "合同金额须大于 0", "reason_en": "a contract amount must be greater than 0"})
    out += _before(t, "结束日期", "开始日期", "开始日期", "start date")
    return out + contract_findings(t, ctx.tables, ctx.as_of.date())


def _salespeople(t: Table, ctx: _Context) -> list[Finding]:
    out = _duplicates(t, ["业务员"], "业务员", Code.DUPLICATE_ID)
    if t.has("提成比例"):
        rate = t.frame["提成比例"].to_numpy(dtype=float)
        bad = ~np.isnan(rate) & ((rate < 0) | (rate > 1))
        out += _emit(t, "提成比例", bad, Code.OUT_OF_RANGE, {
            "reason": "应在 0 到 1 之间（如 0.03 或 3%）",
            "reason_en": "it must be between 0 and 1 (0.03 or 3%)",
        })
    return out


def _settings(t: Table, ctx: _Context) -> list[Finding]:
    """参数: a known setting without a value, or a value without a name, is ``missing-value``
    (the default is kept, which the user did not intend).  A blank 值 next to text that is not
    a setting (a heading, a note) is left alone, and so is a company detail (开户行, 账号…) not
    yet filled in: its default is blank, and the letters leave a line for it."""
    names = t.frame["名称"]
    fields = [setting_field(str(v)) if v is not pd.NA else None for v in names.tolist()]
    known = np.array([f is not None and not may_be_blank(f) for f in fields], dtype=bool)
    value_blank = ctx.blank(t, "值")
    return (
        _emit(t, "名称", ctx.blank(t, "名称") & t.frame["值"].notna().to_numpy(), Code.MISSING_VALUE, {
            "hint": "：请填写参数名称，如 账龄分段", "hint_en": "; give the setting's name, e.g. 账龄分段",
        })
        + _emit(t, "值", known & value_blank, Code.MISSING_VALUE, {
            "hint": "：请填写参数值，或删除此行以使用默认值",
            "hint_en": "; give a value, or delete the row to use the default",
        })
    )


def _credit_policy(t: Table, ctx: _Context) -> list[Finding]:
    """信用政策: one row per grade (the first counts), no negative months or days."""
    return (
        _duplicates(t, ["信用等级"], "信用等级", Code.DUPLICATE_ID)
        + _negative(t, "额度月数")
        + _negative(t, "账期天数")
    )


_CHECKS: dict[str, Callable[[Table, _Context], list[Finding]]] = {
    "客户档案": _customers,
    "销售": _sales,
    "收款": _receipts,
    "发货": _shipments,
    "拜访": _visits,
    "费用": _expenses,
    "目标": _targets,
    "业务员": _salespeople,
    "信用政策": _credit_policy,
    "参数": _settings,
    "合同": _contracts,
}

__all__ = ["LAT_RANGE", "LON_RANGE", "company_key", "num_text", "phone_key", "validate_book"]
