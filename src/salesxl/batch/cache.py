"""The master's parsed state, kept beside it so that a batch on an unchanged master does not
parse it again (``salesxl batch --cache``).

Reading a 150,000-card master, indexing it for the merge and checking its cards costs seconds
of the batch's main process; loading the same state back costs a fraction of that.  The cache
is a hidden file beside the master (``.<name>.salesxl-cache``) holding the master's SHA-256,
then the state.  It is only ever a shortcut:

* **keyed by the master's hash** — read only when the hash it records is the hash of the master
  the batch is about to merge into; any other hash (the master was saved since, by Excel or by
  a batch) and the master is parsed again and the cache rewritten;
* **safe to delete** — nothing else reads it; without it the batch parses the master;
* **never fatal** — a cache that cannot be read or written is ignored.

The state is pickled: the file lives in the master's own folder, so whoever can write it can
replace the master itself; the batch's lock file and backups live there on the same terms.
"""

from __future__ import annotations

import contextlib
import pickle
from pathlib import Path
from typing import Any

from salesxl.io.files import atomic_write

MAGIC = b"salesxl-master-cache 2\n"
_HASH_BYTES = 64  # SHA-256 in hex


def cache_path(master: Path) -> Path:
    """Where the cache of ``master`` lives (hidden, beside it)."""
    return master.with_name(f".{master.name}.salesxl-cache")


def load_cache(master: Path, sha256: str) -> Any | None:
    """The state cached for the master whose hash is ``sha256``; None when there is no cache,
    it was made for other bytes, or it cannot be read."""
    path = cache_path(master)
    try:
        with path.open("rb") as fp:
            if fp.read(len(MAGIC)) != MAGIC or fp.read(_HASH_BYTES + 1) != sha256.encode("ascii") + b"\n":
                return None
            return pickle.load(fp)  # noqa: S301 - written by the batch, in the master's own folder
    except Exception:  # noqa: BLE001 - a cache that cannot be read is no cache
        return None


def save_cache(master: Path, sha256: str, state: Any) -> bool:
    """Keep ``state`` as the parsed state of the master whose hash is ``sha256`` (atomically:
    a kill leaves the old cache or the new one).  False when it could not be written."""
    with contextlib.suppress(Exception):
        with atomic_write(cache_path(master)) as fp:
            fp.write(MAGIC + sha256.encode("ascii") + b"\n")
            pickle.dump(state, fp, protocol=pickle.HIGHEST_PROTOCOL)
        return True
    return False
