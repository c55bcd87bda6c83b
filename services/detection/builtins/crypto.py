"""Cryptocurrency addresses: Bitcoin (base58check and bech32/bech32m), Ethereum, TRON."""

from __future__ import annotations

from services.detection.builtins.base import TOKEN_START, Detector, standalone
from services.detection.builtins.checksums import base58check_payload, segwit_program
from services.detection.builtins.keccak import keccak_256

_BASE58 = "[1-9A-HJ-NP-Za-km-z]"
_BITCOIN_VERSIONS = (0x00, 0x05)  # P2PKH, P2SH
_TRON_VERSION = 0x41
_HASH160_PAYLOAD = 21  # version byte + 20-byte hash


def _bitcoin(text: str, start: int, end: int) -> tuple[int, int] | None:
    if not standalone(text, start, end):
        return None
    address = text[start:end]
    if address[:3].lower() == "bc1":
        return (start, end) if segwit_program(address) is not None else None
    payload = base58check_payload(address)
    if payload is None or len(payload) != _HASH160_PAYLOAD:
        return None
    return (start, end) if payload[0] in _BITCOIN_VERSIONS else None


def eip55_valid(address: str) -> bool:
    """``0x`` + 40 hex: one case throughout, or mixed case that spells the EIP-55 checksum."""
    digits = address[2:]
    if digits == digits.lower() or digits == digits.upper():
        return True
    digest = keccak_256(digits.lower().encode("ascii")).hex()
    return all(
        char.isdigit() or char.isupper() == (int(nibble, 16) >= 8)
        for char, nibble in zip(digits, digest, strict=False)
    )


def _ethereum(text: str, start: int, end: int) -> tuple[int, int] | None:
    if not standalone(text, start, end) or not eip55_valid(text[start:end]):
        return None
    return start, end


def _tron(text: str, start: int, end: int) -> tuple[int, int] | None:
    if not standalone(text, start, end):
        return None
    payload = base58check_payload(text[start:end])
    if payload is None or len(payload) != _HASH160_PAYLOAD or payload[0] != _TRON_VERSION:
        return None
    return start, end


BITCOIN = Detector(
    name="bitcoin",
    description="Bitcoin addresses (legacy, P2SH, segwit and taproot) with valid checksums",
    trigger=f"{TOKEN_START}(?:[13]{_BASE58}{{25}}|(?i:bc1[02-9ac-hj-np-z]{{8}}))",
    candidate=f"(?:[13]{_BASE58}{{25,34}}|(?i:bc1[02-9ac-hj-np-z]{{8,87}}))",
    refine=_bitcoin,
)
ETHEREUM = Detector(
    name="ethereum",
    description="Ethereum addresses (0x + 40 hex digits; mixed case must pass EIP-55)",
    trigger=f"{TOKEN_START}0x[0-9a-fA-F]{{20}}",
    candidate="0x[0-9a-fA-F]{40}",
    refine=_ethereum,
)
TRON = Detector(
    name="tron",
    description="TRON addresses (T…, base58check with version byte 0x41)",
    trigger=f"{TOKEN_START}T{_BASE58}{{20}}",
    candidate=f"T{_BASE58}{{33}}",
    refine=_tron,
)
