"""Start-up gap fill: every watched chat gets what it missed while the archiver was down.

A chat whose backfill finished catches up (messages newer than its stored top); one whose
backfill was interrupted resumes it with the limit/since it was started with; a chat watched
without a backfill (live only) has no top to fill from and is skipped. Chats go one after the
other (one account: parallel history requests only earn flood waits). A failing chat is
reported and the others still run, except when the session itself is dead
(ConfigurationError), which stops everything.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog

from core.errors import ConfigurationError
from services.archiver.backfill import BackfillReport, BackfillService
from services.archiver.watchlist import WatchedBackfill, WatchListService

log = structlog.get_logger(__name__)

CAUGHT_UP, RESUMED, SKIPPED, FAILED = "caught_up", "backfill_resumed", "skipped", "failed"


@dataclass(frozen=True, slots=True)
class ChatCatchUp:
    """What start-up did for one chat: ``action`` is one of the module's four constants."""

    chat_id: int
    action: str
    report: BackfillReport | None = None
    error: str | None = None

    @property
    def messages(self) -> int:
        return self.report.messages if self.report is not None else 0


ChatDone = Callable[[ChatCatchUp], Awaitable[None]]


async def catch_up_all(
    backfill: BackfillService, watch_list: WatchListService, *, on_chat: ChatDone | None = None
) -> list[ChatCatchUp]:
    """Fill every watched chat's gap; one result per chat, in chat id order."""
    results = []
    for state in await watch_list.backfill_states():
        result = await _one(backfill, state)
        log.info(
            "chat_caught_up", chat_id=result.chat_id, action=result.action,
            messages=result.messages, error=result.error,
        )  # fmt: skip
        results.append(result)
        if on_chat is not None:
            await on_chat(result)
    return results


async def _one(backfill: BackfillService, state: WatchedBackfill) -> ChatCatchUp:
    if not state.started:
        return ChatCatchUp(state.chat_id, SKIPPED, error="live only: no backfill was started")
    try:
        if state.done:
            report = await backfill.catch_up(state.chat_id)
            return ChatCatchUp(state.chat_id, CAUGHT_UP, report)
        report = await backfill.backfill(state.chat_id, limit=state.limit, since=state.since)
        return ChatCatchUp(state.chat_id, RESUMED, report)
    except ConfigurationError:
        raise  # the session is dead: no other chat can do better
    except Exception as error:
        log.exception("chat_catch_up_failed", chat_id=state.chat_id)
        return ChatCatchUp(state.chat_id, FAILED, error=f"{type(error).__name__}: {error}")
