"""合同 · contracts (spec §2 合同, §3 "Contracts", §5 ``contracts``, v1.1).

The sales manager keeps a register of signed contracts and must know, on any day D, how much
of each has been delivered (executed = Σ 金额 of the 销售 lines carrying its 合同编号, dated on or
before D, returns included), what is left, and which are about to run out or already have with
goods still owed.  The contract-signing statistics count and add up the contracts signed in a
period by month, salesperson, 省份 and customer level.

Where the spec is silent, the choices here:

* A contract is the first 合同 row of its 合同编号 (a repeat is ``duplicate-doc``); a row
  without 合同编号, 签订日期 or 合同金额 is not a contract (its ``missing-value`` says so).
* A sales line's amount is the ledger's (金额, else 数量 × 单价), signed by its 数量, so a return
  lowers the executed amount (spec: "returns included, so it can fall").  A line whose 合同编号
  names no contract, or another customer's, still counts for that contract number when the
  contract exists (the validator reports ``contract-mismatch``; the figures follow the user's
  typed link rather than silently dropping sales).
* 业务员 blank = the customer's (spec); a customer not on 客户档案 leaves it blank.
* ``status`` in the JSON is ``active``/``completed``/``terminated`` (状态 执行中/已完成/已终止,
  blank = 执行中), like classify's English status codes.
* Statistics: 省份 is the card's normalised province (``未填省份`` when none), level the
  customer's level as of D (C for a customer not on 客户档案).

Everything is vectorised over the columns: the scale book has 100,000 contracts and a million
sales lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pandas as pd

from salesxl.core import ledger
from salesxl.core.classification import classify_levels_statuses
from salesxl.core.findings import Code, Finding
from salesxl.core.identifiers import card_provinces
from salesxl.core.money import fen_to_str
from salesxl.core.tables import ROW, Book, Table

__all__ = [
    "CONTRACT_SHEETS",
    "FLAG_NAMES",
    "STATUS_CODES",
    "ContractReport",
    "contract_findings",
    "contract_report",
    "contract_statistics",
    "executed_amounts",
    "sales_contract_findings",
]

#: The sheets ``salesxl contracts`` reads.
CONTRACT_SHEETS = ("客户档案", "销售", "合同", "参数")
#: 状态 → the JSON's status code.
STATUS_CODES = {"执行中": "active", "已完成": "completed", "已终止": "terminated"}
#: Flag → its Chinese label in the workbook.
FLAG_NAMES = {"expiring": "即将到期", "overdue": "已逾期", None: ""}
NO_PROVINCE = "未填省份"
_EPOCH = np.datetime64("1970-01-01", "D")


def _text_values(s: pd.Series) -> np.ndarray:
    """A text column as an object array with None for blank."""
    return np.asarray(s.astype(object).where(s.notna(), None), dtype=object)


def _day_numbers(s: pd.Series) -> np.ndarray:
    """Dates → day numbers since 1970-01-01, −1 for blank (no date is before 1970 here)."""
    values = np.asarray(pd.to_datetime(s), dtype="datetime64[s]")
    ok = ~np.isnat(values)
    return np.where(ok, values.astype("datetime64[D]").astype(np.int64), np.iinfo(np.int64).min)


def _day(d: date) -> int:
    return int((np.datetime64(d, "D") - _EPOCH).astype(np.int64))


def executed_amounts(sales: pd.DataFrame, as_of: date) -> pd.Series:
    """Σ signed amount (fen) of the 销售 lines per 合同编号, dated on or before ``as_of``.

    The same amount and sign as the ledger (:func:`salesxl.core.ledger.sale_directions`), so a
    return lowers what was executed.
    """
    if "合同编号" not in sales.columns or len(sales) == 0:
        return pd.Series(dtype=np.int64)
    linked = sales["合同编号"].notna().to_numpy()
    if not linked.any():
        return pd.Series(dtype=np.int64)
    part = sales.loc[linked]
    amount, has, sign = ledger.sale_directions(part)
    day = _day_numbers(part["日期"])
    use = has & (day <= _day(as_of)) & (day != np.iinfo(np.int64).min)
    value = (sign * np.abs(amount))[use]
    keys = part["合同编号"].to_numpy(dtype=object)[use]
    return pd.Series(value, dtype=np.int64).groupby(pd.Series(keys, dtype=object), sort=False).sum()


def _first_contracts(frame: pd.DataFrame) -> pd.DataFrame:
    """The contracts: the first row of each 合同编号 with a 签订日期 and a 合同金额."""
    if not frame[ROW].is_monotonic_increasing:
        frame = frame.sort_values(ROW, kind="stable")
    frame = frame[frame["合同编号"].notna()].drop_duplicates("合同编号", keep="first")
    return frame[frame["签订日期"].notna() & frame["合同金额"].notna()].reset_index(drop=True)


@dataclass
class ContractReport:
    """Every contract signed on or before ``as_of`` with its execution (money int64 fen).

    ``contracts`` columns: contract_no, customer_id, customer_name, salesperson, signed, start,
    end, amount, executed, remaining, execution_rate (float, 4 decimals; None for a zero
    amount), status (active/completed/terminated), flag (expiring/overdue/None), province,
    level, sheet_row.
    """

    as_of: date
    contracts: pd.DataFrame
    notice_days: int
    findings: list[Finding] = field(default_factory=list)
    path: str | None = None
    written: Any = None
    """Where the workbook was written, when it was."""

    def counts(self) -> dict[str, int]:
        """How many contracts are expiring, overdue and over-executed (the human summary)."""
        c = self.contracts
        return {
            "contracts": len(c),
            "expiring": int((c["flag"] == "expiring").sum()),
            "overdue": int((c["flag"] == "overdue").sum()),
            "over": int((c["remaining"].to_numpy(dtype=np.int64) < 0).sum()),
        }

    def to_json(self) -> dict[str, Any]:
        """The spec §5 ``contracts`` document."""
        c = self.contracts
        amount = c["amount"].to_numpy(dtype=np.int64).tolist()
        executed = c["executed"].to_numpy(dtype=np.int64).tolist()
        remaining = c["remaining"].to_numpy(dtype=np.int64).tolist()
        rows = []
        for i, (no, cust, sp, rate, status, flag) in enumerate(zip(
                c["contract_no"].tolist(), c["customer_id"].tolist(), c["salesperson"].tolist(),
                c["execution_rate"].tolist(), c["status"].tolist(), c["flag"].tolist(), strict=True)):
            rows.append({
                "contract_no": _plain(no), "customer_id": _plain(cust), "salesperson": _plain(sp),
                "amount": fen_to_str(amount[i]), "executed": fen_to_str(executed[i]),
                "remaining": fen_to_str(remaining[i]),
                "execution_rate": None if rate is None or rate != rate else rate,
                "status": status, "flag": _plain(flag),
            })
        return {"as_of": self.as_of.isoformat(), "contracts": rows}


def _plain(v: Any) -> Any:
    """None for pandas' blanks (NaN, NA), the value otherwise: JSON has no NaN."""
    return None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else v


