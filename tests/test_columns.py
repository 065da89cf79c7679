"""Out columns written into the user's own sheet, in real files read back with openpyxl, the
package's own reader and LibreOffice.

Workbooks are made by openpyxl (inline and shared strings, an openpyxl Table), XlsxWriter
(shared strings, an Excel Table, a macro workbook) or patched by hand (shared formulas, a
calculation chain, prefixed XML); every check reads the written file from disk.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.table import Table, TableStyleInfo

from salesxl.errors import BadArguments, SalesxlError
from salesxl.io.columns import ColumnPatch, SheetPatch
from salesxl.io.marking import Marker
from salesxl.io.ooxml import package as ooxml_package
from salesxl.io.ooxml.package import Package
from salesxl.io.ooxml.sheet import SheetPatcher
from salesxl.io.reading import read_book
from salesxl.io.results import Column, ResultSheet, write_result_sheets

RED = "FFFFC7CE"
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


# --------------------------------------------------------------------------------------------
# Helpers


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def part_of(path: Path, sheet: str) -> str:
    """The zip member of worksheet ``sheet``, resolved the way the writer resolves it."""
    with Package(path) as pkg:
        return {s.name: s.part for s in Marker(pkg, "zh").sheets()}[sheet]  # type: ignore[return-value]


def sheet_xml(path: Path, sheet: str) -> bytes:
    return members(path)[part_of(path, sheet)]


def rewrite(path: Path, changes: dict[str, bytes]) -> None:
    """Replace (or add) zip members of ``path``, as a hand-edited package."""
    data = members(path) | changes
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, blob in data.items():
            z.writestr(name, blob)


def snapshot(path: Path) -> dict[str, dict[str, tuple[Any, ...]]]:
    """Every non-empty cell of every sheet: value, type, number format, fill, bold."""
    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        cells = {}
        for row in ws.iter_rows():
            for c in row:
                if c.value is not None or c.has_style:
                    fill = c.fill.fgColor.rgb if c.fill is not None and c.fill.fill_type == "solid" else None
                    cells[c.coordinate] = (c.value, c.data_type, c.number_format, fill, c.font.b)
        out[ws.title] = cells
    return out


def without(cells: dict[str, Any], columns: set[str]) -> dict[str, Any]:
    return {ref: v for ref, v in cells.items() if re.match(r"[A-Z]+", ref).group(0) not in columns}  # type: ignore[union-attr]


def raw_cells(xml: bytes) -> dict[str, bytes]:
    """Each ``<c>`` element's exact bytes by reference (every writer here writes ``r``)."""
    return {m.group(1).decode(): m.group(0)
            for m in re.finditer(rb'<c r="([A-Z]+\d+)"[^>]*?(?:/>|>.*?</c>)', xml, re.S)}


def patch_of(headers: dict[str, str], letters: dict[str, str], values: dict[str, dict[int, Any]],
             sheet: str, header_row: int) -> SheetPatch:
    """A patch the way classify builds it: the letter when the reader found the column."""
    return SheetPatch(sheet, header_row, [
        ColumnPatch(h, letters.get(h), "int" if kind == "int" else "text", values[h])  # type: ignore[arg-type]
        for h, kind in headers.items()
    ])


OUT = {"片区": "text", "客户等级": "text", "路线": "text", "拜访顺序": "int", "客户状态": "text", "信用等级": "text"}


