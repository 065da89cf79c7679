"""Raw rows of a sheet that is not a contract sheet (the template's meta sheet, 变更记录 …).

The typed reader only knows the contract's sheets; the sheets a batch keeps for itself are read
here, by the same bounded route: :func:`salesxl.io.safety.scan_sheet` first (it refuses absurd
used ranges before calamine allocates anything), then fastexcel, every cell as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import fastexcel
import pyarrow as pa
import pyarrow.compute as pc

from salesxl.errors import UnreadableWorkbook
from salesxl.io.safety import SheetPart, WorkbookInfo, scan_sheet

Row = list[str | None]


@dataclass
class RawSheet:
    """A sheet's rows from row 1 (cells as text, None when empty) and its last used row."""

    name: str
    rows: list[Row]
    last_row: int
    """The last row holding any cell (formatted empty cells included): append below it."""


def find_part(info: WorkbookInfo, name: str) -> SheetPart | None:
    """The worksheet named exactly ``name`` (case-insensitive), if the workbook has one."""
    for part in info.sheets:
        if part.name == name:
            return part
    folded = name.casefold()
    return next((p for p in info.sheets if p.name.casefold() == folded), None)


def read_raw(path: Path, info: WorkbookInfo, part: SheetPart, reader: fastexcel.ExcelReader | None = None) -> RawSheet:
    """Every row of ``part`` as text, after the safety scan bounded its size."""
    scan = scan_sheet(path, info, part)
    try:
        reader = reader or fastexcel.read_excel(path)
        sheet = reader.load_sheet(part.name, header_row=None, skip_rows=0, dtypes="string")
        table = sheet.to_arrow()
    except Exception as exc:  # the parser's own words, after our checks passed
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UnreadableWorkbook(
            f"无法读取「{path.name}」的工作表「{part.name}」（{detail}）",
            f"Cannot read sheet '{part.name}' of '{path.name}' ({detail})",
        ) from exc
    positions = [c.absolute_index for c in sheet.selected_columns]
    width = max(positions, default=-1) + 1
    empty: list[str | None] = [None] * table.num_rows
    columns = [empty] * width
    for j, i in zip(positions, range(table.num_columns), strict=True):
        col = pc.cast(table.column(i), pa.large_string())
        blank = pc.equal(pc.utf8_trim_whitespace(col), "")
        columns[j] = pc.if_else(blank, pa.scalar(None, pa.large_string()), col).to_pylist()
    rows: list[Row] = [list(r) for r in zip(*columns, strict=True)] if width else [[] for _ in empty]
    while rows and not any(v is not None for v in rows[-1]):
        rows.pop()
    return RawSheet(part.name, rows, max(scan.max_row, len(rows)))
