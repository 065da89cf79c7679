"""Every workbook salesxl writes prints as an office expects (issue 14, items 1–3).

The demo company's workbooks — 校验结果, the ledger's sheets, the classification's, the 月报, a
salesperson template, a batch's feedback and report — are rendered to PDF by LibreOffice, as a
user printing them would, and each sheet's page count is held to a bound; every page of 往来余额
shows 客户编号 and 处理建议 together, and every page of a long sheet repeats its column headers.

Pages are told apart by their page header (each sheet prints its title there).  A written
workbook also holds the user's own sheets (销售 of thousands of rows): the copy converted keeps
only the sheets under test, the others emptied and hidden, so a conversion takes seconds.  One
soffice run converts every copy.  Skipped without LibreOffice or poppler.
"""

from __future__ import annotations

import posixpath
import re
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
import xlsxwriter
from lxml import etree

from salesxl import api
from salesxl.demo import DEMO_END
from salesxl.io.owned import MARK_PREFIX
from salesxl.io.results import Column, ResultSheet, write_result_sheets

needs_office = pytest.mark.skipif(
    not (shutil.which("soffice") and shutil.which("pdftotext") and shutil.which("pdfinfo")),
    reason="LibreOffice (soffice) and poppler (pdftotext) are needed to print",
)

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_EMPTY = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="{NS}"><sheetData/></worksheet>'.encode()


def only_sheets(src: Path, dst: Path, keep: set[str]) -> Path:
    """A copy of ``src`` printing only the ``keep`` sheets: the others hidden and emptied
    (their parts kept, so sheet indexes and defined names stay as written)."""
    with zipfile.ZipFile(src) as zin:
        wb = etree.fromstring(zin.read("xl/workbook.xml"))
        rels = etree.fromstring(zin.read("xl/_rels/workbook.xml.rels"))
        target = {r.get("Id"): posixpath.normpath(posixpath.join("xl", r.get("Target", ""))) for r in rels}
        blank: set[str] = set()
        first = None
        for i, sheet in enumerate(wb.iterfind(f"{{{NS}}}sheets/{{{NS}}}sheet")):
            if sheet.get("name") in keep:
                first = i if first is None else first
                sheet.attrib.pop("state", None)
            else:
                sheet.set("state", "hidden")
                blank.add(target[sheet.get(f"{{{NS_R}}}id")])
        assert first is not None, f"none of {keep} in {src.name}"
        for view in wb.iter(f"{{{NS}}}workbookView"):
            view.set("activeTab", str(first))
            view.set("firstSheet", str(first))
        with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                name = info.filename
                if name == "xl/workbook.xml":
                    zout.writestr(info, etree.tostring(wb, xml_declaration=True, encoding="UTF-8", standalone=True))
                elif name in blank:
                    zout.writestr(info, _EMPTY)
                elif name.startswith("xl/worksheets/_rels/") and posixpath.join(
                        "xl/worksheets", posixpath.basename(name)[: -len(".rels")]) in blank:
                    continue  # the emptied sheet's comments, drawings …: unreferenced now
                else:
                    zout.writestr(info, zin.read(info))
    return dst


