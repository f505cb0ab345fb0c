"""Generate ``specs/sdtmig-3.4/`` from the CDISC Library export of SDTMIG v3.4.

The committed YAML files are the output of :func:`write_ig_specs`; a test regenerates them from the
reference CSVs and compares, so the files are never edited by hand. Facts that the CSVs do not carry
(natural keys, study-level model additions) come from the explicit tables below, each with its
source.

Run: ``python -m sdtm.standards.ig_build IG_DIR MODEL_VARIABLES_CSV SPECS_DIR``.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

SDTMIG_VERSION = "3.4"
IG_SOURCE = (
    "CDISC Library export of SDTMIG v3.4 (Datasets.csv, Variables.csv; "
    "rubentalstra/Trial-Submission-Studio crates/tss-standards/data/sdtm/ig/v3.4, commit 222938d8)"
)
MODEL_SOURCE = (
    "CDISC Library export of the SDTM v2.0 model (Variables.csv; "
    "rubentalstra/Trial-Submission-Studio standards/sdtm/v2_0, commit fc2d393b)"
)

DOMAINS: tuple[str, ...] = (
    "DM", "SE", "SV",
    "CM", "EX", "PR",
    "AE", "DS", "MH",
    "DD", "FA", "IE", "LB", "PC", "PP", "SC", "VS",
    "TA", "TE", "TI", "TS", "TV",
    "RELREC", "SUPPQUAL",
)  # fmt: skip
"""Datasets written to ``specs/`` (the study's domains plus those of the CDISC pilot data)."""

_DEFINE = "CDISCPILOT01 define.xml def:KeySequence"
_DEFINE_NO_SEQ = (
    "CDISCPILOT01 define.xml def:KeySequence without AESEQ: --SEQ is a surrogate key, and with it "
    "in the key no two records could ever share a natural key (the duplicate check, ST0013, "
    "could never fire)"
)
_PROJECT = (
    "project choice after SDTMIG 3.4 section 3.2.1.1 (natural keys) and the dataset structure; "
    "the pilot define.xml keys extended with the variables the 3.4 structure names"
)

NATURAL_KEYS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "DM": ("STUDYID USUBJID", _DEFINE),
        "SE": ("STUDYID USUBJID ETCD SESTDTC", _PROJECT),
        "SV": ("STUDYID USUBJID VISITNUM", _DEFINE),
        "CM": ("STUDYID USUBJID CMTRT CMSTDTC", _DEFINE),
        "EX": ("STUDYID USUBJID EXTRT EXSTDTC", _DEFINE),
        "AE": ("STUDYID USUBJID AETERM AESTDTC", _DEFINE_NO_SEQ),
        "DS": ("STUDYID USUBJID DSDECOD DSSTDTC", _DEFINE),
        "MH": ("STUDYID USUBJID MHTERM MHSTDTC", _DEFINE),
        "PR": ("STUDYID USUBJID PRTRT PRSTDTC", _PROJECT),
        "DD": ("STUDYID USUBJID DDTESTCD", _PROJECT),
        "IE": ("STUDYID USUBJID IETESTCD", _PROJECT),
        "FA": ("STUDYID USUBJID FATESTCD FAOBJ VISITNUM FATPTREF FATPTNUM FADTC", _PROJECT),
        "LB": (
            "STUDYID USUBJID LBTESTCD LBSPEC LBMETHOD VISITNUM LBTPTREF LBTPTNUM LBDTC",
            _PROJECT,
        ),
        "PC": ("STUDYID USUBJID PCTESTCD PCSPEC VISITNUM PCTPTREF PCTPTNUM", _PROJECT),
        "PP": ("STUDYID USUBJID PPCAT PPTESTCD PPSPEC PPRFTDTC PPSTINT PPENINT", _PROJECT),
        "SC": ("STUDYID USUBJID SCTESTCD VISITNUM", _PROJECT),
        "VS": ("STUDYID USUBJID VSTESTCD VISITNUM VSTPTREF VSTPTNUM", _PROJECT),
        "TA": ("STUDYID ARMCD TAETORD", _DEFINE),
        "TE": ("STUDYID ETCD", _DEFINE),
        "TI": ("STUDYID IETESTCD TIVERS", _PROJECT),
        "TS": ("STUDYID TSPARMCD TSSEQ", _DEFINE),
        "TV": ("STUDYID VISITNUM ARMCD", _PROJECT),
        "RELREC": ("STUDYID RDOMAIN USUBJID IDVAR IDVARVAL RELID", _PROJECT),
        "SUPPQUAL": ("STUDYID RDOMAIN USUBJID IDVAR IDVARVAL QNAM", _DEFINE),
    }
)
"""Natural keys per dataset, with where they come from. Missing key variables are ignored.

No key holds its domain's ``--SEQ`` (a surrogate key), except TS: TSSEQ numbers the values of one
parameter (several TTYPE records), and no other variable of TS's structure tells them apart.
"""

