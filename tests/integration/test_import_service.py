"""Telegram Desktop exports imported on both dialects: every kind, old formats, idempotency."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text

from core.config_manager import ConfigManager
from core.db.database import Database
from core.db.tables import (
    chat_history,
    detections,
    media,
    media_blobs,
    message_versions,
    messages,
    user_history,
)
from core.domain.archive import ArchivePage
from core.domain.detection import RuleKind, ScanTarget
from core.enhanced_logging_system import EnhancedLoggingSystem
from core.errors import InvalidInputError
from core.text import fold
from services.detection.engine import compile_rules
from services.detection.service import DetectionService, RuleDraft
from services.importer import ContentStore, ImportProgress, ImportService, ImportSummary
from services.importer.bench import generate_export
from services.ingest.media_policy import MediaPolicy
from services.ingest.service import IngestService
from tests import factories as f

FIXTURES = Path(__file__).parents[1] / "fixtures" / "exports"
ALL_KINDS = frozenset(
    {"photo", "video", "document", "audio", "voice", "video_note", "sticker", "animation"}
)
POLICY = MediaPolicy(ALL_KINDS, max_size_mb=200)
MADRID = ZoneInfo("Europe/Madrid")
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
COMMUNITY = -1001234567890  # "Comunidad Ñandú 🌎", public_supergroup 1234567890


class RecordingIngest(IngestService):
    """The real ingest, noting each page's size (the importer's unit of work)."""

    def __init__(self, db: Database) -> None:
        super().__init__(db, POLICY, clock=lambda: NOW)
        self.page_sizes: list[int] = []

    async def ingest_page(self, page: ArchivePage, **kwargs: Any) -> Any:
        self.page_sizes.append(len(page.messages))
        return await super().ingest_page(page, **kwargs)


def make_importer(
    db: Database, store: Path, **options: Any
) -> tuple[ImportService, RecordingIngest]:
    ingest = RecordingIngest(db)
    options.setdefault("export_timezone", MADRID)
    service = ImportService(db, ingest, ContentStore(store), clock=lambda: NOW, **options)
    return service, ingest


def generated_importer(
    db: Database, tmp_path: Path, messages: int, *, seed: int, chats: int, page_size: int
) -> tuple[Path, ImportService, RecordingIngest]:
    """A generated export of ``messages`` in ``tmp_path`` and an importer writing ``page_size``
    messages per page."""
    path = tmp_path / "result.json"
    generate_export(path, messages, seed=seed, chats=chats)
    service, ingest = make_importer(db, tmp_path / "media", page_size=page_size)
    return path, service, ingest


async def import_fixture(
    db: Database, tmp_path: Path, name: str, **options: Any
) -> tuple[ImportSummary, ImportService]:
    service, _ = make_importer(db, tmp_path / "media", **options)
    return await service.import_path(FIXTURES / name), service


async def count(db: Database, table: Any) -> int:
    async with db.reader() as uow:
        return int(
            (await uow.connection.execute(select(func.count()).select_from(table))).scalar_one()
        )


async def stored(db: Database, chat_id: int) -> dict[int, dict[str, Any]]:
    async with db.reader() as uow:
        query = select(messages).where(messages.c.chat_id == chat_id)
        return {r["message_id"]: dict(r) for r in (await uow.connection.execute(query)).mappings()}


async def media_of(db: Database, chat_id: int, message_id: int) -> dict[str, Any]:
    async with db.reader() as uow:
        query = (
            select(media, media_blobs.c.path)
            .join(messages, messages.c.id == media.c.message_pk)
            .outerjoin(media_blobs, media_blobs.c.sha256 == media.c.sha256)
            .where(messages.c.chat_id == chat_id, messages.c.message_id == message_id)
        )
        row = (await uow.connection.execute(query)).mappings().one()
        return dict(row)


async def test_a_modern_single_chat_export_stores_every_message_kind(
    db: Database, tmp_path: Path
) -> None:
    summary, _ = await import_fixture(db, tmp_path, "single_modern")
    rows = await stored(db, COMMUNITY)
    assert len(rows) == 38  # 39 minus the unsupported one
    assert summary.messages == {"text": 14, "media": 23, "service": 1}
    assert summary.skipped == {"unsupported message (Telegram Desktop wrote only its id)": 1}
    assert summary.unknown_keys == {
        "color (top level)": 1, "story_reference (message)": 1, "future_flag (message)": 1,
    }  # fmt: skip
    async with db.reader() as uow:
        chat = await uow.chats.get(COMMUNITY)
        jose, deleted, erased = [await uow.users.get(i) for i in (111, 999, 998)]
        news = await uow.chats.get(-1000000000777)
    assert chat is not None and (chat["kind"], chat["title"]) == (
        "supergroup",
        "Comunidad Ñandú 🌎",
    )
    assert jose is not None and jose["first_name"] == "José Núñez"
    assert deleted is not None and erased is not None
    assert deleted["is_deleted"] and erased["is_deleted"] and erased["first_name"] is None
    assert news is not None and news["title"] == "Canal de Noticias"

    assert rows[1]["text"].startswith("¿Mañana a las 10? Perfecto, señor Núñez. Acción")
    assert rows[1]["date"] == datetime(2024, 9, 21, 13, 16, 3, tzinfo=UTC)
    assert rows[2]["edit_date"] == datetime(2024, 9, 21, 13, 26, 3, tzinfo=UTC)
    assert rows[2]["entities"][0] == {"type": "bold", "offset": 8, "length": 3}
    assert rows[3]["text"] == "مَرْحَبًا بِكُمْ فِي المَجْمُوعَةِ، شُكْرًا جَزِيلًا"
    assert rows[3]["reply_to_msg_id"] == 1
    sticker = "stickers/sticker (1).webp"  # after 👍 and before 🔥: two UTF-16 units each
    assert rows[4]["entities"][0] == {
        "type": "custom_emoji", "offset": 21, "length": 2, "document_id": sticker,
    }  # fmt: skip
    assert {e["type"] for e in rows[5]["entities"]} >= {"pre", "blockquote", "spoiler", "bank_card"}
    assert (rows[28]["fwd_from_id"], rows[28]["fwd_from_name"]) == (
        -1000000000777,
        "Canal de Noticias",
    )
    assert rows[29]["action_data"] == {"forwarded_from": None}
    assert rows[31]["sender_id"] == 999
    assert rows[36]["sender_id"] == COMMUNITY and rows[36]["post_author"] == "Equipo"
    assert rows[37]["sender_id"] == -1000000000777
    assert (rows[39]["kind"], rows[39]["action"], rows[39]["action_data"]) == (
        "service", "pin_message", {"message_id": 6},
    )  # fmt: skip
    media_kinds = {i: rows[i]["media_kind"] for i in range(6, 28)}
    assert media_kinds == {
        6: "photo", 7: "photo", 8: "photo", 9: "video", 10: "voice", 11: "video_note",
        12: "audio", 13: "sticker", 14: "animation", 15: "document", 16: "contact",
        17: "location", 18: "location", 19: "location", 20: "venue", 21: "game",
        22: "invoice", 23: "poll", 24: "todo", 25: "giveaway", 26: "giveaway_results",
        27: "paid_media",
    }  # fmt: skip
    assert rows[22]["action_data"]["invoice_information"]["currency"] == "EUR"
    assert rows[23]["action_data"]["poll"]["answers"][0]["text"] == "Sí, claro"
    assert rows[34]["action_data"]["reactions"][0]["emoji"] == "👍"
    assert rows[34]["action_data"]["inline_bot_buttons"][0][0]["dataBase64"] == "eWVz"


async def test_export_files_are_copied_once_per_content_and_placeholders_stay_queued(
    db: Database, tmp_path: Path
) -> None:
    summary, _ = await import_fixture(db, tmp_path, "single_modern")
    assert (summary.media_copied, summary.media_deduplicated) == (7, 1)
    assert summary.media_missing == {
        "not included in the export (type not selected)": 2,
        "over the export's size limit": 1,
        "unavailable when the export was made": 1,
    }
    first, second = await media_of(db, COMMUNITY, 6), await media_of(db, COMMUNITY, 8)
    photo = (FIXTURES / "single_modern" / "photos" / "photo_1@21-09-2024_13-21-03.jpg").read_bytes()
    sha = hashlib.sha256(photo).hexdigest()
    assert first["state"] == second["state"] == "done"
    assert first["sha256"] == second["sha256"] == sha
    assert first["path"] == f"{sha[:2]}/{sha[2:4]}/{sha}"
    assert (tmp_path / "media" / first["path"]).read_bytes() == photo
    assert (await media_of(db, COMMUNITY, 15))["file_name"] == "informe_año.pdf"
    assert (await media_of(db, COMMUNITY, 7))["state"] == "pending"  # downloadable later
    assert (await media_of(db, COMMUNITY, 11))["state"] == "skipped"  # 2 GB: over the cap
    assert await count(db, media_blobs) == 7
    stored_files = [p for p in (tmp_path / "media").rglob("*") if p.is_file()]
    assert len(stored_files) == 7


async def test_every_service_action_is_kept_with_its_fields(db: Database, tmp_path: Path) -> None:
    summary, _ = await import_fixture(db, tmp_path, "service_actions")
    rows = await stored(db, -1002000000001)
    assert len(rows) == 60 and summary.messages == {"service": 60}
    actions = [rows[i]["action"] for i in sorted(rows)]
    assert actions[0] == "create_group" and actions[-1] == "brand_new_action"
    assert "custom_action" in actions and "suggested_post_refund" in actions
    by_action = {rows[i]["action"]: rows[i] for i in sorted(rows)}
    assert by_action["custom_action"]["action_data"] == {
        "information_text": "José Núñez se unió mediante una carpeta"
    }
    assert by_action["create_group"]["action_data"]["members"] == [
        "José Núñez",
        None,
        "Дмитрий Иванов",
    ]
    assert by_action["requested_peer"]["action_data"]["peers"][0]["peer_id"] == "user222"
    assert by_action["send_payment"]["sender_id"] is None
    assert by_action["brand_new_action"]["action_data"] == {"sparkles": 7}
    assert by_action["send_star_gift"]["action_data"]["gift_text"][1]["text"] == "cumpleaños"
    assert (await media_of(db, -1002000000001, 3))["state"] == "done"  # edit_group_photo
    assert summary.unknown_keys == {"action brand_new_action": 1, "sparkles (service message)": 1}


async def test_forum_messages_get_their_topic(db: Database, tmp_path: Path) -> None:
    await import_fixture(db, tmp_path, "forum")
    rows = await stored(db, -1003000000001)
    topics = {i: rows[i]["topic_id"] for i in sorted(rows)}
    assert topics == {1: None, 2: 2, 3: 2, 4: 4, 5: 4, 6: 2, 7: None, 8: None, 9: 4}
    async with db.reader() as uow:
        chat = await uow.chats.get(-1003000000001)
    assert chat is not None and chat["is_forum"]


async def test_a_2020_export_with_numeric_ids_and_local_dates(db: Database, tmp_path: Path) -> None:
    summary, _ = await import_fixture(db, tmp_path, "old_2020")
    rows = await stored(db, 653911985)  # personal chat: the user's id
    assert rows[101]["sender_id"] == 653911985 and rows[102]["sender_id"] == 1001
    assert rows[101]["date"] == datetime(2020, 7, 15, 10, 0, tzinfo=UTC)  # 12:00 in Madrid
    assert rows[102]["edit_date"] == datetime(2020, 7, 15, 10, 10, tzinfo=UTC)
    assert rows[102]["text"] == "Mira esto: https://example.es/año y ojo"
    assert rows[102]["entities"] == [
        {"type": "link", "offset": 11, "length": 22}, {"type": "bold", "offset": 36, "length": 3},
    ]  # fmt: skip
    assert rows[104]["date"] == datetime(2020, 10, 25, 0, 30, tzinfo=UTC)  # the earlier 02:30
    assert rows[104]["sender_id"] == 1001 and rows[104]["action"] == "phone_call"
    assert rows[105]["date"] == datetime(2020, 12, 31, 22, 59, 59, tzinfo=UTC)
    assert summary.local_time_dates == 6
    assert summary.media_missing == {"listed in result.json but absent from the export": 2}
    async with db.reader() as uow:
        chat, partner = await uow.chats.get(653911985), await uow.users.get(653911985)
    assert chat is not None and chat["kind"] == "user"
    assert partner is not None and partner["first_name"] == "María José"


async def test_the_time_zone_decides_old_dates(db: Database, tmp_path: Path) -> None:
    await import_fixture(db, tmp_path, "old_2020", export_timezone=ZoneInfo("America/Bogota"))
    rows = await stored(db, 653911985)
    assert rows[101]["date"] == datetime(2020, 7, 15, 17, 0, tzinfo=UTC)


async def test_a_2021_basic_group_with_a_deleted_member(db: Database, tmp_path: Path) -> None:
    await import_fixture(db, tmp_path, "old_2021")
    rows = await stored(db, -4444)
    assert rows[3]["sender_id"] == 1003
    assert rows[5]["fwd_from_name"] == "Канал" and rows[5]["entities"] == [
        {"type": "hashtag", "offset": 7, "length": 8}
    ]
    async with db.reader() as uow:
        chat, ghost = await uow.chats.get(-4444), await uow.users.get(1003)
    assert chat is not None and (chat["kind"], chat["title"]) == ("group", "Familia Pérez")
    assert ghost is not None and ghost["is_deleted"]


async def test_messages_of_a_migrated_group_keep_negative_ids_in_the_supergroup(
    db: Database, tmp_path: Path
) -> None:
    await import_fixture(db, tmp_path, "migrated_group")
    rows = await stored(db, -1001500000000)
    assert sorted(rows) == [-999999999, -999999998, -999999997, -999999996, 1, 2, 3]
    assert rows[-999999997]["reply_to_msg_id"] == -999999998
    assert rows[3]["reply_to_msg_id"] == -999999997
    assert rows[-999999996]["action"] == "migrate_to_supergroup"
    assert rows[1]["action"] == "migrate_from_group" and rows[1]["sender_id"] == -1001500000000


async def test_a_full_account_export_imports_every_chat(db: Database, tmp_path: Path) -> None:
    summary, _ = await import_fixture(db, tmp_path, "full_account")
    assert summary.chats == 8 and summary.total_messages == 11
    expected = {
        111: ("user", 2), 5000000001: ("bot", 2), 1001: ("user", 1), -6666: ("group", 2),
        -1001777000000: ("channel", 1), 1271266957: ("user", 1), 489000: ("user", 0),
        -1001888000000: ("channel", 2),
    }  # fmt: skip
    async with db.reader() as uow:
        for chat_id, (kind, size) in expected.items():
            chat = await uow.chats.get(chat_id)
            assert chat is not None and chat["kind"] == kind, chat_id
            assert await uow.messages.count(chat_id) == size, chat_id
        bot = await uow.users.get(5000000001)
    assert bot is not None and bot["is_bot"]
    saved = (await stored(db, 1001))[1]
    assert (saved["fwd_from_id"], saved["action_data"]["saved_from"]) == (111, "José Núñez")
    assert (await stored(db, -1001777000000))[1]["post_author"] == "Ana García"
    assert (summary.media_copied, summary.media_deduplicated) == (2, 1)


async def test_a_zip_imports_like_its_folder(db: Database, tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for path in sorted((FIXTURES / "single_modern").rglob("*")):
            relative = path.relative_to(FIXTURES / "single_modern")
            out.write(path, f"ChatExport_2024-09-21/{relative.as_posix()}")
    service, _ = make_importer(db, tmp_path / "media")
    parts_before = leftover_parts()
    summary = await service.import_path(archive)
    assert summary.source == f"{archive}:ChatExport_2024-09-21/result.json"
    assert summary.total_messages == 38 and summary.inserted == 38
    assert (summary.media_copied, summary.media_deduplicated) == (7, 1)
    assert (await media_of(db, COMMUNITY, 15))["state"] == "done"
    assert leftover_parts() == parts_before


def leftover_parts() -> set[str]:
    """Zip members copied out to the system's temporary folder (must be removed again)."""
    return {p.name for p in Path(tempfile.gettempdir()).glob("tv-import-*.part")}


