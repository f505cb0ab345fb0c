"""ISO 8601 dates from raw EDC date and time text, keeping the precision that was collected.

SDTM never imputes: a date collected as ``UN JAN 2024`` becomes ``2024-01``, ``UNK UNK 2024``
becomes ``2024``, and a time ``14:UN`` on a complete date gives ``...T14`` (SDTMIG 3.4 section
4.4.2, ISO 8601 reduced precision). Everything here is vectorized over a whole column.
"""

from __future__ import annotations

import re
from types import MappingProxyType

import numpy as np
import pandas as pd

MONTHS = MappingProxyType(
    {
        name: f"{number:02d}"
        for number, name in enumerate(
            ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"),
            start=1,
        )
    }
)
"""Three-letter English month abbreviations used by EDC exports."""

_UNKNOWN = r"UNK|UN|U|XX|--"
_MISSING_KEY = "\x00missing"
_DAY = rf"(?P<d>\d{{1,2}}|{_UNKNOWN})"
_MONTH_NAME = rf"(?P<m>[A-Z]{{3}}|{_UNKNOWN})"
_MONTH_NUM = rf"(?P<m>\d{{1,2}}|{_UNKNOWN})"
_YEAR = rf"(?P<y>\d{{4}}|{_UNKNOWN})"

DATE_FORMATS = MappingProxyType(
    {
        "DD MON YYYY": rf"^{_DAY}[ \-/]{_MONTH_NAME}[ \-/]{_YEAR}$",
        "DD/MM/YYYY": rf"^{_DAY}[/.\-]{_MONTH_NUM}[/.\-]{_YEAR}$",
        "MM/DD/YYYY": rf"^{_MONTH_NUM}[/.\-]{_DAY}[/.\-]{_YEAR}$",
        "YYYY-MM-DD": rf"^{_YEAR}(?:-{_MONTH_NUM}(?:-{_DAY})?)?$",
        "ISO 8601": (
            r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})"
            r"(?:[T ](?P<H>\d{2})(?::(?P<M>\d{2})(?::(?P<S>\d{2}))?)?)?)?)?$"
        ),
        "ISO 8601 basic": (
            r"^(?P<y>\d{4})(?:(?P<m>\d{2})(?:(?P<d>\d{2})"
            r"(?:T?(?P<H>\d{2})(?:(?P<M>\d{2})(?P<S>\d{2})?)?)?)?)?$"
        ),
        "YYYY/MM/DD HH:MM": (
            rf"^{_YEAR}/{_MONTH_NUM}/{_DAY}"
            r"(?:[ T](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?$"
        ),
        # Numbers: converted to ISO 8601 text first (``_numbers_to_iso``), then read as such.
        "SAS DATE": "",
        "SAS DATETIME": "",
        "EXCEL DATE": "",
    }
)
"""Raw date formats ``assign_datetime`` reads, by the name used in specs (``format:``).

The ISO 8601 forms and ``YYYY/MM/DD HH:MM`` may carry the time in the same cell. ``SAS DATE``
is a number of days since 1960-01-01, ``SAS DATETIME`` a number of seconds since 1960-01-01
00:00:00, ``EXCEL DATE`` a serial day number of the 1900 date system (serial 61 is
1900-03-01; serials below 61 are refused because Excel counts a 29 February 1900 that never
was), whose fraction is the time of day. A ``format`` holding ``%`` is a user pattern
(``user_date_pattern``).
"""

NUMERIC_DATE_FORMATS = ("SAS DATE", "SAS DATETIME", "EXCEL DATE")
"""Named formats whose raw values are numbers."""

_TIME = (
    rf"^(?P<H>\d{{1,2}}|{_UNKNOWN})(?::(?P<M>\d{{2}}|{_UNKNOWN})(?::(?P<S>\d{{2}}|{_UNKNOWN}))?)?$"
)

TIME_FORMATS = MappingProxyType(
    {
        "HH:MM": _TIME,
        "HHMM": r"^(?P<H>\d{1,2})(?P<M>\d{2})(?P<S>\d{2})?$",
    }
)
"""Formats of a separate raw time column (``time_format:``): ``HH:MM`` (the default) also
reads ``HH``, ``HH:MM:SS`` and unknown parts (``14:UN``); ``HHMM`` reads ``0830``, ``830``
and ``083015`` (ISO 8601 basic)."""

