"""Many messages scanned as one buffer, so that each RE2 program is asked once per chunk.

An RE2 call costs about a microsecond before it reads a byte, more than scanning a short
message takes. ``scan_many`` joins a chunk of messages into one buffer, each after a separator
(``\\n``); one program (the alternation of a group's patterns, or of every keyword) finds the
messages where some pattern may occur, jumping to the next message after each hit, and only
those are then asked, alone, exactly what ``scan`` asks of every message.

No message a pattern matches alone is missed when the pattern never asks where the text begins
or ends (no ``^``, ``$``, ``\\A``, ``\\z``): to ``\\b`` the separator on either side of a message
looks like the edge of a text, so a match in the message alone is a match in the buffer, within
the message and its separator. Patterns with anchors stay per message. A match spanning
messages only makes each of them a candidate.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import operator
from collections.abc import Iterable, Iterator, Sequence

from core.domain.detection import ScanTarget
from services.detection.builtins.base import TOKEN_START
from services.detection.regexes import Regex

SEPARATOR = b"\n"
MAX_CHUNK_MESSAGES = 1024
MAX_CHUNK_CHARS = 64 << 10  # a chunk's buffer stays small; a longer message goes alone
# A pattern opening with TOKEN_START takes the separator before a message as the character
# before its token, so in a buffer it needs no "^".
_TOKEN_CHAR = "[^0-9A-Za-z]"
_ANCHOR_ESCAPES = frozenset("AzQ")  # \A, \z, and \Q…\E quoting, whose text is not followed


class Joined:
    """Messages in one buffer, message ``k`` starting after the separator at ``starts[k]``."""

    __slots__ = ("data", "starts")

    def __init__(self, data: bytes, starts: list[int]) -> None:
        self.data = data
        self.starts = starts

    @classmethod
    def of(cls, parts: Sequence[bytes]) -> Joined:
        """The UTF-8 ``parts`` joined, each after a separator."""
        return cls(SEPARATOR + SEPARATOR.join(parts), separator_positions(list(map(len, parts))))

    def touched(self, regex: Regex) -> list[int]:
        """Messages (ascending) touched by a match of ``regex``, its separator included.

        Every message in which ``regex`` matches alone is among them (for a pattern with no
        anchors, see :func:`batch_pattern`); the caller asks each of them alone.
        """
        data, starts, search = self.data, self.starts, regex.search
        part_at = functools.partial(bisect.bisect_right, starts)  # minus one: the message
        found: list[int] = []
        decided = -1  # every message up to here is in ``found`` or has no match
        while (span := search(data, starts[decided + 1])) is not None:
            begin, end = span
            # From the byte before the match: a match at a message's very end (empty, or
            # using the separator after it) is one of that message's.
            first = part_at(begin - 1) - 1 if begin else 0
            last = part_at(max(begin, end - 1)) - 1
            found.extend(range(max(first, decided + 1), last + 1))
            decided = last
            if decided + 1 >= len(starts):
                break
        return found


def separator_positions(lengths: Sequence[int]) -> list[int]:
    """Where the separator before each part is, when every part follows one."""
    # 0, l0 + 1, l0 + l1 + 2, ...: prefix sums plus the separators before, all in C.
    return list(map(operator.add, itertools.accumulate(lengths[:-1], initial=0), itertools.count()))


def anchor_free(pattern: str) -> bool:
    """True when the RE2 pattern has no ``^``, ``$``, ``\\A`` or ``\\z`` (conservatively)."""
    index, size = 0, len(pattern)
    while index < size:
        char = pattern[index]
        if char == "\\":
            if pattern[index + 1 : index + 2] in _ANCHOR_ESCAPES:
                return False
            index += 2
        elif char == "[":
            index = _class_end(pattern, index)
            if index < 0:
                return False
        elif char in "^$":
            return False
        else:
            index += 1
    return True


def _class_end(pattern: str, index: int) -> int:
    """Index after the character class opening at ``index``; -1 when unsure where it ends."""
    index += 1
    if pattern.startswith("^", index):
        index += 1
    if pattern.startswith("]", index):  # a "]" first in a class is a literal
        index += 1
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
        elif pattern.startswith("[:", index):  # [:alpha:], as RE2 reads it
            close = pattern.find(":]", index + 2)
            if close < 0:
                return -1
            index = close + 2
        elif char == "]":
            return index + 1
        else:
            index += 1
    return -1


def batch_pattern(pattern: str) -> str | None:
    """The form of a set pattern that finds its messages in a joined buffer, or None if none."""
    if pattern.startswith(TOKEN_START):
        pattern = _TOKEN_CHAR + pattern[len(TOKEN_START) :]
    return pattern if anchor_free(pattern) else None


def chunks(targets: Iterable[ScanTarget]) -> Iterator[list[ScanTarget]]:
    """Targets with text, in order, in chunks of bounded size."""
    chunk: list[ScanTarget] = []
    chars = 0
    for target in targets:
        text = target.text
        if not text:
            continue
        chunk.append(target)
        chars += len(text)
        if len(chunk) >= MAX_CHUNK_MESSAGES or chars >= MAX_CHUNK_CHARS:
            yield chunk
            chunk, chars = [], 0
    if chunk:
        yield chunk
