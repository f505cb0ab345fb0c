"""Read ``specs/sdtmig-3.4`` and ``specs/ct/<package date>`` into a frozen :class:`Standards`."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from sdtm.config import default_specs_dir
from sdtm.errors import StandardsError
from sdtm.standards.model import (
    Codelist,
    DomainSpec,
    RequiredTsParameter,
    Standards,
    Term,
    VariableSpec,
)

IG_FOLDER = "sdtmig-3.4"
FDA_TS_PARAMETERS = Path("fda") / "ts-parameters.yaml"
UNITLESS_TESTS = Path("fda") / "unitless-tests.yaml"
IG_NAMED_TERMS = Path("ig-named-terms.yaml")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except (OSError, yaml.YAMLError) as error:
        raise StandardsError(f"{path}: cannot read standards file ({error})") from error


def _variable(entry: Mapping[str, Any], path: Path) -> VariableSpec:
    try:
        return VariableSpec(
            name=entry["name"],
            label=entry["label"],
            order=int(entry["order"]),
            data_type=entry["type"],
            role=entry["role"],
            core=entry["core"],
            codelists=tuple(entry.get("codelists", ())),
            described_value_domain=entry.get("described_value_domain"),
            value_list=tuple(entry.get("value_list", ())),
            notes=entry.get("notes", ""),
            model_variable=entry.get("model_variable"),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise StandardsError(f"{path}: malformed variable entry {entry!r} ({error})") from error


def _domain(path: Path) -> DomainSpec:
    document = _read_yaml(path)
    try:
        return DomainSpec(
            name=document["name"],
            label=document["label"],
            observation_class=document["class"],
            structure=document["structure"],
            keys=tuple(document["keys"]),
            variables=tuple(_variable(entry, path) for entry in document["variables"]),
            model_additions=tuple(
                _variable(entry, path) for entry in document.get("model_additions", ())
            ),
            keys_source=document.get("keys_source", ""),
            model_permissible=tuple(document.get("model_permissible", ())),
            source=document.get("source", ""),
        )
    except (KeyError, TypeError) as error:
        raise StandardsError(f"{path}: malformed domain file ({error})") from error


def _codelist(path: Path) -> Codelist:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        return Codelist(
            code=document["code"],
            short_name=document["short_name"],
            name=document["name"],
            extensible=bool(document["extensible"]),
            terms=tuple(
                Term(
                    code=term["code"],
                    submission_value=term["submission_value"],
                    synonyms=tuple(term["synonyms"]),
                    preferred_term=term["preferred_term"],
                    definition=term["definition"],
                )
                for term in document["terms"]
            ),
            preferred_term=document["preferred_term"],
            definition=document["definition"],
            synonyms=tuple(document["synonyms"]),
        )
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise StandardsError(f"{path}: cannot read codelist ({error})") from error


def available_ct_versions(specs_dir: Path) -> tuple[str, ...]:
    """Return the CT package dates under ``specs_dir/ct``, oldest first."""
    ct_dir = specs_dir / "ct"
    if not ct_dir.is_dir():
        return ()
    return tuple(
        sorted(
            child.name
            for child in ct_dir.iterdir()
            if _DATE.match(child.name) and (child / "package.yaml").is_file()
        )
    )


def load_ig(specs_dir: Path) -> tuple[dict[str, DomainSpec], str, str]:
    """Read the SDTMIG dataset index and domain files.

    Args:
        specs_dir: Folder holding ``sdtmig-3.4/``.

    Returns:
        Domains by name, the SDTMIG version and the recorded source.

    Raises:
        StandardsError: The files are missing or malformed.
    """
    index_path = specs_dir / IG_FOLDER / "datasets.yaml"
    if not index_path.is_file():
        raise StandardsError(f"{index_path}: SDTMIG dataset index not found")
    index = _read_yaml(index_path)
    domains: dict[str, DomainSpec] = {}
    for entry in index["datasets"]:
        path = specs_dir / IG_FOLDER / entry["file"]
        if not path.is_file():
            raise StandardsError(f"{path}: listed in {index_path} but missing")
        domains[entry["name"]] = _domain(path)
    return domains, str(index["sdtmig_version"]), str(index["source"])


def load_ct(specs_dir: Path, ct_version: str | None = None) -> tuple[dict[str, Codelist], str, str]:
    """Read one CT package.

    Args:
        specs_dir: Folder holding ``ct/<date>/``.
        ct_version: Package date; ``None`` takes the newest one present.

    Returns:
        Codelists by C-code, the package date and the recorded source.

    Raises:
        StandardsError: No such package, or its files are malformed.
    """
    versions = available_ct_versions(specs_dir)
    if not versions:
        raise StandardsError(f"{specs_dir / 'ct'}: no CT package (ct/<YYYY-MM-DD>/package.yaml)")
    version = ct_version or versions[-1]
    if version not in versions:
        raise StandardsError(
            f"CT package {version} not found under {specs_dir / 'ct'} "
            f"(available: {', '.join(versions)}); import it with `sdtm ct import`"
        )
    package_dir = specs_dir / "ct" / version
    index = _read_yaml(package_dir / "package.yaml")
    codelists = {}
    for entry in index["codelists"]:
        codelist = _codelist(package_dir / entry["file"])
        codelists[codelist.code] = codelist
    return codelists, version, str(index.get("source", ""))


def load_required_ts_parameters(specs_dir: Path) -> tuple[tuple[RequiredTsParameter, ...], str]:
    """Read the TS parameters the FDA validator expects (``fda/ts-parameters.yaml``).

    Args:
        specs_dir: Folder holding ``fda/``.

    Returns:
        The parameters in file order and the recorded source.

    Raises:
        StandardsError: The file is missing or malformed.
    """
    path = specs_dir / FDA_TS_PARAMETERS
    if not path.is_file():
        raise StandardsError(f"{path}: FDA Trial Summary parameter list not found")
    document = _read_yaml(path)
    try:
        parameters = tuple(
            RequiredTsParameter(
                tsparmcd=str(entry["tsparmcd"]),
                validator_id=str(entry["validator_id"]),
                fda_id=str(entry["fda_id"]),
                note=str(entry.get("note", "")),
                own_rule=str(entry.get("own_rule", "")),
                required_when=tuple(
                    (str(code), str(value))
                    for code, value in (entry.get("required_when") or {}).items()
                ),
            )
            for entry in document["parameters"]
        )
        source = " ".join(str(document["source"]).split())
    except (KeyError, TypeError, AttributeError) as error:
        raise StandardsError(f"{path}: malformed TS parameter list ({error})") from error
    codes = [p.tsparmcd for p in parameters]
    if len(set(codes)) != len(codes):
        raise StandardsError(f"{path}: a TSPARMCD is listed twice")
    return parameters, source


def load_unitless_tests(specs_dir: Path) -> tuple[frozenset[str], str]:
    """Read the tests whose numeric results have no unit (``fda/unitless-tests.yaml``).

    Returns:
        The --TESTCD values and the recorded source; empty when the file is absent (a
        standards folder of an older layout).

    Raises:
        StandardsError: The file is malformed.
    """
    path = specs_dir / UNITLESS_TESTS
    if not path.is_file():
        return frozenset(), ""
    document = _read_yaml(path)
    try:
        codes = frozenset(str(entry["testcd"]) for entry in document["tests"])
        source = " ".join(str(document["source"]).split())
    except (KeyError, TypeError) as error:
        raise StandardsError(f"{path}: malformed unit-less test list ({error})") from error
    return codes, source


def load_ig_named_terms(
    specs_dir: Path,
) -> tuple[dict[tuple[str, str], frozenset[str]], str]:
    """Read the values the IG names beyond a variable's extensible codelist.

    Returns:
        (domain, variable) -> values, and the recorded source; empty when the file is absent.

    Raises:
        StandardsError: The file is malformed.
    """
    path = specs_dir / IG_NAMED_TERMS
    if not path.is_file():
        return {}, ""
    document = _read_yaml(path)
    try:
        terms = {
            (str(entry["domain"]), str(entry["variable"])): frozenset(
                str(value) for value in entry["values"]
            )
            for entry in document["terms"]
        }
        source = " ".join(str(document["source"]).split())
    except (KeyError, TypeError) as error:
        raise StandardsError(f"{path}: malformed IG-named term list ({error})") from error
    return terms, source


def load_standards(specs_dir: Path | None = None, ct_version: str | None = None) -> Standards:
    """Load the SDTMIG metadata and one CT package.

    Args:
        specs_dir: Folder with ``sdtmig-3.4/`` and ``ct/``; defaults to the project's ``specs/``.
        ct_version: CT package date (``YYYY-MM-DD``); ``None`` takes the newest present.

    Returns:
        The frozen standards, with the sources of its facts in ``sources``.

    Raises:
        StandardsError: Files are missing or malformed. A codelist that a variable refers to
            but the package lacks is not an error here (packages retire codelists); the schema
            then skips that membership check.
    """
    specs = Path(specs_dir) if specs_dir is not None else default_specs_dir()
    domains, ig_version, ig_source = load_ig(specs)
    codelists, version, ct_source = load_ct(specs, ct_version)
    ts_parameters, ts_source = load_required_ts_parameters(specs)
    unitless, unitless_source = load_unitless_tests(specs)
    named, named_source = load_ig_named_terms(specs)
    return Standards(
        sdtmig_version=ig_version,
        ct_version=version,
        domains=domains,
        codelists=codelists,
        sources=(
            f"SDTMIG {ig_version}: {ig_source}",
            f"CDISC SDTM CT {version}: {ct_source}",
            f"FDA-expected TS parameters: {ts_source}",
            *([f"Unit-less tests: {unitless_source}"] if unitless else []),
            *([f"IG-named terms: {named_source}"] if named else []),
        ),
        required_ts_parameters=ts_parameters,
        unitless_tests=unitless,
        ig_named_terms=named,
    )
