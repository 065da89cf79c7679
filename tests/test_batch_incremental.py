"""The batch's incremental check (issue 20) and the master's parsed-state cache.

A returned template's unchanged cards take their one-row findings from one check of the master
(:mod:`salesxl.core.incremental`); only the changed rows are validated in the worker, plus the
rules that compare rows, over the whole file.  The property test holds the result equal to a
full check of the same file, finding for finding, under random edits, new rows and duplicates
made between changed and unchanged rows; a master changed since issue makes the file fall back
to the full check.  The cache (:mod:`salesxl.batch.cache`) is used when its hash is the
master's, ignored otherwise, and deleting it changes nothing but the time.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesxl import api
from salesxl.batch import run as batch_run
from salesxl.batch.cache import MAGIC, cache_path, load_cache
from salesxl.batch.master import read_master
from salesxl.batch.workers import load_template
from salesxl.core.identifiers import uscc_check_char
from salesxl.core.incremental import complete, master_check
from salesxl.core.merge import ReturnedBook, returned_from_books
from salesxl.core.returned import complete_returned
from salesxl.core.tables import ROW
from salesxl.core.templates import CARD_FIELDS
from salesxl.io.files import sha256_of
from test_batch import edit_template, office_edit

AS_OF = date(2026, 11, 27)
PEOPLE = ("甲一", "乙二")
PER = 14


def _uscc(i: int) -> str:
    base = f"9133010{i:010d}"
    return base + uscc_check_char(base)


def _cards() -> list[dict[str, Any]]:
    """Two salespeople's cards, with one-row problems and duplicates inside and across them."""
    out = []
    for i in range(2 * PER):
        out.append({
            "客户编号": f"KH{i + 1:03d}", "客户名称": f"杭州{i + 1}号商贸有限公司", "客户性质": "一般公司",
            "统一社会信用代码": _uscc(i), "联系电话": f"1390000{i:04d}", "地址": f"文三路{i + 1}号",
            "省份": "浙江省", "城市": "杭州市", "资产规模": 100000 + i, "成立日期": datetime(2001, 1 + i % 12, 1),
            "业务员": PEOPLE[i // PER], "纬度": 30.2, "经度": 120.1, "备注": None,
        })
    planted: dict[int, dict[str, Any]] = {
        1: {"联系电话": "12345"}, 2: {"统一社会信用代码": "9133"}, 3: {"成立日期": datetime(2030, 1, 1)},
        4: {"纬度": 99.5, "经度": None}, 5: {"资产规模": -5}, 6: {"客户名称": "杭州1号商贸有限公司"},
        7: {"客户性质": "个人", "统一社会信用代码": None}, 8: {"统一社会信用代码": None},
        9: {"客户性质": "合伙企业"}, 10: {"客户名称": None},
        PER + 1: {"联系电话": "13900000000"},  # 甲一's first card's phone, across salespeople
        PER + 2: {"统一社会信用代码": _uscc(PER + 3)}, PER + 4: {"客户名称": "杭州4号商贸"},
    }
    for i, values in planted.items():
        out[i].update(values)
    return out


def write_master(path: Path) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    dates = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws = wb.add_worksheet("客户档案")
    ws.write_row(0, 0, CARD_FIELDS)
    for r, card in enumerate(_cards(), start=1):
        for c, name in enumerate(CARD_FIELDS):
            v = card.get(name)
            if isinstance(v, datetime):
                ws.write_datetime(r, c, v, dates)
            elif v is not None:
                ws.write(r, c, v)
    vs = wb.add_worksheet("拜访")
    vs.write_row(0, 0, ["日期", "业务员", "客户编号", "客户名称", "方式", "内容", "下次计划"])
    sp = wb.add_worksheet("业务员")
    sp.write_row(0, 0, ["业务员", "片区", "提成比例"])
    for k, who in enumerate(PEOPLE, start=1):
        sp.write_row(k, 0, [who, "片区1", 0.02])
    wb.close()
    return path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("incremental")
    master = write_master(folder / "销售管理.xlsx")
    inbox = folder / "inbox"
    inbox.mkdir()
    books = []
    for who in PEOPLE:
        path = api.salesperson_template(master, salesperson=who, out=inbox / f"{who}.xlsx", as_of=date(2026, 11, 1))
        books.append(load_template(path, who))
    return {"master": master, "books": books, "check": master_check(read_master(master), as_of=AS_OF)}


# --------------------------------------------------------------------------------------------
# Edits to a template's typed 客户档案 (as the reader would have typed the salesperson's cells)

NAMES = ["杭州1号商贸有限公司", "杭州1号商贸", "杭州16号商贸有限公司", "新客户甲", None]
PHONES = ["13900000000", "13900000016", "13912345678", "12345", None]
USCCS = [_uscc(0), _uscc(PER + 3), _uscc(99), "无", None]
VALUES: dict[str, list[Any]] = {
    "客户名称": NAMES, "联系电话": PHONES, "统一社会信用代码": USCCS,
    "客户性质": ["个人", "一般公司", "合伙企业", None],
    "资产规模": [-100, 500000, None], "成立日期": [pd.Timestamp(2031, 2, 3), pd.Timestamp(1999, 9, 9), None],
    "纬度": [88.0, 30.3, None], "经度": [120.2, None], "备注": ["新备注", None],
    "客户编号": ["KH001", "KH016", "KH999", None],
}
edit = st.tuples(st.integers(0, PER + 3), st.sampled_from(sorted(VALUES)), st.integers(0, 4))


def edited(rb: ReturnedBook, edits: list[tuple[int, str, int]]) -> ReturnedBook:
    """``rb`` with cells set: row k < PER is a card, the rest spare rows (new customers)."""
    t = rb.book.tables["客户档案"]
    frame = t.frame.copy()
    spare = np.flatnonzero(frame["客户编号"].isna().to_numpy())
    for k, name, j in edits:
        if name == "客户编号" and k < PER:
            continue  # a card's own ID is locked; IDs are typed into spare rows
        at = k if k < PER else int(spare[k - PER])
        options = VALUES[name]
        value = options[j % len(options)]
        frame.loc[at, name] = pd.NA if value is None else value
    book = replace(rb.book, tables={**rb.book.tables, "客户档案": replace(t, frame=frame)})
    return replace(rb, book=book)


def dumped(found: list[Any]) -> list[dict[str, Any]]:
    return [f.model_dump() for f in found]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(edit, max_size=8), st.lists(edit, max_size=4))
