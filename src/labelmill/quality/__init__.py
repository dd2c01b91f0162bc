"""Quality: thresholds with an accuracy guarantee, audits, label issues, duplicates, metrics.

Public API::

    GuaranteePolicy, GuaranteeDecision, GuaranteeState, GuaranteeStep, DecisionChange,
    AuditRecords, Population, AuditDesign, design_audit, DEFAULT_SHARES
        (the default auto-accept policy: its guarantee holds over every round of a project)
    ThresholdPolicy, choose_threshold, ThresholdDecision, ThresholdStep, DEFAULT_THRESHOLDS
        (the per-round policy, kept for comparison)
    clopper_pearson_lower, clopper_pearson_interval, required_audit_size
    estimate_accuracy, estimate_accuracy_by_status, estimate_accuracy_by_group, AccuracyEstimate
    find_label_issues, label_quality_scores, compute_confident_joint
    find_duplicates
    classification_metrics
"""

from __future__ import annotations

from labelmill.quality._audit import estimate_accuracy_by_group, estimate_accuracy_by_status
from labelmill.quality._audit_design import AuditDesign, design_audit
from labelmill.quality._binomial import (
    AccuracyEstimate,
    clopper_pearson_interval,
    clopper_pearson_lower,
    estimate_accuracy,
    required_audit_size,
)
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
from labelmill.quality._label_issues import (
    compute_confident_joint,
    find_label_issues,
    label_quality_scores,
)
from labelmill.quality._metrics import classification_metrics
from labelmill.quality._threshold import (
    DEFAULT_THRESHOLDS,
    ThresholdDecision,
    ThresholdPolicy,
    ThresholdStep,
    choose_threshold,
)

__all__ = [
    "DEFAULT_SHARES",
    "DEFAULT_THRESHOLDS",
    "AccuracyEstimate",
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
    "choose_threshold",
    "classification_metrics",
    "clopper_pearson_interval",
    "clopper_pearson_lower",
    "compute_confident_joint",
    "design_audit",
    "estimate_accuracy",
    "estimate_accuracy_by_group",
    "estimate_accuracy_by_status",
    "find_duplicates",
    "find_label_issues",
    "label_quality_scores",
    "required_audit_size",
]
