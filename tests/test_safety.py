"""salesxl.io.safety: hostile or broken files become one clear line, never a crash.

Every file here is built by the test itself.  No test lets calamine/fastexcel/openpyxl open a
hostile file: a wrong answer from the scan would abort the whole pytest process, which is
exactly what the module exists to prevent.
"""

from __future__ import annotations

import random
import re
import struct
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesxl.errors import UnreadableWorkbook
from salesxl.io.safety import (
    SAFETY_LIMITS,
    SheetPart,
    SheetScan,
    WorkbookInfo,
    inspect_workbook,
    scan_sheet,
    sheet_scan,
)

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
XLSM_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"


# --------------------------------------------------------------------------------------------
# Builders
# --------------------------------------------------------------------------------------------


def sheet_xml(sheet_data: str, *, dimension: str = "A1", prefix: str = "") -> bytes:
    p = prefix
    ns = f'xmlns:{p[:-1]}="{MAIN_NS}"' if p else f'xmlns="{MAIN_NS}"'
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<{p}worksheet {ns} xmlns:r="{REL_NS}"><{p}dimension ref="{dimension}"/>'
        f"<{p}sheetData>{sheet_data}</{p}sheetData></{p}worksheet>"
    ).encode()


def make_xlsx(
    path: Path,
    sheets: dict[str, bytes] | None = None,
    *,
    main_type: str = XLSX_MAIN,
    extra: dict[str, bytes] | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
    compresslevel: int | None = None,
) -> Path:
    """A minimal but complete workbook package, written member by member."""
    sheets = sheets if sheets is not None else {"Sheet1": sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>')}
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, len(sheets) + 1)
    )
    members = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org'
            '/package/2006/content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            f'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
            f'ContentType="{main_type}"/>{overrides}</Types>'
        ).encode(),
        "_rels/.rels": (
            b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            b'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
            b'http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            b'Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN_NS}" '
            f'xmlns:r="{REL_NS}"><sheets>'
            + "".join(
                f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>'
                for i, name in enumerate(sheets, 1)
            )
            + "</sheets></workbook>"
        ).encode(),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships">'
            + "".join(
                f'<Relationship Id="rId{i}" Type="{REL_NS}/worksheet" '
                f'Target="worksheets/sheet{i}.xml"/>'
                for i in range(1, len(sheets) + 1)
            )
            + "</Relationships>"
        ).encode(),
    }
    for i, data in enumerate(sheets.values(), 1):
        members[f"xl/worksheets/sheet{i}.xml"] = data
    members.update(extra or {})
    with zipfile.ZipFile(path, "w", compression, compresslevel=compresslevel) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def rewrite_member(src: Path, dst: Path, member: str, data: bytes) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, data if info.filename == member else zin.read(info))
    return dst


def patch_declared_size(path: Path, member: str, size: int) -> None:
    """Make the zip lie about ``member``'s uncompressed size (local and central headers)."""
    raw = bytearray(path.read_bytes())
    name = member.encode()
    central = raw.find(b"PK\x01\x02")
    while central >= 0:
        name_len = struct.unpack_from("<H", raw, central + 28)[0]
        if raw[central + 46 : central + 46 + name_len] == name:
            struct.pack_into("<I", raw, central + 24, size)
            local = struct.unpack_from("<I", raw, central + 42)[0]
            struct.pack_into("<I", raw, local + 22, size)
            break
        central = raw.find(b"PK\x01\x02", central + 4)
    else:
        raise AssertionError(member)
    path.write_bytes(bytes(raw))


def build_cfb(path: Path, stream: str, data: bytes = b"\x09\x08" + bytes(4094)) -> Path:
    """A minimal OLE2 compound file (v3, 512-byte sectors) holding one 4 KiB stream."""
    assert len(data) == 4096
    free, end, fat_sect, nostream = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 40, 0, 1, 1, 0, 4096, end, 0, end, 0)
    struct.pack_into("<109I", header, 76, 0, *([free] * 108))
    fat = [fat_sect, end, 3, 4, 5, 6, 7, 8, 9, end] + [free] * 118
    fat_sector = struct.pack("<128I", *fat)

    def entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
        raw_name = name.encode("utf-16-le") + b"\x00\x00" if name else b""
        e = bytearray(128)
        e[0 : len(raw_name)] = raw_name
        struct.pack_into("<HBB", e, 64, len(raw_name), kind, 1)
        struct.pack_into("<III", e, 68, nostream, nostream, child)
        struct.pack_into("<II", e, 116, start, size)
        return bytes(e)

    directory = (
        entry("Root Entry", 5, 1, end, 0)
        + entry(stream, 2, nostream, 2, len(data))
        + entry("", 0, nostream, 0, 0) * 2
    )
    path.write_bytes(bytes(header) + fat_sector + directory + data)
    return path


def rejected(path: Path) -> UnreadableWorkbook:
    """inspect + scan every sheet; the error it must raise."""
    with pytest.raises(UnreadableWorkbook) as caught:
        info = inspect_workbook(path)
        for sheet in info.sheets:
            scan_sheet(path, info, sheet)
    err = caught.value
    for text in (err.zh, err.en, err.message("zh"), err.message("en")):
        assert "\n" not in text and "\r" not in text, text
        assert path.name in text, text
    return err


