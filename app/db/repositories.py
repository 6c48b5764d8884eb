"""All reads of the catalogue: rows in, domain values out. Nothing outside app.db sees a table."""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from app.db import tables as t
from app.domain import model as m
from app.domain.catalogue import Catalogue


@dataclass(frozen=True)
class Revisions:
    """Where the stored catalogue is: the seeded knowledge's counter, and each tenant's with content of its own."""

    shared: int
    tenants: Mapping[str, tuple[int, int]]  # slug -> (row id, revision)


def read_revisions(session: Session) -> Revisions:
    shared = session.get(t.CatalogueRevision, t.SHARED_CHANGE)
    query = select(t.Tenant.slug, t.Tenant.id, t.Tenant.revision).where(col(t.Tenant.revision) > 0)
    return Revisions(shared.revision if shared else 0, {slug: (i or 0, r) for slug, i, r in session.exec(query)})


def begin_consistent_read(session: Session) -> None:
    """Make every following SELECT of the session see one committed state of the database.

    A snapshot is read in several queries; a write landing between two of them (a template created after its
    versions were read) would otherwise pair rows of two states. PostgreSQL gets REPEATABLE READ for the
    transaction; SQLite's driver starts no transaction before a SELECT, so one is begun explicitly (in WAL mode a
    read transaction sees the database as of its first read, and blocks no writer)."""
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql("BEGIN")
    else:
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def _pairs(session: Session, table: type[Any], left: str, right: str, lefts: Any | None = None) -> dict[int, list[int]]:
    """The link table as left id -> right ids; only the given left ids (a subquery) when `lefts` is set."""
    query = select(getattr(table, left), getattr(table, right))
    if lefts is not None:
        query = query.where(col(getattr(table, left)).in_(lefts))
    grouped: dict[int, list[int]] = defaultdict(list)
    for left_id, right_id in session.exec(query).all():
        grouped[left_id].append(right_id)
    return grouped


@dataclass
class _Shared:
    """The seeded knowledge, read once per shared-knowledge revision."""

    revision: int
    muscle_slug: dict[Any, str]
    compensation_slug: dict[Any, str]
    equipment_slug: dict[Any, str]
    parts: dict[str, Any]  # Catalogue.build's arguments for the shared knowledge
    exercises: list[m.Exercise]

    @property
    def safety(self) -> m.ExerciseSafety | None:
        safety: m.ExerciseSafety | None = self.parts["safety"]
        return safety


@dataclass(frozen=True)
class _Body:
    """A template version's stored body, parsed."""

    modes: dict[str, m.ModeVariables]
    source: str

    @classmethod
    def parse(cls, body: Mapping[str, Any]) -> "_Body":
        modes = {
            mode: m.ModeVariables(
                frequency_per_week=spec["frequency_per_week"],
                reassess_after_weeks=spec["reassess_after_weeks"],
                transition_seconds=spec["transition_seconds"],
                phases={m.Phase(phase): m.PhaseVariables(**values) for phase, values in spec["phases"].items()},
            )
            for mode, spec in body["modes"].items()
        }
        return cls(modes, body["source"])


@dataclass(frozen=True)
class TenantPart:
    """A tenant's own exercises and template versions, as of the tenant's revision."""

    revision: int
    exercises: tuple[m.Exercise, ...]
    templates: tuple[m.TemplateVersion, ...]


@dataclass(frozen=True)
class StoredCatalogue:
    """The stored catalogue as the parts snapshots are built from: the seeded knowledge (what every caller sees,
    and all an anonymous caller sees) and each tenant's own part. A tenant's view is the shared catalogue plus
    its own part, so one tenant's writes change no other caller's view."""

    shared: Catalogue
    tenants: Mapping[str, TenantPart]
    parts: Mapping[str, Any]  # Catalogue.build's arguments of the seeded knowledge
    shared_templates: tuple[m.TemplateVersion, ...]

    def revision(self, tenant: str | None) -> int:
        """The view's revision: it goes up whenever the seeded knowledge or the tenant's own part changes."""
        part = self.tenants.get(tenant) if tenant else None
        return self.shared.revision + (part.revision if part else 0)

    def view(self, tenant: str | None) -> Catalogue:
        """The catalogue the tenant sees (built anew: the store keeps the built views)."""
        part = self.tenants.get(tenant) if tenant else None
        if part is None:
            return self.shared
        return Catalogue.build(
            revision=self.revision(tenant),
            shared_revision=self.shared.revision,
            exercises=[*self.shared.exercises.values(), *part.exercises],
            templates=[*self.shared_templates, *part.templates],
            default_template=self.shared.default_template,
            owner=tenant,
            **self.parts,
        )


