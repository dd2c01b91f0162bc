"""What a round reads from the store and writes back (the round's data I/O).

:func:`load_round_data` reads everything a round decides from, aligned by position;
:func:`load_features` featurizes the items through the feature cache;
:func:`write_round` writes every label of the round, the learners' new state and the
round's result in one transaction, so a crash mid-round leaves the previous round's labels.
:class:`RoundRecord` keeps the ``rounds`` row (status, stage, failure) current.
"""

from __future__ import annotations

import time
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import scipy.sparse as sp
from sqlalchemy.orm import Session

from labelmill.enums import Queue, Stage, Status
from labelmill.exceptions import RoundError
from labelmill.schema import Schema
from labelmill.settings import ProjectSettings
from labelmill.store import Store
from labelmill.store.queries import items as item_sql
from labelmill.store.queries import rounds as round_sql
from labelmill.store.queries import sources as source_sql

if TYPE_CHECKING:
    from labelmill.engine import Engine

__all__ = [
    "DENSE_MAX_CELLS",
    "STATE_KEYS",
    "RoundData",
    "RoundLabels",
    "RoundRecord",
    "load_features",
    "load_round_features",
    "load_round_data",
    "training_augmenter",
    "write_round",
]

Progress = Callable[[str, float], None]
#: learner state persisted between rounds (``settings`` table): key -> JSON value
STATE_KEYS = ("bandit", "stopping", "guarantee")
_MACHINE = (Status.AUTO, Status.REVIEW)
#: past this many items x sources, a round keeps its votes sparse (``sparse="auto"``)
DENSE_MAX_CELLS = 4_000_000
#: items featurized per engine task
FEATURE_PART_ROWS = 16_384


@dataclass
class RoundData:
    """Everything a round reads from the store, aligned by position (pk order)."""

    pks: np.ndarray
    hashes: list[str]
    random_keys: np.ndarray
    status: np.ndarray  # object array of status strings
    human: np.ndarray  # class (or -1): review answers and imported gold
    audit: np.ndarray  # class (or -1): blind audit answers
    # (n, m) votes of rule, model and crowd sources: an int array with -1 = abstain, or a
    # scipy.sparse CSR matrix holding label + 1 (0 = abstain), as the label model reads it
    L: np.ndarray | sp.csr_matrix
    source_ids: list[int]
    source_kinds: list[str]
    source_versions: dict[str, str]
    state: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.pks)


@dataclass
class RoundLabels:
    """What a round decided for every item (aligned with :class:`RoundData`)."""

    label: np.ndarray  # final class per item
    status: np.ndarray  # object array of statuses
    proba: np.ndarray  # (n, k) shown probabilities (calibrated)
    priority: np.ndarray  # review-queue order, higher first


def load_round_data(store: Store, *, sparse: bool | Literal["auto"] = False) -> RoundData:
    """Read items, people's answers, imported gold, votes and learner state.

    ``sparse``: keep the vote matrix ``L`` as a CSR matrix of ``label + 1`` (memory grows
    with the votes cast, not with items x sources); ``"auto"`` does so past
    :data:`DENSE_MAX_CELLS` cells. False gives the dense int array (-1 = abstain).
    """
    with store.session() as session:
        rows = item_sql.round_rows(session)
        n = len(rows)
        pks = np.fromiter((r[0] for r in rows), dtype=np.int64, count=n)
        position = {int(pk): i for i, pk in enumerate(pks)}
        status = np.array([r[3] for r in rows], dtype=object)
        human = np.full(n, -1, dtype=np.int64)
        audit = np.full(n, -1, dtype=np.int64)
        for item_pk, _kind, _user, label, queue in source_sql.latest_answers(session):
            i = position[item_pk]
            if queue == Queue.AUDIT:
                audit[i], human[i] = label, -1
            elif audit[i] < 0:
                human[i] = label
        for item_pk, label in source_sql.imported_gold(session).items():
            j = position.get(item_pk)
            if j is not None and audit[j] < 0:
                human[j] = label
        sources = source_sql.active_sources(session)
        column = {sid: j for j, (sid, *_rest) in enumerate(sources)}
        m = len(sources)
        votes = source_sql.latest_votes(session, list(column))
        if sparse is True or (sparse == "auto" and n * m > DENSE_MAX_CELLS):
            L: np.ndarray | sp.csr_matrix = sparse_votes(
                ((position[pk], column[sid], label) for pk, sid, label in votes), n, m
            )
        else:
            L = np.full((n, m), -1, dtype=np.int64)
            for item_pk, source_id, label in votes:
                L[position[item_pk], column[source_id]] = label
        state = {key: round_sql.get_state(session, key) for key in STATE_KEYS}
    return RoundData(
        pks=pks,
        hashes=[r[1] for r in rows],
        random_keys=np.fromiter((r[2] for r in rows), dtype=np.float64, count=n),
        status=status,
        human=human,
        audit=audit,
        L=L,
        source_ids=[s[0] for s in sources],
        source_kinds=[s[1] for s in sources],
        source_versions={f"{kind}:{name}": version for _id, kind, name, version in sources},
        state=state,
    )


