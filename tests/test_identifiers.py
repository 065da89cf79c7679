"""Identifiers by the national standards: USCC (GB 32100-2015), resident ID number (GB 11643),
phone numbers (China's numbering plan as libphonenumber's metadata defines it) and provinces.

The oracles are the field's standard libraries: ``phonenumbers`` (Google's libphonenumber) for
phones and python-stdnum's ``cn.uscc`` / ``cn.ric`` for the codes.  salesxl's verdict must equal
theirs on generated strings, except for the classes below, where salesxl is right (or, for R1,
deliberately coarser); each class is named where the test carves it out:

* U1 — a USCC starting with A, N or Y: GB 32100's table has these registration authorities
  (中央军委改革和编制办公室, 农业, 其他); stdnum rejects any code whose first 8 characters are not
  digits.
* U2 — authority and category must fit GB 32100's table (``95…``, ``Y2…``, ``0…`` do not), and
  positions 3–8 must be a division code of a real province (or 100000, the national level):
  stdnum checks neither.
* U3 — spaces or dashes inside a code: stdnum deletes them and accepts the rest; salesxl
  reports the cell, because the text is not the code (invoices and the duplicate check use the
  text), with a message that says to remove them.
* U4 / R2 — full-width forms (``９１３５…``): stdnum does not fold them; salesxl does (NFKC),
  since Chinese keyboards type them and they look the same on screen.
* R1 — a resident ID number whose place code has a real province but a county stdnum's table
  does not list (for the birth year): stdnum rejects it (or raises KeyError on a province-only
  entry); salesxl checks the province only.  The check digit already catches every single
  typing slip, and a county table changes every year.
* P1 — a mobile number followed by an extension: libphonenumber ignores the extension and
  accepts; salesxl rejects, since a mobile has no extension (the digits are a typo).
* P2 — the extension markers 转 and 分机, and a dash before the extension: libphonenumber does
  not know them; salesxl takes the number before them (an extension after a landline or a
  400/800 number is what 转 means).
* P3 — a carrier-selection prefix (17951, 12593 …) before the number: libphonenumber drops it;
  salesxl does not accept it (it is a dialling instruction, not part of the number).  The
  generated strings never contain one on purpose; draws where libphonenumber finds one by
  accident are skipped.
* P4 — digits of other scripts (Arabic-Indic ``٠١٣٨…``): libphonenumber reads them as digits;
  salesxl accepts ASCII and full-width digits only (what Chinese keyboards type), since the
  duplicate check and the people who dial compare ASCII digits.
* P5 — a number of another country (``+1 650 253 0000``): libphonenumber's ``is_valid_number``
  accepts it; the contract asks for a number of China's numbering plan, so the oracle is
  "valid and country code 86".
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

import numpy as np
import pandas as pd
import phonenumbers
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from stdnum.cn import ric as stdnum_ric
from stdnum.cn import uscc as stdnum_uscc

from salesxl.core import idrules
from salesxl.core.identifiers import (
    USCC_CHARSET,
    USCC_WEIGHTS,
    is_valid_phone,
    is_valid_resident_id,
    is_valid_uscc,
    normalize_identifier,
    normalize_province,
    normalized_provinces,
    normalized_resident_id,
    normalized_uscc,
    phone_keys,
    uscc_check_char,
    uscc_problem,
    valid_phone_mask,
    valid_resident_id_mask,
    valid_uscc_mask,
)

# GB 32100-2015 table A, written out here independently of salesxl's copy: registration
# authority → its category codes.
GB32100 = {"1": "1239", "2": "19", "3": "123459", "4": "19", "5": "1239", "6": "129", "7": "129",
           "8": "19", "9": "123", "A": "19", "N": "1239", "Y": "1"}
PROVINCE_CODES = ["11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82"]

# Codes of large, well-known companies as printed on their published business licences.
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


def _complete(body: str) -> str:
    return body + uscc_check_char(body)


def test_charset_and_weights_are_the_standards() -> None:
    assert len(USCC_CHARSET) == 31 and not set("IOSVZ") & set(USCC_CHARSET)
    assert tuple(3**i % 31 for i in range(17)) == USCC_WEIGHTS
    assert {a: cats for a, (_, _, cats) in idrules.REGISTRATION_AUTHORITIES.items()} == GB32100
    assert [code for code, *_ in idrules.PROVINCES] == PROVINCE_CODES


def test_hand_computed_check_character() -> None:
    body = "91350100M000100Y4"
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(body, USCC_WEIGHTS, strict=True))
    assert uscc_check_char(body) == USCC_CHARSET[(31 - total % 31) % 31] == "3"


@pytest.mark.parametrize("code", VALID_USCCS + CONSTRUCTED_USCCS)
def test_known_valid_usccs(code: str) -> None:
    assert uscc_check_char(code[:17]) == code[17]
    assert is_valid_uscc(code) and stdnum_uscc.is_valid(code)
    assert uscc_problem(code) is None


@pytest.mark.parametrize("body", [
    "Y1110000MA0000001", "A1110000MA0000001", "N2330100MA0000001", "A9110000MA0000001",  # U1
    "51110000MA0000001", "81330100MA0000001", "31110000MA0000005", "11100000000013127",
])
def test_every_authority_of_the_table(body: str) -> None:
    assert is_valid_uscc(_complete(body))


@pytest.mark.parametrize(
    ("code", "zh", "en"),
    [
        ("91350100M000100Y44", "校验位（第 18 位）不正确", "check character"),
        ("91350100M000100Y4", "共 17 位，应为 18 位", "17 characters"),
        ("91350100O000100Y43", "不允许的字符 O", "contains O"),
        ("000000000000000000", "占位符", "placeholder"),
        ("91 510522 694921268 N", "空格、短横线或点，请删去", "remove the spaces"),
        ("9135-0100-M000100Y43", "请删去（代码是连续的 18 位）", "remove the spaces, dashes"),
        (_complete("B1350100M000100Y4"), "第 1 位（登记管理部门代码）「B」不存在", "registration authority"),
        (_complete("94350100M000100Y4"), "第 2 位（机构类别代码）「4」与第 1 位「9」（工商）不符，应为 1、2、3",
         "does not fit the 1st '9'"),
        (_complete("Y2350100M000100Y4"), "与第 1 位「Y」（其他）不符，应为 1", "one of 1"),
        (_complete("91990100M000100Y4"), "第 3–8 位（登记管理机关行政区划代码）「990100」", "division"),
        (_complete("9135A100M000100Y4"), "「35A100」不是有效的行政区划代码", "division"),
        ("110101199003074514", "这是居民身份证号码", "resident ID number"),
    ],
)
def test_uscc_problems_say_what_to_fix(code: str, zh: str, en: str) -> None:
    assert not is_valid_uscc(code)
    problem = uscc_problem(code)
    assert problem is not None and zh in problem[0] and en in problem[1], problem
    assert "共 22 位" not in problem[0]


def test_spaces_inside_a_valid_code_say_only_remove_them() -> None:
    zh, en = uscc_problem("9135 0100 M000 100Y 43") or ("", "")
    assert zh == "中间有空格、短横线或点，请删去（代码是连续的 18 位）" and "删去后" not in zh
    assert en.startswith("remove the spaces")


def test_resident_id_for_an_individual() -> None:
    ric = "110101199003074514"
    assert is_valid_resident_id(ric) and stdnum_ric.is_valid(ric)
    assert uscc_problem(ric, individual=True) is None
    assert is_valid_resident_id("11010119900307451x".upper()) == stdnum_ric.is_valid("11010119900307451X")
    zh, _ = uscc_problem("110101199003074515", individual=True) or ("", "")
    assert "身份证号码校验位" in zh
    zh, _ = uscc_problem("110101199002304514", individual=True) or ("", "")
    assert "出生日期" in zh
    assert not is_valid_resident_id("000101199003074514") and not is_valid_resident_id(None)


@pytest.mark.parametrize(
    "code",
    ["91350100M000100Y44", "91110000600037341K", "91350100M000100Y4", "91350100M000100Y433", "",
     "91350100O000100Y43", "91350100I000100Y43", "91350100S000100Y43", "91350100V000100Y43",
     "91350100Z000100Y43", "9135 0100M000100Y43", "91350100-M000100Y4", "000000000000000000"],
)
def test_invalid_usccs(code: str) -> None:
    assert not is_valid_uscc(code)


def test_uscc_normalisation() -> None:
    assert is_valid_uscc(" 91350100M000100Y43\u3000")  # surrounding half/full-width spaces
    assert is_valid_uscc("９１３５０１００Ｍ０００１００Ｙ４３")  # full-width (U4)
    assert is_valid_uscc("91350100m000100y43")  # lower case
    assert normalize_identifier("\u3000０５７１－８８１２ ") == "0571-8812"


@pytest.mark.parametrize("value", [None, 913501001000100143, 9.1e17, float("nan"), b"91350100M000100Y43"])
def test_non_text_is_not_a_uscc(value: object) -> None:
    assert not is_valid_uscc(value)


def test_check_char_rejects_bad_bodies() -> None:
    with pytest.raises(ValueError):
        uscc_check_char("91350100M000100Y")
    with pytest.raises(ValueError):
        uscc_check_char("91350100O000100Y4")


# ---------------------------------------------------------------------------------------------
# USCC against stdnum

_CHARS = st.sampled_from(USCC_CHARSET)
_AUTHORITY = st.sampled_from(sorted(set(GB32100) | set("0B")))
_CATEGORY = st.sampled_from("0123459")
_DIVISION = st.one_of(
    st.tuples(st.sampled_from(PROVINCE_CODES), st.integers(0, 9999)).map(lambda t: f"{t[0]}{t[1]:04d}"),
    st.integers(0, 999999).map(lambda v: f"{v:06d}"),
    st.text(alphabet=USCC_CHARSET, min_size=6, max_size=6),
)
_BODIES = st.builds(lambda a, c, d, rest: a + c + d + rest, _AUTHORITY, _CATEGORY, _DIVISION,
                    st.text(alphabet=USCC_CHARSET, min_size=9, max_size=9))


@st.composite
def _uscc_strings(draw: st.DrawFn) -> str:
    body = draw(_BODIES)
    code = _complete(body) if draw(st.booleans()) else body + draw(_CHARS)
    form = draw(st.sampled_from(["plain", "lower", "full", "spaced", "dashed", "padded", "cut"]))
    if form == "lower":
        return code.lower()
    if form == "full":
        return "".join(chr(ord(c) + 0xFEE0) for c in code)
    if form == "spaced":
        return f"{code[:2]} {code[2:8]} {code[8:17]} {code[17]}"
    if form == "dashed":
        return f"{code[:8]}–{code[8:]}"
    if form == "padded":
        return f" {code}\u3000"
    if form == "cut":
        return code[: draw(st.integers(0, 17))]
    return code


def _uscc_expected(s: str) -> bool:
    """stdnum's verdict, with the classes U1–U4 where salesxl is right applied."""
    text = unicodedata.normalize("NFKC", s)  # U4
    code = stdnum_uscc.compact(text)
    if code != text.strip().upper():  # U3: stdnum took something out of the middle
        return False
    if code[:1] in ("A", "N", "Y"):  # U1: stdnum's own rules, except "8 digits first"
        verdict = (len(code) == 18 and code[1:8].isdigit() and all(c in USCC_CHARSET for c in code)
                   and stdnum_uscc.calc_check_digit(code) == code[17])
    else:
        verdict = stdnum_uscc.is_valid(code)
    division = code[2:8]
    fits = code[1:2] in GB32100.get(code[:1], "") and (division == "100000" or division[:2] in PROVINCE_CODES)
    return verdict and fits  # U2


