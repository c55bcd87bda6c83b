"""The local Bot API fake, driven by the real aiogram Bot and Dispatcher over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.filters import Command
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
    Update,
)

from tests.fakes.botapi import (
    BOT_USER_ID,
    TOKEN,
    FakeBotApi,
    HtmlEntitiesError,
    make_bot,
    visible_text,
)

ADMIN = 1001


def keyboard(*data: str) -> InlineKeyboardMarkup:
    buttons = [InlineKeyboardButton(text=d, callback_data=d) for d in data]
    return InlineKeyboardMarkup(inline_keyboard=[buttons])


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


@pytest.fixture
async def bot(api: FakeBotApi) -> AsyncIterator[Bot]:
    bot = make_bot(api)
    yield bot
    await bot.session.close()


def pager_router() -> Router:
    """A fresh router per test: aiogram attaches a router to one dispatcher only."""
    router = Router(name="pager")

    @router.message(Command("start"))
    async def cmd_start(message: Message) -> None:
        await message.answer("<b>Page</b> 1", parse_mode="HTML", reply_markup=keyboard("next"))

    @router.message(F.document)
    async def on_document(message: Message, bot: Bot) -> None:
        assert message.document is not None
        content = await bot.download(message.document)
        assert content is not None
        await message.reply(f"got {len(content.read())} bytes")

    @router.callback_query(F.data == "next")
    async def on_next(callback: CallbackQuery) -> None:
        assert isinstance(callback.message, Message)
        await callback.message.edit_text("Page 2")
        await callback.answer("turned")

    return router


async def test_get_me_describes_the_bot(api: FakeBotApi, bot: Bot) -> None:
    me = await bot.get_me()

    assert (me.id, me.is_bot) == (BOT_USER_ID, True)
    assert [call.method for call in api.calls] == ["getMe"]


async def test_send_then_edit_in_place(api: FakeBotApi, bot: Bot) -> None:
    sent = await bot.send_message(
        ADMIN, "<b>Page</b> 1", parse_mode="HTML", reply_markup=keyboard("p2")
    )
    await bot.edit_message_text(
        "Page <i>2</i>",
        chat_id=ADMIN,
        message_id=sent.message_id,
        parse_mode="HTML",
        reply_markup=keyboard("p1", "p3"),
    )

    message = api.last_message(ADMIN)
    assert (sent.message_id, sent.text) == (1, "Page 1")
    assert sent.reply_markup is not None
    assert sent.reply_markup.model_dump() == keyboard("p2").model_dump()
    assert (message.text, message.plain_text, message.edits) == ("Page <i>2</i>", "Page 2", 1)
    assert message.callback_data == ["p1", "p3"]
    assert api.calls_to("sendMessage")[0].params["chat_id"] == ADMIN


async def test_an_edit_changing_nothing_is_refused_like_telegram(api: FakeBotApi, bot: Bot) -> None:
    sent = await bot.send_message(ADMIN, "same", reply_markup=keyboard("a"))

    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "same", chat_id=ADMIN, message_id=sent.message_id, reply_markup=keyboard("a")
        )
    assert api.last_message(ADMIN).edits == 0


async def test_an_edit_without_markup_drops_the_keyboard(api: FakeBotApi, bot: Bot) -> None:
    sent = await bot.send_message(ADMIN, "same", reply_markup=keyboard("a"))

    edited = await bot.edit_message_text("same", chat_id=ADMIN, message_id=sent.message_id)

    assert isinstance(edited, Message)
    assert (edited.reply_markup, api.last_message(ADMIN).reply_markup) == (None, None)


async def test_telegram_refusals(api: FakeBotApi, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=ADMIN, message_id=99)
    with pytest.raises(TelegramBadRequest, match=r"can't parse entities: Unsupported start tag"):
        await bot.send_message(ADMIN, "1 < 2", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(ADMIN, "x" * 4097)
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(ADMIN, "x", reply_markup=keyboard("d" * 65))
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Search", description="Search")])
    assert api.all_messages == []
    assert [call.status for call in api.calls] == [400] * 5


async def test_message_ids_are_per_chat_and_shared_with_the_user(api: FakeBotApi, bot: Bot) -> None:
    api.push_message(user_id=ADMIN, text="hello")
    ids = [(await bot.send_message(chat, "x")).message_id for chat in (ADMIN, ADMIN, 7)]

    assert ids == [2, 3, 1]


async def test_a_reply_carries_the_message_it_answers(api: FakeBotApi, bot: Bot) -> None:
    question = api.push_message(user_id=ADMIN, text="/search cats")["message"]

    sent = await bot.send_message(
        ADMIN, "3 hits", reply_parameters=ReplyParameters(message_id=question["message_id"])
    )

    assert sent.reply_to_message is not None
    assert sent.reply_to_message.text == "/search cats"
    assert api.last_message(ADMIN).reply_to_message_id == question["message_id"]


async def test_deleted_messages_leave_the_chat(api: FakeBotApi, bot: Bot) -> None:
    first = await bot.send_message(ADMIN, "one")
    await bot.send_message(ADMIN, "two")

    assert await bot.delete_message(ADMIN, first.message_id)
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(ADMIN, first.message_id)
    assert [m.text for m in api.messages(ADMIN)] == ["two"]
    assert [m.deleted for m in api.all_messages] == [True, False]


async def test_documents_are_uploaded_and_downloadable(api: FakeBotApi, bot: Bot) -> None:
    payload = b'{"messages": []}'

    sent = await bot.send_document(
        ADMIN, BufferedInputFile(payload, filename="export.json"), caption="Export"
    )
    assert sent.document is not None
    file = await bot.get_file(sent.document.file_id)
    assert file.file_path is not None
    downloaded = await bot.download_file(file.file_path)

    message = api.last_message(ADMIN)
    assert (message.document, message.document_name) == (payload, "export.json")
    assert message.text == "Export"
    assert (sent.document.file_name, sent.document.mime_type) == ("export.json", "application/json")
    assert list(api.calls_to("sendDocument")[0].files.values()) == [payload]
    assert downloaded is not None
    assert downloaded.read() == payload


async def test_added_files_round_trip_through_get_file(api: FakeBotApi, bot: Bot) -> None:
    file_id = api.add_file(b"\x00binary\xff", file_name="blob.bin")

    file = await bot.get_file(file_id)
    assert file.file_path is not None
    downloaded = await bot.download_file(file.file_path)

    assert downloaded is not None
    assert downloaded.read() == b"\x00binary\xff"
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.get_file("no-such-file")


async def test_flood_wait_then_recovery(api: FakeBotApi, bot: Bot) -> None:
    api.fail("sendMessage", retry_after=7)

    with pytest.raises(TelegramRetryAfter) as flood:
        await bot.send_message(ADMIN, "x")
    await bot.send_message(ADMIN, "x")

    assert flood.value.retry_after == 7
    assert "Too Many Requests: retry after 7" in flood.value.message
    assert [call.status for call in api.calls_to("sendMessage")] == [429, 200]


async def test_server_errors_can_target_one_chat(api: FakeBotApi, bot: Bot) -> None:
    api.fail("sendMessage", status=500, times=2, chat_id=7)

    await bot.send_message(ADMIN, "fine")
    for _ in range(2):
        with pytest.raises(TelegramServerError, match="Internal Server Error"):
            await bot.send_message(7, "x")
    await bot.send_message(7, "fine again")

    assert [m.text for m in api.all_messages] == ["fine", "fine again"]


async def test_a_blocked_chat_refuses_until_unblocked(api: FakeBotApi, bot: Bot) -> None:
    api.block_chat(ADMIN)

    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(ADMIN, "x")
    await bot.send_message(7, "others still work")
    api.unblock_chat(ADMIN)
    await bot.send_message(ADMIN, "x")

    assert [m.chat_id for m in api.all_messages] == [7, ADMIN]


async def test_a_wrong_token_is_unauthorized(api: FakeBotApi) -> None:
    intruder = make_bot(api, token="42:not-the-token")
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await intruder.get_me()
    finally:
        await intruder.session.close()
    assert [(c.method, c.status) for c in api.calls] == [("getMe", 401)]


async def test_unknown_methods_answer_404_and_are_recorded(api: FakeBotApi) -> None:
    async with aiohttp.ClientSession() as http:
        url = f"{api.base_url}/bot{TOKEN}/sendTelepathy"
        async with http.post(url, data={"chat_id": "5", "text": "42"}) as response:
            body = await response.json()

    assert (response.status, body["description"]) == (404, "Not Found: method not found")
    assert api.calls[0].params == {"chat_id": 5, "text": "42"}


async def test_commands_are_stored(api: FakeBotApi, bot: Bot) -> None:
    commands = [BotCommand(command="search", description="Search the archive")]

    await bot.set_my_commands(commands)

    assert api.commands == [{"command": "search", "description": "Search the archive"}]
    assert [c.model_dump() for c in await bot.get_my_commands()] == [commands[0].model_dump()]


async def test_get_updates_honours_offset_and_limit(api: FakeBotApi, bot: Bot) -> None:
    pushed = [api.push_message(user_id=ADMIN, text=f"m{i}") for i in range(3)]

    first = await bot.get_updates(limit=2)
    rest = await bot.get_updates(offset=first[-1].update_id + 1)

    assert [u.update_id for u in first] == [u["update_id"] for u in pushed[:2]]
    assert [u.message.text for u in rest if u.message] == ["m2"]
    assert len(api.pending_updates) == 1


async def test_allowed_updates_filter_later_pushes(api: FakeBotApi, bot: Bot) -> None:
    await bot.send_message(ADMIN, "menu", reply_markup=keyboard("a"))
    await bot.get_updates(allowed_updates=["message"])

    api.push_callback(user_id=ADMIN, data="a")

    assert (api.pending_updates, len(api.dropped_updates)) == ([], 1)


async def test_a_newer_long_poll_ends_the_older_with_conflict(api: FakeBotApi, bot: Bot) -> None:
    older = asyncio.create_task(bot.get_updates(timeout=30))
    await api.wait_for_calls("getUpdates")

    newer = await bot.get_updates(timeout=0)

    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
        await asyncio.wait_for(older, 5)
    assert newer == []


async def test_stop_wakes_pending_long_polls(api: FakeBotApi, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await api.wait_for_calls("getUpdates")

    await api.stop()

    assert await asyncio.wait_for(poll, 5) == []


async def test_push_update_rejects_what_would_wedge_polling(api: FakeBotApi) -> None:
    with pytest.raises(ValueError, match="invalid update"):
        api.push_update({"message": {"message_id": 1, "text": "no chat, no date"}})
    with pytest.raises(ValueError, match="exactly one known event"):
        api.push_update({"update_id": 5})
    chat = {"id": ADMIN, "type": "private"}
    with pytest.raises(ValueError, match="not JSON serializable"):
        api.push_update({"message": {"message_id": 1, "date": datetime.now(UTC), "chat": chat}})

    assert api.pending_updates == []


async def test_waits_time_out_with_what_was_seen(api: FakeBotApi, bot: Bot) -> None:
    api.fail("sendMessage", status=400, description="Bad Request: chat not found")
    with pytest.raises(TelegramBadRequest):
        await bot.send_message(ADMIN, "x")

    with pytest.raises(TimeoutError, match=r"sendMessage 400 \(Bad Request: chat not found\)"):
        await api.wait_for_messages(ADMIN, timeout=0)
    with pytest.raises(TimeoutError, match="expected 2 sendMessage call"):
        await api.wait_for_calls("sendMessage", 2, timeout=0)


async def test_polling_dispatcher_handles_pushed_updates(api: FakeBotApi, bot: Bot) -> None:
    dispatcher = Dispatcher()
    dispatcher.include_router(pager_router())
    polling = asyncio.create_task(
        dispatcher.start_polling(bot, handle_signals=False, polling_timeout=1)
    )

    api.push_message(user_id=ADMIN, text="/start")
    (menu,) = await api.wait_for_messages(ADMIN)
    api.push_callback(user_id=ADMIN, data="next", message=menu)
    (answer,) = await api.wait_for_calls("answerCallbackQuery")
    await dispatcher.stop_polling()
    await asyncio.wait_for(polling, 5)

    assert (menu.text, menu.edits, menu.reply_markup) == ("Page 2", 1, None)
    assert answer.params["text"] == "turned"
    assert [a.text for a in api.callback_answers] == ["turned"]
    assert api.pending_updates == []


async def test_feed_update_runs_handlers_against_the_fake(api: FakeBotApi, bot: Bot) -> None:
    dispatcher = Dispatcher()
    dispatcher.include_router(pager_router())
    raw = api.document_update(user_id=ADMIN, content=b"12345", file_name="result.json")

    await dispatcher.feed_update(bot, Update.model_validate(raw, context={"bot": bot}))

    reply = api.last_message(ADMIN)
    assert (reply.text, reply.reply_to_message_id) == ("got 5 bytes", raw["message"]["message_id"])
    assert api.pending_updates == []


@pytest.mark.parametrize(
    ("html", "shown"),
    [
        ("<b>bold</b> &lt;tag&gt; &amp; &#128512;", "bold <tag> & 😀"),
        ('<a href="https://x.y/?a=1&amp;b=2">link</a>', "link"),
        ('<span class="tg-spoiler">s</span><pre><code>c</code></pre>', "sc"),
    ],
)
def test_visible_text_of_valid_html(html: str, shown: str) -> None:
    assert visible_text(html) == shown


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("é<br/>", 'Unsupported start tag "br/" at byte offset 2'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
    ],
)
def test_invalid_html_is_refused_with_telegrams_words(html: str, error: str) -> None:
    with pytest.raises(HtmlEntitiesError) as refused:
        visible_text(html)
    assert str(refused.value).startswith(error)
