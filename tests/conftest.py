"""Suite-wide guards.

The suite leaves no files in the repository: every test writes under ``tmp_path``.  A test
that writes into the working directory instead (a relative ``--out o``) is caught here, at the
end of the run, with the paths it left — including empty folders, which ``git status`` does
not show.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

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
