"""Date ranges of ``/export``: days in the admin's time zone, turned into UTC instants.

Accepted forms: ``2024-01-01..2024-02-01`` (both days included), ``2024-01-01..``,
``..2024-02-01``, ``2024-03-05`` (that day; ``2024-03`` is that month), ``since 2024-01-01`` and
``7d`` (the last seven days, counted back from now). Each side of ``..`` may also be a month or a
year, read by the search language's date parser so both commands accept the same dates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from core.errors import InvalidInputError
from services.search.dates import period

FORMS = (
    "2024-01-01..2024-02-01 (both days included), 2024-01-01.., ..2024-02-01, "
    "2024-03-05 (that day), since 2024-01-01, or 7d (the last 7 days)"
)
SINCE = "since"
RANGE_SEPARATOR = ".."
# A lone token that is a day or a month; a bare year is left to titles like "Meetup 2024".
LONE_DATE = re.compile(r"^\d{4}-\d{1,2}(?:-\d{1,2})?$")
LAST_DAYS = re.compile(r"^(\d{1,6})d$", re.IGNORECASE)
MAX_DAYS = 36_500


@dataclass(frozen=True, slots=True)
class UtcRange:
    """``since <= date < until`` in UTC; either side may be open."""

    since: datetime | None = None
    until: datetime | None = None


def looks_like_range(token: str) -> bool:
    """Whether ``token`` is meant as a date range (it may still be an invalid one)."""
    lowered = token.lower()
    return (
        RANGE_SEPARATOR in token
        or lowered == SINCE
        or bool(LONE_DATE.match(token) or LAST_DAYS.match(token))
    )


def parse_range(tokens: list[str], tz: ZoneInfo, now: datetime) -> UtcRange:
    """``tokens`` is one range token, or ``since`` and a date."""
    if tokens[0].lower() == SINCE:
        if len(tokens) != 2:
            raise InvalidInputError(f"'since' needs a date (date ranges: {FORMS})")
        return UtcRange(since=_start(tokens[1], tz))
    token = tokens[0]
    days = LAST_DAYS.match(token)
    if days:
        return _last_days(int(days.group(1)), now)
    if RANGE_SEPARATOR in token:
        return _between(token, tz)
    if not LONE_DATE.match(token):
        raise InvalidInputError(f"'{token}' is not a date range: use {FORMS}")
    return UtcRange(_start(token, tz), _end(token, tz))


def _between(token: str, tz: ZoneInfo) -> UtcRange:
    first, _, last = token.partition(RANGE_SEPARATOR)
    if RANGE_SEPARATOR in last or not (first or last):
        raise InvalidInputError(f"'{token}' is not a date range: use {FORMS}")
    found = UtcRange(_start(first, tz) if first else None, _end(last, tz) if last else None)
    if found.since is not None and found.until is not None and found.until <= found.since:
        raise InvalidInputError(
            f"'{token}' ends before it starts: put the earlier date first (e.g. {last}..{first})"
        )
    return found


def _last_days(count: int, now: datetime) -> UtcRange:
    if not 1 <= count <= MAX_DAYS:
        raise InvalidInputError(f"'{count}d': the number of days must be between 1 and {MAX_DAYS}")
    return UtcRange(since=now.astimezone(UTC) - timedelta(days=count))


def _start(value: str, tz: ZoneInfo) -> datetime:
    """Local midnight at the start of the day, month or year ``value`` names."""
    return _local(_period(value)[0], tz)


def _end(value: str, tz: ZoneInfo) -> datetime:
    """Local midnight right after the day, month or year ``value`` names (it is included)."""
    return _local(_period(value)[1], tz)


def _period(value: str) -> tuple[datetime, datetime]:
    try:
        return period(value)
    except InvalidInputError as error:
        raise InvalidInputError(f"{error}; date ranges: {FORMS}") from None


def _local(calendar: datetime, tz: ZoneInfo) -> datetime:
    # period() gives calendar boundaries as UTC datetimes: the same wall time, read in tz.
    return calendar.replace(tzinfo=tz).astimezone(UTC)
