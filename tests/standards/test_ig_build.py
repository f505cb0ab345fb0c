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


def test_natural_keys_hold_no_seq_surrogate(standards) -> None:
    # --SEQ in a natural key makes every record unique, so ST0013 (duplicate natural key)
    # could never fire. TS is the one exception: TSSEQ tells apart values of one parameter.
    with_seq = {
        name: [key for key in spec.keys if key == f"{name[:2]}SEQ"]
        for name, spec in standards.domains.items()
    }
    assert {name: keys for name, keys in with_seq.items() if keys} == {"TS": ["TSSEQ"]}
    assert standards.domain("AE").keys == ("STUDYID", "USUBJID", "AETERM", "AESTDTC")


def test_duplicate_ae_natural_key_is_reported(standards) -> None:
    import pandas as pd

    from sdtm.validate.schema import validate_dataset

    ae = pd.DataFrame(
        {
            "STUDYID": "S",
            "DOMAIN": "AE",
            "USUBJID": ["S-1", "S-1", "S-1"],
            "AESEQ": [1, 2, 3],
            "AETERM": ["FEVER", "FEVER", "FEVER"],
            "AEDECOD": ["Pyrexia"] * 3,
            "AESTDTC": ["2024-03-14", "2024-03-14", "2024-03-15"],
        }
    )
    found = validate_dataset(ae, standards.domain("AE"), standards)
    rows = found.frame.query("rule_id == 'ST0013'")
    assert sorted(rows["row"].tolist()) == [2]  # the later record of the pair (issue 17)
