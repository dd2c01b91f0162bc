"""Long work started from the browser: a labeling round in a background thread.

Progress lives in the ``rounds`` table (status, stage, results), written by
``Project.run_round``; the UI polls it, so it survives a page reload. This object only
remembers whether a thread is running in this process, and the error of a round that
failed. A round that raised but could not record its failure (the row still says
"running") is recorded failed here with the error, and reads failed meanwhile (its row
names this process, which no longer runs it).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from labelmill.exceptions import ProjectError
from labelmill.project import Project

__all__ = ["RoundRunner"]

logger = logging.getLogger(__name__)


class RoundRunner:
    """Runs at most one round at a time for one project.

    Parameters
    ----------
    project : Project
        The project the server serves.
    """

    def __init__(self, project: Project) -> None:
        self.project = project
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.last: dict[str, Any] = {"state": "idle"}

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, *, actor: str, **params: Any) -> dict[str, Any]:
        """Start a round in a thread; raises :class:`ProjectError` if one is running."""
        with self._lock:
            if self.running:
                raise ProjectError("A round is already running; wait for it to finish.")
            self.last = {
                "state": "running",
                "actor": actor,
                "params": params,
                "started": time.time(),
                "error": None,
            }
            self._thread = threading.Thread(
                target=self._run, kwargs=params, name="labelmill-round", daemon=True
            )
            self._thread.start()
        return dict(self.last)

    def _run(self, **params: Any) -> None:
        try:
            kwargs = {k: v for k, v in params.items() if v is not None}
            self.project.run_round(actor=self.last["actor"], **kwargs)
            self.last = {**self.last, "state": "done", "finished": time.time()}
        except Exception as exc:  # noqa: BLE001 - reported to the UI; the round row says why too
            logger.exception("round failed")
            error = f"{type(exc).__name__}: {exc}"
            self.last = {**self.last, "state": "failed", "error": error, "finished": time.time()}
            self._record_failure(error)

    def _record_failure(self, error: str) -> None:
        """Mark a round row of this process still "running" as failed with ``error``."""
        from labelmill.views import THREAD_ENDED

        try:
            for entry in self.project.rounds_checked(5, running_here=False):
                if entry["error"] == THREAD_ENDED:
                    self.project.fail_round(entry["id"], error)
        except Exception:  # noqa: BLE001 - it reads as failed anyway (see rounds_checked)
            logger.exception("could not record the failed round")

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
