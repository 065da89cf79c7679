"""One batch, start to end: scan, read, merge, write the master once, feedback, monthly job."""

from __future__ import annotations

import calendar
import contextlib
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from pathlib import Path
from typing import Any

from salesxl.batch.cache import load_cache, save_cache
from salesxl.batch.feedback import FeedbackJob, write_feedback, write_report
from salesxl.batch.forms import (
    FormOutcome,
    add_review_rows,
    queue_forms,
    read_review_sheet,
    record_values,
)
from salesxl.batch.inbox import (
    Owner,
    batch_lock,
    owner_of,
    remove_stale_temps,
    scan_inbox,
    sha256_of,
)
from salesxl.batch.master import (
    CLEARED,
    RECORD_COLUMNS,
    MasterNotWritten,
    MasterRecords,
    MasterWrite,
    check_writable,
    plan_write,
    read_master,
    read_records,
    write_master,
)
from salesxl.batch.outcome import STATUS, BatchReport, FileReport, StepReport
from salesxl.batch.workers import (
    DEFAULT_MEMORY_MB,
    DEFAULT_TIMEOUT,
    Failure,
    Job,
    Outcome,
    parse_faults,
    read_all,
)
from salesxl.core.collector import collector_paused
from salesxl.core.customer_form import ReturnedForm
from salesxl.core.incremental import MasterCheck, master_check
from salesxl.core.merge import MasterState, MergeResult, Returned, master_state, merge
from salesxl.core.returned import complete_returned
from salesxl.core.summary import parse_month
from salesxl.core.tables import Book
from salesxl.core.templates import layout_message
from salesxl.errors import BadArguments, SalesxlError, UnreadableWorkbook

Progress = Callable[[str, int, int], None]
FAULT_ENV = "SALESXL_BATCH_FAULT"


