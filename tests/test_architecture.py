"""The package's import graph has no cycle.

Every ``import`` of a ``salesxl`` module counts, at module level or inside a function (a lazy
import back into a higher layer is still a cycle of ideas); only imports under
``if TYPE_CHECKING:`` are left out, as they never run.  The graph is built from the source with
:mod:`ast`, so nothing is imported to check it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import salesxl

ROOT = Path(salesxl.__file__).parent


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(node: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement under ``node``, at any depth, except under ``if TYPE_CHECKING:``."""
    if isinstance(node, ast.If) and _type_checking(node.test):
        return [found for child in node.orelse for found in _imports(child)]
    found = [node] if isinstance(node, ast.Import | ast.ImportFrom) else []
    return found + [f for child in ast.iter_child_nodes(node) for f in _imports(child)]


def import_graph() -> dict[str, dict[str, int]]:
    """Module → {imported salesxl module: line of the first such import}."""
    modules = _modules()

    def known(name: str) -> str | None:
        while name and name not in modules:  # ``from pkg.mod import name``: the module
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, dict[str, int]] = {}
    for module, path in modules.items():
        edges: dict[str, int] = {}
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("salesxl") and (target := known(alias.name)):
                        edges.setdefault(target, node.lineno)
                continue
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            if base != "salesxl" and not base.startswith("salesxl."):
                continue
            for alias in node.names:  # ``from salesxl import api`` imports the module api
                full = f"{base}.{alias.name}"
                if target := (full if full in modules else known(base)):
                    edges.setdefault(target, node.lineno)
        edges.pop(module, None)
        graph[module] = edges
    return graph


def find_cycle(graph: dict[str, dict[str, int]]) -> list[str] | None:
    """One cycle as [a, b, …, a], or None (depth-first search, iterative)."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    for start in sorted(graph):
        if start in state:
            continue
        path, stack = [start], [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph.get(nxt, {}))))
    return None


def test_no_import_cycle() -> None:
    graph = import_graph()
    assert "salesxl.api" in graph and "salesxl.batch.run" in graph
    cycle = find_cycle(graph)
    if cycle:
        steps = [f"{a} → {b} (line {graph[a][b]})" for a, b in zip(cycle, cycle[1:], strict=False)]
        raise AssertionError("import cycle among salesxl modules:\n  " + "\n  ".join(steps))


def test_the_graph_sees_lazy_imports_and_the_cycle_finder_finds_one() -> None:
    graph = import_graph()
    assert "salesxl.commands" in graph["salesxl.batch.run"]  # imported inside _monthly
    assert "salesxl.batch" in graph["salesxl.api"]  # ``from salesxl.batch import run_batch`` in batch()
    assert find_cycle({"a": {"b": 1}, "b": {"c": 2}, "c": {"a": 3}, "d": {}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b": 1}, "b": {}, "c": {"a": 1, "b": 2}}) is None


def test_core_builds_on_nothing_above_it() -> None:
    """The core computes; reading, writing and serialising (``io``, the JSON documents) sit on
    top of it, so a core module imports only the core and the shared error types."""
    graph = import_graph()
    allowed = ("salesxl.core", "salesxl.errors")
    above = {m: sorted(t for t in edges if not t.startswith(allowed))
             for m, edges in graph.items() if m.startswith("salesxl.core")}
    assert {m: t for m, t in above.items() if t} == {}
