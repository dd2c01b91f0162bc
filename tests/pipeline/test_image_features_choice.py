"""Image projects on the default featurizer train on the pretrained or the weight-free
features, whichever people's answers (never the blind audit's) show to be more accurate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from labelmill import Project
from labelmill.features import missing_pretrained_packages
from labelmill.pipeline import steps


def test_choose_features_keeps_the_first_unless_another_is_clearly_better():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 50)
    informative = y[:, None] + rng.normal(scale=0.3, size=(100, 4))
    noise = rng.normal(size=(100, 4))
    labels = np.where(np.arange(100) % 10 == 0, -1, y)  # some items nobody answered
    name, info = steps.choose_features({"a": noise, "b": informative}, labels, 2, 0)
    assert name == "b" and info.used and info.evidence["answers"] == 90
    assert info.evidence["accuracy"]["b"] > info.evidence["accuracy"]["a"] + 0.01
    name, info = steps.choose_features({"a": informative, "b": noise}, labels, 2, 0)
    assert name == "a" and not info.used
    # the last round's choice stays unless another beats it by the margin
    assert steps.choose_features({"a": informative, "b": informative}, labels, 2, 0, "b")[0] == "b"
    assert steps.choose_features({"a": informative, "b": noise}, labels, 2, 0, "b")[0] == "a"
    few = np.where(np.arange(100) < 40, y, -1)
    name, info = steps.choose_features({"a": noise, "b": informative}, few, 2, 0)
    assert name == "a" and info.reason == "a: 40 people's answers, fewer than 60"


@pytest.mark.skipif(bool(missing_pretrained_packages()), reason="needs the EfficientNet packages")
def test_an_image_round_records_its_choice_and_audit_answers_do_not_count(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(1)
    folder = tmp_path / "img"
    folder.mkdir()
    rows = []
    for i in range(90):
        bright = i % 2
        pixels = rng.integers(0, 60, (24, 24, 3)) + (180 if bright else 0)
        Image.fromarray(pixels.astype(np.uint8)).save(folder / f"{i}.png")
        rows.append(
            {
                "id": f"i{i}",
                "image": str(folder / f"{i}.png"),
                "truth": "light" if bright else "dark",
            }
        )
    frame = pd.DataFrame(rows)
    project = Project.init(tmp_path / "p", classes=["dark", "light"], data_type="image")
    project.import_items(frame, id_column="id", image_column="image")
    truth = dict(zip(frame["id"], frame["truth"], strict=True))
    for entry in project.next_items(15, queue="audit", user="ann"):
        project.add_answer(entry.item_id, truth[entry.item_id], user="ann", queue="audit")
    audited = set(project.to_frame().query("status == 'gold'")["id"])
    for item_id in [i for i in truth if i not in audited][:70]:
        project.add_answer(item_id, truth[item_id], user="ann", queue="review")
    result = project.run_round()
    info = result.techniques["image_features"]
    assert len(audited) == 15 and info.evidence["answers"] == 70  # audit answers left out
    assert set(info.evidence["accuracy"]) == {"efficientnet-lite0", "random_conv"}
    assert info.used == info.reason.startswith("random_conv")
    project.close()
