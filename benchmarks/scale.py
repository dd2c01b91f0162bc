"""A round's item-parallel stages at scale: the local engine vs a 2-worker Dask cluster.

Run from the repository root (one command; both engines, one after the other):

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/scale.py [--n 1000000] [--workers 2] \\
        [--n-features 256] [--engines local,dask] [--round-items 200000] [--out FILE]

What runs, on ``--n`` synthetic texts (seeded words of a spam/ham vocabulary and filler,
3 to 20 words each), with each engine in turn:

- ``rules``: 20 keyword rules and 4 regex rules (declarative, as registered in a project)
  over partitions of 20,000 texts (the page size of ``pipeline/rules.py``);
- ``label model``: the default ``LabelModel`` fit and ``predict_proba`` on the votes kept as
  a sparse CSR matrix (label + 1), in the driver, as in a round;
- ``featurize``: ``HashingTextFeaturizer(n_features=--n-features)`` over partitions of
  16,384 texts (``round_data.FEATURE_PART_ROWS``), into one float32 matrix in the driver;
- ``train``: ``EndModel`` (soft-label logistic) on a seeded sample of 20,000 rule-covered
  rows (``steps.MAX_WEAK_ROWS``), in the driver;
- ``inference``: ``predict_proba`` and the least-confidence score per item over partitions
  of 65,536 rows (``engine.PART_ROWS``).

Texts are generated before the clock starts and handed to the engine partition by
partition, as a round hands over what it read from the store; the store itself (import,
reading, writing labels) is not part of this benchmark (see round_throughput.py).
Memory: the resident set size (psutil) of the driver and of every worker process,
sampled every 50 ms, its peak per stage. The dask engine's results are checked against the
local engine's (votes, features, probabilities).

``--round-items M`` adds one whole round per engine through a SQLite project of M texts
(rules registered before the import, so the round applies them): import, then the round's
own stage times, and a check that both rounds wrote the same labels.
"""

from __future__ import annotations

import argparse
import os
import platform
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

SPAM = ["free", "win", "cash", "prize", "click", "subscribe", "channel", "offer", "money", "bonus"]
HAM = ["song", "love", "video", "lunch", "meeting", "great", "voice", "music", "dance", "thanks"]
FILLER = [f"w{i}" for i in range(2000)] + ["the", "a", "to", "and", "is", "you", "my", "it"]
RULE_PAGE, FEATURE_PART, PREDICT_PART = 20_000, 16_384, 65_536
STAGES = ("rules", "label model", "featurize", "train", "inference")


