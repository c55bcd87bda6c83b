"""Access, /start, /help and /status with the real aiogram bot over the local Bot API."""

from __future__ import annotations

from bot.app import set_commands
from bot.commands import COMMANDS
from core.db.database import Database
from core.domain.archive import ArchivePage
from services.ingest.media_policy import MediaPolicy
from services.ingest.service import IngestService
from tests import factories
from tests.e2e.harness import ADMIN, STRANGER, BotEnv, polling


async def test_a_stranger_gets_nothing_back_for_any_command(env: BotEnv) -> None:
    for command, _, _ in COMMANDS:
        assert await env.send(f"/{command} something", user_id=STRANGER) == []
    assert await env.send("hello", user_id=STRANGER) == []
    admin_reply = await env.reply("/status")
    stale = env.api.callback_update(user_id=STRANGER, data="status:refresh", message=admin_reply)
    await env.feed(stale)
    assert env.api.callback_answers == []
    assert env.api.messages(STRANGER) == []
    assert env.api.calls_to("sendMessage")[-1].params["chat_id"] == ADMIN


async def test_help_lists_every_command_and_start_welcomes(env: BotEnv) -> None:
    welcome = await env.reply("/start")
    assert "TelegramVault" in (welcome.plain_text or "")
    help_text = (await env.reply("/help")).plain_text or ""
    for command, _, _ in COMMANDS:
        assert f"/{command}" in help_text


async def test_unknown_commands_and_stale_buttons_answer_gracefully(env: BotEnv) -> None:
    assert "Unknown command" in ((await env.reply("/frobnicate")).plain_text or "")
    status = await env.reply("/status")
    await env.feed(env.api.callback_update(user_id=ADMIN, data="gone:1", message=status))
    assert env.answers()[-1] == "This button has expired."


async def test_status_shows_the_archive_and_refreshes_in_place(env: BotEnv, db: Database) -> None:
    status = await env.reply("/status")
    text = status.plain_text or ""
    assert "0 messages" in text and "archiver never connected" in text
    assert "no watched chats" in text

    page = ArchivePage(
        messages=[factories.message(i, text=f"hello {i}") for i in range(1, 4)],
        chats=[factories.chat()],
        users=[factories.user()],
    )
    await IngestService(db, MediaPolicy(frozenset(), 0)).ingest_page(page)
    refreshed = await env.press(status, "Refresh")
    assert refreshed.message_id == status.message_id and refreshed.edits == 1
    assert "3 messages in 1 chats" in (refreshed.plain_text or "")
    assert env.answers()[-1] == "Updated"


async def test_the_command_menu_is_set_and_polling_serves_admins(env: BotEnv) -> None:
    await set_commands(env.bot)
    assert [c["command"] for c in env.api.commands] == [c for c, _, _ in COMMANDS]
    async with polling(env):
        env.api.push_message(user_id=STRANGER, text="/status")
        env.api.push_message(user_id=ADMIN, text="/help")
        [reply] = await env.api.wait_for_messages(ADMIN, 1, timeout=10)
    assert "/search" in (reply.plain_text or "")
    assert env.api.messages(STRANGER) == []


async def test_an_admin_who_blocked_the_bot_gets_alerts_again_after_start(env: BotEnv) -> None:
    await env.services.outbox.block_recipient(ADMIN, "Forbidden: bot was blocked by the user")
    await env.reply("/help")
    assert await env.services.outbox.recipient_state(ADMIN) == "blocked"
    await env.reply("/start")
    assert await env.services.outbox.recipient_state(ADMIN) == "ok"
