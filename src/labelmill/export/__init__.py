"""Getting the labeled data set out: files (jsonl, csv, parquet), a PyTorch ``Dataset``, a
Hugging Face ``Dataset``.

Every exported row has the item ``id`` as imported, the ``label`` (class name, a list of
names for multi-label, ``None`` while there is none), the ``status``, the ``confidence``,
the ``posterior`` (one probability per class, in schema order), the payload (``text``,
``image`` path, or the table's columns), the item's metadata columns, and provenance:
the ``sources`` whose votes produced the label and the ``round`` that decided it.
"""

from labelmill.export._datasets import to_hf_dataset, to_torch_dataset
from labelmill.export._rows import export_rows, iter_export_rows

__all__ = ["export_rows", "iter_export_rows", "to_hf_dataset", "to_torch_dataset"]
