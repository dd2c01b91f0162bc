"""Read views and item management (issue 16): status by class with the guarantee, the item
listing, removing items (with the audit sample's counts), missing images."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from labelmill import Project
from labelmill.exceptions import ConfigError, NotFoundError
from labelmill.store.queries import queues as queue_sql

RULES = """
rules:
  - name: says_free
    kind: keywords
    keywords: [free, cash]
    label: spam
  - name: says_meeting
    kind: keywords
    keywords: [meeting, lunch]
    label: ham
"""


@pytest.fixture
def project(tmp_path):
    rows = [
        {"id": f"i{i}", "text": f"{['free', 'meeting', 'cash', 'lunch'][i % 4]} {i}"}
        for i in range(24)
    ]
    made = Project.init(
        tmp_path / "p",
        classes=["spam", "ham"],
        settings={"featurizer": {"kind": "hashing", "n_features": 64}},
    )
    made.import_items(pd.DataFrame(rows), id_column="id")
    (tmp_path / "rules.yaml").write_text(RULES)
    made.register_rules(tmp_path / "rules.yaml")
    yield made
    made.close()


def test_status_counts_items_per_class_and_states_the_guarantee(project):
    before = project.status()
    assert before["by_class"]["unlabeled"] == {"spam": 0, "ham": 0}
    assert before["guarantee"] is None
    result = project.run_round()
    project.add_answer("i0", "ham", user="ada")
    info = project.status()
    assert info["by_class"]["review"] == {"spam": 11, "ham": 12}
    assert info["by_class"]["human"] == {"spam": 0, "ham": 1}
    assert info["guarantee"]["round"] == result.round_id
    assert info["guarantee"]["statement"] == result.guarantee
    assert "too few audit answers to test" in info["guarantee"]["statement"]


def test_items_list_review_in_queue_order_with_votes(project):
    project.run_round()
    project.add_answer("i1", "spam", user="ada")  # against its rule
    review = project.list_items(statuses=["review"], limit=5)
    assert len(review) == 5 and {r["status"] for r in review} == {"review"}
    served = [q.item_id for q in project.next_items(5, queue="review")]
    assert [r["id"] for r in review] == served
    (answered,) = project.list_items(statuses=["human"])
    assert answered["id"] == "i1" and answered["label"] == "spam" and answered["confidence"] == 1.0
    assert answered["votes"] == [
        {"source": "rule:says_meeting", "label": "ham"},
        {"source": "human:ada", "label": "spam"},
    ]
    assert answered["preview"] == "meeting 1"
    assert len(project.list_items(limit=100)) == 24
    with pytest.raises(ConfigError, match="'limit' parameter of list_items"):
        project.list_items(limit=0)
    with pytest.raises(ConfigError, match=r"Unknown status\(es\) \['done'\]"):
        project.list_items(statuses=["done"])


def test_removing_items_takes_their_votes_and_answers(project):
    project.run_round()
    project.add_answer("i0", "spam", user="ada")
    (audit,) = project.next_items(1, queue="audit", user="bob")
    project.add_answer(audit.item_id, "ham", user="bob", queue="audit")
    with project.store.session() as session:
        assert queue_sql.answer_counts(session) == {"review": 1, "audit": 1}
    votes_before = project.status()["votes"]
    with pytest.raises(NotFoundError, match=r"No item with id 'nope'.*nothing was removed"):
        project.remove_items(["i0", "nope"])
    assert project.status()["items"] == 24
    report = project.remove_items(["i0", audit.item_id])
    assert report.removed == ["i0", audit.item_id]
    assert (report.review_answers, report.audit_answers) == (1, 1)
    assert "audit sample is that much smaller" in report.summary()
    info = project.status()
    assert info["items"] == 22 and info["votes"] == votes_before - report.votes
    with project.store.session() as session:
        assert queue_sql.answer_counts(session) == {"review": 0, "audit": 0}
    with pytest.raises(NotFoundError):
        project.item("i0")
    assert project.run_round().status == "done"  # the next round runs without them
    with pytest.raises(ConfigError, match="Name the items to remove"):
        project.remove_items([])


def test_missing_images_are_found_and_can_be_removed(tmp_path):
    root = tmp_path / "imgs"
    root.mkdir()
    for i in range(3):
        Image.fromarray(np.full((4, 4), i * 50, np.uint8)).save(root / f"{i}.png")
    project = Project.init(tmp_path / "p", classes=["a", "b"], data_type="image")
    project.import_items(root)
    assert project.missing_media() == []
    (root / "1.png").unlink()
    missing = project.missing_media()
    assert len(missing) == 1
    project.remove_items(missing)
    assert project.status()["items"] == 2 and project.missing_media() == []
    text = Project.init(tmp_path / "t", classes=["a", "b"])
    with pytest.raises(ConfigError, match="--missing-images applies to image projects"):
        text.missing_media()
    project.close()
    text.close()


def test_status_reads_a_round_whose_process_died_as_failed(project):
    """A killed `labelmill run` shows as failed in `labelmill status` at once (it read
    'running' until the next round)."""
    import socket
    import subprocess
    import sys

    from labelmill.store import Round

    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(gone.stdout)

    def add(session):
        session.add(Round(status="running", stage="featurize", pid=pid, host=socket.gethostname()))

    project.store.write(add)
    last = project.status()["last_round"]
    assert last["status"] == "failed"
    assert f"pid {pid}" in last["error"]
