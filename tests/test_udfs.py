"""The SALESXL_* worksheet functions: Excel's argument shapes, errors, agreement with the core
rules, xlwings' own conversion code, and 100,000 rows in one call.

Two layers are tested:

* the pure logic (:mod:`salesxl.core.worksheet_functions`) with every shape Excel passes —
  a scalar, a flat list (xlwings Lite's row or column), a list of lists, ``None`` for empty
  cells, floats for whole numbers, ``datetime`` or serial numbers for dates — and held to the
  core rules it reuses on the demo workbook;
* the desktop UDF module (:mod:`salesxl.excel.udfs`) decorated by xlwings' *real* Windows
  decorators (``xlwings.udfs.xlfunc``/``xlarg``/``xlret``, importable on Linux once the
  pywin32 modules it names are stubbed) and called the way xlwings' COM server calls a UDF:
  each argument through ``xlwings.conversion.read`` with the decorator's options, the answer
  through ``xlwings.conversion.write``.  Only the engine's per-cell cleaning (pywin32's part:
  empty → None, COM dates → datetime) is a stand-in, written after ``xlwings._xlwindows``.
  What stays unverified on Linux: the COM server, the generated VBA wrappers and how Excel
  displays a spilled array.
"""

from __future__ import annotations

import datetime as dt
import importlib
import math
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest

from salesxl.core import cells, ledger
from salesxl.core import worksheet_functions as wf
from salesxl.core.classification import levels
from salesxl.core.identifiers import is_valid_phone, is_valid_uscc
from salesxl.demo import DEMO_END
from salesxl.io.reading import read_book

VALID_USCC = "91350100M000100Y43"
ERR = wf.ERROR_PREFIX


def excel_values(value: Any) -> None:
    """Every answer must be something a cell can show: bool, float, str or None (no NumPy
    scalars, no ints that are really NumPy ints), in lists of lists at most."""
    if isinstance(value, list):
        for v in value:
            excel_values(v)
        return
    assert type(value) in (bool, float, str, type(None)), (value, type(value))


# ---------------------------------------------------------------------------------------------
# Shapes


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("1.2万", 12000.0),
        (None, None),
        (5, 5.0),
        ([["¥1,234"], ["1,234.50"], [1234.5600000000002], [None], [""]],
         [[1234.0], [1234.5], [1234.56], [None], [None]]),
        (["１２３４", "RMB 99", "3元"], [1234.0, 99.0, 3.0]),
        ([["1.2万", 1.0], [None, "￥0.5"]], [[12000.0, 1.0], [None, 0.5]]),
        (((7.0,), (8.0,)), [[7.0], [8.0]]),
        (np.array([[1.0], [2.5]]), [[1.0], [2.5]]),
    ],
)
def test_amount_keeps_the_shape_it_was_given(given: Any, expected: Any) -> None:
    got = wf.amount(given)
    assert got == expected
    excel_values(got)


def test_amount_is_exact_to_the_fen_and_reports_bad_cells() -> None:
    got = wf.amount([[1.005], [1234.565], [0.1 + 0.2], ["abc"], ["12.3.4"], [True], [float("nan")]])
    assert got[:3] == [[1.01], [1234.57], [0.3]]
    assert got[3] == [f"{ERR}无法识别的金额「abc」"]
    assert got[4][0].startswith(ERR) and got[5][0].startswith(ERR)
    assert got[6] == [None]  # NaN is how Lite/pandas show an empty cell


def test_identifier_checks_take_floats_and_blanks() -> None:
    got = wf.uscc_valid([[VALID_USCC], [VALID_USCC.lower()], [" ９１３５０１００Ｍ０００１００Ｙ４３ "],
                         [VALID_USCC[:-1] + "X"], [913501001234567.0], [None], ["  "]])
    assert got == [[True], [True], [True], [False], [False], [None], [None]]
    got = wf.phone_valid([[13812345678.0], ["+86 138-1234-5678"], ["0571-88123456转8"], ["400-820-1234"],
                          ["12345"], [571881234.0], [None]])
    assert got == [[True], [True], [True], [True], [False], [False], [None]]
    assert wf.uscc_valid(VALID_USCC) is True and wf.phone_valid(None) is None
    excel_values(got)


