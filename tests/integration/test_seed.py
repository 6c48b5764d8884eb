"""`ceplan seed` is an idempotent upsert: a second run changes nothing, an edited file updates its rows."""

import shutil
from pathlib import Path

import pytest
import yaml
from sqlmodel import Session, select

from app.db import tables as t
from app.db.engine import make_engine
from app.db.migrate import upgrade
from app.db.seed import seed_database
from app.db.seed_checks import reference_errors
from app.db.seed_files import SeedError, read_seed
from tests.conftest import SEED_DIR
from tests.databases import scratch_database


def _seed(url: str, seed_dir: Path) -> list[str]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            report = seed_database(session, seed_dir)
            session.commit()
            return report.lines() + (["touched"] if report.touched else [])
    finally:
        engine.dispose()


def test_seed_files_are_consistent() -> None:
    assert reference_errors(read_seed(SEED_DIR)) == []


def test_second_seed_changes_nothing_and_an_edit_updates_only_its_row(tmp_path: Path) -> None:
    seed_copy = tmp_path / "seed"
    shutil.copytree(SEED_DIR, seed_copy)
    with scratch_database(tmp_path) as url:
        upgrade(url)
        first = _seed(url, seed_copy)
        assert "touched" in first
        assert any(line.startswith("exercise: ") and " 0 added" not in line for line in first)

        second = _seed(url, seed_copy)
        assert "touched" not in second
        assert all(" 0 added, 0 changed" in line for line in second if ":" in line)

        equipment_file = seed_copy / "equipment.yaml"
        items = yaml.safe_load(equipment_file.read_text())
        items[0]["name"] = "Foam roller (edited)"
        equipment_file.write_text(yaml.safe_dump(items))
        third = _seed(url, seed_copy)
        assert "equipment: 0 added, 1 changed" in " ".join(third)
        assert "exercise: 0 added, 0 changed" in " ".join(third)

        engine = make_engine(url)
        with Session(engine) as session:
            names = session.exec(select(t.Equipment.name).where(t.Equipment.slug == items[0]["slug"])).all()
            revision = session.get(t.CatalogueRevision, t.SHARED_CHANGE)
        engine.dispose()
        assert names == ["Foam roller (edited)"]
        assert revision is not None and revision.revision == 2


def test_a_dangling_reference_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    seed_copy = tmp_path / "seed"
    shutil.copytree(SEED_DIR, seed_copy)
    muscles_file = seed_copy / "muscles.yaml"
    muscles = yaml.safe_load(muscles_file.read_text())
    muscles[0]["member_of"] = ["no_such_group"]
    muscles_file.write_text(yaml.safe_dump(muscles))
    with scratch_database(tmp_path) as url:
        upgrade(url)
        with pytest.raises(SeedError, match="unknown group 'no_such_group'"):
            _seed(url, seed_copy)
        engine = make_engine(url)
        with Session(engine) as session:
            assert session.exec(select(t.Muscle)).first() is None
        engine.dispose()
