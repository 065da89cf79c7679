"""档案完整度 · how complete the customer cards are (spec v1.1 §2 "The card's four content groups").

A customer archive is only used when it is filled in: the office tracks down the current and new
customers whose cards lack what salespeople should have learned on their visits, and the cards
nobody has looked at for half a year.  Per card (one per 客户编号, its first row, as classify
counts customers):

* **completeness** = the filled columns among the 25 of the four groups
  (:data:`~salesxl.core.schema.CARD_GROUPS`) / 25, rounded to 4 decimals.  A cell holding 0 is
  filled (销售队伍 0 is an answer); a column the sheet lacks is blank on every card; a cell the
  reader could not read (``bad-type``) is blank, like the figures treat it;
* **missing**: per group, the blank columns in the order of the group table;
* **stale**: a 现有客户 (status by :func:`salesxl.core.classification.classify_levels_statuses`,
  the one status rule) whose 更新日期 is blank or more than 参数 ``档案更新天数`` (default 180)
  days before D;
* **incomplete**: a 现有客户 or 新客户 below 参数 ``档案完整度目标`` (default 0.8).

Everything is computed over whole columns: a filled-mask of 25 columns becomes one 25-bit number
per card, and the per-group lists are built once per distinct number (a big archive has far
fewer distinct gaps than cards).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from salesxl.core.classification import STATUS_NAMES, classify_levels_statuses, customer_cards
from salesxl.core.findings import Finding
from salesxl.core.schema import CARD_GROUPS, CUSTOMERS
from salesxl.core.settings import Settings
from salesxl.core.tables import ROW, Book

#: The 25 columns of the four groups, group by group, in the order of the spec's table.
GROUP_COLUMNS: tuple[str, ...] = tuple(name for columns in CARD_GROUPS.values() for name in columns)
#: Each column's group.
GROUP_OF: dict[str, str] = {name: group for group, columns in CARD_GROUPS.items() for name in columns}
#: Statuses whose incomplete cards the office chases (spec: current and new customers).
CHASED = ("current", "new")


def filled_mask(cards: pd.DataFrame) -> np.ndarray:
    """``(cards, 25)`` booleans: which group columns each card has filled (a column the frame
    lacks is blank everywhere; 0 is filled)."""
    out = np.zeros((len(cards), len(GROUP_COLUMNS)), dtype=bool)
    for j, name in enumerate(GROUP_COLUMNS):
        if name in cards:
            out[:, j] = cards[name].notna().to_numpy(dtype=bool)
    return out


def completeness(filled: np.ndarray) -> np.ndarray:
    """Filled columns / 25, rounded to 4 decimals (float64; k/25 is exact at 4 decimals)."""
    return np.round(filled.sum(axis=1) / len(GROUP_COLUMNS), 4)


def missing_groups(filled: np.ndarray) -> list[dict[str, list[str]]]:
    """Per card, group → its blank columns in the group table's order (groups without a blank
    left out), one dict per distinct gap pattern shared by the cards that have it."""
    weights = np.left_shift(np.int64(1), np.arange(len(GROUP_COLUMNS), dtype=np.int64))
    codes = (~filled).astype(np.int64) @ weights
    distinct, inverse = np.unique(codes, return_inverse=True)
    patterns = [_pattern(int(code)) for code in distinct.tolist()]
    return [patterns[i] for i in inverse.ravel().tolist()]


def _pattern(code: int) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for j, name in enumerate(GROUP_COLUMNS):
        if code >> j & 1:
            out.setdefault(GROUP_OF[name], []).append(name)
    return out


def missing_text(missing: dict[str, list[str]]) -> str:
    """``客户特征：服务区域、销售队伍；交易活动：信誉评价`` — the blanks named for people."""
    return "；".join(f"{group}：{'、'.join(names)}" for group, names in missing.items())


@dataclass
class CardsResult:
    """The completeness of every card as of ``as_of``.

    ``cards`` has one row per 客户编号 of 客户档案 (its first card, sheet order): customer_id,
    customer_name, salesperson, row (Excel row), status (spec §5 code), status_name (客户状态),
    filled (count), completeness (float, 4 decimals), missing (group → blank columns), updated
    (更新日期 or NaT), days_since_update (Int64, blank without a date), stale and incomplete
    (bool).
    """

    as_of: date
    settings: Settings
    cards: pd.DataFrame
    findings: list[Finding] = field(default_factory=list)

    @property
    def target(self) -> Decimal:
        return self.settings.card_target

    @property
    def stale_days(self) -> int:
        return self.settings.card_stale_days

    def to_json(self) -> dict[str, Any]:
        """The spec §5 ``cards`` document."""
        c = self.cards
        rows = [{"customer_id": cid, "status": status, "completeness": comp, "missing": missing, "stale": stale}
                for cid, status, comp, missing, stale in zip(
                    c["customer_id"].tolist(), c["status"].tolist(), c["completeness"].tolist(),
                    c["missing"].tolist(), c["stale"].tolist(), strict=True)]
        return {"as_of": self.as_of.isoformat(), "cards": rows}

    def summary(self) -> pd.DataFrame:
        """Per salesperson and status: cards, average completeness (4 decimals), incomplete and
        stale cards — salespeople in name order, statuses in the contract's order."""
        c = self.cards
        if c.empty:
            return pd.DataFrame(columns=["salesperson", "status", "cards", "average", "incomplete", "stale"])
        order = {s: i for i, s in enumerate(STATUS_NAMES)}
        grouped = c.assign(salesperson=c["salesperson"].fillna("")).groupby(
            ["salesperson", "status"], sort=False).agg(
            cards=("customer_id", "size"), average=("completeness", "mean"),
            incomplete=("incomplete", "sum"), stale=("stale", "sum")).reset_index()
        grouped["average"] = grouped["average"].round(4)
        grouped["_order"] = grouped["status"].map(order)
        return grouped.sort_values(["salesperson", "_order"], kind="stable").drop(columns="_order").reset_index(drop=True)


