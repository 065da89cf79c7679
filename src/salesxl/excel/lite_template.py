"""salesxl for xlwings Lite: the SALESXL_* worksheet functions and two scripts, with no local Python.

xlwings Lite runs Python inside Excel (Pyodide, in the add-in's browser runtime).  Paste this
file into the add-in's ``main.py`` tab and ``requirements.txt`` into its tab; the functions
appear in Excel as ``=SALESXL_AMOUNT(A2:A100)`` and so on, and the scripts as buttons.

This file is generated (``salesxl.excel.lite.build_lite``) from salesxl's sources; do not edit
it, edit ``src/salesxl/excel/lite_template.py`` or the rules it inlines.  Lite cannot install
salesxl itself — it depends on Rust spreadsheet readers (fastexcel, python-calamine) and ISA-L
that have no WebAssembly build — so salesxl's rules are
inlined here verbatim from its core: the identifier rules (统一社会信用代码 per GB 32100-2015,
居民身份证号码 per GB 11643, phone numbers per libphonenumber's metadata for China, 省份) from
``salesxl/core/idrules.py``, the module salesxl's own vectorised checks are built from, and the
amount, date, level and aging rules from ``salesxl/core/plain_rules.py``, whose patterns and
defaults salesxl's column readers and settings use; they need only the standard library and
``phonenumbers`` (a pure-Python wheel Lite installs from PyPI).  The header spellings, receipt
types, customer natures and required customer fields are written in as literals from
``salesxl/core/schema.py``.  What remains written here is the glue of a worksheet function
(shapes, messages), reading a pasted range's header and rows, and calling those rules:
the ledger's netting (sign table, line direction, receivable and prepaid) is
``salesxl/core/plain_rules.py``'s, the one the vectorised ledger calls, and the customer-card checks
are ``salesxl/core/card_rules.py``'s, with the validator's message templates and parameters.
``tests/test_lite.py`` holds every function to salesxl's own implementation on the same inputs,
and this file to what the generator produces.

The rules (spec ``workbook-format.md``): amounts as in §1 (``1.2万``, ``¥1,234``, ``1,234.50``,
exact to the fen, half-up); identifiers as in §2; customer level as in §3 (Pareto, A < 80 %,
B < 95 % of the cumulative share before the customer); aging buckets as in §3 (inclusive upper
bounds 30, 60, 90, 180, 365); a customer's receivable and prepaid as the ledger nets them (§3).
Dates arrive in Lite as Excel serial numbers; text dates (``2026-03-05``, ``2026年3月5日``,
``20260305``) are read too.

Every function keeps the shape of its range (``ndim=2``) and never raises into a cell: a
problem reads ``#错误: …``.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import unicodedata
from datetime import date  # noqa: F401 - used by the inlined identifier rules
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

import xlwings as xw
from phonenumbers import PhoneMetadata  # noqa: F401 - used by the inlined identifier rules
from xlwings import arg, func, script

ERROR_PREFIX = "#错误: "

# ---------------------------------------------------------------------------------------------
# Shapes and cells


def _grid(value: Any) -> tuple[list[Any], int, int, int]:
    """(cells row by row, rows, cols, nesting 0/1/2) of an argument of any shape."""
    if isinstance(value, (list, tuple)):
        if value and isinstance(value[0], (list, tuple)):
            width = len(value[0])
            if any(len(r) != width for r in value):
                raise ValueError("区域的各行长度不一致")
            return [v for r in value for v in r], len(value), width, 2
        return list(value), len(value), 1, 1
    return [value], 1, 1, 0


def _shape(out: list[Any], rows: int, cols: int, nesting: int) -> Any:
    if nesting == 0:
        return out[0]
    if nesting == 1:
        return out
    return [out[i * cols:(i + 1) * cols] for i in range(rows)]


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, float) and v != v) or (isinstance(v, str) and not v.strip(TRIM_CHARS))


def _safe(f: Any) -> Any:
    """A worksheet function never raises: any problem is an ``#错误: …`` string.  (``wraps``
    keeps the signature, which Lite reads to register the function's arguments.)"""

    @functools.wraps(f)
    def wrapper(*args: Any) -> Any:
        try:
            return f(*args)
        except ValueError as exc:
            return ERROR_PREFIX + str(exc)
        except Exception as exc:  # noqa: BLE001 - a cell shows a message, never a traceback
            return f"{ERROR_PREFIX}内部错误 {type(exc).__name__}: {exc}"

    return wrapper


# ---------------------------------------------------------------------------------------------
# Identifiers: salesxl's own rules, inlined here by salesxl.excel.lite.build_lite

