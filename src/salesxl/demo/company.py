"""The demo company's people: salespeople and customers, with their names, identity, contacts and terms.

Generates the 业务员 table and the customer cards (:class:`Customers`): unique, plausible
Chinese names (:class:`NameMaker`), natures, unified social credit codes that pass the
check-character rule of :mod:`salesxl.core.idrules`, legal representatives, phones valid per
the core phone rule, addresses and coordinates, industries, payment terms, and the planted
card mistakes of the small demo.  Pure numpy/pandas, one random generator passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from salesxl.core.idrules import is_valid_phone, uscc_check_char
from salesxl.demo.cells import day_number, texts
from salesxl.demo.layout import END_DAY, ORIGINAL_OF_LOOKALIKE, PLANT_INDEX, START_DAY
from salesxl.demo.reference import (
    ADDRESS_TAILS,
    BRAND,
    CITIES,
    CLERKS,
    COMPANY,
    GIVEN,
    GOV,
    GOV_DEPTS,
    INDUSTRIES,
    MOBILE_PREFIXES,
    NATURES,
    NOTES,
    PARTNER,
    PERSON,
    PUBLIC_UNITS,
    SEVEN_DIGIT_AREAS,
    SPECIAL,
    STREETS,
    SURNAMES,
    TRADES,
    ZONES,
    City,
)


def _person_names(rng: np.random.Generator, n: int) -> list[str]:
    """Chinese personal names (not unique): a surname and one or two given characters."""
    sur = rng.integers(0, len(SURNAMES), n)
    g1 = rng.integers(0, len(GIVEN), n)
    g2 = rng.integers(0, len(GIVEN), n)
    two = rng.random(n) < 0.6
    return [
        SURNAMES[s] + GIVEN[a] + (GIVEN[b] if t else "")
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


def gen_salespeople(rng: np.random.Generator, n: int) -> pd.DataFrame:
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
    hired = rng.integers(day_number(date(2012, 3, 1)), day_number(date(2024, 6, 30)), n)
    return pd.DataFrame(
        {
            "name": names,
            "zone": [ZONES[i % len(ZONES)] for i in range(n)],
            "rate": rates,
            "rate_cell": rate_cells,
            "mobile": [f"139{m:08d}" for m in mobiles.tolist()],
            "hired": hired,
        }
    )


class NameMaker:
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

    def company(self, city: City, suffix: str) -> str:
        short = city.city.removesuffix("市")
        while True:
            a, b = self.rng.choice(len(BRAND), 2, replace=False).tolist()
            trade = TRADES[int(self.rng.integers(len(TRADES)))]
            stem = f"{short}{BRAND[a]}{BRAND[b]}{trade}"
            if self._take(stem):
                return stem + suffix

    def government(self, city: City) -> tuple[str, bool]:
        """A government body or public institution; the flag says "public institution"."""
        while True:
            district = city.districts[int(self.rng.integers(len(city.districts)))]
            # A county-level city stands on its own (义乌市…); a district needs its city.
            prefix = district if district.endswith("市") else city.city + district
            roll = self.rng.random()
            if roll < 0.5:
                unit, public = GOV_DEPTS[int(self.rng.integers(len(GOV_DEPTS)))], False
            elif roll < 0.8:
                unit, public = PUBLIC_UNITS[int(self.rng.integers(len(PUBLIC_UNITS)))], True
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
class Customers:
    """The customer archive plus the hidden traits that drive sales and payments."""

    table: pd.DataFrame
    #: indices (into ``table``) of cards that may buy; the rest are prospects or planted extras
    buyers: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def gen_customers(
    rng: np.random.Generator, n: int, salespeople: pd.DataFrame, plant: bool
) -> Customers:
    """The 客户档案 cards: who they are, where, how they pay, who serves them."""
    extras = {PLANT_INDEX["duplicate-id"], PLANT_INDEX["possible-duplicate"]} if plant else set()
    total = n + len(extras)
    forced_company = (
        {PLANT_INDEX[c] for c in ("bad-phone", "bad-uscc", "date-order")}
        | {ORIGINAL_OF_LOOKALIKE}
        if plant
        else set()
    )

    city_weights = np.array([c.weight for c in CITIES])
    city_idx = rng.choice(len(CITIES), total, p=city_weights / city_weights.sum())
    nature = rng.choice(len(NATURES), total, p=[s for *_, s in NATURES])
    # Lifecycle: 0 prospect, 1 long-standing, 2 new in the window, 3 lost during the window.
    life = rng.choice(4, total, p=[0.08, 0.55, 0.25, 0.12])
    for i in forced_company:
        nature[i], life[i] = COMPANY, 1
    for i in extras:  # the planted extra cards are companies nobody has sold to yet
        nature[i], life[i] = COMPANY, 0
    weight = rng.lognormal(0.0, 1.3, total) * np.where(np.isin(nature, [GOV, SPECIAL]), 1.6, 1.0)
    weight = np.where(nature == PERSON, weight * 0.3, weight)

    first_trade = np.where(
        life == 2,
        rng.integers(START_DAY, END_DAY - 20, total),
        rng.integers(day_number(date(2012, 1, 1)), START_DAY - 1, total),
    )
    active_start = np.maximum(first_trade, START_DAY)
    active_end = np.where(
        life == 3, rng.integers(START_DAY + 60, START_DAY + 420, total), END_DAY
    )
    anchor = np.where(life == 0, END_DAY - 30, first_trade)
    founded = anchor - rng.integers(90, 9000, total)
    founded = np.where(
        nature == GOV, rng.integers(day_number(date(1955, 1, 1)), day_number(date(1998, 1, 1)), total), founded
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
            "founded": np.where(nature == PERSON, -1, founded),
        }
    )
    _add_customer_identity(rng, table, plant, extras)
    _add_customer_contacts(rng, table, {PLANT_INDEX["bad-phone"]} if plant else set())
    _add_customer_terms(rng, table, salespeople)
    buyers = np.flatnonzero(table["life"].to_numpy() != 0)
    return Customers(table=table, buyers=buyers)


def _add_customer_identity(
    rng: np.random.Generator, table: pd.DataFrame, plant: bool, extras: set[int]
) -> None:
    """IDs, names, USCCs, industries and organisation types."""
    total = len(table)
    maker = NameMaker(rng)
    suffix_roll = rng.random(total)
    names: list[str] = []
    public: list[bool] = []
    for i, (ci, nat) in enumerate(
        zip(table["city_idx"].tolist(), table["nature"].tolist(), strict=True)
    ):
        city = CITIES[ci]
        if nat == PERSON:
            names.append(maker.person())
            public.append(False)
        elif nat == GOV:
            name, is_public = maker.government(city)
            names.append(name)
            public.append(is_public)
        else:
            share = nat == COMPANY and suffix_roll[i] < 0.15
            suffix = (
                "股份有限公司"
                if share
                else ("有限责任公司" if suffix_roll[i] > 0.85 else "有限公司")
            )
            names.append(maker.company(city, suffix))
            public.append(False)
    if plant:
        original = names[ORIGINAL_OF_LOOKALIKE]
        stem = (
            original.removesuffix("股份有限公司")
            .removesuffix("有限责任公司")
            .removesuffix("有限公司")
        )
        # Same company typed again: a space, the other suffix.  Equal after normalisation.
        names[PLANT_INDEX["possible-duplicate"]] = f"{stem[:2]} {stem[2:]}有限责任公司"

    regular = [i for i in range(total) if i not in extras]
    ids = [""] * total
    for k, i in enumerate(regular):
        ids[i] = f"KH{k + 1:05d}"
    if plant:
        dup = PLANT_INDEX["duplicate-id"]
        ids[dup] = ids[dup - 1]
        ids[PLANT_INDEX["possible-duplicate"]] = f"KH{len(regular) + 1:05d}"

    nature = table["nature"].to_numpy()
    english = rng.random(total) < 0.04
    table["id"] = ids
    table["name"] = names
    table["nature_text"] = [
        NATURES[nat][1] if en else NATURES[nat][0]
        for nat, en in zip(nature.tolist(), english.tolist(), strict=True)
    ]
    table["uscc"] = _usccs(rng, table, public)
    kind = np.where(
        nature == GOV,
        "gov",
        np.where(nature == PERSON, "person", np.where(nature == PARTNER, "partner", "company")),
    )
    roll = rng.random(total)
    table["industry"] = [
        _gov_industry(name) if k == "gov" else INDUSTRIES[k][int(r * len(INDUSTRIES[k]))]
        for k, name, r in zip(kind.tolist(), names, roll.tolist(), strict=True)
    ]
    table["org_type"] = [
        _org_type(nat, name, uscc, pub, r)
        for nat, name, uscc, pub, r in zip(
            nature.tolist(),
            names,
            texts(table["uscc"]),
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
    if nature == GOV:
        return "事业单位" if public else "机关"
    if nature == PERSON:
        return "个体工商户" if uscc else "自然人"
    if name.endswith("股份有限公司"):
        return "股份有限公司"
    if nature == SPECIAL:
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
        if nat == PERSON and not has_code[i]:
            out.append(None)
            continue
        head = {GOV: "12" if public[i] else "11", PERSON: "92"}.get(nat, "91")
        body = head + CITIES[ci].admin_code + _org_code(int(bodies[i]))
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
        None if nat == PERSON else p for nat, p in zip(nature.tolist(), legal, strict=True)
    ]
    table["owner"] = [
        name if nat == PERSON else (legal[i] if same_owner[i] else owner[i])
        for i, (nat, name) in enumerate(zip(nature.tolist(), table["name"].tolist(), strict=True))
    ]
    table["manager"] = [
        m if r < 0.8 else None for m, r in zip(manager, rng.random(total).tolist(), strict=True)
    ]
    table["phone"], table["phone_kind"] = _phones(rng, table, force_mobile)

    districts: list[str] = []
    addresses: list[str] = []
    street = rng.integers(0, len(STREETS), total)
    number = rng.integers(1, 999, total)
    tail = rng.integers(0, len(ADDRESS_TAILS), total)
    b = rng.integers(1, 30, total)
    room = rng.integers(101, 2208, total)
    with_province = rng.random(total) < 0.6
    district_roll = rng.random(total)
    for i, (ci, name) in enumerate(
        zip(table["city_idx"].tolist(), table["name"].tolist(), strict=True)
    ):
        city = CITIES[ci]
        # A government body sits in the district its name says (杭州市西湖区教育局 → 西湖区).
        district = next((d for d in city.districts if d in name), None)
        district = district or city.districts[int(district_roll[i] * len(city.districts))]
        districts.append(district)
        head = city.province if with_province[i] and city.province != city.city else ""
        tail_text = ADDRESS_TAILS[tail[i]].format(b=b[i], room=room[i])
        addresses.append(
            f"{head}{city.city}{district}{STREETS[street[i]]}{number[i]}号{tail_text}"
        )
    table["district"] = districts
    table["address"] = addresses
    centre_lat = np.array([CITIES[c].lat for c in table["city_idx"]])
    centre_lon = np.array([CITIES[c].lon for c in table["city_idx"]])
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
        nature == PERSON,
        "mobile",
        np.where(
            nature == GOV,
            np.where(roll < 0.9, "landline", "mobile"),
            np.where(roll < 0.45, "landline", np.where(roll < 0.87, "mobile", "service")),
        ),
    )
    kind[sorted(force_mobile)] = "mobile"
    mobile_numbers = rng.choice(len(MOBILE_PREFIXES) * 10**8, total, replace=False)
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
            digits = f"{MOBILE_PREFIXES[prefix]}{sub:08d}"
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
            area = CITIES[table["city_idx"].iat[i]].area_code
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
    width = 7 if area in SEVEN_DIGIT_AREAS else 8
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


def district_short(district: str) -> str:
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
        pool = by_zone.get(CITIES[ci].zone) or list(range(len(salespeople)))
        rep_idx.append(pool[int(r * len(pool))])
    table["rep_idx"] = rep_idx
    table["rep"] = salespeople["name"].to_numpy()[rep_idx]
    nature = table["nature"].to_numpy()
    terms = rng.choice(np.array([30, 60, 90, -1]), total, p=[0.45, 0.30, 0.10, 0.15])
    table["terms"] = terms  # -1: blank, which means 30
    table["terms_eff"] = np.where(terms < 0, 30, terms)
    # Prepayment-only customers (blank credit limit): many individuals, some small firms.
    prepay = np.where(nature == PERSON, rng.random(total) < 0.7, rng.random(total) < 0.12)
    table["prepay"] = prepay & (nature != GOV)
    # Payment habit of credit customers: 0 prompt, 1 slow, 2 stops paying at trouble_day.
    table["habit"] = rng.choice(3, total, p=[0.65, 0.26, 0.09])
    table["trouble_day"] = rng.integers(END_DAY - 270, END_DAY - 60, total)
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
            zone_cells.append(CITIES[ci].city.removesuffix("市") + district_short(district))
        elif r < 0.1:
            zone_cells.append(rep_zone)
        else:
            zone_cells.append(None)
    table["zone_cell"] = zone_cells
    note_roll = rng.random(total)
    table["note"] = [
        NOTES[int(r * 100) % len(NOTES)] if r < 0.1 else None for r in note_roll.tolist()
    ]
    table["clerk"] = [CLERKS[int(r * 2)] for r in rng.random(total).tolist()]
    assets = np.round(
        rng.lognormal(np.log(3e7), 1.2, total) * table["weight"].to_numpy() ** 0.3, -4
    )
    table["assets_fen"] = np.where(
        (nature == PERSON) | (rng.random(total) < 0.1), -1, assets * 100
    ).astype(np.int64)


