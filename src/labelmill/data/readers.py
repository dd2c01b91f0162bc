"""Streaming readers for the files labelmill imports: CSV/TSV, JSONL, Parquet, DataFrames,
image folders.

Every reader yields :class:`Row` objects one at a time (never the whole file), each with
the 1-based line or record number it came from, or a :class:`BadRow` saying why that
row cannot be read. The importer decides whether a bad row stops the import or is set
aside. Nothing here knows about the database.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import json
import math
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from labelmill.data.delimited import TableOptions, read_delimited
from labelmill.data.records import BadRow, Row
from labelmill.exceptions import ConfigError, InputError

__all__ = [
    "IMAGE_SUFFIXES",
    "BadRow",
    "FileInfo",
    "Row",
    "detect_format",
    "head_lines",
    "read_rows",
    "scan_file",
]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")
FORMATS = ("csv", "tsv", "jsonl", "parquet", "images", "label-studio")
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


@dataclass
class FileInfo:
    """What a pass over the raw bytes learned: hash, encoding, and how it was chosen."""

    sha256: str
    lines: int = 0  # physical lines (a last line without a line break counts)
    head: bytes = b""  # the first 8 KiB, to tell text from binary
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)


def detect_format(path: Path) -> str:
    """Guess the input format from a path: a folder is an image folder, else the suffix;
    a ``.json`` file that holds one JSON array is Label Studio JSON, else JSON lines."""
    if path.is_dir():
        return "images"
    if path.suffix.lower() == ".json" and _starts_with_array(path):
        return "label-studio"
    suffix = path.suffix.lower()
    by_suffix = {
        ".csv": "csv",
        ".tsv": "tsv",
        ".tab": "tsv",
        ".txt": "tsv",
        ".jsonl": "jsonl",
        ".ndjson": "jsonl",
        ".json": "jsonl",
        ".parquet": "parquet",
        ".pq": "parquet",
    }
    if suffix not in by_suffix:
        raise InputError(
            f"{path}: cannot tell the format from the suffix {suffix!r}. Expected one of "
            ".csv, .tsv, .jsonl, .json (Label Studio), .parquet or a folder of images; pass "
            "--format to say which."
        )
    return by_suffix[suffix]


def _starts_with_array(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError:
        return False
    return head.startswith(b"[")


def scan_file(path: Path, *, encoding: str | None = None, text: bool = True) -> FileInfo:
    """Hash a file in one streaming pass and, for text files, settle its encoding.

    Without an explicit ``encoding``, a byte-order mark decides; otherwise the file is
    read as UTF-8 when every byte decodes, and as latin-1 (which decodes any byte)
    when one does not. The fallback is reported in ``notes`` with the first bad line.
    """
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8_ok, bad_line, lines = True, 0, 1
    last = b""
    with open(path, "rb") as fh:
        head = fh.read(8192)
        fh.seek(0)
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
            if text and encoding is None and utf8_ok:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    utf8_ok = False
                    bad_line = lines + chunk[: exc.start].count(b"\n")
            lines += chunk.count(b"\n")
            last = chunk[-64:]
    # physical lines: every line break, plus a last line without one, less blank last lines
    blank_tail = max(last.count(b"\n") - last.rstrip(b"\r\n").count(b"\n") - 1, 0)
    physical = lines - 1 + (1 if last[-1:] not in (b"", b"\n") else 0) - blank_tail
    info = FileInfo(sha256=digest.hexdigest(), lines=physical, head=head)
    if not text:
        return info
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ConfigError(
                f"Unknown encoding {encoding!r}; use a Python codec name such as utf-8 or latin-1."
            ) from None
        info.encoding = encoding
    elif head.startswith(codecs.BOM_UTF8):
        info.encoding = "utf-8-sig"
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        info.encoding = "utf-16"
    elif utf8_ok:
        info.encoding = "utf-8"
    else:
        info.encoding = "latin-1"
        info.notes.append(
            f"{path} is not valid UTF-8 (first undecodable byte on line {bad_line}); "
            "read it as latin-1. Pass --encoding to choose another."
        )
    return info


def read_rows(
    path: Path,
    fmt: str,
    *,
    encoding: str = "utf-8",
    delimiter: str | None = None,
    table: TableOptions | None = None,
) -> Iterator[Row | BadRow]:
    """Yield the rows of a file one by one, in order. See the module docstring.

    ``table`` says how to read a CSV/TSV file (settled by
    :func:`~labelmill.data.delimited.sniff_table`; default: a header line, the format's
    separator or ``delimiter``).
    """
    if fmt in ("csv", "tsv"):
        options = table or TableOptions()
        sep = options.sep or delimiter or ("\t" if fmt == "tsv" else ",")
        options = replace(
            options,
            sep=sep,
            header=True if options.header is None else options.header,
            skip_initial_space=bool(options.skip_initial_space),
        )
        yield from _read_delimited(path, encoding, options)
    elif fmt == "jsonl":
        yield from _read_jsonl(path, encoding)
    elif fmt == "parquet":
        yield from _read_parquet(path)
    elif fmt == "images":
        yield from _read_image_folder(path)
    elif fmt == "label-studio":
        from labelmill.data.label_studio import read_tasks

        yield from read_tasks(path, encoding)
    else:
        raise ConfigError(f"Unknown input format {fmt!r}. Expected one of {', '.join(FORMATS)}.")


def head_lines(path: Path, encoding: str, n: int = 50) -> list[str]:
    """The first ``n`` lines of a text file, decoded (undecodable bytes replaced)."""
    out: list[str] = []
    with open(path, encoding=encoding, errors="replace", newline="") as fh:
        for line in fh:
            out.append(line)
            if len(out) >= n:
                break
    return out


class _LineSource:
    """Decode a binary file line by line, remembering which physical lines failed."""

    def __init__(self, fh: Any, encoding: str) -> None:
        self._fh = fh
        self._encoding = encoding
        self.bad: dict[int, str] = {}
        self.line = 0

    def __iter__(self) -> Iterator[str]:
        for _, text in self.numbered():
            yield text

    def numbered(self) -> Iterator[tuple[int, str]]:
        for raw in self._fh:
            self.line += 1
            try:
                yield self.line, raw.decode(self._encoding)
            except UnicodeDecodeError as exc:
                bad = raw[exc.start : exc.start + 1].hex()
                self.bad[self.line] = (
                    f"byte 0x{bad} at column {exc.start + 1} cannot be decoded as "
                    f"{self._encoding}; pass --encoding latin-1 (or the file's real encoding)"
                )
                yield self.line, raw.decode(self._encoding, errors="replace")


def _read_delimited(path: Path, encoding: str, options: TableOptions) -> Iterator[Row | BadRow]:
    if encoding.lower().replace("_", "-") in ("utf-16", "utf-16-le", "utf-16-be"):
        with open(path, encoding=encoding, newline="") as text_fh:
            yield from read_delimited(path, enumerate(text_fh, start=1), options)
        return
    with open(path, "rb") as fh:
        source = _LineSource(fh, encoding)
        yield from read_delimited(path, source.numbered(), options, bad_lines=source.bad)


def _read_jsonl(path: Path, encoding: str) -> Iterator[Row | BadRow]:
    rows = 0
    with open(path, "rb") as fh:
        source = _LineSource(fh, encoding)
        for text in source:
            line = source.line
            if not text.strip():
                continue
            rows += 1
            if line in source.bad:
                yield BadRow(line, source.bad[line], text.strip())
                continue
            try:
                record = json.loads(text)
            except json.JSONDecodeError as exc:
                yield BadRow(line, f"not valid JSON: {exc.msg} at column {exc.colno}", text.strip())
                continue
            if not isinstance(record, dict):
                yield BadRow(
                    line,
                    f"expected a JSON object per line, got {type(record).__name__}",
                    text.strip(),
                )
                continue
            yield Row(line, record)
    if rows == 0:
        yield BadRow(0, "the file is empty: no records", fatal=True)


def _read_parquet(path: Path) -> Iterator[Row | BadRow]:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for bad files
        yield BadRow(0, f"not a readable Parquet file: {exc}", fatal=True)
        return
    record = 0
    for batch in parquet.iter_batches(batch_size=10_000):
        for values in batch.to_pylist():
            record += 1
            yield Row(record, {k: _clean_float(v) for k, v in values.items()})
    if record == 0:
        yield BadRow(0, "the file is empty: no records", fatal=True)


def _clean_float(value: Any) -> Any:
    return None if isinstance(value, float) and math.isnan(value) else value


def _read_image_folder(root: Path) -> Iterator[Row | BadRow]:
    """``root/<class>/*.png`` gives gold labels (column ``label``); a flat folder gives none."""
    subdirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    flat = sorted(_images_in(root))
    if subdirs and flat:
        yield BadRow(
            0,
            f"{root} mixes images and class folders; put every image in a class folder "
            "or none of them",
            fatal=True,
        )
        return
    record = 0
    groups = [(d.name, sorted(_images_in(d))) for d in subdirs] if subdirs else [(None, flat)]
    for label, paths in groups:
        for image in paths:
            record += 1
            values: dict[str, Any] = {"image": str(image.absolute())}
            if label is not None:
                values["label"] = label
            yield Row(record, values)
    if record == 0:
        yield BadRow(0, f"no images ({', '.join(IMAGE_SUFFIXES)}) found in {root}", fatal=True)


def _images_in(folder: Path) -> Iterator[Path]:
    return (p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
