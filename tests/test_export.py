"""Export: files round-trip through import without loss; torch and HF datasets; people's
answers are the targets of the items they answered; provenance; bad output paths."""

import json
import os
import stat

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from labelmill import Project
from labelmill.exceptions import ConfigError, ImportRowError, ProjectError
from labelmill.export import to_hf_dataset, to_torch_dataset
from labelmill.export._rows import RESERVED
from labelmill.store import Label

ROWS = [
    {"id": "a1", "text": "win cash now", "label": "spam", "lang": "en"},
    {"id": "a2", "text": 'she said "hi",\nthen left', "label": "ham", "lang": "en"},
    {"id": "a3", "text": "unlabeled one", "label": None, "lang": "de"},
]


@pytest.fixture
def filled(tmp_path):
    project = Project.init(tmp_path / "p", classes=["spam", "ham"])
    project.import_items(pd.DataFrame(ROWS), id_column="id", gold_column="label")
    # Give the unlabeled item a machine label, as a round would.
    with project.store.session() as s:
        label = s.scalars(sa.select(Label).where(Label.status == "unlabeled")).one()
        label.label, label.status, label.confidence, label.posterior = 0, "auto", 0.9, [0.9, 0.1]
    yield project
    project.close()


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_export_round_trips_through_import(filled, tmp_path, fmt):
    out = tmp_path / f"out.{fmt}"
    assert filled.export(out) == 3
    frame = {
        "jsonl": lambda p: pd.read_json(p, lines=True, dtype=False),
        "csv": lambda p: pd.read_csv(p, keep_default_na=False),
        "parquet": pd.read_parquet,
    }[fmt](out)
    assert list(frame["id"]) == ["a1", "a2", "a3"]
    assert list(frame["label"]) == ["spam", "ham", "spam"]
    assert list(frame["status"]) == ["gold", "gold", "auto"]
    assert {"confidence", "posterior", "sources", "round", "text", "lang"} <= set(frame.columns)
    posterior = frame["posterior"][2]
    posterior = json.loads(posterior) if isinstance(posterior, str) else list(posterior)
    assert posterior == [0.9, 0.1]

    again = Project.init(tmp_path / f"again-{fmt}", classes=["spam", "ham"])
    again.import_items(out, id_column="id", text_column="text", meta_columns=["lang"])
    back = again.to_frame()
    assert list(back["id"]) == ["a1", "a2", "a3"]
    assert list(back["text"]) == [r["text"] for r in ROWS]
    assert list(back["lang"]) == ["en", "en", "de"]
    again.close()


def test_export_statuses_and_errors(filled, tmp_path):
    assert filled.export(tmp_path / "gold.jsonl", statuses=["gold"]) == 2
    with pytest.raises(ConfigError, match=r"Unknown status\(es\) \['bogus'\]"):
        filled.export(tmp_path / "x.jsonl", statuses=["bogus"])
    with pytest.raises(ConfigError, match="Cannot tell the export format.*--format"):
        filled.export(tmp_path / "x.xlsx")
    assert not (tmp_path / "x.jsonl").exists()


def test_export_of_an_empty_project_is_valid(tmp_path):
    project = Project.init(tmp_path / "e", classes=["a", "b"])
    for fmt in ("jsonl", "csv", "parquet"):
        assert project.export(tmp_path / f"e.{fmt}") == 0
    assert project.export(tmp_path / "e.json") == 0
    expected = [*RESERVED, "text"]
    # an empty CSV export has its header, an empty Parquet export its real columns
    assert (tmp_path / "e.csv").read_text().splitlines() == [",".join(expected)]
    frame = pd.read_parquet(tmp_path / "e.parquet")
    assert frame.empty and list(frame.columns) == expected
    assert json.loads((tmp_path / "e.json").read_text()) == []
    project.close()


def test_torch_dataset_hard_and_soft(filled):
    hard = to_torch_dataset(filled)
    assert len(hard) == 3
    x, y = hard[0]
    assert x == "win cash now" and int(y) == 0
    soft = to_torch_dataset(filled, soft=True, statuses=["auto"], transform=len)
    x, y = soft[0]
    assert x == len("unlabeled one")
    assert y.tolist() == pytest.approx([0.9, 0.1])
    _, y_gold = to_torch_dataset(filled, soft=True, statuses=["gold"])[1]
    assert y_gold.tolist() == [0.0, 1.0]


def test_hf_dataset(filled):
    ds = to_hf_dataset(filled)
    assert ds.num_rows == 3
    assert ds.features["label"].names == ["spam", "ham"]
    assert ds[1]["text"] == ROWS[1]["text"] and ds[1]["label"] == 1