@settings(max_examples=600)
@given(_uscc_strings())
def test_property_uscc_agrees_with_stdnum(s: str) -> None:
    assert is_valid_uscc(s) == _uscc_expected(s)
    assert (uscc_problem(s) is None) == is_valid_uscc(s)


@given(_BODIES, _CHARS)
def test_property_only_the_check_char_completes_a_body(body: str, last: str) -> None:
    good = _complete(body)
    assert is_valid_uscc(body + last) == (last == good[-1] and is_valid_uscc(good))


@given(st.lists(st.one_of(_uscc_strings(), st.text(max_size=20), st.none()), max_size=30))
def test_property_mask_agrees_with_scalar_uscc(values: list[str | None]) -> None:
    mask = valid_uscc_mask(pd.Series(values, dtype=object))
    assert mask.tolist() == [is_valid_uscc(v) for v in values]


def test_uscc_mask_alignment_and_dtypes() -> None:
    rng = np.random.default_rng(0)
    bodies = ["91" + f"{int(d):06d}" + "".join(USCC_CHARSET[i] for i in row)
              for d, row in zip(rng.integers(110000, 660000, 20_000), rng.integers(0, 31, (20_000, 9)), strict=True)]
    codes = [_complete(b) if i % 3 else b + "0" for i, b in enumerate(bodies)]
    series = pd.Series(codes, index=pd.RangeIndex(5, 20_005), name="USCC")
    mask = valid_uscc_mask(series)
    assert mask.dtype == bool and mask.index.equals(series.index) and mask.name == "USCC"
    assert mask.tolist() == [is_valid_uscc(c) for c in codes]
    mixed = pd.Series(["91350100M000100Y43", None, np.nan, 5, pd.NA, "bad"], dtype=object)
    assert valid_uscc_mask(mixed).tolist() == [True, False, False, False, False, False]
    typed = pd.Series(["91350100M000100Y43", None], dtype="string")
    assert valid_uscc_mask(typed).tolist() == [True, False]
    assert valid_uscc_mask(pd.Series([], dtype=object)).tolist() == []


