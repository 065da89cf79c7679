"""One truth across outputs (issue 14, items 6 and 7): the demo company built once, every command
run on it as a user would, and every count they print or write compared.

The customer universe (:mod:`salesxl.core.customers`) is every card of 客户档案 plus every
客户编号 found only on 销售/收款 rows — the demo has one, KH08888, a sale typed with an ID
that has no card.  offset, classify, the 月报 (等级构成, 信用分析, 区域构成, 客户动态, 概览, read
back from the written workbook), the route map and the statements must all count the same
customers and the same routes, and show the customer that is not on file as such.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from salesxl.core.customers import not_on_file
from salesxl.demo import DEMO_END
from salesxl.io.reading import read_book

AS_OF = DEMO_END.isoformat()
MONTH = AS_OF[:7]
NOT_ON_FILE_ID = "KH08888"  # planted by the demo: a sale to an ID with no card
SVG = "{http://www.w3.org/2000/svg}"


def salesxl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from salesxl.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=600)


def ok(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    # exit 1: the demo's planted unreadable 金额 is a reading error; anything else is a failure
    assert done.returncode in (0, 1), done.stderr
    return done


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, demo_factory: Callable[..., Path]) -> dict[str, Any]:
    """The demo company once, and every command's output on it."""
    tmp = tmp_path_factory.mktemp("agree")
    book = demo_factory(tmp / "demo")  # with its planted mistakes, as `salesxl demo` writes it
    report, svg, balances = tmp / "月报.xlsx", tmp / "路线图.svg", tmp / "往来.xlsx"
    got: dict[str, Any] = {"book": book, "tmp": tmp}
    got["offset"] = json.loads(ok(salesxl("offset", str(book), "--as-of", AS_OF, "--json")).stdout)
    got["offset_console"] = ok(salesxl("offset", str(book), "--as-of", AS_OF, "--out", str(balances))).stdout
    got["classify"] = json.loads(ok(salesxl("classify", str(book), "--as-of", AS_OF, "--json")).stdout)
    got["classify_console"] = ok(salesxl("classify", str(book), "--as-of", AS_OF, "--map", str(svg))).stdout
    got["summary"] = json.loads(ok(salesxl("summary", str(book), "--month", MONTH, "--json",
                                           "--out", str(report))).stdout)
    got["report"] = openpyxl.load_workbook(report)
    got["balances"] = openpyxl.load_workbook(balances, read_only=True)
    got["svg"] = ET.parse(svg).getroot()
    return got


# ---------------------------------------------------------------------------------------------
# Reading the outputs back


def rows(ws: Any) -> list[list[Any]]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def table(ws: Any, header: str, col: int = 0) -> list[list[Any]]:
    """The rows under the header row whose column ``col`` is ``header``, down to its 合计 row
    (included, last)."""
    all_rows = rows(ws)
    start = next(i for i, r in enumerate(all_rows) if r[col] == header)
    out = []
    for r in all_rows[start + 1:]:
        out.append(r)
        if "合计" in r[:3]:
            return out
    raise AssertionError(f"no 合计 under {header!r} in {ws.title}")


def console_count(text: str) -> int:
    found = re.search(r"客户 (\d+) 个", text)
    assert found, text
    return int(found.group(1))


def universe(book: Path) -> tuple[set[str], set[str]]:
    """(cards' IDs, IDs only in 销售/收款), read from the workbook itself."""
    b = read_book(book)
    cards = {str(v) for v in b.tables["客户档案"].frame["客户编号"].dropna()}
    ledger = {str(v) for name in ("销售", "收款") for v in b.tables[name].frame["客户编号"].dropna()}
    return cards, ledger - cards


# ---------------------------------------------------------------------------------------------
# Customers


