import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sdtm.derive.base import compute_canonical_number
from sdtm.derive.standard_results import (
    compute_limit_text,
    derive_reference_range_indicator,
    derive_standard_results,
)
from sdtm.mapping.design import ResultStandards, StandardUnit, UnitConversion

CANONICAL = re.compile(r"^-?(0|[1-9]\d*)(\.\d+)?$")

# Brief 1.5/2.8: SI standard units; conversions declared once per unit pair or test.
STANDARDS = ResultStandards(
    standard_units=(
        StandardUnit("IFNG", "ng/L", 1),
        StandardUnit("INTLK2", "ng/L", 1),
        StandardUnit("INTLK6", "ng/L", 1),
        StandardUnit("CRP", "mg/L", 1),
        StandardUnit("FERRITIN", "ug/L", 0),
        StandardUnit("TRIG", "mmol/L", 2),
        StandardUnit("BILI", "umol/L", 1),
        StandardUnit("PH", None, 2),
    ),
    conversions=(
        UnitConversion("ug/L", "ng/L", 1000),
        UnitConversion("mg/dL", "mg/L", 10),
        UnitConversion.via_molecular_weight("TRIG", "mg/dL", "mmol/L", 885.7),
        UnitConversion.via_molecular_weight("BILI", "mg/dL", "umol/L", 584.66),
    ),
)


def test_brief_lb_example_table():
    # Brief 2.8 example rows (LBORRESU already the CT UNIT value of what the vendor sent).
    lb = pd.DataFrame(
        {
            "USUBJID": ["P1"] * 7,
            "LBTESTCD": ["IFNG", "IFNG", "INTLK2", "INTLK6", "CRP", "FERRITIN", "CXCL10"],
            "LBORRES": ["2600", "0.62", "<2.5", ">5000", "26.0", "18500", None],
            "LBORRESU": ["ng/L", "ug/L", "ng/L", "ng/L", "mg/dL", "ug/L", None],
            "LLOQ": [0.4, 0.0004, 2.5, 1.5, None, None, None],
        }
    )
    result = derive_standard_results(lb, STANDARDS, domain="LB", lloq_var="LLOQ")
    out = result.frame
    assert out["LBSTRESC"].tolist() == ["2600", "620", "<2.5", ">5000", "260", "18500", pd.NA]
    np.testing.assert_array_equal(
        out["LBSTRESN"].to_numpy(), [2600, 620, np.nan, np.nan, 260, 18500, np.nan]
    )
    assert out["LBSTRESU"].tolist() == ["ng/L", "ng/L", "ng/L", "ng/L", "mg/L", "ug/L", pd.NA]
    # LAB B sent its LLOQ in ug/L (0.0004) -> 0.4 ng/L
    np.testing.assert_array_equal(
        out["LBLLOQ"].to_numpy(), [0.4, 0.4, 2.5, 1.5, np.nan, np.nan, np.nan]
    )
    assert len(result.findings) == 0  # the not-done CXCL10 row has nothing to standardize


def test_censored_result_without_lloq_column_infers_lloq():
    lb = pd.DataFrame(
        {"USUBJID": ["P1"], "LBTESTCD": ["IFNG"], "LBORRES": ["< 0.4"], "LBORRESU": ["ug/L"]}
    )
    out = derive_standard_results(lb, STANDARDS, domain="LB").frame
    assert out["LBSTRESC"].tolist() == ["<400"]  # comparator kept, number converted x1000
    assert out["LBSTRESN"].isna().all()
    assert out["LBLLOQ"].tolist() == [400.0]


