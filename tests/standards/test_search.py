"""CT look-ups: codelist matches of raw values and ``search_ct`` (issue 16, issue 10 item 7).

Expected terms and C-codes are those CDISC publishes (NCI EVS, SDTM CT 2025-03-28): SEX is
C66731 (not extensible), M is C20197 with the synonym Male; NY is C66742 with Y = C49488
(synonym Yes); INTRAVENOUS is C38276 in ROUTE C66729; NOT DONE is C49484 in ND C66789.
"""

import pytest

from sdtm.standards import load_standards
from sdtm.standards.search import MatchKind, TermIndex, match_codelists, search_ct


@pytest.fixture(scope="module")
def standards():
    return load_standards()


@pytest.fixture(scope="module")
def index(standards):
    return TermIndex.build(standards.codelists.values())


def test_values_match_sex_through_cdisc_synonyms(index):
    # 3 rows Male, 1 row Female, 1 row "Unknown person": 4 of 5 rows are SEX synonyms.
    found = match_codelists(index, {"Male": 3, "Female": 1, "Unknown person": 1})
    sex = next(m for m in found if m.short_name == "SEX")
    assert (sex.code, sex.extensible, sex.share) == ("C66731", False, 0.8)
    assert dict(sex.shares) == {"synonym": 0.8}
    assert sex.unmatched == ("Unknown person",)
    assert dict(sex.mapped) == {"Female": "F", "Male": "M"}


@pytest.mark.parametrize(
    ("value", "kind"),
    [("Y", MatchKind.EXACT), ("y", MatchKind.CASE_INSENSITIVE), ("yes", MatchKind.SYNONYM)],
    ids=["exact", "other-case", "synonym"],
)
def test_match_kind_is_reported(index, value, kind):
    ny = next(m for m in index.lookup(value) if m.codelist == "C66742")
    assert (ny.term.code, ny.kind) == ("C49488", kind)


def test_numbers_match_only_submission_values_when_asked(index):
    # "1" is a CDISC synonym in several codelists (e.g. AESEV MILD), never a submission value
    # of NY: with exact kinds only, nothing of NY or AESEV is matched.
    exact = (MatchKind.EXACT, MatchKind.CASE_INSENSITIVE)
    names = {m.short_name for m in match_codelists(index, {"1": 5, "2": 5}, kinds=exact)}
    assert "AESEV" not in names
    assert "AESEV" in {m.short_name for m in match_codelists(index, {"1": 5, "2": 5})}


def test_search_finds_a_submission_value_first(standards):
    hits = search_ct(standards, "intravenous")
    first = hits[0]
    assert (first.codelist.short_name, first.codelist.code, first.term.code) == (
        "ROUTE",
        "C66729",
        "C38276",
    )
    assert (first.matched, first.exact) == ("submission value", True)
    # Partial matches come after whole ones (e.g. INTRAVENOUS DRIP in ROUTE, if present).
    assert all(not h.exact for h in hits[1:])


def test_search_by_synonym_and_by_c_code(standards):
    by_synonym = [
        (h.codelist.short_name, h.term.submission_value, h.matched)
        for h in search_ct(standards, "Male", codelist="SEX")
    ]
    # "Male" is M's synonym; it is also part of "Female" (F's synonym).
    assert by_synonym == [("SEX", "M", "synonym"), ("SEX", "F", "synonym")]
    by_code = search_ct(standards, "C49484")
    assert [(h.codelist.short_name, h.term.submission_value, h.matched) for h in by_code] == [
        ("ND", "NOT DONE", "C-code")
    ]


def test_search_codelist_filter_accepts_c_code_and_lists_all_terms(standards):
    hits = search_ct(standards, "", codelist="C66742")
    assert [h.term.submission_value for h in hits] == ["N", "NA", "U", "Y"]
