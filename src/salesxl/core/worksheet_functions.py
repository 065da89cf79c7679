"""The logic behind the ``SALESXL_*`` worksheet functions: pure, vectorised, no xlwings.

A worksheet function is called by Excel with whatever the cells hold, and its answer lands in
cells.  So everything here starts from *cell values as Excel hands them over* — a scalar for
one cell, a list (Lite: a row or a column) or a list of lists (xlwings with ``ndim=2``), floats
for whole numbers (``1001.0``), ``datetime`` for a date cell on Windows or an Excel serial
number (``46086.0``) in Lite and in an unformatted cell, ``None`` (or ``""``) for an empty cell —
and ends with values a cell can show: ``bool``, ``float``, ``str`` or ``None``, in the shape of
the input, never NumPy scalars and never an exception.  What cannot be answered is a readable
Chinese string beginning with :data:`ERROR_PREFIX` (``#错误: …``) in the cell, because a Python
traceback in a cell tells a sales administrator nothing.

The functions read a cell exactly as the workbook reader does.  :func:`cell_texts` renders
each value as the text the file reader sees for the same cell (whole floats without ``.0``,
dates as ``2026-03-05 00:00:00``), and the rules of :mod:`salesxl.core.cells`,
:mod:`salesxl.core.identifiers`, :mod:`salesxl.core.classification` and
:mod:`salesxl.core.ledger` do the rest, so ``=SALESXL_AMOUNT(A2)`` and ``salesxl validate``
never disagree about what ``1.2万`` means.  The same renderer feeds the live-Excel gateway
(:func:`salesxl.excel.gateway.grid_from_values`).

Each function works on whole ranges at once (Arrow and NumPy over the column, no Python loop
per cell except the one that looks at each value's type): a 100,000-row range is one call of
a few tens of milliseconds, which is what makes dynamic-array formulas over a whole ledger
practical.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import ValidationError

from salesxl.core import cells
from salesxl.core import ledger as ledger_rules
from salesxl.core.classification import levels as level_rules
from salesxl.core.collector import collector_paused
from salesxl.core.findings import Code
from salesxl.core.grid import RawGrid, tabulate
from salesxl.core.identifiers import valid_phone_mask, valid_uscc_mask
from salesxl.core.plain_rules import RECEIPT_DIRECTION, receivable_prepaid
from salesxl.core.schema import SHEETS, TYPE_LABEL, Field, FieldType
from salesxl.core.settings import Settings
from salesxl.core.tables import Book, Table
from salesxl.errors import SalesxlError

__all__ = [
    "stock_balance",
    "ERROR_PREFIX",
    "Cells",
    "UdfError",
    "aging",
    "amount",
    "balance",
    "cell_texts",
    "level",
    "phone_valid",
    "price",
    "uscc_valid",
]

#: Every error a worksheet function shows starts with this, so a user can filter for it.
ERROR_PREFIX = "#错误: "

_EPOCH = np.datetime64("1970-01-01", "D")
_INT_LIMIT = 2.0**63
_DAY = Field("日期", "Date", FieldType.DATE)
_AMOUNT = Field("金额", "Amount", FieldType.AMOUNT)

F = TypeVar("F", bound=Callable[..., Any])


class UdfError(Exception):
    """A problem with a worksheet function's arguments; its text (Chinese) goes into the cell."""


