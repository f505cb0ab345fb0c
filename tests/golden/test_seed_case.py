"""Golden rows for the seed-case subject 101-011 (brief 4.3), written by hand and compared by keys.

Values come from the sample study's README (seed-case section) and the raw files; SDTM rules
applied by hand: study day 1 = CAR-T infusion day (protocol Day 0), no day 0; units as CT
submission values; LBSTRESU SI.
"""

import pandas as pd

SEED = "CART-PSCA-001-101-011"


def _seed(frames, name, columns, where=None):
    frame = frames[name]
    frame = frame.loc[frame["USUBJID"] == SEED]
    if where is not None:
        frame = frame.loc[where(frame)]
    out = frame[list(columns)].astype(object)
    return out.where(out.notna(), None)


def _compare(actual: pd.DataFrame, expected: list[tuple], columns, keys):
    expected_frame = pd.DataFrame(expected, columns=list(columns)).astype(object)
    expected_frame = expected_frame.where(expected_frame.notna(), None)
    actual = actual.sort_values(list(keys)).reset_index(drop=True)
    expected_frame = expected_frame.sort_values(list(keys)).reset_index(drop=True)
    pd.testing.assert_frame_equal(actual, expected_frame, check_dtype=False)


EX_COLUMNS = ("EXTRT", "EXDOSE", "EXDOSU", "EXROUTE", "EXSTDTC", "EXENDTC", "EXSTDY", "EPOCH")


def test_ex_lymphodepletion_and_car_t(frames):
    expected = [
        # Flu 30 mg/m2 + Cy 500 mg/m2 on protocol Days -5..-3 (study days -5..-3), BSA 2.05
        (
            "FLUDARABINE",
            30.0,
            "mg/m2",
            "INTRAVENOUS",
            "2024-03-07T09:00",
            "2024-03-07T09:30",
            -5,
            "TREATMENT",
        ),
        (
            "CYCLOPHOSPHAMIDE",
            500.0,
            "mg/m2",
            "INTRAVENOUS",
            "2024-03-07T09:45",
            "2024-03-07T10:45",
            -5,
            "TREATMENT",
        ),
        (
            "FLUDARABINE",
            30.0,
            "mg/m2",
            "INTRAVENOUS",
            "2024-03-08T09:00",
            "2024-03-08T09:30",
            -4,
            "TREATMENT",
        ),
        (
            "CYCLOPHOSPHAMIDE",
            500.0,
            "mg/m2",
            "INTRAVENOUS",
            "2024-03-08T09:45",
            "2024-03-08T10:45",
            -4,
            "TREATMENT",
        ),
        (
            "FLUDARABINE",
            30.0,
            "mg/m2",
            "INTRAVENOUS",
            "2024-03-09T09:00",
            "2024-03-09T09:30",
            -3,
            "TREATMENT",
        ),
        (
            "CYCLOPHOSPHAMIDE",
            500.0,
            "mg/m2",
            "INTRAVENOUS",
            "2024-03-09T09:45",
            "2024-03-09T10:45",
            -3,
            "TREATMENT",
        ),
        # one record for the two-bag infusion: start of bag 1 to end of bag 2, 6.0 x10^6/kg
        (
            "PSCA CAR-T",
            6.0,
            "10^6/kg",
            "INTRAVENOUS",
            "2024-03-12T10:05",
            "2024-03-12T10:32",
            1,
            "TREATMENT",
        ),
    ]
    _compare(_seed(frames, "EX", EX_COLUMNS), expected, EX_COLUMNS, ("EXSTDTC",))


def test_suppex_car_t_totals(frames):
    supp = frames["SUPPEX"]
    ex = frames["EX"]
    seq = ex.loc[(ex["USUBJID"] == SEED) & (ex["EXTRT"] == "PSCA CAR-T"), "EXSEQ"].iloc[0]
    rows = supp.loc[(supp["USUBJID"] == SEED) & (supp["IDVARVAL"] == str(int(seq)))]
    assert dict(zip(rows["QNAM"], rows["QVAL"], strict=True)) == {
        "TOTCELL": "492",
        "NBAGS": "2",
        "DOSWT": "82",
        # bag-level data (issue 11), cart.csv lines 1 and 2 of the subject
        "BAGID1": "PSCA-24-0121-B1",
        "BAGID2": "PSCA-24-0121-B2",
        "INFVOL1": "69.4",
        "INFVOL2": "63.5",
    }


