"""The generator: committed data regenerate byte for byte, determinism, sizes, errors."""

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sdtm.errors import InputError
from sdtm.sample.archetypes import ORPHAN_LAB_SUBJID, SEED_CASE_SUBJID
from sdtm.sample.generate import DEFAULT_SEED, DEFAULT_SUBJECTS, write_sample
from sdtm.sample.layout import RAW_FILES


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_committed_sample_is_exactly_what_the_command_writes(committed_dir, tmp_path):
    summary = write_sample(tmp_path, DEFAULT_SUBJECTS, DEFAULT_SEED)
    written = _files(tmp_path)
    assert written == sorted(f.path for f in RAW_FILES)
    assert _files(committed_dir) == sorted([*written, "README.md"])
    for name in written:
        assert (tmp_path / name).read_bytes() == (committed_dir / name).read_bytes(), name
    assert summary.row_counts["edc/dm.csv"] == 26


def test_rerun_gives_identical_bytes_including_xlsx(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    write_sample(first, 40, 7)
    write_sample(second, 40, 7)
    for name in _files(first):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_different_seed_changes_values(tmp_path):
    write_sample(tmp_path / "a", 26, 1)
    write_sample(tmp_path / "b", 26, 2)
    first = (tmp_path / "a/lab/lab_a.csv").read_bytes()
    assert first != (tmp_path / "b/lab/lab_a.csv").read_bytes()


def test_one_subject_is_the_seed_case(tmp_path, load):
    write_sample(tmp_path, 1, DEFAULT_SEED)
    frames = load(tmp_path)
    assert frames["dm"]["SUBJID"].tolist() == [SEED_CASE_SUBJID]
    assert set(frames["lab_a"]["SUBJECT"]) == {SEED_CASE_SUBJID}
    assert frames["lab_b"].empty


def test_small_study_subjects_match_their_bundled_records(tmp_path, load, study):
    write_sample(tmp_path, 5, DEFAULT_SEED)
    frames = load(tmp_path)
    # Priority order picks 101-011, 101-012, 102-011, 101-006, 102-006; written in table order.
    assert frames["dm"]["SUBJID"].tolist() == ["101-006", "102-006", "101-011", "102-011",
                                               "101-012"]
    chosen = set(frames["dm"]["SUBJID"])
    bundled_ae = study["ae"][study["ae"]["SUBJID"].isin(chosen)].reset_index(drop=True)
    assert frames["ae"].equals(bundled_ae)
    assert ORPHAN_LAB_SUBJID not in set(frames["lab_a"]["SUBJECT"])


def test_larger_study_keeps_bundled_subjects_and_adds_unique_ids(larger_study, study):
    dm = larger_study["dm"]
    assert len(dm) == 80
    assert dm["SUBJID"].is_unique
    assert dm["SUBJID"].head(26).tolist() == study["dm"]["SUBJID"].tolist()
    assert dm["SUBJID"].iloc[26:28].tolist() == ["101-014", "102-014"]
    seed_rows = larger_study["cm"][larger_study["cm"]["CMTRT"] == "EMAPALUMAB"]
    assert set(seed_rows["SUBJID"]) == {SEED_CASE_SUBJID}
    assert (larger_study["lab_a"]["SUBJECT"] == ORPHAN_LAB_SUBJID).any()


@pytest.mark.parametrize(("n_subjects", "seed", "message"),
                         [(0, 1, "at least 1"), (5, -1, "non-negative")], ids=["zero", "neg-seed"])
def test_bad_arguments_raise_input_error(tmp_path, n_subjects, seed, message):
    with pytest.raises(InputError, match=message):
        write_sample(tmp_path, n_subjects, seed)


def test_unwritable_output_raises_input_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InputError, match="cannot write sample data"):
        write_sample(blocker / "study", 1, 1)


def test_progress_is_reported_per_subject(tmp_path):
    seen = []
    write_sample(tmp_path, 3, 1, on_progress=seen.append)
    assert seen == [1, 2, 3]


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n_subjects=st.integers(min_value=1, max_value=40), seed=st.integers(0, 2**32 - 1))
def test_any_size_and_seed_writes_every_file_with_n_subjects(tmp_path_factory, n_subjects, seed):
    folder = tmp_path_factory.mktemp("prop")
    summary = write_sample(folder, n_subjects, seed)
    assert summary.row_counts["edc/dm.csv"] == n_subjects
    assert summary.row_counts["edc/ds.csv"] == n_subjects
    for raw in RAW_FILES:
        assert (folder / raw.path).is_file()
        if not raw.is_xlsx:
            header = (folder / raw.path).read_text(encoding="utf-8").split("\n", 1)[0]
            assert header == ",".join(raw.columns)
