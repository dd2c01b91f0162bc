"""The words of labelmill's vocabulary, defined once: statuses, queues, source kinds, roles.

They are ``StrEnum`` members, so they compare equal to their plain strings (``Status.AUTO ==
"auto"``), serialize as those strings, and the store, the pydantic models of the server and
the click options of the CLI all take their values from here.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Queue", "Role", "RoundState", "SourceKind", "Stage", "Status", "Strategy"]


class Status(StrEnum):
    """Where an item's label stands.

    - ``unlabeled``: no round has labeled it and nobody answered it;
    - ``auto``: the model's label, above the threshold certified by the blind audit;
    - ``review``: the model's label, below that threshold: waiting for a person;
    - ``human``: a person's answer (review queue);
    - ``gold``: known to be right: imported gold labels and blind audit answers.
    """

    UNLABELED = "unlabeled"
    AUTO = "auto"
    REVIEW = "review"
    HUMAN = "human"
    GOLD = "gold"


class Queue(StrEnum):
    """How an item is served to a person.

    - ``review``: with the model's suggestion and the votes behind it;
    - ``audit``: blind (no suggestion, no votes), from the random audit sample;
    - ``crowd``: blind to other people's answers; each item goes to ``overlap`` people.
    """

    REVIEW = "review"
    AUDIT = "audit"
    CROWD = "crowd"


class SourceKind(StrEnum):
    """What casts votes: a rule, a model, a person answering in review or audit, a crowd
    worker, or an import of gold labels."""

    RULE = "rule"
    MODEL = "model"
    HUMAN = "human"
    CROWD = "crowd"
    IMPORT = "import"


class Role(StrEnum):
    """What a user may do: ``admin`` everything; ``reviewer`` label, review and audit;
    ``annotator`` label the items served to them."""

    ADMIN = "admin"
    REVIEWER = "reviewer"
    ANNOTATOR = "annotator"


class RoundState(StrEnum):
    """A round is ``running`` until it ends ``done`` or ``failed``."""

    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Stage(StrEnum):
    """The stages of a round, in the order they run."""

    RULES = "rules"
    LOAD = "load"
    FEATURIZE = "featurize"
    AGGREGATE = "aggregate"
    TRAIN = "train"
    PREDICT = "predict"
    CALIBRATE = "calibrate"
    ROUTE = "route"
    WRITE = "write"


class Strategy(StrEnum):
    """How the review queue is ordered: an active-learning strategy of
    :mod:`labelmill.active`, or ``auto``, the bandit that learns which one pays off."""

    AUTO = "auto"
    RANDOM = "random"
    LEAST_CONFIDENCE = "least_confidence"
    MARGIN = "margin"
    ENTROPY = "entropy"
    COMMITTEE = "committee"
    KCENTER = "kcenter"
    CLUSTER = "cluster"
    HYBRID = "hybrid"
