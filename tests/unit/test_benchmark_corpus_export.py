"""The benchmark corpus as a Desktop export: read back by the importer, it is the corpus again."""

from __future__ import annotations

import itertools
from datetime import UTC
from pathlib import Path

from benchmarks.corpus import Corpus
from benchmarks.corpus_export import DESKTOP_ENTITIES, write_corpus_export
from services.importer.chats import ChatContext
from services.importer.mapper import MappingStats, MessageMapper
from services.importer.source import open_export
from services.importer.stream import ExportReader, MessagesRead
from services.importer.validate import validate_export

SIZE = 3_000


def test_the_export_holds_the_corpus_messages_as_the_importer_maps_them(tmp_path: Path) -> None:
    corpus = Corpus(SIZE, seed=3)
    path = tmp_path / "result.json"
    write_corpus_export(path, corpus)
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]  # the spools are gone
    source = open_export(path)
    validated = validate_export(source, UTC)
    assert validated.messages == SIZE
    assert [c.marked[0] for c in validated.chats] == [c.id for c in corpus.chats]
    mapper = MessageMapper(UTC, MappingStats())
    mapped = {}
    with source.open_json() as stream:
        for event in ExportReader(stream):
            if isinstance(event, MessagesRead):
                chat = ChatContext.open(validated.chats[event.header.ordinal])
                for raw in event.messages:
                    found = mapper.map(chat, raw)
                    assert found is not None
                    mapped[found.message.key] = found.message
    expected = list(itertools.islice(corpus.messages(), SIZE))
    assert len(mapped) == SIZE and set(mapped) == {m.key for m in expected}
    for original in expected:
        copy = mapped[original.key]
        assert (copy.date, copy.text, copy.kind) == (original.date, original.text, original.kind)
        assert copy.edit_date == original.edit_date
        assert _spans(copy.entities) == _spans(original.entities, DESKTOP_ENTITIES)
        if original.kind == "service":  # a new group photo is the action's own media
            assert copy.action is not None and copy.sender_id == original.sender_id
            continue
        assert copy.media_kind == original.media_kind
        assert copy.reply_to_msg_id == original.reply_to_msg_id
        assert copy.sender_id in (original.sender_id, original.chat_id)  # a channel signs posts
    assert mapper.stats.unknown_keys == {}


def _spans(
    entities: tuple[dict[str, object], ...] | None, names: dict[str, str] | None = None
) -> list[tuple[object, object, object]]:
    rename = names or {}
    return [
        (rename.get(str(e["type"]), e["type"]), e["offset"], e["length"]) for e in entities or ()
    ]
