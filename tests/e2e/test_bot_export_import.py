"""/export and /import through the real bot: documents out, Desktop exports in, with progress."""

from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import build_dispatcher, feature_routers
from bot.errors import INTERNAL
from bot.routers.export import export_router
from core.db.database import Database
from core.db.tables import alerts, detections, media_blobs, messages
from core.domain.archive import ArchivePage
from core.domain.detection import RuleKind
from services.detection.service import RuleDraft
from services.export.service import ExportService
from services.ingest.media_policy import MediaPolicy
from services.ingest.service import IngestService
from tests import factories
from tests.e2e.harness import ADMIN, OTHER_ADMIN, STRANGER, BotEnv, bot_env, polling
from tests.fakes.botapi import SentMessage

CHAT = -1001000000001
TITLE = "Vault <Club> & Co"
FIXTURES = Path(__file__).parents[1] / "fixtures" / "exports"
IMPORTED_CHAT = -1000555000111  # private_supergroup 555000111 in the Desktop export
OVER_LIMIT = 25 * 1024 * 1024


class FakeTime:
    """A monotonic clock that moves ``step`` seconds per reading, and a sleep that records."""

    def __init__(self, step: float) -> None:
        self.now = 0.0
        self.step = step
        self.slept: list[float] = []

    def monotonic(self) -> float:
        self.now += self.step
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


@pytest.fixture(autouse=True)
def no_crash(env: BotEnv) -> Iterator[None]:
    """The errors router turns a crash into a polite reply: a test must not pass over one."""
    yield
    crashed = [m.text for m in env.api.all_messages if m.text and INTERNAL in m.text]
    assert crashed == []


@pytest.fixture
def clock(env: BotEnv) -> FakeTime:
    """Every progress update is due (3 s pass per reading); flood waits are recorded."""
    fake = FakeTime(step=3.0)
    routers = feature_routers
    env.dispatcher = build_dispatcher(
        env.services,
        [ADMIN, OTHER_ADMIN],
        jobs=env.dispatcher["jobs"],
        routers=lambda: [
            export_router(monotonic=fake.monotonic, sleep=fake.sleep)
            if router.name == "export"
            else router
            for router in routers()
        ],
    )
    return fake


@pytest.fixture
def temp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The system temporary folder, private to the test, to see that uploads are removed."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


async def seed(db: Database, texts: list[str]) -> None:
    page = ArchivePage(
        messages=[factories.message(i, text=text) for i, text in enumerate(texts, start=1)],
        chats=[factories.chat(CHAT, title=TITLE, username="vaultclub")],
        users=[factories.user()],
    )
    await IngestService(db, MediaPolicy(frozenset(), 0)).ingest_page(page)


def desktop_export(texts: list[str]) -> bytes:
    """A minimal modern single-chat Telegram Desktop ``result.json``."""
    start = 1_714_557_600  # 2024-05-01T10:00:00Z
    items = [
        {
            "id": number,
            "type": "message",
            "date": "2024-05-01T12:00:00",
            "date_unixtime": str(start + 60 * number),
            "from": "Ana García",
            "from_id": "user777",
            "text": text,
            "text_entities": [{"type": "plain", "text": text}],
        }
        for number, text in enumerate(texts, start=1)
    ]
    chat = {"name": "Imported Club", "type": "private_supergroup", "id": 555000111}
    return json.dumps({**chat, "messages": items}, ensure_ascii=False, indent=1).encode()


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for name, content in members.items():
            out.writestr(name, content)
    return buffer.getvalue()


def zipped_fixture(name: str) -> bytes:
    """The fixture's folder as Telegram Desktop leaves it, zipped with its media."""
    folder = FIXTURES / name
    return zipped(
        {
            f"ChatExport_2024-09-21/{path.relative_to(folder)}": path.read_bytes()
            for path in sorted(folder.rglob("*"))
            if path.is_file()
        }
    )


async def stored_messages(db: Database, chat_id: int | None = None) -> int:
    query = select(func.count()).select_from(messages)
    if chat_id is not None:
        query = query.where(messages.c.chat_id == chat_id)
    async with db.reader() as uow:
        return int((await uow.connection.execute(query)).scalar_one())


