"""The office workbook 销售管理.xlsm, checked by readers that are not ours.

Reproducible bytes; a VBA project that olefile (strict), oletools' olevba and LibreOffice's VBA
importer all read, with our committed module and the installed xlwings module verbatim; the
控制台 buttons wired to their Subs; the contract sheets as the reader and openpyxl see them;
the command line.  What only Windows Excel can show (that it compiles and runs the modules)
is on the README's manual checklist, not here.
"""

from __future__ import annotations

import importlib.util
import io
import random
import re
import shutil
import struct
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import olefile
import openpyxl
import pytest

from salesxl.cli import run
from salesxl.core.classification import default_policy, read_policy
from salesxl.core.schema import SHEETS, FieldType
from salesxl.core.settings import Settings
from salesxl.core.validation import validate_book
from salesxl.excel import office, vba
from salesxl.io.reading import read_book

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("xlwings") is None, reason="xlwings (the VBA it ships) is not installed"
)

SUBS = {b.macro: b.entry for b in office.BUTTONS}
DOC_MODULES = {"ThisWorkbook", *(f"Sheet{i}" for i in range(1, len(SHEETS) + 3))}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return office.build_office_workbook(tmp_path_factory.mktemp("office") / "模板" / "销售管理.xlsm")


@pytest.fixture(scope="module")
def project(built: Path) -> bytes:
    with zipfile.ZipFile(built) as z:
        return z.read("xl/vbaProject.bin")


def xlwings_file(*parts: str) -> Path:
    return office.xlwings_vba_dir().joinpath(*parts)


def crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


# --- the package ------------------------------------------------------------------------


def test_same_build_twice_gives_the_same_bytes(built: Path) -> None:
    assert office.office_workbook_bytes() == built.read_bytes()


def test_macro_enabled_package(built: Path) -> None:
    with zipfile.ZipFile(built) as z:
        assert z.testzip() is None
        names = z.namelist()
        types = z.read("[Content_Types].xml").decode()
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert "xl/vbaProject.bin" in names
    assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in types
    assert '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>' in types


