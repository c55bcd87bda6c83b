"""Built-in crypto detectors: a string that looks right but fails its checksum is not a hit."""

from __future__ import annotations

import hashlib
import os

import pytest

from core.domain.detection import DetectionRule, RuleKind, ScanTarget
from services.detection.builtins.checksums import base58check_payload, segwit_program
from services.detection.builtins.crypto import eip55_valid
from services.detection.builtins.keccak import SHA3_PADDING, keccak_256
from services.detection.engine import compile_rules


def found(detector: str, text: str) -> str | None:
    compiled = compile_rules([DetectionRule(1, detector, RuleKind.BUILTIN, detector)])
    matches = compiled.scan(ScanTarget(1, 1, 1, text))
    return matches[0].matched_text if matches else None


# BIP-173 / BIP-350 test vectors (mainnet), and well-known base58 addresses.
BITCOIN_VALID = [
    "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",  # the genesis block's P2PKH address
    "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",  # P2SH, from the Bitcoin wiki
    "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",  # v0 P2WPKH, upper case
    "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3",  # v0 P2WSH
    "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",  # v1, 40 bytes
    "BC1SW50QGDZ25J",  # v16, 2 bytes
    "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs",  # v2, 16 bytes
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",  # taproot
]
BITCOIN_INVALID = [
    "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb",  # last character changed: checksum fails
    "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLz",
    "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T5",  # bech32 with one character changed
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",  # v0 with a bech32m checksum
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",  # v1 with bech32
    "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL",  # v16 with bech32
    "bc1qW508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",  # mixed case
    "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx",  # testnet, not bitcoin mainnet
    "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",  # a valid TRON address is not a bitcoin one
]


@pytest.mark.parametrize("address", BITCOIN_VALID)
def test_bitcoin_addresses_with_valid_checksums_are_found(address: str) -> None:
    assert found("bitcoin", f"send to {address}, thanks") == address


@pytest.mark.parametrize("address", BITCOIN_INVALID)
def test_bitcoin_look_alikes_are_not_found(address: str) -> None:
    assert found("bitcoin", f"send to {address} thanks") is None


def test_a_bitcoin_address_glued_to_more_text_is_not_found() -> None:
    assert found("bitcoin", "x1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa") is None
    assert found("bitcoin", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNaX") is None


def test_checksum_helpers_reject_what_they_should() -> None:
    assert base58check_payload("0OIl") is None  # not base58 at all
    assert base58check_payload("1111") is None  # too short for a checksum
    assert segwit_program("bc1gmk9yu") is None  # no witness program
    assert segwit_program("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4") == (
        0,
        bytes.fromhex("751e76e8199196d454941c45d1b3a323f1433bd6"),
    )


def test_keccak_256_is_keccak_not_sha3() -> None:
    assert keccak_256(b"").hex() == (
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    )
    assert keccak_256(b"").hex() != hashlib.sha3_256(b"").hexdigest()


@pytest.mark.parametrize("size", [0, 1, 55, 135, 136, 137, 272, 1000])
def test_the_keccak_permutation_matches_hashlib_when_padded_like_sha3(size: int) -> None:
    data = os.urandom(size)
    assert keccak_256(data, SHA3_PADDING) == hashlib.sha3_256(data).digest()


# The EIP-55 specification's examples.
EIP55_VALID = [
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    "0x52908400098527886E0F7030069857D2E4169EE7",  # all upper case
    "0xde709f2102306220921060314715629080e2fb77",  # all lower case
]


@pytest.mark.parametrize("address", EIP55_VALID)
def test_ethereum_addresses_in_one_case_or_with_a_valid_eip55_checksum(address: str) -> None:
    assert eip55_valid(address)
    assert found("ethereum", f"pay {address}.") == address


@pytest.mark.parametrize(
    "address",
    [
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD",  # one letter's case flipped
        "0xfb6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xD1220A0CF47c7B9Be7A2E6BA89F429762e7b9aDb",
    ],
)
def test_mixed_case_ethereum_addresses_with_a_wrong_checksum_are_not_found(address: str) -> None:
    assert not eip55_valid(address)
    assert found("ethereum", f"pay {address}") is None


def test_ethereum_hashes_and_short_strings_are_not_addresses() -> None:
    tx_hash = "0x" + "ab" * 32  # 64 hex digits: a transaction hash
    assert found("ethereum", f"tx {tx_hash}") is None
    assert found("ethereum", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeA") is None


def test_tron_addresses_need_the_0x41_version_and_a_valid_checksum() -> None:
    usdt_contract = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
    assert found("tron", f"USDT TRC20: {usdt_contract}") == usdt_contract
    assert found("tron", "USDT TRC20: TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u") is None
    assert found("tron", "T" + "1" * 33) is None
