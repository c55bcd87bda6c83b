"""The enrich task's arguments: one target, numbers as numbers, a clear refusal otherwise."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from core.errors import InvalidInputError
from services.enrichment.models import EnrichmentReport
from services.enrichment.task import enrich_task_handler
from services.tasks.queue import Task
from services.tasks.worker import ProgressReporter
from tests.factories import EPOCH


class RecordingEnricher:
    """Stands in for EnhancedUserEnricherService: records which sweep a task asked for."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    async def _done(self, name: str, value: Any, progress: Any) -> EnrichmentReport:
        self.calls.append((name, value))
        await progress(1, 2)
        return EnrichmentReport(total=2, refreshed=2)

    async def enrich_all(self, *, progress: Any) -> EnrichmentReport:
        return await self._done("all", None, progress)

    async def enrich_batch(self, ids: list[int], *, progress: Any) -> EnrichmentReport:
        return await self._done("users", ids, progress)

    async def enrich_chat_members(self, chat_id: int, *, progress: Any) -> EnrichmentReport:
        return await self._done("chat", chat_id, progress)

    async def enrich_stale(
        self, *, older_than: timedelta, limit: int, progress: Any
    ) -> EnrichmentReport:
        return await self._done("stale", (older_than, limit), progress)


class Progress(ProgressReporter):
    def __init__(self) -> None:
        self.reports: list[dict[str, Any]] = []

    async def __call__(self, *, force: bool = False, **fields: Any) -> None:
        self.reports.append(fields)


def _task(args: dict[str, Any]) -> Task:
    return Task(1, "enrich", args, "running", None, None, None, 1, None, None, None, EPOCH, None)


async def _run(args: dict[str, Any]) -> tuple[list[tuple[str, Any]], Progress, str]:
    enricher = RecordingEnricher()
    progress = Progress()
    handler = enrich_task_handler(enricher, stale_after=timedelta(hours=6), stale_limit=50)
    outcome = await handler(_task(args), progress)
    return enricher.calls, progress, outcome.summary


@pytest.mark.parametrize(
    ("args", "call"),
    [
        ({"target": "all"}, ("all", None)),
        ({"target": "stale"}, ("stale", (timedelta(hours=6), 50))),
        ({"target": "stale", "limit": "7"}, ("stale", (timedelta(hours=6), 7))),
        ({"user_id": 42}, ("users", [42])),
        ({"chat_id": "-1001234"}, ("chat", -1001234)),
        ({"chat_id": -5, "target": None}, ("chat", -5)),
    ],
)
async def test_each_target_runs_its_sweep_and_reports_progress(
    args: dict[str, Any], call: tuple[str, Any]
) -> None:
    calls, progress, summary = await _run(args)
    assert calls == [call]
    assert progress.reports == [{"done": 1, "total": 2}, {"done": 2, "total": 2}]
    assert summary == "Refreshed 2 profiles: 0 changed"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({}, "one target"),
        ({"user_id": 1, "chat_id": 2}, "one target"),
        ({"target": "everyone"}, "unknown enrich target 'everyone'"),
        ({"user_id": "ana"}, "user_id must be a number"),
        ({"user_id": True}, "user_id must be a number"),
        ({"chat_id": 1.5}, "chat_id must be a number"),
        ({"target": "stale", "limit": "many"}, "limit must be a number"),
    ],
)
async def test_bad_arguments_fail_the_task_with_a_clear_message(
    args: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        await _run(args)
