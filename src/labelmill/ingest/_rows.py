"""Rows to items: the payload, content hash, id, gold label and metadata of each input row,
checked (a bad row raises :class:`~labelmill.exceptions.ImportRowError` naming its line)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from labelmill.data.readers import Row
from labelmill.exceptions import ConfigError, ImportRowError, SchemaError
from labelmill.ingest._columns import ColumnMap
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
    """Turns a row into the fields of an item, or raises ImportRowError."""

    def __init__(self, schema: Schema, columns: ColumnMap, *, base: Path, path: str) -> None:
        self.schema = schema
        self.columns = columns
        self.base = base
        self.path = path
        self.checked_header = False
        self.from_folder = False
        if schema.data_type == "text" and columns.image:
            raise ConfigError("This is a text project; use --text-column, not --image-column.")
        if schema.data_type == "image" and columns.text:
            raise ConfigError("This is an image project; use --image-column, not --text-column.")

    def check_header(self, row: Row) -> None:
        self.checked_header = True
        present = list(row.values)
        if self.columns.gold is None and self.from_folder and "label" in row.values:
            self.columns = ColumnMap(**{**self.columns.__dict__, "gold": "label"})
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

    def _payload_column(self) -> str | None:
        if self.schema.data_type == "text":
            return self.columns.text or "text"
        if self.schema.data_type == "image":
            return self.columns.image or "image"
        return None

    def build(self, row: Row) -> dict[str, Any]:
        values = row.values
        used = {c for c in (self.columns.id, self.columns.gold) if c}
        payload, content, column = self._payload(row)
        if column:
            used.add(column)
        meta_names = self.columns.meta
        if meta_names is None:
            meta_names = tuple(k for k in values if k not in used) if column else ()
        meta = {k: values.get(k) for k in meta_names} or None
        if self.schema.data_type == "tabular":
            payload = {
                k: _coerce(v) for k, v in values.items() if k not in used and k not in (meta or {})
            }
            if self.schema.fields:
                missing = [f for f in self.schema.fields if f not in payload]
                if missing:
                    raise ImportRowError(
                        self.path, row.line, f"missing field(s) {missing} of the schema"
                    )
                payload = {f: payload[f] for f in self.schema.fields}
            content = json.dumps(payload, sort_keys=True, default=str).encode()
        gold = None
        if self.columns.gold:
            raw_gold = values.get(self.columns.gold)
            if raw_gold not in (None, ""):
                gold = self._gold(raw_gold, row.line)
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
            "line": row.line,
        }

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
        return str(image_path), data, column

    def _gold(self, raw: Any, line: int) -> int:
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
