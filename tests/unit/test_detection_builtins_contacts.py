"""Built-in e-mail and phone detectors: real addresses and numbers, not their look-alikes."""

from __future__ import annotations

import pytest

from core.domain.detection import DetectionRule, RuleKind, ScanTarget
from services.detection.builtins.calling_codes import CALLING_CODES, plausible_e164
from services.detection.engine import compile_rules


def found(detector: str, text: str) -> str | None:
    compiled = compile_rules([DetectionRule(1, detector, RuleKind.BUILTIN, detector)])
    matches = compiled.scan(ScanTarget(1, 1, 1, text))
    return matches[0].matched_text if matches else None


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("write to ana.lopez@example.com.", "ana.lopez@example.com"),
        ("MAIL: Juan_Perez+news@Mail.Example.CO", "Juan_Perez+news@Mail.Example.CO"),
        ("correo josé@example.es", None),  # non-ASCII local parts are left out on purpose
        ("name [at] host [dot] com", "name [at] host [dot] com"),
        ("john.doe(at)gmail.com", "john.doe(at)gmail.com"),
        ("john (at) gmail (dot) com", "john (at) gmail (dot) com"),
        ("ana {at} proton {dot} me!", "ana {at} proton {dot} me"),
        ("maria [arroba] correo [punto] es", "maria [arroba] correo [punto] es"),
        ("ivan[@]yandex[.]ru", "ivan[@]yandex[.]ru"),
    ],
)
def test_email_addresses_and_their_common_obfuscations(text: str, address: str | None) -> None:
    assert found("email", text) == address


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("name at host dot com", "unbracketed 'at' is ordinary prose"),
        ("meet me at noon dot", "prose"),
        ("user@localhost", "no top-level domain"),
        ("user@example.c", "a one-letter TLD"),
        ("user@example.c0m", "a TLD with a digit"),
        ("user@-example.com", "a label starting with a hyphen"),
        ("user..name@example.com", "two dots in a row"),
        ("user.@example.com", "a local part ending in a dot"),
        ("@example.com", "no local part"),
        ("a@b.com@c", "glued to another @"),
        ("name [at] host", "obfuscated but with no domain"),
        ("name [at] host [dot] c", "obfuscated with a one-letter TLD"),
    ],
)
def test_email_look_alikes_are_not_found(text: str, why: str) -> None:
    assert found("email", text) is None, why


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("llámame al +57 300 123 4567 mañana", "+57 300 123 4567"),
        ("Тел.: +7 (999) 123-45-67", "+7 (999) 123-45-67"),
        ("call +1 (212) 555-0123!", "+1 (212) 555-0123"),
        ("+34 612 34 56 78", "+34 612 34 56 78"),
        ("+44 (0)20 7946 0958", "+44 (0)20 7946 0958"),
        ("+971 50 123 4567", "+971 50 123 4567"),
        ("+4930123456", "+4930123456"),
        ("+33.6.12.34.56.78", "+33.6.12.34.56.78"),
        ("+57 300 123 4567 2024", "+57 300 123 4567"),  # a year after the number
    ],
)
def test_international_phone_numbers_are_found(text: str, number: str) -> None:
    assert found("phone", text) == number


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("+2024-05-01", "a date"),
        ("+01.02.2024", "a date"),
        ("+1234567", "seven digits is too short"),
        ("+1234567890123456", "sixteen digits is more than E.164 allows"),
        ("+4111111111111111", "a card number"),
        ("+999 123 456 789", "999 is no country calling code"),
        ("+1 (055) 555-0123", "a NANP area code cannot start with 0"),
        ("+57 300 123 45", "Colombia's numbers have ten digits"),
        ("+7 999 123", "too short for Russia"),
        ("C++ 12345678", "not a + number"),
        ("+34 612--34-56-78", "doubled separators"),
        ("+7 (999 123-45-67", "an unbalanced parenthesis"),
        ("+34612345678abc", "glued to a word"),
    ],
)
def test_phone_look_alikes_are_not_found(text: str, why: str) -> None:
    assert found("phone", text) is None, why


def test_calling_codes_are_prefix_free_and_plausibility_uses_them() -> None:
    for code in CALLING_CODES:
        assert not any(other != code and other.startswith(code) for other in CALLING_CODES)
    assert plausible_e164("573001234567")
    assert not plausible_e164("5730012345")