def leftovers(folder: Path) -> list[Path]:
    """Whatever is left under ``folder``: temporary uploads must be gone, folders too."""
    return list(folder.rglob("*"))


def files_under(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()]


def documents(sent: list[SentMessage]) -> list[SentMessage]:
    return [message for message in sent if message.document is not None]


def texts_of(sent: list[SentMessage]) -> list[str]:
    return [message.plain_text or "" for message in sent if message.document is None]


def edits_of(env: BotEnv, message: SentMessage) -> list[str]:
    calls = env.api.calls_to("editMessageText")
    return [c.params["text"] for c in calls if c.params["message_id"] == message.message_id]


# -- /export ----------------------------------------------------------------------------------


async def test_export_without_arguments_explains_formats_and_ranges(env: BotEnv) -> None:
    usage = (await env.reply("/export")).plain_text or ""
    assert "/export <chat> [json|csv|html] [date range]" in usage
    assert "2024-01-01..2024-02-01" in usage and "7d" in usage and "since 2024-01-01" in usage


async def test_export_sends_json_csv_and_html_documents(env: BotEnv, db: Database) -> None:
    await seed(db, ["hola <b>amigo</b> & more", "второе сообщение", "third one"])
    for fmt in ("json", "csv", "html"):
        sent = await env.send(f"/export @vaultclub {fmt}")
        [document] = documents(sent)
        assert document.document_name is not None and document.document_name.endswith(fmt)
        assert "part 1 of 1" in (document.plain_text or "")
        assert "3 messages" in (document.plain_text or "")
        assert TITLE in (document.plain_text or "")
        [progress] = [m for m in sent if m.document is None]
        final = env.current(progress).plain_text or ""
        assert final.startswith(f"✅ Exported {TITLE}: 3 messages")
        assert "all messages" in final
        content = document.document or b""
        if fmt == "json":
            parsed = json.loads(content)
            texts = json.dumps(parsed, ensure_ascii=False)
            assert "hola <b>amigo</b> & more" in texts and "второе сообщение" in texts
        elif fmt == "csv":
            rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
            assert len(rows) == 4  # header + 3 messages
            assert any("второе сообщение" in cell for row in rows for cell in row)
        else:
            page = content.decode()
            assert "hola &lt;b&gt;amigo&lt;/b&gt; &amp; more" in page
            assert "<b>amigo</b>" not in page


async def test_a_large_export_is_split_and_its_progress_edited(
    env: BotEnv, db: Database, clock: FakeTime
) -> None:
    await seed(db, [f"message number {i} " + "x" * 200 for i in range(1, 11)])
    env.services.export = ExportService(db, max_part_bytes=1200, batch_size=3, tz=env.services.tz)
    sent = await env.send("/export @vaultclub json 2025-01-01..2025-01-01")
    parts = documents(sent)
    assert len(parts) > 2
    ids: list[int] = []
    for number, part in enumerate(parts, start=1):
        assert f"part {number} of {len(parts)}" in (part.plain_text or "")
        assert "10 messages" in (part.plain_text or "") and "2025-01-01" in (part.plain_text or "")
        body = json.loads(part.document or b"")
        ids += [message["id"] for message in body["messages"]]
    assert sorted(ids) == list(range(1, 11))
    [progress] = [m for m in sent if m.document is None]
    edits = edits_of(env, progress)
    shown = [text for text in edits if "Exporting" in text]
    assert [text.rsplit("… ", 1)[1] for text in shown[:3]] == [
        "3 messages", "6 messages", "9 messages",
    ]  # fmt: skip
    assert any("sending" in text for text in edits)
    final = env.current(progress).plain_text or ""
    assert (
        final.startswith(f"✅ Exported {TITLE}: 10 messages")
        and f"{len(parts)} JSON files" in final
    )


async def test_progress_edits_are_throttled(env: BotEnv, db: Database) -> None:
    slow = FakeTime(step=0.1)  # 0.1 s per reading: batches arrive faster than edits may
    env.dispatcher = build_dispatcher(
        env.services,
        [ADMIN],
        jobs=env.dispatcher["jobs"],
        routers=lambda: [export_router(monotonic=slow.monotonic, sleep=slow.sleep)],
    )
    await seed(db, [f"text {i}" for i in range(1, 31)])
    env.services.export = ExportService(db, batch_size=1, tz=env.services.tz)
    sent = await env.send("/export @vaultclub csv")
    [progress] = [m for m in sent if m.document is None]
    edits = edits_of(env, progress)
    counting = [text for text in edits if "Exporting" in text and "sending" not in text]
    assert 0 < len(counting) < 10  # 30 batches, an edit at most every 1.5 s of the clock
    assert (env.current(progress).plain_text or "").startswith(f"✅ Exported {TITLE}: 30 messages")


