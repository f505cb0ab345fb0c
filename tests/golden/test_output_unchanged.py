"""The bundled study's package is byte-identical to the one recorded (issue 9).

`bundled_output_sha256.json` holds the SHA-256 of every file the run wrote before the pipeline
was split into its stage modules; a refactoring must not change a byte of the outputs. An
intended change of output updates the recorded hash in the same commit that makes it.
"""

import hashlib
import json
import warnings
from pathlib import Path

RECORDED = Path(__file__).with_name("bundled_output_sha256.json")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_recorded_output_file_has_its_recorded_sha256(bundled):
    recorded = json.loads(RECORDED.read_text(encoding="utf-8"))["files"]
    actual = {
        name: _sha256(bundled.out_dir / name) if (bundled.out_dir / name).is_file() else None
        for name in recorded
    }
    changed = {name: actual[name] for name in recorded if actual[name] != recorded[name]}
    assert changed == {}


def test_the_manifest_lists_every_recorded_dataset_and_no_other_dataset(bundled):
    recorded = json.loads(RECORDED.read_text(encoding="utf-8"))["files"]
    manifest = json.loads((bundled.out_dir / "manifest.json").read_text(encoding="utf-8"))
    def is_dataset(name: str) -> bool:
        return name.endswith(".xpt") or name.startswith(("json/", "ndjson/"))

    datasets = {entry["file"] for entry in manifest["files"] if is_dataset(entry["file"])}
    assert datasets == {name for name in recorded if is_dataset(name)}


def test_two_jobs_write_the_recorded_bytes(tmp_path):
    """Checks and export shared out between two processes change no byte of the outputs."""
    from datetime import UTC, datetime

    from sdtm import run_study

    repo = Path(__file__).resolve().parents[2]
    with warnings.catch_warnings():
        # A worker that fails is redone here with a warning: here it must not fail at all.
        warnings.simplefilter("error", RuntimeWarning)
        result = run_study(
            repo / "sample_data" / "cart-psca-001",
            repo / "mappings" / "cart-psca-001",
            tmp_path / "cart-psca-001",
            creation_datetime=datetime(2024, 11, 1, 12, 0, tzinfo=UTC),
            jobs=2,
        )
    recorded = json.loads(RECORDED.read_text(encoding="utf-8"))["files"]
    actual = {
        name: _sha256(result.out_dir / name) if (result.out_dir / name).is_file() else None
        for name in recorded
    }
    assert {name: actual[name] for name in recorded if actual[name] != recorded[name]} == {}
