"""The shapes of the YAML files in seed/, validated strictly before anything touches the database."""

from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from app.domain.model import PHASE_ORDER, Phase
from app.domain.templates import dose_problem
from app.domain.vocabulary import (
    Activity,
    AssessmentType,
    BodyRegion,
    Checkpoint,
    ConditionActionName,
    DeclaredTag,
    DerivedTag,
    Effort,
    Modality,
    Mode,
    MuscleKind,
    PhaseName,
    Position,
    Region,
    RiskTag,
    Stance,
    TemplateStatus,
    View,
)

Slug = str


class SeedError(Exception):
    """The seed files are malformed or inconsistent; nothing was written."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("seed files are not valid:\n  " + "\n  ".join(problems))
        self.problems = problems


class SeedModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MuscleFile(SeedModel):
    slug: Slug
    name: str
    region: Region
    kind: MuscleKind
    member_of: list[Slug] = []
    smr_safe: bool
    source: str


class EquipmentFile(SeedModel):
    slug: Slug
    name: str
    description: str
    source: str


class PlacementFile(SeedModel):
    assessment: AssessmentType
    view: View
    checkpoint: Checkpoint


class CompensationFile(SeedModel):
    slug: Slug
    name: str
    description: str
    lateral: bool
    excludes: list[Slug] = []
    assessments: list[PlacementFile] = Field(min_length=1)
    source: str


class AssessmentFile(SeedModel):
    slug: AssessmentType
    name: str
    description: str
    source: str


class SidedMuscles(SeedModel):
    same: list[Slug] = []
    opposite: list[Slug] = []
    unspecified: list[Slug] = []


class RulesetRowFile(SeedModel):
    assessment: Slug
    compensation: Slug
    confidence: str
    source: str
    overactive: SidedMuscles = SidedMuscles()
    underactive: SidedMuscles = SidedMuscles()


class RulesetFile(SeedModel):
    slug: Slug
    name: str
    description: str = ""
    default: bool = False
    source: str
    rows: list[RulesetRowFile] = Field(min_length=1)


class DosageFile(SeedModel):
    sets: int = Field(gt=0)
    reps: int | None = Field(default=None, gt=0)
    hold_seconds: int | None = Field(default=None, gt=0)
    tempo: str
    rest_seconds: int = Field(ge=0)

    @model_validator(mode="after")
    def _has_a_dose(self) -> "DosageFile":
        if self.reps is None and self.hold_seconds is None:
            raise ValueError("a dosage needs reps or hold_seconds")
        return self


class ExerciseFile(SeedModel):
    slug: Slug
    name: str
    phase: PhaseName
    modality: Modality
    targets: list[Slug] = Field(min_length=1)
    equipment: list[Slug] = []
    level: int = Field(ge=1, le=3)
    unilateral: bool
    position: Position
    stance: Stance
    supported: bool = False
    effort: Effort | None = None
    tags: list[DeclaredTag] = []
    regression: Slug | None = None
    progression: Slug | None = None
    description: str
    instructions: list[str] = Field(min_length=1)
    cues: list[str] = []
    defaults: DosageFile
    source: str
    region: BodyRegion | None = None
    for_compensations: list[Slug] = []

    @model_validator(mode="after")
    def _position_fits(self) -> "ExerciseFile":
        if (self.position == "standing") != (self.stance != "none"):
            raise ValueError("a standing exercise has a stance other than none, and only a standing one does")
        if (self.modality == "positional_isometric") != (self.effort is not None):
            raise ValueError("effort is given for positional isometrics, and only for them")
        return self


class ConditionFile(SeedModel):
    slug: Slug
    name: str
    description: str
    action: ConditionActionName
    excludes: list[RiskTag] = []
    message: str
    source: str


class IntakeTriggerFile(SeedModel):
    sitting_hours_at_least: float | None = Field(default=None, ge=0, le=24)
    sleep_hours_below: float | None = Field(default=None, ge=0, le=24)
    stress_at_least: int | None = Field(default=None, ge=1, le=5)
    activities: list[Activity] = []
    conditions: list[Slug] = []


class LifestyleFile(SeedModel):
    slug: Slug
    title: str
    note: str
    when_compensations: list[Slug] = []
    when_muscles_overactive: list[Slug] = []
    when_past_injury: bool = False
    when_intake: IntakeTriggerFile | None = None
    always: bool = False
    source: str


class PositionFile(SeedModel):
    floor: bool
    group: int = Field(ge=1, le=3)
    name: str
    tags: list[DerivedTag] = []


class StanceFile(SeedModel):
    tags: list[DerivedTag] = []
    unsupported_tags: list[DerivedTag] = []


class EffortFile(SeedModel):
    rank: int = Field(ge=1)
    name: str
    tags: list[DerivedTag] = []


class EffortCapFile(SeedModel):
    effort: Effort
    for_conditions: list[Slug] = []
    for_pregnancy: bool = False
    note: str


class MobilityTestFile(SeedModel):
    slug: Slug
    name: str
    how: str
    muscles: list[Slug] = Field(min_length=1)
    source: str


class MobilityTestsFile(SeedModel):
    tests: list[MobilityTestFile] = Field(min_length=1)


class ExerciseSafetyFile(SeedModel):
    positions: dict[Position, PositionFile]
    stances: dict[Stance, StanceFile]
    efforts: dict[Effort, EffortFile]
    effort_caps: EffortCapFile
    max_sets: dict[Modality, int]
    tag_names: dict[RiskTag, str]
    stop_rule: str
    progress_when: dict[PhaseName, str]
    regress_when: str
    source: str

    @model_validator(mode="after")
    def _complete(self) -> "ExerciseSafetyFile":
        for name, given, vocabulary in (
            ("positions", self.positions, Position),
            ("stances", self.stances, Stance),
            ("efforts", self.efforts, Effort),
            ("max_sets", self.max_sets, Modality),
            ("tag_names", self.tag_names, RiskTag),
            ("progress_when", self.progress_when, PhaseName),
        ):
            if missing := sorted(set(get_args(vocabulary)) - set(given)):
                raise ValueError(f"{name} lacks {', '.join(missing)}")
        return self


class PhaseVariablesFile(SeedModel):
    modality: Modality
    sets: int = Field(gt=0)
    reps: int | None = Field(default=None, gt=0)
    hold_seconds: int | None = Field(default=None, gt=0)
    tempo: str
    seconds_per_rep: int = Field(default=0, ge=0)
    rest_seconds: int = Field(ge=0)
    max_exercises: int = Field(ge=0)


class ModeFile(SeedModel):
    frequency_per_week: str
    reassess_after_weeks: int = Field(gt=0)
    transition_seconds: int = Field(ge=0)
    phases: dict[PhaseName, PhaseVariablesFile]

    @model_validator(mode="after")
    def _every_phase_dosed_as_it_requires(self) -> "ModeFile":
        if list(self.phases) != [p.value for p in PHASE_ORDER]:
            raise ValueError("phases must be inhibit, lengthen, activate, integrate, in that order")
        for phase, values in self.phases.items():
            problem = dose_problem(Phase(phase), values.reps, values.hold_seconds)
            if problem:
                raise ValueError(problem)
        return self


class TemplateVersionFile(SeedModel):
    version: int = Field(gt=0)
    status: TemplateStatus
    modes: dict[Mode, ModeFile]
    source: str


class TemplateFile(SeedModel):
    slug: Slug
    title: str
    description: str
    default: bool = False
    source: str
    versions: list[TemplateVersionFile] = Field(min_length=1)


class ScreeningMessages(SeedModel):
    current_pain: str
    recent_injury: str
    recent_surgery: str
    pregnancy_without_clearance: str
    pregnancy_with_clearance: str
    numbness: str
    condition: str = Field(pattern=r"\{condition\}")
    not_screened: str
    assumed_equipment: str = Field(pattern=r"\{equipment\}")
    pregnancy_low_back_arch: str


class PregnancyRules(SeedModel):
    without_clearance: Literal["refer"]
    excludes_by_trimester: dict[Literal[1, 2, 3], list[RiskTag]]
    weak_evidence: list[Slug] = []


class ScreeningFile(SeedModel):
    recent_injury_weeks: int = Field(gt=0)
    pregnancy: PregnancyRules
    messages: ScreeningMessages
    referral_advice: str
    urgent_signs: list[str] = Field(min_length=1)
    past_injury_note: str
    source: str
    sources: dict[str, str] = {}


class SeedBundle(SeedModel):
    """Everything in seed/, parsed and cross-checked."""

    muscles: list[MuscleFile]
    equipment: list[EquipmentFile]
    assessments: list[AssessmentFile]
    compensations: list[CompensationFile]
    rulesets: list[RulesetFile]
    exercises: list[ExerciseFile]
    conditions: list[ConditionFile]
    lifestyle: list[LifestyleFile]
    screening: ScreeningFile
    exercise_safety: ExerciseSafetyFile
    mobility_tests: MobilityTestsFile
    templates: list[TemplateFile]


def _read(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _read_list(folder: Path) -> list[Any]:
    items: list[Any] = []
    for path in sorted(folder.glob("*.yaml")):
        loaded = _read(path)
        items.extend(loaded if isinstance(loaded, list) else [loaded])
    return items


def read_seed(seed_dir: Path) -> SeedBundle:
    try:
        files = {
            "muscles": _read(seed_dir / "muscles.yaml"),
            "equipment": _read(seed_dir / "equipment.yaml"),
            "assessments": _read(seed_dir / "assessments.yaml"),
            "compensations": _read(seed_dir / "compensations.yaml"),
            "rulesets": _read_list(seed_dir / "rulesets"),
            "exercises": _read_list(seed_dir / "exercises"),
            "conditions": _read(seed_dir / "conditions.yaml"),
            "lifestyle": _read(seed_dir / "lifestyle.yaml"),
            "screening": _read(seed_dir / "screening.yaml"),
            "exercise_safety": _read(seed_dir / "exercise_safety.yaml"),
            "mobility_tests": _read(seed_dir / "mobility_tests.yaml"),
            "templates": _read_list(seed_dir / "templates"),
        }
        return SeedBundle.model_validate(files)
    except (OSError, yaml.YAMLError) as error:
        raise SeedError([str(error)]) from error
    except ValidationError as error:
        raise SeedError([f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()]) from error
