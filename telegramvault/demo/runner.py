"""Running the demo: a fresh demo vault, the local Bot API server and the scripted Telegram,
every role of the product in this process (``run_roles``, as ``telegramvault run`` does), the
scenario, then what is on disk and how to look at it.

Nothing here reads the environment or a .env file: the demo's configuration is its own, so it
can never touch a real vault.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TextIO

from telethon import TelegramClient

from core.config_manager import ConfigManager
from core.config_settings import TelegramSettings
from core.log_setup import configure_logging
from services.archiver.telethon_adapter import client_from_settings
from services.archiver.watchlist import WatchListService
from telegramvault.bootstrap import ALL_ROLES, Core, build_core
from telegramvault.demo.admin_chat import AdminChat, DemoStalledError
from telegramvault.demo.data_dir import DemoFiles, prepare_data_dir, write_env_file
from telegramvault.demo.scenario import Demo, play
from telegramvault.demo.summary import command_name, print_summary, shown
from telegramvault.demo.transcript import Transcript
from telegramvault.demo.vault_probe import VaultCounts, VaultProbe
from telegramvault.demo.world import DemoWorld, build_world
from telegramvault.roles import run_roles
from tests.fakes.botapi import TOKEN, FakeBotApi
from tests.fakes.telegram import API_ID, fake_client
from tests.fakes.telegram.archiver import SETTINGS_API_HASH

# Not a secret: it only signs the demo vault's search cursors; demo.env holds it for the CLI.
DEMO_SECRET_KEY = "offline-demo-vault-key-7Qm2xV9pR4tK8wZ3"
ADMIN_ID = 424242
STEP_TIMEOUT = 30.0
SHUTDOWN_SECONDS = 60.0
INTRO = (
    "The real product runs below: the aiogram bot, the Telethon archiver, the scheduler, the\n"
    "services and a SQLite vault. Only Telegram is simulated, on this machine: nothing leaves it."
)


@dataclass(frozen=True)
class DemoResult:
    files: DemoFiles
    counts: VaultCounts
    seconds: float


def demo_config(data_dir: Path, api_server: str) -> ConfigManager:
    """The demo's whole configuration: its directory, the simulators' credentials."""
    config = ConfigManager(
        env_file=None,
        environ={
            "DATA_DIR": str(data_dir),
            "SECRET_KEY": DEMO_SECRET_KEY,
            "TELEGRAM_API_ID": str(API_ID),
            "TELEGRAM_API_HASH": SETTINGS_API_HASH,
            "BOT_TOKEN": TOKEN,
            "BOT_ADMIN_IDS": str(ADMIN_ID),
            "BOT_API_SERVER": api_server,
            "ARCHIVE_ALL_DIALOGS": "true",
            "ARCHIVE_LIVE_FLUSH_MS": "50",
            "HTTP_PORT": "0",  # no health endpoint: a real instance may hold the port
            "LOG_LEVEL": "WARNING",  # until the log moves to its file (see _log_to_file)
        },
    )
    config.require_valid(ALL_ROLES)
    return config


async def run_demo(
    data_dir: Path, out: TextIO, *, argv0: str = "telegramvault", step_timeout: float = STEP_TIMEOUT
) -> DemoResult:
    """Play the demo into ``out``; the vault stays in ``data_dir`` (rebuilt on every run)."""
    started = time.monotonic()
    files = prepare_data_dir(data_dir)
    transcript = Transcript(out)
    transcript.title("TelegramVault offline demo")
    transcript.say(INTRO)
    world = build_world()
    async with FakeBotApi() as api:
        config = demo_config(files.root, api.base_url)
        core = await build_core(config)
        with _log_to_file(config, files.log):
            try:
                counts = await _play_with_roles(core, world, api, transcript, step_timeout)
            except DemoStalledError as error:
                raise DemoStalledError(
                    f"{error}; the product's log is {shown(files.log)}"
                ) from error
            finally:
                await core.close()
    write_env_file(files, config.settings.database.url, DEMO_SECRET_KEY)
    result = DemoResult(files, counts, time.monotonic() - started)
    print_summary(transcript, result.files, result.counts, result.seconds, command_name(argv0))
    return result


async def _play_with_roles(
    core: Core, world: DemoWorld, api: FakeBotApi, transcript: Transcript, patience: float
) -> VaultCounts:
    stop = asyncio.Event()
    factory = partial(_client, world)
    roles = asyncio.create_task(run_roles(core, ALL_ROLES, stop=stop, client_factory=factory))
    probe = VaultProbe(core.db, timeout=patience)
    admin = AdminChat(api, ADMIN_ID, transcript, timeout=patience)
    demo = Demo(transcript, admin, world, probe, WatchListService(core.db, None))
    try:
        await _alongside(roles, play(demo))
    finally:
        stop.set()
        await asyncio.wait_for(roles, SHUTDOWN_SECONDS)
    return await probe.counts()


def _client(world: DemoWorld, settings: TelegramSettings, session: str | None) -> TelegramClient:
    """The product's own client, whose connection is the scripted Telegram."""
    return fake_client(world.telegram, lambda: client_from_settings(settings, session))


async def _alongside(roles: asyncio.Task[None], scenario: Coroutine[Any, Any, None]) -> None:
    """Play ``scenario`` while the roles run; a role that ends early ends the demo."""
    playing = asyncio.create_task(scenario)
    await asyncio.wait({roles, playing}, return_when=asyncio.FIRST_COMPLETED)
    if not playing.done():
        playing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await playing
        roles.result()  # its failure, if it failed
        raise DemoStalledError("the product stopped before the demo ended")
    playing.result()


@contextlib.contextmanager
def _log_to_file(config: ConfigManager, path: Path) -> Iterator[None]:
    """The product's log goes to the demo's log file, leaving the terminal to the transcript;
    afterwards warnings reach stderr again, as before any command configured logging."""
    secrets = config.secret_values()
    with path.open("a", encoding="utf-8") as log:
        configure_logging("INFO", "text", None, 1, 0, secrets=secrets, stream=log)
        try:
            yield
        finally:
            configure_logging("WARNING", "text", None, 1, 0, secrets=(), stream=sys.stderr)