@pytest.mark.parametrize(
    ("testcd", "orres", "unit", "stresc", "stresu"),
    [
        ("IFNG", "2600", "ng/L", "2600", "ng/L"),  # IL-6/IFNG pg/mL already mapped to ng/L: x1
        ("IFNG", "2.6", "ug/L", "2600", "ng/L"),  # vendor ng/mL (= ug/L) -> ng/L x1000
        ("CRP", "26.0", "mg/dL", "260", "mg/L"),  # x10, trailing zero dropped
        ("TRIG", "300", "mg/dL", "3.39", "mmol/L"),  # 300 x 10/885.7 = 3.387... -> 2 decimals
        ("BILI", "1.2", "mg/dL", "20.5", "umol/L"),  # 1.2 x 17.104 = 20.52 -> 1 decimal
        ("PH", "7.40", None, "7.4", None),  # unitless test
        ("IFNG", "NEGATIVE", None, "NEGATIVE", None),  # text result copied, no unit
    ],
    ids=["same-unit", "ug-to-ng", "crp", "trig-mw", "bili-mw", "unitless", "text"],
)
def test_unit_conversions(testcd, orres, unit, stresc, stresu):
    lb = pd.DataFrame(
        {"USUBJID": ["P1"], "LBTESTCD": [testcd], "LBORRES": [orres], "LBORRESU": [unit]}
    )
    result = derive_standard_results(lb, STANDARDS, domain="LB")
    assert result.frame["LBSTRESC"].tolist() == [stresc]
    assert result.frame["LBSTRESU"].astype("object").where(
        result.frame["LBSTRESU"].notna(), None
    ).tolist() == [stresu]
    assert len(result.findings) == 0


def test_unknown_unit_and_undeclared_test_give_findings_and_keep_orres():
    lb = pd.DataFrame(
        {
            "USUBJID": ["P1", "P1", "P1", "P2"],
            "LBTESTCD": ["INTLK6", "PSA", "CRP", "FERRITIN"],
            "LBORRES": ["12", "48.5", "4", "BLQ"],
            "LBORRESU": ["pg/dL", "ug/L", None, "ug/L"],
            "_src_file": ["lab_b.csv"] * 4,
            "_src_row": [18, 19, 20, 21],
        }
    )
    result = derive_standard_results(lb, STANDARDS, domain="LB")
    out = result.frame
    assert out["LBORRES"].tolist() == ["12", "48.5", "4", "BLQ"]
    assert out["LBSTRESC"].isna().all()
    assert out["LBSTRESN"].isna().all()
    assert result.findings.rows(["rule_id", "source_row", "variable", "value"]) == [
        ["MP0540", 18, "LBORRESU", "pg/dL"],  # brief 4.4 item 18: unit nobody expects
        ["MP0541", 19, "LBSTRESU", "PSA"],  # no standard unit declared for PSA
        ["MP0542", 20, "LBORRESU", "4"],  # numeric result without unit
        ["MP0543", 21, "LBSTRESC", "BLQ"],  # BLQ with no LLOQ
    ]
    assert result.findings.frame["message"].iloc[0] == (
        "lab_b.csv:18 (USUBJID P1): LBTESTCD INTLK6 LBORRES 12 in unit pg/dL has no declared "
        "conversion to ng/L; value kept in LBORRES, standardized result left null; declare the "
        "conversion in the study's unit table [MP0540 unit-without-conversion]"
    )


def test_reference_ranges_are_converted_and_nrind_derived():
    lb = pd.DataFrame(
        {
            "USUBJID": ["P1"] * 5,
            "LBTESTCD": ["CRP", "CRP", "CRP", "IFNG", "CRP"],
            "LBORRES": ["0.3", "26.0", "0.05", "3", "<0.1"],
            "LBORRESU": ["mg/dL"] * 3 + ["ng/L", "mg/dL"],
            "LBORNRLO": ["0.1", "0.1", "0.1", None, "0.1"],
            "LBORNRHI": ["1.0", "1.0", "1.0", None, "n/a"],
        }
    )
    result = derive_standard_results(lb, STANDARDS, domain="LB")
    out = result.frame
    assert out["LBSTNRLO"].tolist()[:3] == [1.0, 1.0, 1.0]
    assert out["LBSTNRHI"].tolist()[:3] == [10.0, 10.0, 10.0]
    assert result.findings.rows(["rule_id", "variable", "value"]) == [["MP0544", "LBSTNRHI", "n/a"]]
    nrind = derive_reference_range_indicator(out, domain="LB")
    # 3 mg/L normal; 260 high; 0.5 low; cytokine without range -> null; "<0.1" mg/dL is
    # "<1" mg/L against a lower limit of 1: certainly below it -> LOW (issue 17)
    assert nrind.frame["LBNRIND"].tolist() == ["NORMAL", "HIGH", "LOW", pd.NA, "LOW"]
    assert len(nrind.findings) == 0


