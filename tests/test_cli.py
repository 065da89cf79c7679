"""The command line as users meet it: exit codes, one-line errors, the JSON of spec §5."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from salesxl.cli import run


def salesxl(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the real command in a real process, as a user's shell would."""
    return subprocess.run(
        [sys.executable, "-c", "from salesxl.cli import main; main()", *args],
        capture_output=True, text=True, timeout=120,
    )


@pytest.fixture
def small_book(tmp_path: Path) -> Path:
    path = tmp_path / "book.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "客户档案"
    ws.append(["客户编号", "客户名称", "客户性质", "业务员", "信用额度"])
    ws.append(["C1", "甲公司", "一般公司", "张三", "一万"])
    ws.append(["C2", "乙", "个人", "张三", 100])
    wb.save(path)
    return path


def test_validate_json_document(small_book: Path) -> None:
    done = salesxl("validate", str(small_book), "--json")
    assert done.returncode == 1, done.stderr  # the book has an error
    doc = json.loads(done.stdout)
    assert doc["errors"] == 1 and doc["warnings"] == 0
    assert doc["findings"] == [
        {
            "sheet": "客户档案", "row": 2, "column": "E", "field": "信用额度", "value": "一万",
            "severity": "error", "code": "bad-type", "message": doc["findings"][0]["message"],
        }
    ]
    assert "一万" in doc["findings"][0]["message"]


def test_validate_english_messages(small_book: Path) -> None:
    done = salesxl("validate", str(small_book), "--json", "--lang", "en")
    message = json.loads(done.stdout)["findings"][0]["message"]
    assert "cannot read" in message and "一万" in message


def test_clean_book_exits_zero(tmp_path: Path) -> None:
    path = tmp_path / "clean.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "客户档案"
    wb.active.append(["客户编号", "客户名称", "客户性质", "业务员"])
    wb.active.append(["C1", "甲", "个人", "张三"])
    wb.save(path)
    done = salesxl("validate", str(path))
    assert done.returncode == 0, done.stderr
    assert "没有发现问题" in done.stdout

    # marking a clean book, or one whose only problems are missing sheets: nothing to mark is said
    # as such, never "marked 0 cells"
    done = salesxl("validate", str(path), "--out", str(tmp_path / "marked.xlsx"))
    assert "未发现问题，未作标记" in done.stdout and "已标出" not in done.stdout
    bare = tmp_path / "bare.xlsx"
    openpyxl.Workbook().save(bare)
    done = salesxl("validate", str(bare), "--out", str(tmp_path / "bare-marked.xlsx"), "--lang", "en")
    assert done.returncode == 1 and "No cell to mark" in done.stdout and "Marked 0" not in done.stdout


def test_missing_archive_sheet_is_a_finding(tmp_path: Path) -> None:
    path = tmp_path / "nosheet.xlsx"
    openpyxl.Workbook().save(path)
    assert run(["validate", str(path), "--json"]) == 1


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("data.csv", "客户编号,客户名称\nC1,甲\n"),
        ("renamed.xlsx", "客户编号,客户名称\nC1,甲\n"),
        ("notes.xlsx", "just some text that is not a workbook\n"),
    ],
)
def test_unreadable_files_exit_2_with_one_line(tmp_path: Path, name: str, content: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    done = salesxl("validate", str(path), "--json")
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0] and "Traceback" not in done.stderr


def test_missing_path_and_bad_arguments(tmp_path: Path) -> None:
    for args in (
        ["validate", str(tmp_path / "nope.xlsx")],
        ["validate", str(tmp_path / "nope.xlsx"), "--as-of", "2026-13-40"],
        ["validate"],
        ["frobnicate"],
    ):
        done = salesxl(*args)
        assert done.returncode == 2, args
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert "Traceback" not in done.stderr


def test_bad_as_of_message_in_english(small_book: Path) -> None:
    done = salesxl("validate", str(small_book), "--as-of", "31/10/2026", "--lang", "en")
    assert done.returncode == 2 and "YYYY-MM-DD" in done.stderr


def test_help_exits_zero() -> None:
    done = salesxl("--help")
    assert done.returncode == 0 and "validate" in done.stdout


