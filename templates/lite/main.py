"""salesxl for xlwings Lite: the SALESXL_* worksheet functions and two scripts, with no local Python.

xlwings Lite runs Python inside Excel (Pyodide, in the add-in's browser runtime).  Paste this
file into the add-in's ``main.py`` tab and ``requirements.txt`` into its tab; the functions
appear in Excel as ``=SALESXL_AMOUNT(A2:A100)`` and so on, and the scripts as buttons.

This file is generated (``salesxl.excel.lite.build_lite``) from salesxl's sources; do not edit
it, edit ``src/salesxl/excel/lite_template.py`` or the rules it inlines.  Lite cannot install
salesxl itself — it depends on Rust spreadsheet readers (fastexcel, python-calamine) and ISA-L
that have no WebAssembly build — so salesxl's rules are
inlined here verbatim from its core: the identifier rules (统一社会信用代码 per GB 32100-2015,
居民身份证号码 per GB 11643, phone numbers per libphonenumber's metadata for China, 省份) from
``salesxl/core/idrules.py``, the module salesxl's own vectorised checks are built from, and the
amount, date, level and aging rules from ``salesxl/core/plain_rules.py``, whose patterns and
defaults salesxl's column readers and settings use; they need only the standard library and
``phonenumbers`` (a pure-Python wheel Lite installs from PyPI).  The header spellings, receipt
types, customer natures and required customer fields are written in as literals from
``salesxl/core/schema.py``.  What remains written here is the glue of a worksheet function
(shapes, messages), reading a pasted range's header and rows, and calling those rules:
the ledger's netting (sign table, line direction, receivable and prepaid) is
``salesxl/core/plain_rules.py``'s, the one the vectorised ledger calls, and the customer-card checks
are ``salesxl/core/card_rules.py``'s, with the validator's message templates and parameters.
``tests/test_lite.py`` holds every function to salesxl's own implementation on the same inputs,
and this file to what the generator produces.

The rules (spec ``workbook-format.md``): amounts as in §1 (``1.2万``, ``¥1,234``, ``1,234.50``,
exact to the fen, half-up); identifiers as in §2; customer level as in §3 (Pareto, A < 80 %,
B < 95 % of the cumulative share before the customer); aging buckets as in §3 (inclusive upper
bounds 30, 60, 90, 180, 365); a customer's receivable and prepaid as the ledger nets them (§3).
Dates arrive in Lite as Excel serial numbers; text dates (``2026-03-05``, ``2026年3月5日``,
``20260305``) are read too.

Every function keeps the shape of its range (``ndim=2``) and never raises into a cell: a
problem reads ``#错误: …``.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import unicodedata
from datetime import date  # noqa: F401 - used by the inlined identifier rules
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

import xlwings as xw
from phonenumbers import PhoneMetadata  # noqa: F401 - used by the inlined identifier rules
from xlwings import arg, func, script

ERROR_PREFIX = "#错误: "

# ---------------------------------------------------------------------------------------------
# Shapes and cells


def _grid(value: Any) -> tuple[list[Any], int, int, int]:
    """(cells row by row, rows, cols, nesting 0/1/2) of an argument of any shape."""
    if isinstance(value, (list, tuple)):
        if value and isinstance(value[0], (list, tuple)):
            width = len(value[0])
            if any(len(r) != width for r in value):
                raise ValueError("区域的各行长度不一致")
            return [v for r in value for v in r], len(value), width, 2
        return list(value), len(value), 1, 1
    return [value], 1, 1, 0


def _shape(out: list[Any], rows: int, cols: int, nesting: int) -> Any:
    if nesting == 0:
        return out[0]
    if nesting == 1:
        return out
    return [out[i * cols:(i + 1) * cols] for i in range(rows)]


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, float) and v != v) or (isinstance(v, str) and not v.strip(TRIM_CHARS))


def _safe(f: Any) -> Any:
    """A worksheet function never raises: any problem is an ``#错误: …`` string.  (``wraps``
    keeps the signature, which Lite reads to register the function's arguments.)"""

    @functools.wraps(f)
    def wrapper(*args: Any) -> Any:
        try:
            return f(*args)
        except ValueError as exc:
            return ERROR_PREFIX + str(exc)
        except Exception as exc:  # noqa: BLE001 - a cell shows a message, never a traceback
            return f"{ERROR_PREFIX}内部错误 {type(exc).__name__}: {exc}"

    return wrapper


# ---------------------------------------------------------------------------------------------
# Identifiers: salesxl's own rules, inlined here by salesxl.excel.lite.build_lite

# --- inlined from salesxl/core/idrules.py by salesxl.excel.lite.build_lite: do not edit ---

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

# --- end of salesxl/core/idrules.py ---

# isort: split
# ---------------------------------------------------------------------------------------------
# Amounts, dates, levels, aging buckets (spec §1, §3): salesxl's own plain rules, inlined here

