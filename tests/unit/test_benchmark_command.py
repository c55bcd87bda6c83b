"""The benchmark command line: row selection keeps the rows a chosen row depends on."""

from __future__ import annotations

import pytest

from benchmarks.__main__ import parse_args
from benchmarks.rows import ROW_NAMES


def test_all_rows_by_default() -> None:
    config = parse_args([])
    assert config.rows is None
    assert all(config.wants(name) for name in ROW_NAMES)


def test_a_corpus_row_alone() -> None:
    config = parse_args(["--rows", "detection_throughput_rows"])
    assert config.rows == {"detection_throughput_rows"}
    assert not config.wants("bulk_import")


def test_a_row_reading_the_archive_brings_the_import_that_builds_it() -> None:
    config = parse_args(["--rows", "search_latency, bot_search"])
    assert config.rows == {"search_latency", "bot_search", "bulk_import", "corpus_generation"}
    assert not config.wants("live_path")


def test_unknown_row_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_args(["--rows", "search_latency,nonsense"])
    assert "unknown rows: nonsense" in capsys.readouterr().err
