"""The health and metrics pieces that need no database: the bot's polling liveness, the job run
counter, and how the archiver's heartbeat reads as a check."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from core.errors import InvalidInputError
from services.jobs.models import JobRun
from services.observability.exposition import render
from services.observability.health import (
    CheckResult,
    HealthReport,
    archiver_check,
    bot_check,
    last_sync_check,
)
from services.observability.job_runs import JobRunCounter
from services.observability.liveness import MAX_SILENCE, BotLiveness
from services.observability.metrics import job_runs_family, vault_families
from services.observability.readings import VaultReadings
from services.status.snapshot import LiveState
from tests.metrics_parsing import parse

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


LIVE = LiveState(
    connected=True,
    account="@vault",
    since=T0 - timedelta(hours=1),
    last_event_at=T0 - timedelta(seconds=5),
    last_sync_at=T0 - timedelta(minutes=50),
    updated_at=T0 - timedelta(seconds=10),
    stale=False,
)


def _live(**overrides: object) -> LiveState:
    return replace(LIVE, **overrides)


def _run(job_id: str, ok: bool) -> JobRun:
    return JobRun(job_id, "schedule", T0, 0.5, ok, "done" if ok else "failed")


def test_liveness_is_alive_only_after_an_answered_poll() -> None:
    clock = Clock(T0)
    liveness = BotLiveness(clock=clock)
    assert not liveness.alive(T0)  # polling has not been answered yet
    assert liveness.last_beat is None
    liveness.beat()
    assert liveness.last_beat == T0
    assert liveness.alive(T0 + MAX_SILENCE)
    assert not liveness.alive(T0 + MAX_SILENCE + timedelta(seconds=1))


def test_liveness_follows_its_clock_and_every_new_beat() -> None:
    clock = Clock(T0)
    liveness = BotLiveness(clock=clock, max_silence=timedelta(seconds=90))
    liveness.beat()
    clock.now = T0 + timedelta(seconds=91)
    assert not liveness.alive_now()
    liveness.beat()
    assert liveness.alive_now()


def test_liveness_needs_a_positive_silence() -> None:
    with pytest.raises(InvalidInputError, match="max_silence"):
        BotLiveness(max_silence=timedelta(0))


def test_job_runs_start_at_zero_for_every_known_job_and_count_by_result() -> None:
    counter = JobRunCounter(("catch_up", "digest"))
    counter.record(_run("catch_up", ok=True))
    counter.record(_run("catch_up", ok=True))
    counter.record(_run("digest", ok=False))
    counter.record(_run("retired_job", ok=True))  # a job unknown at start is still counted
    assert counter.counts() == {
        ("catch_up", "error"): 0,
        ("catch_up", "ok"): 2,
        ("digest", "error"): 1,
        ("digest", "ok"): 0,
        ("retired_job", "ok"): 1,
    }


def test_a_connected_fresh_archiver_passes() -> None:
    check = archiver_check(_live(), T0, required=True)
    assert check.ok and check.required
    assert "connected as @vault" in check.detail


@pytest.mark.parametrize(
    ("live", "needle"),
    [
        (_live(connected=False, stale=True, updated_at=T0 - timedelta(minutes=5)), "stale"),
        (_live(connected=False), "disconnected"),
        (_live(connected=False, updated_at=None, since=None, stale=True), "no heartbeat"),
    ],
)
def test_an_archiver_that_is_not_connected_fails(live: LiveState, needle: str) -> None:
    check = archiver_check(live, T0, required=True)
    assert not check.ok
    assert needle in check.detail


def test_where_the_archiver_runs_elsewhere_its_state_only_informs() -> None:
    check = archiver_check(_live(connected=False), T0, required=False)
    assert (check.ok, check.required) == (False, False)
    report = HealthReport({"archiver": check, "database": CheckResult(True, "ok")}, T0)
    assert report.ok


def test_the_last_sync_is_information_with_its_age() -> None:
    check = last_sync_check(_live(), T0)
    assert (check.ok, check.required) == (True, False)
    assert "3000 s ago" in check.detail
    never = last_sync_check(_live(last_sync_at=None), T0)
    assert (never.ok, never.required) == (False, False)
    unknown = last_sync_check("unknown: the database cannot be read", T0)
    assert unknown.detail.startswith("unknown")


def test_a_report_fails_on_any_failing_required_check_and_says_so_in_json() -> None:
    report = HealthReport(
        {"database": CheckResult(True, "sqlite answers"), "bot_polling": bot_check(False)}, T0
    )
    assert not report.ok
    assert report.to_dict() == {
        "ok": False,
        "checked_at": "2025-03-01T12:00:00+00:00",
        "checks": {
            "database": {"ok": True, "required": True, "detail": "sqlite answers"},
            "bot_polling": {
                "ok": False,
                "required": True,
                "detail": bot_check(False).detail,
            },
        },
    }
    assert HealthReport({"bot_polling": bot_check(True)}, T0).ok


def _readings(**overrides: object) -> VaultReadings:
    base = VaultReadings(
        messages=10, deleted=1, flood_waits_total=3, flood_waits_active=0,
        alerts={"sent": 4}, media={}, tasks={"queued": 1},
        archivers=(replace(LIVE, label="main"),), last_runs={}, read_at=T0,
    )  # fmt: skip
    return replace(base, **overrides)


def test_a_state_the_metrics_do_not_know_still_shows_after_the_known_ones() -> None:
    families = vault_families(_readings(media={"done": 2, "quarantined": 1}))
    media = next(family for family in families if family.name == "telegramvault_media")
    states = [sample.labels["state"] for sample in media.samples]
    assert states == ["pending", "downloading", "retry", "done", "failed", "skipped", "quarantined"]
    assert [sample.value for sample in media.samples] == [0, 0, 0, 2, 0, 0, 1]


def test_every_family_is_declared_with_its_type_even_without_samples() -> None:
    scraped = parse(render([*vault_families(_readings()), job_runs_family(JobRunCounter(()))]))
    assert scraped.types == {
        "telegramvault_messages_archived": "gauge",
        "telegramvault_messages_deleted": "gauge",
        "telegramvault_alerts": "gauge",
        "telegramvault_media": "gauge",
        "telegramvault_tasks": "gauge",
        "telegramvault_flood_waits_active": "gauge",
        "telegramvault_flood_waits_total": "counter",
        "telegramvault_archiver_connected": "gauge",
        "telegramvault_archiver_last_sync_timestamp_seconds": "gauge",
        "telegramvault_job_last_run_seconds": "gauge",
        "telegramvault_job_last_run_timestamp_seconds": "gauge",
        "telegramvault_job_last_run_success": "gauge",
        "telegramvault_job_runs_total": "counter",
    }
    synced_at = (T0 - timedelta(minutes=50)).timestamp()
    assert (
        scraped.value("telegramvault_archiver_last_sync_timestamp_seconds", account="main")
        == synced_at
    )