def build_customers(path: Path) -> Path:
    """客户档案 as an office keeps it: a merged title, a styled header, a validation fill, a
    formula and old values in the out columns; another sheet with dates and formulas."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "客户档案"
    ws["A1"] = "XX公司客户档案"
    ws.merge_cells("A1:G1")
    ws.append(["客户编号", "客户名称", "客户性质", "业务员", "片区", "客户等级", "备注"])
    for c in ws[2]:
        c.font = Font(bold=True)
        c.fill = PatternFill("solid", fgColor="FFDDEBF7")
    for i in range(10):
        ws.append([f"C{i:03d}", f"客户{i}", "一般公司", "张三", "华东" if i < 5 else None, "零散客户", f"备注{i}"])
    ws["F3"] = '=IF(A3="C000","主要客户","一般客户")'
    ws["F5"].fill = PatternFill("solid", fgColor=RED)  # a validation mark stays
    ws["E8"].fill = PatternFill("solid", fgColor=RED)  # a styled empty cell
    ws["G6"] = "=SUM(1,2) 看起来像公式"
    ws["G6"].data_type = "s"  # text a user typed, not a formula
    ws.column_dimensions["B"].width = 20
    sales = wb.create_sheet("销售")
    sales.append(["日期", "单号", "客户编号", "金额"])
    sales.append(["2026-01-05", "S1", "C000", 100.5])
    sales["E2"] = "=D2*2"
    wb.save(path)
    return path


def values_for(rows: range) -> dict[str, dict[int, Any]]:
    return {
        "片区": {r: f"片区{r % 3}" for r in rows},
        "客户等级": {r: ["主要客户", "一般客户", "零散客户"][r % 3] for r in rows},
        "路线": {r: f"路线{r % 2}" for r in rows},
        "拜访顺序": {r: r - 2 for r in rows},
        "客户状态": {r: "现有客户" for r in rows},
        "信用等级": {r: "ABCD"[r % 4] for r in rows},
    }


def classify_patch(book: Path, values: dict[str, dict[int, Any]]) -> SheetPatch:
    table = read_book(book, sheets=["客户档案"])["客户档案"]
    assert table.header_row is not None
    return patch_of(OUT, table.letters, values, table.sheet, table.header_row)


# --------------------------------------------------------------------------------------------
# A plain sheet


def test_values_written_and_nothing_else_changes(tmp_path: Path) -> None:
    book = build_customers(tmp_path / "客户.xlsx")
    values = values_for(range(3, 13))
    values["片区"][4] = "=SUM(A1:A9)"  # text from a user's cell: never a formula
    values["片区"][5] = "a<b & c>d \x01\x1f end "  # escaped; control characters dropped
    values["片区"][8] = None  # styled empty cell stays styled
    values["客户等级"][5] = None  # keeps its validation fill, loses its value
    values["客户等级"][6] = None  # unstyled: the cell goes
    values["客户等级"][15] = "主要客户"  # a row the sheet does not have yet
    values["拜访顺序"][14] = 99
    values["路线"][13] = None  # nothing to write, nothing created
    before = snapshot(book)
    res = write_result_sheets(book, [], out=tmp_path / "out.xlsx", patch=classify_patch(book, values))
    assert res.columns == {"片区": "E", "客户等级": "F", "路线": "H", "拜访顺序": "I", "客户状态": "J", "信用等级": "K"}
    after = snapshot(res.written)

    # nothing else changed: every other cell of every sheet, value and look
    assert after["销售"] == before["销售"]
    patched = set("EFHIJK")
    assert without(after["客户档案"], patched) == without(before["客户档案"], patched)
    changed = {n for n, blob in members(res.written).items() if members(book).get(n) != blob}
    assert changed == {part_of(book, "客户档案")}  # every other part is byte-identical

    ws = openpyxl.load_workbook(res.written)["客户档案"]
    # appended headers, styled like the last header (bold, same fill)
    assert [ws.cell(2, c).value for c in range(8, 12)] == ["路线", "拜访顺序", "客户状态", "信用等级"]
    assert all(ws.cell(2, c).font.b and ws.cell(2, c).fill.fgColor.rgb == "FFDDEBF7" for c in range(8, 12))
    assert ws.column_dimensions["H"].width >= 6 and ws.column_dimensions["B"].width == 20
    # values, types, styles
    assert ws["E3"].value == "片区0" and ws["F3"].value == "主要客户" and ws["F3"].data_type == "s"
    assert ws["E4"].value == "=SUM(A1:A9)" and ws["E4"].data_type == "s"
    assert ws["E5"].value == "a<b & c>d  end "
    assert ws["E8"].value is None and ws["E8"].fill.fgColor.rgb == RED
    assert ws["F5"].value is None and ws["F5"].fill.fgColor.rgb == RED
    assert ws["F6"].value is None
    assert ws["I3"].value == 1 and ws["I3"].data_type == "n" and ws["I14"].value == 99
    assert ws["F15"].value == "主要客户" and ws.max_row == 15
    assert ws["H13"].value is None and ws["K12"].value == "ABCD"[12 % 4]
    xml = sheet_xml(res.written, "客户档案")
    assert b"<f>" not in xml and b'<dimension ref="A1:K15"/>' in xml
    assert b'<c r="F6"' not in xml and b'<row r="13"' not in xml
    rows = [int(r) for r in re.findall(rb'<row r="(\d+)"', xml)]
    assert rows == [*range(1, 13), 14, 15]
    for row in re.findall(rb"<row [^>]*>(.*?)</row>", xml):
        cols = [openpyxl.utils.column_index_from_string(c.decode()) for c in re.findall(rb'<c r="([A-Z]+)\d+"', row)]
        assert cols == sorted(cols)
    old_cells, new_cells = raw_cells(sheet_xml(book, "客户档案")), raw_cells(xml)
    assert res.cells == sum(1 for ref in old_cells.keys() | new_cells.keys()
                            if old_cells.get(ref) != new_cells.get(ref))
    assert without(new_cells, patched) == without(old_cells, patched)  # byte for byte

    # the package's own reader sees the columns and values
    table = read_book(res.written, sheets=["客户档案"])["客户档案"]
    assert {k: table.letters[k] for k in OUT} == res.columns
    frame = table.frame.set_index("_row")
    assert frame.loc[3, "客户等级"] == "主要客户" and frame.loc[3, "路线"] == "路线1"
    assert frame.loc[4, "拜访顺序"] == 2 and frame.loc[15, "客户等级"] == "主要客户"


def test_rerun_is_byte_identical(tmp_path: Path) -> None:
    book = build_customers(tmp_path / "客户.xlsx")
    values = values_for(range(3, 13))
    values["客户等级"][5] = None
    first = write_result_sheets(book, [], out=tmp_path / "1.xlsx", patch=classify_patch(book, values))
    assert first.cells > 0
    # the second run sees its own columns through the reader and writes them in place
    again = classify_patch(first.written, values)
    assert all(c.letter is not None for c in again.columns)
    second = write_result_sheets(first.written, [], out=tmp_path / "2.xlsx", patch=again)
    assert second.cells == 0
    assert sheet_xml(second.written, "客户档案") == sheet_xml(first.written, "客户档案")
    assert members(second.written) == members(first.written)
    # new values replace the old ones in place, nothing is appended twice
    values["客户等级"] = {r: "一般客户" for r in range(3, 13)}
    third = write_result_sheets(first.written, [], out=tmp_path / "3.xlsx", patch=classify_patch(first.written, values))
    assert third.cells == 7  # rows 4, 7 and 10 already said 一般客户
    ws = openpyxl.load_workbook(third.written)["客户档案"]
    assert ws.max_column == 11 and {ws.cell(r, 6).value for r in range(3, 13)} == {"一般客户"}


def test_chunk_boundaries_do_not_matter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = build_customers(tmp_path / "客户.xlsx")
    patch = classify_patch(book, values_for(range(3, 14)))
    normal = write_result_sheets(book, [], out=tmp_path / "n.xlsx", patch=patch)
    monkeypatch.setattr(ooxml_package, "CHUNK", 53)
    tiny = write_result_sheets(book, [], out=tmp_path / "t.xlsx", patch=patch)
    assert tiny.written.read_bytes() == normal.written.read_bytes()


def test_values_without_header_are_never_overwritten(tmp_path: Path) -> None:
    """A note typed right of the headers pushes the new columns further right — also when the
    sheet's dimension does not admit it (found while streaming, then written again)."""
    book = build_customers(tmp_path / "客户.xlsx")
    wb = openpyxl.load_workbook(book)
    wb["客户档案"]["H5"] = "用户的备忘"
    wb["客户档案"]["I1"] = "标题行的内容不算"
    wb.save(book)
    values = values_for(range(3, 13))
    res = write_result_sheets(book, [], out=tmp_path / "o.xlsx", patch=classify_patch(book, values))
    assert res.columns["路线"] == "I"
    ws = openpyxl.load_workbook(res.written)["客户档案"]
    assert ws["H5"].value == "用户的备忘" and ws["H2"].value is None and ws["I2"].value == "路线"
    assert ws["I1"].value == "标题行的内容不算"

    part = part_of(book, "客户档案")
    xml = members(book)[part]
    rewrite(book, {part: re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:G12"/>', xml)})
    res = write_result_sheets(book, [], out=tmp_path / "lied.xlsx", patch=classify_patch(book, values))
    assert res.columns["路线"] == "I"
    assert openpyxl.load_workbook(res.written)["客户档案"]["H5"].value == "用户的备忘"


# --------------------------------------------------------------------------------------------
# Excel Tables


def build_xlsxwriter_table(path: Path, *, blocked: bool = False) -> Path:
    """A sheet whose customers are an Excel Table (shared strings, table style, filters)."""
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("档案")
    ws.write("B1", "客户一览")
    data = [[f"C{i}", f"客户{i}", "个人", "李四", "一般客户"] for i in range(6)]
    ws.add_table("B3:F9", {"name": "Customers", "data": data, "columns": [
        {"header": h} for h in ("客户编号", "客户名称", "客户性质", "业务员", "客户等级")]})
    if blocked:
        ws.write("G5", "挡路的值")
    ws.write("B12", "表格下方的合计")
    wb.add_worksheet("其他").write("A1", "x")
    wb.close()
    return path


def test_xlsxwriter_table_is_widened(tmp_path: Path) -> None:
    book = build_xlsxwriter_table(tmp_path / "t.xlsx")
    assert "xl/sharedStrings.xml" in members(book)
    table = read_book(book, sheets=["客户档案"])["客户档案"]
    assert table.sheet == "Customers" and table.header_row == 3
    rows = range(4, 10)
    values = values_for(rows)
    before = snapshot(book)
    res = write_result_sheets(book, [], out=tmp_path / "o.xlsx",
                              patch=patch_of(OUT, table.letters, values, table.sheet, table.header_row))
    assert res.columns["客户等级"] == "F" and res.columns["片区"] == "G" and res.columns["信用等级"] == "K"

    wb = openpyxl.load_workbook(res.written)
    ws = wb["档案"]
    t = ws.tables["Customers"]
    assert t.ref == "B3:K9" and t.autoFilter.ref == "B3:K9"
    assert [c.name for c in t.tableColumns] == ["客户编号", "客户名称", "客户性质", "业务员", "客户等级",
                                                 "片区", "路线", "拜访顺序", "客户状态", "信用等级"]
    assert len({c.id for c in t.tableColumns}) == 10
    assert [ws.cell(3, c).value for c in range(2, 12)] == [c.name for c in t.tableColumns]
    assert ws["I4"].value == 2 and ws["F4"].value == "一般客户"
    assert without(snapshot(res.written)["档案"], set("FGHIJK")) == without(before["档案"], set("FGHIJK"))
    assert members(res.written)["xl/sharedStrings.xml"] == members(book)["xl/sharedStrings.xml"]

    again = read_book(res.written, sheets=["客户档案"])["客户档案"]
    assert {k: again.letters[k] for k in OUT} == res.columns
    assert again.frame["信用等级"].tolist() == [values["信用等级"][r] for r in rows]
    second = write_result_sheets(res.written, [], out=tmp_path / "o2.xlsx",
                                 patch=patch_of(OUT, again.letters, values, again.sheet, 3))
    assert second.cells == 0 and members(second.written) == members(res.written)


def test_no_room_beside_a_table_writes_nothing(tmp_path: Path) -> None:
    book = build_xlsxwriter_table(tmp_path / "t.xlsx", blocked=True)
    table = read_book(book, sheets=["客户档案"])["客户档案"]
    out = tmp_path / "o.xlsx"
    with pytest.raises(SalesxlError) as err:
        write_result_sheets(book, [], out=out, patch=patch_of(OUT, table.letters, values_for(range(4, 10)),
                                                               table.sheet, 3))
    assert "G" in err.value.zh and not out.exists()


def test_openpyxl_table_named_like_the_sheet(tmp_path: Path) -> None:
    book = tmp_path / "o.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "数据"
    ws.append(["客户编号", "客户名称", "客户性质", "业务员"])
    for i in range(4):
        ws.append([f"C{i}", f"客户{i}", "个人", "王五"])
    t = Table(displayName="客户档案", ref="A1:D5")
    t.tableStyleInfo = TableStyleInfo(name="TableStyleMedium9", showRowStripes=True)
    ws.add_table(t)
    wb.save(book)
    table = read_book(book, sheets=["客户档案"])["客户档案"]
    assert table.sheet == "客户档案" and table.header_row == 1
    values = values_for(range(2, 6))
    res = write_result_sheets(book, [], out=tmp_path / "p.xlsx",
                              patch=patch_of(OUT, table.letters, values, table.sheet, table.header_row))
    ws = openpyxl.load_workbook(res.written)["数据"]
    assert ws.tables["客户档案"].ref == "A1:J5" and len(ws.tables["客户档案"].tableColumns) == 10
    back = read_book(res.written, sheets=["客户档案"])["客户档案"]
    assert back.frame["拜访顺序"].tolist() == [0, 1, 2, 3]
    assert back.frame["片区"].tolist() == [values["片区"][r] for r in range(2, 6)]


# --------------------------------------------------------------------------------------------
# Formulas, odd XML


SHARED_SHEET = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{NS}">'
    '<dimension ref="A1:B5"/><sheetData>'
    '<row r="1"><c r="A1" t="inlineStr"><is><t>客户编号</t></is></c><c r="B1" t="inlineStr"><is><t>客户等级</t></is></c></row>'
    + "".join(
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>C{r}</t></is></c><c r="B{r}" t="str">'
        + (f'<f t="shared" ref="B2:B5" si="0">A{r}&amp;"级"</f>' if r == 2 else '<f t="shared" si="0"/>')
        + f"<v>C{r}级</v></c></row>"
        for r in range(2, 6)
    )
    + "</sheetData></worksheet>"
)


def build_shared(path: Path) -> Path:
    wb = openpyxl.Workbook()
    wb.active.title = "客户档案"
    wb.save(path)
    m = members(path)
    rels = m["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/calcChain" '
        b'Target="calcChain.xml"/></Relationships>')
    types = m["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/calcChain.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        b'spreadsheetml.calcChain+xml"/></Types>')
    chain = f'<calcChain xmlns="{NS}"><c r="B2" i="1"/><c r="B3"/><c r="B4"/><c r="B5"/></calcChain>'.encode()
    rewrite(path, {part_of(path, "客户档案"): SHARED_SHEET.encode(), "xl/_rels/workbook.xml.rels": rels,
                   "[Content_Types].xml": types, "xl/calcChain.xml": chain})
    return path


def test_formulas_are_replaced_and_the_calc_chain_goes(tmp_path: Path) -> None:
    book = build_shared(tmp_path / "f.xlsx")
    assert openpyxl.load_workbook(book)["客户档案"]["B3"].value == '=A3&"级"'
    partly = SheetPatch("客户档案", 1, [ColumnPatch("客户等级", "B", "text", {2: "主要客户", 3: "一般客户"})])
    with pytest.raises(SalesxlError) as err:
        write_result_sheets(book, [], out=tmp_path / "x.xlsx", patch=partly)
    assert "B2:B5" in err.value.zh and not (tmp_path / "x.xlsx").exists()

    whole = SheetPatch("客户档案", 1, [ColumnPatch("客户等级", "B", "text", {r: "主要客户" for r in range(2, 6)})])
    res = write_result_sheets(book, [], out=tmp_path / "o.xlsx", patch=whole)
    m = members(res.written)
    assert "xl/calcChain.xml" not in m and b"calcChain" not in m["[Content_Types].xml"]
    assert b"calcChain" not in m["xl/_rels/workbook.xml.rels"]
    ws = openpyxl.load_workbook(res.written)["客户档案"]
    assert [ws.cell(r, 2).value for r in range(2, 6)] == ["主要客户"] * 4
    assert b"<f" not in sheet_xml(res.written, "客户档案")


def test_prefixed_xml_and_cells_without_position(tmp_path: Path) -> None:
    book = tmp_path / "p.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "客户档案"
    wb.save(book)
    xml = (
        f'<?xml version="1.0" encoding="UTF-8"?><x:worksheet xmlns:x="{NS}"><x:sheetData>'
        '<x:row><x:c t="inlineStr"><x:is><x:t>客户编号</x:t></x:is></x:c><x:c t="inlineStr"><x:is><x:t>片区</x:t></x:is></x:c>'
        '<x:c t="inlineStr"><x:is><x:t>业务员</x:t></x:is></x:c></x:row>'
        '<x:row><x:c t="inlineStr"><x:is><x:t>C1</x:t></x:is></x:c><x:c r="C2" t="inlineStr"><x:is><x:t>张三</x:t></x:is></x:c></x:row>'
        '<x:row r="3" spans="1:3"><x:c r="A3" t="inlineStr"><x:is><x:t>C2</x:t></x:is></x:c><x:c/><x:c t="inlineStr">'
        "<x:is><x:t>李四</x:t></x:is></x:c></x:row>"
        "</x:sheetData></x:worksheet>"
    )
    rewrite(book, {part_of(book, "客户档案"): xml.encode()})
    patch = SheetPatch("客户档案", 1, [
        ColumnPatch("片区", "B", "text", {2: "华北", 3: "华南"}),
        ColumnPatch("路线", None, "int", {2: 7, 3: 8}),
    ])
    res = write_result_sheets(book, [], out=tmp_path / "o.xlsx", patch=patch)
    ws = openpyxl.load_workbook(res.written)["客户档案"]
    assert [[c.value for c in row] for row in ws.iter_rows()] == [
        ["客户编号", "片区", "业务员", "路线"], ["C1", "华北", "张三", 7], ["C2", "华南", "李四", 8],
    ]
    out = sheet_xml(res.written, "客户档案")
    assert b'<x:row r="3" spans="1:4">' in out and b"<x:cols>" in out and b'<x:is><x:t xml:space="preserve">' in out


# --------------------------------------------------------------------------------------------
# One package write: patch, result sheets, starting sheets


def test_result_sheets_starting_sheets_and_in_place(tmp_path: Path) -> None:
    book = build_customers(tmp_path / "客户.xlsx")
    original = book.read_bytes()
    values = values_for(range(3, 13))

    def run(km: list[float]) -> Any:
        routes = ResultSheet("路线", [Column("路线"), Column("里程(公里)", "number"), Column("纬度", "number")],
                             [["路线0", km[0], 31.230416], ["路线1", km[1], float("nan")]])
        advice = ResultSheet("信用建议", [Column("客户编号"), Column("建议额度", "amount")], [["C000", 1234550]])
        policy = ResultSheet("信用政策", [Column("信用等级"), Column("额度上限", "amount")], [["A", 10_000_000]])
        return write_result_sheets(book, [routes, advice], in_place=True, patch=classify_patch(book, values),
                                   add_if_missing=[policy], copy_tag="分类结果")

    first = run([12.345, 7])
    assert first.written == book and first.backup is not None and first.backup.read_bytes() == original
    assert first.kept == [] and first.sheets == ["信用政策", "路线", "信用建议"]
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames == ["客户档案", "销售", "信用政策", "路线", "信用建议"]
    routes = wb["路线"]
    assert routes["B2"].value == 12.345 and routes["B2"].number_format == "0.00" and routes["B3"].value == 7
    assert routes["C2"].value == 31.230416 and routes["C3"].value is None
    assert wb["客户档案"]["H2"].value == "路线"

    # the user edits 信用政策 (in any program) and runs classify again
    wb["信用政策"]["B2"] = 500
    wb["信用政策"]["A3"] = "B"
    wb.save(book)
    policy_xml = sheet_xml(book, "信用政策")
    second = run([1.5, 2.25])
    assert second.kept == ["信用政策"] and second.sheets == ["路线", "信用建议"] and second.cells == 0
    assert second.backup is not None
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames == ["客户档案", "销售", "信用政策", "路线", "信用建议"]
    assert sheet_xml(book, "信用政策") == policy_xml
    assert wb["信用政策"]["B2"].value == 500 and wb["信用政策"]["A3"].value == "B"
    assert [r[1] for r in wb["路线"].iter_rows(min_row=2, values_only=True)] == [1.5, 2.25]
    assert wb["客户档案"].max_column == 11  # the columns were not appended twice


def test_starting_sheet_names_compare_like_the_marker(tmp_path: Path) -> None:
    """A sheet the user renamed only in width, case or surrounding spaces is still theirs."""
    book = tmp_path / "p.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "客户档案"
    wb.create_sheet("ＰＯＬＩＣＹ ").append(["用户的内容"])
    wb.save(book)
    res = write_result_sheets(book, [ResultSheet("Result", [Column("a")], [["b"]])], out=tmp_path / "o.xlsx",
                              add_if_missing=[ResultSheet("policy", [Column("a")], [["b"]]),
                                              ResultSheet("信用政策", [Column("a")], [["b"]])])
    assert res.kept == ["policy"] and res.sheets == ["信用政策", "Result"]
    assert openpyxl.load_workbook(res.written).sheetnames == ["客户档案", "ＰＯＬＩＣＹ ", "信用政策", "Result"]


def test_copy_tag_names_the_copy(tmp_path: Path) -> None:
    book = tmp_path / "图表.xlsx"
    wb = xlsxwriter.Workbook(book)
    ws = wb.add_worksheet("客户档案")
    ws.write_row(0, 0, ["客户编号", "客户名称", "客户性质", "业务员"])
    ws.write_row(1, 0, ["C1", "客户1", "个人", "张三"])
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"values": "=客户档案!$A$2:$A$2"})
    ws.insert_chart("F2", chart)
    wb.close()
    original = book.read_bytes()
    patch = SheetPatch("客户档案", 1, [ColumnPatch("客户等级", None, "text", {2: "主要客户"})])
    res = write_result_sheets(book, [], in_place=True, patch=patch, copy_tag="分类结果")
    assert res.written.name == "图表.分类结果.xlsx" and "分类结果" in (res.copied_because or "")
    assert book.read_bytes() == original
    assert openpyxl.load_workbook(res.written)["客户档案"]["E2"].value == "主要客户"


