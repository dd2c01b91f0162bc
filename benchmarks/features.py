"""Benchmarks of labelmill.features (results in docs/bench/features.md).

    nice -n 10 .venv/bin/python benchmarks/features.py text  [--runs 5] [--n 1000]
    nice -n 10 .venv/bin/python benchmarks/features.py image [--pool 3000] [--test 2000]
    nice -n 10 .venv/bin/python benchmarks/features.py cache [--n 1000000]
    nice -n 10 .venv/bin/python benchmarks/features.py pretrained [--n 2000] [--sizes 128 160]
    nice -n 10 .venv/bin/python benchmarks/features.py zeroshot [--n 2000]

``text``: throughput of TextFeaturizer.transform vs calling sentence-transformers'
``SentenceTransformer.encode`` directly on the same model and texts (same batch size,
normalized), interleaved runs, median per side, ratio of medians.

``cache``: FeatureCache at scale: ``--n`` items x 384 float32 vectors from a featurizer
that returns precomputed random rows, written in flushes of 16,384; then a second pass that
must compute nothing; wall time, peak RSS, and files on disk.

``image``: every ImageFeaturizer candidate on MNIST (test split, idx .gz) and CIFAR-10
(test split, JPEG), with a logistic regression (standardized features) trained on 100 /
300 / 1000 labels drawn from a pool; accuracy on a disjoint held-out set, mean of 3 seeds.
MNIST images are written to temporary PNG files first so that both sets go through the
same file-reading path. Splits are drawn with a fixed seed (0) from the single official
test split of each set.
"""

from __future__ import annotations

import argparse
import gzip
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

DATA = Path(os.environ.get("LABELMILL_DATA", "/work/shared/data"))


def _texts(n: int) -> list[str]:
    import csv

    path = DATA / "ag_news" / "test.csv"
    if path.is_file():
        with open(path, encoding="utf-8") as fh:
            rows = [" ".join(r[1:]) for r in csv.reader(fh)]
        return rows[:n]
    rng = np.random.default_rng(0)
    words = "the a model label data spam free money call now meeting tomorrow news".split()
    return [" ".join(rng.choice(words, size=int(rng.integers(5, 40)))) for _ in range(n)]


def bench_text(runs: int, n: int, batch_size: int) -> None:
    from sentence_transformers import SentenceTransformer

    from labelmill.features import TextFeaturizer, default_text_model_path

    texts = _texts(n)
    feat = TextFeaturizer(batch_size=batch_size)
    feat.transform(texts[:8])  # load + warm up
    direct = SentenceTransformer(str(default_text_model_path()), device="cpu")
    direct.encode(texts[:8], batch_size=batch_size)
    ours, theirs = [], []
    for _ in range(runs):
        t = time.perf_counter()
        direct.encode(
            texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True
        )
        theirs.append(n / (time.perf_counter() - t))
        t = time.perf_counter()
        X = feat.transform(texts)
        ours.append(n / (time.perf_counter() - t))
    assert X.shape == (n, 384) and X.dtype == np.float32
    mo, mt = statistics.median(ours), statistics.median(theirs)
    print(f"texts={n} batch_size={batch_size} runs={runs} (interleaved)")
    print("| side | median texts/s | runs (texts/s) |\n|---|---|---|")
    runs_ours = ", ".join(f"{v:.0f}" for v in ours)
    print(f"| labelmill TextFeaturizer.transform | {mo:.1f} | {runs_ours} |")
    print(
        f"| sentence-transformers encode (direct) | {mt:.1f} | "
        f"{', '.join(f'{v:.0f}' for v in theirs)} |"
    )
    print(f"\nratio labelmill / direct = {mo / mt:.3f}")


