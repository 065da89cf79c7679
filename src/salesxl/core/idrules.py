"""The identifier rules, each defined once: USCC, resident ID number, phone number, province.

This module is the single definition of what a valid 统一社会信用代码 (GB 32100-2015), 居民身份证号码
(GB 11643-1999), 联系电话 (China's numbering plan as libphonenumber's metadata describes it) and
省份 (the 34 provincial divisions, GB/T 2260) are.  It uses nothing but the standard library and
``phonenumbers`` on purpose: :mod:`salesxl.core.identifiers` builds the vectorised (Arrow) checks
from the very tables and regular expressions defined here, and the xlwings Lite template, which
cannot install salesxl, gets this file inlined verbatim into its ``main.py`` at build time
(:func:`salesxl.excel.lite.build_lite`).  So a rule changes in one place, for every path.

Every regular expression here is written to mean the same in Python's :mod:`re` (used with
``fullmatch``/``sub``) and in RE2 (Arrow's engine, used with ``^(?:…)$``): ``[0-9]`` instead of
``\\d`` (which matches other scripts' digits in Python), explicit whitespace classes instead of
``\\s``, no look-arounds and no back-references.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

from phonenumbers import PhoneMetadata

# =============================================================================================
# Provinces (GB/T 2260: the first two digits of a division code)

#: The 34 provincial divisions: (code, official name, short name, English name).
PROVINCES: tuple[tuple[str, str, str, str], ...] = (
    ("11", "北京市", "北京", "Beijing"),
    ("12", "天津市", "天津", "Tianjin"),
    ("13", "河北省", "河北", "Hebei"),
    ("14", "山西省", "山西", "Shanxi"),
    ("15", "内蒙古自治区", "内蒙古", "Inner Mongolia"),
    ("21", "辽宁省", "辽宁", "Liaoning"),
    ("22", "吉林省", "吉林", "Jilin"),
    ("23", "黑龙江省", "黑龙江", "Heilongjiang"),
    ("31", "上海市", "上海", "Shanghai"),
    ("32", "江苏省", "江苏", "Jiangsu"),
    ("33", "浙江省", "浙江", "Zhejiang"),
    ("34", "安徽省", "安徽", "Anhui"),
    ("35", "福建省", "福建", "Fujian"),
    ("36", "江西省", "江西", "Jiangxi"),
    ("37", "山东省", "山东", "Shandong"),
    ("41", "河南省", "河南", "Henan"),
    ("42", "湖北省", "湖北", "Hubei"),
    ("43", "湖南省", "湖南", "Hunan"),
    ("44", "广东省", "广东", "Guangdong"),
    ("45", "广西壮族自治区", "广西", "Guangxi"),
    ("46", "海南省", "海南", "Hainan"),
    ("50", "重庆市", "重庆", "Chongqing"),
    ("51", "四川省", "四川", "Sichuan"),
    ("52", "贵州省", "贵州", "Guizhou"),
    ("53", "云南省", "云南", "Yunnan"),
    ("54", "西藏自治区", "西藏", "Xizang"),
    ("61", "陕西省", "陕西", "Shaanxi"),
    ("62", "甘肃省", "甘肃", "Gansu"),
    ("63", "青海省", "青海", "Qinghai"),
    ("64", "宁夏回族自治区", "宁夏", "Ningxia"),
    ("65", "新疆维吾尔自治区", "新疆", "Xinjiang"),
    ("71", "台湾省", "台湾", "Taiwan"),
    ("81", "香港特别行政区", "香港", "Hong Kong"),
    ("82", "澳门特别行政区", "澳门", "Macao"),
)  # fmt: skip

PROVINCE_BY_CODE: dict[str, str] = {code: name for code, name, _, _ in PROVINCES}

#: The four municipalities: their province is also their city.
MUNICIPALITIES = frozenset({"北京市", "天津市", "上海市", "重庆市"})

# Other spellings people type, beyond short name + 省/市/自治区/特别行政区/特区 (built below):
# the ethnic-group forms, traditional characters, and English names (matched in lower case).
_PROVINCE_EXTRA = {
    "内蒙": "15", "广西壮族": "45", "宁夏回族": "64", "新疆维吾尔": "65", "新疆维吾尔族": "65",
    "新疆维吾尔族自治区": "65", "台灣": "71", "臺灣": "71", "台灣省": "71", "臺灣省": "71",
    "香港特別行政區": "81", "香港特區": "81", "澳門": "82", "澳門特別行政區": "82", "澳門特區": "82",
    "nei mongol": "15", "tibet": "54", "macau": "82", "hongkong": "81",
}  # fmt: skip
_PROVINCE_SUFFIXES = ("", "省", "市", "自治区", "特别行政区", "特区")
_PROVINCE_EN_SUFFIXES = ("", " province", " municipality", " autonomous region", " sar")
_PROVINCE_SPACE = re.compile(r"[\t\n\v\f\r \u3000]+")


def _province_key(text: str) -> str:
    """What a typed province is looked up by: NFKC, lower case, single spaces, no edge spaces."""
    return _PROVINCE_SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip().lower()


def _province_aliases() -> dict[str, str]:
    aliases: dict[str, str] = {}
    for code, name, short, english in PROVINCES:
        for suffix in _PROVINCE_SUFFIXES:
            aliases.setdefault(_province_key(short + suffix), code)
        for suffix in _PROVINCE_EN_SUFFIXES:
            aliases.setdefault(_province_key(english + suffix), code)
        aliases[_province_key(name)] = code
    for text, code in _PROVINCE_EXTRA.items():
        aliases[_province_key(text)] = code
    return aliases


_PROVINCE_ALIASES = _province_aliases()


def normalize_province(text: Any) -> str | None:
    """The official name of the province ``text`` names (``浙江`` → ``浙江省``, ``广西`` →
    ``广西壮族自治区``, ``上海`` → ``上海市``, ``Zhejiang`` → ``浙江省``), or None when ``text`` is
    not text or names none of the 34 (the caller then keeps it as typed)."""
    if not isinstance(text, str):
        return None
    code = _PROVINCE_ALIASES.get(_province_key(text))
    return None if code is None else PROVINCE_BY_CODE[code]


def province_of_division(code: str) -> str | None:
    """The province of a GB/T 2260 division code (its first two digits), None if none."""
    return PROVINCE_BY_CODE.get(code[:2]) if len(code) >= 2 else None


# =============================================================================================
# USCC (GB 32100-2015)

#: The 31 characters a USCC may use, in the order that gives each its value (0..30).
#: I, O, S, V and Z are left out so that they cannot be confused with 1, 0, 5, U and 2.
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

#: Weights of positions 1..17 (3**(i-1) mod 31), as fixed by GB 32100-2015.
USCC_WEIGHTS: tuple[int, ...] = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

#: GB 32100-2015 table A: registration authority (position 1) → (its name, the category codes
#: (position 2) it assigns).  Y (其他) does not subdivide and always uses 1.
REGISTRATION_AUTHORITIES: dict[str, tuple[str, str, str]] = {
    "1": ("机构编制", "institutional establishment", "1239"),
    "2": ("外交", "foreign affairs", "19"),
    "3": ("司法行政", "judicial administration", "123459"),
    "4": ("文化", "culture", "19"),
    "5": ("民政", "civil affairs", "1239"),
    "6": ("旅游", "tourism", "129"),
    "7": ("宗教", "religious affairs", "129"),
    "8": ("工会", "trade unions", "19"),
    "9": ("工商", "industry and commerce", "123"),
    "A": ("中央军委改革和编制办公室", "the CMC reform and establishment office", "19"),
    "N": ("农业", "agriculture", "1239"),
    "Y": ("其他", "other", "1"),
}

#: Division codes (positions 3–8) must start with a province's code; 100000 is the national
#: level, used by central bodies.
_DIVISION = "(?:100000|(?:" + "|".join(code for code, *_ in PROVINCES) + ")[0-9]{4})"
_USCC_CHAR = "[0-9A-HJ-NP-RTUW-Y]"
_AUTHORITY_CATEGORY = "(?:" + "|".join(f"{a}[{cats}]" for a, (_, _, cats) in REGISTRATION_AUTHORITIES.items()) + ")"

#: The shape of a USCC: authority and category from the table, a real division code, then ten
#: characters of the charset.  The check character is computed separately.
USCC_SHAPE = _AUTHORITY_CATEGORY + _DIVISION + _USCC_CHAR + "{10}"

#: Spaces, dashes and dots people put inside a code (a typing slip, not part of the code).
USCC_SEPARATORS = r"[\t\n\v\f\r \-_.·]"

_USCC_VALUE = {ch: i for i, ch in enumerate(USCC_CHARSET)}
# ASCII upper case only: any other letter fails every shape anyway, and Arrow's ascii_upper
# then gives the same text.
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


#: Whitespace at either end of a cell, after NFKC: what ``str.strip`` removes (NFKC has already
#: folded the no-break, ideographic and typographic spaces to " ").
EDGE_SPACE = "^[\t\n\v\f\r \x1c-\x1f\x85\u1680\u2028\u2029]+|[\t\n\v\f\r \x1c-\x1f\x85\u1680\u2028\u2029]+$"


def normalize_identifier(value: str) -> str:
    """Fold a typed identifier to the form the checks compare: NFKC (full-width digits, letters,
    dashes and the ideographic space become ASCII), surrounding whitespace dropped."""
    return re.sub(EDGE_SPACE, "", unicodedata.normalize("NFKC", value))


def uscc_text(value: str) -> str:
    """A USCC cell as it is compared: NFKC, stripped, upper case (the code's alphabet has one
    case, so ``91350100m000100y43`` can only mean the upper-case code)."""
    return normalize_identifier(value).translate(_ASCII_UPPER)


def uscc_check_char(first17: str) -> str:
    """The check character (position 18) of a USCC whose first 17 characters are ``first17``.

    GB 32100-2015: with ``v(c)`` the index of ``c`` in :data:`USCC_CHARSET`, the check
    character is ``USCC_CHARSET[(31 - Σ v(cᵢ)·wᵢ mod 31) mod 31]``.  Raises ``ValueError`` for
    a body that is not exactly 17 characters from the charset, since no check character exists
    for it.
    """
    if len(first17) != 17:
        raise ValueError(f"a USCC body has 17 characters, got {len(first17)}: {first17!r}")
    try:
        total = sum(_USCC_VALUE[ch] * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    except KeyError as exc:
        raise ValueError(f"{exc.args[0]!r} is not a USCC character (I, O, S, V, Z are not)") from exc
    return USCC_CHARSET[(31 - total % 31) % 31]


def is_valid_uscc(s: Any) -> bool:
    """Whether ``s`` is a USCC per GB 32100-2015: authority and category from its table, a
    division code with a real province, the right check character.

    Anything that is not a ``str`` is not a USCC: an 18-digit code stored as a number has
    already lost digits to Excel's 15-digit precision.
    """
    if not isinstance(s, str):
        return False
    code = uscc_text(s)
    return re.fullmatch(USCC_SHAPE, code) is not None and uscc_check_char(code[:17]) == code[17]


def uscc_problem(s: str, *, individual: bool = False) -> tuple[str, str] | None:
    """Why ``s`` is not a valid USCC, in words a user can act on (zh, en); None when it is
    valid (or, with ``individual``, a valid resident ID number: 个人 customers may give one)."""
    code = uscc_text(s)
    if is_valid_uscc(code) or (individual and is_valid_resident_id(code)):
        return None
    compact = re.sub(USCC_SEPARATORS, "", code)
    if compact and set(compact) == {"0"}:
        return ("全为 0，是占位符而不是代码：请填写营业执照上的 18 位代码",
                "all zeros is a placeholder, not a code: type the 18 characters on the business licence")
    if compact != code:
        rest = uscc_problem(compact, individual=individual)
        zh, en = "中间有空格、短横线或点，请删去（代码是连续的 18 位）", "remove the spaces, dashes or dots inside (a code is 18 characters in a row)"
        if rest is None:
            return zh, en
        return f"{zh}；删去后：{rest[0]}", f"{en}; without them: {rest[1]}"
    if re.fullmatch("[0-9]{17}[0-9X]", code) and code[:2] in PROVINCE_BY_CODE:  # an ID number?
        if individual:
            return resident_id_problem(code)
        if is_valid_resident_id(code):
            return ("这是居民身份证号码，不是统一社会信用代码（只有个人客户可以填写身份证号码）",
                    "this is a resident ID number, not a USCC (only an Individual customer may give one)")
    if len(code) != 18:
        return f"共 {len(code)} 位，应为 18 位", f"it has {len(code)} characters instead of 18"
    wrong = sorted({ch for ch in code if ch not in USCC_CHARSET})
    if wrong:
        return (f"含有不允许的字符 {'、'.join(wrong)}（只能是数字和除 I、O、S、V、Z 外的大写字母）",
                f"it contains {', '.join(wrong)} (only digits and capital letters except I, O, S, V, Z)")
    authority = REGISTRATION_AUTHORITIES.get(code[0])
    if authority is None:
        return (f"第 1 位（登记管理部门代码）「{code[0]}」不存在，应为 1–9、A、N 或 Y",
                f"the 1st character (registration authority) '{code[0]}' does not exist: it is 1-9, A, N or Y")
    name, name_en, categories = authority
    if code[1] not in categories:
        allowed = "、".join(categories)
        return (f"第 2 位（机构类别代码）「{code[1]}」与第 1 位「{code[0]}」（{name}）不符，应为 {allowed}",
                f"the 2nd character (category) '{code[1]}' does not fit the 1st '{code[0]}' ({name_en}): "
                f"it is one of {', '.join(categories)}")
    division = code[2:8]
    if not re.fullmatch(_DIVISION, division):
        return (f"第 3–8 位（登记管理机关行政区划代码）「{division}」不是有效的行政区划代码",
                f"characters 3-8 '{division}' are not an administrative division code (GB/T 2260)")
    return ("校验位（第 18 位）不正确，请对照营业执照逐位核对",
            "the check character (18th) is wrong; compare it with the business licence character by character")


def uscc_division(code: str) -> str | None:
    """Positions 3–8 of a valid USCC (its registration authority's division code)."""
    return uscc_text(code)[2:8] if is_valid_uscc(code) else None


# =============================================================================================
# Resident ID number (居民身份证号码, GB 11643-1999)

#: The place code (positions 1–6) starts with a province's code.
RESIDENT_ID_SHAPE = "(?:" + "|".join(code for code, *_ in PROVINCES) + ")[0-9]{15}[0-9X]"
#: Weights of digits 1..17 (2**(18-i) mod 11) and the check character of each sum mod 11.
RESIDENT_ID_WEIGHTS = tuple(2 ** (17 - i) % 11 for i in range(17))
RESIDENT_ID_CHECK = "10X98765432"


def resident_id_check_char(first17: str) -> str:
    """GB 11643 (ISO 7064 MOD 11-2): the check character of the 17 digits ``first17``."""
    return RESIDENT_ID_CHECK[sum(int(c) * w for c, w in zip(first17, RESIDENT_ID_WEIGHTS, strict=True)) % 11]


def _birth_date(code: str) -> date | None:
    try:
        return date(int(code[6:10]), int(code[10:12]), int(code[12:14]))
    except ValueError:
        return None


def is_valid_resident_id(s: Any) -> bool:
    """Whether ``s`` is an 18-character resident ID number: a real province in the place code,
    a real birth date, the right check character (``x`` read as ``X``, full-width folded)."""
    if not isinstance(s, str):
        return False
    code = uscc_text(s)
    return (re.fullmatch(RESIDENT_ID_SHAPE, code) is not None and _birth_date(code) is not None
            and resident_id_check_char(code[:17]) == code[17])


def resident_id_problem(code: str) -> tuple[str, str]:
    """Why the 18-character ``code`` (17 digits and a last digit or X) is not a valid resident ID."""
    if code[:2] not in PROVINCE_BY_CODE:
        return (f"身份证号码前两位「{code[:2]}」不是省级行政区划代码",
                f"the first two digits '{code[:2]}' of the ID number are not a province code")
    if _birth_date(code) is None:
        return (f"身份证号码第 7–14 位「{code[6:14]}」不是有效的出生日期",
                f"digits 7-14 '{code[6:14]}' of the ID number are not a birth date")
    return ("身份证号码校验位（第 18 位）不正确，请对照身份证逐位核对",
            "the ID number's check character (18th) is wrong; compare it with the ID card")


# =============================================================================================
# Phones (libphonenumber's metadata for CN)
#
# A cell goes through the same steps in both paths: NFKC, every dash form → "-", every space
# form → " "; an extension (转 分机 ext x # or a dash, then up to 6 digits) split off the end;
# brackets around a group dropped; spaces and dashes dropped; the international prefix (+86,
# 0086) or a bare 86 and the national prefix 0 taken off as libphonenumber's parser does; the
# national number left must match libphonenumber's pattern and lengths of one number type.

#: Dash forms (hyphen, non-breaking hyphen, figure dash, en, em, horizontal bar, minus).
PHONE_DASHES = "[\u2010-\u2015\u2212]"
#: Space forms NFKC leaves alone (it folds the ideographic and no-break spaces to " ").
PHONE_SPACES = "[\t\n\v\f\r\x1c-\x1f\x85\u1680\u2028\u2029]"
#: An extension after a complete number: main part, marker, digits.
PHONE_EXTENSION = r"(?P<main>.*[0-9)]) *(?:转|分机号?|(?i:ext)\.?|[xX#]|-) *(?P<ext>[0-9]{1,6})"
#: Brackets around a group: ``(010)``, ``（0571）``, ``(+86)``, ``(0)``.
PHONE_BRACKETS = r"\(([ +0-9-]*)\)"
PHONE_SEPARATOR_CHARS = " -"
PHONE_SEPARATORS = f"[{PHONE_SEPARATOR_CHARS}]"
#: What is left after the separators go: digits with an optional leading +.
PHONE_COMPACT = r"\+?[0-9]+"
PHONE_INTERNATIONAL = r"^(?:\+|00)86"
PHONE_BARE_CC = "^86"
PHONE_NATIONAL_PREFIX = "^0"
#: libphonenumber keeps a bare 86 as part of the number unless the rest is a number and the
#: whole is not, or the whole is longer than any national number.
PHONE_MAX_NATIONAL = 12

_TYPES = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan",
          "voicemail", "fixed_line", "mobile")


