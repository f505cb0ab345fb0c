"""CDISC CORE, the independent oracle, on the bundled package (issue 11).

`tests/golden/core_report.json` is CORE 0.17.1's report on the package `sdtm run` writes for the
bundled study, recorded by `bench/core_outputs.py --record` with the exact command and the
SHA-256 of every file CORE read (CORE needs Python 3.12 and its own environment, so the test
reads the recorded report instead of running CORE). `tests/golden/core_expected.yaml` explains,
by hand, every issue CORE reports: a problem planted in the sample data (its case number in
`sample_data/cart-psca-001/README.md`), a conflict waived with its reason in `waivers.yaml`, or
a documented CORE false positive. The tests fail when the package changes without CORE being run
again, when CORE reports something nobody explained, or when an explained issue disappears.

The second bundled study (issue 10, another sponsor's layout) has its own record
(`core_report_cd19.json`, `core_expected_cd19.yaml`), checked by the same tests; its
explanations may also name a gap in the delivery that our own rules report (`source-gap`).
"""

import hashlib
import json
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).parent
REPO = HERE.parents[1]
KINDS = {"planted", "waived", "false-positive", "source-gap"}


def _load(report: str, expected: str) -> tuple[dict, dict]:
    return (
        json.loads((HERE / report).read_text(encoding="utf-8")),
        yaml.safe_load((HERE / expected).read_text(encoding="utf-8")),
    )


REPORT, EXPECTED = _load("core_report.json", "core_expected.yaml")
# The second bundled study (issue 10), another sponsor's layout: the same oracle, its own record.
STUDIES = {
    "cart-psca-001": {
        "fixture": "bundled",
        "record": (REPORT, EXPECTED),
        "package_command": "sdtm run --creation-datetime 2024-11-01T12:00:00",
    },
    "cart-cd19-002": {
        "fixture": "second",
        "record": _load("core_report_cd19.json", "core_expected_cd19.yaml"),
        "package_command": "sdtm run sample_data/cart-cd19-002 --mapping mappings/cart-cd19-002 "
        "--creation-datetime 2024-11-01T12:00:00",
    },
}
ENTRIES = [
    pytest.param(study, entry, id=f"{study}-{entry['rule']}-{entry['dataset']}")
    for study, case in STUDIES.items()
    for entry in case["record"][1]["issues"]
]


def _sha256(path: Path) -> str:
    # define.xml's creation stamp is left out: the library stamps a time zone, the CLI does not
    data = path.read_bytes()
    if path.suffix == ".xml":
        data = re.sub(rb'CreationDateTime="[^"]*"', b'CreationDateTime=""', data)
    return hashlib.sha256(data).hexdigest()


def _matches(issue: dict, entry: dict) -> bool:
    if (issue["rule"], issue["dataset"]) != (entry["rule"], entry["dataset"]):
        return False
    subjects = entry.get("usubjid")
    if subjects is None:
        return True
    return issue["usubjid"] in ([subjects] if isinstance(subjects, str) else subjects)


@pytest.mark.parametrize("study", STUDIES)
def test_the_report_was_made_by_core_0_17_1_with_the_recorded_command(study):
    report, expected = STUDIES[study]["record"]
    assert report["core_version"] == expected["core_version"] == "0.17.1"
    assert report["standard"] == "SDTMIG V3.4"
    assert report["ct"] == "sdtmct-2025-03-28"
    assert report["define_xml"] == "2.1.0"  # the package's own define.xml was used
    assert report["command"][:2] == ["bash", "../shared/tools/core-oracle/core_validate.sh"]
    assert report["package_command"] == STUDIES[study]["package_command"]


@pytest.mark.parametrize("study", STUDIES)
def test_the_report_is_of_the_package_the_run_writes_now(study, request):
    # every file CORE read has the SHA-256 of the file the run writes: a change of the outputs
    # must come with a new CORE run (bench/core_outputs.py --record)
    report = STUDIES[study]["record"][0]
    out_dir = request.getfixturevalue(STUDIES[study]["fixture"]).out_dir
    actual = {name: _sha256(out_dir / name) for name in report["inputs_sha256"]}
    assert actual == report["inputs_sha256"]
    written = {p.name for p in out_dir.iterdir() if p.suffix in (".xpt", ".xml")}
    assert written == set(report["inputs_sha256"])


@pytest.mark.parametrize("study", STUDIES)
def test_core_ran_every_rule_it_could(study):
    report = STUDIES[study]["record"][0]
    assert report["execution_errors"] == {}
    assert report["rule_statuses"].get("EXECUTION ERROR", 0) == 0


