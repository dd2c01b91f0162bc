"""Weak supervision benchmark: labelmill vs Snorkel 0.10.0 and crowd-kit, side by side.

Run (from the repository root, in the benchmark venv that holds the peers):

    nice -n 10 .venv-bench/bin/python benchmarks/weak_supervision.py \
        [--only quality,crowd,fit,rules]
        [--n-texts 500000] [--out docs/bench/weak_supervision.md]

Sections:
- quality: WRENCH youtube / sms / trec (LF votes shipped with the data): fit on train L,
  score on test. youtube and trec: accuracy; sms: F1 of the spam class (and accuracy).
  Uncovered test items are scored as each model predicts them.
- crowd: the crowd sets (workers as sources), accuracy on the items with gold.
- fit: fit time on a synthetic 1,000,000 x 50 matrix with known accuracies.
- rules: 30 keyword/regex rules on synthetic texts built by resampling the words of the real
  SMS + YouTube corpora; declarative rules vs the same rules as Python LFs under Snorkel's
  PandasLFApplier; and the ``processes`` engine with 1 vs 2 workers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(os.environ.get("LABELMILL_DATA", "/work/shared/data"))
ROOT = Path(__file__).resolve().parents[1]


def median_time(fn, repeats):
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def md_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


# --------------------------------------------------------------------------- quality
def load_wrench(name, split):
    with open(DATA / "wrench" / name / f"{split}.json", encoding="utf-8") as fh:
        j = json.load(fh)
    L = np.array([v["weak_labels"] for v in j.values()], dtype=np.int64)
    y = np.array([v["label"] for v in j.values()], dtype=np.int64)
    return L, y


def section_quality():
    from snorkel.labeling.model import LabelModel as SnorkelLM
    from snorkel.labeling.model import MajorityLabelVoter

    from labelmill.labelmodel import DawidSkene, LabelModel, MajorityVote

    rows = []
    for name in ("youtube", "sms", "trec"):
        Ltr, _ = load_wrench(name, "train")
        Lva, yva = load_wrench(name, "valid")
        Lte, yte = load_wrench(name, "test")
        k = int(max(Ltr.max(), yte.max())) + 1

        def score(pred, y=yte, name=name):
            acc = 100 * float(np.mean(pred == y))
            if name == "sms":
                tp = np.sum((pred == 1) & (y == 1))
                f1 = 2 * tp / max(np.sum(pred == 1) + np.sum(y == 1), 1)
                return 100 * f1, acc
            return acc, acc

        slm = SnorkelLM(cardinality=k, verbose=False)
        slm.fit(Ltr, progress_bar=False, seed=123)
        results = {
            "Snorkel LabelModel, ties -> abstain (default)": slm.predict(Lte),
            "Snorkel LabelModel, ties -> random": slm.predict(Lte, tie_break_policy="random"),
        }
        mlv = MajorityLabelVoter(cardinality=k)
        results["Snorkel MajorityLabelVoter, ties -> abstain (default)"] = mlv.predict(Lte)
        results["Snorkel MajorityLabelVoter, ties -> random"] = mlv.predict(
            Lte, tie_break_policy="random"
        )
        results["labelmill MajorityVote"] = MajorityVote(cardinality=k).fit(Ltr).predict(Lte)
        results["labelmill DawidSkene"] = DawidSkene(cardinality=k).fit(Ltr).predict(Lte)
        lm = LabelModel(cardinality=k, random_state=0).fit(Ltr)
        results["**labelmill LabelModel** (unsupervised)"] = lm.predict(Lte)
        L_both = np.vstack([Ltr, Lva])
        gold = np.r_[np.full(len(Ltr), -1), yva]
        lmg = LabelModel(cardinality=k, random_state=0).fit(L_both, gold)
        results[f"labelmill LabelModel + valid gold (fallback={lmg.fallback_})"] = lmg.predict(Lte)
        for model, pred in results.items():
            main, acc = score(np.asarray(pred))
            rows.append((name, model, f"{main:.1f}", f"{acc:.1f}"))
        print(f"quality {name} done", file=sys.stderr)
    return md_table(("set", "model", "metric (youtube/trec acc, sms spam F1)", "accuracy"), rows)


# --------------------------------------------------------------------------- crowd
def section_crowd():
    from crowdkit.aggregation import DawidSkene as CKDawidSkene
    from crowdkit.aggregation import MajorityVote as CKMajorityVote

    from labelmill.labelmodel import DawidSkene, LabelModel, MajorityVote

    rows = []
    wins = 0
    sets = sorted(p.name for p in (DATA / "crowd").iterdir() if p.is_dir())
    for name in sets:
        lab = pd.read_csv(DATA / "crowd" / name / "label.csv")
        truth = pd.read_csv(DATA / "crowd" / name / "truth.csv")
        n = int(max(lab["item"].max(), truth["item"].max())) + 1
        m = int(lab["worker"].max()) + 1
        k = int(max(lab["label"].max(), truth["truth"].max())) + 1
        lab = lab.drop_duplicates(["item", "worker"], keep="last")
        import scipy.sparse as sp

        S = sp.csr_matrix(
            (lab["label"].to_numpy() + 1, (lab["item"].to_numpy(), lab["worker"].to_numpy())),
            shape=(n, m),
        )
        items = truth["item"].to_numpy()
        y = truth["truth"].to_numpy()

        def acc(pred, items=items, y=y):
            return 100 * float(np.mean(np.asarray(pred)[items] == y))

        df = lab.rename(columns={"item": "task"})[["task", "worker", "label"]]
        t_ck, ck = median_time(lambda df=df: CKDawidSkene(n_iter=100).fit_predict(df), 1)
        ck_full = np.full(n, -1)
        ck_full[ck.index.to_numpy()] = ck.to_numpy()
        ck_mv = CKMajorityVote().fit_predict(df)
        ckmv_full = np.full(n, -1)
        ckmv_full[ck_mv.index.to_numpy()] = ck_mv.to_numpy()
        mv = acc(MajorityVote(cardinality=k).fit(S).predict(S))
        ds = acc(DawidSkene(cardinality=k, abstain="ignore").fit(S).predict(S))
        t_lm, model = median_time(
            lambda S=S, k=k: LabelModel(cardinality=k, random_state=0).fit(S), 1
        )
        lm = acc(model.predict(S))
        ck_acc = acc(ck_full)
        wins += lm >= ck_acc - 1e-9
        rows.append(
            (
                name,
                n,
                m,
                k,
                f"{acc(ckmv_full):.1f}",
                f"{ck_acc:.1f}",
                f"{mv:.1f}",
                f"{ds:.1f}",
                f"**{lm:.1f}**",
                f"{lm - ck_acc:+.1f}",
                f"{lm - mv:+.1f}",
            )
        )
        print(f"crowd {name} done", file=sys.stderr)
    table = md_table(
        (
            "set",
            "items",
            "workers",
            "k",
            "crowd-kit MV",
            "crowd-kit DS",
            "labelmill MV",
            "labelmill DS (abstain ignored)",
            "labelmill LabelModel",
            "LM - crowd-kit DS",
            "LM - labelmill MV",
        ),
        rows,
    )
    return table + f"\n\nLabelModel at or above crowd-kit DawidSkene on {wins} of {len(rows)} sets."


# --------------------------------------------------------------------------- fit time
def synthetic_matrix(n=1_000_000, m=50, k=2, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    acc = rng.uniform(0.55, 0.9, m)
    cov = rng.uniform(0.05, 0.5, m)
    right = rng.random((n, m)) < acc
    wrong = (y[:, None] + rng.integers(1, k, (n, m))) % k
    L = np.where(right, y[:, None], wrong)
    L = np.where(rng.random((n, m)) < cov, L, -1).astype(np.int64)
    return L, y


def section_fit(repeats_snorkel=3, repeats_ours=5):
    from snorkel.labeling.model import LabelModel as SnorkelLM

    from labelmill.labelmodel import LabelModel, MajorityVote

    L, y = synthetic_matrix()
    t_s, slm = median_time(
        lambda: SnorkelLM(cardinality=2, verbose=False).fit(L, progress_bar=False, seed=123),
        repeats_snorkel,
    )
    slm = SnorkelLM(cardinality=2, verbose=False)
    slm.fit(L, progress_bar=False, seed=123)
    acc_s = 100 * float(np.mean(slm.predict(L, tie_break_policy="random") == y))
    t_o, lm = median_time(lambda: LabelModel(random_state=0).fit(L), repeats_ours)
    acc_o = 100 * float(np.mean(lm.predict(L) == y))
    t_full, lmf = median_time(lambda: LabelModel(random_state=0, max_fit_items=None).fit(L), 3)
    acc_full = 100 * float(np.mean(lmf.predict(L) == y))
    t_p, _ = median_time(lambda: lm.predict_proba(L), 3)
    acc_mv = 100 * float(np.mean(MajorityVote().fit(L).predict(L) == y))
    rows = [
        ("Snorkel LabelModel.fit (defaults, 100 epochs)", f"{t_s:.2f}", f"{acc_s:.2f}", "1.0x"),
        (
            "labelmill LabelModel.fit (default: EM on 100k sampled covered items)",
            f"{t_o:.2f}",
            f"{acc_o:.2f}",
            f"**{t_s / t_o:.1f}x**",
        ),
        (
            "labelmill LabelModel.fit (max_fit_items=None: all 1M items)",
            f"{t_full:.2f}",
            f"{acc_full:.2f}",
            f"{t_s / t_full:.1f}x",
        ),
        ("labelmill LabelModel.predict_proba on 1M items", f"{t_p:.2f}", "", ""),
        ("(majority vote accuracy, for reference)", "", f"{acc_mv:.2f}", ""),
    ]
    return md_table(
        (
            "what",
            f"median seconds (Snorkel x{repeats_snorkel}, ours x{repeats_ours})",
            "accuracy on the 1M items (%)",
            "speed-up vs Snorkel",
        ),
        rows,
    )


# --------------------------------------------------------------------------- rules
def corpus_words():
    words = []
    sms = (DATA / "sms_spam" / "SMSSpamCollection").read_text(encoding="utf-8").splitlines()
    texts = [line.split("\t", 1)[1] for line in sms if "\t" in line]
    for f in sorted((DATA / "youtube_spam").glob("*.csv")):
        texts += pd.read_csv(f, encoding="utf-8")["CONTENT"].astype(str).tolist()
    lengths = []
    for t in texts:
        w = t.split()
        words += w
        lengths.append(len(w))
    return np.array(words, dtype=object), np.array(lengths)


def synthetic_texts(n, seed=0):
    words, lengths = corpus_words()
    rng = np.random.default_rng(seed)
    lens = np.clip(rng.choice(lengths, size=n), 1, 60)
    flat = rng.choice(words, size=int(lens.sum()))
    cuts = np.cumsum(lens)[:-1]
    return [" ".join(chunk) for chunk in np.split(flat, cuts)]


RULE_SPECS = [
    # (kind, keywords-or-pattern, label)
    ("keywords", ["free", "win", "winner", "prize"], 1),
    ("keywords", ["call", "txt", "text"], 1),
    ("keywords", ["subscribe", "channel"], 1),
    ("keywords", ["check out", "check my"], 1),
    ("keywords", ["click", "visit", "website"], 1),
    ("keywords", ["cash", "money", "£1000"], 1),
    ("keywords", ["urgent", "claim", "award"], 1),
    ("keywords", ["mobile", "phone"], 1),
    ("keywords", ["offer", "deal", "discount"], 1),
    ("keywords", ["stop", "reply"], 1),
    ("keywords", ["love", "song", "video"], 0),
    ("keywords", ["lol", "haha", "lmao"], 0),
    ("keywords", ["ok", "okay"], 0),
    ("keywords", ["home", "later", "tonight"], 0),
    ("keywords", ["sorry", "thanks", "thank you"], 0),
    ("keywords", ["mom", "dad", "sister", "brother"], 0),
    ("keywords", ["best", "awesome", "amazing"], 0),
    ("keywords", ["u", "ur"], 0),
    ("keywords", ["i'm", "im", "i am"], 0),
    ("keywords", ["eminem", "katy", "shakira", "psy"], 0),
    ("regex", r"\d{5,}", 1),
    ("regex", r"https?://\S+", 1),
    ("regex", r"www\.\S+", 1),
    ("regex", r"\b[A-Z]{4,}\b", 1),
    ("regex", r"!{2,}", 1),
    ("regex", r"£\s?\d+", 1),
    ("regex", r"\b(?:18|16)\+", 1),
    ("regex", r"\?\s*$", 0),
    ("regex", r"\b(?:he|she) (?:is|was)\b", 0),
    ("regex", r":\)|:-\)|;\)", 0),
]


def build_rules():
    from labelmill.lf import rules_from_dicts

    items = []
    for i, (kind, spec, label) in enumerate(RULE_SPECS):
        if kind == "keywords":
            items.append({"name": f"r{i:02d}", "kind": kind, "keywords": spec, "label": label})
        else:
            items.append({"name": f"r{i:02d}", "kind": kind, "pattern": spec, "label": label})
    return rules_from_dicts(items)


def python_lf_funcs(rules):
    """The same rules as plain Python functions (row by row, Python ``re``)."""
    funcs = []
    for r in rules:
        pattern = r.pattern if r.kind == "keywords" else r.params["pattern"]
        compiled = re.compile(pattern, re.IGNORECASE)
        label = int(r.params["label"])

        def f(x, compiled=compiled, label=label):
            return label if x.text is not None and compiled.search(x.text) else -1

        funcs.append((r.name, f))
    return funcs


def section_rules(n_texts, n_snorkel, n_proc):
    from snorkel.labeling import LabelingFunction as SnorkelLF
    from snorkel.labeling import PandasLFApplier

    from labelmill.lf import LabelingFunction, apply_lfs

    texts = synthetic_texts(n_texts)
    df = pd.DataFrame({"text": texts})
    rules = build_rules()
    funcs = python_lf_funcs(rules)
    t_full, L_full = median_time(lambda: apply_lfs(rules, df), 3)
    n_s = min(n_snorkel, n_texts)
    sub_s = df.iloc[:n_s]
    t_ours, L_ours = median_time(lambda: apply_lfs(rules, sub_s), 3)
    snorkel_lfs = [SnorkelLF(name, f=f) for name, f in funcs]
    t_snorkel, L_snorkel = median_time(
        lambda: PandasLFApplier(snorkel_lfs).apply(sub_s, progress_bar=False), 1
    )
    same = bool(np.array_equal(np.asarray(L_ours), L_snorkel))
    same_full = bool(np.array_equal(np.asarray(L_full)[:n_s], np.asarray(L_ours)))
    coverage = float(np.mean((np.asarray(L_full) >= 0).any(axis=1)))
    non_ascii = float(np.mean([not t.isascii() for t in texts]))
    rows = [
        (
            f"Snorkel PandasLFApplier, 30 Python LFs (re.search), {n_s:,} texts",
            f"{t_snorkel:.2f}",
            "1.0x",
        ),
        (
            f"labelmill apply_lfs, 30 declarative rules, same {n_s:,} texts",
            f"{t_ours:.3f}",
            f"**{t_snorkel / t_ours:.0f}x**",
        ),
        (
            f"labelmill apply_lfs, 30 declarative rules, {n_texts:,} texts",
            f"{t_full:.3f}",
            f"{t_snorkel * n_texts / n_s / t_full:.0f}x vs Snorkel's time scaled linearly",
        ),
    ]
    table = md_table(("what", "median seconds (Snorkel x1, ours x3)", "speed-up"), rows)
    table += (
        f"\n\nVotes identical to Snorkel's on the {n_s:,} texts: **{same}** "
        f"({np.asarray(L_ours).size:,} votes); first {n_s:,} rows of the {n_texts:,}-text run "
        f"identical too: {same_full}. {100 * coverage:.1f}% of texts get at least one vote; "
        f"{100 * non_ascii:.1f}% of texts hold non-ASCII characters (checked with Python's re)."
    )
    # processes engine scaling, Python LFs
    n_proc = min(n_texts, n_proc)
    sub = df.iloc[:n_proc]
    lfs = [LabelingFunction(name, f) for name, f in funcs]
    t_local, L_local = median_time(lambda: apply_lfs(lfs, sub), 2)
    t1, L1 = median_time(lambda: apply_lfs(lfs, sub, engine="processes", n_jobs=1), 2)
    t2, L2 = median_time(lambda: apply_lfs(lfs, sub, engine="processes", n_jobs=2), 2)
    same_p = bool(np.array_equal(L_local, L1) and np.array_equal(L_local, L2))
    rows = [
        ("local (one process)", f"{t_local:.2f}", "1.00x"),
        ("processes, n_jobs=1", f"{t1:.2f}", f"{t_local / t1:.2f}x"),
        ("processes, n_jobs=2", f"{t2:.2f}", f"{t_local / t2:.2f}x"),
    ]
    table += "\n\n" + md_table(
        (f"30 Python LFs on {n_proc:,} texts", "median seconds (x2)", "speed-up vs local"), rows
    )
    table += f"\n\n1 -> 2 workers: **{t1 / t2:.2f}x**; votes identical across engines: {same_p}."
    return table


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--only", default="quality,crowd,fit,rules")
    ap.add_argument("--n-texts", type=int, default=500_000)
    ap.add_argument("--n-snorkel", type=int, default=50_000, help="texts given to Snorkel")
    ap.add_argument("--n-proc", type=int, default=100_000, help="texts for the engine scaling")
    ap.add_argument("--out", default=str(ROOT / "docs" / "bench" / "weak_supervision.md"))
    args = ap.parse_args()
    sections = args.only.split(",")
    import snorkel

    parts = {}
    if "quality" in sections:
        parts["quality"] = section_quality()
    if "crowd" in sections:
        parts["crowd"] = section_crowd()
    if "fit" in sections:
        parts["fit"] = section_fit()
    if "rules" in sections:
        parts["rules"] = section_rules(args.n_texts, args.n_snorkel, args.n_proc)
    try:
        import crowdkit

        ck_version = crowdkit.__version__
    except Exception:
        ck_version = "?"
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    header = (
        f"<!-- generated by benchmarks/weak_supervision.py on {stamp}; "
        f"python {platform.python_version()}, {os.cpu_count()} cores (shared, noisy); "
        f"snorkel {snorkel.__version__}, crowd-kit {ck_version} -->\n"
    )
    out = Path(args.out)
    existing = out.read_text(encoding="utf-8") if out.exists() else ""
    for key, text in parts.items():
        begin, end = f"<!-- {key}:begin -->", f"<!-- {key}:end -->"
        block = f"{begin}\n{header}{text}\n{end}"
        if begin in existing and end in existing:
            a, b = existing.index(begin), existing.index(end) + len(end)
            existing = existing[:a] + block + existing[b:]
        else:
            existing += f"\n{block}\n"
        print(f"\n## {key}\n{text}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(existing, encoding="utf-8")


if __name__ == "__main__":
    main()
