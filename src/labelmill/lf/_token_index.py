"""A token index over a text column: which rows may hold a keyword, found without a regex.

Keyword rules match ``\\b(?:kw1|kw2|...)\\b`` (Python ``re``, usually IGNORECASE). Running
that regex on every row costs about half a microsecond per row and rule. The index is
built once per column and call (a few numpy passes over the column's bytes); each keyword
then costs one comparison over the column's tokens of its length, and Python's regex runs
only on the rows the index cannot decide. Votes are therefore exactly Python's.

Why the candidates are a superset of the matches
------------------------------------------------
Tokens here are maximal runs of ASCII ``[a-z0-9_]`` after ASCII lower-casing; every other
byte (punctuation, spaces, any byte of a non-ASCII character) separates tokens. Every
token character is a word character for Python's ``\\w``, so every character that is not
a word character for Python is a separator here. Take a keyword match in a text: inside
the keyword, a token of the keyword is delimited by the keyword's own separators; at the
keyword's edges, ``\\b`` puts a non-word (so separator) character or the text's end next
to a word character. So each token of the keyword is a whole token of the text, up to
case: ASCII letters compare lower-cased, and the few non-ASCII characters that Python's
IGNORECASE equates with an ASCII letter (dotted and dotless i, long s, Kelvin sign) are
handled by the caller, which makes every row holding one a candidate. A keyword without
any token (``"£"``) gives no constraint and the caller falls back to the full scan.

Tokens are grouped by length and keyed by their first four bytes; two different tokens
of one length with the same first four bytes only add candidates, which the exact check
(a byte comparison, or the regex) then drops.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pyarrow as pa

__all__ = ["TokenIndex", "is_exact_phrase", "keyword_tokens"]

_ASCII_TOKEN = re.compile(r"[a-z0-9_]+")


def keyword_tokens(keyword: str) -> list[str]:
    """The index tokens of ``keyword``: its ASCII ``[a-z0-9_]`` runs, ASCII lower-cased.

    Examples
    --------
    >>> keyword_tokens("I'm in CAFÉ-2")
    ['i', 'm', 'in', 'caf', '2']
    """
    lowered = "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in keyword)
    return _ASCII_TOKEN.findall(lowered)


_LOWER = np.arange(256, dtype=np.uint8)
_LOWER[65:91] += 32  # A-Z -> a-z; every other byte (UTF-8 included) unchanged
_WORD = np.zeros(256, dtype=bool)
_WORD[[*range(97, 123), *range(48, 58), 95]] = True  # [a-z0-9_] after lowering
_BLOCK = 1 << 18  # bytes of text per block while tokenizing
_LONG = 64  # tokens of this length or longer share one length group
_MASKS4 = np.array([(1 << (8 * b)) - 1 for b in range(4)] + [2**32 - 1], dtype=np.uint32)
_MASKS = np.array([(1 << (8 * b)) - 1 for b in range(8)] + [2**64 - 1], dtype=np.uint64)


def _tokens(
    data: np.ndarray, row_starts: np.ndarray, a: int, b: int
) -> tuple[np.ndarray, np.ndarray]:
    """Starts (relative to ``a``) and lengths of the tokens in bytes ``a:b`` of the column.

    A token starts where a word byte follows a separator or a row start, and ends where
    a word byte precedes a separator or a row end.
    """
    word = _WORD[data]
    inner = row_starts[(row_starts > a) & (row_starts < b)] - a
    before = np.zeros(word.size, dtype=bool)
    before[1:] = word[:-1]
    before[inner] = False
    after = np.zeros(word.size, dtype=bool)
    after[:-1] = word[1:]
    after[inner - 1] = False
    starts = np.flatnonzero(word & ~before)
    return starts, np.flatnonzero(word & ~after) + 1 - starts


def _concat(parts: list[np.ndarray], dtype: Any) -> np.ndarray:
    """``np.concatenate(parts)``, in Arrow's memory pool (see ``TokenIndex.__init__``)."""
    dtype = np.dtype(dtype)
    total = sum(p.size for p in parts)
    out = np.frombuffer(pa.allocate_buffer(max(total, 1) * dtype.itemsize), dtype=dtype)[:total]
    if parts:
        np.concatenate(parts, out=out)
    return out


