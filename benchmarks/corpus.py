"""A deterministic, streamed synthetic Telegram archive: chats, senders, messages in time order."""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from benchmarks.corpus_entities import ACCOUNT_OWNER_ID, ChatPlan, make_chats, make_users
from benchmarks.corpus_text import LANGUAGES, TextMaker, build_lexicons
from core.domain.messages import ArchivedMessage, ChatInfo, UserInfo

DEFAULT_SEED = 20_240_229
CORPUS_START = datetime(2023, 1, 1, tzinfo=UTC)
CORPUS_SPAN_SECONDS = 730 * 86_400  # two years
SENDERS = 2000
SERVICE_SHARE = 0.02
MEDIA_SHARE = 0.10
REPLY_SHARE = 0.06
FORWARD_SHARE = 0.04
EDIT_SHARE = 0.04
VIA_BOT_SHARE = 0.005
ID_GAP_SHARE = 0.03  # messages deleted before archiving leave holes in the id sequence
MEDIA_KINDS = ("photo", "photo", "photo", "video", "document", "voice", "sticker", "animation")
ACTIONS = {
    "private": ("phone_call", "pin_message", "screenshot_taken"),
    "channel": ("pin_message", "chat_edit_title", "chat_edit_photo", "group_call"),
    "group": (
        "chat_add_user",
        "chat_delete_user",
        "chat_joined_by_link",
        "pin_message",
        "chat_edit_title",
        "chat_edit_photo",
        "group_call",
    ),
}
FORUM_TOPICS = (1, 3, 57, 1_204)


class Corpus:
    """``size`` messages spread over two years across ~30 chats and ~2,000 senders.

    Everything depends only on ``seed``: two corpora with the same seed and size yield the same
    chats, users and messages. Messages are generated lazily, never held in memory.
    """

    def __init__(self, size: int, seed: int = DEFAULT_SEED, senders: int = SENDERS) -> None:
        self.size = size
        self.seed = seed
        self.users: list[UserInfo] = make_users(seed, senders)
        self.plans: list[ChatPlan] = make_chats(seed, self.users)
        self.chats: list[ChatInfo] = [plan.info for plan in self.plans]
        self.lexicons = build_lexicons(seed)

    def messages(self) -> Iterator[ArchivedMessage]:
        """Messages in time order (ids and dates increase per chat); endless past ``size``."""
        return _MessageStream(self).generate()

    def pages(self, page_size: int = 1000) -> Iterator[list[ArchivedMessage]]:
        """The first ``size`` messages in pages, as a backfill or an import would deliver them."""
        return paginate(self.messages(), self.size, page_size)


def paginate(
    messages: Iterable[ArchivedMessage], count: int, page_size: int = 1000
) -> Iterator[list[ArchivedMessage]]:
    """The next ``count`` messages of ``messages`` in lists of at most ``page_size``."""
    stream = iter(messages)
    remaining = count
    while remaining > 0:
        page = list(itertools.islice(stream, min(page_size, remaining)))
        if not page:
            return
        remaining -= len(page)
        yield page


def _pick(rng: random.Random, cum_weights: Sequence[float]) -> int:
    """The index chosen by a weighted draw (what ``random.choices`` does, minus its overhead)."""
    return bisect.bisect(cum_weights, rng.random() * cum_weights[-1])


