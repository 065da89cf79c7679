"""Salesperson templates: what the office reads back, Excel-native checks, protection, and the
seed's confidentiality rule proved byte by byte for every salesperson of the demo company."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
import pandas as pd
import pytest
from lxml import etree

from salesxl import api
from salesxl.cli import run
from salesxl.core.schema import CUSTOMERS
from salesxl.core.tables import Book
from salesxl.core.templates import (
    CARD_FIELDS,
    EDITABLE_FIELDS,
    META_SHEET,
    NEW_ROWS,
    VISIT_FIELDS,
    TemplateMeta,
    canonical_text,
    parse_meta,
)
from salesxl.demo import COMPANY_NAME, DEMO_END
from salesxl.errors import BadArguments
from salesxl.io.price_report import QUOTE_SHEET
from salesxl.io.reading import read_book
from salesxl.io.templates import VISIT_METHODS, column_letter, write_salesperson_template

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS = {"m": MAIN}
ISSUED = datetime(DEMO_END.year, DEMO_END.month, DEMO_END.day)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, demo_factory: Callable[..., Path]) -> Path:
    return demo_factory(tmp_path_factory.mktemp("demo"), clean=True)


@pytest.fixture(scope="module")
def master(demo: Path) -> Book:
    return read_book(demo)


@pytest.fixture(scope="module")
def salespeople(master: Book) -> list[str]:
    return [str(s) for s in master["业务员"].frame["业务员"].tolist()]


@pytest.fixture(scope="module")
def templates(demo: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every salesperson's template, issued as of the demo's last day (the ``--all`` path)."""
    paths = api.salesperson_templates(demo, out_dir=tmp_path_factory.mktemp("templates"), as_of=DEMO_END)
    return {p.stem: p for p in paths}


def cards_of(master: Book, salesperson: str) -> list[dict[str, object]]:
    frame = master["客户档案"].frame
    return frame[frame["业务员"] == salesperson][list(CARD_FIELDS)].to_dict("records")


def canon(record: dict[str, object]) -> dict[str, str | None]:
    return {f: canonical_text(record[f], f) for f in CARD_FIELDS}


def sheet_parts(path: Path) -> dict[str, str]:
    """Sheet name → zip member, through workbook.xml and its rels."""
    with zipfile.ZipFile(path) as z:
        book = etree.fromstring(z.read("xl/workbook.xml"))
        rels = etree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    target = {r.get("Id"): r.get("Target") for r in rels}
    rid = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    return {s.get("name"): "xl/" + target[s.get(rid)].lstrip("/").removeprefix("xl/")
            for s in book.iterfind("m:sheets/m:sheet", NS)}


def sheet_xml(path: Path, name: str) -> etree._Element:
    with zipfile.ZipFile(path) as z:
        return etree.fromstring(z.read(sheet_parts(path)[name]))


def meta_of(path: Path) -> TemplateMeta:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return parse_meta([list(r) for r in wb[META_SHEET].iter_rows(values_only=True)])
    finally:
        wb.close()


# ------------------------------------------------------------------------------------------
# What the office reads back


def test_one_template_per_salesperson(templates: dict[str, Path], salespeople: list[str]) -> None:
    assert sorted(templates) == sorted(salespeople)


def test_read_back_holds_exactly_own_cards(templates: dict[str, Path], master: Book,
                                           salespeople: list[str]) -> None:
    for who in salespeople:
        book = read_book(templates[who])
        assert book.findings == [], who  # no missing-column, no unreadable cell
        cards = book["客户档案"]
        assert cards.header_row == 2 and all(cards.has(f) for f in CARD_FIELDS)
        frame = cards.frame
        issued = frame[frame["客户编号"].notna()]
        assert [canon(r) for r in issued[list(CARD_FIELDS)].to_dict("records")] == \
            [canon(r) for r in cards_of(master, who)]
        new = frame[frame["客户编号"].isna()]
        assert len(new) == NEW_ROWS and (new["业务员"] == who).all()
        assert new[list(EDITABLE_FIELDS)].isna().all().all()  # new rows hold 业务员 only
        visits = book["拜访"]
        assert visits.header_row == 1 and all(visits.has(f) for f in VISIT_FIELDS) and len(visits) == 0