async def test_an_empty_range_still_sends_a_valid_empty_file(env: BotEnv, db: Database) -> None:
    await seed(db, ["only in 2025"])
    sent = await env.send("/export @vaultclub json 2030-01-01")
    [document] = documents(sent)
    assert json.loads(document.document or b"")["messages"] == []
    assert "0 messages" in (document.plain_text or "")
    [progress] = [m for m in sent if m.document is None]
    final = env.current(progress).plain_text or ""
    assert "0 messages (nothing in that range)" in final and "2030-01-01" in final


async def test_export_errors_are_one_clear_message(env: BotEnv, db: Database) -> None:
    await seed(db, ["hello"])
    [bad_format] = await env.send("/export @vaultclub xml")
    assert "'xml' is not an export format" in (bad_format.plain_text or "")
    [unknown] = await env.send("/export @nobody_here")
    assert (env.current(unknown).plain_text or "").startswith("🔎 no chat in the vault matches")
    [bad_range] = await env.send("/export @vaultclub 2024-05-01..2024-01-01")
    assert "ends before it starts" in (bad_range.plain_text or "")
    assert documents(env.api.messages(ADMIN)) == []


async def test_export_waits_out_flood_control_between_documents(
    env: BotEnv, db: Database, clock: FakeTime
) -> None:
    await seed(db, ["hello"])
    env.api.fail("sendDocument", status=429, retry_after=7)
    [document] = documents(await env.send("/export @vaultclub"))
    assert json.loads(document.document or b"")["messages"][0]["text"] == "hello"
    assert clock.slept == [7]


async def test_export_gives_up_after_repeated_flood_control(
    env: BotEnv, db: Database, clock: FakeTime
) -> None:
    await seed(db, ["hello"])
    env.api.fail("sendDocument", status=429, retry_after=5, times=3)
    [progress] = await env.send("/export @vaultclub")
    assert (env.current(progress).plain_text or "").startswith("⏳ Telegram is limiting")
    assert clock.slept == [5, 5]


# -- /import ----------------------------------------------------------------------------------


async def test_import_dialog_imports_an_uploaded_result_json(
    env: BotEnv, db: Database, temp_dir: Path
) -> None:
    prompt = await env.reply("/import")
    assert "result.json" in (prompt.plain_text or "") and "zip" in (prompt.plain_text or "")
    assert any("Cancel" in b["text"] for row in prompt.buttons for b in row)
    sent = await env.upload(desktop_export(["zanahoria naranja", "otra cosa"]), "result.json")
    [progress] = sent
    summary = env.current(progress).plain_text or ""
    assert summary.startswith("✅ Imported result.json")
    assert "Chats: 1" in summary and "Messages: 2 (text 2)" in summary
    assert "Stored: 2 new, 0 updated, 0 unchanged" in summary
    assert await stored_messages(db, IMPORTED_CHAT) == 2
    page = await env.services.search.search_messages("zanahoria")
    assert [hit.chat_id for hit in page.hits] == [IMPORTED_CHAT]
    assert leftovers(temp_dir) == []
    assert await env.send("hello there") == []  # the dialog is over


async def test_an_imported_history_is_scanned_without_alerting_anyone(
    env: BotEnv, db: Database
) -> None:
    await env.services.detection.add_rule(RuleDraft("veg", RuleKind.KEYWORDS, "zanahoria"))
    await env.upload(
        desktop_export(["zanahoria naranja", "otra cosa"]), "result.json", caption="/import"
    )
    assert await stored_messages(db, IMPORTED_CHAT) == 2
    async with db.reader() as uow:
        hits = (await uow.connection.execute(select(detections.c.matched_text))).all()
        unscanned = await uow.connection.execute(
            select(func.count()).where(messages.c.scanned_at.is_(None))
        )
        assert unscanned.scalar_one() == 0
    assert [row[0] for row in hits] == ["zanahoria"]
    assert await env.services.detection.rescan_unscanned() == 0
    async with db.reader() as uow:
        queued = await uow.connection.execute(select(func.count()).select_from(alerts))
        assert queued.scalar_one() == 0


