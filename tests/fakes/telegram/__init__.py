"""A scripted Telegram for tests and the offline demo: the real Telethon client runs on top."""

from tests.fakes.telegram.auth import FakeAuth
from tests.fakes.telegram.client import API_HASH, API_ID, fake_client
from tests.fakes.telegram.faults import Faults, SimulatedCrash, rpc_error
from tests.fakes.telegram.requests_log import GET_HISTORY, Exchange, RequestLog
from tests.fakes.telegram.sender import FakeSender, over_the_wire, unwrap
from tests.fakes.telegram.specs import FakeChat, FakeFile, FakeForward, FakeMessage, FakeUser
from tests.fakes.telegram.updates import LiveTelegram
from tests.fakes.telegram.world import FakeInvite, FakeTelegram

__all__ = [
    "API_HASH",
    "API_ID",
    "GET_HISTORY",
    "Exchange",
    "FakeAuth",
    "FakeChat",
    "FakeFile",
    "FakeForward",
    "FakeInvite",
    "FakeMessage",
    "FakeSender",
    "FakeTelegram",
    "FakeUser",
    "Faults",
    "LiveTelegram",
    "RequestLog",
    "SimulatedCrash",
    "fake_client",
    "over_the_wire",
    "rpc_error",
    "unwrap",
]
