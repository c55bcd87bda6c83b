"""Matches found ahead of the writes, and how the scan on write takes them."""

from __future__ import annotations

from dataclasses import replace

from core.domain.detection import DetectionRule, Prematched, RuleKind
from services.detection.engine import compile_rules
from services.detection.prematch import UNKNOWN_PK, prematch, taken_matches
from tests import factories as f

RULES = [
    DetectionRule(1, "city", RuleKind.KEYWORDS, "bogotá"),
    DetectionRule(2, "wire", RuleKind.REGEX, r"wire\s+transfer"),
]
TEXTS = ["estoy en Bogotá", "nothing here", "the wire transfer, from BOGOTA"]


def test_prematch_finds_what_the_scan_finds_by_position() -> None:
    compiled = compile_rules(RULES)
    messages = [f.message(i + 1, text=text) for i, text in enumerate(TEXTS)]
    found = prematch(compiled, messages)
    assert sorted(found) == [0, 2]
    assert [(m.rule_id, m.matched_text) for m in found[0]] == [(1, "Bogotá")]
    assert sorted((m.rule_id, m.matched_text) for m in found[2]) == [
        (1, "BOGOTA"),
        (2, "wire transfer"),
    ]
    assert {m.message_pk for ms in found.values() for m in ms} == {UNKNOWN_PK}


def test_taken_matches_get_their_pks_and_replaced_messages_are_left_to_scan() -> None:
    compiled = compile_rules(RULES)
    messages = [f.message(i + 1, text=text) for i, text in enumerate(TEXTS)]
    prematched = Prematched("key", messages, prematch(compiled, messages))
    replaced = replace(messages[2], text="wire transfer")  # the write path made a new object
    written = {10: messages[0], 11: messages[1], 12: replaced}
    matches, unscanned = taken_matches(prematched, written)
    assert [(m.rule_id, m.message_pk, m.matched_text) for m in matches] == [(1, 10, "Bogotá")]
    assert unscanned == {12: replaced}
