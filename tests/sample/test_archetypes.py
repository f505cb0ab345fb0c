from collections import Counter

import pytest

from sdtm.sample.archetypes import (
    BUNDLED,
    DATA_CUTOFF,
    SEED_CASE_SUBJID,
    SEED_INFUSION,
    plan_subjects,
)


def test_bundled_mix_matches_the_brief():
    kinds = Counter(a.kind for _, a in BUNDLED)
    levels = Counter(a.dose_level for _, a in BUNDLED if a.kind == "TREATED")
    assert kinds == {"TREATED": 22, "SCREEN_FAILURE": 2, "MFG_FAILURE": 1, "LD_ONLY": 1}
    # DL2 = 9 + the two-bag subject.
    assert levels == {"DL1": 6, "DL2": 10, "DL3": 6}


def test_every_edge_case_1_to_35_has_a_host():
    hosted = set().union(*(a.edges for _, a in BUNDLED))
    # 16, 17, 27, 29, 30 are properties of every record of a file; 25 is the orphan lab id.
    assert hosted | {16, 17, 25, 27, 29, 30} >= set(range(1, 36))


def test_seed_case_is_index_20_infused_on_the_published_shape_date():
    plans = list(plan_subjects(26))
    seed = next(p for p in plans if p.subjid == SEED_CASE_SUBJID)
    assert seed.index == 20
    assert seed.day0 == SEED_INFUSION


@pytest.mark.parametrize("n_subjects", [1, 25, 26, 27, 10_000], ids=str)
def test_plans_have_unique_ids_and_infusion_before_cutoff(n_subjects):
    plans = list(plan_subjects(n_subjects))
    assert len(plans) == n_subjects
    assert len({p.subjid for p in plans}) == n_subjects
    assert max(p.day0 for p in plans) < DATA_CUTOFF
    assert [p.subjid for p in plans].count(SEED_CASE_SUBJID) == 1


def test_extra_subjects_cycle_the_bundled_mix_without_edge_cases():
    plans = list(plan_subjects(26 * 3))
    extra = plans[26:]
    assert all(not p.archetype.edges for p in extra)
    assert all("SEED" not in p.archetype.features for p in extra)
    assert Counter(p.archetype.kind for p in extra)["SCREEN_FAILURE"] == 4
    assert [p.site for p in extra[:4]] == ["101", "102", "101", "102"]