def synthetic_texts(n: int, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """``n`` texts and their class (0 spam, 1 ham): filler words with a few class words."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(2, size=n)
    lengths = rng.integers(3, 21, size=n)
    filler = np.array(FILLER, dtype=object)
    cue = np.array([SPAM, HAM], dtype=object)
    flat = filler[rng.integers(len(FILLER), size=int(lengths.sum()))]
    # about one word in five is a class word (of the right class 85% of the time)
    is_cue = rng.random(flat.size) < 0.2
    owner = np.repeat(np.arange(n), lengths)
    cls = np.where(rng.random(flat.size) < 0.85, truth[owner], 1 - truth[owner])
    flat[is_cue] = cue[cls[is_cue], rng.integers(10, size=int(is_cue.sum()))]
    ends = np.cumsum(lengths)
    texts = [" ".join(flat[a:b]) for a, b in zip(ends - lengths, ends, strict=True)]
    return texts, truth


def build_rules() -> list[Any]:
    from labelmill.lf import rules_from_dicts

    items: list[dict[str, Any]] = []
    for label, words in ((0, SPAM), (1, HAM)):
        for w in words:
            items.append({"name": f"kw_{w}", "kind": "keywords", "keywords": [w], "label": label})
    for i, (pattern, label) in enumerate(
        [(r"\bw1\d\d\b", 0), (r"!{2,}", 0), (r"\bw19\d\d\b", 1), (r"\bthe .* you\b", 1)]
    ):
        items.append({"name": f"re_{i}", "kind": "regex", "pattern": pattern, "label": label})
    return rules_from_dicts(items)


class MemorySampler:
    """Peak resident set size per process (driver and workers) since the last :meth:`peak`."""

    def __init__(self, pids: dict[str, int], every: float = 0.05) -> None:
        import psutil

        self.procs = {name: psutil.Process(pid) for name, pid in pids.items()}
        self.every = every
        self._peak = dict.fromkeys(self.procs, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        for name, proc in self.procs.items():
            try:
                rss = proc.memory_info().rss
            except Exception:  # noqa: BLE001 - a worker that went away reads as 0
                rss = 0
            self._peak[name] = max(self._peak[name], rss)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            time.sleep(self.every)

    def peak(self) -> dict[str, float]:
        """Peak MB per process since the last call, then start again from the current RSS."""
        self._sample()
        out = {name: round(v / 2**20) for name, v in self._peak.items()}
        self._peak = dict.fromkeys(self.procs, 0)
        return out

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def run_engine(engine: Any, texts: list[str], n_features: int) -> dict[str, Any]:
    """Every stage with ``engine``: seconds, rows/s and peak memory per process."""
    from labelmill.features import HashingTextFeaturizer
    from labelmill.labelmodel import LabelModel
    from labelmill.learn import EndModel

    n = len(texts)
    pids = {"driver": os.getpid()}
    if engine.name == "dask":
        workers = engine.client.run(os.getpid)
        pids.update({f"worker {i + 1}": pid for i, pid in enumerate(workers.values())})
    sampler = MemorySampler(pids)
    sampler.peak()
    rules = build_rules()
    out: dict[str, Any] = {"stages": {}, "pids": pids}

    def stage(name: str, start: float) -> None:
        seconds = time.perf_counter() - start
        out["stages"][name] = {
            "seconds": round(seconds, 2),
            "rows_per_s": round(n / seconds),
            "peak_mb": sampler.peak(),
        }
        print(
            f"  {engine.name:5} {name:12} {seconds:8.2f} s {n / seconds:12,.0f} rows/s", flush=True
        )

    start = time.perf_counter()
    frames = (
        pd.DataFrame({"text": texts[a : a + RULE_PAGE]}, index=range(a, min(a + RULE_PAGE, n)))
        for a in range(0, n, RULE_PAGE)
    )
    blocks = [
        sp.csr_matrix(np.where(b >= 0, b + 1, 0).astype(np.int32))
        for b in engine.apply_rules(rules, frames, cardinality=2)
    ]
    L = sp.vstack(blocks, format="csr")
    del blocks
    stage("rules", start)

    start = time.perf_counter()
    label_model = LabelModel(cardinality=2, random_state=0).fit(L)
    posterior = label_model.predict_proba(L)
    covered = np.diff(L.indptr) > 0
    stage("label model", start)

    start = time.perf_counter()
    featurizer = HashingTextFeaturizer(n_features=n_features).fit([])
    X = np.empty((n, n_features), dtype=np.float32)
    bounds = [(a, min(a + FEATURE_PART, n)) for a in range(0, n, FEATURE_PART)]
    parts = (texts[a:b] for a, b in bounds)
    for (a, b), batch in zip(bounds, engine.featurize(featurizer, parts), strict=True):
        X[a:b] = batch.X
    stage("featurize", start)

    start = time.perf_counter()
    rng = np.random.default_rng(0)
    rows = np.flatnonzero(covered)
    rows = np.sort(rng.choice(rows, size=min(20_000, rows.size), replace=False))
    model = EndModel(n_classes=2, random_state=0).fit(X[rows], posterior[rows])
    stage("train", start)

    start = time.perf_counter()
    proba, score = engine.predict_and_score(model, X, score="least_confidence")
    stage("inference", start)
    sampler.stop()
    out.update(
        votes=L, features_digest=float(X[:: max(1, n // 1000)].sum()), proba=proba, score=score
    )
    out["coverage"] = float(covered.mean())
    return out


def run_rounds(n: int, engines: dict[str, Any], n_features: int) -> str:
    """A whole round through the store, once per engine on its own copy of one project:
    rules registered first, then ``n`` texts imported, so the round applies the rules,
    featurizes and predicts every item on the engine. Returns a markdown table."""
    import tempfile

    from labelmill import Project

    texts, truth = synthetic_texts(n, seed=1)
    frame = pd.DataFrame({"id": [f"t{i}" for i in range(n)], "text": texts})
    rules_yaml = "rules:\n" + "".join(
        f"  - {{name: {r.name}, kind: {r.kind}, "
        + (
            f"keywords: [{r.params['keywords'][0]}]"
            if r.kind == "keywords"
            else f"pattern: '{r.params['pattern']}'"
        )
        + f", label: {['spam', 'ham'][int(r.params['label'])]}}}\n"
        for r in build_rules()
    )
    seconds: dict[str, dict[str, float]] = {}
    labels = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, engine in engines.items():
            project = Project.init(
                Path(tmp) / name,
                classes=["spam", "ham"],
                settings={"featurizer": {"kind": "hashing", "n_features": n_features}},
            )
            (Path(tmp) / "rules.yaml").write_text(rules_yaml)
            project.register_rules(Path(tmp) / "rules.yaml")
            start = time.perf_counter()
            project.import_items(frame, id_column="id")
            import_s = time.perf_counter() - start
            start = time.perf_counter()
            result = project.run_round(engine=engine)
            total = time.perf_counter() - start
            seconds[name] = {"import": import_s, **result.seconds, "round (wall)": total}
            labels[name] = project.to_frame()[["id", "label", "status", "confidence"]]
            project.close()
            print(f"  {name:5} round on {n:,} items: {total:.1f} s", flush=True)
    if len(labels) == 2:
        a, b = labels.values()
        pd.testing.assert_frame_equal(a, b)
        print("the two rounds wrote the same labels, statuses and confidences")
    names = list(engines)
    lines = [
        f"#### A whole round through the store: {n:,} texts (SQLite), rules applied, "
        "featurized and predicted in the round (workers' imports done before)",
        "",
        "| stage | " + " | ".join(f"{e} s | {e} items/s" for e in names) + " |",
        "|---|" + "---:|---:|" * len(names),
    ]
    for stage in seconds[names[0]]:
        cells = []
        for e in names:
            v = seconds[e].get(stage, float("nan"))
            cells.append(f"{v:.2f} | {n / v:,.0f}" if v >= 0.01 else f"{v:.2f} | -")
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _warm_up() -> None:
    """Import what the stage tasks use, once per worker (a round's first tasks pay this)."""
    from sklearn.feature_extraction.text import HashingVectorizer  # noqa: F401

    import labelmill.engine._tasks
    import labelmill.features
    import labelmill.learn
    import labelmill.lf  # noqa: F401


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import psutil

    memory = psutil.virtual_memory().total / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GB RAM, Python {platform.python_version()}"


def markdown(n: int, n_features: int, workers: int, results: dict[str, Any], note: str) -> str:
    lines = [
        f"### {n:,} texts, hashing featurizer ({n_features} features), "
        f"local engine vs a {workers}-worker LocalCluster",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {machine()}; load average "
        f"{' / '.join(f'{v:.1f}' for v in os.getloadavg())} at the end. {note}",
        "",
        "| stage | engine | seconds | rows/s | peak RSS per process (MB) |",
        "|---|---|---:|---:|---|",
    ]
    for name in STAGES:
        for engine, res in results.items():
            s = res["stages"][name]
            peaks = ", ".join(f"{k} {v:,}" for k, v in s["peak_mb"].items())
            lines.append(
                f"| {name} | {engine} | {s['seconds']:.2f} | {s['rows_per_s']:,} | {peaks} |"
            )
    for engine, res in results.items():
        total = sum(s["seconds"] for s in res["stages"].values())
        lines.append(f"| **all five** | {engine} | {total:.2f} | {round(n / total):,} | |")
    for engine, res in results.items():
        if "start_s" in res:
            started, warm = res["start_s"]
            lines.append(
                f"\n{engine}: cluster start {started} s and worker imports {warm} s before the "
                "stages (not counted above)."
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000, help="texts (default 1,000,000)")
    ap.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes")
    ap.add_argument("--n-features", type=int, default=256)
    ap.add_argument("--engines", default="local,dask")
    ap.add_argument("--out", type=Path, default=None, help="append the markdown table here")
    ap.add_argument("--note", default="", help="a sentence added under the table's title")
    ap.add_argument(
        "--round-items",
        type=int,
        default=0,
        help="also run one whole round (import, rules, features, model) of this many items "
        "through a SQLite project with each engine",
    )
    args = ap.parse_args()

    from labelmill.engine import LocalEngine, start_local_cluster

    t0 = time.perf_counter()
    texts, _ = synthetic_texts(args.n)
    print(f"{args.n:,} texts generated in {time.perf_counter() - t0:.1f} s", flush=True)
    results: dict[str, Any] = {}
    for name in args.engines.split(","):
        if name == "local":
            engine: Any = LocalEngine()
        else:
            t0 = time.perf_counter()
            engine = start_local_cluster(n_workers=args.workers, processes=True)
            started = time.perf_counter() - t0
            t0 = time.perf_counter()
            engine.client.run(_warm_up)
            warm = time.perf_counter() - t0
            print(
                f"  dask  cluster started in {started:.1f} s; workers imported labelmill's "
                f"stages in {warm:.1f} s (not in the stage times)",
                flush=True,
            )
        with engine:
            results[name] = run_engine(engine, texts, args.n_features)
            if name != "local":
                results[name]["start_s"] = (round(started, 1), round(warm, 1))

    if {"local", "dask"} <= set(results):
        a, b = results["local"], results["dask"]
        assert (a["votes"] != b["votes"]).nnz == 0, "votes differ between engines"
        assert a["features_digest"] == b["features_digest"], "features differ between engines"
        assert np.abs(a["proba"] - b["proba"]).max() <= 1e-9, "probabilities differ"
        print("dask results equal the local engine's (votes, features, probabilities)")
    table = markdown(args.n, args.n_features, args.workers, results, args.note)
    if args.round_items:
        engines = {
            name: LocalEngine()
            if name == "local"
            else start_local_cluster(n_workers=args.workers, processes=True)
            for name in args.engines.split(",")
        }
        for engine in engines.values():
            if engine.name == "dask":
                engine.client.run(_warm_up)
        try:
            table += "\n" + run_rounds(args.round_items, engines, args.n_features)
        finally:
            for engine in engines.values():
                engine.close()
    print(table)
    if args.out is not None:
        with open(args.out, "a", encoding="utf-8") as fh:
            fh.write("\n" + table)


if __name__ == "__main__":
    main()
