from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from labelmill.exceptions import ConfigError, InputError, NotFittedError, ProjectError
from labelmill.features import FeatureCache, Featurizer, HashingTextFeaturizer, TabularFeaturizer


class CountingFeaturizer(Featurizer):
    """Deterministic fake: the vector of a text is its length and first char code."""

    name = "counting"

    def __init__(self, tag: str = "a", dim: int = 3) -> None:
        self.tag = tag
        self.dim = dim

    def _featurize(self, items: list[Any]) -> tuple[np.ndarray, dict[int, str]]:
        self.calls = getattr(self, "calls", 0) + 1
        self.seen = getattr(self, "seen", 0) + len(items)
        X = np.zeros((len(items), self.dim), dtype=np.float32)
        reasons = {}
        for i, t in enumerate(items):
            if t == "BAD":
                reasons[i] = "bad item"
            else:
                X[i, 0] = len(t)
                X[i, 1] = ord(t[0])
        return X, reasons

    def _version_parts(self) -> Any:
        return {"tag": self.tag, "dim": self.dim}


TEXTS = ["alpha", "bravo", "charlie", "delta", "echo", "fox"]
HASHES = [f"h{i}" for i in range(len(TEXTS))]


def test_second_call_computes_nothing(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path / "features")
    f = CountingFeaturizer()
    first = cache.get_or_compute(f, HASHES, TEXTS, batch_size=4)
    assert f.seen == 6 and f.calls == 2
    expected = f.transform(TEXTS)
    np.testing.assert_array_equal(first.X, expected)
    f.seen = 0
    again = FeatureCache(tmp_path / "features").get_or_compute(f, HASHES, TEXTS)
    assert f.seen == 0
    np.testing.assert_array_equal(again.X, expected)
    assert not again.failed.any() and again.X.dtype == np.float32


def test_only_missing_items_are_computed(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path)
    f = CountingFeaturizer()
    cache.get_or_compute(f, HASHES[:3], TEXTS[:3])
    asked: list[list[int]] = []

    def load(positions: np.ndarray) -> list[str]:
        asked.append(positions.tolist())
        return [TEXTS[i] for i in positions]

    f.seen = 0
    batch = cache.get_or_compute(f, HASHES, load, batch_size=2)
    assert f.seen == 3 and asked == [[3, 4], [5]]
    np.testing.assert_array_equal(batch.X, f.transform(TEXTS))
    assert cache.count(f.version) == 6


def test_other_version_is_recomputed(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path)
    a, b = CountingFeaturizer("a"), CountingFeaturizer("b")
    cache.get_or_compute(a, HASHES, TEXTS)
    cache.get_or_compute(b, HASHES, TEXTS)
    assert b.seen == 6
    assert sorted(cache.versions()) == sorted([a.version, b.version])
    cache.clear(b.version)
    assert cache.versions() == [a.version] and cache.count(b.version) == 0


def test_duplicate_hashes_are_computed_once(tmp_path: Path) -> None:
    f = CountingFeaturizer()
    batch = FeatureCache(tmp_path).get_or_compute(f, ["x", "y", "x"], ["abc", "de", "abc"])
    assert f.seen == 2
    np.testing.assert_array_equal(batch.X[0], batch.X[2])


def test_failures_are_reported_and_not_cached(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path)
    f = CountingFeaturizer()
    batch = cache.get_or_compute(f, ["a", "b", "c"], ["ok", "BAD", "fine"])
    assert batch.failed.tolist() == [False, True, False]
    assert batch.reasons == {1: "bad item"} and not batch.X[1].any()
    f.seen = 0
    again = cache.get_or_compute(f, ["a", "b", "c"], ["ok", "BAD", "fine"])
    assert f.seen == 1 and again.reasons == {1: "bad item"}