async def test_importing_twice_adds_nothing(db: Database, tmp_path: Path) -> None:
    first, service = await import_fixture(db, tmp_path, "single_modern")
    before = [
        await count(db, t) for t in (messages, media, media_blobs, user_history, chat_history)
    ]
    second = await service.import_path(FIXTURES / "single_modern")
    after = [await count(db, t) for t in (messages, media, media_blobs, user_history, chat_history)]
    assert after == before
    assert first.inserted == 38
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 38)
    assert (second.media_copied, second.media_queued, second.media_already_stored) == (0, 0, 8)
    assert await count(db, message_versions) == 0


FIXTURE_NAMES = sorted(p.name for p in FIXTURES.iterdir() if (p / "result.json").is_file())


@pytest.mark.parametrize("name", FIXTURE_NAMES)
async def test_every_fixture_imports_twice_without_changes(
    db: Database, tmp_path: Path, name: str
) -> None:
    tables = (messages, media, media_blobs, message_versions, user_history, chat_history)
    first, service = await import_fixture(db, tmp_path, name)
    before = [await count(db, t) for t in tables]
    second = await service.import_path(FIXTURES / name)
    assert [await count(db, t) for t in tables] == before
    assert first.inserted == first.total_messages > 0
    assert (second.inserted, second.updated, second.older_versions) == (0, 0, 0)
    assert second.unchanged == second.total_messages == first.total_messages
    assert (second.media_copied, second.media_queued) == (0, 0)


