"""Run CDISC CORE on the package `sdtm run` wrote and print CORE's issues by rule.

CORE (PyPI ``cdisc-rules-engine``) is the independent oracle of the package: it is CDISC's own
rules engine, not ours. It needs Python 3.12 and its own pinned pandas/numpy, so it runs in a
separate virtual environment through the shared offline driver
``../shared/tools/core-oracle/core_validate.sh`` (CORE 0.17.1, SDTMIG 3.4 rules, CT
2025-03-28, the package's define.xml). Build that environment outside the repository.

    python bench/core_outputs.py [OUT_DIR] [--oracle DIR] [--keep DIR] [--report JSON]
                                 [--expected FILE] [--record FILE]

* ``OUT_DIR``: the package folder (default ``out/cart-psca-001``, what ``sdtm run`` writes);
* ``--oracle``: the folder of ``core_validate.sh`` (default ``../shared/tools/core-oracle``
  next to the repository); the environment variables it reads (``CORE_VENV``,
  ``CORE_PYTHON``, ``CORE_CACHE``, ``CORE_POOL_SIZE``) pass through;
* ``--report``: summarise a CORE JSON report already made instead of running CORE;
* ``--expected``: the documented CORE issues (``tests/golden/core_expected.yaml``): every
  issue of the report must be listed there as a planted problem or a CORE false positive;
  issues not listed, and listed issues CORE no longer reports, are printed and the exit code
  is 1;
* ``--record``: write the compact record the end-to-end test compares with
  (``tests/golden/core_report.json``): CORE's version, the commands that made the package and
  ran CORE, the SHA-256 of every file CORE read (define.xml without its creation stamp), and
  one entry per issue. Record the package the golden tests make:
  ``sdtm run --creation-datetime 2024-11-01T12:00:00`` then
  ``python bench/core_outputs.py --record tests/golden/core_report.json``.

Prints one line per (rule, dataset) with the number of records CORE flagged and its message,
then the totals. Exit code 0 when CORE ran (and, with ``--expected``, every issue is
documented), 1 when issues are not documented, 2 when CORE could not run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "out" / "cart-psca-001"
DEFAULT_ORACLE = REPO.parent / "shared" / "tools" / "core-oracle"
ERROR_PREFIX = "rule evaluation error"


def run_core(out_dir: Path, oracle: Path, work: Path) -> tuple[Path, list[str]]:
    """Run ``core_validate.sh`` on ``out_dir``; return the JSON report and the command."""
    script = oracle / "core_validate.sh"
    if not script.is_file():
        raise SystemExit(f"core_outputs: no {script} (give --oracle DIR)")
    command = ["bash", str(script), str(out_dir), str(work)]
    print(f"running: {shlex.join(command)}", file=sys.stderr)
    started = time.perf_counter()
    done = subprocess.run(command, check=False, stdout=subprocess.PIPE, text=True)
    print(f"CORE finished in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    if done.returncode != 0:
        raise SystemExit(f"core_outputs: CORE did not run (exit {done.returncode})")
    return work / "core_report.json", command


def issues_of(report: dict) -> list[dict]:
    """CORE's findings (its rule execution errors left out), one entry per flagged record."""
    out = []
    for detail in report.get("Issue_Details") or []:
        if str(detail.get("message", "")).lower().startswith(ERROR_PREFIX):
            continue
        row = detail.get("row")
        out.append(
            {
                "rule": str(detail.get("core_id", "")),
                "dataset": str(detail.get("dataset", "")),
                "usubjid": str(detail.get("USUBJID") or ""),
                "row": row if isinstance(row, int) else None,
                "seq": detail.get("SEQ") if isinstance(detail.get("SEQ"), int) else None,
                "variables": [str(v) for v in detail.get("variables") or []],
                "values": [str(v) for v in detail.get("values") or []],
                "message": str(detail.get("message", "")),
            }
        )
    return sorted(out, key=lambda i: (i["rule"], i["dataset"], i["row"] or 0, i["usubjid"]))


def execution_errors(report: dict) -> dict[str, str]:
    """Rules CORE failed to run, with the reason it gave."""
    failed: dict[str, str] = {}
    for detail in report.get("Issue_Details") or []:
        if str(detail.get("message", "")).lower().startswith(ERROR_PREFIX):
            failed.setdefault(str(detail.get("core_id", "")), str(detail.get("values", "")))
    return failed


def print_summary(report: dict, issues: list[dict]) -> None:
    """One line per (rule, dataset): records flagged and CORE's message."""
    details = report.get("Conformance_Details") or {}
    print(
        f"CORE {details.get('CORE_Engine_Version')} {details.get('Standard')} "
        f"{details.get('Version')} {details.get('CT_Version')}; define.xml "
        f"{details.get('Define_XML_Version')}"
    )
    by_key: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for issue in issues:
        by_key[(issue["rule"], issue["dataset"])].append(issue)
    print(f"{'rule':<12} {'dataset':<8} {'records':>7}  message")
    for (rule, dataset), found in sorted(by_key.items()):
        print(f"{rule:<12} {dataset:<8} {len(found):>7}  {found[0]['message'][:90]}")
    statuses = Counter(
        str(r.get("status", "")) for r in report.get("Rules_Report") or [] if isinstance(r, dict)
    )
    print(f"rule statuses: {dict(sorted(statuses.items()))}")
    for rule, reason in sorted(execution_errors(report).items()):
        print(f"execution error (not a finding): {rule}: {reason[:120]}")
    print(f"{len(issues)} issues in {len({i['rule'] for i in issues})} rules")


