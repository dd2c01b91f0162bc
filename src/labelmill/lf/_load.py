"""Loading rule files: YAML declarative rules or a Python module of labeling functions."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from labelmill.exceptions import InputError
from labelmill.lf._core import LabelingFunction
from labelmill.lf._rules import RULE_KINDS, ModelRule, Rule

__all__ = ["load_rules", "rule_from_definition", "rules_from_dicts"]

AnyRule = Rule | LabelingFunction


def load_rules(path: str | Path, *, classes: Sequence[str] | None = None) -> list[AnyRule]:
    """Load labeling rules from a YAML file or a Python file.

    YAML: a list of rules, or a mapping with a ``rules:`` list. Each rule is a mapping
    with ``name``, ``kind`` (``keywords``, ``regex``, ``threshold``, ``lookup``,
    ``model``) and that kind's fields, e.g.::

        rules:
          - name: mentions_prize
            kind: keywords
            keywords: [prize, winner, "free entry"]
            label: spam            # a class name (needs ``classes``) or an index
          - name: short_message
            kind: threshold
            column: n_words
            op: "<"
            value: 3
            label: 0

    Python: every module-level :class:`LabelingFunction` (or :class:`Rule`), in the order
    the module defines them.

    Parameters
    ----------
    path : str or Path
    classes : sequence of str, optional
        Ordered class names; lets YAML rules name classes instead of indices.

    Returns
    -------
    list of Rule or LabelingFunction
        Each has ``.name``, ``.version`` and ``.definition``.

    Raises
    ------
    InputError
        If the file is missing or unreadable, has a YAML or Python syntax error, or a rule
        has an unknown kind, a missing or unknown field, an invalid regex, an unknown class,
        or a duplicate name. The message names the file, the rule and the line.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"Rule file {str(p)!r} does not exist or is not a file.")
    suffix = p.suffix.lower()
    if suffix in (".yaml", ".yml"):
        rules = _load_yaml(p, classes)
    elif suffix == ".py":
        rules = _load_python(p)
    else:
        raise InputError(f"Rule file {str(p)!r} must end in .yaml, .yml or .py. Got {p.suffix!r}.")
    seen: dict[str, int] = {}
    for i, r in enumerate(rules):
        if r.name in seen:
            raise InputError(
                f"{p}: two rules are named {r.name!r} (numbers {seen[r.name] + 1} and {i + 1}); "
                "rule names must be unique."
            )
        seen[r.name] = i
    return rules


def _load_yaml(p: Path, classes: Sequence[str] | None) -> list[AnyRule]:
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"Cannot read rule file {str(p)!r}: {exc}.") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"{p}{where}: YAML syntax error: {problem}.") from None
    if doc is None:
        return []
    lines: list[int] = []
    items_node = node
    if isinstance(doc, dict):
        if "rules" not in doc or not isinstance(doc["rules"], list):
            raise InputError(
                f"{p} line 1: a rule file is a list of rules or a mapping with a 'rules:' list. "
                f"Got a mapping with keys {sorted(map(str, doc))}."
            )
        for key_node, value_node in node.value:  # type: ignore[union-attr]
            if key_node.value == "rules":
                items_node = value_node
        doc = doc["rules"]
    elif not isinstance(doc, list):
        raise InputError(
            f"{p} line 1: a rule file is a list of rules or a mapping with a 'rules:' list. "
            f"Got {type(doc).__name__}."
        )
    lines = [n.start_mark.line + 1 for n in items_node.value]  # type: ignore[union-attr]
    loaded: list[AnyRule] = list(rules_from_dicts(doc, source=str(p), lines=lines, classes=classes))
    return loaded


