"""Live rows: events arriving one at a time, micro-batched vs one commit per event.

A producer task feeds a bounded queue (the buffer between the update handler and the writer);
each event is stamped when it arrives (see ``_produce``) and again when its transaction has
committed.
The events are the messages that follow the corpus, so they are appended to the imported vault.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from benchmarks.context import DialectRun
from benchmarks.figures import Baseline, Figure
from benchmarks.measure import PeakRss, percentile
from benchmarks.storage import footprint, require_archive
from core.db.database import Database
from core.domain.messages import ArchivedMessage

FLUSH_EVENTS = 500
FLUSH_SECONDS = 0.25
QUEUE_BOUND = 2 * FLUSH_EVENTS
PACED_SECONDS = 4.0  # how long the paced run offers the budget's rate
LIVE_BUDGET = "≥ 5,000"
LATENCY_BUDGET = "≤ 1,000"


@dataclass(slots=True)
class _Event:
    message: ArchivedMessage
    arrived: float = 0.0


EventQueue = asyncio.Queue[_Event | None]
Writer = Callable[[Database, EventQueue, list[float]], Awaitable[None]]


@dataclass(slots=True)
class LiveResult:
    """Throughput and per-event latency (arrival to commit) of one live run."""

    count: int
    seconds: float
    latencies: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else 0.0

    def latency_ms(self, share: float) -> float:
        return percentile(self.latencies, share) * 1000


async def _produce(
    queue: EventQueue, events: Sequence[ArchivedMessage], rate: float | None
) -> None:
    """At max rate an event arrives when the queue takes it. When paced, it arrives at its
    scheduled time even if the full queue holds the producer back, so a writer that falls
    behind shows up as latency instead of silently lowering the offered rate."""
    started = time.perf_counter()
    for index, message in enumerate(events):
        event = _Event(message)
        if rate is not None:
            event.arrived = started + index / rate
            if (delay := event.arrived - time.perf_counter()) > 0:
                await asyncio.sleep(delay)
        await queue.put(event)
        if rate is None:
            event.arrived = time.perf_counter()  # no await since the put: not yet taken
    await queue.put(None)


async def micro_batched(db: Database, queue: EventQueue, latencies: list[float]) -> None:
    """Flush every FLUSH_EVENTS events or FLUSH_SECONDS after a batch's first event."""
    finished = False
    while not finished:
        batch, finished = await _next_batch(queue)
        if batch:
            async with db.unit_of_work() as uow:
                await uow.messages.upsert_batch([event.message for event in batch])
                await uow.commit()
            committed = time.perf_counter()
            latencies.extend(committed - event.arrived for event in batch)


async def _next_batch(queue: EventQueue) -> tuple[list[_Event], bool]:
    """The next batch, and whether the stream has ended."""
    first = await queue.get()
    if first is None:
        return [], True
    batch = [first]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + FLUSH_SECONDS
    while len(batch) < FLUSH_EVENTS:
        try:
            event = queue.get_nowait()
        except asyncio.QueueEmpty:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            try:
                event = await asyncio.wait_for(queue.get(), remaining)
            except TimeoutError:
                break
        if event is None:
            return batch, True
        batch.append(event)
    return batch, False


async def commit_per_event(db: Database, queue: EventQueue, latencies: list[float]) -> None:
    """The naive handler: one unit of work and one commit for every event."""
    while (event := await queue.get()) is not None:
        async with db.unit_of_work() as uow:
            await uow.messages.upsert_batch([event.message])
            await uow.commit()
        latencies.append(time.perf_counter() - event.arrived)


async def run_live(
    db: Database, events: Sequence[ArchivedMessage], writer: Writer, rate: float | None = None
) -> LiveResult:
    queue: EventQueue = asyncio.Queue(maxsize=QUEUE_BOUND)
    result = LiveResult(count=len(events), seconds=0.0)
    started = time.perf_counter()
    await asyncio.gather(_produce(queue, events, rate), writer(db, queue, result.latencies))
    result.seconds = time.perf_counter() - started
    return result


async def live_path(run: DialectRun) -> list[Figure]:
    db = require_archive(run)
    if run.continuation is None:
        raise RuntimeError("the bulk import row must run before the live row")
    config = run.config
    # Drawn before timing: the figure is about storing events, not about inventing them.
    take = run.continuation
    fast_events = list(itertools.islice(take, config.live_events))
    slow_events = list(itertools.islice(take, config.live_baseline_events))
    paced_events = list(itertools.islice(take, int(config.live_rate * PACED_SECONDS)))
    with PeakRss() as rss:
        fast = await run_live(db, fast_events, micro_batched)
    slow = await run_live(db, slow_events, commit_per_event)
    paced = await run_live(db, paced_events, micro_batched, rate=config.live_rate)
    return [*_figures(run, fast, slow, paced), *footprint(run, "live path", None, rss)]


def _figures(
    run: DialectRun, fast: LiveResult, slow: LiveResult, paced: LiveResult
) -> list[Figure]:
    naive = "one commit per message through a unit of work"
    note = f"{fast.count:,} events at max rate, queue bound {QUEUE_BOUND}; baseline {slow.count:,}"
    throughput = Figure(
        "live path, micro-batched (500 events or 250 ms)",
        fast.rate,
        "msg/s",
        run.dialect,
        LIVE_BUDGET,
        Baseline(naive, slow.rate, slow.count),
        notes=(note,),
    )
    latencies = [
        _latency(
            run,
            f"live path p{round(share * 100)} latency, arrival to commit, max rate",
            fast.latency_ms(share),
            budget,
            baseline=Baseline(naive, slow.latency_ms(share), slow.count),
        )
        for share, budget in ((0.5, "-"), (0.99, LATENCY_BUDGET))
    ]
    paced_notes = (
        f"p50 {paced.latency_ms(0.5):.0f} ms; {paced.count:,} events stored at "
        f"{paced.rate:,.0f} msg/s; latency counted from each event's scheduled arrival",
        "no baseline: one commit per message cannot sustain this rate",
    )
    title = f"live path p99 latency at {run.config.live_rate:,.0f} msg/s offered"
    paced_figure = _latency(run, title, paced.latency_ms(0.99), LATENCY_BUDGET, notes=paced_notes)
    return [throughput, *latencies, paced_figure]


def _latency(
    run: DialectRun,
    name: str,
    value: float,
    budget: str,
    baseline: Baseline | None = None,
    notes: tuple[str, ...] = (),
) -> Figure:
    return Figure(
        name, value, "ms", run.dialect, budget, baseline, higher_is_better=False, notes=notes
    )
