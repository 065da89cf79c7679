"""The public place where a new part of the demo hooks in: the generated company and the part type.

The demo is built in two steps: the standard generators make the company (:class:`DemoCompany`:
salespeople, customers, the ledgers, all from one random generator in a fixed order), then each
part of :data:`salesxl.demo.build.PARTS` is called with the company and the workbook writer and
may add whole sheets (:meth:`~salesxl.demo.writer.DemoWriter.add_sheet`) or columns at the right
of a standard sheet (:meth:`~salesxl.demo.writer.DemoWriter.add_column`).  A part draws only from
its own generator (:meth:`DemoCompany.rng` with its issue number, and ``rng=`` of the writer's
``dates``/``amounts``), never from the shared one, so the standard sheets stay byte for byte the
same when a part is added.  A part lives in its own module ``salesxl/demo/<topic>.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from salesxl.demo.company import Customers
from salesxl.demo.layout import DemoCounts
from salesxl.demo.writer import DemoWriter


@dataclass
class DemoCompany:
    """Every table the standard generators made, as the standard sheets are written from them.

    Days are integers since 1970-01-01 and money integer fen (see the generators in
    :mod:`salesxl.demo.company` and :mod:`salesxl.demo.ledgers` for each table's columns).
    A part reads these; it must not change them.
    """

    seed: int
    counts: DemoCounts
    plant: bool  # the small demo with its planted problems (False: clean or benchmark book)
    salespeople: pd.DataFrame
    customers: Customers
    sales: pd.DataFrame
    receipts: pd.DataFrame
    shipments: pd.DataFrame
    visits: pd.DataFrame
    expenses: pd.DataFrame
    targets: pd.DataFrame

    def rng(self, issue: int) -> np.random.Generator:
        """A part's own random generator: the same for the same seed, independent of the others."""
        return np.random.default_rng([self.seed, issue])


#: A part of the demo: adds its sheets or columns to the writer from the generated company.
DemoPart = Callable[[DemoCompany, DemoWriter], None]
