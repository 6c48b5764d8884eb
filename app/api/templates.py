"""Plan templates: list and read (shared and your own), drafts, edits with If-Match, publish, retire, diff."""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, Response, status
from sqlalchemy import Engine

from app.api.auth import ReaderDep, WriterDep
from app.api.deps import IdempotencyDep, get_store, say_if_replayed
from app.api.params import SlugPath, VersionPath, query_model, query_parameters
from app.api.responses import BODY, problems
from app.schemas.templates import (
    DiffQuery,
    DraftCreate,
    DraftUpdate,
    TemplateCreate,
    TemplateDiff,
    TemplateOut,
    VersionOut,
    VersionSummary,
)
from app.services import templates as service
from app.services.accounts import Principal
from app.services.writes import IdempotencyKey

router = APIRouter(prefix="/plan-templates", tags=["plan templates"], responses=problems(503))
WRITE_ERRORS = problems(401, 403, 404, 409, 422)
BODY_WRITE_ERRORS = {**WRITE_ERRORS, **BODY}


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def _quotas(request: Request) -> service.Quotas:
    settings = request.app.state.settings
    return service.Quotas(settings.max_templates_per_tenant, settings.max_versions_per_template)


def _caught_up(request: Request, principal: Principal) -> None:
    # Plans read the in-memory snapshot: refresh it now so this worker sees its own write at once.
    get_store(request).catch_up(principal.tenant)


def _changed(
    request: Request,
    response: Response,
    principal: Principal,
    version: VersionOut,
    idempotency: IdempotencyKey | None = None,
) -> VersionOut:
    _caught_up(request, principal)
    response.headers["ETag"] = version.etag
    say_if_replayed(response, idempotency)
    return version


@router.get("", summary="List plan templates", responses=problems(401))
def list_plan_templates(request: Request, principal: ReaderDep) -> list[TemplateOut]:
    """The shared templates, and your own when you send an API key."""
    return service.list_templates(_engine(request), principal)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a plan template", responses=BODY_WRITE_ERRORS)
def create_plan_template(
    request: Request, response: Response, principal: WriterDep, data: TemplateCreate, idempotency: IdempotencyDep
) -> TemplateOut:
    """A new template owned by your tenant, visible to you alone. Add versions to it next."""
    created = service.create_template(_engine(request), data, principal, _quotas(request), idempotency)
    _caught_up(request, principal)
    say_if_replayed(response, idempotency)
    return created


@router.get("/{slug}", summary="Read a plan template", responses=problems(401, 404))
def get_plan_template(request: Request, principal: ReaderDep, slug: SlugPath) -> TemplateOut:
    """One template with its versions and the one new plans use."""
    return service.get_template(_engine(request), slug, principal)


@router.get("/{slug}/versions", summary="List a template's versions", responses=problems(401, 404))
def list_plan_template_versions(request: Request, principal: ReaderDep, slug: SlugPath) -> list[VersionSummary]:
    """Every version with its status: draft, published or retired."""
    return service.list_versions(_engine(request), slug, principal)


@router.post(
    "/{slug}/versions",
    status_code=status.HTTP_201_CREATED,
    summary="Create a draft version",
    responses=BODY_WRITE_ERRORS,
)
def create_plan_template_version(
    request: Request,
    response: Response,
    principal: WriterDep,
    slug: SlugPath,
    data: DraftCreate,
    idempotency: IdempotencyDep,
) -> VersionOut:
    """A new draft, numbered after the highest version: copied from `copy_from` or given as `modes`."""
    draft = service.create_draft(_engine(request), slug, data, principal, _quotas(request), idempotency)
    return _changed(request, response, principal, draft, idempotency)


@router.get("/{slug}/versions/{version}", summary="Read a template version", responses=problems(401, 404))
def get_plan_template_version(
    request: Request, response: Response, principal: ReaderDep, slug: SlugPath, version: VersionPath
) -> VersionOut:
    """The acute variables of every mode and phase. The ETag header is what an edit must send as If-Match."""
    found = service.get_version(_engine(request), slug, version, principal)
    response.headers["ETag"] = found.etag
    return found


@router.put(
    "/{slug}/versions/{version}",
    summary="Edit a draft version",
    responses={**problems(401, 403, 404, 409, 412, 422, 428), **BODY},
)
def update_plan_template_version(
    request: Request,
    response: Response,
    principal: WriterDep,
    slug: SlugPath,
    version: VersionPath,
    data: DraftUpdate,
    if_match: Annotated[str | None, Header(description="The ETag of the version you edited.")] = None,
) -> VersionOut:
    """Replace a draft's variables. A stale If-Match gets 412; published versions never change (409)."""
    updated = service.update_draft(_engine(request), slug, version, data.modes, if_match, principal)
    return _changed(request, response, principal, updated)


@router.post("/{slug}/versions/{version}/publish", summary="Publish a draft", responses=WRITE_ERRORS)
def publish_plan_template_version(
    request: Request,
    response: Response,
    principal: WriterDep,
    slug: SlugPath,
    version: VersionPath,
    idempotency: IdempotencyDep,
) -> VersionOut:
    """The draft becomes immutable, and new plans use it unless they pin another version."""
    changed = service.publish(_engine(request), slug, version, principal, idempotency)
    return _changed(request, response, principal, changed, idempotency)


@router.post("/{slug}/versions/{version}/retire", summary="Retire a published version", responses=WRITE_ERRORS)
def retire_plan_template_version(
    request: Request,
    response: Response,
    principal: WriterDep,
    slug: SlugPath,
    version: VersionPath,
    idempotency: IdempotencyDep,
) -> VersionOut:
    """New plans can no longer use it; it stays readable."""
    changed = service.retire(_engine(request), slug, version, principal, idempotency)
    return _changed(request, response, principal, changed, idempotency)


@router.get(
    "/{slug}/diff",
    summary="Compare two versions",
    responses=problems(401, 404, 422),
    openapi_extra=query_parameters(DiffQuery),
)
def diff_plan_template_versions(
    request: Request,
    principal: ReaderDep,
    slug: SlugPath,
    query: Annotated[DiffQuery, Depends(query_model(DiffQuery))],
) -> TemplateDiff:
    """Every acute variable that differs between the two versions."""
    return service.diff(_engine(request), slug, query.from_version, query.to_version, principal)
