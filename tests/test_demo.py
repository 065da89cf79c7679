"""The demo workbook: deterministic, messy in the intended ways, valid except where planted.

The checks read the real file back with openpyxl and python-calamine and apply the contract's
rules with a deliberately small, independent reader (below), so they do not depend on
salesxl's own reader being right.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from salesxl import demo
from salesxl.core.identifiers import is_valid_phone, is_valid_uscc
from salesxl.demo import DEMO_END, DEMO_START, PLANTED_PROBLEMS, DemoCounts, build_demo

# Sheet as written -> (canonical name, header row).
SHEETS = {
    "客户档案": ("客户档案", 3),
    "销售": ("销售", 4),
    "Receipts": ("收款", 1),
    "发货": ("发货", 2),
    "Visits": ("拜访", 2),
    "费用": ("费用", 2),
    "目标 ": ("目标", 2),
    "业务员": ("业务员", 1),
    "参数": ("参数", 1),
    "合同": ("合同", 2),  # issue 18's part (salesxl/demo/contracts.py)
    "库存": ("库存", 2),  # issue 17's part (salesxl.demo.stock)
    "盘点": ("盘点", 2),
    "价目表": ("价目表", 3),  # issue 16's part (salesxl.demo.prices), after the standard sheets
}
ENGLISH = {
    "Date": "日期",
    "Doc No": "单号",
    "Customer ID": "客户编号",
    "Amount": "金额",
    "Type": "类型",
    "Method": "方式",
    "Salesperson": "业务员",
    "Customer Name": "客户名称",
    "Notes": "内容",
    "Next Step": "下次计划",
    "Remark": "备注",
}
PLANTED = {(sheet, row, field_name) for sheet, row, field_name, _ in PLANTED_PROBLEMS}
SMALL_SCALE = DemoCounts(
    customers=300,
    salespeople=12,
    sales_lines=6_000,
    visits=300,
    expenses=200,
    receipts=5_000,
    shipments=2_500,
)


# --------------------------------------------------------------------------------------------
# A small independent reader.
# --------------------------------------------------------------------------------------------


def canonical_header(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip()
    text = re.sub(r"\s*\([^)]*\)$", "", text)
    return ENGLISH.get(text, text)


def clean(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip(" \u3000")
        return value or None
    return value


def to_fen(value: Any) -> int:
    """An amount cell as integer fen, per the contract (raises on anything unreadable)."""
    if isinstance(value, (int, float)):
        return int((Decimal(repr(value)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    text = unicodedata.normalize("NFKC", value).strip()
    for mark in ("¥", "元", "RMB", ","):
        text = text.replace(mark, "")
    factor = Decimal(1)
    if text.endswith("万"):
        text, factor = text[:-1], Decimal(10_000)
    try:
        amount = Decimal(text) * factor
    except InvalidOperation:
        raise ValueError(f"unreadable amount {value!r}") from None
    if amount * 100 != int(amount * 100):
        raise ValueError(f"not exact to the fen: {value!r}")
    return int(amount * 100)


DATE_TEXT = (
    (re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"), "iso"),
    (re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"), "slash"),
    (re.compile(r"(\d{4})\.(\d{1,2})\.(\d{1,2})"), "dot"),
    (re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日"), "chinese"),
    (re.compile(r"(\d{4})(\d{2})(\d{2})"), "compact"),
)


def date_form(value: Any) -> str:
    if isinstance(value, datetime):
        return "cell"
    if isinstance(value, (int, float)):
        return "serial"
    for pattern, form in DATE_TEXT:
        if pattern.fullmatch(value):
            return form
    raise ValueError(f"unreadable date {value!r}")


def to_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, (int, float)):
        return date(1899, 12, 30) + timedelta(days=int(value))
    for pattern, _ in DATE_TEXT:
        m = pattern.fullmatch(value)
        if m:
            return date(int(m[1]), int(m[2]), int(m[3]))
    raise ValueError(f"unreadable date {value!r}")


@dataclass
class Sheet:
    name: str
    headers: list[str]
    rows: list[tuple[int, dict[str, Any]]]  # (Excel row, canonical field -> raw value)
    empty_rows: int

    def column(self, field_name: str) -> list[tuple[int, Any]]:
        return [(r, d[field_name]) for r, d in self.rows if d.get(field_name) is not None]


def load(path: Path) -> dict[str, Sheet]:
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    out: dict[str, Sheet] = {}
    for written, (canonical, header_row) in SHEETS.items():
        values = list(wb[written].iter_rows(values_only=True))
        headers = [canonical_header(h) for h in values[header_row - 1] if h is not None]
        rows = []
        empty = 0
        last = max(i for i, row in enumerate(values) if any(v is not None for v in row))
        for i in range(header_row, last + 1):
            row = values[i]
            if all(v is None for v in row):
                empty += 1
                continue
            rows.append((i + 1, {h: clean(v) for h, v in zip(headers, row, strict=False)}))
        out[canonical] = Sheet(written, headers, rows, empty)
    wb.close()
    return out


def planted(sheet: str, row: int, field_name: str) -> bool:
    return (sheet, row, field_name) in PLANTED


def company_key(name: str) -> str:
    text = unicodedata.normalize("NFKC", name)
    text = re.sub(r"[\s()（）]", "", text)
    for suffix in ("股份有限公司", "有限责任公司", "有限公司", "公司"):
        if text.endswith(suffix):
            return text[: -len(suffix)]
    return text


# --------------------------------------------------------------------------------------------
# Fixtures: the small demo built once per module, and a scale-mode book with small counts.
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_path(tmp_path_factory: pytest.TempPathFactory, demo_factory: Callable[..., Path]) -> Path:
    return demo_factory(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def small(small_path: Path) -> dict[str, Sheet]:
    return load(small_path)


@pytest.fixture(scope="module")
def scale_mode(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Sheet]:
    path = tmp_path_factory.mktemp("scale") / "scale-mode.xlsx"
    demo._build_book(path, seed=7, counts=SMALL_SCALE, plant=False)
    return load(path)


# --------------------------------------------------------------------------------------------
# Determinism and entry point.
# --------------------------------------------------------------------------------------------


def test_same_seed_same_bytes_and_other_seed_differs(tmp_path: Path, small_path: Path) -> None:
    again = build_demo(tmp_path / "again")
    assert again == tmp_path / "again" / "demo.xlsx"
    assert again.read_bytes() == small_path.read_bytes()
    other = build_demo(tmp_path / "other", seed=1)
    assert other.read_bytes() != small_path.read_bytes()


def test_same_bytes_in_another_process(tmp_path: Path, small_path: Path) -> None:
    """Nothing depends on str hashing (set order), which differs between processes."""
    code = "import sys; from pathlib import Path; from salesxl.demo import build_demo; build_demo(Path(sys.argv[1]))"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True, env=env)
    assert (tmp_path / "demo.xlsx").read_bytes() == small_path.read_bytes()


def test_progress_and_scale_file_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("salesxl.demo.build.SCALE_COUNTS", SMALL_SCALE)  # where build_demo reads it
    calls: list[tuple[str, int, int]] = []
    path = build_demo(tmp_path, scale=True, progress=lambda s, d, t: calls.append((s, d, t)))
    assert path == tmp_path / "demo-scale.xlsx"
    stages = {s for s, _, _ in calls}
    assert {"生成数据", "客户档案", "销售", "收款", "发货", "保存"} <= stages
    assert all(0 <= d <= t for _, d, t in calls)
    assert ("销售", SMALL_SCALE.sales_lines, SMALL_SCALE.sales_lines) in calls


# --------------------------------------------------------------------------------------------
# Layout and the intended mess.
# --------------------------------------------------------------------------------------------


def test_sheets_titles_and_headers_with_openpyxl(small_path: Path) -> None:
    wb = openpyxl.load_workbook(small_path)
    assert wb.sheetnames[: len(SHEETS)] == list(SHEETS)  # the parts' sheets (库存, 盘点 …) come after
    customers = wb["客户档案"]
    assert customers["A1"].value.endswith("客户档案")
    assert "A1:AO1" in {str(r) for r in customers.merged_cells.ranges}  # 16 columns of the card (issue 19) after 录入人
    assert customers["A2"].value.startswith("制表日期：")
    assert customers["A3"].value == "客户编号" and customers["Q3"].value == "资产规模(元)"
    assert customers["U3"].value == "信用额度（元）" and customers["Y3"].value == "录入人"
    assert wb["销售"]["A3"].value is None and wb["销售"]["J4"].value == "金额（元）"
    assert [c.value for c in wb["Receipts"][1]] == [
        "Date",
        "Doc No",
        "Customer ID",
        "Amount (CNY)",
        "Type",
        "Method",
        "Remark",
    ]
    assert [c.value for c in wb["发货"][2]][:5] == [
        "发货单号",
        "销售单号",
        "日期",
        "客户编号",
        "批号",
    ]
    assert [c.value for c in wb["费用"][2]][:4] == ["日期", "Salesperson", "类别", "Amount (CNY)"]
    tables = wb["业务员"].tables
    assert list(tables) == ["业务员"] and tables["业务员"].ref.startswith("A1:E")
    assert wb["参数"]["A1"].value == "名称" and wb["参数"]["B1"].value == "值"


def test_calamine_sees_the_same_headers_and_cached_values(
    small_path: Path, small: dict[str, Sheet]
) -> None:
    book = CalamineWorkbook.from_path(str(small_path))
    assert book.sheet_names[: len(SHEETS)] == list(SHEETS)  # the parts' sheets come after
    for written, (canonical, header_row) in SHEETS.items():
        rows = book.get_sheet_by_name(written).to_python(skip_empty_area=False)
        headers = [canonical_header(h) for h in rows[header_row - 1] if h != ""]
        assert headers == small[canonical].headers
    sales = book.get_sheet_by_name("销售").to_python(skip_empty_area=False)
    by_row = dict(small["销售"].rows)
    for r in range(5, 400):
        cached = sales[r - 1][9]
        expected = by_row[r]["金额"]
        if isinstance(expected, (int, float)):
            assert cached == pytest.approx(expected)


def test_amounts_are_formulas_with_cached_values_mostly(small_path: Path) -> None:
    wb = openpyxl.load_workbook(small_path, read_only=True)
    kinds: Counter[str] = Counter()
    for r, row in enumerate(wb["销售"].iter_rows(min_row=5, values_only=True), start=5):
        value = row[9]
        if isinstance(value, str) and value.startswith("="):
            assert value == f"=H{r}*I{r}"
            kinds["formula"] += 1
        elif isinstance(value, (int, float)):
            kinds["number"] += 1
        elif value is not None:
            kinds["text"] += 1
    total = sum(kinds.values())
    assert kinds["formula"] / total > 0.8 and kinds["number"] > 100 and kinds["text"] > 100


def test_messy_forms_are_present(small_path: Path, small: dict[str, Sheet]) -> None:
    forms = Counter(
        date_form(v)
        for s in small.values()
        for f in ("日期", "成立日期", "首次交易日期", "到期日")
        for _, v in s.column(f)
        if f in s.headers
    )
    assert {"cell", "serial", "iso", "slash", "dot", "chinese", "compact"} <= set(forms)
    assert forms["cell"] > 4 * sum(v for k, v in forms.items() if k != "cell")

    texts = [v for _, v in small["销售"].column("金额") if isinstance(v, str)]
    assert any(t.startswith("¥") for t in texts) and any(t.startswith("￥") for t in texts)
    assert any("," in t for t in texts) and any(t.endswith("万") for t in texts)
    assert any(re.search("[０-９]", t) for t in texts) and any(t.endswith("元") for t in texts)

    wb = openpyxl.load_workbook(small_path, read_only=True)
    formats = Counter()
    for row in wb["销售"].iter_rows(min_row=5, max_col=1):
        cell = row[0]
        if cell.value is not None and not isinstance(cell.value, str):
            formats[cell.style_array.numFmtId] += 1
    assert formats[31] > 0 and len(formats) >= 3  # yyyy-mm-dd, yyyy"年"m"月"d"日", and id 31
    raw = list(wb["客户档案"].iter_rows(min_row=4, values_only=True))
    assert any(
        isinstance(v, str) and v != v.strip(" \u3000") and "\u3000" in v for row in raw for v in row
    )
    wb.close()

    assert all(
        s.empty_rows >= 1
        for k, s in small.items()
        if k in ("客户档案", "销售", "收款", "发货", "拜访", "费用")
    )
    types = Counter(v for _, v in small["收款"].column("类型"))
    assert {"预收", "回款", "退款", "Prepayment", "Payment", "Refund"} <= set(types)
    assert any(isinstance(v, datetime) and v.hour for _, v in small["收款"].column("日期"))
    months = [v for _, v in small["目标"].column("月份")]
    assert any(isinstance(v, datetime) for v in months)
    assert any(isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}", v) for v in months)
    assert any(isinstance(v, str) and re.fullmatch(r"\d{4}年\d{1,2}月", v) for v in months)
    rates = [v for _, v in small["业务员"].column("提成比例")]
    assert any(isinstance(v, str) and v.endswith("%") for v in rates) and any(
        isinstance(v, float) for v in rates
    )
    natures = {v for _, v in small["客户档案"].column("客户性质")}
    assert {"一般公司", "个人", "政府机构"} <= natures and natures & {
        "General Company",
        "Individual",
        "Partner",
    }
    params = {r["名称"]: r["值"] for _, r in small["参数"].rows}
    assert params["每路线客户数"] == 8 and params["账龄分段"] == "30,60,90,180,365"


# --------------------------------------------------------------------------------------------
# Validity: everything holds except the planted problems.
# --------------------------------------------------------------------------------------------


def check_customers(book: dict[str, Sheet], allow: set[tuple[str, int, str]]) -> None:
    sheet = book["客户档案"]
    assert len({d["省份"] for _, d in sheet.rows}) >= 10
    natures = {
        "政府机构",
        "特殊公司",
        "一般公司",
        "个人",
        "合作伙伴",
        "Government",
        "Special Company",
        "General Company",
        "Individual",
        "Partner",
    }
    people = {d["业务员"] for _, d in book["业务员"].rows}
    seen_ids: set[str] = set()
    seen_usccs: set[str] = set()
    seen_phones: set[str] = set()
    seen_names: set[str] = set()
    for r, d in sheet.rows:
        assert d["客户编号"] and d["客户名称"] and d["业务员"] in people
        assert d["客户性质"] in natures
        ok = (d["客户编号"] not in seen_ids) or ("客户档案", r, "客户编号") in allow
        assert ok, f"duplicate id at row {r}"
        seen_ids.add(d["客户编号"])
        if d["统一社会信用代码"] is None:
            assert d["客户性质"] in ("个人", "Individual")
        else:
            assert (
                is_valid_uscc(d["统一社会信用代码"]) or ("客户档案", r, "统一社会信用代码") in allow
            )
            assert d["统一社会信用代码"] not in seen_usccs
            seen_usccs.add(d["统一社会信用代码"])
        assert is_valid_phone(d["联系电话"]) or ("客户档案", r, "联系电话") in allow, (
            r,
            d["联系电话"],
        )
        digits = re.sub(r"\D", "", d["联系电话"])
        assert digits not in seen_phones
        seen_phones.add(digits)
        key = company_key(d["客户名称"])
        assert key not in seen_names or ("客户档案", r, "客户名称") in allow, (r, d["客户名称"])
        seen_names.add(key)
        assert (d["纬度"] is None) == (d["经度"] is None)
        if d["纬度"] is not None:
            assert 3.8 <= d["纬度"] <= 53.6 and 73.5 <= d["经度"] <= 135.1
        if d["资产规模"] is not None:
            assert to_fen(d["资产规模"]) >= 0
        if d["信用额度"] is not None:
            assert to_fen(d["信用额度"]) >= 0
        assert d["账期天数"] in (None, 30, 60, 90)
        founded = to_date(d["成立日期"]) if d["成立日期"] else None
        first = to_date(d["首次交易日期"]) if d["首次交易日期"] else None
        assert founded is None or founded <= DEMO_END
        assert first is None or first <= DEMO_END
        if founded and first:
            assert founded < first or ("客户档案", r, "首次交易日期") in allow


def check_sales(
    book: dict[str, Sheet], allow: set[tuple[str, int, str]]
) -> dict[tuple[str, str, str], int]:
    ids = {d["客户编号"] for _, d in book["客户档案"].rows}
    people = {d["业务员"] for _, d in book["业务员"].rows}
    sold: dict[tuple[str, str, str], int] = defaultdict(int)
    bought: set[tuple[str, str, str]] = set()
    docs: dict[str, str] = {}
    returns = 0
    for r, d in book["销售"].rows:
        assert DEMO_START <= to_date(d["日期"]) <= DEMO_END
        assert d["客户编号"] in ids or ("销售", r, "客户编号") in allow
        assert docs.setdefault(d["单号"], d["客户编号"]) == d["客户编号"]
        qty = Decimal(repr(d["数量"]))
        assert qty != 0
        assert d["业务员"] is None or d["业务员"] in people
        if d["到期日"] is not None:
            assert to_date(d["到期日"]) >= to_date(d["日期"])
        item = (d["客户编号"], d["产品"], d["规格"])
        if qty > 0:
            bought.add(item)
            sold[(d["单号"], d["产品"], d["规格"])] += int(qty * 10)
        else:
            returns += 1
            assert item in bought  # a return references a customer who bought the product
        price = to_fen(d["单价"])
        for value in (d["单价"], d["金额"]):  # a written number is exact to the fen
            assert not isinstance(value, float) or Decimal(repr(value)).as_tuple().exponent >= -2
        try:
            amount = to_fen(d["金额"])
        except ValueError:
            assert ("销售", r, "金额") in allow
            continue
        assert (abs(Decimal(amount) - qty * price) <= 1) or ("销售", r, "金额") in allow, r
    assert 0.02 < returns / len(book["销售"].rows) < 0.04
    return sold


def check_receipts_and_shipments(
    book: dict[str, Sheet], sold: dict[tuple[str, str, str], int], allow: set[tuple[str, int, str]]
) -> None:
    ids = {d["客户编号"] for _, d in book["客户档案"].rows}
    numbers = [d["单号"] for _, d in book["收款"].rows]
    assert len(numbers) == len(set(numbers))
    for _, d in book["收款"].rows:
        assert d["客户编号"] in ids and to_fen(d["金额"]) > 0
        assert DEMO_START <= to_date(d["日期"]) <= DEMO_END
        assert d["方式"] in ("银行转账", "承兑汇票", "现金", "微信")
    lines = {(d["单号"], d["客户编号"], d["产品"], d["规格"]) for _, d in book["销售"].rows}
    shipped: dict[tuple[str, str, str], int] = defaultdict(int)
    over: set[tuple[str, str, str]] = set()
    for r, d in book["发货"].rows:
        assert (d["销售单号"], d["客户编号"], d["产品"], d["规格"]) in lines
        assert d["批号"] is not None or ("发货", r, "批号") in allow
        assert d["批号"] is None or re.fullmatch(r"B\d{8}-\d{2}", d["批号"])
        key = (d["销售单号"], d["产品"], d["规格"])
        shipped[key] += int(Decimal(repr(d["数量"])) * 10)
        if shipped[key] > sold[key]:
            assert ("发货", r, "数量") in allow
            over.add(key)
    assert len(over) == sum(1 for s, _, f in allow if s == "发货" and f == "数量")
    assert sum(shipped.values()) < sum(sold.values())  # the latest lines are not all shipped


def check_other_sheets(book: dict[str, Sheet]) -> None:
    ids = {d["客户编号"] for _, d in book["客户档案"].rows}
    people = {d["业务员"] for _, d in book["业务员"].rows}
    for _, d in book["拜访"].rows:
        assert d["业务员"] in people and d["方式"] in ("上门", "电话", "微信")
        assert d["客户编号"] in ids or (d["客户编号"] is None and d["客户名称"])
    for _, d in book["费用"].rows:
        assert d["业务员"] is None or d["业务员"] in people
        assert d["类别"] in ("差旅", "招待", "通讯", "样品", "会务") and to_fen(d["金额"]) > 0
    months = Counter()
    for _, d in book["目标"].rows:
        v = d["月份"]
        if isinstance(v, str) and ("Q" in v or "季" in v or re.fullmatch(r"\d{4}", v)):
            continue  # issue 18's quarter and year rows and sub-targets, appended below the months
        month = (
            (v.year, v.month)
            if isinstance(v, datetime)
            else tuple(int(x) for x in re.findall(r"\d+", v))
        )
        months[month] += 1
        assert d["业务员"] in people
    assert len(months) == 24 and set(months.values()) == {len(people)}
    for _, d in book["业务员"].rows:
        rate = d["提成比例"]
        rate = float(rate.rstrip("%")) / 100 if isinstance(rate, str) else rate
        assert 0 < rate < 1


def test_small_demo_is_valid_except_planted(small: dict[str, Sheet]) -> None:
    check_customers(small, PLANTED)
    sold = check_sales(small, PLANTED)
    check_receipts_and_shipments(small, sold, PLANTED)
    check_other_sheets(small)
    assert len(small["客户档案"].rows) == 402 and len(small["业务员"].rows) == 6
    assert (
        7_990 <= len(small["销售"].rows) <= 8_001
    )  # 8,000 and the planted line, less a cut document


def test_scale_mode_is_valid_and_near_its_targets(scale_mode: dict[str, Sheet]) -> None:
    check_customers(scale_mode, set())
    sold = check_sales(scale_mode, set())
    check_receipts_and_shipments(scale_mode, sold, set())
    check_other_sheets(scale_mode)
    assert len(scale_mode["客户档案"].rows) == SMALL_SCALE.customers
    assert len(scale_mode["销售"].rows) == SMALL_SCALE.sales_lines
    assert len(scale_mode["业务员"].rows) == SMALL_SCALE.salespeople
    assert abs(len(scale_mode["收款"].rows) / SMALL_SCALE.receipts - 1) < 0.2
    assert abs(len(scale_mode["发货"].rows) / SMALL_SCALE.shipments - 1) < 0.2


def test_planted_problems_are_where_the_list_says(small: dict[str, Sheet]) -> None:
    assert len(PLANTED_PROBLEMS) == 10
    assert {code for *_, code in PLANTED_PROBLEMS} == {
        "bad-phone",
        "bad-uscc",
        "duplicate-id",
        "possible-duplicate",
        "unknown-customer",
        "amount-mismatch",
        "bad-type",
        "missing-value",
        "over-shipment",
        "date-order",
    }
    rows = {name: dict(sheet.rows) for name, sheet in small.items()}
    ids = [d["客户编号"] for _, d in small["客户档案"].rows]
    for sheet, row, field_name, code in PLANTED_PROBLEMS:
        d = rows[sheet][row]
        value = d[field_name]
        if code == "bad-phone":
            assert not is_valid_phone(value)
        elif code == "bad-uscc":
            assert len(value) == 18 and not is_valid_uscc(value)
        elif code == "duplicate-id":
            assert ids.count(value) == 2 and ids.index(value) < ids.index(
                value, ids.index(value) + 1
            )
        elif code == "possible-duplicate":
            earlier = [company_key(e["客户名称"]) for r, e in small["客户档案"].rows if r < row]
            assert company_key(value) in earlier and value not in [
                e["客户名称"] for e in rows[sheet].values() if e is not d
            ]
        elif code == "unknown-customer":
            assert value not in ids
        elif code == "amount-mismatch":
            assert abs(to_fen(value) - Decimal(repr(d["数量"])) * to_fen(d["单价"])) > 1
        elif code == "bad-type":
            assert value == "一千二"
        elif code == "missing-value":
            assert value is None
        elif code == "over-shipment":
            assert value > 0
        elif code == "date-order":
            assert to_date(d["首次交易日期"]) < to_date(d["成立日期"]) <= DEMO_END


def test_planting_needs_the_small_demo_sizes(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        demo._build_book(
            tmp_path / "x.xlsx", seed=1, counts=DemoCounts(100, 3, 500, 10, 10), plant=True
        )


def test_a_part_adds_a_sheet_and_a_column_and_changes_nothing_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hook for a new part (salesxl.demo.parts): its own generator, its sheet written after
    the standard ones, its column at the right of 销售, every other cell as without it."""
    from salesxl.demo import DemoCompany, DemoWriter, SheetLayout

    counts = DemoCounts(customers=40, salespeople=3, sales_lines=400, visits=30, expenses=20)

    def part(company: DemoCompany, writer: DemoWriter) -> None:
        rng = company.rng(99)
        n = len(company.sales)
        writer.add_column("销售", "批次", ([f"B{int(k)}" for k in rng.integers(1, 9, n)], None), 8)
        names = company.customers.table["name"].tolist()[:5]
        writer.add_sheet(SheetLayout("价格表", "价格表"), ["客户名称", "折扣"],
                         [(names, None), ([0.9] * len(names), writer.format({"num_format": "0.00"}))], [30, 8])

    monkeypatch.setattr("salesxl.demo.build.PARTS", ())  # the standard sheets alone
    plain = demo.build_book(tmp_path / "plain.xlsx", seed=5, counts=counts, plant=False)
    monkeypatch.setattr("salesxl.demo.build.PARTS", (part,))
    with_part = demo.build_book(tmp_path / "part.xlsx", seed=5, counts=counts, plant=False)
    a, b = CalamineWorkbook.from_path(str(plain)), CalamineWorkbook.from_path(str(with_part))
    assert b.sheet_names == [*a.sheet_names, "价格表"]
    for name in a.sheet_names:
        rows_a, rows_b = a.get_sheet_by_name(name).to_python(), b.get_sheet_by_name(name).to_python()
        if name == "销售":
            assert rows_b[3][len(rows_a[3])] == "批次" and sum(1 for r in rows_b if str(r[-1]).startswith("B")) == 400
            rows_b = [r[: len(rows_a[3])] for r in rows_b]
        assert [r[: len(rows_a[0])] for r in rows_b] == rows_a, name
    assert b.get_sheet_by_name("价格表").to_python()[1][1] == 0.9


def test_stock_cards_reconcile_except_the_planted_problems(small_path: Path) -> None:
    """Issue 17: every 发货 row is issued on the cards; the stock findings are exactly the plants."""
    from salesxl import api

    stock_codes = {"balance-mismatch", "negative-stock", "unmatched-shipment", "unmatched-issue", "quality-hold",
                   "count-variance"}
    found = [(f.sheet, f.row, f.field, f.code.value) for f in api.validate(small_path, as_of=DEMO_END).findings
             if f.code.value in stock_codes]
    assert Counter(code for *_, code in found) == {"balance-mismatch": 1, "unmatched-issue": 1, "quality-hold": 1,
                                                   "count-variance": 3}
    result = api.stock(small_path, as_of=DEMO_END)
    assert set(result.balances["warehouse"]) == {"杭州总仓", "宁波仓", "苏州仓"}
    assert (result.balances["quality"] == "待检").sum() == 1 and len(result.variances) == 3
