"""A labelmill project: a folder with ``labelmill.yaml`` (schema + settings) and a database.

:class:`Project` holds the operations that the CLI and the server both call. It keeps no
logic of its own beyond wiring: importing lives in :mod:`labelmill.imports`, export in
:mod:`labelmill.export`, the labeling round in :mod:`labelmill.pipeline`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from sqlalchemy import func, select

from labelmill import review
from labelmill.exceptions import ConfigError, ProjectError
from labelmill.imports import ImportReport, OnError, columns_from, import_items
from labelmill.review import QueueItem
from labelmill.schema import Schema
from labelmill.store import Item, Label, Round, Source, Store, User, Vote

if TYPE_CHECKING:
    import pandas as pd

    from labelmill.pipeline import CurveRow, RoundResult

__all__ = ["CONFIG_FILE", "DEFAULT_SETTINGS", "Project"]

CONFIG_FILE = "labelmill.yaml"
DATABASE_FILE = "labelmill.db"
DEFAULT_SETTINGS: dict[str, Any] = {
    "target_accuracy": 0.95,
    "confidence": 0.95,
    "seed": 0,
    "audit_fraction": 0.3,
    "batch_size": 50,
}


class Project:
    """A labeling project. Create one with :meth:`init`, open one with :meth:`open`.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> folder = tempfile.mkdtemp()
    >>> project = Project.init(folder, classes=["spam", "ham"])
    >>> frame = pd.DataFrame({"text": ["win cash now", "see you at noon"]})
    >>> project.import_items(frame).items_added
    2
    >>> project.status()["items"]
    2
    >>> project.close()
    """

    def __init__(
        self, path: Path, schema: Schema, store: Store, settings: dict[str, Any], name: str
    ) -> None:
        self.path = path
        self.schema = schema
        self.store = store
        self.settings = settings
        self.name = name

    # -- creating and opening -------------------------------------------------------------
    @classmethod
    def init(
        cls,
        path: str | os.PathLike[str],
        *,
        classes: Sequence[str] | str,
        task: str = "classification",
        data_type: str = "text",
        fields: Sequence[str] = (),
        db_url: str | None = None,
        settings: dict[str, Any] | None = None,
    ) -> Project:
        """Create a project folder, its ``labelmill.yaml`` and its database.

        Parameters
        ----------
        path : path
            The project folder; created if missing; must not hold a project already.
        classes : sequence of str or "a,b,c"
            Ordered class names.
        task, data_type, fields
            See :class:`labelmill.schema.Schema`.
        db_url : str, optional
            SQLAlchemy URL of the database; default: SQLite file ``labelmill.db`` in the folder.
        settings : dict, optional
            Overrides of :data:`DEFAULT_SETTINGS`.
        """
        folder = Path(path)
        if (folder / CONFIG_FILE).exists():
            raise ProjectError(
                f"{folder} already holds a labelmill project ({CONFIG_FILE}); open it instead, "
                "or choose another folder."
            )
        if folder.exists() and not folder.is_dir():
            raise ProjectError(f"{folder} exists and is not a folder.")
        schema = Schema(
            classes=Schema.parse_classes(classes),
            task=task,
            data_type=data_type,
            fields=tuple(fields),
        )
        merged = _check_settings({**DEFAULT_SETTINGS, **(settings or {})})
        folder.mkdir(parents=True, exist_ok=True)
        store = Store(db_url or _default_url(folder))
        store.migrate()
        config = {
            "labelmill": 1,
            "name": folder.resolve().name,
            "schema": schema.to_dict(),
            "database": db_url,
            "settings": merged,
        }
        _write_yaml(folder / CONFIG_FILE, config)
        return cls(folder, schema, store, merged, config["name"])

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, db_url: str | None = None) -> Project:
        """Open an existing project folder.

        Parameters
        ----------
        db_url : str, optional
            Overrides the database named in ``labelmill.yaml``.
        """
        folder = Path(path)
        config_path = folder / CONFIG_FILE
        if not config_path.is_file():
            raise ProjectError(
                f"{folder} is not a labelmill project (no {CONFIG_FILE}); "
                f"create one with: labelmill init {folder} --classes a,b"
            )
        try:
            config = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ProjectError(f"{config_path} is not valid YAML: {exc}") from exc
        if not isinstance(config, dict) or "schema" not in config:
            raise ProjectError(f"{config_path} has no 'schema' section; was it edited by hand?")
        schema = Schema.from_dict(config["schema"])
        settings = _check_settings({**DEFAULT_SETTINGS, **(config.get("settings") or {})})
        store = Store(db_url or config.get("database") or _default_url(folder))
        store.migrate()
        return cls(folder, schema, store, settings, config.get("name") or folder.name)

    def close(self) -> None:
        """Release the database connections."""
        self.store.dispose()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Project({str(self.path)!r}, classes={list(self.schema.classes)})"

    def save_settings(self, **changes: Any) -> None:
        """Change settings in ``labelmill.yaml`` (validated, written atomically)."""
        merged = _check_settings({**self.settings, **changes})
        config_path = self.path / CONFIG_FILE
        config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
        config["settings"] = merged
        _write_yaml(config_path, config)
        self.settings = merged

    # -- items ---------------------------------------------------------------------------
    def import_items(
        self,
        source: str | os.PathLike[str] | pd.DataFrame,
        *,
        text_column: str | None = None,
        image_column: str | None = None,
        id_column: str | None = None,
        gold_column: str | None = None,
        meta_columns: Sequence[str] | None = None,
        format: str | None = None,  # noqa: A002 - the CLI's --format
        encoding: str | None = None,
        on_error: OnError = "fail",
        rejects_path: str | os.PathLike[str] | None = None,
        actor: str = "library",
        progress: Callable[[int], None] | None = None,
        total_callback: Callable[[int], None] | None = None,
    ) -> ImportReport:
        """Import items from a CSV/TSV, JSONL or Parquet file, an image folder or a DataFrame.

        Parameters
        ----------
        source : path or pandas.DataFrame
            The file or folder (format from its suffix unless ``format`` is given).
        text_column, image_column : str, optional
            Column holding the text (default ``text``) or the image path (default ``image``).
        id_column : str, optional
            Column holding a stable item id; without it ids derive from content hashes.
        gold_column : str, optional
            Column holding known-correct labels (class names; ``a|b`` for multi-label).
        meta_columns : sequence of str, optional
            Columns kept as metadata (default: every other column for text and image
            projects; none for tabular projects, whose other columns are the payload).
        encoding : str, optional
            Text encoding; default: detected (UTF-8, with a reported latin-1 fallback).
        on_error : {"fail", "skip"}
            ``fail``: the first bad row aborts and nothing is written. ``skip``: bad rows
            are written with reasons to ``rejects_path`` (default ``<file>.rejects.jsonl``).

        Returns
        -------
        ImportReport

        Raises
        ------
        ImportRowError
            A bad row, naming the file and line (with ``on_error="fail"``), an empty file,
            or a missing column.
        """
        columns = columns_from(
            text_column=text_column,
            image_column=image_column,
            id_column=id_column,
            gold_column=gold_column,
            meta_columns=meta_columns,
        )
        return import_items(
            self.store,
            self.schema,
            source,
            columns=columns,
            fmt=format,
            encoding=encoding,
            on_error=on_error,
            rejects_path=rejects_path,
            actor=actor,
            progress=progress,
            total_callback=total_callback,
            seed=int(self.settings["seed"]),
        )

    # -- the engine ----------------------------------------------------------------------
    def register_rules(
        self, path: str | os.PathLike[str], *, actor: str = "library"
    ) -> dict[str, str]:
        """Register or update the rules of a YAML or Python file and apply them to every item.

        Returns rule name -> "added" | "updated" | "unchanged". Editing a rule makes a new
        version; the old version's votes stay as history.
        """
        from labelmill.pipeline import register_rules

        return dict(register_rules(self, path, actor=actor))

    def run_round(
        self,
        *,
        target_accuracy: float | None = None,
        confidence: float | None = None,
        progress: Callable[[str, float], None] | None = None,
        actor: str = "library",
    ) -> RoundResult:
        """Run one labeling round (see :mod:`labelmill.pipeline.round`).

        Raises
        ------
        RoundError
            With the reason; the round is recorded as failed, earlier rounds untouched.
        """
        from labelmill.pipeline import run_round

        return run_round(
            self,
            target_accuracy=target_accuracy,
            confidence=confidence,
            progress=progress,
            actor=actor,
        )

    def simulate(self, *, oracle_column: str, budget: int, **options: Any) -> list[CurveRow]:
        """Rounds with a simulated reviewer answering from ``oracle_column``; see
        :func:`labelmill.pipeline.simulate`."""
        from labelmill.pipeline import simulate

        return simulate(self, oracle_column=oracle_column, budget=budget, **options)

    # -- people --------------------------------------------------------------------------
    def next_items(
        self,
        n: int = 1,
        *,
        queue: str = "review",
        user: str | None = None,
        lease_seconds: float = 600.0,
        overlap: int = 3,
    ) -> list[QueueItem]:
        """The next items for a person to label (see :mod:`labelmill.review`).

        Parameters
        ----------
        n : int
            How many items.
        queue : {"review", "audit", "crowd"}
            ``review`` mixes in blind ``audit`` items until the audit sample is as large as
            the threshold policy needs, then at ``audit_fraction`` of the answers.
        user : str, optional
            Lease the items to this user so nobody else is served them meanwhile.
        """
        from labelmill.quality import required_audit_size

        minimum = required_audit_size(
            target_accuracy=self.settings["target_accuracy"],
            confidence=self.settings["confidence"],
        )
        return review.next_items(
            self.store,
            self.schema,
            queue=queue,
            n=n,
            user=user,
            lease_seconds=lease_seconds,
            overlap=overlap,
            audit_minimum=minimum,
            audit_fraction=self.settings["audit_fraction"],
        )

    def add_answer(
        self,
        item_id: str,
        label: Any = None,
        *,
        user: str,
        queue: str = "review",
        skip: bool = False,
    ) -> None:
        """Record a person's answer (one transaction); see :func:`labelmill.review.add_answer`."""
        review.add_answer(
            self.store, self.schema, item_id, label, user=user, queue=queue, skip=skip
        )

    def undo_answer(self, item_id: str, *, user: str) -> None:
        """Withdraw ``user``'s latest answer on ``item_id``."""
        review.undo_answer(self.store, self.schema, item_id, user=user)

    # -- reading ---------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """Counts by status, sources by kind, votes, users and the last round."""
        with self.store.session() as session:
            by_status = dict(
                session.execute(select(Label.status, func.count()).group_by(Label.status)).all()
            )
            sources = dict(
                session.execute(
                    select(Source.kind, func.count()).where(Source.active).group_by(Source.kind)
                ).all()
            )
            n_items = session.scalar(select(func.count()).select_from(Item)) or 0
            n_votes = session.scalar(select(func.count()).select_from(Vote)) or 0
            n_users = session.scalar(select(func.count()).select_from(User)) or 0
            last = session.scalars(select(Round).order_by(Round.id.desc()).limit(1)).first()
            last_round = None
            if last is not None:
                last_round = {
                    "id": last.id,
                    "status": last.status,
                    "stage": last.stage,
                    "error": last.error,
                    "results": last.results,
                    "started_at": last.started_at.isoformat() if last.started_at else None,
                }
        statuses = ("unlabeled", "auto", "review", "human", "gold")
        return {
            "project": self.name,
            "path": str(self.path),
            "database": self.store.safe_url,
            "schema": self.schema.to_dict(),
            "items": n_items,
            "by_status": {s: int(by_status.get(s, 0)) for s in statuses},
            "sources": {k: int(v) for k, v in sources.items()},
            "votes": n_votes,
            "users": n_users,
            "last_round": last_round,
            "settings": dict(self.settings),
        }

    def export(
        self,
        path: str | os.PathLike[str],
        *,
        format: str | None = None,  # noqa: A002 - the CLI's --format
        statuses: Sequence[str] | None = None,
    ) -> int:
        """Write the labeled data set to ``path`` (jsonl, csv or parquet); returns the row count."""
        from labelmill.export import export_project

        return export_project(self, path, fmt=format, statuses=statuses)

    def to_frame(self, *, statuses: Sequence[str] | None = None) -> pd.DataFrame:
        """The export rows as a pandas DataFrame (for notebooks; loads everything)."""
        import pandas as pd

        from labelmill.export import iter_export_rows

        rows = [r for chunk in iter_export_rows(self, statuses=statuses) for r in chunk]
        return pd.DataFrame(rows)


def _default_url(folder: Path) -> str:
    return f"sqlite:///{(folder / DATABASE_FILE).resolve()}"


def _check_settings(settings: dict[str, Any]) -> dict[str, Any]:
    for key in ("target_accuracy", "confidence", "audit_fraction"):
        value = settings.get(key)
        if not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value < 1:
            raise ConfigError(
                f"The setting {key!r} must be a number in (0, 1). Got {value!r} instead."
            )
    for key in ("seed", "batch_size"):
        value = settings.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ConfigError(
                f"The setting {key!r} must be a non-negative integer. Got {value!r} instead."
            )
    return settings


def _write_yaml(path: Path, data: dict[str, Any]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".labelmill-", suffix=".yaml")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        yaml.safe_dump(data, fh, sort_keys=False, allow_unicode=True)
    os.replace(tmp, path)
