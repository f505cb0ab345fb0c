"""Vectorized text helpers shared by every stage (read is the first stage: all may import it).

Without pyarrow, pandas keeps text as Python objects and runs every ``.str`` method as a
Python lambda per value (about 1 microsecond each, plus a missing-value scan per call): cProfile
counted 54 million such calls in one 1,000-subject run. These helpers give the same
answers by mapping built-in ``str`` methods (and compiled regex methods) over object arrays
with ``map``, which iterates in C with no Python frame per value (35-200 ns a value and pass
measured on the shared machine), and return pandas ``string`` Series exactly as the ``.str``
chains they replace. Where a column repeats values, the work is done once per distinct value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import repeat

import numpy as np
import pandas as pd


def text_values(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Return the positions of the non-missing values and those values as an array of ``str``.

    Values that are not text (numbers in an object column) are converted with ``str``, as
    ``astype("string")`` would; the common all-text case costs no conversion.
    """
    # pd.isna knows every missing marker (None, NaN, NA, NaT): no copy replacing them first.
    array = values.to_numpy(dtype=object)
    present = ~pd.isna(array)
    text = array[present]
    if len(text) and not all(map(isinstance, text, repeat(str))):
        text = pd.Series(text, dtype=object).astype("string").to_numpy(dtype=object)
    return np.flatnonzero(present), text


def _string_series(out: np.ndarray, index: pd.Index) -> pd.Series:
    """An object array of ``str``/``None`` as a pandas ``string`` Series (missing is ``<NA>``)."""
    return pd.Series(pd.array(out, dtype="string"), index=index)


def distinct_text(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Return (code per value, ``-1`` when missing; the distinct values as ``str``).

    One hashing pass (``pd.factorize``) over the column; the work per value is then done once
    per distinct value (codes, terms, dates and units repeat across records). On object
    arrays every pass costs 0.05-0.2 microseconds a value (memory-bound), so fewer passes is
    what makes a column operation fast.
    """
    raw = getattr(values.array, "_ndarray", None)
    if not isinstance(raw, np.ndarray) or raw.dtype != object:
        raw = values.to_numpy(dtype=object)
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    uniques = np.asarray(uniques, dtype=object)
    if len(uniques) and not all(map(isinstance, uniques, repeat(str))):
        # Numbers in a text column: factorize holds 1, 1.0 and True equal, their text forms
        # differ; convert the whole column first (as astype("string") does), then group.
        text = values.astype("string").to_numpy(dtype=object, na_value=None)
        codes, uniques = pd.factorize(text, use_na_sentinel=True)
        uniques = np.asarray(uniques, dtype=object)
    return codes, uniques


def per_distinct(
    values: pd.Series, compute: Callable[[pd.Series], pd.Series], fill: object
) -> pd.Series:
    """Apply ``compute`` once to each distinct value of ``values`` and spread the answers back.

    ``compute`` gets the distinct non-missing values (as objects) and returns one answer per
    value; rows with a missing value get ``fill``. Codes, units, results and dates repeat
    across records, so a per-value test done this way runs once per distinct value.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    answers = compute(pd.Series(np.asarray(uniques, dtype=object), dtype=object))
    taken = pd.api.extensions.take(answers.array, codes, allow_fill=True, fill_value=fill)
    return pd.Series(taken, index=values.index)


def stripped(values: pd.Series) -> pd.Series:
    """``values.astype("string").str.strip()``: missing stays missing, blank becomes ``""``."""
    codes, uniques = distinct_text(values)
    trimmed = np.fromiter(map(str.strip, uniques), dtype=object, count=len(uniques))
    return _string_series(np.append(trimmed, None)[codes], values.index)


def stripped_or_missing(values: pd.Series) -> pd.Series:
    """Stripped text with blank values (empty or only white space) as missing (``<NA>``)."""
    codes, uniques = distinct_text(values)
    trimmed = np.fromiter(map(str.strip, uniques), dtype=object, count=len(uniques))
    trimmed[np.fromiter(map(len, trimmed), dtype=np.int64, count=len(trimmed)) == 0] = None
    return _string_series(np.append(trimmed, None)[codes], values.index)


def regex_mask(text: np.ndarray, pattern: str | re.Pattern[str], how: str) -> np.ndarray:
    """True per ``str`` of ``text`` where ``pattern`` matches; ``how`` is a ``re.Pattern`` method.

    ``search`` is ``str.contains``, ``match`` is ``str.match`` and ``fullmatch`` is
    ``str.fullmatch`` of pandas (same ``re`` engine, same flags).
    """
    method = getattr(re.compile(pattern), how)
    return np.fromiter(map(bool, map(method, text)), dtype=bool, count=len(text))


def utf8_byte_lengths(text: np.ndarray) -> np.ndarray:
    """Return the UTF-8 byte length of each ``str`` of an object array, as int64.

    Character counts equal byte counts for ASCII text; only the values holding other
    characters are encoded.
    """
    count = len(text)
    lengths = np.fromiter(map(len, text), dtype=np.int64, count=count)
    # One check of all the text joined (a C-level flag of the joined string) settles the
    # common all-ASCII case without a pass per value.
    if "".join(text).isascii():
        return lengths
    ascii_ = np.fromiter(map(str.isascii, text), dtype=bool, count=count)
    if not ascii_.all():
        wide = np.flatnonzero(~ascii_)
        lengths[wide] = np.fromiter(
            map(len, map(str.encode, text[wide])), dtype=np.int64, count=len(wide)
        )
    return lengths


def printable_ascii(text: np.ndarray) -> np.ndarray:
    """Return, per ``str`` of an object array, whether it holds printable ASCII only (32-126).

    For ASCII text ``str.isprintable`` is false exactly for the control characters 0-31 and
    127, so ``isascii and isprintable`` is the byte range 32-126 (P21 SD1029).
    """
    count = len(text)
    joined = "".join(text)
    # Every value is printable ASCII exactly when all of them joined are.
    if joined.isascii() and joined.isprintable():
        return np.ones(count, dtype=bool)
    ascii_ = np.fromiter(map(str.isascii, text), dtype=bool, count=count)
    printable = np.fromiter(map(str.isprintable, text), dtype=bool, count=count)
    return ascii_ & printable
