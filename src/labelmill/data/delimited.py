"""CSV and TSV files: the table's options (header, column names, separator, spaces after
separators, quoting), their detection, and a reader that recovers after a bad record.

:func:`sniff_table` settles the options from the first lines of a file, saying in its notes
what it detected; :func:`read_delimited` yields one :class:`~labelmill.data.records.Row` or
:class:`~labelmill.data.records.BadRow` per record, numbered by the physical line the record
starts on. A record that spans several lines and is bad (an unbalanced quote swallowing the
lines after it) is reported on its first line alone and reading goes on with the next line,
so one stray quote costs one row, not every row up to the next quote.
"""

from __future__ import annotations

import csv
import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from labelmill.exceptions import ConfigError, InputError

__all__ = [
    "TableOptions",
    "check_binary",
    "parse_columns",
    "parse_separator",
    "read_delimited",
    "sniff_table",
]

_SNIFF_LINES = 50
_OTHER_SEPARATORS = ("\t", ";", "|")
_SEPARATOR_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
# Magic numbers of files that people rename to .csv by mistake.
_MAGIC = (
    (b"PK\x03\x04", "a ZIP archive (or an .xlsx/.docx/.ods file, which are ZIP archives)"),
    (b"\x1f\x8b", "a gzip archive; decompress it first"),
    (b"\x7fELF", "an ELF executable"),
    (b"%PDF", "a PDF document"),
    (b"PAR1", "a Parquet file; import it with --format parquet"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office file (.xls/.doc)"),
    (b"BZh", "a bzip2 archive; decompress it first"),
    (b"\xfd7zXZ\x00", "an xz archive; decompress it first"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
)


@dataclass(frozen=True)
class TableOptions:
    """How to read a delimited text table.

    Parameters
    ----------
    sep : str or None
        The one-character separator; ``None``: from the format (``,`` for csv, a tab for
        tsv), or another one detected when the first line has none of that.
    header : bool or None
        Whether the first line names the columns; ``None``: yes, unless it looks like data
        (numbers as column names), which stops the import with a question.
    columns : tuple of str or None
        Column names. With ``header=False`` they name the columns of a file without a
        header; with a header line, they replace its names.
    skip_initial_space : bool or None
        Drop the spaces right after each separator (``a, b, c``); ``None``: detected.
    quoting : bool
        Fields may be quoted (``"a, b"``); ``False`` reads quote characters as text.
    """

    sep: str | None = None
    header: bool | None = None
    columns: tuple[str, ...] | None = None
    skip_initial_space: bool | None = None
    quoting: bool = True


def parse_separator(value: str | None) -> str | None:
    """The separator a user typed (``,``, ``;``, ``\\t`` or ``tab``, ``|``) as one character.

    Raises
    ------
    ConfigError
        Not exactly one character (after the names above), or a quote or line break.

    Examples
    --------
    >>> parse_separator("tab"), parse_separator(";")
    ('\\t', ';')
    """
    if value is None:
        return None
    sep = _SEPARATOR_NAMES.get(value.lower(), value)
    if len(sep) != 1 or sep in '"\r\n':
        hint = ""
        if len(sep) > 1 and sep.strip() and len(sep.strip()) == 1:
            hint = f" For {value!r} use --sep {sep.strip()!r} with --skip-initial-space."
        raise ConfigError(
            "The separator (--sep) must be one character such as ',', ';', '|' or 'tab'. "
            f"Got {value!r} instead.{hint}"
        )
    return sep


def parse_columns(value: str | None) -> tuple[str, ...] | None:
    """Column names a user typed as ``A,B,C`` (spaces around names dropped).

    Raises
    ------
    ConfigError
        An empty or repeated name.

    Examples
    --------
    >>> parse_columns("age, workclass,income")
    ('age', 'workclass', 'income')
    """
    if value is None:
        return None
    names = tuple(n.strip() for n in value.split(","))
    repeated = sorted({n for n in names if names.count(n) > 1})
    if any(not n for n in names) or repeated:
        raise ConfigError(
            "--columns must be distinct, non-empty names separated by commas (A,B,C). Got "
            f"{value!r} instead" + (f" (repeated: {repeated})." if repeated else ".")
        )
    return names


def check_binary(path: Path, head: bytes, *, encoding: str | None) -> None:
    """Raise :class:`InputError` when ``head`` (the first bytes of ``path``) is not a text
    table: a known binary format, or NUL bytes in a file not declared UTF-16/32."""
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise InputError(
                f"{path}: this is not a text table (it looks like {what}). Save the data as "
                "CSV, TSV, JSONL or Parquet and import that file."
            )
    wide = (encoding or "").lower().replace("_", "-").startswith(("utf-16", "utf-32"))
    bom16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
    if b"\x00" in head and not wide and not bom16:
        raise InputError(
            f"{path}: this is not a text table (binary content: NUL bytes in the first "
            f"{len(head):,} bytes). If it is UTF-16 text, pass --encoding utf-16."
        )


def sniff_table(
    path: Path, lines: Iterable[str], fmt: str, options: TableOptions
) -> tuple[TableOptions, list[str]]:
    """Settle the options left open (``None``) from the first lines of a file.

    Parameters
    ----------
    path : Path
        For messages.
    lines : iterable of str
        The file's first decoded lines (at most the first 50 are read).
    fmt : {"csv", "tsv"}
    options : TableOptions

    Returns
    -------
    (TableOptions, notes)
        Every option set; one note per thing detected, for the user to read.

    Raises
    ------
    InputError
        The first line looks like data while the header was not declared either way.
    """
    sample = [line.rstrip("\r\n") for _, line in zip(range(_SNIFF_LINES), lines, strict=False)]
    sample = [line for line in sample if line.strip()]
    notes: list[str] = []
    sep = options.sep
    if sep is None:
        sep = "\t" if fmt == "tsv" else ","
        first = sample[0] if sample else ""
        if first and sep not in first:
            present = [s for s in _OTHER_SEPARATORS if s != sep and s in first]
            if len(present) == 1:
                notes.append(
                    f"{path.name}: the first line has no {_show(sep)} but has "
                    f"{_show(present[0])}: read it as {_show(present[0])}-separated "
                    "(pass --sep to choose)."
                )
                sep = present[0]
    skip = options.skip_initial_space
    if skip is None:
        after = [line[i + 1 : i + 2] for line in sample for i, ch in enumerate(line) if ch == sep]
        skip = bool(after) and all(ch == " " for ch in after)
        if skip:
            notes.append(
                f"{path.name}: every {_show(sep)} is followed by a space; the values are read "
                "without it (pass --keep-initial-space to keep it)."
            )
    header = options.header
    if header is None:
        header = True
        if options.columns is None and sample:
            names = _first_record(sample[0], sep, skip, options.quoting)
            numbers = [n for n in names if _NUMBER.match(n.strip())]
            if numbers:
                raise InputError(
                    f"{path}: the first line looks like data, not a header: it has numbers "
                    f"where column names would be ({', '.join(repr(n) for n in numbers[:3])}). "
                    "If the file has no header line, pass --no-header and name the columns "
                    "with --columns A,B,...; if that line is the header, pass --header."
                )
    return replace(options, sep=sep, skip_initial_space=skip, header=header), notes


def _show(sep: str) -> str:
    return {"\t": "tab", ",": "','", ";": "';'", "|": "'|'", " ": "space"}.get(sep, repr(sep))


def _first_record(line: str, sep: str, skip: bool, quoting: bool) -> list[str]:
    try:
        return next(csv.reader([line], **_dialect(sep, skip, quoting)), [])
    except csv.Error:
        return line.split(sep)


def _dialect(sep: str, skip: bool, quoting: bool) -> dict[str, Any]:
    return {
        "delimiter": sep,
        "skipinitialspace": skip,
        "quoting": csv.QUOTE_MINIMAL if quoting else csv.QUOTE_NONE,
        "strict": quoting,
    }


class _PhysicalLines:
    """Decoded lines with their numbers; lines handed back are served again first, so the
    csv reader can re-read the lines a bad multi-line record swallowed."""

    def __init__(self, lines: Iterable[tuple[int, str]]) -> None:
        self._source = iter(lines)
        self._back: deque[tuple[int, str]] = deque()
        self.taken: list[tuple[int, str]] = []

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        entry = self._back.popleft() if self._back else next(self._source)
        self.taken.append(entry)
        return entry[1]

    def start_record(self) -> None:
        self.taken = []

    def give_back(self, entries: list[tuple[int, str]]) -> None:
        self._back.extendleft(reversed(entries))


def read_delimited(
    path: Path,
    lines: Iterable[tuple[int, str]],
    options: TableOptions,
    *,
    bad_lines: dict[int, str] | None = None,
) -> Iterator[Any]:
    """Yield a ``Row`` or ``BadRow`` per record of a delimited file (see the module docstring).

    Parameters
    ----------
    path : Path
    lines : iterable of (line number, decoded line with its line break)
    options : TableOptions
        Settled (see :func:`sniff_table`): ``sep``, ``header`` and ``skip_initial_space``
        are not ``None``.
    bad_lines : dict, optional
        Line number -> why it could not be decoded (filled while ``lines`` is read).
    """
    from labelmill.data.records import BadRow, Row

    assert options.sep is not None  # noqa: S101 - sniff_table settles it
    source = _PhysicalLines(lines)
    reader = csv.reader(
        source, **_dialect(options.sep, bool(options.skip_initial_space), options.quoting)
    )
    bad_lines = bad_lines if bad_lines is not None else {}
    names: list[str] | None = list(options.columns) if options.columns else None
    header_pending = bool(options.header)
    rows = 0
    while True:
        source.start_record()
        try:
            values = next(reader)
            error = None
        except StopIteration:
            break
        except csv.Error as exc:
            values, error = [], _csv_error(str(exc), options.sep)
        taken = source.taken
        if not taken:  # csv ends a file inside a quoted field without consuming a line
            break
        line, raw = taken[0][0], taken[0][1].rstrip("\r\n")
        if error is None and not values:  # a blank line
            continue
        if header_pending:
            header_pending = False
            if error is not None:
                yield BadRow(line, f"the header line is {error}", raw, fatal=True)
                return
            if line in bad_lines:
                yield BadRow(line, f"the header line: {bad_lines[line]}", raw, fatal=True)
                return
            found = [h.strip() for h in values]
            if names is None:
                names = found
            elif len(names) != len(found):
                yield BadRow(
                    line,
                    f"--columns names {len(names)} columns but the header line has "
                    f"{len(found)}: {found}",
                    raw,
                    fatal=True,
                )
                return
            problem = _bad_names(names)
            if problem:
                yield BadRow(line, problem, raw, fatal=True)
                return
            continue
        if names is None:  # no header and no names: column_1, column_2, ...
            names = [f"column_{i + 1}" for i in range(len(values))]
        decoding = [bad_lines[n] for n, _ in taken if n in bad_lines]
        if error is None and decoding:
            error = decoding[0]
        elif error is None and len(values) != len(names):
            error = f"expected {len(names)} fields (as in the header), got {len(values)}"
            if not options.header:
                error = f"expected {len(names)} fields (as named by --columns), got {len(values)}"
        rows += 1
        if error is not None:
            if len(taken) > 1:  # re-read the lines this bad record swallowed
                source.give_back(taken[1:])
                error += (
                    "; a quote opened on this line and not closed there took the next lines "
                    "into this field, so they are read again as rows of their own"
                )
            if options.quoting and ("quoted field" in error or len(taken) > 1):
                error += " (pass --no-quoting if the fields of this file are never quoted)"
            yield BadRow(line, error, raw)
            continue
        yield Row(line, dict(zip(names, values, strict=True)))
    if rows == 0:
        reason = (
            "the file has a header but no rows"
            if options.header and not header_pending
            else "the file is empty: no header line and no rows"
        )
        yield BadRow(0, reason, fatal=True)


def _csv_error(message: str, sep: str) -> str:
    """The csv module's message in words (its ``'\t' expected after '"'`` shows a raw tab)."""
    if "expected after" in message:
        return (
            f"not valid CSV: a quoted field is followed by more text before the next {_show(sep)}"
        )
    return f"not valid CSV: {message}"


def _bad_names(names: list[str]) -> str | None:
    if len(set(names)) != len(names) or any(not n for n in names):
        return f"the header has empty or repeated column names: {names}"
    return None
