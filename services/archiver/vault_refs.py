"""Chats and people named the way admins name them, looked up in the vault (no Telegram call).

The bot resolves the targets of /unwatch, /backfill, /retry_media and /enrich here, so these
commands answer at once and work with the bot alone. A chat is named by its id, @username,
t.me link or a part of its title (parsed as /export parses it); a person by id or @username.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from core.db.database import Database
from core.db.tables import users
from core.errors import InvalidInputError, NotFoundError
from services.export.chats import chat_candidates, chat_reference, only_one, unquoted
from services.export.models import ExportChat
from services.search.filters_syntax import MAX_ID, NUMERIC_ID, USERNAME

HOW_TO_NAME = "name it by its id, @username, t.me link or a part of its title"
LISTED_MATCHES = 5


VaultChat = ExportChat  # one chat row shape for every lookup by name


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
        found = await chat_candidates(uow.connection, ref)
        if watched_only:
            watched = await uow.watch.enabled_ids()
            found = [chat for chat in found if chat.id in watched]
    if not found:
        where = "watched chat (see /chats)" if watched_only else "chat in the vault"
        raise NotFoundError(f"no {where} matches '{ref.raw}'; {HOW_TO_NAME}")
    return only_one(found, ref, "Name one by its id or @username")


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
