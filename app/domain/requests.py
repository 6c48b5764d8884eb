"""What a caller asks for, in domain terms. The web layer has already checked types and ranges;
the rules check everything that needs the catalogue."""

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Finding:
    compensation: str
    side: str | None  # left | right | bilateral | None


@dataclass(frozen=True, slots=True)
class AssessmentResult:
    type: str
    findings: tuple[Finding, ...]


@dataclass(frozen=True, slots=True)
class InjuryReport:
    kind: str  # injury | surgery
    location: str
    weeks_ago: int


@dataclass(frozen=True, slots=True)
class Pregnancy:
    trimester: int
    cleared_by_physician: bool


@dataclass(frozen=True, slots=True)
class Screening:
    current_pain: bool = False
    pain_locations: tuple[str, ...] = ()
    numbness: bool = False
    injuries: tuple[InjuryReport, ...] = ()
    pregnancy: Pregnancy | None = None
    conditions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Lifestyle:
    """What the client says of their days (domain.md J): notes follow from this and the findings, never presumed."""

    sleep_hours: float | None = None
    stress: int | None = None  # 1 (none) to 5 (severe)
    sitting_hours: float | None = None
    activities: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TemplateChoice:
    slug: str
    version: int | None = None


@dataclass(frozen=True, slots=True)
class Preferences:
    mode: str = "standalone"
    session_minutes: int | None = None
    equipment: frozenset[str] | None = None  # None: not given (a full gym is assumed); empty: bodyweight only
    level: int | None = None  # None: not given (planned as level 1)
    template: TemplateChoice | None = None


@dataclass(frozen=True, slots=True)
class PlanRequest:
    assessments: tuple[AssessmentResult, ...]
    ruleset: str | None = None
    screening: Screening | None = None  # None: the client was not screened
    preferences: Preferences = field(default_factory=Preferences)
    lifestyle: Lifestyle | None = None
    tenant: str | None = None  # the caller's tenant, when an API key was given

    @property
    def level(self) -> int:
        """The level planned for: the one given, else the continuum's stable, simple start."""
        return self.preferences.level or 1
