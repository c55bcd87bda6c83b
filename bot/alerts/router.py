"""The buttons under an alert: Ack (the keyboard then says who) and Mute the rule for a while."""

from __future__ import annotations

from contextlib import suppress

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery

from bot.alerts.callbacks import ACK, ACKED, MUTE_FOR, AlertAction
from bot.alerts.presenter import present_alert
from bot.context import BotServices
from bot.keyboards import markup
from bot.text import clip, when
from bot.ui import Reply
from core.errors import NotFoundError

NO_RULE = "This alert has no single rule to mute."
RULE_GONE = "That rule no longer exists."
ALREADY_ACKED = "Already acknowledged."
MAX_ANSWER_CHARS = 200  # Telegram's limit on a callback answer


def alerts_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(on_ack, AlertAction.filter(F.action == ACK))
    router.callback_query.register(on_acked, AlertAction.filter(F.action == ACKED))
    router.callback_query.register(on_mute, AlertAction.filter(F.action.in_(set(MUTE_FOR))))
    return router


async def on_ack(
    query: CallbackQuery, callback_data: AlertAction, services: BotServices, bot: Bot
) -> None:
    try:
        outcome = await services.outbox.ack(callback_data.alert_id, query.from_user.id)
    except NotFoundError as error:
        await query.answer(str(error).capitalize())
        return
    mine = outcome.alert.acked_by == query.from_user.id
    acker = query.from_user.full_name if mine else f"user {outcome.alert.acked_by}"
    reply = present_alert(outcome.alert, outcome.names, services.tz, acked_by=acker)
    await _edit_keyboard(query, bot, reply)
    await query.answer("Acknowledged." if outcome.newly else ALREADY_ACKED)


async def _edit_keyboard(query: CallbackQuery, bot: Bot, reply: Reply) -> None:
    if query.message is None:
        return
    with suppress(TelegramBadRequest):  # pressed twice, or the message is too old to edit
        await bot.edit_message_reply_markup(
            chat_id=query.message.chat.id,
            message_id=query.message.message_id,
            reply_markup=markup(reply),
        )


async def on_acked(query: CallbackQuery) -> None:
    await query.answer(ALREADY_ACKED)


async def on_mute(query: CallbackQuery, callback_data: AlertAction, services: BotServices) -> None:
    if not callback_data.rule_id:
        await query.answer(NO_RULE)
        return
    until = services.clock() + MUTE_FOR[callback_data.action]
    try:
        rule = await services.detection.mute(callback_data.rule_id, until)
    except NotFoundError:
        await query.answer(RULE_GONE)
        return
    text = f"Rule {rule.name} muted until {when(until, services.tz)}."
    await query.answer(clip(text, MAX_ANSWER_CHARS))
