"""销售计划 · plans over any period (spec §2 "目标 in v1.1", §3 "Plans").

A sales office plans by month, quarter and year and breaks targets down (细分目标) by product
and region.  A period's target for a salesperson is the 目标 row for exactly that period if
there is one, else the sum of the targets of its parts (a year's quarters, a quarter's months),
each found the same way; parts without a target add nothing, and no target at all is None.

Where the spec is silent, the choices here:

* Rows are grouped by (业务员, 产品, 省份): a row with neither 产品 nor 省份 is the salesperson's
  total; a sub-target is compared with the same salesperson's sales of that product and/or in
  that region.  The parts rule applies within each group, column by column (a quarter row with a
  销售目标 but no 回款目标 takes its 回款目标 from its months).
* The first row of a (period, 业务员, 产品, 省份) counts; a repeat is the validator's
  ``duplicate-id``.
* ``plan-mismatch``: a quarter (year) row with a 销售目标 whose months (quarters) *all* have a
  销售目标 — a quarter's own row, or, without one, all three of its months — adding up to a
  different amount.  Reported on the quarter's (year's) 销售目标 cell.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from salesxl.core.findings import Code, Finding
from salesxl.core.identifiers import normalized_provinces
from salesxl.core.money import fen_to_str
from salesxl.core.periods import Period, parse_period, period_keys
from salesxl.core.tables import ROW, Table
from salesxl.errors import BadArguments

__all__ = ["TARGET_COLUMNS", "Plan", "period_argument", "period_report_name", "plan_findings", "read_plan",
           "sub_target_frame"]

#: The amount columns of 目标 a period's target is found for.
TARGET_COLUMNS = ("销售目标", "回款目标", "费用预算")

Group = tuple[Any, Any, Any]  # (业务员, 产品, 省份); 产品/省份 None for the total


def _clean(v: Any) -> Any:
    return None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else v


@dataclass
class Plan:
    """目标 read as plans: per group and period key, the first row's amounts (fen or None) and
    its Excel row."""

    rows: dict[tuple[Group, str], dict[str, Any]]

    def groups(self) -> list[Group]:
        """Every (业务员, 产品, 省份) with a row, in first-seen order."""
        return list(dict.fromkeys(g for g, _ in self.rows))

    def target(self, group: Group, period: Period, column: str = "销售目标") -> int | None:
        """The parts rule (spec §3 "Plans"): exactly that period's row, else Σ its parts'."""
        row = self.rows.get((group, period.key))
        if row is not None and row[column] is not None:
            return int(row[column])
        found = [f for f in (self.target(group, p, column) for p in period.parts()) if f is not None]
        return int(sum(found)) if found else None

    def complete(self, group: Group, period: Period, column: str = "销售目标") -> int | None:
        """The period's own target, or — without a row — Σ its parts when *every* part has one
        (the breakdown a ``plan-mismatch`` compares against)."""
        row = self.rows.get((group, period.key))
        if row is not None and row[column] is not None:
            return int(row[column])
        parts = period.parts()
        found = [self.complete(group, p, column) for p in parts]
        if not parts or any(f is None for f in found):
            return None
        return int(sum(f for f in found if f is not None))

    def salesperson_targets(self, period: Period, column: str = "销售目标") -> dict[Any, int]:
        """Each salesperson's total target for ``period`` (only those with one)."""
        out: dict[Any, int] = {}
        for g in self.groups():
            if g[1] is None and g[2] is None:
                t = self.target(g, period, column)
                if t is not None:
                    out[g[0]] = t
        return out

    def sub_targets(self, period: Period) -> list[tuple[Group, int]]:
        """The sub-targets (产品 or 省份 given) with a 销售目标 for ``period``."""
        out = []
        for g in self.groups():
            if g[1] is not None or g[2] is not None:
                t = self.target(g, period)
                if t is not None:
                    out.append((g, t))
        return out


def read_plan(frame: pd.DataFrame) -> Plan:
    """目标's rows as a :class:`Plan` (the first row of each group and period counts)."""
    if not frame[ROW].is_monotonic_increasing:
        frame = frame.sort_values(ROW, kind="stable")
    keys = period_keys(frame)
    people = frame["业务员"].to_numpy(dtype=object)
    product = frame["产品"].to_numpy(dtype=object) if "产品" in frame.columns else np.full(len(frame), None)
    region = frame["省份"].to_numpy(dtype=object) if "省份" in frame.columns else np.full(len(frame), None)
    amounts = {c: frame[c].to_numpy(dtype=object) for c in TARGET_COLUMNS}
    rows_ = frame[ROW].to_numpy(dtype=np.int64)
    rows: dict[tuple[Group, str], dict[str, Any]] = {}
    for i, key in enumerate(keys.tolist()):
        person = _clean(people[i])
        if key is None or person is None:
            continue
        group = (person, _clean(product[i]), _clean(region[i]))
        if (group, key) in rows:
            continue
        rec: dict[str, Any] = {c: _clean(amounts[c][i]) for c in TARGET_COLUMNS}
        rec["position"] = i
        rec[ROW] = int(rows_[i])
        rows[(group, key)] = rec
    return Plan(rows)


