"""The work admins ask for from the bot (/watch, /backfill, /retry_media), as task handlers.

The TaskWorker in the process that holds the Telegram session runs them. Each checks its
arguments (a row may come from an older bot, or be typed into the database by hand), calls the
service, reports progress as the work goes, and returns the one line the admin is told.
A newly watched chat's history is queued as a backfill task of its own that reuses the watch
task's progress message, so the admin follows the whole story in one message; with several
accounts, only the archiver of the account that watches the chat claims it. A watch task meant
for one account (the admin chose it) runs in that account's archiver, which refuses a private
chat or basic group of another account (the task fails naming that account).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from core.domain.messages import ChatInfo
from core.errors import InvalidInputError
from services.archiver.backfill import BackfillReport, BackfillService
from services.archiver.flood_progress import FloodListener, flood_waits_reported_to
from services.archiver.watchlist import Account, WatchListService
from services.media.retry import MediaRetryService, MediaSweepReport
from services.tasks.queue import Task, TaskQueue
from services.tasks.worker import ProgressReporter, TaskHandler, TaskOutcome

WATCH, BACKFILL, RETRY_MEDIA = "watch", "backfill", "retry_media"
MEDIA_SWEEP = 100
MAX_MEDIA_SWEEPS = 1000  # the task ends even while the live path keeps queueing new media
# Which references are invite links (joined explicitly); the adapter checks the hash itself.
INVITE_PREFIX = re.compile(
    r"^(?:(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me|telegram\.dog)/(?:\+|joinchat/)"
    r"|tg://join\?)",
    re.IGNORECASE,
)


def archiver_task_handlers(
    *,
    watch: WatchListService,
    backfill: BackfillService,
    media: MediaRetryService,
    tasks: TaskQueue,
    media_wanted: asyncio.Event | None = None,
) -> dict[str, TaskHandler]:
    """Handlers by task kind. ``tasks`` queues the backfill of a newly watched chat;
    ``media_wanted`` wakes the media worker when a backfill queued downloads."""
    handlers = ArchiverTasks(watch, backfill, media, tasks, media_wanted)
    return {WATCH: handlers.watch, BACKFILL: handlers.backfill, RETRY_MEDIA: handlers.retry_media}


def is_invite_link(reference: str) -> bool:
    return INVITE_PREFIX.match(reference.strip()) is not None


class ArchiverTasks:
    def __init__(
        self,
        watch: WatchListService,
        backfill: BackfillService,
        media: MediaRetryService,
        tasks: TaskQueue,
        media_wanted: asyncio.Event | None,
    ) -> None:
        self._watch = watch
        self._backfill = backfill
        self._media = media
        self._tasks = tasks
        self._media_wanted = media_wanted

    async def watch(self, task: Task, progress: ProgressReporter) -> TaskOutcome:
        """args: ``reference`` (@username, link, id or invite link), ``added_by`` (optional)."""
        reference = _text(task.args, "reference")
        added_by = _optional_int(task.args, "added_by")
        await progress(note=f"looking up {reference}", force=True)
        if is_invite_link(reference):
            chat = await self._watch.watch_invite(reference, added_by=added_by)
        else:
            chat = await self._watch.watch(reference, added_by=added_by)
        queued, created = await self._queue_backfill(task, chat)
        owner = await self._watch.owner(chat.id)
        name = _name(chat.id, chat.title) + self._archived_by(owner)
        follow = "backfill queued" if created else "its backfill is already under way"
        return TaskOutcome(
            f"Watching {name}; {follow} (task #{queued.id})",
            {
                "chat_id": chat.id,
                "title": chat.title,
                "backfill_task": queued.id,
                "account": owner.label if owner is not None else None,
            },
        )

    def _archived_by(self, owner: Account | None) -> str:
        """Said when the chat stays with the account that watched it first (a channel or
        supergroup another account asked for: one account archives it for all)."""
        mine = self._watch.account_id
        if owner is None or mine is None or owner.id == mine:
            return ""
        return f", archived by the account '{owner.label}', which watched it first"

    async def _queue_backfill(self, task: Task, chat: ChatInfo) -> tuple[Task, bool]:
        """The backfill goes to the account that owns the chat now: this archiver's, unless
        another account already watched it (the queue routes a task by its ``chat_id``)."""
        return await self._tasks.enqueue(
            BACKFILL,
            {"chat_id": chat.id, "title": chat.title},
            dedup_key=f"{BACKFILL}:{chat.id}",
            requested_by=task.requested_by,
            reply_chat_id=task.reply_chat_id,
            reply_message_id=task.reply_message_id,
        )

    async def backfill(self, task: Task, progress: ProgressReporter) -> TaskOutcome:
        """args: ``chat_id``; optional ``limit`` (messages), ``since`` (ISO date), ``title``."""
        chat_id = _int(task.args, "chat_id")
        limit = _optional_int(task.args, "limit", minimum=1)
        since = _since(task.args)

        async def on_page(report: BackfillReport) -> None:
            await progress(**_backfill_progress(report, limit))

        with flood_waits_reported_to(_flood_listener(progress)):
            report = await self._backfill.backfill(
                chat_id, limit=limit, since=since, progress=on_page
            )
        await progress(force=True, **_backfill_progress(report, limit))
        if report.messages and self._media_wanted is not None:
            self._media_wanted.set()  # the pages may have queued media downloads
        return TaskOutcome(
            _backfill_summary(report, _name(chat_id, _optional_text(task.args, "title"))),
            _backfill_data(report),
        )

    async def retry_media(self, task: Task, progress: ProgressReporter) -> TaskOutcome:
        """args: ``requeue`` (failed media get a fresh round: an admin's /retry_media) and
        ``chat_id`` (only that chat's; implies ``requeue``). Without them (the scheduler's
        sweep), only what is due is downloaded: failed media stay failed."""
        chat_id = _optional_int(task.args, "chat_id")
        requeue = _optional_bool(task.args, "requeue", default=chat_id is not None)
        requeued = await self._media.requeue_failed(chat_id) if requeue else None
        await progress(done=0, total=requeued, force=True)
        with flood_waits_reported_to(_flood_listener(progress)):
            swept = await self._sweep_media(progress, requeued)
        data = {"chat_id": chat_id, "requeued": requeued, "processed": swept.processed}
        return TaskOutcome(_media_summary(swept, requeued), {**data, **swept.by_state})

    async def _sweep_media(
        self, progress: ProgressReporter, requeued: int | None
    ) -> MediaSweepReport:
        """Download until nothing is due (what fails for a while is retried later)."""
        total = MediaSweepReport()
        for _ in range(MAX_MEDIA_SWEEPS):
            sweep = await self._media.process_failed_downloads(MEDIA_SWEEP)
            if not sweep.processed:
                break
            total.processed += sweep.processed
            total.by_state.update(sweep.by_state)
            await progress(**_media_progress(total, requeued))
        await progress(force=True, **_media_progress(total, requeued))
        return total


def _flood_listener(progress: ProgressReporter) -> FloodListener:
    async def on_flood_wait(seconds: float) -> None:
        await progress(flood_wait=seconds, force=True)

    return on_flood_wait


def _backfill_progress(report: BackfillReport, limit: int | None) -> dict[str, Any]:
    fields: dict[str, Any] = {"done": report.messages, "flood_wait": None, "percent": None}
    if limit is not None:
        fields["total"] = limit
    if report.done:
        fields["percent"] = 100.0
    elif limit is not None:
        fields["percent"] = min(100.0, 100.0 * report.messages / limit)
    elif report.top_message_id and report.next_offset_id is not None:
        # History is paged down from the top id towards 1: the ids left are what remains.
        top, left = report.top_message_id, max(report.next_offset_id - 1, 0)
        fields["percent"] = max(0.0, min(100.0, 100.0 * (top - left) / top))
    return fields


def _backfill_summary(report: BackfillReport, name: str) -> str:
    counts = f"{report.messages} messages ({report.inserted} new, {report.edited} edited)"
    if report.complete:
        state = "the history is complete"
    elif report.done:
        state = "stopped at the requested limit or date; older messages remain"
    else:
        state = "not finished; it resumes with the next backfill"
    return f"Backfill of {name}: {counts}; {state}"


def _backfill_data(report: BackfillReport) -> dict[str, Any]:
    return {
        "chat_id": report.chat_id,
        "pages": report.pages,
        "messages": report.messages,
        "inserted": report.inserted,
        "edited": report.edited,
        "done": report.done,
        "complete": report.complete,
    }


def _media_progress(total: MediaSweepReport, requeued: int | None) -> dict[str, Any]:
    stored, failed = total.by_state["done"], total.by_state["failed"]
    known = requeued is not None and requeued >= total.processed
    again = " again" if requeued is not None else ""
    return {
        "done": total.processed,
        "total": requeued if known else None,
        "note": f"{stored} stored, {failed} failed{again}",
        "flood_wait": None,
    }


def _media_summary(total: MediaSweepReport, requeued: int | None) -> str:
    stored, failed, later = (total.by_state[state] for state in ("done", "failed", "retry"))
    tail = f", {later} to retry later" if later else ""
    if requeued is None:
        if not total.processed:
            return "Nothing was due in the media queue"
        return f"{total.processed} downloads: {stored} stored, {failed} failed{tail}"
    if not requeued and not total.processed:
        return "No failed media to retry"
    return f"{requeued} retried: {stored} stored, {failed} failed again{tail}"


def _name(chat_id: int, title: str | None) -> str:
    return f"{title} ({chat_id})" if title else f"chat {chat_id}"


def _text(args: Mapping[str, Any], key: str) -> str:
    value = args.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(f"the task needs '{key}': a non-empty text")
    return value.strip()


def _optional_text(args: Mapping[str, Any], key: str) -> str | None:
    value = args.get(key)
    return value if isinstance(value, str) and value else None


def _int(args: Mapping[str, Any], key: str) -> int:
    value = args.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInputError(f"the task needs '{key}': a whole number, got {value!r}")
    return value


def _optional_int(args: Mapping[str, Any], key: str, *, minimum: int | None = None) -> int | None:
    if args.get(key) is None:
        return None
    value = _int(args, key)
    if minimum is not None and value < minimum:
        raise InvalidInputError(f"'{key}' must be at least {minimum}, got {value}")
    return value


def _optional_bool(args: Mapping[str, Any], key: str, *, default: bool) -> bool:
    value = args.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise InvalidInputError(f"'{key}' must be true or false, got {value!r}")
    return value


def _since(args: Mapping[str, Any]) -> datetime | None:
    value = args.get("since")
    if value is None:
        return None
    try:
        since = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        since = None
    if since is None:
        raise InvalidInputError(f"'since' must be an ISO date such as 2024-05-01, got {value!r}")
    return since if since.tzinfo is not None else since.replace(tzinfo=UTC)
