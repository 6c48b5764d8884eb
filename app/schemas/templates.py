"""The public contract of plan templates: versions, lifecycle and diffs."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.config import JsonDict

from app.domain.model import PHASE_ORDER, Phase
from app.domain.templates import dose_problem
from app.domain.vocabulary import PhaseName, TemplateStatus
from app.schemas.base import SINGLE_LINE, Description, Name, PlainInt, StrictInput, Tempo

Slug = str


def _example_mode(cap: int) -> JsonDict:
    held = {"sets": 1, "hold_seconds": 30, "rest_seconds": 0, "max_exercises": cap}
    repeated = {"sets": 1, "reps": 12, "rest_seconds": 30, "max_exercises": cap}
    return {
        "frequency_per_week": "3-5",
        "reassess_after_weeks": 4,
        "transition_seconds": 15,
        "phases": [
            {"phase": "inhibit", "modality": "smr", "tempo": "slow", **held},
            {"phase": "lengthen", "modality": "static_stretch", "tempo": "hold at first tension", **held},
            {
                "phase": "activate",
                "modality": "isolated_strengthening",
                "tempo": "4/2/1",
                "seconds_per_rep": 7,
                **repeated,
            },
            {
                "phase": "integrate",
                "modality": "integrated_dynamic",
                "tempo": "slow and controlled",
                "seconds_per_rep": 4,
                **repeated,
                "max_exercises": 1,
            },
        ],
    }


EXAMPLE_MODES: JsonDict = {"standalone": _example_mode(5), "warm_up": _example_mode(2), "cool_down": _example_mode(3)}


class PhaseVariables(StrictInput):
    phase: PhaseName
    modality: Annotated[str, Field(min_length=1, max_length=32), SINGLE_LINE] = Field(
        description="The technique these numbers are for (e.g. `smr`)."
    )
    sets: int = Field(ge=1, le=10)
    reps: int | None = Field(default=None, ge=1, le=100, description="Activate and Integrate.")
    hold_seconds: int | None = Field(default=None, ge=1, le=600, description="Inhibit and Lengthen.")
    tempo: Tempo
    seconds_per_rep: int = Field(default=0, ge=0, le=60, description="For the time estimate of rep-based work.")
    rest_seconds: int = Field(ge=0, le=600)
    max_exercises: int = Field(ge=0, le=20, description="The most exercises of this phase in a plan.")


class ModeVariables(StrictInput):
    frequency_per_week: Annotated[str, Field(min_length=1, max_length=60), SINGLE_LINE] = Field(examples=["3-7"])
    reassess_after_weeks: int = Field(ge=1, le=52)
    transition_seconds: int = Field(ge=0, le=300, description="Set-up time counted per exercise.")
    phases: list[PhaseVariables] = Field(
        min_length=len(PHASE_ORDER),
        max_length=len(PHASE_ORDER),
        description="The four phases, in the order inhibit, lengthen, activate, integrate.",
    )

    @field_validator("phases")
    @classmethod
    def _fixed_order_and_fitting_doses(cls, phases: list[PhaseVariables]) -> list[PhaseVariables]:
        order = [p.phase for p in phases]
        if order != [p.value for p in PHASE_ORDER]:
            raise ValueError(
                f"phases must be exactly inhibit, lengthen, activate, integrate in that order, got {order}"
            )
        for item in phases:
            problem = dose_problem(Phase(item.phase), item.reps, item.hold_seconds)
            if problem:
                raise ValueError(problem)
        return phases


class TemplateModes(StrictInput):
    standalone: ModeVariables
    warm_up: ModeVariables
    cool_down: ModeVariables


class TemplateCreate(StrictInput):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"slug": "acme_warm_up", "title": "Acme warm-up", "description": "Short, two per phase."}]
        }
    )

    slug: Slug = Field(max_length=64, pattern=r"^[a-z][a-z0-9_]{1,63}$", examples=["acme_warm_up"])
    title: Name
    description: Description = ""


class DraftCreate(StrictInput):
    model_config = ConfigDict(json_schema_extra={"examples": [{"modes": EXAMPLE_MODES}, {"copy_from": 1}]})

    copy_from: int | None = Field(default=None, ge=1, le=1_000_000, description="Start from this version's variables.")
    modes: TemplateModes | None = Field(default=None, description="Or give the variables in full.")


class DraftUpdate(StrictInput):
    model_config = ConfigDict(json_schema_extra={"examples": [{"modes": EXAMPLE_MODES}]})

    modes: TemplateModes


class DiffQuery(BaseModel):
    """The two versions GET /v1/plan-templates/{slug}/diff compares; each given once."""

    model_config = ConfigDict(extra="forbid")

    from_version: PlainInt = Field(alias="from", ge=1, le=1_000_000, description="The older version.")
    to_version: PlainInt = Field(alias="to", ge=1, le=1_000_000, description="The newer version.")


class VersionSummary(BaseModel):
    version: int
    status: TemplateStatus
    created_at: datetime | None
    published_at: datetime | None
    retired_at: datetime | None


class VersionOut(VersionSummary):
    template: Slug
    modes: TemplateModes
    source: str
    etag: str = Field(description="Send it back as If-Match to edit a draft.")


class TemplateOut(BaseModel):
    slug: Slug
    title: str
    description: str
    owner: Literal["shared", "tenant"] = Field(description="shared: the ceplan catalogue; tenant: your own.")
    is_default: bool
    latest_published: int | None = Field(description="The version new plans use unless they pin one.")
    versions: list[VersionSummary]


class Change(BaseModel):
    path: str = Field(examples=["warm_up.phases.inhibit.hold_seconds"])
    before: str | int | None
    after: str | int | None


class TemplateDiff(BaseModel):
    template: Slug
    from_version: int
    to_version: int
    changes: list[Change]