AE_COLUMNS = (
    "AESPID",
    "AETERM",
    "AEDECOD",
    "AETOXGR",
    "AESER",
    "AESLIFE",
    "AESHOSP",
    "AEREL",
    "AEACN",
    "AECONTRT",
    "AEOUT",
    "AESTDTC",
    "AEENDTC",
    "AESTDY",
    "AEENDY",
)


def test_ae_crs_at_worst_astct_grade(frames):
    expected = [
        (
            "2",
            "CYTOKINE RELEASE SYNDROME",
            "Cytokine release syndrome",
            "4",
            "Y",
            "Y",
            "Y",
            "RELATED",
            "NOT APPLICABLE",
            "Y",
            "RECOVERED/RESOLVED",
            "2024-03-13T22:00",
            "2024-03-20",
            2,
            9,
        ),
    ]
    actual = _seed(frames, "AE", AE_COLUMNS, lambda f: f["AESPID"] == "2")
    _compare(actual, expected, AE_COLUMNS, ("AESPID",))


def test_suppae_crs_second_grade_and_scale(frames):
    ae, supp = frames["AE"], frames["SUPPAE"]
    seq = ae.loc[(ae["USUBJID"] == SEED) & (ae["AESPID"] == "2"), "AESEQ"].iloc[0]
    rows = supp.loc[(supp["USUBJID"] == SEED) & (supp["IDVARVAL"] == str(int(seq)))]
    qualifiers = dict(zip(rows["QNAM"], rows["QVAL"], strict=True))
    assert qualifiers["CTCAEGR"] == "4"  # the CTCAE grade, kept beside the ASTCT AETOXGR
    assert qualifiers["AETOXSC"] == "ASTCT 2019"
    assert qualifiers["AERELLD"] == "NOT RELATED"
    assert qualifiers["AETRTEM"] == "Y"


def test_fa_daily_crs_grades(frames):
    columns = ("FATESTCD", "FAOBJ", "FAORRES", "FADTC", "FADY")
    # FAOBJ is the linked AE's AEDECOD, the MedDRA PT as coded (SDTMIG 3.4 section 6.4.3)
    crs = "Cytokine release syndrome"
    expected = [
        ("TOXGR", crs, "1", "2024-03-13T22:00", 2),
        ("TOXGR", crs, "2", "2024-03-14T14:00", 3),
        ("TOXGR", crs, "3", "2024-03-15T06:00", 4),
        ("TOXGR", crs, "3", "2024-03-15T20:00", 4),  # vasopressin added: still grade 3
        ("TOXGR", crs, "4", "2024-03-16T08:00", 5),  # four pressors
        ("TOXGR", crs, "2", "2024-03-17T10:00", 6),
        ("TOXGR", crs, "1", "2024-03-18T10:00", 7),
        ("TOXGR", crs, "1", "2024-03-19T10:00", 8),
    ]
    actual = _seed(frames, "FA", columns, lambda f: f["FATESTCD"] == "TOXGR")
    _compare(actual, expected, columns, ("FADTC",))


# ASTCT 2019 CRS grading (Lee et al., Biol Blood Marrow Transplant 2019;25:625-638; domain
# brief 1.3), written out by hand: the grade is the worse of hypotension and hypoxia; fever
# alone (>= 38.0 C) is grade 1. Hypotension: not needing vasopressors 2, one vasopressor (with
# or without vasopressin) 3, multiple vasopressors (vasopressin not counted) 4. Hypoxia:
# low-flow nasal cannula 2, high-flow cannula or face mask 3, positive pressure 4.
HYPOXIA_GRADE = {
    "None": 0,
    "Low-flow nasal cannula": 2,
    "High-flow / mask": 3,
    "Positive pressure": 4,
}


