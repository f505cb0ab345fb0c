"""Import a CDISC SDTM Controlled Terminology package from an NCI EVS export into ``specs/ct/``.

NCI EVS publishes each CT package as a tab-separated text file and as an Excel workbook with the
same columns (``Code``, ``Codelist Code``, ``Codelist Extensible (Yes/No)``, ``Codelist Name``,
``CDISC Submission Value``, ``CDISC Synonym(s)``, ``CDISC Definition``, ``NCI Preferred Term``).
A row with an empty ``Codelist Code`` is a codelist; the rows that name it are its terms.

Only the codelists the project uses are written: every codelist a variable of
``specs/sdtmig-3.4/domains/*.yaml`` refers to, plus :data:`EXTRA_CODELISTS`. The output is
``specs/ct/<date>/package.yaml`` (index) and ``specs/ct/<date>/codelists/<C-code>.json``;
:func:`write_ct_package` is the only writer, so the committed files are exactly its output.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from sdtm.errors import InputError, StandardsError

EVS_COLUMNS: tuple[str, ...] = (
    "Code",
    "Codelist Code",
    "Codelist Extensible (Yes/No)",
    "Codelist Name",
    "CDISC Submission Value",
    "CDISC Synonym(s)",
    "CDISC Definition",
    "NCI Preferred Term",
)
"""Columns of an NCI EVS CDISC CT export, in published order."""

EXTRA_CODELISTS: tuple[str, ...] = (
    "NY", "SEX", "RACE", "ETHNIC", "AESEV", "OUT", "ACN", "ROUTE", "FRM", "UNIT",
    "LBTESTCD", "LBTEST", "PKUNIT", "PKUDMG", "PKUDUG", "PKPARMCD", "PKPARM", "SPECTYPE",
    "METHOD", "EPOCH", "NCF", "ND", "DSCAT", "NCOMPLT", "PROTMLST", "OTHEVENT", "TSPARMCD",
    "TSPARM", "RELTYPE", "AGEU", "ARMNULRS", "FATESTCD", "FATEST", "STENRF", "LBSTRESC", "FREQ",
    "SPECCOND", "NRIND", "TBLIND", "TCNTRL", "TPHASE", "TTYPE", "INTTYPE", "STYPE", "INTMODEL",
    "TINDTP", "SDTMIGRS", "DICTNAM", "DTHDXCD", "DTHDX",
)  # fmt: skip
"""Codelists (by submission value) wanted beyond those the IG variables refer to.

These cover the CAR-T brief (TS parameter values, kinetics units, disposition) and the CDISC
pilot data. A name that the export lacks is reported, not fatal: packages retire codelists.
"""

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import wrote."""

    package_dir: Path
    """The ``specs/ct/<date>`` folder written."""
    codelist_count: int
    """Number of codelists written."""
    term_count: int
    """Number of terms written."""
    missing: tuple[str, ...]
    """Wanted codelists (C-codes or submission values) the export does not contain."""


