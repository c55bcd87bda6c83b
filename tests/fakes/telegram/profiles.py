"""Scripting profiles: a user's profile photo, and a connection that stops answering."""

from __future__ import annotations

import asyncio
from typing import Any

from telethon import TelegramClient
from telethon.tl import TLRequest

from tests.fakes.telegram.sender import unwrap
from tests.fakes.telegram.specs import FakeFile, FakeUser
from tests.fakes.telegram.world import FakeTelegram


def show_photo(world: FakeTelegram, user: FakeUser, data: bytes) -> FakeFile:
    """The user now shows a new profile photo (a new photo id) holding ``data``."""
    photo = world.add_photo(data)
    user.photo_id = photo.id
    return photo


def hang(client: TelegramClient, *request_types: type[TLRequest]) -> list[TLRequest]:
    """From now on the client's connection never answers requests of these types (a stalled
    data centre); returns the list of requests left unanswered, filled as they are sent."""
    sender = client._sender
    answer = sender.send
    unanswered: list[TLRequest] = []

    def send(request: TLRequest, ordered: bool = False) -> Any:
        inner = unwrap(request)
        if isinstance(inner, request_types):
            unanswered.append(inner)
            return asyncio.get_running_loop().create_future()
        return answer(request, ordered)

    sender.send = send
    return unanswered
