"""``before:``/``after:``/``on:`` values (YYYY-MM-DD, YYYY-MM or YYYY) as UTC date ranges."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from core.errors import InvalidInputError
from services.search.syntax import DateRange

DATE_VALUE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
FIRST_YEAR, LAST_YEAR = 1970, 2999
FORMATS = {1: "YYYY", 2: "YYYY-MM", 3: "YYYY-MM-DD"}


def period(value: str) -> tuple[datetime, datetime]:
    """The UTC period ``[start, end)`` a date value names: a day, a month or a year."""
    match = DATE_VALUE.match(value.strip())
    if not match:
        raise InvalidInputError(
            f"date '{value}' is not a date: use YYYY-MM-DD, YYYY-MM or YYYY (e.g. 2024-05-31)"
        )
    parts = [int(p) for p in match.groups() if p is not None]
    shape = FORMATS[len(parts)]
    year, month, day = parts[0], (parts[1:2] or [1])[0], (parts[2:3] or [1])[0]
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInputError(
            f"date '{value}': the year must be between {FIRST_YEAR} and {LAST_YEAR}"
        )
    try:
        start = datetime(year, month, day, tzinfo=UTC)
    except ValueError:
        raise InvalidInputError(f"date '{value}' is not a valid {shape}") from None
    return start, _advance(start, len(parts))


def _advance(start: datetime, precision: int) -> datetime:
    if precision == 1:
        return start.replace(year=start.year + 1)
    if precision == 2:
        if start.month == 12:
            return start.replace(year=start.year + 1, month=1)
        return start.replace(month=start.month + 1)
    return datetime.fromordinal(start.toordinal() + 1).replace(tzinfo=UTC)


def date_filter(name: str, value: str) -> DateRange:
    """``before:`` ends where the period starts, ``after:`` starts where it ends, ``on:`` is it."""
    start, end = period(value)
    if name == "before":
        return DateRange(end=start)
    if name == "after":
        return DateRange(start=end)
    return DateRange(start=start, end=end)


def intersect(first: DateRange, second: DateRange) -> DateRange:
    """Both ranges at once; an empty intersection is the user's contradiction, so it is said."""
    starts = [d for d in (first.start, second.start) if d is not None]
    ends = [d for d in (first.end, second.end) if d is not None]
    combined = DateRange(start=max(starts) if starts else None, end=min(ends) if ends else None)
    if combined.start and combined.end and combined.start >= combined.end:
        raise InvalidInputError(
            "the date filters exclude each other: no date is both on or after "
            f"{combined.start:%Y-%m-%d} and before {combined.end:%Y-%m-%d}"
        )
    return combined