def test_torch_dataset_before_any_round_says_why(tmp_path):
    project = Project.init(tmp_path / "n", classes=["spam", "ham"])
    project.import_items(pd.DataFrame({"text": ["a b", "c d"]}))
    with pytest.raises(ProjectError, match=r"no item has status auto, human, gold .*2 unlabeled"):
        to_torch_dataset(project)
    with pytest.raises(ProjectError, match="Run a labeling round first"):
        to_hf_dataset(project)
    empty = Project.init(tmp_path / "e", classes=["spam", "ham"])
    with pytest.raises(ProjectError, match="the project has no items yet"):
        to_torch_dataset(empty, statuses=None)
    project.close()
    empty.close()


# -- a project after a round: people's answers, provenance -------------------------------------
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
def after_round(tmp_path):
    """40 items, two keyword rules, one round (hashing features): 4 items no rule covers."""
    rng = np.random.default_rng(0)
    rows = []
    for i in range(36):
        spam = i % 2 == 0
        word = ["free", "cash"][rng.integers(2)] if spam else ["meeting", "lunch"][rng.integers(2)]
        rows.append({"id": f"i{i}", "text": f"{word} note {rng.integers(1000)}"})
    rows += [{"id": f"n{i}", "text": f"plain words {i}"} for i in range(4)]
    project = Project.init(
        tmp_path / "r",
        classes=["spam", "ham"],
        settings={"featurizer": {"kind": "hashing", "n_features": 128}},
    )
    project.import_items(pd.DataFrame(rows), id_column="id")
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES)
    project.register_rules(rules)
    project.run_round()
    yield project
    project.close()


def _read(path):
    if path.suffix == ".jsonl":
        return pd.read_json(path, lines=True, dtype=False).to_dict("records")
    if path.suffix == ".csv":
        frame = pd.read_csv(path, keep_default_na=False)
        for column in ("posterior", "sources", "votes"):
            frame[column] = [json.loads(v) if v else None for v in frame[column]]
        return frame.to_dict("records")
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path)
        frame["posterior"] = [list(v) if v is not None else None for v in frame["posterior"]]
        return frame.to_dict("records")
    return [
        {"id": t["data"]["id"], "annotations": t["annotations"], "predictions": t["predictions"]}
        for t in json.loads(path.read_text())
    ]


def test_answered_items_export_the_answers_not_the_prediction(after_round, tmp_path):
    """Defect 1: the posterior and soft target of human and gold items are the answers."""
    project = after_round
    frame = project.to_frame()
    machine = dict(zip(frame["id"], frame["label"], strict=True))
    # a reviewer contradicts the model on two items; a blind audit answer on a third
    flipped = {"spam": "ham", "ham": "spam"}
    answers = {}
    for item_id in ("i0", "i1"):
        answers[item_id] = flipped[machine[item_id]]
        project.add_answer(item_id, answers[item_id], user="ada")
    (audit,) = project.next_items(1, queue="audit", user="bob")
    answers[audit.item_id] = flipped[machine[audit.item_id]]
    project.add_answer(audit.item_id, answers[audit.item_id], user="bob", queue="audit")
    # two people disagree on one item: the share of their answers
    project.add_answer("i2", "spam", user="ada")
    project.add_answer("i2", "ham", user="cy")

    def onehot(name):
        return [1.0, 0.0] if name == "spam" else [0.0, 1.0]

    rows = {r["id"]: r for r in project.to_frame().to_dict("records")}
    for item_id, name in answers.items():
        assert rows[item_id]["label"] == name
        assert rows[item_id]["posterior"] == onehot(name), item_id
        assert rows[item_id]["confidence"] == 1.0
    assert rows[audit.item_id]["status"] == "gold"
    assert rows["i2"]["posterior"] == [0.5, 0.5] and rows["i2"]["confidence"] == 0.5

    for suffix in ("jsonl", "csv", "parquet"):
        out = tmp_path / f"out.{suffix}"
        project.export(out)
        exported = {r["id"]: r for r in _read(out)}
        for item_id, name in answers.items():
            assert list(exported[item_id]["posterior"]) == onehot(name), (suffix, item_id)
    project.export(tmp_path / "out.json")
    tasks = {t["id"]: t for t in _read(tmp_path / "out.json")}
    for item_id, name in answers.items():
        (annotation,) = tasks[item_id]["annotations"]
        assert annotation["result"][0]["value"]["choices"] == [name]
        assert tasks[item_id]["predictions"] == []
    assert tasks[audit.item_id]["annotations"][0]["ground_truth"] is True

    soft = to_torch_dataset(project, soft=True, statuses=["human", "gold"])
    targets = {item_id: y.tolist() for item_id, (_x, y) in zip(soft.ids, soft, strict=True)}
    for item_id, name in answers.items():
        assert targets[item_id] == onehot(name)
    assert targets["i2"] == [0.5, 0.5]
    hf = to_hf_dataset(project, statuses=["human", "gold"])
    by_id = {r["id"]: r for r in hf}
    for item_id, name in answers.items():
        assert by_id[item_id]["posterior"] == onehot(name)
        assert by_id[item_id]["status"] in ("human", "gold")


