"""/export and /import without a bot: presenters, upload checks and the paced progress message."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import EditMessageText

from bot.presenters.export import (
    export_done_reply,
    export_usage,
    exporting_reply,
    part_caption,
    period,
    sending_reply,
)
from bot.presenters.importing import (
    import_prompt,
    import_summary_reply,
    importing_reply,
    not_an_export_reply,
    too_large_reply,
    waiting_reminder,
)
from bot.routers.export import LiveProgress
from bot.ui import Reply
from bot.uploads import (
    OFFICIAL_DOWNLOAD_LIMIT,
    Upload,
    is_official_server,
    too_large_to_fetch,
)
from services.export.models import ExportFile, ExportRequest, ExportResult
from services.importer import ImportProgress, ImportSummary
from tests.fakes.botapi import visible_text

UTC_ZONE = ZoneInfo("UTC")
MADRID = ZoneInfo("Europe/Madrid")
MAX_CAPTION = 1024


def visible(reply: Reply | str) -> str:
    """What the admin sees; raises like Telegram on invalid HTML."""
    return visible_text(reply.text if isinstance(reply, Reply) else reply)


def result(messages: int = 3, parts: int = 1, title: str | None = "Club <A> & B") -> ExportResult:
    files = tuple(
        ExportFile(f"vault-export-club-part{n}.json", b"{}" * 10, "application/json")
        for n in range(1, parts + 1)
    )
    return ExportResult(-1001, title, messages, files)


def madrid_midnight(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, tzinfo=MADRID).astimezone(UTC)


# -- /export --------------------------------------------------------------------------------


def test_usage_lists_formats_and_every_range_form() -> None:
    text = visible(export_usage())
    assert "/export <chat> [json|csv|html] [date range]" in text
    for form in ("2024-01-01..2024-02-01", "2024-01-01..", "..2024-02-01", "since", "7d"):
        assert form in text


@pytest.mark.parametrize(
    ("since", "until", "shown"),
    [
        (None, None, "all messages"),
        (madrid_midnight(2024, 1, 1), None, "since 2024-01-01"),
        (None, madrid_midnight(2024, 2, 1), "until 2024-01-31"),
        (madrid_midnight(2024, 3, 5), madrid_midnight(2024, 3, 6), "2024-03-05"),
        (madrid_midnight(2024, 1, 1), madrid_midnight(2024, 2, 1), "2024-01-01 – 2024-01-31"),
        (datetime(2024, 7, 1, 8, 30, tzinfo=UTC), None, "since 2024-07-01 10:30"),
    ],
)
def test_the_period_reads_as_days_in_the_bot_time_zone(
    since: datetime | None, until: datetime | None, shown: str
) -> None:
    request = ExportRequest("@club", "csv", since, until)
    assert period(request, MADRID) == shown


def test_progress_and_captions_escape_the_chat_and_count_parts() -> None:
    assert visible(exporting_reply("<Club>", 1234)) == "⏳ Exporting <Club>… 1\u2009234 messages"
    assert visible(sending_reply(result(parts=3))).endswith("3 messages, sending 3 files")
    assert visible(sending_reply(result(parts=1))).endswith("sending 1 file")
    request = ExportRequest("@club", "json", madrid_midnight(2024, 1, 1), None)
    caption = visible(part_caption(result(parts=3), 2, request, MADRID))
    assert caption == "Club <A> & B — part 2 of 3\n3 messages · json · since 2024-01-01"


def test_a_long_title_keeps_the_caption_within_telegrams_limit() -> None:
    long = result(title="Ω<" * 2000)
    caption = part_caption(long, 1, ExportRequest("x"), UTC_ZONE)
    assert len(visible(caption)) < MAX_CAPTION and visible(caption).count("…") == 1


def test_an_untitled_chat_is_named_by_its_id() -> None:
    done = visible(export_done_reply(result(title=None), ExportRequest("-1001"), UTC_ZONE))
    assert done.startswith("✅ Exported -1001: 3 messages")


def test_the_summary_says_when_the_range_was_empty() -> None:
    request = ExportRequest("@club", "html", madrid_midnight(2030, 1, 1), None)
    done = visible(export_done_reply(result(messages=0), request, MADRID))
    assert done == (
        "✅ Exported Club <A> & B: 0 messages (nothing in that range)\n"
        "1 HTML file, 20 B · since 2030-01-01"
    )


# -- /import --------------------------------------------------------------------------------


def summary(**fields: Any) -> ImportSummary:
    base = ImportSummary(source="/tmp/x/result.json", time_zone="Europe/Madrid", duration=2.5)
    for name, value in fields.items():
        setattr(base, name, value)
    return base


def test_the_prompt_and_the_reminder_offer_a_cancel_button() -> None:
    for reply in (import_prompt(), waiting_reminder()):
        assert "result.json" in visible(reply)
        assert [b.callback for row in reply.buttons for b in row] == ["cancel"]


def test_refusals_name_the_file_and_the_way_out() -> None:
    refused = visible(not_an_export_reply("<photo>.png"))
    assert refused.startswith("⚠️ <photo>.png does not look like a Telegram Desktop export")
    big = visible(too_large_reply("huge.zip", 30 * 1024 * 1024))
    assert "huge.zip (30.0 MB)" in big and "at most 20 MB" in big
    assert "telegramvault import PATH" in big and "BOT_API_SERVER" in big


def test_progress_shows_the_phase_percent_and_messages() -> None:
    checking = ImportProgress("validating", 450, 1000, 1234, None, 1.0)
    assert visible(importing_reply("r.json", checking)) == (
        "⏳ Importing r.json\nChecking the file (nothing is written yet)… 45% · 1\u2009234 messages"
    )
    storing = ImportProgress("importing", 1000, 1000, 300, 1200, 3.0)
    assert visible(importing_reply("r.json", storing)).endswith(
        "Storing messages… 25% · 300 of 1\u2009200 messages"
    )
    unknown_size = ImportProgress("validating", 450, None, 7, None, 1.0)
    assert visible(importing_reply("r.json", unknown_size)).endswith("… 7 messages")


def test_the_summary_lists_kinds_media_and_skipped_reasons() -> None:
    text = visible(
        import_summary_reply(
            "export.zip",
            summary(
                chats=2,
                messages=Counter({"text": 10, "media": 4, "service": 1}),
                inserted=12,
                unchanged=3,
                media_copied=3,
                media_deduplicated=1,
                media_missing=Counter({"not included in the export (type not selected)": 2}),
                skipped=Counter({"unsupported <message>": 1}),
                local_time_dates=5,
            ),
        )
    )
    assert text.splitlines()[:4] == [
        "✅ Imported export.zip",
        "Chats: 2",
        "Messages: 15 (media 4, service 1, text 10)",
        "Stored: 12 new, 0 updated, 3 unchanged",
    ]
    assert "Media: 3 copied, 1 deduplicated, 0 already stored" in text
    assert "Media without a file: 2\n• 2 × not included in the export" in text
    assert "Skipped: 1\n• 1 × unsupported <message>" in text
    assert "5 dates had no time zone and were read as Europe/Madrid time." in text
    assert text.endswith("Took 2.5 s")
    assert "/tmp/x" not in text  # the temporary path never shows


def test_a_second_import_says_nothing_was_new() -> None:
    again = summary(messages=Counter({"text": 3}), unchanged=3)
    assert visible(import_summary_reply("r.json", again)).startswith(
        "☑️ Nothing new in r.json: all 3 messages were already in the vault."
    )
    edited = summary(messages=Counter({"text": 3}), unchanged=2, updated=1)
    assert visible(import_summary_reply("r.json", edited)).startswith("✅ Imported r.json")


def test_many_skip_reasons_are_capped_and_clipped() -> None:
    reasons = Counter({f"reason {i} " + "x" * 300: i for i in range(1, 13)})
    text = visible(import_summary_reply("r.json", summary(skipped=reasons)))
    listed = [line for line in text.splitlines() if " × reason" in line]
    assert len(listed) == 8 and listed[0].startswith("• 12 × reason 12")
    assert all(len(line) < 140 for line in listed)
    assert "• … and 4 more reasons" in text


# -- uploads --------------------------------------------------------------------------------


def upload(name: str, size: int | None = 100, mime: str | None = None) -> Upload:
    return Upload("file-id", name, size, mime)


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("result.json", "result.json"),
        ("../../etc/passwd.json", "passwd.json"),
        ("Export (1) año.zip", "Export_1_a_o.zip"),
        ("...", "result.json"),
    ],
)
def test_uploads_are_stored_under_a_safe_name(name: str, stored: str) -> None:
    assert upload(name).stored_name == stored


def test_what_counts_as_an_export_file() -> None:
    assert upload("result.json").looks_like_export
    assert upload("ChatExport.ZIP").looks_like_export
    assert not upload("messages.html", mime="application/json").looks_like_export
    assert upload("export", mime="application/zip").looks_like_export
    assert not upload("export", mime="image/png").looks_like_export


@pytest.mark.parametrize(
    ("server", "official"),
    [
        ("https://api.telegram.org", True),
        ("https://API.telegram.org/", True),
        ("http://127.0.0.1:8081", False),
        ("https://botapi.example.com", False),
    ],
)
def test_the_official_server_is_recognised(server: str, official: bool) -> None:
    assert is_official_server(server) is official


def test_only_telegrams_own_server_refuses_files_over_20_mb() -> None:
    official, local = "https://api.telegram.org", "http://127.0.0.1:8081"
    assert not too_large_to_fetch(upload("r.zip", OFFICIAL_DOWNLOAD_LIMIT), official)
    assert too_large_to_fetch(upload("r.zip", OFFICIAL_DOWNLOAD_LIMIT + 1), official)
    assert not too_large_to_fetch(upload("r.zip", OFFICIAL_DOWNLOAD_LIMIT + 1), local)
    assert not too_large_to_fetch(upload("r.zip", None), official)


# -- the progress message -------------------------------------------------------------------


class FakeMessage:
    """Records edits like a bound aiogram Message; can be told to fail them."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.failures = 0

    async def edit_text(self, text: str, **_: Any) -> None:
        if self.failures:
            self.failures -= 1
            method = EditMessageText(text=text, chat_id=1, message_id=1)
            raise TelegramBadRequest(method, "Bad Request: message to edit not found")
        self.texts.append(text)


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def live(message: FakeMessage, ticks: Ticks) -> LiveProgress:
    return LiveProgress(message, ticks, interval=1.5)  # type: ignore[arg-type]


async def test_progress_edits_at_most_every_interval_and_always_finishes() -> None:
    message, ticks = FakeMessage(), Ticks()
    progress = live(message, ticks)
    for step in range(1, 8):  # 0.5 s apart: an edit every third update
        ticks.now = step * 0.5
        await progress.show(Reply(f"step {step}"))
    await progress.finish(Reply("done"))
    assert message.texts == ["step 3", "step 6", "done"]


async def test_synchronous_offers_run_one_edit_at_a_time() -> None:
    message, ticks = FakeMessage(), Ticks()
    progress = live(message, ticks)
    ticks.now = 2.0
    progress.offer(Reply("first"))
    ticks.now = 4.0
    progress.offer(Reply("dropped: the first edit is still in flight"))
    await progress.settle()
    ticks.now = 6.0
    progress.offer(Reply("second"))
    await progress.finish(Reply("done"))
    assert message.texts == ["first", "second", "done"]


async def test_a_failed_progress_edit_does_not_stop_the_work() -> None:
    message, ticks = FakeMessage(), Ticks()
    message.failures = 1
    progress = live(message, ticks)
    ticks.now = 2.0
    await progress.show(Reply("lost"))
    await progress.finish(Reply("done"))
    assert message.texts == ["done"]
