"""The rejects file of ``--on-error skip``: bad rows with their reasons, written atomically."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

__all__ = ["Rejects"]


class Rejects:
    """Rejected rows, written to a temporary file and moved into place once the import ends."""

    def __init__(self, source_path: str, target: str | os.PathLike[str] | None) -> None:
        if target is None:
            stem = Path(source_path).name if source_path != "<DataFrame>" else "dataframe"
            target = Path(source_path).parent / f"{stem}.rejects.jsonl"
        self.target = Path(target)
        self.target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.target.parent, prefix=".rejects-", suffix=".tmp")
        self._tmp = Path(tmp)
        self._fh = os.fdopen(fd, "w", encoding="utf-8")
        self.count = 0

    def add(self, line: int, reason: str, raw: str = "") -> None:
        self.count += 1
        self._fh.write(json.dumps({"line": line, "reason": reason, "raw": raw}) + "\n")

    def commit(self) -> str | None:
        self._fh.close()
        if self.count == 0:
            self._tmp.unlink(missing_ok=True)
            return None
        os.replace(self._tmp, self.target)
        return str(self.target)

    def discard(self) -> None:
        self._fh.close()
        self._tmp.unlink(missing_ok=True)
