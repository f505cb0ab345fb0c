"""Checks on Findings-class results: standardized values, units, not-done logic, baseline flags.

A dataset counts as Findings when it has a ``--TESTCD`` column; the checks then use the
domain's own prefix (``LBSTRESC``, ``VSSTRESN`` ...).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from sdtm.findings import FindingsTable
from sdtm.standards.model import Standards
from sdtm.validate.checks.common import (
    EMPTY,
    Detail,
    after,
    collect,
    datasets,
    domain_parts,
    frame_of,
    is_canonical_number,
    is_numeric_text,
    lookup,
    make_findings,
    number,
    subject_map,
    text,
)

Frames = Mapping[str, pd.DataFrame]

# The grouping variables of one assessment (FB3001 / FB2604): test, category, subcategory,
# specimen and method.
_TEST_KEYS = ("TESTCD", "CAT", "SCAT", "SPEC", "METHOD")


def _findings_datasets(frames: Frames):
    for name, code, frame in datasets(frames):
        if f"{code}TESTCD" in frame.columns and code not in ("TS",):
            yield name, code, frame


def check_stresn_not_numeric_stresc(frames: Frames, standards: Standards) -> FindingsTable:
    """A numeric --STRESC has --STRESN equal to it (CORE-000542, CORE-000863, SD1122)."""
    tables = []
    for name, code, frame in _findings_datasets(frames):
        stresc_col, stresn_col = f"{code}STRESC", f"{code}STRESN"
        if stresc_col not in frame.columns:
            continue
        stresc = text(frame, stresc_col)
        numeric = is_canonical_number(stresc)
        expected = pd.to_numeric(stresc.where(numeric), errors="coerce").astype("float64")
        stresn = number(frame, stresn_col)
        # Compare with a relative tolerance: STRESN is a float, STRESC its decimal text.
        close = (stresn - expected).abs() <= 1e-9 * expected.abs().clip(lower=1.0)
        bad = numeric & ~close.fillna(False)
        detail = Detail(f"{stresc_col} ", stresc.fillna(""), f", {stresn_col} ")
        detail = Detail(detail, stresn.astype("string").fillna("null"))
        tables.append(
            make_findings(name, frame, bad, variable=stresn_col, detail=detail, code=code)
        )
    return collect(tables)


def check_stresn_with_non_numeric_stresc(frames: Frames, standards: Standards) -> FindingsTable:
    """--STRESN is null when --STRESC is not numeric (CORE-000732 / FB3103)."""
    tables = []
    for name, code, frame in _findings_datasets(frames):
        stresn_col = f"{code}STRESN"
        stresc = text(frame, f"{code}STRESC")
        bad = number(frame, stresn_col).notna() & ~is_canonical_number(stresc)
        detail = Detail(f"{code}STRESC is ", stresc.fillna("null"))
        tables.append(
            make_findings(name, frame, bad, variable=stresn_col, detail=detail, code=code)
        )
    return collect(tables)


def _status(frame: pd.DataFrame, code: str) -> pd.Series:
    return text(frame, f"{code}STAT")


def check_result_with_not_done_status(frames: Frames, standards: Standards) -> FindingsTable:
    """--ORRES and --STAT are not both populated (CORE-000099 / CG0422, P21 SD0048)."""
    tables = []
    for name, code, frame in _findings_datasets(frames):
        orres = f"{code}ORRES"
        bad = text(frame, orres).notna() & _status(frame, code).notna()
        detail = Detail(f"{code}STAT is ", _status(frame, code).fillna(""))
        tables.append(make_findings(name, frame, bad, variable=orres, detail=detail, code=code))
    return collect(tables)


def check_result_missing_without_status(frames: Frames, standards: Standards) -> FindingsTable:
    """--ORRES is populated unless --STAT is set or --DRVFL = Y (CORE-000200 / CG0348)."""
    tables = []
    for name, code, frame in _findings_datasets(frames):
        orres = f"{code}ORRES"
        if orres not in frame.columns:
            continue
        derived = (text(frame, f"{code}DRVFL") == "Y").fillna(False)
        bad = text(frame, orres).isna() & _status(frame, code).isna() & ~derived
        tables.append(
            make_findings(
                name, frame, bad, variable=orres, detail="no result and no status", code=code
            )
        )
    return collect(tables)


def check_not_done_without_reason(frames: Frames, standards: Standards) -> FindingsTable:
    """--STAT = NOT DONE comes with --REASND (CORE-000774 / FB4202, P21 SD1124)."""
    tables = []
    for name, code, frame in datasets(frames):
        if f"{code}STAT" not in frame.columns:
            continue
        reasnd = f"{code}REASND"
        bad = (_status(frame, code) == "NOT DONE").fillna(False) & text(frame, reasnd).isna()
        tables.append(
            make_findings(
                name, frame, bad, variable=reasnd, detail=f"{code}STAT is NOT DONE", code=code
            )
        )
    return collect(tables)


def check_reason_not_done_without_status(frames: Frames, standards: Standards) -> FindingsTable:
    """--REASND only when --STAT = NOT DONE (CORE-000225 / CG0094)."""
    tables = []
    for name, code, frame in datasets(frames):
        reasnd = f"{code}REASND"
        if reasnd not in frame.columns:
            continue
        bad = text(frame, reasnd).notna() & (_status(frame, code) != "NOT DONE").fillna(True)
        detail = Detail(f"{code}STAT is ", _status(frame, code).fillna("null"))
        tables.append(make_findings(name, frame, bad, variable=reasnd, detail=detail, code=code))
    return collect(tables)


def _test_columns(frame: pd.DataFrame, code: str) -> list[str]:
    """The assessment key columns (--TESTCD, --CAT, --SCAT, --SPEC, --METHOD) present."""
    return [f"{code}{suffix}" for suffix in _TEST_KEYS if f"{code}{suffix}" in frame.columns]


def _keys(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The key columns as comparable values (text; floats rounded), missing kept as NA."""
    return pd.DataFrame({c: text(frame, c) for c in columns}, index=frame.index)


