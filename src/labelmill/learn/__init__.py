"""End models, calibration and semi-supervised learning.

Public API::

    EndModel                  classifier trained on posteriors + human labels
    TemperatureScaler         one-parameter calibration (softmax(log p / T))
    IsotonicCalibrator        isotonic top-label calibration
    expected_calibration_error, calibration_report, CalibrationReport
    label_spreading           spread labels over a kNN graph of the embeddings
    soft_cross_entropy
    training_targets          (rows, Y, sample_weight) for EndModel.fit: posteriors + human labels
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
from labelmill.learn._semi_supervised import label_spreading
from labelmill.learn._targets import training_targets

__all__ = [
    "CalibrationReport",
    "EndModel",
    "IsotonicCalibrator",
    "TemperatureScaler",
    "calibration_report",
    "expected_calibration_error",
    "label_spreading",
    "soft_cross_entropy",
    "training_targets",
]
