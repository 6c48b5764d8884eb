"""The public JSON shapes of the catalogue's read endpoints."""

from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from app.domain.vocabulary import (
    BodyRegion,
    ConditionActionName,
    DeclaredTag,
    Effort,
    LateralityName,
    PhaseName,
    Position,
    Stance,
)
from app.schemas.base import ID_MAX, PLAIN_DIGITS, Cue, Description, Id, Name, PlainInt, Step, StrictInput, Tempo

T = TypeVar("T")
MAX_STEPS = 20
MAX_CUES = 10
# ?equipment= may repeat, and each value may list several ids with commas (all eleven ids of the seed take 140
# characters). The bounds keep the longest valid URL (each character percent-encoded as four UTF-8 bytes) about
# 41 KB, under the 64 KB request line the server reads: past that it answers 400 before the API sees it.
MAX_EQUIPMENT_FILTERS = 16
EquipmentFilter = Annotated[str, Field(max_length=200)]


class PublicModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class MusclePublic(PublicModel):
    slug: str = Field(description="Stable id, e.g. `gluteus_medius`.", examples=["gluteus_medius"])
    name: str = Field(description="Display name.")
    region: str = Field(description="Body region: lower_leg, thigh, hip, trunk, shoulder or neck.")
    kind: str = Field(description="muscle, part (of a muscle), group, or fascia.")
    member_of: list[str] = Field(description="Groups this muscle belongs to.")
    members: list[str] = Field(description="Direct members, for a group.")
    smr_safe: bool = Field(description="Whether rolling it is safe (never the lumbar or cervical spine).")
    source: str = Field(description="Where the fact comes from.")


class PlacementPublic(PublicModel):
    assessment: str = Field(description="Assessment type id.")
    view: str = Field(description="anterior, lateral or posterior.")
    checkpoint: str = Field(description="Kinetic-chain checkpoint: foot_ankle, knee, lphc, shoulder, head_neck.")


class CompensationPublic(PublicModel):
    slug: str = Field(description="Stable id, e.g. `knees_move_inward`.")
    name: str
    description: str
    lateral: bool = Field(description="Whether a finding may carry a left/right side.")
    excludes: list[str] = Field(description="Compensations that cannot be reported on the same side with this one.")
    placements: list[PlacementPublic] = Field(description="The assessments it belongs to, with view and checkpoint.")
    source: str


class AssessmentCompensation(PublicModel):
    slug: str
    name: str
    view: str
    checkpoint: str
    lateral: bool


class AssessmentPublic(PublicModel):
    slug: str = Field(description="Assessment type id.", examples=["overhead_squat"])
    name: str
    description: str
    compensations: list[AssessmentCompensation]
    source: str


class RulesetSummary(PublicModel):
    slug: str = Field(examples=["nasm_ces_2011"])
    name: str
    description: str
    is_default: bool = Field(description="Used when a request names no ruleset.")
    source: str
    row_count: int


class RuleMusclePublic(PublicModel):
    muscle: str
    laterality: LateralityName = Field(
        description="Relative to the finding's side: same, opposite, or not stated by the source."
    )


class RulesetRowPublic(BaseModel):
    assessment: str
    compensation: str
    overactive: list[RuleMusclePublic]
    underactive: list[RuleMusclePublic]
    confidence: str
    source: str


class RulesetPublic(RulesetSummary):
    rows: list[RulesetRowPublic]


class EquipmentPublic(PublicModel):
    slug: str = Field(examples=["foam_roller"])
    name: str
    description: str
    source: str


class ConditionPublic(PublicModel):
    slug: str = Field(examples=["osteoporosis"])
    name: str
    description: str
    action: ConditionActionName = Field(
        description="refer: no plan, a referral; exclude: exercises with the listed risk tags are left out; "
        "caution: a warning on the plan."
    )
    excludes: list[str] = Field(description="Exercise risk tags this condition rules out.")
    message: str = Field(description="What the trainer is told.")
    source: str


class DosagePublic(PublicModel):
    sets: int
    reps: int | None = Field(description="Repetitions per set, for rep-based work.")
    hold_seconds: int | None = Field(description="Seconds held per rep or spot, for holds.")
    tempo: str
    rest_seconds: int


class ExercisePublic(PublicModel):
    slug: str = Field(examples=["tube_walking_side_steps"])
    name: str
    phase: PhaseName
    modality: str = Field(
        description="smr, static_stretch, active_stretch, neuromuscular_stretch, "
        "isolated_strengthening, positional_isometric or integrated_dynamic."
    )
    targets: list[str] = Field(description="Muscles it works on.")
    equipment: list[str] = Field(description="Equipment it needs; empty for bodyweight.")
    level: int = Field(ge=1, le=3)
    unilateral: bool = Field(description="Done one side at a time.")
    position: Position = Field(description="Where the body is: standing, seated on a chair, or a floor position.")
    stance: Stance = Field(description="The feet's balance demand when standing; `none` otherwise.")
    supported: bool = Field(description="A hand stays on a wall, chair or rail for balance.")
    effort: Effort | None = Field(description="Positional isometrics: the peak effort asked for.")
    tags: list[str] = Field(
        description="Risk features that health conditions may exclude: those it declares (e.g. `smr`) and those "
        "its position, stance and effort carry (e.g. `floor`, `supine`, `unsupported_balance`)."
    )
    regression: str | None = Field(description="An easier exercise of the same phase.")
    progression: str | None = Field(description="A harder exercise of the same phase.")
    description: str
    instructions: list[str]
    cues: list[str]
    defaults: DosagePublic = Field(description="Default acute variables.")
    body_region: str | None = Field(description="For Integrate exercises: lower_body, upper_body or total_body.")
    for_compensations: list[Id] = Field(description="For Integrate exercises: the compensations it re-trains.")
    source: str = Field(description="A citation, or `ours` for our own choice.")


