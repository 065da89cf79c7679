"""``salesxl`` report commands: summary (month, quarter, year), prices, cards, contracts,
weekly, forecast and ``report customer``.

Each reads a workbook and writes a new report workbook beside it (the book is left unchanged,
except ``cards --in-place``), or prints one ``--json`` document; the console printers of each
report live with their command.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from salesxl.cli_base import (
    app,
    as_of_opt,
    book_arg,
    book_writer_options,
    check_out,
    console_table,
    emit_json,
    force_opt,
    group_lang_opt,
    json_opt,
    lang_opt,
    money,
    out,
    parse_as_of,
    print_path,
    print_written,
    progress_bar,
    reading_errors,
    report_run,
    stream_json,
)
from salesxl.cli_i18n import Option
from salesxl.cli_i18n import Text as T
from salesxl.errors import BadArguments
from salesxl.lazy import lazy_module

if TYPE_CHECKING:
    from salesxl import api
else:
    # pandas, pyarrow and the readers load when a command first needs them, not for --help
    api = lazy_module("salesxl.api")


@app.command(help=T(
    "月度汇总：销售、回款、应收/预收、客户构成、业务员业绩与费用，写成带图表的月报工作簿，原工作簿不变"
    "（读取有错误时退出码为 1）。",
    "Monthly summary: sales, collections, receivables and prepayments, customer mix, salespeople and "
    "expenses, written as a report workbook with charts; the book itself is not changed "
    "(exit status 1 when reading found errors)."),
    short_help=T("月度汇总：写成带图表的月报工作簿（读取有错误时退出码为 1）。",
                 "Monthly summary: a report workbook with charts."))
@book_arg
@click.option("--month", "month", default=None, metavar="YYYY-MM", cls=Option,
              help=T("汇总月份，如 2026-10（余额截至该月最后一天）", "The month, e.g. 2026-10 (balances at its last day)"))
@click.option("--quarter", "quarter", default=None, metavar="YYYYQn", cls=Option,
              help=T("或汇总一个季度，如 2026Q4（季报）", "Or a quarter, e.g. 2026Q4 (the quarterly report)"))
@click.option("--year", "year", default=None, metavar="YYYY", cls=Option,
              help=T("或汇总一年，如 2026（年报）", "Or a year, e.g. 2026 (the annual report)"))
@click.option(
    "--out", "out_path", type=click.Path(), default=None, cls=Option, metavar=T("文件", "FILE"),
    help=T("月报工作簿路径（默认：工作簿旁的 月报-YYYY-MM.xlsx；与 --json 同用时，给出 --out 才写月报）",
           "The report workbook (default: 月报-YYYY-MM.xlsx beside the book; with --json it is written only "
           "when --out is given)"),
)
@force_opt
@json_opt
@lang_opt
def summary(book: Path, month: str | None, quarter: str | None, year: str | None, out_path: str | Path | None,
            force: bool, json_out: bool, lang: str) -> int:
    """月度汇总：销售、回款、应收/预收、客户构成、业务员业绩与费用，写成带图表的月报工作簿（读取有错误时退出码为 1）。

    Without --json the report 月报-YYYY-MM.xlsx is written beside BOOK (or at --out) and the key
    figures are printed; with --json the spec's summary document is printed and the report is
    written only when --out is given.  The workbook itself is never changed.
    """
    from salesxl.commands import summary_period
    from salesxl.core.plans import period_report_name

    if month is None and quarter is None and year is None:  # as before v1.1: --month is what is missing
        ctx = click.get_current_context()
        raise click.MissingParameter(ctx=ctx, param=next(p for p in ctx.command.params if p.name == "month"))
    period = summary_period(month, quarter, year)  # exactly one of them (v1.1: 季报, 年报)
    if out_path is None and not json_out:
        out_path = book.parent / period_report_name(period)
    zh = lang != "en"
    with progress_bar("月报" if zh else "Summary") as progress:
        result = api.summary(book, month=month, quarter=quarter, year=year, out=out_path, progress=progress,
                             force=force)
    errors = sum(1 for f in result.findings if f.severity.value == "error")
    if json_out:
        emit_json(result.to_json())
        return 1 if errors else 0
    _print_summary(result, lang)
    return reading_errors(result.findings, lang)


KPI_EN = {
    "sales": "Sales", "collections": "Collections", "receivable": "Receivable",
    "prepaid": "Prepaid", "overdue": "Overdue", "new_customers": "New customers",
    "lost_customers": "Lost customers", "reactivated_customers": "Reactivated customers",
    "buying_customers": "Buying customers", "visits": "Visits", "expenses": "Expenses",
}


def _print_summary(result: Any, lang: str) -> None:
    """The KPIs with month-on-month and year-on-year change, then where the report went."""
    from salesxl.core.summary import change

    zh = lang != "en"

    def show(kind: str, v: int) -> str:
        return money(v) if kind == "fen" else f"{v:,}"

    def pct(p: float | None) -> str:
        return "—" if p is None else f"{p:+.1%}"

    heads = (("指标", "本月", "上月", "环比", "去年同月", "同比") if zh
             else ("Figure", "This month", "Last month", "MoM", "A year ago", "YoY"))
    if getattr(result, "period", None) is not None:  # v1.1 季报 / 年报
        heads = (("指标", "本期", "上期", "环比", "去年同期", "同比") if zh
                 else ("Figure", "This period", "Previous", "Change", "A year ago", "YoY"))
    table = console_table(heads, title=(f"{result.month_text} {'汇总' if result.period else '月度汇总'}（截至 {result.as_of}）"
                                        if zh
                                        else f"Summary of {result.month_text} (as of {result.as_of})"),
                          right=heads[1:])
    for r in result.kpis.itertuples(index=False):
        cur, prev, year = int(r.current), int(r.previous), int(r.year_ago)
        label = str(r.label).replace("（月末）", "")  # balances are at month end: the title says so
        table.add_row(label if zh else KPI_EN.get(str(r.key), str(r.key)), show(r.kind, cur),
                      show(r.kind, prev), pct(change(cur, prev)), show(r.kind, year), pct(change(cur, year)))
    out.print(table)
    if result.written is not None:
        out.print(f"{'已写入报表：' if zh else 'Report written: '}{result.written}")


@app.command(help=T(
    "价格分析：每笔销售的适用价格与检查（无价格、低于最低价、偏离标准价），按产品 × 客户等级、季度、业务员的"
    "折让与毛利，写成带图表的价格分析工作簿；原工作簿不变（有低于最低价的销售或读取错误时退出码为 1）。",
    "Price analysis: each sale's price row and check (no price, below floor, off list), discount and margin "
    "per product × customer level, quarter and salesperson, written as a workbook with charts; the book is "
    "not changed (exit status 1 for sales below the floor or reading errors)."),
    short_help=T("价格分析：价格检查、折让与毛利（写成价格分析工作簿）。",
                 "Price analysis: price checks, discount and margin."))
@book_arg
@click.option("--from", "date_from", required=True, metavar="YYYY-MM-DD", cls=Option,
              help=T("期间起始日（含）", "First day of the period (inclusive)"))
@click.option("--to", "date_to", required=True, metavar="YYYY-MM-DD", cls=Option,
              help=T("期间截止日（含；客户等级按此日计）", "Last day of the period (inclusive; customer levels as of it)"))
@click.option(
    "--out", "out_path", type=click.Path(), default=None, cls=Option, metavar=T("文件", "FILE"),
    help=T("价格分析工作簿路径（默认：工作簿旁的 价格分析-起-止.xlsx；与 --json 同用时，给出 --out 才写）",
           "The analysis workbook (default: 价格分析-FROM-TO.xlsx beside the book; with --json it is written only "
           "when --out is given)"),
)
@force_opt
@json_opt
@lang_opt
def prices(book: Path, date_from: str, date_to: str, out_path: str | Path | None, force: bool, json_out: bool,
           lang: str) -> int:
    """价格分析：价格检查、折让与毛利，写成价格分析工作簿（有低于最低价的销售或读取错误时退出码为 1）。"""
    from salesxl.commands import parse_period
    from salesxl.io.price_report import report_name as price_report_name

    first, last = parse_period(date_from, date_to)
    if out_path is None and not json_out:
        out_path = book.parent / price_report_name(first, last)
    from salesxl.io.json_documents import write_prices_json

    def status(result: Any) -> int:  # sales below the floor are errors too (spec v1.1 §3 "Prices")
        return 1 if sum(1 for f in result.findings if f.severity.value == "error") + result.errors else 0

    return report_run("价格分析" if lang != "en" else "Prices",
                      lambda progress: api.prices(book, date_from=first, date_to=last, out=out_path,
                                                  progress=progress, force=force),
                      json_out=json_out, lang=lang, json_doc=lambda r: stream_json(write_prices_json, r),
                      summary=lambda r: _print_prices(r, lang), status=status)


def _print_prices(result: Any, lang: str) -> None:
    """The period's checks and totals, then where the workbook went."""
    zh = lang != "en"
    counts = result.lines["check"].value_counts() if len(result.lines) else {}
    names = (("ok", "正常", "ok"), ("no-price", "无价格", "no price"), ("below-floor", "低于最低价", "below floor"),
             ("price-deviation", "偏离标准价", "off list"))
    heads = ("检查", "销售行数") if zh else ("Check", "Lines")
    table = console_table(heads, title=(f"价格检查 {result.date_from} 至 {result.date_to}" if zh
                                        else f"Price checks {result.date_from} to {result.date_to}"), right=heads[1:])
    for key, z, e in names:
        table.add_row(z if zh else e, f"{int(counts.get(key, 0)):,}")
    out.print(table)
    t = result.total

    def rate(v: Any) -> str:
        return "—" if v is None or v != v else f"{float(v):.2%}"

    if t.get("revenue") is not None:
        out.print(("销售额 " if zh else "Revenue ") + money(t["revenue"])
                  + ("，折让率 " if zh else ", discount rate ") + rate(t.get("discount_rate"))
                  + ("，毛利率 " if zh else ", margin rate ") + rate(t.get("margin_rate")))
    print_path(result.written, lang, "已写入价格分析：", "Analysis written: ")


