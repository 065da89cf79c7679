"""价格水平控制 (spec v1.1 §3 "Prices", §5 ``prices``): a hand-computed book through the real
commands (``validate --json``, ``prices --json``, the 价格分析 workbook's cells, LibreOffice).

The hand book, D = 2026-06-30.  Levels (net sales 2025-07-01…2026-06-30): C1 14,056.00 → A;
C2 1,010.00 → B (share before 14,056 / 15,645.99 = 0.898); C3 579.99 → C (0.963).

价目表 (Excel rows): r2 钢材 100/80/60 · r3 钢材 X 110/95/70 · r4 钢材 level A 90/85/65 ·
r5 钢材 X A 105/100/70 · r6 钢材 X A 2026-04-01…06-30 95/90/70 · r7 钢材 X 主要客户 from 05-01
92/88/70 · r8 = r7's key (duplicate-price, r7 wins) · r9 铝材 Z 50/45/30 · r10 铝材 level A 40 ·
r11 reversed period (date-order) · r12 最低价 > 标准价 (out-of-range).

销售, each line's row and why:
  2  03-31 C1 钢材 X 10 × 104    → r5 (spec+level beats both; the promo starts the next day) ok
  3  04-01 C1 钢材 X 10 × 95     → r6 (dated beats undated: the season boundary)            ok
  4  05-01 C1 钢材 X 金额 870     → r7 (later start; r8 ties, topmost) 87 < 88   below-floor at 金额
  5  05-02 C1 钢材 Y 10 × 88     → r4 (a level beats blank)                                  ok
  6  05-03 C2 钢材 X 10 × 96     → r3 (a spec beats blank; level B has no row) −12.73 %  price-deviation
  7  05-04 C3 钢材 Y 金额 250 / 3 → r2, 83.333… vs 100, −16.67 %                       price-deviation
  8  05-05 C1 铝材 Z 10 × 50     → r9 (a spec beats a level: r10 loses)                     ok
  9  05-06 C2 水泥 1 × 50        → none                                                  no-price
 10  05-07 C1 钢材 X −2          → a return: not checked, not analysed
 11  05-08 C3 钢材 Y 金额 239.99 / 3 → 79.9967 < 80 (shown 80.00: not rounded first)  below-floor
 12  05-09 C3 钢材 Y 1 × 90      → exactly −10 %: not more than 0.10                         ok
 13  01-15 C1 铝材 Z 200 × 50    → r9                                                        ok
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesxl import api
from salesxl.core import prices
from salesxl.core.schema import PRICES
from salesxl.core.tables import ROW, Table
from salesxl.io.json_documents import prices_document
from test_ledger import write_book

# openpyxl drops the x14 extensions (data bars) XlsxWriter writes in the 月报, with a warning.
pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")

D = dt.date
AS_OF = "2026-06-30"
HAND: dict[str, list[list[Any]]] = {
    "客户档案": [
        ["客户编号", "客户名称", "客户性质", "业务员"],
        ["C1", "甲公司", "一般公司", "张三"],
        ["C2", "乙公司", "一般公司", "李四"],
        ["C3", "丙公司", "一般公司", "张三"],
    ],
    "销售": [
        ["日期", "单号", "客户编号", "产品", "规格", "数量", "单价", "金额"],
        [D(2026, 3, 31), "S2", "C1", "钢材", "X", 10, 104, 1040],
        [D(2026, 4, 1), "S3", "C1", "钢材", "X", 10, 95, 950],
        [D(2026, 5, 1), "S4", "C1", "钢材", "X", 10, None, 870],
        [D(2026, 5, 2), "S5", "C1", "钢材", "Y", 10, 88, 880],
        [D(2026, 5, 3), "S6", "C2", "钢材", "X", 10, 96, 960],
        [D(2026, 5, 4), "S7", "C3", "钢材", "Y", 3, None, 250],
        [D(2026, 5, 5), "S8", "C1", "铝材", "Z", 10, 50, 500],
        [D(2026, 5, 6), "S9", "C2", "水泥", None, 1, 50, 50],
        [D(2026, 5, 7), "S10", "C1", "钢材", "X", -2, 92, -184],
        [D(2026, 5, 8), "S11", "C3", "钢材", "Y", 3, None, 239.99],
        [D(2026, 5, 9), "S12", "C3", "钢材", "Y", 1, 90, 90],
        [D(2026, 1, 15), "S13", "C1", "铝材", "Z", 200, 50, 10000],
    ],
    "价目表": [
        ["产品", "规格", "客户等级", "开始日期", "结束日期", "标准价", "最低价", "成本价"],
        ["钢材", None, None, None, None, 100, 80, 60],
        ["钢材", "X", None, None, None, 110, 95, 70],
        ["钢材", None, "A", None, None, 90, 85, 65],
        ["钢材", "X", "A", None, None, 105, 100, 70],
        ["钢材", "X", "A", D(2026, 4, 1), D(2026, 6, 30), 95, 90, 70],
        ["钢材", "X", "主要客户", D(2026, 5, 1), None, 92, 88, 70],
        ["钢材", "X", "A", D(2026, 5, 1), None, 93, 88, 70],
        ["铝材", "Z", None, None, None, 50, 45, 30],
        ["铝材", None, "A", None, None, 40, 35, 30],
        ["铝材", "Z", "B", D(2026, 6, 1), D(2026, 5, 1), 1, None, None],
        ["铝材", "Z", "C", None, None, 40, 45, None],
    ],
}

#: sheet_row → (level, unit_price, list_price, floor_price, deviation, check)
EXPECTED_LINES = {
    2: ("A", "104.00", "105.00", "100.00", -0.0095, "ok"),
    3: ("A", "95.00", "95.00", "90.00", 0.0, "ok"),
    4: ("A", "87.00", "92.00", "88.00", -0.0543, "below-floor"),
    5: ("A", "88.00", "90.00", "85.00", -0.0222, "ok"),
    6: ("B", "96.00", "110.00", "95.00", -0.1273, "price-deviation"),
    7: ("C", "83.33", "100.00", "80.00", -0.1667, "price-deviation"),
    8: ("A", "50.00", "50.00", "45.00", 0.0, "ok"),
    9: ("B", "50.00", None, None, None, "no-price"),
    11: ("C", "80.00", "100.00", "80.00", -0.2, "below-floor"),
    12: ("C", "90.00", "100.00", "80.00", -0.1, "ok"),
    13: ("A", "50.00", "50.00", "45.00", 0.0, "ok"),
}


def group(product: str, level: str, qty: float, revenue: str, avg: str, list_rev: str | None, discount: str | None,
          d_rate: float | None, cost: str | None, margin: str | None, m_rate: float | None) -> dict[str, Any]:
    return {"product": product, "level": level, "qty": qty, "revenue": revenue, "average_price": avg,
            "list_revenue": list_rev, "discount": discount, "discount_rate": d_rate, "cost": cost,
            "margin": margin, "margin_rate": m_rate}


EXPECTED_GROUPS = [
    group("水泥", "B", 1, "50.00", "50.00", None, None, None, None, None, None),
    group("钢材", "A", 40, "3740.00", "93.50", "3820.00", "80.00", 0.0209, "2750.00", "990.00", 0.2647),
    group("钢材", "B", 10, "960.00", "96.00", "1100.00", "140.00", 0.1273, "700.00", "260.00", 0.2708),
    group("钢材", "C", 7, "579.99", "82.86", "700.00", "120.01", 0.1714, "420.00", "159.99", 0.2758),
    group("铝材", "A", 210, "10500.00", "50.00", "10500.00", "0.00", 0.0, "6300.00", "4200.00", 0.4),
]


def salesxl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from salesxl.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=180)


@pytest.fixture(scope="module")
def hand(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_book(tmp_path_factory.mktemp("prices") / "台账.xlsx", HAND)


@pytest.fixture(scope="module")
def ran(hand: Path) -> tuple[dict[str, Any], Path]:
    """``salesxl prices --json --out``: the document and the workbook, from one real process."""
    out = hand.parent / "out" / "价格分析.xlsx"
    done = salesxl("prices", str(hand), "--from", "2026-01-01", "--to", AS_OF, "--json", "--out", str(out))
    assert done.returncode == 1, done.stderr  # below-floor lines are errors
    return json.loads(done.stdout), out


def test_validate_finds_each_price_problem_at_its_cell(hand: Path) -> None:
    done = salesxl("validate", str(hand), "--as-of", AS_OF, "--json")
    assert done.returncode == 1, done.stderr
    found = {(f["sheet"], f["row"], f["column"], f["code"]) for f in json.loads(done.stdout)["findings"]}
    assert found == {
        ("销售", 4, "H", "below-floor"),  # 单价 blank: marked at 金额
        ("销售", 6, "G", "price-deviation"),
        ("销售", 7, "H", "price-deviation"),
        ("销售", 9, "D", "no-price"),
        ("销售", 11, "H", "below-floor"),
        ("价目表", 8, "A", "duplicate-price"),
        ("价目表", 11, "E", "date-order"),
        ("价目表", 12, "G", "out-of-range"),
    }
    messages = {(f["row"], f["code"]): f["message"] for f in json.loads(done.stdout)["findings"]}
    assert "第 7 行" in messages[(8, "duplicate-price")]
    assert "79.9" not in messages[(11, "below-floor")] and "80.00" in messages[(11, "below-floor")]
    assert "-12.73%" in messages[(6, "price-deviation")] and "10.00%" in messages[(6, "price-deviation")]


def test_the_json_is_the_hand_computed_one(ran: tuple[dict[str, Any], Path]) -> None:
    doc, _ = ran
    assert doc["from"] == "2026-01-01" and doc["to"] == AS_OF
    got = {ln["sheet_row"]: (ln["level"], ln["unit_price"], ln["list_price"], ln["floor_price"], ln["deviation"],
                             ln["check"]) for ln in doc["lines"]}
    assert got == EXPECTED_LINES  # row 10, the return, is left out
    assert [ln["sheet_row"] for ln in doc["lines"]] == sorted(EXPECTED_LINES)
    assert doc["lines"][0] == {"sheet_row": 2, "product": "钢材", "spec": "X", "customer_id": "C1", "level": "A",
                               "unit_price": "104.00", "list_price": "105.00", "floor_price": "100.00",
                               "deviation": -0.0095, "check": "ok"}
    assert doc["by_product_level"] == EXPECTED_GROUPS


def test_library_and_json_agree_and_quarters_split_at_the_boundary(hand: Path, ran: tuple[dict[str, Any], Path]
                                                                    ) -> None:
    result = api.prices(hand, date_from="2026-01-01", date_to=AS_OF)
    assert prices_document(result) == ran[0]
    q = {(r["product"], r["quarter"]): r for r in result.by_product_quarter.to_dict("records")}
    assert q[("钢材", "2026Q1")]["revenue"] == 104000  # 03-31 only; 04-01 is Q2
    assert q[("钢材", "2026Q2")]["qty"] == 47
    people = {r["salesperson"]: r for r in result.by_salesperson.to_dict("records")}
    assert people["张三"]["revenue"] == 374000 + 57999 + 1050000  # C1 and C3 (the customer's)
    assert people["李四"]["discount"] == 14000
    below = result.below_list
    assert below["sheet_row"].tolist()[:3] == [11, 7, 6]
    assert below.loc[0, "salesperson"] == "张三" and below.loc[0, "customer_name"] == "丙公司"


def test_a_shorter_period_and_bad_arguments(hand: Path) -> None:
    done = salesxl("prices", str(hand), "--from", "2026-04-01", "--to", "2026-04-01", "--json")
    doc = json.loads(done.stdout)
    assert [ln["sheet_row"] for ln in doc["lines"]] == [3]
    for args in (["--from", "2026-13-01", "--to", AS_OF], ["--from", AS_OF, "--to", "2026-01-01"]):
        bad = salesxl("prices", str(hand), *args, "--json")
        assert bad.returncode == 2 and bad.stdout == "" and len(bad.stderr.strip().splitlines()) == 1


def _cells(ws: Any) -> list[list[Any]]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_workbook_cells_equal_the_json(ran: tuple[dict[str, Any], Path]) -> None:
    doc, path = ran
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["价格分析", "季节分析", "低于标准价", "业务员", "产品毛利"]
    rows = _cells(wb["价格分析"])
    head = next(i for i, r in enumerate(rows) if r[:3] == ["产品", "客户等级", "数量"])
    heads = rows[head]
    for i, g in enumerate(doc["by_product_level"]):
        r = dict(zip(heads, rows[head + 1 + i], strict=False))
        assert r["产品"] == g["product"] and str(r["客户等级"]).startswith(g["level"])
        assert r["数量"] == g["qty"]
        for h, key in (("销售额", "revenue"), ("平均单价", "average_price"), ("标准价销售额", "list_revenue"),
                       ("折让额", "discount"), ("成本", "cost"), ("毛利", "margin")):
            assert r[h] == (None if g[key] is None else float(g[key])), (h, g)
        assert r["折让率"] == g["discount_rate"] and r["毛利率"] == g["margin_rate"]
    ws = wb["价格分析"]
    amount_cell = ws.cell(head + 2, heads.index("销售额") + 1)
    assert amount_cell.number_format == "#,##0.00" and ws.cell(head + 2, heads.index("折让率") + 1).number_format == "0.00%"
    assert wb["价格分析"]._charts and wb["产品毛利"]._charts
    below = _cells(wb["低于标准价"])
    assert below[3][0] == 11 and below[3][7] == "张三" and below[3][12] == -0.2


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_workbook_opens_in_libreoffice(ran: tuple[dict[str, Any], Path], tmp_path: Path) -> None:
    _, path = ran
    done = subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to",
                           "pdf", "--outdir", str(tmp_path), str(path)], capture_output=True, timeout=180)
    assert done.returncode == 0
    pdf = tmp_path / (path.stem + ".pdf")
    assert pdf.is_file() and pdf.stat().st_size > 5000


# ---------------------------------------------------------------------------------------------
# Selection alone: "most specific wins", against a brute-force reading of the spec


def price_table(rows: list[dict[str, Any]]) -> Table:
    frame = pd.DataFrame({
        ROW: np.arange(2, len(rows) + 2, dtype=np.int64),
        "产品": pd.Series([r["产品"] for r in rows], dtype="string"),
        "规格": pd.Series([r.get("规格") for r in rows], dtype="string"),
        "客户等级": pd.Series([r.get("客户等级") for r in rows], dtype="string"),
        "开始日期": pd.Series([r.get("开始日期") for r in rows], dtype="datetime64[s]"),
        "结束日期": pd.Series([r.get("结束日期") for r in rows], dtype="datetime64[s]"),
        "标准价": pd.array([r["标准价"] for r in rows], dtype="Int64"),
        "最低价": pd.array([r.get("最低价") for r in rows], dtype="Int64"),
        "成本价": pd.array([None] * len(rows), dtype="Int64"),
    })
    letters = {f.name: "ABCDEFGH"[i] for i, f in enumerate(PRICES.fields)}
    return Table(PRICES, "价目表", 1, letters, frame)


def brute_force(rows: list[dict[str, Any]], spec: str | None, level: str, day: dt.date) -> int:
    """The spec's rule, one row at a time: the index of the winner, -1 for none."""
    best, best_key = -1, None
    for i, r in enumerate(rows):
        start, end = r.get("开始日期"), r.get("结束日期")
        if r.get("规格") not in (None, spec) or r.get("客户等级") not in (None, level):
            continue
        if (start and day < start) or (end and day > end) or (start and end and end < start):
            continue
        key = (r.get("规格") is not None, r.get("客户等级") is not None, bool(start or end), start or dt.date.min, -i)
        if best_key is None or key > best_key:
            best, best_key = i, key
    return best


