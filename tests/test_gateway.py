"""The button logic end to end through the gateway, and the live-Excel gateway's translation.

What is verified here, on Linux, and how:

* Every button (校验, 分类, 冲销, 月报, 对账单) runs through :class:`FileGateway` on the real demo
  workbook, and each test reads the files written back from disk with openpyxl.
* The live-Excel reading path — the 2-D lists xlwings returns (every number a float, dates as
  ``datetime``, empty cells ``None``, error cells as text) turned into grids by
  :func:`grid_from_values` and tabulated — gives exactly the tables and findings of the file
  reader, on the whole demo (merged title rows, an Excel Table, formulas with cached values).
* :class:`XlwingsGateway`'s call sequence runs against an in-memory stand-in for the few
  xlwings objects it touches (defined below, built from the demo's cell values as COM would
  deliver them).  What this cannot show — that real Excel accepts those calls the same way
  (fills, notes, apostrophe-prefixed text, table resizing, the message box) — needs the manual
  check in Windows Excel that the README lists.
"""

from __future__ import annotations

import copy
import hashlib
import re
import shutil
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from openpyxl.workbook.defined_name import DefinedName

from salesxl import api
from salesxl.core.findings import Code, Finding
from salesxl.core.grid import tabulate
from salesxl.core.schema import SHEETS
from salesxl.demo import DEMO_END
from salesxl.errors import BadArguments
from salesxl.excel import buttons
from salesxl.excel.gateway import (
    AS_OF_NAME,
    MONTH_NAME,
    STATUS_NAME,
    FileGateway,
    WorkbookGateway,
    grid_from_values,
    parameter_date,
    parameter_month,
)
from salesxl.excel.xlwings_gateway import FILL, MARKS_SHEET, XlwingsGateway, text_value
from salesxl.io.marking import RESULTS_SHEET
from salesxl.io.reading import read_book
from salesxl.io.results import LEDGER_SHEETS
from salesxl.io.safety import inspect_workbook

# ---------------------------------------------------------------------------------------------
# An in-memory stand-in for the xlwings objects XlwingsGateway uses.
#
# It behaves as Excel does through xlwings in the ways the gateway relies on, and no further:
# values come back as COM delivers them (numbers as floats, dates as datetime, empty as None, a
# single cell as a scalar unless options(ndim=2)); a written string starting with ' is stored
# without it, as text; any other string starting with = would become a formula in Excel, so it
# is recorded in ``formulas`` for the tests to assert there are none; fills, notes, number
# formats, sheets, defined names, Excel Tables, screen_updating and alert live in plain dicts.

_A1 = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


def col_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def col_letters(n: int) -> str:
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def parse_cell(ref: str) -> tuple[int, int]:
    m = _A1.match(ref.strip())
    assert m, ref
    return int(m.group(2)), col_number(m.group(1))


class Font:
    def __init__(self) -> None:
        self.bold = False


class Note:
    def __init__(self, sheet: Sheet, key: tuple[int, int]) -> None:
        self.sheet, self.key = sheet, key

    @property
    def text(self) -> str:
        return self.sheet.notes[self.key]

    @text.setter
    def text(self, value: str) -> None:
        self.sheet.notes[self.key] = value

    def delete(self) -> None:
        del self.sheet.notes[self.key]


