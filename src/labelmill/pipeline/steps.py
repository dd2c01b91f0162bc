"""The steps of a round that are more than one library call: pure functions over arrays.

No store access here: :mod:`labelmill.pipeline.round` feeds them what
:mod:`labelmill.pipeline.round_data` read, and writes back what they return.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from labelmill.enums import SourceKind, Status
from labelmill.exceptions import RoundError
from labelmill.pipeline.results import AutoAccuracy, TechniqueInfo
from labelmill.schema import Schema
from labelmill.settings import ProjectSettings

__all__ = [
    "HUMAN_WEIGHT",
    "MAX_WEAK_ROWS",
    "Routing",
    "Trained",
    "aggregate",
    "audit_outcomes",
    "auto_accuracy",
    "check_trainable",
    "calibrate_on_audit",
    "committee_members",
    "end_model",
    "order_review_queue",
    "route",
    "review_labels",
    "stopping_verdict",
    "train",
    "weak_sample",
]

HUMAN_WEIGHT = 2.0  # a person's label counts twice a rule posterior in training
_MIN_CALIBRATION = 30  # fewer audit labels: show the model's raw confidence
_STOP_SET = 2000
# Rows labeled only by the aggregator beyond this many train on a seeded random sample of
# this size (people's labels always train): at 100,000 rows the head's fit took 80% of a
# round, and a linear head on embeddings gains nothing from more soft-labeled rows.
MAX_WEAK_ROWS = 20_000


def aggregate(
    L: Any, k: int, seed: int, kinds: list[str] | None = None
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Posteriors of the label model over the votes ``L``, which items any source covers,
    and a description of the aggregator.

    ``L`` is the ``(n, m)`` int array (-1 = abstain) or a CSR matrix of ``label + 1``
    (:func:`labelmill.pipeline.round_data.sparse_votes`); both give the same result.

    ``kinds`` (one source kind per column) tells rules from people and models: a person or
    a model abstains because an item was not put to them, so their abstaining says nothing
    about the class; a rule that votes one class abstains because it did not fire, which
    does (the label model's own choice per source, made explicit when people are in the
    matrix too, so a worker who so far gave one class is not taken for a rule).
    """
    n = L.shape[0]
    if sp.issparse(L):  # CSR of label + 1 (round_data.sparse_votes): no stored zeros
        covered = np.diff(L.indptr) > 0
    else:
        covered = np.asarray((L >= 0).any(axis=1)) if L.size else np.zeros(n, dtype=bool)
    posterior = np.full((n, k), 1.0 / k)
    if not covered.any():
        return posterior, covered, {"name": None, "sources": int(L.shape[1])}
    from labelmill.labelmodel import LabelModel

    abstain: Any = "auto"
    if kinds is not None and any(kind != SourceKind.RULE for kind in kinds):
        abstain = np.array(
            [
                kind == SourceKind.RULE and len(np.unique(_column_votes(L, j))) <= 1
                for j, kind in enumerate(kinds)
            ]
        )
    model = LabelModel(cardinality=k, random_state=seed, abstain=abstain)
    model.fit(L)
    posterior = model.predict_proba(L)
    return posterior, covered, {"name": repr(model), "sources": int(L.shape[1])}


def _column_votes(L: Any, j: int) -> np.ndarray:
    """The votes cast in column ``j`` of a dense (-1 = abstain) or CSR (label + 1) matrix."""
    if sp.issparse(L):
        return np.asarray(L[:, j].data) - 1
    column = L[:, j]
    return np.asarray(column[column >= 0])


#: people's answers below which an image project keeps the pretrained features
MIN_FEATURE_CHOICE = 60
#: accuracy the weight-free image features must gain to replace the pretrained ones
FEATURE_MARGIN = 0.01


