"""Auto-labeling benchmark: the accuracy guarantee over seeds, label efficiency, throughput.

    .venv/bin/python benchmarks/auto_labeling.py [--sets youtube,trec,...] [--seeds 20]
        [--budget 600] [--batch-size 50] [--technique self_training=on ...]
        [--out benchmarks/out/auto_labeling.json]

For each data set of ../shared/data it builds a labelmill project per seed (the true class
kept as a hidden metadata column, the simulated reviewer's answer key), runs
``Project.simulate`` with the default strategy (the bandit) and the default target
(95% accuracy at 95% confidence), and records after every round whether the auto-accepted
labels really were >= 95% accurate. The baseline is the issue's: label items in random
order by hand and train the same end model on the same features (labeled items counted
right). Features are cached in benchmarks/.cache/features and shared across seeds.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
CACHE = ROOT / "benchmarks" / ".cache"


# -- data sets: (frame with id, payload column(s), truth; data type; classes) --------------
def youtube() -> tuple[pd.DataFrame, str, list[str]]:
    frames = []
    for f in sorted((DATA / "youtube_spam").glob("*.csv")):
        part = pd.read_csv(f, encoding="utf-8")
        part["id"] = f.stem + ":" + part.index.astype(str)
        frames.append(part)
    df = pd.concat(frames, ignore_index=True)
    out = pd.DataFrame(
        {"id": df["id"], "text": df["CONTENT"], "truth": np.where(df["CLASS"] == 1, "spam", "ham")}
    )
    return out, "text", ["spam", "ham"]


def trec() -> tuple[pd.DataFrame, str, list[str]]:
    rows = []
    for name in ("train_5500.label", "TREC_10.label"):
        with open(DATA / "trec" / name, encoding="latin-1") as fh:
            for i, line in enumerate(fh):
                label, text = line.strip().split(" ", 1)
                rows.append({"id": f"{name}:{i}", "text": text, "truth": label.split(":")[0]})
    return pd.DataFrame(rows), "text", ["ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM"]


def ag_news() -> tuple[pd.DataFrame, str, list[str]]:
    df = pd.read_csv(DATA / "ag_news" / "test.csv", header=None, names=["c", "title", "desc"])
    classes = ["World", "Sports", "Business", "Sci/Tech"]
    out = pd.DataFrame(
        {
            "id": [f"ag:{i}" for i in range(len(df))],
            "text": df["title"] + ". " + df["desc"],
            "truth": [classes[c - 1] for c in df["c"]],
        }
    )
    return out, "text", classes


def mnist() -> tuple[pd.DataFrame, str, list[str]]:
    from PIL import Image

    folder = CACHE / "mnist_png"
    with gzip.open(DATA / "mnist_test" / "t10k-labels-idx1-ubyte.gz") as fh:
        labels = np.frombuffer(fh.read(), np.uint8, offset=8)
    if not folder.exists():
        with gzip.open(DATA / "mnist_test" / "t10k-images-idx3-ubyte.gz") as fh:
            images = np.frombuffer(fh.read(), np.uint8, offset=16).reshape(-1, 28, 28)
        tmp = folder.with_suffix(".tmp")
        tmp.mkdir(parents=True, exist_ok=True)
        for i, image in enumerate(images):
            Image.fromarray(image).save(tmp / f"{i:05d}.png")
        tmp.rename(folder)
    out = pd.DataFrame(
        {
            "id": [f"mnist:{i}" for i in range(len(labels))],
            "image": [str(folder / f"{i:05d}.png") for i in range(len(labels))],
            "truth": [str(v) for v in labels],
        }
    )
    return out, "image", [str(d) for d in range(10)]


def cifar() -> tuple[pd.DataFrame, str, list[str]]:
    root = DATA / "cifar10_test_jpg" / "test"
    classes = sorted(p.name for p in root.iterdir() if p.is_dir())
    rows = [
        {"id": f"{c}/{p.name}", "image": str(p), "truth": c}
        for c in classes
        for p in sorted((root / c).glob("*.jpg"))
    ]
    return pd.DataFrame(rows), "image", classes


def adult() -> tuple[pd.DataFrame, str, list[str]]:
    names = [
        "age",
        "workclass",
        "fnlwgt",
        "education",
        "education_num",
        "marital_status",
        "occupation",
        "relationship",
        "race",
        "sex",
        "capital_gain",
        "capital_loss",
        "hours_per_week",
        "native_country",
        "income",
    ]
    parts = [
        pd.read_csv(
            DATA / "adult" / f,
            header=None,
            names=names,
            skipinitialspace=True,
            na_values="?",
            comment="|",
        )
        for f in ("adult.data", "adult.test")
    ]
    df = pd.concat(parts, ignore_index=True).dropna(subset=["income"])
    df["truth"] = df.pop("income").str.rstrip(".")
    df.insert(0, "id", [f"adult:{i}" for i in range(len(df))])
    return df, "tabular", ["<=50K", ">50K"]


SETS = {
    "youtube": youtube,
    "trec": trec,
    "ag_news": ag_news,
    "mnist": mnist,
    "cifar10": cifar,
    "adult": adult,
}


def build(name: str, seed: int, folder: Path, guarantee: str = "project"):
    from labelmill import Project

    frame, data_type, classes = SETS[name]()
    settings = {"seed": seed, "feature_cache": str(CACHE / "features"), "guarantee": guarantee}
    project = Project.init(
        folder / f"{name}-{seed}", classes=classes, data_type=data_type, settings=settings
    )
    payload = {"text": "text", "image": "image"}.get(data_type)
    project.import_items(
        frame,
        id_column="id",
        meta_columns=["truth"],
        **({f"{data_type}_column": payload} if payload else {}),
    )
    return project, frame


def random_baseline(
    project, frame: pd.DataFrame, seed: int, budgets: list[int]
) -> dict[int, float]:
    """Random order by hand + the same end model on the same features (labeled = right)."""
    from labelmill.learn import EndModel
    from labelmill.pipeline.round_data import load_features, load_round_data

    data = load_round_data(project.store)
    X, _ = load_features(project.store, project.schema, project.settings, data, project.feature_dir)
    truth_by_id = dict(zip(frame["id"].astype(str), frame["truth"], strict=True))
    with project.store.session() as session:
        from labelmill.store.queries import items as item_sql

        ids = item_sql.item_ids(session, [int(pk) for pk in data.pks])
    y = np.array([project.schema.index(truth_by_id[ids[int(pk)]]) for pk in data.pks])
    order = np.random.default_rng(seed).permutation(len(y))
    out = {}
    for b in budgets:
        labeled = order[:b]
        if len(np.unique(y[labeled])) < 2:
            out[b] = float("nan")
            continue
        model = EndModel(n_classes=project.schema.cardinality).fit(X[labeled], y[labeled])
        pred = model.predict(X)
        pred[labeled] = y[labeled]
        out[b] = float((pred == y).mean())
    return out


GRID = (
    250,
    500,
    750,
    1000,
    1500,
    2000,
    3000,
    4000,
    5000,
    6000,
    8000,
    10000,
    15000,
    20000,
    30000,
    40000,
)


def random_to_goal(names: list[str], seeds: range, goal: float = 0.95) -> None:
    """Print, per set, the labels random order + the end model needs to reach ``goal``."""
    print(
        "| data set | items | seeds | random order: labels to 95% over all items (median, "
        "min-max) | accuracy over all items at 500 / 1500 labels (median) |"
    )
    print("|---|---|---|---|---|")
    for name in names:
        reached, at = [], {500: [], 1500: []}
        with tempfile.TemporaryDirectory() as tmp:
            for seed in seeds:
                project, frame = build(name, seed, Path(tmp))
                budgets = [b for b in GRID if b < len(frame)] + [len(frame)]
                curve = random_baseline(project, frame, seed, budgets)
                project.close()
                reached.append(first_reaching(sorted(curve.items()), goal))
                for b in at:
                    at[b].append(curve[b])
                print(f"  {name} seed {seed}: {reached[-1]} labels", file=sys.stderr, flush=True)
        print(
            f"| {name} | {len(frame):,} | {len(seeds)} | {int(np.median(reached)):,} "
            f"({min(reached):,}-{max(reached):,}) | {np.median(at[500]):.3f} / "
            f"{np.median(at[1500]):.3f} |",
            flush=True,
        )


def first_reaching(curve: list[tuple[int, float]], goal: float = 0.95) -> int | None:
    for labels, acc in curve:
        if acc >= goal:
            return labels
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument(
        "--first-seed", type=int, default=0, help="Seeds first-seed .. first-seed + seeds - 1."
    )
    parser.add_argument("--budget", type=int, default=600)
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument(
        "--guarantee",
        choices=["project", "per_round"],
        default="project",
        help="The auto-accept policy: over the whole project (default) or per round (the old "
        "one); run both on the same seeds to compare.",
    )
    parser.add_argument(
        "--technique",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="A learning technique for the simulated rounds (repeatable), e.g. "
        "self_training=on; the others keep the project's defaults.",
    )
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "out" / "auto_labeling.json"))
    parser.add_argument(
        "--summarize",
        nargs="+",
        metavar="JSON",
        help="Only print the table of these result files (runs of separate processes).",
    )
    parser.add_argument(
        "--random-to-goal",
        action="store_true",
        help="Only the baseline: labels random order needs to reach 95%% over all items, "
        "searched on a grid far past the budget (seeds first-seed .. first-seed + seeds - 1).",
    )
    args = parser.parse_args()
    if args.random_to_goal:
        random_to_goal(args.sets.split(","), range(args.first_seed, args.first_seed + args.seeds))
        return
    if args.summarize:
        merged: dict[str, dict] = {}
        for path in args.summarize:  # the same set and budget in several files: all runs
            for name, result in json.loads(Path(path).read_text()).items():
                policy = result.get("guarantee", "per_round")
                key = f"{name} (budget {result['budget']}, {policy})"
                if key in merged:
                    merged[key]["runs"] += result["runs"]
                    merged[key]["efficiency"] += result["efficiency"]
                else:
                    merged[key] = result
        print(summarize(merged))
        print()
        print(rounds_table(merged))
        return
    results: dict[str, dict] = {}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():
        results = json.loads(out.read_text())
    for name in args.sets.split(","):
        if not DATA.exists():
            print("../shared/data is absent: nothing to benchmark", file=sys.stderr)
            return
        runs, efficiency = [], []
        with tempfile.TemporaryDirectory() as tmp:
            for seed in range(args.first_seed, args.first_seed + args.seeds):
                start = time.perf_counter()
                project, frame = build(name, seed, Path(tmp), args.guarantee)
                curve = project.simulate(
                    oracle_column="truth",
                    budget=args.budget,
                    batch_size=args.batch_size,
                    techniques=dict(t.split("=", 1) for t in args.technique) or None,
                )
                rows = [r.__dict__ for r in curve]
                held = [
                    r["auto_accuracy_true"] >= 0.95
                    for r in rows
                    if r["auto_accuracy_true"] is not None
                ]
                labels_curve = [
                    (r["human_labels"] + r["audit_labels"], r["accuracy_all_true"]) for r in rows
                ]
                budgets = sorted({lab for lab, _ in labels_curve if lab > 0})
                baseline = random_baseline(project, frame, seed, budgets) if len(runs) < 5 else {}
                runs.append(
                    {
                        "seed": seed,
                        "rounds": rows,
                        "held_every_round": all(held),
                        "held_last": rows[-1]["auto_accuracy_true"] is None
                        or rows[-1]["auto_accuracy_true"] >= 0.95,
                        "auto_rounds": len(held),
                        "seconds": time.perf_counter() - start,
                    }
                )
                if baseline:
                    efficiency.append(
                        {
                            "seed": seed,
                            "labelmill": labels_curve,
                            "random": sorted(baseline.items()),
                        }
                    )
                project.close()
                last = rows[-1]
                results[name] = {
                    "runs": runs,
                    "efficiency": efficiency,
                    "budget": args.budget,
                    "batch_size": args.batch_size,
                    "seeds": args.seeds,
                    "guarantee": args.guarantee,
                }
                out.write_text(json.dumps(results, indent=1, default=float))  # after every run
                print(
                    f"{name} seed {seed}: auto {last['auto_share']:.1%} true acc(auto) "
                    f"{last['auto_accuracy_true']} all {last['accuracy_all_true']:.3f} "
                    f"[{runs[-1]['seconds']:.0f}s]",
                    flush=True,
                )
        results[name] = {
            "runs": runs,
            "efficiency": efficiency,
            "budget": args.budget,
            "batch_size": args.batch_size,
            "seeds": args.seeds,
            "guarantee": args.guarantee,
        }
        out.write_text(json.dumps(results, indent=1, default=float))
    print(summarize(results))
    print()
    print(rounds_table(results))


def _median_reached(values: list[int | None], budget: int) -> str:
    """Median labels to reach the goal, over the runs that reached it within ``budget``."""
    got = [v for v in values if v is not None]
    if not got:
        return f">{budget}"
    if len(got) == len(values):
        return f"{int(np.median(got))}"
    return f"{int(np.median(got))} ({len(got)}/{len(values)} reached)"


def summarize(results: dict) -> str:
    lines = [
        "| data set | runs | runs with auto labels | guarantee held (last round) | "
        "held in every round | auto share (median, last) | acc. all items (median, last) | "
        "labels to 95% all: labelmill / random (median) | acc. all at the budget: labelmill / "
        "random (median) | labels labelmill needed to match random at the budget (median) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        runs = r["runs"]
        with_auto = [x for x in runs if x["auto_rounds"]]
        held_last = sum(x["held_last"] for x in runs)
        held_all = sum(x["held_every_round"] for x in runs)
        share = np.median([x["rounds"][-1]["auto_share"] for x in runs])
        acc = np.median([x["rounds"][-1]["accuracy_all_true"] for x in runs])
        ours = [first_reaching(e["labelmill"]) for e in r["efficiency"]]
        rand = [first_reaching([(b, a) for b, a in e["random"]]) for e in r["efficiency"]]
        reached = f"{_median_reached(ours, r['budget'])} / {_median_reached(rand, r['budget'])}"
        # Same seeds: labelmill's curve against random order's accuracy at the full budget.
        at_budget, match = "—", "—"
        if r["efficiency"]:
            ends = [(e["labelmill"][-1][1], e["random"][-1][1]) for e in r["efficiency"]]
            at_budget = (
                f"{np.median([a for a, _ in ends]):.3f} / {np.median([b for _, b in ends]):.3f}"
            )
            needed = [
                first_reaching(e["labelmill"], goal=e["random"][-1][1]) for e in r["efficiency"]
            ]
            match = _median_reached(needed, r["budget"])
        lines.append(
            f"| {name} | {len(runs)} | {len(with_auto)} | {held_last}/{len(runs)} | "
            f"{held_all}/{len(runs)} | {share:.1%} | {acc:.3f} | {reached} | {at_budget} | "
            f"{match} |"
        )
    return "\n".join(lines)


def rounds_table(results: dict) -> str:
    """Every round with auto-accepted labels. Rounds of one run share its audit sample, so
    a lucky sample shows in several of its rounds: count runs as well as rounds."""
    lines = [
        "| data set | rounds with auto labels | of them below 95% | runs with a round below "
        "95% | worst true accuracy of auto labels | auto share at 500 / 1,000 / 1,500 answers "
        "(median) | runs with a drop > 20 points no audit error explains |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        per_run = [
            [
                row["auto_accuracy_true"]
                for row in run["rounds"]
                if row["auto_accuracy_true"] is not None
            ]
            for run in r["runs"]
        ]
        accs = [a for run in per_run for a in run]
        below = sum(a < 0.95 for a in accs)
        runs_below = sum(any(a < 0.95 for a in run) for run in per_run)
        worst = f"{min(accs):.3f}" if accs else "—"
        shares = " / ".join(_share_at(r["runs"], n) for n in (500, 1000, 1500))
        drops = sum(_unexplained_drop(run["rounds"]) for run in r["runs"])
        lines.append(
            f"| {name} | {len(accs)} | {below} | {runs_below} of {len(per_run)} | {worst} | "
            f"{shares} | {drops} of {len(per_run)} |"
        )
    return "\n".join(lines)


def _share_at(runs: list[dict], answers: int) -> str:
    """Median auto share at the last round with at most ``answers`` people's answers."""
    got = []
    for run in runs:
        rows = [r for r in run["rounds"] if r["human_labels"] + r["audit_labels"] <= answers]
        if rows and run["rounds"][-1]["human_labels"] + run["rounds"][-1]["audit_labels"] >= (
            answers * 0.9
        ):
            got.append(rows[-1]["auto_share"])
    return f"{np.median(got):.1%}" if got else "—"


def _unexplained_drop(rounds: list[dict], points: float = 0.20) -> bool:
    """Whether the auto share fell by more than ``points`` between consecutive rounds
    without an audit error above the threshold to explain it (the round's change causes)."""
    for before, after in zip(rounds, rounds[1:], strict=False):
        dropped = before["auto_share"] - after["auto_share"] > points
        if dropped and "audit_errors" not in (after.get("change") or ""):
            return True
    return False


if __name__ == "__main__":
    main()