def test_meta_sheet_is_the_issued_snapshot(templates: dict[str, Path], master: Book, demo: Path,
                                           salespeople: list[str]) -> None:
    total = int(master["客户档案"].frame["客户编号"].notna().sum())
    for who in salespeople:
        meta = meta_of(templates[who])
        expected = {str(r["客户编号"]): {f: canonical_text(r[f], f) for f in CARD_FIELDS[1:]}
                    for r in cards_of(master, who)}
        assert meta.salesperson == who and meta.issued_at == ISSUED and meta.master_name == demo.name
        assert meta.master_customers == total == 400
        assert meta.snapshot == expected and list(meta.snapshot) == list(expected)
        assert meta.template_id == TemplateMeta(who, ISSUED, demo.name, expected, master_customers=total).template_id
        with zipfile.ZipFile(templates[who]) as z:
            wbxml = etree.fromstring(z.read("xl/workbook.xml"))
        states = {s.get("name"): s.get("state") for s in wbxml.iterfind("m:sheets/m:sheet", NS)}
        states.pop("我的合同", None)  # issue 18: the salesperson's own contracts, read-only
        assert states == {"客户档案": None, "拜访": None, "说明": None, META_SHEET: "veryHidden", QUOTE_SHEET: None}
        names = wbxml.findall("m:definedNames/m:definedName", NS)  # only Excel's print areas and titles
        last = 2 + len(expected) + NEW_ROWS
        assert {(d.get("name"), d.text) for d in names} - {("_xlnm.Print_Titles", "我的合同!$2:$2")} == {
            ("_xlnm.Print_Area", f"客户档案!$A$1:${column_letter(CARD_FIELDS[-1])}${last}"), ("_xlnm.Print_Titles", "客户档案!$A:$B,客户档案!$2:$2"),
            ("_xlnm.Print_Area", "拜访!$A$1:$G$31"), ("_xlnm.Print_Titles", "拜访!$1:$1"),
            ("_xlnm.Print_Titles", f"{QUOTE_SHEET}!$2:$2")}  # the prices they may quote (v1.1)
        # every meta cell is a string: canonical text is compared as text
        cells = sheet_xml(templates[who], META_SHEET).iterfind(".//m:c", NS)
        assert all(c.get("t") == "s" for c in cells)


def test_same_issue_gives_same_bytes(demo: Path, templates: dict[str, Path], tmp_path: Path) -> None:
    again = api.salesperson_template(demo, salesperson="张伟", out=tmp_path / "again.xlsx", as_of=DEMO_END)
    assert again.read_bytes() == templates["张伟"].read_bytes()


# ------------------------------------------------------------------------------------------
# Excel-native checks, formats, protection


def validations(root: etree._Element) -> dict[str, list[etree._Element]]:
    """sqref's first column letter → its dataValidation elements."""
    out: dict[str, list[etree._Element]] = {}
    for dv in root.iterfind("m:dataValidations/m:dataValidation", NS):
        letter = re.match(r"[A-Z]+", dv.get("sqref")).group(0)
        out.setdefault(letter, []).append(dv)
    return out


def formula(dv: etree._Element, n: int = 1) -> str:
    return dv.findtext(f"m:formula{n}", namespaces=NS)