def test_office_module_does_not_import_xlwings() -> None:
    code = ("import sys, salesxl.excel.office as o; o.office_workbook_bytes(); "
            "print('xlwings' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_repository_holds_only_our_vba() -> None:
    sources = office.our_vba_sources()
    assert set(sources) == {"SalesxlButtons.bas"}
    for name, text in sources.items():
        assert text.isascii()
        assert text.splitlines()[0] == f'Attribute VB_Name = "{Path(name).stem}"'
    # No copy of xlwings' VBA (or any other VBA source) anywhere in the package.
    package = Path(office.__file__).parent.parent
    vba_files = {p.name for p in package.rglob("*") if p.suffix.lower() in (".bas", ".cls", ".frm")}
    assert vba_files == set(sources)


# --- the VBA project --------------------------------------------------------------------


def test_compound_file_is_strictly_valid(project: bytes) -> None:
    ole = olefile.OleFileIO(io.BytesIO(project), raise_defects=olefile.DEFECT_INCORRECT)
    streams = {"/".join(e) for e in ole.listdir()}
    modules = DOC_MODULES | {"SalesxlButtons", "xlwings", "Dictionary"}
    assert streams == {"PROJECT", "PROJECTwm", "VBA/dir", "VBA/_VBA_PROJECT"} | {f"VBA/{m}" for m in modules}
    # No performance cache: version 0xFFFF makes the host compile from the source text.
    assert ole.openstream("VBA/_VBA_PROJECT").read() == struct.pack("<HHBH", 0x61CC, 0xFFFF, 0, 1)
    text = ole.openstream("PROJECT").read().decode("cp1252")
    lines = text.split("\r\n")
    project_id = re.fullmatch(r'ID="(\{[0-9A-F-]{36}\})"', lines[0]).group(1)  # type: ignore[union-attr]
    assert "Module=SalesxlButtons" in lines and "Module=xlwings" in lines and "Class=Dictionary" in lines
    assert "Document=ThisWorkbook/&H00000000" in lines
    values = dict(re.findall(r'^(CMG|DPB|GC)="([0-9A-F]+)"', text, re.M))
    key = sum(project_id.encode()) & 0xFF
    assert vba.decrypt(values["CMG"]) == (bytes(4), key)  # not protected
    assert vba.decrypt(values["DPB"]) == (b"\x00", key)  # no password
    assert vba.decrypt(values["GC"]) == (b"\xff", key)  # visible


def test_olevba_reads_our_module_and_xlwings_verbatim(built: Path) -> None:
    from oletools.olevba import VBA_Parser

    parser = VBA_Parser(str(built))
    try:
        assert parser.detect_vba_macros()
        code = {name: text for _, _, name, text in parser.extract_macros()}
    finally:
        parser.close()
    assert set(code) == ({f"{m}.cls" for m in DOC_MODULES | {"Dictionary"}}
                         | {"SalesxlButtons.bas", "xlwings.bas"})
    ours = office.our_vba_sources()["SalesxlButtons.bas"]
    assert crlf(code["SalesxlButtons.bas"]).rstrip("\r\n") == crlf(ours).rstrip("\r\n")
    shipped = xlwings_file("xlwings.bas").read_bytes().decode("cp1252")
    assert crlf(code["xlwings.bas"]).rstrip("\r\n") == crlf(shipped).rstrip("\r\n")
    assert "Public Function RunPython(" in code["xlwings.bas"]
    cls = xlwings_file("addin", "Dictionary.cls").read_bytes().decode("cp1252")
    assert crlf(cls).endswith(crlf(code["Dictionary.cls"]).rstrip("\r\n") + "\r\n")
    assert 'Attribute VB_Base = "0{00020820-0000-0000-C000-000000000046}"' in code["Sheet1.cls"]
    # Every button's Sub exists and runs its own entry point through RunPython.
    subs = dict(re.findall(r"^Public Sub (\w+)\(\)\r?\n(.*?)^End Sub", code["SalesxlButtons.bas"], re.M | re.S))
    assert set(subs) == set(SUBS)
    for macro, entry in SUBS.items():
        if entry:
            assert f'RunPython "import salesxl.excel.buttons as b; b.{entry}()"' in subs[macro], macro
    assert "ImportPythonUDFs" in subs["Salesxl_ImportFunctions"]


def test_document_modules_match_the_sheets(built: Path) -> None:
    with zipfile.ZipFile(built) as z:
        book = z.read("xl/workbook.xml").decode()
        sheets = sorted(n for n in z.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n))
        codenames = [re.search(r'<sheetPr[^>]*codeName="(\w+)"', z.read(n).decode()).group(1)  # type: ignore[union-attr]
                     for n in sheets]
    assert 'codeName="ThisWorkbook"' in book
    assert {"ThisWorkbook", *codenames} == DOC_MODULES
    assert len(codenames) == len(set(codenames)) == len(SHEETS) + 2


# --- the sheets -------------------------------------------------------------------------


def test_console_buttons_call_their_macros(built: Path) -> None:
    wb = openpyxl.load_workbook(built, keep_vba=True)
    assert wb.sheetnames[0] == office.CONSOLE and wb.sheetnames[-1] == office.XLWINGS_CONF
    assert wb.active.title == office.CONSOLE
    with zipfile.ZipFile(built) as z:
        vml = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/drawings/vmlDrawing")]
    assert len(vml) == 1  # only 控制台 has buttons
    macros = re.findall(r"<x:FmlaMacro>\[0\]!(\w+)</x:FmlaMacro>", vml[0])
    assert macros == [b.macro for b in office.BUTTONS]
    for button in office.BUTTONS:
        assert f">{button.caption}<" in vml[0]


def test_console_named_cells(built: Path) -> None:
    wb = openpyxl.load_workbook(built, keep_vba=True)
    for name, (label, cell) in office.NAMES.items():
        defined = wb.defined_names[name]
        [(sheet, ref)] = list(defined.destinations)
        assert (sheet, ref) == (office.CONSOLE, f"${cell[0]}${cell[1:]}")
        console = wb[office.CONSOLE]
        assert console.cell(console[cell].row, 2).value == label
    assert wb[office.CONSOLE]["C4"].number_format == "yyyy-mm-dd"
    assert wb[office.CONSOLE]["C5"].number_format == "@"  # "2026-10" stays text


