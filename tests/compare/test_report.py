"""Reports of a comparison: JSON document, XLSX sheets, HTML page, text; unsafe text stays text."""

import io
import json

import pandas as pd
import pytest
from openpyxl import load_workbook
from rich.console import Console

from sdtm.comparison.package import compare_frames, options_from
from sdtm.comparison.report import render_html, render_text, to_json_document, write_compare_report
from sdtm.errors import ExportError


@pytest.fixture(scope="module")
def result(standards):
    base = pd.DataFrame(
        {"STUDYID": ["S", "S"], "USUBJID": ["S-1", "S-2"], "AETERM": ["<b>HEADACHE</b>", "RASH"],
         "AESTDTC": ["2024-01-01", "2024-01-02"], "AESEV": ["MILD", "MILD"]}
    )  # fmt: skip
    other = base.copy()
    other.loc[0, "AESEV"] = "=HYPERLINK(1)"
    return compare_frames(
        {"AE": base, "DM": pd.DataFrame({"STUDYID": ["S"], "USUBJID": ["S-1"]})},
        {"AE": other},
        options_from(),
        standards,
        base_label="a",
        compare_label="b",
    )


def test_json_document_holds_every_level_and_the_verdict(result) -> None:
    document = json.loads(json.dumps(to_json_document(result)))
    assert document["identical"] is False
    assert document["verdict"] == (
        "DIFFERENT: 2 of 2 dataset(s) differ: AE (1 value(s) in 1 variable(s)); DM (only in base)"
    )
    assert [(d["dataset"], d["status"], d["compare_records"]) for d in document["datasets"]] == [
        ("AE", "different", 2),
        ("DM", "only in base", None),
    ]
    assert document["examples"] == [
        {
            "dataset": "AE",
            "variable": "AESEV",
            "key": "STUDYID=S, USUBJID=S-1, AETERM=<b>HEADACHE</b>, AESTDTC=2024-01-01",
            "base_row": 1,
            "compare_row": 1,
            "base_value": "MILD",
            "compare_value": "=HYPERLINK(1)",
        }
    ]
    assert document["options"]["tolerance"] == 1e-9


def test_xlsx_has_a_sheet_per_level_and_formulas_stay_text(result, tmp_path) -> None:
    path = tmp_path / "compare.xlsx"
    write_compare_report(result, "xlsx", path)
    workbook = load_workbook(path)
    assert workbook.sheetnames == [
        "Summary", "datasets", "attributes", "records", "values", "examples", "duplicate_keys",
    ]  # fmt: skip
    assert workbook["Summary"]["B1"].value == result.verdict
    examples = list(workbook["examples"].values)
    assert examples[1][-1] == "'=HYPERLINK(1)"


def test_html_escapes_values_and_leads_with_the_verdict(result) -> None:
    page = render_html(result)
    assert f'<h1 class="different">{result.verdict}</h1>' in page
    assert "AETERM=&lt;b&gt;HEADACHE&lt;/b&gt;," in page
    assert "<b>HEADACHE</b>" not in page


def test_text_ends_with_the_verdict(result) -> None:
    console = Console(record=True, width=200, file=io.StringIO())
    render_text(result, console)
    lines = [line.strip() for line in console.export_text().strip().splitlines()]
    assert lines[-1] == result.verdict
    assert "AE keys: STUDYID, USUBJID, AETERM, AESTDTC (SDTMIG 3.4 AE keys)" in lines


def test_unknown_format_is_an_error(result, tmp_path) -> None:
    with pytest.raises(ExportError, match="unknown report format 'csv'"):
        write_compare_report(result, "csv", tmp_path / "x.csv")
