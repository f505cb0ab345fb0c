"""Axes of the timeline drawing: a piecewise time axis in study days, and value axes.

The time axis gives most of its width to the focus window and draws what lies before and
after it (screening, long follow-up) on compressed segments, each linear, separated by a gap.
One linear axis over a whole CAR-T course would squeeze the first two weeks, where CRS, ICANS
and their treatments happen, into a few pixels next to months of follow-up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sdtm.review.days import day_start, study_day

LEFT_SHARE = 0.10
"""Share of the width for the segment before the focus window."""
RIGHT_SHARE = 0.22
"""Share of the width for the segment after the focus window."""
GAP = 8.0
"""Pixels between segments."""
_DAY_STEPS = (1, 2, 7, 14, 28, 56, 91, 182, 364, 728)
_MAX_TICKS = 14


@dataclass(frozen=True, slots=True)
class Segment:
    """A linear piece of the time axis."""

    t0: float
    """First axis position."""
    t1: float
    """Last axis position."""
    x0: float
    """Pixel of ``t0``."""
    x1: float
    """Pixel of ``t1``."""
    focus: bool
    """The focus window (finer ticks, full width)."""

    def x(self, t: float) -> float:
        """Return the pixel of ``t`` (clamped to the segment)."""
        if self.t1 <= self.t0:
            return self.x0
        share = (min(max(t, self.t0), self.t1) - self.t0) / (self.t1 - self.t0)
        return self.x0 + share * (self.x1 - self.x0)


@dataclass(frozen=True, slots=True)
class TimeScale:
    """Piecewise-linear map from axis position to pixel."""

    segments: tuple[Segment, ...]
    """Left context (optional), focus, right context (optional)."""

    @classmethod
    def build(
        cls, extent: tuple[float, float], focus: tuple[float, float], x0: float, x1: float
    ) -> TimeScale:
        """Lay out the segments between pixels ``x0`` and ``x1``.

        Args:
            extent: First and last axis positions of the data.
            focus: The focus window (inside ``extent``).
            x0: Left pixel.
            x1: Right pixel.
        """
        lo, hi = extent
        f0, f1 = max(lo, focus[0]), min(hi, focus[1])
        if f1 <= f0:
            f0, f1 = lo, max(hi, lo + 1.0)
        width = x1 - x0
        # A short stretch outside the focus keeps the focus scale; a long one is compressed
        # into its share of the width.
        scale = width * (1 - LEFT_SHARE - RIGHT_SHARE) / (f1 - f0)
        left = min(LEFT_SHARE * width, (f0 - lo) * scale + GAP) if lo < f0 else 0.0
        right = min(RIGHT_SHARE * width, (hi - f1) * scale + GAP) if hi > f1 else 0.0
        segments = []
        cursor = x0
        if left:
            segments.append(Segment(lo, f0, cursor, cursor + left - GAP, False))
            cursor += left
        focus_end = x1 - right
        segments.append(Segment(f0, f1, cursor, focus_end, True))
        if right:
            segments.append(Segment(f1, hi, focus_end + GAP, x1, False))
        return cls(tuple(segments))

    def x(self, t: float) -> float:
        """Return the pixel of axis position ``t`` (the focus window owns its two ends)."""
        focus = next(s for s in self.segments if s.focus)
        if t < focus.t0:
            return self.segments[0].x(t)
        if t > focus.t1:
            return self.segments[-1].x(t)
        return focus.x(t)

    def ticks(self) -> list[tuple[float, int, bool]]:
        """Return (pixel, study day, major) of each tick.

        The focus window gets day steps counted from day 1 (1, 8, 15, ... for a weekly step);
        a compressed segment gets one tick at its outer end (the first or last day drawn).
        """
        ticks: list[tuple[float, int, bool]] = []
        for segment in self.segments:
            if not segment.focus:
                before = segment is self.segments[0]
                if before:
                    ticks.append((segment.x0, study_day(segment.t0), False))
                else:
                    ticks.append((segment.x1, study_day(segment.t1 - 1e-9), False))
                continue
            length = segment.t1 - segment.t0
            step = next((s for s in _DAY_STEPS if length / s <= _MAX_TICKS), _DAY_STEPS[-1])
            first = study_day(segment.t0)
            last = study_day(segment.t1)
            days = [
                d
                for d in (*range(1, last + 1, step), *range(-step, first - 1, -step))
                if segment.t0 <= day_start(d) <= segment.t1
            ]
            # The window's first day is labelled too unless a tick already sits near it.
            if all(abs(day_start(d) - day_start(first)) >= step / 2 for d in days):
                days.append(first)
            for day in sorted(days):
                ticks.append((segment.x(day_start(day)), day, True))
        return ticks


@dataclass(frozen=True, slots=True)
class ValueScale:
    """Linear or log10 map from value to pixel (``y0`` bottom, ``y1`` top)."""

    low: float
    """Value at the bottom."""
    high: float
    """Value at the top."""
    y0: float
    """Bottom pixel."""
    y1: float
    """Top pixel."""
    log: bool
    """log10 axis."""

    @classmethod
    def build(cls, low: float, high: float, y0: float, y1: float, *, log: bool) -> ValueScale:
        """Round the range outwards to whole decades (log) or 1-2-5 steps (linear)."""
        if log:
            low = 10 ** math.floor(math.log10(low))
            high = 10 ** math.ceil(math.log10(high))
            if high <= low:
                high = low * 10
            return cls(low, high, y0, y1, True)
        low = min(low, 0.0)
        if high <= low:
            high = low + 1.0
        step = nice_step((high - low) / 4)
        return cls(math.floor(low / step) * step, math.ceil(high / step) * step, y0, y1, False)

    def y(self, value: float) -> float:
        """Return the pixel of ``value``."""
        if self.log:
            share = (math.log10(value) - math.log10(self.low)) / (
                math.log10(self.high) - math.log10(self.low)
            )
        else:
            share = (value - self.low) / (self.high - self.low)
        return self.y0 + share * (self.y1 - self.y0)

    def ticks(self) -> list[float]:
        """Return the tick values: each decade (log, thinned to at most 6) or 1-2-5 steps."""
        if self.log:
            first, last = round(math.log10(self.low)), round(math.log10(self.high))
            stride = max(1, math.ceil((last - first) / 5))
            return [10.0**k for k in range(first, last + 1, stride)]
        step = nice_step((self.high - self.low) / 4)
        count = round((self.high - self.low) / step)
        return [self.low + i * step for i in range(count + 1)]


def nice_step(raw: float) -> float:
    """Return the 1, 2 or 5 times a power of ten at or above ``raw``.

    Examples:
        >>> [nice_step(v) for v in (0.3, 7, 12, 260)]
        [0.5, 10.0, 20.0, 500.0]
    """
    if raw <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power * (1 + 1e-9):
            return float(factor * power)
    return float(10 * power)


def format_value(value: float) -> str:
    """Short tick label: ``0.01``, ``5``, ``2.5``, ``1000``, ``1e+06``.

    Examples:
        >>> [format_value(v) for v in (0.01, 5.0, 2.5, 1000.0, 1e6)]
        ['0.01', '5', '2.5', '1000', '1e+06']
    """
    return f"{value:g}"
