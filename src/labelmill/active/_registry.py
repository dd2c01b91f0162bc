"""Strategy names -> classes (the names the CLI, the config and the bandit use)."""

from __future__ import annotations

from typing import Any

from labelmill.active._base import QueryStrategy
from labelmill.active._committee import CommitteeDisagreement
from labelmill.active._diversity import ClusterDiversity, KCenterGreedy
from labelmill.active._hybrid import HybridSampling
from labelmill.active._uncertainty import (
    EntropySampling,
    LeastConfidence,
    MarginSampling,
    RandomSampling,
)
from labelmill.exceptions import ConfigError

__all__ = ["STRATEGIES", "make_strategy"]

#: registry name -> strategy class; "auto" (the bandit) is handled by :func:`query`
STRATEGIES: dict[str, type[QueryStrategy]] = {
    cls.name: cls
    for cls in (
        RandomSampling,
        LeastConfidence,
        MarginSampling,
        EntropySampling,
        CommitteeDisagreement,
        KCenterGreedy,
        ClusterDiversity,
        HybridSampling,
    )
}


def make_strategy(name: str, **params: Any) -> QueryStrategy:
    """Build the strategy registered under ``name`` with keyword ``params``.

    Raises
    ------
    ConfigError
        When the name is unknown or the parameters do not fit the strategy.

    Examples
    --------
    >>> make_strategy("margin")
    MarginSampling(max_similarity=0.95)
    """
    if name not in STRATEGIES:
        raise ConfigError(
            f"Unknown query strategy {name!r}. Expected one of {sorted(STRATEGIES)} or 'auto'."
        )
    try:
        return STRATEGIES[name](**params)
    except TypeError as exc:
        raise ConfigError(f"Bad parameters for query strategy {name!r}: {exc}.") from exc
