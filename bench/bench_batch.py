"""Batch benchmark: consolidating returned templates next to merely reading the same files.

    python bench/bench_batch.py [--files 300] [--customers 500] [--per-person 1] [--workers N] [--repeat 3]

Builds (once, cached in ``--cache``, default ``/tmp/salesxl-bench-batch``) a synthetic master of
``files / per-person × customers`` cards (by default 300 × 500 = 150,000: one salesperson per
file; each the v1.1 card of 39 columns, four in five complete, so a feedback's 档案待完善 lists
a fifth of the salesperson's cards) and the returned templates, made by the real template
writer and then "filled in" by patching them: every 10th card gets a new 备注, every 20th a new phone, two new customers and 20
visits per file.  With ``--per-person K`` each salesperson returns K later copies of one issue
(weekly reports: each repeats the earlier visits and new customers and adds its own), so the
master is K times smaller for the same number of files.  Then, with the same worker pool
settings, it times

* **read**: every file read by the batch's workers (safety checks, meta sheet, 客户档案 and 拜访
  typed) and nothing else — ``salesxl.batch.workers.read_all(mode="read")``;
* **consolidate**: the whole ``salesxl batch`` without the monthly job — scan and hash, read,
  validate and diff in the workers, read the master meanwhile, merge, feedback workbooks, batch
  report, and the single atomic write of the master (with its backup);

each kind in a fresh child process, the kinds interleaved round by round (a noisy neighbour
slows them alike), after a warm-up round; medians reported:

* **full**: every row of every file checked (the batch before issue 20);
* **incremental**: the default — each file's unchanged cards take their findings from one check
  of the master (:mod:`salesxl.core.incremental`);
* **cached**: the same with ``--cache`` warm (a second batch on the same master bytes).

It prints the medians, each one's ratio to the read (target ≤ 1.5), files per minute, the
phases and the peak resident memory of a worker and of the main process (sampled with psutil).
Results go to ``bench/results/batch.json`` (``batch-per-person-K.json``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing as mp
import os
import shutil
import statistics
import sys
import threading
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ISSUED = datetime(2026, 11, 1)
AS_OF = date(2026, 11, 27)
PEOPLE_FMT = "业务员{:03d}"


# --------------------------------------------------------------------------------------------
# Generation (cached)


#: The v1.1 card columns the master carries beside the 21 of v1.0 (spec §2 "The card's four
#: content groups"): 经营经理 and 首次交易日期 of 基本信息, the other three groups, source and date.
V11_CARD = ("经营经理", "首次交易日期", "服务区域", "销售队伍", "发展潜力", "经营理念", "经营方针", "公司规模", "经营特点",
            "主要竞争对手", "合作态度", "人员素质", "经营现状", "存在问题", "应对计划", "信誉评价", "信息来源", "更新日期")


def v11_card(i: int, complete: bool) -> list[Any]:
    """Card ``i``'s :data:`V11_CARD` values; an incomplete card has only 基本信息's two."""
    basic: list[Any] = [f"经理{i % 983}", datetime(2015 + i % 10, 1 + i % 12, 1 + i % 28)]
    if not complete:
        return basic + [None] * (len(V11_CARD) - 2)
    return basic + [f"杭州市{i % 13 + 1}区", 5 + i % 40, ("高", "中", "低")[i % 3], "诚信经营", "薄利多销",
                    ("大型", "中型", "小型", "微型")[i % 4], "批发为主", f"竞争对手{i % 50}", ("积极", "一般")[i % 2],
                    "较好", "稳定", "回款偏慢" if i % 7 == 0 else "无", "季度回访", ("好", "中")[i % 2], "业务员",
                    datetime(2026, 1 + i % 10, 1 + i % 28)]


def build_master(path: Path, people: int, per: int, visits: int = 10) -> None:
    """A master of ``people × per`` cards written with XlsxWriter (constant memory)."""
    import xlsxwriter

    from salesxl.core.identifiers import uscc_check_char

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False,
                                         "strings_to_urls": False})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws = wb.add_worksheet("客户档案")
    head = ["客户编号", "客户名称", "客户性质", "统一社会信用代码", "法定代表人", "负责人", "联系电话", "地址", "省份",
            "城市", "区县", "行业", "组织类型", "资产规模", "成立日期", "业务员", "信用额度", "账期天数", "纬度", "经度",
            "备注", *V11_CARD]
    ws.write_row(0, 0, head)
    n = people * per
    width = max(5, len(str(n)))
    for i in range(n):
        r = i + 1
        base = f"9133010{i:010d}"
        row = [f"KH{i + 1:0{width}d}", f"杭州{i + 1}号商贸有限公司", "一般公司", base + uscc_check_char(base),
               f"法人{i % 997}", f"负责人{i % 991}", f"13{i % 7 + 3}{i:08d}", f"杭州市西湖区文三路{i % 900 + 1}号",
               "浙江省", "杭州市", "西湖区", "五金", "有限责任公司"]
        ws.write_row(r, 0, row)
        ws.write_number(r, 13, 100000 + i * 10)
        ws.write_datetime(r, 14, datetime(2000 + i % 20, 1 + i % 12, 1 + i % 28), date_fmt)
        ws.write_string(r, 15, PEOPLE_FMT.format(i // per + 1))
        ws.write_number(r, 16, 50000)
        ws.write_number(r, 17, 30)
        ws.write_number(r, 18, 30.25 + (i % 1000) / 10000)
        ws.write_number(r, 19, 120.15 + (i % 1000) / 10000)
        # The v1.1 card: four in five cards complete, the fifth without its last three groups
        # (the feedback's 档案待完善 lists those, as an office's would).
        complete = i % 5 != 0
        for j, value in enumerate(v11_card(i, complete)):
            if isinstance(value, datetime):
                ws.write_datetime(r, 21 + j, value, date_fmt)
            elif value is not None:
                ws.write(r, 21 + j, value)
    vs = wb.add_worksheet("拜访")
    vs.write_row(0, 0, ["日期", "业务员", "客户编号", "客户名称", "方式", "内容", "下次计划"])
    for k in range(people * visits):
        i = (k * 37) % n
        vs.write_datetime(k + 1, 0, datetime(2026, 10, 1 + k % 28), date_fmt)
        vs.write_row(k + 1, 1, [PEOPLE_FMT.format(i // per + 1), f"KH{i + 1:0{width}d}", f"杭州{i + 1}号商贸有限公司",
                                "上门", "例行拜访", "下月再访"])
    sp = wb.add_worksheet("业务员")
    sp.write_row(0, 0, ["业务员", "片区", "提成比例"])
    for p in range(people):
        sp.write_row(p + 1, 0, [PEOPLE_FMT.format(p + 1), f"片区{p % 20 + 1}", 0.02])
    ps = wb.add_worksheet("参数")
    ps.write_row(0, 0, ["名称", "值"])
    ps.write_row(1, 0, ["公司名称", "基准测试公司"])
    wb.close()


_BOOK: Any = None


def _init_gen(master: str) -> None:
    global _BOOK
    from salesxl.io.reading import read_book

    _BOOK = read_book(master, sheets=("客户档案", "业务员", "参数"))


def _make_template(args: tuple[str, list[str], str]) -> list[str]:
    """One salesperson's template from the real writer, then filled in by patching it: once per
    return (``--per-person``), each return a later copy of the same issue with its own notes,
    new customers and visits."""
    from dataclasses import replace

    from salesxl.core.templates import CARD_FIELDS
    from salesxl.io.columns import ColumnPatch, SheetPatch
    from salesxl.io.results import write_result_sheets
    from salesxl.io.templates import column_letter, write_salesperson_template

    who, outs, master_name = args
    cards = _BOOK.tables["客户档案"]
    mine = cards.frame[cards.frame["业务员"] == who].reset_index(drop=True)
    book = replace(_BOOK, tables={**_BOOK.tables, "客户档案": replace(cards, frame=mine)})
    base = Path(outs[0]).with_name(f".{who}.issued.xlsx")
    write_salesperson_template(book, who, base, issued_at=ISSUED, master_name=master_name)
    n = len(mine)
    ids = mine["客户编号"].tolist()
    for r, out in enumerate(outs):
        path = Path(out)
        cells: dict[str, dict[int, str | int | None]] = {f: {} for f in CARD_FIELDS}
        for i in range(n):
            if i % 10 == 0:
                cells["备注"][3 + i] = f"{ISSUED:%m}月回访：需求稳定" + (f"（第{r + 1}次）" if r else "")
            if i % 20 == 0:
                cells["联系电话"][3 + i] = f"139{i:08d}"
        for k in range(2):  # two new customers in the spare rows (more with each return)
            for j in range(r + 1):
                row = 3 + n + 2 * j + k
                cells["客户名称"][row] = f"{who}新客户{2 * j + k + 1}"
                cells["客户性质"][row] = "个人"
                cells["联系电话"][row] = f"137{2 * j + k:02d}{int(who[-3:]):06d}"
        columns = [ColumnPatch(f, column_letter(f), "text", v) for f, v in cells.items() if v]
        tmp = path.with_name(path.stem + ".tmp.xlsx")
        write_result_sheets(base, [], patch=SheetPatch("客户档案", 2, columns), out=tmp)
        visits = {"A": {}, "B": {}, "C": {}, "E": {}, "F": {}}  # 日期 业务员 客户编号 方式 内容
        for k in range(20 * (r + 1)):  # each return repeats the earlier visits and adds 20
            visits["A"][2 + k] = f"2026-11-{1 + k % 28:02d}"
            visits["B"][2 + k] = who
            visits["C"][2 + k] = ids[(k * 7) % n]
            visits["E"][2 + k] = "上门"
            visits["F"][2 + k] = f"第{k + 1}次拜访"
        vcols = [ColumnPatch(h, letter, "text", v)
                 for (letter, v), h in zip(visits.items(), ("日期", "业务员", "客户编号", "方式", "内容"), strict=True)]
        write_result_sheets(tmp, [], patch=SheetPatch("拜访", 1, vcols), out=path)
        tmp.unlink()
    base.unlink()
    return outs


def ensure_data(cache: Path, files: int, per: int, returns: int = 1) -> tuple[Path, Path]:
    """The cached master and inbox (built on first use): ``files // returns`` salespeople of
    ``per`` customers each, each returning ``returns`` files."""
    # "-v11": the master carries the v1.1 card (data built before that is rebuilt).
    root = cache / (f"{files}x{per}" + (f"-r{returns}" if returns > 1 else "") + "-v11")
    master, inbox, done = root / "master.xlsx", root / "inbox", root / "DONE"
    if done.exists():
        return master, inbox
    shutil.rmtree(root, ignore_errors=True)
    inbox.mkdir(parents=True)
    t0 = time.perf_counter()
    people = max(1, files // returns)
    print(f"building the master ({people * per:,} cards) …", file=sys.stderr)
    build_master(master, people, per)
    print(f"  {time.perf_counter() - t0:.1f} s; building {people * returns} templates …", file=sys.stderr)

    def names(who: str) -> list[str]:
        if returns == 1:
            return [str(inbox / f"{who}.xlsx")]
        return [str(inbox / f"{who}-第{r + 1:02d}次.xlsx") for r in range(returns)]

    jobs = [(who, names(who), "销售管理.xlsx") for who in (PEOPLE_FMT.format(p + 1) for p in range(people))]
    with mp.get_context("fork").Pool(os.cpu_count(), initializer=_init_gen, initargs=(str(master),)) as pool:
        for k, _ in enumerate(pool.imap_unordered(_make_template, jobs, chunksize=4), 1):
            if k % 50 == 0:
                print(f"  {k}/{people}", file=sys.stderr)
    done.write_text("ok")
    print(f"  built in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return master, inbox


# --------------------------------------------------------------------------------------------
# Measuring


class Sampler:
    """Peak RSS of this process and of its descendants (the workers), sampled every 0.1 s."""

    def __init__(self) -> None:
        import psutil

        self.me = psutil.Process()
        self.main = 0
        self.worker = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        import psutil

        while not self.stop.is_set():
            with contextlib.suppress(psutil.Error):
                self.main = max(self.main, self.me.memory_info().rss)
                for child in self.me.children(recursive=True):
                    with contextlib.suppress(psutil.Error):
                        self.worker = max(self.worker, child.memory_info().rss)
            time.sleep(0.1)

    def __enter__(self) -> Sampler:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


def time_read(inbox: Path, master: Path, workers: int) -> tuple[float, int]:
    from salesxl.batch.inbox import scan_inbox
    from salesxl.batch.workers import Failure, Job, read_all

    t0 = time.perf_counter()
    files, _ = scan_inbox(inbox, master=master)
    outcomes = read_all([Job(p, "") for p in files], as_of=AS_OF, workers=workers, mode="read")
    elapsed = time.perf_counter() - t0
    bad = [o for o in outcomes.values() if isinstance(o, Failure)]
    assert not bad, bad[:3]
    return elapsed, len(files)


def time_consolidate(inbox: Path, master: Path, out: Path, workers: int, *, incremental: bool = True,
                     cache: bool = False) -> tuple[float, dict[str, float], Any]:
    from salesxl.batch import run_batch

    phases: dict[str, float] = {}
    t0 = time.perf_counter()

    def progress(stage: str, done: int, total: int) -> None:
        phases.setdefault(stage.split(" ")[0], time.perf_counter() - t0)

    report = run_batch(inbox, master=master, month="2026-10", out=out, workers=workers, monthly=False,
                       as_of=AS_OF, progress=progress, incremental=incremental, cache=cache)
    elapsed = time.perf_counter() - t0
    return elapsed, phases, report


KINDS = ("read", "full", "incremental", "cached")
"""What a child measures: the bare read of the inbox; the batch checking every row of every
file (as before issue 20); the batch with the incremental check; the same with a warm cache of
the master's parsed state (a second batch on the same master bytes)."""


