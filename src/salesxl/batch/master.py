"""The master archive: what a batch reads from it, and the one write that updates it.

Read: the typed 客户档案 and 拜访 (:func:`salesxl.io.reading.read_book`) and the batch's own two
sheets, 变更记录 (every change applied, with the template it came from) and 批处理记录 (one row
per file applied, with its SHA-256: what makes a re-run apply nothing twice).

Write — once per batch, all or nothing (:func:`write_master`):

* the package is patched, not re-saved (:mod:`salesxl.io.columns`): changed cells of existing
  cards are rewritten in place (keeping their format), new cards and visits become rows below
  the last data row, and the change log and batch record get their rows appended — every other
  part of the workbook (other sheets, formulas and their cached values, charts, macros, styles)
  is copied byte for byte.  An Excel Table holding 客户档案 or 拜访 is extended over the new rows.
  The patcher writes text or whole numbers: dates, fractional amounts and coordinates are
  written as their exact text (``2026-03-05``, ``1234.56``), which the reader reads back as the
  same value (spec §1); the cell keeps its format.  A missing 拜访, 变更记录 or 批处理记录 is added
  as a new sheet.
* the applied hashes live *in the master*, in the same atomic write as the changes they stand
  for, so no crash can leave changes without their record or a record without its changes;
* the write goes through :func:`salesxl.io.files.atomic_write` under the master's book lock: a temporary file in the
  master's folder, flushed and fsync'ed, then ``os.replace`` (atomic on POSIX and NTFS), the
  folder fsync'ed, the file mode kept; a timestamped backup of the previous master
  (``<stem>.备份-YYYYmmdd-HHMMSS<suffix>``) is made first.  Killed at any instant, the master is
  either the old file or the new one;
* it is refused when the master is open in Excel/WPS/LibreOffice (checked again just before
  writing) or when its bytes changed since the batch read it (someone saved it meanwhile: the
  merge would be stale).

Test hook: ``SALESXL_BATCH_PAUSE="during-write:S"`` or ``"before-replace:S"`` sleeps S seconds
after the first 64 KiB of the temporary file, or once it is complete, so a test can kill the
process inside those windows reliably.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, cast

from salesxl.batch.rows import RawSheet, find_part, read_raw
from salesxl.core.merge import MergeResult, Text, cell_kind, cell_value
from salesxl.core.tables import ROW, Book, Table
from salesxl.core.templates import CARD_FIELDS, VISIT_FIELDS
from salesxl.errors import SalesxlError
from salesxl.io import files
from salesxl.io.columns import ColumnPatch, SheetPatch, locate_sheet, patch_sheet, sheet_tables
from salesxl.io.files import owner_of, sha256_of
from salesxl.io.ooxml.package import Package
from salesxl.io.ooxml.rels import qname, serialize_xml
from salesxl.io.ooxml.text import col_letters
from salesxl.io.reading import read_book
from salesxl.io.results import Column, ResultSheet, SheetWriter
from salesxl.io.safety import inspect_workbook

LOG_SHEET = "变更记录"
RECORD_SHEET = "批处理记录"
#: What 变更记录's 新值 says for a field a salesperson cleared (read back as blank).
CLEARED = "（清空）"
#: Columns of the batch's own sheets written as date-time cells (not text).
DATETIME_COLUMNS = frozenset({"时间"})

LOG_COLUMNS: tuple[str, ...] = ("时间", "来源文件", "业务员", "客户编号", "字段", "原值", "新值", "模板编号", "批次")
RECORD_COLUMNS: tuple[str, ...] = (
    "批次", "时间", "文件", "SHA-256", "业务员", "模板编号", "发放时间", "状态",
    "修改", "冲突", "未采纳", "新客户", "拜访", "错误",
)
#: Count columns of 批处理记录 (written as numbers).
RECORD_COUNTS = ("修改", "冲突", "未采纳", "新客户", "拜访", "错误")
#: Sheets read from the master.
MASTER_SHEETS = ("客户档案", "拜访", "参数")  # 参数: the 档案完整度目标 of the feedback's incomplete cards
PAUSE_ENV = "SALESXL_BATCH_PAUSE"


@dataclass
class OwnSheet:
    """One of the batch's own sheets as found in the master (or not)."""

    name: str
    exists: bool
    letters: dict[str, str] = field(default_factory=dict)
    """Header → column letter (row 1)."""
    last_row: int = 1
    rows: list[dict[str, str | None]] = field(default_factory=list)


