"""Every planted edge case of the domain brief 4.4 is present in the committed raw files."""

import re

import pytest


def _rows(frame, **equals):
    mask = None
    for column, value in equals.items():
        current = frame[column] == value
        mask = current if mask is None else mask & current
    return frame[mask]


def edge01(s):
    ae = _rows(s["ae"], SUBJID="101-007")
    hit = ae[(ae["AESTDAT"] == "UN JAN 2024") & (ae["AEENDAT"] == "UNK UNK 2024")]
    return len(hit) == 1


def edge02(s):
    cm = s["cm"]
    prior = cm[cm["CMCAT"] == "PRIOR ANTI-CANCER THERAPY"]
    year_only = prior["CMSTDAT"].str.fullmatch(r"UNK? UNK \d{4}")
    return year_only.sum() >= 20 and "101-001" in set(prior[year_only]["SUBJID"])


def edge03(s):
    bags = _rows(s["cart"], SUBJID="101-008")
    return bags["LINE"].tolist() == ["1", "2"] and bags["BAGENTIM"].tolist()[1] == "" and \
        bags["BAGENTIM"].tolist()[0] != ""


def edge04(s):
    return (_rows(s["lab_a"], SUBJECT="101-005", VISIT="DAY 0")["COLLTIME"] == "UNK").all()


def edge05(s):
    return (_rows(s["ae"], SUBJID="102-005")["AESTTIM"] == "14:UN").sum() == 1


def edge06(s, edc_dt):
    ae = _rows(s["ae"], SUBJID="102-008")
    return any(edc_dt(r.AEENDAT) < edc_dt(r.AESTDAT) for r in ae.itertuples() if r.AEENDAT)


def edge07(s):
    ae = _rows(s["ae"], SUBJID="101-013", AEONGO="1")
    return len(ae) >= 1 and (ae["AEENDAT"] == "").all() and (
        ae["AEOUT"] == "NOT RECOVERED/NOT RESOLVED").all()


def edge08(s):
    log = _rows(s["crs"], SUBJID="101-011", SYNDROME="CRS")
    return log["ASTCTGR"].tolist() == ["1", "2", "3", "3", "4", "2", "1", "1"]


def edge09(s):
    ae = _rows(s["ae"], SUBJID="101-010", AESER="Yes")
    criteria = ["AESDTH", "AESLIFE", "AESHOSP", "AESDISAB", "AESCONG", "AESMIE"]
    return any((ae[criteria] == "0").all(axis=1))


def edge10(s):
    return set(s["ae"][s["ae"]["AEOUT"] == "RESOLVED"]["SUBJID"]) == {"101-009"}


def edge11(s):
    return "Fièvre" in set(_rows(s["ae"], SUBJID="102-003")["AETERM"]) and "µg" in set(
        _rows(s["cm"], SUBJID="102-003")["CMDOSU"])


def edge12(s):
    blank = s["ae"][s["ae"]["AETERM"] == ""]
    return blank["SUBJID"].tolist() == ["102-010"] and blank["AEPT"].tolist() == [""]


def edge13(s):
    return set(s["cm"][s["cm"]["CMROUTE"] == "IV"]["SUBJID"]) == {"102-005"}


def edge14(s):
    vaso = _rows(s["vp"], SUBJID="101-011", VPTRT="VASOPRESSIN")
    return vaso["VPRATEU"].tolist() == ["units/min"]


def edge15(s):
    cm = _rows(s["cm"], SUBJID="102-008")
    lines = set(_rows(s["ae"], SUBJID="102-008")["LINE"])
    linked = cm[cm["CMAENO"] != ""]["CMAENO"]
    return "9" in set(linked) and "9" not in lines


def edge16(s):
    return set(_rows(s["lab_a"], TESTCODE="IL-6")["UNIT"]) == {"pg/mL"} and "ng/L" in set(
        _rows(s["lab_b"], TESTCODE="B1106")["UNIT"])


