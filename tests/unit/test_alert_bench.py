"""The alert delivery benchmark row runs at a tiny size and its figures hold what they claim.

Timings are not asserted; the simulated figures are exact, so they are."""

from __future__ import annotations

from benchmarks import rows
from benchmarks.alert_rows import _busiest, alert_delivery
from benchmarks.context import Bench, BenchConfig
from benchmarks.corpus import Corpus


def test_the_row_is_registered() -> None:
    assert alert_delivery in rows.CORPUS_ROWS


async def test_alert_rows_deliver_every_alert_once_inside_the_limits() -> None:
    config = BenchConfig(size=150, dialects=("sqlite",))
    bench = Bench(config=config, corpus=Corpus(150, config.seed))
    figures = {figure.name: figure for figure in await alert_delivery(bench)}
    assert figures["alert delivery through aiogram (wall clock)"].value > 0
    simulated = figures["alert delivery inside Telegram's limits (simulated clock)"].value
    assert 0 < simulated <= 30
    assert figures["most alerts sent in any simulated second"].value <= 30
    assert figures["alerts not delivered exactly once"].value == 0
    assert figures["messages for the same load as a burst (digests on)"].value == 3  # 150 / 40
    assert bench.notes == []


def test_busiest_window_counts_both_ends() -> None:
    assert _busiest([0.0, 0.5, 1.0, 1.5, 3.0], 1.0) == 3
    assert _busiest([0.0, 2.0, 4.0], 1.0) == 1
    assert _busiest([], 1.0) == 0
