"""The office workbook's buttons: 校验, 分类, 冲销, 月报, 对账单, 价格检查, 库存核对, and the v1.1
paperwork 合同执行, 周报, 档案完整度, 回款预测.

Each button's VBA Sub calls one entry point without arguments, e.g.::

    RunPython "import salesxl.excel.buttons as b; b.validate()"

and the entry point wraps ``xlwings.Book.caller()`` in an
:class:`~salesxl.excel.xlwings_gateway.XlwingsGateway` and runs the button's logic.  The logic
(``run_validate``, ``run_classify``, ``run_offset``, ``run_summary``, ``run_statements``) is
written against :class:`~salesxl.excel.gateway.WorkbookGateway` only, so the tests run every
button end to end on real files through :class:`~salesxl.excel.gateway.FileGateway`, and the
xlwings side stays a translation.  Each does what the matching command does (``salesxl
validate``, ``classify``, ``offset``, ``summary``, ``statement``) with the same core functions.

Parameters come from named cells on 控制台: ``salesxl_as_of`` (blank → today) and
``salesxl_month`` (blank → last month).  Validation marks, classification columns and ledger
sheets go into the open workbook (Excel saves it); the monthly report and the statements are
new files written next to the workbook, never into it (so are the 合同执行, 周报 and
回款预测 workbooks; 档案完整度 is a sheet of the workbook, like 库存结存).  There is no 审核
button (``salesxl review`` stays a command: why, above :func:`weekly_key`).  Whatever goes
wrong ends as one Chinese sentence in the ``salesxl_status`` cell and a message box — never a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from salesxl.api import (
    CARDS_SHEETS,
    CLASSIFY_REQUIRES,
    CLASSIFY_SHEETS,
    OFFSET_REQUIRES,
    OFFSET_SHEETS,
    PRICES_REQUIRES,
    PRICES_SHEETS,
    VALIDATE_REQUIRES,
    ValidationReport,
    order_findings,
)
from salesxl.core import ledger
from salesxl.core import prices as prices_core
from salesxl.core.classification import Classification
from salesxl.core.classification import classify as classify_book
from salesxl.core.findings import Finding
from salesxl.core.money import fen_to_decimal
from salesxl.core.summary import (
    SUMMARY_REQUIRES,
    SUMMARY_SHEETS,
    MonthlySummary,
    monthly_summary,
    report_name,
)
from salesxl.core.validation import validate_book
from salesxl.errors import BadArguments, SalesxlError
from salesxl.excel.gateway import (
    AS_OF_NAME,
    MONTH_NAME,
    STATUS_NAME,
    WorkbookGateway,
    parameter_date,
    parameter_month,
)
from salesxl.io.classification import customer_patch, policy_sheet, routes_sheet, suggestions_sheet
from salesxl.io.results import LEDGER_SHEETS, ledger_sheets

__all__ = [
    "AS_OF_NAME",
    "MONTH_NAME",
    "STATUS_NAME",
    "classify",
    "offset",
    "prices",
    "run_classify",
    "run_offset",
    "run_prices",
    "run_statements",
    "run_summary",
    "run_validate",
    "statements",
    "summary",
    "validate",
    "run_stock",
    "stock",
    "cards",
    "contracts",
    "forecast",
    "run_cards",
    "run_contracts",
    "run_forecast",
    "run_weekly",
    "weekly",
    "weekly_key",
]

log = logging.getLogger(__name__)



# ---------------------------------------------------------------------------------------------
# Parameters


def as_of_date(gateway: WorkbookGateway, as_of: date | None = None) -> date:
    """The as-of date: ``as_of`` if given, else the 控制台 cell, else today."""
    if as_of is not None:
        return as_of
    return parameter_date(gateway.read_name(AS_OF_NAME), name=AS_OF_NAME) or date.today()


def report_month(gateway: WorkbookGateway, month: date | str | None = None) -> date:
    """First day of the report month: ``month`` if given, else the 控制台 cell, else last month
    (a monthly report is made after the month has ended)."""
    if month is not None:
        found = parameter_month(month)
        if found is None:
            raise BadArguments("月份不能为空", "The month is blank")
        return found
    found = parameter_month(gateway.read_name(MONTH_NAME), name=MONTH_NAME)
    if found is not None:
        return found
    today = date.today()
    return date(today.year - 1, 12, 1) if today.month == 1 else date(today.year, today.month - 1, 1)


def _unread(findings: list[Finding]) -> str:
    """A note saying what the cells the reader could not read did to the figures."""
    note = ledger.reading_note(findings, see=("请先点「校验」逐条查看", "click Validate to see each"))
    return f"；{note}" if note else ""


def _yuan(fen: int) -> str:
    return f"{fen_to_decimal(int(fen)):,.2f} 元"


# ---------------------------------------------------------------------------------------------
# The buttons' logic, against a gateway


def run_validate(gateway: WorkbookGateway, as_of: date | None = None) -> ValidationReport:
    """校验: every finding of the workbook (spec §2, §4) marked in it, listed on 校验结果."""
    day = as_of_date(gateway, as_of)
    book = gateway.read_book(require=VALIDATE_REQUIRES)
    findings = order_findings(book.findings + validate_book(book, as_of=day), book)
    report = ValidationReport(gateway.label, day, findings)
    marked = gateway.write_marks(findings, as_of=day)
    if findings:
        gateway.report(f"校验完成（截至 {day}）：错误 {report.errors} 处，警告 {report.warnings} 处，"
                       f"已标记 {marked} 个单元格，详见「校验结果」工作表")
    else:
        gateway.report(f"校验完成（截至 {day}）：没有发现问题")
    return report


def run_classify(gateway: WorkbookGateway, as_of: date | None = None) -> Classification:
    """分类: level, status, credit grade, zone and route of every customer, written into the
    out columns of 客户档案 and the 路线 / 信用建议 sheets (信用政策 only when missing)."""
    day = as_of_date(gateway, as_of)
    book = gateway.read_book(sheets=CLASSIFY_SHEETS, require=CLASSIFY_REQUIRES)
    table = book.table("客户档案")
    if table is None or table.header_row is None:
        raise BadArguments(
            "工作簿中没有可识别表头的「客户档案」工作表，无法分类",
            "The workbook has no 客户档案 sheet with a recognisable header; nothing to classify",
        )
    result = classify_book(book, as_of=day, plan_routes=True)
    result.findings = order_findings(list(book.findings), book)
    gateway.write_sheets(
        [routes_sheet(result), suggestions_sheet(result)],
        patch=customer_patch(result, table),
        add_if_missing=[policy_sheet()],
    )
    levels = result.customers["level"].value_counts()
    gateway.report(
        f"分类完成（截至 {day}）：{len(result.customers)} 个客户，A 类 {int(levels.get('A', 0))}、"
        f"B 类 {int(levels.get('B', 0))}、C 类 {int(levels.get('C', 0))}；已写入「客户档案」的等级、状态、"
        f"信用等级、片区、路线列及「路线」「信用建议」工作表" + _unread(result.findings)
    )
    return result


def run_offset(gateway: WorkbookGateway, as_of: date | None = None) -> ledger.LedgerResult:
    """冲销: the ledger (预收冲应收) written as 往来余额, 账龄明细, 核销明细, 发货放行."""
    day = as_of_date(gateway, as_of)
    book = gateway.read_book(sheets=(*OFFSET_SHEETS, "库存"), require=OFFSET_REQUIRES)  # 库存: quality hold
    result = ledger.offset(book, as_of=day)
    result.findings = order_findings(list(book.findings), book)
    gateway.write_sheets(ledger_sheets(result))
    c = result.customers
    gateway.report(
        f"冲销完成（截至 {day}）：{len(c)} 个客户，应收合计 {_yuan(c['receivable'].sum())}，"
        f"预收合计 {_yuan(c['prepaid'].sum())}；结果见「{'」「'.join(LEDGER_SHEETS)}」" + _unread(result.findings)
    )
    return result


def run_summary(gateway: WorkbookGateway, month: date | str | None = None,
                out_dir: Path | None = None) -> MonthlySummary:
    """月报: the monthly summary as a new workbook ``月报-YYYY-MM.xlsx`` next to the workbook
    (or in ``out_dir``); the workbook itself is not written to."""
    from salesxl.io.report import write_report  # XlsxWriter only when a report is written

    first = report_month(gateway, month)
    book = gateway.read_book(sheets=SUMMARY_SHEETS, require=SUMMARY_REQUIRES)
    result = monthly_summary(book, first)
    if book.table("价目表") is not None:  # v1.1: the month's 价格分析 sheet
        result.prices = prices_core.analyse(book, result.month, result.as_of)
    result.findings = order_findings(list(book.findings), book)
    from salesxl.core.forecast import forecast as forecast_of  # the report's 回款预测 sheet

    result.forecast = forecast_of(book, as_of=result.as_of)
    result.stock_review = _stock_review(gateway, book, first, result.as_of)
    target = Path(out_dir or gateway.output_folder()) / report_name(first)
    result.written = write_report(result, target)
    gateway.report(f"{first:%Y年%m月}月报已保存：{result.written}（销售 {_yuan(result.sales)}）"
                   + _unread(result.findings))
    return result


def run_statements(gateway: WorkbookGateway, as_of: date | None = None,
                   out_dir: Path | None = None) -> list[Path]:
    """对账单: one printable statement (and dunning letter where due) per customer, as new
    workbooks in a folder ``对账单-YYYY-MM-DD`` next to the workbook (or in ``out_dir``)."""
    from salesxl.io.statements import write_statements

    day = as_of_date(gateway, as_of)
    book = gateway.read_book(sheets=OFFSET_SHEETS, require=OFFSET_REQUIRES)
    result = ledger.offset(book, as_of=day)
    folder = Path(out_dir) if out_dir is not None else gateway.output_folder() / f"对账单-{day:%Y-%m-%d}"
    paths = write_statements(result, folder, book=book)
    gateway.report(f"对账单已生成（截至 {day}）：{len(paths)} 份，保存在 {folder}" + _unread(list(book.findings)))
    return paths


def _stock_review(gateway: WorkbookGateway, book: Any, first: date, as_of: date) -> Any:
    """The 月报's 库存核对 (issue 17) when the workbook keeps stock cards."""
    from salesxl.commands import STOCK_REVIEW_SHEETS
    from salesxl.core.stock_review import stock_review

    extra = gateway.read_book(sheets=STOCK_REVIEW_SHEETS)
    if extra.table("库存") is None:
        return None
    book.tables.update(extra.tables)
    return stock_review(book, first, as_of)


