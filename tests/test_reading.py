"""The reader on real, messy workbooks written here and read back from disk."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from salesxl.core.findings import Code
from salesxl.io.reading import read_book


def day(y: int, m: int, d: int) -> dt.datetime:
    return dt.datetime(y, m, d)


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    """A workbook the way people keep them: titles, units, English, formulas, stray forms."""
    path = tmp_path / "messy.xlsx"
    wb = xlsxwriter.Workbook(path)
    title = wb.add_format({"bold": True})
    cn_date = wb.add_format({"num_format": 'yyyy"年"m"月"d"日"'})
    builtin_cn = wb.add_format({"num_format": 31})  # zh-CN built-in 年月日 format
    money = wb.add_format({"num_format": "#,##0.00"})

    ws = wb.add_worksheet(" 客户档案　")  # spaces around the name, half and full width
    ws.merge_range("A1:F1", "XX公司客户档案", title)
    ws.write_row(1, 0, ["制表日期：2026-10-31"])
    ws.write_row(2, 0, ["客户编号", "客户名称", "Nature", "业务员", "信用额度（元）", "录入人", "账期天数"])
    ws.write_row(3, 0, ["C001", "　华东商贸有限公司 ", "一般公司", "张三", "100,000.00", "小王", 30])
    ws.write_row(4, 0, ["C002", "李四", "Individual", "李四", "", "小王", ""])
    # row 6 entirely empty: skipped
    ws.write_row(6, 0, ["C003", "南方公司", "政府机构", "张三", "1.2万", None, "三十"])

    ws = wb.add_worksheet("销售")
    ws.write_row(0, 0, ["销售明细"])
    ws.write_row(1, 0, ["日期", "单号", "客户编号", "产品", "数量", "单价", "金额(元)", "到期日"])
    ws.write_datetime(2, 0, day(2026, 3, 5), cn_date)
    ws.write_row(2, 1, ["XS001", "C001", "钢材", 3, 33.33])
    ws.write_formula(2, 6, "=E3*F3", money, 99.99)
    ws.write_number(3, 0, 46086, builtin_cn)  # a number that only a 年月日 format makes a date
    ws.write_row(3, 1, ["XS002", "C002", "钢材", 2, "¥1,234.50"])
    ws.write_formula(3, 6, "=E4*F4", money, 2469.0000000000005)  # float noise in the cache
    ws.write_row(4, 0, ["2026/3/5", "XS003", "C003", "钢材", "１０", "12.5", "一百二十五", "20260405"])
    ws.write_row(5, 0, ["2026年3月5日", "XS004", "C003", "钢材", -1, 12.5, "-12.50"])

    ws = wb.add_worksheet("Receipts")
    ws.write_row(0, 1, ["Date", "Doc No", "Customer ID", "Amount (CNY)", "Type", "Method"])
    ws.write_row(1, 1, ["2026.3.6", "SK001", "C001", "RMB 99.99", "Payment", "银行转账"])
    ws.write_row(2, 1, ["20260307", "SK002", "C002", 500, "预收", "现金"])

    ws = wb.add_worksheet("Sheet4")
    ws.add_table(
        4, 2, 6, 4,
        {"name": "Salespeople", "columns": [{"header": "业务员"}, {"header": "片区"}, {"header": "提成比例"}],
         "data": [["张三", "华东", "3%"], ["李四", "华南", 0.025]]},
    )

    ws = wb.add_worksheet("参数")
    ws.write_row(0, 0, ["名称", "值"])
    ws.write_row(1, 0, ["每路线客户数", 10])
    ws.write_row(2, 0, ["账龄分段", "30，60，90"])
    ws.write_row(3, 0, ["活跃天数", "很久"])
    wb.close()
    return path


def test_finds_sheets_headers_and_columns(messy: Path) -> None:
    book = read_book(messy)
    assert set(book.tables) == {"客户档案", "销售", "收款", "业务员", "参数"}
    cust = book["客户档案"]
    assert cust.sheet == " 客户档案　" and cust.header_row == 3
    assert cust.letters["客户性质"] == "C" and cust.letters["信用额度"] == "E" and cust.letters["账期天数"] == "G"
    assert cust.frame["_row"].tolist() == [4, 5, 7]  # the empty row 6 is skipped
    assert cust.frame["客户名称"].tolist() == ["华东商贸有限公司", "李四", "南方公司"]
    assert cust.frame["客户性质"].tolist() == ["一般公司", "个人", "政府机构"]
    assert cust.frame["信用额度"].tolist()[0] == 10_000_000 and cust.frame["信用额度"].isna().tolist()[1]
    assert int(cust.frame["信用额度"].iloc[2]) == 1_200_000
    receipts = book["收款"]
    assert receipts.sheet == "Receipts" and receipts.header_row == 1 and receipts.letters["日期"] == "B"
    assert receipts.frame["金额"].tolist() == [9999, 50000]
    assert receipts.frame["类型"].tolist() == ["回款", "预收"]
    assert receipts.frame["日期"].dt.date.tolist() == [dt.date(2026, 3, 6), dt.date(2026, 3, 7)]


def test_amounts_and_dates_exact(messy: Path) -> None:
    sales = read_book(messy)["销售"].frame
    assert sales["日期"].dt.date.tolist() == [dt.date(2026, 3, 5)] * 4
    assert sales["单价"].tolist() == [3333, 123450, 1250, 1250]
    assert sales["金额"].tolist()[:2] == [9999, 246900]  # formula cache, noise rounded away
    assert sales["金额"].isna().tolist()[2]  # unreadable → blank + finding
    assert int(sales["金额"].iloc[3]) == -1250
    assert sales["数量"].tolist() == [3.0, 2.0, 10.0, -1.0]
    assert sales["到期日"].dt.date.tolist()[2] == dt.date(2026, 4, 5)


def test_excel_table_is_a_sheet(messy: Path) -> None:
    people = read_book(messy)["业务员"]
    assert people.sheet == "Salespeople" and people.header_row == 5
    assert people.letters == {"业务员": "C", "片区": "D", "提成比例": "E"}
    assert people.frame["_row"].tolist() == [6, 7]
    assert people.frame["提成比例"].tolist() == [0.03, 0.025]


def test_findings_point_at_the_cell(messy: Path) -> None:
    book = read_book(messy, require=["客户档案", "目标"])
    got = {(f.code, f.sheet, f.row, f.column, f.field, f.value) for f in book.findings}
    assert (Code.BAD_TYPE, "销售", 5, "G", "金额", "一百二十五") in got
    assert (Code.BAD_TYPE, " 客户档案　", 7, "G", "账期天数", "三十") in got
    assert (Code.BAD_TYPE, "参数", 4, "B", "值", "很久") in got
    assert (Code.MISSING_SHEET, "目标", None, None, "目标", None) in got
    assert len(book.findings) == 4
    message = next(f for f in book.findings if f.field == "金额").message()
    assert "一百二十五" in message and "金额" in message


def test_settings_read_and_bad_value_keeps_default(messy: Path) -> None:
    settings = read_book(messy).settings
    assert settings.route_capacity == 10
    assert settings.aging_buckets == (30, 60, 90)
    assert settings.active_days == 365


def test_missing_required_column(tmp_path: Path) -> None:
    path = tmp_path / "cols.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "收款"
    ws.append(["日期", "单号", "客户编号", "金额"])  # 类型 missing
    ws.append(["2026-01-02", "SK1", "C1", 5])
    wb.save(path)
    findings = read_book(path).findings
    assert [(f.code, f.row, f.column, f.field) for f in findings] == [(Code.MISSING_COLUMN, 1, None, "类型")]


def test_formula_without_cached_value_is_reported(tmp_path: Path) -> None:
    """openpyxl writes formulas without a result; the reader must not read them as blank."""
    path = tmp_path / "formula.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "销售"
    ws.append(["日期", "单号", "客户编号", "产品", "数量", "单价", "金额"])
    ws.append(["2026-01-02", "XS1", "C1", "钢材", 2, 5, "=E2*F2"])
    ws.append(["2026-01-03", "XS2", "C1", "钢材", 1, 5, 5])
    wb.save(path)
    book = read_book(path)
    assert [(f.code, f.row, f.column, f.field) for f in book.findings] == [
        (Code.NO_CACHED_VALUE, 2, "G", "金额")
    ]


def test_header_beyond_ten_rows_is_not_found(tmp_path: Path) -> None:
    path = tmp_path / "deep.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "费用"
    for _ in range(10):
        ws.append(["说明文字"])
    ws.append(["日期", "类别", "金额"])
    wb.save(path)
    codes = {(f.code, f.field) for f in read_book(path).findings}
    assert codes == {(Code.MISSING_COLUMN, "日期"), (Code.MISSING_COLUMN, "类别"), (Code.MISSING_COLUMN, "金额")}


def test_exact_sheet_name_wins_over_alias_and_english(tmp_path: Path) -> None:
    path = tmp_path / "names.xlsx"
    wb = openpyxl.Workbook()
    first = wb.active
    first.title = "销售明细"
    first.append(["日期", "单号", "客户编号", "产品", "数量"])
    first.append(["2026-01-01", "OLD", "C1", "x", 1])
    second = wb.create_sheet("SALES")
    second.append(["Date", "Doc No", "Customer ID", "Product", "Qty"])
    second.append(["2026-01-01", "NEW", "C1", "x", 1])
    wb.save(path)
    sales = read_book(path)["销售"]
    assert sales.sheet == "SALES" and sales.frame["单号"].tolist() == ["NEW"]


# --------------------------------------------------------------------------------------------
# The 1904 date system (issue 13 item 7)
# --------------------------------------------------------------------------------------------

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
if not CORPUS.is_dir():
    CORPUS = Path("/work/shared/corpus")

#: What Excel for Mac writes after the workbook's own <workbookPr date1904="1"/>.
X15_EXT = (
    b'<extLst><ext uri="{140A7094-0E35-4892-8432-C4D2E57EDEB5}" xmlns:x15="http://schemas.'
    b'microsoft.com/office/spreadsheetml/2010/11/main"><x15:workbookPr chartTrackingRefBase="1"/>'
    b"</ext></extLst>"
)


def _rewrite(path: Path, edit: dict[str, object]) -> None:
    """Rewrite members of the package at ``path``: bytes replace, a callable transforms."""
    import zipfile

    with zipfile.ZipFile(path) as src:
        members = [(i.filename, src.read(i)) for i in src.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in members:
            change = edit.get(name)
            data = change(data) if callable(change) else change if isinstance(change, bytes) else data
            dst.writestr(name, data)


def book_1904(path: Path, *, excel_ext: bool) -> Path:
    """A 1904-system 销售 sheet dated 2026-03-05 in every way a date reaches the reader:
    Chinese built-in formats (58, 31, 57) that fastexcel leaves as serials, a custom and a
    built-in (14) date format it converts, a plain serial, and text."""
    wb = xlsxwriter.Workbook(path, {"date_1904": True})
    ws = wb.add_worksheet("销售")
    ws.write_row(0, 0, ["日期", "单号", "客户编号", "产品", "数量", "单价", "金额"])
    serial = (dt.date(2026, 3, 5) - dt.date(1904, 1, 1)).days
    formats = [58, 31, 57, "yyyy-mm-dd", 14, None]
    for i, fmt in enumerate(formats, 1):
        cell_format = wb.add_format({"num_format": fmt}) if fmt is not None else None
        ws.write_number(i, 0, serial, cell_format)
        ws.write_row(i, 1, [f"XS{i}", "C001", "钢材", 1, 10, 10])
    ws.write_row(len(formats) + 1, 0, ["2026年3月5日", "XS9", "C001", "钢材", 1, 10, 10])
    wb.close()
    if excel_ext:
        _rewrite(path, {"xl/workbook.xml": lambda d: d.replace(b"</workbook>", X15_EXT + b"</workbook>")})
    return path


@pytest.mark.parametrize("excel_ext", [False, True])
def test_1904_book_reads_every_date_form(tmp_path: Path, excel_ext: bool) -> None:
    path = book_1904(tmp_path / "mac.xlsx", excel_ext=excel_ext)
    book = read_book(path)
    assert [f for f in book.findings if f.code == Code.BAD_TYPE] == []
    assert book["销售"].frame["日期"].dt.date.tolist() == [dt.date(2026, 3, 5)] * 7


def test_1900_book_with_chinese_builtin_format(tmp_path: Path) -> None:
    path = tmp_path / "win.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("销售")
    ws.write_row(0, 0, ["日期", "单号", "客户编号", "产品", "数量", "单价", "金额"])
    ws.write_number(1, 0, 46086, wb.add_format({"num_format": 58}))
    ws.write_row(1, 1, ["XS1", "C001", "钢材", 1, 10, 10])
    wb.close()
    assert read_book(path)["销售"].frame["日期"].dt.date.tolist() == [dt.date(2026, 3, 5)]


@pytest.mark.parametrize("name", ["sheetjs__1904_1904.xlsx", "sheetjs__1904_1900.xlsx", "calamine__date_1904.xlsx"])
def test_real_1904_files_read_as_excel_shows_them(name: str) -> None:
    """Real files saved with each date system: the dates read as Excel itself renders them
    (in the SheetJS files, column C caches Excel's own TEXT(B,"YYYY-MM-DD"))."""
    from salesxl.core import cells
    from salesxl.io.reading import _load_grid, _open
    from salesxl.io.safety import inspect_workbook, scan_sheet

    path = CORPUS / name
    if not path.exists():
        pytest.skip("corpus not available")
    info = inspect_workbook(path)
    part = info.sheets[0]
    scan = scan_sheet(path, info, part)
    grid = _load_grid(_open(path, info), part, None, scan.uncached_formulas, None, date1904=info.date1904)
    col = cells.parse_date(cells.trim(cells.as_array(grid.columns[0 if name.startswith("calamine") else 1])),
                           date1904=info.date1904)
    got = [v.date() for v in col.values.tolist()]
    if name.startswith("calamine"):
        assert info.date1904 and got[:2] == [dt.date(2021, 1, 1), dt.date(2021, 1, 2)]
    else:
        shown = grid.columns[2].to_pylist()
        assert info.date1904 is name.endswith("1904.xlsx")
        assert [d.isoformat() for d in got] == shown


# --------------------------------------------------------------------------------------------
# Readable packages that were refused (issue 13 item 21)
# --------------------------------------------------------------------------------------------


def small_book(path: Path) -> Path:
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("客户档案")
    ws.write_row(0, 0, ["客户编号", "客户名称", "客户性质", "业务员"])
    ws.write_row(1, 0, ["C001", "华东商贸有限公司", "个人", "张三"])
    ws.write_row(2, 0, ["C002", "李四", "外星人", "李四"])  # a bad 客户性质: one finding to mark
    wb.close()
    return path


def _names(path: Path) -> list[str]:
    import zipfile

    with zipfile.ZipFile(path) as zf:
        return zf.namelist()


def _customers(path: Path) -> list[str]:
    return read_book(path)["客户档案"].frame["客户名称"].tolist()


def test_backslash_paths_read_and_mark(tmp_path: Path) -> None:
    """Zip entries written `xl\\worksheets\\sheet1.xml` (a Chinese attendance-system export)."""
    import zipfile

    import salesxl.api as sx

    path = small_book(tmp_path / "book.xlsx")
    with zipfile.ZipFile(path) as src:
        members = [(i.filename, src.read(i)) for i in src.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in members:
            dst.writestr(name.replace("/", "\\"), data)
    assert _customers(path) == ["华东商贸有限公司", "李四"]
    out = tmp_path / "marked.xlsx"
    report = sx.validate(path, out=out)
    assert report.marks is not None and report.marks.written == out and report.marks.marked_cells >= 1
    assert _customers(out) == ["华东商贸有限公司", "李四"]
    from salesxl.io.safety import inspect_workbook

    assert [s.name for s in inspect_workbook(out).sheets] == ["客户档案", "校验结果"]
    assert "xl\\styles.xml" in _names(out)  # untouched parts keep their names


def test_partless_macro_sheets_are_skipped_not_fatal(tmp_path: Path) -> None:
    import salesxl.api as sx

    path = small_book(tmp_path / "book.xlsm")
    _rewrite(path, {"xl/workbook.xml": lambda d: d.replace(
        b"<sheets>", b'<sheets><sheet name="Macro1" sheetId="5" state="veryHidden" r:id=""/>')})
    assert _customers(path) == ["华东商贸有限公司", "李四"]
    report = sx.validate(path, out=tmp_path / "marked.xlsm")
    assert report.marks is not None
    assert _customers(report.marks.written) == ["华东商贸有限公司", "李四"]
