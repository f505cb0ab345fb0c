import pytest

from sdtm.review.scale import TimeScale, ValueScale, format_value, nice_step


def test_time_scale_has_weekly_ticks_from_day_1_and_no_day_zero():
    # focus: day -6 (t=-6) to the start of day 29 (t=28); data from day -40 to day 165
    scale = TimeScale.build((-40.0, 165.0), (-6.0, 28.0), 0.0, 1000.0)
    days = [day for _, day, _ in scale.ticks()]
    assert days == [-40, -6, 1, 8, 15, 22, 29, 165]
    assert 0 not in days


def test_time_scale_compresses_long_context_and_keeps_focus_widest():
    scale = TimeScale.build((-40.0, 165.0), (-6.0, 28.0), 0.0, 1000.0)
    left, focus, right = scale.segments
    assert (left.focus, focus.focus, right.focus) == (False, True, False)
    # 34 focus days get more pixels than 137 follow-up days
    assert focus.x1 - focus.x0 > right.x1 - right.x0
    assert scale.x(-6.0) == pytest.approx(focus.x0)
    assert scale.x(165.0) == pytest.approx(1000.0)


def test_time_scale_without_context_is_one_segment():
    scale = TimeScale.build((-3.0, 20.0), (-3.0, 20.0), 100.0, 500.0)
    assert len(scale.segments) == 1
    assert scale.x(-3.0) == 100.0
    assert scale.x(20.0) == 500.0


@pytest.mark.parametrize(
    ("raw", "step"), [(0.3, 0.5), (7, 10.0), (12, 20.0), (260, 500.0), (1.0, 1.0)],
    ids=["0.3", "7", "12", "260", "1"],
)  # fmt: skip
def test_nice_step_rounds_up_to_1_2_5(raw, step):
    assert nice_step(raw) == step


def test_log_value_scale_spans_whole_decades():
    scale = ValueScale.build(0.5, 62000.0, 100.0, 0.0, log=True)
    assert (scale.low, scale.high) == (0.1, 100000.0)
    assert scale.y(0.1) == 100.0
    assert scale.y(100000.0) == 0.0
    # six decades: every second one is labelled (at most 6 labels)
    assert [format_value(v) for v in scale.ticks()] == ["0.1", "10", "1000", "100000"]


def test_linear_value_scale_starts_at_zero_for_positive_values():
    scale = ValueScale.build(3.0, 17.0, 100.0, 0.0, log=False)
    assert scale.low == 0.0
    assert scale.high == 20.0
    assert scale.ticks() == [0.0, 5.0, 10.0, 15.0, 20.0]
