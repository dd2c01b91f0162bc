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
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from labelmill import review, users, views
from labelmill.exceptions import ConfigError, ProjectError
from labelmill.ingest import FOLDER_COLUMN, ImportReport, OnError, columns_from, import_items
from labelmill.review import QueueItem
from labelmill.schema import Schema
from labelmill.settings import ProjectSettings
from labelmill.store import Store

if TYPE_CHECKING:
    import pandas as pd

    from labelmill.engine import Engine
    from labelmill.ingest import RemovalReport
    from labelmill.pipeline import CurveRow, RoundResult
    from labelmill.pipeline.checks import CheckRun
    from labelmill.pipeline.rules import RuleRegistration

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
        header: bool | None = None,
        columns: Sequence[str] | None = None,
        sep: str | None = None,
        skip_initial_space: bool | None = None,
        quoting: bool = True,
        folder_labels: str = "gold",
    ) -> ImportReport:
        """Import items from a CSV/TSV, JSONL, Parquet or Label Studio JSON file, an image
        folder or a DataFrame.

        Parameters
        ----------
        source : path or pandas.DataFrame
            The file or folder (format from its suffix unless ``format`` is given: csv,
            tsv, jsonl, parquet, images, label-studio).
        text_column, image_column : str, optional
            Column holding the text (default ``text``) or the image path (default ``image``).
        id_column : str, optional
            Column holding a stable item id; without it ids derive from content hashes.
        gold_column : str, optional
            Column holding known-correct labels (class names; ``a|b`` for multi-label).
        meta_columns : sequence of str, optional
            Text and image projects: the columns kept as metadata (default: every other
            column). Tabular projects: columns kept as metadata instead of features (the
            features are the schema's ``fields``, or every column but the id, gold,
            metadata and hidden columns; any other column is kept as metadata).
        encoding : str, optional
            Text encoding; default: detected (UTF-8, with a reported latin-1 fallback).
        on_error : {"fail", "skip"}
            ``fail``: the first bad row aborts and nothing is written. ``skip``: bad rows
            are written with reasons to ``rejects_path`` (default ``<file>.rejects.jsonl``).
        header : bool, optional
            CSV/TSV: whether the first line names the columns (default: yes, unless it
            looks like data, which stops the import with a question).
        columns : sequence of str, optional
            CSV/TSV: the column names (of a file without a header, or replacing its header).
        sep : str, optional
            CSV/TSV: the separator (one character; ``tab`` for a tab); default from the
            format, or detected.
        skip_initial_space : bool, optional
            CSV/TSV: drop spaces after separators; default: detected (and reported).
        quoting : bool
            CSV/TSV: fields may be quoted; ``False`` reads quote characters as text.
        folder_labels : {"gold", "meta", "none"}
            Image folders with class subfolders: gold labels, a hidden metadata column
            ``folder`` (for ``simulate --oracle-column folder``), or nothing.

        Returns
        -------
        ImportReport
            With ``notes`` saying what was detected (encoding, separator, features...).

        Raises
        ------
        ImportRowError
            A bad row, naming the file and line (with ``on_error="fail"``), an empty file,
            or a missing column.
        InputError
            A missing file, a binary file, or a first line that looks like data.
        ConfigError
            A bad option.
        """
        from labelmill.data.delimited import TableOptions, parse_separator

        table = TableOptions(
            sep=parse_separator(sep),
            header=header,
            columns=tuple(columns) if columns is not None else None,
            skip_initial_space=skip_initial_space,
            quoting=quoting,
        )
        column_map = columns_from(
            text_column=text_column,
            image_column=image_column,
            id_column=id_column,
            gold_column=gold_column,
            meta_columns=meta_columns,
            hidden_columns=self.settings.hidden_columns,
            folder_labels=folder_labels,
        )
        report = import_items(
            self.store,
            self.schema,
            source,
            columns=column_map,
            fmt=format,
            encoding=encoding,
            table=table,
            on_error=on_error,
            rejects_path=rejects_path,
            actor=actor,
            progress=progress,
            total_callback=total_callback,
            seed=self.settings.seed,
        )
        if report.format == "images" and folder_labels == "meta":
            hidden = self.settings.hidden_columns
            if FOLDER_COLUMN not in hidden:
                self.save_settings(hidden_columns=(*hidden, FOLDER_COLUMN))
        return report

    # -- the engine ----------------------------------------------------------------------
    def register_rules(
        self, path: str | os.PathLike[str], *, replace: bool = False, actor: str = "library"
    ) -> RuleRegistration:
        """Register or update the rules of a YAML or Python file and apply them to every item.

        Returns rule name -> "added" | "updated" | "unchanged" | "enabled" | "disabled" (a
        dict, whose ``still_active`` lists active rules of other files). Editing a rule
        makes a new version; the old version's votes stay as history. Rules registered from
        the same file that it no longer has are disabled; ``replace=True`` disables every
        other active rule too. See ``docs/rules.md``.
        """
        from labelmill.pipeline import register_rules

        return register_rules(
            self.store, self.schema, self.settings, Path(path), replace=replace, actor=actor
        )

    def run_round(
        self,
        *,
        target_accuracy: float | None = None,
        confidence: float | None = None,
        strategy: str | None = None,
        techniques: dict[str, str] | None = None,
        progress: Callable[[str, float], None] | None = None,
        actor: str = "library",
        engine: str | Engine = "local",
        scheduler: str | None = None,
    ) -> RoundResult:
        """Run one labeling round (see :mod:`labelmill.pipeline.round`).

        ``target_accuracy``, ``confidence``, ``strategy`` and ``techniques`` (technique ->
        off/on/auto, the others kept), when given, become the project's settings first
        (saved in ``labelmill.yaml``): the guarantee and the size of the audit sample are
        the project's, so the review queue follows them too. ``engine`` (``"local"``,
        ``"dask"`` or an :class:`~labelmill.engine.Engine`) runs rules, featurization,
        inference and scoring; ``"dask"`` connects to ``scheduler`` or, without one, starts
        a local cluster for this call (see :func:`labelmill.engine.make_engine`).

        Raises
        ------
        RoundError
            With the reason; the round is recorded as failed, earlier rounds untouched.
        """
        from labelmill.engine import open_engine
        from labelmill.pipeline import run_round

        with open_engine(engine, scheduler=scheduler) as runner:  # reachable: then save
            self.save_settings(
                target_accuracy=target_accuracy,
                confidence=confidence,
                strategy=strategy,
                techniques=techniques,
            )
            return run_round(
                self.store,
                self.schema,
                self.settings,
                feature_dir=self.feature_dir,
                progress=progress,
                actor=actor,
                engine=runner,
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
        techniques: dict[str, str] | None = None,
        out: str | os.PathLike[str] | None = None,
        echo: Callable[[CurveRow], None] | None = None,
        engine: str | Engine = "local",
        scheduler: str | None = None,
    ) -> list[CurveRow]:
        """Rounds with a simulated reviewer answering from ``oracle_column``, with the
        project's settings overridden for the simulation only (nothing is saved;
        ``techniques`` changes the techniques it names); see
        :func:`labelmill.pipeline.simulate`. ``engine`` and ``scheduler`` as for
        :meth:`run_round` (one engine serves every round of the simulation)."""
        from labelmill.engine import open_engine
        from labelmill.pipeline import simulate

        settings = self.settings.replace(
            batch_size=batch_size,
            strategy=strategy,
            audit_fraction=audit_fraction,
            seed=seed,
            target_accuracy=target_accuracy,
            confidence=confidence,
            techniques=techniques,
        )
        with open_engine(engine, scheduler=scheduler) as runner:
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
                engine=runner,
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

    def login_failures(self, keys: list[str], since: float) -> dict[str, tuple[int, float]]:
        """Failed logins per limit key since ``since`` (the server's shared login limits)."""
        return users.login_failures(self.store, keys, since)

    def record_login_failure(self, keys: list[str], at: float, *, forget_before: float) -> None:
        users.record_login_failure(self.store, keys, at, forget_before=forget_before)

    def forget_login_failures(self, key: str) -> None:
        users.forget_login_failures(self.store, key)

    def remove_user(self, name: str, *, actor: str = "library") -> None:
        users.remove_user(self.store, name, actor=actor)

    # -- reading ---------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """Counts by status and by class in each status, sources by kind, votes, users, the
        last round, the guarantee of the last finished round, and the settings."""
        return {
            "project": self.name,
            "path": str(self.path),
            "database": self.store.safe_url,
            "schema": self.schema.to_dict(),
            **views.status(self.store, self.schema),
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

    def people(self) -> dict[str, Any]:
        """People's quality and agreement: answers, accuracy against gold with exact
        intervals, spammer flags, pairwise kappa, Fleiss' kappa (see
        :func:`labelmill.views.agreement`)."""
        return views.people(self.store)

    def dashboard(self) -> dict[str, Any]:
        """Progress, accuracy estimates, agreement and the learning curve."""
        return views.dashboard(self.store)

    def export(
        self,
        path: str | os.PathLike[str],
        *,
        format: str | None = None,  # noqa: A002 - the CLI's --format
        statuses: Sequence[str] | None = None,
        overwrite: bool = True,
    ) -> int:
        """Write the labeled data set to ``path``: jsonl, csv, parquet, label-studio (JSON)
        or hf (a Hugging Face data set folder); returns the row count. The path's folder
        must exist; ``overwrite=False`` refuses an existing path (as the CLI does)."""
        from labelmill.export import export_rows

        return export_rows(
            self.store, self.schema, path, fmt=format, statuses=statuses, overwrite=overwrite
        )

    def to_frame(self, *, statuses: Sequence[str] | None = None) -> pd.DataFrame:
        """The export rows as a pandas DataFrame (for notebooks; loads everything)."""
        import pandas as pd

        from labelmill.export import iter_export_rows

        chunks = iter_export_rows(self.store, self.schema, statuses=statuses)
        return pd.DataFrame([row for chunk in chunks for row in chunk])

    # -- issue 16: rules management, item listing, removing items ---------------------------
    def rules_list(self, *, include_removed: bool = False) -> list[dict[str, Any]]:
        """One row per rule: state (active, disabled, removed), kind, version, file, votes,
        coverage (see :func:`labelmill.views.rules_list`)."""
        return views.rules_list(self.store, include_removed=include_removed)

    def rules_analysis(self) -> dict[str, Any]:
        """Each active rule's polarity, coverage, overlaps and conflicts, and its accuracy
        on the items people answered with an exact interval at the project's confidence
        (see :func:`labelmill.views.rules_analysis`)."""
        return views.rules_analysis(self.store, self.schema, confidence=self.settings.confidence)

    def disable_rule(self, name: str, *, actor: str = "library") -> str:
        """Stop a rule voting (its votes stay as history); returns its version."""
        from labelmill.pipeline.rules import set_rule_active

        return set_rule_active(self.store, name, False, actor=actor)

    def enable_rule(self, name: str, *, actor: str = "library") -> str:
        """Let a disabled rule vote again (its latest version); returns that version."""
        from labelmill.pipeline.rules import set_rule_active

        return set_rule_active(self.store, name, True, actor=actor)

    def remove_rule(self, name: str, *, actor: str = "library") -> int:
        """Disable every version of a rule and leave it out of the rules list; returns how
        many of its votes stay in the store as history."""
        from labelmill.pipeline.rules import remove_rule

        return remove_rule(self.store, name, actor=actor)

    def list_items(
        self, *, statuses: Sequence[str] | None = None, limit: int = 20
    ) -> list[dict[str, Any]]:
        """Items with status, label, confidence, votes and a preview (review items in queue
        order); see :func:`labelmill.views.list_items`."""
        return views.list_items(
            self.store, self.schema, statuses=list(statuses) if statuses else None, limit=limit
        )

    def remove_items(self, item_ids: Sequence[str], *, actor: str = "library") -> RemovalReport:
        """Remove items with their label, votes and leases, all or none (see
        :mod:`labelmill.ingest._remove` for what it means for the audit sample)."""
        from labelmill.ingest import remove_items

        return remove_items(self.store, item_ids, actor=actor)

    def check_oracle(self, column: str) -> None:
        """Raise :class:`InputError` (as :meth:`simulate` would) unless every item has a
        class of the project in the metadata column ``column``; lets a caller refuse a bad
        oracle before spending time on features."""
        from labelmill.pipeline.simulate import _oracle

        _oracle(self.store, self.schema, column)

    def featurize(self, *, progress: Callable[[int, int], None] | None = None) -> int:
        """Compute and cache the feature vectors of every item (what a round's featurize
        stage does; later rounds and simulations then find them cached). ``progress(done,
        total)`` follows the items. Returns the number of items."""
        from labelmill.pipeline.round_data import load_features, load_round_data

        data = load_round_data(self.store)
        if len(data):
            load_features(
                self.store, self.schema, self.settings, data, self.feature_dir, progress=progress
            )
        return len(data)

    def missing_media(self) -> list[str]:
        """Ids of image items whose file is gone (they make every round fail)."""
        from labelmill.ingest import missing_media

        return missing_media(self.store, self.schema)

    # -- issue 15: the review app for a team (sessions, keys, notes, assignment, browsing) ----
    def open_session(self, name: str, kind: str, *, seconds: float) -> str:
        """Open a browser ``session`` or API ``access`` token row; see :mod:`labelmill.users`."""
        return users.open_session(self.store, name, kind, seconds=seconds)

    def check_session(self, sid: str, name: str, kind: str) -> users.UserInfo:
        """The user of a live session or token row (else AuthError)."""
        return users.check_session(self.store, sid, name, kind)

    def session_started(self, sid: str) -> datetime | None:
        """When a session was opened (its login)."""
        return users.session_started(self.store, sid)

    def revoke_session(self, sid: str, *, actor: str = "library") -> None:
        """End one session or token (logout)."""
        users.revoke_session(self.store, sid, actor=actor)

    def check_api_key(self, token: str) -> users.UserInfo:
        """The user of a live API key (else AuthError)."""
        return users.check_api_key(self.store, token)

    def change_password(
        self, name: str, old: str, new: str, *, keep: str | None = None
    ) -> users.UserInfo:
        """Self-service password change; ends every other session and token of ``name``."""
        return users.change_password(self.store, name, old, new, keep=keep)

    def create_api_key(self, name: str, key_name: str) -> tuple[users.ApiKeyInfo, str]:
        """A new API key for ``name``: (its info, the key, shown once)."""
        return users.create_api_key(self.store, name, key_name)

    def api_keys(self, name: str) -> list[users.ApiKeyInfo]:
        return users.list_api_keys(self.store, name)

    def revoke_api_key(self, name: str, key_id: str) -> None:
        users.revoke_api_key(self.store, name, key_id)

    def withdraw_answer(self, item_id: str, *, user: str, lease_seconds: float = 600.0) -> str:
        """Undo ``user``'s latest answer on the item and lease it back to them in the queue it
        was given in (returned), so they can answer it again."""
        return review.undo_answer(
            self.store, self.schema, item_id, user=user, lease_seconds=lease_seconds
        )

    def card(
        self, item_id: str, *, user: str, mode: str, lease_seconds: float = 600.0
    ) -> QueueItem:
        """The item as ``user`` may see it in ``mode`` (see :func:`labelmill.review.card`)."""
        return review.card(
            self.store, self.schema, item_id, user=user, mode=mode, lease_seconds=lease_seconds
        )

    def add_comment(self, item_id: str, text: str, *, user: str) -> dict[str, Any]:
        """Add ``user``'s comment on an item (kept and exported)."""
        return review.add_comment(self.store, item_id, text, user=user)

    def comments(self, item_ids: list[str] | None = None) -> dict[str, list[dict[str, Any]]]:
        """item_id -> its comments, oldest first (all commented items when ``item_ids`` is
        None): for the item view and the export."""
        return review.comments(self.store, item_ids)

    def skips(self, item_ids: list[str] | None = None) -> dict[str, list[dict[str, Any]]]:
        """item_id -> who skipped it, in which queue, why and when (all skipped items when
        ``item_ids`` is None): for the item view and the export."""
        return review.skips(self.store, item_ids)

    def queue_sizes(self, *, overlap: int | None = None) -> dict[str, int]:
        """About how many items each queue holds now."""
        return review.queue_sizes(self.store, overlap=overlap or self.settings.overlap)

    def my_progress(
        self,
        user: str,
        *,
        session_start: datetime | None = None,
        today_start: datetime | None = None,
    ) -> dict[str, Any]:
        """``user``'s answers this session, today and in all, and their open assignments."""
        return review.my_progress(
            self.store, user, session_start=session_start, today_start=today_start
        )

    def my_answers(self, user: str, *, limit: int = 20) -> list[dict[str, Any]]:
        """``user``'s latest answer per item, newest first (to come back and change)."""
        return review.my_answers(self.store, self.schema, user, limit=limit)

    def browse(
        self, flt: review.ItemFilter | None = None, *, after: int = 0, limit: int = 50
    ) -> dict[str, Any]:
        """A page of the items matching a filter (see :func:`labelmill.review.browse`)."""
        return review.browse(
            self.store, self.schema, flt or review.ItemFilter(), after=after, limit=limit
        )

    def browse_options(self) -> dict[str, list[str]]:
        """The rule and person names the item browser's filters offer."""
        return review.browse_options(self.store)

    def item_record(self, item_id: str) -> dict[str, Any]:
        """Who answered what on an item, its skips, comments and assignment."""
        return review.item_record(self.store, self.schema, item_id)

    def reveal(self, item_id: str, *, user: str) -> None:
        """Remember that ``user`` saw the item's suggestion outside the queues."""
        review.reveal(self.store, item_id, user=user)

    def decide(self, item_id: str, label: Any, *, user: str) -> str:
        """A reviewer's decision on an item, recorded as their vote (adjudication)."""
        return review.decide(self.store, self.schema, item_id, label, user=user)

    def assign(
        self,
        people: Sequence[str],
        *,
        item_ids: Sequence[str] | None = None,
        flt: review.ItemFilter | None = None,
        limit: int | None = None,
        mode: str = "split",
        actor: str = "library",
    ) -> dict[str, int]:
        """Give items to named people: ``item_ids``, or the items matching ``flt`` (the
        first ``limit`` of them); see :mod:`labelmill.review._assignments`."""
        from labelmill.store.queries import items as item_sql

        if item_ids is not None:
            with self.store.session() as session:
                pks = [item_sql.item_pk(session, i) for i in item_ids]
        else:
            cap = limit or review.MAX_ASSIGN
            pks = review.match_pks(self.store, self.schema, flt or review.ItemFilter(), limit=cap)
        return review.assign(self.store, pks, people, mode=mode, actor=actor)

    def unassign(
        self,
        people: Sequence[str],
        *,
        item_ids: Sequence[str] | None = None,
        actor: str = "library",
    ) -> int:
        """Take back open assignments of ``people`` (of ``item_ids``, or all of theirs)."""
        from labelmill.store.queries import items as item_sql

        pks = None
        if item_ids is not None:
            with self.store.session() as session:
                pks = [item_sql.item_pk(session, i) for i in item_ids]
        return review.unassign(self.store, people, pks, actor=actor)

    def assignments(self) -> list[dict[str, Any]]:
        """Open and done assignments per person."""
        return review.assignment_summary(self.store)

    def people_quality(self) -> list[dict[str, Any]]:
        """Per person: accuracy against blind gold with its interval, time per item, skips."""
        return review.people_quality(self.store, confidence=self.settings.confidence)

    @staticmethod
    def agreement_heatmap(agreement: dict[str, Any]) -> dict[str, Any]:
        """The agreement pairs of :meth:`dashboard` as a heatmap, worst pairs first."""
        return review.agreement_heatmap(agreement)

    def rounds_checked(
        self, limit: int = 20, *, running_here: bool | None = None
    ) -> list[dict[str, Any]]:
        """:meth:`rounds`, with a running round whose process is gone read as failed."""
        return views.rounds_checked(self.store, limit, running_here=running_here)

    def fail_round(self, round_id: int, reason: str) -> None:
        """Record a round that died as failed with ``reason``."""
        from labelmill.store.queries import rounds as round_sql

        self.store.write(lambda session: round_sql.fail_round(session, round_id, reason))

    def audit_log(
        self,
        *,
        before: int | None = None,
        limit: int = 100,
        actor: str | None = None,
        action: str | None = None,
    ) -> list[dict[str, Any]]:
        """Who changed what, newest first."""
        return views.audit_log(self.store, before=before, limit=limit, actor=actor, action=action)

    def rules_file(self) -> tuple[Path, str]:
        """The YAML rule file the browser edits, and its text. The file is the one YAML
        file inside the project that the active rules came from, else ``rules.yaml`` in the
        project; when that does not exist yet, the text is that of the one YAML file the
        active rules came from (e.g. a file outside the project), or empty."""
        from labelmill.store.queries import sources as source_sql

        with self.store.session() as session:
            files = {
                (s.definition or {}).get("file")
                for s in source_sql.rule_sources(session, active=True)
            }
        yamls = [Path(f) for f in files if f and Path(f).suffix.lower() in (".yaml", ".yml")]
        single = yamls[0] if len(yamls) == 1 and len(files) == 1 else None
        inside = single is not None and single.resolve().is_relative_to(self.path.resolve())
        path = single if single is not None and inside else self.path / "rules.yaml"
        source = path if path.is_file() else single
        text = source.read_text(encoding="utf-8") if source is not None and source.is_file() else ""
        return path, text

    def try_rules(self, text: str) -> dict[str, Any]:
        """Try YAML rules (the text of a rule file) on the items without registering them:
        coverage, overlaps, conflicts and accuracy on people's labels per rule."""
        return views.rule_trial(
            self.store,
            self.schema,
            self._rules_from_text(text),
            hidden=tuple(self.settings.hidden_columns),
        )

    def save_rules(self, text: str, *, actor: str = "library") -> dict[str, str]:
        """Write YAML rules to :meth:`rules_file` and register them (the file is put back
        as it was when registering fails)."""
        self._rules_from_text(text)  # a syntax error stops here, nothing written
        path, _ = self.rules_file()
        before = path.read_text(encoding="utf-8") if path.is_file() else None
        _write_text(path, text)
        try:
            return self.register_rules(path, actor=actor)
        except BaseException:
            if before is None:
                path.unlink(missing_ok=True)
            else:
                _write_text(path, before)
            raise

    def _rules_from_text(self, text: str) -> list[Any]:
        from labelmill.lf import load_rules

        fd, tmp = tempfile.mkstemp(dir=self.path, prefix=".rules-", suffix=".yaml")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            rules = load_rules(tmp, classes=self.schema.classes)
        finally:
            os.unlink(tmp)
        if not rules:
            raise ConfigError("No rules in the text; write at least one under 'rules:'.")
        return rules

    def save_guidance(
        self, *, guidelines: str | None = None, class_info: dict[str, Any] | None = None
    ) -> Schema:
        """Change the guidelines and the per-class description, colour and key shown on the
        labeling card (written to ``labelmill.yaml``; checked first). ``None`` keeps a field."""
        import dataclasses

        updated = dataclasses.replace(
            self.schema,
            guidelines=self.schema.guidelines if guidelines is None else guidelines,
            class_info=self.schema.class_info if class_info is None else class_info,
        )
        config_path = self.path / CONFIG_FILE
        config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
        config["schema"] = updated.to_dict()
        _write_yaml(config_path, config)
        self.schema = updated
        return updated


def _audit_minimum(settings: ProjectSettings) -> int:
    """The audit sample the auto-accept policy needs before it can test at all, at the
    settings' target: the review queue mixes audit items in until there are this many."""
    from labelmill.quality import GuaranteePolicy, required_audit_size

    if settings.guarantee == "project":
        policy = GuaranteePolicy(settings.target_accuracy, settings.confidence)
        return policy.audit_minimum()
    return required_audit_size(
        target_accuracy=settings.target_accuracy, confidence=settings.confidence
    )


def _default_url(folder: Path) -> str:
    return f"sqlite:///{(folder / DATABASE_FILE).resolve()}"


def _write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".labelmill-", suffix=path.suffix)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def _write_yaml(path: Path, data: dict[str, Any]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".labelmill-", suffix=".yaml")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        yaml.safe_dump(data, fh, sort_keys=False, allow_unicode=True)
    os.replace(tmp, path)
