"""Runtime rows: the memory of ``telegramvault run`` at rest over the imported archive, and the
live path from an event to its alert under a burst.

``idle_rss`` starts ``benchmarks.idle_process`` in a fresh interpreter against the archive's
database, so its RSS is the product's alone, untouched by the corpus and pools of this process.
``live_alert_latency`` runs in this process (see ``benchmarks.alert_burst``). It leaves its
rules, watched chats, events and queued alerts in the archive: the only later row, the live row,
appends plain messages and reads none of them.

Both rows need a source checkout: the simulators live in ``tests/fakes``.
"""

from __future__ import annotations

import asyncio
import importlib.util
import itertools
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import IO, Any

from sqlalchemy import func, select

from benchmarks.alert_burst import (
    MATCH_EVERY,
    RULES,
    Burst,
    BurstResult,
    alerted_keys,
    commit_per_event,
    detection_service,
    make_burst,
    prepare,
    run_burst,
    warm_up,
)
from benchmarks.context import DialectRun
from benchmarks.figures import Baseline, Figure
from benchmarks.idle_process import PROC_STATUS, URL_VARIABLE
from benchmarks.storage import require_archive
from core.db.database import Database
from core.db.tables import messages

MB = 1024 * 1024
ROOT = Path(__file__).resolve().parent.parent  # the checkout: the child imports from it
IDLE_BUDGET = "≤ 150"
SAMPLE_SECONDS = 5.0
SETTLE_SECONDS = 2.0
SIMULATED_CHATS = 2
SIMULATED_HISTORY = 150
READY_TIMEOUT = 300.0  # start-up and catch-up, on a loaded machine
EXIT_TIMEOUT = 90.0  # the roles' shutdown
BURST_EVENTS = 5_000
BASELINE_EVENTS = 500
BURST_TIMEOUT = 600.0
THROUGHPUT_BUDGET = "≥ 5,000"
P99_BUDGET = "≤ 1,000"
NAIVE = "one IngestService transaction (with the scan) per event"
CHECKOUT_NEEDED = "{row} skipped: the simulators (tests/fakes) are not importable"
LINUX_NEEDED = "idle RSS row skipped: it reads /proc/self/status (Linux only)"


def _simulators_available() -> bool:
    try:
        return importlib.util.find_spec("tests.fakes.botapi") is not None
    except ModuleNotFoundError:
        return False


async def _message_count(db: Database) -> int:
    async with db.reader() as uow:
        query = select(func.count()).select_from(messages)
        return int((await uow.connection.execute(query)).scalar_one())


# --- idle RSS ------------------------------------------------------------------------------


async def idle_rss(run: DialectRun) -> list[Figure]:
    db = require_archive(run)
    if not _simulators_available():
        run.bench.notes.append(CHECKOUT_NEEDED.format(row="idle RSS row"))
        return []
    if not PROC_STATUS.exists():
        run.bench.notes.append(LINUX_NEEDED)
        return []
    archived = await _message_count(db)
    report = await idle_report(db.engine.url.render_as_string(hide_password=False))
    return _idle_figures(run, archived, report)


def _idle_args() -> list[str]:
    return [
        f"--sample-seconds={SAMPLE_SECONDS}",
        f"--settle-seconds={SETTLE_SECONDS}",
        f"--ready-timeout={READY_TIMEOUT}",
        f"--chats={SIMULATED_CHATS}",
        f"--history={SIMULATED_HISTORY}",
    ]


async def idle_report(url: str) -> dict[str, Any]:
    """Run the idle child over ``url``; its report once it has sampled, after a clean exit."""
    with tempfile.TemporaryFile() as errors:  # a file: a full pipe would block the child
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "benchmarks.idle_process",
            *_idle_args(),
            cwd=ROOT,
            env={**os.environ, URL_VARIABLE: url},
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=errors,
        )
        try:
            timeout = READY_TIMEOUT + SETTLE_SECONDS + SAMPLE_SECONDS + 120
            report = await asyncio.wait_for(_report_line(child), timeout)
            if child.stdin is not None:
                child.stdin.close()  # the child's cue to stop its roles and exit
            code = await asyncio.wait_for(child.wait(), EXIT_TIMEOUT)
        except BaseException as error:  # a cancelled run must not leave the child behind
            if child.returncode is None:
                child.kill()
                await child.wait()
            if not isinstance(error, TimeoutError | RuntimeError):
                raise
            raise RuntimeError(f"idle process failed: {error}; stderr: {_tail(errors)}") from error
        if code != 0:
            raise RuntimeError(f"idle process exited with {code}; stderr: {_tail(errors)}")
    return report


async def _report_line(child: asyncio.subprocess.Process) -> dict[str, Any]:
    assert child.stdout is not None
    while line := await child.stdout.readline():
        text = line.decode(errors="replace").strip()
        if text.startswith("{"):
            report: dict[str, Any] = json.loads(text)
            return report
    raise RuntimeError("it ended without a report")


def _tail(errors: IO[bytes], lines: int = 8) -> str:
    errors.seek(0)
    return " | ".join(errors.read().decode(errors="replace").strip().splitlines()[-lines:])


