"""Byte-level repairs of known Telegram Desktop JSON bugs, applied while streaming.

Desktop has written invalid JSON in real exports, and strict parsers (ijson's yajl, jq, Python's
json) stop on it; the importer fixes exactly these cases and counts each repair:

* control characters escaped as ``\\xHH`` (tdesktop issue 27571, e.g. callback button data):
  rewritten as ``\\u00HH``;
* custom-emoji ``"document_id": video_files/sticker.webm`` written without quotes (4.1.1,
  tdesktop issue 24961): the value is quoted;
* a UTF-8 byte-order mark added by editors: dropped;
* NUL characters (``\x00`` or ``\u0000``), which PostgreSQL cannot store in text or JSONB:
  replaced by U+FFFD.
* UTF-16 surrogate escapes without their pair (``\ud83d`` alone), which no database can store as
  text: replaced by U+FFFD (a proper pair, ``\ud83d\ude00``, is an emoji and is kept).

Work happens on whole lines: Desktop pretty-prints one key per line and never writes a raw
newline inside a string, so a line start is outside every string and escape.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import IO

BOM = b"\xef\xbb\xbf"
MAX_LINE_CARRY = 1 << 20  # a longer line is not Desktop's layout: passed through as is
# An escape: \xHH (1), \u0000 (2), a high surrogate (3) and its low pair (4) if any, a low
# surrogate alone (5), or any other escape, consumed whole so that ``\\`` never starts a match.
ESCAPE = re.compile(
    rb"\\(?:x([0-9A-Fa-f]{2})|(u0000)"
    rb"|(u[dD][89abAB][0-9a-fA-F]{2})(\\u[dD][c-fC-F][0-9a-fA-F]{2})?"
    rb"|(u[dD][c-fC-F][0-9a-fA-F]{2})|[\s\S])"
)
NEEDS_ESCAPE_REPAIR = re.compile(rb"\\(?:x|u0000|u[dD])")  # one scan, much faster than four
REPLACEMENT = b"\\ufffd"
LONE_SURROGATE = "lone UTF-16 surrogate replaced"
BARE_DOCUMENT_ID = re.compile(
    rb'(?m)^([ \t]*"document_id": )(?![ \t"\d-]|null\b|true\b|false\b)([^\r\n]*?)(,?)(\r?)$'
)


class RepairingReader:
    """A binary reader over ``raw`` that yields repaired bytes; ``raw_bytes`` counts input read."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._carry = b""
        self._first = True
        self._eof = False
        self.raw_bytes = 0
        self.repairs: Counter[str] = Counter()

    def read(self, size: int = -1) -> bytes:
        """Return repaired bytes (possibly more or fewer than ``size``); ``b""`` only at the end."""
        while not self._eof:
            chunk, more = self._next_chunk(size if size > 0 else 1 << 16)
            if not more:
                self._eof = True
                ready, self._carry = self._carry, b""
                return self._repair(ready)
            ready = self._take_lines(chunk)
            if ready:
                return self._repair(ready)
        return b""

    def _next_chunk(self, size: int) -> tuple[bytes, bool]:
        """The next input bytes, and False once the input is exhausted."""
        chunk = self._raw.read(size)
        self.raw_bytes += len(chunk)
        if not chunk:
            return chunk, False
        if self._first:
            self._first = False
            while chunk and len(chunk) < len(BOM) and BOM.startswith(chunk):
                more = self._raw.read(size)
                if not more:
                    break
                self.raw_bytes += len(more)
                chunk += more
            chunk = chunk.removeprefix(BOM)
        return chunk, True

    def _take_lines(self, chunk: bytes) -> bytes:
        buffer = self._carry + chunk
        cut = buffer.rfind(b"\n") + 1
        if cut == 0 and len(buffer) > MAX_LINE_CARRY:
            cut = len(buffer)
        self._carry = buffer[cut:]
        return buffer[:cut]

    def _repair(self, data: bytes) -> bytes:
        if NEEDS_ESCAPE_REPAIR.search(data):
            data = ESCAPE.sub(self._fix_escape, data)
        if b'"document_id": ' in data:
            data = BARE_DOCUMENT_ID.sub(self._quote_document_id, data)
        return data

    def _fix_escape(self, match: re.Match[bytes]) -> bytes:
        code, nul, high, low, lone_low = match.group(1, 2, 3, 4, 5)
        if nul is not None or code == b"00":
            self.repairs["NUL character replaced"] += 1
            return REPLACEMENT
        if (high is not None and low is None) or lone_low is not None:
            self.repairs[LONE_SURROGATE] += 1
            return REPLACEMENT
        if code is None:
            return match.group(0)
        self.repairs["control character escaped as \\x"] += 1
        return b"\\u00" + code

    def _quote_document_id(self, match: re.Match[bytes]) -> bytes:
        self.repairs["custom emoji document_id without quotes"] += 1
        value = match.group(2).replace(b"\\", b"\\\\").replace(b'"', b'\\"')
        return match.group(1) + b'"' + value + b'"' + match.group(3) + match.group(4)
