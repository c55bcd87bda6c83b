"""/metrics: the vault's numbers as Prometheus families, read afresh on every scrape.

Gauges for what the vault holds and what waits in its queues (every known state is listed,
zero included, so a series never appears out of nowhere), counters for what only grows (flood
waits ever recorded, job runs in this process), and each account's archiver and this process's
state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime

from core.db.database import Database
from core.db.repos import alerts as alert_states
from core.db.repos import media as media_states
from core.db.repos import tasks as task_states
from core.errors import InvalidInputError
from services.observability.exposition import COUNTER, GAUGE, MetricFamily, Sample, render
from services.observability.job_runs import JobRunCounter
from services.observability.readings import VaultReadings, read_vault
from services.status.heartbeat import NO_HEARTBEAT
from services.status.snapshot import LiveState

PREFIX = "telegramvault_"
ALERT_STATES = (
    alert_states.PENDING, alert_states.RETRY, alert_states.SENDING,
    alert_states.SENT, alert_states.FAILED, alert_states.DIGESTED,
)  # fmt: skip
MEDIA_STATES = (
    media_states.PENDING, media_states.DOWNLOADING, media_states.RETRY,
    media_states.DONE, media_states.FAILED, media_states.SKIPPED,
)  # fmt: skip
TASK_STATES = (
    task_states.QUEUED, task_states.RUNNING, task_states.DONE,
    task_states.FAILED, task_states.CANCELLED,
)  # fmt: skip


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _gauge(name: str, help_text: str, *samples: Sample) -> MetricFamily:
    return MetricFamily(PREFIX + name, GAUGE, help_text, samples)


def _counter(name: str, help_text: str, *samples: Sample) -> MetricFamily:
    return MetricFamily(PREFIX + name, COUNTER, help_text, samples)


def _by_state(counts: Mapping[str, int], known: Iterable[str]) -> list[Sample]:
    states = [*known, *sorted(set(counts) - set(known))]  # an unknown state still shows
    return [Sample(counts.get(state, 0), {"state": state}) for state in states]


def vault_families(readings: VaultReadings) -> list[MetricFamily]:
    """The families read from the database."""
    return [
        _gauge("messages_archived", "Messages stored in the vault.", Sample(readings.messages)),
        _gauge(
            "messages_deleted", "Stored messages deleted in Telegram.", Sample(readings.deleted)
        ),
        _gauge(
            "alerts", "Alerts in the outbox by state.", *_by_state(readings.alerts, ALERT_STATES)
        ),
        _gauge("media", "Media files by download state.", *_by_state(readings.media, MEDIA_STATES)),
        _gauge(
            "tasks", "Tasks in the queue table by state.", *_by_state(readings.tasks, TASK_STATES)
        ),
        _gauge(
            "flood_waits_active",
            "Server-requested waits in force (one per account and operation).",
            Sample(readings.flood_waits_active),
        ),
        _counter(
            "flood_waits_total",
            "Server-requested waits recorded since the vault was created.",
            Sample(readings.flood_waits_total),
        ),
        *_archiver_families(readings),
        *_last_run_families(readings),
    ]


def _archiver_families(readings: VaultReadings) -> list[MetricFamily]:
    """One sample per account, labelled ``account``; with no archiver ever heard of, a single
    unlabelled "not connected" (an older version's heartbeat is unlabelled too)."""
    states = readings.archivers or (NO_HEARTBEAT,)
    connected = [Sample(1 if s.connected else 0, _account_labels(s)) for s in states]
    synced = [
        Sample(s.last_sync_at.timestamp(), _account_labels(s))
        for s in states
        if s.last_sync_at is not None
    ]
    return [
        _gauge(
            "archiver_connected",
            "1 while an account's archiver heartbeat is fresh and it is connected to Telegram.",
            *connected,
        ),
        _gauge(
            "archiver_last_sync_timestamp_seconds",
            "When an account's archiver last finished catching up (Unix time).",
            *synced,
        ),
    ]


def _account_labels(state: LiveState) -> dict[str, str]:
    return {} if state.label is None else {"account": state.label}


def _last_run_families(readings: VaultReadings) -> list[MetricFamily]:
    runs = sorted(readings.last_runs.values(), key=lambda run: run.job_id)
    return [
        _gauge(
            "job_last_run_seconds",
            "How long each job's last recorded run took.",
            *(Sample(run.seconds, {"job": run.job_id}) for run in runs),
        ),
        _gauge(
            "job_last_run_timestamp_seconds",
            "When each job's last recorded run started (Unix time).",
            *(Sample(run.started_at.timestamp(), {"job": run.job_id}) for run in runs),
        ),
        _gauge(
            "job_last_run_success",
            "1 when each job's last recorded run succeeded, else 0.",
            *(Sample(1 if run.ok else 0, {"job": run.job_id}) for run in runs),
        ),
    ]


def job_runs_family(counter: JobRunCounter) -> MetricFamily:
    samples = (
        Sample(n, {"job": job, "result": result}) for (job, result), n in counter.counts().items()
    )
    return _counter("job_runs_total", "Job runs finished in this process, by result.", *samples)


class VaultMetrics:
    """Collects the families for one scrape; ``job_runs`` where the scheduler runs here."""

    def __init__(
        self,
        db: Database,
        *,
        started_at: datetime,
        job_runs: JobRunCounter | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        if started_at.tzinfo is None:
            raise InvalidInputError("started_at needs a time zone (use UTC)")
        self._db = db
        self._started_at = started_at
        self.job_runs = job_runs
        self._clock = clock

    async def collect(self) -> list[MetricFamily]:
        now = self._clock()
        families = vault_families(await read_vault(self._db, now))
        if self.job_runs is not None:
            families.append(job_runs_family(self.job_runs))
        uptime = max((now - self._started_at).total_seconds(), 0.0)
        families.append(
            _gauge("uptime_seconds", "Seconds since this process started.", Sample(uptime))
        )
        return families

    async def exposition(self) -> str:
        """The text a scrape gets (raises what the database raises)."""
        return render(await self.collect())
