"""The embedding cache: vectors keyed by (featurizer version, item content hash) (private).

Layout inside ``directory`` (one sub-folder per featurizer version)::

    <directory>/<slug of version>/VERSION              the full version string
    <directory>/<slug of version>/<chunk>.vec.npy      float32 (m, d) vectors
    <directory>/<slug of version>/<chunk>.keys.npy     bytes (m,) content hashes

A chunk is append-only and written crash-safely: each file goes to a temporary name,
is flushed to disk, then renamed with :func:`os.replace`; the ``.keys.npy`` file is
renamed last and is the commit marker. A chunk without its keys file (a run killed
mid-write) is ignored and removed by :meth:`FeatureCache.compact`. Lookups load only
the key files (a sorted array, searched with ``numpy.searchsorted``) and read vectors
through memory maps, so a million 384-d vectors (1.5 GB) never need to sit in memory.
"""

from __future__ import annotations

import logging
import os
import re
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from labelmill.exceptions import ConfigError, InputError, ProjectError
from labelmill.features._base import FeatureBatch, Featurizer, as_payload_list, digest

__all__ = ["FeatureCache"]

logger = logging.getLogger(__name__)

Payloads = Sequence[Any] | Callable[[NDArray[np.intp]], Sequence[Any]]
Progress = Callable[[int, int], None]


@dataclass
class _Index:
    """Sorted view over the committed chunks of one version."""

    chunks: list[str]
    offsets: NDArray[np.int64]  # start row of every chunk in the concatenation
    sorted_keys: NDArray[np.bytes_]
    order: NDArray[np.int64]  # sorted position -> global row
    dim: int | None

    def lookup(self, keys: NDArray[np.bytes_]) -> NDArray[np.int64]:
        """Global row of every key, -1 when absent."""
        if self.sorted_keys.size == 0:
            return np.full(keys.shape[0], -1, dtype=np.int64)
        pos = np.searchsorted(self.sorted_keys, keys)
        pos = np.minimum(pos, self.sorted_keys.size - 1)
        hit = self.sorted_keys[pos] == keys
        return np.where(hit, self.order[pos], -1)


def _slug(version: str) -> str:
    readable = re.sub(r"[^A-Za-z0-9._-]+", "-", version)[:48].strip("-.")
    return f"{readable}-{digest(version)[:8]}"


def _atomic_save(path: Path, array: NDArray[Any]) -> None:
    tmp = path.with_name(f".tmp-{uuid.uuid4().hex}-{path.name}")
    try:
        with open(tmp, "wb") as fh:
            np.save(fh, array, allow_pickle=False)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


