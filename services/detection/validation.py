"""Rule validation with the exact, user-facing reason a pattern is rejected."""

from __future__ import annotations

from core.domain.detection import RuleKind
from core.errors import InvalidInputError
from services.detection.builtins import BUILTIN_NAMES, DETECTORS, Detector
from services.detection.keywords import parse_keywords
from services.detection.regexes import Regex, encode, rule_source


def validate_rule(kind: RuleKind, pattern: str, *, max_length: int) -> None:
    """Raise InvalidInputError saying what to change when the rule cannot be used as given."""
    if not pattern.strip():
        raise InvalidInputError("The pattern is empty.")
    if len(pattern) > max_length:
        raise InvalidInputError(
            f"The pattern is {len(pattern)} characters long; the limit is {max_length}."
        )
    if kind is RuleKind.REGEX:
        compile_rule_regex(pattern, case_sensitive=False)
    elif kind is RuleKind.KEYWORDS:
        rule_keywords(pattern)
    else:
        builtin_detector(pattern)


def compile_rule_regex(pattern: str, *, case_sensitive: bool) -> tuple[str, Regex]:
    """(RE2 source, compiled regex) of a regex rule; rejects patterns that match empty text."""
    source = rule_source(pattern, case_sensitive)
    try:
        regex = Regex(source)
    except InvalidInputError:
        Regex(pattern)  # so that RE2's message quotes the pattern as the admin wrote it
        raise
    if regex.search(encode("")) is not None:
        raise InvalidInputError(
            "The regular expression matches an empty text, so it would match every message; "
            "make it require at least one character."
        )
    return source, regex


def rule_keywords(pattern: str) -> list[str]:
    keywords = parse_keywords(pattern)
    if not keywords:
        raise InvalidInputError(
            "The keyword list has no usable keyword; separate keywords with commas or new lines."
        )
    return keywords


def builtin_detector(pattern: str) -> Detector:
    detector = DETECTORS.get(pattern.strip().lower())
    if detector is None:
        raise InvalidInputError(
            f"Unknown built-in detector {pattern.strip()!r}; valid names: "
            f"{', '.join(BUILTIN_NAMES)}."
        )
    return detector
