"""Load seed/ into the database: an idempotent upsert keyed by slug.

A second run changes nothing; an edited file updates exactly the rows it describes. Every change bumps the
catalogue revision so running servers rebuild their in-memory snapshot.
"""

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import update
from sqlmodel import Session, SQLModel, col, delete, select

from app.db import tables as t
from app.db.seed_checks import reference_errors
from app.db.seed_files import SeedBundle, SeedError, read_seed

Row = TypeVar("Row", bound=SQLModel)


@dataclass
class SeedReport:
    added: Counter[str] = field(default_factory=Counter)
    changed: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    @property
    def touched(self) -> bool:
        return bool(self.added or self.changed)

    def record(self, table: str, outcome: str) -> None:
        getattr(self, outcome)[table] += 1

    def lines(self) -> list[str]:
        tables = sorted(set(self.added) | set(self.changed) | set(self.unchanged))
        rows = [
            f"{table}: {self.added[table]} added, {self.changed[table]} changed, {self.unchanged[table]} unchanged"
            for table in tables
        ]
        return rows + self.notes


class _Seeder:
    def __init__(self, session: Session, report: SeedReport) -> None:
        self.session = session
        self.report = report
        self.ids: dict[type[SQLModel], dict[str, int]] = {}

    def upsert(self, table: type[Row], values: dict[str, Any], links_changed: bool = False) -> Row:
        """Insert or update the row whose natural key is values['slug']; record what happened."""
        slug = values["slug"]
        query = select(table).where(table.slug == slug)  # type: ignore[attr-defined]
        if hasattr(table, "tenant_id"):
            query = query.where(table.tenant_id.is_(None))  # type: ignore[attr-defined]  # seed owns the shared rows
        row = self.session.exec(query).first()
        name = str(table.__tablename__)
        if row is None:
            row = table(**values)
            self.session.add(row)
            outcome = "added"
        else:
            differs = {k: v for k, v in values.items() if getattr(row, k) != v}
            for key, value in differs.items():
                setattr(row, key, value)
            outcome = "changed" if differs or links_changed else "unchanged"
        self.session.flush()
        self.ids.setdefault(table, {})[slug] = row.id  # type: ignore[attr-defined]
        self.report.record(name, outcome)
        return row

    def sync_links(self, table: type[SQLModel], parent: str, parent_id: int, wanted: Iterable[dict[str, Any]]) -> bool:
        """Make the link rows of one parent exactly `wanted`; return whether anything changed."""
        parent_column = getattr(table, parent)
        existing = self.session.exec(select(table).where(parent_column == parent_id)).all()
        wanted_rows = {tuple(sorted({parent: parent_id, **w}.items())) for w in wanted}
        have_rows = {tuple(sorted(row.model_dump().items())) for row in existing}
        if wanted_rows == have_rows:
            return False
        self.session.exec(delete(table).where(parent_column == parent_id))
        for values in wanted_rows:
            self.session.add(table(**dict(values)))
        self.session.flush()
        return True

    def id_of(self, table: type[SQLModel], slug: str) -> int:
        return self.ids[table][slug]


def seed_database(session: Session, seed_dir: Path) -> SeedReport:
    bundle = read_seed(seed_dir)
    problems = reference_errors(bundle)
    if problems:
        raise SeedError(problems)
    report = SeedReport()
    seeder = _Seeder(session, report)
    _seed_equipment(seeder, bundle)
    _seed_muscles(seeder, bundle)
    _seed_assessments(seeder, bundle)
    _seed_compensations(seeder, bundle)
    _seed_rulesets(seeder, bundle)
    _seed_exercises(seeder, bundle)
    _seed_conditions(seeder, bundle)
    _seed_lifestyle(seeder, bundle)
    _seed_policy(seeder, bundle)
    _seed_templates(seeder, bundle)
    if report.touched:
        bump_shared_revision(session)
    return report


def bump_shared_revision(session: Session) -> None:
    """Count one more change of the seeded knowledge, which makes snapshots read all of it again. An atomic
    UPDATE: concurrent writers never lose an increment. (Tenants' writes count on their own row: see
    app.db.accounts.bump_tenant_revision.)"""
    result = session.exec(
        update(t.CatalogueRevision)
        .where(col(t.CatalogueRevision.id) == t.SHARED_CHANGE)
        .values(revision=t.CatalogueRevision.revision + 1)
    )
    if result.rowcount == 0:
        session.add(t.CatalogueRevision(id=t.SHARED_CHANGE, revision=1))
    session.flush()


