"""Telegram's side of logging in: login codes, two-step verification (real SRP), QR login tokens,
and which authorization keys are signed in.

The two-step password is checked the way Telegram checks it: the fake keeps only the SRP verifier
``v = g^x mod p`` (x derived from the password with Telegram's PBKDF2 recipe), hands out a fresh
``B`` per account.getPassword, and verifies the client's proof ``M1``. The recipe is written here
from Telegram's specification, independently of ``telethon.password``, so a client that computes
the proof wrongly is refused.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from telethon.crypto import AuthKey
from telethon.tl import TLObject, TLRequest, functions, types

from tests.fakes.telegram.faults import rpc_error

if TYPE_CHECKING:
    from tests.fakes.telegram.world import FakeTelegram

# The 2048-bit safe prime Telegram uses for SRP (core.telegram.org/api/srp), with g = 3.
SRP_PRIME = int(
    "C71CAEB9C6B1C9048E6C522F70F13F73980D40238E3E21C14934D037563D930F48198A0AA7C14058229493D22530F4DB"
    "FA336F6E0AC925139543AED44CCE7C3720FD51F69458705AC68CD4FE6B6B13ABDC9746512969328454F18FAF8C595F64"
    "2477FE96BB2A941D5BCD1D4AC8CC49880708FA9B378E3C4F3A9060BEE67CF9A4A4A695811051907E162753B56B0F6B41"
    "0DBA74D8A84B2A14B3144E0EF1284754FD17ED950D5965B4B9DD46582DB1178D169C6BC465B0D6FF9CA3928FEF5B9AE4"
    "E418FC15E83EBEA0F87FA9FF5EED70050DED2849F47BF959D956850CE929851F0D8115F635B105EE2E4E15D04B2454BF"
    "6F4FADF034B10403119CD8E3B92FCC5B",
    16,
)
SRP_G = 3
SIZE = 256  # SRP numbers travel as 256-byte big-endian strings
# What an unauthorized key may call: everything needed to log in, nothing else.
OPEN_REQUESTS = (
    functions.help.GetConfigRequest,
    functions.help.GetNearestDcRequest,
    functions.auth.SendCodeRequest,
    functions.auth.ResendCodeRequest,
    functions.auth.SignInRequest,
    functions.auth.CheckPasswordRequest,
    functions.auth.ExportLoginTokenRequest,
    functions.auth.ImportLoginTokenRequest,
    functions.account.GetPasswordRequest,
)


def _h(*parts: bytes) -> bytes:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
    return digest.digest()


def _pad(number: int) -> bytes:
    return number.to_bytes(SIZE, "big")


def _srp_x(password: str, salt1: bytes, salt2: bytes) -> int:
    """x = PH2(password, salt1, salt2), as the specification defines it."""
    ph1 = _h(salt2, _h(salt1, password.encode("utf-8"), salt1), salt2)
    slow = hashlib.pbkdf2_hmac("sha512", ph1, salt1, 100_000)
    return int.from_bytes(_h(salt2, slow, salt2), "big")


@dataclass
class TwoStepPassword:
    """The account's cloud password, stored as Telegram stores it: salts and a verifier."""

    hint: str | None
    salt1: bytes
    salt2: bytes
    verifier: int
    challenges: dict[int, tuple[int, int]] = field(default_factory=dict)  # srp_id -> (b, B)

    @classmethod
    def create(cls, password: str, hint: str | None = None) -> TwoStepPassword:
        salt1, salt2 = os.urandom(40), os.urandom(16)
        verifier = pow(SRP_G, _srp_x(password, salt1, salt2), SRP_PRIME)
        return cls(hint, salt1, salt2, verifier)

    def algo(self) -> TLObject:
        return types.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow(
            salt1=self.salt1, salt2=self.salt2, g=SRP_G, p=_pad(SRP_PRIME)
        )

    def challenge(self) -> tuple[int, bytes]:
        """A fresh (srp_id, B): B = k*v + g^b mod p."""
        k = int.from_bytes(_h(_pad(SRP_PRIME), _pad(SRP_G)), "big")
        b = int.from_bytes(os.urandom(SIZE), "big")
        big_b = (k * self.verifier + pow(SRP_G, b, SRP_PRIME)) % SRP_PRIME
        srp_id = secrets.randbits(63)
        self.challenges[srp_id] = (b, big_b)
        return srp_id, _pad(big_b)

    def verify(self, srp_id: int, a_bytes: bytes, m1: bytes) -> bool | None:
        """True/False for a proof against a challenge; None when the challenge is unknown."""
        found = self.challenges.pop(srp_id, None)
        if found is None:
            return None
        b, big_b = found
        a = int.from_bytes(a_bytes, "big")
        if not 1 < a < SRP_PRIME - 1:
            return False
        u = int.from_bytes(_h(_pad(a), _pad(big_b)), "big")
        shared = pow(a * pow(self.verifier, u, SRP_PRIME) % SRP_PRIME, b, SRP_PRIME)
        expected = _h(
            bytes(x ^ y for x, y in zip(_h(_pad(SRP_PRIME)), _h(_pad(SRP_G)), strict=True)),
            _h(self.salt1),
            _h(self.salt2),
            _pad(a),
            _pad(big_b),
            _h(_pad(shared)),
        )
        return secrets.compare_digest(expected, m1)


