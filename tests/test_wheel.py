"""Installs on the office PC (issue 14, point 13): the wheel the office is handed works.

What this verifies, honestly:

* ``python -m build`` makes an sdist and, from that sdist, a wheel (so the sdist is complete);
* the wheel holds the package's data files (our ``vba/*.bas``, the Lite template) and the
  ``salesxl`` console script;
* installed with pip into a **fresh venv**, as ``salesxl-0.1.0-py3-none-any.whl[excel]``, its
  dependency metadata (the ``[excel]`` extra included) is satisfiable, and the installed copy —
  not this source tree — runs ``salesxl --version`` and ``salesxl template office``, whose .xlsm
  carries the VBA built from the .bas files inside the wheel.

What it does not: download the dependencies.  The test must run offline, so the fresh venv sees the test
environment's packages behind its own (a ``.pth`` file) and pip runs with ``--no-index``:
pip still resolves every requirement of the wheel and its extra, and fails if one is missing
or its version does not fit, but satisfies them from the packages the test environment has
(those of constraints.txt) instead of fetching them from PyPI.  The office PC gets the same
packages from PyPI by the README's ``pip install``.
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.wheel


def clean_env() -> dict[str, str]:
    """No PYTHONPATH and no salesxl language: the installed copy must stand on its own."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "SALESXL_LANG")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def run(argv: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, cwd=cwd, env=clean_env(), capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{argv}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("build")
    pytest.importorskip("hatchling")
    dist = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(ROOT)], cwd=dist)
    wheels = sorted(dist.glob("salesxl-*-py3-none-any.whl"))
    assert len(wheels) == 1 and sorted(dist.glob("salesxl-*.tar.gz")), sorted(dist.iterdir())
    return wheels[0]


def test_wheel_holds_the_data_files(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    sources = {p.relative_to(ROOT / "src").as_posix() for p in (ROOT / "src" / "salesxl").rglob("*")
               if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}
    assert sources <= names, sorted(sources - names)
    assert "salesxl/excel/vba/SalesxlButtons.bas" in names
    entry = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "salesxl = salesxl.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()


def test_wheel_installs_with_excel_into_a_fresh_venv_and_makes_the_office_workbook(
        wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / "python"
    # The test environment's packages, visible behind the new venv's own (its "system site
    # packages": the test environment is itself a venv, which --system-site-packages would skip).
    own = run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=tmp_path)
    Path(own.stdout.strip(), "test-environment.pth").write_text(
        "\n".join(p for p in site.getsitepackages() if Path(p).is_dir()) + "\n")
    # the README's command, with the wheel file and the [excel] extra
    run([str(python), "-m", "pip", "install", "--no-index", f"{wheel}[excel]"], cwd=tmp_path)
    where = run([str(python), "-c", "import salesxl, xlwings; print(salesxl.__file__)"], cwd=tmp_path).stdout
    assert Path(where.strip()).is_relative_to(venv), where  # the installed copy, not the source tree
    assert run([str(bindir / "salesxl"), "--version"], cwd=tmp_path).stdout.strip() == "salesxl 0.1.0"
    book = tmp_path / "销售管理.xlsm"
    run([str(bindir / "salesxl"), "template", "office", "--out", str(book)], cwd=tmp_path)
    with zipfile.ZipFile(book) as z:
        vba = z.read("xl/vbaProject.bin")
    # the button module, compiled from the .bas inside the wheel (its name survives in the project)
    assert b"SalesxlButtons" in vba
