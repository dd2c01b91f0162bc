"""Quality: thresholds with an accuracy guarantee, audits, label issues, duplicates, metrics.

Public API::

    GuaranteePolicy, GuaranteeDecision, GuaranteeState, GuaranteeStep, DecisionChange,
    AuditRecords, Population, AuditDesign, design_audit, DEFAULT_SHARES
        (the default auto-accept policy: its guarantee holds over every round of a project)
    ThresholdPolicy, choose_threshold, ThresholdDecision, ThresholdStep, DEFAULT_THRESHOLDS
        (the per-round policy, kept for comparison)
    clopper_pearson_lower, clopper_pearson_interval, required_audit_size
    estimate_accuracy, estimate_accuracy_by_status, estimate_accuracy_by_group, AccuracyEstimate
    find_label_issues, label_quality_scores, rank_label_issues, compute_confident_joint
    estimate_noise_matrix, NoiseEstimate, cross_val_pred_probs, stratified_folds
    run_checks, review_queue, CheckResult, CHECKS, find_conflicting_duplicates,
    find_rule_conflicts, find_schema_violations, check_class_balance, find_outliers,
    find_disagreeing_annotators, exact_interval
    estimate_audit_accuracy, AUDIT_COLUMNS, compute_calibration, CalibrationResult,
    estimate_rule_accuracy, analyze_slices, rule_slices, cluster_slices
    find_duplicates
    classification_metrics
"""

from __future__ import annotations

from labelmill.quality._audit import (
    AUDIT_COLUMNS,
    estimate_accuracy_by_group,
    estimate_accuracy_by_status,
    estimate_audit_accuracy,
)
from labelmill.quality._audit_design import AuditDesign, design_audit
from labelmill.quality._binomial import (
    AccuracyEstimate,
    clopper_pearson_interval,
    clopper_pearson_lower,
    estimate_accuracy,
    required_audit_size,
)
from labelmill.quality._calibration import (
    CALIBRATION_COLUMNS,
    CalibrationResult,
    compute_calibration,
)
from labelmill.quality._check_suite import CHECKS, CheckResult, review_queue, run_checks
from labelmill.quality._checks import (
    check_class_balance,
    find_conflicting_duplicates,
    find_disagreeing_annotators,
    find_rule_conflicts,
    find_schema_violations,
)
from labelmill.quality._cross_val import cross_val_pred_probs, stratified_folds
from labelmill.quality._duplicates import find_duplicates
from labelmill.quality._guarantee import (
    DEFAULT_SHARES,
    AuditRecords,
    DecisionChange,
    GuaranteeDecision,
    GuaranteePolicy,
    GuaranteeStep,
    Population,
)
from labelmill.quality._guarantee_state import GuaranteeState
from labelmill.quality._intervals import exact_interval
from labelmill.quality._label_issues import (
    compute_confident_joint,
    find_label_issues,
    label_quality_scores,
    rank_label_issues,
)
from labelmill.quality._metrics import classification_metrics, estimate_rule_accuracy
from labelmill.quality._noise import NoiseEstimate, estimate_noise_matrix
from labelmill.quality._outliers import find_outliers
from labelmill.quality._slices import SLICE_COLUMNS, analyze_slices, cluster_slices, rule_slices
from labelmill.quality._threshold import (
    DEFAULT_THRESHOLDS,
    ThresholdDecision,
    ThresholdPolicy,
    ThresholdStep,
    choose_threshold,
)

__all__ = [
    "AUDIT_COLUMNS",
    "CALIBRATION_COLUMNS",
    "CHECKS",
    "DEFAULT_SHARES",
    "DEFAULT_THRESHOLDS",
    "SLICE_COLUMNS",
    "AccuracyEstimate",
    "CalibrationResult",
    "CheckResult",
    "NoiseEstimate",
    "AuditDesign",
    "AuditRecords",
    "DecisionChange",
    "GuaranteeDecision",
    "GuaranteePolicy",
    "GuaranteeState",
    "GuaranteeStep",
    "Population",
    "ThresholdDecision",
    "ThresholdPolicy",
    "ThresholdStep",
    "analyze_slices",
    "check_class_balance",
    "choose_threshold",
    "classification_metrics",
    "clopper_pearson_interval",
    "clopper_pearson_lower",
    "cluster_slices",
    "compute_calibration",
    "compute_confident_joint",
    "cross_val_pred_probs",
    "design_audit",
    "estimate_accuracy",
    "estimate_accuracy_by_group",
    "estimate_accuracy_by_status",
    "estimate_audit_accuracy",
    "estimate_noise_matrix",
    "estimate_rule_accuracy",
    "exact_interval",
    "find_conflicting_duplicates",
    "find_disagreeing_annotators",
    "find_duplicates",
    "find_label_issues",
    "find_outliers",
    "find_rule_conflicts",
    "find_schema_violations",
    "label_quality_scores",
    "rank_label_issues",
    "required_audit_size",
    "review_queue",
    "rule_slices",
    "run_checks",
    "stratified_folds",
]
