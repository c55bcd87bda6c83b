"""Which media are downloaded: a per-type policy and a size cap, decided when a page arrives."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.db.repos.media import PENDING, SKIPPED
from core.domain.archive import MediaRef

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class MediaPolicy:
    """``max_size_mb == 0`` means no cap."""

    download_types: frozenset[str]
    max_size_mb: int = 0

    def for_chat(self, override: Mapping[str, Any] | None) -> MediaPolicy:
        """This policy with a chat's own settings (``types``, ``max_size_mb``) where given."""
        if not override:
            return self
        types = override.get("types")
        size = override.get("max_size_mb")
        return MediaPolicy(
            frozenset(types) if types is not None else self.download_types,
            int(size) if size is not None else self.max_size_mb,
        )

    def initial_state(self, ref: MediaRef) -> tuple[str, str | None]:
        """(state, reason): pending for download, or skipped with the reason kept on the row."""
        if ref.kind not in self.download_types:
            return SKIPPED, f"type {ref.kind} is not downloaded by the media policy"
        cap = self.max_size_mb * MIB
        if cap and ref.declared_size is not None and ref.declared_size > cap:
            return SKIPPED, f"{ref.declared_size} bytes is over the {self.max_size_mb} MB cap"
        return PENDING, None