def _parts_text(parts: Iterable[Period]) -> str:
    return "、".join(p.key for p in parts)


def plan_findings(t: Table) -> list[Finding]:
    """``plan-mismatch`` (warning, on 销售目标) for a quarter or year whose breakdown adds up
    differently (see the module's notes)."""
    if not t.has("销售目标") or len(t) == 0:
        return []
    plan = read_plan(t.frame)
    out = []
    for (group, key), row in plan.rows.items():
        value = row["销售目标"]
        period = parse_period(key)
        if value is None or period.kind == "month":
            continue
        found = [plan.complete(group, p) for p in period.parts()]
        if any(f is None for f in found):
            continue
        total = int(sum(f for f in found if f is not None))
        if total != int(value):
            label = period.label + ("" if group[1] is None and group[2] is None else
                                    "（" + "、".join(str(x) for x in group[1:] if x is not None) + "）")
            out.append(Finding(
                sheet=t.sheet, row=row[ROW], column=t.letter("销售目标"), field="销售目标",
                value=fen_to_str(int(value)), code=Code.PLAN_MISMATCH,
                params={"period": f"{group[0]} {label}", "parts": _parts_text(period.parts()),
                        "total": fen_to_str(total)},
            ))
    return out


def sub_target_frame(plan: Plan, period: Period, salesperson: np.ndarray, product: np.ndarray,
                     province: np.ndarray, value: np.ndarray) -> pd.DataFrame:
    """Each 细分目标 of ``period`` against the matching sales: the period's sales lines given as
    aligned arrays (the line's salesperson — its 业务员, else the customer's —, 产品, the
    customer's normalised 省份, signed fen).  A sub-target's 省份 is normalised the same way
    (``浙江`` → ``浙江省``), so it matches however it was typed.

    Columns: salesperson, product, region, target, sales, attainment (4 decimals, None for a
    zero target).
    """
    subs = plan.sub_targets(period)
    columns = ["salesperson", "product", "region", "target", "sales", "attainment"]
    if not subs:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    regions = pd.Series([g[2] for g, _ in subs], dtype="string")
    normal, _ = normalized_provinces(regions)
    lines = pd.DataFrame({"sp": pd.Series(salesperson, dtype=object).fillna(""),
                          "product": pd.Series(product, dtype=object).fillna(""),
                          "region": pd.Series(province, dtype=object).fillna(""),
                          "fen": np.asarray(value, dtype=np.int64)})
    # One grouping per kind of breakdown (the scale book's year has half a million lines).
    sums = {keys: lines.groupby(list(keys), sort=False)["fen"].sum().to_dict()
            for keys in (("sp", "product"), ("sp", "region"), ("sp", "product", "region"))}
    rows = []
    for (group, target), region in zip(subs, normal.tolist(), strict=True):
        person, want_product, typed_region = group
        want_region = None if typed_region is None else (region if region is not None and region is not pd.NA
                                                          else typed_region)
        if want_product is not None and want_region is not None:
            sales = sums[("sp", "product", "region")].get((person, want_product, want_region), 0)
        elif want_product is not None:
            sales = sums[("sp", "product")].get((person, want_product), 0)
        else:
            sales = sums[("sp", "region")].get((person, want_region), 0)
        rows.append({"salesperson": person, "product": want_product, "region": want_region, "target": target,
                     "sales": int(sales), "attainment": _ratio4(int(sales), target)})
    return pd.DataFrame({c: pd.Series([r[c] for r in rows], dtype=object) for c in columns})


def _ratio4(num: int, den: int) -> float | None:
    from decimal import ROUND_HALF_UP, Decimal

    if den == 0:
        return None
    return float((Decimal(num) / Decimal(den)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def period_argument(text: str | Period, kind: str) -> Period:
    """``--quarter 2026Q4`` (also ``2026-Q4``, ``2026年第4季度``) or ``--year 2026`` → the
    period; anything else, or a period of another kind, is a bad argument (exit 2)."""
    if isinstance(text, Period) and text.kind == kind:
        return text
    try:
        found = parse_period(str(text))
    except ValueError:
        found = None
    if found is None or found.kind != kind:
        if kind == "quarter":
            raise BadArguments(f"--quarter 的季度「{text}」无效，应为 YYYYQn，如 2026Q4",
                               f"--quarter '{text}' is not a quarter; use YYYYQn, e.g. 2026Q4")
        raise BadArguments(f"--year 的年份「{text}」无效，应为 YYYY，如 2026",
                           f"--year '{text}' is not a year; use YYYY, e.g. 2026")
    return found


def period_report_name(period: Period) -> str:
    """``季报-2026Q4.xlsx``, ``年报-2026.xlsx`` (a month keeps ``月报-2026-10.xlsx``)."""
    kind = {"month": "月报", "quarter": "季报", "year": "年报"}[period.kind]
    return f"{kind}-{period.key}.xlsx"
