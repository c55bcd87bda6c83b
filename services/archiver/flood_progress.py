"""Flood waits shown on the progress of the task that met them.

The retry wrapper reports every flood wait to its FloodWaitRecorder before it sleeps. Wrapping
the recorder with ``FloodWaitProgress`` lets a running task hear about the wait while it lasts
(its progress message then says "flood wait 300 s" instead of looking stuck). The task says it
is listening with ``flood_waits_reported_to``: a context variable, so the wait reaches the
task whose Telegram call met it, and no other, without passing a listener down every call.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar

import structlog

from core.domain.flood import FloodWaitEvent
from core.ports.flood import FloodWaitRecorder

log = structlog.get_logger(__name__)

FloodListener = Callable[[float], Awaitable[None]]
_listener: ContextVar[FloodListener | None] = ContextVar("task_flood_listener", default=None)


@contextlib.contextmanager
def flood_waits_reported_to(listener: FloodListener) -> Iterator[None]:
    """Within the block, flood waits this task waits out are passed to ``listener``."""
    token = _listener.set(listener)
    try:
        yield
    finally:
        _listener.reset(token)


class FloodWaitProgress:
    """A FloodWaitRecorder that records through ``inner`` and tells the listening task."""

    def __init__(self, inner: FloodWaitRecorder | None = None) -> None:
        self._inner = inner

    async def record(self, event: FloodWaitEvent) -> None:
        if self._inner is not None:
            await self._inner.record(event)
        listener = _listener.get()
        if listener is None or not event.honoured:
            return  # a wait over the cap is not waited: the call fails instead
        try:
            await listener(event.seconds)
        except Exception:  # progress is a report: it must never fail the Telegram call
            log.exception("flood_wait_progress_failed", operation=event.operation)