def test_card_sheet_validation(templates: dict[str, Path], master: Book) -> None:
    path = templates["张伟"]
    n = len(cards_of(master, "张伟"))
    last = 2 + n + NEW_ROWS
    dvs = validations(sheet_xml(path, "客户档案"))
    col = column_letter

    [nature] = dvs[col("客户性质")]
    assert nature.get("type") == "list" and nature.get("sqref") == f"{col('客户性质')}3:{col('客户性质')}{last}"
    assert formula(nature) == '"' + ",".join(CUSTOMERS.field("客户性质").enum_values) + '"'
    [uscc] = dvs[col("统一社会信用代码")]
    assert (uscc.get("type"), uscc.get("operator"), formula(uscc)) == ("textLength", "equal", "18")
    [assets] = dvs[col("资产规模")]
    assert (assets.get("type"), assets.get("operator"), formula(assets)) == ("decimal", "greaterThanOrEqual", "0")
    [founded] = dvs[col("成立日期")]
    assert founded.get("type") == "date" and founded.get("operator") is None  # between
    assert (formula(founded), formula(founded, 2)) == ("1", str((ISSUED - datetime(1899, 12, 30)).days))
    [lat] = dvs[col("纬度")]
    [lon] = dvs[col("经度")]
    assert (formula(lat), formula(lat, 2), formula(lon), formula(lon, 2)) == ("3.8", "53.6", "73.5", "135.1")
    for dv in (nature, uscc, assets, founded, lat, lon):
        assert dv.get("errorStyle") is None  # stop
        assert dv.get("showErrorMessage") == "1" and dv.get("showInputMessage") == "1"
        assert re.search(r"[\u4e00-\u9fff]", dv.get("prompt")) and re.search(r"[\u4e00-\u9fff]", dv.get("error"))
    ids = dvs[col("客户编号")]
    assert {d.get("sqref") for d in ids} == {f"A3:A{2 + n}", f"A{3 + n}:A{last}"}
    assert all(re.search(r"[\u4e00-\u9fff]", d.get("prompt")) for d in ids)
    # every editable column has an input message
    assert all(any(d.get("prompt") for d in dvs[col(f)]) for f in EDITABLE_FIELDS)


def test_visit_sheet_validation(templates: dict[str, Path], master: Book) -> None:
    path = templates["张伟"]
    n = len(cards_of(master, "张伟"))
    letter = {f: chr(ord("A") + i) for i, f in enumerate(VISIT_FIELDS)}
    dvs = validations(sheet_xml(path, "拜访"))
    [day] = dvs[letter["日期"]]
    assert day.get("type") == "date" and day.get("sqref") == "A2:A201"
    [who] = dvs[letter["业务员"]]
    assert (who.get("type"), formula(who)) == ("list", '"张伟"')
    [ids] = dvs[letter["客户编号"]]
    assert (ids.get("type"), formula(ids)) == ("list", f"'客户档案'!$A$3:$A${2 + n}")
    [method] = dvs[letter["方式"]]
    assert formula(method) == '"' + ",".join(VISIT_METHODS) + '"'