DAYS = [D(2026, 3, 1), D(2026, 4, 1), D(2026, 5, 1), D(2026, 6, 30)]
ROWS = st.fixed_dictionaries({
    "产品": st.just("钢材"), "标准价": st.integers(1, 999),
    "规格": st.sampled_from([None, "X", "Y"]), "客户等级": st.sampled_from([None, "A", "B"]),
    "开始日期": st.sampled_from([None, *DAYS]), "结束日期": st.sampled_from([None, *DAYS]),
})


@settings(max_examples=60, deadline=None)
@given(st.lists(ROWS, min_size=1, max_size=8), st.sampled_from([None, "X"]), st.sampled_from(["A", "B"]),
       st.sampled_from([D(2026, 2, 1), *DAYS, D(2026, 5, 15)]))
def test_most_specific_wins(rows: list[dict[str, Any]], spec: str | None, level: str, day: dt.date) -> None:
    pl = prices.PriceList.of(price_table(rows))
    got = prices.select_rows(pd.Series(["钢材"], dtype=object), pd.Series([spec], dtype=object),
                             pd.Series([level], dtype=object),
                             np.array([(day - D(1970, 1, 1)).days]), np.zeros(1, dtype=np.int64), pl)
    assert int(got[0]) == brute_force(rows, spec, level, day)


