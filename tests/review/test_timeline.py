import pandas as pd
import pytest

from sdtm.review.config import ReviewConfig
from sdtm.review.timeline import build_subject_timeline, join_domains, prepare_timelines

from .conftest import CRS, S1, S2, S3

# 2024-03-12T10:05 is 10 h 5 min after the reference midnight.
REFERENCE_T = (10 * 60 + 5) / 1440


def _timeline(package, usubjid=S1, config=None):
    return build_subject_timeline(prepare_timelines(package, config), usubjid)


def test_reference_is_rfstdtc(package):
    timeline = _timeline(package)
    assert timeline.reference_t == pytest.approx(REFERENCE_T)
    assert timeline.heading == "Dose 3 · M 58 · RFSTDTC 2024-03-12T10:05"


def test_exposure_rows_mark_the_dose_at_rfstdtc(package):
    exposure = _timeline(package).exposure
    assert [(r.label, r.group) for r in exposure] == [("FLUDARABINE", "LD"), ("CAR-T", "CAR-T")]
    fludarabine, car_t = exposure
    # 2024-03-07T09:00 is 5 days before the reference midnight, plus 9 h
    assert fludarabine.spans[0].start == pytest.approx(-5 + 9 / 24)
    assert fludarabine.spans[0].reference is False
    assert car_t.spans[0].reference is True
    assert car_t.spans[0].text == "6 10^6/kg"


def test_crs_is_highlighted_with_its_daily_fa_grades(package):
    events = _timeline(package).events
    crs = events[0]
    assert (crs.label, crs.grade, crs.grade_source, crs.highlight) == (CRS, 4, "AETOXGR", True)
    # start 2024-03-13T22:00; end date 2024-03-20 without time: end of that day (t = 9)
    assert crs.spans[0].start == pytest.approx(1 + 22 / 24)
    assert crs.spans[0].end == pytest.approx(9.0)
    assert crs.step_test == "TOXGR"
    assert [(round(t, 4), grade) for t, grade in crs.steps] == [
        (round(1 + 22 / 24, 4), 1.0),  # 03-13 22:00
        (round(4 + 8 / 24, 4), 4.0),  # 03-16 08:00
        (round(7 + 10 / 24, 4), 1.0),  # 03-19 10:00
    ]


def test_fa_grades_without_an_ae_get_their_own_row(package):
    rows = {row.label: row for row in _timeline(package).events}
    alone = rows["Neurotoxicity (FA only)"]
    assert alone.highlight is True
    assert alone.steps == ((3 + 10 / 24, 2.0),)


def test_partial_dates_are_counted_not_drawn_and_ongoing_bars_run_to_the_end(package):
    timeline = _timeline(package)
    labels = [row.label for row in timeline.events]
    assert "Neutropenia" not in labels
    assert timeline.not_drawn == {"AE": 1}
    headache = next(row for row in timeline.events if row.label == "Headache")
    assert headache.spans[0].open_end is True
    # the last thing known of S1 is DS COMPLETED on 2024-08-23 (day 165), drawn at midday
    assert headache.spans[0].end == pytest.approx(164.5)


def test_treatments_are_those_given_for_the_subjects_aes(package):
    treatments = _timeline(package).treatments
    assert [row.label for row in treatments] == ["TOCILIZUMAB", "EMAPALUMAB"]
    emapalumab = treatments[1].spans[0]
    assert (emapalumab.start, emapalumab.end) == pytest.approx((4 + 18 / 24, 4 + 19 / 24))


def test_configured_categories_and_terms_add_rows(package):
    config = ReviewConfig(highlight_terms=("headache",), treatment_categories=("concomitant",))
    timeline = _timeline(package, config=config)
    assert [row.label for row in timeline.treatments] == [
        "ACYCLOVIR", "TOCILIZUMAB", "EMAPALUMAB",
    ]  # fmt: skip
    headache = next(row for row in timeline.events if row.label == "Headache")
    assert headache.highlight is True
    assert headache.steps == ()


def test_focus_runs_from_the_day_before_ld_to_the_end_of_the_element_holding_rfstdtc(package):
    # a screening result on 2024-02-05 (day -36) puts data before the focus window
    screening = package["LB"].iloc[[4]].assign(LBDTC="2024-02-05T09:15")
    package["LB"] = pd.concat([package["LB"], screening], ignore_index=True)
    timeline = _timeline(package)
    # first dose 2024-03-07T09:00 (t=-4.625) -> floor -5, minus a day: -6;
    # element CAR-T ends 2024-04-09 (t=28)
    assert timeline.focus == (-6.0, 28.0)
    assert timeline.extent == (-36.0, 165.0)


def test_focus_starts_at_the_first_data_when_nothing_comes_earlier(package):
    # the earliest record is the LB draw of 2024-03-07T07:40 (t=-4.68): the window is clamped
    assert _timeline(package).focus == (-5.0, 28.0)


def test_configured_focus_days_win(package):
    timeline = _timeline(package, config=ReviewConfig(focus_days=(-2, 15)))
    # day -2 starts at t=-2; day 15 ends at t=15
    assert timeline.focus == (-2.0, 15.0)


def test_subject_without_rfstdtc_has_no_axis(package):
    timeline = _timeline(package, S2)
    assert timeline.reference_t is None
    assert timeline.panels == ()


def test_death_from_ds_and_dm_is_drawn_once(package):
    marks = _timeline(package, S3).marks
    assert [(m.label, m.death) for m in marks] == [("DEATH", True)]


def test_death_only_in_dm_is_drawn(package):
    package["DS"] = package["DS"].loc[package["DS"]["USUBJID"] != S3]
    marks = _timeline(package, S3).marks
    assert [(m.label, m.detail) for m in marks] == [("DEATH", "DM.DTHDTC 2024-04-29")]


def test_aesev_is_used_when_no_toxicity_grade_exists(package):
    ae = package["AE"].drop(columns=["AETOXGR"]).assign(AESEV=["SEVERE", "MILD", "MODERATE"])
    package["AE"] = ae
    rows = {row.label: row for row in _timeline(package).events}
    assert (rows[CRS].grade, rows[CRS].grade_source) == (3, "AESEV")
    assert (rows["Headache"].grade, rows["Headache"].grade_source) == (2, "AESEV")


def test_join_domains_merges_split_datasets_by_domain(package):
    lb = package.pop("LB")
    package["LBCH"] = lb.iloc[:2]
    package["LBHE"] = lb.iloc[2:]
    package["SUPPAE"] = pd.DataFrame({"USUBJID": [S1], "RDOMAIN": ["AE"]})
    joined = join_domains(package)
    assert len(joined["LB"]) == 5
    assert "LBCH" not in joined
    assert "SUPPAE" not in joined
