"""Where scheduled runs meet the live services: the job function and the executor it runs on.

APScheduler stores a job by reference to a module-level function and its (picklable) args, so
the stored job names ``run_scheduled_job`` and a job id only. The services it needs are those
of the scheduler running in this process, installed here at start-up and removed at shutdown:
one scheduler per process, nothing created at import time.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from datetime import datetime
from functools import partial
from typing import Any

from apscheduler.executors.base import BaseExecutor, run_coroutine_job

from services.jobs.models import SCHEDULED
from services.jobs.runs import JobRunner

_INSTALLED: dict[str, JobRunner] = {}
_KEY = "runner"


def install(runner: JobRunner) -> None:
    current = _INSTALLED.get(_KEY)
    if current is not None and current is not runner:
        raise RuntimeError("a scheduler already runs in this process")
    _INSTALLED[_KEY] = runner


def uninstall(runner: JobRunner) -> None:
    if _INSTALLED.get(_KEY) is runner:
        del _INSTALLED[_KEY]


async def run_scheduled_job(job_id: str) -> dict[str, Any]:
    """What every stored job calls: run ``job_id`` with this process's scheduler services."""
    runner = _INSTALLED.get(_KEY)
    if runner is None:
        raise RuntimeError("no scheduler runs in this process")
    run = await runner.run(job_id, SCHEDULED)
    if run is None:
        return {"skipped": "already running"}
    return {"ok": run.ok, "summary": run.summary}


class LoopExecutor(BaseExecutor):  # type: ignore[misc]  # APScheduler ships no type hints
    """Runs coroutine jobs on the vault's event loop (where the database engine lives); the
    scheduler's own thread only decides when and submits."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._loop = loop
        self._pending: set[concurrent.futures.Future[Any]] = set()

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        coro = run_coroutine_job(job, job._jobstore_alias, run_times, self._logger.name)
        try:
            future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        except RuntimeError:  # the loop is closed: the process is going away
            coro.close()
            raise
        self._pending.add(future)
        future.add_done_callback(partial(self._finished, job.id))

    def _finished(self, job_id: str, future: concurrent.futures.Future[Any]) -> None:
        self._pending.discard(future)
        try:
            events = future.result()
        except BaseException as error:  # cancelled at shutdown, or the job machinery failed
            self._run_job_error(job_id, error, error.__traceback__)
        else:
            self._run_job_success(job_id, events)

    def shutdown(self, wait: bool = True) -> None:
        # Waiting happens on the loop (VaultScheduler drains its runs before shutting down).
        if not wait:
            for future in list(self._pending):
                future.cancel()
