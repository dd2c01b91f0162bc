"""Built-in image transformations with PIL only: flips, crops, rotations, colour jitter
(private).

Every function takes a ``PIL.Image.Image`` and returns a new image of the same size and
mode. Images in modes other than ``L``, ``RGB`` and ``RGBA`` are converted to RGB for
the change and back to their mode afterwards.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from labelmill.augment._base import TransformationFunction
from labelmill.exceptions import ConfigError, InputError
from labelmill.utils._validation import check_fraction, check_positive

__all__ = [
    "ColorJitter",
    "HorizontalFlip",
    "RandomCrop",
    "SmallRotation",
    "load_image",
]


def load_image(payload: Any) -> Any:
    """The payload as a PIL image: an image is returned as is, a path is read and decoded.

    Raises
    ------
    InputError
        The payload is neither an image nor a readable image file.
    """
    from PIL import Image, UnidentifiedImageError

    if isinstance(payload, Image.Image):
        return payload
    if isinstance(payload, (str, os.PathLike)):
        try:
            with Image.open(payload) as img:
                img.load()
                return img.copy()
        except FileNotFoundError as exc:
            raise InputError(f"Image file not found: {os.fspath(payload)}.") from exc
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
            raise InputError(f"Cannot decode image {os.fspath(payload)}: {exc}") from exc
    raise InputError(
        f"An image payload must be a PIL image or an image file path. Got "
        f"{type(payload).__name__} instead."
    )


def _check_image(x: Any, owner: str) -> Any:
    from PIL import Image

    if not isinstance(x, Image.Image):
        raise InputError(f"{owner} transforms PIL images. Got {type(x).__name__} instead.")
    return x


def _working(img: Any) -> tuple[Any, str]:
    """The image in a mode PIL's filters handle (L, RGB, RGBA), and its original mode."""
    mode = img.mode
    if mode in ("L", "RGB", "RGBA"):
        return img, mode
    return img.convert("RGBA" if "A" in mode or "transparency" in img.info else "RGB"), mode


def _back(img: Any, mode: str) -> Any:
    return img if img.mode == mode else img.convert(mode)


def _mean_fill(img: Any) -> Any:
    arr = np.asarray(img)
    mean = arr.reshape(-1, arr.shape[-1]).mean(axis=0) if arr.ndim == 3 else arr.mean()
    if np.ndim(mean) == 0:
        return int(round(float(mean)))
    return tuple(int(round(float(v))) for v in mean)


class HorizontalFlip(TransformationFunction):
    """Mirror the image left to right (skip it for digits, text or anything handed).

    Examples
    --------
    >>> from PIL import Image
    >>> img = Image.new("L", (2, 1)); img.putpixel((0, 0), 255)
    >>> HorizontalFlip()(img).getpixel((1, 0))
    255
    """

    data_type = "image"

    def __init__(self, *, name: str = "horizontal_flip") -> None:
        super().__init__(name)

    def transform(self, x: Any, *, rng: np.random.Generator, label: int) -> Any:
        from PIL import Image

        return _check_image(x, "HorizontalFlip").transpose(Image.Transpose.FLIP_LEFT_RIGHT)


class RandomCrop(TransformationFunction):
    """Crop a random box covering ``min_area`` to 1 of the image, then resize it back.

    Parameters
    ----------
    min_area : float in (0, 1], default=0.75
        Smallest share of the image's area the box keeps (the aspect ratio is kept).
    name : str, default="random_crop"

    Examples
    --------
    >>> from PIL import Image
    >>> RandomCrop()(Image.new("RGB", (32, 24))).size
    (32, 24)
    """

    data_type = "image"

    def __init__(self, min_area: float = 0.75, *, name: str = "random_crop") -> None:
        self.min_area = check_fraction(min_area, "min_area", "RandomCrop")
        super().__init__(name)

    def _params(self) -> dict[str, Any]:
        return {"min_area": self.min_area}

    def transform(self, x: Any, *, rng: np.random.Generator, label: int) -> Any:
        from PIL import Image

        img, mode = _working(_check_image(x, "RandomCrop"))
        w, h = img.size
        side = float(np.sqrt(rng.uniform(float(self.min_area or 1.0), 1.0)))
        cw, ch = max(1, round(w * side)), max(1, round(h * side))
        left = int(rng.integers(w - cw + 1))
        top = int(rng.integers(h - ch + 1))
        box = (left, top, left + cw, top + ch)
        out = img.resize((w, h), Image.Resampling.BILINEAR, box=box)
        return _back(out, mode)