MODEL_ADDITIONS: Mapping[str, tuple[tuple[str, str, str], ...]] = MappingProxyType(
    {
        "LB": (
            (
                "LBLLOQ",
                "--LLOQ",
                "Study decision 5 of the CAR-T brief: the vendor LLOQ in standard units; "
                "Pinnacle 21 reports the addition as SD1076 (model permissible variable added).",
            ),
        ),
    }
)
"""Study-level additions of SDTM v2.0 model variables: (name, model variable, reason)."""


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


def _variable_entry(row: Mapping[str, str]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "order": int(row["Variable Order"]),
        "name": row["Variable Name"],
        "label": row["Variable Label"],
        "type": row["Type"],
        "role": row["Role"],
        "core": row["Core"],
    }
    codelists = _split(row["CDISC CT Codelist Code(s)"])
    if codelists:
        entry["codelists"] = codelists
    if row["Described Value Domain(s)"]:
        entry["described_value_domain"] = row["Described Value Domain(s)"]
    values = _split(row["Value List"])
    if values:
        entry["value_list"] = values
    entry["notes"] = row["CDISC Notes"]
    return entry


def _model_addition(
    domain: str, name: str, model_name: str, reason: str, model_rows: Sequence[Mapping[str, str]]
) -> dict[str, Any]:
    matches = [row for row in model_rows if row["Variable Name"] == model_name]
    if len(matches) != 1:
        raise ValueError(f"SDTM model variable {model_name} found {len(matches)} times")
    row = matches[0]
    return {
        "name": name,
        "model_variable": model_name,
        "label": row["Variable Label"],
        "type": row["Type"],
        "role": row["Role"],
        "core": "Perm",
        "notes": " ".join(part for part in (row["Definition"], row["Notes"]) if part),
        "reason": reason,
        "source": f"{MODEL_SOURCE}; variable {model_name} ({row['Class']}) for {domain}",
    }


_GENERAL_CLASSES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "Interventions": ("General Observations", "Interventions"),
        "Events": ("General Observations", "Events"),
        "Findings": ("General Observations", "Findings"),
        "Findings About": ("General Observations", "Findings", "Findings About"),
    }
)
"""Model classes whose variables a general-observation domain may add (SDTM v2.0)."""


def _model_permissible(
    domain: str, ig_class: str, taken: set[str], model_rows: Sequence[Mapping[str, str]]
) -> list[str]:
    """Return the SDTM v2.0 model variables the domain's class allows but the IG table lacks."""
    if ig_class in _GENERAL_CLASSES:
        classes = _GENERAL_CLASSES[ig_class]
        names = [
            row["Variable Name"].replace("--", domain)
            for row in model_rows
            if row["Class"] in classes and not row["Dataset Name"]
        ]
    else:
        names = [row["Variable Name"] for row in model_rows if row["Dataset Name"] == domain]
    return sorted({name for name in names if name not in taken})


