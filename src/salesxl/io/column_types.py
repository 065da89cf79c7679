"""What a column patch is: :class:`ColumnPatch`, :class:`SheetPatch`, :class:`PatchResult`, :class:`TableInfo`.

The data a caller hands to :func:`salesxl.io.columns.patch_sheet` (one column's header, kind
and values by Excel row; one sheet's columns) and gets back, and an Excel Table's corners as
the patch finds them; shared by the modules that plan and write the patch.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from lxml import etree

from salesxl.errors import BadArguments
from salesxl.io.ooxml.rels import NS_R
from salesxl.io.ooxml.text import col_index

RT_TABLE = NS_R + "/table"
RT_SHARED_STRINGS = NS_R + "/sharedStrings"
MAX_WIDTH = 50
_REF_RE = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)")
_KINDS = ("text", "int", "date", "number", "amount", "datetime")
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"


@dataclass(frozen=True)
class ColumnPatch:
    """One column to write: where it is (or that it is missing) and the values by Excel row."""

    header: str
    """Header written when the sheet lacks the column (canonical Chinese, e.g. ``客户等级``)."""
    letter: str | None
    """The column's Excel letter when the sheet has it (``Table.letters``); None appends it."""
    kind: Literal["text", "int", "date", "number", "amount", "datetime"]
    """``text``; ``int``; ``amount`` (values: int fen); ``number`` (float); ``date`` (a
    ``date``/``datetime``/ISO text, written as an Excel serial number); ``datetime`` (a date and
    time, shown as yyyy-mm-dd hh:mm:ss)."""
    values: Mapping[int, object]
    """Excel row → value; None (or NaN) empties the cell; rows not mentioned stay untouched."""

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise BadArguments(f"未知的列类型：{self.kind}", f"Unknown column kind: {self.kind}")
        if self.letter is not None and col_index(self.letter) is None:
            raise BadArguments(f"列字母无效：{self.letter!r}", f"Invalid column letter: {self.letter!r}")
        if self.letter is None and not self.header.strip():
            raise BadArguments("新增列须有表头", "An appended column needs a header")


@dataclass(frozen=True)
class SheetPatch:
    """Columns to write into one sheet of the user's workbook."""

    sheet: str
    """As found by the reader (``Table.sheet``): a worksheet name or an Excel Table's name."""
    header_row: int
    """Excel row of the header (``Table.header_row``); values go below it."""
    columns: Sequence[ColumnPatch]


@dataclass
class PatchResult:
    """What :func:`patch_sheet` did."""

    sheet: str
    """The worksheet written (the Table's sheet when a Table was named)."""
    cells: int = 0
    """Cells given a new value (headers of appended columns included).  A cell that already
    holds its value — however another program stored it — is left as it is and not counted,
    so a re-run with the same values reports 0."""
    letters: dict[str, str] = field(default_factory=dict)
    """Header → Excel letter of every patched column, appended ones included."""
    added: list[str] = field(default_factory=list)
    """Headers of the columns appended (as written: a Table may need a unique name)."""
    table: str | None = None
    """The Excel Table widened over the appended columns, if any."""


@dataclass
class TableInfo:
    """An Excel Table on a sheet: its part, parsed root, name, 1-based corners, header row."""

    part: str
    root: etree._Element
    name: str
    c1: int
    r1: int
    c2: int
    r2: int
    has_header: bool


def ref_bounds(ref: str) -> tuple[int, int, int, int] | None:
    """``"B2:F9"`` → (2, 2, 6, 9): first col, first row, last col, last row."""
    ends = [_REF_RE.fullmatch(p.strip()) for p in ref.split(":")]
    if not 1 <= len(ends) <= 2 or not all(ends):
        return None
    cols = [col_index(m.group(1)) or 0 for m in ends if m]
    rows = [int(m.group(2)) for m in ends if m]
    return cols[0], rows[0], cols[-1], rows[-1]
