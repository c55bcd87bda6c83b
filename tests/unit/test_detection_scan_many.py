"""``scan_many``, a chunk of messages at a time, finds exactly what ``scan`` finds one by one.

Messages are made from the benchmark's vocabulary (watch words, made-up names in Latin and
Cyrillic, accents typed both ways) plus contact details, links and addresses, and hostile
bytes: newlines (the chunk separator), U+0001 (the folded chunk's), NUL, ß, lone surrogates.
The rules are the benchmark's mix plus regexes with anchors (kept per message), word
boundaries and classes that can match a separator, and scopes by chat and by sender.
"""

from __future__ import annotations

import random

import pytest

from core.domain.detection import DetectionRule, RuleKind, RuleMatch, ScanTarget
from services.detection import batch, keywords
from services.detection.bench import synthetic_rules
from services.detection.bench_vocabulary import CYRILLIC_SYLLABLES, SYLLABLES, WATCH_WORDS
from services.detection.builtins import BUILTIN_NAMES
from services.detection.engine import CompiledRuleSet, compile_rules

SEED = 20_251_127
MESSAGES = 1500
ARTEFACTS = (
    "ana.lopez@example.com",
    "juan [at] gmail [dot] com",
    "+57 300 123 4567",
    "+1 (555) 201-4567",
    "https://example.org/path?q=1).",
    "shop.example.net/p/74457?ref=sam",
    "t.me/+AbCdEfGhIjKlMn12",
    "https://t.me/durov/123",
    "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
    "GB82 WEST 1234 5698 7654 32",
    "4111 1111 1111 1111",
    "pago 250 bravin",
    "ID-20394",
)
NOISE = (" ", "  ", " \t ", "\n", ", ", "! ", "¿", "\u00a0", "🙂", "\x01", "\x00", "ß", "\ud83d")
DECOMPOSED = {"á": "a\u0301", "é": "e\u0301", "ñ": "n\u0303", "ó": "o\u0301"}
# Regexes whose buffer form differs (anchors: none) and ones that see the separator.
EXTRA_PATTERNS = (
    ("^pago", False),
    ("bravin$", False),
    (r"\Ahola", False),
    (r"(?m)^ID-\d+", True),
    (r"\bbra[a-z]*\b", False),
    (r"\s{2,}", False),
    (r"[^a-z ]{4}", False),
    (r"(?s)o.b", False),
    (r"\B!", False),
    (r"o\Cb", False),  # any byte, even half a character
    (r"(?U)bra+", False),
    (r"\p{Cyrillic}{3}", False),
)


def _word(rng: random.Random) -> str:
    if rng.random() < 0.25:
        word = rng.choice(WATCH_WORDS)
    else:
        syllables = CYRILLIC_SYLLABLES if rng.random() < 0.15 else SYLLABLES
        word = "".join(rng.choices(syllables, k=rng.randint(1, 4)))
    roll = rng.random()
    word = word.upper() if roll < 0.1 else word.capitalize() if roll < 0.25 else word
    if rng.random() < 0.15:
        word = "".join(DECOMPOSED.get(c, c) for c in word)
    return word


def make_message(rng: random.Random) -> str:
    parts: list[str] = []
    for _ in range(rng.randint(0, 12)):
        parts.append(_word(rng))
        parts.append(rng.choice(NOISE) if rng.random() < 0.2 else " ")
    if rng.random() < 0.3:
        parts.insert(rng.randint(0, len(parts)), rng.choice(ARTEFACTS))
    return "".join(parts)


def make_targets(rng: random.Random, count: int) -> list[ScanTarget]:
    return [
        ScanTarget(pk, rng.randint(1, 30), rng.choice((1, 2, None)), make_message(rng))
        for pk in range(count)
    ]


def make_rules(count: int) -> list[DetectionRule]:
    rules = synthetic_rules(count, seed=SEED)
    next_id = len(rules) + 1
    for pattern, case_sensitive in EXTRA_PATTERNS:
        rules.append(
            DetectionRule(next_id, "extra", RuleKind.REGEX, pattern, case_sensitive=case_sensitive)
        )
        next_id += 1
    for name in BUILTIN_NAMES:  # every built-in, open to all chats but only one sender
        rules.append(
            DetectionRule(next_id, name, RuleKind.BUILTIN, name, sender_ids=frozenset({2}))
        )
        next_id += 1
    rules.append(
        DetectionRule(
            next_id, "sender", RuleKind.KEYWORDS, "bitcoin, bra", sender_ids=frozenset({1})
        )
    )
    return rules


