"""Ledger result sheets written into the real demo workbook, read back with openpyxl and calamine."""

from __future__ import annotations

import functools
import re
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from salesxl import api
from salesxl.core.money import fen_to_decimal
from salesxl.demo import DEMO_END
from salesxl.errors import BadArguments, UnreadableWorkbook
from salesxl.io.json_documents import offset_json_text
from salesxl.io.results import LEDGER_SHEETS, Column, ResultSheet, write_result_sheets

#: Parts a results write may rewrite; every other member must stay byte-identical.
REWRITTEN = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml", "xl/styles.xml"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, demo_factory: Callable[..., Path]) -> Path:
    return demo_factory(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def before(demo: Path) -> api.ledger.LedgerResult:
    return api.offset(demo, as_of=DEMO_END)


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def calamine_values(path: Path, sheets: list[str]) -> dict[str, list[list[object]]]:
    wb = CalamineWorkbook.from_path(str(path))
    return {name: wb.get_sheet_by_name(name).to_python() for name in sheets}


def to_day(v: object) -> date:
    return v.date() if isinstance(v, datetime) else v  # type: ignore[return-value]


@functools.lru_cache(maxsize=2)
def original_parts(path: Path, mtime_ns: int, size: int) -> tuple[list[str], dict[str, list[list[object]]],
                                                                 dict[str, bytes]]:
    """The unchanged input's sheet names, values and zip members, read once per file version
    (every check_book compares a written book with the same demo)."""
    names = CalamineWorkbook.from_path(str(path)).sheet_names
    return names, calamine_values(path, names), members(path)


def check_book(original: Path, written: Path, result: api.ledger.LedgerResult) -> None:
    stat = original.stat()
    orig_names, orig_values, a = original_parts(original, stat.st_mtime_ns, stat.st_size)
    new_names = CalamineWorkbook.from_path(str(written)).sheet_names
    assert new_names == orig_names + list(LEDGER_SHEETS)
    # other sheets: same values, same cached formula results (calamine reads the cached <v>)
    assert calamine_values(written, orig_names) == orig_values
    b = members(written)
    for name, data in a.items():
        if name not in REWRITTEN:
            assert b[name] == data, name

    wb = openpyxl.load_workbook(written)
    c = result.customers
    ws = wb["往来余额"]
    headers = [x.value for x in ws[1]]
    assert headers[:9] == ["客户编号", "客户名称", "业务员", "借方合计", "贷方合计", "净额", "应收余额", "预收余额", "逾期金额"]
    assert headers[-1] == "处理建议"
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:{ws.cell(1, len(headers)).column_letter}{len(c) + 1}"
    assert ws.max_row == len(c) + 1
    col = {h: i for i, h in enumerate(headers)}
    for i, row in enumerate(ws.iter_rows(min_row=2, values_only=False)):
        line = c.iloc[i]
        assert row[0].value == line["customer_id"]
        for h, field in (("借方合计", "debits"), ("净额", "net"), ("应收余额", "receivable"),
                         ("预收余额", "prepaid"), ("逾期金额", "overdue"), ("可用额度", "available_credit")):
            cell = row[col[h]]
            assert isinstance(cell.value, (int, float)), (h, cell.value)
            assert cell.number_format == "#,##0.00"
            assert round(cell.value * 100) == int(line[field])
        assert row[col["处理建议"]].value == line["action"]

    ws = wb["账龄明细"]
    o = result.open_items
    assert [x.value for x in ws[1]][:3] == ["客户编号", "客户名称", "单号"]
    assert ws.max_row == len(o) + 1
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert sum(round(r[9] * 100) for r in rows) == int(o["open"].sum()) == int(c["receivable"].sum())
    first = ws["G2"]
    assert first.is_date and first.number_format == "yyyy-mm-dd"
    assert to_day(first.value) == o.iloc[0]["date"].date()

    ws = wb["核销明细"]
    al = result.allocations
    assert ws.max_row == len(al) + 1
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert [r[2] for r in rows] == [str(x) for x in al["credit_doc"]]
    assert [r[7] for r in rows] == [str(x) for x in al["debit_doc"]]
    assert [round(r[12] * 100) for r in rows] == al["amount"].tolist()
    assert ws["M2"].number_format == "#,##0.00"

    ws = wb["发货放行"]
    assert ws.max_row == len(result.release) + 1
    assert [r[-1] for r in ws.iter_rows(min_row=2, values_only=True)] == result.release["decision"].tolist()


def test_out_writes_a_copy(demo: Path, before: api.ledger.LedgerResult, tmp_path: Path) -> None:
    original = members(demo)
    out = tmp_path / "结果.xlsx"
    result, written = api.offset_to_book(demo, as_of=DEMO_END, out=out)
    assert written.written == out and written.backup is None and written.copied_because is None
    assert members(demo) == original  # the input is untouched
    check_book(demo, out, result)
    after = api.offset(out, as_of=DEMO_END)  # the written book reads back to the same ledger
    assert offset_json_text(after) == offset_json_text(before)


def test_in_place_with_backup_and_rerun_replaces(demo: Path, before: api.ledger.LedgerResult,
                                                 tmp_path: Path) -> None:
    book = tmp_path / "demo.xlsx"
    book.write_bytes(demo.read_bytes())
    result, written = api.offset_to_book(book, as_of=DEMO_END, in_place=True)
    assert written.written == book
    assert written.backup is not None and written.backup.read_bytes() == demo.read_bytes()
    check_book(demo, book, result)
    first = book.read_bytes()

    # re-run: the four sheets are replaced, not stacked, and every part is the same again
    (tmp_path / "first.xlsx").write_bytes(first)
    api.offset_to_book(book, as_of=DEMO_END, in_place=True)
    names = openpyxl.load_workbook(book, read_only=True).sheetnames
    assert all(names.count(n) == 1 for n in LEDGER_SHEETS)
    # every part byte-identical to the first write's, which check_book read above: so all it
    # checked holds for the re-run's book too (no need to read it all again)
    assert members(tmp_path / "first.xlsx") == members(book)
    assert offset_json_text(api.offset(book, as_of=DEMO_END)) == offset_json_text(before)

    # an earlier as-of replaces the figures
    earlier = date(2026, 6, 30)
    res2, _ = api.offset_to_book(book, as_of=earlier, in_place=True)
    check_book(demo, book, res2)


def test_amounts_are_exact_and_text_is_never_a_formula(tmp_path: Path) -> None:
    src = tmp_path / "a.xlsx"
    wb = xlsxwriter.Workbook(src)
    ws = wb.add_worksheet("数据")
    ws.write_formula("A1", "=1+1", None, 2)
    wb.close()
    sheet = ResultSheet("测试", [Column("文本"), Column("金额", "amount"), Column("日期", "date"), Column("数", "int")], [
        ["=SUM(A1)", 123456789012, date(2026, 1, 2), 7],
        ["@x", -1, None, None],
        [None, 10, date(2026, 12, 31), 0],
    ])
    res = write_result_sheets(src, [sheet], out=tmp_path / "b.xlsx")
    ws = openpyxl.load_workbook(res.written)["测试"]
    assert ws["A2"].value == "=SUM(A1)" and ws["A2"].data_type == "s"
    assert ws["B2"].value == 1234567890.12 and ws["B3"].value == -0.01 and ws["B4"].value == 0.1
    assert ws["C4"].is_date and to_day(ws["C4"].value) == date(2026, 12, 31)
    assert ws["D2"].value == 7
    assert res.rows == {"测试": 3}
    assert str(fen_to_decimal(123456789012)) == "1234567890.12"
    # the formula cell of the other sheet keeps its cached value
    assert CalamineWorkbook.from_path(str(res.written)).get_sheet_by_name("数据").to_python() == [[2.0]]
    with zipfile.ZipFile(res.written) as z:
        xml = next(z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/") and b"inlineStr" in z.read(n))
    assert b"<f>" not in xml


def test_xlsm_keeps_vba(tmp_path: Path) -> None:
    vba = tmp_path / "vbaProject.bin"
    vba.write_bytes(b"\xd0\xcf\x11\xe0 not really a VBA project " * 40)
    book = tmp_path / "宏.xlsm"
    wb = xlsxwriter.Workbook(book)
    wb.add_worksheet("数据").write("A1", "x")
    wb.add_vba_project(str(vba))
    wb.close()
    res = write_result_sheets(book, [ResultSheet("往来余额", [Column("a")], [["b"]])], out=tmp_path / "o.xlsx")
    assert res.written.suffix == ".xlsm" and res.copied_because
    assert members(res.written)["xl/vbaProject.bin"] == vba.read_bytes()
    res = write_result_sheets(book, [ResultSheet("往来余额", [Column("a")], [["b"]])], in_place=True)
    assert members(book)["xl/vbaProject.bin"] == vba.read_bytes()


def test_risky_workbook_goes_to_a_copy_and_locks_are_respected(tmp_path: Path) -> None:
    book = tmp_path / "图表.xlsx"
    wb = xlsxwriter.Workbook(book)
    ws = wb.add_worksheet("数据")
    ws.write_column("A1", [1, 2, 3])
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"values": "=数据!$A$1:$A$3"})
    ws.insert_chart("C2", chart)
    wb.close()
    original = book.read_bytes()
    sheet = ResultSheet("往来余额", [Column("a")], [["b"]])
    res = write_result_sheets(book, [sheet], in_place=True)
    assert res.written != book and res.copied_because and "图表" in res.copied_because
    assert book.read_bytes() == original
    lock = tmp_path / ("~$" + book.name)
    lock.write_bytes(b"")
    with pytest.raises(UnreadableWorkbook):
        write_result_sheets(book, [sheet], in_place=True)
    with pytest.raises(BadArguments):
        write_result_sheets(book, [sheet])
    with pytest.raises(BadArguments):
        write_result_sheets(book, [sheet, sheet], out=tmp_path / "x.xlsx")


