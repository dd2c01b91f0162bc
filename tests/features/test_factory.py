from __future__ import annotations

from pathlib import Path

import pytest

from labelmill.exceptions import ConfigError
from labelmill.features import (
    Featurizer,
    HashingTextFeaturizer,
    ImageFeaturizer,
    TabularFeaturizer,
    TextFeaturizer,
    TorchImageFeaturizer,
    make_featurizer,
)


def test_make_featurizer_returns_the_right_class(tmp_path: Path) -> None:
    assert type(make_featurizer("text")) is TextFeaturizer
    assert type(make_featurizer("text", kind="hashing", n_features=8)) is HashingTextFeaturizer
    img = make_featurizer("image", method="hog")
    assert type(img) is ImageFeaturizer and img.method == "hog"
    weights = tmp_path / "w.pt"
    weights.write_bytes(b"")
    assert type(make_featurizer("image", weights_path=str(weights))) is TorchImageFeaturizer
    tab = make_featurizer("tabular", min_frequency=2)
    assert type(tab) is TabularFeaturizer and tab.min_frequency == 2
    assert all(isinstance(f, Featurizer) for f in (img, tab))


def test_make_featurizer_errors() -> None:
    with pytest.raises(ConfigError, match="data_type among text, image, tabular. Got 'audio'"):
        make_featurizer("audio")
    with pytest.raises(ConfigError, match="'kind' option of a text featurizer"):
        make_featurizer("text", kind="bert")
    with pytest.raises(ConfigError, match=r"TabularFeaturizer does not accept .*\['size'\]"):
        make_featurizer("tabular", size=3)


def test_clone_and_params_follow_the_estimator_contract() -> None:
    from sklearn.base import clone

    for f in (
        HashingTextFeaturizer(n_features=8),
        ImageFeaturizer(method="hog"),
        TabularFeaturizer(min_frequency=2),
        TextFeaturizer(batch_size=8),
    ):
        g = clone(f)
        assert g.get_params() == f.get_params() and g is not f
        assert g.fit([{"a": 1}] if f.requires_fit else ["x"]) is g


def test_unfitted_clone_has_the_same_version() -> None:
    from sklearn.base import clone

    f = ImageFeaturizer(method="random_conv", n_filters=8)
    assert clone(f).version == f.version != ImageFeaturizer(n_filters=9).version
