"""Streaming reader of ``result.json``: chats and their messages, never the whole file.

ijson's C backend turns each chunk of input into prefixed events collected in a list, all in C.
Python walks only the few structural events (the root, chat lists, chat headers, skipped
sections); each run of message events goes back into ijson's C object builder, so messages are
built at C speed and at most one chunk of events plus the messages it completes are held.

Both forms are read the same way: a single-chat export is a chat at the root, a full-account
export has chats under ``chats.list`` and ``left_chats.list``. Chat header fields (``name``,
``type``, ``id``) may come before or after ``messages``: the header is complete at ``ChatClosed``.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from ijson.utils import sendable_list  # type: ignore[import-untyped]

from core.errors import InvalidInputError
from services.importer.events import CHUNK_SIZE, JsonEvents, items_builder
from services.importer.repair import RepairingReader

HEADER_KEYS = frozenset({"name", "type", "id"})
CHAT_LISTS = ("chats", "left_chats")
# Full-account sections that hold no messages: read past, not counted as unknown.
ROOT_SECTIONS = frozenset(
    {"about", "personal_information", "profile_pictures", "stories", "contacts",
     "frequent_contacts", "sessions", "web_sessions", "other_data"}
)  # fmt: skip
SCALARS = frozenset({"string", "number", "boolean", "null"})


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
        self._events = JsonEvents(self._source, name, chunk_size)
        self._builders: dict[str, Any] = {}
        self._built: list[Any] = sendable_list()
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
        return self._events.invalid(problem, where, located=located)

    def __iter__(self) -> Iterator[ReaderEvent]:
        _, event, _ = self._events.next()
        if event != "start_map":
            raise self.invalid(f"the top level is {_kind(event)}, not a JSON object")
        yield from self._root()
        if not self._events.at_end():
            raise self.invalid("unexpected data after the top-level object")
        if not self._chats and not self.sections:
            raise self.invalid(
                "no 'messages' or 'chats': not a Telegram Desktop export", located=False
            )

    def _root(self) -> Iterator[ReaderEvent]:
        header: ChatHeader | None = None
        pending = ChatHeader(ordinal=-1, section="chat")
        while True:
            _, event, key = self._events.next()
            if event == "end_map":
                break
            if key == "messages":
                header = self._open(pending)
                yield ChatOpened(header)
                yield from self._messages(header, "messages")
            elif key in HEADER_KEYS:
                self._header_field(pending, key, key)
            elif key in CHAT_LISTS:
                self.sections[key] += 1
                yield from self._chat_list(key)
            elif key in ROOT_SECTIONS:
                self.sections[key] += 1
                self._skip_value()
            else:
                self.unknown_keys[f"{key} (top level)"] += 1
                self._skip_value()
        if header is not None:
            yield ChatClosed(header)

    def _open(self, header: ChatHeader) -> ChatHeader:
        header.ordinal = self._chats
        self._chats += 1
        return header

    def _chat_list(self, section: str) -> Iterator[ReaderEvent]:
        self._expect("start_map", f"'{section}' is not an object")
        while True:
            _, event, key = self._events.next()
            if event == "end_map":
                return
            if key != "list":
                if key != "about":
                    self.unknown_keys[f"{key} (in {section})"] += 1
                self._skip_value()
                continue
            self._expect("start_array", f"'{section}.list' is not an array")
            while True:
                _, event, _ = self._events.next()
                if event == "end_array":
                    break
                if event != "start_map":
                    raise self.invalid(f"an entry of '{section}.list' is {_kind(event)}")
                yield from self._chat(section, f"{section}.list.item")

    def _chat(self, section: str, prefix: str) -> Iterator[ReaderEvent]:
        header = self._open(ChatHeader(ordinal=0, section=section))
        yield ChatOpened(header)
        while True:
            _, event, key = self._events.next()
            if event == "end_map":
                break
            if key == "messages":
                yield from self._messages(header, f"{prefix}.messages")
            elif key in HEADER_KEYS:
                self._header_field(header, key, f"{prefix}.{key}")
            else:
                self.unknown_keys[f"{key} (chat)"] += 1
                self._skip_value()
        yield ChatClosed(header)

    def _header_field(self, header: ChatHeader, key: str, path: str) -> None:
        _, event, value = self._events.next()
        if event not in SCALARS:
            raise self.invalid(f"'{path}' is {_kind(event)}, expected a plain value")
        setattr(header, key, value)
        header.seen.add(key)

    def _messages(self, header: ChatHeader, prefix: str) -> Iterator[ReaderEvent]:
        self._expect("start_array", f"{header.describe()}: 'messages' is not an array")
        builder = self._builder(f"{prefix}.item")
        index = header.count
        for run in self._events.until((prefix, "end_array", None)):
            deque(map(builder.send, run), maxlen=0)  # feeds ijson's C builder without a loop here
            if self._built:
                batch = list(self._built)
                self._built.clear()
                yield MessagesRead(header, index, batch)
                index += len(batch)
        header.count = index

    def _builder(self, prefix: str) -> Any:
        builder = self._builders.get(prefix)
        if builder is None:
            builder = items_builder(self._built, prefix)
            self._builders[prefix] = builder
        return builder

    def _expect(self, wanted: str, problem: str) -> None:
        _, event, _ = self._events.next()
        if event != wanted:
            raise self.invalid(f"{problem} (found {_kind(event)})")

    def _skip_value(self) -> None:
        _, event, _ = self._events.next()
        depth = 1 if event in ("start_map", "start_array") else 0
        while depth:
            _, event, _ = self._events.next()
            if event in ("start_map", "start_array"):
                depth += 1
            elif event in ("end_map", "end_array"):
                depth -= 1


def _kind(event: str) -> str:
    return {
        "start_map": "an object", "start_array": "an array", "string": "a string",
        "number": "a number", "boolean": "a boolean", "null": "null",
        "end_map": "the end of an object", "end_array": "the end of an array",
    }.get(event, event)  # fmt: skip
