"""What a benchmark row reports: a figure, its budget, and the naive baseline measured with it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Baseline:
    """The naive way of doing the same work, measured in the same run."""

    name: str
    value: float
    count: int = 0  # messages or events the baseline processed (it may run on a sample)


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured figure. ``ratio`` says how many times better than the baseline it is.

    ``compared_value`` is the figure over exactly the work the baseline did (e.g. the same first
    100,000 messages) when the baseline ran on a sample; the ratio uses it.
    """

    name: str
    value: float
    unit: str
    dialect: str = "-"
    budget: str = "-"
    baseline: Baseline | None = None
    higher_is_better: bool = True
    compared_value: float | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline.value <= 0 or self.value <= 0:
            return None
        ours = self.value if self.compared_value is None else self.compared_value
        if self.higher_is_better:
            return ours / self.baseline.value
        return self.baseline.value / ours

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ratio"] = self.ratio
        return data


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else 0.0