def test_level_follows_the_classification_rule() -> None:
    net = [[100.0], [50.0], [30.0], [0.0], [None], [-5.0], ["2万"]]
    assert wf.level(net) == [["C"], ["C"], ["C"], ["C"], [None], ["C"], ["A"]]  # 2万 is 99 % of the total
    # ties by 客户编号 when ids are given, else by position
    assert wf.level([[100.0], [100.0], [1.0]], [["KH2"], ["KH1"], ["KH3"]], 0.4) == [["B"], ["A"], ["C"]]
    assert wf.level([[100.0], [100.0], [1.0]], None, 0.4) == [["A"], ["B"], ["C"]]
    assert wf.level([[0.0], [-1.0]]) == [["C"], ["C"]]
    assert wf.level([[10.0], [10.0]], None, "40%", "100%") == [["A"], ["B"]]
    assert wf.level(5.0) == "A"


def test_level_errors_name_the_cell() -> None:
    assert wf.level([[1.0], ["abc"]]) == f"{ERR}区域第 2 行的净销售额「abc」不是金额"
    assert wf.level([[1.0], [2.0]], [["a"]]).startswith(f"{ERR}客户编号区域有 1 个单元格")
    assert wf.level([[1.0]], None, "很多").startswith(f"{ERR}A类累计占比应为 0 到 1 之间的比例")


def test_aging_buckets_dates_of_every_kind() -> None:
    as_of = dt.datetime(2026, 10, 31)
    dates = [[dt.datetime(2026, 10, 1)], [46000.0], ["2026年1月1日"], [dt.date(2025, 10, 30)], [None],
             ["明天"], [dt.datetime(2026, 11, 5)], [dt.datetime(2026, 10, 31, 18, 30)]]
    amounts = [[100.0], ["5元"], [3.0], [1.0], [1.0], [2.0], [9.0], [4.0]]
    assert wf.aging(dates, amounts, as_of) == [
        ["0-30"], ["181-365"], ["181-365"], [">365"], [None], [f"{ERR}无法识别的日期「明天」"], [None], ["0-30"]]
    # the as-of date may be a serial number or text; zero or negative amounts are not open
    assert wf.aging([[46296.0]], [[0.0]], 46326.0) == [[None]]
    assert wf.aging([[46296.0]], [[-3.0]], "2026-10-31") == [[None]]
    assert wf.aging([[46296.0]], [["x"]], "2026-10-31") == [[f"{ERR}无法识别的金额「x」"]]
    # custom buckets as text or as a range of numbers
    assert wf.aging(["2026-09-01"], [1.0], "2026-10-31", "15,45") == [">45"]
    assert wf.aging(["2026-10-10"], [1.0], "2026-10-31", [[15.0], [45.0]]) == ["16-45"]


def test_aging_errors() -> None:
    assert wf.aging([[1.0]], [[1.0], [2.0]], 46000.0) == f"{ERR}日期区域有 1 个单元格，金额区域有 2 个，应一样多"
    assert wf.aging([[1.0]], [[1.0]], None) == f"{ERR}缺少截止日期"
    assert wf.aging([[1.0]], [[1.0]], "下周") == f"{ERR}截止日期「下周」不是日期"
    assert wf.aging([[1.0]], [[1.0]], 46000.0, "90,30").startswith(f"{ERR}账龄分段应为递增的正整数天数")
    assert wf.aging([[1.0], [2.0, 3.0]], [[1.0]], 1.0) == f"{ERR}区域的各行长度不一致"