from salesxl.core.idrules import (  # noqa: E402 - @inline salesxl/core/idrules.py
    is_valid_phone,
    is_valid_uscc,
)

# isort: split
# ---------------------------------------------------------------------------------------------
# Amounts, dates, levels, aging buckets (spec §1, §3): salesxl's own plain rules, inlined here

from salesxl.core.plain_rules import (  # noqa: E402 - @inline salesxl/core/plain_rules.py
    DEFAULT_AGING_BUCKETS,
    DEFAULT_LEVEL_A_SHARE,
    DEFAULT_LEVEL_B_SHARE,
    NUMBER_PATTERN,
    RECEIPT_DIRECTION,
    TRIM_CHARS,
    bucket_labels,
    day,
    fen,
    levels,
    line_direction,
    line_fen,
    receivable_prepaid,
)

# isort: split
# ---------------------------------------------------------------------------------------------
# The customer-card checks (spec §2, §4): salesxl's own per-row rules, inlined here

from salesxl.core.card_rules import (  # noqa: E402 - @inline salesxl/core/card_rules.py
    DUPLICATE_ID,
    MISSING_COLUMN,
    card_keys,
    card_problems,
    cell_text,
    render,
)

_NUMBER = re.compile(NUMBER_PATTERN)


def _bounds(value: Any) -> list[int]:
    cells = [v for v in _grid(value)[0] if not _blank(v)] if value is not None else []
    if not cells:
        return list(DEFAULT_AGING_BUCKETS)
    parts = re.split(r"[,;，、\s]+", unicodedata.normalize("NFKC", cells[0]).strip()) if (
        len(cells) == 1 and isinstance(cells[0], str)) else cells
    try:
        bounds = [int(Decimal(str(p))) for p in parts if str(p)]
    except (InvalidOperation, ValueError):
        bounds = []
    if not bounds or any(b <= 0 for b in bounds) or bounds != sorted(set(bounds)):
        raise ValueError("账龄分段应为递增的正整数天数，如 30,60,90,180,365")
    return bounds


# ---------------------------------------------------------------------------------------------
# Worksheet functions


@func
@arg("values", ndim=2, doc="要检查的统一社会信用代码")
@_safe
def salesxl_uscc_valid(values: Any) -> Any:
    """统一社会信用代码是否有效：每个单元格 TRUE/FALSE，空单元格返回空。"""
    cells, r, c, n = _grid(values)
    return _shape([None if _blank(v) else is_valid_uscc(v) for v in cells], r, c, n)


@func
@arg("values", ndim=2, doc="要检查的联系电话")
@_safe
def salesxl_phone_valid(values: Any) -> Any:
    """联系电话是否有效（手机、座机、400/800）：每个单元格 TRUE/FALSE，空单元格返回空。"""
    cells, r, c, n = _grid(values)
    return _shape([None if _blank(v) else is_valid_phone(v) for v in cells], r, c, n)


@func
@arg("values", ndim=2, doc="金额，可含 1.2万、¥1,234、1,234.50")
@_safe
def salesxl_amount(values: Any) -> Any:
    """金额换算为元，精确到分；无法识别时返回 #错误。"""
    cells, r, c, n = _grid(values)
    out = []
    for v in cells:
        f = None if _blank(v) else fen(v)
        out.append(None if _blank(v) else f / 100 if f is not None else f"{ERROR_PREFIX}无法识别的金额「{v}」")
    return _shape(out, r, c, n)


@func
@arg("net_sales", ndim=2, doc="每个客户的净销售额")
@arg("ids", ndim=2, doc="可选：客户编号（净销售额相同时按编号排序）")
@_safe
def salesxl_level(net_sales: Any, ids: Any = None, a_share: Any = None, b_share: Any = None) -> Any:
    """客户等级 A/B/C（帕累托：累计占比前 80% 为 A、至 95% 为 B、其余 C）。"""
    cells, r, c, n = _grid(net_sales)
    amounts = [None if _blank(v) else fen(v) for v in cells]
    for i, (v, f) in enumerate(zip(cells, amounts, strict=True)):
        if not _blank(v) and f is None:
            raise ValueError(f"区域第 {i + 1} 个单元格的净销售额「{v}」不是金额")
    keys = [v for v in _grid(ids)[0]] if ids is not None and not all(_blank(v) for v in _grid(ids)[0]) else None
    if keys is not None and len(keys) != len(cells):
        raise ValueError(f"客户编号区域有 {len(keys)} 个单元格，净销售额区域有 {len(cells)} 个，应一样多")
    a = _share(a_share, Fraction(DEFAULT_LEVEL_A_SHARE), "A类累计占比")
    b = _share(b_share, Fraction(DEFAULT_LEVEL_B_SHARE), "B类累计占比")
    use = [i for i, f in enumerate(amounts) if f is not None]
    rank = [_id_text(keys[i]) if keys is not None else i for i in use]
    got = levels([amounts[i] or 0 for i in use], rank, a, b)
    out: list[Any] = [None] * len(cells)
    for i, g in zip(use, got, strict=True):
        out[i] = g
    return _shape(out, r, c, n)