def test_xlsm_keeps_its_macros(tmp_path: Path) -> None:
    vba = tmp_path / "vbaProject.bin"
    vba.write_bytes(b"\xd0\xcf\x11\xe0 not really a VBA project " * 40)
    book = tmp_path / "宏.xlsm"
    wb = xlsxwriter.Workbook(book)
    ws = wb.add_worksheet("客户档案")
    ws.write_row(0, 0, ["客户编号", "客户名称", "客户等级"])
    ws.write_row(1, 0, ["C1", "客户1", "旧"])
    wb.add_vba_project(str(vba))
    wb.close()
    patch = SheetPatch("客户档案", 1, [ColumnPatch("客户等级", "C", "text", {2: "主要客户"}),
                                     ColumnPatch("拜访顺序", None, "int", {2: 1})])
    res = write_result_sheets(book, [], out=tmp_path / "o.xlsx", patch=patch)
    assert res.written.suffix == ".xlsm"
    assert members(res.written)["xl/vbaProject.bin"] == vba.read_bytes()
    ws = openpyxl.load_workbook(res.written)["客户档案"]
    assert ws["C2"].value == "主要客户" and ws["D1"].value == "拜访顺序" and ws["D2"].value == 1


def test_bad_patches(tmp_path: Path) -> None:
    book = build_customers(tmp_path / "客户.xlsx")
    out = tmp_path / "o.xlsx"

    def write(patch: SheetPatch, sheets: list[ResultSheet] | None = None) -> None:
        write_result_sheets(book, sheets or [], out=out, patch=patch)

    with pytest.raises(BadArguments):
        write(SheetPatch("没有这张表", 2, [ColumnPatch("路线", None, "text", {3: "x"})]))
    with pytest.raises(BadArguments):
        write(SheetPatch("客户档案", 2, [ColumnPatch("路线", None, "text", {2: "header row"})]))
    with pytest.raises(BadArguments):
        write(SheetPatch("客户档案", 2, [ColumnPatch("路线", None, "int", {3: "abc"})]))
    with pytest.raises(BadArguments):
        write(SheetPatch("客户档案", 2, [ColumnPatch("路线", None, "int", {3: 1.5})]))  # type: ignore[dict-item]
    with pytest.raises(BadArguments):
        write(SheetPatch("客户档案", 2, [ColumnPatch("a", "E", "text", {3: "x"}), ColumnPatch("b", "e", "text", {})]))
    with pytest.raises(BadArguments):
        write(SheetPatch("路线", 1, [ColumnPatch("a", None, "text", {2: "x"})]), [ResultSheet("路线", [Column("a")])])
    with pytest.raises(BadArguments):
        ColumnPatch("a", "A1", "text", {})
    with pytest.raises(BadArguments):
        ColumnPatch("a", None, "time", {})  # type: ignore[arg-type]
    assert not out.exists()
    # no columns: nothing to do, the sheet part stays as it was
    res = write_result_sheets(book, [], out=out, patch=SheetPatch("客户档案", 2, []))
    assert res.cells == 0 and members(res.written) == members(book)
    # NaN is a blank, an integral float a whole number
    res = write_result_sheets(book, [], out=out, force=True, patch=SheetPatch("客户档案", 2, [
        ColumnPatch("拜访顺序", None, "int", {3: 2.0, 4: math.nan}),  # type: ignore[dict-item]
    ]))
    ws = openpyxl.load_workbook(res.written)["客户档案"]
    assert ws["H3"].value == 2 and ws["H4"].value is None


