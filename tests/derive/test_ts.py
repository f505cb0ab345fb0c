import pandas as pd

from sdtm.derive.ts import RULE_IDS, build_ts, derive_ts_actual_subjects
from sdtm.mapping.design import StudyDesign, TsParameter


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
        )
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


def test_build_ts_leaves_gaps_to_validation():
    # A missing FDA parameter (ST0107) or a null TSVAL without TSVALNF (ST0109) is reported
    # once, by validation on the built TS; the builder reports nothing (MP0640/MP0641 retired).
    result = build_ts(_design(TsParameter("ADDON", "Added on to Existing Treatments")))
    assert result.frame["TSPARMCD"].tolist() == ["ADDON"]
    assert result.frame["TSVAL"].isna().all()
    assert len(result.findings) == 0
    assert RULE_IDS == ()


def test_built_ts_gaps_are_found_once_by_validation():
    from sdtm.standards import load_standards
    from sdtm.validate.registry import build_registry, run_rules

    ts = build_ts(_design(TsParameter("ADDON", "Added on to Existing Treatments"))).frame
    found = run_rules({"TS": ts}, load_standards(), build_registry(), select=["ST01"])
    rows = found.rows(["rule_id", "value"])
    assert ["ST0109", None] in rows  # null TSVAL without TSVALNF
    assert ["ST0108", "SSTDTC"] in rows  # no study start date
    assert ["ST0107", "AGEMIN"] in rows  # each FDA parameter other than ADDON, once
    assert ["ST0107", "ADDON"] not in rows
    # 32 listed parameters besides ADDON and SSTDTC (own rule), less CURTRT (asked for only
    # when ADDON is Y, P21 SD2216) and TDIGRP (only when HLTSUBJI is N, SD2211): issue 17.
    assert len([r for r in rows if r[0] == "ST0107"]) == 30


def test_actsub_is_counted_from_the_subjects_exposed():
    # issue 11: ACTSUB is a fact of the data. S1 and S2 have a first exposure (RFXSTDTC); S3 is
    # a screen failure, S4 was assigned but never dosed: 2 subjects.
    ts = pd.DataFrame(
        {
            "TSPARMCD": ["ACTSUB", "PLANSUB"],
            "TSVAL": [None, "26"],
            "TSVALNF": [None, None],
        }
    )
    dm = pd.DataFrame(
        {
            "USUBJID": ["S1", "S2", "S3", "S4"],
            "RFXSTDTC": ["2024-03-07T09:00", "2024-03-10", None, ""],
        }
    )
    out = derive_ts_actual_subjects(ts, dm).frame
    assert out["TSVAL"].tolist() == ["2", "26"]


def test_actsub_given_in_the_design_is_kept():
    ts = pd.DataFrame({"TSPARMCD": ["ACTSUB"], "TSVAL": ["30"], "TSVALNF": [None]})
    dm = pd.DataFrame({"USUBJID": ["S1"], "RFXSTDTC": ["2024-03-07"]})
    assert derive_ts_actual_subjects(ts, dm).frame["TSVAL"].tolist() == ["30"]