_DIRECTIVES = MappingProxyType(
    {
        "%Y": _YEAR,
        "%m": _MONTH_NUM,
        "%d": _DAY,
        "%b": _MONTH_NAME,
        "%H": r"(?P<H>\d{1,2})",
        "%M": r"(?P<M>\d{2})",
        "%S": r"(?P<S>\d{2})",
    }
)
"""Directives a user date pattern may hold (strftime spelling); the date parts accept the
unknown markers ``UN``, ``UNK``, ``XX``."""


def user_date_pattern(pattern: str) -> str:
    """Turn a user date pattern such as ``%Y/%m/%d %H:%M`` into the regular expression read.

    Raises:
        ValueError: naming the problem: an unknown or repeated directive, no ``%Y``, a day
            without a month, a time without a full date, or a two-digit year (``%y``: its
            century would be a guess).
    """
    out: list[str] = []
    seen: set[str] = set()
    position = 0
    last_date = 0
    time_from: int | None = None
    while position < len(pattern):
        if pattern[position] == "%":
            directive = pattern[position : position + 2]
            if directive in ("%Y", "%m", "%d", "%b"):
                time_from = None
            elif time_from is None:
                time_from = last_date
            if directive == "%y":
                raise ValueError("%y (two-digit year) is ambiguous: its century would be a guess")
            if directive not in _DIRECTIVES:
                raise ValueError(
                    f"unknown directive {directive!r} (known: {' '.join(_DIRECTIVES)})"
                )
            if directive in seen:
                raise ValueError(f"directive {directive} appears twice")
            seen.add(directive)
            out.append(_DIRECTIVES[directive])
            if directive in ("%Y", "%m", "%d", "%b"):
                last_date = len(out)
            position += 2
        else:
            char = pattern[position]
            out.append(r"\s+" if char == " " else re.escape(char))
            position += 1
    if "%Y" not in seen:
        raise ValueError("a date pattern needs %Y (a four-digit year)")
    if {"%m", "%b"} <= seen:
        raise ValueError("give the month once (%m or %b)")
    if "%d" in seen and not ({"%m", "%b"} & seen):
        raise ValueError("a day (%d) needs a month (%m or %b)")
    if ({"%H", "%M", "%S"} & seen) and "%d" not in seen:
        raise ValueError("a time (%H, %M, %S) needs a full date (%d)")
    if ("%M" in seen and "%H" not in seen) or ("%S" in seen and "%M" not in seen):
        raise ValueError("minutes need hours (%H) and seconds need minutes (%M)")
    if time_from is not None and time_from == last_date:
        # The time after the date may be left out: a cell holding only the date is read.
        return "^" + "".join(out[:time_from]) + "(?:" + "".join(out[time_from:]) + ")?$"
    return "^" + "".join(out) + "$"


def date_format_problem(date_format: str | None) -> str | None:
    """What is wrong with a ``format`` of ``assign_datetime`` (``None`` when usable).

    No format is a problem: ``03/04/2024`` is 3 April or 4 March, and the tool never guesses.
    """
    if date_format is None:
        return (
            "needs 'format' (a date such as 03/04/2024 reads two ways; name the format: "
            + ", ".join(DATE_FORMATS)
            + ', or a pattern such as "%Y/%m/%d %H:%M")'
        )
    if "%" in date_format:
        try:
            user_date_pattern(date_format)
        except ValueError as error:
            return f"date pattern {date_format!r}: {error}"
        return None
    if date_format not in DATE_FORMATS:
        return (
            f"unknown date format {date_format!r} (known: {', '.join(DATE_FORMATS)}, or a "
            "pattern with %Y %m %d %b %H %M %S)"
        )
    return None


def time_format_problem(time_format: str | None) -> str | None:
    """What is wrong with a ``time_format`` (``None`` when usable or not given)."""
    if time_format is None or time_format in TIME_FORMATS:
        return None
    return f"unknown time format {time_format!r} (known: {', '.join(TIME_FORMATS)})"


def _pattern(date_format: str) -> str:
    if "%" in date_format:
        return user_date_pattern(date_format)
    if date_format in NUMERIC_DATE_FORMATS:
        return DATE_FORMATS["ISO 8601"]
    return DATE_FORMATS[date_format]