# --------------------------------------------------------------------------------------------
# A real spreadsheet application opens the result

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_opens_the_patched_workbook(tmp_path: Path) -> None:
    assert SOFFICE is not None
    book = build_xlsxwriter_table(tmp_path / "t.xlsx")
    table = read_book(book, sheets=["客户档案"])["客户档案"]
    values = values_for(range(4, 10))
    res = write_result_sheets(book, [ResultSheet("路线", [Column("路线"), Column("公里", "number")], [["路线0", 3.5]])],
                              out=tmp_path / "patched.xlsx",
                              patch=patch_of(OUT, table.letters, values, table.sheet, 3))
    profile = (tmp_path / "lo-profile").as_uri()
    done = subprocess.run(
        [SOFFICE, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "xlsx",
         "--outdir", str(tmp_path / "lo"), str(res.written)],
        capture_output=True, text=True, timeout=180,
    )
    assert done.returncode == 0, done.stderr
    wb = openpyxl.load_workbook(tmp_path / "lo" / "patched.xlsx")
    ws = wb["档案"]
    assert [ws.cell(3, c).value for c in range(7, 12)] == ["片区", "路线", "拜访顺序", "客户状态", "信用等级"]
    assert [ws.cell(r, 11).value for r in range(4, 10)] == [values["信用等级"][r] for r in range(4, 10)]
    assert ws.cell(4, 9).value == 2 and wb["路线"]["B2"].value == 3.5
    assert "Customers" in ws.tables and ws.tables["Customers"].ref == "B3:K9"

    # LibreOffice stored every value as a shared string: a re-run finds them all in place
    saved = tmp_path / "lo" / "patched.xlsx"
    assert b"inlineStr" not in sheet_xml(saved, "档案")
    back = read_book(saved, sheets=["客户档案"])["客户档案"]
    again = write_result_sheets(saved, [], out=tmp_path / "again.xlsx",
                                patch=patch_of(OUT, back.letters, values, back.sheet, 3))
    assert again.cells == 0 and sheet_xml(again.written, "档案") == sheet_xml(saved, "档案")


