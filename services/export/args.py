"""``/export <chat> [json|csv|html] [date range]``: the admin's text to an ExportRequest.

A chat named by @username, t.me link or id is one word, and everything after it must be a
format or a date range. A title may have several words: format and range words are taken from
its end, and a title that itself ends in such a word can be quoted (``"Sales 2024-01"``).
"""

from __future__ import annotations

import difflib
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from core.errors import InvalidInputError
from services.export.chats import QUOTES, chat_reference
from services.export.formats import FORMAT_LIST, FORMAT_NAMES, not_a_format
from services.export.models import ExportRequest
from services.export.ranges import FORMS, SINCE, UtcRange, looks_like_range, parse_range
from services.search.syntax import RefKind

USAGE = (
    "usage: /export <chat> [json|csv|html] [date range], e.g. /export @channel csv 30d; "
    f"the chat is its @username, t.me link, id or title; date ranges: {FORMS}"
)
# Formats people ask for that the export does not write: said plainly, never taken as a title.
OTHER_FORMATS = frozenset({"xml", "txt", "pdf", "xls", "xlsx", "md", "doc", "docx", "tsv", "zip"})


def parse_export_args(text: str, *, tz: ZoneInfo, now: datetime | None = None) -> ExportRequest:
    """The request ``text`` asks for; InvalidInputError says what to change.

    Dates are days in ``tz``; ``now`` (default: the current time) anchors ``7d``-style ranges.
    """
    chat, options = _split_chat(text)
    ref = chat_reference(chat)
    if ref.kind is RefKind.TITLE:
        _refuse_format_like_title(chat)
    fmt, found = _options(options, tz, now or datetime.now(UTC))
    return ExportRequest(chat=ref.raw, fmt=fmt, since=found.since, until=found.until)


def _split_chat(text: str) -> tuple[str, list[str]]:
    """(the chat as typed, the words after it)."""
    stripped = text.strip()
    if not stripped:
        raise InvalidInputError(f"name the chat to export; {USAGE}")
    closing = QUOTES.get(stripped[0])
    if closing:
        end = stripped.find(closing, 1)
        if end < 0:
            raise InvalidInputError(f"the chat title opens a quote that is never closed; {USAGE}")
        return stripped[: end + 1], stripped[end + 1 :].split()
    words = stripped.split()
    if chat_reference(words[0]).kind is not RefKind.TITLE:
        return words[0], words[1:]
    first_option = len(words)
    while first_option > 1 and _is_option(words[first_option - 1]):
        first_option -= 1
        if first_option > 1 and words[first_option - 1].lower() == SINCE:
            first_option -= 1
    return " ".join(words[:first_option]), words[first_option:]


def _is_option(word: str) -> bool:
    return word.lower() in FORMAT_NAMES or looks_like_range(word)


def _refuse_format_like_title(title: str) -> None:
    """``/export Family cvs`` is more likely a typo than a chat called "Family cvs"."""
    words = title.split()
    if len(words) < 2 or title.startswith(tuple(QUOTES)):
        return
    last = words[-1]
    close = difflib.get_close_matches(last.lower(), FORMAT_NAMES, n=1, cutoff=0.6)
    if last.lower() in OTHER_FORMATS or close:
        raise not_a_format(
            last, f"use {FORMAT_LIST}; if it is part of the chat's title, put the title in quotes"
        )


def _options(words: list[str], tz: ZoneInfo, now: datetime) -> tuple[str, UtcRange]:
    fmt: str | None = None
    found: UtcRange | None = None
    index = 0
    while index < len(words):
        word = words[index]
        if word.lower() == SINCE or looks_like_range(word):
            taken = 2 if word.lower() == SINCE else 1
            if found is not None:
                raise InvalidInputError(f"give one date range, not two; date ranges: {FORMS}")
            found = parse_range(words[index : index + taken], tz, now)
            index += taken
            continue
        if word.lower() not in FORMAT_NAMES:
            raise not_a_format(word, f"use {FORMAT_LIST}; date ranges: {FORMS}")
        if fmt is not None:
            raise InvalidInputError(f"give one format, not two ({fmt} and {word.lower()})")
        fmt = word.lower()
        index += 1
    return fmt or "json", found or UtcRange()
