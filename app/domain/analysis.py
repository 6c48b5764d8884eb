"""Findings -> probable overactive and underactive muscles, per side, with the evidence (domain.md K)."""

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache

from app.domain.catalogue import Catalogue
from app.domain.errors import DomainError, UnknownId
from app.domain.model import Laterality, Role, Ruleset
from app.domain.requests import AssessmentResult, Finding

BODY_SIDES = ("left", "right")
UNSPECIFIED = "unspecified"
SIDE_ORDER = {"left": 0, "right": 1, UNSPECIFIED: 2}
# A pattern is listed as resembled only when the findings share at least this many of its muscles: one shared muscle
# says nothing about a whole-body posture (ours).
MIN_SHARED_MUSCLES = 2


@dataclass(frozen=True, slots=True)
class Evidence:
    assessment: str
    compensation: str
    side: str | None
    # How a plan's rationale cites it ("feet_turn_out (left) in overhead_squat"): composed once, not per plan.
    citation: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        found = f"{self.compensation} ({self.side})" if self.side else self.compensation
        object.__setattr__(self, "citation", f"{found} in {self.assessment}")


@dataclass(frozen=True, slots=True)
class Implication:
    """One muscle in one role, on the sides the findings point to."""

    muscle: str
    sides: tuple[str, ...]
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True, slots=True)
class Conflict:
    muscle: str
    sides: tuple[str, ...]
    overactive_evidence: tuple[Evidence, ...]
    underactive_evidence: tuple[Evidence, ...]


@dataclass(frozen=True, slots=True)
class Resemblance:
    pattern: str
    ruleset: str
    score: float
    matched_overactive: tuple[str, ...]
    matched_underactive: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Analysis:
    ruleset: Ruleset
    overactive: tuple[Implication, ...]
    underactive: tuple[Implication, ...]
    conflicts: tuple[Conflict, ...]
    patterns: tuple[Resemblance, ...]
    compensations: tuple[str, ...]


class InvalidFindings(DomainError):
    code = "invalid_findings"
    title = "The findings cannot be analysed"


def finding_sides(side: str | None) -> tuple[str, ...]:
    """Bilateral and unsided findings count for both sides (domain.md K.4)."""
    return (side,) if side in BODY_SIDES else BODY_SIDES


def _opposite(side: str) -> str:
    return "right" if side == "left" else "left"


@cache  # a handful of combinations, asked for every muscle of every finding
def muscle_sides(finding_side: str | None, laterality: Laterality) -> tuple[str, ...]:
    if laterality is Laterality.UNSPECIFIED:
        return (UNSPECIFIED,)
    sides = finding_sides(finding_side)
    return sides if laterality is Laterality.SAME else tuple(_opposite(s) for s in sides)


# Every set of sides, sorted: an analysis sorts dozens of them, and a lookup is cheaper than a sort.
_SORTED_SIDES = {
    frozenset(sides): tuple(sorted(sides, key=SIDE_ORDER.__getitem__))
    for count in range(len(SIDE_ORDER) + 1)
    for sides in itertools.combinations(SIDE_ORDER, count)
}


def sort_sides(sides: set[str]) -> tuple[str, ...]:
    return _SORTED_SIDES[frozenset(sides)]


def choose_ruleset(catalogue: Catalogue, slug: str | None) -> Ruleset:
    if slug is None:
        return catalogue.default_ruleset
    if slug not in catalogue.rulesets:
        raise UnknownId("ruleset", slug, field="ruleset", allowed=catalogue.rulesets)
    return catalogue.rulesets[slug]


def validate_findings(catalogue: Catalogue, ruleset: Ruleset, assessments: tuple[AssessmentResult, ...]) -> None:
    """Reject, naming the field, anything the rules cannot use: nothing is silently ignored."""
    seen_types: set[str] = set()
    for a_index, assessment in enumerate(assessments):
        where = f"assessments.{a_index}"
        if assessment.type in seen_types:
            raise InvalidFindings(
                f"assessment type '{assessment.type}' is given twice; merge its findings", field=f"{where}.type"
            )
        seen_types.add(assessment.type)
        _validate_assessment(catalogue, ruleset, assessment, where)


def _compensations_of(catalogue: Catalogue, assessment: str) -> list[str]:
    return sorted(c.slug for c in catalogue.compensations.values() if assessment in c.assessments)


def _validate_assessment(catalogue: Catalogue, ruleset: Ruleset, assessment: AssessmentResult, where: str) -> None:
    claimed: dict[str, set[str]] = defaultdict(set)
    for f_index, finding in enumerate(assessment.findings):
        field = f"{where}.findings.{f_index}"
        slug = finding.compensation
        compensation = catalogue.compensations.get(slug)
        if compensation is None:
            raise UnknownId(
                "compensation",
                slug,
                field=f"{field}.compensation",
                allowed=_compensations_of(catalogue, assessment.type),
            )
        if assessment.type not in compensation.assessments:
            raise InvalidFindings(
                f"'{slug}' is not a compensation of the {assessment.type} assessment",
                field=f"{field}.compensation",
                allowed=_compensations_of(catalogue, assessment.type),
            )

        if catalogue.row(ruleset.slug, assessment.type, slug) is None:
            covered = [r.compensation for r in ruleset.rows if r.assessment == assessment.type]
            raise InvalidFindings(
                f"ruleset '{ruleset.slug}' has no row for {assessment.type}/{slug}; choose another ruleset",
                field=f"{field}.compensation",
                allowed=covered,
            )
        if finding.side in BODY_SIDES and not compensation.lateral:
            raise InvalidFindings(
                f"'{slug}' has no left or right side; send bilateral or null",
                field=f"{field}.side",
                allowed=["bilateral"],
            )
        sides = set(finding_sides(finding.side))
        if claimed[slug] & sides:
            raise InvalidFindings(f"'{slug}' is reported twice for the same side", field=f"{field}.side")
        for excluded in compensation.excludes:
            if claimed[excluded] & sides:
                raise InvalidFindings(
                    f"'{slug}' contradicts '{excluded}' on the same side", field=f"{field}.compensation"
                )
        claimed[slug] |= sides


