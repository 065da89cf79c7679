"""The safety checks' limits, result types and messages: what every check refers to.

:class:`SafetyLimits` (:data:`SAFETY_LIMITS`) bounds a file before any parser sees it: member
counts, inflated sizes, compression ratios, the used range of a sheet.  :class:`WorkbookInfo`,
:class:`SheetPart` and :class:`SheetScan` are what :mod:`salesxl.io.safety.inspection` and
:mod:`salesxl.io.safety.sheet_scan` return; the message helpers build the one clear
:class:`~salesxl.errors.UnreadableWorkbook` line (Chinese and English, naming the file and what
to do) that every refusal ends in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from salesxl.errors import UnreadableWorkbook

KiB = 1024
MiB = 1024 * KiB
_GiB = 1024 * MiB


@dataclass(frozen=True)
class SafetyLimits:
    """The numbers behind every refusal, in one place so tests and docs can quote them.

    The zip limits are checked against the central directory *before* anything is inflated,
    and again while inflating (declared sizes can lie).  The cell limits protect calamine's
    dense grid: ``max_row * max_col`` cells of ~32 bytes each.
    """

    max_member_bytes: int = 2 * _GiB
    """A single zip member may not declare (or inflate to) more than this."""
    max_total_bytes: int = 4 * _GiB
    """The declared uncompressed sizes of all members together."""
    max_ratio: int = 200
    """Compression ratio (uncompressed / compressed) above which a big member is a bomb."""
    ratio_min_bytes: int = 32 * MiB
    """The ratio rule only applies to members larger than this (tiny parts compress wildly)."""
    max_members: int = 10_000
    """Members in the archive; a real workbook has tens, rarely hundreds."""
    max_central_directory_bytes: int = 64 * MiB
    """Size of the zip central directory itself (checked before zipfile parses it)."""
    xml_probe_bytes: int = 64 * KiB
    """How much of each XML part is inflated to look for DOCTYPE / ENTITY declarations."""
    max_part_bytes: int = 64 * MiB
    """Package parts parsed whole with defusedxml (content types, workbook, rels, tables)."""
    max_cells: int = 50_000_000
    """``max_row * max_col`` above this is rejected outright (~1.6 GB for calamine's grid)."""
    sparse_min_cells: int = 2_000_000
    """Below this area a sheet is never "too sparse"."""
    sparse_factor: int = 64
    """Reject when area > ``sparse_factor`` × (xml bytes / ``min_cell_xml_bytes``)."""
    min_cell_xml_bytes: int = 8
    """Fewest XML bytes a stored cell can take (``<c r="A1"/>`` is 11)."""
    scan_chunk_bytes: int = 4 * MiB
    """Inflate granularity of :func:`scan_sheet`."""


SAFETY_LIMITS = SafetyLimits()

# --------------------------------------------------------------------------------------------
# Public result types
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetPart:
    """One worksheet as declared in ``xl/workbook.xml`` and resolved through its rels."""

    name: str
    """Sheet name exactly as in ``xl/workbook.xml``."""
    part: str
    """Zip member path, e.g. ``"xl/worksheets/sheet1.xml"``."""
    tables: tuple[str, ...]
    """``displayName`` (or ``name``) of each Excel Table (ListObject) on the sheet."""
    table_refs: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    """(table name, its ``ref`` such as ``"C5:E7"``): where each table sits on the sheet."""
    size: int = field(default=0, compare=False)
    """Declared uncompressed size of the part in bytes (the reader starts big sheets first)."""

    def table_top_row(self, table: str) -> int | None:
        """Excel row of ``table``'s header row (the first row of its ``ref``), or None."""
        ref = dict(self.table_refs).get(table)
        match = re.match(r"\$?[A-Za-z]{1,3}\$?(\d+)", ref or "")
        return int(match.group(1)) if match else None


@dataclass(frozen=True)
class SheetScan:
    """What :func:`scan_sheet` learned from the raw worksheet XML."""

    max_row: int
    """Largest 1-based row number holding a ``<c>`` element (0 if none).

    Exact whenever rows come in ascending order, as every spreadsheet program writes them.
    In a file with rows out of order it may be lower than the true maximum; the absurd-range
    verdict never relies on it alone (it uses an upper bound, rescanning exactly if needed).
    """
    max_col: int
    """Largest 1-based column index holding a ``<c>`` element (0 if none)."""
    uncached_formulas: tuple[tuple[int, int], ...]
    """(row, col), 1-based, of formula cells without a cached value, in document order."""


@dataclass(frozen=True)
class WorkbookInfo:
    """A workbook that passed :func:`inspect_workbook`; its sheets still need :func:`scan_sheet`."""

    path: Path
    kind: Literal["xlsx", "xlsm"]
    """From ``[Content_Types].xml`` (macro-enabled main part ⇒ ``"xlsm"``), not the extension."""
    sheets: tuple[SheetPart, ...]
    """Worksheets in workbook order; chartsheets, dialog and macro sheets are left out."""
    date1904: bool = False
    """The workbook counts serial dates from 1904 (``<workbookPr date1904="1"/>``)."""
    skipped: tuple[str, ...] = ()
    """Sheets declared with no part (``r:id=""``: Excel 4 macro and VBA module sheets)."""
    main: str = "xl/workbook.xml"
    """:func:`member_key` of the workbook part (the target of ``_rels/.rels``)."""


# --------------------------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def clean_text(text: str) -> str:
    """Names go into one-line messages: no newlines or other control characters."""
    return _CONTROL.sub(" ", text).strip()


def unreadable_file(name: str, zh: str, en: str) -> UnreadableWorkbook:
    return UnreadableWorkbook(f"无法读取「{name}」：{zh}", f"Cannot read '{name}': {en}")


def size_text(n: int) -> str:
    if n >= _GiB:
        return f"{n / _GiB:.1f} GiB"
    if n >= MiB:
        return f"{n / MiB:.1f} MiB"
    return f"{max(1, round(n / KiB))} KB"


def damaged_file(name: str, zh_detail: str, en_detail: str) -> UnreadableWorkbook:
    return unreadable_file(
        name,
        f"文件已损坏（{zh_detail}）；请重新获取文件，或在 Excel 中打开修复后另存为 .xlsx 再试",
        f"the file is damaged ({en_detail}); get a fresh copy, or open it in Excel to repair "
        "it, save it as .xlsx and try again",
    )


SAVE_AS_ZH = "请在 Excel 中另存为 .xlsx 后重试"
SAVE_AS_EN = "open it in Excel, save it as .xlsx and try again"


def unreadable_os_error(name: str, exc: OSError) -> UnreadableWorkbook:
    if isinstance(exc, PermissionError):
        return unreadable_file(name, "没有读取该文件的权限", "permission denied")
    reason = clean_text(exc.strerror or exc.__class__.__name__)
    return unreadable_file(name, f"文件无法打开（{reason}）", f"the file cannot be opened ({reason})")
