"""/jobs rendered: each job's schedule, state and last run, escaped, with working buttons."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.presenters.jobs import REFRESH, JobAction, control_note, jobs_reply
from bot.ui import MAX_CALLBACK_BYTES
from services.jobs.models import (
    CATCH_UP,
    ENRICH,
    MAINTENANCE,
    MANUAL,
    PAUSE,
    RESUME,
    RUN_NOW,
    SCHEDULED,
    ControlOutcome,
    JobInfo,
    JobRun,
)
from tests.fakes.botapi import visible_text

MADRID = ZoneInfo("Europe/Madrid")
NOON = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)  # 12:00 in Madrid


def run(job_id: str, **over: object) -> JobRun:
    values: dict[str, object] = {
        "job_id": job_id, "trigger": SCHEDULED, "started_at": NOON, "seconds": 1.25, "ok": True,
        "summary": "task #4 queued", "data": {}, "error": None, **over,
    }  # fmt: skip
    return JobRun(**values)  # type: ignore[arg-type]


JOBS = [
    JobInfo(CATCH_UP, "Catch-up of watched chats", "every 15 min", NOON, run(CATCH_UP)),
    JobInfo(ENRICH, "Profile <enrichment> & co", "every 24 h", None, None),
    JobInfo(
        MAINTENANCE, "Database maintenance", "every 24 h", NOON,
        run(MAINTENANCE, ok=False, error="OperationalError: <locked>", trigger=MANUAL,
            seconds=125.0),
        running=True,
    ),
]  # fmt: skip


def _buttons(jobs: list[JobInfo]) -> list[tuple[str, JobAction]]:
    reply = jobs_reply(jobs, MADRID)
    return [
        (button.text, JobAction.unpack(button.callback or ""))
        for row in reply.buttons
        for button in row
    ]


def test_each_job_shows_schedule_state_and_last_run_in_the_admins_time_zone() -> None:
    reply = jobs_reply(JOBS, MADRID)
    lines = visible_text(reply.text).splitlines()
    assert lines[0] == "⏱ Scheduled jobs"
    assert lines[2:5] == [
        "Catch-up of watched chats · every 15 min",
        "next 2026-03-02 12:00",
        "last run ✅ 2026-03-02 12:00 (1.2 s): task #4 queued",
    ]
    assert lines[6:9] == ["Profile <enrichment> & co · every 24 h", "⏸ paused", "last run: never"]
    assert lines[10:13] == [
        "Database maintenance · every 24 h",
        "next 2026-03-02 12:00 · ⏳ running now",
        "last run by hand ❌ 2026-03-02 12:00 (2m 5s): OperationalError: <locked>",
    ]
    assert "&lt;enrichment&gt; &amp; co" in reply.text and "<locked>" not in reply.text


def test_buttons_run_pause_or_resume_each_job_and_refresh_the_list() -> None:
    pressed = {text: (data.action, data.job_id) for text, data in _buttons(JOBS)}
    assert pressed == {
        "▶ Run catch-up": (RUN_NOW, CATCH_UP),
        "⏸ Pause catch-up": (PAUSE, CATCH_UP),
        "▶ Run enrich": (RUN_NOW, ENRICH),
        "⏯ Resume enrich": (RESUME, ENRICH),
        "▶ Run maintenance": (RUN_NOW, MAINTENANCE),
        "⏸ Pause maintenance": (PAUSE, MAINTENANCE),
        "🔄 Refresh": (REFRESH, ""),
    }
    reply = jobs_reply(JOBS, MADRID)
    assert all(
        len((b.callback or "").encode()) <= MAX_CALLBACK_BYTES for row in reply.buttons for b in row
    )


def test_an_empty_list_and_a_note_after_a_press() -> None:
    reply = jobs_reply([], MADRID, note="Paused: <x>")
    assert visible_text(reply.text).splitlines() == [
        "⏱ Scheduled jobs",
        "Paused: <x>",
        "No job is registered yet: the scheduler adds them when it starts.",
    ]
    assert [[b.text for b in row] for row in reply.buttons] == [["🔄 Refresh"]]


def test_the_note_says_whether_the_action_applied_or_was_queued() -> None:
    name = "Daily digest"
    assert (
        control_note(ControlOutcome("digest", name, PAUSE, applied=True)) == "Paused: Daily digest"
    )
    assert control_note(ControlOutcome("digest", name, RUN_NOW, applied=True)) == (
        "Started: Daily digest"
    )
    assert control_note(ControlOutcome("digest", name, RESUME, applied=False)) == (
        "Asked the scheduler to resume: Daily digest"
    )
