"""Crowd mode end to end: workers answer the crowd queue with overlap, the round
aggregates their answers with the rules, and worker quality shows who to trust."""

from __future__ import annotations

import numpy as np

from labelmill.store.queries.sources import latest_answers


def test_crowd_answers_are_aggregated_in_the_round(tmp_path, make_project):
    project, truth = make_project(tmp_path, n=90, overlap=3)
    rng = np.random.default_rng(1)
    flip = {"spam": "ham", "ham": "spam"}
    skill = {"good1": 0.95, "good2": 0.9, "good3": 0.9, "noisy": 0.6}
    answered: set[str] = set()
    for _ in range(40):
        for worker, p in skill.items():
            for entry in project.next_items(1, user=worker, queue="crowd"):
                label = truth[entry.item_id] if rng.uniform() < p else flip[truth[entry.item_id]]
                assert project.add_answer(entry.item_id, label, user=worker, queue="crowd") == (
                    "crowd"
                )
                answered.add(entry.item_id)
    with project.store.session() as session:
        votes = latest_answers(session, kinds=("crowd",))
    per_item: dict[int, int] = {}
    for pk, *_rest in votes:
        per_item[pk] = per_item.get(pk, 0) + 1
    assert max(per_item.values()) == 3  # the overlap holds
    result = project.run_round()
    assert result.status == "done"
    frame = project.to_frame().set_index("id")
    accuracy = np.mean([frame.loc[i, "label"] == truth[i] for i in answered])
    assert accuracy > 0.9
    # Worker quality against the blind audit: the noisy worker shows it.
    for entry in project.next_items(60, user="auditor", queue="audit"):
        project.add_answer(entry.item_id, truth[entry.item_id], user="auditor", queue="audit")
    people = {u["user"]: u for u in project.dashboard()["agreement"]["users"]}
    assert people["noisy"]["gold_accuracy"] < people["good1"]["gold_accuracy"]
    assert project.people()["users"] == list(people.values())
    project.close()
    from click.testing import CliRunner

    from labelmill.cli.main import cli

    shown = CliRunner().invoke(cli, ["status", str(tmp_path / "p")]).output
    assert "people (accuracy against gold" in shown
    noisy = next(line for line in shown.splitlines() if line.strip().startswith("noisy"))
    assert "answers" in noisy and "%" in noisy
