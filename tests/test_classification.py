"""客户细分 (spec §3 Level, Status, Credit grade): the rules pinned at their boundaries.

The pure functions are checked on arrays with hand-computed answers; the same rules are then
checked end to end on a real ``.xlsx`` written here and read back by the reader, so the window
of 等级统计月数, the 参数 overrides and the 信用政策 table are what a user would type.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesxl.core.classification import (
    DEFAULT_TERMS,
    GradeTerms,
    classify,
    credit_grades,
    levels,
    read_policy,
    statuses,
)
from salesxl.core.validation import validate_book
from salesxl.io.reading import read_book
from test_ledger import write_book

D = dt.date
A80, B95 = Decimal("0.80"), Decimal("0.95")


def lv(net: list[int], ids: list[int] | None = None, a: Decimal = A80, b: Decimal = B95) -> list[str]:
    rank = np.arange(len(net)) if ids is None else np.asarray(ids)
    return list(levels(np.asarray(net, dtype=np.int64), rank, a, b))


# ---------------------------------------------------------------------------------------------
# Level


def test_level_exactly_at_80_percent_is_b() -> None:
    # shares before: 0, 0.5, 0.8 → the third customer is exactly at 80 %: not below, so B
    assert lv([50, 30, 20]) == ["A", "A", "B"]


def test_level_exactly_at_95_percent_is_c() -> None:
    assert lv([80, 15, 5]) == ["A", "B", "C"]


def test_level_just_below_the_bounds() -> None:
    # shares before: 0, 0.7999, 0.9499 → A, A, B, then C at 0.9999
    assert lv([7999, 1500, 500, 1]) == ["A", "A", "B", "C"]


def test_level_ties_go_by_customer_id() -> None:
    # equal net sales: the smaller 客户编号 comes first and takes the A place
    # with A below 45 %, only the first of two customers at 45 % is A
    assert lv([45, 45, 10], ids=[1, 0, 2], a=Decimal("0.45")) == ["B", "A", "B"]
    assert lv([45, 45, 10], ids=[0, 1, 2], a=Decimal("0.45")) == ["A", "B", "B"]


def test_level_zero_and_negative_net_sales_are_c() -> None:
    # total = 100 + 0 - 10 = 90; the customer with 0 and the one with -10 are C
    assert lv([100, 0, -10]) == ["A", "C", "C"]


def test_level_no_positive_total_all_c() -> None:
    assert lv([10, -20]) == ["C", "C"]
    assert lv([0, 0, 0]) == ["C", "C", "C"]
    assert lv([]) == []


def test_level_total_includes_negative_customers() -> None:
    # total = 50 + 40 - 40 = 50: the second customer's share before is 50/50 = 1 → C
    assert lv([50, 40, -40]) == ["A", "C", "C"]


def test_level_huge_amounts_stay_exact() -> None:
    big = 10**17  # beyond int64 once multiplied by the threshold's denominator
    # the second customer's share before is 4e17 / (5e17 + 1), a hair below 0.8: A, although
    # in binary floating point it rounds to exactly 0.8 (which would make it B)
    assert 4 * big / (5 * big + 1) == 0.8
    assert lv([big * 4, big, 1]) == ["A", "A", "C"]


@given(st.lists(st.integers(-10**6, 10**9), min_size=1, max_size=40))
@settings(max_examples=200, deadline=None)
def test_level_matches_a_plain_loop(net: list[int]) -> None:
    """The vectorised rule equals the spec read literally, with exact fractions."""
    order = sorted(range(len(net)), key=lambda i: (-net[i], i))
    total = sum(net)
    expect = ["C"] * len(net)
    before = 0
    for i in order:
        if total > 0 and net[i] > 0:
            share = Fraction(before, total)
            expect[i] = "A" if share < Fraction(4, 5) else "B" if share < Fraction(19, 20) else "C"
        before += net[i]
    assert lv(net) == expect


# ---------------------------------------------------------------------------------------------
# Status

AS_OF = D(2026, 10, 31)


def day(d: dt.date | None) -> int:
    return -1 if d is None else (d - D(1970, 1, 1)).days


def status(first: dt.date | None, last: dt.date | None) -> str:
    return statuses(np.array([day(first)]), np.array([day(last)]), AS_OF, 180, 365)[0]


def test_status_day_boundaries() -> None:
    back = lambda n: AS_OF - dt.timedelta(days=n)  # noqa: E731
    assert status(None, None) == "prospect"
    assert status(back(179), back(179)) == "new"  # 179 < 180
    assert status(back(180), back(180)) == "current"  # 180 is not new any more
    assert status(back(400), back(364)) == "current"  # 364 < 365
    assert status(back(400), back(365)) == "past"  # 365 is not active
    assert status(back(400), None) == "past"  # a first trade typed, no sale
    assert status(back(0), None) == "new"  # first trade today


# ---------------------------------------------------------------------------------------------
# Credit grade


def test_each_credit_grade() -> None:
    days = np.array([0, 1, 30, 31, 90, 91, 1000, 5])
    prospect = np.array([False] * 7 + [True])
    assert list(credit_grades(days, prospect)) == ["A", "B", "B", "C", "C", "D", "D", None]


def test_grade_terms_limit_is_exact_half_up_to_whole_hundreds() -> None:
    terms = GradeTerms("B", Decimal("1.5"), 30, False)
    assert terms.limit_fen(Fraction(1001, 1)) == 0  # 15.015 yuan → 0 百元
    assert terms.limit_fen(Fraction(3_333_400, 1)) == 5_000_000  # 50,001 yuan → 50,000
    assert terms.limit_fen(Fraction(3_336_700, 1)) == 5_010_000  # 50,050.50 yuan → 50,100 (half up)
    assert terms.limit_fen(Fraction(3_333_333, 1)) == 5_000_000  # exactly 49,999.995 yuan → 50,000
    assert terms.limit_fen(Fraction(-5, 1)) == 0
    assert GradeTerms("A", Decimal(3), 60, False).limit_fen(Fraction(1200000, 12)) == 300000
    assert GradeTerms("A", Decimal(3), 60, False).limit_fen(Fraction(1_666_667, 1)) == 5_000_000  # 50,000.01


@given(st.fractions(min_value=0, max_value=10**12), st.sampled_from(["0", "0.5", "1", "2", "3", "1.5"]))
def test_suggested_limits_are_whole_hundreds_nearest_the_exact_limit(avg: Fraction, months: str) -> None:
    limit = GradeTerms("A", Decimal(months), 60, False).limit_fen(avg)
    exact = Fraction(Decimal(months)) * avg
    assert limit % 10_000 == 0 and limit >= 0
    assert abs(limit - exact) <= 5_000


# ---------------------------------------------------------------------------------------------
# End to end on a written workbook

CARDS_HEAD = ["客户编号", "客户名称", "客户性质", "业务员", "首次交易日期", "信用额度", "账期天数",
              "省份", "城市", "区县", "地址", "片区", "纬度", "经度"]
SALES_HEAD = ["日期", "单号", "客户编号", "产品", "数量", "单价", "金额"]
RECEIPTS_HEAD = ["日期", "单号", "客户编号", "金额", "类型"]


def book_rows() -> dict[str, list[list[Any]]]:
    return {
        "客户档案": [
            ["示例公司客户档案"],
            CARDS_HEAD,
            ["K01", "大客户", "一般公司", "张三", None, 100000, 30, "浙江省", "杭州市", "西湖区", "文三路1号", None, 30.27, 120.15],
            ["K02", "中客户", "一般公司", "张三", None, None, None, "浙江省", "杭州市", "西湖区", "文三路2号", None, 30.28, 120.16],
            ["K03", "小客户", "一般公司", "李四", D(2026, 6, 1), None, None, "浙江省", "宁波市", "鄞州区", "中山路3号", None, None, None],
            ["K04", "只退货", "一般公司", "李四", None, None, None, "浙江省", "宁波市", "鄞州区", "中山路4号", "甬南", None, None],
            ["K05", "潜在客户", "一般公司", "王五", None, None, None, "江苏省", "苏州市", None, None, None, None, None],
            ["K06", "老客户", "一般公司", "王五", D(2020, 1, 1), None, None, "上海市", "上海市", None, None, None, None, None],
        ],
        "销售": [
            SALES_HEAD,
            [D(2026, 9, 1), "S1", "K01", "钢材", 10, 800, 8000],
            [D(2026, 9, 2), "S2", "K02", "钢材", 1, 1500, 1500],
            [D(2026, 9, 3), "S3", "K03", "钢材", 1, 500, 500],
            [D(2025, 10, 31), "S0", "K01", "钢材", 1, 99999, 99999],  # exactly 12 months back: out
            [D(2025, 11, 1), "S4", "K01", "钢材", 1, 0.01, 0.01],  # the first day in the window
            [D(2026, 11, 1), "S9", "K02", "钢材", 1, 88888, 88888],  # after the as-of date: out
            [D(2026, 10, 1), "S5", "K04", "钢材", -1, 300, -300],  # a return only
            [D(2026, 10, 2), "S6", "K99", "钢材", 1, 5000, 5000],  # not on 客户档案: listed after the cards
        ],
        "收款": [
            RECEIPTS_HEAD,
            [D(2025, 11, 5), "R0", "K01", 99999, "回款"],
            [D(2026, 9, 10), "R1", "K01", 8000.01, "回款"],
            # K02 does not pay: its 1500 was due 2026-10-02 → 29 days overdue on 2026-10-31: B
        ],
        "业务员": [["业务员", "片区"], ["张三", "浙北片区"], ["李四", None], ["王五", None]],
        "参数": [["名称", "值"], ["每路线客户数", 2]],
    }


@pytest.fixture(scope="module")
def small_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_book(tmp_path_factory.mktemp("cls") / "book.xlsx", book_rows())


def test_classify_small_book_by_hand(small_book: Path) -> None:
    book = read_book(small_book)
    result = classify(book, as_of=AS_OF)
    everyone = result.customers.set_index("customer_id")
    # K99 is only in 销售: listed last, as the ledger lists it — level C (not ranked among the
    # cards), status by its sales, grade by its overdue days, no zone or route
    k99 = everyone.loc["K99"]
    assert list(everyone.index) == ["K01", "K02", "K03", "K04", "K05", "K06", "K99"]
    assert not k99["known"] and k99["row"] == -1 and k99["net_sales"] == 500000
    assert (k99["level"], k99["status"], k99["credit_grade"]) == ("C", "new", "A")
    assert pd.isna(k99["zone"]) and pd.isna(k99["route"]) and pd.isna(k99["customer_name"])
    c = everyone[everyone["known"]]
    # net sales in (2025-10-31, 2026-10-31]: K01 8000.01, K02 1500, K03 500, K04 -300
    assert c.loc["K01", "net_sales"] == 800001
    assert c.loc["K02", "net_sales"] == 150000
    assert c.loc["K03", "net_sales"] == 50000
    assert c.loc["K04", "net_sales"] == -30000
    assert c.loc["K05", "net_sales"] == 0
    # total 9701.01: K01 share before 0 → A; K02 0.8247 → B; K03 0.9793 → C
    assert list(c["level"]) == ["A", "B", "C", "C", "C", "C"]
    # K01 first bought 2025-10-31 (365 days) → current; K02 first bought 2026-09-02 → new;
    # K03 first trade typed 2026-06-01 (152 days) → new; K04 only returned → prospect;
    # K06 typed 2020 and never bought → past
    assert list(c["status"]) == ["current", "new", "new", "prospect", "prospect", "past"]
    # K01 paid in full; K02 29 days overdue; K03's 500 due 2026-10-03 → 28 days; K04 prepaid
    assert [None if pd.isna(g) else g for g in c["credit_grade"]] == ["A", "B", "B", None, None, "A"]
    # zones: 片区, else the salesperson's, else 省份+城市
    assert list(c["zone"]) == ["浙北片区", "浙北片区", "浙江省宁波市", "甬南", "江苏省苏州市", "上海市"]
    # routes of at most 2 (参数 每路线客户数)
    assert c.loc["K01", "route"] == c.loc["K02", "route"]
    assert sorted(c.loc[["K01", "K02"], "stop"]) == [1, 2]
    doc = result.to_json()
    assert doc["as_of"] == "2026-10-31"
    first = doc["customers"][0]
    assert first == {"customer_id": "K01", "net_sales": "8000.01", "level": "A", "status": "current",
                     "credit_grade": "A", "zone": "浙北片区", "route": first["route"], "stop": first["stop"]}
    assert doc["customers"][3]["credit_grade"] is None


def test_suggested_terms_follow_the_default_policy(small_book: Path) -> None:
    c = classify(read_book(small_book), as_of=AS_OF).customers.set_index("customer_id")
    # K01: average 8000.01 / 12 = 666.6675 → 666.67; grade A → 3 × 666.6675 = 2000.0025 → 2000 (百元)
    assert c.loc["K01", "avg_monthly_sales"] == 66667
    assert c.loc["K01", "suggested_limit"] == 200000
    assert c.loc["K01", "suggested_terms"] == 60
    assert not c.loc["K01", "prepayment"]
    assert c.loc["K02", "suggested_limit"] == 30000  # B: 2 × 125.00 = 250 → 300 (百元, half up)
    assert pd.isna(c.loc["K04", "suggested_limit"])  # a prospect: no grade, no terms


def test_settings_and_credit_policy_from_the_workbook(tmp_path: Path) -> None:
    rows = book_rows()
    rows["参数"] += [["A类累计占比", "50%"], ["等级统计月数", 1], ["新客户天数", 30]]
    rows["信用政策"] = [
        ["信用等级", "额度月数", "账期天数", "需预付款", "说明"],
        ["B", 0.5, 7, "是", "收紧"],
        ["B", 9, 9, "否", "重复的行不算"],
        ["X", 1, 1, "否", "未知等级"],
    ]
    path = write_book(tmp_path / "p.xlsx", rows)
    book = read_book(path)
    result = classify(book, as_of=AS_OF)
    c = result.customers.set_index("customer_id")
    # one month back: only October's lines count; K01/K02/K03 had September sales → 0
    assert c.loc["K01", "net_sales"] == 0 and c.loc["K04", "net_sales"] == -30000
    assert set(c["level"]) == {"C"}
    # 新客户天数 30: K03's first trade 2026-06-01 is older → current (bought 2026-09-03)
    assert c.loc["K03", "status"] == "current"
    policy = result.policy
    assert policy.from_book
    assert policy["B"].months == Decimal("0.5") and policy["B"].terms_days == 7 and policy["B"].prepayment
    assert policy["A"] == DEFAULT_TERMS[0]  # a grade the table lacks keeps its default
    codes = {(f.code.value, f.row) for f in validate_book(book, as_of=AS_OF) if f.sheet == "信用政策"}
    assert ("duplicate-id", 3) in codes and ("bad-enum", 4) in codes


def test_policy_defaults_without_a_sheet() -> None:
    policy = read_policy(None)
    assert not policy.from_book
    assert [policy[g].prepayment for g in "ABCD"] == [False, False, False, True]
