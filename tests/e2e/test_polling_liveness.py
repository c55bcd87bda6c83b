"""The polling liveness middleware on a real Bot over the local Bot API: only an answered
getUpdates beats; other calls and a failed poll do not."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from aiogram.exceptions import TelegramServerError

from bot.polling_liveness import watch_polling
from services.observability.liveness import BotLiveness
from tests.e2e.harness import ADMIN
from tests.fakes.botapi import FakeBotApi, make_bot

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


async def test_only_answered_polls_beat() -> None:
    liveness = BotLiveness(clock=lambda: T0)
    async with FakeBotApi() as api:
        bot = make_bot(api)
        watch_polling(bot, liveness)
        try:
            await bot.get_me()
            await bot.send_message(ADMIN, "hello")
            assert liveness.last_beat is None

            api.fail("getUpdates", status=500, description="Internal Server Error")
            with pytest.raises(TelegramServerError):
                await bot.get_updates(timeout=0)
            assert liveness.last_beat is None

            await bot.get_updates(timeout=0)  # answered, with no update in it
            assert liveness.last_beat == T0
        finally:
            await bot.session.close()
    assert liveness.alive(T0)