class Range:
    def __init__(self, sheet: Sheet, r1: int, c1: int, r2: int | None = None, c2: int | None = None) -> None:
        self.sheet = sheet
        self.r1, self.c1 = r1, c1
        self.r2, self.c2 = (r1 if r2 is None else r2), (c1 if c2 is None else c2)
        self._ndim: int | None = None
        self.font = Font()

    # geometry
    @property
    def row(self) -> int:
        return self.r1

    @property
    def column(self) -> int:
        return self.c1

    @property
    def shape(self) -> tuple[int, int]:
        return self.r2 - self.r1 + 1, self.c2 - self.c1 + 1

    @property
    def last_cell(self) -> Range:
        return Range(self.sheet, self.r2, self.c2)

    @property
    def address(self) -> str:
        a = f"${col_letters(self.c1)}${self.r1}"
        return a if self.shape == (1, 1) else f"{a}:${col_letters(self.c2)}${self.r2}"

    def resize(self, rows: int, cols: int) -> Range:
        return Range(self.sheet, self.r1, self.c1, self.r1 + rows - 1, self.c1 + cols - 1)

    def options(self, ndim: int | None = None, **_: Any) -> Range:
        r = Range(self.sheet, self.r1, self.c1, self.r2, self.c2)
        r._ndim = ndim
        return r

    # values
    @property
    def value(self) -> Any:
        rows = [[self.sheet.cells.get((r, c)) for c in range(self.c1, self.c2 + 1)]
                for r in range(self.r1, self.r2 + 1)]
        if self._ndim == 2:
            return rows
        if self.shape == (1, 1):
            return rows[0][0]
        return rows[0] if self.shape[0] == 1 else [r[0] for r in rows] if self.shape[1] == 1 else rows

    @value.setter
    def value(self, value: Any) -> None:
        rows = value if isinstance(value, list) and value and isinstance(value[0], list) else [[value]]
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                self.sheet.store(self.r1 + i, self.c1 + j, v)
        self.sheet.writes += 1

    # formatting
    @property
    def color(self) -> tuple[int, int, int] | None:
        return self.sheet.colors.get((self.r1, self.c1))

    @color.setter
    def color(self, value: tuple[int, int, int] | None) -> None:
        for r in range(self.r1, self.r2 + 1):
            for c in range(self.c1, self.c2 + 1):
                if value is None:
                    self.sheet.colors.pop((r, c), None)
                else:
                    self.sheet.colors[(r, c)] = tuple(value)

    @property
    def number_format(self) -> str:
        return self.sheet.formats.get(self.c1, "General")

    @number_format.setter
    def number_format(self, value: str) -> None:
        for c in range(self.c1, self.c2 + 1):
            self.sheet.formats[c] = value

    @property
    def note(self) -> Note | None:
        key = (self.r1, self.c1)
        return Note(self.sheet, key) if key in self.sheet.notes else None

    def add_note(self, text: str) -> Note:
        assert self.shape == (1, 1) and (self.r1, self.c1) not in self.sheet.notes
        self.sheet.notes[(self.r1, self.c1)] = text
        return Note(self.sheet, (self.r1, self.c1))


class Table:
    def __init__(self, sheet: Sheet, name: str, ref: str) -> None:
        self.sheet, self.name = sheet, name
        a, b = ref.split(":")
        self.bounds = (*parse_cell(a), *parse_cell(b))

    @property
    def range(self) -> Range:
        return Range(self.sheet, *self.bounds)

    def resize(self, rng: Range) -> None:
        self.bounds = (rng.r1, rng.c1, rng.r2, rng.c2)


class Tables(list):  # type: ignore[type-arg]
    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return next(t for t in self if t.name == key)
        return super().__getitem__(key)


class Sheet:
    def __init__(self, book: Book, name: str) -> None:
        self.book, self.name = book, name
        self.cells: dict[tuple[int, int], Any] = {}
        self.colors: dict[tuple[int, int], tuple[int, ...]] = {}
        self.notes: dict[tuple[int, int], str] = {}
        self.formats: dict[int, str] = {}
        self.text_cells: set[tuple[int, int]] = set()
        self.formulas: list[tuple[int, int, str]] = []
        self.tables = Tables()
        self.visible = True
        self.writes = 0

    def store(self, r: int, c: int, v: Any) -> None:
        if isinstance(v, str) and v.startswith("'"):
            v = v[1:]
            self.text_cells.add((r, c))
        elif isinstance(v, str) and v.startswith("="):
            self.formulas.append((r, c, v))
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            v = float(v)
        if v is None or v == "":
            self.cells.pop((r, c), None)
        else:
            self.cells[(r, c)] = v

    def range(self, a: Any, b: Any = None) -> Range:
        if isinstance(a, tuple):
            r1, c1 = a
            r2, c2 = b if b is not None else a
            return Range(self, r1, c1, r2, c2)
        if ":" in a:
            x, y = a.split(":")
            return Range(self, *parse_cell(x), *parse_cell(y))
        return Range(self, *parse_cell(a))

    def __getitem__(self, ref: str) -> Range:
        return self.range(ref)

    @property
    def used_range(self) -> Range:
        if not self.cells:
            return Range(self, 1, 1)
        rows = [k[0] for k in self.cells]
        cols = [k[1] for k in self.cells]
        return Range(self, min(rows), min(cols), max(rows), max(cols))

    def delete(self) -> None:
        self.book.sheets.items.remove(self)

    def autofit(self, axis: str | None = None) -> None:
        pass

    def values(self) -> list[list[Any]]:
        """The used range as rows (a test helper, not xlwings API)."""
        return self.used_range.options(ndim=2).value


