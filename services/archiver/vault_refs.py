"""Chats and people named the way admins name them, looked up in the vault (no Telegram call).

The bot resolves the targets of /unwatch, /backfill, /retry_media and /enrich here, so these
commands answer at once and work with the bot alone. A chat is named by its id, @username,
t.me link or a part of its title (parsed as /export parses it); a person by id or @username.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.db.database import Database
from core.db.tables import chats, users
from core.errors import InvalidInputError, NotFoundError
from core.text import fold
from services.export.chats import chat_reference, unquoted
from services.importer.ids import CHANNEL_SHIFT, channel_id
from services.search.filters_syntax import MAX_ID, NUMERIC_ID, USERNAME
from services.search.resolve import chat_ids_of
from services.search.syntax import Ref, RefKind

HOW_TO_NAME = "name it by its id, @username, t.me link or a part of its title"
LISTED_MATCHES = 5


@dataclass(frozen=True, slots=True)
class VaultChat:
    id: int  # marked id
    kind: str
    title: str | None
    username: str | None

    @property
    def label(self) -> str:
        """``Title (id)``, or ``@username (id)`` for an untitled chat."""
        name = self.title or (f"@{self.username}" if self.username else "untitled")
        return f"{name} ({self.id})"


@dataclass(frozen=True, slots=True)
class VaultUser:
    id: int
    first_name: str | None
    last_name: str | None
    username: str | None

    @property
    def label(self) -> str:
        name = " ".join(p for p in (self.first_name, self.last_name) if p) or "no name"
        handle = f" @{self.username}" if self.username else ""
        return f"{name}{handle} ({self.id})"


async def find_chat(db: Database, text: str, *, watched_only: bool = False) -> VaultChat:
    """The one chat ``text`` names; NotFoundError for none, InvalidInputError for several.

    ``watched_only`` looks among the chats on the watch list only.
    """
    if not unquoted(text):
        raise InvalidInputError(f"which chat? {HOW_TO_NAME}")
    ref = chat_reference(text)
    async with db.reader() as uow:
        ids = await _chat_ids(uow.connection, ref)
        if watched_only:
            watched = await uow.watch.enabled_ids()
            ids = [chat_id for chat_id in ids if chat_id in watched]
        found = await _chat_rows(uow.connection, ids)
    if not found:
        where = "watched chat (see /chats)" if watched_only else "chat in the vault"
        raise NotFoundError(f"no {where} matches '{ref.raw}'; {HOW_TO_NAME}")
    return found[0] if len(found) == 1 else _one_of(found, ref)


async def find_user(db: Database, text: str) -> VaultUser | None:
    """The person with this id or @username in the vault; None when nobody (or not a user ref)."""
    raw = text.strip()
    query = select(users.c.id, users.c.first_name, users.c.last_name, users.c.username)
    if NUMERIC_ID.match(raw):
        if abs(int(raw)) > MAX_ID:
            return None
        query = query.where(users.c.id == int(raw))
    elif match := USERNAME.match(raw):
        query = query.where(func.lower(users.c.username) == match.group(1).lower())
    else:
        return None
    async with db.reader() as uow:
        row = (await uow.connection.execute(query.order_by(users.c.id).limit(1))).first()
    return VaultUser(row.id, row.first_name, row.last_name, row.username) if row else None


async def _chat_ids(conn: AsyncConnection, ref: Ref) -> list[int]:
    notes: list[str] = []  # the search language's explanations; the errors here say more
    if ref.kind is RefKind.ID:
        chat_id = int(ref.value)
        # t.me/c links and Desktop show a channel's bare id: try the marked forms too.
        bare = 0 < chat_id < CHANNEL_SHIFT
        return [chat_id, channel_id(chat_id), -chat_id] if bare else [chat_id]
    if ref.kind is RefKind.TITLE and USERNAME.match(ref.value):
        # One word may be a username typed without '@': an exact username wins.
        as_username = Ref(RefKind.USERNAME, ref.value.lower(), ref.raw)
        found = await chat_ids_of(conn, as_username, notes)
        if found:
            return found
    return await chat_ids_of(conn, ref, notes)


async def _chat_rows(conn: AsyncConnection, ids: list[int]) -> list[VaultChat]:
    if not ids:
        return []
    query = (
        select(chats.c.id, chats.c.kind, chats.c.title, chats.c.username)
        .where(chats.c.id.in_(ids))
        .order_by(chats.c.id)
    )
    return [VaultChat(r.id, r.kind, r.title, r.username) for r in await conn.execute(query)]


def _one_of(found: list[VaultChat], ref: Ref) -> VaultChat:
    """Several chats match: an exact id or a unique exact title decides, else the admin."""
    if ref.kind is RefKind.ID:
        exact_id = [chat for chat in found if chat.id == int(ref.value)]
        if exact_id:
            return exact_id[0]
    wanted = fold(ref.value)
    exact = [chat for chat in found if chat.title and fold(chat.title) == wanted]
    if len(exact) == 1:
        return exact[0]
    listed = "; ".join(chat.label for chat in found[:LISTED_MATCHES])
    more = f" and {len(found) - LISTED_MATCHES} more" if len(found) > LISTED_MATCHES else ""
    raise InvalidInputError(
        f"'{ref.raw}' matches {len(found)} chats: {listed}{more}. Name one by its id or @username"
    )
