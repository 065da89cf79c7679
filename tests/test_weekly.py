"""周报 (issue 18): ISO weeks, each figure by hand, the JSON, the workbook.

2026-W44 is 2026-10-26 (Mon) … 11-01 (Sun): it spans two months and belongs to October (its
Thursday, 10-29).  张三's week: sales S1 1,000.00 (10-26) + S2 500.00 (11-01) + S3 700.00 (10-30,
李四's customer but sold by 张三) = 2,200.00; October to the week's end: S0 400.00 + S1 + S3 =
2,100.00; target 2026-10 10,000.00 → week share 0.22, month to date 0.21.  Collections (by the
customer's 业务员): C001 回款 800.00 − 退款 100.00 = 700.00; 李四 C002 预收 50.00.  Visits: 4 (C001
twice, the prospect 新客A by name, C003 which has never traded) → 3 customers, 2 prospects.
Contracts: HT1 5,000.00 on 10-27.  Next steps due 11-02 … 11-08: 张三's "11月3日送合同" and the
undated "再约" written this week; 李四's "2026/11/6 送样" written on 10-20; not "2026-11-20 回访".

2026-W53 (2026-12-28 … 2027-01-03) exists and crosses the year; 2025-W53 does not.
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
from salesxl.core.weekly import next_step_due, parse_week
from salesxl.errors import BadArguments
from test_ledger import write_book

D = dt.date
WEEK: dict[str, list[list[Any]]] = {
    "客户档案": [["客户编号", "客户名称", "客户性质", "业务员"], ["C001", "甲", "个人", "张三"],
             ["C002", "乙", "个人", "李四"], ["C003", "丙", "个人", "张三"]],
    "业务员": [["业务员", "片区"], ["张三", "东"], ["李四", "西"]],
    "销售": [["日期", "单号", "客户编号", "产品", "数量", "单价", "金额", "业务员"],
           [D(2026, 10, 26), "S1", "C001", "A", 1, 1000, 1000, None],
           [D(2026, 10, 20), "S0", "C001", "A", 1, 400, 400, None],
           [D(2026, 11, 1), "S2", "C001", "B", 1, 500, 500, None],
           [D(2026, 10, 30), "S3", "C002", "A", 1, 700, 700, "张三"],
           [D(2026, 11, 2), "S4", "C002", "A", 1, 300, 300, None],
           [D(2026, 12, 30), "S7", "C001", "A", 1, 100, 100, None],
           [D(2027, 1, 2), "S8", "C001", "A", 1, 50, 50, None]],
    "收款": [["日期", "单号", "客户编号", "金额", "类型"], [D(2026, 10, 28), "R1", "C001", 800, "回款"],
           [D(2026, 10, 29), "R2", "C001", 100, "退款"], [D(2026, 10, 29), "R3", "C002", 50, "预收"]],
    "拜访": [["日期", "业务员", "客户编号", "客户名称", "方式", "内容", "下次计划"],
           [D(2026, 10, 26), "张三", "C001", None, "上门", "谈续约", "11月3日送合同"],
           [D(2026, 10, 27), "张三", "C001", None, "电话", "跟进", None],
           [D(2026, 10, 28), "张三", None, "新客A", "上门", "初访", "再约"],
           [D(2026, 10, 29), "张三", "C003", None, "上门", "介绍", "2026-11-20 回访"],
           [D(2026, 10, 20), "李四", "C002", None, "上门", "x", "2026/11/6 送样"],
           [D(2026, 11, 2), "李四", "C002", None, "上门", "x", None]],
    "合同": [["合同编号", "签订日期", "客户编号", "合同金额"], ["HT1", D(2026, 10, 27), "C001", 5000],
           ["HT2", D(2026, 11, 2), "C002", 900]],
    "目标": [["月份", "业务员", "销售目标"], ["2026-10", "张三", 10000], ["2026-11", "张三", 9999],
           ["2026Q4", "李四", 3000]],
}


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_book(tmp_path_factory.mktemp("weekly") / "week.xlsx", WEEK)


def test_iso_weeks() -> None:
    assert parse_week("2026-W44") == ("2026-W44", D(2026, 10, 26), D(2026, 11, 1))
    assert parse_week("2026w1") == ("2026-W01", D(2025, 12, 29), D(2026, 1, 4))
    assert parse_week("2026-W53") == ("2026-W53", D(2026, 12, 28), D(2027, 1, 3))
    with pytest.raises(BadArguments, match="2025 年没有第 53 周"):
        parse_week("2025-W53")
    with pytest.raises(BadArguments):
        parse_week("2026-10")


def test_next_step_dates() -> None:
    visited = D(2026, 10, 26)
    assert next_step_due("11月3日送合同", visited) == D(2026, 11, 3)
    assert next_step_due("2026/11/6 送样", visited) == D(2026, 11, 6)
    assert next_step_due("1-5 回访", D(2026, 12, 30)) == D(2027, 1, 5)  # no year: the next one
    assert next_step_due("再约", visited) is None


def test_week_spanning_two_months(book: Path) -> None:
    doc = api.weekly(book, week="2026-W44").to_json()
    assert (doc["week"], doc["from"], doc["to"], doc["month"]) == ("2026-W44", "2026-10-26", "2026-11-01", "2026-10")
    zs, ls = doc["salespeople"]
    assert zs["salesperson"] == "张三" and ls["salesperson"] == "李四"
    assert {k: zs[k] for k in ("visits", "customers_visited", "prospects_visited", "contracts_signed",
                               "contract_amount", "sales", "collections", "month_target", "month_sales",
                               "week_share", "month_to_date")} == {
        "visits": 4, "customers_visited": 3, "prospects_visited": 2, "contracts_signed": 1,
        "contract_amount": "5000.00", "sales": "2200.00", "collections": "700.00", "month_target": "10000.00",
        "month_sales": "2100.00", "week_share": 0.22, "month_to_date": 0.21}
    assert [(s["customer"], s["due"]) for s in zs["next_steps"]] == [("C001", "2026-11-03"), ("新客A", None)]
    assert (ls["visits"], ls["collections"], ls["month_target"], ls["week_share"]) == (0, "50.00", None, None)
    assert [s["due"] for s in ls["next_steps"]] == ["2026-11-06"]
    assert doc["team"]["collections"] == "750.00" and doc["team"]["sales"] == "2200.00"


def test_year_boundary_week(book: Path) -> None:
    doc = api.weekly(book, week="2026-W53").to_json()
    assert (doc["from"], doc["to"], doc["month"]) == ("2026-12-28", "2027-01-03", "2026-12")
    zs = doc["salespeople"][0]
    assert zs["sales"] == "150.00" and zs["month_sales"] == "100.00"  # December stops at 12-31


def test_cli_json_and_bad_week(book: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "salesxl", "weekly", str(book), *args],
                              capture_output=True, text=True, timeout=120)

    done = run("--week", "2026-W44", "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["team"]["visits"] == 4
    bad = run("--week", "2025-W53", "--json")
    assert bad.returncode == 2 and bad.stdout == "" and bad.stderr.count("\n") == 1
    assert "2025 年没有第 53 周" in bad.stderr


def test_workbook_sheets(book: Path, tmp_path: Path) -> None:
    rep = api.weekly(book, week="2026-W44", out=tmp_path)
    assert rep.written is not None and rep.written.name == "周报-2026-W44.xlsx"
    wb = openpyxl.load_workbook(rep.written)
    assert wb.sheetnames == ["团队", "张三", "李四"]
    team = [[c.value for c in r] for r in wb["团队"].iter_rows(min_row=5, max_row=7)]
    assert team[0][:8] == ["张三", 4, 3, 2, 1, 5000, 2200, 700] and team[2][0] == "合计"
    assert wb["团队"].print_title_rows == "$4:$4"  # the header repeated on every page
