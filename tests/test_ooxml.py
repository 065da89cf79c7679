"""The workbook-package layer (:mod:`salesxl.io.ooxml`) through its public API alone.

Real workbooks written by XlsxWriter, read back: a package written back unchanged keeps every
member byte for byte; a changed part is the only member that changes; relationships and content
types added are found again; the text helpers round-trip (hypothesis).
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import xlsxwriter
from hypothesis import given
from hypothesis import strategies as st

from salesxl.io import ooxml
from salesxl.io.ooxml.package import DeflateSink, Package
from salesxl.io.ooxml.rels import (
    CT_XML,
    RT_CUSTOM_XML,
    ContentTypes,
    Rels,
    parse_xml,
    qname,
    serialize_xml,
)
from salesxl.io.ooxml.text import MAX_COL, col_index, col_letters, display_width, ooxml_str


def _book(path: Path) -> Path:
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("客户")
    ws.write_row(0, 0, ["编号", "名称"])
    ws.write_row(1, 0, ["KH001", "甲公司 & <乙>"])
    wb.add_worksheet("销售").write(0, 0, "金额")
    wb.close()
    return path


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def test_every_module_documents_itself_and_lists_its_api() -> None:
    import importlib
    import pkgutil

    names = [m.name for m in pkgutil.iter_modules(ooxml.__path__)]
    assert {"package", "rels", "styles", "sheet", "text", "comments", "saving"} <= set(names)
    for name in names:
        module = importlib.import_module(f"salesxl.io.ooxml.{name}")
        assert module.__doc__ and len(module.__doc__) > 100, name
        assert module.__all__ and all(not n.startswith("_") and hasattr(module, n) for n in module.__all__), name


def test_an_untouched_package_is_written_back_byte_for_byte(tmp_path: Path) -> None:
    book = _book(tmp_path / "a.xlsx")
    pkg = Package(book)
    try:
        assert not pkg.dirty
        out = io.BytesIO()
        pkg.write_to(out)
    finally:
        pkg.close()
    assert _members(out.getvalue()) == _members(book.read_bytes())


def test_a_changed_part_is_the_only_member_that_changes(tmp_path: Path) -> None:
    book = _book(tmp_path / "a.xlsx")
    before = _members(book.read_bytes())
    pkg = Package(book)
    try:
        wb_rels = Rels(pkg, "xl/workbook.xml")
        rid = wb_rels.add(RT_CUSTOM_XML, "customXml/item1.xml")
        wb_rels.save()
        ct = ContentTypes(pkg)
        ct.set_override("/customXml/item1.xml", CT_XML)
        ct.save()
        root = parse_xml(b'<r xmlns="urn:t"><a>1</a></r>', "customXml/item1.xml")
        pkg.put("customXml/item1.xml", serialize_xml(root))
        sink = DeflateSink()
        sink.write(b"<x/>")
        pkg.put_stream("customXml/item2.xml", sink.finish())
        assert pkg.dirty
        out = tmp_path / "b.xlsx"
        with open(out, "wb") as fp:
            pkg.write_to(fp)
    finally:
        pkg.close()
    after = _members(out.read_bytes())
    changed = {n for n in after if before.get(n) != after[n]}
    assert changed == {"xl/_rels/workbook.xml.rels", "[Content_Types].xml", "customXml/item1.xml",
                       "customXml/item2.xml"}
    assert after["customXml/item2.xml"] == b"<x/>"
    again = Package(out)
    try:
        assert Rels(again, "xl/workbook.xml").target(rid) == "customXml/item1.xml"
        assert ContentTypes(again).content_type("customXml/item1.xml") == CT_XML
        assert parse_xml(again.read("customXml/item1.xml"), "item1").find(qname("a", "urn:t")).text == "1"
    finally:
        again.close()


@given(st.integers(min_value=1, max_value=MAX_COL))
def test_column_letters_round_trip(n: int) -> None:
    assert col_index(col_letters(n)) == n


@given(st.text())
def test_escaped_text_is_xml_that_reads_back(value: str) -> None:
    escaped = ooxml_str(value)
    root = parse_xml(f"<t>{escaped}</t>".encode(), "t")
    text = root.text or ""
    # Excel's _xHHHH_ escapes, undone as Excel does, give the value back (up to the length cap)
    unescaped = re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m.group(1), 16)), text)
    assert unescaped == value[:32_767]


def test_display_width_counts_wide_characters_twice() -> None:
    assert display_width("abc") == 3
    assert display_width("客户") == 4
