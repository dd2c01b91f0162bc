"""Benchmarks of labelmill.quality and labelmill.learn against peers.

Run from the repository root with the benchmark venv (cleanlab is a peer, never a
dependency of labelmill):

    nice -n 10 .venv-bench/bin/python benchmarks/quality.py issues
    nice -n 10 .venv-bench/bin/python benchmarks/quality.py calibration
    nice -n 10 .venv-bench/bin/python benchmarks/quality.py guarantee
    nice -n 10 .venv-bench/bin/python benchmarks/quality.py speed
    nice -n 10 .venv-bench/bin/python benchmarks/quality.py duplicates

Data: /work/shared/data (MNIST test set, TREC train); each run makes its own seeded
splits. Prints markdown tables. BLAS is limited to one thread for labelmill and the
peers alike (threadpoolctl), because the machine is shared.
"""

from __future__ import annotations

import gzip
import statistics
import sys
import time
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def load_mnist() -> tuple[np.ndarray, np.ndarray]:
    d = DATA / "mnist_test"
    with gzip.open(d / "t10k-images-idx3-ubyte.gz") as f:
        X = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784) / 255.0
    with gzip.open(d / "t10k-labels-idx1-ubyte.gz") as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
    from sklearn.decomposition import PCA

    return PCA(50, random_state=0).fit_transform(X), y


def _tfidf(text: list[str]):
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True).fit_transform(text)


def load_trec() -> tuple[np.ndarray, np.ndarray]:
    lines = (DATA / "trec" / "train_5500.label").read_text(encoding="latin-1").splitlines()
    coarse = [ln.split(":", 1)[0] for ln in lines if ln.strip()]
    text = [ln.split(" ", 1)[1] for ln in lines if ln.strip()]
    names = sorted(set(coarse))
    y = np.array([names.index(c) for c in coarse])
    return _tfidf(text), y


def load_trec_dense() -> tuple[np.ndarray, np.ndarray]:
    """TREC TF-IDF reduced to 300 dense dimensions (EndModel takes dense features)."""
    from sklearn.decomposition import TruncatedSVD

    X, y = load_trec()
    return TruncatedSVD(300, random_state=0).fit_transform(X), y


