"""The spec §5 ``stock`` document, serialised at the edge from :class:`~salesxl.core.stock.StockResult`.

Quantities are JSON numbers (spec §5: "quantities as numbers"), exact to 0.001: a whole
quantity is an integer, any other the shortest float that reads back as the same decimal
(``12.345``), which Python's float repr guarantees for three decimals.  Dates are
``YYYY-MM-DD``; a blank 规格 is null.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import IO, Any

import pandas as pd

from salesxl.core.stock import StockResult

__all__ = ["qty_json", "stock_document", "write_stock_json"]


def qty_json(q: Decimal | float) -> int | float:
    """A quantity as a JSON number: ``3``, ``12.5``."""
    whole = int(q)
    return whole if q == whole else float(q)


def _text(v: Any) -> str | None:
    return None if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)


def stock_document(result: StockResult) -> dict[str, Any]:
    """``{"as_of", "balances": [...], "variances": [...]}`` of spec §5 ``salesxl stock``."""
    b, v = result.balances, result.variances
    balances = [
        {"warehouse": w, "product": p, "spec": _text(s), "batch": bt, "qty": qty_json(q), "quality": _text(ql)}
        for w, p, s, bt, q, ql in zip(*(b[c].tolist() for c in ("warehouse", "product", "spec", "batch", "qty",
                                                                 "quality")), strict=True)
    ]
    variances = [
        {"date": d.isoformat(), "warehouse": w, "product": p, "spec": _text(s), "batch": bt,
         "book": qty_json(bk), "counted": qty_json(c), "variance": qty_json(x)}
        for d, w, p, s, bt, bk, c, x in zip(v["date"], v["warehouse"], v["product"], v["spec"], v["batch"],
                                             v["book"], v["counted"], v["variance"], strict=True)
    ]
    return {"as_of": result.as_of.isoformat(), "balances": balances, "variances": variances}


def write_stock_json(result: StockResult, fp: IO[bytes]) -> None:
    """Write the document to a binary stream (``sys.stdout.buffer`` for the CLI): one object
    per line inside each array, like the ``offset`` document."""
    doc = stock_document(result)
    fp.write(b'{"as_of": ' + json.dumps(doc["as_of"]).encode())
    for key in ("balances", "variances"):
        rows = doc[key]
        if not rows:
            fp.write(f',\n "{key}": []'.encode())
            continue
        body = ",\n  ".join(json.dumps(r, ensure_ascii=False) for r in rows)
        fp.write(f',\n "{key}": [\n  {body}\n ]'.encode())
    fp.write(b"\n}\n")
