"""Write a VBA project (``xl/vbaProject.bin``) from module source text, on any platform.

Excel keeps a workbook's macros in one binary part, ``xl/vbaProject.bin``: a Compound File
(MS-CFB) holding the streams that MS-OVBA defines.  Nothing on Linux writes one, and the
office workbook must be rebuilt reproducibly from the ``.bas`` sources committed in this
repository (plus the module that the installed xlwings ships), so this module writes it from
first principles.  It has no dependencies beyond the standard library; every structure is
small and documented in the specifications cited below.

What is written (MS-OVBA 2.2 "File Structure"):

* ``PROJECT`` - the project's text properties: its id, one line per module (``Document=``,
  ``Module=``, ``Class=``), the name, the protection/password/visibility values encrypted as
  MS-OVBA 2.4.3 requires (no protection, no password, visible), the host extender line and
  the editor's window layout.
* ``PROJECTwm`` - each module's name in the code page and in UTF-16.
* ``VBA/_VBA_PROJECT`` - **seven bytes, with version 0xFFFF and no performance cache**.  The
  performance cache holds compiled p-code, which is specific to the VBA build that wrote it;
  a version of 0xFFFF tells the host that there is no cache to trust, so it compiles the
  modules from their source text instead (MS-OVBA 2.3.4.1 and the note on ``Version``).
  This is the standard trick of generated projects.  xlwings' own ``quickstart_standalone.xlsm``
  (which its ``quickstart --standalone`` hands to users) carries exactly these seven bytes, and
  its ``xlwings`` module stream has no p-code either (``MODULEOFFSET`` 0).  That Excel then
  compiles and runs *our* modules is **not verifiable on Linux**: it is on the manual Windows
  Excel checklist.
* ``VBA/dir`` - the project information, its references and one record per module, each with
  ``MODULEOFFSET = 0``: the module stream starts straight with its compressed source
  (MS-OVBA 2.3.4.2), compressed as a whole.
* ``VBA/<module>`` - the module's source text, compressed (MS-OVBA 2.4.1).

The Compound File is version 3 (512-byte sectors), every directory entry black (MS-CFB
2.6.4 allows it), all timestamps zero and every id fixed, so the same modules always give
the same bytes.

Readers (:func:`decompress`, :func:`decrypt`) are here too, so the tests check the writers
against the specifications' own algorithms as well as against oletools, an independent
reader.
"""

from __future__ import annotations

import re
import struct
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "CODE_PAGE",
    "Module",
    "build_vba_project",
    "class_module",
    "compress",
    "decompress",
    "decrypt",
    "document_module",
    "encrypt",
    "standard_module",
    "write_cfb",
]

#: Windows-1252, what Excel writes for a project made on a Western system.  Our sources are
#: ASCII (checked), so the text reads the same under the Chinese code page 936 as well.
CODE_PAGE = 1252
_CODEC = "cp1252"

#: Base classes of Excel's document modules (the ``VB_Base`` attribute).
WORKBOOK_BASE = "0{00020819-0000-0000-C000-000000000046}"
WORKSHEET_BASE = "0{00020820-0000-0000-C000-000000000046}"

ModuleKind = Literal["standard", "class", "document"]


# --------------------------------------------------------------------------------------
# Modules
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Module:
    """One VBA module: its name, kind and the source text stored in its stream.

    ``source`` is the text as the VBA editor exports it *after* any ``VERSION``/``BEGIN``
    header of a class file: it starts with the ``Attribute VB_Name`` line, because that is
    how the module streams store it.  ``doc`` is the module's description (``VB_Description``),
    which the dir stream repeats.
    """

    name: str
    kind: ModuleKind
    source: str
    doc: str = ""

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,30}", self.name):
            raise ValueError(f"invalid VBA module name: {self.name!r}")
        _encode(self.source, self.name)

    @property
    def encoded(self) -> bytes:
        """The source in the project's code page with CRLF line ends, as VBA stores it."""
        return _encode(self.source, self.name)


def _encode(text: str, name: str) -> bytes:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")
    try:
        return text.encode(_CODEC)
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"VBA module {name!r} holds a character outside code page {CODE_PAGE} "
            f"({text[exc.start:exc.end]!r}); keep VBA sources ASCII"
        ) from None


