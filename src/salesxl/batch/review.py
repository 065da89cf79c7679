"""``salesxl review MASTER``: apply the customer-form answers the office approved on 待审核.

The batch queues every answer of a returned 客户信息表 on the master's 待审核 sheet
(:mod:`salesxl.batch.forms`); the office marks each row 同意 (approve) or 驳回 (reject) in its
审核 column.  A review then, for every row not yet dealt with (状态 neither 已采纳 nor 已驳回):

* **同意** — the new value goes into the customer's card, unless the card no longer holds the
  row's 原值 (someone changed it since the form was queued): then nothing is applied and 状态
  says what the card holds now, so the office can look again (the row stays open).  An applied
  card also gets 信息来源 = 客户填写 and 更新日期 = the day of the review.  Each changed field is
  a 变更记录 row (业务员 ``（客户填写，办公室审核）``, 模板编号 the form's id, 批次 ``审核-…``).
  状态 becomes 已采纳 and 处理时间 is filled;
* **驳回** — nothing reaches the card, ever: 状态 becomes 已驳回;
* blank 审核 — left for a later review.

A row naming a field the customer form does not ask (the sheet edited by hand), a customer that
is not (once) in the archive, or an answer the contract rejects is not applied and 状态 says why.

The write is the batch's (:func:`salesxl.batch.master.write_master`): under the batch lock and
the book lock, a timestamped backup, one atomic replace, refused when the master is open in
Excel/WPS/LibreOffice or changed while the review ran; a review with nothing to do writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from salesxl.batch.forms import read_review_sheet
from salesxl.batch.inbox import batch_lock
from salesxl.batch.master import CLEARED, plan_write, read_master, read_records, write_master
from salesxl.core.customer_form import (
    APPLIED,
    APPROVE,
    DISMISSED,
    FORM_FIELDS,
    REJECT,
    REVIEW_SHEET,
    REVIEWER,
    SOURCE,
)
from salesxl.core.merge import MergeResult, master_state
from salesxl.errors import UnreadableWorkbook
from salesxl.io.columns import ColumnPatch, SheetPatch


@dataclass
class ReviewReport:
    """What one review did."""

    master: Path
    time: datetime
    applied: list[dict[str, Any]] = field(default_factory=list)
    """Rows applied: row, customer_id, field, old, new."""
    rejected: int = 0
    """Rows marked 驳回 now (never applied)."""
    problems: list[dict[str, Any]] = field(default_factory=list)
    """Approved rows not applied, with why (zh, en)."""
    open: int = 0
    """Rows without a decision yet."""
    written: bool = False
    backup: Path | None = None

    @property
    def exit_code(self) -> int:
        """1 when an approved row could not be applied, else 0."""
        return 1 if self.problems else 0

    def to_json(self, lang: str = "zh") -> dict[str, Any]:
        return {
            "master": str(self.master), "time": self.time.isoformat(timespec="seconds"), "written": self.written,
            "backup": str(self.backup) if self.backup else None, "applied": self.applied, "rejected": self.rejected,
            "not_applied": [{**{k: v for k, v in p.items() if k not in ("zh", "en")},
                             "reason": p["en" if lang == "en" else "zh"]} for p in self.problems],
            "open": self.open, "exit": self.exit_code,
        }


def _text(value: str | None) -> str | None:
    """A 待审核 cell as the card's canonical text (the batch wrote it as that text)."""
    return value.strip() or None if value is not None else None


