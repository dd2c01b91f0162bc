"""Import 1,000,000 CSV rows and report time and peak memory (the import streams in chunks).

    .venv/bin/python benchmarks/import_scale.py [--rows 1000000]

Runs `labelmill import` in a child process and reads its peak resident memory from
getrusage; as a reference, the peak of a child that only loads the same file whole with
pandas.read_csv.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

WORDS = [
    "free",
    "win",
    "cash",
    "now",
    "click",
    "here",
    "see",
    "you",
    "at",
    "lunch",
    "meeting",
    "notes",
    "thanks",
    "prize",
    "claim",
    "tomorrow",
    "song",
    "love",
    "video",
    "channel",
    "subscribe",
    "check",
    "out",
    "this",
    "great",
]


def make_csv(path: Path, rows: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("id,text,label\n")
        for start in range(0, rows, 100_000):
            n = min(100_000, rows - start)
            picks = rng.integers(len(WORDS), size=(n, 12))
            labels = rng.integers(2, size=n)
            fh.writelines(
                f"r{start + i},{' '.join(WORDS[w] for w in picks[i])} {start + i},"
                f"{'spam' if labels[i] else 'ham'}\n"
                for i in range(n)
            )


def child_peak_mb(cmd: list[str]) -> tuple[float, float]:
    """Run cmd in a fresh process; return (seconds, its peak RSS in MB)."""
    script = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, *cmd], check=True, capture_output=True, text=True
    ).stdout.split()
    return float(out[0]), float(out[1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    exe = str(Path(sys.executable).parent / "labelmill")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "rows.csv"
        make_csv(data, args.rows)
        size_mb = data.stat().st_size / 2**20
        subprocess.run(
            [exe, "init", f"{tmp}/p", "--classes", "spam,ham"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        seconds, peak = child_peak_mb(
            [exe, "import", f"{tmp}/p", str(data), "--id-column", "id", "--gold-column", "label"]
        )
        again, peak_again = child_peak_mb(
            [exe, "import", f"{tmp}/p", str(data), "--id-column", "id"]
        )
        _, pandas_peak = child_peak_mb(
            [sys.executable, "-c", f"import pandas as pd; pd.read_csv({str(data)!r})"]
        )
        _, baseline = child_peak_mb([sys.executable, "-c", "import labelmill.project"])
    print(
        "| rows | file | import time | rows/s | peak RSS import | peak RSS re-import (adds 0) "
        "| reference: pandas.read_csv whole file | reference: interpreter + labelmill imported |"
    )
    print("|---|---|---|---|---|---|---|---|")
    print(
        f"| {args.rows:,} | {size_mb:.0f} MB | {seconds:.0f} s | {args.rows / seconds:,.0f} | "
        f"{peak:.0f} MB | {peak_again:.0f} MB ({again:.0f} s) | {pandas_peak:.0f} MB | "
        f"{baseline:.0f} MB |"
    )


if __name__ == "__main__":
    main()
