"""Child process of the idle-RSS row: ``telegramvault run`` with every role, measured at rest.

``python -m benchmarks.idle_process [options]`` with the vault's database URL in the environment
(``TV_IDLE_DATABASE_URL``, never on the command line: it may hold a password). This entry module
imports only the standard library, so the RSS each large library adds on import is measured
first (``stages``); ``benchmarks.idle_roles`` then builds and runs the roles and samples RSS
once they are idle. The result is one JSON line on stdout; the process stops the roles and
exits when its stdin closes, or ``--linger`` seconds after reporting.

Linux only: RSS is read from /proc/self/status.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

URL_VARIABLE = "TV_IDLE_DATABASE_URL"  # the vault's URL: it may hold a password
PROC_STATUS = Path("/proc/self/status")
# Imported one after the other so each one's share of the RSS is known; the last one pulls in
# everything else (SQLAlchemy, the services, the roles and the two simulators).
IMPORT_STAGES = (
    ("aiogram", "aiogram.types"),
    ("telethon", "telethon"),
    ("everything else", "benchmarks.idle_roles"),
)


@dataclass(frozen=True, slots=True)
class Options:
    sample_seconds: float
    interval: float
    settle_seconds: float
    ready_timeout: float
    linger: float
    chats: int
    history: int


def parse_args(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.idle_process", description=__doc__)
    parser.add_argument("--sample-seconds", type=float, default=5.0, help="idle time sampled")
    parser.add_argument("--interval", type=float, default=0.25, help="seconds between samples")
    parser.add_argument("--settle-seconds", type=float, default=2.0, help="wait once ready")
    parser.add_argument("--ready-timeout", type=float, default=300.0)
    parser.add_argument("--linger", type=float, default=120.0, help="most seconds to wait for EOF")
    parser.add_argument("--chats", type=int, default=2, help="simulated chats to catch up")
    parser.add_argument("--history", type=int, default=150, help="messages in each of them")
    args = parser.parse_args(argv)
    if args.sample_seconds <= 0 or args.interval <= 0:
        parser.error("--sample-seconds and --interval must be positive")
    if args.chats < 1 or args.history < 0:
        parser.error("--chats must be at least 1 and --history not negative")
    return Options(
        sample_seconds=args.sample_seconds,
        interval=args.interval,
        settle_seconds=max(args.settle_seconds, 0.0),
        ready_timeout=args.ready_timeout,
        linger=args.linger,
        chats=args.chats,
        history=args.history,
    )


def status_bytes(field: str) -> int:
    """A size field of /proc/self/status (given there in kB), in bytes."""
    for line in PROC_STATUS.read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"{PROC_STATUS} has no {field} line")


def import_in_stages() -> list[tuple[str, int]]:
    """RSS after the bare interpreter and after each import stage, in bytes."""
    stages = [("interpreter", status_bytes("VmRSS"))]
    # As the product's entry point does first: aiogram's models then build on first use.
    importlib.import_module("bot.deferred_models").install()
    for label, module in IMPORT_STAGES:
        importlib.import_module(module)
        stages.append((label, status_bytes("VmRSS")))
    return stages


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    stages = import_in_stages()
    from benchmarks.idle_roles import run  # loaded by the last stage already

    asyncio.run(run(options, stages))
    return 0


if __name__ == "__main__":
    # Run the module's imported copy, so the child process holds one Options class, not two.
    from benchmarks.idle_process import main as imported_main

    sys.exit(imported_main())
