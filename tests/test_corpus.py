"""Every command over every real file of ``../shared/corpus`` (issue 13, "Real files from every
producer"): 275 spreadsheets from other projects' test suites — Excel for Windows and Mac,
Excel Online, LibreOffice, Google Sheets, WPS, Numbers and a dozen libraries — with
``SOURCES.tsv`` naming each file's origin and producer.

What each file must do is decided here from the file itself, never from salesxl's answer:

* The producers that are not spreadsheets salesxl reads (fuzzed, encrypted, ``.xls``,
  ``.ods``, ``.xlsb``, ``.csv``, ``.numbers``: 43 files) must be refused, in one clean line.
* Every other file must be read, unless an independent look at its bytes (``zipfile`` and
  ElementTree, the simplest readers there are) finds a defect the contract refuses: a part
  failing its CRC-32, a duplicated zip member, an XML DTD, an unreadable or Strict package,
  a sheet whose relationship does not exist.  Then it must be refused, and the message must
  say which.
* A read file gets ``validate --out`` and ``describe``; its marked copy loads in openpyxl
  wherever the original does, and every part the marks did not touch is byte-identical to the
  original's.  The other commands (offset and classify with ``--out``, summary, statements)
  take turns over the files, two per book with contract sheets, and end in a result or a
  clean error; their written copies are checked the same way.

The corpus is not in the repository; the module is skipped where it is absent.
"""

from __future__ import annotations

import csv
import functools
import posixpath
import re
import shutil
import warnings
import xml.etree.ElementTree as ET
import zipfile
from datetime import date
from pathlib import Path
from urllib.parse import unquote

import openpyxl
import pytest

import salesxl.api as sx
from salesxl.errors import BadArguments, UnreadableWorkbook
from salesxl.io.reading import read_book

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
if not (CORPUS / "SOURCES.tsv").is_file():
    CORPUS = Path("/work/shared/corpus")
pytestmark = pytest.mark.skipif(not (CORPUS / "SOURCES.tsv").is_file(), reason="../shared/corpus is not here")

AS_OF = date(2026, 10, 31)

#: SOURCES.tsv producers that are not workbooks salesxl reads, and the word its refusal uses.
REFUSED_PRODUCERS = {
    "corrupt": "",  # fuzzed or truncated: any clean refusal
    "encrypted/CFB": "password",
    "BIFF .xls": ".xls",
    "ODF .ods": ".ods",
    "Excel .xlsb": ".xlsb",
    "CSV": "CSV",
    "Apple .numbers": "",  # a zip of protobufs: "not an Excel workbook"
}


def _sources() -> dict[str, dict[str, str]]:
    if not (CORPUS / "SOURCES.tsv").is_file():
        return {}
    with open(CORPUS / "SOURCES.tsv", encoding="utf-8", newline="") as fh:
        return {row["file"]: row for row in csv.DictReader(fh, delimiter="\t")}


SOURCES = _sources()
FILES = sorted(SOURCES)

# --------------------------------------------------------------------------------------------
# The independent oracle: what a defect-free package looks like, by the simplest readers
# --------------------------------------------------------------------------------------------

RT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _key(name: str) -> str:
    return name.replace("\\", "/").lower()


def _xml(zf: zipfile.ZipFile, names: dict[str, str], key: str) -> ET.Element | None:
    member = names.get(key)
    if member is None:
        return None
    try:
        return ET.fromstring(zf.read(member))
    except ET.ParseError:
        return None


def _rels(zf: zipfile.ZipFile, names: dict[str, str], part: str) -> dict[str, tuple[str, str]] | None:
    """Id → (Type, resolved target key) of ``part``'s relationships (None: unreadable)."""
    folder, base = posixpath.split(part)
    root = _xml(zf, names, _key(posixpath.join(folder, "_rels", base + ".rels")))
    if root is None:
        return None
    out = {}
    for rel in root:
        target = unquote((rel.get("Target") or "").replace("\\", "/"))
        resolved = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
        out[rel.get("Id") or ""] = (rel.get("Type") or "", _key(posixpath.normpath(resolved)))
    return out