def excel_safe(func: F) -> F:
    """Turn any exception into an ``#错误: …`` string: a worksheet function never raises.

    Our own :class:`UdfError` and :class:`~salesxl.errors.SalesxlError` carry a message written
    for the user; anything else is a bug, shown by its type and text rather than a traceback.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except UdfError as exc:
            return ERROR_PREFIX + str(exc)
        except SalesxlError as exc:
            return ERROR_PREFIX + exc.message("zh")
        except Exception as exc:  # noqa: BLE001 - a cell shows a message, never a traceback
            return f"{ERROR_PREFIX}内部错误 {type(exc).__name__}: {exc}"

    return wrapper  # type: ignore[return-value]


# ---------------------------------------------------------------------------------------------
# Shapes: what Excel passes in, and the same shape back out


@dataclass
class Cells:
    """The cells of one argument, flattened row by row, and how to give an answer its shape.

    ``nesting`` is 0 for a single value, 1 for a flat list (Lite passes a row or a column that
    way), 2 for a list of lists (xlwings with ``ndim=2``, or any 2-D range).
    """

    flat: list[Any]
    rows: int
    cols: int
    nesting: int

    @classmethod
    def of(cls, value: Any) -> Cells:
        """Read an argument of any shape Excel (or a caller in Python) may pass."""
        if isinstance(value, np.ndarray):
            value = value.tolist()
        if isinstance(value, (list, tuple)):
            if value and isinstance(value[0], (list, tuple)):
                try:
                    widths = set(map(len, value))
                except TypeError:
                    raise UdfError("区域的各行长度不一致") from None
                if len(widths) != 1:
                    raise UdfError("区域的各行长度不一致")
                return cls(list(itertools.chain.from_iterable(value)), len(value), widths.pop(), 2)
            return cls(list(value), len(value), 1, 1)
        return cls([value], 1, 1, 0)

    def __len__(self) -> int:
        return len(self.flat)

    def shaped(self, out: Sequence[Any]) -> Any:
        """``out`` (one value per cell, row by row) in this argument's shape."""
        if self.nesting == 0:
            return out[0] if len(out) else None
        if self.nesting == 1:
            return list(out)
        w = self.cols
        with collector_paused():  # 100,000 small lists: no collections meanwhile
            if w == 1:
                return [[v] for v in out]
            return [list(out[i * w:(i + 1) * w]) for i in range(self.rows)]

    def where(self, i: int) -> str:
        """Position of flat cell ``i`` as the user sees it in the range (1-based)."""
        if self.nesting == 0:
            return "该单元格"
        r, c = divmod(i, self.cols)
        return f"区域第 {r + 1} 行第 {c + 1} 列" if self.cols > 1 else f"区域第 {r + 1} 行"


# ---------------------------------------------------------------------------------------------
# Cell values → the reader's text


def _kind(v: Any) -> int:
    """0 blank, 1 text, 2 number, 3 date/datetime, 4 bool, 5 anything else."""
    if v is None:
        return 0
    t = type(v)
    if t is str:
        return 1
    if t is float:
        return 0 if v != v else 2  # NaN is an empty cell (Lite, pandas)
    if t is bool or isinstance(v, (bool, np.bool_)):
        return 4
    if isinstance(v, (int, float, np.integer, np.floating)):
        return 0 if isinstance(v, (float, np.floating)) and np.isnan(v) else 2
    if isinstance(v, (date, np.datetime64)):
        return 3
    if isinstance(v, str):
        return 1
    return 5


class _TypeKinds(dict[type, int]):
    """type → kind for the common cell types; anything else is looked at by :func:`_kind`."""

    def __missing__(self, key: type) -> int:
        return -1


_TYPE_KIND = _TypeKinds({type(None): 0, str: 1, float: 2, int: 2, datetime: 3, date: 3, pd.Timestamp: 3, bool: 4})


def _kinds(values: list[Any]) -> np.ndarray:
    """:func:`_kind` of every value, the common types by one dict lookup each (C-level map)."""
    kinds = np.fromiter(map(_TYPE_KIND.__getitem__, map(type, values)), dtype=np.int8, count=len(values))
    for i in np.flatnonzero(kinds == -1):
        kinds[i] = _kind(values[i])
    return kinds


