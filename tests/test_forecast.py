"""回款预测 (issue 19, item 5): payment behaviour and the collections forecast on a small book
computed by hand, the backtest's arithmetic, the command and its JSON, the workbook sheet.

The book (as of 2026-03-31, a Tuesday: the first week is W14, 04-01 to 04-05):

* C001 (30 days): 10,000.00 sold 01-01 due 01-31, paid 6,000 on 02-10 (10 days late) and
  4,000 on 02-20 (20 late): average (6000×10 + 4000×20) / 10000 = 14.0 → shift 14.  Open:
  5,000.00 sold 03-20 due 04-19 → expected 05-03 (W18, May).
* C002: 1,000.00 sold 2024-12-01, paid 2025-03-01 — before the window (after 2025-03-31) —
  and 2,000.00 sold 2025-12-01 due 12-31, paid 12-21: −10.0 → shift −10.  Open: 1,500.00 sold
  02-10 due 03-12, expected 03-02, already 29 days past → as late again: 03-31 + 29 = 04-29
  (W18, April); 3,000.00 sold 03-25 due 04-24 → 04-14 (W16, April).
* C003 (60 days), no history → the company's shift: (140000 − 20000) / 12000 = 10.0 → 10.
  Open: 8,000.00 sold 03-01 due 04-30 → 05-10 (W19, May).
* C004: prepaid 5,000 on 01-05 for a sale of 01-10: a prepayment before the goods is not a
  payment habit (counted, it would be 35 days early on 5,000 and move the company's mean).
* C005: 4,000.00 due 2025-12-01, 120 days overdue > 90: doubtful.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from salesxl import api
from salesxl.cli import run
from salesxl.core.forecast import forecast, shift_days
from salesxl.core.forecast_backtest import backtest, month_ends
from salesxl.core.ledger import offset
from salesxl.io.reading import read_book
from test_ledger import as_of_st, ledgers, write_book

D = dt.date
AS_OF = D(2026, 3, 31)
SALES_HEAD = ["日期", "单号", "客户编号", "产品", "数量", "单价", "金额", "到期日"]
BOOK = {
    "客户档案": [
        ["客户编号", "客户名称", "客户性质", "业务员", "信用额度", "账期天数"],
        ["C001", "甲公司", "一般公司", "张三", 100000, 30],
        ["C002", "乙公司", "一般公司", "张三", 100000, 30],
        ["C003", "丙公司", "一般公司", "李四", 100000, 60],
        ["C004", "丁公司", "一般公司", "李四", 0, 30],
        ["C005", "戊公司", "一般公司", "李四", 100000, 30],
    ],
    "销售": [
        SALES_HEAD,
        [D(2026, 1, 1), "XS01", "C001", "阀门", 1, 10000, 10000, None],
        [D(2026, 3, 20), "XS02", "C001", "阀门", 1, 5000, 5000, None],
        [D(2024, 12, 1), "XS03", "C002", "阀门", 1, 1000, 1000, None],
        [D(2025, 12, 1), "XS04", "C002", "阀门", 1, 2000, 2000, None],
        [D(2026, 2, 10), "XS05", "C002", "阀门", 1, 1500, 1500, None],
        [D(2026, 3, 25), "XS06", "C002", "阀门", 1, 3000, 3000, None],
        [D(2026, 3, 1), "XS07", "C003", "阀门", 1, 8000, 8000, None],
        [D(2026, 1, 10), "XS08", "C004", "阀门", 1, 5000, 5000, None],
        [D(2025, 11, 1), "XS09", "C005", "阀门", 1, 4000, 4000, D(2025, 12, 1)],
    ],
    "收款": [
        ["日期", "单号", "客户编号", "金额", "类型"],
        [D(2026, 2, 10), "SK01", "C001", 6000, "回款"],
        [D(2026, 2, 20), "SK02", "C001", 4000, "回款"],
        [D(2025, 3, 1), "SK03", "C002", 1000, "回款"],
        [D(2025, 12, 21), "SK04", "C002", 2000, "回款"],
        [D(2026, 1, 5), "SK05", "C004", 5000, "预收"],
    ],
}


@pytest.fixture(scope="module")
def book_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_book(tmp_path_factory.mktemp("forecast") / "book.xlsx", BOOK)


@pytest.fixture(scope="module")
def fc(book_path: Path):
    return forecast(read_book(book_path), as_of=AS_OF)


def test_shift_rounds_half_up_exactly() -> None:
    assert shift_days(np.array([5, -5, 7, -7, 0, 3]), np.array([2, 2, 2, 2, 0, 3])).tolist() == [3, -2, 4, -3, 0, 1]


def test_payment_behaviour_by_hand(fc) -> None:
    b = fc.behaviour.set_index("customer_id")
    assert b.loc["C001", "avg_days_late"] == 14.0 and b.loc["C001", "shift"] == 14
    assert b.loc["C001", "paid"] == 1_000_000 and b.loc["C001", "basis"] == "own"
    assert b.loc["C002", "avg_days_late"] == -10.0 and b.loc["C002", "shift"] == -10
    assert b.loc["C002", "paid"] == 200_000  # the 2025-03-01 payment is outside the window
    for cid in ("C003", "C004", "C005"):  # the prepayment of C004 is no habit
        assert np.isnan(b.loc[cid, "avg_days_late"]) and b.loc[cid, "shift"] == 10
        assert b.loc[cid, "basis"] == "company"
    assert fc.company_days == 10.0 and fc.company_shift == 10
    assert fc.window_start == D(2025, 3, 31)


def test_forecast_by_hand(fc, book_path: Path) -> None:
    items = fc.items.set_index("doc_no")
    assert items.loc["XS02", "expected"] == np.datetime64("2026-05-03")
    assert items.loc["XS05", "expected"] == np.datetime64("2026-04-29")
    assert items.loc["XS06", "expected"] == np.datetime64("2026-04-14")
    assert items.loc["XS07", "expected"] == np.datetime64("2026-05-10")
    assert bool(items.loc["XS09", "doubtful"]) and fc.doubtful == 400_000
    w = fc.weeks.table
    assert w["period"].tolist() == [f"2026-W{k}" for k in range(14, 22)]
    assert (w["start"].iloc[0], w["end"].iloc[0]) == (np.datetime64("2026-04-01"), np.datetime64("2026-04-05"))
    assert w["amount"].tolist() == [0, 0, 300_000, 0, 650_000, 800_000, 0, 0]
    assert fc.weeks.later == 0
    m = fc.months.table
    assert m["period"].tolist() == ["2026-04", "2026-05", "2026-06"]
    assert m["amount"].tolist() == [450_000, 1_300_000, 0] and fc.months.later == 0
    w18 = fc.weeks.customers_of("2026-W18")
    assert list(zip(w18["customer_id"], w18["amount"], strict=True)) == [("C001", 500_000), ("C002", 150_000)]
    # Σ periods + later + doubtful = Σ open items = the ledger's receivable
    receivable = int(offset(read_book(book_path), as_of=AS_OF).customers["receivable"].sum())
    assert fc.open_total == receivable == 2_150_000
    for view in (fc.weeks, fc.months):
        assert int(view.table["amount"].sum()) + view.later + fc.doubtful == receivable


def test_first_week_never_a_lone_weekend(book_path: Path) -> None:
    sat = forecast(read_book(book_path), as_of=D(2026, 4, 4))  # D + 1 a Sunday: it joins W15
    w = sat.weeks.table
    assert w["period"].iloc[0] == "2026-W15"
    assert (w["start"].iloc[0], w["end"].iloc[0]) == (np.datetime64("2026-04-05"), np.datetime64("2026-04-12"))
    assert sat.months.table["start"].iloc[0] == np.datetime64("2026-04-05")


def test_backtest_arithmetic_by_hand(book_path: Path) -> None:
    """As of 2026-01-31 (a Saturday: week 1 is 02-01…02-08, week 2 02-09…02-15).  The window
    holds C002's 1,000 paid 60 days late and 2,000 paid 10 early: (60000 − 20000) / 3000 =
    13.3 → 13, which C001 and C005 take too.  C001's 10,000 due 01-31 → 02-13 (week 2, Feb);
    C005's 4,000 due 2025-12-01 (61 days overdue, not doubtful) → 12-14, 48 days past → 03-20
    (after week 2; March).  Actual: 6,000 on 02-10, 4,000 on 02-20, nothing in March."""
    bt = backtest(read_book(book_path), [D(2026, 1, 31)], weeks=2, months=2)
    rows = bt.rows.set_index(["view", "horizon"])
    assert rows["forecast"].tolist() == [0, 1_000_000, 1_000_000, 400_000]
    assert rows["actual"].tolist() == [0, 600_000, 1_000_000, 0]
    # the baseline (due dates): C001 01-31 is past → 02-01; C005 61 days past → 04-02, April
    assert rows["baseline"].tolist() == [1_000_000, 0, 1_000_000, 0]
    e = bt.errors.set_index(["view", "horizon"])
    assert e.loc[("week", 2), "mape"] == pytest.approx(4 / 6) and e.loc[("week", 2), "bias"] == pytest.approx(4 / 6)
    assert e.loc[("month", 1), "mape"] == 0 and e.loc[("month", 1), "bias"] == 0
    assert np.isnan(e.loc[("week", 1), "mape"]) and np.isnan(e.loc[("month", 2), "bias"])  # nothing collected
    assert month_ends(D(2024, 11, 1), 3) == [D(2024, 11, 30), D(2024, 12, 31), D(2025, 1, 31)]


def test_cli_json(book_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["forecast", str(book_path), "--as-of", "2026-03-31", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["as_of"] == "2026-03-31" and doc["open_total"] == "21500.00" and doc["doubtful"]["amount"] == "4000.00"
    assert doc["method"] == {"window_start": "2025-03-31", "company_days_late": 10.0, "company_shift": 10,
                             "doubtful_after_days": 90}
    w18 = doc["weeks"][4]
    assert w18 == {"week": "2026-W18", "start": "2026-04-27", "end": "2026-05-03", "amount": "6500.00",
                   "customers": [{"customer_id": "C001", "customer_name": "甲公司", "amount": "5000.00", "items": 1},
                                 {"customer_id": "C002", "customer_name": "乙公司", "amount": "1500.00", "items": 1}]}
    assert [m["amount"] for m in doc["months"]] == ["4500.00", "13000.00", "0.00"]
    assert doc["later"] == {"after_weeks": "0.00", "after_months": "0.00"}
    c1 = next(c for c in doc["customers"] if c["customer_id"] == "C001")
    assert c1 == {"customer_id": "C001", "customer_name": "甲公司", "receivable": "5000.00", "paid_12m": "10000.00",
                  "avg_days_late": 14.0, "shift_days": 14, "basis": "own"}


def test_cli_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["forecast", str(tmp_path / "none.xlsx"), "--json"]) == 2
    assert run(["forecast", str(tmp_path / "none.xlsx"), "--as-of", "2026-13-01"]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_workbook_sheet(book_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "回款预测.xlsx"
    assert run(["forecast", str(book_path), "--as-of", "2026-03-31", "--out", str(out)]) == 0
    assert "21,500.00" in capsys.readouterr().out
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        assert any(n.startswith("xl/charts/chart") for n in names)
        wb = z.read("xl/workbook.xml").decode()
        assert "回款预测" in wb and "Print_Titles" in wb
    result = api.forecast(book_path, as_of=AS_OF)
    assert result.open_total == 2_150_000


needs_office = pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice is needed to print")


@needs_office
def test_report_forecast_sheet_prints(book_path: Path, tmp_path: Path) -> None:
    """The 月报 carries a 回款预测 sheet; it and the forecast workbook convert to PDF."""
    report = tmp_path / "report.xlsx"
    api.summary(book_path, month="2026-03", out=report)
    with zipfile.ZipFile(report) as z:
        assert "回款预测" in z.read("xl/workbook.xml").decode()
    out = tmp_path / "fc.xlsx"
    api.forecast(book_path, as_of=AS_OF, out=out)
    subprocess.run(["soffice", "--headless", "--norestore", "--convert-to", "pdf", "--outdir", str(tmp_path),
                    str(out)], check=True, capture_output=True, timeout=180,
                   env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin:/usr/local/bin"})
    assert (tmp_path / "fc.pdf").stat().st_size > 1000


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(book=ledgers(), as_of=as_of_st)
def test_every_open_fen_lands_once(book, as_of) -> None:
    """For any ledger: each view's periods + later + doubtful = the receivable, and no item is
    expected on or before D."""
    fc = forecast(book, as_of=as_of)
    receivable = int(offset(book, as_of=as_of).customers["receivable"].sum())
    assert fc.open_total == receivable
    for view in (fc.weeks, fc.months):
        assert int(view.table["amount"].sum()) + view.later + fc.doubtful == receivable
        assert int(view.customers["amount"].sum()) == int(view.table["amount"].sum())
    assert (fc.items["expected"] > np.datetime64(as_of)).all()
