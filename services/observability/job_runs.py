"""Job runs counted in this process, fed by the scheduler's run events (``subscribe``).

A counter starts at zero with the process, as Prometheus expects of counters; every known job
starts with both results at zero so a first failure shows as an increase, not a new series.
"""

from __future__ import annotations

from collections.abc import Iterable

from services.jobs.models import JOB_IDS, JobRun

OK, ERROR = "ok", "error"


class JobRunCounter:
    """``record`` is the scheduler listener; ``counts`` are by (job id, result)."""

    def __init__(self, job_ids: Iterable[str] = JOB_IDS) -> None:
        self._counts = {(job, result): 0 for job in job_ids for result in (OK, ERROR)}

    def record(self, run: JobRun) -> None:
        key = (run.job_id, OK if run.ok else ERROR)
        self._counts[key] = self._counts.get(key, 0) + 1

    def counts(self) -> dict[tuple[str, str], int]:
        return dict(sorted(self._counts.items()))
