"""The Prometheus text exposition format (version 0.0.4), written out by hand.

Only what the vault needs: counter and gauge families with labelled samples. Names are checked
against the format's grammar (a bad name is a programming error that would break every scrape);
label values and help texts are escaped as the format asks.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from core.errors import InvalidInputError

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
COUNTER, GAUGE = "counter", "gauge"
METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


@dataclass(frozen=True, slots=True)
class Sample:
    """One value of a family, told apart from its siblings by its labels."""

    value: float
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MetricFamily:
    """A metric's HELP and TYPE and its samples; a family without samples is still declared."""

    name: str
    kind: str
    help: str
    samples: Sequence[Sample] = ()

    def __post_init__(self) -> None:
        if not METRIC_NAME.fullmatch(self.name):
            raise InvalidInputError(f"{self.name!r} is not a valid Prometheus metric name")
        if self.kind not in (COUNTER, GAUGE):
            raise InvalidInputError(f"metric type must be {COUNTER} or {GAUGE}, got {self.kind!r}")
        seen: set[tuple[tuple[str, str], ...]] = set()
        for sample in self.samples:
            _check_labels(sample.labels)
            key = tuple(sorted(sample.labels.items()))
            if key in seen:  # Prometheus rejects the whole scrape for a repeated series
                raise InvalidInputError(f"{self.name} has two samples labelled {dict(key)}")
            seen.add(key)


def _check_labels(labels: Mapping[str, str]) -> None:
    for name in labels:
        if not LABEL_NAME.fullmatch(name) or name.startswith("__"):
            raise InvalidInputError(f"{name!r} is not a valid Prometheus label name")


def escape_help(text: str) -> str:
    """HELP lines escape the backslash and the line feed."""
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def escape_label_value(value: str) -> str:
    """Label values also escape the double quote that would end them."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def format_value(value: float) -> str:
    """Integers without a decimal point; NaN and the infinities as the format spells them."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def _sample_line(name: str, sample: Sample) -> str:
    if not sample.labels:
        return f"{name} {format_value(sample.value)}"
    labels = ",".join(
        f'{key}="{escape_label_value(value)}"' for key, value in sorted(sample.labels.items())
    )
    return f"{name}{{{labels}}} {format_value(sample.value)}"


def render(families: Iterable[MetricFamily]) -> str:
    """The exposition of ``families``, in their order, ending with a line feed."""
    lines: list[str] = []
    for family in families:
        lines.append(f"# HELP {family.name} {escape_help(family.help)}")
        lines.append(f"# TYPE {family.name} {family.kind}")
        lines.extend(_sample_line(family.name, sample) for sample in family.samples)
    return "\n".join(lines) + "\n" if lines else ""
