"""``salesxl batch`` (issue 8): returned demo templates folded into the master, with real files.

One scenario carries most of the weight: the clean demo master, templates issued by
``salesxl template salesperson``, then the office edits the master after issue (a conflict, a
reassignment), the salespeople edit their templates (card changes, new customers, visits, rows
with errors, another salesperson's customer, a locked field), and every kind of bad file and
owner file lands in the inbox.  The batch must merge exactly as :mod:`salesxl.core.merge` says
(the master's cells are checked one by one), write the feedback and report, run the monthly
job, and a second run must change nothing.  Smaller tests cover the locked master, the atomic
write and backup, the worker memory limit, crashes and timeouts, the pure rules and the CLI.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from salesxl import api
from salesxl.batch.inbox import owner_of, scan_inbox
from salesxl.batch.master import LOG_SHEET, RECORD_SHEET, read_records
from salesxl.batch.workers import load_template
from salesxl.core.grid import column_letter
from salesxl.core.merge import canonical_column, cell_value, next_ids, returned_from_books
from salesxl.core.schema import CUSTOMERS
from salesxl.core.tables import ROW
from salesxl.core.templates import CARD_FIELDS, TemplateMeta, canonical_text, meta_rows
from salesxl.io.columns import ColumnPatch, SheetPatch
from salesxl.io.reading import read_book
from salesxl.io.results import write_result_sheets
from test_cli_badfiles import corner, csv_renamed, encrypted, entities, truncated, xls
from test_safety import build_zip_bomb, make_xlsx, sheet_xml

ISSUED = date(2026, 11, 1)
MONTH = "2026-10"


# --------------------------------------------------------------------------------------------
# Helpers (shared with test_batch_kill)


@pytest.fixture(scope="session")
def demo_master(tmp_path_factory: pytest.TempPathFactory, demo_factory: Callable[..., Path]) -> Path:
    """The clean demo company (400 customers, 6 salespeople), built once."""
    return demo_factory(tmp_path_factory.mktemp("demo"), clean=True)


def fresh_master(demo: Path, folder: Path, name: str = "销售管理.xlsx") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    master = folder / name
    shutil.copyfile(demo, master)
    return master


def issue(master: Path, inbox: Path, *names: str) -> dict[str, Path]:
    """Templates for ``names`` issued from ``master`` into ``inbox`` (the real command's code)."""
    inbox.mkdir(parents=True, exist_ok=True)
    return {n: api.salesperson_template(master, salesperson=n, out=inbox / f"{n}.xlsx", as_of=ISSUED) for n in names}


def template_rows(ws: Any) -> dict[str, int]:
    """客户编号 → row of a template's 客户档案 (header on row 2)."""
    return {ws.cell(r, 1).value: r for r in range(3, ws.max_row + 1) if ws.cell(r, 1).value}


def edit_template(path: Path, *, cards: dict[str, dict[str, Any]] | None = None,
                  new: list[dict[str, Any]] | None = None, visits: list[list[Any]] | None = None,
                  rows: list[dict[str, Any]] | None = None) -> None:
    """Fill a returned template as a salesperson would (openpyxl: a template has no formulas).

    ``cards``: 客户编号 → field → new value; ``new``: new-customer rows; ``visits``: rows of 拜访
    in VISIT_FIELDS order; ``rows``: raw rows written into the spare rows (e.g. with a 客户编号
    that is not in the template).
    """
    wb = openpyxl.load_workbook(path)
    ws = wb["客户档案"]
    col = {f: i + 1 for i, f in enumerate(CARD_FIELDS)}
    where = template_rows(ws)
    for cid, fields in (cards or {}).items():
        for name, value in fields.items():
            ws.cell(where[cid], col[name]).value = value
    spare = [r for r in range(3, ws.max_row + 1) if not ws.cell(r, 1).value and not ws.cell(r, 3).value]
    for r, fields in zip(spare, [*(new or []), *(rows or [])], strict=False):
        for name, value in fields.items():
            ws.cell(r, col[name]).value = value
    for v in visits or []:
        wb["拜访"].append(v)
    wb.save(path)


def office_edit(master: Path, edits: dict[str, dict[str, str]]) -> None:
    """The office changes cards in the master after issue (patched, so nothing else changes)."""
    t = read_book(master, sheets=("客户档案",))["客户档案"]
    rows = dict(zip(t.frame["客户编号"].tolist(), t.frame["_row"].tolist(), strict=True))
    columns: dict[str, dict[int, str | int | None]] = {}
    for cid, fields in edits.items():
        for name, value in fields.items():
            columns.setdefault(name, {})[int(rows[cid])] = value
    patch = SheetPatch(t.sheet, int(t.header_row or 1),
                       [ColumnPatch(n, t.letter(n), "text", v) for n, v in columns.items()])
    tmp = master.with_name("office-edit.xlsx")
    write_result_sheets(master, [], patch=patch, out=tmp)
    os.replace(tmp, master)


def cards_of(master: Path) -> dict[str, dict[str, str | None]]:
    """客户编号 → CARD_FIELDS as canonical text, read back from the master."""
    f = read_book(master, sheets=("客户档案",))["客户档案"].frame
    cols = {n: canonical_column(f[n], CUSTOMERS.field(n).type) for n in CARD_FIELDS}
    return {cols["客户编号"][i]: {n: cols[n][i] for n in CARD_FIELDS} for i in range(len(f)) if cols["客户编号"][i]}


def visits_of(master: Path) -> pd.DataFrame:
    return read_book(master, sheets=("拜访",))["拜访"].frame


def own_rows(master: Path, sheet: str) -> list[list[str | None]]:
    """Data rows (below the header) of one of the batch's own sheets."""
    from salesxl.batch.rows import find_part, read_raw
    from salesxl.io.safety import inspect_workbook

    info = inspect_workbook(master)
    part = find_part(info, sheet)
    return [] if part is None else read_raw(master, info, part).rows[1:]


def run(inbox: Path, master: Path, out: Path, **kw: Any) -> Any:
    kw.setdefault("monthly", False)
    kw.setdefault("workers", 2)
    return api.batch(inbox, master=master, month=MONTH, out=out, as_of=date(2026, 11, 27), **kw)


def by_file(report: Any) -> dict[str, Any]:
    return {f.file: f for f in report.files}


# --------------------------------------------------------------------------------------------
# Bad files


def template_lookalike(path: Path, sheets: dict[str, bytes]) -> Path:
    """A workbook with a valid meta sheet (so the batch takes it for a template) and ``sheets``."""
    meta = TemplateMeta(salesperson="李静", issued_at=datetime(2026, 11, 1), master_name="销售管理.xlsx")

    def cell(r: int, c: int, v: Any) -> str:
        return f'<c r="{column_letter(c)}{r}" t="inlineStr"><is><t>{v}</t></is></c>'

    meta_xml = "".join(f'<row r="{r}">' + "".join(cell(r, c, v) for c, v in enumerate(row) if v is not None)
                       + "</row>" for r, row in enumerate(meta_rows(meta), 1) if row)
    return make_xlsx(path, {**sheets, "_salesxl": sheet_xml(meta_xml)}, compresslevel=1)


def million_rows(folder: Path) -> Path:
    """A template look-alike whose 客户档案 has 1,048,576 rows: refused before it is parsed."""
    body = b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (i, i, i) for i in range(1, 1_048_577))
    big = sheet_xml("").replace(b"<sheetData></sheetData>", b"<sheetData>" + body + b"</sheetData>")
    return template_lookalike(folder / "百万行.xlsx", {"客户档案": big})