async def test_import_progress_is_edited_into_the_message(
    env: BotEnv, db: Database, clock: FakeTime
) -> None:
    texts = [f"mensaje {i}" for i in range(1, 40)]
    [progress] = await env.upload(desktop_export(texts), "result.json", caption="/import")
    edits = edits_of(env, progress)
    assert any("Importing" in text and "%" in text for text in edits[:-1])
    assert "Imported" in edits[-1] and "Messages: 39" in (env.current(progress).plain_text or "")


async def test_a_zip_with_media_is_imported_and_its_files_copied(
    env: BotEnv, db: Database, tmp_path: Path, temp_dir: Path
) -> None:
    await env.send("/import")
    [progress] = await env.upload(zipped_fixture("single_modern"), "ChatExport.zip")
    summary = env.current(progress).plain_text or ""
    assert summary.startswith("✅ Imported ChatExport.zip")
    assert "Messages: 38 (media 23, service 1, text 14)" in summary
    assert "Media: 7 copied, 1 deduplicated" in summary
    assert "Skipped: 1" in summary and "unsupported message" in summary
    assert "Media without a file: 4" in summary
    async with db.reader() as uow:
        blobs = await uow.connection.execute(select(func.count()).select_from(media_blobs))
        assert blobs.scalar_one() == 7
    assert len(files_under(tmp_path / "media")) == 7
    assert leftovers(temp_dir) == []


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b'{"name": "X", "type": "private_supergroup", "id": 5, "messages": [{"id": 1,', "ends"),
        (b'{"name": "X", "type": "private_supergroup", "id": 5, "messages": [}]', "invalid JSON"),
    ],
)
async def test_malformed_json_is_refused_naming_where_and_writes_nothing(
    env: BotEnv, db: Database, temp_dir: Path, content: bytes, problem: str
) -> None:
    await seed(db, ["already here"])
    await env.send("/import")
    [progress] = await env.upload(content, "result.json")
    error = env.current(progress).plain_text or ""
    assert error.startswith("⚠️ result.json: ") and problem in error
    assert "tv-upload" not in error and str(temp_dir) not in error
    assert await stored_messages(db) == 1
    assert leftovers(temp_dir) == []


async def test_a_broken_message_deep_in_the_file_leaves_the_vault_unchanged(
    env: BotEnv, db: Database
) -> None:
    good = json.loads(desktop_export([f"fine {i}" for i in range(1, 6)]))
    good["messages"][3]["date_unixtime"] = "not a date"
    payload = json.dumps(good).encode()
    [progress] = await env.upload(payload, "result.json", caption="/import")
    error = env.current(progress).plain_text or ""
    assert error.startswith("⚠️ result.json") and "message" in error
    assert await stored_messages(db) == 0


async def test_cancel_ends_the_dialog(env: BotEnv, db: Database) -> None:
    prompt = await env.reply("/import")
    cancelled = await env.press(prompt, "Cancel")
    assert cancelled.plain_text == "Cancelled."
    sent = await env.upload(desktop_export(["never imported"]), "result.json")
    assert texts_of(sent) == [
        "To import this file, send it with the caption /import, or send /import first."
    ]
    assert await stored_messages(db) == 0


async def test_importing_the_same_file_twice_adds_nothing(env: BotEnv, db: Database) -> None:
    export = desktop_export(["uno", "dos", "tres"])
    await env.upload(export, "result.json", caption="/import")
    [again] = await env.upload(export, "result.json", caption="/import")
    summary = env.current(again).plain_text or ""
    assert summary.startswith("☑️ Nothing new in result.json: all 3 messages")
    assert "Stored: 0 new, 0 updated, 3 unchanged" in summary
    assert await stored_messages(db) == 3


async def test_a_document_captioned_import_needs_no_dialog(env: BotEnv, db: Database) -> None:
    [progress] = await env.upload(desktop_export(["directo"]), "export.json", caption="/import")
    assert (env.current(progress).plain_text or "").startswith("✅ Imported export.json")
    assert await stored_messages(db, IMPORTED_CHAT) == 1


