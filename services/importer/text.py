"""Message text values to the archive's plain text plus formatting entities.

A text value is a string, or a list mixing plain strings and ``{type, text, …}`` parts;
``text_entities`` (since 2022-09) is the same list with plain parts as ``{"type": "plain"}``.
The stored text is the concatenation of every part. Each non-plain part becomes an entity
``{"type", "offset", "length", …extra keys}`` with offsets and lengths in UTF-16 code units,
Telegram's own convention (what the Bot API and MTProto use), so ranges survive emoji.
"""

from __future__ import annotations

from typing import Any

Entity = dict[str, Any]
PART_KEYS = ("type", "text")


def text_and_entities(raw: dict[str, Any]) -> tuple[str, tuple[Entity, ...] | None]:
    parts = raw.get("text_entities")
    if not isinstance(parts, list) or not parts:
        parts = raw.get("text", "")
    elif len(parts) == 1 and type(parts[0]) is dict and _is_plain(parts[0]):
        return _as_text(parts[0].get("text")), None  # the usual unformatted text, in short
    return flatten(parts)


def _is_plain(part: dict[str, Any]) -> bool:
    return (part.get("type") or "plain") == "plain"


def flatten(value: Any) -> tuple[str, tuple[Entity, ...] | None]:
    """Plain text and entities of any text value (message text, poll question, gift text…)."""
    if isinstance(value, str):
        return value, None
    if not isinstance(value, list):
        return ("" if value is None else str(value)), None
    pieces: list[str] = []
    entities: list[Entity] = []
    offset = 0
    for part in value:
        if isinstance(part, dict):
            kind = part.get("type") or "plain"
            body = _as_text(part.get("text"))
        else:
            kind, body = "plain", _as_text(part)
        length = _utf16_length(body)
        if kind != "plain" and length:
            extra = {k: v for k, v in part.items() if k not in PART_KEYS}
            entities.append({"type": kind, "offset": offset, "length": length, **extra})
        pieces.append(body)
        offset += length
    return "".join(pieces), (tuple(entities) if entities else None)


def plain_text(value: Any) -> str:
    return flatten(value)[0]


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return "" if value is None else str(value)


def _utf16_length(text: str) -> int:
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2