def _numbers_text(values: list[Any]) -> list[str]:
    """Numbers as the reader's text: whole numbers without ``.0`` or exponent
    (``13812345678.0`` → ``13812345678``, so a phone or an id typed as a number reads as its
    digits), anything else in the shortest form that gives back the same double."""
    x = np.asarray(values, dtype=np.float64)
    out = np.empty(len(x), dtype=object)
    whole = np.isfinite(x) & (np.floor(x) == x) & (np.abs(x) < _INT_LIMIT)
    if whole.any():
        out[whole] = pa.array(x[whole].astype(np.int64)).cast(pa.string()).to_pylist()
    rest = np.flatnonzero(~whole)
    if len(rest):
        # Arrow writes the shortest text that gives back the same double; only an exponent
        # (1e-07, 1.5e+20) is spelled out positionally, as a cell would show it.
        arr = pa.array(x[rest]).cast(pa.string())
        exp = np.flatnonzero(pc.match_substring(arr, "e").to_numpy(zero_copy_only=False))
        text = arr.to_numpy(zero_copy_only=False)
        for k in exp:
            v = x[rest[k]]
            text[k] = np.format_float_positional(v, trim="-") if np.isfinite(v) else repr(float(v))
        out[rest] = text
    return out.tolist()


def _dates_text(values: list[Any]) -> list[str]:
    """Date cells as ``YYYY-MM-DD HH:MM:SS`` (what the file reader renders; the time is
    dropped when parsed)."""
    try:
        stamps = pa.array(values, type=pa.timestamp("us"))
        return pc.strftime(stamps, "%Y-%m-%d %H:%M:%S").to_pylist()
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
        pass
    out = []
    for v in values:
        if isinstance(v, np.datetime64):
            v = pd.Timestamp(v).to_pydatetime()
        if isinstance(v, datetime):
            out.append(v.strftime("%Y-%m-%d %H:%M:%S"))
        else:
            out.append(v.strftime("%Y-%m-%d 00:00:00"))
    return out


def cell_texts(values: Sequence[Any]) -> pa.Array:
    """Render cell values (as xlwings or Lite deliver them) as the file reader's text.

    One Arrow string array, null for an empty cell.  A column of one type — all text, all
    numbers — converts in one Arrow/NumPy call; a mixed column is grouped by type first.
    """
    values = list(values)
    try:
        arr = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
        arr = None
    if arr is not None:
        t = arr.type
        if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_null(t):
            return arr.cast(pa.string())
        if pa.types.is_boolean(t):
            return arr.cast(pa.string())
        if pa.types.is_integer(t) or pa.types.is_floating(t):
            x = arr.cast(pa.float64()).to_numpy(zero_copy_only=False)
            blank = np.isnan(x)
            text = np.empty(len(x), dtype=object)
            if (~blank).any():
                text[~blank] = _numbers_text(x[~blank].tolist())
            return pa.array(text, pa.string())
    kinds = _kinds(values)
    text = np.empty(len(values), dtype=object)
    obj = np.empty(len(values), dtype=object)
    obj[:] = values
    for kind, render in ((1, None), (2, _numbers_text), (3, _dates_text)):
        idx = np.flatnonzero(kinds == kind)
        if len(idx):
            part = obj[idx].tolist()
            text[idx] = part if render is None else render(part)
    nan = np.flatnonzero(kinds == 2)
    if len(nan):  # NaN is an empty cell
        x = np.asarray(obj[nan].tolist(), dtype=np.float64)
        text[nan[np.isnan(x)]] = None
    for i in np.flatnonzero(kinds == 4):
        text[i] = "true" if values[i] else "false"
    for i in np.flatnonzero(kinds == 5):
        text[i] = str(values[i])
    return pa.array(text, pa.string())


def _trimmed(c: Cells) -> pa.Array:
    """The argument's cells as trimmed text, null where blank (spec §1 text rules)."""
    return cells.trim(cells.as_array(cell_texts(c.flat)))


def _blank_arg(value: Any) -> bool:
    """An optional argument left out, or given as one empty cell."""
    if value is None:
        return True
    c = Cells.of(value)
    return len(c) == 0 or (len(c) == 1 and _blank_cell(c.flat[0]))


def _blank_cell(v: Any) -> bool:
    """None, NaN, or text of nothing but spaces (half- or full-width)."""
    return _kind(v) == 0 or (isinstance(v, str) and not v.strip(cells.TRIM_CHARS))