def test_formats_and_protection(templates: dict[str, Path], master: Book) -> None:
    path = templates["张伟"]
    own = cards_of(master, "张伟")
    n = len(own)
    wb = openpyxl.load_workbook(path)
    ws = wb["客户档案"]
    c = {f: i + 1 for i, f in enumerate(CARD_FIELDS)}
    assert ws.protection.sheet and not ws.protection.password
    assert ws.freeze_panes == "C3"
    assert "发放" in ws.cell(1, 1).value and DEMO_END.isoformat() in ws.cell(1, 1).value
    assert all(ws.cell(2, col).protection.locked for col in c.values())  # header
    for row in (3, 2 + n):  # issued cards: ID and salesperson locked, the rest open
        assert ws.cell(row, c["客户编号"]).protection.locked and ws.cell(row, c["业务员"]).protection.locked
        assert not any(ws.cell(row, c[f]).protection.locked for f in EDITABLE_FIELDS)
    new = 3 + n
    assert not ws.cell(new, c["客户编号"]).protection.locked and ws.cell(new, c["客户编号"]).value is None
    assert ws.cell(new, c["业务员"]).value == "张伟" and ws.cell(new, c["业务员"]).protection.locked
    assert not any(ws.cell(new + NEW_ROWS - 1, c[f]).protection.locked for f in EDITABLE_FIELDS)
    assert ws.cell(new + NEW_ROWS, c["客户名称"]).protection.locked  # below the template: closed
    for f in ("客户编号", "统一社会信用代码", "联系电话"):  # codes: text cells, text format
        for row in (3, new):
            assert ws.cell(row, c[f]).number_format == "@"
        assert ws.cell(3, c[f]).data_type == "s"
    first = own[0]
    assert ws.cell(3, c["资产规模"]).number_format == "#,##0.00"
    assert ws.cell(3, c["资产规模"]).value == int(first["资产规模"]) / 100
    assert ws.cell(3, c["成立日期"]).number_format == "yyyy-mm-dd"
    assert ws.cell(3, c["成立日期"]).value == first["成立日期"]
    assert isinstance(ws.cell(3, c["纬度"]).value, float)
    assert all(ws.column_dimensions[column_letter(f)].width > 8 for f in CARD_FIELDS)
    visits = wb["拜访"]
    assert visits.protection.sheet and visits.freeze_panes == "A2"
    assert all(visits.cell(1, i + 1).value == f and visits.cell(1, i + 1).protection.locked
               for i, f in enumerate(VISIT_FIELDS))
    assert not visits.column_dimensions["A"].protection.locked  # columns open below the header
    assert wb["说明"].protection.sheet and "交回" in "".join(str(r[0].value) for r in wb["说明"].iter_rows())
    wb.close()
    props = openpyxl.load_workbook(path, read_only=True).properties
    assert props.title == "客户档案模板" and props.creator == COMPANY_NAME


# ------------------------------------------------------------------------------------------
# Confidentiality: no other salesperson's customer anywhere in the file


def xml_tokens(data: bytes) -> set[str]:
    """Every text node and attribute value of an XML part, whole and split like a list formula."""
    root = etree.fromstring(data)
    tokens: set[str] = set()
    for el in root.iter():
        values = [el.text or "", *el.attrib.values()]
        for v in values:
            v = v.strip()
            if v:
                tokens.add(v)
                tokens.update(p.strip().strip('"') for p in v.split(","))
    return tokens


def unit_costs(master: Book) -> tuple[set[int], set[int]]:
    """(成本价 values, 标准价 and 最低价 values) of the master's 价目表, in fen (empty without one)."""
    t = master.table("价目表")
    if t is None:
        return set(), set()
    values = {name: {int(v) for v in t.frame[name].dropna().tolist()} for name in ("成本价", "标准价", "最低价")}
    return values["成本价"], values["标准价"] | values["最低价"]


def test_no_other_salespersons_customer_anywhere(templates: dict[str, Path], master: Book,
                                                 salespeople: list[str]) -> None:
    frame = master["客户档案"].frame
    for who in salespeople:
        own = frame[frame["业务员"] == who]
        others = frame[frame["业务员"] != who]
        own_values = {str(v) for f in CARD_FIELDS for v in own[f].dropna().tolist()}
        ids = set(others["客户编号"].dropna().astype(str)) - own_values
        values = {str(v) for f in ("客户名称", "联系电话", "统一社会信用代码")
                       for v in others[f].dropna().tolist()} - own_values
        assert len(ids) == 400 - len(own) and len(values) > 2 * len(ids)
        id_pattern = re.compile(r"(?<![0-9A-Za-z])(?:" + "|".join(map(re.escape, sorted(ids))) + r")(?![0-9A-Za-z])")
        other_people = [p for p in salespeople if p != who]
        found_own = False
        costs, quoted = unit_costs(master)
        with zipfile.ZipFile(templates[who]) as z:
            for member in z.namelist():
                raw = z.read(member)
                text = raw.decode("utf-8")  # every part of the template is XML
                tokens = xml_tokens(raw)
                assert not tokens & ids, (who, member)
                assert not tokens & values, (who, member)
                assert not id_pattern.search(text), (who, member, id_pattern.search(text))
                for value in values:
                    if len(value) < 6:  # an individual's name (高浩) may sit inside another (高浩华)
                        continue
                    assert value not in text and escape(value).encode() not in raw, (who, member, value)
                if member.startswith("docProps/") or "dataValidation" in text:
                    dv_text = "".join(re.findall(r"<formula1>(.*?)</formula1>", text)) if "dataValidation" in text else text
                    assert not any(p in dv_text for p in other_people), (who, member)
                found_own = found_own or str(own["客户编号"].iloc[0]) in tokens
                assert "成本价" not in text and "Unit Cost" not in text, (who, member)  # confidential (v1.1)
        assert found_own  # the check looks where the data is
        if costs:  # every number of the price sheet is a 标准价 or 最低价, never a 成本价
            numbers = {c.value for r in openpyxl.load_workbook(templates[who])[QUOTE_SHEET].iter_rows()
                       for c in r if isinstance(c.value, int | float)}
            assert numbers and {round(x * 100) for x in numbers} <= quoted


