"""The public contract of POST /v1/analyses, /v1/plans and /v1/plans/batch."""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from app.domain.vocabulary import Activity, AssessmentType, Modality, Mode, PhaseName, Position
from app.schemas.base import Id, Phrase, StrictInput
from app.schemas.problem import Problem

Side = Literal["left", "right", "bilateral"]
MAX_ASSESSMENTS = 5
MAX_FINDINGS = 30
MAX_CONDITIONS = 40
MAX_PLACES = 10  # pain locations, and injuries
MAX_EQUIPMENT = 30
MAX_BATCH = 100
# Batch items are validated one by one (a bad one gets its own problem), so the schema types them loosely.
BATCH_ITEM = "A plan request: the body of POST /v1/plans (PlanRequest)."


class FindingIn(StrictInput):
    compensation: Id = Field(description="Compensation id (see GET /v1/compensations).", examples=["knees_move_inward"])
    side: Side | None = Field(
        default=None,
        description="left, right, bilateral, or null (counts as both sides). "
        "Single-leg squat: the stance leg. Weight shift: the side shifted toward.",
    )


class AssessmentIn(StrictInput):
    type: AssessmentType = Field(description="Assessment type.")
    findings: list[FindingIn] = Field(min_length=1, max_length=MAX_FINDINGS, description="What was observed.")


class InjuryIn(StrictInput):
    kind: Literal["injury", "surgery"]
    location: Phrase = Field(description="Where, in words (e.g. `left knee`).")
    weeks_ago: int = Field(ge=0, le=5200, description="How long ago, in weeks.")


class PregnancyIn(StrictInput):
    trimester: int = Field(ge=1, le=3, description="1, 2 or 3.")
    cleared_by_physician: bool = Field(description="Has a physician or midwife cleared exercise?")


class ScreeningIn(StrictInput):
    current_pain: bool = Field(default=False, description="Pain now or during the assessment: refers on.")
    pain_locations: list[Phrase] = Field(default=[], max_length=MAX_PLACES, description="Where it hurts, in words.")
    numbness: bool = Field(default=False, description="Numbness or tingling: refers on.")
    injuries: list[InjuryIn] = Field(default=[], max_length=MAX_PLACES, description="Injuries and surgeries, any age.")
    pregnancy: PregnancyIn | None = None
    conditions: list[Id] = Field(
        default=[], max_length=MAX_CONDITIONS, description="Condition ids of GET /v1/conditions."
    )


class TemplateChoiceIn(StrictInput):
    slug: Id = Field(examples=["nasm_cex_standard"])
    version: int | None = Field(
        default=None, ge=1, le=1_000_000, description="Pin a version; default the latest published."
    )


class PreferencesIn(StrictInput):
    mode: Mode = "standalone"
    session_minutes: int | None = Field(default=None, ge=5, le=180, description="Time budget; none for no limit.")
    equipment: list[Id] | None = Field(
        default=None,
        max_length=MAX_EQUIPMENT,
        description="Equipment ids the client has (GET /v1/equipment). Omitted: a full gym. []: bodyweight only.",
    )
    level: int | None = Field(
        ge=1,
        le=3,
        default=None,
        description="Hardest level of activation and integration the client is ready for (stability and load; "
        "rolling and stretching are not levelled). Omitted: planned as level 1, the continuum's stable, simple start.",
    )
    template: TemplateChoiceIn | None = Field(default=None, description="Plan template; default the house one.")


class LifestyleIn(StrictInput):
    sleep_hours: float | None = Field(default=None, ge=0, le=24, description="Hours of sleep on a usual night.")
    stress: int | None = Field(default=None, ge=1, le=5, description="Stress, 1 (none) to 5 (severe).")
    sitting_hours: float | None = Field(default=None, ge=0, le=24, description="Hours spent sitting on a usual day.")
    activities: list[Activity] = Field(
        default=[], max_length=12, description="What the client does most days: work and sports."
    )


