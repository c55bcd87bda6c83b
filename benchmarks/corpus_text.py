"""Message texts for the synthetic corpus: Zipf-distributed words plus artefacts with entities."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks import vocabulary as v

LANGUAGES = ("en", "es", "ru", "ar", "zh", "ja")
LANGUAGE_MIX = (0.42, 0.33, 0.09, 0.07, 0.05, 0.04)
ARABIC_HARAKAT = {chr(c) for c in range(0x064B, 0x0653)}
POOL = 1 << 16  # words pre-drawn per language
MAX_WORDS = 70
TAIL_WORDS = 4000  # rare words: each appears a handful of times in a million messages
ZIPF_EXPONENT = 1.05
ANY_ARTEFACT = 0.2  # share of messages with a URL, e-mail, phone, mention, t.me link or address
EXTRA_ARTEFACT = 0.08  # chance of each further artefact in such a message
LENGTH_TABLE = 4096  # word counts pre-drawn from the length distribution
BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
HEX = "0123456789abcdef"
TOKEN = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
EMOJI_ENDINGS = (" 🙂", " 🔥", " 👍", " 😂", " 🚀", " 💰", " 🇨🇴")
ENDINGS = (".",) * 14 + ("",) * 16 + ("!", "?") * 4 + ("...",) * 2 + EMOJI_ENDINGS

Entity = dict[str, Any]


def strip_harakat(word: str) -> str:
    return "".join(ch for ch in word if ch not in ARABIC_HARAKAT)


class Lexicon:
    """One language's words, frequent first, with Zipf frequencies.

    Words are drawn once into a long pool and each message takes a slice of it at a random
    offset: the same frequencies as drawing word by word, at the cost of one slice.
    """

    def __init__(self, rng: random.Random, words: Sequence[str], joiner: str) -> None:
        ranked = list(dict.fromkeys(words))  # drop duplicates, keep rank order
        weights = [1.0 / (rank + 1) ** ZIPF_EXPONENT for rank in range(len(ranked))]
        self.pool = rng.choices(ranked, cum_weights=list(itertools.accumulate(weights)), k=POOL)
        self.joiner = joiner
        self.spaced = bool(joiner)

    def draw(self, rng: random.Random, count: int) -> list[str]:
        start = int(rng.random() * (POOL - count))
        return self.pool[start : start + count]


def _tail(rng: random.Random, syllables: Sequence[str], count: int) -> list[str]:
    return ["".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(count)]


def build_lexicons(seed: int) -> dict[str, Lexicon]:
    """Every language's lexicon; the synthetic tails depend only on ``seed``."""
    rng = random.Random(f"{seed}:lexicon")
    latin = _tail(rng, v.SYLLABLES_LATIN, TAIL_WORDS)
    spanish = _tail(rng, v.SYLLABLES_LATIN + v.SYLLABLES_SPANISH, TAIL_WORDS)
    cyrillic = _tail(rng, v.SYLLABLES_CYRILLIC, TAIL_WORDS)
    return {
        "en": Lexicon(rng, v.ENGLISH + latin, " "),
        "es": Lexicon(rng, v.SPANISH + spanish, " "),
        "ru": Lexicon(rng, v.RUSSIAN + cyrillic, " "),
        "ar": Lexicon(rng, v.ARABIC, " "),
        "ar_plain": Lexicon(rng, [strip_harakat(w) for w in v.ARABIC], " "),
        "zh": Lexicon(rng, v.CHINESE, ""),
        "ja": Lexicon(rng, v.JAPANESE, ""),
    }


def utf16_length(text: str) -> int:
    """Telegram counts entity offsets in UTF-16 code units (emoji count twice)."""
    return len(text.encode("utf-16-le")) // 2


def word_count(rng: random.Random) -> int:
    """Most messages are a few words; a long tail reaches a few hundred characters."""
    return min(MAX_WORDS, max(1, int(rng.lognormvariate(1.9, 0.85))))


