"""A labelmill project: a folder with ``labelmill.yaml`` (schema + settings) and a database.

:class:`Project` holds the operations that the CLI and the server both call. It keeps no
logic of its own beyond wiring: engine functions take ``(store, schema, settings)``;
importing lives in :mod:`labelmill.ingest`, the queues and answers in
:mod:`labelmill.review`, the round in :mod:`labelmill.pipeline`, exports in
:mod:`labelmill.export`, people in :mod:`labelmill.users`, read views in
:mod:`labelmill.views`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from labelmill import review, users, views
from labelmill.exceptions import ConfigError, ProjectError
from labelmill.ingest import ImportReport, OnError, columns_from, import_items
from labelmill.review import QueueItem
from labelmill.schema import Schema
from labelmill.settings import ProjectSettings
from labelmill.store import Store

if TYPE_CHECKING:
    import pandas as pd

    from labelmill.pipeline import CurveRow, RoundResult
    from labelmill.pipeline.checks import CheckRun

__all__ = ["CONFIG_FILE", "Project"]

CONFIG_FILE = "labelmill.yaml"
DATABASE_FILE = "labelmill.db"


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
        self, path: Path, schema: Schema, store: Store, settings: ProjectSettings, name: str
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
        settings: ProjectSettings | dict[str, Any] | None = None,
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
        settings : ProjectSettings or dict, optional
            The project's settings (default: :class:`~labelmill.settings.ProjectSettings`).
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
        if not isinstance(settings, ProjectSettings):
            settings = ProjectSettings.from_dict(settings)
        folder.mkdir(parents=True, exist_ok=True)
        store = Store(db_url or _default_url(folder))
        store.migrate()
        name = folder.resolve().name
        config = {
            "labelmill": 1,
            "name": name,
            "schema": schema.to_dict(),
            "database": db_url,
            "settings": settings.to_dict(),
        }
        _write_yaml(folder / CONFIG_FILE, config)
        return cls(folder, schema, store, settings, name)

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
        try:
            settings = ProjectSettings.from_dict(config.get("settings"))
        except ConfigError as exc:
            raise ConfigError(f"{config_path}: {exc}") from None
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

    def save_settings(self, **changes: Any) -> dict[str, tuple[Any, Any]]:
        """Change settings in ``labelmill.yaml`` (checked, written atomically); ``None``
        values leave a setting as it is. Returns name -> (old, new) of what changed."""
        updated = self.settings.replace(**changes)
        changed = updated.changes_from(self.settings)
        if changed:
            config_path = self.path / CONFIG_FILE
            config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
            config["settings"] = updated.to_dict()
            _write_yaml(config_path, config)
            self.settings = updated
        return changed

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
            seed=self.settings.seed,
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

        return dict(register_rules(self.store, self.schema, self.settings, Path(path), actor=actor))

    def run_round(
        self,
        *,
        target_accuracy: float | None = None,
        confidence: float | None = None,
        strategy: str | None = None,
        progress: Callable[[str, float], None] | None = None,
        actor: str = "library",
    ) -> RoundResult:
        """Run one labeling round (see :mod:`labelmill.pipeline.round`).

        ``target_accuracy``, ``confidence`` and ``strategy``, when given, become the
        project's settings first (saved in ``labelmill.yaml``): the guarantee and the size
        of the audit sample are the project's, so the review queue follows them too.

        Raises
        ------
        RoundError
            With the reason; the round is recorded as failed, earlier rounds untouched.
        """
        from labelmill.pipeline import run_round

        self.save_settings(
            target_accuracy=target_accuracy, confidence=confidence, strategy=strategy
        )
        return run_round(
            self.store,
            self.schema,
            self.settings,
            feature_dir=self.feature_dir,
            progress=progress,
            actor=actor,
        )

    def simulate(
        self,
        *,
        oracle_column: str,
        budget: int,
        batch_size: int | None = None,
        strategy: str | None = None,
        audit_fraction: float | None = None,
        seed: int | None = None,
        target_accuracy: float | None = None,
        confidence: float | None = None,
        out: str | os.PathLike[str] | None = None,
        echo: Callable[[CurveRow], None] | None = None,
    ) -> list[CurveRow]:
        """Rounds with a simulated reviewer answering from ``oracle_column``, with the
        project's settings overridden for the simulation only (nothing is saved); see
        :func:`labelmill.pipeline.simulate`."""
        from labelmill.pipeline import simulate

        settings = self.settings.replace(
            batch_size=batch_size,
            strategy=strategy,
            audit_fraction=audit_fraction,
            seed=seed,
            target_accuracy=target_accuracy,
            confidence=confidence,
        )
        return simulate(
            self.store,
            self.schema,
            settings,
            oracle_column=oracle_column,
            budget=budget,
            feature_dir=self.feature_dir,
            audit_minimum=_audit_minimum,
            out=out,
            echo=echo,
        )

    def check(self, *, n_folds: int = 5) -> CheckRun:
        """Label issues and consistency checks over the current labels (see
        :mod:`labelmill.pipeline.checks`); the summary is kept for the report."""
        from labelmill.pipeline.checks import check_project

        return check_project(
            self.store, self.schema, self.settings, feature_dir=self.feature_dir, n_folds=n_folds
        )

    def send_to_review(self, run: CheckRun, *, limit: int | None = None) -> dict[str, int]:
        """Put the items a check flagged at the head of the review queue (not gold ones)."""
        from labelmill.pipeline.checks import send_to_review

        return send_to_review(self.store, run, limit=limit)

    def report(
        self,
        out: str | os.PathLike[str],
        *,
        json_out: str | os.PathLike[str] | None = None,
        check: bool = True,
    ) -> tuple[Path, Path]:
        """Write the data set's report: one self-contained HTML page at ``out`` and its
        JSON (default: ``out`` with the suffix ``.json``); see
        :mod:`labelmill.pipeline.datasheet`. With ``check`` (default) the label issues and
        consistency checks are run first and included. Returns both paths."""
        from labelmill.pipeline.datasheet import build_report
        from labelmill.report import write_report

        run = self.check() if check and self.status()["items"] else None
        report = build_report(self.store, self.schema, self.settings, name=self.name, checks=run)
        return write_report(report, Path(out), Path(json_out) if json_out else None)

    @property
    def feature_dir(self) -> Path:
        """Where feature vectors are cached (``settings.feature_cache`` or ``features/``)."""
        return Path(self.settings.feature_cache or self.path / "features")

    # -- people --------------------------------------------------------------------------
    def next_items(
        self,
        n: int = 1,
        *,
        queue: str = "review",
        user: str | None = None,
        lease_seconds: float = 600.0,
        overlap: int | None = None,
    ) -> list[QueueItem]:
        """The next items for a person to label (see :mod:`labelmill.review`).

        Parameters
        ----------
        n : int
            How many items.
        queue : {"review", "audit", "crowd"}
            ``review`` mixes in blind ``audit`` items until the audit sample is as large as
            the threshold policy needs at the project's target, then at ``audit_fraction``
            of the answers.
        user : str, optional
            Lease the items to this user so nobody else is served them meanwhile.
        overlap : int, optional
            Crowd mode: answers per item (default: the project's ``overlap`` setting).
        """
        return review.next_items(
            self.store,
            self.schema,
            queue=queue,
            n=n,
            user=user,
            lease_seconds=lease_seconds,
            overlap=overlap or self.settings.overlap,
            audit_minimum=_audit_minimum(self.settings),
            audit_fraction=self.settings.audit_fraction,
        )

    def add_answer(
        self,
        item_id: str,
        label: Any = None,
        *,
        user: str,
        queue: str = "review",
        skip: bool = False,
        skip_reason: str | None = None,
        overlap: int | None = None,
    ) -> str:
        """Record a person's answer (one transaction) in the queue of their lease; returns
        that queue. See :func:`labelmill.review.add_answer`."""
        return review.add_answer(
            self.store,
            self.schema,
            item_id,
            label,
            user=user,
            queue=queue,
            skip=skip,
            skip_reason=skip_reason,
            overlap=overlap or self.settings.overlap,
        )

    def undo_answer(self, item_id: str, *, user: str) -> None:
        """Withdraw ``user``'s latest answer on ``item_id``."""
        review.undo_answer(self.store, self.schema, item_id, user=user)

    def add_user(
        self, name: str, password: str, *, role: str = "annotator", actor: str = "library"
    ) -> users.UserInfo:
        """Create a user who can log in to ``labelmill serve`` (or reset their password and
        role); see :func:`labelmill.users.add_user`."""
        return users.add_user(self.store, name, password, role=role, actor=actor)

    def get_user(self, name: str) -> users.UserInfo:
        return users.get_user(self.store, name)

    def list_users(self) -> list[users.UserInfo]:
        return users.list_users(self.store)

    def verify_user(self, name: str, password: str) -> users.UserInfo:
        """The user if ``password`` is theirs and they are active (else AuthError)."""
        return users.verify_user(self.store, name, password)

    def set_user_role(self, name: str, role: str, *, actor: str = "library") -> users.UserInfo:
        return users.set_role(self.store, name, role, actor=actor)

    def set_user_active(self, name: str, active: bool, *, actor: str = "library") -> users.UserInfo:
        return users.set_active(self.store, name, active, actor=actor)

    def remove_user(self, name: str, *, actor: str = "library") -> None:
        users.remove_user(self.store, name, actor=actor)

    # -- reading ---------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """Counts by status, sources by kind, votes, users, the last round and settings."""
        return {
            "project": self.name,
            "path": str(self.path),
            "database": self.store.safe_url,
            "schema": self.schema.to_dict(),
            **views.status(self.store),
            "settings": self.settings.to_dict(),
        }

    def rounds(self, limit: int = 20) -> list[dict[str, Any]]:
        """The latest rounds, newest first (status, stage, error, times, results)."""
        return views.list_rounds(self.store, limit)

    def item(self, item_id: str, *, blind: bool = False) -> dict[str, Any]:
        """One item: its payload and, unless ``blind``, label, status, confidence and votes."""
        return views.item_detail(self.store, self.schema, item_id, blind=blind)

    def item_access(self, item_id: str, user: str) -> tuple[str | None, str | None]:
        """(queue of ``user``'s live lease on the item, queue of their latest answer)."""
        return views.item_access(self.store, item_id, user)

    def rule_spans(self, text: Any, sources: list[str]) -> list[dict[str, Any]]:
        """Spans of ``text`` matched by the rules named in ``sources`` (``"rule:NAME"``)."""
        return views.rule_spans(self.store, text, sources)

    def media_file(self, item_id: str) -> Path:
        """The checked image file of an item (NotFoundError otherwise)."""
        return views.media_file(self.store, self.schema, item_id)

    def rules_table(self) -> list[dict[str, Any]]:
        """Rule versions with their votes and coverage."""
        return views.rules_table(self.store)

    def dashboard(self) -> dict[str, Any]:
        """Progress, accuracy estimates, agreement and the learning curve."""
        return views.dashboard(self.store)

    def export(
        self,
        path: str | os.PathLike[str],
        *,
        format: str | None = None,  # noqa: A002 - the CLI's --format
        statuses: Sequence[str] | None = None,
    ) -> int:
        """Write the labeled data set to ``path`` (jsonl, csv or parquet); returns the row count."""
        from labelmill.export import export_rows

        return export_rows(self.store, self.schema, path, fmt=format, statuses=statuses)

    def to_frame(self, *, statuses: Sequence[str] | None = None) -> pd.DataFrame:
        """The export rows as a pandas DataFrame (for notebooks; loads everything)."""
        import pandas as pd

        from labelmill.export import iter_export_rows

        chunks = iter_export_rows(self.store, self.schema, statuses=statuses)
        return pd.DataFrame([row for chunk in chunks for row in chunk])


def _audit_minimum(settings: ProjectSettings) -> int:
    """The audit sample size the threshold policy needs at the settings' target."""
    from labelmill.quality import required_audit_size

    return required_audit_size(
        target_accuracy=settings.target_accuracy, confidence=settings.confidence
    )


def _default_url(folder: Path) -> str:
    return f"sqlite:///{(folder / DATABASE_FILE).resolve()}"


def _write_yaml(path: Path, data: dict[str, Any]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".labelmill-", suffix=".yaml")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        yaml.safe_dump(data, fh, sort_keys=False, allow_unicode=True)
    os.replace(tmp, path)
