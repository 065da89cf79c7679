"""``salesxl`` commands over one workbook's archive and ledgers: validate, offset, classify,
statement, sheets, demo.

Each command is a thin shell over :mod:`salesxl.api`: parse the options, call one documented
function, print its result (or ``--json``) and return the exit status.  The printers of the
validation findings, the offset and the classification live here with their commands
(``demo`` reuses them to show what it planted).
"""

from __future__ import annotations

import sys
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
    exit_for,
    force_opt,
    json_opt,
    lang_opt,
    money,
    out,
    parse_as_of,
    print_write_notes,
    print_written,
    progress_bar,
    reading_errors,
)
from salesxl.cli_i18n import Option
from salesxl.cli_i18n import Text as T
from salesxl.errors import BadArguments
from salesxl.lazy import lazy_module

if TYPE_CHECKING:
    from salesxl import api
    from salesxl.io import files
else:
    # pandas, pyarrow and the readers load when a command first needs them, not for --help
    # or --version
    api = lazy_module("salesxl.api")
    files = lazy_module("salesxl.io.files")


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
    print_write_notes(marks, lang)
    if marks.results_sheet is None:  # a clean book: nothing marked (earlier marks, if any, are gone)
        out.print(f"未发现问题，未作标记（以前的标记如有已清除）：{marks.written}" if zh
                  else f"No problems found, nothing marked (earlier marks, if any, removed): {marks.written}")
    elif marks.marked_cells == 0:  # e.g. only missing sheets or columns: no cell to mark
        out.print(f"问题不在单元格上，未标出单元格；结果见「{marks.results_sheet}」工作表：{marks.written}" if zh
                  else f"No cell to mark (the problems are not in cells); see the {marks.results_sheet} sheet "
                  f"in {marks.written}")
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
        print_written(written, lang)
    return reading_errors(result.findings, lang)


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
        print_written(written, lang)
        kept = getattr(written, "kept", None)
        if kept:
            out.print(f"已保留工作簿中的「{'、'.join(kept)}」（按其中的条件给出建议）" if zh
                      else f"Kept the workbook's own {', '.join(kept)} (suggestions follow it)")
    return reading_errors(result.findings, lang)


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
@force_opt
@json_opt
@lang_opt
def statement(
    book: Path, as_of: str | None, customers: tuple[str, ...], period_start: str | None, out_dir: Path,
    force: bool, json_out: bool, lang: str,
) -> int:
    """客户往来对账单：每个客户一份可打印的工作簿；需催收的客户另附催款函。"""
    day = parse_as_of(as_of)
    start = parse_as_of(period_start) if period_start else None
    zh = lang != "en"
    with progress_bar("对账单" if zh else "Statements") as progress:
        try:
            paths = api.statements(book, as_of=day, out_dir=out_dir, customer_ids=list(customers) or None,
                                   period_start=start, progress=progress, force=force)
        except KeyError as exc:
            raise BadArguments(f"找不到客户 {exc.args[0]}", f"no such customer: {exc.args[0]}") from None
    found = paths.findings
    if json_out:
        emit_json({"as_of": day.isoformat(), "statements": [str(p) for p in paths], "missing": paths.missing_en})
        return exit_for(found)
    out.print(f"已生成 {len(paths)} 份对账单：{out_dir}" if zh else f"{len(paths)} statements written to {out_dir}")
    missing = paths.missing, paths.missing_en  # company details not in 参数
    if missing[0]:  # the letters carry a blank line for each
        out.print(f"参数中未填写：{'、'.join(missing[0])}（函中已留空白横线，请手填或在「参数」中补充）" if zh else
                  f"Not set in 参数: {', '.join(missing[1])} (the letters leave a blank line to fill in)")
    for p in paths[:10]:
        out.print(f"  {p}")
    return reading_errors(found, lang)


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
    print_written(written, lang)
    _print_classification(classes, lang)
    print_written(classified, lang)
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
