"""Documents cut into parts of at most a byte budget, each part a whole document.

A part is the format's header, its items joined by the separator, and the footer. An item that
would push the part over the budget starts the next part; an item too large for any part still
gets one of its own, since a message is never cut.
"""

from __future__ import annotations

from services.export.formats import DocumentFormat


class PartWriter:
    """Collects encoded items into parts; ``finish`` returns them (at least one, maybe empty)."""

    def __init__(self, fmt: DocumentFormat, max_part_bytes: int) -> None:
        if max_part_bytes < 1:
            raise ValueError("max_part_bytes must be positive")
        self._fmt = fmt
        self._max = max_part_bytes
        self._header = fmt.header()
        self._footer = fmt.footer()
        self._parts: list[bytes] = []
        self._items: list[bytes] = []
        self._size = 0

    def add(self, item: bytes) -> None:
        grown = self._size + len(item) + (len(self._fmt.separator) if self._items else 0)
        if self._items and self._framed(grown) > self._max:
            self._close_part()
            grown = len(item)
        self._items.append(item)
        self._size = grown

    def finish(self) -> list[bytes]:
        if self._items or not self._parts:
            self._close_part()
        return self._parts

    def _framed(self, size: int) -> int:
        return len(self._header) + size + len(self._footer)

    def _close_part(self) -> None:
        body = self._fmt.separator.join(self._items)
        self._parts.append(self._header + body + self._footer)
        self._items = []
        self._size = 0