@app.command(help=T(
    "档案完整度：每张客户档案卡四组内容（基本信息、客户特征、业务状况、交易活动）的完整度、缺少的栏目、"
    "客户状态和是否过期未更新；用 --out 或 --in-place 时写入档案完整度工作表（读取有错误时退出码为 1）。",
    "Card completeness: each customer card's share of the four content groups filled, the blank "
    "columns, its status and whether it is stale; with --out or --in-place the sheet 档案完整度 is "
    "written (exit status 1 when reading found errors)."),
    short_help=T("档案完整度：每张客户卡的完整度、缺项和是否过期（读取有错误时退出码为 1）。",
                 "Card completeness: filled share, gaps, stale cards."))
@book_writer_options
def cards(
    book: Path, as_of: str | None, out_path: str | None, in_place: bool, force: bool, json_out: bool, lang: str
) -> int:
    """档案完整度：每张客户档案卡的完整度、缺项和是否过期（读取有错误时退出码为 1）。"""
    day = parse_as_of(as_of)
    check_out(out_path, in_place)
    from salesxl.io.json_documents import write_cards_json

    writes = out_path is not None or in_place
    written: Any = None

    def run(progress: Any) -> Any:
        nonlocal written
        if not writes:
            return api.cards(book, as_of=day, progress=progress)
        result, written = api.cards_to_book(book, as_of=day, out=out_path, in_place=in_place, progress=progress,
                                            force=force)
        return result

    def summary(result: Any) -> None:
        _print_cards(result, lang)
        if written is not None:
            print_written(written, lang)

    return report_run("档案完整度" if lang != "en" else "Cards", run, json_out=json_out, lang=lang,
                      json_doc=lambda r: stream_json(write_cards_json, r), summary=summary)


