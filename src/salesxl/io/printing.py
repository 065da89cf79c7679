"""Print setup of the sheets salesxl writes by hand (result sheets, 校验结果).

Not :mod:`salesxl.io.print_sheets`: that module lays out the NEW workbooks salesxl creates with
XlsxWriter, which has a page-setup API of its own (``set_paper``, ``fit_to_pages``,
``repeat_rows``).  This one writes the raw worksheet XML fragments for sheets put into the
user's OWN workbook through :mod:`salesxl.io.ooxml`, where there is no such API.  The two share
only the decisions :func:`landscape` and :func:`print_title`, which ``print_sheets`` imports
from here.

A sheet printed as it stood before this module spilled over dozens of portrait pages, its last
columns (处理建议, 放行决定) on pages of their own.  Every sheet written through
:mod:`salesxl.io.results` or :mod:`salesxl.io.marking` now prints as an office expects:

* A4, landscape when the columns are wider than a portrait page, scaled to the page width
  (``fitToWidth=1``, ``fitToHeight=0``: as many pages down as the rows need);
* a page header with the title — what, as of when, for whom (``往来余额　截至 2026-10-31　某公司``);
* the header row repeated on every page, and the leading key columns (客户编号, 客户名称) too
  (``_xlnm.Print_Titles``, a sheet-scoped defined name);
* page numbers in the footer (``第 1 页，共 9 页``) and cell borders (printed grid lines).

The pieces are worksheet XML fragments placed in CT_Worksheet's order by the writers: the
``<sheetPr>`` (with ``<pageSetUpPr fitToPage="1"/>``, without which Excel ignores the fit), and
the tail ``<printOptions>``, ``<pageMargins>``, ``<pageSetup>``, ``<headerFooter>`` after
``<autoFilter>``/``<hyperlinks>``.  The print titles go in ``workbook.xml``:
:func:`set_print_titles` replaces an earlier one of the same sheet index, never duplicates it
(Excel refuses a workbook with two).  A replaced result sheet's print titles are dropped with the
sheet by :meth:`salesxl.io.marking.Marker._after_sheet_removed` (it drops every name scoped to
the removed sheet and renumbers the later ones).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from lxml import etree

__all__ = ["KEY_HEADERS", "key_columns", "landscape", "print_title", "set_print_titles", "sheet_pr", "tail"]

_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
PRINT_TITLES = "_xlnm.Print_Titles"
#: Columns that identify a row: repeated on every page when they lead the table.
KEY_HEADERS = frozenset({"客户编号", "客户名称", "Customer ID", "Customer name"})
#: Column widths (Excel character units) that fit across a portrait A4 page at 100 %.
_PORTRAIT_WIDTH = 95
#: Elements that come before ``<definedNames>`` in a workbook (ECMA-376 order).
_BEFORE_NAMES = ("fileVersion", "fileSharing", "workbookPr", "workbookProtection", "bookViews", "sheets",
                 "functionGroups", "externalReferences")


def _q(local: str) -> str:
    return f"{{{_NS_MAIN}}}{local}"


def print_title(what: str, as_of: date | str | None = None, whom: str | None = None, *, lang: str = "zh") -> str:
    """``往来余额　截至 2026-10-31　某某公司`` — the parts that are known, full-width spaced."""
    parts = [what]
    if as_of:
        stamp = as_of.isoformat() if isinstance(as_of, date) else str(as_of)
        parts.append(f"as of {stamp}" if lang == "en" else f"截至 {stamp}")
    if whom:
        parts.append(whom)
    return ("   " if lang == "en" else "\u3000").join(parts)


def landscape(widths: Sequence[float]) -> bool:
    """Landscape when the columns are wider than a portrait page."""
    return sum(widths) > _PORTRAIT_WIDTH


def key_columns(headers: Sequence[str]) -> int:
    """How many leading columns are key columns (客户编号, 客户名称) to repeat on every page."""
    n = 0
    for h in headers:
        if h not in KEY_HEADERS:
            break
        n += 1
    return n


def sheet_pr(tab_color: str | None) -> bytes:
    """The ``<sheetPr>``: the tab colour and the fit-to-page switch."""
    tab = f'<tabColor rgb="{tab_color}"/>' if tab_color else ""
    return f'<sheetPr>{tab}<pageSetUpPr fitToPage="1"/></sheetPr>'.encode()


def _header_text(text: str) -> str:
    """Text for a header/footer: ``&`` doubled (a lone ``&`` starts a code), XML-escaped,
    cut to Excel's 255 characters."""
    text = text.replace("&", "&&")[:200]
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def tail(title: str, *, wide: bool, lang: str = "zh", file_name: bool = False) -> bytes:
    """``<printOptions>`` … ``<headerFooter>``: everything after ``<autoFilter>``/``<hyperlinks>``.

    ``file_name``: the title ends with the workbook's file name, filled in when printing
    (``&F``; the sheet's XML stays the same whatever the file is called)."""
    name = ("   " if lang == "en" else "\u3000") + "&amp;F" if file_name else ""
    footer = "Page &amp;P of &amp;N" if lang == "en" else "第 &amp;P 页，共 &amp;N 页"
    orientation = "landscape" if wide else "portrait"
    return (
        '<printOptions horizontalCentered="1" gridLines="1"/>'
        '<pageMargins left="0.4" right="0.4" top="0.7" bottom="0.6" header="0.3" footer="0.3"/>'
        f'<pageSetup paperSize="9" orientation="{orientation}" fitToWidth="1" fitToHeight="0"/>'
        f'<headerFooter><oddHeader>&amp;C&amp;"-,Bold"&amp;12{_header_text(title)}{name}</oddHeader>'
        f"<oddFooter>&amp;C{footer}</oddFooter></headerFooter>"
    ).encode()


def _quoted(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def set_print_titles(wb: etree._Element, sheet: str, index: int, *, rows: int = 1, cols: int = 0) -> None:
    """Repeat rows ``1…rows`` and columns ``A…`` (``cols`` of them) of ``sheet`` (the
    ``index``-th sheet of ``<sheets>``) on every printed page; replaces that sheet's earlier
    print titles."""
    from salesxl.io.ooxml.text import col_letters

    names = wb.find(_q("definedNames"))
    if names is None:
        names = wb.makeelement(_q("definedNames"), {})
        children = list(wb)
        before = {_q(n) for n in _BEFORE_NAMES}
        at = max((i + 1 for i, el in enumerate(children) if el.tag in before), default=len(children))
        wb.insert(at, names)
    for dn in names.findall(_q("definedName")):
        if dn.get("name", "").casefold() == PRINT_TITLES.casefold() and dn.get("localSheetId") == str(index):
            names.remove(dn)
    refs = []
    if cols:
        refs.append(f"{_quoted(sheet)}!$A:${col_letters(cols)}")
    if rows:
        refs.append(f"{_quoted(sheet)}!$1:${rows}")
    if not refs:
        return
    dn = names.makeelement(_q("definedName"), {"name": PRINT_TITLES, "localSheetId": str(index)})
    dn.text = ",".join(refs)
    names.append(dn)