def _as_date(days: int) -> date:
    return date.fromordinal(date(1970, 1, 1).toordinal() + days)


def _out(n: int) -> np.ndarray:
    return np.full(n, None, dtype=object)


def _flat_list(out: np.ndarray) -> list[Any]:
    return out.tolist()


def _quote(text: Any) -> str:
    s = str(text)
    return s if len(s) <= 40 else s[:37] + "…"


# ---------------------------------------------------------------------------------------------
# Identifiers


@excel_safe
def uscc_valid(values: Any) -> Any:
    """Per cell: is it a valid 统一社会信用代码 (GB 32100-2015 check character)?

    TRUE/FALSE; an empty cell stays empty.  A code stored as a number is FALSE: Excel keeps 15
    significant digits, so an 18-character code typed as a number has already lost digits.
    """
    c = Cells.of(values)
    series = pd.Series(c.flat, dtype=object)
    ok = valid_uscc_mask(series).to_numpy()
    return c.shaped(_with_blanks(c, ok))


@excel_safe
def phone_valid(values: Any) -> Any:
    """Per cell: is it a mainland phone number in a form spec §2 allows (mobile, landline with
    area code and optional extension, 400/800)?  TRUE/FALSE; an empty cell stays empty.

    A mobile number typed without an apostrophe arrives as a float (``13812345678.0``) and is
    still read as its digits.
    """
    c = Cells.of(values)
    ok = valid_phone_mask(pd.Series(c.flat, dtype=object)).to_numpy()
    return c.shaped(_with_blanks(c, ok))


def _with_blanks(c: Cells, ok: np.ndarray) -> list[Any]:
    kinds = _kinds(c.flat)
    blank = kinds == 0
    for i in np.flatnonzero(kinds == 1):
        if not c.flat[i].strip(cells.TRIM_CHARS):
            blank[i] = True
    out = np.asarray(ok, dtype=bool).astype(object)
    out[blank] = None
    return _flat_list(out)


# ---------------------------------------------------------------------------------------------
# Amounts


def _fen(c: Cells) -> tuple[np.ndarray, np.ndarray, np.ndarray, pa.Array]:
    """(fen int64, readable, blank, trimmed text) of every cell read as an amount."""
    text = _trimmed(c)
    col = cells.parse_amount(text)
    blank = ~np.asarray(pc.is_valid(text).to_numpy(zero_copy_only=False), dtype=bool)
    fen = col.values.to_numpy(dtype=np.int64, na_value=0)
    return fen, ~col.bad & ~blank, blank, text


@excel_safe
def amount(values: Any) -> Any:
    """Per cell: the amount in 元 as a number, exact to the fen (spec §1 amounts).

    Accepts numbers and text such as ``1,234.50``, ``¥1,234``, ``￥1234``, ``1234元``,
    ``RMB 1234``, ``1.2万`` (12000), full-width digits.  A number is rounded half-up to the fen
    (``1234.5600000000002`` → 1234.56).  An empty cell stays empty; an unreadable one shows
    ``#错误: 无法识别的金额「…」``.
    """
    c = Cells.of(values)
    fen, ok, blank, text = _fen(c)
    out = _out(len(c))
    if ok.any():
        out[ok] = (fen[ok] / 100.0).tolist()
    bad = np.flatnonzero(~ok & ~blank)
    if len(bad):
        raw = text.take(pa.array(bad)).to_pylist()
        for i, r in zip(bad, raw, strict=True):
            out[i] = f"{ERROR_PREFIX}无法识别的金额「{_quote(r)}」"
    return c.shaped(_flat_list(out))


# ---------------------------------------------------------------------------------------------
# Levels


def _share(value: Any, default: Decimal, name: str) -> Decimal:
    """A share argument (``0.8``, ``"80%"``); blank keeps the spec's default."""
    c = Cells.of(value)
    if len(c) != 1:
        raise UdfError(f"{name}应为单个数值，如 0.8 或 80%")
    v = c.flat[0]
    if _blank_cell(v):
        return default
    field = {"A类累计占比": "level_a_share", "B类累计占比": "level_b_share"}[name]
    try:
        return Decimal(getattr(Settings(**{field: v}), field))
    except ValidationError as exc:
        raise UdfError(f"{name}应为 0 到 1 之间的比例，如 0.8 或 80%，而不是「{_quote(v)}」") from exc


