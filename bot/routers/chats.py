"""The watch list and the work on demand: /chats, /watch, /unwatch, /backfill, /retry_media,
/enrich.

Anything that needs the Telegram session is queued as a task for the archiver, which may run
in another process or not at all yet (``--role bot``): the reply to the command is the message
that shows the task's progress and, in the end, its result. Unwatching only touches the vault,
after a confirmation. With several accounts, /watch asks which one archives the chat (unless the
command names it) and the task goes to that account's archiver; with one, nothing is asked.
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
    watch_target,
)
from bot.context import BotServices
from bot.presenters.chats import (
    STALE_CONFIRM,
    STALE_WATCH_QUESTION,
    ChatsPage,
    UnwatchConfirm,
    WatchAccount,
    chats_reply,
    queued_for,
    starting_for,
    unwatch_question,
    unwatched_reply,
    watch_account_question,
)
from bot.replies import answer, edit
from bot.watch_accounts import account_watch_target, parse_watch
from services.archiver.vault_refs import find_chat
from services.archiver.watchlist import WatchPage


class UnwatchFlow(StatesGroup):
    confirming = State()


class WatchFlow(StatesGroup):
    choosing_account = State()


def chats_router() -> Router:
    router = Router(name=__name__)
    router.message.register(cmd_chats, Command("chats"))
    router.callback_query.register(on_chats_page, ChatsPage.filter())
    router.message.register(cmd_watch, Command("watch"))
    router.callback_query.register(on_watch_account, WatchAccount.filter())
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


async def cmd_watch(
    message: Message, command: CommandObject, services: BotServices, state: FSMContext
) -> None:
    accounts = await services.watch.accounts()
    request = parse_watch(command.args, accounts)
    sender = _sender(message)
    if request.account is not None:
        target = account_watch_target(request.reference, sender, request.account)
        await _queue(message, services, "watch", target, account_id=request.account.id)
    elif len(accounts) > 1:
        question = await answer(message, watch_account_question(request.reference, accounts))
        await state.set_state(WatchFlow.choosing_account)
        await state.set_data({"reference": request.reference, "question": question.message_id})
    else:
        await _queue(message, services, "watch", watch_target(request.reference, sender))


async def on_watch_account(
    query: CallbackQuery, callback_data: WatchAccount, services: BotServices, state: FSMContext
) -> None:
    """The account picked: the question becomes the message that follows the watch task."""
    data = await state.get_data()
    asked = await state.get_state() == WatchFlow.choosing_account.state
    question = query.message if isinstance(query.message, Message) else None
    if not asked or question is None or data.get("question") != question.message_id:
        await query.answer(STALE_WATCH_QUESTION)  # cancelled, answered, or asked again since
        return
    accounts = {account.id: account for account in await services.watch.accounts()}
    account = accounts.get(callback_data.account_id)
    if account is None:
        await query.answer(STALE_WATCH_QUESTION)
        return
    await state.clear()
    target = account_watch_target(str(data["reference"]), query.from_user.id, account)
    await edit(question, starting_for("watch", target.subject))
    await _enqueue(question, services, "watch", target, query.from_user.id, account.id)
    await query.answer(f"Account {account.label}")


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


async def _queue(
    message: Message,
    services: BotServices,
    kind: str,
    target: TaskTarget,
    *,
    account_id: int | None = None,
) -> None:
    """Queue the work (once while it is under way) and show the message that follows it.

    The message is sent first and the task queued with its id, in one write: a worker that
    finishes at once still knows which message to edit with the result.
    """
    shown = await answer(message, starting_for(kind, target.subject))
    await _enqueue(shown, services, kind, target, _sender(message), account_id)


async def _enqueue(
    shown: Message,
    services: BotServices,
    kind: str,
    target: TaskTarget,
    requested_by: int,
    account_id: int | None,
) -> None:
    """Queue the work reporting into ``shown`` (for ``account_id``'s archiver when given)."""
    task, created = await services.tasks.enqueue(
        kind,
        target.args,
        dedup_key=target.dedup_key,
        requested_by=requested_by,
        reply_chat_id=shown.chat.id,
        reply_message_id=shown.message_id,
        account_id=account_id,
    )
    if not created:  # the same work is under way and reports to its own message
        await edit(shown, queued_for(task, target.subject, already=True))


def _sender(message: Message) -> int:
    return message.from_user.id if message.from_user else message.chat.id
