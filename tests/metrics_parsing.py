"""A strict reader of the Prometheus text format for tests: every line must parse, every sample
must follow its family's HELP and TYPE, and label values are unescaped as a scraper would."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SAMPLE = re.compile(r"(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})? (?P<value>\S+)")
LABEL = re.compile(r'(?P<key>[a-zA-Z_][a-zA-Z0-9_]*)="(?P<value>(?:[^"\\]|\\.)*)"(?:,|$)')
UNESCAPE = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}
Labels = tuple[tuple[str, str], ...]


@dataclass
class Exposition:
    """Samples by (metric name, sorted labels); HELP texts and TYPEs by family name."""

    samples: dict[tuple[str, Labels], float] = field(default_factory=dict)
    helps: dict[str, str] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)

    def value(self, name: str, **labels: str) -> float:
        return self.samples[(name, tuple(sorted(labels.items())))]

    def series(self, name: str) -> dict[Labels, float]:
        return {labels: v for (n, labels), v in self.samples.items() if n == name}


def _unescape(text: str) -> str:
    return re.sub(r"\\[\\\"n]", lambda m: UNESCAPE[m.group(0)], text)


def _labels(text: str | None) -> Labels:
    if not text:
        return ()
    pairs, position = [], 0
    while position < len(text):
        match = LABEL.match(text, position)
        assert match, f"bad labels at {text[position:]!r}"
        pairs.append((match["key"], _unescape(match["value"])))
        position = match.end()
    return tuple(sorted(pairs))


def parse(text: str) -> Exposition:
    assert text == "" or text.endswith("\n"), "the exposition must end with a line feed"
    result = Exposition()
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name, _, help_text = line[7:].partition(" ")
            result.helps[name] = _unescape(help_text)
        elif line.startswith("# TYPE "):
            name, _, kind = line[7:].partition(" ")
            assert name in result.helps, f"TYPE before HELP for {name}"
            result.types[name] = kind
        else:
            match = SAMPLE.fullmatch(line)
            assert match, f"not a sample line: {line!r}"
            assert match["name"] in result.types, f"{match['name']} has no TYPE before it"
            key = (match["name"], _labels(match["labels"]))
            assert key not in result.samples, f"repeated series {key}"
            result.samples[key] = float(match["value"])
    return result