def edge17(s):
    b = s["lab_b"]
    units = {code: set(b[b["TESTCODE"] == code]["UNIT"]) for code in
             ("B1106", "B1120", "B2020", "B3010", "B2030", "B2070")}
    return ("ng/mL" in units["B1106"] and units["B1120"] == {"ng/mL"}
            and units["B2020"] == {"mg/dL"} and units["B3010"] == {"mg/dL"}
            and units["B2030"] == {"mg/dL"} and units["B2070"] == {"umol/L"})


def edge18(s):
    odd = s["lab_b"][s["lab_b"]["UNIT"] == "pg/dL"]
    return odd[["SUBJECT", "TESTCODE"]].values.tolist() == [["102-011", "B1106"]]


def edge19(s):
    a = s["lab_a"]
    results = set(a["RESULT"])
    above = a[a["RESULT"] == ">5000"]
    return {"<1.5", "<0.4"} <= results and above[["SUBJECT", "VISIT", "TESTCODE"]].values.tolist(
    ) == [["101-012", "DAY 3", "IL-6"]]


def edge20(s):
    nd = s["lab_a"][s["lab_a"]["STATUS"] == "NOT DONE"]
    return nd[["SUBJECT", "TESTCODE", "RESULT", "SPECCOND"]].values.tolist() == [
        ["101-011", "IP-10", "", "HEMOLYZED"]]


def edge21(s):
    blank = s["lab_a"][(s["lab_a"]["RESULT"] == "") & (s["lab_a"]["STATUS"] == "")]
    return blank[["SUBJECT", "VISIT", "TESTCODE"]].values.tolist() == [["101-003", "DAY 7", "LDH"]]


def edge22(s):
    a = s["lab_a"]
    dupes = a[a.duplicated(keep=False)]
    redraw = _rows(a, SUBJECT="101-006", VISIT="UNSCHEDULED", TESTCODE="CRP")
    day2 = _rows(a, SUBJECT="101-006", VISIT="DAY 2", TESTCODE="CRP")
    return (dupes[["SUBJECT", "TESTCODE"]].values.tolist() == [["101-004", "ALT"]] * 2
            and len(redraw) >= 1 and redraw["COLLDATE"].iloc[0] == day2["COLLDATE"].iloc[0]
            and redraw["ACCESSION"].iloc[0] != day2["ACCESSION"].iloc[0])


def edge23(s):
    a, b = s["lab_a"], s["lab_b"]
    return len(_rows(a, SUBJECT="101-011", VISIT="UNSCHEDULED")) > 0 and len(
        _rows(b, SUBJECT="102-011", VISIT="UNSCHEDULED")) > 0


def edge24(s):
    return set(s["lab_a"][s["lab_a"]["TESTCODE"] == "IL6S"]["SUBJECT"]) == {
        "101-011", "101-012", "101-013"}


def edge25(s):
    edc_ids = set(s["dm"]["SUBJID"])
    orphans = set(s["lab_a"]["SUBJECT"]) - edc_ids
    return orphans == {"101-O11"}


def edge26(s, edc_dt, iso_dt):
    consent = edc_dt(s["ic"].set_index("SUBJID").loc["102-002", "ICDAT"])
    screen = _rows(s["lab_b"], SUBJECT="102-002", VISIT="SCREENING")
    return (consent - iso_dt(screen["COLLDATE"].iloc[0])).days == 2


def edge27(s):
    a = _rows(s["lab_a"], TESTCODE="ALT")[["REFLO", "REFHI"]].drop_duplicates().values.tolist()
    b = _rows(s["lab_b"], TESTCODE="B2050")[["REFLO", "REFHI"]].drop_duplicates().values.tolist()
    no_range = _rows(s["lab_a"], TESTCODE="IFNG")[["REFLO", "REFHI"]].drop_duplicates()
    return a != b and no_range.values.tolist() == [["", ""]]


def edge28(s):
    ck = s["ck"]
    lost = ck[ck["STATUS"] == "NOT RECEIVED"]
    pre = ck[ck["NOMTPT"] == "D0 PRE"]
    d7 = ck[(ck["NOMTPT"] == "D7")]
    off_nominal = (d7["COLLTIME"] != "00:00").any()
    return (lost[["SUBJECT", "NOMTPT", "RESULT"]].drop_duplicates().values.tolist()
            == [["101-005", "D21", ""]] and set(pre[pre["ASSAY"] == "qPCR"]["RESULT"]) == {"BLQ"}
            and off_nominal)


