"""The xlwings Lite template (templates/lite/main.py), run as plain Python.

Lite cannot import salesxl (see main.py's docstring), so main.py is generated: the identifier
rules are inlined from salesxl.core.idrules and salesxl.core.plain_rules, the rest is the glue
the worksheet functions need.  These tests hold the committed file to what the generator
produces now, import it as a plain module — with the real xlwings package installed, whose
``func``/``arg``/``script`` decorators are no-ops outside Lite — and hold every rule to
salesxl's own implementation on the same inputs, and the scripts to salesxl's validator on the
demo workbook.  What needs Excel with the Lite add-in: that Lite registers the functions and
scripts as expected.
"""

from __future__ import annotations

import ast
import datetime as dt
import importlib.util
import math
import sys
import typing
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
import xlwings
from hypothesis import given, settings
from hypothesis import strategies as st

from salesxl import api
from salesxl.core import card_rules, idrules, ledger, plain_rules
from salesxl.core import worksheet_functions as wf
from salesxl.core.schema import SHEETS
from salesxl.demo import DEMO_END
from salesxl.excel.lite import build_lite, lite_main_source

LITE = Path(__file__).resolve().parents[1] / "templates" / "lite"
ERR = wf.ERROR_PREFIX


@pytest.fixture(scope="module")
def lite() -> ModuleType:
    spec = importlib.util.spec_from_file_location("salesxl_lite_main", LITE / "main.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def same(ours: Any, theirs: Any) -> bool:
    """Equal answers, where two errors count as equal (their wording may differ)."""
    if isinstance(ours, list) and isinstance(theirs, list):
        return len(ours) == len(theirs) and all(same(a, b) for a, b in zip(ours, theirs, strict=True))
    if isinstance(ours, str) and isinstance(theirs, str) and ours.startswith(ERR):
        return theirs.startswith(ERR)
    return ours == theirs


# ---------------------------------------------------------------------------------------------
# The template itself


def test_committed_template_is_what_the_generator_makes(tmp_path: Path) -> None:
    """templates/lite is build_lite's output: regenerate with
    ``salesxl template lite --out templates/lite --force``."""
    written = build_lite(tmp_path)
    assert [p.name for p in written] == ["main.py", "requirements.txt"]
    for p in written:
        assert (LITE / p.name).read_text(encoding="utf-8") == p.read_text(encoding="utf-8"), p.name
    assert (LITE / "main.py").read_text(encoding="utf-8") == lite_main_source()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["main.py", "requirements.txt"]


def test_template_lite_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from salesxl.cli import run

    target = tmp_path / "lite"
    assert run(["template", "lite", "--out", str(target), "--json"]) == 0
    assert (target / "main.py").read_text(encoding="utf-8") == lite_main_source()
    capsys.readouterr()
    assert run(["template", "lite", "--out", str(target)]) == 2
    err = capsys.readouterr().err
    assert "--force" in err and len(err.strip().splitlines()) == 1
    assert run(["template", "lite", "--out", str(target), "--force"]) == 0


def test_identifier_rules_are_inlined_not_copied() -> None:
    """Every definition of salesxl.core.idrules appears in main.py exactly as in salesxl, and
    main.py defines no identifier or card rule of its own."""
    main = (LITE / "main.py").read_text(encoding="utf-8")
    rules = Path(idrules.__file__).read_text(encoding="utf-8")
    body = rules[rules.index("# ====="):rules.index("__all__ = [")]
    assert body.strip() in main
    tree = ast.parse(main)
    defined = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert not [d for d in defined if ("uscc" in d or "phone" in d) and not d.startswith("salesxl_")
                and d not in idrules.__dict__ and d not in card_rules.__dict__], defined
    assert main.count("USCC_CHARSET = ") == 1 and main.count("def is_valid_phone(") == 1


def test_needs_nothing_lite_cannot_install() -> None:
    tree = ast.parse((LITE / "main.py").read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported <= set(sys.stdlib_module_names) | {"xlwings", "phonenumbers"}, imported
    wanted = [line.strip() for line in (LITE / "requirements.txt").read_text(encoding="utf-8").splitlines()
              if line.strip() and not line.startswith("#")]
    assert wanted == ["xlwings", "phonenumbers"]


def test_functions_and_scripts_keep_what_lite_reads(lite: ModuleType) -> None:
    import inspect

    functions = ["salesxl_uscc_valid", "salesxl_phone_valid", "salesxl_amount", "salesxl_level",
                 "salesxl_aging", "salesxl_balance"]
    for name in functions:
        f = getattr(lite, name)
        assert f.__doc__ and list(inspect.signature(f).parameters)[0] != "args", name
    assert list(inspect.signature(lite.salesxl_balance).parameters) == ["customer_id", "sales", "receipts", "as_of"]
    for script in (lite.validate_customers, lite.customer_balances):
        assert typing.get_type_hints(script)["book"] is xlwings.Book and script.__doc__


# ---------------------------------------------------------------------------------------------
# The copied rules against salesxl's


AMOUNTS: list[Any] = ["1.2万", "¥1,234", "￥1234.5", "1,234.50", "１２３４", "RMB 12", "12元", "-3", "abc", "1.2亿",
                      "", None, 1234.5600000000002, 1.005, 1234.565, 0.1 + 0.2, 5, True, "1,2,3", "12.3.4", "  7 "]


def test_amounts(lite: ModuleType) -> None:
    column = [[v] for v in AMOUNTS]
    assert same(lite.salesxl_amount(column), wf.amount(column))
    assert lite.salesxl_amount("1.2万") == 12000.0


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False), st.sampled_from(["{:.6f}", "¥{:,.2f}", "{:.4f}万", "{:,.3f}元"]))
def test_amounts_agree_on_any_number(x: float, form: str) -> None:
    module = _load()
    for value in (x, form.format(x)):
        assert same(module.salesxl_amount([[value]]), wf.amount([[value]])), value


