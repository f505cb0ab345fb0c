import pandas as pd

from sdtm.mapping.algorithms import MapContext
from sdtm.mapping.engine import map_domain
from sdtm.mapping.spec import Block, Condition, DomainMapping, Join, Operator, Step, When


def _raw(make_raw):
    ae = make_raw(
        "edc/ae.csv",
        {
            "SUBJID": ["101-001", "101-001", "101-002"],
            "LINE": ["1", "2", "1"],
            "AETERM": ["Fever", "Rash", "Cough"],
            "AEPT": ["Pyrexia", "", "Cough"],
            "AESER": ["Yes", "No", "Maybe"],
            "AEOUT": ["RESOLVED", "FATAL", ""],
        },
    )
    dm = make_raw("edc/dm.csv", {"SUBJID": ["101-001", "101-002"], "SITEID": ["101", "101"]})
    return {"edc/ae.csv": ae, "edc/dm.csv": dm}


def _mapping(steps, where=None, joins=()):
    return DomainMapping("AE", (Block("edc/ae.csv", tuple(steps), where, tuple(joins)),))


def test_map_domain_coalesces_ordered_sources_first_non_null_wins(make_raw, small_standards):
    steps = [
        Step("USUBJID", "assign_concat", value="S1", sources=("SUBJID",)),
        Step("AEDECOD", "assign_no_ct", source="AEPT"),
        Step("AEDECOD", "assign_no_ct", source="AETERM"),  # fallback when not coded
        Step("AEDECOD", "hardcode_no_ct", value="NEVER USED"),
    ]
    result = map_domain(_raw(make_raw), _mapping(steps), MapContext("AE", small_standards))
    assert result.frame["AEDECOD"].tolist() == ["Pyrexia", "Rash", "Cough"]
    assert result.frame["DOMAIN"].tolist() == ["AE"] * 3
    assert result.frame["_src_row"].tolist() == [2, 3, 4]


def test_map_domain_when_condition_limits_a_step(make_raw, small_standards):
    steps = [
        Step(
            "AESER",
            "hardcode_ct",
            value="Y",
            codelist="NY",
            when=When("all", (Condition("AESER", Operator.EQ, "Yes"),)),
        ),
        Step(
            "AESER",
            "hardcode_ct",
            value="N",
            codelist="NY",
            when=When("all", (Condition("AESER", Operator.EQ, "No"),)),
        ),
    ]
    result = map_domain(_raw(make_raw), _mapping(steps), MapContext("AE", small_standards))
    assert [None if pd.isna(v) else v for v in result.frame["AESER"]] == ["Y", "N", None]


def test_map_domain_findings_carry_subject_and_location(make_raw, small_standards):
    steps = [
        Step("USUBJID", "assign_concat", value="S1", sources=("SUBJID",)),
        Step("AEOUT", "assign_ct", source="AEOUT", codelist="OUT"),
        Step("AESER", "assign_ct", source="AESER", codelist="NY"),
    ]
    result = map_domain(_raw(make_raw), _mapping(steps), MapContext("AE", small_standards))
    # "RESOLVED" is a CDISC synonym of RECOVERED/RESOLVED; the blank outcome stays missing
    assert [None if pd.isna(v) else v for v in result.frame["AEOUT"]] == [
        "RECOVERED/RESOLVED",
        "FATAL",
        None,
    ]
    assert result.findings.rows(["rule_id", "usubjid", "source_row", "variable", "value"]) == [
        ["MP0010", "S1-101-002", 4, "AESER", "Maybe"]
    ]


def test_map_domain_where_join_and_lineage(make_raw, small_standards):
    steps = [
        Step("USUBJID", "assign_concat", value="S1", sources=("DM_SITEID", "SUBJID")),
        Step("AETERM", "assign_no_ct", source="AETERM"),
    ]
    where = When("all", (Condition("AETERM", Operator.NE, "Rash"),))
    join = Join("edc/dm.csv", (("SUBJID", "SUBJID"),), "DM_")
    result = map_domain(
        _raw(make_raw), _mapping(steps, where, [join]), MapContext("AE", small_standards)
    )
    assert result.frame["USUBJID"].tolist() == ["S1-101-101-001", "S1-101-101-002"]
    lineage = result.lineage.sort_values(["_rec", "_src_id"])
    assert lineage["_src_id"].tolist() == [
        "edc/ae.csv:2",
        "edc/dm.csv:2",
        "edc/ae.csv:4",
        "edc/dm.csv:3",
    ]