def _seed_equipment(seeder: _Seeder, bundle: SeedBundle) -> None:
    for item in bundle.equipment:
        seeder.upsert(t.Equipment, item.model_dump())


def _seed_muscles(seeder: _Seeder, bundle: SeedBundle) -> None:
    rows = {m.slug: seeder.upsert(t.Muscle, m.model_dump(exclude={"member_of"})) for m in bundle.muscles}
    for muscle in bundle.muscles:
        groups = [{"group_id": seeder.id_of(t.Muscle, g)} for g in muscle.member_of]
        if seeder.sync_links(t.MuscleMembership, "member_id", rows[muscle.slug].id or 0, groups):
            _mark_changed(seeder, "muscle")


def _mark_changed(seeder: _Seeder, table: str) -> None:
    # A link change on a row first counted as unchanged makes it changed.
    report = seeder.report
    if report.unchanged[table]:
        report.unchanged[table] -= 1
        report.changed[table] += 1


def _seed_assessments(seeder: _Seeder, bundle: SeedBundle) -> None:
    for item in bundle.assessments:
        seeder.upsert(t.Assessment, item.model_dump())


def _seed_compensations(seeder: _Seeder, bundle: SeedBundle) -> None:
    for item in bundle.compensations:
        values = item.model_dump(exclude={"excludes", "assessments", "lateral"})
        seeder.upsert(t.Compensation, {**values, "is_lateral": item.lateral})
    for item in bundle.compensations:
        comp_id = seeder.id_of(t.Compensation, item.slug)
        placements = [
            {
                "assessment_id": seeder.id_of(t.Assessment, p.assessment),
                "view": p.view,
                "checkpoint": p.checkpoint,
            }
            for p in item.assessments
        ]
        exclusions = [{"excluded_id": seeder.id_of(t.Compensation, slug)} for slug in item.excludes]
        changed = seeder.sync_links(t.AssessmentCompensation, "compensation_id", comp_id, placements)
        changed |= seeder.sync_links(t.CompensationExclusion, "compensation_id", comp_id, exclusions)
        if changed:
            _mark_changed(seeder, "compensation")


def _seed_rulesets(seeder: _Seeder, bundle: SeedBundle) -> None:
    session = seeder.session
    for ruleset in bundle.rulesets:
        values = ruleset.model_dump(include={"slug", "name", "description", "source"})
        row = seeder.upsert(t.Ruleset, {**values, "is_default": ruleset.default})
        ruleset_id = row.id or 0
        wanted_keys = set()
        rows_changed = False
        for item in ruleset.rows:
            key = (
                seeder.id_of(t.Assessment, item.assessment),
                seeder.id_of(t.Compensation, item.compensation),
            )
            wanted_keys.add(key)
            db_row = session.exec(
                select(t.RulesetRow).where(
                    t.RulesetRow.ruleset_id == ruleset_id,
                    t.RulesetRow.assessment_id == key[0],
                    t.RulesetRow.compensation_id == key[1],
                )
            ).first()
            if db_row is None:
                db_row = t.RulesetRow(
                    ruleset_id=ruleset_id,
                    assessment_id=key[0],
                    compensation_id=key[1],
                    confidence=item.confidence,
                    source=item.source,
                )
                session.add(db_row)
                rows_changed = True
            elif (db_row.confidence, db_row.source) != (item.confidence, item.source):
                db_row.confidence, db_row.source = item.confidence, item.source
                rows_changed = True
            session.flush()
            muscles = [
                {"muscle_id": seeder.id_of(t.Muscle, slug), "role": role, "laterality": laterality}
                for role, sided in (("overactive", item.overactive), ("underactive", item.underactive))
                for laterality, slugs in sided.model_dump().items()
                for slug in slugs
            ]
            rows_changed |= seeder.sync_links(t.RulesetRowMuscle, "row_id", db_row.id or 0, muscles)
        stale = [
            r
            for r in session.exec(select(t.RulesetRow).where(t.RulesetRow.ruleset_id == ruleset_id)).all()
            if (r.assessment_id, r.compensation_id) not in wanted_keys
        ]
        for stale_row in stale:
            session.delete(stale_row)
            rows_changed = True
        session.flush()
        if rows_changed:
            _mark_changed(seeder, "ruleset")


