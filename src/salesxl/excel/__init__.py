"""salesxl inside Excel: the office workbook's buttons, worksheet functions, and the gateway
between salesxl's core and a workbook (a file, or the book open in Excel via xlwings).

* :mod:`salesxl.excel.gateway` — the :class:`~salesxl.excel.gateway.WorkbookGateway` interface
  and its file implementation (no xlwings needed).
* :mod:`salesxl.excel.xlwings_gateway` — the same interface over the open book, via xlwings.
* :mod:`salesxl.excel.buttons` — the buttons' entry points (``RunPython``) and their logic.
* :mod:`salesxl.excel.udfs` — the ``SALESXL_*`` worksheet functions (xlwings UDFs); their logic
  is :mod:`salesxl.core.worksheet_functions`.

Nothing is imported here, so ``import salesxl.excel`` works without xlwings installed; only the
xlwings-facing modules need it, and only when they run inside Excel.
"""
