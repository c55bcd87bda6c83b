"""Snippets with highlight spans, message links, cursors and total estimates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.domain.search import Span
from core.errors import InvalidInputError
from services.search.cursor import CursorCodec, CursorState
from services.search.filters_sql import Keyset
from services.search.found import WalkProgress, extrapolate
from services.search.links import message_link
from services.search.parser import parse
from services.search.snippets import make_snippet
from services.search.text_plan import plan_text

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def _snippet(query: str, text: str) -> tuple[str, list[str]]:
    snippet = make_snippet(text, plan_text(parse(query)).terms)
    return snippet.text, snippet.highlighted()


@pytest.mark.parametrize(
    ("query", "text", "highlighted"),
    [
        ("telefono", "Llámame al Teléfono ya", ["Teléfono"]),
        ("INFORMACION util", "información útil", ["información", "útil"]),
        ("محمد", "قال مُحَمَّد: مرحبا محمد", ["مُحَمَّد", "محمد"]),
        ("比特币", "今天比特币价格", ["比特币"]),
        ("harb*", "the harbours and the harbour", ["harbours", "harbour"]),
        ('"harbour station"', "meet at the harbour  station", ["harbour  station"]),
        ("t.me/news", "see t.me/news now", ["t.me/news"]),
        ("straße", "Die Straße", ["Straße"]),
        ("istanbul", "İstanbul", ["İstanbul"]),
    ],
)
def test_spans_cover_the_original_text_of_each_match(
    query: str, text: str, highlighted: list[str]
) -> None:
    assert _snippet(query, text) == (text, highlighted)


def test_a_long_message_is_cut_around_the_first_match() -> None:
    text = "lorem ipsum " * 30 + "the harbour is here " + "dolor sit " * 30
    snippet = make_snippet(text, plan_text(parse("harbour")).terms)
    assert snippet.text.startswith("…") and snippet.text.endswith("…")
    assert len(snippet.text) <= 170
    assert snippet.highlighted() == ["harbour"]
    (span,) = snippet.spans
    assert span.start < 60


def test_no_match_or_no_text_gives_the_start_without_spans() -> None:
    assert make_snippet("line one\nline two", []).text == "line one line two"
    assert make_snippet("", plan_text(parse("x")).terms).spans == ()


def test_overlapping_matches_merge() -> None:
    snippet = make_snippet("比特币价格", plan_text(parse("比特币价 OR 币价格")).terms)
    assert snippet.spans == (Span(0, 5),)


@pytest.mark.parametrize(
    ("chat_id", "kind", "username", "link"),
    [
        (-1001234567890, "channel", "news", "https://t.me/news/7"),
        (-1001234567890, "supergroup", None, "https://t.me/c/1234567890/7"),
        (-1001234567890, None, None, "https://t.me/c/1234567890/7"),
        (-555, "group", None, None),
        (42, "user", "someone", None),
        (42, "bot", None, None),
    ],
)
def test_links(chat_id: int, kind: str | None, username: str | None, link: str | None) -> None:
    assert message_link(chat_id, kind, username, 7) == link


def test_cursors_round_trip_and_are_bound_to_their_query() -> None:
    codec = CursorCodec("Zq8vN2kLp4Xr7Tw1Ys6Bm3Hd9Fj5Gc0A")
    state = CursorState(120, True, after=Keyset(T0, 99), offset=0, max_id=None)
    cursor = codec.encode(state, "query-a")
    assert codec.decode(cursor, "query-a") == state
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    with pytest.raises(InvalidInputError):
        codec.decode(cursor, "query-b")
    with pytest.raises(InvalidInputError):
        CursorCodec("another-key").decode(cursor, "query-a")


@pytest.mark.parametrize("garbage", ["", "!!!!", "AAAA", "e30", "x" * 2000, "é"])
def test_garbage_cursors_are_refused(garbage: str) -> None:
    with pytest.raises(InvalidInputError, match="no longer be opened"):
        CursorCodec("k").decode(garbage, "q")


def test_extrapolated_totals() -> None:
    progress = WalkProgress(first=T0 + timedelta(days=10), last=T0 + timedelta(days=9))
    assert extrapolate(5, progress, T0, None) == (50, True)
    assert extrapolate(5, progress, T0, 20) == (20, True)
    assert extrapolate(5, WalkProgress(exhausted=True), T0, None) == (5, False)
    assert extrapolate(5, WalkProgress(), T0, 30) == (30, True)
