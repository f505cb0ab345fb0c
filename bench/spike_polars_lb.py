"""Spike: LB's generated schema checks on Polars, side by side with the pandas/pandera path.

The pandas path is the production one: ``sdtm.validate.schema.validate_dataset`` builds the
pandera schema of LB from ``specs/`` (SDTMIG 3.4 metadata + CT) and runs it. The Polars path
builds the same checks from the same ``DomainSpec`` and ``Standards`` as Polars expressions
(``polars_findings`` below, a one-to-one translation of ``_column_checks``/``build_schema``) and
evaluates them in one lazy query. Both give (rule id, variable, row) triples; the spike prints
the time of each and whether the two sets of findings are identical.

    python bench/spike_polars_lb.py LB_XPT [--repeat 3]

Polars is not a dependency of ``sdtm``: install it in your own environment to run this
(``pip install polars``). Notes from the translation:

- Rust's regex engine has no look-around; the SDTM date/time pattern uses one look-behind
  (a date may not end with ``-``), so ST0007 runs Python's ``re`` on the column's *distinct*
  values and joins the answer back (dates repeat across the tests of a draw);
- every other check (codelists, byte lengths, printable ASCII, --TESTCD pattern, presence,
  duplicate --SEQ and natural keys) is a native Polars expression.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

import pandas as pd
import polars as pl
import pyreadstat

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sdtm.standards import Standards, load_standards  # noqa: E402
from sdtm.standards.model import DomainSpec, VariableSpec  # noqa: E402
from sdtm.validate.schema import (  # noqa: E402
    _DATETIME_DOMAINS,
    _DURATION_DOMAINS,
    CENSORED_NUMBER_PATTERN,
    CONDITIONAL_CODELISTS,
    DATETIME_PATTERN,
    DURATION_PATTERN,
    SHORT_NAME_PATTERN,
    seq_variable,
    validate_dataset,
)

Triple = tuple[str, str, int | None]


def _full(pattern: re.Pattern[str]) -> str:
    return rf"^(?:{pattern.pattern})$"


def _python_fullmatch(column: str, pattern: re.Pattern[str]) -> pl.Expr:
    """Python ``re`` on the distinct values (for patterns Rust's regex cannot run)."""
    return (
        pl.col(column)
        .map_batches(lambda values: _distinct_fullmatch(values, pattern), return_dtype=pl.Boolean)
        .alias(column)
    )


def _distinct_fullmatch(values: pl.Series, pattern: re.Pattern[str]) -> pl.Series:
    uniques = values.drop_nulls().unique()
    answer = dict(
        zip(uniques.to_list(), (pattern.fullmatch(v) is not None for v in uniques), strict=True)
    )
    return values.replace_strict(answer, default=None, return_dtype=pl.Boolean)


def _valid_datetime(column: str) -> pl.Expr:
    text = pl.col(column)
    ok = _python_fullmatch(column, DATETIME_PATTERN)
    full_date = text.str.contains(r"^\d{4}-\d{2}-\d{2}(?:T|$)")
    real_date = text.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False).is_not_null()
    return ok & (~full_date | real_date)


def _is_text(frame: pl.DataFrame, column: str) -> bool:
    return frame.schema[column] == pl.String


