"""Fixtures of the features tests: tiny seeded images and rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image


@pytest.fixture
def image_paths(tmp_path: Path) -> list[str]:
    """Six small seeded images: three dark-left, three dark-right, png and jpg, rgb and gray."""
    rng = np.random.default_rng(0)
    paths = []
    for i in range(6):
        arr = rng.integers(0, 60, size=(20, 24, 3)).astype(np.uint8)
        if i % 2:
            arr[:, 12:] += 180
        else:
            arr[:, :12] += 180
        img = Image.fromarray(arr)
        if i == 5:
            img = img.convert("L")
        p = tmp_path / f"img{i}.{'jpg' if i % 3 == 0 else 'png'}"
        img.save(p)
        paths.append(str(p))
    return paths


@pytest.fixture
def broken_image(tmp_path: Path) -> str:
    p = tmp_path / "broken.png"
    p.write_bytes(b"\x89PNG\r\n\x1a\nnot really a png")
    return str(p)
