"""How terms are matched, and how they reach each engine without being parsed as syntax."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import and_
from sqlalchemy.dialects import postgresql

from core.text import fold
from services.search.parser import parse
from services.search.patterns import (
    postgres_word_regex,
    python_word_regex,
)
from services.search.postgres_text import PgDictionary, compile_postgres
from services.search.sqlite_text import TRIGRAMS, WORDS, FtsMatch, compile_sqlite
from services.search.syntax import Term
from services.search.terms import MatchKind, fts5_string, like_pattern, plan_term
from services.search.text_plan import plan_text


@pytest.mark.parametrize(
    ("term", "kind"),
    [
        (Term("Teléfono"), MatchKind.WORD),
        (Term("информация"), MatchKind.WORD),
        (Term("2024"), MatchKind.WORD),
        (Term("harbour station", phrase=True), MatchKind.PHRASE),
        (Term("محمد"), MatchKind.SUBSTRING),  # vowel marks split words in SQLite's tokenizer
        (Term("کتاب"), MatchKind.SUBSTRING),
        (Term("比特币"), MatchKind.SUBSTRING),
        (Term("東京タワー"), MatchKind.SUBSTRING),
        (Term("t.me/news"), MatchKind.SUBSTRING),
        (Term("a@b.com"), MatchKind.SUBSTRING),
        (Term("c++"), MatchKind.SUBSTRING),
        (Term("🙂"), MatchKind.SUBSTRING),
        (Term("hello, world", phrase=True), MatchKind.SUBSTRING),
    ],
)
def test_each_script_gets_the_matching_both_engines_agree_on(term: Term, kind: MatchKind) -> None:
    assert plan_term(term).kind is kind


def test_substrings_need_three_characters_for_the_trigram_index() -> None:
    assert plan_term(Term("比特币")).trigram_ready
    assert not plan_term(Term("北京")).trigram_ready
    assert plan_term(Term("مُحَمَّد")).folded == "محمد"


def test_fts5_strings_quote_everything() -> None:
    assert fts5_string('NEAR("a" b)') == '"NEAR(""a"" b)"'
    assert fts5_string("inf", prefix=True) == '"inf"*'


def test_like_patterns_escape_wildcards() -> None:
    assert like_pattern("100%_a\\b") == "%100\\%\\_a\\\\b%"


def test_sqlite_checks_merge_words_and_keep_trigrams_apart() -> None:
    plan = compile_sqlite(plan_text(parse("harbour inform* 比特币 -station -北京")))
    assert [c.alternatives for c in plan.positive] == [
        (FtsMatch(WORDS, '("harbour") AND ("inform"*)'),),
        (FtsMatch(TRIGRAMS, '("比特币")'),),
    ]
    assert plan.negative is not None
    assert plan.negative.alternatives == (FtsMatch(WORDS, '"station"'),)
    assert len(plan.conditions) == 1  # -北京 is scanned
    assert not plan.scan_only


def test_sqlite_short_substrings_alone_need_a_scan() -> None:
    plan = compile_sqlite(plan_text(parse("北京 OR harbour")))
    assert plan.scan_only and "shorter than 3 characters" in plan.unserved[0]


def test_postgres_stop_words_are_scanned() -> None:
    plan = plan_text(parse("the"))
    dictionary = PgDictionary("english", stop_words=frozenset({"the"}))
    compiled = compile_postgres(plan, dictionary)
    assert compiled.scan_only and "stop word" in compiled.unserved[0]
    assert compiled.tsquery is None


def test_postgres_terms_are_bound_parameters() -> None:
    query = "it's' inform* harbour \"a b\""
    compiled = compile_postgres(plan_text(parse(query)), PgDictionary("simple"))
    sql = str(and_(*compiled.conditions).compile(dialect=postgresql.dialect()))
    assert "it's" not in sql and "inform" not in sql and "harbour" not in sql
    assert "plainto_tsquery" in sql and "phraseto_tsquery" in sql and "to_tsquery" in sql
    assert "LIKE tv_fold(" in sql


@pytest.mark.parametrize(
    ("query", "text", "found"),
    [
        ("harbour", "the harbour, at night", True),
        ("harbour", "harbours", False),
        ("harbour", "foo_harbour", True),  # underscores split words, as in FTS5
        ("harb*", "the harbours", True),
        ('"harbour station"', "harbour — station", True),
        ('"harbour station"', "station harbour", False),
    ],
)
def test_python_word_patterns(query: str, text: str, found: bool) -> None:
    term = plan_text(parse(query)).terms[0]
    assert bool(re.search(python_word_regex(term), fold(text))) is found


def test_postgres_word_patterns_are_posix() -> None:
    term = plan_text(parse("harb*")).terms[0]
    assert postgres_word_regex(term) == "(^|[^[:alnum:]])harb"
