"""Contact details: e-mail addresses (with common obfuscations) and international phones."""

from __future__ import annotations

import re
from collections.abc import Iterator

from services.detection.builtins.base import TOKEN_START, Detector, glued_after, glued_before
from services.detection.builtins.calling_codes import plausible_e164

_LABEL = "[a-z0-9](?:[a-z0-9\\-]*[a-z0-9])?"
_AT = "(?:\\[ ?(?:at|@|arroba) ?\\]|\\( ?(?:at|@|arroba) ?\\)|\\{ ?(?:at|@|arroba) ?\\})"
_DOT = "(?:\\[ ?(?:dot|\\.|punto) ?\\]|\\( ?(?:dot|\\.|punto) ?\\)|\\{ ?(?:dot|\\.|punto) ?\\})"
_PLAIN_EMAIL = f"[a-z0-9][a-z0-9._%+\\-]*@{_LABEL}(?:\\.{_LABEL})*\\.[a-z]{{2,24}}"
# "name at host dot com" without brackets is ordinary prose far too often to count.
_OBFUSCATED_EMAIL = f"[a-z0-9][a-z0-9._%+\\-]* ?{_AT} ?{_LABEL}(?: ?(?:{_DOT}|\\.) ?{_LABEL})+"
_AT_TOKEN = re.compile(r"\s*[\[({]\s*(?:at|@|arroba)\s*[\])}]\s*", re.IGNORECASE)
_DOT_TOKEN = re.compile(r"\s*(?:[\[({]\s*(?:dot|\.|punto)\s*[\])}]|\.)\s*", re.IGNORECASE)
_DOMAIN_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\Z")
_TLD = re.compile(r"[a-z]{2,24}\Z")
_LONGEST_EMAIL = 320  # 64 for the local part, 253 for the domain, obfuscation aside


def email_address_valid(address: str) -> bool:
    """A plausible address: sane local part, valid labels, alphabetic TLD of 2+ letters."""
    local, _, domain = address.lower().rpartition("@")
    if not local or len(local) > 64 or ".." in local or local[-1] == ".":
        return False
    labels = domain.split(".")
    return (
        len(labels) >= 2
        and len(domain) <= 253
        and all(_DOMAIN_LABEL.match(label) for label in labels)
        and _TLD.match(labels[-1]) is not None
    )


def _deobfuscate(candidate: str) -> str:
    """``name [at] host [dot] com`` -> ``name@host.com``; plain addresses pass unchanged."""
    if "[" not in candidate and "(" not in candidate and "{" not in candidate:
        return candidate  # no bracketed "at": the usual, plain address
    parts = _AT_TOKEN.split(candidate, maxsplit=1)
    if len(parts) != 2:
        return candidate
    local, domain = parts
    return f"{local}@{_DOT_TOKEN.sub('.', domain)}"


def _email(text: str, start: int, end: int) -> tuple[int, int] | None:
    if end - start > _LONGEST_EMAIL or glued_before(text, start) or glued_after(text, end):
        return None
    following = text[end : end + 1]
    if following in ("@", "-") or (following == "." and glued_after(text, end + 1)):
        return None
    return (start, end) if email_address_valid(_deobfuscate(text[start:end])) else None


_DOUBLE_SEPARATOR = re.compile(r"[ .\-]{2}")
_PARENTHESIZED = re.compile(r"\([0-9]{1,5}\)")
_DATE = re.compile(
    r"[0-9]{4}[./\-][0-9]{1,2}[./\-][0-9]{1,2}|[0-9]{1,2}[./\-][0-9]{1,2}[./\-][0-9]{2,4}"
)
_GROUP_END = re.compile(r"[0-9]\)?(?![0-9])")
_NON_DIGITS = re.compile(r"[^0-9]+")


def phone_digits(number: str) -> str | None:
    """The digits of ``+…`` as dialled, or None when its punctuation is not a phone's."""
    body = number[1:].strip()
    if _DOUBLE_SEPARATOR.search(body) or _DATE.fullmatch(body):
        return None
    if "(" in body or ")" in body:
        unwrapped = _PARENTHESIZED.sub("", body)
        if "(" in unwrapped or ")" in unwrapped:
            return None
        body = body.replace("(0)", "")  # the national trunk prefix some people keep
    return _NON_DIGITS.sub("", body)


def _phone_ends(text: str, start: int, end: int) -> Iterator[int]:
    """Where the number may end: the whole candidate, then after each earlier digit group."""
    yield end
    group_ends = [match.end() for match in _GROUP_END.finditer(text, start, end)]
    yield from (stop for stop in reversed(group_ends) if stop < end)


def _phone(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The longest prefix, ending after a group of digits, that is a plausible E.164 number."""
    if glued_before(text, start):
        return None
    for stop in _phone_ends(text, start, end):
        if glued_after(text, stop):
            continue
        digits = phone_digits(text[start:stop])
        if digits is not None and plausible_e164(digits):
            return start, stop
    return None


EMAIL = Detector(
    name="email",
    description="E-mail addresses, also written as name [at] host [dot] com or name(at)host.com",
    trigger=f"(?i)(?:[a-z0-9._%+\\-]@[a-z0-9]|{_AT})",
    candidate=f"(?i)(?:{_PLAIN_EMAIL}|{_OBFUSCATED_EMAIL})",
    refine=_email,
)
PHONE = Detector(
    name="phone",
    description="International phone numbers (+ and 8-15 digits) that fit E.164",
    trigger=f"{TOKEN_START}\\+ ?[0-9(][0-9 ().\\-]{{6}}",
    candidate="\\+ ?[0-9(][0-9 ().\\-]{6,26}[0-9]",
    refine=_phone,
)