# ---------------------------------------------------------------------------------------------
# Resident ID numbers against stdnum

def _stdnum_places() -> list[str]:
    """County-level place codes of stdnum's GB/T 2260 table (its ``cn/loc`` database)."""
    from stdnum import numdb

    db = numdb.get("cn/loc")
    out = []
    for province in PROVINCE_CODES:
        for county in ("0101", "0102", "0105", "0106", "0108", "0201", "0281", "0502", "1002", "2701"):
            if any("county" in props for _, props in db.info(province + county)):
                out.append(province + county)
    return out


_PLACES = _stdnum_places()


@st.composite
def _resident_ids(draw: st.DrawFn) -> str:
    place = draw(st.one_of(st.sampled_from(_PLACES), st.integers(0, 999999).map(lambda v: f"{v:06d}"),
                           st.sampled_from(PROVINCE_CODES).map(lambda p: p + "9999")))
    born = draw(st.one_of(st.dates(date(1900, 1, 1), date(2025, 12, 31)).map(lambda d: d.strftime("%Y%m%d")),
                          st.integers(0, 99999999).map(lambda v: f"{v:08d}")))
    body = place + born + f"{draw(st.integers(0, 999)):03d}"
    last = stdnum_ric.calc_check_digit(body + "0") if draw(st.booleans()) else draw(st.sampled_from("0123456789X"))
    code = body + last
    form = draw(st.sampled_from(["plain", "lower", "full", "padded"]))
    return {"lower": code.lower(), "full": "".join(chr(ord(c) + 0xFEE0) for c in code),
            "padded": f" {code} "}.get(form, code)


