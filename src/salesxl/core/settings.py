"""参数 · Settings: the thresholds behind every figure, overridable from the workbook.

The spec fixes defaults (§3) and lets a sales office override each one in a ``参数`` sheet of
``名称 | 值`` rows, so a manager who wants 60-day aging steps or routes of ten does not need a
programmer.  A value that cannot be read is reported at its cell and the default is kept.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from salesxl.core.plain_rules import (
    DEFAULT_AGING_BUCKETS,
    DEFAULT_LEVEL_A_SHARE,
    DEFAULT_LEVEL_B_SHARE,
    bucket_labels,
)


class Settings(BaseModel):
    """Every setting of spec §3 with its default.  Field titles are the Chinese names."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    aging_buckets: tuple[int, ...] = Field(DEFAULT_AGING_BUCKETS, title="账龄分段")
    stop_shipment_days: int = Field(90, ge=0, title="停发逾期天数")
    level_months: int = Field(12, ge=1, title="等级统计月数")
    level_a_share: Decimal = Field(Decimal(DEFAULT_LEVEL_A_SHARE), ge=0, le=1, title="A类累计占比")
    level_b_share: Decimal = Field(Decimal(DEFAULT_LEVEL_B_SHARE), ge=0, le=1, title="B类累计占比")
    new_customer_days: int = Field(180, ge=0, title="新客户天数")
    active_days: int = Field(365, ge=0, title="活跃天数")
    route_capacity: int = Field(8, ge=1, title="每路线客户数")
    company_name: str = Field("", title="公司名称")
    # The company's details for the letters it sends (对账单, 催款函); blank = a line to fill by hand.
    bank_name: str = Field("", title="开户行")
    bank_account: str = Field("", title="账号")
    account_name: str = Field("", title="户名")
    contact_person: str = Field("", title="联系人")
    contact_phone: str = Field("", title="联系电话")
    company_address: str = Field("", title="地址")
    payment_days: int = Field(7, ge=0, title="回款期限天数")
    reply_days: int = Field(10, ge=0, title="对账回复天数")
    # v1.1 prices: the largest |unit price − 标准价| / 标准价 before price-deviation (spec §3 Prices)
    price_deviation: Decimal = Field(Decimal("0.10"), ge=0, title="价格偏差")
    # v1.1 档案完整度: the share of the card's 25 group columns a current or new customer's card
    # should have filled, and how old its 更新日期 may get (salesxl.core.cards).
    card_target: Decimal = Field(Decimal("0.8"), ge=0, le=1, title="档案完整度目标")
    card_stale_days: int = Field(180, ge=0, title="档案更新天数")
    contract_notice_days: int = Field(30, ge=0, title="合同到期提醒天数")  # v1.1: 合同 expiring

    @field_validator(
        "company_name", "bank_name", "bank_account", "account_name", "contact_person", "contact_phone",
        "company_address", mode="before",
    )
    @classmethod
    def _text(cls, value: Any) -> str:
        """A number typed in a cell (账号 6222…, a phone) is text here: whole, no ``.0``.

        Excel keeps 15 significant digits of a number, so a longer 账号 typed as a number has
        already lost its last digits: refused (a ``bad-type`` finding at the cell), not printed.
        """
        if isinstance(value, bool):
            raise ValueError("应为文字")
        if isinstance(value, (int, float, Decimal)) and not isinstance(value, str):
            number = Decimal(str(value))
            if abs(number) >= 10**15 or number != number.to_integral_value():
                raise ValueError("超过 15 位的号码请以文本格式填写")
            value = int(number)
        return str(value).strip()  # as typed: （上海） stays full-width in a company's name

    @field_validator("aging_buckets", mode="before")
    @classmethod
    def _buckets(cls, value: Any) -> tuple[int, ...]:
        if isinstance(value, str):
            text = unicodedata.normalize("NFKC", value)
            value = [p for p in re.split(r"[,;，、\s]+", text) if p]
        try:
            bounds = tuple(_whole(v) for v in value)
        except (TypeError, ValueError) as exc:
            raise ValueError("账龄分段应为逗号分隔的天数，如 30,60,90,180,365") from exc
        if not bounds or any(b <= 0 for b in bounds) or list(bounds) != sorted(set(bounds)):
            raise ValueError("账龄分段应为递增的正整数天数")
        return bounds

    @field_validator(
        "stop_shipment_days", "level_months", "new_customer_days", "active_days", "route_capacity",
        "payment_days", "reply_days", "contract_notice_days", mode="before",
    )
    @classmethod
    def _int(cls, value: Any) -> int:
        return _whole(value)

    @field_validator("level_a_share", "level_b_share", "price_deviation", mode="before")
    @classmethod
    def _share(cls, value: Any) -> Decimal:
        text = unicodedata.normalize("NFKC", str(value)).strip()
        try:
            if text.endswith("%"):
                return Decimal(text[:-1].strip()) / 100
            return Decimal(text)
        except InvalidOperation as exc:
            raise ValueError("应为 0 到 1 之间的比例，如 0.8 或 80%") from exc

    @field_validator("card_target", mode="before")
    @classmethod
    def _card_share(cls, value: Any) -> Decimal:
        return cls._share(value)

    @field_validator("card_stale_days", mode="before")
    @classmethod
    def _card_days(cls, value: Any) -> int:
        return _whole(value)

    def bucket_labels(self) -> list[str]:
        """``["0-30", "31-60", …, ">365"]``: the aging bucket keys of spec §5."""
        return bucket_labels(self.aging_buckets)


def _whole(value: Any) -> int:
    number = Decimal(unicodedata.normalize("NFKC", str(value)).strip())
    if number != number.to_integral_value():
        raise ValueError("应为整数")
    return int(number)


#: Name in the sheet (Chinese title or English field name, normalised) → field name.
SETTING_NAMES: dict[str, str] = {}
for _name, _info in Settings.model_fields.items():
    SETTING_NAMES[_info.title or _name] = _name
    SETTING_NAMES[_name] = _name
    SETTING_NAMES[_name.replace("_", " ")] = _name
SETTING_NAMES.update({
    "aging buckets": "aging_buckets", "company": "company_name", "公司": "company_name",
    "bank": "bank_name", "account number": "bank_account", "account": "bank_account",
    "account name": "account_name", "contact": "contact_person", "phone": "contact_phone",
    "address": "company_address", "payment days": "payment_days", "reply days": "reply_days",
    "price deviation": "price_deviation",
    "contract notice days": "contract_notice_days",
    "开户银行": "bank_name", "银行账号": "bank_account", "电话": "contact_phone", "公司地址": "company_address",
})

#: The company's details a letter prints (Chinese names in letter order); blank is allowed.
COMPANY_DETAILS = ("company_name", "bank_name", "bank_account", "account_name", "contact_person",
                   "contact_phone", "company_address")


def may_be_blank(field: str) -> bool:
    """A setting whose blank value is its default (the company's details): a 参数 row with the
    name and no value is a line not yet filled in, not a lost override."""
    return field in COMPANY_DETAILS


def setting_field(name: str) -> str | None:
    """The Settings field for a name typed in 参数 (Chinese or English), or None."""
    key = unicodedata.normalize("NFKC", name).strip().lower()
    return SETTING_NAMES.get(key) or SETTING_NAMES.get(key.replace(" ", "_"))
