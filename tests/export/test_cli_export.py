import json
import shutil
from pathlib import Path

import pytest

from sdtm.cli import main
from sdtm.cli.export import creation_datetime_from
from sdtm.errors import InputError


def run_cli(args: list[str]) -> int:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    return exit_info.value.code


@pytest.fixture
def package(pilot_dir: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "pkg"
    folder.mkdir()
    for name in ("dm.xpt", "suppdm.xpt", "ta.xpt", "te.xpt"):
        shutil.copy(pilot_dir / name, folder / name)
    return folder


def test_export_all_is_reproducible_with_source_date_epoch(
    package, tmp_path, monkeypatch, define_schema_dir, capsys
):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1735689600")  # 2025-01-01T00:00:00Z
    manifests = []
    for run in ("one", "two"):
        out = tmp_path / run
        code = run_cli(
            [
                "export",
                "all",
                str(package),
                "--out",
                str(out),
                "--define-schema",
                str(define_schema_dir),
            ]
        )
        # SUPPDM values with QORIG DERIVED have no method: warnings only.
        assert code == 0
        manifests.append((out / "manifest.json").read_bytes())
    assert manifests[0] == manifests[1]
    manifest = json.loads(manifests[0])
    assert manifest["creation_datetime"] == "2025-01-01T00:00:00"
    assert [e["file"] for e in manifest["files"]][:3] == ["define.xml", "dm.xpt", "json/dm.json"]
    assert "XP0025" in capsys.readouterr().out


def test_export_reads_dataset_json_input(package, tmp_path):
    first = tmp_path / "first"
    assert (
        run_cli(
            [
                "export",
                "dataset-json",
                str(package),
                "--out",
                str(first),
                "--creation-datetime",
                "2025-01-01T00:00:00",
            ]
        )
        == 0
    )
    second = tmp_path / "second"
    assert (
        run_cli(
            [
                "export",
                "xpt",
                str(first / "json"),
                "--out",
                str(second),
                "--creation-datetime",
                "2025-01-01T00:00:00",
            ]
        )
        == 0
    )
    assert sorted(p.name for p in second.glob("*.xpt")) == [
        "dm.xpt",
        "suppdm.xpt",
        "ta.xpt",
        "te.xpt",
    ]


def test_export_fail_on_and_findings_file(pilot_dir, tmp_path):
    folder = tmp_path / "ts"
    folder.mkdir()
    shutil.copy(pilot_dir / "ts.xpt", folder / "ts.xpt")
    findings_file = tmp_path / "findings.json"
    code = run_cli(
        [
            "export",
            "xpt",
            str(folder),
            "--out",
            str(tmp_path / "out"),
            "--creation-datetime",
            "2025-01-01",
            "--findings",
            str(findings_file),
        ]
    )
    assert code == 1
    rules = [f["rule_id"] for f in json.loads(findings_file.read_text())["findings"]]
    assert rules == ["ST0016", "ST0016", "XP0007", "XP0007", "XP0024"]
    assert not (tmp_path / "out" / "ts.xpt").exists()


def test_export_missing_folder_exits_2(tmp_path, capsys):
    assert (
        run_cli(
            [
                "export",
                "xpt",
                str(tmp_path / "nope"),
                "--out",
                str(tmp_path / "o"),
                "--creation-datetime",
                "2025-01-01",
            ]
        )
        == 2
    )
    assert "nope: no such file or folder" in " ".join(capsys.readouterr().err.split())


@pytest.mark.parametrize(
    ("option", "epoch", "expected"),
    [
        ("2025-02-03T04:05:06", "1", "2025-02-03T04:05:06"),
        (None, "86400", "1970-01-02T00:00:00"),
        (None, None, None),
    ],
    ids=["option-wins", "epoch", "none"],
)
def test_creation_datetime_from(option, epoch, expected):
    moment = creation_datetime_from(option, epoch)
    assert (moment.isoformat() if moment else None) == expected


def test_creation_datetime_from_rejects_bad_epoch():
    with pytest.raises(InputError, match="SOURCE_DATE_EPOCH 'soon'"):
        creation_datetime_from(None, "soon")