SALES = [
    ["日期", "单号", "客户编号", "产品", "数量", "单价", "金额(元)"],
    [dt.datetime(2026, 1, 1), "S1", "KH1", "钢丝绳", 1.0, 100.0, None],
    [dt.datetime(2026, 1, 2), "S2", 1002.0, "钢丝绳", 2.0, None, "1.2万"],
    [46030.0, "S3", "KH1", "钢丝绳", -1.0, None, 10.0],  # a return
    [dt.datetime(2027, 1, 1), "S4", "KH1", "钢丝绳", 1.0, None, 999.0],  # after the as-of date
]
RECEIPTS = [
    ["Date", "Doc No", "Customer ID", "Amount", "Type"],
    [dt.datetime(2026, 1, 3), "R1", "KH1", 30.0, "回款"],
    [dt.datetime(2026, 1, 3), "R2", "KH3", "￥50", "Prepayment"],
    [dt.datetime(2026, 1, 4), "R3", "KH3", 5.0, "退款"],
]


def test_balance_per_customer() -> None:
    got = wf.balance([["KH1"], [1002.0], ["KH3"], ["KH9"], [None]], SALES, RECEIPTS, dt.datetime(2026, 10, 31))
    assert got == [[60.0, 0.0], [12000.0, 0.0], [0.0, 45.0], [0.0, 0.0], [None, None]]
    assert wf.balance("KH1", SALES, None, "2026-10-31") == [[90.0, 0.0]]
    assert wf.balance("KH1", SALES, RECEIPTS, "2027-12-31") == [[1059.0, 0.0]]
    excel_values(got)


def test_balance_errors_name_the_range_and_row() -> None:
    no_customer = [[h for h in row if h != "客户编号"] for row in SALES[:1]]
    assert wf.balance("KH1", no_customer, None, 1.0) == f"{ERR}销售区域的第一行没有「客户编号」列"
    bad = [row[:] for row in SALES]
    bad[2][6] = "一万二"
    assert wf.balance("KH1", bad, None, 46000.0) == f"{ERR}销售区域第 3 行「金额」的值「一万二」不是金额"
    odd = [row[:] for row in RECEIPTS]
    odd[1][4] = "货款"
    assert wf.balance("KH1", SALES, odd, 46000.0) == f"{ERR}收款区域第 2 行「类型」的值「货款」应为 预收、回款 或 退款"
    assert wf.balance("KH1", "not a range", None) == f"{ERR}销售区域应为带表头的区域（第一行是表头）"


def test_no_traceback_ever(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_: Any) -> Any:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(wf.cells, "parse_amount", boom)
    assert wf.amount(1.0) == f"{ERR}内部错误 ZeroDivisionError: division by zero"


def test_cell_texts_render_like_the_file_reader() -> None:
    values = [1234.0, 1234.5, 13812345678.0, None, float("nan"), "x", True, dt.datetime(2026, 3, 5, 13, 30),
              dt.date(2026, 3, 5), np.float64(2.0), np.int64(7), 1e-7, -0.0]
    assert wf.cell_texts(values).to_pylist() == [
        "1234", "1234.5", "13812345678", None, None, "x", "true", "2026-03-05 13:30:00",
        "2026-03-05 00:00:00", "2", "7", "0.0000001", "0"]
    assert wf.cell_texts([1.0, 2.0]).to_pylist() == ["1", "2"]
    assert wf.cell_texts(["a", None]).to_pylist() == ["a", None]


# ---------------------------------------------------------------------------------------------
# Agreement with the core rules


def test_agrees_with_the_scalar_rules() -> None:
    texts = ["1,234.50", "¥1,234", "￥1234.5", "1.2万", "１２３４", "RMB 12", "12元", "-3", "abc", "1.2亿"]
    parsed = cells.parse_amount(cells.trim(cells.as_array(wf.cell_texts(texts))))
    ours = wf.amount(texts)
    for v, fen, bad in zip(ours, parsed.values, parsed.bad, strict=True):
        assert (isinstance(v, str) and bad) or v == fen / 100
    codes = [VALID_USCC, "91350100M000100Y44", "123", VALID_USCC.lower()]
    assert wf.uscc_valid(codes) == [is_valid_uscc(c) for c in codes]
    phones = ["13812345678", "010-1234567", "0571 88123456", "4008201234", "1381234567"]
    assert wf.phone_valid(phones) == [is_valid_phone(p) for p in phones]
    rng = np.random.default_rng(7)
    net = rng.integers(-1000, 100_000, 500)
    expected = levels(net, np.arange(500), wf.Settings().level_a_share, wf.Settings().level_b_share)
    assert wf.level([[float(x) / 100] for x in net]) == [[x] for x in expected]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, demo_factory: Callable[..., Path]) -> Path:
    return demo_factory(tmp_path_factory.mktemp("demo"), clean=True)


