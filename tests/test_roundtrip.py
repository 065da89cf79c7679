"""What salesxl writes, salesxl can read (issue 3, item 3).

openpyxl empties every cached formula value when it saves, so a naive in-place write would make
the next read of the same file see ``no-cached-value`` where the user's ``=F3*G3`` amounts were.
Here a workbook with formulas *and* their cached values (as Excel leaves them) is marked in place,
and then validated, read and offset again: the findings, every typed table and the ledger are
the same as before.  Fixing a cell (patched in the package, the way Excel would keep the cell's
style) and re-running leaves no stale mark.  Everything is a real file on disk, and the command
line runs in a real process.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlsxwriter
from pandas.testing import assert_frame_equal

from salesxl import api
from salesxl.core.identifiers import uscc_check_char
from salesxl.core.tables import Book
from salesxl.io.json_documents import offset_document
from salesxl.io.marking import RESULTS_SHEET
from salesxl.io.reading import read_book

AS_OF = dt.date(2026, 10, 31)
RED = "FFFFC7CE"
BAD_PHONE = "12345"
GOOD_PHONE = "13912345678"
#: (客户编号, 客户名称, 客户性质, 联系电话, 业务员, 信用额度, 账期天数)
CUSTOMERS = [
    ("KH001", "杭州明辉五金有限公司", "一般公司", "0571-88776655", "张伟", 50000, 30),
    ("KH002", "宁波恒达机电有限公司", "一般公司", "13800138000", "李娜", 80000, 60),
    ("KH003", "王建国", "个人", BAD_PHONE, "张伟", 0, None),  # planted: bad-phone at 客户档案!D5
    ("KH004", "绍兴市教育局", "政府机构", "400-820-8820", "李娜", 200000, 90),
    ("KH005", "嘉兴宏远建材有限公司", "一般公司", "+86 137 0000 1234", "张伟", 30000, 30),
]
PHONE_CELL = "D5"  # title row 1, header row 2, KH003 on row 5
USCC_CELL = "C7"  # KH005's credit code, when planted wrong
#: (日期, 单号, 客户编号, 产品, 规格, 数量, 单价) — 金额 is the formula =F×G with its cached value
SALES = [
    (dt.date(2026, 1, 5), "XS2601001", "KH001", "闸阀", "DN50", 10, 125.5),
    (dt.date(2026, 1, 5), "XS2601001", "KH001", "球阀", "DN25", 24, 38.2),
    (dt.date(2026, 3, 12), "XS2603004", "KH002", "PPR管", "Φ25", 300, 7.35),
    (dt.date(2026, 5, 20), "XS2605007", "KH003", "电缆", "YJV-3×4", 150, 21.8),
    (dt.date(2026, 7, 1), "XS2607002", "KH004", "消防栓", "SS100", 6, 2280),
    (dt.date(2026, 8, 18), "XS2608011", "KH005", "闸阀", "DN80", 8, 310),
    (dt.date(2026, 9, 2), "XS2609003", "KH002", "PPR管", "Φ25", -40, 7.35),  # a return
    (dt.date(2026, 10, 9), "XS2610006", "KH001", "水泵", "QDX-10", 2, 1999.99),
]
#: (日期, 单号, 客户编号, 金额, 类型, 方式)
RECEIPTS = [
    (dt.date(2025, 12, 20), "SK2512001", "KH001", 2000, "预收", "银行转账"),
    (dt.date(2026, 2, 10), "SK2602003", "KH001", 165.6, "回款", "银行转账"),
    (dt.date(2026, 4, 30), "SK2604002", "KH002", 1500, "回款", "承兑汇票"),
    (dt.date(2026, 7, 20), "SK2607005", "KH004", 13680, "回款", "银行转账"),
    (dt.date(2026, 8, 1), "SK2608001", "KH005", 500, "预收", "微信"),
]


def uscc(i: int) -> str:
    first17 = f"91330100MA2{i:06d}"
    return first17 + uscc_check_char(first17)


def build_book(path: Path, *, phone: str = BAD_PHONE, bad_uscc: bool = False) -> Path:
    """客户档案, 业务员, 销售 and 收款 as an office keeps them: title rows, formats, formulas
    with their cached values (as Excel saves them), a merged title, frozen panes."""
    wb = xlsxwriter.Workbook(path)
    title = wb.add_format({"bold": True, "font_size": 14, "align": "center"})
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    money = wb.add_format({"num_format": "#,##0.00"})
    day = wb.add_format({"num_format": "yyyy-mm-dd"})

    ws = wb.add_worksheet("客户档案")
    ws.merge_range("A1:H1", "华东鑫达商贸有限公司客户档案", title)
    ws.write_row(1, 0, ["客户编号", "客户名称", "统一社会信用代码", "联系电话", "客户性质", "业务员", "信用额度", "账期天数"], head)
    for i, (cid, name, nature, tel, person, limit, terms) in enumerate(CUSTOMERS):
        r = i + 2
        code = None if nature == "个人" else uscc(i)
        if bad_uscc and cid == "KH005":
            code = code[:-1] + ("0" if code[-1] != "0" else "1")  # wrong check character
        ws.write_string(r, 0, cid)
        ws.write_string(r, 1, name)
        if code:
            ws.write_string(r, 2, code)
        ws.write_string(r, 3, phone if cid == "KH003" else tel)
        ws.write_string(r, 4, nature)
        ws.write_string(r, 5, person)
        ws.write_number(r, 6, limit, money)
        if terms is not None:
            ws.write_number(r, 7, terms)
    ws.set_column("B:B", 24)
    ws.set_column("C:D", 20)
    ws.freeze_panes(2, 0)

    ws = wb.add_worksheet("业务员")
    ws.write_row(0, 0, ["业务员", "片区", "提成比例"], head)
    ws.write_row(1, 0, ["张伟", "浙北片区", 0.03])
    ws.write_row(2, 0, ["李娜", "浙东片区", 0.025])

    ws = wb.add_worksheet("销售")
    ws.write_string(0, 0, "2026年销售明细", title)
    ws.write_row(1, 0, ["日期", "单号", "客户编号", "产品", "规格", "数量", "单价", "金额（元）"], head)
    for i, (d, doc, cid, product, spec, qty, price) in enumerate(SALES):
        r = i + 2
        ws.write_datetime(r, 0, dt.datetime.combine(d, dt.time()), day)
        ws.write_row(r, 1, [doc, cid, product, spec])
        ws.write_number(r, 5, qty)
        ws.write_number(r, 6, price, money)
        ws.write_formula(r, 7, f"=F{r + 1}*G{r + 1}", money, round(qty * price, 2))
    ws.set_column("A:A", 12)

    ws = wb.add_worksheet("汇总")  # not a contract sheet: totals over the others, as offices keep
    last = len(SALES) + 2
    ws.write_row(0, 0, ["项目", "金额"], head)
    ws.write_string(1, 0, "销售合计")
    ws.write_formula(1, 1, f"=SUM(销售!H3:H{last})", money, round(sum(q * p for *_, q, p in SALES), 2))

    ws = wb.add_worksheet("收款")
    ws.write_row(0, 0, ["日期", "单号", "客户编号", "金额", "类型", "方式"], head)
    for i, (d, doc, cid, amount, kind, how) in enumerate(RECEIPTS):
        r = i + 1
        ws.write_datetime(r, 0, dt.datetime.combine(d, dt.time()), day)
        ws.write_row(r, 1, [doc, cid])
        # amounts as the office types them: a formula splitting a payment, with its value
        ws.write_formula(r, 3, f"={amount}/2+{amount}/2", money, amount)
        ws.write_row(r, 4, [kind, how])
    wb.close()
    return path


# --------------------------------------------------------------------------------------------
# Package helpers: read and patch the XML the way another program (Excel) would leave it


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def sheet_part(path: Path, sheet: str) -> str:
    """The zip member holding ``sheet``, from workbook.xml and its relationships."""
    m = members(path)
    rid = re.search(rf'<sheet [^>]*name="{sheet}"[^>]*r:id="([^"]+)"'.encode(), m["xl/workbook.xml"]).group(1)
    rels = m["xl/_rels/workbook.xml.rels"]
    rel = next(r for r in re.findall(rb"<Relationship [^>]*/>", rels) if b'Id="' + rid + b'"' in r)
    target = re.search(rb'Target="([^"]+)"', rel).group(1).decode()
    return target.lstrip("/") if target.startswith("/") else "xl/" + target


def cell_xml(path: Path, sheet: str, ref: str) -> bytes:
    xml = members(path)[sheet_part(path, sheet)]
    hit = re.search(rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)'.encode(), xml, re.S)
    assert hit, f"{sheet}!{ref} not in the sheet XML"
    return hit.group(0)


def style_of(path: Path, sheet: str, ref: str) -> str | None:
    hit = re.search(rb' s="(\d+)"', re.match(rb"<c [^>]*>", cell_xml(path, sheet, ref)).group(0))
    return hit.group(1).decode() if hit else None


def set_text(path: Path, sheet: str, ref: str, text: str) -> None:
    """Type ``text`` into ``sheet!ref`` as Excel would: the value changes to an inline string,
    the cell keeps its style (a user fixing a marked cell keeps its fill until salesxl runs)."""
    part = sheet_part(path, sheet)
    old = cell_xml(path, sheet, ref)
    attrs = re.sub(rb' t="[^"]*"', b"", re.match(rb"<c ([^>]*?)/?>", old).group(1))
    new = b"<c " + attrs + b' t="inlineStr"><is><t>' + text.encode() + b"</t></is></c>"
    m = members(path)
    assert m[part].count(old) == 1
    m[part] = m[part].replace(old, new)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in m.items():
            z.writestr(name, data)


def fill_of(path: Path, sheet: str, ref: str) -> str | None:
    cell = openpyxl.load_workbook(path)[sheet][ref]
    return cell.fill.fgColor.rgb if cell.fill is not None and cell.fill.fill_type == "solid" else None


def results_rows(path: Path) -> list[tuple]:
    wb = openpyxl.load_workbook(path, read_only=True)
    if RESULTS_SHEET not in wb.sheetnames:
        return []
    return list(wb[RESULTS_SHEET].iter_rows(min_row=2, values_only=True))


def findings_json(path: Path) -> list[dict]:
    return api.validate(path, as_of=AS_OF).to_json()["findings"]


def assert_same_book(before: Book, after: Book) -> None:
    assert list(after.tables) == list(before.tables)
    for name, table in before.tables.items():
        again = after.tables[name]
        assert (again.sheet, again.header_row, again.letters) == (table.sheet, table.header_row, table.letters), name
        assert_frame_equal(again.frame, table.frame, check_exact=True, obj=name)
    assert after.settings == before.settings
    assert after.findings == before.findings


def assert_same_ledger(before, after) -> None:
    for part in ("customers", "open_items", "allocations", "release"):
        assert_frame_equal(getattr(after, part), getattr(before, part), check_exact=True, obj=part)
    assert offset_document(after) == offset_document(before)


def snapshot(path: Path) -> tuple[list[dict], Book, object]:
    return findings_json(path), read_book(path), api.offset(path, as_of=AS_OF)


# --------------------------------------------------------------------------------------------
# The round trip


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return build_book(tmp_path / "台账.xlsx", bad_uscc=True)


def test_the_book_is_what_it_claims(book: Path) -> None:
    """Sanity: formulas carry cached values, and the two planted problems are the only findings."""
    found = findings_json(book)
    assert [(f["sheet"], f["column"], f["row"], f["code"]) for f in found] == [
        ("客户档案", "D", 5, "bad-phone"),
        ("客户档案", "C", 7, "bad-uscc"),
    ]
    assert b"<f>F3*G3</f><v>1255.0</v>" in cell_xml(book, "销售", "H3")
    sales = read_book(book)["销售"].frame
    assert sales["金额"].notna().all() and len(sales) == len(SALES)
    ledger = api.offset(book, as_of=AS_OF)
    assert int(ledger.customer("KH004")["debits"]) == 1_368_000  # 6 × 2280.00 元, in fen


def test_naive_openpyxl_save_would_lose_the_formulas(book: Path, tmp_path: Path) -> None:
    """Why the technique matters: openpyxl's own save empties the cached values, which the
    next read reports instead of silently reading blanks."""
    naive = tmp_path / "naive.xlsx"
    openpyxl.load_workbook(book).save(naive)
    codes = {f["code"] for f in findings_json(naive)}
    assert "no-cached-value" in codes


def test_validate_in_place_then_read_gives_the_same_figures(book: Path) -> None:
    original = book.read_bytes()
    before_findings, before_book, before_ledger = snapshot(book)

    report = api.validate(book, as_of=AS_OF, in_place=True)
    marks = report.marks
    assert marks is not None and marks.written == book and marks.copied_because is None
    assert marks.marked_cells == 2
    assert marks.backup is not None and marks.backup.read_bytes() == original
    assert book.read_bytes() != original
    assert fill_of(book, "客户档案", PHONE_CELL) == RED and fill_of(book, "客户档案", USCC_CELL) == RED
    assert [r[:3] for r in results_rows(book)] == [("客户档案", 5, "D"), ("客户档案", 7, "C")]
    assert b"<v>1255.0</v>" in cell_xml(book, "销售", "H3")  # the cached value survived

    # validate, read and offset the marked file: exactly the same as before
    after_findings, after_book, after_ledger = snapshot(book)
    assert after_findings == before_findings == [f.to_json() for f in report.findings]
    assert_same_book(before_book, after_book)
    assert_same_ledger(before_ledger, after_ledger)

    # and marking again changes nothing: same findings, same file
    marked = book.read_bytes()
    again = api.validate(book, as_of=AS_OF, in_place=True)
    assert again.to_json() == report.to_json()
    assert book.read_bytes() == marked


def test_fixed_cell_loses_its_mark(book: Path, tmp_path: Path) -> None:
    phone_style = style_of(book, "客户档案", PHONE_CELL)
    uscc_style = style_of(book, "客户档案", USCC_CELL)
    api.validate(book, as_of=AS_OF, in_place=True)
    assert style_of(book, "客户档案", PHONE_CELL) != phone_style

    # the user fixes the phone (the cell keeps the red style it had, as in Excel) …
    set_text(book, "客户档案", PHONE_CELL, GOOD_PHONE)
    found = findings_json(book)
    assert [(f["column"], f["row"], f["code"]) for f in found] == [("C", 7, "bad-uscc")]
    # … and re-runs: the fixed cell is back to its own style, without comment or results row
    report = api.validate(book, as_of=AS_OF, in_place=True)
    assert report.marks is not None and report.marks.backup is not None and report.marks.marked_cells == 1
    assert style_of(book, "客户档案", PHONE_CELL) == phone_style
    assert fill_of(book, "客户档案", PHONE_CELL) is None
    ws = openpyxl.load_workbook(book)["客户档案"]
    assert ws[PHONE_CELL].value == GOOD_PHONE and ws[PHONE_CELL].comment is None
    assert ws[USCC_CELL].comment is not None and fill_of(book, "客户档案", USCC_CELL) == RED
    assert [r[:3] for r in results_rows(book)] == [("客户档案", 7, "C")]

    # fixing the last problem and re-running removes every mark and the results sheet
    set_text(book, "客户档案", USCC_CELL, uscc(4))
    assert findings_json(book) == []
    report = api.validate(book, as_of=AS_OF, in_place=True)
    assert report.findings == [] and report.marks is not None and report.marks.marked_cells == 0
    assert style_of(book, "客户档案", USCC_CELL) == uscc_style
    assert RESULTS_SHEET not in openpyxl.load_workbook(book, read_only=True).sheetnames
    ws = openpyxl.load_workbook(book)["客户档案"]
    assert all(c.comment is None for row in ws.iter_rows() for c in row)

    # the sheet is now exactly what the same two fixes make of the never-marked book
    fixed = build_book(tmp_path / "fixed.xlsx", bad_uscc=True)
    set_text(fixed, "客户档案", PHONE_CELL, GOOD_PHONE)
    set_text(fixed, "客户档案", USCC_CELL, uscc(4))
    part = sheet_part(book, "客户档案")
    assert members(book)[part] == members(fixed)[part]
    assert_same_book(read_book(fixed), read_book(book))
    assert_same_ledger(api.offset(fixed, as_of=AS_OF), api.offset(book, as_of=AS_OF))


# --------------------------------------------------------------------------------------------
# The command line, in a real process


def salesxl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from salesxl.cli import main; main()", *args],
        capture_output=True, text=True, timeout=120,
    )


def test_cli_in_place_round_trip(tmp_path: Path) -> None:
    book = build_book(tmp_path / "book.xlsx")
    original = book.read_bytes()
    first = salesxl("validate", str(book), "--as-of", AS_OF.isoformat(), "--json")
    assert first.returncode == 1, first.stderr
    doc = json.loads(first.stdout)
    assert (doc["errors"], doc["warnings"]) == (1, 0) and doc["findings"][0]["code"] == "bad-phone"

    done = salesxl("validate", str(book), "--as-of", AS_OF.isoformat(), "--in-place")
    assert done.returncode == 1, done.stderr  # the workbook has an error
    backups = sorted(tmp_path.glob("book.备份-*.xlsx"))
    assert len(backups) == 1 and backups[0].read_bytes() == original
    assert backups[0].name in done.stdout.replace("\n", "")
    assert book.read_bytes() != original and fill_of(book, "客户档案", PHONE_CELL) == RED

    again = salesxl("validate", str(book), "--as-of", AS_OF.isoformat(), "--json")
    assert again.returncode == 1, again.stderr
    assert json.loads(again.stdout) == doc
    assert again.stdout == first.stdout


def test_frames_survive_marking_of_a_clean_book(tmp_path: Path) -> None:
    """A clean book marked in place is left byte for byte as it was (nothing to mark)."""
    book = build_book(tmp_path / "clean.xlsx", phone=GOOD_PHONE)
    original = book.read_bytes()
    before = read_book(book)
    report = api.validate(book, as_of=AS_OF, in_place=True)
    assert report.findings == [] and report.marks is not None and report.marks.marked_cells == 0
    assert book.read_bytes() == original
    assert_same_book(before, read_book(book))
    assert pd.Timestamp(before["销售"].frame["日期"].iloc[0]) == pd.Timestamp("2026-01-05")
