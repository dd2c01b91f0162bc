"""The applier: labels kept, seeded, user functions, clear errors."""

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from labelmill.augment import (
    AugmentResult,
    GaussianNoise,
    HorizontalFlip,
    SpanSwap,
    TokenDropout,
    TransformationFunctionError,
    augment,
    default_functions,
    transformation_function,
)
from labelmill.exceptions import ConfigError, InputError

TEXTS = [
    "what is the capital city of norway ?",
    "who wrote the novel war and peace ?",
    "how many legs does a spider have ?",
    "when did the berlin wall fall down ?",
]
LABELS = np.array([2, 1, 3, 0])


def test_labels_follow_their_source():
    out = augment(TEXTS, LABELS, data_type="text", n_per_item=3, random_state=0)
    assert isinstance(out, AugmentResult)
    assert len(out.payloads) == len(out.labels) == len(out.source) == len(out.functions)
    assert len(out.payloads) > len(TEXTS)
    assert np.array_equal(out.labels, LABELS[out.source])
    assert all(isinstance(p, str) for p in out.payloads)
    assert all(p != TEXTS[s] for p, s in zip(out.payloads, out.source, strict=True))


def test_soft_label_rows_are_copied():
    Y = np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5], [1.0, 0.0]])
    out = augment(TEXTS, Y, data_type="text", n_per_item=2, random_state=1)
    assert out.labels.shape == (len(out.payloads), 2)
    assert np.array_equal(out.labels, Y[out.source])


def test_same_seed_same_output_other_seed_other_output():
    def run(seed):
        out = augment(TEXTS, LABELS, data_type="text", n_per_item=2, random_state=seed)
        return out.payloads, out.source.tolist(), out.functions

    assert run(7) == run(7)
    assert run(7) != run(8)


def test_an_item_does_not_depend_on_the_others():
    both = augment(TEXTS[:2], LABELS[:2], data_type="text", random_state=3)
    first = augment(TEXTS[:1], LABELS[:1], data_type="text", functions=None, random_state=3)
    assert [p for p, s in zip(both.payloads, both.source, strict=True) if s == 0] == first.payloads


def test_user_functions_including_one_that_skips():
    @transformation_function()
    def add_please(x):
        return None if "spider" in x else x.replace(" ?", " please ?")

    out = augment(TEXTS, LABELS, data_type="text", functions=[add_please], random_state=0)
    assert out.source.tolist() == [0, 1, 3]
    assert out.payloads[0] == "what is the capital city of norway please ?"
    assert out.counts["add_please"] == {"applied": 3, "skipped": 1, "failed": 0}


def test_plain_callables_are_wrapped():
    out = augment(["ab"], [0], data_type="text", functions=[str.upper], random_state=0)
    assert out.payloads == ["AB"] and out.functions == [("upper",)]


def test_unchanged_outputs_are_dropped():
    out = augment(TEXTS, LABELS, data_type="text", functions=[lambda x: x], random_state=0)
    assert out.payloads == [] and out.labels.shape == (0,)
    assert out.counts["<lambda>"]["skipped"] == 4


def test_sequences_apply_several_functions():
    out = augment(
        TEXTS,
        LABELS,
        data_type="text",
        functions=[TokenDropout(0.3), SpanSwap(1)],
        sequence_length=2,
        random_state=0,
    )
    assert any(len(names) == 2 for names in out.functions)


def test_a_raising_function_is_named_with_the_item():
    @transformation_function()
    def fragile(x):
        if "spider" in x:
            raise KeyError("legs")
        return x + "!"

    with pytest.raises(
        TransformationFunctionError,
        match=r"'fragile' raised KeyError: 'legs' on the item at position 2 \(copy 0\)",
    ) as info:
        augment(TEXTS, LABELS, data_type="text", functions=[fragile], random_state=0)
    assert isinstance(info.value.__cause__, KeyError)

    out = augment(
        TEXTS, LABELS, data_type="text", functions=[fragile], random_state=0, fault_tolerant=True
    )
    assert out.source.tolist() == [0, 1, 3]
    assert out.counts["fragile"]["failed"] == 1


def test_wrong_output_kind_is_an_error():
    with pytest.raises(
        TransformationFunctionError,
        match="'split' returned list; expected a str or None on the item at position 0",
    ):
        augment(TEXTS, LABELS, data_type="text", functions=[str.split], random_state=0)


