"""The customer's own form (客户信息表): only that customer's own data, returned through the batch
onto 待审核, applied by ``salesxl review`` only where the office approved — never a rejected one."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter

from salesxl import api
from salesxl.batch.master import LOG_SHEET, RECORD_SHEET
from salesxl.cli import run
from salesxl.core.customer_form import FORM_FIELDS, INTERNAL_FIELDS, REVIEW_SHEET
from salesxl.io.reading import read_book

ISSUED = date(2026, 11, 1)
HEADERS = ["客户编号", "客户名称", "客户性质", "统一社会信用代码", "联系电话", "地址", "业务员", "信用额度", "账期天数",
           "客户等级", "信用等级", "备注", "发展潜力", "合作态度", "信誉评价", "存在问题", "应对计划", "主要竞争对手",
           "服务区域", "销售队伍", "公司规模", "成立日期", "片区"]
#: Four customers; every internal value is a distinctive string or number that must never leak.
CARDS: list[list[Any]] = [
    ["QX7001", "杭州甲商贸有限公司", "个人", None, "13812345678", "杭州市西湖区文三路一号", "张三", 876543.21, 45,
     "主要客户", "B", "老板爱打折扣备注甲", "高", "积极", "好", "回款慢问题甲", "季度拜访计划甲", "竞对华星甲",
     "浙江", 12, "中型", date(2010, 5, 1), "杭州片区甲"],
    ["QX7002", "宁波乙实业有限公司", "个人", None, "13912345679", "宁波市江北区乙路二号", "张三", 555444.33, 60,
     "一般客户", "C", "备注乙不可外传", "低", "消极", "差", "问题乙", "计划乙", "竞对乙",
     "宁波", 3, "小型", date(2015, 1, 2), "宁波片区乙"],
    ["QX7003", "温州丙电子有限公司", "个人", None, "13712345670", "温州市鹿城区丙街三号", "李四", None, None,
     None, None, None, None, None, None, None, None, None, None, None, None, None, None],
]


def write_master(path: Path) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws = wb.add_worksheet("客户档案")
    ws.write_row(0, 0, HEADERS)
    for r, row in enumerate(CARDS, start=1):
        for c, v in enumerate(row):
            if isinstance(v, date):
                ws.write_datetime(r, c, datetime(v.year, v.month, v.day), day)
            elif v is not None:
                ws.write(r, c, v)
    wb.close()
    return path


@pytest.fixture(scope="module")
def master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_master(tmp_path_factory.mktemp("form") / "销售管理.xlsx")


def parts_text(path: Path) -> str:
    """Every part of the package, decoded: what anyone unzipping the file can read."""
    with zipfile.ZipFile(path) as z:
        return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())


def test_form_holds_only_the_customers_own_data(master: Path, tmp_path: Path) -> None:
    form = api.customer_form(master, customer="QX7001", out=tmp_path / "f.xlsx", as_of=ISSUED)
    text = parts_text(form)
    assert "杭州甲商贸有限公司" in text and "13812345678" in text and "QX7001" in text
    for other in CARDS[1:]:  # no other customer's anything
        for value in (other[0], other[1], other[4], other[5]):
            assert value not in text, value
    own = dict(zip(HEADERS, CARDS[0], strict=True))
    for name in INTERNAL_FIELDS:  # no internal field, by name or by value
        assert not re.search(rf"(?<![\u4e00-\u9fff]){name}(?![\u4e00-\u9fff])", text), name
        value = own.get(name)
        if isinstance(value, str) and len(value) >= 2:  # (a grade letter "B" is in any XML)
            assert value not in text, (name, value)
    assert "876543" not in text and "876,543" not in text  # the credit limit
    wb = openpyxl.load_workbook(form)
    assert wb.sheetnames == ["客户信息表", "_salesxl"] and wb["_salesxl"].sheet_state == "veryHidden"
    ws = wb["客户信息表"]
    assert ws.protection.sheet
    unlocked = [c for row in ws.iter_rows() for c in row if c.protection.locked is False]
    assert len(unlocked) == len(FORM_FIELDS)  # only the answers can be typed in
    assert not form.with_suffix(".xlsm").exists() and b"vbaProject" not in form.read_bytes()


def test_every_customer_gets_a_form(master: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["template", "customer", "--from", str(master), "--all", "--out", str(tmp_path / "forms"),
                "--as-of", "2026-11-01"]) == 0
    assert sorted(p.name for p in (tmp_path / "forms").iterdir()) == [
        "客户信息表-QX7001-杭州甲商贸有限公司.xlsx", "客户信息表-QX7002-宁波乙实业有限公司.xlsx",
        "客户信息表-QX7003-温州丙电子有限公司.xlsx"]
    assert run(["template", "customer", "--from", str(master), "--customer", "NOPE", "--out", str(tmp_path)]) == 2


def fill(form: Path, answers: dict[str, Any]) -> None:
    """The customer types answers next to the form's labels (openpyxl: no formulas in a form)."""
    from salesxl.core.customer_form import FORM_LABELS

    wb = openpyxl.load_workbook(form)
    ws = wb["客户信息表"]
    rows = {ws.cell(r, 1).value: r for r in range(1, ws.max_row + 1)}
    for name, value in answers.items():
        ws.cell(rows[FORM_LABELS[name]], 2).value = value
    wb.save(form)


