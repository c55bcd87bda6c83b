"""/export sends a chat of the vault as documents; /import takes a Telegram Desktop export in.

Both show one progress message, edited in place at most every ``PROGRESS_SECONDS`` and finally
replaced by the summary. A domain error after the progress message exists replaces it too (in
the wording ``bot.errors`` uses), so the admin is left with one clear message, not a stale one.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import structlog
from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError, TelegramRetryAfter
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, Document, Message

from bot.context import BotServices
from bot.errors import error_text
from bot.presenters import importing as shown
from bot.presenters.export import (
    export_done_reply,
    export_usage,
    exporting_reply,
    part_caption,
    sending_reply,
)
from bot.replies import answer, edit
from bot.ui import Reply
from bot.uploads import Upload, download_timeout, downloaded, too_large_to_fetch, upload_of
from core.errors import RetryLaterError, VaultError
from services.export import ExportFile, ExportRequest, ExportResult, parse_export_args
from services.importer import ContentStore, ImportService
from services.ingest.media_policy import MediaPolicy
from services.ingest.service import IngestService

log = structlog.get_logger(__name__)
PROGRESS_SECONDS = 1.5
SEND_ATTEMPTS = 3
Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class ImportDialog(StatesGroup):
    waiting_for_file = State()


class LiveProgress:
    """One message edited in place as work advances, at most once per ``interval`` seconds.

    A failed progress edit (flood control, a deleted message) is logged and skipped: progress
    is a courtesy, the work goes on. ``finish`` always edits, after any edit still in flight.
    """

    def __init__(self, message: Message, clock: Clock, interval: float = PROGRESS_SECONDS) -> None:
        self.message = message
        self._clock = clock
        self._interval = interval
        self._shown_at = clock()
        self._pending: asyncio.Future[None] | None = None

    async def show(self, reply: Reply) -> None:
        """Edit now if the last edit is old enough (for async progress callbacks)."""
        if self._due():
            await self._edit(reply)

    def offer(self, reply: Reply) -> None:
        """The same for synchronous callbacks: the edit runs as a task, one at a time."""
        if (self._pending is None or self._pending.done()) and self._due():
            self._pending = asyncio.ensure_future(self._edit(reply))

    async def settle(self) -> None:
        if self._pending is not None:
            await self._pending

    async def finish(self, reply: Reply) -> None:
        await self.settle()
        await edit(self.message, reply)

    def _due(self) -> bool:
        now = self._clock()
        if now - self._shown_at < self._interval:
            return False
        self._shown_at = now
        return True

    async def _edit(self, reply: Reply) -> None:
        try:
            await edit(self.message, reply)
        except TelegramAPIError as error:
            log.info("progress_edit_skipped", error=str(error))


@contextlib.asynccontextmanager
async def errors_in_place(live: LiveProgress) -> AsyncIterator[None]:
    """A domain error becomes the progress message's text instead of a second message."""
    try:
        yield
    except VaultError as error:
        await live.settle()
        log.info("bot_work_failed", error_type=type(error).__name__, error=str(error))
        await edit(live.message, Reply(error_text(error)))


