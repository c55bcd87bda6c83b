"""The importer's side of the parser process (``worker``): start it, read it, stop it.

The parser is a fresh interpreter (``python -c``) holding one end of a socket pair, so nothing
of this process (its threads, connections, or a main module without a ``__main__`` guard) is
inherited or run again. Frames are read with asyncio streams: the event loop stays free while
the parser works, and no thread is left blocked on the channel when an import ends early. A
parser that ends without a word (killed, out of memory) is reported as ``ParserStoppedError``;
a malformed export as the parser's InvalidInputError, unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pickle
import socket
import sys
from collections.abc import AsyncGenerator, Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import structlog

import services
from core.errors import InvalidInputError, VaultError
from services.importer.mapper import MappingStats
from services.importer.pages import PageDraft
from services.importer.validate import Validated
from services.importer.worker import HEADER, Message, ParseJob, Tag

log = structlog.get_logger(__name__)
PARSER_CODE = "import sys; from services.importer.worker import main; sys.exit(main(sys.argv))"
# The code this process runs: the parser must import the same (a checkout may differ from
# what the environment has installed).
CODE_ROOT = Path(services.__file__).resolve().parent.parent
# The stream buffer holds a page and more, so the parser can send one while the importer
# stores the one before (a page of 5,000 messages pickles to about 1 MB).
READ_LIMIT = 1 << 20
STOP_SECONDS = 5.0
ReadProgress = Callable[[int, int], None]  # (bytes read, messages read)


class ParserStoppedError(VaultError):
    """The parser process ended without finishing (killed, out of memory, or a bug)."""


def _environment() -> dict[str, str]:
    environment = dict(os.environ)
    paths = [str(CODE_ROOT), *filter(None, environment.get("PYTHONPATH", "").split(os.pathsep))]
    environment["PYTHONPATH"] = os.pathsep.join(paths)
    return environment


class ParserProcess:
    """``async with ParserProcess(job, name) as parser``: validate, then pages."""

    def __init__(self, job: ParseJob, name: str) -> None:
        self._job = job
        self._name = name
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self.stats = MappingStats()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def __aenter__(self) -> Self:
        ours, theirs = socket.socketpair()
        try:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable, "-c", PARSER_CODE, str(theirs.fileno()),
                pass_fds=(theirs.fileno(),), stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL, env=_environment(),
            )  # fmt: skip
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()  # the parser holds its own copy: EOF here once it exits
        self._reader, self._writer = await asyncio.open_connection(sock=ours, limit=READ_LIMIT)
        self._command((Tag.JOB, self._job))
        log.debug("import_parser_started", pid=self._process.pid)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._stop()

    async def validated(self, progress: ReadProgress | None = None) -> Validated:
        """The validation pass's result; progress reports go to ``progress`` meanwhile."""
        while True:
            tag, payload = await self._receive("while validating; nothing was stored")
            if tag == Tag.PROGRESS:
                if progress is not None:
                    progress(*payload)
            elif tag == Tag.VALIDATED:
                validated: Validated = payload
                return validated
            else:
                raise self._failure(tag, payload)

    async def pages(self, selected: frozenset[int] | None) -> AsyncGenerator[PageDraft, None]:
        """The import pass: pages of the ``selected`` chats (ordinals; None: every chat)."""
        self._command((Tag.IMPORT, selected))
        while True:
            tag, payload = await self._receive("during the import")
            if tag == Tag.PAGE:
                yield payload
            elif tag == Tag.DONE:
                self.stats = payload
                return
            else:
                raise self._failure(tag, payload)

    def _command(self, message: Message) -> None:
        assert self._writer is not None
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        self._writer.write(HEADER.pack(len(data)) + data)

    async def _receive(self, when: str) -> Message:
        assert self._reader is not None
        try:
            (size,) = HEADER.unpack(await self._reader.readexactly(HEADER.size))
            message: Message = pickle.loads(await self._reader.readexactly(size))
        except (asyncio.IncompleteReadError, ConnectionError):
            raise await self._stopped(when) from None
        return message

    async def _stopped(self, when: str) -> ParserStoppedError:
        assert self._process is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._process.wait(), STOP_SECONDS)
        code = self._process.returncode
        how = "still running" if code is None else f"exit code {code}"
        log.error("import_parser_stopped", exit_code=code, when=when)
        return ParserStoppedError(
            f"{self._name}: the export reader process stopped unexpectedly ({how}) {when}"
        )

    def _failure(self, tag: str, payload: Any) -> VaultError:
        if tag == Tag.INVALID:
            return InvalidInputError(str(payload))
        if tag == Tag.CRASHED:
            log.error("import_parser_crashed", traceback=str(payload))
            last = str(payload).strip().splitlines()[-1:] or ["unknown error"]
            return ParserStoppedError(f"{self._name}: the export reader failed ({last[0]})")
        return ParserStoppedError(f"{self._name}: the export reader sent {tag!r} out of turn")

    async def _stop(self) -> None:
        """End the parser (at once if it is still working) and close the channel."""
        if self._writer is not None:  # a parser waiting for a command reads the end and exits
            with contextlib.suppress(OSError):
                self._writer.close()
                await self._writer.wait_closed()
        process = self._process
        if process is None:
            return
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
        try:
            await asyncio.wait_for(process.wait(), STOP_SECONDS)
        except TimeoutError:  # pragma: no cover - the parser does not ignore SIGTERM
            process.kill()
            await process.wait()
        log.debug("import_parser_ended", exit_code=process.returncode)