def _stdnum_ric(s: str) -> bool:
    try:
        return stdnum_ric.is_valid(s)
    except KeyError:  # R1: stdnum trips over a province-only entry of its table
        return False


@settings(max_examples=600)
@given(_resident_ids())
def test_property_resident_id_agrees_with_stdnum(s: str) -> None:
    text = unicodedata.normalize("NFKC", s).strip().upper()  # R2
    ours, theirs = is_valid_resident_id(s), _stdnum_ric(text)
    if theirs:
        assert ours
    elif ours:  # R1 only: stdnum's own check digit and birth date hold, the province is real
        assert stdnum_ric.calc_check_digit(text) == text[17]
        stdnum_ric.get_birth_date(text)
        assert text[:2] in PROVINCE_CODES and text[:17].isdigit()


@given(st.lists(st.one_of(_resident_ids(), st.text(max_size=20), st.none()), max_size=30))
def test_property_resident_id_mask_agrees_with_scalar(values: list[str | None]) -> None:
    assert valid_resident_id_mask(pd.Series(values, dtype=object)).tolist() == [is_valid_resident_id(v) for v in values]
    keys = normalized_resident_id(pd.Series(values, dtype=object)).tolist()
    assert [k is not pd.NA for k in keys] == [is_valid_resident_id(v) for v in values]