def test_provenance_names_the_voting_sources_the_model_and_the_featurizer(after_round):
    """Defect 8: sources are the rules that voted on the item, with their votes."""
    rows = {r["id"]: r for r in after_round.to_frame().to_dict("records")}
    for item_id in ("n0", "n1", "n2", "n3"):  # no rule fires on these
        assert rows[item_id]["sources"] == [] and rows[item_id]["votes"] == []
    spam_item = next(r for r in rows.values() if r["text"].startswith(("free", "cash")))
    ((source, vote),) = [(v["source"], v["label"]) for v in spam_item["votes"]]
    assert source.startswith("rule:says_free@") and vote == "spam"
    assert spam_item["sources"] == [source]
    for row in rows.values():
        assert row["status"] in ("auto", "review")
        assert row["model"].startswith("EndModel(") and row["featurizer"].startswith(
            "text-hashing:"
        )
        assert row["round"] == 1


def test_label_studio_round_trip(after_round, tmp_path):
    """Label Studio JSON out and in: answers become gold, predictions a model source."""
    project = after_round
    project.add_answer("i0", "ham", user="ada")
    out = tmp_path / "tasks.json"
    assert project.export(out) == 40
    tasks = json.loads(out.read_text())
    first = next(t for t in tasks if t["data"]["id"] == "i3")
    assert first["data"]["text"] == project.item("i3")["payload"]
    (prediction,) = first["predictions"]
    assert prediction["model_version"] == "labelmill round 1" and 0 < prediction["score"] <= 1
    again = Project.init(tmp_path / "again", classes=["spam", "ham"])
    report = again.import_items(out)
    assert (report.format, report.items_added, report.gold_labels) == ("label-studio", 40, 1)
    assert report.predictions == 39
    back = {r["id"]: r for r in again.to_frame().to_dict("records")}
    assert back["i0"]["status"] == "gold" and back["i0"]["label"] == "ham"
    assert back["i3"]["text"] == first["data"]["text"]
    assert again.status()["sources"] == {"import": 1, "model": 1}
    model_vote = [v for v in back["i3"]["votes"] if v["source"].startswith("model:")]
    assert model_vote == [
        {
            "source": "model:label-studio:labelmill round 1@1",
            "label": prediction["result"][0]["value"]["choices"][0],
        }
    ]
    again.close()


def test_label_studio_tasks_whose_annotations_disagree_are_refused(tmp_path):
    project = Project.init(tmp_path / "p", classes=["spam", "ham"])

    def annotation(name):
        return {"result": [{"type": "choices", "value": {"choices": [name]}}]}

    tasks = [
        {"id": 1, "data": {"text": "a"}, "annotations": [annotation("spam"), annotation("ham")]},
        {
            "id": 2,
            "data": {"text": "b"},
            "annotations": [annotation("spam"), annotation("spam"), annotation("ham")],
        },
        {"id": 3, "data": {"text": "c"}, "annotations": [annotation("eggs")]},
        {"id": 4, "info": "no data"},
    ]
    path = tmp_path / "ls.json"
    path.write_text(json.dumps(tasks))
    with pytest.raises(ImportRowError, match=r"ls.json line 1: the task's annotations disagree"):
        project.import_items(path)
    report = project.import_items(path, on_error="skip")
    assert (report.items_added, report.gold_labels, report.rejected) == (1, 1, 3)
    with open(report.rejects_path) as fh:
        reasons = [json.loads(x)["reason"] for x in fh]
    assert "Label 'eggs' is not a class" in reasons[1] and "without a 'data' object" in reasons[2]
    project.close()


def test_hf_export_writes_a_dataset_folder(after_round, tmp_path):
    import datasets

    out = tmp_path / "hf"
    assert after_round.export(out, format="hf", statuses=None) == 40
    loaded = datasets.load_from_disk(str(out))
    assert loaded.num_rows == 40 and loaded.features["label"].names == ["spam", "ham"]
    with pytest.raises(ConfigError, match="already exists; pass --overwrite"):
        after_round.export(out, format="hf", overwrite=False)
    with pytest.raises(ConfigError, match="Cannot tell the export format.*hf writes a folder"):
        after_round.export(tmp_path / "hf2")