def analyse(catalogue: Catalogue, ruleset: Ruleset, assessments: tuple[AssessmentResult, ...]) -> Analysis:
    """The analysis of the findings: a pure function of the ruleset and the findings, so remembered per snapshot."""
    return catalogue.memoised(
        ("analysis", ruleset.slug, assessments), lambda: _analyse(catalogue, ruleset, assessments)
    )


def _analyse(catalogue: Catalogue, ruleset: Ruleset, assessments: tuple[AssessmentResult, ...]) -> Analysis:
    validate_findings(catalogue, ruleset, assessments)
    sides: dict[tuple[Role, str], set[str]] = defaultdict(set)
    evidence: dict[tuple[Role, str], list[Evidence]] = defaultdict(list)
    for assessment in assessments:
        for finding in assessment.findings:
            _apply(catalogue, ruleset, assessment.type, finding, sides, evidence)
    lists = {
        role: tuple(
            Implication(muscle, sort_sides(sides[(role, muscle)]), tuple(evidence[(role, muscle)]))
            for muscle in sorted(m for r, m in sides if r is role)
        )
        for role in Role
    }
    found = tuple(sorted({f.compensation for a in assessments for f in a.findings}))
    return Analysis(
        ruleset=ruleset,
        overactive=lists[Role.OVERACTIVE],
        underactive=lists[Role.UNDERACTIVE],
        conflicts=_conflicts(lists[Role.OVERACTIVE], lists[Role.UNDERACTIVE]),
        patterns=_resemblances(catalogue, ruleset, lists[Role.OVERACTIVE], lists[Role.UNDERACTIVE], found),
        compensations=found,
    )


def _apply(
    catalogue: Catalogue,
    ruleset: Ruleset,
    assessment: str,
    finding: Finding,
    sides: dict[tuple[Role, str], set[str]],
    evidence: dict[tuple[Role, str], list[Evidence]],
) -> None:
    row = catalogue.row(ruleset.slug, assessment, finding.compensation)
    assert row is not None  # validate_findings guarantees it
    item = Evidence(assessment, finding.compensation, finding.side)
    for rule in row.muscles:
        key = (rule.role, rule.muscle)
        sides[key].update(muscle_sides(finding.side, rule.laterality))
        cited = evidence[key]
        # Validated findings never give equal evidence: the item can only be there already if the row names the
        # muscle in this role twice, and then it was the last one cited.
        if not cited or cited[-1] is not item:
            cited.append(item)


def _overlap(over: tuple[str, ...], under: tuple[str, ...]) -> set[str]:
    # A side the source leaves unstated may be either side, so it overlaps everything (domain.md K.5).
    return {s for a in over for b in under if a == b or UNSPECIFIED in (a, b) for s in (a, b)}


def _conflicts(overactive: tuple[Implication, ...], underactive: tuple[Implication, ...]) -> tuple[Conflict, ...]:
    under = {i.muscle: i for i in underactive}
    conflicts = []
    for over in overactive:
        other = under.get(over.muscle)
        if other is None:
            continue
        sides = _overlap(over.sides, other.sides)
        if sides:
            conflicts.append(Conflict(over.muscle, sort_sides(sides), over.evidence, other.evidence))
    return tuple(conflicts)


def _resemblances(
    catalogue: Catalogue,
    ruleset: Ruleset,
    overactive: tuple[Implication, ...],
    underactive: tuple[Implication, ...],
    found: tuple[str, ...],
) -> tuple[Resemblance, ...]:
    """How much of each static distortion pattern's muscle profile the findings reproduce (0-1): the patterns the
    trainer entered first, then those sharing enough muscles, most alike first."""
    patterns = catalogue.static_patterns(ruleset)
    source = ruleset if patterns else catalogue.default_ruleset
    if not patterns:
        patterns = catalogue.static_patterns(source)
    over = {i.muscle for i in overactive}
    under = {i.muscle for i in underactive}
    entered, resembled = [], []
    for pattern in patterns:
        matched_over, matched_under = pattern.overactive & over, pattern.underactive & under
        total = len(pattern.overactive) + len(pattern.underactive)
        matched = len(matched_over) + len(matched_under)
        score = round(matched / total, 2) if total else 0.0
        resemblance = Resemblance(
            pattern.pattern, source.slug, score, tuple(sorted(matched_over)), tuple(sorted(matched_under))
        )
        if pattern.pattern in found:
            entered.append(resemblance)  # the trainer saw it: it leads, whatever else the findings resemble
        elif matched >= MIN_SHARED_MUSCLES:
            resembled.append(resemblance)
    return (*entered, *sorted(resembled, key=lambda r: (-r.score, r.pattern)))