# ---------------------------------------------------------------------------------------------
# Phones: the issue's notations and examples

ISSUE_VALID = [
    "(010)62345678", "（010）62345678", "01062345678", "+86-10-62345678", "0086 13812345678",
    "(+86)13812345678", "010-6234 5678", "010–62345678", "010—62345678", "010–6234—5678",
    "8613812345678", "86 138 1234 5678", "86-10-62345678",
    "0571-88123456-1865", "0571-88123456转1865", "0571-88123456分机1865", "0571-88123456 ext 1865",
    "0571-88123456 ext.1865", "0571-88123456#1865", "0571-88123456 转 1865",
]
OTHER_VALID = [
    "13812345678", "19912345678", "138 1234 5678", "138-1234-5678", "+86 13812345678",
    "+86-138-1234-5678", "+86 (0)10 6234 5678", "010-12345678", "0571-88123456", "0592-5123456",
    "010 12345678", "0571 - 88123456", "400-123-4567", "4001234567", "400 123 4567", "400-820-1234转2",
    "800-123-4567", "8001234567", "１３８１２３４５６７８", "０５７１－８８１２３４５６", "\u3000138 1234 5678 ",
    "(0571) 8812 3456", "14512345678", "17400012345",
]
UNALLOCATED = ["140", "141", "142", "143", "144", "146", "148", "149", "154", "160", "163", "164", "168",
               "169", "179", "194"]
ISSUE_INVALID = [p + "12345678" for p in UNALLOCATED] + ["0510-8655137", "062-70290115"]
OTHER_INVALID = [
    "", "1381234567", "138123456789", "12812345678", "23812345678", "+87 13812345678",
    "+1 650 253 0000", "010-123456", "010-123456789", "01-12345678", "0755-8888888",
    "0571-88123456-1234567", "021-12345678转", "500-123-4567", "400-123-456", "40012345678", "abc",
    "138-1234-567x", "13812345678/010-12345678", "13812345678-12", "13812345678转12",
    "٠١٣٨١٢٣٤٥٦٧٨",  # Arabic-Indic digits are not phone digits
    "17951 13812345678",  # P3
]


@pytest.mark.parametrize("phone", ISSUE_VALID + OTHER_VALID)
def test_valid_phones(phone: str) -> None:
    assert is_valid_phone(phone)


@pytest.mark.parametrize("phone", ISSUE_INVALID + OTHER_INVALID)
def test_invalid_phones(phone: str) -> None:
    assert not is_valid_phone(phone)


