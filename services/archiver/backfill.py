"""BackfillService: a chat's history from the newest message down, in transactions of several pages.

The cursor (table ``backfill_cursors``) is committed in the same transaction as the pages it
describes, so a crash between transactions loses nothing and repeats nothing: the next run asks
for exactly the page after the last one stored. Pages are written several to a transaction (up
to ``batch_messages`` messages, or what arrived within ``batch_seconds``): one commit per
100-message page cost more than the page. A failing or interrupted request (an error, a
cancellation, the interpreter stopping) first writes the pages fetched before it, so a restart
after it asks for no page twice. Only a process killed outright (SIGKILL, power loss) loses
the pages it held, at most one transaction's worth: its restart fetches them again from the
last committed cursor, with neither a gap nor a duplicate row. Cursor states:

- ``done`` False, ``next_offset_id`` NULL: not started (or restarted); the next page is the newest.
- ``done`` False, ``next_offset_id`` X: resume with the messages older than X.
- ``done`` True, ``next_offset_id`` NULL: the whole history down to the first message is stored.
- ``done`` True, ``next_offset_id`` X: the pass stopped early (limit/since); older ones remain.

``top_message_id`` is the newest id a pass started from; ``catch_up`` fills what came after it.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import structlog

from core.db.database import Database
from core.domain.archive import ArchivePage, CursorUpdate
from core.errors import InvalidInputError
from core.ports.telegram import HistoryPage, TelegramGateway
from services.ingest.service import IngestService, PageResult, utc_now

log = structlog.get_logger(__name__)

MAX_PAGE_SIZE = 100  # messages.getHistory never returns more
BATCH_MESSAGES = 1000  # messages written per transaction (ten full history pages)
BATCH_SECONDS = 2.0  # ... or fewer, when the pages come slowly (flood waits): progress shows


@dataclass(slots=True)
class BackfillReport:
    """What one run did; passed to the progress callback after every page."""

    chat_id: int
    pages: int = 0  # history requests this run made
    messages: int = 0  # messages received (all written, idempotently, when the run returns)
    inserted: int = 0  # of them, written so far: new ...
    edited: int = 0  # ... and changed since they were stored
    caught_up: int = 0  # of them, newer than the previous top (the gap filled)
    resumed: bool = False  # this run continued an interrupted pass
    done: bool = False  # the pass is finished (history start reached, or limit/since hit)
    complete: bool = False  # the history is stored down to its first message
    top_message_id: int | None = None
    next_offset_id: int | None = None

    def fetched(self, received: int) -> None:
        self.pages += 1
        self.messages += received

    def stored(self, result: PageResult) -> None:
        self.inserted += len(result.outcome.inserted)
        self.edited += len(result.outcome.edited)


ProgressCallback = Callable[[BackfillReport], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class _Cursor:
    top: int | None = None
    next_offset: int | None = None
    fetched: int = 0
    done: bool = False
    since: datetime | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any] | None) -> _Cursor:
        if row is None:
            return cls()
        return cls(
            row["top_message_id"], row["next_offset_id"], row["fetched"], row["done"], row["since"]
        )

    def allows_more(self, limit: int | None, since: datetime | None) -> bool:
        """Whether a finished pass that stopped early should go deeper for these bounds."""
        if self.next_offset is None:
            return False  # the first message is already stored
        if limit is not None and self.fetched >= limit:
            return False
        return since is None or self.since is None or since < self.since


@dataclass(frozen=True, slots=True)
class _Bounds:
    limit: int | None
    since: datetime | None
    page_size: int

    def request_size(self, fetched: int) -> int:
        if self.limit is None:
            return self.page_size
        return max(min(self.page_size, self.limit - fetched), 0)


@dataclass(slots=True)
class _Held:
    """History pages fetched and not written yet: the next transaction's worth."""

    page: ArchivePage = field(default_factory=ArchivePage)
    pages: int = 0
    received: int = 0
    cursor: CursorUpdate | None = None  # the vault after the last page (None: keep the stored)
    first_at: float = 0.0

    def add(self, page: ArchivePage, cursor: CursorUpdate | None, now: float) -> None:
        if not self.pages:
            self.page.observed_at, self.first_at = page.observed_at, now
        self.page.extend(page)
        self.pages += 1
        self.received += len(page.messages)
        self.cursor = cursor