def _column_failures(
    frame: pl.DataFrame, domain: DomainSpec, variable: VariableSpec, standards: Standards
) -> list[tuple[str, str, pl.Expr]]:
    """(rule id, variable, expression true where the row fails) of one declared variable."""
    name = variable.name
    col = pl.col(name)
    is_text = _is_text(frame, name)
    failures: list[tuple[str, str, pl.Expr]] = []
    # ST0006: a Num value must be a number, a Char value a string (nulls pass).
    if (variable.data_type == "Num") == is_text:
        failures.append(("ST0006", name, col.is_not_null()))
    if variable.core == "Req":
        present = col.is_not_null()
        if is_text:
            present = present & (col.str.strip_chars() != "")
        failures.append(("ST0002", name, ~present.fill_null(False)))
    if variable.data_type != "Char" or not is_text:
        return failures
    # Text checks judge populated text values only (not stripped: see _text_check).
    populated = col.is_not_null() & (col != "")

    def add(rule_id: str, passes: pl.Expr) -> None:
        failures.append((rule_id, name, populated & ~passes.fill_null(False)))

    if name == "DOMAIN" and variable.value_list:
        add("ST0014", col.is_in(list(variable.value_list)))
    elif (domain.name, name) not in CONDITIONAL_CODELISTS:
        codelists = [standards.codelists[c] for c in variable.codelists if c in standards.codelists]
        if codelists:
            allowed = sorted(frozenset().union(*(c.submission_values for c in codelists)))
            rule_id = "CT0002" if any(c.extensible for c in codelists) else "CT0001"
            ok = col.is_in(allowed)
            if name.endswith("STRESC"):
                censored = col.str.strip_chars().str.contains(_full(CENSORED_NUMBER_PATTERN))
                ok = ok | censored
            add(rule_id, ok)
    value_domain = variable.described_value_domain or ""
    if value_domain in _DATETIME_DOMAINS or (not value_domain and name.endswith("DTC")):
        add("ST0007", _valid_datetime(name))
    elif value_domain in _DURATION_DOMAINS:
        add("ST0008", _python_fullmatch(name, DURATION_PATTERN))
    if name.endswith(("TESTCD", "PARMCD")):
        add("ST0009", col.str.contains(_full(SHORT_NAME_PATTERN)))
    add("ST0010", col.str.len_bytes() <= 200)
    add("ST0011", ~col.str.contains(r"[^\x20-\x7e]"))
    return failures


def polars_findings(frame: pl.DataFrame, domain: DomainSpec, standards: Standards) -> set[Triple]:
    """The findings of LB's generated schema checks, computed with Polars."""
    found: set[Triple] = set()
    declared = {v.name for v in domain.declared_variables}
    for variable in domain.variables:
        if variable.name not in frame.columns:
            if variable.core == "Req":
                found.add(("ST0001", variable.name, None))
            elif variable.core == "Exp":
                found.add(("ST0003", variable.name, None))
    for addition in domain.model_additions:
        if addition.name in frame.columns:
            found.add(("ST0005", addition.name, None))
    for column in frame.columns:
        if column not in declared and column not in domain.model_permissible:
            found.add(("ST0004", column, None))
        elif column in domain.model_permissible:
            found.add(("ST0020", column, None))
    failures: list[tuple[str, str, pl.Expr]] = []
    for variable in domain.declared_variables:
        if variable.name in frame.columns:
            failures += _column_failures(frame, domain, variable, standards)
    seq = seq_variable(domain)
    if seq and seq in frame.columns and "USUBJID" in frame.columns:
        dup = pl.struct("USUBJID", seq).is_duplicated() & pl.col(seq).is_not_null()
        failures.append(("ST0012", seq, dup))
    keys = [k for k in domain.keys if k in frame.columns]
    if keys:
        failures.append(("ST0013", ", ".join(domain.keys), pl.struct(keys).is_duplicated()))
    # One lazy query: every check a boolean column, then the failing row numbers of each.
    names = [f"f{i}" for i in range(len(failures))]
    flags = frame.lazy().select(
        [expr.alias(alias) for (_, _, expr), alias in zip(failures, names, strict=True)]
    )
    flags = flags.with_row_index("row", offset=1).collect()
    for (rule_id, variable, _), alias in zip(failures, names, strict=True):
        for row in flags.filter(pl.col(alias))["row"].to_list():
            found.add((rule_id, variable, int(row)))
    return found


