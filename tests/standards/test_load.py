import shutil
from pathlib import Path

import pytest

from sdtm.errors import StandardsError
from sdtm.standards import Standards, available_ct_versions, load_standards

STUDY_DOMAINS = [
    "DM",
    "EX",
    "AE",
    "FA",
    "LB",
    "PC",
    "CM",
    "DS",
    "SUPPQUAL",
    "RELREC",
    "TA",
    "TE",
    "TV",
    "SE",
    "TS",
    "PP",
    "MH",
    "SC",
    "SV",
    "VS",
    "TI",
    # issue 11: death details, criteria not met, procedures (leukapheresis)
    "DD",
    "IE",
    "PR",
]


def test_load_standards_defaults_to_project_specs(standards: Standards) -> None:
    assert (standards.sdtmig_version, standards.ct_version) == ("3.4", "2025-03-28")
    assert sorted(standards.domains) == sorted(STUDY_DOMAINS)
    assert standards.sources[0].startswith("SDTMIG 3.4: CDISC Library export")
    assert standards.sources[1].startswith("CDISC SDTM CT 2025-03-28: NCI EVS")


def test_load_standards_without_argument_finds_specs() -> None:
    assert load_standards().ct_version == "2025-03-28"


@pytest.mark.parametrize(
    ("domain", "variable", "expected"),
    [
        ("AE", "AESEV", ("Severity/Intensity", "Char", "Perm", ("C66769",))),
        ("DM", "SEX", ("Sex", "Char", "Req", ("C66731",))),
        ("LB", "LBSTRESN", ("Numeric Result/Finding in Standard Units", "Num", "Exp", ())),
        ("LB", "LBSTRESC", ("Character Result/Finding in Std Format", "Char", "Exp", ("C102580",))),
        ("TS", "TSPARMCD", ("Trial Summary Parameter Short Name", "Char", "Req", ("C66738",))),
    ],
    ids=["AESEV", "SEX", "LBSTRESN", "LBSTRESC", "TSPARMCD"],
)
def test_variable_metadata_matches_sdtmig(
    standards: Standards, domain: str, variable: str, expected: tuple
) -> None:
    spec = standards.domain(domain).variable(variable)
    assert (spec.label, spec.data_type, spec.core, spec.codelists) == expected


def test_ds_dsdecod_has_several_codelists(standards: Standards) -> None:
    assert standards.domain("DS").variable("DSDECOD").codelists == ("C66727", "C114118", "C150811")


def test_lbllodq_is_a_declared_model_addition_not_an_ig_variable(standards: Standards) -> None:
    lb = standards.domain("LB")
    assert lb.variable("LBLLOQ") is None
    addition = lb.declared_variable("LBLLOQ")
    assert (addition.data_type, addition.core, addition.model_variable) == ("Num", "Perm", "--LLOQ")
    assert addition.order == len(lb.variables) + 1


def test_supp_datasets_resolve_to_suppqual(standards: Standards) -> None:
    assert standards.domain("suppae").name == "SUPPQUAL"
    assert standards.domain("XX") is None


def test_every_referenced_codelist_is_in_the_package(standards: Standards) -> None:
    referenced = {
        code
        for domain in standards.domains.values()
        for variable in domain.declared_variables
        for code in variable.codelists
    }
    assert referenced - set(standards.codelists) == set()


@pytest.mark.parametrize(
    ("short_name", "code", "extensible", "member"),
    [
        ("NY", "C66742", False, "Y"),
        ("AESEV", "C66769", False, "MODERATE"),
        ("UNIT", "C71620", True, "ng/L"),
        ("PKUNIT", "C85494", True, "DNA copies/ug"),
        ("LBTESTCD", "C65047", True, "INTLK6"),
        ("EPOCH", "C99079", True, "LONG-TERM FOLLOW-UP"),
        ("LBSTRESC", "C102580", True, "NEGATIVE"),
    ],
    ids=["NY", "AESEV", "UNIT", "PKUNIT", "LBTESTCD", "EPOCH", "LBSTRESC"],
)
def test_codelists_carry_ct_2025_03_28_facts(
    standards: Standards, short_name: str, code: str, extensible: bool, member: str
) -> None:
    codelist = standards.codelist_by_short_name(short_name)
    assert (codelist.code, codelist.extensible) == (code, extensible)
    assert member in codelist.submission_values


def test_terms_have_synonyms_and_preferred_terms(standards: Standards) -> None:
    term = standards.codelists["C66742"].term("U")
    assert (term.code, term.synonyms, term.preferred_term) == (
        "C17998",
        ("U", "UNK", "Unknown"),
        "Unknown",
    )
    assert term.definition.startswith("Not known")


