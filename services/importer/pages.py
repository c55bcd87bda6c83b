"""The second pass: mapped messages gathered into pages of about ``page_size`` messages.

A page may span chats; a chat's info travels with its first page. Files the export holds are
listed per message key so the importer can copy them once the page is stored. A page holds
plain data only: it crosses from the parser process to the writer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field

from core.db.sqlite_bulk import CompactRow
from core.domain.archive import MediaRef
from core.domain.detection import RuleMatch
from core.domain.messages import ArchivedMessage, ChatInfo, UserInfo
from services.importer.chats import ChatContext, ChatFacts
from services.importer.mapper import InvalidMessageError, Mapped, MessageMapper
from services.importer.source import ExportSource
from services.importer.stream import ChatOpened, ExportReader, MessagesRead


@dataclass(slots=True)
class PageDraft:
    """One page before it is stored."""

    messages: list[ArchivedMessage] = field(default_factory=list)
    media: list[MediaRef] = field(default_factory=list)
    files: dict[tuple[int, int], str] = field(default_factory=dict)  # message key -> rel. path
    missing: Counter[str] = field(default_factory=Counter)
    chats: dict[int, ChatInfo] = field(default_factory=dict)
    users: dict[int, UserInfo] = field(default_factory=dict)
    opened: int = 0  # chats whose first page this is
    bytes_read: int = 0
    # Detection's matches found by the parser (``prematch``): message position -> matches.
    matches: dict[int, list[RuleMatch]] = field(default_factory=dict)
    # For SQLite (``sqlite_bulk.prepare``): each message's compact row values and folded text.
    sqlite_values: list[CompactRow] | None = None
    folded: list[str] | None = None

    def add(self, mapped: Mapped) -> None:
        self.messages.append(mapped.message)
        ref = mapped.media_ref()
        if ref is not None:
            self.media.append(ref)
            found = mapped.attachment
            if found is not None and found.path:
                self.files[mapped.message.key] = found.path
            elif found is not None and found.missing:
                self.missing[found.missing] += 1
        for person in mapped.people:
            self.add_person(person)

    def add_person(self, person: UserInfo | ChatInfo) -> None:
        if isinstance(person, UserInfo):
            self.users.setdefault(person.id, person)
        else:
            self.chats.setdefault(person.id, person)

    def open_chat(self, chat: ChatContext) -> None:
        self.opened += 1
        self.chats[chat.chat_id] = chat.info()
        partner = chat.partner()
        if partner is not None:
            self.users[partner.id] = partner


def draft_pages(
    source: ExportSource,
    chats: Sequence[ChatFacts],
    selected: Callable[[ChatFacts], bool],
    mapper: MessageMapper,
    page_size: int,
) -> Generator[PageDraft, None, None]:
    """Pages of the selected chats, streamed from ``source`` (validated before)."""
    draft = PageDraft()
    chat: ChatContext | None = None
    with source.open_json() as stream:
        reader = ExportReader(stream, source.name)
        for event in reader:
            if isinstance(event, ChatOpened):
                facts = _facts_at(reader, chats, event.header.ordinal)
                chat = ChatContext.open(facts) if selected(facts) else None
                if chat is not None:
                    draft.open_chat(chat)
            elif isinstance(event, MessagesRead) and chat is not None:
                for offset, raw in enumerate(event.messages):
                    mapped = _map(reader, mapper, chat, raw, event.first_index + offset)
                    if mapped is not None:
                        draft.add(mapped)
                    if len(draft.messages) >= page_size:
                        draft.bytes_read = reader.bytes_read
                        yield draft
                        draft = PageDraft()
        draft.bytes_read = reader.bytes_read
    if draft.messages or draft.opened:
        yield draft


def _facts_at(reader: ExportReader, chats: Sequence[ChatFacts], ordinal: int) -> ChatFacts:
    if ordinal >= len(chats) or chats[ordinal].ordinal != ordinal:
        raise reader.invalid(f"chat #{ordinal + 1} was not there when the file was validated")
    return chats[ordinal]


def _map(
    reader: ExportReader, mapper: MessageMapper, chat: ChatContext, raw: object, index: int
) -> Mapped | None:
    try:
        return mapper.map(chat, raw)
    except InvalidMessageError as problem:
        where = f"{chat.facts.describe()}, message #{index + 1}"
        raise reader.invalid(str(problem), where) from None