def test_names_and_entry_points_match_the_python_side() -> None:
    """The Subs call functions that exist; the named cells are the ones the gateway reads."""
    gateway = pytest.importorskip("salesxl.excel.gateway")
    buttons = pytest.importorskip("salesxl.excel.buttons")
    assert set(office.NAMES) == {gateway.AS_OF_NAME, gateway.MONTH_NAME, gateway.STATUS_NAME}
    for entry in filter(None, SUBS.values()):
        assert callable(getattr(buttons, entry)), entry


def test_xlwings_conf_sheet(built: Path) -> None:
    ws = openpyxl.load_workbook(built, keep_vba=True)[office.XLWINGS_CONF]
    keys = []
    row = 1
    while ws.cell(row, 1).value:  # xlwings reads A1 down to the first blank cell
        keys.append((ws.cell(row, 1).value, ws.cell(row, 2).value))
        row += 1
    settings = dict(keys)
    assert {"Interpreter_Win", "Interpreter_Mac", "PYTHONPATH", "UDF Modules"} <= set(settings)
    assert settings["UDF Modules"] == "salesxl.excel.udfs"
    assert settings["Interpreter_Win"] is None and settings["PYTHONPATH"] is None
    # A blank legacy "Interpreter" would override xlwings' fallback to python on the PATH.
    assert "INTERPRETER" not in {k.upper() for k in settings}


def test_contract_sheets_tables_dropdowns_formats(built: Path) -> None:
    wb = openpyxl.load_workbook(built, keep_vba=True)
    for name, schema in SHEETS.items():
        ws = wb[name]
        assert ws.freeze_panes == "A2"
        [table] = ws.tables.values()
        assert table.name == name
        headers = [c.name for c in table.tableColumns]
        assert headers[: len(schema.fields)] == [f.name for f in schema.fields]
        rules = ws.data_validations.dataValidation
        for col, f in enumerate(schema.fields, start=1):
            letter = openpyxl.utils.get_column_letter(col)
            covering = [r for r in rules if f"{letter}2" in r.sqref]
            [rule] = covering
            assert rule.prompt and rule.promptTitle, (name, f.name)
            assert any(f"{letter}1" in r.sqref and r.prompt for r in rules), (name, f.name)
            if f.type is FieldType.ENUM:
                assert rule.type == "list"
                assert rule.formula1 == '"' + ",".join(f.enum_values) + '"'
            expected = {FieldType.AMOUNT: "#,##0.00", FieldType.DATE: "yyyy-mm-dd"}.get(f.type)
            if f.name in office.CODE_FIELDS:
                expected = "@"
            if expected and name != "参数":
                [dim] = [d for d in ws.column_dimensions.values() if d.min <= col <= d.max]
                assert dim.number_format == expected, (name, f.name)


def test_reader_reads_every_contract_sheet(built: Path) -> None:
    book = read_book(built, require=list(SHEETS))
    assert list(book.tables) == list(SHEETS)
    assert book.findings == []  # no missing-column, no missing-sheet
    assert validate_book(book, as_of=date(2026, 10, 31)) == []
    assert book.settings == Settings()
    assert read_policy(book.tables["信用政策"]).terms == default_policy().terms
    assert len(book.tables["参数"].frame) == len(Settings.model_fields)  # company details blank to fill in
    assert all(len(book.tables[n].frame) == 0 for n in SHEETS if n not in ("参数", "信用政策"))


def test_openpyxl_keeps_the_project(built: Path, project: bytes, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(built, keep_vba=True)
    copy = tmp_path / "copy.xlsm"
    wb.save(copy)
    with zipfile.ZipFile(copy) as z:
        assert z.read("xl/vbaProject.bin") == project


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_imports_the_macros_and_wires_the_buttons(built: Path, tmp_path: Path) -> None:
    """LibreOffice's own VBA importer (dir stream, module streams, decompression) reads the
    project, and resolves every button's ``[0]!Macro`` to the Sub in SalesxlButtons."""
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}", "--headless",
         "--convert-to", "ods", "--outdir", str(tmp_path), str(built)],
        check=True, capture_output=True, timeout=180,
    )
    with zipfile.ZipFile(tmp_path / (built.stem + ".ods")) as z:
        names = set(z.namelist())
        ours = z.read("Basic/VBAProject/SalesxlButtons.xml").decode()
        content = z.read("content.xml").decode()
        xlwings_module = z.read("Basic/VBAProject/xlwings.xml").decode()
    assert {f"Basic/VBAProject/{m}.xml" for m in DOC_MODULES | {"Dictionary"}} <= names
    for macro in SUBS:
        assert f"Public Sub {macro}()" in ours
        assert f"vnd.sun.star.script:VBAProject.SalesxlButtons.{macro}?" in content
    assert "Public Function RunPython(" in xlwings_module
    for sheet in SHEETS:
        assert f'table:name="{sheet}"' in content


