"""The Prometheus text exposition: HELP/TYPE lines, label escaping, values, and names refused."""

from __future__ import annotations

import math

import pytest

from core.errors import InvalidInputError
from services.observability.exposition import (
    COUNTER,
    GAUGE,
    MetricFamily,
    Sample,
    escape_help,
    escape_label_value,
    format_value,
    render,
)
from tests.metrics_parsing import parse


def test_a_family_is_its_help_its_type_and_its_samples() -> None:
    family = MetricFamily(
        "vault_media",
        GAUGE,
        "Media by state.",
        (Sample(3, {"state": "pending"}), Sample(0, {"state": "failed"})),
    )
    assert render([family]) == (
        "# HELP vault_media Media by state.\n"
        "# TYPE vault_media gauge\n"
        'vault_media{state="pending"} 3\n'
        'vault_media{state="failed"} 0\n'
    )


def test_samples_without_labels_and_families_in_order() -> None:
    text = render(
        [
            MetricFamily("b_total", COUNTER, "B.", (Sample(7),)),
            MetricFamily("a", GAUGE, "A.", (Sample(1.5),)),
        ]
    )
    assert text.splitlines() == [
        "# HELP b_total B.",
        "# TYPE b_total counter",
        "b_total 7",
        "# HELP a A.",
        "# TYPE a gauge",
        "a 1.5",
    ]


def test_a_family_without_samples_is_still_declared() -> None:
    text = render([MetricFamily("nothing_yet", GAUGE, "Nothing.")])
    assert text == "# HELP nothing_yet Nothing.\n# TYPE nothing_yet gauge\n"
    assert render([]) == ""


def test_labels_are_written_in_name_order() -> None:
    sample = Sample(1, {"result": "ok", "job": "digest"})
    text = render([MetricFamily("runs_total", COUNTER, "Runs.", (sample,))])
    assert 'runs_total{job="digest",result="ok"} 1' in text.splitlines()


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("plain", "plain"),
        ('say "hi"', 'say \\"hi\\"'),
        ("C:\\vault", "C:\\\\vault"),
        ("two\nlines", "two\\nlines"),
        ('\\"\n', '\\\\\\"\\n'),
        ("Ana García 😀 مرحبا", "Ana García 😀 مرحبا"),
    ],
)
def test_label_values_escape_backslash_quote_and_line_feed(raw: str, escaped: str) -> None:
    assert escape_label_value(raw) == escaped


def test_help_escapes_backslash_and_line_feed_but_not_quotes() -> None:
    assert escape_help('a "b" \\ c\nd') == 'a "b" \\\\ c\\nd'


def test_escaped_values_read_back_as_written() -> None:
    hostile = ['"}', "a\\", "x\\ny", 'q"\\"\n', 'state=failed,other="1"', ""]
    samples = tuple(Sample(i, {"value": value}) for i, value in enumerate(hostile))
    help_text = 'Help with "quotes", \\ and\na line feed.'
    parsed = parse(render([MetricFamily("hostile", GAUGE, help_text, samples)]))
    assert parsed.series("hostile") == {(("value", v),): float(i) for i, v in enumerate(hostile)}
    assert parsed.helps["hostile"] == help_text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (42, "42"),
        (3.0, "3"),
        (0.25, "0.25"),
        (-1.5, "-1.5"),
        (1e21, "1000000000000000000000"),
        (1735689600.5, "1735689600.5"),
        (math.nan, "NaN"),
        (math.inf, "+Inf"),
        (-math.inf, "-Inf"),
    ],
)
def test_values_are_formatted_as_the_format_spells_them(value: float, text: str) -> None:
    assert format_value(value) == text


@pytest.mark.parametrize("name", ["", "1abc", "with-dash", "space name", "é"])
def test_a_bad_metric_name_is_refused(name: str) -> None:
    with pytest.raises(InvalidInputError, match="metric name"):
        MetricFamily(name, GAUGE, "x")


@pytest.mark.parametrize("label", ["", "1a", "a-b", "__reserved", "a:b"])
def test_a_bad_label_name_is_refused(label: str) -> None:
    with pytest.raises(InvalidInputError, match="label name"):
        MetricFamily("m", GAUGE, "x", (Sample(1, {label: "v"}),))


def test_an_unknown_type_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="counter or gauge"):
        MetricFamily("m", "histogram", "x")


def test_a_repeated_series_is_refused() -> None:
    samples = (Sample(1, {"a": "1", "b": "2"}), Sample(2, {"b": "2", "a": "1"}))
    with pytest.raises(InvalidInputError, match="two samples"):
        MetricFamily("m", GAUGE, "x", samples)