def test_incremental_findings_equal_a_full_check(world: dict[str, Any], first: list[Any], second: list[Any]) -> None:
    """Per file, the incremental check plus the master's findings is the full check."""
    books = [edited(world["books"][0], first), edited(world["books"][1], second)]
    full = returned_from_books(books, as_of=AS_OF)
    quick = returned_from_books(books, as_of=AS_OF, incremental=True)
    assert all(b.pending is not None for b in quick)
    assert complete_returned(quick, world["check"]) == [True, True]
    for a, b in zip(full, quick, strict=True):
        assert b.pending is None
        assert dumped(b.findings) == dumped(a.findings)
        assert b.cards == a.cards and b.visits == a.visits and b.unchanged == a.unchanged


def test_inherited_findings_are_the_masters(world: dict[str, Any]) -> None:
    """Unedited, the files' findings come from the master (the pass is not vacuous), at the
    template's rows; a duplicate across salespeople is not in either file."""
    quick = returned_from_books(world["books"], as_of=AS_OF, incremental=True)
    codes = []
    for r in quick:
        assert r.pending is not None and len(r.pending.rows) == PER
        codes += [f.code.value for f in complete(r.findings, r.pending, world["check"], r.card_sheet) or []]
    for code in ("bad-phone", "bad-uscc", "date-order", "out-of-range", "missing-value", "bad-enum",
                 "possible-duplicate", "duplicate-id"):
        assert code in codes, code
    full = returned_from_books(world["books"], as_of=AS_OF)
    assert sum(len(r.findings) for r in full) == len(codes)


def test_a_card_changed_in_the_master_since_issue_needs_the_full_check(world: dict[str, Any]) -> None:
    master = read_master(world["master"])
    t = master["客户档案"]
    frame = t.frame.copy()
    frame.loc[frame["客户编号"] == "KH003", "备注"] = "办公室改过"
    drifted = replace(master, tables={**master.tables, "客户档案": replace(t, frame=frame)})
    r = returned_from_books(world["books"][:1], as_of=AS_OF, incremental=True)[0]
    assert r.pending is not None
    assert complete(r.findings, r.pending, master_check(drifted, as_of=AS_OF), r.card_sheet) is None
    again = t.frame.iloc[[2]].assign(**{ROW: int(t.frame[ROW].max()) + 1})  # KH003 twice in the master
    twice = pd.concat([t.frame, again], ignore_index=True)
    doubled = replace(master, tables={**master.tables, "客户档案": replace(t, frame=twice)})
    assert complete(r.findings, r.pending, master_check(doubled, as_of=AS_OF), r.card_sheet) is None


# --------------------------------------------------------------------------------------------
# The whole batch, with real files


