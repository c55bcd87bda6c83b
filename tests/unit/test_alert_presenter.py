"""Alerts rendered for Telegram: escaped, highlighted, linked, within limits, with buttons."""

from __future__ import annotations

import html
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.alerts.callbacks import ACK, ACKED, MUTE_DAY, MUTE_HOUR, AlertAction
from bot.alerts.presenter import present_alert
from bot.text import MAX_MESSAGE_CHARS, fit, units
from bot.ui import MAX_CALLBACK_BYTES, Reply
from services.alerts.digest import plan_delivery
from services.alerts.models import Names, OutboxAlert, PeerName
from services.detection.service import context_around

UTC = ZoneInfo("UTC")
MADRID = ZoneInfo("Europe/Madrid")
PUBLIC, PRIVATE_SUPERGROUP, BASIC_GROUP = -1001111111111, -1002222222222, -4444
NAMES = Names(
    chats={
        PUBLIC: PeerName("Crypto <Talk> & more", "cryptotalk"),
        PRIVATE_SUPERGROUP: PeerName("Private club", None),
        -1003333333333: PeerName("News channel", "newsch"),
    },
    users={42: PeerName("Ana García", "ana_g")},
)


def detection(
    text: str, word: str, *, alert_id: int = 7, chat_id: int = PUBLIC, **over: Any
) -> OutboxAlert:
    start = text.index(word)
    end = start + len(word)
    payload = {
        "rule_id": 3,
        "rule": "secrets & keys",
        "severity": "high",
        "chat_id": chat_id,
        "message_id": 99,
        "sender_id": 42,
        "date": "2025-01-01T10:00:00+00:00",
        "matched_text": text[start:end],
        "context": context_around(text, start, end),
        "match_start": start,
        "match_end": end,
        **over,
    }
    return OutboxAlert(alert_id, "detection", 111, payload, "sending")


def visible(reply: Reply) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", reply.text))


def callbacks(reply: Reply) -> list[str]:
    return [b.callback for row in reply.buttons for b in row if b.callback]


def urls(reply: Reply) -> list[str]:
    return [b.url for row in reply.buttons for b in row if b.url]


def assert_balanced(text: str) -> None:
    opened = re.findall(r"<(b|a|code|blockquote)[ >]", text)
    closed = re.findall(r"</(b|a|code|blockquote)>", text)
    assert sorted(opened) == sorted(closed)


def test_detection_shows_rule_chat_sender_date_and_the_match_in_bold() -> None:
    reply = present_alert(detection("my password is hunter2, ok", "hunter2"), NAMES, UTC)
    assert "🔴 <b>HIGH</b>" in reply.text
    assert "rule <b>secrets &amp; keys</b>" in reply.text
    assert "Crypto &lt;Talk&gt; &amp; more</a> · @cryptotalk" in reply.text
    assert "Ana García · @ana_g · <code>42</code>" in reply.text
    assert "2025-01-01 10:00" in reply.text
    assert "<blockquote>my password is <b>hunter2</b>, ok</blockquote>" in reply.text
    assert_balanced(reply.text)


def test_the_highlight_uses_the_offsets_not_the_first_equal_word() -> None:
    text = "key " * 40 + "and here the real KEY matters " + "tail " * 40
    reply = present_alert(detection(text, "KEY"), NAMES, UTC)
    assert "the real <b>KEY</b> matters" in reply.text
    assert reply.text.count("<b>KEY</b>") == 1


def test_a_match_near_the_start_of_a_long_message() -> None:
    text = "x" * 81 + " token " + "y" * 200
    reply = present_alert(detection(text, "token"), NAMES, UTC)
    assert "x <b>token</b> y" in reply.text
    assert "…" in visible(reply)


