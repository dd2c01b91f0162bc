"""Crowdsourcing: truth inference from many workers' answers, worker quality, agreement.

Workers are sources like labeling functions: :func:`aggregate` turns a table of answers
(``item``, ``worker``, ``label``; any hashable values) into a sparse vote matrix and fits
a label model from :mod:`labelmill.labelmodel` on it. Everything here is a pure function
over such tables, returning DataFrames or floats.

Aggregation
    :func:`aggregate`, :func:`encode_answers`, :func:`make_aggregator`; the estimators
    themselves (:class:`~labelmill.labelmodel.MajorityVote`, :class:`Wawa`,
    :class:`OneCoinDawidSkene`, :class:`DawidSkene`, :class:`GLAD`, :class:`MACE`,
    :class:`LabelModel`) are re-exported from :mod:`labelmill.labelmodel`.
Worker quality
    :func:`worker_accuracy` (exact Clopper-Pearson intervals, against gold or aggregated
    labels), :func:`worker_confusion`, :func:`find_spammers`.
Agreement
    :func:`cohen_kappa`, :func:`fleiss_kappa`, :func:`krippendorff_alpha` (nominal,
    ordinal, interval; missing answers allowed), :func:`percent_agreement`,
    :func:`pairwise_agreement`, :func:`item_agreement`.
"""

from labelmill.crowd._aggregate import METHODS, aggregate, make_aggregator
from labelmill.crowd._agreement import (
    cohen_kappa,
    fleiss_kappa,
    item_agreement,
    krippendorff_alpha,
    pairwise_agreement,
    percent_agreement,
)
from labelmill.crowd._answers import EncodedAnswers, encode_answers
from labelmill.crowd._quality import find_spammers, worker_accuracy, worker_confusion
from labelmill.labelmodel import (
    GLAD,
    MACE,
    DawidSkene,
    LabelModel,
    MajorityVote,
    OneCoinDawidSkene,
    Wawa,
)

__all__ = [
    "GLAD",
    "MACE",
    "METHODS",
    "DawidSkene",
    "EncodedAnswers",
    "LabelModel",
    "MajorityVote",
    "OneCoinDawidSkene",
    "Wawa",
    "aggregate",
    "cohen_kappa",
    "encode_answers",
    "find_spammers",
    "fleiss_kappa",
    "item_agreement",
    "krippendorff_alpha",
    "make_aggregator",
    "pairwise_agreement",
    "percent_agreement",
    "worker_accuracy",
    "worker_confusion",
]
