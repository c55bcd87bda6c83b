"""The health and metrics endpoint: GET /health (JSON; 200 when healthy, 503 when not) for the
compose healthcheck, and GET /metrics in the Prometheus text format.

It only observes: a port that cannot be bound is logged and the roles go on without it (the
healthcheck then reports the container unhealthy), and HTTP_PORT=0 turns it off.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web

from core.config_settings import HttpSettings
from services.observability.exposition import CONTENT_TYPE
from services.observability.health import HealthReport

log = structlog.get_logger(__name__)
HealthProbe = Callable[[], Awaitable[HealthReport]]
MetricsProbe = Callable[[], Awaitable[str]]
SHUTDOWN_SECONDS = 2.0
NO_STORE = {"Cache-Control": "no-store"}


def build_app(health: HealthProbe, metrics: MetricsProbe) -> web.Application:
    """The two routes (HEAD is answered too, as for every GET route)."""

    async def get_health(_request: web.Request) -> web.Response:
        report = await health()
        status = 200 if report.ok else 503
        return web.json_response(report.to_dict(), status=status, headers=NO_STORE)

    async def get_metrics(_request: web.Request) -> web.Response:
        try:
            text = await metrics()
        except Exception as error:  # a failed scrape is answered, the endpoint stays up
            log.warning("metrics_unavailable", error_type=type(error).__name__)
            return web.Response(status=503, text=f"metrics unavailable: {type(error).__name__}\n")
        return web.Response(body=text.encode(), headers={"Content-Type": CONTENT_TYPE, **NO_STORE})

    app = web.Application()
    app.router.add_get("/health", get_health)
    app.router.add_get("/metrics", get_metrics)
    return app


class HttpEndpoint:
    """The server on ``host``:``port``; port 0 binds a free port, which ``start`` returns."""

    def __init__(self, host: str, port: int, *, health: HealthProbe, metrics: MetricsProbe) -> None:
        self.host = host
        self.port = port
        self._runner = web.AppRunner(
            build_app(health, metrics), access_log=None, shutdown_timeout=SHUTDOWN_SECONDS
        )

    async def start(self) -> int:
        """Bind and serve; returns the bound port. Raises OSError when it cannot bind."""
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, self.host, self.port).start()
        except BaseException:
            await self._runner.cleanup()
            raise
        bound = int(self._runner.addresses[0][1])
        log.info("http_endpoint_started", host=self.host, port=bound)
        return bound

    async def close(self) -> None:
        await self._runner.cleanup()
        log.info("http_endpoint_stopped")


async def serve_http(
    settings: HttpSettings,
    *,
    health: HealthProbe,
    metrics: MetricsProbe,
    stop: asyncio.Event,
    on_bound: Callable[[int], None] | None = None,
) -> None:
    """Serve until ``stop`` is set; ``on_bound`` gets the bound port.

    Returns only when ``stop`` is set, served or not (disabled, or the port taken), so the
    roles running beside it are never stopped by it.
    """
    if settings.port == 0:
        log.info("http_endpoint_disabled")
        await stop.wait()
        return
    endpoint = HttpEndpoint(settings.host, settings.port, health=health, metrics=metrics)
    try:
        port = await endpoint.start()
    except OSError as error:
        log.error(
            "http_endpoint_unavailable", host=settings.host, port=settings.port, error=str(error)
        )
        await stop.wait()
        return
    try:
        if on_bound is not None:
            on_bound(port)
        await stop.wait()
    finally:
        await endpoint.close()