def _phone_metadata() -> tuple[tuple[str, tuple[int, ...]], tuple[tuple[str, str, tuple[int, ...]], ...]]:
    """(general pattern and lengths, ((type, pattern, lengths), …)) from libphonenumber's CN
    metadata, in the order its ``number_type`` tries them; types without numbers left out."""
    meta = PhoneMetadata.metadata_for_region("CN")
    if meta is None:  # pragma: no cover - phonenumbers always ships CN
        raise RuntimeError("phonenumbers has no metadata for CN")
    general = meta.general_desc
    if general is None or general.national_number_pattern is None:  # pragma: no cover
        raise RuntimeError("phonenumbers' CN metadata has no general pattern")
    types: list[tuple[str, str, tuple[int, ...]]] = []
    for name in _TYPES:
        desc = getattr(meta, name)
        if desc is None or desc.national_number_pattern is None or tuple(desc.possible_length or ()) == (-1,):
            continue
        types.append((name, desc.national_number_pattern, tuple(desc.possible_length or general.possible_length)))
    return (general.national_number_pattern, tuple(general.possible_length)), tuple(types)


(PHONE_GENERAL, PHONE_GENERAL_LENGTHS), PHONE_TYPES = _phone_metadata()
#: Number types an extension may follow (a mobile has none).
PHONE_EXTENSION_TYPES = frozenset(name for name, _, _ in PHONE_TYPES) - {"mobile"}