class FeatureCache:
    """Store of feature vectors on disk, so a second run does not recompute them.

    Vectors are keyed by ``(featurizer.version, content hash of the item)``: change the
    model or its parameters and the version changes, so nothing stale is served.

    Parameters
    ----------
    directory : str or os.PathLike
        Folder of the cache, typically ``<project>/features``; created when missing.
    flush_rows : int
        Computed vectors are written to disk every ``flush_rows`` items (a killed run loses
        at most that many computed vectors, never the consistency of the cache).

    Examples
    --------
    >>> import tempfile
    >>> from labelmill.features import HashingTextFeaturizer
    >>> cache = FeatureCache(tempfile.mkdtemp())
    >>> f = HashingTextFeaturizer(n_features=8)
    >>> batch = cache.get_or_compute(f, ["h1", "h2"], ["free money", "hello"])
    >>> batch.X.shape, int(batch.failed.sum()), cache.count(f.version)
    ((2, 8), 0, 2)
    """

    def __init__(self, directory: str | os.PathLike[str], *, flush_rows: int = 16384) -> None:
        if isinstance(flush_rows, bool) or not isinstance(flush_rows, int) or flush_rows < 1:
            raise ConfigError(
                "The 'flush_rows' parameter of FeatureCache must be a positive int. "
                f"Got {flush_rows!r} instead."
            )
        self.directory = Path(directory)
        self.flush_rows = flush_rows
        self._indexes: dict[str, tuple[tuple[str, ...], _Index]] = {}

    # ------------------------------------------------------------------ reading
    def _folder(self, version: str) -> Path:
        return self.directory / _slug(version)

    def _committed(self, folder: Path) -> list[str]:
        if not folder.is_dir():
            return []
        return sorted(
            p.name[: -len(".keys.npy")]
            for p in folder.glob("*.keys.npy")
            if not p.name.startswith(".tmp-")
        )

    def _index(self, version: str) -> _Index:
        folder = self._folder(version)
        chunks = tuple(self._committed(folder))
        known = self._indexes.get(version)
        if known is not None and known[0] == chunks:
            return known[1]
        keys: list[NDArray[np.bytes_]] = []
        good: list[str] = []
        dim: int | None = None
        for chunk in chunks:
            try:
                k = np.load(folder / f"{chunk}.keys.npy", allow_pickle=False)
                v = np.load(folder / f"{chunk}.vec.npy", mmap_mode="r", allow_pickle=False)
            except (OSError, ValueError) as exc:
                logger.warning("feature cache: skipping unreadable chunk %s (%s)", chunk, exc)
                continue
            if v.ndim != 2 or v.shape[0] != k.shape[0]:
                logger.warning("feature cache: skipping inconsistent chunk %s", chunk)
                continue
            if dim is not None and v.shape[1] != dim:
                raise ProjectError(
                    f"The feature cache {folder} mixes vectors of {dim} and {v.shape[1]} "
                    "dimensions under one version. Delete that folder to rebuild it."
                )
            dim = int(v.shape[1])
            keys.append(k)
            good.append(chunk)
        sizes = np.array([k.shape[0] for k in keys], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        all_keys = np.concatenate(keys) if keys else np.zeros(0, dtype="S1")
        order = np.argsort(all_keys, kind="stable").astype(np.int64)
        index = _Index(good, offsets, all_keys[order], order, dim)
        self._indexes[version] = (chunks, index)
        return index

    def _gather(self, version: str, index: _Index, rows: NDArray[np.int64]) -> NDArray[np.float32]:
        folder = self._folder(version)
        out = np.zeros((rows.shape[0], index.dim or 0), dtype=np.float32)
        chunk_of = np.searchsorted(index.offsets, rows, side="right") - 1
        for c in np.unique(chunk_of):
            sel = np.flatnonzero(chunk_of == c)
            local = rows[sel] - index.offsets[c]
            vec = np.load(folder / f"{index.chunks[c]}.vec.npy", mmap_mode="r")
            sort = np.argsort(local)
            out[sel[sort]] = vec[local[sort]]
        return out

    def count(self, version: str) -> int:
        """Number of vectors stored under ``version`` (duplicates after a crash included)."""
        return int(self._index(version).sorted_keys.size)

    def versions(self) -> list[str]:
        """Every featurizer version with a folder in the cache."""
        if not self.directory.is_dir():
            return []
        found = []
        for sub in sorted(self.directory.iterdir()):
            marker = sub / "VERSION"
            if marker.is_file():
                found.append(marker.read_text(encoding="utf-8"))
        return found

    def get(
        self, version: str, hashes: Sequence[str]
    ) -> tuple[NDArray[np.float32], NDArray[np.bool_]]:
        """Return ``(X, found)`` for ``hashes``; rows not found are zeros."""
        keys = _as_keys(hashes)
        index = self._index(version)
        rows = index.lookup(keys)
        found = rows >= 0
        X = np.zeros((keys.shape[0], index.dim or 0), dtype=np.float32)
        if found.any():
            X[found] = self._gather(version, index, rows[found])
        return X, found

    # ------------------------------------------------------------------ writing
    def put(self, version: str, hashes: Sequence[str] | NDArray[Any], X: NDArray[Any]) -> None:
        """Append vectors ``X`` (one row per hash) under ``version`` as one new chunk."""
        keys = _as_keys(hashes)
        X = np.ascontiguousarray(X, dtype=np.float32)
        if X.ndim != 2 or X.shape[0] != keys.shape[0]:
            raise InputError(
                f"FeatureCache.put expects X of shape ({keys.shape[0]}, d), one row per hash. "
                f"Got shape {X.shape} instead."
            )
        if keys.shape[0] == 0:
            return
        folder = self._folder(version)
        folder.mkdir(parents=True, exist_ok=True)
        marker = folder / "VERSION"
        if not marker.is_file():
            tmp = folder / f".tmp-{uuid.uuid4().hex}-VERSION"
            tmp.write_text(version, encoding="utf-8")
            os.replace(tmp, marker)
        index = self._index(version)
        if index.dim is not None and index.dim != X.shape[1]:
            raise ProjectError(
                f"The feature cache holds {index.dim}-dimensional vectors for version "
                f"{version!r}, but {X.shape[1]} came. The featurizer's version must change "
                "when its output changes; fix its version."
            )
        chunk = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"
        _atomic_save(folder / f"{chunk}.vec.npy", X)
        _atomic_save(folder / f"{chunk}.keys.npy", keys)  # commit marker, last

    def get_or_compute(
        self,
        featurizer: Featurizer,
        hashes: Sequence[str],
        payloads: Payloads,
        *,
        batch_size: int = 1024,
        progress: Progress | None = None,
    ) -> FeatureBatch:
        """Features of every item: cached ones are read, only the missing are computed.

        Parameters
        ----------
        featurizer : Featurizer
            Fitted featurizer; its ``version`` is the cache key.
        hashes : sequence of str
            Content hash of every item (equal hashes share one vector).
        payloads : sequence, or callable
            The payloads aligned with ``hashes``, or a callable that receives an int array
            of positions (into ``hashes``) and returns the payloads of those items, so only
            the missing items need to be loaded.
        batch_size : int
            Items per call of ``featurizer.transform_partial``.
        progress : callable(done, total) or None
            Called after each computed batch with the counts of items to compute.

        Returns
        -------
        FeatureBatch
            ``X`` float32 ``(n_items, d)``, ``failed`` mask and ``reasons`` by position.
            Failed items are not cached (they are retried next time).

        Raises
        ------
        InputError
            If hashes are not strings, or ``payloads`` does not match ``hashes``.
        NotFittedError
            If the featurizer must be fitted first.
        """
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ConfigError(
                "The 'batch_size' parameter of FeatureCache.get_or_compute must be a positive "
                f"int. Got {batch_size!r} instead."
            )
        version = featurizer.version
        keys = _as_keys(hashes)
        n = keys.shape[0]
        if not callable(payloads):
            payload_list = as_payload_list(payloads, owner="FeatureCache.get_or_compute")
            if len(payload_list) != n:
                raise InputError(
                    f"FeatureCache.get_or_compute expects one payload per hash. Got {n} hashes "
                    f"and {len(payload_list)} payloads instead."
                )
        X_cached, found = self.get(version, hashes)
        missing = np.flatnonzero(~found)
        # one computation per distinct missing hash
        uniq, first, inverse = np.unique(keys[missing], return_index=True, return_inverse=True)
        todo = missing[first]
        total = int(todo.shape[0])
        if total:
            logger.info("featurizing %d of %d items (%s)", total, n, version)
        # X_cached is (n, d) with zero rows where missing: computed rows go straight into it
        X: NDArray[np.float32] | None = X_cached if found.any() else None
        failed_todo = np.zeros(total, dtype=bool)
        reasons_todo: dict[int, str] = {}
        pending_keys: list[NDArray[np.bytes_]] = []
        pending_rows: list[NDArray[np.float32]] = []
        pending = 0
        for start in range(0, total, batch_size):
            pos = todo[start : start + batch_size]
            if callable(payloads):
                chunk_payloads = as_payload_list(payloads(pos), owner="the payloads callable")
                if len(chunk_payloads) != pos.shape[0]:
                    raise InputError(
                        f"The payloads callable of FeatureCache.get_or_compute must return one "
                        f"payload per position. Asked for {pos.shape[0]}, got "
                        f"{len(chunk_payloads)} instead."
                    )
            else:
                chunk_payloads = [payload_list[i] for i in pos]
            batch = featurizer.transform_partial(chunk_payloads)
            if X is None:
                X = np.zeros((n, batch.X.shape[1]), dtype=np.float32)
            elif X.shape[1] != batch.X.shape[1]:
                raise ProjectError(
                    f"The feature cache holds {X.shape[1]}-dimensional vectors for version "
                    f"{version!r}, but {batch.X.shape[1]} came. The featurizer's version must "
                    "change when its output changes; fix its version."
                )
            X[pos] = batch.X
            failed_todo[start : start + pos.shape[0]] = batch.failed
            for j, why in batch.reasons.items():
                reasons_todo[start + j] = why
            ok = ~batch.failed
            if ok.any():
                pending_keys.append(keys[pos[ok]])
                pending_rows.append(batch.X[ok])
                pending += int(ok.sum())
            if pending >= self.flush_rows:
                self.put(version, np.concatenate(pending_keys), np.concatenate(pending_rows))
                pending_keys, pending_rows, pending = [], [], 0
            if progress is not None:
                progress(min(start + batch_size, total), total)
        if pending:
            self.put(version, np.concatenate(pending_keys), np.concatenate(pending_rows))
        if X is None:
            X = X_cached
        failed = np.zeros(n, dtype=bool)
        reasons: dict[int, str] = {}
        if total:
            inverse = np.asarray(inverse).reshape(-1)
            dup = missing != todo[inverse]  # repeated hashes: copy their representative's row
            if dup.any():
                X[missing[dup]] = X[todo[inverse[dup]]]
            failed[missing] = failed_todo[inverse]
            bad = np.flatnonzero(failed_todo[inverse])
            for m, u in zip(missing[bad].tolist(), inverse[bad].tolist(), strict=True):
                reasons[m] = reasons_todo.get(u, "featurization failed")
        return FeatureBatch(X, failed, reasons)

    # -------------------------------------------------------------- maintenance
    def compact(self, version: str) -> None:
        """Merge the chunks of ``version`` into one, drop duplicates and crash leftovers."""
        folder = self._folder(version)
        if not folder.is_dir():
            return
        for leftover in folder.glob(".tmp-*"):
            leftover.unlink(missing_ok=True)
        index = self._index(version)
        committed = set(index.chunks)
        for vec in folder.glob("*.vec.npy"):  # orphans of killed runs
            if vec.name[: -len(".vec.npy")] not in committed:
                vec.unlink(missing_ok=True)
        if len(index.chunks) <= 1:
            return
        uniq_keys, first = np.unique(index.sorted_keys, return_index=True)
        rows = index.order[first]
        chunk = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"
        tmp = folder / f".tmp-{chunk}.vec.npy"
        out = np.lib.format.open_memmap(
            tmp, mode="w+", dtype=np.float32, shape=(rows.shape[0], index.dim or 0)
        )
        step = 65536
        for s in range(0, rows.shape[0], step):
            out[s : s + step] = self._gather(version, index, rows[s : s + step])
        out.flush()
        del out
        os.replace(tmp, folder / f"{chunk}.vec.npy")
        _atomic_save(folder / f"{chunk}.keys.npy", uniq_keys)
        for old in index.chunks:  # keys first: a crash here leaves only harmless orphans
            (folder / f"{old}.keys.npy").unlink(missing_ok=True)
            (folder / f"{old}.vec.npy").unlink(missing_ok=True)

    def clear(self, version: str) -> None:
        """Delete every vector stored under ``version``."""
        import shutil

        folder = self._folder(version)
        if folder.is_dir():
            shutil.rmtree(folder)
        self._indexes.pop(version, None)


def _as_keys(hashes: Sequence[str] | NDArray[Any]) -> NDArray[np.bytes_]:
    if isinstance(hashes, np.ndarray) and hashes.dtype.kind == "S":
        return hashes
    if isinstance(hashes, (str, bytes)):
        raise InputError(
            "FeatureCache expects a sequence of content hashes (one str per item). Got a "
            "single string instead; wrap it in a list."
        )
    values = list(hashes)
    bad = [i for i, h in enumerate(values) if not isinstance(h, str) or not h]
    if bad:
        raise InputError(
            "FeatureCache expects every content hash to be a non-empty str. Got "
            f"{values[bad[0]]!r} at position {bad[0]} ({len(bad)} bad in total) instead."
        )
    if not values:
        return np.zeros(0, dtype="S1")
    return np.array([h.encode("utf-8") for h in values], dtype=bytes)
