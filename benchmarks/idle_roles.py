"""The idle-RSS child's work: ``telegramvault run`` wired over simulators, sampled once at rest.

The core and the roles are built as ``telegramvault run`` builds them (``build_core``, then
``run_roles`` with every role); only their counterparts differ: the bot polls the local Bot API
simulator and the archiver's real Telethon client talks to the scripted Telegram, both running
inside this process, whose ``chats`` supergroups the archiver watches and catches up at start
(ARCHIVE_ALL_DIALOGS). Idle means: the bot polls, the archiver's heartbeat says its catch-up is
done, and start-up work has had ``settle_seconds`` to finish.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import socket
import stat
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from telethon import TelegramClient

from benchmarks.idle_process import URL_VARIABLE, Options, status_bytes
from core.config_manager import ConfigManager
from core.config_settings import TelegramSettings
from services.archiver.telethon_adapter import client_from_settings
from services.status.heartbeat import read_live_state
from telegramvault.bootstrap import ALL_ROLES, Core, build_core
from telegramvault.roles import run_roles
from tests.fakes.botapi import TOKEN, FakeBotApi
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram.archiver import SETTINGS_API_HASH
from tests.fakes.telegram.client import API_ID, fake_client

ADMIN = 424_242_001  # far from the benchmark corpus's user ids
MEMBERS = 3
SHUTDOWN_SECONDS = 60.0


def free_port() -> int:
    """A port for the health endpoint: the default 8080 may be taken on a shared machine."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment(url: str, api_server: str, data_dir: Path) -> dict[str, str]:
    """The whole configuration: nothing comes from the developer's own environment or .env."""
    return {
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": url,
        "SECRET_KEY": secrets.token_urlsafe(32),
        "TELEGRAM_API_ID": str(API_ID),
        "TELEGRAM_API_HASH": SETTINGS_API_HASH,
        "BOT_TOKEN": TOKEN,
        "BOT_ADMIN_IDS": str(ADMIN),
        "BOT_API_SERVER": api_server,
        "ARCHIVE_ALL_DIALOGS": "true",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": str(free_port()),
        "LOG_LEVEL": "WARNING",
    }


def scripted_world(chats: int, history: int) -> FakeTelegram:
    """The account's Telegram: ``chats`` supergroups it is a member of, with some history."""
    world = FakeTelegram()
    members = [world.add_user(f"Member {n + 1}") for n in range(MEMBERS)]
    for n in range(chats):
        room = world.add_supergroup(f"Idle room {n + 1}")
        world.fill(room, history, members[n % MEMBERS])
    return world


async def until_ready(core: Core, api: FakeBotApi, running: asyncio.Task[None]) -> float:
    """Seconds until the bot polls and the archiver has caught up; a role's failure surfaces."""
    started = time.monotonic()
    while not await _ready(core, api):
        if running.done():
            running.result()  # raises what ended the roles
            raise RuntimeError("the roles stopped before they were ready")
        await asyncio.sleep(0.1)
    return time.monotonic() - started


async def _ready(core: Core, api: FakeBotApi) -> bool:
    if not api.calls_to("getUpdates"):
        return False
    async with core.db.reader() as uow:
        state = await read_live_state(uow, datetime.now(UTC))
    return state.connected and state.last_sync_at is not None


async def sample_rss(seconds: float, interval: float) -> list[int]:
    samples: list[int] = []
    deadline = time.monotonic() + seconds
    while True:
        samples.append(status_bytes("VmRSS"))
        if time.monotonic() >= deadline:
            return samples
        await asyncio.sleep(interval)


async def parent_gone(linger: float) -> None:
    """Return when stdin reaches end of file (the parent closed it), or after ``linger`` s."""
    mode = os.fstat(sys.stdin.fileno()).st_mode
    if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
        return  # a file or /dev/null: no parent holds it open
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), sys.stdin
    )
    try:
        async with asyncio.timeout(linger):
            while await reader.read(4096):
                pass
    except TimeoutError:
        pass
    finally:
        transport.close()


def _report(
    samples: list[int], stages: list[tuple[str, int]], options: Options, **extra: Any
) -> dict[str, Any]:
    return {
        "steady_rss_bytes": int(statistics.median(samples)),
        "min_rss_bytes": min(samples),
        "max_rss_bytes": max(samples),
        "peak_rss_bytes": status_bytes("VmHWM"),
        "stages": stages,
        "samples": len(samples),
        "sample_seconds": options.sample_seconds,
        "simulated_messages": options.chats * options.history,
        **extra,
    }


async def measure_idle(
    core: Core,
    api: FakeBotApi,
    world: FakeTelegram,
    options: Options,
    stages: list[tuple[str, int]],
) -> None:
    stages = [*stages, ("core and simulators", status_bytes("VmRSS"))]

    def client_factory(settings: TelegramSettings, session: str | None) -> TelegramClient:
        return fake_client(world, lambda: client_from_settings(settings, session))

    stop = asyncio.Event()
    running = asyncio.create_task(
        run_roles(core, ALL_ROLES, stop=stop, client_factory=client_factory)
    )
    try:
        try:
            async with asyncio.timeout(options.ready_timeout):
                ready_seconds = await until_ready(core, api, running)
        except TimeoutError:
            raise TimeoutError(
                f"not idle after {options.ready_timeout:.0f} s: no polling or no catch-up"
            ) from None
        await asyncio.sleep(options.settle_seconds)  # start-up passes (media, tasks) finish
        calls_before = len(api.calls)
        samples = await sample_rss(options.sample_seconds, options.interval)
        busy = [c.method for c in api.calls[calls_before:] if c.method.lower() != "getupdates"]
        report = _report(
            samples, stages, options, ready_seconds=ready_seconds, bot_calls_while_sampling=busy
        )
        sys.stdout.write(json.dumps(report) + "\n")
        sys.stdout.flush()
        await parent_gone(options.linger)
    finally:
        stop.set()
        async with asyncio.timeout(SHUTDOWN_SECONDS):
            await running


async def run(options: Options, stages: list[tuple[str, int]]) -> None:
    url = os.environ.get(URL_VARIABLE)
    if not url:
        raise SystemExit(f"set {URL_VARIABLE} to the vault's database URL")
    with tempfile.TemporaryDirectory(prefix="tv-idle-") as folder:
        async with FakeBotApi() as api:
            world = scripted_world(options.chats, options.history)
            environ = environment(url, api.base_url, Path(folder))
            config = ConfigManager(env_file=None, environ=environ)
            config.load()
            config.require_valid(ALL_ROLES)
            core = await build_core(config)
            try:
                await measure_idle(core, api, world, options, stages)
            finally:
                await core.close()