class TextMaker:
    """Builds message texts and their Telegram-style entities (UTF-16 offsets)."""

    def __init__(self, rng: random.Random, lexicons: dict[str, Lexicon], usernames: list[str]):
        self._rng = rng
        self._lexicons = lexicons
        self._usernames = usernames
        self._lengths = [word_count(rng) for _ in range(LENGTH_TABLE)]
        self._artefacts: tuple[tuple[Callable[[], str], str | None], ...] = (
            (self._url, "url"),
            (self._email, "email"),
            (self._phone, "phone_number"),
            (self._mention, "mention"),
            (self._tme_link, "url"),
            (self._crypto_address, None),
        )

    def text(self, language: str) -> tuple[str, tuple[Entity, ...] | None]:
        rng = self._rng
        roll = rng.random()
        if language == "ar" and roll < 0.5:
            language = "ar_plain"
        lexicon = self._lexicons[language]
        words = lexicon.draw(rng, self._lengths[int(rng.random() * LENGTH_TABLE)])
        body = lexicon.joiner.join(words) + ENDINGS[int(rng.random() * len(ENDINGS))]
        if lexicon.spaced:
            body = body[0].upper() + body[1:]
        if rng.random() >= ANY_ARTEFACT:
            return body, None
        return self._with_artefacts(body)

    def _with_artefacts(self, body: str) -> tuple[str, tuple[Entity, ...] | None]:
        """Append one artefact, sometimes more; entity offsets count UTF-16 code units."""
        rng = self._rng
        first = rng.randrange(len(self._artefacts))
        pieces = [body]
        entities: list[Entity] = []
        offset = utf16_length(body)
        for index, (make, kind) in enumerate(self._artefacts):
            if index != first and rng.random() >= EXTRA_ARTEFACT:
                continue
            artefact = make()
            if kind is not None:
                entities.append({"type": kind, "offset": offset + 1, "length": len(artefact)})
            pieces.append(artefact)
            offset += 1 + len(artefact)
        return " ".join(pieces), tuple(entities) or None

    def _url(self) -> str:
        rng = self._rng
        path = f"{rng.choice(v.URL_PATHS)}/{rng.randrange(100_000)}"
        query = f"?ref={rng.choice(v.USERNAME_STEMS)}" if rng.random() < 0.3 else ""
        return f"https://{rng.choice(v.URL_HOSTS)}/{path}{query}"

    def _email(self) -> str:
        rng = self._rng
        return f"{rng.choice(v.USERNAME_STEMS)}{rng.randrange(1000)}@{rng.choice(v.MAIL_DOMAINS)}"

    def _phone(self) -> str:
        rng = self._rng
        d = rng.randrange
        return rng.choice(
            (
                f"+57 3{d(10)}{d(10)} {d(100, 1000)} {d(1000, 10000)}",
                f"+34 6{d(10, 100)} {d(10, 100)} {d(10, 100)} {d(10, 100)}",
                f"+7 (9{d(10, 100)}) {d(100, 1000)}-{d(10, 100)}-{d(10, 100)}",
                f"+1 ({d(200, 1000)}) {d(200, 1000)}-{d(1000, 10000)}",
                f"+971 5{d(10)} {d(100, 1000)} {d(1000, 10000)}",
            )
        )

    def _mention(self) -> str:
        return "@" + self._rng.choice(self._usernames)

    def _tme_link(self) -> str:
        rng = self._rng
        invite = "".join(rng.choices(TOKEN, k=16))
        return rng.choice(
            (
                f"https://t.me/{rng.choice(v.CHANNEL_STEMS)}",
                f"https://t.me/{rng.choice(v.CHANNEL_STEMS)}/{rng.randrange(1, 90_000)}",
                f"https://t.me/+{invite}",
                f"t.me/joinchat/{invite}",
            )
        )

    def _crypto_address(self) -> str:
        rng = self._rng
        return rng.choice(
            (
                "bc1q" + "".join(rng.choices(BECH32, k=38)),
                "1" + "".join(rng.choices(BASE58, k=33)),
                "0x" + "".join(rng.choices(HEX, k=40)),
                "T" + "".join(rng.choices(BASE58, k=33)),
            )
        )
