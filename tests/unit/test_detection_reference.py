"""The engine against a brute-force reference: Python ``re`` over independently folded text.

Thousands of generated multilingual messages (accents typed precomposed and decomposed, CJK,
Arabic with harakat, Hangul, emoji with ZWJ, odd whitespace) meet hundreds of keyword, regex
and built-in rules; every match — rule, span and matched text — must be the reference's.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass

import pytest

from core.domain.detection import DetectionRule, RuleKind, RuleMatch, ScanTarget
from services.detection.builtins import BUILTIN_NAMES, DETECTORS
from services.detection.engine import compile_rules
from services.detection.folding import fold_for_matching
from services.detection.keywords import UNSPACED_RANGES

SEED = 20_251_126
MESSAGES = 2000
RULES = 300

# --- the reference --------------------------------------------------------------------------


def _dropped(char: str) -> bool:
    return (
        unicodedata.category(char) == "Mn" or unicodedata.combining(char) != 0 or char == "\u0640"
    )


def reference_fold(text: str) -> tuple[str, list[int]]:
    """Folded text and, per folded character, the index of the original one (char by char)."""
    out: list[str] = []
    starts: list[int] = []
    for index, char in enumerate(text):
        piece = "".join(c for c in unicodedata.normalize("NFKD", char) if not _dropped(c))
        for folded in "".join(c for c in piece.casefold() if not _dropped(c)):
            folded = " " if folded.isspace() else folded
            if folded == " " and out and out[-1] == " ":
                continue
            out.append(folded)
            starts.append(index)
    return "".join(out), starts


def reference_span(text: str, starts: list[int], start: int, end: int) -> tuple[int, int]:
    """Original characters behind folded [start, end): a character split by the end counts."""
    if end == len(starts):
        return starts[start], len(text)
    if starts[end] == starts[end - 1]:
        return starts[start], starts[end] + 1
    return starts[start], starts[end]


_UNSPACED = "".join(f"{chr(low)}-{chr(high)}" for low, high in UNSPACED_RANGES)
_SPACING_MARKS = "".join(
    re.escape(chr(code))
    for code in range(0x30000)
    if unicodedata.category(chr(code)) == "Mc"
    and not any(low <= code <= high for low, high in UNSPACED_RANGES)
)
# A word character: Python's \w or a spacing mark (Mc), outside the unspaced scripts.
_WORD = f"(?:[^\\W{_UNSPACED}]|[{_SPACING_MARKS}])"
_GLUE_BEFORE = f"(?<!{_WORD})"
_GLUE_AFTER = f"(?!{_WORD})"


def _is_word(char: str) -> bool:
    return re.fullmatch(_WORD, char) is not None


def keyword_regex(keyword: str) -> re.Pattern[str]:
    before = _GLUE_BEFORE if _is_word(keyword[0]) else ""
    after = _GLUE_AFTER if _is_word(keyword[-1]) else ""
    return re.compile(before + re.escape(keyword) + after)


# Python's re ignores case through lowercase mappings, RE2 through Unicode case folding, which
# has no simple folding for the Turkish dotted and dotless i: RE2's (?i)istanbul does not match
# İstanbul. The reference hides them from regex rules the way RE2 does (keywords fold them).
_RE2_UNFOLDED = str.maketrans({"İ": "\x00", "ı": "\x00"})


@dataclass
class ReferenceRule:
    rule: DetectionRule
    keywords: list[tuple[str, re.Pattern[str]]]
    regex: re.Pattern[str] | None


def reference_rule(rule: DetectionRule) -> ReferenceRule:
    if rule.kind is RuleKind.KEYWORDS:
        parts = (reference_fold(p)[0].strip() for p in re.split(r"[,\n\r]", rule.pattern))
        words = list(dict.fromkeys(p for p in parts if p))
        return ReferenceRule(rule, [(w, keyword_regex(w)) for w in words], None)
    if rule.kind is RuleKind.REGEX:
        flags = 0 if rule.case_sensitive else re.IGNORECASE
        return ReferenceRule(rule, [], re.compile(rule.pattern, flags))
    return ReferenceRule(rule, [], re.compile(DETECTORS[rule.pattern].candidate))


def _in_scope(rule: DetectionRule, target: ScanTarget) -> bool:
    chats_ok = not rule.chat_ids or target.chat_id in rule.chat_ids
    return chats_ok and (not rule.sender_ids or target.sender_id in rule.sender_ids)


def _keyword_span(
    ref: ReferenceRule, text: str, folded: str, starts: list[int]
) -> tuple[int, int] | None:
    best: tuple[int, int] | None = None
    for word, pattern in ref.keywords:
        if word not in folded:  # only a shortcut: the search below decides
            continue
        match = pattern.search(folded)
        if match and (best is None or (match.start(), -match.end()) < (best[0], -best[1])):
            best = match.span()
    return None if best is None else reference_span(text, starts, *best)


def _builtin_span(ref: ReferenceRule, text: str) -> tuple[int, int] | None:
    assert ref.regex is not None
    refine = DETECTORS[ref.rule.pattern].refine
    for match in ref.regex.finditer(text):
        span = refine(text, *match.span())
        if span is not None:
            return span
    return None


def reference_scan(rules: list[ReferenceRule], target: ScanTarget) -> list[RuleMatch]:
    found: list[RuleMatch] = []
    text = target.text
    folded, starts = reference_fold(text)
    unfolded = text.translate(_RE2_UNFOLDED)
    for ref in rules:
        rule = ref.rule
        if not rule.enabled or not _in_scope(rule, target) or not text:
            continue
        if rule.kind is RuleKind.KEYWORDS:
            span = _keyword_span(ref, text, folded, starts)
        elif rule.kind is RuleKind.REGEX:
            assert ref.regex is not None
            match = ref.regex.search(unfolded)
            span = match.span() if match else None
        else:
            span = _builtin_span(ref, text)
        if span is not None:
            found.append(RuleMatch(rule.id, target.pk, text[span[0] : span[1]], *span))
    return found


# --- generated rules and messages -----------------------------------------------------------

WORDS = str.split(
    "bogotá betra betrañe teléfono TELÉFONO telefono información informacion añadir niño "
    "año señora compañía Medellín León Cádiz café cafe straße strasse İstanbul istanbul "
    "wire transfer wallet bitcoin pay payment refund price seed phrase c++ #promo @admin "
    "e-mail co-op naïve façade résumé Ångström Øre Œuvre "
    "перевод кошелёк ёлка пароль Привет ЗДРАВСТВУЙТЕ "
    "مُحَمَّد محمد هَاتِف هاتف تحويل "
    "比特币 转账 钱包 交易所 送金 ビットコイン がんばって カード "
    "서울 한국어 안녕하세요 "
    "ΣΟΦΊΑ σοφία Ωμέγα ﬁnance ½ ＡＢＣ x² ℌ किताब कित नमस्ते नम"
)
DECOMPOSABLE = {"á": "a\u0301", "é": "e\u0301", "ñ": "n\u0303", "ó": "o\u0301", "ü": "u\u0308"}
NOISE = (
    " ", "  ", "\t", "\n", "\u00a0", ", ", ". ", "! ", "?", "¿", "¡", "(", ")", "-", "_",
    "🙂", "👍🏽", "👨\u200d👩\u200d👧", "❤️", "🇨🇴", "\u200b", "\u200e", "\u00ad", "ـ", "—",
)  # fmt: skip
ARTEFACTS = (
    "write to maria.lopez@example.com",
    "mail juan [at] gmail [dot] com",
    "call +57 300 123 4567 now",
    "tel +1 (555) 201-4567",
    "see https://example.org/path?q=1).",
    "go to example.com/page",
    "join t.me/+AbCdEfGhIjKlMn12 and https://t.me/durov/123",
    "send 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa or BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
    "eth 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed tron TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
    "IBAN GB82 WEST 1234 5698 7654 32",
    "card 4111 1111 1111 1111",
)
REGEX_FAMILY = (
    "{w}[0-9]{{2,4}}",
    "(?:pago|payment|оплата) ?[0-9]+",
    "{w} +{w2}",
    "[A-Z]{{2}}-[0-9]{{3}}",
    "#{w}[a-z]*",
    "{w}|{w2}",
    "(?:usdt|btc) ?[0-9]+(?:[.,][0-9]+)?",
    "[0-9]{{3}}-[0-9]{{2}}",
)


def _surface(rng: random.Random, word: str) -> str:
    """The word as people type it: any case, accents sometimes decomposed."""
    roll = rng.random()
    word = word.upper() if roll < 0.15 else word.capitalize() if roll < 0.3 else word
    if rng.random() < 0.2:
        word = "".join(DECOMPOSABLE.get(c, c) for c in word)
    return word


def make_message(rng: random.Random) -> str:
    parts: list[str] = []
    for _ in range(rng.randint(1, 14)):
        parts.append(_surface(rng, rng.choice(WORDS)))
        parts.append(rng.choice(NOISE) if rng.random() < 0.35 else rng.choice(("", " ", " ")))
    if rng.random() < 0.2:
        parts.append(" " + rng.choice(ARTEFACTS))
    if rng.random() < 0.05:  # random code points, astral and combining ones included
        parts.append("".join(chr(rng.randrange(0x20, 0x30000)) for _ in range(6)))
    return "".join(parts)


def _keyword_list(rng: random.Random) -> str:
    words = rng.sample(WORDS, rng.randint(1, 5))
    if rng.random() < 0.3:
        words.append(" ".join(rng.sample(WORDS, 2)))  # a phrase
    if rng.random() < 0.1:
        words.append("   ")  # an empty entry, ignored
    return rng.choice((", ", ",", "\n")).join(words)


def make_rules(rng: random.Random, count: int) -> list[DetectionRule]:
    ascii_words = [w.lower() for w in WORDS if w.isascii() and w.isalpha()]
    rules = []
    for rule_id in range(1, count + 1):
        roll = rng.random()
        case_sensitive = False
        if roll < 0.7:
            kind, pattern = RuleKind.KEYWORDS, _keyword_list(rng)
        elif roll < 0.93:
            template = rng.choice(REGEX_FAMILY)
            pattern = template.format(w=rng.choice(ascii_words), w2=rng.choice(ascii_words))
            kind, case_sensitive = RuleKind.REGEX, rng.random() < 0.2
        else:
            kind, pattern = RuleKind.BUILTIN, rng.choice(BUILTIN_NAMES)
        rules.append(
            DetectionRule(
                id=rule_id,
                name=f"r{rule_id}",
                kind=kind,
                pattern=pattern,
                case_sensitive=case_sensitive,
                enabled=rng.random() > 0.05,
                chat_ids=frozenset({rng.randint(1, 3)}) if rng.random() < 0.1 else frozenset(),
                sender_ids=frozenset({7}) if rng.random() < 0.05 else frozenset(),
            )
        )
    return rules


def _targets(rng: random.Random, count: int) -> list[ScanTarget]:
    return [
        ScanTarget(pk, rng.randint(1, 3), rng.choice((7, 8, None)), make_message(rng))
        for pk in range(count)
    ]


# --- the comparisons ------------------------------------------------------------------------


def test_fast_folding_equals_the_character_by_character_definition() -> None:
    rng = random.Random(SEED)
    for target in _targets(rng, MESSAGES):
        assert fold_for_matching(target.text) == reference_fold(target.text)[0], target.text


def test_folding_every_bmp_character_alone_and_in_company() -> None:
    for code in range(0, 0x10000, 7):
        text = f"Ab{chr(code)}É {chr(code)}"
        assert fold_for_matching(text) == reference_fold(text)[0], hex(code)


@pytest.mark.parametrize("seed", [SEED, SEED + 1])
def test_engine_equals_brute_force_reference(seed: int) -> None:
    rng = random.Random(seed)
    rules = make_rules(rng, RULES)
    targets = _targets(rng, MESSAGES)
    compiled = compile_rules(rules)
    reference = [reference_rule(rule) for rule in rules]
    expected_rejects = {
        r.id for r in rules if r.enabled and r.kind is RuleKind.KEYWORDS and not r.pattern.strip()
    }
    assert set(compiled.rejected) == expected_rejects

    total = 0
    for target in targets:
        expected = sorted(reference_scan(reference, target), key=lambda m: m.rule_id)
        assert compiled.scan(target) == expected, target.text
        total += len(expected)
    assert total > MESSAGES // 2  # the comparison is about real matches, not empty lists


def test_scan_many_is_scan_message_by_message() -> None:
    rng = random.Random(SEED + 2)
    compiled = compile_rules(make_rules(rng, 100))
    targets = _targets(rng, 300)
    assert compiled.scan_many(targets) == [m for t in targets for m in compiled.scan(t)]
