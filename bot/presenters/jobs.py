"""/jobs: each scheduled job with its schedule, next run and last run, and buttons to run it
now, pause or resume it. Pressing a button edits the list in place."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData

from bot.text import clip, duration, esc, when
from bot.ui import Button, Reply, rows
from services.jobs.models import (
    CATCH_UP,
    DIGEST,
    ENRICH,
    MAINTENANCE,
    MANUAL,
    PAUSE,
    RESCAN,
    RESUME,
    RETRY_MEDIA,
    RUN_NOW,
    ControlOutcome,
    JobInfo,
    JobRun,
)

REFRESH = "refresh"
SHORT = {
    CATCH_UP: "catch-up",
    RETRY_MEDIA: "media",
    ENRICH: "enrich",
    RESCAN: "rescan",
    MAINTENANCE: "maintenance",
    DIGEST: "digest",
}
DONE = {RUN_NOW: "Started", PAUSE: "Paused", RESUME: "Resumed"}
ASKED = {RUN_NOW: "run", PAUSE: "pause", RESUME: "resume"}
NAME_CHARS, RESULT_CHARS = 60, 160


class JobAction(CallbackData, prefix="jb1"):
    """``jb1:<action>:<job id>``; the job id is empty for a refresh."""

    action: str
    job_id: str = ""


def jobs_reply(jobs: Sequence[JobInfo], tz: ZoneInfo, *, note: str = "") -> Reply:
    lines = ["<b>⏱ Scheduled jobs</b>"]
    if note:
        lines.append(f"<i>{esc(clip(note, RESULT_CHARS))}</i>")
    if not jobs:
        lines.append("No job is registered yet: the scheduler adds them when it starts.")
    for job in jobs:
        lines += ["", *_job_lines(job, tz)]
    buttons = [_job_buttons(job) for job in jobs]
    refresh = [Button("🔄 Refresh", callback=JobAction(action=REFRESH).pack())]
    return Reply("\n".join(lines), rows(*buttons, refresh))


def control_note(outcome: ControlOutcome) -> str:
    """What the callback answer says after a button was pressed."""
    if outcome.applied:
        return f"{DONE[outcome.action]}: {outcome.name}"
    return f"Asked the scheduler to {ASKED[outcome.action]}: {outcome.name}"


def _job_lines(job: JobInfo, tz: ZoneInfo) -> list[str]:
    state = "⏸ paused" if job.paused else f"next {when(job.next_run, tz)}"
    if job.running:
        state += " · ⏳ running now"
    return [
        f"<b>{esc(clip(job.name, NAME_CHARS))}</b> · {esc(job.schedule)}",
        state,
        _last_run(job.last_run, tz),
    ]


def _last_run(run: JobRun | None, tz: ZoneInfo) -> str:
    if run is None:
        return "last run: never"
    icon = "✅" if run.ok else "❌"
    how = " by hand" if run.trigger == MANUAL else ""
    result = run.summary if run.ok else (run.error or "failed")
    return (
        f"last run{how} {icon} {when(run.started_at, tz)} ({_took(run.seconds)}): "
        f"{esc(clip(result, RESULT_CHARS))}"
    )


def _took(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 60 else duration(seconds)


def _job_buttons(job: JobInfo) -> list[Button]:
    short = SHORT.get(job.id, job.id)
    toggle = (RESUME, "⏯ Resume") if job.paused else (PAUSE, "⏸ Pause")
    return [
        Button(f"▶ Run {short}", callback=JobAction(action=RUN_NOW, job_id=job.id).pack()),
        Button(f"{toggle[1]} {short}", callback=JobAction(action=toggle[0], job_id=job.id).pack()),
    ]