def _load() -> ModuleType:
    return sys.modules.get("salesxl_lite_main") or _import()


def _import() -> ModuleType:
    spec = importlib.util.spec_from_file_location("salesxl_lite_main", LITE / "main.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_identifiers(lite: ModuleType) -> None:
    codes = [["91350100M000100Y43"], ["91350100m000100y43"], [" ９１３５０１００Ｍ０００１００Ｙ４３ "],
             ["91350100M000100Y44"], ["9135010OM000100Y43"], [913501001234567.0], [None], ["123"]]
    assert lite.salesxl_uscc_valid(codes) == wf.uscc_valid(codes)
    codes += [["Y1110000MA00000015"], ["000000000000000000"], ["91 510522 694921268 N"], ["110101199003074514"]]
    assert lite.salesxl_uscc_valid(codes) == wf.uscc_valid(codes)
    phones = [[13812345678.0], ["+86 138-1234-5678"], ["86 13812345678"], ["0571-88123456转8"], ["010 12345678"],
              ["01012345678"], ["400-820-1234"], ["8001234567"], ["12345"], [571881234.0], [None], [True],
              ["0571-88123456 ext.12"], ["１３８１２３４５６７８"], ["(010)62345678"], ["0510-8655137"],
              ["062-70290115"], ["14012345678"], ["(+86)13812345678"], ["010—6234 5678"]]
    assert lite.salesxl_phone_valid(phones) == wf.phone_valid(phones)
    assert [v[0] for v in lite.salesxl_phone_valid(phones[-6:])] == [True, False, False, False, True, True]


def test_levels(lite: ModuleType) -> None:
    rng = np.random.default_rng(11)
    for _ in range(20):
        n = int(rng.integers(1, 60))
        net = [[float(v) / 100] for v in rng.integers(-5_000, 100_000, n)]
        net[0] = [net[1][0]] if n > 1 else net[0]  # a tie
        ids = [[f"KH{int(v):03d}"] for v in rng.permutation(n)]
        for a, b in ((None, None), (0.5, 0.9), ("60%", "100%")):
            assert lite.salesxl_level(net, ids, a, b) == wf.level(net, ids, a, b)
            assert lite.salesxl_level(net, None, a, b) == wf.level(net, None, a, b)
    assert same(lite.salesxl_level([[1.0], ["x"]]), wf.level([[1.0], ["x"]]))
    assert lite.salesxl_level([[1.0]], None, "很多").startswith(ERR)


def test_aging(lite: ModuleType) -> None:
    dates = [[dt.datetime(2026, 10, 1)], [46000.0], ["2026年1月1日"], ["20250101"], ["2026/3/5"], [None], ["明天"],
             [dt.datetime(2026, 11, 5)], [59.0], [61.0], ["2026-10-31 18:30"]]
    amounts = [[100.0], ["5元"], [3.0], [1.0], ["x"], [1.0], [2.0], [9.0], [1.0], [1.0], [0.5]]
    for as_of in (dt.datetime(2026, 10, 31), 46326.0, "2026-10-31"):
        for buckets in (None, "15,45", [[10.0], [100.0]]):
            assert same(lite.salesxl_aging(dates, amounts, as_of, buckets), wf.aging(dates, amounts, as_of, buckets))
    for bad in ((dates, amounts[:2], 1.0, None), (dates, amounts, None, None), (dates, amounts, "下周", None),
                (dates, amounts, 1.0, "90,30")):
        assert lite.salesxl_aging(*bad).startswith(ERR) and wf.aging(*bad).startswith(ERR)


SALES = [
    ["日期", "单号", "客户编号", "产品", "数量", "单价", "金额(元)"],
    [dt.datetime(2026, 1, 1), "S1", "KH1", "钢丝绳", 1.0, 100.0, None],
    [dt.datetime(2026, 1, 2), "S2", 1002.0, "钢丝绳", 2.0, None, "1.2万"],
    [46030.0, "S3", "KH1", "钢丝绳", -1.0, None, 10.0],
    [dt.datetime(2027, 1, 1), "S4", "KH1", "钢丝绳", 1.0, None, 999.0],
    [dt.datetime(2026, 2, 1), "S5", " KH3 ", "钢丝绳", 3.0, "1.5", None],
]
RECEIPTS = [
    ["Date", "Doc No", "Customer ID", "Amount", "Type"],
    [dt.datetime(2026, 1, 3), "R1", "KH1", 30.0, "回款"],
    [dt.datetime(2026, 1, 3), "R2", "KH3", "￥50", "Prepayment"],
    [dt.datetime(2026, 1, 4), "R3", "KH3", 5.0, "退款"],
    [dt.datetime(2026, 1, 4), "R4", "KH3", -5.0, "回款"],
]


def test_balances(lite: ModuleType) -> None:
    ids = [["KH1"], [1002.0], ["KH3"], ["KH9"], [None]]
    for as_of in (dt.datetime(2026, 10, 31), "2027-12-31", 46000.0):
        assert lite.salesxl_balance(ids, SALES, RECEIPTS, as_of) == wf.balance(ids, SALES, RECEIPTS, as_of)
        assert lite.salesxl_balance(ids, SALES, None, as_of) == wf.balance(ids, SALES, None, as_of)
    odd = [row[:] for row in RECEIPTS]
    odd[1][4] = "货款"
    assert same(lite.salesxl_balance("KH1", SALES, odd, 1.0), wf.balance("KH1", SALES, odd, 1.0))
    assert lite.salesxl_balance("KH1", [["产品"]], None).startswith(ERR)


def test_receipt_directions_are_the_contracts_types() -> None:
    """The netting's sign table covers exactly the 收款 类型 options, and the ledger reads it."""
    assert set(plain_rules.RECEIPT_DIRECTION) == set(SHEETS["收款"].field("类型").enum_values)
    assert set(ledger.KINDS) >= set(plain_rules.RECEIPT_DIRECTION)


_LINE = st.tuples(st.one_of(st.none(), st.floats(-50, 50).map(lambda x: round(x, 2))),
                  st.one_of(st.none(), st.integers(-10**7, 10**7)), st.one_of(st.none(), st.integers(0, 10**6)))


@settings(max_examples=60, deadline=None)
@given(st.lists(_LINE, max_size=20))
def test_netting_rules_are_one_text_for_a_cell_and_a_column(lines: list[tuple[Any, Any, Any]]) -> None:
    """The ledger's vectorised line reading (sale_directions) and Lite's per-cell one
    (line_fen, line_direction) give the same fen and direction; receivable/prepaid likewise."""
    sales = pd.DataFrame({
        "数量": pd.Series([q for q, _, _ in lines], dtype="Float64"),
        "金额": pd.Series([a for _, a, _ in lines], dtype="Int64"),
        "单价": pd.Series([p for _, _, p in lines], dtype="Int64"),
    })
    amount, has, direction = ledger.sale_directions(sales)
    for i, (q, a, p) in enumerate(lines):
        got = plain_rules.line_fen(a, q, p)
        assert has[i] == (got is not None)
        if got is not None:
            assert amount[i] == got
            assert direction[i] == plain_rules.line_direction(math.nan if q is None else q, got)
    net = amount * direction
    receivable, prepaid = plain_rules.receivable_prepaid(net)
    assert list(receivable) == [plain_rules.receivable_prepaid(int(x))[0] for x in net] == [max(x, 0) for x in net]
    assert list(prepaid) == [plain_rules.receivable_prepaid(int(x))[1] for x in net] == [max(-x, 0) for x in net]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, demo_factory: Callable[..., Path]) -> Path:
    return demo_factory(tmp_path_factory.mktemp("lite"))


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory, demo_factory: Callable[..., Path]) -> Path:
    return demo_factory(tmp_path_factory.mktemp("lite-clean"), clean=True)


