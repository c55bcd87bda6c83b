"""Rule scopes (chats, senders), and the rules of a candidate a message admits, per chat."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from core.domain.detection import ScanTarget


@dataclass(frozen=True, slots=True)
class Scope:
    """The chats and senders a rule is limited to (empty: any)."""

    chat_ids: frozenset[int]
    sender_ids: frozenset[int]

    def admits(self, target: ScanTarget) -> bool:
        if self.chat_ids and target.chat_id not in self.chat_ids:
            return False
        return not self.sender_ids or target.sender_id in self.sender_ids


class Audience(list[int]):
    """Indexes of the rules that share one candidate and check, and which a message admits.

    Rules limited to chats only are looked up once per chat: a built-in an admin enabled for
    a few chats at a time is asked about on every message its trigger fires in.
    """

    __slots__ = ("_by_chat", "_chat_scoped", "_open", "_sender_scoped")

    def __init__(self, rules: list[int]) -> None:
        super().__init__(rules)
        self._open: list[int] = self  # until bound: every rule, as added
        self._chat_scoped: list[tuple[int, frozenset[int]]] = []
        self._sender_scoped: list[tuple[int, Scope]] = []
        self._by_chat: dict[int, list[int]] = {}

    def bind(self, scopes: Mapping[int, Scope]) -> None:
        """Sort the rules by scope (``scopes``: rule index -> scope, for limited rules only)."""
        self._open = [rule for rule in self if rule not in scopes]
        limited = [(rule, scopes[rule]) for rule in self if rule in scopes]
        self._chat_scoped = [(rule, s.chat_ids) for rule, s in limited if not s.sender_ids]
        self._sender_scoped = [(rule, scope) for rule, scope in limited if scope.sender_ids]
        self._by_chat.clear()

    def admitted(self, target: ScanTarget) -> list[int]:
        """The rules whose scope admits ``target``'s chat and sender."""
        if not self._chat_scoped and not self._sender_scoped:
            return self._open
        admitted = self._by_chat.get(target.chat_id)
        if admitted is None:
            chat = target.chat_id
            admitted = self._open + [rule for rule, chats in self._chat_scoped if chat in chats]
            self._by_chat[chat] = admitted
        if self._sender_scoped:
            admitted = admitted + [r for r, scope in self._sender_scoped if scope.admits(target)]
        return admitted
