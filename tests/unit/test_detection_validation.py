"""Rule validation: the admin is told exactly why a pattern is refused."""

from __future__ import annotations

import pytest

from core.domain.detection import RuleKind
from core.errors import InvalidInputError
from services.detection.builtins import BUILTIN_NAMES
from services.detection.validation import validate_rule


def reason(kind: RuleKind, pattern: str, max_length: int = 500) -> str:
    with pytest.raises(InvalidInputError) as caught:
        validate_rule(kind, pattern, max_length=max_length)
    return str(caught.value)


@pytest.mark.parametrize("kind", list(RuleKind))
@pytest.mark.parametrize("pattern", ["", "   ", "\n\t"])
def test_empty_patterns_are_refused(kind: RuleKind, pattern: str) -> None:
    assert reason(kind, pattern) == "The pattern is empty."


def test_too_long_patterns_are_refused_with_both_lengths() -> None:
    assert reason(RuleKind.KEYWORDS, "a" * 501) == (
        "The pattern is 501 characters long; the limit is 500."
    )
    validate_rule(RuleKind.KEYWORDS, "a" * 500, max_length=500)


@pytest.mark.parametrize(
    ("pattern", "re2_says", "hint"),
    [
        ("(?=pay)", "invalid perl operator: (?=", "RE2 has no lookahead (?=…)"),
        ("a(?!b)", "invalid perl operator: (?!", "RE2 has no lookahead"),
        ("(?<=@)\\w+", "invalid perl operator: (?<", "RE2 has no lookbehind"),
        ("(a)\\1", "invalid escape sequence: \\1", "RE2 has no backreferences"),
        ("(?>ab)", "invalid perl operator: (?>", "RE2 has no atomic groups"),
        ("a*+", "bad repetition operator: *+", "possessive quantifiers"),
    ],
)
def test_regexes_re2_cannot_run_get_its_message_and_a_plain_hint(
    pattern: str, re2_says: str, hint: str
) -> None:
    message = reason(RuleKind.REGEX, pattern)
    assert message.startswith("RE2 cannot compile this regular expression: ")
    assert re2_says in message
    assert hint in message


@pytest.mark.parametrize(
    ("pattern", "re2_says"),
    [
        ("[a-", "missing ]: [a-"),
        ("(ab", "missing ): (ab"),
        ("a{2000}", "invalid repetition size: {2000}"),
    ],
)
def test_other_invalid_regexes_get_re2s_own_message(pattern: str, re2_says: str) -> None:
    message = reason(RuleKind.REGEX, pattern)
    assert re2_says in message
    assert "RE2 has no" not in message


@pytest.mark.parametrize("pattern", ["a*", "x?", "^", "(?:)|b", "$"])
def test_regexes_that_match_an_empty_text_are_refused(pattern: str) -> None:
    assert "matches an empty text" in reason(RuleKind.REGEX, pattern)


@pytest.mark.parametrize("pattern", [r"\bpay(ment)?\b", r"(a+)+$", r"(?i)teléfono", r"\p{Han}+"])
def test_valid_regexes_pass(pattern: str) -> None:
    validate_rule(RuleKind.REGEX, pattern, max_length=500)


def test_keyword_lists_need_one_usable_keyword() -> None:
    message = reason(RuleKind.KEYWORDS, " , ,\n, ")
    assert message == (
        "The keyword list has no usable keyword; separate keywords with commas or new lines."
    )
    assert "no usable keyword" in reason(RuleKind.KEYWORDS, "\u0301, \u064b")  # marks only
    validate_rule(RuleKind.KEYWORDS, " , pago,", max_length=500)


def test_unknown_built_ins_list_the_valid_names() -> None:
    message = reason(RuleKind.BUILTIN, "passport")
    assert message == (
        "Unknown built-in detector 'passport'; valid names: " + ", ".join(BUILTIN_NAMES) + "."
    )
    assert "bitcoin" in message and "telegram_invite" in message


@pytest.mark.parametrize("name", [*BUILTIN_NAMES, " IBAN ", "Email"])
def test_built_in_names_are_accepted_in_any_case(name: str) -> None:
    validate_rule(RuleKind.BUILTIN, name, max_length=50)