def _rate4(num: np.ndarray, den: np.ndarray) -> list[float | None]:
    """num / den rounded half-up to 4 decimals from the exact integers (None for den 0)."""
    q = Decimal("0.0001")
    return [None if d == 0 else float((Decimal(int(n)) / Decimal(int(d))).quantize(q, rounding=ROUND_HALF_UP))
            for n, d in zip(num.tolist(), den.tolist(), strict=True)]


def contract_report(book: Book, as_of: date, *, levels: pd.Series | None = None) -> ContractReport:
    """Each contract's execution as of ``as_of`` (spec §3 "Contracts").

    ``levels``: customer_id → level (A/B/C) as of D, for the statistics; when not given they
    are computed here (:func:`salesxl.core.classification.classify_levels_statuses`).
    """
    notice = int(book.settings.contract_notice_days)
    frame = _first_contracts(ledger.frame(book, "合同"))
    cut = _day(as_of)
    signed = _day_numbers(frame["签订日期"])
    frame = frame[signed <= cut].reset_index(drop=True)
    signed = signed[signed <= cut]
    executed_by = executed_amounts(ledger.frame(book, "销售"), as_of)
    nos = frame["合同编号"].to_numpy(dtype=object)
    executed = executed_by.reindex(pd.Index(nos, dtype=object)).fillna(0).to_numpy(dtype=np.int64)
    amount = frame["合同金额"].to_numpy(dtype=np.int64)
    remaining = amount - executed

    cards = ledger.frame(book, "客户档案")
    if not cards[ROW].is_monotonic_increasing:
        cards = cards.sort_values(ROW, kind="stable")
    cards = cards[cards["客户编号"].notna()].drop_duplicates("客户编号").reset_index(drop=True)
    provinces, _ = card_provinces(cards)
    by_id = pd.DataFrame({
        "name": _text_values(cards["客户名称"]),
        "salesperson": _text_values(cards["业务员"]),
        "province": _text_values(provinces.reset_index(drop=True)),
    }, index=pd.Index(cards["客户编号"].astype(object).to_numpy(), dtype=object))
    cust = frame["客户编号"].to_numpy(dtype=object)
    info = by_id.reindex(pd.Index(cust, dtype=object))
    salesperson = _text_values(frame["业务员"])
    fallback = info["salesperson"].to_numpy(dtype=object)
    salesperson = np.where(pd.isna(salesperson), fallback, salesperson)
    salesperson = np.asarray([None if pd.isna(v) else v for v in salesperson.tolist()], dtype=object)
    province = info["province"].to_numpy(dtype=object)
    province = np.where(pd.isna(province), NO_PROVINCE, province)

    status_zh = frame["状态"].astype(object).where(frame["状态"].notna(), "执行中").to_numpy(dtype=object)
    status = np.asarray([STATUS_CODES.get(s, "active") for s in status_zh.tolist()], dtype=object)
    end = _day_numbers(frame["结束日期"])
    has_end = end != np.iinfo(np.int64).min
    owing = (status == "active") & (remaining > 0) & has_end
    flag = np.full(len(frame), None, dtype=object)
    flag[owing & (end >= cut) & (end <= cut + notice)] = "expiring"
    flag[owing & (end < cut)] = "overdue"

    if levels is None:
        ls = classify_levels_statuses(book, as_of)
        levels = pd.Series(ls["level"].to_numpy(dtype=object), index=ls["customer_id"].astype(object).to_numpy())
    level = levels.reindex(pd.Index(cust, dtype=object)).to_numpy(dtype=object)
    level = np.where(pd.isna(level), "C", level)

    def dates(days: np.ndarray) -> np.ndarray:
        ok = days != np.iinfo(np.int64).min
        out = (np.where(ok, days, 0).astype("timedelta64[D]") + _EPOCH).astype("datetime64[s]")
        out[~ok] = np.datetime64("NaT")
        return out

    contracts = pd.DataFrame({
        "contract_no": nos,
        "customer_id": cust,
        "customer_name": info["name"].to_numpy(dtype=object),
        "salesperson": pd.Series(salesperson, dtype=object),
        "signed": dates(signed),
        "start": dates(_day_numbers(frame["开始日期"])),
        "end": dates(end),
        "amount": amount,
        "executed": executed,
        "remaining": remaining,
        "execution_rate": pd.Series(_rate4(executed, amount), dtype=object),
        "status": status,
        "status_zh": status_zh,
        "flag": pd.Series(flag, dtype=object),
        "province": province,
        "level": level,
        "sheet_row": frame[ROW].to_numpy(dtype=np.int64),
    })
    contracts["customer_name"] = [None if pd.isna(v) else v for v in contracts["customer_name"].tolist()]
    return ContractReport(as_of=as_of, contracts=contracts, notice_days=notice, path=book.path)


