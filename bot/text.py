"""Text helpers every presenter uses: HTML escaping, Telegram's length limit, dates, numbers."""

from __future__ import annotations

import html
from datetime import datetime
from zoneinfo import ZoneInfo

MAX_MESSAGE_CHARS = 4096  # Telegram's limit on one message's text (after entities parsing)
ELLIPSIS = "…"


def esc(value: object) -> str:
    """HTML-escape anything for parse_mode=HTML (quotes too: values land in attributes)."""
    return html.escape("" if value is None else str(value), quote=True)


def clip(value: str, limit: int) -> str:
    """``value`` cut to ``limit`` characters, with an ellipsis when something was cut."""
    if len(value) <= limit:
        return value
    return value[: max(limit - 1, 0)] + ELLIPSIS


def units(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def fit(text: str, budget: int, *, keep_end: bool = False) -> str:
    """``text`` escaped for HTML and cut to at most ``budget`` UTF-16 units, an ellipsis marking
    the cut; ``keep_end`` keeps the end (what leads up to a match) instead of the start."""
    escaped, complete = escaped_within(text, budget, keep_end)
    if complete:
        return escaped
    if budget < 1:
        return ""
    cut = escaped_within(text, budget - 1, keep_end)[0]
    return ELLIPSIS + cut if keep_end else cut + ELLIPSIS


def escaped_within(text: str, budget: int, from_end: bool = False) -> tuple[str, bool]:
    """The longest escaped prefix (or suffix) of ``text`` within ``budget`` units, and whether
    it is the whole text."""
    pieces: list[str] = []
    used = 0
    for char in reversed(text) if from_end else text:
        piece = html.escape(char, quote=True)
        cost = units(piece)
        if used + cost > budget:
            break
        pieces.append(piece)
        used += cost
    else:
        return _joined(pieces, from_end), True
    return _joined(pieces, from_end), False


def _joined(pieces: list[str], reversed_order: bool) -> str:
    return "".join(reversed(pieces) if reversed_order else pieces)


def split_message(text: str, limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """Split HTML text into messages of at most ``limit`` characters.

    Splits at line ends, so presenters keep every tag closed on the line that opened it;
    a single line longer than the limit is cut at the limit after closing nothing, which
    presenters avoid by clipping long fields (``clip``) before marking them up.
    """
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current:
        parts.append(current)
    return parts


def when(moment: datetime | None, tz: ZoneInfo, *, seconds: bool = False) -> str:
    """A date as admins read it: ``2024-03-05 14:07`` in the bot's time zone."""
    if moment is None:
        return "—"
    local = moment.astimezone(tz)
    return local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def number(value: int) -> str:
    """Thousands separated with a thin space, readable on a phone: ``1 234 567``."""
    return f"{value:,}".replace(",", "\u2009")


def size(num_bytes: int | None) -> str:
    """Bytes in the largest unit that keeps the figure readable."""
    if num_bytes is None:
        return "unknown"
    value = float(num_bytes)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"


def duration(seconds: float | None) -> str:
    """``3d 4h``, ``5h 12m``, ``42s``: the two largest units."""
    if seconds is None:
        return "unknown"
    total = int(seconds)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"
