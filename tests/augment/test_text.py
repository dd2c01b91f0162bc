"""Built-in text transformations."""

import numpy as np
import pytest

from labelmill.augment import (
    NeighbourReplacement,
    SpanSwap,
    TokenDropout,
    cooccurrence_neighbours,
)
from labelmill.exceptions import ConfigError, InputError

TEXT = "how many people live in the city of oslo ?"


def rng(seed=0):
    return np.random.default_rng(seed)


def test_token_dropout_drops_tokens_in_order():
    out = TokenDropout(p=0.4)(TEXT, rng=rng(1))
    kept = out.split()
    assert 1 <= len(kept) < len(TEXT.split())
    it = iter(TEXT.split())
    assert all(tok in it for tok in kept)  # a subsequence


def test_token_dropout_keeps_one_token_and_skips_short_texts():
    assert len(TokenDropout(p=0.99)(TEXT, rng=rng(0)).split()) >= 1
    assert TokenDropout(min_tokens=3)("two words", rng=rng(0)) is None


def test_span_swap_is_a_permutation():
    for seed in range(20):
        out = SpanSwap(max_span=3)(TEXT, rng=rng(seed))
        assert sorted(out.split()) == sorted(TEXT.split())
    assert SpanSwap()("one", rng=rng(0)) is None


def test_span_swap_changes_the_text_for_some_seed():
    outs = {SpanSwap(max_span=2)(TEXT, rng=rng(s)) for s in range(10)}
    assert len(outs - {TEXT}) >= 5


def test_cooccurrence_neighbours_find_words_in_the_same_contexts():
    texts = [f"i {v} this {o}" for v in ("love", "like", "adore") for o in ("song", "video")] * 4
    nb = cooccurrence_neighbours(texts, k=2)
    assert set(nb["love"]) <= {"like", "adore", "this", "i"}
    assert "love" not in nb["love"]
    assert cooccurrence_neighbours(["a b"], min_count=3) == {}


def test_neighbour_replacement_learns_from_the_corpus_and_keeps_case_and_punctuation():
    corpus = [f"the {w} was great" for w in ("movie", "film", "show")] * 5
    tf = NeighbourReplacement(p=0.99, k=1).fit(corpus, None)
    out = tf("The Movie was great!", rng=rng(0))
    words = out.split()
    assert words[1][0].isupper() and words[-1].endswith("!")
    assert out != "The Movie was great!"


def test_neighbour_replacement_from_a_table_and_from_vectors():
    tf = NeighbourReplacement(p=0.99, neighbours={"big": ["large"]}, protected=["city"])
    assert tf("a big city", rng=rng(0)) == "a large city"
    vecs = {"big": [1.0, 0.0], "large": [0.9, 0.1], "tiny": [-1.0, 0.0]}
    tf = NeighbourReplacement(p=0.99, k=1, embeddings=vecs)
    assert tf.neighbours_["big"] == ["large"]
    assert tf("big", rng=rng(0)) == "large"


def test_neighbour_replacement_without_neighbours_skips():
    assert NeighbourReplacement()("anything here", rng=rng(0)) is None


def test_text_functions_refuse_other_payloads():
    with pytest.raises(InputError, match="TokenDropout transforms text .str.. Got dict"):
        TokenDropout()({"text": "a"}, rng=rng(0))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: TokenDropout(p=1.0), r"'p' parameter of TokenDropout must be a float in \(0, 1\)"),
        (lambda: SpanSwap(max_span=0), "'max_span' parameter of SpanSwap must be a positive int"),
        (
            lambda: NeighbourReplacement(embeddings={"a": [1.0], "b": [1.0, 2.0]}),
            "vectors of one length",
        ),
    ],
)
def test_bad_parameters(make, message):
    with pytest.raises(ConfigError, match=message):
        make()


def test_neighbour_replacement_reads_at_most_max_texts():
    corpus = [f"the {w} was great" for w in ("movie", "film", "show")] * 5
    few = NeighbourReplacement(k=1, min_count=4, max_texts=3).fit(corpus, None)
    assert few.neighbours_ == {}  # 3 texts: no word seen 4 times
    assert NeighbourReplacement(k=1, min_count=4, max_texts=15).fit(corpus, None).neighbours_
