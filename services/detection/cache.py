"""Compiled rule sets kept by content, so an unchanged rule set is never compiled twice."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence

from core.domain.detection import DetectionRule
from services.detection.engine import CompiledRuleSet, compile_rules

Compiler = Callable[[Sequence[DetectionRule]], CompiledRuleSet]


def rule_set_key(rules: Sequence[DetectionRule]) -> Hashable:
    """What decides matching: enabled rules' id, kind, pattern, case and scope (order-free).

    Name, severity, cooldown and mute do not change what matches, so editing them keeps the
    compiled set; toggling a rule off and on again finds the earlier set still cached.
    """
    return tuple(
        sorted(
            (
                rule.id,
                rule.kind.value,
                rule.pattern,
                rule.case_sensitive,
                tuple(sorted(rule.chat_ids)),
                tuple(sorted(rule.sender_ids)),
            )
            for rule in rules
            if rule.enabled
        )
    )


class RuleSetCache:
    """An LRU of compiled rule sets (``size`` from DETECTION_CACHE_SIZE; 0 disables it)."""

    def __init__(self, size: int, compiler: Compiler = compile_rules) -> None:
        if size < 0:
            raise ValueError("cache size must be >= 0")
        self._size = size
        self._compiler = compiler
        self._entries: OrderedDict[Hashable, CompiledRuleSet] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, rules: Sequence[DetectionRule]) -> CompiledRuleSet:
        """The compiled set for ``rules``, compiled now only if not cached."""
        key = rule_set_key(rules)
        with self._lock:
            cached = self._entries.get(key)
            if cached is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return cached
            self.misses += 1
            compiled = self._compiler(rules)
            if self._size:
                self._entries[key] = compiled
                if len(self._entries) > self._size:
                    self._entries.popitem(last=False)
            return compiled

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