# --------------------------------------------------------------------------------------------
# Typed cells: dates, amounts, numbers


def test_typed_cells_read_back_as_typed(tmp_path: Path) -> None:
    """Dates are serial numbers with a date format (the column's, or yyyy-mm-dd when none),
    amounts exact decimals, numbers floats; a re-run changes nothing."""
    from datetime import date, datetime

    book = tmp_path / "book.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "客户档案"
    ws.append(["客户编号", "成立日期", "资产规模", "纬度"])
    ws.append(["C1", datetime(2020, 1, 5), 100, 30.5])
    ws["B2"].number_format = "yyyy/m/d"
    ws.append(["C2", None, None, None])
    wb.save(book)
    patch = SheetPatch("客户档案", 1, [
        ColumnPatch("成立日期", "B", "date", {2: date(2021, 3, 4), 3: date(2022, 12, 31), 5: datetime(2023, 6, 7)}),
        ColumnPatch("资产规模", "C", "amount", {2: 1230, 3: 123456789, 5: -5}),
        ColumnPatch("纬度", "D", "number", {2: 29.885356, 3: 30.0, 5: 0.1}),
        ColumnPatch("备注", None, "date", {3: "不详"}),
    ])
    out = tmp_path / "out.xlsx"
    res = write_result_sheets(book, [], out=out, patch=patch)
    ws = openpyxl.load_workbook(res.written)["客户档案"]
    assert ws["B2"].value == datetime(2021, 3, 4) and ws["B2"].number_format == "yyyy/m/d"
    assert ws["B3"].value == datetime(2022, 12, 31) and ws["B3"].is_date  # no style of its own: the one above
    assert ws["B3"].number_format == "yyyy/m/d" and ws["B5"].number_format == "yyyy/m/d"
    assert ws["C2"].value == 12.3 and ws["C3"].value == 1234567.89 and ws["C5"].value == -0.05
    assert ws["D2"].value == 29.885356 and ws["D3"].value == 30 and ws["D5"].value == 0.1
    assert ws["E3"].value == "不详"
    xml = sheet_xml(res.written, "客户档案")
    assert b"<v>12.3</v>" in xml and b"<v>1234567.89</v>" in xml and b"<v>-0.05</v>" in xml
    t = read_book(res.written, sheets=["客户档案"])["客户档案"].frame
    assert str(t["成立日期"].iloc[0])[:10] == "2021-03-04" and t["资产规模"].iloc[0] == 1230
    again = tmp_path / "again.xlsx"
    rerun = SheetPatch("客户档案", 1, [*patch.columns[:3], ColumnPatch("备注", "E", "date", {3: "不详"})])
    res2 = write_result_sheets(res.written, [], out=again, patch=rerun)
    assert res2.cells == 0 and sheet_xml(again, "客户档案") == xml


