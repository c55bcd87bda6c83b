"""What presenters return: HTML text and inline buttons, free of aiogram types.

Presenters stay pure functions of service results, so they are unit-tested without a bot;
``bot.keyboards`` turns these into aiogram markup at the edge.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_CALLBACK_BYTES = 64  # Telegram's limit on callback data


@dataclass(frozen=True, slots=True)
class Button:
    """One inline button: either a callback (packed callback data) or a URL."""

    text: str
    callback: str | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        if (self.callback is None) == (self.url is None):
            raise ValueError("a button has exactly one of callback or url")
        if self.callback is not None and len(self.callback.encode()) > MAX_CALLBACK_BYTES:
            raise ValueError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {self.callback!r}")


@dataclass(frozen=True, slots=True)
class Reply:
    """A message to send or to edit in place: HTML ``text`` and rows of ``buttons``."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = field(default=())
    link_preview: bool = False


def rows(*lines: list[Button] | tuple[Button, ...]) -> tuple[tuple[Button, ...], ...]:
    """Keyboard rows without the empty ones (a presenter may leave a row out)."""
    return tuple(tuple(line) for line in lines if line)
