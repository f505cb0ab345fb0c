"""Text formats the raw files use: EDC dates and times, vendor dates, numbers."""

from __future__ import annotations

import datetime as dt

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def edc_date(day: dt.date | None) -> str:
    """Format a date the way the EDC exports it (``12 MAR 2024``); ``None`` gives ``""``."""
    if day is None:
        return ""
    return f"{day.day:02d} {_MONTHS[day.month - 1]} {day.year}"


def edc_partial_date(
    year: int, month: int | None = None, day: int | None = None, *, unknown_day: str = "UN"
) -> str:
    """Format a partial EDC date: unknown day ``UN``, unknown month ``UNK`` (``UN JAN 2024``).

    Args:
        year: Four-digit year (always known).
        month: Month 1-12, or ``None`` if unknown.
        day: Day of month, or ``None`` if unknown.
        unknown_day: Token for an unknown day; EDC systems write ``UN`` or ``UNK``
            (``UNK UNK 2024``).

    Returns:
        The EDC text.
    """
    month_text = "UNK" if month is None else _MONTHS[month - 1]
    day_text = unknown_day if day is None else f"{day:02d}"
    return f"{day_text} {month_text} {year}"


def hhmm(moment: dt.datetime | None) -> str:
    """Format the time of day as ``HH:MM``; ``None`` gives ``""``."""
    return "" if moment is None else f"{moment.hour:02d}:{moment.minute:02d}"


def iso_date(day: dt.date | None) -> str:
    """Format a date as ISO ``YYYY-MM-DD`` (vendor transfers); ``None`` gives ``""``."""
    return "" if day is None else day.isoformat()


def number(value: float, decimals: int) -> str:
    """Format a number with a fixed number of decimals, never in scientific notation."""
    return f"{value:.{decimals}f}"


def trim_number(value: float, decimals: int) -> str:
    """Format a number rounded to ``decimals`` without trailing zeros (``3.0`` -> ``3``)."""
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
