"""Alembic environment: the target metadata is SQLModel's, with every model imported."""
from alembic import context
from sqlalchemy import text
from sqlmodel import SQLModel

from workshop.db import models  # noqa: F401  (registers every table on SQLModel.metadata)
from workshop.db.engine import make_engine

config = context.config
target_metadata = SQLModel.metadata

# Several server processes start at once and each runs the migrations (AUTO_MIGRATE): on PostgreSQL
# they queue on this session-level advisory lock, and each one after the first finds the schema at
# head and does nothing (ADR 0007). Any constant works; this one spells "stormmig".
MIGRATION_LOCK_KEY = 0x73746F726D6D6967


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        locked = connection.dialect.name == "postgresql"
        if locked:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            connection.commit()  # the lock belongs to the session; the migrations get their own transaction
        try:
            context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if locked:
                connection.rollback()  # a failed migration leaves its transaction aborted
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
                connection.commit()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
