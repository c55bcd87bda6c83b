"""The benchmark corpus: deterministic, streamed, and as varied as real Telegram archives."""

from __future__ import annotations

import itertools
import re
import types
from collections.abc import Callable
from datetime import UTC, timedelta

import pytest

from benchmarks.corpus import Corpus, paginate
from benchmarks.corpus_entities import ACCOUNT_OWNER_ID, make_users
from core.domain.messages import ArchivedMessage, ChatInfo, UserInfo

SAMPLE = 3000
HARAKAT = re.compile("[\u064b-\u0652]")
ARABIC = re.compile("[\u0621-\u064a]")
KANA = re.compile("[\u3040-\u30ff]")
HAN = re.compile("[\u4e00-\u9fff]")

ARTEFACTS: dict[str, Callable[[str], bool]] = {
    "spanish accents": lambda t: re.search("[áéíóúñ]", t) is not None,
    "cyrillic": lambda t: re.search("[\u0400-\u04ff]", t) is not None,
    "arabic with diacritics": lambda t: HARAKAT.search(t) is not None,
    "arabic without diacritics": lambda t: ARABIC.search(t) is not None and not HARAKAT.search(t),
    "chinese without spaces": lambda t: re.fullmatch("[\u4e00-\u9fff]{6,}[.!?]*", t) is not None,
    "japanese without spaces": lambda t: re.search("[\u3040-\u30ff][^ ]{5,}", t) is not None,
    "url": lambda t: re.search(r"https://(?!t\.me)[\w.-]+/\S+", t) is not None,
    "e-mail": lambda t: re.search(r"\w+@\w+\.\w+", t) is not None,
    "phone": lambda t: re.search(r"\+\d{1,3} \(?\d", t) is not None,
    "@username": lambda t: re.search(r"(^|\s)@\w{3,}", t) is not None,
    "t.me link": lambda t: "t.me/" in t,
    "bitcoin address": lambda t: re.search(r"\bbc1q[02-9ac-hj-np-z]{38}\b", t) is not None,
    "ethereum address": lambda t: re.search(r"\b0x[0-9a-f]{40}\b", t) is not None,
}


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return Corpus(100_000, seed=11)


@pytest.fixture(scope="module")
def sample(corpus: Corpus) -> list[ArchivedMessage]:
    return list(itertools.islice(corpus.messages(), SAMPLE))


def test_the_same_seed_gives_the_same_corpus(corpus: Corpus, sample: list[ArchivedMessage]) -> None:
    again = Corpus(100_000, seed=11)
    assert list(itertools.islice(again.messages(), 1000)) == sample[:1000]
    assert again.chats == corpus.chats and again.users == corpus.users
    assert make_users(12, 50) != make_users(11, 50)  # the seed matters


def test_messages_are_streamed_not_built_up_front(corpus: Corpus) -> None:
    stream = corpus.messages()
    assert isinstance(stream, types.GeneratorType)
    assert next(stream) == next(corpus.messages())  # each call replays from the start
    sizes = [len(page) for page in paginate(corpus.messages(), 2_500, page_size=1000)]
    assert sizes == [1000, 1000, 500]


@pytest.mark.parametrize("kind", sorted(ARTEFACTS))
def test_every_script_and_artefact_kind_occurs(sample: list[ArchivedMessage], kind: str) -> None:
    assert any(ARTEFACTS[kind](message.text) for message in sample), kind


def test_entities_point_at_their_artefacts(sample: list[ArchivedMessage]) -> None:
    checked = 0
    for message in sample:
        encoded = message.text.encode("utf-16-le")
        for entity in message.entities or ():
            start, end = 2 * entity["offset"], 2 * (entity["offset"] + entity["length"])
            covered = encoded[start:end].decode("utf-16-le")
            before, after = encoded[start - 2 : start], encoded[end : end + 2]
            assert before == " ".encode("utf-16-le") and after in (b"", " ".encode("utf-16-le"))
            assert covered[0] in "@ht+" or "@" in covered, (message.text, entity)
            checked += 1
    assert checked > 100


def test_replies_forwards_edits_and_service_messages_occur(
    sample: list[ArchivedMessage],
) -> None:
    def share(predicate: Callable[[ArchivedMessage], bool]) -> float:
        return sum(1 for m in sample if predicate(m)) / len(sample)

    assert 0.02 < share(lambda m: m.reply_to_msg_id is not None) < 0.12
    assert 0.01 < share(lambda m: m.fwd_date is not None) < 0.1
    assert 0.01 < share(lambda m: m.edit_date is not None and m.edit_date > m.date) < 0.1
    services = [m for m in sample if m.kind == "service"]
    assert 0.005 < len(services) / len(sample) < 0.05
    assert all(m.action and m.text == "" for m in services)
    assert any(m.kind == "media" and m.media_kind for m in sample)


def test_lengths_range_from_a_few_words_to_a_few_hundred_characters(
    sample: list[ArchivedMessage],
) -> None:
    lengths = sorted(len(m.text) for m in sample if m.text)
    assert lengths[len(lengths) // 2] < 80  # most messages are short
    assert lengths[-1] > 250
    assert any(len(m.text.split()) <= 3 for m in sample if m.text)


def test_ids_and_dates_increase_per_chat(sample: list[ArchivedMessage]) -> None:
    last: dict[int, ArchivedMessage] = {}
    for message in sample:
        previous = last.get(message.chat_id)
        if previous is not None:
            assert message.message_id > previous.message_id
            assert message.date >= previous.date
        last[message.chat_id] = message
    assert len(last) >= 25  # nearly every chat speaks in the first few thousand messages


def test_dates_are_utc_aware_and_span_the_corpus(sample: list[ArchivedMessage]) -> None:
    for message in sample:
        for value in (message.date, message.edit_date, message.fwd_date):
            if value is not None:
                assert value.tzinfo is not None and value.utcoffset() == timedelta(0)
                assert value.tzinfo is UTC


def test_chats_and_senders_are_varied_and_consistent(
    corpus: Corpus, sample: list[ArchivedMessage]
) -> None:
    assert all(isinstance(chat, ChatInfo) for chat in corpus.chats)
    assert all(isinstance(user, UserInfo) for user in corpus.users)
    assert 25 <= len(corpus.chats) <= 35 and 1900 <= len(corpus.users) <= 2100
    assert {c.kind for c in corpus.chats} == {"supergroup", "channel", "group", "user", "bot"}
    assert len({c.id for c in corpus.chats}) == len(corpus.chats)
    names = " ".join(f"{u.first_name} {u.last_name}" for u in corpus.users)
    for script in ("[áéíóúñ]", "[\u0400-\u04ff]", "[\u0621-\u064a]", "[\u4e00-\u9fff]"):
        assert re.search(script, names), script
    chat_ids = {c.id for c in corpus.chats}
    user_ids = {u.id for u in corpus.users} | {ACCOUNT_OWNER_ID}
    assert all(m.chat_id in chat_ids for m in sample)
    assert all(m.sender_id is None or m.sender_id in user_ids for m in sample)
