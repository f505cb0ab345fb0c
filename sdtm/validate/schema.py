"""Per-dataset structure and terminology checks as a pandera schema built from ``specs/``.

:func:`build_schema` turns one :class:`~sdtm.standards.DomainSpec` plus the CT package into a
``pandera.DataFrameSchema`` whose every check carries one of our rule ids; :func:`validate_dataset`
runs it (``lazy=True``, pandera configuration pinned) and converts ``SchemaErrors.failure_cases``
into a :class:`~sdtm.findings.FindingsTable` without a Python loop over records.

Check tags: each pandera check is built with ``error=name="<RULE>|<VARIABLE>|<DETAIL>"`` so that
``failure_cases["check"]`` says which rule fired on which variable; pandera's own
``column_in_schema`` failure (``strict=True``) is our ST0004.

Performance: all checks are vectorized pandas expressions; pandera only collects the failing
rows. The two row-wise checks over several columns (ST0012 duplicate --SEQ, ST0013 duplicate
natural key) and the DSCAT-dependent DSDECOD codelist are DataFrame-level checks; pandera reports
a failure case for every column of a failing row, so the conversion keeps one per row.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from itertools import repeat
from types import MappingProxyType

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.config import ValidationDepth, config_context
from pandera.errors import SchemaErrors

from sdtm.findings import FindingsTable
from sdtm.read.text import printable_ascii, regex_mask, utf8_byte_lengths
from sdtm.standards.model import Codelist, DomainSpec, Standards, VariableSpec
from sdtm.standards.rules import findings_frame

RULE_IDS: tuple[str, ...] = (
    "ST0001", "ST0002", "ST0003", "ST0004", "ST0005", "ST0006", "ST0007", "ST0008", "ST0009",
    "ST0010", "ST0011", "ST0012", "ST0013", "ST0014", "ST0019", "ST0020", "CT0001", "CT0002",
)  # fmt: skip
"""The rule ids this module's schema emits."""

