"""spaCy preprocessing: the error path without spaCy, the working path with a fake nlp."""

import importlib.util

import pandas as pd
import pytest

from labelmill.exceptions import ConfigError
from labelmill.lf import (
    NLPLabelingFunction,
    Row,
    SpacyPreprocessor,
    apply_lfs,
    labeling_function,
    nlp_labeling_function,
)

HAS_SPACY = importlib.util.find_spec("spacy") is not None


class FakeDoc(list):
    """Tokens and 'entities' (capitalised words) of a text: what the LFs below read."""

    def __init__(self, text):
        super().__init__(text.split())
        self.ents = [w for w in self if w[:1].isupper()]


class FakeNLP:
    def __init__(self):
        self.calls = 0

    def __call__(self, text):
        self.calls += 1
        return FakeDoc(text)


@pytest.mark.skipif(HAS_SPACY, reason="spaCy is installed here: the error path cannot run")
def test_without_spacy_the_error_says_what_to_install():
    with pytest.raises(
        ConfigError, match=r"needs spaCy, which is not installed.*pip install spacy"
    ):
        SpacyPreprocessor("text", "doc")
    with pytest.raises(ImportError, match=r"python -m spacy download en_core_web_sm"):

        @nlp_labeling_function()
        def has_person(x):
            return 1 if x.doc.ents else -1


def test_spacy_preprocessor_with_an_injected_nlp():
    nlp = FakeNLP()
    pre = SpacyPreprocessor("body", "parsed", nlp=nlp, memoize=True)
    row = Row({"body": "Hello Ann"}, name=0)
    assert pre(row).parsed.ents == ["Hello", "Ann"]
    assert not hasattr(row, "parsed") or "parsed" not in row  # the input row is untouched
    pre(row)
    assert nlp.calls == 1

    @labeling_function(pre=[pre])
    def names_someone(x):
        return 1 if len(x.parsed.ents) > 1 else -1

    df = pd.DataFrame({"body": ["Hello Ann", "hello there", "Hello Ann"]})
    assert apply_lfs([names_someone], df).tolist() == [[1], [-1], [1]]
    with pytest.raises(ConfigError, match="'nlp' argument of SpacyPreprocessor"):
        SpacyPreprocessor("text", "doc", nlp="en_core_web_sm")


def test_nlp_labeling_functions_share_one_parse_per_row():
    nlp = FakeNLP()

    @nlp_labeling_function(nlp=nlp)
    def has_entity(x):
        return 1 if x.doc.ents else -1

    @nlp_labeling_function(nlp=nlp)
    def long_doc(x):
        return 0 if len(x.doc) > 3 else -1

    other = NLPLabelingFunction("other", lambda x: -1, nlp=nlp, doc_field="parsed")
    assert isinstance(has_entity, NLPLabelingFunction)
    assert has_entity._pre[0] is long_doc._pre[0]  # one shared preprocessor...
    assert other._pre[0] is not has_entity._pre[0]  # ...per configuration
    df = pd.DataFrame({"text": ["Hi Bob", "one two three four five", "plain"]})
    L = apply_lfs([has_entity, long_doc], df)
    assert L.tolist() == [[1, -1], [-1, 0], [-1, -1]]
    assert nlp.calls == 3  # each text parsed once for both functions
    with pytest.raises(ConfigError, match=r"write @nlp_labeling_function\(\) with parentheses"):
        nlp_labeling_function(lambda x: -1)
