"""Periods (spec §3 "Plans", v1.1): a month, a quarter or a year, as plans and reports use them.

目标.月份 holds a month (``2026-10``, ``2026年10月``, a date in the month), a quarter
(``2026Q4``, ``2026-Q4``, ``2026年第4季度``, ``2026年四季度``) or a year (``2026``,
``2026年``).  The reader keeps 月份 as the first day of the period (so code that only knows
months keeps working on monthly rows) and adds the period's key in :data:`PERIOD_KEY`
(``2026-10``, ``2026Q4``, ``2026``): the key says which kind of period a row is, and two rows
are for the same period exactly when their keys are equal.  A bare ``2026`` is a year, never
an Excel serial number (serial 2026 would be 1905-07-18, which no plan is for).

Pure: no I/O; imports nothing from salesxl.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import numpy as np
import pandas as pd

__all__ = [
    "PERIOD_KEY",
    "Period",
    "kinds_of",
    "parse_period",
    "period_keys",
    "period_text",
]

#: The reader's companion column of a period field: the period's key per row (None blank).
PERIOD_KEY = "_period"

Kind = Literal["month", "quarter", "year"]

_CN_DIGIT = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_QUARTER = (
    re.compile(r"^(?P<y>\d{4})\s*[-/.]?\s*q\s*(?P<q>[1-4])$"),
    re.compile(r"^(?P<y>\d{4})\s*年\s*第?\s*(?P<q>[1-4一二三四])\s*季度?$"),
    re.compile(r"^(?P<y>\d{4})\s*年?\s*q(?P<q>[1-4])$"),
)
_YEAR = re.compile(r"^(?P<y>\d{4})(?:\.0+)?\s*年?(?:度)?$")
_MONTH = re.compile(r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*月?$")


@dataclass(frozen=True, order=True)
class Period:
    """A calendar period: ``kind`` month/quarter/year, ``year``, ``number`` (month 1–12,
    quarter 1–4, 1 for a year)."""

    year: int
    kind: Kind
    number: int = 1

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls(year, "month", month)

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        return cls(year, "quarter", quarter)

    @classmethod
    def of_year(cls, year: int) -> Period:
        return cls(year, "year", 1)

    @property
    def key(self) -> str:
        """``2026-10``, ``2026Q4``, ``2026``: the spec §5 ``period`` and the reader's key."""
        if self.kind == "month":
            return f"{self.year:04d}-{self.number:02d}"
        if self.kind == "quarter":
            return f"{self.year:04d}Q{self.number}"
        return f"{self.year:04d}"

    @property
    def label(self) -> str:
        """The Chinese name a report prints: ``2026年10月``, ``2026年第4季度``, ``2026年``."""
        if self.kind == "month":
            return f"{self.year}年{self.number}月"
        if self.kind == "quarter":
            return f"{self.year}年第{self.number}季度"
        return f"{self.year}年"

    @property
    def first_month(self) -> int:
        """The first calendar month (1–12) of the period."""
        return {"month": self.number, "quarter": 3 * self.number - 2, "year": 1}[self.kind]

    @property
    def length(self) -> int:
        """How many months the period has."""
        return {"month": 1, "quarter": 3, "year": 12}[self.kind]

    @property
    def first_day(self) -> date:
        return date(self.year, self.first_month, 1)

    @property
    def last_day(self) -> date:
        end = self.first_month + self.length  # the month after, 1-based, may be 13
        nxt = date(self.year + (end - 1) // 12, (end - 1) % 12 + 1, 1)
        return nxt - timedelta(days=1)

    def months(self) -> list[Period]:
        """Its calendar months, in order."""
        return [Period.month(self.year, self.first_month + i) for i in range(self.length)]

    def parts(self) -> list[Period]:
        """The periods it is made of for the parts rule: a year's quarters, a quarter's months;
        a month has none."""
        if self.kind == "year":
            return [Period.quarter(self.year, q) for q in range(1, 5)]
        if self.kind == "quarter":
            return self.months()
        return []

    def shifted(self, n: int) -> Period:
        """The period ``n`` periods of the same kind later (negative: earlier)."""
        if self.kind == "year":
            return Period.of_year(self.year + n)
        size = 12 if self.kind == "month" else 4
        index = self.year * size + self.number - 1 + n
        return Period(index // size, self.kind, index % size + 1)


def period_text(text: object) -> Period | None:
    """One 月份 text → its period, or None when it is no period form (dates are the caller's).

    Month forms here are the ``YYYY-MM`` / ``YYYY年MM月`` ones; a full date or an Excel serial
    number in a 月份 cell is read by the date reader and moved to its month.
    """
    s = unicodedata.normalize("NFKC", str(text)).strip().lower()
    for pattern in _QUARTER:
        hit = pattern.match(s)
        if hit:
            return Period.quarter(int(hit["y"]), _CN_DIGIT[hit["q"]])
    hit = _YEAR.match(s)
    if hit and 1900 <= int(hit["y"]) <= 9999:
        return Period.of_year(int(hit["y"]))
    hit = _MONTH.match(s)
    if hit and 1 <= int(hit["m"]) <= 12:
        return Period.month(int(hit["y"]), int(hit["m"]))
    return None


def parse_period(text: str | date | Period) -> Period:
    """A period argument (``2026-10``, ``2026Q4``, ``2026年第4季度``, ``2026``, or a date: its
    month) → :class:`Period`; raises ValueError for anything else."""
    if isinstance(text, Period):
        return text
    if isinstance(text, date):
        return Period.month(text.year, text.month)
    found = period_text(text)
    if found is None:
        raise ValueError(str(text))
    return found


def period_keys(frame: pd.DataFrame, field: str = "月份") -> np.ndarray:
    """Each row's period key (object array, None blank): the reader's :data:`PERIOD_KEY`
    column, or — for a frame built without it (an older table) — the month of ``field``."""
    if PERIOD_KEY in frame.columns:
        return np.asarray(frame[PERIOD_KEY].astype(object).where(frame[PERIOD_KEY].notna(), None), dtype=object)
    values = pd.to_datetime(frame[field]) if field in frame.columns else pd.Series(pd.NaT, index=frame.index)
    keys = values.dt.strftime("%Y-%m").astype(object)
    return np.asarray(keys.where(values.notna(), None), dtype=object)


def kinds_of(keys: np.ndarray) -> np.ndarray:
    """Period keys → ``month``/``quarter``/``year`` (None for blank), vectorised enough for a
    目标 sheet (a few thousand rows)."""
    out = np.empty(len(keys), dtype=object)
    for i, k in enumerate(keys.tolist()):
        out[i] = None if k is None else ("year" if len(k) == 4 else "quarter" if "Q" in k else "month")
    return out
