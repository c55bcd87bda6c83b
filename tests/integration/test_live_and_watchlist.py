"""Watch list and live ingestion on both dialects: only watched chats, batched, nothing lost."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from core.db.database import Database
from core.domain.archive import ArchivePage, Deletion
from core.domain.messages import ArchivedMessage
from core.errors import InvalidInputError, NotFoundError
from core.ports.telegram import HistoryPage, ResolvedChat
from services.archiver.live import LiveIngestor
from services.archiver.watchlist import WATCHED_CACHE_SECONDS, WatchListService
from services.ingest.media_policy import MediaPolicy
from services.ingest.service import IngestService, PageResult
from tests import factories as f

WATCHED = f.chat(-1001, username="watched_room", title="Watched room")
OTHER = f.chat(-1002, title="Other room")


class ResolvingGateway:
    async def resolve_chat(self, reference: str) -> ResolvedChat:
        if reference in {"@watched_room", "https://t.me/watched_room", str(WATCHED.id)}:
            return ResolvedChat(WATCHED, top_message_id=50)
        raise NotFoundError(f"no chat {reference}")

    async def fetch_history(self, chat_id: int, *, offset_id: int, limit: int) -> HistoryPage:
        raise NotImplementedError

    def download_media(self, chat_id: int, message_id: int):  # type: ignore[no-untyped-def]
        raise NotImplementedError


class FlakyIngest(IngestService):
    """Fails the first write, as a locked or restarting database would."""

    failures = 1

    async def ingest_page(self, page: ArchivePage, **kwargs: object) -> PageResult:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("database restarting")
        return await super().ingest_page(page)


async def _no_sleep(_: float) -> None:
    return None


def _event(message: ArchivedMessage) -> ArchivePage:
    return ArchivePage(messages=[message], observed_at=f.at(1))


async def _watch(db: Database) -> WatchListService:
    service = WatchListService(db, ResolvingGateway())
    await service.watch("@watched_room", added_by=111)
    return service


async def test_watch_resolves_stores_and_starts_a_backfill(db: Database) -> None:
    service = await _watch(db)
    page = await service.list()
    assert [(c.chat_id, c.title, c.backfill_done) for c in page.chats] == [
        (WATCHED.id, "Watched room", False)
    ]
    assert await service.is_watched(WATCHED.id)
    assert not await service.is_watched(OTHER.id)
    with pytest.raises(NotFoundError):
        await service.watch("@nobody")
    with pytest.raises(InvalidInputError):
        await service.watch("   ")
    await service.unwatch(WATCHED.id)
    assert not await service.is_watched(WATCHED.id)
    assert (await service.list()).total == 0
    with pytest.raises(NotFoundError):
        await service.unwatch(WATCHED.id)


async def test_live_events_are_batched_and_only_watched_chats_kept(db: Database) -> None:
    watch = await _watch(db)
    written: list[int] = []

    async def on_written(result: PageResult) -> None:
        written.append(len(result.outcome.inserted))

    live = LiveIngestor(
        IngestService(db, MediaPolicy(frozenset())),
        watch,
        batch_size=100,
        flush_ms=50,
        on_written=on_written,
    )
    runner = asyncio.create_task(live.run())
    for i in range(1, 251):
        await live.submit(_event(f.message(i, chat_id=WATCHED.id)))
        await live.submit(_event(f.message(i, chat_id=OTHER.id)))
    await live.stop(runner)
    assert sum(written) == 250
    assert max(written) <= 100
    assert live.stats.ignored == 250
    async with db.reader() as uow:
        assert await uow.messages.count(WATCHED.id) == 250
        assert await uow.messages.count(OTHER.id) == 0


async def test_edit_then_delete_keeps_both_versions_and_the_mark(db: Database) -> None:
    watch = await _watch(db)
    live = LiveIngestor(IngestService(db, MediaPolicy(frozenset())), watch, flush_ms=10)
    runner = asyncio.create_task(live.run())
    original = f.message(7, chat_id=WATCHED.id, text="first words")
    await live.submit(_event(original))
    await live.submit(_event(replace(original, text="second words", edit_date=f.at(5))))
    deletion = Deletion((7,), f.at(9), chat_id=WATCHED.id)
    await live.submit(ArchivePage(deletions=[deletion]))
    await live.stop(runner)
    async with db.reader() as uow:
        row = await uow.messages.get(WATCHED.id, 7)
        assert row is not None
        versions = await uow.messages.versions(row["id"])
    assert (row["text"], row["deleted_at"]) == ("second words", f.at(9))
    assert [v["text"] for v in versions] == ["first words"]


async def test_a_failed_write_is_retried_and_nothing_is_lost(db: Database) -> None:
    watch = await _watch(db)
    live = LiveIngestor(
        FlakyIngest(db, MediaPolicy(frozenset())), watch, flush_ms=10, sleep=_no_sleep
    )
    runner = asyncio.create_task(live.run())
    for i in range(1, 21):
        await live.submit(_event(f.message(i, chat_id=WATCHED.id)))
    await live.stop(runner)
    assert live.stats.write_failures == 1
    async with db.reader() as uow:
        assert await uow.messages.count(WATCHED.id) == 20


async def test_a_change_made_by_another_process_is_seen_within_the_cache_age(
    db: Database,
) -> None:
    ticks = [0.0]
    live_side = WatchListService(db, ResolvingGateway(), monotonic=lambda: ticks[0])
    bot_side = await _watch(db)
    assert await live_side.is_watched(WATCHED.id)
    await bot_side.unwatch(WATCHED.id)
    assert await live_side.is_watched(WATCHED.id)  # cached a moment longer
    ticks[0] += WATCHED_CACHE_SECONDS + 1
    assert not await live_side.is_watched(WATCHED.id)
