from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest
from sklearn.base import clone

from labelmill.exceptions import ConfigError, InputError
from labelmill.features import HashingTextFeaturizer, TextFeaturizer, default_text_model_path


def test_import_does_not_load_torch() -> None:
    code = (
        "import sys, labelmill.features; "
        "print('torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_hashing_is_deterministic_and_normalized() -> None:
    f = HashingTextFeaturizer(n_features=32)
    X = f.fit(["x"]).transform(["free money now", "free money now", "lunch at noon?"])
    assert X.shape == (3, 32) and X.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(X[0], X[1])
    assert not np.array_equal(X[0], X[2])
    assert np.array_equal(
        X,
        HashingTextFeaturizer(n_features=32).transform(
            ["free money now", "free money now", "lunch at noon?"]
        ),
    )


def test_hashing_version_changes_with_params() -> None:
    a = HashingTextFeaturizer(n_features=32).version
    assert a == HashingTextFeaturizer(n_features=32).version
    assert a != HashingTextFeaturizer(n_features=64).version
    assert a != HashingTextFeaturizer(n_features=32, ngram_range=(1, 1)).version
    assert a.startswith("text-hashing:")


def test_failures_are_reported_per_item() -> None:
    f = HashingTextFeaturizer(n_features=16)
    batch = f.transform_partial(["good text", "", None, "  ", "more"])
    assert batch.failed.tolist() == [False, True, True, True, False]
    assert batch.reasons[1] == "the text is empty"
    assert "NoneType" in batch.reasons[2]
    assert not batch.X[1:4].any() and batch.X[[0, 4]].any()
    with pytest.raises(InputError, match=r"could not featurize 3 of 5 items \(item 1: the text"):
        f.transform(["good text", "", None, "  ", "more"])


def test_many_failures_are_summarized() -> None:
    with pytest.raises(InputError, match="and 2 more"):
        HashingTextFeaturizer().transform([""] * 7)


def test_empty_input_and_single_string() -> None:
    assert HashingTextFeaturizer(n_features=8).transform([]).shape == (0, 8)
    with pytest.raises(InputError, match="Got a single str instead"):
        HashingTextFeaturizer().transform("one text")


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"n_features": 0}, "'n_features' parameter of HashingTextFeaturizer must be a positive"),
        ({"ngram_range": (2, 1)}, "'ngram_range' parameter"),
    ],
)
def test_hashing_bad_params(params: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        HashingTextFeaturizer(**params).transform(["x"])


def test_text_bad_params(tmp_path) -> None:
    with pytest.raises(ConfigError, match="'batch_size' parameter of TextFeaturizer"):
        TextFeaturizer(batch_size=0).transform(["x"])
    with pytest.raises(ConfigError, match="'model_path' parameter of TextFeaturizer must be"):
        TextFeaturizer(model_path=str(tmp_path)).transform(["x"])


def test_default_model_path_points_to_packaged_minilm() -> None:
    path = default_text_model_path()
    assert (path / "modules.json").is_file() and (path / "model.safetensors").is_file()


def test_minilm_embeds_three_sentences() -> None:
    f = TextFeaturizer()
    texts = ["Win a free iPhone now!!!", "Claim your free prize today", "The meeting is at 3pm."]
    batch = f.fit(texts).transform_partial(texts + [""])
    X = batch.X
    assert X.shape == (4, 384) and X.dtype == np.float32
    assert batch.failed.tolist() == [False, False, False, True]
    np.testing.assert_allclose(np.linalg.norm(X[:3], axis=1), 1.0, rtol=1e-4)
    sim = X[:3] @ X[:3].T
    assert sim[0, 1] > sim[0, 2] and sim[0, 1] > sim[1, 2]
    # the model is loaded once per instance and survives pickling by reloading
    model = f._model
    f.transform(texts[:1])
    assert f._model is model
    g = pickle.loads(pickle.dumps(f))
    assert not hasattr(g, "_model")
    np.testing.assert_allclose(g.transform(texts[:1]), X[:1], atol=1e-5)
    assert f.version == TextFeaturizer().version != TextFeaturizer(normalize=False).version
    assert clone(f).get_params() == f.get_params()