def _share(value: Any, default: Fraction, name: str) -> Fraction:
    """``0.8`` or ``"80%"``; blank keeps the default."""
    if _blank(value):
        return default
    text = unicodedata.normalize("NFKC", str(value)).strip()
    try:
        share = Fraction(text[:-1]) / 100 if text.endswith("%") else Fraction(text)
    except (ValueError, ZeroDivisionError):
        share = Fraction(-1)
    if not 0 <= share <= 1:
        raise ValueError(f"{name}应为 0 到 1 之间的比例，如 0.8 或 80%，而不是「{value}」")
    return share


def _id_text(v: Any) -> str:
    """An id cell as text: 1001.0 → "1001" (as the workbook reader renders it)."""
    if _blank(v):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return v.strip(TRIM_CHARS) if isinstance(v, str) else str(v)


@func
@arg("dates", ndim=2, doc="单据日期")
@arg("amounts", ndim=2, doc="未清金额")
@_safe
def salesxl_aging(dates: Any, amounts: Any, as_of: Any, buckets: Any = None) -> Any:
    """账龄分段（0-30 … >365）；金额为空或不为正、日期晚于截止日的行返回空。"""
    d_cells, r, c, n = _grid(dates)
    a_cells = _grid(amounts)[0]
    if len(d_cells) != len(a_cells):
        raise ValueError(f"日期区域有 {len(d_cells)} 个单元格，金额区域有 {len(a_cells)} 个，应一样多")
    if _blank(as_of):
        raise ValueError("缺少截止日期")
    cut = day(as_of)
    if cut is None:
        raise ValueError(f"截止日期「{as_of}」不是日期")
    bounds = _bounds(buckets)
    labels = bucket_labels(bounds)
    out: list[Any] = []
    for dv, av in zip(d_cells, a_cells, strict=True):
        d = None if _blank(dv) else day(dv)
        f = None if _blank(av) else fen(av)
        if not _blank(dv) and d is None:
            out.append(f"{ERROR_PREFIX}无法识别的日期「{dv}」")
        elif not _blank(av) and f is None:
            out.append(f"{ERROR_PREFIX}无法识别的金额「{av}」")
        elif d is None or f is None or f <= 0 or d > cut:
            out.append(None)
        else:
            age = (cut - d).days
            out.append(labels[next((k for k, b in enumerate(bounds) if age <= b), len(bounds))])
    return _shape(out, r, c, n)


# -- balances --------------------------------------------------------------------------------

# @vocabulary: header spellings and options, written by salesxl.excel.lite.build_lite from
# salesxl.core.schema (the workbook contract as data); empty in the template.
_HEADERS: dict[str, tuple[str, ...]] = {}
_KINDS: dict[str, str] = {}
_CUSTOMER_HEADERS: dict[str, tuple[str, ...]] = {}
_NATURES: dict[str, str] = {}
_REQUIRED: tuple[str, ...] = ()
_NATURE_PARAMS: dict[str, str] = {}
_USCC_EXEMPT: tuple[str, ...] = ()
_USCC_HINT: dict[str, str] = {}
_MESSAGES: dict[str, str] = {}
_ENGLISH: dict[str, str] = {}
# @end vocabulary


def _label(text: Any) -> str:
    s = unicodedata.normalize("NFKC", str(text)).strip().lower()
    s = re.sub(r"\s*[(（][^()（）]*[)）]\s*$", "", s)
    return re.sub(r"\s+", " ", s)


def _columns(header: list[Any], label: str, needed: tuple[str, ...]) -> dict[str, int]:
    found = {}
    for j, h in enumerate(header):
        if _blank(h):
            continue
        for name, spellings in _HEADERS.items():
            if _label(h) in spellings and name not in found:
                found[name] = j
    for name in needed:
        if name not in found:
            raise ValueError(f"{label}的第一行没有「{name}」列")
    return found


def _amount_cell(row: list[Any], col: dict[str, int], name: str, i: int) -> int | None:
    """An amount column's cell in fen; None when blank or absent; unreadable → an error, since
    leaving the row out would silently change the balance."""
    if name not in col or _blank(row[col[name]]):
        return None
    f = fen(row[col[name]])
    if f is None:
        raise ValueError(f"销售区域第 {i} 行「{name}」的值「{row[col[name]]}」不是金额")
    return f


