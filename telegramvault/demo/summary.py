"""The demo's last words: what stays on disk, and the commands to look at it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from telegramvault.demo.content import PEOPLE, SEARCHES
from telegramvault.demo.data_dir import DemoFiles
from telegramvault.demo.transcript import Transcript
from telegramvault.demo.vault_probe import VaultCounts


def shown(path: Path) -> str:
    """``path`` relative to the working directory when it lies below it (shorter to copy)."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def command_name(argv0: str) -> str:
    """How to call the CLI again: by name when that finds this one, else by its path."""
    path = Path(argv0)
    if path.name != "telegramvault":  # run as a module, or from a test
        return "telegramvault"
    on_path = shutil.which("telegramvault")
    if on_path is not None and Path(on_path).resolve() == path.resolve():
        return "telegramvault"
    return shown(path.absolute())


def search_commands(files: DemoFiles, program: str) -> list[str]:
    env_file = shown(files.env_file)
    person = next(p.username for p in PEOPLE if p.key == "ivan")
    queries = [SEARCHES[0], f"from:@{person}"]
    return [f"{program} search --env-file {env_file} {query}" for query in queries]


def print_summary(
    transcript: Transcript, files: DemoFiles, counts: VaultCounts, seconds: float, program: str
) -> None:
    transcript.section(f"Done in {seconds:.0f} s")
    transcript.say(
        f"The demo vault stays on disk: {shown(files.vault)} ({counts.messages} messages in "
        f"{counts.chats} chats, {_photos(counts.media_stored)} under {shown(files.media)}{os.sep});"
        f" the product's log is {shown(files.log)}."
    )
    transcript.say("Search it from the command line:")
    for command in search_commands(files, program):
        transcript.say(f"  {command}")
    transcript.say(
        "To archive your own account: copy .env.example to .env, fill it in, "
        "then run ./scripts/run.sh."
    )


def _photos(count: int) -> str:
    return f"{count} photo" if count == 1 else f"{count} photos"
