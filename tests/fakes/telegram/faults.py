"""Injected failures: flood waits, crashes, expired file references, revoked sessions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from telethon import errors
from telethon.tl import TLRequest, types

ErrorFactory = Callable[[TLRequest], BaseException]


class SimulatedCrash(BaseException):
    """The process dies here: nothing in the product may catch it (it is no Exception)."""


def rpc_error(request: TLRequest, code: int, message: str) -> BaseException:
    """The exact exception Telethon raises when Telegram answers ``code``/``message``."""
    error: BaseException = errors.rpc_message_to_error(types.RpcError(code, message), request)
    return error


@dataclass
class _Rule:
    request_type: type[TLRequest]
    nth: int
    error: ErrorFactory


class Faults:
    """Failure rules, checked for every request before it is served.

    ``nth`` counts the requests of that type this account received (1 = the first), across
    every client and sender built over the same FakeTelegram.
    """

    def __init__(self) -> None:
        self.received: Counter[str] = Counter()
        self._rules: list[_Rule] = []
        self.session_revoked = False
        self.account_deactivated = False
        self.expiring_files: set[int] = set()

    def fail(self, request_type: type[TLRequest], *, nth: int, error: ErrorFactory) -> None:
        self._rules.append(_Rule(request_type, nth, error))

    def flood_wait(self, request_type: type[TLRequest], *, nth: int, seconds: int) -> None:
        self.fail(request_type, nth=nth, error=lambda r: rpc_error(r, 420, f"FLOOD_WAIT_{seconds}"))

    def crash(self, request_type: type[TLRequest], *, nth: int) -> None:
        """Kill the process when the ``nth`` request of this type is sent (it is never served)."""
        self.fail(request_type, nth=nth, error=lambda r: SimulatedCrash(type(r).__name__))

    def expire_file_reference(self, file_id: int) -> None:
        """The next download of this file finds its reference expired (and rotated)."""
        self.expiring_files.add(file_id)

    def revoke_session(self) -> None:
        self.session_revoked = True

    def deactivate_account(self) -> None:
        self.account_deactivated = True

    def check(self, request: TLRequest) -> BaseException | None:
        """Count ``request`` and return the failure it must meet, if any."""
        name = type(request).__name__
        self.received[name] += 1
        if self.session_revoked:
            return rpc_error(request, 401, "AUTH_KEY_UNREGISTERED")
        if self.account_deactivated:
            return rpc_error(request, 401, "USER_DEACTIVATED_BAN")
        for rule in self._rules:
            if isinstance(request, rule.request_type) and self.received[name] == rule.nth:
                return rule.error(request)
        return None
