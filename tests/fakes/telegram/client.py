"""Real TelegramClients wired to the scripted Telegram instead of the network."""

from __future__ import annotations

import os
from collections.abc import Callable

from telethon import TelegramClient
from telethon.crypto import AuthKey
from telethon.sessions import MemorySession

from services.archiver.telethon_adapter.client import create_client
from tests.fakes.telegram.sender import FakeSender
from tests.fakes.telegram.world import FakeTelegram

API_ID = 12345
API_HASH = "0123456789abcdef0123456789abcdef"
HOME_DC = 2
ClientFactory = Callable[[], TelegramClient]


def _default_client() -> TelegramClient:
    return create_client(MemorySession(), API_ID, API_HASH, receive_updates=False)


def fake_client(
    world: FakeTelegram, factory: ClientFactory = _default_client, *, signed_in: bool = True
) -> TelegramClient:
    """A real client (the archive's own factory by default) whose only fake part is the sender.

    A session without an address points at DC 2 on 127.0.0.1, so media stored on DC 2 download
    through the same sender; files on other DCs go through Telethon's real exported-sender
    logic, which gets a FakeSender for that DC instead of a new connection. ``signed_in``: the
    session's key (one is made if it has none) is a logged-in session of the account; else it
    stays as it is, and a keyless session gets its key when it connects, logged out.
    """
    client = factory()
    if not client.session.server_address:
        client.session.set_dc(HOME_DC, "127.0.0.1", 443)
    key = client.session.auth_key or AuthKey(None)
    if signed_in:
        if not key.key:
            key.key = os.urandom(256)
        world.auth.sign_in_key(key)
    client.session.auth_key = key
    client._sender = FakeSender(
        world, dc_id=client.session.dc_id, auth_key=key, updates_queue=client._updates_queue
    )

    async def create_exported_sender(dc_id: int) -> FakeSender:
        return FakeSender(world, dc_id=dc_id)

    client._create_exported_sender = create_exported_sender
    return client