def choose_features(
    candidates: dict[str, np.ndarray],
    labels: np.ndarray,
    k: int,
    seed: int,
    current: str | None = None,
) -> tuple[str, TechniqueInfo]:
    """Which of several feature matrices to train on: the ``current`` one (the last round's
    choice; by default the first) unless another is more accurate by :data:`FEATURE_MARGIN`
    in 3-fold cross-validation of the end model over people's answers ``labels`` (-1: none;
    never audit answers, which stay blind), so the choice does not flip between rounds on
    noise. Few answers (below :data:`MIN_FEATURE_CHOICE`) keep the first."""
    from sklearn.model_selection import KFold, cross_val_score

    from labelmill.learn import EndModel

    names = list(candidates)
    rows = np.flatnonzero(labels >= 0)
    if rows.size < MIN_FEATURE_CHOICE or np.unique(labels[rows]).size < 2:
        reason = f"{names[0]}: {rows.size} people's answers, fewer than {MIN_FEATURE_CHOICE}"
        return names[0], TechniqueInfo("auto", False, reason)
    folds = KFold(3, shuffle=True, random_state=seed)
    scores = {
        name: float(cross_val_score(EndModel(n_classes=k), X[rows], labels[rows], cv=folds).mean())
        for name, X in candidates.items()
    }
    incumbent = current if current in candidates else names[0]
    best = max((n for n in names if n != incumbent), key=scores.__getitem__)
    chosen = best if scores[best] >= scores[incumbent] + FEATURE_MARGIN else incumbent
    evidence = {"answers": int(rows.size), "accuracy": {n: round(v, 4) for n, v in scores.items()}}
    reason = f"{chosen}: 3-fold accuracy on {rows.size} people's answers " + ", ".join(
        f"{n} {v:.3f}" for n, v in scores.items()
    )
    return chosen, TechniqueInfo("auto", chosen != names[0], reason, evidence=evidence)


#: ``zero_shot: auto`` votes while people have given fewer answers than this: only before the
#: first answer (measured: from 50 answers on, its votes cost 1-20 points of accuracy over all
#: items on youtube and trec, see docs/benchmarks.md)
ZERO_SHOT_COLD = 1


@dataclass
class ZeroShot:
    """Zero-shot votes from the class names and descriptions (None: not used) and what the
    round records of them."""

    votes: np.ndarray | None
    info: TechniqueInfo


def zero_shot(settings: ProjectSettings, schema: Schema, X: np.ndarray, n_answers: int) -> ZeroShot:
    """Votes from the similarity of each item's sentence embedding to its class's name and
    description (:func:`labelmill.features.zero_shot_votes`), a source the label model weighs
    like any rule. ``on`` always (text projects with the sentence-embedding featurizer);
    ``auto`` at cold start only, before anyone has answered (:data:`ZERO_SHOT_COLD`): a first
    model from the class names where there would be none; ``off`` (the default) never.

    Raises
    ------
    RoundError
        ``on`` in a project whose items are not embedded by the sentence encoder.
    """
    setting = settings.techniques.get("zero_shot", "off")
    if setting == "off":
        return ZeroShot(None, TechniqueInfo(setting, False, "off"))
    embedded = schema.data_type == "text" and settings.featurizer.get("kind", "embedding") == (
        "embedding"
    )
    if not embedded:
        if setting == "on":
            raise RoundError(
                "The setting techniques.zero_shot is on, but zero-shot votes compare sentence "
                "embeddings of items and class names: they need a text project with the "
                "default featurizer (kind: embedding). Set it to off "
                "(labelmill run --technique zero_shot=off)."
            )
        return ZeroShot(
            None, TechniqueInfo(setting, False, "auto: not a sentence-embedded text project")
        )
    if setting == "auto" and n_answers >= ZERO_SHOT_COLD:
        reason = f"auto: {n_answers} people's answers, past the cold start (< {ZERO_SHOT_COLD})"
        return ZeroShot(None, TechniqueInfo(setting, False, reason))
    from labelmill.features import (
        DEFAULT_ZERO_SHOT_MARGIN,
        class_prompts,
        embed_class_prompts,
        make_featurizer,
        zero_shot_votes,
    )

    featurizer = make_featurizer("text", **settings.featurizer)
    votes = zero_shot_votes(X, embed_class_prompts(class_prompts(schema), featurizer))
    details = {
        "margin": DEFAULT_ZERO_SHOT_MARGIN,
        "coverage": round(float((votes >= 0).mean()), 4) if votes.size else 0.0,
    }
    reason = setting if setting == "on" else f"auto: cold start ({n_answers} people's answers)"
    return ZeroShot(votes, TechniqueInfo(setting, True, reason, details=details))


