"""The synthetic corpus's people and chats: multilingual senders, ~30 chats of every kind."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, replace

from benchmarks import vocabulary as v
from benchmarks.corpus_text import LANGUAGE_MIX, LANGUAGES
from core.domain.messages import ChatInfo, UserInfo

ACCOUNT_OWNER_ID = 5_000_000_001  # "me": the archiving account, the other side of private chats
CHAT_KINDS = (("supergroup", 10), ("channel", 6), ("group", 6), ("user", 7), ("bot", 1))
CULTURE_LANG_CODE = {"en": "en", "es": "es", "ru": "ru", "ar": "ar", "zh": "zh-hans", "ja": "ja"}
MAIN_LANGUAGE_SHARE = 0.75


@dataclass(frozen=True, slots=True)
class ChatPlan:
    """A chat plus what its messages look like: who speaks, in which languages, how often."""

    info: ChatInfo
    activity: float
    members: tuple[int, ...]
    member_weights: tuple[float, ...]  # cumulative
    language_weights: tuple[float, ...]  # cumulative, in LANGUAGES order

    @property
    def is_channel(self) -> bool:
        return self.info.kind == "channel"

    @property
    def is_private(self) -> bool:
        return self.info.kind in ("user", "bot")


def make_users(seed: int, count: int) -> list[UserInfo]:
    """``count`` senders plus the archiving account itself (it writes in private chats)."""
    rng = random.Random(f"{seed}:users")
    ids = sorted(rng.sample(range(100_000_000, ACCOUNT_OWNER_ID), count))
    owner = UserInfo(id=ACCOUNT_OWNER_ID, first_name="Vault", last_name="Owner", lang_code="es")
    return [_user(rng, user_id, index) for index, user_id in enumerate(ids)] + [owner]


def _user(rng: random.Random, user_id: int, index: int) -> UserInfo:
    culture = rng.choices(LANGUAGES, weights=LANGUAGE_MIX)[0]
    roll = rng.random()
    if roll < 0.015:
        return UserInfo(id=user_id, is_deleted=True)
    stem = rng.choice(v.USERNAME_STEMS)
    if roll < 0.035:
        name = f"{stem.title()} Bot"
        return UserInfo(id=user_id, first_name=name, username=f"{stem}{index}_bot", is_bot=True)
    return UserInfo(
        id=user_id,
        first_name=rng.choice(v.FIRST_NAMES[culture]),
        last_name=rng.choice(v.LAST_NAMES[culture]) if rng.random() < 0.8 else None,
        username=f"{stem}{index}" if rng.random() < 0.7 else None,
        phone=f"{rng.choice((57, 34, 7, 1, 971))}{rng.randrange(10**9, 10**10)}"
        if rng.random() < 0.1
        else None,
        lang_code=CULTURE_LANG_CODE[culture],
        is_premium=rng.random() < 0.05,
    )


def make_chats(seed: int, users: list[UserInfo]) -> list[ChatPlan]:
    rng = random.Random(f"{seed}:chats")
    people = [u for u in users if not (u.is_bot or u.is_deleted or u.id == ACCOUNT_OWNER_ID)]
    bots = [u for u in users if u.is_bot] or people
    kinds = [kind for kind, count in CHAT_KINDS for _ in range(count)]
    rng.shuffle(kinds)
    # Private chats are keyed by the peer's id, so each peer is used once.
    peers = iter(rng.sample(people, len(kinds)))
    plans = []
    for index, kind in enumerate(kinds):
        language = rng.choices(LANGUAGES, weights=LANGUAGE_MIX)[0]
        peer = rng.choice(bots) if kind == "bot" else next(peers)
        plans.append(_chat(rng, index, kind, language, peer, people))
    return plans


def _chat(
    rng: random.Random,
    index: int,
    kind: str,
    language: str,
    peer: UserInfo,
    people: list[UserInfo],
) -> ChatPlan:
    if kind in ("user", "bot"):
        info = ChatInfo(id=peer.id, kind=kind, title=peer.display_name, username=peer.username)
        members: list[int] = [peer.id, ACCOUNT_OWNER_ID]
    else:
        title = f"{rng.choice(v.CHAT_TITLES[language])} {index}"
        info = ChatInfo(
            id=_marked_chat_id(kind, index),
            kind=kind,
            title=title,
            username=f"{rng.choice(v.CHANNEL_STEMS)}_{index}" if rng.random() < 0.6 else None,
            is_forum=kind == "supergroup" and index % 7 == 0,
        )
        size = {"supergroup": (40, 900), "group": (4, 60)}.get(kind, (1, 3))
        members = [u.id for u in rng.sample(people, rng.randint(*size))]
        info = replace(info, participants_count=len(members) * rng.randint(1, 30))
    weights = [1.0 / (rank + 1) for rank in range(len(members))]
    return ChatPlan(
        info=info,
        activity=1.0 / (index + 1) ** 0.8,
        members=tuple(members),
        member_weights=tuple(itertools.accumulate(weights)),
        language_weights=_language_weights(language),
    )


def _marked_chat_id(kind: str, index: int) -> int:
    if kind == "group":
        return -(400_000_000 + index * 7_919)
    return -(1_000_000_000_000 + 1_100_000_000 + index * 104_729)


def _language_weights(main: str) -> tuple[float, ...]:
    rest = 1.0 - MAIN_LANGUAGE_SHARE
    weights = (
        share * rest + (MAIN_LANGUAGE_SHARE if language == main else 0.0)
        for language, share in zip(LANGUAGES, LANGUAGE_MIX, strict=True)
    )
    return tuple(itertools.accumulate(weights))
