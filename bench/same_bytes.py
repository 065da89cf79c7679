"""Byte-identical outputs before and after a refactor, on the demo company.

Runs the main commands (demo, validate --out, classify --out, offset --out, summary --out,
statement, template) once with the sources of a base git revision and once with this tree's,
on the same demo workbook, and compares every file written byte for byte.  A refactor that
must not change output (issue 15) passes when every file is identical.

    python bench/same_bytes.py [BASE_REV]      # default: main
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _commands(book: Path, out: Path) -> list[list[str]]:
    as_of = ["--as-of", "2026-10-31"]
    return [
        ["demo", "--out", str(out / "demo")],
        ["validate", str(book), *as_of, "--out", str(out / "validate.xlsx")],
        ["classify", str(book), *as_of, "--out", str(out / "classify.xlsx")],
        ["offset", str(book), *as_of, "--out", str(out / "offset.xlsx")],
        ["summary", str(book), "--month", "2026-10", "--out", str(out / "summary.xlsx")],
        ["statement", str(book), *as_of, "--out", str(out / "statements")],
        ["template", "salesperson", "--from", str(book), "--all", "--out", str(out / "templates")],
        ["template", "office", "--out", str(out / "office.xlsm")],
        # v1.1 (from issues 16–19; a base revision without them writes nothing, which shows)
        ["prices", str(book), "--from", "2026-01-01", "--to", "2026-10-31", "--out", str(out / "prices.xlsx")],
        ["stock", str(book), *as_of, "--out", str(out / "stock.xlsx")],
        ["contracts", str(book), *as_of, "--out", str(out / "contracts.xlsx")],
        ["summary", str(book), "--year", "2026", "--out", str(out / "year.xlsx")],
        ["weekly", str(book), "--week", "2026-W43", "--out", str(out / "weekly.xlsx")],
        ["cards", str(book), *as_of, "--out", str(out / "cards.xlsx")],
        ["forecast", str(book), *as_of, "--out", str(out / "forecast.xlsx")],
        ["report", "customer", str(book), "--customer", "KH00089", *as_of, "--out", str(out / "customer.xlsx")],
        ["template", "customer", "--from", str(book), "--customer", "KH00089", *as_of, "--out", str(out / "form.xlsx")],
        ["stock", str(book), *as_of, "--count-sheet", "--warehouse", "宁波仓", "--out", str(out / "count.xlsx")],
        ["template", "customer", "--from", str(book), "--all", *as_of, "--out", str(out / "forms")],
        ["report", "customer", str(book), "--all", *as_of, "--out", str(out / "reports")],
    ]


def _run(src: Path, book: Path, out: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(src), "SALESXL_LANG": "zh"}
    for args in _commands(book, out):
        subprocess.run([sys.executable, "-m", "salesxl", *args], env=env, cwd=out,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


_SKIP = frozenset({"docProps/core.xml"})
_TEMPLATE_SKIP = _SKIP | {"xl/sharedStrings.xml"}


def _same_content(a: Path, b: Path, skip: frozenset[str]) -> bool:
    """Same zip members, byte for byte, but those in ``skip``: ``docProps/core.xml`` (XlsxWriter
    stamps the time of writing in it, and in the members' zip times); a salesperson template's
    shared strings also hold its per-issue token and issue time, different at every run."""
    try:
        with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
            names = [n for n in za.namelist() if n not in skip]
            return names == [n for n in zb.namelist() if n not in skip] and all(
                za.read(n) == zb.read(n) for n in names)
    except zipfile.BadZipFile:
        return False


def main(base: str = "main") -> int:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        archive = subprocess.run(["git", "archive", base, "src"], cwd=ROOT, capture_output=True, check=True).stdout
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(tmp / "base", filter="data")
        book_dir = tmp / "book"
        book_dir.mkdir()
        subprocess.run([sys.executable, "-m", "salesxl", "demo", "--out", str(book_dir)],
                       env={**os.environ, "PYTHONPATH": str(tmp / "base" / "src")},
                       stdout=subprocess.DEVNULL, check=True)
        book = book_dir / "demo.xlsx"
        trees = {"base": tmp / "base" / "src", "here": ROOT / "src"}
        for name, src in trees.items():
            (tmp / name).mkdir(exist_ok=True)
            (tmp / name / "out").mkdir()
            _run(src, book, tmp / name / "out")
        before = {p.relative_to(tmp / "base" / "out"): p for p in (tmp / "base" / "out").rglob("*") if p.is_file()}
        after = {p.relative_to(tmp / "here" / "out"): p for p in (tmp / "here" / "out").rglob("*") if p.is_file()}
        same = [k for k in before if k in after and before[k].read_bytes() == after[k].read_bytes()]
        stamped = [k for k in before if k in after and k not in same and _same_content(
            before[k], after[k], _TEMPLATE_SKIP if k.parts[0] == "templates" else _SKIP)]
        differ = sorted(set(before) ^ set(after)) + [
            k for k in before if k in after and k not in same and k not in stamped]
        print(f"{len(same)} files byte-identical, {len(stamped)} identical but for the time of writing "
              f"(docProps/core.xml, zip times; templates: token), {len(differ)} differ or missing (base {base})")
        for k in sorted(same):
            print("  identical:", k)
        for k in differ:
            print("  DIFFERS:", k)
        return 1 if differ or not same else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
