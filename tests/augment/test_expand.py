"""The round's entry point: augmented rows, featurized, with lower weights."""

import numpy as np
import pytest
from PIL import Image

from labelmill.augment import (
    TokenDropout,
    TransformationFunctionError,
    augment_training_rows,
    transformation_function,
)
from labelmill.exceptions import ConfigError, InputError
from labelmill.features import HashingTextFeaturizer, ImageFeaturizer, TabularFeaturizer

TEXTS = [
    "free money click this link now",
    "subscribe to my channel for prizes",
    "this song is so good i love it",
    "great video thanks for sharing this",
]
Y = np.array([1, 1, 0, 0])
W = np.array([5.0, 5.0, 5.0, 1.0])


def run(**kwargs):
    args = {
        "data_type": "text",
        "featurizer": HashingTextFeaturizer(n_features=64),
        "n_per_item": 2,
        "seed": 0,
    }
    args.update(kwargs)
    return augment_training_rows(TEXTS, Y, W, **args)


def test_rows_keep_labels_and_get_lower_weights():
    X, Ya, w = run(functions=[TokenDropout(0.3)])
    assert X.dtype == np.float32 and X.shape == (len(Ya), 64) and len(w) == len(Ya)
    assert 4 <= len(Ya) <= 8
    # every augmented row has the weight of its source times 0.5, and its label
    pairs = {(int(y), float(v)) for y, v in zip(Ya, w, strict=True)}
    assert pairs <= {(1, 2.5), (0, 2.5), (0, 0.5)}


def test_soft_targets_come_back_as_rows():
    T = np.eye(2)[Y] * 0.8 + 0.1
    X, Ta, w = augment_training_rows(
        TEXTS,
        T,
        None,
        data_type="text",
        featurizer=HashingTextFeaturizer(n_features=16),
        seed=1,
        weight_factor=0.25,
    )
    assert Ta.shape == (len(X), 2) and np.allclose(Ta.sum(axis=1), 1.0)
    assert np.all(w == 0.25)


def test_deterministic_under_the_seed():
    a, b, c = run(seed=4), run(seed=4), run(seed=5)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not (a[0].shape == c[0].shape and np.array_equal(a[0], c[0]))


def test_max_rows_caps_the_work():
    calls = []

    @transformation_function()
    def counted(x, rng):
        calls.append(x)
        return f"{x} {rng.integers(10**9)}"

    X, Ya, w = run(functions=[counted], n_per_item=5, max_rows=3)
    assert len(X) == 3 and len(calls) <= 3 * 5


def test_nothing_to_add_gives_empty_arrays_of_the_right_width():
    X, Ya, w = run(functions=[lambda x: None])
    assert X.shape == (0, 64) and Ya.shape == (0,) and w.shape == (0,)


def test_images_are_featurized_through_files(tmp_path):
    rng = np.random.default_rng(0)
    paths = []
    for i in range(3):
        p = tmp_path / f"{i}.png"
        Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(p)
        paths.append(str(p))
    feat = ImageFeaturizer(method="color_hist", image_size=16)
    X, Ya, w = augment_training_rows(
        paths, [0, 1, 2], [1.0, 1.0, 1.0], data_type="image", featurizer=feat, seed=0
    )
    assert len(X) == 3 and X.shape[1] == feat.transform(paths[:1]).shape[1]
    assert Ya.tolist() == [0, 1, 2]


def test_table_rows_are_augmented_before_featurization():
    rows = [{"age": 20 + i, "city": "Oslo" if i % 2 else "Rome"} for i in range(8)]
    labels = np.array([0, 1] * 4)
    feat = TabularFeaturizer(min_frequency=1).fit(rows)
    X, Ya, w = augment_training_rows(
        rows, labels, None, data_type="tabular", featurizer=feat, seed=0, n_per_item=2
    )
    assert X.shape[1] == len(feat.feature_names_) and len(X) >= 8


def test_a_plain_featurizer_object_is_enough():
    class Lengths:
        def transform(self, payloads):
            return np.array([[len(p)] for p in payloads], dtype=float)

    X, Ya, w = run(featurizer=Lengths(), functions=[TokenDropout(0.3)])
    assert X.shape[1] == 1 and len(X) > 0


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"data_type": "video"}, ConfigError, "'data_type' parameter of augment_training_rows"),
        ({"featurizer": object()}, ConfigError, "must have a transform.payloads. method"),
        ({"weight_factor": 0}, ConfigError, r"'weight_factor' .* in \(0, 1\]. Got 0"),
        ({"max_rows": 0}, ConfigError, "'max_rows' parameter of augment_training_rows"),
        ({"Y": [0, 1]}, InputError, r"one row of Y per payload. Got Y of shape \(2,\) for 4"),
        ({"weights": [1.0]}, InputError, r"one weight per payload. Got weights of shape \(1,\)"),
    ],
)
def test_bad_input(kwargs, error, message):
    args = {
        "payloads": TEXTS,
        "Y": Y,
        "weights": W,
        "data_type": "text",
        "featurizer": HashingTextFeaturizer(),
        "seed": 0,
    }
    args.update(kwargs)
    with pytest.raises(error, match=message):
        augment_training_rows(args.pop("payloads"), args.pop("Y"), args.pop("weights"), **args)


def test_featurizer_returning_the_wrong_rows_is_an_error():
    class Broken:
        def transform(self, payloads):
            return np.zeros((1, 3))

    with pytest.raises(InputError, match="returned shape \\(1, 3\\) for 4 payloads"):
        run(featurizer=Broken(), functions=[TokenDropout(0.3)], n_per_item=1)


def test_a_raising_function_stops_the_call_unless_fault_tolerant():
    @transformation_function()
    def picky(x):
        if "song" in x:
            raise RuntimeError("no songs")
        return x + " !"

    with pytest.raises(TransformationFunctionError, match="'picky' raised RuntimeError: no songs"):
        run(functions=[picky], n_per_item=1)
    X, Ya, w = run(functions=[picky], n_per_item=1, fault_tolerant=True)
    assert len(X) == 3 and 0 in Ya.tolist()
