"""What the command line prints: user text shown as it is, never as markup (issue 13 item 14),
help and messages in Chinese or English with no reST in them (item 15), and the user's own
sheets kept by every command that writes result sheets (item 23).

The books are real files written here (xlsxwriter) and read by the real commands; the output is
the real console's, captured.
"""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click
import openpyxl
import pytest
import xlsxwriter

from salesxl import cli
from salesxl.cli import run

MARKUP = ["[/x]", "[bold]", "[link=http://example.com]", ":warning:", "[red]x[/red]"]
AS_OF = "2026-03-31"


def salesxl(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-c", "from salesxl.cli import main; main()", *args],
        capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})},
    )


def write_book(path: Path) -> Path:
    """A small office book whose customer names, salesperson names and cells hold rich markup."""
    d = date
    sheets: dict[str, list[list[Any]]] = {
        "客户档案": [
            ["客户编号", "客户名称", "客户性质", "业务员", "省份", "城市", "信用额度", "账期天数"],
            ["C001", "[bold]甲公司", "一般公司", "[/x]张三", "浙江省", "杭州市", 1000, 30],
            ["C002", "乙公司[/x]", "一般公司", "[red]李四[/red]", "江苏省", "南京市", 0, 30],
            ["C003", ":warning:丙", "个人", "[/x]张三", "浙江省", "宁波市", "[/x]", 30],
            ["C004", "[link=http://example.com]丁", "一般公司", "[red]李四[/red]", "上海市", "上海市", 0, 30],
        ],
        "销售": [
            ["日期", "单号", "客户编号", "产品", "规格", "数量", "单价", "金额", "业务员"],
            [d(2025, 12, 1), "XS001", "C001", "[bold]钢材", "Φ12", 10, 1000, 10000, "[/x]张三"],
            [d(2026, 1, 5), "XS002", "C002", "水泥", "P.O42.5", 5, 200, 1000, "[red]李四[/red]"],
            [d(2026, 3, 2), "XS003", "C003", "钢材", "Φ12", 2, 100, 200, "[/x]张三"],
            [d(2026, 3, 8), "XS004", "C004", "钢材", "Φ16", 20, 150, 3000, "[red]李四[/red]"],
        ],
        "收款": [
            ["日期", "单号", "客户编号", "金额", "类型", "方式"],
            [d(2026, 1, 20), "SK001", "C002", 1000, "回款", "[/x]"],
            [d(2026, 3, 10), "SK002", "C004", 5000, "预收", "转账"],
        ],
        "业务员": [
            ["业务员", "片区", "提成比例"],
            ["[/x]张三", "[bold]浙北片区", "3%"],
            ["[red]李四[/red]", "苏南片区", "3%"],
        ],
    }
    wb = xlsxwriter.Workbook(path)
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if isinstance(v, date):
                    ws.write_datetime(r, c, v, day)
                elif v is not None:
                    ws.write(r, c, v)
    wb.close()
    return path


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("x") / "[bold]账本"  # folder and file names hold markup too (no "/")
    folder.mkdir()
    return write_book(folder / "[red]:warning:台账.xlsx")