def check_standard_unit_inconsistent_within_test(
    frames: Frames, standards: Standards
) -> FindingsTable:
    """One --STRESU per --TESTCD/--CAT/--SCAT/--SPEC/--METHOD (CORE-000699, P21 SD0007)."""
    tables = []
    for code, parts in sorted(domain_parts(_findings_datasets(frames)).items()):
        stresu_col = f"{code}STRESU"
        columns = sorted(set.intersection(*(set(_test_columns(f, code)) for _, f in parts)))
        # Split datasets are one domain: units are compared across all parts.
        keyed = pd.concat(
            [
                _keys(f, columns).assign(_u=text(f, stresu_col), _p=i)
                for i, (_, f) in enumerate(parts)
            ],
            ignore_index=True,
        )
        keyed = keyed[keyed["_u"].notna()]
        units = keyed.groupby(columns, dropna=False)["_u"].transform("nunique")
        mixed = keyed[units > 1]
        for i, (name, frame) in enumerate(parts):
            mask = pd.Series(False, index=frame.index)
            rows = mixed.index[mixed["_p"] == i]
            if len(rows):
                # Positions in ``keyed`` map back to the part's rows through a running offset.
                offset = sum(len(f) for _, f in parts[:i])
                mask.iloc[rows - offset] = True
            detail = Detail(
                f"{code}TESTCD ", text(frame, f"{code}TESTCD").fillna(""), " has several"
            )
            detail = Detail(detail, " standard units")
            tables.append(
                make_findings(name, frame, mask, variable=stresu_col, detail=detail, code=code)
            )
    return collect(tables)


def _odd_pairs(pairs: pd.DataFrame, key: str, other: str) -> pd.DataFrame:
    """The ``(key, other)`` pairs that are the minority for their ``key``.

    Where a ``key`` value comes with several ``other`` values, the pair most records have is
    taken as the intended one and the others are odd; when several pairs share the largest
    count, none can be called the intended one and all are odd.
    """
    counts = pairs.groupby([key, other]).size().rename("n").reset_index()
    top = counts.groupby(key)["n"].transform("max")
    values = counts.groupby(key)[other].transform("size")
    at_top = (counts["n"] == top).groupby(counts[key]).transform("sum")
    odd = (values > 1) & ((counts["n"] < top) | (at_top > 1))
    return counts.loc[odd, [key, other]]


