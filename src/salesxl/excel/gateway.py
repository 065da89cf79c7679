"""One interface to a workbook, whether it is a file or the book open in Excel.

Every button of the office workbook (校验, 分类, 冲销, 月报, 对账单) does the same few things to
its workbook: read the contract sheets as typed tables, read a parameter from a named cell,
write validation marks, write whole result sheets and "out" columns, and say how it went.
:class:`WorkbookGateway` is exactly that and no more, so the button logic
(:mod:`salesxl.excel.buttons`) is written once against it and tested for real on files:

* :class:`FileGateway` — a workbook file, through the same io functions as the command line
  (:func:`~salesxl.io.reading.read_book`, :func:`~salesxl.io.marking.write_marks`,
  :func:`~salesxl.io.results.write_result_sheets`).  Used by the tests and by any script that
  wants a button's behaviour on a file.
* :class:`~salesxl.excel.xlwings_gateway.XlwingsGateway` — the book open in Excel, through
  xlwings calls only.  It never saves or rewrites the file behind Excel's back: Excel saves.

Both read a sheet through :func:`salesxl.core.grid.tabulate`, so a cell means the same thing
live and on disk.  For live Excel, :func:`grid_from_values` turns the 2-D list xlwings returns
(floats for whole numbers, ``datetime`` for dates, ``None`` for empty cells) into the
:class:`~salesxl.core.grid.RawGrid` of text the file reader would have produced.

Parameters (the as-of date, the month) are named cells on the 控制台 sheet; :func:`parameter_date`
and :func:`parameter_month` read whatever such a cell holds (a date cell, a serial number, text
such as ``2026-10-31`` or ``2026年10月``) with the reader's own date rules.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import fastexcel
import pandas as pd
import pyarrow as pa

from salesxl.core import cells
from salesxl.core.findings import Finding
from salesxl.core.grid import RawGrid
from salesxl.core.tables import Book
from salesxl.core.worksheet_functions import cell_texts
from salesxl.errors import BadArguments
from salesxl.io.columns import SheetPatch
from salesxl.io.marking import write_marks
from salesxl.io.reading import read_book
from salesxl.io.results import ResultSheet, write_result_sheets
from salesxl.io.safety import inspect_workbook

__all__ = [
    "AS_OF_NAME",
    "MONTH_NAME",
    "STATUS_NAME",
    "FileGateway",
    "WorkbookGateway",
    "grid_from_values",
    "parameter_date",
    "parameter_month",
]

#: Defined names of the 控制台 cells: the as-of date and the report month the buttons read, and
#: the status cell they write.  The office workbook template defines them.
AS_OF_NAME = "salesxl_as_of"
MONTH_NAME = "salesxl_month"
STATUS_NAME = "salesxl_status"


@runtime_checkable
class WorkbookGateway(Protocol):
    """What a button needs from its workbook.  Implementations translate, they do not decide."""

    @property
    def label(self) -> str:
        """The workbook's name, for messages."""
        ...

    def output_folder(self) -> Path:
        """Where new files (月报, 对账单) go: the workbook's own folder when it has one."""
        ...

    def read_book(self, *, sheets: Iterable[str] | None = None, require: Iterable[str] = ()) -> Book:
        """The contract sheets as typed tables, exactly as :func:`salesxl.io.reading.read_book`
        returns them (``sheets`` limits which; a missing sheet of ``require`` is a finding)."""
        ...

    def read_name(self, name: str) -> Any:
        """The value of the cell a defined name points to; None when the name is missing."""
        ...

    def write_marks(self, findings: Sequence[Finding], as_of: date | None = None) -> int:
        """Mark ``findings`` (fill + note on each cell, the 校验结果 sheet, its printed header
        as of ``as_of``), replacing earlier marks.  Returns how many cells were marked."""
        ...

    def write_sheets(
        self,
        sheets: Sequence[ResultSheet],
        *,
        patch: SheetPatch | None = None,
        add_if_missing: Sequence[ResultSheet] = (),
    ) -> list[str]:
        """Replace (or add) whole result sheets, add ``add_if_missing`` sheets the workbook
        lacks, and write ``patch``'s out columns.  Returns the sheets written."""
        ...

    def report(self, message: str, *, error: bool = False) -> None:
        """Tell the user how it went (a status cell and, for an error, a message box)."""
        ...


