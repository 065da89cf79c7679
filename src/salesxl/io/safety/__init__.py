"""Bound every untrusted workbook *before* a real parser touches it.

The readers (calamine via python-calamine / fastexcel, openpyxl) trust the file: calamine
allocates one dense grid over the bounding box of all cells, so a 5 KB file with values in
``A1`` and ``XFD1048576`` asks for ~17 billion cells and *aborts the whole process* (a Rust
allocation failure cannot be caught).  Zip bombs, XML entity bombs, renamed CSV/HTML/.xls
files and password-protected workbooks all end in a traceback or worse.  This module looks
at the raw bytes first and turns every such file into one clear :class:`UnreadableWorkbook`
line, in Chinese and English, naming the file and saying what to do.

Two entry points, so that the cheap part runs once and the expensive part only per sheet:

* :func:`inspect_workbook` sniffs the format from the bytes (never the extension), checks the
  zip central directory against :data:`SAFETY_LIMITS`, probes the first 64 KiB of every XML
  part for ``<!DOCTYPE``/``<!ENTITY`` and parses the small package parts with defusedxml.  It
  never inflates a big worksheet; it inflates the other XML parts once to check their CRC.
* :func:`workbook_part` decides what a workbook is (the target of ``_rels/.rels``; Strict Open
  XML, ``.xlsb`` and a damaged package are named) for the reader and for every writer alike.
  Every part read whole has its CRC-32 checked (calamine does not), and the writers check the
  parts they copy, so a damaged file is refused, never read or copied as if it were sound.
* :func:`scan_sheet` stream-inflates *one* worksheet part and finds its real used range (and
  the formulas without a cached value), rejecting absurd ranges.  It runs on every sheet of
  every read, so it is written for speed: one compiled ``re`` search per chunk verifies that
  every cell is written the way spreadsheet programs write cells (``<c r="B7" s="1">``),
  lies within the bounds seen so far and, if it holds a formula, has a cached value.  Only
  what that search reports is looked at in Python; chunks written differently (prefixed
  elements, other attribute orders, cells without ``r``) take slower but exact walks.

The rules mirror how calamine positions cells (measured against python-calamine 0.9): a
cell's ``r`` attribute wins; a cell without ``r`` follows the previous cell of its row; a row
without ``r`` follows the previous row; element prefixes (``<x:c>``) and lower-case
references are accepted by calamine and therefore by this scan.

Where things live: :mod:`~salesxl.io.safety.limits` (limits, result types, messages),
:mod:`~salesxl.io.safety.package` (sniffing, zip, bounded inflating, XML probing,
:func:`workbook_part`), :mod:`~salesxl.io.safety.inspection` (:func:`inspect_workbook`) and
:mod:`~salesxl.io.safety.sheet_scan` (:func:`scan_sheet`); their public names are here.
"""

from __future__ import annotations

from salesxl.io.safety.inspection import inspect_workbook, is_date1904
from salesxl.io.safety.limits import SAFETY_LIMITS, SafetyLimits, SheetPart, SheetScan, WorkbookInfo
from salesxl.io.safety.package import bad_crc, member_key, workbook_part
from salesxl.io.safety.sheet_scan import scan_sheet

__all__ = [
    "SAFETY_LIMITS",
    "SafetyLimits",
    "SheetPart",
    "SheetScan",
    "WorkbookInfo",
    "bad_crc",
    "inspect_workbook",
    "is_date1904",
    "member_key",
    "scan_sheet",
    "workbook_part",
]
