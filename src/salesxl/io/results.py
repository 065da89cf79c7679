"""Result sheets (往来余额, 账龄明细, 核销明细, 发货放行 …) written into the user's own workbook.

:func:`write_result_sheets` adds whole worksheets to a workbook — or replaces them when a sheet
of the same name is already there (a re-run) — by patching the package exactly as
:mod:`salesxl.io.marking` does: every other zip member is raw-copied (other sheets, shared
strings, cached formula values, the VBA project, drawings… stay byte-identical); only
``xl/workbook.xml``, its rels, ``[Content_Types].xml`` and ``xl/styles.xml`` (a few cell formats
appended, nothing existing changed) are rewritten, plus the new sheet parts.

A sheet is described by a :class:`ResultSheet`: a name, :class:`Column` s (header, kind, width)
and rows.  Cells by kind:

* ``text`` — an inline string, never a formula (a value starting with ``=`` stays text);
* ``amount`` — int fen, written as the exact number fen/100 with the format ``#,##0.00``
  (never as text);
* ``date`` — a real date cell (the serial number) with the format ``yyyy-mm-dd``;
* ``int`` — a plain number;
* ``number`` — a float (kilometres, coordinates) written as a number with the format ``0.00``
  (the full value is kept; only the display is rounded); None or NaN is a blank cell.

The header row is bold and frozen, an autofilter covers the table, and columns get a width that
fits their content (CJK counted double) unless the column fixes one.  Every sheet prints on A4
fitted to the page width, with its title in the page header, the header row (and leading
客户编号/客户名称) on every page, page numbers and borders (:mod:`salesxl.io.printing`).

A sheet of the name of one being written is replaced wholesale only when salesxl wrote it:
each result sheet carries salesxl's mark (a hidden defined name, :mod:`salesxl.io.owned`).  A
user's own sheet of that name is kept and the result goes under a free name (``往来余额(2)``),
listed in :attr:`WriteResult.renamed`.  Replaced sheets go to the end of the tab order, in the
order given, so re-running gives the same order.  ``ResultSheet(owned=False)`` sheets (the
batch's 变更记录, added to the master once and the user's data from then on) carry no mark and
never replace anything.

``add_if_missing`` sheets are starting points the user edits afterwards (信用政策): each is added
only when the workbook has no sheet of that name (compared like the marker compares names:
NFKC, trimmed, case-insensitive) and is otherwise kept exactly as it is
(:attr:`WriteResult.kept`).  They are added before the result sheets, so the tab order is the
same on the first run and on every re-run.

``patch=`` also writes the "out" columns of one of the user's own sheets (客户档案's 片区, 路线 …,
see :mod:`salesxl.io.columns`), in the same single package write, so the user never holds a
workbook with the columns written but the result sheets missing, or the other way round.

Writing follows :func:`salesxl.io.marking.write_marks`: ``out=`` a new file (``.xlsm`` kept for a
macro workbook); ``in_place=True`` refuses an open workbook (lock file), writes to a copy
``<stem>.往来结果<suffix>`` (``copy_tag``: ``分类结果`` for classify) when the workbook holds charts, pictures, pivot tables and other parts
another tool could lose (:attr:`WriteResult.copied_because`), and otherwise keeps a timestamped
backup and replaces the file atomically.

:func:`ledger_sheets` turns a :class:`~salesxl.core.ledger.LedgerResult` into the four ledger
sheets of spec §4.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from salesxl.core.cells import excel_serial
from salesxl.core.customers import not_on_file
from salesxl.core.ledger import LedgerResult
from salesxl.core.money import fen_to_decimal
from salesxl.errors import BadArguments
from salesxl.io import files, owned, printing
from salesxl.io.columns import SheetPatch, patch_sheet
from salesxl.io.marking import Marker
from salesxl.io.ooxml.package import DeflateSink, Package
from salesxl.io.ooxml.rels import CT_WORKSHEET, NS_MAIN, NS_R, RT_WORKSHEET, qname, serialize_xml
from salesxl.io.ooxml.saving import check_write_call, resolve_target, save_package
from salesxl.io.ooxml.styles import Styles, with_attrs
from salesxl.io.ooxml.text import col_letters, display_width, normalize_name, ooxml_str, ooxml_text
from salesxl.io.safety import is_date1904

__all__ = [
    "LEDGER_SHEETS", "Column", "ResultSheet", "SheetWriter", "WriteResult", "ledger_sheets", "write_result_sheets",
]

Kind = Literal["text", "amount", "date", "int", "number", "datetime", "coordinate"]
KINDS: tuple[str, ...] = ("text", "amount", "date", "int", "number", "datetime", "coordinate")

AMOUNT_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
COORDINATE_FORMAT = "0.000000"  # degrees: 6 decimals is about 0.1 m
NUMBER_FORMAT = "0.00"
_AMOUNT_FMT_ID = 4  # built-in "#,##0.00"
_NUMBER_FMT_ID = 2  # built-in "0.00"
_MAX_ROWS = 1_048_576
_MAX_WIDTH = 60

#: The ledger's sheets (spec §4), in the order written.
LEDGER_SHEETS = ("往来余额", "账龄明细", "核销明细", "发货放行")


@dataclass(frozen=True)
class Column:
    """One column: header text, kind (text/amount/date/int/number) and an optional fixed width."""

    header: str
    kind: Kind = "text"
    width: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise BadArguments(f"未知的列类型：{self.kind}", f"Unknown column kind: {self.kind}")


@dataclass
class ResultSheet:
    """A whole result sheet: name, columns, rows (one value per column; None = blank).

    Values: text → str (anything else is str()-ed); amount → int fen; date → ``date``
    (``datetime``/``pd.Timestamp`` are cut to the day); int → int or float; number → float.
    """

    name: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]] = field(default_factory=list)
    tab_color: str | None = "FF1F4E79"
    owned: bool = True
    """salesxl's result, marked and replaced on a re-run; False: the user's data once written
    (never replaces a sheet, no mark)."""
    title: str | None = None
    """The printed page header — what, as of when, for whom (:func:`salesxl.io.printing.print_title`);
    default: the sheet's name."""
    validations: Sequence[tuple[str, Sequence[str]]] = ()
    """(header, options): a dropdown of these options over the whole column below the header
    (rows appended later have it too) — the 审核 column of 待审核."""


