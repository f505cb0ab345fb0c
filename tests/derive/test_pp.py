"""derive_pp: kinetic parameters from PC, values worked out by hand in the comments."""

import pandas as pd
import pytest

from sdtm.derive.pp import (
    PP_COLUMNS,
    compute_elapsed_hours,
    compute_interval_area,
    derive_pk_profile_group,
    derive_pp,
)
from sdtm.errors import MappingError, SpecError
from sdtm.mapping.design import PP_PARAMETERS as PARAMETERS
from sdtm.mapping.design import PpSettings
from sdtm.standards import load_standards

REF = "2024-01-01T00:00"
UNIT = "DNA copies/ug"


def _pc(rows):
    """PC frame from (USUBJID, PCSTRESC, PCDTC[, PCSTRESU, PCSTAT]) tuples."""
    records = []
    for number, row in enumerate(rows, start=2):
        usubjid, stresc, dtc, *rest = row
        unit = rest[0] if rest else UNIT
        stat = rest[1] if len(rest) > 1 else None
        number_value = pd.to_numeric(stresc, errors="coerce") if stresc is not None else None
        records.append(
            {
                "STUDYID": "S1",
                "USUBJID": usubjid,
                "PCTESTCD": "PSCACART",
                "PCTEST": "PSCA CAR Transgene",
                "PCSTRESC": stresc,
                "PCSTRESN": number_value,
                "PCSTRESU": unit,
                "PCSTAT": stat,
                "PCSPEC": "BLOOD",
                "PCTPTREF": "CAR-T INFUSION",
                "PCDTC": dtc,
                "PCRFTDTC": REF,
                "_src_file": "ck.csv",
                "_src_row": number,
            }
        )
    frame = pd.DataFrame(records)
    frame["PCSTRESN"] = frame["PCSTRESN"].astype("float64")
    return frame


# Subject 1 (reference 2024-01-01T00:00), actual hours after the reference:
#   -1 h <50 (pre-infusion: not in the profile)
#   24 h 100 | 48 h <50 (before Tmax -> 0) | 72 h 400 (Cmax) | 96 h 200
#   120 h <50 (after Tmax -> left out) | 144 h 100 (Tlast) | 168 h <50 (left out)
# Profile points (0,0) (24,100) (48,0) (72,400) (96,200) (144,100); trapezoids:
#   0-24: 24*(0+100)/2 = 1200    24-48: 24*(100+0)/2 = 1200    48-72: 24*(0+400)/2 = 4800
#   72-96: 24*(400+200)/2 = 7200    96-144: 48*(200+100)/2 = 7200
#   AUCLST (0-144 h) = 21600
#   AUCINT 0-120 h (P5D): C(120) = 200 + (100-200)*24/48 = 150; 96-120: 24*(200+150)/2 = 4200
#   -> 1200 + 1200 + 4800 + 7200 + 4200 = 18600
SUBJECT_1 = [
    ("S1-001", "<50", "2023-12-31T23:00"),
    ("S1-001", "100", "2024-01-02T00:00"),
    ("S1-001", "<50", "2024-01-03T00:00"),
    ("S1-001", "400", "2024-01-04T00:00"),
    ("S1-001", "200", "2024-01-05T00:00"),
    ("S1-001", "<50", "2024-01-06T00:00"),
    ("S1-001", "100", "2024-01-07T00:00"),
    ("S1-001", "<50", "2024-01-08T00:00"),
]
P5D = PpSettings(auc_interval_end="P5D")


def _values(frame, columns=("PPTESTCD", "PPSTRESC", "PPSTRESU")):
    chosen = frame[list(columns)].astype(object)
    return [list(row) for row in chosen.where(chosen.notna(), None).itertuples(index=False)]


def test_derive_pp_profile_in_hours():
    result = derive_pp(_pc(SUBJECT_1), settings=P5D)
    assert _values(result.frame) == [
        ["CMAX", "400", UNIT],
        ["TMAX", "72", "h"],
        ["AUCINT", "18600", "h*DNA copies/ug"],
        ["CLST", "100", UNIT],
        ["TLST", "144", "h"],
        ["AUCLST", "21600", "h*DNA copies/ug"],
    ]
    assert result.findings.frame.empty


