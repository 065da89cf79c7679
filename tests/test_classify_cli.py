"""``salesxl classify`` as users meet it (spec §5): the JSON document, the out columns written
into 客户档案 without touching a typed value, the 路线 / 信用建议 / 信用政策 sheets, a re-run
that changes nothing, the office's own 信用政策 kept, and LibreOffice opening the result.

Everything runs on the clean demo workbook (400 customers, 8,000 sales lines), written by the
demo generator and read back for real.
"""

from __future__ import annotations

import functools
import json
import math
import shutil
import subprocess
import sys
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from salesxl import api
from salesxl.core.classification import LEVEL_NAMES, STATUS_NAMES
from salesxl.demo import DEMO_END
from salesxl.io.reading import read_book

AS_OF = DEMO_END.isoformat()
OUT_COLUMNS = ("片区", "路线", "拜访顺序", "客户等级", "客户状态", "信用等级")


def salesxl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from salesxl.cli import main; main()", *args],
        capture_output=True, text=True, timeout=300,
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, demo_factory: Callable[..., Path]) -> Path:
    return demo_factory(tmp_path_factory.mktemp("demo"), clean=True)


@pytest.fixture(scope="module")
def classified(demo: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("out") / "classified.xlsx"
    done = salesxl("classify", str(demo), "--as-of", AS_OF, "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "路线" in done.stdout
    js = salesxl("classify", str(demo), "--as-of", AS_OF, "--json")
    assert js.returncode == 0, js.stderr
    return out, json.loads(js.stdout)


def values(path: Path) -> dict[str, dict[tuple[int, int], Any]]:
    """Every non-empty cell of every sheet (read once per file version: several tests compare
    the same books, and reading one takes seconds)."""
    stat = path.stat()
    return _values(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _values(path: Path, mtime_ns: int, size: int) -> dict[str, dict[tuple[int, int], Any]]:
    wb = openpyxl.load_workbook(path, read_only=True)
    out = {}
    for ws in wb.worksheets:
        out[ws.title] = {
            (cell.row, cell.column): cell.value
            for row in ws.iter_rows() for cell in row if cell.value is not None
        }
    wb.close()
    return out


def header(cells: dict[tuple[int, int], Any], row: int) -> dict[str, int]:
    return {v: c for (r, c), v in cells.items() if r == row and isinstance(v, str)}


def test_json_document(classified: tuple[Path, dict[str, Any]], demo: Path) -> None:
    _, doc = classified
    assert doc["as_of"] == AS_OF
    customers = doc["customers"]
    ids = [c["customer_id"] for c in customers]
    cards = read_book(demo).tables["客户档案"].frame["客户编号"]
    assert len(ids) == len(set(ids)) == cards.nunique()
    for c in customers:
        assert set(c) == {"customer_id", "net_sales", "level", "status", "credit_grade", "zone", "route", "stop"}
        assert c["level"] in ("A", "B", "C") and c["status"] in ("prospect", "new", "current", "past")
        assert c["credit_grade"] in ("A", "B", "C", "D", None)
        assert (c["credit_grade"] is None) == (c["status"] == "prospect")
        assert c["net_sales"].replace("-", "").replace(".", "").isdigit() and c["net_sales"][-3] == "."
        assert isinstance(c["zone"], str) and c["zone"]
        assert isinstance(c["route"], str) and isinstance(c["stop"], int) and c["stop"] >= 1
    # every customer lands in exactly one route of at most 每路线客户数 (default 8), stops 1..k
    by_route: dict[str, list[int]] = {}
    for c in customers:
        by_route.setdefault(c["route"], []).append(c["stop"])
    for stops in by_route.values():
        assert sorted(stops) == list(range(1, len(stops) + 1)) and len(stops) <= 8
    levels = [c["level"] for c in customers]
    assert levels.count("A") < levels.count("B") + levels.count("C")  # a Pareto mix, not all A


def test_out_columns_written_and_nothing_typed_changed(classified: tuple[Path, dict[str, Any]], demo: Path) -> None:
    out, doc = classified
    before, after = values(demo), values(out)
    head_row = read_book(demo).tables["客户档案"].header_row
    head_after = header(after["客户档案"], head_row)
    assert all(name in head_after for name in OUT_COLUMNS)
    out_cols = {head_after[name] for name in OUT_COLUMNS}
    typed_zone = head_after["片区"]
    for sheet, cells in before.items():
        for key, value in cells.items():
            if sheet == "客户档案" and key[1] in out_cols and not (key[1] == typed_zone and key[0] > head_row):
                continue
            assert after[sheet].get(key) == value, (sheet, key)  # typed 片区 included
    for sheet, cells in after.items():
        if sheet in before and sheet != "客户档案":
            assert cells == before[sheet], sheet
    assert {"路线", "信用建议", "信用政策"} <= set(after)

    # what the sheet says is what the JSON says
    book = read_book(out)
    frame = book.tables["客户档案"].frame.drop_duplicates("客户编号")
    got = {r["客户编号"]: r for _, r in frame.iterrows()}
    for c in doc["customers"]:
        row = got[c["customer_id"]]
        assert row["客户等级"] == LEVEL_NAMES[c["level"]]
        assert row["客户状态"] == STATUS_NAMES[c["status"]]
        assert (None if row.isna()["信用等级"] else row["信用等级"]) == c["credit_grade"]
        assert row["片区"] == c["zone"] and row["路线"] == c["route"] and int(row["拜访顺序"]) == c["stop"]


def test_routes_sheet(classified: tuple[Path, dict[str, Any]]) -> None:
    out, doc = classified
    ws = openpyxl.load_workbook(out)["路线"]
    rows = list(ws.iter_rows(values_only=True))
    head = rows[0]
    assert head[:5] == ("片区", "路线", "拜访顺序", "客户编号", "客户名称")
    data = [dict(zip(head, r, strict=True)) for r in rows[1:]]
    assert len(data) == len(doc["customers"])
    routes: dict[str, list[dict[str, Any]]] = {}
    for r in data:
        routes.setdefault(r["路线"], []).append(r)
    for stops in routes.values():
        legs = [s["距上一站(公里)"] for s in stops]
        total = stops[0]["路线全程(公里)"]
        if total is None:  # a route without coordinates
            assert all(v is None for v in legs)
            continue
        assert legs[0] is None and all(v is not None and v >= 0 for v in legs[1:])
        assert math.isclose(sum(legs[1:]), total, abs_tol=0.01 * len(legs))


def test_rerun_on_its_own_output_changes_nothing(classified: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    out, doc = classified
    again = tmp_path / "again.xlsx"
    done = salesxl("classify", str(out), "--as-of", AS_OF, "--out", str(again))
    assert done.returncode == 0, done.stderr
    assert values(again) == values(out)
    js = salesxl("classify", str(again), "--as-of", AS_OF, "--json")
    assert json.loads(js.stdout) == doc


def test_office_credit_policy_is_kept(classified: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    out, _ = classified
    edited = tmp_path / "edited.xlsx"
    wb = openpyxl.load_workbook(out)
    ws = wb["信用政策"]
    grades = {ws.cell(r, 1).value: r for r in range(2, ws.max_row + 1)}
    ws.cell(grades["A"], 2).value = 0.5
    ws.cell(grades["A"], 3).value = 10
    wb.save(edited)
    result, written = api.classify_to_book(edited, as_of=DEMO_END, out=tmp_path / "again.xlsx")
    assert written.kept == ["信用政策"]
    policy = openpyxl.load_workbook(written.written)["信用政策"]
    assert policy.cell(grades["A"], 2).value == 0.5 and policy.cell(grades["A"], 3).value == 10
    c = result.customers
    a = c[c["credit_grade"] == "A"]
    assert set(a["suggested_terms"]) == {10}
    for _, r in a.iterrows():  # half a month of average sales, half-up to whole 百元
        exact = Fraction(max(int(r["net_sales"]), 0), 12) / 2
        assert r["suggested_limit"] == math.floor(exact / 10_000 + Fraction(1, 2)) * 10_000


def test_in_place_keeps_a_backup(demo: Path, tmp_path: Path) -> None:
    book = tmp_path / "book.xlsx"
    shutil.copy(demo, book)
    done = salesxl("classify", str(book), "--as-of", AS_OF, "--in-place")
    assert done.returncode == 0, done.stderr
    backups = [p for p in tmp_path.iterdir() if p != book and p.suffix == ".xlsx"]
    assert len(backups) == 1 and values(backups[0]) == values(demo)
    assert "路线" in openpyxl.load_workbook(book, read_only=True).sheetnames


def test_bad_arguments_exit_2(demo: Path, tmp_path: Path) -> None:
    for args in (
        ("classify", str(demo), "--as-of", "2026-13-01"),
        ("classify", str(demo), "--out", str(tmp_path / "a.xlsx"), "--in-place"),
        ("classify", str(tmp_path / "missing.xlsx")),
    ):
        done = salesxl(*args)
        assert done.returncode == 2, args
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_opens_classified_workbook(classified: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    out, _ = classified
    profile = (tmp_path / "lo-profile").as_uri()
    done = subprocess.run(
        [SOFFICE, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "xlsx",
         "--outdir", str(tmp_path / "lo"), str(out)],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    # LibreOffice read the patched 客户档案 and the new sheets, and salesxl reads its save back
    book = read_book(tmp_path / "lo" / out.name)
    frame = book.tables["客户档案"].frame
    assert frame["客户等级"].notna().all() and frame["路线"].notna().all()
    assert {"路线", "信用建议", "信用政策"} <= set(openpyxl.load_workbook(tmp_path / "lo" / out.name).sheetnames)


def test_route_map_svg(demo: Path, tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    svg = tmp_path / "路线图.svg"
    done = salesxl("classify", str(demo), "--as-of", AS_OF, "--map", str(svg), "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    root = ET.parse(svg).getroot()  # well-formed XML
    ns = "{http://www.w3.org/2000/svg}"
    lines = root.findall(f"{ns}polyline")
    frame = read_book(demo).tables["客户档案"].frame.drop_duplicates("客户编号")
    has_xy = dict(zip(frame["客户编号"], frame["纬度"].notna() & frame["经度"].notna(), strict=True))
    zones: dict[str, set[str]] = {}
    sizes: dict[str, int] = {}
    for c in doc["customers"]:
        if has_xy.get(c["customer_id"], False):  # a customer not on file has no place
            zones.setdefault(c["zone"], set()).add(c["route"])
            sizes[c["zone"]] = sizes.get(c["zone"], 0) + 1
    expected = sum(len(r) for z, r in zones.items() if sizes[z] >= 3)
    assert len(lines) == expected > 0
    assert salesxl("classify", str(demo), "--map", str(tmp_path / "map.png")).returncode == 2