async def test_import_then_the_same_messages_through_ingest_add_nothing(
    db: Database, tmp_path: Path
) -> None:
    await import_fixture(db, tmp_path, "single_modern")
    rows = await stored(db, COMMUNITY)
    same = [
        f.message(i, chat_id=COMMUNITY, text=rows[i]["text"], sender_id=rows[i]["sender_id"],
                  date=rows[i]["date"], entities=_entities(rows[i]["entities"]),
                  edit_date=rows[i]["edit_date"])
        for i in sorted(rows)
    ]  # fmt: skip
    result = await IngestService(db, POLICY).ingest_page(ArchivePage(messages=same))
    assert (len(result.outcome.inserted), len(result.outcome.edited)) == (0, 0)
    assert result.outcome.unchanged == 38
    assert await count(db, messages) == 38 and await count(db, message_versions) == 0


def _entities(value: Any) -> tuple[dict[str, Any], ...] | None:
    return tuple(value) if value is not None else None


async def test_live_data_first_then_import_keeps_names_and_adds_only_the_rest(
    db: Database, tmp_path: Path
) -> None:
    live_jose = f.user(111, first_name="José", last_name="Núñez", username="jose")
    live_chat = f.chat(COMMUNITY, title="Comunidad Ñandú", username="nandu")
    text = "¿Mañana a las 10? Perfecto, señor Núñez. Acción inmediata en el año 2025."
    first = f.message(1, chat_id=COMMUNITY, sender_id=111, text=text)
    page = ArchivePage(messages=[first], chats=[live_chat], users=[live_jose])
    await IngestService(db, POLICY).ingest_page(page)
    summary, _ = await import_fixture(db, tmp_path, "single_modern")
    assert (summary.inserted, summary.unchanged) == (37, 1)
    async with db.reader() as uow:
        jose, chat = await uow.users.get(111), await uow.chats.get(COMMUNITY)
    assert jose is not None and (jose["first_name"], jose["last_name"]) == ("José", "Núñez")
    assert chat is not None and chat["title"] == "Comunidad Ñandú"
    assert await count(db, user_history) == 0 and await count(db, chat_history) == 0