def run_stock(gateway: WorkbookGateway, as_of: date | None = None) -> Any:
    """库存核对: balances per warehouse × product × spec × batch with quality, and the count
    variances, written as 库存结存 and 盘点差异 (as ``salesxl stock --in-place``)."""
    from salesxl.core.stock import stock as stock_of
    from salesxl.core.stock import stock_checks
    from salesxl.io.stock_sheets import STOCK_SHEETS, stock_sheets

    day = as_of_date(gateway, as_of)
    book = gateway.read_book(sheets=("库存", "盘点", "价目表", "参数"), require=("库存",))
    result = stock_of(book, as_of=day)
    result.company = book.settings.company_name or ""
    found = list(book.findings) + [f for items in stock_checks(book.tables).values() for f in items]
    result.findings = order_findings(found, book)
    gateway.write_sheets(stock_sheets(result, book))
    b = result.balances
    held = int((b["quality"].notna() & (b["quality"] != "合格")).sum())
    errors = sum(1 for f in result.findings if f.severity.value == "error")
    gateway.report(
        f"库存核对完成（截至 {day}）：货卡 {len(b)} 张，质量未放行 {held} 张，盘点差异 {len(result.variances)} 行，"
        f"货卡问题 {errors} 处；结果见「{'」「'.join(STOCK_SHEETS)}」" + _unread(list(book.findings))
    )
    return result


