"""The spec §5 JSON documents, serialised at the edge from the core's results.

The core computes (:mod:`salesxl.core.ledger` returns DataFrames of int64 fen and categoricals)
and never formats text for a command line; this module turns a result into the document
``salesxl offset --json`` prints.  The ``offset`` document is the big one — a million
allocations at scale — so it is assembled column-wise by Arrow string kernels rather than a
Python dict per row: one JSON object per line inside each array (as readable as ``indent=2``
for a person scrolling it, a third of the size), streamed in pieces.  :func:`offset_document`
parses that same text, so the Python objects and the printed document can never disagree.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import IO, TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    from salesxl.core.cards import CardsResult
    from salesxl.core.ledger import LedgerResult

__all__ = ["cards_json_text", "offset_chunks", "offset_document", "offset_json_text", "write_cards_json",
           "write_offset_json"]


def offset_chunks(result: LedgerResult) -> Iterator[bytes | memoryview]:
    """The spec §5 ``offset`` document of ``result`` as UTF-8 pieces, built column-wise, one
    section at a time (peak memory)."""
    yield b'{"as_of": ' + json.dumps(result.as_of.isoformat()).encode()
    alloc, rel = result.allocations, result.release
    sections: list[tuple[str, Callable[[], Pieces]]] = [  # built one at a time: peak memory
        ("customers", lambda: _customer_pieces(result.customers, result.labels)),
        ("allocations", lambda: _object_pieces([
            ("customer_id", "text", alloc["customer_id"]),
            ("credit_doc", "text", alloc["credit_doc"]),
            ("debit_doc", "text", alloc["debit_doc"]),
            ("amount", "fen", alloc["amount"]),
        ])),
        ("release", lambda: _object_pieces([
            ("doc_no", "text", rel["doc_no"]),
            ("product", "text", rel["product"]),
            ("spec", "text", rel["spec"]),
            ("customer_id", "text", rel["customer_id"]),
            ("decision", "text", rel["decision"]),
        ])),
    ]
    for key, pieces in sections:
        body = _join_rows(pieces())
        if len(body) == 0:
            yield f',\n "{key}": []'.encode()
            continue
        yield f',\n "{key}": [\n  '.encode()
        yield body
        yield b"\n ]"
    yield b"\n}\n"


def write_offset_json(result: LedgerResult, fp: IO[bytes]) -> None:
    """Write the ``offset`` document to a binary stream (``sys.stdout.buffer`` for the CLI)."""
    for chunk in offset_chunks(result):
        fp.write(chunk)


def offset_json_text(result: LedgerResult) -> str:
    """The ``offset`` document as one string."""
    return b"".join(offset_chunks(result)).decode("utf-8")


def offset_document(result: LedgerResult) -> dict[str, Any]:
    """The ``offset`` document as Python objects (parsed from :func:`offset_json_text`)."""
    return json.loads(offset_json_text(result))


# ---------------------------------------------------------------------------------------------
# Column-wise assembly


def _text(s: pd.Series) -> pa.Array:
    """A text column as one Arrow large_string array, nulls for blanks."""
    arr = pa.array(s, from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr if arr.type == pa.large_string() else arr.cast(pa.large_string())


_NEEDS_ESCAPE = r'["\\\x00-\x1f]'
#: Between two rows of an array in the document (stripped after the last one).
_ROW_SEP = ",\n  "

# A row is assembled as a list of string columns joined with no separator, each column a
# ``take`` from a small lookup table that already holds the surrounding JSON punctuation: Arrow's
# variadic join is fast on arrays and slow on broadcast scalars, and the lookups cost nothing.
Pieces = list[pa.Array]
#: The document's big string buffers come from the system allocator: measured on the scale book,
#: a first (cold) build is about twice as fast as through Arrow's default mimalloc pool, and a
#: command builds the document exactly once.
_POOL = pa.system_memory_pool()


def _lit(text: str) -> pa.Scalar:
    return pa.scalar(text, pa.large_string())


def _codes(s: pd.Series) -> tuple[pa.Array, np.ndarray]:
    """(distinct values, index of each row into them, -1 for blank) of a text column; a
    categorical column hands over its own categories and codes without hashing."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        return _text(pd.Series(s.cat.categories.array)), s.cat.codes.to_numpy().astype(np.int64)
    enc = pc.dictionary_encode(_text(s))
    return enc.dictionary, pc.fill_null(enc.indices, -1).to_numpy().astype(np.int64)


