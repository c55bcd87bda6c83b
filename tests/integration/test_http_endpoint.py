"""The health and metrics endpoint over real HTTP: status codes, content types and bodies, the
bound port, HTTP_PORT=0, a port already taken, and stopping."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from structlog.testing import capture_logs

from core.config_settings import HttpSettings
from core.db.database import Database
from core.domain.archive import ArchivePage
from services.ingest.media_policy import MediaPolicy
from services.ingest.service import IngestService
from services.observability.health import CheckResult, HealthReport
from services.observability.metrics import VaultMetrics
from telegramvault.http_endpoint import HttpEndpoint, serve_http
from tests import factories as f
from tests.metrics_parsing import parse

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
WAIT = 30.0  # a bound on a hang, never a measurement
PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


class Health:
    """A health probe the test switches between healthy and not."""

    def __init__(self) -> None:
        self.ok = True

    async def __call__(self) -> HealthReport:
        database = CheckResult(self.ok, "sqlite answers" if self.ok else "unreachable: gone")
        return HealthReport({"database": database}, NOW)


async def _metrics_text() -> str:
    return "# HELP up Up.\n# TYPE up gauge\nup 1\n"


async def _broken_metrics() -> str:
    raise OSError("the database file is gone")


@pytest.fixture
async def client() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WAIT)) as session:
        yield session


@pytest.fixture
async def served() -> AsyncIterator[Callable[..., Awaitable[str]]]:
    """Starts endpoints on free ports and returns their base URLs; closes them all after."""
    endpoints: list[HttpEndpoint] = []

    async def start(health: Any = None, metrics: Any = _metrics_text) -> str:
        endpoint = HttpEndpoint("127.0.0.1", 0, health=health or Health(), metrics=metrics)
        endpoints.append(endpoint)
        return f"http://127.0.0.1:{await endpoint.start()}"

    yield start
    for endpoint in endpoints:
        await endpoint.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_health_is_200_when_ok_and_503_when_not(
    served: Callable[..., Awaitable[str]], client: aiohttp.ClientSession
) -> None:
    health = Health()
    base = await served(health=health)
    async with client.get(f"{base}/health") as response:
        assert response.status == 200
        assert response.content_type == "application/json"
        assert response.headers["Cache-Control"] == "no-store"
        body = await response.json()
    assert body == {
        "ok": True,
        "checked_at": "2025-03-01T12:00:00+00:00",
        "checks": {"database": {"ok": True, "required": True, "detail": "sqlite answers"}},
    }
    health.ok = False
    async with client.get(f"{base}/health") as response:
        assert response.status == 503
        body = await response.json()
    assert body["ok"] is False
    assert body["checks"]["database"]["detail"] == "unreachable: gone"


async def test_metrics_are_prometheus_text_from_the_vault(
    db: Database, served: Callable[..., Awaitable[str]], client: aiohttp.ClientSession
) -> None:
    page = ArchivePage(messages=[f.message(1), f.message(2)], chats=[f.chat()], users=[f.user()])
    await IngestService(db, MediaPolicy(frozenset(), 0)).ingest_page(page)
    metrics = VaultMetrics(db, started_at=NOW - timedelta(seconds=5), clock=lambda: NOW)
    base = await served(metrics=metrics.exposition)
    async with client.get(f"{base}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == PROMETHEUS_TEXT
        scraped = parse(await response.text())
    assert scraped.value("telegramvault_messages_archived") == 2
    assert scraped.value("telegramvault_uptime_seconds") == 5


async def test_a_failed_scrape_answers_503_and_the_endpoint_stays_up(
    served: Callable[..., Awaitable[str]], client: aiohttp.ClientSession
) -> None:
    base = await served(metrics=_broken_metrics)
    async with client.get(f"{base}/metrics") as response:
        assert response.status == 503
        assert await response.text() == "metrics unavailable: OSError\n"
    async with client.get(f"{base}/health") as response:
        assert response.status == 200


async def test_other_paths_and_methods_are_refused(
    served: Callable[..., Awaitable[str]], client: aiohttp.ClientSession
) -> None:
    base = await served()
    async with client.get(f"{base}/") as response:
        assert response.status == 404
    async with client.post(f"{base}/health") as response:
        assert response.status == 405
    async with client.head(f"{base}/health") as response:
        assert response.status == 200


async def test_serve_http_tells_its_port_and_stops_with_stop(
    client: aiohttp.ClientSession,
) -> None:
    stop, bound = asyncio.Event(), asyncio.get_running_loop().create_future()
    settings = HttpSettings(host="127.0.0.1", port=_free_port())
    serving = asyncio.create_task(
        serve_http(
            settings, health=Health(), metrics=_metrics_text, stop=stop, on_bound=bound.set_result
        )
    )
    port = await asyncio.wait_for(bound, WAIT)
    assert port == settings.port
    async with client.get(f"http://127.0.0.1:{port}/metrics") as response:
        assert parse(await response.text()).value("up") == 1
    stop.set()
    await asyncio.wait_for(serving, WAIT)
    with pytest.raises(aiohttp.ClientConnectionError):
        await client.get(f"http://127.0.0.1:{port}/health")


async def test_port_zero_turns_the_endpoint_off() -> None:
    stop, bound = asyncio.Event(), []
    stop.set()
    with capture_logs() as logs:
        await asyncio.wait_for(
            serve_http(
                HttpSettings(host="127.0.0.1", port=0),
                health=Health(),
                metrics=_metrics_text,
                stop=stop,
                on_bound=bound.append,
            ),
            WAIT,
        )
    assert bound == []
    assert [log["event"] for log in logs] == ["http_endpoint_disabled"]


async def test_a_taken_port_is_logged_and_waits_for_stop() -> None:
    stop, bound = asyncio.Event(), []
    with socket.socket() as taken, capture_logs() as logs:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        settings = HttpSettings(host="127.0.0.1", port=taken.getsockname()[1])
        serving = asyncio.create_task(
            serve_http(
                settings, health=Health(), metrics=_metrics_text, stop=stop, on_bound=bound.append
            )
        )
        for _ in range(3000):
            if logs:
                break
            await asyncio.sleep(0.01)
        assert [log["event"] for log in logs] == ["http_endpoint_unavailable"]
        assert logs[0]["port"] == settings.port
        assert not serving.done()  # the roles beside it are not stopped
        stop.set()
        await asyncio.wait_for(serving, WAIT)
    assert bound == []
