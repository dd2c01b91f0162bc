"""Label models: combine the votes of many sources into one posterior per item.

``L`` is an ``(n_items, n_sources)`` int array with ``-1`` = abstain and classes
``0..k-1``; a ``scipy.sparse`` matrix is accepted too, storing ``label + 1`` so that the
implicit 0 means abstain (the natural form for crowds with many workers).

- :class:`MajorityVote`: unweighted vote, documented tie-breaking.
- :class:`DawidSkene`: full confusion matrix per source by EM, smoothed.
- :class:`LabelModel`: the default; Dawid-Skene with coverage-aware priors, duplicate
  merging, per-source abstain handling and safeguards (see its docstring).
- :class:`MultiLabelModel`: one binary model per class.
- :func:`combine_votes`: ``LabelModel().fit(L).predict_proba(L)`` in one call.
"""

from labelmill.labelmodel._dawid_skene import DawidSkene
from labelmill.labelmodel._label_model import LabelModel
from labelmill.labelmodel._majority import MajorityVote
from labelmill.labelmodel._multilabel import MultiLabelModel, combine_votes

__all__ = ["DawidSkene", "LabelModel", "MajorityVote", "MultiLabelModel", "combine_votes"]
