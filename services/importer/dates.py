"""Export dates to aware UTC datetimes.

``*_unixtime`` (strings of seconds, since 2022-06) is exact and always preferred. Without it the
ISO text (``"2021-09-21T13:16:03"``) is in the local time of the computer that made the export,
with no offset. The importer interprets it in ``zone``: the zone the user names
(``--export-timezone``), else this machine's local zone, because exports are usually imported
where they were made. In a daylight-saving fold the earlier instant is taken. Dates written with
an offset are honoured as written.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any


class DateFormatError(ValueError):
    """A date value that cannot be read; the message quotes it."""


UNIX_KEYS = {"date": "date_unixtime", "edited": "edited_unixtime"}


def parse_date(raw: dict[str, Any], key: str, zone: tzinfo | None) -> tuple[datetime | None, bool]:
    """(UTC datetime or None when absent, whether local time was assumed)."""
    unix = raw.get(UNIX_KEYS.get(key) or f"{key}_unixtime")
    if unix is not None:
        if type(unix) is str and unix.isdigit():  # the usual form, read without the checks
            try:
                return datetime.fromtimestamp(int(unix), UTC), False
            except (OverflowError, OSError, ValueError):
                pass  # reported below, as for any other form
        return _from_unix(unix, key), False
    text = raw.get(key)
    if text is None:
        return None, False
    if not isinstance(text, str):
        raise DateFormatError(f"'{key}' is {text!r}, not a date")
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise DateFormatError(f"'{key}' {text!r} does not parse as a date") from None
    if value.tzinfo is not None:
        return value.astimezone(UTC), False
    local = value.replace(tzinfo=zone) if zone is not None else value.astimezone()
    return local.astimezone(UTC), True


def _from_unix(value: Any, key: str) -> datetime:
    readable = isinstance(value, str | int) and not isinstance(value, bool)
    text = str(value).strip() if readable else ""
    if not text.lstrip("-").isdigit():
        raise DateFormatError(f"'{key}_unixtime' {value!r} is not a number of seconds")
    try:
        return datetime.fromtimestamp(int(text), UTC)
    except (OverflowError, OSError, ValueError):
        raise DateFormatError(f"'{key}_unixtime' {value!r} is out of range") from None