_NAME_LINE = re.compile(r'^Attribute VB_Name = "([^"]+)"\s*$', re.MULTILINE)
_DESCRIPTION = re.compile(r'^Attribute VB_Description = "((?:[^"]|"")*)"\s*$', re.MULTILINE)


def _module_name(text: str, what: str) -> str:
    match = _NAME_LINE.search(text)
    if match is None:
        raise ValueError(f"{what}: no 'Attribute VB_Name = \"...\"' line")
    return match.group(1)


def standard_module(text: str) -> Module:
    """A ``.bas`` file as exported by the VBA editor → a standard (procedural) module."""
    text = text.lstrip("\ufeff")
    return Module(_module_name(text, "standard module"), "standard", text)


def class_module(text: str) -> Module:
    """A ``.cls`` file as exported → a class module.

    The export starts with a ``VERSION 1.0 CLASS`` / ``BEGIN`` … ``END`` block that is the
    file format's, not the module's: the stream starts at the first ``Attribute`` line.
    """
    text = text.lstrip("\ufeff")
    first = re.search(r"^Attribute ", text, re.MULTILINE)
    if first is None:
        raise ValueError("class module: no Attribute lines")
    text = text[first.start():]
    doc = _DESCRIPTION.search(text)
    description = doc.group(1).replace('""', '"') if doc else ""
    # VB_Description is stored with the VBA escapes expanded (\r\n become CR LF).
    description = description.replace("\\r", "\r").replace("\\n", "\n")
    return Module(_module_name(text, "class module"), "class", text, description)


def document_module(name: str, base: str = WORKSHEET_BASE, code: str = "") -> Module:
    """The module behind a worksheet (or, with :data:`WORKBOOK_BASE`, the workbook).

    Excel pairs each sheet with a document module through the sheet's ``codeName``; the
    attribute block is the one Excel itself writes for an empty sheet module.
    """
    lines = [
        f'Attribute VB_Name = "{name}"',
        f'Attribute VB_Base = "{base}"',
        "Attribute VB_GlobalNameSpace = False",
        "Attribute VB_Creatable = False",
        "Attribute VB_PredeclaredId = True",
        "Attribute VB_Exposed = True",
        "Attribute VB_TemplateDerived = False",
        "Attribute VB_Customizable = True",
    ]
    return Module(name, "document", "\r\n".join(lines) + "\r\n" + code)


# --------------------------------------------------------------------------------------
# MS-OVBA 2.4.1 compression
# --------------------------------------------------------------------------------------

_CHUNK = 4096
#: How many earlier positions with the same three bytes are tried per match.  More finds a
#: slightly longer match now and then; 64 keeps the xlwings module (~45 KB) well under 0.1 s.
_MAX_CANDIDATES = 64


def compress(data: bytes) -> bytes:
    """MS-OVBA CompressedContainer of ``data`` (signature byte, then 4096-byte chunks).

    Matches are found with a hash of the next three bytes; every token is the one the
    specification's decoder expects (copy-token bit split by the position in the chunk).
    """
    out = bytearray(b"\x01")
    for start in range(0, len(data), _CHUNK):
        out += _compress_chunk(data[start:start + _CHUNK])
    return bytes(out)


def _compress_chunk(chunk: bytes) -> bytes:
    n = len(chunk)
    body = bytearray()
    seen: dict[bytes, list[int]] = {}
    pos = 0

    def remember(p: int) -> None:
        if p + 3 <= n:
            seen.setdefault(chunk[p:p + 3], []).append(p)

    while pos < n:
        flag_at = len(body)
        body.append(0)
        flags = 0
        for bit in range(8):
            if pos >= n:
                break
            length, offset, bit_count = 0, 0, 4
            if pos >= 1 and pos + 3 <= n:
                bit_count = max((pos - 1).bit_length(), 4)
                max_length = (0xFFFF >> bit_count) + 3
                limit = min(max_length, n - pos)
                for cand in reversed(seen.get(chunk[pos:pos + 3], [])[-_MAX_CANDIDATES:]):
                    size = 3
                    while size < limit and chunk[cand + size] == chunk[pos + size]:
                        size += 1
                    if size > length:
                        length, offset = size, pos - cand
                        if size == limit:
                            break
            if length >= 3:
                token = ((offset - 1) << (16 - bit_count)) | (length - 3)
                body += struct.pack("<H", token)
                flags |= 1 << bit
                for p in range(pos, pos + length):
                    remember(p)
                pos += length
            else:
                body.append(chunk[pos])
                remember(pos)
                pos += 1
        body[flag_at] = flags
    if len(body) <= _CHUNK:
        return struct.pack("<H", 0xB000 | (len(body) + 2 - 3)) + bytes(body)
    if n == _CHUNK:  # incompressible: stored raw (flag 0), always exactly 4096 bytes
        return struct.pack("<H", 0x3000 | (_CHUNK + 2 - 3)) + chunk
    # A raw chunk must hold 4096 bytes; padding a short last one would add NULs to the text.
    raise ValueError("a short final chunk did not compress (not text?)")


