"""The demo's customer cards (issue 19): the four content groups filled unevenly, and a returned
customer form waiting to be reviewed.

* **Groups** (:func:`add_cards`): the 14 columns of 客户特征, 业务状况 and 交易活动, 信息来源 and
  更新日期 at the right of 客户档案, filled the way a real archive is — by the customer's life:
  long-standing customers' cards mostly filled (70 %), new ones half (45 %), prospects a little
  (15 %), lost customers sparse (10 %).  更新日期 goes up to 240 days back (so about a third of
  the current cards are stale) and is blank where a card has no content yet.
* **A returned form** (:func:`write_returned_form`): the 客户信息表 of one company customer, as it
  comes back — a new phone, a larger sales force, another service area, operations 增长 — in
  ``客户信息表-回传/`` beside ``demo.xlsx``, for ``salesxl batch`` to put on 待审核.

Everything is drawn from the part's own generator (issue number 19), so the standard sheets stay
byte for byte the same.
"""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path

import numpy as np
import pandas as pd

from salesxl.core.schema import CARD_GROUPS, CUSTOMERS
from salesxl.demo.layout import DEMO_END, END_DAY
from salesxl.demo.parts import DemoCompany
from salesxl.demo.writer import DemoWriter

ISSUE = 19
#: Share of a card's group columns filled, by the generator's lifecycle (0 prospect,
#: 1 long-standing, 2 new in the window, 3 lost during the window).
FILL_BY_LIFE = np.array([0.15, 0.70, 0.45, 0.10])
#: Plain values for the free-text columns (a real archive repeats itself a lot).
TEXTS: dict[str, tuple[str, ...]] = {
    "服务区域": ("本市", "本省", "华东地区", "长三角", "全国"),
    "经营理念": ("诚信经营", "质量第一", "薄利多销", "客户至上"),
    "经营方针": ("稳健发展", "扩大规模", "聚焦主业", "多元经营"),
    "经营特点": ("批发为主", "零售为主", "批零兼营", "工程项目为主"),
    "主要竞争对手": ("华东贸易", "恒信商行", "金达实业", "无明显对手"),
    "人员素质": ("较高", "一般", "有待提高"),
    "经营现状": ("稳定", "增长", "下滑", "调整中"),
    "存在问题": ("回款偏慢", "订货不稳定", "价格敏感", "无"),
    "应对计划": ("加强拜访", "调整信用额度", "推荐新品", "保持现状"),
}
GROUP_FIELDS = tuple(f for columns in list(CARD_GROUPS.values())[1:] for f in columns)
RETURNED_DIR = "客户信息表-回传"


def add_cards(company: DemoCompany, writer: DemoWriter) -> None:
    """The group columns, 信息来源 and 更新日期 of every card (see the module documentation)."""
    rng = company.rng(ISSUE)
    table = company.customers.table
    n = len(table)
    share = FILL_BY_LIFE[table["life"].to_numpy()]
    for name in GROUP_FIELDS:
        filled = rng.random(n) < share
        field = CUSTOMERS.field(name)
        if name == "销售队伍":
            values: list[object] = rng.integers(0, 60, n).tolist()
        else:
            options = field.enum_values or TEXTS[name]
            values = [options[k] for k in rng.integers(0, len(options), n).tolist()]
        writer.add_column("客户档案", name, ([v if f else None for v, f in zip(values, filled.tolist(), strict=True)],
                                         None), width=10 if field.enum_values else 12)
    touched = rng.random(n) < np.maximum(share, 0.2) * 1.3  # a card with content has a source and a date
    source = np.where(rng.random(n) < 0.85, "业务员", "调查机构")
    writer.add_column("客户档案", "信息来源", ([s if t else None for s, t in zip(source.tolist(), touched.tolist(),
                                                                           strict=True)], None), width=10)
    days = END_DAY - rng.integers(0, 240, n)
    writer.add_column("客户档案", "更新日期", writer.dates(days, present=touched & (rng.random(n) < 0.9),
                                                      text_rate=0.2, rng=rng))


def write_returned_form(demo: Path, out_dir: Path | None = None) -> Path:
    """Write the returned 客户信息表 of the first company customer of ``demo`` into
    ``客户信息表-回传/`` beside it (issued the month before the demo's end, answered with a few
    changes); returns the file."""
    from salesxl.io.customer_form import customer_form_name, form_customers, write_customer_form
    from salesxl.io.reading import read_book

    book = read_book(demo, sheets=("客户档案", "参数"))
    cards = form_customers(book)
    pick = cards[(cards["客户性质"] == "一般公司") & cards["联系电话"].notna()].iloc[0]
    cid = str(pick["客户编号"])
    force = pick["销售队伍"]
    answers = {"联系电话": "13857112345", "服务区域": "长三角", "经营现状": "增长",
               "销售队伍": (0 if pd.isna(force) else int(force)) + 5}
    folder = out_dir or demo.parent / RETURNED_DIR
    issued = datetime.combine(DEMO_END.replace(day=1), time())
    return write_customer_form(book, cid, folder / customer_form_name(cid, str(pick["客户名称"])), issued_at=issued,
                               master_name=demo.name, answers=answers)
