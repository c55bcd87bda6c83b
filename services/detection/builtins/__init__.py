"""Built-in detectors an admin enables by name: candidate regexes plus checks against false hits."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from services.detection.builtins.banking import CARD, IBAN
from services.detection.builtins.base import Detector
from services.detection.builtins.contacts import EMAIL, PHONE
from services.detection.builtins.crypto import BITCOIN, ETHEREUM, TRON
from services.detection.builtins.links import TELEGRAM_INVITE, TELEGRAM_LINK, URL

DETECTORS: Mapping[str, Detector] = MappingProxyType(
    {
        detector.name: detector
        for detector in (
            EMAIL,
            PHONE,
            BITCOIN,
            ETHEREUM,
            TRON,
            IBAN,
            CARD,
            TELEGRAM_LINK,
            TELEGRAM_INVITE,
            URL,
        )
    }
)
BUILTIN_NAMES = tuple(sorted(DETECTORS))

__all__ = ["BUILTIN_NAMES", "DETECTORS", "Detector"]
