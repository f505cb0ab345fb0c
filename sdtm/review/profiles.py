"""Dataset profiles: records, subjects, variables, missingness, CT conformance, results.

Per dataset: record and subject counts; per variable: filled and missing values, distinct
values, the most frequent ones and CT conformance; per findings test: results by visit.

Computed from the datasets themselves (and the standards in ``specs/``), so a package from
another tool gets the same profile. CT conformance counts the non-empty values of a variable
that are not submission values of its codelist(s); result variables (``--ORRES``,
``--STRESC``) are left out, since their codelists describe character results only.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from sdtm.review.html import esc, number, table
from sdtm.review.inputs import ReviewInputs
from sdtm.standards import Standards

TOP_VALUES = 3
"""Most frequent values listed per variable."""
_RESULT_SUFFIXES = ("ORRES", "STRESC")


def _domain_of(name: str, frame: pd.DataFrame) -> str:
    if "DOMAIN" in frame.columns and len(frame):
        values = frame["DOMAIN"].dropna().astype(str).str.strip().unique()
        if len(values) == 1 and values[0]:
            return values[0].upper()
    return name


def _present(series: pd.Series) -> pd.Series:
    """Return the non-missing values: not null and, for text, not the empty string.

    The XPT and Dataset-JSON readers give text without its trailing blanks, so a blank value
    arrives as ``""``; comparing the raw values keeps this fast on large datasets.
    """
    if series.dtype.kind in "fiu":
        return series.dropna()
    return series[series.notna() & (series.astype(object) != "")]


def _shown(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _text(series: pd.Series) -> pd.Series:
    if series.dtype.kind in "fiu":
        return series.map(lambda v: "" if pd.isna(v) else f"{v:g}")
    return series.astype("string").fillna("").str.strip()


def _ct(name: str, domain: str, frame: pd.DataFrame, standards: Standards | None) -> dict[str, str]:
    """Per variable, ``n not in <codelists>`` (or ``ok``) where the IG names a codelist."""
    if standards is None:
        return {}
    spec = standards.domains.get(domain) or standards.domains.get(name)
    if spec is None:
        return {}
    out = {}
    for variable in spec.variables:
        if variable.name not in frame.columns or not variable.codelists:
            continue
        if variable.name.endswith(_RESULT_SUFFIXES):
            continue
        codelists = [standards.codelists[c] for c in variable.codelists if c in standards.codelists]
        if not codelists:
            continue
        allowed = frozenset().union(*(c.submission_values for c in codelists))
        values = _text(frame[variable.name])
        present = values[values != ""]
        outside = int((~present.isin(allowed)).sum())
        names = ", ".join(c.short_name for c in codelists)
        extensible = " (extensible)" if any(c.extensible for c in codelists) else ""
        out[variable.name] = (
            f"ok ({esc(names)})"
            if not outside
            else f'<span class="sev-warning">{number(outside)} not in {esc(names)}'
            f"{extensible}</span>"
        )
    return out


def _variables(name: str, domain: str, frame: pd.DataFrame, standards: Standards | None) -> str:
    labels: Mapping[str, str] = frame.attrs.get("labels") or {}
    ct = _ct(name, domain, frame, standards)
    rows = []
    total = len(frame)
    for column in frame.columns:
        counts = _present(frame[column]).value_counts()
        filled = int(counts.sum())
        top = ", ".join(f"{esc(_shown(v))} ({n})" for v, n in counts.head(TOP_VALUES).items())
        missing = total - filled
        share = f"{100 * missing / total:.0f}%" if total else ""
        rows.append([
            esc(column), esc(labels.get(column, "")),
            "num" if frame[column].dtype.kind in "fiu" else "char",
            number(filled), f"{number(missing)} ({share})" if missing else "0",
            number(len(counts)), top, ct.get(column, ""),
        ])  # fmt: skip
    heading = ["variable", "label", "type", "filled", "missing", "distinct", "top values", "CT"]
    return table(heading, rows, numeric=(3, 4, 5))


def _results_by_visit(domain: str, frame: pd.DataFrame) -> str:
    testcd, stresn = f"{domain}TESTCD", f"{domain}STRESN"
    if testcd not in frame.columns or stresn not in frame.columns:
        return ""
    values = pd.to_numeric(frame[stresn], errors="coerce")
    work = pd.DataFrame(
        {
            "test": frame[testcd].astype("string").fillna(""),
            "unit": _text(frame[f"{domain}STRESU"]) if f"{domain}STRESU" in frame else "",
            "visit": _text(frame["VISIT"]) if "VISIT" in frame else "",
            "order": pd.to_numeric(frame["VISITNUM"], errors="coerce")
            if "VISITNUM" in frame
            else 0.0,
            "value": values,
        }
    )
    numeric_tests = set(work.loc[work["value"].notna(), "test"])
    work = work.loc[work["test"].isin(numeric_tests)]
    if work.empty:
        return ""
    grouped = (
        work.groupby(["test", "unit", "visit"], dropna=False)
        .agg(
            order=("order", "min"),
            n=("value", "size"),
            numeric=("value", "count"),
            low=("value", "min"),
            median=("value", "median"),
            high=("value", "max"),
        )
        .reset_index()
        .sort_values(["test", "unit", "order", "visit"], kind="mergesort", na_position="last")
    )
    rows = [
        [esc(r.test), esc(r.unit), esc(r.visit), number(int(r.n)), number(int(r.n - r.numeric)),
         number(r.low), number(r.median), number(r.high)]
        for r in grouped.itertuples(index=False)
    ]  # fmt: skip
    heading = ["test", "unit", "visit", "records", "not numeric", "min", "median", "max"]
    return (
        f"<details><summary>{esc(domain)} results by test and visit "
        f"({len(numeric_tests)} tests)</summary>"
        + table(heading, rows, numeric=(3, 4, 5, 6, 7))
        + "</details>"
    )


def render_profiles_section(inputs: ReviewInputs, standards: Standards | None) -> str:
    """Return the dataset profiles section.

    Args:
        inputs: The package as read.
        standards: SDTMIG metadata and CT for the CT column (``None`` leaves it empty).

    Returns:
        HTML of the section.
    """
    lineage = inputs.lineage
    sources: dict[str, str] = {}
    if lineage is not None and {"DOMAIN", "_src_file"} <= set(lineage.columns):
        for domain, group in lineage.groupby("DOMAIN"):
            files = sorted(set(group["_src_file"]) - {""})
            sources[str(domain)] = ", ".join(files)
    rows = []
    details = []
    for name in sorted(inputs.frames):
        frame = inputs.frames[name]
        domain = _domain_of(name, frame)
        subjects = frame["USUBJID"].nunique() if "USUBJID" in frame.columns else None
        rows.append([
            f'<a href="#dataset-{esc(name)}">{esc(name)}</a>',
            esc(frame.attrs.get("dataset_label", "")), number(len(frame)),
            number(subjects) if subjects is not None else "", number(len(frame.columns)),
            esc(frame.attrs.get("source_file", "")), esc(sources.get(name, "")),
        ])  # fmt: skip
        details.append(
            f'<details id="dataset-{esc(name)}"><summary>{esc(name)} · {number(len(frame))} '
            f"records · {len(frame.columns)} variables</summary>"
            + _variables(name, domain, frame, standards)
            + _results_by_visit(domain, frame)
            + "</details>"
        )
    heading = ["dataset", "label", "records", "subjects", "variables", "file", "raw sources"]
    ct_note = (
        f"CT column: controlled terminology {esc(standards.ct_version)}, SDTMIG "
        f"{esc(standards.sdtmig_version)}."
        if standards is not None
        else "CT column empty: standards not loaded."
    )
    return (
        '<section id="datasets"><h2>Datasets</h2>'
        + table(heading, rows, numeric=(2, 3, 4))
        + f'<p class="muted">{ct_note} Raw sources from lineage.csv when present.</p>'
        + "".join(details)
        + "</section>"
    )
