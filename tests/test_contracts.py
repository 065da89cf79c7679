"""合同 (spec v1.1 §2 合同, §3 "Contracts", §5 ``contracts``): validation, execution figures by
hand, the JSON through the real command line, the workbook; and (one lean test) the contract,
quarterly and weekly workbooks opened by LibreOffice and converted to PDF.

The hand book, as of 2026-03-31 (参数 合同到期提醒天数 = 20):

* HT1 (C001, 业务员 blank → 张三) 1,200.00, ends 04-15: lines 1,000.00 (03-01), a return −200.00
  (03-02), 500.00 dated 04-02 (after D, not counted) → executed 800.00, remaining 400.00, rate
  0.6667; 执行中, ends within 20 days of D → ``expiring``.
* HT2 (C002, 王五) 200.00: 300.00 executed → remaining −100.00, rate 1.5, ``over-contract``;
  nothing owed, so no flag although it ended 03-20.
* HT3 (C002) 5,000.00 已完成, ended 03-20 → no flag (only 执行中 contracts are flagged).
* HT5 (C001) 1,000.00 ended 03-30, nothing executed → ``overdue``.
* HT4 signed 04-10, after D → not listed.
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

import pytest

from salesxl import api
from salesxl.core.contracts import contract_statistics
from salesxl.core.findings import Code
from test_ledger import write_book

D = dt.date
AS_OF = D(2026, 3, 31)

HAND: dict[str, list[list[Any]]] = {
    "客户档案": [["客户编号", "客户名称", "客户性质", "业务员", "省份"],
             ["C001", "甲", "个人", "张三", "浙江"], ["C002", "乙", "个人", "李四", None]],
    "销售": [["日期", "单号", "客户编号", "产品", "数量", "单价", "金额", "合同编号"],
           [D(2026, 3, 1), "S1", "C001", "A", 1, 1000, 1000, "HT1"],
           [D(2026, 3, 2), "S2", "C001", "A", -1, 200, -200, "HT1"],
           [D(2026, 4, 2), "S4", "C001", "A", 1, 500, 500, "HT1"],
           [D(2026, 3, 3), "S3", "C002", "A", 1, 300, 300, "HT2"],
           [D(2026, 3, 4), "S5", "C002", "A", 1, 10, 10, None],
           [D(2026, 3, 5), "S6", "C001", "A", 1, 10, 10, "HT9"],      # unknown-contract
           [D(2026, 3, 6), "S7", "C001", "A", 1, 10, 10, "HT3"]],     # HT3 is C002's: contract-mismatch
    "合同": [["合同编号", "签订日期", "客户编号", "业务员", "合同金额", "开始日期", "结束日期", "状态"],
           ["HT1", D(2026, 1, 1), "C001", None, 1200, D(2026, 1, 1), D(2026, 4, 15), None],
           ["HT2", D(2026, 2, 10), "C002", "王五", 200, D(2026, 3, 1), D(2026, 3, 20), "执行中"],
           ["HT3", D(2026, 3, 10), "C002", None, 5000, D(2026, 3, 1), D(2026, 3, 20), "已完成"],
           ["HT4", D(2026, 4, 10), "C002", None, 5000, None, None, None],
           ["HT5", D(2026, 3, 15), "C001", None, 1000, D(2026, 3, 15), D(2026, 3, 30), None]],
    "参数": [["名称", "值"], ["合同到期提醒天数", 20]],
}
BAD: dict[str, list[list[Any]]] = {
    "客户档案": HAND["客户档案"],
    "销售": HAND["销售"][:2],
    "合同": [["合同编号", "签订日期", "客户编号", "合同金额", "开始日期", "结束日期"],
           ["HT1", D(2026, 1, 1), "C001", 1200, None, None],
           ["HT1", D(2026, 1, 2), "C001", 100, None, None],                       # duplicate-doc
           ["HT2", D(2026, 1, 1), "C009", 0, D(2026, 3, 1), D(2026, 2, 1)]],      # 3 findings
}


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("contracts")
    return {"hand": write_book(root / "hand.xlsx", HAND), "bad": write_book(root / "bad.xlsx", BAD),
            "root": root}


def test_execution_by_hand(books: dict[str, Path]) -> None:
    rep = api.contracts(books["hand"], as_of=AS_OF)
    c = rep.contracts.set_index("contract_no")
    assert list(c.index) == ["HT1", "HT2", "HT3", "HT5"]  # HT4 signed after D
    assert c.loc["HT1", "executed"] == 80000 and c.loc["HT1", "remaining"] == 40000
    assert c.loc["HT1", "execution_rate"] == 0.6667 and c.loc["HT1", "salesperson"] == "张三"
    assert c.loc["HT1", "flag"] == "expiring"
    assert c.loc["HT2", "remaining"] == -10000 and c.loc["HT2", "execution_rate"] == 1.5
    assert c.loc["HT2", "flag"] is None and c.loc["HT3", "flag"] is None
    assert c.loc["HT3", "status"] == "completed" and c.loc["HT3", "executed"] == 1000  # S7 links it
    assert c.loc["HT5", "flag"] == "overdue" and c.loc["HT5", "executed"] == 0
    assert rep.counts() == {"contracts": 4, "expiring": 1, "overdue": 1, "over": 1}
    # A later D counts the April line: HT1 1,300.00 executed, no longer owing → no flag.
    later = api.contracts(books["hand"], as_of=D(2026, 4, 30)).contracts.set_index("contract_no")
    assert later.loc["HT1", "executed"] == 130000 and later.loc["HT1", "flag"] is None


def test_statistics_by_month_salesperson_province_level(books: dict[str, Path]) -> None:
    rep = api.contracts(books["hand"], as_of=AS_OF)
    stats = contract_statistics(rep.contracts, D(2026, 1, 1), D(2026, 3, 31))
    month = stats["month"].set_index("key")
    assert month.loc["2026-01", "count"] == 1 and month.loc["2026-01", "amount"] == 120000
    assert month.loc["2026-03", "count"] == 2 and month.loc["2026-03", "amount"] == 600000
    people = dict(zip(stats["salesperson"]["key"], stats["salesperson"]["amount"], strict=True))
    assert people == {"张三": 220000, "李四": 500000, "王五": 20000}
    provinces = dict(zip(stats["province"]["key"], stats["province"]["count"], strict=True))
    assert provinces == {"未填省份": 2, "浙江省": 2}
    assert int(stats["level"]["count"].sum()) == 4


def test_validation_codes(books: dict[str, Path]) -> None:
    hand = api.validate(books["hand"], as_of=AS_OF).findings
    got = {(f.sheet, f.row, f.column, f.code) for f in hand}
    assert ("销售", 7, "H", Code.UNKNOWN_CONTRACT) in got
    assert ("销售", 8, "H", Code.CONTRACT_MISMATCH) in got
    over = [f for f in hand if f.code is Code.OVER_CONTRACT]
    assert [(f.row, f.column, f.value, f.params["executed"]) for f in over] == [(3, "E", "200.00", "300.00")]
    assert over[0].severity.value == "warning"
    bad = api.validate(books["bad"], as_of=AS_OF).findings
    codes = sorted((f.row, f.column, f.code.value) for f in bad if f.sheet == "合同")
    assert codes == [(3, "A", "duplicate-doc"), (4, "C", "unknown-customer"), (4, "D", "out-of-range"),
                     (4, "F", "date-order")]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "salesxl", *args], capture_output=True, text=True, timeout=120)


def test_json_document(books: dict[str, Path]) -> None:
    done = _run("contracts", str(books["hand"]), "--as-of", "2026-03-31", "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["as_of"] == "2026-03-31"
    assert doc["contracts"][0] == {
        "contract_no": "HT1", "customer_id": "C001", "salesperson": "张三", "amount": "1200.00",
        "executed": "800.00", "remaining": "400.00", "execution_rate": 0.6667, "status": "active",
        "flag": "expiring"}
    assert [c["flag"] for c in doc["contracts"]] == ["expiring", None, None, "overdue"]


def test_workbook_sheets(books: dict[str, Path]) -> None:
    import openpyxl

    out = books["root"] / "c.xlsx"
    rep = api.contracts(books["hand"], as_of=AS_OF, out=out)
    assert rep.written == out
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["合同执行", "合同统计"]
    ws = wb["合同执行"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=5, max_row=9)]
    assert rows[0][0] == "HT1" and rows[0][8] == 800 and rows[0][12] == "即将到期"
    assert rows[4][0] == "合计" and rows[4][7] == 7400 and rows[4][8] == 1110
    assert wb["合同统计"]._charts  # noqa: SLF001 - openpyxl keeps the native chart here


needs_office = pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdfinfo")),
                                  reason="LibreOffice and poppler are needed")


@needs_office
def test_contract_quarterly_weekly_workbooks_print(books: dict[str, Path], tmp_path: Path) -> None:
    from test_plans import PLAN
    from test_weekly import WEEK

    plan = write_book(tmp_path / "plan.xlsx", PLAN)
    week = write_book(tmp_path / "week.xlsx", WEEK)
    pdf = tmp_path / "pdf"
    made = [
        api.contracts(books["hand"], as_of=AS_OF, out=pdf / "contracts.xlsx").written,
        api.summary(plan, quarter="2026Q4", out=pdf / "quarterly.xlsx").written,
        api.weekly(week, week="2026-W44", out=pdf / "weekly.xlsx").written,
    ]
    subprocess.run(["soffice", "--headless", "--norestore", "--convert-to", "pdf", "--outdir", str(pdf),
                    *map(str, made)], check=True, capture_output=True, timeout=300,
                   env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin:/usr/local/bin"})
    for name in ("contracts", "quarterly", "weekly"):
        info = subprocess.run(["pdfinfo", str(pdf / f"{name}.pdf")], capture_output=True, text=True, check=True)
        pages = int(next(line.split()[-1] for line in info.stdout.splitlines() if line.startswith("Pages:")))
        assert pages >= 2, name


def test_template_carries_own_contracts_read_only(books: dict[str, Path], tmp_path: Path) -> None:
    import openpyxl

    out = api.salesperson_template(books["hand"], salesperson="张三", out=tmp_path / "t.xlsx", as_of=AS_OF)
    wb = openpyxl.load_workbook(out)
    ws = wb["我的合同"]
    assert ws.protection.sheet
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=3)]
    assert [(r[0], r[6], r[7], r[10]) for r in rows] == [("HT1", 800, 400, "即将到期"), ("HT5", 0, 1000, "已逾期")]
    other = openpyxl.load_workbook(api.salesperson_template(books["hand"], salesperson="李四",
                                                            out=tmp_path / "l.xlsx", as_of=AS_OF))
    assert [r[0].value for r in other["我的合同"].iter_rows(min_row=3)] == ["HT3"]  # never 张三's


def test_demo_contracts_and_plans(tmp_path: Path, demo_factory: Callable[..., Path]) -> None:
    from salesxl.demo.contracts import OVER_CONTRACT_ROW

    demo = demo_factory(tmp_path)
    found = api.validate(demo, as_of=D(2026, 10, 31)).findings
    new = [(f.sheet, f.row, f.code.value) for f in found
           if f.code in (Code.OVER_CONTRACT, Code.UNKNOWN_CONTRACT, Code.CONTRACT_MISMATCH, Code.PLAN_MISMATCH)
           or f.sheet in ("合同", "目标")]
    assert new == [("合同", OVER_CONTRACT_ROW, "over-contract")]  # the one planted, nothing else
    n = api.contracts(demo, as_of=D(2026, 10, 31)).counts()
    assert n["over"] == 1 and n["expiring"] >= 1 and n["overdue"] >= 1 and n["contracts"] >= 24
    sales = read_sales_contracts(demo)
    assert 0 < sales < 8000  # some lines are linked, not all
    doc = api.summary(demo, quarter="2026Q4")
    assert len(doc.sub_targets) >= 2 and all(t is not None for t in doc.salespeople["target"][:6])


def read_sales_contracts(path: Path) -> int:
    from salesxl.io.reading import read_book

    return int(read_book(path, sheets=["销售"])["销售"].frame["合同编号"].notna().sum())
