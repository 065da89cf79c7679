"""What the demo is: its dates, sizes, sheet layouts and planted problems.

The constants every part of the demo agrees on: the two years of data up to :data:`DEMO_END`,
the company's name, the small and the benchmark sizes (:class:`DemoCounts`), where each sheet's
header and empty rows sit (:class:`SheetLayout`, fixed so a planted problem's Excel row is a
constant), and the deliberate mistakes of the small demo (:data:`PLANTED_PROBLEMS`).  Nothing
here is random.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np

#: The demo's data runs for two years up to this date; it is also the demo's default as-of.
DEMO_END = date(2026, 10, 31)
#: First day of the demo's data.
DEMO_START = date(2024, 11, 1)
#: The invented company whose books these are.
COMPANY_NAME = "华东鑫达商贸有限公司"

#: ``progress(stage, done, total)``: called now and then so a command line can draw a bar.
ProgressCallback = Callable[[str, int, int], None]

# Workbook "created" property: fixed, so that the same seed gives the same bytes.
CREATED = datetime(2026, 10, 31, 18, 0, 0)
EPOCH = date(1970, 1, 1)
START_DAY = (DEMO_START - EPOCH).days
END_DAY = (DEMO_END - EPOCH).days
EXCEL_EPOCH_OFFSET = 25569  # Excel serial number of 1970-01-01
PROGRESS_EVERY = 10_000
GENERATE = "生成数据"


@dataclass(frozen=True)
class DemoCounts:
    """How big the demo company is.

    ``receipts`` and ``shipments`` are targets for the benchmark book (``None`` lets the
    business rules decide: every shipped line is registered, every payment is a row).
    """

    customers: int
    salespeople: int
    sales_lines: int
    visits: int
    expenses: int
    receipts: int | None = None
    shipments: int | None = None
    price_rows: int = 0  # 价目表 rows of the benchmark book (0: the small demo's list, issue 16)


#: The small demo: quick to build, easy to read, with :data:`PLANTED_PROBLEMS`.
SMALL_COUNTS = DemoCounts(
    customers=400, salespeople=6, sales_lines=8_000, visits=1_500, expenses=900
)
#: The benchmark book (``build_demo(scale=True)``).
SCALE_COUNTS = DemoCounts(
    customers=50_000,
    salespeople=40,
    sales_lines=1_000_000,
    visits=80_000,
    expenses=20_000,
    receipts=600_000,
    shipments=300_000,
    price_rows=5_000,
)


# --------------------------------------------------------------------------------------------
# Sheet layouts: where the header is, which title rows sit above it, where empty rows fall.
# They are fixed (not random) so that the Excel row of every planted problem is a constant.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetLayout:
    """How one sheet is laid out: its name as written, the rows above its header, empty rows.

    ``titles`` are the rows above the header ("" leaves the row empty); an empty row is left
    before data row ``i`` (0-based) whenever ``i % blank_period == blank_period // 2``.
    """

    canonical: str
    sheet: str
    titles: tuple[str, ...] = ()
    blank_period: int = 0

    @property
    def header_row(self) -> int:
        """The header's Excel row (1-based)."""
        return len(self.titles) + 1

    def excel_rows(self, n: int) -> np.ndarray:
        """Excel rows (1-based) of data rows ``0..n-1``, counting the empty rows left between."""
        index = np.arange(n, dtype=np.int64)
        blanks = np.zeros(n, dtype=np.int64)
        if self.blank_period:
            half = self.blank_period // 2
            blanks = np.where(index >= half, (index - half) // self.blank_period + 1, 0)
        return self.header_row + 1 + index + blanks

    def excel_row(self, i: int) -> int:
        """Excel row (1-based) of data row ``i``."""
        return int(self.excel_rows(i + 1)[-1])


_AS_OF_TEXT = f"{DEMO_END.year}年{DEMO_END.month}月{DEMO_END.day}日"
LAYOUTS: dict[str, SheetLayout] = {
    "客户档案": SheetLayout(
        "客户档案",
        "客户档案",
        (f"{COMPANY_NAME}客户档案", f"制表日期：{_AS_OF_TEXT}　制表人：王敏"),
        157,
    ),
    "销售": SheetLayout(
        "销售", "销售", (f"{COMPANY_NAME}销售明细表", f"制表日期：{_AS_OF_TEXT}", ""), 2999
    ),
    "收款": SheetLayout("收款", "Receipts", (), 1999),
    "发货": SheetLayout("发货", "发货", ("发货登记表",), 2503),
    "拜访": SheetLayout("拜访", "Visits", ("Sales Visit Log 2024-2026",), 997),
    "费用": SheetLayout("费用", "费用", ("费用报销明细（2024.11–2026.10）",), 401),
    "目标": SheetLayout("目标", "目标 ", ("月度目标分解（2024.11–2026.10）",), 0),
    "业务员": SheetLayout("业务员", "业务员"),
    "参数": SheetLayout("参数", "参数"),
}


# Deliberate mistakes in the small demo: (sheet, 0-based data row, canonical field, code).
# Everything else in the small demo is valid, so these are exactly the validator's findings.
_PLANTS: tuple[tuple[str, int, str, str], ...] = (
    ("客户档案", 17, "联系电话", "bad-phone"),
    ("客户档案", 42, "统一社会信用代码", "bad-uscc"),
    ("客户档案", 77, "首次交易日期", "date-order"),
    ("客户档案", 150, "客户编号", "duplicate-id"),
    ("客户档案", 301, "客户名称", "possible-duplicate"),
    ("销售", 25, "金额", "amount-mismatch"),
    ("销售", 61, "金额", "bad-type"),
    ("销售", 93, "客户编号", "unknown-customer"),
    ("发货", 40, "批号", "missing-value"),
    ("发货", 70, "数量", "over-shipment"),
)
PLANT_INDEX = {code: index for _, index, _, code in _PLANTS}
ORIGINAL_OF_LOOKALIKE = 10  # the earlier card whose name the possible-duplicate card repeats
UNKNOWN_CUSTOMER_ID = "KH08888"
UNKNOWN_CUSTOMER_NAME = "宁波新星五金有限公司"

#: The small demo's deliberate mistakes: (canonical sheet, Excel row, canonical field, code).
PLANTED_PROBLEMS: list[tuple[str, int, str, str]] = [
    (sheet, LAYOUTS[sheet].excel_row(index), field_name, code)
    for sheet, index, field_name, code in _PLANTS
]


