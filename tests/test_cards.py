"""The card's four content groups (spec v1.1 §2): read and validated, carried through the
salesperson templates and the batch, and the completeness of every card (``salesxl cards``)."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter

from salesxl import api
from salesxl.batch.master import LOG_SHEET
from salesxl.core.schema import CARD_GROUPS
from salesxl.core.templates import CARD_FIELDS, SNAPSHOT_HEADER_ROW, parse_meta
from salesxl.io.reading import read_book

AS_OF = date(2026, 10, 31)

#: The small book's 客户档案: K1 current (bought last month), K2 a prospect, K3 past (last bought
#: in 2024), K4 new (first bought in September).  Group columns filled unevenly.
CARD_HEADERS = ["客户编号", "客户名称", "客户性质", "联系电话", "地址", "负责人", "业务员", "成立日期", "资产规模",
                "服务区域", "销售队伍", "发展潜力", "公司规模", "合作态度", "信誉评价", "经营现状", "信息来源", "更新日期"]
CARDS: list[list[Any]] = [
    ["K1", "杭州甲商贸有限公司", "个人", "13812345678", "杭州市西湖区文三路 1 号", "王甲", "张三", date(2010, 5, 1), 0,
     "浙江", 0, "高", "中型", "积极", "好", "稳定", "业务员", date(2026, 9, 1)],
    ["K2", "宁波乙公司", "个人", None, None, None, "张三", None, None,
     None, None, None, None, None, None, None, None, None],
    ["K3", "温州丙公司", "个人", "13912345678", "温州市鹿城区", None, "李四", None, None,
     "温州", 5, None, None, None, None, None, None, date(2025, 1, 1)],
    ["K4", "绍兴丁公司", "个人", "13712345678", None, None, "李四", None, None,
     None, 3, "中", None, None, None, None, None, None],
]
SALES = [
    [date(2026, 10, 5), "S1", "K1", "甲产品", 10, 100, 1000],
    [date(2025, 6, 1), "S0", "K1", "甲产品", 1, 100, 100],
    [date(2024, 3, 1), "S2", "K3", "甲产品", 5, 100, 500],
    [date(2026, 9, 20), "S3", "K4", "甲产品", 2, 100, 200],
]


def write_book(path: Path, cards: list[list[Any]] = CARDS, headers: list[str] = CARD_HEADERS,
               settings: list[list[Any]] | None = None) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws = wb.add_worksheet("客户档案")
    ws.write_row(0, 0, headers)
    for r, row in enumerate(cards, start=1):
        for c, v in enumerate(row):
            if isinstance(v, date):
                ws.write_datetime(r, c, datetime(v.year, v.month, v.day), day)
            elif v is not None:
                ws.write(r, c, v)
    ws = wb.add_worksheet("销售")
    ws.write_row(0, 0, ["日期", "单号", "客户编号", "产品", "数量", "单价", "金额"])
    for r, row in enumerate(SALES, start=1):
        ws.write_datetime(r, 0, datetime(row[0].year, row[0].month, row[0].day), day)
        ws.write_row(r, 1, row[1:])
    ws = wb.add_worksheet("业务员")
    ws.write_row(0, 0, ["业务员", "片区"])
    ws.write_row(1, 0, ["张三", "杭州"])
    ws.write_row(2, 0, ["李四", "温州"])
    if settings:
        ws = wb.add_worksheet("参数")
        ws.write_row(0, 0, ["名称", "值"])
        for r, row in enumerate(settings, start=1):
            ws.write_row(r, 0, row)
    wb.close()
    return path


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_book(tmp_path_factory.mktemp("cards") / "档案.xlsx")


# --------------------------------------------------------------------------------------------
# 1. Read and validated


def test_groups_are_read_and_validated(tmp_path: Path) -> None:
    bad = [row[:] for row in CARDS]
    bad[0][CARD_HEADERS.index("销售队伍")] = -3
    bad[0][CARD_HEADERS.index("发展潜力")] = "很高"
    bad[2][CARD_HEADERS.index("更新日期")] = date(2026, 12, 1)
    path = write_book(tmp_path / "坏.xlsx", bad)
    t = read_book(path)["客户档案"]
    assert t.frame["公司规模"].iloc[0] == "中型" and t.frame["销售队伍"].iloc[2] == 5
    found = {(f.row, f.field, f.code.value) for f in api.validate(path, as_of=AS_OF).findings}
    assert (2, "销售队伍", "out-of-range") in found
    assert (2, "发展潜力", "bad-enum") in found
    assert (4, "更新日期", "date-order") in found
    assert not {f for f in found if f[0] != 2 and f[1] != "更新日期"}


def test_old_snapshot_without_the_groups_still_parses() -> None:
    """A template issued before v1.1 records 20 columns: its missing fields are not issued."""
    old = list(CARD_FIELDS[:20])
    rows: list[list[Any]] = [["键", "值"], ["模板版本", "1"], ["业务员", "张三"], ["发放时间", "2026-11-01T00:00:00"]]
    rows += [[] for _ in range(SNAPSHOT_HEADER_ROW - 1 - len(rows))]
    rows += [old, ["K1", "张三", "甲"]]
    meta = parse_meta(rows)
    assert meta.snapshot["K1"]["客户名称"] == "甲" and "服务区域" not in meta.snapshot["K1"]


def test_groups_go_through_the_template_and_the_batch(book: Path, tmp_path: Path) -> None:
    master = tmp_path / "master.xlsx"
    master.write_bytes(book.read_bytes())
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    path = api.salesperson_template(master, salesperson="张三", out=inbox / "张三.xlsx", as_of=date(2026, 11, 1))
    wb = openpyxl.load_workbook(path)
    ws = wb["客户档案"]
    col = {ws.cell(2, c).value: c for c in range(1, ws.max_column + 1)}
    assert set(CARD_GROUPS["客户特征"]) <= set(col)
    row = next(r for r in range(3, ws.max_row + 1) if ws.cell(r, 1).value == "K2")
    assert ws.cell(row, col["服务区域"]).protection.locked is False
    ws.cell(row, col["服务区域"]).value = "宁波"
    ws.cell(row, col["销售队伍"]).value = 12
    ws.cell(row, col["发展潜力"]).value = "中"
    ws.cell(row, col["更新日期"]).value = datetime(2026, 11, 20)
    wb.save(path)
    report = api.batch(inbox, master=master, month="2026-10", out=tmp_path / "out", as_of=date(2026, 11, 27),
                       monthly=False, workers=1)
    assert report.master_written, report.to_json()
    f = read_book(master)["客户档案"].frame.set_index("客户编号")
    assert (f.loc["K2", "服务区域"], f.loc["K2", "销售队伍"], f.loc["K2", "发展潜力"]) == ("宁波", 12, "中")
    assert f.loc["K2", "更新日期"].date() == date(2026, 11, 20)
    log = openpyxl.load_workbook(master)[LOG_SHEET]
    logged = {(r[3], r[4], r[6]) for r in log.iter_rows(min_row=2, values_only=True)}
    assert {("K2", "服务区域", "宁波"), ("K2", "销售队伍", "12"), ("K2", "发展潜力", "中")} <= logged


def _json(obj: Any) -> Any:
    return json.loads(json.dumps(obj, ensure_ascii=False))
