"""/search and /who end to end: the real aiogram bot over the local Bot API, the real search
service on a real vault (both dialects), data put in through IngestService."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from benchmarks import bot_search_rows
from benchmarks.context import Bench, BenchConfig, DialectRun
from benchmarks.corpus import Corpus
from benchmarks.storage import bulk_import
from benchmarks.targets import SqliteTarget
from bot.app import build_dispatcher
from core.db.database import Database
from core.domain.archive import ArchivePage
from core.domain.messages import ChatInfo, UserInfo
from services.ingest.media_policy import MediaPolicy
from services.ingest.service import IngestService
from tests import factories as f
from tests.e2e.harness import ADMIN, OTHER_ADMIN, STRANGER, BotEnv, bot_env
from tests.fakes.botapi import SentMessage

NEWS = ChatInfo(-1001000000001, "channel", "Noticias <del> Valle", "vault_news")
TEAM = ChatInfo(-1001000000002, "supergroup", "Equipo Ñandú")
ANA = UserInfo(1001, "Ana", "García", "ana_garcia", bio="Periodista en Bogotá")
BORIS = UserInfo(1002, "Борис", "Иванов", "boris")
TARO = UserInfo(1004, "太郎", "山田", "yamada")
MEETINGS = 12  # "reunión" messages: three pages of five, the last one short
EXPIRED = "This search has expired — send /search again"


async def ingest(db: Database) -> None:
    meetings = [
        f.message(i, chat_id=NEWS.id, sender_id=ANA.id, text=f"Reunión número {i} en Bogotá")
        for i in range(1, MEETINGS + 1)
    ]
    others = [
        f.message(1, chat_id=TEAM.id, sender_id=BORIS.id, text="Привет, важная встреча завтра"),
        f.message(2, chat_id=TEAM.id, sender_id=TARO.id, text="我们明天在北京开会"),
        f.message(3, chat_id=TEAM.id, sender_id=ANA.id, text="Llámame <ahora> & mañana"),
    ]
    page = ArchivePage(messages=[*meetings, *others], chats=[NEWS, TEAM], users=[ANA, BORIS, TARO])
    await IngestService(db, MediaPolicy(frozenset(), 0)).ingest_page(page)


def _text(message: SentMessage) -> str:
    return message.plain_text or ""


def _header(message: SentMessage) -> str:
    return _text(message).splitlines()[0]


def _labels(message: SentMessage) -> list[str]:
    return [button["text"] for row in message.buttons for button in row]


async def test_search_finds_accented_cyrillic_and_cjk_text_with_highlights_and_links(
    env: BotEnv, db: Database
) -> None:
    await ingest(db)
    page = await env.reply("/search reunion bogota")
    assert _header(page) == "🔎 reunion bogota — 12 results · newest first · page 1 of 3"
    assert "<b>Reunión</b> número 12 en <b>Bogotá</b>" in (page.text or "")
    assert '<a href="https://t.me/vault_news/12">open</a>' in (page.text or "")
    assert "<b>Noticias &lt;del&gt; Valle</b>" in (page.text or "")
    assert "Ana García · 2025-01-01 00:12" in _text(page)
    cyrillic = await env.reply("/search встреча")
    assert "важная <b>встреча</b> завтра" in (cyrillic.text or "")
    assert '<a href="https://t.me/c/1000000002/1">open</a>' in (cyrillic.text or "")
    cjk = await env.reply("/search 北京")
    assert "<b>北京</b>" in (cjk.text or "") and "1 result ·" in _header(cjk)
    escaped = await env.reply('/search "ahora> & mañana"')
    assert "&lt;<b>ahora&gt; &amp; mañana</b>" in (escaped.text or "")


def _seen(message: SentMessage) -> tuple[str, list[str], int, int]:
    """What the message shows now (SentMessage is live: it changes with later edits)."""
    return _text(message), _labels(message), message.edits, message.message_id


async def test_paging_forward_and_back_edits_one_message_in_place(
    env: BotEnv, db: Database
) -> None:
    await ingest(db)
    page = await env.reply("/search reunion")
    sent = len(env.api.messages(ADMIN))
    first = _seen(page)
    second = _seen(await env.press(page, "Next"))
    third = _seen(await env.press(page, "Next"))
    back_to_second = _seen(await env.press(page, "Prev"))
    back_to_first = _seen(await env.press(page, "Prev"))
    assert first[1] == ["Next ▶", "⇅ By relevance"]
    assert "page 2 of 3" in second[0] and second[1] == ["◀ Prev", "Next ▶", "⇅ By relevance"]
    assert "\n6. " in second[0] and "Reunión número 7 " in second[0]
    assert "page 3 of 3" in third[0] and "\n11. " in third[0]
    assert third[1] == ["◀ Prev", "⇅ By relevance"]  # the last page has no Next
    assert back_to_second[:2] == second[:2] and back_to_first[:2] == first[:2]
    assert [seen[2] for seen in (second, third, back_to_second, back_to_first)] == [1, 2, 3, 4]
    assert {seen[3] for seen in (second, third, back_to_first)} == {page.message_id}
    assert len(env.api.messages(ADMIN)) == sent  # no new messages, only edits
    assert len(env.api.calls_to("editMessageText")) == 4


async def test_the_sort_toggle_reruns_the_search_in_the_other_order(
    env: BotEnv, db: Database
) -> None:
    await ingest(db)
    page = await env.reply("/search reunion sort:relevance")
    assert "by relevance" in _header(page) and _labels(page)[-1] == "⇅ Newest first"
    await env.press(page, "Newest first")
    assert _header(page).startswith("🔎 reunion sort:date — 12 results · newest first · page 1")
    assert "\n1. " in _text(page) and page.edits == 1
    await env.press(page, "Next")
    await env.press(page, "By relevance")
    assert _header(page).startswith("🔎 reunion sort:relevance — 12 results · by relevance")
    assert "page 1 of 3" in _header(page) and _labels(page) == ["Next ▶", "⇅ Newest first"]
    assert page.edits == 3 and env.api.messages(ADMIN)[-1] is page


async def test_a_stale_search_button_says_the_search_expired(env: BotEnv, db: Database) -> None:
    await ingest(db)
    page = await env.reply("/search reunion")
    jobs = env.dispatcher["jobs"]
    env.dispatcher = build_dispatcher(env.services, [ADMIN, OTHER_ADMIN], jobs=jobs)  # a restart
    after = await env.press(page, "Next")
    assert env.answers()[-1] == EXPIRED and after.edits == 0
    forged = env.api.callback_update(user_id=ADMIN, data="sr1:nothere:go:2", message=page)
    await env.feed(forged)
    assert env.answers()[-1] == EXPIRED
    fresh = await env.reply("/search reunion")
    skipping = env.api.callback_update(
        user_id=ADMIN, data=fresh.callback_data[0].replace(":go:2", ":go:3"), message=fresh
    )
    await env.feed(skipping)  # page 3 was never reached from this search
    assert env.answers()[-1] == EXPIRED and env.current(fresh).edits == 0


async def test_hostile_queries_get_a_clear_reply_not_a_crash(env: BotEnv, db: Database) -> None:
    await ingest(db)
    unbalanced = await env.reply('/search "unbalanced')
    assert "no results" in _text(unbalanced) and "quote was not closed" in _text(unbalanced)
    near = await env.reply("/search NEAR(")
    assert _header(near) == "🔎 NEAR( — no results."
    huge = await env.reply("/search " + "x" * 10_000)
    assert "10,000 characters long" in _text(huge) and _text(huge).startswith("⚠️")
    only_excluded = await env.reply("/search -spam")
    assert "cannot only exclude" in _text(only_excluded)
    typo = await env.reply("/search form:@ana")
    assert "did you mean 'from:'" in _text(typo)
    usage = await env.reply("/search")
    assert "Search the archive" in _text(usage) and "sort:relevance" in _text(usage)
    tags = await env.reply("/search <b>reunión</b>")
    assert "&lt;b&gt;reunión&lt;/b&gt;" in (tags.text or "")  # the query's tags are text


async def test_who_lists_people_and_shows_a_profile_with_its_history(
    db: Database, tmp_path: Path
) -> None:
    await ingest(db)
    renamed = UserInfo(1001, last_name="López", username="ana_lopez", bio="Editora")
    later = ArchivePage(users=[renamed], observed_at=f.EPOCH + timedelta(days=30))
    await IngestService(db, MediaPolicy(frozenset(), 0)).ingest_page(later)
    async with bot_env(db, tmp_path, BOT_TIMEZONE="Europe/Madrid") as env:
        listing = await env.reply("/who ana garcia")
        assert _text(listing).splitlines()[1:] == [
            "• Ana López · @ana_lopez · id 1001 · formerly García"
        ]
        await env.press(listing, "Ana López")
        profile = env.api.messages(ADMIN)[-1]
        assert profile.message_id != listing.message_id  # a profile is a message of its own
        text = _text(profile)
        assert text.splitlines()[0] == "👤 Ana López · @ana_lopez · id 1001"
        assert "Messages in the archive: 13, the last on 2025-01-01 01:12" in text
        history = text.split("History (3 changes, newest first)\n")[1].splitlines()
        assert sorted(history) == [
            "• 2025-01-31 01:00 · bio: Periodista en Bogotá → Editora",
            "• 2025-01-31 01:00 · last name: García → López",
            "• 2025-01-31 01:00 · username: @ana_garcia → @ana_lopez",
        ]
        former = await env.reply("/who @ana_garcia")
        assert "@ana_garcia was their username" in _text(former)
        assert (await env.reply("/who 1001")).text == profile.text
        assert "no one in the archive is or was @ghost" in _text(await env.reply("/who @ghost"))
        assert "No one in the archive matches" in _text(await env.reply("/who zzzz"))
        assert "Find people" in _text(await env.reply("/who"))

        watched = await env.press(profile, "Alert me when they change")
        assert "Admins are alerted when this person changes" in _text(watched)
        assert (await env.services.search.person("1001")).is_watched
        assert env.answers()[-1] == "Change alerts on"
        unwatched = await env.press(watched, "Stop change alerts")
        assert "Admins are alerted" not in _text(unwatched)
        assert not (await env.services.search.person("1001")).is_watched


async def test_a_stranger_gets_nothing_for_search_who_or_a_search_button(
    env: BotEnv, db: Database
) -> None:
    await ingest(db)
    for command in ("/search reunion", "/search", "/who ana", "/who @ana_garcia", "/who"):
        assert await env.send(command, user_id=STRANGER) == []
    page = await env.reply("/search reunion")
    pressed = env.api.callback_update(
        user_id=STRANGER, data=page.callback_data[0], message=page, chat_id=ADMIN
    )
    await env.feed(pressed)
    assert env.api.callback_answers == [] and env.current(page).edits == 0
    assert env.api.messages(STRANGER) == []


async def test_the_benchmark_row_answers_every_query_class_through_the_bot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot_search_rows, "REPETITIONS", 1)
    config = BenchConfig(size=400, baseline_size=100, dialects=("sqlite",))
    bench = Bench(config=config, corpus=Corpus(config.size, config.seed))
    run = DialectRun(bench=bench, target=SqliteTarget(tmp_path))
    try:
        await bulk_import(run)
        p50, p95 = await bot_search_rows.bot_search(run)
    finally:
        await run.target.close()
    assert (p50.name, p95.name) == ("bot /search end to end p50", "bot /search end to end p95")
    assert 0 < p50.value <= p95.value and p95.unit == "ms" and p95.budget == "≤ 300"
    assert not p95.higher_is_better and p95.dialect == "sqlite"
    assert p95.notes[0].startswith("24 updates: 12 query classes x 2 orders x 1 runs")
    assert "400-message archive" in p95.notes[0]
    assert not any("UNEXPECTED" in note for note in p95.notes), p95.notes
    assert not bench.notes