@dataclass
class WriteResult:
    """What :func:`write_result_sheets` did."""

    written: Path
    """The file actually written (the requested target, or the copy beside it)."""
    sheets: list[str]
    """The sheets written, in order."""
    rows: dict[str, int]
    """Data rows per sheet (header not counted)."""
    backup: Path | None = None
    """The timestamped backup made before an in-place write."""
    copied_because: str | None = None
    """``None``, or why the sheets went to another file than the requested one (Chinese)."""
    copied_because_en: str | None = None
    kept: list[str] = field(default_factory=list)
    """``add_if_missing`` sheets left as they were, because the workbook already had them."""
    cells: int = 0
    """Cells the ``patch`` gave a new value (0 when the sheet already held every value)."""
    columns: dict[str, str] = field(default_factory=dict)
    """Header → Excel letter of each patched column (where appended columns went)."""
    renamed: dict[str, str] = field(default_factory=dict)
    """Sheet name → the free name it was written under, because the workbook has a sheet of
    that name salesxl did not write (kept as it was)."""

    def reason(self, lang: str = "zh") -> str | None:
        return self.copied_because_en if lang == "en" else self.copied_because

    def kept_note(self, lang: str = "zh") -> str | None:
        """Which of the user's own sheets were kept and where the results went instead."""
        return owned.kept_note(self.renamed, lang)


# --------------------------------------------------------------------------------------------
# Writing


