"""Telegram's parse_mode=HTML rules, so an unescaped ``<`` fails here as it does in Telegram.

Mirrors the checks and error texts of tdlib's HTML entity parser: supported tags only, every
start tag closed in order, bare ``<`` rejected. Attributes are not validated beyond spoilers.
"""

from __future__ import annotations

import re

SUPPORTED_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
        "code", "pre", "blockquote", "tg-emoji", "tg-time",
    }
)  # fmt: skip
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);")
_NAME = re.compile(r"[^\s>]+")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class HtmlEntitiesError(ValueError):
    """The text is not valid Telegram HTML; the message is Telegram's own wording."""


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _decode_entity(match: re.Match[str]) -> str:
    name = match.group(1)
    if name in _NAMED:
        return _NAMED[name]
    code = int(name[2:], 16) if name.startswith("#x") else int(name[1:])
    return chr(code) if 0 < code <= 0x10FFFF else match.group(0)


def _tag_at(text: str, start: int) -> tuple[str, str, int]:
    """Name, attribute text and end index (past ``>``, or -1 if unclosed) of the tag at ``start``.

    Like tdlib, the name runs to the first space or ``>``: ``a < b`` is a tag named "".
    """
    match = _NAME.match(text, start + 1)
    name_end = match.end() if match else start + 1
    close = text.find(">", name_end)
    if close == -1:
        return text[start + 1 : name_end].lower(), "", -1
    return text[start + 1 : name_end].lower(), text[name_end:close], close + 1


def _open(name: str, attributes: str, end: int, text: str, start: int, stack: list[str]) -> None:
    offset = _byte_offset(text, start)
    if name not in SUPPORTED_TAGS:
        raise HtmlEntitiesError(f'Unsupported start tag "{name}" at byte offset {offset}')
    if end == -1:
        raise HtmlEntitiesError(f"Unclosed start tag at byte offset {offset}")
    if name == "span" and "tg-spoiler" not in attributes:
        raise HtmlEntitiesError(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
    stack.append(name)


def _close(name: str, end: int, text: str, start: int, stack: list[str]) -> None:
    offset = _byte_offset(text, start)
    if not stack:
        raise HtmlEntitiesError(f"Unexpected end tag at byte offset {offset}")
    if end == -1:
        raise HtmlEntitiesError(f"Unclosed end tag at byte offset {offset}")
    expected = stack.pop()
    if name and name != expected:
        raise HtmlEntitiesError(
            f'Unmatched end tag at byte offset {offset}, expected "</{expected}>", '
            f'found "</{name}>"'
        )


def visible_text(text: str) -> str:
    """The text a client shows for ``text`` sent with parse_mode=HTML; raises on invalid HTML."""
    pieces: list[str] = []
    stack: list[str] = []
    position = 0
    while (start := text.find("<", position)) != -1:
        pieces.append(text[position:start])
        name, attributes, position = _tag_at(text, start)
        if name.startswith("/"):
            _close(name[1:], position, text, start, stack)
        else:
            _open(name, attributes, position, text, start, stack)
    pieces.append(text[position:])
    if stack:
        raise HtmlEntitiesError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return _ENTITY.sub(_decode_entity, "".join(pieces))
