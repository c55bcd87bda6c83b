"""Bank identifiers: IBANs (ISO 13616 mod-97 and registry lengths) and payment cards (Luhn)."""

from __future__ import annotations

import re

from services.detection.builtins.base import TOKEN_START, Detector, glued_after, glued_before
from services.detection.builtins.checksums import iban_mod97_valid, luhn_valid

# IBAN length per country, from the SWIFT IBAN registry.
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22,
    "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32,
    "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24,
    "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31,
    "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28, "TL": 23,
    "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip
_IBAN_GROUP = 4


def _iban_end(text: str, start: int, length: int) -> int | None:
    """Index after the IBAN's ``length``-th character; a space may only end a group of four."""
    taken = 0
    index = start
    while taken < length:
        if index >= len(text):
            return None
        char = text[index]
        if char == " " and taken % _IBAN_GROUP == 0 and text[index - 1] != " ":
            index += 1
            continue
        if not (char.isascii() and char.isalnum()):
            return None
        taken += 1
        index += 1
    return index


def _iban(text: str, start: int, end: int) -> tuple[int, int] | None:
    length = IBAN_LENGTHS.get(text[start : start + 2])
    if length is None or glued_before(text, start):
        return None
    stop = _iban_end(text, start, length)
    if stop is None or glued_after(text, stop):
        return None
    iban = text[start:stop].replace(" ", "").upper()
    return (start, stop) if iban_mod97_valid(iban) else None


# (first IIN, last IIN, digits compared, allowed lengths): card brands' published ranges.
CARD_RANGES = (
    (4, 4, 1, (13, 16, 19)),  # Visa
    (51, 55, 2, (16,)),  # Mastercard
    (2221, 2720, 4, (16,)),  # Mastercard 2-series
    (34, 34, 2, (15,)),  # American Express
    (37, 37, 2, (15,)),
    (6011, 6011, 4, (16, 17, 18, 19)),  # Discover
    (644, 649, 3, (16, 17, 18, 19)),
    (65, 65, 2, (16, 17, 18, 19)),
    (3528, 3589, 4, (16, 17, 18, 19)),  # JCB
    (62, 62, 2, (16, 17, 18, 19)),  # UnionPay
    (300, 305, 3, (14, 16)),  # Diners Club
    (36, 36, 2, (14, 16)),
    (38, 39, 2, (14, 16)),
    (2200, 2204, 4, (16, 17, 18, 19)),  # Mir
    (5018, 5018, 4, (13, 14, 15, 16, 17, 18, 19)),  # Maestro
    (5020, 5020, 4, (13, 14, 15, 16, 17, 18, 19)),
    (5038, 5038, 4, (13, 14, 15, 16, 17, 18, 19)),
    (5893, 5893, 4, (13, 14, 15, 16, 17, 18, 19)),
    (6304, 6304, 4, (13, 14, 15, 16, 17, 18, 19)),
    (6759, 6763, 4, (13, 14, 15, 16, 17, 18, 19)),
)
_CARD_CANDIDATE = (
    "(?:[0-9]{4}[ \\-][0-9]{6}[ \\-][0-9]{4,5}"  # American Express / Diners: 4-6-5, 4-6-4
    "|[0-9]{4}(?:[ \\-][0-9]{4}){2,3}(?:[ \\-][0-9]{1,4})?"  # groups of four
    "|[0-9]{13,19})"
)
_CARD_SEPARATORS = re.compile(r"[ \-]")


def known_card_prefix(digits: str) -> bool:
    return any(
        low <= int(digits[:size]) <= high and len(digits) in lengths
        for low, high, size, lengths in CARD_RANGES
    )


def card_number_valid(digits: str) -> bool:
    return (
        13 <= len(digits) <= 19
        and len(set(digits)) > 1
        and luhn_valid(digits)
        and known_card_prefix(digits)
    )


def _card(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The candidate, or its longest prefix of whole digit groups, that is a card number."""
    if glued_before(text, start) or text[start - 1 : start] == "+":
        return None
    candidate = text[start:end]
    if len(set(_CARD_SEPARATORS.findall(candidate))) > 1:
        return None  # 4111-1111 1111-1111 is not how cards are written
    groups = _CARD_SEPARATORS.split(candidate)
    stop = end
    for count in range(len(groups), 0, -1):
        digits = "".join(groups[:count])
        if not glued_after(text, stop) and card_number_valid(digits):
            return start, stop
        stop -= len(groups[count - 1]) + 1
    return None


IBAN = Detector(
    name="iban",
    description="IBANs with a valid mod-97 check and the country's registered length",
    trigger=f"{TOKEN_START}[A-Z]{{2}}[0-9]{{2}}(?: ?[A-Z0-9]){{4}}",
    candidate="[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}",
    refine=_iban,
)
CARD = Detector(
    name="card",
    description="Payment card numbers (Luhn-valid, known issuer prefix and length)",
    trigger=f"{TOKEN_START}[0-9]{{4}}[ \\-]?[0-9]{{4}}",  # how every _CARD_CANDIDATE begins
    candidate=_CARD_CANDIDATE,
    refine=_card,
)
