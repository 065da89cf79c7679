"""Validation marks written into the user's own workbook — by patching its package, not re-saving it.

:func:`write_marks` gives every offending cell a light red (error) or light yellow (warning) fill
and a comment with the message, and adds a sheet ``校验结果`` listing every finding with a link
to its cell.  A user's workbook is precious, so nothing else in it may change.

Technique
---------
An ``.xlsx``/``.xlsm`` is a zip of XML parts.  Loading it with openpyxl and saving it again would
drop cached formula values (every ``<v>`` of a formula is emptied until Excel recalculates), and
charts, images, shapes, pivot tables, form controls... .  So the package is patched directly:

* Every zip member that does not have to change is copied as its *compressed bytes*, untouched
  (a raw copy: no decompression, byte-identical content, CRC and all).  That covers other
  sheets, shared strings, the VBA project, tables, drawings, printer settings, everything.
* A marked sheet's XML is streamed in 1 MiB chunks through a small byte-level scanner that only
  looks at ``<row>`` start tags until it reaches a row with work to do; that row (a few KB at
  most) is rewritten in memory: only the ``s="…"`` attribute of a marked ``<c>`` changes, and a
  missing ``<c r=… s=…/>`` (or ``<row>``) is inserted in order.  Everything else — values,
  cached ``<v>`` results, formulas, data validation, conditional formatting, merged cells,
  protection — passes through byte for byte.  After the last row with work, the scanner only
  searches for ``</sheetData>``; the small tail of the sheet (after ``</sheetData>``) gets a
  ``<legacyDrawing>`` element when comments need one.  Cost: one decompression and one
  compression of each marked sheet; memory stays at a few MB whatever the sheet size.
* ``xl/styles.xml``: for each (original cell format, severity) one ``<xf>`` is cloned from the
  cell's own format with only the fill replaced, so number formats, fonts, borders, alignment
  and protection survive.  An identical existing ``<xf>``/``<fill>`` is reused, so re-runs do not
  grow the file.  These few styles stay in the workbook after the marks are removed (unused).
* Comments: the sheet's ``xl/commentsN.xml`` and legacy VML drawing (what Excel needs to show a
  comment) are patched as text: our comments carry the author ``salesxl``; our VML note shapes
  are appended to an existing drawing (form-control buttons in it stay byte-identical).  If the
  user already has a comment on a marked cell, our message is put in front of it (the original
  comment is kept in the record and restored later).  A threaded (Excel 365) comment is never
  touched: such a cell gets the fill only.
* The results sheet is a new worksheet part with inline strings (text, never formulas), frozen
  header, autofilter, widths, and one internal hyperlink per row.
* A record — a custom XML part (``customXml/itemN.xml``, namespace ``urn:salesxl:marks:1``,
  which Excel keeps when it saves) — stores, per marked cell, its original ``s`` attribute,
  whether the cell/row existed, the style we set, the description of those styles (to detect a
  renumbering by another program), and the original text of any user comment we prefixed.

Re-running first undoes what the record describes (cells whose style is still ours get their
original style back, cells and rows we created go away, our comments and note shapes go, the
user's comments are restored, the old ``校验结果`` sheet is removed — only one salesxl wrote,
recognised by its mark (:mod:`salesxl.io.owned`): a user's own sheet of that name is kept and
the findings go to ``校验结果(2)``) and then writes the new marks.  The undo is exact, so the same findings twice give byte-identical files, and a clean run
(no findings) gives back the original sheet XML, comments and drawings byte for byte; the
``校验结果`` sheet is *removed* on a clean run rather than left saying "no problems".  Zip entry
times are copied from the input (new parts get 1980-01-01), so output is fully deterministic.

When another program saved the workbook in between (Excel, WPS, LibreOffice renumber styles,
rewrite comments, drop authors, move the record), marks are still recognised by content: a cell
named in the record whose format still carries one of our two fills gets its recorded original
fill back (keeping whatever else the user changed), and a comment whose text is exactly what we
wrote (whitespace ignored) is ours.  Without a record (a program dropped it) only comments by
``salesxl`` and the old ``校验结果`` sheet can be recognised; old fills then stay.

Choices: a finding without a cell (missing sheet; missing column, which only names the header
row) marks no cell; it is listed in ``校验结果`` (linked to column A of that row when the sheet
exists).  Several findings on one cell give one comment with one line per message, red if any is
an error.  A cell whose fill the user changed after marking is left as it is.

Layers: this module owns the marking idea — findings to fills, comments, the record and the
``校验结果`` sheet (:class:`Marker`).  The package editing it stands on (zip, relationships,
content types, styles, the streaming sheet patcher, comments and VML, the checked atomic save)
is the :mod:`salesxl.io.ooxml` layer, used only through its public API.

Writing (all of it through :mod:`salesxl.io.files`): under the book's lock, ``out=`` writes a
new file (a folder gets a named file inside it; an existing file only with ``force``, after a
backup; never the book itself); ``in_place=True`` refuses a workbook that is open (naming who
has it, from ``~$name`` or ``.~lock.name#``), writes to a copy ``<stem>.校验结果<suffix>`` when
the workbook holds charts, pictures, shapes, pivot tables and other parts a rewriting tool could
lose (see :attr:`MarkResult.copied_because`), and otherwise keeps a timestamped backup and
atomically replaces the real (link-resolved) file, keeping its mode — only if it is still the
file that was read.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from lxml import etree

from salesxl.core.findings import SEVERITY_LABEL, Finding, Severity
from salesxl.errors import UnreadableWorkbook
from salesxl.io import files, owned, printing
from salesxl.io.ooxml.comments import (
    AUTHOR,
    NOTE_SHAPETYPE,
    SHAPE_RE,
    Comments,
    NoteRec,
    vml_add_notes,
    vml_new,
    vml_remove_notes,
    vml_remove_shapetype,
)
from salesxl.io.ooxml.package import DeflateSink, Package
from salesxl.io.ooxml.rels import (
    CT_COMMENTS,
    CT_CUSTOM_XML_PROPS,
    CT_VML,
    CT_WORKSHEET,
    CT_XML,
    NS_DS,
    NS_MAIN,
    NS_MARKS,
    NS_R,
    PARSER,
    RT_CALC_CHAIN,
    RT_COMMENTS,
    RT_CUSTOM_XML,
    RT_CUSTOM_XML_PROPS,
    RT_VML,
    RT_WORKSHEET,
    ContentTypes,
    Rels,
    parse_xml,
    qname,
    serialize_xml,
)
from salesxl.io.ooxml.saving import check_write_call, resolve_target, save_package
from salesxl.io.ooxml.sheet import (
    CellRec,
    Malformed,
    PatchTask,
    SheetEntry,
    SheetPatcher,
    tail_insert_at,
)
from salesxl.io.ooxml.styles import Spec, Styles, spec_from_json
from salesxl.io.ooxml.text import (
    MAX_ROW,
    col_index,
    col_letters,
    display_width,
    normalize_name,
    ooxml_text,
    ref_key,
    sheet_ref,
)
from salesxl.io.safety import workbook_part

__all__ = ["RESULTS_SHEET", "MarkResult", "safe_csv_cell", "write_marks"]

RESULTS_SHEET = "校验结果"


_RECORD_GUID = "{5A1E5C3D-2B7F-4C1A-9E6B-0D5A1E5C3D01}"


HEADERS = {
    "zh": ("工作表", "行", "列", "字段", "值", "级别", "代码", "说明"),
    "en": ("Sheet", "Row", "Column", "Field", "Value", "Severity", "Code", "Message"),
}


# --------------------------------------------------------------------------------------------
# Public API


@dataclass
class MarkResult:
    """What :func:`write_marks` did."""

    written: Path
    """The file actually written (the requested target, or the copy beside it)."""
    copied_because: str | None
    """``None``, or why the marks went to another file than the requested one (Chinese)."""
    marked_cells: int
    """How many cells got a fill (each with a comment unless the cell has a threaded comment)."""
    backup: Path | None
    """The timestamped backup made before an in-place write."""
    copied_because_en: str | None = None
    """The same reason in English."""
    results_sheet: str | None = None
    """The name the findings sheet was written under (None when there were no findings):
    ``校验结果``, or ``校验结果(2)`` … when the workbook has a 校验结果 of its own."""
    renamed: dict[str, str] = field(default_factory=dict)
    """Result name → the free name used, for each user's own sheet kept (see :mod:`salesxl.io.owned`)."""

    def reason(self, lang: str = "zh") -> str | None:
        """:attr:`copied_because` in ``lang``."""
        return self.copied_because_en if lang == "en" else self.copied_because

    def kept_note(self, lang: str = "zh") -> str | None:
        """Which of the user's own sheets were kept and where the results went instead."""
        return owned.kept_note(self.renamed, lang)


