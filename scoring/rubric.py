"""The rubric a review round freezes when it opens: weighted criteria, each on its own scale."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from numbers import Real
from typing import Any

import pandas as pd

_FRAME_COLUMNS = ("code", "label", "weight", "scale_min", "scale_max", "guidance")


def _is_number(x: object) -> bool:
    """A finite real number; ``bool`` is not a number here."""
    return isinstance(x, Real) and not isinstance(x, bool) and math.isfinite(x)


@dataclass(frozen=True)
class Criterion:
    """One criterion: reviewers give it a value between ``scale_min`` and ``scale_max``.

    ``weight`` is relative: only its share of the rubric's total weight matters.
    """

    code: str
    label: str
    weight: float
    scale_min: float = 1
    scale_max: float = 5
    guidance: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.code, str) or not self.code.strip():
            raise ValueError(f"criterion code must be a non-empty string, got {self.code!r}")
        name = f"criterion {self.code!r}"
        if not isinstance(self.label, str):
            raise ValueError(f"{name}: label must be a string, got {self.label!r}")
        if not isinstance(self.guidance, str):
            raise ValueError(f"{name}: guidance must be a string, got {self.guidance!r}")
        for attr in ("weight", "scale_min", "scale_max"):
            value = getattr(self, attr)
            if not _is_number(value):
                raise ValueError(f"{name}: {attr} must be a finite number, got {value!r}")
        if self.weight <= 0:
            raise ValueError(f"{name}: weight must be > 0, got {self.weight!r}")
        if self.scale_max <= self.scale_min:
            raise ValueError(
                f"{name}: scale_max ({self.scale_max!r}) must be greater than "
                f"scale_min ({self.scale_min!r})"
            )


_FIELDS = tuple(f.name for f in fields(Criterion))
_REQUIRED = ("code", "label", "weight")


@dataclass(frozen=True)
class Rubric:
    """An ordered, non-empty set of criteria with unique codes."""

    criteria: tuple[Criterion, ...]

    def __post_init__(self) -> None:
        if isinstance(self.criteria, (str, bytes, Mapping)) or not isinstance(
            self.criteria, Iterable
        ):
            raise ValueError(f"a rubric needs a sequence of criteria, got {self.criteria!r}")
        criteria = tuple(self.criteria)
        object.__setattr__(self, "criteria", criteria)
        if not criteria:
            raise ValueError("a rubric needs at least one criterion")
        for i, c in enumerate(criteria):
            if not isinstance(c, Criterion):
                raise ValueError(f"rubric item {i} is not a Criterion: {c!r}")
        seen: set[str] = set()
        for c in criteria:
            if c.code in seen:
                raise ValueError(f"duplicate criterion code {c.code!r}")
            seen.add(c.code)

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, object]]) -> Rubric:
        """Build a rubric from mappings (YAML entries, database rows).

        Each record needs ``code``, ``label`` and ``weight``; ``scale_min``, ``scale_max`` and
        ``guidance`` are optional (``None`` means the default). Any other key is an error, so a
        misspelt key in a YAML file is caught rather than ignored.
        """
        criteria = []
        for i, record in enumerate(records):
            if not isinstance(record, Mapping):
                raise ValueError(f"criterion record {i} is not a mapping: {record!r}")
            missing = [k for k in _REQUIRED if k not in record]
            if missing:
                raise ValueError(f"criterion record {i}: missing key(s) {', '.join(missing)}")
            unknown = sorted(str(k) for k in record if k not in _FIELDS)
            if unknown:
                raise ValueError(f"criterion record {i}: unknown key(s) {', '.join(unknown)}")
            kwargs: dict[str, Any] = {k: v for k, v in record.items()
                                      if k in _REQUIRED or v is not None}
            criteria.append(Criterion(**kwargs))
        return cls(tuple(criteria))

    def __iter__(self) -> Iterator[Criterion]:
        return iter(self.criteria)

    def __len__(self) -> int:
        return len(self.criteria)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.criteria)

    @property
    def total_weight(self) -> float:
        return math.fsum(c.weight for c in self.criteria)

    def get(self, code: str) -> Criterion | None:
        """The criterion with this code, or ``None``."""
        for c in self.criteria:
            if c.code == code:
                return c
        return None

    def to_frame(self) -> pd.DataFrame:
        """One row per criterion, in rubric order; weights and scales as floats."""
        frame = pd.DataFrame(
            [[getattr(c, name) for name in _FRAME_COLUMNS] for c in self.criteria],
            columns=list(_FRAME_COLUMNS),
        )
        return frame.astype({"weight": "float64", "scale_min": "float64", "scale_max": "float64"})