def _mnist(tmp: Path, idx: np.ndarray) -> tuple[list[str], np.ndarray]:
    from PIL import Image

    d = DATA / "mnist_test"
    with gzip.open(d / "t10k-images-idx3-ubyte.gz") as fh:
        imgs = np.frombuffer(fh.read(), np.uint8, offset=16).reshape(-1, 28, 28)
    with gzip.open(d / "t10k-labels-idx1-ubyte.gz") as fh:
        labels = np.frombuffer(fh.read(), np.uint8, offset=8)
    paths = []
    for i in idx:
        p = tmp / f"{i}.png"
        Image.fromarray(imgs[i]).save(p)
        paths.append(str(p))
    return paths, labels[idx].astype(int)


def _cifar(idx: np.ndarray) -> tuple[list[str], np.ndarray]:
    root = DATA / "cifar10_test_jpg" / "test"
    classes = sorted(p.name for p in root.iterdir())
    files = [(str(f), c) for c, name in enumerate(classes) for f in sorted((root / name).iterdir())]
    return [files[i][0] for i in idx], np.array([files[i][1] for i in idx])


CANDIDATES = {
    "pixels (gray)": dict(method="pixels", color="gray"),
    "pixels (rgb) + PCA 64": dict(method="pixels", n_components=64),
    "hog": dict(method="hog"),
    "color_hist": dict(method="color_hist"),
    "hog+color": dict(method="hog+color"),
    "random_conv 64 filters (default)": dict(method="random_conv"),
    "random_conv 128 filters": dict(method="random_conv", n_filters=128),
}


def bench_image(pool: int, test: int, names: list[str]) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from labelmill.features import ImageFeaturizer

    rng = np.random.default_rng(0)
    idx = rng.permutation(10_000)[: pool + test]
    budgets = (100, 300, 1000)
    with tempfile.TemporaryDirectory() as tmp:
        sets = {}
        if "mnist" in names:
            sets["mnist"] = _mnist(Path(tmp), idx)
        if "cifar" in names:
            sets["cifar10"] = _cifar(idx)
        print(
            f"pool={pool} test={test} (seed 0), logistic regression C=1 on standardized "
            "features, mean accuracy over 3 label draws"
        )
        print(
            "| data | featurizer | dim | s / 1000 images | "
            + " | ".join(f"acc@{b}" for b in budgets)
            + " |"
        )
        print("|---|---|---|---|" + "---|" * len(budgets))
        for data, (paths, y) in sets.items():
            for label, params in CANDIDATES.items():
                f = ImageFeaturizer(**params)
                t = time.perf_counter()
                f.fit(paths[:pool])
                X = f.transform(paths)
                secs = (time.perf_counter() - t) / len(paths) * 1000
                Xp, yp, Xt, yt = X[:pool], y[:pool], X[pool:], y[pool:]
                accs = []
                for b in budgets:
                    vals = []
                    for seed in range(3):
                        pick = np.random.default_rng(seed).choice(pool, size=b, replace=False)
                        clf = make_pipeline(
                            StandardScaler(), LogisticRegression(C=1.0, max_iter=300)
                        )
                        clf.fit(Xp[pick], yp[pick])
                        vals.append(clf.score(Xt, yt))
                    accs.append(float(np.mean(vals)))
                print(
                    f"| {data} | {label} | {X.shape[1]} | {secs:.2f} | "
                    + " | ".join(f"{a:.3f}" for a in accs)
                    + " |",
                    flush=True,
                )


def _probe(X: np.ndarray, y: np.ndarray) -> list[float]:
    """Accuracy of each of 5 stratified folds (seed 0) of a standardized logistic regression."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    clf = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=1000))
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    return [float(a) for a in cross_val_score(clf, X, y, cv=folds)]


def _rate(f, paths: list[str], runs: int) -> tuple[float, float, list[float]]:
    """Median images/s (wall) and images per CPU-second of ``runs`` transforms of ``paths``.

    On a shared machine the wall rate swings with the load; the CPU time the process used
    (one torch thread) is the steadier measure of cost.
    """
    f.transform(paths[:4])
    rates, cpu_rates = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        f.transform(paths)
        rates.append(len(paths) / (time.perf_counter() - t))
        cpu_rates.append(len(paths) / (time.process_time() - c))
    return statistics.median(rates), statistics.median(cpu_rates), rates


def _few_labels(X: np.ndarray, y: np.ndarray, budget: int, test: int = 500) -> float:
    """Held-out accuracy (last ``test`` rows) with ``budget`` labels from the rest, 3 draws."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    pool = X.shape[0] - test
    accs = []
    for seed in range(3):
        pick = np.random.default_rng(seed).choice(pool, size=budget, replace=False)
        clf = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=1000))
        clf.fit(X[pick], y[pick])
        accs.append(clf.score(X[pool:], y[pool:]))
    return float(np.mean(accs))


