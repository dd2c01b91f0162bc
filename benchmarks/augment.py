"""Does augmentation help a logistic head at 100/300 labeled items? (3 seeds; docs/augment.md)

    .venv/bin/python benchmarks/augment.py trec|youtube|trec-minilm|youtube-minilm|
        youtube-minilm-300|cifar|cifar-300|adult

Reads ../shared/data in place.
"""

import csv
import glob
import os
import sys
import time
from pathlib import Path

import numpy as np

from labelmill.augment import (
    ClassInterpolation,
    GaussianNoise,
    HorizontalFlip,
    NeighbourReplacement,
    RandomCrop,
    SpanSwap,
    TokenDropout,
    augment_training_rows,
)
from labelmill.learn import EndModel

D = str(Path(__file__).resolve().parents[2] / "shared" / "data")
SEEDS = (0, 1, 2)
NS = (100, 300)


def trec():
    def read(p):
        with open(p, encoding="latin-1") as fh:
            rows = [line.rstrip("\n").split(" ", 1) for line in fh]
        return [t for _, t in rows], [c.split(":")[0] for c, _ in rows]

    tr, ytr = read(f"{D}/trec/train_5500.label")
    te, yte = read(f"{D}/trec/TREC_10.label")
    classes = sorted(set(ytr))
    seen = set(te)
    keep = {}
    for t, y in zip(tr, ytr, strict=False):
        if t not in seen and t not in keep:
            keep[t] = y
    tr = list(keep)
    ytr = [keep[t] for t in tr]
    return (
        tr,
        np.array([classes.index(c) for c in ytr]),
        te,
        np.array([classes.index(c) for c in yte]),
    )


