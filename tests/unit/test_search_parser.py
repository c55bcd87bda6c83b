"""The query language parser: every operator, every filter, and any input whatsoever."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.errors import InvalidInputError
from services.search.parser import MAX_QUERY_CHARS, MAX_TERMS, parse
from services.search.syntax import Clause, DateRange, Ref, RefKind, Term


def _clauses(query: str) -> list[list[Term]]:
    return [list(clause.terms) for clause in parse(query).clauses]


def _day(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, tzinfo=UTC)


def test_words_must_all_match() -> None:
    assert _clauses("harbour station") == [[Term("harbour")], [Term("station")]]


def test_a_quoted_phrase_is_one_term() -> None:
    assert _clauses('meet "the harbour  station" now') == [
        [Term("meet")], [Term("the harbour station", phrase=True)], [Term("now")],
    ]  # fmt: skip


def test_or_joins_its_neighbours_into_one_clause() -> None:
    assert parse("cat OR dog OR bird fish").clauses == (
        Clause((Term("cat"), Term("dog"), Term("bird"))),
        Clause((Term("fish"),)),
    )


def test_lower_case_or_and_are_words_and_upper_case_and_is_implied() -> None:
    assert _clauses("cats or dogs") == [[Term("cats")], [Term("or")], [Term("dogs")]]
    assert _clauses("cats AND dogs") == [[Term("cats")], [Term("dogs")]]


def test_parentheses_only_separate() -> None:
    assert parse("(cat OR dog) fish").clauses == parse("cat OR dog fish").clauses


def test_exclusions_of_words_and_phrases() -> None:
    parsed = parse('harbour -station -"old town"')
    assert parsed.excluded == (Term("station"), Term("old town", phrase=True))
    assert _clauses('harbour -station -"old town"') == [[Term("harbour")]]


def test_a_dash_inside_a_word_or_alone_is_not_an_exclusion() -> None:
    assert _clauses("e-mail - x") == [[Term("e-mail")], [Term("x")]]


def test_prefix_terms() -> None:
    assert _clauses("inform* tele*.") == [
        [Term("inform", prefix=True)],
        [Term("tele", prefix=True)],
    ]


def test_sentence_punctuation_around_words_is_dropped() -> None:
    assert _clauses("¿hola, «amigo»!") == [[Term("hola")], [Term("amigo")]]
    assert _clauses("c++ #tag @user $100") == [
        [Term("c++")],
        [Term("#tag")],
        [Term("@user")],
        [Term("$100")],
    ]


def test_from_by_username_or_id() -> None:
    filters = parse("from:@Ana_Garcia from:42 -from:@spam_bot").filters
    assert filters.senders == (
        Ref(RefKind.USERNAME, "ana_garcia", "@Ana_Garcia"),
        Ref(RefKind.ID, "42", "42"),
    )
    assert filters.excluded_senders == (Ref(RefKind.USERNAME, "spam_bot", "@spam_bot"),)


def test_in_by_id_username_or_title() -> None:
    filters = parse('in:-1001234 in:@news in:"Equipo  Ñandú" in:familia').filters
    assert [(r.kind, r.value) for r in filters.chats] == [
        (RefKind.ID, "-1001234"), (RefKind.USERNAME, "news"),
        (RefKind.TITLE, "Equipo Ñandú"), (RefKind.TITLE, "familia"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("query", "dates"),
    [
        ("before:2024-05-31", DateRange(end=_day(2024, 5, 31))),
        ("after:2024-05-31", DateRange(start=_day(2024, 6, 1))),
        ("on:2024-05-31", DateRange(_day(2024, 5, 31), _day(2024, 6, 1))),
        ("on:2024-12", DateRange(_day(2024, 12, 1), _day(2025, 1, 1))),
        ("before:2024-02", DateRange(end=_day(2024, 2, 1))),
        ("after:2024-02", DateRange(start=_day(2024, 3, 1))),
        ("on:2024", DateRange(_day(2024, 1, 1), _day(2025, 1, 1))),
        ("after:2024-01 before:2024-03-15", DateRange(_day(2024, 2, 1), _day(2024, 3, 15))),
        ("on:2024-02-29", DateRange(_day(2024, 2, 29), _day(2024, 3, 1))),
    ],
)
def test_date_filters(query: str, dates: DateRange) -> None:
    assert parse(query).filters.dates == dates


def test_has_and_is_filters_with_negation() -> None:
    filters = parse("has:photo has:LINK -has:media is:edited -is:deleted is:forwarded").filters
    assert (filters.has, filters.has_not) == ({"photo", "link"}, {"media"})
    assert (filters.is_, filters.is_not) == ({"edited", "forwarded"}, {"deleted"})


def test_sort() -> None:
    assert parse("harbour").sort == "date"
    assert parse("harbour sort:relevance").sort == "relevance"
    assert parse("sort:date harbour sort:date").sort == "date"


def test_filters_alone_are_a_query() -> None:
    assert parse("from:@ana has:photo").clauses == ()


def test_unknown_name_colon_text_is_a_word() -> None:
    assert _clauses("https://t.me/x 12:30 note:x") == [
        [Term("https://t.me/x")], [Term("12:30")], [Term("note:x")],
    ]  # fmt: skip


def test_an_unclosed_quote_is_closed_with_a_note() -> None:
    parsed = parse('"harbour station')
    assert parsed.clauses == (Clause((Term("harbour station", phrase=True),)),)
    assert parsed.notes == ("a quote was not closed; it was closed at the end of the query",)


def test_terms_without_letters_are_ignored_with_a_note() -> None:
    parsed = parse("harbour ^ ***")
    assert _clauses("harbour ^ ***") == [[Term("harbour")]]
    assert parsed.notes == (
        "ignored '^': it has no letters or digits",
        "ignored '***': it has no letters or digits",
    )


def test_control_characters_and_lone_surrogates_are_dropped() -> None:
    assert _clauses("har\x00bour\ud800 station") == [
        [Term("har")],
        [Term("bour")],
        [Term("station")],
    ]


def test_fingerprints_are_stable_and_distinguish_queries() -> None:
    assert (
        parse("has:photo has:link a").fingerprint() == parse("has:link a has:photo").fingerprint()
    )
    assert parse("a").fingerprint() != parse("a -b").fingerprint()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("form:bob", "unknown filter 'form:' — did you mean 'from:'?"),
        ("befor:2024-01-01", "did you mean 'before:'?"),
        ("on:2024-13-01", "date '2024-13-01' is not a valid YYYY-MM-DD"),
        ("on:2024-02-30", "date '2024-02-30' is not a valid YYYY-MM-DD"),
        ("before:2024-13", "date '2024-13' is not a valid YYYY-MM"),
        ("after:yesterday", "use YYYY-MM-DD, YYYY-MM or YYYY"),
        ("on:1900-01-01", "the year must be between"),
        ("after:2024-06 before:2024-03", "the date filters exclude each other"),
        ("has:foto", "did you mean 'has:photo'?"),
        ("is:forward", "did you mean 'is:forwarded'?"),
        ("sort:newest", "use sort:date|relevance"),
        ("has:", "has: needs a value"),
        ("from:", "from: needs a value"),
        ('from:"Ana García"', "is not a username or an id"),
        ("in:", "in: needs a value"),
        ("in:@", "not a valid @username"),
        ("from:99999999999999999999", "is not a username or an id"),
        ("in:-9999999999999999999", "too large"),
        ("-before:2024-01-01", "'-' cannot be used with before:"),
        ("-sort:date x", "'-' cannot be used with sort:"),
        ("sort:date sort:relevance", "sort: is given twice"),
        ("OR harbour", "'OR' must stand between two search terms"),
        ("harbour OR", "'OR' must stand between two search terms"),
        ("harbour OR OR station", "'OR' must stand between two search terms"),
        ("harbour AND", "'AND' must stand between two search terms"),
        ("harbour OR -station", "an -excluded term cannot be part of an OR"),
        ("-station OR harbour", "'OR' must stand between two search terms"),
        ("harbour OR from:@ana", "OR joins search terms"),
        ("from:@ana OR harbour", "OR joins two search terms, not a filter and a term"),
        ("from:@ana OR in:@news", "OR joins search terms, or two from: or two in: filters"),
        ("-harbour", "a query cannot only exclude"),
        ("", "nothing to search for"),
        ("   ", "nothing to search for"),
        ('""', "nothing to search for"),
        ("^ * --", "nothing to search for: type some words"),
        ("a*", "a prefix search needs at least 2 characters"),
        ("x" * (MAX_QUERY_CHARS + 1), "at most 2,000 are supported"),
        (" ".join(f"w{i}" for i in range(MAX_TERMS + 1)), "at most 32 are supported"),
        ("x" * 201, "at most 200 are supported"),
    ],
)
def test_errors_say_what_to_change(query: str, message: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse(query)
    assert message in str(caught.value)


HOSTILE = [
    '"', '"""', "'", "''", "*", "**", "^", "NEAR(", "NEAR(a b, 2)", ":", "a:", ":a", "AND",
    "NOT", "a NOT b", "(", ")", "((a", "'; DROP TABLE messages; --", '" OR 1=1 --', "%", "_",
    "\\", "\x00", "\ud800\udfff", "\u202e", "\ufeff", "-", "--", "- -", "-\"", "x" * 10_240,
    "word " * 2_000, '"' * 501, "from:'--", "in:\"'; --\"", "🙂" * 50, "𝕳𝖊𝖑𝖑𝖔", "ﷺ",
    "sort:", "is:", "has:", "on:", "$1", "?", "{}", "[]", "<->", "!!a", "a:*", "*:*",
]  # fmt: skip


@pytest.mark.parametrize("query", HOSTILE)
def test_any_input_parses_or_is_refused_with_a_reason(query: str) -> None:
    try:
        parsed = parse(query)
    except InvalidInputError as error:
        reason = str(error)
        parsed = None
    else:
        reason = ""
    assert reason or (parsed is not None and (parsed.clauses or parsed.filters.any))
