"""The catalogue's knowledge as immutable values. Standard library only: no web, SQL or validation imports."""

from dataclasses import dataclass, field
from enum import StrEnum


class Phase(StrEnum):
    INHIBIT = "inhibit"
    LENGTHEN = "lengthen"
    ACTIVATE = "activate"
    INTEGRATE = "integrate"


PHASE_ORDER: tuple[Phase, ...] = (Phase.INHIBIT, Phase.LENGTHEN, Phase.ACTIVATE, Phase.INTEGRATE)


class Role(StrEnum):
    OVERACTIVE = "overactive"
    UNDERACTIVE = "underactive"


class Laterality(StrEnum):
    SAME = "same"
    OPPOSITE = "opposite"
    UNSPECIFIED = "unspecified"


class ConditionAction(StrEnum):
    REFER = "refer"
    EXCLUDE = "exclude"
    CAUTION = "caution"


@dataclass(frozen=True, slots=True)
class Muscle:
    slug: str
    name: str
    region: str
    kind: str
    member_of: tuple[str, ...]
    smr_safe: bool
    source: str


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a compensation is observed within one assessment."""

    assessment: str
    view: str
    checkpoint: str


@dataclass(frozen=True, slots=True)
class Compensation:
    slug: str
    name: str
    description: str
    lateral: bool
    excludes: tuple[str, ...]
    placements: tuple[Placement, ...]
    source: str

    @property
    def assessments(self) -> tuple[str, ...]:
        return tuple(placement.assessment for placement in self.placements)


@dataclass(frozen=True, slots=True)
class Assessment:
    slug: str
    name: str
    description: str
    source: str


@dataclass(frozen=True, slots=True)
class RuleMuscle:
    muscle: str
    role: Role
    laterality: Laterality


@dataclass(frozen=True, slots=True)
class RulesetRow:
    assessment: str
    compensation: str
    muscles: tuple[RuleMuscle, ...]
    confidence: str
    source: str


@dataclass(frozen=True, slots=True)
class Ruleset:
    slug: str
    name: str
    description: str
    is_default: bool
    source: str
    rows: tuple[RulesetRow, ...]


@dataclass(frozen=True, slots=True)
class Equipment:
    slug: str
    name: str
    description: str
    source: str


@dataclass(frozen=True, slots=True)
class Dosage:
    sets: int
    reps: int | None
    hold_seconds: int | None
    tempo: str
    rest_seconds: int


@dataclass(frozen=True, slots=True)
class Exercise:
    slug: str
    name: str
    phase: Phase
    modality: str
    targets: tuple[str, ...]
    equipment: tuple[str, ...]
    level: int
    unilateral: bool
    tags: tuple[str, ...]
    regression: str | None
    progression: str | None
    description: str
    instructions: tuple[str, ...]
    cues: tuple[str, ...]
    defaults: Dosage
    source: str
    body_region: str | None = None
    for_compensations: tuple[str, ...] = ()
    owner: str | None = None  # the tenant of a custom exercise; None for the shared catalogue
    position: str = "standing"
    stance: str = "bilateral"
    supported: bool = False  # a hand on a wall, chair or rail for balance throughout
    effort: str | None = None  # the peak effort of a positional isometric


@dataclass(frozen=True, slots=True)
class Condition:
    slug: str
    name: str
    description: str
    action: ConditionAction
    excludes: tuple[str, ...]
    message: str
    source: str


@dataclass(frozen=True, slots=True)
class IntakeTrigger:
    """What the client's own lifestyle answers must say for a note to apply (any one suffices)."""

    sitting_hours_at_least: float | None = None
    sleep_hours_below: float | None = None
    stress_at_least: int | None = None
    activities: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LifestyleNote:
    slug: str
    title: str
    note: str
    always: bool
    when_past_injury: bool
    when_compensations: tuple[str, ...]
    when_muscles_overactive: tuple[str, ...]
    source: str
    when_intake: IntakeTrigger | None = None


@dataclass(frozen=True, slots=True)
class MobilityTest:
    """A test that decides whether a flagged muscle is short or weak (seed/mobility_tests.yaml)."""

    slug: str
    name: str
    how: str
    muscles: tuple[str, ...]
    source: str


@dataclass(frozen=True, slots=True)
class PositionFacts:
    floor: bool
    group: int  # a phase's exercises go floor (1), seated (2), standing (3)
    name: str
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EffortFacts:
    rank: int
    name: str
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ExerciseSafety:
    """What positions, stances and efforts mean for safety, and technique set ranges (seed/exercise_safety.yaml)."""

    positions: dict[str, PositionFacts]
    stance_tags: dict[str, tuple[str, ...]]
    unsupported_stance_tags: dict[str, tuple[str, ...]]
    efforts: dict[str, EffortFacts]
    cap_effort: str
    cap_conditions: tuple[str, ...]
    cap_pregnancy: bool
    cap_note: str
    max_sets: dict[str, int]
    tag_names: dict[str, str]
    stop_rule: str
    progress_when: dict[str, str]
    regress_when: str
    source: str

    def derived_tags(self, position: str, stance: str, supported: bool, effort: str | None) -> tuple[str, ...]:
        """The risk tags an exercise's position, stance and effort carry."""
        tags = [*self.positions[position].tags, *self.stance_tags[stance]]
        if not supported:
            tags += self.unsupported_stance_tags[stance]
        if effort is not None:
            tags += self.efforts[effort].tags
        return tuple(tags)


@dataclass(frozen=True, slots=True)
class PhaseVariables:
    """A template's acute variables for one phase in one mode."""

    modality: str
    sets: int
    reps: int | None
    hold_seconds: int | None
    tempo: str
    seconds_per_rep: int
    rest_seconds: int
    max_exercises: int
    # The prescription of an exercise of this modality, made once with the template rather than once per plan.
    dosage: Dosage = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        dosage = Dosage(self.sets, self.reps, self.hold_seconds, self.tempo, self.rest_seconds)
        object.__setattr__(self, "dosage", dosage)


@dataclass(frozen=True, slots=True)
class ModeVariables:
    frequency_per_week: str
    reassess_after_weeks: int
    transition_seconds: int
    phases: dict[Phase, PhaseVariables] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ScreeningPolicy:
    """The intake's red-flag rules (seed/screening.yaml)."""

    recent_injury_weeks: int
    pregnancy_refers_without_clearance: bool
    excludes_by_trimester: dict[int, tuple[str, ...]]
    messages: dict[str, str]
    referral_advice: str
    past_injury_note: str
    source: str
    urgent_signs: tuple[str, ...] = ()
    pregnancy_weak_evidence: tuple[str, ...] = ()  # findings that say little about imbalance in pregnancy


@dataclass(frozen=True, slots=True)
class TemplateVersion:
    template: str
    title: str
    version: int
    status: str
    modes: dict[str, ModeVariables]
    source: str
    owner: str | None = None  # the tenant that owns the template; None for the shared catalogue