def test_images_from_paths_and_from_pil(tmp_path):
    img = Image.fromarray(np.arange(48, dtype=np.uint8).reshape(4, 4, 3))
    img.save(tmp_path / "a.png")
    out = augment(
        [str(tmp_path / "a.png"), img.convert("L")],
        [1, 0],
        data_type="image",
        functions=[HorizontalFlip()],
        n_per_item=3,
        random_state=0,
    )
    assert out.source.tolist() == [0, 1]  # a flip has one outcome: copies 2 and 3 repeat it
    assert [p.mode for p in out.payloads] == ["RGB", "L"]
    assert all(p.size == (4, 4) for p in out.payloads)


def test_table_rows_as_dicts_series_and_frames_rows():
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "c": ["a", "b", "a", "b"]})
    rows = [frame.iloc[i] for i in range(4)]
    out = augment(rows, [0, 0, 1, 1], data_type="tabular", n_per_item=2, random_state=0)
    assert all(isinstance(p, dict) and set(p) == {"x", "c"} for p in out.payloads)
    assert np.array_equal(out.labels, np.array([0, 0, 1, 1])[out.source])
    out2 = augment(
        frame.to_dict(orient="records"),
        [0, 0, 1, 1],
        data_type="tabular",
        functions=[GaussianNoise()],
        random_state=0,
    )
    assert len(out2.payloads) >= 3  # a row at the edge of its range may stay unchanged
    assert all(1.0 <= p["x"] <= 4.0 and p["c"] in ("a", "b") for p in out2.payloads)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"data_type": "audio"}, ConfigError, "'data_type' parameter of augment must be one of"),
        ({"n_per_item": 0}, ConfigError, "'n_per_item' parameter of augment must be a positive"),
        ({"random_state": None}, ConfigError, r"always seeded\). Got None"),
        ({"random_state": -1}, ConfigError, "non-negative int. Got -1"),
        ({"labels": [0, 1]}, InputError, r"one label per payload.*Got shape \(2,\) for 4"),
        ({"labels": [0, -1, 1, 1]}, InputError, "class indices >= 0"),
        ({"functions": []}, ConfigError, "at least one transformation function"),
        ({"functions": [3]}, ConfigError, "Entry 0 of the 'functions' parameter .* Got 3"),
        ({"functions": [HorizontalFlip()]}, ConfigError, "'horizontal_flip' .* transforms image"),
        (
            {"functions": [SpanSwap(), SpanSwap()]},
            ConfigError,
            "unique names. Repeated: span_swap",
        ),
        ({"sequence_length": 2, "functions": [SpanSwap()]}, ConfigError, "at most the number"),
        ({"payloads": "one text"}, InputError, "Got a single str instead"),
        ({"payloads": [1, 2, 3, 4]}, InputError, "payload at position 0: a text payload must"),
    ],
)
def test_bad_input(kwargs, error, message):
    args = {"payloads": TEXTS, "labels": LABELS, "data_type": "text", "random_state": 0}
    args.update(kwargs)
    with pytest.raises(error, match=message):
        augment(args.pop("payloads"), args.pop("labels"), **args)


def test_default_functions_by_type():
    assert [tf.name for tf in default_functions("text")] == ["token_dropout", "span_swap"]
    assert len(default_functions("image")) == 4
    with pytest.raises(ConfigError, match="'data_type' parameter of default_functions"):
        default_functions("video")


def test_text_functions_learn_neighbours_from_the_corpus():
    from labelmill.augment import NeighbourReplacement

    corpus = [f"the {w} was great" for w in ("movie", "film", "show")] * 5
    out = augment(
        ["the movie was great"],
        [1],
        data_type="text",
        functions=[NeighbourReplacement(p=0.99, k=1)],
        corpus=corpus,
        random_state=0,
    )
    assert len(out.payloads) == 1 and out.payloads[0] != "the movie was great"
    none = augment(
        ["the movie was great"],
        [1],
        data_type="text",
        functions=[NeighbourReplacement(p=0.99, k=1)],
        random_state=0,
    )
    assert none.payloads == []  # one text: no word is seen three times


def test_labelmill_rows_are_table_payloads():
    from labelmill.lf import Row

    rows = [Row({"x": float(i), "c": "a"}, name=i) for i in range(4)]
    out = augment(rows, [0, 0, 1, 1], data_type="tabular", random_state=0)
    assert all(type(p) is dict and set(p) == {"x", "c"} for p in out.payloads)
