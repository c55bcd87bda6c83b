"""How the archive's TelegramClient is built: the one place its Telethon options are decided."""

from __future__ import annotations

from typing import Any

from telethon import TelegramClient
from telethon.sessions.abstract import Session


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
