"""The compiled rule set: linear RE2 set passes per message, then only the rules they point at.

Per message: an RE2 set pass over the text for the regex rules and one for the built-ins'
triggers say which patterns occur, and only those are searched (RE2) and checked; the text
is folded, an RE2 pass says whether any keyword occurs, and only then the Aho–Corasick
automaton finds which and where. No step can backtrack, so no rule can stall a scan.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from core.domain.detection import DetectionRule, RuleKind, RuleMatch, ScanTarget
from core.errors import InvalidInputError
from services.detection.folding import OffsetMap, fold_text
from services.detection.keywords import KeywordMatcher
from services.detection.regexes import SET_MAX_MEM, Candidate, Refiner, refined_span
from services.detection.triggers import PatternGroup
from services.detection.validation import builtin_detector, compile_rule_regex, rule_keywords

Span = tuple[int, int]
_UNPLACED = "RE2 cannot fit this pattern in a rule set."


@dataclass(frozen=True, slots=True)
class _Scope:
    chat_ids: frozenset[int]
    sender_ids: frozenset[int]

    def admits(self, target: ScanTarget) -> bool:
        if self.chat_ids and target.chat_id not in self.chat_ids:
            return False
        return not self.sender_ids or target.sender_id in self.sender_ids


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
            index: _Scope(rule.chat_ids, rule.sender_ids)
            for index, rule in enumerate(prepared.accepted)
            if rule.chat_ids or rule.sender_ids
        }

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
            data = text.encode("utf-8", "surrogatepass")
            for group in self._groups:
                for entry in group.hits(data):
                    for candidate in group.candidates[entry]:
                        self._candidate_spans(candidate, target, data, found)
        if self._has_keywords:
            folded, collapsed = fold_text(text)
            earliest = self._keywords.earliest(folded)
            if earliest:
                self._keyword_spans(target, OffsetMap(text, folded, collapsed), earliest, found)
        if not found:
            return []
        ids, pk = self._ids, target.pk
        return [
            RuleMatch(ids[index], pk, text[start:end], start, end)
            for index, (start, end) in sorted(found.items())
        ]

    def scan_many(self, targets: Iterable[ScanTarget]) -> list[RuleMatch]:
        """The matches in every message, message by message."""
        matches: list[RuleMatch] = []
        scan = self.scan
        for target in targets:
            matches.extend(scan(target))
        return matches

    def _wanted(self, rules: list[int], target: ScanTarget) -> list[int]:
        scopes = self._scopes
        if not scopes:
            return rules
        return [rule for rule in rules if rule not in scopes or scopes[rule].admits(target)]

    def _candidate_spans(
        self, candidate: Candidate, target: ScanTarget, data: bytes, found: dict[int, Span]
    ) -> None:
        text = target.text
        if len(candidate.users) == 1:  # the usual case: one regex rule, or one built-in
            refine, rules = candidate.users[0]
            wanted = self._wanted(rules, target) if self._scopes else rules
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
        for refine, rules in candidate.users:
            wanted = self._wanted(rules, target)
            if not wanted or not shared:
                continue
            span = shared[0] if refine is None else refined_span(refine, text, shared)
            if span is not None:
                found.update(dict.fromkeys(wanted, span))

    def _keyword_spans(
        self,
        target: ScanTarget,
        offsets: OffsetMap,
        earliest: dict[int, Span],
        found: dict[int, Span],
    ) -> None:
        scopes = self._scopes
        for rule, (start, end) in earliest.items():
            if rule in scopes and not scopes[rule].admits(target):
                continue
            found[rule] = offsets.span(start, end)


def compile_rules(rules: Sequence[DetectionRule]) -> CompiledRuleSet:
    """Compile the enabled rules (invalid ones end up in ``rejected``, never raise)."""
    return CompiledRuleSet(rules)