def test_text_cells_fast_path_writes_what_full_escaping_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Text cells are escaped and measured once per distinct text, most without any escaping:
    the file is the same as when every text is escaped in full and the memo of texts keeps
    being emptied, it reads back as written, and the widths count CJK double."""
    import re
    import unicodedata

    from salesxl.io import results
    from salesxl.io.ooxml import text as ooxml_text
    from salesxl.io.ooxml.text import display_width

    src = tmp_path / "a.xlsx"
    wb = xlsxwriter.Workbook(src)
    wb.add_worksheet("数据")
    wb.close()
    tricky = ["a & b <c> \"q\"", "_x0041_ 原文", "一行\r\n二行", "\x01控制\x1f", "=1+1", "ＡＢ全角", "x" * 40_000,
              "\ud800孤", "\uffff"]
    rows = [[tricky[i % len(tricky)], f"客户{i % 5}", i] for i in range(60)]
    rows += [[None, "", 0], [date(2026, 1, 2), 42, None]]
    sheet = ResultSheet("测试", [Column("文本"), Column("名称"), Column("数", "int")], rows)
    fast = write_result_sheets(src, [sheet], out=tmp_path / "fast.xlsx")
    monkeypatch.setattr(ooxml_text, "NEEDS_ESCAPE", re.compile(""))  # every text through the full escape
    monkeypatch.setattr(results, "_TEXT_CACHE", 2)
    monkeypatch.setattr(results, "_ROWS_PER_WRITE", 3)
    full = write_result_sheets(src, [sheet], out=tmp_path / "full.xlsx")
    assert members(fast.written) == members(full.written)

    values = calamine_values(fast.written, ["测试"])["测试"]
    assert values[0] == ["文本", "名称", "数"]
    expected = [t[:32_767] for t in tricky]
    expected[7], expected[8] = "_xD800_孤", "_xFFFF_"  # not representable in XML: written as escapes
    for i, row in enumerate(values[1:61]):
        assert row == [expected[i % len(tricky)], f"客户{i % 5}", float(i)], i
    assert values[61] == ["", "", 0.0] and values[62] == ["2026-01-02", "42", ""]
    ws = openpyxl.load_workbook(fast.written)["测试"]
    assert ws["A6"].data_type == "s" and ws["A6"].value == "=1+1"
    # 客户4: 2 + 2 + 1 columns, + 2; 文本: the 40,000 x are capped at 60
    assert ws.column_dimensions["B"].width == 7 and ws.column_dimensions["A"].width == 60
    for text in ["abc", "客户", "ＡＢ全角", "ｱｲ半角", "é́", "😀x", "", "\x01"]:
        assert display_width(text) == sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


# --------------------------------------------------------------------------------------------
# Only sheets salesxl wrote are replaced (issue 13 item 23)


def office_book(path: Path, own: dict[str, list[list[object]]]) -> Path:
    """A book with a data sheet and the user's own sheets ``own`` (name → rows)."""
    wb = xlsxwriter.Workbook(path)
    wb.add_worksheet("客户档案").write_row(0, 0, ["客户编号", "客户名称"])
    for name, rows in own.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            ws.write_row(r, 0, row)
    wb.close()
    return path