def contract_statistics(contracts: pd.DataFrame, first: date, last: date) -> dict[str, pd.DataFrame]:
    """Contracts signed between ``first`` and ``last`` (inclusive), counted and added up by
    month, salesperson, 省份 and customer level: each frame has key, count, amount (fen),
    sorted by amount descending (months in calendar order)."""
    signed = contracts["signed"]
    use = ((signed >= pd.Timestamp(first)) & (signed <= pd.Timestamp(last))).to_numpy()
    part = contracts.loc[use]
    month = part["signed"].dt.strftime("%Y-%m")
    out: dict[str, pd.DataFrame] = {}
    for key, values in (("month", month), ("salesperson", part["salesperson"]),
                        ("province", part["province"]), ("level", part["level"])):
        keys = pd.Series(values.to_numpy(dtype=object), dtype=object).fillna("（未指定）")
        g = pd.DataFrame({"key": keys, "amount": part["amount"].to_numpy(dtype=np.int64)}).groupby("key", sort=True)
        table = pd.DataFrame({"count": g.size(), "amount": g["amount"].sum()}).reset_index()
        if key == "month":
            months = pd.period_range(pd.Timestamp(first), pd.Timestamp(last), freq="M").strftime("%Y-%m")
            table = (table.set_index("key").reindex(pd.Index(list(months), name="key"), fill_value=0)
                     .reset_index())
        elif key == "level":
            table = table.set_index("key").reindex(pd.Index(["A", "B", "C"], name="key"), fill_value=0).reset_index()
        else:
            table = table.sort_values(["amount", "key"], ascending=[False, True], kind="stable")
        table["count"] = table["count"].astype(np.int64)
        table["amount"] = table["amount"].astype(np.int64)
        out[key] = table.reset_index(drop=True)
    return out