def test_derive_pp_profile_in_days():
    # Same profile with days: 72 h = 3, 144 h = 6, 18600/24 = 775, 21600/24 = 900.
    settings = PpSettings(time_unit="day", auc_interval_end="P5D")
    result = derive_pp(_pc(SUBJECT_1), settings=settings)
    assert _values(result.frame) == [
        ["CMAX", "400", UNIT],
        ["TMAX", "3", "day"],
        ["AUCINT", "775", "day*DNA copies/ug"],
        ["CLST", "100", UNIT],
        ["TLST", "6", "day"],
        ["AUCLST", "900", "day*DNA copies/ug"],
    ]


def test_derive_pp_record_variables_and_lineage():
    frame = derive_pp(_pc(SUBJECT_1), settings=P5D).frame
    assert list(frame.columns) == list(PP_COLUMNS)
    assert set(frame["DOMAIN"]) == {"PP"}
    assert set(frame["PPCAT"]) == {"PSCA CAR Transgene"}
    assert set(frame["PPSPEC"]) == {"BLOOD"}
    assert set(frame["PPTPTREF"]) == {"CAR-T INFUSION"}
    assert set(frame["PPRFTDTC"]) == {REF}
    assert frame["PPORRES"].tolist() == frame["PPSTRESC"].tolist()
    assert frame["PPORRESU"].tolist() == frame["PPSTRESU"].tolist()
    assert frame["PPSTRESN"].tolist() == [400.0, 72.0, 18600.0, 100.0, 144.0, 21600.0]
    assert frame["PPTEST"].tolist() == [PARAMETERS[c] for c in frame["PPTESTCD"]]
    assert frame["PPSTAT"].isna().all() and frame["PPREASND"].isna().all()
    # Only AUCINT carries the interval.
    assert _values(frame, ("PPTESTCD", "PPSTINT", "PPENINT"))[2] == ["AUCINT", "PT0H", "P5D"]
    assert frame.drop(index=2)[["PPSTINT", "PPENINT"]].isna().all().all()
    # Cmax record (raw row 5) for CMAX/TMAX/AUCs; last nonzero record (raw row 8) for CLST/TLST.
    assert frame["_src_row"].tolist() == [5, 5, 5, 8, 8, 5]
    assert set(frame["_src_file"]) == {"ck.csv"}


def test_derive_pp_actual_minutes_give_fractional_tmax():
    # Seed case: infusion 10:05, Day 7 sample 09:40 -> 7 d - 25 min = 167.58333 h -> "167.58".
    pc = _pc([("S1-011", "62000", "2024-03-19T09:40"), ("S1-011", "180", "2024-08-23T10:50")])
    pc["PCRFTDTC"] = "2024-03-12T10:05"
    frame = derive_pp(pc, settings=PpSettings(parameters=("CMAX", "TMAX"))).frame
    assert _values(frame) == [["CMAX", "62000", UNIT], ["TMAX", "167.58", "h"]]


def test_derive_pp_all_blq_subject_is_not_done():
    pc = _pc([("S1-002", "<50", "2024-01-02T00:00"), ("S1-002", "BLQ", "2024-01-08T00:00")])
    frame = derive_pp(pc, settings=PpSettings()).frame
    assert _values(frame, ("PPTESTCD", "PPSTAT", "PPREASND")) == [
        [code, "NOT DONE", "ALL CONCENTRATIONS BLQ"] for code in PARAMETERS
    ]
    for column in ("PPORRES", "PPSTRESC", "PPSTRESN", "PPORRESU", "PPSTRESU"):
        assert frame[column].isna().all(), column
    # Traceable to the first post-infusion record (raw row 2).
    assert set(frame["_src_row"]) == {2}


def test_derive_pp_one_measurable_value():
    # Reference 08:00; 50 at 20:00 (12 h) is Cmax and Clast; BLQ at 36 h is after Tmax: left out.
    # AUCLST = triangle (0,0)-(12,50) = 12*50/2 = 300. The last sample (36 h) is more than 24 h
    # before 120 h (P5D), so AUCINT is NOT DONE.
    pc = _pc([("S1-003", "50", "2024-01-01T20:00"), ("S1-003", "<50", "2024-01-02T20:00")])
    pc["PCRFTDTC"] = "2024-01-01T08:00"
    frame = derive_pp(pc, settings=P5D).frame
    assert _values(frame, ("PPTESTCD", "PPSTRESC", "PPSTAT", "PPREASND")) == [
        ["CMAX", "50", None, None],
        ["TMAX", "12", None, None],
        ["AUCINT", None, "NOT DONE", "INSUFFICIENT DATA"],
        ["CLST", "50", None, None],
        ["TLST", "12", None, None],
        ["AUCLST", "300", None, None],
    ]


