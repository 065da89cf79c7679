"""What each command does to one workbook: read it (:mod:`salesxl.io`), compute (:mod:`salesxl.core`),
write the result (:mod:`salesxl.io`), returning data.

This is the layer below both :mod:`salesxl.api` (the library face, which re-exports every
function here) and :mod:`salesxl.batch` (whose monthly job runs validate, classify, offset and
the summary on the master): one definition of each command's work, and no import cycle between
the API and the batch it also offers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from salesxl.core import ledger
from salesxl.core.classification import Classification
from salesxl.core.classification import classify as classify_book
from salesxl.core.findings import Finding, FindingCounts
from salesxl.core.periods import Period
from salesxl.core.plans import period_argument, period_report_name
from salesxl.core.tables import Book
from salesxl.core.validation import validate_book
from salesxl.errors import BadArguments
from salesxl.io import files
from salesxl.io.classification import customer_patch, policy_sheet, routes_sheet, suggestions_sheet
from salesxl.io.marking import MarkResult, write_marks
from salesxl.io.reading import Progress, read_book
from salesxl.io.results import WriteResult, ledger_sheets, write_result_sheets

if TYPE_CHECKING:  # xlsxwriter is imported only when statements are written
    from salesxl.io.statements import Written

#: Sheets without which a check makes no sense; their absence is a ``missing-sheet`` finding.
VALIDATE_REQUIRES = ("客户档案",)


@dataclass
class ValidationReport(FindingCounts):
    """All findings of one workbook, in sheet order then row order (spec §5 ``validate``)."""

    path: str
    as_of: date
    findings: list[Finding] = field(default_factory=list)
    marks: MarkResult | None = None  # where the marks went, when asked to write them

    def to_json(self, lang: str = "zh") -> dict[str, Any]:
        return {
            "errors": self.errors,
            "warnings": self.warnings,
            "findings": [f.to_json(lang) for f in self.findings],
        }


def order_findings(findings: list[Finding], book: Book) -> list[Finding]:
    """Sheet order as in the contract, then row, then column (a stable, readable order)."""
    sheets = {t.sheet: i for i, t in enumerate(book.tables.values())}

    def key(f: Finding) -> tuple[int, int, int, str]:
        col = f.column or ""
        return (sheets.get(f.sheet, -1), f.row or 0, len(col), col)

    return sorted(findings, key=key)


def validate(
    path: str | Path,
    *,
    as_of: date | None = None,
    out: str | Path | None = None,
    in_place: bool = False,
    lang: str = "zh",
    progress: Progress | None = None,
    force: bool = False,
) -> ValidationReport:
    """Check the workbook at ``path`` against the contract and return every finding.

    Reading problems (``missing-sheet``, ``missing-column``, ``bad-type``, ``no-cached-value``)
    are found by the reader; every rule of spec §2 by :func:`salesxl.core.validation.validate_book`.
    With ``out`` (a new file) or ``in_place`` (after a timestamped backup) the findings are also
    marked in the workbook, in ``lang``: a fill and a comment on each cell and a 校验结果 sheet;
    a re-run replaces earlier marks (see :mod:`salesxl.io.marking`).  ``out`` may be a folder;
    an existing file there is replaced only with ``force`` (after a backup), never the book.
    Raises :class:`~salesxl.errors.UnreadableWorkbook` when the file cannot be read at all and
    :class:`~salesxl.errors.WriteFailed` when the output cannot be written (nothing is lost).
    """
    as_of = as_of or date.today()
    with files.write_lock(path, out, in_place):
        book = read_book(path, require=VALIDATE_REQUIRES, progress=progress)
        findings = book.findings + validate_book(book, as_of=as_of)
        report = ValidationReport(str(path), as_of, order_findings(findings, book))
        if out is not None or in_place:
            report.marks = write_marks(Path(path), report.findings, out=out, in_place=in_place, lang=lang, force=force,
                                       as_of=as_of)
    return report


@dataclass
class SheetSummary:
    """What salesxl sees in one contract sheet: where it is and how much it holds."""

    sheet: str
    name: str
    header_row: int | None
    rows: int
    columns: dict[str, str]


def describe(path: str | Path, *, progress: Progress | None = None) -> list[SheetSummary]:
    """The contract sheets found in a workbook, with header row, record count and columns."""
    book = read_book(path, progress=progress)
    return [
        SheetSummary(name, t.sheet, t.header_row, len(t), dict(t.letters))
        for name, t in book.tables.items()
    ]


#: The sheets the ledger reads, and those whose absence is a ``missing-sheet`` finding.
OFFSET_SHEETS = ("客户档案", "销售", "收款", "发货", "参数")
#: The offset also reads 库存, for the batches on quality hold behind 发货放行 (issue 17).
RELEASE_SHEETS = (*OFFSET_SHEETS, "库存")
OFFSET_REQUIRES = ("客户档案", "销售", "收款")


def offset(
    path: str | Path,
    *,
    as_of: date | None = None,
    progress: Progress | None = None,
    validate: bool = False,
) -> ledger.LedgerResult:
    """预收冲应收: balances, FIFO allocations, open items, aging, action and shipment release
    of the workbook at ``path`` as of ``as_of`` (default today), per spec §3.

    Only the sheets the ledger uses are read, which keeps ``salesxl offset`` close to the
    reader's own time.  A missing sheet is a ``missing-sheet`` finding and the ledger is built
    from what exists.  ``result.findings`` holds the reader's findings, plus every validation
    finding when ``validate`` (the CLI's exit status 1 needs them; validation costs extra time).
    :func:`salesxl.io.json_documents.offset_document` / ``write_offset_json(result, fp)`` give
    the spec §5 document.
    """
    as_of = as_of or date.today()
    book = read_book(path, sheets=RELEASE_SHEETS, require=OFFSET_REQUIRES, progress=progress)
    result = ledger.offset(book, as_of=as_of)
    result.company = book.settings.company_name or ""
    findings = list(book.findings)
    if validate:
        findings += validate_book(book, as_of=as_of)
    result.findings = order_findings(findings, book)
    return result


def offset_to_book(
    path: str | Path,
    *,
    as_of: date | None = None,
    out: str | Path | None = None,
    in_place: bool = False,
    progress: Progress | None = None,
    force: bool = False,
) -> tuple[ledger.LedgerResult, WriteResult]:
    """Run :func:`offset` and write its sheets (往来余额, 账龄明细, 核销明细, 发货放行, spec §4)
    into the workbook: a copy at ``out`` or, with ``in_place``, the file itself (after a
    timestamped backup).  A re-run replaces the sheets.  ``out`` and ``force`` as for
    :func:`validate`.  See :mod:`salesxl.io.results`.
    """
    with files.write_lock(path, out, in_place):
        result = offset(path, as_of=as_of, progress=progress)
        written = write_result_sheets(Path(path), ledger_sheets(result, result.company), out=out, in_place=in_place, force=force)
    return result, written


def statements(
    path: str | Path,
    *,
    as_of: date | None = None,
    out_dir: str | Path,
    customer_ids: list[str] | None = None,
    period_start: date | None = None,
    company: str | None = None,
    progress: Progress | None = None,
    force: bool = False,
) -> Written:
    """客户往来对账单 (and 催款函 for customers to chase) of the workbook at ``path`` as of
    ``as_of``: one printable workbook per customer in ``out_dir`` (see
    :mod:`salesxl.io.statements`).  ``customer_ids`` default: every customer with an item;
    ``company`` default: 参数 ``company_name``.  Returns the files written, with the company
    details 参数 lacks (``missing``) and the reader's ``findings``.  A statement already in
    ``out_dir`` is refused (before any is written) unless ``force`` (then backed up first).
    """
    from salesxl.io.statements import write_statements

    as_of = as_of or date.today()
    book = read_book(path, sheets=OFFSET_SHEETS, require=OFFSET_REQUIRES, progress=progress)
    result = ledger.offset(book, as_of=as_of)
    written = write_statements(
        result, Path(out_dir), book=book, customer_ids=customer_ids, period_start=period_start, company=company,
        force=force,
    )
    written.findings = order_findings(list(book.findings), book)
    return written


#: The sheets classification reads; without 客户档案 or 销售 there is nothing to rank.
CLASSIFY_SHEETS = ("客户档案", "销售", "收款", "业务员", "信用政策", "参数")
CLASSIFY_REQUIRES = ("客户档案", "销售")


def classify(
    path: str | Path,
    *,
    as_of: date | None = None,
    routes: bool = True,
    progress: Progress | None = None,
) -> Classification:
    """客户细分: level, status, credit grade with suggested terms, zone and visiting route of
    every customer of the workbook at ``path`` as of ``as_of`` (default today), per spec §3.

    ``result.customers`` is the table; ``result.to_json()`` the spec §5 document;
    ``result.findings`` the reader's findings (unreadable cells, missing sheets or columns).
    ``routes=False`` skips route planning.
    """
    as_of = as_of or date.today()
    book = read_book(path, sheets=CLASSIFY_SHEETS, require=CLASSIFY_REQUIRES, progress=progress)
    result = classify_book(book, as_of=as_of, plan_routes=routes, progress=progress)
    result.findings = order_findings(list(book.findings), book)
    return result


def classify_to_book(
    path: str | Path,
    *,
    as_of: date | None = None,
    out: str | Path | None = None,
    in_place: bool = False,
    progress: Progress | None = None,
    force: bool = False,
) -> tuple[Classification, WriteResult]:
    """Run :func:`classify` and write it into the workbook (a copy at ``out`` or, with
    ``in_place``, the file itself after a timestamped backup): the out columns of 客户档案 (no
    user-typed value changes), the 路线 and 信用建议 sheets (replaced on a re-run), and the
    default 信用政策 when the workbook has none (an existing one is the office's and is kept).
    See :mod:`salesxl.io.classification`.
    """
    with files.write_lock(path, out, in_place):
        result = classify(path, as_of=as_of, progress=progress)
        table = result.book.table("客户档案") if result.book is not None else None
        if table is None or table.header_row is None:
            raise BadArguments(
                "工作簿中没有可识别表头的「客户档案」工作表，无法写入分类结果",
                "The workbook has no 客户档案 sheet with a recognisable header; nothing to classify",
            )
        written = write_result_sheets(
            Path(path),
            [routes_sheet(result), suggestions_sheet(result)],
            patch=customer_patch(result, table),
            add_if_missing=[policy_sheet()],
            out=out,
            in_place=in_place,
            copy_tag="分类结果",
            force=force,
        )
    return result, written


# The monthly summary (issue 6), appended here; its core module is as light to import as the rest.
from salesxl.core.stock_review import stock_review  # noqa: E402

#: What the 月报's 库存核对 sheet reads besides the summary's sheets (issue 17).
STOCK_REVIEW_SHEETS = ("库存", "盘点", "发货")

from salesxl.core.summary import (  # noqa: E402
    SUMMARY_REQUIRES,
    SUMMARY_SHEETS,
    MonthlySummary,
    monthly_summary,
    parse_month,
    report_name,
)


def summary(
    path: str | Path,
    *,
    month: date | str | None = None,
    out: str | Path | None = None,
    progress: Progress | None = None,
    caveats: Sequence[str] = (),
    force: bool = False,
    quarter: str | Period | None = None,
    year: str | int | Period | None = None,
) -> MonthlySummary:
    """月度汇总 of the workbook at ``path`` for ``month`` (``"2026-10"`` or any date in it), as of
    the month's last day — or (v1.1) for ``quarter`` (``"2026Q4"``) or ``year`` (``2026``), the
    季报 / 年报 with targets by the parts rule — per spec §3 "Monthly summary": a
    :class:`~salesxl.core.summary.MonthlySummary` whose ``to_json()`` is the spec §5 document.

    With ``out`` the 月报 workbook is also written there (an existing folder gets
    ``月报-YYYY-MM.xlsx`` inside it); ``result.written`` is its path.  The book itself is never
    written to, so ``out`` may not be the book; an existing report is replaced only with
    ``force`` (after a backup).  ``result.findings`` are the reader's findings (unreadable
    cells, missing sheets or columns), for the CLI's exit status.  ``caveats`` are shown in
    red at the top of 概览 (the batch says there that the master could not be updated).
    Raises :class:`~salesxl.errors.BadArguments` for a bad month or output path.
    """
    from salesxl.io.report import write_report  # XlsxWriter only when a report is written

    # v1.1: a quarter or a year instead of the month (季报 / 年报), spec §3 "Plans".
    period = summary_period(month, quarter, year)
    first: date | Period = period if period.kind != "month" else parse_month(month or "")
    name = report_name(first) if isinstance(first, date) else period_report_name(period)
    target = None
    if out is not None:
        target = files.new_file_target(out, book=Path(path), default_name=name, force=force, what=("月报", "report"))
    # The report's extra sheets (库存核对, 价格分析, 回款预测) are not part of the §5 document: their
    # sheets are read and their figures computed only when the workbook is written.
    sheets = (*SUMMARY_SHEETS, *STOCK_REVIEW_SHEETS) if target is not None else SUMMARY_SHEETS
    book = read_book(path, sheets=sheets, require=SUMMARY_REQUIRES, progress=progress)
    result = monthly_summary(book, first, progress=progress)
    result.findings = order_findings(list(book.findings), book)
    result.caveats = list(caveats)
    if target is not None:
        result.stock_review = stock_review(book, result.month, result.as_of)  # 库存核对 of the period, None without 库存
        if book.table("价目表") is not None:  # v1.1: the period's price analysis (report sheet 价格分析)
            result.prices = prices_core.analyse(book, result.month, result.as_of)
        from salesxl.core.forecast import forecast as forecast_of  # the report's 回款预测 sheet

        result.forecast = forecast_of(book, as_of=result.as_of)
        files.replace_existing(target, force=True)  # backs up the report it replaces, if any
        result.written = write_report(result, target)
    return result


def summary_period(month: date | str | None, quarter: str | Period | None, year: str | int | Period | None) -> Period:
    """Exactly one of ``month``, ``quarter``, ``year`` → its period (a bad one: exit 2)."""
    given = [v for v in (month, quarter, year) if v is not None]
    if len(given) != 1:
        raise BadArguments("请给出 --month、--quarter 或 --year 中的一个",
                           "give exactly one of --month, --quarter or --year")
    if quarter is not None:
        return period_argument(quarter, "quarter")
    if year is not None:
        return period_argument(year if isinstance(year, Period) else str(year), "year")
    first = parse_month(month)  # type: ignore[arg-type]
    return Period.month(first.year, first.month)


# Salesperson templates (issue 7, item 4), appended here.
#: What a template needs from the master: the cards, who the salespeople are, the company name.
TEMPLATE_SHEETS = ("客户档案", "业务员", "参数", "价目表")

from datetime import datetime, time  # noqa: E402


def _template_book(path: str | Path, as_of: date | None, progress: Progress | None) -> tuple[Book, datetime]:
    """The master read for templates, and the issue time: the as-of date at 00:00 (so the same
    issue gives the same file), else now to the second."""
    book = read_book(path, sheets=(*TEMPLATE_SHEETS, "合同"), progress=progress)
    contracts = book.table("合同")
    if contracts is not None and len(contracts):  # v1.1: 我的合同 needs the lines that execute them
        sales = read_book(path, sheets=("销售",)).table("销售")
        if sales is not None:
            book.tables["销售"] = sales
    if book.table("客户档案") is None:
        raise BadArguments(f"「{Path(path).name}」中没有「客户档案」工作表，无法生成业务员模板",
                           f"'{Path(path).name}' has no 客户档案 sheet; no template can be made")
    issued = datetime.combine(as_of, time()) if as_of is not None else datetime.now().replace(microsecond=0)
    return book, issued


def salesperson_template(
    path: str | Path,
    *,
    salesperson: str,
    out: str | Path,
    as_of: date | None = None,
    progress: Progress | None = None,
    force: bool = False,
) -> Path:
    """Write ``salesperson``'s template of the master workbook at ``path`` to ``out`` (``.xlsx``):
    only their own customers, to update and return (see :mod:`salesxl.io.templates`).

    ``as_of`` is the issue date (default now).  Raises :class:`~salesxl.errors.BadArguments` for
    an unknown salesperson (listing the known ones), an ``out`` that is not ``.xlsx`` or is the
    master itself, or an existing file without ``force`` (with it, the file is backed up first),
    or a master without 客户档案.  A folder as ``out`` gets ``<业务员>.xlsx`` inside it.
    """
    from salesxl.io.templates import template_file_name, write_salesperson_template

    target = files.new_file_target(out, book=Path(path), default_name=template_file_name(str(salesperson).strip()),
                                   force=force)
    book, issued = _template_book(path, as_of, progress)
    files.replace_existing(target, force=True)
    return write_salesperson_template(book, salesperson, target, issued_at=issued, master_name=Path(path).name)


def salesperson_templates(
    path: str | Path,
    *,
    out_dir: str | Path,
    as_of: date | None = None,
    progress: Progress | None = None,
    force: bool = False,
) -> list[Path]:
    """One template per salesperson of the master at ``path`` (those on 业务员, then any other
    业务员 of a card), as ``out_dir/<业务员>.xlsx``; returns the files written.  A template
    already there is refused (before any is written) unless ``force`` (then backed up first)."""
    from salesxl.io.templates import write_salesperson_templates

    book, issued = _template_book(path, as_of, progress)
    return write_salesperson_templates(book, Path(out_dir), issued_at=issued, master_name=Path(path).name,
                                       force=force)


# The collections forecast (issue 19, item 5), appended here.
from salesxl.core.forecast import FORECAST_REQUIRES, FORECAST_SHEETS, CollectionsForecast  # noqa: E402
from salesxl.core.forecast import forecast as forecast_book  # noqa: E402


def forecast(
    path: str | Path,
    *,
    as_of: date | None = None,
    out: str | Path | None = None,
    progress: Progress | None = None,
    force: bool = False,
) -> CollectionsForecast:
    """回款预测 of the workbook at ``path`` as of ``as_of`` (default today): each customer's
    payment behaviour from the ledger's allocations and the collections expected in each of the
    next 8 ISO weeks and 3 months, with the customers making up each (see
    :mod:`salesxl.core.forecast` for the method).

    With ``out`` the forecast workbook (回款预测, 付款习惯) is also written there (a folder gets
    ``回款预测-YYYY-MM-DD.xlsx`` inside it; the book itself is never written to; an existing file is
    replaced only with ``force``, after a backup); ``result.written`` is its path.
    :func:`salesxl.io.forecast_documents.forecast_document` gives the ``--json`` document.
    ``result.findings``: the reader's findings, for the CLI's exit status.
    """
    as_of = as_of or date.today()
    target = None
    if out is not None:
        target = files.new_file_target(out, book=Path(path), default_name=f"回款预测-{as_of.isoformat()}.xlsx",
                                       force=force, what=("回款预测", "forecast"))
    book = read_book(path, sheets=FORECAST_SHEETS, require=FORECAST_REQUIRES, progress=progress)
    result = forecast_book(book, as_of=as_of)
    result.findings = order_findings(list(book.findings), book)
    if target is not None:
        from salesxl.io.forecast_report import write_forecast

        files.replace_existing(target, force=True)
        result.written = write_forecast(result, target)
    return result


# The customer report (issue 19, item 4), appended here.
from salesxl.core.customer_report import REPORT_SHEETS, DossierBuilder, ReportFiles  # noqa: E402


def _dossiers(path: str | Path, as_of: date | None, progress: Progress | None) -> DossierBuilder:
    book = read_book(path, sheets=REPORT_SHEETS, require=("客户档案",), progress=progress)
    return DossierBuilder(book, as_of=as_of or date.today())


def customer_report(
    path: str | Path,
    *,
    customer_id: str,
    out: str | Path | None = None,
    as_of: date | None = None,
    progress: Progress | None = None,
    force: bool = False,
) -> ReportFiles:
    """客户业务报告 of one customer of the workbook at ``path`` as of ``as_of`` (default today):
    a printable one-to-two-page workbook (see :mod:`salesxl.io.customer_report`) at ``out``
    (default ``客户报告_<客户编号>.xlsx`` beside the book; a folder gets that name inside it).
    Returns the one file written (a list, with the reader's ``findings``).  Raises
    :class:`~salesxl.errors.BadArguments` for an unknown customer, a non-.xlsx ``out``, or an
    existing file without ``force`` (with it, the file is backed up first)."""
    from salesxl.io.customer_report import report_file_name, write_customer_report

    name = report_file_name(str(customer_id))
    target = files.new_file_target(out if out is not None else Path(path).parent / name, book=Path(path),
                                   default_name=name, force=force, what=("客户报告", "report"))
    builder = _dossiers(path, as_of, progress)
    try:
        dossier = builder.dossier(str(customer_id))
    except KeyError:
        raise BadArguments(f"找不到客户 {customer_id}", f"no such customer: {customer_id}") from None
    files.replace_existing(target, force=True)
    return ReportFiles([write_customer_report(dossier, target)], builder.book.findings)


def customer_reports(
    path: str | Path,
    *,
    out_dir: str | Path,
    as_of: date | None = None,
    progress: Progress | None = None,
    force: bool = False,
) -> ReportFiles:
    """One 客户业务报告 per customer of 客户档案 (sheet order) as ``out_dir/客户报告_<ID>.xlsx``;
    ``progress(stage, done, total)`` after each.  A report already in ``out_dir`` is refused
    before any is written, unless ``force`` (then each is backed up and replaced:
    :func:`salesxl.io.files.replace_all`).  Returns the files (with the reader's ``findings``)."""
    from salesxl.io.customer_report import report_file_name, write_customer_report

    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise BadArguments(f"{out_dir} 是文件，不是文件夹", f"{out_dir} is a file, not a folder")
    builder = _dossiers(path, as_of, progress)
    ids = builder.customer_ids()
    files.replace_all([out_dir / report_file_name(cid) for cid in ids], force=force)
    written = ReportFiles(findings=builder.book.findings)
    for i, cid in enumerate(ids):
        written.append(write_customer_report(builder.dossier(cid), out_dir / report_file_name(cid)))
        if progress is not None:
            progress("写入", i + 1, len(ids))
    return written


# Price-level control (issue 16, spec v1.1 §3 "Prices"), appended here.
#: What the price analysis reads: the cards (levels, names, salespeople), the lines, the list.
PRICES_SHEETS = ("客户档案", "销售", "价目表", "参数")
PRICES_REQUIRES = ("销售", "价目表")

from salesxl.core import prices as prices_core  # noqa: E402


def parse_period(date_from: date | str, date_to: date | str) -> tuple[date, date]:
    """``--from``/``--to`` → dates; a bad date or ``--from`` after ``--to`` is a bad argument."""
    days = []
    for name, value in (("--from", date_from), ("--to", date_to)):
        if isinstance(value, date):
            days.append(value)
            continue
        try:
            days.append(date.fromisoformat(str(value).strip()))
        except ValueError:
            raise BadArguments(f"{name} 的日期「{value}」无效，应为 YYYY-MM-DD，如 2026-01-01",
                               f"{name} '{value}' is not a date; use YYYY-MM-DD, e.g. 2026-01-01") from None
    if days[0] > days[1]:
        raise BadArguments(f"--from {days[0]} 晚于 --to {days[1]}", f"--from {days[0]} is after --to {days[1]}")
    return days[0], days[1]


def prices(
    path: str | Path,
    *,
    date_from: date | str,
    date_to: date | str,
    out: str | Path | None = None,
    progress: Progress | None = None,
    force: bool = False,
) -> prices_core.PriceAnalysis:
    """价格分析 of the workbook at ``path`` over [``date_from``, ``date_to``] (spec v1.1 §3
    "Prices", §5 ``prices``): every positive sales line of the period with its price row and
    check, and per 产品 × 客户等级 (levels as of ``date_to``), per 产品 × quarter and per
    salesperson qty, revenue, average price, list revenue, discount, cost and margin.

    :func:`salesxl.io.json_documents.prices_document` (``write_prices_json``) gives the §5
    document.  With ``out`` the 价格分析 workbook is written there (a folder gets
    ``价格分析-D1-D2.xlsx``; an existing file is replaced only with ``force``, after a backup);
    ``result.written`` is its path.  ``result.findings`` are the reader's findings.  Raises
    :class:`~salesxl.errors.BadArguments` for bad dates or ``--from`` after ``--to``.
    """
    first, last = parse_period(date_from, date_to)
    target = None
    if out is not None:
        from salesxl.io.price_report import report_name as price_report_name

        target = files.new_file_target(out, book=Path(path), default_name=price_report_name(first, last),
                                       force=force, what=("价格分析", "analysis"))
    book = read_book(path, sheets=PRICES_SHEETS, require=PRICES_REQUIRES, progress=progress)
    result = prices_core.analyse(book, first, last)
    result.findings = order_findings(list(book.findings), book)
    if target is not None:
        from salesxl.io.price_report import write_price_report

        files.replace_existing(target, force=True)
        result.written = write_price_report(result, target)
    return result
# 档案完整度 (issue 19), appended here.
from salesxl.core.cards import CardsResult, card_completeness  # noqa: E402

#: What card completeness reads: the cards, the sales that give each customer its status, 参数.
CARDS_SHEETS = ("客户档案", "销售", "参数")
CARDS_REQUIRES = ("客户档案",)


def cards(path: str | Path, *, as_of: date | None = None, progress: Progress | None = None) -> CardsResult:
    """档案完整度 of the workbook at ``path`` as of ``as_of`` (default today): each card's
    completeness over the four content groups, its blank columns per group, its status and
    whether it is stale (spec v1.1 §2, §5 ``cards``; rules in :mod:`salesxl.core.cards`).

    ``result.to_json()`` is the spec §5 document; ``result.findings`` the reader's findings
    (unreadable cells, missing sheets or columns), for the CLI's exit status.
    """
    as_of = as_of or date.today()
    book = read_book(path, sheets=CARDS_SHEETS, require=CARDS_REQUIRES, progress=progress)
    result = card_completeness(book, as_of=as_of)
    result.findings = order_findings(list(book.findings), book)
    return result


def cards_to_book(
    path: str | Path,
    *,
    as_of: date | None = None,
    out: str | Path | None = None,
    in_place: bool = False,
    progress: Progress | None = None,
    force: bool = False,
) -> tuple[CardsResult, WriteResult]:
    """Run :func:`cards` and write the 档案完整度 sheet (:mod:`salesxl.io.cards`) into the
    workbook: a copy at ``out`` or, with ``in_place``, the file itself (after a timestamped
    backup); a re-run replaces the sheet.  ``out`` and ``force`` as for :func:`validate`.
    Returns ``(result, WriteResult)``."""
    from salesxl.io.cards import cards_sheet

    with files.write_lock(path, out, in_place):
        result = cards(path, as_of=as_of, progress=progress)
        written = write_result_sheets(Path(path), [cards_sheet(result, result.settings.company_name or None)],
                                      out=out, in_place=in_place, copy_tag="档案完整度", force=force)
    return result, written


# The customer's own form (issue 19), appended here.
def customer_form(
    path: str | Path,
    *,
    customer: str,
    out: str | Path,
    as_of: date | None = None,
    progress: Progress | None = None,
    force: bool = False,
) -> Path:
    """Write the 客户信息表 of ``customer`` (a 客户编号 of the master at ``path``) to ``out``: a
    macro-free, protected form pre-filled with that customer's own basic data only, to fill in
    and return (:mod:`salesxl.io.customer_form`; what it asks and never shows:
    :mod:`salesxl.core.customer_form`).  ``as_of`` is the issue date (default now).  A folder
    as ``out`` gets ``客户信息表-<编号>-<名称>.xlsx`` inside it; an existing file is replaced
    only with ``force`` (after a backup).  Raises :class:`~salesxl.errors.BadArguments` for an
    unknown customer or a bad ``out``."""
    from salesxl.io.customer_form import customer_form_name, form_customers, write_customer_form

    book, issued = _template_book(path, as_of, progress)
    cid = str(customer).strip()
    cards = form_customers(book)
    names = cards.loc[cards["客户编号"] == cid, "客户名称"].dropna().tolist()
    target = files.new_file_target(out, book=Path(path), default_name=customer_form_name(cid, names[0] if names else None),
                                   force=force)
    files.replace_existing(target, force=True)
    return write_customer_form(book, str(customer), target, issued_at=issued, master_name=Path(path).name)


def customer_forms(
    path: str | Path,
    *,
    out_dir: str | Path,
    as_of: date | None = None,
    progress: Progress | None = None,
    force: bool = False,
) -> list[Path]:
    """One 客户信息表 per customer of the master at ``path`` into ``out_dir`` (see
    :func:`customer_form`); returns the files written.  A form already there is refused (before
    any is written) unless ``force`` (then backed up first)."""
    from salesxl.io.customer_form import write_customer_forms

    book, issued = _template_book(path, as_of, progress)
    return write_customer_forms(book, Path(out_dir), issued_at=issued, master_name=Path(path).name, force=force)
