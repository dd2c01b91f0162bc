"""The labeling round and the simulation harness built on it."""

from labelmill.pipeline.round import STAGES, RoundResult, run_round
from labelmill.pipeline.simulate import CurveRow, simulate
from labelmill.pipeline.sources import apply_registered_rules, items_frame, register_rules

__all__ = [
    "STAGES",
    "CurveRow",
    "RoundResult",
    "apply_registered_rules",
    "items_frame",
    "register_rules",
    "run_round",
    "simulate",
]
