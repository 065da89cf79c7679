"""Reading a workbook into typed tables: the only place a sales workbook is opened for values.

Order matters for safety: :mod:`salesxl.io.safety` first checks the file's bytes, its zip
directory and every XML part it will parse, and bounds each sheet's used range, *before* any
spreadsheet parser sees it — a hostile file gets a one-line error instead of aborting Python.
Only then does fastexcel (calamine's Rust parser with an Arrow front-end, the fastest reader
measured here, see ``bench/``) load each contract sheet, every cell as text with its absolute
position; :mod:`salesxl.core.grid` turns that into typed tables and findings.
"""

from __future__ import annotations

import io
import re
import threading
import zipfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import fastexcel
import pandas as pd

from salesxl.core.findings import Code, Finding
from salesxl.core.grid import RawGrid, tabulate
from salesxl.core.schema import SHEETS, normalize_sheet_name, sheet_keys
from salesxl.core.settings import Settings, setting_field
from salesxl.core.tables import Book, Table
from salesxl.errors import UnreadableWorkbook
from salesxl.io.safety import SheetPart, WorkbookInfo, inspect_workbook, member_key, scan_sheet

Progress = Callable[[str, int, int], None]


def locate_sheets(info: WorkbookInfo) -> dict[str, tuple[SheetPart, str | None]]:
    """Canonical sheet → (sheet part, Excel Table name or None) for each contract sheet found.

    A sheet's own name (Chinese or English, spec §1) wins over an alias such as ``销售明细``,
    and a sheet over an Excel Table of the same name; among equals the first sheet wins.
    """
    keys = sheet_keys()
    exact = {normalize_sheet_name(n): n for n in SHEETS} | {
        normalize_sheet_name(s.english): n for n, s in SHEETS.items()
    }
    found: dict[str, tuple[int, SheetPart, str | None]] = {}

    def offer(label: str, rank: int, part: SheetPart, table: str | None) -> None:
        key = normalize_sheet_name(label)
        name = exact.get(key) or keys.get(key)
        if name is None:
            return
        rank = rank if key in exact else rank + 1
        if name not in found or rank < found[name][0]:
            found[name] = (rank, part, table)

    for part in info.sheets:
        offer(part.name, 0, part, None)
    for part in info.sheets:
        for table in part.tables:
            offer(table, 2, part, table)
    return {name: (part, table) for name, (_, part, table) in found.items()}


def _load_grid(reader: fastexcel.ExcelReader, part: SheetPart, table: str | None, uncached: Iterable[tuple[int, int]], table_top: int | None, *, date1904: bool = False) -> RawGrid:
    """One sheet (or Excel Table) as text columns with absolute positions."""
    loaded: fastexcel.ExcelTable | fastexcel.ExcelSheet
    if table is not None:
        loaded = reader.load_table(table, header_row=None, dtypes="string")
        headers: list[str | None] | None = [c.name for c in loaded.selected_columns]
        first_row = (table_top or 1) + 1
    else:
        loaded = reader.load_sheet(part.name, header_row=None, skip_rows=0, dtypes="string")
        headers = None
        first_row = 1
    batch = loaded.to_arrow()
    col_index = [c.absolute_index for c in loaded.selected_columns]
    columns = [batch.column(i) for i in range(batch.num_columns)]
    return RawGrid(columns, col_index, first_row, headers, tuple(uncached), date1904)