def sparse_votes(votes: Iterable[tuple[int, int, int]], n: int, m: int) -> sp.csr_matrix:
    """The CSR vote matrix (``label + 1``, 0 = abstain) of ``(row, column, label)`` votes in
    the order cast: a later vote on the same cell supersedes an earlier one, and a later
    abstain (-1, an undo) empties the cell.

    Examples
    --------
    >>> sparse_votes([(0, 0, 1), (1, 1, 0), (0, 0, -1), (2, 0, 0)], 3, 2).toarray().tolist()
    [[0, 0], [0, 1], [1, 0]]
    """
    r, c, v = array("q"), array("q"), array("q")
    for row, col, label in votes:
        r.append(row)
        c.append(col)
        v.append(label)
    rows, cols, labels = (
        np.frombuffer(a, dtype=np.int64) if len(a) else np.zeros(0, np.int64) for a in (r, c, v)
    )
    key = rows * max(m, 1) + cols
    _, first_of_reversed = np.unique(key[::-1], return_index=True)
    last = key.size - 1 - first_of_reversed
    last = last[labels[last] >= 0]
    L = sp.csr_matrix(((labels[last] + 1).astype(np.int32), (rows[last], cols[last])), shape=(n, m))
    L.sort_indices()
    return L


def voted_columns(L: Any, i: int) -> np.ndarray:
    """Columns (sources) that voted on row ``i`` of a dense or CSR vote matrix, in order."""
    if sp.issparse(L):
        return np.asarray(L.indices[L.indptr[i] : L.indptr[i + 1]])
    return np.flatnonzero(L[i] >= 0)


def load_features(
    store: Store,
    schema: Schema,
    settings: ProjectSettings,
    data: RoundData,
    feature_dir: Path,
    progress: Callable[[int, int], None] | None = None,
    *,
    engine: Engine | None = None,
) -> tuple[np.ndarray, str]:
    """The feature matrix of every item (through the cache) and the featurizer's version.

    ``progress(done, total)`` is called as batches of items are featurized (cached items
    count as done from the start). With an ``engine`` other than the local one, the items
    the cache lacks are featurized as engine tasks of :data:`FEATURE_PART_ROWS` items
    (payloads read here, a window of partitions at a time) and added to the cache first.

    Raises
    ------
    RoundError
        Some items cannot be featurized (naming the first ones and why).
    """
    from labelmill.features import FeatureCache, make_featurizer

    featurizer = make_featurizer(schema.data_type, **settings.featurizer)

    def payloads(positions: np.ndarray) -> list[Any]:
        return _payloads(store, data, positions)

    everything = np.arange(len(data))
    featurizer.fit(payloads(everything) if schema.data_type == "tabular" else [])
    cache = FeatureCache(Path(settings.feature_cache) if settings.feature_cache else feature_dir)
    n = len(data)

    def computed(done: int, total: int) -> None:
        if progress is not None:
            progress(n - total + done, n)

    if progress is not None:
        progress(0, n)
    if engine is None or engine.name == "local":
        batch = cache.get_or_compute(featurizer, data.hashes, payloads, progress=computed)
    else:
        batch = _featurize_on(engine, cache, featurizer, data.hashes, payloads, computed)
    if progress is not None:
        progress(n, n)
    if batch.failed.any():
        bad = np.flatnonzero(batch.failed)[:5]
        with store.session() as session:
            ids = item_sql.item_ids(session, [int(data.pks[i]) for i in bad])
        reasons = "; ".join(
            f"{ids.get(int(data.pks[i]), i)}: {batch.reasons.get(int(i), 'failed')}" for i in bad
        )
        raise RoundError(
            f"Features could not be computed for {int(batch.failed.sum())} item(s) "
            f"(first ones: {reasons}). Fix or remove those items (labelmill remove PROJECT "
            "ID ..., or --missing-images for deleted images) and run again."
        )
    return np.asarray(batch.X, dtype=np.float32), featurizer.version


