"""Label Studio JSON: tasks with their data, people's annotations and model predictions.

A Label Studio export (and import) is a JSON array of tasks::

    [{"id": 1,
      "data": {"text": "win cash now", "id": "c1"},
      "annotations": [{"result": [{"from_name": "label", "to_name": "text",
                                   "type": "choices", "value": {"choices": ["spam"]}}],
                       "was_cancelled": false, "ground_truth": true}],
      "predictions": [{"model_version": "labelmill round 3", "score": 0.97,
                       "result": [{"from_name": "label", "to_name": "text",
                                   "type": "choices", "value": {"choices": ["spam"]}}]}]}]

labelmill reads classification answers: the first ``choices`` result of each annotation or
prediction. :func:`read_tasks` turns each task into a row (the ``data`` fields, plus the
reserved keys below); :func:`make_task` builds one. The matching labeling configuration is
:func:`labeling_config`. Nothing here knows about the database.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "ANNOTATIONS",
    "PREDICTIONS",
    "RESERVED",
    "TASK_ID",
    "choices_of",
    "labeling_config",
    "make_task",
    "read_tasks",
]

TASK_ID = "__ls_task_id"
ANNOTATIONS = "__ls_annotations"  # list of class-name lists, cancelled annotations left out
PREDICTIONS = "__ls_predictions"  # list of {"model": str, "choices": [...], "score": float|None}
RESERVED = (TASK_ID, ANNOTATIONS, PREDICTIONS)
FROM_NAME = "label"


def choices_of(result: Any) -> list[str] | None:
    """The class names of the first ``choices`` result of an annotation or prediction."""
    if not isinstance(result, list):
        return None
    for entry in result:
        value = entry.get("value") if isinstance(entry, dict) else None
        if isinstance(value, dict) and isinstance(value.get("choices"), list):
            return [str(c) for c in value["choices"]]
    return None


def read_tasks(path: Path, encoding: str = "utf-8") -> Iterator[Any]:
    """Yield one ``Row`` per task of a Label Studio JSON file (record numbers from 1), or a
    ``BadRow`` saying why a task cannot be used."""
    from labelmill.data.records import BadRow, Row

    try:
        tasks = json.loads(path.read_text(encoding=encoding))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        yield BadRow(0, f"not a Label Studio JSON file: {exc}", fatal=True)
        return
    if isinstance(tasks, dict):
        tasks = [tasks]
    if not isinstance(tasks, list):
        yield BadRow(
            0,
            "a Label Studio JSON file is an array of tasks; got " + type(tasks).__name__,
            fatal=True,
        )
        return
    if not tasks:
        yield BadRow(0, "the file is empty: no tasks", fatal=True)
        return
    for number, task in enumerate(tasks, start=1):
        raw = json.dumps(task, ensure_ascii=False, default=str)[:2000]
        data = task.get("data") if isinstance(task, dict) else None
        if not isinstance(data, dict):
            yield BadRow(number, "task without a 'data' object", raw)
            continue
        answers = [
            choices
            for a in task.get("annotations") or []
            if isinstance(a, dict) and not a.get("was_cancelled")
            if (choices := choices_of(a.get("result"))) is not None
        ]
        predictions = [
            {
                "model": str(p.get("model_version") or "label-studio"),
                "choices": choices,
                "score": p.get("score") if isinstance(p.get("score"), int | float) else None,
            }
            for p in task.get("predictions") or []
            if isinstance(p, dict)
            if (choices := choices_of(p.get("result"))) is not None
        ]
        fields = dict(data)
        item = fields.get("item")
        if isinstance(item, dict):  # a table row (labelmill's tabular tasks): its columns
            del fields["item"]
            fields = {**item, **fields}
        values = {**fields, TASK_ID: task.get("id"), ANNOTATIONS: answers, PREDICTIONS: predictions}
        yield Row(number, values)


def _result(choices: Sequence[str], to_name: str) -> list[dict[str, Any]]:
    return [
        {
            "from_name": FROM_NAME,
            "to_name": to_name,
            "type": "choices",
            "value": {"choices": list(choices)},
        }
    ]


def make_task(
    data: dict[str, Any],
    *,
    to_name: str,
    annotations: Sequence[tuple[Sequence[str], bool]] = (),
    prediction: tuple[Sequence[str], float | None, str] | None = None,
) -> dict[str, Any]:
    """One Label Studio task.

    Parameters
    ----------
    data : dict
        The task's data (the payload field, the item id, metadata).
    to_name : str
        The name of the object tag the choices label (``text``, ``image`` or ``table``).
    annotations : sequence of (class names, ground truth)
        People's answers; ``ground truth`` marks gold (blind audit answers, imported gold).
    prediction : (class names, score, model version), optional
        The machine's label.
    """
    task: dict[str, Any] = {
        "data": data,
        "annotations": [
            {"result": _result(choices, to_name), "was_cancelled": False, "ground_truth": gold}
            for choices, gold in annotations
        ],
        "predictions": [],
    }
    if prediction is not None:
        choices, score, model = prediction
        entry: dict[str, Any] = {"model_version": model, "result": _result(choices, to_name)}
        if score is not None:
            entry["score"] = score
        task["predictions"].append(entry)
    return task


def labeling_config(classes: Sequence[str], data_type: str, *, multilabel: bool = False) -> str:
    """The Label Studio labeling configuration that matches exported tasks.

    Examples
    --------
    >>> print(labeling_config(["spam", "ham"], "text"))  # doctest: +NORMALIZE_WHITESPACE
    <View><Text name="text" value="$text"/><Choices name="label" toName="text"
    choice="single"><Choice value="spam"/><Choice value="ham"/></Choices></View>
    """
    from xml.sax.saxutils import quoteattr

    tag = {
        "text": '<Text name="text" value="$text"/>',
        "image": '<Image name="image" value="$image"/>',
    }
    obj = tag.get(data_type, '<Table name="table" value="$item"/>')
    to_name = to_name_for(data_type)
    choice = "multiple" if multilabel else "single"
    options = "".join(f"<Choice value={quoteattr(str(c))}/>" for c in classes)
    return (
        f'<View>{obj}<Choices name="{FROM_NAME}" toName="{to_name}" choice="{choice}">'
        f"{options}</Choices></View>"
    )


def to_name_for(data_type: str) -> str:
    """The object tag name labeled in tasks of ``data_type``."""
    return {"text": "text", "image": "image"}.get(data_type, "table")
