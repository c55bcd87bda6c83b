"""Stored text and entities back to Telegram Desktop's ``text`` and ``text_entities`` values.

The vault keeps entities as ``{type, offset, length, …}`` with offsets in UTF-16 code units (the
importer's and the archiver's shared form). Desktop writes the text cut into parts instead, each
part one entity or plain text, so overlapping entities cannot all be kept: the first one (by
start, then the longest) wins and the text itself is always complete.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence
from typing import Any

Part = dict[str, Any]
POSITION_KEYS = frozenset({"type", "offset", "length"})


def text_parts(text: str, entities: Sequence[dict[str, Any]]) -> list[Part]:
    """Every part of ``text`` in order, plain parts as ``{"type": "plain", "text": …}``."""
    to_index = _index_of_utf16(text)
    parts: list[Part] = []
    cursor = 0
    for start, end, entity in sorted(_spans(entities, to_index, len(text)), key=_span_order):
        if start < cursor:
            continue  # overlaps the previous part: nested formatting cannot be written
        if start > cursor:
            parts.append(_plain(text[cursor:start]))
        extras = {k: v for k, v in entity.items() if k not in POSITION_KEYS}
        parts.append({"type": _type_of(entity), "text": text[start:end], **extras})
        cursor = end
    if cursor < len(text):
        parts.append(_plain(text[cursor:]))
    return parts


def desktop_text(parts: list[Part]) -> str | list[str | Part]:
    """The ``text`` value: a string for plain text, else strings mixed with entity parts."""
    if not parts:
        return ""
    if len(parts) == 1 and parts[0]["type"] == "plain":
        return str(parts[0]["text"])
    return [part["text"] if part["type"] == "plain" else part for part in parts]


def _spans(
    entities: Sequence[dict[str, Any]], to_index: Callable[[int], int], size: int
) -> list[tuple[int, int, dict[str, Any]]]:
    spans = []
    for entity in entities:
        offset, length = entity.get("offset"), entity.get("length")
        if not isinstance(offset, int) or not isinstance(length, int) or isinstance(offset, bool):
            continue
        if offset < 0 or length <= 0 or entity.get("type") == "plain":
            continue
        start, end = to_index(offset), min(to_index(offset + length), size)
        if end > start:
            spans.append((start, end, entity))
    return spans


def _span_order(span: tuple[int, int, dict[str, Any]]) -> tuple[int, int]:
    return span[0], -span[1]


def _index_of_utf16(text: str) -> Callable[[int], int]:
    """A function: UTF-16 offset -> index into ``text`` (a split surrogate pair rounds up)."""
    if text.isascii() or all(ord(char) <= 0xFFFF for char in text):
        return lambda offset: min(offset, len(text))
    boundaries = [0]
    for char in text:
        boundaries.append(boundaries[-1] + (2 if ord(char) > 0xFFFF else 1))
    return lambda offset: min(bisect_left(boundaries, offset), len(text))


def _type_of(entity: dict[str, Any]) -> str:
    kind = entity.get("type")
    return kind if isinstance(kind, str) and kind else "unknown"


def _plain(text: str) -> Part:
    return {"type": "plain", "text": text}
