"""The ``salesxl`` command: a thin shell over :mod:`salesxl.api` (spec §5).

Exit status: 0 done, 1 done but the workbook has errors, 2 the command could not run (bad
arguments, unreadable or unsupported file) — always with exactly one line on stderr and never a
traceback, because the people running this are sales administrators, not programmers.
``--json`` prints one JSON document on stdout; progress bars go to stderr.

Language: 中文 by default; ``--lang en`` (anywhere on the command line, also before the
subcommand) or ``SALESXL_LANG=en`` gives English help, messages and summaries
(:mod:`salesxl.cli_i18n`).  User text — cell values, sheet, customer, salesperson and file
names — is never read as rich markup: both consoles print with markup and emoji codes off,
and colour comes from ``style=``.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.table import Table as RichTable
from rich.text import Text

from salesxl import __version__, cli_i18n, limits
from salesxl.cli_i18n import Argument, Group, Option
from salesxl.cli_i18n import Text as T
from salesxl.cli_progress import progress_reporter
from salesxl.errors import BadArguments, SalesxlError
from salesxl.lazy import lazy_module

if TYPE_CHECKING:
    from salesxl import api
    from salesxl.io import files
else:
    # pandas, pyarrow and the readers load when a command first needs them, not for --help
    # or --version (salesxl.limits holds the defaults the options show)
    api = lazy_module("salesxl.api")
    files = lazy_module("salesxl.io.files")

# markup and emoji codes off: a cell holding "[/x]" or ":warning:" is printed as it is
err = Console(stderr=True, markup=False, emoji=False)
out = Console(soft_wrap=True, markup=False, emoji=False)


def _set_lang(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """``salesxl --lang en …``: :func:`run` already chose the language from the command line."""


#: ``--lang`` of a group (``salesxl --lang en validate …``, ``salesxl template --lang en -h``).
group_lang_opt = click.option(
    "--lang", type=click.Choice(["zh", "en"], case_sensitive=False), default=None, expose_value=False,
    is_eager=True, callback=_set_lang, cls=Option, metavar="zh|en",
    help=T("消息和帮助的语言（也可写在子命令后）", "Language of messages and help (may also follow the subcommand)"))


@click.group(
    name="salesxl", cls=Group,
    help=T("salesxl：用 Excel 工作簿管理销售——校验客户档案与台账、客户分类、预收冲应收、月报。",
           "salesxl: run a sales office from its Excel workbooks — check the customer archive and "
           "ledgers, classify customers, offset prepayments against receivables, monthly report."),
    epilog=T("语言：--lang en 或环境变量 SALESXL_LANG=en 显示英文（默认中文）。",
             "Language: --lang zh or SALESXL_LANG=zh for Chinese (the default); --lang en for English."),
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, package_name="salesxl", message="%(prog)s %(version)s", cls=Option,
                      help=T("显示版本号并退出", "Show the version and exit."))
@group_lang_opt
def app() -> None:
    """The command group; each subcommand is a thin shell over :mod:`salesxl.api`."""


# Options shared by the subcommands.
book_arg = click.argument("book", type=click.Path(path_type=Path, dir_okay=True), cls=Argument,
                          metavar=T("工作簿", "BOOK"))
lang_opt = click.option(
    "--lang", type=click.Choice(["zh", "en"], case_sensitive=False), default=cli_i18n.current, cls=Option,
    metavar="zh|en",
    help=T("消息语言：zh 中文（默认）或 en 英文；也可设环境变量 SALESXL_LANG",
           "Language of messages: zh Chinese (the default) or en English; or set SALESXL_LANG"),
)
json_opt = click.option("--json", "json_out", is_flag=True, cls=Option,
                        help=T("在标准输出打印一个 JSON 文档", "Print one JSON document on standard output"))
as_of_opt = click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD", cls=Option,
                         help=T("截止日期（默认今天）", "As-of date (default: today)"))
# --out stays text: a trailing separator ("对账/") means a folder, which a Path would forget.
out_opt = click.option(
    "--out", "out_path", type=click.Path(), default=None, cls=Option, metavar=T("文件", "FILE"),
    help=T("把结果写入这个新工作簿（原文件不变；给文件夹时在其中按原文件名命名）",
           "Write the results into this new workbook (the book is left unchanged; a folder: a file named "
           "after the book inside it)"),
)
force_opt = click.option("--force", is_flag=True, cls=Option,
                         help=T("--out 的文件已存在时覆盖（先在旁边备份原有文件）",
                                "Replace an existing --out file (after a backup of it beside it)"))
in_place_opt = click.option("--in-place", is_flag=True, cls=Option,
                            help=T("直接写回原工作簿（先在旁边保留带时间戳的备份）",
                                   "Write into the book itself (after a timestamped backup beside it)"))


def book_writer_options(command: Any) -> Any:
    """BOOK, --as-of, --out, --in-place, --json, --lang: a command that reads a workbook and
    may write its results into it."""
    for option in (lang_opt, json_opt, force_opt, in_place_opt, out_opt, as_of_opt, book_arg):
        command = option(command)
    return command


def parse_as_of(text: str | None) -> date:
    """``--as-of`` value → date; anything but YYYY-MM-DD is a bad argument (exit 2)."""
    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise BadArguments(
            f"--as-of 的日期「{text}」无效，应为 YYYY-MM-DD，如 2026-10-31",
            f"--as-of '{text}' is not a date; use YYYY-MM-DD, e.g. 2026-10-31",
        ) from None


def emit_json(doc: Any) -> None:
    sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")


@contextmanager
def progress_bar(label: str) -> Iterator[Any]:
    """A progress callback ``(stage, done, total)``: a bar on a terminal, else a plain line on
    stderr every few seconds (:mod:`salesxl.cli_progress`)."""
    with progress_reporter(label, console=err, lang=cli_i18n.current()) as update:
        yield update


def console_table(heads: Sequence[str], *, title: str | None = None, right: Sequence[str] = ()) -> RichTable:
    """A console table whose long cells wrap onto more lines instead of being cut with "…"
    (a finding's fix advice is the end of its message, and a zone name must read whole);
    the columns named in ``right`` (amounts, counts) are right-aligned, headers included."""
    table = RichTable(title=title)
    for head in heads:
        table.add_column(head, overflow="fold", no_wrap=False, justify="right" if head in right else "left")
    return table


def money(fen: Any) -> str:
    """An amount in fen as the console prints it: ``2,724,163.46``."""
    from salesxl.core.money import fen_to_display

    return fen_to_display(int(fen))


def check_out(out_path: str | Path | None, in_place: bool) -> None:
    if out_path is not None and in_place:
        raise BadArguments("--out 和 --in-place 只能选一个", "use either --out or --in-place, not both")


@app.command(help=T(
    "校验工作簿：列出每个问题所在的工作表、行、列，可在工作簿中标出（有错误时退出码为 1）。",
    "Check a workbook: every problem with its sheet, row and column, optionally marked in the "
    "workbook (exit status 1 when there are errors)."))
@book_writer_options
def validate(
    book: Path, as_of: str | None, out_path: str | None, in_place: bool, force: bool, json_out: bool, lang: str
) -> int:
    """校验工作簿：列出每个问题所在的工作表、行、列，可在工作簿中标出（有错误时退出码为 1）。"""
    day = parse_as_of(as_of)
    check_out(out_path, in_place)
    with progress_bar("校验" if lang != "en" else "Checking") as progress:
        report = api.validate(book, as_of=day, out=out_path, in_place=in_place, lang=lang, progress=progress,
                              force=force)
    if json_out:
        emit_json(report.to_json(lang))
    else:
        _print_findings(report, lang)
        _print_marks(report, lang)
    return 1 if report.errors else 0


def _print_marks(report: api.ValidationReport, lang: str) -> None:
    marks = report.marks
    if marks is None:
        return
    zh = lang != "en"
    if marks.backup is not None:
        out.print(f"{'已备份原文件：' if zh else 'Backup kept: '}{marks.backup}")
    for note in (marks.reason(lang), marks.kept_note(lang)):
        if note:
            out.print(note, style="yellow")
    if marks.results_sheet is None:
        out.print(f"没有问题，已清除以前的标记：{marks.written}" if zh
                  else f"No problems; earlier marks removed: {marks.written}")
    else:
        out.print(
            f"已标出 {marks.marked_cells} 个单元格，结果见「{marks.results_sheet}」工作表：{marks.written}"
            if zh
            else f"Marked {marks.marked_cells} cells; see the {marks.results_sheet} sheet in {marks.written}"
        )


def _print_findings(report: api.ValidationReport, lang: str, limit: int = 30) -> None:
    zh = lang != "en"
    if not report.findings:
        out.print(f"{'校验通过，没有发现问题' if zh else 'No problems found'}{'：' if zh else ': '}{report.path}",
                  style="green")
        return
    from salesxl.core.findings import CODE_TITLES

    table = console_table(("工作表", "行", "列", "类型", "说明") if zh else ("Sheet", "Row", "Col", "Kind", "Message"),
                          right=("行", "Row"))
    for f in report.findings[:limit]:  # the kind in words (the code is in --json)
        table.add_row(f.sheet, str(f.row or ""), f.column or "", CODE_TITLES[f.code][1 if not zh else 0],
                      f.message(lang))
    out.print(table)
    more = len(report.findings) - limit
    if more > 0:
        out.print(f"……另有 {more} 条（用 --json 查看全部）" if zh else f"… {more} more (use --json for all)")
    summary = (
        f"错误 {report.errors} 个，警告 {report.warnings} 个：{report.path}"
        if zh
        else f"{report.errors} errors, {report.warnings} warnings: {report.path}"
    )
    out.print(summary)


ACTION_EN = {
    "正常": "ok", "催收": "chase payment", "超信用额度": "over credit limit",
    "停止发货并催收": "stop shipments and chase", "待发货或退款": "goods owed or refund",
}


@app.command(help=T(
    "预收冲应收：每个客户的应收/预收余额、账龄、处理建议和发货放行；用 --out 或 --in-place 时写入"
    "往来余额、账龄明细、核销明细、发货放行工作表（读取有错误时退出码为 1；完整校验请用 salesxl validate）。",
    "Offset prepayments against receivables: each customer's balance, aging, action and shipment "
    "release; with --out or --in-place the sheets 往来余额, 账龄明细, 核销明细 and 发货放行 are written "
    "(exit status 1 when reading found errors; the full check is salesxl validate)."),
    short_help=T("预收冲应收：余额、账龄、处理建议和发货放行（读取有错误时退出码为 1）。",
                 "Offset prepayments against receivables: balances, aging, actions."))
@book_writer_options
def offset(
    book: Path, as_of: str | None, out_path: str | None, in_place: bool, force: bool, json_out: bool, lang: str
) -> int:
    """预收冲应收：每个客户的应收/预收余额、账龄、处理建议和发货放行（读取有错误时退出码为 1）。

    With --out/--in-place the sheets 往来余额, 账龄明细, 核销明细 and 发货放行 are written into
    the workbook.  The exit status follows the reader's findings (unreadable cells, missing
    sheets or columns): those make figures incomplete.  The full rule check is ``salesxl
    validate``; running it here would double the time of an offset on a large book.
    """
    day = parse_as_of(as_of)
    check_out(out_path, in_place)
    zh = lang != "en"
    written = None
    with progress_bar("冲销" if zh else "Offsetting") as progress:
        if out_path is not None or in_place:
            result, written = api.offset_to_book(book, as_of=day, out=out_path, in_place=in_place, progress=progress,
                                                 force=force)
        else:
            result = api.offset(book, as_of=day, progress=progress)
    errors = sum(1 for f in result.findings if f.severity.value == "error")
    if json_out:
        sys.stdout.flush()
        from salesxl.io.json_documents import write_offset_json

        write_offset_json(result, sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return 1 if errors else 0
    _print_offset(result, lang)
    if written is not None:
        _print_written(written, lang)
    return _reading_errors(result.findings, lang)


def _exit_for(findings: Any) -> int:
    """1 when the reader found errors (figures may be incomplete), else 0."""
    return 1 if any(f.severity.value == "error" for f in findings) else 0


def _reading_errors(findings: Any, lang: str) -> int:
    """Say what the reader's errors did to the figures; the exit status they mean (1 or 0)."""
    from salesxl.core.ledger import reading_note

    note = reading_note(findings, lang)
    if note:
        out.print(note, style="yellow")
    return _exit_for(findings)


