"""`telegramvault run --role bot` with the health and metrics endpoint: /health follows the
bot's real long polling over the local Bot API, /metrics reads the vault the bot serves."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

import aiohttp

from core.api_retry_wrapper import APIRetryWrapper, RetryPolicy
from core.config_manager import ConfigManager
from core.db.database import Database
from core.domain.archive import ArchivePage
from services.ingest.media_policy import MediaPolicy
from services.ingest.service import IngestService
from telegramvault.bootstrap import Core, start_logging
from telegramvault.roles import run_roles
from tests import factories
from tests.e2e.harness import ADMIN, SECRET, STRANGER
from tests.fakes.botapi import TOKEN, FakeBotApi
from tests.metrics_parsing import parse

WAIT = 30.0  # a bound on a hang, never a measurement


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _core(db: Database, tmp_path: Path, api_server: str, port: int) -> Core:
    config = ConfigManager(
        env_file=None,
        environ={
            "SECRET_KEY": SECRET,
            "BOT_TOKEN": TOKEN,
            "BOT_ADMIN_IDS": str(ADMIN),
            "BOT_API_SERVER": api_server,
            "MEDIA_DIR": str(tmp_path / "media"),
            "HTTP_HOST": "127.0.0.1",
            "HTTP_PORT": str(port),
        },
    )
    config.load()
    logger = await start_logging(config)
    retry = APIRetryWrapper(policy=RetryPolicy())
    return Core(config=config, settings=config.settings, logger=logger, db=db, retry=retry)


async def _get(client: aiohttp.ClientSession, url: str) -> tuple[int, str, Any]:
    """GET ``url`` once the endpoint listens (it starts beside the bot, in no set order)."""
    for _ in range(3000):
        try:
            async with client.get(url) as response:
                body = await response.json() if url.endswith("/health") else await response.text()
                return response.status, response.headers["Content-Type"], body
        except aiohttp.ClientConnectionError:
            await asyncio.sleep(0.01)
    raise AssertionError(f"nothing answered at {url}")


async def test_health_and_metrics_of_a_running_bot(db: Database, tmp_path: Path) -> None:
    page = ArchivePage(
        messages=[factories.message(i) for i in (1, 2, 3)],
        chats=[factories.chat()],
        users=[factories.user()],
    )
    await IngestService(db, MediaPolicy(frozenset(), 0)).ingest_page(page)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    timeout = aiohttp.ClientTimeout(total=WAIT)
    async with FakeBotApi() as api, aiohttp.ClientSession(timeout=timeout) as client:
        core = await _core(db, tmp_path, api.base_url, port)
        stop = asyncio.Event()
        running = asyncio.create_task(run_roles(core, ("bot",), stop=stop))
        await api.wait_for_calls("getUpdates", timeout=WAIT)

        # The first long poll is still open: no answer from the Bot API yet.
        status, _, waiting = await _get(client, f"{base}/health")
        assert status == 503
        assert waiting["checks"]["bot_polling"]["ok"] is False

        api.push_message(user_id=STRANGER, text="/status")  # answers the poll
        await api.wait_for_calls("getUpdates", 2, timeout=WAIT)
        status, content_type, health = await _get(client, f"{base}/health")
        assert (status, content_type) == (200, "application/json; charset=utf-8")
        assert health["ok"] is True
        assert health["checks"]["bot_polling"]["ok"] is True
        assert health["checks"]["database"]["ok"] is True
        archiver = health["checks"]["archiver"]  # runs elsewhere: reported, not required
        assert (archiver["ok"], archiver["required"]) == (False, False)

        status, content_type, text = await _get(client, f"{base}/metrics")
        assert (status, content_type) == (200, "text/plain; version=0.0.4; charset=utf-8")
        scraped = parse(text)
        assert scraped.value("telegramvault_messages_archived") == 3
        assert scraped.value("telegramvault_archiver_connected") == 0
        assert "telegramvault_job_runs_total" not in scraped.types  # no scheduler in a bot process
        stop.set()
        await asyncio.wait_for(running, WAIT)
        try:
            await client.get(f"{base}/health")
        except aiohttp.ClientConnectionError:
            pass
        else:
            raise AssertionError("the endpoint still answers after the roles stopped")
    assert api.messages(STRANGER) == []
