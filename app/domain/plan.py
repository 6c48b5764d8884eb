"""What a plan (or a referral) is made of: the planner's answer, in domain terms."""

from dataclasses import dataclass

from app.domain.analysis import Analysis, Evidence
from app.domain.model import Dosage, Exercise, Phase, PhaseVariables, TemplateVersion
from app.domain.screening import Notice


@dataclass(frozen=True, slots=True)
class Rationale:
    muscles: tuple[str, ...]
    findings: tuple[Evidence, ...]
    text: str


@dataclass(frozen=True, slots=True)
class NextStep:
    """Where an exercise leads: its progression or regression, and when to take it."""

    exercise: Exercise
    when: str


@dataclass(frozen=True, slots=True)
class PlannedExercise:
    exercise: Exercise
    muscles: tuple[str, ...]
    side: str | None  # left | right | both (a one-sided exercise done on each side) | None (both at once)
    side_text: str | None
    prescription: Dosage
    rationale: Rationale
    seconds: int
    effort: str | None = None  # a positional isometric's peak effort, after any cap
    notes: tuple[str, ...] = ()
    stop_rule: str = ""
    progression: NextStep | None = None
    regression: NextStep | None = None


@dataclass(frozen=True, slots=True)
class PlannedPhase:
    phase: Phase
    variables: PhaseVariables
    exercises: tuple[PlannedExercise, ...]
    modalities: tuple[str, ...] = ()  # the techniques its exercises use, in order of first use


@dataclass(frozen=True, slots=True)
class Omission:
    reason: str
    phase: Phase | None
    detail: str
    muscle: str | None = None
    side: str | None = None
    exercise: str | None = None
    compensation: str | None = None


@dataclass(frozen=True, slots=True)
class Referral:
    reasons: tuple[Notice, ...]
    advice: str
    findings: tuple[str, ...]  # what the assessment showed, in words, for the clinician
    urgent_signs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Plan:
    status: str  # plan | referral
    analysis: Analysis
    template: TemplateVersion
    mode: str
    phases: tuple[PlannedPhase, ...]
    estimated_minutes: int
    session_minutes: int | None
    frequency_per_week: str
    reassess_after_weeks: int
    warnings: tuple[Notice, ...]
    lifestyle: tuple[Notice, ...]
    omitted: tuple[Omission, ...]
    referral: Referral | None = None
