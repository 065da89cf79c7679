"""Validation marks written into real workbooks, read back with openpyxl, calamine and LibreOffice.

Every workbook here is written to disk by xlsxwriter (or by hand, as raw OOXML) and every check
reads the marked file back from disk: no mocks.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import stat
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from salesxl.core.findings import Code, Finding
from salesxl.errors import BadArguments, UnreadableWorkbook
from salesxl.io import marking
from salesxl.io.marking import RESULTS_SHEET, safe_csv_cell, write_marks
from salesxl.io.ooxml import package as ooxml_package
from salesxl.io.ooxml.package import DeflateSink

FORMULA_TEXT = '=HYPERLINK("http://x","点我")'


# --------------------------------------------------------------------------------------------
# Workbooks


def build_rich(path: Path, *, vba: Path | None = None, chart: bool = False) -> Path:
    """A workbook the way an office keeps one: titles, formats, rules, comments, tables."""
    wb = xlsxwriter.Workbook(path)
    title = wb.add_format({"bold": True, "font_size": 14, "align": "center"})
    money = wb.add_format({"num_format": "#,##0.00"})
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    red = wb.add_format({"font_color": "#9C0006"})

    ws = wb.add_worksheet("客户档案")
    ws.merge_range("A1:F1", "XX公司客户档案", title)
    ws.write_row(1, 0, ["客户编号", "客户名称", "客户性质", "联系电话", "信用额度", "成立日期", "备注"])
    for i in range(10):
        r = i + 2
        ws.write_string(r, 0, f"C{i:03d}")
        ws.write_string(r, 1, f"客户{i}")
        ws.write_string(r, 2, "一般公司" if i % 3 else "个人")
        ws.write_string(r, 3, "13800138000" if i % 4 else "12345")
        ws.write_formula(r, 4, f"={1000 * (i + 1)}*1.5", money, 1500 * (i + 1))
        ws.write_datetime(r, 5, dt.datetime(2020, 1, i + 1), date)
    ws.write_string(12, 6, FORMULA_TEXT)  # text that looks like a formula, typed by a user
    ws.write_string(13, 6, "@SUM(A1)")
    ws.set_column("A:A", 12)
    ws.set_column("B:B", 24)
    ws.set_column("D:D", 16)
    ws.data_validation("C3:C12", {"validate": "list", "source": ["政府机构", "一般公司", "个人"]})
    ws.conditional_format("E3:E12", {"type": "cell", "criteria": ">", "value": 9000, "format": red})
    ws.write_comment("D4", "王经理：这个号码待核实", {"author": "王经理"})  # a finding lands here too
    ws.write_comment("B10", "老客户", {"author": "王经理"})
    if vba is not None:
        ws.insert_button("H2", {"macro": "Hello", "caption": "运行"})
    ws.freeze_panes(2, 0)

    ws = wb.add_worksheet("业务员")
    ws.add_table("A1:C4", {"name": "Salespeople", "columns": [{"header": "业务员"}, {"header": "片区"}, {"header": "提成比例"}],
                           "data": [["张三", "华东", 0.03], ["李四", "华南", 0.025], ["王五", "", 0.02]]})
    ws.write_formula("E1", "=SUM(Salespeople[提成比例])", None, 0.075)

    ws = wb.add_worksheet("参数")
    ws.write_row(0, 0, ["名称", "值"])
    ws.write_row(1, 0, ["账期天数", 30])
    ws.protect("secret")

    wb.define_name("客户编号列表", "=客户档案!$A$3:$A$12")
    if chart:
        c = wb.add_chart({"type": "column"})
        c.add_series({"values": "=客户档案!$E$3:$E$12"})
        wb.get_worksheet_by_name("参数").insert_chart("D2", c)
    if vba is not None:
        wb.add_vba_project(str(vba))
    wb.close()
    return path


@pytest.fixture
def rich(tmp_path: Path) -> Path:
    return build_rich(tmp_path / "客户.xlsx")


def findings() -> list[Finding]:
    return [
        Finding(sheet="客户档案", row=3, column="D", field="联系电话", value="12345", code=Code.BAD_PHONE),
        Finding(sheet="客户档案", row=4, column="D", field="联系电话", value="13800138000", code=Code.BAD_PHONE),
        Finding(sheet="客户档案", row=4, column="B", field="客户名称", value="客户1", code=Code.POSSIBLE_DUPLICATE,
                params={"first_row": 3, "other_id": "C000", "reason": "名称相同", "reason_en": "same name"}),
        Finding(sheet="客户档案", row=5, column="E", field="信用额度", value="4500", code=Code.OUT_OF_RANGE,
                params={"reason": "不能为负", "reason_en": "negative"}),
        Finding(sheet="客户档案", row=13, column="G", field="备注", value=FORMULA_TEXT, code=Code.BAD_TYPE,
                params={"expected": "文本", "expected_en": "text"}),
        Finding(sheet="客户档案", row=14, column="G", field="备注", value="@SUM(A1)", code=Code.BAD_TYPE,
                params={"expected": "文本", "expected_en": "text"}),
        Finding(sheet="客户档案", row=20, column="C", field="客户性质", value=None, code=Code.MISSING_VALUE),
        Finding(sheet="业务员", row=3, column="B", field="片区", value="华南", code=Code.BAD_ENUM,
                params={"allowed": "华东"}),
        Finding(sheet="客户档案", row=2, field="业务员", code=Code.MISSING_COLUMN, params={"english": "Salesperson"}),
        Finding(sheet="销售", field="销售", code=Code.MISSING_SHEET, params={"english": "Sales"}),
    ]


# --------------------------------------------------------------------------------------------
# Helpers


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def infos(path: Path) -> dict[str, zipfile.ZipInfo]:
    with zipfile.ZipFile(path) as z:
        return {i.filename: i for i in z.infolist()}


def sheet_parts(path: Path) -> dict[str, str]:
    """Sheet name → part name, from workbook.xml and its relationships."""
    m = members(path)
    rels = dict(re.findall(rb'Id="([^"]+)"[^>]*Target="([^"]+)"', m["xl/_rels/workbook.xml.rels"]))
    rels |= {k: v for v, k in re.findall(rb'Target="([^"]+)"[^>]*Id="([^"]+)"', m["xl/_rels/workbook.xml.rels"])}
    out = {}
    for name, rid in re.findall(rb'<sheet name="([^"]+)" sheetId="\d+" r:id="([^"]+)"', m["xl/workbook.xml"]):
        out[name.decode()] = "xl/" + rels[rid].decode().lstrip("/").removeprefix("xl/")
    return out


def calamine_values(path: Path) -> dict[str, list[list[object]]]:
    wb = CalamineWorkbook.from_path(str(path))
    return {n: wb.get_sheet_by_name(n).to_python() for n in wb.sheet_names if n != RESULTS_SHEET}


def cell_styles(xml: bytes) -> dict[str, str | None]:
    out = {}
    for tag in re.findall(rb"<c [^>]*>", xml):
        ref = re.search(rb'r="([A-Z]+\d+)"', tag).group(1).decode()
        s = re.search(rb' s="(\d+)"', tag)
        out[ref] = s.group(1).decode() if s else None
    return out


def fill_of(cell) -> str | None:
    fill = cell.fill
    if fill is None or fill.fill_type != "solid":
        return None
    return fill.fgColor.rgb


def results_rows(path: Path) -> list[tuple]:
    wb = openpyxl.load_workbook(path)
    return list(wb[RESULTS_SHEET].iter_rows(values_only=True))


# --------------------------------------------------------------------------------------------
# Marks


def test_marks_fill_comment_and_results_sheet(rich: Path, tmp_path: Path) -> None:
    out = tmp_path / "marked.xlsx"
    result = write_marks(rich, findings(), out=out)
    assert result.written == out and result.copied_because is None and result.backup is None
    assert result.marked_cells == 8

    wb = openpyxl.load_workbook(out)
    ws = wb["客户档案"]
    assert fill_of(ws["D3"]) == "FFFFC7CE"  # error: light red
    assert fill_of(ws["B4"]) == "FFFFEB9C"  # warning: light yellow
    assert fill_of(ws["C20"]) == "FFFFC7CE"  # a blank cell that did not exist
    assert "12345" in ws["D3"].comment.text and ws["D3"].comment.author == "salesxl"
    # the user's own comment on a marked cell is kept, after our message
    assert ws["D4"].comment.text.endswith("王经理：这个号码待核实")
    assert "13800138000" in ws["D4"].comment.text
    assert ws["B10"].comment.text == "老客户" and fill_of(ws["B10"]) is None
    # number formats, widths, validation, conditional formats, names, tables, protection
    assert ws["E5"].number_format == "#,##0.00" and ws["F5"].number_format == "yyyy-mm-dd"
    assert ws.column_dimensions["B"].width == pytest.approx(24.7109375, abs=1)
    assert ws.freeze_panes == "A3"
    assert [str(dv.sqref) for dv in ws.data_validations.dataValidation] == ["C3:C12"]
    assert len(ws.conditional_formatting) == 1
    assert "A1:F1" in {str(r) for r in ws.merged_cells.ranges}
    assert "客户编号列表" in wb.defined_names
    assert list(wb["业务员"].tables) == ["Salespeople"]
    assert wb["参数"].protection.sheet
    assert fill_of(wb["业务员"]["B3"]) == "FFFFC7CE"

    res = wb[RESULTS_SHEET]
    rows = list(res.iter_rows(values_only=True))
    assert rows[0] == ("工作表", "行", "列", "字段", "值", "级别", "代码", "说明")
    assert len(rows) == 1 + len(findings())
    assert rows[1][:7] == ("客户档案", 3, "D", "联系电话", "12345", "错误", "bad-phone")
    assert rows[3][5] == "警告"
    assert rows[5][4] == FORMULA_TEXT and rows[6][4] == "@SUM(A1)"
    assert res.freeze_panes == "A2"
    assert res.auto_filter.ref == f"A1:H{len(rows)}"
    assert res.column_dimensions["H"].width > 30
    links = {c.row: c.hyperlink.location for c in res["A"] if c.hyperlink}
    assert links[2] == "'客户档案'!D3"
    assert links[9] == "'业务员'!B3"
    assert links[10] == "'客户档案'!A2"  # missing column: the header row
    assert 11 not in links  # missing sheet: nowhere to go
    # a finding without a cell marks nothing
    assert fill_of(ws["A2"]) is None and ws["A2"].comment is None


def test_user_text_is_never_a_formula(rich: Path, tmp_path: Path) -> None:
    out = tmp_path / "marked.xlsx"
    write_marks(rich, findings(), out=out)
    xml = members(out)[sheet_parts(out)[RESULTS_SHEET]]
    assert b"<f>" not in xml and b"<f " not in xml
    for text in (FORMULA_TEXT, "@SUM(A1)"):
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").encode()
        cell = re.search(rb'<c r="E\d+"[^>]*t="inlineStr"><is><t[^>]*>' + re.escape(escaped) + rb"</t>", xml)
        assert cell is not None, text
    comments = members(out)["xl/comments1.xml"]
    assert b"<f>" not in comments


def test_nothing_else_changes(rich: Path, tmp_path: Path) -> None:
    out = tmp_path / "marked.xlsx"
    write_marks(rich, findings(), out=out)
    before, after = members(rich), members(out)
    parts = sheet_parts(rich)
    may_change = {
        "[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml",
        parts["客户档案"], parts["业务员"], "xl/comments1.xml", "xl/drawings/vmlDrawing1.vml",
        "xl/worksheets/_rels/sheet2.xml.rels",
    }
    untouched = set(before) - may_change
    assert {"xl/sharedStrings.xml", parts["参数"], "xl/tables/table1.xml", "docProps/app.xml"} <= untouched
    bi, ai = infos(rich), infos(out)
    for name in untouched:
        assert after[name] == before[name], name
        # copied as compressed bytes: same CRC and the same compressed size
        assert (ai[name].CRC, ai[name].compress_size) == (bi[name].CRC, bi[name].compress_size), name
    assert set(before) <= set(after)

    # cell values and cached formula results, cell by cell
    assert calamine_values(out) == calamine_values(rich)
    wb0, wb1 = openpyxl.load_workbook(rich), openpyxl.load_workbook(out)
    for name in wb0.sheetnames:
        for row in wb0[name].iter_rows():
            for c0 in row:
                c1 = wb1[name][c0.coordinate]
                assert (c0.value, c0.number_format, c0.font.b, c0.alignment.horizontal) == (
                    c1.value, c1.number_format, c1.font.b, c1.alignment.horizontal
                ), c0.coordinate
    # the marked sheet's XML changed only in s attributes, inserted cells/rows and the drawing link
    old, new = before[parts["客户档案"]], after[parts["客户档案"]]
    assert re.sub(rb' s="\d+"', b"", new).replace(b'<row r="20"><c r="C20"/></row>', b"") == re.sub(rb' s="\d+"', b"", old)
    assert re.findall(rb"<v>[^<]*</v>", new) == re.findall(rb"<v>[^<]*</v>", old)
    # legacyDrawing goes before tableParts on the sheet that had no comments
    xml = after[parts["业务员"]]
    assert xml.index(b"<legacyDrawing") < xml.index(b"<tableParts")


def test_rerun_replaces_and_clean_run_restores(rich: Path, tmp_path: Path) -> None:
    first, second, clean = tmp_path / "1.xlsx", tmp_path / "2.xlsx", tmp_path / "3.xlsx"
    write_marks(rich, findings(), out=first)
    fewer = [f for f in findings() if (f.row, f.column) in ((3, "D"), (13, "G"))]
    result = write_marks(first, fewer, out=second)
    assert result.marked_cells == 2
    orig_part = sheet_parts(rich)["客户档案"]
    orig_styles = cell_styles(members(rich)[orig_part])
    styles2 = cell_styles(members(second)[orig_part])
    for ref in ("D4", "B4", "E5", "G14"):
        assert styles2[ref] == orig_styles[ref], ref  # back to the original format index
    assert "C20" not in styles2  # the cell we created is gone again

    wb = openpyxl.load_workbook(second)
    ws = wb["客户档案"]
    assert ws["D4"].comment.text == "王经理：这个号码待核实" and ws["D4"].comment.author == "王经理"
    assert ws["B4"].comment is None and fill_of(ws["B4"]) is None
    assert ws["B10"].comment.text == "老客户"
    assert fill_of(ws["D3"]) == "FFFFC7CE" and ws["D3"].comment is not None
    assert len(list(wb[RESULTS_SHEET].iter_rows())) == 3
    assert wb.sheetnames.count(RESULTS_SHEET) == 1

    result = write_marks(second, [], out=clean)
    assert result.marked_cells == 0
    before, after = members(rich), members(clean)
    assert set(after) == set(before)  # results sheet, record and our parts are gone
    differ = {n for n in before if before[n] != after[n]}
    assert differ <= {"xl/styles.xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml"}
    for name in (orig_part, sheet_parts(rich)["业务员"], "xl/comments1.xml", "xl/drawings/vmlDrawing1.vml"):
        assert after[name] == before[name], name  # exact undo
    assert RESULTS_SHEET not in openpyxl.load_workbook(clean).sheetnames


def test_record_lost_still_removes_our_sheet_and_comments(rich: Path, tmp_path: Path) -> None:
    """openpyxl drops custom XML parts: what can still be recognised is cleaned up."""
    marked, resaved, clean = tmp_path / "m.xlsx", tmp_path / "r.xlsx", tmp_path / "c.xlsx"
    write_marks(rich, findings(), out=marked)
    wb = openpyxl.load_workbook(marked)
    wb.active = wb.sheetnames.index(RESULTS_SHEET)  # the user looked at the results last
    wb.save(resaved)
    assert not any(n.startswith("customXml/") for n in members(resaved))
    write_marks(resaved, [], out=clean)
    wb = openpyxl.load_workbook(clean)
    assert wb.sheetnames == ["客户档案", "业务员", "参数"]
    assert 0 <= wb.active.parent.index(wb.active) < 3
    ws = wb["客户档案"]
    assert ws["D3"].comment is None and ws["C20"].comment is None
    assert ws["B10"].comment.text == "老客户"
    assert fill_of(ws["D3"]) == "FFFFC7CE"  # documented: without the record old fills stay


def test_idempotent_and_deterministic(rich: Path, tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.xlsx", tmp_path / "b.xlsx", tmp_path / "c.xlsx"
    write_marks(rich, findings(), out=a)
    write_marks(rich, findings(), out=b)
    write_marks(a, findings(), out=c)
    assert a.read_bytes() == b.read_bytes() == c.read_bytes()


def test_in_place_keeps_backup_and_mode(rich: Path) -> None:
    os.chmod(rich, 0o640)
    original = rich.read_bytes()
    result = write_marks(rich, findings(), in_place=True)
    assert result.written == rich and result.copied_because is None
    assert result.backup is not None and result.backup.read_bytes() == original
    assert re.fullmatch(r"客户\.备份-\d{8}-\d{6}\.xlsx", result.backup.name)
    assert stat.S_IMODE(rich.stat().st_mode) == 0o640
    assert fill_of(openpyxl.load_workbook(rich)["客户档案"]["D3"]) == "FFFFC7CE"
    assert not [p for p in rich.parent.iterdir() if p.suffix == ".tmp"]
    marked = rich.read_bytes()
    again = write_marks(rich, findings(), in_place=True)  # same findings: nothing to rewrite
    assert again.backup is None and again.marked_cells == 8 and rich.read_bytes() == marked


def test_xlsm_keeps_vba_and_buttons(tmp_path: Path) -> None:
    vba = tmp_path / "vbaProject.bin"
    vba.write_bytes(b"\xd0\xcf\x11\xe0 not really a VBA project " * 40)
    book = build_rich(tmp_path / "宏.xlsm", vba=vba)
    before = members(book)
    result = write_marks(book, findings(), in_place=True)
    assert result.written == book and book.suffix == ".xlsm"
    after = members(book)
    assert after["xl/vbaProject.bin"] == before["xl/vbaProject.bin"] == vba.read_bytes()
    assert b"macroEnabled.main+xml" in after["[Content_Types].xml"]
    vml = after["xl/drawings/vmlDrawing1.vml"]
    buttons = re.findall(rb"<v:shape .*?</v:shape>", before["xl/drawings/vmlDrawing1.vml"], re.S)
    assert any(b'ObjectType="Button"' in s for s in buttons)
    for shape in buttons:
        assert shape in vml  # the button and the user's notes are untouched, byte for byte
    assert fill_of(openpyxl.load_workbook(book, keep_vba=True)["客户档案"]["D3"]) == "FFFFC7CE"

    # an .xlsx name for a macro workbook would not open in Excel: the copy keeps .xlsm
    asked = tmp_path / "copy.xlsx"
    result = write_marks(book, findings(), out=asked)
    assert result.written == tmp_path / "copy.xlsm" and ".xlsm" in result.copied_because

    write_marks(book, [], in_place=True)
    assert members(book)["xl/drawings/vmlDrawing1.vml"] == before["xl/drawings/vmlDrawing1.vml"]


def test_chart_workbook_goes_to_a_copy(tmp_path: Path) -> None:
    book = build_rich(tmp_path / "图表.xlsx", chart=True)
    original = book.read_bytes()
    result = write_marks(book, findings(), in_place=True)
    assert result.written == tmp_path / "图表.校验结果.xlsx"
    assert "图表" in result.copied_because and result.copied_because_en and "chart" in result.reason("en")
    assert result.backup is None
    assert book.read_bytes() == original
    copy = members(result.written)
    assert fill_of(openpyxl.load_workbook(result.written)["客户档案"]["D3"]) == "FFFFC7CE"
    for name, data in members(book).items():
        if "chart" in name or "drawings/drawing" in name:
            assert copy[name] == data  # the chart survives in the copy too


@pytest.mark.parametrize("lock", ["~${}", ".~lock.{}#"])
def test_open_workbook_is_not_written(rich: Path, lock: str) -> None:
    (rich.parent / lock.format(rich.name)).write_text("locked")
    original = rich.read_bytes()
    with pytest.raises(UnreadableWorkbook) as err:
        write_marks(rich, findings(), in_place=True)
    assert lock.format(rich.name) in err.value.message() and "\n" not in err.value.message("en")
    assert rich.read_bytes() == original


def test_english_results(rich: Path, tmp_path: Path) -> None:
    out = tmp_path / "en.xlsx"
    write_marks(rich, findings(), out=out, lang="en")
    rows = results_rows(out)
    assert rows[0] == ("Sheet", "Row", "Column", "Field", "Value", "Severity", "Code", "Message")
    assert rows[1][5] == "error" and rows[3][5] == "warning"
    assert openpyxl.load_workbook(out)["客户档案"]["D3"].comment.text.startswith("Phone")


def test_bad_calls(rich: Path, tmp_path: Path) -> None:
    with pytest.raises(BadArguments):
        write_marks(rich, [], out=tmp_path / "x.xlsx", in_place=True)
    with pytest.raises(BadArguments):
        write_marks(rich, [])
    xls = tmp_path / "old.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    with pytest.raises(UnreadableWorkbook, match=r"\.xls"):
        write_marks(xls, [], out=tmp_path / "x.xlsx")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK not a zip")
    with pytest.raises(UnreadableWorkbook):
        write_marks(broken, [], out=tmp_path / "x.xlsx")


def test_safe_csv_cell() -> None:
    for value in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert safe_csv_cell(value) == "'" + value
    for value in ("", "客户", "1-2", "a=b"):
        assert safe_csv_cell(value) == value


# --------------------------------------------------------------------------------------------
# Unusual but valid XML: prefixes, rows and cells without r, chunk boundaries

RAW_SHEET = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<x:cols><x:col min="3" max="3" width="20" style="1" customWidth="1"/></x:cols><x:sheetData>'
    "{rows}</x:sheetData></x:worksheet>"
)


def raw_book(path: Path, rows: str) -> Path:
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="销售" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>',
        "xl/styles.xml": '<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="0.000"/></numFmts><fonts count="1"><font><sz val="11"/><name val="宋体"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>',
        "xl/worksheets/sheet1.xml": RAW_SHEET.format(rows=rows),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            z.writestr(name, text)
    return path


def test_prefixed_xml_and_implicit_positions(tmp_path: Path) -> None:
    rows = (
        '<x:row><x:c t="inlineStr"><x:is><x:t>日期</x:t></x:is></x:c><x:c><x:v>1</x:v></x:c></x:row>'
        '<x:row r="3" customFormat="1" s="1" ht="20"/>'
        "<x:row><x:c><x:v>2</x:v></x:c><x:c r=\"C4\" s=\"1\"><x:f>A4*2</x:f><x:v>4</x:v></x:c></x:row>"
    )
    book = raw_book(tmp_path / "raw.xlsx", rows)
    f = [
        Finding(sheet="销售", row=1, column="B", code=Code.BAD_TYPE, value="1"),  # a cell without r
        Finding(sheet="销售", row=3, column="B", code=Code.MISSING_VALUE),  # in an empty styled row
        Finding(sheet="销售", row=4, column="C", code=Code.AMOUNT_MISMATCH, value="4"),
        Finding(sheet="销售", row=2, column="C", code=Code.MISSING_VALUE),  # a row that is not there
    ]
    out = tmp_path / "out.xlsx"
    assert write_marks(book, f, out=out).marked_cells == 4
    wb = openpyxl.load_workbook(out)
    ws = wb["销售"]
    for ref in ("B1", "B3", "C4", "C2"):
        assert fill_of(ws[ref]) == "FFFFC7CE", ref
    assert ws["C4"].number_format == "0.000" and ws["C2"].number_format == "0.000"  # column style
    assert ws["B3"].number_format == "0.000"  # row style
    assert ws["B1"].value == 1 and ws["C4"].value == "=A4*2"
    xml = members(out)["xl/worksheets/sheet1.xml"]
    assert b"<x:legacyDrawing " in xml and b"<x:v>4</x:v>" in xml

    clean = tmp_path / "clean.xlsx"
    write_marks(out, [], out=clean)
    assert members(clean)["xl/worksheets/sheet1.xml"] == members(book)["xl/worksheets/sheet1.xml"]
    assert set(members(clean)) == set(members(book))


def test_chunk_boundaries_do_not_matter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = "".join(
        f'<x:row r="{r}" spans="1:3"><x:c r="A{r}" t="inlineStr"><x:is><x:t>客户{r}</x:t></x:is></x:c>'
        f'<x:c r="B{r}"><x:v>{r * 1.5}</x:v></x:c></x:row>'
        for r in range(1, 3000)
    )
    book = raw_book(tmp_path / "rows.xlsx", rows)
    f = [Finding(sheet="销售", row=r, column="AB"[r % 2] if r % 3 else "D", code=Code.BAD_TYPE, value="x")
         for r in range(2, 3100, 37)]
    normal = tmp_path / "normal.xlsx"
    write_marks(book, f, out=normal)
    monkeypatch.setattr(ooxml_package, "CHUNK", 61)
    tiny = tmp_path / "tiny.xlsx"
    write_marks(book, f, out=tiny)
    assert tiny.read_bytes() == normal.read_bytes()
    ws = openpyxl.load_workbook(normal)["销售"]
    assert all(fill_of(ws[f"{x.column}{x.row}"]) == "FFFFC7CE" for x in f)
    clean = tmp_path / "clean.xlsx"
    write_marks(tiny, [], out=clean)
    assert members(clean)["xl/worksheets/sheet1.xml"] == members(book)["xl/worksheets/sheet1.xml"]


# --------------------------------------------------------------------------------------------
# Property: whatever was marked before, a run shows exactly the current findings

CELLS = [(r, c) for r in range(1, 8) for c in "ABCDE"]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(CELLS), max_size=8), st.lists(st.sampled_from(CELLS), max_size=8))
def test_marks_follow_the_latest_run(tmp_path: Path, first: list, second: list) -> None:
    book = tmp_path / "p.xlsx"
    if not book.exists():
        wb = xlsxwriter.Workbook(book)
        ws = wb.add_worksheet("客户档案")
        bold = wb.add_format({"bold": True})
        for r in range(0, 5):
            ws.write_row(r, 0, [f"v{r}", r, None, "x"], bold if r == 0 else None)
        ws.write_comment("D2", "用户批注")
        wb.close()

    def fs(cells: list) -> list[Finding]:
        return [Finding(sheet="客户档案", row=r, column=c, code=Code.BAD_TYPE if (r + ord(c)) % 2 else Code.POSSIBLE_DUPLICATE,
                        value=f"{c}{r}") for r, c in cells]

    one, two, direct = tmp_path / "1.xlsx", tmp_path / "2.xlsx", tmp_path / "d.xlsx"
    write_marks(book, fs(first), out=one, force=True)  # hypothesis reuses tmp_path: replace
    write_marks(one, fs(second), out=two, force=True)
    write_marks(book, fs(second), out=direct, force=True)
    a, b = openpyxl.load_workbook(two)["客户档案"], openpyxl.load_workbook(direct)["客户档案"]
    for r, c in CELLS:
        ca, cb = a[f"{c}{r}"], b[f"{c}{r}"]
        assert (fill_of(ca), ca.font.b, ca.comment.text if ca.comment else None) == (
            fill_of(cb), cb.font.b, cb.comment.text if cb.comment else None
        )
    assert results_rows(two) == results_rows(direct) if second else RESULTS_SHEET not in openpyxl.load_workbook(two).sheetnames
    sheet = sheet_parts(book)["客户档案"]
    clean = tmp_path / "c.xlsx"
    write_marks(two, [], out=clean, force=True)
    for name in (sheet, "xl/comments1.xml", "xl/drawings/vmlDrawing1.vml"):
        assert members(clean)[name] == members(book)[name]


# --------------------------------------------------------------------------------------------
# A real spreadsheet application opens the result

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_opens_marked_workbook(rich: Path, tmp_path: Path) -> None:
    out = tmp_path / "marked.xlsx"
    write_marks(rich, findings(), out=out)
    profile = (tmp_path / "lo-profile").as_uri()
    for fmt, folder in (("pdf", tmp_path / "pdf"), ("xlsx", tmp_path / "lo")):
        done = subprocess.run(
            [SOFFICE, f"-env:UserInstallation={profile}", "--headless", "--convert-to", fmt,
             "--outdir", str(folder), str(out)],
            capture_output=True, text=True, timeout=180,
        )
        assert done.returncode == 0, done.stderr
    pdf = tmp_path / "pdf" / "marked.pdf"
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 1000
    # LibreOffice read our fills, comments and results sheet (and wrote them back out)
    wb = openpyxl.load_workbook(tmp_path / "lo" / "marked.xlsx")
    ws = wb["客户档案"]
    assert fill_of(ws["D3"]) == "FFFFC7CE" and "12345" in ws["D3"].comment.text
    assert "王经理：这个号码待核实" in ws["D4"].comment.text
    assert ws["E3"].value == "=1000*1.5"
    assert RESULTS_SHEET in wb.sheetnames and wb[RESULTS_SHEET]["A2"].hyperlink is not None

    # LibreOffice renumbered every style, dropped comment authors, split comment texts into runs
    # and moved our record: a re-run still finds and removes its own marks, and does not stack
    saved = tmp_path / "lo" / "marked.xlsx"
    clean, again = tmp_path / "clean.xlsx", tmp_path / "again.xlsx"
    # our 校验结果 keeps salesxl's mark through LibreOffice (the defined name; it drops "hidden")
    assert re.search(r'name="_salesxl_result_1"[^>]*>\s*\'?校验结果\'?!\$A\$1<', members(saved)["xl/workbook.xml"].decode())
    write_marks(saved, [], out=clean)
    wb = openpyxl.load_workbook(clean)
    ws = wb["客户档案"]
    for ref in ("D3", "D4", "B4", "E5", "C20", "G13"):
        assert fill_of(ws[ref]) is None, ref
    assert ws["E5"].number_format == "#,##0.00"
    assert ws["D3"].comment is None and ws["C20"].comment is None
    assert ws["D4"].comment.text == "王经理：这个号码待核实" and ws["B10"].comment.text == "老客户"
    assert RESULTS_SHEET not in wb.sheetnames
    assert write_marks(saved, findings(), out=again).results_sheet == RESULTS_SHEET  # replaced, not (2)
    assert openpyxl.load_workbook(again).sheetnames.count(RESULTS_SHEET) == 1
    ws = openpyxl.load_workbook(again)["客户档案"]
    assert ws["D4"].comment.text.count("王经理") == 1 and ws["D4"].comment.text.count("13800138000") == 1
    assert ws["C20"].comment.text.count("客户性质") == 1 and fill_of(ws["C20"]) == "FFFFC7CE"


def test_deflate_sink_output_does_not_depend_on_how_it_is_fed() -> None:
    """ISA-L's stream depends on the calls it is given (zlib's does not): the sink feeds it
    fixed blocks, so a sheet streamed in any chunks compresses to the same bytes, and inflates
    back to what was written."""
    import zlib

    data = b"".join(f'<row r="{i}"><c r="A{i}"><v>{i * 7 % 1000}</v></c></row>'.encode() for i in range(40000))
    outs = []
    for step in (53, 4096, 1 << 20, len(data)):
        sink = DeflateSink()
        for at in range(0, len(data), step):
            sink.write(data[at: at + step])
        sink.finish()
        blob = b"".join(sink.chunks())
        assert (sink.size, sink.crc, sink.csize) == (len(data), zlib.crc32(data), len(blob))
        sink.close()
        outs.append(blob)
    assert all(o == outs[0] for o in outs)
    assert zlib.decompress(outs[0], -15) == data


# --------------------------------------------------------------------------------------------
# A user's own sheet named 校验结果 is never ours to replace (issue 13 item 23)


def book_with_own_results(path: Path, header: list[str] | None = None) -> Path:
    """An office book whose own sheet is called 校验结果 (the boss's checklist)."""
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("客户档案")
    ws.write_row(0, 0, ["客户编号", "客户名称", "联系电话"])
    ws.write_row(1, 0, ["C001", "甲公司", "12345"])
    own = wb.add_worksheet(RESULTS_SHEET)
    own.write_row(0, 0, header or ["月份", "检查人", "结论"])
    own.write_row(1, 0, ["2026-09", "王经理", "已核对"])
    wb.close()
    return path


PHONE = Finding(sheet="客户档案", row=2, column="C", field="联系电话", value="12345", code=Code.BAD_PHONE)


def test_users_own_results_sheet_is_kept(tmp_path: Path) -> None:
    book = book_with_own_results(tmp_path / "own.xlsx")
    first, second, clean = tmp_path / "1.xlsx", tmp_path / "2.xlsx", tmp_path / "3.xlsx"
    result = write_marks(book, [PHONE], out=first)
    assert result.results_sheet == "校验结果(2)" and result.renamed == {RESULTS_SHEET: "校验结果(2)"}
    assert "已原样保留" in result.kept_note("zh") and "校验结果(2)" in result.kept_note("zh")
    assert "kept" in result.kept_note("en")
    wb = openpyxl.load_workbook(first)
    assert wb.sheetnames == ["客户档案", RESULTS_SHEET, "校验结果(2)"]
    assert [c.value for c in wb[RESULTS_SHEET][2]] == ["2026-09", "王经理", "已核对"]
    assert wb["校验结果(2)"]["A2"].value == "客户档案"
    own_part = sheet_parts(book)[RESULTS_SHEET]
    assert members(first)[own_part] == members(book)[own_part]  # byte for byte

    # a re-run replaces its own 校验结果(2), not the user's sheet; a clean run removes only ours
    result = write_marks(first, [PHONE, PHONE], out=second)
    assert openpyxl.load_workbook(second).sheetnames == ["客户档案", RESULTS_SHEET, "校验结果(2)"]
    assert result.results_sheet == "校验结果(2)"
    write_marks(second, [], out=clean)
    wb = openpyxl.load_workbook(clean)
    assert wb.sheetnames == ["客户档案", RESULTS_SHEET]
    assert wb[RESULTS_SHEET]["C2"].value == "已核对"
    assert "_salesxl_result_" not in members(clean)["xl/workbook.xml"].decode()


def test_our_sheet_renamed_by_the_user_is_theirs(tmp_path: Path) -> None:
    """A result sheet the user renamed to keep it (the mark follows the rename in Excel)."""
    book = book_with_own_results(tmp_path / "b.xlsx")
    first, kept, again = tmp_path / "1.xlsx", tmp_path / "2.xlsx", tmp_path / "3.xlsx"
    write_marks(book, [PHONE], out=first)
    wb = openpyxl.load_workbook(first)
    wb["校验结果(2)"].title = "九月校验"
    for dn in wb.defined_names.values():  # what Excel does to a name referring to the sheet
        dn.attr_text = dn.attr_text.replace("'校验结果(2)'", "'九月校验'")
    wb.save(kept)
    result = write_marks(kept, [PHONE], out=again)
    assert result.results_sheet == "校验结果(2)"
    assert openpyxl.load_workbook(again).sheetnames == ["客户档案", RESULTS_SHEET, "九月校验", "校验结果(2)"]


def test_sheet_from_before_the_mark_is_recognised_by_its_header(tmp_path: Path) -> None:
    """Books marked by earlier salesxl versions have no mark: salesxl's exact header row is."""
    for lang in ("zh", "en"):
        book = book_with_own_results(tmp_path / f"old-{lang}.xlsx", header=list(marking.HEADERS[lang]))
        out = tmp_path / f"new-{lang}.xlsx"
        result = write_marks(book, [PHONE], out=out)
        assert result.results_sheet == RESULTS_SHEET and result.renamed == {} and result.kept_note() is None
        wb = openpyxl.load_workbook(out)
        assert wb.sheetnames == ["客户档案", RESULTS_SHEET]
        assert wb[RESULTS_SHEET]["A2"].value == "客户档案"
    # one header cell different: the user's
    header = list(marking.HEADERS["zh"])
    header[-1] = "处理意见"
    book = book_with_own_results(tmp_path / "own.xlsx", header=header)
    assert write_marks(book, [PHONE], out=tmp_path / "o.xlsx").results_sheet == "校验结果(2)"


def test_deleted_and_recreated_by_the_user_is_theirs(tmp_path: Path) -> None:
    """Our sheet deleted (its mark then says #REF!, as Excel writes it) and a new one of the
    user's made under the same name: the user's stays."""
    marked, edited, again = tmp_path / "1.xlsx", tmp_path / "2.xlsx", tmp_path / "3.xlsx"
    write_marks(build_rich(tmp_path / "r.xlsx"), findings(), out=marked)
    wb = openpyxl.load_workbook(marked)
    del wb[RESULTS_SHEET]
    for dn in wb.defined_names.values():
        dn.attr_text = "#REF!$A$1"
    wb.create_sheet(RESULTS_SHEET)["A1"] = "我的备忘"
    wb.save(edited)
    result = write_marks(edited, findings(), out=again)
    assert result.results_sheet == "校验结果(2)"
    wb = openpyxl.load_workbook(again)
    assert wb[RESULTS_SHEET]["A1"].value == "我的备忘"
    # the stale mark is gone, the new one names our sheet
    marks = [dn.attr_text for dn in wb.defined_names.values() if dn.name.startswith("_salesxl_result_")]
    assert marks == ["'校验结果(2)'!$A$1"]


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_mark_survives_a_libreoffice_round_trip(tmp_path: Path) -> None:
    """校验结果(2) can only be known as ours by its mark (no header rule for it): after
    LibreOffice saved the book, a re-run still replaces it instead of adding 校验结果(3)."""
    first, again = tmp_path / "first.xlsx", tmp_path / "again.xlsx"
    write_marks(book_with_own_results(tmp_path / "own.xlsx"), [PHONE], out=first)
    done = subprocess.run(
        [SOFFICE, f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}", "--headless", "--convert-to", "xlsx",
         "--outdir", str(tmp_path / "lo"), str(first)],
        capture_output=True, text=True, timeout=180,
    )
    assert done.returncode == 0, done.stderr
    result = write_marks(tmp_path / "lo" / "first.xlsx", [PHONE], out=again)
    assert result.results_sheet == "校验结果(2)"
    wb = openpyxl.load_workbook(again)
    assert wb.sheetnames == ["客户档案", RESULTS_SHEET, "校验结果(2)"]
    assert wb[RESULTS_SHEET]["C2"].value == "已核对"