@pytest.mark.parametrize("phone", ISSUE_VALID + OTHER_VALID + ISSUE_INVALID + OTHER_INVALID)
def test_hand_cases_agree_with_libphonenumber(phone: str) -> None:
    if phone == "٠١٣٨١٢٣٤٥٦٧٨":  # P4
        assert _phone_expected(phone) and not is_valid_phone(phone)
        return
    assert is_valid_phone(phone) == _phone_expected(phone), phone


def test_phone_stored_as_a_number() -> None:
    assert is_valid_phone(13812345678) and is_valid_phone(13812345678.0) and is_valid_phone(np.int64(13812345678))
    assert not is_valid_phone(1381234567.5) and not is_valid_phone(True) and not is_valid_phone(None)
    assert not is_valid_phone(float("nan"))
    assert is_valid_phone(57188123456)  # a landline that lost its 0 is still its national number


def test_phone_mask_agrees_with_scalar() -> None:
    values = [*ISSUE_VALID, *OTHER_VALID, *ISSUE_INVALID, *OTHER_INVALID, None, np.nan, 13812345678,
              13812345678.0, 12.5, np.int64(13812345678)]
    mask = valid_phone_mask(pd.Series(values * 50, dtype=object))
    assert mask.tolist() == [is_valid_phone(v) for v in values] * 50
    assert valid_phone_mask(pd.Series([13812345678, 1381234567])).tolist() == [True, False]
    typed = pd.Series(ISSUE_VALID + [None], dtype="string")
    assert valid_phone_mask(typed).tolist() == [True] * len(ISSUE_VALID) + [False]


# ---------------------------------------------------------------------------------------------
# Phones against libphonenumber on generated strings

_REAL_AREAS = ["10", "20", "21", "22", "23", "24", "25", "27", "28", "29", "311", "351", "371", "431", "471",
               "510", "512", "551", "553", "571", "591", "592", "755", "757", "769", "851", "871", "898",
               "931", "991"]
_FAKE_AREAS = ["26", "62", "101", "335", "349", "888", "999", "600"]


@st.composite
def _national(draw: st.DrawFn) -> tuple[str, str]:
    """(area or "", the rest): a mobile, a landline or a service number, valid or not."""
    kind = draw(st.sampled_from(["mobile", "mobile", "landline", "landline", "landline", "service"]))
    if kind == "mobile":
        return "", "1" + draw(st.from_regex(r"\A[3-9][0-9]{9}\Z")) if draw(st.integers(0, 9)) else \
            "1" + draw(st.from_regex(r"\A[0-9]{8,11}\Z"))
    if kind == "landline":
        area = draw(st.sampled_from(_REAL_AREAS + _FAKE_AREAS))
        return area, draw(st.from_regex(r"\A[1-9][0-9]{5,8}\Z"))
    return "", draw(st.sampled_from(["400", "800", "950", "4001", "10"])) + draw(st.from_regex(r"\A[0-9]{6,8}\Z"))


_SEPS = st.sampled_from(["-", " ", "–", "—", "", " - ", "－"])


@st.composite
def _phone_strings(draw: st.DrawFn) -> tuple[str, str | None]:
    """(what a user types, the extension marker and digits appended, if any)."""
    area, rest = draw(_national())
    sep = draw(_SEPS)
    if rest and draw(st.booleans()):  # group the local digits
        cut = draw(st.integers(1, len(rest) - 1))
        rest = rest[:cut] + draw(_SEPS) + rest[cut:]
    notation = draw(st.sampled_from(["national", "bare", "brackets", "full-brackets", "plus", "plus-dash",
                                     "0086", "plus-brackets", "86", "plus-zero"]))
    trunk = f"0{area}" if area else ""
    cc_area = f"{area}{sep}" if area else ""
    typed = {
        "national": f"{trunk}{sep}{rest}" if area else rest,
        "bare": f"{area}{rest}",
        "brackets": f"({trunk}){rest}" if area else rest,
        "full-brackets": f"（{trunk}）{sep}{rest}" if area else rest,
        "plus": f"+86 {cc_area}{rest}",
        "plus-dash": f"+86-{cc_area}{rest}",
        "0086": f"0086 {cc_area}{rest}",
        "plus-brackets": f"(+86){cc_area}{rest}",
        "86": f"86{sep}{cc_area}{rest}",
        "plus-zero": f"+86 (0){cc_area}{rest}",
    }[notation]
    if draw(st.integers(0, 3)) == 0:
        marker = draw(st.sampled_from(["-", "转", "分机", " ext ", " ext.", "#", " 转 "]))
        return typed, marker + draw(st.from_regex(r"\A[0-9]{1,6}\Z"))
    return typed, None