def _features(f, paths: list[str], cache_dir: str | None) -> np.ndarray:
    if cache_dir is None:
        return f.transform(paths)
    import hashlib

    from labelmill.features import FeatureCache

    hashes = [hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in paths]
    return FeatureCache(cache_dir).get_or_compute(f, hashes, paths).X


def bench_pretrained(
    n: int,
    sizes: list[int],
    batch_sizes: list[int],
    threads: list[int],
    runs: int,
    rate_n: int,
    data_names: list[str],
    cache_dir: str | None,
) -> None:
    from labelmill.features import ImageFeaturizer, PretrainedImageFeaturizer

    idx = np.random.default_rng(0).permutation(10_000)[:n]
    with tempfile.TemporaryDirectory() as tmp:
        sets = {}
        if "cifar" in data_names:
            sets["cifar10"] = _cifar(idx)
        if "mnist" in data_names:
            sets["mnist"] = _mnist(Path(tmp), idx)
        print(
            f"n={n} per set (seed 0), probe: 5-fold stratified CV (seed 0) of "
            "StandardScaler + LogisticRegression(C=0.1); acc@100: 100 labels drawn from the "
            "first n-500, tested on the last 500, mean of 3 draws; rate: median of "
            f"{runs} transforms of {rate_n} CIFAR images (decode included)"
        )
        if runs > 0:
            print(
                "\n| data | featurizer | image_size | batch | threads | images/s wall (median) "
                "| images per CPU-s (median) | wall runs |"
            )
            print("|---|---|---|---|---|---|---|---|")
            rate_paths = _cifar(idx[:rate_n])[0]
            for size in sizes:
                for bs in batch_sizes:
                    for th in threads:
                        f = PretrainedImageFeaturizer(image_size=size, batch_size=bs, n_threads=th)
                        med, cpu, rates = _rate(f, rate_paths, runs)
                        print(
                            f"| cifar10 | efficientnet-lite0 | {size} | {bs} | {th} | {med:.1f} "
                            f"| {cpu:.1f} | {', '.join(f'{r:.1f}' for r in rates)} |",
                            flush=True,
                        )
            med, cpu, rates = _rate(ImageFeaturizer(), rate_paths, runs)
            print(
                f"| cifar10 | random_conv (fallback) | 32 | - | - | {med:.1f} | {cpu:.1f} | "
                f"{', '.join(f'{r:.1f}' for r in rates)} |",
                flush=True,
            )
        print("\n| data | featurizer | image_size | probe accuracy (mean) | folds | acc@100 |")
        print("|---|---|---|---|---|---|")
        for data, (paths, y) in sets.items():
            candidates: list[tuple[str, object]] = [
                (f"efficientnet-lite0 @{s}", PretrainedImageFeaturizer(image_size=s, n_threads=1))
                for s in sizes
            ]
            candidates.append(("random_conv (fallback)", ImageFeaturizer()))
            for label, f in candidates:
                X = _features(f, paths, cache_dir)
                accs = _probe(X, y)
                print(
                    f"| {data} | {label} | {getattr(f, 'image_size', '')} | "
                    f"{np.mean(accs):.3f} | {', '.join(f'{a:.3f}' for a in accs)} | "
                    f"{_few_labels(X, y, 100):.3f} |",
                    flush=True,
                )