def scan_first(path: Path) -> SheetScan:
    info = inspect_workbook(path)
    return scan_sheet(path, info, info.sheets[0])


# --------------------------------------------------------------------------------------------
# Not a file, not a workbook
# --------------------------------------------------------------------------------------------


def test_missing_path(tmp_path: Path) -> None:
    err = rejected(tmp_path / "不存在.xlsx")
    assert "不存在" in err.zh and "not found" in err.en


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "客户档案.xlsx"
    folder.mkdir()
    err = rejected(folder)
    assert "文件夹" in err.zh and "folder" in err.en


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    assert "empty" in rejected(path).en


@pytest.mark.parametrize(
    ("filename", "payload"),
    [
        ("renamed.xlsx", "客户编号,客户名称,金额\nC001,华为,1234.50\n".encode()),
        ("notes.txt.xlsx", "just some UTF-8 text — 备注\n".encode()),
        ("gbk.xlsx", "客户编号\t客户名称\nC001\t北京某某有限公司\n".encode("gbk")),
        ("unicode.xlsx", "客户\t金额\r\n".encode("utf-16")),  # Excel's "Unicode text"
    ],
)
def test_text_and_csv(tmp_path: Path, filename: str, payload: bytes) -> None:
    path = tmp_path / filename
    path.write_bytes(payload)
    err = rejected(path)
    assert "CSV" in err.zh and "text/CSV" in err.en


def test_html_renamed(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    path.write_text("<html><body><table><tr><td>客户</td></tr></table></body></html>", "utf-8")
    err = rejected(path)
    assert "HTML" in err.zh and "HTML" in err.en


def test_spreadsheetml_2003(tmp_path: Path) -> None:
    path = tmp_path / "old.xlsx"
    path.write_text(
        '<?xml version="1.0"?><?mso-application progid="Excel.Sheet"?>'
        '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"></Workbook>', "utf-8")
    assert "2003 XML" in rejected(path).en


def test_plain_xml(tmp_path: Path) -> None:
    path = tmp_path / "data.xlsx"
    path.write_text('<?xml version="1.0"?><rows><row/></rows>', "utf-8")
    assert "XML file" in rejected(path).en


def test_unknown_binary_and_pdf(tmp_path: Path) -> None:
    blob = tmp_path / "blob.xlsx"
    blob.write_bytes(bytes(range(256)) * 4)
    assert "not an Excel workbook" in rejected(blob).en
    pdf = tmp_path / "scan.xlsx"
    pdf.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    assert "PDF" in rejected(pdf).en


# --------------------------------------------------------------------------------------------
# OLE2: .xls and password-protected workbooks
# --------------------------------------------------------------------------------------------


def test_legacy_xls(tmp_path: Path) -> None:
    err = rejected(build_cfb(tmp_path / "旧报表.xlsx", "Workbook"))
    assert ".xls" in err.zh and "save it as .xlsx" in err.en and "97-2003" in err.en


def test_word_97_document(tmp_path: Path) -> None:
    assert "Word" in rejected(build_cfb(tmp_path / "memo.xls", "WordDocument")).en


def test_password_protected(tmp_path: Path) -> None:
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = make_xlsx(tmp_path / "plain.xlsx")
    locked = tmp_path / "locked.xlsx"
    with plain.open("rb") as src, locked.open("wb") as dst:
        OOXMLFile(src).encrypt("secret", dst)
    err = rejected(locked)
    assert "加密" in err.zh and "密码" in err.zh and "password-protected" in err.en


def test_damaged_ole(tmp_path: Path) -> None:
    path = tmp_path / "broken.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100))
    assert "damaged" in rejected(path).en


# --------------------------------------------------------------------------------------------
# Zip level
# --------------------------------------------------------------------------------------------


def test_truncated_xlsx(tmp_path: Path) -> None:
    good = make_xlsx(tmp_path / "good.xlsx")
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    err = rejected(cut)
    assert "损坏" in err.zh and "damaged" in err.en


def test_corrupt_deflate_stream(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "bits.xlsx")
    raw = bytearray(path.read_bytes())
    info = zipfile.ZipFile(path).getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    raw[start : start + info.compress_size] = b"\xff" * info.compress_size
    path.write_bytes(bytes(raw))
    assert "damaged" in rejected(path).en


def test_zip_without_workbook(tmp_path: Path) -> None:
    path = tmp_path / "photos.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("a.txt", "hello")
    assert "no workbook part" in rejected(path).en


def test_xlsb(tmp_path: Path) -> None:
    path = tmp_path / "binary.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.bin", b"\x83\x01\x00")
    err = rejected(path)
    assert ".xlsb" in err.zh and ".xlsb" in err.en


def test_ods(tmp_path: Path) -> None:
    path = tmp_path / "wps.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", "<office:document-content/>")
    err = rejected(path)
    assert ".ods" in err.zh and ".ods" in err.en


def test_docx(tmp_path: Path) -> None:
    path = tmp_path / "合同.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("word/document.xml", "<w:document/>")
    assert "Word" in rejected(path).en


def build_zip_bomb(path: Path) -> Path:
    """A workbook whose sharedStrings.xml is 300 MB of zeros squeezed into ~300 KB (streamed,
    so building it stays fast)."""
    make_xlsx(path)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as zf, zf.open(
        "xl/sharedStrings.xml", "w", force_zip64=True
    ) as member:
        block = bytes(1 << 20)
        for _ in range(300):
            member.write(block)
    return path


