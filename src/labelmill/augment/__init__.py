"""Data augmentation for training end models: label-preserving transformation functions.

Write a transformation function as you write a labeling function
(``@transformation_function()``, or a subclass of :class:`TransformationFunction`): it
takes one item's payload and returns a new payload that keeps the label, or None to skip
the item. Built-ins cover text (:class:`TokenDropout`, :class:`NeighbourReplacement`,
:class:`SpanSwap`), images (:class:`HorizontalFlip`, :class:`RandomCrop`,
:class:`SmallRotation`, :class:`ColorJitter`; PIL only) and tables
(:class:`ClassInterpolation`, :class:`GaussianNoise`).

:func:`augment` applies them to labeled payloads, reproducibly under a seed;
:func:`augment_training_rows` is what a labeling round calls: it augments the rows people
answered, featurizes the new payloads and returns ``(X_aug, Y_aug, w_aug)`` with a lower
weight. ``docs/augment.md`` has the guide and measurements.
"""

from labelmill.augment._apply import AugmentResult, augment, default_functions
from labelmill.augment._base import (
    TransformationFunction,
    TransformationFunctionError,
    transformation_function,
)
from labelmill.augment._expand import augment_training_rows
from labelmill.augment._image import (
    ColorJitter,
    HorizontalFlip,
    RandomCrop,
    SmallRotation,
    load_image,
)
from labelmill.augment._tabular import ClassInterpolation, GaussianNoise
from labelmill.augment._text import (
    NeighbourReplacement,
    SpanSwap,
    TokenDropout,
    cooccurrence_neighbours,
)

__all__ = [
    "AugmentResult",
    "ClassInterpolation",
    "ColorJitter",
    "GaussianNoise",
    "HorizontalFlip",
    "NeighbourReplacement",
    "RandomCrop",
    "SmallRotation",
    "SpanSwap",
    "TokenDropout",
    "TransformationFunction",
    "TransformationFunctionError",
    "augment",
    "augment_training_rows",
    "cooccurrence_neighbours",
    "default_functions",
    "load_image",
    "transformation_function",
]
