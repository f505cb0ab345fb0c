from sdtm.derive.design import StudyDesign, TsParameter
from sdtm.derive.ts import FDA_REQUIRED_PARAMETERS, build_ts


def _design(*params):
    return StudyDesign(studyid="CART-PSCA-001", arms=(), elements=(), ts_parameters=params)


def test_build_ts_numbers_repeats_and_splits_long_values():
    title = "A Phase 1 Study of PSCA CAR-T " * 10  # 300 characters
    result = build_ts(
        _design(
            TsParameter("SSTDTC", "Study Start Date", "2024-01-15"),
            TsParameter("TTYPE", "Trial Type", "SAFETY"),
            TsParameter("TTYPE", "Trial Type", "DOSE FINDING"),
            TsParameter("AGEMAX", "Planned Maximum Age of Subjects", tsvalnf="PINF"),
            TsParameter("SDTIGVER", "SDTM IG Version", "3.4"),
            TsParameter("TITLE", "Trial Title", title),
        ),
        required={"SSTDTC": "SD2232", "SDTIGVER": "", "REGID": "SD2221"},
    )
    ts = result.frame
    assert ts[["TSSEQ", "TSPARMCD"]].values.tolist() == [
        [1, "SSTDTC"],
        [1, "TTYPE"],
        [2, "TTYPE"],
        [1, "AGEMAX"],
        [1, "SDTIGVER"],
        [1, "TITLE"],
    ]
    assert ts["TSVALNF"].tolist()[3] == "PINF"
    assert ts["TSVAL"].str.len().max() == 200
    assert ts["TSVAL"].iloc[5] + ts["TSVAL1"].iloc[5] == title
    assert result.findings.rows(["rule_id", "value"]) == [["MP0641", "REGID"]]


def test_build_ts_null_value_needs_null_flavor():
    result = build_ts(_design(TsParameter("ADDON", "Added on to Existing Treatments")), required={})
    assert result.findings.rows(["rule_id", "severity"]) == [["MP0640", "error"]]


def test_fda_required_parameters_include_sstdtc_and_sdtigver():
    assert FDA_REQUIRED_PARAMETERS["SSTDTC"] == "SD2232"
    assert "SDTIGVER" in FDA_REQUIRED_PARAMETERS
    assert len(build_ts(_design()).findings) == len(FDA_REQUIRED_PARAMETERS)