_SAS_EPOCH = pd.Timestamp("1960-01-01")
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def _numbers_to_iso(text: pd.Series, date_format: str) -> pd.Series:
    """ISO 8601 text of SAS or Excel date numbers; other text is kept (and fails to read)."""
    numbers = pd.to_numeric(text, errors="coerce")
    whole = numbers.notna() & (numbers == numbers.round())
    if date_format == "SAS DATE":
        ok = whole & numbers.abs().lt(3_000_000)
        moments = _SAS_EPOCH + pd.to_timedelta(numbers.where(ok), unit="D")
        iso = moments.dt.strftime("%Y-%m-%d")
    elif date_format == "SAS DATETIME":
        ok = numbers.notna() & numbers.abs().lt(2.5e11)
        moments = _SAS_EPOCH + pd.to_timedelta(numbers.where(ok).round(), unit="s")
        iso = moments.dt.strftime("%Y-%m-%dT%H:%M:%S")
    else:
        ok = numbers.notna() & numbers.ge(61) & numbers.lt(2_958_466)
        seconds = (numbers.where(ok) * 86400).round()
        moments = _EXCEL_EPOCH + pd.to_timedelta(seconds, unit="s")
        with_time = moments.dt.strftime("%Y-%m-%dT%H:%M:%S")
        iso = with_time.where(~whole, moments.dt.strftime("%Y-%m-%d"))
    return iso.astype("string").where(ok, text)


def _known(part: pd.Series) -> pd.Series:
    """True where a date/time part holds digits (not blank, not an unknown marker)."""
    return part.fillna("").str.fullmatch(r"\d+").fillna(False).astype(bool)


def _blank(values: pd.Series) -> pd.Series:
    return values.isna() | (values.fillna("").astype(str).str.strip() == "")


