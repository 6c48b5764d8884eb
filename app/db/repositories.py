"""All reads of the catalogue: rows in, domain values out. Nothing outside app.db sees a table."""

from collections import defaultdict
from typing import Any

from sqlmodel import Session, select

from app.db import tables as t
from app.domain import model as m
from app.domain.catalogue import Catalogue


def current_revision(session: Session) -> int:
    row = session.get(t.CatalogueRevision, 1)
    return row.revision if row else 0


def _pairs(session: Session, table: type[Any], left: str, right: str) -> dict[int, list[int]]:
    grouped: dict[int, list[int]] = defaultdict(list)
    for row in session.exec(select(table)).all():
        grouped[getattr(row, left)].append(getattr(row, right))
    return grouped


def load_catalogue(session: Session) -> Catalogue:
    """Read the whole knowledge base into one immutable snapshot (a few hundred rows: one pass per table)."""
    muscles = {row.id: row for row in session.exec(select(t.Muscle)).all()}
    muscle_slug = {mid: row.slug for mid, row in muscles.items()}
    compensations = {row.id: row for row in session.exec(select(t.Compensation)).all()}
    comp_slug = {cid: row.slug for cid, row in compensations.items()}
    assessments = {row.id: row for row in session.exec(select(t.Assessment)).all()}
    equipment = {row.id: row for row in session.exec(select(t.Equipment)).all()}
    return Catalogue.build(
        revision=current_revision(session),
        muscles=_muscles(session, muscles, muscle_slug),
        assessments=[m.Assessment(a.slug, a.name, a.description, a.source) for a in assessments.values()],
        compensations=_compensations(session, compensations, comp_slug, assessments),
        rulesets=_rulesets(session, muscle_slug, comp_slug, assessments),
        equipment=[m.Equipment(e.slug, e.name, e.description, e.source) for e in equipment.values()],
        exercises=_exercises(session, muscle_slug, comp_slug, equipment),
        conditions=[
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
        lifestyle=[
            m.LifestyleNote(
                n.slug,
                n.title,
                n.note,
                n.always,
                n.when_past_injury,
                tuple(n.when_compensations),
                tuple(n.when_muscles_overactive),
                n.source,
            )
            for n in session.exec(select(t.LifestyleNote).order_by(t.LifestyleNote.slug)).all()
        ],
        screening=_screening(session),
        templates=_template_versions(session),
        default_template=next(
            (p.slug for p in session.exec(select(t.PlanTemplate).where(t.PlanTemplate.is_default)).all()), ""
        ),
    )


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


def _exercises(
    session: Session,
    muscle_slug: dict[Any, str],
    comp_slug: dict[Any, str],
    equipment: dict[Any, t.Equipment],
) -> list[m.Exercise]:
    rows = {row.id or 0: row for row in session.exec(select(t.Exercise)).all()}
    tenants = {row.id: row.slug for row in session.exec(select(t.Tenant)).all()}
    targets = _pairs(session, t.ExerciseTarget, "exercise_id", "muscle_id")
    needs = _pairs(session, t.ExerciseEquipment, "exercise_id", "equipment_id")
    comps = _pairs(session, t.ExerciseCompensation, "exercise_id", "compensation_id")
    tags: dict[int, list[str]] = defaultdict(list)
    for tag in session.exec(select(t.ExerciseTag)).all():
        tags[tag.exercise_id].append(tag.tag)

    def link(exercise_id: int | None) -> str | None:
        return rows[exercise_id].slug if exercise_id is not None else None

    return [
        m.Exercise(
            slug=r.slug,
            name=r.name,
            phase=m.Phase(r.phase),
            modality=r.modality,
            targets=tuple(sorted(muscle_slug[x] for x in targets[eid])),
            equipment=tuple(sorted(equipment[x].slug for x in needs[eid])),
            level=r.level,
            unilateral=r.unilateral,
            tags=tuple(sorted(tags[eid])),
            regression=link(r.regression_id),
            progression=link(r.progression_id),
            description=r.description,
            instructions=tuple(r.instructions),
            cues=tuple(r.cues),
            defaults=m.Dosage(r.sets, r.reps, r.hold_seconds, r.tempo, r.rest_seconds),
            source=r.source,
            body_region=r.body_region,
            for_compensations=tuple(sorted(comp_slug[x] for x in comps[eid])),
            owner=tenants.get(r.tenant_id) if r.tenant_id else None,
        )
        for eid, r in rows.items()
    ]


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
    )


def _template_versions(session: Session) -> list[m.TemplateVersion]:
    templates = {row.id: row for row in session.exec(select(t.PlanTemplate)).all()}
    tenants = {row.id: row.slug for row in session.exec(select(t.Tenant)).all()}
    versions = []
    for v in session.exec(select(t.PlanTemplateVersion)).all():
        body = v.body
        modes = {
            mode: m.ModeVariables(
                frequency_per_week=spec["frequency_per_week"],
                reassess_after_weeks=spec["reassess_after_weeks"],
                transition_seconds=spec["transition_seconds"],
                phases={m.Phase(phase): m.PhaseVariables(**values) for phase, values in spec["phases"].items()},
            )
            for mode, spec in body["modes"].items()
        }
        template = templates[v.template_id]
        owner = tenants.get(template.tenant_id) if template.tenant_id else None
        versions.append(
            m.TemplateVersion(template.slug, template.title, v.version, v.status, modes, body["source"], owner)
        )
    return versions
