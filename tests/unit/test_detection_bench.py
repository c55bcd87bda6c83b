"""The benchmark helpers: a realistic synthetic rule mix and a throughput measurement."""

from __future__ import annotations

from collections import Counter

from core.domain.detection import RuleKind
from services.detection.bench import detection_throughput, synthetic_rules
from services.detection.engine import compile_rules


def test_synthetic_rules_are_a_deterministic_valid_realistic_mix() -> None:
    rules = synthetic_rules(1000, seed=3)
    assert rules == synthetic_rules(1000, seed=3)
    assert rules != synthetic_rules(1000, seed=4)
    kinds = Counter(rule.kind for rule in rules)
    assert 600 < kinds[RuleKind.KEYWORDS] < 800
    assert 180 < kinds[RuleKind.REGEX] < 320
    assert 20 < kinds[RuleKind.BUILTIN] < 90
    keywords = " ".join(r.pattern for r in rules if r.kind is RuleKind.KEYWORDS)
    assert any(not c.isascii() for c in keywords)  # accented and non-Latin keywords
    assert any(" " in k.strip() for r in rules for k in r.pattern.split(","))  # phrases
    assert compile_rules(rules).rejected == {}


def test_detection_throughput_reports_both_engines() -> None:
    texts = ["Pago por transferencia a ana@example.com", "nothing here", "Привет 🔥"] * 50
    figures = detection_throughput(
        texts, synthetic_rules(20, seed=1), repeat=1, baseline_budget_seconds=0.2
    )
    assert figures["messages"] == 150
    assert figures["rules"] == 20
    assert figures["engine_msg_per_s"] > 0
    assert figures["engine_cpu_msg_per_s"] > 0
    assert figures["engine_warm_msg_per_s"] > 0
    assert figures["baseline_msg_per_s"] > 0
    assert figures["speedup"] == figures["engine_msg_per_s"] / figures["baseline_msg_per_s"]