def _print_offset(result: Any, lang: str, limit: int = 20) -> None:
    """Totals, then the customers needing action, largest receivable first."""
    from salesxl.core.customers import not_on_file

    zh = lang != "en"
    cust = result.customers
    totals = (
        f"截至 {result.as_of}：客户 {len(cust)} 个，应收 {money(cust['receivable'].sum())} 元，"
        f"预收 {money(cust['prepaid'].sum())} 元，逾期 {money(cust['overdue'].sum())} 元"
        if zh
        else f"As of {result.as_of}: {len(cust)} customers, receivable {money(cust['receivable'].sum())}, "
        f"prepaid {money(cust['prepaid'].sum())}, overdue {money(cust['overdue'].sum())} CNY"
    )
    out.print(totals)
    _print_not_on_file(cust, lang)
    todo = cust[cust["action"] != "正常"].sort_values(["overdue", "receivable"], ascending=False)
    if todo.empty:
        return
    table = console_table(("客户编号", "客户名称", "应收", "逾期", "处理建议") if zh
                          else ("ID", "Name", "Receivable", "Overdue", "Action"),
                          title="需要处理的客户" if zh else "Customers needing action",
                          right=("应收", "逾期", "Receivable", "Overdue"))
    for _, row in todo.head(limit).iterrows():
        action = str(row["action"])
        table.add_row(
            str(row["customer_id"]), str(row.get("customer_name") or ("" if row["known"] else not_on_file(lang))),
            money(row["receivable"]), money(row["overdue"]),
            action if zh else ACTION_EN.get(action, action),
        )
    out.print(table)
    if len(todo) > limit:
        out.print(f"……共 {len(todo)} 个（用 --json 查看全部）" if zh else f"… {len(todo)} in all (use --json)")