# ---------------------------------------------------------------------------------------------
# Values as xlwings returns them → the reader's grid


def grid_from_values(
    values: Sequence[Sequence[Any]] | Any,
    *,
    first_row: int = 1,
    first_col: int = 1,
    headers: Sequence[Any] | None = None,
) -> RawGrid:
    """A :class:`RawGrid` from a block of cell values whose top-left cell is at Excel
    (``first_row``, ``first_col``), 1-based.

    ``values`` is what ``range.options(ndim=2).value`` returns: rows of floats, strings,
    ``datetime``, bools and ``None``.  Each column becomes the text the file reader would give
    the same cells (:func:`~salesxl.core.worksheet_functions.cell_texts`).  Without
    ``headers`` (a plain sheet) rows above ``first_row`` are filled with blanks, so the header
    is looked for in the sheet's first ten rows as spec §1 says, wherever the used range
    starts; with ``headers`` (an Excel Table's header row) ``values`` are the data rows.
    """
    rows = [list(r) for r in values] if isinstance(values, (list, tuple)) else [[values]]
    width = max((len(r) for r in rows), default=0)
    if headers is not None:
        width = max(width, len(headers))
    rows = [r + [None] * (width - len(r)) if len(r) < width else r for r in rows]
    columns = [cell_texts(list(col)) for col in zip(*rows, strict=True)] if rows else [
        pa.array([], pa.string()) for _ in range(width)
    ]
    if headers is None and first_row > 1:
        pad = pa.nulls(first_row - 1, pa.string())
        columns = [pa.concat_arrays([pad, c]) for c in columns]
        first_row = 1
    hdr = None if headers is None else [None if h is None else str(h) for h in headers] + [None] * (width - len(headers))
    return RawGrid(columns, [first_col - 1 + j for j in range(width)], first_row, hdr)


# ---------------------------------------------------------------------------------------------
# Parameters from named cells


def _parse_one(value: Any, *, month: bool) -> tuple[date | None, str | None]:
    """(date, None) for a readable cell, (None, text) for an unreadable one, (None, None) blank."""
    text = cells.trim(cells.as_array(cell_texts([value])))
    if not text[0].is_valid:
        return None, None
    col = cells.parse_date(text, month=month)
    v = col.values.iloc[0]
    if col.bad[0] or pd.isna(v):
        return None, str(text[0].as_py())
    return pd.Timestamp(v).date(), None


def parameter_date(value: Any, *, label: str = "截止日期", name: str = "salesxl_as_of") -> date | None:
    """A named date cell's value as a date; None when blank.

    Accepts a date cell (``datetime``), an Excel serial number and the text forms of spec §1.
    Raises :class:`~salesxl.errors.BadArguments` naming the cell for anything else, so the
    button stops with a clear message instead of running on a guess.
    """
    day, bad = _parse_one(value, month=False)
    if bad is not None:
        raise BadArguments(
            f"控制台的「{label}」（{name}）的值「{bad}」不是日期，请填写如 2026-10-31 的日期或留空",
            f"The {name} cell holds '{bad}', which is not a date; enter a date such as 2026-10-31 or leave it blank",
        )
    return day


def parameter_month(value: Any, *, label: str = "月份", name: str = "salesxl_month") -> date | None:
    """A named month cell (``2026-10``, ``2026年10月``, or any date in the month) as the month's
    first day; None when blank.  Raises :class:`~salesxl.errors.BadArguments` otherwise."""
    day, bad = _parse_one(value, month=True)
    if bad is not None:
        raise BadArguments(
            f"控制台的「{label}」（{name}）的值「{bad}」不是月份，请填写如 2026-10 的月份或留空",
            f"The {name} cell holds '{bad}', which is not a month; enter a month such as 2026-10 or leave it blank",
        )
    return day


# ---------------------------------------------------------------------------------------------
# Files


_REF = re.compile(r"^=?(?:'((?:[^']|'')+)'|([^'!]+))!\$?([A-Za-z]{1,3})\$?(\d+)$")


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