def safe_csv_cell(value: str) -> str:
    """``value`` made safe for a CSV cell: a leading ``= + - @`` tab or CR gets a ``'`` prefix.

    Spreadsheet programs run such a cell as a formula when they open the CSV (CSV injection).
    """
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


def write_marks(
    book: Path,
    findings: Sequence[Finding],
    *,
    out: Path | str | None = None,
    in_place: bool = False,
    lang: str = "zh",
    force: bool = False,
    as_of: date | None = None,
) -> MarkResult:
    """Mark ``findings`` in a copy of ``book`` (``out=``) or in ``book`` itself (``in_place=True``).
    ``as_of``: the date the findings are as of, printed in the 校验结果 sheet's page header
    (default: today).

    Previous marks are replaced; with no findings, previous marks are removed.  See the module
    documentation for what is (and is not) changed.  ``out`` may be a folder (the copy is named
    after the book inside it); an existing file there is replaced only with ``force`` (after a
    backup), and never the book itself.  Raises :class:`BadArguments` for a wrong call,
    :class:`UnreadableWorkbook` for a missing, unsupported, broken or open workbook and
    :class:`~salesxl.errors.WriteFailed` when the file cannot be written (nothing is lost).
    """
    book, in_place = check_write_call(book, out, in_place)
    lang = "en" if lang == "en" else "zh"
    findings = list(findings)
    with files.book_lock(book) as lock:
        files.remove_stale_temps(lock.path)  # what a killed earlier write of this book left
        with Package(book) as pkg:
            target, copied_zh, copied_en = resolve_target(
                pkg, book, out, in_place, copy_tag="校验结果", what_zh="标记", what_en="the marks", force=force
            )
            marker = Marker(pkg, lang, as_of=as_of)
            marked = marker.run(findings)
            name = marker.results_name if findings else None
            renamed = {RESULTS_SHEET: name} if name is not None and name != RESULTS_SHEET else {}

            if in_place and target == book and not pkg.dirty:
                # the file already is exactly this
                return MarkResult(book, None, marked, None, results_sheet=name, renamed=renamed)
            # in place, a copy beside the book is salesxl's own, rewritten each run: no backup
            backup = save_package(pkg, book, target, lock, force=force or in_place, keep_replaced=not in_place)
    return MarkResult(target, copied_zh, marked, backup, copied_en, results_sheet=name, renamed=renamed)


