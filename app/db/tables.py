"""The storage shape of the catalogue. Only app.db imports this module.

The naming convention is set before any table is defined so that every constraint has a stable name:
SQLite batch migrations cannot drop an unnamed constraint.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.domain import vocabulary as v
from app.domain.vocabulary import values

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


REGIONS = values(v.Region)
MUSCLE_KINDS = values(v.MuscleKind)
ASSESSMENT_TYPES = values(v.AssessmentType)
VIEWS = values(v.View)
CHECKPOINTS = values(v.Checkpoint)
ROLES = values(v.RoleName)
LATERALITIES = values(v.LateralityName)
PHASES = values(v.PhaseName)
MODALITIES = values(v.Modality)
BODY_REGIONS = values(v.BodyRegion)
CONDITION_ACTIONS = values(v.ConditionActionName)
TEMPLATE_STATUSES = values(v.TemplateStatus)
POSITIONS = values(v.Position)
STANCES = values(v.Stance)
EFFORTS = values(v.Effort)


class Muscle(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint(_in("region", REGIONS), name="region"),
        CheckConstraint(_in("kind", MUSCLE_KINDS), name="kind"),
    )
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=120)
    region: str = Field(max_length=16)
    kind: str = Field(max_length=16)
    smr_safe: bool
    source: str = Field(max_length=200)


class MuscleMembership(SQLModel, table=True):
    __tablename__ = "muscle_membership"
    __table_args__ = (CheckConstraint("member_id <> group_id", name="not_self"),)
    member_id: int = Field(foreign_key="muscle.id", primary_key=True, ondelete="CASCADE")
    group_id: int = Field(foreign_key="muscle.id", primary_key=True, ondelete="CASCADE")


class Assessment(SQLModel, table=True):
    __table_args__ = (CheckConstraint(_in("slug", ASSESSMENT_TYPES), name="slug"),)
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(unique=True, max_length=32)
    name: str = Field(max_length=120)
    description: str
    source: str = Field(max_length=200)


class Compensation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=120)
    description: str
    is_lateral: bool
    source: str = Field(max_length=200)


class CompensationExclusion(SQLModel, table=True):
    __tablename__ = "compensation_exclusion"
    compensation_id: int = Field(foreign_key="compensation.id", primary_key=True, ondelete="CASCADE")
    excluded_id: int = Field(foreign_key="compensation.id", primary_key=True, ondelete="CASCADE")


class AssessmentCompensation(SQLModel, table=True):
    __tablename__ = "assessment_compensation"
    __table_args__ = (
        CheckConstraint(_in("view", VIEWS), name="view"),
        CheckConstraint(_in("checkpoint", CHECKPOINTS), name="checkpoint"),
    )
    assessment_id: int = Field(foreign_key="assessment.id", primary_key=True, ondelete="CASCADE")
    compensation_id: int = Field(foreign_key="compensation.id", primary_key=True, ondelete="CASCADE")
    view: str = Field(max_length=16)
    checkpoint: str = Field(max_length=16)


class Ruleset(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=200)
    description: str = ""
    is_default: bool = False
    source: str = Field(max_length=200)


class RulesetRow(SQLModel, table=True):
    __tablename__ = "ruleset_row"
    __table_args__ = (UniqueConstraint("ruleset_id", "assessment_id", "compensation_id"),)
    id: int | None = Field(default=None, primary_key=True)
    ruleset_id: int = Field(foreign_key="ruleset.id", ondelete="CASCADE")
    assessment_id: int = Field(foreign_key="assessment.id", ondelete="RESTRICT")
    compensation_id: int = Field(foreign_key="compensation.id", ondelete="RESTRICT")
    confidence: str = Field(max_length=32)
    source: str = Field(max_length=200)


class RulesetRowMuscle(SQLModel, table=True):
    __tablename__ = "ruleset_row_muscle"
    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="role"),
        CheckConstraint(_in("laterality", LATERALITIES), name="laterality"),
    )
    row_id: int = Field(foreign_key="ruleset_row.id", primary_key=True, ondelete="CASCADE")
    muscle_id: int = Field(foreign_key="muscle.id", primary_key=True, ondelete="RESTRICT")
    role: str = Field(primary_key=True, max_length=16)
    laterality: str = Field(primary_key=True, max_length=16)


class Equipment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=120)
    description: str
    source: str = Field(max_length=200)


def _unique_slug_per_owner(table: str) -> tuple[Index, Index]:
    """Slugs are unique within a tenant, and within the shared catalogue (tenant_id NULL)."""
    shared = text("tenant_id IS NULL")
    return (
        Index(f"uq_{table}_tenant_slug", "tenant_id", "slug", unique=True),
        Index(f"uq_{table}_shared_slug", "slug", unique=True, sqlite_where=shared, postgresql_where=shared),
    )


class Tenant(SQLModel, table=True):
    """A gym or an app: owns API keys, custom exercises and plan templates."""

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(unique=True, max_length=64)
    created_at: datetime
    revision: int = Field(
        default=0,
        description="Bumped by every write of the tenant's templates and exercises: what tells snapshots that this "
        "tenant's part changed (and no other tenant's).",
    )


class IdempotentWrite(SQLModel, table=True):
    """The answer to a write sent with an Idempotency-Key, stored in the write's own transaction, so that a
    retry of a committed write gets the same answer instead of a second resource or a 409."""

    __tablename__ = "idempotent_write"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", ondelete="CASCADE")
    key: str = Field(max_length=255)
    fingerprint: str = Field(max_length=64, description="SHA-256 of the method, path and body the key was sent with.")
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(index=True)


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_key"
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", ondelete="CASCADE", index=True)
    prefix: str = Field(unique=True, max_length=16)
    secret_hash: str = Field(max_length=64)
    read_only: bool = False
    created_at: datetime
    revoked_at: datetime | None = None


class Exercise(SQLModel, table=True):
    __table_args__ = (
        *_unique_slug_per_owner("exercise"),
        CheckConstraint(_in("phase", PHASES), name="phase"),
        CheckConstraint(_in("modality", MODALITIES), name="modality"),
        CheckConstraint("level BETWEEN 1 AND 3", name="level"),
        CheckConstraint("sets > 0", name="sets"),
        CheckConstraint("reps IS NULL OR reps > 0", name="reps"),
        CheckConstraint("hold_seconds IS NULL OR hold_seconds > 0", name="hold_seconds"),
        CheckConstraint("reps IS NOT NULL OR hold_seconds IS NOT NULL", name="dose"),
        CheckConstraint("rest_seconds >= 0", name="rest_seconds"),
        CheckConstraint(f"body_region IS NULL OR {_in('body_region', BODY_REGIONS)}", name="body_region"),
        CheckConstraint(_in("position", POSITIONS), name="position"),
        CheckConstraint(_in("stance", STANCES), name="stance"),
        CheckConstraint(f"effort IS NULL OR {_in('effort', EFFORTS)}", name="effort"),
    )
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int | None = Field(default=None, foreign_key="tenant.id", ondelete="CASCADE")
    slug: str = Field(max_length=80)
    name: str = Field(max_length=160)
    phase: str = Field(max_length=16, index=True)
    modality: str = Field(max_length=32)
    level: int
    unilateral: bool
    position: str = Field(max_length=16)
    stance: str = Field(max_length=16)
    supported: bool = False
    effort: str | None = Field(default=None, max_length=16)
    body_region: str | None = Field(default=None, max_length=16)
    description: str
    instructions: list[str] = Field(sa_column=Column(JSON, nullable=False))
    cues: list[str] = Field(sa_column=Column(JSON, nullable=False))
    sets: int
    reps: int | None = None
    hold_seconds: int | None = None
    tempo: str = Field(max_length=80)
    rest_seconds: int
    regression_id: int | None = Field(default=None, foreign_key="exercise.id", ondelete="SET NULL")
    progression_id: int | None = Field(default=None, foreign_key="exercise.id", ondelete="SET NULL")
    source: str = Field(max_length=200)


class ExerciseTarget(SQLModel, table=True):
    __tablename__ = "exercise_target"
    exercise_id: int = Field(foreign_key="exercise.id", primary_key=True, ondelete="CASCADE")
    muscle_id: int = Field(foreign_key="muscle.id", primary_key=True, ondelete="RESTRICT")


class ExerciseEquipment(SQLModel, table=True):
    __tablename__ = "exercise_equipment"
    exercise_id: int = Field(foreign_key="exercise.id", primary_key=True, ondelete="CASCADE")
    equipment_id: int = Field(foreign_key="equipment.id", primary_key=True, ondelete="RESTRICT")


class ExerciseTag(SQLModel, table=True):
    __tablename__ = "exercise_tag"
    exercise_id: int = Field(foreign_key="exercise.id", primary_key=True, ondelete="CASCADE")
    tag: str = Field(primary_key=True, max_length=32)


class ExerciseCompensation(SQLModel, table=True):
    __tablename__ = "exercise_compensation"
    exercise_id: int = Field(foreign_key="exercise.id", primary_key=True, ondelete="CASCADE")
    compensation_id: int = Field(foreign_key="compensation.id", primary_key=True, ondelete="RESTRICT")


class Condition(SQLModel, table=True):
    __table_args__ = (CheckConstraint(_in("action", CONDITION_ACTIONS), name="action"),)
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=120)
    description: str
    action: str = Field(max_length=16)
    excludes: list[str] = Field(sa_column=Column(JSON, nullable=False))
    message: str
    source: str = Field(max_length=200)


class LifestyleNote(SQLModel, table=True):
    __tablename__ = "lifestyle_note"
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(unique=True, max_length=64)
    title: str = Field(max_length=120)
    note: str
    always: bool = False
    when_past_injury: bool = False
    when_compensations: list[str] = Field(sa_column=Column(JSON, nullable=False))
    when_muscles_overactive: list[str] = Field(sa_column=Column(JSON, nullable=False))
    when_intake: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    source: str = Field(max_length=200)


class Policy(SQLModel, table=True):
    """Named policy documents of the knowledge base (screening rules, exercise safety), kept whole as JSON."""

    slug: str = Field(primary_key=True, max_length=64)
    document: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class PlanTemplate(SQLModel, table=True):
    __tablename__ = "plan_template"
    __table_args__ = _unique_slug_per_owner("plan_template")
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int | None = Field(default=None, foreign_key="tenant.id", ondelete="CASCADE")
    slug: str = Field(max_length=64)
    title: str = Field(max_length=120)
    description: str
    is_default: bool = False
    source: str = Field(max_length=200)
    revision: int = Field(default=0, description="Bumped by every write of one of its versions.")


class PlanTemplateVersion(SQLModel, table=True):
    __tablename__ = "plan_template_version"
    __table_args__ = (
        UniqueConstraint("template_id", "version"),
        CheckConstraint(_in("status", TEMPLATE_STATUSES), name="status"),
        CheckConstraint("version > 0", name="version"),
    )
    id: int | None = Field(default=None, primary_key=True)
    template_id: int = Field(foreign_key="plan_template.id", ondelete="CASCADE")
    version: int
    status: str = Field(max_length=16)
    body: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    revision: int = Field(default=1, description="Bumped on every edit: the ETag of optimistic concurrency.")
    created_at: datetime | None = None
    published_at: datetime | None = None
    retired_at: datetime | None = None


# The catalogue_revision row counting changes of the shared (seeded) knowledge; tenants count on their own row
# (Tenant.revision). Row 1 counted every change of anyone's, which let tenants see each other's activity.
SHARED_CHANGE = 2


class CatalogueRevision(SQLModel, table=True):
    """Counters that go up on catalogue writes, so in-memory snapshots know they are stale (and which part)."""

    __tablename__ = "catalogue_revision"
    id: int = Field(default=1, primary_key=True)
    revision: int = 0
