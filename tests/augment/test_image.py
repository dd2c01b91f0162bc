"""Built-in image transformations: size and mode kept, PIL only."""

import numpy as np
import pytest
from PIL import Image

from labelmill.augment import (
    ColorJitter,
    HorizontalFlip,
    RandomCrop,
    SmallRotation,
    load_image,
)
from labelmill.exceptions import ConfigError, InputError


def picture(mode="RGB", size=(20, 12), seed=0):
    rng = np.random.default_rng(seed)
    arr = rng.integers(0, 256, size=(size[1], size[0], 3), dtype=np.uint8)
    return Image.fromarray(arr).convert(mode)


ALL = [HorizontalFlip(), RandomCrop(0.5), SmallRotation(15), ColorJitter(0.3, 0.3, 0.3)]


@pytest.mark.parametrize("mode", ["RGB", "L", "RGBA", "P"])
@pytest.mark.parametrize("tf", ALL, ids=lambda tf: tf.name)
def test_size_and_mode_are_kept_and_the_input_untouched(tf, mode):
    img = picture(mode)
    before = img.tobytes()
    outs = [tf(img, rng=np.random.default_rng(s)) for s in range(4)]
    for out in outs:
        assert isinstance(out, Image.Image)
        assert out.size == img.size and out.mode == img.mode
    assert img.tobytes() == before
    assert any(out.tobytes() != before for out in outs)


def test_flip_mirrors():
    img = picture()
    out = np.asarray(HorizontalFlip()(img))
    assert np.array_equal(out, np.asarray(img)[:, ::-1])


def test_random_crop_zooms_in():
    img = Image.new("L", (10, 10), 0)
    img.paste(255, (0, 0, 5, 10))  # left half white
    outs = [np.asarray(RandomCrop(0.3)(img, rng=np.random.default_rng(s))) for s in range(5)]
    assert all(o.shape == (10, 10) for o in outs)
    assert len({o.tobytes() for o in outs}) > 1


def test_color_jitter_keeps_alpha():
    img = picture("RGBA")
    img.putalpha(Image.new("L", img.size, 77))
    out = ColorJitter()(img, rng=np.random.default_rng(0))
    assert set(np.asarray(out)[..., 3].ravel().tolist()) == {77}


def test_load_image_reads_paths_and_reports_bad_ones(tmp_path):
    path = tmp_path / "a.png"
    picture().save(path)
    assert load_image(str(path)).size == (20, 12)
    with pytest.raises(InputError, match="Image file not found: .*missing.png"):
        load_image(str(tmp_path / "missing.png"))
    (tmp_path / "bad.png").write_bytes(b"not an image")
    with pytest.raises(InputError, match="Cannot decode image .*bad.png"):
        load_image(tmp_path / "bad.png")
    with pytest.raises(InputError, match="PIL image or an image file path. Got int"):
        load_image(3)


def test_image_functions_refuse_other_payloads():
    with pytest.raises(InputError, match="RandomCrop transforms PIL images. Got str"):
        RandomCrop()("a.png", rng=np.random.default_rng(0))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: RandomCrop(0.0),
            r"'min_area' parameter of RandomCrop .* \(0, 1\]",
        ),
        (lambda: SmallRotation(90), "'max_degrees' parameter of SmallRotation must be at most 45"),
        (lambda: ColorJitter(brightness=1.5), r"'brightness' parameter of ColorJitter .* \[0, 1\)"),
    ],
)
def test_bad_parameters(make, message):
    with pytest.raises(ConfigError, match=message):
        make()