def test_quote_is_the_same_selection() -> None:
    pl = prices.PriceList.of(price_table([
        {"产品": "钢材", "标准价": 10000, "最低价": 8000},
        {"产品": "钢材", "规格": "X", "客户等级": "A", "开始日期": D(2026, 4, 1), "结束日期": D(2026, 6, 30),
         "标准价": 9500, "最低价": 9000},
    ]))
    assert prices.quote(pl, "钢材", "X", "主要客户", D(2026, 4, 1)) == (9500, 9000)
    assert prices.quote(pl, "钢材", "X", "A", D(2026, 3, 31)) == (10000, 8000)
    assert prices.quote(pl, "水泥", None, "A", D(2026, 3, 31)) is None


def test_monthly_report_gains_a_price_sheet(hand: Path, tmp_path: Path) -> None:
    result = api.summary(hand, month="2026-05", out=tmp_path / "月报.xlsx")
    assert result.prices is not None
    may = {(r["product"], r["level"]): r for r in result.prices.by_product_level.to_dict("records")}
    assert may[("钢材", "A")]["revenue"] == 87000 + 88000  # May's lines only (05-07 is a return)
    wb = openpyxl.load_workbook(tmp_path / "月报.xlsx")
    assert wb.sheetnames[-1] == "价格分析"
    overview = " ".join(str(v) for r in _cells(wb["概览"]) for v in r if v is not None)
    total = result.prices.total
    assert f"折让率 {total['discount_rate']:.2%}" in overview and f"毛利率 {total['margin_rate']:.2%}" in overview