@pytest.mark.parametrize("study", STUDIES)
def test_every_core_issue_is_explained_and_every_explanation_still_holds(study):
    report, expected = STUDIES[study]["record"]
    counts: Counter = Counter()
    unexplained = []
    for issue in report["issues"]:
        entry = next((n for n, e in enumerate(expected["issues"]) if _matches(issue, e)), None)
        if entry is None:
            unexplained.append((issue["rule"], issue["dataset"], issue["usubjid"], issue["row"]))
        else:
            counts[entry] += 1
    assert unexplained == []
    stale = [
        (e["rule"], e["dataset"], e["records"], counts[n])
        for n, e in enumerate(expected["issues"])
        if counts[n] != e["records"]
    ]
    assert stale == []


@pytest.mark.parametrize(("study", "entry"), ENTRIES)
def test_each_explanation_is_complete(study, entry):
    assert entry["kind"] in KINDS
    assert len(entry["reason"]) > 40
    if entry["kind"] == "planted":
        # the case exists in the study's table of planted edge cases
        readme = (REPO / "sample_data" / study / "README.md").read_text(encoding="utf-8")
        assert re.search(rf"^\| {entry['case']} \|", readme, flags=re.MULTILINE)
    if entry["kind"] == "waived":
        waivers = (REPO / "mappings" / study / "waivers.yaml").read_text()
        assert entry["waiver"] in waivers and entry["usubjid"] in waivers
    if entry["kind"] == "source-gap":
        # the gap is one our own rules report too, named in the reason
        assert re.search(r"\b(ST|MP|RD|XR|CT)\d{4}\b", entry["reason"])


def test_docs_list_every_core_issue():
    page = (REPO / "docs" / "conformance.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| (CORE-\d{6}) \| (\w+/?\w*) \|", page, flags=re.MULTILINE))
    for case in STUDIES.values():
        assert {(e["rule"], e["dataset"]) for e in case["record"][1]["issues"]} <= listed


def test_what_core_no_longer_reports():
    # fixed by issue 11, written out by hand: define.xml roles (CORE-001081, 321 records in the
    # first run), FAOBJ vs AEDECOD (CORE-000744), DMDY and SE study days (CORE-000321/000793,
    # CORE-000328/000776), LBLLOQ before the timing variables (CORE-000852)
    rules = {issue["rule"] for issue in REPORT["issues"]}
    fixed = {"CORE-001081", "CORE-000744", "CORE-000321", "CORE-000793", "CORE-000328",
             "CORE-000776", "CORE-000852",
             # after issue 17: RFPENDTC counts AE and CM dates (102-009's AE ended after the
             # last visit it had counted), and withheld records (CORE-000201, CORE-000356)
             "CORE-000952", "CORE-000201", "CORE-000356"}  # fmt: skip
    assert rules & fixed == set()


def test_planted_problems_core_and_our_validator_both_report(bundled):
    # independent agreement on planted case 6: the AE of 102-008 that ends before it starts
    core = {i["usubjid"] for i in REPORT["issues"] if i["rule"] in ("CORE-000708", "CORE-000718")}
    frame = bundled.findings.frame
    ours = set(frame.loc[frame["rule_id"] == "ST0064", "usubjid"])
    assert core == ours == {"CART-PSCA-001-102-008"}


def test_records_withheld_by_a_hard_rule_are_not_in_the_package_core_read(bundled):
    # planted case 25 (17 lab rows of 101-O11, a subject not in DM) and case 12 (the AE of
    # 102-010 without a verbatim term) are withheld and reported by us (MP0013/MP0041, then
    # MP0040), so CORE, which reads the package, finds no record of them (issue 17)
    frame = bundled.findings.frame
    withheld = frame.loc[frame["rule_id"] == "MP0040"]
    assert (withheld["usubjid"] == "CART-PSCA-001-101-O11").sum() == 17
    ae_withheld = withheld.loc[withheld["dataset"] == "AE", "usubjid"]
    assert ae_withheld.tolist() == ["CART-PSCA-001-102-010"]
    assert not [i for i in REPORT["issues"] if i["usubjid"] == "CART-PSCA-001-101-O11"]
    # CORE-000356 (AETERM/AEDECOD null) was its report of the empty verbatim term
    assert not [i for i in REPORT["issues"] if i["rule"] == "CORE-000356"]
