"""Which result sheets salesxl wrote itself — the only sheets a re-run may replace.

A result sheet (校验结果, 往来余额, 账龄明细, 核销明细, 发货放行, 路线, 信用建议 …) is replaced on a
re-run only when salesxl wrote it.  A sheet of that name that salesxl did not write is the user's:
it is kept exactly as it is, and the result goes under the first free name ``校验结果(2)``,
``校验结果(3)`` … (:func:`free_name`), which the command reports (:func:`kept_note`).

The mark
--------
salesxl marks each result sheet it writes with a workbook-scoped defined name
``_salesxl_result_N`` (hidden) whose formula refers to the sheet: ``'校验结果'!$A$1``.  Why a
defined name and not the sheet's name or a record of names:

* Excel and LibreOffice keep defined names when they save (LibreOffice drops the *hidden* flag,
  so the name shows in its name manager; tested by a LibreOffice round trip);
* both update the reference when the sheet is renamed and turn it into ``#REF!`` when the sheet
  is deleted — so a sheet the user creates later under the same name is never taken for ours,
  and a sheet of ours the user renamed to keep it (``3月校验``) is no longer a result sheet;
* a workbook-scoped name is not copied with the sheet (a sheet-scoped one would be), so a copy
  the user makes of our sheet is the user's.

A re-run removes every marked sheet of the result it writes — the sheet of the result's name
and the ``name(k)`` sheets earlier runs wrote beside a user's sheet — with its mark, and marks
the new one.  Marks whose sheet is gone are dropped.

Books written before the mark existed: a sheet of a result's name with no mark whose first row
is *exactly* the header salesxl writes on that sheet is taken as ours (no user sheet starts with
that exact row by chance); anything else is the user's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from lxml import etree

if TYPE_CHECKING:
    from salesxl.io.marking import Marker

__all__ = ["MARK_PREFIX", "claim", "free_name", "is_mark", "is_result_of", "kept_note", "mark", "marked_sheets", "sheet_of"]

MARK_PREFIX = "_salesxl_result_"
_MARK_RE = re.compile(re.escape(MARK_PREFIX) + r"\d+", re.I)
_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RT_SHARED_STRINGS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def _q(local: str) -> str:
    return f"{{{_NS_MAIN}}}{local}"


_REF_RE = re.compile(r"\s*=?\s*(?:'((?:[^']|'')+)'|([^'!]+))!")
#: Elements that come before ``<definedNames>`` in a workbook (ECMA-376 order).
_BEFORE_NAMES = {_q(n) for n in ("fileVersion", "fileSharing", "workbookPr", "workbookProtection", "bookViews",
                                 "sheets", "functionGroups", "externalReferences")}
_HEADER_PARSER_ARGS = {"resolve_entities": False, "no_network": True, "huge_tree": True}


def sheet_of(formula: str) -> str | None:
    """The sheet a mark's formula refers to (None for ``#REF!`` and anything else)."""
    m = _REF_RE.match(formula or "")
    if m is None:
        return None
    name = m.group(1).replace("''", "'") if m.group(1) is not None else m.group(2).strip()
    return None if not name or name.startswith("#") else name


def _marks(m: Marker) -> list[tuple[etree._Element, str | None]]:
    """Our mark names in the workbook, each with the sheet it refers to."""
    names = m.wb.find(_q("definedNames"))
    if names is None:
        return []
    return [(dn, sheet_of(dn.text or "")) for dn in names.findall(_q("definedName"))
            if dn.get("localSheetId") is None and _MARK_RE.fullmatch(dn.get("name", ""))]


def is_mark(name: str) -> bool:
    """``name`` is one of salesxl's result marks (``Sheet!name`` forms too, as xlwings gives them)."""
    return _MARK_RE.fullmatch(name.rsplit("!", 1)[-1]) is not None


def _sheet_names(m: Marker) -> list[str]:
    """The workbook's sheet names (cheaper than ``m.sheets()``: no relationship lookups)."""
    container = m.wb.find(_q("sheets"))
    return [el.get("name", "") for el in container.findall(_q("sheet"))] if container is not None else []


def marked_sheets(m: Marker) -> set[str]:
    """The (case-folded) names of the sheets that carry salesxl's result mark."""
    present = {name.casefold() for name in _sheet_names(m)}
    return {ref.casefold() for _, ref in _marks(m) if ref is not None and ref.casefold() in present}


def _drop_marks(m: Marker, sheet: str | None) -> None:
    """Remove the marks of ``sheet`` (None: the marks whose sheet no longer exists)."""
    names = m.wb.find(_q("definedNames"))
    if names is None:
        return
    present = {name.casefold() for name in _sheet_names(m)}
    for dn, ref in _marks(m):
        gone = ref is None or ref.casefold() not in present
        if (sheet is None and gone) or (sheet is not None and ref is not None and ref.casefold() == sheet.casefold()):
            names.remove(dn)
            m.wb_dirty = True
    if len(names) == 0:
        m.wb.remove(names)


def mark(m: Marker, sheet: str) -> None:
    """Mark ``sheet`` as a result salesxl wrote (see the module documentation)."""
    names = m.wb.find(_q("definedNames"))
    if names is None:
        names = m.wb.makeelement(_q("definedNames"), {})
        children = list(m.wb)
        at = max((i + 1 for i, el in enumerate(children) if el.tag in _BEFORE_NAMES), default=len(children))
        m.wb.insert(at, names)
    taken = {dn.get("name", "").casefold() for dn in names.findall(_q("definedName"))}
    k = 1
    while f"{MARK_PREFIX}{k}".casefold() in taken:
        k += 1
    dn = names.makeelement(_q("definedName"), {"name": f"{MARK_PREFIX}{k}", "hidden": "1"})
    dn.text = "'" + sheet.replace("'", "''") + "'!$A$1"
    names.append(dn)
    m.wb_dirty = True


