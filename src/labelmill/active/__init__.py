"""Active learning: spend every human label where it helps most.

Query strategies pick the next batch of items for people to label; the strategy bandit
learns which strategy pays off on the data at hand (Active Learning by Learning); the
stopping rule says when further labels no longer change the model.

Public API
----------
query
    One call: ``query(proba, features, labeled_mask=..., batch_size=...)``.
RandomSampling, LeastConfidence, MarginSampling, EntropySampling,
CommitteeDisagreement, KCenterGreedy, ClusterDiversity, HybridSampling
    The strategies (each with one method, ``select``), registered in ``STRATEGIES``
    under "random", "least_confidence", "margin", "entropy", "committee", "kcenter",
    "cluster" and "hybrid"; ``strategy="auto"`` is the bandit.
StrategyBandit, importance_weighted_accuracy
    The EXP3 bandit over strategies and the reward it is fed.
StoppingRule, StopDecision, prediction_kappa, choose_stop_set
    Stabilizing-predictions / flat-coverage stopping.
"""

from labelmill.active._bandit import DEFAULT_ARMS, StrategyBandit, importance_weighted_accuracy
from labelmill.active._base import QueryStrategy, drop_near_duplicates
from labelmill.active._committee import CommitteeDisagreement, kl_to_consensus, vote_entropy
from labelmill.active._diversity import ClusterDiversity, KCenterGreedy
from labelmill.active._hybrid import HybridSampling
from labelmill.active._query import query
from labelmill.active._registry import STRATEGIES, make_strategy
from labelmill.active._stopping import (
    StopDecision,
    StoppingRule,
    choose_stop_set,
    prediction_kappa,
)
from labelmill.active._uncertainty import (
    EntropySampling,
    LeastConfidence,
    MarginSampling,
    RandomSampling,
    entropy_scores,
    least_confidence_scores,
    margin_scores,
)

__all__ = [
    "DEFAULT_ARMS",
    "STRATEGIES",
    "ClusterDiversity",
    "CommitteeDisagreement",
    "EntropySampling",
    "HybridSampling",
    "KCenterGreedy",
    "LeastConfidence",
    "MarginSampling",
    "QueryStrategy",
    "RandomSampling",
    "StopDecision",
    "StoppingRule",
    "StrategyBandit",
    "choose_stop_set",
    "drop_near_duplicates",
    "entropy_scores",
    "importance_weighted_accuracy",
    "kl_to_consensus",
    "least_confidence_scores",
    "make_strategy",
    "margin_scores",
    "prediction_kappa",
    "query",
    "vote_entropy",
]
