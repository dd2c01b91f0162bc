"""Built-in table transformations: column types respected, labels kept."""

import math

import numpy as np
import pytest

from labelmill.augment import ClassInterpolation, GaussianNoise
from labelmill.exceptions import ConfigError, InputError

ROWS = [
    {"age": 20 + 5 * i, "income": 1000.0 * (i + 1), "city": c, "member": i % 2 == 0, "n": None}
    for i, c in enumerate(["Oslo", "Rome", "Oslo", "Lima", "Rome", "Oslo"])
]
LABELS = [0, 0, 0, 1, 1, 1]


def rng(seed=0):
    return np.random.default_rng(seed)


def test_noise_respects_column_types_and_ranges():
    tf = GaussianNoise(scale=2.0).fit(ROWS, None)
    for seed in range(30):
        row = dict(ROWS[2])
        out = tf(row, rng=rng(seed))
        assert set(out) == set(row)
        assert isinstance(out["age"], int) and 20 <= out["age"] <= 45
        assert isinstance(out["income"], float) and 1000.0 <= out["income"] <= 6000.0
        assert out["city"] == "Oslo" and out["member"] is True and out["n"] is None
        assert row == ROWS[2]  # the input row is not changed


def test_noise_scale_follows_the_column_std():
    rows = [{"small": float(v), "big": 1000.0 * v} for v in range(10)]
    tf = GaussianNoise(scale=0.1).fit(rows, None)
    deltas = np.array(
        [
            [out["small"] - 5.0, out["big"] - 5000.0]
            for out in (tf({"small": 5.0, "big": 5000.0}, rng=rng(s)) for s in range(200))
        ]
    )
    ratio = deltas[:, 1].std() / deltas[:, 0].std()
    assert 800 < ratio < 1250


def test_noise_column_type_overrides_and_numeric_strings():
    rows = [{"zip": 1000 + i, "code": "12"} for i in range(5)]
    tf = GaussianNoise(scale=1.0, column_types={"zip": "categorical"}).fit(rows, None)
    assert tf({"zip": 1002, "code": "12"}, rng=rng(0)) is None  # nothing numeric to noise


def test_noise_leaves_nan_alone():
    rows = [{"x": float(i)} for i in range(5)]
    tf = GaussianNoise().fit(rows, None)
    assert tf({"x": math.nan}, rng=rng(0)) is None


def test_interpolation_stays_between_rows_of_the_class():
    tf = ClassInterpolation(max_share=1.0).fit(ROWS, LABELS)
    for seed in range(30):
        out = tf(dict(ROWS[3]), rng=rng(seed), label=1)
        assert 35 <= out["age"] <= 45 and isinstance(out["age"], int)
        assert 4000.0 <= out["income"] <= 6000.0
        assert out["city"] in {"Lima", "Rome", "Oslo"}
        assert out["member"] in (True, False)


def test_interpolation_skips_a_class_of_one():
    tf = ClassInterpolation().fit(ROWS[:4], [0, 0, 0, 1])
    assert tf(dict(ROWS[3]), rng=rng(0), label=1) is None


def test_interpolation_needs_labels():
    with pytest.raises(InputError, match="needs one class index per row. Got no labels for 6"):
        ClassInterpolation().fit(ROWS, None)


def test_table_functions_refuse_other_payloads():
    with pytest.raises(InputError, match="GaussianNoise transforms table rows .dicts.. Got str"):
        GaussianNoise()("a", rng=rng(0))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: GaussianNoise(scale=-1), "'scale' parameter of GaussianNoise must be a positive"),
        (
            lambda: GaussianNoise(column_types={"a": "number"}),
            "Got 'number' for column 'a' instead",
        ),
        (lambda: ClassInterpolation(max_share=2), "'max_share' parameter of ClassInterpolation"),
    ],
)
def test_bad_parameters(make, message):
    with pytest.raises(ConfigError, match=message):
        make()
