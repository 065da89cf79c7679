"""Make the README's pictures of a marked workbook, as LibreOffice renders it.

    python docs/make_pictures.py [--keep DIR] [--lang zh|en]

Run by hand (not by the tests) after a change to how marks look.  It builds a small customer
workbook (15 customer cards with a handful of typical mistakes near the top, plus a few sales
lines), runs ``salesxl.api.validate(..., out=...)`` on it, converts the marked copy to PDF with
LibreOffice (``soffice --headless --convert-to pdf``) and renders pages with ``pdftoppm``:

* ``docs/img/validate-marked.png`` — the first page: the 客户档案 sheet with its red (error) and
  yellow (warning) cells.  LibreOffice prints fills but not comments, which is what a user's
  printout shows too.
* ``docs/img/validate-results.png`` — the first page of the 校验结果 sheet: every finding with
  its sheet, row, column, value, code and message, as the sheet's own print setup prints it (A4
  landscape, one page wide), rendered at 100 dpi instead of 80 to stay legible.
* ``docs/img/summary.png`` — the 概览 page of the 月报 of the clean demo company for 2026-10
  (:func:`summary_picture`).
* ``docs/img/balances-print.png`` — a whole printed page of 往来余额 of the clean demo company
  (:func:`balances_picture`): title in the page header, every column on one page, page numbers.
* ``docs/img/dunning-letter.png`` — a 催款函 of the clean demo company (:func:`dunning_picture`).
* ``docs/img/customer-report.png`` — page 1 of a 客户业务报告 (:func:`customer_report_picture`).
* ``docs/img/customer-form.png`` — the demo's 客户信息表 for one customer (:func:`customer_form_picture`).

The pictures are cropped to the printed area (``pdftotext -bbox``) and stay under ~300 KB.

Needs LibreOffice (``soffice``) and poppler (``pdftoppm``, ``pdftotext``); Chinese needs a CJK
font such as fonts-noto-cjk.  ``--keep DIR`` keeps the workbook, the marked copy and the PDF.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import xlsxwriter

from salesxl import api
from salesxl.core.identifiers import uscc_check_char

ROOT = Path(__file__).resolve().parent.parent
IMG = ROOT / "docs" / "img"
AS_OF = dt.date(2026, 10, 31)
DPI = 80
RESULTS_DPI = 100  # the results sheet is scaled down to fit one page wide: a little sharper
MAX_BYTES = 300_000

SALESPEOPLE = [("张伟", "浙北片区", 0.03), ("李娜", "浙东片区", 0.025), ("王芳", "苏南片区", 0.03)]
NATURE = {"c": "一般公司", "g": "政府机构", "p": "个人", "s": "特殊公司"}
#: 客户编号, 客户名称, 性质, 联系电话, 业务员, 信用额度, 账期天数, 成立日期 — the mistakes sit at the top
CUSTOMERS: list[tuple] = [
    ("KH001", "杭州明辉五金有限公司", "c", "0571-88776655", "张伟", 50000, 30, dt.date(2009, 4, 16)),
    ("KH002", "宁波恒达机电有限公司", "c", "0574-8877", "李娜", 80000, 60, dt.date(2012, 9, 3)),  # bad-phone
    ("KH003", "绍兴市华通管道有限公司", "c", "13857512345", "张伟", 30000, 30, dt.date(2015, 6, 1)),  # bad-uscc
    ("KH004", "嘉兴永盛建材有限公司", "企业", "13906731234", "王芳", 20000, 30, dt.date(2018, 11, 20)),  # bad-enum
    ("KH005", "湖州金瑞电气有限公司", "c", "0572-2233445", "赵六", 60000, 45, dt.date(2011, 2, 28)),  # unknown-salesperson
    ("KH003", "金华天成消防设备有限公司", "c", "0579-82345678", "李娜", 40000, 30, dt.date(2016, 3, 9)),  # duplicate-id
    ("KH007", "宁波恒达机电公司", "c", "0574-87654321", "李娜", 10000, 30, dt.date(2019, 5, 5)),  # possible-duplicate
    ("KH008", "台州嘉诚水暖有限公司", "c", "13705761234", "王芳", 15000, 30, dt.date(2027, 3, 1)),  # date-order
    ("KH009", "温州宏远机械有限公司", "c", "0577-88990011", "张伟", -5000, 30, dt.date(2014, 7, 7)),  # out-of-range
    ("KH010", None, "c", "0575-85123456", "王芳", 25000, 30, dt.date(2017, 8, 8)),  # missing-value
    ("KH011", "杭州市西湖区教育局", "g", "0571-87011234", "张伟", 200000, 90, None),
    ("KH012", "陈建国", "p", "13588001234", "李娜", 0, None, None),
    ("KH013", "舟山海川物资有限公司", "c", "0580-2021234", "王芳", 35000, 30, dt.date(2010, 10, 10)),
    ("KH014", "丽水立中安装工程有限公司", "c", "400-820-8820", "张伟", 45000, 60, dt.date(2013, 1, 15)),
    ("KH015", "衢州鼎锐科技有限公司", "c", "+86 139 5700 1234", "李娜", 50000, 30, dt.date(2020, 12, 1)),
]
BAD_USCC_ROW = 2  # KH003's credit code gets a wrong check character: bad-uscc
#: 日期, 单号, 客户编号, 产品, 规格, 数量, 单价, 金额 (None = the formula with its value)
SALES = [
    (dt.date(2026, 10, 8), "XS2610001", "KH001", "闸阀", "DN50", 10, 125.5, None),
    (dt.date(2026, 10, 9), "XS2610002", "KH002", "球阀", "DN25", 24, 38.2, 961.8),  # amount-mismatch
    (dt.date(2026, 10, 12), "XS2610003", "KH099", "PPR管", "Φ25", 300, 7.35, None),  # unknown-customer
    (dt.date(2026, 10, 20), "XS2610004", "KH013", "电缆", "YJV-3×4", 150, 21.8, None),
]


def uscc(i: int, *, bad: bool = False) -> str:
    first17 = f"91330100MA2{i:06d}"
    check = uscc_check_char(first17)
    return first17 + (("1" if check == "0" else "0") if bad else check)


def build_book(path: Path) -> Path:
    """The 客户档案 sheet first and active, landscape, scaled to fill an A4 page."""
    wb = xlsxwriter.Workbook(path)
    title = wb.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "align": "center"})
    cell = wb.add_format({"border": 1})
    money = wb.add_format({"border": 1, "num_format": "#,##0.00"})
    day = wb.add_format({"border": 1, "num_format": "yyyy-mm-dd"})

    ws = wb.add_worksheet("客户档案")
    headers = ["客户编号", "客户名称", "客户性质", "统一社会信用代码", "联系电话", "业务员", "信用额度", "账期天数", "成立日期"]
    ws.merge_range(0, 0, 0, len(headers) - 1, "华东鑫达商贸有限公司 客户档案", title)
    ws.set_row(0, 24)
    ws.write_row(1, 0, headers, head)
    for i, (cid, name, nature, tel, person, limit, terms, founded) in enumerate(CUSTOMERS):
        r = i + 2
        kind = NATURE.get(nature, nature)
        ws.write_string(r, 0, cid, cell)
        code = None if kind == "个人" else uscc(i, bad=i == BAD_USCC_ROW)
        ws.write_row(r, 1, [name, kind, code, tel, person], cell)  # None: a blank with borders
        ws.write_number(r, 6, limit, money)
        ws.write(r, 7, terms, cell)
        when = dt.datetime.combine(founded, dt.time()) if founded else None
        ws.write(r, 8, when, day)
    for col, width in enumerate((10, 24, 10, 20, 17, 8, 12, 9, 11)):
        ws.set_column(col, col, width)
    ws.freeze_panes(2, 0)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.set_margins(left=0.3, right=0.3, top=0.4, bottom=0.4)
    ws.fit_to_pages(1, 0)  # one page wide
    ws.activate()

    ws = wb.add_worksheet("销售")
    ws.write_row(0, 0, ["日期", "单号", "客户编号", "产品", "规格", "数量", "单价", "金额"], head)
    for i, (d, doc, cid, product, spec, qty, price, amount) in enumerate(SALES):
        r = i + 1
        ws.write_datetime(r, 0, dt.datetime.combine(d, dt.time()), day)
        for c, v in enumerate((doc, cid, product, spec), start=1):
            ws.write_string(r, c, v, cell)
        ws.write_number(r, 5, qty, cell)
        ws.write_number(r, 6, price, money)
        if amount is None:
            ws.write_formula(r, 7, f"=F{r + 1}*G{r + 1}", money, round(qty * price, 2))
        else:
            ws.write_number(r, 7, amount, money)
    ws.set_column(0, 7, 12)

    ws = wb.add_worksheet("业务员")
    ws.write_row(0, 0, ["业务员", "片区", "提成比例"], head)
    for i, row in enumerate(SALESPEOPLE):
        ws.write_row(i + 1, 0, row, cell)
    wb.close()
    return path


def soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        raise SystemExit("LibreOffice (soffice) is not installed")
    return found


def to_pdf(book: Path, folder: Path) -> Path:
    profile = (folder / "lo-profile").as_uri()  # a private profile: no clash with a running LibreOffice
    subprocess.run(
        [soffice(), f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(folder), str(book)],
        check=True, capture_output=True, timeout=300,
    )
    return folder / (book.stem + ".pdf")


def pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def page_with(pdf: Path, words: tuple[str, ...], start: int) -> int:
    """The first page from ``start`` whose text holds every one of ``words``."""
    for page in range(start, pages(pdf) + 1):
        text = subprocess.run(
            ["pdftotext", "-f", str(page), "-l", str(page), "-layout", str(pdf), "-"],
            check=True, capture_output=True, text=True,
        ).stdout
        if all(w in text for w in words):
            return page
    raise SystemExit(f"no page of {pdf.name} holds {words}")


def content_box(pdf: Path, page: int, dpi: int, margin: float = 12.0) -> tuple[int, int, int, int]:
    """(x, y, width, height) in pixels of the printed text on ``page``, plus ``margin`` points:
    the picture is cropped to the table instead of showing a mostly blank sheet of paper."""
    html = subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), "-bbox", str(pdf), "-"],
        check=True, capture_output=True, text=True,
    ).stdout
    width, height = (float(v) for v in re.search(r'<page width="([\d.]+)" height="([\d.]+)"', html).groups())
    boxes = [tuple(map(float, b)) for b in re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)"', html)]
    x0 = max(min(b[0] for b in boxes) - margin, 0)
    y0 = max(min(b[1] for b in boxes) - margin, 0)
    x1 = min(max(b[2] for b in boxes) + margin, width)
    y1 = min(max(b[3] for b in boxes) + margin, height)
    px = dpi / 72
    return round(x0 * px), round(y0 * px), round((x1 - x0) * px), round((y1 - y0) * px)


def render(pdf: Path, page: int, target: Path, dpi: int = DPI) -> None:
    """``page`` of ``pdf`` as a PNG at ``dpi``, cropped to what is printed on it."""
    x, y, w, h = content_box(pdf, page, dpi)
    subprocess.run(
        ["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page), "-singlefile",
         "-x", str(x), "-y", str(y), "-W", str(w), "-H", str(h), str(pdf), str(target.with_suffix(""))],
        check=True, capture_output=True,
    )
    size = target.stat().st_size
    print(f"{target.relative_to(ROOT)}: page {page}, {w}×{h} px, {size / 1000:.0f} KB")
    if size > MAX_BYTES:
        print(f"  warning: larger than {MAX_BYTES / 1000:.0f} KB", file=sys.stderr)


SUMMARY_MONTH = "2026-10"
SUMMARY_DPI = 110  # the 概览 page is printed whole on one A4 sheet: a little sharper than the rest


def summary_picture(folder: Path) -> Path:
    """``docs/img/summary.png``: the 概览 page of the 月报 of the clean demo company for
    2026-10 (``salesxl summary demo-clean.xlsx --month 2026-10``), as LibreOffice prints it."""
    from salesxl.demo import build_demo

    book = build_demo(folder / "demo", clean=True)
    report = api.summary(book, month=SUMMARY_MONTH, out=folder / f"月报-{SUMMARY_MONTH}.xlsx").written
    assert report is not None
    pdf = to_pdf(report, folder)
    render(pdf, page_with(pdf, ("概览", "关键指标"), start=1), IMG / "summary.png", dpi=SUMMARY_DPI)
    return report


BALANCES_DPI = 60  # a whole A4 page: legible as a page, not as figures


def balances_picture(folder: Path) -> Path:
    """``docs/img/balances-print.png``: the first printed page of 往来余额 of the clean demo
    company (``salesxl offset demo-clean.xlsx --out …``), the whole sheet of paper as
    LibreOffice prints it — header, columns to 处理建议, page number.  Only 往来余额 is
    converted: the other sheets of the copy are hidden and emptied first."""
    from salesxl.demo import DEMO_END, build_demo

    book = build_demo(folder / "demo-balances", clean=True)
    written = api.offset_to_book(book, as_of=DEMO_END, out=folder / "往来结果.xlsx")[1].written
    only = folder / "balances" / "往来余额.xlsx"
    only.parent.mkdir(exist_ok=True)
    _only_sheet(written, only, "往来余额")
    pdf = to_pdf(only, folder)
    target = IMG / "balances-print.png"
    subprocess.run(["pdftoppm", "-png", "-r", str(BALANCES_DPI), "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(target.with_suffix(""))], check=True, capture_output=True)
    print(f"{target.relative_to(ROOT)}: page 1 of {pages(pdf)}, {target.stat().st_size / 1000:.0f} KB")
    return target


def _only_sheet(src: Path, dst: Path, keep: str) -> None:
    """A copy of ``src`` in which only ``keep`` prints: every other sheet hidden and emptied."""
    with zipfile.ZipFile(src) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    wb = parts["xl/workbook.xml"].decode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    empty = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>'
    for tag in re.findall(r"<sheet [^>]*/>", wb):
        if f'name="{keep}"' in tag:
            continue
        rid = re.search(r'r:id="([^"]+)"', tag).group(1)
        rel = re.search(rf'<Relationship [^>]*Id="{rid}"[^>]*>', rels).group(0)
        name = "xl/" + re.search(r'Target="/?(?:xl/)?([^"]+)"', rel).group(1)
        parts[name] = empty
        parts.pop(name.replace("worksheets/", "worksheets/_rels/") + ".rels", None)
        wb = wb.replace(tag, tag.replace("<sheet ", '<sheet state="hidden" ', 1))
    index = next(i for i, t in enumerate(re.findall(r"<sheet [^>]*/>", wb)) if f'name="{keep}"' in t)
    wb = re.sub(r'activeTab="\d+"', f'activeTab="{index}"', wb)
    wb = re.sub(r'firstSheet="\d+"', f'firstSheet="{index}"', wb)
    parts["xl/workbook.xml"] = wb.encode()
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for member, data in parts.items():
            z.writestr(member, data)


def routes_picture(folder: Path) -> Path:
    """``docs/img/routes.svg``: the visiting routes of the clean demo company's six largest
    zones (``salesxl classify demo.xlsx --map 路线图.svg``).  SVG, so no renderer is needed."""
    from salesxl.demo import DEMO_END, build_demo
    from salesxl.io.route_map import write_route_map

    book = build_demo(folder / "demo-routes", clean=True)
    result = api.classify(book, as_of=DEMO_END)
    c = result.customers
    largest = c.dropna(subset=["lat"]).groupby("zone").size().nlargest(6).index
    return write_route_map(c[c["zone"].isin(largest)], IMG / "routes.svg")


LETTER_DPI = 90  # a whole A4 letter: the 大写 and the account lines must stay legible


def dunning_picture(folder: Path) -> Path:
    """``docs/img/dunning-letter.png``: the 催款函 of a demo customer to chase with three to six
    overdue documents (``salesxl statement demo.xlsx --customer …``), as LibreOffice prints it."""
    from salesxl.demo import DEMO_END, build_demo
    from salesxl.io.statements import DUNNING_ACTIONS

    book = build_demo(folder / "demo-letters", clean=True)
    result = api.offset(book, as_of=DEMO_END)
    late = result.open_items[result.open_items["overdue_days"] > 0]
    docs = late.groupby("customer_id", observed=True)["doc_no"].nunique()
    chased = result.customers.loc[result.customers["action"].isin(DUNNING_ACTIONS), "customer_id"]
    fits = [c for c in chased if 3 <= docs.get(c, 0) <= 6] or list(chased)
    [statement] = api.statements(book, as_of=DEMO_END, out_dir=folder / "letters", customer_ids=fits[:1])
    pdf = to_pdf(statement, folder)
    render(pdf, page_with(pdf, ("催", "开户行"), start=1), IMG / "dunning-letter.png", dpi=LETTER_DPI)
    return statement


REPORT_DPI = 90


def customer_report_picture(folder: Path) -> Path:
    """``docs/img/customer-report.png``: the first page of the 客户业务报告 of the clean demo
    company's largest customer (``salesxl report customer demo.xlsx --customer …``)."""
    from salesxl.demo import DEMO_END, build_demo

    book = build_demo(folder / "demo-report", clean=True)
    result = api.offset(book, as_of=DEMO_END)
    largest = str(result.customers.sort_values("debits", ascending=False)["customer_id"].iloc[0])
    [written] = api.customer_report(book, customer_id=largest, out=folder / "customer-report.xlsx", as_of=DEMO_END)
    pdf = to_pdf(written, folder)
    render(pdf, 1, IMG / "customer-report.png", dpi=REPORT_DPI)
    return written