class PlanRequest(StrictInput):
    assessments: list[AssessmentIn] = Field(min_length=1, max_length=MAX_ASSESSMENTS)
    ruleset: Id | None = Field(default=None, description="Ruleset id; default `nasm_ces_2011`.")
    screening: ScreeningIn | None = Field(
        default=None,
        description="The health intake. Omitted: the plan says first that nothing was screened "
        "(and with CEPLAN_REQUIRE_SCREENING=true the request is refused).",
    )
    preferences: PreferencesIn = Field(default_factory=PreferencesIn)
    lifestyle: LifestyleIn | None = Field(
        default=None, description="Sleep, stress, sitting and activities: lifestyle notes follow from these only."
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "assessments": [
                        {
                            "type": "overhead_squat",
                            "findings": [
                                {"compensation": "knees_move_inward", "side": "bilateral"},
                                {"compensation": "low_back_arches", "side": None},
                                {"compensation": "feet_turn_out", "side": "left"},
                            ],
                        }
                    ],
                    "screening": {"current_pain": False, "conditions": []},
                    "preferences": {"mode": "standalone", "session_minutes": 30, "equipment": ["foam_roller"]},
                    "lifestyle": {"sitting_hours": 8, "activities": ["desk_work"]},
                }
            ]
        }
    )


# --- answers ---------------------------------------------------------------------------------------------


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class EvidenceOut(Output):
    assessment: str
    compensation: str
    side: str | None


class ImplicationOut(Output):
    muscle: str
    sides: list[Literal["left", "right", "unspecified"]]
    evidence: list[EvidenceOut]


class ConflictOut(Output):
    muscle: str
    sides: list[Literal["left", "right", "unspecified"]]
    overactive_evidence: list[EvidenceOut]
    underactive_evidence: list[EvidenceOut]


class ResemblanceOut(Output):
    pattern: str = Field(description="Static distortion pattern id.")
    ruleset: str = Field(description="Ruleset whose pattern rows were compared.")
    score: float = Field(description="Share of the pattern's muscles the findings implicate the same way (0-1).")
    matched_overactive: list[str]
    matched_underactive: list[str]


class RulesetRef(Output):
    slug: str
    name: str


class AnalysisOut(Output):
    ruleset: RulesetRef
    overactive: list[ImplicationOut] = Field(description="Probable overactive muscles, by id.")
    underactive: list[ImplicationOut] = Field(description="Probable underactive muscles, by id.")
    conflicts: list[ConflictOut] = Field(description="Muscles both overactive and underactive on the same side.")
    patterns: list[ResemblanceOut] = Field(description="Static distortion patterns the findings resemble.")


class NoticeOut(Output):
    code: str
    message: str


class ExerciseRef(BaseModel):
    slug: str
    name: str
    description: str
    instructions: list[str]
    cues: list[str]
    equipment: list[str]
    level: int
    position: Position
    supported: bool = Field(description="A hand stays on a wall, chair or rail for balance.")


class RationaleOut(Output):
    muscles: list[str]
    findings: list[EvidenceOut]
    text: str


class NextStepOut(BaseModel):
    slug: str = Field(description="Exercise id.")
    name: str
    when: str = Field(description="The criterion, in words.")


class PlannedExerciseOut(BaseModel):
    exercise: ExerciseRef
    muscles: list[str] = Field(description="The muscles it serves in this plan.")
    side: Literal["left", "right", "both"] | None = Field(
        description="left/right: that side only; both: a one-sided exercise done on each side; null: both at once."
    )
    side_text: str | None = Field(description="The side in words, and which goes first; null for both at once.")
    modality: Modality = Field(description="Its technique: the dose below is this technique's own.")
    sets: int
    reps: int | None
    hold_seconds: int | None
    tempo: str
    rest_seconds: int
    effort: Literal["light", "moderate", "maximal"] | None = Field(
        description="Positional isometrics: the peak effort, after any cap the intake calls for."
    )
    notes: list[str] = Field(description="Adjustments for this client, in words.")
    stop_rule: str = Field(description="When to stop the exercise.")
    progression: NextStepOut | None = Field(
        description="What to move on to, and when; null when none suits the client."
    )
    regression: NextStepOut | None = Field(
        description="What to fall back to, and when; null when none suits the client."
    )
    rationale: RationaleOut