def decompress(data: bytes) -> bytes:
    """The specification's decoder (MS-OVBA 2.4.1.3.1), used to check :func:`compress`."""
    if not data or data[0] != 0x01:
        raise ValueError("not an MS-OVBA compressed container")
    out = bytearray()
    pos = 1
    while pos < len(data):
        (header,) = struct.unpack_from("<H", data, pos)
        size = (header & 0x0FFF) + 3
        if (header >> 12) & 0x7 != 0b011:
            raise ValueError(f"bad chunk signature at {pos}")
        end = min(pos + size, len(data))
        pos += 2
        start = len(out)
        if not header & 0x8000:
            out += data[pos:pos + _CHUNK]
            pos += _CHUNK
            continue
        while pos < end:
            flags = data[pos]
            pos += 1
            for bit in range(8):
                if pos >= end:
                    break
                if not flags & (1 << bit):
                    out.append(data[pos])
                    pos += 1
                    continue
                (token,) = struct.unpack_from("<H", data, pos)
                pos += 2
                bit_count = max((len(out) - start - 1).bit_length(), 4)
                length = (token & (0xFFFF >> bit_count)) + 3
                offset = (token >> (16 - bit_count)) + 1
                for _ in range(length):
                    out.append(out[-offset])
    return bytes(out)


# --------------------------------------------------------------------------------------
# MS-OVBA 2.4.3 data encryption (the CMG, DPB and GC values of the PROJECT stream)
# --------------------------------------------------------------------------------------

#: Fixed so that the output is reproducible; the specification lets the writer pick it.
_SEED = 0x8D