def phone_text(value: Any) -> str | None:
    """The text of a phone cell, or None when it cannot be a phone.

    A mobile typed into a cell without a leading apostrophe is stored by Excel as a number
    (13812345678); it is still the customer's phone, so integral numbers count as their digits.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value == value and value not in (float("inf"), float("-inf")) and value.is_integer():
        return str(int(value))
    if hasattr(value, "dtype") and hasattr(value, "item"):  # a numpy scalar
        return phone_text(value.item())
    return None


def clean_phone(text: str) -> str:
    """Step 1: NFKC, and every dash and space form made ``-`` and `` ``."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(PHONE_SPACES, " ", re.sub(PHONE_DASHES, "-", text))


def national_number(text: str) -> str | None:
    """The national number a cleaned phone (no extension) dials, as libphonenumber parses it
    for CN; None when it is not digits in an accepted notation."""
    compact = re.sub(PHONE_SEPARATORS, "", re.sub(PHONE_BRACKETS, r"\1", text))
    if not re.fullmatch(PHONE_COMPACT, compact):
        return None
    if re.match(PHONE_INTERNATIONAL, compact):
        return re.sub(PHONE_NATIONAL_PREFIX, "", re.sub(PHONE_INTERNATIONAL, "", compact))
    if compact.startswith("+"):
        return None  # another country's number
    if re.match(PHONE_BARE_CC, compact):
        rest = re.sub(PHONE_NATIONAL_PREFIX, "", re.sub(PHONE_BARE_CC, "", compact))
        if ((not re.fullmatch(PHONE_GENERAL, compact) and re.fullmatch(PHONE_GENERAL, rest))
                or len(compact) > PHONE_MAX_NATIONAL):
            return rest
    return re.sub(PHONE_NATIONAL_PREFIX, "", compact)


