"""The corpus row: how fast the synthetic corpus is generated alone (it feeds every other row)."""

from __future__ import annotations

import itertools
import time

from benchmarks.context import Bench
from benchmarks.figures import Figure, rate
from benchmarks.measure import PeakRss

MB = 1024 * 1024


async def corpus_generation(bench: Bench) -> list[Figure]:
    """One full pass over the corpus without storing it; also counts its text volume."""
    count = text_bytes = 0
    with PeakRss() as rss:
        started = time.perf_counter()
        for message in itertools.islice(bench.corpus.messages(), bench.config.size):
            count += 1
            text_bytes += len(message.text.encode())
        seconds = time.perf_counter() - started
    bench.text_bytes = text_bytes
    bench.peak_rss = max(bench.peak_rss, rss.peak_bytes)
    notes = (
        f"{count:,} messages in {seconds:.1f} s, {text_bytes / MB:,.1f} MB of UTF-8 text",
        "storage rows time only their storage work, so generation is not in their figures",
    )
    return [
        Figure("corpus generation alone", rate(count, seconds), "msg/s", notes=notes),
        Figure(
            "peak RSS during corpus generation",
            rss.peak_bytes / MB,
            "MB",
            higher_is_better=False,
            notes=("streamed: independent of the corpus size",),
        ),
    ]
