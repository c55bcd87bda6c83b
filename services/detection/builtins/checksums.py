"""Checksums that tell a real identifier from a string that merely looks like one."""

from __future__ import annotations

import hashlib

BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE58_VALUES = {char: value for value, char in enumerate(BASE58_ALPHABET)}
BECH32_ALPHABET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_VALUES = {char: value for value, char in enumerate(BECH32_ALPHABET)}
_BECH32_GENERATORS = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
BECH32_CONSTANT = 1  # BIP-173, witness version 0
BECH32M_CONSTANT = 0x2BC830A3  # BIP-350, witness versions 1 to 16


def double_sha256(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def base58_decode(text: str) -> bytes | None:
    """The bytes a base58 string encodes (leading ``1`` are zero bytes); None if not base58."""
    number = 0
    for char in text:
        value = _BASE58_VALUES.get(char)
        if value is None:
            return None
        number = number * 58 + value
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\x00" * zeros + body


def base58check_payload(text: str) -> bytes | None:
    """The version byte and payload of a base58check string whose checksum holds, else None."""
    raw = base58_decode(text)
    if raw is None or len(raw) < 5:
        return None
    payload, checksum = raw[:-4], raw[-4:]
    return payload if double_sha256(payload)[:4] == checksum else None


def _generator_mix(top: int) -> int:
    mixed = 0
    for bit, generator in enumerate(_BECH32_GENERATORS):
        if (top >> bit) & 1:
            mixed ^= generator
    return mixed


# The generator XOR for each 5-bit value shifted out, so the checksum loop is one lookup.
_BECH32_MIX = tuple(_generator_mix(top) for top in range(32))


def _bech32_polymod(values: list[int]) -> int:
    checksum = 1
    for value in values:
        checksum = ((checksum & 0x1FFFFFF) << 5) ^ value ^ _BECH32_MIX[checksum >> 25]
    return checksum


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def bech32_decode(text: str) -> tuple[str, list[int], int] | None:
    """(human-readable part, data without checksum, checksum constant), or None if malformed."""
    if text.lower() != text and text.upper() != text:
        return None  # mixed case is invalid in bech32
    text = text.lower()
    separator = text.rfind("1")
    if separator < 1 or separator + 7 > len(text) or len(text) > 90:
        return None
    hrp = text[:separator]
    data = [_BECH32_VALUES.get(char, -1) for char in text[separator + 1 :]]
    if -1 in data:
        return None
    constant = _bech32_polymod(_hrp_expand(hrp) + data)
    if constant not in (BECH32_CONSTANT, BECH32M_CONSTANT):
        return None
    return hrp, data[:-6], constant


def _regroup_5_to_8(data: list[int]) -> bytes | None:
    """5-bit groups to bytes; None when the padding is longer than 4 bits or not zero."""
    accumulator = bits = 0
    out = bytearray()
    for value in data:
        accumulator = (accumulator << 5) | value
        bits += 5
        if bits >= 8:
            bits -= 8
            out.append((accumulator >> bits) & 0xFF)
    if bits >= 5 or (accumulator << (8 - bits)) & 0xFF:
        return None
    return bytes(out)


def segwit_program(text: str, hrp: str = "bc") -> tuple[int, bytes] | None:
    """(witness version, program) of a valid segwit address for ``hrp``, else None."""
    decoded = bech32_decode(text)
    if decoded is None or decoded[0] != hrp or not decoded[1]:
        return None
    _, data, constant = decoded
    version, program = data[0], _regroup_5_to_8(data[1:])
    if version > 16 or program is None or not 2 <= len(program) <= 40:
        return None
    if version == 0 and (len(program) not in (20, 32) or constant != BECH32_CONSTANT):
        return None
    if version > 0 and constant != BECH32M_CONSTANT:
        return None
    return version, program


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def iban_mod97_valid(iban: str) -> bool:
    """ISO 13616: move the first four characters to the end, letters to numbers, mod 97 == 1."""
    rearranged = iban[4:] + iban[:4]
    number = "".join(str(int(char, 36)) for char in rearranged)
    return int(number) % 97 == 1
