"""月度汇总 (spec §3 "Monthly summary", §5 ``summary``): a hand-computed book checked through the
real command (``--json`` and the cells of the written 月报), the demo held to the ledger and the
classification, an empty month, and LibreOffice opening the report.

The hand book (month 2026-03, D = 2026-03-31) is small enough to follow on paper:

* sales in M: C001 1,000.00 (line 业务员 blank → 张三) and 1,002.50 (数量 × 单价, line 业务员
  赵六), C002 3,000.00 and a return of 2 typed with a *positive* 300.00 (−300.00, by its 数量),
  C003 200.00 (no 省份), C006 800.00 (comes back after 14 months), C099 100.00 (not on 客户档案)
  — 5,802.50;
* collections in M: C001 回款 3,000.00, C002 预收 500.20 less a 退款 200.00, C005 回款 1,000.00,
  C007 预收 1,000.00 (still a prospect: a receipt is no trade) — 5,300.20;
* levels as of D (net sales 2025-04-01…2026-03-31): C001 5,802.50 and C002 2,700.00 are A, C006
  800.00 is B, C003 and the rest C;
* new: C002, C003 (first sale in M), C004 (typed 首次交易日期 in M), C099 (first sale in M: a
  customer only in 销售 belongs to the same customer universe as the cards); lost: C005 (last sale
  2025-03-15: current on 02-28, past on 03-31); reactivated: C006.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest

from salesxl import api
from salesxl.core import classification, ledger
from salesxl.core.summary import (
    change,
    commission_fen,
    monthly_summary,
    parse_month,
    rate_decimal,
    ratio4,
)
from salesxl.errors import BadArguments
from salesxl.io.reading import read_book
from salesxl.io.report import SHEETS
from test_ledger import write_book

# openpyxl drops the x14 extensions (data bars) XlsxWriter writes, with a warning, when reading back.
pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")

D = dt.date
SALES_HEAD = ["日期", "单号", "客户编号", "产品", "规格", "数量", "单价", "金额", "业务员"]
HAND: dict[str, list[list[Any]]] = {
    "客户档案": [
        ["某某商贸公司客户档案"],
        ["客户编号", "客户名称", "客户性质", "业务员", "省份", "城市", "信用额度", "账期天数", "首次交易日期"],
        ["C001", "甲公司", "一般公司", "张三", "浙江省", "杭州市", 100000, 30, D(2025, 1, 5)],
        ["C002", "乙公司", "一般公司", "李四", "江苏省", "南京市", 0, None, None],
        ["C003", "=丙", "个人", "张三", None, None, None, None, None],  # a name that looks like a formula
        ["C004", "丁公司", "一般公司", "王五", "浙江省", "宁波市", 0, 30, D(2026, 3, 10)],
        ["C005", "戊公司", "一般公司", "李四", "上海市", "上海市", 0, 30, None],
        ["C006", "己公司", "一般公司", "张三", "浙江省", "温州市", 0, 30, None],
        ["C007", "庚公司", "一般公司", "王五", "浙江省", "杭州市", 0, 30, None],
    ],
    "销售": [
        SALES_HEAD,
        [D(2025, 1, 5), "XS030", "C001", "钢材", "Φ12", 5, 100, 500, None],
        [D(2025, 1, 10), "XS040", "C006", "水泥", "P.O42.5", 5, 200, 1000, None],
        [D(2025, 3, 15), "XS050", "C005", "钢材", "Φ12", 10, 100, 1000, None],
        [D(2025, 12, 15), "XS085", "C001", "钢材", "Φ12", 8, 100, 800, None],
        [D(2026, 2, 10), "XS090", "C001", "钢材", "Φ16", 20, 150, 3000, None],
        # month M
        [D(2026, 3, 2), "XS101", "C001", "钢材", "Φ12", 10, 100, 1000, None],
        [D(2026, 3, 5), "XS102", "C001", "水泥", "P.O42.5", 5, 200.5, None, "赵六"],
        [D(2026, 3, 6), "XS103", "C002", "钢材", "Φ16", 20, 150, 3000, None],
        [D(2026, 3, 8), "XS104", "C003", "钢材", "Φ12", 2, 100, 200, None],
        [D(2026, 3, 20), "TH101", "C002", "钢材", "Φ16", -2, 150, 300, None],  # a return typed positive
        [D(2026, 3, 5), "XS105", "C006", "水泥", "P.O42.5", 4, 200, 800, None],
        [D(2026, 3, 25), "XS106", "C099", "钢材", "Φ12", 1, 100, 100, None],
        # after D
        [D(2026, 4, 2), "XS200", "C001", "钢材", "Φ12", 1, 9999, 9999, None],
    ],
    "收款": [
        ["日期", "单号", "客户编号", "金额", "类型", "方式"],
        [D(2025, 3, 20), "SK050", "C006", 1000, "回款", "转账"],
        [D(2026, 2, 20), "SK090", "C001", 500, "回款", "转账"],
        [D(2026, 3, 12), "SK100", "C007", 1000, "预收", "转账"],
        [D(2026, 3, 15), "SK101", "C001", 3000, "回款", "转账"],
        [D(2026, 3, 20), "SK102", "C002", 500.2, "预收", "转账"],
        [D(2026, 3, 28), "SK103", "C005", 1000, "回款", "转账"],
        [D(2026, 3, 30), "TK101", "C002", 200, "退款", "转账"],
    ],
    "拜访": [
        ["日期", "业务员", "客户编号", "客户名称", "方式"],
        [D(2026, 2, 15), "张三", "C001", None, "上门"],
        [D(2026, 3, 3), "张三", "C001", None, "上门"],
        [D(2026, 3, 10), "张三", "C006", None, "电话"],
        [D(2026, 3, 12), "李四", "C002", None, "上门"],
        [D(2026, 3, 31), "王五", None, "某潜在客户", "上门"],
    ],
    "费用": [
        ["日期", "业务员", "类别", "金额", "说明"],
        [D(2026, 2, 11), "张三", "差旅", 999, None],
        [D(2026, 3, 5), "张三", "差旅", 800, None],
        [D(2026, 3, 18), "张三", "招待", 450.5, None],
        [D(2026, 3, 9), "李四", "差旅", 1200, None],
        [D(2026, 3, 20), None, "办公", 300, "公司公用"],
    ],
    "目标": [
        ["月份", "业务员", "销售目标", "回款目标", "费用预算"],
        ["2026-03", "张三", 6000, 4000, 1000],
        ["2026年3月", "李四", 0, 2000, 1500],  # a zero target: attainment null, not an error
        [D(2026, 3, 15), "王五", None, 800, None],  # a date in the month; no sales target
        ["2026-02", "张三", 9999, 9999, 9999],
        ["2026-03", "张三", 1, 1, 1],  # a repeat (the validator's duplicate-id): the first row counts
    ],
    "业务员": [
        ["业务员", "片区", "提成比例"],
        ["张三", "浙北", 0.03],
        ["李四", "苏南", "2.5%"],
        ["钱七", "浙东", 0.01],  # no activity: still listed
    ],
}

EXPECTED_PEOPLE = [
    {"salesperson": "张三", "sales": "2000.00", "target": "6000.00", "attainment": 0.3333,
     "collections": "3000.00", "commission": "90.00", "expenses": "1250.50", "expense_budget": "1000.00"},
    # 1,300.20 × 2.5% = 32.505 → 32.51 (half-up)
    {"salesperson": "李四", "sales": "2700.00", "target": "0.00", "attainment": None,
     "collections": "1300.20", "commission": "32.51", "expenses": "1200.00", "expense_budget": "1500.00"},
    {"salesperson": "钱七", "sales": "0.00", "target": None, "attainment": None,
     "collections": "0.00", "commission": "0.00", "expenses": "0.00", "expense_budget": None},
    {"salesperson": "王五", "sales": "0.00", "target": None, "attainment": None,
     "collections": "1000.00", "commission": "0.00", "expenses": "0.00", "expense_budget": None},
    {"salesperson": "赵六", "sales": "1002.50", "target": None, "attainment": None,
     "collections": "0.00", "commission": "0.00", "expenses": "0.00", "expense_budget": None},
    {"salesperson": None, "sales": "100.00", "target": None, "attainment": None,
     "collections": "0.00", "commission": "0.00", "expenses": "300.00", "expense_budget": None},
]

EXPECTED_JSON = {
    "month": "2026-03",
    "sales": "5802.50",
    "collections": "5300.20",
    "receivable": "6302.30",
    "prepaid": "1000.00",
    "new_customers": 4,
    "by_level": {"A": "4702.50", "B": "800.00", "C": "300.00"},
    "by_product": {"钢材": "4000.00", "水泥": "1802.50"},
    "by_region": {"浙江省": "2802.50", "江苏省": "2700.00", "未填省份": "300.00"},
    "by_salesperson": EXPECTED_PEOPLE,
}


def salesxl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from salesxl.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=120)


def string_cell(path: Path, sheet: str, ref: str, text: str) -> None:
    """Put ``text`` into a cell as a string even when it starts with ``=`` (openpyxl would make
    it a formula)."""
    wb = openpyxl.load_workbook(path)
    cell = wb[sheet][ref]
    cell.value = text
    cell.data_type = "s"
    wb.save(path)


@pytest.fixture(scope="module")
def hand(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = write_book(tmp_path_factory.mktemp("hand") / "台账.xlsx", HAND)
    string_cell(path, "客户档案", "B5", "=丙")
    return path


@pytest.fixture(scope="module")
def ran(hand: Path) -> tuple[dict[str, Any], Path]:
    """``salesxl summary --json --out``: the document and the report, from one real process."""
    report = hand.parent / "out" / "月报-2026-03.xlsx"
    done = salesxl("summary", str(hand), "--month", "2026-03", "--json", "--out", str(report))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), report


# ---------------------------------------------------------------------------------------------
# The hand book through the real command


def test_json_document_is_the_hand_computed_one(ran: tuple[dict[str, Any], Path]) -> None:
    doc, _ = ran
    assert doc == EXPECTED_JSON
    assert list(doc) == list(EXPECTED_JSON)  # the spec's keys, in its order
    assert isinstance(doc["new_customers"], int)


def test_composition_tables_add_up_to_the_month(ran: tuple[dict[str, Any], Path]) -> None:
    doc, _ = ran
    sales = float(doc["sales"])
    for key in ("by_level", "by_product", "by_region"):
        assert sum(float(v) for v in doc[key].values()) == pytest.approx(sales, abs=1e-9), key
    assert sum(float(p["sales"]) for p in doc["by_salesperson"]) == pytest.approx(sales, abs=1e-9)
    assert sum(float(p["collections"]) for p in doc["by_salesperson"]) == pytest.approx(5300.20, abs=1e-9)


def sheet_rows(ws: Any) -> list[list[Any]]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def row_of(ws: Any, label: Any, col: int = 0, after: int = 0) -> list[Any]:
    """The first row from ``after`` whose column ``col`` holds ``label``."""
    for i, r in enumerate(sheet_rows(ws)):
        if i >= after and r[col] == label:
            return r
    raise AssertionError(f"{label!r} not found in column {col} of {ws.title}")


def totals(ws: Any, col: int = 0) -> list[list[Any]]:
    return [r for r in sheet_rows(ws) if r[col] == "合计"]


def test_report_cells_match_the_hand_figures(ran: tuple[dict[str, Any], Path]) -> None:
    _, report = ran
    wb = openpyxl.load_workbook(report)
    assert wb.sheetnames == list(SHEETS)

    kpi = wb["概览"]
    #                      label            本月      上月     去年同月
    for label, now, before, year_ago in (
        ("销售额", 5802.5, 3000, 1000),
        ("回款额", 5300.2, 500, 1000),
        ("应收余额（月末）", 6302.3, 4800, 1500),  # 2025-03-31: XS030 500.00 and XS050 1,000.00 open
        ("预收余额（月末）", 1000, 0, 0),
        ("逾期金额（月末）", 1000, 1800, 500),  # XS030 due 2025-02-04
        ("新客户数", 4, 0, 1),  # C002 C003 C004 C099; C005 first bought in 2025-03
        ("流失客户数", 1, 0, 0),
        ("回流客户数", 1, 0, 0),
        ("拜访次数", 4, 1, 0),
        ("费用", 2750.5, 999, 0),
    ):
        r = row_of(kpi, label)
        assert (r[1], r[2], r[5]) == (now, before, year_ago), label
    sales = row_of(kpi, "销售额")
    assert sales[3] == pytest.approx(2802.5) and sales[4] == pytest.approx(2802.5 / 3000)
    assert row_of(kpi, "流失客户数")[4] is None or row_of(kpi, "流失客户数")[4] == "—"  # no base: no ratio

    level = wb["等级构成"]
    assert [row_of(level, g)[5] for g in "ABC"] == [4702.5, 800, 300]
    assert [row_of(level, g)[2] for g in "ABC"] == [2, 1, 5]  # customers per level (C: C003 C004 C005 C007 C099)
    assert totals(level)[0][5] == 5802.5

    product = wb["产品构成"]
    assert row_of(product, "钢材", col=1)[3] == 4000 and row_of(product, "水泥", col=1)[3] == 1802.5
    region = wb["区域构成"]
    assert row_of(region, "浙江省", col=1)[3] == 2802.5 and row_of(region, "未填省份", col=1)[3] == 300
    for ws in (product, region):  # by product, by product and spec; by province, by city
        assert [5802.5 in t for t in totals(ws)] == [True, True], ws.title

    people = wb["业务员业绩"]
    zhang = row_of(people, "张三", col=1)
    assert zhang[2:8] == [2000, 6000, 0.3333, 3000, 4000, 0.75] and zhang[9] == 90
    li = row_of(people, "李四", col=1)
    assert li[2] == 2700 and li[3] == 0 and li[4] is None and li[9] == 32.51 and li[8] == 0.025
    assert row_of(people, "（未指定）", col=1)[2] == 100
    assert totals(people)[0][2] == 5802.5 and totals(people)[0][5] == 5300.2

    spend = wb["费用分析"]
    head = row_of(spend, "业务员")
    zhang = dict(zip(head, row_of(spend, "张三"), strict=True))
    assert zhang["差旅"] == 800 and zhang["招待"] == 450.5 and zhang["费用合计"] == 1250.5
    assert zhang["费用预算"] == 1000 and zhang["状态"] == "超预算"
    assert dict(zip(head, row_of(spend, "李四"), strict=True))["状态"] is None
    assert dict(zip(head, totals(spend)[0], strict=True))["费用合计"] == 2750.5

    credit = wb["信用分析"]
    assert row_of(credit, "0-30 天", col=1)[2] == 5502.3 and row_of(credit, "31-60 天", col=1)[2] == 800
    assert totals(credit, col=1)[0][2] == 6302.3
    assert [row_of(credit, g, col=1)[3] for g in ("A", "B", "—")] == [5, 2, 1]  # C007: a prospect
    assert totals(credit, col=1)[1][4:6] == [6302.3, 1000]  # the grade mix adds up to the receivable
    top = row_of(credit, 1)
    assert top[1:8] == ["C001", "甲公司", "张三", 2802.5, 800, 19, "B"]
    assert row_of(credit, 2)[1:8] == ["C002", "乙公司", "李四", 2399.8, 200, 1, "B"]

    moves = wb["客户动态"]
    kinds = {(r[0], r[1]) for r in sheet_rows(moves) if r[0] in ("新客户", "回流客户", "流失客户")}
    assert kinds == {("新客户", "C002"), ("新客户", "C003"), ("新客户", "C004"), ("新客户", "C099"),
                     ("回流客户", "C006"), ("流失客户", "C005")}
    assert row_of(moves, "C099", col=1)[2] == "档案外客户"
    assert row_of(moves, "C003", col=1)[2] == "=丙"


def test_report_writes_numbers_strings_and_formats(ran: tuple[dict[str, Any], Path]) -> None:
    _, report = ran
    wb = openpyxl.load_workbook(report)
    name = next(c for row in wb["客户动态"].iter_rows() for c in row if c.value == "=丙")
    assert name.data_type == "s"  # a user's text never becomes a formula
    for ws in wb.worksheets:
        assert ws.freeze_panes is not None, ws.title
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize in (9, "9"), ws.title
        assert ws.print_title_rows, ws.title
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate)  # numbers and strings only
    amount = next(c for row in wb["概览"].iter_rows() for c in row if c.value == 5802.5)
    assert amount.data_type == "n" and amount.number_format == "#,##0.00"
    share = row_of(wb["产品构成"], "钢材", col=1)
    assert share[4] == pytest.approx(4000 / 5802.5)
    cell = next(c for row in wb["业务员业绩"].iter_rows() for c in row if c.value == 0.3333)
    assert cell.number_format == "0.0%"
    assert wb["业务员业绩"].conditional_formatting and wb["费用分析"].conditional_formatting
    assert wb["概览"]._charts and wb["信用分析"]._charts and wb["等级构成"]._charts


# ---------------------------------------------------------------------------------------------
# The library, the rules and the edge cases


def test_library_matches_the_command_and_the_ledger(hand: Path, ran: tuple[dict[str, Any], Path]) -> None:
    doc, _ = ran
    result = api.summary(hand, month="2026-03")
    assert result.to_json() == doc and result.written is None and result.findings == []
    book = read_book(hand)
    ledger_d = ledger.offset(book, as_of=D(2026, 3, 31))
    with_ledger = monthly_summary(book, D(2026, 3, 17), ledger_result=ledger_d)
    assert with_ledger.to_json() == doc
    pd.testing.assert_frame_equal(with_ledger.aging, result.aging)
    pd.testing.assert_frame_equal(with_ledger.overdue_top, result.overdue_top)
    assert result.overdue == 100000 and result.lost_customers == 1 and result.reactivated_customers == 1
    assert result.unknown_customer_sales == 10000
    with pytest.raises(ValueError):
        monthly_summary(book, D(2026, 2, 1), ledger_result=ledger_d)


def test_empty_month_gives_a_valid_report(hand: Path, tmp_path: Path) -> None:
    result = api.summary(hand, month="2026-06", out=tmp_path)  # a folder: the default name inside
    assert result.written == tmp_path / "月报-2026-06.xlsx"
    doc = result.to_json()
    assert doc["sales"] == "0.00" and doc["collections"] == "0.00" and doc["new_customers"] == 0
    assert doc["by_level"] == {"A": "0.00", "B": "0.00", "C": "0.00"}
    assert doc["by_product"] == {} and doc["by_region"] == {}
    assert [p["salesperson"] for p in doc["by_salesperson"]] == ["张三", "李四", "钱七"]
    assert all(p["attainment"] is None and p["target"] is None for p in doc["by_salesperson"])
    assert doc["receivable"] == "16301.30"  # XS200 (2026-04-02, 9,999.00) is owed too
    wb = openpyxl.load_workbook(result.written)
    assert wb.sheetnames == list(SHEETS)
    assert totals(wb["产品构成"])[0][3] == 0 and totals(wb["等级构成"])[0][5] == 0


def test_book_without_optional_sheets(tmp_path: Path) -> None:
    bare = {k: HAND[k] for k in ("客户档案", "销售", "收款")}
    path = write_book(tmp_path / "bare.xlsx", bare)
    doc = api.summary(path, month=D(2026, 3, 1)).to_json()
    assert doc["sales"] == "5802.50"
    people = {p["salesperson"]: p for p in doc["by_salesperson"]}
    assert set(people) == {"张三", "李四", "王五", "赵六", None}  # from the lines and cards only
    assert all(p["target"] is None and p["commission"] == "0.00" for p in people.values())


def test_missing_receipts_sheet_exits_1_and_bad_month_exits_2(tmp_path: Path) -> None:
    path = write_book(tmp_path / "no-receipts.xlsx", {k: HAND[k] for k in ("客户档案", "销售")})
    done = salesxl("summary", str(path), "--month", "2026-03", "--json")
    assert done.returncode == 1, done.stderr
    assert json.loads(done.stdout)["collections"] == "0.00"
    for bad in ("2026-13", "march", "2026"):
        done = salesxl("summary", str(path), "--month", bad)
        assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    done = salesxl("summary", str(path))
    assert done.returncode == 2 and "--month" in done.stderr
    assert not list(tmp_path.glob("月报-*"))  # nothing written on a bad argument


def test_default_report_beside_the_book(hand: Path, tmp_path: Path) -> None:
    book = tmp_path / hand.name
    shutil.copy(hand, book)
    done = salesxl("summary", str(book), "--month", "2026年3月", "--lang", "en")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "月报-2026-03.xlsx").exists() and "Sales" in done.stdout
    assert salesxl("summary", str(book), "--month", "2026-03", "--out", str(book)).returncode == 2


def test_small_rules() -> None:
    assert parse_month("2026-3") == D(2026, 3, 1) == parse_month("2026年3月") == parse_month(D(2026, 3, 31))
    with pytest.raises(BadArguments):
        parse_month("2026-00")
    assert ratio4(1, 3) == 0.3333 and ratio4(2, 3) == 0.6667 and ratio4(5, 0) is None and ratio4(5, None) is None
    assert ratio4(100050, 1000000) == 0.1001 and ratio4(100049, 1000000) == 0.1  # half-up, exactly
    rate = rate_decimal(0.025)
    assert commission_fen(130020, rate) == 3251 and commission_fen(-130020, rate) == -3251
    assert commission_fen(100, None) == 0 and rate_decimal(float("nan")) is None
    assert change(120, 100) == pytest.approx(0.2) and change(1, 0) is None


# ---------------------------------------------------------------------------------------------
# The demo: the summary agrees with the ledger and the classification


@pytest.fixture(scope="module")
def demo_book(tmp_path_factory: pytest.TempPathFactory, demo_factory: Callable[..., Path]) -> Any:
    return read_book(demo_factory(tmp_path_factory.mktemp("demo"), clean=True))


@pytest.mark.parametrize("month", [D(2026, 10, 1), D(2026, 2, 1), D(2025, 11, 1)])
def test_demo_summary_agrees_with_ledger_and_classification(demo_book: Any, month: dt.date) -> None:
    s = monthly_summary(demo_book, month)
    end = s.as_of
    prev_end = month - dt.timedelta(days=1)
    now, before = (ledger.offset(demo_book, as_of=d).customers for d in (end, prev_end))
    kpi = s.kpis.set_index("key")
    for key in ("receivable", "prepaid", "overdue"):
        assert kpi.loc[key, "current"] == now[key].sum() and kpi.loc[key, "previous"] == before[key].sum(), key
    assert s.aging["amount"].sum() == s.receivable
    assert list(s.aging["amount"]) == [int(now[label].sum()) for label in s.labels]
    c_now, c_before = (classification.classify_levels_statuses(demo_book, d) for d in (end, prev_end))
    assert dict(c_now["level"].value_counts()) == {r.level: r.customers for r in s.levels.itertuples() if r.customers}
    lost = (c_before["status"].isin(["new", "current"]) & (c_now["status"] == "past")).sum()
    back = ((c_before["status"] == "past") & (c_now["status"] == "current")).sum()
    first = pd.to_datetime(c_now["first_trade"])
    new = ((first.dt.year == month.year) & (first.dt.month == month.month)).sum()
    assert (s.lost_customers, s.reactivated_customers, s.new_customers) == (lost, back, new)
    for frame in (s.levels, s.products, s.product_specs, s.regions, s.cities, s.salespeople):
        assert frame["sales"].sum() == s.sales
    assert s.salespeople["collections"].sum() == s.collections
    assert s.trend["sales"].iloc[-1] == s.sales and s.trend["receivable"].iloc[-1] == s.receivable
    worst = now.set_index("customer_id")["max_overdue_days"]
    assert all(worst[r.customer_id] == r.max_overdue_days for r in s.overdue_top.itertuples())
    assert np.all(np.diff(s.overdue_top["overdue"].to_numpy()) <= 0)


# ---------------------------------------------------------------------------------------------
# LibreOffice


needs_office = pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdfinfo") is None,
    reason="LibreOffice (soffice) or poppler (pdfinfo) is not installed",
)


@needs_office
def test_report_converts_to_pdf_in_libreoffice(ran: tuple[dict[str, Any], Path], hand: Path,
                                               tmp_path: Path) -> None:
    _, report = ran
    empty = api.summary(hand, month="2026-06", out=tmp_path / "月报-2026-06.xlsx").written
    assert empty is not None
    pdf_dir = tmp_path / "pdf"
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}", "--headless",
         "--convert-to", "pdf", "--outdir", str(pdf_dir), str(report), str(empty)],
        check=True, capture_output=True, timeout=180,
    )
    for xlsx in (report, empty):
        pdf = pdf_dir / (xlsx.stem + ".pdf")
        assert pdf.stat().st_size > 10_000
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
        assert pages >= len(SHEETS)  # every sheet printed
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=False).stdout
        if text:
            assert all(f"销售月报 · {title}" in text for title in ("概览", "产品构成", "业务员业绩", "客户动态"))