async def test_only_the_chosen_chats_are_imported(db: Database, tmp_path: Path) -> None:
    summary, service = await import_fixture(db, tmp_path, "full_account", page_size=1)
    assert summary.chats == 8
    await _reset(db)
    picked = await service.import_path(FIXTURES / "full_account", chat_ids=[6666, -1001888000000])
    assert picked.chats == 2 and picked.total_messages == 4
    assert picked.skipped == {"chat not selected with --chat-id": 6}
    with pytest.raises(InvalidInputError, match="no chat with id 42"):
        await service.import_path(FIXTURES / "full_account", chat_ids=[42])


async def _reset(db: Database) -> None:
    async with db.unit_of_work() as uow:
        await uow.connection.execute(media.delete())
        await uow.connection.execute(messages.delete())
        await uow.commit()


async def test_known_desktop_bugs_are_repaired_and_nul_is_storable(
    db: Database, tmp_path: Path
) -> None:
    summary, _ = await import_fixture(db, tmp_path, "desktop_bugs")
    rows = await stored(db, -1002100000000)
    assert rows[1]["entities"][0]["document_id"] == "video_files/sticker (2).webm"
    assert (
        rows[2]["action_data"]["inline_bot_buttons"][0][0]["data"] == "1=412\x012=97180\x013=292430"
    )
    assert rows[3]["text"] == "antes\ufffddespués\x0bfin"
    assert summary.repairs["NUL character replaced"] == 2