def test_every_command_counts_the_same_customers(runs: dict[str, Any]) -> None:
    cards, only_ledger = universe(runs["book"])
    assert only_ledger == {NOT_ON_FILE_ID}
    everyone = cards | only_ledger
    off = [c["customer_id"] for c in runs["offset"]["customers"]]
    cls = [c["customer_id"] for c in runs["classify"]["customers"]]
    assert len(off) == len(set(off)) and len(cls) == len(set(cls))
    assert set(off) == set(cls) == everyone
    n = len(everyone)
    assert console_count(runs["offset_console"]) == console_count(runs["classify_console"]) == n
    for console in (runs["offset_console"], runs["classify_console"]):
        assert f"{not_on_file()} 1 个" in console and NOT_ON_FILE_ID in console

    ws = runs["balances"]["往来余额"]
    ids = [r[0] for r in rows(ws) if isinstance(r[0], str) and r[0] in everyone]
    assert sorted(ids) == sorted(everyone)
    named = {r[0]: r[1] for r in rows(ws) if r[0] in everyone}
    assert named[NOT_ON_FILE_ID] == not_on_file()

    report = runs["report"]
    level = table(report["等级构成"], "等级")
    assert level[-1][2] == n
    status = table(report["等级构成"], "客户状态", col=1)
    assert status[-1][2] == n
    grades = table(report["信用分析"], "信用等级", col=1)
    assert grades[-1][3] == n


def test_levels_statuses_and_grades_agree(runs: dict[str, Any]) -> None:
    cls = runs["classify"]["customers"]
    report = runs["report"]
    level = {r[0]: r[2] for r in table(report["等级构成"], "等级")[:-1]}
    assert level == dict(Counter(c["level"] for c in cls))
    names = {"潜在客户": "prospect", "新客户": "new", "现有客户": "current", "流失客户": "past"}
    status = {names[r[1]]: r[2] for r in table(report["等级构成"], "客户状态", col=1)[:-1]}
    assert status == {k: v for k, v in Counter(c["status"] for c in cls).items()}
    grades = {(None if r[1] == "—" else r[1]): r[3] for r in table(report["信用分析"], "信用等级", col=1)[:-1]}
    assert grades == dict(Counter(c["credit_grade"] for c in cls))
    # the customer that is not on file: level C, graded by its overdue days like everyone else
    off = {c["customer_id"]: c for c in runs["offset"]["customers"]}[NOT_ON_FILE_ID]
    mine = {c["customer_id"]: c for c in cls}[NOT_ON_FILE_ID]
    assert mine["level"] == "C" and mine["zone"] is None and mine["route"] is None
    assert off["aging"][">365"] == off["receivable"] and mine["credit_grade"] == "D"


def test_the_report_adds_up(runs: dict[str, Any]) -> None:
    doc, report = runs["summary"], runs["report"]
    kpi = {r[0]: r[1] for r in rows(report["概览"]) if isinstance(r[0], str)}
    sales = float(doc["sales"])
    buyers = kpi["成交客户数"]
    level = table(report["等级构成"], "等级")
    assert level[-1][4] == buyers and level[-1][5] == pytest.approx(sales)
    region = table(report["区域构成"], "排名")
    assert region[-1][2] == buyers and region[-1][3] == pytest.approx(sales)
    assert sum(r[2] for r in region[:-1]) == buyers  # a buyer has one province
    assert {k: pytest.approx(float(v)) for k, v in doc["by_region"].items()} == {r[1]: r[3] for r in region[:-1]}
    moves = Counter(r[0] for r in rows(report["客户动态"]) if r[0] in ("新客户", "回流客户", "流失客户"))
    assert moves["新客户"] == kpi["新客户数"] == doc["new_customers"]
    assert moves["回流客户"] == kpi["回流客户数"] and moves["流失客户"] == kpi["流失客户数"]
    new_ids = {r[1] for r in rows(report["客户动态"]) if r[0] == "新客户"}
    cls = {c["customer_id"]: c for c in runs["classify"]["customers"]}
    assert all(cls[i]["status"] == "new" for i in new_ids)
    aging = table(report["信用分析"], "账龄", col=1)
    grades = table(report["信用分析"], "信用等级", col=1)
    assert aging[-1][2] == pytest.approx(float(doc["receivable"])) == pytest.approx(grades[-1][4])
    receivable = sum(float(c["receivable"]) for c in runs["offset"]["customers"])
    assert receivable == pytest.approx(float(doc["receivable"]))