# Class names a user would type, and one-sentence descriptions as on a labeling card.
# Written once before any measurement; not tuned on the results.
ZERO_SHOT_SETS = {
    "ag_news": {
        "World": "news about world politics, international affairs, wars and governments",
        "Sports": "news about sports, games, teams and athletes",
        "Business": "news about business, companies, markets and the economy",
        "Sci/Tech": "news about science, technology, computers, the internet and space",
    },
    "trec": {
        "abbreviation": "a question asking what an abbreviation stands for",
        "description": "a question asking for a description, definition, reason or manner",
        "entity": "a question asking for a thing: an object, animal, color, food, product, "
        "event or other entity",
        "human": "a question asking for a person or a group of people",
        "location": "a question asking for a place: a city, country, state or location",
        "number": "a question asking for a number: a date, count, distance, size, price or amount",
    },
    "youtube_spam": {
        "ham": "a genuine comment about the video, the song or the artist",
        "spam": "a comment promoting a channel, link or product, or asking people to "
        "subscribe or check something out",
    },
}
_TREC = ("ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM")


def _text_set(name: str, n: int) -> tuple[list[str], np.ndarray]:
    """``n`` texts drawn with seed 0 (all of them when fewer), and their class indices."""
    import csv

    texts: list[str] = []
    labels: list[int] = []
    if name == "ag_news":
        with open(DATA / "ag_news" / "test.csv", encoding="utf-8") as fh:
            for row in csv.reader(fh):
                texts.append(f"{row[1]}. {row[2]}".replace("\\", " "))
                labels.append(int(row[0]) - 1)
    elif name == "trec":
        for file in ("train_5500.label", "TREC_10.label"):
            with open(DATA / "trec" / file, encoding="latin-1") as fh:
                for line in fh:
                    head, text = line.strip().split(" ", 1)
                    texts.append(text)
                    labels.append(_TREC.index(head.split(":")[0]))
    else:
        for file in sorted((DATA / "youtube_spam").glob("*.csv")):
            with open(file, encoding="utf-8") as fh:
                for row in csv.DictReader(fh):
                    texts.append(row["CONTENT"])
                    labels.append(int(row["CLASS"]))
    pick = np.random.default_rng(0).permutation(len(texts))[:n]
    return [texts[i] for i in pick], np.asarray(labels)[pick]


def bench_zeroshot(n: int, margins: list[float], threads: int, cache_dir: str | None) -> None:
    import torch

    from labelmill.features import TextFeaturizer
    from labelmill.features._zero_shot import (
        class_prompts,
        embed_class_prompts,
        zero_shot_scores,
        zero_shot_votes,
    )
    from labelmill.schema import Schema

    torch.set_num_threads(threads)  # a script: the process is ours
    feat = TextFeaturizer()
    print(
        f"up to n={n} items per set (seed 0), packaged all-MiniLM-L6-v2, {threads} torch "
        "thread(s); 'acc' is the "
        "accuracy of the votes cast, 'cover' the share of items that get a vote"
    )
    head = " | ".join(f"m={m:g} cover / acc" for m in margins)
    print(f"\n| data | prompts | n | classes | argmax acc | {head} |")
    print("|---|---|---|---|---|" + "---|" * len(margins))
    for data, described in ZERO_SHOT_SETS.items():
        texts, y = _text_set(data, n)
        t = time.perf_counter()
        if cache_dir is not None:  # a FeatureCache keyed by the model version and the text
            import hashlib

            from labelmill.features import FeatureCache

            hashes = [hashlib.sha256(t.encode()).hexdigest() for t in texts]
            X = FeatureCache(cache_dir).get_or_compute(feat, hashes, texts).X
        else:
            X = feat.transform(texts)
        secs = time.perf_counter() - t
        for kind, center in (
            ("names", False),
            ("names+descriptions", False),
            ("names, centered", True),
            ("names+descriptions, centered", True),
        ):
            info = {c: {"description": d} for c, d in described.items()}
            with_info = "descriptions" in kind
            schema = Schema(classes=tuple(described), class_info=info if with_info else {})
            C = embed_class_prompts(class_prompts(schema), feat)
            cells = []
            for m in margins:
                votes = zero_shot_votes(X, C, margin=m, center=center)
                cast = votes >= 0
                acc = float((votes[cast] == y[cast]).mean()) if cast.any() else float("nan")
                cells.append(f"{cast.mean():.2f} / {acc:.3f}")
            argmax = float((zero_shot_scores(X, C, center=center).argmax(axis=1) == y).mean())
            print(
                f"| {data} | {kind} | {len(texts)} | {len(described)} | {argmax:.3f} | "
                + " | ".join(cells)
                + " |",
                flush=True,
            )
        print(f"<!-- {data}: item vectors in {secs:.0f} s (cached or computed) -->")