def run_prices(gateway: WorkbookGateway, month: date | str | None = None,
               out_dir: Path | None = None) -> prices_core.PriceAnalysis:
    """价格检查: every sale of the month checked against 价目表 (spec v1.1 §3 Prices), and the
    价格分析 workbook ``价格分析-D1-D2.xlsx`` next to the workbook (or in ``out_dir``)."""
    from salesxl.io.price_report import report_name as price_report_name
    from salesxl.io.price_report import write_price_report

    first = report_month(gateway, month)
    last = (pd.Timestamp(first) + pd.offsets.MonthEnd(0)).date()
    book = gateway.read_book(sheets=PRICES_SHEETS, require=PRICES_REQUIRES)
    if book.table("价目表") is None:
        raise BadArguments("工作簿中没有「价目表」工作表，无法检查价格", "The workbook has no 价目表 (Price List) sheet")
    result = prices_core.analyse(book, first, last)
    result.findings = order_findings(list(book.findings), book)
    result.written = write_price_report(result, Path(out_dir or gateway.output_folder()) / price_report_name(first, last))
    checks = result.lines["check"].value_counts() if len(result.lines) else {}
    gateway.report(
        f"{first:%Y年%m月}价格检查：{len(result.lines)} 笔销售，低于最低价 {int(checks.get('below-floor', 0))} 笔、"
        f"偏离标准价 {int(checks.get('price-deviation', 0))} 笔、无价格 {int(checks.get('no-price', 0))} 笔；"
        f"价格分析已保存：{result.written}" + _unread(result.findings))
    return result


