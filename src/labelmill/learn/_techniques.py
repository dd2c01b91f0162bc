"""A round's model with the optional techniques, and the choice of which help.

:class:`TrainingSet` holds what a model may learn from: the training rows with their
targets and weights, people's hard labels (never blind audit answers), and the items that
are *off limits* (never pseudo-labeled, given a spread target or a seed).

Audit answers and exchangeability: the round's audit items are unlabeled items like any
other here. Their answers never reach a :class:`TrainingSet` of the audit-blind model, but
they get the same machine treatment as the items they certify (a rule posterior when a
rule covers them, which the round has always trained on; a pseudo-label or a spread target
from the model's own guess). Setting them apart would make the audit sample unlike the
population it certifies: items that trained on their own pseudo-label are more confident
than those that did not, so a threshold chosen on the audit items would accept more of the
population than it tested.
:func:`fit_with_techniques` fits the end model with any of self-training, label spreading
and an ensemble; :func:`choose_techniques` decides the techniques set to ``auto`` by
cross-validation over people's answers (the off-limits items are never among them) with a
minimum-evidence rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from labelmill.exceptions import ConfigError
from labelmill.learn._ensemble import KNeighborsHead, StackedEnsemble
from labelmill.learn._self_training import SelfTraining

__all__ = [
    "MIN_ANSWERS",
    "TECHNIQUE_NAMES",
    "FitOutcome",
    "TechniqueChoice",
    "TrainingSet",
    "choose_techniques",
    "fit_with_techniques",
]

#: the techniques :func:`fit_with_techniques` knows (``audit_model`` and ``augment`` are
#: the caller's: the first is a second fit with more rows, the second a plug-in)
TECHNIQUE_NAMES = ("self_training", "label_spreading", "ensemble")
#: fewer people's answers than this: ``auto`` techniques stay off (too little evidence)
MIN_ANSWERS = 60
SPREAD_WEIGHT = 0.5  # weight of a label-spreading target (a person's label weighs 2)
PSEUDO_WEIGHT = 0.5  # weight of a pseudo-label
SEED_CONFIDENCE = 0.8  # a soft (rule) target this sure seeds label spreading

ModelFactory = Callable[[int], Any]


@dataclass(frozen=True)
class TrainingSet:
    """What a round's model may learn from (positions index ``X``).

    Attributes
    ----------
    X : (n_items, n_features) float array
    rows : (n_rows,) int array
        Training rows.
    Y : (n_rows, k) float array
        Their targets (posteriors, one-hot rows for people's labels).
    weights : (n_rows,) float array
    labels : (n_items,) int array
        People's labels (review answers, imported gold), -1 where none; never audit
        answers.
    off_limits : (n_items,) bool array
        Items never pseudo-labeled, given a spread target or used as a seed (the held-out
        fold of a cross-validation). A round passes none: its audit items are unlabeled
        items like the others (their answers are simply not in ``labels``), so the blind
        audit sample gets exactly the treatment of the items it certifies.
    n_classes : int
    seed : int
    """

    X: NDArray[Any]
    rows: NDArray[np.int64]
    Y: NDArray[np.float64]
    weights: NDArray[np.float64]
    labels: NDArray[np.int64]
    off_limits: NDArray[np.bool_]
    n_classes: int
    seed: int

    def hide(self, hidden: NDArray[np.bool_]) -> TrainingSet:
        """This set with the items of ``hidden`` taken out of training and made off limits
        (a cross-validation fold)."""
        keep = ~hidden[self.rows]
        labels = np.where(hidden, -1, self.labels)
        return replace(
            self,
            rows=self.rows[keep],
            Y=self.Y[keep],
            weights=self.weights[keep],
            labels=labels,
            off_limits=self.off_limits | hidden,
        )

    def with_labels(self, extra: NDArray[np.int64], weight: float) -> TrainingSet:
        """This set with ``extra`` labels (>= 0) as one-hot rows of ``weight`` (replacing
        the targets those items had), their items no longer off limits (the audit model's
        training set)."""
        given = extra >= 0
        keep = ~given[self.rows]
        new = np.flatnonzero(given)
        Y = np.zeros((new.size, self.n_classes))
        Y[np.arange(new.size), extra[new]] = 1.0
        return replace(
            self,
            rows=np.concatenate([self.rows[keep], new]).astype(np.int64),
            Y=np.vstack([self.Y[keep], Y]),
            weights=np.concatenate([self.weights[keep], np.full(new.size, float(weight))]),
            labels=np.where(given, extra, self.labels),
            off_limits=self.off_limits & ~given,
        )


@dataclass
class FitOutcome:
    """A fitted model, its probabilities over every item and what each technique did."""

    model: Any
    proba: NDArray[np.float64]
    committee: list[NDArray[np.float64]] | None = None
    details: dict[str, dict[str, Any]] = field(default_factory=dict)
    n_trained: int = 0


def fit_with_techniques(
    data: TrainingSet,
    techniques: Iterable[str],
    make_model: ModelFactory,
    *,
    predict_on: NDArray[np.bool_] | None = None,
) -> FitOutcome:
    """Fit the end model with the given techniques on ``data``.

    Label spreading first (people's labels and confident soft targets spread over a kNN
    graph give soft targets to the items without one), then self-training (pseudo-labels
    of the base model for items still without a target), then the final fit: the base
    model, or a :class:`StackedEnsemble` weighted on cross-fitted people's labels. No
    off-limits item is ever a training row, a seed or a pseudo-label.

    Parameters
    ----------
    data : TrainingSet
    techniques : iterable of str
        Names from :data:`TECHNIQUE_NAMES`.
    make_model : callable
        ``make_model(seed)`` -> a fresh (unfitted) end model.
    predict_on : (n_items,) bool array, optional
        Items to predict (all by default); other rows of ``proba`` are uniform.

    Returns
    -------
    FitOutcome
    """
    used = set(techniques)
    unknown = sorted(used - set(TECHNIQUE_NAMES))
    if unknown:
        raise ConfigError(
            f"Unknown technique(s) {unknown}; fit_with_techniques knows "
            f"{', '.join(TECHNIQUE_NAMES)}."
        )
    X, k = data.X, data.n_classes
    rows, Y, w = data.rows, data.Y, data.weights
    details: dict[str, dict[str, Any]] = {}
    if "label_spreading" in used:
        rows, Y, w, details["label_spreading"] = _spread(data)
    if "self_training" in used:
        free = np.ones(X.shape[0], dtype=bool)
        free[rows] = False
        free &= ~data.off_limits & (data.labels < 0)
        candidates = np.flatnonzero(free)
        st = SelfTraining(
            make_model(data.seed), threshold=0.9, max_iter=2, pseudo_weight=PSEUDO_WEIGHT
        )
        st.fit(X[rows], Y, sample_weight=w, X_unlabeled=X[candidates])
        new = candidates[st.pseudo_rows_]
        onehot = np.zeros((new.size, k))
        onehot[np.arange(new.size), st.pseudo_labels_] = 1.0
        details["self_training"] = {"pseudo_labels": int(new.size), "refits": int(st.n_iter_)}
        if "ensemble" not in used:
            proba = _predict(st, X, predict_on, k)
            return FitOutcome(st, proba, None, details, int(rows.size + new.size))
        rows = np.concatenate([rows, new])
        Y = np.vstack([Y, onehot])
        w = np.concatenate([w, np.full(new.size, PSEUDO_WEIGHT)])
    if "ensemble" in used:
        ens = _ensemble(make_model, data.seed)
        people = data.labels[rows] >= 0
        ens.fit(X[rows], Y, sample_weight=w, held_out=people)
        details["ensemble"] = {
            "weights": {
                name: round(float(v), 4)
                for (name, _), v in zip(ens.estimators, ens.weights_, strict=True)
            },
            "held_out_accuracy": ens.held_out_accuracy_,
        }
        mask = np.ones(X.shape[0], dtype=bool) if predict_on is None else predict_on
        members = [_expand(P, mask, k) for P in ens.member_proba(X[mask])]
        proba = np.asarray(sum(v * P for v, P in zip(ens.weights_, members, strict=True)))
        return FitOutcome(ens, proba, members, details, int(rows.size))
    model = make_model(data.seed).fit(X[rows], Y, sample_weight=w)
    return FitOutcome(model, _predict(model, X, predict_on, k), None, details, int(rows.size))


def _predict(
    model: Any, X: NDArray[Any], mask: NDArray[np.bool_] | None, k: int
) -> NDArray[np.float64]:
    if mask is None:
        return np.asarray(model.predict_proba(X), dtype=np.float64)
    return _expand(np.asarray(model.predict_proba(X[mask])), mask, k)


def _expand(P: NDArray[np.float64], mask: NDArray[np.bool_], k: int) -> NDArray[np.float64]:
    if P.shape[0] == mask.size:
        return P
    out = np.full((mask.size, k), 1.0 / k)
    out[mask] = P
    return out


def _spread(
    data: TrainingSet,
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64], dict[str, Any]]:
    """Training rows plus label-spreading targets for items without a target."""
    from labelmill.learn._semi_supervised import label_spreading

    n, k = data.X.shape[0], data.n_classes
    seeds = np.full(n, -1, dtype=np.int64)
    sure = data.Y.max(axis=1) >= SEED_CONFIDENCE
    seeds[data.rows[sure]] = data.Y[sure].argmax(axis=1)
    seeds[data.off_limits] = -1  # never a seed (they are never training rows either)
    free = np.ones(n, dtype=bool)
    free[data.rows] = False
    free &= ~data.off_limits
    if not (seeds >= 0).any() or not free.any():
        return data.rows, data.Y, data.weights, {"targets": 0}
    spread = label_spreading(data.X, seeds, n_classes=k, n_neighbors=10)
    new = np.flatnonzero(free)
    return (
        np.concatenate([data.rows, new]).astype(np.int64),
        np.vstack([data.Y, spread[new]]),
        np.concatenate([data.weights, np.full(new.size, SPREAD_WEIGHT)]),
        {"targets": int(new.size), "seeds": int((seeds >= 0).sum())},
    )


def _ensemble(make_model: ModelFactory, seed: int) -> StackedEnsemble:
    """The round's ensemble: the end model, a more and a less regularised logistic head,
    a small MLP and k nearest neighbours."""
    from labelmill.learn._end_model import EndModel

    base = make_model(seed)
    members: list[tuple[str, Any]] = [("end_model", base)]
    if getattr(base, "head", "logistic") == "logistic":
        C = base.C if base.C is not None else 1.0
        members += [("logistic_C_x4", EndModel(C=4.0 * C)), ("logistic_C_/4", EndModel(C=C / 4))]
        members.append(
            (
                "mlp",
                EndModel(head="mlp", n_epochs=20, hidden_size=128, n_threads=1, random_state=seed),
            )
        )
    else:
        members.append(("logistic", EndModel()))
    members.append(("knn", KNeighborsHead(n_neighbors=15)))
    return StackedEnsemble(members, n_folds=3, random_state=seed)


@dataclass(frozen=True)
class TechniqueChoice:
    """Whether a technique ran in a round, and why.

    Attributes
    ----------
    setting : {"off", "on", "auto"}
    used : bool
    reason : str
    evidence : dict
        For ``auto``: people's answers held out, the held-out accuracy without and with
        the technique, the answers each got right alone, and the sign test's p-value.
    """

    setting: str
    used: bool
    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)


def choose_techniques(
    settings: dict[str, str],
    data: TrainingSet,
    fit_predict: Callable[[TrainingSet, frozenset[str]], NDArray[np.int64]],
    *,
    min_answers: int = MIN_ANSWERS,
    n_folds: int = 3,
    alpha: float = 0.1,
) -> dict[str, TechniqueChoice]:
    """Decide each technique: ``on`` and ``off`` as set; ``auto`` by cross-validation.

    For an ``auto`` technique, people's answers (``data.labels``; audit answers are never
    among them) are split in ``n_folds`` folds; each fold is hidden in turn and predicted by
    a model fitted without it, with the techniques set ``on`` and with and without the one
    in question. The technique is used when it gets more of the held-out answers right
    than it gets wrong among those where the two differ, by a one-sided sign test at level
    ``alpha``. With fewer than ``min_answers`` answers it stays off. People's review
    answers are where active learning asked, so this evidence leans toward hard items.

    Parameters
    ----------
    settings : dict of str to {"off", "on", "auto"}
    data : TrainingSet
    fit_predict : callable
        ``fit_predict(training_set, techniques)`` -> predicted class of every item.

    Returns
    -------
    dict of str to TechniqueChoice
    """
    from scipy.stats import binomtest

    out: dict[str, TechniqueChoice] = {}
    fixed = frozenset(t for t, v in settings.items() if v == "on")
    autos = [t for t, v in settings.items() if v == "auto"]
    for name, value in settings.items():
        if value != "auto":
            out[name] = TechniqueChoice(value, value == "on", f"set to {value}")
    if not autos:
        return out
    answered = np.flatnonzero(data.labels >= 0)
    if answered.size < min_answers:
        for name in autos:
            out[name] = TechniqueChoice(
                "auto",
                False,
                f"off: {answered.size} people's answers, fewer than the {min_answers} "
                "needed to tell whether it helps",
                {"n_answers": int(answered.size)},
            )
        return out
    rng = np.random.default_rng([data.seed, 23])
    fold = np.empty(data.labels.size, dtype=np.int64)
    fold[answered] = rng.permutation(answered.size) % n_folds
    variants = [fixed, *(fixed | {name} for name in autos)]
    right = {v: np.zeros(answered.size, dtype=bool) for v in variants}
    for f in range(n_folds):
        hidden = np.zeros(data.labels.size, dtype=bool)
        hidden[answered[fold[answered] == f]] = True
        sub = data.hide(hidden)
        at = fold[answered] == f
        truth = data.labels[answered[at]]
        for v in variants:
            right[v][at] = fit_predict(sub, v)[answered[at]] == truth
    base = right[fixed]
    for name in autos:
        mine = right[fixed | {name}]
        wins, losses = int((mine & ~base).sum()), int((base & ~mine).sum())
        p = (
            float(binomtest(wins, wins + losses, 0.5, alternative="greater").pvalue)
            if (wins + losses)
            else 1.0
        )
        used = wins > losses and p <= alpha
        evidence = {
            "n_answers": int(answered.size),
            "accuracy_without": round(float(base.mean()), 4),
            "accuracy_with": round(float(mine.mean()), 4),
            "wins": wins,
            "losses": losses,
            "p_value": round(p, 4),
        }
        verdict = "on" if used else "off"
        out[name] = TechniqueChoice(
            "auto",
            used,
            f"{verdict}: held-out accuracy on {answered.size} people's answers "
            f"{mine.mean():.3f} with, {base.mean():.3f} without ({wins} better, {losses} "
            f"worse, sign test p={p:.3f})",
            evidence,
        )
    return out
