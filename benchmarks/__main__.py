"""``python -m benchmarks --size 100000``: run every row, write JSON and Markdown, print both."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.engine import make_url

from benchmarks.context import DEFAULT_POSTGRES_URL, BenchConfig
from benchmarks.report import write
from benchmarks.rows import ARCHIVE_READERS, NEEDED_ROWS, ROW_NAMES
from benchmarks.runner import run
from core.log_setup import configure_logging, get_logger

DIALECTS = ("sqlite", "postgresql")


def parse_args(argv: Sequence[str] | None = None) -> BenchConfig:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--size", type=int, default=100_000, help="messages in the corpus")
    parser.add_argument("--only", choices=DIALECTS, help="run the storage rows on one dialect")
    parser.add_argument("--out", type=Path, default=Path("bench-results"), help="output dir")
    parser.add_argument(
        "--postgres-url",
        default=DEFAULT_POSTGRES_URL,
        help="server on which a throw-away database is created and dropped",
    )
    parser.add_argument("--seed", type=int, default=BenchConfig.seed)
    parser.add_argument(
        "--baseline-size",
        type=int,
        default=BenchConfig.baseline_size,
        help="messages the (slow) baselines write; capped at --size",
    )
    parser.add_argument("--live-events", type=int, default=BenchConfig.live_events)
    parser.add_argument(
        "--live-baseline-events", type=int, default=BenchConfig.live_baseline_events
    )
    parser.add_argument(
        "--rows",
        help="comma-separated rows to run (default all): "
        + ", ".join(ROW_NAMES)
        + "; rows that read the archive also run bulk_import, which builds it",
    )
    args = parser.parse_args(argv)
    if args.size < 1:
        parser.error("--size must be positive")
    rows = _row_names(parser, args.rows)
    return BenchConfig(
        size=args.size,
        seed=args.seed,
        baseline_size=args.baseline_size,
        live_events=args.live_events,
        live_baseline_events=args.live_baseline_events,
        postgres_url=args.postgres_url,
        dialects=(args.only,) if args.only else DIALECTS,
        out=args.out,
        rows=rows,
    )


def _row_names(parser: argparse.ArgumentParser, given: str | None) -> frozenset[str] | None:
    if not given:
        return None
    names = frozenset(name.strip() for name in given.split(",") if name.strip())
    unknown = sorted(names - set(ROW_NAMES))
    if unknown:
        parser.error(f"unknown rows: {', '.join(unknown)} (known: {', '.join(ROW_NAMES)})")
    return names | NEEDED_ROWS if names & ARCHIVE_READERS else names


def main(argv: Sequence[str] | None = None) -> int:
    config = parse_args(argv)
    password = make_url(config.postgres_url).password
    configure_logging("INFO", "text", None, 1, 0, [str(password)] if password else [])
    logging.getLogger("alembic").setLevel(logging.WARNING)  # one migration per fresh database
    log = get_logger("benchmarks")
    log.info("bench_started", size=config.size, dialects=",".join(config.dialects))
    result = asyncio.run(run(config))
    json_path, md_path, table = write(result)
    sys.stdout.write(table)
    log.info("bench_written", json=str(json_path), markdown=str(md_path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
