"""The query language: words, "phrases", OR, -exclusions, prefix*, and name:value filters.

Pure: no database, no configuration. Anything the user types either parses or raises an
InvalidInputError whose message says what to change.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace

from core.errors import InvalidInputError
from services.search.filters_syntax import FILTER_NAMES, apply_filter, choice
from services.search.lexer import Token, TokenKind, sanitize, tokenize
from services.search.syntax import Clause, Filters, ParsedQuery, Term
from services.search.terms import clean_word, is_searchable

MAX_QUERY_CHARS = 2_000
MAX_TERMS = 32
MAX_TERM_CHARS = 200
MIN_PREFIX_CHARS = 2


@dataclass(slots=True)
class _State:
    clauses: list[list[Term]] = field(default_factory=list)
    excluded: list[Term] = field(default_factory=list)
    filters: Filters = field(default_factory=Filters)
    sort: str | None = None
    notes: list[str] = field(default_factory=list)
    last: str = ""  # kind of the previous item: term, excluded, filter:<name>, or ""
    pending: Token | None = None  # an OR/AND waiting for its right-hand side


def parse(query: str) -> ParsedQuery:
    """Parse ``query``; raises InvalidInputError with a user-facing reason."""
    cleaned = sanitize(query).strip()
    if len(cleaned) > MAX_QUERY_CHARS:
        raise InvalidInputError(
            f"the query is {len(cleaned):,} characters long; at most {MAX_QUERY_CHARS:,} "
            "are supported — search for a distinctive part of it"
        )
    state = _State()
    for token in tokenize(cleaned):
        _consume(state, token)
    if state.pending is not None:
        raise InvalidInputError(_dangling(state.pending))
    return _finish(state)


def _consume(state: _State, token: Token) -> None:
    if token.kind in (TokenKind.OR, TokenKind.AND):
        if state.pending is not None or not state.last or state.last == "excluded":
            raise InvalidInputError(_dangling(token))
        state.pending = token
        return
    if token.unclosed:
        state.notes.append("a quote was not closed; it was closed at the end of the query")
    if token.kind is TokenKind.FILTER:
        _consume_filter(state, token)
    else:
        _consume_text(state, token)


def _dangling(token: Token) -> str:
    return (
        f"'{token.text}' must stand between two search terms, e.g. 'cat {token.text} dog'; "
        f'to search for the word itself, quote it: "{token.text}"'
    )


def _consume_filter(state: _State, token: Token) -> None:
    name = token.name.lower()
    if name not in FILTER_NAMES:
        suggestion = difflib.get_close_matches(name, FILTER_NAMES, n=1, cutoff=0.75)
        if suggestion:
            raise InvalidInputError(
                f"unknown filter '{token.name}:' — did you mean '{suggestion[0]}:'? "
                f'(to search for the text itself, quote it: "{token.name}:{token.text}")'
            )
        _consume_text(state, replace(token, kind=TokenKind.WORD, text=f"{token.name}:{token.text}"))
        return
    if state.pending is not None:
        _join_filters(state, token, name)
    if name == "sort":
        state.sort = _sort_value(state.sort, token)
    else:
        state.filters = apply_filter(state.filters, name, token.text, negated=token.negated)
    state.last = f"filter:{name}"


def _join_filters(state: _State, token: Token, name: str) -> None:
    """``from:a OR from:b`` says what several from: filters already mean; anything else not."""
    assert state.pending is not None
    if state.pending.kind is TokenKind.OR and (
        state.last != f"filter:{name}" or name not in ("from", "in") or token.negated
    ):
        raise InvalidInputError(
            "OR joins search terms, or two from: or two in: filters; "
            "several from:/in: filters already match any of them"
        )
    state.pending = None


def _sort_value(current: str | None, token: Token) -> str:
    value = choice("sort", token.text, ("date", "relevance"))
    if token.negated:
        raise InvalidInputError("'-' cannot be used with sort:")
    if current is not None and current != value:
        raise InvalidInputError("sort: is given twice with different values; keep one")
    return value


def _consume_text(state: _State, token: Token) -> None:
    term = _term(token, state.notes)
    if term is None:
        if state.pending is not None:
            raise InvalidInputError(_dangling(state.pending))
        return
    if token.negated:
        if state.pending is not None:
            raise InvalidInputError("an -excluded term cannot be part of an OR")
        state.excluded.append(term)
        state.last = "excluded"
        return
    joining = state.pending is not None and state.pending.kind is TokenKind.OR
    if joining and state.last != "term":
        raise InvalidInputError("OR joins two search terms, not a filter and a term")
    if joining:
        state.clauses[-1].append(term)
    else:
        state.clauses.append([term])
    state.pending = None
    state.last = "term"


def _term(token: Token, notes: list[str]) -> Term | None:
    phrase = token.kind is TokenKind.PHRASE
    prefix = not phrase and clean_word(token.text, keep="*").endswith("*")
    text = " ".join(token.text.split()) if phrase else clean_word(token.text)
    if not text or not is_searchable(text):
        if token.text.strip():
            notes.append(f"ignored '{token.text.strip()}': it has no letters or digits")
        return None
    if len(text) > MAX_TERM_CHARS:
        raise InvalidInputError(
            f"a search term is {len(text):,} characters long; at most {MAX_TERM_CHARS} are "
            "supported"
        )
    if prefix and len(text) < MIN_PREFIX_CHARS:
        raise InvalidInputError(
            f"'{text}*' is too short: a prefix search needs at least {MIN_PREFIX_CHARS} "
            "characters before '*'"
        )
    return Term(text, phrase=phrase, prefix=prefix)


def _finish(state: _State) -> ParsedQuery:
    count = sum(len(c) for c in state.clauses) + len(state.excluded)
    if count > MAX_TERMS:
        raise InvalidInputError(
            f"the query has {count} search terms; at most {MAX_TERMS} are supported"
        )
    if not state.clauses and not state.filters.any:
        if state.excluded:
            raise InvalidInputError(
                "a query cannot only exclude: add a word or a filter, e.g. 'in:@channel -spam'"
            )
        ignored = f" ({'; '.join(state.notes)})" if state.notes else ""
        raise InvalidInputError(
            'nothing to search for: type some words, a "phrase", or a filter such as '
            f"from:@name{ignored}"
        )
    return ParsedQuery(
        clauses=tuple(Clause(tuple(c)) for c in state.clauses),
        excluded=tuple(state.excluded),
        filters=state.filters,
        sort=state.sort or "date",
        notes=tuple(dict.fromkeys(state.notes)),
    )
