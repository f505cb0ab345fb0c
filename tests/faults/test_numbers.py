"""Numbers that cannot be right (issue 12) and spec mistakes that were accepted silently.

From the fault corpus: ``units.yaml`` ``factor: 0`` turned every CRP standard result into 0; a
negative CAR-T dose passed; a decimal comma "1,5" was reported as a codelist problem; a duplicate
unconditional step for one target was ignored; a duplicate VISITNUM was reported on TV without
naming visits.yaml or the value.
"""

import shutil

import pandas as pd
import pytest

from sdtm.derive.standard_results import derive_standard_results
from sdtm.errors import SpecError
from sdtm.mapping.design import ResultStandards, StandardUnit, UnitConversion
from sdtm.pipeline import load_mapping
from sdtm.standards import load_standards
from sdtm.validate.registry import build_registry, run_rules


@pytest.fixture(scope="module")
def standards():
    return load_standards()


@pytest.fixture
def mapping(tmp_path, kit):
    folder = tmp_path / "tiny"
    shutil.copytree(kit.tiny / "mappings" / "tiny", folder)
    return folder


@pytest.mark.parametrize(
    "factor", ["0", "-10", ".nan", "inf"], ids=["zero", "negative", "nan", "inf"]
)
def test_unit_factor_must_be_above_zero(mapping, standards, factor):
    (mapping / "units.yaml").write_text(
        "conversions:\n  - {testcd: CRP, from: mg/dL, to: mg/L, factor: 10}\n"
        f"  - {{testcd: CRP, from: g/L, to: mg/L, factor: {factor}}}\n"
    )
    with pytest.raises(SpecError, match=r"tiny/units\.yaml:3: .*factor.*\[MP0106"):
        load_mapping(mapping, standards)


def test_duplicate_visitnum_names_visits_yaml_and_the_value(mapping, standards):
    (mapping / "visits.yaml").write_text(
        "visits:\n"
        "  - {visitnum: 1, visit: SCREENING}\n"
        "  - {visitnum: 2, visit: DAY 1}\n"
        "  - {visitnum: 1, visit: APHERESIS}\n"
    )
    with pytest.raises(SpecError) as error:
        load_mapping(mapping, standards)
    assert (
        "tiny/visits.yaml:4: visits: VISITNUM 1 of visit 'APHERESIS' is already given at "
        "tiny/visits.yaml:2; each planned visit needs its own VISITNUM [MP0106 spec-malformed]"
    ) in str(error.value)


@pytest.mark.parametrize(
    ("second", "why"),
    [
        ("{target: AEOUT, algorithm: assign_ct, source: AEOUT, codelist: OUT}",
         "reads the same source with the same algorithm"),
        ("{target: AETERM, algorithm: assign_no_ct, source: AEPT}", None),
    ],
    ids=["same-step-twice", "fallback-source-is-fine"],
)  # fmt: skip
def test_duplicate_unconditional_step_is_a_spec_problem(mapping, standards, second, why):
    spec = mapping / "ae.yaml"
    spec.write_text(spec.read_text().rstrip("\n") + f"\n  - {second}\n")
    if why is None:
        load_mapping(mapping, standards)  # a later step as a fallback source is allowed
        return
    expected = (
        rf"tiny/ae\.yaml:11: AE\.AEOUT: this step never fills a value: the step at "
        rf"tiny/ae\.yaml:9 has no condition and {why}.*\[MP0110 step-never-applies\]"
    )
    with pytest.raises(SpecError, match=expected):
        load_mapping(mapping, standards)


def test_step_after_an_unconditional_hardcode_is_a_spec_problem(mapping, standards):
    spec = mapping / "dm.yaml"
    text = spec.read_text().replace(
        "  - {target: COUNTRY, algorithm: assign_no_ct, source: COUNTRY}",
        "  - {target: COUNTRY, algorithm: hardcode_no_ct, value: USA}\n"
        "  - {target: COUNTRY, algorithm: assign_no_ct, source: COUNTRY}",
    )
    spec.write_text(text)
    expected = r"tiny/dm\.yaml:11: DM\.COUNTRY: .* at tiny/dm\.yaml:10 .* always gives 'USA'"
    with pytest.raises(SpecError, match=expected):
        load_mapping(mapping, standards)


def test_negative_dose_and_duration_are_findings(standards):
    frames = {
        "EX": pd.DataFrame(
            {
                "STUDYID": ["S1"] * 3,
                "DOMAIN": ["EX"] * 3,
                "USUBJID": ["S1-001", "S1-002", "S1-003"],
                "EXSEQ": [1.0, 1.0, 1.0],
                "EXTRT": ["CART-PSCA"] * 3,
                "EXDOSE": [1.0, -1.0, 0.0],  # row 2: a minus sign typed by mistake
                "EXDOSU": ["10^6/kg"] * 3,
                "EXDUR": ["PT25M", None, "-PT10M"],
            }
        )
    }
    found = run_rules(frames, standards, build_registry(), select=["ST0117"])
    assert found.rows(["rule_id", "severity", "row", "variable", "value"]) == [
        ["ST0117", "error", 2, "EXDOSE", "-1"],
        ["ST0117", "error", 3, "EXDUR", "-PT10M"],
    ]
    assert found.rows(["message"])[0][0].endswith(
        "EXDOSE -1 is a negative amount [ST0117 negative-amount-or-duration]"
    )


def test_decimal_comma_is_not_a_number_rather_than_a_codelist_problem():
    lb = pd.DataFrame(
        {
            "USUBJID": ["P1", "P1", "P1"],
            "LBTESTCD": ["CRP", "CRP", "CRP"],
            "LBORRES": ["1,5", "<0,5", "1.5"],
            "LBORRESU": ["mg/dL", "mg/dL", "mg/dL"],
        }
    )
    standards = ResultStandards(
        standard_units=(StandardUnit("CRP", "mg/L", 1),),
        conversions=(UnitConversion("mg/dL", "mg/L", 10),),
    )
    result = derive_standard_results(lb, standards, domain="LB")
    assert result.frame["LBSTRESC"].tolist() == [pd.NA, pd.NA, "15"]
    assert result.frame["LBSTRESU"].tolist() == [pd.NA, pd.NA, "mg/L"]
    assert result.findings.rows(["rule_id", "severity", "variable", "value"]) == [
        ["MP0546", "error", "LBORRES", "1,5"],
        ["MP0546", "error", "LBORRES", "<0,5"],
    ]
    assert "LBORRES 1,5 is not a number (decimal comma?)" in result.findings.rows(["message"])[0][0]