def review_rows(master: Path) -> list[dict[str, Any]]:
    ws = openpyxl.load_workbook(master)[REVIEW_SHEET]
    head = [c.value for c in ws[1]]
    return [dict(zip(head, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)]


def decide(master: Path, decisions: dict[str, str]) -> None:
    """The office marks 审核 per field (同意/驳回)."""
    wb = openpyxl.load_workbook(master)
    ws = wb[REVIEW_SHEET]
    head = [c.value for c in ws[1]]
    for r in range(2, ws.max_row + 1):
        name = ws.cell(r, head.index("字段") + 1).value
        if name in decisions:
            ws.cell(r, head.index("审核") + 1).value = decisions[name]
    wb.save(master)


def card(master: Path, cid: str) -> dict[str, Any]:
    f = read_book(master, sheets=("客户档案",))["客户档案"].frame.set_index("客户编号")
    return f.loc[cid].to_dict()


def test_round_trip_issue_fill_batch_review(master: Path, tmp_path: Path) -> None:
    book = shutil.copyfile(master, tmp_path / "销售管理.xlsx")
    inbox = tmp_path / "inbox"
    form = api.customer_form(book, customer="QX7001", out=inbox / "回传.xlsx", as_of=ISSUED)
    fill(form, {"联系电话": "0571-87654321", "服务区域": "浙江、江苏", "销售队伍": 25, "公司规模": "大型",
                "经营理念": "诚信为本", "成立日期": datetime(2030, 1, 1)})
    report = api.batch(inbox, master=book, month="2026-10", out=tmp_path / "out", as_of=date(2026, 11, 27),
                       monthly=False, workers=1)
    (f,) = report.files
    assert (f.status, f.changes, f.rejected) == ("for-review", 5, 1)  # the future founding date is not queued
    assert "成立日期" in (f.message_zh or "")
    assert report.master_written and report.exit_code == 1
    rows = review_rows(book)
    assert [(r["客户编号"], r["字段"], r["原值"], r["新值"]) for r in rows] == [
        ("QX7001", "联系电话", "13812345678", "0571-87654321"), ("QX7001", "服务区域", "浙江", "浙江、江苏"),
        ("QX7001", "销售队伍", "12", "25"), ("QX7001", "公司规模", "中型", "大型"), ("QX7001", "经营理念", None, "诚信为本")]
    assert all(r["来源文件"] == "回传.xlsx" and r["审核"] is None for r in rows)
    before = card(book, "QX7001")
    assert before["联系电话"] == "13812345678"  # nothing applied by the batch itself

    again = api.batch(inbox, master=book, month="2026-10", out=tmp_path / "out2", as_of=date(2026, 11, 27),
                      monthly=False, workers=1)
    assert again.files[0].status == "already-applied" and len(review_rows(book)) == 5  # queued once

    decide(book, {"联系电话": "同意", "销售队伍": "同意", "服务区域": "驳回", "公司规模": "驳回"})
    done = api.review(book)
    assert [(a["field"], a["new"]) for a in done.applied] == [("联系电话", "0571-87654321"), ("销售队伍", "25")]
    assert done.rejected == 2 and done.open == 1 and done.backup is not None and done.backup.exists()
    after = card(book, "QX7001")
    assert (after["联系电话"], after["销售队伍"], after["信息来源"]) == ("0571-87654321", 25, "客户填写")
    assert (after["服务区域"], after["公司规模"], after["经营理念"]) == ("浙江", "中型", None)  # rejected, open
    states = {r["字段"]: (r["审核"], r["状态"]) for r in review_rows(book)}
    assert states == {"联系电话": ("同意", "已采纳"), "销售队伍": ("同意", "已采纳"), "服务区域": ("驳回", "已驳回"),
                      "公司规模": ("驳回", "已驳回"), "经营理念": (None, None)}
    log = [r for r in openpyxl.load_workbook(book)[LOG_SHEET].iter_rows(min_row=2, values_only=True)]
    assert {(r[3], r[4], r[5], r[6]) for r in log} >= {("QX7001", "联系电话", "13812345678", "0571-87654321"),
                                                      ("QX7001", "销售队伍", "12", "25"),
                                                      ("QX7001", "信息来源", None, "客户填写")}
    assert not [r for r in log if r[4] in ("服务区域", "公司规模")]  # a rejected change never reaches the log
    assert len(list(openpyxl.load_workbook(book)[RECORD_SHEET].iter_rows(min_row=2))) == 1

    # a rejected row stays rejected: approving it later does nothing, a second review changes nothing
    decide(book, {"服务区域": "同意"})
    assert api.review(book).applied == [] and card(book, "QX7001")["服务区域"] == "浙江"
    # the office changed a field meanwhile: the approved answer is not applied, and 状态 says why
    decide(book, {"经营理念": "同意"})
    from test_batch import office_edit

    office_edit(book, {"QX7001": {"经营理念": "客户至上"}})
    late = api.review(book)
    assert late.applied == [] and late.exit_code == 1 and card(book, "QX7001")["经营理念"] == "客户至上"
    assert "客户至上" in {r["字段"]: r["状态"] for r in review_rows(book)}["经营理念"]


needs_office = pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdfinfo")),
                                  reason="LibreOffice and poppler are needed to print")


@needs_office
def test_form_opens_in_libreoffice_and_prints(master: Path, tmp_path: Path) -> None:
    form = api.customer_form(master, customer="QX7001", out=tmp_path / "form.xlsx", as_of=ISSUED)
    subprocess.run(["soffice", "--headless", "--norestore", "--convert-to", "pdf", "--outdir", str(tmp_path),
                    str(form)], check=True, capture_output=True, timeout=180,
                   env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin:/usr/local/bin"})
    info = subprocess.run(["pdfinfo", str(tmp_path / "form.pdf")], check=True, capture_output=True, text=True).stdout
    assert re.search(r"Pages:\s+1\b", info)  # the whole form on one A4 page
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "form.pdf"), "-"], check=True, capture_output=True,
                          text=True).stdout
    assert "客户信息表" in text and "杭州甲商贸有限公司" in text and "单位盖章" in text
