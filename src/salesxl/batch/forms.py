"""Returned customer forms (客户信息表) in the batch: read in the worker, queued for review.

A customer's form comes back through ``salesxl batch`` like a salesperson's template, and the
worker recognises it by its record (:func:`salesxl.core.customer_form.is_customer_form`).  Its
answers are never applied: each one that differs from what was issued and from what the archive
holds now becomes a row of the master's 待审核 sheet (customer, field, old value, new value,
source file, date, and a 审核 column with a 同意/驳回 dropdown), written in the same single
atomic write as the rest of the batch (lock, backup, temp file, replace).  An answer with an
error (a malformed phone, a date in the future …) is not queued: the batch report names it.
The file's hash goes into 批处理记录, so the same form is queued once however often it is sent.

``salesxl review`` (:mod:`salesxl.batch.review`) then applies the rows the office approved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from salesxl.batch.master import MasterWrite
from salesxl.batch.rows import RawSheet, find_part, read_raw
from salesxl.core.customer_form import (
    APPROVE,
    FORM_FIELDS,
    FORM_LABELS,
    REJECT,
    REVIEW_COLUMNS,
    REVIEW_SHEET,
    NotAForm,
    ReturnedForm,
    ReviewRow,
    cell_position,
    parse_meta,
    review_rows,
)
from salesxl.core.findings import Code, Finding, Severity
from salesxl.core.grid import RawGrid, tabulate
from salesxl.core.merge import MasterState
from salesxl.core.schema import CUSTOMERS
from salesxl.core.tables import Book
from salesxl.core.templates import NotATemplate, canonical_text
from salesxl.core.validation import validate_book
from salesxl.io.columns import ColumnPatch, SheetPatch
from salesxl.io.ooxml.text import col_letters
from salesxl.io.results import Column, ResultSheet
from salesxl.io.safety import WorkbookInfo, inspect_workbook

FORM_SHEET = "客户信息表"
#: Status of a returned form in the batch report.
FOR_REVIEW = "for-review"


# --------------------------------------------------------------------------------------------
# In the worker


def load_customer_form(path: Path, sha256: str, info: WorkbookInfo, rows: Sequence[Sequence[Any]]) -> ReturnedForm:
    """Read a returned customer form whose meta-sheet ``rows`` are already read: each answer
    from the cell the record names, typed by the contract's reader (:func:`tabulate`, so a
    date, an amount or a phone reads exactly as on 客户档案)."""
    try:
        meta = parse_meta(rows)
    except NotAForm as exc:
        raise NotATemplate(str(exc)) from exc
    part = find_part(info, FORM_SHEET)
    if part is None:
        raise NotATemplate(f"客户信息表中没有「{FORM_SHEET}」工作表")
    grid_rows = read_raw(path, info, part).rows
    names = ["客户编号", *[f for f in FORM_FIELDS if f in meta.fields]]
    texts: list[str | None] = [meta.customer_id]
    where: dict[str, tuple[int, int]] = {}
    for name in names[1:]:
        r, c = cell_position(meta.fields[name][1])
        where[name] = (r, c)
        row = grid_rows[r] if r < len(grid_rows) else []
        texts.append(row[c] if c < len(row) else None)
    grid = RawGrid([pa.array([t], pa.large_string()) for t in texts], list(range(len(names))), first_row=2,
                   headers=list(names), date1904=info.date1904)
    table, found = tabulate(CUSTOMERS, part.name, grid)
    values = {n: canonical_text(table.frame[n].iloc[0], n) for n in names[1:]}
    form = ReturnedForm(path.name, sha256, meta, part.name, values, book=Book(str(path), tables={"客户档案": table}))
    form.findings = [at_cell(f, form, where) for f in found if f.field in where]
    return form


def at_cell(f: Finding, form: ReturnedForm, where: dict[str, tuple[int, int]] | None = None) -> Finding:
    """A finding of the one-card table moved to the form's own cell of its field."""
    if f.field is None or f.field not in form.meta.fields:
        return f
    r, c = where[f.field] if where else cell_position(form.meta.fields[f.field][1])
    return f.model_copy(update={"sheet": form.sheet, "row": r + 1, "column": col_letters(c + 1)})


# --------------------------------------------------------------------------------------------
# In the main process


@dataclass
class FormOutcome:
    """What the batch did with one returned form."""

    form: ReturnedForm
    rows: list[ReviewRow]
    rejected: list[tuple[str, str | None, Finding]]
    findings: list[Finding]
    problem: tuple[str, str] | None = None
    """Why nothing was queued (zh, en): the customer is not (once) in the archive."""

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.WARNING)

    def message(self) -> tuple[str, str]:
        cid = self.form.meta.customer_id
        if self.problem is not None:
            return self.problem
        zh = f"客户信息表（客户 {cid}）：{len(self.rows)} 项修改已列入「{REVIEW_SHEET}」，审核后用 salesxl review 采纳"
        en = f"customer form (customer {cid}): {len(self.rows)} change(s) queued on {REVIEW_SHEET} for review (salesxl review)"
        if self.rejected:
            zh += "；未列入（有错误）：" + "；".join(f"{FORM_LABELS.get(n, n)}「{v or ''}」{f.message('zh')}" for n, v, f in self.rejected)
            en += "; not queued (errors): " + "; ".join(f"{n} '{v or ''}': {f.message('en')}" for n, v, f in self.rejected)
        return zh, en


