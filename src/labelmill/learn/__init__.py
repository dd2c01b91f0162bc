"""End models, calibration and semi-supervised learning.

Public API::

    EndModel                  classifier trained on posteriors + human labels
    TemperatureScaler         one-parameter calibration (softmax(log p / T))
    IsotonicCalibrator        isotonic top-label calibration
    expected_calibration_error, calibration_report, CalibrationReport
    label_spreading           spread labels over a kNN graph of the embeddings
    soft_cross_entropy
    training_targets          (rows, Y, sample_weight) for EndModel.fit: posteriors + human labels
    SelfTraining, select_pseudo_labels      self-training around an end model
    StackedEnsemble, KNeighborsHead, mixture_weights   heads weighted on held-out labels
    TrainingSet, fit_with_techniques, choose_techniques, TechniqueChoice
                              a round's model with the optional techniques, and ``auto``
"""

from __future__ import annotations

from labelmill.learn._calibration import (
    CalibrationReport,
    IsotonicCalibrator,
    TemperatureScaler,
    calibration_report,
    expected_calibration_error,
)
from labelmill.learn._end_model import EndModel, soft_cross_entropy
from labelmill.learn._ensemble import KNeighborsHead, StackedEnsemble, mixture_weights
from labelmill.learn._self_training import SelfTraining, select_pseudo_labels
from labelmill.learn._semi_supervised import label_spreading
from labelmill.learn._targets import training_targets
from labelmill.learn._techniques import (
    MIN_ANSWERS,
    TECHNIQUE_NAMES,
    FitOutcome,
    TechniqueChoice,
    TrainingSet,
    choose_techniques,
    fit_with_techniques,
)

__all__ = [
    "MIN_ANSWERS",
    "TECHNIQUE_NAMES",
    "CalibrationReport",
    "EndModel",
    "FitOutcome",
    "IsotonicCalibrator",
    "KNeighborsHead",
    "SelfTraining",
    "StackedEnsemble",
    "TechniqueChoice",
    "TemperatureScaler",
    "TrainingSet",
    "calibration_report",
    "choose_techniques",
    "expected_calibration_error",
    "fit_with_techniques",
    "label_spreading",
    "mixture_weights",
    "select_pseudo_labels",
    "soft_cross_entropy",
    "training_targets",
]