def pandas_findings(frame: pd.DataFrame, domain: DomainSpec, standards: Standards) -> set[Triple]:
    """The production findings (pandera over pandas) as (rule id, variable, row)."""
    table = validate_dataset(frame, domain, standards, dataset="LB").frame
    rows = table["row"].astype("Int64")
    return {
        (rule, variable, None if pd.isna(row) else int(row))
        for rule, variable, row in zip(table["rule_id"], table["variable"], rows, strict=True)
    }


def _plant(frame: pd.DataFrame, every: int) -> None:
    """Put known errors into every ``every``-th record (deterministic), one kind per offset."""
    n = len(frame)
    planted = {
        "LBTESTCD": (0, "alb-1"),  # ST0009 pattern, CT0002 codelist
        "LBDTC": (1, "2024-02-30"),  # ST0007: no such date
        "LBSTRESU": (2, "furlongs"),  # CT0002 unit not in UNIT
        "LBORRES": (3, "caf\u00e9 \t"),  # ST0011 non-ASCII and a tab
        "LBCAT": (4, "  "),  # blank text: fails its text checks
        "STUDYID": (5, None),  # ST0002 required value missing
    }
    for column, (offset, value) in planted.items():
        if column in frame.columns:
            frame.loc[frame.index[offset::every], column] = value
    if "LBSEQ" in frame.columns and n > 7:
        # ST0012 duplicate --SEQ within a subject: copy the previous record's subject and SEQ.
        rows = frame.index[7::every]
        frame.loc[rows, ["USUBJID", "LBSEQ"]] = frame.loc[rows - 1, ["USUBJID", "LBSEQ"]].to_numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lb_xpt", type=Path, help="LB dataset (lb.xpt of an sdtm run)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--plant",
        type=int,
        default=0,
        help="plant errors in every N-th record (bad codes, dates, units, text, --SEQ)",
    )
    args = parser.parse_args()
    standards = load_standards()
    domain = standards.domain("LB")
    frame, _ = pyreadstat.read_xport(str(args.lb_xpt))
    # XPT stores missing text as blanks; the pipeline's frames hold missing values.
    text_columns = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    for column in text_columns:
        frame[column] = frame[column].astype(object).where(frame[column] != "", None)
    if args.plant:
        _plant(frame, args.plant)
    # Column by column: pl.from_pandas needs pyarrow for object columns.
    polars_frame = pl.DataFrame(
        [
            pl.Series(c, frame[c].tolist(), dtype=pl.String)
            if c in text_columns
            else pl.Series(c, frame[c].to_numpy(dtype="float64"))
            for c in frame.columns
        ]
    )
    print(
        f"LB: {len(frame):,} records, {len(frame.columns)} variables; "
        f"load average {os.getloadavg()[0]:.2f} (1 min); polars {pl.__version__}, "
        f"pandas {pd.__version__}"
    )
    results = {}
    for label, run, data in (
        ("pandas + pandera", pandas_findings, frame),
        ("polars", polars_findings, polars_frame),
    ):
        walls, cpus = [], []
        for _ in range(args.repeat):
            wall, cpu = time.perf_counter(), time.process_time()
            results[label] = run(data, domain, standards)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        print(
            f"{label:<18} best of {args.repeat}: {min(walls):7.2f} s wall {min(cpus):7.2f} s CPU"
            f"  ({len(results[label]):,} findings)"
        )
    same = results["pandas + pandera"] == results["polars"]
    print(f"identical findings (rule id, variable, row): {same}")
    if not same:
        only_pandas = results["pandas + pandera"] - results["polars"]
        only_polars = results["polars"] - results["pandas + pandera"]
        print("only pandas:", sorted(only_pandas, key=str)[:10], len(only_pandas))
        print("only polars:", sorted(only_polars, key=str)[:10], len(only_polars))
    by_rule: dict[str, int] = {}
    for rule, _, _ in results["polars"]:
        by_rule[rule] = by_rule.get(rule, 0) + 1
    print("findings by rule:", dict(sorted(by_rule.items())))
    print(f"load average {os.getloadavg()[0]:.2f} (1 min) at the end")


if __name__ == "__main__":
    main()