def _sheet_rows(path: Path, sheet: str, header_row: int) -> list[list[Any]]:
    """A sheet from its header row down, as xlwings would return it (numbers as floats)."""
    ws = openpyxl.load_workbook(path, data_only=True)[sheet]
    rows = []
    for row in ws.iter_rows(min_row=header_row, values_only=True):
        rows.append([float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v for v in row])
    return rows


def test_aging_and_balance_agree_with_the_ledger(demo: Path) -> None:
    book = read_book(demo)
    result = ledger.offset(book, as_of=DEMO_END)
    items = result.open_items
    dates = [[d.to_pydatetime()] for d in items["date"]]
    amounts = [[int(v) / 100] for v in items["open"]]
    assert wf.aging(dates, amounts, dt.datetime.combine(DEMO_END, dt.time())) == [[str(b)] for b in items["bucket"]]

    sales = _sheet_rows(demo, book["销售"].sheet, book["销售"].header_row or 1)
    receipts = _sheet_rows(demo, book["收款"].sheet, book["收款"].header_row or 1)
    ids = [[c] for c in result.customers["customer_id"]]
    got = wf.balance(ids, sales, receipts, dt.datetime.combine(DEMO_END, dt.time()))
    expected = [[int(r) / 100, int(p) / 100]
                for r, p in zip(result.customers["receivable"], result.customers["prepaid"], strict=True)]
    assert got == expected


# ---------------------------------------------------------------------------------------------
# Through xlwings' own decorators and conversion pipeline


class _StandInEngine:
    """The per-cell part of xlwings' Windows engine (``xlwings._xlwindows``), which needs
    pywin32: COM hands over ``None``/``""`` for empty cells, datetimes for dates and error
    codes as ints; xlwings turns them into ``empty``, ``datetime`` and ``None``.  Writing, it
    turns ``None``/NaN into ``""`` and NumPy numbers into floats."""

    name = "excel"
    type = "desktop"
    _ERRORS = {-2146826281, -2146826246, -2146826259, -2146826288, -2146826252, -2146826265, -2146826273}

    @classmethod
    def clean_value_data(cls, data: Any, datetime_builder: Any, empty_as: Any, number_builder: Any,
                         err_to_str: Any) -> list[list[Any]]:
        def clean(v: Any) -> Any:
            if v in ("", None):
                return empty_as
            if isinstance(v, dt.datetime):
                return datetime_builder(year=v.year, month=v.month, day=v.day, hour=v.hour, minute=v.minute,
                                        second=v.second, microsecond=v.microsecond, tzinfo=None)
            if number_builder is not None and isinstance(v, float):
                return number_builder(v)
            if isinstance(v, int) and v in cls._ERRORS:
                return None
            return v

        return [[clean(c) for c in row] for row in data]

    @staticmethod
    def prepare_xl_data_element(x: Any, options: Any) -> Any:
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return ""
        if isinstance(x, np.number):
            return float(x)
        return x


MISSING = object()


