"""Which plan template version a request gets: the latest published one, or the version it pins."""

from app.domain.catalogue import Catalogue
from app.domain.errors import DomainError, UnknownId
from app.domain.model import Phase, TemplateVersion
from app.domain.requests import TemplateChoice

PUBLISHED = "published"


class TemplateVersionUnavailable(DomainError):
    code = "template_version_unavailable"
    title = "Template version not available"


def choose_template(catalogue: Catalogue, choice: TemplateChoice | None, tenant: str | None = None) -> TemplateVersion:
    slug = choice.slug if choice else catalogue.default_template
    versions = catalogue.template_versions(slug, tenant)
    if not versions:
        raise UnknownId(
            "template", slug, field="preferences.template.slug", allowed=catalogue.visible_templates(tenant)
        )
    published = [v for v in versions if v.status == PUBLISHED]
    allowed = [str(v.version) for v in published]
    if choice is None or choice.version is None:
        if not published:
            raise TemplateVersionUnavailable(
                f"template '{slug}' has no published version", field="preferences.template.slug", allowed=[]
            )
        return published[-1]
    pinned = next((v for v in versions if v.version == choice.version), None)
    if pinned is None or pinned.status != PUBLISHED:
        state = "does not exist" if pinned is None else f"is {pinned.status}"
        raise TemplateVersionUnavailable(
            f"version {choice.version} of template '{slug}' {state}; "
            f"published versions: {', '.join(allowed) or 'none'}",
            field="preferences.template.version",
            allowed=allowed,
        )
    return pinned


# Inhibit and Lengthen are dosed as holds, Activate and Integrate as repetitions (domain.md F.1).
HELD_PHASES = (Phase.INHIBIT, Phase.LENGTHEN)


def dose_problem(phase: Phase, reps: int | None, hold_seconds: int | None) -> str | None:
    """Why a template's phase dose does not fit the phase, or None when it does."""
    if phase in HELD_PHASES and hold_seconds is None:
        return f"{phase} is dosed as a hold: give hold_seconds"
    if phase not in HELD_PHASES and reps is None:
        return f"{phase} is dosed in repetitions: give reps"
    return None