@dataclass
class MasterRecords:
    """The master's batch record and change log, and the master's hash when they were read."""

    sha256: str
    log: OwnSheet
    record: OwnSheet

    @property
    def applied(self) -> dict[str, dict[str, str | None]]:
        """SHA-256 → its 批处理记录 row (the first), for every file applied before."""
        out: dict[str, dict[str, str | None]] = {}
        for row in self.record.rows:
            sha = (row.get("SHA-256") or "").strip().lower()
            if sha:
                out.setdefault(sha, row)
        return out

    def history(self) -> list[tuple[str, str, str, Text]]:
        """(客户编号, 字段, 模板编号, 新值) of every change log row, oldest first."""
        out = []
        for row in self.log.rows:
            cid, name, tid = row.get("客户编号"), row.get("字段"), row.get("模板编号")
            if cid and name and tid:
                new = row.get("新值")
                out.append((cid, name, tid, None if new == CLEARED else new))
        return out


def _own_sheet(raw: RawSheet | None, name: str, columns: Sequence[str]) -> OwnSheet:
    if raw is None:
        return OwnSheet(name, False)
    header = raw.rows[0] if raw.rows else []
    letters = {}
    for j, cell in enumerate(header):
        text = (cell or "").strip()
        if text in columns and text not in letters:
            letters[text] = col_letters(j + 1)
    index = {text: j for j, cell in enumerate(header) if (text := (cell or "").strip()) in columns}
    rows = []
    for raw_row in raw.rows[1:]:
        row = {c: (raw_row[j] if j < len(raw_row) else None) for c, j in index.items()}
        if any(v is not None for v in row.values()):
            rows.append(row)
    return OwnSheet(name, True, letters, max(raw.last_row, 1), rows)


def read_records(master: Path) -> MasterRecords:
    """The master's 变更记录 and 批处理记录 (cheap: two small sheets) and its SHA-256.

    Raises :class:`~salesxl.errors.UnreadableWorkbook` when the master cannot be read.
    """
    info = inspect_workbook(master)
    sheets: dict[str, RawSheet | None] = {}
    for name in (LOG_SHEET, RECORD_SHEET):
        part = find_part(info, name)
        sheets[name] = read_raw(master, info, part) if part is not None else None
    return MasterRecords(
        sha256_of(master),
        _own_sheet(sheets[LOG_SHEET], LOG_SHEET, LOG_COLUMNS),
        _own_sheet(sheets[RECORD_SHEET], RECORD_SHEET, RECORD_COLUMNS),
    )


def read_master(master: Path) -> Book:
    """The master's typed 客户档案 and 拜访 (a missing 客户档案 is a ``missing-sheet`` finding)."""
    return read_book(master, sheets=MASTER_SHEETS, require=("客户档案",))


# --------------------------------------------------------------------------------------------
# What to write


@dataclass
class MasterWrite:
    """Everything one batch writes into the master."""

    patches: list[tuple[SheetPatch, int, int]] = field(default_factory=list)
    """(patch, last data row before, last data row after) per sheet patched."""
    new_sheets: list[ResultSheet] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.patches and not self.new_sheets


def _columns(table: Table | None, cells: dict[str, dict[int, Any]], *, visit: bool = False) -> list[ColumnPatch]:
    """One patch column per field with values, of the field's contract type (dates as dates,
    amounts and numbers as numbers), so the master keeps the types the user's cells have."""
    out = []
    for name, values in cells.items():
        if not values:
            continue
        letter = table.letter(name) if table is not None else None
        out.append(ColumnPatch(header=name, letter=letter, kind=cell_kind(name, visit=visit),  # type: ignore[arg-type]
                               values=values))
    return out


