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
RiskTag = Literal[
    "smr",
    "smr_lower_limb",
    "stretch",
    "supine",
    "prone",
    "single_leg",
    "head_below_heart",
    "loaded_spinal_flexion",
    "high_impact",
    "overhead",
]


def values(vocabulary: object) -> tuple[str, ...]:
    return tuple(get_args(vocabulary))
