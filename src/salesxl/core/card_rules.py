"""The customer-card checks one row at a time: the per-row text of the 客户档案 rules Lite runs.

salesxl's validator (:mod:`salesxl.core.validation`) checks 客户档案 over whole columns; xlwings
Lite cannot install salesxl and checks a pasted sheet row by row.  This module holds the rules'
per-row form and the pieces both read: a finding's message parameters (the option list of a
``bad-enum``, the rule sentence of a missing 统一社会信用代码, the reason of a ``bad-uscc``), the
exemption (required unless one of the ``exempt`` natures, spec §2), and :func:`render`, which
fills a message template as :meth:`salesxl.core.findings.Finding.message` does.  It imports only
the standard library and the other inlined rule modules (:mod:`salesxl.core.idrules`,
:mod:`salesxl.core.plain_rules`), so :mod:`salesxl.excel.lite` inlines it verbatim into Lite's
``main.py``; the vocabulary (options, required fields, templates) comes from the schema and the
findings, passed in.  ``tests/test_lite.py`` holds Lite's findings and messages to the validator's.
"""

from __future__ import annotations

from typing import Any

from salesxl.core.idrules import is_valid_phone, uscc_problem, uscc_text
from salesxl.core.plain_rules import TRIM_CHARS

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