def _values(path: Path, sheet: str) -> list[list[Any]]:
    wb = openpyxl.load_workbook(path, data_only=True, read_only=True)
    try:
        return [[float(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in row]
                for row in wb[sheet].iter_rows(values_only=True)]
    finally:
        wb.close()


@pytest.mark.parametrize("which", ["clean", "demo"])
def test_balances_on_the_demo(lite: ModuleType, which: str, request: pytest.FixtureRequest) -> None:
    from salesxl.io.reading import read_book

    path = request.getfixturevalue(which)
    book = read_book(path)
    sales = _values(path, book["销售"].sheet)[(book["销售"].header_row or 1) - 1:]
    receipts = _values(path, book["收款"].sheet)[(book["收款"].header_row or 1) - 1:]
    ids = [[c] for c in sorted(set(book["客户档案"].frame["客户编号"].dropna()))]
    as_of = dt.datetime.combine(DEMO_END, dt.time())
    ours, theirs = lite.salesxl_balance(ids, sales, receipts, as_of), wf.balance(ids, sales, receipts, as_of)
    assert same(ours, theirs)
    if which == "clean":
        assert isinstance(ours, list) and ours == theirs
    else:  # the planted 一千二 in 金额 stops both, rather than being left out of a balance
        assert isinstance(ours, str) and isinstance(theirs, str)


# ---------------------------------------------------------------------------------------------
# Scripts


CHECKED = {"missing-value", "bad-enum", "bad-uscc", "bad-phone", "duplicate-id"}


def test_customer_checks_agree_with_the_validator(lite: ModuleType, demo: Path) -> None:
    report = api.validate(demo, as_of=DEMO_END)
    sheet = report.findings[0].sheet if report.findings else "客户档案"
    sheet = next(f.sheet for f in report.findings if f.field in ("客户编号", "联系电话", "统一社会信用代码"))
    expected = {(f.row, f.column, f.code.value, f.message()) for f in report.findings
                if f.sheet == sheet and f.code.value in CHECKED
                and f.field in ("客户编号", "客户名称", "客户性质", "业务员", "统一社会信用代码", "联系电话")}
    rows = lite.customer_findings(_values(demo, sheet), sheet)
    got = {(r[1], r[2], r[6], r[7]) for r in rows}
    assert expected and got == expected


def test_customer_checks_agree_on_every_rule(lite: ModuleType, tmp_path: Path) -> None:
    """A small card sheet with each case of the card rules: Lite's findings and messages are the
    validator's (blank and unknown 客户性质 are not exempt; USCC repeats compare folded codes)."""
    ric = "11010519491231002"
    ric += idrules.resident_id_check_char(ric)
    rows = [
        ["客户编号", "客户名称", "客户性质", "统一社会信用代码", "联系电话", "业务员"],
        ["KH1", "甲公司", "一般公司", "91350100M000100Y43", "13812345678", "张伟"],
        ["KH2", None, "公司", None, "123", "张伟"],
        ["KH3", "丙", None, None, None, "张伟"],
        ["KH4", "丁", "个人", ric, None, "张伟"],
        ["KH5", "戊", "个人", None, "010-62345678", "张伟"],
        ["KH6", "己", "一般公司", "91350100m000100y43", None, "张伟"],
        ["KH1", "庚", "个人", "无", None, None],
    ]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "客户档案"
    for r in rows:
        ws.append(r)
    wb.save(tmp_path / "cards.xlsx")
    report = api.validate(tmp_path / "cards.xlsx", as_of=DEMO_END)
    expected = {(f.row, f.column, f.code.value, f.message()) for f in report.findings
                if f.sheet == "客户档案" and f.code.value in CHECKED}
    got = {(r[1], r[2], r[6], r[7]) for r in lite.customer_findings(rows)}
    assert {c for _, _, c, _ in expected} == CHECKED
    assert got == expected
    without = [r[:1] + r[2:] for r in rows]  # no 客户名称 column: the reader's missing-column
    wb = openpyxl.Workbook()
    wb.active.title = "客户档案"
    for r in without:
        wb.active.append(r)
    wb.save(tmp_path / "no-name.xlsx")
    missing = [(f.row, f.field, f.message()) for f in api.validate(tmp_path / "no-name.xlsx", as_of=DEMO_END).findings
               if f.sheet == "客户档案" and f.code.value == "missing-column"]
    assert missing and missing == [(r[1], r[3], r[7]) for r in lite.customer_findings(without) if r[6] == "missing-column"]


class _Range:
    def __init__(self, sheet: _Sheet, row: int = 1, col: int = 1) -> None:
        self.sheet, self.row, self.column = sheet, row, col

    def options(self, **_: Any) -> _Range:
        return self

    @property
    def value(self) -> Any:
        return self.sheet.values

    @value.setter
    def value(self, rows: Any) -> None:
        # Excel keeps a leading apostrophe's text as text and does not store the apostrophe
        assert not any(isinstance(v, str) and v.startswith("=") for r in rows for v in r)
        self.sheet.written = [[v[1:] if isinstance(v, str) and v.startswith("'") else v for v in r] for r in rows]

    number_format = "General"


class _Sheet:
    def __init__(self, book: _Book, name: str, values: list[list[Any]] | None = None) -> None:
        self.book, self.name, self.values, self.written = book, name, values or [[None]], None

    @property
    def used_range(self) -> _Range:
        return _Range(self)

    def __getitem__(self, _: str) -> _Range:
        return _Range(self)

    def range(self, *_: Any) -> _Range:
        return _Range(self)

    def delete(self) -> None:
        self.book.items.remove(self)


class _Book:
    """Just enough of an xlwings Book for the scripts (xlwings cannot drive Excel on Linux)."""

    def __init__(self, sheets: dict[str, list[list[Any]]]) -> None:
        self.items = [_Sheet(self, n, v) for n, v in sheets.items()]

    @property
    def sheets(self) -> _Book:
        return self

    def __iter__(self) -> Any:
        return iter(list(self.items))

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> _Sheet:
        return self.items[i]

    def add(self, name: str, after: _Sheet | None = None) -> _Sheet:
        sheet = _Sheet(self, name)
        self.items.append(sheet)
        return sheet

    def get(self, name: str) -> _Sheet:
        return next(s for s in self.items if s.name == name)


def test_validate_customers_script(lite: ModuleType) -> None:
    customers = [
        ["XX公司客户档案", None, None, None, None, None],
        ["客户编号", "客户名称", "客户性质", "统一社会信用代码", "联系电话", "业务员"],
        ["KH1", "甲公司", "一般公司", "91350100M000100Y43", 13812345678.0, "张伟"],
        ["KH1", "乙公司", "公司", "91350100M000100Y44", "123", None],
        ["KH3", "丙", "个人", None, None, "李娜"],
    ]
    book = _Book({"客户档案": customers, "校验结果": [["旧结果"]]})
    lite.validate_customers(book)
    out = book.get("校验结果").written
    assert out[0] == ["工作表", "行", "列", "字段", "值", "级别", "代码", "说明"]
    assert [(r[1], r[2], r[6]) for r in out[1:]] == [
        (4, "F", "missing-value"), (4, "C", "bad-enum"), (4, "D", "bad-uscc"), (4, "E", "bad-phone"),
        (4, "A", "duplicate-id")]
    assert [s.name for s in book] == ["客户档案", "校验结果"]
    lite.validate_customers(_Book({"Sheet1": [[None]]}))


def test_customer_balances_script(lite: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    book = _Book({"销售": [["销售明细"], *SALES], "收款": RECEIPTS})
    lite.customer_balances(book)
    out = book.get("余额速览").written
    expected = wf.balance([[r[0]] for r in out[1:]], SALES, RECEIPTS)
    assert out[0] == ["客户编号", "应收余额", "预收余额"]
    assert [r[1:] for r in out[1:]] == expected
