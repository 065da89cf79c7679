"""客户往来对账单 and 催款函 for demo customers: figures, print setup, and a PDF through LibreOffice."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from salesxl import api
from salesxl.core.ledger import ACTION_COLLECT, ACTION_OK, ACTION_STOP, LedgerResult
from salesxl.core.validation import validate_book
from salesxl.demo import COMPANY_NAME, DEMO_END
from salesxl.io.reading import read_book
from salesxl.io.statements import (
    BLANK,
    DUNNING_ACTIONS,
    build_statement,
    overdue_documents,
    write_statements,
)
from salesxl.io.statements import _items_frame as items_frame


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, demo_factory: Callable[..., Path]) -> Path:
    return demo_factory(tmp_path_factory.mktemp("demo"))


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
        assert sorted(docs) == sorted(set(late["doc_no"].astype(str)))  # one row per document
        assert "销售日期" in body and "到期日" in body and "开户行" in body and BLANK not in body
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


def test_existing_statements_need_force(demo: Path, result: LedgerResult, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """``statement --out DIR`` refuses a folder already holding one of its files (exit 2, one
    line naming it, nothing written) unless ``--force``, which backs each up first."""
    from salesxl.cli import run

    cid = pick(result, ACTION_OK)
    base = ["statement", str(demo), "--as-of", DEMO_END.isoformat(), "--customer", cid, "--out", str(tmp_path)]
    assert run(base) != 2  # 1: the demo book has reading errors
    [first] = tmp_path.glob("*.xlsx")
    data = first.read_bytes()
    capsys.readouterr()
    assert run([*base, "--lang", "en"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and first.name in err and "--force" in err
    assert first.read_bytes() == data and len(list(tmp_path.iterdir())) == 1
    assert run([*base, "--force"]) != 2
    assert len(list(tmp_path.glob("*.备份-*.xlsx"))) == 1 and first.exists()


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
        assert pages == 2  # the statement and the letter, each on one A4 page
    subprocess.run(["pdftoppm", "-r", "70", "-png", "-f", "1", "-l", "2", str(pdf), str(tmp_path / "page")],
                   check=True, capture_output=True, timeout=120)
    pngs = sorted(tmp_path.glob("page*.png"))
    assert len(pngs) == 2 and all(p.stat().st_size > 5000 for p in pngs)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=False).stdout
    if text:
        assert "客户往来对账单" in text and "催" in text and cid in text
        assert "开户行" in text and "人民币" in text and "对账确认回执" in text


# --------------------------------------------------------------------------------------------
# A hand-computed book (as of 2026-10-31): the letter's cells, read back.

D = date
HAND_AS_OF = D(2026, 10, 31)


def write_book(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(list(r))
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, date):
                    cell.number_format = "yyyy-mm-dd"
    wb.save(path)
    return path


HAND: dict[str, list[list[Any]]] = {
    "客户档案": [
        ["客户编号", "客户名称", "客户性质", "业务员", "信用额度", "账期天数"],
        ["C1", "甲方商贸有限公司", "一般公司", "张三", 100000, 30],
    ],
    "销售": [
        ["日期", "单号", "客户编号", "产品", "规格", "数量", "单价", "金额"],
        # XS101: two lines, one document: 10,000.00 + 2,345.65, due 2026-09-04
        [D(2026, 8, 5), "XS101", "C1", "钢材", "Φ12", 10, 1000, 10000],
        [D(2026, 8, 5), "XS101", "C1", "水泥", None, 5, 469.13, 2345.65],
        [D(2026, 9, 10), "XS102", "C1", "钢材", "Φ16", 1, 1000, 1000],  # due 2026-10-10
        [D(2026, 10, 20), "XS103", "C1", "钢材", "Φ16", 1, 500, 500],  # due 2026-11-19: not late
    ],
    "收款": [
        ["日期", "单号", "客户编号", "金额", "类型", "方式"],
        [D(2026, 9, 1), "SK1", "C1", 999.98, "回款", "转账"],  # FIFO: off XS101's first line
    ],
    "参数": [
        ["名称", "值"],
        ["公司名称", "测试商贸（上海）有限公司"],
        ["开户行", "中国建设银行上海分行"],
        ["账号", "3100 1234 5678 9012 3456"],
        ["联系人", "李会计"],
        ["联系电话", None],  # not filled in: a blank line on the letter, no finding
        ["回款期限天数", 10],
        ["对账回复天数", 5],
    ],
}


@pytest.fixture(scope="module")
def hand_letter(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    folder = tmp_path_factory.mktemp("hand")
    book = write_book(folder / "book.xlsx", HAND)
    written = api.statements(book, as_of=HAND_AS_OF, out_dir=folder / "out")
    return book, written


def cells(ws: Any) -> list[tuple[Any, ...]]:
    return list(ws.iter_rows(values_only=True))


def test_hand_book_dunning_letter(hand_letter: tuple[Path, Any]) -> None:
    book, written = hand_letter
    assert [p.name for p in written] == ["对账单_C1.xlsx"]
    assert written.missing == ["联系电话", "地址"] and written.missing_en == ["contact phone", "company address"]
    result = api.offset(book, as_of=HAND_AS_OF)
    assert result.customer("C1")["action"] in DUNNING_ACTIONS
    rows = cells(openpyxl.load_workbook(written[0])["催款函"])
    texts = [v for r in rows for v in r if isinstance(v, str)]
    body = "".join(texts)
    head = next(i for i, r in enumerate(rows) if r[0] == "单号")
    assert rows[head][:5] == ("单号", "销售日期", "到期日", "未付金额（元）", "逾期天数")
    # one row per document: XS101's two lines are one row of 11,345.67 (12,345.65 − 999.98)
    assert rows[head + 1][:5] == ("XS101", datetime(2026, 8, 5), datetime(2026, 9, 4), 11345.67, 57)
    assert rows[head + 2][:5] == ("XS102", datetime(2026, 9, 10), datetime(2026, 10, 10), 1000, 21)
    assert rows[head + 3][0] == "逾期合计" and rows[head + 3][3] == 12345.67
    overdue = next(r for r in rows if r[0] == "逾期欠款（小写）")
    assert overdue[1] == 12345.67 and overdue[2] == "大写：人民币壹万贰仟叁佰肆拾伍元陆角柒分"
    total = next(r for r in rows if r[0] == "欠款总额（小写）")
    assert total[1] == 12845.67 and total[2] == "大写：人民币壹万贰仟捌佰肆拾伍元陆角柒分"
    # the deadline: the letter's date + 回款期限天数 (10)
    assert "请贵公司于2026年11月10日前（本函日期后10日内）" in body and "2026年10月31日" in texts
    account = {r[0]: r[1] for r in rows if r[0] in ("户　名：", "开户行：", "账　号：")}
    assert account == {"户　名：": "测试商贸（上海）有限公司",  # 户名 defaults to 公司名称, as typed
                       "开户行：": "中国建设银行上海分行", "账　号：": "3100 1234 5678 9012 3456"}
    assert f"联系人：李会计　联系电话：{BLANK}" in body and f"地址：{BLANK}" in body
    assert "致：甲方商贸有限公司（客户编号 C1）" in texts and "测试商贸（上海）有限公司（盖章）" in texts


def test_hand_book_statement_has_upper_closing_and_reply_deadline(hand_letter: tuple[Path, Any]) -> None:
    _, written = hand_letter
    rows = cells(openpyxl.load_workbook(written[0])["对账单"])
    body = "".join(v for r in rows for v in r if isinstance(v, str))
    closing = next(r for r in rows if r[2] == "期末余额")
    assert closing[5] == 12845.67
    upper = next(r for r in rows if r[0] == "期末余额大写")
    assert upper[1] == "人民币壹万贰仟捌佰肆拾伍元陆角柒分（贵公司尚欠我公司款项）"
    assert "对账确认回执：请于2026年11月5日前核对并签章回复（邮寄、传真或扫描件均可）；逾期未回复视为无误。" in body
    assert f"联系人：李会计　联系电话：{BLANK}" in body and f"地址：{BLANK}" in body
    assert rows[1][0] == f"地址：{BLANK}　电话：{BLANK}"  # the letterhead under the company's name


def test_blank_company_details_are_no_finding(hand_letter: tuple[Path, Any]) -> None:
    book, _ = hand_letter
    found = validate_book(read_book(book), as_of=HAND_AS_OF)
    assert [f for f in found if f.sheet == "参数"] == []


def test_statement_command_names_missing_details(hand_letter: tuple[Path, Any], tmp_path: Path) -> None:
    book, _ = hand_letter
    done = subprocess.run(
        [sys.executable, "-c", "from salesxl.cli import main; main()", "statement", str(book),
         "--as-of", "2026-10-31", "--out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "联系电话、地址" in done.stdout


def test_overdue_documents_groups_lines() -> None:
    import pandas as pd

    items = pd.DataFrame({
        "doc_no": pd.Categorical(["A", "A", None, None, "B"]),
        "kind": pd.Categorical(["销售"] * 5),
        "row": [2, 3, 4, 5, 6],
        "date": pd.to_datetime(["2026-01-02", "2026-01-02", "2026-01-01", "2026-01-01", "2025-12-01"]),
        "due_date": pd.to_datetime(["2026-02-01", "2026-02-01", "2026-01-31", "2026-01-31", "2025-12-31"]),
        "open": [100, 250, 7, 8, 1],
        "overdue_days": [10, 10, 11, 11, 42],
    })
    docs = overdue_documents(items)
    assert docs["doc_no"].tolist() == ["B", "", "", "A"]  # by date; no 单号: a row each
    assert docs["open"].tolist() == [1, 7, 8, 350]
    assert overdue_documents(items.iloc[:0]).empty


def test_demo_has_company_details(demo: Path, result: LedgerResult, tmp_path: Path) -> None:
    settings = read_book(demo, sheets=["参数"]).settings
    assert settings.company_name == COMPANY_NAME and settings.bank_name and settings.bank_account
    assert settings.contact_person and settings.contact_phone and settings.company_address
    assert settings.payment_days == 7
    written = api.statements(demo, as_of=DEMO_END, out_dir=tmp_path, customer_ids=[pick(result, ACTION_STOP)])
    assert written.missing == []