class SmallRotation(TransformationFunction):
    """Rotate by a random angle in ``[-max_degrees, max_degrees]``.

    The corners the rotation uncovers are filled with the image's mean colour; the size
    stays the same.

    Parameters
    ----------
    max_degrees : float, default=10
    name : str, default="small_rotation"
    """

    data_type = "image"

    def __init__(self, max_degrees: float = 10.0, *, name: str = "small_rotation") -> None:
        self.max_degrees = check_positive(max_degrees, "max_degrees", "SmallRotation")
        if self.max_degrees > 45:
            raise ConfigError(
                "The 'max_degrees' parameter of SmallRotation must be at most 45 (larger "
                f"turns rarely keep the label). Got {max_degrees!r} instead."
            )
        super().__init__(name)

    def _params(self) -> dict[str, Any]:
        return {"max_degrees": float(self.max_degrees)}

    def transform(self, x: Any, *, rng: np.random.Generator, label: int) -> Any:
        from PIL import Image

        img, mode = _working(_check_image(x, "SmallRotation"))
        m = float(self.max_degrees)
        angle = float(rng.uniform(-m, m))
        out = img.rotate(angle, resample=Image.Resampling.BILINEAR, fillcolor=_mean_fill(img))
        return _back(out, mode)


class ColorJitter(TransformationFunction):
    """Scale brightness, contrast and saturation by random factors near 1.

    Each factor is drawn uniformly from ``[1 - s, 1 + s]`` for its strength ``s``;
    saturation is left alone on grey images; an alpha channel is kept as it is.

    Parameters
    ----------
    brightness, contrast, saturation : float in [0, 1), default=0.2
    name : str, default="color_jitter"
    """

    data_type = "image"

    def __init__(
        self,
        brightness: float = 0.2,
        contrast: float = 0.2,
        saturation: float = 0.2,
        *,
        name: str = "color_jitter",
    ) -> None:
        for param, value in (
            ("brightness", brightness),
            ("contrast", contrast),
            ("saturation", saturation),
        ):
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            if not ok or not 0 <= value < 1:
                raise ConfigError(
                    f"The '{param}' parameter of ColorJitter must be a float in [0, 1). "
                    f"Got {value!r} instead."
                )
        self.brightness = float(brightness)
        self.contrast = float(contrast)
        self.saturation = float(saturation)
        super().__init__(name)

    def _params(self) -> dict[str, Any]:
        return {"b": self.brightness, "c": self.contrast, "s": self.saturation}

    def transform(self, x: Any, *, rng: np.random.Generator, label: int) -> Any:
        from PIL import Image, ImageEnhance

        img, mode = _working(_check_image(x, "ColorJitter"))
        alpha = img.getchannel("A") if img.mode == "RGBA" else None
        out = img.convert("RGB") if alpha is not None else img
        factors = rng.uniform(-1.0, 1.0, size=3)
        out = ImageEnhance.Brightness(out).enhance(1.0 + self.brightness * factors[0])
        out = ImageEnhance.Contrast(out).enhance(1.0 + self.contrast * factors[1])
        if out.mode == "RGB":
            out = ImageEnhance.Color(out).enhance(1.0 + self.saturation * factors[2])
        if alpha is not None:
            out = Image.merge("RGBA", (*out.split(), alpha))
        return _back(out, mode)
