"""Bring a database to the current schema and knowledge base: migrate, then seed."""

from pathlib import Path

from sqlmodel import Session

from app.db.engine import make_engine
from app.db.migrate import upgrade
from app.db.seed import SeedReport, seed_database


def seed(url: str, seed_dir: Path) -> SeedReport:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            report = seed_database(session, seed_dir)
            session.commit()
        return report
    finally:
        engine.dispose()


def prepare_database(url: str, seed_dir: Path) -> SeedReport:
    upgrade(url)
    return seed(url, seed_dir)
