"""What each CLI command does: thin wrappers over the composition root and the core."""

from __future__ import annotations

import argparse
import asyncio
import io
import signal
import sys
from collections.abc import Awaitable, Callable
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from core.config_manager import ConfigManager
from core.db import migrate
from core.errors import ConfigurationError
from telegramvault.bootstrap import build_core, open_database, roles_for

# Keys a schema command needs; the rest of the configuration may still be incomplete.
DATABASE_KEYS = (
    "DATA_DIR",
    "DATABASE_URL",
    "DATABASE_POOL_SIZE",
    "SEARCH_FTS_LANGUAGE",
    "env file",
)
EX_OK = 0


def _require(config: ConfigManager, roles: tuple[str, ...]) -> None:
    config.load()
    config.require_valid(roles)


def _require_database(config: ConfigManager) -> None:
    config.load()
    problems = [p for p in config.problems() if p.split(":", 1)[0] in DATABASE_KEYS]
    if problems:
        report = "\n".join(
            ["Database configuration is not usable:", *(f"  - {p}" for p in problems)]
        )
        raise ConfigurationError(report, problems)


def config_check(args: argparse.Namespace, config: ConfigManager) -> int:
    """Print every key (secrets masked, with its source) and the problems for the role."""
    config.load()
    roles = roles_for(args.role)
    print(config.render_table())
    print(config.report(roles))
    return EX_OK if not config.problems(roles) else ConfigurationError.exit_code


def _on_database(
    config: ConfigManager, work: Callable[[AsyncEngine], Awaitable[None]]
) -> tuple[str | None, bool]:
    """Run a schema step, then report the revision and whether it is the newest."""
    _require_database(config)

    async def _run() -> tuple[str | None, bool]:
        db = open_database(config.settings)
        try:
            await work(db.engine)
            return await migrate.current_revision(db.engine), await migrate.is_up_to_date(db.engine)
        finally:
            await db.dispose()

    return asyncio.run(_run())


def _print_revision(revision: str | None, latest: bool) -> int:
    state = "up to date" if latest else f"behind {migrate.head_revision()}"
    print(f"database at revision {revision or 'base (empty)'} ({state})")
    return EX_OK


def db_upgrade(args: argparse.Namespace, config: ConfigManager) -> int:
    language = config.settings.search.fts_language

    async def _upgrade(engine: AsyncEngine) -> None:
        await migrate.upgrade(engine, args.revision, fts_language=language)

    return _print_revision(*_on_database(config, _upgrade))


def db_downgrade(args: argparse.Namespace, config: ConfigManager) -> int:
    async def _downgrade(engine: AsyncEngine) -> None:
        await migrate.downgrade(engine, args.revision)

    return _print_revision(*_on_database(config, _downgrade))


def db_current(_args: argparse.Namespace, config: ConfigManager) -> int:
    async def _nothing(_engine: AsyncEngine) -> None:
        return None

    return _print_revision(*_on_database(config, _nothing))


def run(args: argparse.Namespace, config: ConfigManager) -> int:
    """Validate, migrate and run the roles until SIGINT/SIGTERM; a bad configuration or a dead
    Telegram session stops it with one clear report."""
    roles = roles_for(args.role)
    _require(config, roles)

    async def _run() -> None:
        from telegramvault.roles import run_roles  # aiogram and Telethon load only for `run`

        core = await build_core(config)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signal_number, stop.set)
        try:
            print(
                f"TelegramVault ({', '.join(roles)}) running on {core.db.dialect}; Ctrl-C stops it."
            )
            await run_roles(core, roles, stop=stop)
        finally:
            await core.close()

    asyncio.run(_run())
    return EX_OK


def version(_args: argparse.Namespace, _config: ConfigManager) -> int:
    try:
        print(package_version("telegramvault"))
    except PackageNotFoundError:
        print("telegramvault (not installed)", file=sys.stderr)
        return 1
    return EX_OK


def demo(args: argparse.Namespace, _config: ConfigManager) -> int:
    """The offline demo: the real product against the local Telegram simulators. It reads no
    configuration; its vault lives in its own directory."""
    from telegramvault.demo.simulators import require_simulators

    require_simulators()
    from telegramvault.demo.runner import run_demo  # aiogram, Telethon and the simulators

    if isinstance(sys.stdout, io.TextIOWrapper):  # a terminal that cannot show every script
        sys.stdout.reconfigure(errors="replace")
    asyncio.run(run_demo(Path(args.data_dir), sys.stdout, argv0=sys.argv[0]))
    return EX_OK