def test_zip_bomb_by_ratio(tmp_path: Path) -> None:
    err = rejected(build_zip_bomb(tmp_path / "bomb.xlsx"))
    assert "压缩炸弹" in err.zh and "zip bomb" in err.en and "ratio" in err.en


def test_zip_bomb_by_declared_size(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "huge.xlsx", extra={"xl/media/blob.bin": b"x" * 100})
    patch_declared_size(path, "xl/media/blob.bin", 3 * 1024**3)
    err = rejected(path)
    assert "zip bomb" in err.en and "limit per member" in err.en


def test_declared_size_lies(tmp_path: Path) -> None:
    """The central directory says 100 bytes; the stream inflates to far more."""
    rows = "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c></row>' for i in range(1, 3000))
    path = make_xlsx(tmp_path / "liar.xlsx", {"S": sheet_xml(rows)})
    patch_declared_size(path, "xl/worksheets/sheet1.xml", 100)
    err = rejected(path)
    assert "declared" in err.en and "tampered" in err.en


def test_too_many_members(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "swarm.xlsx")
    with zipfile.ZipFile(path, "a", zipfile.ZIP_STORED) as zf:
        for i in range(SAFETY_LIMITS.max_members):
            zf.writestr(f"xl/media/{i}.bin", b"")
    assert "entries" in rejected(path).en


def test_duplicate_member(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "twice.xlsx")
    with (
        pytest.warns(UserWarning, match="Duplicate name"),
        zipfile.ZipFile(path, "a") as zf,
    ):
        zf.writestr("xl/worksheets/sheet1.xml", sheet_xml('<row r="9"><c r="XFD9"/></row>'))
    assert "appears twice" in rejected(path).en


# --------------------------------------------------------------------------------------------
# XML entity declarations
# --------------------------------------------------------------------------------------------

BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
)


def test_billion_laughs_in_shared_strings(tmp_path: Path) -> None:
    xml = (BILLION_LAUGHS + f'<sst xmlns="{MAIN_NS}"><si><t>&lol3;</t></si></sst>').encode()
    path = make_xlsx(tmp_path / "laughs.xlsx", extra={"xl/sharedStrings.xml": xml})
    err = rejected(path)
    assert "sharedStrings.xml" in err.en and "DOCTYPE" in err.en and "<!ENTITY" in err.zh


def test_entity_in_sheet_and_xxe(tmp_path: Path) -> None:
    xxe = ('<?xml version="1.0"?><!doctype w [<!entity x SYSTEM "file:///etc/passwd">]>'
           f'<worksheet xmlns="{MAIN_NS}"><sheetData/></worksheet>').encode()
    path = make_xlsx(tmp_path / "xxe.xlsx", {"S": xxe})
    assert "sheet1.xml" in rejected(path).en


def test_doctype_hidden_behind_a_long_prolog(tmp_path: Path) -> None:
    padded = (b'<?xml version="1.0"?>' + b"<!--" + b"x" * 100_000 + b"-->"
              + BILLION_LAUGHS.split("?>", 1)[1].encode() + f'<sst xmlns="{MAIN_NS}"/>'.encode())
    path = make_xlsx(tmp_path / "padded.xlsx", extra={"xl/sharedStrings.xml": padded})
    assert "prolog" in rejected(path).en


# --------------------------------------------------------------------------------------------
# Absurd used ranges (never opened by calamine here)
# --------------------------------------------------------------------------------------------


def test_a1_and_xfd1048576(tmp_path: Path) -> None:
    path = tmp_path / "corner.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("客户档案")
    ws.write(0, 0, "客户编号")
    ws.write(1_048_575, 16_383, 1)
    wb.close()
    assert path.stat().st_size < 10_000
    info = inspect_workbook(path)  # cheap checks pass: the file is small and well-formed
    assert [s.name for s in info.sheets] == ["客户档案"]
    err = rejected(path)
    assert "「客户档案」" in err.zh and "A1:XFD1048576" in err.zh and "KB" in err.zh
    assert "A1:XFD1048576" in err.en and "Ctrl+End" in err.en


def test_dimension_lies(tmp_path: Path) -> None:
    data = '<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>2</v></c></row>'
    path = make_xlsx(tmp_path / "liar.xlsx", {"S": sheet_xml(data, dimension="A1:B2")})
    assert "A1:XFD1048576" in rejected(path).en


def test_too_many_cells_even_if_dense_looking(tmp_path: Path) -> None:
    # 3 000 000 rows x 20 columns would be 60 M cells: over the hard limit whatever the size.
    data = '<row r="1"><c r="A1"><v>1</v></c><c r="T1"><v>1</v></c></row><row r="3000000"><c r="A3000000"/></row>'
    path = make_xlsx(tmp_path / "tall.xlsx", {"S": sheet_xml(data)})
    err = rejected(path)
    assert "A1:T3000000" in err.en and "60,000,000 cells" in err.en
    assert "the file is only" in err.en  # tiny for its range: the likelier explanation


