"""货卡与盘点 (spec §2 库存/盘点, §3 "Stock", §5 ``salesxl stock``): every rule computed by hand
on a small book written as a real .xlsx and read back with the reader."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest

from salesxl import api
from salesxl.core.findings import Code
from salesxl.core.stock import milli, milli_text
from salesxl.io.stock_json import stock_document

D = dt.date
STOCK_CODES = {Code.BALANCE_MISMATCH, Code.NEGATIVE_STOCK, Code.UNMATCHED_SHIPMENT, Code.UNMATCHED_ISSUE,
               Code.QUALITY_HOLD, Code.COUNT_VARIANCE}

STOCK_HEAD = ["日期", "仓库", "产品", "规格", "批号", "类型", "数量", "单号", "结存", "质量状态"]
SHIP_HEAD = ["日期", "发货单号", "销售单号", "客户编号", "产品", "规格", "批号", "数量", "仓库"]
COUNT_HEAD = ["日期", "仓库", "产品", "规格", "批号", "实盘数量"]

HAND: dict[str, list[list[Any]]] = {
    "客户档案": [["客户编号", "客户名称", "客户性质", "业务员"], ["C1", "甲公司", "个人", "张三"]],
    "销售": [
        ["日期", "单号", "客户编号", "产品", "规格", "数量", "单价"],
        [D(2026, 1, 2), "S1", "C1", "甲", "10kg", 100, 10],
        [D(2026, 1, 2), "S2", "C1", "乙", None, 100, 10],
        [D(2026, 1, 2), "S3", "C1", "甲", "10kg", 100, 10],
    ],
    "库存": [
        STOCK_HEAD,
        [D(2026, 1, 1), "北仓", "甲", "10kg", "B1", "期初", 100, None, 100, "合格"],   # row 2
        [D(2026, 1, 5), "北仓", "甲", "10kg", "B1", "出库", 30, "F001", 70, None],     # 3
        [D(2026, 1, 5), "北仓", "甲", "10kg", "B1", "出库", 20, "F002", 50, None],     # 4: F002, part 1
        [D(2026, 1, 6), "北仓", "甲", "10kg", "B1", "出库", 10, "F002", 45, None],     # 5: part 2; 结存 drifts (40)
        [D(2026, 1, 7), "北仓", "甲", "10kg", "B1", "入库", 5, None, 50, None],        # 6: still off (45)
        [D(2026, 1, 8), "北仓", "甲", "10kg", "B1", "出库", 5, "F999", None, None],    # 7: no such shipment
        [D(2026, 2, 1), "南仓", "乙", None, "B2", "入库", 50, None, 50, "待检"],       # 8: quarantined
        [D(2026, 2, 3), "南仓", "乙", None, "B2", "出库", 20, "F003", 30, None],       # 9: shipped while 待检
        [D(2026, 2, 10), "南仓", "乙", None, "B2", "入库", 10, None, 40, "合格"],      # 10: released after
        [D(2026, 2, 11), "南仓", "乙", None, "B2", "出库", 60, "F004", -20, None],     # 11: below zero
        [D(2026, 2, 12), "南仓", "乙", None, "B2", "调整", 0, None, None, None],       # 12: adjustment of 0
        [D(2026, 2, 12), "南仓", "乙", None, "B2", "出库", 5, None, None, None],       # 13: no 单号, -25
        [D(2026, 2, 15), "北仓", "甲", "10kg", "B1", "出库", 5, "F007", 35, None],     # 14: F007 says 南仓
        [D(2026, 2, 16), "北仓", "甲", "10kg", "B1", "调整", -0.5, None, 34.5, None],  # 15
    ],
    "发货": [
        SHIP_HEAD,
        [D(2026, 1, 5), "F001", "S1", "C1", "甲", "10kg", "B1", 30, "北仓"],  # 2: matched
        [D(2026, 1, 5), "F002", "S1", "C1", "甲", "10kg", "B1", 30, None],    # 3: matched by rows 4 + 5
        [D(2026, 2, 3), "F003", "S2", "C1", "乙", None, "B2", 20, "南仓"],     # 4: quality-hold
        [D(2026, 2, 11), "F004", "S2", "C1", "乙", None, "B2", 60, None],     # 5: released by then
        [D(2026, 2, 20), "F005", "S3", "C1", "甲", "10kg", "B1", 8, "北仓"],   # 6: no issue at all
        [D(2026, 2, 15), "F007", "S3", "C1", "甲", "10kg", "B1", 5, "南仓"],   # 7: issued from 北仓
    ],
    "盘点": [
        COUNT_HEAD,
        [D(2026, 1, 5), "北仓", "甲", "10kg", "B1", 52],   # 2: book at the end of 01-05 = 50 → +2
        [D(2026, 2, 12), "南仓", "乙", None, "B2", -1],    # 3: out-of-range
        [D(2026, 1, 7), "北仓", "甲", "10kg", "B1", 45],   # 4: book 45, no variance
        [D(2026, 3, 5), "北仓", "甲", "10kg", "B1", 30],   # 5: after the as-of date of the command
    ],
    "价目表": [["产品", "规格", "标准价", "成本价"], ["甲", "10kg", 20, 12.5]],
}


def write_book(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(list(r))
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, dt.date):
                    cell.number_format = "yyyy-mm-dd"
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def hand(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_book(tmp_path_factory.mktemp("stock") / "hand.xlsx", HAND)


@pytest.fixture(scope="module")
def findings(hand: Path) -> list[Any]:
    return api.validate(hand, as_of=D(2026, 3, 31)).findings


def _at(findings: list[Any], code: Code) -> list[tuple[str, int | None, str | None]]:
    return [(f.sheet, f.row, f.field) for f in findings if f.code is code]


def test_balance_mismatch_marks_every_row_after_the_drift(findings: list[Any]) -> None:
    got = [(f.row, f.value, f.params["expected"]) for f in findings if f.code is Code.BALANCE_MISMATCH]
    # 100 − 30 − 20 − 10 = 40 (written 45), + 5 = 45 (written 50); 北仓 then goes on from 35, 34.5
    assert got == [(5, "45", "40"), (6, "50", "45")]
    assert _at(findings, Code.BALANCE_MISMATCH)[0] == ("库存", 5, "结存")


def test_negative_stock(findings: list[Any]) -> None:
    got = [(f.row, f.field, f.params["balance"]) for f in findings if f.code is Code.NEGATIVE_STOCK]
    assert got == [(11, "数量", "-20"), (13, "数量", "-25")]  # 50 − 20 + 10 − 60; then − 5


def test_split_shipment_and_unmatched(findings: list[Any]) -> None:
    got = _at(findings, Code.UNMATCHED_SHIPMENT)
    assert got == [("发货", 6, "发货单号"), ("发货", 7, "发货单号")]  # F002 (two 出库 rows) is matched
    f7 = next(f for f in findings if f.code is Code.UNMATCHED_SHIPMENT and f.row == 7)
    assert "南仓" in f7.message()
    assert _at(findings, Code.UNMATCHED_ISSUE) == [("库存", 7, "单号")]


def test_quality_hold_released_after_the_shipment(findings: list[Any]) -> None:
    got = [(f.sheet, f.row, f.field, f.params["quality"]) for f in findings if f.code is Code.QUALITY_HOLD]
    assert got == [("发货", 4, "批号", "待检")]  # F004 on 02-11 ships after the 02-10 release


def test_count_variance_on_a_day_with_movements_before_and_after(findings: list[Any]) -> None:
    got = [(f.row, f.params["book"], f.params["variance"], f.params["kind"], f.severity.value)
           for f in findings if f.code is Code.COUNT_VARIANCE]
    # 01-05: 100 − 30 − 20 (both 01-05 issues count; 01-06's does not) = 50, counted 52
    # 03-05: 34.5 counted 30 → −4.5
    assert got == [(2, "50", "+2", "盘盈", "warning"), (5, "34.5", "-4.5", "盘亏", "warning")]


def test_column_rules(findings: list[Any]) -> None:
    out = [(f.sheet, f.row, f.field) for f in findings if f.code is Code.OUT_OF_RANGE]
    assert ("库存", 12, "数量") in out and ("盘点", 3, "实盘数量") in out
    missing = [(f.sheet, f.row, f.field) for f in findings if f.code is Code.MISSING_VALUE]
    assert ("库存", 13, "单号") in missing


def test_stock_command_balances_and_variances(hand: Path) -> None:
    doc = stock_document(api.stock(hand, as_of=D(2026, 2, 28)))
    assert doc["as_of"] == "2026-02-28"
    assert doc["balances"] == [
        {"warehouse": "北仓", "product": "甲", "spec": "10kg", "batch": "B1", "qty": 34.5, "quality": "合格"},
        {"warehouse": "南仓", "product": "乙", "spec": None, "batch": "B2", "qty": -25, "quality": "合格"},
    ]
    assert doc["variances"] == [{"date": "2026-01-05", "warehouse": "北仓", "product": "甲", "spec": "10kg",
                                 "batch": "B1", "book": 50, "counted": 52, "variance": 2}]
    early = stock_document(api.stock(hand, as_of=D(2026, 2, 5)))
    assert [(b["qty"], b["quality"]) for b in early["balances"]] == [(40, "合格"), (30, "待检")]


def test_milli_is_exact() -> None:
    m, ok = milli(np.array([0.1 + 0.2, 1.0005, -2.5, np.nan]))
    assert m[:3].tolist() == [300, 1000, -2500] or m[:3].tolist() == [300, 1001, -2500]
    assert ok.tolist() == [True, True, True, False]
    assert milli_text(34500) == "34.5" and milli_text(-3000) == "-3" and milli_text(1) == "0.001"


def _rows(path: Path, sheet: str) -> list[tuple[Any, ...]]:
    wb = openpyxl.load_workbook(path)
    return [tuple(r) for r in wb[sheet].iter_rows(values_only=True)]


@pytest.fixture(scope="module")
def written(hand: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("stock-out") / "out.xlsx"
    api.stock_to_book(hand, as_of=D(2026, 3, 31), out=out)
    return out


def test_result_sheets(hand: Path, written: Path) -> None:
    assert _rows(written, "库存结存") == [
        ("仓库", "产品", "规格", "批号", "结存数量", "质量状态"),
        ("北仓", "甲", "10kg", "B1", 34.5, "合格"), ("北仓", "甲 小计", None, None, 34.5, None),
        ("北仓 合计", None, None, None, 34.5, None),
        ("南仓", "乙", None, "B2", -25, "合格"), ("南仓", "乙 小计", None, None, -25, None),
        ("南仓 合计", None, None, None, -25, None),
    ]
    var = _rows(written, "盘点差异")
    assert var[0][5:11] == ("账面数量", "实盘数量", "差异数量", "盘盈/盘亏", "成本价", "差异金额")
    assert [r[5:] for r in var[1:]] == [(50, 52, 2, "盘盈", 12.5, 25, 2), (34.5, 30, -4.5, "盘亏", 12.5, -56.25, 5)]
    # every sheet of the book is as it was
    before, after = openpyxl.load_workbook(hand), openpyxl.load_workbook(written)
    for name in before.sheetnames:
        assert [list(r) for r in before[name].iter_rows(values_only=True)] == \
               [list(r) for r in after[name].iter_rows(values_only=True)]
    # a re-run in place replaces the two sheets, with a backup
    copy = shutil.copyfile(written, written.with_name("again.xlsx"))
    _, w = api.stock_to_book(copy, as_of=D(2026, 2, 5), in_place=True)
    assert w.backup is not None and w.backup.exists()
    assert openpyxl.load_workbook(copy).sheetnames == [*before.sheetnames, "库存结存", "盘点差异"]
    assert _rows(copy, "库存结存")[1][4] == 40


def test_cli_json_and_exit_status(hand: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "salesxl", "stock", str(hand), "--as-of", "2026-02-05", "--json"],
                          capture_output=True, text=True, encoding="utf-8", timeout=120)
    doc = json.loads(done.stdout)
    assert done.returncode == 1  # balance-mismatch, negative-stock are errors
    assert set(doc) == {"as_of", "balances", "variances"}
    assert [b["qty"] for b in doc["balances"]] == [40, 30]


def test_blind_count_sheet_round_trip(hand: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "盘点表.xlsx"
    target, n = api.count_sheet(hand, warehouse="北仓", out=sheet, as_of=D(2026, 3, 31))
    assert (target, n) == (sheet, 1)
    wb = openpyxl.load_workbook(sheet)
    ws = wb["盘点"]
    cells = [c for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert 34.5 not in cells and "34.5" not in " ".join(map(str, cells))  # no book quantity anywhere
    header = next(i for i, r in enumerate(ws.iter_rows(values_only=True), 1) if r[0] == "日期")
    assert [c.value for c in ws[header]] == COUNT_HEAD
    assert "盘点人" in ws.oddFooter.left.text and ws.page_setup.paperSize == 9
    # fill the count, paste the rows into a book's 盘点 and validate
    data = [[c.value for c in row] for row in ws.iter_rows(min_row=header + 1)]
    assert [r[1:5] for r in data] == [["北仓", "甲", "10kg", "B1"]] and data[0][5] is None
    data[0][5] = 33
    book = {k: v for k, v in HAND.items()}
    book["盘点"] = [COUNT_HEAD, *data]
    pasted = write_book(tmp_path / "pasted.xlsx", book)
    found = [f for f in api.validate(pasted, as_of=D(2026, 3, 31)).findings if f.code is Code.COUNT_VARIANCE]
    assert [(f.row, f.params["book"], f.params["variance"]) for f in found] == [(2, "34.5", "-1.5")]
    with pytest.raises(Exception, match="东仓"):
        api.count_sheet(hand, warehouse="东仓", out=tmp_path / "x.xlsx", as_of=D(2026, 3, 31))


@pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdftotext")),
                    reason="LibreOffice and poppler are needed to print")
def test_result_workbooks_print(written: Path, hand: Path, tmp_path: Path) -> None:
    sheet, _ = api.count_sheet(hand, warehouse="北仓", out=tmp_path / "count.xlsx", as_of=D(2026, 3, 31))
    copy = shutil.copyfile(written, tmp_path / "stock.xlsx")
    subprocess.run(["soffice", "--headless", "--norestore", "--convert-to", "pdf", "--outdir", str(tmp_path),
                    str(copy), str(sheet)], check=True, capture_output=True, timeout=300,
                   env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin:/usr/local/bin"})
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "stock.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "库存结存" in text and "盘点差异" in text and "盘亏" in text
    count = subprocess.run(["pdftotext", "-layout", str(tmp_path / "count.pdf"), "-"], capture_output=True,
                           text=True, check=True).stdout
    assert "实盘数量" in count and "盘点人" in count and "34.5" not in count


def test_release_says_when_the_batch_is_on_quality_hold(hand: Path, tmp_path: Path) -> None:
    result = api.offset(hand, as_of=D(2026, 2, 5))
    got = dict(zip(result.release["doc_no"].astype(str), result.release["quality_hold"], strict=True))
    assert got == {"S1": None, "S2": "B2（待检）", "S3": None}  # B2 is released on 02-10
    later = api.offset(hand, as_of=D(2026, 2, 28))
    assert later.release["quality_hold"].isna().all()
    _, w = api.offset_to_book(hand, as_of=D(2026, 2, 5), out=tmp_path / "o.xlsx")
    rows = _rows(w.written, "发货放行")
    col = rows[0].index("批次质量")
    assert [r[col] for r in rows[1:]] == [None, "批次未放行：B2（待检）", None]
    assert rows[0][-1] == "放行决定"


def test_monthly_report_has_a_stock_review(hand: Path, tmp_path: Path) -> None:
    result = api.summary(hand, month="2026-02", out=tmp_path / "月报.xlsx")
    review = result.stock_review
    assert review is not None
    mv = {(r.warehouse, r.product): (r.opening, r.receipts, r.issues, r.adjustments, r.closing)
          for r in review.movements.itertuples(index=False)}
    assert mv == {("北仓", "甲"): (40, 0, 5, Decimal("-0.5"), Decimal("34.5")), ("南仓", "乙"): (0, 60, 85, 0, -25)}
    assert len(review.variances) == 0  # the counts are in January and March
    assert {f.code for f in review.anomalies} == STOCK_CODES - {Code.COUNT_VARIANCE} | {Code.OUT_OF_RANGE,
                                                                                         Code.MISSING_VALUE}
    wb = openpyxl.load_workbook(tmp_path / "月报.xlsx")
    assert "库存核对" in wb.sheetnames[-2:]  # with 价格分析 when the book has a 价目表
    texts = [c for row in wb["库存核对"].iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert "北仓 合计" in texts and any("F005" in t for t in texts)


def test_worksheet_function_and_button(hand: Path, tmp_path: Path) -> None:
    from salesxl.core import worksheet_functions as wf
    from salesxl.excel.buttons import run_stock
    from salesxl.excel.gateway import FileGateway

    cards = HAND["库存"]
    got = wf.stock_balance([["北仓"], ["北仓"], ["南仓"], ["北仓"]], "甲", [["10kg"], ["10kg"], [None], [None]],
                           [["B1"], ["B1"], ["B1"], ["B1"]], D(2026, 1, 5), cards)
    assert got == [[50], [50], [0], [0]]  # the day's two issues count; another card is 0
    assert wf.stock_balance("北仓", "甲", "10kg", "B1", D(2026, 2, 16), cards) == 34.5
    assert wf.stock_balance("北仓", "甲", "10kg", "B1", None, [["日期", "仓库"]]).startswith("#错误")
    book = shutil.copyfile(hand, tmp_path / "book.xlsx")
    result = run_stock(FileGateway(book, in_place=True), as_of=D(2026, 2, 28))
    assert len(result.balances) == 2
    assert {"库存结存", "盘点差异"} <= set(openpyxl.load_workbook(book).sheetnames)
