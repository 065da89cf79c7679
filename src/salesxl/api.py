"""The library face of salesxl: one documented function per command, returning data.

The command line (:mod:`salesxl.cli`) is a thin shell over these functions, as in sqlite-utils:
whatever ``salesxl validate BOOK --json`` prints, ``salesxl.validate(BOOK).to_json()`` returns.

The single-workbook commands are defined in :mod:`salesxl.commands` and re-exported here;
:func:`batch` wraps :mod:`salesxl.batch`, whose monthly job calls :mod:`salesxl.commands` itself,
so the layers run one way: core → io → commands → batch → api → cli (see
``tests/test_architecture.py``).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from salesxl.batch.outcome import BatchReport
from salesxl.batch.review import ReviewReport
from salesxl.batch.workers import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT
from salesxl.commands import (
    CARDS_SHEETS,
    CLASSIFY_REQUIRES,
    CLASSIFY_SHEETS,
    OFFSET_REQUIRES,
    OFFSET_SHEETS,
    PRICES_REQUIRES,
    PRICES_SHEETS,
    TEMPLATE_SHEETS,
    VALIDATE_REQUIRES,
    CardsResult,
    SheetSummary,
    ValidationReport,
    cards,
    cards_to_book,
    classify,
    classify_to_book,
    customer_form,
    customer_forms,
    customer_report,
    customer_reports,
    describe,
    forecast,
    ledger,
    offset,
    offset_to_book,
    order_findings,
    prices,
    salesperson_template,
    salesperson_templates,
    statements,
    summary,
    validate,
)
from salesxl.commands_stock import (
    STOCK_REQUIRES,
    STOCK_SHEETS_READ,
    count_sheet,
    stock,
    stock_to_book,
)
from salesxl.core.summary import (
    SUMMARY_REQUIRES,
    SUMMARY_SHEETS,
    MonthlySummary,
    parse_month,
    report_name,
)
from salesxl.io.reading import Progress
from salesxl.plan_commands import contracts, weekly  # v1.1: issue 18

__all__ = [
    "CLASSIFY_REQUIRES", "CLASSIFY_SHEETS", "DEFAULT_MEMORY_MB", "DEFAULT_TIMEOUT", "OFFSET_REQUIRES",
    "OFFSET_SHEETS", "SUMMARY_REQUIRES", "SUMMARY_SHEETS", "TEMPLATE_SHEETS", "VALIDATE_REQUIRES",
    "BatchReport", "MonthlySummary", "SheetSummary", "ValidationReport", "batch", "classify",
    "classify_to_book", "describe", "ledger", "offset", "offset_to_book", "order_findings", "parse_month",
    "report_name", "salesperson_template",
    "PRICES_REQUIRES", "PRICES_SHEETS", "prices", "salesperson_templates", "statements", "summary", "validate",
    "report_name", "salesperson_template", "salesperson_templates", "statements", "summary", "validate",
    "STOCK_REQUIRES", "STOCK_SHEETS_READ", "count_sheet", "stock", "stock_to_book",
    "CARDS_SHEETS", "CardsResult", "cards", "cards_to_book", "customer_form", "customer_forms", "review",
    "contracts", "weekly",
    "customer_report", "customer_reports", "forecast",
]


def review(master: str | Path) -> ReviewReport:
    """Apply the customer-form answers the office approved (审核 = 同意) on ``master``'s 待审核
    sheet, never the rejected ones (驳回): each applied field with 信息来源 = 客户填写 and a
    变更记录 row, each row marked done — with the batch's write guarantees (lock, backup, one
    atomic write).  See :mod:`salesxl.batch.review`; ``report.to_json()`` is the ``--json``
    document, ``report.exit_code`` the CLI's status."""
    from salesxl.batch.review import review as run_review

    return run_review(master)


def batch(
    inbox: str | Path,
    *,
    master: str | Path,
    month: date | str,
    out: str | Path,
    workers: int | None = None,
    lang: str = "zh",
    as_of: date | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    memory_mb: int | None = DEFAULT_MEMORY_MB,
    monthly: bool = True,
    progress: Progress | None = None,
    cache: bool = False,
) -> BatchReport:
    """Fold every salesperson template returned into ``inbox`` into the ``master`` archive,
    write feedback and the batch report into ``out``, then run the monthly job for ``month``
    (validate, classify, offset, summary) on the updated master into ``out`` (see
    :mod:`salesxl.batch` for the rules and the safety guarantees).

    Files are read by ``workers`` processes (default: one per core), each limited to
    ``memory_mb`` MB of address space and ``timeout`` seconds per file; ``as_of`` dates the
    validation of the returned templates (default today); ``monthly=False`` skips the monthly
    job; ``cache=True`` keeps the master's parsed state beside it, so the next batch on the same
    master bytes does not parse it again.  ``report.to_json()`` is the ``--json`` document, ``report.exit_code`` the CLI's status.
    Raises :class:`~salesxl.errors.BadArguments` for bad arguments (or another batch running on
    the master) and :class:`~salesxl.errors.UnreadableWorkbook` for an unreadable master.
    """
    from salesxl.batch import run_batch

    return run_batch(inbox, master=master, month=month, out=out, workers=workers, lang=lang, as_of=as_of,
                     timeout=timeout, memory_mb=memory_mb, monthly=monthly, progress=progress, cache=cache)
