"""Vault set-up for the multi-account tests: accounts, chats owned by them, queued media."""

from __future__ import annotations

from sqlalchemy import select

from core.db.database import Database
from core.db.tables import media, messages
from core.domain.archive import ArchivePage, MediaRef
from services.archiver.watchlist import register_account
from services.ingest.media_policy import MediaPolicy
from services.ingest.service import IngestService
from tests import factories as f


async def add_accounts(db: Database, *labels: str) -> list[int]:
    """Register accounts as their archivers do at start-up; their ids in the order given."""
    return [await register_account(db, label, 7000 + n) for n, label in enumerate(labels)]


async def watch_chat(db: Database, chat_id: int, account_id: int | None) -> None:
    """Store the chat and put it on ``account_id``'s watch list (None: a pre-accounts chat)."""
    async with db.unit_of_work() as uow:
        await uow.chats.upsert([f.chat(chat_id)], f.at(0))
        await uow.watch.watch(chat_id, f.at(0), added_by=None, account_id=account_id)
        await uow.commit()


async def queue_media(db: Database, chat_id: int, count: int) -> list[int]:
    """``count`` messages with a photo each in the chat, as ingestion queues them; media ids."""
    ids = range(1, count + 1)
    refs = [MediaRef(chat_id, i, "photo", tg_file_id=chat_id * 10_000 - i) for i in ids]
    page = ArchivePage(
        messages=[f.message(i, chat_id) for i in ids], chats=[f.chat(chat_id)], media=refs
    )
    await IngestService(db, MediaPolicy(frozenset({"photo"}))).ingest_page(page)
    return await media_of(db, chat_id)


async def media_of(db: Database, chat_id: int) -> list[int]:
    query = (
        select(media.c.id)
        .join(messages, messages.c.id == media.c.message_pk)
        .where(messages.c.chat_id == chat_id)
        .order_by(media.c.id)
    )
    async with db.reader() as uow:
        return [row[0] for row in await uow.connection.execute(query)]
