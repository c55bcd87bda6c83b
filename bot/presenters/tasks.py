"""Progress of work the bot queued (backfill, media retry, enrichment, watch, import)."""

from __future__ import annotations

from typing import Any

from bot.text import esc, number
from bot.ui import Reply
from services.tasks.queue import QUEUED, Task

LABELS = {
    "watch": "Adding the chat",
    "backfill": "Backfill",
    "retry_media": "Media retry",
    "enrich": "Profile refresh",
    "import": "Import",
}


def label(kind: str) -> str:
    return LABELS.get(kind, kind.replace("_", " ").capitalize())


def starting_reply(kind: str) -> Reply:
    """Shown before the task exists, so the task is queued already knowing its message."""
    return Reply(f"⏳ {esc(label(kind))}: queued.")


def queued_reply(task: Task, *, already: bool = False) -> Reply:
    """The message that will show the task's progress."""
    if already:
        return Reply(f"⏳ {esc(label(task.kind))} is already under way (task #{task.id}).")
    return Reply(f"⏳ {esc(label(task.kind))}: queued as task #{task.id}.")


def progress_reply(task: Task) -> Reply:
    if task.state == QUEUED:
        return Reply(f"⏳ {esc(label(task.kind))}: waiting for the archiver (task #{task.id}).")
    return Reply(f"⏳ {esc(label(task.kind))}: {progress_line(task.progress or {})}")


def progress_line(progress: dict[str, Any]) -> str:
    """``45% · 450 / 1 000 · flood wait 30 s · note``; only the fields present."""
    parts: list[str] = []
    done, total = progress.get("done"), progress.get("total")
    percent = progress.get("percent")
    if percent is None and isinstance(done, int) and isinstance(total, int) and total > 0:
        percent = 100 * done / total
    if percent is not None:
        parts.append(f"{float(percent):.0f}%")
    if isinstance(done, int):
        parts.append(
            f"{number(done)} / {number(total)}" if isinstance(total, int) else number(done)
        )
    if progress.get("flood_wait"):
        parts.append(f"flood wait {float(progress['flood_wait']):.0f} s")
    if progress.get("note"):
        parts.append(esc(str(progress["note"])))
    return " · ".join(parts) or "started"