def _print_cards(result: Any, lang: str, limit: int = 10) -> None:
    """Cards per status with their average completeness, then the least complete chased cards."""
    from salesxl.core.cards import missing_text
    from salesxl.core.classification import STATUS_NAMES

    zh = lang != "en"
    c = result.cards
    target = f"{float(result.target):.0%}"
    out.print(f"截至 {result.as_of}：客户档案卡 {len(c)} 张（目标完整度 {target}，{result.stale_days} 天未更新为过期）" if zh
              else f"As of {result.as_of}: {len(c)} cards (target {target}; stale after {result.stale_days} days)")
    heads = ("客户状态", "卡片数", "平均完整度", "低于目标", "过期") if zh else ("Status", "Cards", "Average", "Below target", "Stale")
    table = console_table(heads, title="档案完整度" if zh else "Completeness", right=heads[1:])
    for key, name in STATUS_NAMES.items():
        s = c[c["status"] == key]
        if len(s):
            table.add_row(name if zh else key, str(len(s)), f"{s['completeness'].mean():.0%}",
                          str(int(s["incomplete"].sum())), str(int(s["stale"].sum())))
    out.print(table)
    low = c[c["incomplete"]].sort_values(["completeness", "row"], kind="stable")
    if len(low):
        heads = ("客户编号", "客户名称", "业务员", "完整度", "缺少") if zh else ("ID", "Name", "Salesperson", "Filled", "Missing")
        t = console_table(heads, title="待完善（现有与新客户）" if zh else "To complete (current and new)", right=heads[3:4])
        for r in low.head(limit).itertuples(index=False):
            t.add_row(str(r.customer_id), str(r.customer_name or ""), str(r.salesperson or ""),
                      f"{r.completeness:.0%}", missing_text(r.missing))
        out.print(t)
        if len(low) > limit:
            out.print(f"……另有 {len(low) - limit} 张，见 --out 写出的档案完整度工作表或 --json" if zh
                      else f"… {len(low) - limit} more: see the 档案完整度 sheet (--out) or --json")