async def test_the_dialog_reminds_and_refuses_what_is_not_an_export(
    env: BotEnv, db: Database
) -> None:
    await env.send("/import")
    [reminder] = await env.send("what now?")
    assert "waiting for the export file" in (reminder.plain_text or "")
    [refusal] = await env.upload(b"\x89PNG....", "holiday.png")
    assert "does not look like a Telegram Desktop export" in (refusal.plain_text or "")
    assert env.api.calls_to("getFile") == []
    [progress] = await env.upload(desktop_export(["still waiting"]), "result.json")
    assert (env.current(progress).plain_text or "").startswith("✅ Imported")


def oversized(env: BotEnv, caption: str | None = "/import") -> dict[str, Any]:
    update = env.api.document_update(
        user_id=ADMIN,
        content=zipped({"ChatExport/result.json": desktop_export(["big"])}),
        file_name="huge.zip",
        caption=caption,
    )
    update["message"]["document"]["file_size"] = OVER_LIMIT
    return update


async def test_a_file_over_20_mb_on_telegrams_server_is_refused_with_the_way_out(
    env: BotEnv, db: Database
) -> None:
    before = len(env.api.messages(ADMIN))
    await env.feed(oversized(env))
    [refusal] = env.api.messages(ADMIN)[before:]
    text = refusal.plain_text or ""
    assert "huge.zip (25.0 MB) is too large" in text
    assert "telegramvault import PATH" in text and "local Bot API server" in text
    assert env.api.calls_to("getFile") == []
    assert await stored_messages(db) == 0


async def test_a_local_bot_api_server_lifts_the_20_mb_limit(db: Database, tmp_path: Path) -> None:
    async with bot_env(db, tmp_path, BOT_API_SERVER="http://127.0.0.1:8081") as local:
        before = len(local.api.messages(ADMIN))
        await local.feed(oversized(local))
        [progress] = local.api.messages(ADMIN)[before:]
        assert (local.current(progress).plain_text or "").startswith("✅ Imported huge.zip")
    assert await stored_messages(db, IMPORTED_CHAT) == 1


async def test_a_failed_download_is_reported_and_cleaned_up(
    env: BotEnv, db: Database, temp_dir: Path
) -> None:
    env.api.fail("getFile", status=500, description="Internal Server Error")
    [progress] = await env.upload(desktop_export(["x"]), "result.json", caption="/import")
    assert (env.current(progress).plain_text or "").startswith(
        "⏳ could not download result.json from Telegram. Try again later"
    )
    assert leftovers(temp_dir) == []
    assert await stored_messages(db) == 0


async def test_an_upload_through_long_polling_is_imported(env: BotEnv, db: Database) -> None:
    async with polling(env):
        env.api.push_message(user_id=ADMIN, text="/import")
        await env.api.wait_for_messages(ADMIN, 1, timeout=10)
        env.api.push_document(
            user_id=ADMIN, content=desktop_export(["por sondeo"]), file_name="r.json"
        )
        [_, progress] = await env.api.wait_for_messages(ADMIN, 2, timeout=10)
        for count in range(1, 10):  # progress edits may come first on a slow machine
            await env.api.wait_for_calls("editMessageText", count, timeout=20)
            if (env.current(progress).plain_text or "").startswith("✅"):
                break
    assert (env.current(progress).plain_text or "").startswith("✅ Imported r.json")
    assert await stored_messages(db, IMPORTED_CHAT) == 1


# -- access -----------------------------------------------------------------------------------


async def test_a_stranger_gets_nothing_from_export_import_or_uploads(
    env: BotEnv, db: Database
) -> None:
    await seed(db, ["secret"])
    for command in ("/export", "/export @vaultclub", "/import"):
        assert await env.send(command, user_id=STRANGER) == []
    export = desktop_export(["intruder"])
    assert await env.upload(export, "result.json", user_id=STRANGER) == []
    assert await env.upload(export, "result.json", user_id=STRANGER, caption="/import") == []
    assert env.api.messages(STRANGER) == [] and env.api.calls_to("getFile") == []
    assert await stored_messages(db) == 1
