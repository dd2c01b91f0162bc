"""The end model: a classifier trained on soft labels (posteriors) and human labels.

The aggregator turns votes into a posterior per item; the end model learns from
those posteriors over the item features (embeddings), so that it generalises to
items no rule covers and smooths the rules' mistakes.

Weighting convention
--------------------
``fit(X, Y, sample_weight)`` takes one row per item. ``Y`` may mix both kinds of
supervision in one matrix: rows from the aggregator are posteriors (soft labels),
rows labeled by people (status ``human`` or ``gold``) are one-hot rows. People
outrank the rules through ``sample_weight``: give one-hot human rows a larger
weight (e.g. 5.0) than posterior rows (e.g. the posterior's confidence, or 1.0).
Audit items must not be in the training rows: they are the calibration and
guarantee sample and must stay unseen by the model.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.optimize import minimize
from scipy.special import log_softmax, softmax
from sklearn.base import BaseEstimator, ClassifierMixin

from labelmill.exceptions import ConfigError, InputError
from labelmill.learn._checks import (
    as_features,
    as_weights,
    check_feature_names,
    check_is_fitted,
    encode_targets,
)
from labelmill.utils._validation import (
    check_choice,
    check_positive,
    check_random_state,
)

__all__ = ["EndModel", "soft_cross_entropy"]

logger = logging.getLogger(__name__)

_HEADS = ("logistic", "mlp")


def soft_cross_entropy(
    Y: NDArray[np.floating[Any]],
    proba: NDArray[np.floating[Any]],
    *,
    sample_weight: NDArray[np.floating[Any]] | None = None,
) -> float:
    """Weighted mean cross-entropy between target distributions and predictions.

    Parameters
    ----------
    Y : (n_items, k) float array
        Target distributions (one-hot rows for hard labels).
    proba : (n_items, k) float array
        Predicted probabilities.
    sample_weight : (n_items,) float array, optional
        Weights; uniform when omitted.

    Returns
    -------
    float
        ``sum_i w_i * (-sum_c Y_ic log p_ic) / sum_i w_i``.

    Examples
    --------
    >>> import numpy as np
    >>> round(soft_cross_entropy(np.array([[1.0, 0.0]]), np.array([[0.5, 0.5]])), 4)
    0.6931
    """
    Y = np.asarray(Y, dtype=np.float64)
    p = np.clip(np.asarray(proba, dtype=np.float64), 1e-15, 1.0)
    w = np.ones(len(Y)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    return float(np.sum(w * -(Y * np.log(p)).sum(axis=1)) / w.sum())


class EndModel(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Classifier over item features trained on soft labels, hard labels or both.

    A scikit-learn classifier: it passes ``check_estimator`` (see
    ``tests/learn/test_sklearn_checks.py`` for the few documented exceptions), takes any
    label set (ints, strings, bools), dense or sparse ``X`` (e.g. after a
    ``CountVectorizer`` in a pipeline), and works in ``GridSearchCV`` and
    ``CalibratedClassifierCV``. Beyond scikit-learn, ``y`` may be a soft-label matrix.

    Parameters
    ----------
    head : {"logistic", "mlp"}, default="logistic"
        ``"logistic"``: multinomial logistic regression with an L2 penalty, fitted
        by L-BFGS on the soft-label cross-entropy (convex, deterministic; on hard
        labels it matches scikit-learn's ``LogisticRegression`` with the same ``C``,
        for two classes and for more). ``"mlp"``: a one-hidden-layer ReLU network in
        PyTorch (CPU), trained with Adam.
    C : float or None, default=None
        Inverse L2 strength of the logistic head, exactly as ``LogisticRegression``'s
        ``C``: the objective is ``0.5 * ||w||^2 + C * sum_i w_i * CE_i`` (intercepts not
        penalised; with two classes ``w`` is the one weight vector of the binary model).
        None means 1.0 with three or more classes and 2.0 with two: the regularisation
        EndModel has always applied (labeling rounds train with it); pass ``C=1.0`` for
        ``LogisticRegression``'s default on two classes.
    max_iter : int, default=300
        L-BFGS iterations of the logistic head.
    tol : float, default=1e-6
        Gradient tolerance of L-BFGS.
    hidden_size : int, default=256
        Width of the hidden layer of the MLP head.
    n_epochs : int, default=40
        Passes over the data of the MLP head.
    batch_size : int, default=256
        Mini-batch size of the MLP head.
    learning_rate : float, default=1e-3
        Adam step size of the MLP head.
    alpha : float, default=1e-4
        Weight decay of the MLP head.
    n_threads : int, optional
        Torch intra-op threads while the MLP head trains; the previous setting is
        restored afterwards. None leaves torch's setting alone. On a busy shared
        machine ``n_threads=1`` can be several times faster than the default.
    n_classes : int, optional
        Number of classes ``k``; hard labels must then be class indices ``0..k-1``, and a
        class absent from the training labels still gets a column. By default the
        classes are the distinct hard labels (any values), or ``0..k-1`` for soft labels
        of ``k`` columns.
    random_state : int, numpy Generator/RandomState or None, default=None
        Seeds the MLP head (weights and shuffling, through a private
        ``torch.Generator``). The logistic head is deterministic.

    Attributes
    ----------
    classes_ : (k,) array
        The class labels (sorted distinct labels of ``y``, or ``0..k-1``).
    n_classes_ : int
    n_features_in_ : int
    feature_names_in_ : (n_features,) array of str
        Only when ``X`` in ``fit`` had string column names (a DataFrame).
    coef_ : (k, n_features) array
        Logistic head only; with two classes, ``coef_[1] - coef_[0]`` is the binary
        model's weight vector.
    intercept_ : (k,) array
        Logistic head only.
    n_iter_ : int
        L-BFGS iterations or MLP epochs run.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [0.2], [0.8], [1.0]])
    >>> Y = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.1, 0.9]])
    >>> model = EndModel(C=10.0).fit(X, Y)
    >>> model.predict(np.array([[0.05], [0.95]])).tolist()
    [0, 1]
    >>> EndModel(C=10.0).fit(X, ["ham", "ham", "spam", "spam"]).predict([[0.9]]).tolist()
    ['spam']
    """

    def __init__(
        self,
        head: str = "logistic",
        *,
        C: float | None = None,
        max_iter: int = 300,
        tol: float = 1e-6,
        hidden_size: int = 256,
        n_epochs: int = 40,
        batch_size: int = 256,
        learning_rate: float = 1e-3,
        alpha: float = 1e-4,
        n_threads: int | None = None,
        n_classes: int | None = None,
        random_state: Any = None,
    ) -> None:
        self.head = head
        self.C = C
        self.max_iter = max_iter
        self.tol = tol
        self.hidden_size = hidden_size
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.alpha = alpha
        self.n_threads = n_threads
        self.n_classes = n_classes
        self.random_state = random_state

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # ------------------------------------------------------------------ fit
    def _validate_params(self) -> None:
        owner = type(self).__name__
        check_choice(self.head, "head", owner, _HEADS)
        check_positive(self.C, "C", owner, allow_none=True)
        check_positive(self.max_iter, "max_iter", owner, integer=True)
        check_positive(self.tol, "tol", owner)
        check_positive(self.hidden_size, "hidden_size", owner, integer=True)
        check_positive(self.n_epochs, "n_epochs", owner, integer=True)
        check_positive(self.batch_size, "batch_size", owner, integer=True)
        check_positive(self.learning_rate, "learning_rate", owner)
        check_positive(self.n_threads, "n_threads", owner, integer=True, allow_none=True)
        if not (isinstance(self.alpha, int | float) and self.alpha >= 0):
            raise ConfigError(
                f"The 'alpha' parameter of {owner} must be a non-negative float. "
                f"Got {self.alpha!r} instead."
            )
        if self.n_classes is not None and not (
            isinstance(self.n_classes, int | np.integer)
            and not isinstance(self.n_classes, bool)
            and self.n_classes >= 2
        ):
            raise ConfigError(
                f"The 'n_classes' parameter of {owner} must be an int >= 2 or None. "
                f"Got {self.n_classes!r} instead."
            )

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None, *, Y: Any = None) -> EndModel:
        """Fit the head on features and (soft or hard) labels.

        Parameters
        ----------
        X : (n_items, n_features) float array or sparse matrix
            Item features, e.g. sentence embeddings or token counts.
        y : (n_items,) array or (n_items, k) float array
            Hard labels (any label set; class indices ``0..k-1`` when ``n_classes`` is
            given) or soft labels (rows sum to 1). Mix posteriors and human labels by
            passing one-hot rows for the latter.
        sample_weight : (n_items,) float array, optional
            Per-item weight; give human/gold rows more weight than posterior rows.
        Y : array, optional
            Deprecated alias of ``y`` (its name before scikit-learn compatibility);
            passing it warns with a FutureWarning.

        Returns
        -------
        self : EndModel

        Raises
        ------
        ConfigError
            A constructor parameter is invalid, or both ``y`` and ``Y`` were passed.
        InputError
            ``X``, ``y`` or ``sample_weight`` have the wrong shape or values.
        """
        owner = type(self).__name__
        if Y is not None:
            if y is not None:
                raise ConfigError(
                    f"{owner}.fit got both y and Y; Y is the deprecated name of y, pass y only."
                )
            warnings.warn(
                f"The 'Y' argument of {owner}.fit is deprecated; pass the same array as y "
                "(positionally or y=...).",
                FutureWarning,
                stacklevel=2,
            )
            y = Y
        self._validate_params()
        Xa = as_features(X, owner=owner, accept_sparse=True)
        T, classes = encode_targets(y, Xa.shape[0], self.n_classes, owner=owner)
        if T.shape[1] < 2:
            raise InputError(
                f"{owner} needs at least 2 classes. Got labels of one class only; "
                "pass n_classes to declare the others."
            )
        w = as_weights(sample_weight, Xa.shape[0], owner=owner)
        check_feature_names(self, X, reset=True)
        self.classes_ = classes
        self.n_classes_ = T.shape[1]
        if self.head == "logistic":
            self._fit_logistic(Xa, T, w)
        else:
            self._fit_mlp(Xa, T, w)
        return self

    def _effective_C(self, k: int) -> float:
        if self.C is None:
            return 2.0 if k == 2 else 1.0
        return float(self.C)

    def _fit_logistic(self, X: Any, T: NDArray[np.float64], w: NDArray[np.float64]) -> None:
        n, d = X.shape
        k = T.shape[1]
        wsum = w.sum()
        # With two classes the softmax has two weight vectors whose difference is the
        # binary model's; penalising both equally halves the penalty on that difference,
        # so it is doubled to give C the meaning it has in LogisticRegression.
        scale = (2.0 if k == 2 else 1.0) / (self._effective_C(k) * wsum)
        dtype = X.dtype

        def objective(theta: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
            W = theta[: d * k].reshape(d, k)
            b = theta[d * k :]
            Z = np.asarray(X @ W.astype(dtype, copy=False), dtype=np.float64) + b
            logp = log_softmax(Z, axis=1)
            loss = -np.sum(w * (T * logp).sum(axis=1)) / wsum + 0.5 * scale * np.sum(W * W)
            G = (np.exp(logp) - T) * (w / wsum)[:, None]
            gW = np.asarray(X.T @ G.astype(dtype, copy=False), dtype=np.float64) + scale * W
            gb = G.sum(axis=0)
            return float(loss), np.concatenate([gW.ravel(), gb])

        theta0 = np.zeros(d * k + k)
        result = minimize(
            objective,
            theta0,
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": self.max_iter, "gtol": self.tol},
        )
        if not result.success and result.nit >= self.max_iter:
            logger.info(
                "EndModel: L-BFGS stopped after max_iter=%d iterations; increase max_iter "
                "for a tighter fit.",
                self.max_iter,
            )
        theta = result.x
        self.coef_ = theta[: d * k].reshape(d, k).T.copy()
        self.intercept_ = theta[d * k :].copy()
        self.n_iter_ = max(1, int(result.nit))

    def _fit_mlp(self, X: Any, T: NDArray[np.float64], w: NDArray[np.float64]) -> None:
        import torch  # lazy: only the MLP head needs torch

        rng = check_random_state(self.random_state, owner="EndModel")
        generator = torch.Generator().manual_seed(int(rng.integers(0, 2**31 - 1)))
        d, k = X.shape[1], T.shape[1]
        net = _make_mlp(torch, d, self.hidden_size, k, generator)
        opt = _Adam(torch, list(net.parameters()), lr=self.learning_rate, weight_decay=self.alpha)
        sparse = sp.issparse(X)
        Xt = None if sparse else torch.as_tensor(np.ascontiguousarray(X, dtype=np.float32))
        Tt = torch.as_tensor(T, dtype=torch.float32)
        wt = torch.as_tensor(w / w.mean(), dtype=torch.float32)
        n = X.shape[0]
        previous_threads = torch.get_num_threads()
        if self.n_threads is not None:
            torch.set_num_threads(int(self.n_threads))
        try:
            net.train()
            for _ in range(self.n_epochs):
                order = torch.randperm(n, generator=generator)
                for start in range(0, n, self.batch_size):
                    idx = order[start : start + self.batch_size]
                    if Xt is not None:
                        xb = Xt[idx]
                    else:  # densify one mini-batch of the sparse matrix at a time
                        xb = torch.as_tensor(X[idx.numpy()].toarray().astype(np.float32))
                    logp = torch.log_softmax(net(xb), dim=1)
                    loss = -(wt[idx] * (Tt[idx] * logp).sum(dim=1)).mean()
                    net.zero_grad()
                    loss.backward()  # type: ignore[no-untyped-call]
                    opt.step()
            net.eval()
        finally:
            if self.n_threads is not None:
                torch.set_num_threads(previous_threads)
        self.net_ = net
        self.n_iter_ = int(self.n_epochs)

    # -------------------------------------------------------------- predict
    def _check_X(self, X: Any, method: str) -> Any:
        check_is_fitted(self, "classes_", method)
        owner = type(self).__name__
        Xa = as_features(X, owner=owner, accept_sparse=True)
        if Xa.shape[1] != self.n_features_in_:
            raise InputError(
                f"X has {Xa.shape[1]} features, but {owner} is expecting "
                f"{self.n_features_in_} features as input (it was fitted on "
                f"{self.n_features_in_} features); pass the columns used in fit."
            )
        check_feature_names(self, X, reset=False)
        return Xa

    def _logits(self, Xa: Any) -> NDArray[np.float64]:
        """Class logits ``(n_items, k)`` of already-checked features."""
        if self.head == "logistic":
            coef = self.coef_.T.astype(Xa.dtype, copy=False)
            return np.asarray(Xa @ coef, dtype=np.float64) + self.intercept_
        import torch

        chunks = []
        step = 4096 if sp.issparse(Xa) else max(Xa.shape[0], 1)
        with torch.no_grad():
            for start in range(0, Xa.shape[0], step):
                part = Xa[start : start + step]
                dense = part.toarray() if sp.issparse(part) else part
                out = self.net_(torch.as_tensor(np.ascontiguousarray(dense, dtype=np.float32)))
                chunks.append(np.asarray(out.numpy(), dtype=np.float64))
        return np.concatenate(chunks, axis=0)

    def decision_function(self, X: Any) -> NDArray[np.float64]:
        """Confidence scores, as scikit-learn's linear classifiers give them.

        Returns
        -------
        (n_items,) float array with two classes
            The log-odds of ``classes_[1]``: positive means ``classes_[1]``.
        (n_items, k) float array otherwise
            Class logits; ``softmax`` of them is :meth:`predict_proba`.
        """
        logits = self._logits(self._check_X(X, "decision_function"))
        if logits.shape[1] == 2:
            return np.asarray(logits[:, 1] - logits[:, 0])
        return logits

    def predict_proba(self, X: Any) -> NDArray[np.float64]:
        """Class probabilities, ``(n_items, k)`` rows summing to 1, columns in ``classes_``."""
        return np.asarray(softmax(self._logits(self._check_X(X, "predict_proba")), axis=1))

    def predict_log_proba(self, X: Any) -> NDArray[np.float64]:
        """Log of :meth:`predict_proba`, ``(n_items, k)``."""
        return np.asarray(log_softmax(self._logits(self._check_X(X, "predict_log_proba")), axis=1))

    def predict(self, X: Any) -> NDArray[Any]:
        """Most probable class per item, ``(n_items,)`` values of ``classes_``."""
        logits = self._logits(self._check_X(X, "predict"))
        return np.asarray(self.classes_[np.argmax(logits, axis=1)])

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Accuracy on ``(X, y)``; soft labels count their most probable class as the truth.

        ``GridSearchCV`` and ``cross_val_score`` use this by default, so they work with
        soft labels too. With hard labels it is ``accuracy_score(y, predict(X))``.

        Parameters
        ----------
        X : (n_items, n_features) array or sparse matrix
        y : (n_items,) array or (n_items, k) float array
        sample_weight : (n_items,) float array, optional

        Returns
        -------
        float
        """
        from sklearn.metrics import accuracy_score

        truth = np.asarray(y)
        if truth.ndim == 2 and truth.shape[1] > 1:
            check_is_fitted(self, "classes_", "score")
            if truth.shape[1] != self.n_classes_:
                raise InputError(
                    f"{type(self).__name__}.score got soft labels with {truth.shape[1]} "
                    f"columns; the model has {self.n_classes_} classes."
                )
            truth = self.classes_[np.argmax(truth, axis=1)]
        return float(accuracy_score(truth, self.predict(X), sample_weight=sample_weight))


def _make_mlp(torch: Any, d: int, hidden: int, k: int, generator: Any) -> Any:
    """Build a 1-hidden-layer MLP whose initial weights come from ``generator``."""
    net = torch.nn.Sequential(
        torch.nn.Linear(d, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, k)
    )
    with torch.no_grad():
        for layer in (net[0], net[2]):
            bound = 1.0 / np.sqrt(layer.in_features)
            layer.weight.uniform_(-bound, bound, generator=generator)
            layer.bias.uniform_(-bound, bound, generator=generator)
    return net


class _Adam:
    """Adam with L2 weight decay (Kingma and Ba, 2015), as in ``torch.optim.Adam``.

    Written out because ``torch.optim`` imports ``torch._dynamo`` on first use,
    which costs seconds per process; the update is a few tensor operations.
    """

    def __init__(
        self,
        torch: Any,
        params: list[Any],
        *,
        lr: float,
        weight_decay: float,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        self.torch = torch
        self.params = params
        self.lr = lr
        self.weight_decay = weight_decay
        self.betas = betas
        self.eps = eps
        self.step_count = 0
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]

    def step(self) -> None:
        b1, b2 = self.betas
        self.step_count += 1
        c1 = 1.0 - b1**self.step_count
        c2 = 1.0 - b2**self.step_count
        with self.torch.no_grad():
            for p, m, v in zip(self.params, self.m, self.v, strict=True):
                if p.grad is None:
                    continue
                g = p.grad
                if self.weight_decay:
                    g = g.add(p, alpha=self.weight_decay)
                m.mul_(b1).add_(g, alpha=1.0 - b1)
                v.mul_(b2).addcmul_(g, g, value=1.0 - b2)
                denom = (v / c2).sqrt_().add_(self.eps)
                p.addcdiv_(m, denom, value=-self.lr / c1)
