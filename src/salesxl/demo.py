"""A deterministic demo company: two years of a Chinese trading firm's sales workbooks.

Why this exists
---------------
salesxl is only as good as its reader and its rules are against the sheets people really keep,
and those are never tidy: a merged title above the header, a second line with the date the
sheet was printed, a header written ``金额（元）`` on one sheet and ``Amount (CNY)`` on another,
an extra column nobody asked for, dates typed five different ways in one column, an amount
typed as ``¥1,234.50`` or ``1.2万``, a full-width space in front of a name, an empty row in the
middle.  The demo writes such a workbook for an invented company (:data:`COMPANY_NAME`, a
distributor of valves, pipes, cables and site supplies in East China), so that

* a new user can try every command (``validate``, ``offset``, ``classify``, ``summary``) on
  something that looks like their own books before trusting it with them;
* the test suite and the benchmarks have a realistic, *reproducible* input: the same seed gives
  the same bytes, and nothing depends on today's date (the data ends on :data:`DEMO_END`, which
  is also the demo's natural as-of date);
* the validator has something to find: the small demo carries a short list of deliberate
  mistakes, :data:`PLANTED_PROBLEMS`, and is otherwise valid per the workbook contract, so the
  planted findings are the only findings.

The business story is kept plausible so the figures mean something: sales follow a seasonal
pattern (the Spring Festival dip, the year-end push) with growth, customers are concentrated
(a few large contractors, many small shops) so levels A/B/C separate, most customers pay within
their terms while some pay late and a few stop paying, prepayment-only customers pay before the
goods leave, about 3% of lines are returns, and shipments trail the sales, partly, near the end.

``build_demo(scale=True)`` writes the same company at benchmark size (50,000 customers, a
million sales lines) with the same kinds of mess at the same small rates, without planted
problems.  Money is generated as integer fen throughout and converted to what is written only
at the end, so a written number always rounds back to the exact fen and a written text form is
built from the integer, never from a float.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, NamedTuple, cast

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from salesxl.core.idrules import USCC_CHARSET, is_valid_phone, uscc_check_char

__all__ = [
    "COMPANY_NAME",
    "DEMO_END",
    "DEMO_START",
    "PLANTED_PROBLEMS",
    "SCALE_COUNTS",
    "SMALL_COUNTS",
    "DemoCounts",
    "ProgressCallback",
    "build_demo",
]

#: The demo's data runs for two years up to this date; it is also the demo's default as-of.
DEMO_END = date(2026, 10, 31)
#: First day of the demo's data.
DEMO_START = date(2024, 11, 1)
#: The invented company whose books these are.
COMPANY_NAME = "华东鑫达商贸有限公司"

#: ``progress(stage, done, total)``: called now and then so a command line can draw a bar.
ProgressCallback = Callable[[str, int, int], None]

# Workbook "created" property: fixed, so that the same seed gives the same bytes.
_CREATED = datetime(2026, 10, 31, 18, 0, 0)
_EPOCH = date(1970, 1, 1)
_START_DAY = (DEMO_START - _EPOCH).days
_END_DAY = (DEMO_END - _EPOCH).days
_EXCEL_EPOCH_OFFSET = 25569  # Excel serial number of 1970-01-01
_PROGRESS_EVERY = 10_000
_GENERATE = "生成数据"


@dataclass(frozen=True)
class DemoCounts:
    """How big the demo company is.

    ``receipts`` and ``shipments`` are targets for the benchmark book (``None`` lets the
    business rules decide: every shipped line is registered, every payment is a row).
    """

    customers: int
    salespeople: int
    sales_lines: int
    visits: int
    expenses: int
    receipts: int | None = None
    shipments: int | None = None


#: The small demo: quick to build, easy to read, with :data:`PLANTED_PROBLEMS`.
SMALL_COUNTS = DemoCounts(
    customers=400, salespeople=6, sales_lines=8_000, visits=1_500, expenses=900
)
#: The benchmark book (``build_demo(scale=True)``).
SCALE_COUNTS = DemoCounts(
    customers=50_000,
    salespeople=40,
    sales_lines=1_000_000,
    visits=80_000,
    expenses=20_000,
    receipts=600_000,
    shipments=300_000,
)


# --------------------------------------------------------------------------------------------
# Sheet layouts: where the header is, which title rows sit above it, where empty rows fall.
# They are fixed (not random) so that the Excel row of every planted problem is a constant.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    """How one sheet is laid out: its name as written, the rows above its header, empty rows.

    ``titles`` are the rows above the header ("" leaves the row empty); an empty row is left
    before data row ``i`` (0-based) whenever ``i % blank_period == blank_period // 2``.
    """

    canonical: str
    sheet: str
    titles: tuple[str, ...] = ()
    blank_period: int = 0

    @property
    def header_row(self) -> int:
        """The header's Excel row (1-based)."""
        return len(self.titles) + 1

    def excel_rows(self, n: int) -> np.ndarray:
        """Excel rows (1-based) of data rows ``0..n-1``, counting the empty rows left between."""
        index = np.arange(n, dtype=np.int64)
        blanks = np.zeros(n, dtype=np.int64)
        if self.blank_period:
            half = self.blank_period // 2
            blanks = np.where(index >= half, (index - half) // self.blank_period + 1, 0)
        return self.header_row + 1 + index + blanks

    def excel_row(self, i: int) -> int:
        """Excel row (1-based) of data row ``i``."""
        return int(self.excel_rows(i + 1)[-1])


_AS_OF_TEXT = f"{DEMO_END.year}年{DEMO_END.month}月{DEMO_END.day}日"
_LAYOUTS: dict[str, _Layout] = {
    "客户档案": _Layout(
        "客户档案",
        "客户档案",
        (f"{COMPANY_NAME}客户档案", f"制表日期：{_AS_OF_TEXT}　制表人：王敏"),
        157,
    ),
    "销售": _Layout(
        "销售", "销售", (f"{COMPANY_NAME}销售明细表", f"制表日期：{_AS_OF_TEXT}", ""), 2999
    ),
    "收款": _Layout("收款", "Receipts", (), 1999),
    "发货": _Layout("发货", "发货", ("发货登记表",), 2503),
    "拜访": _Layout("拜访", "Visits", ("Sales Visit Log 2024-2026",), 997),
    "费用": _Layout("费用", "费用", ("费用报销明细（2024.11–2026.10）",), 401),
    "目标": _Layout("目标", "目标 ", ("月度目标分解（2024.11–2026.10）",), 0),
    "业务员": _Layout("业务员", "业务员"),
    "参数": _Layout("参数", "参数"),
}


# Deliberate mistakes in the small demo: (sheet, 0-based data row, canonical field, code).
# Everything else in the small demo is valid, so these are exactly the validator's findings.
_PLANTS: tuple[tuple[str, int, str, str], ...] = (
    ("客户档案", 17, "联系电话", "bad-phone"),
    ("客户档案", 42, "统一社会信用代码", "bad-uscc"),
    ("客户档案", 77, "首次交易日期", "date-order"),
    ("客户档案", 150, "客户编号", "duplicate-id"),
    ("客户档案", 301, "客户名称", "possible-duplicate"),
    ("销售", 25, "金额", "amount-mismatch"),
    ("销售", 61, "金额", "bad-type"),
    ("销售", 93, "客户编号", "unknown-customer"),
    ("发货", 40, "批号", "missing-value"),
    ("发货", 70, "数量", "over-shipment"),
)
_PLANT_INDEX = {code: index for _, index, _, code in _PLANTS}
_ORIGINAL_OF_LOOKALIKE = 10  # the earlier card whose name the possible-duplicate card repeats
_UNKNOWN_CUSTOMER_ID = "KH08888"
_UNKNOWN_CUSTOMER_NAME = "宁波新星五金有限公司"

#: The small demo's deliberate mistakes: (canonical sheet, Excel row, canonical field, code).
PLANTED_PROBLEMS: list[tuple[str, int, str, str]] = [
    (sheet, _LAYOUTS[sheet].excel_row(index), field_name, code)
    for sheet, index, field_name, code in _PLANTS
]


# --------------------------------------------------------------------------------------------
# Reference data: geography, products, names.
# --------------------------------------------------------------------------------------------


class _City(NamedTuple):
    province: str
    city: str
    lat: float
    lon: float
    area_code: str
    admin_code: str
    zone: str
    weight: float
    districts: tuple[str, ...]


# fmt: off
_ZONES = ("浙北片区", "浙东片区", "苏南片区", "上海片区", "华南片区", "北方片区")
_CITIES: tuple[_City, ...] = (
    _City("浙江省", "杭州市", 30.274, 120.155, "0571", "330100", "浙北片区", 14, ("上城区", "拱墅区", "西湖区", "滨江区", "萧山区", "余杭区")),
    _City("浙江省", "嘉兴市", 30.746, 120.755, "0573", "330400", "浙北片区", 4, ("南湖区", "秀洲区", "海宁市", "桐乡市")),
    _City("浙江省", "绍兴市", 30.030, 120.580, "0575", "330600", "浙北片区", 4, ("越城区", "柯桥区", "上虞区", "诸暨市")),
    _City("浙江省", "宁波市", 29.868, 121.544, "0574", "330200", "浙东片区", 8, ("海曙区", "江北区", "鄞州区", "北仑区", "镇海区")),
    _City("浙江省", "温州市", 27.994, 120.699, "0577", "330300", "浙东片区", 4, ("鹿城区", "龙湾区", "瓯海区", "乐清市")),
    _City("浙江省", "金华市", 29.079, 119.647, "0579", "330700", "浙东片区", 3, ("婺城区", "金东区", "义乌市", "东阳市")),
    _City("浙江省", "台州市", 28.656, 121.421, "0576", "331000", "浙东片区", 3, ("椒江区", "黄岩区", "路桥区", "温岭市")),
    _City("江苏省", "苏州市", 31.299, 120.585, "0512", "320500", "苏南片区", 7, ("姑苏区", "虎丘区", "吴中区", "相城区", "吴江区", "昆山市")),
    _City("江苏省", "南京市", 32.060, 118.797, "025", "320100", "苏南片区", 5, ("玄武区", "秦淮区", "建邺区", "鼓楼区", "江宁区", "浦口区")),
    _City("江苏省", "无锡市", 31.491, 120.312, "0510", "320200", "苏南片区", 4, ("梁溪区", "滨湖区", "新吴区", "锡山区", "江阴市")),
    _City("江苏省", "常州市", 31.811, 119.974, "0519", "320400", "苏南片区", 3, ("天宁区", "钟楼区", "新北区", "武进区")),
    _City("江苏省", "南通市", 31.980, 120.894, "0513", "320600", "苏南片区", 2, ("崇川区", "通州区", "海门区", "如皋市")),
    _City("上海市", "上海市", 31.230, 121.474, "021", "310100", "上海片区", 9, ("黄浦区", "徐汇区", "长宁区", "静安区", "普陀区", "浦东新区", "闵行区", "嘉定区", "松江区", "宝山区")),
    _City("安徽省", "合肥市", 31.821, 117.227, "0551", "340100", "上海片区", 3, ("蜀山区", "包河区", "庐阳区", "瑶海区")),
    _City("安徽省", "芜湖市", 31.352, 118.433, "0553", "340200", "上海片区", 1.5, ("镜湖区", "弋江区", "鸠江区")),
    _City("福建省", "福州市", 26.074, 119.296, "0591", "350100", "华南片区", 2, ("鼓楼区", "台江区", "仓山区", "晋安区")),
    _City("福建省", "厦门市", 24.480, 118.089, "0592", "350200", "华南片区", 2, ("思明区", "湖里区", "集美区", "海沧区")),
    _City("福建省", "泉州市", 24.874, 118.676, "0595", "350500", "华南片区", 1.5, ("鲤城区", "丰泽区", "洛江区", "晋江市")),
    _City("广东省", "广州市", 23.129, 113.264, "020", "440100", "华南片区", 2.5, ("越秀区", "海珠区", "天河区", "白云区", "番禺区")),
    _City("广东省", "深圳市", 22.543, 114.058, "0755", "440300", "华南片区", 2.5, ("福田区", "罗湖区", "南山区", "宝安区", "龙岗区")),
    _City("广东省", "佛山市", 23.022, 113.122, "0757", "440600", "华南片区", 1.5, ("禅城区", "南海区", "顺德区")),
    _City("江西省", "南昌市", 28.682, 115.858, "0791", "360100", "华南片区", 1.5, ("东湖区", "西湖区", "青山湖区", "红谷滩区")),
    _City("湖南省", "长沙市", 28.228, 112.939, "0731", "430100", "华南片区", 1.5, ("芙蓉区", "天心区", "岳麓区", "开福区", "雨花区")),
    _City("山东省", "济南市", 36.651, 117.120, "0531", "370100", "北方片区", 2, ("历下区", "市中区", "槐荫区", "天桥区", "历城区")),
    _City("山东省", "青岛市", 36.067, 120.383, "0532", "370200", "北方片区", 2, ("市南区", "市北区", "黄岛区", "崂山区", "城阳区")),
    _City("北京市", "北京市", 39.904, 116.407, "010", "110100", "北方片区", 2, ("东城区", "西城区", "朝阳区", "海淀区", "丰台区")),
    _City("河南省", "郑州市", 34.746, 113.625, "0371", "410100", "北方片区", 1.5, ("中原区", "二七区", "金水区", "管城回族区")),
    _City("湖北省", "武汉市", 30.593, 114.305, "027", "420100", "北方片区", 2, ("江岸区", "江汉区", "武昌区", "洪山区", "汉阳区")),
    _City("四川省", "成都市", 30.573, 104.066, "028", "510100", "北方片区", 1.5, ("锦江区", "青羊区", "金牛区", "武侯区", "成华区")),
)
_WAREHOUSE_OF_ZONE = {
    "浙北片区": "杭州总仓",
    "上海片区": "杭州总仓",
    "北方片区": "杭州总仓",
    "浙东片区": "宁波仓",
    "华南片区": "宁波仓",
    "苏南片区": "苏州仓",
}


class _Product(NamedTuple):
    name: str
    spec: str
    unit: str
    price_fen: int  # list price
    step10: int  # smallest quantity, in tenths: 10 = whole units, 5 = halves
    typical_qty: float
    popularity: float


_PRODUCTS: tuple[_Product, ...] = (
    _Product("不锈钢球阀", "DN15", "个", 4800, 10, 40, 6),
    _Product("不锈钢球阀", "DN20", "个", 6500, 10, 40, 7),
    _Product("不锈钢球阀", "DN25", "个", 8900, 10, 30, 5),
    _Product("不锈钢球阀", "DN50", "个", 23500, 10, 10, 3),
    _Product("铜截止阀", "DN20", "个", 5600, 10, 30, 4),
    _Product("PPR给水管", "20×2.8mm", "米", 650, 10, 300, 6),
    _Product("PPR给水管", "25×3.5mm", "米", 980, 10, 250, 5),
    _Product("PVC排水管", "Φ110×3.2", "根", 4200, 10, 60, 4),
    _Product("镀锌钢管", "DN25", "根", 17500, 10, 30, 3),
    _Product("不锈钢管", "304 Φ32×1.5", "米", 4260, 5, 60, 2),
    _Product("铜芯电线", "BV-2.5", "卷", 28500, 10, 20, 7),
    _Product("铜芯电线", "BV-4", "卷", 45800, 10, 12, 5),
    _Product("电力电缆", "YJV-3×35+1×16", "米", 13860, 5, 80, 3),
    _Product("空气开关", "DZ47-63 C32", "个", 2150, 10, 50, 6),
    _Product("漏电保护器", "DZ47LE-32 C20", "个", 4600, 10, 30, 4),
    _Product("LED面板灯", "600×600 48W", "套", 12800, 10, 30, 4),
    _Product("劳保手套", "浸胶耐磨", "打", 3600, 10, 40, 6),
    _Product("安全帽", "ABS 国标", "顶", 2800, 10, 40, 5),
    _Product("反光背心", "XL", "件", 1500, 10, 50, 3),
    _Product("防水涂料", "JS-II 20kg", "桶", 26000, 10, 20, 4),
    _Product("结构胶", "硅酮 300ml", "支", 1850, 10, 100, 4),
    _Product("焊条", "J422 Φ3.2", "公斤", 1260, 5, 50, 3),
    _Product("不锈钢螺栓", "M12×50", "盒", 9600, 10, 10, 4),
    _Product("膨胀螺丝", "M10×100", "盒", 6800, 10, 15, 4),
    _Product("钢丝绳", "Φ12", "米", 1480, 5, 100, 2),
    _Product("消防水带", "DN65 25米", "卷", 16500, 10, 10, 3),
    _Product("灭火器", "MFZ/ABC4", "具", 9800, 10, 15, 3),
    _Product("角磨机", "S1M-100A", "台", 32800, 10, 3, 2),
    _Product("电动扳手", "P1B-22", "台", 45600, 10, 2, 1.5),
    _Product("潜水泵", "QDX15-10", "台", 68000, 10, 2, 1.5),
    _Product("离心水泵", "ISG50-160", "台", 286000, 10, 1, 0.8),
)

_SURNAMES = tuple("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石")
_GIVEN = tuple("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文辉红玉兰志新宇浩然轩涵诺欣怡晨阳燕春梅凤林斌波东鹏飞雪琳婷倩颖慧晓亮")
_BRAND = tuple("明辉恒达鑫源华通永盛宏远金瑞天成嘉诚信博正泰德丰立中联宇海川东方宝世凯旋鼎锐安众合创卓越航力美亚隆兴晟昌")
_TRADES = ("贸易", "五金", "机电", "建材", "水暖", "电气", "工程", "机械", "科技", "实业", "安装", "装饰", "物资", "设备", "环保", "消防", "管道", "电力", "建设", "供应链")
_GOV_DEPTS = ("教育局", "卫生健康局", "住房和城乡建设局", "交通运输局", "水利局", "城市管理局", "市场监督管理局", "应急管理局", "机关事务管理局", "市政工程管理处", "园林绿化管理站", "公共资源交易中心")
_PUBLIC_UNITS = ("人民医院", "中医医院", "妇幼保健院", "疾病预防控制中心", "实验小学", "职业技术学校", "图书馆", "体育中心")
_STREETS = ("人民路", "解放路", "中山路", "建设路", "文化路", "和平路", "新华路", "长江路", "黄河路", "学院路", "工业路", "科技路", "创业大道", "环城北路", "滨江大道", "东方路", "金山路", "湖滨路", "兴业街", "振兴路", "开发大道", "纬二路", "经三路", "迎宾大道", "世纪大道", "广场路", "园区路", "春晖路", "光明路", "通江路")
_ADDRESS_TAILS = ("", "", "", "{b}幢{room}室", "工业园{b}号厂房", "{b}楼", "创业园A区{b}栋")
_INDUSTRIES = {
    "company": ("建筑工程", "装饰装修", "机械制造", "电气安装", "市政工程", "物业管理", "批发零售", "化工", "食品加工", "汽车配件", "电子制造", "水利水电", "房地产开发"),
    "gov": ("政府机关", "教育", "医疗卫生", "公共管理"),
    "person": ("个体经营", "装修工长", "水电安装"),
    "partner": ("批发零售", "物流运输", "工程承包"),
}
_NOTES = ("老客户，按月对账", "需开增值税专用发票", "送货前电话联系", "仓库周日不收货", "付款走承兑", "集团统一采购", "项目制采购", "只收现款", "合同每年三月续签", "对账联系财务部")
_CLERKS = ("王敏", "周丽", "孙芳")
_SALES_NOTES = ("含运费", "急单", "样品转正式订单", "客户自提", "月结", "分批送货")
_RETURN_NOTES = ("退货：质量问题", "退货：型号不符", "退货：多发", "退货")

# Customer natures: (canonical Chinese, English, share of customers).
_NATURES = (
    ("一般公司", "General Company", 0.68),
    ("合作伙伴", "Partner", 0.08),
    ("特殊公司", "Special Company", 0.05),
    ("政府机构", "Government", 0.06),
    ("个人", "Individual", 0.13),
)
_COMPANY, _PARTNER, _SPECIAL, _GOV, _PERSON = range(5)

#: Areas whose local numbers have 7 digits (libphonenumber's CN metadata); elsewhere 8.
_SEVEN_DIGIT_AREAS = frozenset({"0553", "0592"})
_MOBILE_PREFIXES = (130, 131, 132, 133, 135, 136, 137, 138, 139, 150, 151, 152, 153, 155, 156, 157, 158, 159, 166, 173, 177, 180, 181, 182, 183, 185, 186, 187, 188, 189, 191, 198, 199)
# fmt: on


# --------------------------------------------------------------------------------------------
# Small helpers: dates, money, text.
# --------------------------------------------------------------------------------------------


def _days_to_ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day arrays of days since 1970-01-01 (vectorised)."""
    dt = np.asarray(days, dtype="int64").astype("datetime64[D]")
    months = dt.astype("datetime64[M]")
    year = months.astype("int64") // 12 + 1970
    month = months.astype("int64") % 12 + 1
    day = (dt - months.astype("datetime64[D]")).astype("int64") + 1
    return year, month, day


def _day(d: date) -> int:
    return (d - _EPOCH).days


def _yuan_text(fen: int, thousands: bool = True) -> str:
    """``1,234.50`` (or ``1234.50``) from integer fen: exact, never through a float."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{yuan:,}.{cents:02d}" if thousands else f"{sign}{yuan}.{cents:02d}"


def _wan_text(fen: int) -> str | None:
    """``1.2万`` for 12,000.00, when the amount is whole hundreds of yuan (so exact); else None."""
    if fen <= 0 or fen % 10_000:
        return None
    hundreds = fen // 10_000  # amount in hundreds of yuan; 万 = 100 hundreds
    whole, frac = divmod(hundreds, 100)
    return f"{whole}万" if frac == 0 else f"{whole}.{frac:02d}".rstrip("0") + "万"


_FULL_WIDTH = str.maketrans("0123456789,", "０１２３４５６７８９，")


def _amount_text(fen: int, kind: int) -> str:
    """One of the text forms people type an amount in; ``kind`` picks which."""
    if kind == 0:
        return _yuan_text(fen)
    if kind == 1:
        return "¥" + _yuan_text(fen)
    if kind == 2:
        return "￥" + _yuan_text(fen, thousands=False)
    if kind == 3:
        return _yuan_text(fen, thousands=False).translate(_FULL_WIDTH)
    if kind == 4:
        return _wan_text(fen) or _yuan_text(fen)
    return _yuan_text(fen, thousands=False) + "元"


def _pad(text: str, kind: int) -> str:
    """Surround ``text`` with the invisible spaces that creep into typed cells."""
    return ("　" + text, text + "　", " " + text + " ", "　" + text + " ")[kind % 4]


def _padded(
    rng: np.random.Generator, values: Sequence[str | None], rate: float
) -> list[str | None]:
    """``values`` with a small share padded by half- and full-width spaces."""
    out = list(values)
    hits = np.flatnonzero(rng.random(len(out)) < rate)
    kinds = rng.integers(0, 4, len(hits))
    for i, kind in zip(hits.tolist(), kinds.tolist(), strict=True):
        value = out[i]
        if value:
            out[i] = _pad(value, kind)
    return out


def _texts(values: pd.Series) -> list[str | None]:
    """A text column as a list for writing, missing values (NaN, None, NA) as ``None``.

    pandas stores ``None`` in a string column as NaN; written as is, that would be a number.
    """
    return [v if isinstance(v, str) else None for v in values.tolist()]


def _person_names(rng: np.random.Generator, n: int) -> list[str]:
    """Chinese personal names (not unique): a surname and one or two given characters."""
    sur = rng.integers(0, len(_SURNAMES), n)
    g1 = rng.integers(0, len(_GIVEN), n)
    g2 = rng.integers(0, len(_GIVEN), n)
    two = rng.random(n) < 0.6
    return [
        _SURNAMES[s] + _GIVEN[a] + (_GIVEN[b] if t else "")
        for s, a, b, t in zip(sur.tolist(), g1.tolist(), g2.tolist(), two.tolist(), strict=True)
    ]


def _org_code(body: int) -> str:
    """A 9-character organisation code (GB 11714): 8 digits and their check character."""
    digits = f"{body:08d}"
    total = sum(int(d) * w for d, w in zip(digits, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    check = 11 - total % 11
    return digits + ("X" if check == 10 else "0" if check == 11 else str(check))


# --------------------------------------------------------------------------------------------
# Generation: pure numpy/pandas, one function per sheet.  Days are integers since 1970-01-01,
# money is integer fen, quantities are integer tenths (qty10).
# --------------------------------------------------------------------------------------------


def _gen_salespeople(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """The sales team: names, zones, commission rates (half typed as ``3%``), mobiles."""
    fixed = ("王建军", "李静", "张伟", "陈晓燕", "刘洋", "赵磊")
    names: list[str] = list(fixed[: min(n, len(fixed))])
    seen = set(names)
    while len(names) < n:
        (candidate,) = _person_names(rng, 1)
        if len(candidate) == 3 and candidate not in seen:
            seen.add(candidate)
            names.append(candidate)
    rates = rng.choice(np.array([0.02, 0.025, 0.03, 0.035]), n)
    as_text = rng.random(n) < 0.5
    rate_cells: list[Any] = [
        f"{r * 100:g}%" if t else float(r)
        for r, t in zip(rates.tolist(), as_text.tolist(), strict=True)
    ]
    mobiles = rng.choice(10**8, n, replace=False)
    hired = rng.integers(_day(date(2012, 3, 1)), _day(date(2024, 6, 30)), n)
    return pd.DataFrame(
        {
            "name": names,
            "zone": [_ZONES[i % len(_ZONES)] for i in range(n)],
            "rate": rates,
            "rate_cell": rate_cells,
            "mobile": [f"139{m:08d}" for m in mobiles.tolist()],
            "hired": hired,
        }
    )


class _NameMaker:
    """Unique customer names, unique *after* the duplicate detector's normalisation.

    The contract warns ``possible-duplicate`` when two cards' names are equal once spaces,
    brackets and company suffixes are stripped, so uniqueness is kept on that stem: the demo
    must not trigger the warning by accident.
    """

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.stems: set[str] = set()

    def _take(self, stem: str) -> bool:
        if stem in self.stems:
            return False
        self.stems.add(stem)
        return True

    def company(self, city: _City, suffix: str) -> str:
        short = city.city.removesuffix("市")
        while True:
            a, b = self.rng.choice(len(_BRAND), 2, replace=False).tolist()
            trade = _TRADES[int(self.rng.integers(len(_TRADES)))]
            stem = f"{short}{_BRAND[a]}{_BRAND[b]}{trade}"
            if self._take(stem):
                return stem + suffix

    def government(self, city: _City) -> tuple[str, bool]:
        """A government body or public institution; the flag says "public institution"."""
        while True:
            district = city.districts[int(self.rng.integers(len(city.districts)))]
            # A county-level city stands on its own (义乌市…); a district needs its city.
            prefix = district if district.endswith("市") else city.city + district
            roll = self.rng.random()
            if roll < 0.5:
                unit, public = _GOV_DEPTS[int(self.rng.integers(len(_GOV_DEPTS)))], False
            elif roll < 0.8:
                unit, public = _PUBLIC_UNITS[int(self.rng.integers(len(_PUBLIC_UNITS)))], True
            else:
                kind = ("中学", "小学")[int(self.rng.integers(2))]
                unit, public = f"第{int(self.rng.integers(1, 40))}{kind}", True
            name = prefix + unit
            if self._take(name):
                return name, public

    def person(self) -> str:
        while True:
            (name,) = _person_names(self.rng, 1)
            if self._take(name):
                return name


@dataclass
class _Customers:
    """The customer archive plus the hidden traits that drive sales and payments."""

    table: pd.DataFrame
    #: indices (into ``table``) of cards that may buy; the rest are prospects or planted extras
    buyers: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def _gen_customers(
    rng: np.random.Generator, n: int, salespeople: pd.DataFrame, plant: bool
) -> _Customers:
    """The 客户档案 cards: who they are, where, how they pay, who serves them."""
    extras = {_PLANT_INDEX["duplicate-id"], _PLANT_INDEX["possible-duplicate"]} if plant else set()
    total = n + len(extras)
    forced_company = (
        {_PLANT_INDEX[c] for c in ("bad-phone", "bad-uscc", "date-order")}
        | {_ORIGINAL_OF_LOOKALIKE}
        if plant
        else set()
    )

    city_weights = np.array([c.weight for c in _CITIES])
    city_idx = rng.choice(len(_CITIES), total, p=city_weights / city_weights.sum())
    nature = rng.choice(len(_NATURES), total, p=[s for *_, s in _NATURES])
    # Lifecycle: 0 prospect, 1 long-standing, 2 new in the window, 3 lost during the window.
    life = rng.choice(4, total, p=[0.08, 0.55, 0.25, 0.12])
    for i in forced_company:
        nature[i], life[i] = _COMPANY, 1
    for i in extras:  # the planted extra cards are companies nobody has sold to yet
        nature[i], life[i] = _COMPANY, 0
    weight = rng.lognormal(0.0, 1.3, total) * np.where(np.isin(nature, [_GOV, _SPECIAL]), 1.6, 1.0)
    weight = np.where(nature == _PERSON, weight * 0.3, weight)

    first_trade = np.where(
        life == 2,
        rng.integers(_START_DAY, _END_DAY - 20, total),
        rng.integers(_day(date(2012, 1, 1)), _START_DAY - 1, total),
    )
    active_start = np.maximum(first_trade, _START_DAY)
    active_end = np.where(
        life == 3, rng.integers(_START_DAY + 60, _START_DAY + 420, total), _END_DAY
    )
    anchor = np.where(life == 0, _END_DAY - 30, first_trade)
    founded = anchor - rng.integers(90, 9000, total)
    founded = np.where(
        nature == _GOV, rng.integers(_day(date(1955, 1, 1)), _day(date(1998, 1, 1)), total), founded
    )
    founded = np.minimum(founded, anchor - 60)

    table = pd.DataFrame(
        {
            "city_idx": city_idx,
            "nature": nature,
            "life": life,
            "weight": weight,
            "first_trade": np.where(life == 0, -1, first_trade),
            "active_start": active_start,
            "active_end": active_end,
            "founded": np.where(nature == _PERSON, -1, founded),
        }
    )
    _add_customer_identity(rng, table, plant, extras)
    _add_customer_contacts(rng, table, {_PLANT_INDEX["bad-phone"]} if plant else set())
    _add_customer_terms(rng, table, salespeople)
    buyers = np.flatnonzero(table["life"].to_numpy() != 0)
    return _Customers(table=table, buyers=buyers)


def _add_customer_identity(
    rng: np.random.Generator, table: pd.DataFrame, plant: bool, extras: set[int]
) -> None:
    """IDs, names, USCCs, industries and organisation types."""
    total = len(table)
    maker = _NameMaker(rng)
    suffix_roll = rng.random(total)
    names: list[str] = []
    public: list[bool] = []
    for i, (ci, nat) in enumerate(
        zip(table["city_idx"].tolist(), table["nature"].tolist(), strict=True)
    ):
        city = _CITIES[ci]
        if nat == _PERSON:
            names.append(maker.person())
            public.append(False)
        elif nat == _GOV:
            name, is_public = maker.government(city)
            names.append(name)
            public.append(is_public)
        else:
            share = nat == _COMPANY and suffix_roll[i] < 0.15
            suffix = (
                "股份有限公司"
                if share
                else ("有限责任公司" if suffix_roll[i] > 0.85 else "有限公司")
            )
            names.append(maker.company(city, suffix))
            public.append(False)
    if plant:
        original = names[_ORIGINAL_OF_LOOKALIKE]
        stem = (
            original.removesuffix("股份有限公司")
            .removesuffix("有限责任公司")
            .removesuffix("有限公司")
        )
        # Same company typed again: a space, the other suffix.  Equal after normalisation.
        names[_PLANT_INDEX["possible-duplicate"]] = f"{stem[:2]} {stem[2:]}有限责任公司"

    regular = [i for i in range(total) if i not in extras]
    ids = [""] * total
    for k, i in enumerate(regular):
        ids[i] = f"KH{k + 1:05d}"
    if plant:
        dup = _PLANT_INDEX["duplicate-id"]
        ids[dup] = ids[dup - 1]
        ids[_PLANT_INDEX["possible-duplicate"]] = f"KH{len(regular) + 1:05d}"

    nature = table["nature"].to_numpy()
    english = rng.random(total) < 0.04
    table["id"] = ids
    table["name"] = names
    table["nature_text"] = [
        _NATURES[nat][1] if en else _NATURES[nat][0]
        for nat, en in zip(nature.tolist(), english.tolist(), strict=True)
    ]
    table["uscc"] = _usccs(rng, table, public)
    kind = np.where(
        nature == _GOV,
        "gov",
        np.where(nature == _PERSON, "person", np.where(nature == _PARTNER, "partner", "company")),
    )
    roll = rng.random(total)
    table["industry"] = [
        _gov_industry(name) if k == "gov" else _INDUSTRIES[k][int(r * len(_INDUSTRIES[k]))]
        for k, name, r in zip(kind.tolist(), names, roll.tolist(), strict=True)
    ]
    table["org_type"] = [
        _org_type(nat, name, uscc, pub, r)
        for nat, name, uscc, pub, r in zip(
            nature.tolist(),
            names,
            _texts(table["uscc"]),
            public,
            rng.random(total).tolist(),
            strict=True,
        )
    ]


def _gov_industry(name: str) -> str:
    """A public body's line of work, read off its name (医院 → 医疗卫生, 学校 → 教育)."""
    if any(word in name for word in ("医院", "保健院", "疾病")):
        return "医疗卫生"
    if "学" in name:  # 小学, 中学, 职业技术学校
        return "教育"
    return "政府机关" if name.endswith("局") else "公共管理"


def _org_type(nature: int, name: str, uscc: str | None, public: bool, roll: float) -> str:
    if nature == _GOV:
        return "事业单位" if public else "机关"
    if nature == _PERSON:
        return "个体工商户" if uscc else "自然人"
    if name.endswith("股份有限公司"):
        return "股份有限公司"
    if nature == _SPECIAL:
        return ("国有企业", "外商投资企业", "中外合资经营企业")[int(roll * 3)]
    return "有限责任公司"


def _usccs(rng: np.random.Generator, table: pd.DataFrame, public: list[bool]) -> list[str | None]:
    """Valid, unique credit codes: registry + category + admin code + org code + check char.

    Companies are ``91…``, sole traders ``92…``, government bodies ``11…`` and public
    institutions ``12…``; most individuals have none.
    """
    total = len(table)
    bodies = rng.choice(10**8, total, replace=False)
    has_code = rng.random(total) < 0.3
    out: list[str | None] = []
    for i, (ci, nat) in enumerate(
        zip(table["city_idx"].tolist(), table["nature"].tolist(), strict=True)
    ):
        if nat == _PERSON and not has_code[i]:
            out.append(None)
            continue
        head = {_GOV: "12" if public[i] else "11", _PERSON: "92"}.get(nat, "91")
        body = head + _CITIES[ci].admin_code + _org_code(int(bodies[i]))
        out.append(body + uscc_check_char(body))
    return out


def _add_customer_contacts(
    rng: np.random.Generator, table: pd.DataFrame, force_mobile: set[int]
) -> None:
    """People, phones, addresses and coordinates (``force_mobile``: cards that get a mobile)."""
    total = len(table)
    nature = table["nature"].to_numpy()
    legal, owner, manager = (_person_names(rng, total) for _ in range(3))
    same_owner = rng.random(total) < 0.3
    table["legal_rep"] = [
        None if nat == _PERSON else p for nat, p in zip(nature.tolist(), legal, strict=True)
    ]
    table["owner"] = [
        name if nat == _PERSON else (legal[i] if same_owner[i] else owner[i])
        for i, (nat, name) in enumerate(zip(nature.tolist(), table["name"].tolist(), strict=True))
    ]
    table["manager"] = [
        m if r < 0.8 else None for m, r in zip(manager, rng.random(total).tolist(), strict=True)
    ]
    table["phone"], table["phone_kind"] = _phones(rng, table, force_mobile)

    districts: list[str] = []
    addresses: list[str] = []
    street = rng.integers(0, len(_STREETS), total)
    number = rng.integers(1, 999, total)
    tail = rng.integers(0, len(_ADDRESS_TAILS), total)
    b = rng.integers(1, 30, total)
    room = rng.integers(101, 2208, total)
    with_province = rng.random(total) < 0.6
    district_roll = rng.random(total)
    for i, (ci, name) in enumerate(
        zip(table["city_idx"].tolist(), table["name"].tolist(), strict=True)
    ):
        city = _CITIES[ci]
        # A government body sits in the district its name says (杭州市西湖区教育局 → 西湖区).
        district = next((d for d in city.districts if d in name), None)
        district = district or city.districts[int(district_roll[i] * len(city.districts))]
        districts.append(district)
        head = city.province if with_province[i] and city.province != city.city else ""
        tail_text = _ADDRESS_TAILS[tail[i]].format(b=b[i], room=room[i])
        addresses.append(
            f"{head}{city.city}{district}{_STREETS[street[i]]}{number[i]}号{tail_text}"
        )
    table["district"] = districts
    table["address"] = addresses
    centre_lat = np.array([_CITIES[c].lat for c in table["city_idx"]])
    centre_lon = np.array([_CITIES[c].lon for c in table["city_idx"]])
    table["lat"] = np.round(centre_lat + np.clip(rng.normal(0, 0.06, total), -0.2, 0.2), 6)
    table["lon"] = np.round(centre_lon + np.clip(rng.normal(0, 0.06, total), -0.2, 0.2), 6)
    table["has_coords"] = rng.random(total) < 0.85


def _phones(
    rng: np.random.Generator, table: pd.DataFrame, force_mobile: set[int]
) -> tuple[list[str], list[str]]:
    """A unique phone per card, written the way people write them.

    Numbers are drawn without replacement per kind (mobile, landline, 400/800), so no two
    cards share a number under any normalisation and the duplicate detector stays quiet.
    """
    total = len(table)
    nature = table["nature"].to_numpy()
    roll = rng.random(total)
    kind = np.where(
        nature == _PERSON,
        "mobile",
        np.where(
            nature == _GOV,
            np.where(roll < 0.9, "landline", "mobile"),
            np.where(roll < 0.45, "landline", np.where(roll < 0.87, "mobile", "service")),
        ),
    )
    kind[sorted(force_mobile)] = "mobile"
    mobile_numbers = rng.choice(len(_MOBILE_PREFIXES) * 10**8, total, replace=False)
    local_numbers = rng.choice(8 * 10**7, total, replace=False) + 2 * 10**7
    service_numbers = rng.choice(10**7, total, replace=False)
    style = rng.random(total)
    ext = rng.integers(100, 999, total)
    out: list[str] = []
    seen_landlines: set[str] = set()
    for i, k in enumerate(kind.tolist()):
        s = style[i]
        if k == "mobile":
            prefix, sub = divmod(int(mobile_numbers[i]), 10**8)
            digits = f"{_MOBILE_PREFIXES[prefix]}{sub:08d}"
            if s < 0.7:
                out.append(digits)
            elif s < 0.8:
                out.append(f"{digits[:3]} {digits[3:7]} {digits[7:]}")
            elif s < 0.88:
                out.append(f"{digits[:3]}-{digits[3:7]}-{digits[7:]}")
            elif s < 0.95:
                out.append(f"+86 {digits}")
            else:
                out.append(f"86-{digits}")
        elif k == "landline":
            area = _CITIES[table["city_idx"].iat[i]].area_code
            number = _local_number(area, int(local_numbers[i]), seen_landlines)
            if s >= 0.93:
                out.append(f"({area}){number}")
            elif s < 0.75:
                out.append(f"{area}-{number}")
            elif s < 0.85:
                out.append(f"{area}-{number}-{ext[i]}")
            else:
                out.append(f"{area}-{number}转{ext[i]}")
        else:
            head = "400" if s < 0.8 else "800"
            body = f"{int(service_numbers[i]):07d}"
            out.append(
                f"{head}-{body[:3]}-{body[3:]}" if s < 0.6 or 0.8 <= s < 0.9 else f"{head}{body}"
            )
    return out, kind.tolist()


def _local_number(area: str, local: int, seen: set[str]) -> str:
    """A local number for ``area`` drawn from ``local`` (2·10⁷ … 10⁸−1) that exists in China's
    numbering plan (the right length for the area, a block in use) and is not in ``seen``.

    Most draws are used as they are; a draw in an unused block (Shanghai's 800…, say) or a
    repeat moves its leading digits on until it is valid, so the demo never holds a number
    that cannot be dialled, and stays deterministic.
    """
    width = 7 if area in _SEVEN_DIGIT_AREAS else 8
    tail = local % 10**6
    head = local // 10**6 if width == 8 else local // 10**7  # 20..99, or 2..9
    span = 80 if width == 8 else 8
    low = 20 if width == 8 else 2
    for step in range(span):
        number = f"{low + (head - low + step) % span}{tail:06d}"
        if f"{area}{number}" not in seen and is_valid_phone(f"{area}-{number}"):
            seen.add(f"{area}{number}")
            return number
    raise AssertionError(f"no valid local number near {local} in area {area}")  # pragma: no cover


def _district_short(district: str) -> str:
    """The district as a sub-zone name: 西湖区 → 西湖, but 浦东新区 stays whole (浦东新 is no name)."""
    return district if district.endswith("新区") or len(district) <= 2 else district.removesuffix("区")


def _add_customer_terms(
    rng: np.random.Generator, table: pd.DataFrame, salespeople: pd.DataFrame
) -> None:
    """Salesperson, payment terms, payment habits, zone and notes (credit comes after sales)."""
    total = len(table)
    by_zone: dict[str, list[int]] = {}
    for i, zone in enumerate(salespeople["zone"].tolist()):
        by_zone.setdefault(zone, []).append(i)
    pick = rng.random(total)
    rep_idx = []
    for ci, r in zip(table["city_idx"].tolist(), pick.tolist(), strict=True):
        pool = by_zone.get(_CITIES[ci].zone) or list(range(len(salespeople)))
        rep_idx.append(pool[int(r * len(pool))])
    table["rep_idx"] = rep_idx
    table["rep"] = salespeople["name"].to_numpy()[rep_idx]
    nature = table["nature"].to_numpy()
    terms = rng.choice(np.array([30, 60, 90, -1]), total, p=[0.45, 0.30, 0.10, 0.15])
    table["terms"] = terms  # -1: blank, which means 30
    table["terms_eff"] = np.where(terms < 0, 30, terms)
    # Prepayment-only customers (blank credit limit): many individuals, some small firms.
    prepay = np.where(nature == _PERSON, rng.random(total) < 0.7, rng.random(total) < 0.12)
    table["prepay"] = prepay & (nature != _GOV)
    # Payment habit of credit customers: 0 prompt, 1 slow, 2 stops paying at trouble_day.
    table["habit"] = rng.choice(3, total, p=[0.65, 0.26, 0.09])
    table["trouble_day"] = rng.integers(_END_DAY - 270, _END_DAY - 60, total)
    table["discount"] = np.where(rng.random(total) < 0.3, 1.0, rng.uniform(0.85, 0.98, total))
    # 片区 is filled in for one card in ten: a local sub-zone (杭州西湖) or the rep's zone.
    zone_roll = rng.random(total)
    rep_zones = salespeople["zone"].to_numpy()[rep_idx].tolist()
    zone_cells: list[str | None] = []
    for ci, district, r, rep_zone in zip(
        table["city_idx"].tolist(),
        table["district"].tolist(),
        zone_roll.tolist(),
        rep_zones,
        strict=True,
    ):
        if r < 0.05:
            zone_cells.append(_CITIES[ci].city.removesuffix("市") + _district_short(district))
        elif r < 0.1:
            zone_cells.append(rep_zone)
        else:
            zone_cells.append(None)
    table["zone_cell"] = zone_cells
    note_roll = rng.random(total)
    table["note"] = [
        _NOTES[int(r * 100) % len(_NOTES)] if r < 0.1 else None for r in note_roll.tolist()
    ]
    table["clerk"] = [_CLERKS[int(r * 2)] for r in rng.random(total).tolist()]
    assets = np.round(
        rng.lognormal(np.log(3e7), 1.2, total) * table["weight"].to_numpy() ** 0.3, -4
    )
    table["assets_fen"] = np.where(
        (nature == _PERSON) | (rng.random(total) < 0.1), -1, assets * 100
    ).astype(np.int64)


_MONTH_FACTOR = np.array([0.9, 0.55, 1.1, 1.05, 1.05, 1.1, 0.9, 0.9, 1.05, 0.85, 1.1, 1.25])
_WEEKDAY_FACTOR = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.35, 0.1])  # Monday first
_HOLIDAYS = (
    (date(2025, 1, 27), date(2025, 2, 5)),
    (date(2026, 2, 14), date(2026, 2, 23)),
    (date(2025, 10, 1), date(2025, 10, 7)),
    (date(2026, 10, 1), date(2026, 10, 7)),
)


def _day_probabilities() -> tuple[np.ndarray, np.ndarray]:
    """Every day of the window and how likely an order is on it: season, weekday, growth."""
    days = np.arange(_START_DAY, _END_DAY + 1)
    _, month, _ = _days_to_ymd(days)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday
    w = _MONTH_FACTOR[month - 1] * _WEEKDAY_FACTOR[weekday] * (1 + 0.12 * (days - _START_DAY) / 365)
    for lo, hi in _HOLIDAYS:
        w[(days >= _day(lo)) & (days <= _day(hi))] *= 0.05
    return days, w / w.sum()


def _assign_customers(
    rng: np.random.Generator, doc_days: np.ndarray, customers: _Customers
) -> np.ndarray:
    """A customer for each order date, by weight, among those active on that date."""
    t = customers.table
    buyers = customers.buyers
    p = t["weight"].to_numpy()[buyers]
    p = p / p.sum()
    start = t["active_start"].to_numpy()
    end = t["active_end"].to_numpy()
    out = np.full(len(doc_days), -1, dtype=np.int64)
    todo = np.arange(len(doc_days))
    for _ in range(40):
        if not len(todo):
            break
        pick = buyers[rng.choice(len(buyers), len(todo), p=p)]
        ok = (start[pick] <= doc_days[todo]) & (doc_days[todo] <= end[pick])
        out[todo[ok]] = pick[ok]
        todo = todo[~ok]
    if len(todo):  # very late or very early dates with few active customers: any active one
        always = buyers[(start[buyers] <= _START_DAY) & (end[buyers] >= _END_DAY)]
        out[todo] = always[rng.integers(0, len(always), len(todo))]
    return out


def _doc_numbers(prefix: str, days: np.ndarray) -> list[str]:
    """``XS20260305-0003``: a prefix, the date and the document's sequence that day.

    ``days`` must be sorted; the sequence restarts every day.
    """
    y, m, d = _days_to_ymd(days)
    change = np.r_[True, days[1:] != days[:-1]]
    starts = np.flatnonzero(change)
    seq = np.arange(len(days)) - np.repeat(starts, np.diff(np.r_[starts, len(days)])) + 1
    return [
        f"{prefix}{yy}{mm:02d}{dd:02d}-{s:04d}"
        for yy, mm, dd, s in zip(y.tolist(), m.tolist(), d.tolist(), seq.tolist(), strict=True)
    ]


def _distinct_items(rng: np.random.Generator, doc: np.ndarray, p: np.ndarray) -> np.ndarray:
    """An item per line, by popularity, never the same item twice in one document."""
    items = rng.choice(len(p), len(doc), p=p)
    for _ in range(50):
        dup = pd.DataFrame({"doc": doc, "item": items}).duplicated().to_numpy()
        if not dup.any():
            return items
        items[dup] = rng.choice(len(p), int(dup.sum()), p=p)
    dup = pd.DataFrame({"doc": doc, "item": items}).duplicated().to_numpy()
    while dup.any():  # deterministic fallback: step to the next item
        items[dup] = (items[dup] + 1) % len(p)
        dup = pd.DataFrame({"doc": doc, "item": items}).duplicated().to_numpy()
    return items


def _gen_sales(rng: np.random.Generator, counts: DemoCounts, customers: _Customers) -> pd.DataFrame:
    """Sales lines: documents of 1–5 lines, seasonal and concentrated, plus ~3% returns."""
    n_returns = round(counts.sales_lines * 0.03)
    n_positive = counts.sales_lines - n_returns
    sizes = rng.choice(np.arange(1, 6), n_positive, p=[0.35, 0.25, 0.18, 0.12, 0.10])
    cut = int(np.searchsorted(np.cumsum(sizes), n_positive))
    sizes = sizes[: cut + 1]
    sizes[-1] -= int(sizes.sum()) - n_positive
    days, p_day = _day_probabilities()
    doc_days = np.sort(rng.choice(days, len(sizes), p=p_day))
    doc_cust = _assign_customers(rng, doc_days, customers)
    doc_no = np.array(_doc_numbers("XS", doc_days), dtype=object)

    doc = np.repeat(np.arange(len(sizes)), sizes)
    pop = np.array([pr.popularity for pr in _PRODUCTS])
    items = _distinct_items(rng, doc, pop / pop.sum())
    cust = doc_cust[doc]
    line_days = doc_days[doc]
    t = customers.table
    size_factor = (t["weight"].to_numpy()[cust]) ** 0.35
    typical = np.array([pr.typical_qty for pr in _PRODUCTS])[items]
    raw = rng.lognormal(np.log(typical * size_factor), 0.6)
    step10 = np.array([pr.step10 for pr in _PRODUCTS])[items]
    roundish = (raw > 20) & (rng.random(len(raw)) < 0.6)
    raw = np.where(roundish, np.round(raw / 5) * 5, raw)
    qty10 = np.maximum(np.round(raw * 10 / step10), 1).astype(np.int64) * step10

    list_price = np.array([pr.price_fen for pr in _PRODUCTS])[items]
    price = (
        list_price
        * t["discount"].to_numpy()[cust]
        * np.where(line_days >= _day(date(2026, 1, 1)), 1.03, 1.0)
    )
    price_fen = np.round(price).astype(np.int64)
    price_fen = np.where(step10 == 5, 2 * np.round(price / 2), price_fen).astype(np.int64)
    sales = pd.DataFrame(
        {
            "day": line_days,
            "doc": doc_no[doc],
            "cust": cust,
            "item": items,
            "qty10": qty10,
            "price_fen": price_fen,
            "is_return": False,
            "orig_doc": None,
        }
    )
    returns = _gen_returns(rng, sales, n_returns)
    sales = pd.concat([sales, returns], ignore_index=True)
    sales = sales.sort_values(["day", "doc"], kind="stable", ignore_index=True)
    exact = sales["qty10"] * sales["price_fen"]
    if bool((exact % 10 != 0).any()):
        raise AssertionError("every line's amount must be a whole number of fen")
    sales["amount_fen"] = exact // 10
    sales["cust_id"] = t["id"].to_numpy()[sales["cust"].to_numpy()]
    return sales


def _gen_returns(rng: np.random.Generator, sales: pd.DataFrame, n_returns: int) -> pd.DataFrame:
    """Return lines: part of an earlier line, same customer, product and price, 1–8 weeks later.

    Returns are only taken from lines after the first three weeks, so that the first rows of
    the sheet (where the planted problems sit) are all ordinary sales.
    """
    eligible = np.flatnonzero(
        (sales["day"].to_numpy() >= _START_DAY + 20) & (sales["day"].to_numpy() <= _END_DAY - 7)
    )
    picked = np.sort(rng.choice(eligible, min(n_returns, len(eligible)), replace=False))
    orig = sales.iloc[picked]
    back = orig["day"].to_numpy() + rng.integers(7, 60, len(picked))
    back = np.minimum(back, _END_DAY)
    step10 = np.array([pr.step10 for pr in _PRODUCTS])[orig["item"].to_numpy()]
    units = orig["qty10"].to_numpy() // step10
    returned = np.minimum(
        units, np.maximum(1, np.round(units * rng.uniform(0.05, 0.6, len(picked))))
    ).astype(np.int64)
    returns = pd.DataFrame(
        {
            "day": back,
            "doc": None,
            "cust": orig["cust"].to_numpy(),
            "item": orig["item"].to_numpy(),
            "qty10": -returned * step10,
            "price_fen": orig["price_fen"].to_numpy(),
            "is_return": True,
            "orig_doc": orig["doc"].to_numpy(),
        }
    ).sort_values("day", kind="stable", ignore_index=True)
    # One return document per original document and return date.
    key = returns["orig_doc"].astype(str) + "|" + returns["day"].astype(str)
    first = ~key.duplicated()
    doc_days = returns["day"].to_numpy()[first.to_numpy()]
    numbers = np.array(_doc_numbers("TH", doc_days), dtype=object)
    returns["doc"] = numbers[np.cumsum(first.to_numpy()) - 1]
    return returns


def _plant_sales(sales: pd.DataFrame) -> pd.DataFrame:
    """Make room for the planted unknown-customer line and shape the bad-type line.

    The unknown customer's line is its own document at a fixed row; if a document straddles
    that row, its later lines are dropped (with any returns of them) so none is split.
    """
    at = _PLANT_INDEX["unknown-customer"]
    if bool(sales["is_return"].iloc[: at + 1].any()):
        raise AssertionError("planted rows must precede the first return")
    straddling = sales["doc"].iat[at]
    if sales["doc"].iat[at - 1] != straddling:
        straddling = None  # a document starts right there: nothing to drop
    drop = sales.index[(sales.index >= at) & (sales["doc"] == straddling)]
    dropped_docs = {straddling} if len(drop) else set()
    sales = sales.drop(drop)
    sales = sales[~(sales["is_return"] & sales["orig_doc"].isin(dropped_docs))]
    planted = sales.iloc[at - 1].copy()
    day_docs = sales["doc"][sales["day"] == planted["day"]]
    planted["doc"] = f"{day_docs.max()[:-4]}{int(day_docs.max()[-4:]) + 1:04d}"
    planted["cust"] = -1
    planted["cust_id"] = _UNKNOWN_CUSTOMER_ID
    breaker = next(k for k, pr in enumerate(_PRODUCTS) if pr.name == "空气开关")
    planted["item"] = breaker
    planted["qty10"] = 200  # 20 breakers at list price
    planted["price_fen"] = _PRODUCTS[breaker].price_fen
    planted["amount_fen"] = 20 * _PRODUCTS[breaker].price_fen
    sales = pd.concat([sales.iloc[:at], planted.to_frame().T, sales.iloc[at:]], ignore_index=True)
    sales = sales.astype(
        {
            "day": np.int64,
            "cust": np.int64,
            "item": np.int64,
            "qty10": np.int64,
            "price_fen": np.int64,
            "amount_fen": np.int64,
            "is_return": bool,
        }
    )

    # "一千二": the line's true amount is 1,200.00 — a quantity and price that give it.
    bad = _PLANT_INDEX["bad-type"]
    list_price = _PRODUCTS[int(sales["item"].iat[bad])].price_fen
    qty = min(
        (q for q in range(1, 601) if 120_000 % q == 0), key=lambda q: abs(120_000 // q - list_price)
    )
    sales.loc[bad, ["qty10", "price_fen", "amount_fen"]] = [qty * 10, 120_000 // qty, 120_000]
    return sales


def _gen_receipts(
    rng: np.random.Generator, sales: pd.DataFrame, customers: _Customers, target: int | None
) -> pd.DataFrame:
    """Receipts: prepayments before the goods, payments after them, refunds of returns."""
    t = customers.table
    known = sales[sales["cust"] >= 0]
    pos = known[~known["is_return"]]
    docs = pos.groupby("doc", sort=True).agg(
        day=("day", "first"), cust=("cust", "first"), total=("amount_fen", "sum")
    )
    ret = (
        known[known["is_return"]]
        .groupby("orig_doc")
        .agg(ret=("amount_fen", "sum"), ret_day=("day", "min"))
    )
    docs = docs.join(ret, how="left")
    docs["ret"] = -docs["ret"].fillna(0).astype(np.int64)
    docs["ret_day"] = docs["ret_day"].fillna(_END_DAY + 1).astype(np.int64)
    docs = docs.sort_values(["day"], kind="stable")
    n = len(docs)
    cust = docs["cust"].to_numpy()
    day = docs["day"].to_numpy()
    total = docs["total"].to_numpy()
    ret_amt = docs["ret"].to_numpy()
    ret_day = docs["ret_day"].to_numpy()
    prepay = t["prepay"].to_numpy()[cust]
    habit = t["habit"].to_numpy()[cust]
    terms = t["terms_eff"].to_numpy()[cust]

    rows: list[pd.DataFrame] = []
    # Prepayment customers pay before the goods leave, often rounded up to whole hundreds.
    pre_day = np.maximum(_START_DAY, day - rng.integers(0, 8, n))
    rounded_up = -(-total // 10_000) * 10_000
    pre_amt = np.where(rng.random(n) < 0.6, rounded_up, total)
    # Some credit customers put down a deposit on a large order.
    deposit = ~prepay & (total >= 2_000_000) & (rng.random(n) < 0.2)
    dep_amt = np.round(total * 0.3 / 10_000).astype(np.int64) * 10_000
    rows.append(_receipt_rows(cust[prepay], pre_day[prepay], pre_amt[prepay], "预收"))
    rows.append(_receipt_rows(cust[deposit], pre_day[deposit], dep_amt[deposit], "预收"))

    # Credit customers pay around the due date; slow ones late; troubled ones stop paying.
    delay = np.select(
        [habit == 0, habit == 1],
        [rng.integers(-25, 4, n) * terms // 30, rng.integers(5, 75, n)],
        rng.integers(15, 100, n),
    )
    pay_day = np.maximum(day + 1, day + terms + delay)
    stopped = (habit == 2) & (day >= t["trouble_day"].to_numpy()[cust])
    due_amt = total - np.where(deposit, dep_amt, 0)
    returned_first = ret_day < pay_day
    due_amt = due_amt - np.where(returned_first, ret_amt, 0)
    pays = ~prepay & ~stopped & (due_amt > 0)

    # Goods returned after they were paid for: half the time the money goes back.
    refund = (ret_amt > 0) & (prepay | (~returned_first & ~stopped)) & (rng.random(n) < 0.5)
    ref_day = ret_day + rng.integers(3, 16, n)
    refund &= ref_day <= _END_DAY
    rows.append(_receipt_rows(cust[refund], ref_day[refund], ret_amt[refund], "退款"))

    # The benchmark book aims at ``target`` rows: payments make up what the rest leaves.
    instalments = 1.3
    if target is not None:
        others = sum(int((r["day"] <= _END_DAY).sum()) for r in rows)
        in_window = max(float((pay_day[pays] <= _END_DAY).mean()), 0.5) * int(pays.sum())
        per_doc = (target - others) / max(in_window, 1.0)
        big = max(float((due_amt[pays] >= _SPLIT_FROM).mean()), 0.1)  # only these are split
        instalments = min(max(1 + (per_doc - 1) / big, 1.0), 4.0)
    rows.append(_split_payments(rng, cust[pays], pay_day[pays], due_amt[pays], instalments))

    receipts = pd.concat(rows, ignore_index=True)
    receipts = receipts[(receipts["day"] <= _END_DAY) & (receipts["fen"] > 0)]
    receipts = receipts.sort_values(
        ["day", "kind", "cust", "fen"], kind="stable", ignore_index=True
    )
    prefix = np.where(receipts["kind"] == "退款", "TK", "SK")
    numbers = np.empty(len(receipts), dtype=object)
    for p in ("SK", "TK"):
        mask = prefix == p
        numbers[mask] = _doc_numbers(p, receipts["day"].to_numpy()[mask])
    receipts["no"] = numbers
    receipts["cust_id"] = t["id"].to_numpy()[receipts["cust"].to_numpy()]
    receipts["method"] = _payment_methods(
        rng, receipts["fen"].to_numpy(), receipts["kind"].to_numpy()
    )
    return receipts


def _receipt_rows(cust: np.ndarray, day: np.ndarray, fen: np.ndarray, kind: str) -> pd.DataFrame:
    return pd.DataFrame(
        {"day": day.astype(np.int64), "cust": cust, "fen": fen.astype(np.int64), "kind": kind}
    )


_SPLIT_FROM = 100_000  # fen: smaller amounts are paid in one go


def _split_payments(
    rng: np.random.Generator,
    cust: np.ndarray,
    day: np.ndarray,
    fen: np.ndarray,
    instalments: float,
) -> pd.DataFrame:
    """Payments of what each document owes, in one to four instalments a few weeks apart.

    ``instalments`` is the mean number of payments per document (about, since small amounts
    are always paid at once and the tail is cut at four).
    """
    k = 1 + np.minimum(rng.poisson(instalments - 1, len(fen)), 3)
    k = np.where(fen < _SPLIT_FROM, 1, k)
    group, share = _split(rng, fen, k, quantum=100)  # instalments in whole yuan, bar the last
    gap = rng.integers(7, 31, len(group))
    first = np.r_[True, group[1:] != group[:-1]]
    gap[first] = 0
    cum = np.cumsum(gap)
    offset = cum - np.repeat(cum[first], k)
    return _receipt_rows(cust[group], day[group] + offset, share, "回款")


def _split(
    rng: np.random.Generator, total: np.ndarray, parts: np.ndarray, quantum: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Split each ``total[i]`` into ``parts[i]`` random shares that add up to it exactly.

    Returns the owner (index into ``total``) of each share and the share; cut points are
    rounded down to ``quantum``, so a share can be 0 but the sum is never more or less than
    the total (no shipment can exceed its line, no payment its document).
    """
    group = np.repeat(np.arange(len(total)), parts)
    w = rng.random(len(group)) + 0.5
    cum_w = np.cumsum(w)
    first = np.r_[True, group[1:] != group[:-1]]
    base = np.repeat(cum_w[first] - w[first], parts)
    frac = (cum_w - base) / np.bincount(group, w)[group]
    cut = np.floor(total[group] * frac / quantum).astype(np.int64) * quantum
    last = np.r_[group[1:] != group[:-1], True]
    cut = np.where(last, total[group], np.minimum(cut, total[group]))
    prev = np.r_[0, cut[:-1]]
    share = cut - np.where(first, 0, prev)
    return group, share


def _payment_methods(rng: np.random.Generator, fen: np.ndarray, kind: np.ndarray) -> list[str]:
    roll = rng.random(len(fen))
    method = np.full(len(fen), "银行转账", dtype=object)
    method[(fen >= 5_000_000) & (roll < 0.5)] = "承兑汇票"
    method[(fen < 500_000) & (roll < 0.2)] = "现金"
    method[(fen < 2_000_000) & (roll >= 0.2) & (roll < 0.35)] = "微信"
    method[kind == "退款"] = "银行转账"
    return method.tolist()


def _gen_shipments(
    rng: np.random.Generator, sales: pd.DataFrame, customers: _Customers, target: int | None
) -> pd.DataFrame:
    """Shipments of each sold line, sometimes in parts; recent lines partly not yet shipped.

    With a ``target`` (benchmark book) only the most recent lines are registered, as if the
    shipment log had been started part-way through: enough of them to reach about ``target``.
    """
    lines = sales[(sales["cust"] >= 0) & ~sales["is_return"]]
    if target is not None and len(lines) * 1.17 > target:
        lines = lines.iloc[len(lines) - int(target / 1.17) :]
    n = len(lines)
    step10 = np.array([pr.step10 for pr in _PRODUCTS])[lines["item"].to_numpy()]
    units = lines["qty10"].to_numpy() // step10
    parts = np.minimum(rng.choice(np.arange(1, 4), n, p=[0.86, 0.11, 0.03]), units)
    group, share = _split(rng, units, parts)
    ok = share > 0  # a part left empty by rounding is simply not a shipment
    first = np.r_[True, group[1:] != group[:-1]]
    gap = np.where(
        first, rng.choice(np.array([0, 0, 1, 1, 2, 3]), len(group)), rng.integers(2, 16, len(group))
    )
    backorder = rng.random(n) < 0.04
    gap = gap + np.where(first & backorder[group], rng.integers(15, 46, len(group)), 0)
    cum = np.cumsum(gap)
    offset = cum - np.repeat(cum[first], parts)
    day = lines["day"].to_numpy()[group] + offset
    keep = ok & (day <= _END_DAY)
    src = lines.iloc[group[keep]]
    ship = pd.DataFrame(
        {
            "day": day[keep],
            "doc": src["doc"].to_numpy(),
            "cust": src["cust"].to_numpy(),
            "cust_id": src["cust_id"].to_numpy(),
            "item": src["item"].to_numpy(),
            "qty10": share[keep] * step10[group[keep]],
        }
    ).sort_values(["day", "doc"], kind="stable", ignore_index=True)
    key = ship["doc"] + "|" + ship["day"].astype(str)
    first_of_shipment = ~key.duplicated()
    numbers = np.array(
        _doc_numbers("FH", ship["day"].to_numpy()[first_of_shipment.to_numpy()]), dtype=object
    )
    ship["no"] = numbers[np.cumsum(first_of_shipment.to_numpy()) - 1]
    batch_day = ship["day"].to_numpy() - rng.integers(2, 31, len(ship))
    y, m, d = _days_to_ymd(batch_day)
    seq = rng.integers(1, 4, len(ship))
    ship["batch"] = [
        f"B{a}{b:02d}{c:02d}-{s:02d}"
        for a, b, c, s in zip(y.tolist(), m.tolist(), d.tolist(), seq.tolist(), strict=True)
    ]
    zone_of_rep = customers.table["rep_idx"].to_numpy()[ship["cust"].to_numpy()]
    zones = np.array(_ZONES, dtype=object)[zone_of_rep % len(_ZONES)]
    ship["warehouse"] = [_WAREHOUSE_OF_ZONE[z] for z in zones.tolist()]
    ship["handler"] = np.array(("郑强", "何军", "吴斌"), dtype=object)[
        rng.integers(0, 3, len(ship))
    ]
    return ship


def _plant_shipments(ship: pd.DataFrame, sales: pd.DataFrame) -> pd.DataFrame:
    """Over-ship one line (a single shipment of more than was sold); drop one batch number."""
    at = _PLANT_INDEX["over-shipment"]
    row = ship.iloc[at].copy()
    same = (ship["doc"] == row["doc"]) & (ship["item"] == row["item"])
    rest = ship[~same]
    sold = sales.loc[(sales["doc"] == row["doc"]) & (sales["item"] == row["item"]), "qty10"].sum()
    row["qty10"] = int(sold) + 2 * _PRODUCTS[int(row["item"])].step10
    ship = pd.concat([rest.iloc[:at], row.to_frame().T, rest.iloc[at:]], ignore_index=True)
    ship = ship.astype({"day": np.int64, "cust": np.int64, "item": np.int64, "qty10": np.int64})
    ship.loc[_PLANT_INDEX["missing-value"], "batch"] = None
    return ship


def _gen_visits(
    rng: np.random.Generator,
    n: int,
    customers: _Customers,
    salespeople: pd.DataFrame,
    names: _NameMaker,
) -> pd.DataFrame:
    """Visits by the salespeople: mostly their customers, some prospects (named only)."""
    t = customers.table
    days = np.arange(_START_DAY, _END_DAY + 1)
    workdays = days[(days + 3) % 7 < 5]
    day = np.sort(rng.choice(workdays, n))
    buyers = customers.buyers
    p = t["weight"].to_numpy()[buyers] ** 0.5
    cust = buyers[rng.choice(len(buyers), n, p=p / p.sum())]
    prospects = np.flatnonzero(t["life"].to_numpy() == 0)
    roll = rng.random(n)
    to_prospect = (roll < 0.10) & (len(prospects) > 0)
    if len(prospects):
        cust = np.where(to_prospect, prospects[rng.integers(0, len(prospects), n)], cust)
    new_name = roll > 0.96
    rep = t["rep"].to_numpy()[cust].copy()
    rep[new_name] = salespeople["name"].to_numpy()[
        rng.integers(0, len(salespeople), int(new_name.sum()))
    ]
    cities = rng.integers(0, len(_CITIES), n)
    product = rng.integers(0, len(_PRODUCTS), n)
    month = _days_to_ymd(day)[1]
    template = rng.integers(0, 8, n)
    next_roll = rng.random(n)
    ids: list[str | None] = []
    cust_names: list[str | None] = []
    notes: list[str] = []
    for i in range(n):
        pname = _PRODUCTS[product[i]].name
        if new_name[i]:
            ids.append(None)
            cust_names.append(names.company(_CITIES[cities[i]], "有限公司"))
            notes.append(f"初次拜访，介绍公司{pname}等产品")
        else:
            ids.append(t["id"].iat[cust[i]])
            cust_names.append(t["name"].iat[cust[i]] if next_roll[i] < 0.6 else None)
            notes.append(_visit_note(int(template[i]), pname, int(month[i]), bool(to_prospect[i])))
    return pd.DataFrame(
        {
            "day": day,
            "rep": rep,
            "cust_id": ids,
            "cust_name": cust_names,
            "method": rng.choice(
                np.array(["上门", "电话", "微信"], dtype=object), n, p=[0.55, 0.3, 0.15]
            ),
            "note": notes,
            "next": [_NEXT_STEPS[int(r * len(_NEXT_STEPS))] for r in next_roll.tolist()],
        }
    )


_NEXT_STEPS = (
    "下周电话回访",
    "月底前对账",
    "寄送报价单",
    "安排样品",
    "等待客户答复",
    None,
    "季度末再拜访",
    None,
)


def _visit_note(template: int, product: str, month: int, prospect: bool) -> str:
    if prospect:
        return f"了解采购需求，推荐{product}"
    return (
        f"介绍新品{product}",
        f"对账并催收{month}月货款",
        "了解新项目采购需求",
        f"送{product}样品",
        f"处理{product}退货",
        "商谈年度框架协议",
        f"{product}到货延迟，客户投诉处理",
        f"签订{month}月订单",
    )[template]


_EXPENSE_CATEGORIES = ("差旅", "招待", "通讯", "样品", "会务")


def _gen_expenses(rng: np.random.Generator, n: int, salespeople: pd.DataFrame) -> pd.DataFrame:
    """Expense claims by salesperson and category, in whole yuan or fen."""
    days = np.arange(_START_DAY, _END_DAY + 1)
    day = np.sort(rng.choice(days[(days + 3) % 7 < 5], n))
    category = rng.choice(len(_EXPENSE_CATEGORIES), n, p=[0.35, 0.25, 0.12, 0.18, 0.10])
    median = np.array([80_000, 120_000, 15_000, 50_000, 600_000])[category]
    fen = np.maximum(np.round(rng.lognormal(np.log(median), 0.6)), 1000).astype(np.int64)
    fen = np.where(category == 2, fen // 1000 * 1000, fen)  # phone bills: whole ten yuan
    rep = salespeople["name"].to_numpy()[rng.integers(0, len(salespeople), n)].astype(object)
    rep[rng.random(n) < 0.02] = None  # office-level expense, nobody's
    city = rng.integers(0, len(_CITIES), n)
    product = rng.integers(0, len(_PRODUCTS), n)
    month = _days_to_ymd(day)[1]
    text = []
    for c, ci, pi, m in zip(
        category.tolist(), city.tolist(), product.tolist(), month.tolist(), strict=True
    ):
        city_name = _CITIES[ci].city
        text.append(
            (
                f"{city_name}出差交通住宿",
                f"招待{city_name}客户",
                f"{m}月话费",
                f"{_PRODUCTS[pi].name}样品",
                f"{city_name}五金机电展会务费",
            )[c]
        )
    status = rng.choice(np.array(["已报销", "已报销", "已报销", "审批中"], dtype=object), n)
    return pd.DataFrame(
        {
            "day": day,
            "rep": rep,
            "category": np.array(_EXPENSE_CATEGORIES, dtype=object)[category],
            "fen": fen,
            "text": text,
            "status": status,
        }
    )


def _gen_targets(
    rng: np.random.Generator, sales: pd.DataFrame, customers: _Customers, salespeople: pd.DataFrame
) -> pd.DataFrame:
    """Monthly targets per salesperson, set a little above what each actually sold."""
    t = customers.table
    known = sales[sales["cust"] >= 0]
    year, month, _ = _days_to_ymd(known["day"].to_numpy())
    actual = (
        pd.DataFrame(
            {
                "rep": t["rep_idx"].to_numpy()[known["cust"].to_numpy()],
                "ym": year * 100 + month,
                "fen": known["amount_fen"].to_numpy(),
            }
        )
        .groupby(["ym", "rep"])["fen"]
        .sum()
    )
    months = [
        (y, m)
        for y in (2024, 2025, 2026)
        for m in range(1, 13)
        if (2024, 11) <= (y, m) <= (2026, 10)
    ]
    rows = []
    for y, m in months:
        for r in range(len(salespeople)):
            got = int(actual.get((y * 100 + m, r), 0))
            sales_target = max(
                50_000_00, round(got * rng.uniform(0.95, 1.2) / 1_000_000) * 1_000_000
            )
            rows.append(
                (
                    y,
                    m,
                    salespeople["name"].iat[r],
                    sales_target,
                    round(sales_target * 0.9 / 1_000_000) * 1_000_000,
                    max(2_000_00, round(sales_target * 0.02 / 100_000) * 100_000),
                )
            )
    return pd.DataFrame(
        rows, columns=["year", "month", "rep", "sales_fen", "collect_fen", "budget_fen"]
    )


def _set_credit_and_first_trade(
    rng: np.random.Generator, customers: _Customers, sales: pd.DataFrame, plant: bool
) -> None:
    """Credit limits sized on what each customer buys; first-trade dates of new customers.

    A new customer's first trade is its first sale; a long-standing one's lies before the
    window.  Credit is about one and a half terms' worth of purchases, so a few customers run
    over it; prepayment-only customers have none (blank, meaning 0).
    """
    t = customers.table
    positive = sales[(sales["cust"] >= 0) & ~sales["is_return"]]
    first_sale = positive.groupby("cust")["day"].min()
    monthly = positive.groupby("cust")["amount_fen"].sum() / 24
    new = (t["life"] == 2).to_numpy()
    fs = first_sale.reindex(range(len(t))).to_numpy()
    has_first = ~np.isnan(fs)
    ft = t["first_trade"].to_numpy().copy()
    ft[new & has_first] = fs[new & has_first].astype(np.int64)
    t["first_trade"] = ft
    founded = t["founded"].to_numpy()
    t["founded"] = np.where((founded >= 0) & (ft >= 0), np.minimum(founded, ft - 60), founded)
    if plant:  # founded after its first trade: reported on 首次交易日期
        i = _PLANT_INDEX["date-order"]
        t.loc[i, "founded"] = int(t.loc[i, "first_trade"]) + 150
    m = monthly.reindex(range(len(t))).fillna(0).to_numpy()
    credit = (
        np.ceil(
            m * (t["terms_eff"].to_numpy() / 30 + 0.5) * rng.uniform(0.9, 1.8, len(t)) / 1_000_000
        )
        * 1_000_000
    )
    credit = np.maximum(credit, 2_000_000)
    t["credit_fen"] = np.where(t["prepay"].to_numpy(), -1, credit).astype(np.int64)


# --------------------------------------------------------------------------------------------
# Writing: one workbook, constant_memory, cells written row by row in order.
# --------------------------------------------------------------------------------------------


class _Formula(NamedTuple):
    """A formula cell and the value Excel would have cached for it."""

    text: str
    value: float


class _FastWorksheet(Worksheet):
    """A worksheet that skips xlsxwriter's future-function rewriting for plain products.

    xlsxwriter runs ~30 regex substitutions over every formula to add ``_xlfn.`` prefixes to
    new Excel functions; for ``=H5*I5`` none can apply, and on a million rows they are a third
    of the write time.  Anything else still goes through the full preparation.
    """

    def _prepare_formula(self, formula: str, expand_future_functions: bool = False) -> str:
        if formula.startswith("=") and "(" not in formula:
            return formula[1:]
        return super()._prepare_formula(formula, expand_future_functions)


class _InMemoryWorksheet(Worksheet):
    """A worksheet kept in memory inside a ``constant_memory`` workbook.

    xlsxwriter refuses ``add_table()`` in constant_memory mode, but the 业务员 sheet is meant
    to be an Excel Table; it is tiny, so it opts out of row streaming (and its strings go to
    the shared-string table like in any ordinary workbook).
    """

    def _initialize(self, init_data: dict[str, Any]) -> None:
        super()._initialize({**init_data, "constant_memory": False})

    def _opt_close(self) -> None:  # nothing was streamed to a temp file
        pass

    def _opt_reopen(self) -> None:
        pass


@dataclass
class _Formats:
    """Every cell format the demo uses, created once per workbook."""

    title: Format
    note: Format
    header: Format
    date: Format
    date_cn: Format
    date_31: Format
    datetime: Format
    month: Format
    month_cn: Format
    money: Format
    price: Format
    coord: Format

    @classmethod
    def create(cls, wb: xlsxwriter.Workbook) -> _Formats:
        return cls(
            title=wb.add_format({"bold": True, "font_size": 14, "align": "center"}),
            note=wb.add_format({"italic": True, "font_color": "#666666"}),
            header=wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1}),
            date=wb.add_format({"num_format": "yyyy-mm-dd"}),
            date_cn=wb.add_format({"num_format": 'yyyy"年"m"月"d"日"'}),
            date_31=wb.add_format({"num_format": 31}),
            datetime=wb.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
            month=wb.add_format({"num_format": "yyyy-mm"}),
            month_cn=wb.add_format({"num_format": 'yyyy"年"m"月"'}),
            money=wb.add_format({"num_format": "#,##0.00"}),
            price=wb.add_format({"num_format": "0.00"}),
            coord=wb.add_format({"num_format": "0.000000"}),
        )


# A column to write: its values (str, number, _Formula or None = blank) and either one format
# for the whole column or one per row.
_Column = tuple[Sequence[Any], Any]

# Date styles and how often each appears: mostly real date cells, some with a Chinese format,
# a few typed as text in one of the ways the contract accepts.
_DATE_STYLE_P = np.array([0.82, 0.05, 0.05, 0.02, 0.02, 0.013, 0.013, 0.014])


class _Writer:
    """The workbook being written, with helpers that turn clean data into messy cells."""

    def __init__(
        self, path: Path | IO[bytes], rng: np.random.Generator, progress: ProgressCallback | None
    ) -> None:
        self.wb = xlsxwriter.Workbook(
            str(path) if isinstance(path, Path) else path,
            {
                "constant_memory": True,
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
            },
        )
        self.wb.set_properties(
            {
                "title": f"{COMPANY_NAME}销售台账（演示）",
                "author": "salesxl demo",
                "company": COMPANY_NAME,
                "created": _CREATED,
            }
        )
        self.fmt = _Formats.create(self.wb)
        self.rng = rng
        self.progress = progress

    # -- cells ----------------------------------------------------------------------------

    def dates(
        self, days: np.ndarray, present: np.ndarray | None = None, text_rate: float = 1.0
    ) -> _Column:
        """Date cells in the mixed forms real sheets have (``present`` False leaves blanks)."""
        n = len(days)
        p = _DATE_STYLE_P.copy()
        p[3:] *= text_rate
        p[0] += 1 - p.sum()
        style = self.rng.choice(len(p), n, p=p)
        y, m, d = _days_to_ymd(days)
        serial = (np.asarray(days, dtype=np.float64) + _EXCEL_EPOCH_OFFSET).tolist()
        cell_formats = (self.fmt.date, self.fmt.date_cn, self.fmt.date_31)
        values: list[Any] = serial
        formats: list[Format | None] = [cell_formats[s] if s < 3 else None for s in style.tolist()]
        for i in np.flatnonzero(style >= 3).tolist():
            values[i] = _date_text(int(style[i]), int(y[i]), int(m[i]), int(d[i]))
        if present is not None:
            for i in np.flatnonzero(~present).tolist():
                values[i] = None
        return values, formats

    def amounts(
        self, fen: np.ndarray, text_rate: float = 0.05, present: np.ndarray | None = None
    ) -> _Column:
        """Money cells: numbers with ``#,##0.00``, a few typed as text (``¥1,234.50``, ``1.2万``…)."""
        n = len(fen)
        values: list[Any] = (np.asarray(fen, dtype=np.float64) / 100).tolist()
        formats: list[Format | None] = [self.fmt.money] * n
        text = np.flatnonzero((self.rng.random(n) < text_rate) & (np.asarray(fen) > 0))
        kinds = self.rng.integers(0, 6, len(text))
        for i, kind in zip(text.tolist(), kinds.tolist(), strict=True):
            values[i] = _amount_text(int(fen[i]), kind)
            formats[i] = None
        if present is not None:
            for i in np.flatnonzero(~present).tolist():
                values[i] = None
        return values, formats

    # -- sheets ---------------------------------------------------------------------------

    def sheet(
        self,
        layout: _Layout,
        headers: Sequence[str],
        columns: Sequence[_Column],
        widths: Sequence[float],
    ) -> None:
        """Write one sheet: titles, header, then the data rows with their empty rows."""
        ws = self.wb.add_worksheet(layout.sheet, worksheet_class=_FastWorksheet)
        ncols = len(headers)
        for c, width in enumerate(widths):
            ws.set_column(c, c, width)
        for r, title in enumerate(layout.titles):
            if title and r == 0:
                ws.merge_range(0, 0, 0, ncols - 1, title, self.fmt.title)
            elif title:
                ws.write_string(r, 0, title, self.fmt.note)
        header_row = layout.header_row - 1
        for c, h in enumerate(headers):
            ws.write_string(header_row, c, h, self.fmt.header)
        ws.freeze_panes(header_row + 1, 0)
        n = len(columns[0][0])
        rows = (layout.excel_rows(n) - 1).tolist()
        if n:
            ws.autofilter(header_row, 0, rows[-1], ncols - 1)
        self._rows(ws, layout.canonical, rows, columns)

    def _rows(self, ws: Worksheet, stage: str, rows: list[int], columns: Sequence[_Column]) -> None:
        """The hot loop: every data cell of a sheet, in row order (constant_memory needs that)."""
        plan = [
            (c, values, fm if isinstance(fm, list) else None, None if isinstance(fm, list) else fm)
            for c, (values, fm) in enumerate(columns)
        ]
        write_string, write_number, write_formula = (
            ws.write_string,
            ws.write_number,
            ws.write_formula,
        )
        n = len(rows)
        report = self.progress
        for i, r in enumerate(rows):
            for c, values, per_row, fixed in plan:
                v = values[i]
                if v is None:
                    continue
                f = per_row[i] if per_row is not None else fixed
                kind = type(v)
                if kind is str:
                    write_string(r, c, v, f)
                elif kind is _Formula:
                    write_formula(r, c, v.text, f, v.value)
                else:
                    write_number(r, c, v, f)
            if report is not None and i % _PROGRESS_EVERY == 0:
                report(stage, i, n)
        if report is not None:
            report(stage, n, n)

    def table_sheet(
        self,
        layout: _Layout,
        table_name: str,
        columns: list[dict[str, Any]],
        rows: list[list[Any]],
        widths: Sequence[float],
    ) -> None:
        """A small sheet written as an Excel Table (ListObject) starting at A1."""
        ws = self.wb.add_worksheet(layout.sheet, worksheet_class=_InMemoryWorksheet)
        for c, width in enumerate(widths):
            ws.set_column(c, c, width)
        ws.add_table(
            0,
            0,
            len(rows),
            len(columns) - 1,
            {"name": table_name, "style": "Table Style Medium 2", "data": rows, "columns": columns},
        )
        if self.progress is not None:
            self.progress(layout.canonical, len(rows), len(rows))

    def close(self) -> None:
        if self.progress is not None:
            self.progress("保存", 0, 1)
        self.wb.close()
        if self.progress is not None:
            self.progress("保存", 1, 1)


def _date_text(style: int, y: int, m: int, d: int) -> str:
    """A date typed as text: ``2026-03-05``, ``2026/3/5``, ``2026.3.5``, ``2026年3月5日``, ``20260305``."""
    if style == 3:
        return f"{y}-{m:02d}-{d:02d}"
    if style == 4:
        return f"{y}/{m}/{d}"
    if style == 5:
        return f"{y}.{m}.{d}"
    if style == 6:
        return f"{y}年{m}月{d}日"
    return f"{y}{m:02d}{d:02d}"


def _write_customers(w: _Writer, customers: _Customers, plant: bool) -> None:
    """客户档案: two title rows, header on row 3, units in headers, an unknown 录入人 column."""
    t = customers.table
    rng = w.rng
    phones = _texts(t["phone"])
    usccs = _texts(t["uscc"])
    if plant:
        i = _PLANT_INDEX["bad-phone"]  # a mobile with a digit lost: ten digits
        digits = "".join(ch for ch in phones[i] or "" if ch.isdigit())[-11:]
        phones[i] = digits[:3] + digits[4:]
        i = _PLANT_INDEX["bad-uscc"]
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
    province = [_CITIES[c].province for c in t["city_idx"]]
    city = [_CITIES[c].city for c in t["city_idx"]]
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
    columns: list[_Column] = [
        (_texts(t["id"]), None),
        (_padded(rng, _texts(t["name"]), 0.015), None),
        (_texts(t["nature_text"]), None),
        (usccs, None),
        (_texts(t["legal_rep"]), None),
        (_texts(t["owner"]), None),
        (_texts(t["manager"]), None),
        (phones, None),
        (province, None),
        (city, None),
        (_texts(t["district"]), None),
        (_texts(t["address"]), None),
        (lat, w.fmt.coord),
        (lon, w.fmt.coord),
        (_texts(t["industry"]), None),
        (_texts(t["org_type"]), None),
        w.amounts(t["assets_fen"].to_numpy(), 0.03, t["assets_fen"].to_numpy() >= 0),
        w.dates(founded, founded >= 0, text_rate=2.0),
        w.dates(first_trade, first_trade >= 0, text_rate=2.0),
        (_padded(rng, _texts(t["rep"]), 0.02), None),
        w.amounts(t["credit_fen"].to_numpy(), 0.02, t["credit_fen"].to_numpy() >= 0),
        (terms, None),
        (_texts(t["zone_cell"]), None),
        (_texts(t["note"]), None),
        (_texts(t["clerk"]), None),
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
    w.sheet(_LAYOUTS["客户档案"], headers, columns, widths)


def _write_sales(w: _Writer, sales: pd.DataFrame, customers: _Customers, plant: bool) -> None:
    """销售: title block on rows 1–3, header on row 4, 金额 mostly a formula with its cached value."""
    rng = w.rng
    t = customers.table
    n = len(sales)
    layout = _LAYOUTS["销售"]
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
            amounts.append(_Formula(f"=H{excel_rows[i]}*I{excel_rows[i]}", amount_value[i]))
            amount_formats.append(w.fmt.money)
        elif r < 0.95 or fen[i] <= 0:
            amounts.append(amount_value[i])
            amount_formats.append(w.fmt.money)
        else:
            amounts.append(_amount_text(int(fen[i]), int(text_kind[i])))
            amount_formats.append(None)
    if plant:
        i = _PLANT_INDEX["amount-mismatch"]
        amounts[i], amount_formats[i] = _mistyped(int(fen[i])) / 100, w.fmt.money
        i = _PLANT_INDEX["bad-type"]
        amounts[i], amount_formats[i] = "一千二", None
    # cast: numpy's stubs take the three-argument where with a None for the one-argument form
    rep_of_cust = cast(np.ndarray, np.where(known, t["rep"].to_numpy()[np.where(known, cust, 0)], None))
    reps = [
        v if r >= 0.25 else None
        for v, r in zip(rep_of_cust.tolist(), rng.random(n).tolist(), strict=True)
    ]
    if plant:
        reps[_PLANT_INDEX["unknown-customer"]] = "李静"
    has_due = rng.random(n) < 0.1
    terms = np.where(known, t["terms_eff"].to_numpy()[np.where(known, cust, 0)], 30)
    names = np.where(known, t["name"].to_numpy()[np.where(known, cust, 0)], _UNKNOWN_CUSTOMER_NAME)
    is_return = sales["is_return"].to_numpy()
    note_roll = rng.random(n)
    notes = [
        (
            _RETURN_NOTES[int(r * 40) % 4]
            if ret and r < 0.6
            else (_SALES_NOTES[int(r * 600) % 6] if r < 0.02 else None)
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
    columns: list[_Column] = [
        w.dates(sales["day"].to_numpy()),
        (_texts(sales["doc"]), None),
        (_texts(sales["cust_id"]), None),
        (names.tolist(), None),
        (_padded(rng, [_PRODUCTS[k].name for k in item.tolist()], 0.01), None),
        ([_PRODUCTS[k].spec for k in item.tolist()], None),
        ([_PRODUCTS[k].unit for k in item.tolist()], None),
        (qty, None),
        (price, w.fmt.price),
        (amounts, amount_formats),
        (_padded(rng, reps, 0.02), None),
        w.dates(sales["day"].to_numpy() + terms, has_due),
        (notes, None),
        (np.array(_CLERKS, dtype=object)[rng.integers(0, 3, n)].tolist(), None),
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


def _write_receipts(w: _Writer, receipts: pd.DataFrame) -> None:
    """Receipts: English sheet name and headers, header on row 1, some types in English."""
    rng = w.rng
    n = len(receipts)
    english = {"预收": "Prepayment", "回款": "Payment", "退款": "Refund"}
    kinds = [
        english[k] if r < 0.3 and k is not None else k
        for k, r in zip(_texts(receipts["kind"]), rng.random(n).tolist(), strict=True)
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
        for m, r in zip(_texts(receipts["method"]), rng.random(n).tolist(), strict=True)
    ]
    headers = ["Date", "Doc No", "Customer ID", "Amount (CNY)", "Type", "Method", "Remark"]
    columns: list[_Column] = [
        (day_values, day_formats),
        (_texts(receipts["no"]), None),
        (_texts(receipts["cust_id"]), None),
        w.amounts(receipts["fen"].to_numpy(), 0.04),
        (kinds, None),
        (_texts(receipts["method"]), None),
        (remark, None),
    ]
    w.sheet(_LAYOUTS["收款"], headers, columns, [14, 17, 12, 15, 11, 10, 12])


def _write_shipments(w: _Writer, ship: pd.DataFrame) -> None:
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
    columns: list[_Column] = [
        (_texts(ship["no"]), None),
        (_texts(ship["doc"]), None),
        w.dates(ship["day"].to_numpy()),
        (_texts(ship["cust_id"]), None),
        (_texts(ship["batch"]), None),
        (_padded(rng, [_PRODUCTS[k].name for k in item.tolist()], 0.01), None),
        ([_PRODUCTS[k].spec for k in item.tolist()], None),
        ([q // 10 if q % 10 == 0 else q / 10 for q in qty10.tolist()], None),
        (_texts(ship["warehouse"]), None),
        (_texts(ship["handler"]), None),
    ]
    w.sheet(_LAYOUTS["发货"], headers, columns, [17, 17, 12, 10, 14, 12, 16, 8, 10, 8])


def _write_visits(w: _Writer, visits: pd.DataFrame) -> None:
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
    columns: list[_Column] = [
        w.dates(visits["day"].to_numpy()),
        (_padded(w.rng, _texts(visits["rep"]), 0.02), None),
        (_texts(visits["cust_id"]), None),
        (_texts(visits["cust_name"]), None),
        (_texts(visits["method"]), None),
        (_texts(visits["note"]), None),
        (_texts(visits["next"]), None),
    ]
    w.sheet(_LAYOUTS["拜访"], headers, columns, [12, 11, 11, 28, 8, 30, 14])


def _write_expenses(w: _Writer, expenses: pd.DataFrame) -> None:
    """费用: Chinese sheet, headers mixing Chinese and English, an unknown 报销状态 column."""
    headers = ["日期", "Salesperson", "类别", "Amount (CNY)", "说明", "报销状态"]
    columns: list[_Column] = [
        w.dates(expenses["day"].to_numpy()),
        (_texts(expenses["rep"]), None),
        (_texts(expenses["category"]), None),
        w.amounts(expenses["fen"].to_numpy(), 0.06),
        (_texts(expenses["text"]), None),
        (_texts(expenses["status"]), None),
    ]
    w.sheet(_LAYOUTS["费用"], headers, columns, [12, 11, 8, 13, 26, 9])


def _write_targets(w: _Writer, targets: pd.DataFrame) -> None:
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
            month_values.append(float(_day(date(y, m, 1)) + _EXCEL_EPOCH_OFFSET))
            month_formats.append(w.fmt.month if s == 2 else w.fmt.month_cn)
    headers = ["月份", "业务员", "销售目标（元）", "回款目标（元）", "费用预算（元）"]
    columns: list[_Column] = [
        (month_values, month_formats),
        (_texts(targets["rep"]), None),
        ((targets["sales_fen"].to_numpy() / 100).tolist(), w.fmt.money),
        ((targets["collect_fen"].to_numpy() / 100).tolist(), w.fmt.money),
        ((targets["budget_fen"].to_numpy() / 100).tolist(), w.fmt.money),
    ]
    w.sheet(_LAYOUTS["目标"], headers, columns, [11, 10, 15, 15, 15])


def _write_salespeople(w: _Writer, salespeople: pd.DataFrame) -> None:
    """业务员: an Excel Table named 业务员 at A1; 提成比例 as ``3%`` text or 0.025."""
    rows = [
        [name, zone, rate, mobile, float(hired + _EXCEL_EPOCH_OFFSET)]
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
    w.table_sheet(_LAYOUTS["业务员"], "业务员", columns, rows, [10, 10, 10, 14, 12])


def _write_settings(w: _Writer) -> None:
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
    columns: list[_Column] = [([r[k] for r in rows], None) for k in range(3)]
    w.sheet(_LAYOUTS["参数"], ["名称", "值", "说明"], columns, [14, 24, 28])


# --------------------------------------------------------------------------------------------
# Entry points.
# --------------------------------------------------------------------------------------------


def build_demo(
    out_dir: Path = Path("workbooks"),
    *,
    seed: int = 2026,
    scale: bool = False,
    clean: bool = False,
    progress: ProgressCallback | None = None,
) -> Path:
    """Write the demo workbook into ``out_dir`` and return its path.

    ``clean`` leaves out the planted mistakes (``out_dir/demo-clean.xlsx``): a demo on which
    validation finds nothing, to show what a clean book looks like.

    ``out_dir/demo.xlsx`` is the small demo (about 400 customers, 8,000 sales lines, with
    :data:`PLANTED_PROBLEMS`); with ``scale=True`` it is ``out_dir/demo-scale.xlsx``, the same
    company at benchmark size (:data:`SCALE_COUNTS`) and without planted problems.  The same
    ``seed`` always gives the same bytes.  ``progress(stage, done, total)`` is called now and
    then (every 10,000 rows of a sheet, and at each stage's start and end).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    name = "demo-scale.xlsx" if scale else "demo-clean.xlsx" if clean else "demo.xlsx"
    counts = SCALE_COUNTS if scale else SMALL_COUNTS
    return _build_book(out_dir / name, seed=seed, counts=counts, plant=not (scale or clean), progress=progress)


def _build_book(
    path: Path,
    *,
    seed: int,
    counts: DemoCounts,
    plant: bool,
    progress: ProgressCallback | None = None,
) -> Path:
    """Generate the company and write it to ``path``.

    ``plant`` adds the deliberate mistakes of :data:`PLANTED_PROBLEMS` (which sit at fixed
    rows, so they need the small demo's sizes or larger).  Tests call this directly with small
    ``counts`` to exercise the benchmark book's code path without waiting for a million rows.
    """
    if plant and (
        counts.customers <= _PLANT_INDEX["possible-duplicate"] or counts.sales_lines < 1000
    ):
        raise ValueError("planted problems need at least the small demo's sizes")
    rng = np.random.default_rng(seed)
    steps = 8

    def step(done: int) -> None:
        if progress is not None:
            progress(_GENERATE, done, steps)

    step(0)
    salespeople = _gen_salespeople(rng, counts.salespeople)
    customers = _gen_customers(rng, counts.customers, salespeople, plant)
    step(1)
    sales = _gen_sales(rng, counts, customers)
    if plant:
        sales = _plant_sales(sales)
    _set_credit_and_first_trade(rng, customers, sales, plant)
    step(2)
    receipts = _gen_receipts(rng, sales, customers, counts.receipts)
    step(3)
    shipments = _gen_shipments(rng, sales, customers, counts.shipments)
    if plant:
        shipments = _plant_shipments(shipments, sales)
    step(4)
    names = _NameMaker(rng)
    names.stems = set(customers.table["name"].map(_stem))
    visits = _gen_visits(rng, counts.visits, customers, salespeople, names)
    step(5)
    expenses = _gen_expenses(rng, counts.expenses, salespeople)
    step(6)
    targets = _gen_targets(rng, sales, customers, salespeople)
    step(steps)

    from salesxl.io.files import atomic_write

    with atomic_write(path) as fp:  # a temporary file renamed when complete: never half a demo
        writer = _Writer(fp, rng, progress)
        _write_customers(writer, customers, plant)
        _write_sales(writer, sales, customers, plant)
        _write_receipts(writer, receipts)
        _write_shipments(writer, shipments)
        _write_visits(writer, visits)
        _write_expenses(writer, expenses)
        _write_targets(writer, targets)
        _write_salespeople(writer, salespeople)
        _write_settings(writer)
        writer.close()
    return path


def _stem(name: str) -> str:
    """A customer name without its company suffix: what the name maker keeps unique."""
    for suffix in ("股份有限公司", "有限责任公司", "有限公司"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name
