"""Where the offline demo finds its Telegram: the simulators under ``tests/fakes`` of a clone.

The simulators are test code: the suite imports them as ``tests.fakes`` and they stay there,
outside the installed packages (a wheel that installed a top-level ``tests`` package would
collide with every other distribution that does the same). The demo therefore runs from a
source checkout: ``./scripts/run.sh`` and ``pip install -e .`` both install this package in
place, so the checkout is the directory above it, and its root is put on ``sys.path`` for
``tests.fakes``. A regular install (a wheel, the Docker image) has no simulators and says so.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from core.errors import VaultError

CHECKOUT_ROOT = Path(__file__).resolve().parents[2]
MARKER = Path("tests") / "fakes" / "telegram" / "__init__.py"


class DemoUnavailableError(VaultError):
    """The demo cannot run here: no simulators next to this installation."""

    exit_code = 69  # EX_UNAVAILABLE


def require_simulators(root: Path = CHECKOUT_ROOT) -> None:
    """Make ``tests.fakes`` importable from the checkout at ``root``, or say why it cannot be."""
    if not (root / MARKER).is_file():
        raise DemoUnavailableError(
            "the offline demo runs from a source checkout: it uses the Telegram simulators in "
            f"tests/fakes, which are not installed with the package (looked in {root}). "
            "Clone the repository and run ./scripts/run.sh without a .env, or "
            ".venv/bin/telegramvault demo from the clone."
        )
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    found = Path(importlib.import_module("tests").__file__ or "").resolve().parent
    if found != root / "tests":
        raise DemoUnavailableError(
            f"another package named 'tests' ({found}) hides the simulators of {root}; "
            "run the demo from a virtual environment without it"
        )
