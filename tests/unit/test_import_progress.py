"""The import's progress line: a TTY gets a throttled, self-erasing line; a pipe gets nothing."""

from __future__ import annotations

import io

from services.importer import ImportProgress
from telegramvault.import_command import ProgressLine, render_progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def snapshot(messages: int, phase: str = "importing") -> ImportProgress:
    return ImportProgress(phase, messages * 100, 1_000_000, messages, 10_000, elapsed=2.0)


def test_the_line_shows_phase_percent_count_and_rate() -> None:
    assert render_progress(snapshot(2_500)) == (
        "importing   25.0%  2,500 of 10,000 messages  1,250 msg/s"
    )
    unknown_size = ImportProgress("validating", 10, None, 3, None, elapsed=0.0)
    assert render_progress(unknown_size) == "validating        3 messages  0 msg/s"


def test_updates_are_throttled_and_the_line_is_erased_at_the_end() -> None:
    terminal, clock = Terminal(), Clock()
    line = ProgressLine(terminal, clock=clock)
    line.update(snapshot(1_000))
    line.update(snapshot(1_100))  # same instant: skipped
    clock.now += 1
    line.update(snapshot(5_000))
    line.finish()
    written = terminal.getvalue()
    assert written.count("\r") == 4  # two updates, then erase and return
    assert "1,000 of" in written and "1,100 of" not in written and "5,000 of" in written
    assert written.endswith("\r")


def test_nothing_is_written_when_the_output_is_not_a_terminal() -> None:
    pipe = io.StringIO()
    line = ProgressLine(pipe)
    line.update(snapshot(1))
    line.finish()
    assert pipe.getvalue() == ""
