"""客户往来对账单 (customer statements) and 催款函 (dunning letters), printable workbooks.

:func:`write_statements` writes **one workbook per customer** (``对账单_<客户编号>.xlsx``) so each
can be mailed or printed on its own.  It holds a sheet ``对账单`` and, for a customer whose
action is ``催收`` or ``停止发货并催收``, a second sheet ``催款函``.

对账单: the company's name, customer name and ID, the period (``period_start`` to the as-of date;
default the first day of the as-of month), the opening balance (net of every item dated before
the period), each document in the period — date, doc no, 摘要, debit (sales, refunds), credit
(prepayments, payments, returns), running balance — the period totals and the closing balance
(= the ledger's net) in figures and in capitals (人民币大写, :mod:`salesxl.core.rmb`), the aging
summary of the open items, a reply deadline (对账确认回执: the as-of date + 参数 ``对账回复天数``,
default 10; no reply by then counts as agreement, the usual practice), our contact, phone and
address, and a confirmation line for the customer to sign (客户确认：签章 / 日期).  A document
spanning several sales lines is one row.

催款函: a formal letter dated the as-of date with the amount owed and the overdue amount, each in
figures with its 大写 beside it, the overdue documents (one row per 单号, however many sales lines
it has: 单号, 销售日期, 到期日, unpaid part, days overdue), a payment deadline (the letter's date +
参数 ``回款期限天数``, default 7 days), our bank account for the payment (户名, 开户行, 账号), a
contact with phone and our address, the hold on shipments when the action is ``停止发货并催收``,
and the company's sign-off.

The company's details come from 参数 (公司名称, 开户行, 账号, 户名, 联系人, 联系电话, 地址; 户名
defaults to 公司名称, the name a company account is held in).  A detail not filled in is a
visible blank line to complete by hand, never a failure; :func:`write_statements` returns which
were missing, for the command to say so.

Print setup of both sheets: A4 portrait, fit to one page wide, the table's header row repeated on
every page, margins, a header with the title and a footer ``第 N 页，共 M 页``.  Amounts are
numbers with ``#,##0.00``; dates are date cells.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

from salesxl.core import ledger
from salesxl.core.findings import Finding
from salesxl.core.ledger import ACTION_COLLECT, ACTION_STOP, LedgerResult
from salesxl.core.money import fen_to_decimal
from salesxl.core.rmb import rmb_upper
from salesxl.core.settings import COMPANY_DETAILS, Settings
from salesxl.core.tables import ROW, Book
from salesxl.errors import BadArguments
from salesxl.io import files

__all__ = ["DUNNING_ACTIONS", "Company", "Entry", "Statement", "Written", "build_statement",
           "overdue_documents", "write_statements"]

#: Actions that get a dunning letter.
DUNNING_ACTIONS = (ACTION_COLLECT, ACTION_STOP)
AMOUNT_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
_DEBIT_KINDS = {ledger.SALE, ledger.REFUND}
#: What a detail not filled in prints as: a line long enough to write on.
BLANK = "_" * 24


@dataclass(frozen=True)
class Company:
    """Our side of a letter: from 参数, blank where not filled in."""

    name: str = ""
    bank_name: str = ""
    bank_account: str = ""
    account_name: str = ""
    contact_person: str = ""
    contact_phone: str = ""
    company_address: str = ""

    @classmethod
    def from_settings(cls, settings: Settings, name: str | None = None) -> Company:
        """``name`` overrides 公司名称; 户名 defaults to the company's name (a company account is
        held in the company's registered name)."""
        company = settings.company_name if name is None else name
        return cls(company, settings.bank_name, settings.bank_account, settings.account_name or company,
                   settings.contact_person, settings.contact_phone, settings.company_address)

    def missing(self, *, lang: str = "zh") -> list[str]:
        """The 参数 names of the details left blank, in letter order."""
        fields = Settings.model_fields
        values = {"company_name": self.name, **{f: getattr(self, f) for f in COMPANY_DETAILS[1:]}}
        return [(fields[f].title if lang != "en" else f.replace("_", " ")) or f
                for f in COMPANY_DETAILS if not values[f]]