@pytest.fixture
def shown(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run a command in process; returns (exit status, stdout, stderr) as a wide console shows them."""
    monkeypatch.setattr(cli.out, "width", 400)  # no table cell wraps inside a tag
    monkeypatch.setattr(cli.err, "width", 400)

    def call(*args: str) -> tuple[int, str, str]:
        code = run(list(args))
        got = capsys.readouterr()
        assert "MarkupError" not in got.err and "内部错误" not in got.err and "internal error" not in got.err, got.err
        return code, got.out, got.err

    return call


# --------------------------------------------------------------------------------------------
# Item 14: user text is never markup


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_validate_prints_cells_as_they_are(book: Path, shown: Any, tmp_path: Path, lang: str) -> None:
    code, out, _ = shown("validate", str(book), "--as-of", AS_OF, "--lang", lang)
    assert code == 1  # the 信用额度 "[/x]" is an error, reported — not a crash (exit 2)
    assert "「[/x]」" in out or "'[/x]'" in out
    assert str(book) in out
    marked = tmp_path / "[red]校验.xlsx"
    code, out, _ = shown("validate", str(book), "--as-of", AS_OF, "--lang", lang, "--out", str(marked))
    assert code == 1 and str(marked) in out and "校验结果" in out


def test_offset_classify_summary_statement_sheets(book: Path, shown: Any, tmp_path: Path) -> None:
    code, out, _ = shown("offset", str(book), "--as-of", AS_OF)
    assert code == 1  # the unreadable 信用额度 is a reading error
    assert "[bold]甲公司" in out  # C001 owes 10,000 and is overdue: listed by name
    written = tmp_path / "[bold]往来.xlsx"
    code, out, _ = shown("offset", str(book), "--as-of", AS_OF, "--out", str(written))
    assert str(written) in out and "往来余额" in out

    code, out, _ = shown("classify", str(book), "--as-of", AS_OF, "--lang", "en", "--out", str(tmp_path / "c.xlsx"))
    assert code == 1 and "Customer mix" in out and "[bold]浙北片区" in out

    report = tmp_path / "[bold]月报.xlsx"
    code, out, _ = shown("summary", str(book), "--month", "2026-03", "--out", str(report))
    assert code == 1 and str(report) in out and report.exists()

    folder = tmp_path / "[red]对账单"
    code, out, _ = shown("statement", str(book), "--as-of", AS_OF, "--out", str(folder))
    assert code == 1 and str(folder) in out  # statement reports the reading error like offset

    code, out, _ = shown("sheets", str(book))
    assert code == 0 and "客户档案" in out


def test_templates_and_batch_with_markup_names(book: Path, shown: Any, tmp_path: Path) -> None:
    one = tmp_path / "[bold]张三.xlsx"
    code, out, _ = shown("template", "salesperson", "--from", str(book), "--salesperson", "[/x]张三",
                         "--out", str(one), "--as-of", AS_OF)
    assert code == 0 and str(one) in out
    inbox = tmp_path / "[bold]收件"
    code, out, _ = shown("template", "salesperson", "--from", str(book), "--all", "--out", str(inbox),
                         "--as-of", AS_OF)
    assert code == 0 and "[red]李四" in out  # the file is named after the salesperson
    master = tmp_path / "master.xlsx"
    master.write_bytes(book.read_bytes())
    code, out, err = shown("batch", str(inbox), "--master", str(master), "--month", "2026-03",
                           "--out", str(tmp_path / "[red]out"), "--workers", "1", "--no-monthly")
    assert code in (0, 1), err
    assert "[red]李四[/red]" in out and "[/x]张三" in out  # file and salesperson columns


def test_demo_output_folder_with_markup(shown: Any, tmp_path: Path) -> None:
    """The demo prints its paths; a folder named like markup is printed as it is."""
    folder = tmp_path / "[bold]demo"
    code, out, _ = shown("demo", "--out", str(folder))
    assert code == 0 and f"{folder}/demo.xlsx" in out and f"{folder}/demo-校验.xlsx" in out


# --------------------------------------------------------------------------------------------
# Item 15: help and messages in one language, without reST


def all_commands() -> list[list[str]]:
    found: list[list[str]] = [[]]

    def walk(group: click.Group, path: list[str]) -> None:
        for name, command in group.commands.items():
            found.append([*path, name])
            if isinstance(command, click.Group):
                walk(command, [*path, name])

    walk(cli.app, [])
    return found


#: Chinese words an English help page may hold: sheet and file names of the spec.
NAMES = ("往来余额", "账龄明细", "核销明细", "发货放行", "客户档案", "路线", "信用建议", "信用政策", "销售管理",
         "对账单", "月报", "档案完整度", "待审核", "客户信息表", "变更记录", "合同执行", "周报", "价格分析", "回款预测", "客户报告", "库存结存", "盘点差异")
CJK = re.compile(r"[\u2e80-\u9fff\uff00-\uffef]")
REST = re.compile(r"``|:(func|mod|class|meth|attr):|\x08|\\b|\.\. ")


@pytest.mark.parametrize("command", all_commands(), ids=lambda c: " ".join(c) or "salesxl")
def test_help_in_both_languages(command: list[str], capsys: pytest.CaptureFixture[str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SALESXL_LANG", raising=False)
    pages = {}
    for lang, args in (("zh", [*command, "--help"]), ("zh", [*command, "-h", "--lang", "zh"]),
                       ("en", [*command, "--help", "--lang", "en"]), ("en", ["--lang", "en", *command, "-h"]),
                       ("en", [*command, "--lang=EN", "--help"])):
        assert run(args) == 0
        page = capsys.readouterr().out
        assert not REST.search(page), page
        pages.setdefault(lang, set()).add(page)
    for lang in ("zh", "en"):
        assert len(pages[lang]) == 1, pages[lang]  # wherever --lang stands
    zh, en = pages["zh"].pop(), pages["en"].pop()
    assert zh.startswith("用法：salesxl") and "选项：" in zh and "显示本帮助并退出" in zh
    assert not re.search(r"\b(Usage|Options|Show this|Show the|default|required)\b", zh), zh
    # every sentence of the Chinese page is Chinese: no line of option help is English only
    for line in zh.splitlines()[1:]:  # after the usage line
        text = re.sub(r"^\s*(-\S+(, -\S+)*( \S+)?)\s{2,}", "", line)  # the option column
        if re.search(r"[a-z]{4,} [a-z]{4,} [a-z]{3,}", text):
            raise AssertionError(f"English in the Chinese help: {line!r}")
    assert en.startswith("Usage: salesxl") and "Options:" in en and "Show this message and exit." in en
    stripped = en
    for name in NAMES:
        stripped = stripped.replace(name, "")
    assert not CJK.search(stripped), en


def test_help_by_environment_variable_in_a_real_process() -> None:
    done = salesxl("validate", "--help", env={"SALESXL_LANG": "en"})
    assert done.returncode == 0 and done.stdout.startswith("Usage: salesxl validate [OPTIONS] BOOK")
    done = salesxl("validate", "--help", "--lang", "zh", env={"SALESXL_LANG": "en"})
    assert done.stdout.startswith("用法：salesxl validate [选项] 工作簿")  # the command line wins
    done = salesxl("validate", "--help", env={"SALESXL_LANG": "en_US.UTF-8"})
    assert done.stdout.startswith("Usage:")
    done = salesxl("validate", "x.xlsx", env={"SALESXL_LANG": "fr"})
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "SALESXL_LANG" in done.stderr


@pytest.mark.parametrize(("args", "zh", "en"), [
    (["summary", "x.xlsx"], "缺少选项 --month", "Missing option '--month'"),
    (["validate"], "缺少参数 工作簿", "Missing argument 'BOOK'"),
    (["validate", "x.xlsx", "--bogus"], "未知选项 '--bogus'", "No such option '--bogus'"),
    (["nope"], "未知命令 'nope'", "No such command 'nope'"),
    (["validate", "x.xlsx", "--out"], "选项 '--out' 需要一个值", "Option '--out' requires an argument"),
    (["batch", "i", "--master", "m", "--month", "2026-10", "--out", "o", "--workers", "0"],
     "'--workers' 的值无效", "Invalid value for '--workers'"),
])
def test_argument_errors_in_both_languages(args: list[str], zh: str, en: str, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SALESXL_LANG", raising=False)
    assert run(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("salesxl: 参数错误：") and zh in err and err.count("\n") == 1, err
    assert run(["--lang", "en", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("salesxl: bad arguments: ") and en in err and not CJK.search(err), err
    monkeypatch.setenv("SALESXL_LANG", "en")
    assert run(args) == 2
    assert en in capsys.readouterr().err


def test_click_is_itself_again_after_a_run(capsys: pytest.CaptureFixture[str]) -> None:
    """The Chinese words are lent to click for one run only."""
    run(["--help"])
    capsys.readouterr()

    @click.command()
    @click.option("--n", required=True)
    def other(n: str) -> None:
        """Another program."""

    assert "Usage:" in other.get_help(click.Context(other))
    with pytest.raises(click.MissingParameter) as exc:
        other.main([], standalone_mode=False)
    assert "Missing option" in exc.value.format_message()


# --------------------------------------------------------------------------------------------
# Item 23: the commands say where the results went when the user's own sheet was kept


def test_commands_say_the_users_sheet_was_kept(book: Path, shown: Any, tmp_path: Path) -> None:
    own = tmp_path / "own.xlsx"
    wb = openpyxl.load_workbook(book)
    for name in ("校验结果", "往来余额", "路线"):
        wb.create_sheet(name)["A1"] = f"我的{name}"
    wb.save(own)
    code, out, _ = shown("validate", str(own), "--as-of", AS_OF, "--in-place")
    assert "已原样保留" in out and "「校验结果(2)」" in out
    code, out, _ = shown("offset", str(own), "--as-of", AS_OF, "--in-place", "--lang", "en")
    assert "own sheet 往来余额" in out and "往来余额(2)" in out
    code, out, _ = shown("classify", str(own), "--as-of", AS_OF, "--in-place")
    assert "「路线(2)」" in out
    wb = openpyxl.load_workbook(own, read_only=True)
    for name in ("校验结果", "往来余额", "路线"):
        assert wb[name]["A1"].value == f"我的{name}"
    # a re-run replaces salesxl's sheets and keeps saying so
    code, out, _ = shown("validate", str(own), "--as-of", AS_OF, "--in-place")
    assert "「校验结果(2)」" in out
    assert openpyxl.load_workbook(own, read_only=True).sheetnames.count("校验结果(3)") == 0
