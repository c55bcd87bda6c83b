"""The first pass: read the whole export, check every message, write nothing.

It is what makes a failed import leave the vault exactly as it was: the import pass starts only
after this pass has read the file to its end, and the checks that can fail are the same in both
(``check_message``). It also learns what the import pass needs up front: every chat's header
(wherever it sits in the chat object), its message count and whether it is a forum.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import tzinfo

from services.importer.chats import ChatFacts
from services.importer.mapper import InvalidMessageError, check_message
from services.importer.source import ExportSource
from services.importer.stream import ChatClosed, ChatHeader, ExportReader, MessagesRead

ReadProgress = Callable[[int, int], None]  # (bytes read, messages read)


@dataclass(slots=True)
class Validated:
    """What the first pass learned of the export."""

    chats: list[ChatFacts] = field(default_factory=list)
    messages: int = 0
    bytes_read: int = 0
    unknown_keys: Counter[str] = field(default_factory=Counter)
    repairs: Counter[str] = field(default_factory=Counter)


def validate_export(
    source: ExportSource, zone: tzinfo | None, progress: ReadProgress | None = None
) -> Validated:
    """Check ``source`` end to end; raises InvalidInputError naming where it broke."""
    result = Validated()
    forums: set[int] = set()
    with source.open_json() as stream:
        reader = ExportReader(stream, source.name)
        for event in reader:
            if isinstance(event, MessagesRead):
                _check_batch(reader, event, zone, forums)
                result.messages += len(event.messages)
                if progress is not None:
                    progress(reader.bytes_read, result.messages)
            elif isinstance(event, ChatClosed):
                result.chats.append(_facts(reader, event.header, forums))
        result.bytes_read = reader.bytes_read
        result.unknown_keys = reader.unknown_keys
        result.repairs = reader.repairs
    return result


def _check_batch(
    reader: ExportReader, event: MessagesRead, zone: tzinfo | None, forums: set[int]
) -> None:
    for offset, raw in enumerate(event.messages):
        try:
            check_message(raw, zone)
        except InvalidMessageError as problem:
            index = event.first_index + offset + 1
            known_id = raw.get("id") if isinstance(raw, dict) else None
            label = f" (id {known_id})" if isinstance(known_id, int) else ""
            where = f"{event.header.describe()}, message #{index}{label}"
            raise reader.invalid(str(problem), where) from None
        if raw.get("action") == "topic_created":
            forums.add(event.header.ordinal)


def _facts(reader: ExportReader, header: ChatHeader, forums: set[int]) -> ChatFacts:
    if not isinstance(header.id, int) or isinstance(header.id, bool):
        problem = "has no 'id'" if header.id is None else f"has id {header.id!r}, not a number"
        raise reader.invalid(f"{header.describe()} {problem}")
    return ChatFacts.from_header(header, header.ordinal in forums)