# v1.1, issue 18: contracts (and below: summary over a quarter or year, the weekly report).
@app.command(help=T(
    "合同执行：每份合同的已执行金额、剩余、执行率和到期提醒（即将到期 / 已逾期）；写成合同执行与合同签订统计"
    "工作簿，原工作簿不变（读取有错误时退出码为 1）。",
    "Contracts: each contract's executed amount, remaining, execution rate and flag (expiring / overdue); "
    "written as a workbook with the contract execution and contract statistics sheets; the book is not changed "
    "(exit status 1 when reading found errors)."),
    short_help=T("合同执行：已执行、剩余、执行率和到期提醒。", "Contracts: execution and expiry flags."))
@book_arg
@as_of_opt
@click.option("--out", "out_path", type=click.Path(), default=None, cls=Option, metavar=T("文件", "FILE"),
              help=T("合同执行工作簿路径（默认：工作簿旁的 合同执行-YYYY-MM-DD.xlsx；与 --json 同用时，给出 --out 才写）",
                     "The contract workbook (default: 合同执行-YYYY-MM-DD.xlsx beside the book; with --json it is "
                     "written only when --out is given)"))
@force_opt
@json_opt
@lang_opt
def contracts(book: Path, as_of: str | None, out_path: str | None, force: bool, json_out: bool, lang: str) -> int:
    """合同执行：已执行、剩余、执行率和到期提醒。"""
    from salesxl.io.contract_report import contract_report_name

    day = parse_as_of(as_of)
    target: str | Path | None = out_path
    if target is None and not json_out:
        target = book.parent / contract_report_name(day)
    zh = lang != "en"

    def summary(result: Any) -> None:
        n = result.counts()
        out.print(f"截至 {day}：合同 {n['contracts']} 份，即将到期 {n['expiring']} 份，已逾期 {n['overdue']} 份，"
                  f"超合同执行 {n['over']} 份" if zh else
                  f"As of {day}: {n['contracts']} contracts, {n['expiring']} expiring, {n['overdue']} overdue, "
                  f"{n['over']} over-executed")
        print_path(result.written, lang)

    return report_run("合同" if zh else "Contracts",
                      lambda progress: api.contracts(book, as_of=day, out=target, progress=progress, force=force),
                      json_out=json_out, lang=lang, json_doc=lambda r: emit_json(r.to_json()), summary=summary)


@app.command(help=T(
    "销售周报：按 ISO 周（如 2026-W44）统计每位业务员的拜访、潜在客户、签订合同、销售、回款、本月目标进度和下周待办；"
    "写成团队页加每人一页的可打印工作簿（读取有错误时退出码为 1）。",
    "Weekly report: per salesperson for an ISO week (e.g. 2026-W44) the visits, prospects, contracts signed, "
    "sales, collections, progress towards the month's target and next week's next steps; written as a "
    "printable workbook with a team page and a sheet per salesperson (exit status 1 when reading found errors)."),
    short_help=T("销售周报：每位业务员一周的拜访与业绩。", "Weekly report per salesperson."))
@book_arg
@click.option("--week", "week", required=True, metavar="YYYY-Www", cls=Option,
              help=T("ISO 周，如 2026-W44（周一至周日）", "The ISO week, e.g. 2026-W44 (Monday to Sunday)"))
