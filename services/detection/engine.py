"""The compiled rule set: linear RE2 passes, then only the rules they point at.

Per message (``scan``): an RE2 set pass over the text for the regex rules and one for the
built-ins' triggers say which patterns occur, and only those are searched (RE2) and checked;
the text is folded, an RE2 pass says whether any keyword occurs, and only then the
Aho–Corasick automaton finds which and where. ``scan_many`` finds the same matches a chunk of
messages at a time: one pass over the chunk says which messages may hold a pattern or a
keyword (:mod:`services.detection.batch`), and only those are scanned as ``scan`` scans them.
No step can backtrack, so no rule can stall a scan.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from core.domain.detection import DetectionRule, RuleKind, RuleMatch, ScanTarget
from core.errors import InvalidInputError
from services.detection.batch import Joined, chunks
from services.detection.folding import OffsetMap, fold_text
from services.detection.keywords import KeywordMatcher
from services.detection.regexes import SET_MAX_MEM, Candidate, Refiner, encode, refined_span
from services.detection.scopes import Scope
from services.detection.triggers import PatternGroup
from services.detection.validation import builtin_detector, compile_rule_regex, rule_keywords

Span = tuple[int, int]
_UNPLACED = "RE2 cannot fit this pattern in a rule set."


@dataclass(slots=True)
class _Prepared:
    """Rules sorted into what the matchers are built from (indexes into ``accepted``)."""

    accepted: list[DetectionRule]
    keywords: list[tuple[int, list[str]]]
    # Set pattern -> searched pattern -> candidate, for regex rules and for built-ins.
    regexes: dict[str, dict[str, Candidate]]
    builtins: dict[str, dict[str, Candidate]]

    def pattern_groups(self) -> tuple[dict[str, dict[str, Candidate]], ...]:
        return self.regexes, self.builtins


class CompiledRuleSet:
    """Enabled, valid rules ready to scan; ``rejected`` maps the others' ids to the reason.

    Each rule reports at most one match per message: its first (for keywords, the earliest,
    longest on a tie). Matches come in rule-id order.
    """

    def __init__(self, rules: Sequence[DetectionRule], *, set_max_mem: int = SET_MAX_MEM) -> None:
        self.rejected: dict[int, str] = {}
        prepared = self._prepare_all(rules)
        self._ids = [rule.id for rule in prepared.accepted]
        self._keywords = KeywordMatcher(prepared.keywords)
        groups = [PatternGroup(entries, set_max_mem) for entries in prepared.pattern_groups()]
        for group in groups:
            self.rejected.update((self._ids[i], _UNPLACED) for i in group.unplaced_rules)
        self._groups = [group for group in groups if group]
        self._has_keywords = bool(self._keywords)  # looked up once: scan() runs per message
        self._scopes = {
            index: Scope(rule.chat_ids, rule.sender_ids)
            for index, rule in enumerate(prepared.accepted)
            if rule.chat_ids or rule.sender_ids
        }
        for group in self._groups:
            for candidate in itertools.chain.from_iterable(group.candidates):
                for _, audience in candidate.users:
                    audience.bind(self._scopes)

    def _prepare_all(self, rules: Sequence[DetectionRule]) -> _Prepared:
        prepared = _Prepared([], [], {}, {})
        for rule in sorted((r for r in rules if r.enabled), key=lambda r: r.id):
            try:
                self._prepare(rule, len(prepared.accepted), prepared)
            except InvalidInputError as exc:
                self.rejected[rule.id] = str(exc)
                continue
            prepared.accepted.append(rule)
        return prepared

    @staticmethod
    def _prepare(rule: DetectionRule, index: int, prepared: _Prepared) -> None:
        refine: Refiner | None = None
        if rule.kind is RuleKind.KEYWORDS:
            prepared.keywords.append((index, rule_keywords(rule.pattern)))
            return
        if rule.kind is RuleKind.REGEX:
            source, regex = compile_rule_regex(rule.pattern, case_sensitive=rule.case_sensitive)
            trigger, group = source, prepared.regexes
        else:
            detector = builtin_detector(rule.pattern)
            source, trigger, refine = detector.candidate, detector.trigger, detector.refine
            regex = compile_rule_regex(source, case_sensitive=True)[1]
            group = prepared.builtins
        candidates = group.setdefault(trigger, {})
        candidates.setdefault(source, Candidate(regex)).add(refine, index)

    @property
    def rule_ids(self) -> list[int]:
        """Ids of the rules this set scans for, ascending."""
        return [rule_id for rule_id in self._ids if rule_id not in self.rejected]

    def scan(self, target: ScanTarget) -> list[RuleMatch]:
        """The matches of every in-scope rule in one message."""
        text = target.text
        if not text:
            return []
        found: dict[int, Span] = {}
        if self._groups:
            data = encode(text)
            for group in self._groups:
                for entry in group.hits(data):
                    for candidate in group.candidates[entry]:
                        self._candidate_spans(candidate, target, data, found)
        if self._has_keywords:
            self._keyword_matches(target, fold_text(text), found, prefiltered=False)
        return self._matches(target, found)

    def scan_many(self, targets: Iterable[ScanTarget]) -> list[RuleMatch]:
        """The matches in every message: ``scan`` of each, concatenated, found a chunk at a time."""
        matches: list[RuleMatch] = []
        for chunk in chunks(targets):
            found = self._chunk_spans(chunk)
            for k in sorted(found):
                matches.extend(self._matches(chunk[k], found[k]))
        return matches

    def _chunk_spans(self, chunk: list[ScanTarget]) -> dict[int, dict[int, Span]]:
        """Message (index in ``chunk``) -> rule index -> span, for messages with a match."""
        found: dict[int, dict[int, Span]] = {}
        texts = [target.text for target in chunk]
        if self._groups:
            parts = [text.encode("utf-8", "surrogatepass") for text in texts]  # as encode() does
            joined = Joined.of(parts)
            for group in self._groups:
                # Pattern by pattern, then message by message: one program's DFA and one
                # check's code stay hot in the caches (5% at 1,000 rules).
                for entry, messages in group.chunk_hits(joined, parts).items():
                    for candidate in group.candidates[entry]:
                        for k in messages:
                            spans = found.setdefault(k, {})
                            self._candidate_spans(candidate, chunk[k], parts[k], spans)
        if self._has_keywords:
            for k, folded in self._keywords.candidates(texts):
                self._keyword_matches(chunk[k], folded, found.setdefault(k, {}), prefiltered=True)
        return found

    def _matches(self, target: ScanTarget, found: dict[int, Span]) -> list[RuleMatch]:
        if not found:
            return []
        ids, pk, text, make = self._ids, target.pk, target.text, RuleMatch._make
        return [
            make((ids[index], pk, text[start:end], start, end))  # _make: no keyword handling
            for index, (start, end) in sorted(found.items())
        ]

    def _candidate_spans(
        self, candidate: Candidate, target: ScanTarget, data: bytes, found: dict[int, Span]
    ) -> None:
        text = target.text
        if len(candidate.users) == 1:  # the usual case: one regex rule, or one built-in
            refine, audience = candidate.users[0]
            wanted = audience.admitted(target)
            if not wanted:
                return
            if refine is None:
                span = candidate.first_span(text, data)
            else:
                span = candidate.refined_first(refine, text, data)
            if span is not None:
                found.update(dict.fromkeys(wanted, span))
            return
        shared = list(candidate.spans(text, data))  # built-ins refining one pattern differently
        for refine, audience in candidate.users:
            wanted = audience.admitted(target)
            if not wanted or not shared:
                continue
            span = shared[0] if refine is None else refined_span(refine, text, shared)
            if span is not None:
                found.update(dict.fromkeys(wanted, span))

    def _keyword_matches(
        self,
        target: ScanTarget,
        folded_text: tuple[str, bool],
        found: dict[int, Span],
        *,
        prefiltered: bool,
    ) -> None:
        """``folded_text``: what ``fold_text`` returns for the target's text."""
        folded, collapsed = folded_text
        earliest = self._keywords.earliest(folded, prefiltered=prefiltered)
        if not earliest:
            return
        offsets = OffsetMap(target.text, folded, collapsed)
        original: dict[Span, Span] = {}  # rules sharing a keyword share its span
        scopes = self._scopes
        for rule, span in earliest.items():
            if scopes and rule in scopes and not scopes[rule].admits(target):
                continue
            mapped = original.get(span)
            if mapped is None:
                mapped = original[span] = offsets.span(*span)
            found[rule] = mapped


def compile_rules(rules: Sequence[DetectionRule]) -> CompiledRuleSet:
    """Compile the enabled rules (invalid ones end up in ``rejected``, never raise)."""
    return CompiledRuleSet(rules)
