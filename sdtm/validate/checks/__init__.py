"""Cross-record and cross-domain conformance checks, bound to their rule ids.

:data:`CHECKS` is the one explicit, read-only table from rule id to implementation (no
decorator registration). :func:`sdtm.validate.registry.build_registry` binds it to the rule
metadata in ``specs/rules/`` and refuses to start when the two disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

import pandas as pd

from sdtm.findings import FindingsTable
from sdtm.standards.model import Standards
from sdtm.validate.checks import (
    events,
    readiness,
    relationships,
    results,
    subjects,
    timing,
    trial_design,
)

CHECKS: Mapping[str, Callable[[Mapping[str, pd.DataFrame], Standards], FindingsTable]] = (
    MappingProxyType(
        {
            # Structure within one dataset (ST0050-ST0999).
            "ST0050": subjects.check_duplicate_usubjid_in_dm,
            "ST0051": subjects.check_duplicate_subjid_in_dm,
            "ST0052": subjects.check_duplicate_seq,
            "ST0053": subjects.check_death_date_without_flag,
            "ST0054": subjects.check_death_flag_without_date,
            "ST0055": subjects.check_reference_start_after_end,
            "ST0056": subjects.check_first_exposure_after_last,
            "ST0057": subjects.check_consent_after_first_exposure,
            "ST0058": subjects.check_consent_after_reference_start,
            "ST0059": subjects.check_arm_armcd_not_one_to_one,
            "ST0060": subjects.check_actarm_actarmcd_not_one_to_one,
            "ST0061": subjects.check_armnrs_missing_for_null_arm,
            "ST0062": subjects.check_armnrs_with_both_arms,
            "ST0063": subjects.check_armcd_too_long,
            "ST0064": timing.check_start_after_end,
            "ST0065": timing.check_collection_after_end,
            "ST0066": timing.check_study_day_zero,
            "ST0067": timing.check_visit_visitnum_not_one_to_one,
            "ST0068": timing.check_tpt_tptnum_not_one_to_one,
            "ST0069": timing.check_elapsed_time_varies_within_timepoint,
            "ST0070": timing.check_tptref_missing_with_elapsed_time,
            "ST0071": timing.check_epoch_missing,
            "ST0072": results.check_stresn_not_numeric_stresc,
            "ST0073": results.check_stresn_with_non_numeric_stresc,
            "ST0074": results.check_result_with_not_done_status,
            "ST0075": results.check_result_missing_without_status,
            "ST0076": results.check_not_done_without_reason,
            "ST0077": results.check_reason_not_done_without_status,
            "ST0078": results.check_standard_unit_inconsistent_within_test,
            "ST0079": results.check_test_testcd_not_one_to_one,
            "ST0080": results.check_standard_result_missing,
            "ST0081": results.check_standard_unit_missing,
            "ST0082": results.check_original_unit_missing,
            "ST0083": results.check_standard_unit_without_result,
            "ST0084": results.check_dose_unit_missing,
            "ST0085": results.check_normal_range_high_below_low,
            "ST0086": results.check_original_range_high_not_above_low,
            "ST0087": results.check_baseline_flag_duplicate,
            "ST0088": results.check_baseline_flag_without_standard_result,
            "ST0089": results.check_baseline_flag_without_original_result,
            "ST0090": results.check_toxicity_grade_not_digits,
            "ST0091": results.check_toxicity_without_grade,
            "ST0093": results.check_duplicate_findings_record,
            "ST0094": events.check_serious_without_criterion,
            "ST0095": events.check_criterion_without_serious,
            "ST0096": events.check_fatal_outcome_without_death_criterion,
            "ST0097": events.check_death_criterion_without_fatal_outcome,
            "ST0098": events.check_resolved_without_end_date,
            "ST0099": events.check_unresolved_with_end_date,
            "ST0100": relationships.check_supp_qualifier_duplicate,
            "ST0101": relationships.check_supp_qnam_is_sdtm_variable,
            "ST0102": relationships.check_supp_qlabel_too_long,
            "ST0103": relationships.check_supp_qnam_qlabel_not_one_to_one,
            "ST0104": relationships.check_supp_qnam_invalid,
            "ST0105": relationships.check_relrec_reltype_with_record_link,
            "ST0106": relationships.check_relrec_relid_single_record,
            "ST0107": trial_design.check_ts_parameter_missing,
            "ST0108": trial_design.check_ts_study_start_missing,
            "ST0109": trial_design.check_tsval_missing_without_null_flavor,
            "ST0110": trial_design.check_tsval_with_null_flavor,
            "ST0111": trial_design.check_ts_study_start_not_iso,
            "ST0112": trial_design.check_tsparm_tsparmcd_not_one_to_one,
            "ST0115": readiness.check_variable_name_invalid,
            "ST0116": readiness.check_variable_label_too_long,
            "ST0117": results.check_negative_amount_or_duration,
            # Terminology beyond codelist membership (CT0010-CT0999).
            "CT0010": results.check_test_testcd_different_codes,
            # Cross-domain (XR0001-XR0999).
            "XR0001": subjects.check_usubjid_not_in_dm,
            "XR0002": subjects.check_armcd_not_in_ta,
            "XR0003": subjects.check_actarmcd_not_in_ta,
            "XR0004": subjects.check_first_exposure_not_earliest_exstdtc,
            "XR0005": subjects.check_last_exposure_not_latest_exendtc,
            "XR0006": subjects.check_fatal_ae_without_death_flag,
            "XR0007": subjects.check_fatal_ae_end_not_death_date,
            "XR0008": subjects.check_treated_subject_without_exposure,
            "XR0009": subjects.check_reference_start_after_first_exposure,
            "XR0010": timing.check_study_day_mismatch,
            "XR0011": timing.check_study_day_with_partial_date,
            "XR0012": timing.check_epoch_not_in_ta,
            "XR0013": timing.check_visit_day_for_unplanned_visit,
            "XR0014": results.check_baseline_flag_after_first_exposure,
            "XR0015": relationships.check_supp_parent_missing,
            "XR0016": relationships.check_relrec_domain_missing,
            "XR0017": relationships.check_relrec_idvar_not_in_domain,
            "XR0018": relationships.check_relrec_record_missing,
            "XR0019": trial_design.check_se_element_not_in_te,
            "XR0020": trial_design.check_pp_without_pc,
            "XR0021": trial_design.check_ppcat_not_pctest,
            "XR0022": subjects.check_death_disposition_without_death_flag,
            "XR0023": subjects.check_death_flag_without_death_disposition,
            "XR0024": subjects.check_disposition_death_date_not_death_date,
            "XR0025": subjects.check_consent_date_not_earliest_consent_disposition,
            "XR0026": subjects.check_collection_before_consent,
        }
    )
)
"""Rule id -> check implementing it."""

__all__ = ["CHECKS"]
