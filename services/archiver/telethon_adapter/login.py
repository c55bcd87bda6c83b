"""Logging the archive's account in: phone, login code and 2FA password, or a QR code scanned
in a Telegram app. Returns the string session; the caller stores it (encrypted).

Prompts are plain functions (``input``/``getpass`` at the CLI, scripted answers in tests), run in
a thread so the client keeps receiving updates while a person types. Nothing typed is logged.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import structlog
from telethon import TelegramClient, errors
from telethon.tl import functions

from core.api_retry_wrapper import APIRetryWrapper
from core.config_settings import TelegramSettings
from core.domain.messages import UserInfo
from core.errors import ConfigurationError, InvalidInputError, RetryLaterError
from services.archiver.telethon_adapter.calls import TelegramCalls
from services.archiver.telethon_adapter.client import client_from_settings
from services.archiver.telethon_adapter.entities import map_user

log = structlog.get_logger(__name__)

ClientFactory = Callable[[TelegramSettings, str | None], TelegramClient]
SendCode = functions.auth.SendCodeRequest
SignIn = functions.auth.SignInRequest
CheckPassword = functions.auth.CheckPasswordRequest
ExportLoginToken = functions.auth.ExportLoginTokenRequest
WRONG_CODE = (errors.PhoneCodeInvalidError, errors.PhoneCodeEmptyError)


@dataclass(frozen=True)
class LoginPrompts:
    """How the login talks to the person: ``ask`` shows what is typed, ``ask_secret`` hides it,
    ``say`` informs, ``show_qr`` presents the tg://login URL (as a QR code where possible)."""

    ask: Callable[[str], str]
    ask_secret: Callable[[str], str]
    say: Callable[[str], None]
    show_qr: Callable[[str], None]


@dataclass(frozen=True)
class LoggedIn:
    """The account now logged in, and its session to store (a full login: keep it secret)."""

    user: UserInfo
    session_string: str = field(repr=False)
    already: bool = False  # the given session was logged in before; nothing changed


async def log_in(
    settings: TelegramSettings,
    prompts: LoginPrompts,
    retry: APIRetryWrapper,
    *,
    qr: bool = False,
    session_string: str | None = None,
    client_factory: ClientFactory | None = None,
    max_attempts: int = 3,
    qr_rounds: int = 10,
) -> LoggedIn:
    """Log in (TELEGRAM_PHONE / TELEGRAM_PASSWORD are used when set, else asked for).

    A ``session_string`` that is still logged in is returned as it is; a revoked one logs in
    again. Raises InvalidInputError (wrong codes, unknown number ...), RetryLaterError (Telegram
    asks to wait) or ConfigurationError (API credentials, TELEGRAM_PASSWORD refused).
    """
    client = (client_factory or client_from_settings)(settings, session_string)
    try:
        await client.connect()
        if await client.is_user_authorized():
            me = await client.get_me()
            return LoggedIn(_user(me), client.session.save(), already=True)
        flow = _Flow(client, TelegramCalls(client, retry), prompts, settings.password, max_attempts)
        with _translated():
            user = await (flow.by_qr(qr_rounds) if qr else flow.by_phone(settings.phone))
        log.info("telegram_login_succeeded", user_id=user.id, qr=qr)
        return LoggedIn(_user(user), client.session.save())
    finally:
        await client.disconnect()


def _user(entity: Any) -> UserInfo:
    user = map_user(entity)
    if user is None:
        raise InvalidInputError("Telegram did not return the logged-in account")
    return user


