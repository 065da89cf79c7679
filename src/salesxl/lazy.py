"""A module imported on first use: the command line's way to start fast.

``salesxl --help``, ``--version`` and every button click start a fresh Python; importing
:mod:`salesxl.api` (pandas, pyarrow, the readers) costs most of a second there.  The command
line refers to ``api.validate`` … only inside command bodies, so a stand-in that imports the
module at the first attribute access is all it takes.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands for the module ``name`` and imports it at the first attribute access."""

    __slots__ = ("_name", "_module")

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}{'' if self._module is None else ' (loaded)'}>"


def lazy_module(name: str) -> Any:
    """A :class:`LazyModule` for ``name``, typed as Any so callers keep their attribute use."""
    return LazyModule(name)
