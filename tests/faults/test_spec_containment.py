"""Spec paths stay inside the study folder (issue 12).

A spec block with ``file: ../../outside/secret.csv`` or an absolute path was read, and the outside
file's content ended up in the XPT, the JSON and findings.json.
"""

import shutil
from pathlib import Path

import pytest

from sdtm.errors import SpecError
from sdtm.mapping.check import check_spec_paths
from sdtm.mapping.load_yaml import read_yaml_spec
from sdtm.pipeline import load_mapping
from sdtm.read.raw import read_raw_file
from sdtm.standards import load_standards

SECRET = "STUDYID,SUBJID,AETERM,LINE,AEPT,AEOUT,AESTDAT,AESTTIM\nSECRET,999,Secret,1,x,,,\n"


@pytest.fixture(scope="module")
def standards():
    return load_standards()


@pytest.fixture
def study(tmp_path, kit) -> Path:
    """The tiny study copied to tmp_path/study, mappings in tmp_path/mappings/tiny."""
    shutil.copytree(kit.tiny / "raw", tmp_path / "study")
    shutil.copytree(kit.tiny / "mappings" / "tiny", tmp_path / "mappings" / "tiny")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.csv").write_text(SECRET)
    return tmp_path


def _point_ae_at(study: Path, path: str) -> None:
    spec = study / "mappings" / "tiny" / "ae.yaml"
    spec.write_text(spec.read_text().replace("file: edc/ae.csv", f"file: {path}"))


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("../../outside/secret.csv", "going up with '..'"),
        ("edc/../../outside/secret.csv", "going up with '..'"),
        ("ABSOLUTE", "absolute"),
        ("'C:/outside/secret.csv'", "absolute"),
        ("'edc\\ae.csv'", "written with a backslash"),
    ],
    ids=["dot-dot", "dot-dot-inside", "absolute", "drive-letter", "backslash"],
)
def test_spec_path_leaving_the_study_is_refused_at_load(study, standards, path, reason):
    """Acceptance: a spec path with '..' (or absolute) is refused, with file:line."""
    if path == "ABSOLUTE":
        path = str(study / "outside" / "secret.csv")
    _point_ae_at(study, path)
    with pytest.raises(SpecError, match=rf"tiny/ae\.yaml:1: AE block file .* {reason}.*MP0109"):
        load_mapping(study / "mappings" / "tiny", standards)


def test_join_and_skip_paths_are_checked_too(study):
    spec = study / "mappings" / "tiny" / "study.yaml"
    spec.write_text(spec.read_text().replace("file: edc/notes.csv", "file: ../notes.csv"))
    problems = check_spec_paths(read_yaml_spec(study / "mappings" / "tiny").spec)
    assert [(p.rule_id, str(p.location)) for p in problems] == [("MP0109", "tiny/study.yaml:4")]


def test_run_with_an_escaping_spec_reads_nothing_outside(study, kit, capsys):
    _point_ae_at(study, "../outside/secret.csv")
    out = study / "out"
    code, _, err = kit.run_cli(
        ["run", str(study / "study"), "--mapping", str(study / "mappings" / "tiny"),
         "--out", str(out)],
        capsys,
    )  # fmt: skip
    assert code == 2
    assert "MP0109 spec-path-outside-study" in err.replace("\n", " ")
    assert "Traceback" not in err
    assert not out.exists()  # nothing written, so no secret in any output


def test_symlink_leaving_the_study_is_not_read(study):
    # The path text stays inside; the link on it does not: the reader refuses it (RD0002).
    (study / "study" / "edc" / "leak.csv").symlink_to(study / "outside" / "secret.csv")
    raw = read_raw_file(study / "study", "edc/leak.csv")
    assert raw.frame is None
    assert raw.findings.rows(["rule_id", "source_file"]) == [["RD0002", "edc/leak.csv"]]
    assert "symbolic link on the path leads outside the study folder" in (
        raw.findings.rows(["message"])[0][0]
    )


def test_symlinked_folder_leaving_the_study_is_not_read(study):
    (study / "study" / "vendor").symlink_to(study / "outside", target_is_directory=True)
    raw = read_raw_file(study / "study", "vendor/secret.csv")
    assert (raw.frame, raw.findings.rows(["rule_id"])) == (None, [["RD0002"]])


def test_reader_refuses_dot_dot_even_without_the_spec_check(study):
    raw = read_raw_file(study / "study", "../outside/secret.csv")
    assert raw.frame is None
    assert raw.findings.rows(["rule_id"]) == [["RD0002"]]