def bench_cache(n: int) -> None:
    import resource

    from labelmill.features import FeatureCache, Featurizer

    class Precomputed(Featurizer):
        name = "precomputed"

        def __init__(self) -> None:
            self.calls = 0

        def _featurize(self, items):  # items are row numbers; vectors are a cheap function
            self.calls += len(items)
            rows = np.asarray(items, dtype=np.float32)[:, None]
            return np.broadcast_to(rows, (len(items), 384)).copy(), {}

        def _version_parts(self):
            return {"dim": 384}

    hashes = [f"{i:064x}" for i in range(n)]
    f = Precomputed()
    with tempfile.TemporaryDirectory() as tmp:
        cache = FeatureCache(Path(tmp) / "features")
        t = time.perf_counter()
        first = cache.get_or_compute(f, hashes, lambda pos: pos.tolist(), batch_size=8192)
        t_first = time.perf_counter() - t
        t = time.perf_counter()
        fresh = FeatureCache(Path(tmp) / "features")
        second = fresh.get_or_compute(f, hashes, lambda pos: pos.tolist(), batch_size=8192)
        t_second = time.perf_counter() - t
        assert f.calls == n and np.array_equal(first.X[:, 0], second.X[:, 0])
        assert second.X[n - 1, 0] == n - 1
        files = sum(1 for _ in (Path(tmp) / "features").rglob("*.npy"))
        size = sum(p.stat().st_size for p in (Path(tmp) / "features").rglob("*.npy"))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"items={n} dim=384 float32, flush every 16384 rows")
    print("| step | wall s | items/s |\n|---|---|---|")
    print(f"| first run (compute + write) | {t_first:.1f} | {n / t_first:,.0f} |")
    print(
        f"| second run, new FeatureCache (read only, 0 computed) | {t_second:.1f} | "
        f"{n / t_second:,.0f} |"
    )
    print(
        f"\nfiles on disk: {files} .npy ({size / 1e9:.2f} GB); peak RSS of the process "
        f"{rss:,.0f} MB (the returned X alone is {n * 384 * 4 / 1e6:,.0f} MB, twice held)"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["text", "image", "cache", "pretrained", "zeroshot"])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--pool", type=int, default=3000)
    ap.add_argument("--test", type=int, default=2000)
    ap.add_argument("--data", nargs="+", default=["mnist", "cifar"])
    ap.add_argument("--sizes", nargs="+", type=int, default=[96, 128, 160, 224])
    ap.add_argument("--batch-sizes", nargs="+", type=int, default=[32])
    ap.add_argument("--threads", nargs="+", type=int, default=[1])
    ap.add_argument("--rate-n", type=int, default=256)
    ap.add_argument(
        "--margins", nargs="+", type=float, default=[0.0, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1]
    )
    ap.add_argument("--cache-dir", default=None, help="zeroshot, pretrained: keep vectors here")
    args = ap.parse_args(argv)
    if args.what == "text":
        bench_text(args.runs, args.n, args.batch_size)
    elif args.what == "cache":
        bench_cache(args.n)
    elif args.what == "zeroshot":
        bench_zeroshot(args.n, args.margins, args.threads[0], args.cache_dir)
    elif args.what == "pretrained":
        bench_pretrained(
            args.n,
            args.sizes,
            args.batch_sizes,
            args.threads,
            args.runs,
            args.rate_n,
            args.data,
            args.cache_dir,
        )
    else:
        bench_image(args.pool, args.test, args.data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