def test_progress_and_flush_rows(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path, flush_rows=2)
    seen: list[tuple[int, int]] = []
    f = CountingFeaturizer()
    cache.get_or_compute(f, HASHES, TEXTS, batch_size=1, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (6, 6) and len(seen) == 6
    folder = next(p for p in tmp_path.iterdir() if p.is_dir())
    assert len(list(folder.glob("*.keys.npy"))) == 3
    cache.compact(f.version)
    assert len(list(folder.glob("*.keys.npy"))) == 1
    f.seen = 0
    batch = FeatureCache(tmp_path).get_or_compute(f, HASHES, TEXTS)
    assert f.seen == 0
    np.testing.assert_array_equal(batch.X, f.transform(TEXTS))


def test_killed_write_leaves_a_consistent_cache(tmp_path: Path, monkeypatch) -> None:
    cache = FeatureCache(tmp_path)
    f = CountingFeaturizer()
    cache.get_or_compute(f, HASHES[:2], TEXTS[:2])
    real_replace = os.replace

    def die_on_keys(src, dst):  # the process "dies" after the vectors, before the keys
        if str(dst).endswith(".keys.npy"):
            raise KeyboardInterrupt
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", die_on_keys)
    with pytest.raises(KeyboardInterrupt):
        cache.get_or_compute(f, HASHES, TEXTS)
    monkeypatch.setattr(os, "replace", real_replace)
    folder = next(p for p in tmp_path.iterdir() if p.is_dir())
    assert len(list(folder.glob("*.vec.npy"))) == 2  # one orphan without keys
    (folder / ".tmp-junk.keys.npy").write_bytes(b"half a file")
    fresh = FeatureCache(tmp_path)
    assert fresh.count(f.version) == 2  # the orphan is invisible
    f.seen = 0
    batch = fresh.get_or_compute(f, HASHES, TEXTS)
    assert f.seen == 4
    np.testing.assert_array_equal(batch.X, f.transform(TEXTS))
    fresh.compact(f.version)
    assert not list(folder.glob(".tmp-*"))
    assert len(list(folder.glob("*.vec.npy"))) == 1


def test_truncated_chunk_is_skipped(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path)
    f = CountingFeaturizer()
    cache.get_or_compute(f, HASHES[:2], TEXTS[:2])
    folder = next(p for p in tmp_path.iterdir() if p.is_dir())
    vec = next(folder.glob("*.vec.npy"))
    vec.write_bytes(vec.read_bytes()[:20])
    f.seen = 0
    FeatureCache(tmp_path).get_or_compute(f, HASHES[:2], TEXTS[:2])
    assert f.seen == 2


def test_dimension_clash_is_refused(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path)
    cache.put("v1", ["a"], np.ones((1, 3)))
    with pytest.raises(ProjectError, match="holds 3-dimensional vectors"):
        cache.put("v1", ["b"], np.ones((1, 4)))
    X, found = cache.get("v1", ["a", "zz"])
    assert found.tolist() == [True, False] and X.shape == (2, 3)


def test_real_featurizers_through_the_cache(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path)
    f = HashingTextFeaturizer(n_features=16)
    batch = cache.get_or_compute(f, ["1", "2"], ["spam spam", ""])
    assert batch.failed.tolist() == [False, True]
    np.testing.assert_array_equal(batch.X[0], f.transform(["spam spam"])[0])
    with pytest.raises(NotFittedError, match="has no version"):
        cache.get_or_compute(TabularFeaturizer(), ["1"], [{"a": 1}])


def test_errors(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path)
    f = CountingFeaturizer()
    with pytest.raises(InputError, match="Got 2 hashes and 1 payloads"):
        cache.get_or_compute(f, ["a", "b"], ["x"])
    with pytest.raises(InputError, match="non-empty str. Got 3 at position 1"):
        cache.get_or_compute(f, ["a", 3], ["x", "y"])
    with pytest.raises(InputError, match="Got a single string"):
        cache.get_or_compute(f, "ab", ["x", "y"])
    with pytest.raises(InputError, match="one payload per position. Asked for 2, got 1"):
        cache.get_or_compute(f, ["a", "b"], lambda pos: ["x"])
    with pytest.raises(ConfigError, match="'batch_size' parameter of FeatureCache"):
        cache.get_or_compute(f, ["a"], ["x"], batch_size=0)
    with pytest.raises(ConfigError, match="'flush_rows' parameter of FeatureCache"):
        FeatureCache(tmp_path, flush_rows=0)
    with pytest.raises(InputError, match=r"expects X of shape \(2, d\)"):
        cache.put("v", ["a", "b"], np.ones((3, 2)))


def test_featurizer_whose_output_changes_without_a_new_version(tmp_path: Path) -> None:
    class Liar(CountingFeaturizer):
        def _version_parts(self) -> Any:
            return {"always": "the same"}

    cache = FeatureCache(tmp_path)
    cache.get_or_compute(Liar(dim=3), ["a"], ["x"])
    with pytest.raises(ProjectError, match="holds 3-dimensional vectors .* but 5 came"):
        cache.get_or_compute(Liar(dim=5), ["a", "b"], ["x", "y"])


def test_cached_and_duplicate_missing_items_together(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path)
    f = CountingFeaturizer()
    cache.get_or_compute(f, ["a"], ["alpha"])
    f.seen = 0
    batch = cache.get_or_compute(f, ["b", "a", "b", "c"], ["bb", "alpha", "bb", "BAD"])
    assert f.seen == 2
    np.testing.assert_array_equal(batch.X, f.transform_partial(["bb", "alpha", "bb", "BAD"]).X)
    assert batch.failed.tolist() == [False, False, False, True]
