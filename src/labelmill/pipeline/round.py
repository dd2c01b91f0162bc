"""One labeling round: rules -> load -> aggregate -> featurize -> train -> predict ->
calibrate -> route -> write.

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
With the ``audit_model`` technique a second model trained with them too labels the
``review`` items; the ``auto`` decision stays the audit-blind model's
(:func:`~labelmill.pipeline.steps.train`, ``settings.techniques``).
This module orchestrates; the store I/O is in :mod:`~labelmill.pipeline.round_data` and
the steps beyond one library call in :mod:`~labelmill.pipeline.steps`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np

from labelmill.engine import Engine, LocalEngine
from labelmill.enums import Stage, Status
from labelmill.exceptions import LabelmillError, RoundError
from labelmill.pipeline import steps
from labelmill.pipeline.results import (
    RoundResult,
    StoppingInfo,
    StrategyInfo,
    Versions,
)
from labelmill.pipeline.round_data import (
    RoundLabels,
    RoundRecord,
    load_round_data,
    load_round_features,
    training_augmenter,
    write_round,
)
from labelmill.pipeline.rules import apply_registered_rules
from labelmill.schema import Schema
from labelmill.settings import ProjectSettings
from labelmill.store import Store

__all__ = ["STAGES", "RoundResult", "run_round"]

logger = logging.getLogger(__name__)
STAGES = tuple(stage.value for stage in Stage)


def run_round(
    store: Store,
    schema: Schema,
    settings: ProjectSettings,
    *,
    feature_dir: Path,
    progress: Callable[[str, float], None] | None = None,
    actor: str = "library",
    engine: Engine | None = None,
) -> RoundResult:
    """Run one labeling round; see the module docstring.

    Parameters
    ----------
    store, schema, settings
        The project's store, schema and the settings of this round.
    feature_dir : path
        The feature cache folder unless ``settings.feature_cache`` names another.
    progress : callable, optional
        Called with ``(stage, fraction done)`` as each stage starts.
    actor : str
        Who started the round (recorded).
    engine : Engine, optional
        Where rules, featurization, inference and scoring run over partitions of items
        (:mod:`labelmill.engine`); default this process. The result does not depend on it.

    Raises
    ------
    RoundError
        The round could not run (no labels at all, one class only, features failing...).
        The round is recorded as failed with the reason; earlier rounds are untouched.
    """
    with store.exclusive("round") as mine:
        if not mine:
            raise RoundError(
                "A round of this project is already running (in another process or server); "
                "wait for it to finish, then run again."
            )
        return _guarded(
            store, schema, settings, feature_dir, progress, actor, engine or LocalEngine()
        )


def _guarded(
    store: Store,
    schema: Schema,
    settings: ProjectSettings,
    feature_dir: Path,
    progress: Callable[[str, float], None] | None,
    actor: str,
    engine: Engine,
) -> RoundResult:
    """One round, with the project's round lock held (no other round runs)."""
    params = {**settings.to_dict(), "actor": actor, "engine": engine.name}
    record = RoundRecord(store, params, progress)
    try:
        return _run(store, schema, settings, feature_dir, record, engine)
    except LabelmillError as exc:
        record.fail(str(exc))
        if isinstance(exc, RoundError):
            raise
        raise RoundError(f"Round {record.id} failed: {exc}") from exc
    except BaseException as exc:
        record.fail(f"{type(exc).__name__}: {exc}")
        raise


