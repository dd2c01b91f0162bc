"""Labeling functions: Snorkel-compatible Python functions and declarative rules.

Write rules in Python (``@labeling_function()``, as for Snorkel) or in YAML (keyword
lists, regexes, column thresholds, lookup lists, another model's prediction), load them
with :func:`load_rules`, turn them into a vote matrix with :func:`apply_lfs` (locally,
in a process pool or on a Dask cluster) and study them with :func:`analyze_lfs`.

A Snorkel notebook runs here by changing its imports only: ``snorkel.labeling``,
``snorkel.preprocess``, ``snorkel.labeling.lf.nlp``, ``snorkel.preprocess.nlp``,
``snorkel.labeling.apply.dask``, ``snorkel.utils`` and ``snorkel.analysis`` ->
``labelmill.lf`` (``snorkel.labeling.model`` -> ``labelmill.labelmodel``). Snorkel's names
(``PandasLFApplier``, ``LFAnalysis``, ``LambdaPreprocessor``, ``nlp_labeling_function``,
``probs_to_preds``, ...) are thin aliases over labelmill's own API; ``docs/snorkel.md``
maps every one of them.
"""

from labelmill.lf._analysis import LFAnalysis, analyze_lfs
from labelmill.lf._appliers import (
    ApplierMetadata,
    DaskLFApplier,
    LFApplier,
    PandasLFApplier,
    PandasParallelLFApplier,
)
from labelmill.lf._apply import LabelMatrix, apply_lfs
from labelmill.lf._core import (
    ABSTAIN,
    BasePreprocessor,
    LabelingFunction,
    LambdaPreprocessor,
    Preprocessor,
    Row,
    labeling_function,
    memoize_key,
    preprocessor,
)
from labelmill.lf._load import load_rules, rule_from_definition, rules_from_dicts
from labelmill.lf._nlp import (
    NLPLabelingFunction,
    SpacyPreprocessor,
    nlp_labeling_function,
)
from labelmill.lf._rules import (
    KeywordRule,
    LookupRule,
    ModelRule,
    RegexRule,
    Rule,
    ThresholdRule,
)
from labelmill.lf._utils import (
    filter_unlabeled_dataframe,
    get_label_buckets,
    get_label_instances,
    preds_to_probs,
    probs_to_preds,
)

__all__ = [
    "ABSTAIN",
    "ApplierMetadata",
    "BasePreprocessor",
    "DaskLFApplier",
    "KeywordRule",
    "LFAnalysis",
    "LFApplier",
    "LabelMatrix",
    "LabelingFunction",
    "LambdaPreprocessor",
    "LookupRule",
    "ModelRule",
    "NLPLabelingFunction",
    "PandasLFApplier",
    "PandasParallelLFApplier",
    "Preprocessor",
    "RegexRule",
    "Row",
    "Rule",
    "SpacyPreprocessor",
    "ThresholdRule",
    "analyze_lfs",
    "apply_lfs",
    "filter_unlabeled_dataframe",
    "get_label_buckets",
    "get_label_instances",
    "labeling_function",
    "load_rules",
    "memoize_key",
    "nlp_labeling_function",
    "preds_to_probs",
    "preprocessor",
    "probs_to_preds",
    "rule_from_definition",
    "rules_from_dicts",
]