def run_batch(
    inbox: str | Path,
    *,
    master: str | Path,
    month: str | date,
    out: str | Path,
    workers: int | None = None,
    lang: str = "zh",
    as_of: date | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    memory_mb: int | None = DEFAULT_MEMORY_MB,
    monthly: bool = True,
    progress: Progress | None = None,
    incremental: bool = True,
    cache: bool = False,
) -> BatchReport:
    """Fold every returned template in ``inbox`` into ``master``, then run the monthly job.

    See :mod:`salesxl.batch` for the rules.  ``incremental``: each template's unchanged cards
    take their findings from one check of the master (:mod:`salesxl.core.incremental`; the
    same findings as a full check); ``cache``: keep the master's parsed state beside it
    (:mod:`salesxl.batch.cache`).  Raises :class:`BadArguments` for bad arguments
    and :class:`UnreadableWorkbook` for a master that cannot be read (the CLI's exit 2);
    everything that goes wrong with a returned file, or with writing, is in the report.
    """
    inbox, master, out = Path(inbox), Path(master), Path(out)
    first = parse_month(month)
    month_end = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    as_of = as_of or date.today()
    lang = "en" if lang == "en" else "zh"
    if not inbox.is_dir():
        raise BadArguments(f"收件文件夹不存在：{inbox}", f"Inbox folder not found: {inbox}")
    if not master.is_file():
        raise UnreadableWorkbook(f"找不到母版工作簿：{master}", f"Master workbook not found: {master}")
    if out.exists() and not out.is_dir():
        raise BadArguments(f"--out 应为文件夹：{out}", f"--out must be a folder: {out}")
    if out.exists() and out.resolve() == inbox.resolve():
        raise BadArguments("--out 不能是收件文件夹本身", "--out cannot be the inbox folder itself")
    out.mkdir(parents=True, exist_ok=True)
    now = datetime.now().replace(microsecond=0)
    report = BatchReport(batch=now.strftime("%Y%m%d-%H%M%S"), time=now, master=master, month=first, out=out)

    with batch_lock(master), collector_paused():  # cards, findings, log rows: all live on
        report.removed_temps = remove_stale_temps((master.parent, master.stem), (out, None))
        records = read_records(master)
        applied = records.applied
        files, report.ignored = scan_inbox(inbox, master=master, out=out)
        jobs: list[Job] = []
        seen: dict[str, str] = {}
        opened: dict[str, Owner] = {}  # files someone has open right now (read as last saved)
        for path in files:
            sha = sha256_of(path)
            if sha in applied:
                report.files.append(_already(path.name, sha, applied[sha]))
            elif sha in seen:
                report.files.append(FileReport(path.name, sha, "duplicate", message_zh=f"与「{seen[sha]}」内容相同",
                                               message_en=f"same content as '{seen[sha]}'"))
            else:
                seen[sha] = path.name
                jobs.append(Job(path, sha))
                owner = owner_of(path)
                if owner is not None:
                    opened[path.name] = owner

        label = "Reading" if lang == "en" else "读取"
        with ThreadPoolExecutor(1, thread_name_prefix="salesxl-master") as side:
            # The master is read (and indexed) while the workers read the inbox.
            master_side = side.submit(_master_state, master, records, as_of, incremental, cache)
            mode = "incremental" if incremental else "merge"
            faults = parse_faults(os.environ.get(FAULT_ENV))
            outcomes = read_all(jobs, as_of=as_of, workers=workers, timeout=timeout, memory_mb=memory_mb,
                                faults=faults, progress=progress, label=label, mode=mode) if jobs else {}
            book, state, check = master_side.result()
        again = _complete(jobs, outcomes, check)
        if again:  # a card changed in the master since issue: those files are checked in full
            outcomes.update(read_all(again, as_of=as_of, workers=workers, timeout=timeout, memory_mb=memory_mb,
                                     faults=faults, label=label))

        returned: list[Returned] = []
        forms: list[ReturnedForm] = []
        for job in jobs:
            outcome = outcomes.get(job.path)
            if isinstance(outcome, Returned):
                returned.append(outcome)
                continue
            if isinstance(outcome, ReturnedForm):  # a customer's form: queued for review below
                forms.append(outcome)
                continue
            failure = outcome if isinstance(outcome, Failure) else Failure("error", "未读取", "not read")
            fr = FileReport(job.path.name, job.sha256, failure.kind if failure.kind in STATUS else "error",
                            message_zh=failure.zh, message_en=failure.en)
            report.files.append(fr)
        if progress:
            progress("合并" if lang != "en" else "Merging", 0, 1)
        merged = merge(returned, state, time=now, batch=report.batch)
        report.incomplete = incomplete_cards(book, merged)
        report.forms = queue_forms(forms, state, as_of=as_of, day=now.date())
        report.files += [form_report(o, report.batch) for o in report.forms]
        metas = {r.file: r.meta for r in returned}
        for fm in merged.files:
            status = "damaged" if fm.damage else "applied" if fm.applied else "nothing-applied"
            fr = FileReport(fm.file, fm.sha256, status, salesperson=fm.salesperson, template_id=fm.template_id,
                            changes=len(fm.changes), conflicts=len(fm.conflicts), rejected=len(fm.rejections),
                            new_customers=len(fm.new_customers), visits=len(fm.visits), already_recorded=fm.already,
                            errors=fm.errors, warnings=fm.warnings, batch=report.batch, merge=fm)
            if fm.damage:
                fr.message_zh, fr.message_en = (layout_message(fm.damage, fm.issued_at, "zh"),
                                                layout_message(fm.damage, fm.issued_at, "en"))
            else:
                notes = _notes(metas[fm.file].master_name, master.name, opened.get(fm.file))
                if notes:
                    fr.message_zh, fr.message_en = notes
            report.files.append(fr)
        report.files.sort(key=lambda f: f.file)

        if merged.writes or any(o.rows for o in report.forms):  # nothing applied: the master is not rewritten
            report.master_needed = True
            _write(report, merged, book, state.rows, records, lang, workers, progress)
        elif merged.files:
            report.feedback = write_feedback(report, lang, workers)
        if monthly:
            report.monthly = _monthly(master, out, first, month_end, lang, progress, _stale_note(report))
        report.report = write_report(report, lang)
    return report


def form_report(o: FormOutcome, batch: str) -> FileReport:
    """A customer form's line of the batch report: answers queued (``changes``), answers not
    queued for an error (``rejected``)."""
    zh, en = o.message()
    return FileReport(o.form.file, o.form.sha256, "for-review" if o.problem is None else "error",
                      template_id=o.form.form_id, changes=len(o.rows), rejected=len(o.rejected), errors=o.errors,
                      warnings=o.warnings, batch=batch, message_zh=zh, message_en=en)


def incomplete_cards(book: Book, merged: MergeResult) -> dict[str, list[Sequence[Any]]]:
    """Each salesperson of this batch's files: their cards still below 参数 档案完整度目标 once the
    merge is applied (issue 19: the feedback lists them)."""
    from salesxl.core.cards import incomplete_after_merge

    people = {fm.salesperson for fm in merged.files if not fm.damage}
    cards = book.table("客户档案")
    if not people or cards is None:
        return {}
    return incomplete_after_merge(cards.frame, people, target=book.settings.card_target, updates=merged.updates,
                                  new_cards=merged.new_cards)


