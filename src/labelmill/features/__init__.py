"""Featurizers (text embeddings, image, tabular) and the embedding cache.

Every featurizer follows one interface (:class:`Featurizer`): ``fit(payloads)`` returns
self (a no-op for pretrained ones), ``transform(payloads)`` returns a float32 array
``(n, d)`` and raises :class:`~labelmill.exceptions.InputError` naming the items that
could not be featurized, ``transform_partial(payloads)`` returns a :class:`FeatureBatch`
with a failure mask instead, and ``version`` is the cache key that changes whenever the
output would change. Payloads are ``str`` for text, an image file path for images, a
``dict`` of column -> value (or a DataFrame) for tables.

:class:`FeatureCache` keeps vectors on disk keyed by (version, content hash) so that a
second run computes only new items.
"""

from labelmill.features._base import FeatureBatch, Featurizer
from labelmill.features._cache import FeatureCache
from labelmill.features._factory import make_featurizer
from labelmill.features._image import (
    IMAGE_METHODS,
    PRETRAINED_IMAGE_METHOD,
    ImageFeaturizer,
    PretrainedImageFeaturizer,
    TorchImageFeaturizer,
    load_images,
    missing_pretrained_packages,
)
from labelmill.features._tabular import TabularFeaturizer, infer_column_types
from labelmill.features._text import (
    HashingTextFeaturizer,
    TextFeaturizer,
    default_text_model_path,
)

__all__ = [
    "IMAGE_METHODS",
    "PRETRAINED_IMAGE_METHOD",
    "FeatureBatch",
    "FeatureCache",
    "Featurizer",
    "HashingTextFeaturizer",
    "ImageFeaturizer",
    "PretrainedImageFeaturizer",
    "TabularFeaturizer",
    "TextFeaturizer",
    "TorchImageFeaturizer",
    "default_text_model_path",
    "infer_column_types",
    "load_images",
    "make_featurizer",
    "missing_pretrained_packages",
]