def test_derive_pp_interval_end_within_tolerance_and_beyond_last_value():
    # Last sample (BLQ) at 100 h, 20 h before the 120 h end: interval covered (tolerance 24 h).
    # Points (0,0) (24,100); BLQ after Tmax left out, so nothing after Tlast:
    # AUCINT = AUCLST = 24*100/2 = 1200.
    pc = _pc([("S1-004", "100", "2024-01-02T00:00"), ("S1-004", "<50", "2024-01-05T04:00")])
    frame = derive_pp(pc, settings=P5D).frame
    assert _values(frame.loc[frame["PPTESTCD"].isin(["AUCINT", "AUCLST"])]) == [
        ["AUCINT", "1200", "h*DNA copies/ug"],
        ["AUCLST", "1200", "h*DNA copies/ug"],
    ]


def test_derive_pp_profiles_are_per_subject_and_test():
    pc = pd.concat(
        [
            _pc(SUBJECT_1),
            _pc([("S1-002", "<50", "2024-01-02T00:00")]),
            _pc([("S1-001", "2.5", "2024-01-02T00:00", "cells/uL")]).assign(
                PCTESTCD="CARTCELL", PCTEST="PSCA CAR+ T Cells"
            ),
        ],
        ignore_index=True,
    )
    frame = derive_pp(pc, settings=PpSettings(parameters=("CMAX", "AUCLST"))).frame
    # CARTCELL: one value 2.5 at 24 h -> AUCLST = 24*2.5/2 = 30.
    assert _values(frame, ("USUBJID", "PPCAT", "PPTESTCD", "PPSTRESC", "PPSTRESU")) == [
        ["S1-001", "PSCA CAR+ T Cells", "CMAX", "2.5", "cells/uL"],
        ["S1-001", "PSCA CAR+ T Cells", "AUCLST", "30", "h*cells/uL"],
        ["S1-001", "PSCA CAR Transgene", "CMAX", "400", UNIT],
        ["S1-001", "PSCA CAR Transgene", "AUCLST", "21600", "h*DNA copies/ug"],
        ["S1-002", "PSCA CAR Transgene", "CMAX", None, None],
        ["S1-002", "PSCA CAR Transgene", "AUCLST", None, None],
    ]


def test_derive_pp_is_independent_of_row_order_and_keeps_input():
    pc = _pc(SUBJECT_1)
    before = pc.copy()
    forward = derive_pp(pc, settings=P5D).frame
    backward = derive_pp(pc.iloc[::-1], settings=P5D).frame
    pd.testing.assert_frame_equal(forward, backward)
    pd.testing.assert_frame_equal(pc, before)


def test_derive_pp_findings_name_the_pc_record():
    pc = _pc(
        [
            ("S1-005", "100", "2024-01-02T00:00"),
            ("S1-005", "300", "2024-01-03"),  # date only: time not derivable (MP0650)
            ("S1-005", ">5000", "2024-01-04T00:00"),  # not a number, not BLQ (MP0651)
            ("S1-005", None, "2024-01-05T00:00", None, "NOT DONE"),  # lost sample: no finding
        ]
    )
    result = derive_pp(pc, settings=PpSettings(parameters=("CMAX",)))
    assert result.findings.rows(["rule_id", "usubjid", "source_file", "source_row", "value"]) == [
        ["MP0650", "S1-005", "ck.csv", 3, "2024-01-03"],
        ["MP0651", "S1-005", "ck.csv", 4, ">5000"],
    ]
    assert "ck.csv:3 (USUBJID S1-005)" in result.findings.frame["message"].iloc[0]
    assert _values(result.frame) == [["CMAX", "100", UNIT]]