def test_sheets_command(small_book: Path) -> None:
    done = salesxl("sheets", str(small_book), "--json")
    assert done.returncode == 0
    (sheet,) = json.loads(done.stdout)
    assert sheet["sheet"] == "客户档案" and sheet["header_row"] == 1 and sheet["rows"] == 2


def test_offset_json_document(tmp_path: Path) -> None:
    """A tiny ledger through the real command: the spec §5 document, to the fen."""
    path = tmp_path / "ledger.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "客户档案"
    ws.append(["客户编号", "客户名称", "客户性质", "业务员", "信用额度", "账期天数"])
    ws.append(["C1", "甲公司", "一般公司", "张三", 1000, 30])
    sales = wb.create_sheet("销售")
    sales.append(["日期", "单号", "客户编号", "产品", "数量", "单价", "金额"])
    sales.append(["2026-09-01", "XS1", "C1", "钢材", 10, 100, 1000])
    sales.append(["2026-10-20", "XS2", "C1", "钢材", 1, 500.5, 500.5])
    receipts = wb.create_sheet("收款")
    receipts.append(["日期", "单号", "客户编号", "金额", "类型"])
    receipts.append(["2026-08-01", "SK1", "C1", 300, "预收"])
    wb.save(path)
    done = salesxl("offset", str(path), "--as-of", "2026-10-31", "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["as_of"] == "2026-10-31"
    (c1,) = doc["customers"]
    assert (c1["debits"], c1["credits"], c1["net"], c1["receivable"], c1["prepaid"]) == (
        "1500.50", "300.00", "1200.50", "1200.50", "0.00"
    )
    # XS1 (1000, due 10-01, 60 days old) is 30 days overdue after the prepayment took 300 of it
    assert c1["overdue"] == "700.00" and c1["aging"]["0-30"] == "500.50" and c1["aging"]["31-60"] == "700.00"
    assert c1["available_credit"] == "-200.50" and c1["action"] == "超信用额度"
    assert doc["allocations"] == [{"customer_id": "C1", "credit_doc": "SK1", "debit_doc": "XS1", "amount": "300.00"}]


def test_offset_out_and_statement_commands(tmp_path: Path, demo_factory: Callable[..., Path]) -> None:
    book = demo_factory(tmp_path)
    out = tmp_path / "往来.xlsx"
    done = salesxl("offset", str(book), "--as-of", "2026-10-31", "--out", str(out))
    assert done.returncode == 1  # the demo's planted unreadable amount
    assert out.exists() and "往来余额" in done.stdout
    assert {"往来余额", "账龄明细", "核销明细", "发货放行"} <= set(openpyxl.load_workbook(out, read_only=True).sheetnames)
    done = salesxl("statement", str(book), "--as-of", "2026-10-31", "--customer", "KH00133",
                   "--out", str(tmp_path / "stm"), "--json")
    assert done.returncode == 1, done.stderr  # the same reading error as offset, the same status
    (path,) = json.loads(done.stdout)["statements"]
    assert Path(path).name == "对账单_KH00133.xlsx" and Path(path).exists()
    done = salesxl("statement", str(book), "--customer", "NOPE", "--out", str(tmp_path / "stm"))
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1


def test_demo_command_runs_the_main_job(tmp_path: Path) -> None:
    done = salesxl("demo", "--out", str(tmp_path), "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    # 9 planted errors and 1 warning, + over-contract (issue 18), + the stock cards' 3 errors and 3 count
    # variances (issue 17), + the 价目表 plants' 4 errors and 2 warnings (issue 16)
    assert doc["validation"]["errors"] == 9 + 3 + 4 and doc["validation"]["warnings"] == 2 + 3 + 2
    for key in ("workbook", "checked", "ledger"):
        assert Path(doc[key]).exists(), key
    assert "校验结果" in openpyxl.load_workbook(doc["checked"], read_only=True).sheetnames


def test_clean_demo_gives_zero_findings(tmp_path: Path, demo_factory: Callable[..., Path]) -> None:
    from salesxl import api
    from salesxl.demo import DEMO_END

    report = api.validate(demo_factory(tmp_path, clean=True), as_of=DEMO_END)
    assert report.findings == []
