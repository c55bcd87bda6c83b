"""What a person may type to name a chat: @username, t.me links, numeric ids -> ChatReference.

Pure parsing, no Telegram call: the gateway resolves what this returns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from core.errors import InvalidInputError

# Telegram's rule (as Telethon applies it): a letter first, no double underscore, no "_" last.
USERNAME = re.compile(r"^[a-z](?:(?!__)[a-z0-9_]){1,30}[a-z0-9]$", re.IGNORECASE)
LINK_HOSTS = frozenset({"t.me", "telegram.me", "telegram.dog"})
# t.me paths that are features, not chats.
RESERVED = frozenset(
    {"addstickers", "addemoji", "addtheme", "bg", "boost", "iv", "login", "proxy", "share",
     "socks", "setlanguage", "invoice", "contact", "addlist", "m", "k", "a", "z"}
)  # fmt: skip
CHANNEL_MARK = 10**12  # a channel's marked id is -(10**12 + its bare id): "-100" + id
INVITE_HINT = "invite links are joined explicitly; join the chat first, then add it by id or name"


@dataclass(frozen=True, slots=True)
class ChatReference:
    """Exactly one of ``username`` and ``chat_id`` (a marked peer id) is set."""

    username: str | None = None
    chat_id: int | None = None
    message_id: int | None = None


def parse_reference(text: str) -> ChatReference:
    """Raise InvalidInputError for anything that cannot name a chat."""
    value = text.strip()
    if not value:
        raise InvalidInputError("empty chat reference: send @username, a t.me link or a numeric id")
    if re.fullmatch(r"-?\d+", value):
        return _numeric(value)
    if value.startswith("@"):
        return ChatReference(username=_username(value[1:], text))
    if value.lower().startswith("tg://"):
        return _tg_link(value, text)
    link = _link_path(value)
    if link is not None:
        return _t_me_path(link, text)
    return ChatReference(username=_username(value, text))


def _numeric(value: str) -> ChatReference:
    chat_id = int(value)
    if chat_id == 0:
        raise InvalidInputError("0 is not a chat id")
    return ChatReference(chat_id=chat_id)


def _username(candidate: str, original: str) -> str:
    if not USERNAME.match(candidate):
        raise InvalidInputError(
            f"{original.strip()!r} is not a chat reference: send @username, a t.me link "
            "(t.me/name, t.me/name/123, t.me/c/<id>/<msg>) or a numeric id"
        )
    return candidate.lower()


def _link_path(value: str) -> list[str] | None:
    """The path segments of a t.me-style link, or None when ``value`` is no such link."""
    with_scheme = value if "://" in value else f"https://{value}"
    parts = urlsplit(with_scheme)
    host = (parts.hostname or "").removeprefix("www.")
    if host not in LINK_HOSTS:
        return None
    return [segment for segment in parts.path.split("/") if segment]


def _t_me_path(segments: list[str], original: str) -> ChatReference:
    if not segments:
        raise InvalidInputError(f"{original.strip()!r} names no chat")
    head, rest = segments[0], segments[1:]
    if head.startswith("+") or head.lower() == "joinchat":
        raise InvalidInputError(INVITE_HINT)
    if head.lower() == "c":
        return _private_post(rest, original)
    if head.lower() == "s" and rest:  # the web preview of a public channel
        head, rest = rest[0], rest[1:]
    if head.lower() in RESERVED:
        raise InvalidInputError(f"{original.strip()!r} is a Telegram feature link, not a chat")
    return ChatReference(username=_username(head, original), message_id=_last_number(rest))


def _private_post(rest: list[str], original: str) -> ChatReference:
    if not rest or not rest[0].isdigit():
        raise InvalidInputError(f"{original.strip()!r}: expected t.me/c/<channel id>/<message id>")
    return ChatReference(chat_id=-(CHANNEL_MARK + int(rest[0])), message_id=_last_number(rest[1:]))


def _last_number(segments: list[str]) -> int | None:
    # t.me/name/123 or, inside a forum topic, t.me/name/<topic>/123: the message is the last one.
    numbers = [int(s) for s in segments if s.isdigit()]
    return numbers[-1] if numbers else None


def _tg_link(value: str, original: str) -> ChatReference:
    parts = urlsplit(value)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    post = int(query["post"]) if query.get("post", "").isdigit() else None
    if parts.netloc == "resolve" and "domain" in query:
        return ChatReference(username=_username(query["domain"], original), message_id=post)
    if parts.netloc == "privatepost" and query.get("channel", "").isdigit():
        return ChatReference(chat_id=-(CHANNEL_MARK + int(query["channel"])), message_id=post)
    if parts.netloc == "join":
        raise InvalidInputError(INVITE_HINT)
    raise InvalidInputError(f"{original.strip()!r} is not a chat link")