def _featurize_on(
    engine: Engine,
    cache: Any,
    featurizer: Any,
    hashes: list[str],
    payloads: Callable[[np.ndarray], list[Any]],
    progress: Callable[[int, int], None],
) -> Any:
    """What ``cache.get_or_compute`` does, with the missing items (one per distinct content
    hash) featurized as engine tasks: cached vectors are read once, computed ones added to
    the cache as each partition comes back; failed items are not cached."""
    from labelmill.features import FeatureBatch

    version = featurizer.version
    X, found = cache.get(version, hashes)
    n = len(hashes)
    failed = np.zeros(n, dtype=bool)
    reasons: dict[int, str] = {}
    missing = np.flatnonzero(~found)
    if missing.size == 0:
        return FeatureBatch(X, failed, reasons)
    keys = np.asarray(hashes, dtype=object)[missing].astype(str)
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")  # compute in item order
    todo = missing[first[order]]
    parts = [todo[a : a + FEATURE_PART_ROWS] for a in range(0, todo.size, FEATURE_PART_ROWS)]

    def read() -> Iterator[list[Any]]:
        for positions in parts:
            yield payloads(positions)

    done = 0
    for positions, batch in zip(parts, engine.featurize(featurizer, read()), strict=True):
        if X.shape[1] == 0 and batch.X.shape[1]:  # nothing was cached
            X = np.zeros((n, batch.X.shape[1]), dtype=np.float32)
        X[positions] = batch.X
        failed[positions] = batch.failed
        for j, why in batch.reasons.items():
            reasons[int(positions[j])] = why
        ok = ~batch.failed
        if ok.any():
            cache.put(version, [hashes[i] for i in positions[ok]], batch.X[ok])
        done += positions.size
        progress(done, int(todo.size))
    representative = first[np.asarray(inverse).reshape(-1)]  # into missing
    copies = missing != missing[representative]  # repeated hashes take their first's row
    if copies.any():
        src = missing[representative[copies]]
        X[missing[copies]] = X[src]
        failed[missing[copies]] = failed[src]
        for dst, s in zip(missing[copies].tolist(), src.tolist(), strict=True):
            if s in reasons:
                reasons[dst] = reasons[s]
    return FeatureBatch(X, failed, reasons)


def write_round(
    store: Store,
    data: RoundData,
    round_id: int,
    labels: RoundLabels,
    results: dict[str, Any],
    state: dict[str, Any],
) -> None:
    """Write the machine labels (``auto``/``review`` items), the learners' state and the
    round's results in one transaction; people's labels are left as they are."""
    now = datetime.now(UTC)
    rounded = np.round(labels.proba, 5)
    conf = rounded.max(axis=1)
    machine = np.flatnonzero(np.isin(labels.status, _MACHINE))
    ids = np.asarray(data.source_ids, dtype=np.int64)
    rows = [
        {
            "item_pk": int(data.pks[i]),
            "label": int(labels.label[i]),
            "status": str(labels.status[i]),
            "confidence": float(conf[i]),
            "posterior": rounded[i].tolist(),
            "round_id": round_id,
            # provenance: the sources that voted on this item (the model is the round's)
            "sources": ids[voted_columns(data.L, int(i))].tolist() or None,
            "priority": float(labels.priority[i]),
            "updated_at": now,
        }
        for i in machine
    ]

    def work(session: Session) -> None:
        item_sql.update_labels(session, rows)
        for key, value in state.items():
            round_sql.put_state(session, key, value)
        round_sql.finish_round(session, round_id, results)

    store.write(work, retries=3)