class Written(list[Path]):
    """The statement files written, with the company details the letters lacked (their 参数
    names; the letters carry a blank line for each) and the reader's ``findings`` (unreadable
    cells, missing sheets or columns; filled by :func:`salesxl.api.statements`), which the CLI
    reports as the other commands do."""

    missing: list[str]
    missing_en: list[str]
    findings: list[Finding]


def _or_blank(text: str) -> str:
    return text or BLANK


@dataclass
class Entry:
    """One document on a statement (fen)."""

    day: date
    doc_no: str
    summary: str
    debit: int
    credit: int
    balance: int


@dataclass
class Statement:
    """One customer's statement, all money in fen."""

    customer_id: str
    customer_name: str
    salesperson: str
    period_start: date
    as_of: date
    opening: int
    entries: list[Entry]
    closing: int
    aging: list[tuple[str, int]]
    receivable: int
    prepaid: int
    overdue: int
    action: str
    overdue_items: pd.DataFrame  # one row per document: doc_no, kind, date, due_date, open, overdue_days

    @property
    def debits(self) -> int:
        return sum(e.debit for e in self.entries)

    @property
    def credits(self) -> int:
        return sum(e.credit for e in self.entries)

    @property
    def dunning(self) -> bool:
        return self.action in DUNNING_ACTIONS


def _yuan(fen: int) -> str:
    return f"{fen_to_decimal(fen):,.2f}"


def _cn_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _items_frame(book: Book, as_of: date) -> tuple[pd.DataFrame, list[str]]:
    """Every ledger item of the book up to ``as_of`` (one row per line), with its 摘要."""
    inp = ledger.prepare(book, as_of)
    ids = inp.ids.to_pylist()
    docs = inp.docs.to_pylist()
    parts = []
    for items, debit in ((inp.debits, True), (inp.credits, False)):
        parts.append(pd.DataFrame({
            "cust": items.cust, "day": items.day, "doc": items.doc, "row": items.row,
            "kind": items.kind, "amount": items.amount, "debit": debit,
        }))
    frame = pd.concat(parts, ignore_index=True)
    frame["doc_no"] = [docs[d] if d >= 0 else "" for d in frame["doc"].to_numpy()]
    products: dict[int, str] = {}
    sales = book.table("销售")
    if sales is not None and "产品" in sales.frame:
        f = sales.frame
        products = {int(r): str(p) for r, p in zip(f[ROW].to_numpy(), f["产品"].tolist(), strict=True)
                    if p is not None and not pd.isna(p)}
    frame["product"] = [
        products.get(int(r), "") if k in (ledger.SALE, ledger.RETURN) else ""
        for r, k in zip(frame["row"].to_numpy(), frame["kind"].to_numpy(), strict=True)
    ]
    return frame, ids


def _summary(kind: int, products: list[str]) -> str:
    label = {ledger.SALE: "销售货款", ledger.RETURN: "销售退货", ledger.PREPAYMENT: "预收货款",
             ledger.PAYMENT: "收到货款", ledger.REFUND: "退还预收款"}[kind]
    names = list(dict.fromkeys(p for p in products if p))
    if names:
        label += "：" + "、".join(names[:2]) + ("等" if len(names) > 2 else "")
    return label


def build_statement(result: LedgerResult, items: pd.DataFrame, code: int, customer_id: str,
                    period_start: date) -> Statement:
    """The statement of one customer (``code`` its index in the ledger's sorted ids)."""
    cust = result.customer(customer_id)
    mine = items[items["cust"] == code]
    start_day = (np.datetime64(period_start, "D") - np.datetime64("1970-01-01", "D")).astype(np.int64)
    signed = np.where(mine["debit"].to_numpy(), mine["amount"].to_numpy(), -mine["amount"].to_numpy())
    before = mine["day"].to_numpy() < start_day
    opening = int(signed[before].sum())
    period = mine[~before]
    entries: list[Entry] = []
    balance = opening
    if len(period):
        grouped = period.groupby(["day", "doc_no", "kind", "debit"], sort=True, observed=True)
        keyed = sorted(grouped, key=lambda g: (g[0][0], g[0][1], int(g[1]["row"].min()), g[0][2]))
        for (day, doc_no, kind, debit), g in keyed:
            amount = int(g["amount"].sum())
            balance += amount if debit else -amount
            entries.append(Entry(
                (np.datetime64("1970-01-01", "D") + int(day)).astype(date), str(doc_no),
                _summary(int(kind), g["product"].tolist()),
                amount if debit else 0, 0 if debit else amount, balance,
            ))
    o = result.open_items
    late = overdue_documents(o[(o["customer_id"] == customer_id) & (o["overdue_days"] > 0)])
    return Statement(
        customer_id=customer_id,
        customer_name=str(cust["customer_name"]) if not pd.isna(cust["customer_name"]) else "",
        salesperson=str(cust["salesperson"]) if not pd.isna(cust["salesperson"]) else "",
        period_start=period_start, as_of=result.as_of, opening=opening, entries=entries,
        closing=balance, aging=[(label, int(cust[label])) for label in result.labels],
        receivable=int(cust["receivable"]), prepaid=int(cust["prepaid"]), overdue=int(cust["overdue"]),
        action=str(cust["action"]),
        overdue_items=late,
    )


