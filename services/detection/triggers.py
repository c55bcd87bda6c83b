"""Patterns behind RE2 sets: one linear pass per message says which ones occur at all.

The set only says which patterns occur somewhere in the text; the engine then searches just
those (RE2 again, so nothing can backtrack) to find where. If RE2 refuses the combined
program (its memory budget), the set is split in halves until every part fits; a pattern
that fits nowhere is reported so its rule can be rejected, never silently dropped.

Regex rules and built-in triggers go into two sets, not one: on a stream of fresh messages
the combined DFA kept discovering states (the products of both kinds' partial matches) and
cost about twice the two smaller sets, whose states settle quickly.

``scan_many`` asks the set only of the messages where one pass over a chunk of messages
(:mod:`services.detection.batch`) finds some pattern; patterns with anchors have a set of
their own, asked of every message.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from re2 import _re2

from core.errors import InvalidInputError
from services.detection.batch import Joined, batch_pattern
from services.detection.regexes import Candidate, Regex, encode, re2_options

_UNANCHORED = _re2.RE2.Anchor.UNANCHORED
_Placed = tuple[int, Any]  # index of the part's first pattern, and the compiled set


class TriggerSet:
    """Patterns ``0 .. n-1`` in as few RE2 sets as their memory budget allows."""

    def __init__(self, patterns: Sequence[str], max_mem: int) -> None:
        self.unplaced: list[int] = []  # patterns RE2 could fit in no set
        self._parts: list[_Placed] = []
        self._place([encode(p) for p in patterns], 0, max_mem)
        self._single = self._parts[0][1] if len(self._parts) == 1 else None

    def __bool__(self) -> bool:
        return bool(self._parts)

    def hits(self, data: bytes) -> list[int]:
        """Indexes of the patterns that occur in the UTF-8 ``data``."""
        if self._single is not None:
            found: list[int] = self._single.Match(data)
            return found
        found = []
        for offset, pattern_set in self._parts:
            found.extend(offset + index for index in pattern_set.Match(data))
        return found

    def _place(self, patterns: list[bytes], offset: int, max_mem: int) -> None:
        """One set for all patterns; halves it while RE2 refuses the combined program."""
        if not patterns:
            return
        pattern_set = _re2.Set(_UNANCHORED, re2_options(max_mem))
        added = all(pattern_set.Add(pattern) >= 0 for pattern in patterns)
        if added and pattern_set.Compile():
            self._parts.append((offset, pattern_set))
        elif len(patterns) == 1:
            self.unplaced.append(offset)
        else:
            half = len(patterns) // 2
            self._place(patterns[:half], offset, max_mem)
            self._place(patterns[half:], offset + half, max_mem)


class PatternGroup:
    """Patterns scanned by one RE2 set, each with the candidates to search when it fires."""

    def __init__(self, entries: dict[str, dict[str, Candidate]], max_mem: int) -> None:
        self.candidates = [list(by_source.values()) for by_source in entries.values()]
        self._set = TriggerSet(list(entries), max_mem)
        self.hits = self._set.hits
        self.unplaced_rules = [
            rule
            for entry in self._set.unplaced
            for candidate in self.candidates[entry]
            for _, rules in candidate.users
            for rule in rules
        ]
        self._chunked = _ChunkedPatterns(list(entries), self._set, max_mem)

    def __bool__(self) -> bool:
        return bool(self._set)

    def chunk_hits(self, joined: Joined, parts: Sequence[bytes]) -> dict[int, list[int]]:
        """Pattern -> the messages of a chunk it occurs in (ascending).

        Exactly what :meth:`hits` reports for each message (``parts``, in UTF-8) alone.
        """
        found: dict[int, list[int]] = {}
        for message, entry in self._chunked.hits(joined, parts):
            found.setdefault(entry, []).append(message)
        return found


class _ChunkedPatterns:
    """A group's patterns as ``scan_many`` asks them, a chunk of messages at a time.

    One program, the alternation of every pattern's buffer form, finds the messages where
    some pattern may occur; only those are asked the group's set, alone, as ``scan`` asks it.
    Patterns without a buffer form (anchors) have a set of their own, asked of every other
    message. When RE2 refuses either program, every message is asked the whole set.
    """

    def __init__(self, patterns: list[str], whole: TriggerSet, max_mem: int) -> None:
        self._whole = whole
        unplaced = set(whole.unplaced)
        forms = {e: batch_pattern(patterns[e]) for e in range(len(patterns)) if e not in unplaced}
        self._alone_entries = [entry for entry, form in forms.items() if form is None]
        self._alone = TriggerSet([patterns[entry] for entry in self._alone_entries], max_mem)
        # Sorted: RE2 factors the common prefixes of neighbouring alternatives.
        self._any = _alternation(sorted({f for f in forms.values() if f is not None}), max_mem)
        if self._alone.unplaced:
            self._any = None

    def hits(self, joined: Joined, parts: Sequence[bytes]) -> list[tuple[int, int]]:
        whole = self._whole.hits
        if self._any is None:
            return [(k, entry) for k, part in enumerate(parts) for entry in whole(part)]
        touched = joined.touched(self._any)
        pairs = [(k, entry) for k in touched for entry in whole(parts[k])]
        if self._alone_entries:
            entries, alone, skipped = self._alone_entries, self._alone.hits, set(touched)
            for k, part in enumerate(parts):
                if k not in skipped:
                    pairs.extend((k, entries[index]) for index in alone(part))
        return pairs


def _alternation(forms: list[str], max_mem: int) -> Regex | None:
    """One program matching wherever any of ``forms`` does (None: none, or RE2 refuses)."""
    if not forms:
        return None
    try:
        return Regex("|".join(f"(?:{form})" for form in forms), max_mem, locator=True)
    except InvalidInputError:
        return None