def _quantity(value: Any, i: int) -> float | None:
    """A 数量 cell as a number (its sign tells a sale from a return); None when blank."""
    if _blank(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = re.sub(r"[\s,]", "", unicodedata.normalize("NFKC", str(value)))
    if not _NUMBER.fullmatch(text):
        raise ValueError(f"销售区域第 {i} 行「数量」的值「{value}」不是数字")
    return float(text)


def net_by_customer(sales: Any, receipts: Any, cut: dt.date) -> dict[str, int]:
    """Σ debit items − Σ credit items in fen per customer, rows dated on or before ``cut``, by
    salesxl's own netting rules (inlined above): a sales line's fen and direction
    (:func:`line_fen`, :func:`line_direction`), a receipt's by its type (:data:`RECEIPT_DIRECTION`)."""
    net: dict[str, int] = {}
    rows = [list(r) for r in sales] if isinstance(sales, (list, tuple)) else []
    if not rows or not isinstance(sales[0], (list, tuple)):
        raise ValueError("销售区域应为带表头的区域（第一行是表头）")
    col = _columns(rows[0], "销售区域", ("日期", "客户编号"))
    for i, row in enumerate(rows[1:], start=2):
        d, cid = day(row[col["日期"]]), _id_text(row[col["客户编号"]])
        if d is None and not _blank(row[col["日期"]]):
            raise ValueError(f"销售区域第 {i} 行「日期」的值「{row[col['日期']]}」不是日期")
        if d is None or not cid or d > cut:
            continue
        qty = _quantity(row[col["数量"]], i) if "数量" in col else None
        amount = line_fen(_amount_cell(row, col, "金额", i), qty, _amount_cell(row, col, "单价", i))
        if amount is None:
            continue
        net[cid] = net.get(cid, 0) + line_direction(math.nan if qty is None else qty, amount) * abs(amount)
    if receipts is None or _blank(receipts):
        return net
    rows = [list(r) for r in receipts]
    col = _columns(rows[0], "收款区域", ("日期", "客户编号", "金额", "类型"))
    for i, row in enumerate(rows[1:], start=2):
        d, cid = day(row[col["日期"]]), _id_text(row[col["客户编号"]])
        kind_cell = row[col["类型"]]
        kind = None if _blank(kind_cell) else _KINDS.get(str(kind_cell).strip().lower())
        if not _blank(kind_cell) and kind is None:
            raise ValueError(f"收款区域第 {i} 行「类型」的值「{kind_cell}」应为 预收、回款 或 退款")
        amount = fen(row[col["金额"]])
        if d is None or not cid or d > cut or kind is None or amount is None or amount <= 0:
            continue
        net[cid] = net.get(cid, 0) + RECEIPT_DIRECTION[kind] * amount
    return net


@func
@arg("customer_id", ndim=2, doc="客户编号（单元格或一列）")
@arg("sales", ndim=2, doc="销售明细区域，第一行为表头")
@arg("receipts", ndim=2, doc="收款明细区域，第一行为表头（可留空）")
@_safe
def salesxl_balance(customer_id: Any, sales: Any, receipts: Any = None, as_of: Any = None) -> Any:
    """客户的应收余额和预收余额（两列，元），按预收冲应收规则由销售与收款区域计算。"""
    cut = dt.date.today() if _blank(as_of) else day(as_of)
    if cut is None:
        raise ValueError(f"截止日期「{as_of}」不是日期")
    net = net_by_customer(sales, receipts, cut)
    out: list[list[float | None]] = []
    for v in _grid(customer_id)[0]:
        if _blank(v):
            out.append([None, None])
            continue
        receivable, prepaid = receivable_prepaid(net.get(_id_text(v), 0))
        out.append([receivable / 100, prepaid / 100])
    return out


# ---------------------------------------------------------------------------------------------
# Scripts

_CUSTOMER_SHEETS = ("客户档案", "customers")
RESULTS_SHEET = "校验结果"


def _letter(j: int) -> str:
    s, n = "", j + 1
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def customer_findings(values: list[list[Any]], sheet: str = "客户档案") -> list[list[Any]]:
    """Check the 客户档案 rows (as the sheet's values, top-left at A1) by salesxl's own card
    rules (:func:`card_problems`, :func:`card_keys`, inlined above), with the validator's messages:
    missing values, 客户性质 options, USCC (required unless 个人), phone, repeated 客户编号 or USCC.
    Rows of 工作表 · 行 · 列 · 字段 · 值 · 级别 · 代码 · 说明."""
    header_at, cols = None, {}
    for i, row in enumerate(values[:10]):
        found = {}
        for j, h in enumerate(row):
            for name, spellings in _CUSTOMER_HEADERS.items():
                if not _blank(h) and _label(h) in spellings and name not in found:
                    found[name] = j
        if len(found) >= 2:
            header_at, cols = i, found
            break
    if header_at is None:
        return [[sheet, None, None, None, None, "错误", "missing-column", "找不到表头（前 10 行中没有客户档案的列名）"]]
    out: list[list[Any]] = []
    for name in _REQUIRED:
        if name not in cols:
            out.append([sheet, header_at + 1, None, name, None, "错误", MISSING_COLUMN,
                        render(_MESSAGES[MISSING_COLUMN], name, None, {"english": _ENGLISH[name]})])
    seen: dict[tuple[str, str], int] = {}
    for i, row in enumerate(values[header_at + 1:], start=header_at + 2):
        if all(_blank(v) for v in row):
            continue
        cells = {name: row[j] if j < len(row) else None for name, j in cols.items()}
        problems = card_problems(cells, required=_REQUIRED, natures=_NATURES, nature_params=_NATURE_PARAMS,
                                 exempt=_USCC_EXEMPT, uscc_hint=_USCC_HINT)
        for name, key in card_keys(cells, natures=_NATURES, exempt=_USCC_EXEMPT).items():
            if (name, key) in seen:
                problems.append((name, DUPLICATE_ID, {"first_row": seen[name, key]}))
            else:
                seen[name, key] = i
        for name, code, params in problems:
            value = cell_text(cells[name]) or None
            out.append([sheet, i, _letter(cols[name]), name, value, "错误", code,
                        render(_MESSAGES[code], name, value, params)])
    return out


def _sheet(book: xw.Book, names: tuple[str, ...]) -> Any:
    for s in book.sheets:
        if unicodedata.normalize("NFKC", s.name).strip().lower() in names:
            return s
    return None


def _replace_sheet(book: xw.Book, name: str) -> Any:
    for s in book.sheets:
        if s.name == name:
            s.delete()
            break
    return book.sheets.add(name, after=book.sheets[len(book.sheets) - 1])


def _text(v: Any) -> Any:
    """A user's text written back as text (a leading apostrophe: never a formula)."""
    return "'" + v if isinstance(v, str) and v else v


@script
def validate_customers(book: xw.Book) -> None:
    """校验客户档案：必填项、客户性质、统一社会信用代码、联系电话、重复编号，结果写入「校验结果」。"""
    sheet = _sheet(book, _CUSTOMER_SHEETS)
    results = _replace_sheet(book, RESULTS_SHEET)
    header = ["工作表", "行", "列", "字段", "值", "级别", "代码", "说明"]
    if sheet is None:
        results["A1"].value = [header, ["客户档案", None, None, None, None, "错误", "missing-sheet", "缺少工作表「客户档案」"]]
        return
    values = sheet.used_range.options(ndim=2).value
    top, left = sheet.used_range.row, sheet.used_range.column
    grid = [[None] * (left - 1) + list(r) for r in ([[None]] * (top - 1) + values)]
    rows = customer_findings(grid, sheet.name)
    results["A1"].value = [header] + [[_text(v) for v in r] for r in rows] if rows else [
        header, [None, None, None, None, None, None, None, "没有发现问题"]]


@script
def customer_balances(book: xw.Book) -> None:
    """按预收冲应收计算每个客户截至今天的应收、预收余额，写入「余额速览」。"""
    sales = _sheet(book, ("销售", "sales", "销售明细", "销售台账"))
    receipts = _sheet(book, ("收款", "receipts", "收款明细"))
    if sales is None:
        raise ValueError("缺少工作表「销售」")

    def table(sheet: Any) -> list[list[Any]]:
        values = sheet.used_range.options(ndim=2).value
        for i, row in enumerate(values[:10]):
            if sum(1 for h in row if not _blank(h) and any(_label(h) in s for s in _HEADERS.values())) >= 2:
                return values[i:]
        return values

    net = net_by_customer(table(sales), table(receipts) if receipts is not None else None, dt.date.today())
    rows = [[_text(cid), *(x / 100 for x in receivable_prepaid(v))] for cid, v in sorted(net.items())]
    out = _replace_sheet(book, "余额速览")
    out["A1"].value = [["客户编号", "应收余额", "预收余额"], *rows]
    if rows:
        out.range((2, 2), (len(rows) + 1, 3)).number_format = "#,##0.00"
