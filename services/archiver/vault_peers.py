"""The vault remembers each chat's access hash: a fresh Telegram session can address it again."""

from __future__ import annotations

from core.db.database import Database


class VaultAccessHashes:
    """An AccessHashLookup for TelethonGateway, reading the chats (and users) the vault stored."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def __call__(self, chat_id: int) -> int | None:
        async with self._db.reader() as uow:
            row = await uow.chats.get(chat_id)
            if (row is None or row.get("access_hash") is None) and chat_id > 0:
                row = await uow.users.get(chat_id)  # a private chat is the other person
        value = row.get("access_hash") if row else None
        return int(value) if value is not None else None
