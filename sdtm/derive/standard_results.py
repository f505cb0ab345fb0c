r"""Standardized results (``--STRESC``/``--STRESN``/``--STRESU``), unit conversion, ``--NRIND``.

Implements SDTMIG 3.4 §4.5.1 (original and standardized results): ``--ORRES`` keeps the value
as collected; ``--STRESC`` holds it converted to the one standard unit of the test, as a
canonical number string (CORE-000863 / CORE-000542 compare it with
``^-?(0|[1-9]\d*)(\.\d+)?$``); ``--STRESN`` holds the same number. Censored results keep
their comparator in ``--STRESC`` (``<2.5``) and have a null ``--STRESN``.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import MappingProxyType

import numpy as np
import pandas as pd

from sdtm.derive.base import (
    DeriveResult,
    DeriveRule,
    compute_canonical_number,
    compute_numbers,
    located_message,
    parse_numbers,
    require_columns,
    row_findings,
)
from sdtm.findings import FindingsTable, Severity
from sdtm.mapping.design import ResultStandards, StandardUnit
from sdtm.read.text import per_distinct, stripped, stripped_or_missing

UNIT_WITHOUT_CONVERSION = DeriveRule("MP0540", "unit-without-conversion", Severity.WARNING)
STANDARD_UNIT_NOT_DECLARED = DeriveRule("MP0541", "standard-unit-not-declared", Severity.WARNING)
RESULT_UNIT_MISSING = DeriveRule("MP0542", "result-unit-missing", Severity.WARNING)
BLQ_WITHOUT_LLOQ = DeriveRule("MP0543", "blq-result-without-lloq", Severity.WARNING)
RANGE_NOT_NUMERIC = DeriveRule("MP0544", "reference-range-not-numeric", Severity.NOTICE)
LLOQ_NOT_NUMERIC = DeriveRule("MP0545", "lloq-not-numeric", Severity.WARNING)
RESULT_DECIMAL_COMMA = DeriveRule("MP0546", "result-decimal-comma", Severity.ERROR)
RULE_IDS: tuple[str, ...] = (
    UNIT_WITHOUT_CONVERSION.id,
    STANDARD_UNIT_NOT_DECLARED.id,
    RESULT_UNIT_MISSING.id,
    BLQ_WITHOUT_LLOQ.id,
    RANGE_NOT_NUMERIC.id,
    LLOQ_NOT_NUMERIC.id,
    RESULT_DECIMAL_COMMA.id,
)

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_DECIMAL_COMMA = r"(?:<=|>=|<|>)?\s*[+-]?\d+,\d+"
"""A number written with a decimal comma (``1,5``, ``<0,05``): not a number for SDTM."""


def compute_parsed_result(result: pd.Series) -> pd.DataFrame:
    """Split result text into comparator and number.

    Returns:
        Frame aligned with ``result`` with ``op`` (``<``, ``<=``, ``>``, ``>=`` or null),
        ``number`` (float, NaN when the text is not a possibly-censored number) and ``text``
        (the number as written, without the comparator).
    """
    # Each distinct result text is parsed once (results repeat: "NEGATIVE", "<0.5", "12.3").
    codes, uniques = pd.factorize(result.astype("string"), use_na_sentinel=True)
    parsed = _parse_results(stripped(pd.Series(np.asarray(uniques, dtype=object), dtype="string")))
    op = pd.api.extensions.take(parsed["op"].array, codes, allow_fill=True, fill_value=pd.NA)
    number = np.append(parsed["number"].to_numpy(dtype="float64"), np.nan)[codes]
    number_text = pd.api.extensions.take(
        parsed["text"].array, codes, allow_fill=True, fill_value=pd.NA
    )
    return pd.DataFrame(
        {
            "op": pd.Series(op, index=result.index, dtype="string"),
            "number": number,
            "text": pd.Series(number_text, index=result.index, dtype="string"),
        },
        index=result.index,
    )


def _parse_results(text: pd.Series) -> pd.DataFrame:
    """``compute_parsed_result`` of stripped texts (the distinct values of a column)."""
    op = pd.Series(
        np.select(
            [
                text.str.startswith(prefix).fillna(False).to_numpy(dtype=bool)
                for prefix in ("<=", ">=", "<", ">")
            ],
            ["<=", ">=", "<", ">"],
            default="",
        ),
        index=text.index,
        dtype="string",
    )
    rest = text.where(op == "", text.str.lstrip("<>=").str.strip())
    # fullmatch first: to_numeric alone would accept "inf" and "nan"
    is_number = rest.str.fullmatch(_NUMBER).fillna(False)
    number = pd.to_numeric(rest.where(is_number), errors="coerce").astype("float64")
    return pd.DataFrame(
        {"op": op.where(op != ""), "number": number, "text": rest.where(is_number)},
        index=text.index,
    )


def compute_significant_digits(values: pd.Series) -> pd.Series:
    """Significant digits of numbers as written: ``62.5`` 3, ``1.71`` 3, ``0.002`` 1, ``0`` 0.

    Every digit after the leading zeros counts, trailing zeros included (``0.50`` has 2, and
    ``50`` has 2: a written integer is taken at its face value).
    """
    text = values.astype("string").str.strip().str.lstrip("<>=").str.strip().str.lstrip("+-")
    mantissa = text.str.replace(r"[eE].*$", "", regex=True).str.replace(".", "", regex=False)
    return mantissa.str.lstrip("0").str.len().astype("Int64")


def compute_limit_text(
    source: pd.Series, factor: pd.Series, decimals: pd.Series | int
) -> pd.Series:
    r"""A limit (LLOQ, reference range bound, censoring bound) converted to standard units.

    A limit keeps the significant digits it was written with, and at least the test's
    ``decimals``: an LLOQ of ``62.5`` copies/ug stays ``62.5`` when results of the test are
    whole numbers, a bilirubin low limit of ``1.71`` umol/L stays ``1.71``, and ``0.2`` mg/dL
    times 17.1 is ``3.4`` umol/L at one decimal (issue 17). Results themselves are rounded to
    the test's decimals (``compute_canonical_number``).

    Args:
        source: The limit as written (text; a comparator in front is ignored).
        factor: Conversion factor per row (NaN where there is none).
        decimals: The test's result decimals, per row or one for all.

    Returns:
        Canonical number text (``^-?(0|[1-9]\d*)(\.\d+)?$``), null where the limit or the
        factor is missing.
    """
    floor = pd.Series(decimals, index=source.index) if isinstance(decimals, int) else decimals
    rows = pd.DataFrame(
        {
            "source": source.astype("string"),
            "factor": pd.to_numeric(factor, errors="coerce").astype("float64"),
            "decimals": pd.to_numeric(floor, errors="coerce").astype("float64"),
        },
        index=source.index,
    )
    # Limits repeat (a range bound per test, an LLOQ per assay): each distinct combination
    # of limit, factor and decimals is worked out once and spread to its rows. The
    # combination is numbered in order of appearance from the columns' codes, missing being
    # a code too (as grouping with dropna=False); the numbers stay below the row count.
    group = np.zeros(len(rows), dtype="int64")
    for column in rows.columns:
        codes, uniques = pd.factorize(rows[column], use_na_sentinel=True)
        group = pd.factorize(group * (len(uniques) + 1) + (codes + 1))[0]
    _, first = np.unique(group, return_index=True)
    distinct = rows.iloc[first].reset_index(drop=True)
    texts = _limit_texts(distinct["source"], distinct["factor"], distinct["decimals"])
    return pd.Series(texts.array.take(group), index=source.index, dtype="string")


def _limit_texts(source: pd.Series, factor: pd.Series, decimals: pd.Series) -> pd.Series:
    """``compute_limit_text`` worked out row by row (on the distinct rows)."""
    text = source.astype("string").str.strip().str.lstrip("<>=").str.strip()
    number = pd.to_numeric(text.where(text.str.fullmatch(_NUMBER).fillna(False)), errors="coerce")
    converted = (number.astype("float64") * pd.to_numeric(factor, errors="coerce")).astype(
        "float64"
    )
    magnitude = np.floor(np.log10(converted.abs().where(converted != 0)))
    sig = compute_significant_digits(text).astype("float64")
    places = (sig - 1 - magnitude).where(converted != 0, 0.0).fillna(0.0)
    places = np.maximum(places, decimals.fillna(0.0)).clip(0, 15)
    return compute_canonical_number(converted, places.astype("int64"))


def derive_standard_results(
    df: pd.DataFrame,
    result_standards: ResultStandards,
    *,
    domain: str,
    lloq_var: str | None = None,
    infer_lloq_from_censored: bool = True,
) -> DeriveResult:
    """Add ``--STRESC``, ``--STRESN``, ``--STRESU``, ``--STNRLO``, ``--STNRHI`` and ``--LLOQ``.

    Implements SDTMIG 3.4 §4.5.1 (original and standardized results) with the study's declared
    standard unit per test (one ``--STRESU`` per test; CORE-000699 / FB3001):

    - numeric ``--ORRES``: converted with the declared factor, rounded to the test's decimals,
      written canonically to ``--STRESC``; ``--STRESN`` is the same number;
    - censored ``<x``/``>x``: ``--STRESC`` is the comparator plus the converted bound,
      ``--STRESN`` null;
    - a BLQ text (``ResultStandards.blq_values``): ``--STRESC`` is ``<`` plus the converted LLOQ,
      ``--STRESN`` null;
    - other text (``NEGATIVE``): copied to ``--STRESC``; no unit, ``--STRESN`` null;
    - ``--LLOQ`` (numeric, standard units; a model variable added to LB, SD1076): the
      converted ``lloq_var`` value, or, with ``infer_lloq_from_censored``, the bound of a
      ``<x`` result when no LLOQ was sent;
    - ``--STNRLO``/``--STNRHI``: ``--ORNRLO``/``--ORNRHI`` converted, when those columns exist,
      on records with a numeric, censored or BLQ result only (a range describes a result;
      CORE-000298/CORE-000299).

    Limits (LLOQ, range bounds, the bound of a censored result) keep the significant digits
    they were written with and at least the test's decimals (``compute_limit_text``): an LLOQ
    of 62.5 stays 62.5 for a test reported in whole numbers. Results are rounded to the
    test's decimals.

    A numeric result whose unit has no declared conversion keeps its ``--ORRES``, gets null
    standardized values and finding MP0540; a test without a declared standard unit gives
    MP0541; a numeric result without ``--ORRESU`` (for a test with a unit) MP0542; a BLQ text
    without an LLOQ MP0543; a non-numeric range bound MP0544; an LLOQ that was sent but is
    not a number (``fifty``, ``6,0``) MP0545, with ``--LLOQ`` left null (never silently
    dropped, and not reported as a missing LLOQ); a result written with a decimal comma
    (``1,5``) MP0546, with the standardized values left null (not copied as text).

    Args:
        df: Findings frame; needs ``USUBJID``, ``--TESTCD``, ``--ORRES``, ``--ORRESU``.
        result_standards: Declared standard units and conversions.
        domain: Domain prefix, e.g. ``LB`` or ``PC``.
        lloq_var: Column holding the lab's LLOQ in ``--ORRESU`` units, if any.
        infer_lloq_from_censored: Fill ``--LLOQ`` from ``<x`` results when ``lloq_var`` is null.

    Returns:
        ``DeriveResult`` with the added columns and the findings above.
    """
    testcd_var, orres_var, orresu_var = f"{domain}TESTCD", f"{domain}ORRES", f"{domain}ORRESU"
    require_columns(df, ("USUBJID", testcd_var, orres_var, orresu_var), "derive_standard_results")
    orres = stripped(df[orres_var])
    orresu = stripped_or_missing(df[orresu_var])
    lookup = result_standards.factors(df[testcd_var], orresu)
    parsed = compute_parsed_result(orres)
    blq_texts = [v.upper() for v in result_standards.blq_values]
    is_blq = per_distinct(
        orres, lambda text: text.astype("string").str.upper().isin(blq_texts), False
    ).astype(bool)
    is_number = parsed["number"].notna()
    is_text = orres.notna() & (orres != "") & ~is_number & ~is_blq
    # "1,5" is most likely 1.5 written with a decimal comma: it is reported as not a number
    # (not copied to --STRESC as text, where it would pass as a character result), issue 12.
    decimal_comma = is_text & per_distinct(
        orres, lambda text: text.astype("string").str.fullmatch(_DECIMAL_COMMA), False
    ).fillna(False).astype(bool)
    is_text = is_text & ~decimal_comma
    factor = lookup["factor"]
    decimals = lookup["decimals"].fillna(0).astype("int64")
    declared = lookup["declared"]
    unitless = declared & lookup["std_unit"].isna()

    has_lloq_column = lloq_var is not None and lloq_var in df.columns
    lloq_raw, lloq_unreadable = (
        compute_numbers(df[lloq_var])
        if has_lloq_column
        else (pd.Series(np.nan, index=df.index), pd.Series(False, index=df.index))
    )
    lloq_orig = lloq_raw.copy()
    if infer_lloq_from_censored:
        # An unreadable LLOQ stays null (MP0545), not replaced by a bound guessed from ORRES.
        censored_low = parsed["op"].isin(["<", "<="]).fillna(False) & ~lloq_unreadable
        lloq_orig = lloq_orig.fillna(parsed["number"].where(censored_low).astype("float64"))
    converted = parsed["number"] * factor
    text = compute_canonical_number(converted, decimals)
    # A censoring bound (<1.5) and an LLOQ are limits: they keep their own precision.
    bound_text = compute_limit_text(parsed["text"], factor, decimals)
    lloq_source = (
        df[lloq_var].astype("string") if has_lloq_column else pd.Series(pd.NA, index=df.index)
    ).astype("string")
    lloq_source = lloq_source.where(lloq_raw.notna())
    if infer_lloq_from_censored:
        lloq_source = lloq_source.fillna(parsed["text"].where(censored_low))
    lloq_text = compute_limit_text(lloq_source, factor, decimals)
    lloq_std = parse_numbers(lloq_text)

    stresc = pd.Series(pd.NA, index=df.index, dtype="string")
    has_op = parsed["op"].notna()
    stresc = stresc.mask(is_number & ~has_op, text)
    stresc = stresc.mask(is_number & has_op, parsed["op"] + bound_text)
    stresc = stresc.mask(is_blq, "<" + lloq_text)
    stresc = stresc.mask(is_text, orres)
    stresn = parse_numbers(stresc.where(is_number & ~has_op))
    stresu = (
        lookup["std_unit"]
        .astype("string")
        .where((is_number | is_blq) & factor.notna() & stresc.notna())
    )

    out = df.copy()
    out[f"{domain}STRESC"] = stresc
    out[f"{domain}STRESN"] = stresn
    out[f"{domain}STRESU"] = stresu
    out[f"{domain}LLOQ"] = lloq_std.astype("float64")
    range_findings = []
    for side in ("LO", "HI"):
        source = f"{domain}ORNR{side}"
        if source not in df.columns:
            continue
        range_text = stripped_or_missing(df[source])
        bound = parse_numbers(range_text)
        value = parse_numbers(compute_limit_text(range_text, factor, decimals))
        # A range describes a result: none where there is no numeric result (CORE-000298/
        # CORE-000299).
        out[f"{domain}STNR{side}"] = value.where((is_number | is_blq) & stresc.notna())
        bad = range_text.notna() & bound.isna()
        range_findings.append(
            row_findings(
                df,
                bad,
                RANGE_NOT_NUMERIC,
                located_message(
                    bad,
                    f": {source} ",
                    range_text.fillna(""),
                    f" is not a number; {domain}STNR{side} left null",
                ),
                dataset=domain,
                variable=f"{domain}STNR{side}",
                value=range_text,
            )
        )

    needs_unit = (is_number | is_blq) & declared & ~unitless
    no_unit = needs_unit & orresu.isna()
    no_conversion = needs_unit & orresu.notna() & factor.isna()
    undeclared = (is_number | is_blq) & ~declared
    # An LLOQ that was sent but cannot be read is reported by MP0545 (the cause), not as absent.
    blq_no_lloq = is_blq & lloq_orig.isna() & declared & ~lloq_unreadable
    lloq_text_raw = (
        stripped(df[lloq_var])
        if has_lloq_column
        else pd.Series(pd.NA, index=df.index, dtype="string")
    )
    test_text = df[testcd_var].astype("string").fillna("")
    findings = [
        row_findings(
            df,
            no_conversion,
            UNIT_WITHOUT_CONVERSION,
            located_message(
                no_conversion,
                f": {testcd_var} ",
                test_text,
                f" {orres_var} ",
                orres.fillna(""),
                " in unit ",
                orresu.fillna(""),
                " has no declared conversion to ",
                lookup["std_unit"].astype("string").fillna(""),
                f"; value kept in {orres_var}, standardized result left null; "
                "declare the conversion in the study's unit table",
            ),
            dataset=domain,
            variable=orresu_var,
            value=orresu,
        ),
        row_findings(
            df,
            undeclared,
            STANDARD_UNIT_NOT_DECLARED,
            located_message(
                undeclared,
                f": {testcd_var} ",
                test_text,
                " has no declared standard unit; standardized result left null",
            ),
            dataset=domain,
            variable=f"{domain}STRESU",
            value=df[testcd_var].astype("string"),
        ),
        row_findings(
            df,
            no_unit,
            RESULT_UNIT_MISSING,
            located_message(
                no_unit,
                f": {testcd_var} ",
                test_text,
                f" numeric {orres_var} ",
                orres.fillna(""),
                f" has no {orresu_var}; standardized result left null",
            ),
            dataset=domain,
            variable=orresu_var,
            value=orres,
        ),
        row_findings(
            df,
            blq_no_lloq,
            BLQ_WITHOUT_LLOQ,
            located_message(
                blq_no_lloq,
                f": {testcd_var} ",
                test_text,
                f" {orres_var} ",
                orres.fillna(""),
                f" is below the limit of quantitation but no LLOQ was sent; {domain}STRESC "
                "left null",
            ),
            dataset=domain,
            variable=f"{domain}STRESC",
            value=orres,
        ),
        row_findings(
            df,
            lloq_unreadable,
            LLOQ_NOT_NUMERIC,
            located_message(
                lloq_unreadable,
                f": {testcd_var} ",
                test_text,
                f": LLOQ {lloq_var} ",
                lloq_text_raw.fillna(""),
                f" is not a number; {domain}LLOQ left null",
                pd.Series(
                    np.where(is_blq, f" and {domain}STRESC of the BLQ result left null", ""),
                    index=df.index,
                ),
            ),
            dataset=domain,
            variable=f"{domain}LLOQ",
            value=lloq_text_raw,
        ),
        row_findings(
            df,
            decimal_comma,
            RESULT_DECIMAL_COMMA,
            located_message(
                decimal_comma,
                f": {testcd_var} ",
                test_text,
                f" {orres_var} ",
                orres.fillna(""),
                f" is not a number (decimal comma?); {domain}STRESC and {domain}STRESN left "
                "null; correct the value at the source (a decimal point)",
            ),
            dataset=domain,
            variable=orres_var,
            value=orres,
        ),
        *range_findings,
    ]
    return DeriveResult(out, FindingsTable.concat(findings))


def derive_reference_range_indicator(df: pd.DataFrame, *, domain: str) -> DeriveResult:
    """Add ``--NRIND`` from the standardized result and the standardized reference range.

    Implements the ``--NRIND`` definition of SDTMIG 3.4 ("reference range indicator") using
    the standard range: ``LOW`` when ``--STRESN < --STNRLO``, ``HIGH`` when
    ``--STRESN > --STNRHI``, ``NORMAL`` when inside the bounds that exist. A censored result
    (``--STRESC`` ``<x``, ``>x``) gets the category where the bound makes it certain
    (issue 17): ``>5000`` against an upper limit of 7 is ``HIGH``, ``<1.5`` against a lower
    limit of 2 is ``LOW``; ``<1.5`` within a range whose lower limit is 0 (or absent) is
    ``NORMAL``, as a censored-below concentration is not negative; ``>x`` is ``NORMAL`` only
    without an upper limit. Otherwise null: text results, uncertain censored results and
    results without a range (research assays often have none; not a derivation failure, so
    no finding).

    Args:
        df: Findings frame with ``--STRESN`` and, when present, ``--STRESC``, ``--STNRLO``,
            ``--STNRHI``.
        domain: Domain prefix, e.g. ``LB``.

    Returns:
        ``DeriveResult``: ``df`` plus ``--NRIND``; no findings.
    """
    stresn_var, lo_var, hi_var = f"{domain}STRESN", f"{domain}STNRLO", f"{domain}STNRHI"
    require_columns(df, (stresn_var,), "derive_reference_range_indicator")
    value = pd.to_numeric(df[stresn_var], errors="coerce")
    lo = pd.to_numeric(df[lo_var], errors="coerce") if lo_var in df.columns else value * np.nan
    hi = pd.to_numeric(df[hi_var], errors="coerce") if hi_var in df.columns else value * np.nan
    has_range = lo.notna() | hi.notna()
    nrind = pd.Series(pd.NA, index=df.index, dtype="string")
    nrind = nrind.mask(value.notna() & has_range, "NORMAL")
    nrind = nrind.mask(value.notna() & lo.notna() & (value < lo), "LOW")
    nrind = nrind.mask(value.notna() & hi.notna() & (value > hi), "HIGH")
    stresc_var = f"{domain}STRESC"
    if stresc_var in df.columns:
        censored = compute_parsed_result(df[stresc_var]).where(value.isna())
        op, bound = censored["op"], censored["number"]
        below = op.isin(["<", "<="]).fillna(False) & bound.notna()
        above = op.isin([">", ">="]).fillna(False) & bound.notna()
        strict = op.isin(["<", ">"]).fillna(False)
        no_floor = lo.isna() | (lo <= 0)
        low = below & lo.notna() & ((bound < lo) | (strict & (bound <= lo)))
        low_normal = below & ~low & no_floor & hi.notna() & (bound <= hi)
        high = above & hi.notna() & ((bound > hi) | (strict & (bound >= hi)))
        high_normal = above & ~high & hi.isna() & lo.notna() & (bound >= lo)
        nrind = nrind.mask(low.fillna(False), "LOW").mask(high.fillna(False), "HIGH")
        nrind = nrind.mask((low_normal | high_normal).fillna(False), "NORMAL")
    out = df.copy()
    out[f"{domain}NRIND"] = nrind
    return DeriveResult(out, FindingsTable())


def standard_units_by_test(units: Iterable[StandardUnit]) -> MappingProxyType[str, StandardUnit]:
    """Return the standard units keyed by test code (read-only)."""
    return MappingProxyType({unit.testcd: unit for unit in units})
