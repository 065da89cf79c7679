"""Cell coercion (spec §1): every amount, date and text form, exact to the fen."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from salesxl.core import cells
from salesxl.core.money import fen_to_str, floats_to_fen
from salesxl.core.schema import CUSTOMERS, RECEIPTS


def arr(values: list[str | None]) -> pa.Array:
    """Cell text as the reader hands it to the parsers: trimmed, blank as null."""
    return cells.trim(pa.array(values, pa.string()))


def amounts(*texts: str | None) -> list[int | None]:
    col = cells.parse_amount(arr(list(texts)))
    return [None if v is None or v is pa.NA or str(v) == "<NA>" else int(v) for v in col.values.tolist()]


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("1234.5", 123450),
        ("1,234.50", 123450),
        ("¥1,234.50", 123450),
        ("￥1234.5", 123450),
        ("1234.50元", 123450),
        ("RMB 1,234.50", 123450),
        ("CNY1234.5", 123450),
        ("1.2万", 1200000),
        ("1.2万元", 1200000),
        ("１２３４", 123400),
        ("１，２３４．５０", 123450),
        ("1234.5600000000002", 123456),  # float noise from a formula
        ("1.005", 101),  # half-up, as Excel's ROUND shows it
        ("1234.565", 123457),
        ("0.125", 13),
        ("-0.005", -1),  # half-up is away from zero
        ("-1,234.50", -123450),
        ("　12 ", 1200),  # full-width spaces trimmed
        ("0", 0),
    ],
)
def test_amount_forms(text: str, fen: int) -> None:
    assert amounts(text) == [fen]


@pytest.mark.parametrize("text", ["一千二", "abc", "1.2.3", "12-3", "#DIV/0!", "1e20"])
def test_unreadable_amount_is_bad_not_exception(text: str) -> None:
    col = cells.parse_amount(arr([text, "5"]))
    assert col.bad.tolist() == [True, False]
    assert amounts(text, "5") == [None, 500]


def test_blank_amount_is_blank_not_bad() -> None:
    col = cells.parse_amount(arr([None, "", " 　"]))
    assert col.bad.tolist() == [False, False, False]
    assert amounts(None, "", " 　") == [None, None, None]


@given(st.integers(min_value=-(10**13), max_value=10**13))
def test_amount_text_forms_round_trip_exactly(fen: int) -> None:
    plain = fen_to_str(fen)
    sign = "-" if fen < 0 else ""
    q, r = divmod(abs(fen), 100)
    grouped = f"{sign}{q:,}.{r:02d}"
    full_width = plain.translate(str.maketrans("0123456789.-", "０１２３４５６７８９．－"))
    assert amounts(plain, grouped, f"¥{grouped}", full_width) == [fen] * 4


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_float_cells_round_to_the_same_fen(fen: int) -> None:
    """A double holding a fen amount (as Excel stores it) reads back as exactly that fen."""
    values, ok = floats_to_fen(np.array([fen / 100]))
    assert ok.all() and int(values[0]) == fen


def dates(*texts: str | None, month: bool = False) -> list[dt.date | None]:
    col = cells.parse_date(arr(list(texts)), month=month)
    return [None if v is None or str(v) == "NaT" else v.date() for v in col.values.tolist()]


@pytest.mark.parametrize(
    "text",
    [
        "2026-03-05",
        "2026/3/5",
        "2026.3.5",
        "2026年3月5日",
        "20260305",
        "46086",  # Excel serial number
        "46086.75",  # serial with a time part
        "2026-03-05 00:00:00",  # a date cell as the spreadsheet library renders it
        "2026-03-05 13:45:00",
        "２０２６年３月５日",
        " 2026-3-5 ",
    ],
)
def test_date_forms(text: str) -> None:
    assert dates(text) == [dt.date(2026, 3, 5)]


def test_excel_serial_numbers_follow_excel() -> None:
    assert dates("1", "59", "61", "45658") == [
        dt.date(1900, 1, 1), dt.date(1900, 2, 28), dt.date(1900, 3, 1), dt.date(2025, 1, 1)
    ]


@pytest.mark.parametrize("text", ["2026-02-30", "2026-13-01", "60", "x", "2026/3", "0"])
def test_bad_dates(text: str) -> None:
    col = cells.parse_date(arr([text]))
    assert col.bad.tolist() == [True]


def test_month_forms() -> None:
    assert dates("2026-10", "2026年10月", "2026-10-15", "2026/10", month=True) == [dt.date(2026, 10, 1)] * 4


def test_text_trimmed_and_enum_mapped() -> None:
    text = cells.parse_text(arr(["　张三 ", "", None, " a b "]))
    assert text.values.tolist()[0] == "张三" and text.values.tolist()[3] == "a b"
    assert text.values.isna().tolist() == [False, True, True, False]
    kind = cells.parse_enum(arr(["预收", "payment", " Refund ", "定金"]), RECEIPTS.field("类型"))
    assert kind.values.tolist() == ["预收", "回款", "退款", "定金"]  # unknown kept for bad-enum
    nature = cells.parse_enum(arr(["General Company", "个人"]), CUSTOMERS.field("客户性质"))
    assert nature.values.tolist() == ["一般公司", "个人"]


def test_integers_rates_numbers() -> None:
    ints = cells.parse_number(arr(["30", "30.0", "30.5", "３０"]), integer=True)
    assert ints.bad.tolist() == [False, False, True, False]
    rates = cells.parse_rate(arr(["3%", "0.025", "３％", "x"]))
    assert np.allclose(rates.values.tolist()[:3], [0.03, 0.025, 0.03]) and rates.bad.tolist()[3]
    nums = cells.parse_number(arr(["31.2304", "1,200", "-5"]))
    assert nums.values.tolist() == [31.2304, 1200.0, -5.0]


# Another currency's mark and a comma as the decimal mark are bad-type, never read as yuan or
# guessed (spec §1, v1.1): `$100` is not 100 元, `12 345,67` is not 1,234,567.
FOREIGN_OR_AMBIGUOUS = [
    "$100", "US$100", "HK$1,234.50", "€12", "12€", "£5", "100 USD", "EUR 12", "HKD100", "JPY 100",
    "100美元", "１００美元", "＄100", "A$5", "S$5", "NT$5", "R$5", "₩1000", "₹100", "CHF 5",
    "12 345,67", "1.234,50", "1234,50", "12,5", "1,23", "1,2345", "12,345,6", "1 234", "1,234.5.6",
    "-¥-5", "¥1,234元万", ",5", "1,,234",
]


@pytest.mark.parametrize("text", FOREIGN_OR_AMBIGUOUS)
def test_foreign_currency_and_decimal_comma_are_bad_type(text: str) -> None:
    col = cells.parse_amount(arr([text, "¥5"]))
    assert col.bad.tolist() == [True, False]
    assert amounts(text, "¥5") == [None, 500]


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("¥ 1,234", 123400), ("￥1,234,567.89", 123456789), ("-¥5", -500), ("¥-5", -500),
        ("1.2万元", 1200000), ("3亿", 30000000000), ("rmb12", 1200), ("12 元", 1200),
        ("1234.", 123400), (".5", 50), ("1,234", 123400), ("１，２３４", 123400),
    ],
)
def test_yuan_forms_still_read(text: str, fen: int) -> None:
    assert amounts(text) == [fen]


@given(st.integers(min_value=0, max_value=10**9), st.sampled_from(["$", "US$", "HK$", "€", "£", "USD ", "EUR "]))
def test_no_foreign_mark_is_ever_yuan(n: int, mark: str) -> None:
    """Whatever the amount, a foreign mark before or after it makes the cell unreadable."""
    col = cells.parse_amount(arr([f"{mark}{n:,}", f"{n:,} {mark.strip()}"]))
    assert col.bad.tolist() == [True, True]


@given(st.integers(min_value=1, max_value=10**9), st.integers(min_value=1, max_value=99))
def test_decimal_comma_is_never_a_thousands_separator(whole: int, cents: int) -> None:
    """`1234,56` and `1.234,56` (European style) are refused, not read as 123456 or 1.234."""
    euro = f"{whole:,}".replace(",", ".") + f",{cents:02d}"
    col = cells.parse_amount(arr([f"{whole},{cents:02d}", euro]))
    assert col.bad.tolist() == [True, True]


@pytest.mark.parametrize("text", ["12,5", "1 234", "1.234,5"])
def test_quantities_follow_the_same_grouping_rule(text: str) -> None:
    col = cells.parse_number(arr([text, "1,234.5"]))
    assert col.bad.tolist() == [True, False]
    assert col.values.tolist()[1] == 1234.5


def test_1904_serials_count_from_1904() -> None:
    """The same serial is 1,462 days later in a book saved with the 1904 date system."""
    col = cells.parse_date(arr(["44624", "0", "1", "59", "44624.75", "2026-03-05"]), date1904=True)
    got = [None if str(v) == "NaT" else v.date() for v in col.values.tolist()]
    assert got == [dt.date(2026, 3, 5), dt.date(1904, 1, 1), dt.date(1904, 1, 2), dt.date(1904, 2, 29),
                   dt.date(2026, 3, 5), dt.date(2026, 3, 5)]
    assert dates("44624") == [dt.date(2022, 3, 4)]  # the 1900 system: four years and a day early


@given(st.dates(min_value=dt.date(1904, 1, 1), max_value=dt.date(9999, 12, 31)))
def test_serials_round_trip_in_both_date_systems(d: dt.date) -> None:
    s1904 = (d - dt.date(1904, 1, 1)).days
    s1900 = (d - dt.date(1899, 12, 30)).days
    col = cells.parse_date(arr([str(s1904)]), date1904=True)
    assert col.values.tolist()[0].date() == d
    assert dates(str(s1900)) == [d]


def test_month_column_in_1904_system() -> None:
    col = cells.parse_date(arr(["44624"]), month=True, date1904=True)
    assert col.values.tolist()[0].date() == dt.date(2026, 3, 1)


@given(st.dates(min_value=dt.date(1904, 1, 1), max_value=dt.date(9999, 12, 31)), st.booleans())
def test_excel_serial_is_the_inverse_of_serial_days(day: dt.date, date1904: bool) -> None:
    """Writing a date and reading it back give the same day, in either date system."""
    serial = cells.excel_serial(day, date1904=date1904)
    assert serial == int(serial)
    back, ok = cells.serial_days(np.array([int(serial)]), date1904=date1904)
    assert ok[0] and back[0] == np.datetime64(day, "D")


def test_excel_serial_known_values() -> None:
    assert cells.excel_serial(dt.date(1900, 1, 1)) == 1
    assert cells.excel_serial(dt.date(1900, 3, 1)) == 61  # after Excel's 1900-02-29
    assert cells.excel_serial(dt.date(2026, 3, 5)) == 46086
    assert cells.excel_serial(dt.date(2026, 3, 5), date1904=True) == 46086 - 1462
    assert cells.excel_serial(dt.datetime(2026, 3, 5, 12)) == 46086.5
    with pytest.raises(ValueError):
        cells.excel_serial(dt.date(1903, 12, 31), date1904=True)
