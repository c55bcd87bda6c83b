"""The demo's transcript: what the admin sent, what the bot answered (plain text, as a Telegram
client shows it), and what happened around them, one labelled block each."""

from __future__ import annotations

from typing import TextIO

ADMIN = "admin ▸ "
BOT_NEW = "bot   ◂ "
BOT_EDIT = "bot   ✎ "
INDENT = " " * len(ADMIN)


class Transcript:
    """Writes the demo's story to ``out`` as it happens (flushed, so a pipe sees it live)."""

    def __init__(self, out: TextIO) -> None:
        self._out = out

    def title(self, text: str) -> None:
        self._write(f"── {text} ──")

    def section(self, text: str) -> None:
        self._write(f"\n── {text}")

    def say(self, text: str) -> None:
        """Narration: what the reader is about to see."""
        self._write(text)

    def event(self, source: str, text: str) -> None:
        """Something a part of the system did, e.g. ``[telegram] 💬 …``."""
        label = f"[{source}] "
        self._block(label, text, indent=" " * len(label))

    def admin(self, text: str) -> None:
        self._block(ADMIN, text)

    def bot(self, text: str, *, edited: bool = False) -> None:
        self._block(BOT_EDIT if edited else BOT_NEW, text)

    def _block(self, label: str, text: str, indent: str = INDENT) -> None:
        first, *rest = text.strip("\n").splitlines() or [""]
        lines = [label + first, *(indent + line if line else "" for line in rest)]
        self._write("\n".join(lines))

    def _write(self, text: str) -> None:
        self._out.write(text + "\n")
        self._out.flush()