BALANCES = ResultSheet("往来余额", [Column("客户编号"), Column("应收余额", "amount")], [["C1", 12345]])
AGING = ResultSheet("账龄明细", [Column("客户编号"), Column("账龄天数", "int")], [["C1", 40]])


def test_users_own_sheet_of_a_result_name_is_kept(tmp_path: Path) -> None:
    mine = [["我的往来表", "自己记的"], ["甲公司", "欠 5 万"]]
    book = office_book(tmp_path / "own.xlsx", {"往来余额": mine})
    first = write_result_sheets(book, [BALANCES, AGING], out=tmp_path / "1.xlsx")
    assert first.sheets == ["往来余额(2)", "账龄明细"] and first.renamed == {"往来余额": "往来余额(2)"}
    assert first.rows == {"往来余额(2)": 1, "账龄明细": 1}
    assert "往来余额(2)" in first.kept_note("zh") and "往来余额(2)" in first.kept_note("en")
    wb = openpyxl.load_workbook(first.written)
    assert wb.sheetnames == ["客户档案", "往来余额", "往来余额(2)", "账龄明细"]
    assert [[c.value for c in r] for r in wb["往来余额"].iter_rows()] == mine
    assert wb["往来余额(2)"]["B2"].value == 123.45

    # a re-run replaces both of ours and nothing of the user's
    again = write_result_sheets(first.written, [BALANCES, AGING], out=tmp_path / "2.xlsx")
    assert again.sheets == ["往来余额(2)", "账龄明细"]
    wb = openpyxl.load_workbook(again.written)
    assert wb.sheetnames == ["客户档案", "往来余额", "往来余额(2)", "账龄明细"]
    assert [[c.value for c in r] for r in wb["往来余额"].iter_rows()] == mine
    assert members(again.written) == members(write_result_sheets(
        again.written, [BALANCES, AGING], out=tmp_path / "3.xlsx").written)  # stable from here on

    # once the user's sheet is gone, the result takes its proper name again
    wb.remove(wb["往来余额"])
    wb.save(tmp_path / "4.xlsx")
    last = write_result_sheets(tmp_path / "4.xlsx", [BALANCES, AGING], out=tmp_path / "5.xlsx")
    assert last.renamed == {} and last.sheets == ["往来余额", "账龄明细"]
    assert openpyxl.load_workbook(last.written).sheetnames == ["客户档案", "往来余额", "账龄明细"]


