"""Labeling functions: Snorkel-compatible Python functions and declarative rules.

Write rules in Python (``@labeling_function()``, as for Snorkel) or in YAML (keyword
lists, regexes, column thresholds, lookup lists, another model's prediction), load them
with :func:`load_rules`, turn them into a vote matrix with :func:`apply_lfs` (locally,
in a process pool or on a Dask cluster) and study them with :func:`analyze_lfs`.
"""

from labelmill.lf._analysis import analyze_lfs
from labelmill.lf._apply import LabelMatrix, apply_lfs
from labelmill.lf._core import (
    ABSTAIN,
    LabelingFunction,
    Preprocessor,
    Row,
    labeling_function,
    preprocessor,
)
from labelmill.lf._load import load_rules, rule_from_definition, rules_from_dicts
from labelmill.lf._rules import (
    KeywordRule,
    LookupRule,
    ModelRule,
    RegexRule,
    Rule,
    ThresholdRule,
)

__all__ = [
    "ABSTAIN",
    "KeywordRule",
    "LabelMatrix",
    "LabelingFunction",
    "LookupRule",
    "ModelRule",
    "Preprocessor",
    "RegexRule",
    "Row",
    "Rule",
    "ThresholdRule",
    "analyze_lfs",
    "apply_lfs",
    "labeling_function",
    "load_rules",
    "preprocessor",
    "rule_from_definition",
    "rules_from_dicts",
]
