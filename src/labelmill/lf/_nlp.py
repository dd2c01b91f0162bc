"""spaCy preprocessing for labeling functions: ``SpacyPreprocessor`` and NLP labeling functions.

spaCy is optional and never a dependency of labelmill: these work when spaCy and a model
are installed (or when an ``nlp`` callable is passed), and otherwise raise an error that
says what to install.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

from labelmill.exceptions import ConfigError
from labelmill.lf._core import LabelingFunction, Preprocessor

__all__ = [
    "EN_CORE_WEB_SM",
    "NLPLabelingFunction",
    "SpacyPreprocessor",
    "nlp_labeling_function",
]

EN_CORE_WEB_SM = "en_core_web_sm"


class MissingDependencyError(ConfigError, ImportError):
    """An optional package (spaCy, a spaCy model) is needed but not installed."""


def load_spacy(language: str, disable: Sequence[str] | None, gpu: bool) -> Callable[[str], Any]:
    """``spacy.load(language, disable=...)``, or an error saying what to install."""
    try:
        import spacy
    except ImportError:
        raise MissingDependencyError(
            "SpacyPreprocessor needs spaCy, which is not installed. Install it with "
            f"'pip install spacy' and the model with 'python -m spacy download {language}'; "
            "or pass nlp=... (any callable text -> document)."
        ) from None
    if gpu:
        spacy.prefer_gpu()
    try:
        return spacy.load(language, disable=list(disable or []))  # type: ignore[no-any-return]
    except OSError as exc:
        raise MissingDependencyError(
            f"spaCy is installed but its model {language!r} is not ({exc}). Install it with "
            f"'python -m spacy download {language}', or pass another installed model as "
            "language=..."
        ) from None


class SpacyPreprocessor(Preprocessor):
    """Parse ``x.<text_field>`` with spaCy and store the ``Doc`` as ``x.<doc_field>``.

    Snorkel's ``snorkel.preprocess.nlp.SpacyPreprocessor``, with the same arguments, plus
    ``nlp`` to pass a loaded pipeline (or any callable ``text -> document``) instead of
    loading ``language``.

    Parameters
    ----------
    text_field : str
        Field of the row holding the text.
    doc_field : str
        Field set to the parsed document.
    language : str, default="en_core_web_sm"
        spaCy model to load (``spacy.load``).
    disable : list of str, optional
        Pipeline components to disable.
    pre : sequence of callables, optional
        Preprocessors run first.
    memoize : bool, default=False
        Keep each parse (see :class:`Preprocessor`).
    memoize_key : callable, optional
    gpu : bool, default=False
        Call ``spacy.prefer_gpu()`` before loading (a process-wide spaCy setting).
    nlp : callable, optional
        A loaded spaCy ``Language`` (or any ``text -> document`` callable); then spaCy is
        not imported here.

    Raises
    ------
    ConfigError
        spaCy or the model is not installed (also an ``ImportError``); the message says
        what to install.

    Examples
    --------
    >>> from labelmill.lf import Row
    >>> pre = SpacyPreprocessor("text", "doc", nlp=str.split)
    >>> pre(Row({"text": "a b"})).doc
    ['a', 'b']
    """

    def __init__(
        self,
        text_field: str,
        doc_field: str,
        language: str = EN_CORE_WEB_SM,
        disable: Sequence[str] | None = None,
        pre: Sequence[Callable[[Any], Any]] | None = None,
        memoize: bool = False,
        memoize_key: Callable[[Any], Hashable] | None = None,
        gpu: bool = False,
        *,
        nlp: Callable[[str], Any] | None = None,
    ) -> None:
        if nlp is not None and not callable(nlp):
            raise ConfigError(
                "The 'nlp' argument of SpacyPreprocessor must be a loaded spaCy pipeline (a "
                f"callable text -> Doc) or None. Got {nlp!r} instead."
            )
        super().__init__(
            type(self).__name__,
            field_names={"text": text_field},
            mapped_field_names={"doc": doc_field},
            pre=pre,
            memoize=memoize,
            memoize_key=memoize_key,
        )
        self.gpu = gpu
        self._nlp = nlp if nlp is not None else load_spacy(language, disable, gpu)

    def run(self, text: str) -> dict[str, Any]:  # type: ignore[override]
        """``{"doc": nlp(text)}``."""
        return {"doc": self._nlp(text)}


class NLPLabelingFunction(LabelingFunction):
    """A labeling function whose rows carry a spaCy ``Doc`` (``x.doc`` by default).

    Snorkel's ``NLPLabelingFunction``: the row passes through a :class:`SpacyPreprocessor`
    before ``f`` sees it. Every NLP labeling function made with the same settings shares
    one memoized preprocessor, so each text is parsed once whatever the number of such
    functions (as in Snorkel; the parser is freed when no function uses it any more).

    Parameters
    ----------
    name : str
    f : callable
    resources : mapping, optional
    pre : sequence of callables, optional
        Preprocessors run before spaCy.
    text_field, doc_field, language, disable, memoize, memoize_key, gpu, nlp
        As for :class:`SpacyPreprocessor` (``memoize`` defaults to True here).

    Raises
    ------
    ConfigError
        spaCy or the model is not installed; ``name`` or ``f`` is invalid.
    """

    _shared: weakref.WeakValueDictionary[Hashable, SpacyPreprocessor] = (
        weakref.WeakValueDictionary()
    )

    def __init__(
        self,
        name: str,
        f: Callable[..., int],
        resources: Mapping[str, Any] | None = None,
        pre: Sequence[Callable[[Any], Any]] | None = None,
        text_field: str = "text",
        doc_field: str = "doc",
        language: str = EN_CORE_WEB_SM,
        disable: Sequence[str] | None = None,
        memoize: bool = True,
        memoize_key: Callable[[Any], Hashable] | None = None,
        gpu: bool = False,
        *,
        nlp: Callable[[str], Any] | None = None,
    ) -> None:
        key = (
            text_field,
            doc_field,
            language,
            tuple(disable or ()),
            tuple(id(p) for p in pre or ()),
            memoize,
            id(memoize_key),
            gpu,
            id(nlp),
        )
        spacy_pre = self._shared.get(key)
        if spacy_pre is None:
            spacy_pre = SpacyPreprocessor(
                text_field,
                doc_field,
                language=language,
                disable=disable,
                pre=pre,
                memoize=memoize,
                memoize_key=memoize_key,
                gpu=gpu,
                nlp=nlp,
            )
            self._shared[key] = spacy_pre
        super().__init__(name, f, resources=resources, pre=[spacy_pre])


def nlp_labeling_function(
    name: str | None = None,
    resources: Mapping[str, Any] | None = None,
    pre: Sequence[Callable[[Any], Any]] | None = None,
    text_field: str = "text",
    doc_field: str = "doc",
    language: str = EN_CORE_WEB_SM,
    disable: Sequence[str] | None = None,
    memoize: bool = True,
    memoize_key: Callable[[Any], Hashable] | None = None,
    gpu: bool = False,
    *,
    nlp: Callable[[str], Any] | None = None,
) -> Callable[[Callable[..., int]], NLPLabelingFunction]:
    """Decorator making an :class:`NLPLabelingFunction`, with Snorkel's signature.

    Raises
    ------
    ConfigError
        When the function is decorated: spaCy or the model is not installed, or the
        decorator was used without parentheses.

    Examples
    --------
    >>> from labelmill.lf import Row
    >>> @nlp_labeling_function(nlp=str.split)
    ... def many_tokens(x):
    ...     return 1 if len(x.doc) > 2 else -1
    >>> many_tokens(Row({"text": "a b c"}))
    1
    """
    if callable(name):
        raise ConfigError(
            "nlp_labeling_function is a decorator factory: write @nlp_labeling_function() "
            "with parentheses."
        )

    def decorate(f: Callable[..., int]) -> NLPLabelingFunction:
        return NLPLabelingFunction(
            name or f.__name__,
            f,
            resources=resources,
            pre=pre,
            text_field=text_field,
            doc_field=doc_field,
            language=language,
            disable=disable,
            memoize=memoize,
            memoize_key=memoize_key,
            gpu=gpu,
            nlp=nlp,
        )

    return decorate
