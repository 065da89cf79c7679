"""Suite-wide guards.

The suite leaves no files in the repository: every test writes under ``tmp_path``.  A test
that writes into the working directory instead (a relative ``--out o``) is caught here, at the
end of the run, with the paths it left — including empty folders, which ``git status`` does
not show.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    """With pytest-xdist off (``-p no:xdist``), accept and ignore the ``--numprocesses`` and
    ``--dist`` of addopts (pyproject.toml), so the suite runs serially instead of refusing the
    command line."""
    if not pluginmanager.has_plugin("xdist"):
        group = parser.getgroup("xdist-off", "pytest-xdist is off: the suite runs in one process")
        group.addoption("--numprocesses", default=None, help="ignored: pytest-xdist is off")
        group.addoption("--dist", default="no", help="ignored: pytest-xdist is off")

ROOT = Path(__file__).resolve().parent.parent

#: Made by the tools themselves, not by the code under test (hidden folders are skipped too).
_SKIPPED = {"__pycache__", "node_modules"}


def repo_listing(root: Path = ROOT) -> set[str]:
    """Every file and folder under ``root`` (relative), hidden ones and caches left out."""
    found: set[str] = set()
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in _SKIPPED]
        rel = Path(folder).relative_to(root)
        found.update(str(rel / d) + "/" for d in dirs)
        found.update(str(rel / n) for n in names if not n.endswith((".pyc", ".pyo")))
    return found


def git_status(root: Path = ROOT) -> str | None:
    """``git status --porcelain`` of the repository (None outside a git checkout): catches a
    tracked file a test changed, which a listing of names would not."""
    try:
        done = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=root,
                              capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


@pytest.fixture(scope="session", autouse=True)
def repository_left_as_found() -> Iterator[None]:
    """Fails the run when the tests added, removed or changed anything in the repository."""
    listing, status = repo_listing(), git_status()
    yield
    added = sorted(repo_listing() - listing)
    removed = sorted(listing - repo_listing())
    assert not added and not removed, f"the tests left the repository changed: added {added}, removed {removed}"
    after = git_status()
    if status is not None and after is not None:
        assert after == status, f"the tests changed the repository (git status before:\n{status}\nafter:\n{after})"


#: ``(dest, clean=False) -> path``: a copy of the demo workbook (``salesxl demo``) in ``dest``.
DemoFactory = Callable[..., Path]


@pytest.fixture(scope="session")
def demo_factory(tmp_path_factory: pytest.TempPathFactory) -> DemoFactory:
    """The demo company's books, built once per test process (a few seconds each) and handed out
    as copies: ``demo_factory(dest)`` is what ``build_demo(dest)`` writes (``demo.xlsx`` with
    its planted mistakes and the files beside it), ``demo_factory(dest, clean=True)`` what
    ``build_demo(dest, clean=True)`` writes.  Every caller gets its own copy to change."""
    from salesxl.demo import build_demo

    built: dict[bool, Path] = {}

    def copy(dest: Path, clean: bool = False) -> Path:
        if clean not in built:
            built[clean] = build_demo(tmp_path_factory.mktemp("demo-clean" if clean else "demo"), clean=clean)
        shutil.copytree(built[clean].parent, dest, dirs_exist_ok=True)
        return Path(dest) / built[clean].name

    return copy
