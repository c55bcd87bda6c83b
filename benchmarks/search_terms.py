"""Search terms picked by counting the archive, so a "rare" word is rare and a "common" one common.

One pass over the stored texts counts in how many messages each word, pair of adjacent words
and known substring occurs; each query class then takes the term whose share of messages is
closest to its target. Ties are broken by spelling, so a corpus always yields the same terms.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from benchmarks import vocabulary
from core.db.database import Database
from core.db.tables import messages
from core.text import fold

WORD = re.compile(r"\w+")
CJK = re.compile("[\u3040-\u30ff\u4e00-\u9fff]")
BATCH = 5000
MIN_WORD = 5  # rare and common words: long enough not to be function words
MIN_PAIR_WORD = 5
MIN_ACCENTED = 6
RARE_PER_100K = 5  # messages holding the rare word per 100,000 (at least 3)
COMMON_SHARE = 0.02  # shares of the messages with text
PHRASE_SHARE = 0.005
ACCENTED_SHARE = 0.003
CJK_SHARE = 0.002
SUBSTRING_SHARE = 0.005
PREFIX_CHARS = 4
CHAT_RANK = 0.5  # the median chat by messages: filters that keep a small share of the hits
SENDER_RANK = 0.0  # the busiest sender
CJK_WORDS = tuple(w for w in (*vocabulary.CHINESE, *vocabulary.JAPANESE) if len(w) >= 3)
SUBSTRINGS = tuple(dict.fromkeys((*vocabulary.URL_HOSTS, *vocabulary.MAIL_DOMAINS)))
# Words of links and addresses: a "phrase" made of them would be a URL, not a phrase.
ARTEFACT_WORDS = frozenset(
    WORD.findall(
        " ".join(
            (
                "https http joinchat ref",
                *SUBSTRINGS,
                *vocabulary.URL_PATHS,
                *vocabulary.CHANNEL_STEMS,
                *vocabulary.USERNAME_STEMS,
            )
        )
    )
)
MIN_PREFIX_WORDS = 3  # a prefix search should expand to several words


@dataclass(frozen=True, slots=True)
class Counted:
    """A term and the number of messages holding it."""

    term: str
    messages: int


@dataclass(frozen=True, slots=True)
class SearchTerms:
    """What the query classes search for, each with how many messages hold it."""

    texts: int  # messages with text
    rare: Counted
    common: Counted
    stop: Counted
    pair: tuple[Counted, Counted]  # two frequent words that occur side by side in some messages
    phrase: Counted  # two words, space-separated, counted as adjacent
    prefix: Counted  # the count sums the counts of the words it starts
    accented: Counted  # as stored, with its diacritics; searched folded
    cjk: Counted
    substring: Counted


@dataclass(frozen=True, slots=True)
class Scope:
    """The chat, sender and month the filtered classes narrow to."""

    chat_id: int
    chat_messages: int
    sender_id: int
    sender_messages: int
    month: str  # YYYY-MM, in the middle of the archive


class TermCounter:
    """Counts, message by message, in how many messages each candidate term occurs."""

    def __init__(self) -> None:
        self.texts = 0
        self.words: Counter[str] = Counter()
        self.pairs: Counter[str] = Counter()
        self.cjk: Counter[str] = Counter()
        self.substrings: Counter[str] = Counter()

    def add(self, text: str) -> None:
        if not text:
            return
        self.texts += 1
        lowered = text.lower()
        tokens = WORD.findall(lowered)
        self.words.update(set(tokens))
        self.pairs.update(
            {
                f"{a} {b}"
                for a, b in itertools.pairwise(tokens)
                if a != b and _phrase_word(a) and _phrase_word(b)
            }
        )
        if CJK.search(text):
            self.cjk.update(word for word in CJK_WORDS if word in text)
        if "." in lowered:
            self.substrings.update(part for part in SUBSTRINGS if part in lowered)

    def add_all(self, texts: Iterable[str]) -> None:
        for text in texts:
            self.add(text)

    def closest(self, counts: Counter[str], share: float) -> Counted:
        """The term whose count is nearest to ``share`` of the messages with text."""
        if not counts:
            raise ValueError("the archive holds no term of this kind: is it too small?")
        target = share * self.texts
        term = min(counts, key=lambda t: (abs(counts[t] - target), t))
        return Counted(term, counts[term])

    def common_pair(self) -> str:
        """Two words seen side by side whose rarer one is as frequent as possible."""
        if not self.pairs:
            raise ValueError("the archive holds no two adjacent words: is it too small?")

        def rarer(pair: str) -> tuple[int, str]:
            first, second = pair.split()
            return min(self.words[first], self.words[second]), pair

        return max(self.pairs, key=rarer)

    def latin_words(self, min_length: int) -> Counter[str]:
        return Counter({w: n for w, n in self.words.items() if _latin(w, min_length)})

    def accented_words(self) -> Counter[str]:
        """Words written with diacritics whose folded form is plain ASCII (``información``)."""
        return Counter(
            {
                w: n
                for w, n in self.words.items()
                if not w.isascii() and _latin(fold(w), MIN_ACCENTED)
            }
        )

    def prefixes(self) -> Counter[str]:
        """Word prefixes shared by several words, with the summed counts of those words."""
        totals: Counter[str] = Counter()
        spread: Counter[str] = Counter()
        for word, count in self.latin_words(PREFIX_CHARS + 1).items():
            totals[word[:PREFIX_CHARS]] += count
            spread[word[:PREFIX_CHARS]] += 1
        return Counter({p: n for p, n in totals.items() if spread[p] >= MIN_PREFIX_WORDS})


def _latin(word: str, min_length: int) -> bool:
    return len(word) >= min_length and word.isascii() and word.isalpha()


def _phrase_word(word: str) -> bool:
    return _latin(word, MIN_PAIR_WORD) and word not in ARTEFACT_WORDS


def choose_terms(counter: TermCounter) -> SearchTerms:
    """Every text class's term, from the counts of one pass over the archive."""
    long_words = counter.latin_words(MIN_WORD)
    rare_share = max(3, RARE_PER_100K * counter.texts // 100_000) / max(counter.texts, 1)
    common = counter.closest(long_words, COMMON_SHARE)
    stop_term, stop_count = max(counter.latin_words(2).items(), key=lambda i: (i[1], i[0]))
    pair = counter.common_pair()
    others = Counter({p: n for p, n in counter.pairs.items() if p != pair})
    first, second = pair.split()
    return SearchTerms(
        texts=counter.texts,
        rare=counter.closest(long_words, rare_share),
        common=common,
        stop=Counted(stop_term, stop_count),
        pair=(Counted(first, counter.words[first]), Counted(second, counter.words[second])),
        phrase=counter.closest(others, PHRASE_SHARE),
        prefix=counter.closest(counter.prefixes(), COMMON_SHARE),
        accented=counter.closest(counter.accented_words(), ACCENTED_SHARE),
        cjk=counter.closest(counter.cjk, CJK_SHARE),
        substring=counter.closest(counter.substrings, SUBSTRING_SHARE),
    )


async def pick_terms(db: Database) -> tuple[SearchTerms, Scope]:
    """Count the archive's texts, chats, senders and dates, and pick every class's term."""
    counter = TermCounter()
    async with db.reader() as uow:
        conn = uow.connection
        last = 0
        while True:
            query = (
                select(messages.c.id, messages.c.text)
                .where(messages.c.id > last)
                .order_by(messages.c.id)
                .limit(BATCH)
            )
            rows = (await conn.execute(query)).all()
            if not rows:
                break
            counter.add_all(row[1] or "" for row in rows)
            last = rows[-1][0]
        chat_id, chat_messages = await _ranked(conn, messages.c.chat_id, CHAT_RANK)
        sender_id, sender_messages = await _ranked(conn, messages.c.sender_id, SENDER_RANK)
        month = await _middle_month(conn)
    scope = Scope(chat_id, chat_messages, sender_id, sender_messages, month)
    return choose_terms(counter), scope


async def _ranked(
    conn: AsyncConnection, column: ColumnElement[int], rank: float
) -> tuple[int, int]:
    """The value at ``rank`` (0 = the busiest) by messages, and its message count."""
    count = func.count().label("n")
    query = (
        select(column, count)
        .where(column.is_not(None))
        .group_by(column)
        .order_by(count.desc(), column)
    )
    rows = (await conn.execute(query)).all()
    if not rows:
        raise ValueError("the archive holds no messages")
    value, messages_count = rows[int(rank * (len(rows) - 1))]
    return int(value), int(messages_count)


async def _middle_month(conn: AsyncConnection) -> str:
    first, last = (
        await conn.execute(select(func.min(messages.c.date), func.max(messages.c.date)))
    ).one()
    middle = first + (last - first) / 2
    return f"{middle:%Y-%m}"
