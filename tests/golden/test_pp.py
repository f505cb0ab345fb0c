"""Golden PP rows of the bundled study: seed subject 101-011 and the all-BLQ subject 101-001.

Kinetic parameters derived from PC by ``sdtm.derive.pp`` (rules in docs/derive.md, PP section):
actual hours from PCRFTDTC (CAR-T infusion start 2024-03-12T10:05 for the seed subject).
"""

from pathlib import Path

import pytest

from sdtm.errors import SpecError
from sdtm.mapping.lineage import read_lineage, trace_record
from sdtm.mapping.spec import MappingSpec
from sdtm.mapping.study import pp_settings

REPO = Path(__file__).resolve().parents[2]
STUDY = REPO / "sample_data" / "cart-psca-001"
SEED = "CART-PSCA-001-101-011"
ALL_BLQ = "CART-PSCA-001-101-001"
COLUMNS = ("PPTESTCD", "PPTEST", "PPSTRESC", "PPSTRESN", "PPSTRESU", "PPSTINT", "PPENINT")


def _rows(frame, columns):
    out = frame[list(columns)].astype(object)
    return [list(row) for row in out.where(out.notna(), None).itertuples(index=False)]


def _transgene(frames, usubjid):
    pp = frames["PP"]
    return pp.loc[(pp["USUBJID"] == usubjid) & (pp["PPCAT"] == "PSCA CAR Transgene")]


def test_seed_subject_transgene_parameters(frames):
    # Day 7 sample 2024-03-19T09:40: 7 d - 25 min after the infusion = 167.58 h (Cmax 62000).
    # Month 6 sample 2024-08-23T10:50 (180, last nonzero): 164 d + 45 min = 3936.75 h.
    # AUCINT 0-672 h, linear trapezoids over the actual hours (0,0) (1.3,120) (23.92,400)
    # (47.92,1200) (70.75,5500) (95.67,14000) (167.58,62000) (237.75,40000) (333.75,21000)
    # (502.25,9800) (671.5,6500), then to 672 h with C(672) = 6500 - 4600*0.5/574.42 = 6496.0:
    # 78 + 5880.33 + 19200 + 76491.67 + 242937.5 + 2732833.33 + 3578500 + 2928000 + 2594900
    # + 1379387.5 + 3249.0 = 13561457.33 h*DNA copies/ug.
    assert _rows(_transgene(frames, SEED), COLUMNS) == [
        ["CMAX", "Max Conc", "62000", 62000.0, "DNA copies/ug", None, None],
        ["TMAX", "Time of CMAX Observation", "167.58", 167.58, "h", None, None],
        [
            "AUCINT",
            "AUC from T1 to T2",
            "13561457.33",
            13561457.33,
            "h*DNA copies/ug",
            "PT0H",
            "P28D",
        ],
        ["CLST", "Last Nonzero Conc", "180", 180.0, "DNA copies/ug", None, None],
        ["TLST", "Time of Last Nonzero Conc", "3936.75", 3936.75, "h", None, None],
        [
            "AUCLST",
            "AUC to Last Nonzero Conc",
            "17799915.83",
            17799915.83,
            "h*DNA copies/ug",
            None,
            None,
        ],
    ]


def test_seed_subject_record_qualifiers_follow_pc(frames):
    rows = _transgene(frames, SEED)
    assert set(rows["DOMAIN"]) == {"PP"}
    assert set(rows["PPSPEC"]) == {"BLOOD"}
    assert set(rows["PPTPTREF"]) == {"CAR-T INFUSION"}
    assert set(rows["PPRFTDTC"]) == {"2024-03-12T10:05"}
    assert rows["PPORRES"].tolist() == rows["PPSTRESC"].tolist()
    assert rows["PPSTAT"].isna().all()


def test_seed_cmax_traces_to_the_day_7_sample(frames, bundled):
    rows = _transgene(frames, SEED)
    seq = rows.loc[rows["PPTESTCD"] == "CMAX", "PPSEQ"].iloc[0]
    traced = trace_record(read_lineage(bundled.out_dir), STUDY, SEED, "PP", seq)
    assert [
        (t.source_file, t.source_row, t.values["NOMTPT"], t.values["RESULT"]) for t in traced
    ] == [("bioanalytical/ck.csv", 462, "D7", "62000")]


def test_all_blq_subject_parameters_not_done(frames):
    pp = frames["PP"]
    rows = pp.loc[pp["USUBJID"] == ALL_BLQ]
    assert len(rows) == 12  # 6 parameters x 2 analytes
    assert set(rows["PPSTAT"]) == {"NOT DONE"}
    assert set(rows["PPREASND"]) == {"ALL CONCENTRATIONS BLQ"}
    assert rows[["PPORRES", "PPSTRESC", "PPSTRESN", "PPSTRESU"]].isna().all().all()


def test_ppseq_numbers_each_subject_from_one(frames):
    pp = frames["PP"]
    seq = pp.groupby("USUBJID")["PPSEQ"]
    assert (seq.min() == 1).all()
    assert (seq.max() == seq.size()).all()
    assert not pp.duplicated(["USUBJID", "PPSEQ"]).any()


def test_no_error_finding_on_pp(bundled):
    frame = bundled.findings.frame
    errors = frame.loc[
        (frame["dataset"] == "PP") & (frame["severity"] == "error") & ~frame["waived"].fillna(False)
    ]
    assert errors[["rule_id", "message"]].values.tolist() == []


def _spec(**settings):
    return MappingSpec(study="s", studyid="S", domains={}, settings=settings)


def test_pp_settings_from_study_settings():
    settings = pp_settings(
        _spec(pp_time_unit="day", pp_parameters="CMAX, TMAX", pp_auc_interval="PT0H/P14D")
    )
    assert (settings.time_unit, settings.parameters) == ("day", ("CMAX", "TMAX"))
    assert (settings.auc_interval_start, settings.auc_interval_end) == ("PT0H", "P14D")
    assert pp_settings(_spec()).time_unit == "h"
    with pytest.raises(SpecError, match="time_unit 'week'"):
        pp_settings(_spec(pp_time_unit="week"))