def _print_not_on_file(customers: Any, lang: str, shown: int = 5) -> None:
    """Name the customers counted that have no card (IDs only in 销售/收款: salesxl.core.customers)."""
    from salesxl.core.customers import not_on_file

    ids = [str(v) for v in customers.loc[~customers["known"].astype(bool), "customer_id"]]
    if not ids:
        return
    more = "…" if len(ids) > shown else ""
    listed = "、".join(ids[:shown]) if lang != "en" else ", ".join(ids[:shown])
    out.print(f"其中{not_on_file()} {len(ids)} 个（只出现在销售或收款中）：{listed}{more}" if lang != "en"
              else f"of which {len(ids)} {not_on_file('en')} (only in sales or receipts): {listed}{more}",
              style="yellow")


def _print_written(written: Any, lang: str) -> None:
    zh = lang != "en"
    if written.backup is not None:
        out.print(f"{'已备份原文件：' if zh else 'Backup kept: '}{written.backup}")
    for note in (written.reason(lang), written.kept_note(lang)):
        if note:
            out.print(note, style="yellow")
    out.print(f"已写入{'、'.join(written.sheets)}：{written.written}" if zh
              else f"Written {', '.join(written.sheets)}: {written.written}")


@app.command(help=T(
    "客户细分：客户等级、客户状态、信用等级与建议条件、片区和拜访路线；用 --out 或 --in-place 时填写"
    "客户档案的片区、路线、拜访顺序、客户等级、客户状态、信用等级列，并写入路线、信用建议和（没有时）信用政策工作表"
    "（读取有错误时退出码为 1）。",
    "Classify customers: level, status, credit grade with suggested terms, zone and visiting route; "
    "with --out or --in-place the out columns of 客户档案 are filled in and the sheets 路线, 信用建议 "
    "and (when missing) 信用政策 are written (exit status 1 when reading found errors)."),
    short_help=T("客户细分：客户等级、客户状态、信用等级、片区和拜访路线（读取有错误时退出码为 1）。",
                 "Classify customers: level, status, credit grade, zone, route."))
@book_writer_options
@click.option("--no-routes", is_flag=True, cls=Option,
              help=T("不规划拜访路线（只分等级、状态和信用等级）", "Plan no routes (level, status and credit grade only)"))
@click.option("--map", "map_path", type=click.Path(path_type=Path, dir_okay=False), default=None, cls=Option,
              metavar=T("文件.svg", "FILE.svg"),
              help=T("另存一张拜访路线图（SVG，浏览器可直接打开）", "Also save a map of the routes (SVG, opens in a browser)"))
def classify(
    book: Path, as_of: str | None, out_path: str | None, in_place: bool, force: bool, json_out: bool, lang: str,
    no_routes: bool, map_path: Path | None,
) -> int:
    """客户细分：客户等级、客户状态、信用等级与建议条件、片区和拜访路线（读取有错误时退出码为 1）。

    With --out/--in-place the out columns of 客户档案 (片区, 路线, 拜访顺序, 客户等级, 客户状态,
    信用等级) are filled in, and the sheets 路线, 信用建议 and (when missing) 信用政策 are written.
    """
    day = parse_as_of(as_of)
    check_out(out_path, in_place)
    if no_routes and (out_path is not None or in_place or map_path is not None):
        raise BadArguments("--no-routes 不能与 --out、--in-place 或 --map 一起用",
                           "--no-routes cannot be used with --out, --in-place or --map")
    if map_path is not None and map_path.suffix.lower() != ".svg":
        raise BadArguments(f"路线图应保存为 .svg 文件：{map_path}", f"The route map must be an .svg file: {map_path}")
    if map_path is not None and not force:
        files.replace_existing(map_path, force=False)  # an existing map only with --force
    zh = lang != "en"
    written = None
    with progress_bar("分类" if zh else "Classifying") as progress:
        if out_path is not None or in_place:
            result, written = api.classify_to_book(book, as_of=day, out=out_path, in_place=in_place,
                                                   progress=progress, force=force)
        else:
            result = api.classify(book, as_of=day, routes=not no_routes, progress=progress)
    errors = sum(1 for f in result.findings if f.severity.value == "error")
    if map_path is not None:
        from salesxl.io.route_map import write_route_map

        files.replace_existing(map_path, force=force)  # backs up a map --force replaces
        write_route_map(result.customers, map_path)
        from salesxl.io.route_map import map_counts
    if json_out:
        emit_json(result.to_json())
        return 1 if errors else 0
    _print_classification(result, lang)
    if map_path is not None:
        out.print((f"路线图：{map_path}（" if zh else f"Route map: {map_path} (")
                  + map_counts(result.customers).text(lang) + ("）" if zh else ")"))
    if written is not None:
        _print_written(written, lang)
        kept = getattr(written, "kept", None)
        if kept:
            out.print(f"已保留工作簿中的「{'、'.join(kept)}」（按其中的条件给出建议）" if zh
                      else f"Kept the workbook's own {', '.join(kept)} (suggestions follow it)")
    return _reading_errors(result.findings, lang)


def _print_classification(result: Any, lang: str, limit: int = 10) -> None:
    """Counts by level, status and grade; routes per zone."""
    import pandas as pd

    from salesxl.core.classification import LEVEL_NAMES, STATUS_NAMES

    zh = lang != "en"
    c = result.customers
    out.print(f"截至 {result.as_of}：客户 {len(c)} 个" if zh else f"As of {result.as_of}: {len(c)} customers")
    _print_not_on_file(c, lang)
    table = console_table(("分类", "取值", "客户数") if zh else ("Measure", "Value", "Customers"),
                          title="客户构成" if zh else "Customer mix", right=("客户数", "Customers"))
    for label, col, names in (
        (("客户等级", "Level"), "level", LEVEL_NAMES),
        (("客户状态", "Status"), "status", STATUS_NAMES),
        (("信用等级", "Credit grade"), "credit_grade", {g: g for g in "ABCD"}),
    ):
        counts = c[col].value_counts(dropna=False)
        for key, name in names.items():
            if key in counts.index:
                table.add_row(label[0] if zh else label[1], name if zh else str(key), str(int(counts[key])))
    out.print(table)
    if "route" in c.columns:
        routes = c.dropna(subset=["route"]).groupby("zone", sort=True).agg(
            routes=("route", "nunique"), customers=("customer_id", "size"))
        per_route = c.dropna(subset=["route"]).drop_duplicates("route").groupby("zone")["route_km"].sum(min_count=1)
        heads = ("片区", "路线数", "客户数", "总里程（公里）") if zh else ("Zone", "Routes", "Customers", "Total km")
        rt = console_table(heads, title="拜访路线" if zh else "Visiting routes", right=heads[1:])
        routes = routes.sort_values(["customers", "routes"], ascending=False, kind="stable")
        for zone, rec in routes.head(limit).iterrows():
            km = per_route.get(zone)
            rt.add_row(str(zone), str(int(rec["routes"])), str(int(rec["customers"])),
                       "" if km is None or pd.isna(km) else f"{km:,.1f}")
        out.print(rt)
        more = len(routes) - limit
        if more > 0:
            rest = routes.iloc[limit:]
            out.print(f"……另有 {more} 个片区（{int(rest['customers'].sum())} 个客户），见「路线」工作表或 --json" if zh
                      else f"… {more} more zones ({int(rest['customers'].sum())} customers): see the 路线 sheet or --json")


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
    return _reading_errors(result.findings, lang)


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
    "货卡与盘点：每个仓库 × 产品 × 规格 × 批号的结存和质量状态、盘点差异；用 --out 或 --in-place 时写入"
    "库存结存、盘点差异工作表；--count-sheet --warehouse W --out 盘点表.xlsx 生成不列账面数量的盲盘表"
    "（有错误时退出码为 1；与发货的核对请用 salesxl validate）。",
    "Stock cards and counts: the balance and quality of every warehouse × product × spec × batch, and "
    "the count variances; with --out or --in-place the stock balance and count variance sheets are written; "
    "--count-sheet --warehouse W --out COUNT.xlsx writes a blind count sheet (exit status 1 on errors; "
    "the check against shipments is salesxl validate)."),
    short_help=T("货卡与盘点：结存、质量状态、盘点差异、盲盘表。", "Stock cards and counts: balances, variances."))
