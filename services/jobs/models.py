"""What the scheduler speaks: job ids, a run's outcome and record, a job as /jobs shows it."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog

log = structlog.get_logger(__name__)

CATCH_UP, RETRY_MEDIA, ENRICH = "catch_up", "retry_media", "enrich"
RESCAN, MAINTENANCE, DIGEST = "rescan", "maintenance", "digest"
JOB_IDS = (CATCH_UP, RETRY_MEDIA, ENRICH, RESCAN, MAINTENANCE, DIGEST)  # /jobs lists them so

SCHEDULED, MANUAL = "schedule", "manual"  # what started a run
RUN_NOW, PAUSE, RESUME = "run_now", "pause", "resume"  # control actions
ACTIONS = (RUN_NOW, PAUSE, RESUME)


@dataclass(frozen=True, slots=True)
class JobOutcome:
    """What a job body returns: a one-line summary for admins and structured data for the log."""

    summary: str
    data: dict[str, Any] = field(default_factory=dict)


JobBody = Callable[[], Awaitable[JobOutcome]]


@dataclass(frozen=True, slots=True)
class JobRun:
    """One finished run of a job, as kept in memory and in ``vault_meta``."""

    job_id: str
    trigger: str
    started_at: datetime
    seconds: float
    ok: bool
    summary: str
    data: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def to_json(self) -> str:
        document = {
            "job_id": self.job_id,
            "trigger": self.trigger,
            "started_at": self.started_at.isoformat(),
            "seconds": self.seconds,
            "ok": self.ok,
            "summary": self.summary,
            "data": self.data,
            "error": self.error,
        }
        return json.dumps(document, separators=(",", ":"), default=str)

    @classmethod
    def from_json(cls, value: str) -> JobRun | None:
        """Decode a stored run; an unreadable one reads as no run (it is only a report)."""
        try:
            document = json.loads(value)
            return cls(
                job_id=str(document["job_id"]),
                trigger=str(document["trigger"]),
                started_at=datetime.fromisoformat(document["started_at"]),
                seconds=float(document["seconds"]),
                ok=bool(document["ok"]),
                summary=str(document["summary"]),
                data=dict(document.get("data") or {}),
                error=document.get("error"),
            )
        except (ValueError, KeyError, TypeError) as error:
            log.warning("job_run_unreadable", error_type=type(error).__name__)
            return None


@dataclass(frozen=True, slots=True)
class JobInfo:
    """A scheduled job as /jobs lists it. ``running`` is known only in the scheduler's process."""

    id: str
    name: str
    schedule: str
    next_run: datetime | None
    last_run: JobRun | None = None
    running: bool = False

    @property
    def paused(self) -> bool:
        return self.next_run is None


@dataclass(frozen=True, slots=True)
class ControlOutcome:
    """What a control action did: ``applied`` now, or queued for the scheduler that leads."""

    job_id: str
    name: str
    action: str
    applied: bool