class Sheets:
    def __init__(self, book: Book) -> None:
        self.book = book
        self.items: list[Sheet] = []

    def __iter__(self) -> Any:
        return iter(list(self.items))

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, key: int | str) -> Sheet:
        if isinstance(key, int):
            return self.items[key]
        for s in self.items:
            if s.name.lower() == key.lower():
                return s
        raise KeyError(key)

    def add(self, name: str, before: Sheet | None = None, after: Sheet | None = None) -> Sheet:
        assert name.lower() not in (s.name.lower() for s in self.items), name
        sheet = Sheet(self.book, name)
        at = self.items.index(after) + 1 if after is not None else 0
        self.items.insert(at, sheet)
        return sheet


class Name:
    """A workbook-scoped name; one added through ``names.add`` follows its sheet as Excel's do
    (a rename changes the reference, a deletion makes it ``#REF!``)."""

    def __init__(self, book: Book, sheet: str, ref: str, name: str = "", target: Sheet | None = None) -> None:
        self.book, self.sheet, self.ref, self.name, self.target = book, sheet, ref, name, target

    @property
    def refers_to_range(self) -> Range:
        return self.book.sheets[self.sheet].range(self.ref)

    @property
    def refers_to(self) -> str:
        if self.target is None:
            return f"='{self.sheet}'!{self.ref}"
        if self.target not in self.book.sheets.items:
            return f"=#REF!{self.ref}"
        return "='" + self.target.name.replace("'", "''") + "'!" + self.ref

    def delete(self) -> None:
        del self.book.names.items[self.name]


class Names:
    def __init__(self) -> None:
        self.items: dict[str, Name] = {}
        self.book: Book | None = None

    def contains(self, name: str) -> bool:
        return name in self.items

    def __call__(self, name: str) -> Name:
        return self.items[name]

    def __iter__(self) -> Any:
        return iter(list(self.items.values()))

    def add(self, name: str, refers_to: str) -> Name:
        assert self.book is not None
        m = re.fullmatch(r"='((?:[^']|'')+)'!(\S+)", refers_to)
        assert m, refers_to
        target = self.book.sheets[m.group(1).replace("''", "'")]
        self.items[name] = Name(self.book, target.name, m.group(2), name, target)
        return self.items[name]


class App:
    def __init__(self) -> None:
        self.screen_updating = True
        self.alerts: list[tuple[str, str | None, str | None]] = []

    def alert(self, prompt: str, title: str | None = None, buttons: str = "ok", mode: str | None = None,
              callback: str | None = None) -> str:
        self.alerts.append((prompt, title, mode))
        return "ok"


class Book:
    def __init__(self, fullname: str) -> None:
        self.fullname = fullname
        self.name = Path(fullname).name
        self.sheets = Sheets(self)
        self.names = Names()
        self.names.book = self
        self.app = App()

    def define(self, name: str, sheet: str, ref: str) -> None:
        self.names.items[name] = Name(self, sheet, ref)


def _com_value(v: Any) -> Any:
    """A cell value as COM hands it to xlwings: numbers are doubles, dates datetimes."""
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v if v != "" else None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, datetime):
        return v
    if isinstance(v, date):
        return datetime(v.year, v.month, v.day)
    return str(v)


#: Each file content's book, as read once (never handed out: callers get a deep copy to change).
_READ: dict[str, Book] = {}


def book_from_file(path: Path) -> Book:
    """The workbook at ``path`` as Excel would show it: cached values, tables, defined names.

    Several tests open the same demo book; reading it takes seconds, so each content is read
    once and every caller gets its own deep copy, named after its own ``path``."""
    key = hashlib.sha256(path.read_bytes()).hexdigest()
    if key not in _READ:
        _READ[key] = _read_book(path)
    book = copy.deepcopy(_READ[key])
    book.fullname, book.name = str(path), path.name
    return book


def _read_book(path: Path) -> Book:
    wb = openpyxl.load_workbook(path, data_only=True, read_only=True)
    tables = {part.name: part.table_refs for part in inspect_workbook(path).sheets}
    book = Book(str(path))
    for ws in wb.worksheets:
        sheet = book.sheets.add(ws.title, after=book.sheets.items[-1] if book.sheets.items else None)
        for r, row in enumerate(ws.iter_rows(values_only=True), start=1):
            for c, value in enumerate(row, start=1):
                v = _com_value(value)
                if v is not None:
                    sheet.cells[(r, c)] = v
        for name, ref in tables.get(ws.title, ()):
            sheet.tables.append(Table(sheet, name, ref))
    for name, defined in wb.defined_names.items():
        for title, ref in defined.destinations:
            book.define(name, title, ref.replace("$", ""))
    return book


