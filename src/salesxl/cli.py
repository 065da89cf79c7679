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

This module owns the entry point (:func:`main`, :func:`run`): the language choice, and turning
every error into one line and an exit status.  The ``app`` group and the shared options live in
:mod:`salesxl.cli_base`; the commands in :mod:`salesxl.cli_books` (validate, offset, classify,
statement, sheets, demo), :mod:`salesxl.cli_reports` (summary, prices, cards, contracts, weekly,
forecast, report customer), :mod:`salesxl.cli_stock` and :mod:`salesxl.cli_templates` (template,
batch, review), which register on ``app`` when imported below.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import click

# importing the command modules registers their commands on ``app``
from salesxl import cli_books, cli_i18n, cli_reports, cli_stock, cli_templates  # noqa: F401

# re-exported: ``salesxl.cli.app``, ``.out``, ``.err``, ``.console_table``, ``.money`` as before the split
from salesxl.cli_base import app, console_table, err, money, out  # noqa: F401
from salesxl.errors import BadArguments, SalesxlError


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
