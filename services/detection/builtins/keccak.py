"""Keccak-256 as Ethereum uses it (the original Keccak padding, not NIST SHA3-256).

``hashlib.sha3_256`` pads with 0x06 where Keccak pads with 0x01, so it gives different digests;
no Keccak package is installed, and EIP-55 checks hash only 40 bytes, so pure Python is enough.
"""

from __future__ import annotations

_MASK = (1 << 64) - 1
_RATE = 136  # bytes absorbed per permutation for a 256-bit capacity of 512 bits
KECCAK_PADDING = 0x01
SHA3_PADDING = 0x06  # exposed so tests can check the permutation against hashlib.sha3_256

_ROUND_CONSTANTS = (
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
    0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
    0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
)  # fmt: skip
# Rotation of lane (x, y), indexed x + 5 * y.
_ROTATIONS = (
    0, 1, 62, 28, 27,
    36, 44, 6, 55, 20,
    3, 10, 43, 25, 39,
    41, 45, 15, 21, 8,
    18, 2, 61, 56, 14,
)  # fmt: skip
# Where rho-pi moves lane x + 5 * y: to y + 5 * ((2x + 3y) mod 5).
_PI_TARGETS = tuple(y + 5 * ((2 * x + 3 * y) % 5) for y in range(5) for x in range(5))


def _rotate(lane: int, shift: int) -> int:
    return ((lane << shift) | (lane >> (64 - shift))) & _MASK if shift else lane


def _column_parity(state: list[int], x: int) -> int:
    return state[x] ^ state[x + 5] ^ state[x + 10] ^ state[x + 15] ^ state[x + 20]


def _permute(state: list[int]) -> list[int]:
    """Keccak-f[1600]: 24 rounds of theta, rho, pi, chi and iota over 25 64-bit lanes."""
    for constant in _ROUND_CONSTANTS:
        parity = [_column_parity(state, x) for x in range(5)]
        mix = [parity[(x - 1) % 5] ^ _rotate(parity[(x + 1) % 5], 1) for x in range(5)]
        moved = [0] * 25
        for index in range(25):
            moved[_PI_TARGETS[index]] = _rotate(state[index] ^ mix[index % 5], _ROTATIONS[index])
        state = [
            moved[i] ^ (~moved[(i % 5 + 1) % 5 + i - i % 5] & moved[(i % 5 + 2) % 5 + i - i % 5])
            for i in range(25)
        ]
        state[0] ^= constant
    return state


def keccak_256(data: bytes, padding: int = KECCAK_PADDING) -> bytes:
    """The 32-byte Keccak-256 digest of ``data`` (``padding=SHA3_PADDING`` gives SHA3-256)."""
    padded = bytearray(data)
    padded.append(padding)
    padded.extend(b"\x00" * (-len(padded) % _RATE))
    padded[-1] |= 0x80
    state = [0] * 25
    for offset in range(0, len(padded), _RATE):
        block = padded[offset : offset + _RATE]
        for lane in range(_RATE // 8):
            state[lane] ^= int.from_bytes(block[lane * 8 : lane * 8 + 8], "little")
        state = _permute(state)
    return b"".join(lane.to_bytes(8, "little") for lane in state[:4])