def compute_iso_datetime(
    dates: pd.Series,
    times: pd.Series | None,
    date_format: str,
    time_format: str | None = None,
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Convert raw date (and optional time) text into ISO 8601 text of the collected precision.

    Each distinct (date, time) pair is parsed once: raw date columns repeat the same few hundred
    values over many rows. See ``_compute_iso_datetime`` for the rules.

    Args:
        dates: Raw date text.
        times: Raw time text, or ``None``.
        date_format: A key of ``DATE_FORMATS`` or a user pattern (``%Y/%m/%d``).
        time_format: A key of ``TIME_FORMATS`` for ``times``; default ``HH:MM``.

    Returns:
        ``(iso, bad_date, bad_time)`` aligned with ``dates``.
    """
    key = pd.DataFrame(
        {
            "d": dates.astype("string"),
            "t": times.astype("string") if times is not None else pd.NA,
        },
        index=dates.index,
    ).astype("string")
    # A sentinel for missing keys: merging on NA keys differs between pandas versions.
    key = key.fillna(_MISSING_KEY)
    unique = key.drop_duplicates().reset_index(drop=True)
    plain = unique.replace(_MISSING_KEY, pd.NA)
    iso, bad_date, bad_time = _compute_iso_datetime(
        plain["d"], plain["t"] if times is not None else None, date_format, time_format
    )
    parsed = unique.assign(iso=iso, bad_date=bad_date, bad_time=bad_time)
    merged = key.reset_index(drop=True).merge(parsed, on=["d", "t"], how="left")
    merged.index = dates.index
    return (
        merged["iso"].astype("string"),
        merged["bad_date"].astype(bool),
        merged["bad_time"].astype(bool),
    )


def _compute_iso_datetime(
    dates: pd.Series,
    times: pd.Series | None,
    date_format: str,
    time_format: str | None = None,
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Convert raw date (and optional time) text into ISO 8601 text of the collected precision.

    Args:
        dates: Raw date text.
        times: Raw time text (``HH:MM``, ``HH:MM:SS``, ``14:UN``, ``UNK``, blank), or ``None``.
        date_format: A key of ``DATE_FORMATS`` or a user pattern.
        time_format: A key of ``TIME_FORMATS`` (default ``HH:MM``).

    Returns:
        ``(iso, bad_date, bad_time)``: the ISO 8601 text (missing where nothing usable was
        collected or the date is invalid), a mask of non-blank dates that could not be read, and
        a mask of non-blank times that could not be read (the date is kept without a time).
    """
    pattern = _pattern(date_format)
    text = dates.astype("string").str.strip().str.upper()
    if date_format in NUMERIC_DATE_FORMATS:
        text = _numbers_to_iso(text, date_format)
    blank = _blank(dates)
    parts = text.str.extract(pattern)
    for name in ("y", "m", "d", "H", "M", "S"):
        if name not in parts.columns:
            parts[name] = pd.Series(pd.NA, index=dates.index, dtype="string")
    parts = parts.astype("string")
    month_text = parts["m"].fillna("")
    by_name = month_text.map(lambda m: MONTHS.get(m, m) if m else m).astype("string")
    parts["m"] = by_name.where(month_text != "", pd.NA)
    matched = parts["y"].notna() | text.str.fullmatch(pattern).fillna(False).astype(bool)

    year_ok = _known(parts["y"])
    month_ok = year_ok & _known(parts["m"])
    day_ok = month_ok & _known(parts["d"])
    month_num = pd.to_numeric(parts["m"].where(month_ok), errors="coerce")
    month_given = parts["m"].notna() & ~parts["m"].isin(_UNKNOWN.split("|")).fillna(False)
    month_bad = (month_ok & ~month_num.between(1, 12)) | (month_given & ~_known(parts["m"]))
    year = parts["y"].where(year_ok)
    month = parts["m"].where(month_ok).str.zfill(2)
    day = parts["d"].where(day_ok).str.zfill(2)
    full = year + "-" + month + "-" + day
    full_valid = pd.to_datetime(full.where(day_ok), format="%Y-%m-%d", errors="coerce").notna()
    day_bad = day_ok & ~full_valid
    # An unknown month with a known day still reduces to year precision (ISO has no gaps).
    iso = year.where(year_ok)
    iso = iso.where(~month_ok, year + "-" + month)
    iso = iso.where(~day_ok, full)
    bad_date = (~blank) & ((~matched) | month_bad | day_bad)
    iso = iso.where(~bad_date, pd.NA)

    if times is not None:
        time_text = times.astype("string").str.strip().str.upper()
        time_blank = _blank(times) | time_text.isin(["UNK", "UN", "U", "UNKNOWN"]).fillna(False)
        tparts = time_text.str.extract(TIME_FORMATS[time_format or "HH:MM"]).astype("string")
        time_matched = tparts["H"].notna()
    else:
        time_blank = pd.Series(True, index=dates.index)
        tparts = pd.DataFrame(
            {name: pd.Series(pd.NA, index=dates.index, dtype="string") for name in "HMS"}
        )
        time_matched = pd.Series(False, index=dates.index)
    # ISO 8601 datetimes written in one column carry their own time parts.
    for name in ("H", "M", "S"):
        tparts[name] = tparts[name].fillna(parts[name]).astype("string")
    has_time_parts = tparts["H"].notna()
    hour_ok = _known(tparts["H"])
    minute_ok = hour_ok & _known(tparts["M"])
    second_ok = minute_ok & _known(tparts["S"])
    hour_num = pd.to_numeric(tparts["H"].where(hour_ok), errors="coerce")
    minute_num = pd.to_numeric(tparts["M"].where(minute_ok), errors="coerce")
    second_num = pd.to_numeric(tparts["S"].where(second_ok), errors="coerce")
    time_range_bad = (
        (hour_ok & ~hour_num.between(0, 23))
        | (minute_ok & ~minute_num.between(0, 59))
        | (second_ok & ~second_num.between(0, 59))
    )
    bad_time = (~time_blank & ~time_matched) | time_range_bad
    add_time = day_ok & ~day_bad & hour_ok & ~time_range_bad & has_time_parts & iso.notna()
    hh = tparts["H"].where(hour_ok).str.zfill(2)
    suffix = ("T" + hh).where(add_time)
    suffix = suffix.where(~(add_time & minute_ok), suffix + ":" + tparts["M"])
    suffix = suffix.where(~(add_time & second_ok), suffix + ":" + tparts["S"])
    iso = iso.where(~add_time, iso + suffix)
    bad_time = bad_time & ~bad_date & ~blank
    return (
        iso.astype("string"),
        pd.Series(np.asarray(bad_date, dtype=bool), index=dates.index),
        pd.Series(np.asarray(bad_time, dtype=bool), index=dates.index),
    )


_DURATION_RE = (
    r"^(?P<sign>-)?P(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


def compute_duration_hours(duration: pd.Series) -> pd.Series:
    """Parse ISO 8601 durations of the form ``[-]PnDTnHnMnS`` into hours (float).

    Year/month/week forms have no fixed length in hours and give ``NaN``, as does text that
    is not a duration.
    """
    parts = duration.astype("string").str.strip().str.extract(_DURATION_RE)
    numbers = parts[["days", "hours", "minutes", "seconds"]].apply(pd.to_numeric)
    any_part = numbers.notna().any(axis=1)
    hours = (
        numbers["days"].fillna(0) * 24
        + numbers["hours"].fillna(0)
        + numbers["minutes"].fillna(0) / 60
        + numbers["seconds"].fillna(0) / 3600
    )
    hours = hours.where(parts["sign"].isna(), -hours)
    return hours.where(any_part).astype("float64")
