"""The review of a package another tool produced: the CDISC pilot (no findings.json, not CAR-T).

Record counts are those of the Pinnacle 21 report shipped with the pilot package
(pinnacle21-report-2018-10-08.xlsx, sheet Dataset Summary).
"""

import re

import pytest

from sdtm.review.html import unpack

SUBJECT = "01-701-1015"


@pytest.fixture(scope="module")
def html(pilot_review):
    return pilot_review.path.read_text(encoding="utf-8")


def _records(html: str, dataset: str) -> int:
    match = re.search(
        rf'<td><a href="#dataset-{dataset}">{dataset}</a></td><td>[^<]*</td>'
        r'<td class="num">([\d,]+)</td>',
        html,
    )
    return int(match.group(1).replace(",", ""))


def test_pilot_review_explains_the_missing_findings(pilot_review, html):
    assert (pilot_review.subjects, pilot_review.findings) == (1, 0)
    assert "No findings.json in the package" in html
    assert "No counts.csv in the package" in html
    assert any("no findings.json" in note for note in pilot_review.notes)


@pytest.mark.parametrize(
    ("dataset", "records"),
    [("AE", 961), ("CM", 7510), ("DM", 306), ("VS", 29643)],
    ids=["AE", "CM", "DM", "VS"],
)
def test_pilot_profiles_count_records_as_pinnacle_21_does(html, dataset, records):
    assert _records(html, dataset) == records


def test_pilot_profiles_count_the_split_lb_datasets(html):
    # P21 reports LB (lbch.xpt, lbhe.xpt, lbur.xpt) as 59580 records
    assert sum(_records(html, name) for name in ("LBCH", "LBHE", "LBUR")) == 59580


def test_pilot_timeline_shows_ae_ex_and_lb(html):
    block = re.search(r'id="subject-0">([^<]+)</script>', html).group(1)
    page = unpack(block)
    assert page.count('data-kind="ae"') == 3
    # AESEV MILD, no AETOXGR: drawn as severity 1
    assert 'data-term="APPLICATION SITE ERYTHEMA" data-grade="1"' in page
    assert 'data-kind="ex" data-trt="PLACEBO"' in page
    assert 'data-domain="LB"' in page
    assert 'data-domain="VS"' in page
