"""Connecting the archive's session and keeping it: a dead session stops with one clear error."""

from __future__ import annotations

from telethon import TelegramClient
from telethon.tl import functions, types

from core.api_retry_wrapper import APIRetryWrapper
from core.domain.messages import UserInfo
from core.errors import ConfigurationError
from services.archiver.telethon_adapter.calls import TelegramCalls
from services.archiver.telethon_adapter.entities import map_user
from services.archiver.telethon_adapter.session_errors import translated_session_errors

NOT_LOGGED_IN = "there is no Telegram session yet: run 'telegramvault login'"


async def connect_account(client: TelegramClient, retry: APIRetryWrapper) -> UserInfo:
    """Connect and make sure the session is logged in; returns the account's own user.

    Telethon's ``connect`` succeeds for a logged-out session too, so the account is asked for
    itself: a revoked session or a deactivated account raises its ConfigurationError here,
    before anything starts.
    """
    if not client.session.auth_key:
        raise ConfigurationError(NOT_LOGGED_IN, [NOT_LOGGED_IN])
    with translated_session_errors():
        await client.connect()
    calls = TelegramCalls(client, retry)
    request = functions.users.GetUsersRequest([types.InputUserSelf()])
    found = await calls.invoke(request, "users.GetUsers")
    me = map_user(found[0]) if found else None
    if me is None:
        raise ConfigurationError(NOT_LOGGED_IN, [NOT_LOGGED_IN])
    return me


async def wait_disconnected(client: TelegramClient) -> None:
    """Receive updates until the client disconnects.

    If the update loop stopped because the session died meanwhile, its ConfigurationError is
    raised; Telethon itself disconnects instead of retrying.
    """
    with translated_session_errors():
        await client.run_until_disconnected()  # inside a running loop: a coroutine
