"""A deterministic demo company: two years of a Chinese trading firm's sales workbooks.

Why this exists
---------------
salesxl is only as good as its reader and its rules are against the sheets people really keep,
and those are never tidy: a merged title above the header, a second line with the date the
sheet was printed, a header written ``金额（元）`` on one sheet and ``Amount (CNY)`` on another,
an extra column nobody asked for, dates typed five different ways in one column, an amount
typed as ``¥1,234.50`` or ``1.2万``, a full-width space in front of a name, an empty row in the
middle.  The demo writes such a workbook for an invented company (:data:`COMPANY_NAME`, a
distributor of valves, pipes, cables and site supplies in East China), so that

* a new user can try every command (``validate``, ``offset``, ``classify``, ``summary``) on
  something that looks like their own books before trusting it with them;
* the test suite and the benchmarks have a realistic, *reproducible* input: the same seed gives
  the same bytes, and nothing depends on today's date (the data ends on :data:`DEMO_END`, which
  is also the demo's natural as-of date);
* the validator has something to find: the small demo carries a short list of deliberate
  mistakes, :data:`PLANTED_PROBLEMS`, and is otherwise valid per the workbook contract, so the
  planted findings are the only findings.

The business story is kept plausible so the figures mean something: sales follow a seasonal
pattern (the Spring Festival dip, the year-end push) with growth, customers are concentrated
(a few large contractors, many small shops) so levels A/B/C separate, most customers pay within
their terms while some pay late and a few stop paying, prepayment-only customers pay before the
goods leave, about 3% of lines are returns, and shipments trail the sales, partly, near the end.

``build_demo(scale=True)`` writes the same company at benchmark size (50,000 customers, a
million sales lines) with the same kinds of mess at the same small rates, without planted
problems.  Money is generated as integer fen throughout and converted to what is written only
at the end, so a written number always rounds back to the exact fen and a written text form is
built from the integer, never from a float.

Where things live
-----------------
:mod:`~salesxl.demo.layout` (dates, sizes, sheet layouts, planted problems),
:mod:`~salesxl.demo.reference` (cities, products, name parts), :mod:`~salesxl.demo.cells`
(dates, money and text as cells hold them), :mod:`~salesxl.demo.company` (salespeople and
customers), :mod:`~salesxl.demo.ledgers` (sales, returns, receipts, shipments, visits, expenses,
targets), :mod:`~salesxl.demo.writer` (:class:`DemoWriter`), :mod:`~salesxl.demo.sheets` (one
writer per sheet), :mod:`~salesxl.demo.build` (:func:`build_demo`).  A new part (its own sheet
or columns, its own random generator) is a module ``salesxl/demo/<topic>.py`` with a function
taking a :class:`DemoCompany` and the :class:`DemoWriter`, listed in
:data:`salesxl.demo.build.PARTS` (see :mod:`salesxl.demo.parts`).
"""

from __future__ import annotations

from salesxl.demo.build import PARTS, build_book, build_demo
from salesxl.demo.company import district_short
from salesxl.demo.layout import (
    COMPANY_NAME,
    DEMO_END,
    DEMO_START,
    LAYOUTS,
    PLANTED_PROBLEMS,
    SCALE_COUNTS,
    SMALL_COUNTS,
    DemoCounts,
    ProgressCallback,
    SheetLayout,
)
from salesxl.demo.parts import DemoCompany, DemoPart
from salesxl.demo.writer import Column, DemoWriter

__all__ = [
    "COMPANY_NAME",
    "DEMO_END",
    "DEMO_START",
    "LAYOUTS",
    "PARTS",
    "PLANTED_PROBLEMS",
    "SCALE_COUNTS",
    "SMALL_COUNTS",
    "Column",
    "DemoCompany",
    "DemoCounts",
    "DemoPart",
    "DemoWriter",
    "ProgressCallback",
    "SheetLayout",
    "build_book",
    "build_demo",
    "district_short",
]

# Names the tests knew from the single-module demo (``demo._build_book``, ``_district_short``).
_build_book = build_book
_district_short = district_short
