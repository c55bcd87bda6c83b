"""The HTTP side of the fake Bot API: routes, token check, failure injection, call records."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

import structlog
from aiohttp import web

from tests.fakes.botapi.faults import Faults
from tests.fakes.botapi.forms import read_call
from tests.fakes.botapi.methods import METHODS
from tests.fakes.botapi.records import ApiCall, ApiError
from tests.fakes.botapi.store import TelegramState
from tests.fakes.botapi.updates import Signal, UpdateBuilder, UpdateQueue

TOKEN = "123456:TEST-token-for-the-local-bot-api-fake"
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # Telegram's limit for files bots upload
log = structlog.get_logger(__name__)


def _not_found(description: str) -> web.Response:
    body = {"ok": False, "error_code": 404, "description": description}
    return web.json_response(body, status=404)


class BotApiServer:
    """HTTP plumbing and the recorded calls; ``FakeBotApi`` adds the test-facing helpers."""

    def __init__(self, *, token: str = TOKEN, host: str = "127.0.0.1") -> None:
        self.token = token
        self.host = host
        self.calls: list[ApiCall] = []
        self.downloads: list[str] = []
        self.internal_errors: list[BaseException] = []
        self._signal = Signal()
        self._state = TelegramState()
        self._faults = Faults()
        self._queue = UpdateQueue(self._signal)
        self._updates = UpdateBuilder(self._state, self._queue)
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            msg = "the fake Bot API has no address until start() is awaited"
            raise RuntimeError(msg)
        return self._base_url

    async def start(self) -> None:
        """Listen on a free port of ``host``."""
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES)
        app.router.add_route("POST", "/bot{token}/{method}", self._on_method)
        app.router.add_route("GET", "/bot{token}/{method}", self._on_method)
        app.router.add_route("GET", "/file/bot{token}/{file_path:.+}", self._on_download)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, 0).start()
        port = self._runner.addresses[0][1]
        self._base_url = f"http://{self.host}:{port}"
        self._queue.closing = False

    async def stop(self) -> None:
        """Answer pending long polls with no updates, then close the listener and connections."""
        self._queue.closing = True
        self._signal.fire()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _on_method(self, request: web.Request) -> web.Response:
        call = await read_call(request)
        self.calls.append(call)
        self._signal.fire()  # a pending long poll is visible to wait_for_calls
        try:
            result = await self._serve(request.match_info["token"], call)
        except ApiError as error:
            call.status, call.error = error.status, error.description
            response = web.json_response(error.payload(), status=error.status)
        else:
            response = web.json_response({"ok": True, "result": result})
        self._signal.fire()
        return response

    async def _serve(self, token: str, call: ApiCall) -> Any:
        if token != self.token:
            raise ApiError(401, "Unauthorized")
        name = call.method.lower()
        if name != "getupdates" and name not in METHODS:
            raise ApiError(404, "Not Found: method not found")
        if (error := self._faults.check(call.method, call.params)) is not None:
            raise error
        if name == "getupdates":
            return await self._queue.get(call.params)
        try:
            return METHODS[name](self._state, call)
        except ApiError:
            raise
        except Exception as bug:  # a fault in the fake itself: make it loud in the test
            self.internal_errors.append(bug)
            log.exception("fake_bot_api_failed", method=call.method)
            raise ApiError(500, f"Internal Server Error: the fake failed: {bug!r}") from bug

    async def _on_download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            body = {"ok": False, "error_code": 401, "description": "Unauthorized"}
            return web.json_response(body, status=401)
        file_path = request.match_info["file_path"]
        self.downloads.append(file_path)
        stored = self._state.files.at_path(file_path)
        if stored is None:
            return _not_found("Not Found: file not found")
        return web.Response(body=stored.content, content_type=stored.mime_type)