@book_writer_options
@click.option("--count-sheet", "count_sheet", is_flag=True, cls=Option,
              help=T("生成盲盘表（需 --warehouse 和 --out）", "Write a blind count sheet (needs --warehouse and --out)"))
@click.option("--warehouse", default=None, metavar=T("仓库", "WAREHOUSE"), cls=Option,
              help=T("盲盘表的仓库", "The warehouse of the count sheet"))
def stock(book: Path, as_of: str | None, out_path: str | None, in_place: bool, force: bool, json_out: bool,
          lang: str, count_sheet: bool, warehouse: str | None) -> int:
    """货卡与盘点：结存、质量状态、盘点差异；盲盘表。"""
    day = parse_as_of(as_of)
    check_out(out_path, in_place)
    zh = lang != "en"
    if count_sheet:
        if not warehouse or out_path is None or in_place:
            raise BadArguments("--count-sheet 需要 --warehouse 仓库 和 --out 文件（不能用 --in-place）",
                               "--count-sheet needs --warehouse W and --out FILE (not --in-place)")
        with progress_bar("盘点表" if zh else "Count sheet") as progress:
            target, n = api.count_sheet(book, warehouse=warehouse, out=out_path, as_of=day, progress=progress,
                                        force=force)
        out.print(f"已生成盘点表（{n} 个批次）：{target}" if zh else f"Count sheet written ({n} batches): {target}")
        return 0
    written = None
    with progress_bar("库存" if zh else "Stock") as progress:
        if out_path is not None or in_place:
            result, written = api.stock_to_book(book, as_of=day, out=out_path, in_place=in_place, progress=progress,
                                                force=force)
        else:
            result = api.stock(book, as_of=day, progress=progress)
    if json_out:
        sys.stdout.flush()
        from salesxl.io.stock_json import write_stock_json

        write_stock_json(result, sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return _exit_for(result.findings)
    _print_stock(result, lang)
    if written is not None:
        _print_written(written, lang)
    return _exit_for(result.findings)


def _print_stock(result: Any, lang: str, limit: int = 20) -> None:
    """Cards, batches on hold, variances; then the stock findings."""
    zh = lang != "en"
    b, v = result.balances, result.variances
    held = int((b["quality"].notna() & (b["quality"] != "合格")).sum())
    negative = int((b["qty"] < 0).sum())
    out.print(f"截至 {result.as_of}：货卡 {len(b)} 张，质量未放行 {held} 张，负库存 {negative} 张，盘点差异 {len(v)} 行"
              if zh else f"As of {result.as_of}: {len(b)} cards, {held} on quality hold, {negative} negative, "
              f"{len(v)} count variances")
    if result.findings:
        from salesxl.core.findings import CODE_TITLES

        table = console_table(("工作表", "行", "列", "类型", "说明") if zh else ("Sheet", "Row", "Col", "Kind", "Message"),
                              right=("行", "Row"))
        for f in result.findings[:limit]:
            table.add_row(f.sheet, str(f.row or ""), f.column or "", CODE_TITLES[f.code][0 if zh else 1],
                          f.message(lang))
        out.print(table)
        if len(result.findings) > limit:
            more = len(result.findings) - limit
            out.print(f"……另有 {more} 条（用 salesxl validate 查看全部）" if zh else f"… {more} more (see salesxl validate)")


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
    zh = lang != "en"
    with progress_bar("价格分析" if zh else "Prices") as progress:
        result = api.prices(book, date_from=first, date_to=last, out=out_path, progress=progress, force=force)
    errors = sum(1 for f in result.findings if f.severity.value == "error") + result.errors
    if json_out:
        from salesxl.io.json_documents import write_prices_json

        sys.stdout.flush()
        write_prices_json(result, sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return 1 if errors else 0
    _print_prices(result, lang)
    return 1 if errors else 0


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
    if result.written is not None:
        out.print(f"{'已写入价格分析：' if zh else 'Analysis written: '}{result.written}")


@app.command(help=T(
    "客户往来对账单：每个客户一份可打印的工作簿；需催收的客户另附催款函。",
    "Customer statements: one printable workbook per customer, with a payment reminder for "
    "customers to chase."))
@book_arg
@as_of_opt
@click.option("--customer", "customers", multiple=True, metavar=T("客户编号", "ID"), cls=Option,
              help=T("客户编号（可多次；默认全部有往来的客户）", "Customer ID (repeatable; default: every customer with items)"))
@click.option("--from", "period_start", default=None, metavar="YYYY-MM-DD", cls=Option,
              help=T("对账期间起始日（默认截止日所在月的1日）", "First day of the period (default: the 1st of the as-of month)"))
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("对账单"),
              show_default=True, cls=Option, metavar=T("文件夹", "DIR"),
              help=T("对账单输出文件夹", "Folder for the statements"))
@json_opt
@lang_opt
def statement(
    book: Path, as_of: str | None, customers: tuple[str, ...], period_start: str | None, out_dir: Path,
    json_out: bool, lang: str,
) -> int:
    """客户往来对账单：每个客户一份可打印的工作簿；需催收的客户另附催款函。"""
    day = parse_as_of(as_of)
    start = parse_as_of(period_start) if period_start else None
    zh = lang != "en"
    with progress_bar("对账单" if zh else "Statements") as progress:
        try:
            paths = api.statements(book, as_of=day, out_dir=out_dir, customer_ids=list(customers) or None,
                                   period_start=start, progress=progress)
        except KeyError as exc:
            raise BadArguments(f"找不到客户 {exc.args[0]}", f"no such customer: {exc.args[0]}") from None
    found = paths.findings
    if json_out:
        emit_json({"as_of": day.isoformat(), "statements": [str(p) for p in paths], "missing": paths.missing_en})
        return _exit_for(found)
    out.print(f"已生成 {len(paths)} 份对账单：{out_dir}" if zh else f"{len(paths)} statements written to {out_dir}")
    missing = paths.missing, paths.missing_en  # company details not in 参数
    if missing[0]:  # the letters carry a blank line for each
        out.print(f"参数中未填写：{'、'.join(missing[0])}（函中已留空白横线，请手填或在「参数」中补充）" if zh else
                  f"Not set in 参数: {', '.join(missing[1])} (the letters leave a blank line to fill in)")
    for p in paths[:10]:
        out.print(f"  {p}")
    return _reading_errors(found, lang)


@app.group(name="template", help=T(
    "生成模板工作簿：办公室用的带按钮工作簿（office）、发给业务员的模板（salesperson）。",
    "Make template workbooks: the office workbook with buttons (office), a salesperson's template (salesperson)."))
@group_lang_opt
def template() -> None:
    """The template commands."""


@template.command("office", help=T(
    "生成办公室工作簿（.xlsm）：各工作表的表格、下拉列表和输入提示，控制台按钮，xlwings 设置（需要安装 xlwings）。",
    "Make the office workbook (.xlsm): every sheet's table, drop-down lists and input hints, the "
    "console's buttons, the xlwings settings (needs xlwings installed)."),
    short_help=T("生成办公室工作簿（.xlsm，带按钮）。", "Make the office workbook (.xlsm, with buttons)."))
@click.option("--out", "out_path", type=click.Path(path_type=Path, dir_okay=False), cls=Option, metavar=T("文件", "FILE"),
              default=Path("销售管理.xlsm"), show_default=True,
              help=T("输出的 .xlsm 文件（目录不存在时创建）", "The .xlsm to write (its folder is created when missing)"))
@click.option("--force", is_flag=True, cls=Option,
              help=T("文件已存在时覆盖（默认不覆盖，以免替换正在使用的工作簿）",
                     "Replace an existing file (by default it is not, so a workbook in use is never replaced)"))
@json_opt
@lang_opt
def template_office(out_path: Path, force: bool, json_out: bool, lang: str) -> int:
    """生成办公室工作簿（.xlsm）：各工作表的表格、下拉列表和输入提示，控制台按钮，xlwings 设置。

    The VBA comes from salesxl's own .bas sources and the installed xlwings package, so
    xlwings must be installed (exit 2 with the pip command otherwise).
    """
    from salesxl.excel.office import build_office_workbook

    path = build_office_workbook(out_path, force=force)
    if json_out:
        emit_json({"workbook": str(path)})
        return 0
    zh = lang != "en"
    out.print(
        f"已生成办公室工作簿：{path}\n下一步：在「xlwings.conf」工作表填写 Python 路径（Interpreter_Win），打开时启用宏。"
        if zh
        else f"Office workbook written: {path}\nNext: set Interpreter_Win on the xlwings.conf sheet; enable macros when opening."
    )
    return 0


@template.command("salesperson", help=T(
    "生成发给业务员的模板（.xlsx，无宏）：只含该业务员自己的客户，供其更新客户档案、新增客户、填写拜访后交回"
    "（业务员不存在时退出码为 2，并列出已有的业务员）。",
    "Make a salesperson's template (.xlsx, no macros) holding only their own customers, to update "
    "cards, add customers and log visits, then hand back (an unknown salesperson: exit status 2, "
    "listing the known ones)."),
    short_help=T("生成发给业务员的模板（.xlsx，无宏）。", "Make a salesperson's template (.xlsx, no macros)."))
@click.option("--from", "book", required=True, type=click.Path(path_type=Path, dir_okay=False), cls=Option,
              metavar=T("工作簿", "BOOK"), help=T("母版工作簿（含客户档案）", "The master workbook (with 客户档案)"))
@click.option("--salesperson", default=None, metavar=T("姓名", "NAME"), cls=Option,
              help=T("业务员姓名（与 --all 二选一）", "The salesperson's name (or --all)"))
@click.option("--all", "every", is_flag=True, cls=Option,
              help=T("为每位业务员各生成一份：--out 是目录，文件名为 <业务员>.xlsx",
                     "One for every salesperson: --out is a folder, files are named <salesperson>.xlsx"))
@click.option("--out", "out_path", required=True, type=click.Path(), cls=Option,
              metavar=T("路径", "PATH"),
              help=T("输出的 .xlsx 文件（用 --all 时为目录）", "The .xlsx to write (with --all: a folder)"))
@force_opt
@click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD", cls=Option,
              help=T("发放日期（默认现在；给定时同一天生成的文件完全相同）",
                     "Issue date (default: now; given, the same day gives identical files)"))