def check_test_testcd_not_one_to_one(frames: Frames, standards: Standards) -> FindingsTable:
    """--TESTCD and --TEST are one-to-one within a domain (CORE-000303, SD0040/SD1043).

    A pair rule reports the odd records, not every record of the pair most records have:
    one record whose --TESTCD was changed from AST to ALT gives one finding, not one per ALT
    and AST record (issue 17). The majority pair of a --TESTCD (or --TEST) is taken as
    intended; with a tie every record of the tied pairs is reported.
    """
    tables = []
    for code, parts in domain_parts(_findings_datasets(frames)).items():
        test, testcd = f"{code}TEST", f"{code}TESTCD"
        # Split datasets are one domain: collect pairs across parts, then flag each part.
        pairs = pd.concat(
            [pd.DataFrame({"a": text(f, testcd), "b": text(f, test)}) for _, f in parts],
            ignore_index=True,
        ).dropna()
        odd_cd = _odd_pairs(pairs, "a", "b").assign(_odd=True)
        odd_test = _odd_pairs(pairs, "b", "a").assign(_odd=True)
        for name, frame in parts:
            a, b = text(frame, testcd), text(frame, test)
            keyed = pd.DataFrame({"a": a, "b": b})
            bad_cd = keyed.merge(odd_cd, on=["a", "b"], how="left")["_odd"].notna()
            bad_cd.index = frame.index
            bad_test = keyed.merge(odd_test, on=["b", "a"], how="left")["_odd"].notna()
            bad_test.index = frame.index
            bad_test &= ~bad_cd
            tables.append(
                make_findings(
                    name,
                    frame,
                    bad_cd,
                    variable=test,
                    detail=Detail(testcd, " ", a.fillna(""), " has several ", test, " values"),
                    code=code,
                )
            )
            tables.append(
                make_findings(
                    name,
                    frame,
                    bad_test,
                    variable=testcd,
                    detail=Detail(test, " ", b.fillna(""), " has several ", testcd, " values"),
                    code=code,
                )
            )
    return collect(tables)


def check_standard_result_missing(frames: Frames, standards: Standards) -> FindingsTable:
    """--STRESC is populated when --ORRES is or --DRVFL = Y (CORE-000021 / CG0397, SD0036)."""
    tables = []
    for name, code, frame in _findings_datasets(frames):
        stresc = f"{code}STRESC"
        if stresc not in frame.columns:
            continue
        needed = text(frame, f"{code}ORRES").notna() | (text(frame, f"{code}DRVFL") == "Y").fillna(
            False
        )
        bad = needed & text(frame, stresc).isna()
        detail = Detail(f"{code}ORRES is ", text(frame, f"{code}ORRES").fillna("null"))
        tables.append(make_findings(name, frame, bad, variable=stresc, detail=detail, code=code))
    return collect(tables)


def _unit_missing(
    frames: Frames, result: str, unit: str, unitless: frozenset[str] = frozenset()
) -> FindingsTable:
    tables = []
    for name, code, frame in _findings_datasets(frames):
        if f"{code}{unit}" not in frame.columns:
            continue
        values = text(frame, f"{code}{result}")
        # Tests without a unit by definition (pH, specific gravity) are not reported, nor is
        # a zero (a dipstick grade 0, "none"): Pinnacle 21 reports neither on the CDISC pilot
        # (its 874 PH, 874 SPGRAV and 1,723 zero KETONES/UROBIL results), and the pilot's
        # SD0026 318 / SD0029 2,116 are then matched record for record.
        has_unit = ~text(frame, f"{code}TESTCD").isin(list(unitless)).fillna(False)
        numeric = is_numeric_text(values)
        nonzero = pd.to_numeric(values.where(numeric), errors="coerce").fillna(0) != 0
        bad = numeric & nonzero & text(frame, f"{code}{unit}").isna() & has_unit
        detail = Detail(f"{code}{result} is ", values.fillna(""))
        tables.append(
            make_findings(name, frame, bad, variable=f"{code}{unit}", detail=detail, code=code)
        )
    return collect(tables)