def test_map_domain_reports_duplicated_lookup_keys(make_raw, small_standards):
    raw = _raw(make_raw)
    raw["edc/dm.csv"] = make_raw(
        "edc/dm.csv", {"SUBJID": ["101-001", "101-001"], "SITEID": ["101", "999"]}
    )
    join = Join("edc/dm.csv", (("SUBJID", "SUBJID"),), "DM_")
    steps = [Step("AETERM", "assign_no_ct", source="DM_SITEID")]
    result = map_domain(raw, _mapping(steps, None, [join]), MapContext("AE", small_standards))
    assert result.frame["AETERM"].tolist()[:2] == ["101", "101"]
    assert result.findings.rows(["rule_id", "source_file", "source_row", "value"]) == [
        ["MP0014", "edc/dm.csv", 3, "101-001"]
    ]
    assert result.reported_ids == frozenset({"edc/dm.csv:3"})


def test_map_domain_collects_supp_and_links(make_raw, small_standards):
    steps = [
        Step("USUBJID", "assign_concat", value="S1", sources=("SUBJID",)),
        Step(
            "AETRTEM", "split_to_supp", value="Y", qlabel="Treatment Emergent Flag", qorig="Derived"
        ),
        Step("AE", "relrec", source="LINE", rdomain="CM", rvariable="CMSPID"),
    ]
    result = map_domain(_raw(make_raw), _mapping(steps), MapContext("AE", small_standards))
    assert [t.qnam for t in result.supp] == ["AETRTEM"]
    assert result.frame["_SUPP_AETRTEM"].tolist() == ["Y", "Y", "Y"]
    assert len(result.links) == 1
    assert result.frame[result.links[0].column].tolist() == ["1", "2", "1"]


def test_later_sources_do_not_read_rows_already_filled(make_raw, small_standards):
    raw = _raw(make_raw)
    raw["edc/ae.csv"] = raw["edc/ae.csv"].assign(OUT2=["garbage", "garbage", "FATAL"])
    steps = [
        Step("AEOUT", "assign_ct", source="AEOUT", codelist="OUT"),
        Step("AEOUT", "assign_ct", source="OUT2", codelist="OUT"),
    ]
    result = map_domain(raw, _mapping(steps), MapContext("AE", small_standards))
    assert result.frame["AEOUT"].tolist() == ["RECOVERED/RESOLVED", "FATAL", "FATAL"]
    assert len(result.findings) == 0  # 'garbage' sat in rows already filled


def _race_step(column, term):
    return Step(
        "RACE#",
        "split_to_supp",
        value=term,
        qlabel="Race",
        qorig="CRF",
        when=When("all", (Condition(column, Operator.EQ, "1"),)),
    )


def test_numbered_supp_target_keeps_every_ticked_box(make_raw, small_standards):
    dm = make_raw(
        "edc/dm.csv",
        {
            "SUBJID": ["A", "B", "C", "D"],
            "RACE_AMIND": ["1", "0", "0", "0"],
            "RACE_ASIAN": ["0", "1", "0", "0"],
            "RACE_BLACK": ["1", "0", "0", "0"],
            "RACE_WHITE": ["1", "1", "1", "0"],
        },
    )
    steps = [
        Step("USUBJID", "assign_no_ct", source="SUBJID"),
        _race_step("RACE_AMIND", "AMERICAN INDIAN OR ALASKA NATIVE"),
        _race_step("RACE_ASIAN", "ASIAN"),
        _race_step("RACE_BLACK", "BLACK OR AFRICAN AMERICAN"),
        _race_step("RACE_WHITE", "WHITE"),
    ]
    mapping = DomainMapping("DM", (Block("edc/dm.csv", tuple(steps)),))
    result = map_domain({"edc/dm.csv": dm}, mapping, MapContext("DM", small_standards))
    races = result.frame[["_SUPP_RACE1", "_SUPP_RACE2", "_SUPP_RACE3"]].astype(object)
    assert races.where(races.notna(), None).values.tolist() == [
        ["AMERICAN INDIAN OR ALASKA NATIVE", "BLACK OR AFRICAN AMERICAN", "WHITE"],  # 3 races
        ["ASIAN", "WHITE", None],
        ["WHITE", None, None],
        [None, None, None],
    ]
    assert [(t.qnam, t.qlabel, t.qorig) for t in result.supp] == [
        ("RACE1", "Race 1", "CRF"),
        ("RACE2", "Race 2", "CRF"),
        ("RACE3", "Race 3", "CRF"),
    ]
    assert "_SUPP_RACE#" not in result.frame.columns


