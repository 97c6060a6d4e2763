"""Alembic environment: runs the migrations on the URL the node configured."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from openline.store.tables import metadata

url = context.config.get_main_option("sqlalchemy.url")
assert url, "openline.store.database.alembic_config sets sqlalchemy.url"

if context.is_offline_mode():
    context.configure(url=url, target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    connectable = create_engine(url, poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    connectable.dispose()