@excel_safe
def level(net_sales: Any, ids: Any = None, a_share: Any = None, b_share: Any = None) -> Any:
    """Per customer: level ``A``/``B``/``C`` from its net sales (spec §3 Level).

    One row per customer.  Customers are ranked by net sales descending, ties by 客户编号
    ascending when ``ids`` is given (same number of cells), else by their order in the range;
    ``share_before`` = Σ net sales of the customers before it / Σ of all: A below ``a_share``
    (default 0.80), B below ``b_share`` (default 0.95), else C; net sales ≤ 0 is C, and with no
    positive total all are C — exactly :func:`salesxl.core.classification.levels`.  Empty cells
    stay empty and take no part; one unreadable amount makes the whole answer an error, since
    every level depends on the total.
    """
    c = Cells.of(net_sales)
    fen, ok, blank, text = _fen(c)
    bad = np.flatnonzero(~ok & ~blank)
    if len(bad):
        i = int(bad[0])
        raise UdfError(f"{c.where(i)}的净销售额「{_quote(text[i].as_py())}」不是金额")
    settings = Settings()
    a = _share(a_share, settings.level_a_share, "A类累计占比")
    b = _share(b_share, settings.level_b_share, "B类累计占比")
    use = np.flatnonzero(ok)
    if _blank_arg(ids):
        rank = np.arange(len(use))
    else:
        k = Cells.of(ids)
        if len(k) != len(c):
            raise UdfError(f"客户编号区域有 {len(k)} 个单元格，净销售额区域有 {len(c)} 个，应一样多")
        id_text = pc.fill_null(_trimmed(k), "").to_numpy(zero_copy_only=False)[use]
        rank = np.unique(id_text.astype(object), return_inverse=True)[1]
    out = _out(len(c))
    if len(use):
        out[use] = level_rules(fen[use], rank, a, b)
    return c.shaped(_flat_list(out))


# ---------------------------------------------------------------------------------------------
# Dates and aging


def _days(c: Cells) -> tuple[np.ndarray, np.ndarray, np.ndarray, pa.Array]:
    """(days since 1970-01-01, readable, blank, trimmed text) of every cell read as a date:
    date cells, Excel serial numbers and the text forms of spec §1, as the reader does."""
    text = _trimmed(c)
    col = cells.parse_date(text)
    blank = ~np.asarray(pc.is_valid(text).to_numpy(zero_copy_only=False), dtype=bool)
    values = col.values.to_numpy(dtype="datetime64[s]")
    ok = ~np.isnat(values)
    days = np.where(ok, values.astype("datetime64[D]").astype(np.int64), 0)
    return days, ok, blank, text


def _one_date(value: Any, name: str) -> int:
    """A single date argument (as-of) → days since 1970-01-01."""
    c = Cells.of(value)
    if len(c) != 1:
        raise UdfError(f"{name}应为单个日期")
    days, ok, blank, text = _days(c)
    if blank[0]:
        raise UdfError(f"缺少{name}")
    if not ok[0]:
        raise UdfError(f"{name}「{_quote(text[0].as_py())}」不是日期")
    return int(days[0])


def _buckets(value: Any) -> Settings:
    """Aging bounds: blank → ``30,60,90,180,365``; text ``"30,60,90"`` or a range of numbers."""
    if value is None:
        return Settings()
    c = Cells.of(value)
    given = [v for v in c.flat if not _blank_cell(v)]
    if not given:
        return Settings()
    spec: Any = given[0] if len(given) == 1 and isinstance(given[0], str) else given
    try:
        return Settings(aging_buckets=spec)
    except ValidationError as exc:
        raise UdfError("账龄分段应为递增的正整数天数，如 30,60,90,180,365") from exc


