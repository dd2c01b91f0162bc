"""Built-in text transformations: token dropout, neighbour-word replacement, span swaps
(private).

Texts are split on white space; punctuation stays attached to its word, and the output
joins tokens with single spaces. Neighbour words come from the corpus itself (positive
PMI of co-occurrence in a small window, reduced by a truncated SVD) or from word vectors
or a neighbour table the caller passes; nothing is downloaded.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from labelmill.augment._base import TransformationFunction
from labelmill.exceptions import ConfigError, InputError
from labelmill.utils._validation import check_fraction, check_positive

__all__ = [
    "NeighbourReplacement",
    "SpanSwap",
    "TokenDropout",
    "cooccurrence_neighbours",
]

_WORD = re.compile(r"^(\W*)([\w'-]+?)(\W*)$", re.UNICODE)
_WORD_TOKEN = re.compile(r"[\w'-]+", re.UNICODE)


def _check_text(x: Any, owner: str) -> str:
    if not isinstance(x, str):
        raise InputError(f"{owner} transforms text (str). Got {type(x).__name__} instead.")
    return x


def _lower_words(text: str) -> list[str]:
    return [w.lower() for w in _WORD_TOKEN.findall(text)]


class TokenDropout(TransformationFunction):
    """Drop each white-space token with probability ``p`` (at least one token stays).

    Parameters
    ----------
    p : float in (0, 1), default=0.1
    min_tokens : int, default=3
        Texts with fewer tokens are skipped (dropping from them risks the label).
    name : str, default="token_dropout"

    Examples
    --------
    >>> import numpy as np
    >>> TokenDropout(p=0.3)("what is the capital of peru ?", rng=np.random.default_rng(1))
    'what is capital of peru ?'
    """

    data_type = "text"

    def __init__(self, p: float = 0.1, *, min_tokens: int = 3, name: str = "token_dropout"):
        self.p = check_fraction(p, "p", "TokenDropout", closed_high=False)
        self.min_tokens = check_positive(min_tokens, "min_tokens", "TokenDropout", integer=True)
        super().__init__(name)

    def _params(self) -> dict[str, Any]:
        return {"p": self.p, "min_tokens": self.min_tokens}

    def transform(self, x: Any, *, rng: np.random.Generator, label: int) -> Any:
        tokens = _check_text(x, "TokenDropout").split()
        if len(tokens) < self.min_tokens:
            return None
        keep = rng.random(len(tokens)) >= float(self.p or 0.0)
        if not keep.any():
            keep[rng.integers(len(tokens))] = True
        return " ".join(t for t, k in zip(tokens, keep, strict=True) if k)


class SpanSwap(TransformationFunction):
    """Swap two non-overlapping spans of 1 to ``max_span`` tokens.

    Parameters
    ----------
    max_span : int, default=2
    name : str, default="span_swap"

    Examples
    --------
    >>> import numpy as np
    >>> SpanSwap(max_span=1)("spam free money now", rng=np.random.default_rng(0))
    'spam free now money'
    """

    data_type = "text"

    def __init__(self, max_span: int = 2, *, name: str = "span_swap") -> None:
        self.max_span = check_positive(max_span, "max_span", "SpanSwap", integer=True)
        super().__init__(name)

    def _params(self) -> dict[str, Any]:
        return {"max_span": self.max_span}

    def transform(self, x: Any, *, rng: np.random.Generator, label: int) -> Any:
        tokens = _check_text(x, "SpanSwap").split()
        longest = min(int(self.max_span), len(tokens) // 2)
        if longest < 1:
            return None
        size = int(rng.integers(1, longest + 1))
        n_starts = len(tokens) - 2 * size + 1  # first span at a, second at b >= a + size
        a = int(rng.integers(n_starts))
        b = int(rng.integers(a + size, len(tokens) - size + 1))
        out = (
            tokens[:a]
            + tokens[b : b + size]
            + tokens[a + size : b]
            + tokens[a : a + size]
            + tokens[b + size :]
        )
        return " ".join(out)


def cooccurrence_neighbours(
    texts: Sequence[str],
    *,
    k: int = 5,
    window: int = 2,
    min_count: int = 3,
    max_vocab: int = 5000,
    n_components: int = 50,
) -> dict[str, list[str]]:
    """Words that appear in similar contexts in ``texts``: each word's ``k`` nearest.

    Counts co-occurrence within ``window`` words, weighs it by positive pointwise mutual
    information, reduces it with a truncated SVD and takes cosine neighbours. A cheap,
    download-free stand-in for word embeddings; like them, it may pair opposites that
    share contexts ("good" and "bad"), so use it where such swaps keep the label.

    Parameters
    ----------
    texts : sequence of str
    k : int, default=5
        Neighbours per word.
    window : int, default=2
        Words on each side counted as context.
    min_count : int, default=3
        Words seen fewer times get no neighbours and are never offered as one.
    max_vocab : int, default=5000
        The most frequent words kept.
    n_components : int, default=50
        Dimensions of the reduced vectors.

    Returns
    -------
    dict of str -> list of str
        Lower-cased word -> its neighbours, nearest first.

    Examples
    --------
    >>> texts = ["i love this song", "i like this song", "i love this video",
    ...          "i like this video"] * 3
    >>> cooccurrence_neighbours(texts, k=1)["love"]
    ['like']
    """
    k = check_positive(k, "k", "cooccurrence_neighbours", integer=True)
    window = check_positive(window, "window", "cooccurrence_neighbours", integer=True)
    docs = [_lower_words(t) for t in texts if isinstance(t, str)]
    counts = Counter(w for d in docs for w in d)
    vocab = [w for w, c in counts.most_common(max_vocab) if c >= min_count]
    if len(vocab) < 2:
        return {}
    index = {w: i for i, w in enumerate(vocab)}
    rows: list[int] = []
    cols: list[int] = []
    for d in docs:
        ids = [index.get(w, -1) for w in d]
        for pos, i in enumerate(ids):
            if i < 0:
                continue
            for j in ids[max(0, pos - window) : pos] + ids[pos + 1 : pos + 1 + window]:
                if j >= 0 and j != i:
                    rows.append(i)
                    cols.append(j)
    if not rows:
        return {}
    from scipy import sparse
    from sklearn.utils.extmath import randomized_svd

    n = len(vocab)
    C = sparse.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n)).tocsr()
    C.sum_duplicates()
    total = C.sum()
    row_sum = np.asarray(C.sum(axis=1)).ravel()
    col_sum = np.asarray(C.sum(axis=0)).ravel() ** 0.75  # context smoothing (word2vec's)
    col_sum = col_sum / col_sum.sum() * total
    coo = C.tocoo()
    pmi = np.log(coo.data * total / (row_sum[coo.row] * col_sum[coo.col]))
    keep = pmi > 0
    P = sparse.csr_matrix((pmi[keep], (coo.row[keep], coo.col[keep])), shape=(n, n))
    dims = max(1, min(int(n_components), n - 1))
    U, S, _ = randomized_svd(P, n_components=dims, random_state=0)
    V = U * np.sqrt(S)
    return _nearest(vocab, V, k)


def _nearest(words: list[str], V: NDArray[Any], k: int) -> dict[str, list[str]]:
    norms = np.linalg.norm(V, axis=1, keepdims=True)
    V = V / np.where(norms > 0, norms, 1.0)
    out: dict[str, list[str]] = {}
    for start in range(0, len(words), 1024):
        sims = V[start : start + 1024] @ V.T
        for r in range(sims.shape[0]):
            sims[r, start + r] = -np.inf
            if norms[start + r, 0] == 0:
                continue
            top = np.argpartition(-sims[r], min(k, len(words) - 1) - 1)[:k]
            top = top[np.argsort(-sims[r, top], kind="stable")]
            out[words[start + r]] = [words[j] for j in top if np.isfinite(sims[r, j])]
    return out


class NeighbourReplacement(TransformationFunction):
    """Replace each word, with probability ``p``, by one of its near neighbours.

    Neighbours come from, in order of precedence: ``neighbours`` (a table you pass),
    ``embeddings`` (word -> vector, e.g. a small vocabulary-level embedding you have on
    disk), or co-occurrence in the texts given to :meth:`fit` (the items to augment, or
    the whole corpus when the applier is given one): see :func:`cooccurrence_neighbours`.
    Capitalisation of the first letter and surrounding punctuation are kept; words in
    ``protected`` are never replaced.

    Parameters
    ----------
    p : float in (0, 1), default=0.1
    k : int, default=5
        Neighbours to draw from.
    neighbours : mapping of str -> sequence of str, optional
    embeddings : mapping of str -> 1-d array, optional
    protected : sequence of str, optional
        Words (lower-case) never replaced, e.g. those that decide the class.
    min_count : int, default=3
        For co-occurrence neighbours: words seen fewer times are left alone.
    max_texts : int, default=20000
        For co-occurrence neighbours: :meth:`fit` reads at most this many texts (evenly
        spaced through its input), which bounds its time (about 1.5 s for 5,000 short
        texts on one core).
    name : str, default="neighbour_replacement"

    Examples
    --------
    >>> import numpy as np
    >>> tf = NeighbourReplacement(p=0.9, neighbours={"love": ["like"]})
    >>> tf("I Love it!", rng=np.random.default_rng(0))
    'I Like it!'
    """

    data_type = "text"

    def __init__(
        self,
        p: float = 0.1,
        *,
        k: int = 5,
        neighbours: Mapping[str, Sequence[str]] | None = None,
        embeddings: Mapping[str, Any] | None = None,
        protected: Sequence[str] | None = None,
        min_count: int = 3,
        max_texts: int = 20000,
        name: str = "neighbour_replacement",
    ) -> None:
        owner = "NeighbourReplacement"
        self.p = check_fraction(p, "p", owner, closed_high=False)
        self.k = check_positive(k, "k", owner, integer=True)
        self.min_count = check_positive(min_count, "min_count", owner, integer=True)
        self.max_texts = check_positive(max_texts, "max_texts", owner, integer=True)
        self.neighbours = neighbours
        self.embeddings = embeddings
        self.protected = frozenset(w.lower() for w in (protected or ()))
        self.neighbours_: dict[str, list[str]] = {}
        if neighbours is not None:
            self.neighbours_ = {str(w).lower(): list(v) for w, v in neighbours.items()}
        elif embeddings is not None:
            self.neighbours_ = self._from_embeddings(embeddings)
        super().__init__(name)

    def _params(self) -> dict[str, Any]:
        return {
            "p": self.p,
            "k": self.k,
            "min_count": self.min_count,
            "max_texts": self.max_texts,
            "protected": sorted(self.protected),
            "source": (
                "table"
                if self.neighbours is not None
                else "embeddings"
                if self.embeddings is not None
                else "cooccurrence"
            ),
        }

    def _from_embeddings(self, embeddings: Mapping[str, Any]) -> dict[str, list[str]]:
        words = [str(w).lower() for w in embeddings]
        try:
            V = np.vstack([np.asarray(v, dtype=np.float64).ravel() for v in embeddings.values()])
        except ValueError as exc:
            raise ConfigError(
                "The 'embeddings' parameter of NeighbourReplacement maps words to vectors of "
                f"one length. Got vectors that do not stack ({exc})."
            ) from exc
        if len(words) < 2:
            return {}
        return _nearest(words, V, int(self.k))

    def fit(self, payloads: Sequence[Any], labels: Any) -> NeighbourReplacement:
        """Learn co-occurrence neighbours from ``payloads`` (unless a table or vectors were
        given)."""
        if self.neighbours is None and self.embeddings is None:
            texts = [t for t in payloads if isinstance(t, str)]
            step = -(-len(texts) // int(self.max_texts))  # ceil: at most max_texts texts
            texts = texts[::step] if step > 1 else texts
            self.neighbours_ = cooccurrence_neighbours(
                texts, k=int(self.k), min_count=int(self.min_count)
            )
        return self

    def transform(self, x: Any, *, rng: np.random.Generator, label: int) -> Any:
        tokens = _check_text(x, "NeighbourReplacement").split()
        if not self.neighbours_:
            return None
        draws = rng.random(len(tokens))
        changed = False
        for i, tok in enumerate(tokens):
            if draws[i] >= float(self.p or 0.0):
                continue
            m = _WORD.match(tok)
            if m is None:
                continue
            head, word, tail = m.groups()
            low = word.lower()
            options = [] if low in self.protected else self.neighbours_.get(low, [])
            if not options:
                continue
            new = options[int(rng.integers(min(len(options), int(self.k))))]
            if word[:1].isupper():
                new = new[:1].upper() + new[1:]
            tokens[i] = f"{head}{new}{tail}"
            changed = True
        return " ".join(tokens) if changed else None