@click.option("--out", "out_path", type=click.Path(), default=None, cls=Option, metavar=T("文件", "FILE"),
              help=T("周报工作簿路径（默认：工作簿旁的 周报-YYYY-Www.xlsx；与 --json 同用时，给出 --out 才写）",
                     "The report workbook (default: 周报-YYYY-Www.xlsx beside the book; with --json it is written "
                     "only when --out is given)"))
@force_opt
@json_opt
@lang_opt
def weekly(book: Path, week: str, out_path: str | None, force: bool, json_out: bool, lang: str) -> int:
    """销售周报：每位业务员一周的拜访与业绩。"""
    from salesxl.core.weekly import parse_week
    from salesxl.io.weekly_report import weekly_report_name

    key, _, _ = parse_week(week)  # a week the year lacks (2025-W53) stops here: exit 2
    target: str | Path | None = out_path
    if target is None and not json_out:
        target = book.parent / weekly_report_name(key)
    zh = lang != "en"

    def summary(result: Any) -> None:
        t = result.team()
        out.print(f"{key}（{result.monday} 至 {result.sunday}）：拜访 {t['visits']} 次，销售 {money(t['sales'])}，"
                  f"回款 {money(t['collections'])}，签订合同 {t['contracts_signed']} 份" if zh else
                  f"{key} ({result.monday} to {result.sunday}): {t['visits']} visits, sales {money(t['sales'])}, "
                  f"collections {money(t['collections'])}, {t['contracts_signed']} contracts signed")
        print_path(result.written, lang)

    return report_run("周报" if zh else "Weekly",
                      lambda progress: api.weekly(book, week=key, out=target, progress=progress, force=force),
                      json_out=json_out, lang=lang, json_doc=lambda r: emit_json(r.to_json()), summary=summary)


@app.command(help=T(
    "回款预测：按每个客户近12个月的付款迟延天数，预计未来8周、3个月每期的回款额及构成客户；"
    "用 --out 写成回款预测工作簿（读取有错误时退出码为 1）。",
    "Collections forecast: from each customer's average days paid late over the last 12 months, the "
    "collections expected in each of the next 8 weeks and 3 months and the customers making them up; "
    "--out writes the forecast workbook (exit status 1 when reading found errors)."),
    short_help=T("回款预测：未来8周、3个月的预计回款（读取有错误时退出码为 1）。",
                 "Collections forecast: the next 8 weeks and 3 months."))
@book_arg
@as_of_opt
@click.option("--out", "out_path", type=click.Path(), default=None, cls=Option, metavar=T("文件", "FILE"),
              help=T("回款预测工作簿路径（给文件夹时为其中的 回款预测-YYYY-MM-DD.xlsx；原工作簿不变）",
                     "The forecast workbook (a folder: a file named after the date inside it; the book is not changed)"))
@force_opt
@json_opt
@lang_opt
def forecast(book: Path, as_of: str | None, out_path: str | None, force: bool, json_out: bool, lang: str) -> int:
    """回款预测：未来8周、3个月每期的预计回款额及构成客户（读取有错误时退出码为 1）。"""
    day = parse_as_of(as_of)
    from salesxl.io.forecast_documents import forecast_document

    return report_run("回款预测" if lang != "en" else "Forecast",
                      lambda progress: api.forecast(book, as_of=day, out=out_path, progress=progress, force=force),
                      json_out=json_out, lang=lang, json_doc=lambda r: emit_json(forecast_document(r)),
                      summary=lambda r: _print_forecast(r, lang))