def overdue_documents(open_items: pd.DataFrame) -> pd.DataFrame:
    """Open items (one per sales line) → one row per document (单号 and kind): the earliest
    date and due date, the unpaid parts summed, the most days overdue; by date, then 单号.

    A letter lists what the customer can find in its own books, the invoice or delivery note,
    not our sales lines.  An item without a 单号 stays a row of its own.
    """
    cols = ["doc_no", "kind", "date", "due_date", "open", "overdue_days"]
    if open_items.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    doc = open_items["doc_no"].astype(object).where(open_items["doc_no"].notna(), "").astype(str)
    frame = pd.DataFrame({
        "doc_no": doc.to_numpy(),
        "kind": open_items["kind"].astype(object).astype(str).to_numpy(),
        "key": np.where(doc.to_numpy() == "", ("\x00" + open_items["row"].astype(str)).to_numpy(), doc.to_numpy()),
        "date": open_items["date"].to_numpy(), "due_date": open_items["due_date"].to_numpy(),
        "open": open_items["open"].to_numpy(), "overdue_days": open_items["overdue_days"].to_numpy(),
    })
    grouped = frame.groupby(["key", "kind"], sort=False).agg(
        doc_no=("doc_no", "first"), date=("date", "min"), due_date=("due_date", "min"),
        open=("open", "sum"), overdue_days=("overdue_days", "max"),
    ).reset_index()
    return grouped.sort_values(["date", "doc_no", "kind"], kind="stable")[cols].reset_index(drop=True)


def _file_name(customer_id: str) -> str:
    safe = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", customer_id).strip(" .") or "客户"
    return f"对账单_{safe}.xlsx"


def write_statements(
    result: LedgerResult,
    out_dir: Path,
    *,
    book: Book,
    customer_ids: Iterable[str] | None = None,
    period_start: date | None = None,
    company: str | None = None,
    pay_within_days: int | None = None,
    reply_within_days: int | None = None,
    force: bool | None = None,
) -> Written:
    """Write one statement workbook per customer into ``out_dir``; returns the paths (a list,
    with ``missing``/``missing_en``: the company details 参数 left blank).

    ``book`` is the book the ledger was computed from (the statement lists every document, which
    the ledger's result alone does not hold).  ``customer_ids`` default: every customer with any
    item.  ``company`` default: 参数 ``公司名称`` of the book; the other details (开户行, 账号,
    户名, 联系人, 联系电话, 地址) and the deadlines (``回款期限天数``, ``对账回复天数``, unless
    given here) come from 参数 too.  Raises ``KeyError`` for an unknown customer id.  With
    ``force=False`` (the command line without ``--force``) a statement already in ``out_dir`` is
    refused (:func:`salesxl.io.files.replace_all`) before any is written; with ``True`` each is
    backed up and replaced; ``None`` (the Excel button, whose dated folder is its own) replaces
    them as it always did.
    """
    out_dir = Path(out_dir)
    created = not out_dir.exists()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise BadArguments(f"{out_dir} 是文件，不是文件夹", f"{out_dir} is a file, not a folder") from None
    except OSError as exc:
        raise files.write_error(exc, out_dir) from exc
    as_of = result.as_of
    period_start = period_start or as_of.replace(day=1)
    settings = book.settings
    us = Company.from_settings(settings, company)
    pay_days = settings.payment_days if pay_within_days is None else pay_within_days
    reply_days = settings.reply_days if reply_within_days is None else reply_within_days
    items, ids = _items_frame(book, as_of)
    codes = {cid: i for i, cid in enumerate(ids)}
    if customer_ids is None:
        wanted = [ids[c] for c in sorted(set(items["cust"].tolist()))]
    else:
        wanted = list(customer_ids)
    try:
        for cid in wanted:
            if cid not in codes:
                raise KeyError(cid)
        if force is not None:
            files.replace_all([out_dir / _file_name(cid) for cid in wanted], force=force)
    except BaseException:
        if created:
            with contextlib.suppress(OSError):
                out_dir.rmdir()  # the folder made for this run, still empty: leave no trace
        raise
    paths = Written()
    paths.missing, paths.missing_en, paths.findings = us.missing(), us.missing(lang="en"), []
    for cid in wanted:
        if cid not in codes:
            raise KeyError(cid)
        st = build_statement(result, items, codes[cid], cid, period_start)
        path = out_dir / _file_name(cid)
        try:
            _write_workbook(path, st, us, pay_days, reply_days)
        except BaseException:
            if created and not paths:
                with contextlib.suppress(OSError):
                    out_dir.rmdir()  # the folder made for this run, still empty: leave no trace
            raise
        paths.append(path)
    return paths


