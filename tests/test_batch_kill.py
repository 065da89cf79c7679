"""The kill test: SIGKILL ``salesxl batch`` at any moment; the master is the old one or the new one.

A larger inbox (a template for each of the six demo salespeople, every card edited, new
customers, visits) is consolidated once without interruption for reference.  Then the real
command runs in a subprocess (its own process group: the forkserver and workers die with it,
as in a power cut) and is killed

* while the temporary file is being written (test hook ``during-write``),
* when the temporary file is complete but not yet renamed over the master (``before-replace``),
* right after the master was replaced (the monthly job is running),
* at three moments spread over a whole run.

Each time the master must be byte-identical to the one before, or fully updated (every card,
visit and batch record equal to the reference); nothing left behind may pass for the master;
and a re-run must complete the job, ending exactly at the reference.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from salesxl import api
from salesxl.batch.master import RECORD_SHEET
from test_batch import MONTH, cards_of, edit_template, fresh_master, issue, own_rows, visits_of

PEOPLE = ("王建军", "李静", "张伟", "陈晓燕", "刘洋", "赵磊")


def fill(path: Path, who: str, cids: list[str]) -> None:
    cards = {}
    for k, cid in enumerate(cids):
        fields: dict[str, Any] = {"备注": f"{who}：第{k + 1}家，11月回访已更新"}
        if k % 3 == 0:
            fields["联系电话"] = f"139{int(cid[2:]):08d}"
        if k % 4 == 0:
            fields["地址"] = f"{who}负责片区新址{k + 1}号"
        cards[cid] = fields
    new = [{"客户名称": f"{who}新客户{i}", "客户性质": "个人", "联系电话": f"1380000{PEOPLE.index(who)}{i:03d}"}
           for i in range(5)]
    visits = [[datetime(2026, 11, 1 + i % 25), who, cids[i % len(cids)], None, "上门", f"第{i + 1}次拜访", "跟进"]
              for i in range(20)]
    edit_template(path, cards=cards, new=new, visits=visits)


@pytest.fixture(scope="module")
def demo_master(tmp_path_factory: pytest.TempPathFactory, demo_factory: Callable[..., Path]) -> Path:
    return demo_factory(tmp_path_factory.mktemp("demo"), clean=True)


@pytest.fixture(scope="module")
def base(demo_master: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("kill")
    master = fresh_master(demo_master, root / "base")
    inbox = root / "inbox"
    files = issue(master, inbox, *PEOPLE)
    owners = {p: [c for c, v in cards_of(master).items() if v["业务员"] == p] for p in PEOPLE}
    for who, path in files.items():
        fill(path, who, owners[who])
    # Reference: the whole job, uninterrupted, through the real command (timed for the kills).
    ref = fresh_master(master, root / "ref")
    t0 = time.monotonic()
    done = subprocess.run(command(inbox, ref, root / "ref-out"), capture_output=True, text=True, timeout=300)
    duration = time.monotonic() - t0
    assert done.returncode in (0, 1), done.stderr
    return {"root": root, "master": master, "inbox": inbox, "duration": duration, "ref": state(ref)}


def command(inbox: Path, master: Path, out: Path) -> list[str]:
    return [sys.executable, "-c", "from salesxl.cli import main; main()", "batch", str(inbox), "--master",
            str(master), "--month", MONTH, "--out", str(out), "--json", "--as-of", "2026-11-27", "--workers", "2"]


def state(master: Path) -> tuple[Any, ...]:
    """What "fully updated" means: every card, every visit, every recorded file."""
    v = visits_of(master)
    visits = sorted(tuple("" if pd.isna(x) else str(x) for x in row)
                    for row in v.drop(columns="_row").itertuples(index=False))
    return cards_of(master), visits, sorted(r[3] for r in own_rows(master, RECORD_SHEET))


def start(base: dict[str, Any], name: str, pause: str | None = None) -> tuple[subprocess.Popen[bytes], Path, bytes]:
    master = fresh_master(base["master"], base["root"] / name)
    env = dict(os.environ)
    env.pop("SALESXL_BATCH_PAUSE", None)
    if pause:
        env["SALESXL_BATCH_PAUSE"] = pause
    proc = subprocess.Popen(command(base["inbox"], master, base["root"] / f"{name}-out"), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    return proc, master, master.read_bytes()


def kill(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the batch and every process it started (its own process group)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def wait_for(predicate: Any, limit: float = 60) -> None:
    end = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError("the batch never got there")
        time.sleep(0.02)


def temps(master: Path) -> list[Path]:
    return [p for p in master.parent.iterdir() if p.name.startswith(f".{master.stem}.") and p.name.endswith(".tmp")]


def check_and_finish(base: dict[str, Any], master: Path, before: bytes, name: str) -> str:
    """The master is the old one or the complete new one; a re-run completes the job."""
    for p in master.parent.iterdir():  # nothing visible there but the master and its backups
        assert p == master or p.name.startswith(".") or p.name.startswith(f"{master.stem}.备份-"), p
    if master.read_bytes() == before:
        outcome = "old"
    else:
        assert state(master) == base["ref"]
        outcome = "new"
    report = api.batch(base["inbox"], master=master, month=MONTH, out=base["root"] / f"{name}-out",
                       as_of=date(2026, 11, 27), workers=2, monthly=False)
    assert report.master_written == (outcome == "old")
    assert state(master) == base["ref"]
    assert not temps(master)  # the killed run's temporary file is cleared by the next batch
    assert len(list((base["root"] / f"{name}-out").glob("反馈-*.xlsx"))) == len(PEOPLE)
    return outcome


def test_kill_while_writing_the_temporary_file(base: dict[str, Any]) -> None:
    proc, master, before = start(base, "during", "during-write:30")
    def started() -> bool:
        with contextlib.suppress(FileNotFoundError):
            return any(p.stat().st_size >= 64 << 10 for p in temps(master))
        return False

    wait_for(started)
    kill(proc)
    assert temps(master)  # a half-written temporary file, hidden, never taken for the master
    assert check_and_finish(base, master, before, "during") == "old"


def test_kill_just_before_the_replace(base: dict[str, Any]) -> None:
    proc, master, before = start(base, "replace", "before-replace:30")
    wait_for(lambda: bool(temps(master)))
    time.sleep(0.5)  # the temp file is complete and flushed; the process sleeps before os.replace
    kill(proc)
    assert master.read_bytes() == before
    assert check_and_finish(base, master, before, "replace") == "old"


def test_kill_right_after_the_replace(base: dict[str, Any]) -> None:
    proc, master, before = start(base, "after")
    wait_for(lambda: master.read_bytes() != before)
    kill(proc)
    assert check_and_finish(base, master, before, "after") == "new"


def test_kill_at_random_moments(base: dict[str, Any]) -> None:
    rng = random.Random(8)
    outcomes = []
    for i, fraction in enumerate((0.3, 0.6, 0.9)):
        proc, master, before = start(base, f"random{i}")
        time.sleep(base["duration"] * fraction * rng.uniform(0.85, 1.15))
        kill(proc)
        outcomes.append(check_and_finish(base, master, before, f"random{i}"))
    assert set(outcomes) <= {"old", "new"}