def rules_from_dicts(
    items: Sequence[Any],
    *,
    source: str = "<rules>",
    lines: Sequence[int] | None = None,
    classes: Sequence[str] | None = None,
) -> list[Rule]:
    """Build rules from a list of mappings (the parsed content of a YAML rule file).

    Parameters
    ----------
    items : sequence of dict
    source : str
        Name used in error messages.
    lines : sequence of int, optional
        Line of each item, for error messages.
    classes : sequence of str, optional

    Returns
    -------
    list of Rule

    Raises
    ------
    InputError
        As :func:`load_rules`.
    """
    class_index = {str(c): i for i, c in enumerate(classes or [])}
    rules: list[Rule] = []
    for i, item in enumerate(items):
        line = lines[i] if lines is not None and i < len(lines) else None
        where = f"{source} line {line}" if line else f"{source} rule {i + 1}"
        if not isinstance(item, dict):
            raise InputError(f"{where}: each rule must be a mapping. Got {item!r}.")
        name = item.get("name")
        if not isinstance(name, str) or not name:
            raise InputError(f"{where}: the rule has no 'name' (a non-empty string).")
        kind = item.get("kind")
        if kind not in RULE_KINDS:
            raise InputError(
                f"{where}: rule {name!r} has unknown kind {kind!r}; expected one of "
                f"{', '.join(RULE_KINDS)}."
            )
        cls = RULE_KINDS[kind]
        missing = [f for f in cls.required if f not in item]
        if missing:
            raise InputError(
                f"{where}: rule {name!r} (kind {kind}) is missing field(s) "
                f"{', '.join(repr(m) for m in missing)}."
            )
        allowed = {"name", "kind", *cls.required, *cls.optional}
        unknown = sorted(set(item) - allowed)
        if unknown:
            raise InputError(
                f"{where}: rule {name!r} (kind {kind}) has unknown field(s) "
                f"{', '.join(repr(u) for u in unknown)}; allowed: {', '.join(sorted(allowed))}."
            )
        params = {**cls.optional, **{k: v for k, v in item.items() if k not in ("name", "kind")}}
        if "label" in params:
            params["label"] = _label_index(params["label"], class_index, where, name)
        if params.get("classes_voted") is not None:
            params["classes_voted"] = [
                _label_index(c, class_index, where, name) for c in params["classes_voted"]
            ]
        if kind == "keywords" and (
            not isinstance(params["keywords"], list)
            or not params["keywords"]
            or not all(isinstance(w, (str, int, float)) for w in params["keywords"])
        ):
            raise InputError(
                f"{where}: rule {name!r} needs 'keywords' to be a non-empty list of strings. "
                f"Got {params['keywords']!r}."
            )
        rule = cls(name, origin=where, **params)
        if isinstance(rule, ModelRule):
            rule._class_index = class_index
        rules.append(rule)
    return rules


def _label_index(label: Any, class_index: dict[str, int], where: str, name: str) -> int:
    if isinstance(label, bool):
        raise InputError(f"{where}: rule {name!r} has label {label!r}; expected a class.")
    if isinstance(label, int):
        if label < 0:
            raise InputError(f"{where}: rule {name!r} has label {label}; class indices start at 0.")
        if class_index and label >= len(class_index):
            raise InputError(
                f"{where}: rule {name!r} has label {label} but there are only "
                f"{len(class_index)} classes."
            )
        return label
    if isinstance(label, str) and label in class_index:
        return class_index[label]
    known = (
        f"; known classes: {', '.join(class_index)}"
        if class_index
        else ("; pass classes=[...] to name classes, or use class indices")
    )
    raise InputError(f"{where}: rule {name!r} has unknown label {label!r}{known}.")


def _load_python(p: Path) -> list[AnyRule]:
    digest = hashlib.sha1(str(p.resolve()).encode()).hexdigest()[:10]
    mod_name = f"labelmill_rules_{p.stem}_{digest}"
    spec = importlib.util.spec_from_file_location(mod_name, p)
    if spec is None or spec.loader is None:  # pragma: no cover - only for odd paths
        raise InputError(f"Cannot import rule file {str(p)!r}.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        del sys.modules[mod_name]
        raise InputError(f"{p} line {exc.lineno}: Python syntax error: {exc.msg}.") from None
    except Exception as exc:
        del sys.modules[mod_name]
        tb = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(p)]
        line = f" line {tb[-1].lineno}" if tb else ""
        raise InputError(
            f"{p}{line}: importing the rule file raised {type(exc).__name__}: {exc}."
        ) from None
    try:  # let process pools and dask workers unpickle these functions without the file
        import cloudpickle

        cloudpickle.register_pickle_by_value(module)
    except Exception:  # pragma: no cover - cloudpickle missing or too old
        pass
    return [v for v in vars(module).values() if isinstance(v, (LabelingFunction, Rule))]


def rule_from_definition(definition: dict[str, Any]) -> Rule | None:
    """The declarative rule a stored definition describes (``Rule.definition``), or None for
    definitions of other kinds (Python labeling functions) or ones that no longer build."""
    if not isinstance(definition, dict) or definition.get("kind") not in RULE_KINDS:
        return None
    try:
        return rules_from_dicts([definition], source="<stored rule>")[0]
    except InputError:
        return None