def child(kind: str, args: argparse.Namespace) -> None:
    """One measurement in this (fresh) process; reports ``PHASES {"seconds": …}`` on stderr."""
    master0, inbox = ensure_data(args.cache, args.files, args.customers, args.per_person)
    work = args.cache / f"work-{kind}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    master = work / "销售管理.xlsx"
    shutil.copyfile(master0, master)
    if kind == "cached":  # the cache a first batch on these bytes left (made outside the timing)
        from salesxl.batch.cache import MAGIC, cache_path

        # Kept per cache format: a cache of an older format is no cache (the batch would parse).
        kept = master0.with_name(cache_path(master0).name + "-" + MAGIC.split()[-1].decode())
        if not kept.exists():  # a first batch with --cache on a copy leaves it (keyed by these bytes)
            first = work / "first" / "销售管理.xlsx"
            first.parent.mkdir()
            shutil.copyfile(master0, first)
            time_consolidate(inbox, first, work / "first" / "out", args.workers, cache=True)
            shutil.copyfile(cache_path(first), kept)
        shutil.copyfile(kept, cache_path(master))
    if kind == "read":
        seconds, _ = time_read(inbox, master, args.workers)
        phases: dict[str, float] = {}
    else:
        with Sampler() as s:
            seconds, phases, report = time_consolidate(inbox, master, work / "out", args.workers,
                                                       incremental=kind != "full", cache=kind == "cached")
        assert report.master_written
        phases["peak_worker_mib"] = s.worker / 2**20
        phases["peak_main_mib"] = s.main / 2**20
    print("PHASES " + json.dumps({"seconds": seconds, **phases}), file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--customers", type=int, default=500, help="cards per returned template")
    parser.add_argument("--per-person", type=int, default=1,
                        help="files each salesperson returns (later copies of one issue, e.g. weekly reports); "
                             "the master holds files / per-person × customers cards")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds (medians reported)")
    parser.add_argument("--kinds", default=",".join(KINDS), help="which of " + ", ".join(KINDS))
    parser.add_argument("--cache", type=Path, default=Path("/tmp/salesxl-bench-batch"))
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "batch.json")
    parser.add_argument("--child", choices=KINDS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args)
        return
    sys.path.insert(0, str(ROOT / "bench"))
    from _scale import run_interleaved

    master0, _ = ensure_data(args.cache, args.files, args.customers, args.per_person)
    people = max(1, args.files // args.per_person)
    print(f"{people * args.per_person} files × {args.customers} cards from {people} salespeople, "
          f"master {people * args.customers:,} cards ({master0.stat().st_size / 2**20:.1f} MiB), "
          f"{args.workers} workers on {os.cpu_count()} CPUs; load {os.getloadavg()[0]:.2f}")
    base = [sys.executable, __file__, "--files", str(args.files), "--customers", str(args.customers),
            "--per-person", str(args.per_person), "--workers", str(args.workers), "--cache", str(args.cache)]
    kinds = [k for k in args.kinds.split(",") if k]
    # A warm-up round (forkserver, file cache, the cached state built once), then the rounds.
    run_interleaved({k: [*base, "--child", k] for k in kinds}, 1)
    runs = run_interleaved({k: [*base, "--child", k] for k in kinds}, args.repeat)
    failed = [k for k in kinds if any("seconds" not in r[2] for r in runs[k])]
    if failed:  # a child that raised exits 1, which run_child accepts: it reported nothing
        raise SystemExit(f"no figures from {', '.join(failed)}: run one with --child KIND to see why")
    med = {k: {p: statistics.median(r[2][p] for r in runs[k]) for p in runs[k][0][2]} for k in kinds}
    read = med["read"]["seconds"] if "read" in med else float("nan")
    print(f"\nload after: {os.getloadavg()[0]:.2f}")
    print("\n| batch | median s | ratio to the read | files/min | peak RSS worker / main MiB | runs |")
    print("|---|---:|---:|---:|---:|---:|")
    result: dict[str, Any] = {"files": args.files, "cards_per_file": args.customers,
                              "master_cards": people * args.customers, "files_per_salesperson": args.per_person,
                              "workers": args.workers, "cpus": os.cpu_count(), "runs": args.repeat, "kinds": {}}
    for k in kinds:
        sec = med[k]["seconds"]
        peaks = (f"{med[k]['peak_worker_mib']:.0f} / {med[k]['peak_main_mib']:.0f}"
                 if "peak_main_mib" in med[k] else "")
        print(f"| {k} | {sec:.2f} | {sec / read:.2f} | {args.files / sec * 60:,.0f} | {peaks} | {len(runs[k])} |")
        result["kinds"][k] = {"median_seconds": round(sec, 2), "ratio": round(sec / read, 2),
                              "all_seconds": [round(r[2]["seconds"], 2) for r in runs[k]],
                              "median_phases": {p: round(v, 2) for p, v in med[k].items()}}
    if args.per_person > 1 and args.out == parser.get_default("out"):
        args.out = args.out.with_name(f"batch-per-person-{args.per_person}.json")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
