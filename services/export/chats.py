"""The chat an export names: @username, t.me link, id or title, looked up in the vault.

Usernames and titles are looked up by the search language's ``in:`` resolver, so ``/export``
and ``/search in:`` find the same chats. Export adds what ``in:`` does not need: t.me links,
quoted titles, bare ids as Telegram Desktop and t.me/c links show them, and exactly one chat.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.db.tables import chats
from core.errors import InvalidInputError, NotFoundError
from core.text import fold
from services.export.models import ExportChat
from services.importer.ids import channel_id
from services.search.filters_syntax import MAX_ID, NUMERIC_ID, USERNAME
from services.search.resolve import chat_ids_of
from services.search.syntax import Ref, RefKind

QUOTES = {'"': '"', "“": "”", "«": "»"}
LINK = re.compile(r"^(?:https?://)?(?:www\.)?(?:t|telegram)\.(?:me|dog)/([^?#]*)", re.IGNORECASE)
INVITE_PATHS = frozenset({"joinchat", "addlist", "addstickers", "addemoji", "share"})
HOW_TO_NAME = "use the chat's @username, its t.me link, its id or a part of its title"
LISTED_MATCHES = 5


def unquoted(raw: str) -> str:
    """``raw`` with whitespace collapsed and one pair of surrounding quotes removed."""
    text = " ".join(raw.split())
    closing = QUOTES.get(text[:1])
    if closing and len(text) > 1 and text.endswith(closing):
        return text[1:-1].strip()
    return text


def chat_reference(raw: str) -> Ref:
    """How ``raw`` names a chat; InvalidInputError when it cannot name one."""
    text = unquoted(raw)
    if not text:
        raise InvalidInputError(f"name the chat to export: {HOW_TO_NAME}")
    link = LINK.match(text)
    if link:
        return _link_reference(link.group(1), text)
    if NUMERIC_ID.match(text):
        if abs(int(text)) > MAX_ID:
            raise InvalidInputError(f"'{text}' is not a Telegram id: it is too large")
        return Ref(RefKind.ID, str(int(text)), text)
    if text.startswith("@"):
        username = USERNAME.match(text)
        if not username:
            raise InvalidInputError(f"'{text}' is not a valid @username; {HOW_TO_NAME}")
        return Ref(RefKind.USERNAME, username.group(1).lower(), text)
    return Ref(RefKind.TITLE, text, text)


def _link_reference(path: str, raw: str) -> Ref:
    parts = [part for part in path.split("/") if part]
    if parts[:1] == ["s"]:  # t.me/s/<name>: the public web preview of a channel
        parts = parts[1:]
    if len(parts) >= 2 and parts[0] == "c" and parts[1].isdigit():  # t.me/c/<bare id>/<msg>
        return Ref(RefKind.ID, str(channel_id(int(parts[1]))), raw)
    first = parts[0] if parts else ""
    if first.startswith("+") or first.lower() in INVITE_PATHS:
        raise InvalidInputError(
            f"'{raw}' is an invite or share link, which does not say which chat it is; "
            f"{HOW_TO_NAME}"
        )
    username = USERNAME.match(first)
    if not username:
        raise InvalidInputError(f"'{raw}' is not a link to a chat; {HOW_TO_NAME}")
    return Ref(RefKind.USERNAME, username.group(1).lower(), raw)


async def find_chat(conn: AsyncConnection, ref: Ref) -> ExportChat:
    """The one chat ``ref`` names; NotFoundError for none, InvalidInputError for several."""
    found = await chat_candidates(conn, ref)
    if not found:
        raise NotFoundError(f"no chat in the vault matches '{ref.raw}'; {HOW_TO_NAME}")
    return only_one(found, ref, "Export one of them by its id or @username")


async def chat_candidates(conn: AsyncConnection, ref: Ref) -> list[ExportChat]:
    """Every stored chat ``ref`` may name, by id order."""
    notes: list[str] = []  # the search language's explanations; the callers' errors say more
    if ref.kind is RefKind.ID:
        return await _by_id(conn, int(ref.value))
    if ref.kind is RefKind.TITLE and USERNAME.match(ref.value):
        # A single word may be a username typed without '@': an exact username wins.
        as_username = Ref(RefKind.USERNAME, ref.value.lower(), ref.raw)
        found = await _rows(conn, await chat_ids_of(conn, as_username, notes))
        if found:
            return found
    return await _rows(conn, await chat_ids_of(conn, ref, notes))


def only_one(found: list[ExportChat], ref: Ref, advice: str) -> ExportChat:
    """The one of ``found`` meant: the only one, or a unique exact title; else InvalidInputError
    listing them, ending with ``advice``."""
    if len(found) == 1:
        return found[0]
    wanted = fold(ref.value)
    exact = [chat for chat in found if chat.title and fold(chat.title) == wanted]
    if len(exact) == 1:
        return exact[0]
    listed = "; ".join(chat.label for chat in found[:LISTED_MATCHES])
    more = f" and {len(found) - LISTED_MATCHES} more" if len(found) > LISTED_MATCHES else ""
    raise InvalidInputError(f"'{ref.raw}' matches {len(found)} chats: {listed}{more}. {advice}")


async def _by_id(conn: AsyncConnection, chat_id: int) -> list[ExportChat]:
    """The marked id as stored; a positive id that is not stored may be a bare group id."""
    exact = await _rows(conn, [chat_id])
    if exact or chat_id <= 0:
        return exact
    return await _rows(conn, [channel_id(chat_id), -chat_id])


async def _rows(conn: AsyncConnection, ids: list[int]) -> list[ExportChat]:
    if not ids:
        return []
    query = (
        select(chats.c.id, chats.c.kind, chats.c.title, chats.c.username)
        .where(chats.c.id.in_(ids))
        .order_by(chats.c.id)
    )
    return [ExportChat(r.id, r.kind, r.title, r.username) for r in await conn.execute(query)]
