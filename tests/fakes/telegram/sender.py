"""FakeSender: stands where Telethon's MTProtoSender stands and answers from the scripted Telegram.

Results travel through the TL wire format (serialized, then read back by the request's own
``read_result``), so a fixture that does not fit the layer fails here, and Telethon receives
exactly the patched objects a real connection would give it.
"""

from __future__ import annotations

import asyncio
import struct
from typing import Any

from telethon.extensions import BinaryReader
from telethon.tl import TLObject, TLRequest, functions

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
    """Replaces ``client._sender`` (and exported senders for other DCs)."""

    def __init__(self, world: FakeTelegram, *, dc_id: int = 2) -> None:
        self.world = world
        self.log = world.log
        self.dc_id = dc_id
        self._server = TelegramServer(world)
        self._connected = True

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
        try:
            result = over_the_wire(inner, self._server.handle(inner, self.dc_id))
        except Exception as error:
            self.log.exchanges.append(Exchange(inner, self.dc_id, served=False))
            future.set_exception(error)
        else:
            self.log.exchanges.append(Exchange(inner, self.dc_id, served=True))
            future.set_result(result)
        return future

    # What TelegramClient asks of its sender besides ``send``.
    async def connect(self, connection: Any = None) -> bool:
        self._connected = True
        return True

    def is_connected(self) -> bool:
        return self._connected

    async def disconnect(self) -> None:
        self._connected = False

    @property
    def disconnected(self) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if not self._connected:
            future.set_result(None)
        return future
