"""Text helpers of the sheet XML: escaping, column letters, display widths, references.

Owns the sheet limits (:data:`MAX_ROW`, :data:`MAX_COL`, :data:`MAX_TEXT`), OOXML text escaping
(:func:`ooxml_text`, :func:`ooxml_str`: XML escapes plus Excel's ``_xHHHH_`` for characters XML
cannot hold), column letters and indices, the display width of text in Excel's columns (CJK
counts two) and sheet references.  Pure functions, no I/O.
"""

from __future__ import annotations

import functools
import re
import unicodedata

__all__ = [
    "BAD_XML_CHARS", "MAX_COL", "MAX_ROW", "MAX_TEXT", "NEEDS_ESCAPE", "col_index", "col_letters",
    "display_width", "normalize_name", "ooxml_str", "ooxml_text", "ref_key", "sheet_ref",
]

MAX_ROW = 1_048_576
MAX_COL = 16_384
MAX_TEXT = 32_767
# --------------------------------------------------------------------------------------------
# Text helpers

BAD_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_ESCAPED_CHAR = re.compile(r"_(x[0-9A-Fa-f]{4}_)")


#: Anything :func:`ooxml_str` changes in a text node: most text has none of it.
NEEDS_ESCAPE = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]|_x[0-9A-Fa-f]{4}_")


def ooxml_text(value: str, *, attr: bool = False) -> bytes:
    """``value`` escaped for an OOXML text node (or attribute), never interpreted."""
    return ooxml_str(value, attr=attr).encode("utf-8")


def ooxml_str(value: str, *, attr: bool = False) -> str:
    """:func:`ooxml_text` before encoding (for callers that encode whole rows at once); text
    that needs no escape is returned as it is, after a single regex search."""
    if not attr and len(value) <= MAX_TEXT and NEEDS_ESCAPE.search(value) is None:
        return value
    value = value[:MAX_TEXT]
    value = _ESCAPED_CHAR.sub(r"_x005F_\1", value)
    value = BAD_XML_CHARS.sub(lambda m: f"_x{ord(m.group()):04X}_", value)
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if attr:
        value = value.replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")
    return value.replace("\r", "&#13;")


@functools.lru_cache(maxsize=4096)  # a sheet patcher asks for the same few letters per row
def col_index(letters: str) -> int | None:
    """``"AB"`` → 28; None for anything that is not a column of a worksheet."""
    letters = letters.strip().upper()
    if not re.fullmatch(r"[A-Z]{1,3}", letters):
        return None
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n if n <= MAX_COL else None


def col_letters(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


class _CharWidths(dict[str, int]):
    """Character → display width (2 for East Asian wide and full-width, else 1), looked up in
    ``unicodedata`` once per distinct character."""

    def __missing__(self, ch: str) -> int:
        width = self[ch] = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        return width


_CHAR_WIDTHS = _CharWidths()


def display_width(text: str) -> int:
    """Columns ``text`` takes on screen (CJK counts double): what column widths are fitted to.

    Result sheets measure every cell they write, so this is on a hot path: ASCII text is its
    length, other text one dict lookup per character.
    """
    if text.isascii():
        return len(text)
    return sum(map(_CHAR_WIDTHS.__getitem__, text))


def sheet_ref(name: str, row: int, col: int) -> str:
    return "'" + name.replace("'", "''") + "'!" + col_letters(col) + str(row)


def normalize_name(name: str) -> str:
    return unicodedata.normalize("NFKC", name).strip().casefold()



def ref_key(ref: str) -> tuple[int, int]:
    m = re.fullmatch(r"\$?([A-Za-z]{1,3})\$?(\d+)", ref)
    if not m:
        return (0, 0)
    return (int(m.group(2)), col_index(m.group(1)) or 0)