# ------------------------------------------------------------------------------------------
# The salesperson edits it; the batch reads it


def test_salesperson_edits_read_back(templates: dict[str, Path], master: Book, tmp_path: Path) -> None:
    own = cards_of(master, "李静")
    n = len(own)
    edited = tmp_path / "李静-returned.xlsx"
    wb = openpyxl.load_workbook(templates["李静"])
    ws = wb["客户档案"]
    c = {f: i + 1 for i, f in enumerate(CARD_FIELDS)}
    ws.cell(3, c["地址"]).value = "浙江省宁波市海曙区新地址路1号"
    row = 3 + n
    for f, v in (("客户名称", "测试新客户有限公司"), ("客户性质", "一般公司"), ("联系电话", "0574-87654321"),
                 ("资产规模", 1234567.891), ("成立日期", datetime(2015, 3, 5))):
        ws.cell(row, c[f]).value = v
    visits = wb["拜访"]
    for r, values in enumerate([
        (datetime(2026, 11, 3), "李静", own[0]["客户编号"], None, "上门", "回访，客户计划扩产", "月底报价"),
        (datetime(2026, 11, 4), "李静", None, "测试新客户有限公司", "电话", "初次联系", None),
    ], start=2):
        for i, v in enumerate(values, start=1):
            visits.cell(r, i).value = v
    wb.save(edited)
    assert openpyxl.load_workbook(edited, read_only=True)[META_SHEET].sheet_state == "veryHidden"

    book = read_book(edited)
    assert book.findings == []
    frame = book["客户档案"].frame
    first = frame.iloc[0]
    assert first["客户编号"] == own[0]["客户编号"] and first["地址"] == "浙江省宁波市海曙区新地址路1号"
    changed = {f for f in CARD_FIELDS if canonical_text(first[f], f) != canonical_text(own[0][f], f)}
    assert changed == {"地址"}
    added = frame[frame["客户名称"] == "测试新客户有限公司"].iloc[0]
    assert pd.isna(added["客户编号"])  # the office assigns the ID
    assert added["业务员"] == "李静" and added["联系电话"] == "0574-87654321"
    assert canonical_text(added["资产规模"], "资产规模") == "1234567.89"
    assert canonical_text(added["成立日期"], "成立日期") == "2015-03-05"
    got = book["拜访"].frame
    assert len(got) == 2 and got["客户编号"].iloc[0] == own[0]["客户编号"]
    assert got["日期"].iloc[1].date().isoformat() == "2026-11-04" and got["客户名称"].iloc[1] == "测试新客户有限公司"
    assert meta_of(edited).snapshot == meta_of(templates["李静"]).snapshot


def test_salesperson_without_customers(master: Book, tmp_path: Path) -> None:
    """On 业务员 but with no cards: a template of new-customer rows only (no ID list to offer)."""
    cards = master["客户档案"]
    book = replace(master, tables={**master.tables, "客户档案": replace(cards, frame=cards.frame[cards.frame["业务员"] != "赵磊"])})
    path = write_salesperson_template(book, "赵磊", tmp_path / "赵磊.xlsx", issued_at=ISSUED, master_name="m.xlsx")
    back = read_book(path)
    assert back.findings == [] and back["客户档案"].frame["客户编号"].isna().all() and len(back["客户档案"]) == NEW_ROWS
    assert meta_of(path).snapshot == {} and meta_of(path).salesperson == "赵磊"
    dvs = validations(sheet_xml(path, "拜访"))
    assert dvs["C"][0].get("type") is None  # "any": nothing to choose from