# ---------------------------------------------------------------------------------------------
# Validation (called from salesxl.core.validation)


def _finding(t: Table, i: Any, name: str, code: Code, value: str | None, params: dict[str, Any]) -> Finding:
    return Finding(sheet=t.sheet, row=int(t.frame[ROW].iloc[i]), column=t.letter(name), field=name,
                   value=value, code=code, params=params)


def contract_findings(t: Table, tables: dict[str, Table], as_of: date) -> list[Finding]:
    """``over-contract`` (warning, on 合同金额): a contract executed beyond its amount as of the
    validation date.  The sheet's other rules (``duplicate-doc``, ``unknown-customer``,
    ``out-of-range``, ``date-order``) are the validator's generic ones."""
    if not t.has("合同金额") or not t.has("合同编号"):
        return []
    sales = tables.get("销售")
    if sales is None or not sales.has("合同编号"):
        return []
    frame = t.frame
    executed_by = executed_amounts(sales.frame, as_of)
    if executed_by.empty:
        return []
    first = ~frame["合同编号"].duplicated(keep="first").to_numpy() & frame["合同编号"].notna().to_numpy()
    amount = frame["合同金额"].to_numpy(dtype=np.float64, na_value=np.nan)
    nos = frame["合同编号"].to_numpy(dtype=object)
    executed = executed_by.reindex(pd.Index(nos, dtype=object)).to_numpy(dtype=np.float64, na_value=np.nan)
    over = first & ~np.isnan(amount) & ~np.isnan(executed) & (executed > amount)
    return [
        _finding(t, i, "合同金额", Code.OVER_CONTRACT, fen_to_str(int(amount[i])),
                 {"contract": nos[i], "executed": fen_to_str(int(executed[i]))})
        for i in np.flatnonzero(over)
    ]


def sales_contract_findings(t: Table, contracts: Table | None) -> list[Finding]:
    """``unknown-contract`` and ``contract-mismatch`` on 销售.合同编号 (spec §2 销售)."""
    if not t.has("合同编号"):
        return []
    nos = t.frame["合同编号"]
    filled = nos.notna().to_numpy()
    if not filled.any():
        return []
    owner: pd.Series
    if contracts is None or not contracts.has("合同编号"):
        owner = pd.Series(dtype=object)
    else:
        cf = contracts.frame
        if not cf[ROW].is_monotonic_increasing:
            cf = cf.sort_values(ROW, kind="stable")
        cf = cf[cf["合同编号"].notna()].drop_duplicates("合同编号")
        owner = pd.Series(cf["客户编号"].astype(object).where(cf["客户编号"].notna(), None).to_numpy(dtype=object),
                          index=pd.Index(cf["合同编号"].astype(object).to_numpy(), dtype=object), dtype=object)
    values = nos.to_numpy(dtype=object)
    known = np.asarray(pd.Index(owner.index, dtype=object).get_indexer(values) >= 0) if len(owner) else np.zeros(len(values), bool)
    out: list[Finding] = []
    for i in np.flatnonzero(filled & ~known):
        out.append(_finding(t, i, "合同编号", Code.UNKNOWN_CONTRACT, str(values[i]), {}))
    if len(owner):
        owners = owner.reindex(pd.Index(values, dtype=object)).to_numpy(dtype=object)
        o = pd.Series(owners, dtype=object)
        c = t.frame["客户编号"].astype(object).reset_index(drop=True)
        mismatch = (filled & known & o.notna().to_numpy() & c.notna().to_numpy()
                    & (o.fillna("").astype(str) != c.fillna("").astype(str)).to_numpy())
        for i in np.flatnonzero(mismatch):
            out.append(_finding(t, i, "合同编号", Code.CONTRACT_MISMATCH, str(values[i]),
                                {"owner": owners[i], "customer": c.iloc[i]}))
    return out


def due_window(as_of: date, days: int) -> tuple[date, date]:
    """The days a contract ending in is ``expiring``: D … D + 合同到期提醒天数."""
    return as_of, as_of + timedelta(days=days)