def _last_row(table: Table) -> int:
    if len(table):
        return int(table.frame[ROW].max())
    return int(table.header_row or 1)


def plan_write(book: Book, merged: MergeResult, rows_of: dict[str, int], records: MasterRecords,
               log_rows: Sequence[Sequence[Any]], record_rows: Sequence[Sequence[Any]]) -> MasterWrite:
    """The patches and new sheets that put ``merged`` and the batch record into the master."""
    plan = MasterWrite()
    cards = book["客户档案"]
    cells: dict[str, dict[int, Any]] = {n: {} for n in CARD_FIELDS}
    for cid, fields in merged.updates.items():
        for name, text in fields.items():
            cells[name][rows_of[cid]] = cell_value(name, text)
    last = _last_row(cards)
    for i, card in enumerate(merged.new_cards, start=1):
        for name in CARD_FIELDS:
            if card.get(name) is not None:
                cells[name][last + i] = cell_value(name, card[name])
    columns = _columns(cards, cells)
    if columns:
        assert cards.header_row is not None
        plan.patches.append((SheetPatch(cards.sheet, cards.header_row, columns), last,
                             last + len(merged.new_cards)))

    if merged.new_visits:
        visits = book.table("拜访")
        if visits is not None and visits.header_row is not None:
            last = _last_row(visits)
            vcells: dict[str, dict[int, Any]] = {n: {} for n in VISIT_FIELDS}
            for i, visit in enumerate(merged.new_visits, start=1):
                for name in VISIT_FIELDS:
                    if visit.get(name) is not None:
                        vcells[name][last + i] = cell_value(name, visit[name], visit=True)
            plan.patches.append((SheetPatch(visits.sheet, visits.header_row, _columns(visits, vcells, visit=True)), last,
                                 last + len(merged.new_visits)))
        else:
            cols = [Column("日期", "date", 12), *[Column(n) for n in VISIT_FIELDS[1:]]]
            visit_rows = [[date.fromisoformat(str(v["日期"])) if v.get("日期") else None,
                           *[v.get(n) for n in VISIT_FIELDS[1:]]] for v in merged.new_visits]
            plan.new_sheets.append(ResultSheet("拜访", cols, visit_rows, owned=False))  # the user's data from now on

    for own, names, rows in ((records.log, LOG_COLUMNS, log_rows), (records.record, RECORD_COLUMNS, record_rows)):
        if not rows:
            continue
        kinds = {n: ("int" if n in RECORD_COUNTS and own is records.record
                     else "datetime" if n in DATETIME_COLUMNS else "text") for n in names}
        if own.exists:
            values: dict[str, dict[int, Any]] = {n: {} for n in names}
            for i, row in enumerate(rows, start=1):
                for name, v in zip(names, row, strict=True):
                    values[name][own.last_row + i] = _typed(kinds[name], v)
            patch_cols = [ColumnPatch(n, own.letters.get(n), kinds[n], values[n])  # type: ignore[arg-type]
                          for n in names if values[n]]
            plan.patches.append((SheetPatch(own.name, 1, patch_cols), own.last_row, own.last_row + len(rows)))
        else:
            cols = [Column(n, kinds[n]) for n in names]  # type: ignore[arg-type]
            typed = [[_typed(kinds[n], v) for n, v in zip(names, r, strict=True)] for r in rows]
            plan.new_sheets.append(ResultSheet(own.name, cols, typed, tab_color="FF7F7F7F",
                                               owned=False))
    return plan


def _typed(kind: str, v: Any) -> Any:
    """A value of the batch's own sheets as its column wants it: counts as numbers, 时间 as a
    ``datetime`` (``"2026-11-27 09:30:00"`` text is parsed), everything else as text."""
    if v is None or kind == "int":
        return v
    if kind == "datetime":
        return v if isinstance(v, datetime) else datetime.fromisoformat(str(v))
    return str(v)


# --------------------------------------------------------------------------------------------
# Writing


class MasterNotWritten(SalesxlError):
    """The master was left as it was (open in another program, changed meanwhile, not writable)."""


