import math

import pandas as pd
import pytest

from sdtm.review.config import PanelSpec, ReviewConfig
from sdtm.review.panels import add_results
from sdtm.review.timeline import build_subject_timeline, prepare_timelines

from .conftest import S1


def _results(rows):
    columns = ["LBSTRESN", "LBSTRESC", "LBORRES", "LBLLOQ", "LBSTAT", "LBSTRESU"]
    frame = pd.DataFrame(rows, columns=columns)
    out = add_results("LB", frame)
    return [(None if math.isnan(v) else v, c) for v, c in zip(out["_v"], out["_c"], strict=True)]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ((12.0, "12", "12", 1.5, "", "ng/L"), (12.0, "")),
        # below the limit, written in the standard result
        ((math.nan, "<1.5", "<1.5", 1.5, "", "ng/L"), (1.5, "<")),
        # "BLQ" collected, standard result "<50"
        ((math.nan, "<50", "BLQ", 50.0, "", "copies/ug"), (50.0, "<")),
        # "BLQ" without a standard result: at the LLOQ
        ((math.nan, "", "BLQ", 50.0, "", "copies/ug"), (50.0, "<")),
        ((math.nan, ">5000", ">5000", math.nan, "", "ng/L"), (5000.0, ">")),
        # not done: nothing to draw, even with an LLOQ
        ((math.nan, "", "", 50.0, "NOT DONE", ""), (None, "")),
        # text result without LLOQ (e.g. urinalysis NEGATIVE): nothing to draw
        ((math.nan, "NEGATIVE", "NEGATIVE", math.nan, "", ""), (None, "")),
    ],
    ids=["measured", "lt-stresc", "blq-with-stresc", "blq-lloq", "gt", "not-done", "text"],
)
def test_add_results_draws_censored_values_at_their_limit(row, expected):
    assert _results([row]) == [expected]


def test_automatic_panels_split_by_category_and_unit(package):
    data = prepare_timelines(package)
    assert [(p.title, p.tests, p.scale) for p in data.panel_plans] == [
        # CRP 6..250: ratio 42 < 100 -> linear
        ("LB CHEMISTRY (mg/L)", ("CRP",), "linear"),
        ("LB CHEMISTRY (ug/L)", ("PSA",), "linear"),
        # IL-6 1.5 (censored) .. 2400: more than 2 decades -> log
        ("LB CYTOKINES (ng/L)", ("INTLK6",), "log"),
        ("PC CK (copies/ug)", ("TRANSGEN",), "log"),
    ]


def test_configured_panels_come_first_and_take_their_tests(package):
    config = ReviewConfig(
        panels=(
            PanelSpec("Tumour marker", "LB", tests=("PSA",), scale="log"),
            PanelSpec("Inflammation", "LB", tests=("CRP", "INTLK6")),
        ),
    )
    data = prepare_timelines(package, config)
    assert [(p.title, p.tests) for p in data.panel_plans] == [
        ("Tumour marker (ug/L)", ("PSA",)),
        # one panel per unit, never mixed
        ("Inflammation (mg/L)", ("CRP",)),
        ("Inflammation (ng/L)", ("INTLK6",)),
        ("PC CK (copies/ug)", ("TRANSGEN",)),
    ]
    assert data.panel_plans[0].scale == "log"


def test_other_panels_false_draws_only_the_configured_ones(package):
    config = ReviewConfig(panels=(PanelSpec("Kinetics", "PC"),), other_panels=False)
    data = prepare_timelines(package, config)
    assert [p.title for p in data.panel_plans] == ["Kinetics (copies/ug)"]


def test_subject_panel_holds_censored_points_lloq_and_pp_peak(package):
    timeline = build_subject_timeline(prepare_timelines(package), S1)
    panels = {p.plan.title: p for p in timeline.panels}
    kinetics = panels["PC CK (copies/ug)"]
    (series,) = kinetics.series
    assert [(round(p.t, 4), p.value, p.censor) for p in series.points] == [
        (round(9 / 24 + 21 / 1440, 4), 50.0, "<"),  # 2024-03-12T09:21, BLQ
        (round(7 + 9.75 / 24, 4), 62000.0, ""),  # 2024-03-19T09:45
    ]  # the NOT DONE sample is not drawn
    assert series.lloq == (50.0,)
    (peak,) = kinetics.peaks
    # Tmax 167.58 h after PPRFTDTC 2024-03-12T10:05
    assert peak.t == pytest.approx((10 * 60 + 5) / 1440 + 167.58 / 24)
    assert peak.value == 62000.0
    assert "day 8" in peak.detail
    cytokines = panels["LB CYTOKINES (ng/L)"]
    first = cytokines.series[0].points[0]
    assert first.detail == "INTLK6 <1.5 ng/L; day -5; DAY -5; 2024-03-07T07:40"


def test_pp_peak_in_another_unit_is_not_drawn_and_says_so(package):
    package["PP"] = package["PP"].assign(PPSTRESU=["ng/mL", "h"])
    timeline = build_subject_timeline(prepare_timelines(package), S1)
    kinetics = next(p for p in timeline.panels if p.plan.domain == "PC")
    assert kinetics.peaks == ()
    assert kinetics.notes == ("TRANSGEN: PP CMAX in ng/mL, panel in copies/ug: not drawn",)