def test_pc_blq_rows_from_brief():
    # Brief 2.9 PC example rows: BLQ -> "<50" with the per-record LLOQ, numbers as is.
    pc = pd.DataFrame(
        {
            "USUBJID": ["P1"] * 3,
            "PCTESTCD": ["PSCACART"] * 3,
            "PCORRES": ["BLQ", "62000", "180"],
            "PCORRESU": ["DNA copies/ug"] * 3,
            "LLOQ": [50, 50, 80],
        }
    )
    standards = ResultStandards(standard_units=(StandardUnit("PSCACART", "DNA copies/ug", 0),))
    out = derive_standard_results(pc, standards, domain="PC", lloq_var="LLOQ").frame
    assert out["PCSTRESC"].tolist() == ["<50", "62000", "180"]
    np.testing.assert_array_equal(out["PCSTRESN"].to_numpy(), [np.nan, 62000, 180])
    assert out["PCSTRESU"].tolist() == ["DNA copies/ug"] * 3
    assert out["PCLLOQ"].tolist() == [50.0, 50.0, 80.0]


@pytest.mark.parametrize(
    ("value", "decimals", "text"),
    [
        (12000.0, 0, "12000"),
        (1.2e-7, 9, "0.00000012"),
        (-0.0001, 2, "0"),
        (0.5, 1, "0.5"),
        (1e20, 0, "100000000000000000000"),
        (3.0, 3, "3"),
        (-2.25, 1, "-2.2"),
    ],
    ids=["no-sci", "small", "neg-zero", "no-leading-dot", "huge", "trailing-zeros", "negative"],
)
def test_compute_canonical_number(value, decimals, text):
    assert compute_canonical_number(pd.Series([value]), decimals).tolist() == [text]


@given(
    st.floats(min_value=-1e12, max_value=1e12, allow_nan=False),
    st.integers(min_value=0, max_value=6),
)
def test_canonical_number_matches_core_regex(value, decimals):
    text = compute_canonical_number(pd.Series([value]), decimals).iloc[0]
    assert CANONICAL.match(text)
    assert float(text) == pytest.approx(value, abs=10 ** (-decimals), rel=1e-12)


def test_molecular_weight_conversion_rejects_unknown_units():
    with pytest.raises(ValueError, match="cannot convert 'U/L'"):
        UnitConversion.via_molecular_weight("ALT", "U/L", "mmol/L", 100.0)


def test_unreadable_lloq_is_reported_once_not_as_missing():
    pc = pd.DataFrame(
        {
            "USUBJID": ["P1"] * 3,
            "PCTESTCD": ["PSCACART"] * 3,
            "PCORRES": ["BLQ", "62000", "BLQ"],
            "PCORRESU": ["DNA copies/ug"] * 3,
            "LLOQ": ["fifty", "50", None],
            "_src_file": ["ck.csv"] * 3,
            "_src_row": [7, 8, 9],
        }
    )
    standards = ResultStandards(standard_units=(StandardUnit("PSCACART", "DNA copies/ug", 0),))
    result = derive_standard_results(pc, standards, domain="PC", lloq_var="LLOQ")
    np.testing.assert_array_equal(result.frame["PCLLOQ"].to_numpy(), [np.nan, 50.0, np.nan])
    # Row 7: the LLOQ sent is unreadable (MP0545, not MP0543); row 9: truly none sent.
    assert result.findings.rows(["rule_id", "source_row", "variable", "value"]) == [
        ["MP0543", 9, "PCSTRESC", "BLQ"],
        ["MP0545", 7, "PCLLOQ", "fifty"],
    ]


# Issue 17: limits keep their precision through unit conversion; the observed values.
PRECISION = ResultStandards(
    standard_units=(
        StandardUnit("PSCACART", "DNA copies/ug", 0),
        StandardUnit("BILI", "umol/L", 0),
        StandardUnit("INTLK6", "ng/L", 0),
    ),
    conversions=(UnitConversion("mg/dL", "umol/L", 17.1), UnitConversion("pg/mL", "ng/L", 1)),
)


