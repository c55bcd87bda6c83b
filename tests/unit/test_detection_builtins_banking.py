"""Built-in IBAN and payment card detectors: mod-97 and registry lengths, Luhn and issuers."""

from __future__ import annotations

import pytest

from core.domain.detection import DetectionRule, RuleKind, ScanTarget
from services.detection.builtins.banking import card_number_valid
from services.detection.builtins.checksums import iban_mod97_valid, luhn_valid
from services.detection.engine import compile_rules


def found(detector: str, text: str) -> str | None:
    compiled = compile_rules([DetectionRule(1, detector, RuleKind.BUILTIN, detector)])
    matches = compiled.scan(ScanTarget(1, 1, 1, text))
    return matches[0].matched_text if matches else None


# Published example IBANs (registry and bank documentation examples).
IBANS = [
    "GB82WEST12345698765432",
    "GB82 WEST 1234 5698 7654 32",
    "DE89370400440532013000",
    "DE89 3704 0044 0532 0130 00",
    "FR1420041010050500013M02606",
    "ES9121000418450200051332",
    "NL91ABNA0417164300",
    "BE68539007547034",
    "IT60X0542811101000000123456",
    "CH9300762011623852957",
    "AT611904300234573201",
    "PL61109010140000071219812874",
    "SA0380000000608010167519",
    "NO9386011117947",
]


@pytest.mark.parametrize("iban", IBANS)
def test_valid_ibans_are_found_compact_or_in_groups_of_four(iban: str) -> None:
    assert found("iban", f"Pay to {iban}, thanks") == iban


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("GB82WEST12345698765433", "check digits fail mod-97"),
        ("GB82 WEST 1234 5698 7654 33", "the same, grouped"),
        ("GB82WEST1234569876543", "one character short of the UK's 22"),
        ("GB82WEST123456987654321", "one character too many, glued"),
        ("XX82WEST12345698765432", "no such country in the registry"),
        ("NO9386011117948", "Norway's 15 characters with a broken check"),
        ("GB82 WES T123 4569 8765 432", "spaces not at the groups of four"),
        ("xGB82WEST12345698765432", "glued to a word"),
    ],
)
def test_iban_look_alikes_are_not_found(text: str, why: str) -> None:
    assert found("iban", f"to {text} ok") is None, why


def test_mod97_of_a_country_with_the_wrong_length_still_needs_the_length() -> None:
    # DE89370400440532013000 is valid; shortened for another country's length it is not.
    assert iban_mod97_valid("DE89370400440532013000")
    assert found("iban", "BE89370400440532013000") is None


CARDS = [
    "4111111111111111",  # Visa
    "4111 1111 1111 1111",
    "4111-1111-1111-1111",
    "4012888888881881",
    "4222222222222",  # 13-digit Visa
    "5555555555554444",  # Mastercard
    "5105 1051 0510 5100",
    "2223003122003222",  # Mastercard 2-series
    "378282246310005",  # American Express
    "3782 822463 10005",
    "371449635398431",
    "6011111111111117",  # Discover
    "6011000990139424",
    "3530111333300000",  # JCB
    "3566002020360505",
    "30569309025904",  # Diners Club
    "6200000000000005",  # UnionPay
]


@pytest.mark.parametrize("card", CARDS)
def test_luhn_valid_cards_of_known_issuers_are_found(card: str) -> None:
    assert found("card", f"card: {card}.") == card


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("4111111111111112", "Luhn off by one digit"),
        ("4111 1111 1111 1112", "the same, grouped"),
        ("0000000000000000", "all the same digit"),
        ("4444444444444444", "all the same digit"),
        ("8888888888888888", "all the same digit, and Luhn-valid"),
        ("9111111111111119", "no issuer starts with 9"),
        ("378282246310005000", "an Amex number with the wrong length"),
        ("41111111111111110000", "a 20-digit number is an id, not a card"),
        ("4111-1111 1111-1111", "mixed separators"),
        ("+4111111111111111", "a phone-like +number"),
        ("41 1111 1111 1111 11", "not grouped like a card"),
    ],
)
def test_card_look_alikes_are_not_found(text: str, why: str) -> None:
    assert found("card", f"n {text} x") is None, why


def test_a_card_followed_by_another_number_is_still_found() -> None:
    assert found("card", "4111 1111 1111 1111 2024") == "4111 1111 1111 1111"
    assert found("card", "ref 12 4111 1111 1111 1111") == "4111 1111 1111 1111"


def test_luhn_and_card_validity_helpers() -> None:
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")
    assert card_number_valid("4111111111111111")
    assert not card_number_valid("4111111111111")  # Visa has 13, 16 or 19 digits; Luhn fails
