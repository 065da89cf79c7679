"""``salesxl stock``: stock cards, counts and the blind count sheet (issue 17), and its console
printer.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from salesxl.cli_base import (
    app,
    book_writer_options,
    check_out,
    console_table,
    exit_for,
    out,
    parse_as_of,
    print_written,
    progress_bar,
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
    from salesxl.io.stock_json import write_stock_json

    writes = out_path is not None or in_place
    written: Any = None

    def run(progress: Any) -> Any:
        nonlocal written
        if not writes:
            return api.stock(book, as_of=day, progress=progress)
        result, written = api.stock_to_book(book, as_of=day, out=out_path, in_place=in_place, progress=progress,
                                            force=force)
        return result

    def summary(result: Any) -> None:
        _print_stock(result, lang)
        if written is not None:
            print_written(written, lang)

    # the stock findings are listed above: no reading note, the status alone
    return report_run("库存" if zh else "Stock", run, json_out=json_out, lang=lang,
                      json_doc=lambda r: stream_json(write_stock_json, r), summary=summary,
                      status=lambda r: exit_for(r.findings))


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
