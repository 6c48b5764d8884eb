"""Migrations build exactly the schema the models describe, and fully reverse."""

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from app.db import tables  # noqa: F401  (registers the tables)
from app.db.engine import make_engine
from app.db.migrate import downgrade, upgrade
from tests.databases import scratch_database


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_creates_every_table_and_downgrade_removes_them(tmp_path: Path) -> None:
    with scratch_database(tmp_path) as url:
        upgrade(url)
        assert _tables(url) == set(SQLModel.metadata.tables)
        downgrade(url, "base")
        assert _tables(url) == set()
        upgrade(url)
        assert _tables(url) == set(SQLModel.metadata.tables)


def test_migrated_schema_matches_the_models(tmp_path: Path) -> None:
    with scratch_database(tmp_path) as url:
        upgrade(url)
        engine = make_engine(url)
        try:
            with engine.connect() as connection:
                context = MigrationContext.configure(connection, opts={"compare_type": True})
                differences = compare_metadata(context, SQLModel.metadata)
        finally:
            engine.dispose()
        assert differences == []
