"""The user's language, all the way (issue 14 items 8–10).

Chinese by default everywhere — click's own errors, full-width punctuation in Chinese sentences,
findings' codes shown with their meaning, the batch's report and console summary — and English
complete with ``--lang en`` / ``SALESXL_LANG=en``; numbers as people read them (amounts
``2,724,163.46``, limits in whole 百元, coordinates with 6 decimals, months as integers, zone
names whole, long messages wrapped, not cut); the batch's 未采纳 rows name their field and value,
变更记录's 时间 is a date-time cell and a cleared field reads （清空）.

The commands run in process (:func:`salesxl.cli.run`, output captured) or in a real process;
the workbooks are real files read back with openpyxl.
"""

from __future__ import annotations

import ast
import io
import re
import shutil
import tokenize
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import click
import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from salesxl import cli, cli_i18n
from salesxl.batch.master import CLEARED, LOG_SHEET
from salesxl.batch.outcome import STATUS, STEPS, TOTALS
from salesxl.cli import run
from salesxl.core.findings import CODE_TITLES, MESSAGES, Code, code_title
from salesxl.core.merge import REASONS
from salesxl.core.money import fen_to_display
from test_batch import MONTH, cards_of, edit_template, fresh_master, issue, own_rows
from test_batch import run as run_batch

SRC = Path(__file__).resolve().parents[1] / "src" / "salesxl"
CJK = re.compile(r"[\u2e80-\u9fff\uff00-\uffef]")
HAN = "\u4e00-\u9fff"


