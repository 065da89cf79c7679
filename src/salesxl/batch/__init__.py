"""``salesxl batch``: fold the workbooks salespeople return into the master archive, safely.

The office issues each salesperson a template of their own customers (``salesxl template
salesperson``; contract in :mod:`salesxl.core.templates`).  They fill in cards, add new
customers and record visits, and send the file back.  A batch takes a folder of such files:

1. **Scan** the inbox (:mod:`salesxl.batch.inbox`): every regular file except owner/lock files
   (``~$…``, ``.~lock.…#``), salesxl's temporary files, hidden files, the master and its
   backups.  Each file is known by its SHA-256; a hash already in the master's 批处理记录 is
   skipped (re-running applies nothing twice), as is a second copy in the same inbox.
2. **Read** each file in a worker process (:mod:`salesxl.batch.workers`): safety checks first,
   a memory limit (``RLIMIT_AS``) and a per-file timeout, crash recovery (a dead worker marks
   its file bad, the pool is recreated, the batch goes on).  Bad files — corrupt zip, wrong
   format, password-protected, zip bomb, entity expansion, absurd used range, a sheet of a
   million rows, a workbook that is not a template — are reported and skipped.  Meanwhile the
   main process reads the master and checks its cards once (:mod:`salesxl.core.incremental`):
   a worker validates only the rows that differ from the issued snapshot (and the rules that
   compare rows, over the whole file), and each unchanged card takes the master's findings —
   the same findings as a full check; a file whose cards the office changed since issue is
   checked in full.  ``--cache`` keeps the master's parsed state beside it
   (:mod:`salesxl.batch.cache`, keyed by its hash), so a batch on unchanged master bytes does
   not parse it again.
3. **Merge** (:mod:`salesxl.core.merge`, pure and exact): a template whose layout differs from
   the one issued (a sheet missing, a header deleted, renamed or moved — the issued layout is
   recorded in the template) is *damaged* and not merged at all, and the salesperson is asked
   to use the issued file; otherwise validation findings, changed fields
   applied unless the office changed them since issue (a conflict: the master keeps its value),
   other people's customers rejected, rows with errors rejected with their findings, new
   customers with fresh IDs, visits appended; every applied change is a 变更记录 row.  A file
   with nothing to apply is "nothing to apply", not "applied".
4. **Write** the master once, and only when something is applied — otherwise it is not
   touched, not even backed up (:mod:`salesxl.batch.master`): package patch, timestamped backup,
   temp file + fsync + atomic replace; refused (exit 1, nothing lost) when the master is open in
   Excel/WPS/LibreOffice — the report names the user from the owner file — or was saved by
   someone while the batch ran.  A kill at any instant leaves the old master or the new one.
5. **Feedback** (:mod:`salesxl.batch.feedback`): ``反馈-<业务员>.xlsx`` per salesperson and
   ``批处理报告.xlsx`` (sheet 批处理报告) in the output folder; ``--json`` prints the report.
   Feedback is written *before* the master is replaced, so it exists for every applied file
   even if the process dies right after; a master left unwritten rewrites it as "not written".
6. **Monthly job** on the updated master, into the output folder: validate (marked copy),
   classify, offset (copies) and the monthly summary.  When the master had changes to take
   but could not be written (open in Excel …), the 月报 says so in red on 概览: it is made
   from the old master, without the returned files.

Exit status (:attr:`BatchReport.exit_code`): 0 all done; 1 done with problems (bad files,
conflicts, rejected rows, findings with errors, a master left unwritten, a failed monthly step);
2 could not run (bad arguments, master unreadable or without 客户档案, another batch running on
the same master) — the CLI prints one line.

Scale (``bench/bench_batch.py``, 2 cores): a 500-card template costs ~35 ms to read and ~60 ms
to read, validate and diff; the master costs ~2.7 s to read and ~1 s to index per 150,000
cards (overlapped with the workers) plus ~3.3 s for the single write.  300 files against a
150,000-card master: ~17 s, about 1,080 files a minute — 2.9 × merely reading the 300 files.
"""

from __future__ import annotations

from salesxl.batch.outcome import BatchReport, FileReport, StepReport
from salesxl.batch.run import run_batch

__all__ = ["BatchReport", "FileReport", "StepReport", "run_batch"]
