"""FakeSender: stands where Telethon's MTProtoSender stands and answers from the scripted Telegram.

Results travel through the TL wire format (serialized, then read back by the request's own
``read_result``), so a fixture that does not fit the layer fails here, and Telethon receives
exactly the patched objects a real connection would give it.
"""

from __future__ import annotations

import asyncio
import os
import struct
from typing import Any

from telethon.crypto import AuthKey
from telethon.extensions import BinaryReader
from telethon.tl import TLObject, TLRequest, functions

from tests.fakes.telegram.auth import AUTH_REQUESTS
from tests.fakes.telegram.requests_log import Exchange
from tests.fakes.telegram.server import TelegramServer
from tests.fakes.telegram.world import FakeTelegram

VECTOR = struct.pack("<I", 0x1CB5C415)
# Wrappers Telethon puts around a request; the fake answers the request inside.
WRAPPERS = (
    functions.InvokeWithoutUpdatesRequest,
    functions.InvokeWithLayerRequest,
    functions.InitConnectionRequest,
    functions.InvokeAfterMsgRequest,
    functions.InvokeWithTakeoutRequest,
)


def unwrap(request: TLRequest) -> TLRequest:
    while isinstance(request, WRAPPERS):
        request = request.query
    return request


def over_the_wire(request: TLRequest, result: Any) -> Any:
    """Serialize ``result`` and let the request parse it, as a real response would be."""
    return request.read_result(BinaryReader(_encode(result)))


def _encode(value: Any) -> bytes:
    if isinstance(value, list):
        return VECTOR + struct.pack("<i", len(value)) + b"".join(_encode(v) for v in value)
    if isinstance(value, TLObject):
        return bytes(value)
    raise TypeError(f"cannot serialize {type(value).__name__}")


class FakeSender:
    """Replaces ``client._sender`` (and exported senders for other DCs).

    ``auth_key`` is the connection's authorization key: requests need it signed in to the
    account (``world.auth``), except the login ones. An exported sender (media on another DC)
    has none: its authorization was imported, so it is served as the main one. Given the
    client's ``updates_queue``, a connected sender receives the account's pushed updates.
    """

    def __init__(
        self,
        world: FakeTelegram,
        *,
        dc_id: int = 2,
        auth_key: AuthKey | None = None,
        updates_queue: asyncio.Queue[Any] | None = None,
    ) -> None:
        self.world = world
        self.log = world.log
        self.dc_id = dc_id
        self.auth_key = auth_key
        self._updates_queue = updates_queue
        self._server = TelegramServer(world)
        self._connected = True
        self._disconnected: asyncio.Future[None] | None = None

    def send(self, request: TLRequest, ordered: bool = False) -> asyncio.Future[Any]:
        # What the server sees is what went over the wire: a copy Telethon cannot mutate later
        # (its download iterator reuses one request object and moves its offset).
        inner = BinaryReader(bytes(unwrap(request))).tgread_object()
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        failure = self.world.faults.check(inner)
        if failure is not None:
            self.log.exchanges.append(Exchange(inner, self.dc_id, served=False))
            if not isinstance(failure, Exception):
                raise failure  # a simulated kill escapes right here, as the process would die
            future.set_exception(failure)
            return future
        refused = self.world.auth.gate(inner, self.auth_key) if self.auth_key else None
        if refused is not None:
            self.log.exchanges.append(Exchange(inner, self.dc_id, served=False))
            future.set_exception(refused)
            return future
        try:
            result = over_the_wire(inner, self._serve(inner))
        except Exception as error:
            self.log.exchanges.append(Exchange(inner, self.dc_id, served=False))
            future.set_exception(error)
        else:
            self.log.exchanges.append(Exchange(inner, self.dc_id, served=True))
            future.set_result(result)
        return future

    def _serve(self, request: TLRequest) -> Any:
        if isinstance(request, AUTH_REQUESTS):
            return self.world.auth.handle(request, self.auth_key or AuthKey(None), self.dc_id)
        return self._server.handle(request, self.dc_id)

    # What TelegramClient asks of its sender besides ``send``.
    async def connect(self, connection: Any = None) -> bool:
        """Like MTProtoSender: a missing key is created (a handshake), on the DC connected to."""
        if connection is not None:
            self.dc_id = connection._dc_id
            self.world.log.connections.append((connection._dc_id, connection._ip, connection._port))
        if self.auth_key is not None and not self.auth_key.key:
            self.auth_key.key = os.urandom(256)
        self._connected = True
        self._disconnected = None
        if self._updates_queue is not None:
            key_id = self.auth_key.key_id if self.auth_key is not None else None
            self.world.live.attach(self._updates_queue, key_id)
        return True

    def is_connected(self) -> bool:
        return self._connected

    async def disconnect(self) -> None:
        self._connected = False
        if self._updates_queue is not None:
            self.world.live.detach(self._updates_queue)
        future = self._disconnected_future()
        if not future.done():
            future.set_result(None)

    @property
    def disconnected(self) -> asyncio.Future[None]:
        future = self._disconnected_future()
        if not self._connected and not future.done():
            future.set_result(None)
        return asyncio.shield(future)

    def _disconnected_future(self) -> asyncio.Future[None]:
        if self._disconnected is None:
            self._disconnected = asyncio.get_running_loop().create_future()
        return self._disconnected

    def _transport_connected(self) -> bool:
        return self._connected

    def _keepalive_ping(self, ping_id: int) -> None:
        return None