@json_opt
@lang_opt
def template_salesperson(book: Path, salesperson: str | None, every: bool, out_path: str, as_of: str | None,
                         force: bool, json_out: bool, lang: str) -> int:
    """生成发给业务员的模板（.xlsx，无宏）：只含该业务员自己的客户，供其更新客户档案、新增客户、填写拜访后交回。

    Unknown salesperson: exit 2 with one line listing the known ones.
    """
    if every == (salesperson is not None):
        raise BadArguments("请给出 --salesperson 姓名 或 --all（二选一）", "give either --salesperson NAME or --all")
    issued = parse_as_of(as_of) if as_of is not None else None
    zh = lang != "en"
    with progress_bar("业务员模板" if zh else "Templates") as progress:
        if every:
            paths = api.salesperson_templates(book, out_dir=out_path, as_of=issued, progress=progress)
        else:
            paths = [api.salesperson_template(book, salesperson=str(salesperson), out=out_path, as_of=issued,
                                              progress=progress, force=force)]
    if json_out:
        emit_json({"templates": [str(p) for p in paths]})
        return 0
    out.print(f"已生成 {len(paths)} 份业务员模板：" if zh else f"{len(paths)} salesperson template(s) written:")
    for p in paths:
        out.print(f"  {p}")
    return 0


@template.command("customer", help=T(
    "生成给客户本人填写的客户信息表（.xlsx，无宏，受保护）：只预填该客户自己的基本资料，"
    "交回后由 salesxl batch 列入待审核，审核同意后才更新档案。",
    "Make the customer's own form (.xlsx, no macros, protected), pre-filled with that customer's own "
    "basic data only; returned through salesxl batch, its answers wait on 待审核 until the office approves."),
    short_help=T("生成给客户填写的客户信息表（.xlsx，无宏）。", "Make a customer's own form (.xlsx, no macros)."))
@click.option("--from", "book", required=True, type=click.Path(path_type=Path, dir_okay=False), cls=Option,
              metavar=T("工作簿", "BOOK"), help=T("母版工作簿（含客户档案）", "The master workbook (with 客户档案)"))
@click.option("--customer", default=None, metavar=T("客户编号", "ID"), cls=Option,
              help=T("客户编号（与 --all 二选一）", "The customer's ID (or --all)"))
