"""Cross-file checks of the seed: every reference resolves, links stay within a phase, groups form no cycle."""

from collections.abc import Iterable

from app.db.seed_files import SeedBundle


def _unknown(kind: str, owner: str, refs: Iterable[str], known: set[str]) -> list[str]:
    return [f"{owner}: unknown {kind} '{ref}'" for ref in refs if ref not in known]


def _duplicates(kind: str, slugs: list[str]) -> list[str]:
    seen: set[str] = set()
    dupes = sorted({s for s in slugs if s in seen or seen.add(s)})  # type: ignore[func-returns-value]
    return [f"duplicate {kind} slug '{slug}'" for slug in dupes]


def _membership_cycles(bundle: SeedBundle) -> list[str]:
    parents = {m.slug: m.member_of for m in bundle.muscles}
    problems = []
    for start in parents:
        pending, seen = list(parents[start]), set()
        while pending:
            slug = pending.pop()
            if slug == start:
                problems.append(f"muscle '{start}': group membership forms a cycle")
                break
            if slug not in seen:
                seen.add(slug)
                pending.extend(parents.get(slug, []))
    return problems


def reference_errors(bundle: SeedBundle) -> list[str]:
    muscles = {m.slug for m in bundle.muscles}
    equipment = {e.slug for e in bundle.equipment}
    assessments: set[str] = {a.slug for a in bundle.assessments}
    compensations = {c.slug for c in bundle.compensations}
    placements = {(p.assessment, c.slug) for c in bundle.compensations for p in c.assessments}
    exercises = {e.slug: e for e in bundle.exercises}
    problems: list[str] = []
    for kind, slugs in (
        ("muscle", [m.slug for m in bundle.muscles]),
        ("compensation", [c.slug for c in bundle.compensations]),
        ("exercise", [e.slug for e in bundle.exercises]),
        ("condition", [c.slug for c in bundle.conditions]),
        ("ruleset", [r.slug for r in bundle.rulesets]),
    ):
        problems += _duplicates(kind, slugs)
    for m in bundle.muscles:
        problems += _unknown("group", f"muscle '{m.slug}'", m.member_of, muscles)
    problems += _membership_cycles(bundle)
    for c in bundle.compensations:
        owner = f"compensation '{c.slug}'"
        problems += _unknown("compensation", owner, c.excludes, compensations)
        problems += _unknown("assessment", owner, (p.assessment for p in c.assessments), assessments)
    if sum(r.default for r in bundle.rulesets) != 1:
        problems.append("exactly one ruleset must be the default")
    for r in bundle.rulesets:
        for row in r.rows:
            owner = f"ruleset '{r.slug}' row {row.assessment}/{row.compensation}"
            if (row.assessment, row.compensation) not in placements:
                problems.append(f"{owner}: the compensation does not belong to that assessment")
            for sided in (row.overactive, row.underactive):
                problems += _unknown("muscle", owner, sided.same + sided.opposite + sided.unspecified, muscles)
    for e in bundle.exercises:
        owner = f"exercise '{e.slug}'"
        problems += _unknown("muscle", owner, e.targets, muscles)
        problems += _unknown("equipment", owner, e.equipment, equipment)
        problems += _unknown("compensation", owner, e.for_compensations, compensations)
        for link in (e.regression, e.progression):
            if link is None:
                continue
            if link not in exercises:
                problems.append(f"{owner}: unknown linked exercise '{link}'")
            elif exercises[link].phase != e.phase:
                problems.append(f"{owner}: linked exercise '{link}' is in another phase")
    for n in bundle.lifestyle:
        owner = f"lifestyle note '{n.slug}'"
        problems += _unknown("compensation", owner, n.when_compensations, compensations)
        problems += _unknown("muscle", owner, n.when_muscles_overactive, muscles)
    if sum(t.default for t in bundle.templates) != 1:
        problems.append("exactly one plan template must be the default")
    return problems