async def test_pages_stay_bounded_and_start_before_the_file_is_read(
    db: Database, tmp_path: Path
) -> None:
    path, service, ingest = generated_importer(db, tmp_path, 3_000, seed=11, chats=3, page_size=250)
    seen: list[ImportProgress] = []
    summary = await service.import_path(path, seen.append)
    assert summary.total_messages == 3_000 == summary.inserted
    assert max(ingest.page_sizes) <= 250 and sum(ingest.page_sizes) == 3_000
    importing = [p for p in seen if p.phase == "importing"]
    assert importing[0].bytes_read < path.stat().st_size // 2
    assert importing[-1].messages == importing[-1].messages_total == 3_000
    assert any(p.phase == "validating" for p in seen)


async def test_a_lone_json_file_with_another_name_is_accepted(db: Database, tmp_path: Path) -> None:
    renamed = tmp_path / "chat.json"
    shutil.copy(FIXTURES / "forum" / "result.json", renamed)
    service, _ = make_importer(db, tmp_path / "media")
    assert (await service.import_path(renamed)).inserted == 9


async def _statistics_refreshes(db: Database) -> int:
    """How often the planner's statistics about ``messages`` were refreshed on purpose (SQLite:
    whether they exist at all; each test has a new file there)."""
    if db.dialect == "sqlite":
        sql = "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'"
    else:
        sql = "SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'messages'"
    async with db.reader() as uow:
        return int((await uow.connection.execute(text(sql))).scalar_one())


