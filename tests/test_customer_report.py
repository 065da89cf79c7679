"""客户业务报告 (issue 19, item 4): the dossier's figures against the ledger and by hand, the
contracts' execution per spec §3, the command (one customer, ``--all``, bad input), and one
report converted to PDF by LibreOffice.

The book is test_forecast's (as of 2026-03-31) with three of the card's group columns, visits,
two contracts and 合同编号 on two sales lines (execution by issue 18's core/contracts.py,
completeness by issue 19a's core/cards.py): C001's HT1 (20,000.00) carries XS01 (10,000.00) and XS02 (5,000.00) — executed
15,000.00, remaining 5,000.00, rate 0.75; HT2 is signed after D and not listed.
"""

from __future__ import annotations

import copy
import datetime as dt
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest

from salesxl import api
from salesxl.cli import run
from salesxl.core.customer_report import REPORT_SHEETS, DossierBuilder
from salesxl.core.schema import CARD_GROUPS
from salesxl.io.reading import read_book
from test_forecast import AS_OF, BOOK
from test_ledger import write_book

D = dt.date


def report_book() -> dict:
    book = copy.deepcopy(BOOK)
    book["客户档案"][0] += ["服务区域", "合作态度", "更新日期"]
    book["客户档案"][1] += ["华东", "积极", D(2026, 1, 5)]
    sales = book["销售"]
    sales[0] = [*sales[0], "合同编号"]
    for row in sales[1:]:
        row.append("HT1" if row[1] in ("XS01", "XS02") else None)
    book["拜访"] = [
        ["日期", "业务员", "客户编号", "方式", "内容", "下次计划"],
        [D(2026, 2, 1), "张三", "C001", "上门", "催款", "月底前回款"],
        [D(2026, 3, 15), "张三", "C001", "电话", "介绍新品", "送样品"],
        [D(2026, 4, 2), "张三", "C001", "电话", "D 之后", "不列出"],
        [D(2026, 3, 1), "李四", "C003", "上门", "拜访", ""],
    ]
    book["合同"] = [
        ["合同编号", "签订日期", "客户编号", "合同金额", "开始日期", "结束日期", "状态"],
        ["HT1", D(2025, 12, 20), "C001", 20000, D(2026, 1, 1), D(2026, 12, 31), None],
        ["HT2", D(2026, 4, 10), "C001", 9000, None, None, "执行中"],
    ]
    return book


@pytest.fixture(scope="module")
def book_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_book(tmp_path_factory.mktemp("customer_report") / "book.xlsx", report_book())


@pytest.fixture(scope="module")
def builder(book_path: Path) -> DossierBuilder:
    return DossierBuilder(read_book(book_path, sheets=REPORT_SHEETS), as_of=AS_OF)


def test_card_groups_and_classes(builder: DossierBuilder) -> None:
    d = builder.dossier("C001")
    assert [g for g in d.card if g != "其他"] == list(CARD_GROUPS)
    values = {col: v for items in d.card.values() for col, v, _ in items}
    assert values["客户名称"] == "甲公司" and values["服务区域"] == "华东" and values["合作态度"] == "积极"
    assert values["经营理念"] is None and str(values["更新日期"])[:10] == "2026-01-05"
    assert d.classes["status"] == "new" and d.classes["credit_grade"] == "A"  # first trade 01-01; nothing overdue
    assert d.classes["level"] in ("A", "B", "C")
    # issue 19a's completeness: 客户名称, 服务区域 and 合作态度 of the 25 group columns
    assert d.completeness is not None and d.completeness["completeness"] == 0.12
    assert "服务区域" not in d.completeness["missing"]["客户特征"] and "地址" in d.completeness["missing"]["基本信息"]


def test_figures_match_the_ledger(builder: DossierBuilder) -> None:
    lc = builder.ledger.customers.set_index("customer_id")
    for cid in builder.customer_ids():
        d = builder.dossier(cid)
        for key in ("receivable", "prepaid", "overdue", "available_credit"):
            assert d.balance[key] == int(lc.loc[cid, key]), (cid, key)
        assert sum(v for _, v in d.aging) == d.balance["receivable"]
        assert int(d.open_items["open"].sum()) == d.balance["receivable"]
        assert d.behaviour["shift"] == int(builder.forecast.behaviour.set_index("customer_id").loc[cid, "shift"])
    c2 = builder.dossier("C002")
    assert c2.balance["overdue"] == 150_000 and c2.balance["max_overdue_days"] == 19  # XS05 due 03-12