def encrypt(data: bytes, project_id: str, seed: int = _SEED) -> str:
    """MS-OVBA 2.4.3.2: ``data`` encrypted with the project id as key, as upper-case hex.

    The "ignored" filler bytes the algorithm allows are zeros, again for reproducibility.
    """
    proj_key = sum(project_id.encode(_CODEC)) & 0xFF
    version_enc, proj_key_enc = seed ^ 2, seed ^ proj_key
    out = bytearray([seed, version_enc, proj_key_enc])
    unencrypted_1, encrypted_1, encrypted_2 = proj_key, proj_key_enc, version_enc
    plain = bytes((seed & 6) // 2) + struct.pack("<I", len(data)) + data
    for byte in plain:
        enc = byte ^ ((encrypted_2 + unencrypted_1) & 0xFF)
        out.append(enc)
        encrypted_2, encrypted_1, unencrypted_1 = encrypted_1, enc, byte
    return out.hex().upper()


def decrypt(text: str) -> tuple[bytes, int]:
    """MS-OVBA 2.4.3.3: hex text → (data, project key).  Raises ValueError if malformed."""
    raw = bytes.fromhex(text)
    seed, version_enc, proj_key_enc = raw[0], raw[1], raw[2]
    if seed ^ version_enc != 2:
        raise ValueError("bad encrypted version")
    proj_key = seed ^ proj_key_enc
    unencrypted_1, encrypted_1, encrypted_2 = proj_key, proj_key_enc, version_enc
    plain = bytearray()
    for enc in raw[3:]:
        byte = enc ^ ((encrypted_2 + unencrypted_1) & 0xFF)
        plain.append(byte)
        encrypted_2, encrypted_1, unencrypted_1 = encrypted_1, enc, byte
    ignored = (seed & 6) // 2
    (length,) = struct.unpack_from("<I", plain, ignored)
    data = bytes(plain[ignored + 4:])
    if len(data) != length:
        raise ValueError("bad encrypted length")
    return data, proj_key


# --------------------------------------------------------------------------------------
# The project's streams
# --------------------------------------------------------------------------------------

#: The references of a new Excel workbook's project: OLE Automation and the Office library.
#: (VBA and Excel themselves are implied by the host.)  Paths are hints; Windows resolves a
#: registered type library by its GUID and version.
REFERENCES: tuple[tuple[str, str], ...] = (
    ("stdole", r"*\G{00020430-0000-0000-C000-000000000046}#2.0#0#C:\Windows\System32\stdole2.tlb#OLE Automation"),
    ("Office", r"*\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#C:\Program Files\Common Files\Microsoft Shared\OFFICE16\MSO.DLL#Microsoft Office 16.0 Object Library"),
)  # fmt: skip

_LCID = 0x0409
#: 3 = 64-bit Windows, what current Office writes; the host recompiles for its own kind.
_SYSKIND = 3


def _rec(rec_id: int, payload: bytes) -> bytes:
    return struct.pack("<HI", rec_id, len(payload)) + payload


def _mbcs(text: str) -> bytes:
    return text.encode(_CODEC)


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


def dir_stream(modules: Sequence[Module], project_name: str = "VBAProject") -> bytes:
    """The uncompressed ``VBA/dir`` stream (MS-OVBA 2.3.4.2), records in the required order."""
    out = bytearray()
    # PROJECTINFORMATION
    out += _rec(0x01, struct.pack("<I", _SYSKIND))
    out += _rec(0x02, struct.pack("<I", _LCID))
    out += _rec(0x14, struct.pack("<I", _LCID))
    out += _rec(0x03, struct.pack("<H", CODE_PAGE))
    out += _rec(0x04, _mbcs(project_name))
    out += _rec(0x05, b"") + _rec(0x40, b"")  # docstring, MBCS and Unicode
    out += _rec(0x06, b"") + _rec(0x3D, b"")  # help file, twice
    out += _rec(0x07, struct.pack("<I", 0))  # help context
    out += _rec(0x08, struct.pack("<I", 0))  # lib flags
    out += struct.pack("<HIIH", 0x09, 4, 1, 0)  # version: Reserved=4, major, minor
    out += _rec(0x0C, b"") + _rec(0x3C, b"")  # constants
    # PROJECTREFERENCES: name + REFERENCEREGISTERED each
    for name, libid in REFERENCES:
        out += _rec(0x16, _mbcs(name)) + _rec(0x3E, _utf16(name))
        lib = _mbcs(libid)
        out += _rec(0x0D, struct.pack("<I", len(lib)) + lib + struct.pack("<IH", 0, 0))
    # PROJECTMODULES
    out += _rec(0x0F, struct.pack("<H", len(modules)))
    out += _rec(0x13, struct.pack("<H", 0xFFFF))  # project cookie
    for m in modules:
        out += _rec(0x19, _mbcs(m.name)) + _rec(0x47, _utf16(m.name))
        out += _rec(0x1A, _mbcs(m.name)) + _rec(0x32, _utf16(m.name))  # stream name
        doc = m.doc.encode(_CODEC, errors="replace")
        out += _rec(0x1C, doc) + _rec(0x48, _utf16(m.doc))
        out += _rec(0x31, struct.pack("<I", 0))  # MODULEOFFSET: source at 0, no p-code
        out += _rec(0x1E, struct.pack("<I", 0))  # help context
        out += _rec(0x2C, struct.pack("<H", 0xFFFF))  # module cookie
        out += _rec(0x21 if m.kind == "standard" else 0x22, b"")
        out += _rec(0x2B, b"")  # module terminator
    out += _rec(0x10, b"")  # dir terminator
    return bytes(out)


def project_stream(modules: Sequence[Module], project_id: str, project_name: str = "VBAProject") -> bytes:
    """The ``PROJECT`` stream (MS-OVBA 2.3.1): text lines in the code page, CRLF ends."""
    lines = [f'ID="{project_id}"']
    for m in modules:
        if m.kind == "document":
            lines.append(f"Document={m.name}/&H00000000")
        elif m.kind == "class":
            lines.append(f"Class={m.name}")
        else:
            lines.append(f"Module={m.name}")
    lines += [
        f'Name="{project_name}"',
        'HelpContextID="0"',
        'VersionCompatible32="393222000"',
        f'CMG="{encrypt(bytes(4), project_id)}"',  # protection state: none
        f'DPB="{encrypt(bytes(1), project_id)}"',  # password: none (a single NUL)
        f'GC="{encrypt(bytes([0xFF]), project_id)}"',  # visibility: visible
        "",
        "[Host Extender Info]",
        "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000",
        "",
        "[Workspace]",
        *(f"{m.name}=0, 0, 0, 0, C" for m in modules),
    ]
    return _mbcs("\r\n".join(lines) + "\r\n")


def project_wm_stream(modules: Sequence[Module]) -> bytes:
    """``PROJECTwm`` (MS-OVBA 2.3.3): each name in the code page and in UTF-16."""
    out = bytearray()
    for m in modules:
        out += _mbcs(m.name) + b"\x00" + _utf16(m.name) + b"\x00\x00"
    return bytes(out + b"\x00\x00")


#: ``_VBA_PROJECT``: Reserved1 0x61CC, Version 0xFFFF ("no cache: compile from source"),
#: Reserved2 0x00, Reserved3 (ignored by readers; 1 as in xlwings' shipped workbook).
VBA_PROJECT_STREAM = struct.pack("<HHBH", 0x61CC, 0xFFFF, 0x00, 0x0001)


def build_vba_project(
    modules: Sequence[Module],
    *,
    project_id: str | None = None,
    project_name: str = "VBAProject",
) -> bytes:
    """The complete ``vbaProject.bin`` for ``modules`` (document modules first, by custom).

    ``project_id`` defaults to a GUID derived from the module names, so a project's id is
    stable from build to build yet differs between projects.
    """
    names = [m.name.lower() for m in modules]
    if len(set(names)) != len(names):
        raise ValueError("VBA module names must be unique (case-insensitive)")
    if project_id is None:
        digest = uuid.uuid5(uuid.NAMESPACE_URL, "salesxl-vba:" + ",".join(m.name for m in modules))
        project_id = "{" + str(digest).upper() + "}"
    streams: dict[str, bytes] = {
        "PROJECT": project_stream(modules, project_id, project_name),
        "PROJECTwm": project_wm_stream(modules),
        "VBA/_VBA_PROJECT": VBA_PROJECT_STREAM,
        "VBA/dir": compress(dir_stream(modules, project_name)),
    }
    for m in modules:
        streams[f"VBA/{m.name}"] = compress(m.encoded)
    return write_cfb(streams)


# --------------------------------------------------------------------------------------
# MS-CFB: a minimal Compound File writer (version 3, 512-byte sectors)
# --------------------------------------------------------------------------------------

_SECTOR = 512
_MINI = 64
_CUTOFF = 4096
_FREESECT, _ENDOFCHAIN, _FATSECT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
_NOSTREAM = 0xFFFFFFFF


@dataclass
class _Node:
    name: str
    data: bytes | None  # None for a storage
    children: dict[str, _Node]
    sid: int = 0
    start: int = _ENDOFCHAIN
    left: int = _NOSTREAM
    right: int = _NOSTREAM
    child: int = _NOSTREAM


def _cfb_key(name: str) -> tuple[int, str]:
    """MS-CFB 2.6.4 sibling order: shorter names first, then by upper-cased characters."""
    return (len(name.encode("utf-16-le")), name.upper())


def write_cfb(streams: Mapping[str, bytes]) -> bytes:
    """A Compound File holding ``streams`` (``"VBA/dir"`` → bytes; storages are implied).

    Layout: header, regular streams, the mini stream, the mini FAT, the directory, the FAT.
    Streams under 4096 bytes live in the mini stream (64-byte sectors) as MS-CFB requires.
    """
    root = _Node("Root Entry", None, {})
    for path, data in streams.items():
        *dirs, leaf = path.split("/")
        node = root
        for d in dirs:
            node = node.children.setdefault(d, _Node(d, None, {}))
            if node.data is not None:
                raise ValueError(f"{path}: {d} is a stream")
        if leaf in node.children:
            raise ValueError(f"duplicate stream {path}")
        node.children[leaf] = _Node(leaf, bytes(data), {})

    # Directory ids, breadth first; each storage's children as a balanced binary tree.
    order: list[_Node] = [root]
    queue = [root]
    while queue:
        node = queue.pop(0)
        kids = sorted(node.children.values(), key=lambda k: _cfb_key(k.name))
        for kid in kids:
            kid.sid = len(order)
            order.append(kid)
            queue.append(kid)
        node.child = _tree(kids)

    big = [n for n in order if n.data is not None and len(n.data) >= _CUTOFF]
    small = [n for n in order if n.data is not None and len(n.data) < _CUTOFF]

    # Mini stream and mini FAT.
    mini_stream = bytearray()
    mini_fat: list[int] = []
    for n in small:
        assert n.data is not None
        count = -(-len(n.data) // _MINI)
        if count == 0:
            continue
        n.start = len(mini_fat)
        mini_fat += [n.start + i + 1 for i in range(count - 1)] + [_ENDOFCHAIN]
        mini_stream += n.data.ljust(count * _MINI, b"\x00")

    sectors: list[bytes] = []
    fat: list[int] = []

    def allocate(data: bytes) -> int:
        if not data:
            return _ENDOFCHAIN
        first = len(sectors)
        count = -(-len(data) // _SECTOR)
        for i in range(count):
            sectors.append(data[i * _SECTOR:(i + 1) * _SECTOR].ljust(_SECTOR, b"\x00"))
            fat.append(first + i + 1 if i < count - 1 else _ENDOFCHAIN)
        return first

    for n in big:
        assert n.data is not None
        n.start = allocate(n.data)
    root.start = allocate(bytes(mini_stream))
    mini_fat_bytes = struct.pack(f"<{len(mini_fat)}I", *mini_fat)
    pad = (-len(mini_fat)) % (_SECTOR // 4)
    mini_fat_bytes += struct.pack(f"<{pad}I", *([_FREESECT] * pad))
    first_mini_fat = allocate(mini_fat_bytes) if mini_fat else _ENDOFCHAIN
    n_mini_fat = len(mini_fat_bytes) // _SECTOR if mini_fat else 0

    entries = bytearray()
    for node in order:
        entries += _dir_entry(node, is_root=node is root, root_size=len(mini_stream))
    while len(entries) % _SECTOR:
        entries += _unused_entry()
    first_dir = allocate(bytes(entries))

    # The FAT describes itself too: grow it until its own sectors fit.
    n_fat = 1
    while (len(sectors) + n_fat) > n_fat * (_SECTOR // 4):
        n_fat += 1
    if n_fat > 109:
        raise ValueError("VBA project too large for a header-only DIFAT")
    fat_start = len(sectors)
    fat += [_FATSECT] * n_fat
    fat += [_FREESECT] * (n_fat * (_SECTOR // 4) - len(fat))
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat)
    for i in range(n_fat):
        sectors.append(fat_bytes[i * _SECTOR:(i + 1) * _SECTOR])

    difat = [fat_start + i for i in range(n_fat)] + [_FREESECT] * (109 - n_fat)
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        bytes.fromhex("D0CF11E0A1B11AE1"), bytes(16),
        0x003E, 0x0003, 0xFFFE, 9, 6, bytes(6),
        0, n_fat, first_dir, 0, _CUTOFF,
        first_mini_fat, n_mini_fat, _ENDOFCHAIN, 0,
    ) + struct.pack("<109I", *difat)
    assert len(header) == _SECTOR
    return header + b"".join(sectors)


def _tree(kids: list[_Node]) -> int:
    """Link ``kids`` (sorted) into a balanced binary search tree; return its root's id."""
    if not kids:
        return _NOSTREAM
    mid = len(kids) // 2
    node = kids[mid]
    node.left = _tree(kids[:mid])
    node.right = _tree(kids[mid + 1:])
    return node.sid


def _dir_entry(node: _Node, *, is_root: bool, root_size: int) -> bytes:
    name = node.name.encode("utf-16-le") + b"\x00\x00"
    if len(name) > 64:
        raise ValueError(f"Compound File name too long: {node.name!r}")
    if is_root:
        kind, size = 5, root_size
    elif node.data is None:
        kind, size = 1, 0
    else:
        kind, size = 2, len(node.data)
    start = node.start if (kind != 1) else 0
    return struct.pack(
        "<64sHBBIII16sIQQIQ",
        name, len(name), kind, 1, node.left, node.right, node.child,
        bytes(16), 0, 0, 0, start, size,
    )


def _unused_entry() -> bytes:
    return struct.pack(
        "<64sHBBIII16sIQQIQ",
        bytes(64), 0, 0, 0, _NOSTREAM, _NOSTREAM, _NOSTREAM, bytes(16), 0, 0, 0, 0, 0,
    )