# --------------------------------------------------------------------------------------------
# XlsxWriter


class _Fmt:
    def __init__(self, wb: xlsxwriter.Workbook) -> None:
        font = {"font_name": "SimSun", "font_size": 10}
        self.company = wb.add_format({**font, "bold": True, "font_size": 16, "align": "center", "valign": "vcenter"})
        self.title = wb.add_format({**font, "bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
        self.label = wb.add_format({**font})
        self.bold = wb.add_format({**font, "bold": True})
        self.head = wb.add_format({**font, "bold": True, "border": 1, "align": "center", "valign": "vcenter",
                                   "bg_color": "#DDEBF7", "text_wrap": True})
        self.text = wb.add_format({**font, "border": 1, "valign": "vcenter"})
        self.wrap = wb.add_format({**font, "border": 1, "valign": "vcenter", "text_wrap": True})
        self.date = wb.add_format({**font, "border": 1, "num_format": DATE_FORMAT, "align": "center"})
        self.money = wb.add_format({**font, "border": 1, "num_format": AMOUNT_FORMAT})
        self.int = wb.add_format({**font, "border": 1, "align": "center"})
        self.sum_text = wb.add_format({**font, "border": 1, "bold": True, "valign": "vcenter"})
        self.sum_money = wb.add_format({**font, "border": 1, "bold": True, "num_format": AMOUNT_FORMAT})
        self.para = wb.add_format({**font, "font_size": 11, "text_wrap": True, "valign": "top"})
        self.right = wb.add_format({**font, "font_size": 11, "align": "right"})
        self.note = wb.add_format({**font, "font_size": 9, "text_wrap": True, "valign": "top", "italic": True})
        self.letterhead = wb.add_format({**font, "font_size": 9, "align": "center", "valign": "vcenter"})
        self.upper = wb.add_format({**font, "border": 1, "bold": True, "valign": "vcenter", "text_wrap": True})
        self.money_big = wb.add_format({**font, "border": 1, "bold": True, "num_format": "¥#,##0.00",
                                        "valign": "vcenter"})
        self.key = wb.add_format({**font, "font_size": 11, "bold": True, "align": "right"})
        self.value = wb.add_format({**font, "font_size": 11})


def _money(fen: int) -> float:
    # The nearest double to fen/100: what Excel itself stores for a typed 1234.56.
    return float(Decimal(int(fen)).scaleb(-2))


def _print_setup(ws: xlsxwriter.worksheet.Worksheet, title: str, repeat: int | None) -> None:
    ws.set_paper(9)  # A4
    ws.set_portrait()
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.6, right=0.6, top=0.8, bottom=0.8)
    ws.set_header(f"&R&8{title}", margin=0.3)
    ws.set_footer("&C&9第 &P 页，共 &N 页", margin=0.3)
    ws.center_horizontally()
    if repeat is not None:
        ws.repeat_rows(repeat)


def _write_workbook(path: Path, st: Statement, us: Company, pay_days: int, reply_days: int) -> None:
    """Build the statement in memory, then one atomic write: a full disk leaves no short file."""
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True})
    try:
        fmt = _Fmt(wb)
        _statement_sheet(wb.add_worksheet("对账单"), fmt, st, us, reply_days)
        if st.dunning:
            _dunning_sheet(wb.add_worksheet("催款函"), fmt, st, us, pay_days)
        wb.set_properties({"title": f"客户往来对账单 {st.customer_id}", "company": us.name, "author": "salesxl"})
    finally:
        wb.close()
    files.write_bytes(path, buffer.getvalue())


