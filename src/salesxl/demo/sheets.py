"""The demo's sheet writers: one function per sheet, from generated tables to the written layout.

Each ``write_*`` function takes the :class:`~salesxl.demo.writer.DemoWriter` and the generated
tables and writes one sheet as a real office would keep it: headers in Chinese or English with
units, unknown extra columns, names padded with stray spaces, 金额 as a formula with its cached
value, and the planted cell mistakes of the small demo.
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast

import numpy as np
import pandas as pd
from xlsxwriter.format import Format

from salesxl.core.idrules import USCC_CHARSET
from salesxl.demo.cells import amount_text, day_number, padded, texts
from salesxl.demo.company import Customers
from salesxl.demo.layout import (
    COMPANY_NAME,
    EXCEL_EPOCH_OFFSET,
    LAYOUTS,
    PLANT_INDEX,
    UNKNOWN_CUSTOMER_NAME,
)
from salesxl.demo.reference import CITIES, CLERKS, PRODUCTS, RETURN_NOTES, SALES_NOTES
from salesxl.demo.writer import Column, DemoWriter, Formula


def write_customers(w: DemoWriter, customers: Customers, plant: bool) -> None:
    """客户档案: two title rows, header on row 3, units in headers, an unknown 录入人 column."""
    t = customers.table
    rng = w.rng
    phones = texts(t["phone"])
    usccs = texts(t["uscc"])
    if plant:
        i = PLANT_INDEX["bad-phone"]  # a mobile with a digit lost: ten digits
        digits = "".join(ch for ch in phones[i] or "" if ch.isdigit())[-11:]
        phones[i] = digits[:3] + digits[4:]
        i = PLANT_INDEX["bad-uscc"]
        code = usccs[i] or ""
        usccs[i] = code[:17] + USCC_CHARSET[(USCC_CHARSET.index(code[17]) + 1) % len(USCC_CHARSET)]
    coords = t["has_coords"].to_numpy()
    lat = [
        float(v) if ok else None for v, ok in zip(t["lat"].tolist(), coords.tolist(), strict=True)
    ]
    lon = [
        float(v) if ok else None for v, ok in zip(t["lon"].tolist(), coords.tolist(), strict=True)
    ]
    terms = [int(v) if v >= 0 else None for v in t["terms"].tolist()]
    first_trade = t["first_trade"].to_numpy()
    founded = t["founded"].to_numpy()
    province = [CITIES[c].province for c in t["city_idx"]]
    city = [CITIES[c].city for c in t["city_idx"]]
    headers = [
        "客户编号",
        "客户名称",
        "客户性质",
        "统一社会信用代码",
        "法定代表人",
        "负责人",
        "经营经理",
        "联系电话",
        "省份",
        "城市",
        "区县",
        "地址",
        "纬度",
        "经度",
        "行业",
        "组织类型",
        "资产规模(元)",
        "成立日期",
        "首次交易日期",
        "业务员",
        "信用额度（元）",
        "账期天数",
        "片区",
        "备注",
        "录入人",
    ]
    columns: list[Column] = [
        (texts(t["id"]), None),
        (padded(rng, texts(t["name"]), 0.015), None),
        (texts(t["nature_text"]), None),
        (usccs, None),
        (texts(t["legal_rep"]), None),
        (texts(t["owner"]), None),
        (texts(t["manager"]), None),
        (phones, None),
        (province, None),
        (city, None),
        (texts(t["district"]), None),
        (texts(t["address"]), None),
        (lat, w.fmt.coord),
        (lon, w.fmt.coord),
        (texts(t["industry"]), None),
        (texts(t["org_type"]), None),
        w.amounts(t["assets_fen"].to_numpy(), 0.03, t["assets_fen"].to_numpy() >= 0),
        w.dates(founded, founded >= 0, text_rate=2.0),
        w.dates(first_trade, first_trade >= 0, text_rate=2.0),
        (padded(rng, texts(t["rep"]), 0.02), None),
        w.amounts(t["credit_fen"].to_numpy(), 0.02, t["credit_fen"].to_numpy() >= 0),
        (terms, None),
        (texts(t["zone_cell"]), None),
        (texts(t["note"]), None),
        (texts(t["clerk"]), None),
    ]
    widths = [
        10,
        30,
        14,
        22,
        10,
        10,
        10,
        18,
        10,
        10,
        10,
        40,
        11,
        11,
        12,
        14,
        16,
        14,
        14,
        10,
        16,
        9,
        12,
        20,
        8,
    ]
    w.sheet(LAYOUTS["客户档案"], headers, columns, widths)


def write_sales(w: DemoWriter, sales: pd.DataFrame, customers: Customers, plant: bool) -> None:
    """销售: title block on rows 1–3, header on row 4, 金额 mostly a formula with its cached value."""
    rng = w.rng
    t = customers.table
    n = len(sales)
    layout = LAYOUTS["销售"]
    excel_rows = layout.excel_rows(n).tolist()
    item = sales["item"].to_numpy()
    qty10 = sales["qty10"].to_numpy()
    fen = sales["amount_fen"].to_numpy()
    cust = sales["cust"].to_numpy()
    known = cust >= 0
    qty = [q // 10 if q % 10 == 0 else q / 10 for q in qty10.tolist()]
    price = (sales["price_fen"].to_numpy() / 100).tolist()
    amount_value = (fen / 100).tolist()
    roll = rng.random(n)
    text_kind = rng.integers(0, 6, n)
    amounts: list[Any] = []
    amount_formats: list[Format | None] = []
    for i in range(n):
        r = roll[i]
        if r < 0.85:
            amounts.append(Formula(f"=H{excel_rows[i]}*I{excel_rows[i]}", amount_value[i]))
            amount_formats.append(w.fmt.money)
        elif r < 0.95 or fen[i] <= 0:
            amounts.append(amount_value[i])
            amount_formats.append(w.fmt.money)
        else:
            amounts.append(amount_text(int(fen[i]), int(text_kind[i])))
            amount_formats.append(None)
    if plant:
        i = PLANT_INDEX["amount-mismatch"]
        amounts[i], amount_formats[i] = _mistyped(int(fen[i])) / 100, w.fmt.money
        i = PLANT_INDEX["bad-type"]
        amounts[i], amount_formats[i] = "一千二", None
    # cast: numpy's stubs take the three-argument where with a None for the one-argument form
    rep_of_cust = cast(np.ndarray, np.where(known, t["rep"].to_numpy()[np.where(known, cust, 0)], None))
    reps = [
        v if r >= 0.25 else None
        for v, r in zip(rep_of_cust.tolist(), rng.random(n).tolist(), strict=True)
    ]
    if plant:
        reps[PLANT_INDEX["unknown-customer"]] = "李静"
    has_due = rng.random(n) < 0.1
    terms = np.where(known, t["terms_eff"].to_numpy()[np.where(known, cust, 0)], 30)
    names = np.where(known, t["name"].to_numpy()[np.where(known, cust, 0)], UNKNOWN_CUSTOMER_NAME)
    is_return = sales["is_return"].to_numpy()
    note_roll = rng.random(n)
    notes = [
        (
            RETURN_NOTES[int(r * 40) % 4]
            if ret and r < 0.6
            else (SALES_NOTES[int(r * 600) % 6] if r < 0.02 else None)
        )
        for ret, r in zip(is_return.tolist(), note_roll.tolist(), strict=True)
    ]
    headers = [
        "日期",
        "单号",
        "客户编号",
        "客户名称",
        "产品",
        "规格",
        "单位",
        "数量",
        "单价(元)",
        "金额（元）",
        "业务员",
        "到期日",
        "备注",
        "录入人",
    ]
    columns: list[Column] = [
        w.dates(sales["day"].to_numpy()),
        (texts(sales["doc"]), None),
        (texts(sales["cust_id"]), None),
        (names.tolist(), None),
        (padded(rng, [PRODUCTS[k].name for k in item.tolist()], 0.01), None),
        ([PRODUCTS[k].spec for k in item.tolist()], None),
        ([PRODUCTS[k].unit for k in item.tolist()], None),
        (qty, None),
        (price, w.fmt.price),
        (amounts, amount_formats),
        (padded(rng, reps, 0.02), None),
        w.dates(sales["day"].to_numpy() + terms, has_due),
        (notes, None),
        (np.array(CLERKS, dtype=object)[rng.integers(0, 3, n)].tolist(), None),
    ]
    widths = [12, 17, 10, 28, 12, 16, 6, 8, 10, 13, 9, 12, 14, 7]
    w.sheet(layout, headers, columns, widths)


def _mistyped(fen: int) -> int:
    """The amount with two adjacent digits swapped, as a typing slip would (else +10 yuan)."""
    digits = str(fen)
    for k in range(len(digits) - 3, 0, -1):
        if digits[k] != digits[k - 1] and (k - 1 > 0 or digits[k] != "0"):
            swapped = digits[: k - 1] + digits[k] + digits[k - 1] + digits[k + 1 :]
            return int(swapped)
    return fen + 1000


def write_receipts(w: DemoWriter, receipts: pd.DataFrame) -> None:
    """Receipts: English sheet name and headers, header on row 1, some types in English."""
    rng = w.rng
    n = len(receipts)
    english = {"预收": "Prepayment", "回款": "Payment", "退款": "Refund"}
    kinds = [
        english[k] if r < 0.3 and k is not None else k
        for k, r in zip(texts(receipts["kind"]), rng.random(n).tolist(), strict=True)
    ]
    values, day_formats = w.dates(receipts["day"].to_numpy())
    day_values = list(values)
    timed = np.flatnonzero(rng.random(n) < 0.05)
    seconds = rng.integers(8 * 3600, 18 * 3600, len(timed)) // 60 * 60
    for i, s in zip(timed.tolist(), seconds.tolist(), strict=True):
        if isinstance(day_values[i], float):  # a bank transfer's time stamp
            day_values[i] = day_values[i] + s / 86400
            day_formats[i] = w.fmt.datetime
    remark = [
        ("3个月承兑" if m == "承兑汇票" and r < 0.5 else ("部分回款" if r < 0.01 else None))
        for m, r in zip(texts(receipts["method"]), rng.random(n).tolist(), strict=True)
    ]
    headers = ["Date", "Doc No", "Customer ID", "Amount (CNY)", "Type", "Method", "Remark"]
    columns: list[Column] = [
        (day_values, day_formats),
        (texts(receipts["no"]), None),
        (texts(receipts["cust_id"]), None),
        w.amounts(receipts["fen"].to_numpy(), 0.04),
        (kinds, None),
        (texts(receipts["method"]), None),
        (remark, None),
    ]
    w.sheet(LAYOUTS["收款"], headers, columns, [14, 17, 12, 15, 11, 10, 12])


def write_shipments(w: DemoWriter, ship: pd.DataFrame) -> None:
    """发货: one title row, header on row 2, columns in a non-standard order."""
    rng = w.rng
    item = ship["item"].to_numpy()
    qty10 = ship["qty10"].to_numpy()
    headers = [
        "发货单号",
        "销售单号",
        "日期",
        "客户编号",
        "批号",
        "产品",
        "规格",
        "数量",
        "仓库",
        "经手人",
    ]
    columns: list[Column] = [
        (texts(ship["no"]), None),
        (texts(ship["doc"]), None),
        w.dates(ship["day"].to_numpy()),
        (texts(ship["cust_id"]), None),
        (texts(ship["batch"]), None),
        (padded(rng, [PRODUCTS[k].name for k in item.tolist()], 0.01), None),
        ([PRODUCTS[k].spec for k in item.tolist()], None),
        ([q // 10 if q % 10 == 0 else q / 10 for q in qty10.tolist()], None),
        (texts(ship["warehouse"]), None),
        (texts(ship["handler"]), None),
    ]
    w.sheet(LAYOUTS["发货"], headers, columns, [17, 17, 12, 10, 14, 12, 16, 8, 10, 8])


def write_visits(w: DemoWriter, visits: pd.DataFrame) -> None:
    """Visits: English sheet name, English title and headers, Chinese values."""
    headers = [
        "Date",
        "Salesperson",
        "Customer ID",
        "Customer Name",
        "Method",
        "Notes",
        "Next Step",
    ]
    columns: list[Column] = [
        w.dates(visits["day"].to_numpy()),
        (padded(w.rng, texts(visits["rep"]), 0.02), None),
        (texts(visits["cust_id"]), None),
        (texts(visits["cust_name"]), None),
        (texts(visits["method"]), None),
        (texts(visits["note"]), None),
        (texts(visits["next"]), None),
    ]
    w.sheet(LAYOUTS["拜访"], headers, columns, [12, 11, 11, 28, 8, 30, 14])


def write_expenses(w: DemoWriter, expenses: pd.DataFrame) -> None:
    """费用: Chinese sheet, headers mixing Chinese and English, an unknown 报销状态 column."""
    headers = ["日期", "Salesperson", "类别", "Amount (CNY)", "说明", "报销状态"]
    columns: list[Column] = [
        w.dates(expenses["day"].to_numpy()),
        (texts(expenses["rep"]), None),
        (texts(expenses["category"]), None),
        w.amounts(expenses["fen"].to_numpy(), 0.06),
        (texts(expenses["text"]), None),
        (texts(expenses["status"]), None),
    ]
    w.sheet(LAYOUTS["费用"], headers, columns, [12, 11, 8, 13, 26, 9])


def write_targets(w: DemoWriter, targets: pd.DataFrame) -> None:
    """目标 (sheet name with a trailing space): 月份 as ``2026-10``, ``2026年10月`` or a date cell."""
    rng = w.rng
    n = len(targets)
    style = rng.choice(4, n, p=[0.5, 0.25, 0.15, 0.10])
    month_values: list[Any] = []
    month_formats: list[Format | None] = []
    for y, m, s in zip(
        targets["year"].tolist(), targets["month"].tolist(), style.tolist(), strict=True
    ):
        if s == 0:
            month_values.append(f"{y}-{m:02d}")
            month_formats.append(None)
        elif s == 1:
            month_values.append(f"{y}年{m}月")
            month_formats.append(None)
        else:
            month_values.append(float(day_number(date(y, m, 1)) + EXCEL_EPOCH_OFFSET))
            month_formats.append(w.fmt.month if s == 2 else w.fmt.month_cn)
    headers = ["月份", "业务员", "销售目标（元）", "回款目标（元）", "费用预算（元）"]
    columns: list[Column] = [
        (month_values, month_formats),
        (texts(targets["rep"]), None),
        ((targets["sales_fen"].to_numpy() / 100).tolist(), w.fmt.money),
        ((targets["collect_fen"].to_numpy() / 100).tolist(), w.fmt.money),
        ((targets["budget_fen"].to_numpy() / 100).tolist(), w.fmt.money),
    ]
    w.sheet(LAYOUTS["目标"], headers, columns, [11, 10, 15, 15, 15])


def write_salespeople(w: DemoWriter, salespeople: pd.DataFrame) -> None:
    """业务员: an Excel Table named 业务员 at A1; 提成比例 as ``3%`` text or 0.025."""
    rows = [
        [name, zone, rate, mobile, float(hired + EXCEL_EPOCH_OFFSET)]
        for name, zone, rate, mobile, hired in zip(
            salespeople["name"].tolist(),
            salespeople["zone"].tolist(),
            salespeople["rate_cell"].tolist(),
            salespeople["mobile"].tolist(),
            salespeople["hired"].tolist(),
            strict=True,
        )
    ]
    columns = [
        {"header": "业务员"},
        {"header": "片区"},
        {"header": "提成比例"},
        {"header": "手机"},
        {"header": "入职日期", "format": w.fmt.date},
    ]
    w.table_sheet(LAYOUTS["业务员"], "业务员", columns, rows, [10, 10, 10, 14, 12])


def write_settings(w: DemoWriter) -> None:
    """参数: ``名称 | 值`` rows (an unknown 说明 column explains each)."""
    rows: list[list[Any]] = [
        ["公司名称", COMPANY_NAME, "报表抬头"],
        ["开户行", "中国工商银行上海浦东分行营业部", "催款函收款账户"],
        ["账号", "1001 2345 0920 0012 345", "收款账号（虚构）"],
        ["户名", COMPANY_NAME, ""],
        ["联系人", "王敏（财务部）", "对账、催款联系人"],
        ["联系电话", "021-5088 6321", ""],
        ["地址", "上海市浦东新区张杨路 1688 号 12 楼", ""],
        ["回款期限天数", 7, "催款函付款期限"],
        ["每路线客户数", 8, "每条拜访路线最多客户数"],
        ["账龄分段", "30,60,90,180,365", "账龄分段上限（天）"],
        ["停发逾期天数", 90, "逾期超过此天数停止发货"],
        ["等级统计月数", 12, "客户等级按最近几个月销售额"],
    ]
    columns: list[Column] = [([r[k] for r in rows], None) for k in range(3)]
    w.sheet(LAYOUTS["参数"], ["名称", "值", "说明"], columns, [14, 24, 28])


