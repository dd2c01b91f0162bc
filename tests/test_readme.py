"""The README's Python example runs as written, and the torch model it trains learns the
people's answers as the targets of the items they answered (issue 16)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
RULES = """
rules:
  - name: says_free
    kind: keywords
    keywords: [free, subscribe]
    label: spam
  - name: says_song
    kind: keywords
    keywords: [song, love]
    label: ham
"""


def _python_example() -> str:
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    (example,) = [b for b in blocks if "to_torch_dataset" in b]
    return example


@pytest.mark.slow
def test_readme_python_example_trains_on_the_answers(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    spam = ["free stuff here", "subscribe to my channel", "free money", "check my page"]
    ham = ["love this song", "great song", "what a voice", "this brings back memories"]
    rows, truth = [], {}
    for i in range(40):
        is_spam = i % 2 == 0
        text = f"{(spam if is_spam else ham)[rng.integers(4)]} {i}"
        rows.append({"COMMENT_ID": f"c{i}", "CONTENT": text})
        truth[text] = "ham" if is_spam else "spam"  # answers that contradict the rules
    pd.DataFrame(rows).to_csv(tmp_path / "comments.csv", index=False)
    (tmp_path / "rules.yaml").write_text(RULES)
    monkeypatch.chdir(tmp_path)
    shown: list[str] = []
    answered: dict[str, str] = {}

    def show(*args: object) -> None:
        shown.append(str(args[0]))

    def answer(prompt: str) -> str:
        text = shown[-1]
        answered[next(r["COMMENT_ID"] for r in rows if r["CONTENT"] == text)] = truth[text]
        return truth[text]

    namespace = {"print": show, "input": answer, "__name__": "readme"}
    exec(compile(_python_example(), str(README), "exec"), namespace)  # noqa: S102

    assert len(answered) == 10
    dataset = namespace["dataset"]
    targets = {i: dataset[k][1].tolist() for k, i in enumerate(dataset.ids)}
    for item_id, label in answered.items():
        assert targets[item_id] == ([1.0, 0.0] if label == "spam" else [0.0, 1.0]), item_id
    model = namespace["model"]
    assert model.weight.shape == (2, 1024)
    namespace["project"].close()