@pytest.fixture
def xl(monkeypatch: pytest.MonkeyPatch) -> Iterator[types.ModuleType]:
    """``salesxl.excel.udfs`` decorated by xlwings' real Windows decorators."""
    xw = pytest.importorskip("xlwings")
    for name in ("pythoncom", "pywintypes", "win32com", "win32com.client"):
        stub = types.ModuleType(name)
        stub.CoInitialize = lambda: None  # type: ignore[attr-defined]
        stub.Dispatch = lambda *a: None  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, name, stub)
    monkeypatch.delitem(sys.modules, "xlwings.udfs", raising=False)
    xw_udfs = importlib.import_module("xlwings.udfs")
    monkeypatch.setattr(xw, "func", xw_udfs.xlfunc)
    monkeypatch.setattr(xw, "arg", xw_udfs.xlarg)
    monkeypatch.setattr(xw, "ret", xw_udfs.xlret)
    from xlwings.main import Engine

    monkeypatch.setitem(xw.engines.engines_by_name, "excel", Engine(impl=_StandInEngine()))
    import salesxl.excel.udfs as udfs

    module = importlib.reload(udfs)
    yield module
    monkeypatch.undo()
    importlib.reload(udfs)
    sys.modules.pop("xlwings.udfs", None)


def call(func: Any, *args: Any) -> Any:
    """Call a UDF the way xlwings' COM server does (``xlwings.udfs.call_udf``): each argument
    read through ``conversion.read`` with its decorator options (an omitted optional argument
    gets its default), the answer through ``conversion.write``."""
    from xlwings import conversion

    info = func.__xlfunc__
    converted = []
    for i, arg in enumerate(args):
        arg_info = info["args"][min(i, len(info["args"]) - 1)]
        converted.append(arg_info.get("optional") if arg is MISSING else conversion.read(None, arg, arg_info["options"]))
    return conversion.write(func(*converted), None, info["ret"]["options"])


def test_decorators_register_every_function(xl: types.ModuleType) -> None:
    names = {n: getattr(xl, n).__xlfunc__ for n in xl.__all__}
    assert set(names) == {"SALESXL_USCC_VALID", "SALESXL_PHONE_VALID", "SALESXL_AMOUNT", "SALESXL_LEVEL",
                          "SALESXL_AGING", "SALESXL_BALANCE", "SALESXL_STOCK", "SALESXL_PRICE"}
    for name, info in names.items():
        assert info["name"] == name and info["category"] == "salesxl" and not info["sub"]
        assert info["ret"]["doc"] and info["ret"]["options"].get("expand") is None
        for a in info["args"]:
            assert a["doc"] and not a["doc"].startswith("Positional")
    level = names["SALESXL_LEVEL"]["argmap"]
    assert level["net_sales"]["options"]["ndim"] == 2 and level["ids"]["options"]["ndim"] == 2
    assert level["ids"]["optional"] is None and level["b_share"]["optional"] is None
    assert "ndim" not in names["SALESXL_AGING"]["argmap"]["as_of"]["options"]