def read_evs_export(path: Path) -> pd.DataFrame:
    """Read an NCI EVS CT export (tab-separated ``.txt`` or ``.xlsx``) as strings.

    Args:
        path: The export file.

    Returns:
        A frame with :data:`EVS_COLUMNS`, empty cells as ``""``.

    Raises:
        InputError: The file cannot be read or lacks the EVS columns.
    """
    if not path.is_file():
        raise InputError(f"{path}: CT export not found")
    try:
        if path.suffix.lower() in {".xlsx", ".xlsm"}:
            frame = _read_evs_excel(path)
        else:
            frame = pd.read_csv(
                path, sep="\t", dtype=str, keep_default_na=False, encoding="utf-8-sig"
            )
    except (OSError, ValueError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot read the CT export ({error})") from error
    missing = [column for column in EVS_COLUMNS if column not in frame.columns]
    if missing:
        raise InputError(f"{path}: not an NCI EVS CT export; missing columns {missing}")
    frame = frame.loc[:, list(EVS_COLUMNS)].fillna("").astype(str)
    return frame.apply(lambda column: column.str.strip())


def _read_evs_excel(path: Path) -> pd.DataFrame:
    sheets = pd.read_excel(path, sheet_name=None, dtype=str, keep_default_na=False)
    for sheet in sheets.values():
        if set(EVS_COLUMNS) <= set(sheet.columns):
            return sheet
    raise ValueError("no sheet has the EVS columns")


def _synonyms(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


def wanted_codelists(specs_dir: Path) -> tuple[set[str], tuple[str, ...]]:
    """Return the C-codes the IG specs refer to and the extra submission values wanted.

    Args:
        specs_dir: Folder holding ``sdtmig-3.4/domains/*.yaml``.

    Returns:
        (C-codes referenced by variables, :data:`EXTRA_CODELISTS`).

    Raises:
        StandardsError: No IG domain files are found.
    """
    domain_files = sorted((specs_dir / "sdtmig-3.4" / "domains").glob("*.yaml"))
    if not domain_files:
        raise StandardsError(f"{specs_dir}: no sdtmig-3.4/domains/*.yaml to take codelists from")
    codes: set[str] = set()
    for path in domain_files:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        for variable in [*document["variables"], *document.get("model_additions", [])]:
            codes.update(variable.get("codelists", []))
    return codes, EXTRA_CODELISTS


def build_codelist_documents(
    export: pd.DataFrame, codes: set[str], short_names: tuple[str, ...]
) -> tuple[list[dict[str, Any]], tuple[str, ...]]:
    """Turn the EVS rows of the wanted codelists into JSON-ready documents.

    Args:
        export: Frame from :func:`read_evs_export`.
        codes: Codelist C-codes wanted.
        short_names: Codelist submission values wanted.

    Returns:
        Codelist documents sorted by C-code, and the wanted codes/names not in the export.
    """
    heads = export[export["Codelist Code"] == ""]
    by_name = dict(zip(heads["CDISC Submission Value"], heads["Code"], strict=True))
    wanted = {code for code in codes if code in set(heads["Code"])}
    wanted.update(by_name[name] for name in short_names if name in by_name)
    missing = sorted(code for code in codes if code not in set(heads["Code"]))
    missing += [name for name in short_names if name not in by_name]
    terms = export[export["Codelist Code"].isin(wanted)]
    grouped = dict(list(terms.groupby("Codelist Code", sort=False)))
    documents = []
    for head in heads[heads["Code"].isin(wanted)].sort_values("Code").itertuples(index=False):
        code = head[0]
        group = grouped.get(code, export.iloc[0:0])
        documents.append(
            {
                "code": code,
                "short_name": head[4],
                "name": head[3],
                "extensible": head[2] == "Yes",
                "synonyms": _synonyms(head[5]),
                "definition": head[6],
                "preferred_term": head[7],
                "terms": [
                    {
                        "code": row[0],
                        "submission_value": row[4],
                        "synonyms": _synonyms(row[5]),
                        "preferred_term": row[7],
                        "definition": row[6],
                    }
                    for row in group.itertuples(index=False)
                ],
            }
        )
    return documents, tuple(missing)


def check_package_date(date: str) -> None:
    """Accept only a real calendar date written ``YYYY-MM-DD`` (``2025-13-40`` is refused).

    Raises:
        InputError: naming the value and what is wrong with it.
    """
    if not _DATE.match(date):
        raise InputError(f"--date {date!r} is not YYYY-MM-DD")
    try:
        datetime.date.fromisoformat(date)
    except ValueError as error:
        raise InputError(f"--date {date!r} is not a calendar date ({error})") from None


def write_ct_package(
    export_path: Path, date: str, specs_dir: Path, *, source: str | None = None
) -> ImportResult:
    """Import an EVS export as ``specs_dir/ct/<date>/`` (replacing that folder's codelists).

    Args:
        export_path: NCI EVS ``.txt`` (tab-separated) or ``.xlsx`` export.
        date: CT package date, ``YYYY-MM-DD``; it names the folder and every report.
        specs_dir: Folder holding ``sdtmig-3.4/`` (read) and ``ct/`` (written).
        source: Text recorded as the package's source; defaults to the export's file name.

    Returns:
        What was written.

    Raises:
        InputError: The date is malformed or the export unreadable.
        StandardsError: The IG specs are missing.
    """
    check_package_date(date)
    export = read_evs_export(export_path)
    codes, short_names = wanted_codelists(specs_dir)
    documents, missing = build_codelist_documents(export, codes, short_names)
    package_dir = specs_dir / "ct" / date
    codelist_dir = package_dir / "codelists"
    codelist_dir.mkdir(parents=True, exist_ok=True)
    for stale in codelist_dir.glob("*.json"):
        stale.unlink()
    for document in documents:
        text = json.dumps(document, indent=1, ensure_ascii=False) + "\n"
        (codelist_dir / f"{document['code']}.json").write_text(text, encoding="utf-8")
    index = {
        "package": "SDTM",
        "date": date,
        "source": source or f"NCI EVS CDISC SDTM Controlled Terminology export {export_path.name}",
        "generated_by": f"sdtm ct import {export_path.name} --date {date}",
        "missing": list(missing),
        "codelists": [
            {
                "code": document["code"],
                "short_name": document["short_name"],
                "name": document["name"],
                "extensible": document["extensible"],
                "terms": len(document["terms"]),
                "file": f"codelists/{document['code']}.json",
            }
            for document in documents
        ],
    }
    (package_dir / "package.yaml").write_text(
        yaml.safe_dump(index, sort_keys=False, allow_unicode=True, width=10_000),
        encoding="utf-8",
    )
    return ImportResult(
        package_dir=package_dir,
        codelist_count=len(documents),
        term_count=sum(len(document["terms"]) for document in documents),
        missing=missing,
    )
