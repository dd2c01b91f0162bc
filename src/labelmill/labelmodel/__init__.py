"""Label models: combine the votes of many sources into one posterior per item.

``L`` is an ``(n_items, n_sources)`` int array with ``-1`` = abstain and classes
``0..k-1``; a ``scipy.sparse`` matrix is accepted too, storing ``label + 1`` so that the
implicit 0 means abstain (the natural form for crowds with many workers), and so is a
:class:`VoteMatrix` (weighted votes, e.g. a worker's merged repeated answers).

People are sources like rules: the same models aggregate labeling functions and crowd
workers (see :mod:`labelmill.crowd` for the DataFrame interface).

- :class:`LabelModel`: the default (see its docstring).
- :class:`MajorityVote` (and Snorkel's name :class:`MajorityLabelVoter`): no fit needed.
- :class:`Wawa`: vote weighted by each source's agreement with the majority.
- :class:`OneCoinDawidSkene`: one accuracy per source, by EM.
- :class:`DawidSkene`: a full confusion matrix per source, by EM.
- :class:`GLAD`: source expertise times item difficulty, by EM.
- :class:`MACE`: competent-or-spamming sources, by EM with restarts.
- :class:`MultiLabelModel`: one binary model per class.
- :func:`combine_votes`: ``LabelModel().fit(L).predict_proba(L)`` in one call.
- :func:`decide`: posteriors to labels under a tie-break policy.
- :class:`VoteClassifier`: a scikit-learn classifier adapter (features -> votes).

Snorkel users change only the import: ``LabelModel(cardinality=2, verbose=True)``,
``fit(L_train=..., Y_dev=..., n_epochs=..., seed=..., class_balance=...)``,
``predict(L, return_probs=..., tie_break_policy=...)``, ``predict_proba(L)``,
``score(L=..., Y=..., metrics=[...])`` and ``get_weights()`` all work (see
:meth:`LabelModel.fit` for the training options that are accepted and ignored).
"""

from labelmill.labelmodel._base import decide
from labelmill.labelmodel._dawid_skene import DawidSkene
from labelmill.labelmodel._glad import GLAD
from labelmill.labelmodel._label_model import LabelModel
from labelmill.labelmodel._mace import MACE
from labelmill.labelmodel._majority import MajorityLabelVoter, MajorityVote
from labelmill.labelmodel._multilabel import MultiLabelModel, combine_votes
from labelmill.labelmodel._one_coin import OneCoinDawidSkene
from labelmill.labelmodel._sklearn import VoteClassifier
from labelmill.labelmodel._validation import VoteMatrix, check_label_matrix
from labelmill.labelmodel._wawa import Wawa

__all__ = [
    "GLAD",
    "MACE",
    "DawidSkene",
    "LabelModel",
    "MajorityLabelVoter",
    "MajorityVote",
    "MultiLabelModel",
    "OneCoinDawidSkene",
    "VoteMatrix",
    "check_label_matrix",
    "VoteClassifier",
    "Wawa",
    "combine_votes",
    "decide",
]