def _libphonenumber(s: str) -> tuple[bool, int | None, bool, bool]:
    """(valid CN number, its type, an extension was read, a carrier code was dropped)."""
    try:
        n = phonenumbers.parse(s, "CN", keep_raw_input=True)
    except phonenumbers.NumberParseException:
        return False, None, False, False
    valid = phonenumbers.is_valid_number(n) and n.country_code == 86
    return valid, phonenumbers.number_type(n), bool(n.extension), bool(n.preferred_domestic_carrier_code)


def _phone_expected(typed: str, extension: str | None = None) -> bool:
    """libphonenumber's verdict on what a user typed, with the classes P1–P3 applied."""
    whole = typed + (extension or "")
    valid, _, has_ext, carrier = _libphonenumber(whole)
    if carrier:
        return False  # P3
    if valid and not has_ext:
        return True
    text = idrules.clean_phone(whole)
    m = re.fullmatch(idrules.PHONE_EXTENSION, text)  # P1, P2: the number before the extension
    if m is None:
        return False
    valid, kind, _, carrier = _libphonenumber(m.group("main"))
    return valid and not carrier and kind != phonenumbers.PhoneNumberType.MOBILE


@settings(max_examples=1500)
@given(_phone_strings())
def test_property_phone_agrees_with_libphonenumber(drawn: tuple[str, str | None]) -> None:
    typed, extension = drawn
    assume(not _libphonenumber(typed)[3])  # P3: never generated on purpose
    assert is_valid_phone(typed + (extension or "")) == _phone_expected(typed, extension), drawn


@settings(max_examples=200)
@given(st.lists(_phone_strings().map(lambda d: d[0] + (d[1] or "")), min_size=1, max_size=40))
def test_property_phone_mask_agrees_with_scalar_on_notations(values: list[str]) -> None:
    series = pd.Series(values, dtype=object)
    assert valid_phone_mask(series).tolist() == [is_valid_phone(v) for v in values]
    assert phone_keys(series).fillna("").tolist() == [idrules.dialled_number(v) or "" for v in values]


def test_one_number_in_every_notation_is_one_key() -> None:
    forms = ["(010)62345678", "（010）62345678", "01062345678", "+86-10-62345678", "010-6234 5678",
             "010–62345678", "86 10 62345678", "+86 (0)10 6234 5678", "1062345678"]
    assert set(phone_keys(pd.Series(forms)).tolist()) == {"1062345678"}
    assert idrules.dialled_number("0571-88123456转1865") == idrules.dialled_number("0571 8812 3456 ext.1865")


# Characters where Python's re/str and Arrow's RE2 could part ways: every kind of whitespace
# (\x1c-\x1f count as space to str.strip), a newline before the end ($), digits of other scripts
# (\d), full-width forms (NFKC), lower case, dashes, brackets, and the words phones use.
_TRICKY = "0123456789１３８８６ \t\n\x0b\x0c\x1c\x1f\u3000-－–—+＋#()（）转分机extEXT.٣०abcXYZ"


