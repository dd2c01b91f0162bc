"""Tiny seeded text projects for the pipeline tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from labelmill import Project

SPAM = [
    "win free cash now",
    "cheap pills click here",
    "free prize claim now",
    "cash bonus win big",
    "click here for free money",
    "claim your prize today",
]
HAM = [
    "see you at lunch",
    "the meeting moved to noon",
    "thanks for the notes",
    "lunch at noon?",
    "notes from the meeting",
    "see you tomorrow then",
]
RULES_YAML = """
rules:
  - name: says_free
    kind: keywords
    keywords: [free, cash, prize]
    label: spam
  - name: says_meeting
    kind: keywords
    keywords: [meeting, lunch, notes]
    label: ham
"""


def _make(tmp_path, n=120, seed=0, **settings):
    rng = np.random.default_rng(seed)
    texts, truth = [], []
    for i in range(n):
        cls = i % 2
        base = SPAM if cls == 0 else HAM
        texts.append(f"{base[rng.integers(len(base))]} {rng.integers(1000)}")
        truth.append("spam" if cls == 0 else "ham")
    frame = pd.DataFrame({"id": [f"m{i}" for i in range(n)], "text": texts, "truth": truth})
    project = Project.init(
        tmp_path / "p",
        classes=["spam", "ham"],
        settings={"featurizer": {"kind": "hashing", "n_features": 256}, **settings},
    )
    project.import_items(frame, id_column="id", meta_columns=["truth"])
    return project, dict(zip(frame["id"], truth, strict=True))


@pytest.fixture
def make_project():
    """A factory: make_project(folder, n=120, seed=0, **settings) -> (project, truth by id)."""
    made = []

    def factory(tmp_path, n=120, seed=0, **settings):
        project, truth = _make(tmp_path, n=n, seed=seed, **settings)
        made.append(project)
        return project, truth

    yield factory
    for project in made:
        project.close()