def with_source(L: Any, kinds: list[str], votes: np.ndarray | None) -> tuple[Any, list[str]]:
    """The vote matrix (dense, -1 abstains; or CSR of label + 1) with one more model source's
    ``votes`` as its last column, and the source kinds with it."""
    if votes is None or not (votes >= 0).any():
        return L, kinds
    if sp.issparse(L):
        column = sp.csr_matrix(np.where(votes >= 0, votes + 1, 0).reshape(-1, 1))
        return sp.hstack([L, column], format="csr"), [*kinds, SourceKind.MODEL]
    return np.column_stack([L, votes]).astype(L.dtype), [*kinds, SourceKind.MODEL]


def weak_sample(weak: np.ndarray, seed: int) -> np.ndarray:
    """``weak`` (rows labeled by the aggregator only), cut to a seeded random sample of
    :data:`MAX_WEAK_ROWS` rows when it has more."""
    rows = np.flatnonzero(weak)
    if rows.size <= MAX_WEAK_ROWS:
        return weak
    rng = np.random.default_rng([seed, 11])
    keep = np.zeros_like(weak)
    keep[rng.choice(rows, size=MAX_WEAK_ROWS, replace=False)] = True
    return keep


def end_model(settings: ProjectSettings, k: int, seed: int) -> Any:
    """The end model the settings ask for (not fitted)."""
    from labelmill.learn import EndModel

    return EndModel(n_classes=k, random_state=seed, **settings.end_model)


@dataclass
class Trained:
    """The round's models: the audit-blind one (its confidence routes items to ``auto``) and,
    with ``audit_model``, one trained with the audit answers too (it labels ``review``
    items only).

    Attributes
    ----------
    model : estimator
        The audit-blind model.
    proba : (n_items, k) float array
        Its probabilities.
    committee : list of (n_items, k) float arrays or None
        The ensemble's members, when the ensemble ran (active learning's committee).
    review_proba : (n_items, k) float array or None
        The audit model's probabilities.
    techniques : dict of str to TechniqueInfo
        What each technique was set to, whether it ran, why, and what it did.
    n_trained : int
        Training rows of the audit-blind model (pseudo-labels and spread targets included).
    """

    model: Any
    proba: np.ndarray
    committee: list[np.ndarray] | None
    review_proba: np.ndarray | None
    techniques: dict[str, TechniqueInfo] = field(default_factory=dict)
    n_trained: int = 0