def card_completeness(book: Book, *, as_of: date) -> CardsResult:
    """Completeness, gaps, staleness and status of every card of ``book`` as of ``as_of``
    (see the module documentation); a book without 客户档案 has no cards."""
    st = book.settings
    table = book.table("客户档案")
    if table is None:
        frame = pd.DataFrame({ROW: pd.Series(dtype="int64"),
                              **{f.name: pd.Series(dtype="object") for f in CUSTOMERS.fields}})
    else:
        frame = table.frame
        if not frame[ROW].is_monotonic_increasing:
            frame = frame.sort_values(ROW, kind="stable")
    custs, _ = customer_cards(frame)
    n = len(custs)
    filled = filled_mask(custs)
    statuses = classify_levels_statuses(book, as_of)["status"].to_numpy(dtype=object)[:n] if n else \
        np.zeros(0, dtype=object)  # the cards' customers come first, in the same order
    updated = pd.to_datetime(custs["更新日期"]) if "更新日期" in custs else pd.Series(pd.NaT, index=custs.index)
    days = (pd.Timestamp(as_of) - updated).dt.days.astype("Int64")
    current = statuses == "current"
    stale = current & (days.isna() | (days > st.card_stale_days)).to_numpy(dtype=bool)
    comp = completeness(filled)
    # exact comparison with the Decimal target: k/25 < target  ⇔  k·100 < target·2500
    target_hundredths = int((st.card_target * 2500).to_integral_value(rounding="ROUND_CEILING"))
    below = filled.sum(axis=1) * 100 < target_hundredths
    chased = np.isin(statuses, CHASED)
    cards = pd.DataFrame({
        "customer_id": custs["客户编号"].astype(object).to_numpy(),
        "customer_name": custs["客户名称"].astype(object).where(custs["客户名称"].notna(), None).to_numpy(),
        "salesperson": custs["业务员"].astype(object).where(custs["业务员"].notna(), None).to_numpy(),
        "row": custs[ROW].to_numpy(dtype=np.int64),
        "status": statuses,
        "status_name": [STATUS_NAMES.get(s, "") for s in statuses.tolist()],
        "filled": filled.sum(axis=1),
        "completeness": comp,
        "missing": missing_groups(filled) if n else [],
        "updated": updated.to_numpy(),
        "days_since_update": days.to_numpy(),
        "stale": stale,
        "incomplete": chased & below,
    })
    return CardsResult(as_of, st, cards)


# --------------------------------------------------------------------------------------------
# The batch's feedback: each salesperson's incomplete cards, after the merge


