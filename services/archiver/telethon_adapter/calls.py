"""Every Telegram request of the adapter goes through here, and so through APIRetryWrapper."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from telethon import TelegramClient

from core.api_retry_wrapper import APIRetryWrapper
from services.archiver.telethon_adapter.session_errors import translated_session_errors

T = TypeVar("T")


class TelegramCalls:
    """Runs client calls under the retry wrapper (capped attempts, waits honoured and recorded)."""

    def __init__(self, client: TelegramClient, retry: APIRetryWrapper) -> None:
        self.client = client
        self.retry = retry

    async def invoke(self, request: Any, operation: str) -> Any:
        """Send one raw TL request; its result, or the error it finally failed with."""
        return await self.run(lambda: self.client(request), request, operation)

    async def run(self, call: Callable[[], Awaitable[T]], request: Any, operation: str) -> T:
        """Await ``call()`` under the wrapper; ``request`` is the TL request type it sends.

        A revoked session or deactivated account ends as core's ConfigurationError (once: the
        wrapper treats 401s as permanent).
        """
        attempts = 0

        async def attempt() -> T:
            nonlocal attempts
            attempts += 1
            if attempts > 1:
                self._forget_flood_wait(request)
            return await call()

        result = await self.retry.execute_with_retry(attempt, operation_name=operation)
        with translated_session_errors():
            return result.unwrap()

    def _forget_flood_wait(self, request: Any) -> None:
        # Telethon remembers a FloodWait per request type by wall-clock time and refuses the
        # same request locally until it expires. The wrapper retries only after waiting what
        # the server asked, so that memory is stale by then; with an injected (fake) sleep it
        # would refuse every retry. A first attempt keeps it: another task's wait still counts.
        waited = getattr(self.client, "_flood_waited_requests", None)
        if isinstance(waited, dict):
            waited.pop(request.CONSTRUCTOR_ID, None)
