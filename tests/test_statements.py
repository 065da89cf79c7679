"""客户往来对账单 and 催款函 for demo customers: figures, print setup, and a PDF through LibreOffice."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from salesxl import api
from salesxl.core.ledger import ACTION_COLLECT, ACTION_OK, ACTION_STOP, LedgerResult
from salesxl.demo import COMPANY_NAME, DEMO_END, build_demo
from salesxl.io.reading import read_book
from salesxl.io.statements import _items_frame as items_frame
from salesxl.io.statements import build_statement, write_statements


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def result(demo: Path) -> LedgerResult:
    return api.offset(demo, as_of=DEMO_END)


def pick(result: LedgerResult, action: str) -> str:
    """A customer with ``action`` and at least one document in the as-of month."""
    ids = result.customers.loc[result.customers["action"] == action, "customer_id"].tolist()
    assert ids, action
    return str(ids[0])


def amount(v: object) -> int:
    return round(float(v) * 100)  # type: ignore[arg-type]


def statement_figures(path: Path) -> tuple[int, list[tuple[int, int, int]], int, int, int]:
    """Opening, each (debit, credit, balance), totals and closing as read from the sheet."""
    ws = openpyxl.load_workbook(path)["对账单"]
    rows = list(ws.iter_rows(values_only=True))
    label = {r[2]: r for r in rows if isinstance(r[2], str) and r[2] in ("期初余额", "本期合计", "期末余额")}
    start = next(i for i, r in enumerate(rows) if r[2] == "期初余额")
    end = next(i for i, r in enumerate(rows) if r[2] == "本期合计")
    entries = []
    for r in rows[start + 1: end]:
        assert isinstance(r[0], datetime)
        entries.append((amount(r[3] or 0), amount(r[4] or 0), amount(r[5])))
    total = label["本期合计"]
    return amount(label["期初余额"][5]), entries, amount(total[3]), amount(total[4]), amount(label["期末余额"][5])


@pytest.mark.parametrize("action", [ACTION_STOP, ACTION_COLLECT, ACTION_OK])
def test_statement_figures_add_up(demo: Path, result: LedgerResult, tmp_path: Path, action: str) -> None:
    cid = pick(result, action)
    paths = api.statements(demo, as_of=DEMO_END, out_dir=tmp_path, customer_ids=[cid])
    assert [p.name for p in paths] == [f"对账单_{cid}.xlsx"]
    opening, entries, debits, credits, closing = statement_figures(paths[0])
    balance = opening
    for d, c, b in entries:
        balance += d - c
        assert b == balance
    assert debits == sum(e[0] for e in entries) and credits == sum(e[1] for e in entries)
    assert opening + debits - credits == closing == int(result.customer(cid)["net"])

    wb = openpyxl.load_workbook(paths[0])
    dunning = action in (ACTION_STOP, ACTION_COLLECT)
    assert wb.sheetnames == (["对账单", "催款函"] if dunning else ["对账单"])
    ws = wb["对账单"]
    texts = [v for row in ws.iter_rows(values_only=True) for v in row if isinstance(v, str)]
    assert COMPANY_NAME in texts and "客户往来对账单" in texts and cid in texts
    assert "客户确认：" in texts and "（签章）" in texts
    assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "portrait"
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0
    assert ws.print_title_rows and "&P" in ws.oddFooter.center.text
    if dunning:
        letter = wb["催款函"]
        body = "".join(v for row in letter.iter_rows(values_only=True) for v in row if isinstance(v, str))
        line = result.customer(cid)
        assert f"{line['overdue'] / 100:,.2f}" in body and "特此函告" in body and COMPANY_NAME in body
        assert ("暂停向贵公司发货" in body) == (action == ACTION_STOP)
        late = result.open_items[(result.open_items["customer_id"] == cid) & (result.open_items["overdue_days"] > 0)]
        docs = [r[0] for r in letter.iter_rows(values_only=True) if r[0] in set(late["doc_no"].astype(str))]
        assert len(docs) == len(late)
        assert letter.page_setup.paperSize == 9 and letter.print_title_rows


def test_opening_balance_and_period(demo: Path, result: LedgerResult) -> None:
    """Every customer: opening (before the period) + period movements = the ledger's net."""
    book = read_book(demo, sheets=api.OFFSET_SHEETS)
    items, ids = items_frame(book, DEMO_END)
    code = {cid: i for i, cid in enumerate(ids)}
    for start in (date(2026, 10, 1), date(2025, 1, 1), date(2030, 1, 1)):
        for cid in result.customers["customer_id"][:60]:
            st = build_statement(result, items, code[cid], cid, start)
            assert st.opening + st.debits - st.credits == st.closing == int(result.customer(cid)["net"])
            assert all(e.day >= start for e in st.entries)
            assert sum(f for _, f in st.aging) == int(result.customer(cid)["receivable"])


def test_all_customers_and_unknown_id(demo: Path, result: LedgerResult, tmp_path: Path) -> None:
    book = read_book(demo, sheets=api.OFFSET_SHEETS)
    paths = write_statements(result, tmp_path, book=book, company="测试公司")
    c = result.customers
    traded = c.loc[(c["debits"] > 0) | (c["credits"] > 0), "customer_id"].tolist()
    assert [p.name for p in paths] == [f"对账单_{cid}.xlsx" for cid in traded]
    assert all(p.stat().st_size > 0 for p in paths)
    with pytest.raises(KeyError):
        write_statements(result, tmp_path, book=book, customer_ids=["没有这个客户"])


needs_office = pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftoppm") is None,
    reason="LibreOffice (soffice) or pdftoppm is not installed",
)


@needs_office
def test_statement_and_dunning_letter_render_to_pdf(demo: Path, result: LedgerResult, tmp_path: Path) -> None:
    cid = pick(result, ACTION_STOP)
    [xlsx] = api.statements(demo, as_of=DEMO_END, out_dir=tmp_path, customer_ids=[cid])
    pdf_dir = tmp_path / "pdf"
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}", "--headless",
         "--convert-to", "pdf", "--outdir", str(pdf_dir), str(xlsx)],
        check=True, capture_output=True, timeout=180,
    )
    pdf = pdf_dir / (xlsx.stem + ".pdf")
    assert pdf.stat().st_size > 1000
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=False).stdout
    if info:
        pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
        assert pages >= 2  # the statement and the letter
    subprocess.run(["pdftoppm", "-r", "70", "-png", "-f", "1", "-l", "2", str(pdf), str(tmp_path / "page")],
                   check=True, capture_output=True, timeout=120)
    pngs = sorted(tmp_path.glob("page*.png"))
    assert len(pngs) == 2 and all(p.stat().st_size > 5000 for p in pngs)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=False).stdout
    if text:
        assert "客户往来对账单" in text and "催" in text and cid in text