def _for_calamine(path: Path, info: WorkbookInfo) -> bytes:
    """The package as calamine reads it right, for the two kinds of book it reads wrong.

    * Sheets declared with ``r:id=""`` (Excel 4 macro and VBA module sheets, which have no
      part): calamine refuses the whole book ("Relationship not found") though every other
      sheet is fine.  They are taken out of the workbook part.
    * A 1904-system book saved by a modern Excel: calamine takes the date system from the
      *last* ``workbookPr`` element by local name, and Excel writes a second one,
      ``<x15:workbookPr chartTrackingRefBase="1"/>``, in the workbook's extLst — so every
      date cell came out four years and a day early (measured with fastexcel 0.21 on Excel
      for Mac's own ``1904_1904.xlsx``).  The extra ``workbookPr`` elements are taken out.

    Only the XML parts go into the in-memory copy (pictures and VBA are not read); they have
    all passed :func:`inspect_workbook`, and the sheets will pass :func:`scan_sheet` before
    they are parsed.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for zinfo in src.infolist():
            if not zinfo.filename.lower().endswith((".xml", ".rels")) or zinfo.is_dir():
                continue
            data = src.read(zinfo)
            if member_key(zinfo.filename) == info.main:
                data = _PARTLESS_SHEET.sub(b"", data) if info.skipped else data
                data = _EXTRA_WORKBOOK_PR.sub(b"", data) if info.date1904 else data
            dst.writestr(zinfo.filename, data)
    return out.getvalue()


#: A ``<sheet …/>`` element whose relationship id is empty (any prefix on either name).
_PARTLESS_SHEET = re.compile(rb"""<(?:[\w.\-]+:)?sheet\s[^>]*?\b(?:[\w.\-]+:)?id\s*=\s*(?:""|'')[^>]*?/>""")
#: A ``workbookPr`` element that does not say the date system (``x15:workbookPr`` in extLst).
_EXTRA_WORKBOOK_PR = re.compile(rb"<(?:[\w.\-]+:)?workbookPr\b(?![^>]*\bdate1904\s*=)[^>]*/>")


def _open(path: Path, info: WorkbookInfo | None = None) -> fastexcel.ExcelReader:
    try:
        if info is not None and (info.skipped or info.date1904):
            return fastexcel.read_excel(_for_calamine(path, info))
        return fastexcel.read_excel(path)
    except Exception as exc:  # the parser's own words, after our checks passed
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UnreadableWorkbook(
            f"无法读取「{path.name}」：文件已损坏或格式不受支持（{detail}）",
            f"Cannot read '{path.name}': the file is damaged or not supported ({detail})",
        ) from exc


def read_book(
    path: str | Path,
    *,
    sheets: Iterable[str] | None = None,
    require: Iterable[str] = (),
    progress: Progress | None = None,
) -> Book:
    """Read the contract sheets of the workbook at ``path`` into a :class:`Book`.

    ``sheets`` limits which canonical sheets are read (default: all the book has); a sheet in
    ``require`` that the book lacks is a ``missing-sheet`` finding.  Raises
    :class:`~salesxl.errors.UnreadableWorkbook` only when the file as a whole cannot be read.
    """
    path = Path(path)
    info = inspect_workbook(path)
    located = locate_sheets(info)
    wanted = list(SHEETS) if sheets is None else [s for s in SHEETS if s in set(sheets)]
    book = Book(str(path))
    for name in require:
        if name not in located:
            schema = SHEETS[name]
            book.findings.append(
                Finding(sheet=name, field=name, code=Code.MISSING_SHEET, params={"english": schema.english})
            )
    todo = [n for n in wanted if n in located]
    results = _read_sheets(path, info, {n: located[n] for n in todo}, progress)
    for name in todo:  # contract order, whatever order the sheets finished in
        tab, findings = results[name]
        book.tables[name] = tab
        book.findings.extend(findings)
    if "参数" in book.tables:
        book.settings, found = read_settings(book.tables["参数"])
        book.findings.extend(found)
    return book


#: Sheets are read by this many threads: both cores of a small server, and no more, since each
#: thread holds its own parser.  fastexcel releases the GIL while it parses, so one sheet's
#: safety scan (Python) runs while another is parsed (Rust).
READ_THREADS = 2


def _read_sheets(
    path: Path,
    info: WorkbookInfo,
    located: dict[str, tuple[SheetPart, str | None]],
    progress: Progress | None,
) -> dict[str, tuple[Table, list[Finding]]]:
    """Scan, parse and tabulate each sheet, the largest first, on :data:`READ_THREADS` threads.

    Each sheet's safety scan still completes before its own parse starts; a parser object is
    not shared between threads (fastexcel readers are not re-entrant).
    """
    local = threading.local()

    def one(name: str) -> tuple[Table, list[Finding]]:
        part, table = located[name]
        scan = scan_sheet(path, info, part)
        if not hasattr(local, "reader"):
            local.reader = _open(path, info)
        top = part.table_top_row(table) if table else None
        try:
            grid = _load_grid(local.reader, part, table, scan.uncached_formulas, top, date1904=info.date1904)
        except fastexcel.FastExcelError as exc:
            raise UnreadableWorkbook(
                f"无法读取「{path.name}」的工作表「{part.name}」：{exc}",
                f"Cannot read sheet '{part.name}' of '{path.name}': {exc}",
            ) from exc
        return tabulate(SHEETS[name], table or part.name, grid)

    order = sorted(located, key=lambda n: -located[n][0].size)
    results: dict[str, tuple[Table, list[Finding]]] = {}
    with ThreadPoolExecutor(max_workers=READ_THREADS, thread_name_prefix="salesxl-read") as pool:
        futures = {pool.submit(one, name): name for name in order}
        for done, future in enumerate(as_completed(futures), start=1):
            name = futures[future]
            results[name] = future.result()
            if progress:
                progress(name, done, len(order))
    return results


def read_settings(table: Table) -> tuple[Settings, list[Finding]]:
    """参数 rows → Settings; a value that does not fit its setting is ``bad-type`` at its cell."""
    values: dict[str, object] = {}
    findings: list[Finding] = []
    frame = table.frame
    for row, name, value in zip(frame["_row"], frame["名称"], frame["值"], strict=True):
        if pd.isna(name) or pd.isna(value):
            continue
        key = setting_field(str(name))
        if key is None:
            continue
        try:
            Settings.model_validate({key: value})
        except Exception:  # noqa: BLE001 - pydantic's error is summarised for the user
            findings.append(
                Finding(sheet=table.sheet, row=int(row), column=table.letter("值"), field="值",
                        value=str(value), code=Code.BAD_TYPE,
                        params={"expected": f"「{name}」的设置值", "expected_en": f"a value for setting '{name}'"})
            )
            continue
        values[key] = value
    return Settings.model_validate(values), findings