def _matches(issue: dict, entry: dict) -> bool:
    if issue["rule"] != entry["rule"] or issue["dataset"] != entry["dataset"]:
        return False
    subjects = entry.get("usubjid")
    if subjects is not None:
        wanted = [subjects] if isinstance(subjects, str) else list(subjects)
        return issue["usubjid"] in wanted
    return True


def compare_with_expected(issues: list[dict], expected_file: Path) -> list[str]:
    """Problems: issues no entry documents, entries whose count CORE no longer gives."""
    document = yaml.safe_load(expected_file.read_text(encoding="utf-8"))
    entries = document["issues"]
    problems = []
    counts = Counter()
    for issue in issues:
        entry = next((i for i, e in enumerate(entries) if _matches(issue, e)), None)
        if entry is None:
            problems.append(
                f"not documented: {issue['rule']} {issue['dataset']} row {issue['row']} "
                f"{issue['usubjid']} {issue['values']}"
            )
        else:
            counts[entry] += 1
    for number, entry in enumerate(entries):
        if counts[number] != entry["records"]:
            problems.append(
                f"{entry['rule']} {entry['dataset']} ({entry['kind']}): documented "
                f"{entry['records']} record(s), CORE reports {counts[number]}"
            )
    return problems


STAMP = re.compile(rb'CreationDateTime="[^"]*"')


def input_sha256(path: Path) -> str:
    """SHA-256 of a file CORE read; define.xml without its creation stamp.

    The run's stamp of define.xml carries a time zone only when the library is given one, so
    the attribute is left out of the hash; XPT files are hashed as they are.
    """
    data = path.read_bytes()
    if path.suffix == ".xml":
        data = STAMP.sub(b'CreationDateTime=""', data)
    return hashlib.sha256(data).hexdigest()


def record(
    target: Path,
    report: dict,
    issues: list[dict],
    out_dir: Path,
    command: list[str],
    package_command: str,
) -> None:
    """Write the compact CORE record the end-to-end test reads."""
    details = report.get("Conformance_Details") or {}
    inputs = sorted(p for p in out_dir.iterdir() if p.suffix in (".xpt", ".xml"))
    document = {
        "core_version": details.get("CORE_Engine_Version"),
        "standard": f"{details.get('Standard')} {details.get('Version')}",
        "ct": details.get("CT_Version"),
        "define_xml": details.get("Define_XML_Version"),
        "package_command": package_command,
        "command": command,
        "inputs_sha256": {p.name: input_sha256(p) for p in inputs},
        "rule_statuses": dict(
            sorted(
                Counter(
                    str(r.get("status", ""))
                    for r in report.get("Rules_Report") or []
                    if isinstance(r, dict)
                ).items()
            )
        ),
        "execution_errors": execution_errors(report),
        "issues": [{k: v for k, v in i.items() if k != "message"} for i in issues],
        "messages": {i["rule"]: i["message"] for i in issues},
    }
    target.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Run CORE (or read its report), print the issues by rule, compare, record."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", nargs="?", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--oracle", type=Path, default=Path(os.environ.get("CORE_ORACLE", "")))
    parser.add_argument("--keep", type=Path, help="keep CORE's report in this folder")
    parser.add_argument("--report", type=Path, help="summarise this CORE JSON report")
    parser.add_argument("--expected", type=Path, help="documented CORE issues (YAML)")
    parser.add_argument("--record", type=Path, help="write the compact record here")
    parser.add_argument(
        "--package-command",
        default="sdtm run --creation-datetime 2024-11-01T12:00:00",
        help="the command that wrote OUT_DIR, stored in the record",
    )
    args = parser.parse_args(argv)
    oracle = args.oracle if str(args.oracle) not in ("", ".") else DEFAULT_ORACLE
    command: list[str] = []
    if args.report is not None:
        report_file = args.report
    else:
        work = args.keep or Path(tempfile.mkdtemp(prefix="core-outputs-"))
        report_file, command = run_core(args.out_dir, oracle, work)
        # Paths outside the repository are machine paths: the record names them generically.
        command = [
            "bash",
            "../shared/tools/core-oracle/core_validate.sh",
            "out/cart-psca-001" if args.out_dir.resolve() == DEFAULT_OUT else str(args.out_dir),
            "<report folder>",
        ]
    report = json.loads(report_file.read_text(encoding="utf-8"))
    issues = issues_of(report)
    print_summary(report, issues)
    status = 0
    if args.expected is not None:
        problems = compare_with_expected(issues, args.expected)
        for problem in problems:
            print(problem)
        print(
            f"documented: {len(issues) - sum(p.startswith('not') for p in problems)} of "
            f"{len(issues)} issues; {len(problems)} problem(s)"
        )
        status = 1 if problems else 0
    if args.record is not None:
        record(args.record, report, issues, args.out_dir, command, args.package_command)
        print(f"recorded {args.record}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
