"""Weak supervision benchmark: labelmill vs Snorkel 0.10.0, side by side.

Run (from the repository root, in the benchmark venv that holds the peers):

    OMP_NUM_THREADS=1 PYTHONPATH=src nice -n 10 .venv-bench/bin/python \
        benchmarks/weak_supervision.py [--only quality,parameters,agnews,fit,rules]
        [--n-texts 500000] [--out docs/bench/weak_supervision.md]

Sections:
- quality: WRENCH youtube / sms / trec (LF votes shipped with the data): fit on train L,
  score on test the way WRENCH scores label models (predict_proba, Snorkel's
  probs_to_preds with hashed tie-breaking, then accuracy; F1 of the spam class for sms).
- parameters: fitted class balance and rule accuracies against the train gold.
- agnews: 32 keyword rules of our own on AG News (dev half to write them, eval half to
  score; split with seed 0).
- (crowd sets: see benchmarks/crowd.py.)
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


def wrench_score(proba, y, binary_f1):
    """WRENCH's scoring (wrench/evaluation.py): predict_proba, then Snorkel's probs_to_preds
    with its default tie policy (ties within 1e-5 broken by a deterministic hash of the
    row index), then accuracy or binary F1 of class 1."""
    from snorkel.utils import probs_to_preds

    pred = probs_to_preds(np.asarray(proba))
    if binary_f1:
        tp = np.sum((pred == 1) & (y == 1))
        return 100.0 * 2 * tp / max(np.sum(pred == 1) + np.sum(y == 1), 1)
    return 100.0 * float(np.mean(pred == y))


def snorkel_label_model(k, L):
    from snorkel.labeling.model import LabelModel as SnorkelLM

    model = SnorkelLM(cardinality=k, verbose=False)
    model.fit(L, progress_bar=False, seed=123)
    return model


def section_quality():
    from snorkel.labeling.model import MajorityLabelVoter

    from labelmill.labelmodel import DawidSkene, LabelModel, MajorityVote

    rows, goals = [], []
    for name in ("youtube", "sms", "trec"):
        Ltr, _ = load_wrench(name, "train")
        Lva, yva = load_wrench(name, "valid")
        Lte, yte = load_wrench(name, "test")
        k = int(max(Ltr.max(), yte.max())) + 1
        f1 = name == "sms"
        slm = snorkel_label_model(k, Ltr)
        lm = LabelModel(cardinality=k, random_state=0).fit(Ltr)
        lmg = LabelModel(cardinality=k, random_state=0).fit(
            np.vstack([Ltr, Lva]), np.r_[np.full(len(Ltr), -1), yva]
        )
        probas = {
            "Snorkel LabelModel": slm.predict_proba(Lte),
            "Snorkel MajorityLabelVoter": MajorityLabelVoter(cardinality=k).predict_proba(Lte),
            "labelmill MajorityVote": MajorityVote(cardinality=k).fit(Ltr).predict_proba(Lte),
            "labelmill DawidSkene": DawidSkene(cardinality=k).fit(Ltr).predict_proba(Lte),
            "**labelmill LabelModel** (unsupervised)": lm.predict_proba(Lte),
            "labelmill LabelModel + valid gold as y": lmg.predict_proba(Lte),
        }
        scores = {m: wrench_score(P, yte, f1) for m, P in probas.items()}
        for model, value in scores.items():
            rows.append((name, model, f"{value:.1f}"))
        ours = scores["**labelmill LabelModel** (unsupervised)"]
        bar = max(scores["Snorkel LabelModel"], scores["Snorkel MajorityLabelVoter"])
        mark = " ✓" if ours >= bar - 1e-9 else " ✗"
        metric = "spam F1" if f1 else "accuracy"
        goals.append((name, metric, f"{ours:.1f}", f"{bar:.1f}", f"{ours - bar:+.1f}{mark}"))
        print(f"quality {name} done", file=sys.stderr)
    table = md_table(("set", "model", "test score (youtube/trec accuracy, sms spam F1)"), rows)
    table += "\n\n" + md_table(
        ("set", "metric", "labelmill LabelModel", "max(Snorkel LM, majority vote)", "difference"),
        goals,
    )
    return table


def section_parameters():
    """Fitted class balance and source accuracies against the train gold."""
    from labelmill.labelmodel import LabelModel

    rows = []
    for name in ("youtube", "sms", "trec"):
        L, y = load_wrench(name, "train")
        k = int(max(L.max(), y.max())) + 1
        covered = (L >= 0).any(axis=1)
        truth = np.bincount(y[covered], minlength=k) / covered.sum()
        fired = L >= 0
        true_acc = np.array(
            [
                np.mean(L[fired[:, j], j] == y[fired[:, j]]) if fired[:, j].any() else np.nan
                for j in range(L.shape[1])
            ]
        )
        slm = snorkel_label_model(k, L)
        lm = LabelModel(cardinality=k, random_state=0).fit(L)
        for label, prior_err, acc in (
            ("Snorkel LabelModel (default fit)", "uniform, not learned", slm.get_weights()),
            (
                "labelmill LabelModel",
                f"{np.abs(lm.class_prior_ - truth).max():.3f}",
                lm.source_accuracies(),
            ),
        ):
            acc = np.asarray(acc, dtype=np.float64)
            ok = ~np.isnan(true_acc) & ~np.isnan(acc)
            rows.append(
                (
                    name,
                    label,
                    prior_err,
                    f"{np.abs(acc - true_acc)[ok].mean():.3f}",
                    f"{int(np.sum((true_acc >= 0.9) & (acc < 0.5)))} of "
                    f"{int(np.sum(true_acc >= 0.9))}",
                )
            )
    return md_table(
        (
            "set",
            "model",
            "class balance: max abs error",
            "source accuracy: mean abs error",
            "rules >= 90% right reported < 50%",
        ),
        rows,
    )


# --------------------------------------------------------------------------- ag_news rules
AG_NEWS_RULES = [
    # (class, keywords); classes: 0 World, 1 Sports, 2 Business, 3 Sci/Tech. Written from
    # the dev half only (seed 0, 3,800 items); never tuned on the eval half.
    (0, ["iraq", "iraqi", "baghdad", "fallujah", "saddam"]),
    (0, ["prime minister", "foreign minister", "minister", "parliament"]),
    (0, ["killed", "killing", "bomb", "blast", "suicide", "explosion"]),
    (0, ["troops", "soldiers", "militants", "rebels", "insurgents", "army"]),
    (0, ["election", "elections", "presidential", "opposition", "referendum"]),
    (0, ["israel", "israeli", "palestinian", "gaza", "arafat", "hamas"]),
    (0, ["nuclear", "iran", "north korea", "united nations", "darfur", "sudan"]),
    (0, ["afghanistan", "afghan", "taliban", "pakistan", "terror", "hostage"]),
    (1, ["coach", "season", "league", "teams", "playoffs"]),
    (1, ["cup", "champions", "championship", "tournament", "title"]),
    (1, ["football", "soccer", "baseball", "basketball", "hockey", "tennis", "golf"]),
    (1, ["nfl", "nba", "nhl", "mlb", "ncaa", "fifa"]),
    (1, ["olympic", "olympics", "medal", "athletes"]),
    (1, ["quarterback", "touchdown", "yards", "inning", "pitcher", "home run"]),
    (1, ["red sox", "yankees", "arsenal", "chelsea", "manchester united", "real madrid"]),
    (1, ["striker", "scored", "stadium", "fans", "victory over"]),
    (2, ["stocks", "shares", "wall street", "dow", "nasdaq", "stock market"]),
    (2, ["profit", "profits", "earnings", "quarterly", "revenue"]),
    (2, ["oil prices", "crude", "barrel", "opec", "gasoline"]),
    (2, ["investors", "investor", "shareholders", "securities"]),
    (2, ["bankruptcy", "debt", "bonds", "creditors"]),
    (2, ["airline", "airlines", "airways"]),
    (2, ["inflation", "interest rates", "federal reserve", "economy", "economic", "dollar"]),
    (2, ["merger", "acquisition", "takeover", "buyout", "fullquote", "quickinfo"]),
    (3, ["microsoft", "windows", "google", "yahoo", "ibm", "intel", "dell", "cisco"]),
    (3, ["internet", "web site", "online", "browser", "spam", "e-mail", "search engine"]),
    (3, ["software", "linux", "open source", "server", "desktop", "version"]),
    (3, ["space", "nasa", "spacecraft", "shuttle", "mars", "planet", "astronomers"]),
    (3, ["scientists", "researchers", "species", "scientific"]),
    (3, ["mobile phone", "wireless", "cell phone", "chip", "processor", "broadband"]),
    (3, ["users", "technology", "computer", "computers", "digital"]),
    (3, ["ipod", "video game", "playstation", "xbox", "nintendo", "music download"]),
]


def load_ag_news(seed=0):
    """The 7,600 AG News test items, split 50/50 with ``seed``: (dev, eval)."""
    import html

    df = pd.read_csv(
        DATA / "ag_news" / "test.csv",
        header=None,
        names=["cls", "title", "desc"],
        encoding="utf-8",
    )
    text = (df["title"] + " " + df["desc"]).str.replace("#39;", "'").str.replace("quot;", '"')
    df["text"] = text.map(html.unescape).str.replace("\\", " ", regex=False)
    df["y"] = df["cls"] - 1
    perm = np.random.default_rng(seed).permutation(len(df))
    half = len(df) // 2
    return df.iloc[perm[:half]].reset_index(drop=True), df.iloc[perm[half:]].reset_index(drop=True)


def section_agnews():
    from snorkel.labeling.model import MajorityLabelVoter

    from labelmill.labelmodel import DawidSkene, LabelModel, MajorityVote
    from labelmill.lf import apply_lfs, rules_from_dicts

    dev, ev = load_ag_news()
    rules = rules_from_dicts(
        [
            {"name": f"r{i:02d}", "kind": "keywords", "keywords": words, "label": c}
            for i, (c, words) in enumerate(AG_NEWS_RULES)
        ]
    )
    L_dev = np.asarray(apply_lfs(rules, dev[["text"]]))
    L_ev = np.asarray(apply_lfs(rules, ev[["text"]]))
    y_ev = ev["y"].to_numpy()
    k = 4
    lm = LabelModel(cardinality=k, random_state=0).fit(L_dev)
    probas = {
        "Snorkel LabelModel": snorkel_label_model(k, L_dev).predict_proba(L_ev),
        "Snorkel MajorityLabelVoter": MajorityLabelVoter(cardinality=k).predict_proba(L_ev),
        "labelmill MajorityVote": MajorityVote(cardinality=k).fit(L_dev).predict_proba(L_ev),
        "labelmill DawidSkene": DawidSkene(cardinality=k).fit(L_dev).predict_proba(L_ev),
        "**labelmill LabelModel**": lm.predict_proba(L_ev),
    }
    rows = [(m, f"{wrench_score(P, y_ev, False):.1f}") for m, P in probas.items()]
    fired = L_ev >= 0
    right = L_ev[fired] == np.broadcast_to(y_ev[:, None], L_ev.shape)[fired]
    text = md_table(("model (fit on the dev half's votes)", "eval-half accuracy"), rows)
    text += (
        f"\n\n{len(AG_NEWS_RULES)} keyword rules ({len(AG_NEWS_RULES) // 4} per class); "
        f"coverage {100 * np.mean((L_dev >= 0).any(axis=1)):.1f}% (dev) / "
        f"{100 * np.mean(fired.any(axis=1)):.1f}% (eval); {100 * np.mean(right):.1f}% of the "
        f"eval votes right; {len(lm.refinements_)} refinement pairs learned."
    )
    return text


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
    ap.add_argument("--only", default="quality,parameters,agnews,fit,rules")
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
    if "parameters" in sections:
        parts["parameters"] = section_parameters()
    if "agnews" in sections:
        parts["agnews"] = section_agnews()
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
