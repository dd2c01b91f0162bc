"""Quality: thresholds with an accuracy guarantee, audits, label issues, duplicates, metrics.

Public API::

    ThresholdPolicy, choose_threshold, ThresholdDecision, ThresholdStep, DEFAULT_THRESHOLDS
    clopper_pearson_lower, clopper_pearson_interval, required_audit_size
    estimate_accuracy, estimate_accuracy_by_status, estimate_accuracy_by_group, AccuracyEstimate
    find_label_issues, label_quality_scores, rank_label_issues, compute_confident_joint
    estimate_noise_matrix, NoiseEstimate, cross_val_pred_probs, stratified_folds
    find_duplicates
    classification_metrics
"""

from __future__ import annotations

from labelmill.quality._audit import estimate_accuracy_by_group, estimate_accuracy_by_status
from labelmill.quality._binomial import (
    AccuracyEstimate,
    clopper_pearson_interval,
    clopper_pearson_lower,
    estimate_accuracy,
    required_audit_size,
)
from labelmill.quality._cross_val import cross_val_pred_probs, stratified_folds
from labelmill.quality._duplicates import find_duplicates
from labelmill.quality._label_issues import (
    compute_confident_joint,
    find_label_issues,
    label_quality_scores,
    rank_label_issues,
)
from labelmill.quality._metrics import classification_metrics
from labelmill.quality._noise import NoiseEstimate, estimate_noise_matrix
from labelmill.quality._threshold import (
    DEFAULT_THRESHOLDS,
    ThresholdDecision,
    ThresholdPolicy,
    ThresholdStep,
    choose_threshold,
)

__all__ = [
    "DEFAULT_THRESHOLDS",
    "AccuracyEstimate",
    "NoiseEstimate",
    "ThresholdDecision",
    "ThresholdPolicy",
    "ThresholdStep",
    "choose_threshold",
    "classification_metrics",
    "clopper_pearson_interval",
    "clopper_pearson_lower",
    "compute_confident_joint",
    "cross_val_pred_probs",
    "estimate_accuracy",
    "estimate_accuracy_by_group",
    "estimate_accuracy_by_status",
    "estimate_noise_matrix",
    "find_duplicates",
    "find_label_issues",
    "label_quality_scores",
    "rank_label_issues",
    "required_audit_size",
    "stratified_folds",
]