class _Flow:
    def __init__(
        self,
        client: TelegramClient,
        calls: TelegramCalls,
        prompts: LoginPrompts,
        password: str | None,
        max_attempts: int,
    ) -> None:
        self._client = client
        self._calls = calls
        self._prompts = prompts
        self._password = password
        self._attempts = max_attempts

    async def _ask(self, question: str, *, secret: bool = False) -> str:
        asker = self._prompts.ask_secret if secret else self._prompts.ask
        return (await asyncio.to_thread(asker, question)).strip()

    async def by_phone(self, phone: str | None) -> Any:
        number = phone or await self._ask("Phone number (international format, +15551234567): ")
        send = partial(self._client.send_code_request, number)
        await self._calls.run(send, SendCode, "auth.SendCode")
        log.info("telegram_login_code_sent")
        self._prompts.say("Telegram sent a login code to your Telegram apps (or by SMS).")
        for _ in range(self._attempts):
            code = await self._ask("Login code: ")
            try:
                sign_in = partial(self._client.sign_in, number, code)
                return await self._calls.run(sign_in, SignIn, "auth.SignIn")
            except WRONG_CODE:
                self._prompts.say("That code is not right; try again.")
            except errors.SessionPasswordNeededError:
                return await self.with_password()
        raise InvalidInputError("too many wrong login codes: run 'telegramvault login' again")

    async def by_qr(self, rounds: int) -> Any:
        login = await self._calls.run(
            self._client.qr_login, ExportLoginToken, "auth.ExportLoginToken"
        )
        for _ in range(rounds):
            self._prompts.show_qr(login.url)
            try:
                # Waits for Telegram's updateLoginToken, then finishes the login (migrating to
                # the account's DC when Telegram says so).
                return await login.wait()
            except TimeoutError:
                self._prompts.say("The QR code expired; here is a new one.")
                await self._calls.run(login.recreate, ExportLoginToken, "auth.ExportLoginToken")
            except errors.SessionPasswordNeededError:
                return await self.with_password()
        raise InvalidInputError("no QR code was scanned in time: run 'telegramvault login --qr'")

    async def with_password(self) -> Any:
        """Two-step verification: Telethon proves the password with SRP (it never travels)."""
        state = await self._calls.invoke(
            functions.account.GetPasswordRequest(), "account.GetPassword"
        )
        if self._password:
            try:
                return await self._check(self._password)
            except errors.PasswordHashInvalidError:
                raise ConfigurationError(
                    "TELEGRAM_PASSWORD is not the account's two-step verification password",
                    ["TELEGRAM_PASSWORD"],
                ) from None
        hint = f" (hint: {state.hint})" if getattr(state, "hint", None) else ""
        for _ in range(self._attempts):
            password = await self._ask(f"Two-step verification password{hint}: ", secret=True)
            try:
                return await self._check(password)
            except errors.PasswordHashInvalidError:
                self._prompts.say("That password is not right; try again.")
        raise InvalidInputError("too many wrong passwords: run 'telegramvault login' again")

    async def _check(self, password: str) -> Any:
        check = partial(self._client.sign_in, password=password)
        return await self._calls.run(check, CheckPassword, "auth.CheckPassword")


@contextlib.contextmanager
def _translated() -> Iterator[None]:
    """Telegram's refusals during a login -> what the person should do about them."""
    try:
        yield
    except errors.PhoneNumberInvalidError as error:
        raise InvalidInputError(
            "the phone number is not valid: use the international format, e.g. +15551234567"
        ) from error
    except errors.PhoneNumberUnoccupiedError as error:
        raise InvalidInputError(
            "no Telegram account uses this phone number: sign up in a Telegram app first"
        ) from error
    except errors.PhoneNumberBannedError as error:
        raise InvalidInputError("this phone number is banned from Telegram") from error
    except errors.PhoneCodeExpiredError as error:
        raise InvalidInputError(
            "the login code expired: run 'telegramvault login' again"
        ) from error
    except errors.ApiIdInvalidError as error:
        raise ConfigurationError(
            "Telegram refused TELEGRAM_API_ID / TELEGRAM_API_HASH", ["TELEGRAM_API_ID"]
        ) from error
    except (errors.FloodWaitError, errors.PhoneNumberFloodError) as error:
        seconds = getattr(error, "seconds", None)
        wait = f" ({seconds} s)" if seconds else ""
        raise RetryLaterError(
            f"Telegram asks to wait before the next login attempt{wait}", retry_after=seconds
        ) from error