def train(
    settings: ProjectSettings,
    X: np.ndarray,
    rows: np.ndarray,
    Y: np.ndarray,
    weights: np.ndarray,
    human: np.ndarray,
    audit: np.ndarray,
    k: int,
    seed: int,
    augmenter: Callable[[np.ndarray, np.ndarray, np.ndarray], tuple[Any, Any, Any]] | None = None,
) -> Trained:
    """Fit the round's models with the techniques of ``settings.techniques``.

    ``rows``, ``Y``, ``weights`` are the training rows (from
    :func:`labelmill.learn.training_targets`; no audit answer among the targets),
    ``human`` people's labels (review answers and imported gold) and ``audit`` the blind
    audit answers, -1 where none. The audit answers never reach the audit-blind model or
    its techniques: audit items are unlabeled items to it, treated like the items they
    certify (see :mod:`labelmill.learn._techniques`). Techniques set to ``auto`` are
    decided by :func:`labelmill.learn.choose_techniques` on people's answers only.
    ``augmenter(rows, Y, weights)`` gives augmented ``(X, Y, weights)`` rows of people's
    answers (``augment``; None when :mod:`labelmill.augment` is absent).
    """
    from labelmill.learn import TrainingSet, choose_techniques

    audited = audit >= 0
    data = TrainingSet(
        X=X,
        rows=rows,
        Y=Y,
        weights=weights,
        labels=np.where(audited, -1, human),
        off_limits=np.zeros(audited.size, dtype=bool),
        n_classes=k,
        seed=seed,
    )
    requested = {t: v for t, v in settings.techniques.items() if t != "zero_shot"}
    if not audited.any() and requested["audit_model"] != "off":
        requested["audit_model"] = "off"
    if augmenter is None and requested["augment"] == "auto":
        requested["augment"] = "off"
    if augmenter is None and requested["augment"] == "on":
        raise RoundError(
            "The setting techniques.augment is on, but no augmentation is available to this "
            "round (labelmill.augment is absent or not wired into rounds yet); set it to off "
            "(labelmill run --technique augment=off)."
        )

    def fit(sub: Any, used: frozenset[str], predict_on: np.ndarray | None = None) -> Any:
        return _fit(sub, used, settings, audit, augmenter, predict_on)

    def predicted(sub: Any, used: frozenset[str]) -> np.ndarray:
        # only people's answers are scored: predict those alone
        return np.asarray(fit(sub, used, data.labels >= 0).proba.argmax(axis=1))

    start = time.perf_counter()
    choices = choose_techniques(requested, data, predicted)
    choose_seconds = time.perf_counter() - start
    if settings.techniques["audit_model"] != "off" and not audited.any():
        choices["audit_model"] = _no_audit(settings.techniques["audit_model"])
    used = frozenset(t for t, c in choices.items() if c.used)
    start = time.perf_counter()
    blind = fit(data, used - {"audit_model"})
    blind_seconds = time.perf_counter() - start
    review_proba, audit_details = None, {}
    if "audit_model" in used:
        start = time.perf_counter()
        review = fit(data, used)
        review_proba = review.proba
        audit_details = {"audit_answers": int(audited.sum()), "seconds": _s(start)}
    info = {}
    for name, choice in choices.items():
        details = dict(blind.details.get(name, {}))
        if name == "audit_model":
            details.update(audit_details)
        info[name] = TechniqueInfo(
            setting=choice.setting,
            used=choice.used,
            reason=choice.reason,
            evidence=choice.evidence,
            details=details,
        )
    if any(c.setting == "auto" for c in choices.values()):
        for t in info.values():
            if t.setting == "auto":
                t.details["choose_seconds"] = round(choose_seconds, 3)
    for name, t in info.items():
        if t.used and name != "audit_model":
            t.details["fit_seconds"] = round(blind_seconds, 3)  # of the blind model, all on
    return Trained(
        model=blind.model,
        proba=blind.proba,
        committee=blind.committee,
        review_proba=review_proba,
        techniques=info,
        n_trained=blind.n_trained,
    )


def _s(start: float) -> float:
    return round(time.perf_counter() - start, 3)


def _no_audit(setting: str) -> Any:
    from labelmill.learn import TechniqueChoice

    return TechniqueChoice(setting, False, "off: no audit answers yet")