@click.option("--all", "every", is_flag=True, cls=Option,
              help=T("为每个客户各生成一份：--out 是目录", "One for every customer: --out is a folder"))
@click.option("--out", "out_path", required=True, type=click.Path(), cls=Option, metavar=T("路径", "PATH"),
              help=T("输出的 .xlsx 文件（用 --all 时为目录）", "The .xlsx to write (with --all: a folder)"))
@force_opt
@click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD", cls=Option,
              help=T("发放日期（默认现在）", "Issue date (default: now)"))
@json_opt
@lang_opt
def template_customer(book: Path, customer: str | None, every: bool, out_path: str, as_of: str | None,
                      force: bool, json_out: bool, lang: str) -> int:
    """生成给客户本人填写的客户信息表（.xlsx，无宏，受保护）。"""
    if every == (customer is not None):
        raise BadArguments("请给出 --customer 客户编号 或 --all（二选一）", "give either --customer ID or --all")
    issued = parse_as_of(as_of) if as_of is not None else None
    zh = lang != "en"
    with progress_bar("客户信息表" if zh else "Customer forms") as progress:
        if every:
            paths = api.customer_forms(book, out_dir=out_path, as_of=issued, progress=progress)
        else:
            paths = [api.customer_form(book, customer=str(customer), out=out_path, as_of=issued, progress=progress,
                                       force=force)]
    if json_out:
        emit_json({"forms": [str(p) for p in paths]})
        return 0
    out.print(f"已生成 {len(paths)} 份客户信息表：" if zh else f"{len(paths)} customer form(s) written:")
    for p in paths[:20]:
        out.print(f"  {p}")
    return 0


@template.command("lite", help=T(
    "生成 xlwings Lite 用的 main.py 和 requirements.txt（校验规则取自 salesxl 本身，不是另一份抄本）。",
    "Write xlwings Lite's main.py and requirements.txt (the rules are salesxl's own, not a copy)."),
    short_help=T("生成 xlwings Lite 文件。", "Write the xlwings Lite files."))
@click.option("--out", "out_path", required=True, type=click.Path(path_type=Path), cls=Option,
              metavar=T("文件夹", "DIR"),
              help=T("输出文件夹（写入 main.py 和 requirements.txt）", "Folder to write main.py and requirements.txt into"))
@click.option("--force", is_flag=True, cls=Option,
              help=T("文件已存在时覆盖", "Replace existing files"))
@json_opt
@lang_opt
def template_lite(out_path: Path, force: bool, json_out: bool, lang: str) -> int:
    from salesxl.excel.lite import build_lite

    paths = build_lite(out_path, force=force)
    if json_out:
        emit_json({"files": [str(p) for p in paths]})
        return 0
    out.print("已生成 xlwings Lite 文件：" + "、".join(str(p) for p in paths) if lang != "en"
              else "xlwings Lite files written: " + ", ".join(str(p) for p in paths))
    return 0


@app.command(help=T(
    "合并业务员交回的模板：更新客户档案、新增客户、追加拜访，记录变更；再运行月度作业（校验、分类、冲账、月报）。"
    "有需要处理的情况（坏文件、冲突、未采纳的行、母版正被打开未写入）时退出码为 1，无法运行时为 2。",
    "Merge the templates salespeople handed back: update cards, add customers, append visits, log "
    "every change; then run the monthly job (check, classify, offset, report).  Exit status 1 when "
    "something needs attention (bad files, conflicts, rejected rows, a master left unwritten "
    "because it is open), 2 when the batch cannot run."),
    short_help=T("合并业务员交回的模板，再运行月度作业。", "Merge returned templates, then the monthly job."))
@click.argument("inbox", type=click.Path(path_type=Path), cls=Argument, metavar=T("收件文件夹", "INBOX"))
@click.option("--master", "master", required=True, type=click.Path(path_type=Path), cls=Option,
              metavar=T("工作簿", "BOOK"),
              help=T("母版工作簿（销售管理.xlsx），合并结果写回这里（先留带时间戳的备份）",
                     "The master workbook (销售管理.xlsx); the merge is written into it (after a timestamped backup)"))
@click.option("--month", "month", required=True, metavar="YYYY-MM", cls=Option,
              help=T("月度作业的月份，如 2026-10", "Month of the monthly job, e.g. 2026-10"))
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path), cls=Option,
              metavar=T("文件夹", "DIR"),
              help=T("输出文件夹：各业务员的反馈、批处理报告和月度作业的结果",
                     "Output folder: feedback per salesperson, the batch report, the monthly job's results"))
@click.option("--workers", type=click.IntRange(1, 256), default=None, cls=Option, metavar="N",
              help=T("并行读取的进程数（默认 CPU 核数）", "Processes reading in parallel (default: CPU cores)"))
@click.option("--timeout", type=click.FloatRange(1), default=limits.DEFAULT_TIMEOUT, show_default=True, cls=Option,
              metavar=T("秒", "SECONDS"), help=T("读取单个文件的时间上限（秒）", "Time limit for reading one file (seconds)"))
@click.option("--memory-limit", "memory_mb", type=click.IntRange(512), default=limits.DEFAULT_MEMORY_MB,
              show_default=True, cls=Option, metavar="MB",
              help=T("每个读取进程的地址空间上限（MB）", "Address-space limit of each reading process (MB)"))
@click.option("--no-monthly", is_flag=True, cls=Option,
              help=T("只合并，不运行月度作业", "Merge only; do not run the monthly job"))
@click.option("--cache", is_flag=True, cls=Option,
              help=T("在母版旁保存其解析结果（按内容哈希，可随时删除），下次母版未变时不再解析",
                     "Keep the master's parsed state beside it (keyed by its hash, safe to delete): "
                     "the next batch on an unchanged master does not parse it again"))
@as_of_opt
@json_opt
@lang_opt
def batch(inbox: Path, master: Path, month: str, out_dir: Path, workers: int | None, timeout: float,
          memory_mb: int, no_monthly: bool, cache: bool, as_of: str | None, json_out: bool, lang: str) -> int:
    """合并业务员交回的模板：更新客户档案、新增客户、追加拜访，记录变更；再运行月度作业（校验、分类、冲账、月报）。

    Exit 1 when something needs attention (bad files, conflicts, rejected rows, a master left
    unwritten because it is open); 2 when the batch cannot run at all.
    """
    day = parse_as_of(as_of) if as_of is not None else None
    with progress_bar("批处理" if lang != "en" else "Batch") as progress:
        report = api.batch(inbox, master=master, month=month, out=out_dir, workers=workers, lang=lang, as_of=day,
                           timeout=timeout, memory_mb=memory_mb, monthly=not no_monthly, progress=progress,
                           cache=cache)
    if json_out:
        emit_json(report.to_json(lang))
    else:
        _print_batch(report, lang)
    return report.exit_code