# --- inlined from salesxl/core/plain_rules.py by salesxl.excel.lite.build_lite: do not edit ---

#: Characters trimmed from text: ASCII white space, no-break space, ideographic space.
TRIM_CHARS = " \t\r\n\u00a0\u3000"

#: A plain number as text.
NUMBER_PATTERN = r"^[+-]?(\d+\.?\d*|\.\d+)$"
#: Digits plain or grouped by commas in threes, with a point as the decimal mark.
DIGITS_PATTERN = r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d*)?|\.\d+)"
# An amount as typed (after NFKC folding): an optional sign, a yuan mark before (``¥``, ``RMB``,
# ``CNY``) or after (``元``, ``RMB``, ``CNY``), a ``万``/``亿`` multiplier, and digits that are
# either plain or grouped by commas in threes with a point as the decimal mark.  Nothing else:
# another currency's mark (``$``, ``US$``, ``€``, ``HK$``, ``£``, ``USD`` …) or a comma used as the
# decimal mark (``12 345,67``, ``1.234,50``, ``12,5``) does not match and is ``bad-type`` — a
# guess would put a wrong figure in the ledger without a word (spec §1, v1.1).
AMOUNT_PATTERN = (
    r"(?i)^(?P<s1>[+-]?)\s*(?:¥|rmb|cny)?\s*(?P<s2>[+-]?)" + DIGITS_PATTERN
    + r"\s*(?P<unit>[万亿]?)\s*(?:元|rmb|cny)?$"
)
#: A quantity: plain or comma-grouped digits, by the same rule as amounts.
GROUPED_NUMBER_PATTERN = r"^(?P<s1>[+-]?)(?P<s2>)" + DIGITS_PATTERN + r"(?P<unit>)$"
#: A date typed as text: ``2026-03-05``, ``2026/3/5``, ``2026.3.5``, ``2026年3月5日``, with an
#: optional time.
YMD_PATTERN = (
    r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
#: A date typed as eight digits: ``20260305``.
COMPACT_PATTERN = r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"
#: A month: ``2026-03``, ``2026年3月``.
YM_PATTERN = r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*月?$"
#: An Excel serial day number as text.
SERIAL_PATTERN = r"^\d{1,7}(\.\d+)?$"
#: Excel's last day, 9999-12-31, as a serial number.
MAX_SERIAL = 2958465
#: Amounts of this many yuan or more are not read (beyond exact double arithmetic in fen).
MAX_ABS_YUAN = 1e13

#: Default aging buckets (spec §3): inclusive upper bounds in days.
DEFAULT_AGING_BUCKETS = (30, 60, 90, 180, 365)
#: Default level shares (spec §3): A below 80 %, B below 95 % of the cumulative share before.
DEFAULT_LEVEL_A_SHARE = "0.80"
DEFAULT_LEVEL_B_SHARE = "0.95"

_AMOUNT_RE = re.compile(AMOUNT_PATTERN, re.ASCII)
_DATE_RES = (re.compile(YMD_PATTERN), re.compile(COMPACT_PATTERN))
_SERIAL_RE = re.compile(SERIAL_PATTERN)


def half_up(x: float) -> int:
    """A double rounded half-up (away from zero) to a whole number, after snapping the binary
    noise below the 4th decimal (1234.565 × 100 is 123456.49999999999 → 123457).  The snap is
    NumPy's ``round(·, 4)`` spelled out (scale, round half to even, unscale), so that this gives
    :func:`salesxl.core.money.floats_to_fen`'s answer to the last fen even near 10^13 元."""
    r = math.floor(round(abs(x) * 10000.0) / 10000.0 + 0.5)
    return -r if x < 0 else r


def fen(value: Any) -> int | None:
    """An amount cell as int fen; None when it cannot be read.  A number is rounded half-up to
    the fen (1.005 → 1.01, as Excel's ROUND); text may carry ``¥ ￥ 元 RMB CNY``, thousands
    separators in threes, full-width digits and a ``万``/``亿`` suffix (:data:`AMOUNT_PATTERN`)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        m = _AMOUNT_RE.fullmatch(unicodedata.normalize("NFKC", value).strip(TRIM_CHARS))
        if m is None or (m["s1"] and m["s2"]):
            return None
        scale = {"万": 1e4, "亿": 1e8}.get(m["unit"], 1.0)
        value = float(m["s1"] + m["s2"] + m["num"].replace(",", "")) * scale
    if not isinstance(value, (int, float)) or not math.isfinite(value) or abs(value) >= MAX_ABS_YUAN:
        return None
    return half_up(float(value) * 100.0)


def day(value: Any) -> dt.date | None:
    """A date cell (datetime), an Excel serial number (Lite's form) or date text → a date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        s = unicodedata.normalize("NFKC", value).strip(TRIM_CHARS)
        m = _DATE_RES[0].fullmatch(s) or _DATE_RES[1].fullmatch(s)
        if m:
            try:
                return dt.date(int(m["y"]), int(m["m"]), int(m["d"]))
            except ValueError:
                return None
        if not _SERIAL_RE.fullmatch(s):
            return None
        value = float(s)
    if isinstance(value, (int, float)) and value == value:
        serial = int(value // 1)
        if serial < 1 or serial > MAX_SERIAL or serial == 60:  # Excel's phantom 1900-02-29
            return None
        return dt.date(1899, 12, 31 if serial < 60 else 30) + dt.timedelta(days=serial)
    return None


def levels(net: list[int], rank: list[Any], a_share: Fraction, b_share: Fraction) -> list[str]:
    """A/B/C per customer from net sales in fen (spec §3, the rule of
    :func:`salesxl.core.classification.levels`): ranked by net descending, ties by ``rank``;
    A while the share before it is below ``a_share``, B below ``b_share``; net ≤ 0 is C."""
    total = sum(net)
    out = ["C"] * len(net)
    if total <= 0:
        return out
    before = 0
    for i in sorted(range(len(net)), key=lambda k: (-net[k], rank[k])):
        if net[i] > 0:
            share = Fraction(before, total)
            out[i] = "A" if share < a_share else "B" if share < b_share else "C"
        before += net[i]
    return out


def bucket_labels(bounds: tuple[int, ...] | list[int]) -> list[str]:
    """``["0-30", "31-60", …, ">365"]``: the aging bucket keys of spec §5 for these bounds."""
    labels, low = [], 0
    for high in bounds:
        labels.append(f"{low}-{high}")
        low = high + 1
    return [*labels, f">{bounds[-1]}"]


# ---------------------------------------------------------------------------------------------
# The ledger's netting (spec §3 预收冲应收): what is a debit, what a credit, what is left


#: 收款 类型 → +1 a debit (a refund adds to what the customer owes) or −1 a credit (a prepayment
#: or a payment takes from it).  :mod:`salesxl.core.ledger` splits its receipt items by this
#: table, and Lite's balance nets by it; its keys are the contract's options (schema.py).
RECEIPT_DIRECTION = {"退款": 1, "预收": -1, "回款": -1}


def signum(x: Any) -> Any:
    """+1, −1 or 0 (NaN too) of a number — or elementwise of a NumPy array, by the same
    operators (no NumPy needed here)."""
    return (x > 0) * 1 - (x < 0) * 1


def line_direction(qty: Any, amount: Any) -> Any:
    """A 销售 line's direction: +1 a sale (a debit), −1 a return (a credit), 0 neither.

    The sign of 数量 decides (spec §3: a negative quantity is a return, even one typed with a
    positive 金额); without a usable 数量 (blank as NaN, or 0) the sign of the line's amount
    does.  Numbers or NumPy arrays alike (:func:`salesxl.core.ledger.sale_directions`)."""
    by_qty = signum(qty)
    return by_qty + (by_qty == 0) * signum(amount)


def receivable_prepaid(net: Any) -> tuple[Any, Any]:
    """(receivable, prepaid) from net = Σ debits − Σ credits in fen: max(net, 0) is what the
    customer owes, max(−net, 0) what they paid ahead.  Ints or NumPy arrays alike."""
    return net * (net > 0), -net * (net < 0)


def line_fen(amount: int | None, qty: float | None, price: int | None) -> int | None:
    """A 销售 line's fen: its 金额, else 数量 × 单价 rounded half-up (the scalar form of
    :func:`salesxl.core.ledger.sale_amounts`); None when it has neither."""
    if amount is not None:
        return amount
    if price is None or qty is None or qty != qty:
        return None
    return half_up(qty * price)

# --- end of salesxl/core/plain_rules.py ---

# isort: split
# ---------------------------------------------------------------------------------------------
# The customer-card checks (spec §2, §4): salesxl's own per-row rules, inlined here

# --- inlined from salesxl/core/card_rules.py by salesxl.excel.lite.build_lite: do not edit ---

#: The codes of the card checks (spec §4; the values of :class:`salesxl.core.findings.Code`).
MISSING_COLUMN, MISSING_VALUE, BAD_ENUM, BAD_USCC, BAD_PHONE, DUPLICATE_ID = (
    "missing-column", "missing-value", "bad-enum", "bad-uscc", "bad-phone", "duplicate-id")
#: The card fields the checks read.
NATURE_FIELD, USCC_FIELD, PHONE_FIELD, ID_FIELD = "客户性质", "统一社会信用代码", "联系电话", "客户编号"


def is_blank(value: Any) -> bool:
    """An empty cell: None, NaN, or text of trimmed characters only."""
    return value is None or (isinstance(value, float) and value != value) or (
        isinstance(value, str) and not value.strip(TRIM_CHARS))


def cell_text(value: Any) -> str:
    """A cell as the workbook reader renders it: ``1001.0`` → ``"1001"``, text trimmed."""
    if is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value.strip(TRIM_CHARS) if isinstance(value, str) else str(value)


def enum_params(pairs: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """A ``bad-enum`` message's option lists from a field's (Chinese, English) pairs:
    ``一般公司、个人…`` and ``Company (一般公司), …`` (just ``A`` when the English is the value)."""
    shown: dict[str, str] = {}
    for zh, en in pairs:
        shown.setdefault(zh, en if en == zh else f"{en} ({zh})")
    return {"allowed": "、".join(shown), "allowed_en": ", ".join(shown.values())}


def hint_params(rule_zh: str, rule_en: str) -> dict[str, str]:
    """A conditionally required field's ``missing-value`` parameters from its rule sentence
    (:func:`salesxl.core.schema.requirement_text`)."""
    return {"hint": "：" + rule_zh, "hint_en": "; " + rule_en}


def uscc_reason(value: str, *, individual: bool) -> dict[str, str] | None:
    """A ``bad-uscc`` message's parameters, or None when ``value`` is valid (for an
    ``individual``, a valid resident ID number is too: :func:`~salesxl.core.idrules.uscc_problem`)."""
    problem = uscc_problem(value, individual=individual)
    return None if problem is None else {"reason": problem[0], "reason_en": problem[1]}


def render(template: str, field: str | None, value: str | None, params: dict[str, Any]) -> str:
    """A message template filled as :meth:`~salesxl.core.findings.Finding.message` fills it:
    ``{field}``, ``{value}`` and the params; an unknown placeholder reads as nothing."""

    class Blank(dict[str, Any]):
        def __missing__(self, key: str) -> str:
            return ""

    values = Blank(params)
    values.setdefault("field", field or "")
    values.setdefault("value", value if value is not None else "")
    return template.format_map(values)


def nature_of(cells: dict[str, Any], natures: dict[str, str]) -> str | None:
    """The row's 客户性质 as its canonical option (``natures``: spelling in lower case → option);
    None when blank or not an option."""
    nature = cells.get(NATURE_FIELD)
    return None if is_blank(nature) else natures.get(str(nature).strip(TRIM_CHARS).lower())


def card_keys(cells: dict[str, Any], *, natures: dict[str, str], exempt: tuple[str, ...]) -> dict[str, str]:
    """The row's keys that must be unique on the sheet (``duplicate-id``), as the validator
    compares them: 客户编号 as read; 统一社会信用代码 folded (:func:`~salesxl.core.idrules.uscc_text`),
    only when valid — a placeholder such as 无 is ``bad-uscc``, not a duplicate."""
    keys = {ID_FIELD: cell_text(cells.get(ID_FIELD))}
    code = cells.get(USCC_FIELD)
    if not is_blank(code) and uscc_reason(cell_text(code), individual=nature_of(cells, natures) in exempt) is None:
        keys[USCC_FIELD] = uscc_text(cell_text(code))
    return {name: key for name, key in keys.items() if key}


def card_problems(cells: dict[str, Any], *, required: tuple[str, ...], natures: dict[str, str],
                  nature_params: dict[str, str], exempt: tuple[str, ...],
                  uscc_hint: dict[str, str]) -> list[tuple[str, str, dict[str, Any]]]:
    """(field, code, params) of one 客户档案 row's problems, in the validator's order of rules.

    ``cells`` holds the row's value per field the sheet has; ``required`` the required fields;
    ``natures`` each 客户性质 spelling (lower case) → its canonical option; ``exempt`` the natures
    for which 统一社会信用代码 may be blank (a blank or unknown nature is not exempt, as the
    validator reads it).  Repeated keys need the other rows: the caller tracks :func:`card_keys`."""
    out: list[tuple[str, str, dict[str, Any]]] = []
    for name in required:
        if name in cells and is_blank(cells[name]):
            out.append((name, MISSING_VALUE, {}))
    kind = nature_of(cells, natures)
    if NATURE_FIELD in cells and not is_blank(cells[NATURE_FIELD]) and kind is None:
        out.append((NATURE_FIELD, BAD_ENUM, dict(nature_params)))
    if USCC_FIELD in cells:
        code, individual = cells[USCC_FIELD], kind in exempt
        if is_blank(code):
            if not individual:
                out.append((USCC_FIELD, MISSING_VALUE, dict(uscc_hint)))
        else:
            why = uscc_reason(cell_text(code), individual=individual)
            if why is not None:
                out.append((USCC_FIELD, BAD_USCC, why))
    phone = cells.get(PHONE_FIELD)
    if PHONE_FIELD in cells and not is_blank(phone) and not is_valid_phone(phone):
        out.append((PHONE_FIELD, BAD_PHONE, {}))
    return out


__all__ = ["BAD_ENUM", "BAD_PHONE", "BAD_USCC", "DUPLICATE_ID", "ID_FIELD", "MISSING_COLUMN", "MISSING_VALUE", "NATURE_FIELD",
           "PHONE_FIELD", "USCC_FIELD", "card_keys", "card_problems", "cell_text", "enum_params", "hint_params", "is_blank",
           "nature_of", "render", "uscc_reason"]

# --- end of salesxl/core/card_rules.py ---

_NUMBER = re.compile(NUMBER_PATTERN)


def _bounds(value: Any) -> list[int]:
    cells = [v for v in _grid(value)[0] if not _blank(v)] if value is not None else []
    if not cells:
        return list(DEFAULT_AGING_BUCKETS)
    parts = re.split(r"[,;，、\s]+", unicodedata.normalize("NFKC", cells[0]).strip()) if (
        len(cells) == 1 and isinstance(cells[0], str)) else cells
    try:
        bounds = [int(Decimal(str(p))) for p in parts if str(p)]
    except (InvalidOperation, ValueError):
        bounds = []
    if not bounds or any(b <= 0 for b in bounds) or bounds != sorted(set(bounds)):
        raise ValueError("账龄分段应为递增的正整数天数，如 30,60,90,180,365")
    return bounds


# ---------------------------------------------------------------------------------------------
# Worksheet functions


@func
@arg("values", ndim=2, doc="要检查的统一社会信用代码")
@_safe
def salesxl_uscc_valid(values: Any) -> Any:
    """统一社会信用代码是否有效：每个单元格 TRUE/FALSE，空单元格返回空。"""
    cells, r, c, n = _grid(values)
    return _shape([None if _blank(v) else is_valid_uscc(v) for v in cells], r, c, n)


@func
@arg("values", ndim=2, doc="要检查的联系电话")
@_safe
def salesxl_phone_valid(values: Any) -> Any:
    """联系电话是否有效（手机、座机、400/800）：每个单元格 TRUE/FALSE，空单元格返回空。"""
    cells, r, c, n = _grid(values)
    return _shape([None if _blank(v) else is_valid_phone(v) for v in cells], r, c, n)


@func
@arg("values", ndim=2, doc="金额，可含 1.2万、¥1,234、1,234.50")
@_safe
def salesxl_amount(values: Any) -> Any:
    """金额换算为元，精确到分；无法识别时返回 #错误。"""
    cells, r, c, n = _grid(values)
    out = []
    for v in cells:
        f = None if _blank(v) else fen(v)
        out.append(None if _blank(v) else f / 100 if f is not None else f"{ERROR_PREFIX}无法识别的金额「{v}」")
    return _shape(out, r, c, n)


@func
@arg("net_sales", ndim=2, doc="每个客户的净销售额")
@arg("ids", ndim=2, doc="可选：客户编号（净销售额相同时按编号排序）")
@_safe
def salesxl_level(net_sales: Any, ids: Any = None, a_share: Any = None, b_share: Any = None) -> Any:
    """客户等级 A/B/C（帕累托：累计占比前 80% 为 A、至 95% 为 B、其余 C）。"""
    cells, r, c, n = _grid(net_sales)
    amounts = [None if _blank(v) else fen(v) for v in cells]
    for i, (v, f) in enumerate(zip(cells, amounts, strict=True)):
        if not _blank(v) and f is None:
            raise ValueError(f"区域第 {i + 1} 个单元格的净销售额「{v}」不是金额")
    keys = [v for v in _grid(ids)[0]] if ids is not None and not all(_blank(v) for v in _grid(ids)[0]) else None
    if keys is not None and len(keys) != len(cells):
        raise ValueError(f"客户编号区域有 {len(keys)} 个单元格，净销售额区域有 {len(cells)} 个，应一样多")
    a = _share(a_share, Fraction(DEFAULT_LEVEL_A_SHARE), "A类累计占比")
    b = _share(b_share, Fraction(DEFAULT_LEVEL_B_SHARE), "B类累计占比")
    use = [i for i, f in enumerate(amounts) if f is not None]
    rank = [_id_text(keys[i]) if keys is not None else i for i in use]
    got = levels([amounts[i] or 0 for i in use], rank, a, b)
    out: list[Any] = [None] * len(cells)
    for i, g in zip(use, got, strict=True):
        out[i] = g
    return _shape(out, r, c, n)


def _share(value: Any, default: Fraction, name: str) -> Fraction:
    """``0.8`` or ``"80%"``; blank keeps the default."""
    if _blank(value):
        return default
    text = unicodedata.normalize("NFKC", str(value)).strip()
    try:
        share = Fraction(text[:-1]) / 100 if text.endswith("%") else Fraction(text)
    except (ValueError, ZeroDivisionError):
        share = Fraction(-1)
    if not 0 <= share <= 1:
        raise ValueError(f"{name}应为 0 到 1 之间的比例，如 0.8 或 80%，而不是「{value}」")
    return share


def _id_text(v: Any) -> str:
    """An id cell as text: 1001.0 → "1001" (as the workbook reader renders it)."""
    if _blank(v):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return v.strip(TRIM_CHARS) if isinstance(v, str) else str(v)


@func
@arg("dates", ndim=2, doc="单据日期")
@arg("amounts", ndim=2, doc="未清金额")
@_safe
def salesxl_aging(dates: Any, amounts: Any, as_of: Any, buckets: Any = None) -> Any:
    """账龄分段（0-30 … >365）；金额为空或不为正、日期晚于截止日的行返回空。"""
    d_cells, r, c, n = _grid(dates)
    a_cells = _grid(amounts)[0]
    if len(d_cells) != len(a_cells):
        raise ValueError(f"日期区域有 {len(d_cells)} 个单元格，金额区域有 {len(a_cells)} 个，应一样多")
    if _blank(as_of):
        raise ValueError("缺少截止日期")
    cut = day(as_of)
    if cut is None:
        raise ValueError(f"截止日期「{as_of}」不是日期")
    bounds = _bounds(buckets)
    labels = bucket_labels(bounds)
    out: list[Any] = []
    for dv, av in zip(d_cells, a_cells, strict=True):
        d = None if _blank(dv) else day(dv)
        f = None if _blank(av) else fen(av)
        if not _blank(dv) and d is None:
            out.append(f"{ERROR_PREFIX}无法识别的日期「{dv}」")
        elif not _blank(av) and f is None:
            out.append(f"{ERROR_PREFIX}无法识别的金额「{av}」")
        elif d is None or f is None or f <= 0 or d > cut:
            out.append(None)
        else:
            age = (cut - d).days
            out.append(labels[next((k for k, b in enumerate(bounds) if age <= b), len(bounds))])
    return _shape(out, r, c, n)


# -- balances --------------------------------------------------------------------------------

# --- written from salesxl/core/schema.py by salesxl.excel.lite.build_lite: do not edit ---
_HEADERS = {'日期': ('日期', 'date'), '客户编号': ('客户编号', 'customer id'), '数量': ('数量', 'qty', 'quantity'), '单价': ('单价', 'unit price', 'price'), '金额': ('金额', 'amount'), '类型': ('类型', 'type')}
_KINDS = {'预收': '预收', 'prepayment': '预收', '回款': '回款', 'payment': '回款', '退款': '退款', 'refund': '退款'}
_CUSTOMER_HEADERS = {'客户编号': ('客户编号', 'customer id'), '客户名称': ('客户名称', 'customer name'), '客户性质': ('客户性质', 'nature'), '统一社会信用代码': ('统一社会信用代码', 'uscc', '信用代码', '社会信用代码'), '联系电话': ('联系电话', 'phone', '电话', '手机', 'telephone', 'mobile'), '业务员': ('业务员', 'salesperson', '销售员', 'sales rep')}
_NATURES = {'政府机构': '政府机构', 'government': '政府机构', '特殊公司': '特殊公司', 'special company': '特殊公司', '一般公司': '一般公司', 'general company': '一般公司', '个人': '个人', 'individual': '个人', '合作伙伴': '合作伙伴', 'partner': '合作伙伴'}
_REQUIRED = ('客户编号', '客户名称', '客户性质', '业务员')
_NATURE_PARAMS = {'allowed': '政府机构、特殊公司、一般公司、个人、合作伙伴', 'allowed_en': 'Government (政府机构), Special Company (特殊公司), General Company (一般公司), Individual (个人), Partner (合作伙伴)'}
_USCC_EXEMPT = ('个人',)
_USCC_HINT = {'hint': '：除客户性质为「个人」外，都须填写统一社会信用代码', 'hint_en': '; USCC is required unless Nature is Individual'}
_MESSAGES = {'missing-column': '工作表缺少必填列「{field}」（也可用英文表头 {english}）', 'missing-value': '「{field}」是必填项，不能为空{hint}', 'bad-enum': '「{field}」的值「{value}」不是有效选项，请改为以下之一：{allowed}', 'bad-uscc': '统一社会信用代码「{value}」无效：{reason}', 'bad-phone': '联系电话「{value}」不是有效的号码：应为已分配号段的 11 位手机号（可带 +86）、区号存在且本地号码位数正确的座机（如 010-62345678、0571-88123456，可带分机）或 400/800 电话', 'duplicate-id': '「{field}」{value}{scope}与第 {first_row} 行重复，须唯一：请修改或删除重复的行'}
_ENGLISH = {'客户编号': 'Customer ID', '客户名称': 'Customer Name', '客户性质': 'Nature', '统一社会信用代码': 'USCC', '联系电话': 'Phone', '业务员': 'Salesperson'}
# --- end of the schema's vocabulary ---


def _label(text: Any) -> str:
    s = unicodedata.normalize("NFKC", str(text)).strip().lower()
    s = re.sub(r"\s*[(（][^()（）]*[)）]\s*$", "", s)
    return re.sub(r"\s+", " ", s)


def _columns(header: list[Any], label: str, needed: tuple[str, ...]) -> dict[str, int]:
    found = {}
    for j, h in enumerate(header):
        if _blank(h):
            continue
        for name, spellings in _HEADERS.items():
            if _label(h) in spellings and name not in found:
                found[name] = j
    for name in needed:
        if name not in found:
            raise ValueError(f"{label}的第一行没有「{name}」列")
    return found


def _amount_cell(row: list[Any], col: dict[str, int], name: str, i: int) -> int | None:
    """An amount column's cell in fen; None when blank or absent; unreadable → an error, since
    leaving the row out would silently change the balance."""
    if name not in col or _blank(row[col[name]]):
        return None
    f = fen(row[col[name]])
    if f is None:
        raise ValueError(f"销售区域第 {i} 行「{name}」的值「{row[col[name]]}」不是金额")
    return f


def _quantity(value: Any, i: int) -> float | None:
    """A 数量 cell as a number (its sign tells a sale from a return); None when blank."""
    if _blank(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = re.sub(r"[\s,]", "", unicodedata.normalize("NFKC", str(value)))
    if not _NUMBER.fullmatch(text):
        raise ValueError(f"销售区域第 {i} 行「数量」的值「{value}」不是数字")
    return float(text)


def net_by_customer(sales: Any, receipts: Any, cut: dt.date) -> dict[str, int]:
    """Σ debit items − Σ credit items in fen per customer, rows dated on or before ``cut``, by
    salesxl's own netting rules (inlined above): a sales line's fen and direction
    (:func:`line_fen`, :func:`line_direction`), a receipt's by its type (:data:`RECEIPT_DIRECTION`)."""
    net: dict[str, int] = {}
    rows = [list(r) for r in sales] if isinstance(sales, (list, tuple)) else []
    if not rows or not isinstance(sales[0], (list, tuple)):
        raise ValueError("销售区域应为带表头的区域（第一行是表头）")
    col = _columns(rows[0], "销售区域", ("日期", "客户编号"))
    for i, row in enumerate(rows[1:], start=2):
        d, cid = day(row[col["日期"]]), _id_text(row[col["客户编号"]])
        if d is None and not _blank(row[col["日期"]]):
            raise ValueError(f"销售区域第 {i} 行「日期」的值「{row[col['日期']]}」不是日期")
        if d is None or not cid or d > cut:
            continue
        qty = _quantity(row[col["数量"]], i) if "数量" in col else None
        amount = line_fen(_amount_cell(row, col, "金额", i), qty, _amount_cell(row, col, "单价", i))
        if amount is None:
            continue
        net[cid] = net.get(cid, 0) + line_direction(math.nan if qty is None else qty, amount) * abs(amount)
    if receipts is None or _blank(receipts):
        return net
    rows = [list(r) for r in receipts]
    col = _columns(rows[0], "收款区域", ("日期", "客户编号", "金额", "类型"))
    for i, row in enumerate(rows[1:], start=2):
        d, cid = day(row[col["日期"]]), _id_text(row[col["客户编号"]])
        kind_cell = row[col["类型"]]
        kind = None if _blank(kind_cell) else _KINDS.get(str(kind_cell).strip().lower())
        if not _blank(kind_cell) and kind is None:
            raise ValueError(f"收款区域第 {i} 行「类型」的值「{kind_cell}」应为 预收、回款 或 退款")
        amount = fen(row[col["金额"]])
        if d is None or not cid or d > cut or kind is None or amount is None or amount <= 0:
            continue
        net[cid] = net.get(cid, 0) + RECEIPT_DIRECTION[kind] * amount
    return net


@func
@arg("customer_id", ndim=2, doc="客户编号（单元格或一列）")
@arg("sales", ndim=2, doc="销售明细区域，第一行为表头")
@arg("receipts", ndim=2, doc="收款明细区域，第一行为表头（可留空）")
@_safe
def salesxl_balance(customer_id: Any, sales: Any, receipts: Any = None, as_of: Any = None) -> Any:
    """客户的应收余额和预收余额（两列，元），按预收冲应收规则由销售与收款区域计算。"""
    cut = dt.date.today() if _blank(as_of) else day(as_of)
    if cut is None:
        raise ValueError(f"截止日期「{as_of}」不是日期")
    net = net_by_customer(sales, receipts, cut)
    out: list[list[float | None]] = []
    for v in _grid(customer_id)[0]:
        if _blank(v):
            out.append([None, None])
            continue
        receivable, prepaid = receivable_prepaid(net.get(_id_text(v), 0))
        out.append([receivable / 100, prepaid / 100])
    return out


# ---------------------------------------------------------------------------------------------
# Scripts

_CUSTOMER_SHEETS = ("客户档案", "customers")
RESULTS_SHEET = "校验结果"


def _letter(j: int) -> str:
    s, n = "", j + 1
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def customer_findings(values: list[list[Any]], sheet: str = "客户档案") -> list[list[Any]]:
    """Check the 客户档案 rows (as the sheet's values, top-left at A1) by salesxl's own card
    rules (:func:`card_problems`, :func:`card_keys`, inlined above), with the validator's messages:
    missing values, 客户性质 options, USCC (required unless 个人), phone, repeated 客户编号 or USCC.
    Rows of 工作表 · 行 · 列 · 字段 · 值 · 级别 · 代码 · 说明."""
    header_at, cols = None, {}
    for i, row in enumerate(values[:10]):
        found = {}
        for j, h in enumerate(row):
            for name, spellings in _CUSTOMER_HEADERS.items():
                if not _blank(h) and _label(h) in spellings and name not in found:
                    found[name] = j
        if len(found) >= 2:
            header_at, cols = i, found
            break
    if header_at is None:
        return [[sheet, None, None, None, None, "错误", "missing-column", "找不到表头（前 10 行中没有客户档案的列名）"]]
    out: list[list[Any]] = []
    for name in _REQUIRED:
        if name not in cols:
            out.append([sheet, header_at + 1, None, name, None, "错误", MISSING_COLUMN,
                        render(_MESSAGES[MISSING_COLUMN], name, None, {"english": _ENGLISH[name]})])
    seen: dict[tuple[str, str], int] = {}
    for i, row in enumerate(values[header_at + 1:], start=header_at + 2):
        if all(_blank(v) for v in row):
            continue
        cells = {name: row[j] if j < len(row) else None for name, j in cols.items()}
        problems = card_problems(cells, required=_REQUIRED, natures=_NATURES, nature_params=_NATURE_PARAMS,
                                 exempt=_USCC_EXEMPT, uscc_hint=_USCC_HINT)
        for name, key in card_keys(cells, natures=_NATURES, exempt=_USCC_EXEMPT).items():
            if (name, key) in seen:
                problems.append((name, DUPLICATE_ID, {"first_row": seen[name, key]}))
            else:
                seen[name, key] = i
        for name, code, params in problems:
            value = cell_text(cells[name]) or None
            out.append([sheet, i, _letter(cols[name]), name, value, "错误", code,
                        render(_MESSAGES[code], name, value, params)])
    return out


def _sheet(book: xw.Book, names: tuple[str, ...]) -> Any:
    for s in book.sheets:
        if unicodedata.normalize("NFKC", s.name).strip().lower() in names:
            return s
    return None


def _replace_sheet(book: xw.Book, name: str) -> Any:
    for s in book.sheets:
        if s.name == name:
            s.delete()
            break
    return book.sheets.add(name, after=book.sheets[len(book.sheets) - 1])


def _text(v: Any) -> Any:
    """A user's text written back as text (a leading apostrophe: never a formula)."""
    return "'" + v if isinstance(v, str) and v else v


@script
def validate_customers(book: xw.Book) -> None:
    """校验客户档案：必填项、客户性质、统一社会信用代码、联系电话、重复编号，结果写入「校验结果」。"""
    sheet = _sheet(book, _CUSTOMER_SHEETS)
    results = _replace_sheet(book, RESULTS_SHEET)
    header = ["工作表", "行", "列", "字段", "值", "级别", "代码", "说明"]
    if sheet is None:
        results["A1"].value = [header, ["客户档案", None, None, None, None, "错误", "missing-sheet", "缺少工作表「客户档案」"]]
        return
    values = sheet.used_range.options(ndim=2).value
    top, left = sheet.used_range.row, sheet.used_range.column
    grid = [[None] * (left - 1) + list(r) for r in ([[None]] * (top - 1) + values)]
    rows = customer_findings(grid, sheet.name)
    results["A1"].value = [header] + [[_text(v) for v in r] for r in rows] if rows else [
        header, [None, None, None, None, None, None, None, "没有发现问题"]]


@script
def customer_balances(book: xw.Book) -> None:
    """按预收冲应收计算每个客户截至今天的应收、预收余额，写入「余额速览」。"""
    sales = _sheet(book, ("销售", "sales", "销售明细", "销售台账"))
    receipts = _sheet(book, ("收款", "receipts", "收款明细"))
    if sales is None:
        raise ValueError("缺少工作表「销售」")

    def table(sheet: Any) -> list[list[Any]]:
        values = sheet.used_range.options(ndim=2).value
        for i, row in enumerate(values[:10]):
            if sum(1 for h in row if not _blank(h) and any(_label(h) in s for s in _HEADERS.values())) >= 2:
                return values[i:]
        return values

    net = net_by_customer(table(sales), table(receipts) if receipts is not None else None, dt.date.today())
    rows = [[_text(cid), *(x / 100 for x in receivable_prepaid(v))] for cid, v in sorted(net.items())]
    out = _replace_sheet(book, "余额速览")
    out["A1"].value = [["客户编号", "应收余额", "预收余额"], *rows]
    if rows:
        out.range((2, 2), (len(rows) + 1, 3)).number_format = "#,##0.00"
