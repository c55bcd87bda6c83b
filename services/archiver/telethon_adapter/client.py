"""How the archive's TelegramClient is built: the one place its Telethon options are decided."""

from __future__ import annotations

import binascii
import ipaddress
import struct
from typing import Any

from telethon import TelegramClient
from telethon.sessions import StringSession
from telethon.sessions.abstract import Session

from core.config_settings import TelegramSettings
from core.errors import ConfigurationError

# Telegram's test data centre 2 (the one a test account is created on).
TEST_DC = (2, "149.154.167.40", 443)
DEFAULT_DC_PORT = 443
DEVICE_MODEL = "TelegramVault"  # how the session is named in the account's active sessions


def create_client(
    session: Session,
    api_id: int,
    api_hash: str,
    *,
    receive_updates: bool = True,
    **options: Any,
) -> TelegramClient:
    """A TelegramClient whose flood waits all reach APIRetryWrapper.

    ``flood_sleep_threshold=0``: Telethon would otherwise sleep through every FloodWait of up to
    60 s inside the call, silently, so the wait would be neither capped by
    TELEGRAM_FLOOD_WAIT_MAX nor recorded for /status. With 0 it raises each one and the
    wrapper waits exactly what the server asked, records it and retries.
    """
    return TelegramClient(
        session,
        api_id,
        api_hash,
        flood_sleep_threshold=0,
        receive_updates=receive_updates,
        **options,
    )


def client_from_settings(settings: TelegramSettings, session_string: str | None) -> TelegramClient:
    """The account's client as configured: API credentials, a string session, custom or test DC.

    ``session_string`` is TELEGRAM_SESSION_STRING or the decrypted session file; None (or empty)
    starts a new session, for ``telegramvault login``. Updates are dispatched one at a time
    (``sequential_updates``) so a message, its edit and its deletion reach the live path in the
    order Telegram sent them. Telethon never sleeps through a flood wait itself: see
    ``create_client``.
    """
    if settings.api_id is None or not settings.api_hash:
        raise ConfigurationError(
            "TELEGRAM_API_ID and TELEGRAM_API_HASH are required to connect to Telegram "
            "(create them at https://my.telegram.org)",
            ["TELEGRAM_API_ID", "TELEGRAM_API_HASH"],
        )
    session = _string_session(session_string)
    _point_at_data_centre(session, settings)
    return create_client(
        session,
        settings.api_id,
        settings.api_hash,
        receive_updates=True,
        sequential_updates=True,
        device_model=DEVICE_MODEL,
    )


def _string_session(session_string: str | None) -> StringSession:
    try:
        return StringSession(session_string or None)
    except (ValueError, struct.error, binascii.Error) as error:
        raise ConfigurationError(
            "the Telegram session is not a valid Telethon string session: "
            "run 'telegramvault login' again (or fix TELEGRAM_SESSION_STRING)"
        ) from error


def _configured_data_centre(settings: TelegramSettings) -> tuple[int, str, int] | None:
    if settings.dc_id is not None and settings.dc_address:
        try:
            ipaddress.ip_address(settings.dc_address)
        except ValueError:
            # A string session stores the address as a packed IP: a host name cannot be saved.
            raise ConfigurationError(
                "TELEGRAM_DC_ADDRESS must be an IP address (Telethon sessions store an IP)",
                ["TELEGRAM_DC_ADDRESS"],
            ) from None
        return settings.dc_id, settings.dc_address, settings.dc_port or DEFAULT_DC_PORT
    if settings.test_servers:
        return TEST_DC
    return None


def _point_at_data_centre(session: Session, settings: TelegramSettings) -> None:
    """A new session starts at the configured DC; a saved one keeps the DC its key lives on
    (Telegram may have moved it to the account's home DC), taking only a new address for it."""
    configured = _configured_data_centre(settings)
    if configured is None:
        return
    if not session.auth_key or session.dc_id == configured[0]:
        session.set_dc(*configured)
