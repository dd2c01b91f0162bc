"""Rows to items: the payload, content hash, id, gold label and metadata of each input row,
checked (a bad row raises :class:`~labelmill.exceptions.ImportRowError` naming its line)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from labelmill.data.label_studio import ANNOTATIONS as LS_ANNOTATIONS
from labelmill.data.label_studio import PREDICTIONS as LS_PREDICTIONS
from labelmill.data.label_studio import RESERVED as LS_RESERVED
from labelmill.data.readers import Row
from labelmill.exceptions import ConfigError, ImportRowError, SchemaError
from labelmill.ingest._columns import FOLDER_COLUMN, ColumnMap
from labelmill.schema import Schema

__all__ = ["ItemBuilder", "is_missing", "plain"]


def is_missing(value: Any) -> bool:
    try:
        return bool(value != value) or value is None  # NaN, NaT, None
    except (TypeError, ValueError):
        return False


def plain(value: Any) -> Any:
    """Numpy scalars to Python scalars, so payloads serialize to JSON."""
    return value.item() if hasattr(value, "item") and not isinstance(value, str) else value


class ItemBuilder:
    """Turns a row into the fields of an item, or raises ImportRowError.

    Which column holds what follows the rule of :mod:`labelmill.ingest._columns`; the
    choice for the first row is kept in :attr:`plan_notes` for the import to print.
    """

    def __init__(self, schema: Schema, columns: ColumnMap, *, base: Path, path: str) -> None:
        self.schema = schema
        self.columns = columns
        self.base = base
        self.path = path
        self.checked_header = False
        self.from_folder = False
        self.label_studio = False
        self.plan_notes: list[str] = []
        self._plans: dict[tuple[str, ...], tuple[tuple[str, ...], tuple[str, ...]]] = {}
        if schema.data_type == "text" and columns.image:
            raise ConfigError("This is a text project; use --text-column, not --image-column.")
        if schema.data_type == "image" and columns.text:
            raise ConfigError("This is an image project; use --image-column, not --text-column.")

    def check_header(self, row: Row) -> None:
        self.checked_header = True
        present = [k for k in row.values if k not in LS_RESERVED]
        folder_gold = self.columns.folder_labels == "gold" and self.columns.gold is None
        if self.from_folder and "label" in row.values and folder_gold:
            self.columns = replace(self.columns, gold="label")
        if self.label_studio and self.columns.id is None and "id" in row.values:
            self.columns = replace(self.columns, id="id")
        wanted = [
            (c, flag)
            for c, flag in (
                (self.columns.text, "--text-column"),
                (self.columns.image, "--image-column"),
                (self.columns.id, "--id-column"),
                (self.columns.gold, "--gold-column"),
            )
            if c
        ] + [(m, "--meta-column") for m in self.columns.meta or ()]
        for name, flag in wanted:
            if name not in row.values:
                raise ImportRowError(
                    self.path,
                    row.line,
                    f"column {name!r} (given by {flag}) not found; the columns are {present}",
                )
        payload_column = self._payload_column()
        if payload_column and payload_column not in row.values:
            flag = "--text-column" if self.schema.data_type == "text" else "--image-column"
            raise ImportRowError(
                self.path,
                row.line,
                f"no {payload_column!r} column; the columns are {present}. Name the column "
                f"holding the {self.schema.data_type} with {flag}",
            )
        features, meta = self._plan(row)
        if self.schema.data_type == "tabular":
            if not features:
                raise ImportRowError(
                    self.path,
                    row.line,
                    f"no feature columns left: the columns are {present}; the id, gold, "
                    "metadata and hidden columns are not features",
                )
            how = "the schema's fields" if self.schema.fields else "every other column"
            self.plan_notes.append(
                f"features ({len(features)}, {how}): {', '.join(features)}"
                + (f"; kept as metadata, not features: {', '.join(meta)}" if meta else "")
            )

    def _plan(self, row: Row) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(feature columns, metadata columns) of a row with these columns."""
        key = tuple(row.values)
        plan = self._plans.get(key)
        if plan is not None:
            return plan
        cols = self.columns
        used = {c for c in (cols.id, cols.gold, self._payload_column()) if c} | set(LS_RESERVED)
        if self.from_folder:
            used.add("label")
        names = [k for k in key if k not in used]
        if self.schema.data_type == "tabular":
            if self.schema.fields:
                missing = [f for f in self.schema.fields if f not in row.values]
                if missing:
                    raise ImportRowError(
                        self.path, row.line, f"missing field(s) {missing} of the schema"
                    )
                features = tuple(self.schema.fields)
            else:
                out = set(cols.meta or ()) | set(cols.hidden)
                features = tuple(k for k in names if k not in out)
            meta = tuple(k for k in names if k not in features)
        else:
            features = ()
            meta = tuple(cols.meta) if cols.meta is not None else tuple(names)
        if self.from_folder and cols.folder_labels == "meta":
            meta = (*meta, FOLDER_COLUMN)
        plan = (features, meta)
        if len(self._plans) < 1000:
            self._plans[key] = plan
        return plan

    def features_of(self, row: Row) -> tuple[str, ...]:
        """The feature columns of a tabular row (empty for text and image projects)."""
        return self._plan(row)[0]

    def _payload_column(self) -> str | None:
        if self.schema.data_type == "text":
            return self.columns.text or "text"
        if self.schema.data_type == "image":
            return self.columns.image or "image"
        return None

    def build(self, row: Row) -> dict[str, Any]:
        values = row.values
        features, meta_names = self._plan(row)
        payload, content, _column = self._payload(row)
        meta = {
            k: values.get("label") if k == FOLDER_COLUMN and self.from_folder else values.get(k)
            for k in meta_names
        } or None
        if self.schema.data_type == "tabular":
            payload = {f: _coerce(values.get(f)) for f in features}
            content = json.dumps(payload, sort_keys=True, default=str).encode()
        gold = None
        votes: list[tuple[str, int, float | None]] = []
        if self.columns.gold:
            raw_gold = values.get(self.columns.gold)
            if raw_gold not in (None, ""):
                gold = self._gold(raw_gold, row.line)
        if self.label_studio:
            gold, votes = self._label_studio(values, row.line, gold)
        item_id = None
        if self.columns.id:
            raw_id = values.get(self.columns.id)
            if raw_id in (None, "") or not str(raw_id).strip():
                raise ImportRowError(
                    self.path, row.line, f"column {self.columns.id!r} (the id) is empty"
                )
            item_id = str(raw_id).strip()
            if len(item_id) > 200:
                raise ImportRowError(self.path, row.line, "the id is longer than 200 characters")
        return {
            "item_id": item_id,
            "payload": payload,
            "meta": meta,
            "content_hash": hashlib.sha256(content).hexdigest(),
            "gold": gold,
            "votes": votes,
            "line": row.line,
        }

    def _label_studio(
        self, values: dict[str, Any], line: int, gold: int | None
    ) -> tuple[int | None, list[tuple[str, int, float | None]]]:
        """Gold from a task's annotations (when no gold column says otherwise) and the
        votes of its predictions."""
        answers = [
            self._gold(list(a) if self.schema.multilabel else _one(a, line, self.path), line)
            for a in values.get(LS_ANNOTATIONS) or []
        ]
        if gold is None and answers:
            counts = Counter(answers).most_common()
            if len(counts) > 1 and counts[0][1] == counts[1][1]:
                shown = ", ".join(str(self.schema.decode(a)) for a, _ in counts)
                raise ImportRowError(
                    self.path,
                    line,
                    f"the task's annotations disagree with no majority ({shown}); resolve them "
                    "in Label Studio, or use --on-error skip to set such tasks aside",
                )
            gold = counts[0][0]
        votes = []
        for prediction in values.get(LS_PREDICTIONS) or []:
            choices = prediction["choices"]
            label = self._gold(
                list(choices) if self.schema.multilabel else _one(choices, line, self.path), line
            )
            votes.append((prediction["model"], label, prediction["score"]))
        return gold, votes

    def _payload(self, row: Row) -> tuple[Any, bytes, str | None]:
        column = self._payload_column()
        if column is None:
            return None, b"", None
        value = row.values.get(column)
        if self.schema.data_type == "text":
            text = "" if value is None else str(value)
            if not text.strip():
                raise ImportRowError(
                    self.path,
                    row.line,
                    f"column {column!r} is empty; use --on-error skip to set such rows aside",
                )
            return text, text.encode("utf-8", errors="surrogatepass"), column
        return self._image(value, row.line, column)

    def _image(self, value: Any, line: int, column: str) -> tuple[str, bytes, str]:
        from PIL import Image, UnidentifiedImageError

        if value in (None, ""):
            raise ImportRowError(self.path, line, f"column {column!r} (the image path) is empty")
        image_path = Path(str(value))
        if not image_path.is_absolute():
            image_path = self.base / image_path
        image_path = image_path.resolve()
        try:
            data = image_path.read_bytes()
            with Image.open(image_path) as image:
                image.verify()
        except FileNotFoundError:
            raise ImportRowError(self.path, line, f"image {str(value)!r} not found") from None
        except (UnidentifiedImageError, OSError, SyntaxError) as exc:
            raise ImportRowError(
                self.path, line, f"image {str(value)!r} cannot be read: {exc}"
            ) from None
        self._check_inside(value, image_path, line)
        return str(image_path), data, column

    def _check_inside(self, value: Any, image_path: Path, line: int) -> None:
        """Refuse an image outside the import's folder: the browser serves only files inside
        it (:func:`labelmill.views.media_file`), so such an item could never be shown.
        DataFrame imports name no folder and are not checked."""
        if self.path == "<DataFrame>":
            return
        base = self.base.resolve()
        if image_path.is_relative_to(base):
            return
        raise ImportRowError(
            self.path,
            line,
            f"image {str(value)!r} is outside the import folder {base} (it is {image_path}); "
            "the browser shows only images inside the folder of the imported file or image "
            "folder: put the file list in a folder that holds the images, or copy them in "
            "(symlinks are followed to where they point), or use --on-error skip to set such "
            "rows aside",
        )

    def _gold(self, raw: Any, line: int) -> int:
        """The class (or bit mask) of a label named in the input."""
        try:
            if self.schema.multilabel:
                names = raw if isinstance(raw, list) else [p for p in str(raw).split("|") if p]
                return self.schema.encode(names)
            return self.schema.encode(str(raw))
        except SchemaError as exc:
            raise ImportRowError(self.path, line, f"gold label: {exc}") from None


def _coerce(value: Any) -> Any:
    """Numbers in text cells become numbers; empty cells become None."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text == "":
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return value


def _one(choices: Any, line: int, path: str) -> str:
    """The one class of a single-label Label Studio answer."""
    if len(choices) != 1:
        raise ImportRowError(
            path, line, f"a single-label answer must choose one class; got {list(choices)}"
        )
    return str(choices[0])
