"""/export: the usage, the progress line, each document's caption and the final summary."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.text import clip, esc, number, size, when
from bot.ui import Reply
from services.export.formats import FORMAT_NAMES
from services.export.models import ExportRequest, ExportResult
from services.export.ranges import FORMS

CHAT_CHARS = 80
LAST_INSTANT = timedelta(microseconds=1)  # ``until`` is excluded: show the moment before it


def export_usage() -> Reply:
    formats = "|".join(FORMAT_NAMES)
    return Reply(
        "<b>Export a chat</b>\n"
        f"/export &lt;chat&gt; [{formats}] [date range]\n"
        "The chat is its @username, t.me link, id or title (quote a title that ends in a "
        "format or a date). The default format is json.\n"
        f"Date ranges: {esc(FORMS)}.\n"
        "Example: <code>/export @channel csv 2024-01-01..2024-03-31</code>\n"
        "Large exports arrive in several files, each complete on its own."
    )


def exporting_reply(chat: str, messages: int) -> Reply:
    """The progress line while batches are read; ``chat`` as the admin typed it."""
    return Reply(f"⏳ Exporting {_chat(chat)}… {number(messages)} messages")


def sending_reply(result: ExportResult) -> Reply:
    files = len(result.files)
    return Reply(
        f"⏳ Exporting {_title(result)}… {number(result.messages)} messages, "
        f"sending {number(files)} {_plural(files, 'file')}"
    )


def part_caption(result: ExportResult, part: int, request: ExportRequest, tz: ZoneInfo) -> str:
    """The caption under part ``part`` (1-based) of the export."""
    return (
        f"{_title(result)} — part {part} of {len(result.files)}\n"
        f"{number(result.messages)} messages · {request.fmt} · {period(request, tz)}"
    )


def export_done_reply(result: ExportResult, request: ExportRequest, tz: ZoneInfo) -> Reply:
    files = len(result.files)
    total = sum(len(file.content) for file in result.files)
    empty = " (nothing in that range)" if result.messages == 0 else ""
    return Reply(
        f"✅ Exported {_title(result)}: {number(result.messages)} messages{empty}\n"
        f"{number(files)} {request.fmt.upper()} {_plural(files, 'file')}, {size(total)} · "
        f"{period(request, tz)}"
    )


def period(request: ExportRequest, tz: ZoneInfo) -> str:
    """The range as the admin reads it: days when it falls on midnights, else times."""
    if request.since is None and request.until is None:
        return "all messages"
    first = _moment(request.since, tz) if request.since else None
    last = _moment(request.until - LAST_INSTANT, tz) if request.until else None
    if first and last:
        return first if first == last else f"{first} – {last}"
    return f"since {first}" if first else f"until {last}"


def _moment(value: datetime, tz: ZoneInfo) -> str:
    local = value.astimezone(tz)
    if local.time() == time(0) or local.time() == time(23, 59, 59, 999999):
        return local.date().isoformat()
    return when(value, tz)


def _title(result: ExportResult) -> str:
    return _chat(result.chat_title or str(result.chat_id))


def _chat(name: str) -> str:
    return f"<b>{esc(clip(name, CHAT_CHARS))}</b>"


def _plural(count: int, noun: str) -> str:
    return noun if count == 1 else f"{noun}s"