def defect(path: Path) -> tuple[str, str] | None:
    """(what is wrong, a word the refusal must contain) for a package the contract refuses."""
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        return ("not a zip archive", "")
    with zf:
        listed = [_key(n) for n in zf.namelist()]
        if len(set(listed)) != len(listed):
            return ("a zip member appears twice", "twice")
        try:
            if zf.testzip() is not None:
                return ("a part fails its CRC-32", "CRC-32")
        except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError):
            return ("a part cannot be inflated", "")
        names = {_key(n): n for n in zf.namelist()}
        for key, member in names.items():
            if key.endswith((".xml", ".rels", ".vml")) and re.search(rb"<!(DOCTYPE|ENTITY)", zf.read(member)[:65536]):
                return ("an XML DTD", "DOCTYPE")
        package = _rels(zf, names, "")
        if package is None:
            return ("no readable _rels/.rels", "")
        office = [(t, k) for t, k in package.values() if t.endswith("/officeDocument")]
        if not office:
            return ("no workbook part", "workbook")
        rtype, main = office[0]
        if rtype.startswith("http://purl.oclc.org/"):
            return ("Strict Open XML", "Strict Open XML")
        workbook = _xml(zf, names, main)
        if workbook is None:
            return ("no readable workbook part", "")
        rels = _rels(zf, names, main) or {}
        for sheet in workbook.iter():
            rid = sheet.get(f"{{{RT}}}id")
            if sheet.tag.endswith("}sheet") and rid and rid not in rels:
                return ("a sheet's relationship is missing", "relationship")
    return None


def expected_refusal(name: str) -> tuple[str, str] | None:
    producer = SOURCES[name]["producer"]
    if producer in REFUSED_PRODUCERS:
        return (producer, REFUSED_PRODUCERS[producer])
    return defect(CORPUS / name)


def test_every_file_is_listed_and_43_are_not_workbooks() -> None:
    on_disk = {p.name for p in CORPUS.iterdir() if p.is_file() and p.name != "SOURCES.tsv"}
    assert on_disk == set(SOURCES)
    assert sum(row["producer"] in REFUSED_PRODUCERS for row in SOURCES.values()) == 43


# --------------------------------------------------------------------------------------------
# Checking a written copy
# --------------------------------------------------------------------------------------------


def _loads(path: Path, sheets: set[str]) -> bool:
    """openpyxl opens the workbook and reads every row of ``sheets``.  (Read-only: a full
    load takes minutes on a few of these files; the parts not read here are byte-identical
    to the original's, which is checked separately.)"""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            wb = openpyxl.load_workbook(path, read_only=True)
        except Exception:  # noqa: BLE001 - any failure of openpyxl's is the answer
            return False
        try:
            for name in sheets & set(wb.sheetnames):
                for _ in wb[name].iter_rows(values_only=True):
                    pass
        except Exception:  # noqa: BLE001
            return False
        finally:
            wb.close()
    return True


def _sheet_parts(zf: zipfile.ZipFile) -> tuple[str, dict[str, str]]:
    """(workbook part key, sheet name → part key) of a readable package."""
    names = {_key(n): n for n in zf.namelist()}
    package = _rels(zf, names, "") or {}
    main = next(k for t, k in package.values() if t.endswith("/officeDocument"))
    rels = _rels(zf, names, main) or {}
    workbook = _xml(zf, names, main)
    assert workbook is not None
    parts = {}
    for sheet in workbook.iter():
        rid = sheet.get(f"{{{RT}}}id")
        if sheet.tag.endswith("}sheet") and rid in rels:
            parts[sheet.get("name") or ""] = rels[rid][1]
    return main, parts


@functools.cache
def _original_loads(path: Path) -> bool:
    return _loads(path, set())


