"""Which input columns hold what: the payload, the id, gold labels, features, metadata.

The rule, stated once (``labelmill import --help`` repeats it):

- text and image projects: the payload is the text (``--text-column``, default ``text``) or
  image (``--image-column``, default ``image``) column; every other column except the id
  and gold columns is metadata, unless ``--meta-column`` names the ones to keep.
- tabular projects: the features are the columns named by the schema's ``fields``
  (``labelmill init --fields``) or, without fields, every column except the id, gold,
  ``--meta-column`` and hidden columns (the project's ``hidden_columns``). Every other
  column is kept as metadata: nothing is dropped silently. The import prints the features
  and the metadata columns it chose, and warns about a feature column that predicts the
  gold labels perfectly or holds only class names (a forgotten label column).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = ["FOLDER_COLUMN", "ColumnMap", "FolderLabels", "columns_from"]

FolderLabels = Literal["gold", "meta", "none"]
#: the metadata column that keeps an image's class folder with ``folder_labels="meta"``
FOLDER_COLUMN = "folder"


@dataclass(frozen=True)
class ColumnMap:
    """Which input columns hold what."""

    text: str | None = None
    image: str | None = None
    id: str | None = None
    gold: str | None = None
    meta: tuple[str, ...] | None = None
    hidden: tuple[str, ...] = ()
    folder_labels: FolderLabels = "gold"


def columns_from(
    *,
    text_column: str | None = None,
    image_column: str | None = None,
    id_column: str | None = None,
    gold_column: str | None = None,
    meta_columns: Sequence[str] | None = None,
    hidden_columns: Sequence[str] = (),
    folder_labels: str = "gold",
) -> ColumnMap:
    """A :class:`ColumnMap` from the import's options.

    Raises
    ------
    ConfigError
        ``folder_labels`` is not one of ``gold``, ``meta``, ``none``.
    """
    from labelmill.utils._validation import check_choice

    check_choice(folder_labels, "folder_labels", "import_items", ("gold", "meta", "none"))
    return ColumnMap(
        text=text_column,
        image=image_column,
        id=id_column,
        gold=gold_column,
        meta=tuple(meta_columns) if meta_columns is not None else None,
        hidden=tuple(hidden_columns),
        folder_labels=folder_labels,  # type: ignore[arg-type]
    )
