"""What a batch did, as data: one :class:`FileReport` per inbox file and the :class:`BatchReport`.

The command line prints :meth:`BatchReport.to_json` with ``--json`` and derives its exit status
from :attr:`BatchReport.exit_code`; :mod:`salesxl.batch.feedback` writes the same content into
the 批处理报告 workbook.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from salesxl.batch.inbox import Ignored, Owner
from salesxl.core.merge import FileMerge

#: Status of a file → (Chinese, English) label.
STATUS: dict[str, tuple[str, str]] = {
    "applied": ("已合并", "applied"),
    "nothing-applied": ("无可合并的修改", "nothing to apply"),
    "not-written": ("未写入（母版未更新）", "not written (master not updated)"),
    "damaged": ("损坏（版式被改动），未合并", "damaged (layout changed), not merged"),
    "already-applied": ("已处理过，跳过", "already applied, skipped"),
    "duplicate": ("与另一文件内容相同，跳过", "same content as another file, skipped"),
    "unreadable": ("无法读取", "unreadable"),
    "not-a-template": ("不是模板", "not a template"),
    "too-large": ("文件过大", "too large"),
    "memory": ("内存超限", "out of memory"),
    "timeout": ("读取超时", "timed out"),
    "crashed": ("读取进程崩溃", "reader crashed"),
    "error": ("出错", "error"),
    "for-review": ("客户信息表，待审核", "customer form, for review"),
}
#: A total of :meth:`BatchReport.to_json` → (Chinese, English) label, as the 批处理报告's 概要 shows it.
TOTALS: dict[str, tuple[str, str]] = {
    "files": ("文件数", "Files"),
    "applied": ("已合并的文件", "Files applied"),
    "skipped": ("跳过的文件", "Files skipped"),
    "bad_files": ("有问题的文件", "Files with problems"),
    "changes": ("修改", "Changes"),
    "conflicts": ("冲突", "Conflicts"),
    "rejected": ("未采纳", "Rejected"),
    "new_customers": ("新客户", "New customers"),
    "visits": ("拜访", "Visits"),
    "errors": ("错误", "Errors"),
    "warnings": ("警告", "Warnings"),
}
#: A step of the monthly job → (Chinese, English) name.
STEPS: dict[str, tuple[str, str]] = {
    "validate": ("校验", "Check"),
    "classify": ("客户细分", "Classification"),
    "offset": ("预收冲应收", "Offset"),
    "summary": ("月报", "Monthly report"),
}
#: Statuses that are not a problem (exit status 0 as far as the file goes).
FINE = frozenset({"applied", "nothing-applied", "already-applied", "duplicate", "for-review"})
#: Statuses of a file that was merged (its counts are this batch's).
MERGED = frozenset({"applied", "nothing-applied"})


@dataclass
class FileReport:
    """One inbox file: what happened to it and the counts the report shows."""

    file: str
    sha256: str
    status: str
    salesperson: str | None = None
    template_id: str | None = None
    changes: int = 0
    conflicts: int = 0
    rejected: int = 0
    new_customers: int = 0
    visits: int = 0
    already_recorded: int = 0
    errors: int = 0
    warnings: int = 0
    message_zh: str | None = None
    message_en: str | None = None
    batch: str | None = None
    """The batch that applied the file (this one, or an earlier one for ``already-applied``)."""
    merge: FileMerge | None = field(default=None, repr=False)

    @property
    def problem(self) -> bool:
        """Whether this file makes the batch exit with status 1."""
        if self.status in ("already-applied", "duplicate"):
            return False  # nothing happened to it in this run
        if self.status == "for-review":  # a customer's form: a problem when answers could not be queued
            return bool(self.rejected or self.errors or self.conflicts)
        if self.status not in MERGED:
            return True
        return bool(self.conflicts or self.rejected or self.errors)

    def status_text(self, lang: str = "zh") -> str:
        zh, en = STATUS[self.status]
        return en if lang == "en" else zh

    def message(self, lang: str = "zh") -> str | None:
        return self.message_en if lang == "en" else self.message_zh

    def to_json(self, lang: str = "zh") -> dict[str, Any]:
        return {
            "file": self.file, "sha256": self.sha256, "salesperson": self.salesperson, "status": self.status,
            "status_text": self.status_text(lang), "changes": self.changes, "conflicts": self.conflicts,
            "rejected": self.rejected, "new_customers": self.new_customers, "visits": self.visits,
            "already_recorded": self.already_recorded, "errors": self.errors, "warnings": self.warnings,
            "message": self.message(lang), "batch": self.batch,
            "damage": [{"sheet": p.sheet, "kind": p.kind, "column": p.column, "row": p.row, "letter": p.letter,
                        "found": p.found, "message": p.message(lang)} for p in (self.merge.damage if self.merge else ())],
        }


@dataclass
class StepReport:
    """One step of the monthly job."""

    step: str
    ok: bool
    written: Path | None = None
    errors: int = 0
    warnings: int = 0
    message_zh: str | None = None
    message_en: str | None = None

    def label(self, lang: str = "zh") -> str:
        """The step's name for people (校验, 客户细分 …)."""
        zh, en = STEPS.get(self.step, (self.step, self.step))
        return en if lang == "en" else zh

    def to_json(self, lang: str = "zh") -> dict[str, Any]:
        return {"ok": self.ok, "written": str(self.written) if self.written else None, "errors": self.errors,
                "warnings": self.warnings, "message": self.message_en if lang == "en" else self.message_zh}