@given(st.lists(st.one_of(st.text(alphabet=_TRICKY, max_size=24), st.from_regex(r"\A1[3-9]\d{9}\Z"),
                          st.from_regex(r"\A0\d{2,3}[- ]\d{7,8}\Z"), st.none()), max_size=30))
def test_property_phone_mask_on_tricky_text(values: list[str | None]) -> None:
    """The Arrow path gives what is_valid_phone gives, whatever the text."""
    series = pd.Series(values, dtype=object)
    assert valid_phone_mask(series).tolist() == [is_valid_phone(v) for v in values]
    assert phone_keys(series).fillna("").tolist() == [idrules.dialled_number(v) or "" for v in values]


@given(st.lists(st.one_of(
    _BODIES.map(_complete),
    _BODIES.map(lambda b: " " + _complete(b).lower() + "\t"),
    _BODIES.map(lambda b: _complete(b) + "\n"),
    st.text(alphabet=USCC_CHARSET + _TRICKY + "ＡＢ", max_size=20),
    st.none()), max_size=30))
def test_property_uscc_keys_agree_with_scalar(values: list[str | None]) -> None:
    """normalized_uscc: NFKC, stripped, upper case where is_valid_uscc holds, NA elsewhere."""
    keys = normalized_uscc(pd.Series(values, dtype=object)).tolist()
    expected = [normalize_identifier(v).upper() if is_valid_uscc(v) else None for v in values]
    assert [None if k is pd.NA else k for k in keys] == expected


# ---------------------------------------------------------------------------------------------
# Provinces


@pytest.mark.parametrize(("typed", "official"), [
    ("浙江", "浙江省"), ("浙江省", "浙江省"), (" 浙江省 ", "浙江省"), ("广西", "广西壮族自治区"),
    ("广西壮族自治区", "广西壮族自治区"), ("上海", "上海市"), ("上海市", "上海市"), ("内蒙古", "内蒙古自治区"),
    ("新疆", "新疆维吾尔自治区"), ("西藏", "西藏自治区"), ("宁夏", "宁夏回族自治区"), ("香港", "香港特别行政区"),
    ("澳门", "澳门特别行政区"), ("台湾", "台湾省"), ("Zhejiang", "浙江省"), ("zhejiang province", "浙江省"),
    ("Inner Mongolia", "内蒙古自治区"), ("重庆", "重庆市"), ("黑龙江", "黑龙江省"), ("ｂｅｉｊｉｎｇ", "北京市"),
])
def test_provinces_normalise_to_the_official_name(typed: str, official: str) -> None:
    assert normalize_province(typed) == official


@pytest.mark.parametrize("typed", ["浙", "杭州", "华东", "", None, 33, "浙江省杭州市"])
def test_unrecognised_province_is_none(typed: object) -> None:
    assert normalize_province(typed) is None


def test_all_34_provinces_round_trip() -> None:
    names = [name for _, name, _, _ in idrules.PROVINCES]
    assert len(set(names)) == 34
    assert [normalize_province(n) for n in names] == names
    assert [normalize_province(short) for _, _, short, _ in idrules.PROVINCES] == names


def test_normalized_provinces_fill_from_the_uscc_and_say_so() -> None:
    province = pd.Series(["浙江", "浙江省", None, "  ", "华东", None, "广西"], index=[5, 6, 7, 8, 9, 10, 11])
    uscc = pd.Series([None, None, "91440300708461136T", "91310000132149237G", "91440300708461136T",
                      "91440300708461136X", None], index=province.index)
    names, source = normalized_provinces(province, uscc)
    assert names.fillna("").tolist() == ["浙江省", "浙江省", "广东省", "上海市", "华东", "", "广西壮族自治区"]
    assert source.fillna("").tolist() == ["normalized", "typed", "uscc", "uscc", "unrecognized", "",
                                          "normalized"]
    assert list(names.index) == list(province.index)
    names, source = normalized_provinces(province)
    assert names.isna().tolist()[2:4] == [True, True]
