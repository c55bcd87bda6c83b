"""What the rows of one run share: the settings, the corpus, and per dialect the imported vault."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.corpus import DEFAULT_SEED, Corpus
from benchmarks.figures import Baseline
from benchmarks.targets import Target
from core.db.database import Database
from core.domain.messages import ArchivedMessage

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True)  # no slots: the CLI reads the defaults from the class
class BenchConfig:
    """The command line, resolved."""

    size: int = 100_000
    seed: int = DEFAULT_SEED
    page_size: int = 1000
    baseline_size: int = 20_000  # baselines run on the first messages only: they are slow
    lookup_baseline_size: int = 5_000  # one SELECT per message is slower still
    live_events: int = 20_000
    live_baseline_events: int = 1_000
    live_rate: float = 5_000.0  # the budget's offered load, for the paced latency figure
    postgres_url: str = DEFAULT_POSTGRES_URL
    dialects: tuple[str, ...] = ("sqlite", "postgresql")
    out: Path = Path("bench-results")
    rows: frozenset[str] | None = None  # row names to run (None: all); see benchmarks.rows

    def wants(self, row: str) -> bool:
        return self.rows is None or row in self.rows

    @property
    def baseline_messages(self) -> int:
        return min(self.size, self.baseline_size)

    @property
    def lookup_baseline_messages(self) -> int:
        return min(self.size, self.lookup_baseline_size)


@dataclass(slots=True)
class Bench:
    """The run: settings, corpus, and what rows learn for later rows and the report."""

    config: BenchConfig
    corpus: Corpus
    notes: list[str] = field(default_factory=list)
    text_bytes: int | None = None  # UTF-8 size of every message text, set by the corpus row
    peak_rss: int = 0  # the highest phase peak; getrusage forgets peaks before a phase reset


@dataclass(slots=True)
class DialectRun:
    """Shared by the storage rows of one dialect, run in registration order.

    The bulk-import row leaves ``archive`` (the vault holding the whole corpus) and
    ``continuation`` (the messages that follow the corpus) for the rows after it.
    """

    bench: Bench
    target: Target
    archive: Database | None = None
    continuation: Iterator[ArchivedMessage] | None = None
    baselines: dict[str, Baseline] = field(default_factory=dict)  # measured once, shared

    @property
    def dialect(self) -> str:
        return self.target.dialect

    @property
    def config(self) -> BenchConfig:
        return self.bench.config

    @property
    def corpus(self) -> Corpus:
        return self.bench.corpus
