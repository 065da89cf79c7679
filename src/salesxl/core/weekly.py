"""周报 · the salespeople's weekly report (issue 18, v1.1).

The department "sets up and supervises the salespeople's weekly work": for an ISO week
(``2026-W44``, Monday to Sunday) each salesperson's visits (how many, how many customers),
prospects visited, contracts signed, sales, collections, how far the week took them towards
the month's target, and the next steps (拜访.下次计划) due in the following week.

Where nothing fixes it, the choices here:

* The week's **month** is the month of its Thursday (the ISO rule that puts a week in a year),
  so 2026-W44 (2026-10-26 … 11-01) reports against October.  ``week_share`` = the week's
  sales / that month's target; ``month_to_date`` = the month's sales up to the week's end (the
  Sunday, or the month's last day when the week runs into the next month) / the target; both
  None without a target (the target is found by the parts rule of :mod:`salesxl.core.plans`).
* Sales follow the monthly summary: a line counts for its 业务员, else the customer's; the amount
  is the ledger's (金额, else 数量 × 单价) signed by 数量.  Collections (预收 and 回款 less 退款)
  go to the customer's 业务员.  Contracts signed count for their 业务员, else the customer's.
* A visit's customer is its 客户编号, else its 客户名称; it is a **prospect** when it has no
  客户编号 or the customer had no trade by the week's end (spec §3 status 潜在客户).
* A **next step** is due in the following week when its 下次计划 text holds a date in that week
  (``2026-11-03``, ``2026/11/3``, ``11月3日``, ``11-3``; a date without a year takes the
  visit's year, or the next one when that would be before the visit).  A next step without a date,
  written at a visit of this week, is listed too (due: the next visit), so nothing planned is lost.
* The salespeople listed are those of the 业务员 sheet, then anyone else with activity in the
  week, by name; a team line adds them all up.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pandas as pd

from salesxl.core import ledger
from salesxl.core.classification import classify_levels_statuses
from salesxl.core.findings import Finding
from salesxl.core.money import fen_to_str
from salesxl.core.periods import Period
from salesxl.core.plans import read_plan
from salesxl.core.tables import ROW, Book
from salesxl.errors import BadArguments

__all__ = ["WEEKLY_SHEETS", "WeeklyReport", "next_step_due", "parse_week", "weekly_report"]

#: The sheets the weekly report reads.
WEEKLY_SHEETS = ("客户档案", "销售", "收款", "拜访", "目标", "业务员", "合同", "参数")
_WEEK = re.compile(r"^(\d{4})\s*-?\s*w\s*(\d{1,2})$")
_EPOCH = np.datetime64("1970-01-01", "D")


def parse_week(text: str) -> tuple[str, date, date]:
    """``2026-W44`` (also ``2026W44``, ``2026-w44``) → (key, Monday, Sunday) of that ISO week.

    A week the year does not have (2025-W53: 2025 has 52 ISO weeks) is a bad argument (exit 2).
    """
    raw = unicodedata.normalize("NFKC", str(text)).strip()
    hit = _WEEK.match(raw.lower())
    if not hit:
        raise BadArguments(f"--week 的周「{raw}」无效，应为 YYYY-Www，如 2026-W44",
                           f"--week '{raw}' is not an ISO week; use YYYY-Www, e.g. 2026-W44")
    year, week = int(hit[1]), int(hit[2])
    try:
        monday = date.fromisocalendar(year, week, 1)
    except ValueError:
        weeks = date(year, 12, 28).isocalendar()[1] if 1 <= year <= 9999 else 0
        raise BadArguments(f"{year} 年没有第 {week} 周：按 ISO 周，{year} 年共 {weeks} 周",
                           f"{year} has no week {week}: it has {weeks} ISO weeks") from None
    return f"{year}-W{week:02d}", monday, monday + timedelta(days=6)


_DATE_IN_TEXT = (
    re.compile(r"(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})"),
    re.compile(r"(?<!\d)(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]?"),
    re.compile(r"(?<![\d/.-])(?P<m>\d{1,2})\s*[-/.]\s*(?P<d>\d{1,2})(?![\d/.-])"),
)


def next_step_due(text: Any, visited: date) -> date | None:
    """The date a 下次计划 text names (see the module's notes), or None."""
    if text is None or text is pd.NA or not isinstance(text, str):
        return None
    s = unicodedata.normalize("NFKC", text)
    for pattern in _DATE_IN_TEXT:
        hit = pattern.search(s)
        if not hit:
            continue
        groups = hit.groupdict()
        try:
            if groups.get("y"):
                return date(int(groups["y"]), int(groups["m"]), int(groups["d"]))
            due = date(visited.year, int(groups["m"]), int(groups["d"]))
            return due if due >= visited else date(visited.year + 1, due.month, due.day)
        except ValueError:
            continue
    return None


def _days(s: pd.Series) -> np.ndarray:
    values = np.asarray(pd.to_datetime(s), dtype="datetime64[s]")
    ok = ~np.isnat(values)
    return np.where(ok, values.astype("datetime64[D]").astype(np.int64), np.iinfo(np.int64).min)


def _day(d: date) -> int:
    return int((np.datetime64(d, "D") - _EPOCH).astype(np.int64))


def _objects(s: pd.Series) -> np.ndarray:
    return np.asarray([None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else v
                       for v in s.astype(object).tolist()], dtype=object)


def _ratio4(num: int, den: int | None) -> float | None:
    if den is None or den == 0:
        return None
    return float((Decimal(int(num)) / Decimal(int(den))).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


@dataclass
class WeeklyReport:
    """The week's figures per salesperson (money int fen) and their detail lists.

    ``people`` columns: salesperson, on_roster, visits, customers_visited, prospects_visited,
    contracts_signed, contract_amount, sales, collections, month_target, month_sales (month to
    the week's end), week_share, month_to_date.  ``visits``, ``contracts``, ``next_steps``: the
    detail rows, each with its salesperson.
    """

    week: str
    monday: date
    sunday: date
    month: date
    company: str
    people: pd.DataFrame
    visits: pd.DataFrame
    contracts: pd.DataFrame
    next_steps: pd.DataFrame
    findings: list[Finding] = field(default_factory=list)
    written: Any = None

    def team(self) -> dict[str, Any]:
        """The team line: every count and amount added up; the shares from the sums."""
        p = self.people
        total: dict[str, Any] = {k: int(p[k].sum()) for k in ("visits", "customers_visited", "prospects_visited",
                                               "contracts_signed", "contract_amount", "sales", "collections",
                                               "month_sales")}
        targets = [int(v) for v in p["month_target"] if v is not None and not pd.isna(v)]
        target = sum(targets) if targets else None
        total["month_target"] = target
        total["week_share"] = _ratio4(total["sales"], target)
        total["month_to_date"] = _ratio4(total["month_sales"], target)
        return total

    def to_json(self) -> dict[str, Any]:
        """The ``salesxl weekly --json`` document (see the README)."""

        def fen(v: Any) -> str | None:
            return None if v is None or pd.isna(v) else fen_to_str(int(v))

        def person(r: dict[str, Any]) -> dict[str, Any]:
            return {
                "visits": int(r["visits"]), "customers_visited": int(r["customers_visited"]),
                "prospects_visited": int(r["prospects_visited"]), "contracts_signed": int(r["contracts_signed"]),
                "contract_amount": fen(r["contract_amount"]), "sales": fen(r["sales"]),
                "collections": fen(r["collections"]), "month_target": fen(r["month_target"]),
                "month_sales": fen(r["month_sales"]),
                "week_share": None if r["week_share"] is None or pd.isna(r["week_share"]) else float(r["week_share"]),
                "month_to_date": (None if r["month_to_date"] is None or pd.isna(r["month_to_date"])
                                  else float(r["month_to_date"])),
            }

        people = []
        for r in self.people.to_dict("records"):
            steps = self.next_steps[self.next_steps["salesperson"] == r["salesperson"]]
            people.append({"salesperson": r["salesperson"], **person(r), "next_steps": [
                {"visit_date": s["visit_date"].isoformat(), "customer": s["customer"], "next_step": s["next_step"],
                 "due": None if s["due"] is None else s["due"].isoformat()}
                for s in steps.to_dict("records")]})
        return {
            "week": self.week, "from": self.monday.isoformat(), "to": self.sunday.isoformat(),
            "month": f"{self.month:%Y-%m}", "salespeople": people, "team": person(self.team()),
        }


def weekly_report(book: Book, week: str) -> WeeklyReport:
    """The weekly report of ISO week ``week`` (``2026-W44``) per the module's rules."""
    key, monday, sunday = parse_week(week)
    thursday = monday + timedelta(days=3)
    month = thursday.replace(day=1)
    next_month = (month + timedelta(days=32)).replace(day=1)
    month_end = next_month - timedelta(days=1)
    lo, hi = _day(monday), _day(sunday)
    m_lo, m_hi = _day(month), _day(min(sunday, month_end))

    cards = ledger.frame(book, "客户档案")
    if not cards[ROW].is_monotonic_increasing:
        cards = cards.sort_values(ROW, kind="stable")
    cards = cards[cards["客户编号"].notna()].drop_duplicates("客户编号")
    owner = pd.Series(_objects(cards["业务员"]), index=pd.Index(_objects(cards["客户编号"]), dtype=object), dtype=object)
    names = pd.Series(_objects(cards["客户名称"]), index=owner.index, dtype=object)

    def owner_of(ids: np.ndarray) -> np.ndarray:
        return owner.reindex(pd.Index(ids, dtype=object)).to_numpy(dtype=object) if len(ids) else ids

    # Sales: the week's and the month's to the week's end, by the line's salesperson.
    sales = ledger.frame(book, "销售")
    s_day = _days(sales["日期"])
    amount, has, sign = ledger.sale_directions(sales)
    value = sign * np.abs(amount)
    s_sp = _objects(sales["业务员"])
    s_sp = np.where(pd.isna(s_sp), owner_of(_objects(sales["客户编号"])), s_sp)

    def by_person(mask: np.ndarray, keys: np.ndarray, fen: np.ndarray) -> dict[Any, int]:
        if not mask.any():
            return {}
        g = pd.Series(fen[mask], dtype=np.int64).groupby(pd.Series(keys[mask], dtype=object), dropna=False).sum()
        return {(None if pd.isna(k) else k): int(v) for k, v in g.items()}

    week_sales = by_person(has & (s_day >= lo) & (s_day <= hi), s_sp, value)
    month_sales = by_person(has & (s_day >= m_lo) & (s_day <= m_hi), s_sp, value)

    receipts = ledger.frame(book, "收款")
    r_day = _days(receipts["日期"])
    r_fen = receipts["金额"].to_numpy(dtype=np.int64, na_value=0)
    kind = _objects(receipts["类型"])
    r_sign = np.where(np.isin(kind, ["预收", "回款"]), 1, np.where(kind == "退款", -1, 0))
    collections = by_person((r_day >= lo) & (r_day <= hi) & (r_sign != 0), owner_of(_objects(receipts["客户编号"])),
                            r_sign * r_fen)

    # Contracts signed in the week.
    con = ledger.frame(book, "合同")
    c_day = _days(con["签订日期"])
    c_in = (c_day >= lo) & (c_day <= hi) & con["合同编号"].notna().to_numpy()
    c_sp = _objects(con["业务员"])
    c_sp = np.where(pd.isna(c_sp), owner_of(_objects(con["客户编号"])), c_sp)
    c_fen = con["合同金额"].to_numpy(dtype=np.int64, na_value=0)
    contracts = pd.DataFrame({
        "salesperson": c_sp[c_in], "contract_no": _objects(con["合同编号"])[c_in],
        "customer_id": _objects(con["客户编号"])[c_in], "signed": [d for d in con["签订日期"][c_in]],
        "amount": c_fen[c_in],
    })
    contract_count = by_person(c_in, c_sp, np.ones(len(con), dtype=np.int64))
    contract_amount = by_person(c_in, c_sp, c_fen)

    # Visits.
    visits = ledger.frame(book, "拜访")
    v_day = _days(visits["日期"])
    v_in = (v_day >= lo) & (v_day <= hi)
    v = visits.loc[v_in].sort_values(["日期", ROW], kind="stable")
    v_ids = _objects(v["客户编号"])
    v_names = _objects(v["客户名称"])
    customer = np.where(pd.isna(v_ids), v_names, v_ids)
    status = classify_levels_statuses(book, sunday)
    trading = set(status.loc[status["status"] != "prospect", "customer_id"].astype(object).tolist())
    prospect = np.asarray([pd.isna(i) or i not in trading for i in v_ids.tolist()], dtype=bool)
    shown_name = np.where(pd.isna(v_ids), v_names, names.reindex(pd.Index(v_ids, dtype=object)).to_numpy(dtype=object))
    visit_rows = pd.DataFrame({
        "salesperson": _objects(v["业务员"]), "date": [d.date() for d in pd.to_datetime(v["日期"])],
        "customer_id": v_ids, "customer_name": shown_name, "customer": customer, "prospect": prospect,
        "method": _objects(v["方式"]), "notes": _objects(v["内容"]), "next_step": _objects(v["下次计划"]),
    })

    # Next steps due in the following week (from any visit up to this week's end).
    nxt_lo, nxt_hi = sunday + timedelta(days=1), sunday + timedelta(days=7)
    upto = visits.loc[(v_day <= hi) & visits["下次计划"].notna().to_numpy()]
    steps = []
    for r in upto.sort_values(["日期", ROW], kind="stable").to_dict("records"):
        visited = pd.Timestamp(r["日期"]).date()
        due = next_step_due(r["下次计划"], visited)
        this_week = monday <= visited <= sunday
        if (due is not None and nxt_lo <= due <= nxt_hi) or (due is None and this_week):
            cid = None if pd.isna(r["客户编号"]) else r["客户编号"]
            steps.append({"salesperson": r["业务员"], "visit_date": visited,
                          "customer": cid if cid is not None else r["客户名称"],
                          "customer_name": names.get(cid) if cid is not None else r["客户名称"],
                          "next_step": r["下次计划"], "due": due})
    next_steps = pd.DataFrame(steps, columns=["salesperson", "visit_date", "customer", "customer_name", "next_step",
                                              "due"])

    # Who is listed: the roster, then anyone with activity.
    roster = ledger.frame(book, "业务员")
    roster = roster[roster["业务员"].notna()].sort_values(ROW, kind="stable")
    listed = list(dict.fromkeys(roster["业务员"].astype(object).tolist()))
    active = set(week_sales) | set(collections) | set(contract_count) | set(visit_rows["salesperson"].dropna())
    listed += sorted((set(active) - set(listed)) - {None}, key=str)
    plan = read_plan(ledger.frame(book, "目标"))
    targets = plan.salesperson_targets(Period.month(month.year, month.month))
    rows = []
    for name in listed:
        mine = visit_rows[visit_rows["salesperson"] == name]
        t = targets.get(name)
        s_week, s_month = week_sales.get(name, 0), month_sales.get(name, 0)
        rows.append({
            "salesperson": name, "on_roster": name in set(roster["业务员"].tolist()),
            "visits": len(mine), "customers_visited": int(mine["customer"].nunique()),
            "prospects_visited": int(mine.loc[mine["prospect"], "customer"].nunique()),
            "contracts_signed": contract_count.get(name, 0), "contract_amount": contract_amount.get(name, 0),
            "sales": s_week, "collections": collections.get(name, 0), "month_target": t,
            "month_sales": s_month, "week_share": _ratio4(s_week, t), "month_to_date": _ratio4(s_month, t),
        })
    people = pd.DataFrame(rows, columns=["salesperson", "on_roster", "visits", "customers_visited",
                                         "prospects_visited", "contracts_signed", "contract_amount", "sales",
                                         "collections", "month_target", "month_sales", "week_share",
                                         "month_to_date"]).astype(object)
    return WeeklyReport(week=key, monday=monday, sunday=sunday, month=month,
                        company=book.settings.company_name or "", people=people, visits=visit_rows,
                        contracts=contracts, next_steps=next_steps)
