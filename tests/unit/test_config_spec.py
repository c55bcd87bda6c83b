"""The key spec stays in step with the settings dataclasses, .env.example and the docs."""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path

import pytest

from core.config_settings import Settings
from core.config_spec import (
    ALL_ROLES,
    GROUPS,
    KEY_BY_NAME,
    KEYS,
    env_example,
    main,
    markdown_table,
)

ROOT = Path(__file__).resolve().parents[2]
ENV_EXAMPLE = ROOT / ".env.example"
DOCS = ROOT / "docs" / "configuration.md"


def test_key_names_are_unique_and_carry_their_group_prefix() -> None:
    assert len(KEY_BY_NAME) == len(KEYS)
    for group in GROUPS:
        assert all(key.name.startswith(group.prefix) for key in group.keys)
        assert all(key.group == group.name for key in group.keys)


def test_settings_dataclasses_mirror_the_spec() -> None:
    groups = typing.get_type_hints(Settings)
    assert list(groups) == [group.name for group in GROUPS]
    for group in GROUPS:
        attrs = [field.name for field in dataclasses.fields(groups[group.name])]
        assert attrs == [key.attr for key in group.keys], group.name


def test_secret_and_required_keys_are_the_agreed_ones() -> None:
    assert {key.name for key in KEYS if key.secret} == {
        "SECRET_KEY",
        "TELEGRAM_API_HASH",
        "TELEGRAM_SESSION_STRING",
        "TELEGRAM_PHONE",
        "TELEGRAM_PASSWORD",
        "BOT_TOKEN",
    }
    required = {key.name: key.required_for for key in KEYS if key.required_for}
    assert required == {
        "SECRET_KEY": ALL_ROLES,
        "TELEGRAM_API_ID": frozenset({"archiver"}),
        "TELEGRAM_API_HASH": frozenset({"archiver"}),
        "BOT_TOKEN": frozenset({"bot"}),
        "BOT_ADMIN_IDS": frozenset({"bot"}),
    }


def test_every_key_has_a_one_line_description() -> None:
    for key in KEYS:
        assert key.description, key.name
        assert "\n" not in key.description, key.name


@pytest.mark.parametrize("key", [key.name for key in KEYS])
def test_every_key_is_in_env_example_and_docs(key: str) -> None:
    example = ENV_EXAMPLE.read_text(encoding="utf-8")
    assert f"{key}=" in example
    assert f"`{key}`" in DOCS.read_text(encoding="utf-8")


def test_env_example_is_the_generated_one() -> None:
    # Regenerate with: python -m core.config_spec --env-example > .env.example
    assert ENV_EXAMPLE.read_text(encoding="utf-8") == env_example()


def test_env_example_uncomments_exactly_the_required_keys() -> None:
    assignments = [line for line in env_example().splitlines() if line and line[0] != "#"]
    assert [line.split("=")[0] for line in assignments] == [
        key.name for key in KEYS if key.required_for
    ]


@pytest.mark.parametrize("group", [group.name for group in GROUPS])
def test_docs_hold_the_current_table_of_every_group(group: str) -> None:
    # On failure, paste markdown_table(group) into the group's section of the docs.
    assert markdown_table(group) in DOCS.read_text(encoding="utf-8")


def test_markdown_table_has_a_row_per_key() -> None:
    rows = markdown_table().splitlines()[2:]
    assert [row.split("|")[1].strip(" `") for row in rows] == [key.name for key in KEYS]
    assert "| `MEDIA_RETRY_MAX_ATTEMPTS` | `5` | 1..100 |  |  |" in markdown_table()
    assert "| `BOT_TOKEN` |  |" in markdown_table()


def test_module_entry_point_prints_the_table_or_the_example(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([]) == 0
    assert capsys.readouterr().out == markdown_table()
    assert main(["--env-example"]) == 0
    assert capsys.readouterr().out == env_example()
