"""From a sheet's raw cell grid to a typed table (spec §1): header row, column map, coercion.

The io layer hands over the sheet as it is, every cell as text and every position absolute;
this module decides where the header is (the first of the first ten rows holding at least two
known headers, so title rows such as a merged ``XX公司客户档案`` are skipped), which column is
which field (by Chinese or English name, ignoring case, spaces, width and a trailing unit),
which rows hold data, and what each cell means.  What it cannot read becomes a finding with the
Excel row and column letter the user sees.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from salesxl.core import cells
from salesxl.core.findings import Code, Finding
from salesxl.core.schema import TYPE_LABEL, SheetSchema, header_keys, normalize_label
from salesxl.core.tables import ROW, Table

#: The header is looked for in this many rows from the top (spec §1).
HEADER_SEARCH_ROWS = 10


@dataclass
class RawGrid:
    """A sheet's cells as text columns, with their absolute positions.

    ``columns[j]`` holds the cells of Excel column ``col_index[j]`` (0-based) from Excel row
    ``first_row`` down.  ``headers`` is given when the header is already known (an Excel Table);
    then ``first_row`` is the first data row.  ``uncached`` lists ``(row, column)`` (1-based) of
    formula cells with no cached value; they read as blank here and are reported.
    """

    columns: list[pa.Array]
    col_index: list[int]
    first_row: int = 1
    headers: list[str | None] | None = None
    uncached: Iterable[tuple[int, int]] = field(default_factory=tuple)
    date1904: bool = False  # the workbook's date system: serial numbers count from 1904


def column_letter(index0: int) -> str:
    """0 → ``A``, 27 → ``AB``: Excel's column letters."""
    letters = ""
    n = index0 + 1
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return letters


def find_header(rows: list[list[object]], keys: dict[str, str]) -> int | None:
    """Index of the first row with at least two cells naming known fields, or None."""
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        known = {keys.get(normalize_label(v)) for v in row if isinstance(v, str) and v.strip()}
        known.discard(None)
        if len(known) >= 2:
            return i
    return None


def _nonblank(trimmed: list[pa.Array]) -> np.ndarray:
    """Rows holding anything but spaces in any column (empty rows are skipped, spec §1)."""
    mask = np.zeros(len(trimmed[0]) if trimmed else 0, dtype=bool)
    for col in trimmed:
        if col.null_count != len(col):
            mask |= np.asarray(pc.is_valid(col).to_numpy(zero_copy_only=False), dtype=bool)
    return mask


def tabulate(schema: SheetSchema, sheet: str, grid: RawGrid) -> tuple[Table, list[Finding]]:
    """Read ``grid`` as ``schema``'s sheet named ``sheet`` in the workbook."""
    findings: list[Finding] = []
    keys = header_keys(schema)
    columns = [cells.as_array(c) for c in grid.columns]
    if grid.headers is not None:
        header_idx: int | None = -1
        header_row: int | None = grid.first_row - 1
        header_cells: list[object] = list(grid.headers)
    else:
        top = [c.slice(0, HEADER_SEARCH_ROWS).to_pylist() for c in columns]
        rows = [list(r) for r in zip(*top, strict=True)] if top else []
        header_idx = find_header(rows, keys)
        header_row = None if header_idx is None else grid.first_row + header_idx
        header_cells = rows[header_idx] if header_idx is not None else []

    mapping: dict[str, int] = {}  # field → position in columns
    for j, cell in enumerate(header_cells):
        if isinstance(cell, str) and cell.strip():
            name = keys.get(normalize_label(cell))
            if name is not None and name not in mapping:
                mapping[name] = j
    letters = {name: column_letter(grid.col_index[j]) for name, j in mapping.items()}

    start = header_idx + 1 if header_idx is not None else len(columns[0]) if columns else 0
    body = [cells.trim(c.slice(start)) for c in columns]
    keep = _nonblank(body)
    positions = np.flatnonzero(keep)
    if body and len(positions) != len(body[0]):
        take = pa.array(positions)
        body = [c.take(take) for c in body]
    excel_rows = grid.first_row + start + positions
    n = len(positions)

    data: dict[str, pd.Series | np.ndarray] = {ROW: excel_rows.astype(np.int64)}
    for f in schema.fields:
        if f.name not in mapping:
            data[f.name] = cells.empty_column(f, n)
            if f.required and not f.out:
                findings.append(
                    Finding(sheet=sheet, row=header_row, field=f.name, code=Code.MISSING_COLUMN,
                            params={"english": f.english})
                )
            continue
        raw = body[mapping[f.name]]
        col = cells.parse_column(raw, f, trimmed=True, date1904=grid.date1904)
        data[f.name] = col.values
        data.update(col.extra)
        bad = np.flatnonzero(col.bad)
        if len(bad):
            texts = raw.take(pa.array(bad)).to_pylist()
            zh, en = TYPE_LABEL[f.type]
            findings.extend(
                Finding(sheet=sheet, row=int(excel_rows[i]), column=letters[f.name], field=f.name,
                        value=str(text), code=Code.BAD_TYPE,
                        params={"expected": zh, "expected_en": en})
                for i, text in zip(bad, texts, strict=True)
            )
    findings.extend(_uncached(sheet, grid, mapping, letters, header_row))
    frame = pd.DataFrame(data)
    frame.index = pd.RangeIndex(n)
    return Table(schema, sheet, header_row, letters, frame), findings


def _uncached(
    sheet: str,
    grid: RawGrid,
    mapping: dict[str, int],
    letters: dict[str, str],
    header_row: int | None,
) -> list[Finding]:
    """``no-cached-value`` for formulas without a result in the data rows of known columns."""
    if header_row is None:
        return []
    by_col = {grid.col_index[j] + 1: name for name, j in mapping.items()}
    last = grid.first_row + (len(grid.columns[0]) if grid.columns else 0) - 1
    found = []
    for row, col in sorted(grid.uncached):
        name = by_col.get(col)
        if name is not None and header_row < row <= last:
            found.append(Finding(sheet=sheet, row=row, column=letters[name], field=name,
                                 code=Code.NO_CACHED_VALUE))
    return found
