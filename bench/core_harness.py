"""Run CDISC CORE (PyPI cdisc-rules-engine 0.16) offline on a folder of .xpt files.

Run with the Python of a SEPARATE environment that has cdisc-rules-engine installed (it
pins its own pandas and numpy), e.g.:

    <core-venv>/bin/python bench/core_harness.py --data <xpt folder> \
        --cache <reference>/core_cache/published [--rules CORE-000239 CORE-000022 ...]

CORE's published wheel has no command line (core.py lives in its repository), so this drives
``RulesEngine.validate_single_rule`` the way the repository's ``scripts/run_validation.py``
does, single process, with an in-memory cache. The SDTMIG/model metadata pickles CORE
normally loads are not available offline here (see docs/conformance.md), so library metadata is
limited to the variable-codelist maps; rules needing IG metadata may be skipped or error.
Prints one JSON line: rules run, seconds, findings per rule and execution status counts.
"""

import argparse
import json
import os
import pickle
import time
from collections import Counter
from pathlib import Path

from cdisc_rules_engine.config import config
from cdisc_rules_engine.models.library_metadata_container import LibraryMetadataContainer
from cdisc_rules_engine.rules_engine import RulesEngine
from cdisc_rules_engine.services import logger as engine_logger
from cdisc_rules_engine.services.cache import InMemoryCacheService


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--rules", nargs="*", default=None)
    args = parser.parse_args()
    engine_logger.disabled = True
    rules = pickle.loads((args.cache / "rules.pkl").read_bytes())
    dictionary = pickle.loads((args.cache / "rules_dictionary.pkl").read_bytes())
    ids = [i for i in dictionary["sdtmig/3-4"] if args.rules is None or i in args.rules]
    codelists = pickle.loads((args.cache / "variable_codelist_maps.pkl").read_bytes())
    metadata = LibraryMetadataContainer(
        standard_metadata={},
        model_metadata={},
        variable_codelist_map=codelists.get("sdtmig/3-4", {}),
        variables_metadata={},
        ct_package_metadata={},
        published_ct_packages=[],
    )
    paths = sorted(str(p) for p in args.data.glob("*.xpt"))
    cache = InMemoryCacheService()
    engine = RulesEngine(
        cache=cache,
        standard="sdtmig",
        standard_version="3-4",
        library_metadata=metadata,
        max_dataset_size=max(os.path.getsize(p) for p in paths),
        dataset_paths=paths,
        ct_packages=[],
    )
    status: Counter = Counter()
    errors: dict[str, int] = {}
    start = time.perf_counter()
    for rule_id in ids:
        rule = dict(rules[rule_id])
        try:
            results = engine.validate_single_rule(rule)
        except Exception as error:  # report and go on, as CORE's process pool does
            status[f"exception:{type(error).__name__}"] += 1
            continue
        count = 0
        for dataset_results in results.values():
            for result in dataset_results:
                status[result.get("executionStatus")] += 1
                if result.get("executionStatus") in ("success", "issue reported"):
                    count += len(result.get("errors") or [])
        errors[rule_id] = count
    elapsed = time.perf_counter() - start
    print(
        json.dumps(
            {
                "rules": len(ids),
                "seconds": round(elapsed, 2),
                "status": dict(status),
                "findings": {k: v for k, v in errors.items() if v},
                "config": str(config.getValue("CACHE_TYPE")),
            }
        )
    )


if __name__ == "__main__":
    main()
