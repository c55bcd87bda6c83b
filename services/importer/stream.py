"""Streaming reader of ``result.json``: chats and their messages, never the whole file.

Python walks only the structure around the messages (the root, chat lists, chat headers,
skipped sections); each message is decoded whole by the C JSON scanner (``events.JsonCursor``),
and a batch holds only the messages one chunk of input completes.

Both forms are read the same way: a single-chat export is a chat at the root, a full-account
export has chats under ``chats.list`` and ``left_chats.list``. Chat header fields (``name``,
``type``, ``id``) may come before or after ``messages``: the header is complete at ``ChatClosed``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from core.errors import InvalidInputError
from services.importer.events import CHUNK_SIZE, JsonCursor, iterate, kind_of
from services.importer.repair import RepairingReader

HEADER_KEYS = frozenset({"name", "type", "id"})
CHAT_LISTS = ("chats", "left_chats")
# Full-account sections that hold no messages: read past, not counted as unknown.
ROOT_SECTIONS = frozenset(
    {"about", "personal_information", "profile_pictures", "stories", "contacts",
     "frequent_contacts", "sessions", "web_sessions", "other_data"}
)  # fmt: skip


@dataclass(slots=True)
class ChatHeader:
    """A chat's identity as the export writes it; complete once its object has been read."""

    ordinal: int
    section: str  # "chat" (single-chat export), "chats" or "left_chats"
    name: str | None = None
    type: str | None = None
    id: Any = None
    count: int = 0
    seen: set[str] = field(default_factory=set)

    def describe(self) -> str:
        parts = [f"chat #{self.ordinal + 1}"]
        if self.name:
            parts.append(repr(self.name))
        if self.id is not None:
            parts.append(f"(id {self.id})")
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class ChatOpened:
    header: ChatHeader


@dataclass(frozen=True, slots=True)
class MessagesRead:
    """Messages completed by one chunk; ``first_index`` is the position of the first in its chat."""

    header: ChatHeader
    first_index: int
    messages: list[Any]


@dataclass(frozen=True, slots=True)
class ChatClosed:
    header: ChatHeader


ReaderEvent = ChatOpened | MessagesRead | ChatClosed


class ExportReader:
    """Iterate a ``result.json`` stream as ``ChatOpened``/``MessagesRead``/``ChatClosed`` events.

    ``unknown_keys`` counts keys this importer does not know at the root and chat level;
    ``repairs`` counts fixed Desktop JSON bugs; ``bytes_read`` is the input consumed so far.
    """

    def __init__(
        self, stream: IO[bytes], name: str = "result.json", *, chunk_size: int = CHUNK_SIZE
    ) -> None:
        self._source = RepairingReader(stream)
        self._cursor = JsonCursor(self._source, name, chunk_size)
        self._chats = 0
        self.unknown_keys: Counter[str] = Counter()
        self.sections: Counter[str] = Counter()

    @property
    def bytes_read(self) -> int:
        return self._source.raw_bytes

    @property
    def repairs(self) -> Counter[str]:
        return self._source.repairs

    def invalid(self, problem: str, where: str = "", *, located: bool = True) -> InvalidInputError:
        return self._cursor.invalid(problem, where, located=located)

    def __iter__(self) -> Iterator[ReaderEvent]:
        char = self._cursor.peek()
        if char != "{":
            raise self._not_a_value(char, "the top level is {kind}, not a JSON object")
        self._cursor.take("{")
        yield from self._root()
        if not self._cursor.at_end():
            raise self.invalid("invalid JSON (unexpected data after the top-level object)")
        if not self._chats and not self.sections:
            raise self.invalid(
                "no 'messages' or 'chats': not a Telegram Desktop export", located=False
            )

    def _root(self) -> Iterator[ReaderEvent]:
        header: ChatHeader | None = None
        pending = ChatHeader(ordinal=-1, section="chat")
        for _ in iterate(self._cursor, "}"):
            key = self._cursor.key()
            if key == "messages":
                header = self._open(pending)
                yield ChatOpened(header)
                yield from self._messages(header)
            elif key in HEADER_KEYS:
                self._header_field(pending, key, key)
            elif key in CHAT_LISTS:
                self.sections[key] += 1
                yield from self._chat_list(key)
            elif key in ROOT_SECTIONS:
                self.sections[key] += 1
                self._cursor.skip_value()
            else:
                self.unknown_keys[f"{key} (top level)"] += 1
                self._cursor.skip_value()
        if header is not None:
            yield ChatClosed(header)

    def _open(self, header: ChatHeader) -> ChatHeader:
        header.ordinal = self._chats
        self._chats += 1
        return header

    def _chat_list(self, section: str) -> Iterator[ReaderEvent]:
        self._expect("{", f"'{section}' is not an object")
        for _ in iterate(self._cursor, "}"):
            key = self._cursor.key()
            if key != "list":
                if key != "about":
                    self.unknown_keys[f"{key} (in {section})"] += 1
                self._cursor.skip_value()
                continue
            self._expect("[", f"'{section}.list' is not an array")
            for _ in iterate(self._cursor, "]"):
                char = self._cursor.peek()
                if char != "{":
                    raise self._not_a_value(char, f"an entry of '{section}.list' is {{kind}}")
                self._cursor.take("{")
                yield from self._chat(section, f"{section}.list.item")

    def _chat(self, section: str, prefix: str) -> Iterator[ReaderEvent]:
        header = self._open(ChatHeader(ordinal=0, section=section))
        yield ChatOpened(header)
        for _ in iterate(self._cursor, "}"):
            key = self._cursor.key()
            if key == "messages":
                yield from self._messages(header)
            elif key in HEADER_KEYS:
                self._header_field(header, key, f"{prefix}.{key}")
            else:
                self.unknown_keys[f"{key} (chat)"] += 1
                self._cursor.skip_value()
        yield ChatClosed(header)

    def _header_field(self, header: ChatHeader, key: str, path: str) -> None:
        char = self._cursor.peek()
        if char in ("{", "["):
            raise self._not_a_value(char, f"'{path}' is {{kind}}, expected a plain value")
        setattr(header, key, self._cursor.value())
        header.seen.add(key)

    def _messages(self, header: ChatHeader) -> Iterator[ReaderEvent]:
        """The chat's messages in batches: those decoded before the input was read again."""
        cursor = self._cursor
        self._expect("[", f"{header.describe()}: 'messages' is not an array")
        index = header.count
        batch: list[Any] = []
        refills = cursor.refills
        for message in cursor.values():
            if cursor.refills != refills:
                refills = cursor.refills
                if batch:
                    yield MessagesRead(header, index, batch)
                    index += len(batch)
                    batch = []
            batch.append(message)
        if batch:
            yield MessagesRead(header, index, batch)
            index += len(batch)
        header.count = index

    def _expect(self, char: str, problem: str) -> None:
        found = self._cursor.peek()
        if found != char:
            raise self._not_a_value(found, f"{problem} (found {{kind}})")
        self._cursor.take(char)

    def _not_a_value(self, char: str, problem: str) -> InvalidInputError:
        """``problem`` naming the kind of value starting with ``char``, or why none does."""
        if not char:
            return self._cursor.truncated()
        kind = kind_of(char)
        if kind is None:
            return self._cursor.unexpected("a value")
        return self.invalid(problem.format(kind=kind))