def test_price_check_button_writes_the_analysis_beside_the_book(hand: Path, tmp_path: Path) -> None:
    from salesxl.excel.buttons import run_prices
    from salesxl.excel.gateway import FileGateway

    book = tmp_path / "台账.xlsx"
    shutil.copyfile(hand, book)
    g = FileGateway(book, folder=tmp_path)
    result = run_prices(g, month="2026-05")
    assert result.written == tmp_path / "价格分析-2026-05-01-2026-05-31.xlsx" and result.written.is_file()
    message, error = g.messages[-1]
    assert not error and "低于最低价 2 笔" in message and "偏离标准价 2 笔" in message and "无价格 1 笔" in message


COSTS = ("61.37", "58.91", "66.43", "33.33")


def test_template_carries_quotable_prices_and_never_the_cost(tmp_path: Path) -> None:
    master = write_book(tmp_path / "母版.xlsx", {
        "客户档案": [["客户编号", "客户名称", "客户性质", "业务员", "客户等级"],
                     ["C1", "甲公司", "一般公司", "张三", "主要客户"], ["C2", "乙公司", "一般公司", "李四", "B"]],
        "价目表": [["产品", "规格", "客户等级", "开始日期", "结束日期", "标准价", "最低价", "成本价"],
                   ["钢材", None, "A", None, None, 100, 80, float(COSTS[0])],
                   ["钢材", None, "B", None, None, 95, 75, float(COSTS[1])],
                   ["钢材", "X", None, None, None, 110, 90, float(COSTS[2])],
                   ["水泥", None, "A", None, D(2025, 12, 31), 50, 40, float(COSTS[3])]],
    })
    out = api.salesperson_template(master, salesperson="张三", out=tmp_path / "张三.xlsx", as_of=D(2026, 6, 1))
    wb = openpyxl.load_workbook(out)
    rows = _cells(wb["可报价格"])
    assert rows[1] == ["产品", "规格", "客户等级", "开始日期", "结束日期", "标准价", "最低价"]
    assert [r[:2] + r[5:] for r in rows[2:]] == [["钢材", None, 100, 80], ["钢材", "X", 110, 90]]
    assert wb["可报价格"].protection.sheet
    with zipfile.ZipFile(out) as z:
        for member in z.namelist():
            text = z.read(member).decode("utf-8")
            assert "成本价" not in text and "Unit Cost" not in text, member
            for cost in COSTS:
                assert cost not in text and cost.rstrip("0") not in text, (member, cost)