class RoundRecord:
    """The ``rounds`` row of a running round: its stage, timing, and failure.

    Parameters
    ----------
    store : Store
    params : dict
        Recorded with the round (its settings and who started it).
    progress : callable, optional
        Called with ``(stage, fraction done)`` as stages start, and ``("done", 1.0)`` at the
        end. If it also has an ``items(stage, done, total)`` method, that is called with the
        items a stage has processed: when the stage starts and ends, and as the
        featurizer's batches finish (:meth:`advance`).
    """

    def __init__(self, store: Store, params: dict[str, Any], progress: Progress | None) -> None:
        self.store, self.progress = store, progress
        self._items: Callable[[str, int, int], None] | None = getattr(progress, "items", None)
        self.id: int = store.write(lambda s: round_sql.start_round(s, params, Stage.RULES))
        self.seconds: dict[str, float] = {}
        self._stage: str | None = None
        self._start = 0.0
        self._n = 0
        if self._items is not None:
            with store.session() as session:
                self._n = item_sql.count_items(session)

    def stage(self, stage: Stage) -> None:
        """Close the current stage and start ``stage``."""
        self._close()
        self._stage, self._start = stage.value, time.perf_counter()
        self.store.write(lambda s: round_sql.set_stage(s, self.id, stage.value))
        if self.progress is not None:
            self.progress(stage.value, list(Stage).index(stage) / len(Stage))
        if self._items is not None:
            self._items(stage.value, 0, self._n)

    def advance(self, done: int, total: int) -> None:
        """Items the current stage has processed so far (of ``total``)."""
        if self._items is not None and self._stage is not None:
            self._n = total
            self._items(self._stage, done, total)

    def done(self) -> None:
        self._close()
        self._stage = None
        if self.progress is not None:
            self.progress("done", 1.0)

    def fail(self, reason: str) -> None:
        self.store.write(lambda s: round_sql.fail_round(s, self.id, reason))

    def _close(self) -> None:
        if self._stage is not None:
            self.seconds[self._stage] = round(time.perf_counter() - self._start, 3)
            if self._items is not None:
                self._items(self._stage, self._n, self._n)


def _payloads(store: Store, data: RoundData, positions: np.ndarray) -> list[Any]:
    """The payloads of the items at ``positions`` of the round's data, in that order."""
    wanted = [int(data.pks[i]) for i in positions]
    with store.session() as session:
        found = item_sql.payloads(session, wanted)
    return [found[pk] for pk in wanted]


def load_round_features(
    store: Store,
    schema: Schema,
    settings: ProjectSettings,
    data: RoundData,
    feature_dir: Path,
    progress: Callable[[int, int], None] | None = None,
    *,
    engine: Engine | None = None,
) -> tuple[np.ndarray, str, Any]:
    """:func:`load_features`, and for image projects on the default featurizer both image
    featurizers (pretrained EfficientNet-Lite0 and weight-free random convolutions, which
    is better on digits and scans), one chosen by :func:`steps.choose_features` on people's
    answers. Returns the features, their version, and the choice (None: no choice made)."""
    from labelmill.features import PRETRAINED_IMAGE_METHOD, missing_pretrained_packages
    from labelmill.pipeline.steps import choose_features

    def load(s: ProjectSettings) -> tuple[np.ndarray, str]:
        return load_features(store, schema, s, data, feature_dir, progress, engine=engine)

    if schema.data_type != "image" or settings.featurizer or missing_pretrained_packages():
        X, version = load(settings)
        return X, version, None
    methods = (PRETRAINED_IMAGE_METHOD, "random_conv")
    loaded = {m: load(settings.replace(featurizer={"method": m})) for m in methods}
    with store.session() as session:
        last = round_sql.last_results(session).get("techniques", {}).get("image_features")
    current = str(last["reason"]).split(":")[0] if last else None
    chosen, info = choose_features(
        {name: X for name, (X, _) in loaded.items()},
        data.human,
        int(schema.cardinality),
        settings.seed,
        current,
    )
    X, version = loaded[chosen]
    return X, version, info


def training_augmenter(
    store: Store, schema: Schema, settings: ProjectSettings, data: RoundData
) -> Any:
    """``(rows, Y, weights) -> (X_aug, Y_aug, w_aug)``: augmented, featurized copies of the
    training rows at ``rows`` (people's answers) from :mod:`labelmill.augment`, or None when
    the technique is off, the package is absent, or the data are tables (their featurizer
    is fitted on the whole project)."""
    if settings.techniques["augment"] == "off" or schema.data_type == "tabular":
        return None
    try:
        from labelmill.augment import augment_training_rows
    except ImportError:
        return None
    from labelmill.features import make_featurizer

    featurizer = make_featurizer(schema.data_type, **settings.featurizer)

    def augment(rows: np.ndarray, Y: np.ndarray, weights: np.ndarray) -> Any:
        return augment_training_rows(
            _payloads(store, data, rows),
            Y,
            weights,
            data_type=schema.data_type,
            featurizer=featurizer,
            seed=settings.seed,
        )

    return augment
