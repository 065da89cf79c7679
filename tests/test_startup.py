"""Quick to start, and progress people can see (issue 14, points 11 and 12).

The start-up test is a behaviour test, not a timing test: the command line must not import
pandas, pyarrow, numpy or fastexcel before a command needs them, which is what made
``salesxl --help`` take seconds (its speed: bench/bench_startup.py).  The progress tests run
real commands with stderr a pipe, as a script on a server would, and read the lines.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from salesxl import limits
from salesxl.cli_progress import INTERVAL_ENV, LineProgress, interval_seconds
from salesxl.demo import DEMO_END

HEAVY = ("pandas", "pyarrow", "numpy", "fastexcel", "salesxl.api", "xlsxwriter", "lxml")


def loaded_after(code: str) -> list[str]:
    """The heavy modules a fresh Python has loaded after running ``code``."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "SALESXL_LANG": "zh"})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_the_command_line_loads_nothing_heavy() -> None:
    assert loaded_after("import salesxl, salesxl.cli, salesxl.cli_i18n") == []


@pytest.mark.parametrize("argv", [
    ["--version"], ["--help"], ["validate", "--help"], ["offset", "-h"], ["classify", "--help"],
    ["summary", "--help"], ["statement", "--help"], ["batch", "--help"], ["sheets", "--help"],
    ["demo", "--help"], ["template", "--help"], ["template", "office", "--help"],
    ["template", "salesperson", "--help"], ["--lang", "en", "batch", "--help"],
])
def test_help_and_version_load_nothing_heavy(argv: list[str]) -> None:
    code = f"import contextlib, io\nfrom salesxl.cli import run\nwith contextlib.redirect_stdout(io.StringIO()):\n    assert run({argv!r}) == 0"
    assert loaded_after(code) == []


def test_batch_defaults_are_the_workers_own() -> None:
    """The option defaults ``batch --help`` shows are the ones the batch uses."""
    from salesxl import api
    from salesxl.batch import workers

    assert (limits.DEFAULT_TIMEOUT, limits.DEFAULT_MEMORY_MB) == (workers.DEFAULT_TIMEOUT, workers.DEFAULT_MEMORY_MB)
    assert (api.DEFAULT_TIMEOUT, api.DEFAULT_MEMORY_MB) == (workers.DEFAULT_TIMEOUT, workers.DEFAULT_MEMORY_MB)


# ---------------------------------------------------------------------------------------------
# Progress off a terminal


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_lines_come_at_most_every_interval_and_a_new_stage_once_the_job_is_long() -> None:
    clock, stream = Clock(), io.StringIO()
    lines = LineProgress("校验", stream=stream, interval=5, clock=clock)
    lines("客户档案", 1, 10)
    clock.now += 2
    lines("销售", 2, 10)  # a new stage, but the job is 2 s old: quiet
    assert stream.getvalue() == ""
    clock.now += 4
    lines("销售", 3, 10)
    clock.now += 1
    lines("销售", 12345, 1_048_575)  # 1 s after the last line: quiet
    clock.now += 0.5
    lines("收款", 1, 10)  # a new stage of a long job: a line
    lines.__exit__(None, None, None)
    assert stream.getvalue().splitlines() == [
        "salesxl: 校验 · 销售 3/10 · 6 秒",
        "salesxl: 校验 · 收款 1/10 · 7 秒",
        "salesxl: 校验 · 完成 · 7 秒",
    ]


def test_quick_work_writes_nothing_and_english_says_so_in_english() -> None:
    clock, stream = Clock(), io.StringIO()
    with LineProgress("Batch", stream=stream, interval=5, lang="en", clock=clock) as lines:
        lines("Reading", 1, 2)
        lines("Reading", 2, 2)
    assert stream.getvalue() == ""
    with LineProgress("Batch", stream=stream, interval=0, lang="en", clock=clock) as lines:
        lines("Reading", 2000, 0)
    assert stream.getvalue().splitlines() == ["salesxl: Batch · Reading 2,000 · 0 s", "salesxl: Batch · done · 0 s"]


def test_a_silent_stretch_still_gets_a_line() -> None:
    """No report for a while (the rules of a large book run without counting): the heartbeat
    writes the last known state, so a log shows the job is alive."""
    import threading

    stream, wrote = io.StringIO(), threading.Event()

    class Stream(io.StringIO):
        def write(self, text: str) -> int:
            stream.write(text)
            wrote.set()
            return len(text)

    with LineProgress("冲销", stream=Stream(), interval=0.05) as lines:
        lines("销售", 7, 9)
        assert wrote.wait(30)
    assert "冲销 · 销售 7/9" in stream.getvalue()