def _print_batch(report: Any, lang: str) -> None:
    zh = lang != "en"
    heads = (("文件", "业务员", "状态", "修改", "冲突", "未采纳", "新客户", "拜访", "错误") if zh else
             ("File", "Salesperson", "Status", "Changes", "Conflicts", "Rejected", "New", "Visits", "Errors"))
    table = console_table(heads, right=heads[3:])
    for f in report.files:
        table.add_row(f.file, f.salesperson or "-", f.status_text(lang), str(f.changes), str(f.conflicts),
                      str(f.rejected), str(f.new_customers), str(f.visits), str(f.errors))
    out.print(table)
    for f in report.files:
        if f.message(lang) and f.status not in ("applied", "already-applied"):
            out.print(Text.assemble((f.file, "yellow"), f"{'：' if zh else ': '}{f.message(lang)}"), highlight=False)
    message = report.master_message(lang)
    if message:
        out.print(message, style="red", highlight=False)
    elif report.master_written:
        out.print(f"{'母版已更新，备份：' if zh else 'Master updated; backup: '}{report.backup}")
    for zh_text, en_text in report.problems:
        out.print(zh_text if zh else en_text, style="red", highlight=False)
    for step in report.monthly:
        shown = step.written if step.ok else (step.message_zh if zh else step.message_en)
        out.print(f"{step.label(lang)}{'：' if zh else ': '}{shown}", highlight=False)
    if report.report:
        out.print(f"{'批处理报告：' if zh else 'Batch report: '}{report.report}")


@app.command(help=T("显示 salesxl 在工作簿中识别到的工作表、表头行、记录数和列。",
                   "Show what salesxl sees in a workbook: sheets, header rows, record counts, columns."))
@book_arg
@json_opt
@lang_opt
def sheets(book: Path, json_out: bool, lang: str) -> int:
    """显示 salesxl 在工作簿中识别到的工作表、表头行、记录数和列。"""
    with progress_bar("读取" if lang != "en" else "Reading") as progress:
        found = api.describe(book, progress=progress)
    if json_out:
        emit_json([vars(s) for s in found])
        return 0
    zh = lang != "en"
    table = console_table(("工作表", "名称", "表头行", "记录数", "识别的列") if zh
                          else ("Sheet", "Name", "Header", "Rows", "Columns"),
                          right=("表头行", "记录数", "Header", "Rows"))
    for s in found:
        cols = " ".join(f"{k}={v}" for k, v in s.columns.items())
        table.add_row(s.sheet, s.name, str(s.header_row or "-"), str(s.rows), cols)
    out.print(table)
    return 0


@app.command(help=T(
    "生成示例公司的工作簿，并在其上运行主要流程（校验、标出问题、预收冲应收、客户细分），告诉你结果在哪里。",
    "Build the demo company's workbook and run the main jobs on it (check, mark, offset, classify); "
    "says where the results are."),
    short_help=T("生成示例公司的工作簿并运行主要流程。", "Build the demo company and run the main jobs."))
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("workbooks"),
              show_default=True, cls=Option, metavar=T("文件夹", "DIR"),
              help=T("示例工作簿的输出文件夹", "Folder for the demo workbooks"))
@click.option("--seed", type=int, default=2026, show_default=True, cls=Option, metavar="N",
              help=T("随机种子：相同种子生成相同的工作簿", "Random seed: the same seed gives the same workbooks"))
@click.option("--scale", is_flag=True, cls=Option,
              help=T("生成接近 Excel 行数上限的大工作簿（用于基准测试）",
                     "A workbook near Excel's row limit (for benchmarks)"))
@click.option("--clean", is_flag=True, cls=Option,
              help=T("不含故意埋入的错误", "Without the planted problems"))