def queue_forms(forms: Sequence[ReturnedForm], state: MasterState, *, as_of: date, day: date) -> list[FormOutcome]:
    """Each returned form's rows for 待审核, against the master's current cards (``state``,
    after this batch's merge, so a salesperson's change of the same batch is the old value)."""
    out = []
    for form in sorted(forms, key=lambda f: (f.meta.issued_at, f.file)):
        cid = form.meta.customer_id
        checked: list[Finding] = []
        if form.book is not None:
            table = form.book.tables["客户档案"]
            if state.has(cid):  # the archive's 客户性质 decides whether a credit code is required
                nature = state.get(cid, "客户性质")
                table.frame["客户性质"] = pd.Series([nature], dtype=table.frame["客户性质"].dtype)
            checked = validate_book(form.book, as_of=as_of)
        findings = list(form.findings) + [at_cell(f, form) for f in checked
                                          if f.field in form.meta.fields and f.code is not Code.MISSING_COLUMN]
        if not state.has(cid):
            out.append(FormOutcome(form, [], [], findings, (
                f"客户信息表的客户编号 {cid} 不在客户档案中（或重复），未列入审核",
                f"the form's customer {cid} is not (once) in the archive; nothing queued")))
            continue
        errors = [f for f in findings if f.severity is Severity.ERROR]
        current = {f: state.get(cid, f) for f in ("客户名称", *FORM_FIELDS)}
        rows, bad = review_rows(form, current, day=day, errors=errors)
        out.append(FormOutcome(form, rows, bad, findings))
    return out


def record_values(o: FormOutcome) -> dict[str, Any]:
    """The form's 批处理记录 values (besides 批次 and 时间): its hash, so it is queued once."""
    return {"文件": o.form.file, "SHA-256": o.form.sha256, "业务员": None, "模板编号": o.form.form_id,
            "发放时间": o.form.meta.issued_at.isoformat(sep=" ", timespec="seconds"), "状态": "待审核",
            "修改": len(o.rows), "冲突": 0, "未采纳": len(o.rejected), "新客户": 0, "拜访": 0, "错误": o.errors}


# --------------------------------------------------------------------------------------------
# The 待审核 sheet


@dataclass
class ReviewSheet:
    """The master's 待审核 as found: header letters, last row and the data rows (text)."""

    name: str
    exists: bool
    letters: dict[str, str]
    last_row: int
    rows: list[tuple[int, dict[str, str | None]]]
    """(Excel row, column → text) of every non-empty row below the header."""


def read_review_sheet(master: Path) -> ReviewSheet:
    """The master's 待审核 sheet (cheap: a small sheet, read as text)."""
    info = inspect_workbook(master)
    part = find_part(info, REVIEW_SHEET)
    if part is None:
        return ReviewSheet(REVIEW_SHEET, False, {}, 1, [])
    return review_sheet_of(read_raw(master, info, part))


def review_sheet_of(raw: RawSheet) -> ReviewSheet:
    header = raw.rows[0] if raw.rows else []
    index: dict[str, int] = {}
    for j, cell in enumerate(header):
        text = (cell or "").strip()
        if text in REVIEW_COLUMNS and text not in index:
            index[text] = j
    rows = []
    for r, raw_row in enumerate(raw.rows[1:], start=2):
        row: dict[str, str | None] = {}
        for c, j in index.items():
            cell = raw_row[j] if j < len(raw_row) else None
            row[c] = cell.strip() if cell is not None else None
        if any(v for v in row.values()):
            rows.append((r, row))
    return ReviewSheet(raw.name, True, {c: col_letters(j + 1) for c, j in index.items()}, max(raw.last_row, 1), rows)


#: The 审核 dropdown of a new 待审核 sheet (over the whole column, so appended rows have it).
DROPDOWN = ("审核", (APPROVE, REJECT))


def add_review_rows(plan: MasterWrite, sheet: ReviewSheet, rows: Sequence[ReviewRow]) -> None:
    """Put ``rows`` into the master's write: appended below 待审核's last row, or a new 待审核
    sheet (the office's from then on: never replaced) with the 审核 dropdown."""
    if not rows:
        return
    kinds = {c: "date" if c == "日期" else "text" for c in REVIEW_COLUMNS}
    if sheet.exists:
        values: dict[str, dict[int, Any]] = {c: {} for c in REVIEW_COLUMNS}
        for i, row in enumerate(rows, start=1):
            for c, v in zip(REVIEW_COLUMNS, row.cells(), strict=True):
                if v is not None:
                    values[c][sheet.last_row + i] = v
        patch = [ColumnPatch(c, sheet.letters.get(c), kinds[c], values[c])  # type: ignore[arg-type]
                 for c in REVIEW_COLUMNS if values[c]]
        plan.patches.append((SheetPatch(sheet.name, 1, patch), sheet.last_row, sheet.last_row + len(rows)))
        return
    cols = [Column(c, kinds[c], 12 if c == "日期" else None) for c in REVIEW_COLUMNS]  # type: ignore[arg-type]
    plan.new_sheets.append(ResultSheet(REVIEW_SHEET, cols, [r.cells() for r in rows], tab_color="FFC00000",
                                       owned=False, validations=[DROPDOWN]))


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")