def youtube():
    texts, _ys = {}, {}
    for p in sorted(glob.glob(f"{D}/youtube_spam/*.csv")):
        with open(p, encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                texts.setdefault(r["CONTENT"], int(r["CLASS"]))
    t = list(texts)
    y = np.array([texts[x] for x in t])
    rng = np.random.default_rng(123)
    perm = rng.permutation(len(t))
    te = perm[:600]
    tr = perm[600:]
    return [t[i] for i in tr], y[tr], [t[i] for i in te], y[te]


def cifar():
    classes = sorted(os.listdir(f"{D}/cifar10_test_jpg/test"))
    paths, ys = [], []
    for k, c in enumerate(classes):
        for f in sorted(os.listdir(f"{D}/cifar10_test_jpg/test/{c}")):
            paths.append(f"{D}/cifar10_test_jpg/test/{c}/{f}")
            ys.append(k)
    y = np.array(ys)
    rng = np.random.default_rng(123)
    perm = rng.permutation(len(paths))
    te = perm[:1000]
    tr = perm[1000:]
    return [paths[i] for i in tr], y[tr], [paths[i] for i in te], y[te]


def adult():
    cols = [
        "age",
        "workclass",
        "fnlwgt",
        "education",
        "education_num",
        "marital",
        "occupation",
        "relationship",
        "race",
        "sex",
        "capital_gain",
        "capital_loss",
        "hours",
        "country",
        "y",
    ]

    def read(p, skip):
        rows = []
        with open(p) as fh:
            lines = fh.readlines()
        for line in lines:
            parts = [x.strip() for x in line.strip().split(",")]
            if len(parts) != 15:
                continue
            r = dict(zip(cols, parts, strict=False))
            for c in ("age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours"):
                r[c] = int(r[c])
            rows.append(r)
        return rows

    tr = read(f"{D}/adult/adult.data", 0)
    te = read(f"{D}/adult/adult.test", 1)

    def lab(r):
        return int(r.pop("y").startswith(">50K"))

    ytr = np.array([lab(r) for r in tr])
    yte = np.array([lab(r) for r in te])
    rng = np.random.default_rng(123)
    te_i = rng.permutation(len(te))[:5000]
    return tr, ytr, [te[i] for i in te_i], yte[te_i]


def run(name, data, featurizer_fn, data_type, variants, fit_feat=False):
    tr, ytr, te, yte = data
    for n in NS if not name.endswith("-300") else (300,):
        res = {v: [] for v in variants}
        tsec = []
        for seed in SEEDS:
            rng = np.random.default_rng(seed)
            # stratified-ish: random n items that cover every class
            while True:
                idx = rng.choice(len(tr), size=n, replace=False)
                if len(set(ytr[idx])) == len(set(ytr)):
                    break
            P = [tr[i] for i in idx]
            y = ytr[idx]
            feat = featurizer_fn()
            if fit_feat:
                feat.fit(tr[:5000] if data_type == "tabular" else P)
            X = feat.transform(P)
            Xte = feat.transform(te)
            k = int(ytr.max()) + 1
            for v, kw in variants.items():
                if kw is None:
                    Xa, ya, w = X, y, np.ones(n)
                else:
                    t0 = time.perf_counter()
                    Xg, yg, wg = augment_training_rows(
                        P,
                        y,
                        np.ones(n),
                        data_type=data_type,
                        featurizer=feat,
                        seed=seed,
                        corpus=tr if data_type == "text" else None,
                        **kw,
                    )
                    tsec.append(time.perf_counter() - t0)
                    Xa = np.vstack([X, Xg])
                    ya = np.concatenate([y, yg])
                    w = np.concatenate([np.ones(n), wg])
                m = EndModel(n_classes=k).fit(Xa, ya, sample_weight=w)
                res[v].append(float((m.predict(Xte) == yte).mean()))
        for v, accs in res.items():
            print(
                f"{name}\tn={n}\t{v}\t{np.mean(accs):.4f}\t±{np.std(accs):.4f}\t"
                + " ".join(f"{a:.3f}" for a in accs),
                flush=True,
            )
        if tsec:
            print(
                f"{name}\tn={n}\taugment_training_rows mean {np.mean(tsec):.2f}s per call",
                flush=True,
            )


if __name__ == "__main__":
    which = sys.argv[1]
    if which == "youtube-minilm-300":
        from labelmill.features import TextFeaturizer

        CACHED = TextFeaturizer()
        NS = (300,)
        run(
            which,
            youtube(),
            lambda: CACHED,
            "text",
            {"none": None, "default x2 (w=0.5)": {"n_per_item": 2}},
        )
    elif which in ("trec", "youtube", "trec-minilm", "youtube-minilm"):
        from labelmill.features import HashingTextFeaturizer, TextFeaturizer

        data = trec() if which.startswith("trec") else youtube()
        ff = (lambda: HashingTextFeaturizer()) if "minilm" not in which else (lambda: CACHED)
        if "minilm" in which:
            CACHED = TextFeaturizer()
        variants = {
            "none": None,
            "default x2 (w=0.5)": {"n_per_item": 2},
            "default x2 (w=1.0)": {"n_per_item": 2, "weight_factor": 1.0},
            "token_dropout x2": {"n_per_item": 2, "functions": [TokenDropout(0.1)]},
            "neighbour x2": {"n_per_item": 2, "functions": [NeighbourReplacement(0.1)]},
            "span_swap x2": {"n_per_item": 2, "functions": [SpanSwap(2)]},
        }
        run(which, data, ff, "text", variants)
    elif which == "cifar-300":
        from labelmill.features import ImageFeaturizer

        run(
            "cifar10-300",
            cifar(),
            lambda: ImageFeaturizer(method="random_conv"),
            "image",
            {"none": None, "default x2 (w=0.5)": {"n_per_item": 2}},
        )
    elif which == "cifar":
        from labelmill.features import ImageFeaturizer

        variants = {
            "none": None,
            "default x2 (w=0.5)": {"n_per_item": 2},
            "default x2 (w=1.0)": {"n_per_item": 2, "weight_factor": 1.0},
            "flip+crop x2": {"n_per_item": 2, "functions": [HorizontalFlip(), RandomCrop(0.75)]},
        }
        run("cifar10", cifar(), lambda: ImageFeaturizer(method="random_conv"), "image", variants)
    elif which == "adult":
        from labelmill.features import TabularFeaturizer

        variants = {
            "none": None,
            "default x2 (w=0.5)": {"n_per_item": 2},
            "default x2 (w=1.0)": {"n_per_item": 2, "weight_factor": 1.0},
            "interpolation x2": {"n_per_item": 2, "functions": [ClassInterpolation(0.5)]},
            "noise x2": {"n_per_item": 2, "functions": [GaussianNoise(0.1)]},
        }
        run("adult", adult(), lambda: TabularFeaturizer(), "tabular", variants, fit_feat=True)