def _complete(jobs: list[Job], outcomes: dict[Path, Outcome], check: MasterCheck | None) -> list[Job]:
    """Finish each incrementally checked file (:func:`salesxl.core.returned.complete_returned`:
    the master's findings of its unchanged cards, the cross-row rules over all files in one
    pass); returns the files to check in full."""
    pending: list[tuple[Job, Returned]] = []
    for job in jobs:
        r = outcomes.get(job.path)
        if isinstance(r, Returned) and r.pending is not None:
            pending.append((job, r))
    if check is None:
        return [job for job, _ in pending]
    done = complete_returned([r for _, r in pending], check)
    return [job for (job, _), ok in zip(pending, done, strict=True) if not ok]


def _master_state(master: Path, records: MasterRecords, as_of: date, incremental: bool,
                  cache: bool) -> tuple[Book, MasterState, MasterCheck | None]:
    """The master's tables, merge state and (``incremental``) check, from the cache when it
    holds this master's; a master without a usable 客户档案 cannot run."""
    if cache:
        kept = load_cache(master, records.sha256)
        if isinstance(kept, tuple) and len(kept) == 4 and kept[3] == as_of:
            book, state, check, _ = kept
            if check is None and incremental:
                check = master_check(book, as_of=as_of)
            return book, state, check if incremental else None
    book = read_master(master)
    cards = book.table("客户档案")
    if cards is None or cards.header_row is None:
        raise UnreadableWorkbook(
            f"母版 {master.name} 中没有可识别表头的「客户档案」工作表，无法合并",
            f"The master {master.name} has no 客户档案 sheet with a recognisable header; nothing can be merged",
        )
    state = master_state(book, records.history())
    check = master_check(book, as_of=as_of) if incremental or cache else None
    if cache:  # before the merge changes the state
        save_cache(master, records.sha256, (book, state, check, as_of))
    return book, state, check if incremental else None


def _notes(issued_from: str, master: str, owner: Owner | None) -> tuple[str, str] | None:
    """Remarks on a merged file: issued from a master of another name, open while read."""
    zh, en = [], []
    if issued_from and issued_from != master:
        zh.append(f"模板发放自「{issued_from}」，与母版 {master} 文件名不同，请确认是同一份档案")
        en.append(f"issued from '{issued_from}', not {master}: check it is the same archive")
    if owner is not None:
        zh.append(f"读取时该文件正被 {owner.describe('zh')} 打开，合并的是最后保存的内容")
        en.append(f"the file was open by {owner.describe('en')}; its last saved content was merged")
    return ("；".join(zh), "; ".join(en)) if zh else None


def _already(name: str, sha: str, row: dict[str, str | None]) -> FileReport:
    """A file applied by an earlier batch, with the counts that batch recorded."""

    def num(key: str) -> int:
        with contextlib.suppress(TypeError, ValueError):
            return int(float(row.get(key) or 0))
        return 0

    batch = row.get("批次")
    return FileReport(name, sha, "already-applied", salesperson=row.get("业务员"), template_id=row.get("模板编号"),
                      changes=num("修改"), conflicts=num("冲突"), rejected=num("未采纳"), new_customers=num("新客户"),
                      visits=num("拜访"), errors=num("错误"), batch=batch,
                      message_zh=f"已在批次 {batch} 中合并（按内容哈希识别）",
                      message_en=f"applied in batch {batch} (recognised by its content hash)")


def _write(report: BatchReport, merged: MergeResult, book: Book, rows_of: dict[str, int],
           records: MasterRecords, lang: str, workers: int | None, progress: Progress | None) -> None:
    """The feedback workbooks (in worker processes) while the master is written; the master
    replaced only once they are all written, so a kill right after the replace still leaves
    the feedback of every file it applied.  A master left unwritten turns every merged file
    into not-written, and the feedback says so."""
    master = report.master
    try:
        check_writable(master, records.sha256)
    except MasterNotWritten as exc:
        report.locked_by = owner_of(master)
        report.master_message_zh, report.master_message_en = exc.zh, exc.en
        _not_written(report)
        report.feedback = write_feedback(report, lang, workers)
        return
    if progress:
        progress("写入母版" if lang != "en" else "Writing the master", 0, 1)
    # The feedback workbooks start now, in worker processes, while the master's write is planned
    # and made; they are collected before the master is replaced.
    feedback = FeedbackJob(report, lang, workers)
    try:
        plan = _plan(report, merged, book, rows_of, records)
    except BaseException:
        feedback.wait()
        raise
    try:
        report.backup = write_master(master, plan, sha256=records.sha256, before_replace=feedback.wait)
        report.master_written = True
        report.feedback = feedback.wait()
    except SalesxlError as exc:
        feedback.wait()
        report.locked_by = owner_of(master)
        report.master_message_zh, report.master_message_en = exc.zh, exc.en
        _not_written(report)
        report.feedback = write_feedback(report, lang, workers)


