import pytest

from labelmill.exceptions import ConfigError, SchemaError
from labelmill.schema import Schema


def test_encode_decode_single_label():
    s = Schema(classes=("spam", "ham"))
    assert s.encode("ham") == 1
    assert s.encode(0) == 0
    assert s.decode(1) == "ham"
    assert s.decode(-1) is None
    assert s.cardinality == 2


def test_encode_decode_multilabel_as_bit_mask():
    s = Schema(classes=("a", "b", "c"), task="multilabel")
    mask = s.encode(["a", "c"])
    assert mask == 0b101
    assert s.decode(mask) == ["a", "c"]


def test_unknown_label_names_the_classes():
    s = Schema(classes=("spam", "ham"))
    with pytest.raises(SchemaError, match=r"Label 'eggs' is not a class.*\['spam', 'ham'\]"):
        s.encode("eggs")
    with pytest.raises(SchemaError, match="out of range for 2 classes"):
        s.encode(5)
    with pytest.raises(SchemaError, match="single-label"):
        s.encode(["spam", "ham"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"classes": ("a",)}, "at least 2 classes"),
        ({"classes": ("a", "a")}, "unique.*'a'"),
        ({"classes": ("a", "")}, "must not be empty"),
        ({"classes": ("a", "b"), "task": "boxes"}, "'task' of a schema must be one of"),
        ({"classes": ("a", "b"), "data_type": "audio"}, "'data_type' of a schema must be one of"),
    ],
)
def test_bad_schema(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        Schema(**kwargs)


def test_round_trip_dict():
    s = Schema(classes=("x", "y"), data_type="tabular", fields=("age",))
    assert Schema.from_dict(s.to_dict()) == s
    with pytest.raises(ConfigError, match="missing the key 'classes'"):
        Schema.from_dict({"task": "classification"})


def test_an_empty_class_name_is_refused_not_dropped():
    assert Schema.parse_classes("spam, ham,") == ("spam", "ham")
    with pytest.raises(ConfigError, match=r"'spam,,ham' has an empty class name \(position 2\)"):
        Schema.parse_classes("spam,,ham")
