"""A page's chats and users reduced to the versions that change something.

A live micro-batch carries the chat and the sender of every event: ~500 copies of ~30 chats.
Upserting every copy costs a lookup, a comparison and a dictionary per copy; upserting each
entity once costs one. A copy that changes nothing the earlier ones said (``None`` fields are
unknown, not empty, as the repositories read them) is dropped. A copy that does change
something starts a new round, so a rename inside one batch still lands in the history tables
as its own change, exactly as if the events had been written one by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import Any, TypeVar

from core.domain.messages import ChatInfo, UserInfo

Entity = TypeVar("Entity", ChatInfo, UserInfo)

_FIELDS: dict[type[Any], tuple[str, ...]] = {
    kind: tuple(f.name for f in fields(kind) if f.name != "id") for kind in (ChatInfo, UserInfo)
}


def upsert_rounds(entities: Sequence[Entity]) -> list[list[Entity]]:
    """The versions to upsert, in rounds to write one after another (each in page order).

    Round ``k`` holds the ``k``-th version of every entity that changed at least ``k`` times
    within the page; nearly always there is one round, with one version per entity.
    """
    last: dict[int, Entity] = {}  # the latest copy seen of each entity (fast equality check)
    known: dict[int, dict[str, Any]] = {}  # what the kept versions say, merged
    rounds_of: dict[int, int] = {}
    rounds: list[list[Entity]] = []
    for entity in entities:
        seen = last.get(entity.id)
        last[entity.id] = entity
        if seen is not None and (seen is entity or seen == entity):
            continue
        merged = known.setdefault(entity.id, {})
        if seen is not None and not _tells_news(entity, merged):
            continue
        _merge(entity, merged)
        round_index = rounds_of.get(entity.id, 0)
        rounds_of[entity.id] = round_index + 1
        if round_index == len(rounds):
            rounds.append([])
        rounds[round_index].append(entity)
    return rounds


def _tells_news(entity: ChatInfo | UserInfo, merged: dict[str, Any]) -> bool:
    """Whether a known field of ``entity`` differs from what the earlier versions said."""
    for name in _FIELDS[type(entity)]:
        value = getattr(entity, name)
        if value is not None and merged.get(name) != value:
            return True
    return False


def _merge(entity: ChatInfo | UserInfo, merged: dict[str, Any]) -> None:
    for name in _FIELDS[type(entity)]:
        value = getattr(entity, name)
        if value is not None:
            merged[name] = value