@dataclass
class FileGateway:
    """A workbook file as a :class:`WorkbookGateway`.

    ``out``: results go to this new file (the workbook itself is never changed; the first write
    copies it there with the results, later writes add to that copy).  ``in_place``: results
    go into the workbook itself, after a timestamped backup, exactly as the command line's
    ``--in-place`` (a workbook with charts or pictures gets a copy instead; see
    :mod:`salesxl.io.marking`).  With neither, the gateway only reads.  Reads always see the
    latest written state, so a sequence of buttons behaves as in Excel.

    ``messages`` collects what :meth:`report` was told, as (message, error) pairs; ``written``
    the files written, in order.
    """

    path: Path
    out: Path | None = None
    in_place: bool = False
    folder: Path | None = None
    messages: list[tuple[str, bool]] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    _source: Path = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        self.out = None if self.out is None else Path(self.out)
        if self.out is not None and self.in_place:
            raise BadArguments("请指定输出文件或原地写入，二者选其一", "Give either out= or in_place=True, not both")
        self._source = self.path

    @property
    def label(self) -> str:
        return self.path.name

    @property
    def source(self) -> Path:
        """The file reads come from: the workbook, or the copy results were written to."""
        return self._source

    def output_folder(self) -> Path:
        return self.folder if self.folder is not None else self.path.parent

    def read_book(self, *, sheets: Iterable[str] | None = None, require: Iterable[str] = ()) -> Book:
        return read_book(self._source, sheets=sheets, require=require)

    def read_name(self, name: str) -> Any:
        """The named cell's value as the reader sees it (text; a date cell reads
        ``2026-10-31 00:00:00``); None when the name is missing, not a single cell, or blank."""
        inspect_workbook(self._source)  # the same safety checks as any read, first
        reader = fastexcel.read_excel(self._source)
        for defined in reader.defined_names():
            if defined.name.casefold() != name.casefold():
                continue
            m = _REF.match(defined.formula.strip())
            if m is None:
                return None
            sheet = (m.group(1) or "").replace("''", "'") or (m.group(2) or "").strip()
            col, row = _col_number(m.group(3)) - 1, int(m.group(4))
            if sheet not in reader.sheet_names:
                return None
            loaded = reader.load_sheet(sheet, header_row=None, skip_rows=0, dtypes="string")
            batch = loaded.to_arrow()
            for j, info in enumerate(loaded.selected_columns):
                if info.absolute_index == col and row <= batch.num_rows:
                    return batch.column(j)[row - 1].as_py()
            return None
        return None

    def _writing(self) -> tuple[dict[str, Any], Path | None]:
        """Keyword arguments for the io writer, and the temporary file to move into place."""
        if self.in_place:
            return {"in_place": True}, None
        if self.out is None:
            raise BadArguments(
                "此工作簿以只读方式打开，不能写入结果", "This gateway is read-only: give out= or in_place=True"
            )
        if self._source != self.path and self._source.exists():
            tmp = self._source.with_name(f".{self._source.stem}.salesxl-tmp{self._source.suffix}")
            return {"out": tmp}, tmp
        return {"out": self.out}, None

    def _done(self, written: Path, tmp: Path | None, reason: str | None) -> None:
        if tmp is not None:
            os.replace(tmp, self._source)
            written = self._source
        self._source = written
        if not self.in_place:
            self.out = written
        self.written.append(written)
        if reason:
            self.report(reason)

    def write_marks(self, findings: Sequence[Finding], as_of: date | None = None) -> int:
        kwargs, tmp = self._writing()
        result = write_marks(self._source, list(findings), lang="zh", as_of=as_of, **kwargs)
        self._done(result.written, tmp, result.reason("zh"))
        if result.kept_note("zh"):
            self.report(str(result.kept_note("zh")))  # the user's own 校验结果 was kept: say where ours went
        return result.marked_cells

    def write_sheets(
        self,
        sheets: Sequence[ResultSheet],
        *,
        patch: SheetPatch | None = None,
        add_if_missing: Sequence[ResultSheet] = (),
    ) -> list[str]:
        kwargs, tmp = self._writing()
        result = write_result_sheets(self._source, sheets, patch=patch, add_if_missing=add_if_missing, **kwargs)
        self._done(result.written, tmp, result.reason("zh"))
        if result.kept_note("zh"):
            self.report(str(result.kept_note("zh")))
        return result.sheets

    def report(self, message: str, *, error: bool = False) -> None:
        self.messages.append((message, error))

