"""Choose the featurizer of a data type (private)."""

from __future__ import annotations

from typing import Any

from labelmill.exceptions import ConfigError
from labelmill.features._base import Featurizer
from labelmill.features._image import ImageFeaturizer, TorchImageFeaturizer
from labelmill.features._tabular import TabularFeaturizer
from labelmill.features._text import HashingTextFeaturizer, TextFeaturizer

__all__ = ["make_featurizer"]

_DATA_TYPES = ("text", "image", "tabular")


def make_featurizer(data_type: str, **options: Any) -> Featurizer:
    """Return the default featurizer for ``data_type``, built with ``options``.

    Parameters
    ----------
    data_type : {"text", "image", "tabular"}
        The project's data type.
    **options
        Keyword arguments of the featurizer. Two switch the class: for text,
        ``kind="hashing"`` gives :class:`HashingTextFeaturizer` (``kind="embedding"``, the
        default, gives :class:`TextFeaturizer`); for images, ``weights_path=`` gives
        :class:`TorchImageFeaturizer` (otherwise :class:`ImageFeaturizer`).

    Returns
    -------
    Featurizer
        Not fitted yet; call ``fit(payloads)`` (a no-op for pretrained featurizers).

    Raises
    ------
    ConfigError
        If ``data_type`` or ``kind`` is unknown, or an option does not belong to the class.

    Examples
    --------
    >>> make_featurizer("text", kind="hashing", n_features=64)
    HashingTextFeaturizer(n_features=64)
    >>> make_featurizer("image").method
    'random_conv'
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
        cls = TorchImageFeaturizer if "weights_path" in options else ImageFeaturizer
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