async def test_a_large_import_leaves_fresh_planner_statistics(db: Database, tmp_path: Path) -> None:
    before = await _statistics_refreshes(db)
    summary, _ = await import_fixture(db, tmp_path, "single_modern", statistics_after=1)
    assert summary.inserted >= 1
    assert await _statistics_refreshes(db) > before


async def test_a_small_import_leaves_statistics_to_maintenance(
    db: Database, tmp_path: Path
) -> None:
    before = await _statistics_refreshes(db)
    await import_fixture(db, tmp_path, "single_modern")
    assert await _statistics_refreshes(db) == before


async def _detection(db: Database) -> DetectionService:
    config = ConfigManager(env_file=None, environ={})
    config.load()
    service = DetectionService(config, EnhancedLoggingSystem(config), db=db)
    for name, kind, pattern in (
        ("meeting", RuleKind.KEYWORDS, "reunion, meeting, встреча"),
        ("tokyo", RuleKind.KEYWORDS, "東京"),
        ("numbers", RuleKind.REGEX, r"\bnew\s+numbers\b"),
    ):
        await service.add_rule(RuleDraft(name, kind, pattern))
    return service


async def test_the_parser_scans_the_pages_and_the_hits_equal_a_scan_of_what_was_stored(
    db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "result.json"
    generate_export(path, 2_000, seed=5, chats=3)
    detection = await _detection(db)
    ingest = IngestService(db, POLICY, scanner=detection, alerts=False, clock=lambda: NOW)
    service = ImportService(db, ingest, ContentStore(tmp_path / "media"), page_size=300)
    assert (await service.import_path(path)).inserted == 2_000
    assert detection.compilations == 0  # every match came from the parser process
    snapshot = await detection.rule_snapshot()
    async with db.reader() as uow:
        rows = (await uow.connection.execute(select(messages))).mappings().all()
        found = await uow.connection.execute(
            select(detections.c.rule_id, detections.c.message_pk, detections.c.matched_text)
        )
        stored_hits = sorted(tuple(row) for row in found)
    targets = [ScanTarget(r["id"], r["chat_id"], r["sender_id"], r["text"]) for r in rows]
    expected = sorted(
        (m.rule_id, m.message_pk, m.matched_text)
        for m in compile_rules(snapshot.rules).scan_many(targets)
    )
    assert len(expected) > 100
    assert stored_hits == expected


async def test_the_search_indexes_written_from_the_parsers_rows_match_the_stored_texts(
    db: Database, tmp_path: Path
) -> None:
    path, service, _ = generated_importer(db, tmp_path, 1_500, seed=9, chats=2, page_size=400)
    await service.import_path(path)
    if db.dialect != "sqlite":
        return  # PostgreSQL's search column and trigram index are computed by the server
    async with db.reader() as uow:
        texts = [str(t) for (t,) in await uow.connection.execute(select(messages.c.text))]
        probes = (("messages_trgm", "reunion"), ("messages_trgm", "отчёт"),
                  ("messages_trgm", "مرحبا"), ("messages_fts", "informacion"))  # fmt: skip
        for table, probe in probes:
            sql = f"SELECT count(*) FROM {table} WHERE {table} MATCH :q"
            term = fold(probe)
            found = (await uow.connection.execute(text(sql), {"q": f'"{term}"'})).scalar_one()
            assert found == sum(term in fold(t) for t in texts) > 0, (table, probe)
