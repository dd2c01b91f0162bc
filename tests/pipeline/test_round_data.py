"""The round's vote matrix: dense or sparse, the same votes and the same label model."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from labelmill.labelmodel import LabelModel
from labelmill.pipeline.round_data import load_round_data, sparse_votes, voted_columns
from tests.pipeline.conftest import RULES_YAML


def test_later_votes_supersede_and_an_undo_empties_the_cell():
    votes = [(0, 1, 0), (0, 1, 1), (2, 0, 1), (2, 0, -1), (1, 0, 0), (3, 1, 0)]
    L = sparse_votes(votes, 4, 2)
    assert L.format == "csr" and L.nnz == 3
    assert (L.toarray() - 1).tolist() == [[-1, 1], [0, -1], [-1, -1], [-1, 0]]
    assert voted_columns(L, 0).tolist() == [1] and voted_columns(L, 2).tolist() == []
    assert sparse_votes([], 3, 2).shape == (3, 2)


def test_load_round_data_sparse_holds_the_dense_votes(tmp_path, make_project):
    project, _ = make_project(tmp_path)
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES_YAML)
    project.register_rules(rules)
    dense = load_round_data(project.store)
    sparse = load_round_data(project.store, sparse=True)
    assert isinstance(dense.L, np.ndarray) and sp.issparse(sparse.L)
    np.testing.assert_array_equal(sparse.L.toarray() - 1, dense.L)
    for i in range(len(dense)):
        assert voted_columns(sparse.L, i).tolist() == voted_columns(dense.L, i).tolist()


def test_label_model_on_sparse_votes_equals_dense_with_a_subsampled_fit():
    """Subsampled fits confirm merged duplicate sources on every item, sparse or dense."""
    rng = np.random.default_rng(0)
    n = 3000
    truth = rng.integers(2, size=n)
    L = np.full((n, 5), -1)
    for j in range(4):
        fires = rng.random(n) < 0.3
        L[fires, j] = np.where(rng.random(fires.sum()) < 0.8, truth[fires], 1 - truth[fires])
    L[:, 4] = L[:, 0]
    L[-1, 4] = 1 - L[-1, 0] if L[-1, 0] >= 0 else 0  # a duplicate except on one item
    S = sp.csr_matrix(np.where(L >= 0, L + 1, 0))
    dense = LabelModel(cardinality=2, random_state=0, max_fit_items=500).fit(L)
    sparse = LabelModel(cardinality=2, random_state=0, max_fit_items=500).fit(S)
    np.testing.assert_array_equal(dense.duplicate_of_, sparse.duplicate_of_)
    np.testing.assert_allclose(dense.predict_proba(L), sparse.predict_proba(S), atol=1e-12)
