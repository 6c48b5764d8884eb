"""Run Alembic migrations from code (the CLI, the app's start-up and the tests share this)."""

from pathlib import Path

from alembic import command
from alembic.config import Config

SOURCE_ROOT = Path(__file__).resolve().parents[2]


def project_root() -> Path:
    """The folder holding pyproject.toml and migrations/: the working directory (an installed package, as in
    the container) or else the source tree this module was loaded from (a checkout)."""
    for candidate in (Path.cwd(), SOURCE_ROOT):
        if (candidate / "pyproject.toml").is_file() and (candidate / "migrations").is_dir():
            return candidate
    raise FileNotFoundError("no pyproject.toml with a migrations/ folder beside it; run from the project folder")


def alembic_config(url: str) -> Config:
    config = Config(toml_file=str(project_root() / "pyproject.toml"))
    config.attributes["sqlalchemy.url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)
