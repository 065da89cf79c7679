"""The office workbook's v1.1 buttons: 合同执行, 周报, 档案完整度, 回款预测.

Each button is run end to end through :class:`~salesxl.excel.gateway.FileGateway` on the demo
workbook and compared with the command it stands for (``api.contracts``, ``api.weekly``,
``api.cards_to_book``, ``api.forecast``): the same workbook written (byte for byte where the
writer is reproducible, cell for cell otherwise), the same figures in the status line, the
workbook itself untouched where the result is a new file.  What Excel itself does with the
button (xlwings' RunPython, ``Book.caller()``) cannot run here: the Subs and the 控制台 wiring
are checked in tests/test_office.py on the built ``.xlsm``.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.workbook.defined_name import DefinedName

from salesxl import api
from salesxl.core.forecast import summary_line
from salesxl.core.money import fen_to_decimal
from salesxl.demo import DEMO_END, build_demo
from salesxl.errors import BadArguments
from salesxl.excel import buttons, office
from salesxl.excel.gateway import AS_OF_NAME, MONTH_NAME, STATUS_NAME, FileGateway


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("demo")
    build_demo(d, clean=True)
    return d


@pytest.fixture
def book(demo_dir: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "office"
    folder.mkdir()
    return Path(shutil.copy(demo_dir / "demo-clean.xlsx", folder / "销售管理.xlsx"))


def _with_console(path: Path, as_of: Any = None) -> Path:
    """The workbook with the 控制台 named cells of the office template."""
    wb = openpyxl.load_workbook(path)
    ws = wb.create_sheet("控制台", 0)
    ws["B1"] = as_of
    for name, ref in ((AS_OF_NAME, "$B$1"), (MONTH_NAME, "$B$2"), (STATUS_NAME, "$B$3")):
        wb.defined_names[name] = DefinedName(name, attr_text=f"'控制台'!{ref}")
    wb.save(path)
    return path


def _values(path: Path, only: str | None = None) -> dict[str, list[tuple[Any, ...]]]:
    """Every sheet's (or sheet ``only``'s) cell values, by sheet name in workbook order."""
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return {ws.title: list(ws.iter_rows(values_only=True)) if only in (None, ws.title) else []
                for ws in wb.worksheets}
    finally:
        wb.close()


def _yuan(fen: int) -> str:
    """Money as the status lines write it."""
    return f"{fen_to_decimal(int(fen)):,.2f} 元"


def test_every_new_button_is_on_the_console_with_its_entry_point() -> None:
    entries = {b.entry: b for b in office.BUTTONS}
    for entry, caption in (("contracts", "合同执行"), ("weekly", "周报"), ("cards", "档案完整度"),
                           ("forecast", "回款预测")):
        assert entries[entry].caption == caption and entries[entry].macro.startswith("Salesxl_")
        assert callable(getattr(buttons, entry)) and callable(getattr(buttons, f"run_{entry}"))
    assert len(office.BUTTONS) == 12 and office.BUTTONS[-1].macro == "Salesxl_ImportFunctions"
    assert "review" not in entries  # 审核 stays a command (see salesxl.excel.buttons)


def test_contracts_button_writes_the_commands_workbook_beside_the_book(book: Path, tmp_path: Path) -> None:
    before = book.read_bytes()
    g = FileGateway(book)
    result = buttons.run_contracts(g, DEMO_END)
    target = book.parent / "合同执行-2026-10-31.xlsx"
    assert result.as_of == DEMO_END and result.written == target and target.is_file()
    assert book.read_bytes() == before and g.written == []  # the book is never written to
    cli = api.contracts(book, as_of=DEMO_END, out=tmp_path / "cli.xlsx")
    assert result.contracts.equals(cli.contracts)
    assert target.read_bytes() == Path(cli.written).read_bytes()
    n = cli.counts()
    assert n["contracts"] > 0
    message, error = g.messages[-1]
    assert not error and str(target) in message
    assert (f"合同 {n['contracts']} 份，即将到期 {n['expiring']} 份，已逾期 {n['overdue']} 份，"
            f"超合同执行 {n['over']} 份") in message


def test_weekly_button_writes_the_commands_workbook(book: Path, tmp_path: Path) -> None:
    g = FileGateway(book)
    result = buttons.run_weekly(g, "2026-W44", out_dir=tmp_path / "out")
    target = tmp_path / "out" / "周报-2026-W44.xlsx"
    assert result.week == "2026-W44" and result.written == target and target.is_file()
    cli = api.weekly(book, week="2026-W44", out=tmp_path / "cli.xlsx")
    assert result.people.equals(cli.people)
    assert _values(target) == _values(Path(cli.written))
    t = cli.team()
    assert t["visits"] > 0
    message = g.messages[-1][0]
    assert f"业务员 {len(cli.people)} 人，拜访 {t['visits']} 次，销售 {_yuan(t['sales'])}，" in message
    assert f"回款 {_yuan(t['collections'])}，签订合同 {t['contracts_signed']} 份" in message and str(target) in message


def test_the_week_is_the_as_of_dates_or_last_week(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    small, dated = tmp_path / "small.xlsx", tmp_path / "dated.xlsx"
    for path in (small, dated):
        openpyxl.Workbook().save(path)
    _with_console(small)
    _with_console(dated, datetime(2026, 10, 28))  # a Wednesday of 2026-W44
    assert buttons.weekly_key(FileGateway(dated)) == "2026-W44"
    assert buttons.weekly_key(FileGateway(dated), "2026w40") == "2026-W40"  # given: as typed

    class Today(date):
        @classmethod
        def today(cls) -> date:  # type: ignore[override]
            return date(2026, 1, 5)  # Monday of 2026-W02

    monkeypatch.setattr(buttons, "date", Today)
    assert buttons.weekly_key(FileGateway(small)) == "2026-W01"
    with pytest.raises(BadArguments):
        buttons.weekly_key(FileGateway(small), "2025-W53")  # 2025 has 52 ISO weeks


def test_cards_button_writes_the_same_sheet_as_the_command(book: Path, tmp_path: Path) -> None:
    g = FileGateway(book, out=tmp_path / "结果.xlsx")
    result = buttons.run_cards(g, DEMO_END)
    cli, _ = api.cards_to_book(book, as_of=DEMO_END, out=tmp_path / "cli.xlsx")
    assert result.cards.equals(cli.cards)
    ours, theirs = _values(g.written[-1], "档案完整度"), _values(tmp_path / "cli.xlsx", "档案完整度")
    assert ours["档案完整度"] == theirs["档案完整度"]
    assert list(ours) == list(theirs)
    c = cli.cards
    message = g.messages[-1][0]
    assert f"客户档案卡 {len(c)} 张" in message and "「档案完整度」" in message
    assert f"的现有与新客户 {int(c['incomplete'].sum())} 张" in message
    assert f"天未更新的 {int(c['stale'].sum())} 张" in message


def test_cards_button_in_place_keeps_a_backup_and_replaces_its_sheet(book: Path) -> None:
    g = FileGateway(book, in_place=True)
    buttons.run_cards(g, DEMO_END)
    buttons.run_cards(g, DEMO_END)  # a second click replaces the sheet, it does not add one
    names = openpyxl.load_workbook(book, read_only=True).sheetnames
    assert names.count("档案完整度") == 1 and "客户档案" in names
    assert list(book.parent.glob("*.备份-*.xlsx"))  # the first click backed the book up


def test_forecast_button_writes_the_commands_workbook(book: Path, tmp_path: Path) -> None:
    before = book.read_bytes()
    g = FileGateway(book)
    result = buttons.run_forecast(g, DEMO_END)
    target = book.parent / "回款预测-2026-10-31.xlsx"
    assert result.written == target and target.is_file() and book.read_bytes() == before
    cli = api.forecast(book, as_of=DEMO_END, out=tmp_path / "cli.xlsx")
    assert target.read_bytes() == Path(cli.written).read_bytes()
    s = summary_line(cli)
    assert s["open"] > 0 and summary_line(result) == s
    message = g.messages[-1][0]
    assert (f"应收余额 {_yuan(s['open'])}，未来 8 周预计回款 {_yuan(s['weeks'])}，"
            f"未来 3 个月预计回款 {_yuan(s['months'])}，存疑 {_yuan(s['doubtful'])}") in message
    assert str(target) in message


def test_a_book_without_the_sheet_stops_with_one_sentence(tmp_path: Path) -> None:
    small = tmp_path / "small.xlsx"
    openpyxl.Workbook().save(small)
    g = FileGateway(small)
    for run, word in ((buttons.run_contracts, "合同"), (buttons.run_weekly, "拜访"), (buttons.run_cards, "客户档案")):
        with pytest.raises(BadArguments) as caught:
            run(g)
        assert word in caught.value.message("zh")
    assert [p.name for p in tmp_path.iterdir()] == ["small.xlsx"]  # nothing written beside it