def phone_type(number: str | None) -> str | None:
    """libphonenumber's type of the national ``number`` (``fixed_line``, ``mobile`` …), None
    when it is not a valid number."""
    if number is None or len(number) not in PHONE_GENERAL_LENGTHS or not re.fullmatch(PHONE_GENERAL, number):
        return None
    for name, pattern, lengths in PHONE_TYPES:
        if len(number) in lengths and re.fullmatch(pattern, number):
            return name
    return None


def dialled_number(s: Any) -> str | None:
    """The number a valid phone dials — its national number, then ``x`` and the extension if
    it has one — or None when ``s`` is not a valid phone (:func:`is_valid_phone`).  One number
    typed in different notations gives one result: what the duplicate checks compare."""
    text = phone_text(s)
    if text is None:
        return None
    text = clean_phone(text)
    number = national_number(text)
    if phone_type(number) is not None:
        return number
    m = re.fullmatch(PHONE_EXTENSION, text)
    if m is None:
        return None
    number = national_number(m.group("main"))
    return f"{number}x{m.group('ext')}" if phone_type(number) in PHONE_EXTENSION_TYPES else None


def is_valid_phone(s: Any) -> bool:
    """Whether ``s`` is a valid number in China's numbering plan, in any common notation:
    spaces, dashes (also en/em), brackets around the area code, ``+86``/``0086``/``86``, no
    separator at all; a landline or 400/800 number may carry an extension after ``-``, ``转``,
    ``分机``, ``ext`` or ``#``.  A mobile typed as a number (13812345678.0) counts as its digits.
    """
    return dialled_number(s) is not None


__all__ = [
    "MUNICIPALITIES",
    "PROVINCES",
    "PROVINCE_BY_CODE",
    "REGISTRATION_AUTHORITIES",
    "USCC_CHARSET",
    "USCC_WEIGHTS",
    "clean_phone",
    "dialled_number",
    "is_valid_phone",
    "is_valid_resident_id",
    "is_valid_uscc",
    "national_number",
    "normalize_identifier",
    "normalize_province",
    "phone_text",
    "phone_type",
    "province_of_division",
    "resident_id_check_char",
    "resident_id_problem",
    "uscc_check_char",
    "uscc_division",
    "uscc_problem",
    "uscc_text",
]