# ---------------------------------------------------------------------------------------------
# Routes


def test_map_and_console_count_the_same_routes(runs: dict[str, Any]) -> None:
    cls = runs["classify"]["customers"]
    routed = [c for c in cls if c["route"] is not None]
    zones: dict[str, tuple[set[str], int]] = {}
    for c in routed:
        r, k = zones.get(c["zone"], (set(), 0))
        r.add(c["route"])
        zones[c["zone"]] = (r, k + 1)
    texts = ["".join(t.itertext()) for t in runs["svg"].iter(f"{SVG}text")]
    counts = next(t for t in texts if t.startswith("地图上"))
    routes = len({c["route"] for c in routed})
    assert f"共 {len(routed)} 位、{routes} 条路线、{len(zones)} 个片区" in counts
    assert counts.split("；")[0] in runs["classify_console"]  # the console says what the map draws
    panels = [t for t in texts if " 条路线 · " in t]
    assert panels
    for title in panels:
        zone, rest = title.split(" · ", 1)
        found = re.match(r"(\d+) 条路线 · (\d+) 个客户", rest)
        assert found, title
        assert (int(found.group(1)), int(found.group(2))) == (len(zones[zone][0]), zones[zone][1]), title
    # the console's table shows the same figures for its zones
    console = runs["classify_console"]
    for zone, (r, k) in sorted(zones.items(), key=lambda z: -z[1][1])[:3]:
        assert re.search(rf"{re.escape(zone)}\s*│\s*{len(r)}\s*│\s*{k}\s*│", console), zone
    drawn = len(runs["svg"].findall(f"{SVG}polyline"))
    assert f"{drawn} 条路线" in counts


# ---------------------------------------------------------------------------------------------
# Statements, and messages that say what happened (item 7)


def test_statements_cover_the_customer_not_on_file(runs: dict[str, Any]) -> None:
    out = runs["tmp"] / "对账单"
    done = salesxl("statement", str(runs["book"]), "--as-of", AS_OF, "--out", str(out),
                   "--customer", NOT_ON_FILE_ID, "--customer", "KH00133")
    assert done.returncode == 1, done.stderr  # the reading error, reported as the others do
    assert "读取时发现 1 个错误" in done.stdout and "数量 × 单价 计入" in done.stdout
    files = sorted(p.name for p in out.iterdir())
    assert len(files) == 2 and any(NOT_ON_FILE_ID in f for f in files)
    off = {c["customer_id"]: c for c in runs["offset"]["customers"]}
    wb = openpyxl.load_workbook(next(p for p in out.iterdir() if NOT_ON_FILE_ID in p.name))
    values = [v for ws in wb.worksheets for r in ws.iter_rows(values_only=True) for v in r]
    assert float(off[NOT_ON_FILE_ID]["receivable"]) in values


def test_reading_errors_say_what_happened(runs: dict[str, Any]) -> None:
    for console in (runs["offset_console"], runs["classify_console"]):
        note = next(line for line in console.splitlines() if line.startswith("读取时发现"))
        # the demo's 金额「一千二」: the line is counted as 数量 × 单价, not left out
        assert "按 数量 × 单价 计入" in note and "相关行未计入" not in note
    done = salesxl("offset", str(runs["book"]), "--as-of", AS_OF, "--lang", "en")
    assert "quantity × unit price" in done.stdout


def test_summary_without_sales_sheet_exits_2(runs: dict[str, Any], tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(runs["book"])
    del wb["销售"]
    path = tmp_path / "no-sales.xlsx"
    wb.save(path)
    done = salesxl("summary", str(path), "--month", MONTH, "--out", str(tmp_path / "月报.xlsx"))
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert done.stderr.strip().endswith("工作簿中没有「销售」工作表，无法生成月报")
    assert not (tmp_path / "月报.xlsx").exists()