@dataclass
class CatalogueLoader:
    """Reads the stored catalogue, and on the next read only what changed since the last one.

    The seeded knowledge changes only when `ceplan seed` runs; tenants write templates and exercises while the
    server runs (many a minute under load). So the seeded part is read again only when its revision moved, and a
    tenant's part only when that tenant's revision moved; within it, exercises (never edited) only when new ones
    appeared, and a template's versions only when that template's revision moved. Every load is one consistent
    read.
    """

    _stored: StoredCatalogue | None = None
    _shared: _Shared | None = None
    _custom: dict[int, m.Exercise] = field(default_factory=dict)  # tenants' exercises, by row id
    _templates: dict[int, "_TemplateEntry"] = field(default_factory=dict)  # by template row id

    def load(self, session: Session) -> StoredCatalogue:
        begin_consistent_read(session)
        revisions = read_revisions(session)
        if self._shared is None or self._shared.revision != revisions.shared:
            self._stored, self._custom, self._templates = None, {}, {}  # first: a failed read leaves nothing half-new
            self._shared = _load_shared(session, revisions.shared)
        shared, stored = self._shared, self._stored
        if stored is None:
            templates = tuple(self._template_versions(session, None, None))
            catalogue = Catalogue.build(
                revision=shared.revision,
                shared_revision=shared.revision,
                exercises=shared.exercises,
                templates=templates,
                default_template=_default_template(session),
                **shared.parts,
            )
            stored = StoredCatalogue(catalogue, {}, shared.parts, templates)
        tenants = {
            slug: part
            if (part := stored.tenants.get(slug)) is not None and part.revision == revision
            else self._tenant_part(session, shared, owner_id, slug, revision)
            for slug, (owner_id, revision) in revisions.tenants.items()
        }
        if tenants.keys() != stored.tenants.keys() or any(p is not stored.tenants[s] for s, p in tenants.items()):
            stored = replace(stored, tenants=tenants)
        self._stored = stored
        return stored

    def _tenant_part(self, session: Session, shared: _Shared, owner_id: int, slug: str, revision: int) -> TenantPart:
        own = col(t.Exercise.tenant_id) == owner_id
        stored = {eid or 0 for eid in session.exec(select(t.Exercise.id).where(own))}
        kept = {eid: e for eid, e in self._custom.items() if e.owner != slug or eid in stored}
        new = stored - kept.keys()
        if new:
            kept |= _exercises(session, shared, col(t.Exercise.id).in_(new))
        self._custom = kept
        exercises = tuple(kept[eid] for eid in sorted(stored))
        return TenantPart(revision, exercises, tuple(self._template_versions(session, owner_id, slug)))

    def _template_versions(self, session: Session, owner_id: int | None, owner: str | None) -> list[m.TemplateVersion]:
        """The versions of the shared templates (owner None) or of one tenant's. A template's versions are read
        again only when its own revision moved: a tenant's edit of one draft re-reads that template alone."""
        template = t.PlanTemplate
        owned = col(template.tenant_id).is_(None) if owner_id is None else template.tenant_id == owner_id
        rows = session.exec(select(template.id, template.slug, template.title, template.revision).where(owned))
        kept: dict[int, _TemplateEntry] = {}
        stale: dict[int, tuple[str, str, int]] = {}
        for row_id, slug, title, revision in rows:
            entry = self._templates.get(row_id or 0)
            if entry is not None and entry.revision == revision:
                kept[row_id or 0] = entry
            else:
                stale[row_id or 0] = (slug, title, revision)
        if stale:
            version = t.PlanTemplateVersion
            columns = select(version.template_id, version.version, version.status, version.body)
            read: dict[int, list[m.TemplateVersion]] = defaultdict(list)
            for template_id, number, status, body in session.exec(columns.where(col(version.template_id).in_(stale))):
                slug, title, _revision = stale[template_id]
                parsed = _Body.parse(body)
                read[template_id].append(
                    m.TemplateVersion(slug, title, number, status, parsed.modes, parsed.source, owner)
                )
            for template_id, (_slug, _title, revision) in stale.items():
                kept[template_id] = _TemplateEntry(revision, owner_id, tuple(read[template_id]))
        # This owner's deleted templates leave the cache; other owners' entries stay as they are.
        self._templates = {k: e for k, e in self._templates.items() if e.owner_id != owner_id} | kept
        return [v for template_id in sorted(kept) for v in kept[template_id].versions]