def write_result_sheets(
    book: Path,
    sheets: Sequence[ResultSheet],
    *,
    out: Path | str | None = None,
    in_place: bool = False,
    patch: SheetPatch | None = None,
    add_if_missing: Sequence[ResultSheet] = (),
    copy_tag: str = "往来结果",
    what_zh: str = "结果",
    what_en: str = "the results",
    force: bool = False,
    keep_replaced: bool = True,
) -> WriteResult:
    """Add (or replace) ``sheets`` in a copy of ``book`` (``out=``) or in ``book`` itself.

    ``add_if_missing`` sheets are added only where the workbook lacks them; ``patch`` writes
    out columns into one of the user's sheets (see the module documentation).  ``copy_tag``
    names the copy an in-place write falls back to (``<stem>.<copy_tag><suffix>``) and
    ``what_zh``/``what_en`` what the message about it calls the content.

    Raises :class:`BadArguments` for a wrong call (both or neither of ``out``/``in_place``,
    duplicate or invalid sheet names, a row of the wrong length, a patch naming a result sheet
    or a sheet the workbook lacks, an existing ``out`` without ``force``, ``out`` naming the
    book), :class:`~salesxl.errors.UnreadableWorkbook` for a missing, unsupported, broken or
    open workbook and :class:`~salesxl.errors.WriteFailed` when writing fails (nothing lost).
    ``force`` replaces an existing ``out`` after backing it up (no backup when not
    ``keep_replaced``: for files salesxl itself rewrites each run, like the batch's feedback).
    """
    book, in_place = check_write_call(book, out, in_place)
    names = [s.name for s in sheets]
    _check_names(names + [s.name for s in add_if_missing])
    if patch is not None and normalize_name(patch.sheet) in {
        normalize_name(n) for n in names + [s.name for s in add_if_missing]
    }:
        raise BadArguments(
            f"「{patch.sheet}」是结果工作表，不能写入列", f"'{patch.sheet}' is a result sheet; no columns can be written into it"
        )
    with files.book_lock(book) as lock:
        files.remove_stale_temps(lock.path)  # what a killed earlier write of this book left
        with Package(book) as pkg:
            target, copied_zh, copied_en = resolve_target(
                pkg, book, out, in_place, copy_tag=copy_tag, what_zh=what_zh, what_en=what_en, force=force
            )
            writer = SheetWriter(pkg)
            done = writer.write(sheets, add_if_missing, patch)

            if in_place and target == book and not pkg.dirty:
                return WriteResult(book, done.sheets, done.rows, kept=done.kept, cells=done.cells,
                                   columns=done.columns, renamed=done.renamed)
            backup = save_package(pkg, book, target, lock, force=force or in_place,
                           keep_replaced=keep_replaced and not in_place)
    return WriteResult(target, done.sheets, done.rows, backup, copied_zh, copied_en, kept=done.kept,
                       cells=done.cells, columns=done.columns, renamed=done.renamed)


_BAD_NAME_CHARS = set('[]:*?/\\')