# ---------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory, demo_factory: Callable[..., Path]) -> Path:
    d = tmp_path_factory.mktemp("demo")
    demo_factory(d)
    demo_factory(d, clean=True)
    return d


@pytest.fixture
def messy(demo_dir: Path, tmp_path: Path) -> Path:
    return Path(shutil.copy(demo_dir / "demo.xlsx", tmp_path / "销售管理.xlsx"))


@pytest.fixture
def clean(demo_dir: Path, tmp_path: Path) -> Path:
    return Path(shutil.copy(demo_dir / "demo-clean.xlsx", tmp_path / "销售管理.xlsx"))


def _key(findings: list[Any]) -> list[tuple[Any, ...]]:
    return [(f.sheet, f.row, f.column, f.field, f.code.value, f.value) for f in findings]


def _rows(path: Path, sheet: str) -> list[list[Any]]:
    """A sheet of a written file as rows, numbers as floats (as COM would deliver them)."""
    wb = openpyxl.load_workbook(path, data_only=True, read_only=True)
    try:
        rows = [[float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v for v in row]
                for row in wb[sheet].iter_rows(values_only=True)]
    finally:
        wb.close()
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    return rows


def _with_console(path: Path, as_of: Any = None, month: Any = None) -> Path:
    """The workbook with a 控制台 sheet holding the buttons' named cells (as the office
    template defines them)."""
    wb = openpyxl.load_workbook(path)
    ws = wb.create_sheet("控制台", 0)
    ws["A1"], ws["A2"], ws["A3"] = "截止日期", "月份", "状态"
    ws["B1"], ws["B2"] = as_of, month
    for name, ref in ((AS_OF_NAME, "$B$1"), (MONTH_NAME, "$B$2"), (STATUS_NAME, "$B$3")):
        wb.defined_names[name] = DefinedName(name, attr_text=f"'控制台'!{ref}")
    wb.save(path)
    return path


def _fixed_today(monkeypatch: pytest.MonkeyPatch, day: date) -> None:
    class Today(date):
        @classmethod
        def today(cls) -> date:  # type: ignore[override]
            return day

    monkeypatch.setattr(buttons, "date", Today)


# ---------------------------------------------------------------------------------------------
# The live reading path is the file reader


@pytest.mark.parametrize("name", ["demo.xlsx", "demo-clean.xlsx"])
def test_values_as_xlwings_returns_them_read_like_the_file(demo_dir: Path, name: str) -> None:
    path = demo_dir / name
    on_disk = read_book(path)
    live = XlwingsGateway(book_from_file(path)).read_book()
    assert list(live.tables) == list(on_disk.tables)
    for sheet, table in on_disk.tables.items():
        got = live.tables[sheet]
        assert (got.sheet, got.header_row, got.letters) == (table.sheet, table.header_row, table.letters)
        pd.testing.assert_frame_equal(got.frame, table.frame)
    assert live.settings == on_disk.settings
    assert _key(live.findings) == _key(on_disk.findings)


def test_grid_from_values_reads_floats_dates_serials_errors_and_blanks() -> None:
    """The shapes COM hands over: 1001.0 for an id typed as a number, a phone typed as a number,
    datetimes, a date typed as its serial number, an error cell as text, empty cells."""
    values = [
        ["XX公司客户档案", None, None, None, None, None],
        ["客户编号", "客户名称", "客户性质", "联系电话", "成立日期", "信用额度"],
        [1001.0, "甲公司", "一般公司", 13812345678.0, datetime(2020, 5, 1), 50000.0],
        ["KH2", "乙公司", "个人", "0571-88123456", 43952.0, "1.2万"],
        [None, None, None, None, None, None],
        ["KH3", "丙公司", "一般公司", None, "2020年5月3日", "#N/A"],
    ]
    grid = grid_from_values(values, first_row=3, first_col=2)
    assert grid.first_row == 1 and grid.col_index == [1, 2, 3, 4, 5, 6]
    table, findings = tabulate(SHEETS["客户档案"], "客户档案", grid)
    assert table.header_row == 4 and table.letter("客户编号") == "B"
    f = table.frame
    assert f["_row"].tolist() == [5, 6, 8]
    assert f["客户编号"].tolist() == ["1001", "KH2", "KH3"]
    assert f["联系电话"].tolist()[:2] == ["13812345678", "0571-88123456"]
    assert [str(d)[:10] for d in f["成立日期"]] == ["2020-05-01", "2020-05-01", "2020-05-03"]
    assert f["信用额度"].tolist()[:2] == [5_000_000, 1_200_000]
    assert [(x.row, x.column, x.field, x.code) for x in findings] == [
        (4, None, "业务员", Code.MISSING_COLUMN), (8, "G", "信用额度", Code.BAD_TYPE)]