# ---------------------------------------------------------------------------------------------
# v1.1 paperwork: 合同执行, 周报, 档案完整度, 回款预测
#
# Each runs the core function and the writer that ``salesxl contracts``/``weekly``/``cards``/
# ``forecast`` run (salesxl.plan_commands, salesxl.commands), reading the book through the gateway
# (in Excel: the open book, unsaved edits included) instead of a path.
#
# No 审核 (``salesxl review``) button: review must apply the approved 待审核 rows to 客户档案,
# append 变更记录 rows and mark 待审核 all at once or not at all (batch lock, backup, a check
# that the file did not change, one atomic replace: salesxl.batch.review).  The gateway can
# replace result sheets and write out columns but neither append rows to a user sheet nor
# write three sheets as one step in live Excel, and the file-level guarantees refuse a book
# open in Excel by design.  Review stays a command, run on the saved, closed master.


def weekly_key(gateway: WorkbookGateway, week: str | None = None) -> str:
    """The ISO week of the 周报: ``week`` if given (``2026-W44``); else the week holding the
    控制台's 截止日期; with that cell blank, last week (Monday to Sunday before this week) — a
    weekly report is made after its week, as 月报's blank month is last month."""
    from salesxl.core.weekly import parse_week

    if week is not None:
        return parse_week(week)[0]
    day = parameter_date(gateway.read_name(AS_OF_NAME), name=AS_OF_NAME)
    if day is None:
        day = date.today() - timedelta(days=7)
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


def run_contracts(gateway: WorkbookGateway, as_of: date | None = None,
                  out_dir: Path | None = None) -> Any:
    """合同执行: every contract's executed amount, remaining, rate, status and flag as of the
    截止日期 (spec v1.1 §3 "Contracts"), as the workbook ``合同执行-YYYY-MM-DD.xlsx`` next to the
    workbook (or in ``out_dir``), as ``salesxl contracts``; the workbook is not written to."""
    from salesxl.core.contracts import CONTRACT_SHEETS, contract_report
    from salesxl.io.contract_report import contract_report_name, write_contract_report
    from salesxl.plan_commands import CONTRACT_REQUIRES

    day = as_of_date(gateway, as_of)
    book = gateway.read_book(sheets=CONTRACT_SHEETS, require=CONTRACT_REQUIRES)
    if book.table("合同") is None:
        raise BadArguments("工作簿中没有「合同」工作表，无法统计合同执行", "The workbook has no 合同 (Contracts) sheet")
    result = contract_report(book, day)
    result.findings = order_findings(list(book.findings), book)
    target = Path(out_dir or gateway.output_folder()) / contract_report_name(day)
    result.written = write_contract_report(result, target, company=book.settings.company_name or "")
    n = result.counts()
    gateway.report(
        f"合同执行（截至 {day}）：合同 {n['contracts']} 份，即将到期 {n['expiring']} 份，已逾期 {n['overdue']} 份，"
        f"超合同执行 {n['over']} 份；合同执行表已保存：{result.written}" + _unread(result.findings))
    return result


def run_weekly(gateway: WorkbookGateway, week: str | None = None, out_dir: Path | None = None) -> Any:
    """周报: per salesperson the week's visits, prospects, contracts, sales, collections and
    target progress, and next week's next steps, as the workbook ``周报-YYYY-Www.xlsx`` next to
    the workbook (or in ``out_dir``), as ``salesxl weekly``; the week is :func:`weekly_key`'s."""
    from salesxl.core.weekly import WEEKLY_SHEETS, weekly_report
    from salesxl.io.weekly_report import weekly_report_name, write_weekly_report

    key = weekly_key(gateway, week)
    book = gateway.read_book(sheets=WEEKLY_SHEETS, require=("拜访",))
    if book.table("拜访") is None:
        raise BadArguments("工作簿中没有「拜访」工作表，无法生成周报", "The workbook has no 拜访 (Visits) sheet")
    result = weekly_report(book, key)
    result.findings = order_findings(list(book.findings), book)
    result.written = write_weekly_report(result, Path(out_dir or gateway.output_folder()) / weekly_report_name(key))
    t = result.team()
    gateway.report(
        f"{key} 周报（{result.monday} 至 {result.sunday}）：业务员 {len(result.people)} 人，拜访 {t['visits']} 次，"
        f"销售 {_yuan(t['sales'])}，回款 {_yuan(t['collections'])}，签订合同 {t['contracts_signed']} 份；"
        f"周报已保存：{result.written}" + _unread(result.findings))
    return result