@excel_safe
def aging(dates: Any, amounts: Any, as_of: Any, buckets: Any = None) -> Any:
    """Per row: the aging bucket label (``0-30`` … ``>365``) of an item, as the ledger ages its
    open items (spec §3): age = as-of − date in days; bucket bounds are inclusive upper limits
    (default ``30,60,90,180,365``, or ``buckets`` as text or a range of numbers).

    A row gets no label (empty) when its date or amount is empty, its amount is not positive
    (nothing is owed), or it is dated after the as-of date (it does not count yet).  An
    unreadable date or amount shows an error in its row.  ``dates`` and ``amounts`` must have
    the same number of cells; the answer has the shape of ``dates``.
    """
    d = Cells.of(dates)
    a = Cells.of(amounts)
    if len(d) != len(a):
        raise UdfError(f"日期区域有 {len(d)} 个单元格，金额区域有 {len(a)} 个，应一样多")
    cut = _one_date(as_of, "截止日期")
    settings = _buckets(buckets)
    labels = np.array(settings.bucket_labels(), dtype=object)
    days, d_ok, d_blank, d_text = _days(d)
    fen, a_ok, a_blank, a_text = _fen(a)
    age = cut - days
    counted = d_ok & a_ok & (fen > 0) & (age >= 0)
    out = _out(len(d))
    if counted.any():
        idx = np.searchsorted(np.asarray(settings.aging_buckets), age[counted], side="left")
        out[counted] = labels[idx]
    for i in np.flatnonzero(~d_ok & ~d_blank):
        out[i] = f"{ERROR_PREFIX}无法识别的日期「{_quote(d_text[int(i)].as_py())}」"
    for i in np.flatnonzero(~a_ok & ~a_blank & (d_ok | d_blank)):
        out[i] = f"{ERROR_PREFIX}无法识别的金额「{_quote(a_text[int(i)].as_py())}」"
    return d.shaped(_flat_list(out))


# ---------------------------------------------------------------------------------------------
# Balances from the book's own ranges


def table_from_range(values: Any, sheet: str, label: str) -> Table:
    """A range whose first row holds headers, read as the contract sheet ``sheet`` — by the
    same :func:`~salesxl.core.grid.tabulate` as a file, so headers match the same way (Chinese
    or English, units in brackets ignored) and rows are numbered as in the range (header = 1).
    """
    c = Cells.of(values)
    if c.nesting != 2 or c.rows < 1:
        raise UdfError(f"{label}应为带表头的区域（第一行是表头）")
    headers = [None if _kind(v) == 0 else str(v) for v in c.flat[:c.cols]]
    body = np.empty((c.rows - 1, c.cols), dtype=object)
    if c.rows > 1:
        body[:] = np.asarray(c.flat[c.cols:], dtype=object).reshape(c.rows - 1, c.cols)
    columns = [cell_texts(body[:, j].tolist()) for j in range(c.cols)]
    grid = RawGrid(columns, list(range(c.cols)), first_row=2, headers=headers)
    table, findings = tabulate(SHEETS[sheet], label, grid)
    return _check_columns(table, findings, label)


#: The columns the balance needs from each range (the ledger ignores the others).
_NEEDS = {"销售": ("日期", "客户编号"), "收款": ("日期", "客户编号", "金额", "类型"),
          "库存": ("日期", "仓库", "产品", "批号", "类型", "数量"), "价目表": ("产品", "标准价")}
_USES = {"销售": ("日期", "数量", "单价", "金额"), "收款": ("日期", "金额", "类型"),
         "库存": ("日期", "数量"), "价目表": ("开始日期", "结束日期", "标准价", "最低价")}


