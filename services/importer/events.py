"""A cursor over the export's JSON text: structure a token at a time, values decoded whole.

Input arrives a chunk at a time (repaired, then decoded from UTF-8) into a text buffer. Python
walks only the structure around the messages (the root, chat lists, chat headers, skipped
sections); each message and each scalar is decoded whole by the standard library's C scanner.
Reading an export this way takes about half the time ijson's C events fed to its C object
builder took. A value cut by the end of the buffer is decoded again once more input has
arrived (the buffer then grows geometrically, so a large value costs linear time); consumed
text is dropped, so the buffer holds about one chunk plus the value being read. Every error
names the file and the byte range being read, never the text itself.
"""

from __future__ import annotations

import codecs
import json
import json.scanner
import math
import re
from collections.abc import Callable, Iterator
from typing import Any, cast

from core.errors import InvalidInputError
from services.importer.repair import RepairingReader

CHUNK_SIZE = 64 * 1024
TRUNCATED = "the file ends before the JSON is complete (truncated?)"
NOT_UTF8 = "invalid JSON (the file is not UTF-8 text)"
WHITESPACE = re.compile(r"[ \t\n\r]*")
# A decoding error this close to the end of the buffer may be a value cut by the chunk
# boundary ("tru", "12", "\u00"): it is retried with more input before it counts.
CUT_VALUE_MARGIN = 8
VALUE_STARTS = {
    "{": "an object", "[": "an array", '"': "a string", "t": "a boolean", "f": "a boolean",
    "n": "null", "-": "a number", **dict.fromkeys("0123456789", "a number"),
}  # fmt: skip


class _NotJsonError(ValueError):
    """A value Python's decoder accepts but JSON does not (NaN, Infinity, an overflowing float)."""


def _reject_constant(name: str) -> Any:
    raise _NotJsonError(f"{name} is not a JSON value")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _NotJsonError("a number too large for a float")
    return value


def _scanner() -> Callable[[str, int], tuple[Any, int]]:
    """The C scanner (``scan(text, index) -> (value, end)``) of a strict JSON decoder."""
    decoder = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float)
    return cast(Callable[[str, int], tuple[Any, int]], json.scanner.make_scanner(decoder))  # type: ignore[arg-type]


def kind_of(char: str) -> str | None:
    """What kind of JSON value starts with ``char`` (None: no value does)."""
    return VALUE_STARTS.get(char)


