"""Encoding crowd answers: ids and labels of any type, duplicates, bad input."""

import numpy as np
import pandas as pd
import pytest

from labelmill.crowd import encode_answers
from labelmill.exceptions import ConfigError, InputError


def test_any_hashable_ids_and_labels():
    df = pd.DataFrame(
        {"item": [(1, "a"), (1, "a"), 2.5], "worker": ["x", 7, "x"], "label": [True, False, True]}
    )
    enc = encode_answers(df)
    assert enc.classes == [False, True]
    assert enc.items.tolist() == [(1, "a"), 2.5]
    assert enc.votes.class_counts().tolist() == [[1.0, 1.0], [0.0, 1.0]]


def test_tuples_input_and_given_classes_keep_unused_class():
    enc = encode_answers([("a", 1, "lo"), ("b", 1, "hi")], classes=["lo", "mid", "hi"])
    assert enc.classes == ["lo", "mid", "hi"] and enc.votes.k == 3
    assert enc.votes.class_counts().tolist() == [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]


def test_mixed_label_types_keep_first_appearance_order():
    enc = encode_answers([("a", 1, "x"), ("a", 2, 3), ("b", 1, "x")])
    assert enc.classes == ["x", 3]


@pytest.mark.parametrize(
    ("policy", "counts"),
    [
        ("merge", [[2 / 3, 1 / 3]]),  # one vote, split by how often each was given
        ("last", [[0.0, 1.0]]),
        ("first", [[1.0, 0.0]]),
        ("all", [[2.0, 1.0]]),
    ],
)
def test_duplicate_and_conflicting_answers(policy, counts):
    df = pd.DataFrame({"item": ["q"] * 3, "worker": ["w"] * 3, "label": ["a", "a", "b"]})
    enc = encode_answers(df, duplicates=policy)
    np.testing.assert_allclose(enc.votes.class_counts(), counts)


def test_errors():
    good = pd.DataFrame({"item": [1, 2], "worker": [1, 1], "label": ["a", "b"]})
    with pytest.raises(InputError, match="has no rows. There is nothing to aggregate"):
        encode_answers(good.iloc[:0])
    with pytest.raises(InputError, match=r"lacks column\(s\) \['worker'\]"):
        encode_answers(good.drop(columns="worker"))
    with pytest.raises(InputError, match="missing item id .* at row 1"):
        encode_answers(good.assign(item=[1, None]))
    with pytest.raises(InputError, match="missing worker id .* at row 0"):
        encode_answers(good.assign(worker=[np.nan, 1]))
    with pytest.raises(InputError, match="missing label"):
        encode_answers(good.assign(label=["a", None]))
    with pytest.raises(
        InputError, match=r"label\(s\) \['b'\] that are not in classes \['a', 'c'\]"
    ):
        encode_answers(good, classes=["a", "c"])
    with pytest.raises(InputError, match="at least 2 classes"):
        encode_answers(good, classes=["a"])
    with pytest.raises(InputError, match="lists 'a' twice"):
        encode_answers(good, classes=["a", "a", "b"])
    with pytest.raises(InputError, match="hold a single label .'a'.*Pass classes"):
        encode_answers(good.assign(label=["a", "a"]))
    with pytest.raises(InputError, match="must be a DataFrame"):
        encode_answers("answers.csv")
    with pytest.raises(InputError, match=r"\(item, worker, label\) triples; row 1"):
        encode_answers([(1, 1, "a"), (2, 1)])
    with pytest.raises(ConfigError, match="'duplicates' parameter of encode_answers must be one"):
        encode_answers(good, duplicates="keep")