HOSTILE_SHEETS = {
    # calamine (python-calamine 0.9) aborts the process on every one of these.
    "middle": '<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>2</v></c></row><row r="2"><c r="A2"><v>3</v></c></row>',
    "row-mismatch": '<row r="1"><c r="XFD1048576"><v>1</v></c></row><row r="2"><c r="A2"><v>2</v></c></row>',
    "lower-case": '<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="xfd1048576"><v>2</v></c></row>',
    "newline-in-tag": '<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c\nr="XFD1048576"><v>2</v></c></row>',
    "attribute-order": '<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c t="n" r="XFD1048576"><v>2</v></c></row>',
    "single-quotes": "<row r='1'><c r='A1'><v>1</v></c></row><row r='1048576'><c r='XFD1048576'><v>2</v></c></row>",
    "no-r-cells": '<row r="1"><c r="A1"><v>1</v></c><c r="XFC1"/><c/><c/></row><row r="1048576"><c><v>2</v></c></row>',
    "no-r-rows": '<row r="1"><c r="XFD1"><v>1</v></c></row><row r="1048576"/><row><c><v>2</v></c></row>',
    "beyond-excel": '<row r="1"><c r="A1"><v>1</v></c></row><row r="4000000000"><c r="A4000000000"><v>2</v></c></row>',
}


@pytest.mark.parametrize("case", sorted(HOSTILE_SHEETS))
def test_hostile_cell_positions(tmp_path: Path, case: str) -> None:
    path = make_xlsx(tmp_path / f"{case}.xlsx", {"S": sheet_xml(HOSTILE_SHEETS[case])})
    assert "absurd used range" in rejected(path).en


def test_prefixed_elements(tmp_path: Path) -> None:
    data = ('<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row>'
            '<x:row r="1048576"><x:c r="XFD1048576"><x:v>2</x:v></x:c></x:row>')
    path = make_xlsx(tmp_path / "sdk.xlsx", {"S": sheet_xml(data, prefix="x:")})
    assert "A1:XFD1048576" in rejected(path).en


@pytest.mark.parametrize(
    "data",
    [
        '<row r="1"><c r="A1" r="XFD1048576"><v>1</v></c></row>',
        '<row r="1"><c r="A1" s="1" r="XFD1048576"><v>1</v></c></row>',
    ],
)
def test_duplicate_r_attribute(tmp_path: Path, data: str) -> None:
    # calamine takes the last r; a scan that read the first would let the crash through.
    path = make_xlsx(tmp_path / "dup.xlsx", {"S": sheet_xml(data)})
    assert "two r attributes" in rejected(path).en


@pytest.mark.parametrize("ref", ["A0", "B", "", "1A"])
def test_invalid_reference(tmp_path: Path, ref: str) -> None:
    path = make_xlsx(tmp_path / "bad-ref.xlsx", {"S": sheet_xml(f'<row r="1"><c r="{ref}"><v>1</v></c></row>')})
    assert "invalid cell reference" in rejected(path).en


def test_utf16_sheet(tmp_path: Path) -> None:
    xml = sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>').decode().replace("UTF-8", "UTF-16")
    path = make_xlsx(tmp_path / "wide.xlsx", {"S": xml.encode("utf-16")})
    assert "encoding" in rejected(path).en


# --------------------------------------------------------------------------------------------
# Good workbooks
# --------------------------------------------------------------------------------------------


def test_openpyxl_workbook_and_uncached_formula(tmp_path: Path) -> None:
    path = tmp_path / "openpyxl.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "销售"
    ws["A1"], ws["B1"], ws["C1"] = 2, 3, "=A1*B1"  # openpyxl writes no cached value
    ws["A3"] = "合计"
    wb.create_sheet("收款")
    wb.save(path)
    info = inspect_workbook(path)
    assert info == WorkbookInfo(
        path=path,
        kind="xlsx",
        sheets=(SheetPart("销售", "xl/worksheets/sheet1.xml", ()),
                SheetPart("收款", "xl/worksheets/sheet2.xml", ())),
    )
    assert scan_sheet(path, info, info.sheets[0]) == SheetScan(3, 3, ((1, 3),))
    assert scan_sheet(path, info, info.sheets[1]) == SheetScan(0, 0, ())


def test_xlsxwriter_workbook_table_and_cached_formulas(tmp_path: Path) -> None:
    path = tmp_path / "报表.xls"  # the extension is wrong; the bytes decide
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("客户档案")
    ws.write_row(0, 0, ["客户编号", "金额", "数量", "小计"])
    ws.write_row(1, 0, ["C001", 12.5, 4])
    ws.write_formula(1, 3, "=B2*C2", None, 50)
    ws.add_table("A1:D2", {"name": "客户表", "columns": [{"header": h} for h in
                                                         ("客户编号", "金额", "数量", "小计")]})
    wb.add_worksheet("Sheet 2").write(2, 27, "AB3")
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"values": "='客户档案'!$B$2:$B$2"})
    wb.add_chartsheet("图表").set_chart(chart)
    wb.close()
    info = inspect_workbook(path)
    assert info.kind == "xlsx"
    assert [(s.name, s.tables) for s in info.sheets] == [("客户档案", ("客户表",)), ("Sheet 2", ())]
    assert scan_sheet(path, info, info.sheets[0]) == SheetScan(2, 4, ())
    assert scan_sheet(path, info, info.sheets[1]) == SheetScan(3, 28, ())


