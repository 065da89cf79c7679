"""What goes back to people: a feedback workbook per salesperson, and the batch report.

Each salesperson gets ``反馈-<业务员>.xlsx`` in the output folder: 概要 (their files, status and
counts), 已采纳 (every field, new customer and visit written into the archive), 冲突 (fields the
office changed after issue: their value, the archive's, and why the archive's stays), 未采纳
(rows and fields rejected, with the reason and the findings behind it; for a damaged template,
each way its layout differs from the issued one) and 问题 (every finding of their template with
the cell it points at).  Sheet names, headers and messages follow
``lang``.  The office gets ``批处理报告.xlsx``: the 批处理报告 sheet (one row per inbox file with
its counts and status), the files left alone, and what the monthly job wrote.

Each sheet is a result sheet (:mod:`salesxl.io.results`: user text as inline strings, never a
formula; counts as numbers) put into a blank workbook, and saved like everything else salesxl
writes: temp file, fsync, atomic replace.  A target open in Excel/WPS/LibreOffice is not
overwritten; the caller reports it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xlsxwriter

from salesxl.batch.outcome import TOTALS, BatchReport, FileReport
from salesxl.core.findings import SEVERITY_LABEL, code_title
from salesxl.core.merge import FileMerge
from salesxl.errors import SalesxlError
from salesxl.io.files import owner_of
from salesxl.io.owned import MARK_PREFIX
from salesxl.io.printing import print_title
from salesxl.io.results import Column, Kind, ResultSheet, write_result_sheets
from salesxl.io.templates import template_file_name

REPORT_NAME = "批处理报告.xlsx"
REPORT_SHEET = "批处理报告"


@dataclass
class Sheet:
    """A plain table to write: name, headers, rows (str, int or None per cell)."""

    name: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Any]]
    title: str | None = None
    """The printed page header (what, as of when, for whom); default: the name."""


def feedback_name(salesperson: str) -> str:
    """``反馈-张伟.xlsx`` (characters a file name cannot hold replaced, as for templates)."""
    return "反馈-" + template_file_name(salesperson)


def write_book(path: Path, sheets: Sequence[Sheet]) -> Path:
    """Write ``sheets`` to ``path`` atomically; refuses a file open in another program.

    The sheets are result sheets (:func:`salesxl.io.results.write_result_sheets`: styled
    header, frozen first row, fitted widths, user text never a formula) put into a blank
    workbook made once per process: a batch writes hundreds of these small workbooks, and
    this costs half of building each from scratch.
    """
    owner = owner_of(path)
    if owner is not None:
        raise SalesxlError(
            f"{path.name} 正被 {owner.describe('zh')} 打开，未能更新", f"{path.name} is open by {owner.describe('en')}; not updated"
        )
    result = [ResultSheet(s.name, [Column(h, _kind(s.rows, j)) for j, h in enumerate(s.headers)],
                          [list(row) for row in s.rows], tab_color=None, title=s.title) for s in sheets]
    # The batch rewrites its own feedback and report each run: replaced without a backup.
    return write_result_sheets(_blank(tuple(s.name for s in sheets)), result, out=path, force=True,
                               keep_replaced=False).written


def _kind(rows: Sequence[Sequence[Any]], j: int) -> Kind:
    """``int`` for a column of whole numbers (counts, rows), else ``text``."""
    values = [row[j] for row in rows if row[j] is not None]
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "int"
    return "text"


_BLANKS: dict[tuple[str, ...], Path] = {}
_BLANK_DIR: tempfile.TemporaryDirectory[str] | None = None


def _blank(names: tuple[str, ...]) -> Path:
    """A workbook with empty sheets of these names, made once per process (in a temporary
    folder removed at exit)."""
    global _BLANK_DIR
    if names not in _BLANKS:
        if _BLANK_DIR is None:
            _BLANK_DIR = tempfile.TemporaryDirectory(prefix="salesxl-feedback-")
        path = Path(_BLANK_DIR.name) / f"blank-{len(_BLANKS)}.xlsx"
        wb = xlsxwriter.Workbook(str(path))
        for k, name in enumerate(names, start=1):
            wb.add_worksheet(name)
            # salesxl's result mark (salesxl.io.owned), so the result sheets replace these blanks
            wb.define_name(f"{MARK_PREFIX}{k}", "='" + name.replace("'", "''") + "'!$A$1")
        wb.close()
        _BLANKS[names] = path
    return _BLANKS[names]


# --------------------------------------------------------------------------------------------
# Per salesperson


_L: dict[str, dict[str, Any]] = {
    "zh": {
        "summary": "概要", "accepted": "已采纳", "conflicts": "冲突", "rejected": "未采纳", "findings": "问题",
        "summary_h": ("文件", "状态", "修改", "冲突", "未采纳", "新客户", "拜访", "已记录过", "错误", "警告", "说明"),
        "accepted_h": ("文件", "工作表", "行", "客户编号", "字段", "原值", "新值", "状态"),
        "conflicts_h": ("文件", "工作表", "行", "客户编号", "字段", "发放时的值", "你填写的值", "档案现值", "说明"),
        "rejected_h": ("文件", "工作表", "行", "客户编号", "字段", "值", "原因"),
        "findings_h": ("文件", "工作表", "行", "列", "字段", "值", "级别", "问题类型", "说明"),
        "written": "已写入档案", "not_written": "未写入（母版未更新）", "blank": "（空）", "cleared": "（清空）",
    },
    "en": {
        "summary": "Summary", "accepted": "Accepted", "conflicts": "Conflicts", "rejected": "Rejected",
        "findings": "Findings",
        "summary_h": ("File", "Status", "Changes", "Conflicts", "Rejected", "New customers", "Visits",
                      "Already recorded", "Errors", "Warnings", "Note"),
        "accepted_h": ("File", "Sheet", "Row", "Customer ID", "Field", "Old value", "New value", "Status"),
        "conflicts_h": ("File", "Sheet", "Row", "Customer ID", "Field", "Issued value", "Your value",
                        "Archive value now", "Note"),
        "rejected_h": ("File", "Sheet", "Row", "Customer ID", "Field", "Value", "Reason"),
        "findings_h": ("File", "Sheet", "Row", "Column", "Field", "Value", "Severity", "Kind", "Message"),
        "written": "written to the archive", "not_written": "not written (master not updated)", "blank": "(blank)", "cleared": "(cleared)",
    },
}


#: The feedback's sheet of incomplete cards: name and headers.
_INCOMPLETE = {
    "zh": ("档案待完善", ("客户编号", "客户名称", "客户状态", "完整度", "缺少的栏目")),
    "en": ("Cards to complete", ("Customer ID", "Customer Name", "Status", "Completeness", "Missing columns")),
}


def feedback_sheets(files: Sequence[FileReport], lang: str = "zh", *, person: str | None = None,
                    when: str | None = None, incomplete: Sequence[Sequence[Any]] = ()) -> list[Sheet]:
    """The sheets of one salesperson's feedback workbook for their ``files`` of this batch;
    ``person`` and ``when`` (the batch's time) go into the printed titles.  ``incomplete``: their
    cards below 参数 档案完整度目标 (:attr:`BatchReport.incomplete`), a last sheet 档案待完善."""
    t = _L["en" if lang == "en" else "zh"]
    summary, accepted, conflicts, rejected, findings = [], [], [], [], []
    severity = SEVERITY_LABEL["en" if lang == "en" else "zh"]
    for f in files:
        summary.append([f.file, f.status_text(lang), f.changes, f.conflicts, f.rejected, f.new_customers,
                        f.visits, f.already_recorded, f.errors, f.warnings, f.message(lang)])
        m: FileMerge | None = f.merge
        if m is None:
            continue
        state = t["written"] if f.status == "applied" else t["not_written"]
        for c in m.changes:  # a field the salesperson emptied says so
            accepted.append([f.file, m.card_sheet, c.row, c.customer_id, c.field, c.old,
                             t["cleared"] if c.new is None else c.new, state])
        for c in m.new_customers:
            accepted.append([f.file, m.card_sheet, c.row, c.customer_id, c.field, None, c.new, state])
        for c in m.visits:
            accepted.append([f.file, m.visit_sheet, c.row, c.customer_id, c.field, None, c.new, state])
        for k in m.conflicts:
            conflicts.append([f.file, m.card_sheet, k.row, k.customer_id, k.field, k.issued, k.returned, k.current,
                              k.message(lang)])
        for p in m.damage:  # the whole file was not merged: what differs from the issued layout
            rejected.append([f.file, p.sheet, p.row, None, p.column, p.found, p.message(lang)])
        for r in m.rejections:  # every row names the field and the value it is about
            rejected.append([f.file, r.sheet, r.row, r.customer_id, r.field,
                             t["blank"] if r.value is None and r.field else r.value, r.message(lang)])
        for x in m.findings:  # the code's meaning, never the bare code
            findings.append([f.file, x.sheet, x.row, x.column, x.field, x.value, severity[x.severity.value],
                             code_title(x.code, lang), x.message(lang)])
    sheets = [
        Sheet(t["summary"], t["summary_h"], summary),
        Sheet(t["accepted"], t["accepted_h"], accepted),
        Sheet(t["conflicts"], t["conflicts_h"], conflicts),
        Sheet(t["rejected"], t["rejected_h"], rejected),
        Sheet(t["findings"], t["findings_h"], findings),
    ]
    if incomplete:  # issue 19: the cards still to complete, least complete first
        sheets.append(Sheet(*_INCOMPLETE["en" if lang == "en" else "zh"], [list(r) for r in incomplete]))
    what = "Feedback" if lang == "en" else "反馈"
    for sheet in sheets:
        sheet.title = print_title(f"{what} · {sheet.name}", None, _who_when(person, when, lang), lang=lang)
    return sheets


def _when(report: BatchReport) -> str:
    """The batch's time, as its printed titles show it."""
    return report.time.strftime("%Y-%m-%d %H:%M")


def _who_when(who: str | None, when: str | None, lang: str) -> str:
    """``李静　批处理 2026-11-27 09:30`` (the parts known)."""
    batch = f"batch of {when}" if lang == "en" else f"批处理 {when}"
    return ("   " if lang == "en" else "\u3000").join(x for x in (who, batch if when else None) if x)


def _by_person(report: BatchReport) -> dict[str, list[FileReport]]:
    by_person: dict[str, list[FileReport]] = {}
    for f in report.files:
        if f.merge is not None and f.salesperson:
            by_person.setdefault(f.salesperson, []).append(f)
    return dict(sorted(by_person.items()))


def _write_one(path: Path, sheets: list[Sheet]) -> tuple[Path | None, str | None, str | None]:
    """Write one feedback workbook (in a worker process): (path, None, None) or the error."""
    try:
        return write_book(path, sheets), None, None
    except SalesxlError as exc:
        return None, exc.zh, exc.en


#: Below this many feedback workbooks they are written in the main process (a pool costs more).
POOL_FROM = 8


class FeedbackJob:
    """The feedback workbooks of a batch, being written — in parallel worker processes when
    there are many — while the main process writes the master; :meth:`wait` collects them.

    A salesperson without a file in this batch keeps the feedback of their last one.  A file
    that cannot be written (open in Excel) is added to ``report.problems``.
    """

    def __init__(self, report: BatchReport, lang: str = "zh", workers: int | None = None) -> None:
        from concurrent.futures import ProcessPoolExecutor

        from salesxl.batch.workers import mp_context

        self.report = report
        todo = [(report.out / feedback_name(person), feedback_sheets(files, lang, person=person, when=_when(report),
                                                                    incomplete=report.incomplete.get(person, ())))
                for person, files in _by_person(report).items()]
        self.done: list[tuple[Path | None, str | None, str | None]] | None = None
        self.pool = None
        self.futures: list[Any] = []
        if len(todo) < POOL_FROM:
            self.done = [_write_one(path, sheets) for path, sheets in todo]
        else:
            self.pool = ProcessPoolExecutor(max_workers=max(1, min(workers or os.cpu_count() or 1, len(todo))),
                                            mp_context=mp_context())
            self.futures = [self.pool.submit(_write_one, path, sheets) for path, sheets in todo]

    def wait(self) -> list[Path]:
        """The feedback files written (once all are); problems go to the report."""
        if self.done is None:
            assert self.pool is not None
            try:
                self.done = [f.result() for f in self.futures]
            finally:
                self.pool.shutdown(wait=True)
            for _, zh, en in self.done:
                if zh is not None and en is not None:
                    self.report.problems.append((zh, en))
        elif self.pool is None:
            for _, zh, en in self.done:
                if zh is not None and en is not None and (zh, en) not in self.report.problems:
                    self.report.problems.append((zh, en))
        return [path for path, _, _ in self.done if path is not None]


def write_feedback(report: BatchReport, lang: str = "zh", workers: int | None = None) -> list[Path]:
    """Write every feedback workbook of ``report`` and return them (see :class:`FeedbackJob`)."""
    return FeedbackJob(report, lang, workers).wait()


# --------------------------------------------------------------------------------------------
# The batch report


def report_sheets(report: BatchReport, lang: str = "zh") -> list[Sheet]:
    """批处理报告 (per file), 忽略的文件 and 概要 (batch, master, monthly job)."""
    en = lang == "en"
    headers = (("File", "Salesperson", "Status", "Changes", "Conflicts", "Rejected", "New customers", "Visits",
                "Errors", "Warnings", "Note", "Batch", "SHA-256") if en else
               ("文件", "业务员", "状态", "修改", "冲突", "未采纳", "新客户", "拜访", "错误", "警告", "说明", "批次", "SHA-256"))
    rows = [[f.file, f.salesperson, f.status_text(lang), f.changes, f.conflicts, f.rejected, f.new_customers,
             f.visits, f.errors, f.warnings, f.message(lang), f.batch, f.sha256] for f in report.files]
    ignored = [[i.path.name, i.reason(lang)] for i in report.ignored]
    doc = report.to_json(lang)
    # 项目 | 数量 | 内容: the counts in a column of their own, so they are numbers a sum can use
    about: list[list[Any]] = [
        ["Batch" if en else "批次", None, report.batch],
        ["Time" if en else "时间", None, f"{report.time:%Y-%m-%d %H:%M:%S}"],
        ["Master" if en else "母版", None, str(report.master)],
        ["Month" if en else "月份", None, doc["month"]],
        ["Master written" if en else "母版已更新", None,
         ("yes" if en else "是") if report.master_written else ("no" if en else "否")],
        ["Backup" if en else "备份", None, doc["backup"]],
        ["Note" if en else "说明", None, report.master_message(lang)],
    ]
    for key, value in doc["totals"].items():
        zh_label, en_label = TOTALS.get(key, (key, key))
        about.append([en_label if en else zh_label, int(value), None])
    for step in report.monthly:
        about.append([step.label(lang), None,
                      str(step.written) if step.written else (step.message_en if en else step.message_zh)])
    for zh, en_text in report.problems:
        about.append(["Problem" if en else "问题", None, en_text if en else zh])
    sheets = [
        Sheet(REPORT_SHEET, headers, rows),
        Sheet("Ignored files" if en else "忽略的文件", ("File", "Reason") if en else ("文件", "原因"), ignored),
        Sheet("About" if en else "概要", ("Item", "Count", "Value") if en else ("项目", "数量", "内容"), about),
    ]
    for sheet in sheets:
        what = sheet.name if sheet.name == REPORT_SHEET else f"{REPORT_SHEET} · {sheet.name}"
        sheet.title = print_title(what, None, _who_when(report.master.name, _when(report), lang), lang=lang)
    return sheets


def write_report(report: BatchReport, lang: str = "zh") -> Path | None:
    """``批处理报告.xlsx`` in the output folder (None, with a problem noted, when it is open)."""
    path = report.out / REPORT_NAME
    try:
        return write_book(path, report_sheets(report, lang))
    except SalesxlError as exc:
        report.problems.append((exc.zh, exc.en))
        return None