def pages(pdf: Path) -> list[str]:
    """The text of each page (pdftotext separates pages by form feeds)."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    found = text.split("\f")
    if found and not found[-1].strip():
        found.pop()
    n = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True,
                                                          text=True).stdout).group(1))
    assert len(found) == n
    return found


def head(page: str) -> str:
    """The page header: the first line with text."""
    return next((line.strip() for line in page.splitlines() if line.strip()), "")


def of_sheet(all_pages: list[str], title: str) -> list[str]:
    """The pages whose header starts with ``title`` (the sheet's printed title)."""
    return [p for p in all_pages if head(p).replace(" ", "").startswith(title)]


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory, demo_factory: Callable[..., Path]) -> dict[str, list[str]]:
    """The demo company's workbooks, written by the real commands' API and printed to PDF:
    PDF stem → its pages' text."""
    root = tmp_path_factory.mktemp("printing")
    book = demo_factory(root / "demo")
    out = root / "out"
    out.mkdir()
    api.validate(book, as_of=DEMO_END, out=out / "checked.xlsx")
    api.offset_to_book(book, as_of=DEMO_END, out=out / "balances.xlsx")
    api.classify_to_book(book, as_of=DEMO_END, out=out / "classified.xlsx")
    api.summary(book, month="2026-10", out=out / "report.xlsx")
    template = api.salesperson_template(book, salesperson="李静", out=root / "inbox" / "李静.xlsx", as_of=DEMO_END)
    master = shutil.copyfile(book, root / "master.xlsx")
    batch = api.batch(template.parent, master=master, month="2026-10", out=root / "batch", workers=1,
                      as_of=date(2026, 11, 27), monthly=False)
    assert batch.report is not None and batch.feedback

    pdf = root / "pdf"
    pdf.mkdir()
    copies = [
        only_sheets(out / "checked.xlsx", pdf / "checked.xlsx", {"校验结果"}),
        only_sheets(out / "balances.xlsx", pdf / "balances.xlsx", {"往来余额", "账龄明细", "发货放行"}),
        only_sheets(out / "classified.xlsx", pdf / "classified.xlsx", {"路线", "信用建议", "信用政策"}),
        shutil.copyfile(out / "report.xlsx", pdf / "report.xlsx"),
        shutil.copyfile(template, pdf / "template.xlsx"),
        shutil.copyfile(batch.feedback[0], pdf / "feedback.xlsx"),
        shutil.copyfile(batch.report, pdf / "batch.xlsx"),
    ]
    subprocess.run(["soffice", "--headless", "--norestore", "--convert-to", "pdf", "--outdir", str(pdf),
                    *map(str, copies)], check=True, capture_output=True, timeout=300,
                   env={"HOME": str(root), "PATH": "/usr/bin:/bin:/usr/local/bin"})
    return {c.stem: pages(c.with_suffix(".pdf")) for c in copies}


@needs_office
def test_balances_fit_and_every_page_shows_id_with_action(printed: dict[str, list[str]]) -> None:
    bal = of_sheet(printed["balances"], "往来余额")
    assert 1 <= len(bal) <= 12  # 400 customers; 57 portrait pages before
    for page in bal:
        assert "客户编号" in page and "处理建议" in page  # one page wide, the header repeated
        assert "截至 2026-10-31" in head(page) and "第" in page and "页，共" in page
    aging = of_sheet(printed["balances"], "账龄明细")
    assert 1 <= len(aging) <= 20 and all("客户编号" in p and "逾期天数" in p for p in aging)
    release = of_sheet(printed["balances"], "发货放行")
    assert 1 <= len(release) <= 2 and all("客户编号" in p and "放行决定" in p for p in release)


@needs_office
def test_result_sheets_print_one_page_wide(printed: dict[str, list[str]]) -> None:
    checked = printed["checked"]
    assert checked and all(head(p).startswith("校验结果") and "说明" in p for p in checked)
    # as of the date it was checked for (--as-of), not the day it was run
    assert all(f"截至 {DEMO_END.isoformat()}" in head(p) for p in checked)
    assert len(checked) <= 10
    classified = printed["classified"]
    routes, grades, policy = (of_sheet(classified, t) for t in ("路线", "信用建议", "信用政策"))
    assert 1 <= len(routes) <= 14 and all("客户编号" in p and "路线全程" in p for p in routes)
    assert 1 <= len(grades) <= 12 and all("客户编号" in p and "提示" in p for p in grades)
    assert len(policy) == 1
    assert len(routes) + len(grades) + len(policy) == len(classified)


@needs_office
def test_template_prints_in_few_pages(printed: dict[str, list[str]]) -> None:
    tpl = printed["template"]
    cards = [p for p in tpl if "客户档案" in head(p)]
    assert 1 <= len(cards) <= 6 and all("客户编号" in p and "客户名称" in p for p in cards)  # 20 pages before
    assert len(tpl) <= 10
    assert any("填写说明" in head(p) for p in tpl) and any("拜访记录" in head(p) for p in tpl)


