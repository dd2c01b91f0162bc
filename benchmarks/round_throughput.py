"""Throughput of `labelmill run`: items per second per stage on N synthetic texts.

    .venv/bin/python benchmarks/round_throughput.py [--items 100000] [--featurizer minilm|hashing]

Builds a project of N short texts, registers 10 keyword rules, answers 200 items (100
review, 100 blind audit) from the known class, then runs two rounds: the first computes
and caches the features, the second reuses them. Prints seconds and items/s per stage.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

os.environ.setdefault("HF_HUB_OFFLINE", "1")
SPAM = ["free", "win", "cash", "prize", "click", "subscribe", "channel", "offer", "money", "bonus"]
HAM = ["song", "love", "video", "lunch", "meeting", "great", "voice", "music", "dance", "beautiful"]
RULES = "rules:\n" + "".join(
    f"  - {{name: kw_{w}, kind: keywords, keywords: [{w}], label: {c}}}\n"
    for ws, c in ((SPAM[:5], "spam"), (HAM[:5], "ham"))
    for w in ws
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--featurizer", choices=["minilm", "hashing"], default="minilm")
    args = parser.parse_args()
    from labelmill import Project

    rng = np.random.default_rng(0)
    cls = rng.integers(2, size=args.items)
    words = np.where(
        cls[:, None] == 0, rng.choice(SPAM, (args.items, 6)), rng.choice(HAM, (args.items, 6))
    )
    noise = rng.choice(SPAM + HAM, (args.items, 4))
    texts = [" ".join(a) + " " + " ".join(b) for a, b in zip(words, noise, strict=True)]
    frame = pd.DataFrame(
        {
            "id": np.arange(args.items).astype(str),
            "text": texts,
            "truth": np.where(cls == 0, "spam", "ham"),
        }
    )
    settings = {} if args.featurizer == "minilm" else {"featurizer": {"kind": "hashing"}}
    with tempfile.TemporaryDirectory() as tmp:
        project = Project.init(Path(tmp) / "p", classes=["spam", "ham"], settings=settings)
        start = time.perf_counter()
        project.import_items(frame, id_column="id", meta_columns=["truth"])
        import_s = time.perf_counter() - start
        (Path(tmp) / "rules.yaml").write_text(RULES)
        start = time.perf_counter()
        project.register_rules(Path(tmp) / "rules.yaml")
        rules_s = time.perf_counter() - start
        truth = dict(zip(frame["id"], frame["truth"], strict=True))
        for queue in ("review", "audit"):
            for entry in project.next_items(100, queue=queue, user="bench"):
                project.add_answer(entry.item_id, truth[entry.item_id], user="bench", queue=queue)
        first = project.run_round()
        second = project.run_round()
        project.close()
    n = args.items
    print(
        f"{n:,} texts, featurizer {args.featurizer}: import {import_s:.1f} s "
        f"({n / import_s:,.0f}/s); 10 keyword rules registered and applied in {rules_s:.1f} s "
        f"({n / rules_s:,.0f}/s)"
    )
    print("| stage | round 1 s | round 1 items/s | round 2 s (features cached) | round 2 items/s |")
    print("|---|---|---|---|---|")
    for stage in first.seconds:
        a, b = first.seconds[stage], second.seconds.get(stage, float("nan"))
        print(
            f"| {stage} | {a:.2f} | {n / max(a, 1e-9):,.0f} | {b:.2f} | {n / max(b, 1e-9):,.0f} |"
        )
    total_a, total_b = sum(first.seconds.values()), sum(second.seconds.values())
    print(f"| total | {total_a:.1f} | {n / total_a:,.0f} | {total_b:.1f} | {n / total_b:,.0f} |")


if __name__ == "__main__":
    main()