class Page(BaseModel, Generic[T]):
    total: int = Field(description="Items matching the filters, before paging.")
    limit: int
    offset: int
    items: list[T]


class CompensationQuery(BaseModel):
    """The filter of GET /v1/compensations; unknown parameters are refused, as for exercises."""

    model_config = ConfigDict(extra="forbid")

    assessment: str | None = Field(default=None, max_length=ID_MAX, description="Only those of this assessment type.")


class ExerciseQuery(BaseModel):
    """The filters and paging of GET /v1/exercises. Unknown parameters are refused: a misspelt filter would
    otherwise return the whole library as if it had matched."""

    model_config = ConfigDict(extra="forbid")

    phase: PhaseName | None = Field(default=None, description="Only this phase.")
    muscle: str | None = Field(
        default=None,
        max_length=ID_MAX,
        description="Only exercises serving this muscle (a group matches its members and a member its groups).",
    )
    equipment: list[EquipmentFilter] | None = Field(
        default=None,
        max_length=MAX_EQUIPMENT_FILTERS,
        description="Equipment the user has (repeat or comma-separate ids); only exercises needing nothing else. "
        "An empty value means bodyweight only.",
    )
    level: Annotated[int, Field(ge=1, le=3), PLAIN_DIGITS] | None = Field(
        default=None, description="Only this level (1-3)."
    )
    q: str | None = Field(default=None, max_length=100, description="Text search in name, description and cues.")
    limit: PlainInt = Field(default=50, ge=1, le=200)
    offset: PlainInt = Field(default=0, ge=0, le=1_000_000)


class DosageIn(StrictInput):
    sets: int = Field(ge=1, le=10)
    reps: int | None = Field(default=None, ge=1, le=100)
    hold_seconds: int | None = Field(default=None, ge=1, le=600)
    tempo: Tempo
    rest_seconds: int = Field(ge=0, le=600)


# The documented example of POST /v1/exercises; the soak and the tests send it under other slugs.
EXERCISE_EXAMPLE: JsonDict = {
    "slug": "acme_banded_bridge",
    "name": "Acme banded bridge",
    "phase": "activate",
    "modality": "isolated_strengthening",
    "targets": ["gluteus_maximus", "gluteus_medius"],
    "equipment": ["mini_band"],
    "level": 2,
    "unilateral": False,
    "position": "supine",
    "stance": "none",
    "tags": [],
    "description": "A floor bridge with a band above the knees, pressing the knees apart.",
    "instructions": [
        "Lie on your back, knees bent, band above the knees.",
        "Press the knees out against the band and lift the hips.",
        "Hold two seconds at the top, lower over four.",
    ],
    "cues": ["Ribs down", "Knees over toes"],
    "defaults": {"sets": 1, "reps": 12, "tempo": "4/2/1", "rest_seconds": 30},
}


class ExerciseCreate(StrictInput):
    """A tenant's own exercise: checked against the catalogue's muscles, phases, equipment and risk tags."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXERCISE_EXAMPLE]})

    slug: str = Field(max_length=ID_MAX, pattern=r"^[a-z][a-z0-9_]{1,79}$", examples=["acme_banded_bridge"])
    name: Name
    phase: PhaseName
    modality: Id = Field(description="One of the modalities the phase's shared exercises use.")
    targets: list[Id] = Field(min_length=1, max_length=10, description="Muscle ids.")
    equipment: list[Id] = Field(default=[], max_length=10, description="Equipment ids; [] for bodyweight.")
    level: int = Field(ge=1, le=3)
    unilateral: bool
    position: Position = Field(description="Where the body is during the exercise.")
    stance: Stance = Field(description="When standing, the feet's balance demand; `none` for any other position.")
    supported: bool = Field(default=False, description="A hand stays on a wall, chair or rail for balance.")
    effort: Effort | None = Field(default=None, description="Positional isometrics only (required there).")
    tags: list[DeclaredTag] = Field(
        default=[],
        max_length=10,
        description="Risk features it declares; those of its position, stance and effort are added for it.",
    )
    regression: Id | None = Field(default=None, description="An easier exercise of the same phase.")
    progression: Id | None = Field(default=None, description="A harder exercise of the same phase.")
    description: Description = Field(min_length=1)
    instructions: list[Step] = Field(min_length=1, max_length=MAX_STEPS, description="The steps, one line each.")
    cues: list[Cue] = Field(default=[], max_length=MAX_CUES)
    defaults: DosageIn
    body_region: BodyRegion | None = None
    for_compensations: list[Id] = Field(default=[], max_length=20, description="Integrate: compensation ids.")