class AcuteVariablesOut(Output):
    modality: str
    sets: int
    reps: int | None
    hold_seconds: int | None
    tempo: str
    rest_seconds: int
    max_exercises: int


class PhaseOut(BaseModel):
    phase: PhaseName
    acute_variables: AcuteVariablesOut = Field(description="The template's variables for the phase's own technique.")
    modalities: list[Modality] = Field(description="The techniques of its exercises, in order of first use.")
    exercises: list[PlannedExerciseOut] = Field(description="Floor first, then seated, then standing.")


class OmissionOut(Output):
    reason: Literal[
        "contraindication",
        "missing_equipment",
        "above_level",
        "time_budget",
        "conflict",
        "phase_limit",
        "unsafe_to_roll",
        "no_exercise",
        "works_weak_muscle",
        "not_in_mode",
    ]
    phase: str | None
    detail: str
    muscle: str | None
    side: str | None
    exercise: str | None
    compensation: str | None


class TemplateRef(BaseModel):
    slug: str
    version: int
    title: str


class ReferralOut(BaseModel):
    reasons: list[NoticeOut] = Field(description="The red flags found.")
    advice: str = Field(description="What the person is told to do.")
    findings: list[str] = Field(description="What the assessment showed, in words, to pass on to the clinician.")
    urgent_signs: list[str] = Field(description="Signs that make it urgent: contact a clinician the same day.")


class PlanOut(BaseModel):
    status: Literal["plan"]
    plan_id: str = Field(description="Content hash: the same request, catalogue and template version give the same id.")
    template: TemplateRef
    ruleset: RulesetRef
    mode: str
    analysis: AnalysisOut
    phases: list[PhaseOut] = Field(description="Always inhibit, lengthen, activate, integrate.")
    estimated_minutes: int
    session_minutes: int | None
    frequency_per_week: str
    reassess_after_weeks: int
    warnings: list[NoticeOut] = Field(description="A plan made without screening says so first.")
    lifestyle: list[NoticeOut]
    omitted: list[OmissionOut] = Field(description="What was left out, and why: one entry per muscle and phase.")


class ReferralAnswer(BaseModel):
    status: Literal["referral"] = Field(description="Red flags stop the plan: the person is referred on.")
    plan_id: str = Field(description="Content hash of the answer.")
    ruleset: RulesetRef
    analysis: AnalysisOut
    referral: ReferralOut
    warnings: list[NoticeOut]


class PlanResponse(RootModel[Annotated[PlanOut | ReferralAnswer, Field(discriminator="status")]]):
    """A plan, or a referral when red flags stop it (told apart by `status`)."""


class BatchRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "requests": [
                        {
                            "assessments": [
                                {
                                    "type": "overhead_squat",
                                    "findings": [{"compensation": "knees_move_inward", "side": "bilateral"}],
                                }
                            ]
                        },
                        {
                            "assessments": [
                                {"type": "single_leg_squat", "findings": [{"compensation": "hip_drop", "side": "left"}]}
                            ],
                            "preferences": {"mode": "warm_up", "session_minutes": 10},
                        },
                    ]
                }
            ]
        },
    )

    requests: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=MAX_BATCH,
        description="Up to 100 plan requests, each answered on its own.",
        json_schema_extra={
            "items": {
                "type": "object",
                "description": BATCH_ITEM,
            }
        },
    )


class BatchItem(BaseModel):
    index: int
    status: int = Field(description="200 with `plan`, or the 4xx of `problem`.")
    plan: PlanResponse | None = None
    problem: Problem | None = None


class BatchResponse(BaseModel):
    results: list[BatchItem]
