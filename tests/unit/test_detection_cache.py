"""The LRU of compiled rule sets: same rules hit, changed rules miss, size bounds it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from core.domain.detection import DetectionRule, RuleKind, ScanTarget, Severity
from services.detection.cache import RuleSetCache
from services.detection.engine import CompiledRuleSet, compile_rules

RULES = [
    DetectionRule(1, "words", RuleKind.KEYWORDS, "pago, transferencia"),
    DetectionRule(2, "ids", RuleKind.REGEX, r"ORD-\d+"),
    DetectionRule(3, "mails", RuleKind.BUILTIN, "email"),
]


def test_recompiling_the_same_rules_is_a_hit() -> None:
    cache = RuleSetCache(size=4)
    first = cache.get(RULES)
    again = cache.get(list(reversed(RULES)))  # order does not matter
    assert again is first
    assert (cache.hits, cache.misses) == (1, 1)


@pytest.mark.parametrize(
    "change",
    [
        {"pattern": "pago, transferencias"},
        {"kind": RuleKind.REGEX, "pattern": "pago"},
        {"case_sensitive": True},
        {"chat_ids": frozenset({5})},
        {"sender_ids": frozenset({6})},
        {"enabled": False},
    ],
)
def test_a_change_that_affects_matching_is_a_miss(change: dict[str, object]) -> None:
    cache = RuleSetCache(size=4)
    first = cache.get(RULES)
    changed = cache.get([replace(RULES[0], **change), *RULES[1:]])  # type: ignore[arg-type]
    assert changed is not first
    assert (cache.hits, cache.misses) == (0, 2)


def test_name_severity_and_cooldown_do_not_force_a_recompile() -> None:
    cache = RuleSetCache(size=4)
    first = cache.get(RULES)
    edited = replace(RULES[0], name="renamed", severity=Severity.CRITICAL, cooldown_seconds=60)
    assert cache.get([edited, *RULES[1:]]) is first


def test_the_least_recently_used_set_is_evicted() -> None:
    cache = RuleSetCache(size=2)
    a, b, c = ([replace(RULES[0], pattern=p)] for p in ("a1", "b1", "c1"))
    set_a = cache.get(a)
    cache.get(b)
    cache.get(a)  # a is now the most recent
    cache.get(c)  # evicts b
    assert len(cache) == 2
    assert cache.get(a) is set_a
    cache.get(b)
    assert cache.misses == 4


def test_size_zero_disables_caching() -> None:
    calls: list[int] = []

    def counting(rules: object) -> CompiledRuleSet:
        calls.append(1)
        return compile_rules(RULES)

    cache = RuleSetCache(size=0, compiler=counting)
    cache.get(RULES)
    cache.get(RULES)
    assert len(calls) == 2 and len(cache) == 0


def test_a_cached_set_scans_like_a_fresh_one() -> None:
    target = ScanTarget(1, 1, 1, "Pago ORD-77 a ana@example.com")
    assert RuleSetCache(size=1).get(RULES).scan(target) == compile_rules(RULES).scan(target)


def test_negative_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="cache size"):
        RuleSetCache(size=-1)
