"""Comments (``xl/commentsN.xml``) and their VML drawing, patched as text.

Owns :class:`Comments`, which adds and removes salesxl's notes in a sheet's comments part
without touching the others', and the VML helpers that add or remove the matching note shapes,
so that undoing a run restores the parts exactly.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass

from salesxl.io.ooxml.rels import NS_MAIN
from salesxl.io.ooxml.sheet import Malformed
from salesxl.io.ooxml.text import ooxml_text, ref_key

__all__ = [
    "AUTHOR", "Comments", "NOTE_SHAPETYPE", "NoteRec", "SHAPE_RE", "vml_add_notes", "vml_new",
    "vml_remove_notes", "vml_remove_shapetype",
]

AUTHOR = "salesxl"

@dataclass
class NoteRec:
    """A comment we wrote: recognised later by its exact bytes or, after another program
    re-saved the workbook, by its text."""

    text: str  # hash of our text (whitespace-normalised)
    orig: bytes | None = None  # the user's comment we put our message in front of
    block: str | None = None  # hash of the merged comment's exact bytes
    merged: str | None = None  # hash of the merged comment's text


# --------------------------------------------------------------------------------------------
# Comments (xl/commentsN.xml) and their VML drawing, patched as text so that undo is exact


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Comments:
    def __init__(self, data: bytes) -> None:
        m = re.search(rb"<([A-Za-z_][\w.\-]*:)?comments(?=[\s>/])", data)
        if m is None:
            raise Malformed("comments")
        self.p = m.group(1) or b""
        self.data = data
        p = re.escape(self.p)
        self._authors_re = re.compile(rb"<" + p + rb"authors\s*(?:/>|>(.*?)</" + p + rb"authors\s*>)", re.S)
        self._author_re = re.compile(rb"<" + p + rb"author\s*(?:/>|>(.*?)</" + p + rb"author\s*>)", re.S)
        self._comment_re = re.compile(rb"<" + p + rb"comment(?=[\s>/])[^>]*?(?:/>|>.*?</" + p + rb"comment\s*>)", re.S)
        self._list_re = re.compile(rb"<" + p + rb"commentList\s*(/?)>")

    def authors(self) -> tuple[int, list[re.Match[bytes]]]:
        m = self._authors_re.search(self.data)
        if m is None:
            return -1, []
        if m.group(1) is None:
            return m.start(), []
        start = m.start(1)
        return start, [a for a in self._author_re.finditer(self.data, start, m.end(1))]

    def author_names(self) -> list[str]:
        _, found = self.authors()
        return [html.unescape((a.group(1) or b"").decode("utf-8", "replace")) for a in found]

    def comments(self) -> list[tuple[re.Match[bytes], str, int]]:
        out = []
        for m in self._comment_re.finditer(self.data):
            tag = m.group(0)[: m.group(0).find(b">") + 1]
            ref = re.search(rb"""\sref\s*=\s*["']([^"']*)["']""", tag)
            aid = re.search(rb"""\sauthorId\s*=\s*["'](\d+)["']""", tag)
            out.append((m, ref.group(1).decode() if ref else "", int(aid.group(1)) if aid else -1))
        return out

    def remove_ours(self, notes: dict[str, NoteRec]) -> set[str]:
        """Drop our comments and restore the user comments we prefixed; returns the cells
        whose comment (and note shape) went away."""
        names = self.author_names()
        ours = {i for i, n in enumerate(names) if n == AUTHOR}
        removed: set[str] = set()
        pieces = []
        cur = 0
        for m, ref, aid in self.comments():
            block = m.group(0)
            note = notes.get(ref)
            text = _sha(_comment_text(block, self.p).encode())
            if note is not None and note.orig is not None:
                if note.orig.startswith(b"<" + self.p + b"comment") and (
                    _sha(block) == note.block or text == note.merged
                ):
                    pieces.append(self.data[cur: m.start()])
                    pieces.append(note.orig)
                    cur = m.end()
            elif aid in ours or (note is not None and text == note.text):
                pieces.append(self.data[cur: m.start()])
                cur = m.end()
                removed.add(ref)
        pieces.append(self.data[cur:])
        self.data = b"".join(pieces)
        tag_re = re.compile(rb"<" + re.escape(self.p) + rb"comment(?=[\s>/])[^>]*>")
        for i in sorted(ours, reverse=True):
            _, found = self.authors()
            self.data = self.data[: found[i].start()] + self.data[found[i].end():]
            self.data = tag_re.sub(lambda m: _shift_author(m.group(0), i), self.data)  # noqa: B023 - called before i moves on
        return removed

    def empty(self) -> bool:
        return not self.comments()

    def add(self, notes: dict[str, str], written: dict[str, NoteRec]) -> list[str]:
        """Add our comments; prefix existing user comments.  Returns refs that need a shape."""
        p = self.p
        names = self.author_names()
        if AUTHOR in names:
            aid = names.index(AUTHOR)
        else:
            aid = len(names)
            ours = b"<" + p + b"author>" + AUTHOR.encode() + b"</" + p + b"author>"
            m = self._authors_re.search(self.data)
            if m is None:
                root = re.search(rb"<" + re.escape(p) + rb"comments[^>]*>", self.data)
                assert root is not None
                at = root.end()
                self.data = (self.data[:at] + b"<" + p + b"authors>" + ours + b"</" + p + b"authors>"
                             + self.data[at:])
            elif m.group(1) is None:
                self.data = (self.data[: m.start()] + b"<" + p + b"authors>" + ours + b"</" + p
                             + b"authors>" + self.data[m.end():])
            else:
                self.data = self.data[: m.end(1)] + ours + self.data[m.end(1):]
        existing = {ref: (m, a) for m, ref, a in self.comments()}
        shapes: list[str] = []
        new_blocks: list[bytes] = []
        replacements: list[tuple[int, int, bytes]] = []
        for ref in sorted(notes, key=ref_key):
            text = ooxml_text(notes[ref])
            if ref in existing:
                m, a = existing[ref]
                if 0 <= a < len(names) and names[a].startswith("tc="):
                    continue  # a threaded comment: Excel keeps its text elsewhere; leave it alone
                block = _merge_comment(m.group(0), text, p)
                written[ref] = NoteRec(_sha(_plain(text).encode()), m.group(0), _sha(block), _sha(_comment_text(block, p).encode()))
                replacements.append((m.start(), m.end(), block))
            else:
                new_blocks.append(
                    b"<" + p + b'comment ref="' + ref.encode() + b'" authorId="' + str(aid).encode()
                    + b'" shapeId="0"><' + p + b"text><" + p + b't xml:space="preserve">' + text
                    + b"</" + p + b"t></" + p + b"text></" + p + b"comment>"
                )
                written[ref] = NoteRec(_sha(_plain(text).encode()))
                shapes.append(ref)
        for start, end, block in sorted(replacements, reverse=True):
            self.data = self.data[:start] + block + self.data[end:]
        if new_blocks:
            blocks = b"".join(new_blocks)
            m = self._list_re.search(self.data)
            if m is None:
                at = self.data.rfind(b"</" + p + b"comments")
                self.data = (self.data[:at] + b"<" + p + b"commentList>" + blocks + b"</" + p
                             + b"commentList>" + self.data[at:])
            elif m.group(1):
                self.data = (self.data[: m.start()] + b"<" + p + b"commentList>" + blocks + b"</" + p
                             + b"commentList>" + self.data[m.end():])
            else:
                at = self.data.find(b"</" + p + b"commentList", m.end())
                self.data = self.data[:at] + blocks + self.data[at:]
        return shapes

    @staticmethod
    def new() -> Comments:
        return Comments(
            b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<comments xmlns="'
            + NS_MAIN.encode() + b'"><authors></authors><commentList></commentList></comments>'
        )


def _plain(escaped: bytes) -> str:
    """Text as any program shows it, without whitespace: how we recognise our own comments
    (another program may split it into runs, re-wrap it or change line breaks)."""
    return "".join(html.unescape(escaped.decode("utf-8", "replace")).split())


def _comment_text(block: bytes, p: bytes) -> str:
    t = re.compile(rb"<" + re.escape(p) + rb"t(?:\s[^>]*)?>(.*?)</" + re.escape(p) + rb"t\s*>", re.S)
    return _plain(b"".join(t.findall(block)))


def _shift_author(tag: bytes, removed: int) -> bytes:
    """A comment start tag with its authorId renumbered after author ``removed`` went away."""

    def shift(m: re.Match[bytes]) -> bytes:
        n = int(m.group(2))
        return m.group(1) + (str(n - 1).encode() if n > removed else m.group(2))

    return re.sub(rb"""(\sauthorId\s*=\s*["'])(\d+)""", shift, tag)


def _merge_comment(block: bytes, text: bytes, p: bytes) -> bytes:
    """A user's comment with our message in front (as a bold run)."""
    run = (b"<" + p + b"r><" + p + b"rPr><" + p + b"b/><" + p + b'sz val="9"/></' + p + b"rPr><" + p
           + b't xml:space="preserve">' + text + b"\n</" + p + b"t></" + p + b"r>")
    m = re.search(rb"<" + re.escape(p) + rb"text\s*(/?)>", block)
    if m is None:
        return block
    if m.group(1):
        return block[: m.start()] + b"<" + p + b"text>" + run + b"</" + p + b"text>" + block[m.end():]
    at = m.end()
    rest = block[at:]
    t = re.match(rb"\s*(<" + re.escape(p) + rb"t(?=[\s>/])[^>]*?(?:/>|>.*?</" + re.escape(p) + rb"t\s*>))", rest, re.S)
    if t:  # a plain <t>: it must become a run once runs follow it
        rest = rest[: t.start(1)] + b"<" + p + b"r>" + t.group(1) + b"</" + p + b"r>" + rest[t.end(1):]
    return block[:at] + run + rest


SHAPE_RE = re.compile(rb"<v:shape(?=[\s>]).*?</v:shape\s*>", re.S)
NOTE_SHAPETYPE = (
    b'<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe">'
    b'<v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
)
_VML_NS = {
    b"v": b"urn:schemas-microsoft-com:vml",
    b"o": b"urn:schemas-microsoft-com:office:office",
    b"x": b"urn:schemas-microsoft-com:office:excel",
}


def _note_cell(block: bytes) -> tuple[int, int] | None:
    if not re.search(rb"""ObjectType\s*=\s*["']Note["']""", block):
        return None
    r = re.search(rb"<x:Row>\s*(\d+)\s*</x:Row>", block)
    c = re.search(rb"<x:Column>\s*(\d+)\s*</x:Column>", block)
    if not r or not c:
        return None
    return int(r.group(1)), int(c.group(1))


def vml_remove_notes(data: bytes, cells: set[tuple[int, int]]) -> tuple[bytes, int]:
    removed = 0

    def drop(m: re.Match[bytes]) -> bytes:
        nonlocal removed
        if _note_cell(m.group(0)) in cells:
            removed += 1
            return b""
        return m.group(0)

    return SHAPE_RE.sub(drop, data), removed


def _note_shape(shape_id: int, row0: int, col0: int, z: int, decl: bytes = b"") -> bytes:
    anchor = f"{col0 + 1}, 15, {max(row0 - 1, 0)}, 10, {col0 + 4}, 15, {row0 + 4}, 4"
    return (
        f'<v:shape id="_x0000_s{shape_id}" type="#_x0000_t202"{decl.decode()}'
        f' style="position:absolute;margin-left:59.25pt;margin-top:1.5pt;width:180pt;height:72pt;'
        f'z-index:{z};visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto">'
        '<v:fill color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/>'
        '<v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto">'
        '<div style="text-align:left"></div></v:textbox><x:ClientData ObjectType="Note">'
        f"<x:MoveWithCells/><x:SizeWithCells/><x:Anchor>{anchor}</x:Anchor>"
        f"<x:AutoFill>False</x:AutoFill><x:Row>{row0}</x:Row><x:Column>{col0}</x:Column>"
        "</x:ClientData></v:shape>"
    ).encode()


def vml_add_notes(data: bytes, cells: list[tuple[int, int]]) -> tuple[bytes, bool]:
    """Our note shapes appended to an existing drawing; True if we added the note shape type."""
    end = data.rfind(b"</xml>")
    if end < 0:
        raise Malformed("vml")
    root = re.search(rb"<xml\b[^>]*>", data)
    root_tag = root.group(0) if root else b""
    decl = b"".join(
        b" xmlns:" + k + b'="' + v + b'"' for k, v in _VML_NS.items() if b"xmlns:" + k + b"=" not in root_tag
    )
    ids = [int(i) for i in re.findall(rb"_x0000_s(\d+)", data)]
    idmap = re.search(rb"""<o:idmap\b[^>]*\bdata\s*=\s*["'](\d+)""", data)
    next_id = max(ids + [int(idmap.group(1)) * 1024 if idmap else 1024]) + 1
    z = len(SHAPE_RE.findall(data)) + 1
    shapes = b"".join(_note_shape(next_id + i, r, c, z + i, decl) for i, (r, c) in enumerate(cells))
    added_type = False
    if b'"_x0000_t202"' not in data and b"'_x0000_t202'" not in data:
        shapetype = NOTE_SHAPETYPE
        if decl:
            shapetype = shapetype.replace(b"<v:shapetype ", b"<v:shapetype" + decl + b" ", 1)
        first = re.search(rb"<v:shape(?=[\s>])", data)
        at = first.start() if first else end
        data = data[:at] + shapetype + data[at:]
        end += len(shapetype)
        added_type = True
    return data[:end] + shapes + data[end:], added_type


def vml_remove_shapetype(data: bytes) -> bytes:
    if b"#_x0000_t202" in data:
        return data
    for candidate in (NOTE_SHAPETYPE, NOTE_SHAPETYPE.replace(
            b"<v:shapetype ", b"<v:shapetype" + b"".join(b" xmlns:" + k + b'="' + v + b'"' for k, v in _VML_NS.items()) + b" ", 1)):
        if candidate in data:
            return data.replace(candidate, b"", 1)
    return data


def vml_new(cells: list[tuple[int, int]], block: int) -> bytes:
    last = block * 1024 + len(cells)
    blocks = ",".join(str(b) for b in range(block, last // 1024 + 1))
    shapes = b"".join(_note_shape(block * 1024 + 1 + i, r, c, i + 1) for i, (r, c) in enumerate(cells))
    return (
        b'<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"'
        b' xmlns:x="urn:schemas-microsoft-com:office:excel">'
        b'<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="' + blocks.encode() + b'"/></o:shapelayout>'
        + NOTE_SHAPETYPE + shapes + b"</xml>"
    )


# --------------------------------------------------------------------------------------------