def _run(
    store: Store,
    schema: Schema,
    settings: ProjectSettings,
    feature_dir: Path,
    record: RoundRecord,
    engine: Engine,
) -> RoundResult:
    if schema.multilabel:
        raise RoundError(
            "Rounds on multilabel projects are not supported yet; label them by hand or "
            "export and train one binary project per class."
        )
    k, seed = schema.cardinality, settings.seed
    record.stage(Stage.RULES)
    rule_versions = apply_registered_rules(store, schema, settings, engine=engine)

    record.stage(Stage.LOAD)
    data = load_round_data(store, sparse="auto")
    if len(data) == 0:
        raise RoundError("The project has no items; import some first (labelmill import).")

    record.stage(Stage.FEATURIZE)
    X, featurizer_version, feature_choice = load_round_features(
        store, schema, settings, data, feature_dir, progress=record.advance, engine=engine
    )

    record.stage(Stage.AGGREGATE)
    trusted, audited = data.human >= 0, data.audit >= 0
    zero_shot = steps.zero_shot(settings, schema, X, int(trusted.sum()))
    L, kinds = steps.with_source(data.L, data.source_kinds, zero_shot.votes)
    posterior, covered, aggregator = steps.aggregate(L, k, seed, kinds)
    steps.check_trainable(schema, data.human, L, trusted, covered)
    from labelmill.learn import training_targets

    weak = covered & ~trusted
    rows, Y, weights = training_targets(
        posterior,
        data.human,
        covered=covered,
        exclude=weak & ~steps.weak_sample(weak, seed),
        human_weight=steps.HUMAN_WEIGHT,
    )

    record.stage(Stage.TRAIN)
    augmenter = training_augmenter(store, schema, settings, data)
    trained = steps.train(settings, X, rows, Y, weights, data.human, data.audit, k, seed, augmenter)
    model = trained.model

    record.stage(Stage.PREDICT)
    # steps.train predicted every item already; a cluster engine predicts again over its
    # partitions (the same numbers; the driver's prediction is not skipped yet)
    proba, least_confidence = trained.proba, None
    if engine.name != "local":
        proba, least_confidence = engine.predict_and_score(model, X, score="least_confidence")
    raw_conf, predicted = proba.max(axis=1), proba.argmax(axis=1)

    record.stage(Stage.CALIBRATE)
    correct_audit = predicted[audited] == data.audit[audited]
    shown, ece_before, ece_after = steps.calibrate_on_audit(proba, audited, data.audit, seed)

    record.stage(Stage.ROUTE)
    routable = ~(trusted | audited)
    routing = steps.route(
        settings,
        raw_conf,
        predicted,
        data.audit,
        data.random_keys,
        data.status,
        routable,
        data.state.get("guarantee"),
    )
    auto = routing.auto
    status = np.where(routable, np.where(auto, Status.AUTO, Status.REVIEW), data.status)
    status = np.where(trusted & (data.status == Status.UNLABELED), Status.HUMAN, status)
    final = np.where(trusted, data.human, np.where(audited, data.audit, predicted))
    # The audit model (if any) labels review items only; `auto` stays the blind model's.
    final, shown, changed = steps.review_labels(final, shown, trained, routable & ~auto)
    if changed is not None:
        trained.techniques["audit_model"].details.update(changed)

    committee = trained.committee or steps.committee_members(
        settings, X, rows, Y, weights, posterior, covered, k, seed, predict=engine.predict_proba
    )
    priority, strategy, bandit_state = steps.order_review_queue(
        settings,
        proba,
        X,
        committee,
        routable & ~auto,
        correct_audit,
        data.state.get("bandit"),
        seed,
        record.id,
        least_confidence=least_confidence,
    )
    coverage = float(auto.sum()) / max(int(routable.sum()), 1)
    # Coverage only counts once a threshold can be certified at all.
    stopping, stopping_state = steps.stopping_verdict(
        data.random_keys,
        predicted,
        coverage if routing.threshold is not None else None,
        data.state.get("stopping"),
    )

    result = RoundResult(
        round_id=record.id,
        status="done",
        counts={s.value: int((status == s).sum()) for s in Status},
        threshold=routing.threshold,
        guarantee=routing.statement,
        change=routing.change,
        n_audit=int(audited.sum()),
        n_human=int(trusted.sum()),
        n_trained=trained.n_trained,
        audit_accuracy=float(correct_audit.mean()) if audited.any() else None,
        auto_accuracy=steps.auto_accuracy(routing, correct_audit, settings.confidence),
        n_more_audit_needed=routing.n_more_audit,
        accepted_share_on_audit=routing.accepted_share_on_audit,
        ece_before=ece_before,
        ece_after=ece_after,
        strategy=StrategyInfo(**strategy) if strategy else None,
        stopping=StoppingInfo(**stopping),
        versions=Versions(
            rules=rule_versions,
            sources=data.source_versions,
            featurizer=featurizer_version,
            aggregator=aggregator,
            end_model=repr(model),
            threshold_policy=routing.policy,
        ),
        techniques={
            **trained.techniques,
            "zero_shot": zero_shot.info,
            **({"image_features": feature_choice} if feature_choice else {}),
        },
    )
    record.stage(Stage.WRITE)
    result.seconds = dict(record.seconds)
    state = {
        "stopping": stopping_state,
        "audit_outcomes": steps.audit_outcomes(data, audited, predicted, raw_conf, shown, routing),
    }
    if routing.state is not None:
        state["guarantee"] = routing.state
    if bandit_state is not None:
        state["bandit"] = bandit_state
    labels = RoundLabels(label=final, status=status, proba=shown, priority=priority)
    write_round(store, data, record.id, labels, result.to_dict(), state)
    record.done()
    return result