def review(master: str | Path, *, now: datetime | None = None) -> ReviewReport:
    """Apply the approved rows of ``master``'s 待审核 sheet (see the module documentation).

    Raises :class:`~salesxl.errors.UnreadableWorkbook` for a master that cannot be read and
    :class:`~salesxl.batch.master.MasterNotWritten` when it is open or changed meanwhile."""
    master = Path(master)
    if not master.is_file():
        raise UnreadableWorkbook(f"找不到母版工作簿：{master}", f"Master workbook not found: {master}")
    now = (now or datetime.now()).replace(microsecond=0)
    report = ReviewReport(master, now)
    with batch_lock(master):
        records = read_records(master)
        sheet = read_review_sheet(master)
        todo = [(r, row) for r, row in sheet.rows if (row.get("状态") or "") not in (APPLIED, DISMISSED)]
        if not todo:
            return report
        book = read_master(master)
        cards = book.table("客户档案")
        if cards is None or cards.header_row is None:
            raise UnreadableWorkbook(f"母版 {master.name} 中没有「客户档案」工作表", f"The master {master.name} has no 客户档案 sheet")
        state = master_state(book)
        stamp = now.strftime("%Y-%m-%d %H:%M:%S")
        batch = "审核-" + now.strftime("%Y%m%d-%H%M%S")
        merged = MergeResult(files=[])
        log_rows: list[list[Any]] = []
        status: dict[int, str] = {}
        touched: dict[str, str] = {}  # customer → form id of its first applied row

        def log(cid: str, name: str, old: str | None, new: str | None, source: str | None, form: str | None) -> None:
            log_rows.append([stamp, source, REVIEWER, cid, name, old, CLEARED if new is None and old is not None else new,
                             form, batch])

        for r, row in todo:
            decision = (row.get("审核") or "").strip()
            cid, name = row.get("客户编号") or "", row.get("字段") or ""
            if decision == REJECT:
                status[r] = DISMISSED
                report.rejected += 1
                continue
            if decision != APPROVE:
                report.open += 1
                continue
            why = _problem(state, cid, name)
            old, new = _text(row.get("原值")), _text(row.get("新值"))
            if why is None:
                now_value = state.get(cid, name)
                if now_value != old:
                    why = (f"未采纳：档案中的值已改为「{now_value or ''}」，与原值不同；请核对后修改原值再审核",
                           f"not applied: the card now holds '{now_value or ''}', not the old value; check it, "
                           "correct 原值 and review again")
            if why is not None:
                status[r] = why[0]
                report.problems.append({"row": r, "customer_id": cid, "field": name, "zh": why[0], "en": why[1]})
                continue
            state.set(cid, name, new)
            merged.updates.setdefault(cid, {})[name] = new
            log(cid, name, old, new, row.get("来源文件"), row.get("表单编号"))
            touched.setdefault(cid, row.get("表单编号") or "")
            status[r] = APPLIED
            report.applied.append({"row": r, "customer_id": cid, "field": name, "old": old, "new": new})
        for cid, form in touched.items():  # where the card's content came from, and when
            for name, value in (("信息来源", SOURCE), ("更新日期", now.date().isoformat())):
                old = state.get(cid, name)
                if old != value:
                    state.set(cid, name, value)
                    merged.updates[cid][name] = value
                    log(cid, name, old, value, None, form)
        if not status:
            return report
        plan = plan_write(book, merged, state.rows, records, log_rows, [])
        done = {"状态": {r: s for r, s in status.items()},
                "处理时间": {r: stamp for r, s in status.items() if s in (APPLIED, DISMISSED)}}
        patch = [ColumnPatch(c, sheet.letters.get(c), "text", v) for c, v in done.items() if v]
        plan.patches.append((SheetPatch(sheet.name, 1, patch), sheet.last_row, sheet.last_row))
        report.backup = write_master(master, plan, sha256=records.sha256)
        report.written = True
    return report


def _problem(state: Any, cid: str, name: str) -> tuple[str, str] | None:
    """Why an approved row cannot be applied at all, or None."""
    if name not in FORM_FIELDS:
        return (f"未采纳：「{name}」不是客户信息表填写的栏目", f"not applied: '{name}' is not a field of the customer form")
    if not state.has(cid):
        return (f"未采纳：客户编号 {cid} 不在客户档案中（或重复）", f"not applied: customer {cid} is not (once) in the archive")
    return None


__all__ = ["REVIEW_SHEET", "ReviewReport", "review"]
