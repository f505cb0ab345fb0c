"""The second sample layout (issue 10): committed bytes, determinism, CLI, planted problems."""

from pathlib import Path

from click.testing import CliRunner

from sdtm.cli import build_app
from sdtm.sample import cd19

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "sample_data" / cd19.LAYOUT


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_committed_second_study_is_exactly_what_the_command_writes(tmp_path):
    counts = cd19.write_cd19_sample(tmp_path)
    written = _files(tmp_path)
    assert _files(COMMITTED) == sorted([*written, "README.md"])
    for name in written:
        assert (tmp_path / name).read_bytes() == (COMMITTED / name).read_bytes(), name
    # 10 subjects, subject 3 a screen failure: 9 treated x 6 lymphodepletion doses (2 drugs x
    # 3 days), 9 infusions, 9 x 8 kinetics samples, 9 x 6 visits x 7 tests + 1 duplicate row
    # + 1 test with an unknown LOINC code
    assert counts["edc/DM.csv"] == 10
    assert counts["edc/EX.xlsx[Lymphodepletion]"] == 54
    assert counts["edc/EX.xlsx[CAR-T Infusion]"] == 9
    assert counts["bioanalytical/ck_cd19.xpt"] == 72
    assert counts["lab/central_lab.csv"] == 9 * 6 * 7 + 2


def test_the_layout_is_what_its_readme_says(tmp_path):
    cd19.write_cd19_sample(tmp_path, n_subjects=2)
    lab = (tmp_path / "lab" / "central_lab.csv").read_bytes()
    assert lab.startswith(b"EUROLAB CENTRAL LABORATORY")
    assert b"\xb5mol/L" in lab  # ISO-8859-1 micro sign
    assert b"\r\n" in lab
    assert lab.split(b"\r\n")[3].startswith(b"PATIENT;VISIT;")
    ae = (tmp_path / "edc" / "AE.csv").read_bytes()
    assert ae.startswith(b'\xef\xbb\xbf"projectid","project"')  # BOM, every field quoted
    assert b"UN/" in ae


def test_every_planted_problem_is_documented_in_the_readme():
    readme = (COMMITTED / "README.md").read_text(encoding="utf-8")
    rows = [line for line in readme.splitlines() if line.startswith("| ") and line[2:3].isdigit()]
    assert len(rows) == len(cd19.PLANTED)


def test_cli_sample_layout_writes_the_second_study(tmp_path):
    result = CliRunner().invoke(
        build_app(), ["sample", "--layout", cd19.LAYOUT, "--subjects", "4", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "edc/CM_DS.xml[IG.CM]\t" in result.stdout
    assert (tmp_path / "bioanalytical" / "ck_cd19.xpt").is_file()
