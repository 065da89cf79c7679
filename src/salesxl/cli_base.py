"""The ``salesxl`` command group and the pieces its commands share (spec §5).

Owns the ``app`` click group (``--version``, the group ``--lang``), the shared options and
arguments (BOOK, ``--as-of``, ``--out``, ``--in-place``, ``--force``, ``--json``, ``--lang``), the
two consoles (markup and emoji codes off: user text is never read as rich markup), progress
bars, console tables, money formatting, and the exit status a command's findings mean
(:func:`exit_for`: 1 when the reader found errors).  The command modules (``cli_books``,
``cli_reports``, ``cli_stock``, ``cli_templates``) import from here and register on ``app``;
:mod:`salesxl.cli` imports them and runs the group.  Nothing here loads pandas: ``api`` and
``io.files`` are lazy, so ``salesxl --help`` stays fast.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

import click
from rich.console import Console
from rich.table import Table as RichTable

from salesxl import __version__, cli_i18n
from salesxl.cli_i18n import Argument, Group, Option
from salesxl.cli_i18n import Text as T
from salesxl.cli_progress import progress_reporter
from salesxl.errors import BadArguments

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


def report_run(
    label: str,
    run: Callable[[Any], Any],
    *,
    json_out: bool,
    lang: str,
    json_doc: Callable[[Any], None],
    summary: Callable[[Any], None],
    status: Callable[[Any], int] | None = None,
) -> int:
    """The body every reading-and-reporting command shares (cards, contracts, weekly, forecast,
    prices, report customer): ``run(progress)`` under the progress bar, then with ``--json``
    ``json_doc(result)`` on stdout, else ``summary(result)`` (the console lines and the written
    path) and what the reader's errors did to the figures.  The exit status is ``status(result)``
    where the command has its own rule (prices: sales below the floor), else 1 for reading errors.
    One place, so a command cannot print the JSON and then a summary, or forget the exit status.
    """
    with progress_bar(label) as progress:
        result = run(progress)
    if json_out:
        json_doc(result)
        return status(result) if status is not None else exit_for(result.findings)
    summary(result)
    if status is not None:
        return status(result)
    return reading_errors(result.findings, lang)


def stream_json(write: Callable[[Any, BinaryIO], None], result: Any) -> None:
    """A §5 document its writer streams (``write(result, sys.stdout.buffer)``), after any text
    already printed, so the two never interleave."""
    sys.stdout.flush()
    write(result, sys.stdout.buffer)
    sys.stdout.buffer.flush()


def print_path(path: Any, lang: str, zh: str = "已写入：", en: str = "Written: ") -> None:
    """The last line of a command that wrote a new workbook: where it is (nothing when it wrote none)."""
    if path is not None:
        out.print(f"{zh if lang != 'en' else en}{path}")


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


def exit_for(findings: Any) -> int:
    """1 when the reader found errors (figures may be incomplete), else 0."""
    return 1 if any(f.severity.value == "error" for f in findings) else 0


def reading_errors(findings: Any, lang: str) -> int:
    """Say what the reader's errors did to the figures; the exit status they mean (1 or 0)."""
    from salesxl.core.ledger import reading_note

    note = reading_note(findings, lang)
    if note:
        out.print(note, style="yellow")
    return exit_for(findings)


def print_write_notes(written: Any, lang: str) -> None:
    """What a write into (a copy of) the book did besides its sheets: the backup it kept, why it
    wrote a copy, what it kept (a :class:`~salesxl.io.results.WriteResult` or the marks')."""
    if written.backup is not None:
        out.print(f"{'已备份原文件：' if lang != 'en' else 'Backup kept: '}{written.backup}")
    for note in (written.reason(lang), written.kept_note(lang)):
        if note:
            out.print(note, style="yellow")


def print_written(written: Any, lang: str) -> None:
    zh = lang != "en"
    print_write_notes(written, lang)
    out.print(f"已写入{'、'.join(written.sheets)}：{written.written}" if zh
              else f"Written {', '.join(written.sheets)}: {written.written}")
