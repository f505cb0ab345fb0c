import json
import re
from types import MappingProxyType

import pandas as pd
import pytest

from sdtm.findings import FindingsTable
from sdtm.review.findings_section import TABLE_COLUMNS, render_findings_section
from sdtm.review.html import unpack
from sdtm.review.inputs import ReviewInputs
from sdtm.validate.registry import default_rules_dir, load_rules
from sdtm.validate.waivers import Waiver


@pytest.fixture(scope="module")
def rules():
    return load_rules(default_rules_dir())


def _findings():
    return FindingsTable.from_frame(
        pd.DataFrame(
            {
                "rule_id": ["CT0002", "CT0002", "XR0001", "ZZ9999"],
                "rule_name": ["term-not-in-extensible-codelist"] * 2 + ["x", "foreign"],
                "severity": ["warning", "warning", "error", "notice"],
                "message": ["CM unit", "PC unit", "subject missing", "other tool"],
                "dataset": ["CM", "PC", "AE", "LB"],
                "variable": ["CMDOSU", "PCSTRESU", "USUBJID", None],
                "usubjid": ["S-1", "S-2", "S-9", None],
                "value": ["U/min", "cells/uL", "S-9", None],
                "row": [176, 3, 12, None],
                "source_file": ["edc/vp.csv", "bioanalytical/ck.csv", "edc/ae.csv", None],
                "source_row": [3, 4, 14, None],
                "waived": [True, True, False, False],
            }
        )
    ).frame


def _inputs(**changes):
    values = {
        "name": "pkg",
        "frames": MappingProxyType({}),
        "read_findings": FindingsTable(),
        "findings": _findings(),
        "findings_file": "findings.json",
        "counts": pd.DataFrame(
            {
                "file": ["edc/ae.csv", "edc/cm.csv"],
                "rows_in": ["76", "174"],
                "rows_mapped": ["76", "170"],
                "rows_reported": ["0", "3"],  # 170 + 3 != 174: a mismatch
            }
        ),
        "waivers": (
            Waiver(
                "CT0002",
                MappingProxyType({"dataset": "CM", "value": "U/min"}),
                "UNIT has no units/min",
                "study team",
                3,
                "waivers.yaml",
            ),
        ),
        "waivers_file": "waivers.yaml",
    }
    values.update(changes)
    return ReviewInputs(**values)


def _rows(html):
    block = re.search(r'id="findings-data">([^<]+)</script>', html).group(1)
    data = json.loads(unpack(block))
    assert data["columns"] == list(TABLE_COLUMNS)
    return [dict(zip(data["columns"], row, strict=True)) for row in data["rows"]]


def test_accounting_mismatch_is_red(rules):
    html = render_findings_section(_inputs(), rules)
    assert '<tr class="mismatch"><td>edc/cm.csv</td>' in html
    assert "<td>MISMATCH</td>" in html
    assert "1 file(s) where rows in ≠ mapped + reported" in html


def test_counts_by_severity_leave_waived_findings_out(rules):
    html = render_findings_section(_inputs(), rules)
    # open: 1 error, 0 warnings (both waived), 1 notice
    assert '<div class="card error"><b>1</b>error</div>' in html
    assert '<div class="card warning"><b>0</b>warning</div>' in html
    assert '<div class="card"><b>2</b>waived</div>' in html


def test_waived_findings_show_the_waiver_reason(rules):
    html = render_findings_section(_inputs(), rules)
    # waiver #3 covers the CM finding; the PC one matches no waiver of the file
    assert "<td>#3</td><td>CT0002</td><td>dataset=CM, value=U/min</td>" in html
    assert "<td>UNIT has no units/min</td>" in html
    assert "1 waived finding(s) match no waiver of waivers.yaml" in html
    rows = {r["message"]: r for r in _rows(html)}
    assert rows["CM unit"]["waiver"] == "#3: UNIT has no units/min"
    assert rows["PC unit"]["waiver"] == ""


def test_without_a_waivers_file_the_missing_reasons_are_explained(rules):
    html = render_findings_section(_inputs(waivers=(), waivers_file=""), rules)
    assert "the reasons cannot be shown" in html


def test_table_rows_keep_file_row_and_value_and_put_open_findings_first(rules):
    rows = _rows(render_findings_section(_inputs(), rules))
    assert [(r["rule_id"], r["waived"]) for r in rows] == [
        ("XR0001", False), ("ZZ9999", False), ("CT0002", True), ("CT0002", True),
    ]  # fmt: skip
    first = rows[0]
    assert (first["source_file"], first["source_row"], first["row"], first["value"]) == (
        "edc/ae.csv", 14, 12, "S-9",
    )  # fmt: skip


def test_rule_ids_link_to_their_documentation_in_the_page(rules):
    html = render_findings_section(_inputs(), rules)
    assert '<a href="#rule-XR0001">XR0001</a>' in html
    assert 'id="rule-XR0001"' in html
    assert rules["XR0001"].fix in html.replace("&#x27;", "'")
    # a rule of another tool is listed without documentation
    assert 'id="rule-ZZ9999"' in html and "not a rule of this toolkit" in html


def test_root_cause_counts_appear_when_the_findings_carry_them(rules):
    findings = _findings().assign(root_cause=["unit", "unit", "site entry", None])
    html = render_findings_section(_inputs(findings=findings), rules)
    assert "Open findings by root cause" in html
    assert '<td>site entry</td><td class="num">1</td>' in html


def test_package_without_findings_says_how_to_get_them(rules):
    html = render_findings_section(_inputs(findings=None, counts=None), rules)
    assert "No findings.json in the package" in html
    assert "sdtm validate DIR --format json" in html
    assert "No counts.csv in the package" in html