@dataclass
class _SheetRec:
    sheet_id: str
    name: str
    cells: list[CellRec] = field(default_factory=list)
    notes: dict[str, NoteRec] = field(default_factory=dict)
    shapetype: bool = False  # we added the note shape type to an existing VML drawing


@dataclass
class _Record:
    sheets: dict[str, _SheetRec] = field(default_factory=dict)
    xfs: dict[int, Spec] = field(default_factory=dict)
    fills: dict[int, Spec] = field(default_factory=dict)  # the fill of each recorded xf
    vml_default: bool = False
    results: bool = False

    def to_xml(self) -> bytes:
        root = etree.Element(qname("marks", NS_MARKS), nsmap={None: NS_MARKS})
        root.set("version", "1")
        if self.vml_default:
            root.set("vmlDefault", "1")
        if self.results:
            etree.SubElement(root, qname("results", NS_MARKS)).set("name", RESULTS_SHEET)
        for i in sorted(self.xfs):
            el = etree.SubElement(root, qname("xf", NS_MARKS))
            el.set("i", str(i))
            el.set("spec", json.dumps(self.xfs[i], ensure_ascii=False, separators=(",", ":")))
            if i in self.fills:
                el.set("fill", json.dumps(self.fills[i], ensure_ascii=False, separators=(",", ":")))
        for sid in sorted(self.sheets, key=lambda s: int(s) if s.isdigit() else 0):
            srec = self.sheets[sid]
            sel = etree.SubElement(root, qname("sheet", NS_MARKS))
            sel.set("sheetId", sid)
            sel.set("name", srec.name)
            if srec.shapetype:
                sel.set("shapetype", "1")
            for c in sorted(srec.cells, key=lambda c: (c.row, c.col)):
                el = etree.SubElement(sel, qname("c", NS_MARKS))
                el.set("r", col_letters(c.col) + str(c.row))
                el.set("m", str(c.m))
                el.set("eff", str(c.eff))
                if c.o is not None:
                    el.set("o", c.o)
                if not c.e:
                    el.set("e", "0")
                if c.nr:
                    el.set("nr", "1")
                if c.sc:
                    el.set("sc", "1")
            for ref in sorted(srec.notes, key=ref_key):
                note = srec.notes[ref]
                el = etree.SubElement(sel, qname("comment", NS_MARKS))
                el.set("r", ref)
                el.set("text", note.text)
                if note.orig is not None:
                    el.set("orig", base64.b64encode(note.orig).decode("ascii"))
                    el.set("block", note.block or "")
                    el.set("merged", note.merged or "")
        return serialize_xml(root)

    @classmethod
    def from_xml(cls, root: etree._Element) -> _Record:
        rec = cls(vml_default=root.get("vmlDefault") == "1")
        rec.results = root.find(qname("results", NS_MARKS)) is not None
        for el in root.findall(qname("xf", NS_MARKS)):
            with contextlib.suppress(ValueError, TypeError, KeyError):
                rec.xfs[int(el.get("i", ""))] = spec_from_json(json.loads(el.get("spec", "")))
                if el.get("fill"):
                    rec.fills[int(el.get("i", ""))] = spec_from_json(json.loads(el.get("fill", "")))
        for sel in root.findall(qname("sheet", NS_MARKS)):
            srec = _SheetRec(sel.get("sheetId", ""), sel.get("name", ""), shapetype=sel.get("shapetype") == "1")
            for el in sel.findall(qname("c", NS_MARKS)):
                m = re.fullmatch(r"([A-Z]{1,3})(\d+)", el.get("r", ""))
                col = col_index(m.group(1)) if m else None
                try:
                    if m and col:
                        srec.cells.append(CellRec(
                            int(m.group(2)), col, int(el.get("m", "")), int(el.get("eff", "0")),
                            el.get("o"), el.get("e") != "0", el.get("nr") == "1", el.get("sc") == "1",
                        ))
                except ValueError:
                    continue
            for el in sel.findall(qname("comment", NS_MARKS)):
                with contextlib.suppress(ValueError):
                    orig = base64.b64decode(el.get("orig", "")) if el.get("orig") is not None else None
                    srec.notes[el.get("r", "")] = NoteRec(el.get("text", ""), orig, el.get("block"), el.get("merged"))
            rec.sheets[srec.sheet_id] = srec
        return rec

