"""The rejects file of ``--on-error skip``: bad rows with their reasons, written atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path

from labelmill.data.writers import create_temporary
from labelmill.exceptions import ConfigError

__all__ = ["Rejects"]


class Rejects:
    """Rejected rows, written to a temporary file and moved into place once the import ends."""

    def __init__(self, source_path: str, target: str | os.PathLike[str] | None) -> None:
        if target is None:
            stem = Path(source_path).name if source_path != "<DataFrame>" else "dataframe"
            target = Path(source_path).parent / f"{stem}.rejects.jsonl"
        self.target = Path(target)
        folder = self.target.parent
        if not folder.is_dir():
            raise ConfigError(
                f"Cannot write the rejects file {self.target}: the folder {folder} does not "
                "exist. Create it first, or pass another --rejects path."
            )
        if self.target.is_dir():
            raise ConfigError(f"The rejects file {self.target} is a folder; name a file.")
        self._tmp = create_temporary(folder, "rejects")
        self._fh = open(self._tmp, "w", encoding="utf-8")  # noqa: SIM115
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
