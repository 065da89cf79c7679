"""``salesxl stock``: stock balances, count variances and the blind count sheet (spec §5, v1.1).

The same layer as :mod:`salesxl.commands` (read → compute → write, returning data), in its own
module; :mod:`salesxl.api` re-exports the functions.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from salesxl.commands import order_findings
from salesxl.core.stock import StockResult, stock_checks
from salesxl.core.stock import stock as stock_of
from salesxl.errors import BadArguments
from salesxl.io import files
from salesxl.io.reading import Progress, read_book
from salesxl.io.results import WriteResult, write_result_sheets
from salesxl.io.stock_sheets import stock_sheets, write_count_sheet

__all__ = ["STOCK_REQUIRES", "STOCK_SHEETS_READ", "count_sheet", "stock", "stock_to_book"]

#: What ``salesxl stock`` reads: the cards, the counts, the settings (公司名称) — and 价目表 only
#: when the 盘点差异 sheet is written (its 成本价 values the variances).
STOCK_SHEETS_READ = ("库存", "盘点", "参数")
STOCK_REQUIRES = ("库存",)


def stock(
    path: str | Path,
    *,
    as_of: date | None = None,
    progress: Progress | None = None,
    prices: bool = False,
) -> StockResult:
    """货卡与盘点 of the workbook at ``path`` as of ``as_of`` (default today), per spec §3
    "Stock": ``result.balances`` per 仓库 × 产品 × 规格 × 批号 with the batch's quality,
    ``result.variances`` the counts that differ from the book.
    :func:`salesxl.io.stock_json.stock_document` gives the spec §5 document.

    ``result.findings``: the reader's findings, then the stock rules that need only 库存 and
    盘点 (``balance-mismatch``, ``negative-stock``, ``count-variance``, the column rules); the
    rules against 发货 run in ``salesxl validate``.  ``prices`` also reads 价目表 (kept on
    ``result.book`` for the 盘点差异 values).
    """
    as_of = as_of or date.today()
    sheets = (*STOCK_SHEETS_READ, "价目表") if prices else STOCK_SHEETS_READ
    book = read_book(path, sheets=sheets, require=STOCK_REQUIRES, progress=progress)
    result = stock_of(book, as_of=as_of)
    result.company = book.settings.company_name or ""
    found = list(book.findings)
    for items in stock_checks(book.tables, result.model).values():
        found += items
    result.findings = order_findings(found, book)
    result.book = book
    return result


def stock_to_book(
    path: str | Path,
    *,
    as_of: date | None = None,
    out: str | Path | None = None,
    in_place: bool = False,
    progress: Progress | None = None,
    force: bool = False,
) -> tuple[StockResult, WriteResult]:
    """Run :func:`stock` and write 库存结存 (balances, 小计 per warehouse and product) and 盘点差异
    (book, counted, variance, 盘盈/盘亏, value at 价目表 成本价) into the workbook: a copy at
    ``out`` or, with ``in_place``, the file itself after a timestamped backup.  A re-run
    replaces the sheets; nothing else in the book changes (see :mod:`salesxl.io.results`)."""
    with files.write_lock(path, out, in_place):
        result = stock(path, as_of=as_of, progress=progress, prices=True)
        written = write_result_sheets(Path(path), stock_sheets(result, result.book), out=out, in_place=in_place,
                                      force=force, copy_tag="库存结果")
    return result, written


def count_sheet(
    path: str | Path,
    *,
    warehouse: str,
    out: str | Path,
    as_of: date | None = None,
    progress: Progress | None = None,
    force: bool = False,
) -> tuple[Path, int]:
    """The blind count sheet (盘点表) of ``warehouse``: every batch with a book balance there
    as of ``as_of`` (default today, also the count date printed and prefilled), by product and
    batch, an empty 实盘数量 column and no book quantity; A4 with signature lines.  Returns the
    file written and the number of batches.  ``out`` may be a folder (``盘点表-<仓库>.xlsx``
    inside it); an existing file is replaced only with ``force`` (after a backup).  Raises
    :class:`~salesxl.errors.BadArguments` for a warehouse the cards do not know (naming the
    known ones).
    """
    warehouse = str(warehouse).strip()
    target = files.new_file_target(out, book=Path(path), default_name=f"盘点表-{warehouse}.xlsx", force=force,
                                   what=("盘点表", "count sheet"))
    result = stock(path, as_of=as_of, progress=progress)
    known = sorted({str(w) for w in result.balances["warehouse"]})
    if warehouse not in known:
        raise BadArguments(
            f"货卡中没有仓库「{warehouse}」；已有的仓库：{'、'.join(known) or '（无）'}",
            f"No warehouse '{warehouse}' on the stock cards; known: {', '.join(known) or '(none)'}",
        )
    files.replace_existing(target, force=True)
    n = write_count_sheet(result, warehouse, target, company=result.company)
    return target, n
