"""Holding Python's cyclic garbage collector while many small, long-lived objects are built.

Every container allocated counts towards a collection, and a collection walks every object the
process holds.  Code that builds hundreds of thousands of lists, dicts or dataclasses that all
live on (a UDF's answer of one list per row; a batch's cards, findings and change-log rows)
would otherwise spend more time in collections than in building them.  None of that code makes
reference cycles worth freeing early, so the collector simply waits.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Disable the cyclic collector inside the block (re-enabled after, if it was on)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
