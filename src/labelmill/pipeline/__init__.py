"""The labeling round (rules -> aggregate -> train -> route), rules as sources, and the
simulation harness built on them. Engine functions take ``(store, schema, settings)``."""

from labelmill.pipeline.results import (
    AutoAccuracy,
    RoundResult,
    StoppingInfo,
    StrategyInfo,
    Versions,
)
from labelmill.pipeline.round import STAGES, run_round
from labelmill.pipeline.round_data import load_round_data, write_round
from labelmill.pipeline.rules import apply_registered_rules, register_rules
from labelmill.pipeline.simulate import CurveRow, simulate

__all__ = [
    "STAGES",
    "AutoAccuracy",
    "CurveRow",
    "RoundResult",
    "StoppingInfo",
    "StrategyInfo",
    "Versions",
    "apply_registered_rules",
    "load_round_data",
    "register_rules",
    "run_round",
    "simulate",
    "write_round",
]
