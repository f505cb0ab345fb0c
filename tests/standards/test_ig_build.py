from pathlib import Path

from sdtm.standards.ig_build import write_ig_specs


def test_committed_ig_specs_are_the_generator_output(
    reference_dir: Path, repo_dir: Path, tmp_path: Path
) -> None:
    written = write_ig_specs(
        reference_dir / "sdtmig-3.4",
        reference_dir / "core_cache" / "sdtm-2.0" / "Variables.csv",
        tmp_path,
    )
    committed = repo_dir / "specs" / "sdtmig-3.4"
    names = sorted(str(path.relative_to(tmp_path)) for path in written)
    assert names == sorted(str(path.relative_to(committed)) for path in committed.rglob("*.yaml"))
    for path in written:
        relative = path.relative_to(tmp_path)
        assert path.read_bytes() == (committed / relative).read_bytes(), relative
