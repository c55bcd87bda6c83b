"""Splits any user input into query tokens; never fails, whatever the input holds."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import Enum

FILTER_CHUNK = re.compile(r"^([A-Za-z]{1,24}):(.*)$", re.DOTALL)


class TokenKind(Enum):
    """What a piece of the query is, before the parser gives it meaning."""

    WORD = "word"
    PHRASE = "phrase"
    FILTER = "filter"
    OR = "or"
    AND = "and"


@dataclass(frozen=True, slots=True)
class Token:
    """A word, a quoted phrase, a ``name:value`` filter or an OR/AND connector."""

    kind: TokenKind
    text: str = ""  # the word, the phrase, or the filter's value
    name: str = ""  # the filter's name as typed
    negated: bool = False
    unclosed: bool = False  # a quote that was never closed


def sanitize(query: str) -> str:
    """Drop what no driver accepts (NUL, lone surrogates) and control characters; NFC."""
    kept = []
    for char in query:
        category = unicodedata.category(char)
        if category == "Cs":
            continue
        kept.append(" " if category == "Cc" else char)
    return unicodedata.normalize("NFC", "".join(kept))


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source
        self.pos = 0

    def skip_spaces(self) -> None:
        while self.pos < len(self.source) and _separates(self.source[self.pos]):
            self.pos += 1

    def at_end(self) -> bool:
        return self.pos >= len(self.source)

    def peek(self) -> str:
        return self.source[self.pos] if self.pos < len(self.source) else ""

    def quoted(self) -> tuple[str, bool]:
        """Read ``"..."`` starting at the quote; an unclosed quote runs to the end."""
        end = self.source.find('"', self.pos + 1)
        if end < 0:
            text, self.pos = self.source[self.pos + 1 :], len(self.source)
            return text, True
        text, self.pos = self.source[self.pos + 1 : end], end + 1
        return text, False

    def chunk(self) -> str:
        """Read up to a separator or a quote (a quote always starts a phrase)."""
        start = self.pos
        while self.pos < len(self.source):
            char = self.source[self.pos]
            if _separates(char) or char == '"':
                break
            self.pos += 1
        return self.source[start : self.pos]


def tokenize(query: str) -> list[Token]:
    """Tokens of ``query`` in order; quotes, dashes and colons are interpreted, nothing fails."""
    reader = _Reader(sanitize(query))
    tokens: list[Token] = []
    while True:
        reader.skip_spaces()
        if reader.at_end():
            return tokens
        negated = reader.peek() == "-" and _followed_by_text(reader)
        if negated:
            reader.pos += 1
        tokens.append(_next_token(reader, negated))


def _separates(char: str) -> bool:
    """Whitespace, and parentheses: grouping is not supported, so ``(a OR b)`` reads a OR b."""
    return char.isspace() or char in "()"


def _followed_by_text(reader: _Reader) -> bool:
    following = reader.source[reader.pos + 1 : reader.pos + 2]
    return bool(following) and not _separates(following)


def _next_token(reader: _Reader, negated: bool) -> Token:
    if reader.peek() == '"':
        text, unclosed = reader.quoted()
        return Token(TokenKind.PHRASE, text, negated=negated, unclosed=unclosed)
    chunk = reader.chunk()
    match = FILTER_CHUNK.match(chunk)
    if match:
        name, value = match.groups()
        unclosed = False
        if not value and reader.peek() == '"':
            value, unclosed = reader.quoted()
        return Token(TokenKind.FILTER, value, name=name, negated=negated, unclosed=unclosed)
    if chunk in ("OR", "AND") and not negated:
        return Token(TokenKind.OR if chunk == "OR" else TokenKind.AND, chunk)
    return Token(TokenKind.WORD, chunk, negated=negated)
