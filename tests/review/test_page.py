import re
from types import MappingProxyType

import pytest

from sdtm.errors import InputError
from sdtm.findings import FindingsTable
from sdtm.review.html import unpack
from sdtm.review.inputs import ReviewInputs
from sdtm.review.page import build_review

from .conftest import S1, S2, S3


def _inputs(package):
    return ReviewInputs(
        name="mini", frames=MappingProxyType(package), read_findings=FindingsTable()
    )


def _pages(html):
    blocks = dict(re.findall(r'<option value="([^"]+)" data-block="(subject-\d+)">', html))
    return {
        usubjid: unpack(re.search(rf'id="{block}">([^<]+)</script>', html).group(1))
        for usubjid, block in blocks.items()
    }


def test_page_has_every_dm_subject_in_the_picker(package):
    page = build_review(_inputs(package), tool_version="9.9")
    assert page.subjects == (S1, S2, S3)
    assert "<title>SDTM review: ST</title>" in page.html
    assert "report by sdtm 9.9" in page.html
    pages = _pages(page.html)
    assert "No full RFSTDTC" in pages[S2]
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="timeline"' in pages[S1]


def test_page_is_the_same_when_built_twice(package):
    first = build_review(_inputs(package)).html
    assert build_review(_inputs(package)).html == first


def test_a_subject_is_drawn_the_same_when_picked_alone(package):
    alone = build_review(_inputs(package), subjects=[S1])
    assert alone.subjects == (S1,)
    assert _pages(alone.html)[S1] == _pages(build_review(_inputs(package)).html)[S1]


def test_unknown_subject_is_an_input_error(package):
    with pytest.raises(InputError, match="not in DM: NOPE"):
        build_review(_inputs(package), subjects=["NOPE"])


def test_page_makes_no_network_request(package):
    html = build_review(_inputs(package)).html
    assert "default-src 'none'" in html
    assert re.search(r'(?:src|href)="(?:https?:)?//', html) is None
