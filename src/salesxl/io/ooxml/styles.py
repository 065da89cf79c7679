"""The styles part editor: adding fills, fonts and cell formats to ``xl/styles.xml``.

Owns :class:`Styles`, which reads a workbook's styles part (or a minimal one when it has none),
finds or appends the fonts, fills, borders and cell formats a write needs (reusing an equal
one), and serialises it back in the order Excel requires; style elements travel as hashable
specs (:data:`Spec`, :func:`spec_of`, :func:`build_spec`, :func:`with_attrs`).
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from salesxl.core.findings import Severity
from salesxl.io.ooxml.package import Package
from salesxl.io.ooxml.rels import (
    CT_STYLES,
    NS_MAIN,
    PARSER,
    RT_STYLES,
    ContentTypes,
    Rels,
    parse_xml,
    qname,
    serialize_xml,
)

__all__ = [
    "FILL_RGB", "LINK_RGB", "Spec", "Styles", "spec_from_json", "with_attrs",
]

#: Fills: Excel's own "light red fill" and "yellow fill" of conditional formatting.
FILL_RGB = {Severity.ERROR: "FFFFC7CE", Severity.WARNING: "FFFFEB9C"}
LINK_RGB = "FF0563C1"
# --------------------------------------------------------------------------------------------
# Styles

Spec = tuple[str, tuple[tuple[str, str], ...], tuple[Any, ...]]


def _spec(el: etree._Element) -> Spec:
    """A comparable description of a style element (main-namespace content, no extLst)."""
    attrs = tuple(sorted((k, v) for k, v in el.attrib.items() if not k.startswith("{")))
    kids = tuple(
        _spec(c)
        for c in el
        if isinstance(c.tag, str) and c.tag.startswith(f"{{{NS_MAIN}}}") and etree.QName(c).localname != "extLst"
    )
    return (etree.QName(el).localname, attrs, kids)


def spec_from_json(data: Any) -> Spec:
    name, attrs, kids = data
    return (name, tuple((k, v) for k, v in attrs), tuple(spec_from_json(k) for k in kids))


def _build(parent: etree._Element, spec: Spec) -> etree._Element:
    el = etree.SubElement(parent, qname(spec[0]))
    for k, v in spec[1]:
        el.set(k, v)
    for kid in spec[2]:
        _build(el, kid)
    return el


def with_attrs(spec: Spec, **changes: str) -> Spec:
    attrs = dict(spec[1])
    attrs.update(changes)
    return (spec[0], tuple(sorted(attrs.items())), spec[2])


_STYLE_ORDER = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles",
                "dxfs", "tableStyles", "colors", "extLst")
_MINIMAL_STYLES = (
    f'<styleSheet xmlns="{NS_MAIN}"><fonts count="1"><font><sz val="11"/><name val="Calibri"/>'
    '</font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill>'
    '<patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/>'
    '<top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" '
    'fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="1"><xf numFmtId="0" '
    'fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs><cellStyles count="1"><cellStyle '
    'name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
).encode()


class Styles:
    """``xl/styles.xml``: find-or-append cell formats; nothing existing is changed or removed."""

    def __init__(self, pkg: Package, wb_rels: Rels, ct: ContentTypes) -> None:
        self.pkg = pkg
        found = [(rid, part) for rid, part in wb_rels.of_type(RT_STYLES) if pkg.has(part)]
        if found:
            self.part = found[0][1]
            self.root = parse_xml(pkg.read(self.part), self.part)
            self.created = False
        else:  # a package without styles (some generators): the minimal one, added if used
            self.part = "xl/styles.xml" if not pkg.has("xl/styles.xml") else pkg.unique("xl/styles{}.xml")
            self.root = etree.fromstring(_MINIMAL_STYLES, PARSER)
            self.created = True
        self.ct = ct
        self.wb_rels = wb_rels
        self.dirty = False
        self._lists: dict[str, list[Spec]] = {}
        self._index: dict[str, dict[Spec, int]] = {}
        self._cache: dict[tuple[int, Severity], int] = {}
        self.recorded: dict[int, Spec] = {}
        self.recorded_fills: dict[int, Spec] = {}
        self.used: dict[int, Spec] = {}
        self.used_fills: dict[int, Spec] = {}

    def _section(self, name: str) -> etree._Element:
        el = self.root.find(qname(name))
        if el is not None:
            return el
        el = etree.Element(qname(name))
        later = set(_STYLE_ORDER[_STYLE_ORDER.index(name) + 1:])
        for i, child in enumerate(self.root):
            if isinstance(child.tag, str) and etree.QName(child).localname in later:
                self.root.insert(i, el)
                break
        else:
            self.root.append(el)
        defaults = {
            "fonts": ("font", (), (("sz", (("val", "11"),), ()), ("name", (("val", "Calibri"),), ()))),
            "fills": None,
            "cellXfs": ("xf", (("borderId", "0"), ("fillId", "0"), ("fontId", "0"), ("numFmtId", "0")), ()),
        }
        if name == "fills":
            _build(el, ("fill", (), (("patternFill", (("patternType", "none"),), ()),)))
            _build(el, ("fill", (), (("patternFill", (("patternType", "gray125"),), ()),)))
        elif defaults.get(name):
            _build(el, defaults[name])  # type: ignore[arg-type]
        self._lists.pop(name, None)
        self._index.pop(name, None)
        self.dirty = True
        return el

    def _items(self, section: str) -> list[Spec]:
        if section not in self._lists:
            child = {"cellXfs": "xf", "fills": "fill", "fonts": "font"}[section]
            sec = self.root.find(qname(section))
            self._lists[section] = [] if sec is None else [_spec(el) for el in sec.findall(qname(child))]
        return self._lists[section]

    def _find_or_add(self, section: str, spec: Spec) -> int:
        if self.root.find(qname(section)) is None:
            self._section(section)
        items = self._items(section)
        index = self._index.get(section)
        if index is None:
            index = {}
            for i, s in enumerate(items):
                index.setdefault(s, i)
            self._index[section] = index
        if spec in index:
            return index[spec]
        sec = self._section(section)
        _build(sec, spec)
        items.append(spec)
        index[spec] = len(items) - 1
        sec.set("count", str(len(items)))
        self.dirty = True
        return len(items) - 1

    def xf_spec(self, i: int) -> Spec | None:
        items = self._items("cellXfs")
        return items[i] if 0 <= i < len(items) else None

    def _base_xf(self, i: int) -> Spec:
        spec = self.xf_spec(i) or self.xf_spec(0)
        if spec is None:
            return ("xf", (("borderId", "0"), ("fillId", "0"), ("fontId", "0"), ("numFmtId", "0")), ())
        return spec

    def fill(self, severity: Severity) -> int:
        pattern = ("patternFill", (("patternType", "solid"),), (
            ("fgColor", (("rgb", FILL_RGB[severity]),), ()),
            ("bgColor", (("indexed", "64"),), ()),
        ))
        return self._find_or_add("fills", ("fill", (), (pattern,)))

    def mark_xf(self, base: int, severity: Severity) -> int:
        """The cell format ``base`` with the fill of ``severity``."""
        key = (base, severity)
        if key not in self._cache:
            fill = self.fill(severity)
            spec = with_attrs(self._base_xf(base), fillId=str(fill), applyFill="1")
            self._cache[key] = self._find_or_add("cellXfs", spec)
        return self._cache[key]

    def font(self, kind: str) -> int:
        fonts = self._items("fonts")
        base = fonts[0] if fonts else ("font", (), (("sz", (("val", "11"),), ()),))
        kids = [k for k in base[2] if k[0] not in ("b", "u", "color")]
        if kind == "bold":
            kids.insert(0, ("b", (), ()))
        else:
            kids.insert(0, ("u", (), ()))
            at = next((i for i, k in enumerate(kids) if k[0] in ("name", "family", "charset", "scheme")), len(kids))
            kids.insert(at, ("color", (("rgb", LINK_RGB),), ()))
        return self._find_or_add("fonts", ("font", base[1], tuple(kids)))

    def results_xf(self, kind: str) -> int:
        """Formats of the results sheet: header, link, text, error, warning."""
        base = self._base_xf(0)
        if kind == "header":
            spec = with_attrs(base, fontId=str(self.font("bold")), applyFont="1")
        elif kind == "link":
            spec = with_attrs(base, fontId=str(self.font("link")), applyFont="1", quotePrefix="1")
        elif kind in ("error", "warning"):
            fill = self.fill(Severity(kind))
            spec = with_attrs(base, fillId=str(fill), applyFill="1", quotePrefix="1")
        else:
            spec = with_attrs(base, quotePrefix="1")
        return self._find_or_add("cellXfs", spec)

    def resolve(self, i: int) -> int | None:
        """Index ``i`` as recorded in a previous run, as it is now (None if it vanished)."""
        spec = self.recorded.get(i)
        if spec is None or self.xf_spec(i) == spec:
            return i
        for j, s in enumerate(self._items("cellXfs")):
            if s == spec:
                return j
        return None

    def _fill_of(self, xf: Spec) -> Spec | None:
        fill_id = dict(xf[1]).get("fillId", "0")
        fills = self._items("fills")
        return fills[int(fill_id)] if fill_id.isdigit() and int(fill_id) < len(fills) else None

    def has_mark_fill(self, i: int) -> bool:
        """Does format ``i`` carry one of our fills (whatever its index after a re-save)?"""
        xf = self.xf_spec(i)
        fill = self._fill_of(xf) if xf is not None else None
        if fill is None or not fill[2] or fill[2][0][0] != "patternFill":
            return False
        pattern = fill[2][0]
        if dict(pattern[1]).get("patternType") != "solid":
            return False
        colors = [dict(k[1]).get("rgb", "").upper() for k in pattern[2] if k[0] == "fgColor"]
        return bool(colors) and colors[0] in FILL_RGB.values()

    def unmark(self, i: int, original: int) -> int:
        """Format ``i`` (ours, perhaps rewritten by another program) with the original fill back."""
        xf = self.xf_spec(i) or self._base_xf(0)
        fill = self.recorded_fills.get(original) or ("fill", (), (("patternFill", (("patternType", "none"),), ()),))
        attrs = dict(xf[1])
        attrs["fillId"] = str(self._find_or_add("fills", fill))
        apply = dict(self.recorded.get(original, ("xf", (), ()))[1]).get("applyFill")
        if apply is None:
            attrs.pop("applyFill", None)
        else:
            attrs["applyFill"] = apply
        return self._find_or_add("cellXfs", (xf[0], tuple(sorted(attrs.items())), xf[2]))

    def note(self, *indexes: int) -> None:
        for i in indexes:
            spec = self.xf_spec(i)
            if spec is not None:
                self.used[i] = spec
                fill = self._fill_of(spec)
                if fill is not None:
                    self.used_fills[i] = fill

    def save(self) -> None:
        if self.dirty:
            self.pkg.put(self.part, serialize_xml(self.root))
            if self.created:
                self.wb_rels.add(RT_STYLES, self.part)
                self.ct.set_override(self.part, CT_STYLES)


# --------------------------------------------------------------------------------------------