@pytest.mark.parametrize(
    ("testcd", "orres", "unit", "lloq", "stresc", "lloq_std"),
    [
        # An LLOQ of 62.5 copies/ug became PCLLOQ 62 and PCSTRESC <62.
        ("PSCACART", "BLQ", "DNA copies/ug", "62.5", "<62.5", 62.5),
        # A censored bound is a limit too: "<1.5" pg/mL stays "<1.5" ng/L (factor 1).
        ("INTLK6", "<1.5", "pg/mL", None, "<1.5", 1.5),
        # The result itself follows the test's decimals (0): 12.46 -> 12.
        ("INTLK6", "12.46", "pg/mL", "1.5", "12", 1.5),
    ],
    ids=["lloq-62.5-blq", "censored-bound", "result-rounded"],
)
def test_limits_keep_their_significant_digits(testcd, orres, unit, lloq, stresc, lloq_std):
    frame = pd.DataFrame(
        {
            "USUBJID": ["P1"],
            "PCTESTCD": [testcd],
            "PCORRES": [orres],
            "PCORRESU": [unit],
            "_LLOQ": [lloq],
        }
    )
    standards = ResultStandards(
        standard_units=PRECISION.standard_units,
        conversions=PRECISION.conversions,
        blq_values=("BLQ",),
    )
    out = derive_standard_results(frame, standards, domain="PC", lloq_var="_LLOQ").frame
    assert out["PCSTRESC"].tolist() == [stresc]
    assert out["PCLLOQ"].tolist() == [lloq_std]


@pytest.mark.parametrize(
    ("unit", "low", "high", "stnrlo", "stnrhi"),
    [
        # The bilirubin low limit 1.71 umol/L became 2 (whole-number results): stays 1.71.
        ("umol/L", "1.71", "20.5", 1.71, 20.5),
        # 0.2 mg/dL x 17.1 = 3.42 umol/L: one significant digit written, so 3; 1.20 (three
        # digits) x 17.1 = 20.52 -> 20.5.
        ("mg/dL", "0.2", "1.20", 3.0, 20.5),
    ],
    ids=["same-unit-1.71", "converted"],
)
def test_reference_range_bounds_keep_their_significant_digits(unit, low, high, stnrlo, stnrhi):
    lb = pd.DataFrame(
        {
            "USUBJID": ["P1"],
            "LBTESTCD": ["BILI"],
            "LBORRES": ["10"],
            "LBORRESU": [unit],
            "LBORNRLO": [low],
            "LBORNRHI": [high],
        }
    )
    out = derive_standard_results(lb, PRECISION, domain="LB").frame
    assert out["LBSTNRLO"].tolist() == [stnrlo]
    assert out["LBSTNRHI"].tolist() == [stnrhi]


def test_no_standard_range_or_unit_where_there_is_no_result():
    # CORE-000298/-000299, P21 SD0027: a not-done or blank result gets no standard range
    # or unit, even when the lab sent them.
    lb = pd.DataFrame(
        {
            "USUBJID": ["P1", "P1"],
            "LBTESTCD": ["BILI", "BILI"],
            "LBORRES": [None, "10"],
            "LBORRESU": ["umol/L", "umol/L"],
            "LBORNRLO": ["3", "3"],
            "LBORNRHI": ["21", "21"],
        }
    )
    out = derive_standard_results(lb, PRECISION, domain="LB").frame
    assert out["LBSTRESU"].tolist() == [pd.NA, "umol/L"]
    assert out["LBSTNRLO"].isna().tolist() == [True, False]
    assert out["LBSTNRHI"].isna().tolist() == [True, False]


@pytest.mark.parametrize(
    ("stresc", "low", "high", "nrind"),
    [
        (">5000", 0.0, 7.0, "HIGH"),  # issue 17: >5000 against an upper limit of 7
        ("<1.5", 2.0, 7.0, "LOW"),  # every value below 1.5 is below 2
        ("<2", 2.0, 7.0, "LOW"),  # below 2 is below the lower limit 2
        ("<=2", 2.0, 7.0, None),  # could be exactly 2, which is normal
        ("<1.5", 0.0, 7.0, "NORMAL"),  # a concentration below 1.5 is within 0-7
        ("<10", 0.0, 7.0, None),  # could be above 7
        (">5", 2.0, 7.0, None),  # could be normal or high
        (">7", 2.0, 7.0, "HIGH"),
        (">=7", 2.0, 7.0, None),
        (">5", 2.0, None, "NORMAL"),  # no upper limit: above 5 is above the lower limit 2
        ("<1.5", None, None, None),  # no range
    ],
    ids=[
        "above-high", "below-low", "below-at-low", "at-most-low", "below-within",
        "below-uncertain", "above-uncertain", "above-at-high", "at-least-high",
        "above-no-upper", "no-range",
    ],
)  # fmt: skip
def test_censored_results_get_nrind_where_the_bound_makes_it_certain(stresc, low, high, nrind):
    lb = pd.DataFrame(
        {
            "LBSTRESC": [stresc],
            "LBSTRESN": [np.nan],
            "LBSTNRLO": [low],
            "LBSTNRHI": [high],
        }
    )
    out = derive_reference_range_indicator(lb, domain="LB").frame
    value = out["LBNRIND"].iloc[0]
    assert (None if pd.isna(value) else value) == nrind


