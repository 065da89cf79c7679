"""Small XML parts of a package: namespaces, relationships and content types.

Owns the OOXML namespace, relationship-type and content-type constants, the safe lxml parser
(:func:`parse_xml`, :func:`serialize_xml`, :func:`qname`), part-name arithmetic
(:func:`rels_name`, :func:`resolve_part`) and the editors of ``*.rels`` parts (:class:`Rels`)
and ``[Content_Types].xml`` (:class:`ContentTypes`).  These parts are tiny, so they are parsed
with lxml and written back whole.
"""

from __future__ import annotations

import posixpath
import urllib.parse

from lxml import etree

from salesxl.errors import UnreadableWorkbook
from salesxl.io.ooxml.package import Package

__all__ = [
    "CT_COMMENTS", "CT_CUSTOM_XML_PROPS", "CT_STYLES", "CT_VML", "CT_WORKSHEET", "CT_XML",
    "ContentTypes", "NS_CT", "NS_DS", "NS_MAIN", "NS_MARKS", "NS_PKG_REL", "NS_R", "NS_STRICT",
    "PARSER", "RT_CALC_CHAIN", "RT_COMMENTS", "RT_CUSTOM_XML", "RT_CUSTOM_XML_PROPS",
    "RT_OFFICE_DOC", "RT_STYLES", "RT_VML", "RT_WORKSHEET", "Rels", "parse_xml", "qname",
    "serialize_xml",
]

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
NS_MARKS = "urn:salesxl:marks:1"
NS_DS = "http://schemas.openxmlformats.org/officeDocument/2006/customXml"
NS_STRICT = "http://purl.oclc.org/ooxml/spreadsheetml/main"

RT_OFFICE_DOC = NS_R + "/officeDocument"
RT_WORKSHEET = NS_R + "/worksheet"
RT_STYLES = NS_R + "/styles"
RT_COMMENTS = NS_R + "/comments"
RT_VML = NS_R + "/vmlDrawing"
RT_CUSTOM_XML = NS_R + "/customXml"
RT_CUSTOM_XML_PROPS = NS_R + "/customXmlProps"
RT_CALC_CHAIN = NS_R + "/calcChain"

CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
CT_CUSTOM_XML_PROPS = "application/vnd.openxmlformats-officedocument.customXmlProperties+xml"
CT_XML = "application/xml"

# --------------------------------------------------------------------------------------------
# Small XML parts: relationships, content types (lxml, they are tiny)

PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)


def qname(local: str, ns: str = NS_MAIN) -> str:
    return f"{{{ns}}}{local}"


def parse_xml(data: bytes, name: str) -> etree._Element:
    try:
        return etree.fromstring(data, PARSER)
    except etree.XMLSyntaxError as exc:
        raise UnreadableWorkbook(f"工作簿已损坏：{name} 不是有效的 XML", f"Damaged workbook: {name} is not valid XML") from exc


def serialize_xml(root: etree._Element) -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + etree.tostring(
        root, encoding="UTF-8", xml_declaration=False
    )


def _rels_name(part: str) -> str:
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def _resolve(source: str, target: str) -> str:
    target = urllib.parse.unquote(target)
    if target.startswith("/"):
        return target.lstrip("/")
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(source), target))
    while resolved.startswith("../"):  # nothing is above the package root
        resolved = resolved[3:]
    return resolved