@pytest.fixture
def shown(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run a command in process: (exit status, stdout, stderr)."""
    monkeypatch.delenv("SALESXL_LANG", raising=False)

    def call(*args: str) -> tuple[int, str, str]:
        code = run(list(args))
        got = capsys.readouterr()
        return code, got.out, got.err

    return call


# --------------------------------------------------------------------------------------------
# Item 8: click's own words


def click_msgids() -> set[str]:
    """Every message click passes through gettext (``_()`` / ``ngettext()``) in its source."""
    found: set[str] = set()
    for name in ("core.py", "exceptions.py", "types.py", "parser.py", "formatting.py", "decorators.py"):
        tree = ast.parse((Path(click.__file__).parent / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "ngettext"):
                for arg in node.args[: 2 if node.func.id == "ngettext" else 1]:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        found.add(arg.value)
    return found


def test_every_click_message_a_user_can_meet_is_translated() -> None:
    missing = click_msgids() - set(cli_i18n.CLICK_ZH) - cli_i18n.CLICK_PROGRAMMER_ERRORS
    assert not missing, f"click messages without Chinese: {sorted(missing)}"
    for msgid, zh in cli_i18n.CLICK_ZH.items():  # the placeholders survive translation
        assert set(re.findall(r"\{\w+[^}]*\}|%\(\w+\)s", msgid)) == set(re.findall(r"\{\w+[^}]*\}|%\(\w+\)s", zh)), msgid


@pytest.mark.parametrize(("args", "zh", "en"), [
    (["valdate"], "未知命令 'valdate'，是否要输入 'validate'？", "No such command 'valdate'. Did you mean 'validate'?"),
    (["batch", "inbox", "--master", "m.xlsx", "--out", "o"], "缺少选项 --month", "Missing option '--month'"),
    (["validate"], "缺少参数 工作簿", "Missing argument 'BOOK'"),
    (["validate", "x.xlsx", "--bogus"], "未知选项 '--bogus'", "No such option '--bogus'"),
    (["validate", "x.xlsx", "--as-of"], "选项 '--as-of' 需要一个值。", "Option '--as-of' requires an argument."),
    (["validate", "x.xlsx", "--json=1"], "选项 '--json' 不带值。", "Option '--json' does not take a value."),
    (["validate", "a.xlsx", "b.xlsx"], "多余的参数（b.xlsx）", "Got unexpected extra argument (b.xlsx)"),
    (["batch", "i", "--master", "m", "--month", "2026-10", "--out", "o", "--workers", "0"],
     "'--workers' 的值无效：0 不在范围 1<=x<=256 内。", "Invalid value for '--workers': 0 is not in the range"),
    (["batch", "i", "--master", "m", "--month", "2026-10", "--out", "o", "--timeout", "abc"],
     "'--timeout' 的值无效：'abc' 不是有效的数。", "Invalid value for '--timeout': 'abc' is not a valid float range."),
    (["validate", "x.xlsx", "--lang", "fr"], "'--lang' 的值无效：'fr' 不是", "Invalid value for '--lang'"),
])
def test_click_errors_in_chinese_and_english(args: list[str], zh: str, en: str, shown: Any,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = shown(*args)
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith("salesxl: 参数错误：") and zh in err, err
    assert not re.search(r"[A-Za-z]{3,} [a-z]{3,}", err.replace("salesxl", "")), err  # no English sentence
    assert not re.search(rf"[{HAN}][.,;:?]|[.,;:?] ?[{HAN}]", err.removeprefix("salesxl: ")), err  # full-width
    if "--lang" not in args:
        code, _, err = shown("--lang", "en", *args)
        assert code == 2 and err.startswith("salesxl: bad arguments: ") and en in err and not CJK.search(err), err
        monkeypatch.setenv("SALESXL_LANG", "en")
        code, _, err = shown(*args)
        assert en in err, err


def test_a_file_that_is_not_there_is_said_in_chinese(shown: Any, tmp_path: Path) -> None:
    code, _, err = shown("validate", str(tmp_path / "没有这个.xlsx"))
    assert code == 2 and "文件不存在，请检查路径" in err and not re.search(rf"[{HAN}」][,:;]", err), err
    code, _, err = shown("validate", str(tmp_path / "没有这个.xlsx"), "--lang", "en")
    assert code == 2 and "does not exist" in err.lower() or "not found" in err.lower(), err


def test_a_group_without_its_command_shows_its_help(shown: Any) -> None:
    code, out, err = shown("template")
    assert code == 0 and not err and out.startswith("用法：salesxl template [选项] 命令 [参数]...")
    assert "命令：" in out and "选项：" in out
    code, out, _ = shown("template", "--lang", "en")
    assert out.startswith("Usage: salesxl template [OPTIONS] COMMAND [ARGS]...") and "Commands:" in out


# --------------------------------------------------------------------------------------------
# Item 8: full-width punctuation in Chinese sentences


#: Half-width punctuation touching Chinese on both sides, or brackets around Chinese inside a
#: Chinese sentence.
HALF_WIDTH = re.compile(rf"[{HAN}「」）][,;:?] ?[{HAN}「“]|[{HAN}]\([^()]*[{HAN}][^()]*\)[{HAN}，。；]")


def _zh_sentence(text: str) -> bool:
    """A Chinese sentence (not English prose that names a sheet): far more Han than Latin words."""
    body = re.sub(r"\{[^{}]*\}", "", text)
    return len(re.findall(f"[{HAN}]", body)) > 3 * len(re.findall(r"[A-Za-z]{2,}", body))


def _string_literals(path: Path) -> list[tuple[int, str]]:
    """(line, text) of the string literals of a module, docstrings and raw strings (regexes) left out."""
    source = path.read_text(encoding="utf-8")
    docs = {n.value.lineno for n in ast.walk(ast.parse(source))
            if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)}
    out = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        literal = tok.type == tokenize.STRING and tok.start[0] not in docs
        raw = tok.string.lstrip("bfBF").startswith(("r", "R"))
        if (literal and not raw) or tok.type == getattr(tokenize, "FSTRING_MIDDLE", -1):
            out.append((tok.start[0], tok.string))
    return out


def test_chinese_sentences_use_full_width_punctuation() -> None:
    bad = []
    for path in sorted(SRC.rglob("*.py")):
        for line, text in _string_literals(path):
            if _zh_sentence(text) and HALF_WIDTH.search(text):
                bad.append(f"{path.relative_to(SRC)}:{line}: {text}")
    tables = [*(zh for zh, _ in MESSAGES.values()), *(zh for zh, _ in REASONS.values()),
              *(zh for zh, _ in STATUS.values()), *(zh for zh, _ in CODE_TITLES.values()),
              *(zh for zh, _ in TOTALS.values()), *(zh for zh, _ in STEPS.values()), *cli_i18n.CLICK_ZH.values()]
    bad += [text for text in tables if HALF_WIDTH.search(text) or re.search(rf"[{HAN}][,;:?]", text)]
    assert not bad, "\n".join(bad)


def test_every_code_has_a_meaning() -> None:
    assert set(CODE_TITLES) == set(Code) == set(MESSAGES)
    assert code_title(Code.BAD_USCC) == "统一社会信用代码有误（bad-uscc）"
    assert code_title(Code.BAD_USCC, "en") == "Invalid USCC (bad-uscc)"


# --------------------------------------------------------------------------------------------
# Item 9: numbers as people read them


@given(st.integers(min_value=-10**15, max_value=10**15))
def test_amounts_are_grouped_and_exact(fen: int) -> None:
    text = fen_to_display(fen)
    assert re.fullmatch(r"-?\d{1,3}(,\d{3})*\.\d{2}", text)
    assert Decimal(text.replace(",", "")) * 100 == fen


def test_amount_examples() -> None:
    assert fen_to_display(272416346) == "2,724,163.46"
    assert fen_to_display(-5) == "-0.05" and fen_to_display(0) == "0.00" and fen_to_display(100000) == "1,000.00"


def test_console_tables_wrap_long_messages_instead_of_cutting_them(monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(cli.out, "width", 60)
    advice = "请在 Excel 中打开并保存后重试，然后再次运行校验命令确认问题已经解决"
    table = cli.console_table(("工作表", "说明", "金额"), right=("金额",))
    table.add_row("客户档案", "公式没有计算结果（缓存值）：" + advice, cli.money(272416346))
    table.add_row("路线", "上海浦东新区", "1.00")
    cli.out.print(table)
    printed = capsys.readouterr().out
    assert "…" not in printed
    cells = [line.split("│") for line in printed.splitlines() if line.count("│") == 4]
    message = "".join(c[2].strip() for c in cells)  # the 说明 column, line by line
    assert advice.replace(" ", "") + "上海浦东新区" in message.replace(" ", ""), printed
    assert "上海浦东新区" in printed and "2,724,163.46" in printed


def test_demo_sub_zones_are_whole_names() -> None:
    from salesxl.demo import _district_short

    assert _district_short("浦东新区") == "浦东新区" and _district_short("西湖区") == "西湖"
    assert _district_short("海宁市") == "海宁市" and _district_short("城区") == "城区"


@pytest.fixture(scope="module")
def classified(tmp_path_factory: pytest.TempPathFactory, demo_factory: Callable[..., Path]) -> tuple[Any, Path]:
    from salesxl import api
    from salesxl.demo import DEMO_END

    root = tmp_path_factory.mktemp("classified")
    demo = demo_factory(root, clean=True)
    return api.classify_to_book(demo, as_of=DEMO_END, out=root / "分类.xlsx")


def test_classification_sheets_read_right(classified: tuple[Any, Path]) -> None:
    result, written = classified
    wb = openpyxl.load_workbook(written.written)
    # 信用建议: limits in whole 百元
    ws = wb["信用建议"]
    heads = [c.value for c in ws[1]]
    col = heads.index("建议信用额度") + 1
    limits = [ws.cell(r, col).value for r in range(2, ws.max_row + 1) if ws.cell(r, col).value is not None]
    assert limits and all(Decimal(str(v)) % 100 == 0 for v in limits)
    assert ws.cell(1, col).alignment.horizontal == "right"  # the header sits over its numbers
    assert ws.cell(1, heads.index("客户名称") + 1).alignment.horizontal in (None, "general", "left")
    # 信用政策: months are whole numbers
    policy = wb["信用政策"]
    months = [policy.cell(r, 2).value for r in range(2, policy.max_row + 1)]
    assert months == [3, 2, 1, 0] and all(isinstance(m, int) for m in months)
    # 路线: coordinates with 6 decimals
    routes = wb["路线"]
    heads = [c.value for c in routes[1]]
    lat = heads.index("纬度") + 1
    cell = next(routes.cell(r, lat) for r in range(2, routes.max_row + 1) if routes.cell(r, lat).value is not None)
    assert cell.number_format == "0.000000"
    # zones are never cut: every zone is a 片区, a province/city, or a whole district name
    zones = set(result.customers["zone"].dropna())
    assert not any(z.endswith("新") for z in zones), zones
    assert {z for z in zones if "浦东" in z} <= {"上海浦东新区"}


def test_suggested_limit_rounding_examples() -> None:
    from salesxl.core.classification import GradeTerms

    assert GradeTerms("A", Decimal(3), 60, False).limit_fen(Fraction(90_805_449, 1)) == 272_420_000  # 2,724,163.47
    assert GradeTerms("B", Decimal(2), 30, False).limit_fen(Fraction(2_500, 1)) == 10_000  # 50 yuan → 100, half up


# --------------------------------------------------------------------------------------------
# Items 8 and 10: the batch


@pytest.fixture(scope="module")
def batch_run(tmp_path_factory: pytest.TempPathFactory, demo_factory: Callable[..., Path]) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("lang-batch")
    demo = demo_factory(root / "demo", clean=True)
    master = fresh_master(demo, root / "office")
    inbox = root / "inbox"
    files = issue(master, inbox, "李静", "张伟")
    edit_template(files["李静"],
                  cards={"KH00001": {"地址": "宁波市北仑区新碶街道明州路1号", "备注": None},  # 备注 cleared
                         "KH00008": {"联系电话": "12345"}},  # bad-phone: the row is rejected
                  new=[{"客户性质": "一般公司", "地址": "没写名称的新客户"}],  # no name
                  visits=[[datetime(2026, 11, 7), "李静", "KH00003", None, "电话", "别人的客户", None]])
    edit_template(files["张伟"], cards={"KH00007": {"业务员": "赵磊"}},
                  rows=[{"客户编号": "KH09999", "客户名称": "不存在的客户"}])
    before = cards_of(master)["KH00001"]["备注"]
    out = root / "out"
    report = run_batch(inbox, master, out)
    return {"root": root, "master": master, "inbox": inbox, "out": out, "report": report, "before": before,
            "demo": demo, "files": files}


def test_rejected_rows_name_their_field_and_value(batch_run: dict[str, Any]) -> None:
    for person in ("李静", "张伟"):
        ws = openpyxl.load_workbook(batch_run["out"] / f"反馈-{person}.xlsx")["未采纳"]
        rows = list(ws.iter_rows(min_row=2, values_only=True))
        assert rows
        for row in rows:
            assert row[4] and row[5] is not None, row  # 字段, 值
    li = {r[2]: r for r in openpyxl.load_workbook(batch_run["out"] / "反馈-李静.xlsx")["未采纳"].iter_rows(
        min_row=2, values_only=True) if r[1] == "客户档案"}
    phone = next(r for r in li.values() if r[3] == "KH00008")
    assert phone[4:6] == ("联系电话", "12345")
    nameless = next(r for r in li.values() if r[3] is None)
    assert nameless[4:6] == ("客户名称", "（空）")
    zhang = list(openpyxl.load_workbook(batch_run["out"] / "反馈-张伟.xlsx")["未采纳"].iter_rows(min_row=2,
                                                                                            values_only=True))
    assert ("业务员", "赵磊") in {r[4:6] for r in zhang} and ("客户编号", "KH09999") in {r[4:6] for r in zhang}


def test_feedback_shows_meanings_not_codes(batch_run: dict[str, Any]) -> None:
    ws = openpyxl.load_workbook(batch_run["out"] / "反馈-李静.xlsx")["问题"]
    heads = [c.value for c in ws[1]]
    assert "代码" not in heads and "问题类型" in heads
    kinds = [r[heads.index("问题类型")] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert "联系电话有误（bad-phone）" in kinds
    codes = {c.value for c in Code}
    for row in ws.iter_rows(min_row=2, values_only=True):
        assert not any(v in codes for v in row), row  # never a bare code
    accepted = list(openpyxl.load_workbook(batch_run["out"] / "反馈-李静.xlsx")["已采纳"].iter_rows(
        min_row=2, values_only=True))
    assert ("备注", batch_run["before"], "（清空）") in {r[4:7] for r in accepted}


def test_change_log_time_is_a_date_time_and_a_cleared_field_says_so(batch_run: dict[str, Any]) -> None:
    ws = openpyxl.load_workbook(batch_run["master"])[LOG_SHEET]
    heads = [c.value for c in ws[1]]
    rows = list(ws.iter_rows(min_row=2))
    assert rows
    for row in rows:
        cell = row[heads.index("时间")]
        assert isinstance(cell.value, datetime) and cell.number_format == "yyyy-mm-dd hh:mm:ss"
    cleared = [r for r in rows if r[heads.index("字段")].value == "备注"]
    assert cleared and cleared[0][heads.index("新值")].value == CLEARED
    assert cleared[0][heads.index("原值")].value == batch_run["before"]
    assert cards_of(batch_run["master"])["KH00001"]["备注"] is None  # the card itself is blank


def test_a_second_batch_changes_nothing_and_appends_date_times(batch_run: dict[str, Any], tmp_path: Path) -> None:
    """The change log read back (（清空） is blank again) gives the same state: nothing re-applied,
    and a new change appended below the old rows is a date-time cell too."""
    master = tmp_path / "销售管理.xlsx"
    shutil.copyfile(batch_run["master"], master)
    inbox = tmp_path / "inbox"
    shutil.copytree(batch_run["inbox"], inbox)
    report = run_batch(inbox, master, tmp_path / "out")
    assert {f.status for f in report.files} == {"already-applied"}
    more = issue(master, tmp_path / "inbox2", "李静")
    edit_template(more["李静"], cards={"KH00001": {"备注": "重新填写的备注"}})
    report = run_batch(tmp_path / "inbox2", master, tmp_path / "out2")
    assert [f.changes for f in report.files] == [1] and not report.files[0].conflicts
    rows = own_rows(master, LOG_SHEET)
    assert len(rows) == len(own_rows(batch_run["master"], LOG_SHEET)) + 1
    ws = openpyxl.load_workbook(master)[LOG_SHEET]
    assert isinstance(ws.cell(ws.max_row, 1).value, datetime)


def test_batch_report_summary_is_labelled_numbers(batch_run: dict[str, Any]) -> None:
    ws = openpyxl.load_workbook(batch_run["out"] / "批处理报告.xlsx")["概要"]
    assert [c.value for c in ws[1]] == ["项目", "数量", "内容"]
    rows = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    doc = batch_run["report"].to_json()
    for key, (label, _) in TOTALS.items():
        assert rows[label][1] == doc["totals"][key] and isinstance(rows[label][1], int)
    assert not any(re.fullmatch(r"[a-z_]+", str(k)) for k in rows), rows  # no English keys
    assert isinstance(rows["时间"][2], str) and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", rows["时间"][2])


def test_batch_report_in_english(batch_run: dict[str, Any], tmp_path: Path) -> None:
    from salesxl.batch.feedback import feedback_sheets, report_sheets

    sheets = {s.name: s for s in report_sheets(batch_run["report"], "en")}
    about = {r[0]: r for r in sheets["About"].rows}
    assert about["Files"][1] == len(batch_run["report"].files)
    assert not any(CJK.search(str(r[0])) for r in sheets["About"].rows)
    li = [f for f in batch_run["report"].files if f.salesperson == "李静"]
    fb = {s.name: s for s in feedback_sheets(li, "en")}
    assert "Invalid phone number (bad-phone)" in {r[7] for r in fb["Findings"].rows}
    assert ("客户编号", "KH00003") in {(r[4], r[5]) for r in fb["Rejected"].rows}  # the field's canonical name
    assert "(cleared)" in {r[6] for r in fb["Accepted"].rows}


def test_batch_console_summary_in_both_languages(batch_run: dict[str, Any], tmp_path: Path, shown: Any,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    master = fresh_master(batch_run["demo"], tmp_path / "office")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for path in batch_run["files"].values():
        shutil.copyfile(path, inbox / path.name)
    monkeypatch.setattr(cli.out, "width", 100)
    code, out, _ = shown("batch", str(inbox), "--master", str(master), "--month", MONTH, "--out", str(tmp_path / "o"),
                         "--as-of", "2026-11-27", "--workers", "1")
    assert code == 1, out
    for label in ("校验：", "客户细分：", "预收冲应收：", "月报：", "批处理报告：", "母版已更新，备份："):
        assert label in out, out
    assert "无可合并的修改" in out or "已合并" in out
    assert not re.search(r"^(validate|classify|offset|summary):", out, re.M) and "…" not in out, out
    master = fresh_master(batch_run["demo"], tmp_path / "office-en")
    code, out, _ = shown("batch", str(inbox), "--master", str(master), "--month", MONTH, "--out",
                         str(tmp_path / "o-en"), "--as-of", "2026-11-27", "--workers", "1", "--lang", "en")
    for label in ("Check: ", "Classification: ", "Offset: ", "Monthly report: ", "Batch report: "):
        assert label in out, out
    table = out.split("Master updated")[0]
    assert not CJK.search(re.sub(r"\S+\.xlsx|李静|张伟", "", table)), table


def test_header_alignment_follows_the_values(tmp_path: Path) -> None:
    from salesxl.io.results import Column, ResultSheet, write_result_sheets

    book = tmp_path / "b.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "x"
    wb.save(book)
    sheet = ResultSheet("结果", [Column("客户"), Column("金额", "amount"), Column("天数", "int"), Column("日期", "date"),
                                 Column("时间", "datetime"), Column("纬度", "coordinate")],
                        [["甲", 272416346, 3, date(2026, 1, 2), datetime(2026, 1, 2, 9, 30, 5), 30.123456789]])
    written = write_result_sheets(book, [sheet], out=tmp_path / "out.xlsx").written
    ws = openpyxl.load_workbook(written)["结果"]
    assert ws["A1"].alignment.horizontal in (None, "general", "left")
    assert [ws.cell(1, c).alignment.horizontal for c in range(2, 7)] == ["right"] * 5
    assert ws["E2"].value == datetime(2026, 1, 2, 9, 30, 5) and ws["E2"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert ws["F2"].value == 30.123457 and ws["F2"].number_format == "0.000000"
