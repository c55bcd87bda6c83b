"""The watch list and the work on demand: /chats, /watch, /unwatch, /backfill, /retry_media,
/enrich.

Anything that needs the Telegram session is queued as a task for the archiver, which may run
in another process or not at all yet (``--role bot``): the reply to the command is the message
that shows the task's progress and, in the end, its result. Unwatching only touches the vault,
after a confirmation.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.chat_refs import (
    UNWATCH_USAGE,
    TaskTarget,
    backfill_target,
    enrich_target,
    parse_backfill,
    required,
    retry_media_target,
    watch_reference,
    watch_target,
)
from bot.context import BotServices
from bot.presenters.chats import (
    STALE_CONFIRM,
    ChatsPage,
    UnwatchConfirm,
    chats_reply,
    queued_for,
    starting_for,
    unwatch_question,
    unwatched_reply,
)
from bot.replies import answer, edit
from services.archiver.vault_refs import find_chat
from services.archiver.watchlist import WatchPage


class UnwatchFlow(StatesGroup):
    confirming = State()


def chats_router() -> Router:
    router = Router(name=__name__)
    router.message.register(cmd_chats, Command("chats"))
    router.callback_query.register(on_chats_page, ChatsPage.filter())
    router.message.register(cmd_watch, Command("watch"))
    router.message.register(cmd_unwatch, Command("unwatch"))
    router.callback_query.register(on_unwatch_confirmed, UnwatchConfirm.filter())
    router.message.register(cmd_backfill, Command("backfill"))
    router.message.register(cmd_retry_media, Command("retry_media"))
    router.message.register(cmd_enrich, Command("enrich"))
    return router


async def cmd_chats(message: Message, services: BotServices) -> None:
    await answer(message, chats_reply(await _page(services, 0), services.page_size))


async def on_chats_page(
    query: CallbackQuery, callback_data: ChatsPage, services: BotServices
) -> None:
    page = await _page(services, callback_data.offset)
    if isinstance(query.message, Message):
        await edit(query.message, chats_reply(page, services.page_size))
    await query.answer()


async def _page(services: BotServices, offset: int) -> WatchPage:
    """The page at ``offset``; the last one when chats were removed since it was shown."""
    size = services.page_size
    page = await services.watch.list(max(offset, 0), size)
    if not page.chats and page.total:
        page = await services.watch.list((page.total - 1) // size * size, size)
    return page


async def cmd_watch(message: Message, command: CommandObject, services: BotServices) -> None:
    reference = watch_reference(command.args)
    await _queue(message, services, "watch", watch_target(reference, _sender(message)))


async def cmd_unwatch(
    message: Message, command: CommandObject, services: BotServices, state: FSMContext
) -> None:
    chat = await find_chat(services.db, required(command.args, UNWATCH_USAGE), watched_only=True)
    await state.set_state(UnwatchFlow.confirming)
    await state.set_data({"chat_id": chat.id, "label": chat.label})
    await answer(message, unwatch_question(chat))


async def on_unwatch_confirmed(
    query: CallbackQuery, callback_data: UnwatchConfirm, services: BotServices, state: FSMContext
) -> None:
    data = await state.get_data()
    asked = await state.get_state() == UnwatchFlow.confirming.state
    if not asked or data.get("chat_id") != callback_data.chat_id:
        await query.answer(STALE_CONFIRM)  # cancelled, done already, or another chat asked since
        return
    await state.clear()
    await services.watch.unwatch(callback_data.chat_id)
    if isinstance(query.message, Message):
        await edit(query.message, unwatched_reply(str(data.get("label"))))
    await query.answer("Unwatched")


async def cmd_backfill(message: Message, command: CommandObject, services: BotServices) -> None:
    today = services.clock().astimezone(services.tz).date()
    request = parse_backfill(command.args, services.tz, today)
    await _queue(message, services, "backfill", await backfill_target(services.db, request))


async def cmd_retry_media(message: Message, command: CommandObject, services: BotServices) -> None:
    target = await retry_media_target(services.db, command.args)
    await _queue(message, services, "retry_media", target)


async def cmd_enrich(message: Message, command: CommandObject, services: BotServices) -> None:
    await _queue(message, services, "enrich", await enrich_target(services.db, command.args))


async def _queue(message: Message, services: BotServices, kind: str, target: TaskTarget) -> None:
    """Queue the work (once while it is under way) and show the message that follows it.

    The message is sent first and the task queued with its id, in one write: a worker that
    finishes at once still knows which message to edit with the result.
    """
    shown = await answer(message, starting_for(kind, target.subject))
    task, created = await services.tasks.enqueue(
        kind,
        target.args,
        dedup_key=target.dedup_key,
        requested_by=_sender(message),
        reply_chat_id=shown.chat.id,
        reply_message_id=shown.message_id,
    )
    if not created:  # the same work is under way and reports to its own message
        await edit(shown, queued_for(task, target.subject, already=True))


def _sender(message: Message) -> int:
    return message.from_user.id if message.from_user else message.chat.id
