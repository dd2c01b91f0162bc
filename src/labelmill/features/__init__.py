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

:func:`make_featurizer` picks the default of a data type: MiniLM for text, the packaged
ImageNet EfficientNet-Lite0 for images (weight-free random conv features when its packages
are missing), one-hot and scaled columns for tables. :func:`zero_shot_votes` turns class
names and descriptions into votes at cold start, before anyone has labeled anything.
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
from labelmill.features._zero_shot import (
    DEFAULT_ZERO_SHOT_MARGIN,
    class_prompts,
    embed_class_prompts,
    zero_shot_scores,
    zero_shot_votes,
)

__all__ = [
    "DEFAULT_ZERO_SHOT_MARGIN",
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
    "class_prompts",
    "default_text_model_path",
    "embed_class_prompts",
    "infer_column_types",
    "load_images",
    "make_featurizer",
    "missing_pretrained_packages",
    "zero_shot_scores",
    "zero_shot_votes",
]