def test_archive_text_is_escaped_everywhere() -> None:
    text = '<script>alert("x")</script> & <b>bold</b> secret'
    reply = present_alert(detection(text, "secret"), NAMES, UTC)
    assert "<script>" not in reply.text and "&lt;script&gt;" in reply.text
    assert "&lt;b&gt;bold&lt;/b&gt;" in reply.text
    assert_balanced(reply.text)


def test_dates_are_shown_in_the_bot_time_zone() -> None:
    reply = present_alert(detection("a secret", "secret"), NAMES, MADRID)
    assert "2025-01-01 11:00" in reply.text


@pytest.mark.parametrize(
    ("chat_id", "link"),
    [
        (PUBLIC, "https://t.me/cryptotalk/99"),
        (PRIVATE_SUPERGROUP, "https://t.me/c/2222222222/99"),
        (BASIC_GROUP, None),
    ],
)
def test_open_links_to_the_message_when_telegram_can(chat_id: int, link: str | None) -> None:
    reply = present_alert(detection("a secret", "secret", chat_id=chat_id), NAMES, UTC)
    assert urls(reply) == ([link] if link else [])
    if link:
        assert f'<a href="{link}">' in reply.text


def test_buttons_ack_and_mute_pack_under_sixty_four_bytes() -> None:
    reply = present_alert(detection("a secret", "secret", alert_id=2**62), NAMES, UTC)
    packed = callbacks(reply)
    assert len(packed) == 3
    assert all(len(data.encode()) <= MAX_CALLBACK_BYTES for data in packed)
    actions = [AlertAction.unpack(data) for data in packed]
    assert [a.action for a in actions] == [ACK, MUTE_HOUR, MUTE_DAY]
    assert {(a.alert_id, a.rule_id) for a in actions} == {(2**62, 3)}


def test_an_acknowledged_alert_says_who_instead_of_offering_ack() -> None:
    alert = detection("a secret", "secret")
    reply = present_alert(alert, NAMES, UTC, acked_by="Ana García")
    assert reply.buttons[0][0].text == "☑ Acknowledged by Ana García"
    actions = [AlertAction.unpack(data).action for data in callbacks(reply)]
    assert actions == [ACKED, MUTE_HOUR, MUTE_DAY]
    assert urls(reply) == ["https://t.me/cryptotalk/99"]


def test_unknown_chat_and_sender_fall_back_to_ids() -> None:
    alert = detection("a secret", "secret", chat_id=-1009999999999, sender_id=77)
    reply = present_alert(alert, Names(), UTC)
    assert "chat -1009999999999" in reply.text
    assert "unknown · <code>77</code>" in reply.text
    anonymous = detection("a secret", "secret", sender_id=None)
    assert "unknown sender" in present_alert(anonymous, Names(), UTC).text


def test_a_channel_posting_as_itself_is_named_by_its_title() -> None:
    reply = present_alert(detection("a secret", "secret", sender_id=-1003333333333), NAMES, UTC)
    assert "News channel · @newsch" in reply.text


def test_a_huge_hostile_message_still_fits_in_one_telegram_message() -> None:
    noise = '"<&>' * 3000
    text = noise + " 🔑" * 2000 + noise
    start = len(noise)
    end = start + 2 * 2000 + 1
    alert = detection(text, text[start:end], rule="&" * 64)
    alert.payload["matched_text"] = text[start:end][:500]  # as detection stores it
    reply = present_alert(alert, NAMES, UTC)
    assert units(reply.text) <= MAX_MESSAGE_CHARS
    assert "<b>" in reply.text.split("<blockquote>")[1]
    assert_balanced(reply.text)


def test_a_payload_without_offsets_finds_the_match_in_the_context() -> None:
    alert = detection("one two secret three", "secret", match_start=None, match_end=None)
    assert "two <b>secret</b> three" in present_alert(alert, NAMES, UTC).text
    lost = detection("one two", "two", matched_text="absent", match_start=None)
    assert "<b>absent</b>" in present_alert(lost, NAMES, UTC).text


