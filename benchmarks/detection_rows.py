"""Detection rows: rule-set throughput on one core, and a pathological rule on a long message.

Both run on the corpus texts alone (no database): the engine is compared with a loop over
Python ``re`` patterns, which is what a straightforward implementation does.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable

from benchmarks.context import Bench
from benchmarks.figures import Baseline, Figure
from core.domain.detection import DetectionRule, RuleKind, ScanTarget
from services.detection.bench import detection_throughput, synthetic_rules
from services.detection.engine import compile_rules

RULE_COUNTS = (10, 100, 1000)
MAX_TEXTS = 100_000  # texts scanned per rule set: enough for a steady rate at any --size
BASELINE_SECONDS = 5.0  # the naive loop runs ~230 msg/s at 1,000 rules: it is cut short
THROUGHPUT_BUDGET = "≥ 100,000"
PATHOLOGICAL = r"(a+)+$"
MESSAGE_BYTES = 10_240
PATHOLOGICAL_RUNS = 50
PATHOLOGICAL_BUDGET = "≤ 10"
# Python's backtracking doubles its time with each extra "a": it is timed on a short message
# only, the first length from SHORTEST that takes at least ENOUGH_SECONDS (or LONGEST).
SHORTEST, LONGEST, ENOUGH_SECONDS = 16, 26, 0.05


def corpus_texts(bench: Bench, limit: int = MAX_TEXTS) -> list[str]:
    """The first ``limit`` non-empty texts of the corpus (media captions included)."""
    texts = (m.text for m in itertools.islice(bench.corpus.messages(), bench.config.size))
    return list(itertools.islice((t for t in texts if t), limit))


async def detection_throughput_rows(bench: Bench) -> list[Figure]:
    """Messages per second through 10, 100 and 1,000 synthetic rules."""
    texts = corpus_texts(bench)
    figures = []
    for count in RULE_COUNTS:
        rules = synthetic_rules(count, bench.config.seed)
        result = detection_throughput(texts, rules, baseline_budget_seconds=BASELINE_SECONDS)
        notes = (
            f"{len(texts):,} corpus texts, first pass of a freshly compiled set "
            f"(compiled in {result['compile_seconds']:.2f} s)",
            f"the same pass in CPU time: {result['engine_cpu_msg_per_s']:,.0f} msg/s "
            "(other jobs on the machine do not slow it)",
            f"warm passes over the same texts: {result['engine_warm_msg_per_s']:,.0f} msg/s",
            f"{result['matches_per_message']:.3f} matches per message",
            f"baseline run for at most {BASELINE_SECONDS:.0f} s",
        )
        figures.append(
            Figure(
                f"detection, {count:,} rules, one core",
                result["engine_msg_per_s"],
                "msg/s",
                budget=THROUGHPUT_BUDGET if count >= 1000 else "-",
                baseline=Baseline(
                    f"a loop over {count:,} compiled re patterns", result["baseline_msg_per_s"]
                ),
                notes=notes,
            )
        )
    return figures


async def pathological_rule(bench: Bench) -> list[Figure]:
    """``(a+)+$`` against a 10 kB message of "a"s that does not end in one (no match)."""
    message = "a" * (MESSAGE_BYTES - 1) + "!"
    rule = DetectionRule(1, "pathological", RuleKind.REGEX, PATHOLOGICAL)
    alone = compile_rules([rule])
    if alone.rejected:
        raise RuntimeError(f"the engine rejected {PATHOLOGICAL}: {alone.rejected[1]}")
    others = synthetic_rules(1000, bench.config.seed)
    crowded = compile_rules([*others, DetectionRule(len(others) + 1, "p", rule.kind, rule.pattern)])
    target = ScanTarget(pk=1, chat_id=1, sender_id=1, text=message)
    worst = _worst_ms(lambda: alone.scan(target))
    crowded_worst = _worst_ms(lambda: crowded.scan(target))
    length, python_seconds = _python_backtracking()
    notes = (
        f"worst of {PATHOLOGICAL_RUNS} scans of a {MESSAGE_BYTES:,}-byte message; "
        f"among 1,000 other rules: {crowded_worst:.2f} ms",
        f"baseline timed on a {length}-character message only: each further character "
        f"doubles it, so the {MESSAGE_BYTES:,}-byte message would never finish",
    )
    return [
        Figure(
            f"detection, pathological rule {PATHOLOGICAL} on a 10 kB message",
            worst,
            "ms",
            budget=PATHOLOGICAL_BUDGET,
            baseline=Baseline(f"Python re on {length} characters", python_seconds * 1000),
            higher_is_better=False,
            notes=notes,
        )
    ]


def _worst_ms(scan: Callable[[], object]) -> float:
    worst = 0.0
    for _ in range(PATHOLOGICAL_RUNS):
        started = time.perf_counter()
        scan()
        worst = max(worst, time.perf_counter() - started)
    return worst * 1000


def _python_backtracking() -> tuple[int, float]:
    """The shortest length at which Python's ``re`` takes ENOUGH_SECONDS, and its time."""
    pattern = re.compile(PATHOLOGICAL)
    seconds = 0.0
    length = SHORTEST
    for length in range(SHORTEST, LONGEST + 1):
        started = time.perf_counter()
        pattern.search("a" * length + "!")
        seconds = time.perf_counter() - started
        if seconds >= ENOUGH_SECONDS:
            break
    return length, seconds