_Y = r"(?:\d{4}|-)"
_MO = r"(?:0[1-9]|1[0-2]|-)"
_D = r"(?:0[1-9]|[12]\d|3[01]|-)"
_H = r"(?:[01]\d|2[0-3]|-)"
_MI = r"(?:[0-5]\d|-)"
_S = r"(?:[0-5]\d(?:[.,]\d+)?|-)"
_TZ = r"(?:Z|[+-](?:[01]\d|2[0-3])(?::?[0-5]\d)?)?"
# SDTMIG 3.4 section 4.4: reduced precision omits trailing components; a missing component in
# the middle is a single "-" (2003---15, --12-15, -----T07:15); a trailing "-" is not allowed.
_DATETIME = rf"{_Y}(?:-{_MO}(?:-{_D}(?:T{_H}(?::{_MI}(?::{_S})?)?{_TZ})?)?)?(?<!-)"
_NUM = r"\d+(?:[.,]\d+)?"
_DURATION = (
    rf"P(?=\d|T\d)(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}W)?(?:{_NUM}D)?"
    rf"(?:T(?=\d)(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?"
)
_INTERVAL = rf"(?:{_DATETIME}/{_DATETIME}|{_DATETIME}/{_DURATION}|{_DURATION}/{_DATETIME})"
DATETIME_PATTERN = re.compile(rf"(?:{_DATETIME}|{_INTERVAL})")
"""ISO 8601 date/time, reduced precision and SDTM placeholders, or an interval."""
DURATION_PATTERN = re.compile(rf"(?:-?{_DURATION}|{_INTERVAL})")
"""ISO 8601 duration (optionally negative, as SDTMIG uses for --ELTM) or an interval."""
SHORT_NAME_PATTERN = re.compile(r"[A-Z][A-Z0-9_]{0,7}")
"""--TESTCD/--PARMCD values: <= 8 characters, a letter first, then letters, digits, underscore."""
CENSORED_NUMBER_PATTERN = re.compile(r"(?:[<>]=?\s*)?[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
"""Numeric results, optionally censored (``<2.5``, ``>5000``): exempt from --STRESC codelists."""

CONDITIONAL_CODELISTS: Mapping[tuple[str, str], tuple[str, Mapping[str, str]]] = MappingProxyType(
    {
        # SDTMIG 3.4 DS, DSDECOD notes: NCOMPLT for disposition events, PROTMLST for
        # protocol milestones, OTHEVENT for other events, chosen by DSCAT.
        ("DS", "DSDECOD"): (
            "DSCAT",
            MappingProxyType(
                {
                    "DISPOSITION EVENT": "C66727",
                    "PROTOCOL MILESTONE": "C114118",
                    "OTHER EVENT": "C150811",
                }
            ),
        ),
    }
)
"""Variables whose codelist depends on another variable: (condition variable, value -> C-code)."""

_SEP = "|"
# Rules whose checks judge a whole column or dataset and so fail without a record number.
_SCALAR_RULES = ("ST0001", "ST0003", "ST0005", "ST0020")
_DATETIME_DOMAINS = ("ISO 8601 datetime or interval",)
_DURATION_DOMAINS = ("ISO 8601 duration", "ISO 8601 duration or interval")


def _tag(rule_id: str, variable: str, detail: str = "") -> str:
    return f"{rule_id}{_SEP}{variable}{_SEP}{detail}"


def _is_text(series: pd.Series) -> bool:
    return series.dtype.kind in "OSU" or isinstance(series.dtype, pd.StringDtype)


def _is_number(value: object) -> bool:
    # bool is an int subclass in Python and numpy; a boolean is not a Num value.
    return isinstance(value, (int, float, np.number)) and not isinstance(value, (bool, np.bool_))


class _TextColumns:
    """Distinct values of each text column, found once per validation and shared by its checks.

    A text column gets half a dozen checks (type, presence, codelist, date, length, ASCII);
    each used to pass over every value of the column, which on object arrays costs about
    0.1-0.2 microseconds a value and a pass. ``pd.factorize`` passes once; every check then
    judges the distinct values (a lab column of 200,000 records holds a few hundred) and maps
    its answer back by code. Entries are keyed by the column's buffer and hold a reference to
    it, so a key cannot be reused by another array while the schema lives (one validation).
    """

    def __init__(self) -> None:
        self._entries: dict[tuple[object, ...], tuple[object, np.ndarray, np.ndarray]] = {}

    def distinct(self, series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """Return (code per value, ``-1`` when missing; the distinct values as objects)."""
        raw = getattr(series.array, "_ndarray", None)
        if not isinstance(raw, np.ndarray) or raw.dtype != object:
            raw = series.to_numpy(dtype=object)
        owner = raw.base if raw.base is not None else raw
        key = (series.name, id(owner), raw.__array_interface__["data"][0], raw.strides, len(raw))
        entry = self._entries.get(key)
        if entry is None:
            codes, uniques = pd.factorize(raw, use_na_sentinel=True)
            entry = (owner, codes, np.asarray(uniques, dtype=object))
            self._entries[key] = entry
        return entry[1], entry[2]


def _is_str_each(values: np.ndarray) -> np.ndarray:
    return np.fromiter(map(isinstance, values, repeat(str)), dtype=bool, count=len(values))


def _spread(per_distinct: np.ndarray, codes: np.ndarray, missing: bool) -> np.ndarray:
    """Per-value answers from per-distinct ones (code ``-1``, a missing value, gets ``missing``)."""
    return np.append(np.asarray(per_distinct, dtype=bool), missing)[codes]


def _text_values(series: pd.Series, memo: _TextColumns | None = None) -> np.ndarray:
    """True where a value is a Python/pandas string (not null, not a number or boolean).

    A text-typed column can still hold other objects (a JSON number in a Char column is read as
    an ``int`` in an ``object`` column); only the strings are text that the value checks judge.
    """
    if not _is_text(series):
        return np.zeros(len(series), dtype=bool)
    codes, uniques = (memo or _TextColumns()).distinct(series)
    return _spread(_is_str_each(uniques), codes, missing=False)


def _present(series: pd.Series, memo: _TextColumns | None = None) -> pd.Series:
    """True where a value is populated (not missing, not only blanks)."""
    if _is_text(series):
        codes, uniques = (memo or _TextColumns()).distinct(series)
        # Non-text objects count by their text form, as astype("string") would give it.
        filled = [bool((v if isinstance(v, str) else str(v)).strip()) for v in uniques]
        return pd.Series(_spread(np.array(filled, dtype=bool), codes, False), index=series.index)
    return series.notna()


TextTest = Callable[[np.ndarray], np.ndarray]
"""A value check on an object array of non-empty ``str``; returns one bool per value."""


def _text_check(
    test: TextTest, memo: _TextColumns | None = None
) -> Callable[[pd.Series], pd.Series]:
    """Apply ``test`` to the non-empty text values; nulls and non-text values pass.

    Non-text values (a number or boolean in a Char column, or a whole numeric column) are left
    to the type check ST0006: judging their text form would report, e.g., the length of a
    number. ``test`` gets an object array of distinct ``str`` values (never a null or a mixed
    object). Emptiness is tested without stripping (a cheap comparison): a blank-only value is
    not a term, date or code either, so it fails the value checks, which is the right outcome.
    """

    def check(series: pd.Series) -> pd.Series:
        if not _is_text(series):
            return pd.Series(np.ones(len(series), dtype=bool), index=series.index)
        codes, uniques = (memo or _TextColumns()).distinct(series)
        ok = np.ones(len(uniques), dtype=bool)
        judged = _is_str_each(uniques)
        judged[judged] = np.asarray(uniques[judged] != "", dtype=bool)
        if judged.any():
            ok[judged] = np.asarray(test(uniques[judged]), dtype=bool)
        return pd.Series(_spread(ok, codes, missing=True), index=series.index)

    return check


def _matches(pattern: re.Pattern[str]) -> TextTest:
    return lambda values: regex_mask(values, pattern, "fullmatch")


_FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:T|$)")


def _valid_datetime(values: np.ndarray) -> np.ndarray:
    ok = regex_mask(values, DATETIME_PATTERN, "fullmatch")
    # A complete calendar date must exist (2023-02-30 matches the pattern but is no date).
    full_date = regex_mask(values, _FULL_DATE, "match")
    if full_date.any():
        # Casting to a 10-character numpy string keeps the date part (the first 10 characters).
        day = values[full_date].astype("U10")
        dates = pd.to_datetime(day, format="%Y-%m-%d", errors="coerce")
        ok[full_date] &= ~np.asarray(pd.isna(dates))
    return ok


def _ascii(values: np.ndarray) -> np.ndarray:
    # Printable ASCII (bytes 32-126), i.e. no match of [^\x20-\x7e], without a lambda per value.
    return printable_ascii(values)


def _fits_200_bytes(values: np.ndarray) -> np.ndarray:
    return utf8_byte_lengths(values) <= 200


def _type_check(
    data_type: str, memo: _TextColumns | None = None
) -> Callable[[pd.Series], pd.Series]:
    """ST0006 value by value: a Num value must be a number, a Char value a string.

    Whole-column dtypes decide without looking at values; only ``object`` columns (which can
    mix strings, numbers and booleans, e.g. from Dataset-JSON) are inspected element-wise.
    Nulls pass.
    """

    def check(series: pd.Series) -> pd.Series:
        missing = series.isna().to_numpy(dtype=bool)
        if data_type == "Num":
            if pd.api.types.is_bool_dtype(series):
                ok = missing
            elif pd.api.types.is_numeric_dtype(series):
                ok = np.ones(len(series), dtype=bool)
            elif series.dtype.kind == "O":
                kind = pd.api.types.infer_dtype(series, skipna=True)
                if kind in ("integer", "floating", "mixed-integer-float", "empty"):
                    ok = np.ones(len(series), dtype=bool)
                else:
                    ok = missing | series.map(_is_number).to_numpy(dtype=bool)
            else:
                ok = missing
        else:
            ok = missing | _text_values(series, memo)
        return pd.Series(ok, index=series.index, dtype=bool)

    return check


def _codelist_detail(codelists: Iterable[Codelist], ct_version: str) -> str:
    names = ", ".join(f"{c.short_name} ({c.code})" for c in codelists)
    return f"{names}, CT {ct_version}"


def _membership(allowed: frozenset[str], numeric_exempt: bool) -> TextTest:
    def test(values: np.ndarray) -> np.ndarray:
        ok = np.fromiter(map(allowed.__contains__, values), dtype=bool, count=len(values))
        if numeric_exempt and not ok.all():
            trimmed = np.fromiter(map(str.strip, values), dtype=object, count=len(values))
            ok |= regex_mask(trimmed, CENSORED_NUMBER_PATTERN, "fullmatch")
        return ok

    return test


def _codelist_checks(
    variable: VariableSpec, standards: Standards, memo: _TextColumns
) -> list[pa.Check]:
    codelists = [standards.codelists[c] for c in variable.codelists if c in standards.codelists]
    if not codelists:
        return []
    allowed = frozenset().union(*(c.submission_values for c in codelists))
    extensible = any(c.extensible for c in codelists)
    rule_id = "CT0002" if extensible else "CT0001"
    tag = _tag(rule_id, variable.name, _codelist_detail(codelists, standards.ct_version))
    # --STRESC codelists (e.g. LBSTRESC C102580) describe character results only; numeric and
    # censored standardized results are not terms (CAR-T brief section 2, SDTMIG 3.4 4.5.1).
    numeric_exempt = variable.name.endswith("STRESC")
    return [
        pa.Check(
            _text_check(_membership(allowed, numeric_exempt), memo),
            name=tag,
            error=tag,
            ignore_na=False,
        )
    ]


def _conditional_codelist_checks(
    domain: DomainSpec, variable: VariableSpec, standards: Standards, memo: _TextColumns
) -> list[pa.Check]:
    condition_variable, by_value = CONDITIONAL_CODELISTS[(domain.name, variable.name)]
    checks = []
    for condition_value, code in by_value.items():
        codelist = standards.codelists.get(code)
        if codelist is None:
            continue
        rule_id = "CT0002" if codelist.extensible else "CT0001"
        detail = (
            f"{_codelist_detail([codelist], standards.ct_version)}; "
            f"used when {condition_variable} = {condition_value}"
        )
        tag = _tag(rule_id, variable.name, detail)

        def check(
            frame: pd.DataFrame,
            name: str = variable.name,
            when: str = condition_value,
            allowed: frozenset[str] = codelist.submission_values,
        ) -> pd.Series | bool:
            if name not in frame.columns or condition_variable not in frame.columns:
                return True
            values = frame[name]
            # Non-text values are ST0006's; their text form is no term to look up.
            text = pd.Series(_text_values(values, memo), index=values.index)
            if not text.any():
                return True
            applies = frame[condition_variable].astype("string").eq(when).fillna(False)
            bad = applies & text & _present(values, memo) & ~values.astype("string").isin(allowed)
            return ~bad.astype(bool)

        checks.append(pa.Check(check, name=tag, error=tag, ignore_na=False))
    return checks


def _column_checks(
    domain: DomainSpec, variable: VariableSpec, standards: Standards, memo: _TextColumns
) -> list[pa.Check]:
    name = variable.name
    checks = [
        pa.Check(
            _type_check(variable.data_type, memo),
            name=_tag("ST0006", name, variable.data_type),
            error=_tag("ST0006", name, variable.data_type),
            ignore_na=False,
        )
    ]

    def add(rule_id: str, test: TextTest, detail: str = "") -> None:
        checks.append(_tagged_text_check(rule_id, name, test, detail, memo))

    if variable.core == "Req":
        tag = _tag("ST0002", name)
        checks.append(
            pa.Check(lambda series: _present(series, memo), name=tag, error=tag, ignore_na=False)
        )
    if variable.data_type != "Char":
        return checks
    if name == "DOMAIN" and variable.value_list:
        expected = frozenset(variable.value_list)
        add(
            "ST0014",
            lambda values: np.fromiter(map(expected.__contains__, values), dtype=bool),
            " or ".join(variable.value_list),
        )
    elif (domain.name, name) not in CONDITIONAL_CODELISTS:
        checks.extend(_codelist_checks(variable, standards, memo))
    value_domain = variable.described_value_domain or ""
    if value_domain in _DATETIME_DOMAINS or (not value_domain and name.endswith("DTC")):
        add("ST0007", _valid_datetime)
    elif value_domain in _DURATION_DOMAINS:
        add("ST0008", _matches(DURATION_PATTERN))
    if name.endswith(("TESTCD", "PARMCD")):
        add("ST0009", _matches(SHORT_NAME_PATTERN))
    add("ST0010", _fits_200_bytes)
    add("ST0011", _ascii)
    return checks


def _model_variable_checks(name: str, memo: _TextColumns) -> list[pa.Check]:
    """Checks of an undeclared model variable: reported itself, and its values where typed."""
    tag = _tag("ST0020", name)
    checks = [pa.Check(lambda _series: False, name=tag, error=tag, ignore_na=False)]
    # Dates and durations are Char in the SDTM model; their non-text values would otherwise
    # be skipped by the text checks without a finding.
    char_tag = _tag("ST0006", name, "Char")
    char_check = pa.Check(_type_check("Char", memo), name=char_tag, error=char_tag, ignore_na=False)
    if name.endswith("DTC"):
        checks.append(char_check)
        checks.append(_tagged_text_check("ST0007", name, _valid_datetime, memo=memo))
    elif name.endswith(("DUR", "ELTM", "EVLINT", "PDUR")):
        checks.append(char_check)
        checks.append(_tagged_text_check("ST0008", name, _matches(DURATION_PATTERN), memo=memo))
    checks.append(_tagged_text_check("ST0010", name, _fits_200_bytes, memo=memo))
    checks.append(_tagged_text_check("ST0011", name, _ascii, memo=memo))
    return checks


def _tagged_text_check(
    rule_id: str, name: str, test: TextTest, detail: str = "", memo: _TextColumns | None = None
) -> pa.Check:
    tag = _tag(rule_id, name, detail)
    return pa.Check(_text_check(test, memo), name=tag, error=tag, ignore_na=False)


def _presence_check(rule_id: str, name: str, detail: str = "", *, absent_fails: bool) -> pa.Check:
    tag = _tag(rule_id, name, detail)
    if absent_fails:
        return pa.Check(lambda frame: name in frame.columns, name=tag, error=tag)
    return pa.Check(lambda frame: name not in frame.columns, name=tag, error=tag)


def seq_variable(domain: DomainSpec) -> str | None:
    """Return the dataset's ``--SEQ`` variable (``AESEQ``), or ``None`` (e.g. TS uses TSSEQ)."""
    for variable in domain.variables:
        if variable.name.endswith("SEQ") and variable.name == f"{domain.name}SEQ":
            return variable.name
    return None


def _duplicate_seq_check(seq: str) -> pa.Check:
    tag = _tag("ST0012", seq)

    def check(frame: pd.DataFrame) -> pd.Series | bool:
        if seq not in frame.columns or "USUBJID" not in frame.columns:
            return True
        populated = frame[seq].notna()
        return ~(frame.duplicated(["USUBJID", seq], keep=False) & populated)

    return pa.Check(check, name=tag, error=tag)


def _duplicate_key_check(keys: tuple[str, ...]) -> pa.Check:
    tag = _tag("ST0013", ", ".join(keys))

    def check(frame: pd.DataFrame) -> pd.Series | bool:
        present = [key for key in keys if key in frame.columns]
        if not present:
            return True
        return ~frame.duplicated(present, keep=False)

    return pa.Check(check, name=tag, error=tag)


def build_schema(domain_spec: DomainSpec, standards: Standards) -> pa.DataFrameSchema:
    """Build the pandera schema of one SDTM dataset from its spec and the CT package.

    Every column is optional in pandera terms: presence is checked by our own tagged checks so
    that a missing Req variable is ST0001 and a missing Exp variable ST0003. ``strict=True``
    makes pandera report columns outside the declared variables (ST0004).

    Args:
        domain_spec: The dataset's SDTMIG metadata, including declared model additions.
        standards: Standards holding the CT package the codelist checks use.

    Returns:
        A schema whose checks are tagged ``"<RULE>|<VARIABLE>|<DETAIL>"``.
    """
    # One memo per schema: validate_dataset builds a schema per validation.
    memo = _TextColumns()
    columns = {
        variable.name: pa.Column(
            None,
            required=False,
            nullable=True,
            checks=_column_checks(domain_spec, variable, standards, memo),
            name=variable.name,
        )
        for variable in domain_spec.declared_variables
    }
    for name in domain_spec.model_permissible:
        columns[name] = pa.Column(
            None,
            required=False,
            nullable=True,
            checks=_model_variable_checks(name, memo),
            name=name,
        )
    frame_checks = []
    for variable in domain_spec.variables:
        if variable.core == "Req":
            frame_checks.append(_presence_check("ST0001", variable.name, absent_fails=True))
        elif variable.core == "Exp":
            frame_checks.append(_presence_check("ST0003", variable.name, absent_fails=True))
        if (domain_spec.name, variable.name) in CONDITIONAL_CODELISTS:
            frame_checks.extend(
                _conditional_codelist_checks(domain_spec, variable, standards, memo)
            )
    for addition in domain_spec.model_additions:
        detail = f"{addition.model_variable}, {addition.label}"
        frame_checks.append(_presence_check("ST0005", addition.name, detail, absent_fails=False))
    seq = seq_variable(domain_spec)
    if seq is not None and domain_spec.name != "TS":
        frame_checks.append(_duplicate_seq_check(seq))
    if domain_spec.keys:
        frame_checks.append(_duplicate_key_check(domain_spec.keys))
    return pa.DataFrameSchema(
        columns, checks=frame_checks, strict=True, name=domain_spec.name, coerce=False
    )


def run_schema(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> pd.DataFrame:
    """Validate ``frame`` lazily with pandera's configuration pinned; return the failure cases.

    Args:
        schema: From :func:`build_schema`.
        frame: The dataset, with a default ``RangeIndex``.

    Returns:
        ``SchemaErrors.failure_cases`` (empty when the frame passes).
    """
    with config_context(
        validation_enabled=True,
        validation_depth=ValidationDepth.SCHEMA_AND_DATA,
        cache_dataframe=False,
        keep_cached_dataframe=False,
    ):
        try:
            schema.validate(frame, lazy=True, inplace=True)
        except SchemaErrors as errors:
            return errors.failure_cases
    return pd.DataFrame(columns=["schema_context", "column", "check", "failure_case", "index"])


def _synonym_notes(findings: pd.DataFrame, domain: DomainSpec, standards: Standards) -> pd.Series:
    """For CT findings whose value is a synonym of a term, say which submission value to use."""
    notes = pd.Series("", index=findings.index, dtype="object")
    ct_rows = findings["rule_id"].isin(("CT0001", "CT0002"))
    for variable, group in findings[ct_rows].groupby("variable"):
        spec = domain.declared_variable(variable)
        if spec is None:
            continue
        codes = spec.codelists
        if (domain.name, variable) in CONDITIONAL_CODELISTS:
            codes = tuple(CONDITIONAL_CODELISTS[(domain.name, variable)][1].values())
        synonyms = {
            synonym.upper(): term.submission_value
            for code in codes
            if code in standards.codelists
            for term in standards.codelists[code].terms
            for synonym in (*term.synonyms, term.preferred_term)
        }
        hint = group["value"].astype(str).str.upper().map(synonyms)
        has_hint = hint.notna()
        if has_hint.any():
            text = hint[has_hint].astype(str)
            notes[group.index[has_hint]] = ("; it is a synonym of '" + text + "'").to_numpy()
    return notes


def failure_cases_to_findings(
    failure_cases: pd.DataFrame,
    frame: pd.DataFrame,
    domain_spec: DomainSpec,
    standards: Standards,
    *,
    dataset: str,
    source_file: str | None = None,
) -> FindingsTable:
    """Convert pandera failure cases of :func:`build_schema` checks into findings (vectorized).

    Args:
        failure_cases: ``SchemaErrors.failure_cases``.
        frame: The validated dataset (default ``RangeIndex``; ``row`` = index + 1).
        domain_spec: The spec the schema was built from.
        standards: The standards in use (for synonym hints).
        dataset: Dataset name (``LBCH``, ``SUPPAE``).
        source_file: File the dataset came from.

    Returns:
        The findings, one per failing value, variable or record.
    """
    if failure_cases.empty:
        return FindingsTable()
    cases = failure_cases.reset_index(drop=True)
    check = cases["check"].astype(str)
    strict = check.eq("column_in_schema")
    parts = check.str.split(_SEP, n=2, expand=True).reindex(columns=[0, 1, 2]).astype("object")
    known = parts[0].isin(RULE_IDS) & parts[1].notna()
    rows = pd.DataFrame(index=cases.index)
    rows["rule_id"] = parts[0].where(known, None)
    rows.loc[strict, "rule_id"] = "ST0004"
    frame_level = cases["schema_context"].astype(str).eq("DataFrameSchema") & ~strict
    rows["variable"] = cases["column"].astype("object").where(~frame_level, parts[1])
    rows["variable"] = rows["variable"].astype("object")
    rows.loc[strict, "variable"] = cases.loc[strict, "failure_case"].astype(str)
    rows["detail"] = parts[2].astype("object")
    index = pd.to_numeric(cases["index"], errors="coerce")
    rows["row"] = index + 1
    rows["value"] = cases["failure_case"].astype("object")
    rows["usubjid"] = None
    rows["seq"] = None
    scalar = index.isna()
    rows.loc[scalar | strict, "value"] = None
    # A check that raised comes back as one case without a record, holding the exception text
    # (a dataset-level check that did not raise holds False). Such cases, and anything that
    # carries none of our tags, stay visible as ST0019 instead of posing as their rule.
    raised = (
        scalar & ~strict & ~(rows["rule_id"].isin(_SCALAR_RULES) & cases["failure_case"].eq(False))
    )
    unknown = rows["rule_id"].isna() | raised
    rows.loc[unknown, "detail"] = check[unknown].astype("object")
    rows.loc[unknown, "value"] = cases.loc[unknown, "failure_case"].astype(str)
    rows.loc[unknown, "rule_id"] = "ST0019"
    # DataFrame-level row checks report every column of a failing row: keep one per row.
    repeated = frame_level & rows.duplicated(["rule_id", "variable", "detail", "row"])
    rows = rows[~repeated].copy()
    rows = _fill_record_context(rows, frame, domain_spec)
    # ST0006 values are numbers, booleans or strings as stored; findings carry text.
    mistyped = rows["rule_id"].eq("ST0006") & rows["value"].notna()
    if mistyped.any():
        rows.loc[mistyped, "value"] = rows.loc[mistyped, "value"].astype(str)
    too_long = rows["rule_id"].eq("ST0010")
    if too_long.any():
        lengths = rows.loc[too_long, "value"].astype(str).str.encode("utf-8").str.len()
        rows.loc[too_long, "detail"] = lengths.astype(str)
    rows["detail"] = rows["detail"].astype("object").where(rows["detail"].notna(), None)
    # Dataset-level findings first, then record by record; pandera's order is not meaningful.
    rows = rows.sort_values(
        ["row", "rule_id", "variable"], na_position="first", kind="stable"
    ).reset_index(drop=True)
    notes = _synonym_notes(rows, domain_spec, standards)
    built = findings_frame(rows, dataset=dataset, source_file=source_file)
    built["message"] = built["message"] + notes.reindex(built.index).fillna("")
    return FindingsTable.from_frame(built)


def _fill_record_context(
    rows: pd.DataFrame, frame: pd.DataFrame, domain: DomainSpec
) -> pd.DataFrame:
    """Add USUBJID, --SEQ and the values of row-level DataFrame checks from the dataset."""
    rows = rows.copy()
    position = rows["row"] - 1
    located = position.notna()
    where = position[located].astype("int64").to_numpy()
    if "USUBJID" in frame.columns:
        rows.loc[located, "usubjid"] = frame["USUBJID"].to_numpy()[where]
    seq = seq_variable(domain)
    if seq and seq in frame.columns:
        rows.loc[located, "seq"] = pd.to_numeric(frame[seq], errors="coerce").to_numpy()[where]
    seq_rows = rows["rule_id"].eq("ST0012")
    if seq_rows.any() and seq:
        rows.loc[seq_rows, "value"] = (
            rows.loc[seq_rows, "seq"].astype(str).str.replace(r"\.0$", "", regex=True)
        )
        subjects = rows.loc[seq_rows, "usubjid"].astype(str)
        rows.loc[seq_rows, "detail"] = "'" + subjects + "'"
    key_rows = rows["rule_id"].eq("ST0013")
    if key_rows.any():
        keys = [k for k in domain.keys if k in frame.columns]
        at = (rows.loc[key_rows, "row"] - 1).astype("int64").to_numpy()
        values = frame.iloc[at][keys].astype("string").fillna("").astype(str)
        joined = values.apply(lambda column: column.name + "=" + column).agg(", ".join, axis=1)
        rows.loc[key_rows, "value"] = joined.to_numpy()
        rows.loc[key_rows, "detail"] = joined.to_numpy()
    conditional = rows["rule_id"].isin(("CT0001", "CT0002")) & rows["variable"].isin(
        [v for (d, v) in CONDITIONAL_CODELISTS if d == domain.name]
    )
    conditional &= rows["row"].notna()
    if conditional.any():
        for variable in rows.loc[conditional, "variable"].unique():
            mask = conditional & rows["variable"].eq(variable)
            at = (rows.loc[mask, "row"] - 1).astype("int64").to_numpy()
            rows.loc[mask, "value"] = frame[variable].to_numpy()[at]
    return rows


def validate_dataset(
    frame: pd.DataFrame,
    domain_spec: DomainSpec,
    standards: Standards,
    *,
    dataset: str | None = None,
    source_file: str | None = None,
) -> FindingsTable:
    """Validate one dataset against its SDTMIG spec and the CT package.

    Args:
        frame: The dataset as read (its index is ignored; ``row`` is the 1-based record number).
        domain_spec: The dataset's spec (``SUPPQUAL`` for ``SUPPxx``).
        standards: The loaded standards.
        dataset: Name used in findings; defaults to the spec's name.
        source_file: File the dataset was read from.

    Returns:
        The findings of rules ST0001-ST0014 and CT0001-CT0002.
    """
    name = dataset or domain_spec.name
    data = frame.reset_index(drop=True)
    # pandas deep-copies ``attrs`` (e.g. the reader's label dictionary) on every operation.
    data.attrs = {}
    schema = build_schema(domain_spec, standards)
    failures = run_schema(schema, data)
    return failure_cases_to_findings(
        failures, data, domain_spec, standards, dataset=name, source_file=source_file
    )
