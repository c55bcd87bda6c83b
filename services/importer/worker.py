"""The parser process: reads the export twice (validation, then pages) for the importer.

Parsing and mapping take about as long as storing, and the machine has more than one core: in
a process of its own the parser drafts the next page while the importer's process stores the
current one, so an import takes about as long as the slower of the two instead of their sum.

The importer starts it as ``python -c`` running ``main`` (a fresh interpreter that imports only
what parsing needs, whatever the importer's own entry point) and sends the ``job`` first. The
two processes talk over a socket pair in frames (an 8-byte length, then a pickle). The parser
sends ``(tag, payload)`` messages:

* ``progress`` (bytes read, messages read) while validating, ``validated`` (``Validated``);
* after the importer's ``import`` (the selected chat ordinals, or None for all): one ``page``
  (``PageDraft``, with the matches of the job's detection rules and, for SQLite, its rows'
  values) at a time, then ``done`` (``MappingStats``); the importer closing the channel
  instead stops the parser;
* ``invalid`` (the text of an InvalidInputError) when the input is malformed, ``crashed`` (a
  traceback) on a bug; either ends the process.

A page is sent whole before the next is drafted, and a send blocks while the socket and the
importer's read buffer (``pipeline.READ_LIMIT``) are full, so only a few pages are ever in
flight whatever the export's size.
"""

from __future__ import annotations

import contextlib
import pickle
import signal
import socket
import struct
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import Any

from core.db import sqlite_bulk
from core.domain.detection import DetectionRule
from core.errors import InvalidInputError
from core.gc_pause import ease_for_process
from services.detection.engine import compile_rules
from services.detection.prematch import prematch
from services.importer.chats import ChatFacts
from services.importer.mapper import MappingStats, MessageMapper
from services.importer.pages import draft_pages
from services.importer.source import open_export
from services.importer.transport import dumps
from services.importer.validate import validate_export

HEADER = struct.Struct("!Q")
PROGRESS_BYTES = 1 << 20  # a validation progress report per MB of input read
Message = tuple[str, Any]


class Tag:
    """What a message is (its first element)."""

    PROGRESS, VALIDATED, PAGE, DONE = "progress", "validated", "page", "done"
    INVALID, CRASHED = "invalid", "crashed"
    JOB, IMPORT = "job", "import"  # the importer's: the job (first), then "go on"


@dataclass(frozen=True, slots=True)
class ParseJob:
    """What the parser process needs: the export, its time zone, the page size, the
    detection rules to scan each page with before it is sent (none: the importer scans), and
    whether to convert the messages for SQLite's bulk path too."""

    path: Path
    zone: tzinfo | None
    page_size: int
    rules: tuple[DetectionRule, ...] = ()
    sqlite_rows: bool = False  # prepare each message's SQLite row values and folded text


def main(argv: list[str]) -> int:
    """The parser process's entry point: ``argv[1]`` is its end of the channel (a descriptor);
    the job is the channel's first message."""
    # Ctrl-C reaches the whole process group; the importer decides, then stops this process.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    ease_for_process()  # it lives for one import and allocates all the way
    channel = socket.socket(fileno=int(argv[1]))
    try:
        tag, job = receive(channel)
        if tag == Tag.JOB:
            serve(job, channel)
    except (OSError, EOFError):
        pass  # the importer has gone before the job arrived
    finally:
        channel.close()
    return 0


def serve(job: ParseJob, channel: socket.socket) -> None:
    """Run ``job`` until the import is done, fails or is stopped."""
    try:
        _serve(job, channel)
    except (BrokenPipeError, ConnectionResetError, EOFError):
        pass  # the importer has gone: nobody is left to tell
    except InvalidInputError as error:
        _tell(channel, (Tag.INVALID, str(error)))
    except BaseException:  # a bug (or memory): the importer reports it and stops the import
        _tell(channel, (Tag.CRASHED, traceback.format_exc()))


def _serve(job: ParseJob, channel: socket.socket) -> None:
    source = open_export(job.path)
    validated = validate_export(source, job.zone, _ProgressSender(channel))
    send(channel, (Tag.PROGRESS, (validated.bytes_read, validated.messages)))
    send(channel, (Tag.VALIDATED, validated))
    tag, selected = receive(channel)
    if tag != Tag.IMPORT:
        return
    stats = MappingStats()
    mapper = MessageMapper(job.zone, stats)
    compiled = compile_rules(job.rules) if job.rules else None
    pages = draft_pages(source, validated.chats, _chooser(selected), mapper, job.page_size)
    for draft in pages:
        if compiled is not None:
            draft.matches = prematch(compiled, draft.messages)
        if job.sqlite_rows:
            draft.sqlite_values, draft.folded = sqlite_bulk.prepare(draft.messages)
        send(channel, (Tag.PAGE, draft))
    send(channel, (Tag.DONE, stats))


def _chooser(selected: frozenset[int] | None) -> Callable[[ChatFacts], bool]:
    if selected is None:
        return lambda _chat: True
    return lambda chat: chat.ordinal in selected


class _ProgressSender:
    """Validation progress for the importer, at most one report per PROGRESS_BYTES read."""

    def __init__(self, channel: socket.socket) -> None:
        self._channel = channel
        self._reported = 0

    def __call__(self, bytes_read: int, messages: int) -> None:
        if bytes_read - self._reported >= PROGRESS_BYTES:
            self._reported = bytes_read
            send(self._channel, (Tag.PROGRESS, (bytes_read, messages)))


def send(channel: socket.socket, message: Message) -> None:
    data = dumps(message)
    channel.sendall(HEADER.pack(len(data)))
    channel.sendall(data)


def receive(channel: socket.socket) -> Message:
    (size,) = HEADER.unpack(_exactly(channel, HEADER.size))
    message: Message = pickle.loads(_exactly(channel, size))
    return message


def _exactly(channel: socket.socket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = channel.recv(size - len(data))
        if not chunk:
            raise EOFError("the importer closed the channel")
        data += chunk
    return bytes(data)


def _tell(channel: socket.socket, message: Message) -> None:
    with contextlib.suppress(OSError):  # the importer has gone
        send(channel, message)
