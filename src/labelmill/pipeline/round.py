"""One labeling round: rules -> aggregate -> featurize -> train -> predict -> calibrate -> route.

Everything the round decides is written in one transaction at its end, stamped with the
round's id, so a crash mid-round leaves the previous round's labels in place; the next
run marks the interrupted round failed and starts again, reusing every feature vector
already cached (the expensive part). Each stage's progress goes to the ``rounds`` row
(``stage``) and to an optional callback.

Who decides an item's label:

- a person (review answer: ``human``; blind audit answer or imported gold: ``gold``);
- otherwise the end model, trained on people's labels (which outrank the rules) and on the
  aggregator's posteriors over rule, model and crowd votes. Its top-label confidence is
  routed by the threshold policy: ``auto`` above the threshold chosen on the blind random
  audit sample with an exact binomial guarantee, ``review`` below.

Audit answers never train the model: they only choose the threshold, calibrate the
displayed confidence (isotonic, so the order of items is kept), and estimate accuracy.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from labelmill.exceptions import ConfigError, LabelmillError, RoundError
from labelmill.store import Item, Label, Round, Setting, Source, Vote

if TYPE_CHECKING:
    from labelmill.project import Project

__all__ = ["RoundResult", "run_round"]

logger = logging.getLogger(__name__)
Progress = Callable[[str, float], None]
STAGES = ("load", "rules", "aggregate", "featurize", "train", "predict", "calibrate", "route")
HUMAN_WEIGHT = 2.0  # a person's label counts twice a rule posterior in training
_MIN_CALIBRATION = 30  # fewer audit labels: show the model's raw confidence
_STOP_SET = 2000
# Rows labeled only by the aggregator beyond this many train on a seeded random sample of
# this size (people's labels always train): at 100,000 rows the head's fit took 80% of a
# round, and a linear head on embeddings gains nothing from more soft-labeled rows.
MAX_WEAK_ROWS = 20_000


@dataclass
class RoundResult:
    """What a round did: counts by status, the threshold decision, quality estimates."""

    round_id: int
    status: str
    counts: dict[str, int] = field(default_factory=dict)
    threshold: float | None = None
    guarantee: str = ""
    n_audit: int = 0
    n_human: int = 0
    n_trained: int = 0
    audit_accuracy: float | None = None
    auto_accuracy: dict[str, Any] | None = None
    ece_before: float | None = None
    ece_after: float | None = None
    strategy: dict[str, Any] | None = None
    stopping: dict[str, Any] | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    versions: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def summary(self) -> list[str]:
        lines = [
            "items: " + ", ".join(f"{k} {v}" for k, v in self.counts.items()),
            self.guarantee,
        ]
        if self.audit_accuracy is not None:
            lines.append(
                f"model accuracy on the blind audit sample: {self.audit_accuracy:.3f} "
                f"({self.n_audit} items)"
            )
        if self.strategy:
            bandit = self.strategy.get("bandit")
            chosen = self.strategy.get("chosen") or self.strategy.get("strategy")
            lines.append(
                f"review queue ordered by: {chosen}"
                + (f" (bandit: {bandit['reason']})" if bandit else "")
            )
        if self.stopping:
            lines.append(f"stopping rule: {self.stopping.get('reason', '')}")
        return [line for line in lines if line]

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items()}
        out["summary"] = self.summary()
        return out


@dataclass
class _Data:
    """Everything a round reads from the store, aligned by position."""

    pks: np.ndarray
    hashes: list[str]
    random_keys: np.ndarray
    status: np.ndarray  # object array of status strings
    human: np.ndarray  # class (or -1): review answers and imported gold
    audit: np.ndarray  # class (or -1): blind audit answers
    L: np.ndarray  # (n, m) votes of rule, model and crowd sources, -1 abstain
    source_ids: list[int]
    source_versions: dict[str, str]


def run_round(
    project: Project,
    *,
    target_accuracy: float | None = None,
    confidence: float | None = None,
    progress: Progress | None = None,
    actor: str = "library",
) -> RoundResult:
    """Run one labeling round on ``project``; see the module docstring.

    Raises
    ------
    RoundError
        The round could not run (no labels at all, one class only, features failing...).
        The round is recorded as failed with the reason; earlier rounds are untouched.
    """
    settings = dict(project.settings)
    if target_accuracy is not None:
        settings["target_accuracy"] = target_accuracy
    if confidence is not None:
        settings["confidence"] = confidence
    for key in ("target_accuracy", "confidence"):
        value = settings[key]
        if not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value < 1:
            raise ConfigError(
                f"The '{key}' parameter of run_round must be a float in (0, 1). "
                f"Got {value!r} instead."
            )
    store = project.store
    round_id = store.write(lambda s: _start(s, settings, actor))
    clock = _Clock(store, round_id, progress)
    try:
        result = _run(project, round_id, settings, clock)
    except LabelmillError as exc:
        _fail(store, round_id, str(exc))
        if isinstance(exc, RoundError):
            raise
        raise RoundError(f"Round {round_id} failed: {exc}") from exc
    except Exception as exc:
        _fail(store, round_id, f"{type(exc).__name__}: {exc}")
        raise
    return result


def _start(session: Session, settings: dict[str, Any], actor: str) -> int:
    for stale in session.scalars(select(Round).where(Round.status == "running")):
        stale.status = "failed"
        stale.error = "interrupted (the process stopped before the round finished)"
        stale.finished_at = datetime.now(UTC)
    record = Round(status="running", stage="load", params={**settings, "actor": actor})
    session.add(record)
    session.flush()
    return record.id


def _fail(store: Any, round_id: int, reason: str) -> None:
    def work(session: Session) -> None:
        record = session.get(Round, round_id)
        if record is not None:
            record.status, record.error = "failed", reason
            record.finished_at = datetime.now(UTC)

    store.write(work)


class _Clock:
    """Times stages, records the current stage in the rounds table, calls the callback."""

    def __init__(self, store: Any, round_id: int, progress: Progress | None) -> None:
        self.store, self.round_id, self.progress = store, round_id, progress
        self.seconds: dict[str, float] = {}
        self._stage: str | None = None
        self._start = 0.0

    def stage(self, name: str) -> None:
        self._close()
        self._stage, self._start = name, time.perf_counter()

        def work(session: Session) -> None:
            record = session.get(Round, self.round_id)
            if record is not None:
                record.stage = name

        self.store.write(work)
        if self.progress is not None:
            self.progress(name, STAGES.index(name) / len(STAGES))

    def _close(self) -> None:
        if self._stage is not None:
            self.seconds[self._stage] = round(time.perf_counter() - self._start, 3)

    def done(self) -> None:
        self._close()
        self._stage = None
        if self.progress is not None:
            self.progress("done", 1.0)


def _run(project: Project, round_id: int, settings: dict[str, Any], clock: _Clock) -> RoundResult:
    from labelmill.pipeline.sources import apply_registered_rules

    schema = project.schema
    if schema.multilabel:
        raise RoundError(
            "Rounds on multilabel projects are not supported yet; label them by hand or "
            "export and train one binary project per class."
        )
    k = schema.cardinality
    seed = int(settings.get("seed", 0))

    clock.stage("rules")
    rule_versions = apply_registered_rules(project)

    clock.stage("load")
    data = _load(project)
    n = len(data.pks)
    if n == 0:
        raise RoundError("The project has no items; import some first (labelmill import).")

    clock.stage("aggregate")
    posterior, covered, aggregator_info = _aggregate(data.L, k, seed)

    trusted = data.human >= 0
    train_mask = trusted | _weak_sample(covered & ~trusted, seed)
    classes_seen = set(data.human[trusted].tolist()) | set(data.L[data.L >= 0].tolist())
    if not train_mask.any():
        raise RoundError(
            "No item has a label to learn from: no rule voted and nobody answered. Register "
            "rules (labelmill rules) or label some items by hand (labelmill serve)."
        )
    if len(classes_seen) < 2:
        only = schema.decode(next(iter(classes_seen))) if classes_seen else "none"
        raise RoundError(
            f"Only one class has labels so far ({only}); a model needs at least two. Label "
            "items of the other classes or add rules that vote for them."
        )

    clock.stage("featurize")
    X, featurizer_version = _featurize(project, data, clock)

    clock.stage("train")
    Y = np.zeros((n, k))
    Y[covered] = posterior[covered]
    Y[trusted] = 0.0
    Y[trusted, data.human[trusted]] = 1.0
    weights = np.where(trusted, HUMAN_WEIGHT, 1.0)
    model = _end_model(settings, k, seed)
    model.fit(X[train_mask], Y[train_mask], sample_weight=weights[train_mask])

    clock.stage("predict")
    proba = model.predict_proba(X)
    raw_conf = proba.max(axis=1)
    predicted = proba.argmax(axis=1)

    clock.stage("calibrate")
    audited = data.audit >= 0
    correct_audit = predicted[audited] == data.audit[audited]
    shown_proba, ece_before, ece_after = _calibrate(proba, audited, data.audit, seed)

    clock.stage("route")
    from labelmill.quality import ThresholdPolicy, estimate_accuracy

    routable = ~(trusted | audited)
    policy = ThresholdPolicy(settings["target_accuracy"], settings["confidence"])
    # Once people have labeled or audited every item, nothing is left to route.
    population = raw_conf[routable] if routable.any() else None
    decision = policy.choose(raw_conf[audited], correct_audit, population_scores=population)
    auto = routable & decision.accepts(raw_conf)
    status = np.where(routable, np.where(auto, "auto", "review"), data.status)
    status = np.where(trusted & (data.status == "unlabeled"), "human", status)
    final = np.where(trusted, data.human, np.where(audited, data.audit, predicted))

    committee = _committee(
        project, X, Y, weights, train_mask, posterior, covered, settings, k, seed
    )
    priority, strategy_info = _prioritize(
        project, proba, X, committee, routable & ~auto, correct_audit, seed, round_id
    )
    coverage = float(auto.sum()) / max(int(routable.sum()), 1)
    # Coverage only counts once a threshold can be certified at all.
    stopping = _stopping(
        project, data, predicted, coverage if decision.threshold is not None else None
    )

    audit_acc = float(correct_audit.mean()) if audited.any() else None
    auto_estimate = None
    if decision.threshold is not None:
        above = decision.accepts(raw_conf[audited])
        est = estimate_accuracy(correct_audit[above], confidence=settings["confidence"])
        auto_estimate = {
            "estimate": est.accuracy,
            "lower": decision.lower_bound,
            "interval": [est.lower, est.upper],
            "n": est.n,
        }
    counts = {s: int((status == s).sum()) for s in ("auto", "review", "human", "gold", "unlabeled")}
    result = RoundResult(
        round_id=round_id,
        status="done",
        counts=counts,
        threshold=decision.threshold,
        guarantee=decision.statement(),
        n_audit=int(audited.sum()),
        n_human=int(trusted.sum()),
        n_trained=int(train_mask.sum()),
        audit_accuracy=audit_acc,
        auto_accuracy=auto_estimate,
        ece_before=ece_before,
        ece_after=ece_after,
        strategy=strategy_info,
        stopping=stopping,
        versions={
            "rules": rule_versions,
            "sources": data.source_versions,
            "featurizer": featurizer_version,
            "aggregator": aggregator_info,
            "end_model": repr(model),
            "threshold_policy": repr(policy),
        },
    )
    result_extra = {
        "n_more_audit_needed": decision.n_more_needed,
        "accepted_share_on_audit": decision.accepted_share_on_audit,
    }
    clock.done()
    result.seconds = dict(clock.seconds)
    _write(project, data, round_id, final, status, shown_proba, priority, result, result_extra)
    return result


def _load(project: Project) -> _Data:
    from labelmill.review import latest_answers

    with project.store.session() as session:
        rows = session.execute(
            select(Item.pk, Item.content_hash, Item.random_key, Label.status, Label.label)
            .join(Label, Label.item_pk == Item.pk)
            .order_by(Item.pk)
        ).all()
        pks = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        position = {int(pk): i for i, pk in enumerate(pks)}
        status = np.array([r[3] for r in rows], dtype=object)
        stored_label = np.fromiter((r[4] for r in rows), dtype=np.int64, count=len(rows))
        human = np.where(status == "gold", stored_label, -1)  # imported gold, for now
        audit = np.full(len(rows), -1, dtype=np.int64)
        for item_pk, _kind, _user, label, queue in latest_answers(session):
            i = position[int(item_pk)]
            if queue == "audit":
                audit[i] = label
                human[i] = -1
            elif audit[i] < 0:
                human[i] = label
        imported_gold = _imported_gold(session, position)
        for i, label in imported_gold.items():
            if audit[i] < 0:
                human[i] = label
        sources = session.execute(
            select(Source.id, Source.kind, Source.name, Source.version)
            .where(Source.active, Source.kind.in_(("rule", "model", "crowd")))
            .order_by(Source.id)
        ).all()
        source_ids = [s[0] for s in sources]
        L = np.full((len(rows), len(source_ids)), -1, dtype=np.int64)
        column = {sid: j for j, sid in enumerate(source_ids)}
        if source_ids:
            latest = (
                select(Vote.item_pk, Vote.source_id, Vote.label)
                .where(Vote.source_id.in_(source_ids))
                .order_by(Vote.id)
            )
            for item_pk, source_id, label in session.execute(latest):
                L[position[int(item_pk)], column[source_id]] = label
    return _Data(
        pks=pks,
        hashes=[r[1] for r in rows],
        random_keys=np.fromiter((r[2] for r in rows), dtype=np.float64, count=len(rows)),
        status=status,
        human=human,
        audit=audit,
        L=L,
        source_ids=source_ids,
        source_versions={f"{s[1]}:{s[2]}": s[3] for s in sources},
    )


def _imported_gold(session: Session, position: dict[int, int]) -> dict[int, int]:
    from labelmill.imports import GOLD_SOURCE

    kind, name, version = GOLD_SOURCE
    rows = session.execute(
        select(Vote.item_pk, Vote.label)
        .join(Source, Source.id == Vote.source_id)
        .where(Source.kind == kind, Source.name == name, Source.version == version)
    )
    return {position[int(pk)]: int(label) for pk, label in rows if int(pk) in position}


def _aggregate(L: np.ndarray, k: int, seed: int) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    n = L.shape[0]
    covered = (L >= 0).any(axis=1) if L.size else np.zeros(n, dtype=bool)
    posterior = np.full((n, k), 1.0 / k)
    if not covered.any():
        return posterior, covered, {"name": None, "sources": int(L.shape[1])}
    from labelmill.labelmodel import LabelModel

    model = LabelModel(cardinality=k, random_state=seed)
    model.fit(L)
    posterior = model.predict_proba(L)
    return posterior, covered, {"name": repr(model), "sources": int(L.shape[1])}


def _featurize(project: Project, data: _Data, clock: _Clock) -> tuple[np.ndarray, str]:
    from labelmill.features import FeatureCache, make_featurizer

    options = dict(project.settings.get("featurizer") or {})
    featurizer = make_featurizer(project.schema.data_type, **options)
    payloads = _payload_loader(project, data)
    if project.schema.data_type == "tabular":
        featurizer.fit(payloads(np.arange(len(data.pks))))
    else:
        featurizer.fit([])
    cache = FeatureCache(project.settings.get("feature_cache") or project.path / "features")
    batch = cache.get_or_compute(featurizer, data.hashes, payloads)
    if batch.failed.any():
        bad = np.flatnonzero(batch.failed)[:5]
        with project.store.session() as session:
            ids = dict(
                session.execute(
                    select(Item.pk, Item.item_id).where(
                        Item.pk.in_([int(data.pks[i]) for i in bad])
                    )
                ).all()
            )
        reasons = "; ".join(
            f"{ids.get(int(data.pks[i]), i)}: {batch.reasons.get(int(i), 'failed')}" for i in bad
        )
        raise RoundError(
            f"Features could not be computed for {int(batch.failed.sum())} item(s) "
            f"(first ones: {reasons}). Fix or remove those items and run again."
        )
    return np.asarray(batch.X, dtype=np.float32), featurizer.version


def _payload_loader(project: Project, data: _Data) -> Callable[[np.ndarray], list[Any]]:
    def load(positions: np.ndarray) -> list[Any]:
        wanted = [int(data.pks[i]) for i in positions]
        out: dict[int, Any] = {}
        with project.store.session() as session:
            for start in range(0, len(wanted), 5000):
                chunk = wanted[start : start + 5000]
                out.update(
                    session.execute(select(Item.pk, Item.payload).where(Item.pk.in_(chunk))).all()
                )
        return [out[pk] for pk in wanted]

    return load


def _end_model(settings: dict[str, Any], k: int, seed: int) -> Any:
    from labelmill.learn import EndModel

    options = dict(settings.get("end_model") or {})
    return EndModel(n_classes=k, random_state=seed, **options)


def _calibrate(
    proba: np.ndarray, audited: np.ndarray, audit_labels: np.ndarray, seed: int
) -> tuple[np.ndarray, float | None, float | None]:
    """Isotonic top-label calibration on the audit sample (order-preserving), with ECE
    before and after measured by 2-fold cross-fitting so 'after' is not in-sample."""
    if audited.sum() < _MIN_CALIBRATION:
        return proba, None, None
    from labelmill.learn import IsotonicCalibrator, expected_calibration_error

    p_audit, y_audit = proba[audited], audit_labels[audited]
    before = expected_calibration_error(y_audit, p_audit)
    rng = np.random.default_rng(seed)
    fold = rng.permutation(len(y_audit)) % 2
    cross = np.empty_like(p_audit)
    for f in (0, 1):
        fit_on, apply_to = fold != f, fold == f
        if len(np.unique(y_audit[fit_on])) < 1 or fit_on.sum() < 5:
            return proba, before, None
        cross[apply_to] = (
            IsotonicCalibrator().fit(p_audit[fit_on], y_audit[fit_on]).transform(p_audit[apply_to])
        )
    after = expected_calibration_error(y_audit, cross)
    calibrated = IsotonicCalibrator().fit(p_audit, y_audit).transform(proba)
    return calibrated, float(before), float(after)


def _weak_sample(weak: np.ndarray, seed: int) -> np.ndarray:
    """``weak`` (rows labeled by the aggregator only), cut to a seeded random sample of
    :data:`MAX_WEAK_ROWS` rows when it has more."""
    rows = np.flatnonzero(weak)
    if rows.size <= MAX_WEAK_ROWS:
        return weak
    rng = np.random.default_rng([seed, 11])
    keep = np.zeros_like(weak)
    keep[rng.choice(rows, size=MAX_WEAK_ROWS, replace=False)] = True
    return keep


def _committee(
    project: Project,
    X: np.ndarray,
    Y: np.ndarray,
    weights: np.ndarray,
    train_mask: np.ndarray,
    posterior: np.ndarray,
    covered: np.ndarray,
    settings: dict[str, Any],
    k: int,
    seed: int,
) -> list[np.ndarray] | None:
    """Committee members besides the end model: the label model's posterior (rules vs model
    disagreement) when rules cover items, else a model fit on a bootstrap of the labels."""
    if project.settings.get("strategy", "auto") not in ("auto", "committee"):
        return None
    if covered.any():
        return [posterior]
    rng = np.random.default_rng([seed, 7])
    rows = np.flatnonzero(train_mask)
    sample = rng.choice(rows, size=rows.size, replace=True)
    member = _end_model(settings, k, seed + 1)
    member.fit(X[sample], Y[sample], sample_weight=weights[sample])
    return [member.predict_proba(X)]


def _prioritize(
    project: Project,
    proba: np.ndarray,
    X: np.ndarray,
    committee: list[np.ndarray] | None,
    pool: np.ndarray,
    correct_audit: np.ndarray,
    seed: int,
    round_id: int,
) -> tuple[np.ndarray, dict[str, Any] | None]:
    """Review-queue order: the strategy's batch first, then the least confident."""
    from labelmill.active import StrategyBandit, query

    priority = 1.0 - proba.max(axis=1)  # in [0, 1): least confident first
    if not pool.any():
        return priority, None
    strategy = project.settings.get("strategy", "auto")
    batch_size = min(int(project.settings.get("batch_size", 50)), int(pool.sum()))
    with project.store.session() as session:
        state = session.get(Setting, "bandit")
        bandit = StrategyBandit.from_dict(state.value) if state is not None else StrategyBandit()
    audit_accuracy = float(correct_audit.mean()) if correct_audit.size else None
    chosen = query(
        proba,
        X,
        labeled_mask=~pool,
        batch_size=batch_size,
        strategy=strategy,
        random_state=np.random.default_rng([seed, round_id]),
        committee=committee,
        bandit=bandit,
        audit_accuracy=audit_accuracy,
    )
    priority[chosen] = 2.0 + (len(chosen) - np.arange(len(chosen))) / max(len(chosen), 1)
    info: dict[str, Any] = {"strategy": strategy, "batch": int(len(chosen))}
    if strategy == "auto":
        info.update({"chosen": bandit.last_choice, "bandit": bandit.report()})
        _save_setting(project, "bandit", bandit.to_dict())
    return priority, info