def test_derive_pp_mixed_units_are_not_done():
    pc = _pc(
        [
            ("S1-006", "100", "2024-01-02T00:00"),
            ("S1-006", "3", "2024-01-03T00:00", "copies/uL"),
        ]
    )
    result = derive_pp(pc, settings=PpSettings(parameters=("CMAX",)))
    assert result.findings.rows(["rule_id", "usubjid", "source_row"]) == [["MP0652", "S1-006", 2]]
    assert _values(result.frame, ("PPTESTCD", "PPSTAT", "PPREASND")) == [
        ["CMAX", "NOT DONE", "CONCENTRATION UNITS DIFFER"]
    ]


def test_derive_pp_without_post_infusion_samples_gives_no_rows():
    frame = derive_pp(_pc([("S1-007", "<50", "2023-12-31T23:00")]), settings=PpSettings()).frame
    assert list(frame.columns) == list(PP_COLUMNS)
    assert frame.empty


def test_derive_pp_missing_column_is_a_mapping_error():
    with pytest.raises(MappingError, match="PCRFTDTC"):
        derive_pp(_pc(SUBJECT_1).drop(columns="PCRFTDTC"), settings=PpSettings())


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"time_unit": "week"}, "time_unit 'week'"),
        ({"parameters": ("CMAX", "HALF")}, "HALF not supported"),
        ({"auc_interval_start": "P28D", "auc_interval_end": "PT0H"}, "not two increasing"),
        ({"auc_interval_end": "P1M"}, "not two increasing"),
    ],
    ids=["unit", "parameter", "reversed", "months"],
)
def test_pp_settings_reject_unusable_values(kwargs, match):
    with pytest.raises(SpecError, match=match):
        PpSettings(**kwargs)


def test_compute_interval_area_cuts_segments_to_the_window():
    # (0,0)-(10,100) in [5,20]: C(5) = 50 -> 5*(50+100)/2 = 375.
    # (10,100)-(30,0) in [5,20]: C(20) = 50 -> 10*(100+50)/2 = 750.
    # (30,0)-(40,10) lies after the window: 0.
    area = compute_interval_area(
        pd.Series([0.0, 10.0, 30.0]),
        pd.Series([0.0, 100.0, 0.0]),
        pd.Series([10.0, 30.0, 40.0]),
        pd.Series([100.0, 0.0, 10.0]),
        5.0,
        20.0,
    )
    assert area.tolist() == [375.0, 750.0, 0.0]


def test_compute_elapsed_hours_needs_the_hour():
    hours = compute_elapsed_hours(
        pd.Series(["2024-01-02T06:30", "2024-01-02", None, "2024-01-01T09"]),
        pd.Series(["2024-01-01T06:00", "2024-01-01T06:00", "2024-01-01T06:00", "2024-01-01"]),
    )
    assert hours.tolist()[0] == 24.5
    assert hours.iloc[1:].isna().all()


def test_parameter_codes_and_names_are_ct_submission_values():
    standards = load_standards()
    codes = standards.codelists["C85839"]
    names = standards.codelists["C85493"]
    for code, name in PARAMETERS.items():
        assert codes.term(code) is not None, code
        # PPTESTCD and PPTEST are the same concept: same C-code in both codelists.
        assert names.term(name) is not None, name
        assert codes.term(code).code == names.term(name).code, code
    units = standards.codelists["C85494"].submission_values
    assert {"DNA copies/ug", "h*DNA copies/ug", "h", "day"} <= units


def test_pk_profile_group_marks_the_samples_the_profile_uses():
    # issue 11: the PC records a PP profile is computed from carry its group id (PCGRPID), the
    # PP records the same id (PPGRPID), so RELREC can relate the groups (SDTMIG 6.3.5.9).
    rows = [*SUBJECT_1, ("S1-001", None, "2024-01-09T00:00", UNIT, "NOT DONE")]
    pc = _pc(rows)
    groups = derive_pk_profile_group(pc, settings=P5D).frame["PCGRPID"]
    assert groups.astype(object).where(groups.notna(), None).tolist() == [
        None,  # -1 h: the pre-infusion sample is not in the profile
        *["PSCACART-1"] * 7,  # every post-reference sample, measurable or BLQ
        None,  # not done: not a sample
    ]
    pp = derive_pp(pc, settings=P5D).frame
    assert set(pp["PPGRPID"]) == {"PSCACART-1"}
