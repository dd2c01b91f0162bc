"""Export: files round-trip through import without loss; torch and HF datasets."""

import json

import pandas as pd
import pytest
import sqlalchemy as sa

from labelmill import Project
from labelmill.exceptions import ConfigError
from labelmill.export import to_hf_dataset, to_torch_dataset
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
    assert pd.read_parquet(tmp_path / "e.parquet").empty
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