# ---------------------------------------------------------------------------------------------
# The demo company


@pytest.fixture(scope="module")
def demo_book(tmp_path_factory: pytest.TempPathFactory, demo_factory: Callable[..., Path]) -> Path:
    return demo_factory(tmp_path_factory.mktemp("demo"))


def test_demo_price_list_plants_exactly_its_problems(demo_book: Path) -> None:
    from salesxl.demo.layout import DEMO_END
    from salesxl.demo.prices import PRICE_PROBLEMS

    report = api.validate(demo_book, as_of=DEMO_END)
    price_codes = set(PRICE_PROBLEMS) | {"date-order", "out-of-range"}
    found = [(f.sheet, f.code) for f in report.findings
             if f.sheet == "价目表" or (f.sheet == "销售" and f.code in price_codes)]
    assert sorted(found) == sorted([("销售", "below-floor"), ("销售", "price-deviation"), ("销售", "no-price"),
                                    ("价目表", "duplicate-price"), ("价目表", "out-of-range"), ("价目表", "date-order")])
    year = api.prices(demo_book, date_from="2026-01-01", date_to="2026-10-31")
    checks = year.lines["check"].value_counts().to_dict()
    assert checks["below-floor"] == 1 and checks["price-deviation"] == 1 and checks["no-price"] == 1
    rates = year.by_product_level["discount_rate"].dropna()
    assert (rates.abs() < 0.1).all() and year.total["margin_rate"] > 0.2  # list prices fit the sales


def test_demo_salesperson_template_has_no_unit_cost(demo_book: Path, tmp_path: Path) -> None:
    from salesxl.demo.layout import DEMO_END
    from salesxl.io.reading import read_book

    master = read_book(demo_book)
    who = str(master["业务员"].frame["业务员"].iloc[0])
    out = api.salesperson_template(demo_book, salesperson=who, out=tmp_path / "t.xlsx", as_of=DEMO_END)
    prices = master["价目表"].frame
    quoted = {int(v) for name in ("标准价", "最低价") for v in prices[name].dropna().tolist()}
    numbers = {round(c.value * 100) for r in openpyxl.load_workbook(out)["可报价格"].iter_rows()
               for c in r if isinstance(c.value, int | float)}
    assert numbers and numbers <= quoted  # 标准价 and 最低价 only
    with zipfile.ZipFile(out) as z:
        assert not any("成本价" in z.read(m).decode("utf-8") for m in z.namelist())
