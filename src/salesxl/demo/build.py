"""Building the demo workbook: generate the company, let every part add to it, write it.

:func:`build_demo` is the entry point of ``salesxl demo``; :func:`build_book` runs the
generators in a fixed order on one random generator (so the same seed gives the same bytes),
collects the tables in a :class:`~salesxl.demo.parts.DemoCompany`, calls each extra part of
:data:`PARTS` (prices, stock, contracts, cards… each with its own generator), and writes every
sheet atomically.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from salesxl.demo import cards, contracts, prices
from salesxl.demo.company import NameMaker, gen_customers, gen_salespeople
from salesxl.demo.layout import (
    GENERATE,
    PLANT_INDEX,
    SCALE_COUNTS,
    SMALL_COUNTS,
    DemoCounts,
    ProgressCallback,
)
from salesxl.demo.ledgers import (
    gen_expenses,
    gen_receipts,
    gen_sales,
    gen_shipments,
    gen_targets,
    gen_visits,
    plant_sales,
    plant_shipments,
    set_credit_and_first_trade,
)
from salesxl.demo.parts import DemoCompany, DemoPart
from salesxl.demo.sheets import (
    write_customers,
    write_expenses,
    write_receipts,
    write_sales,
    write_salespeople,
    write_settings,
    write_shipments,
    write_targets,
    write_visits,
)
from salesxl.demo.stock import add_stock
from salesxl.demo.writer import DemoWriter

#: The demo's extra parts, called in this order after the company is generated (see
#: :mod:`salesxl.demo.parts`).  Add one line per part: ``prices.add_prices,``…
PARTS: tuple[DemoPart, ...] = (
    cards.add_cards,
    contracts.add_contracts,  # issue 18: 合同 and 销售.合同编号
    contracts.add_plans,  # issue 18: quarter and year targets, sub-targets
    add_stock,
    prices.add_prices,
)


# --------------------------------------------------------------------------------------------
# Entry points.
# --------------------------------------------------------------------------------------------


def build_demo(
    out_dir: Path = Path("workbooks"),
    *,
    seed: int = 2026,
    scale: bool = False,
    clean: bool = False,
    progress: ProgressCallback | None = None,
) -> Path:
    """Write the demo workbook into ``out_dir`` and return its path.

    ``clean`` leaves out the planted mistakes (``out_dir/demo-clean.xlsx``): a demo on which
    validation finds nothing, to show what a clean book looks like.

    ``out_dir/demo.xlsx`` is the small demo (about 400 customers, 8,000 sales lines, with
    :data:`PLANTED_PROBLEMS`); with ``scale=True`` it is ``out_dir/demo-scale.xlsx``, the same
    company at benchmark size (:data:`SCALE_COUNTS`) and without planted problems.  The same
    ``seed`` always gives the same bytes.  ``progress(stage, done, total)`` is called now and
    then (every 10,000 rows of a sheet, and at each stage's start and end).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    name = "demo-scale.xlsx" if scale else "demo-clean.xlsx" if clean else "demo.xlsx"
    counts = SCALE_COUNTS if scale else SMALL_COUNTS
    path = build_book(out_dir / name, seed=seed, counts=counts, plant=not (scale or clean), progress=progress)
    if not (scale or clean):  # a customer's form come back, to put on 待审核 (issue 19)
        cards.write_returned_form(path)
    return path


def build_book(
    path: Path,
    *,
    seed: int,
    counts: DemoCounts,
    plant: bool,
    progress: ProgressCallback | None = None,
) -> Path:
    """Generate the company and write it to ``path``.

    ``plant`` adds the deliberate mistakes of :data:`PLANTED_PROBLEMS` (which sit at fixed
    rows, so they need the small demo's sizes or larger).  Tests call this directly with small
    ``counts`` to exercise the benchmark book's code path without waiting for a million rows.
    """
    if plant and (
        counts.customers <= PLANT_INDEX["possible-duplicate"] or counts.sales_lines < 1000
    ):
        raise ValueError("planted problems need at least the small demo's sizes")
    rng = np.random.default_rng(seed)
    steps = 8

    def step(done: int) -> None:
        if progress is not None:
            progress(GENERATE, done, steps)

    step(0)
    salespeople = gen_salespeople(rng, counts.salespeople)
    customers = gen_customers(rng, counts.customers, salespeople, plant)
    step(1)
    sales = gen_sales(rng, counts, customers)
    if plant:
        sales = plant_sales(sales)
    set_credit_and_first_trade(rng, customers, sales, plant)
    step(2)
    receipts = gen_receipts(rng, sales, customers, counts.receipts)
    step(3)
    shipments = gen_shipments(rng, sales, customers, counts.shipments)
    if plant:
        shipments = plant_shipments(shipments, sales)
    step(4)
    names = NameMaker(rng)
    names.stems = set(customers.table["name"].map(_stem))
    visits = gen_visits(rng, counts.visits, customers, salespeople, names)
    step(5)
    expenses = gen_expenses(rng, counts.expenses, salespeople)
    step(6)
    targets = gen_targets(rng, sales, customers, salespeople)
    step(steps)

    company = DemoCompany(
        seed=seed, counts=counts, plant=plant, salespeople=salespeople, customers=customers,
        sales=sales, receipts=receipts, shipments=shipments, visits=visits, expenses=expenses,
        targets=targets,
    )

    from salesxl.io.files import atomic_write

    with atomic_write(path) as fp:  # a temporary file renamed when complete: never half a demo
        writer = DemoWriter(fp, rng, progress)
        for part in PARTS:  # before the standard sheets, so a part may add columns to them
            part(company, writer)
        write_customers(writer, customers, plant)
        write_sales(writer, sales, customers, plant)
        write_receipts(writer, receipts)
        write_shipments(writer, shipments)
        write_visits(writer, visits)
        write_expenses(writer, expenses)
        write_targets(writer, targets)
        write_salespeople(writer, salespeople)
        write_settings(writer)
        writer.close()  # writes the parts' sheets after the standard ones
    return path


def _stem(name: str) -> str:
    """A customer name without its company suffix: what the name maker keeps unique."""
    for suffix in ("股份有限公司", "有限责任公司", "有限公司"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name