def check_copy(original: Path, copy: Path, touched_sheets: set[str]) -> None:
    """The copy opens where the original does, keeps every sheet, and every part outside the
    workbook's own bookkeeping and the touched sheets is byte-identical."""
    with zipfile.ZipFile(original) as a, zipfile.ZipFile(copy) as b:
        assert b.testzip() is None
        main, parts = _sheet_parts(a)
        names = {_key(n): n for n in a.namelist()}
        wb_rels = _rels(a, names, main) or {}
        allowed = {"[content_types].xml", "docprops/app.xml", main,
                   _key(posixpath.join(posixpath.dirname(main), "_rels", posixpath.basename(main) + ".rels"))}
        allowed |= {k for t, k in wb_rels.values() if t.endswith("/styles")}
        for sheet in touched_sheets & set(parts):
            part = parts[sheet]
            folder, base = posixpath.split(part)
            allowed |= {part, _key(posixpath.join(folder, "_rels", base + ".rels"))}
            allowed |= {k for t, k in (_rels(a, names, part) or {}).values()
                        if t.endswith(("/comments", "/vmlDrawing"))}
        copied = {_key(n): n for n in b.namelist()}
        for key, member in names.items():
            assert key in copied, f"{member} was lost"
            if key not in allowed:
                assert a.read(member) == b.read(copied[key]), f"{member} changed"
        _, copy_parts = _sheet_parts(b)
        assert set(parts) <= set(copy_parts)
    changed = (touched_sheets & set(parts)) | (set(copy_parts) - set(parts))
    if _original_loads(original):
        assert _loads(copy, changed), f"openpyxl opens {original.name} but not its copy"


# --------------------------------------------------------------------------------------------
# The commands
# --------------------------------------------------------------------------------------------


def _other_commands(path: Path, tmp: Path, which: set[str]) -> None:
    """Run ``which`` of the other commands; each ends in a result or a clean error."""
    if "offset" in which:
        _, written = sx.offset_to_book(path, as_of=AS_OF, out=tmp / "offset.xlsx")
        check_copy(path, written.written, set())
    if "classify" in which:
        try:
            _, written = sx.classify_to_book(path, as_of=AS_OF, out=tmp / "classify.xlsx")
        except BadArguments as err:  # no 客户档案 to classify: a clean refusal
            assert "客户档案" in err.message("zh")
        else:
            check_copy(path, written.written, {t.sheet for t in read_book(path, sheets=("客户档案",)).tables.values()})
    if "summary" in which:
        try:
            report = sx.summary(path, month="2026-10", out=tmp / "月报.xlsx")
        except BadArguments as err:  # no 销售 sheet: nothing to report, a clean refusal (no all-zero 月报)
            assert "销售" in err.message("zh") and not (tmp / "月报.xlsx").exists()
        else:
            assert report.written is not None and _loads(report.written, set())
    if "statements" in which:
        for written in sx.statements(path, as_of=AS_OF, out_dir=tmp / "statements"):
            assert _loads(written, set())


COMMANDS = ("offset", "classify", "summary", "statements")


@pytest.mark.parametrize("name", FILES)
def test_every_command_on_every_file(name: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    # A copy: a writing command locks its input (a ``.<name>.salesxl.lock`` beside it), and
    # nothing is ever made in the corpus, which other test runs read at the same time.
    path = Path(shutil.copy2(CORPUS / name, tmp_path_factory.mktemp("in") / name))
    refusal = expected_refusal(name)
    out = tmp_path / "marked.xlsx"
    if refusal is not None:
        why, word = refusal
        with pytest.raises(UnreadableWorkbook) as err:
            sx.validate(path, as_of=AS_OF, out=out)
        message = err.value.message("en")
        assert "\n" not in message and word in message, f"{name} ({why}): {message}"
        with pytest.raises(UnreadableWorkbook):
            sx.describe(path)
        assert list(tmp_path.iterdir()) == []
        return

    report = sx.validate(path, as_of=AS_OF, out=out)
    assert report.marks is not None
    marked = {f.sheet for f in report.findings if f.row is not None}
    check_copy(path, report.marks.written, marked)

    sheets = sx.describe(path)
    # Each file gets one of the other commands in turn, a book with contract sheets two: every
    # command runs on ~60 files, ~15 of them books with contract sheets (a minute, not five).
    i = FILES.index(name)
    which = {COMMANDS[i % len(COMMANDS)]} | ({COMMANDS[(i + 1) % len(COMMANDS)]} if sheets else set())
    _other_commands(path, tmp_path, which)
