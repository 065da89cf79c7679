"""USCC (GB 32100-2015) and phone checks: known codes, the forms people type, and agreement
between the scalar functions and their vectorised masks."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from salesxl.core.identifiers import (
    USCC_CHARSET,
    USCC_WEIGHTS,
    is_valid_phone,
    is_valid_uscc,
    normalize_identifier,
    normalized_uscc,
    uscc_check_char,
    valid_phone_mask,
    valid_uscc_mask,
)

# Codes of large, well-known companies as printed on their published business licences; each
# was checked against the standard's formula independently of this module (random strings
# would pass only one time in 31).
VALID_USCCS = [
    "91350100M000100Y43",
    "91110000600037341L",
    "91440300708461136T",
    "9144030071526726XG",
    "91330100716105852F",
    "91110108551385082Q",
    "914403001922038216",
    "91440300192317458F",
    "91110000802100433B",
    "91310000132149237G",
    "91330000747115595T",
]
# Codes built here for the other registries and categories (check character from the formula).
CONSTRUCTED_USCCS = [
    "113301000024896372",  # a government body (11 = 机构编制, 机关)
    "123301004701564521",  # a public institution (12 = 事业单位)
    "92330106MA2GXXXX1D",  # a sole trader (92), letters in the body
]


def test_charset_and_weights_are_the_standards() -> None:
    assert len(USCC_CHARSET) == 31 and not set("IOSVZ") & set(USCC_CHARSET)
    assert tuple(3**i % 31 for i in range(17)) == USCC_WEIGHTS


def test_hand_computed_check_character() -> None:
    body = "91350100M000100Y4"
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(body, USCC_WEIGHTS, strict=True))
    assert uscc_check_char(body) == USCC_CHARSET[(31 - total % 31) % 31] == "3"


@pytest.mark.parametrize("code", VALID_USCCS + CONSTRUCTED_USCCS)
def test_known_valid_usccs(code: str) -> None:
    assert uscc_check_char(code[:17]) == code[17]
    assert is_valid_uscc(code)


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y44",  # wrong check character
        "91110000600037341K",
        "91350100M000100Y4",  # 17 characters
        "91350100M000100Y433",  # 19 characters
        "",
        "91350100O000100Y43",  # O is not in the charset
        "91350100I000100Y43",
        "91350100S000100Y43",
        "91350100V000100Y43",
        "91350100Z000100Y43",
        "9135 0100M000100Y43",  # a space inside
        "91350100-M000100Y4",
    ],
)
def test_invalid_usccs(code: str) -> None:
    assert not is_valid_uscc(code)


def test_uscc_normalisation() -> None:
    assert is_valid_uscc(" 91350100M000100Y43\u3000")  # surrounding half/full-width spaces
    assert is_valid_uscc("９１３５０１００Ｍ０００１００Ｙ４３")  # full-width
    assert is_valid_uscc("91350100m000100y43")  # lower case
    assert normalize_identifier("\u3000０５７１－８８１２ ") == "0571-8812"


@pytest.mark.parametrize(
    "value", [None, 913501001000100143, 9.1e17, float("nan"), b"91350100M000100Y43"]
)
def test_non_text_is_not_a_uscc(value: object) -> None:
    assert not is_valid_uscc(value)


def test_check_char_rejects_bad_bodies() -> None:
    with pytest.raises(ValueError):
        uscc_check_char("91350100M000100Y")
    with pytest.raises(ValueError):
        uscc_check_char("91350100O000100Y4")


_BODY = st.text(alphabet=USCC_CHARSET, min_size=17, max_size=17)


@given(_BODY, st.sampled_from(USCC_CHARSET))
def test_property_only_the_check_char_completes_a_body(body: str, last: str) -> None:
    good = body + uscc_check_char(body)
    assert is_valid_uscc(good)
    assert is_valid_uscc(body + last) == (last == good[-1])


@given(
    st.lists(
        st.one_of(
            _BODY.map(lambda b: b + uscc_check_char(b)),
            _BODY.map(lambda b: b + "0"),
            st.text(max_size=20),
            st.none(),
        ),
        max_size=30,
    )
)
def test_property_mask_agrees_with_scalar_uscc(values: list[str | None]) -> None:
    mask = valid_uscc_mask(pd.Series(values, dtype=object))
    assert mask.tolist() == [is_valid_uscc(v) for v in values]


def test_uscc_mask_alignment_dtypes_and_speed() -> None:
    rng = np.random.default_rng(0)
    bodies = ["".join(USCC_CHARSET[i] for i in row) for row in rng.integers(0, 31, (100_000, 17))]
    codes = [b + uscc_check_char(b) if i % 3 else b + "0" for i, b in enumerate(bodies)]
    series = pd.Series(codes, index=pd.RangeIndex(5, 100_005), name="USCC")
    start = time.perf_counter()
    mask = valid_uscc_mask(series)
    assert time.perf_counter() - start < 2
    assert mask.dtype == bool and mask.index.equals(series.index) and mask.name == "USCC"
    assert mask.tolist() == [is_valid_uscc(c) for c in codes]
    mixed = pd.Series(["91350100M000100Y43", None, np.nan, 5, pd.NA, "bad"], dtype=object)
    assert valid_uscc_mask(mixed).tolist() == [True, False, False, False, False, False]
    typed = pd.Series(["91350100M000100Y43", None], dtype="string")
    assert valid_uscc_mask(typed).tolist() == [True, False]
    assert valid_uscc_mask(pd.Series([], dtype=object)).tolist() == []


VALID_PHONES = [
    "13812345678",
    "19912345678",
    "138 1234 5678",
    "138-1234-5678",
    "+86 13812345678",
    "+86-138-1234-5678",
    "8613812345678",
    "86 138 1234 5678",
    "010-12345678",
    "0755-1234567",
    "0571-88123456",
    "021-12345678-123",
    "021-12345678转123",
    "0571-88123456分机8",
    "010 12345678",
    "0571 - 88123456",
    "021-12345678 ext 12",
    "021-12345678#5",
    "400-123-4567",
    "4001234567",
    "400 123 4567",
    "800-123-4567",
    "8001234567",
    "１３８１２３４５６７８",
    "０５７１－８８１２３４５６",
    "\u3000138 1234 5678 ",
]
INVALID_PHONES = [
    "",
    "1381234567",
    "138123456789",
    "12812345678",
    "23812345678",
    "+87 13812345678",
    "01012345678",
    "010-123456",
    "010-123456789",
    "10-12345678",
    "01-12345678",
    "0571-88123456-1234567",
    "021-12345678转",
    "500-123-4567",
    "400-123-456",
    "40012345678",
    "abc",
    "138-1234-567x",
    "13812345678/010-12345678",
    "٠١٣٨١٢٣٤٥٦٧٨",  # Arabic-Indic digits are not phone digits
]


@pytest.mark.parametrize("phone", VALID_PHONES)
def test_valid_phones(phone: str) -> None:
    assert is_valid_phone(phone)


@pytest.mark.parametrize("phone", INVALID_PHONES)
def test_invalid_phones(phone: str) -> None:
    assert not is_valid_phone(phone)


def test_phone_stored_as_a_number() -> None:
    assert (
        is_valid_phone(13812345678)
        and is_valid_phone(13812345678.0)
        and is_valid_phone(np.int64(13812345678))
    )
    assert (
        not is_valid_phone(1381234567.5) and not is_valid_phone(True) and not is_valid_phone(None)
    )
    assert not is_valid_phone(float("nan"))


def test_phone_mask_agrees_with_scalar() -> None:
    values = [*VALID_PHONES, *INVALID_PHONES, None, np.nan, 13812345678, 13812345678.0, 12.5]
    series = pd.Series(values * 2000, dtype=object)
    start = time.perf_counter()
    mask = valid_phone_mask(series)
    assert time.perf_counter() - start < 3
    assert mask.tolist() == [is_valid_phone(v) for v in values] * 2000
    numbers = pd.Series([13812345678, 1381234567])
    assert valid_phone_mask(numbers).tolist() == [True, False]
    typed = pd.Series(VALID_PHONES + [None], dtype="string")
    assert valid_phone_mask(typed).tolist() == [True] * len(VALID_PHONES) + [False]


@given(
    st.lists(st.one_of(st.text(alphabet="0123456789+- 转#８", max_size=18), st.none()), max_size=30)
)
def test_property_phone_mask_agrees_with_scalar(values: list[str | None]) -> None:
    mask = valid_phone_mask(pd.Series(values, dtype=object))
    assert mask.tolist() == [is_valid_phone(v) for v in values]


# Characters where Python's re/str and Arrow's RE2 could part ways: every kind of whitespace
# (\x1c-\x1f count as space to str.strip), a newline before the end ($), digits of other scripts
# (\d), full-width forms (NFKC), lower case, and the separators and words phones use.
_TRICKY = "0123456789１３８８６ \t\n\x0b\x0c\x1c\x1f\u3000-－+＋#转分机extEXT.٣०abcXYZ"


@given(st.lists(st.one_of(st.text(alphabet=_TRICKY, max_size=24), st.from_regex(r"\A1[3-9]\d{9}\Z"),
                          st.from_regex(r"\A0\d{2,3}[- ]\d{7,8}\Z"), st.none()), max_size=30))
def test_property_phone_mask_on_tricky_text(values: list[str | None]) -> None:
    """The Arrow path (printable ASCII) and the Python path give what is_valid_phone gives."""
    assert valid_phone_mask(pd.Series(values, dtype=object)).tolist() == [is_valid_phone(v) for v in values]


@given(st.lists(st.one_of(
    _BODY.map(lambda b: b + uscc_check_char(b)),
    _BODY.map(lambda b: " " + (b + uscc_check_char(b)).lower() + "\t"),
    _BODY.map(lambda b: b + uscc_check_char(b) + "\n"),
    st.text(alphabet=USCC_CHARSET + _TRICKY + "ＡＢ", max_size=20),
    st.none()), max_size=30))
def test_property_uscc_keys_agree_with_scalar(values: list[str | None]) -> None:
    """normalized_uscc: NFKC, stripped, upper case where is_valid_uscc holds, NA elsewhere."""
    keys = normalized_uscc(pd.Series(values, dtype=object)).tolist()
    expected = [normalize_identifier(v).upper() if is_valid_uscc(v) else None for v in values]
    assert [None if k is pd.NA else k for k in keys] == expected
