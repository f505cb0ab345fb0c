"""A killed or failed export never leaves a package that looks complete (issue 12).

The fault corpus found ``manifest.json`` written before ``findings.json``, ``lineage.csv`` and
``run.json``: a run killed or out of disk at that point left a folder that looked complete.
Here a real ``kill -9`` (SIGKILL, which no handler can catch) hits a package write at every
file-system step in turn; after each kill the folder must hold either the previous complete
package (every file matching its manifest), no ``manifest.json`` at all, or (killed after the
last rename) the complete new package.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import pytest

from sdtm.cli import main
from sdtm.errors import ExportError
from sdtm.export.output_folder import PackageWriter, inventory_output_folder
from sdtm.read.manifest import verify_package

PREVIOUS = {
    "ae.xpt": b"previous ae",
    "mh.xpt": b"previous mh",
    "json/ae.json": b'{"previous": "ae"}',
    "findings.json": b'{"findings": ["previous"]}',
    "run.json": b'{"run": "previous"}',
}
NEXT = {
    "ae.xpt": b"next ae",
    "json/ae.json": b'{"next": "ae"}',
    "findings.json": b'{"findings": ["next"]}',
    "lineage.csv": b"DOMAIN,USUBJID\nAE,S1-001\n",
    "run.json": b'{"run": "next"}',
}

# Runs in a child process that imports the writer once, then for each k forks a process that
# writes NEXT over a copy of the PREVIOUS package and SIGKILLs itself at the k-th file-system
# change (k = 0: never). Every change the writer makes goes through one of the patched calls, so
# k walks through the whole write, staging included. Prints one "k status" line per fork.
_CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from datetime import datetime
    from pathlib import Path
    from sdtm.export.output_folder import PackageWriter, inventory_output_folder

    root, last, previous, files = Path(sys.argv[1]), int(sys.argv[2]), *map(eval, sys.argv[3:5])

    def write(out, content, stamp):
        inventory = inventory_output_folder(out)
        with PackageWriter(out) as package:
            for relative, data in content.items():
                target = package.staging / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            package.commit(inventory, creation_datetime=stamp)

    def killed_at(kill_at):
        calls = [0]

        def patch(owner, name):
            real = getattr(owner, name)
            def patched(*args, **kwargs):
                calls[0] += 1
                if calls[0] == kill_at:
                    os.kill(os.getpid(), signal.SIGKILL)
                return real(*args, **kwargs)
            setattr(owner, name, patched)

        for owner, name in ((os, "replace"), (Path, "unlink"), (Path, "write_bytes"),
                            (Path, "write_text"), (Path, "mkdir")):
            patch(owner, name)
        write(root / f"k{kill_at}", files, datetime(2024, 1, 2))
        return calls[0]

    for kill_at in range(0, last + 1):
        write(root / f"k{kill_at}", previous, datetime(2024, 1, 1))
        reader, writer = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(reader)
            steps = killed_at(kill_at)
            os.write(writer, str(steps).encode())
            os._exit(0)
        os.close(writer)
        _, status = os.waitpid(pid, 0)
        steps = os.read(reader, 100).decode() or "-"
        signal_number = os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0
        print(kill_at, signal_number, steps)
    """
)


def _run_killed(root: Path, last: int) -> list[tuple[int, int, str]]:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(root), str(last), repr(PREVIOUS), repr(NEXT)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return [(int(k), int(sig), steps) for k, sig, steps in map(str.split, done.stdout.splitlines())]


def _write(out: Path, files: dict[str, bytes]) -> None:
    inventory = inventory_output_folder(out)
    with PackageWriter(out) as package:
        for relative, data in files.items():
            (package.staging / relative).parent.mkdir(parents=True, exist_ok=True)
            (package.staging / relative).write_bytes(data)
        package.commit(inventory, creation_datetime=datetime(2024, 1, 1))


def _package_files(out: Path) -> dict[str, bytes]:
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        # The tool's hidden working files (staging folder, switch journal) are not the package.
        if p.is_file() and not p.relative_to(out).as_posix().startswith(".sdtm-")
        and p.name != "manifest.json"
    }  # fmt: skip