def _astct_2019_crs_grade(components: dict) -> int:
    vasopressors = int(components["NVASOP"])
    if vasopressors >= 2:
        hypotension = 4
    elif vasopressors == 1 or components["HYPOSUP"] == "One vasopressor":
        hypotension = 3
    elif components["HYPOSUP"] == "Fluids only":
        hypotension = 2
    else:
        hypotension = 0
    worst = max(hypotension, HYPOXIA_GRADE[components["O2SUP"]])
    if worst == 0 and float(components["MAXTEMP"]) >= 38.0:
        return 1
    return worst


def test_grade_4_crs_assessment_is_re_derived_from_fa_records_alone(frames):
    # issue 11: the components of each daily assessment are FA findings of their own, so the
    # investigator's grade 4 (crs.csv row of 16 MAR 2024 08:00) can be checked from FA alone.
    fa = frames["FA"]
    seed = fa.loc[fa["USUBJID"] == SEED]
    worst = seed.loc[(seed["FATESTCD"] == "TOXGR") & (seed["FASTRESN"] == 4)]
    assert worst["FADTC"].tolist() == ["2024-03-16T08:00"]
    assessment = seed.loc[seed["FADTC"] == "2024-03-16T08:00"]
    assert set(assessment["FAOBJ"]) == {"Cytokine release syndrome"}
    components = dict(zip(assessment["FATESTCD"], assessment["FASTRESC"], strict=True))
    assert components == {
        "TOXGR": "4",
        "MAXTEMP": "39.9",
        "HYPOSUP": "Multiple vasopressors",
        "NVASOP": "3",
        "VASOPIND": "Y",
        "O2SUP": "High-flow / mask",
    }
    units = dict(zip(assessment["FATESTCD"], assessment["FASTRESU"], strict=True))
    assert units["MAXTEMP"] == "C"
    assert _astct_2019_crs_grade(components) == 4 == int(components["TOXGR"])


def test_icans_assessment_components_are_findings_of_their_own(frames):
    fa = frames["FA"]
    icans = fa.loc[
        (fa["USUBJID"] == "CART-PSCA-001-102-011")
        & (fa["FAOBJ"] == "Immune effector cell-associated neurotoxicity syndrome")
        & (fa["FADTC"].str.startswith("2024-04-03"))
    ]
    # crs.csv: 03 APR 2024 09:00, ICE 0, awakens only to tactile stimulus, no seizure, grade 3
    assert dict(zip(icans["FATESTCD"], icans["FASTRESC"], strict=True)) == {
        "TOXGR": "3",
        "ICESCORE": "0",
        "LOC": "Awakens only to tactile stimulus",
        "SEIZIND": "N",
    }


CM_COLUMNS = ("CMTRT", "CMCAT", "CMDOSE", "CMDOSU", "CMROUTE", "CMDOSFRQ", "CMSTDTC", "CMENDTC")


def test_cm_emapalumab_and_vasopressors(frames):
    expected = [
        (
            "EMAPALUMAB",
            "CRS/ICANS MANAGEMENT",
            1.0,
            "mg/kg",
            "INTRAVENOUS",
            "ONCE",
            "2024-03-16T18:00",
            "2024-03-16T19:00",
        ),
        (
            "EMAPALUMAB",
            "CRS/ICANS MANAGEMENT",
            1.0,
            "mg/kg",
            "INTRAVENOUS",
            "ONCE",
            "2024-03-19T18:00",
            "2024-03-19T19:00",
        ),
        (
            "NOREPINEPHRINE",
            "VASOPRESSOR",
            0.3,
            "ug/kg/min",
            "INTRAVENOUS",
            "CONTINUOUS",
            "2024-03-15T06:00",
            "2024-03-17T05:45",
        ),
        # units/min has no CT UNIT term: the documented study extension U/min
        (
            "VASOPRESSIN",
            "VASOPRESSOR",
            0.04,
            "U/min",
            "INTRAVENOUS",
            "CONTINUOUS",
            "2024-03-15T20:00",
            "2024-03-17T02:00",
        ),
        (
            "EPINEPHRINE",
            "VASOPRESSOR",
            0.1,
            "ug/kg/min",
            "INTRAVENOUS",
            "CONTINUOUS",
            "2024-03-16T02:00",
            "2024-03-16T23:30",
        ),
        (
            "PHENYLEPHRINE",
            "VASOPRESSOR",
            200.0,
            "ug/min",
            "INTRAVENOUS",
            "CONTINUOUS",
            "2024-03-16T08:00",
            "2024-03-16T22:00",
        ),
    ]
    actual = _seed(
        frames,
        "CM",
        CM_COLUMNS,
        lambda f: f["CMTRT"].isin(["EMAPALUMAB"]) | (f["CMCAT"] == "VASOPRESSOR"),
    )
    _compare(actual, expected, CM_COLUMNS, ("CMSTDTC", "CMTRT"))


