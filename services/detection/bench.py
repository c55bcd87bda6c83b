"""Throughput of the detection engine against a naive loop over Python ``re`` patterns.

Used by the project's benchmark command; not part of the service. ``synthetic_rules`` builds a
realistic rule mix and ``detection_throughput`` times both engines over the same texts.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Sequence

from core.domain.detection import DetectionRule, RuleKind, ScanTarget
from services.detection.bench_vocabulary import (
    CYRILLIC_SYLLABLES,
    REGEX_TEMPLATES,
    SYLLABLES,
    WATCH_WORDS,
)
from services.detection.builtins import BUILTIN_NAMES, DETECTORS
from services.detection.engine import compile_rules

KEYWORD_SHARE = 0.70
REGEX_SHARE = 0.25  # the remaining ~5% are built-in detectors
SCOPED_SHARE = 0.2  # rules an admin limits to a few chats
CHATS = 30  # synthetic chats the benchmark's messages are spread over
NaiveRule = Callable[[str], bool]


def _made_up_word(rng: random.Random) -> str:
    syllables = CYRILLIC_SYLLABLES if rng.random() < 0.1 else SYLLABLES
    return "".join(rng.choices(syllables, k=rng.randint(2, 4)))


def _keyword_pattern(rng: random.Random) -> str:
    keywords = [_made_up_word(rng) for _ in range(rng.randint(2, 6))]
    keywords += rng.sample(WATCH_WORDS, 1 if rng.random() < 0.5 else 0)
    if rng.random() < 0.3:  # a phrase
        keywords.append(f"{_made_up_word(rng)} {_made_up_word(rng)}")
    rng.shuffle(keywords)
    return ", ".join(keywords)


def _regex_pattern(rng: random.Random) -> str:
    word, word2 = _made_up_word(rng), _made_up_word(rng)
    upper = re.sub(r"[^A-Z]", "", word.upper())[:4] or "ID"
    template = rng.choice(REGEX_TEMPLATES)
    return template.format(word=re.escape(word), word2=re.escape(word2), upper=upper)


def _scope(rng: random.Random, builtin_copy: bool) -> frozenset[int]:
    if builtin_copy or rng.random() < SCOPED_SHARE:
        return frozenset(rng.sample(range(1, CHATS + 1), rng.randint(1, 3)))
    return frozenset()


def synthetic_rules(n: int, seed: int) -> list[DetectionRule]:
    """``n`` rules: ~70% keyword lists (accents, phrases), ~25% regexes, ~5% built-ins.

    About a fifth are limited to one to three of ``CHATS`` chats; a built-in enabled more than
    once is, as an admin would do, limited to chats after the first time.
    """
    rng = random.Random(f"{seed}:rules")
    rules: list[DetectionRule] = []
    builtins_seen: set[str] = set()
    for rule_id in range(1, n + 1):
        roll = rng.random()
        if roll < KEYWORD_SHARE:
            kind, pattern = RuleKind.KEYWORDS, _keyword_pattern(rng)
        elif roll < KEYWORD_SHARE + REGEX_SHARE:
            kind, pattern = RuleKind.REGEX, _regex_pattern(rng)
        else:
            kind, pattern = RuleKind.BUILTIN, BUILTIN_NAMES[rule_id % len(BUILTIN_NAMES)]
        chats = _scope(rng, builtin_copy=pattern in builtins_seen)
        if kind is RuleKind.BUILTIN:
            builtins_seen.add(pattern)
        rules.append(DetectionRule(rule_id, f"rule {rule_id}", kind, pattern, chat_ids=chats))
    return rules


def _naive_rule(rule: DetectionRule) -> NaiveRule | None:
    """The rule as one Python ``re`` pattern: what a straightforward implementation does."""
    flags = 0 if rule.case_sensitive else re.IGNORECASE
    if rule.kind is RuleKind.KEYWORDS:
        words = [w.strip() for w in re.split(r"[,\n]", rule.pattern) if w.strip()]
        pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b", flags)
        return lambda text: pattern.search(text) is not None
    if rule.kind is RuleKind.REGEX:
        try:
            regex = re.compile(rule.pattern, flags)
        except re.error:
            return None
        return lambda text: regex.search(text) is not None
    detector = DETECTORS[rule.pattern]
    candidate = re.compile(detector.candidate)
    return lambda text: any(
        detector.refine(text, *m.span()) is not None for m in candidate.finditer(text)
    )


def _naive_rate(texts: Sequence[str], rules: Sequence[DetectionRule], budget: float) -> float:
    """Messages per second of the naive loop, measured until ``budget`` seconds have passed."""
    naive = [check for check in map(_naive_rule, rules) if check is not None]
    done = 0
    began = time.perf_counter()
    for text in texts:
        for check in naive:
            check(text)
        done += 1
        if time.perf_counter() - began > budget:
            break
    return done / (time.perf_counter() - began)


def detection_throughput(
    texts: Sequence[str],
    rules: Sequence[DetectionRule],
    *,
    repeat: int = 3,
    baseline_budget_seconds: float = 5.0,
) -> dict[str, float]:
    """Messages per second of ``scan_many`` and of the naive baseline over the same texts.

    ``engine_msg_per_s`` is the first pass of a freshly compiled set: every text is new to
    RE2's lazily built DFAs, as on a live stream. ``engine_cpu_msg_per_s`` is the same pass
    in this process's CPU time, which other jobs on a shared machine do not inflate.
    ``engine_warm_msg_per_s`` is the best of ``repeat`` further passes over the same texts,
    once those DFAs hold every state they need; it flatters the engine, so it is reported
    apart, never instead.
    """
    began = time.perf_counter()
    compiled = compile_rules(rules)
    compile_seconds = time.perf_counter() - began
    targets = [
        ScanTarget(pk=i, chat_id=i % CHATS + 1, sender_id=1, text=text)
        for i, text in enumerate(texts)
    ]
    first, first_cpu = _timed(lambda: compiled.scan_many(targets))
    warm = min(_timed(lambda: compiled.scan_many(targets))[0] for _ in range(max(1, repeat)))
    matches = len(compiled.scan_many(targets))
    engine_rate = len(targets) / first if first > 0 else float("inf")
    baseline_rate = _naive_rate(texts, rules, baseline_budget_seconds)
    return {
        "rules": float(len(rules)),
        "messages": float(len(texts)),
        "compile_seconds": compile_seconds,
        "engine_msg_per_s": engine_rate,
        "engine_cpu_msg_per_s": len(targets) / first_cpu if first_cpu > 0 else float("inf"),
        "engine_warm_msg_per_s": len(targets) / warm if warm > 0 else float("inf"),
        "baseline_msg_per_s": baseline_rate,
        "speedup": engine_rate / baseline_rate if baseline_rate else float("inf"),
        "matches_per_message": matches / max(1, len(texts)),
    }


def _timed(work: Callable[[], object]) -> tuple[float, float]:
    """Seconds ``work`` took: elapsed, and this process's CPU time."""
    began, began_cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - began, time.process_time() - began_cpu
