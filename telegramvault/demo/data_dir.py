"""The demo's own directory: rebuilt on every run, and never a directory the demo did not make
(a real vault pointed at by mistake stays untouched)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from core.errors import InvalidInputError

MARKER = ".telegramvault-demo"
MARKER_TEXT = "Made by `telegramvault demo`; every demo run deletes and rebuilds this directory.\n"
DEFAULT_DATA_DIR = Path("data") / "demo"


@dataclass(frozen=True)
class DemoFiles:
    root: Path

    @property
    def vault(self) -> Path:
        return self.root / "vault.db"  # the DATABASE_URL default inside DATA_DIR

    @property
    def media(self) -> Path:
        return self.root / "media"

    @property
    def log(self) -> Path:
        return self.root / "demo.log"

    @property
    def env_file(self) -> Path:
        return self.root / "demo.env"


def prepare_data_dir(path: Path) -> DemoFiles:
    """An empty demo directory at ``path``: new, empty, or left by an earlier demo run."""
    root = path.expanduser().resolve()
    if root.exists() and not root.is_dir():
        raise InvalidInputError(f"{root} is a file; give the demo a directory with --data-dir")
    if root.exists() and any(root.iterdir()):
        if not (root / MARKER).is_file():
            raise InvalidInputError(
                f"{root} is not empty and was not made by the demo, which never writes "
                "into other data; choose a new directory with --data-dir"
            )
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    (root / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
    return DemoFiles(root)


def write_env_file(files: DemoFiles, database_url: str, secret_key: str) -> None:
    """Settings that point the command line (``--env-file``) at the demo vault."""
    files.env_file.write_text(
        "# Written by `telegramvault demo`: the command line's way to the demo vault.\n"
        f"DATA_DIR={files.root}\n"
        f"DATABASE_URL={database_url}\n"
        f"SECRET_KEY={secret_key}\n"
        "LOG_LEVEL=WARNING\n",
        encoding="utf-8",
    )
