"""Writes of tenants' own exercises."""

from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, or_, select

from app.db import tables as t
from app.db.accounts import bump_tenant_revision, lock_tenant


def _ids(session: Session, table: Any, slugs: list[str]) -> list[int]:
    rows = session.exec(select(table.id, table.slug).where(col(table.slug).in_(slugs))).all()
    found = {slug: row_id for row_id, slug in rows}
    return [found[slug] for slug in slugs]


def _exercise_id(session: Session, slug: str | None, owner_id: int) -> int | None:
    if slug is None:
        return None
    query = select(t.Exercise.id).where(
        t.Exercise.slug == slug, or_(col(t.Exercise.tenant_id).is_(None), t.Exercise.tenant_id == owner_id)
    )
    return session.exec(query.order_by(col(t.Exercise.tenant_id).desc())).first()


def count_exercises(session: Session, owner_id: int) -> int:
    """How many exercises the tenant owns, with its row locked so that concurrent creates count in turn."""
    lock_tenant(session, owner_id)
    return session.exec(select(func.count()).select_from(t.Exercise).where(t.Exercise.tenant_id == owner_id)).one()


def insert_exercise(
    session: Session, owner_id: int, values: dict[str, Any], links: dict[str, Any], source: str
) -> None:
    """Store one custom exercise with its targets, equipment, tags and compensations (all already validated)."""
    row = t.Exercise(
        tenant_id=owner_id,
        regression_id=_exercise_id(session, links["regression"], owner_id),
        progression_id=_exercise_id(session, links["progression"], owner_id),
        source=source,
        **values,
    )
    session.add(row)
    session.flush()
    exercise_id = row.id or 0
    for muscle_id in _ids(session, t.Muscle, links["targets"]):
        session.add(t.ExerciseTarget(exercise_id=exercise_id, muscle_id=muscle_id))
    for equipment_id in _ids(session, t.Equipment, links["equipment"]):
        session.add(t.ExerciseEquipment(exercise_id=exercise_id, equipment_id=equipment_id))
    for compensation_id in _ids(session, t.Compensation, links["for_compensations"]):
        session.add(t.ExerciseCompensation(exercise_id=exercise_id, compensation_id=compensation_id))
    for tag in links["tags"]:
        session.add(t.ExerciseTag(exercise_id=exercise_id, tag=tag))
    session.flush()
    bump_tenant_revision(session, owner_id)
