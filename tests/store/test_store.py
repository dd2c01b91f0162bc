"""The store on SQLite and PostgreSQL: migrations, settings, append-only votes."""

from pathlib import Path

import pytest
import sqlalchemy as sa

from labelmill.exceptions import ProjectError
from labelmill.store import Base, Counter, Item, Label, Source, Store, Vote
from labelmill.store.engine import HEAD_REVISION


def _store(db_url, tmp_path: Path) -> Store:
    store = Store(db_url or f"sqlite:///{tmp_path / 'x.db'}")
    store.migrate()
    return store


def test_migrate_creates_every_table_and_is_idempotent(db_url, tmp_path):
    store = _store(db_url, tmp_path)
    store.migrate()
    names = set(sa.inspect(store.engine).get_table_names())
    assert set(Base.metadata.tables) <= names
    with store.session() as s:
        assert (
            s.execute(sa.text("select version_num from alembic_version")).scalar() == HEAD_REVISION
        )
    store.dispose()


def test_models_match_the_migrations(db_url, tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    store = _store(db_url, tmp_path)
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    store.dispose()
    assert diff == [], f"models and migrations differ; write a migration: {diff}"


def test_head_revision_constant_matches_scripts():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    import labelmill.store.engine as engine

    config = Config()
    config.set_main_option("script_location", str(engine._MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD_REVISION


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    store = _store(None, tmp_path)
    with store.session() as s:
        assert s.execute(sa.text("pragma journal_mode")).scalar() == "wal"
        assert s.execute(sa.text("pragma foreign_keys")).scalar() == 1
    with pytest.raises(sa.exc.IntegrityError), store.session() as s:
        s.add(Vote(item_pk=12345, source_id=999, label=1))
    store.dispose()


def test_failed_transaction_leaves_nothing(db_url, tmp_path):
    store = _store(db_url, tmp_path)
    with pytest.raises(RuntimeError), store.session() as s:
        s.add(Item(item_id="a", payload="x", content_hash="h", random_key=0.5))
        s.flush()
        raise RuntimeError("boom")
    with store.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Item)) == 0
    store.dispose()


def test_votes_are_appended_and_labels_reference_items(db_url, tmp_path):
    store = _store(db_url, tmp_path)
    with store.session() as s:
        item = Item(item_id="a", payload="hello", content_hash="h", random_key=0.1)
        src = Source(kind="human", name="ann", version="1")
        s.add_all([item, src])
        s.flush()
        s.add(Label(item_pk=item.pk, label=-1, status="unlabeled"))
        s.add_all(
            [
                Vote(item_pk=item.pk, source_id=src.id, label=0),
                Vote(item_pk=item.pk, source_id=src.id, label=1),
            ]
        )
    with store.session() as s:
        labels = s.scalars(sa.select(Vote.label).order_by(Vote.id)).all()
    assert labels == [0, 1]
    store.dispose()


def test_unreachable_database_is_a_clear_error(tmp_path):
    store = Store("sqlite:////nonexistent-folder/sub/x.db")
    with pytest.raises(ProjectError, match="Cannot open the database"):
        store.migrate()


def test_bad_url_is_a_clear_error():
    with pytest.raises(ProjectError, match="Cannot use the database URL"):
        Store("notadb://x")


def test_upgrade_from_0001_ranks_items_and_counts_answers(db_url, tmp_path):
    """Revision 0002 gives items that no round ranked ``random_key - 1``, so that the review
    queue serves them in the fixed random order, below any ranked item; and it counts the
    answers people gave per queue into ``counters``."""
    from alembic import command
    from alembic.config import Config

    import labelmill.store.engine as engine

    store = Store(db_url or f"sqlite:///{tmp_path / 'old.db'}")
    config = Config()
    config.set_main_option("script_location", str(engine._MIGRATIONS))
    with store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
    with store.session() as s:
        for name, key, priority in (("a", 0.25, None), ("b", 0.75, None), ("c", 0.5, 0.9)):
            item = Item(item_id=name, payload=name, content_hash=name, random_key=key)
            s.add(item)
            s.flush()
            s.add(Label(item_pk=item.pk, label=-1, status="review", priority=priority))
        ann, rule = Source(kind="human", name="ann"), Source(kind="rule", name="r")
        s.add_all([ann, rule])
        s.flush()
        for queue, label, source in (
            ("review", 1, ann),
            ("review", -1, ann),
            ("audit", 0, ann),
            ("audit", 1, ann),
            ("audit", 1, ann),
            (None, 1, rule),
        ):
            s.add(Vote(item_pk=item.pk, source_id=source.id, label=label, queue=queue))
    store.migrate()
    with store.session() as s:
        rows = dict(s.execute(sa.select(Item.item_id, Label.priority).join(Label)).tuples().all())
        counts = dict(s.execute(sa.select(Counter.name, Counter.value)).tuples().all())
    store.dispose()
    assert rows == {"a": -0.75, "b": -0.25, "c": 0.9}
    assert counts == {"answers:review": 1, "answers:audit": 3}
