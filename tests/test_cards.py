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
    # the feedback lists 张三's incomplete cards, after the merge (K2: name + 3 groups fields = 16%)
    todo = openpyxl.load_workbook(tmp_path / "out" / "反馈-张三.xlsx")["档案待完善"]
    rows = [r[:4] for r in todo.iter_rows(min_row=2, values_only=True)]
    assert rows == [("K2", "宁波乙公司", None, "16%"), ("K1", "杭州甲商贸有限公司", None, "52%")]


def _json(obj: Any) -> Any:
    return json.loads(json.dumps(obj, ensure_ascii=False))


# --------------------------------------------------------------------------------------------
# 2. Completeness


def test_completeness_by_hand(book: Path) -> None:
    """K1 fills 13 of the 25: 客户名称 联系电话 地址 负责人 成立日期 资产规模(0) · 服务区域 销售队伍(0)
    发展潜力 公司规模 · 合作态度 · 经营现状 信誉评价."""
    doc = _json(api.cards(book, as_of=AS_OF).to_json())
    assert doc["as_of"] == "2026-10-31"
    cards = {c["customer_id"]: c for c in doc["cards"]}
    assert list(cards) == ["K1", "K2", "K3", "K4"]
    k1 = cards["K1"]
    assert (k1["status"], k1["completeness"], k1["stale"]) == ("current", 0.52, False)
    assert k1["missing"] == {"基本信息": ["经营经理", "法定代表人", "首次交易日期", "组织类型", "行业"],
                             "客户特征": ["经营理念", "经营方针", "经营特点"], "业务状况": ["主要竞争对手", "人员素质"],
                             "交易活动": ["存在问题", "应对计划"]}
    assert (cards["K2"]["status"], cards["K2"]["completeness"]) == ("prospect", 0.04)  # the name alone
    assert (cards["K3"]["status"], cards["K3"]["completeness"]) == ("past", 0.2)
    assert (cards["K4"]["status"], cards["K4"]["completeness"]) == ("new", 0.16)  # 销售队伍 3, 发展潜力, name, phone
    assert sum(len(v) for v in cards["K4"]["missing"].values()) == 21
    result = api.cards(book, as_of=AS_OF)
    assert result.cards.set_index("customer_id")["incomplete"].to_dict() == {"K1": True, "K2": False, "K3": False,
                                                                             "K4": True}


def test_settings_and_stale(tmp_path: Path) -> None:
    """参数 档案更新天数 30 makes K1 (updated 60 days before D) stale; 档案完整度目标 50% lets its 0.52
    pass; a current card without 更新日期 is stale too."""
    cards = [row[:] for row in CARDS]
    cards[3][CARD_HEADERS.index("更新日期")] = None
    path = write_book(tmp_path / "参数.xlsx", cards, settings=[["档案更新天数", 30], ["档案完整度目标", "50%"]])
    result = api.cards(path, as_of=AS_OF)
    c = result.cards.set_index("customer_id")
    assert c.loc["K1", "stale"] and not c.loc["K1", "incomplete"]
    assert not c.loc["K4", "stale"]  # new, not current: never stale
    far = api.cards(path, as_of=date(2027, 3, 31)).cards.set_index("customer_id")
    assert far.loc["K1", "status"] == "current" and far.loc["K1", "stale"]


def test_cards_cli_json_and_sheet(book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from salesxl.cli import run

    assert run(["cards", str(book), "--as-of", "2026-10-31", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc == _json(api.cards(book, as_of=AS_OF).to_json())
    out = tmp_path / "完整度.xlsx"
    assert run(["cards", str(book), "--as-of", "2026-10-31", "--out", str(out)]) == 0
    ws = openpyxl.load_workbook(out)["档案完整度"]
    rows = [r for r in ws.iter_rows(min_row=2, values_only=True)]
    head = [c.value for c in ws[1]]
    at = {h: i for i, h in enumerate(head)}
    summary = {(r[at["业务员"]], r[at["客户状态"]]): (r[at["卡片数"]], r[at["平均完整度"]]) for r in rows
               if r[at["类别"]] == "汇总"}
    assert summary[("全部", "现有客户")] == (1, 0.52) and summary[("张三", "潜在客户")] == (1, 0.04)
    todo = [(r[at["业务员"]], r[at["客户编号"]], r[at["缺少的栏目"]]) for r in rows if r[at["类别"]] == "待完善"]
    assert [t[:2] for t in todo] == [("张三", "K1"), ("李四", "K4")]
    assert todo[0][2].startswith("基本信息：经营经理、法定代表人")
    assert ws.oddHeader.center.text.startswith("档案完整度")  # printable: the title on every page