def _seed_exercises(seeder: _Seeder, bundle: SeedBundle) -> None:
    for item in bundle.exercises:
        values = item.model_dump(
            exclude={
                "targets",
                "equipment",
                "tags",
                "regression",
                "progression",
                "defaults",
                "region",
                "for_compensations",
            }
        )
        seeder.upsert(t.Exercise, {**values, **item.defaults.model_dump(), "body_region": item.region})
    for item in bundle.exercises:
        exercise_id = seeder.id_of(t.Exercise, item.slug)
        row = seeder.session.get(t.Exercise, exercise_id)
        assert row is not None
        links = {
            "regression_id": seeder.id_of(t.Exercise, item.regression) if item.regression else None,
            "progression_id": seeder.id_of(t.Exercise, item.progression) if item.progression else None,
        }
        changed = any(getattr(row, key) != value for key, value in links.items())
        for key, value in links.items():
            setattr(row, key, value)
        changed |= seeder.sync_links(
            t.ExerciseTarget,
            "exercise_id",
            exercise_id,
            [{"muscle_id": seeder.id_of(t.Muscle, slug)} for slug in item.targets],
        )
        changed |= seeder.sync_links(
            t.ExerciseEquipment,
            "exercise_id",
            exercise_id,
            [{"equipment_id": seeder.id_of(t.Equipment, slug)} for slug in item.equipment],
        )
        changed |= seeder.sync_links(t.ExerciseTag, "exercise_id", exercise_id, [{"tag": tag} for tag in item.tags])
        changed |= seeder.sync_links(
            t.ExerciseCompensation,
            "exercise_id",
            exercise_id,
            [{"compensation_id": seeder.id_of(t.Compensation, slug)} for slug in item.for_compensations],
        )
        if changed:
            _mark_changed(seeder, "exercise")
    seeder.session.flush()


def _seed_conditions(seeder: _Seeder, bundle: SeedBundle) -> None:
    for item in bundle.conditions:
        seeder.upsert(t.Condition, item.model_dump())


def _seed_lifestyle(seeder: _Seeder, bundle: SeedBundle) -> None:
    for item in bundle.lifestyle:
        seeder.upsert(t.LifestyleNote, item.model_dump())


def _seed_policy(seeder: _Seeder, bundle: SeedBundle) -> None:
    session = seeder.session
    documents = (
        ("screening", bundle.screening),
        ("exercise_safety", bundle.exercise_safety),
        ("mobility_tests", bundle.mobility_tests),
    )
    for slug, content in documents:
        # Compare in stored form: JSON turns YAML's integer keys (trimesters) into strings.
        document = json.loads(content.model_dump_json())
        policy = session.get(t.Policy, slug)
        if policy is None:
            session.add(t.Policy(slug=slug, document=document))
            seeder.report.record("policy", "added")
        elif policy.document != document:
            policy.document = document
            seeder.report.record("policy", "changed")
        else:
            seeder.report.record("policy", "unchanged")
    session.flush()


def _seed_templates(seeder: _Seeder, bundle: SeedBundle) -> None:
    session = seeder.session
    for template in bundle.templates:
        values = template.model_dump(include={"slug", "title", "description", "source"})
        row = seeder.upsert(t.PlanTemplate, {**values, "is_default": template.default})
        for version in template.versions:
            body = version.model_dump(mode="json", include={"modes", "source"})
            existing = session.exec(
                select(t.PlanTemplateVersion).where(
                    t.PlanTemplateVersion.template_id == row.id,
                    col(t.PlanTemplateVersion.version) == version.version,
                )
            ).first()
            label = f"plan template {template.slug} v{version.version}"
            if existing is None:
                published_at = datetime.now(UTC) if version.status == "published" else None
                session.add(
                    t.PlanTemplateVersion(
                        template_id=row.id or 0,
                        version=version.version,
                        status=version.status,
                        body=body,
                        published_at=published_at,
                    )
                )
                seeder.report.record("plan_template_version", "added")
            elif existing.body != body and existing.status != "draft":
                # A published version is immutable: a plan made with it must stay reproducible.
                seeder.report.notes.append(
                    f"{label} is {existing.status} and was left unchanged; publish a new version"
                )
                seeder.report.record("plan_template_version", "unchanged")
            elif existing.body != body or existing.status != version.status:
                existing.body, existing.status = body, version.status
                seeder.report.record("plan_template_version", "changed")
            else:
                seeder.report.record("plan_template_version", "unchanged")
        session.flush()