def is_result_of(name: str, sheet: str) -> bool:
    """``sheet`` is ``name`` or one of the ``name(k)`` a run wrote beside a user's sheet."""
    folded, want = sheet.casefold(), name.casefold()
    return folded == want or re.fullmatch(re.escape(want) + r"\(\d+\)", folded) is not None


def claim(m: Marker, name: str, headers: Iterable[Sequence[str]] = (), *, replace: bool = True,
          reserved: Iterable[str] = ()) -> str:
    """Make room for the result sheet ``name``; returns the name to write it under.

    Removes salesxl's earlier sheets of this result (marked, or — books from before the mark —
    unmarked with exactly one of ``headers`` as their first row).  A sheet of that name that is
    the user's stays, and the result gets :func:`free_name`.  ``replace=False`` removes nothing
    (a sheet that becomes the user's data once written, like the batch's 变更记录).  ``reserved``:
    names other sheets of the same write will take.
    """
    if replace:
        ours = marked_sheets(m)
        for sheet in _sheet_names(m):
            if sheet.casefold() in ours and is_result_of(name, sheet):
                m._remove_results_sheets(sheet)
                _drop_marks(m, sheet)
        if any(sheet.casefold() == name.casefold() for sheet in _sheet_names(m)):  # not ours by its mark
            same = next(s for s in m.sheets() if s.name.casefold() == name.casefold())
            if same.is_worksheet and same.part is not None:
                first = _first_row(m, same.part)
                if first is not None and any(first == list(h) for h in headers):
                    m._remove_results_sheets(same.name)
        if m.wb.find(_q("definedNames")) is not None:
            _drop_marks(m, None)
    return free_name(name, _sheet_names(m) + list(reserved))


def free_name(name: str, taken: Iterable[str]) -> str:
    """``name`` if no sheet has it (Excel compares names case-insensitively), else the first
    free ``name(2)``, ``name(3)`` …"""
    used = {t.casefold() for t in taken}
    if name.casefold() not in used:
        return name
    k = 2
    while f"{name}({k})".casefold() in used:
        k += 1
    return f"{name}({k})"


def kept_note(renamed: dict[str, str], lang: str = "zh") -> str | None:
    """The line a command prints when results went under a free name (None when none did)."""
    if not renamed:
        return None
    if lang == "en":
        return "; ".join(
            f"the workbook's own sheet {wanted} (not written by salesxl) was kept; the results are on {actual}"
            for wanted, actual in renamed.items()).capitalize()
    return "；".join(f"工作簿中已有自己的「{wanted}」工作表（不是 salesxl 写的），已原样保留；结果写在「{actual}」"
                    for wanted, actual in renamed.items())


# --------------------------------------------------------------------------------------------
# The first row of a sheet (books from before the mark)


def _first_row(m: Marker, part: str) -> list[str] | None:
    """The texts of row 1 of a worksheet part (None when the sheet has no row 1 or cannot be
    read).  Streams the part and stops after the first row: a user's sheet may be large."""
    cells: list[tuple[int, str | tuple[int]]] = []
    try:
        with m.pkg.open(part) as src:
            for _, el in etree.iterparse(src, events=("end",), tag=_q("row"), **_HEADER_PARSER_ARGS):
                if el.get("r", "1") != "1":
                    return None
                for i, c in enumerate(el.findall(_q("c"))):
                    col = _col_of(c.get("r"), i)
                    t = c.get("t", "n")
                    if t == "s":
                        v = c.findtext(_q("v")) or ""
                        if not v.strip().isdigit():
                            return None
                        cells.append((col, (int(v),)))
                    elif t == "inlineStr":
                        cells.append((col, "".join(x.text or "" for x in c.iter(_q("t")))))
                    else:
                        cells.append((col, c.findtext(_q("v")) or ""))
                break
            else:
                return None
    except (KeyError, OSError, etree.XMLSyntaxError, ValueError):
        return None
    wanted = {v[0] for _, v in cells if isinstance(v, tuple)}
    strings = _shared_strings(m, max(wanted)) if wanted else []
    out: dict[int, str] = {}
    for col, v in cells:
        if isinstance(v, tuple):
            if v[0] >= len(strings):
                return None
            v = strings[v[0]]
        out[col] = v
    if not out:
        return None
    last = max(out)
    return [out.get(i, "") for i in range(1, last + 1)]


def _col_of(ref: str | None, i: int) -> int:
    m = re.match(r"([A-Za-z]{1,3})\d", ref or "")
    if not m:
        return i + 1
    n = 0
    for ch in m.group(1).upper():
        n = n * 26 + ord(ch) - 64
    return n


def _shared_strings(m: Marker, upto: int) -> list[str]:
    """Shared strings 0…``upto`` (the table is read only as far as needed)."""
    found = m.wb_rels.of_type(RT_SHARED_STRINGS)
    if not found or not m.pkg.has(found[0][1]):
        return []
    out: list[str] = []
    try:
        with m.pkg.open(found[0][1]) as src:
            for _, si in etree.iterparse(src, events=("end",), tag=_q("si"), **_HEADER_PARSER_ARGS):
                # the text of the item, without phonetic runs (<rPh>)
                out.append("".join(t.text or "" for t in si.iter(_q("t")) if t.getparent().tag != _q("rPh")))
                si.clear()
                if len(out) > upto:
                    break
    except (KeyError, OSError, etree.XMLSyntaxError, ValueError):
        return []
    return out