def test_kill_9_at_every_step_leaves_previous_package_or_no_manifest(tmp_path):
    """Acceptance: kill -9 during export leaves no manifest-bearing partial package."""
    ((_, _, steps),) = _run_killed(tmp_path / "probe", 0)  # k = 0: how many steps there are
    assert int(steps) >= 2 * len(NEXT)  # every file is written, then moved
    runs = _run_killed(tmp_path, int(steps))
    killed = [(k, sig) for k, sig, _ in runs[1:]]
    assert killed == [(k, signal.SIGKILL) for k in range(1, len(runs))]
    outcomes = set()
    for kill_at in range(1, len(runs)):
        out = tmp_path / f"k{kill_at}"
        has_manifest, problems = verify_package(out)
        if has_manifest:
            assert problems == (), kill_at
            # Killed after the last rename, only the switch journal was left to remove.
            state = {"previous": PREVIOUS, "next": NEXT}
            (name,) = [name for name, files in state.items() if _package_files(out) == files]
            outcomes.add(f"{name} package complete")
        else:
            outcomes.add("no manifest")
        # The next run recovers: it takes back the killed run's files (listed by the switch
        # journal), removes its staging folder and writes the package.
        _write(out, NEXT)
        assert verify_package(out) == (True, ())
        assert _package_files(out) == NEXT, kill_at
        assert [p.name for p in out.iterdir() if p.name.startswith(".sdtm-")] == []
    # Kills before the switch keep the previous package; kills during it leave no manifest.
    assert outcomes == {"previous package complete", "no manifest", "next package complete"}


def test_failure_before_commit_leaves_the_previous_package(tmp_path):
    out = tmp_path / "out"
    _write(out, PREVIOUS)
    with pytest.raises(RuntimeError, match="export failed"), PackageWriter(out) as package:
        (package.staging / "ae.xpt").write_bytes(b"half")
        raise RuntimeError("export failed")
    assert verify_package(out) == (True, ())
    assert _package_files(out) == PREVIOUS
    assert sorted(p.name for p in out.iterdir()) == [
        "ae.xpt", "findings.json", "json", "manifest.json", "mh.xpt", "run.json"
    ]  # fmt: skip


def test_failure_while_switching_leaves_no_manifest(tmp_path, monkeypatch):
    out = tmp_path / "out"
    _write(out, PREVIOUS)
    real_replace = os.replace
    calls = []

    def full_disk(source, target):
        calls.append(target)
        if len(calls) == 3:
            raise OSError(28, "No space left on device", str(target))
        return real_replace(source, target)

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(ExportError, match=r"without manifest\.json"):
        _write(out, NEXT)
    assert not (out / "manifest.json").exists()
    assert verify_package(out) == (False, ())


def test_manifest_lists_every_file_and_is_written_last(tmp_path):
    out = tmp_path / "out"
    _write(out, NEXT)
    manifest = json.loads((out / "manifest.json").read_text())
    assert [e["file"] for e in manifest["files"]] == sorted(NEXT)
    assert (out / "manifest.json").stat().st_mtime_ns >= max(
        (out / name).stat().st_mtime_ns for name in NEXT
    )


def test_validate_refuses_a_package_that_does_not_match_its_manifest(tmp_path, capsys):
    import pandas as pd
    import pyreadstat

    out = tmp_path / "pkg"
    out.mkdir()
    frame = pd.DataFrame({"STUDYID": ["S1"] * 40, "DOMAIN": ["TE"] * 40, "ETCD": ["A"] * 40})
    path = out / "te.xpt"
    pyreadstat.write_xport(frame, str(path), file_format_version=5, table_name="TE")
    data = path.read_bytes()
    import hashlib

    entry = {"file": "te.xpt", "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    (out / "manifest.json").write_text(json.dumps({"creation_datetime": "", "files": [entry]}))
    path.write_bytes(data[:-80])  # the last record lost: a copy cut short
    with pytest.raises(SystemExit) as exit_info:
        main(["validate", str(out)])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert "does not match its manifest.json" in err
    assert "te.xpt:" in err and "Traceback" not in err
