"""The library face of salesxl: one documented function per command, returning data.

The command line (:mod:`salesxl.cli`) is a thin shell over these functions, as in sqlite-utils:
whatever ``salesxl validate BOOK --json`` prints, ``salesxl.validate(BOOK).to_json()`` returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from salesxl.core.findings import Finding, count
from salesxl.core.tables import Book
from salesxl.core.validation import validate_book
from salesxl.io.reading import Progress, read_book

#: Sheets without which a check makes no sense; their absence is a ``missing-sheet`` finding.
VALIDATE_REQUIRES = ("客户档案",)


@dataclass
class ValidationReport:
    """All findings of one workbook, in sheet order then row order (spec §5 ``validate``)."""

    path: str
    as_of: date
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return count(self.findings)[0]

    @property
    def warnings(self) -> int:
        return count(self.findings)[1]

    def to_json(self, lang: str = "zh") -> dict[str, Any]:
        return {
            "errors": self.errors,
            "warnings": self.warnings,
            "findings": [f.to_json(lang) for f in self.findings],
        }


def _order(findings: list[Finding], book: Book) -> list[Finding]:
    """Sheet order as in the contract, then row, then column (a stable, readable order)."""
    sheets = {t.sheet: i for i, t in enumerate(book.tables.values())}

    def key(f: Finding) -> tuple[int, int, int, str]:
        col = f.column or ""
        return (sheets.get(f.sheet, -1), f.row or 0, len(col), col)

    return sorted(findings, key=key)


def validate(
    path: str | Path, *, as_of: date | None = None, progress: Progress | None = None
) -> ValidationReport:
    """Check the workbook at ``path`` against the contract and return every finding.

    Reading problems (``missing-sheet``, ``missing-column``, ``bad-type``, ``no-cached-value``)
    are found by the reader; every rule of spec §2 by :func:`salesxl.core.validation.validate_book`.
    Nothing is written.  Raises :class:`~salesxl.errors.UnreadableWorkbook` when the file cannot
    be read at all.
    """
    as_of = as_of or date.today()
    book = read_book(path, require=VALIDATE_REQUIRES, progress=progress)
    findings = book.findings + validate_book(book, as_of=as_of)
    return ValidationReport(str(path), as_of, _order(findings, book))


@dataclass
class SheetSummary:
    """What salesxl sees in one contract sheet: where it is and how much it holds."""

    sheet: str
    name: str
    header_row: int | None
    rows: int
    columns: dict[str, str]


def describe(path: str | Path, *, progress: Progress | None = None) -> list[SheetSummary]:
    """The contract sheets found in a workbook, with header row, record count and columns."""
    book = read_book(path, progress=progress)
    return [
        SheetSummary(name, t.sheet, t.header_row, len(t), dict(t.letters))
        for name, t in book.tables.items()
    ]