def _json_literals(values: pa.Array) -> pa.Array:
    """Distinct texts → JSON string literals; only values holding a quote, backslash or control
    character go through :func:`json.dumps`."""
    quoted = pc.binary_join_element_wise(_lit('"'), values, _lit('"'), _lit(""))
    special = np.flatnonzero(pc.fill_null(pc.match_substring_regex(values, _NEEDS_ESCAPE), False)
                             .to_numpy(zero_copy_only=False))
    if len(special) == 0:
        return quoted
    fixed = quoted.to_pylist()
    for i in special:
        fixed[i] = json.dumps(values[int(i)].as_py(), ensure_ascii=False)
    return pa.array(fixed, pa.large_string())


def _text_piece(prefix: str, s: pd.Series, suffix: str = "") -> Pieces:
    """``prefix`` + the JSON literal of each row's text (``null`` for blank) + ``suffix``."""
    values, idx = _codes(s)
    used = np.zeros(len(values) + 1, dtype=bool)
    used[idx] = True  # -1 (blank) marks the extra last slot
    keep = np.flatnonzero(used[:-1])
    new_index = np.cumsum(used[:-1]) - 1  # compact to the values actually present
    literals = _json_literals(values.take(pa.array(keep))) if len(keep) else pa.array([], pa.large_string())
    table = pc.binary_join_element_wise(
        _lit(prefix), pa.concat_arrays([literals, pa.array(["null"], pa.large_string())]), _lit(suffix), _lit("")
    )
    at = np.where(idx >= 0, new_index[np.maximum(idx, 0)] if len(values) else 0, len(keep))
    return [pc.take(table, pa.array(at), memory_pool=_POOL)]


