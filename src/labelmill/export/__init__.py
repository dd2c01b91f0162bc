"""Getting the labeled data set out: files (jsonl, csv, parquet, Label Studio JSON, a Hugging
Face data set folder), a PyTorch ``Dataset``, a Hugging Face ``Dataset``.

Every exported row has the item ``id`` as imported, the ``label`` (class name, a list of
names for multi-label, ``None`` while there is none), the ``status``, the ``confidence``,
the ``posterior`` (one probability per class, in schema order; people's answer for the
items they answered), provenance (``sources``, ``votes``, ``model``, ``featurizer``,
``round``), the payload (``text``, ``image`` path, or the table's columns) and the item's
metadata columns. See :mod:`labelmill.export._rows`.
"""

from labelmill.export._datasets import to_hf_dataset, to_torch_dataset
from labelmill.export._people import answers_by_item, with_people_targets
from labelmill.export._rows import check_statuses, export_format, export_rows, iter_export_rows

__all__ = [
    "answers_by_item",
    "check_statuses",
    "export_format",
    "export_rows",
    "iter_export_rows",
    "to_hf_dataset",
    "to_torch_dataset",
    "with_people_targets",
]
