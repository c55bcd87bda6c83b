"""Which people and chats an import may write: only those the vault does not know yet.

An export names people by their display name as the exporting account saw it (possibly a contact
name, never split into first and last), and a chat by its title at export time. Writing those
over what the live archiver stored would record changes that never happened, so the importer
inserts unknown users and chats (or fills a chat only known by id) and leaves known ones alone.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from core.db.database import Database
from core.db.tables import chats, users
from core.domain.messages import ChatInfo, UserInfo

KEY_CHUNK = 500
PLACEHOLDER_KIND = "unknown"


class NewEntities:
    """Remembers ids already settled during this run, so each id is looked up once."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._settled_users: set[int] = set()
        self._settled_chats: set[int] = set()
        self._described_chats: set[int] = set()  # settled with a real kind, not a placeholder

    async def keep_new(
        self, candidate_users: Sequence[UserInfo], candidate_chats: Sequence[ChatInfo]
    ) -> tuple[list[UserInfo], list[ChatInfo]]:
        fresh_users = [u for u in candidate_users if u.id not in self._settled_users]
        fresh_chats = [c for c in candidate_chats if not self._settled(c)]
        if not fresh_users and not fresh_chats:
            return [], []
        known_users, known_chats = await self._known([u.id for u in fresh_users],
                                                     [c.id for c in fresh_chats])  # fmt: skip
        self._settled_users.update(u.id for u in fresh_users)
        self._settled_chats.update(c.id for c in fresh_chats)
        self._described_chats.update(c.id for c in fresh_chats if c.kind != PLACEHOLDER_KIND)
        return (
            [u for u in fresh_users if u.id not in known_users],
            [c for c in fresh_chats if c.id not in known_chats],
        )

    def _settled(self, chat: ChatInfo) -> bool:
        # A chat first met as a sender (kind unknown) is described properly by its own export.
        if chat.kind == PLACEHOLDER_KIND:
            return chat.id in self._settled_chats
        return chat.id in self._described_chats

    async def _known(self, user_ids: list[int], chat_ids: list[int]) -> tuple[set[int], set[int]]:
        found_users: set[int] = set()
        found_chats: set[int] = set()
        async with self._db.reader() as uow:
            conn = uow.connection
            for start in range(0, len(user_ids), KEY_CHUNK):
                query = select(users.c.id).where(
                    users.c.id.in_(user_ids[start : start + KEY_CHUNK])
                )
                found_users.update(await conn.scalars(query))
            for start in range(0, len(chat_ids), KEY_CHUNK):
                query = select(chats.c.id).where(
                    chats.c.id.in_(chat_ids[start : start + KEY_CHUNK]),
                    chats.c.kind != PLACEHOLDER_KIND,
                )
                found_chats.update(await conn.scalars(query))
        return found_users, found_chats