def test_unknown_ct_version_is_a_clear_error(repo_dir: Path) -> None:
    with pytest.raises(
        StandardsError, match=r"CT package 1999-01-01 not found .*available: 2025-03-28"
    ):
        load_standards(repo_dir / "specs", ct_version="1999-01-01")


def test_missing_specs_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StandardsError, match="SDTMIG dataset index not found"):
        load_standards(tmp_path)


def test_newest_ct_package_is_the_default(repo_dir: Path, tmp_path: Path) -> None:
    shutil.copytree(repo_dir / "specs" / "sdtmig-3.4", tmp_path / "sdtmig-3.4")
    shutil.copytree(repo_dir / "specs" / "ct" / "2025-03-28", tmp_path / "ct" / "2025-03-28")
    shutil.copytree(repo_dir / "specs" / "ct" / "2025-03-28", tmp_path / "ct" / "2025-09-26")
    shutil.copytree(repo_dir / "specs" / "fda", tmp_path / "fda")
    assert available_ct_versions(tmp_path) == ("2025-03-28", "2025-09-26")
    assert load_standards(tmp_path).ct_version == "2025-09-26"
    assert load_standards(tmp_path, ct_version="2025-03-28").ct_version == "2025-03-28"


def test_malformed_domain_file_is_a_clear_error(repo_dir: Path, tmp_path: Path) -> None:
    shutil.copytree(repo_dir / "specs" / "sdtmig-3.4", tmp_path / "sdtmig-3.4")
    (tmp_path / "sdtmig-3.4" / "domains" / "AE.yaml").write_text("name: AE\n", encoding="utf-8")
    with pytest.raises(StandardsError, match=r"AE.yaml: malformed domain file"):
        load_standards(tmp_path)


def test_fda_ts_parameters_are_one_list_with_their_validator_ids(repo_dir: Path) -> None:
    parameters = load_standards(repo_dir / "specs").required_ts_parameters
    by_code = {p.tsparmcd: p for p in parameters}
    assert len(parameters) == 34  # P21 SD2201-SD2235 without SD2220 (not in the Rules sheet)
    assert (by_code["ADDON"].validator_id, by_code["ADDON"].fda_id) == ("SD2201", "FDAC234")
    assert (by_code["SSTDTC"].validator_id, by_code["SSTDTC"].own_rule) == ("SD2232", "ST0108")
    assert "SDTIGVER" not in by_code  # no FDA validator rule asks for it
    assert [p.tsparmcd for p in parameters if p.own_rule] == ["SSTDTC"]


@pytest.mark.filterwarnings("ignore:Workbook contains no default style")
def test_fda_ts_parameters_match_the_pinnacle21_rules_sheet(reference_dir: Path) -> None:
    import openpyxl

    # Not read_only: the sheet declares no dimensions, so read_only mode sees its first row only.
    book = openpyxl.load_workbook(
        reference_dir / "cdiscpilot-sdtm" / "pinnacle21-report-2018-10-08.xlsx"
    )
    sheet = {row[0]: row for row in book["Rules"].iter_rows(values_only=True) if row and row[0]}
    for parameter in load_standards().required_ts_parameters:
        _, fda_id, title = sheet[parameter.validator_id][:3]
        assert fda_id == parameter.fda_id
        assert title == f"Missing {parameter.tsparmcd} Trial Summary Parameter"


def test_missing_fda_ts_parameter_list_is_a_clear_error(repo_dir: Path, tmp_path: Path) -> None:
    shutil.copytree(repo_dir / "specs" / "sdtmig-3.4", tmp_path / "sdtmig-3.4")
    shutil.copytree(repo_dir / "specs" / "ct" / "2025-03-28", tmp_path / "ct" / "2025-03-28")
    with pytest.raises(StandardsError, match="FDA Trial Summary parameter list not found"):
        load_standards(tmp_path)


def test_ig_named_terms_are_named_by_the_ig_itself():
    # Issue 17: CT0002 accepts TSVCDREF "ISO 8601" because the IG's own note names it; every
    # listed value must appear in the variable's CDISC notes (specs/sdtmig-3.4), our oracle.
    standards = load_standards()
    assert standards.ig_named_terms
    for (domain, variable), values in standards.ig_named_terms.items():
        notes = standards.domain(domain).variable(variable).notes
        assert all(value in notes for value in values), (domain, variable, values)


def test_unit_less_tests_are_loaded():
    assert load_standards().unitless_tests == frozenset({"PH", "SPGRAV"})


def test_lloq_added_to_lb_sits_among_the_qualifiers_before_the_timing_variables():
    # CORE-000852 reported LBLLOQ after the timing variables of our LB (issue 17).
    names = [v.name for v in load_standards().domain("LB").declared_variables]
    assert names.index("LBLLOQ") < names.index("VISITNUM")
    assert names[names.index("LBLLOQ") - 1] == "LBCLSIG"  # the last LB qualifier
