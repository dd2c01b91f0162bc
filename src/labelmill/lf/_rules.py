"""Declarative rules: keyword lists, regexes, thresholds, lookups, another model's output.

Every rule labels whole columns at once (vectorised): keyword lists compile to one
regex alternation, run by Arrow's RE2 kernels on ASCII text and by Python's ``re`` on
any non-ASCII rows, so the votes are identical to running the rule row by row.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from labelmill.exceptions import InputError
from labelmill.lf._core import ABSTAIN
from labelmill.lf._token_index import TokenIndex, is_exact_phrase, keyword_tokens
from labelmill.utils._definitions import short_hash

__all__ = [
    "KeywordRule",
    "LookupRule",
    "ModelRule",
    "RegexRule",
    "Rule",
    "ThresholdRule",
    "RULE_KINDS",
    "prepare_rules",
]


class Rule:
    """Base class of declarative rules.

    Attributes
    ----------
    name : str
    label : int
        The class the rule votes when it fires (``ModelRule`` votes the model's class).
    definition : dict
        JSON-serializable definition (what the YAML said, normalised).
    version : str
        12 hex digits hashing ``definition``: editing the rule makes a new version.
    origin : str
        ``"file:line"`` where the rule was defined, or ``""``.
    """

    kind = "rule"
    required: tuple[str, ...] = ()
    optional: dict[str, Any] = {}

    def __init__(self, name: str, *, origin: str = "", **params: Any) -> None:
        self.name = name
        self.origin = origin
        self.params = params
        self.definition: dict[str, Any] = {"kind": self.kind, "name": name, **params}
        self.version = short_hash(self.definition)
        self._prepare()

    def _prepare(self) -> None:
        """Compile what the rule needs (regexes); raise InputError if invalid."""

    def _where(self) -> str:
        return f"{self.origin}: " if self.origin else ""

    def columns(self) -> list[str]:
        """Columns of the data the rule reads."""
        return [self.params["column"]]

    def check_columns(self, data: pd.DataFrame) -> None:
        """Raise InputError naming the rule if a column it reads is missing."""
        for col in self.columns():
            if col not in data.columns:
                raise InputError(
                    f"{self._where()}rule {self.name!r} reads column {col!r}, which the data "
                    f"does not have. Columns present: {list(map(str, data.columns))[:20]}."
                )

    def apply(self, data: pd.DataFrame, cache: dict[str, Any] | None = None) -> np.ndarray:
        """Votes of the rule on every row of ``data``: ``(n_rows,)`` int array, -1 abstain.

        ``cache`` (a dict kept across the rules of one call) shares converted columns.
        """
        self.check_columns(data)
        return self._apply(data, cache)

    def _apply(self, data: pd.DataFrame, cache: dict[str, Any] | None) -> np.ndarray:
        return np.where(self._hits(data, cache), int(self.params["label"]), ABSTAIN)

    def _hits(
        self, data: pd.DataFrame, cache: dict[str, Any] | None
    ) -> np.ndarray:  # pragma: no cover - every rule defines _hits or _apply
        """``(n_rows,)`` bool: the rule fires (rules that vote one ``label``)."""
        raise NotImplementedError

    def write_votes(self, out: np.ndarray, data: pd.DataFrame, cache: dict[str, Any]) -> None:
        """Write the votes into ``out`` (a column of the label matrix, filled with -1).

        Rules that vote one label set only the rows where they fire: no temporary
        column of votes is made (at 500,000 rows and 30 rules those are 120 MB of fresh
        memory per call).
        """
        if "label" in self.params:
            out[self._hits(data, cache)] = int(self.params["label"])
        else:
            out[:] = self.apply(data, cache)

    def prepare(self, data: pd.DataFrame, cache: dict[str, Any]) -> None:
        """Fill ``cache`` with the converted columns this rule reads (text rules only)."""
        self.check_columns(data)
        if getattr(self, "text_rule", False):
            col = _column(data, self.params["column"], cache)
            if col.is_text and col.non_ascii.size:
                col.non_ascii_values()
                col.special()

    def spans(self, text: Any) -> list[tuple[int, int]]:
        """Character spans ``(start, end)`` of ``text`` where the rule matches: the matches
        its vote comes from, with its own case and word-boundary settings. Empty for rules
        that do not match text (thresholds, lookups, models) and for non-text values."""
        compiled: re.Pattern[str] | None = getattr(self, "_compiled", None)
        if compiled is None or not isinstance(text, str):
            return []
        return [m.span() for m in compiled.finditer(text) if m.end() > m.start()]

    def __call__(self, x: Any) -> int:
        """Vote on one row-like object (used when rules are mixed into row-wise code)."""
        frame = pd.DataFrame({c: [x[c]] for c in self.columns()})
        return int(self.apply(frame)[0])

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, version={self.version!r})"


_UNICODE_SENSITIVE = re.compile(r"\\[bBwWdDsS]")


# Non-ASCII characters that Python's re.IGNORECASE equates with an ASCII letter while RE2
# does not (dotted/dotless i, long s, Kelvin sign): rows holding one are always re-checked.
_SPECIAL_FOLDS = "\u0130\u0131\u017f\u212a"


class TextColumn:
    """A text column converted once to Arrow, shared by every rule that reads it."""

    def __init__(self, values: Any) -> None:
        # a pandas object column already holds the Python strings: rows checked with
        # Python's re are read from it instead of being decoded again from Arrow
        self._objects: np.ndarray | None = None
        if isinstance(values, pd.Series) and values.dtype == object:
            self._objects = values.to_numpy()
        arr = values if isinstance(values, pa.Array) else pa.array(values, from_pandas=True)
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        self.is_text = True
        if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
            try:
                arr = arr.cast(pa.large_string())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                self.is_text = False
                self.pylist = list(values)
        self.arr = arr
        self.non_ascii = np.zeros(0, dtype=np.int64)
        if self.is_text:
            ascii_ok = pc.fill_null(pc.string_is_ascii(arr), True)
            self.non_ascii = np.flatnonzero(~ascii_ok.to_numpy(zero_copy_only=False))
        self._values: list[Any] | None = None
        self._special: np.ndarray | None = None
        self.index: TokenIndex | None = None

    def build_index(self) -> None:
        """Build the :class:`TokenIndex` keyword rules then use (text columns only)."""
        if self.is_text and self.index is None:
            self.index = TokenIndex(self.arr)

    def special_rows(self) -> np.ndarray:
        """Rows holding a character of ``_SPECIAL_FOLDS`` (sorted positions)."""
        if self.non_ascii.size == 0:
            return self.non_ascii
        return self.non_ascii[self.special()]

    @property
    def non_ascii_arr(self) -> Any:
        """The non-ASCII rows as an Arrow array (computed once)."""
        if not hasattr(self, "_non_ascii_arr"):
            self._non_ascii_arr = self.arr.take(pa.array(self.non_ascii))
        return self._non_ascii_arr

    def non_ascii_values(self) -> list[Any]:
        """The non-ASCII rows as Python strings (computed once)."""
        if self._values is None:
            self._values = self.python_values(self.non_ascii)
        return self._values

    def python_values(self, rows: np.ndarray) -> list[Any]:
        """The values of ``rows`` as Python strings, None for a missing value."""
        if self._objects is not None:
            return [v if isinstance(v, str) else None for v in self._objects[rows]]
        values: list[Any] = self.arr.take(pa.array(rows, type=pa.int64())).to_pylist()
        return values

    def special(self) -> np.ndarray:
        """Mask over the non-ASCII rows: holds a character of ``_SPECIAL_FOLDS``."""
        if self._special is None:
            hits = pc.match_substring_regex(self.non_ascii_arr, f"[{_SPECIAL_FOLDS}]")
            self._special = np.asarray(
                pc.fill_null(hits, False).to_numpy(zero_copy_only=False), dtype=bool
            )
        return self._special


def _python_search(compiled: re.Pattern[str], values: list[Any]) -> list[bool]:
    search = compiled.search
    return [v is not None and search(v) is not None for v in values]


def _text_matches(
    col: TextColumn,
    compiled: re.Pattern[str],
    re2_pattern: str,
    ignore_case: bool,
    prefilter: str | None = None,
) -> np.ndarray:
    """Boolean mask: ``compiled.search`` finds a match; nulls and non-strings never match.

    Arrow's RE2 kernel does the work. Where RE2 and Python's ``re`` can disagree, Python
    decides: RE2's ``\\b \\w \\d \\s`` are ASCII-only while Python's are Unicode-aware,
    so non-ASCII rows are re-checked when the pattern uses those escapes (only the rows
    that pass the RE2 ``prefilter``, a necessary condition, when one is given); and with
    ``ignore_case`` rows holding one of the few non-ASCII characters Python folds onto an
    ASCII letter are re-checked. Votes therefore equal a row-by-row ``compiled.search``.
    """
    if not col.is_text:
        return np.array(
            [isinstance(v, str) and compiled.search(v) is not None for v in col.pylist],
            dtype=bool,
        )
    if ignore_case and any(ch in re2_pattern for ch in _SPECIAL_FOLDS):
        return np.array(_python_search(compiled, col.arr.to_pylist()), dtype=bool)
    try:
        hits = pc.match_substring_regex(col.arr, re2_pattern, ignore_case=ignore_case)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # RE2 cannot run this pattern
        return np.array(_python_search(compiled, col.arr.to_pylist()), dtype=bool)
    out = np.asarray(pc.fill_null(hits, False).to_numpy(zero_copy_only=False), dtype=bool)
    if col.non_ascii.size == 0:
        return out
    if _UNICODE_SENSITIVE.search(re2_pattern):
        cand = np.ones(col.non_ascii.size, dtype=bool)
        if prefilter is not None:
            try:
                pre = pc.match_substring_regex(
                    col.non_ascii_arr, prefilter, ignore_case=ignore_case
                )
                cand = np.asarray(pc.fill_null(pre, False).to_numpy(zero_copy_only=False))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                pass
        out[col.non_ascii] = False
    elif ignore_case:
        cand = np.zeros(col.non_ascii.size, dtype=bool)
    else:
        return out
    if ignore_case:
        cand = cand | col.special()
    keep = np.flatnonzero(cand)
    if keep.size:
        values = col.non_ascii_values()
        out[col.non_ascii[keep]] = _python_search(compiled, [values[i] for i in keep])
    return out


_WIDE = {"w": r"\w\x{80}-\x{10FFFF}", "d": r"\d\x{80}-\x{10FFFF}", "s": r"\s\x{80}-\x{10FFFF}"}


def widen_for_unicode(pattern: str) -> str | None:
    """An RE2 pattern matching at least every string Python's ``re`` matches with ``pattern``.

    Python's ``\\w \\d \\s`` also match non-ASCII characters and its ``\\b \\B`` see
    them as word characters, RE2's do not: widening those classes to every non-ASCII
    character and dropping the word-boundary assertions gives a necessary condition, used
    to skip the slow Python check on most non-ASCII rows. ``None`` when no safe widening
    is known (negated classes).
    """
    if "[^" in pattern:
        return None
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt in "bB":
                if in_class:
                    return None
            elif nxt in _WIDE:
                out.append(_WIDE[nxt] if in_class else f"[{_WIDE[nxt]}]")
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if ch == "[":
            in_class = True
        elif ch == "]" and in_class:
            in_class = False
        out.append(ch)
        i += 1
    return "".join(out)


def _column(data: pd.DataFrame, name: str, cache: dict[str, Any] | None) -> TextColumn:
    if cache is None:
        return TextColumn(data[name])
    if name not in cache:
        cache[name] = TextColumn(data[name])
    col: TextColumn = cache[name]
    return col


class KeywordRule(Rule):
    """Votes ``label`` when any keyword occurs in ``column``.

    YAML: ``kind: keywords``, ``keywords: [...]``, ``label``, optional ``column`` (default
    ``text``), ``case_sensitive`` (default false), ``word_boundary`` (default true).
    """

    kind = "keywords"
    required = ("keywords", "label")
    optional = {"column": "text", "case_sensitive": False, "word_boundary": True}

    def _prepare(self) -> None:
        words = self.params["keywords"]
        alternation = "|".join(re.escape(str(w)) for w in words)
        if self.params["word_boundary"]:
            pattern = rf"\b(?:{alternation})\b"
        else:
            pattern = f"(?:{alternation})"
        self.pattern = pattern
        self.prefilter = f"(?:{alternation})"
        self.text_rule = True
        flags = 0 if self.params["case_sensitive"] else re.IGNORECASE
        self._compiled = re.compile(pattern, flags)
        # The token index applies when every keyword has index tokens and matching is
        # whole-word (see _token_index). ASCII keywords that begin and end with a word
        # character are decided by the index (case-insensitive rules); others give
        # candidate rows for the regex.
        tokens = [keyword_tokens(str(w)) for w in words]
        usable = self.params["word_boundary"] and all(tokens)
        if not self.params["case_sensitive"] and any(ch in pattern for ch in _SPECIAL_FOLDS):
            usable = False
        self.index_tokens: list[list[str]] | None = None
        self.exact_phrases: list[str] = []
        if usable:
            self.index_tokens = []
            for word, toks in zip(words, tokens, strict=True):
                if not self.params["case_sensitive"] and is_exact_phrase(str(word)):
                    self.exact_phrases.append(str(word))
                else:
                    self.index_tokens.append(sorted(set(toks)))

    def _hits(self, data: pd.DataFrame, cache: dict[str, Any] | None) -> np.ndarray:
        col = _column(data, self.params["column"], cache)
        if col.index is not None and self.index_tokens is not None:
            hit = self._indexed_matches(col, col.index)
        else:
            hit = _text_matches(
                col,
                self._compiled,
                self.pattern,
                not self.params["case_sensitive"],
                prefilter=self.prefilter,
            )
        return hit

    def _indexed_matches(self, col: TextColumn, index: TokenIndex) -> np.ndarray:
        """Votes from the token index, Python's ``search`` only where it cannot decide.

        An ASCII keyword found at a token start with ASCII non-word neighbours is a hit
        (:meth:`TokenIndex.match_phrase`); every other candidate row (a keyword next to a
        non-ASCII character, rows found through the tokens of other keywords, rows with a
        special case fold) is checked with the compiled pattern.
        """
        assert self.index_tokens is not None
        n = len(col.arr)
        out = np.zeros(n, dtype=bool)
        check = [col.special_rows()] if not self.params["case_sensitive"] else []
        for phrase in self.exact_phrases:
            sure, maybe = index.match_phrase(phrase)
            out[sure] = True
            check.append(maybe)
        for toks in self.index_tokens:
            rows = index.rows(toks[0])
            for token in toks[1:]:
                rows = np.intersect1d(rows, index.rows(token), assume_unique=True)
            check.append(rows)
        candidates = np.unique(np.concatenate(check)) if check else np.zeros(0, np.int64)
        candidates = candidates[~out[candidates]]
        if candidates.size:
            out[candidates] = _python_search(self._compiled, col.python_values(candidates))
        return out


class RegexRule(Rule):
    """Votes ``label`` when ``pattern`` (Python regex syntax) is found in ``column``.

    YAML: ``kind: regex``, ``pattern``, ``label``, optional ``column`` (default ``text``),
    ``case_sensitive`` (default false).
    """

    kind = "regex"
    required = ("pattern", "label")
    optional = {"column": "text", "case_sensitive": False}

    def _prepare(self) -> None:
        flags = 0 if self.params["case_sensitive"] else re.IGNORECASE
        self.prefilter = widen_for_unicode(str(self.params["pattern"]))
        self.text_rule = True
        try:
            self._compiled = re.compile(str(self.params["pattern"]), flags)
        except re.error as exc:
            raise InputError(
                f"{self._where()}rule {self.name!r} has an invalid regex "
                f"{self.params['pattern']!r}: {exc}. Fix the pattern (Python re syntax)."
            ) from None

    def _hits(self, data: pd.DataFrame, cache: dict[str, Any] | None) -> np.ndarray:
        hit = _text_matches(
            _column(data, self.params["column"], cache),
            self._compiled,
            str(self.params["pattern"]),
            not self.params["case_sensitive"],
            prefilter=self.prefilter,
        )
        return hit


_OPS: dict[str, Callable[[Any, Any], Any]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


class ThresholdRule(Rule):
    """Votes ``label`` when the numeric ``column`` compares true to ``value``.

    YAML: ``kind: threshold``, ``column``, ``op`` (one of ``> >= < <= == !=``), ``value``,
    ``label``. Missing or non-numeric cells abstain.
    """

    kind = "threshold"
    required = ("column", "op", "value", "label")

    def _prepare(self) -> None:
        if self.params["op"] not in _OPS:
            raise InputError(
                f"{self._where()}rule {self.name!r} has op {self.params['op']!r}; expected "
                f"one of {', '.join(_OPS)}."
            )
        value = self.params["value"]
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or (isinstance(value, float) and math.isnan(value))
        ):
            raise InputError(
                f"{self._where()}rule {self.name!r} needs a number as 'value'. "
                f"Got {value!r} instead."
            )

    def _hits(self, data: pd.DataFrame, cache: dict[str, Any] | None) -> np.ndarray:
        col = pd.to_numeric(data[self.params["column"]], errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        )
        with np.errstate(invalid="ignore"):
            hit = _OPS[self.params["op"]](col, float(self.params["value"])) & ~np.isnan(col)
        return hit


class LookupRule(Rule):
    """Votes ``label`` when the value of ``column`` is in ``values``.

    YAML: ``kind: lookup``, ``column``, ``values: [...]``, ``label``, optional
    ``case_sensitive`` (default true; when false, strings compare lower-cased and stripped).
    """

    kind = "lookup"
    required = ("column", "values", "label")
    optional = {"case_sensitive": True}

    def _prepare(self) -> None:
        if not isinstance(self.params["values"], list):
            raise InputError(
                f"{self._where()}rule {self.name!r} needs a list as 'values'. "
                f"Got {self.params['values']!r} instead."
            )

    def _hits(self, data: pd.DataFrame, cache: dict[str, Any] | None) -> np.ndarray:
        col = data[self.params["column"]]
        values = self.params["values"]
        if not self.params["case_sensitive"]:
            col = col.astype("string").str.strip().str.lower()
            values = [str(v).strip().lower() for v in values]
        hit = col.isin(values).to_numpy(dtype=bool, na_value=False)
        return hit


class ModelRule(Rule):
    """Votes another model's predicted class when its score reaches ``min_score``.

    YAML: ``kind: model``, ``column`` (the predicted class: an index, or a class name
    when the rule file is loaded with ``classes``), ``score_column``, ``min_score``;
    optional ``classes_voted`` (a list: vote only these classes).
    """

    kind = "model"
    required = ("column", "score_column", "min_score")
    optional = {"classes_voted": None}

    def columns(self) -> list[str]:
        return [self.params["column"], self.params["score_column"]]

    def _prepare(self) -> None:
        ms = self.params["min_score"]
        if isinstance(ms, bool) or not isinstance(ms, (int, float)):
            raise InputError(
                f"{self._where()}rule {self.name!r} needs a number as 'min_score'. "
                f"Got {ms!r} instead."
            )
        self._class_index: dict[str, int] = {}

    def _apply(self, data: pd.DataFrame, cache: dict[str, Any] | None) -> np.ndarray:
        pred = data[self.params["column"]]
        if self._class_index and pred.dtype == object:
            pred = pred.map(lambda v: self._class_index.get(v, v))
        pred_num = pd.to_numeric(pred, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        score = pd.to_numeric(data[self.params["score_column"]], errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        )
        ok = ~np.isnan(pred_num) & ~np.isnan(score)
        with np.errstate(invalid="ignore"):
            ok &= score >= float(self.params["min_score"])
        ok &= pred_num >= 0
        ok &= np.mod(np.nan_to_num(pred_num), 1) == 0
        voted = self.params.get("classes_voted")
        if voted is not None:
            ok &= np.isin(pred_num, [float(v) for v in voted])
        return np.where(ok, np.nan_to_num(pred_num, nan=-1).astype(np.int64), ABSTAIN)


def prepare_rules(rules: list[Rule], data: pd.DataFrame, cache: dict[str, Any]) -> None:
    """Prepare ``rules`` for one call: shared column conversions and token indexes.

    A text column read by two or more keyword rules that can use it gets a
    :class:`TokenIndex` (built once, in the calling thread, before rules run in threads);
    with a single such rule a regex pass over the column is cheaper than the index.
    """
    readers: dict[str, int] = {}
    for rule in rules:
        rule.prepare(data, cache)
        if isinstance(rule, KeywordRule) and rule.index_tokens is not None:
            column = rule.params["column"]
            readers[column] = readers.get(column, 0) + 1
    for column, count in readers.items():
        if count >= 2:
            col = _column(data, column, cache)
            col.build_index()
            if col.non_ascii.size:
                col.special()


RULE_KINDS: dict[str, type[Rule]] = {
    cls.kind: cls for cls in (KeywordRule, RegexRule, ThresholdRule, LookupRule, ModelRule)
}