def check_standard_unit_missing(frames: Frames, standards: Standards) -> FindingsTable:
    """A numeric --STRESC has a --STRESU (P21 SD0029); unit-less tests excepted."""
    return _unit_missing(frames, "STRESC", "STRESU", standards.unitless_tests)


def check_original_unit_missing(frames: Frames, standards: Standards) -> FindingsTable:
    """A numeric --ORRES has an --ORRESU (P21 SD0026); unit-less tests excepted."""
    return _unit_missing(frames, "ORRES", "ORRESU", standards.unitless_tests)


def check_standard_unit_without_result(frames: Frames, standards: Standards) -> FindingsTable:
    """--STRESU is only populated with a --STRESC (CORE-000133 / CG0426)."""
    tables = []
    for name, code, frame in _findings_datasets(frames):
        stresu = text(frame, f"{code}STRESU")
        bad = stresu.notna() & text(frame, f"{code}STRESC").isna()
        detail = Detail(f"{code}STRESU is ", stresu.fillna(""))
        tables.append(
            make_findings(name, frame, bad, variable=f"{code}STRESC", detail=detail, code=code)
        )
    return collect(tables)


_RESULT_DESCRIBERS = ("ORRESU", "ORNRLO", "ORNRHI", "STNRLO", "STNRHI")


def check_unit_or_range_without_result(frames: Frames, standards: Standards) -> FindingsTable:
    """No unit or reference range on a record with a null --ORRES (P21 SD0027, CORE-000289).

    One finding per record, on --ORRES, naming every unit and range variable populated.
    """
    tables = []
    for name, code, frame in _findings_datasets(frames):
        orres = f"{code}ORRES"
        if orres not in frame.columns:
            continue
        columns = [f"{code}{s}" for s in _RESULT_DESCRIBERS if f"{code}{s}" in frame.columns]
        if not columns:
            continue
        no_result = text(frame, orres).isna()
        # Only the records without a result can be named: their text alone is built.
        named = pd.Series("", index=frame.index[no_result.to_numpy()], dtype="string")
        for column in columns:
            value = text(frame, column).loc[named.index]
            named = named + (column + " is " + value + ", ").where(value.notna(), "")
        bad = no_result & (named != "").reindex(frame.index, fill_value=False)
        detail = named.str.slice(0, -2)
        tables.append(make_findings(name, frame, bad, variable=orres, detail=detail, code=code))
    return collect(tables)


def check_dose_unit_missing(frames: Frames, standards: Standards) -> FindingsTable:
    """--DOSU is populated when --DOSE, --DOSTXT or --DOSTOT is (CORE-000093 / CG0114)."""
    tables = []
    for name, code, frame in datasets(frames):
        dosu = f"{code}DOSU"
        columns = [f"{code}{s}" for s in ("DOSE", "DOSTXT", "DOSTOT") if f"{code}{s}" in frame]
        if not columns:
            continue
        given = pd.concat([text(frame, c).notna() for c in columns], axis=1).any(axis=1)
        bad = given & text(frame, dosu).isna()
        detail = Detail(f"{columns[0]} is ", text(frame, columns[0]).fillna("null"))
        tables.append(make_findings(name, frame, bad, variable=dosu, detail=detail, code=code))
    return collect(tables)


_NON_NEGATIVE = ("DOSE", "DOSTOT", "VAMT")
"""Numeric qualifiers that count or measure an amount given: never below 0."""


def check_negative_amount_or_duration(frames: Frames, standards: Standards) -> FindingsTable:
    """--DOSE, --DOSTOT and --VAMT are not negative, and --DUR is not a negative duration.

    A dose, a total dose or a vehicle amount is a quantity administered (SDTMIG 3.4 variable
    tables: EXDOSE "Amount of EXTRT", CMDOSE "Amount of CMTRT given"); --DUR is a collected
    duration (AEDUR "Collected duration ... of an adverse event", ISO 8601 duration). None of
    them can be below 0; a negative value is a keying or mapping error (a CAR-T dose of
    -1 x 10^6/kg passed, issue 12).
    """
    tables = []
    for name, code, frame in datasets(frames):
        for suffix in _NON_NEGATIVE:
            column = f"{code}{suffix}"
            if column not in frame.columns:
                continue
            values = number(frame, column)
            bad = (values < 0).fillna(False)
            tables.append(
                make_findings(name, frame, bad, variable=column, detail="amount", code=code)
            )
        column = f"{code}DUR"
        if column in frame.columns:
            bad = text(frame, column).str.startswith("-").fillna(False)
            tables.append(
                make_findings(name, frame, bad, variable=column, detail="duration", code=code)
            )
    return collect(tables)


