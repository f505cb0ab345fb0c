"""The checks never crash on odd but possible input: they report findings or stay quiet."""

import numpy as np
import pandas as pd
import pytest

from sdtm.validate.registry import run_rules


@pytest.mark.parametrize(
    "frames",
    [
        {},
        {"DM": pd.DataFrame()},
        {"DM": pd.DataFrame({"USUBJID": pd.Series([], dtype="object")}), "AE": pd.DataFrame()},
        # Numbers where text is expected, and text where numbers are expected.
        {
            "DM": pd.DataFrame({"USUBJID": [1, 2], "RFSTDTC": [20240101, np.nan]}),
            "AE": pd.DataFrame(
                {"USUBJID": [1], "AESTDTC": [5], "AESTDY": ["x"], "AESER": [1.0], "DOMAIN": [7]}
            ),
            "LB": pd.DataFrame({"LBTESTCD": [np.nan], "LBSTRESN": ["abc"], "LBSTRESC": [3.0]}),
            "SUPPAE": pd.DataFrame({"RDOMAIN": ["AE"], "IDVAR": ["AESEQ"], "IDVARVAL": [1.0]}),
            "RELREC": pd.DataFrame({"RDOMAIN": [None], "IDVAR": [None], "RELID": [None]}),
        },
        # Only blanks and whitespace.
        {
            name: pd.DataFrame({"USUBJID": ["  ", ""], "DOMAIN": [" ", None]})
            for name in ("DM", "AE", "LB", "TS", "TA", "SUPPAE", "RELREC")
        },
    ],
    ids=["no-datasets", "empty-dm", "no-columns", "wrong-types", "blanks"],
)
def test_checks_do_not_crash(frames, standards, registry):
    found = run_rules(frames, standards, registry, include_optional=True)
    assert set(found.frame["severity"]) <= {"error", "warning", "notice"}


def test_input_frames_are_not_modified(package, standards, registry):
    before = {name: frame.copy() for name, frame in package.items()}
    run_rules(package, standards, registry, include_optional=True)
    for name, frame in package.items():
        pd.testing.assert_frame_equal(frame, before[name])