def _check_columns(table: Table, findings: list[Any], label: str) -> Table:
    """Refuse a range the ledger would silently misread: a missing column, an unreadable
    cell in a column it uses, an unknown receipt type."""
    sheet = table.schema.name
    for name in _NEEDS[sheet]:
        if not table.has(name):
            raise UdfError(f"{label}的第一行没有「{name}」列")
    if sheet == "销售" and not table.has("金额") and not (table.has("数量") and table.has("单价")):
        raise UdfError(f"{label}的第一行没有「金额」列（也没有「数量」和「单价」列）")
    for f in findings:
        if f.code == Code.BAD_TYPE and f.field in _USES[sheet]:
            zh = TYPE_LABEL[table.schema.field(f.field).type][0]
            raise UdfError(f"{label}第 {f.row} 行「{f.field}」的值「{_quote(f.value)}」不是{zh}")
    if sheet == "收款":
        kinds = table.frame["类型"]
        unknown = kinds.notna() & ~kinds.isin(list(RECEIPT_DIRECTION))
        if unknown.any():
            i = int(np.flatnonzero(unknown.to_numpy(dtype=bool))[0])
            row = int(table.frame["_row"].iloc[i])
            raise UdfError(f"{label}第 {row} 行「类型」的值「{_quote(kinds.iloc[i])}」应为 预收、回款 或 退款")
    return table


@excel_safe
def balance(customer_id: Any, sales: Any, receipts: Any, as_of: Any = None) -> Any:
    """Per customer id: ``[应收余额, 预收余额]`` in 元 from the book's own 销售 and 收款 ranges
    (each with its headers in the first row), as the ledger computes them (spec §3):
    net = Σ debit items (sales lines, refunds) − Σ credit items (prepayments, payments,
    returns), counting only rows dated on or before ``as_of`` (default today); receivable =
    max(net, 0), prepaid = max(−net, 0).

    One row of two numbers per id (a column of ids gives one row each); an id without any row
    has ``0, 0``; an empty id cell gives an empty row.  ``receipts`` may be left empty.
    """
    ids = Cells.of(customer_id)
    cut = date.today() if _blank_arg(as_of) else _as_date(_one_date(as_of, "截止日期"))
    tables = {"销售": table_from_range(sales, "销售", "销售区域")}
    if not _blank_arg(receipts):
        tables["收款"] = table_from_range(receipts, "收款", "收款区域")
    book = Book(None, tables)
    inp = ledger_rules.prepare(book, cut)
    n = inp.n_customers
    net = (ledger_rules.group_sums(inp.debits.cust, inp.debits.amount, n)
           - ledger_rules.group_sums(inp.credits.cust, inp.credits.amount, n))
    code = {cid: i for i, cid in enumerate(inp.ids.to_pylist())}
    wanted = _trimmed(ids).to_pylist()
    rows: list[list[Any]] = []
    for cid in wanted:
        if cid is None:
            rows.append([None, None])
            continue
        k = code.get(cid)
        receivable, prepaid = receivable_prepaid(int(net[k]) if k is not None else 0)
        rows.append([receivable / 100.0, prepaid / 100.0])
    return rows


# ---------------------------------------------------------------------------------------------
# Stock (issue 17)