def corner_template(folder: Path) -> Path:
    """A template look-alike with cells in A1 and XFD1048576 (calamine would allocate 17
    billion cells and abort the process): the safety scan refuses it."""
    xml = sheet_xml('<row r="1"><c r="A1" t="inlineStr"><is><t>客户编号</t></is></c></row>'
                    '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>', dimension="A1:XFD1048576")
    return template_lookalike(folder / "角落.xlsx", {"客户档案": xml})


def not_a_template(folder: Path) -> Path:
    path = folder / "客户名单.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["客户编号", "客户名称"])
    wb.active.append(["KH00001", "甲"])
    wb.save(path)
    return path


BAD_FILES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "corrupt zip": (truncated, "unreadable"),
    ".xls": (xls, "unreadable"),
    "CSV": (csv_renamed, "unreadable"),
    "encrypted": (encrypted, "unreadable"),
    "zip bomb": (lambda d: build_zip_bomb(d / "炸弹.xlsx"), "unreadable"),
    "billion laughs": (entities, "unreadable"),
    "corner cell": (corner_template, "unreadable"),
    "corner, no meta": (corner, "not-a-template"),
    "1,048,576 rows": (million_rows, "too-large"),
    "not a template": (not_a_template, "not-a-template"),
}


def drop_bad_files(inbox: Path, scratch: Path) -> dict[str, str]:
    """Every bad file into the inbox; file name → expected status."""
    expected = {}
    for key, (build, status) in BAD_FILES.items():
        work = scratch / key.replace(" ", "_").replace(",", "")
        work.mkdir(parents=True)
        path = build(work)
        target = inbox / path.name
        shutil.move(path, target)
        expected[target.name] = status
    return expected


def excel_owner_file(path: Path, user: str) -> Path:
    """An Excel owner file as Excel writes it: ANSI name at byte 0, UTF-16 name at byte 54."""
    ansi = user.encode("gbk")
    data = bytes([len(ansi)]) + ansi.ljust(53, b" ") + len(user).to_bytes(2, "little") + user.encode("utf-16-le")
    lock = path.with_name("~$" + path.name)
    lock.write_bytes(data.ljust(165, b"\x00"))
    return lock


