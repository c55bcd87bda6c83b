"""Scanning ahead of the writes: an import's parser process finds the matches of each page it
drafts, and the scan on write takes them instead of scanning the page again.

The parser holds the rules of a snapshot taken when the import starts (``RuleSnapshot``) and
compiles them once; the importer's process, which writes, then only turns the matches into hit
rows. Matching is about a fifth of the import's work at 1,000 rules, and the parser's process
has a core of its own. Matches found with rules that have changed since (the ``key`` differs)
are dropped and the page is scanned on write as before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from core.domain.detection import Prematched, RuleMatch, ScanTarget
from core.domain.messages import ArchivedMessage
from services.detection.engine import CompiledRuleSet

UNKNOWN_PK = 0  # a drafted message has no row yet


def prematch(
    compiled: CompiledRuleSet, messages: Sequence[ArchivedMessage]
) -> dict[int, list[RuleMatch]]:
    """Position in ``messages`` -> what matched in that message (positions with a match only)."""
    found: dict[int, list[RuleMatch]] = {}
    targets = (
        ScanTarget(position, m.chat_id, m.sender_id, m.text) for position, m in enumerate(messages)
    )
    for rule_id, position, matched_text, start, end in compiled.scan_many(targets):
        match = RuleMatch(rule_id, UNKNOWN_PK, matched_text, start, end)
        found.setdefault(position, []).append(match)
    return found


def taken_matches(
    prematched: Prematched, written: Mapping[int, ArchivedMessage]
) -> tuple[list[RuleMatch], dict[int, ArchivedMessage]]:
    """The prematched matches of the ``written`` messages (pk -> message) that it covers, with
    their pks; and the written messages it does not cover, still to be scanned."""
    # By identity: the write path hands over the drafted objects themselves, and an object it
    # replaced (a NUL dropped from the text, say) is not one whose matches are known.
    positions = {id(message): position for position, message in enumerate(prematched.messages)}
    matches: list[RuleMatch] = []
    unscanned: dict[int, ArchivedMessage] = {}
    for pk, message in written.items():
        position = positions.get(id(message))
        if position is None:
            unscanned[pk] = message
        else:  # a NamedTuple's _replace costs several times a plain construction
            for rule_id, _, matched_text, start, end in prematched.matches.get(position, ()):
                matches.append(RuleMatch(rule_id, pk, matched_text, start, end))
    return matches, unscanned
