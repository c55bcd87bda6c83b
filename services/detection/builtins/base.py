"""What a built-in detector is, and the neighbourhood checks most of them share."""

from __future__ import annotations

from dataclasses import dataclass

from services.detection.regexes import Refiner

# Triggers of tokens that must stand alone start here: without it every "1", "3" or "T" inside
# a word would start another count to 25 in the DFA, and the sets of counts in flight made the
# combined DFA's states explode on fresh text.
TOKEN_START = "(?:^|[^0-9A-Za-z])"


@dataclass(frozen=True, slots=True)
class Detector:
    """A built-in an admin enables by name.

    ``trigger`` goes into the RE2 set with the regex rules: a short prefix of ``candidate``
    (after :data:`TOKEN_START` when ``refine`` rejects glued tokens), so it occurs wherever a
    candidate ``refine`` could accept does. When it fires, ``candidate`` (RE2 syntax kept
    inside what Python's ``re`` shares, so tests can replay it) finds the look-alikes, and
    ``refine`` checks each (checksum, table, context) and returns the span to report, or None
    when it is not a real hit.
    """

    name: str
    description: str
    trigger: str
    candidate: str
    refine: Refiner


def glued_before(text: str, start: int) -> bool:
    """True when the character before ``start`` continues the same token."""
    return start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_")


def glued_after(text: str, end: int) -> bool:
    return end < len(text) and (text[end].isalnum() or text[end] == "_")


def standalone(text: str, start: int, end: int) -> bool:
    """The span is a whole token: no letter, digit or underscore touches either side."""
    return not glued_before(text, start) and not glued_after(text, end)