class TokenIndex:
    """Token positions of a string column, looked up by token or by phrase.

    Parameters
    ----------
    arr : pyarrow string or large_string Array
    """

    def __init__(self, arr: Any) -> None:
        buffers = arr.buffers()
        offset_type = np.int64 if pa.types.is_large_string(arr.type) else np.int32
        offsets = np.frombuffer(buffers[1], dtype=offset_type)[
            arr.offset : arr.offset + len(arr) + 1
        ].astype(np.int64)
        base = int(offsets[0]) if offsets.size else 0
        end = int(offsets[-1]) if offsets.size else 0
        raw = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None else None
        size = end - base
        # the ASCII-lowered bytes, with 8 zero bytes after them for the 8-byte windows;
        # in Arrow's memory pool, which keeps freed memory for the next call, where fresh
        # pages from the system cost more than the lowering itself on a loaded machine
        self._buffer = pa.allocate_buffer(size + 8)
        self._data = np.frombuffer(self._buffer, dtype=np.uint8)
        self._data[size:] = 0
        data = self._data[:size]
        if raw is not None:
            np.take(_LOWER, raw[base:end], out=data)
        # element i: bytes i..i+7 (i..i+3) read as one little-endian uint64 (uint32)
        self._windows = np.ndarray(shape=(size + 1,), dtype="<u8", buffer=self._data, strides=(1,))
        self._windows4 = np.ndarray(shape=(size + 1,), dtype="<u4", buffer=self._data, strides=(1,))
        self._row_starts = offsets[:-1] - base
        self._row_ends = offsets[1:] - base
        # Tokens are found block by block (blocks end at row ends): the temporary masks
        # stay small, so they reuse memory instead of faulting in fresh pages each time.
        cuts = np.searchsorted(self._row_ends, np.arange(_BLOCK, size, _BLOCK))
        bounds = np.unique(np.concatenate([[0], self._row_ends[cuts], [size]]))
        position = np.dtype(np.int32 if size < 2**31 else np.int64)
        pieces: list[list[tuple[np.ndarray, np.ndarray]]] = [[] for _ in range(_LONG + 1)]
        for a, b in zip(bounds[:-1], bounds[1:], strict=True):
            starts, lengths = _tokens(data[a:b], self._row_starts, a, b)
            starts += a
            # grouped by length: a lookup compares only the tokens of its own length
            group = np.minimum(lengths, _LONG).astype(np.uint8)
            order = np.argsort(group, kind="stable")
            edges = np.searchsorted(group[order], np.arange(_LONG + 2))
            starts, keys = starts[order], self._window_keys(starts[order], lengths[order])
            for g in np.flatnonzero(np.diff(edges)):
                lo, hi = edges[g], edges[g + 1]
                pieces[g].append((starts[lo:hi].astype(position), keys[lo:hi]))
        self._starts = [_concat([p[0] for p in group], position) for group in pieces]
        self._keys = [_concat([p[1] for p in group], np.dtype(np.uint32)) for group in pieces]
        self._lookups: dict[str, np.ndarray] = {}

    def _window_keys(self, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """Key of each token: its first 4 bytes (within its length group)."""
        return np.asarray(self._windows4[starts] & _MASKS4[np.minimum(lengths, 4)], np.uint32)

    @property
    def n_tokens(self) -> int:
        """Tokens in the column (with repeats)."""
        return int(sum(s.size for s in self._starts))

    def _occurrences(self, token: str) -> np.ndarray:
        """Byte positions where a token of ``token``'s length and first 4 bytes starts."""
        raw = token.encode("ascii")
        padded = np.zeros(8, dtype=np.uint8)
        padded[: min(len(raw), 4)] = np.frombuffer(raw[:4], dtype=np.uint8)
        key = np.ndarray(shape=(1,), dtype="<u4", buffer=padded)[0]
        g = min(len(raw), _LONG)
        hits = np.flatnonzero(self._keys[g] == key)
        return self._starts[g][hits].astype(np.int64)

    def _rows_of(self, positions: np.ndarray) -> np.ndarray:
        return np.searchsorted(self._row_starts, positions, side="right") - 1

    def rows(self, token: str) -> np.ndarray:
        """Sorted rows holding ``token`` as a whole token (a superset; see the module doc).

        ``token`` is one element of :func:`keyword_tokens`.
        """
        cached = self._lookups.get(token)
        if cached is None:
            cached = np.unique(self._rows_of(self._occurrences(token)))
            self._lookups[token] = cached
        return cached

    def match_phrase(self, phrase: str) -> tuple[np.ndarray, np.ndarray]:
        """Rows where Python's ``\\b<phrase>\\b`` (IGNORECASE) surely matches, and rows
        where it may (to check with the regex).

        ``phrase`` must satisfy :func:`is_exact_phrase`. A sure match is an occurrence of
        the phrase's bytes (ASCII case aside) at a token start, inside one row, with
        ASCII non-word bytes or the row's edges on both sides; when a neighbour is
        non-ASCII (possibly a word character for Python) the row is only a candidate.
        Rows whose match needs a special case fold are the caller's to add.
        """
        target = phrase.lower().encode("ascii")
        length = len(target)
        first = keyword_tokens(phrase)[0]
        pos = self._occurrences(first)
        rows = self._rows_of(pos)
        pos_end = pos + length
        keep = pos_end <= self._row_ends[rows]
        pos, rows, pos_end = pos[keep], rows[keep], pos_end[keep]
        padded = np.zeros(-(-length // 8) * 8, dtype=np.uint8)
        padded[:length] = np.frombuffer(target, dtype=np.uint8)
        chunks = np.ndarray(shape=(padded.size // 8,), dtype="<u8", buffer=padded)
        equal = np.ones(pos.size, dtype=bool)
        for c, chunk in enumerate(chunks):
            width = min(8, length - 8 * c)
            equal &= (self._windows[pos + 8 * c] & _MASKS[width]) == chunk
        pos, rows, pos_end = pos[equal], rows[equal], pos_end[equal]
        left = np.where(pos > self._row_starts[rows], self._data[np.maximum(pos - 1, 0)], 32)
        right = np.where(pos_end < self._row_ends[rows], self._data[pos_end], 32)
        right_word = (
            ((right >= 97) & (right <= 122)) | ((right >= 48) & (right <= 57)) | (right == 95)
        )
        ascii_sides = (left < 128) & (right < 128)
        sure = ascii_sides & ~right_word
        maybe = ~ascii_sides
        return np.unique(rows[sure]), np.unique(rows[maybe])


def is_exact_phrase(keyword: str) -> bool:
    """Whether :meth:`TokenIndex.match_phrase` can decide ``keyword``: ASCII, beginning
    and ending with a word character (``[A-Za-z0-9_]``)."""
    word = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"
    return bool(keyword) and keyword.isascii() and keyword[0] in word and keyword[-1] in word