class JsonCursor:
    """Structural tokens and whole values of the input, one at a time."""

    def __init__(self, source: RepairingReader, name: str, chunk_size: int) -> None:
        self._source = source
        self._name = name
        self._chunk_size = max(1, chunk_size)
        self._utf8 = codecs.getincrementaldecoder("utf-8")()
        self._scan = _scanner()
        self._text = ""
        self._pos = 0
        self._eof = False
        self.refills = 0  # how many times input was read: a batch ends where it changes
        self.window_start = 0  # input offset of the oldest text still in the buffer

    # --- input ---------------------------------------------------------------------------

    def _refill(self, wanted: int) -> bool:
        """Append the text of at least ``wanted`` more input bytes; False at the end."""
        if self._eof:
            return False
        if self._pos >= len(self._text):
            self.window_start = self._source.raw_bytes
        pieces = [self._text[self._pos :]]
        read = 0
        while read < wanted:
            data = self._source.read(self._chunk_size)
            read += len(data)
            if not data:
                self._eof = True
                pieces.append(self._decode(b"", final=True))
                break
            pieces.append(self._decode(data))
        self._text = "".join(pieces)
        self._pos = 0
        self.refills += 1
        return True

    def _decode(self, data: bytes, *, final: bool = False) -> str:
        try:
            return self._utf8.decode(data, final)
        except UnicodeDecodeError:
            raise self.invalid(NOT_UTF8) from None

    # --- tokens --------------------------------------------------------------------------

    def peek(self) -> str:
        """The next significant character, not consumed ("" at the end of the input)."""
        while True:
            text = self._text
            pos = WHITESPACE.match(text, self._pos).end()  # type: ignore[union-attr]
            self._pos = pos
            if pos < len(text):
                return text[pos]
            if not self._refill(1):
                return ""

    def take(self, char: str) -> bool:
        """Consume ``char`` if it is next."""
        if self.peek() == char:
            self._pos += 1
            return True
        return False

    def at_end(self) -> bool:
        return self.peek() == ""

    def value(self) -> Any:
        """The next value, decoded whole."""
        if not self.peek():
            raise self.truncated()
        start = self._pos
        while True:
            text = self._text
            value, problem, at = self._decode_at(text, start)
            if problem is None:
                self._pos = at
                return value
            unterminated = problem.startswith("Unterminated string")
            if unterminated or at >= len(text) - CUT_VALUE_MARGIN:
                self._pos = start
                if self._refill(max(self._chunk_size, len(text) - start)):
                    start = 0
                    continue
            if self._eof and (unterminated or not text[at:].strip()):
                raise self.truncated()
            raise self.invalid(f"invalid JSON ({problem})")

    def values(self) -> Iterator[Any]:
        """The values of the array just opened, each decoded whole (the messages' loop: the
        usual separator, a comma right after the value, is taken without a full peek)."""
        if self.take("]"):
            return
        while True:
            yield self.value()
            text, pos = self._text, self._pos
            if pos < len(text) and text[pos] == ",":
                self._pos = pos + 1
            elif not self.after_item("]"):
                return

    def _decode_at(self, text: str, start: int) -> tuple[Any, str | None, int]:
        """The value at ``start``: (value, None, end), or (None, problem, where it is)."""
        try:
            value, end = self._scan(text, start)
        except StopIteration as stop:
            return None, "expecting a value", int(stop.value)
        except json.JSONDecodeError as error:
            return None, error.msg, error.pos
        except _NotJsonError as error:
            raise self.invalid(f"invalid JSON ({error})") from None
        except ValueError:  # e.g. an integer of more digits than Python converts
            raise self.invalid("invalid JSON (a number out of range)") from None
        if end == len(text) and not self._eof and text[end - 1].isdigit():
            return None, "a number at the end of the input read so far", end  # it may go on
        return value, None, end

    def key(self) -> str:
        """The next object key, with its colon."""
        if self.peek() != '"':
            raise self.unexpected("a key in double quotes")
        name = self.value()
        if not self.take(":"):
            raise self.unexpected("':' after a key")
        return str(name)

    def after_item(self, closer: str) -> bool:
        """Past the separator after an item: True if another item follows, False at ``closer``."""
        char = self.peek()
        if char == ",":
            self._pos += 1
            return True
        if char == closer:
            self._pos += 1
            return False
        raise self.unexpected(f"',' or '{closer}'")

    def skip_value(self) -> None:
        """Read past one value, holding only one of its scalars at a time."""
        closers: list[str] = []
        while True:
            char = self.peek()
            if char in ("{", "["):
                self._pos += 1
                closer = "}" if char == "{" else "]"
                if not self.take(closer):
                    closers.append(closer)
                    if closer == "}":
                        self.key()
                    continue
            else:
                self.value()
            while closers:  # a value is complete: its separator, or the containers it ends
                if self.after_item(closers[-1]):
                    if closers[-1] == "}":
                        self.key()
                    break
                closers.pop()
            else:
                return

    # --- errors --------------------------------------------------------------------------

    def unexpected(self, wanted: str) -> InvalidInputError:
        if self.at_end():
            return self.truncated()
        return self.invalid(f"invalid JSON (expected {wanted})")

    def truncated(self) -> InvalidInputError:
        return self.invalid(TRUNCATED, at_end=True)

    def invalid(
        self, problem: str, where: str = "", *, located: bool = True, at_end: bool = False
    ) -> InvalidInputError:
        """An error naming the file, ``where`` (chat, message) and the input bytes being read."""
        parts = [self._name]
        if where:
            parts.append(where)
        if located:
            end = self._source.raw_bytes
            start = end if at_end else min(self.window_start, end)
            parts.append(f"byte {end:,}" if start == end else f"bytes {start:,}-{end:,}")
        return InvalidInputError(f"{': '.join(parts)}: {problem}")


def iterate(cursor: JsonCursor, closer: str) -> Iterator[None]:
    """One step per item of the container just opened (the caller reads each item)."""
    if cursor.take(closer):
        return
    while True:
        yield
        if not cursor.after_item(closer):
            return
