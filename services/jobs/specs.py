"""Which jobs exist and when they run: intervals from configuration, the digest at a local hour.

Every job has a misfire grace: a run missed while the vault was down still happens once (runs
are coalesced) when it comes back within the grace, and is skipped after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from core.config_settings import SchedulerSettings
from services.jobs.models import CATCH_UP, DIGEST, ENRICH, MAINTENANCE, RESCAN, RETRY_MEDIA

NAMES = {
    CATCH_UP: "Catch-up of watched chats",
    RETRY_MEDIA: "Media retry sweep",
    ENRICH: "Profile enrichment sweep",
    RESCAN: "Detection rescan",
    MAINTENANCE: "Database maintenance",
    DIGEST: "Daily digest",
}
DIGEST_GRACE = timedelta(hours=6)  # a digest a few hours late still tells the day


@dataclass(frozen=True)
class JobSpec:
    """A job as configuration wants it; ``trigger`` is an APScheduler trigger."""

    id: str
    name: str
    trigger: Any
    grace_seconds: int


def job_specs(schedule: SchedulerSettings, tz: ZoneInfo) -> tuple[JobSpec, ...]:
    catch_up = timedelta(minutes=schedule.catchup_minutes)
    return (
        _every(CATCH_UP, catch_up),
        _every(RETRY_MEDIA, timedelta(minutes=schedule.media_retry_minutes)),
        _every(ENRICH, timedelta(hours=schedule.enrichment_hours)),
        # Messages that missed detection are the same kind of gap as messages missed offline.
        _every(RESCAN, catch_up),
        _every(MAINTENANCE, timedelta(hours=schedule.maintenance_hours)),
        JobSpec(
            DIGEST,
            NAMES[DIGEST],
            CronTrigger(hour=schedule.digest_hour, minute=0, timezone=tz),
            int(DIGEST_GRACE.total_seconds()),
        ),
    )


def _every(job_id: str, interval: timedelta) -> JobSpec:
    seconds = int(interval.total_seconds())
    trigger = IntervalTrigger(seconds=seconds, timezone=UTC)
    # A run missed by less than one interval still happens (once) when the vault is back.
    return JobSpec(job_id, NAMES[job_id], trigger, seconds)


def trigger_key(trigger: Any) -> tuple[str, ...]:
    """What makes two triggers the same schedule (start dates aside)."""
    if isinstance(trigger, IntervalTrigger):
        return ("interval", str(int(trigger.interval.total_seconds())))
    if isinstance(trigger, CronTrigger):
        return ("cron", str(trigger), str(trigger.timezone))
    return ("other", repr(trigger))


def describe_trigger(trigger: Any) -> str:
    """The schedule as admins read it: ``every 15 min``, ``daily at 08:00 (Europe/Madrid)``."""
    if isinstance(trigger, IntervalTrigger):
        return f"every {_span(int(trigger.interval.total_seconds()))}"
    if isinstance(trigger, CronTrigger):
        fields = {field.name: str(field) for field in trigger.fields}
        hour, minute = fields.get("hour", ""), fields.get("minute", "")
        if hour.isdigit() and minute.isdigit() and fields.get("day") == "*":
            return f"daily at {int(hour):02d}:{int(minute):02d} ({trigger.timezone})"
    return str(trigger)


def _span(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"
