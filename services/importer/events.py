"""ijson's C parser turned into a cursor over prefixed events, one input chunk at a time.

Events are collected into a list by ijson's own C code (no Python per event); callers read
them one by one, or take whole runs up to a given event with C-speed list search and slicing.
Every error names the file and the byte range of the chunk being parsed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ijson import JSONError  # type: ignore[import-untyped]
from ijson.utils import sendable_list  # type: ignore[import-untyped]

try:
    from ijson.backends import yajl2_c as backend  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover - no compiled extension here: same API, much slower
    from ijson.backends import python as backend

from core.errors import InvalidInputError
from services.importer.repair import RepairingReader

CHUNK_SIZE = 64 * 1024
TRUNCATED = "the file ends before the JSON is complete (truncated?)"
Event = tuple[str, str, Any]


class JsonEvents:
    """Parsed events of the input, one chunk at a time, with a cursor."""

    def __init__(self, source: RepairingReader, name: str, chunk_size: int) -> None:
        self._source = source
        self._name = name
        self._chunk_size = chunk_size
        self._events: list[Event] = sendable_list()
        self._parser = backend.basic_parse_basecoro(
            backend.parse_basecoro(self._events), use_float=True
        )
        self._pos = 0
        self._done = False
        self.chunk_start = 0

    def _fill(self) -> bool:
        """Make an event available; False at the end of the input."""
        while self._pos >= len(self._events):
            if self._done:
                return False
            self._events.clear()
            self._pos = 0
            self.chunk_start = self._source.raw_bytes
            data = self._source.read(self._chunk_size)
            try:
                if data:
                    self._parser.send(data)
                else:
                    self._done = True
                    self._parser.close()
            except JSONError as error:
                raise self.invalid(_json_problem(error)) from error
        return True

    def next(self) -> Event:
        if not self._fill():
            raise self.invalid(TRUNCATED)
        event = self._events[self._pos]
        self._pos += 1
        return event

    def until(self, end: Event) -> Iterator[list[Event]]:
        """Runs of events up to ``end`` (consumed, not returned): C-speed search and slicing."""
        while True:
            if not self._fill():
                raise self.invalid("the file ends inside a list of messages")
            try:
                stop = self._events.index(end, self._pos)
            except ValueError:
                run = self._events[self._pos :]
                self._pos = len(self._events)
                yield run
                continue
            run = self._events[self._pos : stop]
            self._pos = stop + 1
            yield run
            return

    def at_end(self) -> bool:
        return not self._fill()

    def invalid(self, problem: str, where: str = "", *, located: bool = True) -> InvalidInputError:
        """An error naming the file, ``where`` (chat, message) and the input bytes being read."""
        parts = [self._name]
        if where:
            parts.append(where)
        if located:
            end = self._source.raw_bytes
            start = min(self.chunk_start, end)
            parts.append(f"byte {end:,}" if start == end else f"bytes {start:,}-{end:,}")
        return InvalidInputError(f"{': '.join(parts)}: {problem}")


def _json_problem(error: Exception) -> str:
    detail = error.args[0] if error.args else ""
    if isinstance(detail, bytes):  # yajl hands over bytes: str() would print them as one repr
        detail = detail.decode("utf-8", "replace")
    lines = str(detail).strip().splitlines()
    first = lines[0].strip() if lines else ""
    if "premature EOF" in first:
        return TRUNCATED
    # yajl's next lines quote the input around the error: message text, kept out of errors
    return f"invalid JSON ({first})" if first else "invalid JSON"


def items_builder(sink: list[Any], prefix: str) -> Any:
    """ijson's object builder for values at ``prefix``; built values are appended to ``sink``
    (an ijson ``sendable_list``). Feed it prefixed events with ``send``."""
    return backend.items_basecoro(sink, prefix)