def _fen_piece(prefix: str, values: pd.Series | np.ndarray, suffix: str = "") -> Pieces:
    """``prefix`` + ``"1234.50"`` (spec §5 amounts) + ``suffix`` for a whole int64 fen column."""
    v = np.asarray(values, dtype=np.int64)
    mag = np.abs(v)
    heads = pa.array([prefix + '"', prefix + '"-'], pa.large_string())
    cents = pa.array([f'.{i:02d}"{suffix}' for i in range(100)], pa.large_string())
    return [
        pc.take(heads, pa.array((v < 0).view(np.int8)), memory_pool=_POOL),
        pc.cast(pa.array(mag // 100), pa.large_string(), memory_pool=_POOL),
        pc.take(cents, pa.array(mag % 100), memory_pool=_POOL),
    ]


def _piece(prefix: str, kind: str, column: pd.Series | np.ndarray, suffix: str = "") -> Pieces:
    if kind == "fen":
        return _fen_piece(prefix, column, suffix)
    return _text_piece(prefix, column, suffix)


def _object_pieces(fields: list[tuple[str, str, Any]]) -> Pieces:
    """Pieces of one flat ``{"key": value, …}`` object per row, each row ending in the row
    separator."""
    pieces: Pieces = []
    for i, (key, kind, column) in enumerate(fields):
        prefix = ("{" if i == 0 else ", ") + json.dumps(key, ensure_ascii=False) + ": "
        pieces += _piece(prefix, kind, column, "}" + _ROW_SEP if i == len(fields) - 1 else "")
    return pieces


def _customer_pieces(customers: pd.DataFrame, labels: list[str]) -> Pieces:
    """Spec §5 customer objects, ``aging`` nested as {label: amount}."""
    money = ("debits", "credits", "net", "receivable", "prepaid", "overdue")
    pieces = _piece('{"customer_id": ', "text", customers["customer_id"])
    for m in money:
        pieces += _piece(f', "{m}": ', "fen", customers[m])
    for j, label in enumerate(labels):
        prefix = (', "aging": {' if j == 0 else ", ") + json.dumps(label, ensure_ascii=False) + ": "
        pieces += _piece(prefix, "fen", customers[label], "}" if j == len(labels) - 1 else "")
    pieces += _piece(', "credit_limit": ', "fen", customers["credit_limit"])
    pieces += _piece(', "available_credit": ', "fen", customers["available_credit"])
    pieces += _piece(', "action": ', "text", customers["action"], "}" + _ROW_SEP)
    return pieces


def _join_rows(pieces: Pieces) -> memoryview:
    """The rows' UTF-8 bytes back to back, without the last row's separator: the data buffer of
    the joined string array, so no Python string is made per row."""
    if len(pieces[0]) == 0:
        return memoryview(b"")
    rows = pc.binary_join_element_wise(*pieces, _lit(""), memory_pool=_POOL)
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int64)[rows.offset: rows.offset + len(rows) + 1]
    return memoryview(rows.buffers()[2])[int(offsets[0]): int(offsets[-1]) - len(_ROW_SEP.encode())]


# ---------------------------------------------------------------------------------------------
# salesxl prices (spec v1.1 §5): a line per positive sales line of the period — a million at
# scale — so the lines are assembled column-wise like the offset document.

if TYPE_CHECKING:
    from salesxl.core.prices import PriceAnalysis


def _scaled_piece(prefix: str, values: pd.Series, scale: int, quoted: bool, suffix: str = "") -> Pieces:
    """``prefix`` + a fixed-point number (``"12.50"`` quoted for money, ``-0.1250`` bare for a rate)
    + ``suffix``; ``null`` where ``values`` (nullable int, in units of 1/``scale``) is missing."""
    missing = values.isna().to_numpy()
    v = values.fillna(0).to_numpy(dtype=np.int64)
    mag = np.abs(v)
    q = '"' if quoted else ""
    width = len(str(scale)) - 1
    heads = pa.array([prefix + q, prefix + q + "-"], pa.large_string())
    tails = pa.array([f".{i:0{width}d}{q}{suffix}" for i in range(scale)], pa.large_string())
    pieces = [
        pc.take(heads, pa.array((v < 0).view(np.int8))),
        pc.cast(pa.array(mag // scale), pa.large_string()),
        pc.take(tails, pa.array(mag % scale)),
    ]
    if not missing.any():
        return pieces
    mask = pa.array(missing)
    return [pc.if_else(mask, _lit(prefix + "null" + suffix), pieces[0]),
            *(pc.if_else(mask, _lit(""), p) for p in pieces[1:])]


def _int_piece(prefix: str, values: np.ndarray) -> Pieces:
    return [pc.binary_join_element_wise(_lit(prefix), pc.cast(pa.array(values), pa.large_string()), _lit(""))]


def price_line_pieces(lines: pd.DataFrame) -> Pieces:
    """Spec §5 ``prices`` line objects, one per row of ``PriceAnalysis.lines``."""
    pieces = _int_piece('{"sheet_row": ', lines["sheet_row"].to_numpy(dtype=np.int64))
    for key in ("product", "spec", "customer_id", "level"):
        pieces += _text_piece(f', "{key}": ', lines[key])
    for key in ("unit_price", "list_price", "floor_price"):
        pieces += _scaled_piece(f', "{key}": ', lines[key], 100, True)
    pieces += _scaled_piece(', "deviation": ', lines["deviation_e4"], 10000, False)
    pieces += _text_piece(', "check": ', lines["check"], "}" + _ROW_SEP)
    return pieces


def _fen_or_null(v: Any) -> str | None:
    from salesxl.core.money import fen_to_str

    return None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else fen_to_str(int(v))


def _rate_or_null(v: Any) -> float | None:
    return None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else round(float(v), 4)


def price_group_objects(groups: pd.DataFrame, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """Spec §5 ``by_product_level`` objects (or the same measures under other ``keys``)."""
    out = []
    for r in groups.to_dict("records"):
        obj: dict[str, Any] = {k: (None if pd.isna(r[k]) else r[k]) for k in keys}
        obj["qty"] = float(r["qty"])
        for m in ("revenue", "average_price", "list_revenue", "discount"):
            obj[m] = _fen_or_null(r[m])
        obj["discount_rate"] = _rate_or_null(r["discount_rate"])
        obj["cost"], obj["margin"] = _fen_or_null(r["cost"]), _fen_or_null(r["margin"])
        obj["margin_rate"] = _rate_or_null(r["margin_rate"])
        out.append(obj)
    return out


def prices_chunks(result: PriceAnalysis) -> Iterator[bytes | memoryview]:
    """The spec §5 ``prices`` document as UTF-8 pieces."""
    yield (f'{{"from": "{result.date_from.isoformat()}", "to": "{result.date_to.isoformat()}"').encode()
    body = _join_rows(price_line_pieces(result.lines)) if len(result.lines) else memoryview(b"")
    if len(body) == 0:
        yield b',\n "lines": []'
    else:
        yield b',\n "lines": [\n  '
        yield body
        yield b"\n ]"
    groups = price_group_objects(result.by_product_level, ("product", "level"))
    rows = _ROW_SEP.join(json.dumps(g, ensure_ascii=False) for g in groups)
    yield (',\n "by_product_level": ' + (f"[\n  {rows}\n ]" if rows else "[]") + "\n}\n").encode()


def write_prices_json(result: PriceAnalysis, fp: IO[bytes]) -> None:
    """Write the ``prices`` document to a binary stream (``sys.stdout.buffer`` for the CLI)."""
    for chunk in prices_chunks(result):
        fp.write(chunk)


def prices_document(result: PriceAnalysis) -> dict[str, Any]:
    """The ``prices`` document as Python objects (parsed from the printed text)."""
    return json.loads(b"".join(prices_chunks(result)).decode("utf-8"))


__all__ += ["price_group_objects", "price_line_pieces", "prices_chunks", "prices_document", "write_prices_json"]
# cards (v1.1, issue 19)


def cards_json_text(result: CardsResult) -> str:
    """The spec §5 ``cards`` document of ``result``, one card per line.  Cards sharing a gap
    pattern share one ``missing`` object (:func:`salesxl.core.cards.missing_groups`), so each
    pattern is serialised once; the rest is a format string per card."""
    c = result.cards
    patterns: dict[int, str] = {}
    lines = []
    for cid, status, comp, missing, stale in zip(c["customer_id"].tolist(), c["status"].tolist(),
                                                 c["completeness"].tolist(), c["missing"].tolist(),
                                                 c["stale"].tolist(), strict=True):
        key = id(missing)
        text = patterns.get(key)
        if text is None:
            text = patterns[key] = json.dumps(missing, ensure_ascii=False)
        lines.append(f'{{"customer_id": {json.dumps(cid, ensure_ascii=False)}, "status": "{status}", '
                     f'"completeness": {float(comp)!r}, "missing": {text}, "stale": {"true" if stale else "false"}}}')
    body = ",\n  ".join(lines)
    cards = f"[\n  {body}\n ]" if lines else "[]"
    return f'{{"as_of": "{result.as_of.isoformat()}",\n "cards": {cards}\n}}\n'


def write_cards_json(result: CardsResult, fp: IO[bytes]) -> None:
    """Write :func:`cards_json_text` to a binary stream (``sys.stdout.buffer``)."""
    fp.write(cards_json_text(result).encode("utf-8"))