def test_cm_vasopressors_off_within_12_hours_of_emapalumab(frames):
    cm = _seed(frames, "CM", CM_COLUMNS)
    first_dose = pd.Timestamp(cm.loc[cm["CMTRT"] == "EMAPALUMAB", "CMSTDTC"].min())
    pressors = cm.loc[cm["CMCAT"] == "VASOPRESSOR", "CMENDTC"].map(pd.Timestamp)
    assert (pressors <= first_dose + pd.Timedelta(hours=12)).all()


def test_relrec_links_crs_to_its_treatments_and_daily_grades(frames):
    relrec = frames["RELREC"]
    rows = relrec.loc[relrec["USUBJID"] == SEED]
    # one group per relationship (issue 11): the treatments given for the CRS, and the daily
    # assessments of it, each with the AE; each PP profile with its PC samples
    assert set(rows["RELID"]) == {"CM-AE2", "FA-AE2", "PP-PC-PSCACART-1", "PP-PC-CARTCELL-1"}
    pk = rows.loc[rows["RELID"] == "PP-PC-PSCACART-1"]
    assert pk[["RDOMAIN", "IDVAR", "IDVARVAL"]].values.tolist() == [
        ["PC", "PCGRPID", "PSCACART-1"],
        ["PP", "PPGRPID", "PSCACART-1"],
    ]
    rows = rows.loc[rows["RELID"].isin(["CM-AE2", "FA-AE2"])]
    assert rows["RELTYPE"].isna().all()  # record-level links (CORE-000202)

    def records(domain, columns):
        linked = rows.loc[rows["RDOMAIN"] == domain, "IDVARVAL"].astype(int)
        frame = frames[domain]
        frame = frame.loc[(frame["USUBJID"] == SEED) & frame[f"{domain}SEQ"].isin(linked)]
        return sorted(map(tuple, frame[list(columns)].astype(str).values.tolist()))

    assert records("AE", ["AETERM"]) == [("CYTOKINE RELEASE SYNDROME",)]
    assert records("CM", ["CMTRT"]) == sorted(
        [("TOCILIZUMAB",)] * 3
        + [("DEXAMETHASONE",), ("METHYLPREDNISOLONE",), ("ANAKINRA",)]
        + [("EMAPALUMAB",)] * 2
        + [("NOREPINEPHRINE",), ("VASOPRESSIN",), ("EPINEPHRINE",), ("PHENYLEPHRINE",)]
    )
    # 8 daily CRS assessments, each a grade and 5 components
    assert len(records("FA", ["FADTC"])) == 48
    assert records("AE", ["AETERM"]) == [("CYTOKINE RELEASE SYNDROME",)]


LB_COLUMNS = (
    "LBTESTCD",
    "LBTEST",
    "LBORRES",
    "LBORRESU",
    "LBSTRESC",
    "LBSTRESN",
    "LBSTRESU",
    "LBDTC",
    "VISITNUM",
    "VISIT",
)