def test_xlsm_by_content_type_not_extension(tmp_path: Path) -> None:
    named_xlsx = make_xlsx(tmp_path / "macro.xlsx", main_type=XLSM_MAIN)
    assert inspect_workbook(named_xlsx).kind == "xlsm"
    named_xlsm = make_xlsx(tmp_path / "plain.xlsm")
    assert inspect_workbook(named_xlsm).kind == "xlsx"


def test_xlsm_kept_by_openpyxl(tmp_path: Path) -> None:
    src = make_xlsx(tmp_path / "src.xlsm", main_type=XLSM_MAIN,
                    extra={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 not really"})
    wb = openpyxl.load_workbook(src, keep_vba=True)  # a well-formed, benign file
    wb.save(tmp_path / "resaved.xlsm")
    wb.vba_archive.close()  # openpyxl leaves it open
    assert inspect_workbook(tmp_path / "resaved.xlsm").kind == "xlsm"


def test_absolute_targets_and_chinese_names(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "绝对路径.xlsx", {"目标 2026": sheet_xml('<row r="2"><c r="B2"><v>1</v></c></row>')})
    rels = ('<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            f'2006/relationships"><Relationship Id="rId1" Type="{REL_NS}/worksheet" '
            'Target="/xl/worksheets/sheet1.xml"/></Relationships>').encode()
    fixed = rewrite_member(path, tmp_path / "abs.xlsx", "xl/_rels/workbook.xml.rels", rels)
    info = inspect_workbook(fixed)
    assert info.sheets == (SheetPart("目标 2026", "xl/worksheets/sheet1.xml", ()),)
    assert scan_sheet(fixed, info, info.sheets[0]) == SheetScan(2, 2, ())


def test_formula_cache_forms(tmp_path: Path) -> None:
    data = (
        '<row r="1">'
        '<c r="A1"><f>1+1</f><v>2</v></c>'                      # cached
        '<c r="B1"><f>1+1</f></c>'                              # no <v>
        '<c r="C1"><f>1+1</f><v></v></c>'                       # empty <v>
        '<c r="D1"><f>1+1</f><v/></c>'                          # empty <v/>
        '<c r="E1" t="str"><f>""</f><v></v></c>'                # Excel: the result is ""
        '<c r="F1" t="str"><f>"x"</f><v>x</v></c>'              # cached string
        '<c r="G1" t="inlineStr"><f>1</f><is><t>1</t></is></c>'  # inline string result
        '<c r="H1"><f t="shared" ref="H1:H2" si="0">A1</f><v>2</v></c>'
        "</row>"
        '<row r="2"><c r="H2"><f t="shared" si="0"/></c><c r="I2"><f t="shared" si="0"/><v>3</v></c>'
        '<c r="J2" s="3">\n  <f>1</f>\n</c></row>'              # pretty-printed, no <v>
    )
    path = make_xlsx(tmp_path / "formulas.xlsx", {"S": sheet_xml(data)})
    assert scan_first(path).uncached_formulas == ((1, 2), (1, 3), (1, 4), (2, 8), (2, 10))


def test_stored_members_and_empty_sheet(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "stored.xlsx", {"空表": sheet_xml("")}, compression=zipfile.ZIP_STORED)
    assert scan_first(path) == SheetScan(0, 0, ())


def test_full_height_sheet_passes(tmp_path: Path) -> None:
    """1,048,576 rows x 20 columns (A and T filled) is legitimate and must pass."""
    rows = b"".join(
        b'<row r="%d"><c r="A%d"><v>%d</v></c><c r="T%d" t="s"><v>0</v></c></row>' % (i, i, i, i)
        for i in range(1, 1_048_577)
    )
    xml = sheet_xml("").replace(b"<sheetData></sheetData>", b"<sheetData>" + rows + b"</sheetData>")
    path = make_xlsx(tmp_path / "tall.xlsx", {"S": xml}, compresslevel=1)
    assert scan_first(path) == SheetScan(1_048_576, 20, ())


def test_limits_are_exposed() -> None:
    assert SAFETY_LIMITS.max_member_bytes == 2 * 1024**3
    assert SAFETY_LIMITS.max_total_bytes == 4 * 1024**3
    assert SAFETY_LIMITS.max_ratio == 200 and SAFETY_LIMITS.max_members == 10_000
    assert SAFETY_LIMITS.max_cells == 50_000_000
    with pytest.raises(AttributeError):
        SAFETY_LIMITS.max_cells = 1  # type: ignore[misc]


# --------------------------------------------------------------------------------------------
# Property: the fast scan agrees with a real XML parser, however the stream is chunked
# --------------------------------------------------------------------------------------------

_REF = re.compile(r"\$?([A-Za-z]{1,12})\$?([0-9]{1,15})")


def _colnum(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def _reference(xml: bytes) -> tuple[int, int, tuple[tuple[int, int], ...]]:
    """Cell positions as calamine assigns them, computed with ElementTree."""
    def local(tag: str) -> str:
        return tag.rsplit("}", 1)[-1]

    sheet_data = next(e for e in ET.fromstring(xml).iter() if local(e.tag) == "sheetData")
    cur_row = max_row = max_col = 0
    uncached = []
    for row in sheet_data:
        cur_row = int(row.get("r")) if row.get("r") is not None else cur_row + 1
        prev = 0
        for cell in row:
            ref = cell.get("r")
            if ref is not None:
                m = _REF.fullmatch(ref)
                assert m is not None
                r, c = int(m.group(2)), _colnum(m.group(1))
            else:
                r, c = max(cur_row, 1), prev + 1
            prev = c
            max_row, max_col = max(max_row, r), max(max_col, c)
            kids = list(cell)
            if kids and local(kids[0].tag) == "f":
                rest = kids[1:]
                if not rest or (local(rest[0].tag) == "v" and not (rest[0].text or "").strip()
                                and cell.get("t") != "str"):
                    uncached.append((r, c))
    return max_row, max_col, tuple(uncached)


_CONTENTS = [
    "", "<v>7</v>", '<is><t>txt r="Z9"</t></is>', "<f>A1+1</f><v>3</v>", "<f>A1+1</f>",
    "<f>A1+1</f><v></v>", "<f>A1+1</f><v/>", '<f t="shared" si="0"/>',
    '<f t="shared" si="0"/><v>1</v>', '<is><r><rPr><color rgb="FF0000"/></rPr><t>x</t></r></is>',
]


@st.composite
def sheets(draw: st.DrawFn) -> bytes:
    prefix = draw(st.sampled_from(["", "", "x:"]))
    pretty = draw(st.booleans()) and draw(st.booleans())
    gap = "\n  " if pretty else ""
    rnd = random.Random(draw(st.integers(0, 2**32)))
    rows, row_no = [], 0
    for _ in range(draw(st.integers(0, 25))):
        row_no = max(1, row_no + rnd.choice([1, 1, 1, 2, 7, -2, 1000, 300_000]))
        row_attr = f' r="{row_no}"' if rnd.random() < 0.9 else ""
        cells, col = [], 0
        for _ in range(rnd.randint(0, 5)):
            col = max(1, col + rnd.choice([1, 1, 2, -1, 25, 700, 16_000]))
            ref = sheet_scan._col_letters(col) + str(row_no if rnd.random() < 0.95 else rnd.randint(1, 2_000_000))
            content = rnd.choice(_CONTENTS)
            attrs = [f'r="{ref.lower() if rnd.random() < 0.05 else ref}"'] if rnd.random() < 0.9 else []
            if rnd.random() < 0.3:
                attrs.insert(rnd.randint(0, len(attrs)), 's="2"')
            if "<is>" in content:
                attrs.append('t="inlineStr"')
            elif content.startswith('<f>A1+1</f><v>') and rnd.random() < 0.3:
                attrs.append('t="str"')
            sep = "\n" if rnd.random() < 0.05 else " "
            head = f"<{prefix}c" + "".join(sep + a for a in attrs)
            body = re.sub(r"<(/?)(?=[a-zA-Z])", rf"<\1{prefix}", content)
            cells.append(f"{head}/>" if not content else f"{head}>{gap}{body}{gap}</{prefix}c>")
        rows.append(f"<{prefix}row{row_attr}>{gap.join(cells)}</{prefix}row>")
    return sheet_xml("".join(rows), prefix=prefix)


def _check_scan(xml: bytes, piece: int) -> None:
    """The scan of ``xml`` cut in ``piece``-byte chunks agrees with the reference parser."""
    expected = _reference(xml)
    chunks = [xml[i : i + piece] for i in range(0, len(xml), piece)]
    for mode in ("auto", "precise", "exact"):
        try:
            scanner = sheet_scan._scan_chunks("t.xlsx", "S", "sheet1.xml", chunks, len(xml), mode)
        except sheet_scan._RescanExact:
            assert mode != "exact"
            continue
        state = scanner.state
        assert (state.max_col, tuple(scanner.uncached)) == expected[1:], (piece, mode)
        # Exact when rows ascend (every writer); otherwise never beyond the checked bound.
        assert state.max_row <= expected[0] <= state.row_bound
        if mode != "auto":
            assert state.max_row == expected[0] == state.row_bound


@pytest.mark.parametrize("ref", ["b5", "AUHU5"])
def test_cell_after_an_unusual_ref_at_a_chunk_end(ref: str) -> None:
    """A cell without r sits right of the previous one, also when the previous one's r is one
    the fast path cannot read (four letters, past Excel's last column, after a cell further
    right still) and a chunk ends after it: the column is then unknown and the scan goes
    exact (found by the property test below)."""
    xml = sheet_xml(f'<row r="4"><c r="BRZD4"><v>1</v></c></row>'
                    f'<row r="5"><c r="A5"><v>1</v></c><c r="{ref}" t="inlineStr"><is><t>x</t></is></c>'
                    f'<c><f>A1+1</f></c></row>')
    assert _reference(xml)[2][-1][0] == 5
    for piece in range(1, len(xml) + 1):
        _check_scan(xml, piece)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(xml=sheets(), piece=st.integers(1, 300))
def test_scan_matches_a_real_parser(xml: bytes, piece: int) -> None:
    _check_scan(xml, piece)


def test_scan_matches_a_real_parser_through_a_real_zip(tmp_path: Path) -> None:
    """~3 MB of XML: several inflate chunks, with uncached formulas scattered through it."""
    rnd = random.Random(7)
    parts = []
    for i in range(1, 40_000):
        empty = rnd.random() < 0.05
        parts.append(
            f'<row r="{i}"><c r="A{i}"><v>5</v></c><c r="B{i}" t="s"><v>0</v></c>'
            f'<c r="C{i}" t="str"><f>B{i}</f><v>{"" if empty else "x"}</v></c>'
            f'<c r="D{i}"><f>A{i}*2</f>{"" if rnd.random() < 0.05 else "<v>10</v>"}</c></row>'
        )
    xml = sheet_xml("".join(parts))
    path = make_xlsx(tmp_path / "mixed.xlsx", {"S": xml})
    scan = scan_first(path)
    assert scan == SheetScan(*_reference(xml))
    assert len(scan.uncached_formulas) > 1000


# --------------------------------------------------------------------------------------------
# CRC-32 of every part read or copied (issue 13 item 20)
# --------------------------------------------------------------------------------------------


def patch_member(path: Path, member: str, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    rewrite_member(path, tmp, member, data)
    tmp.replace(path)


def set_crc(path: Path, member: str, crc: int) -> None:
    """Give ``member`` a wrong CRC-32 in both of its headers, as a flipped bit would."""
    data = bytearray(path.read_bytes())
    info = zipfile.ZipFile(path).getinfo(member)
    struct.pack_into("<I", data, info.header_offset + 14, crc)
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        (name_len,) = struct.unpack_from("<H", data, at + 28)
        if data[at + 46 : at + 46 + name_len].decode() == member:
            struct.pack_into("<I", data, at + 16, crc)
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))


def contract_book(path: Path, *, picture: bool = False, rows: int = 40) -> Path:
    """A small 客户档案 book, with shared strings and (optionally) a stored picture."""
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("客户档案")
    ws.write_row(0, 0, ["客户编号", "客户名称", "客户性质", "业务员"])
    for i in range(1, rows):
        ws.write_row(i, 0, [f"C{i:03d}", f"客户{i}" * 20, "个人", "张三"])
    if picture:
        png = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
               b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
               b"\x00\x00\x00\x00IEND\xaeB`\x82")
        ws.insert_image("F2", "dot.png", {"image_data": __import__("io").BytesIO(png)})
    wb.close()
    return path


@pytest.mark.parametrize("member", ["xl/sharedStrings.xml", "xl/styles.xml", "_rels/.rels", "xl/workbook.xml"])
def test_bad_crc_in_a_part_the_reader_parses(tmp_path: Path, member: str) -> None:
    path = contract_book(tmp_path / "book.xlsx")
    set_crc(path, member, zipfile.ZipFile(path).getinfo(member).CRC ^ 0x5A5A5A5A)
    err = rejected(path)
    assert "CRC-32" in err.en and member in err.en and "damaged" in err.en
    assert "\n" not in err.zh


def test_bad_crc_in_a_worksheet_is_found_by_the_scan(tmp_path: Path) -> None:
    import salesxl.api as sx

    path = contract_book(tmp_path / "book.xlsx", rows=3000)
    assert zipfile.ZipFile(path).getinfo("xl/worksheets/sheet1.xml").file_size > SAFETY_LIMITS.xml_probe_bytes
    set_crc(path, "xl/worksheets/sheet1.xml", 0)
    info = inspect_workbook(path)  # a big sheet is not inflated here …
    with pytest.raises(UnreadableWorkbook, match="CRC"):
        scan_sheet(path, info, info.sheets[0])  # … but before it is parsed
    with pytest.raises(UnreadableWorkbook, match="CRC"):
        sx.validate(path)


def test_bad_crc_in_a_picture_is_never_copied(tmp_path: Path) -> None:
    """A binary part nobody reads is still never copied into a marked copy or the book."""
    from salesxl.io.marking import write_marks

    path = contract_book(tmp_path / "book.xlsx", picture=True)
    media = next(n for n in zipfile.ZipFile(path).namelist() if n.startswith("xl/media/"))
    set_crc(path, media, 12345)
    before = path.read_bytes()
    out = tmp_path / "out.xlsx"
    for kwargs in ({"out": out}, {"in_place": True}):
        with pytest.raises(UnreadableWorkbook, match="CRC-32") as err:
            write_marks(path, [], **kwargs)  # type: ignore[arg-type]
        assert media in err.value.en
    assert not out.exists() and path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx"]


def test_good_crcs_pass_in_every_compression(tmp_path: Path) -> None:
    for method in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        path = make_xlsx(tmp_path / f"m{method}.xlsx", compression=method,
                         extra={"xl/big.xml": b"<x>" + b"<y/>" * 40_000 + b"</x>"})
        info = inspect_workbook(path)
        scan_sheet(path, info, info.sheets[0])


# --------------------------------------------------------------------------------------------
# One decision of what a workbook is, for reading and writing (issue 13 items 21, 22)
# --------------------------------------------------------------------------------------------


def both_refuse(path: Path, tmp_path: Path) -> str:
    """The reader and the writer refuse ``path`` with the very same message; return it."""
    from salesxl.io.marking import write_marks

    read_err = rejected(path)
    with pytest.raises(UnreadableWorkbook) as write_err:
        write_marks(path, [], out=tmp_path / "marked.xlsx")
    assert write_err.value.en == read_err.en and write_err.value.zh == read_err.zh
    assert not (tmp_path / "marked.xlsx").exists()
    return read_err.en


def test_strict_open_xml_has_its_message_everywhere(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "strict.xlsx")
    rels = zipfile.ZipFile(path).read("_rels/.rels").replace(
        b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument",
        b"http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument")
    patch_member(path, "_rels/.rels", rels)
    assert "Strict Open XML" in both_refuse(path, tmp_path)


def test_strict_namespace_on_the_workbook_root(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "strict.xlsx")
    wb = zipfile.ZipFile(path).read("xl/workbook.xml").replace(
        MAIN_NS.encode(), b"http://purl.oclc.org/ooxml/spreadsheetml/main")
    patch_member(path, "xl/workbook.xml", wb)
    assert "Strict Open XML" in both_refuse(path, tmp_path)


@pytest.mark.parametrize("rels", [b"<Relationships", b"not xml at all", b"<?xml version='1.0'?><x/>"])
def test_unreadable_package_rels_refused_alike(tmp_path: Path, rels: bytes) -> None:
    path = make_xlsx(tmp_path / "book.xlsx")
    patch_member(path, "_rels/.rels", rels)
    assert "_rels/.rels" in both_refuse(path, tmp_path)


def test_missing_package_rels_refused_alike(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "book.xlsx")
    src = zipfile.ZipFile(path)
    members = {n: src.read(n) for n in src.namelist() if n != "_rels/.rels"}
    src.close()
    with zipfile.ZipFile(path, "w") as zf:
        for n, d in members.items():
            zf.writestr(n, d)
    assert "_rels/.rels" in both_refuse(path, tmp_path)


def test_workbook_part_named_by_rels_that_is_missing(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "book.xlsx")
    rels = zipfile.ZipFile(path).read("_rels/.rels").replace(b"xl/workbook.xml", b"xl/gone.xml")
    patch_member(path, "_rels/.rels", rels)
    assert "xl/gone.xml" in both_refuse(path, tmp_path)


def test_workbook_part_follows_the_package_rels(tmp_path: Path) -> None:
    """The workbook part is where `_rels/.rels` says, not necessarily xl/workbook.xml."""
    path = make_xlsx(tmp_path / "book.xlsx")
    src = zipfile.ZipFile(path)
    members = {n.replace("xl/", "wtf/"): src.read(n) for n in src.namelist()}
    src.close()
    members["_rels/.rels"] = members["_rels/.rels"].replace(b"xl/workbook.xml", b"wtf/workbook.xml")
    members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(b"/xl/", b"/wtf/")
    with zipfile.ZipFile(path, "w") as zf:
        for n, d in members.items():
            zf.writestr(n, d)
    info = inspect_workbook(path)
    assert info.main == "wtf/workbook.xml"
    assert [(s.name, s.part) for s in info.sheets] == [("Sheet1", "wtf/worksheets/sheet1.xml")]


def test_backslash_member_names(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "book.xlsx")
    src = zipfile.ZipFile(path)
    members = {n.replace("/", "\\"): src.read(n) for n in src.namelist()}
    src.close()
    with zipfile.ZipFile(path, "w") as zf:
        for n, d in members.items():
            zf.writestr(n, d)
    info = inspect_workbook(path)
    assert [(s.name, s.part) for s in info.sheets] == [("Sheet1", "xl\\worksheets\\sheet1.xml")]
    assert scan_sheet(path, info, info.sheets[0]).max_row == 1


def test_partless_sheets_are_skipped(tmp_path: Path) -> None:
    """Excel 4 macro sheets and VBA module sheets are declared with r:id=""; the rest reads."""
    path = make_xlsx(tmp_path / "book.xlsx")
    wb = zipfile.ZipFile(path).read("xl/workbook.xml").replace(
        b"<sheets>", b'<sheets><sheet name="Macro1" sheetId="7" r:id=""/>')
    wb = wb.replace(b"</sheets>", b'<sheet name="Module1" sheetId="8" state="veryHidden" r:id=""/></sheets>')
    patch_member(path, "xl/workbook.xml", wb)
    info = inspect_workbook(path)
    assert [s.name for s in info.sheets] == ["Sheet1"]
    assert info.skipped == ("Macro1", "Module1")


def test_unknown_relationship_id_is_still_damaged(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "book.xlsx")
    wb = zipfile.ZipFile(path).read("xl/workbook.xml").replace(b'r:id="rId1"', b'r:id="rId9"')
    patch_member(path, "xl/workbook.xml", wb)
    assert "has no relationship" in rejected(path).en


@pytest.mark.parametrize(("attrs", "expected"), [
    ('date1904="1"', True), ('date1904="true"', True), ('date1904="0"', False), ("", False),
])
def test_date_system_from_the_workbooks_own_workbookpr(tmp_path: Path, attrs: str, expected: bool) -> None:
    """Excel also writes <x15:workbookPr> in extLst; only the root's own workbookPr counts."""
    path = make_xlsx(tmp_path / "book.xlsx")
    ext = ('<extLst><ext uri="{140A7094-0E35-4892-8432-C4D2E57EDEB5}" xmlns:x15="http://schemas.'
           'microsoft.com/office/spreadsheetml/2010/11/main"><x15:workbookPr chartTrackingRefBase="1"/>'
           "</ext></extLst>")
    wb = zipfile.ZipFile(path).read("xl/workbook.xml").decode()
    wb = wb.replace("<sheets>", f"<workbookPr {attrs}/><sheets>").replace("</workbook>", ext + "</workbook>")
    patch_member(path, "xl/workbook.xml", wb.encode())
    assert inspect_workbook(path).date1904 is expected