def _letterhead(us: Company) -> str:
    return f"地址：{_or_blank(us.company_address)}　电话：{_or_blank(us.contact_phone)}"


def _contact(us: Company) -> str:
    return f"联系人：{_or_blank(us.contact_person)}　联系电话：{_or_blank(us.contact_phone)}"


def _upper(fen: int) -> str:
    return "人民币" + rmb_upper(fen_to_decimal(fen))


def _title_block(
    ws: xlsxwriter.worksheet.Worksheet, fmt: _Fmt, us: Company, title: str, *, last_col: int, height: int
) -> int:
    """Company line (a blank line to fill in when 公司名称 is not set), our address and phone
    under it, and the document title across ``last_col`` columns; returns the first row after
    them and a blank spacer row."""
    ws.set_row(0, 26)
    ws.merge_range(0, 0, 0, last_col, _or_blank(us.name), fmt.company)
    ws.merge_range(1, 0, 1, last_col, _letterhead(us), fmt.letterhead)
    ws.set_row(2, height)
    ws.merge_range(2, 0, 2, last_col, title, fmt.title)
    return 4


def _text_rows(ws: xlsxwriter.worksheet.Worksheet, r: int, last_col: int, text: str, cell_format: object,
               *, per_line: int = 36, line_height: int = 16) -> int:
    """A paragraph merged across the sheet, tall enough for its wrapped lines; the next row."""
    ws.merge_range(r, 0, r, last_col, text, cell_format)
    ws.set_row(r, line_height * max(1, -(-len(text) // per_line)))
    return r + 1


def _statement_sheet(ws: xlsxwriter.worksheet.Worksheet, fmt: _Fmt, st: Statement, us: Company,
                     reply_days: int) -> None:
    ws.set_column(0, 0, 12)  # 日期
    ws.set_column(1, 1, 18)  # 单号
    ws.set_column(2, 2, 30)  # 摘要
    ws.set_column(3, 5, 15)  # 借方 贷方 余额
    r = _title_block(ws, fmt, us, "客户往来对账单", last_col=5, height=22)
    ws.write(r, 0, "客户名称：", fmt.bold)
    ws.merge_range(r, 1, r, 2, st.customer_name, fmt.label)
    ws.write(r, 3, "客户编号：", fmt.bold)
    ws.merge_range(r, 4, r, 5, st.customer_id, fmt.label)
    r += 1
    ws.write(r, 0, "对账期间：", fmt.bold)
    ws.merge_range(r, 1, r, 2, f"{st.period_start.isoformat()} 至 {st.as_of.isoformat()}", fmt.label)
    ws.write(r, 3, "单位：", fmt.bold)
    ws.merge_range(r, 4, r, 5, "人民币元", fmt.label)
    r += 2
    header = r
    for c, h in enumerate(("日期", "单号", "摘要", "借方（应收增加）", "贷方（收款/冲减）", "余额")):
        ws.write(r, c, h, fmt.head)
    ws.set_row(r, 28)
    r += 1
    ws.write(r, 0, "", fmt.text)
    ws.write(r, 1, "", fmt.text)
    ws.write(r, 2, "期初余额", fmt.sum_text)
    ws.write(r, 3, "", fmt.text)
    ws.write(r, 4, "", fmt.text)
    ws.write_number(r, 5, _money(st.opening), fmt.sum_money)
    r += 1
    for e in st.entries:
        ws.write_datetime(r, 0, pd.Timestamp(e.day).to_pydatetime(), fmt.date)
        ws.write_string(r, 1, e.doc_no, fmt.text)
        ws.write_string(r, 2, e.summary, fmt.wrap)
        if e.debit:
            ws.write_number(r, 3, _money(e.debit), fmt.money)
        else:
            ws.write_blank(r, 3, None, fmt.money)
        if e.credit:
            ws.write_number(r, 4, _money(e.credit), fmt.money)
        else:
            ws.write_blank(r, 4, None, fmt.money)
        ws.write_number(r, 5, _money(e.balance), fmt.money)
        r += 1
    ws.write(r, 0, "", fmt.text)
    ws.write(r, 1, "", fmt.text)
    ws.write(r, 2, "本期合计", fmt.sum_text)
    ws.write_number(r, 3, _money(st.debits), fmt.sum_money)
    ws.write_number(r, 4, _money(st.credits), fmt.sum_money)
    ws.write(r, 5, "", fmt.text)
    r += 1
    ws.write(r, 0, "", fmt.text)
    ws.write(r, 1, "", fmt.text)
    ws.write(r, 2, "期末余额", fmt.sum_text)
    ws.write(r, 3, "", fmt.text)
    ws.write(r, 4, "", fmt.text)
    ws.write_number(r, 5, _money(st.closing), fmt.sum_money)
    r += 1
    if st.closing > 0:
        side = "（贵公司尚欠我公司款项）"
    elif st.closing < 0:
        side = "（我公司预收贵公司款项）"
    else:
        side = ""
    ws.write(r, 0, "期末余额大写", fmt.sum_text)
    ws.merge_range(r, 1, r, 5, _upper(abs(st.closing)) + side, fmt.upper)
    ws.set_row(r, 20)
    r += 2

    ws.write(r, 0, "账龄分析（未付款项，按开票日期计）", fmt.bold)
    r += 1
    labels = [*(f"{label}天" for label, _ in st.aging), "逾期金额"]
    values = [*(fen for _, fen in st.aging), st.overdue]
    # two rows of up to six columns: label row then amount row
    for start in range(0, len(labels), 6):
        for c, label in enumerate(labels[start:start + 6]):
            ws.write(r, c, label, fmt.head)
        for c, fen in enumerate(values[start:start + 6]):
            ws.write_number(r + 1, c, _money(fen), fmt.money)
        r += 2
    r += 1
    reply_by = st.as_of + timedelta(days=reply_days)
    ws.merge_range(r, 0, r + 1, 5, (
        "说明：余额为正数表示贵公司尚欠我公司款项，为负数表示我公司预收贵公司款项。"
        "如有不符，请在下方注明不符事项并与我公司联系。"
        f"\n{_contact(us)}　地址：{_or_blank(us.company_address)}"
    ), fmt.note)
    ws.set_row(r, 16)
    ws.set_row(r + 1, 16)
    r += 3
    # 对账确认回执: the deadline is what makes silence an answer, so it stands out.
    ws.write(r, 0, f"对账确认回执：请于{_cn_date(reply_by)}前核对并签章回复（邮寄、传真或扫描件均可）；"
                   "逾期未回复视为无误。", fmt.bold)
    r += 2
    ws.write(r, 0, "核对结果：□ 相符　□ 不符（不符事项：______________________________）", fmt.label)
    r += 2
    ws.write(r, 0, f"{us.name or '我公司'}（盖章）", fmt.label)
    ws.write(r, 3, "客户确认：", fmt.bold)
    ws.write(r, 4, "（签章）", fmt.label)
    r += 2
    ws.write(r, 0, f"日期：{_cn_date(st.as_of)}", fmt.label)
    ws.write(r, 3, "日期：", fmt.bold)
    ws.write(r, 4, "　　年　　月　　日", fmt.label)
    _print_setup(ws, "客户往来对账单", header)
    ws.print_area(0, 0, r, 5)


def _dunning_sheet(ws: xlsxwriter.worksheet.Worksheet, fmt: _Fmt, st: Statement, us: Company,
                   pay_days: int) -> None:
    ws.set_column(0, 0, 20)  # 单号 / labels
    ws.set_column(1, 2, 13)  # 销售日期 到期日
    ws.set_column(3, 3, 16)  # 未付金额
    ws.set_column(4, 4, 12)  # 逾期天数
    last = 4
    deadline = st.as_of + timedelta(days=pay_days)
    r = _title_block(ws, fmt, us, "催  款  函", last_col=last, height=24)
    ws.merge_range(r, 0, r, last, f"致：{st.customer_name or st.customer_id}（客户编号 {st.customer_id}）", fmt.para)
    r += 1
    r = _text_rows(ws, r, last, "　　首先感谢贵公司长期以来对我公司的信任与支持。", fmt.para)
    r = _text_rows(ws, r, last, (
        f"　　经我公司财务核对，截至{_cn_date(st.as_of)}，贵公司尚欠我公司货款人民币{_yuan(st.receivable)}元，"
        f"其中已超过约定付款期限的款项合计人民币{_yuan(st.overdue)}元，明细如下："
    ), fmt.para)
    r += 1
    header = r
    for c, h in enumerate(("单号", "销售日期", "到期日", "未付金额（元）", "逾期天数")):
        ws.write(r, c, h, fmt.head)
    r += 1
    for row in st.overdue_items.itertuples(index=False):
        doc = str(row.doc_no) + ("（退还预收款）" if row.kind == ledger.KINDS[ledger.REFUND] else "")
        ws.write_string(r, 0, doc, fmt.text)
        ws.write_datetime(r, 1, pd.Timestamp(row.date).to_pydatetime(), fmt.date)
        ws.write_datetime(r, 2, pd.Timestamp(row.due_date).to_pydatetime(), fmt.date)
        ws.write_number(r, 3, _money(int(row.open)), fmt.money)
        ws.write_number(r, 4, int(row.overdue_days), fmt.int)
        r += 1
    ws.merge_range(r, 0, r, 2, "逾期合计", fmt.sum_text)
    ws.write_number(r, 3, _money(st.overdue), fmt.sum_money)
    ws.write(r, 4, "", fmt.text)
    r += 2
    # The sums in figures and, beside them, in capitals: what a bank or a court reads.
    for label, fen in (("逾期欠款（小写）", st.overdue), ("欠款总额（小写）", st.receivable)):
        ws.write(r, 0, label, fmt.sum_text)
        ws.write_number(r, 1, _money(fen), fmt.money_big)
        ws.merge_range(r, 2, r, last, f"大写：{_upper(fen)}", fmt.upper)
        ws.set_row(r, 30)
        r += 1
    r += 1
    r = _text_rows(ws, r, last, (
        f"　　请贵公司于{_cn_date(deadline)}前（本函日期后{pay_days}日内）将上述逾期款项"
        f"人民币{_yuan(st.overdue)}元（{_upper(st.overdue)}）汇入我公司以下账户："
    ), fmt.para)
    for label, value in (("户　名：", us.account_name), ("开户行：", us.bank_name), ("账　号：", us.bank_account)):
        ws.write(r, 0, label, fmt.key)
        ws.merge_range(r, 1, r, last, _or_blank(value), fmt.value)
        ws.set_row(r, 18)
        r += 1
    later = [
        "　　如贵公司已安排付款，请忽略本函，并将付款凭证发送给我公司，以便及时核销入账；"
        f"如对上述款项有异议，请于{_cn_date(deadline)}前与我公司联系核对。",
    ]
    if st.action == ACTION_STOP:
        later.append(
            "　　因贵公司部分款项逾期时间较长，根据双方约定，我公司自即日起暂停向贵公司发货，"
            "待逾期款项结清后即恢复正常供货。"
        )
    later.append("　　感谢贵公司的理解与配合，期待双方继续愉快合作。")
    later.append("　　特此函告。")
    for text in later:
        r = _text_rows(ws, r, last, text, fmt.para)
    r += 1
    ws.merge_range(r, 0, r, last, _contact(us) + (f"　业务员：{st.salesperson}" if st.salesperson else ""),
                   fmt.value)
    r += 1
    ws.merge_range(r, 0, r, last, f"地址：{_or_blank(us.company_address)}", fmt.value)
    r += 2
    ws.merge_range(r, 0, r, last, f"{_or_blank(us.name)}（盖章）", fmt.right)
    r += 1
    ws.merge_range(r, 0, r, last, _cn_date(st.as_of), fmt.right)
    _print_setup(ws, "催款函", header)
    ws.print_area(0, 0, r, last)
