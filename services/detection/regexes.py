"""Regex and built-in rules: RE2 programs searched individually once the set says they occur.

The sets (:mod:`services.detection.triggers`) only say which patterns occur somewhere; those
few are then searched here, with RE2 too, so nothing can backtrack. A built-in puts a short
*trigger* in its set rather than its candidate pattern (see ``builtins.base.Detector``): long
counted repetitions such as ``{25,34}``, restarted at every character, multiplied the DFA's
states for no gain.

RE2 is driven through google-re2's C++ binding (``re2._re2``) over UTF-8 bytes encoded once
per message: the package's pure-Python wrapper re-encodes the text and rebuilds offsets on
every call, which cost ~15 µs per search against ~1 µs here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import re2
from re2 import _re2

from core.errors import InvalidInputError
from services.detection.scopes import Audience

# A built-in detector's second opinion on a candidate span: the span to report (possibly
# trimmed), or None when the candidate is not a real hit.
Refiner = Callable[[str, int, int], tuple[int, int] | None]

SET_MAX_MEM = 64 << 20  # RE2's budget for the combined program and its DFA cache
REGEX_MAX_MEM = 8 << 20  # RE2's default, per individual rule
_UNANCHORED = _re2.RE2.Anchor.UNANCHORED
_NO_MATCH = (-1, -1)
_HINTS = (
    (("(?=", "(?!"), "RE2 has no lookahead (?=…) or (?!…); rewrite without it"),
    (("(?<=", "(?<!"), "RE2 has no lookbehind (?<=…) or (?<!…); rewrite without it"),
    (
        ("\\1", "\\2", "\\3", "\\k<", "(?P="),
        "RE2 has no backreferences (\\1); rewrite without them",
    ),
    (("(?>", "*+", "++", "?+", "}+"), "RE2 has no atomic groups or possessive quantifiers"),
)


def re2_options(max_mem: int, *, longest_match: bool = False) -> Any:
    options = re2.Options()
    options.max_mem = max_mem
    options.longest_match = longest_match
    options.never_capture = True  # only the whole match is reported
    options.log_errors = False  # rejected patterns are reported to the admin, not to stderr
    return options


def encode(text: str) -> bytes:
    # surrogatepass: exported texts can hold lone surrogates; RE2 reads each as one character.
    return text.encode("utf-8", "surrogatepass")


def rule_source(pattern: str, case_sensitive: bool) -> str:
    return pattern if case_sensitive else f"(?i){pattern}"


class Regex:
    """One RE2 program searched over the UTF-8 bytes of a message.

    ``locator``: leftmost-longest matching, for programs asked only where some match is; its
    DFA states are sets rather than ordered lists, so there are fewer of them to build.
    """

    __slots__ = ("_program",)

    def __init__(self, source: str, max_mem: int = REGEX_MAX_MEM, *, locator: bool = False) -> None:
        self._program = _re2.RE2(encode(source), re2_options(max_mem, longest_match=locator))
        if not self._program.ok():
            raise InvalidInputError(_explain(source, self._program.error()))

    def search(self, data: bytes, start: int = 0) -> tuple[int, int] | None:
        """Byte span of the first match at or after byte ``start``."""
        span: tuple[int, int] = self._program.Match(_UNANCHORED, data, start, len(data))[0]
        return None if span == _NO_MATCH else span


def _explain(source: str, reason: bytes | str) -> str:
    if isinstance(reason, bytes):
        reason = reason.decode("utf-8", "replace")
    hints = [f"{hint}." for needles, hint in _HINTS if any(n in source for n in needles)]
    return "\n".join([f"RE2 cannot compile this regular expression: {reason}", *hints])


def char_span(text: str, data: bytes, span: tuple[int, int]) -> tuple[int, int]:
    """Character offsets of a byte span of ``data`` (the UTF-8 of ``text``)."""
    if len(data) == len(text):  # ASCII: bytes are characters
        return span
    start = len(data[: span[0]].decode("utf-8", "surrogatepass"))
    return start, start + len(data[span[0] : span[1]].decode("utf-8", "surrogatepass"))


@dataclass(slots=True)
class Candidate:
    """One distinct pattern of the set and the rules (grouped by refiner) that use it."""

    regex: Regex
    users: list[tuple[Refiner | None, Audience]] = field(default_factory=list)

    def add(self, refine: Refiner | None, rule: int) -> None:
        for known, rules in self.users:
            if known is refine:
                rules.append(rule)
                return
        self.users.append((refine, Audience([rule])))

    def first_span(self, text: str, data: bytes) -> tuple[int, int] | None:
        """Character span of the first match."""
        found = self.regex.search(data)
        return None if found is None else char_span(text, data, found)

    def spans(self, text: str, data: bytes) -> Iterator[tuple[int, int]]:
        """Character spans of successive non-overlapping matches."""
        position = 0
        while (found := self.regex.search(data, position)) is not None:
            yield char_span(text, data, found)
            position = found[1] if found[1] > found[0] else found[1] + 1

    def refined_first(self, refine: Refiner, text: str, data: bytes) -> tuple[int, int] | None:
        """The first match the refiner accepts, as it reports it (``refined_span``, unrolled)."""
        search, ascii_text = self.regex.search, len(data) == len(text)
        position = 0
        while (found := search(data, position)) is not None:
            start, end = found if ascii_text else char_span(text, data, found)
            refined = refine(text, start, end)
            if refined is not None:
                return refined
            position = found[1] if found[1] > found[0] else found[1] + 1
        return None


def refined_span(
    refine: Refiner, text: str, spans: Iterable[tuple[int, int]]
) -> tuple[int, int] | None:
    """The first candidate span the built-in's refiner accepts, as it reports it."""
    for start, end in spans:
        refined = refine(text, start, end)
        if refined is not None:
            return refined
    return None
