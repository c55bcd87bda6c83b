"""The demo's script: what the admin does and what the simulated Telegram does, step by step.

Every step waits for its visible result (a bot reply, a message in the vault) before the next
one starts, so the transcript reads in the order things happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from services.archiver.watchlist import WatchListService
from telegramvault.demo.admin_chat import AdminChat
from telegramvault.demo.content import (
    ACCOUNT_USERNAME,
    ALERT_MESSAGE,
    LIVE_CHATTER,
    NEWS_POSTS,
    RULE_KEYWORDS,
    RULE_NAME,
    SEARCHES,
)
from telegramvault.demo.transcript import Transcript
from telegramvault.demo.vault_probe import VaultProbe
from telegramvault.demo.world import DemoWorld

SETTLE_SECONDS = 0.3  # time for a late edit or a stray alert to show before moving on


@dataclass
class Demo:
    transcript: Transcript
    admin: AdminChat
    world: DemoWorld
    probe: VaultProbe
    watch: WatchListService


async def play(demo: Demo) -> None:
    await archiver_starts(demo)
    await admin_checks_status(demo)
    await admin_adds_the_news_channel(demo)
    await chats_stream_in(demo)
    await admin_searches(demo)
    await admin_adds_a_rule_and_backtests_it(demo)
    await a_message_raises_an_alert(demo)
    await admin_retries_the_failed_photo(demo)


async def archiver_starts(demo: Demo) -> None:
    demo.transcript.section("1. The archiver connects and archives every dialog")
    joined = demo.world.joined()
    chats = [f"{s.title} ({s.language}, {len(s.lines)} messages)" for s in joined]
    demo.transcript.event(
        "telegram", "\n".join([f"@{ACCOUNT_USERNAME} is in {len(joined)} chats:", *chats])
    )
    await demo.probe.until(demo.probe.synced, "the archiver to connect and catch up")
    await demo.admin.bot_ready()
    page = await demo.watch.list(0, 20)
    fetched = sum(chat.fetched for chat in page.chats)
    demo.transcript.event(
        "archiver",
        f"connected as @{ACCOUNT_USERNAME}; with ARCHIVE_ALL_DIALOGS=true it watches all "
        f"{page.total} chats and has archived their history ({fetched} messages)",
    )


async def admin_checks_status(demo: Demo) -> None:
    demo.transcript.section("2. The admin asks the bot how the vault is doing")
    demo.admin.send("/status")
    await demo.admin.reply("Vault status", "the /status reply")


async def admin_adds_the_news_channel(demo: Demo) -> None:
    news = demo.world.news
    demo.transcript.section(
        f"3. The admin adds a public channel the account never joined ({NEWS_POSTS} posts)"
    )
    demo.admin.send(f"/watch @{news.username}")
    await demo.admin.reply("history is complete", "the channel's history")
    await demo.admin.settle(SETTLE_SECONDS)


async def chats_stream_in(demo: Demo) -> None:
    demo.transcript.section("4. Live messages stream in from the chats")
    for chat_key, person_key, text in LIVE_CHATTER:
        chat = demo.world.chats[chat_key]
        before = await demo.probe.messages_in(chat.marked_id)
        demo.world.post_live(chat_key, person_key, text)
        author = demo.world.people[person_key]
        demo.transcript.event("telegram", f"💬 {chat.title} · {author.display_name}: {text}")
        arrived = partial(_has_more, demo.probe, chat.marked_id, before)
        await demo.probe.until(arrived, f"the live message in {chat.title}")
    demo.transcript.event("archiver", "every live message is in the vault, searchable at once")


async def admin_searches(demo: Demo) -> None:
    demo.transcript.section("5. Search across languages (accents folded, CJK without spaces)")
    for query in SEARCHES:
        demo.admin.send(f"/search {query}")
        await demo.admin.next_message(f"the results of /search {query}")


async def admin_adds_a_rule_and_backtests_it(demo: Demo) -> None:
    demo.transcript.section("6. A detection rule in six languages, backtested on the archive")
    demo.admin.send(f"/rule_add {RULE_NAME} keywords {RULE_KEYWORDS}")
    await demo.admin.reply(RULE_NAME, "the saved rule")
    demo.admin.send(f"/rule_test {RULE_NAME}")
    await demo.admin.next_message("the backtest")


async def a_message_raises_an_alert(demo: Demo) -> None:
    demo.transcript.section("7. A live message matches the rule: the alert is delivered")
    chat_key, person_key, text = ALERT_MESSAGE
    chat, author = demo.world.chats[chat_key], demo.world.people[person_key]
    demo.admin.expect()
    demo.world.post_live(chat_key, person_key, text)
    demo.transcript.event("telegram", f"💬 {chat.title} · {author.display_name}: {text}")
    await demo.admin.reply(RULE_NAME, "the alert")


async def admin_retries_the_failed_photo(demo: Demo) -> None:
    demo.transcript.section("8. A media download fails, and the media retry gets it")
    await demo.probe.until(partial(_has_failed_media, demo.probe), "the photo's failed download")
    demo.transcript.event(
        "archiver",
        f"the photo in {demo.world.news.title} failed to download when the channel was "
        "archived: its file reference expired, and again after a refresh (a fault injected "
        "in the simulated Telegram)",
    )
    demo.admin.send("/status")
    await demo.admin.reply("Vault status", "the /status reply")
    demo.admin.send("/retry_media")
    await demo.admin.reply("retried", "the media retry")
    await demo.admin.settle(SETTLE_SECONDS)


async def _has_more(probe: VaultProbe, chat_id: int, before: int) -> bool:
    return await probe.messages_in(chat_id) > before


async def _has_failed_media(probe: VaultProbe) -> bool:
    return await probe.failed_media() > 0