def _fit(
    data: Any,
    used: frozenset[str],
    settings: ProjectSettings,
    audit: np.ndarray,
    augmenter: Callable[[np.ndarray, np.ndarray, np.ndarray], tuple[Any, Any, Any]] | None,
    predict_on: np.ndarray | None,
) -> Any:
    """One fit of :func:`labelmill.learn.fit_with_techniques` with ``used``: the audit
    answers added as people's labels when ``audit_model`` is in it, augmented rows of
    people's answers when ``augment`` is."""
    from labelmill.learn import fit_with_techniques

    n, k = data.X.shape[0], data.n_classes
    if "audit_model" in used:
        data = data.with_labels(np.where(data.labels < 0, audit, -1), HUMAN_WEIGHT)
    if "augment" in used and augmenter is not None:
        data = _augmented(data, augmenter, n)
    if predict_on is not None and data.X.shape[0] > n:
        predict_on = np.concatenate([predict_on, np.zeros(data.X.shape[0] - n, dtype=bool)])
    outcome = fit_with_techniques(
        data,
        used & {"self_training", "label_spreading", "ensemble"},
        lambda s: end_model(settings, k, s),
        predict_on=predict_on,
    )
    if outcome.proba.shape[0] > n:
        outcome.proba = outcome.proba[:n]
        if outcome.committee is not None:
            outcome.committee = [P[:n] for P in outcome.committee]
    return outcome


def _augmented(
    data: Any,
    augmenter: Callable[[np.ndarray, np.ndarray, np.ndarray], tuple[Any, Any, Any]],
    n: int,
) -> Any:
    """``data`` with augmented copies of people's answers appended after the ``n`` items
    (never of off-limits items: those are not training rows)."""
    import dataclasses

    people = data.labels[data.rows] >= 0
    if not people.any():
        return data
    X_aug, Y_aug, w_aug = augmenter(data.rows[people], data.Y[people], data.weights[people])
    X_aug = np.asarray(X_aug, dtype=data.X.dtype)
    m = X_aug.shape[0]
    if m == 0:
        return data
    return dataclasses.replace(
        data,
        X=np.vstack([data.X, X_aug]),
        rows=np.concatenate([data.rows, n + np.arange(m)]),
        Y=np.vstack([data.Y, np.asarray(Y_aug, dtype=np.float64)]),
        weights=np.concatenate([data.weights, np.asarray(w_aug, dtype=np.float64)]),
        labels=np.concatenate([data.labels, np.full(m, -1, dtype=np.int64)]),
        off_limits=np.concatenate([data.off_limits, np.zeros(m, dtype=bool)]),
    )


def review_labels(
    final: np.ndarray, proba: np.ndarray, trained: Trained, review: np.ndarray
) -> tuple[np.ndarray, np.ndarray, dict[str, Any] | None]:
    """Labels and shown probabilities with the audit model's on the ``review`` items.

    Only ``review`` items change (never ``auto``, people's or audited ones): the
    ``auto`` decision and its threshold came from the audit-blind model. The audit model's
    probabilities are shown uncalibrated (calibrating them on the answers they were
    trained on would be in-sample). Returns the labels, the probabilities and what
    changed (None without an audit model)."""
    if trained.review_proba is None:
        return final, proba, None
    label = np.where(review, trained.review_proba.argmax(axis=1), final)
    shown = np.where(review[:, None], trained.review_proba, proba)
    return label, shown, {"review_labels_changed": int((label != final).sum())}


