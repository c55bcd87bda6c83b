"""LiveIngestor: live events (new, edited, deleted) micro-batched into few, larger transactions.

One commit per message costs far more than the message itself, so events wait at most
ARCHIVE_LIVE_FLUSH_MS (or until ARCHIVE_LIVE_BATCH_SIZE have gathered) and are written together.
A failed write is retried with backoff: a database hiccup delays live data, it never drops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

import structlog

from core.domain.archive import ArchivePage, Deletion
from services.archiver.watchlist import WatchListService
from services.ingest.service import IngestService, PageResult

log = structlog.get_logger(__name__)
MAX_WRITE_BACKOFF = 30.0


@dataclass(slots=True)
class LiveStats:
    events: int = 0
    ignored: int = 0
    batches: int = 0
    written: int = 0
    write_failures: int = 0


class LiveIngestor:
    """Feed it pages from the Telegram adapter with ``submit``; ``run`` writes them in batches."""

    def __init__(
        self,
        ingest: IngestService,
        watch_list: WatchListService,
        *,
        batch_size: int = 500,
        flush_ms: int = 250,
        max_pending: int = 50_000,
        on_written: Callable[[PageResult], Awaitable[None]] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._ingest = ingest
        self._watch = watch_list
        self._batch_size = batch_size
        self._flush_seconds = flush_ms / 1000
        self._queue: asyncio.Queue[ArchivePage] = asyncio.Queue(maxsize=max_pending)
        self._on_written = on_written
        self._sleep = sleep
        self._inflight: asyncio.Future[None] | None = None
        self.stats = LiveStats()

    async def submit(self, page: ArchivePage) -> None:
        """Queue an event's page, dropping what belongs to chats nobody watches."""
        kept = await self._watched_part(page)
        if kept is None:
            self.stats.ignored += 1
            return
        self.stats.events += 1
        await self._queue.put(kept)  # a full queue slows the adapter down instead of losing data

    async def _watched_part(self, page: ArchivePage) -> ArchivePage | None:
        messages = [m for m in page.messages if await self._watch.is_watched(m.chat_id)]
        deletions = [
            self._scoped(d)
            for d in page.deletions
            if d.chat_id is None or await self._watch.is_watched(d.chat_id)
        ]
        if not messages and not deletions:
            return None
        if len(messages) == len(page.messages) and _same(deletions, page.deletions):
            return page  # all of it is kept (nearly always): no copy per event
        keys = {m.key for m in messages}
        return ArchivePage(
            messages=messages,
            chats=page.chats,
            users=page.users,
            media=[r for r in page.media if (r.chat_id, r.message_id) in keys],
            deletions=deletions,
            observed_at=page.observed_at,
        )

    def _scoped(self, deletion: Deletion) -> Deletion:
        """A chat-less deletion names this account's message ids (see Deletion)."""
        account = self._watch.account_id
        if deletion.chat_id is not None or account is None or deletion.account_id == account:
            return deletion
        return replace(deletion, account_id=account)

    async def run(self) -> None:
        """Write batches until cancelled; cancel it through ``stop`` to flush what is queued."""
        while True:
            batch = ArchivePage()
            try:
                await self._gather(batch)
            except asyncio.CancelledError:
                if len(batch):  # taken from the queue already: write it before leaving
                    await self._write(batch)
                raise
            # A cancellation must not abandon a write half-way: it finishes, and stop() waits.
            self._inflight = asyncio.ensure_future(self._write(batch))
            await asyncio.shield(self._inflight)

    async def _gather(self, batch: ArchivePage) -> None:
        batch.extend(await self._queue.get())
        deadline = time.monotonic() + self._flush_seconds
        while len(batch) < self._batch_size:
            if not self._queue.empty():  # a burst: no timer to arm per event
                batch.extend(self._queue.get_nowait())
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that
            # lands as the get completes, and stop() would then wait forever.
            try:
                async with asyncio.timeout(remaining):
                    item = await self._queue.get()
            except TimeoutError:
                break
            batch.extend(item)

    async def _write(self, batch: ArchivePage) -> None:
        delay = 0.5
        while True:
            try:
                result = await self._ingest.ingest_page(batch)
            except Exception:
                self.stats.write_failures += 1
                log.exception("live_batch_write_failed", size=len(batch), retry_in=delay)
                await self._sleep(delay)
                delay = min(delay * 2, MAX_WRITE_BACKOFF)
                continue
            self.stats.batches += 1
            self.stats.written += len(batch)
            if self._on_written is not None:
                await self._on_written(result)
            return

    async def flush(self) -> None:
        """Write everything queued now (shutdown, tests)."""
        while not self._queue.empty():
            batch = ArchivePage()
            while not self._queue.empty() and len(batch) < self._batch_size:
                batch.extend(self._queue.get_nowait())
            await self._write(batch)

    async def stop(self, runner: asyncio.Task[None]) -> None:
        """Cancel the ``run`` task and write what it had not taken yet."""
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runner
        if self._inflight is not None:
            await self._inflight
        await self.flush()

    @property
    def pending(self) -> int:
        return self._queue.qsize()


def _same(kept: list[Deletion], given: list[Deletion]) -> bool:
    return len(kept) == len(given) and all(a is b for a, b in zip(kept, given, strict=True))