def test_lb_ifn_gamma_and_cxcl10_fall_after_emapalumab(frames):
    expected = [
        # unscheduled draw before emapalumab (Day 4 16:00), then Day 5 06:00; pg/mL = ng/L
        (
            "IFNG",
            "Interferon Gamma",
            "2600.0",
            "ng/L",
            "2600",
            2600.0,
            "ng/L",
            "2024-03-16T16:00",
            10.01,
            "UNSCHEDULED 10.01",
        ),
        (
            "IFNG",
            "Interferon Gamma",
            "620.0",
            "ng/L",
            "620",
            620.0,
            "ng/L",
            "2024-03-17T06:00",
            10.02,
            "UNSCHEDULED 10.02",
        ),
        (
            "CXCL10",
            "Chemokine (C-X-C Motif) Ligand 10",
            "16000",
            "ng/L",
            "16000",
            16000.0,
            "ng/L",
            "2024-03-16T16:00",
            10.01,
            "UNSCHEDULED 10.01",
        ),
        (
            "CXCL10",
            "Chemokine (C-X-C Motif) Ligand 10",
            "4200",
            "ng/L",
            "4200",
            4200.0,
            "ng/L",
            "2024-03-17T06:00",
            10.02,
            "UNSCHEDULED 10.02",
        ),
    ]
    actual = _seed(
        frames,
        "LB",
        LB_COLUMNS,
        lambda f: (
            f["LBTESTCD"].isin(["IFNG", "CXCL10"])
            & f["LBDTC"].isin(["2024-03-16T16:00", "2024-03-17T06:00"])
        ),
    )
    _compare(actual, expected, LB_COLUMNS, ("LBTESTCD", "LBDTC"))


PC_COLUMNS = (
    "PCTESTCD",
    "PCORRES",
    "PCORRESU",
    "PCSTRESC",
    "PCSTRESN",
    "PCSTRESU",
    "PCLLOQ",
    "PCTPT",
    "PCTPTNUM",
    "PCELTM",
    "PCDY",
)


def test_pc_transgene_copies(frames):
    unit = "DNA copies/ug"
    expected = [
        ("PSCACART", "BLQ", unit, "<50", None, unit, 50.0, "PRE-INFUSION", -1.0, "-PT1H", 1),
        ("PSCACART", "62000", unit, "62000", 62000.0, unit, 50.0, "DAY 7", 168.0, "P7D", 8),
        # persistent at Month 6; LLOQ higher with less DNA input
        ("PSCACART", "180", unit, "180", 180.0, unit, 80.0, "MONTH 6", 4032.0, "P168D", 165),
    ]
    actual = _seed(
        frames,
        "PC",
        PC_COLUMNS,
        lambda f: (
            (f["PCTESTCD"] == "PSCACART") & f["PCTPT"].isin(["PRE-INFUSION", "DAY 7", "MONTH 6"])
        ),
    )
    _compare(actual, expected, PC_COLUMNS, ("PCTPTNUM",))


def test_pp_parameters_relate_to_the_pc_samples_they_come_from(frames):
    # issue 11: the seed subject's transgene profile: 13 post-infusion qPCR samples
    # (ck.csv D0 1H ... M6; D0 PRE is before the infusion) carry PCGRPID PSCACART-1, as do
    # its 6 PP parameters (CMAX TMAX AUCINT CLST TLST AUCLST).
    pc, pp = frames["PC"], frames["PP"]
    seed_pc = pc.loc[(pc["USUBJID"] == SEED) & (pc["PCTESTCD"] == "PSCACART")]
    grouped = seed_pc.loc[seed_pc["PCGRPID"] == "PSCACART-1"]
    assert len(seed_pc) == 14 and len(grouped) == 13
    assert seed_pc.loc[seed_pc["PCGRPID"].isna(), "PCTPT"].tolist() == ["PRE-INFUSION"]
    seed_pp = pp.loc[(pp["USUBJID"] == SEED) & (pp["PPGRPID"] == "PSCACART-1")]
    assert sorted(seed_pp["PPTESTCD"]) == sorted(
        ["CMAX", "TMAX", "AUCINT", "CLST", "TLST", "AUCLST"]
    )
