"""The v1.1 commands of issue 18: contracts, plans over a period, the weekly report.

The same layer as :mod:`salesxl.commands` (read → core → write, returning data), kept in its
own module so the shared one only re-exports; :mod:`salesxl.api` re-exports these too.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from salesxl.commands import order_findings
from salesxl.core.contracts import CONTRACT_SHEETS, ContractReport, contract_report
from salesxl.core.weekly import WEEKLY_SHEETS, WeeklyReport, parse_week, weekly_report
from salesxl.io import files
from salesxl.io.reading import Progress, read_book

__all__ = ["contracts", "weekly"]

#: Without these the contract figures would be silently wrong.
CONTRACT_REQUIRES = ("合同",)


def contracts(
    path: str | Path,
    *,
    as_of: date | None = None,
    out: str | Path | None = None,
    progress: Progress | None = None,
    force: bool = False,
) -> ContractReport:
    """合同执行 of the workbook at ``path`` as of ``as_of`` (default today), spec §3
    "Contracts": each contract signed on or before D with its executed amount (Σ 金额 of the
    销售 lines carrying its 合同编号 up to D), remaining, execution rate, status and flag
    (``expiring`` within 参数 合同到期提醒天数, ``overdue``).  ``to_json()`` is the spec §5
    document.

    With ``out`` the contract workbook (合同执行, 合同统计 with its chart) is also written there
    (a folder gets ``合同执行-YYYY-MM-DD.xlsx``); ``result.written`` is its path.  The book is
    never written to.  ``result.findings`` are the reader's findings (a missing 合同 sheet is
    ``missing-sheet``).
    """
    from salesxl.io.contract_report import contract_report_name, write_contract_report

    as_of = as_of or date.today()
    target = None if out is None else files.new_file_target(
        out, book=Path(path), default_name=contract_report_name(as_of), force=force, what=("合同执行表", "合同执行表"))
    book = read_book(path, sheets=CONTRACT_SHEETS, require=CONTRACT_REQUIRES, progress=progress)
    result = contract_report(book, as_of)
    result.findings = order_findings(list(book.findings), book)
    if target is not None:
        files.replace_existing(target, force=True)
        result.written = write_contract_report(result, target, company=book.settings.company_name or "")
    return result


def weekly(
    path: str | Path,
    *,
    week: str,
    out: str | Path | None = None,
    progress: Progress | None = None,
    force: bool = False,
) -> WeeklyReport:
    """周报 of the workbook at ``path`` for ISO week ``week`` (``"2026-W44"``): per salesperson the
    week's visits, prospects visited, contracts signed, sales, collections, the week's share of
    the month's target and the month to date, and the next steps due in the following week
    (:mod:`salesxl.core.weekly`).  ``to_json()`` is the ``--json`` document.

    With ``out`` the 周报 workbook (团队, one sheet per salesperson) is written there (a folder
    gets ``周报-2026-W44.xlsx``).  A week the year does not have (2025-W53) raises
    :class:`~salesxl.errors.BadArguments`.
    """
    from salesxl.io.weekly_report import weekly_report_name, write_weekly_report

    key, _, _ = parse_week(week)
    target = None if out is None else files.new_file_target(
        out, book=Path(path), default_name=weekly_report_name(key), force=force, what=("周报", "周报"))
    book = read_book(path, sheets=WEEKLY_SHEETS, require=("拜访",), progress=progress)
    result = weekly_report(book, key)
    result.findings = order_findings(list(book.findings), book)
    if target is not None:
        files.replace_existing(target, force=True)
        result.written = write_weekly_report(result, target)
    return result