def test_bad_arguments(master: Book, demo: Path, tmp_path: Path) -> None:
    with pytest.raises(BadArguments) as exc:
        write_salesperson_template(master, "无名氏", tmp_path / "x.xlsx", issued_at=ISSUED, master_name="m")
    assert all(p in exc.value.zh for p in ("无名氏", "张伟", "赵磊"))
    with pytest.raises(BadArguments):
        write_salesperson_template(master, "张伟", tmp_path / "x.xlsm", issued_at=ISSUED, master_name="m")
    with pytest.raises(BadArguments):
        api.salesperson_template(demo, salesperson="张伟", out=demo, as_of=DEMO_END)
    assert not list(tmp_path.iterdir())  # nothing half-written
    # trimmed match: the name as a user might type it
    path = write_salesperson_template(master, " 张伟\u3000", tmp_path / "t.xlsx", issued_at=ISSUED, master_name="m")
    assert meta_of(path).salesperson == "张伟" and not [p for p in tmp_path.iterdir() if p.suffix == ".tmp"]


# ------------------------------------------------------------------------------------------
# Other programs and the command line


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_opens_it(templates: dict[str, Path], tmp_path: Path) -> None:
    src = tmp_path / "zhangwei.xlsx"  # an ASCII name keeps soffice's output name predictable
    shutil.copy(templates["张伟"], src)
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}", "--headless",
         "--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"), str(src)],
        check=True, capture_output=True, timeout=180,
    )
    assert (tmp_path / "pdf" / "zhangwei.pdf").stat().st_size > 1000


def test_cli(demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "张伟.xlsx"
    done = subprocess.run(  # once as a user's shell runs it
        [sys.executable, "-c", "from salesxl.cli import main; main()", "template", "salesperson", "--from", str(demo),
         "--salesperson", "张伟", "--out", str(out), "--as-of", DEMO_END.isoformat()],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert meta_of(out).salesperson == "张伟" and out.name in done.stdout

    base = ["template", "salesperson", "--from", str(demo)]
    for args in (["--salesperson", "无名氏", "--out", str(tmp_path / "x.xlsx")],
                 ["--salesperson", "张伟", "--out", str(tmp_path / "x.xls")],
                 ["--out", str(tmp_path / "x.xlsx")]):
        assert run([*base, *args]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert run([*base, "--salesperson", "无名氏", "--out", str(tmp_path / "x.xlsx"), "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert "无名氏" in err and all(p in err for p in ("张伟", "李静", "赵磊"))

    assert run([*base, "--all", "--out", str(tmp_path / "all"), "--as-of", DEMO_END.isoformat(), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["templates"]
    assert sorted(Path(p).name for p in listed) == sorted(p.name for p in (tmp_path / "all").glob("*.xlsx"))
    assert len(listed) == 6 and not list(tmp_path.glob("x.*"))

    # --all again into the same folder: refused, one line naming the first existing file, nothing
    # written; with --force each is backed up and replaced (like a single --out file).
    before = {p.name: p.read_bytes() for p in (tmp_path / "all").iterdir()}
    assert run([*base, "--all", "--out", str(tmp_path / "all"), "--as-of", DEMO_END.isoformat()]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and Path(listed[0]).name in err and "--force" in err
    assert {p.name: p.read_bytes() for p in (tmp_path / "all").iterdir()} == before
    assert run([*base, "--all", "--out", str(tmp_path / "all"), "--as-of", DEMO_END.isoformat(), "--force"]) == 0
    assert len(list((tmp_path / "all").glob("*.备份-*.xlsx"))) == 6