# The marker: undo the previous run, then mark


@dataclass
class _Mark:
    severity: Severity = Severity.WARNING
    messages: list[str] = field(default_factory=list)

    def add(self, severity: Severity, message: str) -> None:
        if severity is Severity.ERROR:
            self.severity = Severity.ERROR
        if message not in self.messages:
            self.messages.append(message)


class Marker:
    def __init__(self, pkg: Package, lang: str, *, as_of: date | None = None) -> None:
        self.as_of = as_of
        self.pkg = pkg
        self.lang = lang
        self.ct = ContentTypes(pkg)
        # The same decision as the reader's (safety.workbook_part): what one command reads,
        # every command reads; what one refuses, every command refuses, for the same reason.
        member, data = workbook_part(pkg.path.name, pkg._lower, pkg.read)
        self.root_rels = Rels(pkg, "")
        self.wb_part = member.replace("\\", "/")
        self.wb = parse_xml(data, self.wb_part)
        if self.wb.tag != qname("workbook"):
            raise UnreadableWorkbook(
                f"{pkg.path.name} 不是 Excel 工作簿", f"{pkg.path.name} is not an Excel workbook"
            )
        self.wb_rels = Rels(pkg, self.wb_part)
        self.wb_dirty = False
        self.styles = Styles(pkg, self.wb_rels, self.ct)
        self.vml_default = False
        self.results_name = RESULTS_SHEET

    # -- workbook structure ---------------------------------------------------------------

    def sheets(self) -> list[SheetEntry]:
        out: list[SheetEntry] = []
        container = self.wb.find(qname("sheets"))
        if container is None:
            return out
        for el in container.findall(qname("sheet")):
            rid = el.get(qname("id", NS_R), "")
            part = self.wb_rels.target(rid)
            rel_type = next((r.get("Type") for r in self.wb_rels.all() if r.get("Id") == rid), "")
            out.append(SheetEntry(el.get("name", ""), el.get("sheetId", ""), rid,
                              part if part and self.pkg.has(part) else None, rel_type == RT_WORKSHEET))
        return out

    def _take_record(self) -> _Record:
        """Read the record of the previous run and remove it (a new one is written at the end).

        Excel keeps it related from the workbook; LibreOffice moves it to the package root.
        """
        found = _Record()
        candidates = [n for n in self.pkg.names() if re.fullmatch(r"customXml/item\d*\.xml", n, re.I)]
        for part in sorted(candidates):
            try:
                root = etree.fromstring(self.pkg.read(part), PARSER)
            except etree.XMLSyntaxError:
                continue
            if root.tag != qname("marks", NS_MARKS):
                continue
            found = _Record.from_xml(root)
            item_rels = Rels(self.pkg, part)
            for _, props in item_rels.of_type(RT_CUSTOM_XML_PROPS):
                self.pkg.delete(props)
                self.ct.remove_override(props)
            self.pkg.delete(item_rels.name)
            self.pkg.delete(part)
            self.ct.remove_override(part)
            for rels in (self.wb_rels, self.root_rels):
                for rid, target in rels.of_type(RT_CUSTOM_XML):
                    if target.lower() == part.lower():
                        rels.remove(rid)
        self.styles.recorded = found.xfs
        self.styles.recorded_fills = found.fills
        self.vml_default = found.vml_default
        return found

    def _save_record(self, rec: _Record) -> None:
        if not (rec.sheets or rec.vml_default):
            return
        rec.xfs = dict(self.styles.used)
        rec.fills = dict(self.styles.used_fills)
        item = self.pkg.unique("customXml/item{}.xml")
        n = item[len("customXml/item"): -len(".xml")]
        props = f"customXml/itemProps{n}.xml"
        self.pkg.put(item, rec.to_xml())
        self.pkg.put(props, (
            '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
            f'<ds:datastoreItem ds:itemID="{_RECORD_GUID}" xmlns:ds="{NS_DS}"><ds:schemaRefs>'
            f'<ds:schemaRef ds:uri="{NS_MARKS}"/></ds:schemaRefs></ds:datastoreItem>'
        ).encode())
        item_rels = Rels(self.pkg, item)
        item_rels.add(RT_CUSTOM_XML_PROPS, props)
        item_rels.save()
        self.ct.set_override(item, CT_XML)
        self.ct.set_override(props, CT_CUSTOM_XML_PROPS)
        self.wb_rels.add(RT_CUSTOM_XML, item)

    def _remove_results_sheets(self, name: str = RESULTS_SHEET) -> None:
        container = self.wb.find(qname("sheets"))
        if container is None:
            return
        while True:
            els = container.findall(qname("sheet"))
            hit = next((i for i, el in enumerate(els) if el.get("name") == name), None)
            if hit is None:
                return
            el = els[hit]
            rid = el.get(qname("id", NS_R), "")
            sid = el.get("sheetId", "")
            part = self.wb_rels.target(rid)
            container.remove(el)
            self.wb_rels.remove(rid)
            if part and self.pkg.has(part):
                sheet_rels = Rels(self.pkg, part)
                for r in sheet_rels.all():
                    target = sheet_rels.target(r.get("Id"))
                    if target:
                        self.pkg.delete(target)
                        self.ct.remove_override(target)
                self.pkg.delete(sheet_rels.name)
                self.pkg.delete(part)
                self.ct.remove_override(part)
            self._after_sheet_removed(hit, sid, len(els) - 1)
            self.wb_dirty = True

    def _after_sheet_removed(self, index: int, sheet_id: str, remaining: int) -> None:
        names = self.wb.find(qname("definedNames"))
        if names is not None:
            for dn in list(names):
                local = dn.get("localSheetId")
                if local is None or not local.isdigit():
                    continue
                if int(local) == index:
                    names.remove(dn)
                elif int(local) > index:
                    dn.set("localSheetId", str(int(local) - 1))
            if len(names) == 0:
                self.wb.remove(names)
        views = self.wb.find(qname("bookViews"))
        if views is not None:
            for view in views:
                for attr in ("activeTab", "firstSheet"):
                    value = view.get(attr)
                    if value is None or not value.isdigit():
                        continue
                    v = int(value)
                    if v > index or v >= remaining:
                        view.set(attr, str(max(v - 1, 0)))
        for rid, part in self.wb_rels.of_type(RT_CALC_CHAIN):
            if self.pkg.has(part) and f'i="{sheet_id}"'.encode() in self.pkg.read(part):
                # Excel rebuilds a missing calculation chain; a stale one makes it repair the file.
                self.pkg.delete(part)
                self.ct.remove_override(part)
                self.wb_rels.remove(rid)

    # -- run ------------------------------------------------------------------------------

    def run(self, findings: list[Finding]) -> int:
        old = self._take_record()
        # only a 校验结果 salesxl wrote goes; a user's own stays and ours takes a free name
        self.results_name = owned.claim(self, RESULTS_SHEET, HEADERS.values())
        sheets = self.sheets()
        exact = {s.name: s for s in sheets}
        loose: dict[str, SheetEntry] = {}
        for s in sheets:
            loose.setdefault(normalize_name(s.name), s)

        def locate(name: str) -> SheetEntry | None:
            return exact.get(name) or loose.get(normalize_name(name))

        marks: dict[str, dict[tuple[int, int], _Mark]] = {}
        for f in findings:
            sh = locate(f.sheet)
            if sh is None or not sh.is_worksheet or f.row is None or not f.column:
                continue
            col = col_index(f.column)
            if col is None or not 1 <= f.row <= MAX_ROW:
                continue
            marks.setdefault(sh.sheet_id, {}).setdefault((f.row, col), _Mark()).add(
                f.severity, f.message(self.lang)
            )

        new = _Record()
        marked = 0
        for sh in sheets:
            if not sh.is_worksheet or sh.part is None:
                continue
            prev = old.sheets.get(sh.sheet_id)
            todo = marks.get(sh.sheet_id, {})
            if not (todo or prev or self._has_our_comments(sh)):
                continue
            marked += self._mark_sheet(sh, todo, prev, new)
        if findings:
            self._add_results_sheet(findings, locate)
            owned.mark(self, self.results_name)
            new.results = True

        # A "vml" content type we added is dropped once no VML drawing is left.
        if self.vml_default and not any(n.lower().endswith(".vml") for n in self.pkg.names()):
            self.ct.remove_default("vml")
            self.vml_default = False
        new.vml_default = self.vml_default
        self.styles.save()
        self._save_record(new)
        if self.wb_dirty:
            self.pkg.put(self.wb_part, serialize_xml(self.wb))
        self.wb_rels.save()
        self.root_rels.save()
        self.ct.save()
        return marked

    def _has_our_comments(self, sh: SheetEntry) -> bool:
        assert sh.part is not None
        rels = Rels(self.pkg, sh.part)
        return any(
            self.pkg.has(part) and b">" + AUTHOR.encode() + b"<" in self.pkg.read(part)
            for _, part in rels.of_type(RT_COMMENTS)
        )

    def _mark_sheet(self, sh: SheetEntry, todo: dict[tuple[int, int], _Mark], prev: _SheetRec | None,
                    new: _Record) -> int:
        assert sh.part is not None
        tasks: dict[int, dict[int, PatchTask]] = {}
        for (r, c), mk in todo.items():
            tasks.setdefault(r, {})[c] = PatchTask(severity=mk.severity)
        if prev is not None:
            for cell in prev.cells:
                tasks.setdefault(cell.row, {}).setdefault(cell.col, PatchTask()).prev = cell
        notes = {f"{col_letters(c)}{r}": "\n".join(mk.messages) for (r, c), mk in todo.items()}
        srec = _SheetRec(sh.sheet_id, sh.name)
        rels = Rels(self.pkg, sh.part)

        def on_tail(tail: bytes, offset: int, p: bytes, r_prefix: bytes | None) -> bytes:
            return self._comments(rels, tail, offset, p, r_prefix, notes, prev, srec)

        patcher = SheetPatcher(tasks, self.styles, on_tail)
        sink = DeflateSink()
        try:
            with self.pkg.open(sh.part) as src:
                patcher.run(src, sink)
        except (Malformed, zipfile.BadZipFile, zlib.error, EOFError):
            sink.close()
            return 0  # a sheet we cannot read safely is left exactly as it is
        if patcher.changed:
            self.pkg.put_stream(sh.part, sink.finish())
        else:
            sink.close()
        rels.save()
        srec.cells = patcher.records
        if srec.cells or srec.notes or srec.shapetype:
            new.sheets[sh.sheet_id] = srec
        return patcher.marked

    def _comments(self, rels: Rels, tail: bytes, offset: int, p: bytes, r_prefix: bytes | None,
                  notes: dict[str, str], prev: _SheetRec | None, srec: _SheetRec) -> bytes:
        """Undo and redo the comments of one sheet; returns the sheet's new tail.

        Called by the sheet patcher once the whole sheet has streamed without a problem.
        """
        pkg, ct = self.pkg, self.ct
        ld = re.search(rb"<" + re.escape(p) + rb"legacyDrawing(?=[\s/>])[^>]*?(?:/>|>.*?</"
                       + re.escape(p) + rb"legacyDrawing\s*>)", tail[offset:], re.S)
        ld_rid = None
        if ld:
            rm = re.search(rb"""\s[\w.\-]+:id\s*=\s*["']([^"']*)["']""", ld.group(0))
            ld_rid = rm.group(1).decode() if rm else None
        target = rels.target(ld_rid) if ld_rid else None
        vml_part = pkg.actual(target) if target else None
        vml = pkg.read(vml_part) if vml_part else None
        broken_link = ld is not None and (vml is None or b"</xml>" not in vml)
        found = [(rid, part) for rid, part in rels.of_type(RT_COMMENTS) if pkg.has(part)]
        com_rid, com_part = found[0] if found else (None, None)
        doc = Comments(pkg.read(com_part)) if com_part else None

        # 1. undo the previous run
        removed: set[str] = set()
        if doc is not None and com_part is not None and com_rid is not None:
            removed = doc.remove_ours(prev.notes if prev else {})
            if removed and doc.empty():
                pkg.delete(com_part)
                ct.remove_override(com_part)
                rels.remove(com_rid)
                doc = com_part = None
        if vml is not None and vml_part is not None and removed:
            cells = {(ref_key(r)[0] - 1, ref_key(r)[1] - 1) for r in removed}
            vml, n_removed = vml_remove_notes(vml, cells)
            if n_removed and SHAPE_RE.search(vml) is None and ld is not None and ld_rid:
                pkg.delete(vml_part)
                rels.remove(ld_rid)
                tail = tail[: ld.start() + offset] + tail[ld.end() + offset:]
                vml = vml_part = None
            elif prev is not None and prev.shapetype:
                vml = vml_remove_shapetype(vml)

        # 2. the new comments (none if the sheet's drawing link is broken: it would need a second)
        if notes and not broken_link:
            if doc is None:
                doc = Comments.new()
                com_part = pkg.unique("xl/comments{}.xml")
                ct.set_override(com_part, CT_COMMENTS)
                rels.add(RT_COMMENTS, com_part)
            shapes = doc.add(notes, srec.notes)
            cells_new = [(ref_key(r)[0] - 1, ref_key(r)[1] - 1) for r in shapes]
            if cells_new and vml is not None:
                vml, added = vml_add_notes(vml, cells_new)
                srec.shapetype = added or bool(prev and prev.shapetype and NOTE_SHAPETYPE in vml)
            elif cells_new:
                used = [0]
                for name in pkg.names():
                    if name.lower().endswith(".vml"):
                        for m in re.finditer(rb"""<o:idmap\b[^>]*\bdata\s*=\s*["']([\d,\s]*)""", pkg.read(name)):
                            used += [int(x) for x in re.findall(rb"\d+", m.group(1))]
                vml_part = pkg.unique("xl/drawings/vmlDrawing{}.vml")
                vml = vml_new(cells_new, max(used) + 1)
                rid = rels.add(RT_VML, vml_part)
                if ct.default("vml") is None:
                    ct.add_default("vml", CT_VML)
                    self.vml_default = True
                if r_prefix:
                    element = b"<" + p + b"legacyDrawing " + r_prefix + b':id="' + rid.encode() + b'"/>'
                else:
                    element = (b"<" + p + b'legacyDrawing xmlns:r="' + NS_R.encode() + b'" r:id="'
                               + rid.encode() + b'"/>')
                at = tail_insert_at(tail, offset)
                tail = tail[:at] + element + tail[at:]

        # 3. store (put() keeps the original bytes when nothing changed)
        if doc is not None and com_part is not None:
            pkg.put(com_part, doc.data)
        if vml is not None and vml_part is not None:
            pkg.put(vml_part, vml)
        return tail

    # -- the results sheet ------------------------------------------------------------------

    def _add_results_sheet(self, findings: list[Finding], locate: Callable[[str], SheetEntry | None]) -> None:
        container = self.wb.find(qname("sheets"))
        if container is None:
            container = etree.SubElement(self.wb, qname("sheets"))
        ids = [int(el.get("sheetId", "0")) for el in container.findall(qname("sheet")) if el.get("sheetId", "").isdigit()]
        part = self.pkg.unique("xl/worksheets/sheet{}.xml")
        sink = DeflateSink()
        what = "Findings" if self.lang == "en" else RESULTS_SHEET
        title = printing.print_title(what, self.as_of or date.today(), lang=self.lang)
        _write_results(sink, findings, self.lang, locate, self.styles, title)
        self.pkg.put_stream(part, sink.finish())
        rid = self.wb_rels.add(RT_WORKSHEET, part)
        el = etree.SubElement(container, qname("sheet"))
        el.set("name", self.results_name)
        el.set("sheetId", str(max(ids, default=0) + 1))
        el.set(qname("id", NS_R), rid)
        self.ct.set_override(part, CT_WORKSHEET)
        printing.set_print_titles(self.wb, self.results_name, len(container.findall(qname("sheet"))) - 1)
        self.wb_dirty = True