def test_to_ascii_step_transliterates_and_reports_each_changed_value(make_raw, small_standards):
    raw = make_raw(
        "edc/ae.csv", {"SUBJID": ["1", "2", "3"], "AETERM": ["Fi\u00e8vre", "Rash", "38 \u00b0C"]}
    )
    steps = [
        Step("USUBJID", "assign_no_ct", source="SUBJID"),
        Step("AETERM", "assign_no_ct", source="AETERM", to_ascii=True),
    ]
    mapping = DomainMapping("AE", (Block("edc/ae.csv", tuple(steps)),))
    result = map_domain({"edc/ae.csv": raw}, mapping, MapContext("AE", small_standards))
    # the degree sign has no ASCII form: kept (the XPT preflight reports it), no MP0015
    assert result.frame["AETERM"].tolist() == ["Fievre", "Rash", "38 \u00b0C"]
    assert result.findings.rows(
        ["rule_id", "severity", "source_file", "source_row", "variable", "value", "usubjid"]
    ) == [["MP0015", "warning", "edc/ae.csv", 2, "AETERM", "Fi\u00e8vre", "1"]]
    assert "as 'Fievre'" in result.findings.frame["message"].iloc[0]


def test_without_to_ascii_the_value_is_kept(make_raw, small_standards):
    raw = make_raw("edc/ae.csv", {"SUBJID": ["1"], "AETERM": ["Fi\u00e8vre"]})
    steps = [Step("AETERM", "assign_no_ct", source="AETERM")]
    mapping = DomainMapping("AE", (Block("edc/ae.csv", tuple(steps)),))
    result = map_domain({"edc/ae.csv": raw}, mapping, MapContext("AE", small_standards))
    assert result.frame["AETERM"].tolist() == ["Fi\u00e8vre"]
    assert len(result.findings) == 0


def _grades(make_raw):
    # Issue 17: the CRS event of 101-002 has no grade on the protocol scale (ASTCT, AECRSGR)
    # but a CTCAE grade; the coalesce took the CTCAE grade while SUPPAE named ASTCT.
    return {
        "edc/ae.csv": make_raw(
            "edc/ae.csv",
            {
                "SUBJID": ["101-001", "101-002", "101-003"],
                "AECRS": ["1", "1", "0"],
                "AECRSGR": ["2", "", ""],
                "AEGRADE": ["2", "3", "1"],
            },
        )
    }


GRADE_STEPS = [
    Step("USUBJID", "assign_concat", value="S1", sources=("SUBJID",)),
    Step(
        "AESPID",
        "assign_no_ct",
        source="AECRSGR",
        when=When("all", (Condition("AECRS", Operator.EQ, "1"),)),
    ),
    Step("AESPID", "assign_no_ct", source="AEGRADE"),
]


def test_a_step_whose_condition_holds_but_source_is_empty_is_reported(make_raw, small_standards):
    # AESPID of the small standards stands in for AETOXGR (any variable target works).
    result = map_domain(_grades(make_raw), _mapping(GRADE_STEPS), MapContext("AE", small_standards))
    assert result.frame["AESPID"].tolist() == ["2", "3", "1"]  # coalesce unchanged
    found = result.findings.frame
    assert found[["rule_id", "source_row", "variable", "value"]].values.tolist() == [
        ["MP0042", 3, "AESPID", "AECRSGR"]
    ]
    assert found["message"].iloc[0] == (
        "edc/ae.csv:3 AECRSGR -> AE.AESPID: the condition of the step (all of: AECRS eq '1'; "
        "<memory>) holds but AECRSGR is empty; AESPID was taken from AEGRADE (<memory>) "
        "instead; complete the source [MP0042 conditional-source-empty]"
    )


def test_a_declared_fallback_under_the_same_condition_is_not_reported(make_raw, small_standards):
    same = When("all", (Condition("AECRS", Operator.EQ, "1"),))
    steps = [
        GRADE_STEPS[0],
        Step("AESPID", "assign_no_ct", source="AECRSGR", when=same),
        Step("AESPID", "assign_no_ct", source="AEGRADE", when=same),
    ]
    result = map_domain(_grades(make_raw), _mapping(steps), MapContext("AE", small_standards))
    assert "MP0042" not in set(result.findings.frame["rule_id"])