@json_opt
@lang_opt
def demo(out_dir: Path, seed: int, scale: bool, clean: bool, json_out: bool, lang: str) -> int:
    """生成示例公司的工作簿，并在其上运行主要流程（校验、标出问题、预收冲应收、客户细分），告诉你结果在哪里。"""
    from salesxl import demo as demo_mod

    zh = lang != "en"
    with progress_bar("生成示例" if zh else "Building demo") as progress:
        path = demo_mod.build_demo(out_dir, seed=seed, scale=scale, clean=clean, progress=progress)
    checked = path.with_name(f"{path.stem}-{'校验' if zh else 'checked'}{path.suffix}")
    with progress_bar("校验" if zh else "Validating") as progress:
        report = api.validate(path, as_of=demo_mod.DEMO_END, out=checked, lang=lang, progress=progress)
    balances = path.with_name(f"{path.stem}-{'往来' if zh else 'ledger'}{path.suffix}")
    with progress_bar("冲销" if zh else "Offsetting") as progress:
        ledger, written = api.offset_to_book(path, as_of=demo_mod.DEMO_END, out=balances, progress=progress)
    classified_path = path.with_name(f"{path.stem}-{'分类' if zh else 'classified'}{path.suffix}")
    with progress_bar("分类" if zh else "Classifying") as progress:
        classes, classified = api.classify_to_book(path, as_of=demo_mod.DEMO_END, out=classified_path,
                                                   progress=progress)
    if json_out:
        emit_json({
            "workbook": str(path),
            "checked": str(report.marks.written) if report.marks else None,
            "ledger": str(written.written),
            "classified": str(classified.written),
            "as_of": demo_mod.DEMO_END.isoformat(),
            "validation": report.to_json(lang),
        })
        return 0
    out.print(f"{'示例工作簿：' if zh else 'Demo workbook: '}{path}")
    _print_findings(report, lang, limit=15)
    _print_marks(report, lang)
    _print_offset(ledger, lang, limit=10)
    _print_written(written, lang)
    _print_classification(classes, lang)
    _print_written(classified, lang)
    month = demo_mod.DEMO_END.strftime("%Y-%m")
    steps = [
        (f"salesxl validate {path} --as-of {demo_mod.DEMO_END} --json", "逐条查看问题", "every finding"),
        (f"salesxl classify {path} --as-of {demo_mod.DEMO_END} --map 路线图.svg", "客户细分和路线图",
         "classification and a route map"),
        (f"salesxl summary {path} --month {month}", f"{month} 月报", f"the {month} report"),
        (f"salesxl template salesperson --from {path} --all --out 业务员模板", "给每位业务员的模板",
         "a template per salesperson"),
    ]
    returned = Path(path).parent / "客户信息表-回传"
    if returned.is_dir():  # issue 19: the cards, and a customer's form come back for review
        steps += [
            (f"salesxl cards {path} --as-of {demo_mod.DEMO_END}", "档案完整度", "card completeness"),
            (f"salesxl batch {returned} --master {path} --month {month} --out 批处理", "客户交回的信息表列入待审核",
             "a customer's returned form onto 待审核"),
            (f"salesxl review {path}", "采纳待审核中标为同意的修改", "apply the approved changes"),
        ]
    out.print("下一步：" if zh else "Next:")
    for command, what_zh, what_en in steps:
        out.print(f"  {command}    # {what_zh if zh else what_en}", highlight=False, markup=False)
    return 0


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
    zh = lang != "en"
    written = None
    with progress_bar("档案完整度" if zh else "Cards") as progress:
        if out_path is not None or in_place:
            result, written = api.cards_to_book(book, as_of=day, out=out_path, in_place=in_place, progress=progress,
                                                force=force)
        else:
            result = api.cards(book, as_of=day, progress=progress)
    if json_out:
        sys.stdout.flush()
        from salesxl.io.json_documents import write_cards_json

        write_cards_json(result, sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return _exit_for(result.findings)
    _print_cards(result, lang)
    if written is not None:
        _print_written(written, lang)
    return _reading_errors(result.findings, lang)


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


@app.command(help=T(
    "审核客户信息表：把母版「待审核」工作表中标为同意的修改写入客户档案（信息来源记为客户填写，并记入变更记录），"
    "驳回的永不写入；写入前备份，原子替换（有同意的修改无法采纳时退出码为 1）。",
    "Review customer forms: apply the changes approved on the master's 待审核 sheet to the cards (source: "
    "the customer's form; logged in 变更记录); rejected ones never; backup first, one atomic write (exit "
    "status 1 when an approved change could not be applied)."),
    short_help=T("审核客户信息表：采纳待审核中同意的修改。", "Apply the approved customer-form changes."))
@click.argument("master", type=click.Path(path_type=Path), cls=Argument, metavar=T("母版", "MASTER"))
@json_opt
@lang_opt
def review(master: Path, json_out: bool, lang: str) -> int:
    """审核客户信息表：把待审核中标为同意的修改写入客户档案。"""
    zh = lang != "en"
    report = api.review(master)
    if json_out:
        emit_json(report.to_json(lang))
        return report.exit_code
    out.print(f"已采纳 {len(report.applied)} 项，驳回 {report.rejected} 项，未审核 {report.open} 项" if zh
              else f"Applied {len(report.applied)}, rejected {report.rejected}, awaiting a decision {report.open}")
    for p in report.problems:
        out.print(f"  第 {p['row']} 行 {p['customer_id']} {p['field']}：{p['zh']}" if zh
                  else f"  row {p['row']} {p['customer_id']} {p['field']}: {p['en']}", style="yellow")
    if report.backup is not None:
        out.print(f"{'已备份原文件：' if zh else 'Backup kept: '}{report.backup}")
    return report.exit_code


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
    with progress_bar("合同" if zh else "Contracts") as progress:
        result = api.contracts(book, as_of=day, out=target, progress=progress, force=force)
    if json_out:
        emit_json(result.to_json())
        return _exit_for(result.findings)
    n = result.counts()
    out.print(f"截至 {day}：合同 {n['contracts']} 份，即将到期 {n['expiring']} 份，已逾期 {n['overdue']} 份，"
              f"超合同执行 {n['over']} 份" if zh else
              f"As of {day}: {n['contracts']} contracts, {n['expiring']} expiring, {n['overdue']} overdue, "
              f"{n['over']} over-executed")
    if result.written is not None:
        out.print(f"{'已写入：' if zh else 'Written: '}{result.written}")
    return _reading_errors(result.findings, lang)


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
    with progress_bar("周报" if zh else "Weekly") as progress:
        result = api.weekly(book, week=key, out=target, progress=progress, force=force)
    if json_out:
        emit_json(result.to_json())
        return _exit_for(result.findings)
    t = result.team()
    out.print(f"{key}（{result.monday} 至 {result.sunday}）：拜访 {t['visits']} 次，销售 {money(t['sales'])}，"
              f"回款 {money(t['collections'])}，签订合同 {t['contracts_signed']} 份" if zh else
              f"{key} ({result.monday} to {result.sunday}): {t['visits']} visits, sales {money(t['sales'])}, "
              f"collections {money(t['collections'])}, {t['contracts_signed']} contracts signed")
    if result.written is not None:
        out.print(f"{'已写入：' if zh else 'Written: '}{result.written}")
    return _reading_errors(result.findings, lang)


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
    zh = lang != "en"
    with progress_bar("回款预测" if zh else "Forecast") as progress:
        result = api.forecast(book, as_of=day, out=out_path, progress=progress, force=force)
    if json_out:
        from salesxl.io.forecast_documents import forecast_document

        emit_json(forecast_document(result))
        return _exit_for(result.findings)
    _print_forecast(result, lang)
    return _reading_errors(result.findings, lang)


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
    if fc.written is not None:
        out.print(f"{'已写入回款预测：' if zh else 'Forecast written: '}{fc.written}")


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
    with progress_bar("客户报告" if zh else "Customer reports") as progress:
        if every:
            paths = api.customer_reports(book, out_dir=str(out_path), as_of=day, progress=progress)
        else:
            paths = api.customer_report(book, customer_id=str(customer_id), out=out_path, as_of=day,
                                        progress=progress, force=force)
    if json_out:
        emit_json({"as_of": day.isoformat(), "reports": [str(p) for p in paths]})
        return _exit_for(paths.findings)
    out.print(f"已生成 {len(paths)} 份客户业务报告：" if zh else f"{len(paths)} customer report(s) written:")
    for p in paths[:10]:
        out.print(f"  {p}")
    if len(paths) > 10:
        out.print(f"  ……（共 {len(paths)} 份）" if zh else f"  … ({len(paths)} in all)")
    return _reading_errors(paths.findings, lang)


def _fail(message: str) -> int:
    line = " ".join(str(message).split())
    err.print(f"salesxl: {line}", highlight=False, markup=False, soft_wrap=True)
    return 2


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status (never raises for user errors)."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        # known before click parses anything: --help is eager, and errors may come first
        lang = cli_i18n.language(args)
    except BadArguments as exc:
        return _fail(exc.message("zh"))
    if not args:
        args = ["--help"]
    with cli_i18n.speaking(lang):
        return _run(args, lang)


def _run(args: list[str], lang: str) -> int:
    try:
        result = app.main(args=args, prog_name="salesxl", standalone_mode=False)
    except SalesxlError as exc:
        return _fail(exc.message(lang))
    except click.exceptions.UsageError as exc:
        if exc.ctx is not None and isinstance(exc.ctx.command, click.Group) and (
                isinstance(exc, click.exceptions.NoArgsIsHelpError)
                or exc.message in ("Missing command.", cli_i18n.CLICK_ZH["Missing command."])):
            out.print(exc.ctx.get_help(), highlight=False)  # a group without its subcommand: its help
            return 0
        return _fail(("参数错误：" if lang != "en" else "bad arguments: ") + cli_i18n.usage_message(exc, lang))
    except click.exceptions.ClickException as exc:
        return _fail(exc.format_message())
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except (click.exceptions.Abort, KeyboardInterrupt):
        _fail("已中断" if lang != "en" else "interrupted")
        return 130
    except Exception as exc:  # noqa: BLE001 - last resort: one line, never a traceback
        if os.environ.get("SALESXL_DEBUG"):
            raise
        kind = type(exc).__name__
        return _fail(
            f"内部错误（{kind}: {exc}）；设置 SALESXL_DEBUG=1 可查看详情"
            if lang != "en"
            else f"internal error ({kind}: {exc}); set SALESXL_DEBUG=1 for details"
        )
    return result if isinstance(result, int) else 0


def main() -> None:
    """Console-script entry point."""
    sys.exit(run())
