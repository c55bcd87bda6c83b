"""Built-in link detectors: Telegram links, Telegram invites and web URLs."""

from __future__ import annotations

import pytest

from core.domain.detection import DetectionRule, RuleKind, ScanTarget
from services.detection.engine import compile_rules


def found(detector: str, text: str) -> str | None:
    compiled = compile_rules([DetectionRule(1, detector, RuleKind.BUILTIN, detector)])
    matches = compiled.scan(ScanTarget(1, 1, 1, text))
    return matches[0].matched_text if matches else None


@pytest.mark.parametrize(
    ("text", "link"),
    [
        ("follow https://t.me/durov.", "https://t.me/durov"),
        ("t.me/crypto_signals/4567 is the post", "t.me/crypto_signals/4567"),
        ("private post t.me/c/1234567890/45", "t.me/c/1234567890/45"),
        ("topic t.me/c/1234567890/12/45", "t.me/c/1234567890/12/45"),
        ("HTTP://TELEGRAM.ME/Some_Channel", "HTTP://TELEGRAM.ME/Some_Channel"),
        ("mirror telegram.dog/durov", "telegram.dog/durov"),
        ("start t.me/my_bot?start=ref123", "t.me/my_bot?start=ref123"),
        ("preview t.me/s/durov", "t.me/s/durov"),
        ("stickers t.me/addstickers/Animals", "t.me/addstickers/Animals"),
        ("tg://resolve?domain=durov", "tg://resolve?domain=durov"),
        ("tg://privatepost?channel=123&post=45.", "tg://privatepost?channel=123&post=45"),
        ("by phone t.me/+79991234567", "t.me/+79991234567"),
    ],
)
def test_telegram_links_to_users_channels_and_posts(text: str, link: str) -> None:
    assert found("telegram_link", text) == link


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("bit.me/durov", "another domain ending in t.me"),
        ("ana@t.me/x", "part of an e-mail-like string"),
        ("t.me/ab", "usernames have at least four characters"),
        ("t.me/durov_", "usernames do not end with an underscore"),
        ("t.me/c/abc/12", "private posts are numeric"),
        ("t.me/+AbCdEfGhIjKlMn12", "an invite, reported by telegram_invite"),
        ("t.me/joinchat/AAAAAEHbEkejzxUjAUCzYg", "an invite"),
        ("tg://join?invite=AbCdEfGhIjKl", "an invite"),
    ],
)
def test_telegram_link_look_alikes_and_invites_are_not_links(text: str, why: str) -> None:
    assert found("telegram_link", text) is None, why


@pytest.mark.parametrize(
    ("text", "link"),
    [
        ("join https://t.me/+AbCdEfGhIjKlMn12 now", "https://t.me/+AbCdEfGhIjKlMn12"),
        ("old t.me/joinchat/AAAAAEHbEkejzxUjAUCzYg.", "t.me/joinchat/AAAAAEHbEkejzxUjAUCzYg"),
        ("app tg://join?invite=AbCdEfGhIjKl", "tg://join?invite=AbCdEfGhIjKl"),
    ],
)
def test_telegram_invites(text: str, link: str) -> None:
    assert found("telegram_invite", text) == link


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("t.me/+79991234567", "a phone number link"),
        ("t.me/+abc", "too short for an invite hash"),
        ("t.me/joinchat/", "no hash"),
        ("t.me/durov", "a user link"),
    ],
)
def test_invite_look_alikes_are_not_invites(text: str, why: str) -> None:
    assert found("telegram_invite", text) is None, why


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("see https://example.com/a?b=1&c=2.", "https://example.com/a?b=1&c=2"),
        (
            "(https://en.wikipedia.org/wiki/Bogotá_(city))",
            "https://en.wikipedia.org/wiki/Bogotá_(city)",
        ),
        ("http://localhost:8080/admin", "http://localhost:8080/admin"),
        ("http://192.168.1.10/panel", "http://192.168.1.10/panel"),
        ("https://user:pw@example.org", "https://user:pw@example.org"),
        ("visit example.com/path now", "example.com/path"),
        ("t.me/durov", "t.me/durov"),
        ("«https://news.example.org/article/12345»", "https://news.example.org/article/12345"),
    ],
)
def test_urls_with_a_scheme_or_as_a_bare_domain_with_a_path(text: str, url: str) -> None:
    assert found("url", text) == url


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("mail ana@example.com/x", "the domain of an e-mail address"),
        ("example.com", "a bare domain without a path"),
        ("example.com/", "a bare domain with an empty path"),
        ("version v1.2/3", "no alphabetic top-level domain"),
        ("https://", "no host"),
        ("https://-bad-.com/x", "a label with edge hyphens"),
        ("https://999.1.1.1/x", "not an IPv4 address nor a domain"),
        ("files/docs.example.com/x", "part of a path"),
    ],
)
def test_url_look_alikes_are_not_found(text: str, why: str) -> None:
    assert found("url", text) is None, why