@dataclass(frozen=True)
class _TemplateEntry:
    """One template's versions as last read, and the template's revision then."""

    revision: int
    owner_id: int | None
    versions: tuple[m.TemplateVersion, ...]


def _default_template(session: Session) -> str:
    query = select(t.PlanTemplate.slug).where(t.PlanTemplate.is_default, col(t.PlanTemplate.tenant_id).is_(None))
    return session.exec(query).first() or ""


def load_catalogue(session: Session, tenant: str | None = None) -> Catalogue:
    """Read the whole knowledge base into one immutable snapshot: what `tenant` (or an anonymous caller) sees."""
    return CatalogueLoader().load(session).view(tenant)


def _load_shared(session: Session, revision: int) -> _Shared:
    """The seeded knowledge: a few hundred rows, one pass per table."""
    muscles = {row.id: row for row in session.exec(select(t.Muscle)).all()}
    muscle_slug = {mid: row.slug for mid, row in muscles.items()}
    compensations = {row.id: row for row in session.exec(select(t.Compensation)).all()}
    comp_slug = {cid: row.slug for cid, row in compensations.items()}
    assessments = {row.id: row for row in session.exec(select(t.Assessment)).all()}
    equipment = {row.id: row for row in session.exec(select(t.Equipment)).all()}
    safety = _safety(session)
    shared = _Shared(
        revision,
        muscle_slug,
        comp_slug,
        {eid: row.slug for eid, row in equipment.items()},
        parts={
            "muscles": _muscles(session, muscles, muscle_slug),
            "assessments": [m.Assessment(a.slug, a.name, a.description, a.source) for a in assessments.values()],
            "compensations": _compensations(session, compensations, comp_slug, assessments),
            "rulesets": _rulesets(session, muscle_slug, comp_slug, assessments),
            "equipment": [m.Equipment(e.slug, e.name, e.description, e.source) for e in equipment.values()],
            "conditions": [
                m.Condition(
                    c.slug,
                    c.name,
                    c.description,
                    m.ConditionAction(c.action),
                    tuple(c.excludes),
                    c.message,
                    c.source,
                )
                for c in session.exec(select(t.Condition)).all()
            ],
            "lifestyle": [
                m.LifestyleNote(
                    n.slug,
                    n.title,
                    n.note,
                    n.always,
                    n.when_past_injury,
                    tuple(n.when_compensations),
                    tuple(n.when_muscles_overactive),
                    n.source,
                    _intake_trigger(n.when_intake),
                )
                for n in session.exec(select(t.LifestyleNote).order_by(t.LifestyleNote.slug)).all()
            ],
            "screening": _screening(session),
            "safety": safety,
            "mobility_tests": _mobility_tests(session),
        },
        exercises=[],
    )
    shared.exercises = list(_exercises(session, shared, col(t.Exercise.tenant_id).is_(None)).values())
    return shared


def _muscles(session: Session, rows: dict[Any, t.Muscle], slug: dict[Any, str]) -> list[m.Muscle]:
    groups = _pairs(session, t.MuscleMembership, "member_id", "group_id")
    return [
        m.Muscle(
            r.slug,
            r.name,
            r.region,
            r.kind,
            tuple(sorted(slug[g] for g in groups[mid])),
            r.smr_safe,
            r.source,
        )
        for mid, r in rows.items()
    ]


