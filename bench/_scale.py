"""Shared by the benchmarks: the scale book, built once on demand."""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BOOK = ROOT / "workbooks" / "demo-scale.xlsx"


def ensure_scale_book(book: Path) -> Path:
    """``book``, building the demo company at benchmark size there first if it is missing."""
    if not book.exists():
        from salesxl.demo import build_demo

        print(f"building {book} …", file=sys.stderr)
        t0 = time.perf_counter()
        built = build_demo(book.parent, scale=True)
        if built != book:
            built.rename(book)
        print(f"built in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return book