class Rels:
    """The relationships of one part (``source`` "" is the package itself)."""

    def __init__(self, pkg: Package, source: str) -> None:
        self.pkg = pkg
        self.source = source
        self.name = "_rels/.rels" if source == "" else _rels_name(source)
        if pkg.has(self.name):
            self.root = parse_xml(pkg.read(self.name), self.name)
        else:
            self.root = etree.Element(qname("Relationships", NS_PKG_REL), nsmap={None: NS_PKG_REL})
        self.dirty = False

    def all(self) -> list[etree._Element]:
        return [el for el in self.root if el.tag == qname("Relationship", NS_PKG_REL)]

    def target(self, rid: str | None) -> str | None:
        for el in self.all():
            if el.get("Id") == rid:
                if el.get("TargetMode") == "External":
                    return None
                return _resolve(self.source, el.get("Target", ""))
        return None

    def of_type(self, rel_type: str) -> list[tuple[str, str]]:
        return [
            (el.get("Id", ""), _resolve(self.source, el.get("Target", "")))
            for el in self.all()
            if el.get("Type") == rel_type and el.get("TargetMode") != "External"
        ]

    def add(self, rel_type: str, part: str) -> str:
        ids = {el.get("Id") for el in self.all()}
        n = 1
        while f"rId{n}" in ids:
            n += 1
        rid = f"rId{n}"
        base = posixpath.dirname(self.source)
        target = posixpath.relpath(part, base) if base else part
        el = etree.SubElement(self.root, qname("Relationship", NS_PKG_REL))
        el.set("Id", rid)
        el.set("Type", rel_type)
        el.set("Target", target)
        self.dirty = True
        return rid

    def remove(self, rid: str) -> None:
        for el in self.all():
            if el.get("Id") == rid:
                self.root.remove(el)
                self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        if self.all():
            self.pkg.put(self.name, serialize_xml(self.root))
        else:
            self.pkg.delete(self.name)
        self.dirty = False


class ContentTypes:
    NAME = "[Content_Types].xml"

    def __init__(self, pkg: Package) -> None:
        self.pkg = pkg
        if not pkg.has(self.NAME):
            raise UnreadableWorkbook(
                f"{pkg.path.name} 不是有效的 .xlsx/.xlsm 工作簿（缺少 [Content_Types].xml）",
                f"{pkg.path.name} is not a valid .xlsx/.xlsm workbook (no [Content_Types].xml)",
            )
        self.root = parse_xml(pkg.read(self.NAME), self.NAME)
        self.dirty = False

    def _overrides(self) -> list[etree._Element]:
        return [el for el in self.root if el.tag == qname("Override", NS_CT)]

    def _defaults(self) -> list[etree._Element]:
        return [el for el in self.root if el.tag == qname("Default", NS_CT)]

    def override(self, part: str) -> str | None:
        want = "/" + part.lower()
        for el in self._overrides():
            if el.get("PartName", "").lower() == want:
                return el.get("ContentType")
        return None

    def content_type(self, part: str) -> str | None:
        found = self.override(part)
        if found is not None:
            return found
        ext = posixpath.splitext(part)[1].lstrip(".").lower()
        return self.default(ext)

    def default(self, ext: str) -> str | None:
        for el in self._defaults():
            if el.get("Extension", "").lower() == ext:
                return el.get("ContentType")
        return None

    def set_override(self, part: str, content_type: str) -> None:
        self.remove_override(part)
        el = etree.SubElement(self.root, qname("Override", NS_CT))
        el.set("PartName", "/" + part)
        el.set("ContentType", content_type)
        self.dirty = True

    def remove_override(self, part: str) -> None:
        want = "/" + part.lower()
        for el in self._overrides():
            if el.get("PartName", "").lower() == want:
                self.root.remove(el)
                self.dirty = True

    def add_default(self, ext: str, content_type: str) -> None:
        el = etree.Element(qname("Default", NS_CT))
        el.set("Extension", ext)
        el.set("ContentType", content_type)
        defaults = self._defaults()
        if defaults:
            defaults[-1].addnext(el)
        else:
            self.root.insert(0, el)
        self.dirty = True

    def remove_default(self, ext: str) -> None:
        for el in self._defaults():
            if el.get("Extension", "").lower() == ext:
                self.root.remove(el)
                self.dirty = True

    def save(self) -> None:
        if self.dirty:
            self.pkg.put(self.NAME, serialize_xml(self.root))
            self.dirty = False