def build_ig_specs(
    ig_dir: Path, model_variables_csv: Path
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Build the dataset index and the per-domain documents from the CDISC Library CSVs.

    Args:
        ig_dir: Folder holding SDTMIG v3.4 ``Datasets.csv`` and ``Variables.csv``.
        model_variables_csv: SDTM v2.0 model ``Variables.csv`` (for declared model additions).

    Returns:
        The ``datasets.yaml`` document and a mapping domain name -> domain document.

    Raises:
        ValueError: A domain of ``DOMAINS`` or a model variable is missing from the CSVs.
    """
    datasets = {row["Dataset Name"]: row for row in _read_csv(ig_dir / "Datasets.csv")}
    variables = _read_csv(ig_dir / "Variables.csv")
    model_rows = _read_csv(model_variables_csv)
    index: list[dict[str, Any]] = []
    documents: dict[str, dict[str, Any]] = {}
    for domain in DOMAINS:
        if domain not in datasets:
            raise ValueError(f"dataset {domain} is not in {ig_dir / 'Datasets.csv'}")
        meta = datasets[domain]
        key_text, keys_source = NATURAL_KEYS[domain]
        keys = key_text.split()
        rows = sorted(
            (row for row in variables if row["Dataset Name"] == domain),
            key=lambda row: int(row["Variable Order"]),
        )
        document: dict[str, Any] = {
            "name": domain,
            "label": meta["Dataset Label"],
            "class": meta["Class"],
            "structure": meta["Structure"],
            "keys": list(keys),
            "keys_source": keys_source,
            "source": IG_SOURCE,
            "variables": [_variable_entry(row) for row in rows],
        }
        additions = [
            _model_addition(domain, name, model_name, reason, model_rows)
            for name, model_name, reason in MODEL_ADDITIONS.get(domain, ())
        ]
        for offset, addition in enumerate(additions, start=1):
            addition["order"] = len(rows) + offset
        if additions:
            document["model_additions"] = additions
        taken = {row["Variable Name"] for row in rows} | {a["name"] for a in additions}
        document["model_permissible"] = _model_permissible(domain, meta["Class"], taken, model_rows)
        documents[domain] = document
        index.append(
            {
                "name": domain,
                "label": meta["Dataset Label"],
                "class": meta["Class"],
                "structure": meta["Structure"],
                "keys": list(keys),
                "file": f"domains/{domain}.yaml",
            }
        )
    header = {
        "sdtmig_version": SDTMIG_VERSION,
        "source": IG_SOURCE,
        "model_source": MODEL_SOURCE,
        "generated_by": "python -m sdtm.standards.ig_build",
        "datasets": index,
    }
    return header, documents


def dump_yaml(document: Any) -> str:
    """Serialise ``document`` as block YAML with stable key order and no line wrapping."""
    return yaml.safe_dump(
        document, sort_keys=False, allow_unicode=True, width=10_000, default_flow_style=False
    )


def write_ig_specs(ig_dir: Path, model_variables_csv: Path, out_dir: Path) -> list[Path]:
    """Write ``datasets.yaml`` and ``domains/<DOMAIN>.yaml`` under ``out_dir``.

    Args:
        ig_dir: Folder holding SDTMIG v3.4 ``Datasets.csv`` and ``Variables.csv``.
        model_variables_csv: SDTM v2.0 model ``Variables.csv``.
        out_dir: The ``specs/sdtmig-3.4`` folder to write.

    Returns:
        The files written.
    """
    header, documents = build_ig_specs(ig_dir, model_variables_csv)
    (out_dir / "domains").mkdir(parents=True, exist_ok=True)
    written = [out_dir / "datasets.yaml"]
    written[0].write_text(dump_yaml(header), encoding="utf-8")
    for name, document in documents.items():
        path = out_dir / "domains" / f"{name}.yaml"
        path.write_text(dump_yaml(document), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":  # pragma: no cover - developer entry point
    if len(sys.argv) != 4:
        sys.exit("usage: python -m sdtm.standards.ig_build IG_DIR MODEL_VARIABLES_CSV SPECS_DIR")
    for written_path in write_ig_specs(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])):
        print(written_path)
