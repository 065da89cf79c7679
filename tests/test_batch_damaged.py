"""``salesxl batch`` (issue 13, items 16–19): a damaged template never changes the archive.

Templates are issued by salesxl's own writer and then damaged the way a salesperson does it,
with openpyxl: a column deleted, a header cleared or renamed, columns swapped, a sheet removed.
The batch runs for real.  Such a file is reported as damaged — in the report, the ``--json``
document and the salesperson's feedback, naming the column or sheet — and nothing of it is
merged; a batch with nothing to apply leaves the master's bytes alone (no write, no backup).
Also here: the one rule for a new customer (统一社会信用代码 unless 个人) as the template's
instructions, its input messages and conditional formats and the batch state and enforce it,
and the 月报 made from a master the batch could not update says so on 概览.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from salesxl import api
from salesxl.batch.master import RECORD_SHEET
from salesxl.core.findings import Code
from salesxl.core.schema import CUSTOMERS, requirement_text
from salesxl.core.templates import (
    CARD_FIELDS,
    EDITABLE_FIELDS,
    LAYOUT,
    META_SHEET,
    VISIT_FIELDS,
    SeenSheet,
    layout_problems,
    new_customer_rule,
    parse_meta,
)
from salesxl.io.templates import column_letter
from test_batch import (
    MONTH,
    by_file,
    cards_of,
    cli,
    demo_master,  # noqa: F401 - the session's demo company
    edit_template,
    excel_owner_file,
    fresh_master,
    issue,
    own_rows,
    run,
    template_rows,
)

#: 赵磊's cards in the demo: KH00018 a company, KH00056 谢华 an individual.
WHO, COMPANY, PERSON = "赵磊", "KH00018", "KH00056"


def backups(master: Path) -> list[Path]:
    return sorted(master.parent.glob(f"{master.stem}.备份-*"))


def sheet_rows(path: Path, sheet: str) -> list[tuple[Any, ...]]:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return [tuple(r) for r in wb[sheet].iter_rows(values_only=True)]
    finally:
        wb.close()


def filled(path: Path) -> None:
    """What the salesperson really did: an individual's phone edited (the issue's C0094 =
    C0016), an address, a new customer and a visit."""
    edit_template(path, cards={PERSON: {"联系电话": "13912345678"}, COMPANY: {"地址": "北京市朝阳区新址1号"}},
                  new=[{"客户名称": "北京新客户有限公司", "客户性质": "个人", "联系电话": "13800000077"}],
                  visits=[[datetime(2026, 11, 5), WHO, COMPANY, None, "上门", "回访", None]])


def damage(path: Path, how: Callable[[openpyxl.Workbook], None]) -> None:
    wb = openpyxl.load_workbook(path)
    how(wb)
    wb.save(path)


def header_col(name: str) -> int:
    return CARD_FIELDS.index(name) + 1


def _swap(wb: openpyxl.Workbook) -> None:
    ws = wb["客户档案"]
    a, b = ws.cell(2, header_col("地址")), ws.cell(2, header_col("备注"))
    a.value, b.value = b.value, a.value


#: How a salesperson damages a template → (the column or sheet the verdict must name, kind).
DAMAGES: dict[str, tuple[Callable[[openpyxl.Workbook], None], str, str]] = {
    "客户编号 column deleted": (lambda wb: wb["客户档案"].delete_cols(1), "客户编号", "missing-column"),
    "客户编号 header cleared": (lambda wb: setattr(wb["客户档案"].cell(2, 1), "value", None), "客户编号",
                             "blank-header"),
    "地址 renamed 详细地址": (lambda wb: setattr(wb["客户档案"].cell(2, header_col("地址")), "value", "详细地址"),
                          "详细地址", "renamed-header"),
    "地址 and 备注 swapped": (_swap, "备注", "moved-column"),
    "拜访 sheet removed": (lambda wb: wb.remove(wb["拜访"]), "拜访", "missing-sheet"),
    "title row deleted": (lambda wb: wb["客户档案"].delete_rows(1), "第 2 行", "header-row"),
}


@pytest.mark.parametrize("case", list(DAMAGES))
def test_damaged_template_changes_nothing(case: str, demo_master: Path, tmp_path: Path) -> None:  # noqa: F811
    how, named, kind = DAMAGES[case]
    master = fresh_master(demo_master, tmp_path / "office")
    inbox = tmp_path / "inbox"
    path = issue(master, inbox, WHO)[WHO]
    filled(path)
    damage(path, how)
    data = master.read_bytes()
    report = run(inbox, master, tmp_path / "out")

    f = by_file(report)[path.name]
    assert f.status == "damaged" and f.salesperson == WHO
    assert (f.changes, f.new_customers, f.visits) == (0, 0, 0)
    assert [p.kind for p in f.merge.damage][:1] == [kind]
    assert named in f.message("zh") and "未合并" in f.message("zh") and "2026-11-01" in f.message("zh")
    assert "damaged" in f.message("en") and "nothing in it was merged" in f.message("en")
    # Not one byte of the master changed, and no backup was made for nothing.
    assert master.read_bytes() == data and not backups(master)
    assert not report.master_written and not report.master_needed and report.exit_code == 1
    assert not own_rows(master, RECORD_SHEET)  # not recorded: the corrected file is read next time
    # The report, and the salesperson's own feedback, say what differs and what to do.
    rows = sheet_rows(tmp_path / "out" / "批处理报告.xlsx", "批处理报告")
    [row] = [r for r in rows if r[0] == path.name]
    assert row[2] == "损坏（版式被改动），未合并" and named in row[10]
    feedback = tmp_path / "out" / f"反馈-{WHO}.xlsx"
    assert [p.name for p in report.feedback] == [feedback.name]
    summary = sheet_rows(feedback, "概要")
    assert summary[1][1] == "损坏（版式被改动），未合并" and named in summary[1][10]
    rejected = sheet_rows(feedback, "未采纳")[1:]
    assert rejected and any(named in r[6] for r in rejected)
    assert not sheet_rows(feedback, "问题")[1:] and not sheet_rows(feedback, "已采纳")[1:]


def test_deleted_id_column_creates_no_customer(demo_master: Path, tmp_path: Path) -> None:  # noqa: F811
    """The issue's case: without 客户编号 every row read as a new customer, and an individual
    whose phone was edited passed the duplicate check as a second card."""
    master = fresh_master(demo_master, tmp_path / "office")
    inbox = tmp_path / "inbox"
    path = issue(master, inbox, WHO)[WHO]
    filled(path)
    damage(path, DAMAGES["客户编号 column deleted"][0])
    before = cards_of(master)
    report = run(inbox, master, tmp_path / "out")
    assert cards_of(master) == before
    [problem] = by_file(report)[path.name].merge.damage  # the cause, once: not the columns it shifted
    assert (problem.sheet, problem.column, problem.letter) == ("客户档案", "客户编号", "A")


def test_damaged_beside_good_files(demo_master: Path, tmp_path: Path) -> None:  # noqa: F811
    """One damaged file does not hold up the others; a re-run reports it again (it was not
    recorded) and applies nothing twice; the corrected file then merges."""
    master = fresh_master(demo_master, tmp_path / "office")
    inbox = tmp_path / "inbox"
    files = issue(master, inbox, WHO, "刘洋")
    filled(files[WHO])
    edit_template(files["刘洋"], cards={"KH00014": {"备注": "照常合并"}})
    intact = tmp_path / "intact.xlsx"
    intact.write_bytes(files[WHO].read_bytes())
    damage(files[WHO], DAMAGES["地址 renamed 详细地址"][0])
    report = run(inbox, master, tmp_path / "out")
    assert {n: f.status for n, f in by_file(report).items()} == {f"{WHO}.xlsx": "damaged", "刘洋.xlsx": "applied"}
    assert report.master_written and len(backups(master)) == 1
    after = cards_of(master)
    assert after["KH00014"]["备注"] == "照常合并" and after[COMPANY]["地址"] != "北京市朝阳区新址1号"
    assert [r[2] for r in own_rows(master, RECORD_SHEET)] == ["刘洋.xlsx"]
    data = master.read_bytes()
    again = run(inbox, master, tmp_path / "out2")
    assert {n: f.status for n, f in by_file(again).items()} == {f"{WHO}.xlsx": "damaged",
                                                                "刘洋.xlsx": "already-applied"}
    assert master.read_bytes() == data and len(backups(master)) == 1
    files[WHO].unlink()
    (inbox / f"{WHO}-重交.xlsx").write_bytes(intact.read_bytes())
    fixed = run(inbox, master, tmp_path / "out3")
    f = by_file(fixed)[f"{WHO}-重交.xlsx"]
    assert f.status == "applied" and (f.changes, f.new_customers, f.visits) == (2, 1, 1)
    assert cards_of(master)[COMPANY]["地址"] == "北京市朝阳区新址1号"


def test_nothing_to_apply_leaves_the_master_alone(demo_master: Path, tmp_path: Path) -> None:  # noqa: F811
    """A template returned as issued, or whose only edit is rejected: the master is not
    rewritten and no backup is made; the file says so instead of 已合并."""
    master = fresh_master(demo_master, tmp_path / "office")
    inbox = tmp_path / "inbox"
    files = issue(master, inbox, WHO, "刘洋")
    edit_template(files["刘洋"], rows=[{"客户编号": COMPANY, "客户名称": "别人的客户"}])  # 赵磊's: rejected
    data = master.read_bytes()
    report = run(inbox, master, tmp_path / "out")
    files_ = by_file(report)
    assert files_[f"{WHO}.xlsx"].status == files_["刘洋.xlsx"].status == "nothing-applied"
    assert files_[f"{WHO}.xlsx"].status_text() == "无可合并的修改"
    assert master.read_bytes() == data and not backups(master)
    assert not report.master_written and not report.master_needed
    assert report.exit_code == 1 and not files_[f"{WHO}.xlsx"].problem and files_["刘洋.xlsx"].problem
    assert {p.name for p in report.feedback} == {f"反馈-{WHO}.xlsx", "反馈-刘洋.xlsx"}


def test_cli_json_names_the_damage(demo_master: Path, tmp_path: Path) -> None:  # noqa: F811
    master = fresh_master(demo_master, tmp_path / "office")
    inbox = tmp_path / "inbox"
    path = issue(master, inbox, WHO)[WHO]
    filled(path)
    damage(path, DAMAGES["地址 renamed 详细地址"][0])
    done = cli("batch", str(inbox), "--master", str(master), "--month", MONTH, "--out", str(tmp_path / "out"),
               "--json", "--no-monthly", "--as-of", "2026-11-27")
    assert done.returncode == 1, done.stderr
    doc = json.loads(done.stdout)
    [f] = doc["files"]
    assert f["status"] == "damaged" and f["status_text"] == "损坏（版式被改动），未合并"
    assert "「地址」" in f["message"] and "「详细地址」" in f["message"]
    assert [(d["kind"], d["sheet"], d["column"], d["letter"], d["found"]) for d in f["damage"]] == [
        ("renamed-header", "客户档案", "地址", column_letter("地址"), "详细地址")]
    assert not doc["master_written"] and doc["backup"] is None and doc["totals"]["bad_files"] == 1


# --------------------------------------------------------------------------------------------
# The issued layout, recorded


def test_layout_recorded_and_old_templates_checked_against_the_writer(demo_master: Path,  # noqa: F811
                                                                      tmp_path: Path) -> None:
    """The meta sheet records the layout (版式); a template issued before it did has the
    layout the writer still draws, and is checked against that."""
    master = fresh_master(demo_master, tmp_path / "office")
    path = issue(master, tmp_path / "inbox", WHO)[WHO]
    rows = [list(r) for r in sheet_rows(path, META_SHEET)]
    assert parse_meta(rows).layout == LAYOUT
    assert [r[0] for r in rows[:8]] == ["键", "模板版本", "模板编号", "业务员", "发放时间", "母版", "母版客户数", "版式"]

    old = tmp_path / "old"  # as issued before 版式 existed: that row blank
    old.mkdir()
    for name, edit in (("intact", None), ("renamed", DAMAGES["地址 renamed 详细地址"][0])):
        copy = old / f"{name}.xlsx"
        copy.write_bytes(path.read_bytes())
        wb = openpyxl.load_workbook(copy)
        ws = wb[META_SHEET]
        assert ws.cell(8, 1).value == "版式"
        ws.cell(8, 1).value = ws.cell(8, 2).value = None
        if edit is not None:
            edit(wb)
        wb.save(copy)
        assert parse_meta([list(r) for r in sheet_rows(copy, META_SHEET)]).layout == LAYOUT
    edit_template(old / "intact.xlsx", cards={COMPANY: {"备注": "旧模板照常合并"}})
    report = run(old, master, tmp_path / "out")
    assert {n: f.status for n, f in by_file(report).items()} == {"intact.xlsx": "applied", "renamed.xlsx": "damaged"}
    assert cards_of(master)[COMPANY]["备注"] == "旧模板照常合并"


def seen(letters: dict[str, str], row: int = 2, texts: dict[str, str] | None = None) -> dict[str, SeenSheet]:
    visits = {f: chr(65 + i) for i, f in enumerate(VISIT_FIELDS)}
    return {"客户档案": SeenSheet(row, letters, texts or {}), "拜访": SeenSheet(1, visits)}


ISSUED = {f: column_letter(f) for f in CARD_FIELDS}
SHEETS = ("客户档案", "拜访", "说明", META_SHEET)


def test_layout_problems_rules() -> None:
    assert layout_problems(LAYOUT, SHEETS, seen(ISSUED)) == []
    # Extra columns to the right and extra sheets are the salesperson's own business.
    assert layout_problems(LAYOUT, (*SHEETS, "我的笔记"), seen(ISSUED)) == []
    # A column deleted: the deletion, not the columns it pushed left.
    shifted = {f: column_letter(CARD_FIELDS[i - 1]) for i, f in enumerate(CARD_FIELDS) if i}
    [p] = layout_problems(LAYOUT, SHEETS, seen(shifted, texts={"A": "业务员"}))
    assert (p.kind, p.column, p.letter) == ("missing-column", "客户编号", "A")
    # Renamed to a header the contract does not know: the reader does not see it at all.
    renamed = {f: v for f, v in ISSUED.items() if f != "地址"}
    [p] = layout_problems(LAYOUT, SHEETS, seen(renamed, texts={ISSUED["地址"]: "详细地址"}))
    assert (p.kind, p.found) == ("renamed-header", "详细地址")
    assert p.message() == f"「客户档案」{ISSUED['地址']}2 的表头「地址」被改成了「详细地址」"
    # Columns swapped: each moved one is named.
    swapped = {**ISSUED, "地址": ISSUED["备注"], "备注": ISSUED["地址"]}
    assert [(p.kind, p.column) for p in layout_problems(LAYOUT, SHEETS, seen(swapped))] == [
        ("moved-column", "地址"), ("moved-column", "备注")]
    # The header on another row; a sheet gone; a sheet whose header is gone.
    assert [p.kind for p in layout_problems(LAYOUT, SHEETS, seen(ISSUED, row=1))] == ["header-row"]
    assert [(p.kind, p.sheet) for p in layout_problems(LAYOUT, ("客户档案", "拜访"), seen(ISSUED))] == [
        ("missing-sheet", "说明")]
    assert [p.kind for p in layout_problems(LAYOUT, SHEETS, {"客户档案": SeenSheet(2, ISSUED)})] == ["no-header"]
    # Sheet names compare as Excel compares them.
    assert layout_problems(LAYOUT, ("客户档案 ", "拜访", "说明"), seen(ISSUED)) == []


# --------------------------------------------------------------------------------------------
# One rule for a new customer: the instructions, the template's checks and the batch


def test_template_states_the_rule_the_batch_enforces(demo_master: Path, tmp_path: Path) -> None:  # noqa: F811
    master = fresh_master(demo_master, tmp_path / "office")
    path = issue(master, tmp_path / "inbox", WHO)[WHO]
    rule = requirement_text(CUSTOMERS, "统一社会信用代码")
    assert rule == "除客户性质为「个人」外，都须填写统一社会信用代码"
    assert new_customer_rule() == "至少填写客户名称和客户性质；" + rule
    instructions = "".join(str(r[0]) for r in sheet_rows(path, "说明") if r and r[0])
    assert new_customer_rule() in instructions and "至少填写客户名称和客户性质。" not in instructions

    wb = openpyxl.load_workbook(path)
    ws = wb["客户档案"]
    prompts = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            prompts.setdefault(rng.coord.split(":")[0].rstrip("0123456789"), dv.prompt or "")
    uscc, nature = column_letter("统一社会信用代码"), column_letter("客户性质")
    assert rule in prompts[uscc] and rule in prompts[nature]
    assert prompts[column_letter("客户名称")].startswith("必填") and prompts[nature].startswith("必填")
    assert all(len(p) <= 255 for p in prompts.values())
    # Red where the contract's rule is broken: the formula reads the same rule.
    rules = {str(cf.sqref): [r.formula[0] for r in cf.rules] for cf in ws.conditional_formatting}
    [uscc_rule] = [f for ref, fs in rules.items() if ref.startswith(f"{uscc}3:") for f in fs]
    assert uscc_rule == f'AND(COUNTA($C3:${column_letter(EDITABLE_FIELDS[-1])}3)>0,${nature}3<>"个人",LEN(TRIM({uscc}3))=0)'
    for name in ("客户名称", "客户性质"):
        letter = column_letter(name)
        [f] = [f for ref, fs in rules.items() if ref.startswith(f"{letter}3:") for f in fs]
        assert f == f"AND(COUNTA($C3:${column_letter(EDITABLE_FIELDS[-1])}3)>0,LEN(TRIM({letter}3))=0)"
    wb.close()


def test_batch_enforces_the_same_rule(demo_master: Path, tmp_path: Path) -> None:  # noqa: F811
    master = fresh_master(demo_master, tmp_path / "office")
    inbox = tmp_path / "inbox"
    path = issue(master, inbox, WHO)[WHO]
    new = [
        {"客户名称": "北京无代码有限公司", "客户性质": "一般公司", "联系电话": "13800000081"},  # company, no USCC
        {"客户名称": "张三", "客户性质": "个人", "联系电话": "13800000082"},  # individual, no USCC: fine
        {"客户名称": "北京有代码有限公司", "客户性质": "一般公司", "统一社会信用代码": "91330200MA2H4XE57L"},
        {"客户名称": "只填了名称"},  # no 客户性质
        {"客户性质": "个人", "联系电话": "13800000083"},  # no 客户名称
    ]
    # An individual's card turned into a company without a USCC: the change makes it break the rule.
    edit_template(path, new=new, cards={PERSON: {"客户性质": "一般公司"}, COMPANY: {"备注": "照常合并"}})
    report = run(inbox, master, tmp_path / "out")
    fm = by_file(report)[path.name].merge
    created = {c.new for c in fm.new_customers}
    assert created == {"张三", "北京有代码有限公司"}
    rows = template_rows(openpyxl.load_workbook(path)["客户档案"])
    first_new = max(rows.values()) + 1
    why = {r.row - first_new: (r.code, [(f.field, f.code) for f in r.findings]) for r in fm.rejections
           if r.customer_id is None}
    assert why == {0: ("row-errors", [("统一社会信用代码", Code.MISSING_VALUE)]),
                   3: ("row-errors", [("客户性质", Code.MISSING_VALUE), ("统一社会信用代码", Code.MISSING_VALUE)]),
                   4: ("no-name", [])}
    [changed] = [r for r in fm.rejections if r.customer_id == PERSON]
    assert changed.code == "row-errors" and "个人" in changed.message()
    after = cards_of(master)
    assert after[PERSON]["客户性质"] == "个人" and after[COMPANY]["备注"] == "照常合并"


# --------------------------------------------------------------------------------------------
# The 月报 of a master the batch could not update


def overview_lines(report: Path) -> list[tuple[str, Any]]:
    """(text, font colour) of column A of 概览, top to bottom."""
    wb = openpyxl.load_workbook(report)
    ws = wb["概览"]
    out = [(c.value, c.font.color.rgb if c.font and c.font.color else None) for c in ws["A"] if isinstance(c.value, str)]
    wb.close()
    return out


def test_monthly_report_of_a_locked_master_says_so(demo_master: Path, tmp_path: Path) -> None:  # noqa: F811
    master = fresh_master(demo_master, tmp_path / "office")
    inbox = tmp_path / "inbox"
    edit_template(issue(master, inbox, WHO)[WHO], cards={COMPANY: {"备注": "锁定时的修改"}})
    lock = excel_owner_file(master, "王敏")
    report = run(inbox, master, tmp_path / "out", monthly=True)
    assert not report.master_written and report.monthly[-1].step == "summary" and report.monthly[-1].ok
    lines = overview_lines(report.monthly[-1].written)
    caveat = next(i for i, (text, _) in enumerate(lines) if "本月报基于未合并退回文件的档案" in text)
    text, colour = lines[caveat]
    assert "主档案被 王敏" in text and "打开，未更新" in text and "1 个退回文件" in text
    assert colour == "FFC00000"
    assert caveat == 2 and "概览" in lines[0][0]  # under the title, before any figure
    lock.unlink()
    report = run(inbox, master, tmp_path / "out2", monthly=True)
    assert report.master_written
    assert not any("未合并" in text for text, _ in overview_lines(report.monthly[-1].written))


def test_summary_caveats_on_the_first_page(demo_master: Path, tmp_path: Path) -> None:  # noqa: F811
    result = api.summary(demo_master, month=MONTH, out=tmp_path, caveats=["第一条警示", "第二条"])
    assert result.caveats == ["第一条警示", "第二条"]
    lines = overview_lines(result.written)
    assert [t for t, _ in lines[2:4]] == ["第一条警示", "第二条"] and lines[2][1] == "FFC00000"
    plain = api.summary(demo_master, month=MONTH, out=tmp_path / "plain.xlsx")
    assert not plain.caveats and overview_lines(plain.written)[2][0] == "本月要点"
