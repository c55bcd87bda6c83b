"""/search pages and /who replies: escaped, highlighted, linked, paged, always one message."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.presenters.people import WhoProfile, people_list, person_profile, who_usage
from bot.presenters.search import (
    EXPIRED,
    PageView,
    SearchNav,
    highlight,
    search_page,
    search_usage,
)
from bot.text import MAX_MESSAGE_CHARS, fit, units
from bot.ui import MAX_CALLBACK_BYTES, Reply
from core.domain.search import (
    PersonHit,
    PersonProfile,
    ProfileChange,
    SearchHit,
    SearchPage,
    Snippet,
    Span,
)
from tests.fakes.botapi.html import visible_text

MADRID = ZoneInfo("Europe/Madrid")
AT = datetime(2024, 1, 10, 12, 0, tzinfo=UTC)  # 13:00 in Madrid
HOSTILE = "<b>&\"'</b> 🙂" * 40


def _hit(n: int = 1, **overrides: object) -> SearchHit:
    values: dict[str, object] = {
        "pk": n,
        "chat_id": -1001000000001,
        "chat_title": "Noticias <del> Valle",
        "chat_username": "vault_news",
        "message_id": n,
        "sender_id": 1001,
        "sender_name": "Ana García",
        "sender_username": "ana_garcia",
        "date": AT,
        "edited": False,
        "deleted": False,
        "snippet": Snippet("Llámame al teléfono 5 < 6 & mañana", (Span(11, 19),)),
        "link": f"https://t.me/vault_news/{n}",
    }
    values.update(overrides)
    return SearchHit(**values)  # type: ignore[arg-type]


def _page(hits: list[SearchHit], **overrides: object) -> SearchPage:
    values: dict[str, object] = {
        "hits": tuple(hits),
        "next_cursor": "c2",
        "total": 23,
        "total_is_estimate": False,
        "sort": "date",
    }
    values.update(overrides)
    return SearchPage(**values)  # type: ignore[arg-type]


def _view(number: int = 1, *, has_next: bool = True, **overrides: object) -> PageView:
    values: dict[str, object] = {
        "query": "teléfono",
        "token": "AbCd-_12",
        "number": number,
        "page_size": 10,
        "has_next": has_next,
    }
    values.update(overrides)
    return PageView(**values)  # type: ignore[arg-type]


def _valid(reply: Reply) -> str:
    """The visible text; fails when the HTML is invalid or the message too long."""
    assert units(reply.text) <= MAX_MESSAGE_CHARS, units(reply.text)
    for row in reply.buttons:
        for button in row:
            assert button.callback is None or len(button.callback.encode()) <= MAX_CALLBACK_BYTES
    return visible_text(reply.text)


def _labels(reply: Reply) -> list[str]:
    return [button.text for row in reply.buttons for button in row]


def _nav(reply: Reply, label: str) -> SearchNav:
    for row in reply.buttons:
        for button in row:
            if label in button.text and button.callback is not None:
                return SearchNav.unpack(button.callback)
    raise AssertionError(f"no {label!r} button in {_labels(reply)}")


def test_a_page_shows_header_hits_highlights_links_and_dates_in_the_time_zone() -> None:
    hits = [_hit(1), _hit(2, edited=True, deleted=True, link=None, sender_name=None)]
    reply = search_page(_page(hits), _view(), MADRID)
    shown = _valid(reply)
    first_line = shown.splitlines()[0]
    assert first_line == "🔎 teléfono — 23 results · newest first · page 1 of 3"
    assert "<b>teléfono</b>" in reply.text  # the span, in bold
    assert "5 &lt; 6 &amp; mañana" in reply.text  # the text around it, escaped
    assert "<b>Noticias &lt;del&gt; Valle</b>" in reply.text
    assert '<a href="https://t.me/vault_news/1">open</a>' in reply.text
    assert reply.text.count("<a href=") == 1  # the second hit has no link
    assert "\n1. Noticias <del> Valle · Ana García · 2024-01-10 13:00\n" in shown
    assert (
        "\n2. Noticias <del> Valle · @ana_garcia · 2024-01-10 13:00 ✏️ edited 🗑 deleted\n" in shown
    )


def test_later_pages_number_on_and_the_buttons_follow_the_position() -> None:
    first = search_page(_page([_hit()]), _view(1), MADRID)
    assert _labels(first) == ["Next ▶", "⇅ By relevance"]
    assert _nav(first, "Next") == SearchNav(token="AbCd-_12", action="go", page=2)
    assert _nav(first, "relevance") == SearchNav(token="AbCd-_12", action="sort", page=0)
    middle = search_page(_page([_hit(11)], sort="relevance"), _view(2), MADRID)
    assert _labels(middle) == ["◀ Prev", "Next ▶", "⇅ Newest first"]
    assert _nav(middle, "Prev").page == 1 and _nav(middle, "Next").page == 3
    assert "\n11. Noticias" in _valid(middle) and "by relevance · page 2 of 3" in _valid(middle)
    last = search_page(_page([_hit(21)], next_cursor=None), _view(3, has_next=False), MADRID)
    assert _labels(last) == ["◀ Prev", "⇅ By relevance"]


def test_estimates_notes_and_a_capped_search_are_said() -> None:
    page = _page(
        [_hit()],
        total=1200,
        total_is_estimate=True,
        notes=("a quote was not closed; <it> was closed at the end", "ignored '!!!'"),
        used_fallback=True,
    )
    reply = search_page(page, _view(100, has_next=False, capped=True), MADRID)
    shown = _valid(reply)
    assert "— ≈1\u2009200 results · newest first · page 100\n" in shown
    assert "<i>ℹ️ a quote was not closed; &lt;it&gt; was closed at the end</i>" in reply.text
    assert "no more pages are kept" in shown


def test_no_results_is_a_helpful_line_with_the_notes_and_no_buttons() -> None:
    page = _page([], next_cursor=None, total=0, notes=("ignored '!!!'",))
    reply = search_page(page, _view(has_next=False, query="zzz <x>"), MADRID)
    shown = _valid(reply)
    assert shown.startswith("🔎 zzz <x> — no results.")
    assert "prefix" in shown and "ignored '!!!'" in shown
    assert reply.buttons == ()


@pytest.mark.parametrize("page_size", [10, 25, 50])
def test_a_full_page_of_hostile_hits_fits_one_message(page_size: int) -> None:
    long_text = HOSTILE[:50] + " teléfono " + HOSTILE[:100]  # as long as a real snippet
    spans = tuple(Span(m.start(), m.end()) for m in re.finditer("teléfono", long_text))
    hits = [
        _hit(
            n,
            chat_title=HOSTILE,
            sender_name=HOSTILE,
            edited=True,
            deleted=True,
            snippet=Snippet(long_text, spans),
            link="https://t.me/" + "u" * 32 + f"/{10**12 + n}",
        )
        for n in range(page_size)
    ]
    notes = tuple(HOSTILE + str(n) for n in range(5))
    view = _view(query=HOSTILE * 50, page_size=page_size)
    reply = search_page(_page(hits, notes=notes), view, MADRID)
    shown = _valid(reply)
    for n in range(page_size):
        assert f"\n{n + 1}. " in shown  # every hit is on the page, dated and marked
    assert shown.count("2024-01-10 13:00 ✏️ edited 🗑 deleted\n") == page_size
    if page_size == 10:
        assert reply.text.count("<b>teléfono</b>") >= 10  # every snippet keeps a highlight
        assert reply.text.count("<a href=") == 10


def test_highlighting_is_cut_without_leaving_a_tag_open() -> None:
    snippet = Snippet("aaaa bbbbbbbb cccc", (Span(5, 13),))
    assert highlight(snippet, 100) == "aaaa <b>bbbbbbbb</b> cccc"
    cut = highlight(snippet, 16)
    assert cut == "aaaa <b>bbb</b>…" and units(cut) <= 16
    assert highlight(snippet, 5) == "aaaa…"
    assert highlight(snippet, 0) == ""
    assert highlight(Snippet("a\nb\tc", ()), 10) == "a b c"
    assert highlight(Snippet("x & y", (Span(2, 3),)), 16) == "x <b>&amp;</b> y"
    lead = Snippet("<" * 40 + " match", (Span(41, 46),))  # the lead gives way to the match
    assert highlight(lead, 60) == "…" + "&lt;" * 4 + " <b>match</b>"


def test_fit_escapes_first_and_counts_utf16_units() -> None:
    assert fit("a<b", 10) == "a&lt;b"
    assert fit("a<b", 5) == "a…"
    assert fit("🙂🙂🙂", 5) == "🙂🙂…" and units("🙂🙂…") == 5
    assert fit("anything", 0) == ""


def test_usage_texts_are_valid_html() -> None:
    assert "sort:relevance" in _valid(search_usage())
    assert "/who @username" in _valid(who_usage())
    assert "expired" in EXPIRED


def _person(user_id: int, **overrides: object) -> PersonHit:
    values: dict[str, object] = {
        "user_id": user_id,
        "first_name": "Ana",
        "last_name": "García",
        "username": "ana_garcia",
        "bio": None,
        "is_bot": False,
        "is_deleted": False,
        "matched": "name",
    }
    values.update(overrides)
    return PersonHit(**values)  # type: ignore[arg-type]


def test_people_are_listed_with_what_matched_and_profile_buttons() -> None:
    people = [
        _person(1001),
        _person(1003, first_name="محمد", last_name=None, username="mo_ali",
                matched="earlier_username", earlier_value="mohammed"),
        _person(1005, first_name="Vault", last_name="<Bot>", username=None, is_bot=True,
                matched="earlier_name", earlier_value="Old & Name"),
    ]  # fmt: skip
    reply = people_list("a & b", people)
    shown = _valid(reply)
    lines = shown.splitlines()
    assert lines[0] == "👤 a & b — 3 found"
    assert lines[1] == "• Ana García · @ana_garcia · id 1001 · name"
    assert lines[2] == "• محمد · @mo_ali · id 1003 · formerly @mohammed"
    assert lines[3] == "• Vault <Bot> · id 1005 · 🤖 bot · formerly Old & Name"
    assert [WhoProfile.unpack(b.callback or "").user_id for row in reply.buttons for b in row] == [
        1001,
        1003,
        1005,
    ]


def test_nobody_found_and_a_crowded_list_still_fit() -> None:
    assert "No one in the archive matches" in _valid(people_list("zzz", []))
    crowd = [
        _person(10**18 + n, first_name=HOSTILE, last_name=HOSTILE, username="u" * 32,
                matched="earlier_name", earlier_value=HOSTILE)
        for n in range(100)
    ]  # fmt: skip
    reply = people_list(HOSTILE, crowd)
    shown = _valid(reply)
    listed = shown.count("\n• ")
    assert 10 <= listed < 100 and shown.endswith(f"… and {100 - listed} more: narrow the search")
    assert len(_labels(reply)) == 10


def _profile(history: tuple[ProfileChange, ...], **overrides: object) -> PersonProfile:
    values: dict[str, object] = {
        "user_id": 1003,
        "first_name": "محمد",
        "last_name": "علي",
        "username": "mo_ali",
        "phone": "+15551234567",
        "bio": "Bio <with> tags",
        "is_bot": False,
        "is_deleted": False,
        "is_verified": True,
        "is_scam": False,
        "is_fake": False,
        "first_seen_at": AT,
        "updated_at": AT + timedelta(days=1),
        "message_count": 4,
        "last_message_at": AT + timedelta(days=8),
        "history": history,
        "history_total": len(history),
    }
    values.update(overrides)
    return PersonProfile(**values)  # type: ignore[arg-type]


def test_a_profile_shows_the_person_and_every_change_newest_first() -> None:
    changes = (
        ProfileChange("username", "mohammed", "mo_ali", AT + timedelta(days=1)),
        ProfileChange("bio", None, "Bio <with> tags", AT + timedelta(hours=2)),
        ProfileChange("photo_id", "1", "2", AT + timedelta(hours=1)),
        ProfileChange("is_deleted", "False", "True", AT),
    )
    reply = person_profile(_profile(changes, former_username="mohammed"), MADRID)
    shown = _valid(reply)
    assert shown.splitlines()[0] == "👤 محمد علي · @mo_ali · id 1003 · ✔ verified"
    assert "@mohammed was their username" in shown
    assert "Bio: Bio <with> tags" in shown and "Phone: +15551234567" in shown
    assert "Messages in the archive: 4, the last on 2024-01-18 13:00" in shown
    assert "/search from:1003" in shown
    history = shown.split("History (4 changes, newest first)\n")[1].splitlines()
    assert history == [
        "• 2024-01-11 13:00 · username: @mohammed → @mo_ali",
        "• 2024-01-10 15:00 · bio: — → Bio <with> tags",
        "• 2024-01-10 14:00 · profile photo changed",
        "• 2024-01-10 13:00 · account deleted",
    ]


def test_a_long_history_is_cut_to_one_message_and_says_how_much_is_left() -> None:
    changes = tuple(
        ProfileChange("bio", HOSTILE, HOSTILE, AT - timedelta(hours=n)) for n in range(100)
    )
    profile = _profile(changes, history_total=250, bio=HOSTILE * 10, first_name=HOSTILE)
    shown = _valid(person_profile(profile, MADRID))
    kept = shown.count("\n• ")
    assert 0 < kept < 100
    assert shown.endswith(f"… and {250 - kept} earlier changes")


def test_a_profile_without_history_or_messages() -> None:
    profile = _profile((), message_count=0, last_message_at=None, phone=None, bio=None)
    shown = _valid(person_profile(profile, MADRID))
    assert "Messages in the archive: 0\n" in shown and "No changes seen yet." in shown
    assert "/search from:" not in shown