def test_sheet_from_an_earlier_version_is_known_by_its_header(tmp_path: Path) -> None:
    """No mark (written before it existed), but exactly salesxl's header row: ours."""
    book = office_book(tmp_path / "old.xlsx", {"往来余额": [["客户编号", "应收余额"], ["C9", 1]]})
    res = write_result_sheets(book, [BALANCES], out=tmp_path / "1.xlsx")
    assert res.renamed == {} and openpyxl.load_workbook(res.written).sheetnames == ["客户档案", "往来余额"]
    assert b'<c r="A1" t="s">' in members(book)["xl/worksheets/sheet2.xml"]  # read via shared strings, as Excel saves
    # inline strings (how salesxl writes it) are read too: our sheet with its mark taken away
    unmarked = tmp_path / "unmarked.xlsx"
    with zipfile.ZipFile(res.written) as z, zipfile.ZipFile(unmarked, "w") as out:
        for n in z.namelist():
            data = z.read(n)
            if n == "xl/workbook.xml":
                data, k = re.subn(rb"<definedNames>.*</definedNames>", b"", data)
                assert k == 1
            out.writestr(n, data)
    res = write_result_sheets(unmarked, [BALANCES], out=tmp_path / "2.xlsx")
    assert res.renamed == {}
    # a header that is not exactly ours (one more column, a title row): the user's
    for i, rows in enumerate(([["客户编号", "应收余额", "备注"]], [["往来余额表"], ["客户编号", "应收余额"]],
                              [[None, "应收余额"]])):
        book = office_book(tmp_path / f"mine{i}.xlsx", {"往来余额": rows})
        assert write_result_sheets(book, [BALANCES], out=tmp_path / f"3-{i}.xlsx").renamed == {"往来余额": "往来余额(2)"}


