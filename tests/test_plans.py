"""Plans over any period (spec v1.1 §2 "目标 in v1.1", §3 "Plans", §5 ``summary --quarter/--year``).

The hand book's plans (销售目标):

* 张三: months 2026-10/11/12 at 1,000.00 each and no 2026Q4 row → Q4 target 3,000.00 (a quarter
  without its own row); sub-targets for 2026Q4: product A 1,500.00 and 省份 江苏 800.00.
* 李四: a 2026Q4 row 2,000.00 (a quarter with its own row); 2026Q1 500.00; month 2026-04 100.00
  → year 2026 = 500 + 100 (Q2 from its months) + 2,000 = 2,600.00.
* 王五: 2026Q1 600.00, months 2026-04/05/06 at 100.00, 2026Q4 1,000.00 → year 1,900.00 (a year
  made of quarters made of months; Q3 has nothing and adds nothing).
* 赵六: year 2026 5,000.00 and four quarter rows of 1,000.00 → ``plan-mismatch`` (4,000.00).
* 钱七: 2026Q1 900.00 with months 300 + 300 + 400 → ``plan-mismatch`` (1,000.00).

Sales: S1 2026-10-01 C001 (张三, 浙江) A 1,000.00; S2 11-02 C001 B 500.00; S4 12-02 C002 (李四's
customer, 江苏) A 700.00 sold by 张三 (line 业务员); S3 03-03 C002 A 300.00; S5 05-10 C003 (王五)
200.00; S6 11-11 C003 400.00.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from salesxl import api
from salesxl.core.findings import Code
from salesxl.core.periods import Period, parse_period
from salesxl.errors import BadArguments
from salesxl.io.reading import read_book
from test_ledger import write_book

pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")

D = dt.date
T = [["月份", "业务员", "销售目标", "产品", "省份"]]
PLAN: dict[str, list[list[Any]]] = {
    "客户档案": [["客户编号", "客户名称", "客户性质", "业务员", "省份"],
             ["C001", "甲", "个人", "张三", "浙江"], ["C002", "乙", "个人", "李四", "江苏省"],
             ["C003", "丙", "个人", "王五", "上海"]],
    "业务员": [["业务员", "提成比例"], ["张三", None], ["李四", None], ["王五", None], ["赵六", None], ["钱七", None]],
    "销售": [["日期", "单号", "客户编号", "产品", "数量", "单价", "金额", "业务员"],
           [D(2026, 10, 1), "S1", "C001", "A", 1, 1000, 1000, None],
           [D(2026, 11, 2), "S2", "C001", "B", 1, 500, 500, None],
           [D(2026, 12, 2), "S4", "C002", "A", 1, 700, 700, "张三"],
           [D(2026, 3, 3), "S3", "C002", "A", 1, 300, 300, None],
           [D(2026, 5, 10), "S5", "C003", "A", 1, 200, 200, None],
           [D(2026, 11, 11), "S6", "C003", "A", 1, 400, 400, None]],
    "收款": [["日期", "单号", "客户编号", "金额", "类型"], [D(2026, 11, 5), "R1", "C001", 800, "回款"]],
    "目标": T + [
        ["2026-10", "张三", 1000, None, None], ["2026年11月", "张三", 1000, None, None],
        [D(2026, 12, 15), "张三", 1000, None, None],
        ["2026Q4", "张三", 1500, "A", None], ["2026年第4季度", "张三", 800, None, "江苏"],
        ["2026-Q4", "李四", 2000, None, None], ["2026年一季度", "李四", 500, None, None],
        ["2026-04", "李四", 100, None, None],
        ["2026Q1", "王五", 600, None, None], ["2026-04", "王五", 100, None, None],
        ["2026-05", "王五", 100, None, None], ["2026-06", "王五", 100, None, None],
        ["2026q4", "王五", 1000, None, None],
        [2026, "赵六", 5000, None, None], ["2026Q1", "赵六", 1000, None, None],
        ["2026Q2", "赵六", 1000, None, None], ["2026Q3", "赵六", 1000, None, None],
        ["2026年四季度", "赵六", 1000, None, None],
        ["2026Q1", "钱七", 900, None, None], ["2026-01", "钱七", 300, None, None],
        ["2026-02", "钱七", 300, None, None], ["2026-03", "钱七", 400, None, None],
    ],
}


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_book(tmp_path_factory.mktemp("plans") / "plan.xlsx", PLAN)


@pytest.mark.parametrize(("text", "key"), [
    ("2026Q4", "2026Q4"), ("2026-Q4", "2026Q4"), ("2026年第4季度", "2026Q4"), ("2026年四季度", "2026Q4"),
    ("２０２６ｑ１", "2026Q1"), ("2026", "2026"), ("2026年", "2026"), ("2026-10", "2026-10"),
    ("2026年10月", "2026-10"),
])
def test_period_forms(text: str, key: str) -> None:
    assert parse_period(text).key == key


def test_period_arithmetic() -> None:
    q = Period.quarter(2026, 4)
    assert (q.first_day, q.last_day) == (D(2026, 10, 1), D(2026, 12, 31))
    assert [p.key for p in Period.of_year(2026).parts()] == ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    assert [p.key for p in q.parts()] == ["2026-10", "2026-11", "2026-12"]
    assert q.shifted(1).key == "2027Q1" and Period.month(2026, 1).shifted(-1).key == "2025-12"


def test_reader_keeps_the_period(book: Path) -> None:
    t = read_book(book, sheets=["目标"])["目标"].frame
    keys = t["_period"].tolist()
    assert keys[:3] == ["2026-10", "2026-11", "2026-12"]  # a date cell is its month
    assert keys[13] == "2026"  # the number 2026 is a year, never the serial 2026 (1905-07-18)
    assert str(t["月份"][13].date()) == "2026-01-01"  # 月份 stays the period's first day


def test_plan_mismatch(book: Path) -> None:
    found = [f for f in api.validate(book, as_of=D(2026, 12, 31)).findings if f.code is Code.PLAN_MISMATCH]
    assert [(f.row, f.column, f.value, f.params["total"]) for f in found] == [
        (15, "C", "5000.00", "4000.00"), (20, "C", "900.00", "1000.00")]
    assert all(f.severity.value == "warning" for f in found)
    # A sub-target is no duplicate of the total for the same period.
    assert not [f for f in api.validate(book, as_of=D(2026, 12, 31)).findings if f.code is Code.DUPLICATE_ID]


def _doc(book: Path, *args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "salesxl", "summary", str(book), *args, "--json"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_quarter_with_and_without_its_own_row(book: Path) -> None:
    doc = _doc(book, "--quarter", "2026Q4")
    assert doc["period"] == "2026Q4" and "month" not in doc
    assert doc["sales"] == "2600.00" and doc["collections"] == "800.00"
    people = {p["salesperson"]: p for p in doc["by_salesperson"]}
    assert (people["张三"]["sales"], people["张三"]["target"], people["张三"]["attainment"]) == \
        ("2200.00", "3000.00", 0.7333)  # months 1,000 × 3, no Q4 row
    assert (people["李四"]["sales"], people["李四"]["target"]) == ("0.00", "2000.00")  # its own row
    assert (people["王五"]["sales"], people["王五"]["target"]) == ("400.00", "1000.00")
    assert people["赵六"]["target"] == "1000.00" and people["钱七"]["target"] is None


def test_year_made_of_quarters_made_of_months(book: Path) -> None:
    doc = _doc(book, "--year", "2026")
    assert doc["period"] == "2026" and doc["sales"] == "3100.00"
    people = {p["salesperson"]: p for p in doc["by_salesperson"]}
    assert (people["王五"]["sales"], people["王五"]["target"], people["王五"]["attainment"]) == \
        ("600.00", "1900.00", 0.3158)
    assert (people["李四"]["sales"], people["李四"]["target"]) == ("300.00", "2600.00")
    assert people["赵六"]["target"] == "5000.00"  # the year's own row wins over its parts
    assert people["钱七"]["target"] == "900.00"  # the Q1 row wins over its months


def test_month_unchanged(book: Path) -> None:
    doc = _doc(book, "--month", "2026-10")
    assert doc["month"] == "2026-10" and "period" not in doc
    people = {p["salesperson"]: p for p in doc["by_salesperson"]}
    assert people["张三"]["target"] == "1000.00"  # neither the Q4 sub-targets nor any quarter count
    assert people["李四"]["target"] is None


def test_sub_targets_and_trend(book: Path) -> None:
    s = api.summary(book, quarter="2026Q4")
    subs = {(r.product, r.region): (r.target, r.sales, r.attainment) for r in s.sub_targets.itertuples()}
    assert subs == {("A", None): (150000, 170000, 1.1333), (None, "江苏省"): (80000, 70000, 0.875)}
    t = s.trend
    assert [str(m) for m in t["month"]] == ["2026-10-01", "2026-11-01", "2026-12-01"]
    assert list(t["sales"]) == [100000, 90000, 70000] and list(t["target"]) == [100000, 100000, 100000]


def test_report_titles_and_chart(book: Path, tmp_path: Path) -> None:
    q = api.summary(book, quarter="2026Q4", out=tmp_path)
    assert q.written is not None and q.written.name == "季报-2026Q4.xlsx"
    y = api.summary(book, year=2026, out=tmp_path)
    assert y.written is not None and y.written.name == "年报-2026.xlsx"
    ws = openpyxl.load_workbook(q.written)["概览"]
    assert str(ws["A1"].value).startswith("2026年第4季度销售季报")
    assert openpyxl.load_workbook(y.written)["概览"]["A1"].value.startswith("2026年销售年报")
    cells = [c.value for row in ws.iter_rows() for c in row]
    assert "本期各月销售与目标" in cells and "销售目标" in cells


@pytest.mark.parametrize("args", [["--quarter", "2026"], ["--year", "2026Q4"], ["--quarter", "2026Q5"],
                                  ["--month", "2026-10", "--year", "2026"]])
def test_bad_periods_exit_2(book: Path, args: list[str]) -> None:
    done = subprocess.run([sys.executable, "-m", "salesxl", "summary", str(book), *args, "--json"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_library_refuses_two_periods(book: Path) -> None:
    with pytest.raises(BadArguments):
        api.summary(book, month="2026-10", quarter="2026Q4")
