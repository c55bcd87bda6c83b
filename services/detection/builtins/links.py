"""Links: Telegram links and invite links, and web URLs (with a scheme, or a bare domain/path)."""

from __future__ import annotations

import functools
import re

from services.detection.builtins.base import Detector, glued_before
from services.detection.regexes import Refiner

_TELEGRAM_CANDIDATE = (
    "(?i)(?:(?:https?://)?(?:www\\.)?(?:t\\.me|telegram\\.me|telegram\\.dog)/[a-z0-9_+/\\-=?&%]+"
    "|tg://[a-z_]+(?:\\?[a-z0-9_=&%.\\-+/]*)?)"
)
_TELEGRAM_TRIGGER = "(?i)(?:t\\.me/|telegram\\.me/|telegram\\.dog/|tg://)"
_USERNAME = re.compile(r"[a-z][a-z0-9_]{3,31}\Z")  # 4-letter names exist (collectibles)
_INVITE_HASH = re.compile(r"[A-Za-z0-9_\-]{10,64}\Z")
_NUMBER = re.compile(r"[0-9]{1,15}\Z")
_SERVICE_PATHS = frozenset(
    {
        "addemoji", "addlist", "addstickers", "addtheme", "bg", "boost", "contact", "giftcode",
        "invoice", "iv", "login", "m", "nft", "proxy", "setlanguage", "share", "socks",
    }
)  # fmt: skip
_LINK_TAIL = "/-=?&%."
_NOT_A_HOST_START = ("@", ".", "-", "/")


def _char_before(text: str, start: int) -> str:
    return text[start - 1] if start else ""


def _telegram_path_kind(path: str) -> str | None:
    """``invite`` or ``link`` for the path after ``t.me/``; None when Telegram has no such page."""
    if path.startswith("+"):
        target = path[1:].partition("?")[0]
        if target.isdigit():
            return "link" if 7 <= len(target) <= 15 else None  # t.me/+<phone number>
        return "invite" if _INVITE_HASH.match(target) else None
    head, *rest = path.partition("?")[0].split("/")
    head = head.lower()
    if head == "joinchat":
        return "invite" if len(rest) == 1 and _INVITE_HASH.match(rest[0]) else None
    if head == "c":  # private channel post: c/<channel>/<post> or c/<channel>/<topic>/<post>
        return "link" if len(rest) in (2, 3) and all(_NUMBER.match(p) for p in rest) else None
    if head == "s":
        return "link" if len(rest) == 1 and _USERNAME.match(rest[0].lower()) else None
    if head in _SERVICE_PATHS:
        return "link"
    username_ok = _USERNAME.match(head) is not None and not head.endswith("_")
    posts_ok = len(rest) <= 2 and all(_NUMBER.match(p) for p in rest)
    return "link" if username_ok and posts_ok else None


@functools.lru_cache(maxsize=64)  # link and invite detectors ask about the same spans
def _telegram_kind(text: str, start: int, end: int) -> str | None:
    link = text[start:end]
    lowered = link.lower()
    if lowered.startswith("tg://"):
        action, _, query = lowered[5:].partition("?")
        return "invite" if action == "join" and "invite=" in query else "link"
    scheme = lowered.startswith(("http://", "https://"))
    if not scheme and _char_before(text, start) in _NOT_A_HOST_START:
        return None  # part of an e-mail address, a longer domain (bit.me) or a path
    host_end = link.index("/", link.index("//") + 2 if scheme else 0)
    return _telegram_path_kind(link[host_end + 1 :])


def _telegram_refiner(wanted: str) -> Refiner:
    def refine(text: str, start: int, end: int) -> tuple[int, int] | None:
        end = start + len(text[start:end].rstrip(_LINK_TAIL))
        if glued_before(text, start) or _telegram_kind(text, start, end) != wanted:
            return None
        return start, end

    return refine


# Where a URL stops: whitespace (ASCII and the common Unicode spaces), quotes and angle brackets.
_URL_STOP = " \t\n\r\f\v<>\"'`\u00a0\u2000-\u200b\u2028\u2029\u202f\u3000«»“”‘’"
_HOST_LABEL = "[a-z0-9](?:[a-z0-9\\-]*[a-z0-9])?"
_URL_CANDIDATE = (
    f"(?i)(?:https?://[^{_URL_STOP}]+|(?:{_HOST_LABEL}\\.)+[a-z]{{2,24}}/[^{_URL_STOP}]+)"
)
# No "[^…]" after the trigger: its Unicode ranges would multiply the set's byte classes.
_URL_TRIGGER = "(?i)(?:https?://|[a-z0-9]\\.[a-z]{2,24}/)"
_URL_TAIL = ".,;:!?)]}*"
_CLOSERS = {")": "(", "]": "[", "}": "{"}
_AUTHORITY = re.compile(r"(?:https?://)?(?:[^/?#@]*@)?([^/?#]*)", re.IGNORECASE)
_IPV4_OCTET = "(?:25[0-5]|2[0-4][0-9]|1?[0-9]{1,2})"
_VALID_HOST = re.compile(
    r"(?:localhost|\[[0-9a-f:.]+\]"
    r"|(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}\.?"
    rf"|(?:{_IPV4_OCTET}\.){{3}}{_IPV4_OCTET})(?::[0-9]{{1,5}})?\Z",
    re.IGNORECASE,
)
_LONGEST_AUTHORITY = 300


def _trim_url(link: str) -> str:
    """Drops sentence punctuation after a URL, keeping a bracket the URL itself opened."""
    while link and link[-1] in _URL_TAIL:
        closer = link[-1]
        opener = _CLOSERS.get(closer)
        if opener is not None and link.count(opener) >= link.count(closer):
            break
        link = link[:-1]
    return link


def host_valid(link: str) -> bool:
    """The URL's host (after any user info, with any port) is a domain, IPv4/6 or localhost."""
    authority = _AUTHORITY.match(link)
    return _valid_host(authority.group(1) if authority else "")


@functools.lru_cache(maxsize=4096)  # a few hosts make most links: each is checked once
def _valid_host(host: str) -> bool:
    return len(host) <= _LONGEST_AUTHORITY and _VALID_HOST.match(host) is not None


def _url(text: str, start: int, end: int) -> tuple[int, int] | None:
    if glued_before(text, start):
        return None
    link = _trim_url(text[start:end])
    bare = not link.lower().startswith(("http://", "https://"))
    if bare and (_char_before(text, start) in _NOT_A_HOST_START or not link.partition("/")[2]):
        return None  # an e-mail address's domain, part of a path, or no path at all
    return (start, start + len(link)) if host_valid(link) else None


TELEGRAM_LINK = Detector(
    name="telegram_link",
    description="Links to Telegram users, channels and posts (t.me/…, telegram.me/…, tg://…)",
    trigger=_TELEGRAM_TRIGGER,
    candidate=_TELEGRAM_CANDIDATE,
    refine=_telegram_refiner("link"),
)
TELEGRAM_INVITE = Detector(
    name="telegram_invite",
    description="Telegram invite links (t.me/+…, t.me/joinchat/…, tg://join?invite=…)",
    trigger=_TELEGRAM_TRIGGER,
    candidate=_TELEGRAM_CANDIDATE,
    refine=_telegram_refiner("invite"),
)
URL = Detector(
    name="url",
    description="Web links: http(s) URLs and bare domains with a path (example.com/path)",
    trigger=_URL_TRIGGER,
    candidate=_URL_CANDIDATE,
    refine=_url,
)