def one_by_one(compiled: CompiledRuleSet, targets: list[ScanTarget]) -> list[RuleMatch]:
    return [match for target in targets for match in compiled.scan(target)]


@pytest.fixture(scope="module")
def corpus() -> tuple[CompiledRuleSet, list[ScanTarget], list[RuleMatch]]:
    compiled = compile_rules(make_rules(400))
    assert compiled.rejected == {}
    targets = make_targets(random.Random(SEED), MESSAGES)
    return compiled, targets, one_by_one(compiled, targets)


@pytest.mark.parametrize(
    ("messages", "chars"), [(1024, 64 << 10), (7, 64 << 10), (1, 1), (50, 300)]
)
def test_scan_many_equals_scan_for_any_chunking(
    corpus: tuple[CompiledRuleSet, list[ScanTarget], list[RuleMatch]],
    monkeypatch: pytest.MonkeyPatch,
    messages: int,
    chars: int,
) -> None:
    compiled, targets, expected = corpus
    monkeypatch.setattr(batch, "MAX_CHUNK_MESSAGES", messages)
    monkeypatch.setattr(batch, "MAX_CHUNK_CHARS", chars)
    assert compiled.scan_many(targets) == expected


def test_the_comparison_covers_every_kind_of_rule(
    corpus: tuple[CompiledRuleSet, list[ScanTarget], list[RuleMatch]],
) -> None:
    _, targets, expected = corpus
    rules = {rule.id: rule for rule in make_rules(400)}
    kinds = {rules[m.rule_id].kind for m in expected}
    assert kinds == set(RuleKind)
    anchored = {rules[m.rule_id].pattern for m in expected} & {p for p, _ in EXTRA_PATTERNS}
    assert {"^pago", "bravin$", r"(?m)^ID-\d+", r"\s{2,}"} <= anchored
    assert len(expected) > MESSAGES  # real matches, not empty lists
    assert any("\x01" in t.text for t in targets) and any("\n" in t.text for t in targets)


def test_anchored_regexes_see_each_message_alone() -> None:
    """Alone, no other rule's hit makes their message a candidate: anchors must be honoured."""
    anchored = [p for p, _ in EXTRA_PATTERNS if "^" in p or "$" in p or "\\A" in p]
    rules = [DetectionRule(i, "a", RuleKind.REGEX, p) for i, p in enumerate(anchored, 1)]
    rules.append(DetectionRule(len(rules) + 1, "b", RuleKind.BUILTIN, "email"))
    texts = ["pago 5", "x pago", "algo bravin", "bravin algo", "hola", "id-7\nID-8", "a@b.co"]
    targets = [ScanTarget(pk, 1, None, text) for pk, text in enumerate(texts * 3)]
    compiled = compile_rules(rules)
    expected = one_by_one(compiled, targets)
    assert len(expected) == 3 * 5
    assert compiled.scan_many(targets) == expected


def test_scan_many_equals_scan_when_re2_refuses_the_chunk_programs() -> None:
    rules = make_rules(60)
    targets = make_targets(random.Random(SEED + 1), 400)
    compiled = CompiledRuleSet(rules, set_max_mem=1 << 16)  # too little for the alternations
    assert compiled.scan_many(targets) == one_by_one(compiled, targets)


def test_scan_many_equals_scan_without_the_keyword_locator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(keywords, "_locator", lambda words: None)
    compiled = compile_rules(make_rules(60))
    targets = make_targets(random.Random(SEED + 2), 400)
    assert compiled.scan_many(targets) == one_by_one(compiled, targets)


def test_scan_many_skips_empty_texts_and_keeps_message_order() -> None:
    compiled = compile_rules([DetectionRule(1, "k", RuleKind.KEYWORDS, "hola")])
    targets = [
        ScanTarget(3, 1, None, "hola"),
        ScanTarget(1, 1, None, ""),
        ScanTarget(2, 1, None, "HOLA"),
    ]
    assert [(m.message_pk, m.matched_text) for m in compiled.scan_many(targets)] == [
        (3, "hola"),
        (2, "HOLA"),
    ]
