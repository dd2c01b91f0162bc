"""The report's input: plain, typed dataclasses, every section optional.

The report answers the questions of a datasheet (Gebru et al., "Datasheets for Datasets",
2021: motivation, composition, collection process, labeling process, uses, known issues)
for a labeled data set, from what a labelmill project stores. A section left ``None`` is
rendered as *missing*, with what would fill it, so a report renders at any stage (an
empty project renders too).

Tables are :class:`Table` values: column names, rows of plain values (str, int, float,
bool, None) and the number of rows before truncation, so a 1,000,000-item project still
gives a small report. Build them from DataFrames with :meth:`Table.from_frame`.

Every field is plain data (JSON-serialisable); nothing here reads a store or a file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = [
    "AuditSection",
    "CheckSummary",
    "CollectionInfo",
    "DatasetSummary",
    "ImportInfo",
    "LabelIssuesSection",
    "ModelInfo",
    "ProjectInfo",
    "ProvenanceSection",
    "ReportInput",
    "RoundInfo",
    "RuleInfo",
    "SchemaInfo",
    "Table",
    "UsesInfo",
    "REPORT_FORMAT_VERSION",
]

#: Version of the JSON layout; bump when a field changes meaning.
REPORT_FORMAT_VERSION = 1
#: Rows kept per table unless the caller asks otherwise.
DEFAULT_MAX_ROWS = 200


def _plain(value: Any) -> Any:
    """A JSON-friendly scalar: numpy scalars unwrapped, NaN/inf -> None, times -> ISO."""
    if value is None or isinstance(value, bool | str):
        return value
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 1) == 0:
        value = value.item()
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(str(_plain(v)) for v in value)
    try:
        if value != value:  # NaN-like (pandas NA raises TypeError)
            return None
    except (TypeError, ValueError):
        return None
    return str(value)


@dataclass
class Table:
    """A table to show: columns, rows (already the worst/most important first), and how
    many rows there were before truncation.

    Attributes
    ----------
    columns : list of str
    rows : list of list
        Plain values (str, int, float, bool or None).
    total_rows : int
        Rows before truncation (``len(rows)`` when nothing was cut).
    """

    columns: list[str]
    rows: list[list[Any]]
    total_rows: int = -1

    def __post_init__(self) -> None:
        if self.total_rows < 0:
            self.total_rows = len(self.rows)

    @property
    def truncated(self) -> bool:
        """True when rows were left out."""
        return self.total_rows > len(self.rows)

    @classmethod
    def from_frame(
        cls, frame: Any, *, max_rows: int = DEFAULT_MAX_ROWS, columns: list[str] | None = None
    ) -> Table:
        """Keep the first ``max_rows`` rows of a DataFrame (sort it first).

        Examples
        --------
        >>> import pandas as pd
        >>> t = Table.from_frame(pd.DataFrame({"a": [1, 2, 3]}), max_rows=2)
        >>> t.rows, t.total_rows, t.truncated
        ([[1], [2]], 3, True)
        """
        cols = list(frame.columns) if columns is None else list(columns)
        head = frame[cols].head(max_rows)
        rows = [[_plain(v) for v in row] for row in head.itertuples(index=False, name=None)]
        return cls(columns=[str(c) for c in cols], rows=rows, total_rows=int(len(frame)))

    def column(self, name: str) -> list[Any]:
        """Values of one column."""
        j = self.columns.index(name)
        return [row[j] for row in self.rows]


@dataclass
class ProjectInfo:
    """Who made the data set, why, and with what.

    Attributes
    ----------
    name : str
        Project name (folder name).
    description : str, optional
        What the data set is for (the datasheet's *motivation*): from the project's
        settings; the report says it is missing when empty.
    created_by : str, optional
        Person or team responsible.
    created_at, generated_at : datetime or ISO str, optional
        When the project was created and the report generated.
    labelmill_version : str, optional
    """

    name: str
    description: str | None = None
    created_by: str | None = None
    created_at: Any = None
    generated_at: Any = None
    labelmill_version: str | None = None


@dataclass
class SchemaInfo:
    """The label schema.

    Attributes
    ----------
    task : str
        ``classification`` or ``multilabel``.
    classes : list of str
        Ordered class names.
    data_type : str
        ``text``, ``image``, ``tabular``...
    fields : list of str
        Fields of an item that are shown and featurized.
    """

    task: str
    classes: list[str]
    data_type: str
    fields: list[str] = field(default_factory=list)


@dataclass
class ImportInfo:
    """One import of items (a row of the ``imports`` table).

    Attributes
    ----------
    path : str
    rows_read, items_added, duplicates, rejected : int
    created_at : datetime or ISO str, optional
    file_hash : str, optional
    """

    path: str
    rows_read: int
    items_added: int
    duplicates: int = 0
    rejected: int = 0
    created_at: Any = None
    file_hash: str | None = None


@dataclass
class DatasetSummary:
    """What the data set is made of (the datasheet's *composition*).

    Attributes
    ----------
    n_items : int
    imports : list of ImportInfo
    counts_by_status : dict of str to int
        Items per label status (``unlabeled``, ``auto``, ``review``, ``human``, ``gold``).
    counts_by_class : dict of str to int
        Current labels per class (labeled items only).
    exact_duplicate_groups, exact_duplicate_items : int, optional
        Groups of items with the same content hash, and items in them beyond the first.
    near_duplicate_groups, near_duplicate_items : int, optional
        The same for near duplicates (embedding cosine >= ``near_duplicate_threshold``).
    near_duplicate_threshold : float, optional
    metadata_fields : list of str
        Metadata keys items carry.
    """

    n_items: int
    imports: list[ImportInfo] = field(default_factory=list)
    counts_by_status: dict[str, int] = field(default_factory=dict)
    counts_by_class: dict[str, int] = field(default_factory=dict)
    exact_duplicate_groups: int | None = None
    exact_duplicate_items: int | None = None
    near_duplicate_groups: int | None = None
    near_duplicate_items: int | None = None
    near_duplicate_threshold: float | None = None
    metadata_fields: list[str] = field(default_factory=list)


@dataclass
class CollectionInfo:
    """How the items were collected and labeled by people (free text from the user, and
    counts from the store).

    Attributes
    ----------
    collection_process : str, optional
        Where the raw items came from, when, sampled how (user text).
    preprocessing : str, optional
        Cleaning or filtering before import (user text).
    annotators : dict of str to int
        People by role (``admin``, ``reviewer``, ``annotator``).
    answers_by_queue : dict of str to int
        People's answers per queue (``review``, ``audit``, ``crowd``).
    annotation_guidelines : str, optional
        Link or text of the guidelines people followed.
    """

    collection_process: str | None = None
    preprocessing: str | None = None
    annotators: dict[str, int] = field(default_factory=dict)
    answers_by_queue: dict[str, int] = field(default_factory=dict)
    annotation_guidelines: str | None = None


@dataclass
class RuleInfo:
    """One labeling rule and its analysis.

    Attributes
    ----------
    name, version : str
    kind : str
        ``keywords``, ``regex``, ``python``...
    description : str, optional
        The rule's definition in one line.
    active : bool
    polarity : list of str
        Classes it votes for.
    coverage, overlaps, conflicts : float, optional
        From :func:`labelmill.lf.analyze_lfs`.
    n_judged, n_correct : int, optional
        Votes on audited/gold items and how many were right.
    accuracy, lower, upper : float, optional
        From :func:`labelmill.quality.estimate_rule_accuracy`.
    """

    name: str
    version: str = "1"
    kind: str = "rule"
    description: str | None = None
    active: bool = True
    polarity: list[str] = field(default_factory=list)
    coverage: float | None = None
    overlaps: float | None = None
    conflicts: float | None = None
    n_judged: int | None = None
    n_correct: int | None = None
    accuracy: float | None = None
    lower: float | None = None
    upper: float | None = None


@dataclass
class ModelInfo:
    """A model, featurizer, aggregator or calibrator that produced labels.

    Attributes
    ----------
    role : str
        ``featurizer``, ``aggregator``, ``end_model``, ``calibrator``, ``threshold_policy``.
    name, version : str
    details : str, optional
        Parameters (``repr``) or where the weights came from.
    """

    role: str
    name: str
    version: str | None = None
    details: str | None = None


@dataclass
class RoundInfo:
    """One labeling round (a row of the ``rounds`` table and its ``results``).

    Attributes
    ----------
    round_id : int
    status : str
        ``done``, ``failed`` or ``running``.
    started_at, finished_at : datetime or ISO str, optional
    target_accuracy, confidence : float, optional
    threshold : float, optional
        The auto-accept threshold (None: nothing auto-accepted).
    guarantee : str, optional
        The threshold decision's statement.
    counts : dict of str to int
        Items per status after the round.
    n_audit, n_human, n_trained : int, optional
    audit_accuracy : float, optional
        The model's accuracy on the blind audit sample.
    auto_lower : float, optional
        The certified lower bound of the auto-accepted labels' accuracy.
    ece_before, ece_after : float, optional
    strategy : str, optional
        How the review queue was ordered.
    error : str, optional
        Why a failed round failed.
    """

    round_id: int
    status: str
    started_at: Any = None
    finished_at: Any = None
    target_accuracy: float | None = None
    confidence: float | None = None
    threshold: float | None = None
    guarantee: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    n_audit: int | None = None
    n_human: int | None = None
    n_trained: int | None = None
    audit_accuracy: float | None = None
    auto_lower: float | None = None
    ece_before: float | None = None
    ece_after: float | None = None
    strategy: str | None = None
    error: str | None = None


@dataclass
class AuditSection:
    """Accuracy from the blind audit sample and metrics against gold.

    Attributes
    ----------
    n_audited : int
        Items in the blind audit sample with an audit answer.
    confidence : float
        Level of every interval.
    accuracy : Table, optional
        :func:`labelmill.quality.estimate_audit_accuracy` (columns ``group_by, group,
        n_audited, n_correct, accuracy, lower, upper`` ...).
    threshold_candidates : int
        ``m`` used for the auto/review intervals (1: not adjusted).
    calibration : Table, optional
        :attr:`labelmill.quality.CalibrationResult.table` of the shown confidences on the
        audit sample (the reliability diagram).
    ece, mce : float, optional
    per_class : Table, optional
        ``classification_metrics(...)["per_class"]`` against gold (with the class as the
        first column, ``class``).
    confusion : Table, optional
        Confusion matrix against gold: first column ``gold``, then one per predicted class.
    gold_source : str, optional
        What the metrics are measured against (e.g. "blind audit answers").
    rule_accuracy : Table, optional
        :func:`labelmill.quality.estimate_rule_accuracy`.
    slices : Table, optional
        :func:`labelmill.quality.analyze_slices`, worst first.
    """

    n_audited: int
    confidence: float = 0.95
    accuracy: Table | None = None
    threshold_candidates: int = 1
    calibration: Table | None = None
    ece: float | None = None
    mce: float | None = None
    per_class: Table | None = None
    confusion: Table | None = None
    gold_source: str | None = None
    rule_accuracy: Table | None = None
    slices: Table | None = None


@dataclass
class CheckSummary:
    """One consistency check (from :func:`labelmill.quality.run_checks`).

    Attributes
    ----------
    name, title : str
    n_flagged : int
    skipped : str, optional
        Why it did not run.
    table : Table, optional
        Its worst rows.
    """

    name: str
    title: str
    n_flagged: int = 0
    skipped: str | None = None
    table: Table | None = None


@dataclass
class LabelIssuesSection:
    """Labels that are probably wrong (:func:`labelmill.quality.rank_label_issues`).

    Attributes
    ----------
    n_checked : int
        Labels checked.
    n_issues : int
        Flagged as probably wrong.
    estimated_noise_rate : float, optional
        ``NoiseEstimate.n_label_errors / n_checked``.
    by_source : dict of str to int
        Flagged labels per label source or status.
    top : Table, optional
        The worst flagged items.
    method : str
        How they were found (shown in the report).
    """

    n_checked: int
    n_issues: int
    estimated_noise_rate: float | None = None
    by_source: dict[str, int] = field(default_factory=dict)
    top: Table | None = None
    method: str = (
        "noise_posterior: estimated noise matrix (anchors, empirical Bayes), ranked by the "
        "posterior probability of a wrong label, on cross-validated probabilities"
    )


@dataclass
class ProvenanceSection:
    """Where the labels came from.

    Attributes
    ----------
    by_status : dict of str to int
        Labeled items per status.
    by_status_and_class : dict of str to dict of str to int
        ``{status: {class: count}}``.
    by_source_kind : dict of str to int
        Votes per source kind (``rule``, ``model``, ``human``, ``crowd``, ``import``).
    """

    by_status: dict[str, int] = field(default_factory=dict)
    by_status_and_class: dict[str, dict[str, int]] = field(default_factory=dict)
    by_source_kind: dict[str, int] = field(default_factory=dict)


@dataclass
class UsesInfo:
    """What the data set should and should not be used for (user text).

    Attributes
    ----------
    intended_uses, not_recommended, license, citation, maintainer, contact : str, optional
    """

    intended_uses: str | None = None
    not_recommended: str | None = None
    license: str | None = None
    citation: str | None = None
    maintainer: str | None = None
    contact: str | None = None


@dataclass
class ReportInput:
    """Everything the report shows. Only ``project`` is required.

    Attributes
    ----------
    project : ProjectInfo
    schema : SchemaInfo, optional
    dataset : DatasetSummary, optional
    collection : CollectionInfo, optional
    rules : list of RuleInfo, optional
        ``[]`` means "no rules"; ``None`` means "not provided".
    models : list of ModelInfo, optional
    rounds : list of RoundInfo, optional
        Oldest first.
    audit : AuditSection, optional
    checks : list of CheckSummary, optional
    label_issues : LabelIssuesSection, optional
    provenance : ProvenanceSection, optional
    uses : UsesInfo, optional
    """

    project: ProjectInfo
    schema: SchemaInfo | None = None
    dataset: DatasetSummary | None = None
    collection: CollectionInfo | None = None
    rules: list[RuleInfo] | None = None
    models: list[ModelInfo] | None = None
    rounds: list[RoundInfo] | None = None
    audit: AuditSection | None = None
    checks: list[CheckSummary] | None = None
    label_issues: LabelIssuesSection | None = None
    provenance: ProvenanceSection | None = None
    uses: UsesInfo | None = None
