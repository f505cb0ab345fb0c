"""The review page of the bundled study (issue 14): size, offline, and the seed subject's course.

Expected values come from the raw files of the seed subject 101-011 (edc/crs.csv lines 41-48,
edc/cm.csv lines 133-134) and its README, with study days worked out by hand from the CAR-T
infusion on 12 MAR 2024 (day 1; no day 0).
"""

import re

import pytest

from sdtm.review import write_review
from sdtm.review.html import unpack

from .conftest import REPO

SEED = "CART-PSCA-001-101-011"
MAX_BYTES = 5_000_000


@pytest.fixture(scope="module")
def html(bundled_review):
    return bundled_review.path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def seed_page(html):
    block = re.search(rf'<option value="{SEED}" data-block="(subject-\d+)">', html).group(1)
    data = re.search(rf'id="{block}">([^<]+)</script>', html).group(1)
    return unpack(data)


def test_review_is_one_small_file_for_every_subject(bundled, bundled_review):
    assert bundled_review.size < MAX_BYTES
    assert bundled_review.subjects == len(bundled.frames["DM"])
    assert bundled_review.findings == len(bundled.findings)


def test_review_needs_no_network(html):
    assert "default-src 'none'" in html
    assert re.search(r'(?:src|href)="(?:https?:)?//', html) is None
    assert "<link" not in html
    assert "@import" not in html


def test_seed_subject_crs_bar_is_grade_4_and_highlighted(seed_page):
    crs = re.search(
        r'<g data-kind="ae" data-term="Cytokine release syndrome" data-grade="4" '
        r'data-highlight="1">(.*?)</g>',
        seed_page,
    )
    assert crs is not None
    assert 'class="ae g4 hl"' in crs.group(1)
    # daily ASTCT grades from edc/crs.csv: 13 MAR 1, 14 MAR 2, 15 MAR 3 and 3, 16 MAR 4,
    # 17 MAR 2, 18 MAR 1, 19 MAR 1 -> study days 2..8
    steps = re.findall(r"<title>TOXGR (\d) on day (\d+)</title>", crs.group(1))
    assert steps == [("1", "2"), ("2", "3"), ("3", "4"), ("3", "4"), ("4", "5"), ("2", "6"),
                     ("1", "7"), ("1", "8")]  # fmt: skip


def test_seed_subject_emapalumab_bars(seed_page):
    emapalumab = re.search(r'<g data-kind="cm" data-trt="EMAPALUMAB"[^>]*>(.*?)</g>', seed_page)
    assert emapalumab is not None
    titles = re.findall(r'<rect class="cm [^"]*"[^>]*><title>([^<]*)</title>', emapalumab.group(1))
    assert len(titles) == 2
    assert "2024-03-16T18:00 to 2024-03-16T19:00" in titles[0]
    assert "2024-03-19T18:00 to 2024-03-19T19:00" in titles[1]


def test_seed_subject_infusion_and_kinetics_peak(seed_page):
    assert "dose at RFSTDTC: PSCA CAR-T 6 10^6/kg" in seed_page
    # transgene peak 62000 copies/ug on 19 MAR 2024 (day 8); Tmax from the 10:05 infusion
    assert "Cmax 62000 DNA copies/ug at Tmax 167.58 h after 2024-03-12T10:05 (day 8)" in seed_page
    assert 'data-title="Cytokines (ng/L)"' in seed_page
    assert 'data-title="Tumour marker (ug/L)"' in seed_page


def test_review_reads_a_dataset_json_folder_and_its_parents_findings(bundled, tmp_path):
    # out/<study>/json holds Dataset-JSON; findings.json is one level up
    review = write_review(
        bundled.out_dir / "json",
        tmp_path / "from-json.html",
        mapping_dir=REPO / "mappings" / "cart-psca-001",
        subjects=[SEED],
    )
    assert (review.subjects, review.findings) == (1, len(bundled.findings))
    html = review.path.read_text(encoding="utf-8")
    page = unpack(re.search(r'id="subject-0">([^<]+)</script>', html).group(1))
    assert 'data-term="Cytokine release syndrome" data-grade="4"' in page