def _check_names(names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        bad = (not name or len(name) > 31 or any(c in _BAD_NAME_CHARS for c in name)
               or name.startswith("'") or name.endswith("'"))
        if bad:
            raise BadArguments(f"工作表名称无效：{name!r}", f"Invalid sheet name: {name!r}")
        if name.casefold() in seen:
            raise BadArguments(f"工作表名称重复：{name}", f"Duplicate sheet name: {name}")
        seen.add(name.casefold())


@dataclass
class _Written:
    sheets: list[str]
    rows: dict[str, int]
    kept: list[str]
    cells: int = 0
    columns: dict[str, str] = field(default_factory=dict)
    renamed: dict[str, str] = field(default_factory=dict)


class SheetWriter(Marker):
    """The workbook-structure half of the marker: remove sheets by name, add new ones."""

    def __init__(self, pkg: Package) -> None:
        super().__init__(pkg, "zh")

    def run(self, sheets: Sequence[ResultSheet]) -> dict[str, int]:  # type: ignore[override]
        return self.write(sheets).rows

    def write(self, sheets: Sequence[ResultSheet], add_if_missing: Sequence[ResultSheet] = (),
              patch: SheetPatch | None = None) -> _Written:
        """Patch the user's sheet, add the missing starting sheets, replace the result sheets;
        then save the workbook's structure parts once."""
        container = self.wb.find(qname("sheets"))
        present = [el.get("name", "") for el in (container.findall(qname("sheet")) if container is not None else [])]
        loose = {normalize_name(name) for name in present}
        done = _Written([], {}, [])
        if patch is not None:  # first: a patch that cannot be written stops before anything else
            patched = patch_sheet(self, patch)
            done.cells, done.columns = patched.cells, patched.letters
        missing = []
        for s in add_if_missing:
            if normalize_name(s.name) in loose:
                done.kept.append(s.name)
            else:
                missing.append(s)
        names: dict[int, str] = {}  # id of a sheet to add → the name it gets
        reserved = [s.name for s in missing]
        for s in sheets:  # only sheets salesxl wrote go; a user's own keeps its name, ours takes a free one
            names[id(s)] = name = owned.claim(self, s.name, [[c.header for c in s.columns]], replace=s.owned,
                                              reserved=reserved)
            reserved.append(name)
            if name != s.name:
                done.renamed[s.name] = name
        adding = [*missing, *sheets]
        xf = _Formats(self.styles, date1904=is_date1904(self.wb)) if adding else None  # a patch alone leaves styles.xml alone
        for s in adding:
            assert xf is not None
            name = names.get(id(s), s.name)
            done.rows[name] = self._add_sheet(s, xf, name)
            done.sheets.append(name)
            if id(s) in names and s.owned:
                owned.mark(self, name)
        self.styles.save()
        if self.wb_dirty:
            self.pkg.put(self.wb_part, serialize_xml(self.wb))
        self.wb_rels.save()
        self.root_rels.save()
        self.ct.save()
        return done

    def _add_sheet(self, sheet: ResultSheet, xf: _Formats, name: str) -> int:
        container = self.wb.find(qname("sheets"))
        if container is None:
            container = self.wb.makeelement(qname("sheets"), {})
            self.wb.append(container)
        ids = [int(el.get("sheetId", "0")) for el in container.findall(qname("sheet"))
               if el.get("sheetId", "").isdigit()]
        part = self.pkg.unique("xl/worksheets/sheet{}.xml")
        sink = DeflateSink()
        try:
            n = _write_sheet(sink, sheet, xf)
        except BaseException:
            sink.close()
            raise
        self.pkg.put_stream(part, sink.finish())
        rid = self.wb_rels.add(RT_WORKSHEET, part)
        el = container.makeelement(qname("sheet"), {})
        container.append(el)
        el.set("name", name)
        el.set("sheetId", str(max(ids, default=0) + 1))
        el.set(qname("id", NS_R), rid)
        self.ct.set_override(part, CT_WORKSHEET)
        headers = [c.header for c in sheet.columns]
        printing.set_print_titles(self.wb, name, len(container.findall(qname("sheet"))) - 1,
                                  rows=1, cols=printing.key_columns(headers))
        self.wb_dirty = True
        return n


class _Formats:
    """Cell formats (``s`` indexes) of the result sheets, found or appended in styles.xml."""

    def __init__(self, styles: Styles, *, date1904: bool = False) -> None:
        self.styles = styles
        self.date1904 = date1904  # the book's date system: date cells are serials counted from it
        base = styles._base_xf(0)
        self.header = styles.results_xf("header")
        self._header_right: int | None = None
        self.text = styles.results_xf("text")
        self.amount = styles._find_or_add(
            "cellXfs", with_attrs(base, numFmtId=str(_AMOUNT_FMT_ID), applyNumberFormat="1"))
        date_id = self._num_fmt(DATE_FORMAT)
        self.date = styles._find_or_add(
            "cellXfs", with_attrs(base, numFmtId=str(date_id), applyNumberFormat="1"))
        self.int = 0
        self._number: int | None = None
        self._datetime: int | None = None
        self._coordinate: int | None = None

    @property
    def header_right(self) -> int:
        """The header format, right-aligned: the header over a column of numbers sits where the
        numbers do (Excel right-aligns numbers, and a left header reads as over the wrong column)."""
        if self._header_right is None:
            spec = self.styles.xf_spec(self.header) or self.styles._base_xf(0)
            kids = tuple(k for k in spec[2] if k[0] != "alignment") + (("alignment", (("horizontal", "right"),), ()),)
            self._header_right = self.styles._find_or_add(
                "cellXfs", (spec[0], tuple(sorted({**dict(spec[1]), "applyAlignment": "1"}.items())), kids))
        return self._header_right

    @property
    def coordinate(self) -> int:
        """The ``0.000000`` format of latitudes and longitudes, added only when a sheet uses it."""
        if self._coordinate is None:
            self._coordinate = self.styles._find_or_add("cellXfs", with_attrs(
                self.styles._base_xf(0), numFmtId=str(self._num_fmt(COORDINATE_FORMAT)), applyNumberFormat="1"))
        return self._coordinate

    @property
    def datetime(self) -> int:
        """The ``yyyy-mm-dd hh:mm:ss`` format, added only when a sheet uses it."""
        if self._datetime is None:
            self._datetime = self.styles._find_or_add("cellXfs", with_attrs(
                self.styles._base_xf(0), numFmtId=str(self._num_fmt(DATETIME_FORMAT)), applyNumberFormat="1"))
        return self._datetime

    @property
    def number(self) -> int:
        """The ``0.00`` format, added to styles.xml only when a sheet uses it (so books without
        a number column are written exactly as before)."""
        if self._number is None:
            self._number = self.styles._find_or_add(
                "cellXfs", with_attrs(self.styles._base_xf(0), numFmtId=str(_NUMBER_FMT_ID), applyNumberFormat="1"))
        return self._number

    def _num_fmt(self, code: str) -> int:
        """The id of a custom number format ``code``, added to ``<numFmts>`` when missing."""
        root = self.styles.root
        sec = root.find(qname("numFmts"))
        used = [163]
        if sec is not None:
            for el in sec.findall(qname("numFmt")):
                fid = el.get("numFmtId", "")
                if fid.isdigit():
                    if el.get("formatCode") == code:
                        return int(fid)
                    used.append(int(fid))
        sec = self.styles._section("numFmts")
        new_id = max(used) + 1
        el = sec.makeelement(qname("numFmt"), {"numFmtId": str(new_id), "formatCode": code})
        sec.append(el)
        sec.set("count", str(len(sec.findall(qname("numFmt")))))
        self.styles.dirty = True
        return new_id


def _amount_text(fen: Any) -> str:
    """The exact decimal of fen/100 as a cell value (``123450`` → ``1234.5``)."""
    d = fen_to_decimal(int(fen))
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def _serial(value: Any, date1904: bool) -> int | None:
    if isinstance(value, pd.Timestamp):
        if pd.isna(value):
            return None
        value = value.date()
    elif isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        return None
    try:
        return int(excel_serial(value, date1904=date1904))
    except ValueError:
        return None


def _is_blank(v: Any) -> bool:
    if v is None:
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _cell(ref: str, kind: str, v: Any, xf: _Formats) -> tuple[str, str]:
    """The ``<c>`` of one value and its display text (for the column width)."""
    if kind == "amount":
        text = _amount_text(v)
        shown = f"{fen_to_decimal(int(v)):,.2f}"
        return f'<c r="{ref}" s="{xf.amount}"><v>{text}</v></c>', shown
    if kind == "date":
        serial = _serial(v, xf.date1904)
        if serial is None:
            raise BadArguments(f"日期列的值无效：{v!r}", f"Not a date: {v!r}")
        return f'<c r="{ref}" s="{xf.date}"><v>{serial}</v></c>', "2026-01-01"
    if kind == "datetime":  # an Excel serial with the time of day as its fraction
        moment = v.to_pydatetime() if isinstance(v, pd.Timestamp) else v
        if not isinstance(moment, datetime):
            raise BadArguments(f"日期时间列的值无效：{v!r}", f"Not a date and time: {v!r}")
        try:
            moment_serial = excel_serial(moment, date1904=xf.date1904)
        except ValueError:
            raise BadArguments(f"Excel 无法表示的日期：{v!r}", f"A date Excel cannot show: {v!r}") from None
        return (f'<c r="{ref}" s="{xf.datetime}"><v>{moment_serial!r}</v></c>',
                f"{moment:%Y-%m-%d %H:%M:%S}")
    if kind == "coordinate":
        x = round(float(v), 6)
        if not math.isfinite(x):
            raise BadArguments(f"数值无效：{v!r}", f"Not a finite number: {v!r}")
        return f'<c r="{ref}" s="{xf.coordinate}"><v>{x!r}</v></c>', f"{x:.6f}"
    if kind == "number":
        x = float(v)
        if not math.isfinite(x):
            raise BadArguments(f"数值无效：{v!r}", f"Not a finite number: {v!r}")
        text = str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)
        return f'<c r="{ref}" s="{xf.number}"><v>{text}</v></c>', f"{x:,.2f}"
    if kind == "int":
        if isinstance(v, Decimal):
            text = format(v, "f")
        elif isinstance(v, float) and v.is_integer():
            text = str(int(v))
        else:
            text = str(int(v)) if not isinstance(v, float) else repr(v)
        return f'<c r="{ref}"><v>{text}</v></c>', text
    s = str(v)
    return f'<c r="{ref}" s="{xf.text}" t="inlineStr"><is><t xml:space="preserve">{ooxml_str(s)}</t></is></c>', s


