"""``salesxl`` commands that make or collect workbooks for other people: the ``template`` group
(office, salesperson, customer, lite), ``batch`` (the salespeople's returned books into the
master) and ``review`` (approved customer-form changes into the archive).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.text import Text

from salesxl import limits
from salesxl.cli_base import (
    app,
    as_of_opt,
    console_table,
    emit_json,
    force_opt,
    group_lang_opt,
    json_opt,
    lang_opt,
    out,
    parse_as_of,
    progress_bar,
)
from salesxl.cli_i18n import Argument, Option
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
            paths = api.salesperson_templates(book, out_dir=out_path, as_of=issued, progress=progress, force=force)
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
            paths = api.customer_forms(book, out_dir=out_path, as_of=issued, progress=progress, force=force)
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