def test_sales_visits_contracts_by_hand(builder: DossierBuilder) -> None:
    d = builder.dossier("C001")
    months = dict(zip(d.months["month"].dt.strftime("%Y-%m"), d.months["amount"], strict=True))
    assert len(months) == 12 and list(months)[0] == "2025-04" and list(months)[-1] == "2026-03"
    assert months["2026-01"] == 1_000_000 and months["2026-03"] == 500_000 and sum(months.values()) == 1_500_000
    assert d.products.to_dict("records") == [{"product": "阀门", "qty": 2.0, "amount": 1_500_000}]
    assert d.behaviour["avg_days_late"] == 14.0 and d.behaviour["basis"] == "own"
    assert d.expected["amount"].tolist() == [0, 500_000, 0]  # XS02 expected 05-03
    assert d.visits["notes"].tolist() == ["介绍新品", "催款"] and d.visit_count == 2  # newest first, none after D
    assert d.visits["next_step"].tolist() == ["送样品", "月底前回款"]
    k = d.contracts.to_dict("records")
    assert len(k) == 1 and k[0]["contract_no"] == "HT1" and k[0]["status"] == "执行中"
    assert (k[0]["executed"], k[0]["remaining"], k[0]["rate"]) == (1_500_000, 500_000, 0.75)
    assert k[0]["flag"] is None  # ends 2026-12-31: neither expiring within 30 days nor overdue
    assert builder.dossier("C003").contracts.empty
    with pytest.raises(KeyError):
        builder.dossier("NOPE")


def test_command_one_and_all(book_path: Path, tmp_path: Path) -> None:
    one = tmp_path / "c1.xlsx"
    assert run(["report", "customer", str(book_path), "--customer", "C001", "--as-of", "2026-03-31",
                "--out", str(one)]) == 0
    ws = openpyxl.load_workbook(one)["客户业务报告"]
    cells = [c.value for row in ws.iter_rows() for c in row if c.value is not None]
    assert "客户业务报告 · 甲公司" in cells and 15000 in cells and "HT1" in cells and "送样品" in cells
    assert ws.page_setup.paperSize in (9, "9") and ws.page_setup.orientation == "portrait"
    assert run(["report", "customer", str(book_path), "--customer", "C001", "--out", str(one)]) == 2  # exists
    assert run(["report", "customer", str(book_path), "--customer", "NOPE", "--out", str(tmp_path / "x.xlsx")]) == 2
    assert run(["report", "customer", str(book_path), "--all"]) == 2  # --all needs --out
    paths = api.customer_reports(book_path, out_dir=tmp_path / "all", as_of=AS_OF)
    assert sorted(p.name for p in paths) == [f"客户报告_C00{i}.xlsx" for i in range(1, 6)]
    with zipfile.ZipFile(paths[0]) as z:
        assert any(n.startswith("xl/charts/") for n in z.namelist())  # the 12-month chart
    # A second --all into the same folder refuses before writing anything; --force backs up and replaces.
    before = {p.name: p.read_bytes() for p in (tmp_path / "all").iterdir()}
    assert run(["report", "customer", str(book_path), "--all", "--out", str(tmp_path / "all")]) == 2
    assert {p.name: p.read_bytes() for p in (tmp_path / "all").iterdir()} == before
    assert run(["report", "customer", str(book_path), "--all", "--out", str(tmp_path / "all"), "--force"]) == 0
    names = sorted(p.name for p in (tmp_path / "all").iterdir())
    assert [n for n in names if ".备份-" not in n] == sorted(before)
    assert len([n for n in names if ".备份-" in n]) == len(before)  # each replaced report backed up


@pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdfinfo")), reason="LibreOffice is needed")
def test_report_prints_on_one_or_two_pages(book_path: Path, tmp_path: Path) -> None:
    [out] = api.customer_report(book_path, customer_id="C001", out=tmp_path / "r.xlsx", as_of=AS_OF)
    subprocess.run(["soffice", "--headless", "--norestore", "--convert-to", "pdf", "--outdir", str(tmp_path),
                    str(out)], check=True, capture_output=True, timeout=180,
                   env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin:/usr/local/bin"})
    info = subprocess.run(["pdfinfo", str(tmp_path / "r.pdf")], check=True, capture_output=True, text=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert 1 <= pages <= 2