@dataclass
class BatchReport:
    """Everything one ``salesxl batch`` run did."""

    batch: str
    time: datetime
    master: Path
    month: date
    out: Path
    files: list[FileReport] = field(default_factory=list)
    ignored: list[Ignored] = field(default_factory=list)
    master_written: bool = False
    master_needed: bool = False
    """Whether the batch had something to write into the master."""
    master_message_zh: str | None = None
    master_message_en: str | None = None
    locked_by: Owner | None = None
    backup: Path | None = None
    feedback: list[Path] = field(default_factory=list)
    report: Path | None = None
    monthly: list[StepReport] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)
    """Other problems (a feedback file that could not be written …), (zh, en)."""
    removed_temps: list[Path] = field(default_factory=list)
    forms: list[Any] = field(default_factory=list)
    """The customer forms of this batch (:class:`salesxl.batch.forms.FormOutcome`), whose rows
    go to the master's 待审核 sheet."""
    incomplete: dict[str, list[Sequence[Any]]] = field(default_factory=dict)
    """Salesperson → their cards below 参数 档案完整度目标 after the merge (issue 19), as rows of
    their feedback's 档案待完善 sheet (:func:`salesxl.core.cards.incomplete_after_merge`)."""

    def total(self, name: str) -> int:
        return sum(int(getattr(f, name)) for f in self.files if f.status in MERGED or f.status == "not-written")

    @property
    def exit_code(self) -> int:
        """0 all done; 1 done with problems (bad files, conflicts, rejections, findings with
        errors, a master left unwritten, a failed step of the monthly job)."""
        bad = (any(f.problem for f in self.files) or (self.master_needed and not self.master_written)
               or any(not s.ok or s.errors for s in self.monthly) or bool(self.problems))
        return 1 if bad else 0

    def master_message(self, lang: str = "zh") -> str | None:
        return self.master_message_en if lang == "en" else self.master_message_zh

    def to_json(self, lang: str = "zh") -> dict[str, Any]:
        counts = ("changes", "conflicts", "rejected", "new_customers", "visits", "errors", "warnings")
        return {
            "batch": self.batch,
            "time": self.time.isoformat(timespec="seconds"),
            "master": str(self.master),
            "month": f"{self.month:%Y-%m}",
            "master_written": self.master_written,
            "master_message": self.master_message(lang),
            "locked_by": None if self.locked_by is None else {
                "user": self.locked_by.user, "host": self.locked_by.host, "program": self.locked_by.program,
                "lock_file": str(self.locked_by.lock_file)},
            "backup": str(self.backup) if self.backup else None,
            "totals": {
                "files": len(self.files),
                "applied": sum(1 for f in self.files if f.status == "applied"),
                "skipped": sum(1 for f in self.files if f.status in ("already-applied", "duplicate")),
                "bad_files": sum(1 for f in self.files if f.status not in FINE and f.status != "not-written"),
                **{c: self.total(c) for c in counts},
            },
            "files": [f.to_json(lang) for f in self.files],
            "ignored": [{"file": i.path.name, "reason": i.reason(lang)} for i in self.ignored],
            "feedback": [str(p) for p in self.feedback],
            "report": str(self.report) if self.report else None,
            "monthly": {s.step: s.to_json(lang) for s in self.monthly},
            "problems": [en if lang == "en" else zh for zh, en in self.problems],
            "exit": self.exit_code,
        }