def _compensations(
    session: Session,
    rows: dict[Any, t.Compensation],
    slug: dict[Any, str],
    assessments: dict[Any, t.Assessment],
) -> list[m.Compensation]:
    excludes = _pairs(session, t.CompensationExclusion, "compensation_id", "excluded_id")
    placements: dict[int, list[m.Placement]] = defaultdict(list)
    for p in session.exec(select(t.AssessmentCompensation)).all():
        placements[p.compensation_id].append(m.Placement(assessments[p.assessment_id].slug, p.view, p.checkpoint))
    return [
        m.Compensation(
            r.slug,
            r.name,
            r.description,
            r.is_lateral,
            tuple(sorted(slug[e] for e in excludes[cid])),
            tuple(sorted(placements[cid], key=lambda p: p.assessment)),
            r.source,
        )
        for cid, r in rows.items()
    ]


def _rulesets(
    session: Session,
    muscle_slug: dict[Any, str],
    comp_slug: dict[Any, str],
    assessments: dict[Any, t.Assessment],
) -> list[m.Ruleset]:
    row_muscles: dict[int, list[m.RuleMuscle]] = defaultdict(list)
    for rm in session.exec(select(t.RulesetRowMuscle)).all():
        row_muscles[rm.row_id].append(
            m.RuleMuscle(muscle_slug[rm.muscle_id], m.Role(rm.role), m.Laterality(rm.laterality))
        )
    rows: dict[int, list[m.RulesetRow]] = defaultdict(list)
    for r in session.exec(select(t.RulesetRow)).all():
        muscles = tuple(sorted(row_muscles[r.id or 0], key=lambda x: (x.role, x.laterality, x.muscle)))
        rows[r.ruleset_id].append(
            m.RulesetRow(
                assessments[r.assessment_id].slug,
                comp_slug[r.compensation_id],
                muscles,
                r.confidence,
                r.source,
            )
        )
    return [
        m.Ruleset(
            rs.slug,
            rs.name,
            rs.description,
            rs.is_default,
            rs.source,
            tuple(sorted(rows[rs.id or 0], key=lambda x: (x.assessment, x.compensation))),
        )
        for rs in session.exec(select(t.Ruleset)).all()
    ]


def _exercises(session: Session, shared: _Shared, which: ColumnElement[bool]) -> dict[int, m.Exercise]:
    """The exercises `which` selects, by row id, with their links (read for those exercises only)."""
    rows = {row.id or 0: row for row in session.exec(select(t.Exercise).where(which)).all()}
    chosen = select(t.Exercise.id).where(which)
    tenants = dict(session.exec(select(t.Tenant.id, t.Tenant.slug)).all())
    targets = _pairs(session, t.ExerciseTarget, "exercise_id", "muscle_id", chosen)
    needs = _pairs(session, t.ExerciseEquipment, "exercise_id", "equipment_id", chosen)
    comps = _pairs(session, t.ExerciseCompensation, "exercise_id", "compensation_id", chosen)
    tags: dict[int, list[str]] = defaultdict(list)
    for tag in session.exec(select(t.ExerciseTag).where(col(t.ExerciseTag.exercise_id).in_(chosen))).all():
        tags[tag.exercise_id].append(tag.tag)
    # Regressions and progressions may point outside the selection (a tenant's exercise to a shared one).
    linked = {r.regression_id for r in rows.values()} | {r.progression_id for r in rows.values()}
    slugs = {eid: row.slug for eid, row in rows.items()}
    outside = linked - slugs.keys() - {None}
    if outside:
        found = session.exec(select(t.Exercise.id, t.Exercise.slug).where(col(t.Exercise.id).in_(outside)))
        slugs |= {eid or 0: slug for eid, slug in found}

    def link(exercise_id: int | None) -> str | None:
        return slugs[exercise_id] if exercise_id is not None else None

    def risk_tags(eid: int, r: t.Exercise) -> tuple[str, ...]:
        """The tags the exercise declares and those its position, stance and effort carry."""
        derived = shared.safety.derived_tags(r.position, r.stance, r.supported, r.effort) if shared.safety else ()
        return tuple(sorted({*tags[eid], *derived}))

    return {
        eid: m.Exercise(
            slug=r.slug,
            name=r.name,
            phase=m.Phase(r.phase),
            modality=r.modality,
            targets=tuple(sorted(shared.muscle_slug[x] for x in targets[eid])),
            equipment=tuple(sorted(shared.equipment_slug[x] for x in needs[eid])),
            level=r.level,
            unilateral=r.unilateral,
            tags=risk_tags(eid, r),
            regression=link(r.regression_id),
            progression=link(r.progression_id),
            description=r.description,
            instructions=tuple(r.instructions),
            cues=tuple(r.cues),
            defaults=m.Dosage(r.sets, r.reps, r.hold_seconds, r.tempo, r.rest_seconds),
            source=r.source,
            body_region=r.body_region,
            for_compensations=tuple(sorted(shared.compensation_slug[x] for x in comps[eid])),
            owner=tenants.get(r.tenant_id) if r.tenant_id else None,
            position=r.position,
            stance=r.stance,
            supported=r.supported,
            effort=r.effort,
        )
        for eid, r in rows.items()
    }