def export_router(*, monotonic: Clock = time.monotonic, sleep: Sleep = asyncio.sleep) -> Router:
    """/export and /import (with its file dialog); ``monotonic`` paces progress edits and
    ``sleep`` waits out Telegram's flood control between documents."""
    router = Router(name="export")

    @router.message(Command("export"))
    async def cmd_export(
        message: Message, command: CommandObject, services: BotServices, bot: Bot
    ) -> None:
        if not (command.args or "").strip():
            await answer(message, export_usage())
            return
        request = parse_export_args(command.args or "", tz=services.tz, now=services.clock())
        live = LiveProgress(await answer(message, exporting_reply(request.chat, 0)), monotonic)

        async def on_progress(count: int) -> None:
            await live.show(exporting_reply(request.chat, count))

        async with errors_in_place(live):
            result = await services.export.export(request, on_progress=on_progress)
            await live.finish(sending_reply(result))
            await _send_parts(bot, message.chat.id, result, request, services, sleep)
            await edit(live.message, export_done_reply(result, request, services.tz))

    @router.message(Command("import"), F.document)
    @router.message(ImportDialog.waiting_for_file, F.document)
    async def on_export_file(
        message: Message, state: FSMContext, services: BotServices, bot: Bot
    ) -> None:
        upload = upload_of(_document(message))
        if not upload.looks_like_export:
            await answer(message, shown.not_an_export_reply(upload.name))
        elif too_large_to_fetch(upload, services.settings.bot.api_server):
            await answer(message, shown.too_large_reply(upload.name, upload.size))
        else:
            await state.clear()
            await _import(message, upload, services, bot, monotonic)

    @router.message(Command("import"))
    async def cmd_import(message: Message, state: FSMContext) -> None:
        await state.set_state(ImportDialog.waiting_for_file)
        await answer(message, shown.import_prompt())

    @router.message(ImportDialog.waiting_for_file, ~F.text.startswith("/"))
    async def on_not_a_file(message: Message) -> None:
        await answer(message, shown.waiting_reminder())

    @router.message(_is_export_file)
    async def on_stray_export(message: Message) -> None:
        await answer(message, shown.unsent_hint())

    return router


async def _send_parts(
    bot: Bot,
    chat_id: int,
    result: ExportResult,
    request: ExportRequest,
    services: BotServices,
    sleep: Sleep,
) -> None:
    for part, file in enumerate(result.files, start=1):
        caption = part_caption(result, part, request, services.tz)
        await _send_file(bot, chat_id, file, caption, sleep)


async def _send_file(bot: Bot, chat_id: int, file: ExportFile, caption: str, sleep: Sleep) -> None:
    """One document, waiting out flood control a few times (large exports send many parts)."""
    for attempt in range(1, SEND_ATTEMPTS + 1):
        try:
            await bot.send_document(
                chat_id,
                BufferedInputFile(file.content, filename=file.name),
                caption=caption,
                request_timeout=download_timeout(len(file.content)),
            )
            return
        except TelegramRetryAfter as error:
            log.info("export_send_throttled", retry_after=error.retry_after, attempt=attempt)
            if attempt == SEND_ATTEMPTS:
                raise RetryLaterError(
                    "Telegram is limiting how fast I may send files", error.retry_after
                ) from error
            await sleep(error.retry_after)


async def _import(
    message: Message, upload: Upload, services: BotServices, bot: Bot, monotonic: Clock
) -> None:
    reply = shown.downloading_reply(upload.name, upload.size)
    live = LiveProgress(await answer(message, reply), monotonic)
    async with errors_in_place(live), downloaded(bot, upload) as path:
        summary = await importer_for(services).import_path(
            path, lambda progress: live.offer(shown.importing_reply(upload.name, progress))
        )
        await live.finish(shown.import_summary_reply(upload.name, summary))


def importer_for(services: BotServices) -> ImportService:
    """The CLI's importer on the bot's vault. Dates an old export wrote without an offset are
    read in the bot's time zone: the admin's computer most likely made the export. Its messages
    are scanned as they are stored, in history mode: hits kept, no alert about old messages."""
    media = services.settings.media
    policy = MediaPolicy(frozenset(media.download_types), media.max_file_size_mb)
    return ImportService(
        services.db,
        IngestService(services.db, policy, scanner=services.detection, alerts=False),
        ContentStore(media.dir),
        export_timezone=services.tz,
    )


def _is_export_file(message: Message) -> bool:
    return message.document is not None and upload_of(message.document).looks_like_export


def _document(message: Message) -> Document:
    if message.document is None:  # the filters let only documents through
        raise TypeError("a document message was expected")
    return message.document