def test_date_without_any_style_gets_yyyy_mm_dd(tmp_path: Path) -> None:
    from datetime import date, datetime

    book = tmp_path / "book.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "拜访"
    ws.append(["日期", "业务员"])
    wb.save(book)
    out = tmp_path / "out.xlsx"
    res = write_result_sheets(book, [], out=out, patch=SheetPatch("拜访", 1, [
        ColumnPatch("日期", "A", "date", {2: date(2026, 10, 1), 3: date(1900, 1, 1)}),
        ColumnPatch("业务员", "B", "text", {2: "张三"}),
    ]))
    ws = openpyxl.load_workbook(res.written)["拜访"]
    assert ws["A2"].value == datetime(2026, 10, 1) and ws["A2"].number_format == "yyyy-mm-dd"
    assert ws["A3"].value == datetime(1900, 1, 1)
    with pytest.raises(BadArguments):
        write_result_sheets(book, [], out=tmp_path / "x.xlsx", patch=SheetPatch("拜访", 1, [
            ColumnPatch("日期", "A", "amount", {2: 1.5})]))


# --------------------------------------------------------------------------------------------
# Streaming: finding the rows, reading the part


def build_uneven(path: Path) -> Path:
    """A sheet whose rows differ wildly in size (a long note on every 11th, none on others)
    and which lacks some rows (every 17th) — what defeats guessing where a row starts."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "客户档案"
    ws.append(["客户编号", "客户名称", "备注"])
    for r in range(2, 401):
        if r % 17 == 0:
            continue
        note = "很长的备注" * 120 if r % 11 == 0 else None
        ws.cell(r, 1, f"C{r:04d}")
        ws.cell(r, 2, f"客户{r}")
        if note:
            ws.cell(r, 3, note)
    wb.save(path)
    return path


def test_rows_found_near_their_guess_or_by_search_alike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The patcher looks for a row where the size of the rows before it puts it; uneven rows,
    missing rows and rows past the end give the same file as a plain search, and in any
    chunking of the stream."""
    book = build_uneven(tmp_path / "uneven.xlsx")
    before = snapshot(book)["客户档案"]
    notes = {r: f"新备注{r}" for r in range(3, 420, 3)}
    names = {r: f"新名称{r}" for r in range(5, 400, 5)}
    patch = SheetPatch("客户档案", 1, [ColumnPatch("客户名称", "B", "text", names),
                                       ColumnPatch("备注", "C", "text", notes)])
    guessed = write_result_sheets(book, [], out=tmp_path / "guessed.xlsx", patch=patch)
    near = SheetPatcher._near
    monkeypatch.setattr(SheetPatcher, "_near", lambda self, *a: None)
    searched = write_result_sheets(book, [], out=tmp_path / "searched.xlsx", patch=patch)
    assert members(guessed.written) == members(searched.written)
    monkeypatch.setattr(SheetPatcher, "_near", near)
    monkeypatch.setattr(ooxml_package, "CHUNK", 997)
    chunked = write_result_sheets(book, [], out=tmp_path / "chunked.xlsx", patch=patch)
    assert members(guessed.written) == members(chunked.written)

    after = snapshot(guessed.written)["客户档案"]
    for r in range(2, 420):
        for col, values in (("B", names), ("C", notes)):
            ref = f"{col}{r}"
            if r in values:
                assert after[ref][0] == values[r], ref
            else:
                assert after.get(ref) == before.get(ref), ref
    assert after["A2"] == before["A2"] and "A17" not in after and after["C11"] == before["C11"]