def run_cards(gateway: WorkbookGateway, as_of: date | None = None) -> Any:
    """档案完整度: each 客户档案 card's completeness, blank columns, status and staleness as of the
    截止日期 (spec v1.1 §2), written as the 档案完整度 sheet of the workbook (as ``salesxl cards
    --in-place``; a re-run replaces it)."""
    from salesxl.commands import CARDS_REQUIRES
    from salesxl.core.cards import card_completeness
    from salesxl.io.cards import cards_sheet

    day = as_of_date(gateway, as_of)
    book = gateway.read_book(sheets=CARDS_SHEETS, require=CARDS_REQUIRES)
    table = book.table("客户档案")
    if table is None or table.header_row is None:
        raise BadArguments("工作簿中没有可识别表头的「客户档案」工作表，无法检查档案完整度",
                           "The workbook has no 客户档案 sheet with a recognisable header")
    result = card_completeness(book, as_of=day)
    result.findings = order_findings(list(book.findings), book)
    written = gateway.write_sheets([cards_sheet(result, result.settings.company_name or None)])
    c = result.cards
    gateway.report(
        f"档案完整度（截至 {day}）：客户档案卡 {len(c)} 张，平均完整度 "
        f"{(float(c['completeness'].mean()) if len(c) else 0.0):.0%}，低于目标 {float(result.target):.0%} 的"
        f"现有与新客户 {int(c['incomplete'].sum())} 张，{result.stale_days} 天未更新的 {int(c['stale'].sum())} 张；"
        f"结果见「{'」「'.join(written)}」" + _unread(result.findings))
    return result


def run_forecast(gateway: WorkbookGateway, as_of: date | None = None, out_dir: Path | None = None) -> Any:
    """回款预测: the collections expected in each of the next 8 weeks and 3 months after the
    截止日期, from each customer's payment habit, as the workbook ``回款预测-YYYY-MM-DD.xlsx``
    next to the workbook (or in ``out_dir``), as ``salesxl forecast --out``."""
    from salesxl.core.forecast import FORECAST_REQUIRES, FORECAST_SHEETS, summary_line
    from salesxl.core.forecast import forecast as forecast_of
    from salesxl.io.forecast_report import forecast_file_name, write_forecast

    day = as_of_date(gateway, as_of)
    book = gateway.read_book(sheets=FORECAST_SHEETS, require=FORECAST_REQUIRES)
    result = forecast_of(book, as_of=day)
    result.findings = order_findings(list(book.findings), book)
    result.written = write_forecast(result, Path(out_dir or gateway.output_folder()) / forecast_file_name(result))
    s = summary_line(result)
    gateway.report(
        f"回款预测（截至 {day}）：应收余额 {_yuan(s['open'])}，未来 8 周预计回款 {_yuan(s['weeks'])}，"
        f"未来 3 个月预计回款 {_yuan(s['months'])}，存疑 {_yuan(s['doubtful'])}；回款预测已保存：{result.written}"
        + _unread(result.findings))
    return result


# ---------------------------------------------------------------------------------------------
# Entry points for RunPython


def _run(action: Callable[[WorkbookGateway], Any]) -> None:
    """Run ``action`` on the calling workbook; report any failure in the workbook, never raise.

    A traceback in xlwings' error popup means nothing to a sales administrator, so every
    failure becomes one sentence: our own errors carry it, a file Excel holds open (the last
    月报 still open, say) is named, anything else is an internal error with its type.
    """
    import xlwings as xw

    from salesxl.excel.xlwings_gateway import XlwingsGateway

    gateway = XlwingsGateway(xw.Book.caller())
    try:
        action(gateway)
    except SalesxlError as exc:
        gateway.report(exc.message("zh"), error=True)
    except PermissionError as exc:
        gateway.report(f"无法写入文件 {exc.filename}：它可能正在 Excel 中打开，请关闭后再试", error=True)
    except Exception as exc:  # noqa: BLE001 - shown to the user, logged for the developer
        log.exception("salesxl button failed")
        gateway.report(f"内部错误（{type(exc).__name__}）：{exc}", error=True)


def validate() -> None:
    """校验 button."""
    _run(run_validate)


def classify() -> None:
    """分类 button."""
    _run(run_classify)


def offset() -> None:
    """冲销 button."""
    _run(run_offset)


def summary() -> None:
    """月报 button."""
    _run(run_summary)


def statements() -> None:
    """对账单 button."""
    _run(run_statements)


def stock() -> None:
    """库存核对 button."""
    _run(run_stock)


def prices() -> None:
    """价格检查 button."""
    _run(run_prices)


def contracts() -> None:
    """合同执行 button."""
    _run(run_contracts)


def weekly() -> None:
    """周报 button."""
    _run(run_weekly)


def cards() -> None:
    """档案完整度 button."""
    _run(run_cards)


def forecast() -> None:
    """回款预测 button."""
    _run(run_forecast)
