"""/status: the whole vault on one phone screen."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.text import clip, duration, esc, number, size, when
from bot.ui import Button, Reply, rows
from services.status.snapshot import ChatProgress, LiveState, VaultStatus

STATUS_REFRESH = "status:refresh"


def status_reply(status: VaultStatus, tz: ZoneInfo) -> Reply:
    sections = [
        "<b>📦 Vault status</b>",
        _totals(status),
        _live(status.archivers, tz),
        _backfill(status),
        _queues(status),
        _flood_waits(status, tz),
        _errors(status, tz),
        f"Database {size(status.database_bytes)} · media {size(status.media_bytes)} · "
        f"up {duration(status.uptime_seconds)}",
        f"<i>as of {when(status.generated_at, tz, seconds=True)}</i>",
    ]
    text = "\n\n".join(section for section in sections if section)
    return Reply(text, rows([Button("🔄 Refresh", callback=STATUS_REFRESH)]))


def _totals(status: VaultStatus) -> str:
    t = status.totals
    return (
        f"<b>Archive</b>: {number(t.messages)} messages in {number(t.chats)} chats, "
        f"{number(t.users)} people\n"
        f"edited {number(t.edited)} · deleted {number(t.deleted)} · "
        f"media {number(t.media_stored)}/{number(t.media_files)} stored\n"
        f"detections {number(t.detections)} · rules on {number(t.rules_enabled)}"
    )


def _live(archivers: tuple[LiveState, ...], tz: ZoneInfo) -> str:
    """One archiver as one section (as before accounts); several, one line per account."""
    if not archivers:
        return "<b>Live</b>: archiver never connected"
    if len(archivers) == 1:
        return "<b>Live</b>: " + _live_state(archivers[0], tz, separator="\n")
    lines = [f"<b>Live</b> · {number(len(archivers))} accounts"]
    for live in archivers:
        name = esc(live.label) if live.label is not None else "older version"
        lines.append(f"• <b>{name}</b>: {_live_state(live, tz, separator=' · ')}")
    return "\n".join(lines)


def _live_state(live: LiveState, tz: ZoneInfo, *, separator: str) -> str:
    if live.updated_at is None:
        return "archiver never connected"
    if live.stale:
        return f"⚠️ no news from the archiver since {when(live.updated_at, tz)}"
    state = "🟢 connected" if live.connected else "🔴 disconnected"
    account = f" as {esc(live.account)}" if live.account else ""
    return (
        f"{state}{account} since {when(live.since, tz)}{separator}"
        f"last event {when(live.last_event_at, tz)} · last sync {when(live.last_sync_at, tz)}"
    )


def _backfill(status: VaultStatus) -> str:
    if not status.chats:
        return "<b>Backfill</b>: no watched chats — add one with /watch"
    lines = [f"<b>Backfill</b> ({number(status.chats_total)} watched)"]
    lines += [_chat_line(chat) for chat in status.chats]
    hidden = status.chats_total - len(status.chats)
    if hidden > 0:
        lines.append(f"… and {number(hidden)} more in /chats")
    return "\n".join(lines)


def _chat_line(chat: ChatProgress) -> str:
    name = esc(
        clip(chat.title or (f"@{chat.username}" if chat.username else str(chat.chat_id)), 40)
    )
    if chat.done:
        state = "✅ done"
    elif not chat.started:
        state = "waiting"
    elif chat.percent is not None:
        state = f"{chat.percent:.0f}%"
    else:
        state = "running"
    return f"• {name}: {state} ({number(chat.fetched)} fetched)"


def _queues(status: VaultStatus) -> str:
    q = status.queues
    return (
        f"<b>Queues</b>: media {number(q.media_pending)} pending, {number(q.media_failed)} failed"
        f" · alerts {number(q.alerts_pending)} pending, {number(q.alerts_failed)} failed"
        f" · tasks {number(q.tasks_queued)} queued, {number(q.tasks_running)} running,"
        f" {number(q.tasks_failed)} failed"
    )


def _flood_waits(status: VaultStatus, tz: ZoneInfo) -> str:
    if not status.flood_waits:
        return ""
    lines = ["<b>Flood waits now</b>"]
    for wait in status.flood_waits:
        until = when(wait.until, tz, seconds=True)
        lines.append(f"• {esc(clip(wait.operation, 60))}: {wait.seconds:.0f} s, until {until}")
    return "\n".join(lines)


def _errors(status: VaultStatus, tz: ZoneInfo) -> str:
    if not status.recent_errors:
        return ""
    lines = ["<b>Last errors</b>"]
    lines += [
        f"• {when(e.at, tz)} {esc(e.source)}: {esc(clip(e.summary, 120))}"
        for e in status.recent_errors
    ]
    return "\n".join(lines)
