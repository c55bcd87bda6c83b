"""Rules as admins type them: one-line specs, names, backtest targets, chat lists, patterns."""

from __future__ import annotations

import pytest

from core.domain.detection import DetectionRule, RuleKind
from core.errors import InvalidInputError
from services.detection.rule_input import (
    RuleSpec,
    builtin_rules,
    check_rule_name,
    parse_rule_spec,
    parse_test_target,
    pattern_problem,
    scope_tokens,
)
from services.detection.validation import validate_rule


@pytest.mark.parametrize(
    ("line", "spec"),
    [
        (r"leaks regex \bORD-\d+", RuleSpec("leaks", RuleKind.REGEX, r"\bORD-\d+")),
        ("cards KEYWORDS visa, amex", RuleSpec("cards", RuleKind.KEYWORDS, "visa, amex")),
        ("cards kw visa", RuleSpec("cards", RuleKind.KEYWORDS, "visa")),
        ("x re a  b", RuleSpec("x", RuleKind.REGEX, "a  b")),  # inner spaces kept
        ("builtin IBAN", RuleSpec("", RuleKind.BUILTIN, "iban")),
        ("mine builtin card", RuleSpec("mine", RuleKind.BUILTIN, "card")),
        ("builtin regex x", RuleSpec("builtin", RuleKind.REGEX, "x")),
    ],
)
def test_one_line_rule_specs(line: str, spec: RuleSpec) -> None:
    assert parse_rule_spec(line) == spec


@pytest.mark.parametrize("line", ["", "name", "name regex", "name glob *.x", "12 regex x"])
def test_unreadable_rule_specs_say_how_to_write_one(line: str) -> None:
    with pytest.raises(InvalidInputError, match=r"regex|number"):
        parse_rule_spec(line)


def test_rule_names_are_trimmed_and_cannot_pass_for_ids_or_commands() -> None:
    assert check_rule_name("  leaked \n cards ") == "leaked cards"
    for bad in ("", "   ", "x" * 65, "123", "#7", "/rules"):
        with pytest.raises(InvalidInputError):
            check_rule_name(bad)
    assert check_rule_name("x" * 64) == "x" * 64


@pytest.mark.parametrize(
    ("target", "parsed"),
    [
        (r" ORD-\d+ ", (RuleKind.REGEX, r"ORD-\d+")),
        ("kw: visa, amex", (RuleKind.KEYWORDS, "visa, amex")),
        ("KW:visa", (RuleKind.KEYWORDS, "visa")),
        ("builtin:iban", (RuleKind.BUILTIN, "iban")),
    ],
)
def test_backtest_targets(target: str, parsed: tuple[RuleKind, str]) -> None:
    assert parse_test_target(target) == parsed


def test_an_empty_backtest_target_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="give a pattern"):
        parse_test_target("  ")


def test_pattern_problems_are_the_validators_exact_reasons() -> None:
    for kind, pattern in (
        (RuleKind.REGEX, "(unclosed"),
        (RuleKind.REGEX, "a*"),
        (RuleKind.KEYWORDS, " , "),
        (RuleKind.BUILTIN, "nope"),
        (RuleKind.REGEX, "x" * 20),
    ):
        with pytest.raises(InvalidInputError) as refused:
            validate_rule(kind, pattern, max_length=10)
        assert pattern_problem(kind, pattern, max_length=10) == str(refused.value)
    assert pattern_problem(RuleKind.REGEX, r"\d+", max_length=10) is None
    assert pattern_problem(RuleKind.BUILTIN, "iban", max_length=10) is None


def test_scope_tokens_split_on_commas_and_spaces_once_each() -> None:
    tokens = scope_tokens("@alpha, -1001234 https://t.me/beta,,@alpha")
    assert tokens == ["@alpha", "-1001234", "https://t.me/beta"]


def test_scope_tokens_name_what_is_not_a_chat_reference() -> None:
    with pytest.raises(InvalidInputError, match="title, other"):
        scope_tokens("@ok title, other 12")
    with pytest.raises(InvalidInputError, match="list chats"):
        scope_tokens(" , ")


def test_builtin_rules_group_rules_by_detector() -> None:
    rules = [
        DetectionRule(1, "builtin:iban", RuleKind.BUILTIN, "iban"),
        DetectionRule(2, "eu ibans", RuleKind.BUILTIN, " IBAN "),
        DetectionRule(3, "words", RuleKind.KEYWORDS, "iban"),
    ]
    assert {name: [r.id for r in found] for name, found in builtin_rules(rules).items()} == {
        "iban": [1, 2]
    }