def test_every_result_command_keeps_the_users_sheets(tmp_path: Path, demo_factory: Callable[..., Path]) -> None:
    """offset and classify on the demo book holding the user's own 往来余额, 路线 and 信用建议."""
    src = demo_factory(tmp_path / "demo")
    wb = openpyxl.load_workbook(src)
    for name in ("往来余额", "发货放行", "路线", "信用建议", "信用政策"):
        wb.create_sheet(name)["A1"] = f"我自己的{name}"
    wb.save(tmp_path / "own.xlsx")
    _, written = api.offset_to_book(tmp_path / "own.xlsx", as_of=DEMO_END, out=tmp_path / "o.xlsx")
    assert written.renamed == {"往来余额": "往来余额(2)", "发货放行": "发货放行(2)"}
    _, classified = api.classify_to_book(tmp_path / "o.xlsx", as_of=DEMO_END, out=tmp_path / "c.xlsx")
    assert classified.renamed == {"路线": "路线(2)", "信用建议": "信用建议(2)"}
    assert classified.kept == ["信用政策"]
    wb = openpyxl.load_workbook(classified.written, read_only=True)
    for name in ("往来余额", "发货放行", "路线", "信用建议", "信用政策"):
        assert wb[name]["A1"].value == f"我自己的{name}"
    assert {"往来余额(2)", "账龄明细", "核销明细", "发货放行(2)", "路线(2)", "信用建议(2)"} <= set(wb.sheetnames)


def test_unowned_sheets_never_replace_anything(tmp_path: Path) -> None:
    """``owned=False`` (the batch's 拜访/变更记录 added to a master): even salesxl's own header
    on an existing sheet does not make it replaceable, and no mark is left."""
    book = office_book(tmp_path / "m.xlsx", {"变更记录": [["时间", "字段"], ["2026-01-01", "地址"]]})
    log = ResultSheet("变更记录", [Column("时间"), Column("字段")], [["2026-10-31", "电话"]], owned=False)
    res = write_result_sheets(book, [log], out=tmp_path / "1.xlsx")
    assert res.sheets == ["变更记录(2)"]
    assert b"_salesxl_result_" not in members(res.written)["xl/workbook.xml"]
    assert openpyxl.load_workbook(res.written)["变更记录"]["B2"].value == "地址"


@pytest.mark.parametrize("date1904", [False, True])
def test_dates_are_written_in_the_books_own_date_system(tmp_path: Path, date1904: bool) -> None:
    """A date written into a 1904-system book (Excel for Mac's old default) counts from
    1904-01-01: result sheets and patched columns show the same day Excel would."""
    from salesxl.io.columns import ColumnPatch, SheetPatch

    book = tmp_path / "book.xlsx"
    wb = xlsxwriter.Workbook(book, {"date_1904": date1904})
    ws = wb.add_worksheet("客户档案")
    ws.write_row(0, 0, ["客户编号", "客户名称"])
    ws.write_row(1, 0, ["C1", "甲公司"])
    wb.close()
    day, moment = date(2026, 3, 5), datetime(2026, 3, 5, 14, 30)
    sheet = ResultSheet("账龄明细", [Column("客户编号"), Column("日期", "date")], [["C1", day]])
    patch = SheetPatch("客户档案", 1, [ColumnPatch("更新日期", None, "date", {2: moment})])
    written = write_result_sheets(book, [sheet], out=tmp_path / "out.xlsx", patch=patch).written
    got = openpyxl.load_workbook(written)  # openpyxl reads serials in the book's own epoch
    assert got.epoch.year == (1904 if date1904 else 1899)
    assert got["账龄明细"]["B2"].value == datetime(2026, 3, 5)
    assert got["客户档案"]["C2"].value == moment
    serial = (day - (date(1904, 1, 1) if date1904 else date(1899, 12, 30))).days
    assert f"<v>{serial}</v>".encode() in members(written)["xl/worksheets/sheet2.xml"]