class BackfillService:
    """Fills the vault with the history of chats through the TelegramGateway port."""

    def __init__(
        self,
        gateway: TelegramGateway,
        ingest: IngestService,
        db: Database,
        *,
        account_id: int | None = None,
        batch_messages: int = BATCH_MESSAGES,
        batch_seconds: float = BATCH_SECONDS,
        clock: Callable[[], datetime] = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """``account_id`` (the account whose session runs the backfill) is stored on cursors."""
        if batch_messages < 1:
            raise ValueError(f"batch_messages must be at least 1, got {batch_messages}")
        self._gateway = gateway
        self._ingest = ingest
        self._db = db
        self._account_id = account_id
        self._batch_messages = batch_messages
        self._batch_seconds = batch_seconds
        self._clock = clock
        self._monotonic = monotonic

    async def backfill(
        self,
        chat_id: int,
        *,
        limit: int | None = None,
        since: datetime | None = None,
        page_size: int = MAX_PAGE_SIZE,
        rescan: bool = False,
        progress: ProgressCallback | None = None,
    ) -> BackfillReport:
        """Page the history down from the newest message, resuming an interrupted pass.

        ``limit`` caps the messages the chat's passes store in total; ``since`` stops at the
        first older message. A finished chat only gets what is newer (``catch_up``);
        ``rescan`` starts a new pass from the top to pick up edits of older messages.
        """
        _check_page_size(page_size)
        if limit is not None and limit < 1:
            raise InvalidInputError(f"limit must be at least 1, got {limit}")
        cursor = await self._prepare(chat_id, limit, since, rescan)
        if cursor.done:
            return await self.catch_up(chat_id, page_size=page_size, progress=progress)
        bounds = _Bounds(limit, since, page_size)
        return await self._page_down(chat_id, cursor, bounds, progress)

    async def _prepare(
        self, chat_id: int, limit: int | None, since: datetime | None, rescan: bool
    ) -> _Cursor:
        """Store the chat (fresh from Telegram) and open, resume or re-open its cursor."""
        resolved = await self._gateway.resolve_chat(str(chat_id))
        if resolved.chat.id != chat_id:
            raise InvalidInputError(f"{chat_id} resolved to another chat ({resolved.chat.id})")
        at = self._clock()
        async with self._db.unit_of_work() as uow:
            await uow.chats.upsert([resolved.chat], at)
            cursor = _Cursor.from_row(await uow.backfill.get(chat_id))
            if rescan:
                # Keep the old top in memory only: the first page of the new pass moves it up.
                cursor = _Cursor(top=None, since=since)
                restart = CursorUpdate(chat_id, None, 0, done=False, account_id=self._account_id)
                await uow.backfill.save(restart, at)
            if not cursor.done or cursor.allows_more(limit, since):
                await uow.backfill.start(
                    chat_id, at, limit=limit, since=since, account_id=self._account_id
                )
                cursor = replace(cursor, done=False)
            await uow.commit()
        return cursor

    async def _page_down(
        self, chat_id: int, cursor: _Cursor, bounds: _Bounds, progress: ProgressCallback | None
    ) -> BackfillReport:
        report = _describe(BackfillReport(chat_id), cursor)
        report.resumed = cursor.next_offset is not None or cursor.fetched > 0
        held = _Held()
        while not cursor.done:
            size = bounds.request_size(cursor.fetched)
            if size == 0:  # an earlier pass already stored ``limit`` messages
                cursor = replace(cursor, done=True)
                await self._save(chat_id, cursor)
                break
            history = await self._fetch(chat_id, cursor.next_offset or 0, size, held)
            page, cursor = _advance(cursor, history, bounds)
            held.add(page, self._update(chat_id, cursor), self._monotonic())
            _describe(report, cursor).fetched(len(page.messages))
            if cursor.done or self._full(held):
                report.stored(await self._write(held))
                _log_saved(chat_id, cursor, held)
                held = _Held()
            if progress is not None:
                await progress(report)
        return report

    async def catch_up(
        self,
        chat_id: int,
        *,
        page_size: int = MAX_PAGE_SIZE,
        progress: ProgressCallback | None = None,
    ) -> BackfillReport:
        """Fetch what is newer than the stored top (the gap while the service was down).

        Pages go from the newest message down to the top; the top moves up with the last page.
        A chat with no pass started has nothing to fill. An interrupted catch-up starts again
        from the newest message next time (idempotent writes, so nothing is duplicated).
        """
        _check_page_size(page_size)
        async with self._db.reader() as uow:
            cursor = _Cursor.from_row(await uow.backfill.get(chat_id))
        report = _describe(BackfillReport(chat_id), cursor)
        if cursor.top is None and not cursor.done:
            return report
        floor, offset, newest = cursor.top or 0, 0, cursor.top
        held = _Held()
        while True:
            # Below a known offset at most ``offset - floor - 1`` ids are missing: ask for no more.
            size = page_size if offset == 0 else min(page_size, offset - floor - 1)
            history = await self._fetch(chat_id, offset, size, held)
            page = _newer_than(history.page, floor)  # older ones obey the pass's limit/since
            newest = max([newest or 0, *(m.message_id for m in page.messages)]) or None
            reached = history.lowest_id is None or history.lowest_id <= floor + 1
            update = self._update(chat_id, replace(cursor, top=newest)) if reached else None
            held.add(page, update, self._monotonic())
            report.fetched(len(page.messages))
            report.caught_up, report.top_message_id = report.messages, newest
            if reached or history.lowest_id is None or self._full(held):
                report.stored(await self._write(held))
                held = _Held()
            if progress is not None:
                await progress(report)
            if reached or history.lowest_id is None:
                break
            offset = history.lowest_id
        log.info("backfill_caught_up", chat_id=chat_id, messages=report.caught_up, top=newest)
        return report

    async def _fetch(self, chat_id: int, offset_id: int, limit: int, held: _Held) -> HistoryPage:
        """One history request. When it fails or is interrupted (an error, a cancellation, the
        interpreter stopping), the pages held are written before the failure goes on, as a
        ``finally`` would: the restart after it asks for none of them again."""
        try:
            return await self._gateway.fetch_history(chat_id, offset_id=offset_id, limit=limit)
        except BaseException as failure:
            if not isinstance(failure, GeneratorExit):  # a closed coroutine may not await
                await self._write_before_failing(chat_id, held)
            raise

    async def _write_before_failing(self, chat_id: int, held: _Held) -> None:
        if not held.pages:
            return
        try:
            await self._ingest.ingest_page(held.page, cursor=held.cursor)
        except Exception:  # the request's own failure is the one to report
            log.exception("backfill_held_pages_lost", chat_id=chat_id, pages=held.pages)

    def _full(self, held: _Held) -> bool:
        """Whether the held pages make a transaction: enough messages, or held long enough."""
        if held.received >= self._batch_messages:
            return True
        return self._monotonic() - held.first_at >= self._batch_seconds

    async def _write(self, held: _Held) -> PageResult:
        """The held pages and the cursor after the last of them, in one transaction."""
        return await self._ingest.ingest_page(held.page, cursor=held.cursor)

    async def _save(self, chat_id: int, cursor: _Cursor) -> None:
        async with self._db.unit_of_work() as uow:
            await uow.backfill.save(self._update(chat_id, cursor), self._clock())
            await uow.commit()

    def _update(self, chat_id: int, cursor: _Cursor) -> CursorUpdate:
        return CursorUpdate(
            chat_id,
            cursor.next_offset,
            cursor.fetched,
            cursor.done,
            top_message_id=cursor.top,
            account_id=self._account_id,
        )


def _advance(cursor: _Cursor, history: HistoryPage, bounds: _Bounds) -> tuple[ArchivePage, _Cursor]:
    """The part of a fetched page to store, and the cursor that describes the vault after it."""
    page = history.page
    kept = [m for m in page.messages if bounds.since is None or m.date >= bounds.since]
    cut_by_since = len(kept) < len(page.messages)
    top = cursor.top
    if top is None:  # the first page of a pass: its newest message is the pass's top
        top = max((m.message_id for m in page.messages), default=None)
    fetched = cursor.fetched + len(kept)
    reached_start = history.lowest_id is None or history.lowest_id <= 1
    if reached_start and not cut_by_since:
        next_offset = None
    elif cut_by_since:
        fallback = cursor.next_offset or (top + 1 if top is not None else None)
        next_offset = min((m.message_id for m in kept), default=fallback)
    else:
        next_offset = history.lowest_id
    hit_limit = bounds.limit is not None and fetched >= bounds.limit
    done = reached_start or cut_by_since or hit_limit
    trimmed = _only(page, {m.message_id for m in kept})
    return trimmed, replace(cursor, top=top, next_offset=next_offset, fetched=fetched, done=done)


def _newer_than(page: ArchivePage, floor: int) -> ArchivePage:
    return _only(page, {m.message_id for m in page.messages if m.message_id > floor})


def _only(page: ArchivePage, message_ids: set[int]) -> ArchivePage:
    """``page`` with just these messages (and their media); chats and users stay."""
    return replace(
        page,
        messages=[m for m in page.messages if m.message_id in message_ids],
        media=[r for r in page.media if r.message_id in message_ids],
    )


def _describe(report: BackfillReport, cursor: _Cursor) -> BackfillReport:
    report.top_message_id, report.next_offset_id = cursor.top, cursor.next_offset
    report.done, report.complete = cursor.done, cursor.done and cursor.next_offset is None
    return report


def _log_saved(chat_id: int, cursor: _Cursor, held: _Held) -> None:
    log.info(
        "backfill_pages_saved", chat_id=chat_id, pages=held.pages, count=held.received,
        fetched=cursor.fetched, next_offset_id=cursor.next_offset, done=cursor.done,
    )  # fmt: skip


def _check_page_size(page_size: int) -> None:
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidInputError(f"page_size must be between 1 and {MAX_PAGE_SIZE}, got {page_size}")
