"""The loaded SDTMIG 3.4 metadata against the real CDISC pilot datasets (SDTMIG 3.2 era).

Every difference is listed below with its reason; a new difference (or a vanished one) fails.
"""

from pathlib import Path

import pyreadstat
import pytest

from sdtm.standards import DomainSpec, Standards

PILOT_FILES = [
    "ae", "cm", "dm", "ds", "ex", "lbch", "lbhe", "lbur", "mh", "relrec", "sc", "se",
    "suppae", "suppdm", "suppds", "supplbur", "sv", "ta", "te", "ti", "ts", "tv", "vs",
]  # fmt: skip

# Variables of the pilot that are not in the SDTMIG 3.4 table of their domain. All but SV.EPOCH
# are SDTM model variables of the domain's class (timing variables, MedDRA levels, --SEV), which
# Pinnacle 21 reported as SD1076 "model permissible variable added".
NOT_IN_IG_TABLE = {
    "ae": ["AEDTC", "AEDY"],
    "cm": ["VISITNUM", "VISIT", "VISITDY", "CMDTC", "CMDY"],
    "ds": ["VISITNUM", "VISIT"],
    "ex": ["VISITNUM", "VISIT", "VISITDY"],
    "mh": ["MHLLT", "MHHLT", "MHHLGT", "MHSEV", "VISITNUM", "VISIT", "VISITDY"],
    "sv": ["EPOCH"],
}

# Labels that SDTMIG 3.4 changed since the 3.2-era pilot was made.
LABEL_CHANGES = {
    ("ds", "DSDY"): ("Study Day of Visit/Collection/Exam", "Study Day of Collection"),
    ("se", "SESTDY"): ("Study Day of Start of Observation", "Study Day of Start of Element"),
    ("se", "SEENDY"): ("Study Day of End of Observation", "Study Day of End of Element"),
    ("sv", "SVSTDTC"): ("Start Date/Time of Visit", "Start Date/Time of Observation"),
    ("sv", "SVENDTC"): ("End Date/Time of Visit", "End Date/Time of Observation"),
    ("sv", "SVSTDY"): ("Study Day of Start of Visit", "Study Day of Start of Observation"),
    ("sv", "SVENDY"): ("Study Day of End of Visit", "Study Day of End of Observation"),
    ("ti", "IETESTCD"): (
        "Inclusion/Exclusion Criterion Short Name",
        "Incl/Excl Criterion Short Name",
    ),
    ("ts", "TSVALNF"): ("Parameter Null Flavor", "Parameter Value Null Flavor"),
}


def _spec(standards: Standards, stem: str) -> DomainSpec:
    if stem.startswith("supp"):
        return standards.domain("SUPPQUAL")
    return standards.domain(stem[:2].upper() if stem.startswith("lb") else stem.upper())


@pytest.mark.parametrize("stem", PILOT_FILES, ids=PILOT_FILES)
def test_pilot_variables_match_sdtmig_34(standards: Standards, pilot_dir: Path, stem: str) -> None:
    _, meta = pyreadstat.read_xport(
        str(pilot_dir / f"{stem}.xpt"), metadataonly=True, encoding="cp1252"
    )
    spec = _spec(standards, stem)
    missing = [name for name in meta.column_names if spec.declared_variable(name) is None]
    assert missing == NOT_IN_IG_TABLE.get(stem, [])
    for name in meta.column_names:
        variable = spec.declared_variable(name)
        if variable is None:
            continue
        stored_type = "Num" if meta.readstat_variable_types[name] == "double" else "Char"
        assert stored_type == variable.data_type, name
        label = meta.column_names_to_labels[name]
        if (stem, name) in LABEL_CHANGES:
            assert (label, variable.label) == LABEL_CHANGES[(stem, name)]
        else:
            assert label == variable.label, name


def test_pilot_undeclared_variables_are_model_variables(standards: Standards) -> None:
    for stem, names in NOT_IN_IG_TABLE.items():
        permissible = set(_spec(standards, stem).model_permissible)
        expected = set() if stem != "sv" else {"EPOCH"}
        assert set(names) - permissible == expected, stem
