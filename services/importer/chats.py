"""Per-chat state while mapping: the marked id, the chat's info, and forum topics.

Desktop exports no topic field. In a forum a message's ``reply_to_message_id`` is the topic's
root (the ``topic_created`` service message, whose id is the topic id) unless it replies to a
specific message, whose topic it then shares. The importer follows that chain with a bounded
memory of recent messages' topics, so a reply to a very old message may miss its topic; messages
of the General topic carry no reply and get no topic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice

from core.domain.messages import ChatInfo, UserInfo
from services.importer.ids import marked_chat
from services.importer.stream import ChatHeader

TOPIC_MEMORY = 200_000


@dataclass(frozen=True, slots=True)
class ChatFacts:
    """What the validation pass learned of a chat, used by the import pass."""

    ordinal: int
    section: str
    name: str | None
    type: str | None
    bare_id: int
    count: int
    is_forum: bool

    @classmethod
    def from_header(cls, header: ChatHeader, is_forum: bool) -> ChatFacts:
        name = header.name if isinstance(header.name, str) else None
        chat_type = header.type if isinstance(header.type, str) else None
        return cls(header.ordinal, header.section, name, chat_type, int(header.id),
                   header.count, is_forum)  # fmt: skip

    @property
    def marked(self) -> tuple[int, str]:
        return marked_chat(self.bare_id, self.type)

    def describe(self) -> str:
        label = f"chat #{self.ordinal + 1}"
        return f"{label} {self.name!r} (id {self.bare_id})" if self.name else label


@dataclass(slots=True)
class ChatContext:
    """A chat being imported: its marked id, kind and the topic memory of a forum."""

    facts: ChatFacts
    chat_id: int
    kind: str
    topic_roots: set[int] = field(default_factory=set)
    topic_of: dict[int, int] = field(default_factory=dict)

    @classmethod
    def open(cls, facts: ChatFacts) -> ChatContext:
        chat_id, kind = facts.marked
        return cls(facts, chat_id, kind)

    def info(self) -> ChatInfo:
        return ChatInfo(id=self.chat_id, kind=self.kind, title=self.facts.name,
                        is_forum=True if self.facts.is_forum else None)  # fmt: skip

    def partner(self) -> UserInfo | None:
        """The other person of a private chat (known even if they never wrote)."""
        if self.kind not in ("user", "bot") or self.facts.type == "saved_messages":
            return None
        return UserInfo(id=self.chat_id, first_name=self.facts.name,
                        is_bot=True if self.kind == "bot" else None)  # fmt: skip

    def open_topic(self, message_id: int) -> int:
        self.topic_roots.add(message_id)
        return message_id

    def topic_for(self, message_id: int, reply_to: int | None) -> int | None:
        if reply_to is None or not self.topic_roots:
            return None
        topic = reply_to if reply_to in self.topic_roots else self.topic_of.get(reply_to)
        if topic is not None:
            self.topic_of[message_id] = topic
            if len(self.topic_of) > TOPIC_MEMORY:
                for old in list(islice(self.topic_of, TOPIC_MEMORY // 4)):
                    del self.topic_of[old]
        return topic