# --- vba.py against the specifications ------------------------------------------------


def test_compression_spec_example_and_round_trips() -> None:
    from oletools.olevba import decompress_stream

    # MS-OVBA 3.2.1 "No Compression" example.
    plain = b"abcdefghijklmnopqrstuv."
    assert vba.compress(plain) == bytes.fromhex("0119B000616263646566676800696A6B6C6D6E6F7000717273747576 2E")
    rng = random.Random(7)
    samples = [b"", b"a", b"aaaa", b"ab" * 3000, bytes(4096), bytes(4097),
               bytes(rng.randrange(256) for _ in range(8192)),  # incompressible: raw chunks
               xlwings_file("xlwings.bas").read_bytes()]
    for data in samples:
        packed = vba.compress(data)
        assert vba.decompress(packed) == data
        assert bytes(decompress_stream(bytearray(packed))) == data


def test_encryption_reads_xlwings_own_project_values() -> None:
    """Our decryptor on the CMG/DPB/GC that xlwings' shipped workbook carries, then round trips."""
    with zipfile.ZipFile(xlwings_file("quickstart_standalone.xlsm")) as z:
        ole = olefile.OleFileIO(io.BytesIO(z.read("xl/vbaProject.bin")))
    text = ole.openstream("PROJECT").read().decode("cp1252")
    project_id = re.search(r'^ID="([^"]+)"', text, re.M).group(1)  # type: ignore[union-attr]
    found = dict(re.findall(r'^(CMG|DPB|GC)="([0-9A-F]+)"', text, re.M))
    key = sum(project_id.encode()) & 0xFF
    assert vba.decrypt(found["CMG"]) == (bytes(4), key)
    assert vba.decrypt(found["GC"]) == (b"\xff", key)
    for data in (b"", b"\x00", bytes(range(40))):
        for seed in (0x00, 0x8D, 0xFF):
            assert vba.decrypt(vba.encrypt(data, project_id, seed)) == (data, key)


def test_compound_file_writer_sizes() -> None:
    streams = {f"S{n}": bytes([n % 251]) * n for n in (0, 1, 63, 64, 65, 4095, 4096, 4097, 70000)}
    streams |= {"A/B/deep": b"x" * 10, "A/other": b"y" * 5000}
    ole = olefile.OleFileIO(io.BytesIO(vba.write_cfb(streams)), raise_defects=olefile.DEFECT_INCORRECT)
    for path, data in streams.items():
        assert ole.openstream(path).read() == data, path


def test_module_text_must_fit_the_code_page() -> None:
    with pytest.raises(ValueError, match="ASCII"):
        vba.standard_module('Attribute VB_Name = "M"\r\n\' 中文\r\n')


# --- the command --------------------------------------------------------------------------


def test_cli_builds_and_refuses_to_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "new" / "销售管理.xlsm"
    assert run(["template", "office", "--out", str(out)]) == 0
    first = out.read_bytes()
    capsys.readouterr()
    assert run(["template", "office", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "--force" in err
    assert out.read_bytes() == first
    assert run(["template", "office", "--out", str(out), "--force"]) == 0
    assert out.read_bytes() == first


def test_cli_wants_xlsm(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["template", "office", "--out", str(tmp_path / "x.xlsx")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and ".xlsm" in err
    assert not (tmp_path / "x.xlsx").exists()


def test_cli_without_xlwings(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "xlwings", None)  # as if not installed: find_spec → None
    assert run(["template", "office", "--out", str(tmp_path / "x.xlsm")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "pip install 'salesxl[excel]'" in err
    assert not (tmp_path / "x.xlsm").exists()
