"""Every kind of bad file of issue 2 item 4, through the real command: exit 2, one line.

The builders come from test_safety; here the point is what a user sees: a process that does
not crash (the absurd used range aborts calamine's process when it is let through), prints
exactly one line on stderr naming the file, nothing on stdout, and exits 2.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import xlsxwriter

from test_safety import BILLION_LAUGHS, MAIN_NS, build_cfb, build_zip_bomb, make_xlsx


def xls(tmp: Path) -> Path:
    return build_cfb(tmp / "旧报表.xls", "Workbook")


def xls_renamed(tmp: Path) -> Path:
    return build_cfb(tmp / "renamed.xlsx", "Workbook")


def encrypted(tmp: Path) -> Path:
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = make_xlsx(tmp / "plain.xlsx")
    locked = tmp / "locked.xlsx"
    with plain.open("rb") as src, locked.open("wb") as dst:
        OOXMLFile(src).encrypt("secret", dst)
    return locked


def csv_renamed(tmp: Path) -> Path:
    path = tmp / "客户.xlsx"
    path.write_text("客户编号,客户名称\nC1,甲\n", encoding="utf-8")
    return path


def truncated(tmp: Path) -> Path:
    good = make_xlsx(tmp / "good.xlsx")
    path = tmp / "truncated.xlsx"
    path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    return path


def zip_bomb(tmp: Path) -> Path:
    return build_zip_bomb(tmp / "bomb.xlsx")


def entities(tmp: Path) -> Path:
    xml = (BILLION_LAUGHS + f'<sst xmlns="{MAIN_NS}"><si><t>&lol3;</t></si></sst>').encode()
    return make_xlsx(tmp / "laughs.xlsx", extra={"xl/sharedStrings.xml": xml})


def corner(tmp: Path) -> Path:
    path = tmp / "corner.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("客户档案")
    ws.write(0, 0, "客户编号")
    ws.write(1_048_575, 16_383, 1)
    wb.close()
    return path


def missing(tmp: Path) -> Path:
    return tmp / "不存在.xlsx"


@pytest.mark.parametrize(
    "build",
    [xls, xls_renamed, encrypted, csv_renamed, truncated, zip_bomb, entities, corner, missing],
    ids=lambda f: f.__name__,
)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_bad_file_exits_2_with_one_line(tmp_path: Path, build: Callable[[Path], Path], lang: str) -> None:
    path = build(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", "from salesxl.cli import main; main()", "validate", str(path), "--json",
         "--lang", lang],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert path.name in lines[0]
