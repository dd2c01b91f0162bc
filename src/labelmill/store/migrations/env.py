"""Alembic environment of the labelmill store.

Migrations run programmatically from :func:`labelmill.store.engine.migrate`, which passes
an open connection in ``config.attributes["connection"]``; nothing here reads the
environment or an ini file.
"""

from alembic import context

from labelmill.store.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