@pytest.fixture(scope="module")
def returned(world: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The two templates filled in (an edit, a new customer duplicating a card, a bad phone),
    and a master in which the office changed one of 乙二's cards after issue."""
    folder = tmp_path_factory.mktemp("returned")
    inbox = folder / "inbox"
    shutil.copytree(world["master"].parent / "inbox", inbox)
    edit_template(inbox / "甲一.xlsx", cards={"KH002": {"备注": "回访"}, "KH005": {"联系电话": "1234"}},
                  new=[{"客户名称": "杭州3号商贸有限公司", "客户性质": "个人", "联系电话": "13900000002"}])
    edit_template(inbox / "乙二.xlsx", cards={"KH020": {"备注": "回访"}})
    master = folder / "销售管理.xlsx"
    shutil.copyfile(world["master"], master)
    office_edit(master, {"KH025": {"备注": "办公室改过"}})
    return folder


def _copy(src: Path, dst: Path) -> Path:
    dst.mkdir(parents=True)
    shutil.copytree(src / "inbox", dst / "inbox")
    shutil.copyfile(src / "销售管理.xlsx", dst / "销售管理.xlsx")
    return dst


def _findings(report: Any) -> dict[str, list[dict[str, Any]]]:
    return {f.file: dumped(list(f.merge.findings)) for f in report.files if f.merge is not None}


def test_batch_feedback_is_the_full_checks(returned: Path, tmp_path: Path) -> None:
    """The batch's findings per file, incremental (one file falls back: its master card
    changed) and full, are the same; so are the masters they write."""
    a, b = _copy(returned, tmp_path / "a"), _copy(returned, tmp_path / "b")
    quick = batch_run.run_batch(b / "inbox", master=b / "销售管理.xlsx", month="2026-10", out=b / "out", as_of=AS_OF,
                                monthly=False, workers=1, incremental=True)
    full = batch_run.run_batch(a / "inbox", master=a / "销售管理.xlsx", month="2026-10", out=a / "out", as_of=AS_OF,
                               monthly=False, workers=1, incremental=False)
    assert _findings(quick) == _findings(full)
    assert any(f["code"] == "bad-phone" for f in _findings(quick)["甲一.xlsx"])
    assert [f.status for f in quick.files] == [f.status for f in full.files] == ["applied", "applied"]


# --------------------------------------------------------------------------------------------
# The cache


def _run(folder: Path, **kw: Any) -> Any:
    return batch_run.run_batch(folder / "inbox", master=folder / "销售管理.xlsx", month="2026-10",
                               out=folder / "out", as_of=AS_OF, monthly=False, workers=1, **kw)


def _cells(master: Path) -> str:
    return read_master(master)["客户档案"].frame.drop(columns=[ROW]).to_csv()


def _parses(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Record each time the batch parses a master (the real reader still runs)."""
    seen: list[Path] = []

    def counted(path: Path) -> Any:
        seen.append(path)
        return read_master(path)

    monkeypatch.setattr(batch_run, "read_master", counted)
    return seen


def test_cache_is_keyed_by_the_masters_hash(returned: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch with the cache leaves it keyed by the bytes it read; a batch on those bytes
    again (the master restored) does not parse the master and merges the same."""
    folder = _copy(returned, tmp_path / "w")
    master = folder / "销售管理.xlsx"
    before = master.read_bytes()
    parses = _parses(monkeypatch)
    first = _run(folder, cache=True)
    assert cache_path(master).read_bytes().startswith(MAGIC + _sha(before).encode() + b"\n")
    written = _cells(master)
    master.write_bytes(before)  # the same bytes again
    shutil.rmtree(folder / "out")
    second = _run(folder, cache=True)
    assert len(parses) == 1
    assert _findings(second) == _findings(first) and _cells(master) == written


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def test_cache_of_other_bytes_is_never_trusted(returned: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """After the master changed (the office saved it), the cache is not used: the master is
    parsed again, the result is that of a batch without any cache, and the cache is renewed."""
    folder = _copy(returned, tmp_path / "w")
    master = folder / "销售管理.xlsx"
    plain = _copy(returned, tmp_path / "plain")
    _run(folder, cache=True)
    stale = cache_path(master).read_bytes()
    shutil.copyfile(returned / "销售管理.xlsx", master)
    office_edit(master, {"KH002": {"备注": "办公室又改了"}})
    office_edit(plain / "销售管理.xlsx", {"KH002": {"备注": "办公室又改了"}})
    cache_path(master).write_bytes(stale)
    shutil.rmtree(folder / "out")
    parses = _parses(monkeypatch)
    report = _run(folder, cache=True)
    assert len(parses) == 1
    assert load_cache(master, sha256_of(master)) is None  # the batch wrote the master since
    assert cache_path(master).read_bytes() != stale
    expected = _run(plain)
    assert _findings(report) == _findings(expected) and _cells(master) == _cells(plain / "销售管理.xlsx")


def test_cache_is_safe_to_delete_or_damage(returned: Path, tmp_path: Path) -> None:
    """Deleted or damaged, the cache only costs the parse: the batch's result is the same."""
    runs = []
    for k, spoil in enumerate((lambda p: p.unlink(), lambda p: p.write_bytes(MAGIC + b"0" * 64 + b"\nnot a pickle"),
                               lambda p: p.write_bytes(p.read_bytes()[:-100]))):
        folder = _copy(returned, tmp_path / f"w{k}")
        master = folder / "销售管理.xlsx"
        original = master.read_bytes()
        _run(folder, cache=True)
        master.write_bytes(original)
        shutil.rmtree(folder / "out")
        spoil(cache_path(master))
        if k == 1:  # a damaged cache that claims this master's hash
            cache_path(master).write_bytes(MAGIC + _sha(original).encode() + b"\nnot a pickle")
        runs.append((_findings(_run(folder, cache=True)), _cells(master)))
    plain = _copy(returned, tmp_path / "plain")
    expected = (_findings(_run(plain)), _cells(plain / "销售管理.xlsx"))
    assert all(r == expected for r in runs)
