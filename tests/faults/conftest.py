"""Shared helpers of the fault suite (issue 12): hostile inputs and output-folder hazards.

Every case builds its own small inputs under ``tmp_path``; expected values are written out by
hand (file names, byte contents, SHA-256 computed with hashlib in the test, messages from the
issue), never read back from the code under test.
"""

import hashlib
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sdtm.cli import main

FAULTS_DIR = Path(__file__).resolve().parent
REPO_DIR = FAULTS_DIR.parents[1]
TINY = REPO_DIR / "tests" / "mapping" / "fixtures" / "tiny"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_files(folder: Path, files: dict[str, bytes]) -> None:
    for relative, data in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def write_manifest(folder: Path, files: dict[str, bytes], **extra_entries: dict) -> None:
    """A manifest.json as the tool writes it, built by hand from the files' bytes."""
    entries = [
        {"file": name, "size": len(data), "sha256": sha256(data), "records": None}
        for name, data in sorted(files.items())
    ]
    entries += [{"file": name, **entry} for name, entry in extra_entries.items()]
    document = {"creation_datetime": "2024-01-01T00:00:00", "files": entries}
    (folder / "manifest.json").write_text(json.dumps(document, indent=2) + "\n")


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path -> bytes), links not followed."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out, captured.err


def finishes(call: Callable[[], Any], seconds: float = 60.0) -> tuple[bool, Any]:
    """Run ``call`` in a daemon thread; return whether it finished within ``seconds``.

    A generous bound, not a timing assertion: a hang (the alias bomb of issue 12 ran for
    minutes) fails the test instead of blocking the suite.
    """
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = call()
        except BaseException as error:  # handed to the test to assert on
            outcome["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    return not thread.is_alive(), outcome.get("error", outcome.get("value"))


@pytest.fixture(scope="session")
def kit():
    """The helpers above, for the test modules (importlib mode cannot import conftest)."""
    from types import SimpleNamespace

    return SimpleNamespace(
        sha256=sha256,
        write_files=write_files,
        write_manifest=write_manifest,
        snapshot=snapshot,
        run_cli=run_cli,
        finishes=finishes,
        tiny=TINY,
        repo=REPO_DIR,
    )