def customer_form_picture(folder: Path) -> Path:
    """``docs/img/customer-form.png``: the 客户信息表 of the demo's first customer
    (``salesxl template customer --from demo.xlsx --customer KH00001``), as LibreOffice prints it."""
    from salesxl.demo import build_demo

    book = build_demo(folder / "demo-form")
    form = api.customer_form(book, customer="KH00001", out=folder / "form" / "客户信息表.xlsx",
                             as_of=dt.date(2026, 11, 1))
    pdf = to_pdf(form, folder)
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(IMG / "customer-form")], check=True)
    return form


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="keep the workbooks and the PDF in this folder")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    args = parser.parse_args()
    IMG.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="salesxl-pictures-") as tmp:
        folder = Path(tmp)
        book = build_book(folder / "客户台账.xlsx")
        marked = folder / "客户台账-校验.xlsx"
        report = api.validate(book, as_of=AS_OF, out=marked, lang=args.lang)
        assert report.marks is not None and report.marks.written == marked
        print(f"{report.errors} errors, {report.warnings} warnings, {report.marks.marked_cells} cells marked")
        for f in report.findings:
            print(f"  {f.sheet}!{f.column}{f.row} {f.code.value}: {f.message(args.lang)}")
        pdf = to_pdf(marked, folder)
        render(pdf, 1, IMG / "validate-marked.png")
        header = ("工作表", "级别", "说明") if args.lang == "zh" else ("Sheet", "Severity", "Message")
        render(pdf, page_with(pdf, header, start=2), IMG / "validate-results.png", dpi=RESULTS_DPI)
        summary_picture(folder)
        balances_picture(folder)
        routes_picture(folder)
        dunning_picture(folder)
        customer_report_picture(folder)
        customer_form_picture(folder)
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            for path in (book, marked, pdf):
                shutil.copy2(path, args.keep / path.name)
            print(f"kept in {args.keep}")


if __name__ == "__main__":
    main()