def _set_crc(path: Path, member: str, crc: int) -> None:
    """Record a wrong CRC-32 for ``member`` in its local header and its central directory entry."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        offset = z.getinfo(member).header_offset
    data[offset + 14: offset + 18] = crc.to_bytes(4, "little")
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        name_len = int.from_bytes(data[at + 28: at + 30], "little")
        if data[at + 46: at + 46 + name_len] == member.encode():
            data[at + 16: at + 20] = crc.to_bytes(4, "little")
        at = data.find(b"PK\x01\x02", at + 46)
    path.write_bytes(bytes(data))


def test_damaged_sheet_part_is_refused(tmp_path: Path) -> None:
    """A sheet whose stored CRC-32 does not match, or whose deflate stream is broken, is not
    written (the check zipfile makes, made by the faster inflater too)."""
    from salesxl.errors import UnreadableWorkbook

    book = build_customers(tmp_path / "客户.xlsx")
    part = part_of(book, "客户档案")
    patch = SheetPatch("客户档案", 2, [ColumnPatch("备注", "G", "text", {3: "新备注"})])
    assert write_result_sheets(book, [], out=tmp_path / "ok.xlsx", patch=patch).cells == 1

    bad_crc = tmp_path / "crc.xlsx"
    shutil.copyfile(book, bad_crc)
    with zipfile.ZipFile(book) as z:
        _set_crc(bad_crc, part, z.getinfo(part).CRC ^ 1)
    with pytest.raises(UnreadableWorkbook):
        write_result_sheets(bad_crc, [], out=tmp_path / "crc-out.xlsx", patch=patch)
    assert not (tmp_path / "crc-out.xlsx").exists()

    broken = tmp_path / "broken.xlsx"
    data = bytearray(book.read_bytes())
    with zipfile.ZipFile(book) as z:
        info = z.getinfo(part)
    start = info.header_offset + 30 + len(part.encode())  # openpyxl writes no extra field
    for i in range(start + 20, start + info.compress_size - 4, 7):
        data[i] ^= 0x5A
    broken.write_bytes(bytes(data))
    with pytest.raises(UnreadableWorkbook):
        write_result_sheets(broken, [], out=tmp_path / "broken-out.xlsx", patch=patch)
    assert not (tmp_path / "broken-out.xlsx").exists()


def test_stored_sheet_part_is_patched(tmp_path: Path) -> None:
    """A package whose parts are stored, not deflated, is read through zipfile and patched alike."""
    book = build_customers(tmp_path / "客户.xlsx")
    stored = tmp_path / "stored.xlsx"
    with zipfile.ZipFile(book) as src, zipfile.ZipFile(stored, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info))
    patch = SheetPatch("客户档案", 2, [ColumnPatch("备注", "G", "text", {3: "新备注", 12: "另一条"})])
    a = write_result_sheets(book, [], out=tmp_path / "a.xlsx", patch=patch)
    b = write_result_sheets(stored, [], out=tmp_path / "b.xlsx", patch=patch)
    assert sheet_xml(a.written, "客户档案") == sheet_xml(b.written, "客户档案")
    ws = openpyxl.load_workbook(b.written)["客户档案"]
    assert ws["G3"].value == "新备注" and ws["G12"].value == "另一条" and ws["G4"].value == "备注1"
