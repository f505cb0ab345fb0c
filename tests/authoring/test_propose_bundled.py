"""Acceptance of issue 16: a draft spec for the bundled study, from its raw files alone.

The hand-written spec (mappings/cart-psca-001) is the oracle: both specs are run on the same
raw files, each SDTM record of DM, AE, EX, LB and CM is paired with its counterpart through the
raw row it came from (lineage), and a variable of the hand-written spec counts as reproduced
when the draft gives the same value on every record. The share is printed (run with -s).

"Never wrong silently": wherever the draft writes a value that differs from the hand-written
one, every draft step of that block for that variable has a confidence below the review
threshold, so the reviewer's queue (sdtm spec review) holds it.
"""

import shutil
from pathlib import Path

import pandas as pd
import pytest

from sdtm import run_study
from sdtm.authoring.propose import propose_spec
from sdtm.mapping.load_yaml import read_yaml_spec
from sdtm.mapping.status import REVIEW_THRESHOLD
from sdtm.mapping.write_yaml import write_yaml_spec

REPO = Path(__file__).resolve().parents[2]
RAW = REPO / "sample_data" / "cart-psca-001"
HAND = REPO / "mappings" / "cart-psca-001"
DOMAINS = ("DM", "AE", "EX", "LB", "CM")
REQUIRED_SHARE = 0.70


@pytest.fixture(scope="module")
def runs(tmp_path_factory, standards, names):
    root = tmp_path_factory.mktemp("propose")
    raw = root / "cart-psca-001"
    shutil.copytree(RAW, raw)  # the raw folder only: no mapping comes with it
    proposal = propose_spec(raw, standards, names)
    drafted = root / "mappings" / "cart-psca-001"
    write_yaml_spec(proposal.spec, drafted)
    hand = run_study(RAW, HAND, write=False, validate=False)
    draft = run_study(raw, drafted, write=False, validate=False)
    return hand, draft, read_yaml_spec(HAND).spec, read_yaml_spec(drafted).spec


def _anchored(result, domain: str, files: list[str]) -> pd.DataFrame:
    """The dataset with `_anchor`: the first raw row (of the hand spec's block files) behind it."""
    frame = result.frames[domain].copy()
    lineage = result.lineage
    lineage = lineage[(lineage["DOMAIN"] == domain) & lineage["_src_file"].isin(files)]
    first = (
        lineage.sort_values(["_src_file", "_src_row"])
        .groupby(["USUBJID", "SEQ"], dropna=False)
        .first()
        .reset_index()
    )
    seq = f"{domain}SEQ"
    if seq in frame.columns:
        keys = frame[["USUBJID", seq]].merge(
            first.rename(columns={"SEQ": seq}), on=["USUBJID", seq], how="left"
        )
    else:
        keys = frame[["USUBJID"]].merge(first, on="USUBJID", how="left")
    frame["_anchor_file"] = keys["_src_file"].to_numpy()
    anchor = keys["_src_file"].astype(str) + ":" + keys["_src_row"].astype(str)
    frame["_anchor"] = anchor.to_numpy()
    return frame


def _compare(runs):
    hand, draft, hand_spec, draft_spec = runs
    equal, total, wrong = [], [], []
    for domain in DOMAINS:
        mapping = hand_spec.domains[domain]
        files = [block.file for block in mapping.blocks]
        targets = [t for t in mapping.targets if not t.startswith("_")]
        ours = _anchored(hand, domain, files)
        theirs = _anchored(draft, domain, files)
        paired = ours.merge(theirs, on="_anchor", how="left", suffixes=("", "_draft"))
        for variable in targets:
            total.append(f"{domain}.{variable}")
            expected = paired[variable]
            got = paired.get(f"{variable}_draft")
            if got is None:
                continue
            same = (expected.astype(str) == got.astype(str)) | (expected.isna() & got.isna())
            if same.all():
                equal.append(f"{domain}.{variable}")
            differing = ~same & got.notna()
            for file in sorted(paired.loc[differing, "_anchor_file"].dropna().unique()):
                steps = [
                    step
                    for block in draft_spec.domains[domain].blocks
                    if block.file == file
                    for step in block.steps
                    if step.target == variable
                ]
                if any(s.confidence is None or s.confidence >= REVIEW_THRESHOLD for s in steps):
                    wrong.append(f"{domain}.{variable} in {file}")
    return equal, total, wrong


def test_draft_reproduces_at_least_70_percent_of_the_hand_written_variables(runs):
    equal, total, _ = _compare(runs)
    share = len(equal) / len(total)
    missed = sorted(set(total) - set(equal))
    print(
        f"\nsdtm propose on {RAW.name}: {len(equal)} of {len(total)} variables of the "
        f"hand-written spec equal on every record ({share:.1%}); not reproduced: {missed}"
    )
    assert share >= REQUIRED_SHARE, (share, missed)


def test_every_differing_value_is_flagged_for_review(runs):
    _, _, wrong = _compare(runs)
    assert wrong == []


def test_draft_keeps_records_of_the_hand_written_datasets(runs):
    hand, draft, _, _ = runs
    # One draft record per raw row the hand-written spec maps; EX has two more: the hand spec
    # maps only the first bag of a two-bag infusion (a `where` no generic rule proposes).
    counts = {d: (len(hand.frames[d]), len(draft.frames[d])) for d in DOMAINS}
    assert counts == {
        "DM": (26, 26),
        "AE": (76, 76),
        "EX": (160, 162),
        "LB": (5245, 5245),
        "CM": (179, 179),
    }


def test_proposal_code_holds_no_knowledge_of_the_bundled_study():
    texts = [p.read_text(encoding="utf-8") for p in (REPO / "sdtm" / "authoring").glob("*.py")]
    texts.append((REPO / "specs" / "propose" / "raw-names.yaml").read_text(encoding="utf-8"))
    text = "\n".join(texts).upper()
    for word in ("PSCA", "CART", "CAR-T", "LDTRT", "VPTRT", "CARDOSKG", "DOSELVL", "RECONS",
                 "LAB_A", "ASTCT", "LYMPHODEPLET"):
        assert word not in text, word