@excel_safe
def stock_balance(warehouse: Any, product: Any, spec: Any, batch: Any, day: Any, cards: Any) -> Any:
    """The book balance of a card (仓库, 产品, 规格, 批号) at the end of ``day`` from the 库存
    range ``cards`` (headers in its first row), as ``salesxl stock`` computes it (spec §3
    "Stock"): 期初/入库 add, 出库 subtracts, 调整 adds its signed quantity.

    The first four arguments may be single cells or columns of one length (a single cell
    applies to every row); ``day`` a date, blank for today.  A card without movements is 0;
    a row with a blank 仓库, 产品 or 批号 gives an empty cell.
    """
    from salesxl.core.stock import QTY_SCALE, StockModel

    table = table_from_range(cards, "库存", "库存区域")
    args = [Cells.of(a) for a in (warehouse, product, spec if spec is not None else "", batch)]
    n = max(len(a) for a in args)
    if any(len(a) not in (1, n) for a in args):
        raise UdfError("仓库、产品、规格、批号的区域大小不一致")
    shape = next((a for a in args if len(a) == n), args[0])
    texts = [[None if v is None else str(v) for v in _trimmed(a).to_pylist()] for a in args]
    probe = pd.DataFrame({k: (t * n if len(t) == 1 else t) for k, t in zip(("仓库", "产品", "规格", "批号"), texts,
                                                                                strict=True)})
    cut = (date.today() - date(1970, 1, 1)).days if _blank_arg(day) else _one_date(day, "日期")
    model = StockModel(table.frame, None, probe)
    code = model.count_card
    qty = model.cards.balance_at(code, np.full(n, cut, dtype=np.int64))
    blank = probe[["仓库", "产品", "批号"]].isna().any(axis=1).to_numpy()
    out = [None if b else (int(q) // QTY_SCALE if q % QTY_SCALE == 0 else float(q) / QTY_SCALE)
           for b, q in zip(blank.tolist(), qty.tolist(), strict=True)]
    return shape.shaped(out)
# Quoting from the price list (v1.1, spec §3 "Prices")

_LEVEL_NAMES = {"主要客户": "A", "一般客户": "B", "零散客户": "C", "A": "A", "B": "B", "C": "C"}


def _spread(value: Any, n: int, name: str) -> list[Any]:
    """An argument with one cell per row, or one cell for every row; blank → all blank."""
    if _blank_arg(value):
        return [None] * n
    c = Cells.of(value)
    if len(c) == 1:
        return c.flat * n
    if len(c) != n:
        raise UdfError(f"{name}区域有 {len(c)} 个单元格，产品有 {n} 个，应一样多")
    return c.flat


@excel_safe
def price(product: Any, spec: Any, level: Any, day: Any, price_list: Any) -> Any:
    """Per product: ``[标准价, 最低价]`` in 元 from the 价目表 range (headers in its first row),
    by the same "most specific wins" selection as ``salesxl validate`` (spec §3 Prices): the row
    of the product whose 规格 is the given one or blank, whose 客户等级 is ``level`` (A/B/C or
    主要客户/一般客户/零散客户) or blank, and whose period holds ``day``.  ``spec``, ``level``
    and ``day`` are one cell for every product or one per product.  No applicable row: an error
    text in the first cell; no 最低价: the second cell empty; an empty product: an empty row.
    """
    from salesxl.core.prices import PriceList, select_rows  # the price rules only when quoting

    table = table_from_range(price_list, "价目表", "价目表区域")
    prods = Cells.of(product)
    n = len(prods)
    names = _trimmed(prods).to_pylist()
    specs = _trimmed(Cells.of(_spread(spec, n, "规格"))).to_pylist()
    levels = []
    for i, v in enumerate(_trimmed(Cells.of(_spread(level, n, "客户等级"))).to_pylist()):
        code = None if v is None else _LEVEL_NAMES.get(v.upper() if v.isascii() else v)
        if v is not None and code is None:
            raise UdfError(f"客户等级「{_quote(v)}」应为 A、B、C（或 主要客户、一般客户、零散客户）（{prods.where(i)}）")
        levels.append(code)
    days, ok, blank, text = _days(Cells.of(_spread(day, n, "日期")))
    for j in np.flatnonzero(~ok).tolist():
        if names[j] is not None:
            raise UdfError(f"缺少日期（{prods.where(j)}）" if blank[j] else f"日期「{_quote(text[j].as_py())}」无法识别")
    pl = PriceList.of(table)
    pos = select_rows(pd.Series(names, dtype=object), pd.Series(specs, dtype=object),
                      pd.Series(levels, dtype=object), days, np.zeros(n, dtype=np.int64), pl)
    listed, _ = pl.column("标准价")
    floor, has_floor = pl.column("最低价")
    rows: list[list[Any]] = []
    for i in range(n):
        p = int(pos[i])
        if names[i] is None:
            rows.append([None, None])
        elif p < 0:
            rows.append([f"{ERROR_PREFIX}价目表中没有「{_quote(names[i])}」适用的价格", None])
        else:
            rows.append([int(listed[p]) / 100.0, int(floor[p]) / 100.0 if has_floor[p] else None])
    return rows