#: Kinds whose values Excel aligns left: a left header (numbers, amounts and dates: right).
_LEFT_KINDS = frozenset({"text"})
_TEXT_END = "</t></is></c>"
_ROWS_PER_WRITE = 2048  # rows joined and encoded together: few, large writes
_TEXT_CACHE = 1 << 16  # distinct texts remembered per sheet (escaped form and width)


def _write_sheet(sink: DeflateSink, sheet: ResultSheet, xf: _Formats) -> int:
    """Write ``sheet``'s part into ``sink``; returns its data rows.

    The column widths fit the content, and ``<cols>`` comes before the rows, so the rows go to
    a spooled temporary file first.  Text cells (most cells of a result or log sheet) take a
    fast path: their markup comes from per-column pieces, and each distinct text is escaped
    and measured once (a log column repeats a handful of values thousands of times); rows are
    built as ``str`` and encoded a few thousand at a time.  Other kinds go through
    :func:`_cell`.
    """
    cols = list(sheet.columns)
    if not cols:
        raise BadArguments(f"工作表 {sheet.name} 没有列", f"Sheet {sheet.name} has no columns")
    letters = [col_letters(i) for i in range(1, len(cols) + 1)]
    widths = [display_width(c.header) + 2 for c in cols]
    text_cols = [c.kind == "text" for c in cols]
    opens = [f'<c r="{letter}' for letter in letters]  # + row + text_mid + escaped text + _TEXT_END
    text_mid = f'" s="{xf.text}" t="inlineStr"><is><t xml:space="preserve">'
    texts: dict[str, tuple[str, int]] = {}  # text → (escaped, display width + 2)
    body = tempfile.SpooledTemporaryFile(max_size=32 << 20)  # noqa: SIM115 - rows first (widths)
    done: list[str] = []
    n = 0
    try:
        for row in sheet.rows:
            if len(row) != len(cols):
                raise BadArguments(
                    f"工作表 {sheet.name} 第 {n + 1} 行有 {len(row)} 个值，应为 {len(cols)} 个",
                    f"Sheet {sheet.name} row {n + 1} has {len(row)} values, expected {len(cols)}",
                )
            n += 1
            if n + 1 > _MAX_ROWS:
                raise BadArguments(
                    f"工作表 {sheet.name} 行数超过 Excel 上限", f"Sheet {sheet.name} has more rows than Excel allows"
                )
            r = str(n + 1)
            parts = ['<row r="', r, '">']
            for i, v in enumerate(row):
                if type(v) is str and text_cols[i]:
                    if not v:
                        continue
                    known = texts.get(v)
                    if known is None:
                        if len(texts) >= _TEXT_CACHE:
                            texts.clear()
                        known = texts[v] = (ooxml_str(v), display_width(v) + 2)
                    parts += (opens[i], r, text_mid, known[0], _TEXT_END)
                    if known[1] > widths[i]:
                        widths[i] = known[1]
                    continue
                if _is_blank(v) or (text_cols[i] and v == ""):
                    continue
                data, shown = _cell(letters[i] + r, cols[i].kind, v, xf)
                parts.append(data)
                w = display_width(shown) + 2
                if w > widths[i]:
                    widths[i] = w
            parts.append("</row>")
            done.append("".join(parts))
            if len(done) >= _ROWS_PER_WRITE:
                body.write("".join(done).encode("utf-8"))
                done.clear()
        body.write("".join(done).encode("utf-8"))
        last = n + 1
        dim = f"A1:{letters[-1]}{last}"
        final = [c.width if c.width is not None else min(max(w, 6), _MAX_WIDTH) for c, w in zip(cols, widths, strict=True)]
        sink.write(
            b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            b'<worksheet xmlns="' + NS_MAIN.encode() + b'" xmlns:r="' + NS_R.encode() + b'">'
            + printing.sheet_pr(sheet.tab_color)
            + f'<dimension ref="{dim}"/>'.encode()
            + b'<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
            b'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A2" '
            b'sqref="A2"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/><cols>'
            + b"".join(f'<col min="{i}" max="{i}" width="{w:g}" customWidth="1"/>'.encode()
                       for i, w in enumerate(final, 1))
            + b"</cols><sheetData>"
        )
        sink.write(b'<row r="1">' + b"".join(
            f'<c r="{letters[i]}1" s="{xf.header if c.kind in _LEFT_KINDS else xf.header_right}" t="inlineStr">'
            '<is><t xml:space="preserve">'.encode()
            + ooxml_text(c.header) + b"</t></is></c>" for i, c in enumerate(cols)
        ) + b"</row>")
        body.seek(0)
        while chunk := body.read(1 << 20):
            sink.write(chunk)
        sink.write(f'</sheetData><autoFilter ref="{dim}"/>'.encode() + _validations(sheet, letters)
                   + printing.tail(sheet.title or sheet.name, wide=printing.landscape(final))
                   + b"</worksheet>")
    finally:
        body.close()
    return n