def test_a_bad_date_is_shown_as_it_came() -> None:
    reply = present_alert(detection("a secret", "secret", date="yesterday <3"), NAMES, UTC)
    assert "yesterday &lt;3" in reply.text


def digest_of(alerts: list[OutboxAlert]) -> OutboxAlert:
    (draft,) = plan_delivery(alerts).digests
    return OutboxAlert(500, "digest", 111, draft.payload(), "sending")


def test_a_digest_counts_the_burst_and_links_the_first_alerts() -> None:
    burst = [detection("a secret here", "secret", alert_id=i) for i in range(1, 9)]
    burst += [detection("a key", "key", alert_id=9, rule_id=4, rule="keys", severity="critical")]
    reply = present_alert(digest_of(burst), NAMES, MADRID)
    assert "<b>9 alerts</b> in 1 chat(s)" in reply.text
    assert "🛑 critical: 1 · 🔴 high: 8" in reply.text
    assert "• 🛑 <b>keys</b> — 1" in reply.text
    assert "• 🔴 <b>secrets &amp; keys</b> — 8" in reply.text
    assert reply.text.count('<a href="https://t.me/cryptotalk/99">') == 3
    assert "2025-01-01 11:00" in reply.text
    assert "“secret”" in reply.text
    assert "…and 6 more." in reply.text
    assert [AlertAction.unpack(c).action for c in callbacks(reply)] == [ACK]  # two rules
    assert reply.buttons[0][0].text == "✅ Ack all"
    assert_balanced(reply.text)


def test_a_digest_of_one_rule_offers_to_mute_it() -> None:
    burst = [detection("a secret", "secret", alert_id=i) for i in range(1, 8)]
    actions = [
        AlertAction.unpack(c) for c in callbacks(present_alert(digest_of(burst), NAMES, UTC))
    ]
    assert [(a.action, a.alert_id, a.rule_id) for a in actions] == [
        (ACK, 500, 3),
        (MUTE_HOUR, 500, 3),
        (MUTE_DAY, 500, 3),
    ]


def test_a_digest_of_many_rules_lists_ten_and_counts_the_rest() -> None:
    burst = [
        detection("a secret", "secret", alert_id=i, rule_id=i, rule=f"rule {i}") for i in range(30)
    ]
    reply = present_alert(digest_of(burst), NAMES, UTC)
    assert reply.text.count("\n• ") == 10
    assert "…and 20 more rules" in reply.text


def test_a_task_result_shows_its_state_and_escaped_text() -> None:
    payload = {"task_id": 12, "kind": "enrich", "state": "done", "text": "3 <users> refreshed"}
    reply = present_alert(OutboxAlert(1, "task", 111, payload, "sending"), Names(), UTC)
    assert reply.text == "✅ Task #12 (enrich) done\n3 &lt;users&gt; refreshed"
    assert reply.buttons == ()


def test_other_kinds_render_their_text_generically_within_the_limit() -> None:
    payload = {"text": "&" * 10_000}
    reply = present_alert(OutboxAlert(1, "user_change", 111, payload, "sending"), Names(), UTC)
    assert reply.text.startswith("🔔 <b>User change</b>\n&amp;")
    assert units(reply.text) <= MAX_MESSAGE_CHARS
    bare = present_alert(OutboxAlert(5, "digest", 111, {}, "sending"), Names(), UTC)
    assert bare.text == "🔔 <b>Digest</b>\nalert #5"


@pytest.mark.parametrize("raw", ["plain", "&<>\"'" * 50, "🔑" * 100, ""])
def test_fit_keeps_the_escaped_text_within_its_units(raw: str) -> None:
    for budget in (1, 7, 50, 1000):
        shown = fit(raw, budget)
        assert units(shown) <= budget
        assert not re.search(r"&[a-z#0-9]*$", shown) or shown.endswith(";")
        tail = fit(raw, budget, keep_end=True)
        assert units(tail) <= budget
    assert fit("abcdef", 4, keep_end=True) == "…def"
