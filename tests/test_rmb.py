"""人民币大写: hand-written cases of the People's Bank's rules, and the round trip."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from salesxl.core.rmb import parse_rmb_upper, rmb_upper

CASES = [
    ("0", "零元整"),
    ("0.50", "伍角"),
    ("0.05", "伍分"),
    ("0.55", "伍角伍分"),
    ("1", "壹元整"),
    ("10", "壹拾元整"),
    ("10.05", "壹拾元零伍分"),
    ("10.50", "壹拾元伍角"),
    ("15", "壹拾伍元整"),
    ("101", "壹佰零壹元整"),
    ("105", "壹佰零伍元整"),
    ("110", "壹佰壹拾元整"),
    ("325.04", "叁佰贰拾伍元零肆分"),
    ("1005", "壹仟零伍元整"),
    ("1050", "壹仟零伍拾元整"),
    ("1409.50", "壹仟肆佰零玖元伍角"),
    ("1680.32", "壹仟陆佰捌拾元叁角贰分"),
    ("6007.14", "陆仟零柒元壹角肆分"),
    ("10005", "壹万零伍元整"),
    ("10010", "壹万零壹拾元整"),
    ("12345.67", "壹万贰仟叁佰肆拾伍元陆角柒分"),
    ("16409.02", "壹万陆仟肆佰零玖元零贰分"),
    ("100000.00", "壹拾万元整"),
    ("100050", "壹拾万零伍拾元整"),
    ("105000", "壹拾万伍仟元整"),
    ("107000.53", "壹拾万柒仟元伍角叁分"),
    ("1010000", "壹佰零壹万元整"),
    ("2724163.46", "贰佰柒拾贰万肆仟壹佰陆拾叁元肆角陆分"),
    ("10000000", "壹仟万元整"),
    ("100000000", "壹亿元整"),
    ("100005000", "壹亿零伍仟元整"),
    ("105000000", "壹亿零伍佰万元整"),
    ("150000000", "壹亿伍仟万元整"),
    ("1000000005", "壹拾亿零伍元整"),
    ("1000010000", "壹拾亿零壹万元整"),
    ("1000000000000", "壹万亿元整"),
    ("1000100000000", "壹万零壹亿元整"),
    ("-2.30", "负贰元叁角"),
]


@pytest.mark.parametrize(("amount", "text"), CASES)
def test_hand_written_cases(amount: str, text: str) -> None:
    assert rmb_upper(Decimal(amount)) == text
    assert parse_rmb_upper(text) == Decimal(amount)


def test_int_and_refusals() -> None:
    assert rmb_upper(20) == "贰拾元整"
    for bad in (Decimal("0.001"), Decimal("NaN"), Decimal("Infinity")):
        with pytest.raises(ValueError):
            rmb_upper(bad)


@given(st.integers(min_value=-(10**14), max_value=10**14))
def test_round_trip_and_shape(fen: int) -> None:
    amount = Decimal(fen).scaleb(-2)
    text = rmb_upper(amount)
    assert parse_rmb_upper("人民币" + text) == amount
    assert "零零" not in text and not text.endswith("零") and "元零元" not in text
    assert text.endswith("整") == (fen % 100 == 0)
    assert (text.startswith("零") and text == "零元整") or not text.startswith("零")
    assert text.startswith("负") == (fen < 0)
    assert "拾" not in text or not text.lstrip("负").startswith("拾")  # 壹拾, never a bare 拾