_LIMITS = st.sampled_from(["62.5", " <1.5", "0.2", "1.71", "50", "0.50", "", "fifty", None, "1e3"])


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            _LIMITS,
            st.sampled_from([1.0, 17.1, 0.001, float("nan")]),
            st.sampled_from([0, 1, 2, 4]),
        ),
        max_size=40,
    )
)
def test_limits_worked_out_once_per_distinct_value_equal_the_row_by_row_result(rows):
    from sdtm.derive.standard_results import _limit_texts

    source = pd.Series([r[0] for r in rows], dtype="string", index=range(5, 5 + len(rows)))
    factor = pd.Series([r[1] for r in rows], index=source.index, dtype="float64")
    decimals = pd.Series([r[2] for r in rows], index=source.index)
    row_by_row = _limit_texts(source, factor, decimals.astype("float64"))
    got = compute_limit_text(source, factor, decimals)
    assert got.index.equals(source.index)
    assert got.astype(object).where(got.notna(), None).tolist() == (
        row_by_row.astype(object).where(row_by_row.notna(), None).tolist()
    )


def test_a_limit_keeps_its_written_digits_per_row_when_values_repeat():
    # Worked by hand: 62.5 x 1 at 0 decimals stays 62.5; 0.2 mg/dL x 17.1 = 3.42 -> 3.4 umol/L
    # (one significant digit written, at least 1 decimal); the same text with another factor
    # gives its own result.
    source = pd.Series(["62.5", "0.2", "62.5", "0.2"], dtype="string")
    factor = pd.Series([1.0, 17.1, 1.0, 1.0])
    got = compute_limit_text(source, factor, pd.Series([0, 1, 0, 1]))
    assert got.tolist() == ["62.5", "3.4", "62.5", "0.2"]


_LIMITS = st.one_of(st.none(), st.sampled_from(["62.5", "<1.5", "0.2", "fifty", " 3 ", "1e3", ""]))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            _LIMITS,
            st.one_of(st.none(), st.sampled_from([1.0, 17.1, 0.001])),
            st.integers(min_value=0, max_value=3),
        ),
        max_size=25,
    )
)
def test_limit_text_once_per_distinct_equals_every_row_worked_out(rows):
    from sdtm.derive.standard_results import _limit_texts

    source = pd.Series([r[0] for r in rows], dtype="string", index=range(5, 5 + len(rows)))
    factor = pd.Series([r[1] for r in rows], dtype="float64", index=source.index)
    decimals = pd.Series([r[2] for r in rows], dtype="int64", index=source.index)
    expected = _limit_texts(source, factor, decimals.astype("float64"))
    out = compute_limit_text(source, factor, decimals)
    assert out.index.equals(source.index)
    assert [None if pd.isna(v) else v for v in out] == [
        None if pd.isna(v) else v for v in expected
    ]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.sampled_from(["12", "12.50", "-0", "1e400", "inf", "fifty", "9007199254740993"]),
            st.text(alphabet="0123456789.-e ", max_size=6),
        ),
        max_size=25,
    )
)
def test_parse_numbers_equals_to_numeric_of_each_value(values):
    from sdtm.derive.base import parse_numbers

    series = pd.Series(values, dtype="string")
    expected = [
        np.nan if value is None else float(pd.to_numeric(pd.Series([value]), errors="coerce")[0])
        for value in values
    ]
    np.testing.assert_array_equal(parse_numbers(series).to_numpy(), np.array(expected, float))
