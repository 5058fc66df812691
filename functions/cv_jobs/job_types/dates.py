"""Deterministic date normalisation: whatever the model wrote becomes {year, month, day, isPresent}."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field


class DateValue(BaseModel):
    model_config = ConfigDict(frozen=True)

    year: int | None = Field(default=None, ge=1900, le=2200)
    month: int | None = Field(default=None, ge=1, le=12)
    day: int | None = Field(default=None, ge=1, le=31)
    isPresent: bool = False  # the frontend's spelling


_PRESENT_WORDS = frozenset(
    {"present", "current", "currently", "now", "today", "ongoing", "till date", "to date"}
)
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_ISO = re.compile(r"^(?P<year>\d{4})(?:[-/.](?P<month>\d{1,2})(?:[-/.](?P<day>\d{1,2}))?)?$")
_MONTH_FIRST = re.compile(r"^(?P<month>\d{1,2})[-/.](?P<year>\d{4})$")
_DAY_MONTH_YEAR = re.compile(r"^(?P<day>\d{1,2})[-/.](?P<month>\d{1,2})[-/.](?P<year>\d{4})$")
_NAMED_MONTH = re.compile(r"^(?P<month>[a-z]+)\.?,?\s+(?P<year>\d{4})$")


def parse_cv_date(text: str | None) -> DateValue | None:
    """Parse the common ways CVs write dates. Unknown shapes give None rather than a guess."""
    if text is None:
        return None
    value = " ".join(text.strip().lower().split())
    if not value:
        return None
    if value in _PRESENT_WORDS:
        return DateValue(isPresent=True)
    for pattern in (_ISO, _MONTH_FIRST, _DAY_MONTH_YEAR):
        match = pattern.match(value)
        if match:
            return _date(match.groupdict())
    match = _NAMED_MONTH.match(value)
    if match and match["month"] in _MONTHS:
        return _date({"year": match["year"], "month": str(_MONTHS[match["month"]])})
    return None


def _date(parts: dict[str, str | None]) -> DateValue | None:
    def number(name: str) -> int | None:
        value = parts.get(name)
        return int(value) if value else None

    try:
        return DateValue(year=number("year"), month=number("month"), day=number("day"))
    except ValueError:  # month 13, day 32, year 0042: not a date we can trust
        return None