def check_normal_range_high_below_low(frames: Frames, standards: Standards) -> FindingsTable:
    """--STNRHI >= --STNRLO (CORE-000672 / FB3901, P21 SD0028)."""
    tables = []
    for name, code, frame in _findings_datasets(frames):
        lo, hi = number(frame, f"{code}STNRLO"), number(frame, f"{code}STNRHI")
        bad = (hi < lo).fillna(False)
        detail = Detail(f"{code}STNRLO is ", lo.astype("string").fillna(""))
        tables.append(
            make_findings(name, frame, bad, variable=f"{code}STNRHI", detail=detail, code=code)
        )
    return collect(tables)


def check_original_range_high_not_above_low(frames: Frames, standards: Standards) -> FindingsTable:
    """Numeric --ORNRHI > --ORNRLO (CORE-000889 / FB3902)."""
    tables = []
    for name, code, frame in _findings_datasets(frames):
        lo, hi = number(frame, f"{code}ORNRLO"), number(frame, f"{code}ORNRHI")
        bad = (hi <= lo).fillna(False)
        detail = Detail(f"{code}ORNRLO is ", text(frame, f"{code}ORNRLO").fillna(""))
        tables.append(
            make_findings(name, frame, bad, variable=f"{code}ORNRHI", detail=detail, code=code)
        )
    return collect(tables)


def _baseline(frames: Frames):
    for name, code, frame in _findings_datasets(frames):
        flag = f"{code}LOBXFL"
        if flag in frame.columns:
            yield name, code, frame, flag, (text(frame, flag) == "Y").fillna(False)


def check_baseline_flag_duplicate(frames: Frames, standards: Standards) -> FindingsTable:
    """At most one --LOBXFL = Y per subject and assessment (CORE-000915 / FB2604)."""
    tables = []
    for name, code, frame, flag, flagged in _baseline(frames):
        keys = _keys(frame[flagged], ["USUBJID", *_test_columns(frame, code)])
        bad = pd.Series(False, index=frame.index)
        bad[keys.index[keys.duplicated(keep=False)]] = True
        tables.append(
            make_findings(
                name, frame, bad, variable=flag, detail="several baseline records", code=code
            )
        )
    return collect(tables)


def check_baseline_flag_without_standard_result(
    frames: Frames, standards: Standards
) -> FindingsTable:
    """--LOBXFL = Y requires --STRESC (CORE-000105 / CG0569)."""
    tables = []
    for name, code, frame, flag, flagged in _baseline(frames):
        bad = flagged & text(frame, f"{code}STRESC").isna()
        tables.append(
            make_findings(
                name, frame, bad, variable=f"{code}STRESC", detail=f"{flag} is Y", code=code
            )
        )
    return collect(tables)


def check_baseline_flag_without_original_result(
    frames: Frames, standards: Standards
) -> FindingsTable:
    """--LOBXFL = Y requires --ORRES unless derived (CORE-000083 / CG0553)."""
    tables = []
    for name, code, frame, flag, flagged in _baseline(frames):
        derived = (text(frame, f"{code}DRVFL") == "Y").fillna(False)
        bad = flagged & ~derived & text(frame, f"{code}ORRES").isna()
        tables.append(
            make_findings(
                name, frame, bad, variable=f"{code}ORRES", detail=f"{flag} is Y", code=code
            )
        )
    return collect(tables)


