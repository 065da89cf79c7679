"""省份 (spec §2 v1.1): one province however it is typed, in every figure that counts by it.

A real workbook is written and read back; 浙江 and 浙江省 must make one zone and one 区域构成
row, 上海 with city 上海 one zone 上海市, a blank 省份 is filled from the USCC's division code
and said so (province_source, the 路线 sheet, the 月报 note), text that names no province is
kept as typed, and no cell the user typed changes.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from salesxl import api
from salesxl.core.classification import classify
from salesxl.core.summary import NO_PROVINCE, monthly_summary
from salesxl.io.reading import read_book
from test_ledger import write_book

pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")

D = dt.date
CARDS: list[list[Any]] = [
    ["客户编号", "客户名称", "客户性质", "统一社会信用代码", "业务员", "省份", "城市"],
    ["C001", "甲公司", "一般公司", "91330100716105852F", "张三", "浙江", "杭州市"],
    ["C002", "乙公司", "一般公司", "91330000747115595T", "张三", "浙江省", "杭州市"],
    ["C003", "丙公司", "一般公司", "91440300708461136T", "张三", None, "深圳市"],
    ["C004", "丁公司", "一般公司", "91310000132149237G", "张三", "上海", "上海"],
    ["C005", "戊公司", "一般公司", "91110000600037341L", "张三", "华东区", "苏州市"],
    ["C006", "己", "个人", None, "张三", None, None],
]
SALES: list[list[Any]] = [
    ["日期", "单号", "客户编号", "产品", "数量", "单价", "金额"],
    *[[D(2026, 3, 1 + i), f"XS{i}", f"C00{i + 1}", "钢材", 1, 100 * (i + 1), 100 * (i + 1)] for i in range(6)],
]
RECEIPTS: list[list[Any]] = [["日期", "单号", "客户编号", "金额", "类型"]]


@pytest.fixture(scope="module")
def book_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_book(tmp_path_factory.mktemp("prov") / "p.xlsx",
                      {"客户档案": CARDS, "销售": SALES, "收款": RECEIPTS})


def test_zones_and_sources(book_path: Path) -> None:
    result = classify(read_book(book_path), as_of=D(2026, 3, 31), plan_routes=False)
    c = result.customers.set_index("customer_id")
    assert c.loc["C001", "zone"] == c.loc["C002", "zone"] == "浙江省杭州市"
    assert c.loc["C004", "zone"] == "上海市"
    assert c.loc["C003", "province"] == "广东省" and c.loc["C003", "zone"] == "广东省深圳市"
    assert c.loc["C005", "province"] == "华东区"
    sources = c["province_source"].fillna("").to_dict()
    assert sources == {"C001": "normalized", "C002": "typed", "C003": "uscc", "C004": "normalized",
                       "C005": "unrecognized", "C006": ""}


def test_region_rows_add_up_by_official_name(book_path: Path) -> None:
    s = monthly_summary(read_book(book_path), D(2026, 3, 1))
    regions = dict(zip(s.regions["province"], s.regions["sales"], strict=True))
    assert regions == {"浙江省": 30000, "广东省": 30000, "上海市": 40000, "华东区": 50000, NO_PROVINCE: 60000}
    assert dict(zip(s.regions["province"], s.regions["buyers_from_uscc"], strict=True))["广东省"] == 1
    assert set(s.to_json()["by_region"]) == set(regions)


def test_written_sheets_say_where_the_province_came_from(book_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "classified.xlsx"
    api.classify_to_book(book_path, as_of=D(2026, 3, 31), out=out)
    wb = openpyxl.load_workbook(out, read_only=True)
    rows = list(wb["路线"].iter_rows(values_only=True))
    head = list(rows[0]) if rows[0][0] == "片区" else list(next(r for r in rows if r and r[0] == "片区"))
    at = {name: head.index(name) for name in ("客户编号", "省份", "省份来源")}
    shown = {r[at["客户编号"]]: (r[at["省份"]], r[at["省份来源"]]) for r in rows if r and r[at["客户编号"]] in
             {"C001", "C002", "C003", "C005"}}
    assert shown == {"C001": ("浙江省", "规范为全称"), "C002": ("浙江省", None), "C003": ("广东省", "由信用代码推断"),
                     "C005": ("华东区", "未能识别，按原文")}
    cards = list(wb[wb.sheetnames[0]].iter_rows(values_only=True))
    assert [r[5] for r in cards[1:]] == [r[5] for r in CARDS[1:]]  # 省份 as typed, untouched