def _validations(sheet: ResultSheet, letters: Sequence[str]) -> bytes:
    """``<dataValidations>`` of the sheet's dropdowns (none: nothing, the sheet as before)."""
    items = []
    for header, options in sheet.validations:
        at = next((i for i, c in enumerate(sheet.columns) if c.header == header), None)
        if at is None or not options:
            continue
        listed = ooxml_str('"' + ",".join(options) + '"')
        col = letters[at]
        items.append(f'<dataValidation type="list" allowBlank="1" showInputMessage="1" showErrorMessage="1" '
                     f'sqref="{col}2:{col}{_MAX_ROWS}"><formula1>{listed}</formula1></dataValidation>')
    if not items:
        return b""
    return f'<dataValidations count="{len(items)}">{"".join(items)}</dataValidations>'.encode()


# --------------------------------------------------------------------------------------------
# The ledger's sheets


def _texts(s: pd.Series) -> list[Any]:
    return [None if _is_blank(v) else str(v) for v in s.astype(object).tolist()]


def _ints(s: pd.Series) -> list[int]:
    return [int(v) for v in s.to_numpy()]


def _days(s: pd.Series) -> list[Any]:
    return [None if _is_blank(v) else pd.Timestamp(v).date() for v in s.tolist()]


def ledger_sheets(result: LedgerResult, company: str | None = None) -> list[ResultSheet]:
    """往来余额, 账龄明细, 核销明细, 发货放行 (spec §4) for ``result``, 中文 headers; ``company``
    (参数 公司名称) goes into each sheet's printed title."""
    c = result.customers
    labels = list(result.labels)
    bal_cols = [
        Column("客户编号"), Column("客户名称"), Column("业务员"),
        Column("借方合计", "amount"), Column("贷方合计", "amount"), Column("净额", "amount"),
        Column("应收余额", "amount"), Column("预收余额", "amount"), Column("逾期金额", "amount"),
        *[Column(f"账龄{label}天", "amount") for label in labels],
        Column("信用额度", "amount"), Column("可用额度", "amount"), Column("账期天数", "int"),
        Column("最长逾期天数", "int"), Column("处理建议"),
    ]
    money = ["debits", "credits", "net", "receivable", "prepaid", "overdue", *labels]
    # A customer only in 销售/收款 is named as such (salesxl.core.customers), not left blank.
    shown_names = [n if k else not_on_file() for n, k in zip(_texts(c["customer_name"]), c["known"].tolist(),
                                                            strict=True)]
    bal_rows = zip(
        _texts(c["customer_id"]), shown_names, _texts(c["salesperson"]),
        *[_ints(c[m]) for m in money],
        _ints(c["credit_limit"]), _ints(c["available_credit"]), _ints(c["terms_days"]),
        _ints(c["max_overdue_days"]), _texts(c["action"]),
        strict=True,
    )
    names = dict(zip(_texts(c["customer_id"]), shown_names, strict=True))

    o = result.open_items
    o_ids = _texts(o["customer_id"])
    open_cols = [
        Column("客户编号"), Column("客户名称"), Column("单号"), Column("类型"), Column("来源工作表"),
        Column("行号", "int"), Column("日期", "date"), Column("到期日", "date"),
        Column("原金额", "amount"), Column("未核销金额", "amount"), Column("账龄天数", "int"),
        Column("账龄分段"), Column("逾期天数", "int"),
    ]
    open_rows = zip(
        o_ids, [names.get(i) for i in o_ids], _texts(o["doc_no"]), _texts(o["kind"]), _texts(o["sheet"]),
        _ints(o["row"]), _days(o["date"]), _days(o["due_date"]), _ints(o["amount"]), _ints(o["open"]),
        _ints(o["age_days"]), _texts(o["bucket"]), _ints(o["overdue_days"]),
        strict=True,
    )

    a = result.allocations
    a_ids = _texts(a["customer_id"])
    alloc_cols = [
        Column("客户编号"), Column("客户名称"),
        Column("贷方单号"), Column("贷方类型"), Column("贷方工作表"), Column("贷方行号", "int"), Column("贷方日期", "date"),
        Column("借方单号"), Column("借方类型"), Column("借方工作表"), Column("借方行号", "int"), Column("借方日期", "date"),
        Column("核销金额", "amount"),
    ]
    alloc_rows = zip(
        a_ids, [names.get(i) for i in a_ids],
        _texts(a["credit_doc"]), _texts(a["credit_kind"]), _texts(a["credit_sheet"]), _ints(a["credit_row"]),
        _days(a["credit_date"]),
        _texts(a["debit_doc"]), _texts(a["debit_kind"]), _texts(a["debit_sheet"]), _ints(a["debit_row"]),
        _days(a["debit_date"]),
        _ints(a["amount"]),
        strict=True,
    )

    r = result.release
    r_ids = _texts(r["customer_id"])
    rel_cols = [
        Column("销售行号", "int"), Column("日期", "date"), Column("单号"), Column("客户编号"), Column("客户名称"),
        Column("产品"), Column("规格"), Column("数量", "int"), Column("已发货", "int"), Column("未发货", "int"),
        Column("批次质量"), Column("处理建议"), Column("放行决定"),
    ]
    rel_rows = zip(
        _ints(r["row"]), _days(r["date"]), _texts(r["doc_no"]), r_ids, [names.get(i) for i in r_ids],
        _texts(r["product"]), _texts(r["spec"]), _nums(r["qty"]), _nums(r["shipped"]), _nums(r["unshipped"]),
        _holds(r), _texts(r["action"]), _texts(r["decision"]),
        strict=True,
    )
    sheets = [
        ResultSheet(LEDGER_SHEETS[0], bal_cols, list(bal_rows)),
        ResultSheet(LEDGER_SHEETS[1], open_cols, list(open_rows)),
        ResultSheet(LEDGER_SHEETS[2], alloc_cols, list(alloc_rows)),
        ResultSheet(LEDGER_SHEETS[3], rel_cols, list(rel_rows)),
    ]
    for sheet in sheets:
        sheet.title = printing.print_title(sheet.name, result.as_of, company)
    return sheets


def _holds(r: pd.DataFrame) -> list[Any]:
    """发货放行's 批次质量: ``批次未放行：P1（待检）`` where 发货 names a batch on quality hold."""
    if "quality_hold" not in r:
        return [None] * len(r)
    return [None if _is_blank(v) else f"批次未放行：{v}" for v in r["quality_hold"].tolist()]


def _nums(s: pd.Series) -> list[Any]:
    """Quantities: whole numbers as int, others as float (Excel holds a double anyway)."""
    out: list[Any] = []
    for v in s.tolist():
        if _is_blank(v):
            out.append(None)
        elif float(v).is_integer():
            out.append(int(v))
        else:
            out.append(float(v))
    return out