def _stages(report: dict[str, Any]) -> str:
    """'interpreter 21 MB, aiogram +150 MB, ...': what each import stage added."""
    parts, previous = [], 0
    for label, rss in report["stages"]:
        sign = "+" if previous else ""
        parts.append(f"{label} {sign}{(rss - previous) / MB:.0f} MB")
        previous = rss
    return ", ".join(parts)


def _idle_figures(run: DialectRun, archived: int, report: dict[str, Any]) -> list[Figure]:
    archive = f"{archived:,}-message archive"
    steady_notes = [
        f"median of {report['samples']} samples of VmRSS over {report['sample_seconds']:.0f} s "
        f"at rest (range {report['min_rss_bytes'] / MB:.0f}–{report['max_rss_bytes'] / MB:.0f}"
        f" MB), {SETTLE_SECONDS:.0f} s after the bot polled and the archiver had caught up",
        "bot, archiver, scheduler and health endpoint in one child process, wired as "
        "`telegramvault run`; the Bot API and Telegram simulators run inside it too",
        f"before any role started: {_stages(report)}",
    ]
    if report["bot_calls_while_sampling"]:
        steady_notes.append(
            f"UNEXPECTED: not idle, the bot called {report['bot_calls_while_sampling']}"
        )
    peak_notes = (
        f"VmHWM of the child: start-up, migrations check and the catch-up of "
        f"{report['simulated_messages']:,} simulated messages in {SIMULATED_CHATS} chats "
        f"(idle after {report['ready_seconds']:.1f} s)",
    )
    return [
        Figure(
            f"idle RSS of `run` (all roles), {archive}",
            report["steady_rss_bytes"] / MB,
            "MB",
            run.dialect,
            IDLE_BUDGET,
            higher_is_better=False,
            notes=tuple(steady_notes),
        ),
        Figure(
            f"peak RSS of `run` from start to idle, {archive}",
            report["peak_rss_bytes"] / MB,
            "MB",
            run.dialect,
            higher_is_better=False,
            notes=peak_notes,
        ),
    ]


# --- live path to alert --------------------------------------------------------------------


async def live_alert_latency(run: DialectRun) -> list[Figure]:
    db = require_archive(run)
    if run.continuation is None:
        raise RuntimeError("the bulk import row must run before the live alert row")
    # Drawn before timing: the figure is about the live path, not about inventing events.
    drawn = list(itertools.islice(run.continuation, 1 + BASELINE_EVENTS + BURST_EVENTS))
    warm = make_burst(run.corpus, drawn[:1])
    naive_events = make_burst(run.corpus, drawn[1 : 1 + BASELINE_EVENTS])
    events = make_burst(run.corpus, drawn[1 + BASELINE_EVENTS :])
    detection = detection_service(db)
    archive = detection.config.settings.archive
    rule_ids = await prepare(db, detection, {message.chat_id for message in drawn})
    await warm_up(db, detection, warm.pages[0])
    naive = await commit_per_event(db, detection, naive_events)
    async with asyncio.timeout(BURST_TIMEOUT):
        ours = await run_burst(
            db,
            detection,
            events,
            batch_size=archive.live_batch_size,
            flush_ms=archive.live_flush_ms,
        )
    alerted = await alerted_keys(db, rule_ids)
    expected = warm.matching | naive_events.matching | events.matching
    notes = _burst_notes(events, ours, alerted, expected)
    notes += (f"batches of {archive.live_batch_size} events or {archive.live_flush_ms} ms",)
    return _live_figures(run, events, ours, naive, alerted, notes)


def _burst_notes(
    events: Burst,
    ours: BurstResult,
    alerted: set[tuple[int, int]],
    expected: frozenset[tuple[int, int]],
) -> tuple[str, ...]:
    notes = [
        f"{ours.events:,} events submitted at once to a LiveIngestor (each with its chat and "
        f"sender), scanned by {RULES} enabled rules (keyword lists and regexes); "
        f"{len(events.matching)} of them (1 in {MATCH_EVERY}) match one rule",
        f"{ours.seconds:.2f} s from the first submit to the last commit",
    ]
    if missing := events.matching - alerted:
        notes.append(f"UNEXPECTED: {len(missing)} matching events have no alert")
    if extra := alerted - expected:
        notes.append(f"UNEXPECTED: {len(extra)} alerts for events carrying no token")
    return tuple(notes)


def _live_figures(
    run: DialectRun,
    events: Burst,
    ours: BurstResult,
    naive: BurstResult,
    alerted: set[tuple[int, int]],
    notes: tuple[str, ...],
) -> list[Figure]:
    throughput = Figure(
        f"live path with detection, {ours.events:,}-event burst, event to alert enqueued",
        ours.rate,
        "msg/s",
        run.dialect,
        THROUGHPUT_BUDGET,
        Baseline(NAIVE, naive.rate, naive.events),
        notes=notes,
    )
    timed = sorted(events.matching & alerted)
    latency_note = (
        f"{len(timed)} matching events, each from its submit to the commit of the transaction "
        "that stored it and enqueued its alert",
    )
    latencies = [
        Figure(
            f"live path p{round(share * 100)} latency, event to alert enqueued, burst",
            ours.latency_ms(share, timed),
            "ms",
            run.dialect,
            budget,
            higher_is_better=False,
            notes=latency_note,
        )
        for share, budget in ((0.5, "-"), (0.95, "-"), (0.99, P99_BUDGET))
    ]
    return [throughput, *latencies]