def check_baseline_flag_after_first_exposure(frames: Frames, standards: Standards) -> FindingsTable:
    """A --LOBXFL = Y record is not dated after DM.RFXSTDTC (last observation *before*)."""
    dm = frame_of(frames, "DM")
    if dm is None:
        return EMPTY
    first = subject_map(dm, "RFXSTDTC")
    tables = []
    for name, code, frame, flag, flagged in _baseline(frames):
        dtc = text(frame, f"{code}DTC")
        reference = lookup(text(frame, "USUBJID"), first)
        bad = flagged & after(dtc, reference)
        detail = Detail(f"{code}DTC ", dtc.fillna(""), " is after RFXSTDTC ", reference.fillna(""))
        tables.append(make_findings(name, frame, bad, variable=flag, detail=detail, code=code))
    return collect(tables)


def check_toxicity_grade_not_digits(frames: Frames, standards: Standards) -> FindingsTable:
    """--TOXGR holds a grade number only, e.g. "3", not "Grade 3" (CORE-000169 / CG0185)."""
    tables = []
    for name, code, frame in datasets(frames):
        column = f"{code}TOXGR"
        if column not in frame.columns:
            continue
        grade = text(frame, column)
        bad = grade.notna() & ~grade.str.fullmatch(r"\d+").fillna(False).astype(bool)
        tables.append(
            make_findings(name, frame, bad, variable=column, detail="not digits", code=code)
        )
    return collect(tables)


def check_toxicity_without_grade(frames: Frames, standards: Standards) -> FindingsTable:
    """--TOXGR is populated when --TOX is (CORE-000102 / CG0428)."""
    tables = []
    for name, code, frame in datasets(frames):
        tox, grade = f"{code}TOX", f"{code}TOXGR"
        if tox not in frame.columns:
            continue
        bad = text(frame, tox).notna() & text(frame, grade).isna()
        detail = Detail(f"{tox} is ", text(frame, tox).fillna(""))
        tables.append(make_findings(name, frame, bad, variable=grade, detail=detail, code=code))
    return collect(tables)


def check_duplicate_findings_record(frames: Frames, standards: Standards) -> FindingsTable:
    """No two results for the same subject, assessment, visit, time point and date (SD1117)."""
    tables = []
    for name, code, frame in _findings_datasets(frames):
        others = ("VISITNUM", f"{code}TPTNUM", f"{code}DTC", f"{code}EVAL", f"{code}GRPID")
        columns = [c for c in ("USUBJID", *_test_columns(frame, code), *others) if c in frame]
        has_date = text(frame, f"{code}DTC").notna()
        # The first record of each key is the kept one; later ones are the duplicates.
        bad = has_date & frame[columns].duplicated(keep="first")
        tables.append(
            make_findings(
                name,
                frame,
                bad,
                variable=f"{code}TESTCD",
                detail="same subject, test, visit, time point and date as an earlier record",
                code=code,
            )
        )
    return collect(tables)


def check_test_testcd_different_codes(frames: Frames, standards: Standards) -> FindingsTable:
    """--TEST and --TESTCD come from the same CT term (same C-code) (P21 CT2003)."""
    tables = []
    for name, code, frame in _findings_datasets(frames):
        spec = standards.domain(code)
        if spec is None:
            continue
        testcd_var, test_var = spec.variable(f"{code}TESTCD"), spec.variable(f"{code}TEST")
        if testcd_var is None or test_var is None:
            continue
        code_of_cd = _term_codes(standards, testcd_var.codelists)
        code_of_test = _term_codes(standards, test_var.codelists)
        if not code_of_cd or not code_of_test:
            continue
        cd_codes = lookup(text(frame, f"{code}TESTCD"), code_of_cd)
        test_codes = lookup(text(frame, f"{code}TEST"), code_of_test)
        bad = cd_codes.notna() & test_codes.notna() & (cd_codes != test_codes)
        detail = Detail(
            f"{code}TESTCD ",
            text(frame, f"{code}TESTCD").fillna(""),
            " is ",
            cd_codes.fillna(""),
            ", ",
            f"{code}TEST is ",
            test_codes.fillna(""),
        )
        tables.append(
            make_findings(name, frame, bad, variable=f"{code}TEST", detail=detail, code=code)
        )
    return collect(tables)


def _term_codes(standards: Standards, codelists: tuple[str, ...]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for codelist_code in codelists:
        codelist = standards.codelists.get(codelist_code)
        if codelist is None:
            continue
        for term in codelist.terms:
            mapping.setdefault(term.submission_value, term.code)
    return mapping
