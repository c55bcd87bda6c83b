"""The README keeps its promises: the two set-up commands first, every configuration key listed."""

from __future__ import annotations

from pathlib import Path

from core.config_spec import KEYS

ROOT = Path(__file__).resolve().parents[2]


def test_readme_opens_with_the_run_and_test_commands() -> None:
    head = (ROOT / "README.md").read_text(encoding="utf-8").split("\n\n", 3)[1]
    assert "./scripts/run.sh" in head
    assert "./scripts/test.sh" in head
    for script in ("scripts/run.sh", "scripts/test.sh", ".ci/run"):
        assert (ROOT / script).is_file()
    assert "scripts/test.sh" in (ROOT / ".ci/run").read_text(encoding="utf-8")


def test_readme_lists_every_configuration_key() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [spec.name for spec in KEYS if f"`{spec.name}`" not in readme]
    assert missing == []