def calibrate_on_audit(
    proba: np.ndarray, audited: np.ndarray, audit_labels: np.ndarray, seed: int
) -> tuple[np.ndarray, float | None, float | None]:
    """The confidence shown to people: the model's probabilities calibrated on the audit
    sample, with the expected calibration error before and after ('after' by 2-fold
    cross-fitting, so not in-sample).

    Temperature scaling by default: one parameter, smooth and order-preserving, so the
    shown confidence still tells items apart (isotonic regression maps most of a queue to
    two or three plateau values); isotonic only where its cross-fitted error is lower by
    more than 0.01. Routing never reads these numbers (it uses the raw confidence)."""
    if audited.sum() < _MIN_CALIBRATION:
        return proba, None, None
    from labelmill.learn import IsotonicCalibrator, TemperatureScaler, expected_calibration_error

    p_audit, y_audit = proba[audited], audit_labels[audited]
    before = expected_calibration_error(y_audit, p_audit)
    rng = np.random.default_rng(seed)
    fold = rng.permutation(len(y_audit)) % 2
    if min((fold == 0).sum(), (fold == 1).sum()) < 5:
        return proba, float(before), None
    after = {}
    for name, make in (("temperature", TemperatureScaler), ("isotonic", IsotonicCalibrator)):
        cross = np.empty_like(p_audit)
        for f in (0, 1):
            fit_on, apply_to = fold != f, fold == f
            calibrator = make().fit(p_audit[fit_on], y_audit[fit_on])
            cross[apply_to] = calibrator.transform(p_audit[apply_to])
        after[name] = float(expected_calibration_error(y_audit, cross))
    chosen = "isotonic" if after["isotonic"] < after["temperature"] - 0.01 else "temperature"
    make = IsotonicCalibrator if chosen == "isotonic" else TemperatureScaler
    calibrated = make().fit(p_audit, y_audit).transform(proba)
    return calibrated, float(before), after[chosen]


def committee_members(
    settings: ProjectSettings,
    X: np.ndarray,
    rows: np.ndarray,
    Y: np.ndarray,
    weights: np.ndarray,
    posterior: np.ndarray,
    covered: np.ndarray,
    k: int,
    seed: int,
    predict: Callable[[Any, np.ndarray], np.ndarray] | None = None,
) -> list[np.ndarray] | None:
    """Committee members besides the end model: the label model's posterior (rules vs model
    disagreement) when rules cover items, else a model fit on a bootstrap of the training
    rows (``rows``, with targets ``Y`` and ``weights``), whose probabilities
    ``predict(model, X)`` computes (an engine's; default ``model.predict_proba(X)``)."""
    if settings.strategy not in ("auto", "committee"):
        return None
    if covered.any():
        return [posterior]
    rng = np.random.default_rng([seed, 7])
    sample = rng.choice(rows.size, size=rows.size, replace=True)
    member = end_model(settings, k, seed + 1)
    member.fit(X[rows[sample]], Y[sample], sample_weight=weights[sample])
    return [member.predict_proba(X) if predict is None else predict(member, X)]


def order_review_queue(
    settings: ProjectSettings,
    proba: np.ndarray,
    X: np.ndarray,
    committee: list[np.ndarray] | None,
    pool: np.ndarray,
    correct_audit: np.ndarray,
    bandit_state: dict[str, Any] | None,
    seed: int,
    round_id: int,
    least_confidence: np.ndarray | None = None,
) -> tuple[np.ndarray, dict[str, Any] | None, dict[str, Any] | None]:
    """Review-queue priorities (the strategy's batch first, then the least confident), a
    description of the choice, and the bandit's new state (None when unchanged).
    ``least_confidence``: ``1 - max proba`` per item when an engine already scored it."""
    from labelmill.active import StrategyBandit, query

    # in [0, 1): least confident first
    priority = 1.0 - proba.max(axis=1) if least_confidence is None else least_confidence.copy()
    if not pool.any():
        return priority, None, None
    strategy = settings.strategy
    batch_size = min(settings.batch_size, int(pool.sum()))
    bandit = StrategyBandit.from_dict(bandit_state) if bandit_state else StrategyBandit()
    chosen = query(
        proba,
        X,
        labeled_mask=~pool,
        batch_size=batch_size,
        strategy=strategy,
        random_state=np.random.default_rng([seed, round_id]),
        committee=committee,
        bandit=bandit,
        audit_accuracy=float(correct_audit.mean()) if correct_audit.size else None,
    )
    priority[chosen] = 2.0 + (len(chosen) - np.arange(len(chosen))) / max(len(chosen), 1)
    info: dict[str, Any] = {"strategy": strategy, "batch": int(len(chosen))}
    if strategy != "auto":
        return priority, info, None
    info.update({"chosen": bandit.last_choice, "bandit": bandit.report()})
    return priority, info, bandit.to_dict()