@dataclass
class QrToken:
    token: bytes
    key_id: int
    expires: datetime
    accepted: bool = False


class FakeAuth:
    """Login state of the one account: its phone, the code Telegram "sends", the 2FA password,
    QR tokens, and the set of signed-in authorization keys (by key id).

    ``home_dc`` is the data centre the account lives on: a QR token exported on another DC is
    answered with loginTokenMigrateTo, as Telegram does.
    """

    def __init__(self, world: FakeTelegram) -> None:
        self.world = world
        self.code = "24680"
        self.code_expired = False
        self.home_dc = 2
        self.qr_ttl = timedelta(seconds=30)
        self.expire_next_qr_tokens = 0  # that many next tokens are issued already expired
        self.password: TwoStepPassword | None = None
        self.sent_codes: list[str] = []  # phone numbers a code was sent to
        self.signed_in: set[int] = set()
        self._code_hashes: dict[str, str] = {}  # phone -> phone_code_hash
        self._awaiting_password: set[int] = set()
        self._qr: dict[bytes, QrToken] = {}

    # -- script ------------------------------------------------------------------------------

    def set_password(self, password: str, hint: str | None = None) -> None:
        self.password = TwoStepPassword.create(password, hint)

    def sign_in_key(self, key: AuthKey) -> None:
        """Mark ``key`` as a logged-in session of the account (a session made earlier)."""
        if key.key_id is not None:
            self.signed_in.add(key.key_id)

    def is_signed_in(self, key: AuthKey | None) -> bool:
        return key is not None and key.key_id in self.signed_in

    def revoke(self, key: AuthKey) -> None:
        """The account owner terminated this session in another app."""
        self.signed_in.discard(key.key_id)

    def scan_qr(self, url: str) -> None:
        """A logged-in app scans the QR code: Telegram pushes updateLoginToken to the client."""
        encoded = url.split("token=", 1)[1]
        token = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        found = self._qr[token]
        found.accepted = True
        self.world.live.push_to_key(
            found.key_id, types.UpdateShort(types.UpdateLoginToken(), date=_now())
        )

    # -- serving -----------------------------------------------------------------------------

    def gate(self, request: TLRequest, key: AuthKey) -> BaseException | None:
        """The error a request meets when ``key`` is not logged in (AUTH_KEY_UNREGISTERED)."""
        if self.is_signed_in(key) or isinstance(request, OPEN_REQUESTS):
            return None
        return rpc_error(request, 401, "AUTH_KEY_UNREGISTERED")

    def handle(self, request: TLRequest, key: AuthKey, dc_id: int) -> Any:
        handler = _HANDLERS[type(request)]
        return handler(self, request, key, dc_id)

    def _send_code(self, request: Any, key: AuthKey, dc_id: int) -> TLObject:
        phone = _digits(request.phone_number)
        if len(phone) < 7:
            raise rpc_error(request, 400, "PHONE_NUMBER_INVALID")
        self.sent_codes.append(phone)
        code_hash = secrets.token_hex(8)
        self._code_hashes[phone] = code_hash
        return types.auth.SentCode(
            type=types.auth.SentCodeTypeApp(length=len(self.code)), phone_code_hash=code_hash
        )

    def _sign_in(self, request: Any, key: AuthKey, dc_id: int) -> TLObject:
        phone = _digits(request.phone_number)
        if self._code_hashes.get(phone) != request.phone_code_hash:
            raise rpc_error(request, 400, "PHONE_CODE_HASH_EMPTY")
        if self.code_expired:
            raise rpc_error(request, 400, "PHONE_CODE_EXPIRED")
        if request.phone_code != self.code:
            raise rpc_error(request, 400, "PHONE_CODE_INVALID")
        if phone != _digits(self.world.me.phone or ""):
            return types.auth.AuthorizationSignUpRequired()
        return self._authorize(request, key)

    def _authorize(self, request: Any, key: AuthKey) -> TLObject:
        if self.password is not None and key.key_id not in self._awaiting_password:
            self._awaiting_password.add(key.key_id)
            raise rpc_error(request, 401, "SESSION_PASSWORD_NEEDED")
        self._awaiting_password.discard(key.key_id)
        self.sign_in_key(key)
        return types.auth.Authorization(user=self.world.me.to_tl())

    def _get_password(self, request: Any, key: AuthKey, dc_id: int) -> TLObject:
        common: dict[str, Any] = {
            "new_algo": types.PasswordKdfAlgoUnknown(),
            "new_secure_algo": types.SecurePasswordKdfAlgoUnknown(),
            "secure_random": os.urandom(32),
        }
        if self.password is None:
            return types.account.Password(has_password=False, **common)
        srp_id, srp_b = self.password.challenge()
        return types.account.Password(
            has_password=True, current_algo=self.password.algo(), srp_B=srp_b, srp_id=srp_id,
            hint=self.password.hint, **common,
        )  # fmt: skip

    def _check_password(self, request: Any, key: AuthKey, dc_id: int) -> TLObject:
        proof = request.password
        if self.password is None or key.key_id not in self._awaiting_password:
            raise rpc_error(request, 400, "PASSWORD_HASH_INVALID")
        verdict = self.password.verify(proof.srp_id, proof.A, proof.M1)
        if verdict is None:
            raise rpc_error(request, 400, "SRP_ID_INVALID")
        if not verdict:
            raise rpc_error(request, 400, "PASSWORD_HASH_INVALID")
        return self._authorize(request, key)

    def _export_login_token(self, request: Any, key: AuthKey, dc_id: int) -> TLObject:
        accepted = next(
            (t for t in self._qr.values() if t.key_id == key.key_id and t.accepted), None
        )
        if accepted is not None:
            if dc_id != self.home_dc:
                return types.auth.LoginTokenMigrateTo(dc_id=self.home_dc, token=accepted.token)
            del self._qr[accepted.token]
            return types.auth.LoginTokenSuccess(authorization=self._authorize(request, key))
        expires = _now() + self.qr_ttl
        if self.expire_next_qr_tokens:
            self.expire_next_qr_tokens -= 1
            expires = _now() - timedelta(seconds=1)
        token = QrToken(os.urandom(32), key.key_id or 0, expires)
        self._qr[token.token] = token
        return types.auth.LoginToken(expires=token.expires, token=token.token)

    def _import_login_token(self, request: Any, key: AuthKey, dc_id: int) -> TLObject:
        found = self._qr.get(request.token)
        if found is None or not found.accepted or dc_id != self.home_dc:
            raise rpc_error(request, 400, "AUTH_TOKEN_INVALID")
        del self._qr[request.token]
        # The migrated client proves itself with the token: its new key now owns the login.
        self._awaiting_password.discard(found.key_id)
        authorization = self._authorize(request, key)
        return types.auth.LoginTokenSuccess(authorization=authorization)


_HANDLERS: dict[type[TLRequest], Any] = {
    functions.auth.SendCodeRequest: FakeAuth._send_code,
    functions.auth.SignInRequest: FakeAuth._sign_in,
    functions.account.GetPasswordRequest: FakeAuth._get_password,
    functions.auth.CheckPasswordRequest: FakeAuth._check_password,
    functions.auth.ExportLoginTokenRequest: FakeAuth._export_login_token,
    functions.auth.ImportLoginTokenRequest: FakeAuth._import_login_token,
}
AUTH_REQUESTS = tuple(_HANDLERS)


def _digits(phone: str) -> str:
    return "".join(ch for ch in phone if ch.isdigit())


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
