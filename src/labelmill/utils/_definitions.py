"""What identifies a plug-in function's version: its source text and a short hash of its
definition (shared by labeling functions and transformation functions)."""

from __future__ import annotations

import hashlib
import inspect
import json
from typing import Any

__all__ = ["short_hash", "source_of"]


def short_hash(definition: Any) -> str:
    """A stable 12-hex-digit hash of a JSON-serializable definition.

    Examples
    --------
    >>> short_hash({"a": 1}) == short_hash({"a": 1})
    True
    """
    text = json.dumps(definition, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def source_of(obj: Any) -> str:
    """The source text of a function (of the one a plug-in object wraps, as ``_f`` or
    ``__wrapped__``); its byte code where the source cannot be read."""
    func = getattr(obj, "_f", None) or getattr(obj, "__wrapped__", None) or obj
    try:
        return inspect.getsource(func)
    except (OSError, TypeError):
        code = getattr(func, "__code__", None)
        if code is not None:
            return repr((code.co_code, code.co_consts, code.co_names))
        return repr(func)
