"""The health intake: red flags refer the person on; conditions and pregnancy exclude exercise risk tags
(domain.md G). Runs before anything is planned."""

from dataclasses import dataclass

from app.domain.catalogue import Catalogue
from app.domain.errors import UnknownId
from app.domain.model import ConditionAction, ScreeningPolicy
from app.domain.requests import Screening


@dataclass(frozen=True, slots=True)
class Notice:
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class ScreeningOutcome:
    referral_reasons: tuple[Notice, ...]
    excluded_tags: dict[str, tuple[str, ...]]  # risk tag -> the conditions that exclude it
    warnings: tuple[Notice, ...]
    past_injury: bool


def screen(catalogue: Catalogue, screening: Screening | None) -> ScreeningOutcome:
    """The outcome of the intake; with none given, nothing is excluded (and the plan says it was not screened)."""
    policy = catalogue.screening
    if policy is None:
        raise RuntimeError("the catalogue has no screening policy: run `ceplan seed`")
    if screening is None:
        screening = Screening()
    reasons = list(_red_flags(screening, policy))
    excluded: dict[str, list[str]] = {}
    warnings: list[Notice] = []
    for index, slug in enumerate(dict.fromkeys(screening.conditions)):
        condition = catalogue.conditions.get(slug)
        if condition is None:
            raise UnknownId("condition", slug, field=f"screening.conditions.{index}", allowed=catalogue.conditions)
        if condition.action is ConditionAction.REFER:
            message = policy.messages["condition"].format(condition=condition.name.lower())
            reasons.append(Notice(f"condition:{slug}", f"{message} {condition.message}"))
        elif condition.action is ConditionAction.EXCLUDE:
            for tag in condition.excludes:
                excluded.setdefault(tag, []).append(slug)
            warnings.append(Notice(f"condition:{slug}", condition.message))
        else:
            warnings.append(Notice(f"condition:{slug}", condition.message))
    pregnancy = screening.pregnancy
    if pregnancy is not None and pregnancy.cleared_by_physician:
        for tag in policy.excludes_by_trimester.get(pregnancy.trimester, ()):
            excluded.setdefault(tag, []).append(f"pregnancy_trimester_{pregnancy.trimester}")
        warnings.append(Notice("pregnancy", policy.messages["pregnancy_with_clearance"]))
    past_injury = any(i.weeks_ago > policy.recent_injury_weeks for i in screening.injuries)
    return ScreeningOutcome(
        referral_reasons=tuple(reasons),
        excluded_tags={tag: tuple(causes) for tag, causes in sorted(excluded.items())},
        warnings=tuple(warnings),
        past_injury=past_injury,
    )


def _red_flags(screening: Screening, policy: ScreeningPolicy) -> list[Notice]:
    messages = policy.messages
    reasons = []
    if screening.current_pain:
        where = f" Where it hurts: {', '.join(screening.pain_locations)}." if screening.pain_locations else ""
        reasons.append(Notice("current_pain", messages["current_pain"] + where))
    if screening.numbness:
        reasons.append(Notice("numbness", messages["numbness"]))
    for injury in screening.injuries:
        if injury.weeks_ago <= policy.recent_injury_weeks:
            code = "recent_surgery" if injury.kind == "surgery" else "recent_injury"
            detail = f" ({injury.location}, {injury.weeks_ago} weeks ago)"
            reasons.append(Notice(code, messages[code] + detail))
    pregnancy = screening.pregnancy
    if pregnancy is not None and not pregnancy.cleared_by_physician and policy.pregnancy_refers_without_clearance:
        reasons.append(Notice("pregnancy_without_clearance", messages["pregnancy_without_clearance"]))
    return reasons