def test_legacy_expansion_switch(xl: types.ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SALESXL_UDF_EXPAND", "table")
    module = importlib.reload(xl)
    assert module.SALESXL_AMOUNT.__xlfunc__["ret"]["options"]["expand"] == "table"


def test_excel_shapes_through_xlwings(xl: types.ModuleType) -> None:
    # one cell (COM passes a scalar), a column, a row and a block (tuples of tuples)
    assert call(xl.SALESXL_AMOUNT, "1.2万") == [[12000.0]]
    assert call(xl.SALESXL_AMOUNT, (("¥1,234",), (1234.5600000000002,), (None,), ("abc",))) == [
        [1234.0], [1234.56], [""], [f"{ERR}无法识别的金额「abc」"]]
    assert call(xl.SALESXL_AMOUNT, (("1,234.50", 5.0),)) == [[1234.5, 5.0]]
    assert call(xl.SALESXL_USCC_VALID, ((VALID_USCC, None), ("x", 1.0))) == [[True, ""], [False, False]]
    assert call(xl.SALESXL_PHONE_VALID, ((13812345678.0,), ("",))) == [[True], [""]]
    assert call(xl.SALESXL_LEVEL, ((100.0,), (50.0,), (5.0,)), MISSING, MISSING, MISSING) == [["A"], ["A"], ["C"]]
    assert call(xl.SALESXL_LEVEL, ((1.0,), (1.0,)), (("b",), ("a",)), 0.5, MISSING) == [["B"], ["A"]]
    assert call(xl.SALESXL_AGING, ((dt.datetime(2026, 10, 1),), (46000.0,), ("2026-01-01",)),
                ((100.0,), (5.0,), (-1.0,)), dt.datetime(2026, 10, 31), MISSING) == [["0-30"], ["181-365"], [""]]
    assert call(xl.SALESXL_BALANCE, (("KH1",), ("KH3",)), tuple(map(tuple, SALES)), tuple(map(tuple, RECEIPTS)),
                46326.0) == [[60.0, 0.0], [0.0, 45.0]]
    assert call(xl.SALESXL_AGING, 1.0, 1.0, MISSING, MISSING) == [[f"{ERR}缺少截止日期"]]


def test_price_quotes_through_xlwings(xl: types.ModuleType) -> None:
    """SALESXL_PRICE spills 标准价 and 最低价 of the row the validator would pick (v1.1)."""
    price_list = (("产品", "规格", "客户等级", "开始日期", "结束日期", "标准价", "最低价"),
                  ("钢材", None, None, None, None, 100.0, 80.0),
                  ("钢材", "X", "A", dt.datetime(2026, 4, 1), dt.datetime(2026, 6, 30), 95.0, 90.0))
    assert call(xl.SALESXL_PRICE, (("钢材",), ("钢材",)), "X", "主要客户", (("2026-04-01",), ("2026-03-31",)),
                price_list) == [[95.0, 90.0], [100.0, 80.0]]
    assert call(xl.SALESXL_PRICE, "水泥", MISSING, MISSING, "2026-04-01", price_list)[0][0].startswith(ERR)
    assert xl.SALESXL_PRICE.__xlfunc__["argmap"]["price_list"]["optional"] is None


# ---------------------------------------------------------------------------------------------
# 100,000 rows in one call


N = 100_000


def _timed(label: str, func: Any, *args: Any) -> Any:
    """One call of 100,000 rows (their speed is measured by bench/bench_quick.py)."""
    return func(*args)


def test_100k_rows_in_one_call() -> None:
    rng = np.random.default_rng(2026)
    yuan = (rng.integers(0, 10_000_000, N) / 100).tolist()
    amounts = [[v] for v in yuan]
    texts = [[f"¥{v:,.2f}" if i % 3 else f"{v / 10000:.6f}万"] for i, v in enumerate(yuan)]
    texts[5] = ["abc"]
    codes = [[VALID_USCC if i % 2 else "91350100M000100Y44"] for i in range(N)]
    phones = [[13812345678.0 if i % 2 else "0571-88123456"] for i in range(N)]
    start = dt.datetime(2024, 1, 1)
    dates = [[start + dt.timedelta(days=i % 900)] if i % 2 else [45292.0 + i % 900] for i in range(N)]
    ids = [[f"KH{i:06d}"] for i in range(N)]
    sales = [["日期", "单号", "客户编号", "产品", "数量", "金额"]] + [
        [dates[i][0], f"S{i}", ids[i % 5000][0], "钢丝绳", 1.0, yuan[i]] for i in range(N)]

    got = _timed("SALESXL_AMOUNT numbers", wf.amount, amounts)
    assert got[1] == [yuan[1]]
    got = _timed("SALESXL_AMOUNT text", wf.amount, texts)
    assert got[5][0].startswith(ERR) and got[1] == [yuan[1]]
    assert _timed("SALESXL_USCC_VALID", wf.uscc_valid, codes)[:2] == [[False], [True]]
    assert _timed("SALESXL_PHONE_VALID", wf.phone_valid, phones)[:2] == [[True], [True]]
    assert len(_timed("SALESXL_LEVEL", wf.level, amounts, ids)) == N
    got = _timed("SALESXL_AGING", wf.aging, dates, amounts, dt.datetime(2026, 10, 31))
    assert all(isinstance(r[0], str) or r[0] is None for r in got)
    got = _timed("SALESXL_BALANCE", wf.balance, ids[:5000], sales, None, dt.datetime(2026, 10, 31))
    assert len(got) == 5000 and sum(r[0] for r in got) == pytest.approx(sum(yuan), abs=0.01)
