"""A token index over a text column: which rows may hold a keyword, found without a regex.

Keyword rules match ``\\b(?:kw1|kw2|...)\\b`` (Python ``re``, usually IGNORECASE). Running
that regex on every row costs about half a microsecond per row and rule. The index is
built once per column and call (a few numpy passes over the column's bytes); each keyword
then costs one comparison over the column's tokens, and the exact regex runs only on the
candidate rows it returns. Votes are therefore exactly Python's.

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

Tokens are keyed by their first eight bytes and their length; two different tokens with
the same key only add candidates, which the exact check then drops.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["TokenIndex", "is_exact_phrase", "keyword_tokens"]

_ASCII_TOKEN = re.compile(r"[a-z0-9_]+")
_MIX = np.uint64(0x9E3779B97F4A7C15)


def keyword_tokens(keyword: str) -> list[str]:
    """The index tokens of ``keyword``: its ASCII ``[a-z0-9_]`` runs, ASCII lower-cased.

    Examples
    --------
    >>> keyword_tokens("I'm in CAFÉ-2")
    ['i', 'm', 'in', 'caf', '2']
    """
    lowered = "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in keyword)
    return _ASCII_TOKEN.findall(lowered)


_MASKS = np.array([(1 << (8 * b)) - 1 for b in range(8)] + [2**64 - 1], dtype=np.uint64)


class TokenIndex:
    """Token positions of a string column, looked up by token or by phrase.

    Parameters
    ----------
    arr : pyarrow string or large_string Array
    """

    def __init__(self, arr: Any) -> None:
        low = pc.ascii_lower(arr)
        buffers = low.buffers()
        offset_type = np.int64 if pa.types.is_large_string(low.type) else np.int32
        offsets = np.frombuffer(buffers[1], dtype=offset_type)[
            low.offset : low.offset + len(low) + 1
        ].astype(np.int64)
        base = int(offsets[0]) if offsets.size else 0
        end = int(offsets[-1]) if offsets.size else 0
        raw = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None else None
        size = end - base
        # the lowered bytes, with 8 zero bytes after them for the 8-byte windows below
        self._data = np.zeros(size + 8, dtype=np.uint8)
        if raw is not None:
            self._data[:size] = raw[base:end]
        data = self._data[:size]
        # element i: bytes i..i+7 read as one little-endian uint64
        self._windows = np.ndarray(shape=(size + 1,), dtype="<u8", buffer=self._data, strides=(1,))
        self._row_starts = offsets[:-1] - base
        self._row_ends = offsets[1:] - base
        word = ((data >= 97) & (data <= 122)) | ((data >= 48) & (data <= 57)) | (data == 95)
        # a token starts where a word byte follows a separator or a row start, and ends
        # where a word byte precedes a separator or a row end
        inner = self._row_starts[(self._row_starts > 0) & (self._row_starts < size)]
        before = np.zeros(size, dtype=bool)
        before[1:] = word[:-1]
        before[inner] = False
        after = np.zeros(size, dtype=bool)
        after[:-1] = word[1:]
        after[inner - 1] = False
        starts = np.flatnonzero(word & ~before)
        lengths = np.flatnonzero(word & ~after) + 1 - starts
        self._keys = self._window_keys(starts, lengths)
        self._starts = starts.astype(np.int32 if size < 2**31 else np.int64)
        self._lookups: dict[str, np.ndarray] = {}

    def _window_keys(self, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        key = self._windows[starts] & _MASKS[np.minimum(lengths, 8)]
        return np.asarray(key ^ (lengths.astype(np.uint64) * _MIX), dtype=np.uint64)

    @property
    def n_tokens(self) -> int:
        """Tokens in the column (with repeats)."""
        return int(self._starts.size)

    def _occurrences(self, token: str) -> np.ndarray:
        """Byte positions where a token with ``token``'s key starts."""
        raw = token.encode("ascii")
        padded = np.zeros(len(raw) + 8, dtype=np.uint8)
        padded[: len(raw)] = np.frombuffer(raw, dtype=np.uint8)
        first = int(np.ndarray(shape=(1,), dtype="<u8", buffer=padded)[0])
        mix = (len(raw) * int(_MIX)) % 2**64
        key = np.uint64((first & int(_MASKS[min(len(raw), 8)])) ^ mix)
        return self._starts[np.flatnonzero(self._keys == key)].astype(np.int64)

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