def check_writable(master: Path, sha256: str, lang: str = "zh") -> None:
    """Raise :class:`MasterNotWritten` when the master is open or changed since it was read."""
    owner = owner_of(master)
    if owner is not None:
        raise MasterNotWritten(
            f"母版 {master.name} 正被 {owner.describe('zh')} 打开，未写入；请关闭后重新运行批处理",
            f"The master {master.name} is open by {owner.describe('en')}; it was not written — close it and run the batch again",
        )
    if sha256_of(master) != sha256:
        raise MasterNotWritten(
            f"母版 {master.name} 在批处理运行期间被修改保存过，为免覆盖未写入；请重新运行批处理",
            f"The master {master.name} was saved by someone while the batch ran; it was not written (to overwrite nothing) — run the batch again",
        )


def write_master(master: Path, plan: MasterWrite, *, sha256: str,
                 before_replace: Callable[[], object] | None = None) -> Path:
    """Apply ``plan`` to ``master`` in one atomic write; returns the backup of the old master.

    ``before_replace`` runs once the temporary file is complete, just before it replaces the
    master (the batch waits there for its feedback workbooks, written meanwhile).  Raises
    :class:`MasterNotWritten` (master untouched) when it is open or changed meanwhile, and
    :class:`~salesxl.errors.SalesxlError` when the write itself fails (master untouched).
    """
    pause = _pause()
    with files.book_lock(master) as lock, Package(master) as pkg:
        writer = SheetWriter(pkg)
        for patch, before, after in plan.patches:
            patch_sheet(writer, patch)
            if after > before:
                _extend_tables(writer, patch.sheet, patch.header_row, before, after)
        writer.write(plan.new_sheets)
        check_writable(master, sha256)
        backup = files.backup(lock.path)

        def unchanged() -> None:  # the last moment another program's save could slip in
            try:
                check_writable(master, sha256)
            except MasterNotWritten:
                backup.unlink(missing_ok=True)
                raise

        try:
            with files.atomic_write(lock.path, before_replace=unchanged) as fp:
                target: IO[bytes] = cast(IO[bytes], _Pausing(fp, pause[1])) if pause[0] == "during-write" else fp
                pkg.write_to(target)
                if before_replace is not None:
                    before_replace()
                if pause[0] == "before-replace":
                    fp.flush()
                    time.sleep(pause[1])
        except SalesxlError as exc:
            if not isinstance(exc, MasterNotWritten):
                backup.unlink(missing_ok=True)
            raise
    return backup


def _pause() -> tuple[str, float]:
    kind, _, seconds = os.environ.get(PAUSE_ENV, "").partition(":")
    try:
        return kind.strip(), float(seconds)
    except ValueError:
        return "", 0.0


class _Pausing:
    """A file that sleeps once after its first 64 KiB (the ``during-write`` test hook)."""

    def __init__(self, fp: IO[bytes], seconds: float) -> None:
        self.fp, self.seconds, self.written, self.paused = fp, seconds, 0, False

    def write(self, data: Any) -> int:
        n = self.fp.write(data)
        self.written += len(data)
        if not self.paused and self.written >= 64 << 10:
            self.paused = True
            self.fp.flush()
            time.sleep(self.seconds)
        return n

    def __getattr__(self, name: str) -> Callable[..., Any]:
        return getattr(self.fp, name)


def _extend_tables(writer: SheetWriter, sheet_name: str, header_row: int, before: int, after: int) -> None:
    """Stretch an Excel Table that ends at the old last data row over the appended rows (the
    reader reads a Table by its range, so rows below it would otherwise be invisible)."""
    sheet, _ = locate_sheet(writer, sheet_name)
    for t in sheet_tables(writer, sheet):
        if not t.has_header or t.r1 != header_row or t.r2 != before:
            continue
        root = t.root
        c1, c2 = col_letters(t.c1), col_letters(t.c2)
        root.set("ref", f"{c1}{t.r1}:{c2}{after}")
        af = root.find(qname("autoFilter"))
        if af is not None:
            af.set("ref", f"{c1}{t.r1}:{c2}{after}")
        writer.pkg.put(t.part, serialize_xml(root))
