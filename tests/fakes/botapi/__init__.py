"""A local Telegram Bot API over HTTP: the real aiogram bot runs on top of it in tests."""

from tests.fakes.botapi.client import make_bot
from tests.fakes.botapi.html import HtmlEntitiesError, visible_text
from tests.fakes.botapi.records import ApiCall, ApiError, CallbackAnswer, SentMessage
from tests.fakes.botapi.server import BOT_USER_ID, TOKEN, FakeBotApi

__all__ = [
    "BOT_USER_ID",
    "TOKEN",
    "ApiCall",
    "ApiError",
    "CallbackAnswer",
    "FakeBotApi",
    "HtmlEntitiesError",
    "SentMessage",
    "make_bot",
    "visible_text",
]
