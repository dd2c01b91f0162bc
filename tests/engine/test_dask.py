"""The dask engine gives the local engine's results: stage by stage and for whole rounds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from labelmill.engine import LocalEngine
from labelmill.exceptions import LabelingFunctionError
from labelmill.features import Featurizer
from tests.pipeline.conftest import RULES_YAML, _make


def test_map_keeps_order_over_a_small_window(threads_engine):
    threads_engine.window = 2
    try:
        out = list(
            threads_engine.map(np.multiply, (np.arange(i + 1) for i in range(7)), shared=(3,))
        )
    finally:
        threads_engine.window = None
    assert [o.tolist() for o in out] == [(np.arange(i + 1) * 3).tolist() for i in range(7)]


def test_inference_and_scores_equal_the_local_engine(processes_engine):
    from labelmill.learn import EndModel

    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 6)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    model = EndModel(n_classes=2, random_state=0).fit(X, y)
    local = LocalEngine().predict_and_score(model, X, score="margin", part_rows=64)
    dask = processes_engine.predict_and_score(model, X, score="margin", part_rows=64)
    np.testing.assert_allclose(dask[0], local[0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(dask[1], local[1], rtol=0, atol=1e-12)
    np.testing.assert_allclose(local[0], model.predict_proba(X), rtol=0, atol=1e-12)


class CountingFeaturizer(Featurizer):
    """Text length as the feature; counts how often its (pretend) model was loaded."""

    name = "counting"

    def __init__(self, dim: int = 2) -> None:
        self.dim = dim

    def _n_features_or_zero(self) -> int:
        return self.dim

    def _featurize(self, items):
        if getattr(self, "_model", None) is None:
            self._model = object()
            self.loads = getattr(self, "loads", 0) + 1
        X = np.array([[len(t)] * self.dim for t in items], dtype=np.float32)
        return X, {}

    def _version_parts(self):
        return {"dim": self.dim}

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_model", None)
        return state


def test_a_featurizer_loads_its_model_once_per_worker(threads_engine):
    featurizer = CountingFeaturizer().fit([])
    parts = [[f"text {i}" * (i + 1)] * 5 for i in range(6)]
    for _ in range(2):  # two stages (rounds): each sends the featurizer again
        batches = list(threads_engine.featurize(featurizer, parts))
        assert [b.X[0, 0] for b in batches] == [len(p[0]) for p in parts]

    def loads(dask_worker):
        resident = getattr(dask_worker, "_labelmill_featurizers", {})
        return {version: getattr(f, "loads", 0) for version, f in resident.items()}

    per_worker = threads_engine.client.run(loads)
    counts = [n for resident in per_worker.values() for n in resident.values()]
    assert counts and all(n == 1 for n in counts)


def test_a_failing_python_rule_names_itself_through_dask(processes_engine, tmp_path):
    from labelmill.lf import labeling_function

    @labeling_function()
    def breaks(x):
        raise RuntimeError("boom")

    frame = pd.DataFrame({"text": ["a", "b"]}, index=["i1", "i2"])
    with pytest.raises(LabelingFunctionError, match=r"'breaks' raised RuntimeError: boom .*'i1'"):
        list(processes_engine.apply_rules([breaks], [frame], cardinality=2))


# -- whole rounds ------------------------------------------------------------------------
def _project(tmp_path, name):
    project, truth = _make(tmp_path / name, n=200, seed=1)
    rules = tmp_path / name / "rules.yaml"
    rules.write_text(RULES_YAML)
    project.register_rules(rules)
    return project, truth


def _round(project, truth, monkeypatch, engine):
    """Two rounds (the second after people's review and audit answers); returns what the
    second wrote: labels, statuses, shown probabilities, priorities, and its result."""
    import labelmill.pipeline.round as round_module

    project.save_settings(guarantee="per_round")  # certifies with 59 audit answers
    project.run_round(engine=engine)
    for entry in project.next_items(70, queue="audit", user="bob"):
        project.add_answer(entry.item_id, truth[entry.item_id], user="bob", queue="audit")
    for entry in project.next_items(20, queue="review", user="ann"):
        project.add_answer(entry.item_id, truth[entry.item_id], user="ann", queue=entry.mode)
    written = {}
    original = round_module.write_round

    def spy(store, data, round_id, labels, results, state):
        written.update(labels=labels, results=results, pks=data.pks, L=data.L)
        return original(store, data, round_id, labels, results, state)

    monkeypatch.setattr(round_module, "write_round", spy)
    result = project.run_round(engine=engine)
    monkeypatch.setattr(round_module, "write_round", original)
    return written, result


def _same_rounds(a, b):
    (wa, ra), (wb, rb) = a, b
    np.testing.assert_array_equal(wa["labels"].label, wb["labels"].label)
    np.testing.assert_array_equal(wa["labels"].status, wb["labels"].status)
    np.testing.assert_allclose(wa["labels"].proba, wb["labels"].proba, rtol=0, atol=1e-9)
    np.testing.assert_allclose(wa["labels"].priority, wb["labels"].priority, rtol=0, atol=1e-9)
    assert (ra.counts, ra.threshold, ra.n_trained) == (rb.counts, rb.threshold, rb.n_trained)
    assert ra.strategy == rb.strategy


def test_a_dask_round_equals_a_local_round(tmp_path, monkeypatch, processes_engine):
    local_project, truth = _project(tmp_path, "local")
    dask_project, _ = _project(tmp_path, "dask")
    local = _round(local_project, truth, monkeypatch, "local")
    dask = _round(dask_project, truth, monkeypatch, processes_engine)
    _same_rounds(local, dask)
    assert local[1].counts["gold"] >= 70 and local[1].counts["human"] > 0
    assert local[1].threshold is not None  # routing had something to decide
    local_project.close()
    dask_project.close()


def test_sparse_votes_give_the_dense_round(tmp_path, monkeypatch):
    import scipy.sparse as sp

    import labelmill.pipeline.round_data as round_data

    dense_project, truth = _project(tmp_path, "dense")
    sparse_project, _ = _project(tmp_path, "sparse")
    dense = _round(dense_project, truth, monkeypatch, "local")
    monkeypatch.setattr(round_data, "DENSE_MAX_CELLS", 0)
    sparse = _round(sparse_project, truth, monkeypatch, "local")
    assert sp.issparse(sparse[0]["L"]) and not sp.issparse(dense[0]["L"])
    np.testing.assert_array_equal(sparse[0]["L"].toarray() - 1, dense[0]["L"])
    _same_rounds(dense, sparse)
    frames = [
        p.to_frame().set_index("id")[["label", "status", "sources"]]
        for p in (dense_project, sparse_project)
    ]
    pd.testing.assert_frame_equal(*frames)
    dense_project.close()
    sparse_project.close()


def test_cli_run_on_dask_says_it_starts_a_local_cluster(tmp_path):
    from labelmill.cli.main import cli

    project, _ = _project(tmp_path, "cli")
    folder = str(project.path)
    project.close()
    result = CliRunner().invoke(cli, ["run", folder, "--engine", "dask"])
    assert result.exit_code == 0, result.output
    assert "Starting a local Dask cluster (2 workers)" in result.output
    assert "Running on the dask engine: a local Dask cluster" in result.output
    assert "Round 1 done." in result.output


def test_cli_run_with_an_unreachable_scheduler(tmp_path):
    from labelmill.cli.main import cli

    project, _ = _project(tmp_path, "cli")
    folder = str(project.path)
    project.close()
    result = CliRunner().invoke(
        cli, ["run", folder, "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9"]
    )
    assert result.exit_code == 1
    assert "Error: No Dask scheduler answered at tcp://127.0.0.1:9 within 10 s" in result.output
    result = CliRunner().invoke(cli, ["run", folder, "--scheduler", "tcp://127.0.0.1:9"])
    assert result.exit_code == 1
    assert "pass --engine dask (engine='dask')" in result.output


def test_python_rules_from_a_file_run_on_worker_processes(tmp_path, processes_engine):
    """The rule file is not importable on a worker: its functions travel by value."""
    project, truth = _make(tmp_path / "py", n=60, seed=2)
    rules = tmp_path / "py_rules_for_workers.py"
    rules.write_text(
        "from labelmill.lf import labeling_function\n\n"
        "@labeling_function()\n"
        "def says_free(x):\n"
        "    return 0 if 'free' in x.text or 'cash' in x.text else -1\n\n"
        "@labeling_function()\n"
        "def says_lunch(x):\n"
        "    return 1 if 'lunch' in x.text or 'meeting' in x.text else -1\n"
    )
    project.register_rules(rules)
    project.import_items(  # new items: the round applies the rules to them on the workers
        pd.DataFrame({"id": ["new1", "new2"], "text": ["free cash", "lunch meeting"]}),
        id_column="id",
    )
    project.run_round(engine=processes_engine)
    frame = project.to_frame().set_index("id")
    assert frame.loc["new1", "label"] == "spam" and frame.loc["new2", "label"] == "ham"
    project.close()


def test_features_failing_on_workers_fail_the_round_naming_the_item(tmp_path, threads_engine):
    from PIL import Image

    from labelmill import Project
    from labelmill.exceptions import RoundError

    root = tmp_path / "imgs"
    for cls in ("a", "b"):
        (root / cls).mkdir(parents=True)
        for i in range(6):
            value = 30 if cls == "a" else 220
            Image.fromarray(np.full((8, 8), value + i, np.uint8)).save(root / cls / f"{i}.png")
    project = Project.init(
        tmp_path / "img",
        classes=["a", "b"],
        data_type="image",
        settings={"featurizer": {"method": "pixels", "image_size": 8}},
    )
    project.import_items(root)
    (root / "a" / "3.png").write_bytes(b"corrupted after import")
    with pytest.raises(RoundError, match=r"Features could not be computed for 1 item\(s\) .*3"):
        project.run_round(engine=threads_engine)
    project.close()


def test_a_simulation_on_dask_gives_the_local_curve(tmp_path, threads_engine):
    curves = []
    for name, engine in (("local", "local"), ("dask", threads_engine)):
        project, _ = _make(tmp_path / name, n=120, seed=0)
        rules = tmp_path / name / "rules.yaml"
        rules.write_text(RULES_YAML)
        project.register_rules(rules)
        curve = project.simulate(oracle_column="truth", budget=40, batch_size=20, engine=engine)
        curves.append(
            [
                (r.human_labels, r.audit_labels, r.auto_share, r.accuracy_all_true, r.strategy)
                for r in curve
            ]
        )
        project.close()
    assert curves[0] == curves[1] and len(curves[0]) == 3


class PickyFeaturizer(CountingFeaturizer):
    """Fails on the payload "bad"."""

    name = "picky"

    def _featurize(self, items):
        X, _ = super()._featurize(items)
        return X, {i: "bad payload" for i, t in enumerate(items) if t == "bad"}


def test_engine_featurization_equals_the_cache_pass(tmp_path, threads_engine, monkeypatch):
    """Cached, missing, repeated and failing items come out as get_or_compute gives them."""
    import labelmill.pipeline.round_data as round_data
    from labelmill.features import FeatureCache

    monkeypatch.setattr(round_data, "FEATURE_PART_ROWS", 3)
    texts = ["aa", "b", "aa", "bad", "cccc", "b", "dd", "bad"]
    hashes = [f"h-{t}" for t in texts]
    featurizer = PickyFeaturizer().fit([])
    FeatureCache(tmp_path / "a").put(featurizer.version, ["h-b"], np.full((1, 2), 7.0))

    def payloads(positions):
        return [texts[i] for i in positions]

    seen = []
    ours = round_data._featurize_on(
        threads_engine,
        FeatureCache(tmp_path / "a"),
        featurizer,
        hashes,
        payloads,
        lambda done, total: seen.append((done, total)),
    )
    FeatureCache(tmp_path / "b").put(featurizer.version, ["h-b"], np.full((1, 2), 7.0))
    theirs = FeatureCache(tmp_path / "b").get_or_compute(featurizer, hashes, payloads)
    np.testing.assert_array_equal(ours.X, theirs.X)
    np.testing.assert_array_equal(ours.failed, theirs.failed)
    assert ours.reasons == theirs.reasons == {3: "bad payload", 7: "bad payload"}
    assert seen[-1] == (4, 4)  # aa, bad, cccc, dd: each distinct missing hash once
    cached, found = FeatureCache(tmp_path / "a").get(featurizer.version, ["h-aa", "h-bad"])
    assert found.tolist() == [True, False]  # failed items are not cached


def test_cli_simulate_on_dask(tmp_path):
    from labelmill.cli.main import cli

    project, _ = _project(tmp_path, "sim")
    folder = str(project.path)
    project.close()
    result = CliRunner().invoke(
        cli,
        ["simulate", folder, "--oracle-column", "truth", "--budget", "20", "--batch-size", "20"]
        + ["--engine", "dask"],
    )
    assert result.exit_code == 0, result.output
    assert "Starting a local Dask cluster (2 workers)" in result.output
    assert "2 rounds" in result.output
