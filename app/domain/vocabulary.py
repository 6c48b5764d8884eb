"""The closed vocabularies of the stored knowledge, named once: seed files are validated against these types,
the tables' check constraints are built from them, and the API's schemas use them."""

from typing import Literal, get_args

Region = Literal["lower_leg", "thigh", "hip", "trunk", "shoulder", "neck"]
MuscleKind = Literal["muscle", "part", "group", "fascia"]
AssessmentType = Literal["overhead_squat", "single_leg_squat", "push", "pull", "static_posture"]
View = Literal["anterior", "lateral", "posterior"]
Checkpoint = Literal["foot_ankle", "knee", "lphc", "shoulder", "head_neck"]
RoleName = Literal["overactive", "underactive"]
LateralityName = Literal["same", "opposite", "unspecified"]
PhaseName = Literal["inhibit", "lengthen", "activate", "integrate"]
Modality = Literal[
    "smr",
    "static_stretch",
    "active_stretch",
    "neuromuscular_stretch",
    "isolated_strengthening",
    "positional_isometric",
    "integrated_dynamic",
]
BodyRegion = Literal["lower_body", "upper_body", "total_body"]
ConditionActionName = Literal["refer", "exclude", "caution"]
TemplateStatus = Literal["draft", "published", "retired"]
Mode = Literal["standalone", "warm_up", "cool_down"]
# Where the body is during an exercise (domain.md M.1); which ones are on the floor is data (exercise_safety.yaml).
Position = Literal[
    "standing",
    "seated_chair",
    "seated_floor",
    "half_kneeling",
    "kneeling",
    "quadruped",
    "supine",
    "prone",
    "side_lying",
]
# The balance demand of the feet, most stable first (domain.md M.1); `none` when not standing.
Stance = Literal["none", "bilateral", "staggered", "narrow", "single_leg", "moving"]
# The peak effort a positional isometric asks for.
Effort = Literal["light", "moderate", "maximal"]
# Risk features an exercise declares; conditions and pregnancy exclude them (conditions.yaml, screening.yaml).
DeclaredTag = Literal[
    "smr",
    "smr_lower_limb",
    "stretch",
    "head_below_heart",
    "loaded_spinal_flexion",
    "high_impact",
    "overhead",
    "free_squat",
]
# Risk features that follow from an exercise's position, stance and effort (exercise_safety.yaml).
DerivedTag = Literal[
    "floor",
    "supine",
    "prone",
    "kneeling",
    "quadruped",
    "side_lying",
    "single_leg",
    "unsupported_balance",
    "maximal_isometric",
]
RiskTag = Literal[DeclaredTag, DerivedTag]
# What a client may say they do most days (the request's `lifestyle.activities`).
Activity = Literal[
    "desk_work",
    "driving",
    "standing_work",
    "manual_work",
    "running",
    "cycling",
    "swimming",
    "strength_training",
    "team_sports",
    "racket_sports",
    "walking",
    "yoga_pilates",
]


def values(vocabulary: object) -> tuple[str, ...]:
    return tuple(get_args(vocabulary))
