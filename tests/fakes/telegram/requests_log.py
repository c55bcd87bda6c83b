"""What the scripted Telegram received: every request, in order, and whether it was served."""

from __future__ import annotations

from dataclasses import dataclass

from telethon.tl import TLRequest, functions

GET_HISTORY = functions.messages.GetHistoryRequest  # for code that must not import telethon


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request as the fake received it, and whether it was answered with a result."""

    request: TLRequest
    dc_id: int
    served: bool


class RequestLog:
    """Every request any sender over one FakeTelegram received, in order."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []
        self.connections: list[tuple[int, str, int]] = []  # (dc id, address, port) connected to

    def received(self, request_type: type[TLRequest]) -> list[TLRequest]:
        return [e.request for e in self.exchanges if isinstance(e.request, request_type)]

    def served(self, request_type: type[TLRequest]) -> list[TLRequest]:
        return [
            e.request for e in self.exchanges if e.served and isinstance(e.request, request_type)
        ]

    def count(self, request_type: type[TLRequest]) -> int:
        return len(self.received(request_type))