def _print_forecast(fc: Any, lang: str) -> None:
    """The two views with their largest customers, later and doubtful amounts, the workbook."""
    zh = lang != "en"
    company = ("无" if zh else "none") if fc.company_days is None else f"{fc.company_days:+.1f}"
    out.print(f"截至 {fc.as_of}：应收余额 {money(fc.open_total)} 元；公司平均付款迟延 {company} 天" if zh
              else f"As of {fc.as_of}: receivable {money(fc.open_total)} CNY; company average days late {company}")
    for view, head, later in ((fc.weeks, ("周次", "Week"), ("8 周之后", "After 8 weeks")),
                              (fc.months, ("月份", "Month"), ("3 个月之后", "After 3 months"))):
        heads = (head[0], "起", "止", "预计回款", "客户数", "主要客户") if zh else (
            head[1], "From", "To", "Expected", "Customers", "Largest")
        table = console_table(heads, right=heads[3:5])
        for r in view.table.itertuples(index=False):
            g = view.customers_of(str(r.period)).head(3)
            names = ("、" if zh else ", ").join(str(n if isinstance(n, str) and n else c)
                                               for c, n in zip(g["customer_id"], g["customer_name"], strict=True))
            table.add_row(str(r.period), str(r.start.date()), str(r.end.date()), money(r.amount), str(r.customers),
                          names)
        table.add_row(later[0 if zh else 1], "", "", money(view.later), "", "")
        out.print(table)
    if fc.doubtful:
        out.print(f"存疑（逾期超过 {fc.doubtful_after} 天，未计入各期）：{money(fc.doubtful)} 元" if zh
                  else f"Doubtful (over {fc.doubtful_after} days overdue, in no period): {money(fc.doubtful)}",
                  style="yellow")
    print_path(fc.written, lang, "已写入回款预测：", "Forecast written: ")


@app.group(name="report", help=T(
    "生成报告工作簿：客户业务报告（customer）。",
    "Make report workbooks: the customer report (customer)."))
@group_lang_opt
def report() -> None:
    """The report commands."""


@report.command("customer", help=T(
    "客户业务报告：一至两页可打印的客户档案——档案卡四组信息、等级状态与信用、近12个月销售（按月、按产品，带图表）、"
    "应收逾期与账龄、付款习惯、拜访与下一步、合同执行（读取有错误时退出码为 1）。",
    "Customer report: a printable one-to-two-page dossier — the card's four groups, level, status and "
    "credit grade, 12 months' sales by month and product with a chart, receivable, overdue and aging, "
    "payment behaviour, visits and next steps, contracts (exit status 1 when reading found errors)."),
    short_help=T("客户业务报告：一至两页可打印的客户档案。", "Customer report: a printable dossier."))
@book_arg
@click.option("--customer", "customer_id", default=None, metavar=T("客户编号", "ID"), cls=Option,
              help=T("客户编号（与 --all 二选一）", "The customer ID (or --all)"))
@click.option("--all", "every", is_flag=True, cls=Option,
              help=T("为客户档案中的每个客户各生成一份：--out 是目录", "One for every customer on file: --out is a folder"))
@click.option("--out", "out_path", type=click.Path(), default=None, cls=Option, metavar=T("路径", "PATH"),
              help=T("输出的 .xlsx 文件（默认：工作簿旁的 客户报告_<客户编号>.xlsx；用 --all 时为目录，必填）",
                     "The .xlsx to write (default: a file named after the customer beside the book; with --all: "
                     "a folder, required)"))
@as_of_opt
@force_opt
@json_opt
@lang_opt
def report_customer(book: Path, customer_id: str | None, every: bool, out_path: str | None, as_of: str | None,
                    force: bool, json_out: bool, lang: str) -> int:
    """客户业务报告：一至两页可打印的客户档案（读取有错误时退出码为 1）。"""
    if every == (customer_id is not None):
        raise BadArguments("请给出 --customer 客户编号 或 --all（二选一）", "give either --customer ID or --all")
    if every and out_path is None:
        raise BadArguments("用 --all 时请用 --out 给出输出目录", "with --all, give the output folder with --out")
    day = parse_as_of(as_of)
    zh = lang != "en"

    def run(progress: Any) -> Any:
        if every:
            return api.customer_reports(book, out_dir=str(out_path), as_of=day, progress=progress, force=force)
        return api.customer_report(book, customer_id=str(customer_id), out=out_path, as_of=day,
                                   progress=progress, force=force)

    def summary(paths: Any) -> None:
        out.print(f"已生成 {len(paths)} 份客户业务报告：" if zh else f"{len(paths)} customer report(s) written:")
        for p in paths[:10]:
            out.print(f"  {p}")
        if len(paths) > 10:
            out.print(f"  ……（共 {len(paths)} 份）" if zh else f"  … ({len(paths)} in all)")

    return report_run("客户报告" if zh else "Customer reports", run, json_out=json_out, lang=lang,
                      json_doc=lambda paths: emit_json({"as_of": day.isoformat(), "reports": [str(p) for p in paths]}),
                      summary=summary)
