"""Percentiles, result rows and the markdown table they end up in."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) with linear interpolation between closest ranks."""
    if not values:
        return math.nan
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    pos = (len(ordered) - 1) * q / 100
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


@dataclass
class Row:
    """One line of the results table. Numbers are in `unit`; None means 'not applicable'."""

    section: str
    figure: str
    unit: str
    samples: int | None = None
    p50: float | None = None
    p95: float | None = None
    max: float | None = None
    value: float | None = None
    target: str = ""
    met: bool | None = None
    notes: list[str] = field(default_factory=list)

    @classmethod
    def distribution(
        cls,
        section: str,
        figure: str,
        values: Sequence[float],
        unit: str = "ms",
        *,
        target: str = "",
        met: bool | None = None,
        notes: Sequence[str] = (),
    ) -> Row:
        return cls(
            section,
            figure,
            unit,
            samples=len(values),
            p50=percentile(values, 50) if values else None,
            p95=percentile(values, 95) if values else None,
            max=max(values) if values else None,
            target=target,
            met=met if values else False if target else None,
            notes=list(notes) if values else [*notes, "no samples"],
        )

    @classmethod
    def single(
        cls,
        section: str,
        figure: str,
        value: float,
        unit: str,
        *,
        samples: int | None = None,
        target: str = "",
        met: bool | None = None,
        notes: Sequence[str] = (),
    ) -> Row:
        return cls(
            section,
            figure,
            unit,
            samples=samples,
            value=value,
            target=target,
            met=met,
            notes=list(notes),
        )


def _num(value: float | None, unit: str) -> str:
    if value is None or math.isnan(value):
        return ""
    if unit in ("ms", "s") and abs(value) < 10:
        text = f"{value:.2f}"
    elif abs(value) < 100:
        text = f"{value:.1f}"
    else:
        text = f"{value:,.0f}"
    return f"{text} {unit}"


def _status(row: Row) -> str:
    if row.met is None:
        return ""
    return "met" if row.met else "**MISSED**"


def markdown_table(rows: Sequence[Row]) -> str:
    header = ["#", "Figure", "n", "p50", "p95", "max", "value", "Target", "Status", "Notes"]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    for r in rows:
        cells = [
            r.section,
            r.figure,
            "" if r.samples is None else f"{r.samples:,}",
            _num(r.p50, r.unit),
            _num(r.p95, r.unit),
            _num(r.max, r.unit),
            _num(r.value, r.unit),
            r.target,
            _status(r),
            "; ".join(r.notes),
        ]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)
