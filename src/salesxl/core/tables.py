"""Typed tables: what the reader produces and every rule consumes.

A :class:`Table` is one contract sheet as a pandas DataFrame whose columns are the canonical
Chinese field names with exact types (amounts int64 fen, dates ``datetime64[s]``), plus the
Excel row number of every record in :data:`ROW`, and the Excel column letter of every field
the sheet actually has.  That is all a rule needs to point a finding at the cell a user sees,
so the core never touches a file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from salesxl.core.findings import Finding
from salesxl.core.schema import SheetSchema
from salesxl.core.settings import Settings

#: Column holding each record's Excel row number (1-based, as the user sees it).
ROW = "_row"
#: Many returned templates are validated in one vectorised pass (``salesxl batch``) by giving
#: each its own *group*: ROW then holds ``group << ROW_GROUP_SHIFT | excel_row`` (Excel's last
#: row, 1,048,576, fits below).  Rules that compare rows (duplicates) never compare rows of
#: different groups; an ordinary table is all group 0 and unaffected.
ROW_GROUP_SHIFT = 21


@dataclass
class Table:
    schema: SheetSchema
    sheet: str  # the sheet's name as found in the workbook (or the Excel Table's name)
    header_row: int | None  # Excel row number of the header, None when none was found
    letters: dict[str, str]  # field → Excel column letter, for the fields the sheet has
    frame: pd.DataFrame  # ROW + every field of the schema (absent ones all blank)

    def __len__(self) -> int:
        return len(self.frame)

    def has(self, field_name: str) -> bool:
        """Whether the sheet has a header for ``field_name`` (absent columns read as blank)."""
        return field_name in self.letters

    def letter(self, field_name: str) -> str | None:
        return self.letters.get(field_name)


@dataclass
class Book:
    """A whole workbook read: its contract tables, settings and the reader's findings."""

    path: str | None
    tables: dict[str, Table] = field(default_factory=dict)
    settings: Settings = field(default_factory=Settings)
    findings: list[Finding] = field(default_factory=list)

    def table(self, name: str) -> Table | None:
        """The table for a canonical sheet name (``"销售"``), or None if the book lacks it."""
        return self.tables.get(name)

    def __getitem__(self, name: str) -> Table:
        return self.tables[name]


def day_numbers(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A date column → (int64 days since 1970-01-01 with 0 where blank, present mask): the form
    every vectorised rule compares dates in."""
    values = np.asarray(pd.to_datetime(s), dtype="datetime64[s]")
    ok = ~np.isnat(values)
    return np.where(ok, values.astype("datetime64[D]").astype(np.int64), 0), ok


def fen_values(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """An amount column (the reader's nullable Int64 fen) → (int64 fen with 0 where blank,
    present mask)."""
    ok = s.notna().to_numpy(dtype=bool)
    return s.to_numpy(dtype=np.int64, na_value=0), ok