def _screening(session: Session) -> m.ScreeningPolicy | None:
    row = session.get(t.Policy, "screening")
    if row is None:
        return None
    doc = row.document
    return m.ScreeningPolicy(
        recent_injury_weeks=doc["recent_injury_weeks"],
        pregnancy_refers_without_clearance=doc["pregnancy"]["without_clearance"] == "refer",
        excludes_by_trimester={int(k): tuple(v) for k, v in doc["pregnancy"]["excludes_by_trimester"].items()},
        messages=dict(doc["messages"]),
        referral_advice=doc["referral_advice"],
        past_injury_note=doc["past_injury_note"],
        source=doc["source"],
        urgent_signs=tuple(doc["urgent_signs"]),
        pregnancy_weak_evidence=tuple(doc["pregnancy"]["weak_evidence"]),
    )


def _intake_trigger(stored: Mapping[str, Any] | None) -> m.IntakeTrigger | None:
    if stored is None:
        return None
    return m.IntakeTrigger(
        sitting_hours_at_least=stored.get("sitting_hours_at_least"),
        sleep_hours_below=stored.get("sleep_hours_below"),
        stress_at_least=stored.get("stress_at_least"),
        activities=tuple(stored.get("activities", ())),
        conditions=tuple(stored.get("conditions", ())),
    )


def _safety(session: Session) -> m.ExerciseSafety | None:
    row = session.get(t.Policy, "exercise_safety")
    if row is None:
        return None
    doc = row.document
    caps = doc["effort_caps"]
    return m.ExerciseSafety(
        positions={
            slug: m.PositionFacts(p["floor"], p["group"], p["name"], tuple(p["tags"]))
            for slug, p in doc["positions"].items()
        },
        stance_tags={slug: tuple(s["tags"]) for slug, s in doc["stances"].items()},
        unsupported_stance_tags={slug: tuple(s["unsupported_tags"]) for slug, s in doc["stances"].items()},
        efforts={slug: m.EffortFacts(e["rank"], e["name"], tuple(e["tags"])) for slug, e in doc["efforts"].items()},
        cap_effort=caps["effort"],
        cap_conditions=tuple(caps["for_conditions"]),
        cap_pregnancy=caps["for_pregnancy"],
        cap_note=caps["note"],
        max_sets=dict(doc["max_sets"]),
        tag_names=dict(doc["tag_names"]),
        stop_rule=doc["stop_rule"],
        progress_when=dict(doc["progress_when"]),
        regress_when=doc["regress_when"],
        source=doc["source"],
    )


def _mobility_tests(session: Session) -> tuple[m.MobilityTest, ...]:
    row = session.get(t.Policy, "mobility_tests")
    if row is None:
        return ()
    return tuple(
        m.MobilityTest(test["slug"], test["name"], test["how"], tuple(test["muscles"]), test["source"])
        for test in row.document["tests"]
    )
