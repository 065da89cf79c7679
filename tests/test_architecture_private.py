"""No salesxl module reaches into another module's private names.

A leading underscore says "this module's own business"; a name another module needs belongs in
the defining module's public API (or in the :mod:`salesxl.io.ooxml` layer).  This test parses
every module under ``src/salesxl`` with :mod:`ast` and fails, listing the offenders, on
``from salesxl.x import _name`` and on ``x._name`` where ``x`` is a salesxl module imported by
that file (``import salesxl.x as x`` or ``from salesxl import x``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import salesxl

SRC = Path(salesxl.__file__).parent


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(node: ast.ImportFrom, here: str, is_package: bool) -> str | None:
    """The absolute module an ``ImportFrom`` names (relative imports resolved)."""
    if node.level == 0:
        return node.module
    base = here.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def offences(path: Path) -> list[str]:
    """Every private name of another salesxl module that ``path`` imports or reads."""
    label = str(path.relative_to(SRC.parent))
    return offences_in(path.read_text(encoding="utf-8"), _module_name(path), path.name == "__init__.py", label)


def offences_in(source: str, here: str, is_package: bool, label: str) -> list[str]:
    """:func:`offences` of the module ``here`` whose text is ``source``."""
    tree = ast.parse(source, label)
    found: list[str] = []
    module_aliases: dict[str, str] = {}  # local name → salesxl module it is bound to
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = _resolve(node, here, is_package)
            if not module or not (module == "salesxl" or module.startswith("salesxl.")):
                continue
            for alias in node.names:
                if module == here:
                    continue
                if _is_private(alias.name):
                    found.append(f"{label}:{node.lineno}: from {module} import {alias.name}")
                else:
                    module_aliases[alias.asname or alias.name] = f"{module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("salesxl."):
                    if alias.asname:
                        module_aliases[alias.asname] = alias.name
                    if any(_is_private(part) for part in alias.name.split(".")):
                        found.append(f"{label}:{node.lineno}: import {alias.name}")
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in module_aliases and _is_private(node.attr)):
            target = module_aliases[node.value.id]
            if (SRC.parent / target.replace(".", "/")).with_suffix(".py").exists() or (
                    SRC.parent / target.replace(".", "/") / "__init__.py").exists():
                found.append(f"{label}:{node.lineno}: {node.value.id}.{node.attr} ({target})")
    return found


def test_no_module_imports_another_modules_private_name() -> None:
    paths = sorted(SRC.rglob("*.py"))
    assert len(paths) > 20
    bad = [offence for path in paths for offence in offences(path)]
    assert not bad, "private names used across modules:\n" + "\n".join(bad)


def test_the_check_sees_both_forms() -> None:
    """The scanner itself: both forms are caught; a module's own and dunder names are not."""
    source = (
        "from salesxl.io import files\n"
        "from salesxl.io.marking import _HIDDEN, __all__\n"
        "from ._probe import _mine\n"
        "x = files._CHUNK\n"
        "y = files.atomic_write\n"
    )
    found = offences_in(source, "salesxl.io._probe", False, "probe.py")
    assert len(found) == 2, found
    assert "import _HIDDEN" in found[0] and "files._CHUNK" in found[1]
