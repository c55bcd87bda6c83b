"""Message search on both dialects: every script and operator finds the same messages.

Each case runs on SQLite and on PostgreSQL, with the default plans and with the large-archive
plans forced (see ``strategy``), and expects the same ids: identical in meaning everywhere.
"""

from __future__ import annotations

import pytest

from core.db.database import Database
from tests.integration.test_search_corpus import archive, ids_of, service, strategy

__all__ = ["strategy"]

CASES = [
    # Spanish: accents and case folded both ways
    ("telefono", {1}),
    ("TELÉFONO", {1}),
    ("informacion", {2, 3}),
    ("información", {2, 3}),
    ("informe", {3}),
    ("inform*", {2, 3}),
    ("nino bogota", {4}),
    ("harb", set()),  # whole words only
    ("harb*", {18, 19, 24}),
    # Cyrillic
    ("информация", {5}),
    ("ИНФОРМАЦИЯ", {5}),
    ("встреча", {6}),
    ("встреч*", {5, 6}),
    # Arabic, with and without harakat, any hamza form
    ("محمد", {7, 8}),
    ("مُحَمَّد", {7, 8}),
    ("رسول", {7}),
    ("احمد", {9}),
    ("أحمد", {9}),
    ("في", {9}),  # two letters: found by a scan
    # Persian (zero-width non-joiner kept as typed)
    ("کتاب", {10, 11}),
    ("می‌خواهم", {10}),
    ("تهران", {11}),
    # Chinese and Japanese: no spaces, matched as substrings
    ("比特币", {13}),
    ("价格上涨", {13}),
    ("北京", {12}),  # two characters: found by a scan
    ("東京タワー", {14}),
    ("タワー", {14}),
    ("ありがとう", {15}),
    # URLs, e-mails, symbols, emoji
    ("t.me/vault_news", {16}),
    ("info@example.com", {16}),
    ("example.com", {2, 16}),
    ("https://example.com/info", {2}),
    ("e-mail", {16}),
    ("c++", {17}),
    ("python", {17}),
    ("🙂", {17}),
    # phrases, OR, exclusions
    ('"harbour station"', {19}),
    ('"station harbour"', set()),
    ('"the harbour"', {18, 19}),
    ("bogota OR tonight", {4, 18}),
    ("bogota OR 北京", {4, 12}),
    ("harbour -station", {18, 24}),
    ('harbour -"harbour harbour"', {18, 19}),
    ("harbour tonight", {18}),
    ("harbour -北京", {18, 19, 24}),
]


@pytest.mark.parametrize(("query", "expected"), CASES)
async def test_queries_find_the_same_messages_on_every_dialect(
    db: Database, strategy: str, query: str, expected: set[int]
) -> None:
    await archive(db)
    found = await ids_of(service(db), query, limit=2)
    assert len(found) == len(set(found)), "a message was served twice"
    assert set(found) == expected


async def test_results_come_newest_first_across_pages(db: Database, strategy: str) -> None:
    await archive(db)
    assert await ids_of(service(db), "harbour OR informacion OR telefono", limit=2) == [
        24, 19, 18, 3, 2, 1,
    ]  # fmt: skip


async def test_a_hit_carries_chat_sender_snippet_and_link(db: Database) -> None:
    await archive(db)
    page = await service(db).search_messages("telefono")
    (hit,) = page.hits
    assert (hit.chat_id, hit.chat_title, hit.chat_username) == (
        -1001000000001,
        "Noticias del Valle",
        "vault_news",
    )
    assert (hit.sender_id, hit.sender_name, hit.sender_username) == (
        1001,
        "Ana García",
        "ana_garcia",
    )
    assert hit.link == "https://t.me/vault_news/1"
    assert hit.snippet.highlighted() == ["teléfono"]
    assert not hit.edited and not hit.deleted


@pytest.mark.parametrize(
    ("query", "message_id", "link"),
    [
        ("informe", 3, "https://t.me/c/1000000002/3"),  # private supergroup
        ("bogota", 4, None),  # basic group
        ("ありがとう", 15, None),  # private chat
    ],
)
async def test_links_only_where_telegram_can_open_them(
    db: Database, query: str, message_id: int, link: str | None
) -> None:
    await archive(db)
    (hit,) = (await service(db).search_messages(query)).hits
    assert (hit.message_id, hit.link) == (message_id, link)


@pytest.mark.parametrize(
    ("query", "highlighted"),
    [
        ("محمد", ["مُحَمَّد"]),
        ("比特币", ["比特币"]),
        ("harb*", ["harbour"]),
        ('"harbour station"', ["harbour station"]),
    ],
)
async def test_snippets_highlight_what_matched(
    db: Database, query: str, highlighted: list[str]
) -> None:
    await archive(db)
    hit = (await service(db).search_messages(query)).hits[-1]
    assert hit.snippet.highlighted() == highlighted


async def test_relevance_puts_the_densest_match_first(db: Database, strategy: str) -> None:
    await archive(db)
    page = await service(db).search_messages("harbour sort:relevance")
    assert page.sort == "relevance"
    first, *rest = [hit.message_id for hit in page.hits]
    assert first == 24 and sorted(rest) == [18, 19]


async def test_relevance_of_substrings_counts_occurrences(db: Database) -> None:
    await archive(db)
    page = await service(db).search_messages("example.com sort:relevance")
    assert sorted(h.message_id for h in page.hits) == [2, 16]


async def test_totals_are_exact_when_cheap(db: Database) -> None:
    await archive(db)
    page = await service(db).search_messages("harbour OR informacion", limit=2)
    assert (page.total, page.total_is_estimate) == (5, False)
    assert len(page.hits) == 2 and page.next_cursor is not None


async def test_words_inside_urls_and_addresses(db: Database) -> None:
    """SQLite's tokenizer splits ``info@example.com`` and ``/info`` into words; PostgreSQL's
    search_vector is built from the alphanumeric runs of the text, so it does too."""
    await archive(db)
    assert set(await ids_of(service(db), "info")) == {2, 16}