def _write_results(sink: DeflateSink, findings: list[Finding], lang: str,
                   locate: Callable[[str], SheetEntry | None], styles: Styles, title: str = RESULTS_SHEET) -> None:
    headers = HEADERS[lang]
    labels = SEVERITY_LABEL[lang]
    xf = {k: styles.results_xf(k) for k in ("header", "link", "text", "error", "warning")}

    def row_of(f: Finding) -> tuple[list[str | int | None], tuple[str, str] | None]:
        sh = locate(f.sheet)
        target = None
        if sh is not None and sh.is_worksheet:
            col = (col_index(f.column) if f.column else None) or 1
            row = f.row if f.row is not None and 1 <= f.row <= MAX_ROW else 1
            target = (sheet_ref(sh.name, row, col), f"{sh.name}!{col_letters(col)}{row}")
        values: list[str | int | None] = [
            f.sheet, f.row, f.column, f.field, f.value, labels[f.severity.value], f.code.value, f.message(lang),
        ]
        return values, target

    widths = [display_width(h) for h in headers]
    for f in findings:
        values, _ = row_of(f)
        for i, v in enumerate(values):
            if v is not None:
                widths[i] = max(widths[i], display_width(str(v)))
    limits = (40, 10, 8, 24, 40, 10, 22, 90)
    widths = [min(max(w + 2, 6), lim) for w, lim in zip(widths, limits, strict=True)]
    last = len(findings) + 1
    sink.write(
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<worksheet xmlns="' + NS_MAIN.encode() + b'" xmlns:r="' + NS_R.encode() + b'">'
        + printing.sheet_pr("FFC00000")
        + b'<dimension ref="A1:H' + str(last).encode() + b'"/>'
        b'<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
        b'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A2" '
        b'sqref="A2"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/><cols>'
        + b"".join(
            f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'.encode() for i, w in enumerate(widths, 1)
        )
        + b"</cols><sheetData>"
    )

    def text_cell(ref: str, value: str, style: int) -> bytes:
        return (f'<c r="{ref}" s="{style}" t="inlineStr"><is><t xml:space="preserve">'.encode()
                + ooxml_text(value) + b"</t></is></c>")

    sink.write(b'<row r="1">' + b"".join(
        text_cell(f"{col_letters(i)}1", h, xf["header"]) for i, h in enumerate(headers, 1)
    ) + b"</row>")
    links: list[bytes] = []
    for n, f in enumerate(findings, 2):
        values, target = row_of(f)
        cells = []
        for i, v in enumerate(values, 1):
            ref = f"{col_letters(i)}{n}"
            if v is None or v == "":
                continue
            if isinstance(v, int):
                cells.append(f'<c r="{ref}"><v>{v}</v></c>'.encode())
                continue
            style = xf["text"]
            if i == 1 and target:
                style = xf["link"]
            elif i == 6:
                style = xf[f.severity.value]
            cells.append(text_cell(ref, v, style))
        sink.write(f'<row r="{n}">'.encode() + b"".join(cells) + b"</row>")
        if target:
            links.append(b'<hyperlink ref="A' + str(n).encode() + b'" location="' + ooxml_text(target[0], attr=True)
                         + b'" display="' + ooxml_text(target[1], attr=True) + b'"/>')
    sink.write(b'</sheetData><autoFilter ref="A1:H' + str(last).encode() + b'"/>')
    if links:
        sink.write(b"<hyperlinks>")
        for i in range(0, len(links), 1000):
            sink.write(b"".join(links[i: i + 1000]))
        sink.write(b"</hyperlinks>")
    sink.write(printing.tail(title, wide=printing.landscape(widths), lang=lang, file_name=True) + b"</worksheet>")