@needs_office
def test_report_continuation_pages_repeat_headers(printed: dict[str, list[str]]) -> None:
    report = printed["report"]
    assert len(report) <= 20  # 14, two for 回款预测 (issue 19), and the 价格分析 and 库存核对 sheets (issues 16, 17)
    wanted = {"产品构成": ("规格", "销售额"), "区域构成": ("城市", "销售额"), "信用分析": ("客户名称", "逾期金额")}
    for sheet, columns in wanted.items():
        mine = [p for p in report if head(p).endswith(sheet)]
        assert mine, sheet
        for page in mine[1:]:  # continuation pages show the table's column headers
            assert all(c in page for c in columns), (sheet, page[:300])
    assert any("万元" in p for p in report)  # chart axes in 万


@needs_office
def test_batch_workbooks_print(printed: dict[str, list[str]]) -> None:
    for stem in ("feedback", "batch"):
        got = printed[stem]
        assert 1 <= len(got) <= 8
        assert all("第" in p and "页，共" in p for p in got)


# --------------------------------------------------------------------------------------------
# The print setup in the package (no LibreOffice needed)


def _names(book: Path) -> tuple[list[str], list[tuple[str, str | None, str]]]:
    """The sheet names and the defined names (name, localSheetId, formula) of ``book``."""
    with zipfile.ZipFile(book) as z:
        wb = etree.fromstring(z.read("xl/workbook.xml"))
    sheets = [s.get("name", "") for s in wb.iterfind(f"{{{NS}}}sheets/{{{NS}}}sheet")]
    names = [(d.get("name", ""), d.get("localSheetId"), d.text or "")
             for d in wb.iterfind(f"{{{NS}}}definedNames/{{{NS}}}definedName")]
    return sheets, names


def test_print_titles_follow_replaced_sheets(tmp_path: Path) -> None:
    """A re-run replaces the result sheets' print titles (never two for one sheet: Excel would
    repair the file), keeps the user's own, and each names the sheet it is scoped to."""
    book = tmp_path / "book.xlsx"
    wb = xlsxwriter.Workbook(str(book))
    first, last = wb.add_worksheet("客户档案"), wb.add_worksheet("备注")
    first.write_row(0, 0, ["客户编号", "客户名称"])
    first.repeat_rows(0)
    last.write(0, 0, "x")
    last.repeat_rows(0, 1)
    wb.close()
    sheets = [ResultSheet("往来余额", [Column("客户编号"), Column("客户名称"), Column("应收余额", "amount")],
                          [["KH1", "甲", 100], ["KH2", "乙", 250]], title="往来余额　截至 2026-10-31　某公司"),
              ResultSheet("发货放行", [Column("日期", "date"), Column("客户编号"), Column("放行决定")],
                          [[date(2026, 10, 1), "KH1", "放行"]])]
    once, twice = tmp_path / "once.xlsx", tmp_path / "twice.xlsx"
    write_result_sheets(book, sheets, out=once)
    write_result_sheets(once, sheets, out=twice)
    for path in (once, twice):
        order, names = _names(path)
        assert order == ["客户档案", "备注", "往来余额", "发货放行"]
        titles = [(local, f) for n, local, f in names if n == "_xlnm.Print_Titles"]
        assert len({local for local, _ in titles}) == len(titles) == 4
        expected = {"客户档案": "客户档案!$1:$1", "备注": "备注!$1:$2",
                    "往来余额": "'往来余额'!$A:$B,'往来余额'!$1:$1", "发货放行": "'发货放行'!$1:$1"}
        for local, formula in titles:
            assert formula == expected[order[int(local or -1)]]
        assert sum(n.startswith(MARK_PREFIX) for n, _, _ in names) == 2  # salesxl's marks kept
        with zipfile.ZipFile(path) as z:
            xml = z.read("xl/worksheets/sheet3.xml").decode() if path == once else ""
        if xml:  # CT_Worksheet order: fit switch in sheetPr, the print elements after autoFilter
            assert '<pageSetUpPr fitToPage="1"/></sheetPr>' in xml
            tail = xml[xml.index("<autoFilter"):]
            order_in = [tail.index(t) for t in ("<autoFilter", "<printOptions", "<pageMargins", "<pageSetup",
                                                "<headerFooter")]
            assert order_in == sorted(order_in)
            assert 'paperSize="9"' in tail and 'fitToWidth="1" fitToHeight="0"' in tail
            assert "往来余额　截至 2026-10-31　某公司" in tail and "第 &amp;P 页，共 &amp;N 页" in tail
