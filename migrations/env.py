"""Alembic environment: the URL comes from the caller (tests, CLI) or from the settings."""

from alembic import context
from sqlalchemy import pool
from sqlmodel import SQLModel

from app.config import get_settings
from app.db import tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from app.db.engine import make_engine

config = context.config
url = config.attributes.get("sqlalchemy.url") or get_settings().database_url


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=SQLModel.metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=SQLModel.metadata,
            compare_type=True,
            render_as_batch=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