def load_ag_news():
    import csv

    with open(DATA / "ag_news" / "test.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    y = np.array([int(r[0]) - 1 for r in rows])
    return _tfidf([r[1] + " " + r[2] for r in rows]), y


def load_adult():
    """UCI Adult train file: standardised numbers (log of the skewed ones) + one-hot."""
    import pandas as pd

    cols = (
        "age workclass fnlwgt education education-num marital-status occupation relationship "
        "race sex capital-gain capital-loss hours-per-week native-country income"
    ).split()
    df = pd.read_csv(DATA / "adult" / "adult.data", header=None, names=cols, skipinitialspace=True)
    y = (df.pop("income") == ">50K").to_numpy().astype(np.int64)
    num = ["age", "fnlwgt", "education-num", "capital-gain", "capital-loss", "hours-per-week"]
    Xn = df[num].astype(float).copy()
    for c in ("capital-gain", "capital-loss", "fnlwgt"):
        Xn[c] = np.log1p(Xn[c])
    Xn = (Xn - Xn.mean()) / Xn.std()
    Xc = pd.get_dummies(df.drop(columns=[*num, "education"]).astype(str), dtype=float)
    return np.hstack([Xn.to_numpy(), Xc.to_numpy()]), y


def load_sms():
    lines = (DATA / "sms_spam" / "SMSSpamCollection").read_text(encoding="utf-8").splitlines()
    lines = [ln for ln in lines if ln.strip()]
    y = np.array([1 if ln.split("\t", 1)[0] == "spam" else 0 for ln in lines])
    return _tfidf([ln.split("\t", 1)[1] for ln in lines]), y


def load_youtube():
    import pandas as pd

    files = sorted((DATA / "youtube_spam").glob("*.csv"))
    frames = [pd.read_csv(f, encoding="utf-8") for f in files]
    df = pd.concat(frames, ignore_index=True)
    return _tfidf(df["CONTENT"].astype(str).tolist()), df["CLASS"].to_numpy().astype(np.int64)


def noisy_labels(y: np.ndarray, kind: str, rate: float, seed: int) -> np.ndarray:
    """Inject label noise.

    ``uniform``: each label flips with probability ``rate`` to one of the other classes
    at random. ``class_dependent``: class ``j`` flips with probability ``r_j`` (random
    weights in [0.3, 1.7] scaled so the expected overall rate is ``rate``, capped at 0.45)
    to other classes drawn from a Dirichlet(0.5) per class, so flips concentrate on a few
    classes; for two classes only the rates differ.
    """
    k = int(y.max()) + 1
    rng = np.random.default_rng([seed, 17])
    n = len(y)
    if kind == "uniform":
        flip = rng.uniform(size=n) < rate
        return np.where(flip, (y + rng.integers(1, k, n)) % k, y)
    prior = np.bincount(y, minlength=k) / n
    w = rng.uniform(0.3, 1.7, k)
    r = np.clip(rate * w / np.sum(prior * w), 0, 0.45)
    T = np.zeros((k, k))
    for j in range(k):
        others = [c for c in range(k) if c != j]
        T[j, others] = r[j] * (rng.dirichlet(np.full(k - 1, 0.5)) if k > 2 else np.ones(1))
        T[j, j] = 1 - r[j]
    u = rng.uniform(size=n)
    return np.minimum((u[:, None] > np.cumsum(T[y], axis=1)).sum(axis=1), k - 1)


def prf(mask, truth):
    tp = np.sum(mask & truth)
    p = tp / max(mask.sum(), 1)
    r = tp / max(truth.sum(), 1)
    return p, r, 2 * p * r / max(p + r, 1e-12)


ISSUE_DATA = {"trec": load_trec, "ag_news": load_ag_news, "mnist": load_mnist, "adult": load_adult}
EXTRA_DATA = {"sms_spam": load_sms, "youtube": load_youtube}
DEV_SEEDS = (100, 101, 102)  # used while developing the method (not reported as results)
# Seeds 0-4 were the held-out run of the first version (fixed 10% anchors); after it, the
# anchor size became adaptive (developed on DEV_SEEDS and sms_spam/youtube), so the
# reported run uses seeds never run before.
REPORT_SEEDS = (10, 11, 12, 13, 14)


def bench_issues(seeds=REPORT_SEEDS, data=None) -> None:
    """Label issues on 4 data sets x {uniform, class-dependent} x {5, 10, 20}% noise.

    One out-of-sample pred_probs per (data, noise, seed): 5-fold cross-validated
    logistic regression (C=1) from labelmill's cross_val_pred_probs, given to every method.
    """
    from cleanlab.filter import find_label_issues as cl_find
    from sklearn.linear_model import LogisticRegression

    from labelmill.quality import cross_val_pred_probs, find_label_issues

    methods = {
        "labelmill (noise_posterior, default)": lambda y, p: find_label_issues(y, p),
        "labelmill prune_by_class": lambda y, p: find_label_issues(y, p, method="prune_by_class"),
        "cleanlab (default: prune_by_noise_rate)": lambda y, p: cl_find(y, p, n_jobs=1),
        "cleanlab prune_by_class": lambda y, p: cl_find(y, p, filter_by="prune_by_class", n_jobs=1),
        "cleanlab both": lambda y, p: cl_find(y, p, filter_by="both", n_jobs=1),
        "cleanlab confident_learning": lambda y, p: cl_find(
            y, p, filter_by="confident_learning", n_jobs=1
        ),
    }
    ours, peer = "labelmill (noise_posterior, default)", "cleanlab (default: prune_by_noise_rate)"
    every = {**ISSUE_DATA, **EXTRA_DATA}
    loaders = {**ISSUE_DATA} if data is None else {d: every[d] for d in data}
    print(f"seeds {list(seeds)}; F1 = median over seeds (precision / recall medians)\n")
    header = "| data | noise | rate | " + " | ".join(methods) + " | ours - cleanlab, per seed |"
    print(header)
    print("|" + "---|" * (len(methods) + 4))
    summary = []
    for name, loader in loaders.items():
        X, y_true = loader()
        for kind in ("uniform", "class_dependent"):
            for rate in (0.05, 0.1, 0.2):
                res: dict[str, list[tuple[float, float, float]]] = {m: [] for m in methods}
                times: dict[str, list[float]] = {m: [] for m in methods}
                for seed in seeds:
                    y = noisy_labels(y_true, kind, rate, seed)
                    proba = cross_val_pred_probs(
                        X,
                        y,
                        make_estimator=lambda: LogisticRegression(C=1.0, max_iter=1000),
                        n_folds=5,
                        random_state=seed,
                    )
                    truth = y != y_true
                    for m, fn in methods.items():
                        t = time.perf_counter()
                        mask = np.asarray(fn(y, proba), dtype=bool)
                        times[m].append(time.perf_counter() - t)
                        res[m].append(prf(mask, truth))
                diffs = [a[2] - b[2] for a, b in zip(res[ours], res[peer], strict=True)]
                summary.append((name, kind, rate, diffs, res, times))
                cells = []
                for m in methods:
                    med = [statistics.median(r[i] for r in res[m]) for i in range(3)]
                    cells.append(f"{med[2]:.3f} ({med[0]:.2f}/{med[1]:.2f})")
                per_seed = " ".join(f"{d:+.3f}" for d in diffs)
                print(f"| {name} | {kind} | {rate:.0%} | " + " | ".join(cells) + f" | {per_seed} |")
    groups = (("data sets of the goal", ISSUE_DATA), ("extra data sets", EXTRA_DATA))
    for label, members in groups:
        part = [row for row in summary if row[0] in members]
        if not part:
            continue
        all_diffs = [d for row in part for d in row[3]]
        med_diffs = [statistics.median(row[3]) for row in part]
        print(
            f"\n{label}: {len(part)} settings; median F1 at or above cleanlab's default in "
            f"{sum(d >= 0 for d in med_diffs)}; runs (setting x seed) at or above: "
            f"{sum(d >= 0 for d in all_diffs)} of {len(all_diffs)}; median difference "
            f"{statistics.median(all_diffs):+.3f}, worst setting median {min(med_diffs):+.3f}, "
            f"worst single run {min(all_diffs):+.3f}"
        )
    for m in (ours, peer):
        ms = [1000 * t for row in summary for t in row[5][m]]
        print(f"time {m}: median {statistics.median(ms):.1f} ms per call")


def bench_calibration() -> None:
    from labelmill.learn import (
        EndModel,
        IsotonicCalibrator,
        TemperatureScaler,
        expected_calibration_error,
    )

    print("| data | head | ECE raw | ECE temperature | ECE isotonic | T | accuracy |")
    print("|---|---|---|---|---|---|---|")
    for name, loader in (("mnist", load_mnist),):
        X, y = loader()
        X = (X - X.mean(0)) / X.std(0)
        for head in ("logistic", "mlp"):
            rows = []
            for seed in range(3):
                rng = np.random.default_rng(seed)
                idx = rng.permutation(len(y))
                tr, cal, te = idx[:5000], idx[5000:7500], idx[7500:]
                model = EndModel(
                    head=head, C=10.0, n_epochs=30, random_state=seed, n_threads=1
                ).fit(X[tr], y[tr])
                p_cal, p_te = model.predict_proba(X[cal]), model.predict_proba(X[te])
                ts = TemperatureScaler().fit(p_cal, y[cal])
                iso = IsotonicCalibrator().fit(p_cal, y[cal])
                rows.append(
                    (
                        expected_calibration_error(y[te], p_te),
                        expected_calibration_error(y[te], ts.transform(p_te)),
                        expected_calibration_error(y[te], iso.transform(p_te)),
                        ts.temperature_,
                        float(np.mean(p_te.argmax(1) == y[te])),
                    )
                )
            med = [statistics.median(r[i] for r in rows) for i in range(5)]
            print(
                f"| {name} | {head} | {med[0]:.4f} | {med[1]:.4f} | {med[2]:.4f} | {med[3]:.2f} "
                f"| {med[4]:.3f} |"
            )


def bench_guarantee() -> None:
    """Repeated audits on real data: how often is the guarantee violated?"""
    from labelmill.learn import EndModel, TemperatureScaler
    from labelmill.quality import DEFAULT_THRESHOLDS, choose_threshold

    n_runs, n_audit = 500, 300
    print(
        "| data | target | policy | runs | runs accepting | violations | violation rate "
        "| median share auto-accepted | true accuracy of auto (median) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, loader in (("mnist", load_mnist), ("trec", load_trec_dense)):
        X, y = loader()
        rng = np.random.default_rng(0)
        idx = rng.permutation(len(y))
        n_train = len(y) // 4
        tr, cal, pop = idx[:n_train], idx[n_train : n_train + 500], idx[n_train + 500 :]
        model = EndModel(C=1.0 if name == "mnist" else 10.0).fit(X[tr], y[tr])
        raw = model.predict_proba(X[pop])
        ts = TemperatureScaler().fit(model.predict_proba(X[cal]), y[cal])
        proba = ts.transform(raw)
        conf = proba.max(1)
        correct = proba.argmax(1) == y[pop]
        for target in (0.95, 0.98):
            for policy in ("labelmill", "labelmill, T fitted on the audit", "naive point estimate"):
                viol, acc_runs, shares, accs = 0, 0, [], []
                for run in range(n_runs):
                    a = np.random.default_rng(1000 + run).choice(len(pop), n_audit, replace=False)
                    c = conf
                    if policy == "labelmill, T fitted on the audit":
                        c = TemperatureScaler().fit(raw[a], y[pop][a]).transform(raw).max(1)
                    if policy.startswith("labelmill"):
                        t = choose_threshold(
                            c[a], correct[a], target_accuracy=target, population_scores=c
                        ).threshold
                    else:
                        t = None
                        for g in DEFAULT_THRESHOLDS:
                            above = c[a] >= g
                            if above.sum() >= 10 and correct[a][above].mean() >= target:
                                t = g
                    if t is None:
                        continue
                    acc_runs += 1
                    above = c >= t
                    true_acc = correct[above].mean()
                    shares.append(above.mean())
                    accs.append(true_acc)
                    viol += true_acc < target
                print(
                    f"| {name} | {target} | {policy} | {n_runs} | {acc_runs} | {viol} "
                    f"| {viol / n_runs:.3f} | {statistics.median(shares) if shares else 0:.3f} "
                    f"| {statistics.median(accs) if accs else float('nan'):.4f} |"
                )


def _coverage_population(scenario: str, rng: np.random.Generator, n: int = 20_000):
    """Items with a status-to-be, a class and whether their label is right.

    ``calibrated``: P(right) = confidence score. ``overconfident``: 5 points below it.
    ``class_skew``: classes of unequal difficulty (0, -4 and -10 points).
    15% of the items below 0.9 confidence were labeled by people (97% right).
    """
    label = rng.choice(3, n, p=[0.6, 0.3, 0.1])
    score = 1 - 0.6 * rng.beta(1.0, 4.0, n)
    shift = {
        "calibrated": np.zeros(3),
        "overconfident": np.full(3, -0.05),
        "class_skew": np.array([0.0, -0.04, -0.10]),
    }[scenario]
    machine_ok = rng.uniform(size=n) < np.clip(score + shift[label], 0, 1)
    reviewed = rng.uniform(size=n) < 0.15 * (score < 0.9)
    human_ok = rng.uniform(size=n) < 0.97
    return label, score, np.where(reviewed, human_ok, machine_ok), reviewed


def bench_coverage(n_runs: int = 1000) -> None:
    """How often the 95% intervals of estimate_audit_accuracy cover the true accuracy.

    A fixed population per scenario; each run draws a uniform audit sample, chooses the
    threshold on it (choose_threshold, as a round does), sets statuses, and checks every
    interval against the accuracy of the whole group.
    """
    from labelmill.quality import DEFAULT_THRESHOLDS, choose_threshold, estimate_audit_accuracy

    groups = ["all", "auto", "review", "human", "class 0", "class 1", "class 2"]
    print(
        f"{n_runs} simulated audits per row; coverage = share of runs whose 95% interval "
        "contains the group's true accuracy (runs where the group has no item are left out: "
        "n runs in brackets when fewer). 'auto, plain' is the interval without the "
        "adjustment for choosing the threshold on the same audit.\n"
    )
    print(
        "| scenario | target | audit size | "
        + " | ".join(groups)
        + " | auto, plain | median width auto (adjusted / plain) |"
    )
    print("|" + "---|" * (len(groups) + 5))
    worst = 1.0
    for scenario in ("calibrated", "overconfident", "class_skew"):
        label, score, correct, reviewed = _coverage_population(scenario, np.random.default_rng(7))
        n = len(label)
        truth_fixed = {"all": correct.mean()}
        truth_fixed.update({f"class {c}": correct[label == c].mean() for c in range(3)})
        for target in (0.9, 0.95):
            for n_audit in (300, 1000):
                hits: dict[str, list[bool]] = {g: [] for g in [*groups, "auto, plain"]}
                widths: list[tuple[float, float]] = []
                for run in range(n_runs):
                    rng = np.random.default_rng([run, n_audit])
                    a = rng.choice(n, n_audit, replace=False)
                    machine = ~reviewed[a]
                    t = choose_threshold(
                        score[a][machine], correct[a][machine], target_accuracy=target
                    ).threshold
                    auto = score >= t if t is not None else np.zeros(n, bool)
                    status = np.where(reviewed, "human", np.where(auto, "auto", "review"))
                    m = sum(bool(np.any(score[a][machine] >= g)) for g in DEFAULT_THRESHOLDS)
                    audit = np.where(correct[a], label[a], (label[a] + 1) % 3)
                    tables = [
                        estimate_audit_accuracy(
                            label[a], audit, statuses=status[a], threshold_candidates=mm
                        )
                        for mm in (m, 1)
                    ]
                    for adjusted, table in zip((True, False), tables, strict=True):
                        for row in table.itertuples():
                            name = row.group if row.group_by != "class" else f"class {row.group}"
                            if not adjusted and name != "auto":
                                continue
                            if row.group_by == "status":
                                members = status == row.group
                                if not members.any() or row.n_audited == 0:
                                    continue
                                truth = correct[members].mean()
                            else:
                                truth = truth_fixed[name]
                            key = name if adjusted else "auto, plain"
                            hits[key].append(bool(row.lower <= truth <= row.upper))
                            if name == "auto":
                                if adjusted:
                                    widths.append((row.upper - row.lower, np.nan))
                                else:
                                    widths[-1] = (widths[-1][0], row.upper - row.lower)
                cells = []
                for g in [*groups, "auto, plain"]:
                    h = hits[g]
                    if not h:
                        cells.append("-")
                        continue
                    cov = float(np.mean(h))
                    if g != "auto, plain":
                        worst = min(worst, cov)
                    cells.append(f"{cov:.3f}" + (f" ({len(h)})" if len(h) < n_runs else ""))
                w = (
                    f"{statistics.median(x for x, _ in widths):.3f} / "
                    f"{statistics.median(y for _, y in widths):.3f}"
                    if widths
                    else "-"
                )
                print(f"| {scenario} | {target} | {n_audit} | " + " | ".join(cells) + f" | {w} |")
    print(f"\nlowest coverage of an adjusted interval over all rows and groups: {worst:.3f}")
    bench_coverage_exact()


def bench_coverage_exact() -> None:
    """Exact coverage of the interval for groups the audit did not select (all items, a
    class): the audited members are a simple random sample, so their count of right labels
    is hypergeometric and the coverage can be summed, no simulation needed."""
    from scipy.stats import hypergeom

    from labelmill.quality import exact_interval

    print("\n| scenario | group | items | true accuracy | audited | exact coverage |")
    print("|---|---|---|---|---|---|")
    lowest = 1.0
    for scenario in ("calibrated", "overconfident", "class_skew"):
        label, _, correct, _ = _coverage_population(scenario, np.random.default_rng(7))
        n_items = len(label)
        for group in ("all", "class 0", "class 1", "class 2"):
            members = np.ones(n_items, bool) if group == "all" else label == int(group[-1])
            size, right = int(members.sum()), int(correct[members].sum())
            for n_audit in (300, 1000):
                # audited members of the group: hypergeometric given how many fall in it;
                # average over that count (itself hypergeometric from the whole sample)
                counts = np.arange(n_audit + 1)
                w_count = hypergeom.pmf(counts, n_items, size, n_audit)
                cover = 0.0
                for m, w in zip(counts, w_count, strict=True):
                    if w < 1e-12:
                        continue
                    if m == 0:
                        cover += w
                        continue
                    x = np.arange(m + 1)
                    lo, hi = exact_interval(x, np.full(m + 1, m))
                    inside = (lo <= right / size) & (right / size <= hi)
                    cover += w * hypergeom.pmf(x, size, right, m)[inside].sum()
                lowest = min(lowest, cover)
                print(
                    f"| {scenario} | {group} | {size:,} | {right / size:.4f} | {n_audit} "
                    f"| {cover:.4f} |"
                )
    print(f"\nlowest exact coverage: {lowest:.4f}")


def bench_report() -> None:
    """Render time and size of the report of a simulated 100,000 and 1,000,000-item project."""
    import tempfile

    from labelmill.report import example_report, write_report

    print(
        "| items | build input s (quality functions) | render + write s (median of 3) "
        "| HTML MB | JSON MB |"
    )
    print("|---|---|---|---|---|")
    for n in (100_000, 1_000_000):
        t = time.perf_counter()
        report = example_report(n, random_state=0)
        build = time.perf_counter() - t
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "report.html"
            render = _median_time(lambda r=report, p=path: write_report(r, p))
            html, js = path.stat().st_size / 1e6, path.with_suffix(".json").stat().st_size / 1e6
        print(f"| {n:,} | {build:.1f} | {render:.3f} | {html:.2f} | {js:.2f} |")


def _median_time(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def bench_speed() -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import NearestNeighbors

    from labelmill.learn import EndModel
    from labelmill.quality import find_duplicates

    rng = np.random.default_rng(0)
    d, k = 384, 4
    W = rng.normal(size=(d, k)).astype(np.float32) * 0.2
    print("| task | n | labelmill s (median of 3) | peer | peer s (median of 3) | peer/labelmill |")
    print("|---|---|---|---|---|---|")
    if True:  # n = 20_000, peers measured in the same run
        n = 20_000
        X = rng.normal(size=(n, d)).astype(np.float32)
        Z = X @ W
        P = np.exp(Z - Z.max(1, keepdims=True))
        P /= P.sum(1, keepdims=True)
        ours = _median_time(lambda: EndModel(max_iter=300).fit(X, P))
        Xr, yr = np.repeat(X, k, axis=0), np.tile(np.arange(k), n)
        peer = _median_time(
            lambda: LogisticRegression(max_iter=300).fit(Xr, yr, sample_weight=P.ravel())
        )
        print(
            f"| soft-label logistic fit | {n} | {ours:.2f} | sklearn LogisticRegression on "
            f"k-expanded weighted rows | {peer:.2f} | {peer / ours:.1f} |"
        )
        E = rng.normal(size=(n, d)).astype(np.float32)
        E[n // 2 :: 97] = E[: len(E[n // 2 :: 97])] + 1e-3
        ours = _median_time(lambda: find_duplicates(E, threshold=0.98))
        En = E / np.linalg.norm(E, axis=1, keepdims=True)
        radius = np.sqrt(2 * (1 - 0.98))
        peer = _median_time(
            lambda: NearestNeighbors(radius=radius, algorithm="brute").fit(En).radius_neighbors(En)
        )
        print(
            f"| near-duplicate groups (cosine >= 0.98) | {n} | {ours:.2f} | sklearn "
            f"NearestNeighbors.radius_neighbors (brute) | {peer:.2f} | {peer / ours:.1f} |"
        )
    n = 100_000
    X = rng.normal(size=(n, d)).astype(np.float32)
    Z = X @ W
    P = np.exp(Z - Z.max(1, keepdims=True))
    P /= P.sum(1, keepdims=True)
    ours = _median_time(lambda: EndModel(max_iter=300).fit(X, P))
    print(f"| soft-label logistic fit | {n} | {ours:.2f} | - | - | - |")
    ours = _median_time(lambda: find_duplicates(X, threshold=0.98, method="lsh"))
    print(f"| near-duplicate groups, method='lsh' | {n} | {ours:.2f} | - | - | - |")
    ours = _median_time(lambda: find_duplicates(X, threshold=0.98), repeats=1)
    print(f"| near-duplicate groups, exact (single run) | {n} | {ours:.2f} | - | - | - |")


def bench_duplicates() -> None:
    """LSH near-duplicates at 100k x 384: time and recall of planted pairs."""
    from labelmill.quality import find_duplicates

    rng = np.random.default_rng(0)
    n, d = 100_000, 384
    E = rng.normal(size=(n, d)).astype(np.float32)
    src = rng.choice(n // 2, 1000, replace=False)
    E[n // 2 : n // 2 + 1000] = E[src] + rng.normal(scale=0.11, size=(1000, d))  # cos ~0.988
    print("| seed | seconds | groups | planted pairs found (of 1000) |")
    print("|---|---|---|---|")
    times = []
    for seed in range(3):
        t = time.perf_counter()
        groups = find_duplicates(E, threshold=0.98, method="lsh", random_state=seed)
        times.append(time.perf_counter() - t)
        found = sum(1 for g in groups if len(g) == 2 and g[1] >= n // 2)
        print(f"| {seed} | {times[-1]:.1f} | {len(groups)} | {found} |")
    print(f"| median | {statistics.median(times):.1f} | | |")


def main(argv: list[str]) -> None:
    command = argv[0] if argv else "all"
    if command == "issues":
        seeds = DEV_SEEDS if "--dev" in argv else REPORT_SEEDS
        if "--seeds" in argv:
            seeds = tuple(int(x) for x in argv[argv.index("--seeds") + 1].split(","))
        data = argv[argv.index("--data") + 1].split(",") if "--data" in argv else None
        bench_issues(seeds, data)
        return
    commands = {
        "calibration": bench_calibration,
        "guarantee": bench_guarantee,
        "speed": bench_speed,
        "duplicates": bench_duplicates,
        "coverage": bench_coverage,
        "coverage-exact": bench_coverage_exact,
        "report": bench_report,
    }
    if command == "all":
        bench_issues()
        bench_coverage()
        bench_report()
        return
    commands[command]()


if __name__ == "__main__":
    from threadpoolctl import threadpool_limits

    # one BLAS thread: on the shared 2-core machine two threads are several times slower
    threadpool_limits(limits=1)
    main(sys.argv[1:])
