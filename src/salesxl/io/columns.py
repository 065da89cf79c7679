"""The "out" columns of a user's own sheet (客户档案's 片区, 路线, 拜访顺序 …) written in place.

``salesxl classify`` must put its answers into the customer sheet the user keeps typing into, and
spec §4 allows it to change nothing else there.  So, as :mod:`salesxl.io.marking` does for marks,
the package is patched rather than re-saved: the sheet's XML is streamed through the marker's
:class:`~salesxl.io.ooxml.sheet.SheetPatcher` (which skips, byte for byte, every row without work)
and only the cells of the patched columns are rewritten.  Shared strings, other sheets, cached
formula results, data validation, conditional formats, merged cells… all stay as they are.

What a patch does to the sheet:

* A cell it writes becomes an inline string (text: never a formula, whatever it starts with) or
  a number — ``int``; ``amount`` (int fen written as the exact decimal ``fen/100``, so 12.30 元
  is ``12.3`` and not a binary near-miss); ``number`` (a float, by ``repr``); ``date`` (an Excel
  serial number: Excel and every reader show a date only for a number with a date format, so a
  date written as text would sort and filter as text).  Its ``s`` (format, fill) stays so
  validation marks and the user's formats survive; an old formula or value goes.  A date cell
  without any style (a new row, a column without ``<col>`` style) takes the style of the same
  column in the nearest row above that the patcher saw, else a ``yyyy-mm-dd`` format added to
  the styles.  A ``str`` given to a typed column is written as text, verbatim: a value the
  contract could not type stays what the user typed.  ``None`` empties the cell, keeping a styled empty
  cell (so the column's look stays) and dropping an unstyled one.
* A column the sheet lacks is appended right of the last used header cell (further right when
  the dimension says there is data without a header there: the patch never overwrites a value
  it was not asked to write), with the header text in a cell formatted like the last existing
  header, a ``<col>`` width that fits, and a wider ``<dimension>``.  An Excel Table (ListObject)
  whose header is that row and which ends right there is widened over the new columns, with
  one ``<tableColumn>`` each, so Excel opens it without "repair" and the reader (which reads a
  Table by its own range) finds the columns on the next run.  When the patch names a Table, the
  new columns go right after it, so they must be free there; if not, the write is refused.
* Replacing a formula drops ``calcChain.xml`` (a chain naming a cell without formula makes
  Excel repair the file; it rebuilds a missing one silently).  The first cell of a shared
  formula is only replaced together with every cell sharing it (they hold no formula text of
  their own); otherwise the write is refused and nothing is written.

A cell that already holds its value is left byte for byte, however it is stored (an inline
string, or a shared string once Excel re-saved the file): a re-run with the same values sees
its own columns through the reader's :attr:`~salesxl.core.tables.Table.letters`, changes no
cell, and leaves the sheet part identical (then raw-copied like any other part).

Where things live: this module is the entry point (:func:`patch_sheet`), finding the sheet, its
Tables and the first free column, and the Table and calculation chain around the sheet; the
data types are in :mod:`salesxl.io.column_types` (re-exported here), the plan made before
streaming in :mod:`salesxl.io.column_plan`, the cell writing in :mod:`salesxl.io.column_cells`.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from typing import IO, cast

from salesxl.errors import BadArguments, SalesxlError, UnreadableWorkbook
from salesxl.io.column_cells import CellPatcher, PatchConflict, SharedStrings
from salesxl.io.column_plan import Chained, PatchPlan, ReadAhead, patch_head
from salesxl.io.column_types import (
    RT_TABLE,
    ColumnPatch,
    PatchResult,
    SheetPatch,
    TableInfo,
    ref_bounds,
)
from salesxl.io.marking import Marker
from salesxl.io.ooxml import package as ooxml_package
from salesxl.io.ooxml.package import DeflateSink
from salesxl.io.ooxml.rels import RT_CALC_CHAIN, Rels, parse_xml, qname, serialize_xml
from salesxl.io.ooxml.sheet import Malformed, SheetEntry
from salesxl.io.ooxml.text import MAX_ROW, col_index, col_letters, normalize_name
from salesxl.io.safety import is_date1904

__all__ = ["ColumnPatch", "PatchResult", "SheetPatch", "TableInfo", "locate_sheet", "patch_sheet", "sheet_tables"]


# --------------------------------------------------------------------------------------------
# Entry point (called by salesxl.io.results inside its single package write)


def patch_sheet(writer: Marker, patch: SheetPatch) -> PatchResult:
    """Write ``patch`` into its sheet of the package ``writer`` is building.

    Only the sheet part (and, when columns are appended, its Table part; when a formula is
    replaced, the calculation chain) changes; the caller saves workbook, rels and content types.
    Raises :class:`BadArguments` for a patch that does not fit the workbook, and
    :class:`SalesxlError` when writing would damage the sheet (a shared formula only partly
    overwritten, no room beside a Table).
    """
    sheet, named_table = locate_sheet(writer, patch.sheet)
    assert sheet.part is not None
    if not isinstance(patch.header_row, int) or not 1 <= patch.header_row < MAX_ROW:
        raise BadArguments(f"表头行无效：{patch.header_row}", f"Invalid header row: {patch.header_row}")
    _check_columns(patch)
    if not patch.columns:  # nothing to write (e.g. a sheet without cards): leave the sheet be
        return PatchResult(sheet=sheet.name)
    tables = sheet_tables(writer, sheet)
    target = next((t for t in tables if t.part == named_table), None)
    n_new = sum(1 for c in patch.columns if c.letter is None)
    min_start = 0
    shared = SharedStrings(writer)
    for _ in range(3):  # a conflict found while streaming moves the new columns once more
        sink = DeflateSink()
        try:
            with writer.pkg.open(sheet.part) as src:
                ahead = ReadAhead(src, patch.header_row)
                start = _first_free(writer, sheet, patch, ahead, target, n_new, min_start)
                extend = _table_to_extend(tables, target, patch.header_row, start) if n_new else None
                plan = PatchPlan.build(patch, start, ahead, extend)
                head = patch_head(ahead.data[: ahead.sheet_data], ahead.p, plan)
                patcher = CellPatcher(plan, writer.styles, shared, date1904=is_date1904(writer.wb))
                patcher.run(cast(IO[bytes], Chained(head + ahead.data[ahead.sheet_data:], src)), sink)
        except PatchConflict as exc:
            sink.close()
            if target is not None:
                raise _no_room(patch.sheet, exc.col) from None
            found = _content_columns(writer, sheet.part, exc.col, patch.header_row)
            min_start = max(found, default=exc.col) + 1
            continue
        except (Malformed, zipfile.BadZipFile, zlib.error, EOFError) as exc:
            sink.close()
            raise UnreadableWorkbook(
                f"工作表「{sheet.name}」的内容无法解析，未写入",
                f"Sheet '{sheet.name}' could not be parsed; nothing was written",
            ) from exc
        except BaseException:
            sink.close()
            raise
        break
    else:  # pragma: no cover - the scan finds every conflicting cell
        raise _no_room(patch.sheet, min_start)
    if patcher.changed or head != ahead.data[: ahead.sheet_data]:
        writer.pkg.put_stream(sheet.part, sink.finish())
    else:
        sink.close()
    if extend is not None:
        _extend_table(writer, extend, plan)
    if patcher.formulas:
        _drop_calc_chain(writer)
    return PatchResult(
        sheet=sheet.name,
        cells=patcher.cells,
        letters={c.header: c.letters.decode() for c in plan.cols},
        added=[c.header for c in plan.cols if c.appended],
        table=extend.name if extend is not None else None,
    )


def _check_columns(patch: SheetPatch) -> None:
    """Refuse a patch that would write one column twice or above its header."""
    letters = [c.letter.strip().upper() for c in patch.columns if c.letter is not None]
    headers = [normalize_name(c.header) for c in patch.columns]
    if len(set(letters)) != len(letters) or len(set(headers)) != len(headers):
        raise BadArguments("同一列不能写入两次", "The same column is written twice")
    for c in patch.columns:
        bad = [r for r in c.values if not patch.header_row < r <= MAX_ROW]
        if bad:
            raise BadArguments(
                f"列 {c.header} 的行号 {bad[0]} 不在表头行 {patch.header_row} 之下",
                f"Row {bad[0]} of column {c.header} is not below the header row {patch.header_row}",
            )


def _no_room(sheet: str, col: int) -> SalesxlError:
    letters = col_letters(col)
    return SalesxlError(
        f"「{sheet}」右侧的 {letters} 列已有内容，无法在表格末尾新增列；请在表格右侧留出空列后再运行",
        f"Column {letters} right of '{sheet}' holds data, so no column can be added to the table; "
        "leave empty columns to its right and run again",
    )


# --------------------------------------------------------------------------------------------
# Where: the sheet, its Tables, the first free column


def locate_sheet(writer: Marker, name: str) -> tuple[SheetEntry, str | None]:
    """The worksheet named ``name`` — or holding the Excel Table of that name — and the Table's
    part.  A sheet wins over a Table of the same name, as in the reader."""
    sheets = [s for s in writer.sheets() if s.is_worksheet and s.part is not None]
    key = normalize_name(name)
    for same in (lambda s: s.name == name, lambda s: normalize_name(s.name) == key):
        for s in sheets:
            if same(s):
                return s, None
    for s in sheets:
        for t in sheet_tables(writer, s):
            if normalize_name(t.name) == key:
                return s, t.part
    raise BadArguments(f"工作簿中找不到工作表或表格「{name}」", f"No sheet or table '{name}' in the workbook")


def sheet_tables(writer: Marker, sheet: SheetEntry) -> list[TableInfo]:
    """The Excel Tables on ``sheet`` (its table parts, read through the relationships)."""
    assert sheet.part is not None
    out = []
    for _, part in Rels(writer.pkg, sheet.part).of_type(RT_TABLE):
        real = writer.pkg.actual(part)
        if real is None:
            continue
        root = parse_xml(writer.pkg.read(real), real)
        bounds = ref_bounds(root.get("ref", ""))
        if bounds is None:
            continue
        out.append(TableInfo(real, root, root.get("displayName") or root.get("name") or "", *bounds,
                              has_header=root.get("headerRowCount", "1") != "0"))
    return out


def _first_free(writer: Marker, sheet: SheetEntry, patch: SheetPatch, ahead: ReadAhead,
                target: TableInfo | None, n_new: int, min_start: int) -> int:
    """The column where appended columns start.

    Beside a named Table: right after it (the reader only sees the Table's range), and those
    columns must be empty.  On a sheet: right of the last header holding a value, and right of
    any value further right below the header (the dimension tells whether to look), so that no
    value the user typed is overwritten.
    """
    if not n_new:
        return 0
    if target is not None:
        start = target.c2 + 1
        taken = [c for c in ahead.header_content() if start <= c < start + n_new]
        if not taken and _may_hold(ahead.dimension, start):
            taken = [c for c in _content_columns(writer, sheet.part or "", start, target.r1)
                     if c < start + n_new]
        if taken:
            raise _no_room(patch.sheet, taken[0])
        return start
    start = max(ahead.header_content(), default=0) + 1
    start = max(start, min_start)
    if _may_hold(ahead.dimension, start):
        start = max([start - 1, *_content_columns(writer, sheet.part or "", start, patch.header_row)]) + 1
    return start


def _may_hold(dimension: tuple[int, int, int, int] | None, col: int) -> bool:
    """Whether the sheet's stated used range reaches column ``col`` (no dimension: maybe)."""
    return dimension is None or dimension[2] >= col


def _table_to_extend(tables: list[TableInfo], target: TableInfo | None, header_row: int,
                     start: int) -> TableInfo | None:
    for t in [target] if target is not None else tables:
        if t is not None and t.has_header and t.r1 == header_row and t.c2 == start - 1:
            return t
    return None


def _letters_from(n: int) -> bytes:
    """A regex for column letters naming column ``n`` or any column right of it."""
    letters = col_letters(n)
    k = len(letters)
    alts = [letters]
    for i, ch in enumerate(letters):
        if ch != "Z":
            alts.append(letters[:i] + f"[{chr(ord(ch) + 1)}-Z]" + "[A-Z]" * (k - i - 1))
    if k < 3:
        alts.append(f"[A-Z]{{{k + 1},3}}")
    return ("(?:" + "|".join(alts) + ")").encode()


def _content_columns(writer: Marker, part: str, min_col: int, min_row: int) -> set[int]:
    """Columns ≥ ``min_col`` holding a non-empty cell in a row ≥ ``min_row``: one scan of the
    sheet with a regex that only stops at such cells (rare: this only runs when needed)."""
    cell = re.compile(
        rb"<(?:[A-Za-z_][\w.\-]*:)?c(?=\s)[^>]*?\sr\s*=\s*[\"']\$?(" + _letters_from(min_col)
        + rb")\$?(\d+)[\"'][^>]*>", re.I,
    )
    found: set[int] = set()
    rest = b""
    with writer.pkg.open(part) as src:
        while True:
            chunk = src.read(ooxml_package.CHUNK)
            buf = rest + chunk
            cut = buf.rfind(b"<") if chunk else len(buf)
            for m in cell.finditer(buf, 0, max(cut, 0)):
                if not m.group(0).endswith(b"/>") and int(m.group(2)) >= min_row:
                    found.add(col_index(m.group(1).decode()) or 0)
            if not chunk:
                return found
            rest = buf[cut:] if cut >= 0 else b""


# --------------------------------------------------------------------------------------------
# Around the sheet: its Table, the calculation chain


def _extend_table(writer: Marker, table: TableInfo, plan: PatchPlan) -> None:
    """Widen ``table`` over the appended columns (ref, autoFilter, one tableColumn each)."""
    added = [c for c in plan.cols if c.appended]
    last = max(c.index for c in added)
    root = table.root
    root.set("ref", f"{col_letters(table.c1)}{table.r1}:{col_letters(last)}{table.r2}")
    af = root.find(qname("autoFilter"))
    if af is not None:
        bounds = ref_bounds(af.get("ref", ""))
        if bounds is not None:
            af.set("ref", f"{col_letters(bounds[0])}{bounds[1]}:{col_letters(last)}{bounds[3]}")
    columns = root.find(qname("tableColumns"))
    if columns is None:
        raise UnreadableWorkbook(f"表格「{table.name}」已损坏（没有列）", f"Table '{table.name}' is damaged (no columns)")
    ids = [int(el.get("id", "0")) for el in columns.findall(qname("tableColumn")) if el.get("id", "").isdigit()]
    next_id = max(ids, default=0) + 1
    for i, c in enumerate(added):
        el = columns.makeelement(qname("tableColumn"), {"id": str(next_id + i), "name": c.header})
        columns.append(el)
    columns.set("count", str(len(columns.findall(qname("tableColumn")))))
    writer.pkg.put(table.part, serialize_xml(root))


def _drop_calc_chain(writer: Marker) -> None:
    """Excel rebuilds a missing calculation chain; one naming a formula we removed needs repair."""
    for rid, part in writer.wb_rels.of_type(RT_CALC_CHAIN):
        writer.pkg.delete(part)
        writer.ct.remove_override(part)
        writer.wb_rels.remove(rid)
