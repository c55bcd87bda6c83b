"""Scopes: a candidate's rules that a message's chat and sender admit."""

from __future__ import annotations

from core.domain.detection import ScanTarget
from services.detection.scopes import Audience, Scope


def target(chat: int, sender: int | None) -> ScanTarget:
    return ScanTarget(1, chat, sender, "text")


def test_unbound_or_unscoped_rules_are_all_admitted() -> None:
    audience = Audience([3])
    audience.append(5)
    assert audience.admitted(target(1, 1)) == [3, 5]
    audience.bind({})
    assert audience.admitted(target(9, None)) == [3, 5]


def test_chat_and_sender_scopes_are_honoured_per_message() -> None:
    audience = Audience([1, 2, 3, 4])
    audience.bind(
        {
            2: Scope(frozenset({10}), frozenset()),
            3: Scope(frozenset(), frozenset({7})),
            4: Scope(frozenset({10}), frozenset({7})),
        }
    )
    assert audience.admitted(target(10, 7)) == [1, 2, 3, 4]
    assert audience.admitted(target(10, 8)) == [
        1,
        2,
    ]  # the chat's answer is cached, not the sender's
    assert audience.admitted(target(11, 7)) == [1, 3]
    assert audience.admitted(target(11, None)) == [1]
    assert audience.admitted(target(10, 7)) == [1, 2, 3, 4]