def edge29(s):
    q = s["ck"][s["ck"]["ASSAY"] == "qPCR"]
    q = q[q["DNAINPUT"] != ""]
    return q["LLOQ"].nunique() > 3 and (q[q["DNAINPUT"].astype(float) < 500]["LLOQ"].astype(
        float) > 50).all()


def edge30(s):
    return set(s["ck"][s["ck"]["ASSAY"] == "FLOW"]["UNIT"]) == {"cells/uL"}


def edge31(s):
    ck = _rows(s["ck"], SUBJECT="101-001")
    return len(ck) > 0 and set(ck["RESULT"]) == {"BLQ", "<0.5"}


def edge32(s):
    dm = s["dm"].set_index("SUBJID")
    return re.fullmatch(r"UN UNK \d{4}", dm.loc["102-001", "BRTHDAT"]) is not None and (
        dm.loc["101-002", ["RACE_ASIAN", "RACE_WHITE"]].tolist() == ["1", "1"])


def edge33(s):
    dd = s["dd"]
    ae = s["ae"]
    fatal = ae[ae["AEOUT"] == "FATAL"]
    ds = s["ds"].set_index("SUBJID")
    return (dd["SUBJID"].tolist() == ["101-012"] and fatal["SUBJID"].tolist() == ["101-012"]
            and fatal["AEENDAT"].iloc[0] == dd["DTHDAT"].iloc[0] and fatal["AESDTH"].iloc[0] == "1"
            and dd["DTHAENO"].iloc[0] == fatal["LINE"].iloc[0]
            and ds.loc["101-012", "DSREAS"] == "DEATH")


def edge34(s):
    ld = s["ld"]
    renal = ld[ld["LDMOD"] == "1"]
    cart = s["cart"]
    short = cart[cart["DOSEADJ"] == "1"]
    return (set(renal["SUBJID"]) == {"101-013"} and set(renal["LDTRT"]) == {"FLUDARABINE"}
            and set(renal["LDMODRSN"]) == {"RENAL IMPAIRMENT"}
            and set(short["SUBJID"]) == {"102-012"}
            and set(short["DOSEADJRSN"]) == {"MANUFACTURING SHORTFALL"})


def edge35(s):
    cart = s["cart"]
    recomputed = cart["CARTOT"].astype(float) / cart["WEIGHT"].astype(float)
    mismatch = cart[(recomputed - cart["CARDOSKG"].astype(float)).abs() > 0.05]
    return mismatch["SUBJID"].unique().tolist() == ["102-013"]


EDGES = [edge01, edge02, edge03, edge04, edge05, edge06, edge07, edge08, edge09, edge10, edge11,
         edge12, edge13, edge14, edge15, edge16, edge17, edge18, edge19, edge20, edge21, edge22,
         edge23, edge24, edge25, edge26, edge27, edge28, edge29, edge30, edge31, edge32, edge33,
         edge34, edge35]  # fmt: skip


@pytest.mark.parametrize("check", EDGES, ids=[f.__name__ for f in EDGES])
def test_planted_edge_case_is_present(study, edc_dt, iso_dt, check):
    names = check.__code__.co_varnames[: check.__code__.co_argcount]
    extra = {"edc_dt": edc_dt, "iso_dt": iso_dt}
    assert check(study, *(extra[n] for n in names[1:]))


@pytest.mark.parametrize("check", [edge10, edge12, edge18, edge20, edge21, edge25, edge35],
                         ids=["edge10", "edge12", "edge18", "edge20", "edge21", "edge25",
                              "edge35"])
def test_extra_subjects_do_not_repeat_planted_edge_cases(larger_study, check):
    # Subjects beyond the bundled 26 carry no planted edge cases (README rule), so the
    # single-host checks still hold at N = 80.
    assert check(larger_study)