def test_hf_export_has_the_rows_and_columns_of_the_other_formats(tmp_path):
    """Trial: `export --format hf` left out unlabeled items, the provenance (sources, votes,
    model, round, comments, skips) and the metadata, and refused a project with no label yet,
    where every other format writes them."""
    import datasets

    filled = Project.init(tmp_path / "p", classes=["spam", "ham"])
    filled.import_items(pd.DataFrame(ROWS), id_column="id", gold_column="label")
    out = tmp_path / "hf"
    assert filled.export(out, format="hf") == 3
    loaded = datasets.load_from_disk(str(out))
    jsonl = tmp_path / "rows.jsonl"
    filled.export(jsonl)
    expected = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert set(expected[0]) <= set(loaded.column_names)
    assert loaded.features["label"].names == ["spam", "ham"]
    names = loaded.features["label"].names
    rows = loaded.to_list()
    assert [r["id"] for r in rows] == ["a1", "a2", "a3"]
    labels = [None if r["label"] is None else names[r["label"]] for r in rows]
    assert labels == ["spam", "ham", None]
    assert [r["status"] for r in rows] == ["gold", "gold", "unlabeled"]
    assert [r["lang"] for r in rows] == ["en", "en", "de"]
    assert rows[0]["sources"] == expected[0]["sources"] and rows[0]["posterior"] == [1.0, 0.0]
    assert [v["source"] for v in rows[0]["votes"]] == [v["source"] for v in expected[0]["votes"]]
    filled.close()


# -- output paths --------------------------------------------------------------------------
def test_bad_output_paths_are_refused_before_writing(filled, tmp_path):
    """Defect 6: no silent folder creation, no silent overwrite (when asked), one-line reasons."""
    with pytest.raises(ConfigError, match=r"the folder .*missing does not exist. Create it first"):
        filled.export(tmp_path / "missing" / "out.csv")
    assert not (tmp_path / "missing").exists()
    existing = tmp_path / "there.csv"
    existing.write_text("keep me")
    with pytest.raises(ConfigError, match="there.csv already exists; pass --overwrite"):
        filled.export(existing, overwrite=False)
    assert existing.read_text() == "keep me"
    assert filled.export(existing) == 3  # the library replaces unless told not to
    (tmp_path / "adir.csv").mkdir()
    with pytest.raises(ConfigError, match="adir.csv: it is a folder"):
        filled.export(tmp_path / "adir.csv")
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(ConfigError, match="file is not a folder"):
        filled.export(a_file / "out.csv")
    assert not list(tmp_path.glob(".*.tmp"))


def test_exports_follow_the_umask(filled, tmp_path):
    """Defect 11: an export is created as open() would create it, not private (0600)."""
    old = os.umask(0o022)
    try:
        for fmt in ("jsonl", "csv", "parquet", "json"):
            out = tmp_path / f"u.{fmt}"
            filled.export(out)
            assert stat.S_IMODE(out.stat().st_mode) == 0o644, fmt
        os.umask(0o077)
        filled.export(tmp_path / "private.csv")
        assert stat.S_IMODE((tmp_path / "private.csv").stat().st_mode) == 0o600
    finally:
        os.umask(old)


def test_unknown_export_format(filled, tmp_path):
    with pytest.raises(ConfigError, match="The export format must be one of jsonl, csv"):
        filled.export(tmp_path / "x.csv", format="xlsx")


@pytest.mark.parametrize("fmt", ["jsonl", "parquet", "csv"])
def test_comments_and_skip_reasons_are_exported(after_round, tmp_path, fmt):
    project = after_round
    (entry,) = project.next_items(1, user="ann")
    project.add_answer(entry.item_id, None, user="ann", skip=True, skip_reason="unclear")
    project.add_comment(entry.item_id, "two topics <at once>", user="ann")
    out = tmp_path / f"out.{fmt}"
    project.export(out)
    frame = {
        "jsonl": lambda: pd.read_json(out, lines=True),
        "parquet": lambda: pd.read_parquet(out),
        "csv": lambda: pd.read_csv(out),
    }[fmt]().set_index("id")
    comments, skips = frame.loc[entry.item_id, "comments"], frame.loc[entry.item_id, "skips"]
    if fmt == "csv":
        import json

        comments, skips = json.loads(comments), json.loads(skips)
    assert [c["text"] for c in comments] == ["two topics <at once>"]
    assert [(s["user"], s["reason"]) for s in skips] == [("ann", "unclear")]