#: Recorded statuses whose cards the feedback does not chase (as in the 档案完整度 sheet).
NOT_CHASED = ("潜在客户", "流失客户")


def incomplete_after_merge(cards: pd.DataFrame, people: Iterable[str], *, target: Decimal,
                           updates: Mapping[str, Mapping[str, str | None]] = {},
                           new_cards: Sequence[Mapping[str, str | None]] = ()) -> dict[str, list[Sequence[Any]]]:
    """Per salesperson of ``people``: their cards below ``target`` once the batch's ``updates``
    (客户编号 → field → canonical text, None = cleared) and ``new_cards`` are applied, least
    complete first, as rows ``(客户编号, 客户名称, 客户状态, 完整度, 缺少的栏目)``.

    The batch reads no sales, so a card's status is the one the master records (客户状态, the
    out column classify writes): 潜在客户 and 流失客户 are left out like the 档案完整度 sheet
    leaves them out, and a card without a recorded status (never classified, or new in this
    batch) is listed.  Only the given people's cards are looked at.
    """
    wanted = set(people)
    frame = cards.sort_values(ROW, kind="stable") if not cards[ROW].is_monotonic_increasing else cards
    custs, _ = customer_cards(frame)
    owner = custs["业务员"].astype("string").str.strip().fillna("")
    mine = custs[owner.isin(wanted).to_numpy(dtype=bool)].reset_index(drop=True)
    filled = filled_mask(mine)
    ids = mine["客户编号"].astype(str).to_numpy(dtype=object)
    names = mine["客户名称"].astype(object).where(mine["客户名称"].notna(), None).to_numpy(dtype=object)
    people_of = mine["业务员"].astype("string").str.strip().to_numpy(dtype=object)
    status = (mine["客户状态"].astype(object).where(mine["客户状态"].notna(), None).to_numpy(dtype=object)
              if "客户状态" in mine else np.full(len(mine), None, dtype=object))
    column = {name: j for j, name in enumerate(GROUP_COLUMNS)}
    if updates:  # only the changed cards are looked up
        at = pd.Index(ids).get_indexer(list(updates))
        for i, fields in zip(at.tolist(), updates.values(), strict=True):
            if i < 0:
                continue
            for name, text in fields.items():
                if name in column:
                    filled[i, column[name]] = text is not None
                    if name == "客户名称":
                        names[i] = text
    extra = [c for c in new_cards if (c.get("业务员") or "") in wanted]
    if extra:
        filled = np.vstack([filled, np.array([[c.get(n) is not None for n in GROUP_COLUMNS] for c in extra],
                                             dtype=bool)])
        ids = np.concatenate([ids, np.array([str(c.get("客户编号")) for c in extra], dtype=object)])
        names = np.concatenate([names, np.array([c.get("客户名称") for c in extra], dtype=object)])
        people_of = np.concatenate([people_of, np.array([str(c.get("业务员")) for c in extra], dtype=object)])
        status = np.concatenate([status, np.full(len(extra), None, dtype=object)])
    if not len(ids):
        return {}
    count = filled.sum(axis=1)
    target_hundredths = int((target * 2500).to_integral_value(rounding="ROUND_CEILING"))
    keep = np.flatnonzero((count * 100 < target_hundredths) & ~np.isin(status, NOT_CHASED))
    if not len(keep):
        return {}
    # per salesperson, least complete first: one sort, then each person's slice
    person_code, person_names = pd.factorize(people_of[keep], sort=True)
    order = keep[np.lexsort((count[keep], person_code))]
    codes = person_code[np.lexsort((count[keep], person_code))]
    made: dict[int, str] = {}
    texts = [made.get(id(g)) or made.setdefault(id(g), missing_text(g)) for g in missing_groups(filled[order])]
    share = [f"{k / len(GROUP_COLUMNS):.0%}" for k in range(len(GROUP_COLUMNS) + 1)]
    rows: list[Sequence[Any]] = list(zip(ids[order].tolist(), names[order].tolist(), status[order].tolist(),
                                         [share[k] for k in count[order].tolist()], texts, strict=True))
    bounds = np.flatnonzero(np.diff(codes)) + 1
    return {str(person_names[codes[lo]]): rows[lo:hi]
            for lo, hi in zip([0, *bounds.tolist()], [*bounds.tolist(), len(order)], strict=True)}