def stopping_verdict(
    random_keys: np.ndarray,
    predicted: np.ndarray,
    coverage: float | None,
    state: dict[str, Any] | None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The stopping rule's verdict on this round's predictions of a fixed stop set (the
    first items in random-key order) and its new state. Items are identified by their
    random key (a hash of the item id), so predictions are compared item by item even
    when items were imported or removed between rounds."""
    from labelmill.active import StoppingRule

    stop_set = np.argsort(random_keys, kind="stable")[:_STOP_SET]
    rule = StoppingRule.from_dict(state) if state else StoppingRule()
    decision = rule.update(predicted[stop_set], coverage, ids=random_keys[stop_set])
    verdict = {
        "stop": decision.stop,
        "reason": decision.reason,
        "kappa": decision.kappa,
        "coverage_gain": decision.coverage_gain,
    }
    return verdict, rule.to_dict()


def check_trainable(
    schema: Schema, human: np.ndarray, L: Any, trusted: np.ndarray, covered: np.ndarray
) -> None:
    """Raise :class:`RoundError` unless people's labels and votes name two classes."""
    cast = (L.data - 1) if sp.issparse(L) else L[L >= 0]
    classes_seen = set(human[trusted].tolist()) | set(cast.tolist())
    if not (trusted | covered).any():
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


def auto_accuracy(
    routing: Routing, correct_audit: np.ndarray, confidence: float
) -> AutoAccuracy | None:
    """Accuracy of the auto labels on the audit items above the chosen threshold, with its
    exact interval and the bound that certified it (None when nothing is auto-accepted)."""
    if routing.threshold is None:
        return None
    from labelmill.quality import estimate_accuracy

    est = estimate_accuracy(correct_audit[routing.accepts_audit], confidence=confidence)
    return AutoAccuracy(
        estimate=est.accuracy,
        lower=est.lower,
        upper=est.upper,
        bound=float(routing.lower_bound or 0.0),
        n=est.n,
    )


def audit_outcomes(
    data: Any,
    audited: np.ndarray,
    predicted: np.ndarray,
    raw_conf: np.ndarray,
    shown: np.ndarray,
    routing: Routing,
) -> dict[str, Any]:
    """What this round's model made of each audited item: its label, raw and shown
    confidence, and the status it would have had without the audit (``auto`` above the
    threshold, else ``review``), beside the audit answer. The report's accuracy per status
    and per class, calibration and slices read it (kept for the last round only).
    ``threshold_candidates`` counts the thresholds with an audited item above them (the
    intervals of the report are adjusted for that many looks)."""
    rows = np.flatnonzero(audited)
    grid = _default_grid()
    candidates = int((grid[:, None] <= raw_conf[rows][None, :]).any(axis=1).sum())
    return {
        "item_pks": data.pks[rows].tolist(),
        "predicted": predicted[rows].tolist(),
        "audit": data.audit[rows].tolist(),
        "raw_confidence": np.round(raw_conf[rows], 5).tolist(),
        "shown_confidence": np.round(shown[rows].max(axis=1), 5).tolist(),
        "would_be": np.where(routing.accepts_audit, "auto", "review").tolist(),
        "threshold": routing.threshold,
        "threshold_candidates": max(candidates, 1),
    }


def _default_grid() -> np.ndarray:
    from labelmill.quality import DEFAULT_THRESHOLDS

    return np.asarray(DEFAULT_THRESHOLDS, dtype=np.float64)


@dataclass
class Routing:
    """What the auto-accept policy decided this round.

    Attributes
    ----------
    auto : (n_items,) bool array
        Items auto-accepted (routable ones only).
    threshold : float or None
    accepts_audit : (n_audit,) bool array
        Audited items at or above the threshold (what the policy would have accepted).
    statement : str
        The guarantee, for people.
    lower_bound : float or None
        The one-sided bound at the chosen threshold.
    n_more_audit : int
        How many more audit answers would help (0: none known).
    accepted_share_on_audit : float or None
    change : dict or None
        What changed since the last round and why (project policy only).
    policy : str
        ``repr`` of the policy.
    state : dict or None
        The policy's state to persist (project policy only).
    """

    auto: np.ndarray
    threshold: float | None
    accepts_audit: np.ndarray
    statement: str
    lower_bound: float | None
    n_more_audit: int
    accepted_share_on_audit: float | None
    change: dict[str, Any] | None
    policy: str
    state: dict[str, Any] | None


def route(
    settings: ProjectSettings,
    raw_conf: np.ndarray,
    predicted: np.ndarray,
    audit_labels: np.ndarray,
    random_keys: np.ndarray,
    status: np.ndarray,
    routable: np.ndarray,
    state: dict[str, Any] | None,
) -> Routing:
    """Choose the items to auto-accept with the project's guarantee.

    Routing reads the model's raw top-label confidence (never the display calibration,
    which is fitted on the audit answers). ``settings.guarantee`` picks the policy:
    ``project`` (:class:`labelmill.quality.GuaranteePolicy`, its state carried from round
    to round) or ``per_round`` (:class:`labelmill.quality.ThresholdPolicy`).
    """
    audited = audit_labels >= 0
    correct = predicted[audited] == audit_labels[audited]
    n = raw_conf.shape[0]
    if settings.guarantee == "per_round":
        from labelmill.quality import ThresholdPolicy

        old = ThresholdPolicy(settings.target_accuracy, settings.confidence)
        population = raw_conf[routable] if routable.any() else None
        decision = old.choose(raw_conf[audited], correct, population_scores=population)
        return Routing(
            auto=routable & decision.accepts(raw_conf),
            threshold=decision.threshold,
            accepts_audit=decision.accepts(raw_conf[audited]),
            statement=decision.statement(),
            lower_bound=decision.lower_bound if decision.threshold is not None else None,
            n_more_audit=decision.n_more_needed,
            accepted_share_on_audit=decision.accepted_share_on_audit,
            change=None,
            policy=repr(old),
            state=None,
        )
    import dataclasses

    from labelmill.quality import AuditRecords, GuaranteePolicy, GuaranteeState, Population

    policy = GuaranteePolicy(settings.target_accuracy, settings.confidence)
    ones = np.ones(n)
    records = AuditRecords(
        scores=raw_conf[audited],
        correct=correct,
        keys=random_keys[audited],
        weights=ones[audited],
        classes=predicted[audited],
    )
    people = Population(
        scores=raw_conf[routable],
        keys=random_keys[routable],
        weights=ones[routable],
        classes=predicted[routable],
        was_auto=status[routable] == Status.AUTO,
        reviewed_scores=raw_conf[~routable & ~audited],
    )
    verdict = policy.decide(records, people, GuaranteeState.from_dict(state) if state else None)
    auto = np.zeros(n, dtype=bool)
    auto[routable] = verdict.auto
    accepts = (
        raw_conf[audited] >= verdict.threshold
        if verdict.threshold is not None
        else np.zeros(int(audited.sum()), dtype=bool)
    )
    return Routing(
        auto=auto,
        threshold=verdict.threshold,
        accepts_audit=accepts,
        statement=verdict.statement(),
        lower_bound=verdict.lower_bound if verdict.threshold is not None else None,
        n_more_audit=int(verdict.n_more_audit or 0),
        accepted_share_on_audit=float(accepts.mean()) if accepts.size else None,
        change=dataclasses.asdict(verdict.change),
        policy=repr(policy),
        state=verdict.state.to_dict(),
    )
