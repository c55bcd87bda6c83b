"""The ``name:value`` filters of the query language and the values each one accepts."""

from __future__ import annotations

import difflib
import re
from dataclasses import replace

from core.errors import InvalidInputError
from services.search import dates
from services.search.syntax import HAS_VALUES, IS_VALUES, Filters, Ref, RefKind

FILTER_NAMES = ("from", "in", "before", "after", "on", "has", "is", "sort")
NUMERIC_ID = re.compile(r"^-?\d{1,19}$")
MAX_ID = 2**63 - 1
USERNAME = re.compile(r"^@?([A-Za-z][A-Za-z0-9_]{1,63})$")
EXAMPLES = {
    "from": "from:@username or from:12345",
    "in": 'in:@channel, in:-1001234567890 or in:"part of a title"',
    "before": "before:2024-05-31 or before:2024-05",
    "after": "after:2024-05-31 or after:2024-05",
    "on": "on:2024-05-31 or on:2024-05",
    "has": "has:" + "|".join(HAS_VALUES),
    "is": "is:" + "|".join(IS_VALUES),
    "sort": "sort:date or sort:relevance",
}


def choice(name: str, value: str, options: tuple[str, ...]) -> str:
    """``value`` as one of ``options`` (case-insensitive), or a helpful error."""
    wanted = value.strip().lower()
    if wanted in options:
        return wanted
    if not wanted:
        raise InvalidInputError(f"{name}: needs a value: {EXAMPLES[name]}")
    close = difflib.get_close_matches(wanted, options, n=1, cutoff=0.6)
    hint = f" — did you mean '{name}:{close[0]}'?" if close else ""
    raise InvalidInputError(
        f"'{name}:{value}' is not a known value{hint} (use {name}:{'|'.join(options)})"
    )


def apply_filter(filters: Filters, name: str, value: str, *, negated: bool) -> Filters:
    """``filters`` with one more ``name:value``; several from:/in: values match any of them."""
    if name in ("before", "after", "on"):
        if negated:
            raise InvalidInputError(f"'-' cannot be used with {name}:; use the opposite filter")
        if not value.strip():
            raise InvalidInputError(f"{name}: needs a date: {EXAMPLES[name]}")
        return replace(
            filters, dates=dates.intersect(filters.dates, dates.date_filter(name, value))
        )
    if name == "from":
        ref = _sender_ref(value)
        if negated:
            return replace(filters, excluded_senders=(*filters.excluded_senders, ref))
        return replace(filters, senders=(*filters.senders, ref))
    if name == "in":
        ref = _chat_ref(value)
        if negated:
            return replace(filters, excluded_chats=(*filters.excluded_chats, ref))
        return replace(filters, chats=(*filters.chats, ref))
    return _with_flag(filters, name, value, negated)


def _with_flag(filters: Filters, name: str, value: str, negated: bool) -> Filters:
    """has: and is: values; with '-' they exclude."""
    if name == "has":
        picked = choice("has", value, HAS_VALUES)
        if negated:
            return replace(filters, has_not=filters.has_not | {picked})
        return replace(filters, has=filters.has | {picked})
    picked = choice("is", value, IS_VALUES)
    if negated:
        return replace(filters, is_not=filters.is_not | {picked})
    return replace(filters, is_=filters.is_ | {picked})


def _sender_ref(value: str) -> Ref:
    raw = value.strip()
    if NUMERIC_ID.match(raw):
        return _id_ref("from", raw)
    match = USERNAME.match(raw)
    if not match:
        raise InvalidInputError(
            f"'from:{value}' is not a username or an id: use {EXAMPLES['from']}"
            if raw
            else f"from: needs a value: {EXAMPLES['from']}"
        )
    return Ref(RefKind.USERNAME, match.group(1).lower(), raw)


def _chat_ref(value: str) -> Ref:
    raw = " ".join(value.split())
    if not raw:
        raise InvalidInputError(f"in: needs a value: {EXAMPLES['in']}")
    if NUMERIC_ID.match(raw):
        return _id_ref("in", raw)
    match = USERNAME.match(raw)
    if raw.startswith("@"):
        if not match:
            raise InvalidInputError(f"'in:{value}' is not a valid @username")
        return Ref(RefKind.USERNAME, match.group(1).lower(), raw)
    return Ref(RefKind.TITLE, raw, raw)


def _id_ref(name: str, raw: str) -> Ref:
    if abs(int(raw)) > MAX_ID:
        raise InvalidInputError(f"'{name}:{raw}' is not a Telegram id: it is too large")
    return Ref(RefKind.ID, str(int(raw)), raw)