def test_grid_from_values_single_cell_and_table_headers() -> None:
    assert grid_from_values(None).columns[0].to_pylist() == [None]
    grid = grid_from_values([[1.0, "a"]], first_row=6, first_col=3, headers=["数量", "产品", "单价"])
    assert grid.headers == ["数量", "产品", "单价"] and grid.first_row == 6
    assert [c.to_pylist() for c in grid.columns] == [["1"], ["a"], [None]]


# ---------------------------------------------------------------------------------------------
# Parameters


def test_parameters_accept_what_a_cell_holds() -> None:
    day = date(2026, 10, 31)
    for v in (datetime(2026, 10, 31), 46326.0, "2026-10-31", "2026/10/31", "2026年10月31日", "20261031"):
        assert parameter_date(v) == day
    assert parameter_date(None) is None and parameter_date("　") is None
    for v in ("2026-10", "2026年10月", datetime(2026, 10, 17), "2026-10-31 00:00:00"):
        assert parameter_month(v) == date(2026, 10, 1)
    with pytest.raises(BadArguments, match="salesxl_as_of"):
        parameter_date("下月底")
    with pytest.raises(BadArguments, match="不是月份"):
        parameter_month("十月")


def test_named_cells_drive_the_buttons(clean: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _with_console(clean, as_of=datetime(2026, 9, 30), month="2026-09")
    g = FileGateway(clean, out=tmp_path / "out.xlsx")
    assert g.read_name(AS_OF_NAME) == "2026-09-30 00:00:00"
    assert g.read_name("SALESXL_MONTH") == "2026-09"
    assert g.read_name(STATUS_NAME) is None and g.read_name("no_such_name") is None
    assert buttons.run_validate(g).as_of == date(2026, 9, 30)
    result = buttons.run_summary(g, out_dir=tmp_path)
    assert result.month == date(2026, 9, 1) and result.written == tmp_path / "月报-2026-09.xlsx"


def test_blank_named_cells_mean_today_and_last_month(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    small = tmp_path / "small.xlsx"
    openpyxl.Workbook().save(small)
    _with_console(small)
    _fixed_today(monkeypatch, date(2026, 1, 15))
    g = FileGateway(small)
    assert buttons.as_of_date(g) == date(2026, 1, 15)
    assert buttons.report_month(g) == date(2025, 12, 1)
    assert buttons.as_of_date(g, date(2026, 3, 1)) == date(2026, 3, 1)


# ---------------------------------------------------------------------------------------------
# Buttons end to end on files


def test_file_gateway_is_a_gateway(clean: Path) -> None:
    assert isinstance(FileGateway(clean), WorkbookGateway)
    assert isinstance(XlwingsGateway(book_from_file(clean)), WorkbookGateway)


def test_validate_button_marks_the_workbook(messy: Path, tmp_path: Path) -> None:
    before = messy.read_bytes()
    out = tmp_path / "校验.xlsx"
    g = FileGateway(messy, out=out)
    report = buttons.run_validate(g, DEMO_END)
    expected = api.validate(messy, as_of=DEMO_END)
    assert report.to_json() == expected.to_json() and report.errors > 0
    assert messy.read_bytes() == before and g.written == [out]
    assert "校验完成" in g.messages[-1][0] and f"错误 {report.errors} 处" in g.messages[-1][0]
    wb = openpyxl.load_workbook(out)
    assert wb[RESULTS_SHEET].max_row == len(report.findings) + 1
    marked = next(f for f in report.findings if f.column and f.row and f.severity.value == "error"
                  and f.sheet in wb.sheetnames)
    cell = wb[marked.sheet][f"{marked.column}{marked.row}"]
    assert cell.fill.fgColor.rgb == "FFFFC7CE"
    assert marked.message("zh") in cell.comment.text


def test_validate_button_on_a_clean_book(clean: Path, tmp_path: Path) -> None:
    g = FileGateway(clean, out=tmp_path / "校验.xlsx")
    report = buttons.run_validate(g, DEMO_END)
    assert report.findings == [] and g.messages == [("校验完成（截至 2026-10-31）：没有发现问题", False)]
    assert RESULTS_SHEET not in openpyxl.load_workbook(g.written[-1]).sheetnames


def test_classify_button_writes_out_columns_and_sheets(clean: Path, tmp_path: Path) -> None:
    g = FileGateway(clean, out=tmp_path / "分类.xlsx")
    result = buttons.run_classify(g, DEMO_END)
    _, expected = api.classify_to_book(clean, as_of=DEMO_END, out=tmp_path / "cli.xlsx")
    ours = read_book(g.written[-1])
    cli = read_book(expected.written)
    pd.testing.assert_frame_equal(ours["客户档案"].frame, cli["客户档案"].frame)
    levels = ours["客户档案"].frame["客户等级"]
    assert levels.notna().all() and set(levels) <= {"主要客户", "一般客户", "零散客户"}
    names = openpyxl.load_workbook(g.written[-1], read_only=True).sheetnames
    assert {"路线", "信用建议", "信用政策"} <= set(names)
    assert len(result.customers) == 400 and "分类完成" in g.messages[-1][0]


def test_offset_button_writes_the_ledger_sheets(clean: Path, tmp_path: Path) -> None:
    g = FileGateway(clean, out=tmp_path / "冲销.xlsx")
    result = buttons.run_offset(g, DEMO_END)
    names = openpyxl.load_workbook(g.written[-1], read_only=True).sheetnames
    assert names[-4:] == list(LEDGER_SHEETS)
    balances = _rows(g.written[-1], "往来余额")
    assert len(balances) == len(result.customers) + 1
    header = balances[0]
    first = result.customers.iloc[0]
    row = next(r for r in balances[1:] if r[0] == first["customer_id"])
    assert row[header.index("应收余额")] == first["receivable"] / 100
    total = sum(r[header.index("应收余额")] for r in balances[1:])
    assert round(total * 100) == int(result.customers["receivable"].sum())
    assert "冲销完成" in g.messages[-1][0]


def test_summary_button_writes_a_new_file_beside_the_book(clean: Path, tmp_path: Path) -> None:
    before = clean.read_bytes()
    g = FileGateway(clean)  # read-only: the report is a new file, the book is never written
    result = buttons.run_summary(g, "2026-10")
    target = clean.parent / "月报-2026-10.xlsx"
    assert result.written == target and target.is_file()
    assert clean.read_bytes() == before and g.written == []
    assert len(openpyxl.load_workbook(target, read_only=True).sheetnames) >= 5
    assert str(target) in g.messages[-1][0]


def test_statements_button_writes_one_file_per_customer(clean: Path) -> None:
    g = FileGateway(clean)
    paths = buttons.run_statements(g, DEMO_END)
    folder = clean.parent / "对账单-2026-10-31"
    assert paths and all(p.parent == folder and p.is_file() for p in paths)
    assert sorted(folder.iterdir()) == sorted(paths)
    assert openpyxl.load_workbook(paths[0], read_only=True).sheetnames
    assert f"{len(paths)} 份" in g.messages[-1][0]


def test_buttons_in_sequence_build_on_each_other(clean: Path, tmp_path: Path) -> None:
    out = tmp_path / "结果.xlsx"
    g = FileGateway(clean, out=out)
    buttons.run_classify(g, DEMO_END)
    buttons.run_offset(g, DEMO_END)
    assert g.written == [out, out] and not list(tmp_path.glob(".*salesxl-tmp*"))
    book = read_book(out)
    assert book["客户档案"].frame["客户等级"].notna().all()
    names = openpyxl.load_workbook(out, read_only=True).sheetnames
    assert {"路线", "信用建议", *LEDGER_SHEETS} <= set(names)


def test_in_place_keeps_a_backup(clean: Path) -> None:
    g = FileGateway(clean, in_place=True)
    buttons.run_offset(g, DEMO_END)
    assert g.written == [clean]
    assert "往来余额" in openpyxl.load_workbook(clean, read_only=True).sheetnames
    assert len(list(clean.parent.glob("*.备份-*.xlsx"))) == 1


def test_a_read_only_gateway_refuses_to_write(clean: Path) -> None:
    with pytest.raises(BadArguments):
        buttons.run_offset(FileGateway(clean), DEMO_END)
    with pytest.raises(BadArguments):
        FileGateway(clean, out=clean.with_name("x.xlsx"), in_place=True)


# ---------------------------------------------------------------------------------------------
# The live gateway's call sequence, against the stand-in


def _no_formulas(book: Book) -> None:
    assert [s.formulas for s in book.sheets if s.formulas] == []


def test_live_validate_marks_cells_and_a_rerun_undoes_them(messy: Path) -> None:
    book = book_from_file(messy)
    sheet = book.sheets["客户档案"]
    gw = XlwingsGateway(book)
    report = buttons.run_validate(gw, DEMO_END)
    assert _key(report.findings) == _key(api.validate(messy, as_of=DEMO_END).findings)
    cells = {(f.sheet, f.column, f.row) for f in report.findings if f.row and f.column}
    # a user's own fill and note on a marked cell survive the marks
    target = next(f for f in report.findings if f.sheet == "客户档案" and f.row and f.column)
    rc = (target.row, target.column)
    from_letters = (rc[0], sum((ord(ch) - 64) * 26**i for i, ch in enumerate(reversed(rc[1]))))
    gw.write_marks([])
    sheet.notes[from_letters] = "用户自己的批注"
    sheet.colors[from_letters] = (1, 2, 3)
    colors = {s.name: dict(s.colors) for s in book.sheets}
    notes = {s.name: dict(s.notes) for s in book.sheets}

    marked = gw.write_marks(report.findings)
    assert marked == len(cells)
    assert sheet.colors[from_letters] == FILL[target.severity]
    assert sheet.notes[from_letters].startswith(target.message("zh"))
    assert sheet.notes[from_letters].endswith("用户自己的批注")
    results = book.sheets[RESULTS_SHEET].values()
    assert results[0] == ["工作表", "行", "列", "字段", "值", "级别", "代码", "说明"]
    assert len(results) == len(report.findings) + 1
    assert not book.sheets[MARKS_SHEET].visible
    _no_formulas(book)

    gw.write_marks(report.findings)  # the same marks again: nothing doubles
    assert sheet.notes[from_letters].count(target.message("zh")) == 1
    gw.write_marks([])  # a clean run: everything as it was
    assert {s.name: dict(s.colors) for s in book.sheets} == colors
    assert {s.name: dict(s.notes) for s in book.sheets} == notes
    assert RESULTS_SHEET not in [s.name for s in book.sheets]
    assert MARKS_SHEET not in [s.name for s in book.sheets]
    assert book.app.screen_updating


def test_live_offset_writes_the_same_sheets_as_the_file(clean: Path, tmp_path: Path) -> None:
    book = book_from_file(clean)
    buttons.run_offset(XlwingsGateway(book), DEMO_END)
    g = FileGateway(clean, out=tmp_path / "冲销.xlsx")
    buttons.run_offset(g, DEMO_END)
    assert [s.name for s in book.sheets][-4:] == list(LEDGER_SHEETS)
    for name in LEDGER_SHEETS:
        live = book.sheets[name].values()
        assert live == _rows(g.written[-1], name), name
    assert book.sheets["往来余额"].formats  # amounts formatted #,##0.00
    assert "#,##0.00" in book.sheets["往来余额"].formats.values()
    _no_formulas(book)
    buttons.run_offset(XlwingsGateway(book), DEMO_END)  # a re-run replaces, never duplicates
    assert [s.name for s in book.sheets].count("往来余额") == 1


def test_live_classify_patches_only_the_out_columns(clean: Path, tmp_path: Path) -> None:
    book = book_from_file(clean)
    sheet = book.sheets["客户档案"]
    before = dict(sheet.cells)
    buttons.run_classify(XlwingsGateway(book), DEMO_END)
    g = FileGateway(clean, out=tmp_path / "分类.xlsx")
    buttons.run_classify(g, DEMO_END)
    expected = _rows(g.written[-1], "客户档案")
    header_row = read_book(clean)["客户档案"].header_row
    assert header_row is not None
    header = expected[header_row - 1]
    out_cols = {j + 1 for j, h in enumerate(header) if h in ("片区", "路线", "拜访顺序", "客户等级", "客户状态", "信用等级")}
    for (r, c), v in before.items():
        if c not in out_cols:
            assert sheet.cells.get((r, c)) == v
    for c in out_cols:
        for r in range(header_row, len(expected) + 1):
            assert sheet.cells.get((r, c)) == expected[r - 1][c - 1], (r, c)
    for name in ("路线", "信用建议", "信用政策"):
        assert book.sheets[name].values() == _rows(g.written[-1], name), name
    _no_formulas(book)


def test_live_entry_points_report_in_the_workbook(clean: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    xw = pytest.importorskip("xlwings")
    book = book_from_file(_with_console(clean, as_of="2026-10-31"))
    monkeypatch.setattr(xw.Book, "caller", classmethod(lambda cls: book))
    buttons.offset()
    status = book.sheets["控制台"].range("B3").value
    assert "冲销完成（截至 2026-10-31）" in status and book.app.alerts == []

    book.sheets["控制台"].range("B1").value = "下月底"
    buttons.validate()  # a bad parameter: a sentence in the workbook, no exception
    assert "不是日期" in book.sheets["控制台"].range("B3").value
    assert book.app.alerts[-1][1:] == ("salesxl", "critical")

    book.sheets["控制台"].range("B1").value = None
    book.sheets["客户档案"].delete()
    buttons.classify()
    assert "客户档案" in book.app.alerts[-1][0]


def test_live_v11_buttons_write_what_the_file_gateway_writes(clean: Path, tmp_path: Path) -> None:
    """档案完整度 (a sheet of the book) and 合同执行 (a new file beside it) through the xlwings
    translation: the same sheet and the same file as through FileGateway, nothing else touched."""
    book = book_from_file(clean)
    before = [s.name for s in book.sheets]
    live = XlwingsGateway(book)
    buttons.run_cards(live, DEMO_END)
    g = FileGateway(clean, out=tmp_path / "档案.xlsx")
    buttons.run_cards(g, DEMO_END)
    assert [s.name for s in book.sheets] == [*before, "档案完整度"]
    assert len(book.sheets["档案完整度"].values()) > 100  # summary lines, then the cards to complete
    assert book.sheets["档案完整度"].values() == _rows(g.written[-1], "档案完整度")
    _no_formulas(book)
    result = buttons.run_contracts(live, DEMO_END)
    assert result.written == clean.parent / "合同执行-2026-10-31.xlsx"
    assert result.written.read_bytes() == buttons.run_contracts(g, DEMO_END, out_dir=tmp_path).written.read_bytes()


def test_text_values_stay_text() -> None:
    assert text_value("=SUM(A1)") == "'=SUM(A1)" and text_value("001") == "'001"
    assert text_value(None) is None and text_value("") is None


def test_output_folder(clean: Path) -> None:
    assert XlwingsGateway(book_from_file(clean)).output_folder() == clean.parent
    unsaved = Book("工作簿1")
    assert XlwingsGateway(unsaved).output_folder() == Path.home()
    assert FileGateway(clean, folder=Path("/x")).output_folder() == Path("/x")


def test_live_writes_keep_the_users_own_result_named_sheets(clean: Path) -> None:
    """In Excel as in a file: only sheets salesxl wrote (its defined-name mark) are replaced; a
    user's own 校验结果 or 往来余额 stays, ours goes beside it and the workbook says so."""
    book = book_from_file(clean)
    for name in (RESULTS_SHEET, "往来余额"):
        own = book.sheets.add(name, after=book.sheets[len(book.sheets) - 1])
        own.store(1, 1, f"我的{name}")
    book.sheets.add("状态", after=book.sheets[0])
    book.define(STATUS_NAME, "状态", "A1")
    gw = XlwingsGateway(book)
    findings = [Finding(sheet="客户档案", row=3, column="B", field="客户名称", value="x", code=Code.MISSING_VALUE)]
    gw.write_marks(findings)
    names = [s.name for s in book.sheets]
    assert "校验结果(2)" in names and book.sheets[RESULTS_SHEET].cells[(1, 1)] == f"我的{RESULTS_SHEET}"
    assert "「校验结果(2)」" in book.sheets["状态"].cells[(1, 1)]
    buttons.run_offset(gw, DEMO_END)
    assert "往来余额(2)" in [s.name for s in book.sheets]
    assert book.sheets["往来余额"].cells[(1, 1)] == "我的往来余额"

    # re-runs replace ours only; our sheet renamed by the user is theirs from then on
    gw.write_marks(findings)
    buttons.run_offset(gw, DEMO_END)
    names = [s.name for s in book.sheets]
    assert names.count("校验结果(2)") == names.count("往来余额(2)") == 1 and "校验结果(3)" not in names
    book.sheets["往来余额(2)"].name = "三月往来"
    buttons.run_offset(gw, DEMO_END)
    names = [s.name for s in book.sheets]
    assert "三月往来" in names and "往来余额(2)" in names
    gw.write_marks([])  # a clean run removes our 校验结果(2) only
    names = [s.name for s in book.sheets]
    assert RESULTS_SHEET in names and "校验结果(2)" not in names
