"""Key choice: SDTMIG natural keys from specs/, overrides, and what happens without them."""

import pandas as pd
import pytest

from sdtm.comparison.keys import choose_keys
from sdtm.comparison.result import CompareOptions
from sdtm.errors import InputError


def frame(columns: list[str], domain: str | None = None) -> pd.DataFrame:
    data = {c: ["x"] for c in columns}
    if domain is not None:
        data["DOMAIN"] = [domain]
    return pd.DataFrame(data)


LB = ["STUDYID", "USUBJID", "LBSEQ", "LBTESTCD", "LBSPEC", "VISITNUM", "LBDTC"]
SUPP = ["STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM", "QVAL"]


@pytest.mark.parametrize(
    ("name", "columns", "domain", "keys", "source"),
    [
        # specs/sdtmig-3.4/domains/LB.yaml keys without LBMETHOD, LBTPTREF, LBTPTNUM (absent).
        ("LB", LB, None, ("STUDYID", "USUBJID", "LBTESTCD", "LBSPEC", "VISITNUM", "LBDTC"),
         "SDTMIG 3.4 LB keys"),
        ("LBCH", LB, "LB", ("STUDYID", "USUBJID", "LBTESTCD", "LBSPEC", "VISITNUM", "LBDTC"),
         "SDTMIG 3.4 LB keys"),
        ("SUPPAE", SUPP, None, ("STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM"),
         "SDTMIG 3.4 SUPPQUAL keys"),
        ("DM", ["STUDYID", "USUBJID", "AGE"], None, ("STUDYID", "USUBJID"), "SDTMIG 3.4 DM keys"),
    ],
    ids=["lb", "split-lbch", "suppae", "dm"],
)  # fmt: skip
def test_sdtmig_keys_present_in_both(standards, name, columns, domain, keys, source) -> None:
    data = frame(columns, domain)
    choice = choose_keys(name, data, data, CompareOptions(), standards)
    assert (choice.keys, choice.source, choice.notes) == (keys, source, ())


def test_seq_is_never_an_automatic_key(standards) -> None:
    choice = choose_keys("LB", frame(LB), frame(LB), CompareOptions(), standards)
    assert "LBSEQ" not in choice.keys


def test_key_variable_in_one_version_only_is_dropped_with_a_note(standards) -> None:
    other = frame([c for c in LB if c != "LBSPEC"])
    choice = choose_keys("LB", frame(LB), other, CompareOptions(), standards)
    assert choice.keys == ("STUDYID", "USUBJID", "LBTESTCD", "VISITNUM", "LBDTC")
    assert choice.notes == (
        "LB: key variable(s) LBSPEC in one package only; records matched on STUDYID, USUBJID, "
        "LBTESTCD, VISITNUM, LBDTC",
    )


def test_custom_dataset_without_keys_matches_by_position(standards) -> None:
    data = frame(["STUDYID", "USUBJID", "ZZVAL"])
    choice = choose_keys("ZZ", data, data, CompareOptions(), standards)
    assert (choice.keys, choice.source) == ((), "record order")
    assert "give --keys ZZ=VAR,VAR" in choice.notes[0]


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ({"LB": ("USUBJID", "LBSEQ")}, ("USUBJID", "LBSEQ")),
        ({"*": ("usubjid", "lbseq")}, ("USUBJID", "LBSEQ")),
        ({"AE": ("USUBJID",)}, ("STUDYID", "USUBJID", "LBTESTCD", "LBSPEC", "VISITNUM", "LBDTC")),
    ],
    ids=["for-lb", "for-all", "for-another-dataset"],
)
def test_given_keys_override(standards, keys, expected) -> None:
    choice = choose_keys("LB", frame(LB), frame(LB), CompareOptions(keys=keys), standards)
    assert choice.keys == expected


def test_given_key_missing_is_an_error(standards) -> None:
    with pytest.raises(InputError, match="--keys for LB: AETERM not a variable of LB in the base"):
        choose_keys("LB", frame(LB), frame(LB), CompareOptions(keys={"*": ("AETERM",)}), standards)