@pytest.mark.parametrize(("value", "expected"), [("", 5.0), ("0", 0.0), ("2.5", 2.5), ("off", None),
                                                 ("x", 5.0), ("-1", 5.0)])
def test_interval_from_the_environment(monkeypatch: pytest.MonkeyPatch, value: str, expected: float | None) -> None:
    monkeypatch.setenv(INTERVAL_ENV, value)
    assert interval_seconds() == expected


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, demo_factory: Callable[..., Path]) -> Path:
    return demo_factory(tmp_path_factory.mktemp("demo"))


def salesxl(*args: str, seconds: str = "0", cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real command, stderr a pipe (not a terminal), progress lines at every step."""
    env = {**os.environ, INTERVAL_ENV: seconds}
    env.pop("SALESXL_LANG", None)
    return subprocess.run([sys.executable, "-c", "from salesxl.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=600, env=env, cwd=cwd)


COUNT = re.compile(r"(\d[\d,]*)/(\d[\d,]*)")


def counted(stderr: str, label: str) -> list[tuple[int, int]]:
    """(done, total) of each progress line of ``label``."""
    found = []
    for line in stderr.splitlines():
        assert line.startswith("salesxl: "), line
        m = COUNT.search(line)
        if line.startswith(f"salesxl: {label} ") and m:
            found.append((int(m[1].replace(",", "")), int(m[2].replace(",", ""))))
    return found


@pytest.mark.parametrize(("args", "label"), [
    (["validate", "{book}", "--as-of", str(DEMO_END)], "校验"),
    (["offset", "{book}", "--as-of", str(DEMO_END), "--json"], "冲销"),
    (["classify", "{book}", "--as-of", str(DEMO_END), "--json"], "分类"),
])
def test_commands_write_progress_lines_off_a_terminal(demo: Path, args: list[str], label: str) -> None:
    done = salesxl(*[a.format(book=demo) for a in args])
    assert done.returncode in (0, 1), done.stderr
    counts = counted(done.stderr, label)
    assert counts and all(0 <= d <= t for d, t in counts), done.stderr
    assert counts[-1][0] == counts[-1][1]  # the last step of the stage it reports is complete
    assert done.stderr.splitlines()[-1].startswith(f"salesxl: {label} · 完成")
    if "--json" in args:
        json.loads(done.stdout)  # stdout is still the one JSON document


def test_classify_reports_routes_per_zone(demo: Path) -> None:
    done = salesxl("classify", str(demo), "--as-of", str(DEMO_END), "--json", "--lang", "en")
    routes = [line for line in done.stderr.splitlines() if "· 路线 " in line]
    assert routes and "Classifying" in routes[0], done.stderr
    zones = {int(COUNT.search(line)[2]) for line in routes}  # type: ignore[index]
    assert len(zones) == 1 and zones.pop() > 1


def test_summary_and_its_quiet_default(demo: Path, tmp_path: Path) -> None:
    month = DEMO_END.strftime("%Y-%m")
    done = salesxl("summary", str(demo), "--month", month, "--out", str(tmp_path / "r.xlsx"))
    assert done.returncode in (0, 1) and counted(done.stderr, "月报"), done.stderr
    quiet = salesxl("summary", str(demo), "--month", month, "--json", seconds="off")
    assert quiet.returncode in (0, 1) and quiet.stderr == ""


def test_demo_reports_each_stage(tmp_path: Path) -> None:
    done = salesxl("demo", "--out", str(tmp_path / "wb"), "--json")
    assert done.returncode == 0, done.stderr
    labels = {line.split(" · ")[0] for line in done.stderr.splitlines()}
    assert labels == {"salesxl: 生成示例", "salesxl: 校验", "salesxl: 冲销", "salesxl: 分类"}
    assert any("生成数据" in line for line in done.stderr.splitlines())
    assert (8, 8) in counted(done.stderr, "生成示例")


def test_batch_reports_files_done_of_n(demo: Path, tmp_path: Path) -> None:
    import shutil

    master = tmp_path / "销售管理.xlsx"
    shutil.copyfile(demo, master)
    made = salesxl("template", "salesperson", "--from", str(master), "--all", "--out", str(tmp_path / "inbox"),
                   "--as-of", str(DEMO_END), "--json")
    n = len(json.loads(made.stdout)["templates"])
    done = salesxl("batch", str(tmp_path / "inbox"), "--master", str(master), "--month", DEMO_END.strftime("%Y-%m"),
                   "--out", str(tmp_path / "out"), "--no-monthly", "--workers", "1", "--json")
    assert done.returncode in (0, 1), done.stderr
    assert n > 1 and (n, n) in counted(done.stderr, "批处理"), done.stderr  # files read of N