class _MessageStream:
    """One pass over the corpus; a fresh instance replays it from the start."""

    def __init__(self, corpus: Corpus) -> None:
        self._rng = random.Random(f"{corpus.seed}:messages")
        usernames = [u.username for u in corpus.users if u.username]
        self._text = TextMaker(self._rng, corpus.lexicons, usernames)
        self._plans = corpus.plans
        self._chat_weights = list(itertools.accumulate(p.activity for p in corpus.plans))
        self._bots = [u.id for u in corpus.users if u.is_bot] or [ACCOUNT_OWNER_ID]
        self._counters: dict[int, int] = {}
        self._previous: dict[int, int] = {}  # the chat's last message id, for replies
        self._mean_gap = CORPUS_SPAN_SECONDS / max(corpus.size, 1)
        self._clock = CORPUS_START.timestamp()

    def generate(self) -> Iterator[ArchivedMessage]:
        rng = self._rng
        while True:
            self._clock += rng.expovariate(1.0 / self._mean_gap)
            plan = self._plans[_pick(rng, self._chat_weights)]
            yield self._message(plan)

    def _message(self, plan: ChatPlan) -> ArchivedMessage:
        rng = self._rng
        message_id = self._next_id(plan)
        date = datetime.fromtimestamp(int(self._clock), UTC)
        roll = rng.random()
        if roll < SERVICE_SHARE:
            return self._service(plan, message_id, date)
        language = LANGUAGES[_pick(rng, plan.language_weights)]
        text, entities = self._text.text(language)
        media_kind = None
        if roll < SERVICE_SHARE + MEDIA_SHARE:
            media_kind = rng.choice(MEDIA_KINDS)
            if rng.random() < 0.5:  # half the media carry no caption
                text, entities = "", None
        return ArchivedMessage(
            chat_id=plan.info.id,
            message_id=message_id,
            date=date,
            text=text,
            entities=entities,
            kind="media" if media_kind else "text",
            media_kind=media_kind,
            edit_date=self._edit_date(date, text),
            **self._context(plan, message_id, date),
        )

    def _next_id(self, plan: ChatPlan) -> int:
        # Channels and supergroups number their own messages; private chats and basic groups
        # share the account's counter, so their ids are sparse but still increase per chat.
        counter = plan.info.id if plan.info.kind in ("channel", "supergroup") else 0
        step = self._rng.randint(2, 6) if self._rng.random() < ID_GAP_SHARE else 1
        self._counters[counter] = self._counters.get(counter, 0) + step
        return self._counters[counter]

    def _context(self, plan: ChatPlan, message_id: int, date: datetime) -> dict[str, Any]:
        """Who sent it, what it answers or forwards, and channel-only fields."""
        rng = self._rng
        fields: dict[str, Any] = {"sender_id": self._sender(plan)}
        previous = self._previous.get(plan.info.id)
        self._previous[plan.info.id] = message_id
        roll = rng.random()  # one draw: a message is at most one of reply, forward, via bot
        if roll < REPLY_SHARE:
            if previous is not None:
                fields["reply_to_msg_id"] = rng.randint(max(1, previous - 40), previous)
        elif roll < REPLY_SHARE + FORWARD_SHARE:
            fields.update(self._forward(date))
        elif roll < REPLY_SHARE + FORWARD_SHARE + VIA_BOT_SHARE:
            fields["via_bot_id"] = rng.choice(self._bots)
        if plan.info.is_forum:
            fields["topic_id"] = rng.choice(FORUM_TOPICS)
        if plan.is_channel:
            fields["views"] = rng.randrange(50, 60_000)
            if rng.random() < 0.25:
                fields["post_author"] = rng.choice(("Admin", "Редакция", "Equipo de noticias"))
        return fields

    def _sender(self, plan: ChatPlan) -> int | None:
        if plan.is_channel:
            return None
        return plan.members[_pick(self._rng, plan.member_weights)]

    def _forward(self, date: datetime) -> dict[str, Any]:
        rng = self._rng
        origin = date - timedelta(seconds=rng.randrange(60, 30 * 86_400))
        if rng.random() < 0.3:  # the author hides their account: only a name survives
            return {"fwd_from_name": rng.choice(("José Peña", "Аня", "فاطمة")), "fwd_date": origin}
        source = rng.choice(self._plans).info.id if rng.random() < 0.5 else rng.choice(self._bots)
        return {"fwd_from_id": source, "fwd_date": origin}

    def _edit_date(self, date: datetime, text: str) -> datetime | None:
        if text and self._rng.random() < EDIT_SHARE:
            return date + timedelta(seconds=self._rng.randrange(20, 86_400))
        return None

    def _service(self, plan: ChatPlan, message_id: int, date: datetime) -> ArchivedMessage:
        rng = self._rng
        family = "private" if plan.is_private else "channel" if plan.is_channel else "group"
        action = rng.choice(ACTIONS[family])
        member = rng.choice(plan.members)
        payloads: dict[str, dict[str, Any]] = {
            "chat_add_user": {"users": [member]},
            "chat_delete_user": {"user_id": member},
            "chat_joined_by_link": {"inviter_id": member},
            "chat_edit_title": {"title": f"{plan.info.title} ✨"},
            "chat_edit_photo": {"photo_id": rng.randrange(10**15, 10**16)},
            "group_call": {"duration": rng.randrange(30, 7_200)},
            "phone_call": {"duration": rng.randrange(0, 3_600), "video": rng.random() < 0.2},
        }
        data = payloads.get(action, {})
        previous = self._previous.get(plan.info.id)
        pinned = previous if action == "pin_message" else None
        return ArchivedMessage(
            chat_id=plan.info.id,
            message_id=message_id,
            date=date,
            sender_id=self._sender(plan),
            kind="service",
            action=action,
            action_data=data,
            reply_to_msg_id=pinned,
        )
