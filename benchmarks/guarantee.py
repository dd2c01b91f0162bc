"""The auto-accept guarantee over whole projects: today's per-round policy vs the project-level one.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/guarantee.py \
        [--sets youtube,sms,trec,ag_news,mnist,synthetic] [--seeds 10] [--budget 1000] \
        [--batch-size 100] [--policies per_round,project] [--out benchmarks/out/guarantee.json]
    .venv/bin/python benchmarks/guarantee.py --summarize benchmarks/out/guarantee.json

Each run simulates a labeling project on one data set of ../shared/data (read in place,
never copied): every item gets a seeded uniform random key; people answer ``batch_size``
questions per round, of which the audit takes 30% (the review queue's schedule: 30% of the
answers; the blind audit serves the unresolved item with the smallest ``key / weight``) and
the review queue the rest (before the first round in random order, then the least confident
items that are not auto-accepted: uncertainty sampling). After each batch a model is
trained on the reviewed items only (TF-IDF + logistic regression for text, logistic
regression on pixels for MNIST: cheap stand-ins for labelmill's featurizers), scores every
item (top-class probability), and the policy routes the items nobody reviewed or audited.
The true labels, hidden from the loop, tell whether each round's auto-accepted labels were
really >= 95% accurate.

Both policies see the same seeds (same keys, same first batch); their projects then differ,
since auto-accepted items are not offered for review. ``synthetic`` is a pool of items whose
correctness probability is known (just below the target in a band of confident items), with
models that improve as people review.

Reported per data set and policy: the share of runs in which *any* round auto-accepted a set
below target (the project-level error), the median auto share (of all items) after
300 / 500 / 1000 answers, and stability: the largest drop of the auto share between two
consecutive rounds that no new audit error above the previous threshold explains.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "src"))

from labelmill.quality import (  # noqa: E402
    AuditRecords,
    GuaranteePolicy,
    GuaranteeState,
    Population,
    ThresholdPolicy,
)

TARGET, CONFIDENCE = 0.95, 0.95
AUDIT_FRACTION, AUDIT_MINIMUM = 0.3, 59
CHECKPOINTS = (300, 500, 1000, 1500)


# -- data sets: features, truth ---------------------------------------------------------
def _tfidf(texts: list[str]) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(sublinear_tf=True, min_df=2, ngram_range=(1, 2)).fit_transform(texts)


def youtube() -> tuple[Any, np.ndarray]:
    import pandas as pd

    files = sorted((DATA / "youtube_spam").glob("*.csv"))
    frames = [pd.read_csv(f, encoding="utf-8") for f in files]
    df = pd.concat(frames, ignore_index=True)
    return _tfidf(df["CONTENT"].astype(str).tolist()), df["CLASS"].to_numpy(dtype=np.int64)


def sms() -> tuple[Any, np.ndarray]:
    rows = [
        line.rstrip("\n").split("\t", 1)
        for line in (DATA / "sms_spam" / "SMSSpamCollection").open(encoding="utf-8")
        if "\t" in line
    ]
    y = np.array([r[0] == "spam" for r in rows], dtype=np.int64)
    return _tfidf([r[1] for r in rows]), y


def trec() -> tuple[Any, np.ndarray]:
    texts, labels = [], []
    for name in ("train_5500.label", "TREC_10.label"):
        for line in (DATA / "trec" / name).open(encoding="latin-1"):
            label, text = line.strip().split(" ", 1)
            texts.append(text)
            labels.append(label.split(":")[0])
    classes = sorted(set(labels))
    return _tfidf(texts), np.array([classes.index(c) for c in labels], dtype=np.int64)


def ag_news() -> tuple[Any, np.ndarray]:
    import pandas as pd

    df = pd.read_csv(DATA / "ag_news" / "test.csv", header=None, names=["c", "title", "desc"])
    return _tfidf((df["title"] + ". " + df["desc"]).tolist()), df["c"].to_numpy() - 1


def mnist() -> tuple[Any, np.ndarray]:
    with gzip.open(DATA / "mnist_test" / "t10k-images-idx3-ubyte.gz") as fh:
        X = np.frombuffer(fh.read(), np.uint8, offset=16).reshape(-1, 784)
    with gzip.open(DATA / "mnist_test" / "t10k-labels-idx1-ubyte.gz") as fh:
        y = np.frombuffer(fh.read(), np.uint8, offset=8).astype(np.int64)
    return (X / 255.0).astype(np.float32), y


SETS = {"youtube": youtube, "sms": sms, "trec": trec, "ag_news": ag_news, "mnist": mnist}


# -- models --------------------------------------------------------------------------------
class LogisticModel:
    """Logistic regression on the reviewed items; predicts the classes it has seen."""

    def __init__(self, n_classes: int, C: float) -> None:
        self.n_classes, self.C = n_classes, C

    def fit_predict(self, X: Any, idx: np.ndarray, y: np.ndarray) -> np.ndarray:
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=self.C, max_iter=300)
        model.fit(X[idx], y[idx])
        proba = np.zeros((X.shape[0], self.n_classes))
        proba[:, model.classes_] = model.predict_proba(X)
        return proba


@dataclass
class Synthetic:
    """A pool with known correctness: item difficulty d ~ U(0, 1) fixed; a model of quality
    q scores item i with ``s = 1 - 0.5 * d**q'`` plus noise, and is right with probability
    ``p(s)``: calibrated below 0.9, and 0.94 (just below the 95% target) on 0.9 <= s < 0.97."""

    n: int = 3000
    rng_seed: int = 0
    difficulty: np.ndarray = field(init=False)
    luck: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        rng = np.random.default_rng(10_000 + self.rng_seed)
        self.difficulty = rng.uniform(size=self.n)
        self.luck = rng.uniform(size=self.n)  # fixed: an item wrong once tends to stay wrong

    def round(self, n_reviewed: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        quality = 1.0 + n_reviewed / 300.0
        noise = rng.normal(scale=0.02, size=self.n)
        s = np.clip(1.0 - 0.5 * self.difficulty**quality + noise, 0.5, 0.9999)
        p = np.where((s >= 0.9) & (s < 0.97), TARGET - 0.01, np.minimum(s + 0.01, 0.999))
        return s, self.luck < p


# -- one project ---------------------------------------------------------------------------
def audit_quota(n_audit: int, n_total: int, batch: int, any_round: bool) -> int:
    minimum = AUDIT_MINIMUM if any_round else 0
    wanted = max(minimum - n_audit, math.ceil(AUDIT_FRACTION * (n_total + batch)) - n_audit)
    return max(0, min(batch, wanted))


def run_project(
    name: str, X: Any, y: np.ndarray | None, seed: int, policy: str, budget: int, batch: int
) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    synthetic = Synthetic(n=3000, rng_seed=seed) if name == "synthetic" else None
    n = synthetic.n if synthetic is not None else len(y)
    n_classes = 2 if synthetic is not None else int(y.max()) + 1
    model = LogisticModel(n_classes, C=10.0 if name != "mnist" else 0.5)
    keys = rng.uniform(size=n)
    order0 = rng.permutation(n)  # the review queue before any round: random order
    weights = np.ones(n)
    reviewed = np.zeros(n, bool)
    audited = np.zeros(n, bool)
    auto = np.zeros(n, bool)
    scores = np.zeros(n)
    gp = GuaranteePolicy(
        TARGET,
        CONFIDENCE,
        outside_weight=RUN_OPTIONS["outside_weight"],
        spending_offset=RUN_OPTIONS["spending_offset"],
        descend=RUN_OPTIONS["descend"],
        keep=RUN_OPTIONS["keep"],
        min_growth=RUN_OPTIONS["min_growth"],
    )
    state: GuaranteeState | None = None
    rounds: list[dict[str, Any]] = []
    n_total = 0
    any_round = False
    prev_threshold = None
    prev_wrong_above = 0
    while n_total < budget:
        unresolved = ~(reviewed | audited)
        if not unresolved.any():
            break
        n_a = audit_quota(int(audited.sum()), n_total, batch, any_round)
        cand = np.flatnonzero(unresolved)
        take = cand[np.argsort(keys[cand] / weights[cand], kind="stable")[:n_a]]
        audited[take] = True
        unresolved = ~(reviewed | audited)
        n_r = batch - len(take)
        if any_round:
            pool = np.flatnonzero(unresolved & ~auto)
            pick = pool[np.argsort(scores[pool], kind="stable")[:n_r]]
        else:
            pick = [i for i in order0 if unresolved[i]][:n_r]
        reviewed[pick] = True
        if len(take) + len(pick) == 0:
            break  # nothing left to review and the audit is at its share: people stop
        n_total += len(take) + len(pick)
        # the round: train on reviewed items, score everything
        if synthetic is not None:
            s, right = synthetic.round(int(reviewed.sum()), rng)
            pred = None
        else:
            if len(np.unique(y[reviewed])) < 2:
                continue
            proba = model.fit_predict(X, np.flatnonzero(reviewed), y)
            s = proba.max(axis=1)
            pred = proba.argmax(axis=1)
            right = pred == y
        any_round = True
        scores = s
        pop = ~(reviewed | audited)
        a_idx, p_idx = np.flatnonzero(audited), np.flatnonzero(pop)
        if policy == "per_round":
            d = ThresholdPolicy(TARGET, CONFIDENCE).choose(
                s[a_idx], right[a_idx], population_scores=s[p_idx] if p_idx.size else None
            )
            threshold = d.threshold
            new_auto = np.zeros(n, bool)
            if threshold is not None:
                new_auto[p_idx] = s[p_idx] >= threshold
        else:
            d = gp.decide(
                AuditRecords(
                    scores=s[a_idx], correct=right[a_idx], keys=keys[a_idx], weights=weights[a_idx]
                ),
                Population(
                    scores=s[p_idx], keys=keys[p_idx], weights=weights[p_idx], was_auto=auto[p_idx]
                ),
                state,
            )
            state = d.state
            threshold = d.threshold
            new_auto = np.zeros(n, bool)
            new_auto[p_idx] = d.auto
            design = gp.audit_design(s, keys, state)
            weights = design.weights
        # evidence that explains a drop: audit errors above the previous threshold, now
        wrong_prev = (
            int((~right[a_idx] & (s[a_idx] >= prev_threshold)).sum())
            if prev_threshold is not None
            else 0
        )
        explained = prev_threshold is not None and wrong_prev > prev_wrong_above
        n_auto = int(new_auto.sum())
        acc = float(right[new_auto].mean()) if n_auto else float("nan")
        rounds.append(
            {
                "answers": n_total,
                "audit": int(audited.sum()),
                "threshold": threshold,
                "auto_share": n_auto / n,
                "auto_accuracy": acc,
                "violation": bool(n_auto and acc < TARGET),
                "explained": bool(explained),
                "text": getattr(getattr(d, "change", None), "text", None),
                "reason": getattr(d, "reason", None),
                "n_sample": getattr(d, "n_sample", None),
            }
        )
        auto = new_auto
        prev_threshold = threshold
        prev_wrong_above = (
            int((~right[a_idx] & (s[a_idx] >= threshold)).sum()) if threshold is not None else 0
        )
    return {"set": name, "seed": seed, "policy": policy, "budget": budget, "rounds": rounds}


RUN_OPTIONS: dict[str, Any] = {
    "outside_weight": 1.0,
    "spending_offset": 1,
    "descend": 0.5,
    "keep": 0.9,
    "min_growth": 0.25,
}


# -- summary ---------------------------------------------------------------------------------
def _share_at(rounds: list[dict[str, Any]], answers: int, budget: int) -> float | None:
    """Auto share of the last round with at most ``answers`` answers (None: not reached)."""
    if not rounds or (rounds[-1]["answers"] < answers and rounds[-1]["answers"] >= budget):
        return None
    done = [r["auto_share"] for r in rounds if r["answers"] <= answers]
    return done[-1] if done else 0.0


def _max_unexplained_drop(rounds: list[dict[str, Any]]) -> float:
    worst = 0.0
    for prev, cur in zip(rounds, rounds[1:], strict=False):
        drop = prev["auto_share"] - cur["auto_share"]
        if drop > worst and not cur["explained"]:
            worst = drop
    return worst


def summarize(runs: list[dict[str, Any]]) -> str:
    lines = [
        "| data | policy | runs | runs with any violation | rounds with a violation | "
        + " | ".join(f"auto share @{c}" for c in CHECKPOINTS)
        + " | largest unexplained drop | runs with an unexplained drop > 20 pts |",
        "|---|---|---|---|---|" + "---|" * len(CHECKPOINTS) + "---|---|",
    ]
    keyed: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for run in runs:
        keyed.setdefault((run["set"], run["policy"]), []).append(run)
    for (name, policy), group in sorted(keyed.items()):
        any_v = sum(any(r["violation"] for r in run["rounds"]) for run in group)
        n_rounds = sum(len(run["rounds"]) for run in group)
        v_rounds = sum(r["violation"] for run in group for r in run["rounds"])
        cells = []
        for c in CHECKPOINTS:
            vals = [_share_at(run["rounds"], c, run.get("budget", c)) for run in group]
            vals = [v for v in vals if v is not None]
            cells.append(f"{np.median(vals):.1%}" if vals else "-")
        drops = [_max_unexplained_drop(run["rounds"]) for run in group]
        big = sum(d > 0.20 for d in drops)
        lines.append(
            f"| {name} | {policy} | {len(group)} | {any_v} ({any_v / len(group):.0%}) | "
            f"{v_rounds} of {n_rounds} | " + " | ".join(cells) + f" | {max(drops):.1%} | {big} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sets", default="youtube,sms,trec,ag_news,mnist,synthetic")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--budget", type=int, default=1000)
    ap.add_argument("--batch-size", type=int, default=100)
    ap.add_argument("--policies", default="per_round,project")
    ap.add_argument("--outside-weight", type=float, default=1.0)
    ap.add_argument("--spending-offset", type=int, default=1)
    ap.add_argument("--descend", type=float, default=0.5)
    ap.add_argument("--keep", type=float, default=0.9)
    ap.add_argument("--min-growth", type=float, default=0.25)
    ap.add_argument("--label", default="project", help="name of the project policy's rows")

    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "out" / "guarantee.json"))
    ap.add_argument("--summarize", nargs="*")
    args = ap.parse_args()
    if args.summarize:
        runs = [r for f in args.summarize for r in json.loads(Path(f).read_text())["runs"]]
        print(summarize(runs))
        return
    RUN_OPTIONS.update(
        outside_weight=args.outside_weight,
        spending_offset=args.spending_offset,
        descend=args.descend,
        keep=args.keep,
        min_growth=args.min_growth,
    )
    runs: list[dict[str, Any]] = []
    started = time.time()
    for name in args.sets.split(","):
        X, y = (None, None) if name == "synthetic" else SETS[name]()
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            for policy in args.policies.split(","):
                t0 = time.time()
                runs.append(run_project(name, X, y, seed, policy, args.budget, args.batch_size))
                if policy == "project":
                    runs[-1]["policy"] = args.label
                print(
                    f"{name} seed {seed} {policy}: {len(runs[-1]['rounds'])} rounds, "
                    f"{time.time() - t0:.1f}s",
                    file=sys.stderr,
                    flush=True,
                )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "command": " ".join(sys.argv),
        "machine": f"{platform.machine()} {os.cpu_count()} cores, {platform.python_version()}",
        "seconds": round(time.time() - started, 1),
        "options": RUN_OPTIONS,
    }
    out.write_text(json.dumps({"meta": meta, "runs": runs}, default=float))
    print(summarize(runs))


if __name__ == "__main__":
    main()