def _stopping(
    project: Project, data: _Data, predicted: np.ndarray, coverage: float
) -> dict[str, Any]:
    from labelmill.active import StoppingRule

    stop_set = np.argsort(data.random_keys, kind="stable")[:_STOP_SET]
    with project.store.session() as session:
        row = session.get(Setting, "stopping")
        rule = StoppingRule.from_dict(row.value) if row is not None else StoppingRule()
    if rule.previous_ is not None and len(rule.previous_) != len(stop_set):
        rule = StoppingRule()  # items were added: start comparing afresh
    decision = rule.update(predicted[stop_set], coverage)
    _save_setting(project, "stopping", rule.to_dict())
    return {
        "stop": decision.stop,
        "reason": decision.reason,
        "kappa": decision.kappa,
        "coverage_gain": decision.coverage_gain,
    }


def _save_setting(project: Project, key: str, value: Any) -> None:
    """Insert or replace one JSON value of the ``settings`` table."""

    def work(session: Session) -> None:
        row = session.get(Setting, key)
        if row is None:
            session.add(Setting(key=key, value=value))
        else:
            row.value = value

    project.store.write(work)


def _write(
    project: Project,
    data: _Data,
    round_id: int,
    final: np.ndarray,
    status: np.ndarray,
    proba: np.ndarray,
    priority: np.ndarray,
    result: RoundResult,
    extra: dict[str, Any],
) -> None:
    now = datetime.now(UTC)
    rounded = np.round(proba, 5)
    conf = rounded.max(axis=1)
    machine = np.isin(status, ("auto", "review"))

    def work(session: Session) -> None:
        rows = []
        for i in np.flatnonzero(machine):
            rows.append(
                {
                    "item_pk": int(data.pks[i]),
                    "label": int(final[i]),
                    "status": str(status[i]),
                    "confidence": float(conf[i]),
                    "posterior": rounded[i].tolist(),
                    "round_id": round_id,
                    "sources": data.source_ids or None,
                    "priority": float(priority[i]),
                    "updated_at": now,
                }
            )
            if len(rows) >= 5000:
                session.execute(update(Label), rows)
                rows = []
        if rows:
            session.execute(update(Label), rows)
        record = session.get(Round, round_id)
        assert record is not None
        record.status, record.stage = "done", "done"
        record.results = {**result.to_dict(), **extra}
        record.finished_at = datetime.now(UTC)

    project.store.write(work, retries=3)