def _plan(report: BatchReport, merged: MergeResult, book: Book, rows_of: dict[str, int],
          records: MasterRecords) -> MasterWrite:
    """What the batch writes into the master: the merge, the 变更记录 and 批处理记录 rows, and
    the customer forms' rows for 待审核."""
    log_rows = [[r.time, r.file, r.salesperson, r.customer_id, r.field, r.old,
                 CLEARED if r.new is None and r.old is not None else r.new,
                 r.template_id, r.batch] for r in merged.log]
    stamp = report.time.strftime("%Y-%m-%d %H:%M:%S")
    record_rows = []
    for fm in merged.files:
        if fm.damage:  # not merged: a corrected file has another hash anyway
            continue
        values = {
            "批次": report.batch, "时间": stamp, "文件": fm.file, "SHA-256": fm.sha256, "业务员": fm.salesperson,
            "模板编号": fm.template_id, "发放时间": fm.issued_at.isoformat(sep=" ", timespec="seconds"),
            "状态": STATUS["applied" if fm.applied else "nothing-applied"][0],
            "修改": len(fm.changes), "冲突": len(fm.conflicts), "未采纳": len(fm.rejections),
            "新客户": len(fm.new_customers), "拜访": len(fm.visits), "错误": fm.errors,
        }
        record_rows.append([values[c] for c in RECORD_COLUMNS])
    for o in report.forms:  # customer forms: their hash too, so a form is queued once
        values = {"批次": report.batch, "时间": stamp, **record_values(o)}
        values["状态"] = STATUS["for-review"][0]
        record_rows.append([values[c] for c in RECORD_COLUMNS])
    plan = plan_write(book, merged, rows_of, records, log_rows, record_rows)
    add_review_rows(plan, read_review_sheet(report.master), [r for o in report.forms for r in o.rows])
    return plan


def _not_written(report: BatchReport) -> None:
    for f in report.files:
        if f.status in ("applied", "for-review"):
            f.status = "not-written"


def _stale_note(report: BatchReport) -> str | None:
    """The warning the 月报 carries on 概览 when the batch had changes for the master but could
    not write them: the report is then made from the old master, without the returned files."""
    if not report.master_needed or report.master_written:
        return None
    left = sum(1 for f in report.files if f.status == "not-written")
    if report.locked_by is not None:
        why = f"主档案被 {report.locked_by.describe('zh')} 打开，未更新"
    else:
        why = "主档案未更新" + (f"：{report.master_message_zh}" if report.master_message_zh else "")
    return f"本月报基于未合并退回文件的档案（{why}；{left} 个退回文件的修改未计入），请合并后重新生成再发出。"


def _monthly(master: Path, out: Path, first: date, month_end: date, lang: str,
             progress: Progress | None, caveat: str | None = None) -> list[StepReport]:
    """validate (marked copy), classify, offset (copies) and the monthly summary, into ``out``;
    ``caveat`` goes on the report's first page (the master could not be updated)."""
    from salesxl import commands  # pandas and the readers: only when the monthly job runs
    from salesxl.core.summary import report_name

    stem, suffix = master.stem, master.suffix
    steps: list[StepReport] = []
    names = ["validate", "classify", "offset", "summary"]

    outputs = {"validate": f"{stem}.校验结果{suffix}", "classify": f"{stem}.分类结果{suffix}",
               "offset": f"{stem}.往来结果{suffix}", "summary": report_name(first)}
    for i, step in enumerate(names):
        if progress:
            progress(("月度作业 " if lang != "en" else "Monthly job ") + step, i, len(names))
        try:
            # The batch's own outputs of an earlier run (--out never replaces an existing file).
            (out / outputs[step]).unlink(missing_ok=True)
            if step == "validate":
                v = commands.validate(master, as_of=month_end, out=out / f"{stem}.校验结果{suffix}", lang=lang)
                steps.append(StepReport(step, True, v.marks.written if v.marks else None, v.errors, v.warnings))
            elif step == "classify":
                _, w = commands.classify_to_book(master, as_of=month_end, out=out / f"{stem}.分类结果{suffix}")
                steps.append(StepReport(step, True, w.written))
            elif step == "offset":
                _, w = commands.offset_to_book(master, as_of=month_end, out=out / f"{stem}.往来结果{suffix}")
                steps.append(StepReport(step, True, w.written))
            else:
                s = commands.summary(master, month=first, out=out, caveats=[caveat] if caveat else ())
                steps.append(StepReport(step, True, s.written))
        except SalesxlError as exc:
            steps.append(StepReport(step, False, message_zh=exc.zh, message_en=exc.en))
    return steps
