"""Rows of the bench table, the statistics behind them, and the printed table."""

from __future__ import annotations

import math
import os
import platform
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

OK, MISS, INFO = "✓", "✗", "·"


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (``fraction`` in 0..1) of ``values``."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


@dataclass(frozen=True)
class Row:
    """One figure: the bot's value, the baseline's (if any), and the goal it is held to.

    ``ratio`` is the bot's value over the baseline's when the goal is a ratio; ``passed``
    is None for a figure printed for information only.
    """

    figure: str
    bot: str
    baseline: str
    goal: str
    measured: str
    passed: bool | None


def ratio_row(figure: str, bot: float, base: float, limit: float, unit: str = "s") -> Row:
    """Bot ÷ baseline, which must stay at or under ``limit``."""
    ratio = bot / base if base > 0 else math.inf
    return Row(
        figure,
        f"{bot:.3f} {unit}",
        f"{base:.3f} {unit}",
        f"≤ {limit:g}",
        f"{ratio:.3f}",
        ratio <= limit,
    )


def at_most(figure: str, value: float, limit: float, unit: str, baseline: str = "–") -> Row:
    """An absolute figure that must stay at or under ``limit``."""
    shown = f"{value:.1f} {unit}" if unit else f"{value:g}"
    return Row(figure, shown, baseline, f"≤ {limit:g} {unit}".rstrip(), shown, value <= limit)


def at_least_ratio(figure: str, bot: float, base: float, limit: float, unit: str) -> Row:
    """Bot ÷ baseline, which must reach ``limit``."""
    ratio = bot / base if base > 0 else 0.0
    return Row(
        figure,
        f"{bot:.0f} {unit}",
        f"{base:.0f} {unit}",
        f"≥ {limit:g}",
        f"{ratio:.3f}",
        ratio >= limit,
    )


def info(figure: str, bot: str, baseline: str = "–", measured: str = "") -> Row:
    """A figure printed for context, held to no goal."""
    return Row(figure, bot, baseline, "–", measured, None)


def failed(figure: str, error: BaseException) -> Row:
    """A figure whose measurement broke: shown as missing its goal, with the reason."""
    return Row(figure, f"error: {type(error).__name__}: {error}"[:60], "–", "–", "–", False)


def machine() -> str:
    return (
        f"{os.cpu_count()} cores ({platform.machine()}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


def render(rows: Sequence[Row], parameters: Sequence[str], when: str) -> str:
    """The table as Markdown, with the machine and the run's parameters under it."""
    header = ("figure", "bot", "baseline", "goal", "bot/base or value", "")
    cells = [header] + [
        (
            r.figure,
            r.bot,
            r.baseline,
            r.goal,
            r.measured,
            INFO if r.passed is None else OK if r.passed else MISS,
        )
        for r in rows
    ]
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]

    def line(values: Sequence[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"

    out = [line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(c) for c in cells[1:]]
    out += ["", f"Machine: {machine()}; measured {when}.", "Parameters:"]
    out += [f"- {p}" for p in parameters]
    return "\n".join(out)