# --------------------------------------------------------------------------------------------
# The scenario


@pytest.fixture(scope="module")
def scenario(demo_master: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("scenario")
    master = fresh_master(demo_master, root / "office")
    inbox = root / "inbox"
    files = issue(master, inbox, "李静", "张伟", "王建军")
    before = cards_of(master)
    visits_before = len(visits_of(master))

    # The office, after issue: changes KH00002's address (李静 changes it too: conflict) and
    # gives KH00004 (张伟's) to 王建军 (张伟's edit of it is then rejected).
    office_edit(master, {"KH00002": {"地址": "宁波市江北区办公室新址8号"}, "KH00004": {"业务员": "王建军"}})

    edit_template(
        files["李静"],
        cards={"KH00001": {"地址": "宁波市北仑区新碶街道明州路1号", "联系电话": "13905741234"},
               "KH00002": {"地址": "宁波市江北区业务员填的地址"},
               "KH00008": {"联系电话": "12345"}},  # bad-phone: the row is rejected
        new=[{"客户名称": "宁波新港物流有限公司", "客户性质": "一般公司", "统一社会信用代码": "91330200MA2H4XE57L",
              "联系电话": "0574-87654321", "省份": "浙江省", "城市": "宁波市"},
             {"客户名称": "王五", "客户性质": "个人", "联系电话": "13800000001"},
             {"客户性质": "一般公司", "地址": "没写名称的新客户"}],  # no name: rejected
        visits=[[datetime(2026, 11, 5), None, "KH00001", None, "上门", "回访新地址", "下周送样"],
                [datetime(2026, 11, 6), "李静", None, "王五", "电话", "初次联系", None],
                [datetime(2026, 11, 7), "李静", "KH00003", None, "电话", "别人的客户", None]],
    )
    edit_template(
        files["张伟"],
        cards={"KH00003": {"备注": "年底前续签", "资产规模": 12345678.9},
               "KH00004": {"地址": "被改派后的修改"},
               "KH00007": {"业务员": "赵磊"}},  # a locked field, changed anyway
    )
    edit_template(files["王建军"], rows=[{"客户编号": "KH00001", "客户名称": "想改李静的客户"}])
    shutil.copyfile(files["李静"], inbox / "李静（再发一次）.xlsx")  # the same file twice

    expected_bad = drop_bad_files(inbox, root / "scratch")
    excel_owner_file(files["张伟"], "张伟")
    (inbox / ".~lock.王建军.xlsx#").write_text(",wjj,PC-12,27.11.2026 09:00,file:///x;", encoding="utf-8")
    (inbox / ".李静.a1b2c3d4.tmp").write_bytes(b"partial")
    master_bytes = master.read_bytes()
    out = root / "out"
    report = run(inbox, master, out, monthly=True)
    return {"root": root, "master": master, "inbox": inbox, "out": out, "report": report, "before": before,
            "visits_before": visits_before, "expected_bad": expected_bad, "master_bytes": master_bytes}


def test_master_cells_keep_their_types(scenario: dict[str, Any]) -> None:
    """Amounts, dates and numbers go into the master as numbers (dates with a date format):
    Excel shows them as the user's other cells, and the reader reads the same typed values."""
    master = scenario["master"]
    t = read_book(master, sheets=("客户档案",))["客户档案"]
    row = t.frame.loc[t.frame["客户编号"] == "KH00003"].iloc[0]
    assert row["资产规模"] == 1234567890  # int fen
    new = t.frame.loc[t.frame["客户名称"] == "宁波新港物流有限公司"].iloc[0]
    wb = openpyxl.load_workbook(master)
    ws = wb["客户档案"]
    amount = ws[f"{t.letters['资产规模']}{int(row[ROW])}"].value
    assert amount == 12345678.9 and isinstance(amount, float)
    assert ws[f"{t.letters['客户编号']}{int(new[ROW])}"].value == new["客户编号"]
    vt = read_book(master, sheets=("拜访",))["拜访"]
    dates = [wb[vt.sheet][f"{vt.letters['日期']}{int(r)}"].value for r in vt.frame[ROW]]
    assert dates[-2:] == [datetime(2026, 11, 5), datetime(2026, 11, 6)]  # the two new visits
    v = visits_of(master)
    assert str(v["日期"].max())[:10] >= "2026-11-06"


def test_statuses(scenario: dict[str, Any]) -> None:
    files = by_file(scenario["report"])
    for name, status in scenario["expected_bad"].items():
        assert files[name].status == status, (name, files[name].message_en)
        assert files[name].message_zh and files[name].message_en
    assert files["李静.xlsx"].status == files["张伟.xlsx"].status == "applied"
    assert files["王建军.xlsx"].status == "nothing-applied"  # its one row is another's customer
    assert files["李静（再发一次）.xlsx"].status == "duplicate"
    assert "张伟" in (files["张伟.xlsx"].message_zh or "")  # open while read: said so
    ignored = {i.path.name for i in scenario["report"].ignored}
    assert ignored == {"~$张伟.xlsx", ".~lock.王建军.xlsx#", ".李静.a1b2c3d4.tmp"}
    assert scenario["report"].master_written and scenario["report"].exit_code == 1


def test_changes_applied_exactly(scenario: dict[str, Any]) -> None:
    after, before = cards_of(scenario["master"]), scenario["before"]
    assert after["KH00001"]["地址"] == "宁波市北仑区新碶街道明州路1号"
    assert after["KH00001"]["联系电话"] == "13905741234"
    assert after["KH00002"]["地址"] == "宁波市江北区办公室新址8号"  # conflict: the office's value stays
    assert after["KH00008"] == before["KH00008"]  # row with an error: rejected whole
    assert after["KH00003"]["备注"] == "年底前续签"
    assert after["KH00003"]["资产规模"] == "12345678.90"  # a fractional amount, exact to the fen
    assert after["KH00004"]["地址"] == before["KH00004"]["地址"]  # reassigned: rejected
    assert after["KH00004"]["业务员"] == "王建军"
    assert after["KH00007"]["业务员"] == "张伟"  # a locked field is not taken over
    # Nothing else changed on any card.
    touched = {("KH00001", "地址"), ("KH00001", "联系电话"), ("KH00002", "地址"), ("KH00003", "备注"),
               ("KH00003", "资产规模"), ("KH00004", "业务员")}
    for cid, fields in before.items():
        for name, value in fields.items():
            if (cid, name) not in touched:
                assert after[cid][name] == value, (cid, name)


def test_new_customers_and_visits(scenario: dict[str, Any]) -> None:
    after = cards_of(scenario["master"])
    assert set(after) - set(scenario["before"]) == {"KH00401", "KH00402"}
    assert after["KH00401"]["客户名称"] == "宁波新港物流有限公司" and after["KH00401"]["业务员"] == "李静"
    assert after["KH00401"]["统一社会信用代码"] == "91330200MA2H4XE57L"
    assert after["KH00402"]["客户名称"] == "王五" and after["KH00402"]["客户性质"] == "个人"
    v = visits_of(scenario["master"])
    assert len(v) == scenario["visits_before"] + 2
    new = v.tail(2)
    assert new["业务员"].tolist() == ["李静", "李静"]  # forced, even where left blank
    assert new["客户编号"].tolist() == ["KH00001", "KH00402"]  # the new customer's visit gets its ID
    assert [d.date() for d in new["日期"]] == [date(2026, 11, 5), date(2026, 11, 6)]


def test_rejections_conflicts_and_log(scenario: dict[str, Any]) -> None:
    files = by_file(scenario["report"])
    li, zhang, wang = (files[n].merge for n in ("李静.xlsx", "张伟.xlsx", "王建军.xlsx"))
    assert [(c.customer_id, c.field, c.current, c.returned) for c in li.conflicts] == [
        ("KH00002", "地址", "宁波市江北区办公室新址8号", "宁波市江北区业务员填的地址")]
    assert sorted(r.code for r in li.rejections) == ["no-name", "row-errors", "visit-not-yours"]
    assert sorted(r.code for r in zhang.rejections) == ["locked-field", "reassigned"]
    assert [r.code for r in wang.rejections] == ["not-yours"]
    log = own_rows(scenario["master"], LOG_SHEET)
    applied = sum(f.changes + f.new_customers + f.visits for f in scenario["report"].files)
    assert len(log) == applied == 2 + 2 + 2 + 2
    assert {(r[3], r[4]) for r in log} >= {("KH00001", "地址"), ("KH00401", "新建客户"), ("KH00003", "资产规模")}
    record = own_rows(scenario["master"], RECORD_SHEET)
    assert {r[3] for r in record} == {files[n].sha256 for n in ("李静.xlsx", "张伟.xlsx", "王建军.xlsx")}


def test_feedback_report_and_monthly_job(scenario: dict[str, Any]) -> None:
    out, report = scenario["out"], scenario["report"]
    fb = openpyxl.load_workbook(out / "反馈-李静.xlsx")
    assert fb.sheetnames == ["概要", "已采纳", "冲突", "未采纳", "问题", "档案待完善"]
    rejected = [r for r in fb["未采纳"].iter_rows(min_row=2, values_only=True)]
    assert any("KH00003" in str(r[3]) and "张伟" in r[6] for r in rejected)  # says whose customer it is
    assert [r[3] for r in fb["冲突"].iter_rows(min_row=2, values_only=True)] == ["KH00002"]
    assert {p.name for p in report.feedback} == {"反馈-李静.xlsx", "反馈-张伟.xlsx", "反馈-王建军.xlsx"}
    sheet = openpyxl.load_workbook(out / "批处理报告.xlsx")["批处理报告"]
    assert sheet.max_row == len(report.files) + 1
    doc = report.to_json()
    assert doc["totals"]["new_customers"] == 2 and doc["totals"]["conflicts"] == 1
    assert {s: v["ok"] for s, v in doc["monthly"].items()} == {
        "validate": True, "classify": True, "offset": True, "summary": True}
    assert (out / "月报-2026-10.xlsx").exists() and (out / "销售管理.往来结果.xlsx").exists()
    json.dumps(doc, ensure_ascii=False)


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def test_feedback_counts_are_numbers(scenario: dict[str, Any]) -> None:
    summary = list(openpyxl.load_workbook(scenario["out"] / "反馈-李静.xlsx")["概要"].iter_rows(values_only=True))
    assert summary[0][:3] == ("文件", "状态", "修改")
    assert all(isinstance(row[2], int) and isinstance(row[6], int) for row in summary[1:]) and len(summary) > 1


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_opens_feedback_and_report(scenario: dict[str, Any], tmp_path: Path) -> None:
    profile = (tmp_path / "lo-profile").as_uri()
    books = [scenario["out"] / "反馈-李静.xlsx", scenario["out"] / "批处理报告.xlsx"]
    done = subprocess.run([SOFFICE, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "xlsx",
                           "--outdir", str(tmp_path / "lo"), *map(str, books)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    for book in books:  # what LibreOffice saved back holds the same sheets and cells
        ours, theirs = openpyxl.load_workbook(book), openpyxl.load_workbook(tmp_path / "lo" / book.name)
        assert ours.sheetnames == theirs.sheetnames
        for name in ours.sheetnames:
            assert list(ours[name].values) == list(theirs[name].values), (book.name, name)


def test_second_run_changes_nothing(scenario: dict[str, Any]) -> None:
    master = scenario["master"]
    data = master.read_bytes()
    again = run(scenario["inbox"], master, scenario["root"] / "out2")
    assert master.read_bytes() == data
    assert not again.master_written and not again.master_needed
    files = by_file(again)
    for name in ("李静.xlsx", "张伟.xlsx", "王建军.xlsx"):
        assert files[name].status == "already-applied"
    assert files["李静.xlsx"].changes == 2 and files["李静.xlsx"].conflicts == 1  # counts from the record
    assert files["李静（再发一次）.xlsx"].status == "already-applied"
    for name, status in scenario["expected_bad"].items():
        assert files[name].status == status  # still reported, never applied


def test_backup_is_the_old_master(scenario: dict[str, Any]) -> None:
    backup = scenario["report"].backup
    assert backup is not None and backup.read_bytes() == scenario["master_bytes"]
    assert not [p for p in scenario["master"].parent.iterdir() if p.name.endswith(".tmp")]


# --------------------------------------------------------------------------------------------
# Locked master, atomic write


def test_locked_master_is_not_written(demo_master: Path, tmp_path: Path) -> None:
    master = fresh_master(demo_master, tmp_path / "office")
    inbox = tmp_path / "inbox"
    files = issue(master, inbox, "赵磊")
    edit_template(files["赵磊"], cards={"KH00018": {"备注": "锁定测试"}})
    lock = excel_owner_file(master, "王敏")
    data = master.read_bytes()
    report = run(inbox, master, tmp_path / "out")
    assert master.read_bytes() == data and not report.master_written
    assert report.exit_code == 1
    assert report.locked_by is not None and report.locked_by.user == "王敏"
    assert "王敏" in (report.master_message("zh") or "") and master.name in (report.master_message("en") or "")
    assert by_file(report)["赵磊.xlsx"].status == "not-written"
    assert (tmp_path / "out" / "反馈-赵磊.xlsx").exists()
    lock.unlink()
    report = run(inbox, master, tmp_path / "out")
    assert report.master_written and cards_of(master)["KH00018"]["备注"] == "锁定测试"


def test_owner_file_formats(tmp_path: Path) -> None:
    book = tmp_path / "Budget2026.xlsx"
    book.write_bytes(b"x")
    assert owner_of(book) is None
    excel_owner_file(book, "张伟").rename(tmp_path / "~$dget2026.xlsx")  # long names lose 2 characters
    found = owner_of(book)
    assert found is not None and found.user == "张伟" and found.program == "Excel/WPS"
    (tmp_path / "~$dget2026.xlsx").unlink()
    (tmp_path / ".~lock.Budget2026.xlsx#").write_text(",wangmin,OFFICE-PC,27.11.2026 10:00,file:///b;")
    found = owner_of(book)
    assert found is not None and (found.user, found.host, found.program) == ("wangmin", "OFFICE-PC", "LibreOffice")


def test_atomic_write_keeps_mode_and_backup(demo_master: Path, tmp_path: Path) -> None:
    master = fresh_master(demo_master, tmp_path / "office")
    os.chmod(master, 0o640)
    inbox = tmp_path / "inbox"
    files = issue(master, inbox, "陈晓燕")
    edit_template(files["陈晓燕"], cards={"KH00005": {"地址": "上海市新地址"}})
    data = master.read_bytes()
    report = run(inbox, master, tmp_path / "out")
    assert report.master_written and report.exit_code == 0
    assert stat.S_IMODE(master.stat().st_mode) == 0o640
    assert report.backup.read_bytes() == data and report.backup.name.startswith("销售管理.备份-")
    assert sorted(p.name for p in master.parent.iterdir() if not p.name.startswith(".")) == sorted(
        [master.name, report.backup.name])
    # Everything but the sheets the batch writes is byte-identical (a package patch, not a re-save).
    with zipfile.ZipFile(report.backup) as old, zipfile.ZipFile(master) as new:
        same = [n for n in old.namelist() if n.startswith("xl/worksheets/") and old.read(n) == new.read(n)]
        assert len(same) >= 7


def test_master_saved_during_the_batch_is_not_overwritten(demo_master: Path, tmp_path: Path) -> None:
    from salesxl.batch.master import MasterNotWritten, check_writable

    master = fresh_master(demo_master, tmp_path)
    sha = read_records(master).sha256
    check_writable(master, sha)
    office_edit(master, {"KH00001": {"备注": "有人保存了"}})
    with pytest.raises(MasterNotWritten):
        check_writable(master, sha)


# --------------------------------------------------------------------------------------------
# Workers: memory limit, crash, timeout


def test_worker_memory_crash_and_timeout(demo_master: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    master = fresh_master(demo_master, tmp_path / "office")
    inbox = tmp_path / "inbox"
    files = issue(master, inbox, "刘洋", "赵磊")
    edit_template(files["刘洋"], cards={"KH00014": {"备注": "批处理照常进行"}})
    for name in ("吃内存", "被杀", "卡住"):
        shutil.copyfile(files["赵磊"], inbox / f"{name}.xlsx")
        edit_template(inbox / f"{name}.xlsx", cards={"KH00018": {"备注": name}})
    monkeypatch.setenv("SALESXL_BATCH_FAULT", "memory:吃内存,kill:被杀,hang:卡住")
    report = run(inbox, master, tmp_path / "out", timeout=2)
    files = by_file(report)
    assert files["吃内存.xlsx"].status == "memory"  # the RLIMIT_AS limit is enforced in the worker
    assert files["被杀.xlsx"].status == "crashed"
    assert files["卡住.xlsx"].status == "timeout"
    assert files["刘洋.xlsx"].status == "applied"
    assert files["赵磊.xlsx"].status == "nothing-applied"  # returned as issued
    assert report.master_written and cards_of(master)["KH00014"]["备注"] == "批处理照常进行"
    assert report.exit_code == 1


def test_faults_inside_multi_file_tasks(demo_master: Path, tmp_path: Path) -> None:
    """With several files per task, a worker that hangs on one file, dies on another or runs
    out of memory on a third costs only that file: the hung file is pinned by the worker's
    progress reports, the others of a lost task are read again one by one."""
    from salesxl.batch import workers
    from salesxl.core.merge import Returned

    master = fresh_master(demo_master, tmp_path / "office")
    inbox = tmp_path / "inbox"
    base = issue(master, inbox, "赵磊")["赵磊"]
    names = [f"{k:02d}-{tag}.xlsx" for k, tag in enumerate(["好", "好", "卡住", "好", "被杀", "好", "吃内存", "好", "好"])]
    for name in names:
        shutil.copyfile(base, inbox / name)
    base.unlink()
    jobs = [workers.Job(inbox / n, n) for n in names]
    assert max(1, min(workers.FILES_PER_TASK, len(jobs) // workers.QUEUE_DEPTH)) == 3  # three files a task
    out = workers.read_all(jobs, as_of=date(2026, 11, 27), workers=1, timeout=2,
                           faults=workers.parse_faults("hang:卡住,kill:被杀,memory:吃内存"))
    kinds = {p.name: (o.kind if isinstance(o, workers.Failure) else type(o).__name__) for p, o in out.items()}
    assert kinds == {n: {"卡住": "timeout", "被杀": "crashed", "吃内存": "memory"}.get(n[3:-5], "Returned")
                     for n in names}
    assert all(isinstance(out[inbox / n], Returned) for n in names if n.endswith("好.xlsx"))


def test_a_check_that_fails_on_one_file_of_a_task_fails_only_that_file(demo_master: Path, tmp_path: Path) -> None:
    """A task reads a few files and checks them together; when that joint check fails, each
    file is checked alone, so only the file at fault is reported (here the task runs in this
    process, with the worker's test hook making the check fail on one file)."""
    from salesxl.batch import workers
    from salesxl.core.merge import Returned

    master = fresh_master(demo_master, tmp_path / "office")
    files = issue(master, tmp_path / "inbox", "刘洋", "赵磊", "陈晓燕")
    edit_template(files["刘洋"], cards={"KH00014": {"备注": "照常合并"}})
    jobs = [workers.Job(files[n], n) for n in ("刘洋", "赵磊", "陈晓燕")]
    saved = dict(workers._STATE)
    try:
        workers._STATE.update(faults={"check": "赵磊"}, started=None)
        outcomes = workers._task(1, jobs, date(2026, 11, 27), workers.MAX_TEMPLATE_ROWS, "merge", 60.0)
    finally:
        workers._STATE.clear()
        workers._STATE.update(saved)
    assert isinstance(outcomes[1], workers.Failure) and outcomes[1].kind == "error" and "赵磊" in outcomes[1].zh
    assert isinstance(outcomes[0], Returned) and isinstance(outcomes[2], Returned)
    assert [c.customer_id for c in outcomes[0].cards] == ["KH00014"]


# --------------------------------------------------------------------------------------------
# Pure rules


def test_templates_checked_together_as_each_alone(scenario: dict[str, Any]) -> None:
    """A worker checks a few templates in one vectorised pass: each must come out exactly as it
    does alone, even next to its own copy (whose every row would otherwise be a duplicate)."""
    names = ["李静.xlsx", "李静（再发一次）.xlsx", "张伟.xlsx", "王建军.xlsx"]
    loaded = [load_template(scenario["inbox"] / n, n) for n in names]
    together = returned_from_books(loaded, as_of=date(2026, 11, 27))
    alone = [returned_from_books([one], as_of=date(2026, 11, 27))[0] for one in loaded]
    assert [repr(r) for r in together] == [repr(r) for r in alone]
    first, copy = together[0], together[1]
    assert any(c.errors for c in first.cards)  # KH00008's bad phone: the pass is not vacuous
    assert [f.model_dump() for f in copy.findings] == [f.model_dump() for f in first.findings]
    assert not any(f.code.value in ("duplicate-id", "possible-duplicate") for f in copy.findings)


def test_canonical_column_matches_canonical_text(demo_master: Path) -> None:
    f = read_book(demo_master, sheets=("客户档案",))["客户档案"].frame.head(120)
    for name in CARD_FIELDS:
        kind = CUSTOMERS.field(name).type
        assert canonical_column(f[name], kind) == [canonical_text(v, name) for v in f[name].tolist()], name


def test_next_ids() -> None:
    assert next_ids(["KH00001", "KH00400", "KH00007"], 2) == ["KH00401", "KH00402"]
    assert next_ids([], 1) == ["KH00001"]
    assert next_ids(["C-99", "C-100", "X1"], 1) == ["C-101"]
    assert next_ids(["KH99999", "KH00001"], 1) == ["KH100000"]


@pytest.mark.parametrize(("name", "text", "value"), [
    ("资产规模", "43200000.00", 4320000000), ("资产规模", "12.30", 1230), ("成立日期", "2020-01-05", date(2020, 1, 5)),
    ("纬度", "29.885356", 29.885356), ("纬度", "30", 30), ("成立日期", "不详", "不详"), ("资产规模", "abc", "abc"), ("客户名称", "=HYPERLINK(1)", "=HYPERLINK(1)"), ("备注", None, None),
])
def test_cell_value(name: str, text: str | None, value: Any) -> None:
    assert cell_value(name, text) == value


def test_inbox_scan_skips_what_is_not_a_file_to_read(tmp_path: Path) -> None:
    master = tmp_path / "销售管理.xlsx"
    master.write_bytes(b"m")
    for name in ("a.xlsx", "~$a.xlsx", ".~lock.a.xlsx#", ".a.abcdefgh.tmp", ".b.abcdefgh.xlsx.tmp", ".DS_Store",
                 "销售管理.备份-20261127-101010.xlsx", "说明.txt"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "sub").mkdir()
    todo, ignored = scan_inbox(tmp_path, master=master)
    assert [p.name for p in todo] == ["a.xlsx", "说明.txt"]
    assert len(ignored) == 8


# --------------------------------------------------------------------------------------------
# Command line


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from salesxl.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=120)


def test_cli_json_and_exit_codes(demo_master: Path, tmp_path: Path) -> None:
    master = fresh_master(demo_master, tmp_path / "office")
    inbox = tmp_path / "inbox"
    files = issue(master, inbox, "王建军")
    edit_template(files["王建军"], cards={"KH00006": {"负责人": "新负责人"}})
    done = cli("batch", str(inbox), "--master", str(master), "--month", MONTH, "--out", str(tmp_path / "out"),
               "--json", "--no-monthly", "--lang", "en")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["master_written"] and doc["totals"]["changes"] == 1 and doc["exit"] == 0
    o = str(tmp_path / "o")  # never the working directory: the suite leaves nothing in the repository
    for args in (["batch", str(tmp_path / "nope"), "--master", str(master), "--month", MONTH, "--out", o],
                 ["batch", str(inbox), "--master", str(master), "--month", "2026-13", "--out", o],
                 ["batch", str(inbox), "--master", str(inbox / "王建军.xlsx.csv"), "--month", MONTH, "--out", o],
                 ["batch", str(inbox), "--master", str(csv_renamed(tmp_path)), "--month", MONTH, "--out", o]):
        bad = cli(*args)
        assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1, bad.stderr


def test_master_kept_in_excel_tables(tmp_path: Path) -> None:
    """客户档案 and 拜访 as Excel Tables (ListObjects): the Tables grow over the new rows, or the
    reader — which reads a Table by its range — would never see them."""
    import xlsxwriter

    master = tmp_path / "office" / "台账.xlsx"
    master.parent.mkdir()
    wb = xlsxwriter.Workbook(str(master))
    cards = [["KH001", "杭州甲有限公司", "个人", "13800000001", "李静"],
             ["KH002", "杭州乙有限公司", "个人", "13800000002", "李静"]]
    ws = wb.add_worksheet("客户档案")
    ws.add_table(0, 0, len(cards), 4, {"name": "客户档案", "data": cards, "columns": [
        {"header": h} for h in ("客户编号", "客户名称", "客户性质", "联系电话", "业务员")]})
    vs = wb.add_worksheet("拜访")
    vs.add_table(0, 0, 1, 6, {"name": "拜访记录", "data": [["2026-10-01", "李静", "KH001", "杭州甲有限公司", "上门", "首访", None]],
                              "columns": [{"header": h} for h in ("日期", "业务员", "客户编号", "客户名称", "方式", "内容", "下次计划")]})
    wb.add_worksheet("业务员").write_column(0, 0, ["业务员", "李静"])
    wb.close()
    inbox = tmp_path / "inbox"
    files = issue(master, inbox, "李静")
    edit_template(files["李静"], cards={"KH002": {"联系电话": "13900000002"}},
                  new=[{"客户名称": "杭州丙", "客户性质": "个人"}],
                  visits=[[datetime(2026, 11, 2), "李静", "KH002", None, "电话", "回访", None]])
    report = run(inbox, master, tmp_path / "out")
    assert report.master_written and report.exit_code == 0
    after = cards_of(master)
    assert after["KH002"]["联系电话"] == "13900000002"
    assert after["KH003"]["客户名称"] == "杭州丙" and after["KH003"]["业务员"] == "李静"
    v = visits_of(master)
    assert v["客户编号"].tolist() == ["KH001", "KH002"] and v["客户名称"].tolist()[-1] == "杭州乙有限公司"


def test_corrected_copy_supersedes_its_own_changes(demo_master: Path, tmp_path: Path) -> None:
    """A salesperson sends a corrected copy of an applied template: their own earlier values
    are superseded (not conflicts), new customers and visits are not added twice."""
    master = fresh_master(demo_master, tmp_path / "office")
    inbox = tmp_path / "inbox"
    files = issue(master, inbox, "赵磊")
    first = dict(cards={"KH00018": {"地址": "天津市第一版地址"}}, new=[{"客户名称": "天津新客户", "客户性质": "个人"}],
                 visits=[[datetime(2026, 11, 3), "赵磊", "KH00018", None, "上门", "初访", None]])
    edit_template(files["赵磊"], **first)
    assert run(inbox, master, tmp_path / "out").exit_code == 0
    wb = openpyxl.load_workbook(files["赵磊"])
    wb["客户档案"].cell(template_rows(wb["客户档案"])["KH00018"], CARD_FIELDS.index("地址") + 1).value = "天津市更正后的地址"
    wb.save(inbox / "赵磊-更正.xlsx")
    files["赵磊"].unlink()
    report = run(inbox, master, tmp_path / "out")
    f = by_file(report)["赵磊-更正.xlsx"]
    assert (f.changes, f.conflicts, f.rejected, f.new_customers, f.visits, f.already_recorded) == (1, 0, 0, 0, 0, 2)
    assert report.exit_code == 0
    after = cards_of(master)
    assert after["KH00018"]["地址"] == "天津市更正后的地址"
    assert [c for c, v in after.items() if v["客户名称"] == "天津新客户"] == ["KH00401"]
