"""客户业务报告 · one customer's dossier (issue 19, item 4): every figure the report prints.

A :class:`Dossier` gathers, for one customer as of D, what the archive and the ledgers know:

* the card's four content groups (:data:`salesxl.core.schema.CARD_GROUPS`), its 信息来源 and
  更新日期;
* level, status, credit grade and the terms the grade suggests (:mod:`salesxl.core.classification`);
* net sales of the 12 calendar months up to D's month, by month, and by product over the level's
  window (after D − 12 months, on or before D) — a line's amount is the ledger's (金额, else
  数量 × 单价; a return negative: :func:`salesxl.core.ledger.sale_directions`);
* the ledger's balance line (receivable, prepaid, overdue, aging, available credit, action) and
  the open items (:func:`salesxl.core.ledger.offset`);
* payment behaviour and the collections expected in the next 3 months
  (:mod:`salesxl.core.forecast`);
* the visits (拜访 rows with its 客户编号, newest first) and their next steps;
* contracts signed on or before D with their execution and flag, per spec §3 "Contracts"
  (:func:`salesxl.core.contracts.contract_report`, issue 18);
* the card's completeness and the columns it lacks (:func:`salesxl.core.cards.card_completeness`).

:class:`DossierBuilder` computes the book-wide parts once (ledger, classification, forecast,
row groups per customer), so ``--all`` builds each customer's dossier by slicing.  Pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from salesxl.core import ledger
from salesxl.core.cards import card_completeness
from salesxl.core.classification import classify
from salesxl.core.contracts import contract_report
from salesxl.core.forecast import forecast
from salesxl.core.schema import CARD_GROUPS, SHEETS, FieldType
from salesxl.core.tables import ROW, Book

__all__ = ["CARD_EXTRA", "REPORT_SHEETS", "Dossier", "DossierBuilder", "ReportFiles"]

#: What the report reads.
REPORT_SHEETS = ("客户档案", "销售", "收款", "拜访", "合同", "业务员", "信用政策", "参数")
#: The card's columns shown beside the four groups.
CARD_EXTRA = ("信息来源", "更新日期")
#: Visits shown (newest first).
VISITS_SHOWN = 10
_EPOCH = np.datetime64("1970-01-01", "D")


@dataclass
class Dossier:
    """One customer's report figures as of ``as_of`` (money int64 fen).

    ``card``: group → [(column, value, kind)] with kind ``text``/``amount``/``date``/``integer``
    (value None when blank).  ``classes``: level, status, credit_grade, net_sales, suggested_limit,
    suggested_terms, prepayment, credit_limit, terms_days.  ``months``: month (first day), amount —
    12 rows.  ``products``: product, qty, amount (largest first).  ``balance``: the ledger's line
    (receivable, prepaid, overdue, net, available_credit, credit_limit, action, max_overdue_days)
    and ``aging`` [(label, fen)]; ``open_items``: per document, doc_no, date, due_date, open, overdue_days.
    ``behaviour``: paid, avg_days_late, shift, basis, company_days; ``expected``: period, amount
    (the next 3 months).  ``visits``: date, salesperson, method, notes, next_step.
    ``contracts``: contract_no, signed, amount, start, end, status, executed, remaining, rate,
    flag (expiring / overdue / None).  ``completeness``: completeness (0–1), missing (group →
    blank columns), stale — None for an id not on file.
    """

    as_of: date
    customer_id: str
    name: str | None
    salesperson: str | None
    known: bool
    card: dict[str, list[tuple[str, Any, str]]]
    classes: dict[str, Any]
    months: pd.DataFrame
    products: pd.DataFrame
    balance: dict[str, Any]
    aging: list[tuple[str, int]]
    open_items: pd.DataFrame
    behaviour: dict[str, Any]
    expected: pd.DataFrame
    visits: pd.DataFrame
    visit_count: int
    contracts: pd.DataFrame
    company: str = ""
    completeness: dict[str, Any] | None = field(default=None)


def _kind(column: str) -> str:
    t = SHEETS["客户档案"].field(column).type
    return {FieldType.AMOUNT: "amount", FieldType.DATE: "date", FieldType.INTEGER: "integer"}.get(t, "text")


def _value(v: Any) -> Any:
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, str):
        return v if v.strip() else None
    if isinstance(v, np.generic):
        return v.item()
    return v


class ReportFiles(list[Path]):
    """The report files written, with the reader's ``findings`` (for the CLI's exit status)."""

    findings: list[Any]

    def __init__(self, paths: list[Path] | None = None, findings: list[Any] | None = None) -> None:
        super().__init__(paths or [])
        self.findings = list(findings or [])


class DossierBuilder:
    """The book-wide work behind every customer's dossier, done once."""

    def __init__(self, book: Book, *, as_of: date) -> None:
        self.book, self.as_of = book, as_of
        self.ledger = ledger.offset(book, as_of=as_of)
        self.classes = classify(book, as_of=as_of, ledger_result=self.ledger, plan_routes=False)
        self.forecast = forecast(book, as_of=as_of)
        self.company = book.settings.company_name or ""
        cards = ledger.frame(book, "客户档案")
        self.cards = cards.sort_values(ROW, kind="stable").drop_duplicates("客户编号")
        self.cards = self.cards[self.cards["客户编号"].notna()].set_index("客户编号", drop=False)
        sales = ledger.frame(book, "销售")
        fen, has, sign = ledger.sale_directions(sales)
        day = sales["日期"].to_numpy(dtype="datetime64[s]")
        ok = (~np.isnat(day)) & (day <= np.datetime64(as_of, "s")) & has & sales["客户编号"].notna().to_numpy()
        self.sales = pd.DataFrame({
            "customer_id": sales["客户编号"].astype(object).to_numpy()[ok],
            "date": day[ok],
            "product": sales["产品"].astype(object).fillna("未填产品").to_numpy()[ok],
            "qty": (sales["数量"].to_numpy(dtype=np.float64, na_value=np.nan))[ok],
            "amount": (sign * np.abs(fen))[ok],
        })
        self.sales_of = self.sales.groupby("customer_id", sort=False).indices
        visits = ledger.frame(book, "拜访")
        self.visits = visits[visits["客户编号"].notna()]
        self.visits_of = self.visits.groupby("客户编号", sort=False).indices
        c = self.classes.customers
        levels = pd.Series(c["level"].to_numpy(dtype=object), index=c["customer_id"].astype(object).to_numpy())
        k = contract_report(book, as_of, levels=levels).contracts
        self.contracts = pd.DataFrame({
            "customer_id": k["customer_id"], "contract_no": k["contract_no"], "signed": k["signed"],
            "amount": k["amount"], "start": k["start"], "end": k["end"], "status": k["status_zh"],
            "executed": k["executed"], "remaining": k["remaining"], "rate": k["execution_rate"], "flag": k["flag"],
        })
        cards_done = card_completeness(book, as_of=as_of).cards
        self.completeness = {str(r.customer_id): {"completeness": float(r.completeness), "missing": r.missing,
                                                  "stale": bool(r.stale)}
                             for r in cards_done.itertuples(index=False)}
        self.customers = [str(c) for c in self.classes.customers["customer_id"]]
        self._class_at = {cid: i for i, cid in enumerate(self.customers)}

    def customer_ids(self, *, on_file_only: bool = True) -> list[str]:
        """The customers a report can be written for (the cards', in sheet order, by default)."""
        c = self.classes.customers
        return [str(v) for v, k in zip(c["customer_id"], c["known"], strict=True) if k or not on_file_only]

    def dossier(self, customer_id: str) -> Dossier:
        """One customer's dossier; KeyError for an id the book does not know."""
        if customer_id not in self._class_at:
            raise KeyError(customer_id)
        as_of = self.as_of
        cls = self.classes.customers.iloc[self._class_at[customer_id]]
        known = bool(cls["known"])
        card_row = self.cards.loc[customer_id] if customer_id in self.cards.index else None
        card = {group: [(col, None if card_row is None else _value(card_row[col]), _kind(col)) for col in cols]
                for group, cols in CARD_GROUPS.items()}
        card["其他"] = [(col, None if card_row is None else _value(card_row[col]), _kind(col)) for col in CARD_EXTRA]
        grade = cls["credit_grade"]
        classes = {k: _value(cls.get(k)) for k in ("level", "status", "net_sales", "suggested_limit",
                                                   "suggested_terms", "prepayment", "credit_limit", "terms_days")}
        classes["credit_grade"] = None if grade is None or pd.isna(grade) else str(grade)

        rows = self.sales.iloc[self.sales_of.get(customer_id, np.zeros(0, dtype=np.int64))]
        month_now = np.datetime64(as_of, "M")
        months = np.arange(month_now - 11, month_now + 1)
        by_month = rows.groupby(rows["date"].to_numpy().astype("datetime64[M]"))["amount"].sum()
        month_frame = pd.DataFrame({
            "month": months.astype("datetime64[D]").astype("datetime64[s]"),
            "amount": np.array([int(by_month.get(m, 0)) for m in months], dtype=np.int64),
        })
        start = np.datetime64((pd.Timestamp(as_of) - pd.DateOffset(months=12)).date(), "s")
        window = rows[rows["date"] > start]
        products = (window.groupby("product", sort=False).agg(qty=("qty", "sum"), amount=("amount", "sum"))
                    .reset_index().sort_values(["amount", "product"], ascending=[False, True], kind="stable"))

        lc = self.ledger.customers
        line = lc[lc["customer_id"] == customer_id]
        rec = line.iloc[0] if len(line) else None
        labels = self.ledger.labels
        balance = {k: (0 if rec is None else _value(rec[k]))
                   for k in ("receivable", "prepaid", "overdue", "net", "available_credit", "credit_limit",
                             "max_overdue_days")}
        balance["action"] = ledger.ACTION_OK if rec is None else str(rec["action"])
        aging = [(lab, 0 if rec is None else int(rec[lab])) for lab in labels]
        oi = self.ledger.open_items
        mine = oi[oi["customer_id"] == customer_id]
        open_items = pd.DataFrame({
            "doc_no": mine["doc_no"].astype(object).to_numpy(), "date": mine["date"].to_numpy(),
            "due_date": mine["due_date"].to_numpy(), "open": mine["open"].to_numpy(),
            "overdue_days": mine["overdue_days"].to_numpy(),
        })
        # one row per document (a document spans several lines): its unpaid part
        open_items = (open_items.groupby(["doc_no", "date", "due_date"], sort=False, dropna=False)
                      .agg(open=("open", "sum"), overdue_days=("overdue_days", "max")).reset_index()
                      .sort_values(["overdue_days", "date"], ascending=[False, True], kind="stable")
                      .reset_index(drop=True))

        fc = self.forecast
        b = fc.behaviour
        brow = b[b["customer_id"] == customer_id]
        behaviour: dict[str, Any] = {"company_days": fc.company_days, "window_start": fc.window_start}
        if len(brow):
            r = brow.iloc[0]
            behaviour |= {"paid": int(r["paid"]), "avg_days_late": None if pd.isna(r["avg_days_late"])
                          else float(r["avg_days_late"]), "shift": int(r["shift"]), "basis": str(r["basis"])}
        else:
            behaviour |= {"paid": 0, "avg_days_late": None, "shift": 0, "basis": "none"}
        mc = fc.months.customers
        got = mc[mc["customer_id"] == customer_id].set_index("period")["amount"]
        expected = pd.DataFrame({"period": fc.months.table["period"],
                                 "amount": [int(got.get(p, 0)) for p in fc.months.table["period"]]})

        v = self.visits.iloc[self.visits_of.get(customer_id, np.zeros(0, dtype=np.int64))]
        v = v[v["日期"].to_numpy(dtype="datetime64[s]") <= np.datetime64(as_of, "s")]
        v = v.sort_values(["日期", ROW], ascending=[False, False], kind="stable")
        visits = pd.DataFrame({
            "date": v["日期"].to_numpy(), "salesperson": v["业务员"].astype(object).to_numpy(),
            "method": v["方式"].astype(object).to_numpy(), "notes": v["内容"].astype(object).to_numpy(),
            "next_step": v["下次计划"].astype(object).to_numpy(),
        }).head(VISITS_SHOWN)
        contracts = self.contracts[self.contracts["customer_id"] == customer_id].drop(columns="customer_id")
        contracts = contracts.sort_values("signed", ascending=False, kind="stable").reset_index(drop=True)
        name = _value(cls.get("customer_name"))
        return Dossier(
            as_of=as_of, customer_id=customer_id, name=name, salesperson=_value(cls.get("salesperson")), known=known,
            card=card, classes=classes, months=month_frame, products=products.reset_index(drop=True),
            balance=balance, aging=aging, open_items=open_items, behaviour=behaviour, expected=expected,
            visits=visits, visit_count=len(v), contracts=contracts, company=self.company,
            completeness=self.completeness.get(customer_id),
        )
